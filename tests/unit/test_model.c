// Models: names and layouts as PyTorch, initialisation, and a finite-difference
// check of every parameter gradient through the whole model (the MLP with ReLU
// or tanh, with or without biases; logistic regression with or without; Kumar et
// al.'s CNN and the MLP with LayerNorm and CReLU, on both backends).
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/model.h"
#include "train/train.h"
#include "suites.h"

static ws_ctx ctx;
static void setup(void) { ws_ctx_init(&ctx, 2); }
static void teardown(void) { ws_ctx_release(&ctx); } // the backend's cached primitives

enum { MB = 4, MIN = 6, MC = 3 };

typedef struct {
    ws_model *m;
    float x[MB * MIN];
    int32_t y[MB];
} model_case;

static double loss_of(model_case *c) {
    ws_model_forward(&ctx, c->m, c->x, MB, 1);
    return ws_model_loss(&ctx, c->m, c->y, MB, NULL);
}

static ws_model *make_spec(ws_model_spec spec) {
    ws_model *m = NULL;
    ck_assert_int_eq(ws_model_create(&ctx, &m, &spec), WS_OK);
    ck_assert_int_eq(ws_model_plan(&ctx, m, MB), WS_OK);
    ws_rng r = ws_rng_stream(3, "init", 0);
    ws_model_init(m, &r);
    return m;
}

// The MLP 6-5-4-3 (or logreg 6-3) with the given activation and biases.
static ws_model_spec variant(ws_model_kind kind, ws_activation act, int no_bias) {
    return (ws_model_spec){.kind = kind, .input = {1, 2, 3}, .num_classes = MC, .nhidden = 2, .hidden = {5, 4},
                           .act = act, .no_bias = no_bias};
}

static ws_model *make(ws_model_kind kind) {
    ws_model_spec spec = {.kind = kind, .input = {1, 2, 3}, .num_classes = MC, .nhidden = 2, .hidden = {5, 4}};
    ws_model *m = NULL;
    ck_assert_int_eq(ws_model_create(&ctx, &m, &spec), WS_OK);
    ck_assert_int_eq(ws_model_plan(&ctx, m, MB), WS_OK);
    ws_rng r = ws_rng_stream(3, "init", 0);
    ws_model_init(m, &r);
    return m;
}

START_TEST(mlp_names_and_layouts) {
    ws_model *m = make(WS_MODEL_MLP);
    const char *names[] = {"lm1.weight", "lm1.bias", "lm2.weight", "lm2.bias", "lm3.weight", "lm3.bias"};
    int dims[][2] = {{5, 6}, {5, 0}, {4, 5}, {4, 0}, {3, 4}, {3, 0}};
    ck_assert_int_eq(m->nparams, 6);
    int64_t off = 0;
    for (int i = 0; i < 6; i++) {
        const ws_param *p = ws_model_param(m, names[i]);
        ck_assert_ptr_nonnull(p);
        ck_assert_int_eq(p->dims[0], dims[i][0]);
        if (dims[i][1]) ck_assert_int_eq(p->dims[1], dims[i][1]);
        ck_assert_int_eq(p->offset, off); // contiguous: one flat arena
        off += p->numel;
    }
    ck_assert_int_eq(m->nweights, off);
    ck_assert_str_eq(m->arch, "mlp 6-5-4-3");
    ws_model_free(m);
    m = make(WS_MODEL_LOGREG);
    ck_assert_ptr_nonnull(ws_model_param(m, "linear.weight"));
    ck_assert_str_eq(m->arch, "logreg 6-3");
    ws_model_free(m);
}
END_TEST

// The container apart from the zoo: logistic regression put together by hand
// (ws_model_new, a layer at a time, ws_model_finish) is the zoo's, parameter
// for parameter, and computes the same logits.
START_TEST(container_built_by_hand_matches_the_zoo) {
    ws_model_spec spec = {.kind = WS_MODEL_LOGREG, .input = {1, 2, 3}, .num_classes = MC};
    ws_model *zoo = make(WS_MODEL_LOGREG), *m = ws_model_new(&ctx, &spec), *built = NULL;
    ck_assert_ptr_nonnull(m);
    ck_assert_int_eq(m->nlayers, 0);
    ws_layer_flatten(ws_model_add_layer(m), "flatten", spec.input);
    ws_layer_linear(m, ws_model_add_layer(m), "linear", MIN, MC);
    ck_assert_int_eq(ws_model_finish(&ctx, m, &built), WS_OK);
    ck_assert_ptr_eq(built, m);
    ck_assert_int_eq(m->nlayers, zoo->nlayers);
    ck_assert_int_eq(m->nparams, zoo->nparams);
    ck_assert_int_eq(m->nweights, zoo->nweights);
    for (int i = 0; i < m->nparams; i++) {
        ck_assert_str_eq(m->params[i].name, zoo->params[i].name);
        ck_assert_int_eq(m->params[i].offset, zoo->params[i].offset);
    }
    ck_assert_int_eq(ws_model_plan(&ctx, m, MB), WS_OK);
    ws_rng r = ws_rng_stream(3, "init", 0);
    ws_model_init(m, &r);
    ck_assert(!memcmp(m->w, zoo->w, sizeof(float) * (size_t)m->nweights));
    float x[MB * MIN];
    for (int i = 0; i < MB * MIN; i++) x[i] = (float)i / 10 - 1;
    float logits[MB * MC];
    memcpy(logits, ws_model_forward(&ctx, zoo, x, MB, 1), sizeof logits);
    ck_assert(!memcmp(ws_model_forward(&ctx, m, x, MB, 1), logits, sizeof logits));
    ws_model_free(m);
    ws_model_free(zoo);
    // The zoo's names for its kinds read back.
    for (int k = WS_MODEL_LOGREG; k <= WS_MODEL_RESNET18; k++) {
        ws_model_kind back;
        ck_assert_int_eq(ws_model_kind_parse(&ctx, ws_model_kind_name((ws_model_kind)k), &back), WS_OK);
        ck_assert_int_eq(back, k);
    }
    ws_model_kind back;
    ck_assert_int_eq(ws_model_kind_parse(&ctx, "vgg", &back), WS_ERR_ARG);
    ck_assert_str_eq(ctx.err, "unknown model 'vgg' (expected logreg, mlp, resnet18 or cnn)");
}
END_TEST

