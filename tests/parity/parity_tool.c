// parity_tool: the engine's side of the PyTorch parity tests (tests/parity/*.py).
//
//   parity_tool step MODEL IN.safetensors OUT.safetensors [options]
//
// MODEL is "mlp:IN:H1,H2,...:CLASSES[:tanh|:crelu][:ln][:nobias]", "logreg:IN:CLASSES[:nobias]",
// "resnet18:C:H:W:WIDTH:CLASSES" or "cnn:C:H:W:CHANNELS:H1,H2:CLASSES[:crelu][:ln]" (Kumar
// et al.'s CNN; tanh, crelu: the hidden activation; ln: LayerNorm; nobias: Linear layers
// without biases). IN holds every parameter under its PyTorch
// name (F32, PyTorch layout) and, for ResNet-18, every buffer too (the BN
// running_mean / running_var F32, num_batches_tracked I64 0-dim: the whole
// state_dict), the batch `x` (F32, (B, IN) for mlp/logreg, (B, C, H, W) for
// resnet18 and cnn) and the labels `y` (I64 or I32, (B)). With --load CKPT the model's
// state comes from CKPT instead, through ws_model_load (the strict checkpoint
// loader), and IN needs only x and y.
//
// The tool runs one forward pass (train mode), the mean cross-entropy loss and
// one backward pass, and writes to OUT:
//   logits            F32 (B, CLASSES)
//   loss              F32 scalar (shape [])
//   grad.<name>       F32, each parameter's gradient
//   buffer.<name>     each buffer after that forward (train mode updates the
//                     BN running statistics and counts the batch)
// then takes --steps N optimizer steps on the same batch (each step recomputes
// the gradients from the current weights with a train-mode forward, as a torch
// loop of zero_grad / forward / backward / step does) and writes
//   losses               F32 (N): the loss before each step
//   param.<name>         F32, the parameters after the N steps
//   final.buffer.<name>  the buffers after the N steps (N train-mode forwards;
//                        the first is the one above)
// and with --trace, for every step k = 1..N,
//   step<k>.grad.<name>    the gradient step k applied
//   step<k>.param.<name>   the parameters after step k
//   step<k>.buffer.<name>  the buffers after step k's forward
//   step<k>.mask.<relu>    with --masks: step k's ReLU decisions (see below)
// With --eval, also
//   eval_logits       F32 (B, CLASSES): an eval-mode forward (BN on its running
//                     statistics) of the state as loaded, before anything else
// With --masks, also the ReLU decisions of the first forward, mask.<relu> (U8,
// see out_add_masks). With --save CKPT, the model after the N steps is saved
// with ws_model_save.
//
// Options: --opt sgd|adam (default sgd) --lr X (0.01) --momentum X --nesterov
// --wd X --adamw --beta1 X --beta2 X --eps X --steps N (0) --threads N (1) --trace
// --backend reference|onednn (the library's default: onednn) --conv-algo auto|direct --precision fp32|bf16
// --eval --masks --load CKPT --save CKPT
//
//   parity_tool inside MODEL IN.safetensors [--backend B] [--threads N] [--plan N] [--chunk N]
//
// measures the model (IN: its state, x and y as for step, and optionally every parameter's
// initial value as init.<name>) with ws_inside_measure (nn/inside.h) and prints the record
// (exp/inside_json.h) on stdout. --plan N: a training plan for batch N first (the probe then
// goes in chunks of N); --chunk N: chunks of N whatever the plan.
//
// Exit status: 0 on success, 1 on any error (one line on stderr), 2 on usage.
#define _DEFAULT_SOURCE // strsep, strdup
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ctx.h"
#include "exp/inside_json.h"
#include "io/safetensors.h"
#include "nn/model.h"
#include "ops/backend.h"
#include "optim/optim.h"
#include "parity_tool.h"

int fail(const char *msg) {
    fprintf(stderr, "parity_tool: error: %s\n", msg);
    return 1;
}

int usage(void) {
    fprintf(stderr,
            "usage: parity_tool step MODEL IN.safetensors OUT.safetensors [--opt sgd|adam] [--lr X]\n"
            "         [--momentum X] [--nesterov] [--wd X] [--adamw] [--beta1 X] [--beta2 X] [--eps X]\n"
            "         [--steps N] [--threads N] [--backend reference|onednn] [--conv-algo auto|direct] [--precision fp32|bf16] [--trace] [--eval] [--masks]\n"
            "         [--load CKPT] [--save CKPT]\n"
            "MODEL: mlp:IN:H1,H2,...:CLASSES[:tanh|:crelu][:ln][:nobias] | logreg:IN:CLASSES[:nobias] |\n"
            "       resnet18:C:H:W:WIDTH:CLASSES | cnn:C:H:W:CHANNELS:H1,H2:CLASSES[:crelu][:ln]\n"
            "       parity_tool inside MODEL IN.safetensors [--backend B] [--threads N] [--plan N] [--chunk N]\n"
            "       parity_tool learner MODEL LEARNER IN.safetensors OUT.safetensors [--opt sgd|adam] [--lr X]\n"
            "         [--wd X] [--adamw] [--steps N] [--seed S] [--begin R] [--examples N] [--end] [--trace]\n"
            "         [--normals PURPOSE] [--threads N] [--backend B]\n");
    return 2;
}

