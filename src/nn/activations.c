// Parameter-free layers: ReLU, tanh, CReLU and Flatten.
#include <stdio.h>

#include "nn/model.h"
#include "ops/backend.h"

static void relu_forward(ws_layer *L, ws_ctx *ctx, ws_model *m, float *out, const float *in, int B, int train) {
    (void)m; (void)train;
    ws_backend_of(ctx)->relu_forward(ctx, out, in, (int64_t)B * ws_shape_numel(L->in));
}

static void relu_backward(ws_layer *L, ws_ctx *ctx, ws_model *m, float *din, const float *dout,
                          const float *in, const float *out, int B) {
    (void)m; (void)in;
    if (din) ws_backend_of(ctx)->relu_backward(ctx, din, dout, out, (int64_t)B * ws_shape_numel(L->in));
}

static const ws_layer_ops relu_ops = {.kind = "relu", .post_activation = 1, .forward = relu_forward, .backward = relu_backward};

void ws_layer_relu(ws_layer *L, const char *name, ws_shape s) {
    L->ops = &relu_ops;
    snprintf(L->name, sizeof L->name, "%s", name);
    L->in = L->out = s;
    L->param0 = -1;
    L->nparams = 0;
}

static void tanh_forward(ws_layer *L, ws_ctx *ctx, ws_model *m, float *out, const float *in, int B, int train) {
    (void)m; (void)train;
    ws_backend_of(ctx)->tanh_forward(ctx, out, in, (int64_t)B * ws_shape_numel(L->in));
}

static void tanh_backward(ws_layer *L, ws_ctx *ctx, ws_model *m, float *din, const float *dout,
                          const float *in, const float *out, int B) {
    (void)m; (void)in;
    if (din) ws_backend_of(ctx)->tanh_backward(ctx, din, dout, out, (int64_t)B * ws_shape_numel(L->in));
}

static const ws_layer_ops tanh_ops = {.kind = "tanh", .post_activation = 1, .forward = tanh_forward, .backward = tanh_backward};

void ws_layer_tanh(ws_layer *L, const char *name, ws_shape s) {
    L->ops = &tanh_ops;
    snprintf(L->name, sizeof L->name, "%s", name);
    L->in = L->out = s;
    L->param0 = -1;
    L->nparams = 0;
}

// Flatten: (C,H,W) -> (C*H*W); the data is already contiguous, so it is a view.
static const ws_layer_ops flatten_ops = {.kind = "flatten", .is_view = 1};

void ws_layer_flatten(ws_layer *L, const char *name, ws_shape in) {
    L->ops = &flatten_ops;
    snprintf(L->name, sizeof L->name, "%s", name);
    L->in = in;
    L->out = (ws_shape){(int)ws_shape_numel(in), 1, 1};
    L->param0 = -1;
    L->nparams = 0;
}

// CReLU: (n) -> (2n), or (C,H,W) -> (2C,H,W): per example relu(x) then relu(-x)
// (ops/backend.h); the layer after it sees twice the features or channels.
static void crelu_forward(ws_layer *L, ws_ctx *ctx, ws_model *m, float *out, const float *in, int B, int train) {
    (void)m; (void)train;
    ws_backend_of(ctx)->crelu_forward(ctx, out, in, B, (int)ws_shape_numel(L->in));
}

static void crelu_backward(ws_layer *L, ws_ctx *ctx, ws_model *m, float *din, const float *dout,
                           const float *in, const float *out, int B) {
    (void)m; (void)in;
    if (din) ws_backend_of(ctx)->crelu_backward(ctx, din, dout, out, B, (int)ws_shape_numel(L->in));
}

static const ws_layer_ops crelu_ops = {.kind = "crelu", .post_activation = 1, .forward = crelu_forward,
                                       .backward = crelu_backward};

void ws_layer_crelu(ws_layer *L, const char *name, ws_shape s) {
    L->ops = &crelu_ops;
    snprintf(L->name, sizeof L->name, "%s", name);
    L->in = s;
    L->out = (ws_shape){2 * s.c, s.h, s.w};
    L->param0 = -1;
    L->nparams = 0;
}
