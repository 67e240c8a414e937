// The model zoo: kinds by name, their descriptions, and ws_model_create, which
// checks a spec and builds logistic regression, the MLP, the CNN (here) or ResNet-18
// (nn/resnet.c) into a model container (nn/model.c).
#include "nn/zoo.h"

#include <stdio.h>
#include <string.h>

#include "nn/model.h"

// Kinds and activations by name: one table each, in the order of their enums.
static const char *const KIND_NAMES[] = {"logreg", "mlp", "resnet18", "cnn"};
static const char *const ACT_NAMES[] = {"relu", "tanh", "crelu"};
#define NKINDS ((int)(sizeof KIND_NAMES / sizeof *KIND_NAMES))
#define NACTS ((int)(sizeof ACT_NAMES / sizeof *ACT_NAMES))

ws_status ws_model_kind_parse(ws_ctx *ctx, const char *s, ws_model_kind *out) {
    for (int k = 0; k < NKINDS; k++)
        if (!strcmp(s, KIND_NAMES[k])) return *out = (ws_model_kind)k, WS_OK;
    return ws_fail(ctx, WS_ERR_ARG, "unknown model '%s' (expected logreg, mlp, resnet18 or cnn)", s);
}

const char *ws_model_kind_name(ws_model_kind k) { return k >= 0 && (int)k < NKINDS ? KIND_NAMES[k] : "?"; }

const char *ws_activation_name(ws_activation a) { return a >= 0 && (int)a < NACTS ? ACT_NAMES[a] : "?"; }

ws_status ws_activation_parse(ws_ctx *ctx, const char *s, ws_activation *out) {
    for (int a = 0; a < NACTS; a++)
        if (!strcmp(s, ACT_NAMES[a])) return *out = (ws_activation)a, WS_OK;
    return ws_fail(ctx, WS_ERR_ARG, "unknown activation '%s' (expected relu, tanh or crelu)", s);
}

int ws_arch_activation(const char *arch) {
    if (strncmp(arch, "mlp ", 4) && strncmp(arch, "cnn ", 4)) return -1;
    for (const char *p = arch + 4; *p;) { // the words after the sizes
        size_t n = strcspn(p, " ");
        if (n == 4 && !strncmp(p, "tanh", 4)) return WS_ACT_TANH;
        if (n >= 5 && !strncmp(p, "crelu", 5)) return WS_ACT_CRELU; // "crelu:91-91"
        p += n + (p[n] == ' ');
    }
    return WS_ACT_RELU;
}

// ---- widths: Kumar et al.'s rule for CReLU networks ----

static int64_t linear_params(int in, int out, int bias) { return (int64_t)in * out + (bias ? out : 0); }

// The CNN's feature map after conv(5) -> pool(2) -> conv(5) -> pool(2), per channel.
static int cnn_map_h(int h) { return ((h - 4) / 2 - 4) / 2; }

// Parameters of the network built with widths w, LayerNorm's left out (as Kumar et al.'s
// compute_total_params): with CReLU each hidden layer hands on twice its width.
static int64_t count_params(const ws_model_spec *sp, const ws_model_widths *w) {
    const int twice = sp->act == WS_ACT_CRELU ? 2 : 1, bias = !sp->no_bias;
    int64_t p = 0;
    int prev = (int)ws_shape_numel(sp->input);
    if (sp->kind == WS_MODEL_CNN) {
        const int C = w->channels;
        p += linear_params(sp->input.c * 25, C, 1) + linear_params(twice * C * 25, C, 1); // conv1, conv2
        prev = twice * C * cnn_map_h(sp->input.h) * cnn_map_h(sp->input.w);
    }
    for (int i = 0; i < sp->nhidden; i++) {
        p += linear_params(prev, w->hidden[i], bias);
        prev = twice * w->hidden[i];
    }
    return p + linear_params(prev, sp->num_classes, bias);
}

static void widths_cut(const ws_model_spec *sp, double f, ws_model_widths *w) {
    w->fraction_removed = f;
    w->channels = (int)((1.0 - f) * sp->width);
    for (int i = 0; i < sp->nhidden; i++) w->hidden[i] = (int)((1.0 - f) * sp->hidden[i]);
}

static int widths_positive(const ws_model_spec *sp, const ws_model_widths *w) {
    int ok = sp->kind != WS_MODEL_CNN || w->channels >= 1;
    for (int i = 0; i < sp->nhidden; i++) ok &= w->hidden[i] >= 1;
    return ok;
}

