// --precision bf16 (ws_ctx.precision) for Linear: the rounding itself, the CPU check and
// its refusal, the reference backend's oracle (inputs rounded to bf16, then the fp32
// kernel), the vectorised conversions and packings against the scalar definition, the
// oneDNN backend's AVX512_BF16 kernels (cpu_bf16.c) against that oracle on sizes that hit
// the kernels' edges, and finite differences at the bf16 tolerance; each with a negative control.
//
// Tolerances. A product of two bf16 values (8 significant bits each) is exact in fp32,
// so the oracle and the bf16 kernels differ only in the order of the fp32 sums: each entry is held
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

// ---- the vectorised conversions and packings against the scalar definition ----

// Edge cases of ws_bf16_of: ties (to even, both ways), just past halfway, NaNs (quiet,
// signalling, one whose truncation would read as infinity, negative), infinities, zeros,
// denormals (smallest, largest, ones rounding up to the smallest normal), the largest
// finite float, values about bf16's largest finite (down to it; a tie that goes to infinity).
static const uint32_t EDGES[] = {
    0x3f808000u, 0x3f818000u, 0x3f808001u, 0xbf818000u, 0x3f807fffu, 0x7fc00000u, 0x7f800001u, 0xff800001u,
    0x7fa00000u, 0xffc12345u, 0x7f800000u, 0xff800000u, 0x00000000u, 0x80000000u, 0x00000001u, 0x007fffffu,
    0x807fffffu, 0x007f8000u, 0x00018000u, 0x00008000u, 0x00017fffu, 0x7f7fffffu, 0xff7fffffu, 0x7f7f7fffu,
    0x7f7f8000u, 0x7f7e8000u, 0x3f800000u, 0x40490fdbu, 0x3dcccccdu, 0x00800000u, 0x00808000u, 0x01018000u,
};
#define NEDGES ((int)(sizeof EDGES / sizeof *EDGES))
enum { NCONV = 1000 };

static float f32_bits(uint32_t u) {
    union { uint32_t u; float f; } v = {u};
    return v.f;
}

// NCONV floats: the edges at the start, again at an odd offset, the rest random bits.
static void conv_values(float *x) {
    uint64_t s = 0x9e3779b97f4a7c15ull;
    for (int i = 0; i < NCONV; i++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        x[i] = f32_bits((uint32_t)(s >> 32));
    }
    for (int i = 0; i < NEDGES; i++) x[i] = x[NCONV / 2 + 7 + i] = f32_bits(EDGES[i]);
}

typedef void (*conv_fn)(uint16_t *dst, const float *src, int64_t n);

// The first i < n where conv's answer differs from ws_bf16_of, or where it wrote past n; -1 if none.
static int64_t conv_mismatch(conv_fn conv, const float *x, int64_t n) {
    uint16_t got[NCONV + 40];
    for (int i = 0; i < NCONV + 40; i++) got[i] = 0xdead;
    conv(got, x, n);
    for (int64_t i = 0; i < n; i++)
        if (got[i] != ws_bf16_of(x[i])) return i;
    for (int64_t i = n; i < NCONV + 40; i++)
        if (got[i] != 0xdead) return i;
    return -1;
}

// Negative controls: a truncation (no rounding) and the AVX512_BF16 instruction's answer
// (denormal inputs to a signed zero) each differ from the definition on the edges.
static void conv_truncate(uint16_t *dst, const float *src, int64_t n) {
    for (int64_t i = 0; i < n; i++) {
        union { float f; uint32_t u; } v = {src[i]};
        dst[i] = (uint16_t)(v.u >> 16);
    }
}

static void conv_flush_denormals(uint16_t *dst, const float *src, int64_t n) {
    for (int64_t i = 0; i < n; i++) {
        union { float f; uint32_t u; } v = {src[i]};
        dst[i] = (v.u & 0x7f800000u) == 0 ? (uint16_t)(v.u >> 16 & 0x8000u) : ws_bf16_of(src[i]);
    }
}