int parse_int(const char *s, int *out) {
    char *end;
    long v = strtol(s, &end, 10);
    if (end == s || *end || v < 1 || v > 100000000) return -1;
    *out = (int)v;
    return 0;
}

int parse_float(const char *s, float *out) {
    char *end;
    *out = strtof(s, &end);
    return end == s || *end ? -1 : 0;
}

// The words after the sizes: "tanh" (MLP), "crelu", "ln" (MLP, cnn), "nobias"; the
// model refuses what its kind does not take.
static int parse_words(char **words, int n, ws_model_spec *spec) {
    for (int i = 0; i < n; i++) {
        if (!strcmp(words[i], "tanh")) spec->act = WS_ACT_TANH;
        else if (!strcmp(words[i], "crelu")) spec->act = WS_ACT_CRELU;
        else if (!strcmp(words[i], "ln")) spec->layer_norm = 1;
        else if (!strcmp(words[i], "nobias")) spec->no_bias = 1;
        else return -1;
    }
    return 0;
}

static int parse_hidden(char *list, ws_model_spec *spec) {
    for (char *p = list, *tok; (tok = strsep(&p, ","));) {
        if (spec->nhidden >= WS_MAX_HIDDEN || parse_int(tok, &spec->hidden[spec->nhidden])) return -1;
        spec->nhidden++;
    }
    return 0;
}

// "mlp:784:100,100:10[:tanh|:crelu][:ln][:nobias]" | "logreg:3072:10[:nobias]" | "resnet18:3:32:32:16:10" |
// "cnn:3:32:32:16:100,100:10[:crelu][:ln]"
int parse_spec(const char *s, ws_model_spec *spec) {
    memset(spec, 0, sizeof *spec);
    char buf[256];
    if (strlen(s) >= sizeof buf) return -1;
    strcpy(buf, s);
    char *parts[10];
    int n = 0;
    for (char *p = buf, *tok; (tok = strsep(&p, ":")); n++) {
        if (n == 10) return -1;
        parts[n] = tok;
    }
    int in;
    if (n >= 3 && n <= 4 && !strcmp(parts[0], "logreg")) {
        spec->kind = WS_MODEL_LOGREG;
        if (parse_int(parts[1], &in) || parse_int(parts[2], &spec->num_classes) || parse_words(parts + 3, n - 3, spec))
            return -1;
    } else if (n >= 4 && n <= 7 && !strcmp(parts[0], "mlp")) {
        spec->kind = WS_MODEL_MLP;
        if (parse_int(parts[1], &in) || parse_int(parts[3], &spec->num_classes) || parse_words(parts + 4, n - 4, spec) ||
            parse_hidden(parts[2], spec))
            return -1;
    } else if (n >= 7 && n <= 9 && !strcmp(parts[0], "cnn")) {
        spec->kind = WS_MODEL_CNN;
        return parse_int(parts[1], &spec->input.c) || parse_int(parts[2], &spec->input.h) ||
                       parse_int(parts[3], &spec->input.w) || parse_int(parts[4], &spec->width) ||
                       parse_hidden(parts[5], spec) || parse_int(parts[6], &spec->num_classes) ||
                       parse_words(parts + 7, n - 7, spec)
                   ? -1
                   : 0;
    } else if (n == 6 && !strcmp(parts[0], "resnet18")) {
        spec->kind = WS_MODEL_RESNET18;
        if (parse_int(parts[1], &spec->input.c) || parse_int(parts[2], &spec->input.h) ||
            parse_int(parts[3], &spec->input.w) || parse_int(parts[4], &spec->width) ||
            parse_int(parts[5], &spec->num_classes))
            return -1;
        return 0;
    } else {
        return -1;
    }
    spec->input = (ws_shape){in, 1, 1};
    return 0;
}

