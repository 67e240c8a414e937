// The convolutional ops of the reference CPU backend (src/ops/cpu_conv.c): conv2d against
// a naive direct convolution in double and by finite differences, BatchNorm2d
// (training statistics, running-statistics update, eval mode, gradients by
// finite differences through the whole batch), global average pooling and the
// residual add; at 1, 2 and 3 threads, with bitwise reproducibility at a given
// thread count; plus negative controls proving the checks catch wrong gradients.
//
// Finite differences as test_ops.c: a random linear objective L = sum r * out,
// computed in double, central differences; the error is max |analytic -
// numeric| / max |numeric|. Comparisons with the naive loops use the float
// summation bound (K + 2) 2^-24 sum |terms| (as test_linear_fast.c).
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/ctx.h"
#include "core/rng.h"
#include "ops/backend.h"
#include "suites.h"

static ws_ctx ctx;
static void setup(void) {
    ws_ctx_init(&ctx, 2);
    ctx.backend = ws_backend_cpu(); // this suite tests the reference backend
}
static void teardown(void) { ws_ctx_release(&ctx); }

static void fill(float *a, int64_t n, ws_rng *r, float scale) {
    for (int64_t i = 0; i < n; i++) a[i] = (2 * ws_rng_uniform(r) - 1) * scale;
}

static float *fnew(int64_t n) {
    float *a = malloc(sizeof(float) * (size_t)(n > 0 ? n : 1));
    ck_assert_ptr_nonnull(a);
    return a;
}

static double *dnew(int64_t n) {
    double *a = calloc((size_t)(n > 0 ? n : 1), sizeof(double));
    ck_assert_ptr_nonnull(a);
    return a;
}

static void fset(float *a, int64_t n, float v) {
    for (int64_t i = 0; i < n; i++) a[i] = v;
}

// Every got[i] within (K + 2) 2^-24 abs_sum[i] of ref[i] (one assertion per array).
static void check_bound(const char *what, const float *got, const double *ref, const double *abs_sum, int64_t n,
                        int64_t K, int threads) {
    const double u = ldexp(1.0, -24);
    int64_t bad = -1;
    for (int64_t i = 0; i < n && bad < 0; i++) {
        double tol = (double)(K + 2) * u * abs_sum[i] + 1e-30;
        if (!(fabs((double)got[i] - ref[i]) <= tol)) bad = i; // NaN fails too
    }
    if (bad >= 0)
        ck_abort_msg("%s[%lld] = %.9g, expected %.9g (err %.3g > tol %.3g), K %lld, %d threads", what,
                     (long long)bad, (double)got[bad], ref[bad], fabs((double)got[bad] - ref[bad]),
                     (double)(K + 2) * u * abs_sum[bad] + 1e-30, (long long)K, threads);
}

// ---- conv2d: geometry -----------------------------------------------------------

START_TEST(conv_shape_resolve) {
    ws_conv_shape s = {.B = 2, .C = 3, .H = 7, .W = 5, .O = 4, .KH = 3, .KW = 3, .stride = 1, .pad = 1};
    ck_assert_int_eq(ws_conv_shape_resolve(&s), 0);
    ck_assert_int_eq(s.OH, 7); ck_assert_int_eq(s.OW, 5);
    ck_assert_int_eq(ws_backend_of(&ctx)->conv2d_workspace(&s), 3 * 9 * 7 * 5);
    s.stride = 2;
    ck_assert_int_eq(ws_conv_shape_resolve(&s), 0);
    ck_assert_int_eq(s.OH, 4); ck_assert_int_eq(s.OW, 3);
    s.KH = s.KW = 1, s.pad = 0; // the ResNet shortcut: 1x1 stride 2
    ck_assert_int_eq(ws_conv_shape_resolve(&s), 0);
    ck_assert_int_eq(s.OH, 4); ck_assert_int_eq(s.OW, 3);
    ck_assert_int_eq(ws_backend_of(&ctx)->conv2d_workspace(&s), 3 * 4 * 3);
    s.stride = 1; // 1x1 stride 1: no columns needed
    ck_assert_int_eq(ws_conv_shape_resolve(&s), 0);
    ck_assert_int_eq(ws_backend_of(&ctx)->conv2d_workspace(&s), 0);
    ws_conv_shape big = {.B = 128, .C = 64, .H = 32, .W = 32, .O = 64, .KH = 3, .KW = 3, .stride = 1, .pad = 1};
    ck_assert_int_eq(ws_conv_shape_resolve(&big), 0);
    ck_assert_int_eq(ws_backend_of(&ctx)->conv2d_workspace(&big), 64 * 9 * 32 * 32); // one image, any thread count
    // Empty outputs and nonsense are refused.
    ws_conv_shape bad = {.B = 1, .C = 1, .H = 2, .W = 5, .O = 1, .KH = 3, .KW = 3, .stride = 1, .pad = 0};
    ck_assert_int_eq(ws_conv_shape_resolve(&bad), -1);
    bad.pad = 1;
    ck_assert_int_eq(ws_conv_shape_resolve(&bad), 0);
    ck_assert_int_eq(bad.OH, 2); ck_assert_int_eq(bad.OW, 5);
    bad.stride = 0;
    ck_assert_int_eq(ws_conv_shape_resolve(&bad), -1);
    bad.stride = 1, bad.C = 0;
    ck_assert_int_eq(ws_conv_shape_resolve(&bad), -1);
    bad.C = 1, bad.pad = -1;
    ck_assert_int_eq(ws_conv_shape_resolve(&bad), -1);
}
END_TEST

