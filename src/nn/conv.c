// Conv2d with a bias (torch.nn.Conv2d(C, O, k), stride 1, no padding by default):
// "<name>.weight" (O,C,k,k) and "<name>.bias" (O). Its activations are NCHW on
// both sides whatever the backend (ws_conv_shape.plain): the networks built on
// it (Kumar et al.'s CNN) follow it with max-pooling, LayerNorm over (C,H,W) and
// a flatten in PyTorch's (C,H,W) order, which all read plain NCHW.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "nn/model.h"
#include "ops/backend.h"

static ws_conv_shape shape_at(const ws_layer *L, int B) {
    ws_conv_shape s = *(const ws_conv_shape *)L->priv;
    s.B = B;
    return s;
}

static void conv_forward(ws_layer *L, ws_ctx *ctx, ws_model *m, float *out, const float *in, int B, int train) {
    (void)train;
    const ws_conv_shape s = shape_at(L, B);
    const ws_param *W = &m->params[L->param0], *b = &m->params[L->param0 + 1];
    ws_backend_of(ctx)->conv2d_forward(ctx, out, in, m->w + W->offset, m->w + b->offset, &s, m->scratch);
}

static void conv_backward(ws_layer *L, ws_ctx *ctx, ws_model *m, float *din, const float *dout, const float *in,
                          const float *out, int B) {
    (void)out;
    const ws_conv_shape s = shape_at(L, B);
    const ws_param *W = &m->params[L->param0], *b = &m->params[L->param0 + 1];
    ws_backend_of(ctx)->conv2d_backward(ctx, din, m->g + W->offset, m->g + b->offset, dout, in, m->w + W->offset, &s,
                                        m->scratch);
}

static int64_t conv_scratch(const ws_layer *L, const ws_ctx *ctx, int B) {
    const ws_conv_shape s = shape_at(L, B);
    return ws_backend_of(ctx)->conv2d_workspace(&s);
}

// torch.nn.Conv2d.reset_parameters: kaiming_uniform_(a=sqrt(5)) gives the weight
// U(+-1/sqrt(fan_in)), fan_in = C*k*k, and the bias U(+-1/sqrt(fan_in)); weight first.
static void conv_init(ws_layer *L, ws_model *m, ws_rng *rng) {
    const ws_param *W = &m->params[L->param0], *b = &m->params[L->param0 + 1];
    const float bound = 1.0f / sqrtf((float)(W->dims[1] * W->dims[2] * W->dims[3]));
    for (int64_t i = 0; i < W->numel; i++) m->w[W->offset + i] = (2.0f * ws_rng_uniform(rng) - 1.0f) * bound;
    for (int64_t i = 0; i < b->numel; i++) m->w[b->offset + i] = (2.0f * ws_rng_uniform(rng) - 1.0f) * bound;
}

static void conv_destroy(ws_layer *L) {
    free(L->priv);
    L->priv = NULL;
}

static const ws_layer_ops conv_ops = {.kind = "conv2d",
                                      .forward = conv_forward,
                                      .backward = conv_backward,
                                      .init = conv_init,
                                      .scratch_floats = conv_scratch,
                                      .destroy = conv_destroy};

ws_status ws_layer_conv2d(ws_ctx *ctx, ws_model *m, ws_layer *L, const char *name, ws_shape in, int out_channels, int k) {
    ws_conv_shape *s = ws_sys_calloc(1, sizeof *s);
    if (!s) return ws_fail(ctx, WS_ERR_NOMEM, "out of memory building %s", name);
    *s = (ws_conv_shape){.B = 1, .C = in.c, .H = in.h, .W = in.w, .O = out_channels, .KH = k, .KW = k, .stride = 1,
                         .pad = 0, .plain = 1};
    L->ops = &conv_ops;
    L->priv = s;
    snprintf(L->name, sizeof L->name, "%s", name);
    if (ws_conv_shape_resolve(s))
        return ws_fail(ctx, WS_ERR_ARG, "%s: a %dx%d input is too small for a %dx%d convolution", name, in.h, in.w, k, k);
    L->in = in;
    L->out = (ws_shape){out_channels, s->OH, s->OW};
    int wd[4] = {out_channels, in.c, k, k}, bd[1] = {out_channels};
    L->param0 = ws_model_add_param(m, name, "weight", 4, wd);
    ws_model_add_param(m, name, "bias", 1, bd);
    L->nparams = 2;
    return WS_OK;
}
