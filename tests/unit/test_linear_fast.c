// The optimised Linear kernels of the CPU backend (register-tiled AVX-512
// kernels or OpenBLAS, split across threads) against a naive triple loop in
// double, on sizes that hit every tile edge (odd sizes, K not a multiple of 16,
// more columns than one tile), at 1, 2 and 3 threads; plus bitwise
// reproducibility of a repeated call at a given thread count.
//
// Tolerance: for a sum of K products the float error is at most about
// K * 2^-24 * sum |terms|, so each entry is checked against (K + 2) * 2^-24 *
// sum |terms| (+ 1e-30): never flaky, and a wrong index or a lost term is off
// by O(|terms|).
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/ctx.h"
#include "core/rng.h"
#include "ops/backend.h"
#include "suites.h"

typedef struct { int B, In, Out; } lf_size;

static const lf_size lf_sizes[] = {
    {7, 13, 5},      // odd everything, K < 16
    {128, 3072, 100}, // the paper MLP's first layer
    {1, 1, 1},
    {3, 17, 33},      // K = 16 + 1
    {130, 100, 10},   // the MLP's last layers; a batch not a multiple of the tiles
    {64, 784, 97},    // In = 8 * 96 + 16: a one-vector tail; Out odd
    {128, 512, 512},  // the 784-512-512-10 hidden layer
    {9, 200, 7},      // Out < 16 with a batch too small to split
};
#define LF_NSIZES ((int)(sizeof lf_sizes / sizeof lf_sizes[0]))

static const int lf_threads[] = {1, 2, 3};
#define LF_NTHREADS ((int)(sizeof lf_threads / sizeof lf_threads[0]))

typedef struct {
    int B, In, Out;
    float *x, *w, *b, *dout, *dw0, *db0; // inputs
    double *out, *out_abs;               // reference forward and sum |terms|
    double *dw, *dw_abs, *db, *db_abs, *din, *din_abs;
} lf_case;

static float *lf_randn(int64_t n, ws_rng *r) {
    float *a = malloc(sizeof(float) * (size_t)(n > 0 ? n : 1));
    ck_assert_ptr_nonnull(a);
    for (int64_t i = 0; i < n; i++) a[i] = 2.0f * ws_rng_uniform(r) - 1.0f;
    return a;
}

static double *lf_dbl(int64_t n) {
    double *a = calloc((size_t)(n > 0 ? n : 1), sizeof(double));
    ck_assert_ptr_nonnull(a);
    return a;
}

static void lf_setup(lf_case *c, lf_size s, uint64_t seed) {
    c->B = s.B, c->In = s.In, c->Out = s.Out;
    int B = s.B, In = s.In, Out = s.Out;
    ws_rng r = ws_rng_stream(seed, "test-linear-fast", (uint64_t)(B * 1000003 + In * 1009 + Out));
    c->x = lf_randn((int64_t)B * In, &r);
    c->w = lf_randn((int64_t)Out * In, &r);
    c->b = lf_randn(Out, &r);
    c->dout = lf_randn((int64_t)B * Out, &r);
    c->dw0 = lf_randn((int64_t)Out * In, &r); // backward accumulates onto these
    c->db0 = lf_randn(Out, &r);
    c->out = lf_dbl((int64_t)B * Out), c->out_abs = lf_dbl((int64_t)B * Out);
    c->dw = lf_dbl((int64_t)Out * In), c->dw_abs = lf_dbl((int64_t)Out * In);
    c->db = lf_dbl(Out), c->db_abs = lf_dbl(Out);
    c->din = lf_dbl((int64_t)B * In), c->din_abs = lf_dbl((int64_t)B * In);
    // The naive triple loops, in double.
    for (int i = 0; i < B; i++)
        for (int o = 0; o < Out; o++) {
            double s1 = c->b[o], a1 = fabs(c->b[o]);
            for (int k = 0; k < In; k++) {
                double t = (double)c->x[(int64_t)i * In + k] * c->w[(int64_t)o * In + k];
                s1 += t, a1 += fabs(t);
            }
            c->out[(int64_t)i * Out + o] = s1, c->out_abs[(int64_t)i * Out + o] = a1;
        }
    for (int o = 0; o < Out; o++)
        for (int k = 0; k < In; k++) {
            double s1 = c->dw0[(int64_t)o * In + k], a1 = fabs(s1);
            for (int i = 0; i < B; i++) {
                double t = (double)c->dout[(int64_t)i * Out + o] * c->x[(int64_t)i * In + k];
                s1 += t, a1 += fabs(t);
            }
            c->dw[(int64_t)o * In + k] = s1, c->dw_abs[(int64_t)o * In + k] = a1;
        }
    for (int o = 0; o < Out; o++) {
        double s1 = c->db0[o], a1 = fabs(s1);
        for (int i = 0; i < B; i++) s1 += c->dout[(int64_t)i * Out + o], a1 += fabs(c->dout[(int64_t)i * Out + o]);
        c->db[o] = s1, c->db_abs[o] = a1;
    }
    for (int i = 0; i < B; i++)
        for (int k = 0; k < In; k++) {
            double s1 = 0, a1 = 0;
            for (int o = 0; o < Out; o++) {
                double t = (double)c->dout[(int64_t)i * Out + o] * c->w[(int64_t)o * In + k];
                s1 += t, a1 += fabs(t);
            }
            c->din[(int64_t)i * In + k] = s1, c->din_abs[(int64_t)i * In + k] = a1;
        }
}

static void lf_free(lf_case *c) {
    free(c->x), free(c->w), free(c->b), free(c->dout), free(c->dw0), free(c->db0);
    free(c->out), free(c->out_abs), free(c->dw), free(c->dw_abs), free(c->db), free(c->db_abs);
    free(c->din), free(c->din_abs);
}

