// Finite-difference gradient checks for every op of the CPU backend, with a
// negative control proving the checker catches a wrong gradient.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/ctx.h"
#include "core/rng.h"
#include "ops/backend.h"
#include "suites.h"

static ws_ctx ctx;
static void setup(void) { ws_ctx_init(&ctx, 2); }
static void teardown(void) { ws_ctx_release(&ctx); } // the backend's cached primitives

static void fill(float *a, int n, ws_rng *r, float scale) {
    for (int i = 0; i < n; i++) a[i] = (2 * ws_rng_uniform(r) - 1) * scale;
}

// ---- linear -----------------------------------------------------------------

enum { LB = 5, LI = 7, LO = 3 };
typedef struct {
    float x[LB * LI], w[LO * LI], b[LO], out[LB * LO], r[LB * LO];
    int use_bias;
} lin_case;

static double lin_obj(void *u) {
    lin_case *c = u;
    ws_backend_of(&ctx)->linear_forward(&ctx, c->out, c->x, c->w, c->use_bias ? c->b : NULL, LB, LI, LO);
    double s = 0;
    for (int i = 0; i < LB * LO; i++) s += (double)c->r[i] * c->out[i];
    return s;
}

static void lin_init(lin_case *c, int use_bias) {
    ws_rng r = ws_rng_stream(42, "test-linear", (uint64_t)use_bias);
    fill(c->x, LB * LI, &r, 1);
    fill(c->w, LO * LI, &r, 1);
    fill(c->b, LO, &r, 1);
    fill(c->r, LB * LO, &r, 1);
    c->use_bias = use_bias;
}

START_TEST(linear_forward_values) {
    lin_case c;
    lin_init(&c, 1);
    lin_obj(&c);
    for (int b = 0; b < LB; b++)
        for (int o = 0; o < LO; o++) {
            double s = c.b[o];
            for (int i = 0; i < LI; i++) s += (double)c.x[b * LI + i] * c.w[o * LI + i];
            ck_assert_double_eq_tol(c.out[b * LO + o], s, 1e-5);
        }
}
END_TEST

START_TEST(linear_gradients) {
    lin_case c;
    lin_init(&c, _i);
    float din[LB * LI], dw[LO * LI] = {0}, db[LO] = {0};
    ws_backend_of(&ctx)->linear_backward(&ctx, din, dw, db, c.r, c.x, c.w, LB, LI, LO);
    ck_assert_double_lt(fd_error(c.x, din, LB * LI, lin_obj, &c, 1e-2f), 1e-3);
    ck_assert_double_lt(fd_error(c.w, dw, LO * LI, lin_obj, &c, 1e-2f), 1e-3);
    if (c.use_bias) ck_assert_double_lt(fd_error(c.b, db, LO, lin_obj, &c, 1e-2f), 1e-3);
}
END_TEST

START_TEST(linear_backward_accumulates) {
    lin_case c;
    lin_init(&c, 1);
    float dw1[LO * LI] = {0}, db1[LO] = {0}, dw2[LO * LI] = {0}, db2[LO] = {0};
    ws_backend_of(&ctx)->linear_backward(&ctx, NULL, dw1, db1, c.r, c.x, c.w, LB, LI, LO);
    ws_backend_of(&ctx)->linear_backward(&ctx, NULL, dw2, db2, c.r, c.x, c.w, LB, LI, LO);
    ws_backend_of(&ctx)->linear_backward(&ctx, NULL, dw2, db2, c.r, c.x, c.w, LB, LI, LO);
    for (int i = 0; i < LO * LI; i++) ck_assert_float_eq_tol(dw2[i], 2 * dw1[i], 1e-5);
    for (int i = 0; i < LO; i++) ck_assert_float_eq_tol(db2[i], 2 * db1[i], 1e-5);
}
END_TEST

START_TEST(fd_checker_catches_wrong_gradient) {
    // Negative control: a gradient off by 1% in one entry must fail the check.
    lin_case c;
    lin_init(&c, 1);
    float din[LB * LI], dw[LO * LI] = {0}, db[LO] = {0};
    ws_backend_of(&ctx)->linear_backward(&ctx, din, dw, db, c.r, c.x, c.w, LB, LI, LO);
    float mx = 0;
    for (int i = 0; i < LO * LI; i++) mx = fmaxf(mx, fabsf(dw[i]));
    dw[3] += 0.01f * mx;
    ck_assert_double_gt(fd_error(c.w, dw, LO * LI, lin_obj, &c, 1e-2f), 1e-3);
}
END_TEST

// ---- relu -------------------------------------------------------------------

enum { RN = 40 };
typedef struct {
    float x[RN], out[RN], r[RN];
} relu_case;

static double relu_obj(void *u) {
    relu_case *c = u;
    ws_backend_of(&ctx)->relu_forward(&ctx, c->out, c->x, RN);
    double s = 0;
    for (int i = 0; i < RN; i++) s += (double)c->r[i] * c->out[i];
    return s;
}