// ---- conv2d: naive reference ------------------------------------------------------

typedef struct {
    ws_conv_shape s;
    float *x, *w, *b, *r, *out, *ws; // r: dout / the objective's weights
    double *ref_out, *ref_out_abs, *ref_dw, *ref_dw_abs, *ref_db, *ref_db_abs, *ref_din, *ref_din_abs;
    int64_t nx, nw, nout, nws;
    int use_bias;
} conv_case;

#define IDX4(a, b, c, d, B_, C_, D_) ((((int64_t)(a) * (B_) + (b)) * (C_) + (c)) * (D_) + (d))

// The direct loops in double: forward with bias (when used), and the gradients
// of L = sum r * out (with r as dout); plus each entry's sum of |terms|.
static void conv_naive(conv_case *c) {
    const ws_conv_shape *s = &c->s;
    for (int b = 0; b < s->B; b++)
        for (int o = 0; o < s->O; o++)
            for (int oh = 0; oh < s->OH; oh++)
                for (int ow = 0; ow < s->OW; ow++) {
                    int64_t oi = IDX4(b, o, oh, ow, s->O, s->OH, s->OW);
                    double g = c->r[oi];
                    double acc = c->use_bias ? c->b[o] : 0.0, abs = fabs(acc);
                    c->ref_db[o] += g, c->ref_db_abs[o] += fabs(g);
                    for (int ci = 0; ci < s->C; ci++)
                        for (int kh = 0; kh < s->KH; kh++)
                            for (int kw = 0; kw < s->KW; kw++) {
                                int ih = oh * s->stride - s->pad + kh, iw = ow * s->stride - s->pad + kw;
                                if (ih < 0 || ih >= s->H || iw < 0 || iw >= s->W) continue;
                                int64_t xi = IDX4(b, ci, ih, iw, s->C, s->H, s->W);
                                int64_t wi = IDX4(o, ci, kh, kw, s->C, s->KH, s->KW);
                                double t = (double)c->x[xi] * c->w[wi];
                                acc += t, abs += fabs(t);
                                c->ref_dw[wi] += g * c->x[xi], c->ref_dw_abs[wi] += fabs(g * c->x[xi]);
                                c->ref_din[xi] += g * c->w[wi], c->ref_din_abs[xi] += fabs(g * c->w[wi]);
                            }
                    c->ref_out[oi] = acc, c->ref_out_abs[oi] = abs;
                }
}

static void conv_init(conv_case *c, ws_conv_shape s, int use_bias, uint64_t seed) {
    memset(c, 0, sizeof *c);
    ck_assert_int_eq(ws_conv_shape_resolve(&s), 0);
    c->s = s, c->use_bias = use_bias;
    c->nx = (int64_t)s.B * s.C * s.H * s.W;
    c->nw = (int64_t)s.O * s.C * s.KH * s.KW;
    c->nout = (int64_t)s.B * s.O * s.OH * s.OW;
    c->nws = ws_backend_of(&ctx)->conv2d_workspace(&s);
    ws_rng r = ws_rng_stream(seed, "test-conv", (uint64_t)(c->nx * 7919 + c->nw * 31 + c->nout + use_bias));
    c->x = fnew(c->nx), c->w = fnew(c->nw), c->b = fnew(s.O), c->r = fnew(c->nout), c->out = fnew(c->nout);
    fill(c->x, c->nx, &r, 1), fill(c->w, c->nw, &r, 1), fill(c->b, s.O, &r, 1), fill(c->r, c->nout, &r, 1);
    // Exactly the advertised workspace (ASan catches an overrun); none at all when 0.
    c->ws = c->nws > 0 ? fnew(c->nws) : NULL;
    c->ref_out = dnew(c->nout), c->ref_out_abs = dnew(c->nout);
    c->ref_dw = dnew(c->nw), c->ref_dw_abs = dnew(c->nw), c->ref_db = dnew(s.O), c->ref_db_abs = dnew(s.O);
    c->ref_din = dnew(c->nx), c->ref_din_abs = dnew(c->nx);
    conv_naive(c);
}

static void conv_free(conv_case *c) {
    free(c->x), free(c->w), free(c->b), free(c->r), free(c->out), free(c->ws);
    free(c->ref_out), free(c->ref_out_abs), free(c->ref_dw), free(c->ref_dw_abs), free(c->ref_db);
    free(c->ref_db_abs), free(c->ref_din), free(c->ref_din_abs);
}