// The tanh MLP and the bias-free variants: PyTorch's names without the biases,
// their descriptions (the ReLU MLP with biases keeps its plain one), the layers,
// the initialisation (a Linear without bias draws its weight only, as
// torch.nn.Linear(bias=False)) and the forward against a hand computation.
START_TEST(mlp_variants_names_arch_and_forward) {
    ws_model *tn = make_spec(variant(WS_MODEL_MLP, WS_ACT_TANH, 1)), *t = make_spec(variant(WS_MODEL_MLP, WS_ACT_TANH, 0)),
             *n = make_spec(variant(WS_MODEL_MLP, WS_ACT_RELU, 1)), *ln = make_spec(variant(WS_MODEL_LOGREG, 0, 1)),
             *plain = make(WS_MODEL_MLP);
    ck_assert_str_eq(tn->arch, "mlp 6-5-4-3 tanh nobias");
    ck_assert_str_eq(t->arch, "mlp 6-5-4-3 tanh");
    ck_assert_str_eq(n->arch, "mlp 6-5-4-3 nobias");
    ck_assert_str_eq(ln->arch, "logreg 6-3 nobias");
    ck_assert_str_eq(plain->arch, "mlp 6-5-4-3");
    ck_assert_int_eq(ws_arch_activation(tn->arch), WS_ACT_TANH);
    ck_assert_int_eq(ws_arch_activation(t->arch), WS_ACT_TANH);
    ck_assert_int_eq(ws_arch_activation(n->arch), WS_ACT_RELU);
    ck_assert_int_eq(ws_arch_activation(plain->arch), WS_ACT_RELU);
    ck_assert_int_eq(ws_arch_activation(ln->arch), -1);
    ck_assert_int_eq(ws_arch_activation("resnet18 w16 3x32x32-10"), -1);
    ck_assert_int_eq(ws_arch_activation("mlp 6-5-3 tanhx"), WS_ACT_RELU);
    // Parameters: the weights only, contiguous, PyTorch's names.
    const char *names[] = {"lm1.weight", "lm2.weight", "lm3.weight"};
    ck_assert_int_eq(tn->nparams, 3);
    ck_assert_int_eq(tn->nweights, 5 * 6 + 4 * 5 + 3 * 4);
    for (int i = 0; i < 3; i++) ck_assert_str_eq(tn->params[i].name, names[i]);
    ck_assert_ptr_null(ws_model_param(tn, "lm1.bias"));
    ck_assert_int_eq(ln->nparams, 1);
    ck_assert_ptr_null(ws_model_param(ln, "linear.bias"));
    ck_assert_int_eq(t->nparams, 6);
    ck_assert_int_eq(t->nweights, plain->nweights);
    // Layers: flatten, then Linear and the activation per hidden layer, then the head.
    const char *kinds[] = {"flatten", "linear", "tanh", "linear", "tanh", "linear"};
    ck_assert_int_eq(tn->nlayers, 6);
    for (int i = 0; i < 6; i++) ck_assert_str_eq(tn->layers[i].ops->kind, kinds[i]);
    ck_assert_str_eq(plain->layers[2].ops->kind, "relu");
    // Initialisation: the tanh MLP draws as the ReLU one; without biases lm1.weight is the
    // same first draws, and lm2.weight follows it directly (no lm1.bias drawn between).
    ck_assert_mem_eq(t->w, plain->w, sizeof(float) * (size_t)plain->nweights);
    ck_assert_mem_eq(tn->w, plain->w, sizeof(float) * 30);
    ws_rng r = ws_rng_stream(3, "init", 0);
    for (int i = 0; i < 30; i++) ws_rng_uniform(&r);
    ck_assert_float_eq(tn->w[30], (2.0f * ws_rng_uniform(&r) - 1.0f) / sqrtf(5.0f));
    // Forward: logits = W3 tanh(W2 tanh(W1 x)), in double.
    float x[MB * MIN];
    for (int i = 0; i < MB * MIN; i++) x[i] = (float)i / 7 - 1.5f;
    const float *logits = ws_model_forward(&ctx, tn, x, MB, 1);
    const float *W1 = tn->w, *W2 = W1 + 30, *W3 = W2 + 20;
    for (int b = 0; b < MB; b++) {
        double h1[5], h2[4];
        for (int o = 0; o < 5; o++) {
            double s = 0;
            for (int i = 0; i < MIN; i++) s += (double)W1[o * MIN + i] * x[b * MIN + i];
            h1[o] = tanh(s);
        }
        for (int o = 0; o < 4; o++) {
            double s = 0;
            for (int i = 0; i < 5; i++) s += (double)W2[o * 5 + i] * h1[i];
            h2[o] = tanh(s);
        }
        for (int o = 0; o < MC; o++) {
            double s = 0;
            for (int i = 0; i < 4; i++) s += (double)W3[o * 4 + i] * h2[i];
            ck_assert_double_eq_tol(logits[b * MC + o], s, 1e-5);
        }
    }
    ws_model_free(tn), ws_model_free(t), ws_model_free(n), ws_model_free(ln), ws_model_free(plain);
}
END_TEST

