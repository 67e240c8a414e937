// Optimizer updates against values computed independently here, in double,
// from the update rules as PyTorch documents them.
#include <math.h>
#include <string.h>

#include "optim/optim.h"
#include "suites.h"

static ws_ctx ctx;
static void setup(void) { ws_ctx_init(&ctx, 2); }
static void teardown(void) { ws_ctx_release(&ctx); } // the backend's cached primitives

enum { N = 37 };

static void data(float *w, float g[3][N]) {
    for (int i = 0; i < N; i++) {
        w[i] = (float)sin(i + 1.0);
        for (int s = 0; s < 3; s++) g[s][i] = (float)cos(0.7 * i + s);
    }
}

// Reference SGD (torch.optim.SGD docs), three steps.
static void ref_sgd(double *w, float g[3][N], double lr, double wd, double mu, double damp, int nesterov) {
    double buf[N];
    for (int s = 0; s < 3; s++)
        for (int i = 0; i < N; i++) {
            double d = g[s][i] + wd * w[i];
            if (mu != 0) {
                buf[i] = s == 0 ? d : mu * buf[i] + (1 - damp) * d;
                d = nesterov ? d + mu * buf[i] : buf[i];
            }
            w[i] -= lr * d;
        }
}

// Reference Adam / AdamW (torch.optim.Adam / AdamW docs), three steps.
static void ref_adam(double *w, float g[3][N], double lr, double b1, double b2, double eps, double wd, int decoupled) {
    double m[N] = {0}, v[N] = {0};
    for (int s = 0; s < 3; s++) {
        int t = s + 1;
        for (int i = 0; i < N; i++) {
            double gi = g[s][i];
            if (decoupled) w[i] *= 1 - lr * wd;
            else gi += wd * w[i];
            m[i] = b1 * m[i] + (1 - b1) * gi;
            v[i] = b2 * v[i] + (1 - b2) * gi * gi;
            double mhat = m[i] / (1 - pow(b1, t)), vhat = v[i] / (1 - pow(b2, t));
            w[i] -= lr * mhat / (sqrt(vhat) + eps);
        }
    }
}

static void run(ws_opt_config c, double *ref) {
    float w[N], g[3][N];
    data(w, g);
    ws_optim o;
    ck_assert_int_eq(ws_optim_create(&ctx, &o, &c, N), WS_OK);
    for (int s = 0; s < 3; s++) ws_optim_step(&o, w, g[s]);
    for (int i = 0; i < N; i++) ck_assert_double_eq_tol(w[i], ref[i], 1e-6 * fmax(1, fabs(ref[i])));
    ck_assert_int_eq(o.step, 3);
    ws_optim_free(&o);
}

START_TEST(sgd_matches_reference) {
    struct { float lr, wd, mu, damp; int nesterov; } cases[] = {
        {0.1f, 0, 0, 0, 0}, {0.1f, 0.01f, 0, 0, 0}, {0.05f, 0, 0.9f, 0, 0}, {0.05f, 0.001f, 0.9f, 0.1f, 0}, {0.05f, 0.01f, 0.9f, 0, 1}};
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        ws_opt_config c = ws_opt_defaults(WS_OPT_SGD, cases[k].lr);
        c.weight_decay = cases[k].wd;
        c.momentum = cases[k].mu;
        c.dampening = cases[k].damp;
        c.nesterov = cases[k].nesterov;
        float w[N], g[3][N];
        double ref[N];
        data(w, g);
        for (int i = 0; i < N; i++) ref[i] = w[i];
        ref_sgd(ref, g, c.lr, c.weight_decay, c.momentum, c.dampening, c.nesterov);
        run(c, ref);
    }
}
END_TEST

START_TEST(adam_matches_reference) {
    for (int k = 0; k < 3; k++) {
        ws_opt_config c = ws_opt_defaults(WS_OPT_ADAM, 0.01f);
        c.weight_decay = k ? 0.1f : 0;
        c.decoupled = k == 2;
        float w[N], g[3][N];
        double ref[N];
        data(w, g);
        for (int i = 0; i < N; i++) ref[i] = w[i];
        ref_adam(ref, g, c.lr, c.beta1, c.beta2, c.eps, c.weight_decay, c.decoupled);
        run(c, ref);
    }
}
END_TEST