// Small shapes for the value and finite-difference checks.
static const ws_conv_shape conv_small[] = {
    {.B = 2, .C = 3, .H = 7, .W = 5, .O = 4, .KH = 3, .KW = 3, .stride = 1, .pad = 1},
    {.B = 2, .C = 3, .H = 7, .W = 5, .O = 4, .KH = 3, .KW = 3, .stride = 2, .pad = 1},
    {.B = 2, .C = 3, .H = 7, .W = 5, .O = 4, .KH = 1, .KW = 1, .stride = 2, .pad = 0},
    {.B = 2, .C = 3, .H = 7, .W = 5, .O = 4, .KH = 1, .KW = 1, .stride = 1, .pad = 0},
    {.B = 1, .C = 2, .H = 6, .W = 6, .O = 3, .KH = 3, .KW = 3, .stride = 1, .pad = 0}, // no padding
    {.B = 2, .C = 2, .H = 5, .W = 6, .O = 3, .KH = 2, .KW = 3, .stride = 3, .pad = 2}, // KH != KW, wide pad
    {.B = 4, .C = 2, .H = 1, .W = 1, .O = 3, .KH = 3, .KW = 3, .stride = 1, .pad = 1}, // a 1x1 map (a ResNet's last stage)
    {.B = 4, .C = 2, .H = 2, .W = 2, .O = 3, .KH = 3, .KW = 3, .stride = 2, .pad = 1}, // 2x2 -> 1x1
};
#define CONV_NSMALL ((int)(sizeof conv_small / sizeof conv_small[0]))

static double conv_obj(void *u) {
    conv_case *c = u;
    ws_backend_of(&ctx)->conv2d_forward(&ctx, c->out, c->x, c->w, c->use_bias ? c->b : NULL, &c->s, c->ws);
    double sum = 0;
    for (int64_t i = 0; i < c->nout; i++) sum += (double)c->r[i] * c->out[i];
    return sum;
}

// _i: shape _i / 2, bias if _i odd.
START_TEST(conv_forward_matches_naive) {
    conv_case c;
    conv_init(&c, conv_small[_i / 2], _i % 2, 1);
    fset(c.out, c.nout, NAN); // must be overwritten
    conv_obj(&c);
    int64_t K = (int64_t)c.s.C * c.s.KH * c.s.KW + 1;
    check_bound("out", c.out, c.ref_out, c.ref_out_abs, c.nout, K, ctx.threads);
    conv_free(&c);
}
END_TEST

START_TEST(conv_gradients) {
    conv_case c;
    conv_init(&c, conv_small[_i / 2], _i % 2, 2);
    float *din = fnew(c.nx), *dw = fnew(c.nw), *db = fnew(c.s.O);
    fset(din, c.nx, NAN), fset(dw, c.nw, 0), fset(db, c.s.O, 0);
    ws_backend_of(&ctx)->conv2d_backward(&ctx, din, dw, c.use_bias ? db : NULL, c.r, c.x, c.w, &c.s, c.ws);
    ck_assert_double_lt(fd_error(c.x, din, c.nx, conv_obj, &c, 1e-2f), 1e-3);
    ck_assert_double_lt(fd_error(c.w, dw, c.nw, conv_obj, &c, 1e-2f), 1e-3);
    if (c.use_bias) ck_assert_double_lt(fd_error(c.b, db, c.s.O, conv_obj, &c, 1e-2f), 1e-3);
    else
        for (int o = 0; o < c.s.O; o++) ck_assert_float_eq(db[o], 0.0f); // db NULL: untouched
    // And against the naive loops.
    int64_t OHW = (int64_t)c.s.OH * c.s.OW, B = c.s.B;
    check_bound("din", din, c.ref_din, c.ref_din_abs, c.nx, (int64_t)c.s.O * c.s.KH * c.s.KW, ctx.threads);
    check_bound("dw", dw, c.ref_dw, c.ref_dw_abs, c.nw, B * OHW, ctx.threads);
    if (c.use_bias) check_bound("db", db, c.ref_db, c.ref_db_abs, c.s.O, B * OHW, ctx.threads);
    free(din), free(dw), free(db);
    conv_free(&c);
}
END_TEST

START_TEST(conv_backward_accumulates) {
    conv_case c;
    conv_init(&c, conv_small[_i], 1, 3);
    ws_rng r = ws_rng_stream(3, "test-conv-acc", (uint64_t)_i);
    float *din1 = fnew(c.nx), *dw1 = fnew(c.nw), *db1 = fnew(c.s.O);
    float *din2 = fnew(c.nx), *dw2 = fnew(c.nw), *db2 = fnew(c.s.O), *dw0 = fnew(c.nw), *db0 = fnew(c.s.O);
    fset(dw1, c.nw, 0), fset(db1, c.s.O, 0);
    ws_backend_of(&ctx)->conv2d_backward(&ctx, din1, dw1, db1, c.r, c.x, c.w, &c.s, c.ws);
    fill(dw0, c.nw, &r, 1), fill(db0, c.s.O, &r, 1);
    memcpy(dw2, dw0, sizeof(float) * (size_t)c.nw), memcpy(db2, db0, sizeof(float) * (size_t)c.s.O);
    fill(din2, c.nx, &r, 1e3f); // garbage: din is overwritten, not accumulated
    ws_backend_of(&ctx)->conv2d_backward(&ctx, din2, dw2, db2, c.r, c.x, c.w, &c.s, c.ws);
    ws_backend_of(&ctx)->conv2d_backward(&ctx, din2, dw2, db2, c.r, c.x, c.w, &c.s, c.ws);
    for (int64_t i = 0; i < c.nw; i++) ck_assert_float_eq_tol(dw2[i], dw0[i] + 2 * dw1[i], 1e-5);
    for (int i = 0; i < c.s.O; i++) ck_assert_float_eq_tol(db2[i], db0[i] + 2 * db1[i], 1e-5);
    ck_assert(!memcmp(din1, din2, sizeof(float) * (size_t)c.nx));
    // Without din (a first layer) dw is the same gradient.
    fset(dw2, c.nw, 0);
    ws_backend_of(&ctx)->conv2d_backward(&ctx, NULL, dw2, NULL, c.r, c.x, c.w, &c.s, c.ws);
    for (int64_t i = 0; i < c.nw; i++) ck_assert_float_eq_tol(dw2[i], dw1[i], 1e-5);
    free(din1), free(dw1), free(db1), free(din2), free(dw2), free(db2), free(dw0), free(db0);
    conv_free(&c);
}
END_TEST

