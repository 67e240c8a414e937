// Training: learns a separable problem to the threshold, is bitwise
// reproducible for a seed, stops cleanly on divergence; the official code's
// training-accuracy figure against an independent computation (on hand-made
// sequences and on the batches a real run records); each stopping rule (fixed
// epochs, plateau, cap, no cap); evaluation during training leaves the training
// as it was; a probe between steps (Figure 5's gradient norms) sees the model after exactly
// its steps, measures the gradient norm a closed form gives, and leaves training as it was;
// shrink-only evaluation (Figure 6) against evaluating a directly scaled copy; snapshots along a
// fixed-epoch run are the shorter runs bit for bit and leave the run as it was; a request to stop
// ends training at the next step.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "exp/metrics.h"
#include "suites.h"
#include "train/train.h"

static ws_ctx ctx;
static void setup(void) { ws_ctx_init(&ctx, 2); }
static void teardown(void) { ws_ctx_release(&ctx); } // the backend's cached primitives

enum { TN = 600, TDIM = 8 };
static uint8_t xs[TN * TDIM];
static int32_t ys[TN], idx[TN];

static ws_dataset toy(void) { return test_toy_dataset(TN, xs, ys, idx); }

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

// A run normalises its examples once and copies rows into each batch; normalising every batch
// from the bytes (the path for data too large to hold as floats) trains the same bits -- on a
// shuffled subset, so that the rows' positions and the examples' ids differ, with Adam.
START_TEST(normalising_once_trains_the_same_bits) {
    ws_dataset d = toy();
    ws_norm n;
    ws_norm_from_data(&n, &d, NULL, 0);
    int32_t sub[450];
    memcpy(sub, idx, sizeof sub);
    ws_rng rs = ws_rng_stream(3, "test", 0);
    ws_rng_shuffle(&rs, sub, 450);
    ws_model *m[2];
    ws_train_result r[2];
    for (int k = 0; k < 2; k++) {
        m[k] = mlp(9);
        ws_opt_config oc = ws_opt_defaults(WS_OPT_ADAM, 1e-2f);
        ws_optim o;
        ws_optim_create(&ctx, &o, &oc, m[k]->nweights);
        ws_train_config tc = {.batch = 32, .epochs = 3, .normalise_per_batch = k};
        ck_assert_int_eq(ws_train_to_threshold(&ctx, m[k], &o, &d, &n, sub, 450, &tc, 4, 1, NULL, NULL, &r[k]), WS_OK);
        ws_optim_free(&o);
    }
    ck_assert_mem_eq(m[0]->w, m[1]->w, sizeof(float) * (size_t)m[0]->nweights);
    for (int e = 0; e < 3; e++) {
        ck_assert_double_eq(r[0].epochs[e].loss, r[1].epochs[e].loss);
        ck_assert_double_eq(r[0].epochs[e].train_acc, r[1].epochs[e].train_acc);
    }
    // The rows are what ws_gather gives, example by example.
    float rows[4 * TDIM], one[TDIM];
    ws_normalise_rows(rows, &d, &n, sub, 4);
    for (int i = 0; i < 4; i++) {
        ws_gather(one, NULL, &d, &n, sub + i, 1);
        ck_assert_mem_eq(rows + i * TDIM, one, sizeof one);
    }
    for (int k = 0; k < 2; k++) ws_train_result_free(&r[k]), ws_model_free(m[k]);
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

// run.py's figure computed another way: batch i (0-based) of an epoch of nb batches is
// counted once for itself and once more for every later batch of its window, so it
// weighs (last batch of its window) - i + 1; windows are batches 0..10, 11..20, 21..30, ...
static double official_closed_form(const int *correct, const int *size, int nb) {
    double num = 0, den = 0;
    for (int i = 0; i < nb; i++) {
        int last = i <= 10 ? 10 : 10 * ((i - 1) / 10 + 1);
        if (last > nb - 1) last = nb - 1;
        num += (double)correct[i] * (last - i + 1);
        den += (double)size[i] * (last - i + 1);
    }
    return num / den;
}

START_TEST(official_accuracy_formula) {
    // By hand: three batches of 10, all right, then all wrong twice. The window's running
    // counts are (10/10), (10/20), (10/30): 30 / 60 = 0.5, where hits/n is 1/3.
    ws_official_acc a;
    ws_official_acc_begin(&a);
    ws_official_acc_add(&a, 10, 10);
    ws_official_acc_add(&a, 0, 10);
    ws_official_acc_add(&a, 0, 10);
    ck_assert_double_eq(ws_official_acc_value(&a), 0.5);
    // Random sequences of every length around the window edges, a short last batch included.
    ws_rng r = ws_rng_stream(3, "official", 0);
    int correct[64], size[64];
    const int lengths[] = {1, 2, 10, 11, 12, 20, 21, 22, 31, 40, 41, 64};
    for (size_t t = 0; t < sizeof lengths / sizeof *lengths; t++) {
        int nb = lengths[t];
        ws_official_acc_begin(&a);
        for (int i = 0; i < nb; i++) {
            size[i] = i == nb - 1 ? 1 + (int)ws_rng_below(&r, 128) : 128;
            correct[i] = (int)ws_rng_below(&r, (uint32_t)size[i] + 1);
            ws_official_acc_add(&a, correct[i], size[i]);
        }
        ck_assert_double_eq_tol(ws_official_acc_value(&a), official_closed_form(correct, size, nb), 1e-12);
    }
    // Window 1 (batches 0..10) vs window 2: the 12th batch starts afresh.
    ws_official_acc_begin(&a);
    for (int i = 0; i < 11; i++) ws_official_acc_add(&a, 0, 1);
    ws_official_acc_add(&a, 1, 1); // running (1/1) in a new window
    ck_assert_double_eq_tol(ws_official_acc_value(&a), 1.0 / (66 + 1), 1e-15);
}
END_TEST

// A run's recorded batches, epoch by epoch.
typedef struct {
    int correct[4][64], size[4][64], nb[4];
    int64_t steps;
} batch_log;

static void log_batch(void *user, int64_t step, int b, int correct, double loss) {
    batch_log *l = user;
    int e = (int)((step - 1) / 19); // 600 examples in batches of 32: 19 a epoch
    l->correct[e][l->nb[e]] = correct, l->size[e][l->nb[e]++] = b;
    l->steps = step;
    ck_assert(isfinite(loss));
}

START_TEST(official_accuracy_in_training) {
    ws_dataset d = toy();
    ws_norm n;
    ws_norm_from_data(&n, &d, NULL, 0);
    ws_model *m = mlp(4);
    ws_opt_config oc = ws_opt_defaults(WS_OPT_ADAM, 3e-3f);
    ws_optim o;
    ws_optim_create(&ctx, &o, &oc, m->nweights);
    batch_log log = {0};
    ws_train_config tc = {.batch = 32, .epochs = 4, .train_acc = WS_TRAIN_ACC_OFFICIAL, .on_batch = log_batch,
                          .on_batch_user = &log};
    ws_train_result r;
    ck_assert_int_eq(ws_train_to_threshold(&ctx, m, &o, &d, &n, idx, TN, &tc, 1, 1, NULL, NULL, &r), WS_OK);
    ck_assert_int_eq(log.steps, 4 * 19);
    int differs = 0;
    for (int e = 0; e < 4; e++) {
        ck_assert_int_eq(log.nb[e], 19);
        ck_assert_double_eq_tol(r.epochs[e].train_acc, official_closed_form(log.correct[e], log.size[e], 19), 1e-12);
        int hits = 0;
        for (int i = 0; i < 19; i++) hits += log.correct[e][i];
        ck_assert_double_eq(r.epochs[e].hit_rate, hits / 600.0);
        differs += r.epochs[e].train_acc != r.epochs[e].hit_rate;
    }
    ck_assert_int_gt(differs, 0); // the two figures are not the same number
    ws_train_result_free(&r);
    ws_optim_free(&o);
    ws_model_free(m);
}
END_TEST

// Train a fresh toy MLP with SGD at `lr` under tc; returns the result (caller frees).
static ws_train_result run_toy(ws_train_config tc, float lr, ws_model **keep) {
    ws_dataset d = toy();
    ws_norm n;
    ws_norm_from_data(&n, &d, NULL, 0);
    ws_model *m = mlp(5);
    ws_opt_config oc = ws_opt_defaults(WS_OPT_SGD, lr);
    ws_optim o;
    ws_optim_create(&ctx, &o, &oc, m->nweights);
    ws_train_result r;
    tc.eval_d = &d, tc.eval_idx = idx, tc.eval_n = 300, tc.eval_batch = 64;
    ck_assert_int_eq(ws_train_to_threshold(&ctx, m, &o, &d, &n, idx, TN, &tc, 1, 1, NULL, NULL, &r), WS_OK);
    ws_optim_free(&o);
    if (keep) *keep = m;
    else ws_model_free(m);
    return r;
}

START_TEST(stopping_rules) {
    // Exactly N epochs, the threshold ignored.
    ws_train_result r = run_toy((ws_train_config){.batch = 32, .epochs = 4, .threshold = 0.0}, 0.05f, NULL);
    ck_assert_int_eq(r.nepochs, 4);
    ck_assert_int_eq(r.stop, WS_STOP_EPOCHS);
    ck_assert(r.converged);
    ws_train_result_free(&r);
    // A cap below the threshold.
    r = run_toy((ws_train_config){.batch = 32, .threshold = 1.1, .max_epochs = 3}, 0.05f, NULL);
    ck_assert_int_eq(r.nepochs, 3);
    ck_assert_int_eq(r.stop, WS_STOP_CAP);
    ck_assert(!r.converged);
    ws_train_result_free(&r);
    // Learning rate 0: the accuracy never moves, so a plateau of 3 ends it after epoch 4 (the
    // first sets the best); with no cap (0) a plateau of 250 shows the run goes past 200.
    r = run_toy((ws_train_config){.batch = 32, .threshold = 1.1, .plateau = 3}, 0.0f, NULL);
    ck_assert_int_eq(r.nepochs, 4);
    ck_assert_int_eq(r.stop, WS_STOP_PLATEAU);
    ck_assert(r.converged);
    ws_train_result_free(&r);
    r = run_toy((ws_train_config){.batch = 200, .threshold = 1.1, .plateau = 250, .max_epochs = 0}, 0.0f, NULL);
    ck_assert_int_eq(r.nepochs, 251);
    ck_assert_int_eq(r.stop, WS_STOP_PLATEAU);
    ws_train_result_free(&r);
    // The threshold.
    r = run_toy((ws_train_config){.batch = 32, .threshold = 0.9, .plateau = 50}, 0.1f, NULL);
    ck_assert_int_eq(r.stop, WS_STOP_THRESHOLD);
    ck_assert_double_ge(r.train_acc, 0.9);
    ws_train_result_free(&r);
    ck_assert_str_eq(ws_stop_reason_name(WS_STOP_PLATEAU), "plateau");
}
END_TEST

START_TEST(eval_every_records_without_changing_training) {
    ws_model *a, *b;
    ws_train_result plain = run_toy((ws_train_config){.batch = 32, .epochs = 5}, 0.05f, &a);
    ws_train_result seen = run_toy((ws_train_config){.batch = 32, .epochs = 5, .eval_every = 2}, 0.05f, &b);
    ck_assert_mem_eq(a->w, b->w, sizeof(float) * (size_t)a->nweights);
    for (int e = 0; e < 5; e++) {
        ck_assert_double_eq(plain.epochs[e].loss, seen.epochs[e].loss);
        ck_assert_int_eq(plain.epochs[e].evaluated, 0);
        ck_assert_int_eq(seen.epochs[e].evaluated, e == 1 || e == 3 || e == 4); // epochs 2, 4 and the last
    }
    // The last record is the final model's evaluation.
    ws_dataset d = toy();
    ws_norm n;
    ws_norm_from_data(&n, &d, NULL, 0);
    double acc, loss;
    ck_assert_int_eq(ws_evaluate(&ctx, b, &d, &n, idx, 300, 64, &acc, &loss), WS_OK);
    ck_assert_double_eq(seen.epochs[4].test_acc, acc);
    ck_assert_double_eq(seen.epochs[4].test_loss, loss);
    ck_assert_double_ne(seen.epochs[1].test_loss, loss);
    ws_train_result_free(&plain);
    ws_train_result_free(&seen);
    ws_model_free(a);
    ws_model_free(b);
}
END_TEST

// The gradient norm of logistic regression's mean cross-entropy over examples idx[0..n), in
// closed form from its weights (W (C,D), b (C)) in double: dW = mean (p - onehot) x^T, db = mean (p - onehot).
static double logreg_grad_norm(const ws_model *m, const ws_dataset *d, const ws_norm *n, const int32_t *ix, int cnt) {
    const int C = m->spec.num_classes, D = (int)ws_shape_numel(m->spec.input);
    const float *W = NULL, *bias = NULL;
    for (int i = 0; i < m->nparams; i++) {
        const char *dot = strrchr(m->params[i].name, '.');
        if (dot && !strcmp(dot, ".weight")) W = m->w + m->params[i].offset;
        if (dot && !strcmp(dot, ".bias")) bias = m->w + m->params[i].offset;
    }
    ck_assert(W && bias);
    double gW[3 * TDIM] = {0}, gb[3] = {0};
    ck_assert_int_eq(C, 3);
    ck_assert_int_eq(D, TDIM);
    for (int k = 0; k < cnt; k++) {
        float x[TDIM];
        double xd[TDIM], g[3];
        int32_t y;
        ws_gather(x, &y, d, n, ix + k, 1);
        for (int i = 0; i < D; i++) xd[i] = x[i];
        test_logreg_residual(W, bias, xd, D, C, y, g);
        for (int c = 0; c < C; c++) {
            gb[c] += g[c] / cnt;
            for (int i = 0; i < D; i++) gW[c * D + i] += g[c] * xd[i] / cnt;
        }
    }
    double s2 = 0;
    for (int i = 0; i < C * D; i++) s2 += gW[i] * gW[i];
    for (int c = 0; c < C; c++) s2 += gb[c] * gb[c];
    return sqrt(s2);
}

typedef struct {
    const ws_dataset *d;
    const ws_norm *n;
    int calls;
    int64_t steps[64];
    double measured[64], closed[64];
    float *scratch;
} probe_log;

static ws_status probe_record(void *user, ws_model *m, int64_t step) {
    probe_log *p = user;
    ws_status st = ws_grad_norm(&ctx, m, p->d, p->n, idx + 100, 150, 32, p->scratch, &p->measured[p->calls]);
    p->closed[p->calls] = logreg_grad_norm(m, p->d, p->n, idx + 100, 150);
    p->steps[p->calls++] = step;
    return st;
}

static ws_model *logreg(void) {
    ws_model_spec spec = {.kind = WS_MODEL_LOGREG, .input = {1, 2, 4}, .num_classes = 3};
    ws_model *m = NULL;
    ck_assert_int_eq(ws_model_create(&ctx, &m, &spec), WS_OK);
    ws_rng r = ws_rng_stream(3, "init", 0);
    ws_model_init(m, &r);
    return m;
}

START_TEST(probe_measures_gradient_norms_without_changing_training) {
    ws_dataset d = toy();
    ws_norm n;
    ws_norm_from_data(&n, &d, NULL, 0);
    ws_model *m[2] = {logreg(), logreg()};
    ws_opt_config oc = ws_opt_defaults(WS_OPT_SGD, 0.05f);
    probe_log log = {.d = &d, .n = &n};
    log.scratch = malloc(sizeof(float) * (size_t)m[0]->nweights);
    ws_train_result r[2];
    for (int k = 0; k < 2; k++) {
        ws_optim o;
        ws_optim_create(&ctx, &o, &oc, m[k]->nweights);
        // 600 examples in batches of 64: 10 steps an epoch, 3 epochs; a probe every 7 steps.
        ws_train_config tc = {.batch = 64, .epochs = 3};
        if (k) tc.probe = probe_record, tc.probe_user = &log, tc.probe_every = 7;
        ck_assert_int_eq(ws_train_to_threshold(&ctx, m[k], &o, &d, &n, idx, TN, &tc, 1, 1, NULL, NULL, &r[k]), WS_OK);
        ws_optim_free(&o);
    }
    // Training is the same bit for bit.
    ck_assert_mem_eq(m[0]->w, m[1]->w, sizeof(float) * (size_t)m[0]->nweights);
    for (int e = 0; e < 3; e++) ck_assert_double_eq(r[0].epochs[e].loss, r[1].epochs[e].loss);
    // Before the first step, then after steps 7, 14, 21, 28.
    ck_assert_int_eq(log.calls, 5);
    for (int i = 0; i < 5; i++) {
        ck_assert_int_eq(log.steps[i], 7 * i);
        ck_assert_double_gt(log.measured[i], 0);
        ck_assert_double_le(fabs(log.measured[i] - log.closed[i]), 1e-5 * log.closed[i] + 1e-7);
    }
    // The measurements follow the model: they change as it trains.
    ck_assert_double_ne(log.measured[0], log.measured[4]);
    // The last probe saw the model after step 28; the closed form on the final model (30 steps) differs.
    ck_assert_double_ne(log.closed[4], logreg_grad_norm(m[1], &d, &n, idx + 100, 150));
    // A probe needs a period.
    ws_optim o;
    ws_optim_create(&ctx, &o, &oc, m[0]->nweights);
    ws_train_config bad = {.batch = 64, .epochs = 1, .probe = probe_record, .probe_user = &log};
    ws_train_result rb;
    ck_assert_int_eq(ws_train_to_threshold(&ctx, m[0], &o, &d, &n, idx, TN, &bad, 1, 1, NULL, NULL, &rb), WS_ERR_ARG);
    ws_optim_free(&o);
    free(log.scratch);
    ws_train_result_free(&r[0]);
    ws_train_result_free(&r[1]);
    ws_model_free(m[0]);
    ws_model_free(m[1]);
}
END_TEST

START_TEST(shrink_eval_equals_evaluating_a_scaled_copy) {
    ws_dataset d = toy();
    ws_norm n;
    ws_norm_from_data(&n, &d, NULL, 0);
    ws_model *m = NULL;
    ws_train_result r = run_toy((ws_train_config){.batch = 32, .epochs = 6}, 0.1f, &m);
    float *before = malloc(sizeof(float) * (size_t)m->nweights), *scratch = malloc(sizeof(float) * (size_t)m->nweights);
    memcpy(before, m->w, sizeof(float) * (size_t)m->nweights);
    const double lambda[4] = {1.0, 0.5, 0.1, 0.0};
    double acc[4], loss[4];
    ck_assert_int_eq(ws_shrink_eval(&ctx, m, &d, &n, idx, TN, 100, lambda, 4, scratch, acc, loss), WS_OK);
    ck_assert_mem_eq(m->w, before, sizeof(float) * (size_t)m->nweights); // put back
    ws_model *c = mlp(9);
    for (int k = 0; k < 4; k++) {
        for (int64_t i = 0; i < m->nweights; i++) c->w[i] = (float)lambda[k] * before[i];
        double a, l;
        ck_assert_int_eq(ws_evaluate(&ctx, c, &d, &n, idx, TN, 100, &a, &l), WS_OK);
        ck_assert_double_eq(acc[k], a);
        ck_assert_double_eq(loss[k], l);
    }
    ck_assert_double_gt(acc[0], 0.8);                         // trained
    ck_assert_double_eq_tol(loss[3], log(3.0), 1e-6);         // all weights 0: uniform outputs
    ck_assert_double_ne(loss[1], loss[0]);                    // a shrink changes the outputs
    ws_model_free(c);
    ws_model_free(m);
    ws_train_result_free(&r);
    free(before);
    free(scratch);
}
END_TEST

// Figure 6's contrast: a bias-free ReLU MLP's outputs only scale by lambda^depth when its
// weights shrink, so its predictions -- its accuracy -- stay as they are at every lambda > 0; with
// biases they do not (the biases shrink once, the weights' product lambda^depth times).
START_TEST(shrink_leaves_a_bias_free_relu_mlp_predicting_alike) {
    ws_dataset d = toy();
    ws_norm n;
    ws_norm_from_data(&n, &d, NULL, 0);
    const double lambda[4] = {1.0, 0.5, 0.1, 0.01};
    double acc[2][4], loss[2][4];
    for (int nb = 0; nb < 2; nb++) {
        ws_model_spec spec = {.kind = WS_MODEL_MLP, .input = {1, 2, 4}, .num_classes = 3, .nhidden = 2, .hidden = {16, 16},
                              .no_bias = nb};
        ws_model *m = NULL;
        ck_assert_int_eq(ws_model_create(&ctx, &m, &spec), WS_OK);
        ws_rng r = ws_rng_stream(4, "init", 0);
        ws_model_init(m, &r);
        ws_opt_config oc = ws_opt_defaults(WS_OPT_SGD, 0.05f);
        ws_optim o;
        ws_optim_create(&ctx, &o, &oc, m->nweights);
        ws_train_config tc = {.batch = 32, .epochs = 2};
        ws_train_result tr;
        ck_assert_int_eq(ws_train_to_threshold(&ctx, m, &o, &d, &n, idx, TN, &tc, 1, 1, NULL, NULL, &tr), WS_OK);
        float *scratch = malloc(sizeof(float) * (size_t)m->nweights);
        ck_assert_int_eq(ws_shrink_eval(&ctx, m, &d, &n, idx, TN, 100, lambda, 4, scratch, acc[nb], loss[nb]), WS_OK);
        free(scratch);
        ws_train_result_free(&tr);
        ws_optim_free(&o);
        ws_model_free(m);
    }
    for (int k = 1; k < 4; k++) {
        ck_assert_double_eq(acc[1][k], acc[1][0]);   // bias-free: the same predictions
        ck_assert_double_ne(loss[1][k], loss[1][0]); // though not the same outputs
    }
    ck_assert_double_ne(acc[0][3], acc[0][0]);       // with biases, a strong shrink changes them
}
END_TEST


// SGD with momentum on the toy problem under tc (eval on 300 examples); the model and a copy of
// the momentum buffer kept.
static ws_train_result run_momentum(ws_train_config tc, ws_model **keep, float **buf1) {
    ws_dataset d = toy();
    ws_norm n;
    ws_norm_from_data(&n, &d, NULL, 0);
    ws_model *m = mlp(5);
    ws_opt_config oc = ws_opt_defaults(WS_OPT_SGD, 0.05f);
    oc.momentum = 0.9f;
    ws_optim o;
    ws_optim_create(&ctx, &o, &oc, m->nweights);
    ws_train_result r;
    tc.eval_d = &d, tc.eval_idx = idx, tc.eval_n = 300, tc.eval_batch = 64;
    ck_assert_int_eq(ws_train_to_threshold(&ctx, m, &o, &d, &n, idx, TN, &tc, 1, 1, NULL, NULL, &r), WS_OK);
    *buf1 = malloc(sizeof(float) * (size_t)m->nweights);
    memcpy(*buf1, o.buf1, sizeof(float) * (size_t)m->nweights);
    ws_optim_free(&o);
    *keep = m;
    return r;
}

typedef struct {
    int n;
    float *w[4], *buf1[4];
    int64_t opt_step[4];
    ws_train_result r[4];
} snapshot_log;

static ws_status keep_snapshot(void *user, ws_model *m, const ws_optim *o, ws_train_result *run) {
    snapshot_log *s = user;
    const size_t bytes = sizeof(float) * (size_t)m->nweights;
    s->w[s->n] = malloc(bytes), s->buf1[s->n] = malloc(bytes);
    memcpy(s->w[s->n], m->w, bytes);
    memcpy(s->buf1[s->n], o->buf1, bytes);
    s->opt_step[s->n] = o->step;
    s->r[s->n++] = *run;
    return WS_OK;
}

static void same_run(const ws_train_result *a, const ws_train_result *b) {
    ck_assert_int_eq(a->nepochs, b->nepochs);
    ck_assert_int_eq(a->steps, b->steps);
    ck_assert_int_eq(a->stop, b->stop);
    ck_assert_int_eq(a->converged, b->converged);
    ck_assert_double_eq(a->train_acc, b->train_acc);
    ck_assert_double_eq(a->loss, b->loss);
    for (int e = 0; e < a->nepochs; e++) {
        const ws_epoch_record *x = &a->epochs[e], *y = &b->epochs[e];
        ck_assert_int_eq(x->epoch, y->epoch);
        ck_assert_double_eq(x->loss, y->loss);
        ck_assert_double_eq(x->train_acc, y->train_acc);
        ck_assert_int_eq(x->evaluated, y->evaluated);
        ck_assert_double_eq(x->test_acc, y->test_acc);
        ck_assert_double_eq(x->test_loss, y->test_loss);
    }
}

// A program's request to stop (ws_ctx.should_stop, the CLI's SIGINT/SIGTERM flag) is asked before
// every step: training ends at the next step with WS_ERR_INTERRUPTED, the steps before it taken and
// no other, its result empty; an evaluation stops too; asked and never stopping, training gives the
// bits it gives unasked.
static int stop_when_done(void *user) {
    int *left = user;
    return (*left)-- <= 0;
}
static void last_step(void *user, int64_t step, int b, int correct, double loss) {
    (void)b, (void)correct, (void)loss;
    *(int64_t *)user = step;
}

START_TEST(stops_on_request_at_the_next_step) {
    ws_dataset d = toy();
    ws_norm n;
    ws_norm_from_data(&n, &d, NULL, 0);
    ws_model *m[3];
    int64_t last = 0;
    for (int k = 0; k < 3; k++) {
        m[k] = mlp(3);
        ws_opt_config oc = ws_opt_defaults(WS_OPT_SGD, 0.05f);
        ws_optim o;
        ws_optim_create(&ctx, &o, &oc, m[k]->nweights);
        // k 0: stops after 25 steps (19 an epoch: in epoch 2); k 1: asked, never stops; k 2: never asked.
        int left = k == 0 ? 25 : 1 << 30;
        ws_train_config tc = {.batch = 32, .epochs = 3, .on_batch = last_step, .on_batch_user = &last};
        ctx.should_stop = k < 2 ? stop_when_done : NULL, ctx.stop_user = &left;
        ws_train_result r;
        ws_status st = ws_train_to_threshold(&ctx, m[k], &o, &d, &n, idx, TN, &tc, 1, 1, NULL, NULL, &r);
        if (k == 0) {
            ck_assert_int_eq(st, WS_ERR_INTERRUPTED);
            ck_assert_int_eq(last, 25);
            ck_assert_msg(strstr(ctx.err, "stopped on request in training epoch 2, before step 26"), "%s", ctx.err);
            ck_assert_int_eq(r.nepochs, 0);
            ck_assert_ptr_null(r.epochs);
            double acc, loss;
            left = 0;
            ck_assert_int_eq(ws_evaluate(&ctx, m[k], &d, &n, idx, TN, 64, &acc, &loss), WS_ERR_INTERRUPTED);
        } else {
            ck_assert_int_eq(st, WS_OK);
            ck_assert_int_eq(last, 3 * 19);
            ws_train_result_free(&r);
        }
        ctx.should_stop = NULL, ctx.stop_user = NULL;
        ws_optim_free(&o);
    }
    ck_assert_mem_eq(m[1]->w, m[2]->w, sizeof(float) * (size_t)m[1]->nweights);
    for (int k = 0; k < 3; k++) ws_model_free(m[k]);
}
END_TEST

START_TEST(snapshots_are_the_shorter_runs) {
    // A 5-epoch run with snapshots after epochs 1, 3 and 4, evaluated every 2 epochs (1 and 3 are
    // not multiples: the snapshot evaluates its last epoch for itself).
    static const int at[] = {1, 3, 4};
    snapshot_log log = {0};
    ws_model *m_long, *m_plain, *m_short;
    float *b_long, *b_plain, *b_short;
    ws_train_config tc = {.batch = 32, .epochs = 5, .eval_every = 2};
    ws_train_result plain = run_momentum(tc, &m_plain, &b_plain);
    tc.snap_at = at, tc.nsnap = 3, tc.snap = keep_snapshot, tc.snap_user = &log;
    ws_train_result along = run_momentum(tc, &m_long, &b_long);
    const size_t bytes = sizeof(float) * (size_t)m_long->nweights;
    // The run goes on as without them (the snapshots' evaluations are not in its log).
    ck_assert_int_eq(log.n, 3);
    ck_assert_mem_eq(m_long->w, m_plain->w, bytes);
    ck_assert_mem_eq(b_long, b_plain, bytes);
    same_run(&along, &plain);
    for (int i = 0; i < 3; i++) {
        ws_train_result alone = run_momentum((ws_train_config){.batch = 32, .epochs = at[i], .eval_every = 2}, &m_short, &b_short);
        ck_assert_mem_eq(log.w[i], m_short->w, bytes);
        ck_assert_mem_eq(log.buf1[i], b_short, bytes);
        ck_assert_int_eq(log.opt_step[i], alone.steps);
        same_run(&log.r[i], &alone);
        ck_assert_int_eq(log.r[i].epochs[at[i] - 1].evaluated, 1);
        ws_train_result_free(&alone);
        ws_train_result_free(&log.r[i]);
        ws_model_free(m_short);
        free(b_short), free(log.w[i]), free(log.buf1[i]);
    }
    // Only along a fixed-epoch run, before its last epoch, in order.
    static const int late[] = {5}, unordered[] = {3, 2};
    const ws_train_config bad[] = {{.batch = 32, .epochs = 5, .snap_at = late, .nsnap = 1, .snap = keep_snapshot},
                                   {.batch = 32, .epochs = 5, .snap_at = unordered, .nsnap = 2, .snap = keep_snapshot},
                                   {.batch = 32, .max_epochs = 5, .snap_at = at, .nsnap = 1, .snap = keep_snapshot}};
    ws_dataset d = toy();
    ws_norm n;
    ws_norm_from_data(&n, &d, NULL, 0);
    ws_optim o;
    ws_opt_config oc = ws_opt_defaults(WS_OPT_SGD, 0.05f);
    ws_optim_create(&ctx, &o, &oc, m_long->nweights);
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        ws_train_result r;
        ck_assert_int_eq(ws_train_to_threshold(&ctx, m_long, &o, &d, &n, idx, TN, &bad[k], 1, 1, NULL, NULL, &r), WS_ERR_ARG);
        ck_assert_ptr_nonnull(strstr(ctx.err, "snapshot"));
    }
    ws_optim_free(&o);
    ws_train_result_free(&plain);
    ws_train_result_free(&along);
    ws_model_free(m_long), ws_model_free(m_plain);
    free(b_long), free(b_plain);
}
END_TEST

Suite *train_suite(void) {
    Suite *s = suite_create("train");
    TCase *t = tcase_create("loop");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_set_timeout(t, 60);
    tcase_add_test(t, learns_to_threshold_and_evaluates);
    tcase_add_test(t, same_seed_same_bits);
    tcase_add_test(t, normalising_once_trains_the_same_bits);
    tcase_add_test(t, divergence_stops_with_a_clear_error);
    tcase_add_test(t, official_accuracy_formula);
    tcase_add_test(t, official_accuracy_in_training);
    tcase_add_test(t, stopping_rules);
    tcase_add_test(t, eval_every_records_without_changing_training);
    tcase_add_test(t, probe_measures_gradient_norms_without_changing_training);
    tcase_add_test(t, shrink_eval_equals_evaluating_a_scaled_copy);
    tcase_add_test(t, shrink_leaves_a_bias_free_relu_mlp_predicting_alike);
    tcase_add_test(t, snapshots_are_the_shorter_runs);
    tcase_add_test(t, stops_on_request_at_the_next_step);
    suite_add_tcase(s, t);
    return s;
}
