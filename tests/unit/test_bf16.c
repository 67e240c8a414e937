// --precision bf16 (ws_ctx.precision) for Linear: the rounding itself, the CPU check and
// its refusal, the reference backend's oracle (inputs rounded to bf16, then the fp32
// kernel), oneDNN's bf16 matmuls against that oracle on sizes that hit the kernels'
// edges, and finite differences at the bf16 tolerance; each with a negative control.
//
// Tolerances. A product of two bf16 values (8 significant bits each) is exact in fp32,
// so the oracle and oneDNN differ only in the order of the fp32 sums: each entry is held
// to (K + 2) 2^-24 sum|terms| of a double sum of the ROUNDED inputs, as the fp32 kernels
// are in test_linear_fast.c. Against the true (unrounded) inputs a bf16 result is off by
// up to about 2^-8 sum|terms| (two inputs each rounded by up to 2^-9 relative): the
// negative controls show the fp32 result misses the bf16 bound, so the check sees which
// arithmetic ran. The finite-difference check compares the bf16 gradient with central
// differences of the fp32 function: relative error <= 2e-2 (measured <= ~5e-3), and a
// gradient entry off by 10 % of the largest fails it.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/ctx.h"
#include "core/rng.h"
#include "ops/backend.h"
#include "ops/bf16.h"
#include "suites.h"

static float *randu(int64_t n, ws_rng *r) {
    float *a = malloc(sizeof(float) * (size_t)(n > 0 ? n : 1));
    ck_assert_ptr_nonnull(a);
    for (int64_t i = 0; i < n; i++) a[i] = 2.0f * ws_rng_uniform(r) - 1.0f;
    return a;
}

static float *rounded(const float *a, int64_t n) {
    float *c = malloc(sizeof(float) * (size_t)(n > 0 ? n : 1));
    ck_assert_ptr_nonnull(c);
    ws_bf16_round(c, a, n);
    return c;
}

START_TEST(bf16_rounding) {
    // Round to nearest, ties to even: 1 + 2^-8 is halfway between 1 and 1 + 2^-7 (goes
    // down to the even 1); 1 + 3 * 2^-8 halfway between 1 + 2^-7 and 1 + 2^-6 (goes up).
    ck_assert_uint_eq(ws_bf16_of(1.0f), 0x3f80);
    ck_assert_uint_eq(ws_bf16_of(1.0f + ldexpf(1, -8)), 0x3f80);
    ck_assert_uint_eq(ws_bf16_of(1.0f + 3 * ldexpf(1, -8)), 0x3f82);
    ck_assert_uint_eq(ws_bf16_of(1.0f + ldexpf(1, -8) + ldexpf(1, -20)), 0x3f81); // past halfway: up
    ck_assert_uint_eq(ws_bf16_of(-2.0f), 0xc000);
    ck_assert_uint_eq(ws_bf16_of(INFINITY), 0x7f80);
    ck_assert_uint_eq(ws_bf16_of(3.4e38f), 0x7f80); // past bf16's largest finite: infinity
    ck_assert(isnan(ws_f32_of_bf16(ws_bf16_of(NAN))));
    union { uint32_t u; float f; } tiny_nan = {0x7f800001u}; // a NaN whose payload truncation would make Inf
    ck_assert(isnan(ws_f32_of_bf16(ws_bf16_of(tiny_nan.f))));
    float x[3] = {0.1f, -3.14159f, 65504.0f}, y[3];
    ws_bf16_round(y, x, 3);
    for (int i = 0; i < 3; i++) ck_assert_float_eq(y[i], ws_f32_of_bf16(ws_bf16_of(x[i])));
    ck_assert_float_ne(y[0], x[0]); // 0.1 is not a bf16
}
END_TEST

START_TEST(precision_names_and_refusal) {
    ws_ctx ctx;
    ws_ctx_init(&ctx, 1);
    ck_assert_int_eq(ctx.precision, WS_PREC_FP32); // the default
    ck_assert_int_eq(ws_ctx_set_precision_on(&ctx, "bf16", 0), WS_ERR_ARG); // a CPU without AVX512_BF16
    ck_assert_ptr_nonnull(strstr(ctx.err, "AVX512_BF16"));
    ck_assert_int_eq(ctx.precision, WS_PREC_FP32);
    ck_assert_int_eq(ws_ctx_set_precision_on(&ctx, "fp16", 1), WS_ERR_ARG);
    ck_assert_ptr_nonnull(strstr(ctx.err, "'fp16'"));
    ck_assert_int_eq(ws_ctx_set_precision_on(&ctx, "bf16", 1), WS_OK);
    ck_assert_int_eq(ctx.precision, WS_PREC_BF16);
    ck_assert_int_eq(ws_ctx_set_precision(&ctx, "fp32"), WS_OK);
    ck_assert_int_eq(ctx.precision, WS_PREC_FP32);
    // This CPU's own answer.
    ck_assert_int_eq(ws_ctx_set_precision(&ctx, "bf16"), ws_cpu_has_bf16() ? WS_OK : WS_ERR_ARG);
    ck_assert_str_eq(ws_precision_name(WS_PREC_BF16), "bf16");
    ck_assert_str_eq(ws_precision_name(WS_PREC_FP32), "fp32");
    ws_ctx_release(&ctx);
}
END_TEST