START_TEST(conv_fd_checker_catches_wrong_gradient) {
    // Negative controls: a weight gradient off by 1% of its largest entry in
    // one place fails; so does an input gradient that misses one kernel tap
    // (a col2im off by one position).
    conv_case c;
    conv_init(&c, conv_small[1], 1, 4);
    float *din = fnew(c.nx), *dw = fnew(c.nw), *db = fnew(c.s.O);
    fset(dw, c.nw, 0), fset(db, c.s.O, 0);
    ws_backend_of(&ctx)->conv2d_backward(&ctx, din, dw, db, c.r, c.x, c.w, &c.s, c.ws);
    float mx = 0;
    for (int64_t i = 0; i < c.nw; i++) mx = fmaxf(mx, fabsf(dw[i]));
    dw[5] += 0.01f * mx;
    ck_assert_double_gt(fd_error(c.w, dw, c.nw, conv_obj, &c, 1e-2f), 1e-3);
    // din from the naive loops without the taps kh = kw = 0 of channel 0
    const ws_conv_shape *s = &c.s;
    for (int b = 0; b < s->B; b++)
        for (int o = 0; o < s->O; o++)
            for (int oh = 0; oh < s->OH; oh++)
                for (int ow = 0; ow < s->OW; ow++) {
                    int ih = oh * s->stride - s->pad, iw = ow * s->stride - s->pad;
                    if (ih < 0 || iw < 0) continue;
                    din[IDX4(b, 0, ih, iw, s->C, s->H, s->W)] -=
                        c.r[IDX4(b, o, oh, ow, s->O, s->OH, s->OW)] * c.w[IDX4(o, 0, 0, 0, s->C, s->KH, s->KW)];
                }
    ck_assert_double_gt(fd_error(c.x, din, c.nx, conv_obj, &c, 1e-2f), 1e-3);
    free(din), free(dw), free(db);
    conv_free(&c);
}
END_TEST

// ---- conv2d: larger shapes, every thread split, reproducibility -----------------

static const ws_conv_shape conv_big[] = {
    {.B = 8, .C = 16, .H = 16, .W = 16, .O = 16, .KH = 3, .KW = 3, .stride = 1, .pad = 1}, // split positions
    {.B = 5, .C = 16, .H = 15, .W = 13, .O = 24, .KH = 3, .KW = 3, .stride = 2, .pad = 1}, // odd sizes
    {.B = 4, .C = 32, .H = 4, .W = 4, .O = 64, .KH = 3, .KW = 3, .stride = 1, .pad = 1},   // split channels
    {.B = 4, .C = 32, .H = 4, .W = 4, .O = 64, .KH = 1, .KW = 1, .stride = 1, .pad = 0},   // direct, split channels
    {.B = 6, .C = 16, .H = 9, .W = 8, .O = 32, .KH = 1, .KW = 1, .stride = 2, .pad = 0},   // strided shortcut
    {.B = 4, .C = 40, .H = 12, .W = 12, .O = 8, .KH = 1, .KW = 1, .stride = 1, .pad = 0},  // direct, split positions
    {.B = 3, .C = 3, .H = 32, .W = 32, .O = 16, .KH = 3, .KW = 3, .stride = 1, .pad = 1},  // an RGB stem
};
#define CONV_NBIG ((int)(sizeof conv_big / sizeof conv_big[0]))

static void conv_run(conv_case *c, ws_ctx *cx, float *out, float *din, float *dw, float *db, int with_din) {
    fset(out, c->nout, NAN);
    if (c->ws) fset(c->ws, c->nws, NAN); // nothing may be read from it before it is written
    ws_backend_of(cx)->conv2d_forward(cx, out, c->x, c->w, c->b, &c->s, c->ws);
    fset(din, c->nx, NAN), fset(dw, c->nw, 0), fset(db, c->s.O, 0);
    ws_backend_of(cx)->conv2d_backward(cx, with_din ? din : NULL, dw, db, c->r, c->x, c->w, &c->s, c->ws);
}