START_TEST(init_matches_pytorch_distribution) {
    // Linear(784, 300): weights and biases U(-1/sqrt(784), 1/sqrt(784)).
    ws_model_spec spec = {.kind = WS_MODEL_MLP, .input = {1, 28, 28}, .num_classes = 10, .nhidden = 1, .hidden = {300}};
    ws_model *m = NULL;
    ck_assert_int_eq(ws_model_create(&ctx, &m, &spec), WS_OK);
    ws_rng r = ws_rng_stream(1, "init", 0);
    ws_model_init(m, &r);
    const ws_param *w = ws_model_param(m, "lm1.weight");
    double bound = 1 / sqrt(784.0), s = 0, s2 = 0, mx = 0;
    for (int64_t i = 0; i < w->numel; i++) {
        double v = m->w[w->offset + i];
        s += v, s2 += v * v, mx = fmax(mx, fabs(v));
    }
    double mean = s / w->numel, var = s2 / w->numel - mean * mean;
    ck_assert_double_le(mx, bound);
    ck_assert_double_gt(mx, 0.99 * bound);
    ck_assert_double_lt(fabs(mean), 0.01 * bound);
    ck_assert_double_eq_tol(var, bound * bound / 3, 0.01 * bound * bound);
    // Same stream, same weights; another stream, other weights.
    float first = m->w[0];
    r = ws_rng_stream(1, "init", 0);
    ws_model_init(m, &r);
    ck_assert_float_eq(m->w[0], first);
    r = ws_rng_stream(1, "init", 1);
    ws_model_init(m, &r);
    ck_assert_float_ne(m->w[0], first);
    ws_model_free(m);
}
END_TEST

// _i: the MLP, logreg, then the tanh MLP, the MLP without biases, the tanh MLP
// without biases and logreg without bias.
static const struct {
    ws_model_kind kind;
    ws_activation act;
    int no_bias;
} FD_MODELS[] = {{WS_MODEL_MLP, WS_ACT_RELU, 0}, {WS_MODEL_LOGREG, WS_ACT_RELU, 0}, {WS_MODEL_MLP, WS_ACT_TANH, 0},
                 {WS_MODEL_MLP, WS_ACT_RELU, 1}, {WS_MODEL_MLP, WS_ACT_TANH, 1},  {WS_MODEL_LOGREG, WS_ACT_RELU, 1}};
#define N_FD_MODELS ((int)(sizeof FD_MODELS / sizeof FD_MODELS[0]))

START_TEST(model_gradients_match_finite_differences) {
    model_case c;
    c.m = make_spec(variant(FD_MODELS[_i].kind, FD_MODELS[_i].act, FD_MODELS[_i].no_bias));
    ws_rng r = ws_rng_stream(5, "test-model", 0);
    for (int i = 0; i < MB * MIN; i++) c.x[i] = 2 * ws_rng_uniform(&r) - 1;
    for (int i = 0; i < MB; i++) c.y[i] = (int32_t)ws_rng_below(&r, MC);
    loss_of(&c);
    ws_model_zero_grad(c.m);
    ws_model_backward(&ctx, c.m, c.y, MB);
    double maxdiff = 0, maxref = 1e-12;
    const float h = 1e-3f;
    for (int64_t i = 0; i < c.m->nweights; i++) {
        float keep = c.m->w[i];
        c.m->w[i] = keep + h;
        double up = loss_of(&c);
        c.m->w[i] = keep - h;
        double down = loss_of(&c);
        c.m->w[i] = keep;
        double num = (up - down) / (2 * (double)h);
        maxdiff = fmax(maxdiff, fabs(num - c.m->g[i]));
        maxref = fmax(maxref, fabs(num));
    }
    ck_assert_double_lt(maxdiff / maxref, 5e-3);
    ws_model_free(c.m);
}
END_TEST

START_TEST(copy_weights_requires_same_architecture) {
    ws_model *a = make(WS_MODEL_MLP), *b = make(WS_MODEL_LOGREG), *c = make(WS_MODEL_MLP);
    ck_assert_int_eq(ws_model_copy_weights(&ctx, b, a), WS_ERR_ARG);
    ck_assert_ptr_nonnull(strstr(ctx.err, "cannot copy"));
    c->w[0] = 123;
    ck_assert_int_eq(ws_model_copy_weights(&ctx, c, a), WS_OK);
    ck_assert_mem_eq(c->w, a->w, sizeof(float) * (size_t)a->nweights);
    ws_model_free(a);
    ws_model_free(b);
    ws_model_free(c);
}
END_TEST

START_TEST(bad_specs_are_refused) {
    ws_model *m = NULL;
    ws_model_spec spec = {.kind = WS_MODEL_MLP, .input = {1, 2, 3}, .num_classes = 1, .nhidden = 1, .hidden = {4}};
    ck_assert_int_eq(ws_model_create(&ctx, &m, &spec), WS_ERR_ARG);
    spec.num_classes = 3;
    spec.nhidden = 0;
    ck_assert_int_eq(ws_model_create(&ctx, &m, &spec), WS_ERR_ARG);
    ws_model_kind k;
    ck_assert_int_eq(ws_model_kind_parse(&ctx, "resnet99", &k), WS_ERR_ARG);
    ck_assert_ptr_nonnull(strstr(ctx.err, "resnet99"));
    ck_assert_ptr_null(m);
    // tanh is the MLP's; no biases are the MLP's and logreg's.
    ws_model_spec v = variant(WS_MODEL_LOGREG, WS_ACT_TANH, 0);
    ck_assert_int_eq(ws_model_create(&ctx, &m, &v), WS_ERR_ARG);
    ck_assert_str_eq(ctx.err, "a tanh activation is not for logreg, which has no hidden layer");
    ws_model_spec rs = {.kind = WS_MODEL_RESNET18, .input = {3, 8, 8}, .num_classes = 4, .width = 4, .act = WS_ACT_TANH};
    ck_assert_int_eq(ws_model_create(&ctx, &m, &rs), WS_ERR_ARG);
    ck_assert_str_eq(ctx.err, "a tanh activation is not for resnet18, which is built with ReLU");
    rs.act = WS_ACT_RELU, rs.no_bias = 1;
    ck_assert_int_eq(ws_model_create(&ctx, &m, &rs), WS_ERR_ARG);
    ck_assert_ptr_nonnull(strstr(ctx.err, "without biases are for the MLP and logreg"));
    v = variant(WS_MODEL_MLP, (ws_activation)7, 0);
    ck_assert_int_eq(ws_model_create(&ctx, &m, &v), WS_ERR_ARG);
    ck_assert_ptr_null(m);
    ws_activation a;
    ck_assert_int_eq(ws_activation_parse(&ctx, "tanh", &a), WS_OK);
    ck_assert_int_eq(a, WS_ACT_TANH);
    ck_assert_int_eq(ws_activation_parse(&ctx, "relu", &a), WS_OK);
    ck_assert_int_eq(a, WS_ACT_RELU);
    ck_assert_int_eq(ws_activation_parse(&ctx, "sigmoid", &a), WS_ERR_ARG);
    ck_assert_str_eq(ctx.err, "unknown activation 'sigmoid' (expected relu, tanh or crelu)");
}
END_TEST

