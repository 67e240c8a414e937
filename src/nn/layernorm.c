// LayerNorm over each example's whole activation (torch.nn.LayerNorm(shape),
// elementwise affine, eps 1e-5): "<name>.weight" and "<name>.bias" of the
// example's shape, (N) after a Linear layer, (C,H,W) after a convolution (NCHW,
// so an example's floats are one row). Each example's mean and 1/std are saved
// for the backward (planned like BatchNorm's inputs: the model owns the memory).
#include <stdio.h>
#include <stdlib.h>

#include "nn/model.h"
#include "ops/backend.h"

#define LN_EPS 1e-5f

typedef struct {
    float *mean, *invstd; // (B) each, in the layer's planned saved region
} ln_stats;

static int ln_features(const ws_layer *L) { return (int)ws_shape_numel(L->in); }

static void ln_forward(ws_layer *L, ws_ctx *ctx, ws_model *m, float *out, const float *in, int B, int train) {
    (void)train;
    const ws_param *g = &m->params[L->param0], *b = &m->params[L->param0 + 1];
    const ln_stats *s = L->priv;
    ws_backend_of(ctx)->layernorm_forward(ctx, out, s->mean, s->invstd, in, m->w + g->offset, m->w + b->offset, B,
                                          ln_features(L), LN_EPS);
}

static void ln_backward(ws_layer *L, ws_ctx *ctx, ws_model *m, float *din, const float *dout, const float *in,
                        const float *out, int B) {
    (void)out;
    const ws_param *g = &m->params[L->param0], *b = &m->params[L->param0 + 1];
    const ln_stats *s = L->priv;
    ws_backend_of(ctx)->layernorm_backward(ctx, din, m->g + g->offset, m->g + b->offset, dout, in, s->mean,
                                           s->invstd, m->w + g->offset, B, ln_features(L));
}

// torch.nn.LayerNorm.reset_parameters: weight 1, bias 0 (nothing drawn).
static void ln_init(ws_layer *L, ws_model *m, ws_rng *rng) {
    (void)rng;
    const ws_param *g = &m->params[L->param0], *b = &m->params[L->param0 + 1];
    for (int64_t i = 0; i < g->numel; i++) m->w[g->offset + i] = 1.0f, m->w[b->offset + i] = 0.0f;
}

// The statistics: two floats per example, in training and in inference alike.
static int64_t ln_saved(const ws_layer *L, int B, int train) {
    (void)L, (void)train;
    return 2 * (int64_t)B;
}

static void ln_plan(ws_layer *L, float *saved, float *dsaved, int B, int train) {
    (void)dsaved, (void)train;
    ln_stats *s = L->priv;
    s->mean = saved;
    s->invstd = saved + B;
}

static void ln_destroy(ws_layer *L) {
    free(L->priv);
    L->priv = NULL;
}

static const ws_layer_ops ln_ops = {.kind = "layernorm",
                                    .forward = ln_forward,
                                    .backward = ln_backward,
                                    .init = ln_init,
                                    .saved_floats = ln_saved,
                                    .plan = ln_plan,
                                    .destroy = ln_destroy};

ws_status ws_layer_layernorm(ws_ctx *ctx, ws_model *m, ws_layer *L, const char *name, ws_shape s) {
    L->ops = &ln_ops;
    snprintf(L->name, sizeof L->name, "%s", name);
    L->in = L->out = s;
    if (!(L->priv = ws_sys_calloc(1, sizeof(ln_stats)))) return ws_fail(ctx, WS_ERR_NOMEM, "out of memory building %s", name);
    // PyTorch's normalized_shape: (N) for a flat vector, (C,H,W) for an image.
    const int flat = s.h == 1 && s.w == 1;
    int dims[3] = {s.c, s.h, s.w};
    L->param0 = ws_model_add_param(m, name, "weight", flat ? 1 : 3, dims);
    ws_model_add_param(m, name, "bias", flat ? 1 : 3, dims);
    L->nparams = 2;
    return WS_OK;
}