START_TEST(conv_threads_match_naive) {
    conv_case c;
    conv_init(&c, conv_big[_i], 1, 5);
    const ws_conv_shape *s = &c.s;
    float *out = fnew(c.nout), *din = fnew(c.nx), *dw = fnew(c.nw), *db = fnew(s->O);
    float *out2 = fnew(c.nout), *din2 = fnew(c.nx), *dw2 = fnew(c.nw), *db2 = fnew(s->O);
    int64_t OHW = (int64_t)s->OH * s->OW;
    for (int T = 1; T <= 3; T++) {
        ws_ctx cx;
        ws_ctx_init(&cx, T);
        cx.backend = ws_backend_cpu(); // this suite tests the reference backend
        conv_run(&c, &cx, out, din, dw, db, 1);
        check_bound("out", out, c.ref_out, c.ref_out_abs, c.nout, (int64_t)s->C * s->KH * s->KW + 1, T);
        check_bound("din", din, c.ref_din, c.ref_din_abs, c.nx, (int64_t)s->O * s->KH * s->KW, T);
        check_bound("dw", dw, c.ref_dw, c.ref_dw_abs, c.nw, s->B * OHW, T);
        check_bound("db", db, c.ref_db, c.ref_db_abs, s->O, s->B * OHW, T);
        conv_run(&c, &cx, out2, din2, dw2, db2, 1);
        ck_assert_msg(!memcmp(out, out2, sizeof(float) * (size_t)c.nout), "forward not reproducible, %d threads", T);
        ck_assert_msg(!memcmp(din, din2, sizeof(float) * (size_t)c.nx), "din not reproducible, %d threads", T);
        ck_assert_msg(!memcmp(dw, dw2, sizeof(float) * (size_t)c.nw), "dw not reproducible, %d threads", T);
        ck_assert_msg(!memcmp(db, db2, sizeof(float) * (size_t)s->O), "db not reproducible, %d threads", T);
        // No din (another split of the work): the same weight gradient, din untouched.
        conv_run(&c, &cx, out2, din2, dw2, db2, 0);
        check_bound("dw (no din)", dw2, c.ref_dw, c.ref_dw_abs, c.nw, s->B * OHW, T);
        int64_t written = 0;
        for (int64_t i = 0; i < c.nx; i++) written += !isnan(din2[i]);
        ck_assert_msg(written == 0, "din written although NULL (%lld entries)", (long long)written);
    }
    ws_ctx_init(&ctx, 2);
    ctx.backend = ws_backend_cpu(); // ws_ctx_init set the process-wide OpenMP count (OpenBLAS follows it)
    free(out), free(din), free(dw), free(db), free(out2), free(din2), free(dw2), free(db2);
    conv_free(&c);
}
END_TEST

// ---- BatchNorm2d --------------------------------------------------------------------

static const float bn_eps = 1e-5f, bn_mom = 0.1f;
enum { BN_MAXN = 64, BN_MAXC = 4 };

// Geometries (B, C, HW): a small map, and one value per image (a ResNet's
// last stage on a small input), where the statistics of few values dominate.
static const int bn_geom[][3] = {{3, 4, 5}, {4, 3, 1}};
#define BN_NGEOM ((int)(sizeof bn_geom / sizeof bn_geom[0]))

typedef struct {
    int B, C, HW, n;
    float x[BN_MAXN], gamma[BN_MAXC], beta[BN_MAXC], r[BN_MAXN], out[BN_MAXN];
    float mean[BN_MAXC], invstd[BN_MAXC], rmean[BN_MAXC], rvar[BN_MAXC];
} bn_case;

// Channel c's values have mean about 2c - 3 and spread about 0.5 + c/2.
static void bn_init(bn_case *c, uint64_t seed, int geom) {
    c->B = bn_geom[geom][0], c->C = bn_geom[geom][1], c->HW = bn_geom[geom][2];
    c->n = c->B * c->C * c->HW;
    ck_assert_int_le(c->n, BN_MAXN);
    ws_rng r = ws_rng_stream(seed, "test-bn", (uint64_t)geom);
    for (int b = 0; b < c->B; b++)
        for (int ch = 0; ch < c->C; ch++)
            for (int i = 0; i < c->HW; i++)
                c->x[(b * c->C + ch) * c->HW + i] =
                    (float)(2 * ch - 3) + (0.5f + 0.5f * ch) * (2 * ws_rng_uniform(&r) - 1);
    for (int ch = 0; ch < c->C; ch++)
        c->gamma[ch] = 0.5f + ws_rng_uniform(&r), c->beta[ch] = 2 * ws_rng_uniform(&r) - 1;
    fill(c->r, c->n, &r, 1);
    fset(c->rmean, c->C, 0), fset(c->rvar, c->C, 1); // PyTorch's initial running statistics
}

// Mean and biased / unbiased variance of channel ch of x (laid out as c's), in double.
static void bn_stats(const bn_case *c, const float *x, int ch, double *mean, double *var, double *uvar) {
    const int N = c->B * c->HW;
    double s = 0, ss = 0;
    for (int b = 0; b < c->B; b++)
        for (int i = 0; i < c->HW; i++) s += x[(b * c->C + ch) * c->HW + i];
    *mean = s / N;
    for (int b = 0; b < c->B; b++)
        for (int i = 0; i < c->HW; i++) {
            double d = x[(b * c->C + ch) * c->HW + i] - *mean;
            ss += d * d;
        }
    *var = ss / N;
    *uvar = ss / (N - 1);
}