// ---- ResNet-18 ------------------------------------------------------------------------------

static ws_model *tiny_resnet(int width, ws_shape in, int classes) {
    ws_model_spec spec = {.kind = WS_MODEL_RESNET18, .input = in, .num_classes = classes, .width = width};
    ws_model *m = NULL;
    ck_assert_int_eq(ws_model_create(&ctx, &m, &spec), WS_OK);
    ws_rng r = ws_rng_stream(4, "init", 0);
    ws_model_init(m, &r);
    return m;
}

START_TEST(resnet_names_shapes_and_buffers) {
    ws_model *m = tiny_resnet(16, (ws_shape){3, 32, 32}, 10);
    ck_assert_str_eq(m->arch, "resnet18 w16 3x32x32-10");
    struct { const char *name; int ndim, d0, d1, d2, d3; } want[] = {
        {"conv1.weight", 4, 16, 3, 3, 3},          {"bn1.weight", 1, 16, 0, 0, 0},
        {"layer1.0.conv1.weight", 4, 16, 16, 3, 3}, {"layer1.1.bn2.bias", 1, 16, 0, 0, 0},
        {"layer2.0.conv1.weight", 4, 32, 16, 3, 3}, {"layer2.0.shortcut.0.weight", 4, 32, 16, 1, 1},
        {"layer2.0.shortcut.1.weight", 1, 32, 0, 0, 0}, {"layer4.1.conv2.weight", 4, 128, 128, 3, 3},
        {"linear.weight", 2, 10, 128, 0, 0},         {"linear.bias", 1, 10, 0, 0, 0}};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        const ws_param *p = ws_model_param(m, want[i].name);
        ck_assert_msg(p != NULL, "missing %s", want[i].name);
        ck_assert_int_eq(p->ndim, want[i].ndim);
        int d[4] = {want[i].d0, want[i].d1, want[i].d2, want[i].d3};
        for (int k = 0; k < p->ndim; k++) ck_assert_int_eq(p->dims[k], d[k]);
    }
    ck_assert_ptr_null(ws_model_param(m, "layer1.0.shortcut.0.weight")); // identity shortcut
    // 62 parameter tensors and 20 BatchNorms x 3 buffers, as PyTorch's state_dict.
    ck_assert_int_eq(m->nparams, 62);
    ck_assert_int_eq(m->nbuffers, 60);
    const ws_buffer *b = ws_model_buffer(m, "layer3.0.shortcut.1.num_batches_tracked");
    ck_assert_ptr_nonnull(b);
    ck_assert_int_eq(b->dtype, WS_BUF_I64);
    ck_assert_int_eq(b->ndim, 0);
    b = ws_model_buffer(m, "bn1.running_var");
    ck_assert_float_eq(m->buf[b->offset], 1.0f);
    ws_model_free(m);
}
END_TEST

typedef struct {
    ws_model *m;
    float x[4 * 3 * 16 * 16];
    int32_t y[4];
} resnet_case;

static double resnet_loss(resnet_case *c) {
    ws_model_forward(&ctx, c->m, c->x, 4, 1);
    return ws_model_loss(&ctx, c->m, c->y, 4, NULL);
}