// Copy every parameter and buffer from the input file (checked: dtype, exact shape).
ws_status load_state(ws_ctx *ctx, ws_model *m, const ws_st_file *f, const char *path) {
    for (int i = 0; i < m->nparams; i++) {
        const ws_param *p = &m->params[i];
        const ws_st_tensor *t = ws_st_find(f, p->name);
        if (!t) return ws_fail(ctx, WS_ERR_FORMAT, "%s: missing tensor '%s' for model %s", path, p->name, m->arch);
        int same = t->dtype == WS_ST_F32 && t->ndim == p->ndim;
        for (int k = 0; same && k < p->ndim; k++) same = t->dims[k] == p->dims[k];
        if (!same) return ws_fail(ctx, WS_ERR_FORMAT, "%s: tensor '%s' has the wrong dtype or shape", path, p->name);
        memcpy(m->w + p->offset, t->data, (size_t)t->nbytes);
    }
    for (int i = 0; i < m->nbuffers; i++) {
        const ws_buffer *b = &m->buffers[i];
        const ws_st_tensor *t = ws_st_find(f, b->name);
        if (!t) return ws_fail(ctx, WS_ERR_FORMAT, "%s: missing buffer '%s' for model %s", path, b->name, m->arch);
        int same = t->dtype == (b->dtype == WS_BUF_F32 ? WS_ST_F32 : WS_ST_I64) && t->ndim == b->ndim;
        for (int k = 0; same && k < b->ndim; k++) same = t->dims[k] == b->dims[k];
        if (!same) return ws_fail(ctx, WS_ERR_FORMAT, "%s: buffer '%s' has the wrong dtype or shape", path, b->name);
        if (b->dtype == WS_BUF_F32) memcpy(m->buf + b->offset, t->data, (size_t)t->nbytes);
        else memcpy(m->ibuf + b->offset, t->data, (size_t)t->nbytes);
    }
    return WS_OK;
}


int out_add(out_list *o, const char *name, ws_st_dtype dt, int ndim, const int64_t *dims, const void *data,
                   size_t bytes) {
    if (o->n == o->cap) {
        int cap = o->cap ? 2 * o->cap : 64;
        ws_st_entry *e = realloc(o->e, sizeof *e * (size_t)cap);
        if (e) o->e = e;
        char **names = realloc(o->names, sizeof *names * (size_t)cap);
        if (names) o->names = names;
        void **bufs = realloc(o->bufs, sizeof *bufs * (size_t)cap);
        if (bufs) o->bufs = bufs;
        if (!e || !names || !bufs) return -1;
        o->cap = cap;
    }
    char *nm = strdup(name);
    void *copy = malloc(bytes ? bytes : 1);
    if (!nm || !copy) {
        free(nm);
        free(copy);
        return -1;
    }
    memcpy(copy, data, bytes);
    ws_st_entry *e = &o->e[o->n];
    memset(e, 0, sizeof *e);
    e->name = nm;
    e->dtype = dt;
    e->ndim = ndim;
    for (int k = 0; k < ndim; k++) e->dims[k] = dims[k];
    e->data = copy;
    o->names[o->n] = nm;
    o->bufs[o->n] = copy;
    o->n++;
    return 0;
}

void out_free(out_list *o) {
    for (int i = 0; i < o->n; i++) {
        free(o->names[i]);
        free(o->bufs[i]);
    }
    free(o->e);
    free(o->names);
    free(o->bufs);
    memset(o, 0, sizeof *o);
}

// Add every parameter (from `arena`: weights or gradients) as "<prefix><name>".
int out_add_arena(out_list *o, const ws_model *m, const float *arena, const char *prefix) {
    for (int i = 0; i < m->nparams; i++) {
        const ws_param *p = &m->params[i];
        char name[160];
        snprintf(name, sizeof name, "%s%s", prefix, p->name);
        int64_t dims[4];
        for (int k = 0; k < p->ndim; k++) dims[k] = p->dims[k];
        if (out_add(o, name, WS_ST_F32, p->ndim, dims, arena + p->offset, sizeof(float) * (size_t)p->numel)) return -1;
    }
    return 0;
}

// Add every buffer (as it is now) as "<prefix><name>", in its own dtype.
int out_add_buffers(out_list *o, const ws_model *m, const char *prefix) {
    for (int i = 0; i < m->nbuffers; i++) {
        const ws_buffer *b = &m->buffers[i];
        char name[160];
        snprintf(name, sizeof name, "%s%s", prefix, b->name);
        int64_t dims[4];
        for (int k = 0; k < b->ndim; k++) dims[k] = b->dims[k];
        int err = b->dtype == WS_BUF_F32
                      ? out_add(o, name, WS_ST_F32, b->ndim, dims, m->buf + b->offset, sizeof(float) * (size_t)b->numel)
                      : out_add(o, name, WS_ST_I64, b->ndim, dims, m->ibuf + b->offset, sizeof(int64_t) * (size_t)b->numel);
        if (err) return -1;
    }
    return 0;
}