START_TEST(relu_gradient) {
    relu_case c;
    ws_rng r = ws_rng_stream(7, "test-relu", 0);
    for (int i = 0; i < RN; i++) {
        float v = 0.1f + ws_rng_uniform(&r); // keep away from the kink at 0
        c.x[i] = (i % 2) ? v : -v;
    }
    fill(c.r, RN, &r, 1);
    relu_obj(&c);
    for (int i = 0; i < RN; i++) ck_assert_float_eq(c.out[i], c.x[i] > 0 ? c.x[i] : 0);
    float din[RN];
    ws_backend_of(&ctx)->relu_backward(&ctx, din, c.r, c.out, RN);
    ck_assert_double_lt(fd_error(c.x, din, RN, relu_obj, &c, 1e-2f), 1e-4);
    // NaN propagates (as torch.relu), so a diverged model cannot look healthy.
    float nan_in[2] = {NAN, -1.0f}, nan_out[2];
    ws_backend_of(&ctx)->relu_forward(&ctx, nan_out, nan_in, 2);
    ck_assert(isnan(nan_out[0]));
    ck_assert_float_eq(nan_out[1], 0.0f);
}
END_TEST

// ---- tanh -------------------------------------------------------------------
// On each CPU backend the registry offers (_i: 0 reference, 1 onednn): values
// against tanh in double, the backward by finite differences, in place, NaN.

static const char *const TANH_BACKENDS[] = {"reference", "onednn"};
static const ws_backend *tanh_be;

static double tanh_obj(void *u) {
    relu_case *c = u;
    tanh_be->tanh_forward(&ctx, c->out, c->x, RN);
    double s = 0;
    for (int i = 0; i < RN; i++) s += (double)c->r[i] * c->out[i];
    return s;
}

START_TEST(tanh_gradient) {
    ck_assert_int_eq(ws_ctx_set_backend(&ctx, TANH_BACKENDS[_i]), WS_OK);
    tanh_be = ws_backend_of(&ctx);
    ck_assert_str_eq(tanh_be->name, TANH_BACKENDS[_i]);
    relu_case c;
    ws_rng r = ws_rng_stream(8, "test-tanh", 0);
    fill(c.x, RN, &r, 3); // through the curve and into saturation
    c.x[0] = 0, c.x[1] = 12, c.x[2] = -12;
    fill(c.r, RN, &r, 1);
    tanh_obj(&c);
    for (int i = 0; i < RN; i++) ck_assert_double_eq_tol(c.out[i], tanh((double)c.x[i]), 2e-7);
    ck_assert_float_eq(c.out[0], 0.0f);
    ck_assert_float_eq(c.out[1], 1.0f);
    ck_assert_float_eq(c.out[2], -1.0f);
    float din[RN];
    tanh_be->tanh_backward(&ctx, din, c.r, c.out, RN);
    for (int i = 0; i < RN; i++) ck_assert_double_eq_tol(din[i], c.r[i] * (1 - tanh((double)c.x[i]) * tanh((double)c.x[i])), 1e-6);
    ck_assert_double_lt(fd_error(c.x, din, RN, tanh_obj, &c, 1e-2f), 1e-4);
    // A wrong derivative (1 - y instead of 1 - y^2) fails the same check.
    float wrong[RN];
    for (int i = 0; i < RN; i++) wrong[i] = c.r[i] * (1 - c.out[i]);
    ck_assert_double_gt(fd_error(c.x, wrong, RN, tanh_obj, &c, 1e-2f), 1e-2);
    // In place, as the contract allows: the same values.
    tanh_obj(&c); // c.out of x itself again (the checks above left it at a perturbed x)
    float y[RN], g[RN];
    memcpy(y, c.x, sizeof y);
    tanh_be->tanh_forward(&ctx, y, y, RN);
    ck_assert_mem_eq(y, c.out, sizeof y);
    memcpy(g, c.r, sizeof g);
    tanh_be->tanh_backward(&ctx, g, g, c.out, RN);
    ck_assert_mem_eq(g, din, sizeof g);
    // NaN propagates (as torch.tanh).
    float nan_in[2] = {NAN, 0.5f}, nan_out[2];
    tanh_be->tanh_forward(&ctx, nan_out, nan_in, 2);
    ck_assert(isnan(nan_out[0]));
    ck_assert_float_eq_tol(nan_out[1], tanhf(0.5f), 1e-7);
}
END_TEST

