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

void ws_model_describe(const ws_model_spec *spec, char *buf, size_t cap) {
    if (spec->kind == WS_MODEL_RESNET18) {
        snprintf(buf, cap, "resnet18 w%d %dx%dx%d-%d", spec->width, spec->input.c, spec->input.h, spec->input.w,
                 spec->num_classes);
        return;
    }
    int n = snprintf(buf, cap, "%s %lld", ws_model_kind_name(spec->kind), (long long)ws_shape_numel(spec->input));
    for (int i = 0; spec->kind == WS_MODEL_MLP && i < spec->nhidden && n < (int)cap; i++)
        n += snprintf(buf + n, cap - (size_t)n, "-%d", spec->hidden[i]);
    if (n < (int)cap) snprintf(buf + n, cap - (size_t)n, "-%d", spec->num_classes);
}

// Logistic regression (flatten, linear) or the official code's MLP: lm1 .. lmK
// Linear layers with ReLU between.
static void build_linear_stack(ws_model *m) {
    const ws_model_spec *spec = &m->spec;
    int in = (int)ws_shape_numel(spec->input);
    ws_layer_flatten(ws_model_add_layer(m), "flatten", spec->input);
    if (spec->kind == WS_MODEL_LOGREG) {
        ws_layer_linear(m, ws_model_add_layer(m), "linear", in, spec->num_classes);
        return;
    }
    char name[16];
    int prev = in;
    for (int i = 0; i < spec->nhidden; i++) {
        snprintf(name, sizeof name, "lm%d", i + 1);
        ws_layer_linear(m, ws_model_add_layer(m), name, prev, spec->hidden[i]);
        snprintf(name, sizeof name, "relu%d", i + 1);
        ws_layer_relu(ws_model_add_layer(m), name, (ws_shape){spec->hidden[i], 1, 1});
        prev = spec->hidden[i];
    }
    snprintf(name, sizeof name, "lm%d", spec->nhidden + 1);
    ws_layer_linear(m, ws_model_add_layer(m), name, prev, spec->num_classes);
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