// ---- Linear: oneDNN's bf16 matmuls and the reference's oracle ----

typedef struct { int B, In, Out; } size3;
static const size3 SIZES[] = {
    {7, 13, 5}, {128, 3072, 100}, {1, 1, 1}, {3, 17, 33}, {130, 100, 10}, {64, 784, 97}, {9, 200, 7},
};
#define NSIZES ((int)(sizeof SIZES / sizeof *SIZES))

typedef struct {
    int B, In, Out;
    float *x, *w, *b, *dout, *dw0;
} lin;

static void lin_make(lin *c, size3 s) {
    ws_rng r = ws_rng_stream(7, "test-bf16-linear", (uint64_t)(s.B * 1000003 + s.In * 1009 + s.Out));
    c->B = s.B, c->In = s.In, c->Out = s.Out;
    c->x = randu((int64_t)s.B * s.In, &r), c->w = randu((int64_t)s.Out * s.In, &r), c->b = randu(s.Out, &r);
    c->dout = randu((int64_t)s.B * s.Out, &r), c->dw0 = randu((int64_t)s.Out * s.In, &r);
}

static void lin_free(lin *c) { free(c->x), free(c->w), free(c->b), free(c->dout), free(c->dw0); }

// 1 when every got[i] is within (K + 2) 2^-24 asum[i] of ref[i] (else *bad = the first miss).
static int within(const float *got, const double *ref, const double *asum, int64_t n, int K, int64_t *bad) {
    for (int64_t i = 0; i < n; i++)
        if (!(fabs((double)got[i] - ref[i]) <= (K + 2) * ldexp(1, -24) * asum[i] + 1e-30)) return *bad = i, 0;
    return 1;
}

// out = x w^T + b, dw = dw0 + dout^T x, din = dout w, in double from the given inputs.
typedef struct { double *out, *aout, *dw, *adw, *din, *adin; } naive;

static void naive_of(naive *n, const lin *c, const float *x, const float *w, const float *dout) {
    int B = c->B, In = c->In, Out = c->Out;
    n->out = calloc((size_t)B * Out, sizeof(double)), n->aout = calloc((size_t)B * Out, sizeof(double));
    n->dw = calloc((size_t)Out * In, sizeof(double)), n->adw = calloc((size_t)Out * In, sizeof(double));
    n->din = calloc((size_t)B * In, sizeof(double)), n->adin = calloc((size_t)B * In, sizeof(double));
    for (int i = 0; i < B; i++)
        for (int o = 0; o < Out; o++) {
            double s = c->b[o], a = fabs(c->b[o]);
            for (int k = 0; k < In; k++) s += (double)x[(int64_t)i * In + k] * w[(int64_t)o * In + k],
                                         a += fabs((double)x[(int64_t)i * In + k] * w[(int64_t)o * In + k]);
            n->out[i * Out + o] = s, n->aout[i * Out + o] = a;
        }
    for (int o = 0; o < Out; o++)
        for (int k = 0; k < In; k++) {
            double s = c->dw0[(int64_t)o * In + k], a = fabs(s);
            for (int i = 0; i < B; i++) {
                double t = (double)dout[(int64_t)i * Out + o] * x[(int64_t)i * In + k];
                s += t, a += fabs(t);
            }
            n->dw[(int64_t)o * In + k] = s, n->adw[(int64_t)o * In + k] = a;
        }
    for (int i = 0; i < B; i++)
        for (int k = 0; k < In; k++) {
            double s = 0, a = 0;
            for (int o = 0; o < Out; o++) {
                double t = (double)dout[(int64_t)i * Out + o] * w[(int64_t)o * In + k];
                s += t, a += fabs(t);
            }
            n->din[(int64_t)i * In + k] = s, n->adin[(int64_t)i * In + k] = a;
        }
}

static void naive_free(naive *n) { free(n->out), free(n->aout), free(n->dw), free(n->adw), free(n->din), free(n->adin); }