START_TEST(resnet_gradients_match_finite_differences) {
    resnet_case c;
    c.m = tiny_resnet(4, (ws_shape){3, 16, 16}, 3);
    ck_assert_int_eq(ws_model_plan(&ctx, c.m, 4), WS_OK);
    ws_rng r = ws_rng_stream(5, "test-resnet", 0);
    for (size_t i = 0; i < sizeof c.x / sizeof c.x[0]; i++) c.x[i] = 2 * ws_rng_uniform(&r) - 1;
    for (int i = 0; i < 4; i++) c.y[i] = (int32_t)ws_rng_below(&r, 3);
    // Make the BN affine parameters non-trivial so their gradients are tested too.
    for (int i = 0; i < c.m->nparams; i++)
        if (c.m->params[i].ndim == 1)
            for (int64_t k = 0; k < c.m->params[i].numel; k++) c.m->w[c.m->params[i].offset + k] += 0.3f * (2 * ws_rng_uniform(&r) - 1);
    resnet_loss(&c);
    ws_model_zero_grad(c.m);
    ws_model_backward(&ctx, c.m, c.y, 4);
    // Per tensor, the derivative along a random unit direction v: (L(w+hv) -
    // L(w-hv)) / 2h against g.v, relative to |g|. Through a whole ReLU network
    // with BatchNorm over small batches, the thousands of kinks crossed within
    // +-h leave differences of up to ~10% of |g| in the first layers (measured:
    // they do not shrink with h), so this is a coarse check that catches wrong
    // wiring (a missing branch, a sign, a wrong buffer: errors of order 1); the
    // ops are checked element by element in test_ops.c and test_conv_ops.c,
    // and the whole network against PyTorch in tests/parity/.
    const float h = getenv("WS_TEST_H") ? (float)atof(getenv("WS_TEST_H")) : 1e-3f;
    static float v[20000];
    for (int p = 0; p < c.m->nparams; p++) {
        const ws_param *P = &c.m->params[p];
        ck_assert_int_le(P->numel, 20000);
        double norm = 0, gnorm = 0, an = 0;
        for (int64_t i = 0; i < P->numel; i++) v[i] = ws_rng_normal(&r), norm += (double)v[i] * v[i];
        for (int64_t i = 0; i < P->numel; i++) {
            v[i] = (float)(v[i] / sqrt(norm));
            an += (double)v[i] * c.m->g[P->offset + i];
            gnorm += (double)c.m->g[P->offset + i] * c.m->g[P->offset + i];
        }
        float *w = c.m->w + P->offset, keep[20000];
        memcpy(keep, w, sizeof(float) * (size_t)P->numel);
        for (int64_t i = 0; i < P->numel; i++) w[i] = keep[i] + h * v[i];
        double up = resnet_loss(&c);
        for (int64_t i = 0; i < P->numel; i++) w[i] = keep[i] - h * v[i];
        double down = resnet_loss(&c);
        memcpy(w, keep, sizeof(float) * (size_t)P->numel);
        double num = (up - down) / (2 * (double)h), err = fabs(num - an) / fmax(sqrt(gnorm), 1e-12);
        if (getenv("WS_TEST_VERBOSE")) fprintf(stderr, "%-32s %.3g (g.v %.3g, |g| %.3g)\n", P->name, err, an, sqrt(gnorm));
        if (!getenv("WS_TEST_VERBOSE")) ck_assert_msg(err < 0.25, "%s: directional derivative off by %g of |g|", P->name, err);
    }
    ws_model_free(c.m);
}
END_TEST

START_TEST(resnet_train_and_eval_modes) {
    // Eval mode uses the running statistics: after training-mode passes they
    // have moved, so the two modes give different logits; eval mode is
    // deterministic and does not count batches.
    ws_model *m = tiny_resnet(4, (ws_shape){1, 12, 12}, 5);
    ck_assert_int_eq(ws_model_plan(&ctx, m, 6), WS_OK);
    float x[6 * 144];
    ws_rng r = ws_rng_stream(8, "test-resnet", 1);
    for (int i = 0; i < 6 * 144; i++) x[i] = 2 * ws_rng_uniform(&r) - 1;
    float a[30], b[30], e1[30], e2[30];
    memcpy(a, ws_model_forward(&ctx, m, x, 6, 1), sizeof a);
    memcpy(b, ws_model_forward(&ctx, m, x, 6, 1), sizeof b);
    ck_assert_mem_eq(a, b, sizeof a); // batch statistics: same batch, same output
    const ws_buffer *nbt = ws_model_buffer(m, "bn1.num_batches_tracked");
    ck_assert_int_eq(m->ibuf[nbt->offset], 2);
    memcpy(e1, ws_model_forward(&ctx, m, x, 6, 0), sizeof e1);
    memcpy(e2, ws_model_forward(&ctx, m, x, 6, 0), sizeof e2);
    ck_assert_mem_eq(e1, e2, sizeof e1);
    ck_assert_int_eq(m->ibuf[nbt->offset], 2);
    ck_assert_int_ne(memcmp(a, e1, sizeof a), 0);
    const ws_buffer *rm = ws_model_buffer(m, "bn1.running_mean");
    double moved = 0;
    for (int k = 0; k < 4; k++) moved += fabs(m->buf[rm->offset + k]);
    ck_assert_double_gt(moved, 0);
    ws_model_free(m);
}
END_TEST

START_TEST(evaluation_does_not_blow_up_the_plan) {
    // 200 images through a ResNet whose inference plan for 200 exceeds the
    // 256 MB budget: evaluation falls back to batches of 128 and gives the same
    // accuracy as batches of 50.
    static uint8_t px[200 * 3 * 96 * 96];
    static int32_t lab[200], idx[200];
    ws_rng r = ws_rng_stream(2, "test-eval", 0);
    for (size_t i = 0; i < sizeof px; i++) px[i] = (uint8_t)ws_rng_below(&r, 256);
    for (int i = 0; i < 200; i++) lab[i] = i % 10, idx[i] = i;
    ws_dataset d = {.n = 200, .c = 3, .h = 96, .w = 96, .num_classes = 10, .x = px, .y = lab};
    ws_norm n;
    ws_norm_paper(&n, 3);
    ws_model *m = tiny_resnet(16, (ws_shape){3, 96, 96}, 10);
    ck_assert_int_gt(ws_model_plan_floats(m, 200, 0), (int64_t)64 << 20);
    // Inference plans hold a few activations, training plans all of them.
    ck_assert_int_lt(4 * ws_model_plan_floats(m, 200, 0), ws_model_plan_floats(m, 200, 1));
    double acc_big, acc_small, loss_big, loss_small;
    ck_assert_int_eq(ws_evaluate(&ctx, m, &d, &n, idx, 200, 200, &acc_big, &loss_big), WS_OK);
    ck_assert_int_eq(m->planned_batch, 128);
    ck_assert_int_eq(ws_evaluate(&ctx, m, &d, &n, idx, 200, 50, &acc_small, &loss_small), WS_OK);
    ck_assert_double_eq(acc_big, acc_small);
    ck_assert_double_eq_tol(loss_big, loss_small, 1e-6);
    ws_model_free(m);
}
END_TEST

START_TEST(resnet_refuses_too_small_inputs) {
    ws_model_spec spec = {.kind = WS_MODEL_RESNET18, .input = {3, 32, 32}, .num_classes = 10, .width = 0};
    ws_model *m = NULL;
    ck_assert_int_eq(ws_model_create(&ctx, &m, &spec), WS_ERR_ARG);
    ck_assert_ptr_nonnull(strstr(ctx.err, "width"));
}
END_TEST