static double bn_obj(void *u) {
    bn_case *c = u; // the whole training forward: every output depends on the whole batch
    ws_backend_of(&ctx)->batchnorm_forward_train(&ctx, c->out, c->mean, c->invstd, c->rmean, c->rvar, c->x, c->gamma, c->beta,
                                         c->B, c->C, c->HW, bn_mom, bn_eps);
    double s = 0;
    for (int i = 0; i < c->n; i++) s += (double)c->r[i] * c->out[i];
    return s;
}

START_TEST(bn_train_forward_values) {
    bn_case c;
    bn_init(&c, 1, _i);
    float g1[BN_MAXC], b0[BN_MAXC];
    fset(g1, c.C, 1), fset(b0, c.C, 0);
    ws_backend_of(&ctx)->batchnorm_forward_train(&ctx, c.out, c.mean, c.invstd, c.rmean, c.rvar, c.x, g1, b0, c.B, c.C, c.HW,
                                         bn_mom, bn_eps);
    for (int ch = 0; ch < c.C; ch++) { // normalised: mean 0, biased variance 1 (less eps's share)
        double mean, var, uvar, om, ov, ou;
        bn_stats(&c, c.x, ch, &mean, &var, &uvar);
        bn_stats(&c, c.out, ch, &om, &ov, &ou);
        ck_assert_double_eq_tol(om, 0.0, 1e-6);
        ck_assert_double_eq_tol(ov, var / (var + bn_eps), 1e-5);
        ck_assert_double_eq_tol(c.mean[ch], mean, 1e-6 * (1 + fabs(mean)));
        ck_assert_double_eq_tol(c.invstd[ch], 1 / sqrt(var + bn_eps), 1e-6 / sqrt(var));
    }
    bn_obj(&c); // with the affine transform
    for (int b = 0; b < c.B; b++)
        for (int ch = 0; ch < c.C; ch++) {
            double mean, var, uvar;
            bn_stats(&c, c.x, ch, &mean, &var, &uvar);
            for (int i = 0; i < c.HW; i++) {
                int k = (b * c.C + ch) * c.HW + i;
                double want = (c.x[k] - mean) / sqrt(var + bn_eps) * c.gamma[ch] + c.beta[ch];
                ck_assert_double_eq_tol(c.out[k], want, 1e-5);
            }
        }
}
END_TEST

START_TEST(bn_running_stats) {
    bn_case c, c2;
    bn_init(&c, 1, _i);
    bn_init(&c2, 2, _i);
    bn_obj(&c);
    memcpy(c2.rmean, c.rmean, sizeof c.rmean), memcpy(c2.rvar, c.rvar, sizeof c.rvar);
    bn_obj(&c2); // a second step with another batch
    for (int ch = 0; ch < c.C; ch++) {
        double m1, v1, u1, m2, v2, u2;
        bn_stats(&c, c.x, ch, &m1, &v1, &u1);
        bn_stats(&c2, c2.x, ch, &m2, &v2, &u2);
        double rm = 0.9 * (0.9 * 0 + 0.1 * m1) + 0.1 * m2;
        double rv = 0.9 * (0.9 * 1 + 0.1 * u1) + 0.1 * u2; // UNBIASED variances
        ck_assert_double_eq_tol(c2.rmean[ch], rm, 1e-6 * (1 + fabs(rm)));
        ck_assert_double_eq_tol(c2.rvar[ch], rv, 1e-6 * (1 + rv));
        // With the biased variances the result would be off by far more than the tolerance.
        ck_assert_double_gt(fabs(rv - (0.9 * (0.9 + 0.1 * v1) + 0.1 * v2)), 100 * 1e-6 * (1 + rv));
    }
    // NULL running statistics (track_running_stats=False): not written, same output.
    float out2[BN_MAXN];
    ws_backend_of(&ctx)->batchnorm_forward_train(&ctx, out2, NULL, NULL, NULL, NULL, c2.x, c2.gamma, c2.beta, c.B, c.C, c.HW,
                                         bn_mom, bn_eps);
    ck_assert(!memcmp(out2, c2.out, sizeof(float) * (size_t)c.n));
}
END_TEST

START_TEST(bn_eval_forward_values) {
    bn_case c;
    bn_init(&c, 3, _i);
    ws_rng r = ws_rng_stream(3, "test-bn-eval", 0);
    for (int ch = 0; ch < c.C; ch++)
        c.rmean[ch] = 2 * ws_rng_uniform(&r) - 1, c.rvar[ch] = 0.1f + 2 * ws_rng_uniform(&r);
    fset(c.out, c.n, NAN);
    ws_backend_of(&ctx)->batchnorm_forward_eval(&ctx, c.out, c.x, c.gamma, c.beta, c.rmean, c.rvar, c.B, c.C, c.HW, bn_eps);
    for (int b = 0; b < c.B; b++)
        for (int ch = 0; ch < c.C; ch++)
            for (int i = 0; i < c.HW; i++) {
                int k = (b * c.C + ch) * c.HW + i;
                double want = ((double)c.x[k] - c.rmean[ch]) / sqrt((double)c.rvar[ch] + bn_eps) * c.gamma[ch] +
                              c.beta[ch];
                ck_assert_double_eq_tol(c.out[k], want, 1e-5 * (1 + fabs(want)));
            }
    // In place.
    float y[BN_MAXN];
    memcpy(y, c.x, sizeof y);
    ws_backend_of(&ctx)->batchnorm_forward_eval(&ctx, y, y, c.gamma, c.beta, c.rmean, c.rvar, c.B, c.C, c.HW, bn_eps);
    ck_assert(!memcmp(y, c.out, sizeof(float) * (size_t)c.n));
}
END_TEST

