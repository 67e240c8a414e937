// ResNet-18, CIFAR variant, as the official code's (kuangliu-style) module:
//   conv1 (3x3, stride 1) -> bn1 -> relu (one layer here)
//   layer1..layer4: two BasicBlocks each, widths w, 2w, 4w, 8w, first block of
//   layers 2-4 with stride 2 and a 1x1 conv + BN shortcut ("shortcut.0/1")
//   global average pool -> linear (8w -> classes)
// BasicBlock: relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x)).
// Parameter and buffer names are PyTorch's, so checkpoints load with strict=True.
// Part of the zoo (nn/zoo.h): ws_build_resnet18 appends these layers to a model
// container (nn/model.h), which owns their parameters and memory.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/model.h"
#include "nn/zoo.h"
#include "ops/backend.h"

#define BN_MOMENTUM 0.1f
#define BN_EPS 1e-5f

// ---- conv + BatchNorm unit ------------------------------------------------------------------

typedef struct {
    int w, gamma, beta;          // parameter indices: conv weight, BN weight, BN bias
    int rmean, rvar, nbt;        // buffer indices: running_mean, running_var, num_batches_tracked
    ws_conv_shape shape;         // B is set per pass
    float *z, *dz;               // conv output (saved for BN backward) and its gradient
    float *save_mean, *save_invstd; // (O) batch statistics of the last training forward
} conv_bn;

static ws_status cb_register(ws_ctx *ctx, ws_model *m, conv_bn *u, const char *conv, const char *bn, int C, int H,
                             int W, int O, int k, int stride, int pad) {
    memset(u, 0, sizeof *u);
    u->shape = (ws_conv_shape){.B = 1, .C = C, .H = H, .W = W, .O = O, .KH = k, .KW = k, .stride = stride, .pad = pad};
    if (ws_conv_shape_resolve(&u->shape))
        return ws_fail(ctx, WS_ERR_ARG, "%s: a %dx%d input is too small for a %dx%d convolution with stride %d", conv, H,
                       W, k, k, stride);
    if (m->nparams + 3 > WS_MAX_PARAMS || m->nbuffers + 3 > WS_MAX_PARAMS)
        return ws_fail(ctx, WS_ERR_ARG, "model has too many parameters for the table (%d)", WS_MAX_PARAMS);
    int wd[4] = {O, C, k, k}, cd[1] = {O};
    u->w = ws_model_add_param(m, conv, "weight", 4, wd);
    u->gamma = ws_model_add_param(m, bn, "weight", 1, cd);
    u->beta = ws_model_add_param(m, bn, "bias", 1, cd);
    u->rmean = ws_model_add_buffer(m, bn, "running_mean", WS_BUF_F32, 1, cd);
    u->rvar = ws_model_add_buffer(m, bn, "running_var", WS_BUF_F32, 1, cd);
    u->nbt = ws_model_add_buffer(m, bn, "num_batches_tracked", WS_BUF_I64, 0, NULL);
    u->save_mean = ws_alloc(ctx, sizeof(float) * (size_t)O);
    u->save_invstd = ws_alloc(ctx, sizeof(float) * (size_t)O);
    return u->save_mean && u->save_invstd ? WS_OK : ws_nomem(ctx);
}

static void cb_free(conv_bn *u) {
    ws_free(u->save_mean);
    ws_free(u->save_invstd);
}

static int64_t cb_out_floats(const conv_bn *u, int B) { return (int64_t)B * u->shape.O * u->shape.OH * u->shape.OW; }

static int64_t cb_scratch(const ws_backend *be, const conv_bn *u, int B) {
    ws_conv_shape s = u->shape;
    s.B = B;
    return be->conv2d_workspace(&s);
}

// PyTorch's defaults: conv kaiming_uniform(a=sqrt(5)) = U(+-1/sqrt(fan_in)),
// fan_in = C*k*k; BN weight 1, bias 0, running mean 0, var 1, count 0.
static void cb_init(ws_model *m, conv_bn *u, ws_rng *rng) {
    const ws_param *W = &m->params[u->w];
    float bound = 1.0f / sqrtf((float)(u->shape.C * u->shape.KH * u->shape.KW));
    for (int64_t i = 0; i < W->numel; i++) m->w[W->offset + i] = (2.0f * ws_rng_uniform(rng) - 1.0f) * bound;
    for (int o = 0; o < u->shape.O; o++) {
        m->w[m->params[u->gamma].offset + o] = 1.0f;
        m->w[m->params[u->beta].offset + o] = 0.0f;
        m->buf[m->buffers[u->rmean].offset + o] = 0.0f;
        m->buf[m->buffers[u->rvar].offset + o] = 1.0f;
    }
    m->ibuf[m->buffers[u->nbt].offset] = 0;
}