int ws_model_widths_of(const ws_model_spec *spec, ws_model_widths *out) {
    ws_model_widths plain = {0};
    widths_cut(spec, 0.0, &plain);
    *out = plain;
    if (spec->act != WS_ACT_CRELU || (spec->kind != WS_MODEL_MLP && spec->kind != WS_MODEL_CNN)) return 0;
    ws_model_spec relu = *spec;
    relu.act = WS_ACT_RELU;
    const int64_t target = count_params(&relu, &plain);
    // concat_relu_network_calculation.py: f over 0.5 - np.arange(0, 0.5, 0.01), i.e. 0.5 - k*0.01
    // in double; the first f whose CReLU network has at least the plain one's parameters.
    for (int k = 0; k < 50; k++) {
        widths_cut(spec, 0.5 - k * 0.01, out);
        if (widths_positive(spec, out) && count_params(spec, out) >= target) return 0;
    }
    *out = plain;
    return -1;
}

// " crelu:91-91" (MLP) or " crelu:c11-73-73" (CNN): the widths built.
static int describe_crelu(const ws_model_spec *spec, char *buf, size_t cap) {
    ws_model_widths w;
    if (ws_model_widths_of(spec, &w)) return snprintf(buf, cap, " crelu:none");
    int n = snprintf(buf, cap, " crelu:");
    if (spec->kind == WS_MODEL_CNN && n < (int)cap) n += snprintf(buf + n, cap - (size_t)n, "c%d", w.channels);
    for (int i = 0; i < spec->nhidden && n < (int)cap; i++)
        n += snprintf(buf + n, cap - (size_t)n, "%s%d", i || spec->kind == WS_MODEL_CNN ? "-" : "", w.hidden[i]);
    return n;
}

// The words after the sizes: the activation unless ReLU, " ln", " nobias".
static void describe_words(const ws_model_spec *spec, char *buf, size_t cap, int n) {
    if (spec->act == WS_ACT_TANH && n < (int)cap) n += snprintf(buf + n, cap - (size_t)n, " tanh");
    if (spec->act == WS_ACT_CRELU && n < (int)cap) n += describe_crelu(spec, buf + n, cap - (size_t)n);
    if (spec->layer_norm && n < (int)cap) n += snprintf(buf + n, cap - (size_t)n, " ln");
    if (spec->no_bias && n < (int)cap) snprintf(buf + n, cap - (size_t)n, " nobias");
}

void ws_model_describe(const ws_model_spec *spec, char *buf, size_t cap) {
    int n;
    if (spec->kind == WS_MODEL_RESNET18) {
        snprintf(buf, cap, "resnet18 w%d %dx%dx%d-%d", spec->width, spec->input.c, spec->input.h, spec->input.w,
                 spec->num_classes);
        return;
    }
    if (spec->kind == WS_MODEL_CNN)
        n = snprintf(buf, cap, "cnn c%d %dx%dx%d", spec->width, spec->input.c, spec->input.h, spec->input.w);
    else
        n = snprintf(buf, cap, "%s %lld", ws_model_kind_name(spec->kind), (long long)ws_shape_numel(spec->input));
    for (int i = 0; spec->kind != WS_MODEL_LOGREG && i < spec->nhidden && n < (int)cap; i++)
        n += snprintf(buf + n, cap - (size_t)n, "-%d", spec->hidden[i]);
    if (n < (int)cap) n += snprintf(buf + n, cap - (size_t)n, "-%d", spec->num_classes);
    // The ReLU MLP with biases, the official code's, keeps its plain description
    // (results and checkpoints written before these words existed read the same).
    describe_words(spec, buf, cap, n);
}

// A Linear layer with or without its bias, as the spec says.
static void add_linear(ws_model *m, const char *name, int in, int out) {
    if (m->spec.no_bias) ws_layer_linear_nobias(m, ws_model_add_layer(m), name, in, out);
    else ws_layer_linear(m, ws_model_add_layer(m), name, in, out);
}

// After a hidden Linear layer or convolution of output h: LayerNorm when the spec
// says (named ln_name), then the activation; the shape the next layer reads.
static ws_status add_norm_act(ws_ctx *ctx, ws_model *m, ws_shape h, const char *ln_name, int index, ws_shape *next) {
    const ws_model_spec *spec = &m->spec;
    if (spec->layer_norm) {
        ws_status st = ws_layer_layernorm(ctx, m, ws_model_add_layer(m), ln_name, h);
        if (st) return st;
    }
    char name[16];
    snprintf(name, sizeof name, "%s%d", ws_activation_name(spec->act), index);
    ws_layer *L = ws_model_add_layer(m);
    if (spec->act == WS_ACT_TANH) ws_layer_tanh(L, name, h);
    else if (spec->act == WS_ACT_CRELU) ws_layer_crelu(L, name, h);
    else ws_layer_relu(L, name, h);
    *next = L->out;
    return WS_OK;
}

