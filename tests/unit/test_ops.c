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

// ---- LayerNorm, CReLU, max-pool (Kumar et al.'s networks) ---------------------------------
// Objective sum(r * op(x)); the analytic gradients against central differences, for
// the input and, for LayerNorm, gamma and beta (which accumulate).

enum { NB = 3, NN = 12 };
typedef struct {
    float x[NB * NN], g[NN], b[NN], out[NB * NN], r[NB * NN], mean[NB], invstd[NB];
} ln_case;

static double ln_obj(void *u) {
    ln_case *c = u;
    ws_backend_of(&ctx)->layernorm_forward(&ctx, c->out, c->mean, c->invstd, c->x, c->g, c->b, NB, NN, 1e-5f);
    double s = 0;
    for (int i = 0; i < NB * NN; i++) s += (double)c->r[i] * c->out[i];
    return s;
}

START_TEST(layernorm_values_and_gradients) {
    ln_case c;
    ws_rng r = ws_rng_stream(11, "test-layernorm", 0);
    fill(c.x, NB * NN, &r, 2);
    fill(c.g, NN, &r, 1);
    fill(c.b, NN, &r, 1);
    fill(c.r, NB * NN, &r, 1);
    ln_obj(&c);
    for (int b = 0; b < NB; b++) { // values: (x - mean) / sqrt(var + eps) * g + b, in double
        double m = 0, v = 0;
        for (int i = 0; i < NN; i++) m += c.x[b * NN + i] / (double)NN;
        for (int i = 0; i < NN; i++) v += (c.x[b * NN + i] - m) * (c.x[b * NN + i] - m) / NN;
        for (int i = 0; i < NN; i++)
            ck_assert_double_eq_tol(c.out[b * NN + i], (c.x[b * NN + i] - m) / sqrt(v + 1e-5) * c.g[i] + c.b[i], 1e-5);
    }
    float din[NB * NN], dg[NN], db[NN];
    for (int i = 0; i < NN; i++) dg[i] = 1.0f, db[i] = -2.0f; // accumulate onto these
    ws_backend_of(&ctx)->layernorm_backward(&ctx, din, dg, db, c.r, c.x, c.mean, c.invstd, c.g, NB, NN);
    for (int i = 0; i < NN; i++) dg[i] -= 1.0f, db[i] += 2.0f;
    ck_assert_double_lt(fd_error(c.x, din, NB * NN, ln_obj, &c, 1e-2f), 1e-3);
    ck_assert_double_lt(fd_error(c.g, dg, NN, ln_obj, &c, 1e-2f), 1e-3);
    ck_assert_double_lt(fd_error(c.b, db, NN, ln_obj, &c, 1e-2f), 1e-3);
    // No input gradient asked for: the parameters' still accumulate.
    float dg2[NN] = {0}, db2[NN] = {0};
    ln_obj(&c);
    ws_backend_of(&ctx)->layernorm_backward(&ctx, NULL, dg2, db2, c.r, c.x, c.mean, c.invstd, c.g, NB, NN);
    for (int i = 0; i < NN; i++) ck_assert_float_eq_tol(dg2[i], dg[i], 1e-5f);
}
END_TEST

typedef struct {
    float x[NB * NN], out[2 * NB * NN], r[2 * NB * NN];
} crelu_case;

static double crelu_obj(void *u) {
    crelu_case *c = u;
    ws_backend_of(&ctx)->crelu_forward(&ctx, c->out, c->x, NB, NN);
    double s = 0;
    for (int i = 0; i < 2 * NB * NN; i++) s += (double)c->r[i] * c->out[i];
    return s;
}