// out = act(bn(conv(in)) + res): act = ReLU when `relu`; res may be NULL.
static void cb_forward(ws_ctx *ctx, ws_model *m, conv_bn *u, float *out, const float *in, const float *res, int relu,
                       int B, int train) {
    const ws_backend *be = ws_backend_of(ctx);
    ws_conv_shape s = u->shape;
    s.B = B;
    float *z = u->z ? u->z : out; // inference plans run the BatchNorm in place on the output
    be->conv2d_forward(ctx, z, in, m->w + m->params[u->w].offset, NULL, &s, m->scratch);
    const float *gamma = m->w + m->params[u->gamma].offset, *beta = m->w + m->params[u->beta].offset;
    float *rm = m->buf + m->buffers[u->rmean].offset, *rv = m->buf + m->buffers[u->rvar].offset;
    int HW = s.OH * s.OW;
    if (train) {
        be->bn_act_forward_train(ctx, out, u->save_mean, u->save_invstd, rm, rv, z, res, gamma, beta, B, s.O, HW,
                                 BN_MOMENTUM, BN_EPS, relu);
        m->ibuf[m->buffers[u->nbt].offset]++;
    } else {
        be->bn_act_forward_eval(ctx, out, z, res, gamma, beta, rm, rv, B, s.O, HW, BN_EPS, relu);
    }
}

// Backward of cb_forward: dout at its output, out its output (the ReLU mask);
// dres (may be NULL) gets the gradient at the residual sum; din (may be NULL)
// the input gradient, overwritten.
static void cb_backward(ws_ctx *ctx, ws_model *m, conv_bn *u, float *din, float *dres, const float *dout,
                        const float *out, int relu, const float *in, int B) {
    const ws_backend *be = ws_backend_of(ctx);
    ws_conv_shape s = u->shape;
    s.B = B;
    be->bn_act_backward(ctx, u->dz, dres, m->g + m->params[u->gamma].offset, m->g + m->params[u->beta].offset, dout,
                        out, u->z, u->save_mean, u->save_invstd, m->w + m->params[u->gamma].offset, B, s.O,
                        s.OH * s.OW, relu);
    be->conv2d_backward(ctx, din, m->g + m->params[u->w].offset, NULL, u->dz, in, m->w + m->params[u->w].offset, &s,
                        m->scratch);
}

// ---- stem layer: relu(bn1(conv1(x))) --------------------------------------------------------

// Saved for training: the conv output z (for BN's backward); for inference
// nothing (BN runs in place on the output). Gradient scratch: dz.
static int64_t stem_saved(const ws_layer *L, int B, int train) { return train ? cb_out_floats(L->priv, B) : 0; }
static int64_t stem_dsaved(const ws_layer *L, int B) { return cb_out_floats(L->priv, B); }
static int64_t stem_scratch(const ws_layer *L, const ws_ctx *ctx, int B) {
    return cb_scratch(ws_backend_of(ctx), L->priv, B);
}
static void stem_plan(ws_layer *L, float *saved, float *dsaved, int B, int train) {
    conv_bn *u = L->priv;
    (void)B;
    u->z = train ? saved : NULL;
    u->dz = dsaved;
}
static void stem_forward(ws_layer *L, ws_ctx *ctx, ws_model *m, float *out, const float *in, int B, int train) {
    cb_forward(ctx, m, L->priv, out, in, NULL, 1, B, train);
}
static void stem_backward(ws_layer *L, ws_ctx *ctx, ws_model *m, float *din, const float *dout, const float *in,
                          const float *out, int B) {
    cb_backward(ctx, m, L->priv, din, NULL, dout, out, 1, in, B);
}
static void stem_init(ws_layer *L, ws_model *m, ws_rng *rng) { cb_init(m, L->priv, rng); }
static void stem_destroy(ws_layer *L) {
    if (L->priv) cb_free(L->priv);
    free(L->priv);
    L->priv = NULL;
}

static const ws_layer_ops stem_ops = {.kind = "conv_bn_relu",
                                      .post_activation = 1,
                                      .forward = stem_forward,
                                      .backward = stem_backward,
                                      .init = stem_init,
                                      .saved_floats = stem_saved,
                                      .dsaved_floats = stem_dsaved,
                                      .scratch_floats = stem_scratch,
                                      .plan = stem_plan,
                                      .destroy = stem_destroy};

// ---- BasicBlock ------------------------------------------------------------------------------
//
// forward:  h1 = relu(bn1(conv1 x));  s = bn_sc(conv_sc x) (or x itself);
//           out = relu(bn2(conv2 h1) + s)          (BN, add and ReLU in one op)
// backward: dsum = dout * (out > 0) (from the fused op, as dres);
//           dh1 -> conv2; dx = conv1's input gradient + the shortcut's (or + dsum).
// Saved for training: z1, h1, z2 (conv outputs, BN's inputs; h1 also conv2's
// input and the ReLU mask), and for a projection shortcut z_sc and s. For
// inference every BatchNorm runs in place on its conv's output: h1, and s for
// a projection shortcut, are all the block needs beside its output.