typedef struct { float *out, *dw, *db, *din; } lin_result;

static lin_result lin_run(const lin *c, const char *backend, const char *precision, int threads) {
    ws_ctx ctx;
    ws_ctx_init(&ctx, threads);
    ck_assert_int_eq(ws_ctx_set_backend(&ctx, backend), WS_OK);
    ck_assert_int_eq(ws_ctx_set_precision_on(&ctx, precision, 1), WS_OK);
    int B = c->B, In = c->In, Out = c->Out;
    lin_result r = {malloc(sizeof(float) * (size_t)B * Out), malloc(sizeof(float) * (size_t)Out * In),
                    calloc((size_t)Out, sizeof(float)), malloc(sizeof(float) * (size_t)B * In)};
    for (int64_t i = 0; i < (int64_t)B * In; i++) r.din[i] = NAN; // must be overwritten
    memcpy(r.dw, c->dw0, sizeof(float) * (size_t)Out * In);
    ws_backend_of(&ctx)->linear_forward(&ctx, r.out, c->x, c->w, c->b, B, In, Out);
    ws_backend_of(&ctx)->linear_backward(&ctx, r.din, r.dw, r.db, c->dout, c->x, c->w, B, In, Out);
    ck_assert_int_eq(ctx.fault, WS_OK);
    ws_ctx_release(&ctx);
    return r;
}

static void lin_result_free(lin_result *r) { free(r->out), free(r->dw), free(r->db), free(r->din); }

// Both backends' bf16 Linear against the double sums of the rounded inputs; the bias
// gradient the fp32 sum of the unrounded dout (the same bits on both); the fp32 results
// must MISS that bound somewhere (negative control: the check tells the arithmetics apart).
START_TEST(linear_bf16_matches_the_oracle) {
    if (!ws_cpu_has_bf16()) return; // oneDNN's bf16 matmul needs the instructions (refusal tested above)
    lin c;
    lin_make(&c, SIZES[_i % NSIZES]);
    int threads = _i < NSIZES ? 1 : 2;
    int64_t nx = (int64_t)c.B * c.In, nw = (int64_t)c.Out * c.In, nd = (int64_t)c.B * c.Out, bad = -1;
    float *rx = rounded(c.x, nx), *rw = rounded(c.w, nw), *rd = rounded(c.dout, nd);
    naive n;
    naive_of(&n, &c, rx, rw, rd);
    const char *backends[2] = {"reference", "onednn"};
    lin_result got[2];
    for (int k = 0; k < 2; k++) {
        got[k] = lin_run(&c, backends[k], "bf16", threads);
        ck_assert_msg(within(got[k].out, n.out, n.aout, nd, c.In, &bad), "%s out[%lld]", backends[k], (long long)bad);
        ck_assert_msg(within(got[k].dw, n.dw, n.adw, nw, c.B, &bad), "%s dw[%lld]", backends[k], (long long)bad);
        ck_assert_msg(within(got[k].din, n.din, n.adin, nx, c.Out, &bad), "%s din[%lld]", backends[k], (long long)bad);
    }
    ck_assert_mem_eq(got[0].db, got[1].db, sizeof(float) * (size_t)c.Out);
    lin_result f32 = lin_run(&c, "onednn", "fp32", threads);
    ck_assert_mem_eq(f32.db, got[1].db, sizeof(float) * (size_t)c.Out); // the bias gradient stays fp32
    if (c.In > 1) { // (1x1x1: too few terms to be sure one misses)
        int misses = !within(f32.out, n.out, n.aout, nd, c.In, &bad) + !within(f32.dw, n.dw, n.adw, nw, c.B, &bad) +
                     !within(f32.din, n.din, n.adin, nx, c.Out, &bad);
        ck_assert_int_eq(misses, 3);
    }
    // Repeatable to the bit at a given thread count.
    lin_result again = lin_run(&c, "onednn", "bf16", threads);
    ck_assert_mem_eq(again.out, got[1].out, sizeof(float) * (size_t)nd);
    ck_assert_mem_eq(again.dw, got[1].dw, sizeof(float) * (size_t)nw);
    ck_assert_mem_eq(again.din, got[1].din, sizeof(float) * (size_t)nx);
    lin_result_free(&again), lin_result_free(&f32), lin_result_free(&got[0]), lin_result_free(&got[1]);
    naive_free(&n);
    free(rx), free(rw), free(rd);
    lin_free(&c);
}
END_TEST

