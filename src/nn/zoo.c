// The model zoo: kinds by name, their descriptions, and ws_model_create, which
// checks a spec and builds logistic regression, the MLP (here) or ResNet-18
// (nn/resnet.c) into a model container (nn/model.c).
#include "nn/zoo.h"

#include <stdio.h>
#include <string.h>

#include "nn/model.h"

ws_status ws_model_kind_parse(ws_ctx *ctx, const char *s, ws_model_kind *out) {
    if (!strcmp(s, "logreg")) *out = WS_MODEL_LOGREG;
    else if (!strcmp(s, "mlp")) *out = WS_MODEL_MLP;
    else if (!strcmp(s, "resnet18")) *out = WS_MODEL_RESNET18;
    else return ws_fail(ctx, WS_ERR_ARG, "unknown model '%s' (expected logreg, mlp or resnet18)", s);
    return WS_OK;
}

const char *ws_model_kind_name(ws_model_kind k) {
    return k == WS_MODEL_LOGREG ? "logreg" : k == WS_MODEL_MLP ? "mlp" : "resnet18";
}

const char *ws_activation_name(ws_activation a) { return a == WS_ACT_TANH ? "tanh" : "relu"; }

ws_status ws_activation_parse(ws_ctx *ctx, const char *s, ws_activation *out) {
    if (!strcmp(s, "relu")) *out = WS_ACT_RELU;
    else if (!strcmp(s, "tanh")) *out = WS_ACT_TANH;
    else return ws_fail(ctx, WS_ERR_ARG, "unknown activation '%s' (expected relu or tanh)", s);
    return WS_OK;
}

int ws_arch_activation(const char *arch) {
    if (strncmp(arch, "mlp ", 4)) return -1;
    for (const char *p = arch + 4; *p;) { // the words after the sizes
        size_t n = strcspn(p, " ");
        if (n == 4 && !strncmp(p, "tanh", 4)) return WS_ACT_TANH;
        p += n + (p[n] == ' ');
    }
    return WS_ACT_RELU;
}

void ws_model_describe(const ws_model_spec *spec, char *buf, size_t cap) {
    if (spec->kind == WS_MODEL_RESNET18) {
        snprintf(buf, cap, "resnet18 w%d %dx%dx%d-%d", spec->width, spec->input.c, spec->input.h, spec->input.w,
                 spec->num_classes);
        return;
    }
    int n = snprintf(buf, cap, "%s %lld", ws_model_kind_name(spec->kind), (long long)ws_shape_numel(spec->input));
    for (int i = 0; spec->kind == WS_MODEL_MLP && i < spec->nhidden && n < (int)cap; i++)
        n += snprintf(buf + n, cap - (size_t)n, "-%d", spec->hidden[i]);
    if (n < (int)cap) n += snprintf(buf + n, cap - (size_t)n, "-%d", spec->num_classes);
    // The ReLU MLP with biases, the official code's, keeps its plain description
    // (results and checkpoints written before these words existed read the same).
    if (spec->kind == WS_MODEL_MLP && spec->act != WS_ACT_RELU && n < (int)cap)
        n += snprintf(buf + n, cap - (size_t)n, " %s", ws_activation_name(spec->act));
    if (spec->no_bias && n < (int)cap) snprintf(buf + n, cap - (size_t)n, " nobias");
}

// A Linear layer with or without its bias, as the spec says.
static void add_linear(ws_model *m, const char *name, int in, int out) {
    if (m->spec.no_bias) ws_layer_linear_nobias(m, ws_model_add_layer(m), name, in, out);
    else ws_layer_linear(m, ws_model_add_layer(m), name, in, out);
}

// Logistic regression (flatten, linear) or the official code's MLP: lm1 .. lmK
// Linear layers with ReLU (or tanh) between; without biases if the spec says so.
static void build_linear_stack(ws_model *m) {
    const ws_model_spec *spec = &m->spec;
    const int in = (int)ws_shape_numel(spec->input);
    ws_layer_flatten(ws_model_add_layer(m), "flatten", spec->input);
    if (spec->kind == WS_MODEL_LOGREG) {
        add_linear(m, "linear", in, spec->num_classes);
        return;
    }
    char name[16];
    int prev = in;
    for (int i = 0; i < spec->nhidden; i++) {
        snprintf(name, sizeof name, "lm%d", i + 1);
        add_linear(m, name, prev, spec->hidden[i]);
        const ws_shape h = {spec->hidden[i], 1, 1};
        snprintf(name, sizeof name, "%s%d", ws_activation_name(spec->act), i + 1);
        if (spec->act == WS_ACT_TANH) ws_layer_tanh(ws_model_add_layer(m), name, h);
        else ws_layer_relu(ws_model_add_layer(m), name, h);
        prev = spec->hidden[i];
    }
    snprintf(name, sizeof name, "lm%d", spec->nhidden + 1);
    add_linear(m, name, prev, spec->num_classes);
}

ws_status ws_model_create(ws_ctx *ctx, ws_model **out, const ws_model_spec *spec) {
    *out = NULL;
    if (spec->num_classes < 2) return ws_fail(ctx, WS_ERR_ARG, "model needs at least 2 classes, got %d", spec->num_classes);
    if (ws_shape_numel(spec->input) <= 0) return ws_fail(ctx, WS_ERR_ARG, "model input shape is empty");
    if (spec->kind == WS_MODEL_MLP && (spec->nhidden < 1 || spec->nhidden > WS_MAX_HIDDEN))
        return ws_fail(ctx, WS_ERR_ARG, "MLP needs 1..%d hidden layers, got %d", WS_MAX_HIDDEN, spec->nhidden);
    for (int i = 0; spec->kind == WS_MODEL_MLP && i < spec->nhidden; i++)
        if (spec->hidden[i] < 1) return ws_fail(ctx, WS_ERR_ARG, "MLP hidden size %d is not positive", spec->hidden[i]);

    if (spec->kind == WS_MODEL_RESNET18 && (spec->width < 1 || spec->width > 1024))
        return ws_fail(ctx, WS_ERR_ARG, "ResNet-18 width %d must be in [1, 1024]", spec->width);
    if (spec->act != WS_ACT_RELU && spec->act != WS_ACT_TANH)
        return ws_fail(ctx, WS_ERR_ARG, "activation %d: expected ReLU or tanh", (int)spec->act);
    if (spec->act != WS_ACT_RELU && spec->kind != WS_MODEL_MLP)
        return ws_fail(ctx, WS_ERR_ARG, "a %s activation is for the MLP; %s %s", ws_activation_name(spec->act),
                       ws_model_kind_name(spec->kind),
                       spec->kind == WS_MODEL_LOGREG ? "has no hidden layer" : "is built with ReLU");
    if (spec->no_bias && spec->kind == WS_MODEL_RESNET18)
        return ws_fail(ctx, WS_ERR_ARG, "Linear layers without biases are for the MLP and logreg, not resnet18");

    ws_model *m = ws_model_new(ctx, spec);
    if (!m) return WS_ERR_NOMEM;
    if (spec->kind == WS_MODEL_RESNET18) {
        ws_status st = ws_build_resnet18(ctx, m);
        if (st) {
            ws_model_free(m);
            return st;
        }
    } else {
        build_linear_stack(m);
    }
    ws_model_describe(spec, m->arch, sizeof m->arch);
    return ws_model_finish(ctx, m, out);
}