// _i = geometry * 2 + control. control 0: the analytic gradients; control 1:
// a wrong din (the per-element term alone, gamma invstd dout, as if mean and
// variance were constants) must fail the same check.
START_TEST(bn_gradients) {
    bn_case c;
    bn_init(&c, 4, _i / 2);
    bn_obj(&c);
    float din[BN_MAXN], dgamma[BN_MAXC], dbeta[BN_MAXC];
    fset(din, c.n, NAN), fset(dgamma, c.C, 0), fset(dbeta, c.C, 0);
    ws_backend_of(&ctx)->batchnorm_backward(&ctx, din, dgamma, dbeta, c.r, c.x, c.mean, c.invstd, c.gamma, c.B, c.C, c.HW);
    if (_i % 2) {
        for (int b = 0; b < c.B; b++)
            for (int ch = 0; ch < c.C; ch++)
                for (int i = 0; i < c.HW; i++) {
                    int k = (b * c.C + ch) * c.HW + i;
                    din[k] = c.gamma[ch] * c.invstd[ch] * c.r[k];
                }
        ck_assert_double_gt(fd_error(c.x, din, c.n, bn_obj, &c, 1e-3f), 5e-2);
        return;
    }
    ck_assert_double_lt(fd_error(c.x, din, c.n, bn_obj, &c, 1e-3f), 3e-3);
    ck_assert_double_lt(fd_error(c.gamma, dgamma, c.C, bn_obj, &c, 1e-2f), 1e-3);
    ck_assert_double_lt(fd_error(c.beta, dbeta, c.C, bn_obj, &c, 1e-2f), 1e-3);
    // dgamma, dbeta accumulate; din is overwritten.
    float din2[BN_MAXN], dgamma2[BN_MAXC], dbeta2[BN_MAXC];
    fset(din2, c.n, 1e3f), fset(dgamma2, c.C, 1), fset(dbeta2, c.C, -1);
    ws_backend_of(&ctx)->batchnorm_backward(&ctx, din2, dgamma2, dbeta2, c.r, c.x, c.mean, c.invstd, c.gamma, c.B, c.C, c.HW);
    ck_assert(!memcmp(din, din2, sizeof(float) * (size_t)c.n));
    for (int ch = 0; ch < c.C; ch++) {
        ck_assert_float_eq_tol(dgamma2[ch], 1 + dgamma[ch], 1e-6);
        ck_assert_float_eq_tol(dbeta2[ch], -1 + dbeta[ch], 1e-6);
    }
    // din NULL: only the parameter gradients.
    fset(dgamma2, c.C, 0), fset(dbeta2, c.C, 0);
    ws_backend_of(&ctx)->batchnorm_backward(&ctx, NULL, dgamma2, dbeta2, c.r, c.x, c.mean, c.invstd, c.gamma, c.B, c.C, c.HW);
    ck_assert(!memcmp(dgamma, dgamma2, sizeof(float) * (size_t)c.C));
    ck_assert(!memcmp(dbeta, dbeta2, sizeof(float) * (size_t)c.C));
}
END_TEST

// ---- global average pooling, add ---------------------------------------------------

enum { PB = 3, PC = 4, PHW = 6 };
typedef struct {
    float x[PB * PC * PHW], r[PB * PC], out[PB * PC];
} pool_case;

static double pool_obj(void *u) {
    pool_case *c = u;
    ws_backend_of(&ctx)->avgpool_forward(&ctx, c->out, c->x, PB, PC, PHW);
    double s = 0;
    for (int i = 0; i < PB * PC; i++) s += (double)c->r[i] * c->out[i];
    return s;
}

START_TEST(avgpool_values_and_gradient) {
    pool_case c;
    ws_rng r = ws_rng_stream(5, "test-avgpool", 0);
    fill(c.x, PB * PC * PHW, &r, 1), fill(c.r, PB * PC, &r, 1);
    pool_obj(&c);
    for (int p = 0; p < PB * PC; p++) {
        double s = 0;
        for (int i = 0; i < PHW; i++) s += c.x[p * PHW + i];
        ck_assert_double_eq_tol(c.out[p], s / PHW, 1e-6);
    }
    float din[PB * PC * PHW];
    fset(din, PB * PC * PHW, NAN);
    ws_backend_of(&ctx)->avgpool_backward(&ctx, din, c.r, PB, PC, PHW);
    ck_assert_double_lt(fd_error(c.x, din, PB * PC * PHW, pool_obj, &c, 1e-2f), 1e-3);
    din[7] *= 1.02f; // negative control
    ck_assert_double_gt(fd_error(c.x, din, PB * PC * PHW, pool_obj, &c, 1e-2f), 1e-3);
}
END_TEST