typedef struct {
    conv_bn c1, c2, sc;
    int has_shortcut;            // 1x1 conv + BN when the shape changes, identity otherwise
    int64_t po, pi;              // floats per example of the block's output / input
    float *h1, *dh1;             // relu(bn1(conv1 x)) and its gradient
    float *s;                    // shortcut branch output
    float *dsum;                 // gradient at the residual sum
    float *dx2;                  // the shortcut's contribution to the input gradient
} block;

static int64_t block_saved(const ws_layer *L, int B, int train) {
    const block *k = L->priv;
    int slots = train ? (k->has_shortcut ? 5 : 3) : (k->has_shortcut ? 2 : 1);
    return (int64_t)B * slots * k->po;
}

// Gradient scratch: dz (each unit's in turn), dh1, dsum, then the shortcut's dx2.
static int64_t block_dsaved(const ws_layer *L, int B) {
    const block *k = L->priv;
    return (int64_t)B * (3 * k->po + (k->has_shortcut ? k->pi : 0));
}

static int64_t block_scratch(const ws_layer *L, const ws_ctx *ctx, int B) {
    const block *k = L->priv;
    const ws_backend *be = ws_backend_of(ctx);
    int64_t a = cb_scratch(be, &k->c1, B), b = cb_scratch(be, &k->c2, B), c = k->has_shortcut ? cb_scratch(be, &k->sc, B) : 0;
    return a > b ? (a > c ? a : c) : (b > c ? b : c);
}

static void block_plan(ws_layer *L, float *saved, float *dsaved, int B, int train) {
    block *k = L->priv;
    int64_t n = (int64_t)B * k->po;
    k->h1 = saved;
    if (train) {
        k->c1.z = saved + n;
        k->c2.z = saved + 2 * n;
        k->sc.z = saved + 3 * n;  // shortcut only
        k->s = saved + 4 * n;     // shortcut only
    } else {                      // in place: conv1 -> h1, conv_sc -> s, conv2 -> the block's output
        k->c1.z = k->h1;
        k->s = k->sc.z = saved + n; // shortcut only
        k->c2.z = NULL;
    }
    if (dsaved) {
        k->c1.dz = k->c2.dz = k->sc.dz = dsaved;
        k->dh1 = dsaved + n;
        k->dsum = dsaved + 2 * n;
        k->dx2 = dsaved + 3 * n;  // shortcut only
    }
}

static void block_forward(ws_layer *L, ws_ctx *ctx, ws_model *m, float *out, const float *in, int B, int train) {
    block *k = L->priv;
    cb_forward(ctx, m, &k->c1, k->h1, in, NULL, 1, B, train);
    const float *res = in;
    if (k->has_shortcut) {
        cb_forward(ctx, m, &k->sc, k->s, in, NULL, 0, B, train);
        res = k->s;
    }
    cb_forward(ctx, m, &k->c2, out, k->h1, res, 1, B, train);
}

static void block_backward(ws_layer *L, ws_ctx *ctx, ws_model *m, float *din, const float *dout, const float *in,
                           const float *out, int B) {
    block *k = L->priv;
    const ws_backend *be = ws_backend_of(ctx);
    cb_backward(ctx, m, &k->c2, k->dh1, k->dsum, dout, out, 1, k->h1, B);
    cb_backward(ctx, m, &k->c1, din, NULL, k->dh1, k->h1, 1, in, B);
    if (k->has_shortcut) {
        cb_backward(ctx, m, &k->sc, din ? k->dx2 : NULL, NULL, k->dsum, NULL, 0, in, B);
        if (din) be->add_forward(ctx, din, din, k->dx2, (int64_t)B * k->pi);
    } else if (din) {
        be->add_forward(ctx, din, din, k->dsum, (int64_t)B * k->po);
    }
}

static void block_init(ws_layer *L, ws_model *m, ws_rng *rng) {
    block *k = L->priv;
    cb_init(m, &k->c1, rng);
    cb_init(m, &k->c2, rng);
    if (k->has_shortcut) cb_init(m, &k->sc, rng);
}

static void block_destroy(ws_layer *L) {
    block *k = L->priv;
    if (k) {
        cb_free(&k->c1);
        cb_free(&k->c2);
        cb_free(&k->sc);
    }
    free(k);
    L->priv = NULL;
}

static const ws_layer_ops block_ops = {.kind = "basic_block",
                                       .post_activation = 1,
                                       .forward = block_forward,
                                       .backward = block_backward,
                                       .init = block_init,
                                       .saved_floats = block_saved,
                                       .dsaved_floats = block_dsaved,
                                       .scratch_floats = block_scratch,
                                       .plan = block_plan,
                                       .destroy = block_destroy};