START_TEST(reset_forgets_state) {
    // After a reset the next step equals a first step of a new optimizer.
    ws_opt_config c = ws_opt_defaults(WS_OPT_ADAM, 0.01f);
    float w1[N], w2[N], g[3][N];
    data(w1, g);
    memcpy(w2, w1, sizeof w1);
    ws_optim a, b;
    ws_optim_create(&ctx, &a, &c, N);
    ws_optim_create(&ctx, &b, &c, N);
    ws_optim_step(&a, w1, g[0]);
    ws_optim_step(&a, w1, g[1]);
    ws_optim_reset(&a);
    memcpy(w2, w1, sizeof w1);
    ws_optim_step(&a, w1, g[2]);
    ws_optim_step(&b, w2, g[2]);
    ck_assert_mem_eq(w1, w2, sizeof w1);
    ws_optim_free(&a);
    ws_optim_free(&b);
}
END_TEST

// A restarted range steps as a new optimizer over it alone would (its own step count from 0:
// Adam's bias correction, SGD's first momentum step), bit for bit; the rest as if nothing
// happened; ranges that straddle a restarted one are refused, a reset forgets them.
START_TEST(restarted_ranges_have_their_own_steps) {
    const ws_opt_kind kinds[2] = {WS_OPT_ADAM, WS_OPT_SGD};
    for (int k = 0; k < 2; k++) {
        ws_opt_config c = ws_opt_defaults(kinds[k], 0.01f);
        if (kinds[k] == WS_OPT_SGD) c.momentum = 0.9f;
        float w1[N], w2[N], g[3][N];
        data(w1, g);
        memcpy(w2, w1, sizeof w1);
        ws_optim a, plain, part;
        ws_optim_create(&ctx, &a, &c, N);
        ws_optim_create(&ctx, &plain, &c, N);
        ws_optim_create(&ctx, &part, &c, 7);
        ws_optim_step(&a, w1, g[0]);
        ws_optim_step(&plain, w2, g[0]);
        ck_assert_int_eq(ws_optim_restart_range(&ctx, &a, 5, 7), WS_OK);
        float p[7];
        memcpy(p, w1 + 5, sizeof p);
        for (int s = 1; s < 3; s++) {
            ws_optim_step(&a, w1, g[s]);
            ws_optim_step(&plain, w2, g[s]);
            ws_optim_step(&part, p, g[s] + 5);
        }
        ck_assert_mem_eq(w1 + 5, p, sizeof p);
        ck_assert_mem_eq(w1, w2, 5 * sizeof(float));
        ck_assert_mem_eq(w1 + 12, w2 + 12, (N - 12) * sizeof(float));
        ck_assert_int_eq(memcmp(w1 + 5, w2 + 5, sizeof p) != 0, 1); // the restart changed something
        ck_assert_int_eq(a.restarted[0].step, 2);
        ck_assert_int_eq(ws_optim_restart_range(&ctx, &a, 3, 4), WS_ERR_ARG);  // straddles [5, 12)
        ck_assert_int_eq(ws_optim_restart_range(&ctx, &a, 0, N), WS_OK);       // absorbs it
        ck_assert_int_eq(a.nrestarted, 1);
        ws_optim_reset(&a);
        ck_assert_int_eq(a.nrestarted, 0);
        ws_optim_free(&a), ws_optim_free(&plain), ws_optim_free(&part);
    }
}
END_TEST

START_TEST(bad_configs_are_refused) {
    ws_optim o;
    ws_opt_config c = ws_opt_defaults(WS_OPT_SGD, NAN);
    ck_assert_int_eq(ws_optim_create(&ctx, &o, &c, N), WS_ERR_ARG);
    ck_assert_ptr_nonnull(strstr(ctx.err, "learning rate"));
    c = ws_opt_defaults(WS_OPT_SGD, 0.1f);
    c.nesterov = 1;
    ck_assert_int_eq(ws_optim_create(&ctx, &o, &c, N), WS_ERR_ARG);
    c = ws_opt_defaults(WS_OPT_ADAM, 0.1f);
    c.beta2 = 1.0f;
    ck_assert_int_eq(ws_optim_create(&ctx, &o, &c, N), WS_ERR_ARG);
    ws_opt_kind k;
    ck_assert_int_eq(ws_opt_kind_parse(&ctx, "rmsprop", &k), WS_ERR_ARG);
}
END_TEST

Suite *optim_suite(void) {
    Suite *s = suite_create("optim");
    TCase *t = tcase_create("rules");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, sgd_matches_reference);
    tcase_add_test(t, adam_matches_reference);
    tcase_add_test(t, reset_forgets_state);
    tcase_add_test(t, restarted_ranges_have_their_own_steps);
    tcase_add_test(t, bad_configs_are_refused);
    suite_add_tcase(s, t);
    return s;
}