// Large enough for the parallel path (>= 16K elements on 2 threads): the same bits on both
// backends and at 1 and 2 threads.
START_TEST(tanh_backends_agree) {
    enum { N = 40000 };
    float *x = malloc(sizeof(float) * N), *d = malloc(sizeof(float) * N), *y[3], *g[3];
    ws_rng r = ws_rng_stream(9, "test-tanh", 1);
    fill(x, N, &r, 4);
    fill(d, N, &r, 1);
    for (int k = 0; k < 3; k++) {
        ws_ctx c;
        ws_ctx_init(&c, k == 2 ? 1 : 2);
        ck_assert_int_eq(ws_ctx_set_backend(&c, k == 1 ? "onednn" : "reference"), WS_OK);
        y[k] = malloc(sizeof(float) * N), g[k] = malloc(sizeof(float) * N);
        ws_backend_of(&c)->tanh_forward(&c, y[k], x, N);
        ws_backend_of(&c)->tanh_backward(&c, g[k], d, y[k], N);
        ws_ctx_release(&c);
    }
    for (int k = 1; k < 3; k++) {
        ck_assert_mem_eq(y[k], y[0], sizeof(float) * N);
        ck_assert_mem_eq(g[k], g[0], sizeof(float) * N);
    }
    for (int k = 0; k < 3; k++) free(y[k]), free(g[k]);
    free(x), free(d);
}
END_TEST

// ---- softmax + cross-entropy ------------------------------------------------

enum { SB = 6, SC = 5 };
typedef struct {
    float z[SB * SC], p[SB * SC], loss[SB];
    int32_t y[SB];
    uint8_t correct[SB];
} sce_case;

static double sce_obj(void *u) {
    sce_case *c = u;
    ws_backend_of(&ctx)->softmax_ce_forward(&ctx, c->p, c->loss, c->correct, c->z, c->y, SB, SC);
    double s = 0;
    for (int i = 0; i < SB; i++) s += c->loss[i];
    return s / SB;
}

static void sce_init(sce_case *c, float scale) {
    ws_rng r = ws_rng_stream(9, "test-sce", 0);
    fill(c->z, SB * SC, &r, scale);
    for (int i = 0; i < SB; i++) c->y[i] = (int32_t)ws_rng_below(&r, SC);
}

START_TEST(softmax_ce_values) {
    sce_case c;
    sce_init(&c, 3);
    sce_obj(&c);
    for (int b = 0; b < SB; b++) {
        double mx = -INFINITY, sum = 0;
        int arg = 0;
        for (int k = 0; k < SC; k++)
            if (c.z[b * SC + k] > mx) mx = c.z[b * SC + k], arg = k;
        for (int k = 0; k < SC; k++) sum += exp(c.z[b * SC + k]);
        ck_assert_double_eq_tol(c.loss[b], -(c.z[b * SC + c.y[b]] - log(sum)), 1e-5);
        ck_assert_int_eq(c.correct[b], arg == c.y[b]);
        double ps = 0;
        for (int k = 0; k < SC; k++) ps += c.p[b * SC + k];
        ck_assert_double_eq_tol(ps, 1.0, 1e-6);
    }
}
END_TEST

START_TEST(softmax_ce_gradient) {
    sce_case c;
    sce_init(&c, 3);
    sce_obj(&c);
    float d[SB * SC];
    ws_backend_of(&ctx)->softmax_ce_backward(&ctx, d, c.p, c.y, 1.0f / SB, SB, SC);
    ck_assert_double_lt(fd_error(c.z, d, SB * SC, sce_obj, &c, 1e-3f), 2e-3);
}
END_TEST

START_TEST(softmax_ce_is_stable_for_huge_logits) {
    sce_case c;
    sce_init(&c, 1);
    for (int i = 0; i < SB * SC; i++) c.z[i] *= 1e4f; // exp() would overflow naively
    double l = sce_obj(&c);
    ck_assert(isfinite(l));
    for (int i = 0; i < SB * SC; i++) ck_assert(isfinite(c.p[i]));
    // A tie in the maximum: the first maximal class wins, as torch.argmax.
    float z[3] = {2, 2, 1}, p[3], loss[1];
    int32_t y[1] = {1};
    uint8_t ok[1];
    ws_backend_of(&ctx)->softmax_ce_forward(&ctx, p, loss, ok, z, y, 1, 3);
    ck_assert_int_eq(ok[0], 0);
}
END_TEST

Suite *ops_suite(void) {
    Suite *s = suite_create("ops");
    TCase *t = tcase_create("cpu");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, linear_forward_values);
    tcase_add_loop_test(t, linear_gradients, 0, 2);
    tcase_add_test(t, linear_backward_accumulates);
    tcase_add_test(t, fd_checker_catches_wrong_gradient);
    tcase_add_test(t, relu_gradient);
    tcase_add_loop_test(t, tanh_gradient, 0, 2);
    tcase_add_test(t, tanh_backends_agree);
    tcase_add_test(t, softmax_ce_values);
    tcase_add_test(t, softmax_ce_gradient);
    tcase_add_test(t, softmax_ce_is_stable_for_huge_logits);
    suite_add_tcase(s, t);
    return s;
}