static ws_status add_block(ws_ctx *ctx, ws_model *m, ws_layer *L, const char *name, ws_shape in, int planes, int stride) {
    block *k = ws_sys_calloc(1, sizeof *k);
    if (!k) return ws_fail(ctx, WS_ERR_NOMEM, "out of memory building %s", name);
    L->ops = &block_ops;
    L->priv = k;
    snprintf(L->name, sizeof L->name, "%s", name);
    L->in = in;
    L->param0 = m->nparams;
    char conv[64], bn[64];
    ws_status st;
    snprintf(conv, sizeof conv, "%s.conv1", name), snprintf(bn, sizeof bn, "%s.bn1", name);
    if ((st = cb_register(ctx, m, &k->c1, conv, bn, in.c, in.h, in.w, planes, 3, stride, 1))) return st;
    int oh = k->c1.shape.OH, ow = k->c1.shape.OW;
    snprintf(conv, sizeof conv, "%s.conv2", name), snprintf(bn, sizeof bn, "%s.bn2", name);
    if ((st = cb_register(ctx, m, &k->c2, conv, bn, planes, oh, ow, planes, 3, 1, 1))) return st;
    k->has_shortcut = stride != 1 || in.c != planes;
    if (k->has_shortcut) {
        snprintf(conv, sizeof conv, "%s.shortcut.0", name), snprintf(bn, sizeof bn, "%s.shortcut.1", name);
        if ((st = cb_register(ctx, m, &k->sc, conv, bn, in.c, in.h, in.w, planes, 1, stride, 0))) return st;
    }
    L->nparams = m->nparams - L->param0;
    L->out = (ws_shape){planes, oh, ow};
    k->po = ws_shape_numel(L->out);
    k->pi = ws_shape_numel(in);
    return WS_OK;
}

// ---- global average pooling ------------------------------------------------------------------

static void pool_forward(ws_layer *L, ws_ctx *ctx, ws_model *m, float *out, const float *in, int B, int train) {
    (void)m, (void)train;
    ws_backend_of(ctx)->avgpool_forward(ctx, out, in, B, L->in.c, L->in.h * L->in.w);
}
static void pool_backward(ws_layer *L, ws_ctx *ctx, ws_model *m, float *din, const float *dout, const float *in,
                          const float *out, int B) {
    (void)m, (void)in, (void)out;
    if (din) ws_backend_of(ctx)->avgpool_backward(ctx, din, dout, B, L->in.c, L->in.h * L->in.w);
}
static const ws_layer_ops pool_ops = {.kind = "avgpool", .forward = pool_forward, .backward = pool_backward};

// ---- the network -----------------------------------------------------------------------------

ws_status ws_build_resnet18(ws_ctx *ctx, ws_model *m) {
    const ws_model_spec *sp = &m->spec;
    ws_shape x = sp->input;
    int w = sp->width;
    ws_status st;
    // Stem.
    ws_layer *L = ws_model_add_layer(m);
    conv_bn *u = ws_sys_calloc(1, sizeof *u);
    if (!u) return ws_fail(ctx, WS_ERR_NOMEM, "out of memory building conv1");
    L->ops = &stem_ops;
    L->priv = u;
    snprintf(L->name, sizeof L->name, "conv1");
    L->in = x;
    L->param0 = m->nparams;
    if ((st = cb_register(ctx, m, u, "conv1", "bn1", x.c, x.h, x.w, w, 3, 1, 1))) return st;
    u->shape.input_nchw = 1; // it reads the data, which is NCHW whatever the backend's layout
    L->nparams = m->nparams - L->param0;
    x = L->out = (ws_shape){w, u->shape.OH, u->shape.OW}; // the ReLU is fused into the stem
    // Four stages of two blocks.
    for (int stage = 0; stage < 4; stage++) {
        int planes = w << stage;
        for (int b = 0; b < 2; b++) {
            char name[32];
            snprintf(name, sizeof name, "layer%d.%d", stage + 1, b);
            L = ws_model_add_layer(m);
            if ((st = add_block(ctx, m, L, name, x, planes, b == 0 && stage > 0 ? 2 : 1))) return st;
            x = L->out;
        }
    }
    // Global average pool (the official avg_pool2d(out, 4) on a 4x4 map), head.
    L = ws_model_add_layer(m);
    L->ops = &pool_ops;
    snprintf(L->name, sizeof L->name, "avgpool");
    L->in = x;
    L->out = (ws_shape){x.c, 1, 1};
    L->param0 = -1;
    ws_layer_linear(m, ws_model_add_layer(m), "linear", x.c, sp->num_classes);
    return WS_OK;
}