// ---- Kumar et al. 2024: the small CNN, LayerNorm, CReLU ----------------------------------------

static ws_model *create_ok(ws_model_spec spec) {
    ws_model *m = NULL;
    ck_assert_msg(ws_model_create(&ctx, &m, &spec) == WS_OK, "%s", ctx.err);
    return m;
}

static void check_param(const ws_model *m, const char *name, int ndim, int d0, int d1, int d2, int d3) {
    const ws_param *p = ws_model_param(m, name);
    ck_assert_msg(p != NULL, "no parameter %s", name);
    const int d[4] = {d0, d1, d2, d3};
    ck_assert_int_eq(p->ndim, ndim);
    for (int i = 0; i < ndim; i++) ck_assert_msg(p->dims[i] == d[i], "%s dim %d: %d, expected %d", name, i, p->dims[i], d[i]);
}

static ws_model_spec kumar_cnn(int c, int h, int w, ws_activation act, int ln) {
    return (ws_model_spec){.kind = WS_MODEL_CNN, .input = {c, h, w}, .num_classes = 10, .nhidden = 2,
                           .hidden = {100, 100}, .width = 16, .act = act, .layer_norm = ln};
}

START_TEST(cnn_names_shapes_and_counts) {
    // nets/cnn.py on 3x32x32: 16*5*5 = 400 features flattened; 58,842 parameters.
    ws_model *m = create_ok(kumar_cnn(3, 32, 32, WS_ACT_RELU, 0));
    const char *order[] = {"conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias", "fc1.weight",
                           "fc1.bias", "fc2.weight", "fc2.bias", "output_layer.weight", "output_layer.bias"};
    ck_assert_int_eq(m->nparams, 10);
    for (int i = 0; i < 10; i++) ck_assert_str_eq(m->params[i].name, order[i]);
    check_param(m, "conv1.weight", 4, 16, 3, 5, 5);
    check_param(m, "conv2.weight", 4, 16, 16, 5, 5);
    check_param(m, "fc1.weight", 2, 100, 400, 0, 0);
    check_param(m, "output_layer.weight", 2, 10, 100, 0, 0);
    ck_assert_int_eq(m->nweights, 58842);
    ck_assert_str_eq(m->arch, "cnn c16 3x32x32-100-100-10");
    ws_model_free(m);
    // 1x28x28: 16*4*4 = 256.
    m = create_ok(kumar_cnn(1, 28, 28, WS_ACT_RELU, 0));
    check_param(m, "fc1.weight", 2, 100, 256, 0, 0);
    ck_assert_int_eq(m->nweights, 43642);
    ck_assert_str_eq(m->arch, "cnn c16 1x28x28-100-100-10");
    ws_model_free(m);
    // LayerNorm over (C,H,W) after each convolution, (N) after each hidden Linear layer;
    // weight 1, bias 0 from the initialisation; the convolutions' biases drawn like their weights.
    m = create_ok(kumar_cnn(3, 32, 32, WS_ACT_RELU, 1));
    check_param(m, "layer_norm1.weight", 3, 16, 28, 28, 0);
    check_param(m, "layer_norm2.bias", 3, 16, 10, 10, 0);
    check_param(m, "layer_norm3.weight", 1, 100, 0, 0, 0);
    check_param(m, "layer_norm4.bias", 1, 100, 0, 0, 0);
    ck_assert_int_eq(m->nweights, 58842 + 2 * (16 * 28 * 28 + 16 * 10 * 10 + 100 + 100));
    ck_assert_str_eq(m->arch, "cnn c16 3x32x32-100-100-10 ln");
    ws_rng r = ws_rng_stream(1, "init", 0);
    ws_model_init(m, &r);
    const ws_param *g = ws_model_param(m, "layer_norm1.weight"), *b = ws_model_param(m, "layer_norm1.bias");
    const ws_param *cb = ws_model_param(m, "conv2.bias");
    for (int64_t i = 0; i < g->numel; i++) ck_assert(m->w[g->offset + i] == 1.0f && m->w[b->offset + i] == 0.0f);
    double mx = 0;
    for (int64_t i = 0; i < cb->numel; i++) mx = fmax(mx, fabs(m->w[cb->offset + i]));
    ck_assert_double_le(mx, 1 / sqrt(16.0 * 25));
    ck_assert_double_gt(mx, 0);
    ws_model_free(m);
}
END_TEST