// Without din (a first layer) and without bias: dw still accumulates, nothing else written.
START_TEST(linear_bf16_first_layer) {
    if (!ws_cpu_has_bf16()) return;
    lin c;
    lin_make(&c, SIZES[4]);
    ws_ctx ctx;
    ws_ctx_init(&ctx, 2);
    ck_assert_int_eq(ws_ctx_set_precision(&ctx, "bf16"), WS_OK);
    int64_t nw = (int64_t)c.Out * c.In;
    float *dw = calloc((size_t)nw, sizeof(float)), *dw2 = calloc((size_t)nw, sizeof(float));
    ws_backend_of(&ctx)->linear_backward(&ctx, NULL, dw, NULL, c.dout, c.x, c.w, c.B, c.In, c.Out);
    ws_backend_of(&ctx)->linear_backward(&ctx, NULL, dw2, NULL, c.dout, c.x, c.w, c.B, c.In, c.Out);
    ws_backend_of(&ctx)->linear_backward(&ctx, NULL, dw2, NULL, c.dout, c.x, c.w, c.B, c.In, c.Out);
    ck_assert_int_eq(ctx.fault, WS_OK);
    for (int64_t i = 0; i < nw; i++) ck_assert_float_eq(dw2[i], 2 * dw[i]); // x + x is exact
    free(dw), free(dw2);
    ws_ctx_release(&ctx);
    lin_free(&c);
}
END_TEST

// ---- finite differences at the bf16 tolerance ----

enum { FB = 5, FI = 7, FO = 3 };
typedef struct {
    ws_ctx ctx; // fp32: the function whose gradient the bf16 backward approximates
    float x[FB * FI], w[FO * FI], b[FO], out[FB * FO], r[FB * FO];
} fd_case;

static double fd_obj(void *u) {
    fd_case *c = u;
    ws_backend_of(&c->ctx)->linear_forward(&c->ctx, c->out, c->x, c->w, c->b, FB, FI, FO);
    double s = 0;
    for (int i = 0; i < FB * FO; i++) s += (double)c->r[i] * c->out[i];
    return s;
}

START_TEST(linear_bf16_finite_differences) {
    if (!ws_cpu_has_bf16()) return;
    fd_case *c = calloc(1, sizeof *c);
    ws_rng r = ws_rng_stream(42, "test-bf16-fd", (uint64_t)_i);
    float *t[4] = {c->x, c->w, c->b, c->r};
    int n[4] = {FB * FI, FO * FI, FO, FB * FO};
    for (int k = 0; k < 4; k++)
        for (int i = 0; i < n[k]; i++) t[k][i] = 2 * ws_rng_uniform(&r) - 1;
    ws_ctx bf;
    ws_ctx_init(&bf, 1);
    ck_assert_int_eq(ws_ctx_set_backend(&bf, _i ? "reference" : "onednn"), WS_OK);
    ck_assert_int_eq(ws_ctx_set_precision(&bf, "bf16"), WS_OK);
    ws_ctx_init(&c->ctx, 1);
    float din[FB * FI], dw[FO * FI] = {0}, db[FO] = {0};
    ws_backend_of(&bf)->linear_backward(&bf, din, dw, db, c->r, c->x, c->w, FB, FI, FO);
    ck_assert_double_lt(fd_error(c->x, din, FB * FI, fd_obj, c, 1e-2f), 2e-2);
    ck_assert_double_lt(fd_error(c->w, dw, FO * FI, fd_obj, c, 1e-2f), 2e-2);
    ck_assert_double_lt(fd_error(c->b, db, FO, fd_obj, c, 1e-2f), 2e-2);
    // Negative control: one entry off by 10 % of the largest fails the bf16 tolerance.
    float mx = 0;
    for (int i = 0; i < FO * FI; i++) mx = fmaxf(mx, fabsf(dw[i]));
    dw[3] += 0.1f * mx;
    ck_assert_double_gt(fd_error(c->w, dw, FO * FI, fd_obj, c, 1e-2f), 2e-2);
    ws_ctx_release(&bf), ws_ctx_release(&c->ctx);
    free(c);
}
END_TEST

Suite *bf16_suite(void) {
    Suite *s = suite_create("bf16");
    TCase *t = tcase_create("bf16");
    tcase_set_timeout(t, 60);
    tcase_add_test(t, bf16_rounding);
    tcase_add_test(t, precision_names_and_refusal);
    tcase_add_loop_test(t, linear_bf16_matches_the_oracle, 0, 2 * NSIZES);
    tcase_add_test(t, linear_bf16_first_layer);
    tcase_add_loop_test(t, linear_bf16_finite_differences, 0, 2);
    suite_add_tcase(s, t);
    return s;
}