START_TEST(bf16_vector_conversion) {
    float x[NCONV], y[NCONV + 16];
    conv_values(x);
    static const int64_t lengths[] = {0, 1, 15, 16, 17, 31, 32, 33, 63, 100, NCONV};
    for (size_t k = 0; k < sizeof lengths / sizeof *lengths; k++) {
        int64_t n = lengths[k];
        for (int64_t off = 0; off < 3 && off + n <= NCONV; off++) // unaligned starts too
            ck_assert_msg(conv_mismatch(ws_bf16_from_f32, x + off, n) < 0, "n %lld off %lld: element %lld",
                          (long long)n, (long long)off, (long long)conv_mismatch(ws_bf16_from_f32, x + off, n));
        for (int i = 0; i < NCONV + 16; i++) y[i] = 7.0f;
        ws_bf16_round(y, x, n);
        for (int64_t i = 0; i < n; i++) {
            union { float f; uint32_t u; } g = {y[i]};
            ck_assert_uint_eq(g.u, (uint32_t)ws_bf16_of(x[i]) << 16);
        }
        ck_assert_float_eq(y[n], 7.0f); // nothing written past n
    }
    ck_assert_int_eq(conv_mismatch(conv_truncate, x, NCONV), 1);        // the tie 0x3f818000 goes up to even
    ck_assert_int_eq(conv_mismatch(conv_flush_denormals, x, NCONV), 15); // 0x007fffff rounds up to 0x0080
}
END_TEST

// The three packings (ops/bf16.h) against their definitions from ws_bf16_of, on shapes with
// odd and even sides below, at and past a vector; only the requested range is written.
static uint32_t pair_def(const float *x, int64_t i0, int have1, int64_t i1) {
    return ws_bf16_of(x[i0]) | (uint32_t)(have1 ? ws_bf16_of(x[i1]) : 0) << 16;
}