// ---- ReLU decisions (--masks) -------------------------------------------------------------------
//
// Where a ReLU's input lies within float32 rounding of 0, two correct
// implementations can take opposite sides of the kink, and one such element
// moves a conv or BN gradient by up to ~1e-1 of its scale. --masks therefore
// writes, after each train-mode forward whose gradients are reported, which
// side every ReLU took (U8, 1 where its input > 0, so where the output > 0,
// which is what the backward passes through), for the reference to follow:
//   mask.relu                 the stem's ReLU (fused into the model's stem layer conv1)
//   mask.<block>.relu1        relu(bn1(conv1 x)) inside a BasicBlock
//   mask.<block>.relu2        the block's output ReLU, after the residual sum
// The block's inner activation is not exposed by the model, so it is recomputed
// with the same backend calls on the same data (bitwise what the forward
// computed: the stem's conv + BN output, which the model does expose, is
// recomputed the same way and must come out bitwise equal).

static int add_mask(out_list *o, const char *prefix, const char *name, const float *act, int B, ws_shape s) {
    int64_t n = (int64_t)B * ws_shape_numel(s);
    uint8_t *mk = malloc((size_t)n);
    if (!mk) return -1;
    for (int64_t i = 0; i < n; i++) mk[i] = act[i] > 0.0f;
    char full[192];
    snprintf(full, sizeof full, "%smask.%s", prefix, name);
    int64_t dims[4] = {B, s.c, s.h, s.w};
    int err = out_add(o, full, WS_ST_U8, 4, dims, mk, (size_t)n);
    free(mk);
    return err;
}

// relu(train-mode BN(conv(in))) (no conv bias) with the parameters
// "<conv>.weight", "<bn>.weight", "<bn>.bias", as the model's forward runs them
// (the same backend calls, so bitwise the same result); in and out in the
// backend's activation layout (in is NCHW data when input_nchw). The model's
// running statistics are left alone. Returns 0, or -1 (shape, memory).
static int conv_bn_relu_again(ws_ctx *ctx, const ws_model *m, const char *conv, const char *bn, const float *in,
                              int input_nchw, int B, ws_shape sin, ws_shape sout, int pad, float *out) {
    char name[192];
    snprintf(name, sizeof name, "%s.weight", conv);
    const ws_param *w = ws_model_param(m, name);
    snprintf(name, sizeof name, "%s.weight", bn);
    const ws_param *g = ws_model_param(m, name);
    snprintf(name, sizeof name, "%s.bias", bn);
    const ws_param *b = ws_model_param(m, name);
    if (!w || !g || !b || w->ndim != 4 || w->dims[0] != sout.c || w->dims[1] != sin.c) return -1;
    ws_conv_shape cs = {0};
    int found = 0;
    for (int stride = 1; stride <= 2 && !found; stride++) {
        cs = (ws_conv_shape){.B = B, .C = sin.c, .H = sin.h, .W = sin.w, .O = sout.c, .KH = w->dims[2],
                             .KW = w->dims[3], .stride = stride, .pad = pad, .input_nchw = input_nchw};
        found = !ws_conv_shape_resolve(&cs) && cs.OH == sout.h && cs.OW == sout.w;
    }
    if (!found) return -1;
    const ws_backend *be = ws_backend_of(ctx);
    int64_t nz = (int64_t)B * sout.c * sout.h * sout.w, nws = be->conv2d_workspace(&cs);
    float *z = malloc(sizeof(float) * (size_t)nz), *ws = malloc(sizeof(float) * (size_t)(nws ? nws : 1));
    float *stats = malloc(sizeof(float) * 4 * (size_t)sout.c);
    int rc = -1;
    if (z && ws && stats) {
        float *mean = stats, *invstd = stats + sout.c, *rm = stats + 2 * sout.c, *rv = stats + 3 * sout.c;
        for (int c = 0; c < sout.c; c++) rm[c] = 0.0f, rv[c] = 1.0f; // scratch copies: the model's stay put
        be->conv2d_forward(ctx, z, in, m->w + w->offset, NULL, &cs, ws);
        be->bn_act_forward_train(ctx, out, mean, invstd, rm, rv, z, NULL, m->w + g->offset, m->w + b->offset, B,
                                 sout.c, sout.h * sout.w, 0.1f, 1e-5f, 1);
        rc = ctx->fault ? -1 : 0;
    }
    free(z);
    free(ws);
    free(stats);
    return rc;
}

// add_mask of an activation in the backend's layout.
static int add_mask_of(ws_ctx *ctx, out_list *o, const char *prefix, const char *name, const float *act, int B,
                       ws_shape s) {
    int64_t n = (int64_t)B * ws_shape_numel(s);
    float *plain = malloc(sizeof(float) * (size_t)n);
    if (!plain) return -1;
    ws_backend_of(ctx)->act_to_nchw(ctx, plain, act, B, s.c, s.h * s.w);
    int err = add_mask(o, prefix, name, plain, B, s);
    free(plain);
    return err;
}