START_TEST(add_values) {
    enum { N = 37 };
    float a[N], b[N], out[N];
    ws_rng r = ws_rng_stream(6, "test-add", 0);
    fill(a, N, &r, 1), fill(b, N, &r, 1);
    ws_backend_of(&ctx)->add_forward(&ctx, out, a, b, N);
    for (int i = 0; i < N; i++) ck_assert_float_eq(out[i], a[i] + b[i]);
    ws_backend_of(&ctx)->add_forward(&ctx, a, a, b, N); // out aliases a
    ck_assert(!memcmp(a, out, sizeof out));
    fill(a, N, &r, 1);
    for (int i = 0; i < N; i++) out[i] = a[i] + b[i];
    ws_backend_of(&ctx)->add_forward(&ctx, b, a, b, N); // out aliases b
    ck_assert(!memcmp(b, out, sizeof out));
}
END_TEST

// BatchNorm, pooling and add on sizes large enough to run threaded: the same
// bits at 1, 2 and 3 threads (each channel or plane is reduced on one thread).
START_TEST(norm_pool_add_threads_bitwise) {
    enum { B = 8, C = 16, HW = 256, NR = 10 };
    const int64_t n = (int64_t)B * C * HW;
    ws_rng r = ws_rng_stream(8, "test-bn-threads", 0);
    float *x = fnew(n), *dy = fnew(n), *g = fnew(C), *be = fnew(C);
    fill(x, n, &r, 3), fill(dy, n, &r, 1), fill(g, C, &r, 1), fill(be, C, &r, 1);
    // out, mean, invstd, running mean, running var, din, dgamma, dbeta, eval out + din, pooled, pool din
    const int64_t sizes[NR + 1] = {n, C, C, C, C, n, C, C, n, (int64_t)B * C, n};
    float *res[3][NR + 1];
    for (int T = 1; T <= 3; T++) {
        ws_ctx cx;
        ws_ctx_init(&cx, T);
        cx.backend = ws_backend_cpu(); // this suite tests the reference backend
        float **q = res[T - 1];
        for (int k = 0; k <= NR; k++) q[k] = fnew(sizes[k]);
        fset(q[3], C, 0), fset(q[4], C, 1), fset(q[6], C, 0), fset(q[7], C, 0);
        ws_backend_of(&cx)->batchnorm_forward_train(&cx, q[0], q[1], q[2], q[3], q[4], x, g, be, B, C, HW, bn_mom, bn_eps);
        ws_backend_of(&cx)->batchnorm_backward(&cx, q[5], q[6], q[7], dy, x, q[1], q[2], g, B, C, HW);
        ws_backend_of(&cx)->batchnorm_forward_eval(&cx, q[8], x, g, be, q[3], q[4], B, C, HW, bn_eps);
        ws_backend_of(&cx)->add_forward(&cx, q[8], q[8], q[5], n);
        ws_backend_of(&cx)->avgpool_forward(&cx, q[9], q[0], B, C, HW);
        ws_backend_of(&cx)->avgpool_backward(&cx, q[10], q[9], B, C, HW);
    }
    for (int T = 2; T <= 3; T++)
        for (int k = 0; k <= NR; k++)
            ck_assert_msg(!memcmp(res[0][k], res[T - 1][k], sizeof(float) * (size_t)sizes[k]),
                          "result %d differs between 1 and %d threads", k, T);
    for (int T = 0; T < 3; T++)
        for (int k = 0; k <= NR; k++) free(res[T][k]);
    free(x), free(dy), free(g), free(be);
    ws_ctx_init(&ctx, 2);
}
END_TEST

Suite *conv_ops_suite(void) {
    Suite *s = suite_create("conv_ops");
    TCase *t = tcase_create("cpu");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_set_timeout(t, 120); // the naive references and finite differences, under sanitizers too
    tcase_add_test(t, conv_shape_resolve);
    tcase_add_loop_test(t, conv_forward_matches_naive, 0, 2 * CONV_NSMALL);
    tcase_add_loop_test(t, conv_gradients, 0, 2 * CONV_NSMALL);
    tcase_add_loop_test(t, conv_backward_accumulates, 0, CONV_NSMALL);
    tcase_add_test(t, conv_fd_checker_catches_wrong_gradient);
    tcase_add_loop_test(t, conv_threads_match_naive, 0, CONV_NBIG);
    tcase_add_loop_test(t, bn_train_forward_values, 0, BN_NGEOM);
    tcase_add_loop_test(t, bn_running_stats, 0, BN_NGEOM);
    tcase_add_loop_test(t, bn_eval_forward_values, 0, BN_NGEOM);
    tcase_add_loop_test(t, bn_gradients, 0, 2 * BN_NGEOM);
    tcase_add_test(t, avgpool_values_and_gradient);
    tcase_add_test(t, add_values);
    tcase_add_test(t, norm_pool_add_threads_bitwise);
    suite_add_tcase(s, t);
    return s;
}