// concat_relu_network_calculation.py's rule: the first f of 0.5, 0.49, ... whose CReLU network
// has at least the plain one's parameters (LayerNorm's not counted); widths int((1 - f) w).
START_TEST(crelu_widths_follow_kumar) {
    ws_model_spec mlp = {.kind = WS_MODEL_MLP, .input = {1, 28, 28}, .num_classes = 10, .nhidden = 2,
                         .hidden = {100, 100}, .act = WS_ACT_CRELU};
    ws_model_widths w;
    ck_assert_int_eq(ws_model_widths_of(&mlp, &w), 0);
    ck_assert_double_eq_tol(w.fraction_removed, 0.09, 1e-12);
    ck_assert_int_eq(w.hidden[0], 91);
    ck_assert_int_eq(w.hidden[1], 91);
    ws_model *m = create_ok(mlp);
    check_param(m, "lm1.weight", 2, 91, 784, 0, 0);
    check_param(m, "lm2.weight", 2, 91, 182, 0, 0);
    check_param(m, "lm3.weight", 2, 10, 182, 0, 0);
    // 89,918 >= the plain 784-100-100-10's 89,610; at f = 0.10 (width 90) 88,750 would fall short.
    ck_assert_int_eq(m->nweights, 89918);
    ck_assert_str_eq(m->arch, "mlp 784-100-100-10 crelu:91-91");
    ws_model_free(m);
    mlp.layer_norm = 1;
    m = create_ok(mlp);
    check_param(m, "ln1.weight", 1, 91, 0, 0, 0); // LayerNorm normalises the Linear output, before CReLU
    check_param(m, "ln2.bias", 1, 91, 0, 0, 0);
    ck_assert_str_eq(m->arch, "mlp 784-100-100-10 crelu:91-91 ln");
    ws_model_free(m);
    mlp.input = (ws_shape){3, 32, 32};
    ck_assert_int_eq(ws_model_widths_of(&mlp, &w), 0);
    ck_assert_int_eq(w.hidden[0], 97);
    // The CNN, 3x32x32, 16 channels, 100-100: f = 0.27, 11 channels, 73 units.
    ws_model_spec cnn = kumar_cnn(3, 32, 32, WS_ACT_CRELU, 0);
    ck_assert_int_eq(ws_model_widths_of(&cnn, &w), 0);
    ck_assert_double_eq_tol(w.fraction_removed, 0.27, 1e-12);
    ck_assert_int_eq(w.channels, 11);
    ck_assert_int_eq(w.hidden[0], 73);
    m = create_ok(cnn);
    check_param(m, "conv1.weight", 4, 11, 3, 5, 5);
    check_param(m, "conv2.weight", 4, 11, 22, 5, 5);
    check_param(m, "fc1.weight", 2, 73, 22 * 25, 0, 0);
    check_param(m, "fc2.weight", 2, 73, 146, 0, 0);
    check_param(m, "output_layer.weight", 2, 10, 146, 0, 0);
    ck_assert_int_eq(m->nweights, 59321); // >= 58,842
    ck_assert_str_eq(m->arch, "cnn c16 3x32x32-100-100-10 crelu:c11-73-73");
    ws_model_free(m);
    cnn = kumar_cnn(1, 28, 28, WS_ACT_CRELU, 1);
    ck_assert_int_eq(ws_model_widths_of(&cnn, &w), 0);
    ck_assert_int_eq(w.channels, 11);
    ck_assert_int_eq(w.hidden[0], 72);
    m = create_ok(cnn);
    check_param(m, "layer_norm1.weight", 3, 11, 24, 24, 0);
    ck_assert_str_eq(m->arch, "cnn c16 1x28x28-100-100-10 crelu:c11-72-72 ln");
    ck_assert_int_eq(ws_arch_activation(m->arch), WS_ACT_CRELU);
    ws_model_free(m);
    // Without CReLU the spec's widths.
    cnn.act = WS_ACT_RELU;
    ck_assert_int_eq(ws_model_widths_of(&cnn, &w), 0);
    ck_assert(w.channels == 16 && w.hidden[1] == 100 && w.fraction_removed == 0);
}
END_TEST

// Every parameter gradient by central differences, on each backend (_i / NKV: 0 reference,
// 1 onednn): the CNN with ReLU or CReLU, with or without LayerNorm, on a 16x17 input (odd: the
// pooling drops a column), and the MLP (6 inputs) with LayerNorm, CReLU and both.
static const struct {
    ws_model_kind kind;
    ws_activation act;
    int ln;
} KUMAR_VARIANTS[] = {{WS_MODEL_CNN, WS_ACT_RELU, 0}, {WS_MODEL_CNN, WS_ACT_RELU, 1}, {WS_MODEL_CNN, WS_ACT_CRELU, 0},
                      {WS_MODEL_CNN, WS_ACT_CRELU, 1}, {WS_MODEL_MLP, WS_ACT_RELU, 1}, {WS_MODEL_MLP, WS_ACT_CRELU, 0},
                      {WS_MODEL_MLP, WS_ACT_CRELU, 1}};
#define NKV ((int)(sizeof KUMAR_VARIANTS / sizeof *KUMAR_VARIANTS))
enum { KB = 3, KIN = 2 * 16 * 17 };

typedef struct {
    ws_model *m;
    float x[KB * KIN];
    int32_t y[KB];
} kumar_case;

static double kumar_loss(kumar_case *c) {
    ws_model_forward(&ctx, c->m, c->x, KB, 1);
    return ws_model_loss(&ctx, c->m, c->y, KB, NULL);
}

START_TEST(kumar_gradients_match_finite_differences) {
    const int v = _i % NKV;
    ck_assert_int_eq(ws_ctx_set_backend(&ctx, _i / NKV ? "onednn" : "reference"), WS_OK);
    // The MLP on a small input: on 544 inputs no cut of CReLU keeps a 6-5 MLP's parameter count.
    const ws_shape in = KUMAR_VARIANTS[v].kind == WS_MODEL_CNN ? (ws_shape){2, 16, 17} : (ws_shape){1, 2, 3};
    ws_model_spec spec = {.kind = KUMAR_VARIANTS[v].kind, .input = in, .num_classes = 3, .nhidden = 2,
                          .hidden = {6, 5}, .width = 4, .act = KUMAR_VARIANTS[v].act, .layer_norm = KUMAR_VARIANTS[v].ln};
    kumar_case c;
    c.m = create_ok(spec);
    ck_assert_int_eq(ws_model_plan(&ctx, c.m, KB), WS_OK);
    ws_rng r = ws_rng_stream(9, "init", 0);
    ws_model_init(c.m, &r);
    for (int64_t i = 0; i < c.m->nweights; i++) c.m->w[i] += 0.2f * (2 * ws_rng_uniform(&r) - 1); // LayerNorm's too
    for (int i = 0; i < KB * KIN; i++) c.x[i] = 2 * ws_rng_uniform(&r) - 1;
    for (int i = 0; i < KB; i++) c.y[i] = (int32_t)ws_rng_below(&r, 3);
    kumar_loss(&c);
    ws_model_zero_grad(c.m);
    ws_model_backward(&ctx, c.m, c.y, KB);
    ck_assert_msg(!ctx.fault, "%s", ctx.err);
    double maxdiff = 0, maxref = 1e-12;
    const float h = 1e-3f;
    for (int64_t i = 0; i < c.m->nweights; i++) {
        float keep = c.m->w[i];
        c.m->w[i] = keep + h;
        double up = kumar_loss(&c);
        c.m->w[i] = keep - h;
        double down = kumar_loss(&c);
        c.m->w[i] = keep;
        double num = (up - down) / (2 * (double)h);
        maxdiff = fmax(maxdiff, fabs(num - c.m->g[i]));
        maxref = fmax(maxref, fabs(num));
    }
    ck_assert_msg(maxdiff / maxref < 5e-3, "%s: relative error %g", c.m->arch, maxdiff / maxref);
    ws_model_free(c.m);
}
END_TEST