// The ReLU decisions of the last train-mode forward of x, as "<prefix>mask.<name>".
// Returns 0, or one line on stderr and -1.
static int out_add_masks(ws_ctx *ctx, out_list *o, const ws_model *m, const float *x, int B, const char *prefix) {
    for (int i = 0; i < m->nlayers; i++) {
        const ws_layer *L = &m->layers[i];
        const float *in = i ? m->act[i] : x, *out = m->act[i + 1];
        if (!strcmp(L->ops->kind, "conv_bn_relu") && i == 0) {
            // Self-check of the recomputation on the stem, whose output the model keeps.
            int64_t n = (int64_t)B * ws_shape_numel(L->out);
            float *again = malloc(sizeof(float) * (size_t)n);
            int bad = !again || conv_bn_relu_again(ctx, m, "conv1", "bn1", x, 1, B, L->in, L->out, 1, again) ||
                      memcmp(again, out, sizeof(float) * (size_t)n);
            free(again);
            if (bad) {
                fprintf(stderr, "parity_tool: error: --masks: recomputing conv1 + bn1 + relu does not reproduce the "
                                "model's output bitwise\n");
                return -1;
            }
            if (add_mask_of(ctx, o, prefix, "relu", out, B, L->out)) goto oom; // the stem's ReLU, as PyTorch names it
        } else if (!strcmp(L->ops->kind, "basic_block")) {
            int64_t n = (int64_t)B * ws_shape_numel(L->out);
            float *h1 = malloc(sizeof(float) * (size_t)n);
            char conv[96], bn[96], name[96];
            snprintf(conv, sizeof conv, "%s.conv1", L->name);
            snprintf(bn, sizeof bn, "%s.bn1", L->name);
            if (!h1 || conv_bn_relu_again(ctx, m, conv, bn, in, 0, B, L->in, L->out, 1, h1)) {
                free(h1);
                fprintf(stderr, "parity_tool: error: --masks: cannot recompute %s's first conv + BN\n", L->name);
                return -1;
            }
            snprintf(name, sizeof name, "%s.relu1", L->name);
            int err = add_mask_of(ctx, o, prefix, name, h1, B, L->out);
            free(h1);
            snprintf(name, sizeof name, "%s.relu2", L->name);
            if (err || add_mask_of(ctx, o, prefix, name, out, B, L->out)) goto oom;
        }
    }
    return 0;
oom:
    fprintf(stderr, "parity_tool: error: out of memory\n");
    return -1;
}

// Forward (train mode) + loss + zero_grad + backward on the batch; returns the
// mean loss. `logits_out`, if not NULL, gets a copy of the forward's logits.
static double forward_backward(ws_ctx *ctx, ws_model *m, const float *x, const int32_t *y, int B, float *logits_out) {
    const float *logits = ws_model_forward(ctx, m, x, B, 1);
    if (logits_out) memcpy(logits_out, logits, sizeof(float) * (size_t)B * (size_t)m->spec.num_classes);
    double loss = ws_model_loss(ctx, m, y, B, NULL);
    ws_model_zero_grad(m);
    ws_model_backward(ctx, m, y, B);
    return loss;
}

