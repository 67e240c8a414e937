// Models: names and layouts as PyTorch, initialisation, and a finite-difference
// check of every parameter gradient through the whole model.
#include <math.h>
#include <string.h>

#include "nn/model.h"
#include "suites.h"

static ws_ctx ctx;
static void setup(void) { ws_ctx_init(&ctx, 2); }

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

START_TEST(model_gradients_match_finite_differences) {
    model_case c;
    c.m = make(_i ? WS_MODEL_LOGREG : WS_MODEL_MLP);
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
}
END_TEST

Suite *model_suite(void) {
    Suite *s = suite_create("model");
    TCase *t = tcase_create("mlp");
    tcase_add_checked_fixture(t, setup, NULL);
    tcase_add_test(t, mlp_names_and_layouts);
    tcase_add_test(t, init_matches_pytorch_distribution);
    tcase_add_loop_test(t, model_gradients_match_finite_differences, 0, 2);
    tcase_add_test(t, copy_weights_requires_same_architecture);
    tcase_add_test(t, bad_specs_are_refused);
    suite_add_tcase(s, t);
    return s;
}