// The fully connected part from `in` features: hidden Linear layers named
// name_of(i) (+ LayerNorm, activation), then the head `head`.
static ws_status add_fc_stack(ws_ctx *ctx, ws_model *m, const ws_model_widths *w, int in, const char *fc_fmt,
                              int fc0, const char *ln_fmt, int ln0, const char *head) {
    const ws_model_spec *spec = &m->spec;
    char name[32], ln[32];
    int prev = in;
    for (int i = 0; i < spec->nhidden; i++) {
        snprintf(name, sizeof name, fc_fmt, fc0 + i);
        snprintf(ln, sizeof ln, ln_fmt, ln0 + i);
        add_linear(m, name, prev, w->hidden[i]);
        ws_shape next;
        ws_status st = add_norm_act(ctx, m, (ws_shape){w->hidden[i], 1, 1}, ln, i + 1, &next);
        if (st) return st;
        prev = next.c;
    }
    if (head) snprintf(name, sizeof name, "%s", head);
    else snprintf(name, sizeof name, fc_fmt, fc0 + spec->nhidden);
    add_linear(m, name, prev, spec->num_classes);
    return WS_OK;
}

// Logistic regression (flatten, linear) or the official code's MLP: lm1 .. lmK
// Linear layers with ReLU, tanh or CReLU between (LayerNorm ln1 .. before each
// activation when asked); without biases if the spec says so.
static ws_status build_linear_stack(ws_ctx *ctx, ws_model *m, const ws_model_widths *w) {
    const ws_model_spec *spec = &m->spec;
    const int in = (int)ws_shape_numel(spec->input);
    ws_layer_flatten(ws_model_add_layer(m), "flatten", spec->input);
    if (spec->kind == WS_MODEL_LOGREG) {
        add_linear(m, "linear", in, spec->num_classes);
        return WS_OK;
    }
    return add_fc_stack(ctx, m, w, in, "lm%d", 1, "ln%d", 1, NULL);
}

// Kumar et al.'s CNN (nets/cnn.py): conv1 (5x5) [layer_norm1] act pool, conv2 (5x5)
// [layer_norm2] act pool, flatten (C,H,W), fc1 [layer_norm3] act, fc2 [layer_norm4]
// act, output_layer. Under CReLU the layer after each activation reads twice the
// channels or features.
static ws_status build_cnn(ws_ctx *ctx, ws_model *m, const ws_model_widths *w) {
    ws_shape x = m->spec.input;
    ws_status st;
    for (int i = 1; i <= 2; i++) {
        char conv[16], ln[16];
        snprintf(conv, sizeof conv, "conv%d", i);
        snprintf(ln, sizeof ln, "layer_norm%d", i);
        ws_layer *L = ws_model_add_layer(m);
        if ((st = ws_layer_conv2d(ctx, m, L, conv, x, w->channels, 5))) return st;
        if ((st = add_norm_act(ctx, m, L->out, ln, i, &x))) return st;
        ws_layer_maxpool2(ws_model_add_layer(m), i == 1 ? "pool1" : "pool2", x);
        x = (ws_shape){x.c, x.h / 2, x.w / 2};
    }
    ws_layer_flatten(ws_model_add_layer(m), "flatten", x);
    // Plain NCHW from the first convolution on (nn/conv.c): every layer's output says so.
    for (int i = 0; i < m->nlayers; i++) m->layers[i].plain_out = 1;
    return add_fc_stack(ctx, m, w, (int)ws_shape_numel(x), "fc%d", 1, "layer_norm%d", 3, "output_layer");
}

// What each kind accepts, beyond sizes: a table, so a misuse names the kind.
typedef struct {
    int hidden;       // takes hidden sizes
    int acts;         // bit mask of the activations it is built with
    int layer_norm;   // takes LayerNorm
    int no_bias;      // takes Linear layers without biases
    const char *why_act; // why another activation is refused
} kind_rules;