static int cmd_step(int argc, char **argv) {
    if (argc < 3) return usage();
    const char *spec_s = argv[0], *in_path = argv[1], *out_path = argv[2];
    ws_opt_kind kind = WS_OPT_SGD;
    float lr = 0.01f, momentum = 0, wd = 0, beta1 = 0.9f, beta2 = 0.999f, eps = 1e-8f;
    int nesterov = 0, adamw = 0, steps = 0, threads = 1, trace = 0, eval = 0, masks = 0;
    const char *backend = NULL, *conv_algo = NULL, *precision = NULL;
    const char *load_path = NULL, *save_path = NULL;
    for (int i = 3; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int bad = 0;
        if (!strcmp(a, "--nesterov")) nesterov = 1;
        else if (!strcmp(a, "--adamw")) adamw = 1;
        else if (!strcmp(a, "--trace")) trace = 1;
        else if (!strcmp(a, "--eval")) eval = 1;
        else if (!strcmp(a, "--masks")) masks = 1;
        else if (!v) return usage();
        else {
            i++;
            if (!strcmp(a, "--opt")) {
                if (!strcmp(v, "sgd")) kind = WS_OPT_SGD;
                else if (!strcmp(v, "adam")) kind = WS_OPT_ADAM;
                else bad = 1;
            } else if (!strcmp(a, "--lr")) bad = parse_float(v, &lr);
            else if (!strcmp(a, "--momentum")) bad = parse_float(v, &momentum);
            else if (!strcmp(a, "--wd")) bad = parse_float(v, &wd);
            else if (!strcmp(a, "--beta1")) bad = parse_float(v, &beta1);
            else if (!strcmp(a, "--beta2")) bad = parse_float(v, &beta2);
            else if (!strcmp(a, "--eps")) bad = parse_float(v, &eps);
            else if (!strcmp(a, "--steps")) {
                if (!strcmp(v, "0")) steps = 0;
                else bad = parse_int(v, &steps);
            } else if (!strcmp(a, "--threads")) bad = parse_int(v, &threads);
            else if (!strcmp(a, "--backend")) backend = v;
            else if (!strcmp(a, "--conv-algo")) conv_algo = v;
            else if (!strcmp(a, "--precision")) precision = v;
            else if (!strcmp(a, "--load")) load_path = v;
            else if (!strcmp(a, "--save")) save_path = v;
            else return usage();
        }
        if (bad) {
            fprintf(stderr, "parity_tool: error: bad value for %s\n", a);
            return 2;
        }
    }
    if (kind == WS_OPT_ADAM && (momentum > 0 || nesterov)) return fail("--momentum/--nesterov are SGD options");
    if (kind == WS_OPT_SGD && adamw) return fail("--adamw is an Adam option");
    ws_model_spec spec;
    if (parse_spec(spec_s, &spec)) return usage();

    ws_ctx ctx;
    ws_ctx_init(&ctx, threads);
    if (backend && ws_ctx_set_backend(&ctx, backend)) return fail(ctx.err);
    if (conv_algo && ws_ctx_set_conv_algo(&ctx, conv_algo)) return fail(ctx.err);
    if (precision && ws_ctx_set_precision(&ctx, precision)) return fail(ctx.err);
    ws_opt_config oc = ws_opt_defaults(kind, lr);
    oc.weight_decay = wd;
    oc.momentum = momentum;
    oc.nesterov = nesterov;
    oc.beta1 = beta1;
    oc.beta2 = beta2;
    oc.eps = eps;
    oc.decoupled = adamw;
    if (ws_opt_config_check(&ctx, &oc)) return fail(ctx.err);

    int rc = 1;
    ws_model *m = NULL;
    ws_optim opt = {0};
    ws_st_file f = {0};
    out_list out = {0};
    float *x = NULL, *logits = NULL;
    int32_t *y = NULL;
    if (ws_model_create(&ctx, &m, &spec) || ws_st_read(&ctx, &f, in_path) ||
        (load_path ? ws_model_load(&ctx, m, load_path) : load_state(&ctx, m, &f, in_path))) {
        fail(ctx.err);
        goto done;
    }
    const int64_t in = ws_shape_numel(spec.input);
    const int C = spec.num_classes;
    const int image = spec.kind == WS_MODEL_RESNET18 || spec.kind == WS_MODEL_CNN;
    const ws_st_tensor *tx = ws_st_find(&f, "x"), *ty = ws_st_find(&f, "y");
    int x_ok = tx && tx->dtype == WS_ST_F32 && tx->ndim == (image ? 4 : 2) && tx->dims[0] >= 1;
    if (x_ok && image)
        x_ok = tx->dims[1] == spec.input.c && tx->dims[2] == spec.input.h && tx->dims[3] == spec.input.w;
    else if (x_ok)
        x_ok = tx->dims[1] == in;
    if (!x_ok) {
        if (image)
            fprintf(stderr, "parity_tool: error: %s: need tensor 'x', F32 (B, %d, %d, %d)\n", in_path, spec.input.c,
                    spec.input.h, spec.input.w);
        else
            fprintf(stderr, "parity_tool: error: %s: need tensor 'x', F32 (B, %lld)\n", in_path, (long long)in);
        goto done;
    }
    const int B = (int)tx->dims[0];
    if (!ty || (ty->dtype != WS_ST_I64 && ty->dtype != WS_ST_I32) || ty->ndim != 1 || ty->dims[0] != B) {
        fprintf(stderr, "parity_tool: error: %s: need tensor 'y', I64 or I32 (%d)\n", in_path, B);
        goto done;
    }
    x = malloc(sizeof(float) * (size_t)B * (size_t)in);
    y = malloc(sizeof(int32_t) * (size_t)B);
    if (!x || !y) {
        fail("out of memory");
        goto done;
    }
    memcpy(x, tx->data, (size_t)tx->nbytes);
    for (int b = 0; b < B; b++) {
        int64_t v;
        if (ty->dtype == WS_ST_I64) memcpy(&v, ty->data + 8 * b, 8);
        else {
            int32_t v32;
            memcpy(&v32, ty->data + 4 * b, 4);
            v = v32;
        }
        if (v < 0 || v >= C) {
            fprintf(stderr, "parity_tool: error: %s: label y[%d] = %lld outside [0, %d)\n", in_path, b, (long long)v, C);
            goto done;
        }
        y[b] = (int32_t)v;
    }
    if (ws_model_plan(&ctx, m, B) || ws_optim_create(&ctx, &opt, &oc, m->nweights)) {
        fail(ctx.err);
        goto done;
    }

    int64_t ldims[2] = {B, C};
    logits = malloc(sizeof(float) * (size_t)B * (size_t)C);
    if (!logits) {
        fail("out of memory");
        goto done;
    }
    // Eval mode first: it reads the running statistics as loaded and changes nothing.
    if (eval) {
        memcpy(logits, ws_model_forward(&ctx, m, x, B, 0), sizeof(float) * (size_t)B * (size_t)C);
        if (out_add(&out, "eval_logits", WS_ST_F32, 2, ldims, logits, sizeof(float) * (size_t)B * (size_t)C)) {
            fail("out of memory");
            goto done;
        }
    }

    // The first forward / backward: logits, loss, gradients and the buffers it updated.
    double loss = forward_backward(&ctx, m, x, y, B, logits);
    float loss32 = (float)loss;
    if (out_add(&out, "logits", WS_ST_F32, 2, ldims, logits, sizeof(float) * (size_t)B * (size_t)C) ||
        out_add(&out, "loss", WS_ST_F32, 0, NULL, &loss32, sizeof loss32) || out_add_arena(&out, m, m->g, "grad.") ||
        out_add_buffers(&out, m, "buffer.")) {
        fail("out of memory");
        goto done;
    }
    if (masks && out_add_masks(&ctx, &out, m, x, B, "")) goto done;

    // N optimizer steps on the same batch; the gradients of step 1 are those above.
    float *losses = calloc((size_t)(steps ? steps : 1), sizeof(float));
    if (!losses) {
        fail("out of memory");
        goto done;
    }
    for (int k = 1; k <= steps; k++) {
        if (k > 1) loss = forward_backward(&ctx, m, x, y, B, NULL);
        if (trace && masks) { // the decisions of this step's forward, before the step changes the weights
            char prefix[64];
            snprintf(prefix, sizeof prefix, "step%d.", k);
            if (out_add_masks(&ctx, &out, m, x, B, prefix)) {
                free(losses);
                goto done;
            }
        }
        losses[k - 1] = (float)loss;
        ws_optim_step(&opt, m->w, m->g);
        if (trace) {
            char prefix[64];
            snprintf(prefix, sizeof prefix, "step%d.grad.", k);
            int err = out_add_arena(&out, m, m->g, prefix);
            snprintf(prefix, sizeof prefix, "step%d.buffer.", k);
            err = err || out_add_buffers(&out, m, prefix);

            snprintf(prefix, sizeof prefix, "step%d.param.", k);
            if (err || out_add_arena(&out, m, m->w, prefix)) {
                free(losses);
                fail("out of memory");
                goto done;
            }
        }
    }
    int64_t sdims[1] = {steps};
    int err = out_add(&out, "losses", WS_ST_F32, 1, sdims, losses, sizeof(float) * (size_t)steps) ||
              out_add_arena(&out, m, m->w, "param.") || out_add_buffers(&out, m, "final.buffer.");
    free(losses);
    if (err) {
        fail("out of memory");
        goto done;
    }
    if (save_path && ws_model_save(&ctx, m, save_path)) {
        fail(ctx.err);
        goto done;
    }
    if (ws_st_write(&ctx, out_path, out.e, out.n, NULL, 0)) {
        fail(ctx.err);
        goto done;
    }
    rc = 0;
done:
    out_free(&out);
    free(x);
    free(y);
    free(logits);
    ws_st_close(&f);
    ws_optim_free(&opt);
    ws_model_free(m);
    ws_ctx_release(&ctx);
    return rc;
}