START_TEST(bf16_packings) {
    static const int sides[][2] = {{1, 1}, {2, 3}, {5, 16}, {16, 17}, {17, 31}, {33, 32}, {31, 65}, {40, 100}};
    float x[NCONV * 4];
    conv_values(x), conv_values(x + NCONV), conv_values(x + 2 * NCONV), conv_values(x + 3 * NCONV);
    for (int64_t i = NCONV; i < 4 * NCONV; i++) x[i] = x[i] * 0.5f + (float)(i % 7); // not the same block four times
    uint32_t got[4 * NCONV];
    for (size_t k = 0; k < sizeof sides / sizeof *sides; k++) {
        int R = sides[k][0], C = sides[k][1], PC = (C + 1) / 2, PR = (R + 1) / 2;
        ck_assert_int_le(R * C, 4 * NCONV);
        int r0 = R / 3, r1 = R - R / 4; // a middle range of the outer dimension
        // rows: dst[r * PC + p] = (x[r][2p], x[r][2p+1])
        memset(got, 0xab, sizeof got);
        ws_bf16_pack_rows(got, x, r0, r1, C);
        for (int r = 0; r < R; r++)
            for (int p = 0; p < PC; p++) {
                uint32_t want = r >= r0 && r < r1 ? pair_def(x, (int64_t)r * C + 2 * p, 2 * p + 1 < C, (int64_t)r * C + 2 * p + 1)
                                                  : 0xababababu;
                ck_assert_msg(got[r * PC + p] == want, "rows %dx%d: [%d][%d]", R, C, r, p);
            }
        // pairs of rows of x (R, C): dst[p * C + n] = (x[2p][n], x[2p+1][n]), p in [p0, p1)
        int p0 = PR / 3, p1 = PR - PR / 4;
        memset(got, 0xab, sizeof got);
        ws_bf16_pack_pairs_of_rows(got, x, R, C, p0, p1);
        for (int p = 0; p < PR; p++)
            for (int n = 0; n < C; n++) {
                uint32_t want = p >= p0 && p < p1 ? pair_def(x, (int64_t)2 * p * C + n, 2 * p + 1 < R, (int64_t)(2 * p + 1) * C + n)
                                                  : 0xababababu;
                ck_assert_msg(got[p * C + n] == want, "pairs of rows %dx%d: [%d][%d]", R, C, p, n);
            }
        // pairs of columns of x (R, C): dst[p * R + n] = (x[n][2p], x[n][2p+1]), n in [r0, r1)
        memset(got, 0xab, sizeof got);
        ws_bf16_pack_pairs_of_cols(got, x, R, C, r0, r1);
        for (int p = 0; p < PC; p++)
            for (int n = 0; n < R; n++) {
                uint32_t want = n >= r0 && n < r1 ? pair_def(x, (int64_t)n * C + 2 * p, 2 * p + 1 < C, (int64_t)n * C + 2 * p + 1)
                                                  : 0xababababu;
                ck_assert_msg(got[p * R + n] == want, "pairs of cols %dx%d: [%d][%d]", R, C, p, n);
            }
    }
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

// ---- Linear: the oneDNN backend's bf16 kernels and the reference's oracle ----

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
    if (!ws_cpu_has_bf16()) return; // the bf16 kernels need the instructions (refusal tested above)
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

// The oneDNN backend's bf16 kernels (cpu_bf16.c) give the same bits on 1 and 2 threads: no
// sum is split between threads (sizes big enough to run in parallel, both splits of the forward).
START_TEST(linear_bf16_threads_same_bits) {
    if (!ws_bf16_linear_available()) return;
    static const size3 big[] = {{128, 3072, 100}, {130, 100, 10}, {9, 200, 70}, {64, 784, 97}};
    lin c;
    lin_make(&c, big[_i]);
    lin_result one = lin_run(&c, "onednn", "bf16", 1), two = lin_run(&c, "onednn", "bf16", 2);
    ck_assert_mem_eq(one.out, two.out, sizeof(float) * (size_t)c.B * c.Out);
    ck_assert_mem_eq(one.dw, two.dw, sizeof(float) * (size_t)c.Out * c.In);
    ck_assert_mem_eq(one.din, two.din, sizeof(float) * (size_t)c.B * c.In);
    lin_result_free(&one), lin_result_free(&two);
    lin_free(&c);
}
END_TEST

// Documented (docs/PRECISION.md): vdpbf16ps counts a bf16 denormal input (|x| < 2^-126) as
// zero, where the oracle multiplies it; a denormal times 2^100 shows the difference.
START_TEST(linear_bf16_denormal_inputs) {
    if (!ws_bf16_linear_available()) return;
    float x[2] = {ldexpf(1, -130), 1.0f}, w[2] = {ldexpf(1, 100), 0.0f}, out[2];
    ws_ctx ctx;
    ws_ctx_init(&ctx, 1);
    ck_assert_int_eq(ws_ctx_set_precision(&ctx, "bf16"), WS_OK);
    ck_assert_int_eq(ws_ctx_set_backend(&ctx, "onednn"), WS_OK);
    ws_backend_of(&ctx)->linear_forward(&ctx, &out[0], x, w, NULL, 1, 2, 1);
    ck_assert_int_eq(ws_ctx_set_backend(&ctx, "reference"), WS_OK);
    ws_backend_of(&ctx)->linear_forward(&ctx, &out[1], x, w, NULL, 1, 2, 1);
    ck_assert_float_eq(out[0], 0.0f);
    ck_assert_float_eq(out[1], ldexpf(1, -30));
    ws_ctx_release(&ctx);
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

// ---- convolutions: oneDNN's bf16 primitives and the reference's oracle ----

typedef struct {
    ws_conv_shape s;
    int bias;
} conv_geom;

// The layouts the oneDNN backend meets in ResNet-18 and Kumar et al.'s CNN.
static const conv_geom CONVS[] = {
    {{.B = 2, .C = 16, .H = 9, .W = 9, .O = 16, .KH = 3, .KW = 3, .stride = 1, .pad = 1}, 0},  // blocked 3x3
    {{.B = 3, .C = 16, .H = 9, .W = 8, .O = 32, .KH = 3, .KW = 3, .stride = 2, .pad = 1}, 1},  // blocked, strided, bias
    {{.B = 2, .C = 16, .H = 8, .W = 8, .O = 32, .KH = 1, .KW = 1, .stride = 2, .pad = 0}, 0},  // 1x1 shortcut
    {{.B = 2, .C = 3, .H = 10, .W = 10, .O = 16, .KH = 3, .KW = 3, .stride = 1, .pad = 1, .input_nchw = 1}, 0}, // stem
    {{.B = 2, .C = 16, .H = 7, .W = 7, .O = 32, .KH = 3, .KW = 3, .stride = 1, .pad = 1, .plain = 1}, 1}, // the CNN's
    {{.B = 2, .C = 8, .H = 8, .W = 8, .O = 16, .KH = 3, .KW = 3, .stride = 2, .pad = 1}, 0},   // plain -> blocked
    {{.B = 2, .C = 32, .H = 6, .W = 6, .O = 8, .KH = 3, .KW = 3, .stride = 1, .pad = 1}, 1},   // blocked -> plain
    {{.B = 16, .C = 32, .H = 8, .W = 8, .O = 32, .KH = 3, .KW = 3, .stride = 1, .pad = 1}, 0}, // a batch to share out
};
#define NCONVS ((int)(sizeof CONVS / sizeof *CONVS))

#define I4(a, b, c, d, B_, C_, D_) ((((int64_t)(a) * (B_) + (b)) * (C_) + (c)) * (D_) + (d))

// out, dw (from dw0), din in double from x, w, dout (NCHW, OIHW), with each entry's sum of |terms|.
static void conv_naive(const ws_conv_shape *s, const float *x, const float *w, const float *b, const float *dout,
                       const float *dw0, naive *n) {
    int64_t nx = (int64_t)s->B * s->C * s->H * s->W, nw = (int64_t)s->O * s->C * s->KH * s->KW;
    int64_t ny = (int64_t)s->B * s->O * s->OH * s->OW;
    n->out = calloc((size_t)ny, sizeof(double)), n->aout = calloc((size_t)ny, sizeof(double));
    n->dw = calloc((size_t)nw, sizeof(double)), n->adw = calloc((size_t)nw, sizeof(double));
    n->din = calloc((size_t)nx, sizeof(double)), n->adin = calloc((size_t)nx, sizeof(double));
    for (int64_t i = 0; i < nw; i++) n->dw[i] = dw0[i], n->adw[i] = fabs(dw0[i]);
    for (int bi = 0; bi < s->B; bi++)
        for (int o = 0; o < s->O; o++)
            for (int oh = 0; oh < s->OH; oh++)
                for (int ow = 0; ow < s->OW; ow++) {
                    int64_t yi = I4(bi, o, oh, ow, s->O, s->OH, s->OW);
                    double acc = b ? b[o] : 0.0, abs = fabs(acc), g = dout[yi];
                    for (int c = 0; c < s->C; c++)
                        for (int kh = 0; kh < s->KH; kh++)
                            for (int kw = 0; kw < s->KW; kw++) {
                                int ih = oh * s->stride - s->pad + kh, iw = ow * s->stride - s->pad + kw;
                                if (ih < 0 || ih >= s->H || iw < 0 || iw >= s->W) continue;
                                int64_t xi = I4(bi, c, ih, iw, s->C, s->H, s->W), wi = I4(o, c, kh, kw, s->C, s->KH, s->KW);
                                double t = (double)x[xi] * w[wi];
                                acc += t, abs += fabs(t);
                                n->dw[wi] += g * x[xi], n->adw[wi] += fabs(g * x[xi]);
                                n->din[xi] += g * w[wi], n->adin[xi] += fabs(g * w[wi]);
                            }
                    n->out[yi] = acc, n->aout[yi] = abs;
                }
}

typedef struct { float *out, *dw, *db, *din; } conv_result;

// One forward and one backward on `backend` in `precision`, inputs and results in NCHW.
static conv_result conv_run(const ws_conv_shape *s, const float *x, const float *w, const float *b, const float *dout,
                            const float *dw0, const char *backend, const char *precision, int threads) {
    ws_ctx ctx;
    ws_ctx_init(&ctx, threads);
    ck_assert_int_eq(ws_ctx_set_backend(&ctx, backend), WS_OK);
    ck_assert_int_eq(ws_ctx_set_precision_on(&ctx, precision, 1), WS_OK);
    const ws_backend *be = ws_backend_of(&ctx);
    int HWi = s->H * s->W, HWo = s->OH * s->OW;
    int64_t nx = (int64_t)s->B * s->C * HWi, ny = (int64_t)s->B * s->O * HWo, nw = (int64_t)s->O * s->C * s->KH * s->KW;
    int in_native = !s->input_nchw && !s->plain, out_native = !s->plain; // in the backend's layout
    float *xl = malloc(sizeof(float) * (size_t)nx), *dyl = malloc(sizeof(float) * (size_t)ny);
    float *yl = malloc(sizeof(float) * (size_t)ny), *dxl = malloc(sizeof(float) * (size_t)nx);
    int64_t nws = be->conv2d_workspace(s);
    float *ws = malloc(sizeof(float) * (size_t)(nws > 0 ? nws : 1));
    if (in_native) be->act_from_nchw(&ctx, xl, x, s->B, s->C, HWi);
    else memcpy(xl, x, sizeof(float) * (size_t)nx);
    if (out_native) be->act_from_nchw(&ctx, dyl, dout, s->B, s->O, HWo);
    else memcpy(dyl, dout, sizeof(float) * (size_t)ny);
    conv_result r = {malloc(sizeof(float) * (size_t)ny), malloc(sizeof(float) * (size_t)nw),
                     calloc((size_t)s->O, sizeof(float)), malloc(sizeof(float) * (size_t)nx)};
    memcpy(r.dw, dw0, sizeof(float) * (size_t)nw);
    be->conv2d_forward(&ctx, yl, xl, w, b, s, ws);
    be->conv2d_backward(&ctx, s->input_nchw ? NULL : dxl, r.dw, b ? r.db : NULL, dyl, xl, w, s, ws);
    ck_assert_msg(!ctx.fault, "%s %s: %s", backend, precision, ctx.err);
    if (out_native) be->act_to_nchw(&ctx, r.out, yl, s->B, s->O, HWo);
    else memcpy(r.out, yl, sizeof(float) * (size_t)ny);
    if (s->input_nchw) memset(r.din, 0, sizeof(float) * (size_t)nx);
    else if (in_native) be->act_to_nchw(&ctx, r.din, dxl, s->B, s->C, HWi);
    else memcpy(r.din, dxl, sizeof(float) * (size_t)nx);
    free(xl), free(dyl), free(yl), free(dxl), free(ws);
    ws_ctx_release(&ctx);
    return r;
}

static void conv_result_free(conv_result *r) { free(r->out), free(r->dw), free(r->db), free(r->din); }

// Both backends' bf16 convolutions against the double sums of the rounded inputs, within
// (K + 2) 2^-24 sum|terms| (K the most terms an entry has); the bias gradient the fp32 sum of
// the unrounded dout, the same bits on both backends and as fp32; fp32 must miss the bound.
START_TEST(conv_bf16_matches_the_oracle) {
    if (!ws_cpu_has_bf16()) return;
    conv_geom g = CONVS[_i % NCONVS];
    int threads = _i < NCONVS ? 1 : 2;
    ws_conv_shape s = g.s;
    ck_assert_int_eq(ws_conv_shape_resolve(&s), 0);
    int64_t nx = (int64_t)s.B * s.C * s.H * s.W, ny = (int64_t)s.B * s.O * s.OH * s.OW;
    int64_t nw = (int64_t)s.O * s.C * s.KH * s.KW, bad = -1;
    ws_rng r = ws_rng_stream(9, "test-bf16-conv", (uint64_t)_i);
    float *x = randu(nx, &r), *w = randu(nw, &r), *b = g.bias ? randu(s.O, &r) : NULL, *dy = randu(ny, &r);
    float *dw0 = randu(nw, &r);
    float *rx = rounded(x, nx), *rw = rounded(w, nw), *rdy = rounded(dy, ny);
    naive n;
    conv_naive(&s, rx, rw, b, rdy, dw0, &n);
    int Kout = s.C * s.KH * s.KW, Kdw = s.B * s.OH * s.OW + 1, Kdin = s.O * s.KH * s.KW;
    const char *backends[2] = {"reference", "onednn"};
    conv_result got[2];
    for (int k = 0; k < 2; k++) {
        got[k] = conv_run(&s, x, w, b, dy, dw0, backends[k], "bf16", threads);
        ck_assert_msg(within(got[k].out, n.out, n.aout, ny, Kout, &bad), "%s out[%lld]", backends[k], (long long)bad);
        ck_assert_msg(within(got[k].dw, n.dw, n.adw, nw, Kdw, &bad), "%s dw[%lld]", backends[k], (long long)bad);
        if (!s.input_nchw)
            ck_assert_msg(within(got[k].din, n.din, n.adin, nx, Kdin, &bad), "%s din[%lld]", backends[k], (long long)bad);
    }
    conv_result f32 = conv_run(&s, x, w, b, dy, dw0, "reference", "fp32", threads);
    if (b) {
        ck_assert_mem_eq(got[0].db, got[1].db, sizeof(float) * (size_t)s.O);
        ck_assert_mem_eq(f32.db, got[1].db, sizeof(float) * (size_t)s.O); // the bias gradient stays fp32
    }
    int misses = !within(f32.out, n.out, n.aout, ny, Kout, &bad) + !within(f32.dw, n.dw, n.adw, nw, Kdw, &bad) +
                 (!s.input_nchw && !within(f32.din, n.din, n.adin, nx, Kdin, &bad));
    ck_assert_int_eq(misses, s.input_nchw ? 2 : 3);
    // Repeatable to the bit at a given thread count.
    conv_result again = conv_run(&s, x, w, b, dy, dw0, "onednn", "bf16", threads);
    ck_assert_mem_eq(again.out, got[1].out, sizeof(float) * (size_t)ny);
    ck_assert_mem_eq(again.dw, got[1].dw, sizeof(float) * (size_t)nw);
    ck_assert_mem_eq(again.din, got[1].din, sizeof(float) * (size_t)nx);
    conv_result_free(&again), conv_result_free(&f32), conv_result_free(&got[0]), conv_result_free(&got[1]);
    naive_free(&n);
    free(x), free(w), free(b), free(dy), free(dw0), free(rx), free(rw), free(rdy);
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
    tcase_add_test(t, bf16_vector_conversion);
    tcase_add_test(t, bf16_packings);
    tcase_add_test(t, precision_names_and_refusal);
    tcase_add_loop_test(t, linear_bf16_matches_the_oracle, 0, 2 * NSIZES);
    tcase_add_loop_test(t, linear_bf16_threads_same_bits, 0, 4);
    tcase_add_test(t, linear_bf16_denormal_inputs);
    tcase_add_test(t, linear_bf16_first_layer);
    tcase_add_loop_test(t, conv_bf16_matches_the_oracle, 0, 2 * NCONVS);
    tcase_add_loop_test(t, linear_bf16_finite_differences, 0, 2);
    suite_add_tcase(s, t);
    return s;
}
