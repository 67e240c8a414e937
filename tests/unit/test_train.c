// Training: learns a separable problem to the threshold, is bitwise
// reproducible for a seed, stops cleanly on divergence.
#include <math.h>
#include <string.h>

#include "suites.h"
#include "train/train.h"

static ws_ctx ctx;
static void setup(void) { ws_ctx_init(&ctx, 2); }
static void teardown(void) { ws_ctx_release(&ctx); } // the backend's cached primitives

enum { TN = 600, TDIM = 8 };
static uint8_t xs[TN * TDIM];
static int32_t ys[TN], idx[TN];

// Three classes told apart by which third of the pixels is bright.
static ws_dataset toy(void) {
    ws_rng r = ws_rng_stream(1, "toy", 0);
    for (int i = 0; i < TN; i++) {
        ys[i] = i % 3;
        idx[i] = i;
        for (int k = 0; k < TDIM; k++)
            xs[i * TDIM + k] = (uint8_t)(ws_rng_below(&r, 100) + (k % 3 == ys[i] ? 120 : 0));
    }
    ws_dataset d = {.n = TN, .c = 1, .h = 2, .w = 4, .num_classes = 3, .x = xs, .y = ys};
    return d;
}

static ws_model *mlp(uint64_t seed) {
    ws_model_spec spec = {.kind = WS_MODEL_MLP, .input = {1, 2, 4}, .num_classes = 3, .nhidden = 1, .hidden = {16}};
    ws_model *m = NULL;
    ck_assert_int_eq(ws_model_create(&ctx, &m, &spec), WS_OK);
    ws_rng r = ws_rng_stream(seed, "init", 0);
    ws_model_init(m, &r);
    return m;
}

START_TEST(learns_to_threshold_and_evaluates) {
    ws_dataset d = toy();
    ws_norm n;
    ws_norm_from_data(&n, &d, NULL, 0);
    ws_model *m = mlp(1);
    ws_opt_config oc = ws_opt_defaults(WS_OPT_ADAM, 1e-2f);
    ws_optim o;
    ws_optim_create(&ctx, &o, &oc, m->nweights);
    ws_train_config tc = {.batch = 32, .threshold = 0.98, .max_epochs = 100};
    ws_train_result r;
    ck_assert_int_eq(ws_train_to_threshold(&ctx, m, &o, &d, &n, idx, TN, &tc, 1, 1, NULL, NULL, &r), WS_OK);
    ck_assert(r.converged);
    ck_assert_double_ge(r.train_acc, 0.98);
    ck_assert_int_eq(r.steps, (int64_t)r.nepochs * ((TN + 31) / 32)); // last partial batch included
    ck_assert_double_le(r.epochs[r.nepochs - 1].loss, r.epochs[0].loss);
    double acc, loss;
    ck_assert_int_eq(ws_evaluate(&ctx, m, &d, &n, idx, TN, 64, &acc, &loss), WS_OK);
    ck_assert_double_gt(acc, 0.95);
    ws_train_result_free(&r);
    ws_optim_free(&o);
    ws_model_free(m);
}
END_TEST

START_TEST(same_seed_same_bits) {
    ws_dataset d = toy();
    ws_norm n;
    ws_norm_from_data(&n, &d, NULL, 0);
    ws_model *m[3];
    for (int k = 0; k < 3; k++) {
        m[k] = mlp(7);
        ws_opt_config oc = ws_opt_defaults(WS_OPT_SGD, 0.05f);
        oc.momentum = 0.9f;
        ws_optim o;
        ws_optim_create(&ctx, &o, &oc, m[k]->nweights);
        ws_train_config tc = {.batch = 50, .threshold = 1.1, .max_epochs = 3};
        ws_train_result r;
        // Runs 0 and 1 share the order stream; run 2 sees another data order.
        ck_assert_int_eq(ws_train_to_threshold(&ctx, m[k], &o, &d, &n, idx, TN, &tc, 7, k < 2 ? 1 : 2, NULL, NULL, &r), WS_OK);
        ck_assert(!r.converged);
        ck_assert_int_eq(r.nepochs, 3);
        ws_train_result_free(&r);
        ws_optim_free(&o);
    }
    ck_assert_mem_eq(m[0]->w, m[1]->w, sizeof(float) * (size_t)m[0]->nweights);
    ck_assert_int_ne(memcmp(m[0]->w, m[2]->w, sizeof(float) * (size_t)m[0]->nweights), 0);
    for (int k = 0; k < 3; k++) ws_model_free(m[k]);
}
END_TEST

START_TEST(divergence_stops_with_a_clear_error) {
    ws_dataset d = toy();
    ws_norm n;
    ws_norm_from_data(&n, &d, NULL, 0);
    ws_model *m = mlp(2);
    m->w[0] = NAN;
    ws_opt_config oc = ws_opt_defaults(WS_OPT_SGD, 0.1f);
    ws_optim o;
    ws_optim_create(&ctx, &o, &oc, m->nweights);
    ws_train_config tc = {.batch = 32, .threshold = 0.99, .max_epochs = 5};
    ws_train_result r;
    ck_assert_int_eq(ws_train_to_threshold(&ctx, m, &o, &d, &n, idx, TN, &tc, 1, 1, NULL, NULL, &r), WS_ERR_NUMERIC);
    ck_assert_ptr_nonnull(strstr(ctx.err, "diverged"));
    ck_assert_ptr_nonnull(strstr(ctx.err, "epoch 1"));
    ws_optim_free(&o);
    ws_model_free(m);
}
END_TEST

Suite *train_suite(void) {
    Suite *s = suite_create("train");
    TCase *t = tcase_create("loop");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_set_timeout(t, 60);
    tcase_add_test(t, learns_to_threshold_and_evaluates);
    tcase_add_test(t, same_seed_same_bits);
    tcase_add_test(t, divergence_stops_with_a_clear_error);
    suite_add_tcase(s, t);
    return s;
}