START_TEST(crelu_values_and_gradient) {
    crelu_case c;
    ws_rng r = ws_rng_stream(12, "test-crelu", 0);
    for (int i = 0; i < NB * NN; i++) c.x[i] = (i % 3 ? 1 : -1) * (0.1f + ws_rng_uniform(&r)); // away from 0
    fill(c.r, 2 * NB * NN, &r, 1);
    crelu_obj(&c);
    for (int b = 0; b < NB; b++) // per example: relu(x) for the first N, relu(-x) for the next N
        for (int i = 0; i < NN; i++) {
            const float x = c.x[b * NN + i];
            ck_assert_float_eq(c.out[b * 2 * NN + i], x > 0 ? x : 0);
            ck_assert_float_eq(c.out[b * 2 * NN + NN + i], x < 0 ? -x : 0);
        }
    float din[NB * NN];
    ws_backend_of(&ctx)->crelu_backward(&ctx, din, c.r, c.out, NB, NN);
    ck_assert_double_lt(fd_error(c.x, din, NB * NN, crelu_obj, &c, 1e-2f), 1e-4);
    // At 0 both halves are 0 and so is the gradient; NaN propagates into both halves.
    float z[2] = {0.0f, NAN}, zo[4], dz[2], one[4] = {1, 1, 1, 1};
    ws_backend_of(&ctx)->crelu_forward(&ctx, zo, z, 1, 2);
    ck_assert(zo[0] == 0.0f && zo[2] == 0.0f && isnan(zo[1]) && isnan(zo[3]));
    ws_backend_of(&ctx)->crelu_backward(&ctx, dz, one, zo, 1, 2);
    ck_assert_float_eq(dz[0], 0.0f);
}
END_TEST

enum { PB = 2, PC = 3, PH = 5, PW = 6 }; // odd height: the last row is dropped
typedef struct {
    float x[PB * PC * PH * PW], out[PB * PC * (PH / 2) * (PW / 2)], r[PB * PC * (PH / 2) * (PW / 2)];
} pool_case;

static double pool_obj(void *u) {
    pool_case *c = u;
    ws_backend_of(&ctx)->maxpool2_forward(&ctx, c->out, c->x, PB, PC, PH, PW);
    double s = 0;
    for (int i = 0; i < PB * PC * (PH / 2) * (PW / 2); i++) s += (double)c->r[i] * c->out[i];
    return s;
}

START_TEST(maxpool_values_and_gradient) {
    pool_case c;
    const int n = PB * PC * PH * PW, no = PB * PC * (PH / 2) * (PW / 2);
    ws_rng r = ws_rng_stream(13, "test-maxpool", 0);
    for (int i = 0; i < n; i++) c.x[i] = (float)((i * 37) % n) * 0.1f; // distinct values: no ties to perturb
    fill(c.r, no, &r, 1);
    pool_obj(&c);
    for (int p = 0; p < PB * PC; p++)
        for (int oh = 0; oh < PH / 2; oh++)
            for (int ow = 0; ow < PW / 2; ow++) {
                const float *w = c.x + p * PH * PW + 2 * oh * PW + 2 * ow;
                float m = fmaxf(fmaxf(w[0], w[1]), fmaxf(w[PW], w[PW + 1]));
                ck_assert_float_eq(c.out[(p * (PH / 2) + oh) * (PW / 2) + ow], m);
            }
    float din[PB * PC * PH * PW];
    ws_backend_of(&ctx)->maxpool2_backward(&ctx, din, c.r, c.x, PB, PC, PH, PW);
    ck_assert_double_lt(fd_error(c.x, din, n, pool_obj, &c, 1e-2f), 1e-4);
    // PyTorch's rule: a tie goes to the first maximum in scan order; a NaN wins, the last one.
    float t[4] = {1, 3, 3, 2}, to, dt[4], one = 1.0f;
    ws_backend_of(&ctx)->maxpool2_forward(&ctx, &to, t, 1, 1, 2, 2);
    ws_backend_of(&ctx)->maxpool2_backward(&ctx, dt, &one, t, 1, 1, 2, 2);
    ck_assert(to == 3 && dt[0] == 0 && dt[1] == 1 && dt[2] == 0 && dt[3] == 0);
    float q[4] = {NAN, 5, NAN, 1};
    ws_backend_of(&ctx)->maxpool2_forward(&ctx, &to, q, 1, 1, 2, 2);
    ws_backend_of(&ctx)->maxpool2_backward(&ctx, dt, &one, q, 1, 1, 2, 2);
    ck_assert(isnan(to) && dt[0] == 0 && dt[1] == 0 && dt[2] == 1 && dt[3] == 0);
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
    tcase_add_test(t, layernorm_values_and_gradients);
    tcase_add_test(t, crelu_values_and_gradient);
    tcase_add_test(t, maxpool_values_and_gradient);
    suite_add_tcase(s, t);
    return s;
}
