// Max pooling over 2x2 windows with stride 2 (torch.nn.MaxPool2d(2, 2)) on NCHW
// activations; odd edges are dropped, as PyTorch's floor. The backward finds each
// window's winner again from the input (ops/backend.h), so nothing is saved.
#include <stdio.h>

#include "nn/model.h"
#include "ops/backend.h"

static void maxpool_forward(ws_layer *L, ws_ctx *ctx, ws_model *m, float *out, const float *in, int B, int train) {
    (void)m, (void)train;
    ws_backend_of(ctx)->maxpool2_forward(ctx, out, in, B, L->in.c, L->in.h, L->in.w);
}

static void maxpool_backward(ws_layer *L, ws_ctx *ctx, ws_model *m, float *din, const float *dout, const float *in,
                             const float *out, int B) {
    (void)m, (void)out;
    if (din) ws_backend_of(ctx)->maxpool2_backward(ctx, din, dout, in, B, L->in.c, L->in.h, L->in.w);
}

static const ws_layer_ops maxpool_ops = {.kind = "maxpool2", .forward = maxpool_forward, .backward = maxpool_backward};

void ws_layer_maxpool2(ws_layer *L, const char *name, ws_shape in) {
    L->ops = &maxpool_ops;
    snprintf(L->name, sizeof L->name, "%s", name);
    L->in = in;
    L->out = (ws_shape){in.c, in.h / 2, in.w / 2};
    L->param0 = -1;
    L->nparams = 0;
}