START_TEST(kumar_misuse_is_refused) {
    ws_model *m = NULL;
    ws_model_spec s = kumar_cnn(3, 32, 32, WS_ACT_TANH, 0);
    ck_assert_int_eq(ws_model_create(&ctx, &m, &s), WS_ERR_ARG);
    ck_assert_str_eq(ctx.err, "a tanh activation is not for cnn, which is built with ReLU or CReLU");
    s.act = WS_ACT_RELU, s.no_bias = 1;
    ck_assert_int_eq(ws_model_create(&ctx, &m, &s), WS_ERR_ARG);
    ck_assert_str_eq(ctx.err, "Linear layers without biases are for the MLP and logreg, not cnn");
    s = kumar_cnn(3, 15, 32, WS_ACT_RELU, 0);
    ck_assert_int_eq(ws_model_create(&ctx, &m, &s), WS_ERR_ARG);
    ck_assert_ptr_nonnull(strstr(ctx.err, "a 15x32 input is too small"));
    s = kumar_cnn(3, 16, 16, WS_ACT_RELU, 0); // the smallest: 16 -> 12 -> 6 -> 2 -> 1
    m = create_ok(s);
    check_param(m, "fc1.weight", 2, 100, 16, 0, 0);
    ws_model_free(m);
    m = NULL;
    s.nhidden = 0;
    ck_assert_int_eq(ws_model_create(&ctx, &m, &s), WS_ERR_ARG);
    ws_model_spec rs = {.kind = WS_MODEL_RESNET18, .input = {3, 8, 8}, .num_classes = 4, .width = 4, .layer_norm = 1};
    ck_assert_int_eq(ws_model_create(&ctx, &m, &rs), WS_ERR_ARG);
    ck_assert_str_eq(ctx.err, "LayerNorm is for the MLP and the CNN, not resnet18");
    rs.layer_norm = 0, rs.act = WS_ACT_CRELU;
    ck_assert_int_eq(ws_model_create(&ctx, &m, &rs), WS_ERR_ARG);
    ck_assert_str_eq(ctx.err, "a crelu activation is not for resnet18, which is built with ReLU");
    ws_model_spec lr = variant(WS_MODEL_LOGREG, WS_ACT_RELU, 0);
    lr.layer_norm = 1;
    ck_assert_int_eq(ws_model_create(&ctx, &m, &lr), WS_ERR_ARG);
    ck_assert_str_eq(ctx.err, "LayerNorm is for the MLP and the CNN, not logreg");
    // A width of 1 cannot be cut and keep its count: refused, not built with 0 units.
    ws_model_spec one = variant(WS_MODEL_MLP, WS_ACT_CRELU, 0);
    one.hidden[0] = 1;
    ck_assert_int_eq(ws_model_create(&ctx, &m, &one), WS_ERR_ARG);
    ck_assert_ptr_nonnull(strstr(ctx.err, "mlp with CReLU: no cut"));
    ck_assert_ptr_null(m);
    ws_model_kind k;
    ck_assert_int_eq(ws_model_kind_parse(&ctx, "cnn", &k), WS_OK);
    ck_assert_int_eq(k, WS_MODEL_CNN);
    ck_assert_str_eq(ws_model_kind_name(WS_MODEL_CNN), "cnn");
    ws_activation a;
    ck_assert_int_eq(ws_activation_parse(&ctx, "crelu", &a), WS_OK);
    ck_assert_int_eq(a, WS_ACT_CRELU);
}
END_TEST

Suite *model_suite(void) {
    Suite *s = suite_create("model");
    TCase *t = tcase_create("mlp");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, mlp_names_and_layouts);
    tcase_add_test(t, container_built_by_hand_matches_the_zoo);
    tcase_add_test(t, init_matches_pytorch_distribution);
    tcase_add_test(t, mlp_variants_names_arch_and_forward);
    tcase_add_loop_test(t, model_gradients_match_finite_differences, 0, N_FD_MODELS);
    tcase_add_test(t, copy_weights_requires_same_architecture);
    tcase_add_test(t, bad_specs_are_refused);
    suite_add_tcase(s, t);
    TCase *r = tcase_create("resnet");
    tcase_add_checked_fixture(r, setup, teardown);
    tcase_set_timeout(r, 120);
    tcase_add_test(r, resnet_names_shapes_and_buffers);
    tcase_add_test(r, resnet_gradients_match_finite_differences);
    tcase_add_test(r, resnet_train_and_eval_modes);
    tcase_add_test(r, resnet_refuses_too_small_inputs);
    tcase_add_test(r, evaluation_does_not_blow_up_the_plan);
    suite_add_tcase(s, r);
    TCase *k = tcase_create("kumar");
    tcase_add_checked_fixture(k, setup, teardown);
    tcase_set_timeout(k, 120);
    tcase_add_test(k, cnn_names_shapes_and_counts);
    tcase_add_test(k, crelu_widths_follow_kumar);
    tcase_add_loop_test(k, kumar_gradients_match_finite_differences, 0, 2 * NKV);
    tcase_add_test(k, kumar_misuse_is_refused);
    suite_add_tcase(s, k);
    return s;
}
