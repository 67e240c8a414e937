// Linear: y = x W^T + b, W (out, in) as torch.nn.Linear; without a bias
// (torch.nn.Linear(bias=False)) y = x W^T and the layer has one parameter.
#include <math.h>
#include <stdio.h>

#include "nn/model.h"
#include "ops/backend.h"

// The bias parameter, or NULL for a layer without one.
static const ws_param *bias_of(const ws_layer *L, const ws_model *m) {
    return L->nparams > 1 ? &m->params[L->param0 + 1] : NULL;
}

static void linear_forward(ws_layer *L, ws_ctx *ctx, ws_model *m, float *out, const float *in, int B, int train) {
    (void)train;
    const ws_param *W = &m->params[L->param0], *b = bias_of(L, m);
    ws_backend_of(ctx)->linear_forward(ctx, out, in, m->w + W->offset, b ? m->w + b->offset : NULL, B, W->dims[1],
                                       W->dims[0]);
}

static void linear_backward(ws_layer *L, ws_ctx *ctx, ws_model *m, float *din, const float *dout,
                            const float *in, const float *out, int B) {
    (void)out;
    const ws_param *W = &m->params[L->param0], *b = bias_of(L, m);
    ws_backend_of(ctx)->linear_backward(ctx, din, m->g + W->offset, b ? m->g + b->offset : NULL, dout, in,
                                        m->w + W->offset, B, W->dims[1], W->dims[0]);
}

// torch.nn.Linear.reset_parameters: kaiming_uniform_(a=sqrt(5)) gives
// bound = sqrt(6 / ((1 + a^2) fan_in)) = 1/sqrt(fan_in) for the weight, and
// the bias is U(-1/sqrt(fan_in), 1/sqrt(fan_in)); without a bias nothing more
// is drawn.
static void linear_init(ws_layer *L, ws_model *m, ws_rng *rng) {
    const ws_param *W = &m->params[L->param0], *b = bias_of(L, m);
    float bound = 1.0f / sqrtf((float)W->dims[1]);
    float *w = m->w + W->offset;
    for (int64_t i = 0; i < W->numel; i++) w[i] = (2.0f * ws_rng_uniform(rng) - 1.0f) * bound;
    if (!b) return;
    float *bb = m->w + b->offset;
    for (int64_t i = 0; i < b->numel; i++) bb[i] = (2.0f * ws_rng_uniform(rng) - 1.0f) * bound;
}

static const ws_layer_ops linear_ops = {
    .kind = "linear", .forward = linear_forward, .backward = linear_backward, .init = linear_init};

static void make_linear(ws_model *m, ws_layer *L, const char *name, int in, int out, int bias) {
    L->ops = &linear_ops;
    snprintf(L->name, sizeof L->name, "%s", name);
    L->in = (ws_shape){in, 1, 1};
    L->out = (ws_shape){out, 1, 1};
    int wd[2] = {out, in}, bd[1] = {out};
    L->param0 = ws_model_add_param(m, name, "weight", 2, wd);
    if (bias) ws_model_add_param(m, name, "bias", 1, bd);
    L->nparams = bias ? 2 : 1;
}

void ws_layer_linear(ws_model *m, ws_layer *L, const char *name, int in, int out) { make_linear(m, L, name, in, out, 1); }

void ws_layer_linear_nobias(ws_model *m, ws_layer *L, const char *name, int in, int out) {
    make_linear(m, L, name, in, out, 0);
}