#define ACT(a) (1 << (a))
static const kind_rules RULES[] = {
    [WS_MODEL_LOGREG] = {0, ACT(WS_ACT_RELU), 0, 1, "has no hidden layer"},
    [WS_MODEL_MLP] = {1, ACT(WS_ACT_RELU) | ACT(WS_ACT_TANH) | ACT(WS_ACT_CRELU), 1, 1, ""},
    [WS_MODEL_RESNET18] = {0, ACT(WS_ACT_RELU), 0, 0, "is built with ReLU"},
    [WS_MODEL_CNN] = {1, ACT(WS_ACT_RELU) | ACT(WS_ACT_CRELU), 1, 0, "is built with ReLU or CReLU"},
};

static ws_status check_spec(ws_ctx *ctx, const ws_model_spec *spec) {
    if (spec->kind < 0 || (int)spec->kind >= NKINDS) return ws_fail(ctx, WS_ERR_ARG, "model kind %d: unknown", (int)spec->kind);
    const kind_rules *r = &RULES[spec->kind];
    const char *kind = ws_model_kind_name(spec->kind);
    if (spec->num_classes < 2) return ws_fail(ctx, WS_ERR_ARG, "model needs at least 2 classes, got %d", spec->num_classes);
    if (ws_shape_numel(spec->input) <= 0) return ws_fail(ctx, WS_ERR_ARG, "model input shape is empty");
    if (r->hidden && (spec->nhidden < 1 || spec->nhidden > WS_MAX_HIDDEN))
        return ws_fail(ctx, WS_ERR_ARG, "%s needs 1..%d hidden layers, got %d", spec->kind == WS_MODEL_MLP ? "MLP" : kind,
                       WS_MAX_HIDDEN, spec->nhidden);
    for (int i = 0; r->hidden && i < spec->nhidden; i++)
        if (spec->hidden[i] < 1)
            return ws_fail(ctx, WS_ERR_ARG, "%s hidden size %d is not positive", spec->kind == WS_MODEL_MLP ? "MLP" : kind,
                           spec->hidden[i]);
    if (spec->kind == WS_MODEL_RESNET18 && (spec->width < 1 || spec->width > 1024))
        return ws_fail(ctx, WS_ERR_ARG, "ResNet-18 width %d must be in [1, 1024]", spec->width);
    if (spec->kind == WS_MODEL_CNN && (spec->width < 1 || spec->width > 1024))
        return ws_fail(ctx, WS_ERR_ARG, "CNN channels (width) %d must be in [1, 1024]", spec->width);
    if (spec->kind == WS_MODEL_CNN && (cnn_map_h(spec->input.h) < 1 || cnn_map_h(spec->input.w) < 1))
        return ws_fail(ctx, WS_ERR_ARG, "cnn: a %dx%d input is too small (two 5x5 convolutions and 2x2 poolings need "
                       "16x16 at least)", spec->input.h, spec->input.w);
    if (spec->act < 0 || (int)spec->act >= NACTS) return ws_fail(ctx, WS_ERR_ARG, "activation %d: unknown", (int)spec->act);
    if (!(r->acts & ACT(spec->act)))
        return ws_fail(ctx, WS_ERR_ARG, "a %s activation is not for %s, which %s", ws_activation_name(spec->act), kind,
                       r->why_act);
    if (spec->layer_norm && !r->layer_norm)
        return ws_fail(ctx, WS_ERR_ARG, "LayerNorm is for the MLP and the CNN, not %s", kind);
    if (spec->no_bias && !r->no_bias)
        return ws_fail(ctx, WS_ERR_ARG, "Linear layers without biases are for the MLP and logreg, not %s", kind);
    ws_model_widths w;
    if (ws_model_widths_of(spec, &w))
        return ws_fail(ctx, WS_ERR_ARG, "%s with CReLU: no cut of 0.01..0.5 of its widths keeps its parameter count "
                       "(a width too small)", kind);
    return WS_OK;
}

ws_status ws_model_create(ws_ctx *ctx, ws_model **out, const ws_model_spec *spec) {
    *out = NULL;
    ws_status st = check_spec(ctx, spec);
    if (st) return st;
    ws_model_widths w;
    ws_model_widths_of(spec, &w);
    ws_model *m = ws_model_new(ctx, spec);
    if (!m) return ws_nomem(ctx);
    if (spec->kind == WS_MODEL_RESNET18) st = ws_build_resnet18(ctx, m);
    else if (spec->kind == WS_MODEL_CNN) st = build_cnn(ctx, m, &w);
    else st = build_linear_stack(ctx, m, &w);
    if (st) {
        ws_model_free(m);
        return st;
    }
    ws_model_describe(spec, m->arch, sizeof m->arch);
    return ws_model_finish(ctx, m, out);
}