// Every entry of got within (K + 2) 2^-24 sum|terms| of the reference. (One
// assertion per array: Check records every passing assertion, which would cost
// a write per entry.)
static void lf_check(const char *what, const float *got, const double *ref, const double *abs_sum, int64_t n, int K,
                     int threads) {
    const double u = ldexp(1.0, -24);
    int64_t bad = -1;
    for (int64_t i = 0; i < n && bad < 0; i++) {
        double tol = (K + 2) * u * abs_sum[i] + 1e-30;
        if (!(fabs((double)got[i] - ref[i]) <= tol)) bad = i; // NaN fails too
    }
    if (bad >= 0)
        ck_abort_msg("%s[%lld] = %.9g, expected %.9g (err %.3g > tol %.3g), K %d, %d threads", what, (long long)bad,
                     (double)got[bad], ref[bad], fabs((double)got[bad] - ref[bad]),
                     (K + 2) * u * abs_sum[bad] + 1e-30, K, threads);
}

// Forward (with and without bias) and backward (with and without din) at
// `threads` threads; results into the caller's buffers for the determinism
// check.
static void lf_run(const lf_case *c, int threads, int with_bias, int with_din, float *out, float *dw, float *db,
                   float *din) {
    ws_ctx ctx;
    ws_ctx_init(&ctx, threads);
    int B = c->B, In = c->In, Out = c->Out;
    for (int64_t i = 0; i < (int64_t)B * Out; i++) out[i] = NAN; // must be overwritten
    ws_backend_of(&ctx)->linear_forward(&ctx, out, c->x, c->w, with_bias ? c->b : NULL, B, In, Out);
    memcpy(dw, c->dw0, sizeof(float) * (size_t)Out * (size_t)In);
    memcpy(db, c->db0, sizeof(float) * (size_t)Out);
    for (int64_t i = 0; i < (int64_t)B * In; i++) din[i] = NAN;
    ws_backend_of(&ctx)->linear_backward(&ctx, with_din ? din : NULL, dw, db, c->dout, c->x, c->w, B, In, Out);
}

START_TEST(linear_fast_matches_naive) {
    lf_size s = lf_sizes[_i];
    lf_case c;
    lf_setup(&c, s, 1);
    int64_t nout = (int64_t)s.B * s.Out, nw = (int64_t)s.Out * s.In, nin = (int64_t)s.B * s.In;
    float *out = malloc(sizeof(float) * (size_t)nout), *dw = malloc(sizeof(float) * (size_t)nw);
    float *db = malloc(sizeof(float) * (size_t)s.Out), *din = malloc(sizeof(float) * (size_t)nin);
    float *out2 = malloc(sizeof(float) * (size_t)nout), *dw2 = malloc(sizeof(float) * (size_t)nw);
    float *db2 = malloc(sizeof(float) * (size_t)s.Out), *din2 = malloc(sizeof(float) * (size_t)nin);
    ck_assert(out && dw && db && din && out2 && dw2 && db2 && din2);
    for (int ti = 0; ti < LF_NTHREADS; ti++) {
        int T = lf_threads[ti];
        lf_run(&c, T, 1, 1, out, dw, db, din);
        lf_check("out", out, c.out, c.out_abs, nout, s.In, T);
        lf_check("dw", dw, c.dw, c.dw_abs, nw, s.B, T);
        lf_check("db", db, c.db, c.db_abs, s.Out, s.B, T);
        lf_check("din", din, c.din, c.din_abs, nin, s.Out, T);

        // Bitwise the same on a second call at the same thread count.
        lf_run(&c, T, 1, 1, out2, dw2, db2, din2);
        ck_assert_msg(!memcmp(out, out2, sizeof(float) * (size_t)nout), "forward not reproducible at %d threads", T);
        ck_assert_msg(!memcmp(dw, dw2, sizeof(float) * (size_t)nw), "dw not reproducible at %d threads", T);
        ck_assert_msg(!memcmp(db, db2, sizeof(float) * (size_t)s.Out), "db not reproducible at %d threads", T);
        ck_assert_msg(!memcmp(din, din2, sizeof(float) * (size_t)nin), "din not reproducible at %d threads", T);

        // No bias, and no input gradient (the first layer): the forward is the
        // product alone, and the weight gradient is unchanged by din's absence.
        lf_run(&c, T, 0, 0, out2, dw2, db2, din2);
        for (int i = 0; i < s.B; i++)
            for (int o = 0; o < s.Out; o++) c.out[(int64_t)i * s.Out + o] -= c.b[o];
        lf_check("out (no bias)", out2, c.out, c.out_abs, nout, s.In, T);
        for (int i = 0; i < s.B; i++)
            for (int o = 0; o < s.Out; o++) c.out[(int64_t)i * s.Out + o] += c.b[o];
        ck_assert_msg(!memcmp(dw, dw2, sizeof(float) * (size_t)nw), "dw depends on din at %d threads", T);
        int64_t written = 0;
        for (int64_t i = 0; i < nin; i++) written += !isnan(din2[i]);
        ck_assert_msg(written == 0, "din written although NULL (%lld entries)", (long long)written);
    }
    free(out), free(dw), free(db), free(din), free(out2), free(dw2), free(db2), free(din2);
    lf_free(&c);
}
END_TEST

Suite *linear_fast_suite(void) {
    Suite *s = suite_create("linear_fast");
    TCase *t = tcase_create("cpu");
    tcase_set_timeout(t, 120); // the naive reference of the largest sizes, under valgrind too
    tcase_add_loop_test(t, linear_fast_matches_naive, 0, LF_NSIZES);
    suite_add_tcase(s, t);
    return s;
}