// The probe x (F32, the model's input shape with a batch in front) and labels y (I64/I32) of f,
// into fresh arrays; -1 with the reason on stderr.
static int read_probe(const ws_st_file *f, const ws_model_spec *spec, const char *path, float **x, int32_t **y, int *B) {
    const ws_st_tensor *tx = ws_st_find(f, "x"), *ty = ws_st_find(f, "y");
    const int image = spec->kind == WS_MODEL_RESNET18 || spec->kind == WS_MODEL_CNN;
    const int64_t in = ws_shape_numel(spec->input);
    int ok = tx && tx->dtype == WS_ST_F32 && tx->ndim >= 2 && tx->dims[0] >= 1 && ty && ty->ndim == 1 &&
             ty->dims[0] == tx->dims[0] && (ty->dtype == WS_ST_I64 || ty->dtype == WS_ST_I32);
    if (ok) ok = (int64_t)tx->nbytes == tx->dims[0] * in * 4 && tx->ndim == (image ? 4 : 2);
    if (!ok) {
        fprintf(stderr, "parity_tool: error: %s: need x (F32, B x the model's input) and y (I64 or I32, B)\n", path);
        return -1;
    }
    *B = (int)tx->dims[0];
    *x = malloc((size_t)tx->nbytes);
    *y = malloc(sizeof(int32_t) * (size_t)*B);
    if (!*x || !*y) {
        fail("out of memory");
        return -1;
    }
    memcpy(*x, tx->data, (size_t)tx->nbytes);
    for (int b = 0; b < *B; b++) {
        int64_t v = 0;
        if (ty->dtype == WS_ST_I64) memcpy(&v, ty->data + 8 * b, 8);
        else {
            int32_t v32;
            memcpy(&v32, ty->data + 4 * b, 4);
            v = v32;
        }
        if (v < 0 || v >= spec->num_classes) {
            fprintf(stderr, "parity_tool: error: %s: label y[%d] = %lld out of range\n", path, b, (long long)v);
            return -1;
        }
        (*y)[b] = (int32_t)v;
    }
    return 0;
}

static int cmd_inside(int argc, char **argv) {
    if (argc < 2) return usage();
    const char *spec_s = argv[0], *in_path = argv[1], *backend = NULL;
    int threads = 1, plan = 0, chunk = 0;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v) return usage();
        if (!strcmp(a, "--backend")) backend = v;
        else if (!strcmp(a, "--threads") && !parse_int(v, &threads)) {
        } else if (!strcmp(a, "--plan") && !parse_int(v, &plan)) {
        } else if (!strcmp(a, "--chunk") && !parse_int(v, &chunk)) {
        } else return usage();
        i++;
    }
    ws_model_spec spec;
    if (parse_spec(spec_s, &spec)) return usage();
    ws_ctx ctx;
    ws_ctx_init(&ctx, threads);
    if (backend && ws_ctx_set_backend(&ctx, backend)) return fail(ctx.err);
    int rc = 1;
    ws_model *m = NULL;
    ws_st_file f = {0};
    float *x = NULL, *w0 = NULL;
    int32_t *y = NULL;
    int B = 0, have_init = 0;
    if (ws_model_create(&ctx, &m, &spec) || ws_st_read(&ctx, &f, in_path) || load_state(&ctx, m, &f, in_path) ||
        (plan && ws_model_plan(&ctx, m, plan))) {
        fail(ctx.err);
        goto done;
    }
    if (read_probe(&f, &spec, in_path, &x, &y, &B)) goto done;
    if (!(w0 = malloc(sizeof(float) * (size_t)m->nweights))) {
        fail("out of memory");
        goto done;
    }
    for (int i = 0; i < m->nparams; i++) { // init.<name>: all or none
        char name[80];
        snprintf(name, sizeof name, "init.%s", m->params[i].name);
        const ws_st_tensor *t = ws_st_find(&f, name);
        if (t && t->dtype == WS_ST_F32 && (int64_t)t->nbytes == m->params[i].numel * 4) {
            memcpy(w0 + m->params[i].offset, t->data, (size_t)t->nbytes);
            have_init++;
        }
    }
    if (have_init && have_init != m->nparams) {
        fail("init.<name>: every parameter's initial value, F32 in its shape, or none");
        goto done;
    }
    ws_inside r;
    if (ws_inside_measure(&ctx, m, have_init ? w0 : NULL, x, y, B, &(ws_inside_opts){.chunk = chunk}, &r)) {
        fail(ctx.err);
        goto done;
    }
    cJSON *j = ws_inside_to_json(&r);
    char *text = j ? cJSON_Print(j) : NULL;
    cJSON_Delete(j);
    if (!text) {
        fail("out of memory");
        goto done;
    }
    printf("%s\n", text);
    free(text);
    rc = 0;
done:
    free(x), free(y), free(w0);
    ws_st_close(&f);
    ws_model_free(m);
    ws_ctx_release(&ctx);
    return rc;
}

int main(int argc, char **argv) {
    if (argc < 2) return usage();
    if (!strcmp(argv[1], "step")) return cmd_step(argc - 2, argv + 2);
    if (!strcmp(argv[1], "inside")) return cmd_inside(argc - 2, argv + 2);
    if (!strcmp(argv[1], "learner")) return cmd_learner(argc - 2, argv + 2);
    return usage();
}
