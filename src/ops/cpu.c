// Reference CPU backend: the matrix products of Linear layers, ReLU, tanh and
// the fused softmax cross-entropy.
//
// Products. On CPUs with AVX-512F the three products of a Linear layer run on
// two small kernels below (no packing, register-tiled, FMA), which on the
// skinny shapes of an MLP step (a batch of ~128 rows) reach ~90-95% of the
// FMA peak where OpenBLAS gets 70-90%; elsewhere OpenBLAS's sgemm computes
// them. Either way the math is the plain sum of products.
//
// Threads. With ctx->threads > 1 each op opens one OpenMP parallel region and
// gives every thread a fixed, contiguous block of the OUTPUT (rows of the batch
// for the forward, input-feature columns of dw and din for the backward),
// computed single-threaded (OpenBLAS runs serially inside a parallel region).
// No sum is ever split across threads: every output element is computed by
// the same code in the same order whatever the thread count, so results are
// bitwise-reproducible (with the AVX-512 kernels, even across thread counts).
#include <cblas.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "core/ctx.h"
#include "ops/backend.h"
#include "ops/bf16.h"
#include "ops/cpu_threads.h"
#include "ops/cpu.h"
#include "ops/cpu_conv.h"

// Below this many multiply-adds a product is not worth a parallel region.
#define PAR_MIN_FMA (64 * 1024)
// Below this many elements an elementwise pass stays on one thread.
#define PAR_MIN_ELEMS (16 * 1024)


// ---------------------------------------------------------------------------
// AVX-512 kernel for C = A B^T with A (M,K) and B (N,K) both rows of K floats
// (a Linear forward: in @ w^T). No packing: a 6x4 tile of C keeps 24 vector
// accumulators, each the 16-lane partial dot product of one A row and one B
// row, reduced once at the end of a K block. On the long, thin products of an
// MLP step this runs at about 90-95% of the FMA peak, where OpenBLAS (which
// packs both operands) gets 70-90%. Used when the CPU has AVX-512F; elsewhere
// OpenBLAS computes the same product.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#include <immintrin.h>

#define NT_MR 6
#define NT_NR 4

#define WS_AVX512 __attribute__((target("avx512f")))

// Tile (mr <= NT_MR, nr <= NT_NR): c[i][j] = s(i,j) [+ c[i][j] if accumulate]
// [+ bias[j] if bias], s(i,j) = sum over k < K of a[i][k] b[j][k].
static inline __attribute__((always_inline)) WS_AVX512 void nt_tile(float *c, int ldc, const float *a, int lda,
                                                                     const float *b, int ldb, int K, int mr, int nr,
                                                                     const float *bias, int accumulate) {
    __m512 acc[NT_MR][NT_NR];
    #pragma GCC unroll 8
    for (int i = 0; i < mr; i++)
        #pragma GCC unroll 8
        for (int j = 0; j < nr; j++) acc[i][j] = _mm512_setzero_ps();
    int k = 0;
    for (; k + 16 <= K; k += 16) {
        __m512 bv[NT_NR];
        #pragma GCC unroll 8
        for (int j = 0; j < nr; j++) bv[j] = _mm512_loadu_ps(b + (int64_t)j * ldb + k);
        #pragma GCC unroll 8
        for (int i = 0; i < mr; i++) {
            __m512 av = _mm512_loadu_ps(a + (int64_t)i * lda + k);
            #pragma GCC unroll 8
            for (int j = 0; j < nr; j++) acc[i][j] = _mm512_fmadd_ps(av, bv[j], acc[i][j]);
        }
    }
    if (k < K) { // the last K % 16 columns; masked-off lanes load as zero
        __mmask16 m = (__mmask16)((1u << (K - k)) - 1u);
        __m512 bv[NT_NR];
        #pragma GCC unroll 8
        for (int j = 0; j < nr; j++) bv[j] = _mm512_maskz_loadu_ps(m, b + (int64_t)j * ldb + k);
        #pragma GCC unroll 8
        for (int i = 0; i < mr; i++) {
            __m512 av = _mm512_maskz_loadu_ps(m, a + (int64_t)i * lda + k);
            #pragma GCC unroll 8
            for (int j = 0; j < nr; j++) acc[i][j] = _mm512_fmadd_ps(av, bv[j], acc[i][j]);
        }
    }
    #pragma GCC unroll 8
    for (int i = 0; i < mr; i++)
        #pragma GCC unroll 8
        for (int j = 0; j < nr; j++) {
            float s = _mm512_reduce_add_ps(acc[i][j]);
            float *cij = c + (int64_t)i * ldc + j;
            if (accumulate) s = *cij + s;
            if (bias) s = s + bias[j];
            *cij = s;
        }
}

typedef void (*nt_tile_fn)(float *, int, const float *, int, const float *, int, int, const float *, int);
#define NT_TILE(MR, NR)                                                                                        \
    WS_AVX512 static void nt_tile_##MR##_##NR(float *c, int ldc, const float *a, int lda, const float *b, int ldb, \
                                              int K, const float *bias, int acc) {                               \
        nt_tile(c, ldc, a, lda, b, ldb, K, MR, NR, bias, acc);                                                   \
    }
#define NT_TILE_ROW(MR) NT_TILE(MR, 1) NT_TILE(MR, 2) NT_TILE(MR, 3) NT_TILE(MR, 4)
NT_TILE_ROW(1) NT_TILE_ROW(2) NT_TILE_ROW(3) NT_TILE_ROW(4) NT_TILE_ROW(5) NT_TILE_ROW(6)
#define NT_TILE_ENTRY(MR) {nt_tile_##MR##_1, nt_tile_##MR##_2, nt_tile_##MR##_3, nt_tile_##MR##_4}
static const nt_tile_fn nt_tiles[NT_MR][NT_NR] = {NT_TILE_ENTRY(1), NT_TILE_ENTRY(2), NT_TILE_ENTRY(3),
                                                  NT_TILE_ENTRY(4), NT_TILE_ENTRY(5), NT_TILE_ENTRY(6)};

// C (M,N) [+]= A (M,K) @ B (N,K)^T [+ bias (N)], single-threaded. A K beyond
// 4096 is cut into blocks of at most 2048 (so that a tile's rows stay in L1/L2
// while B streams); later blocks accumulate onto the first. Every element of C
// is computed the same way whichever tile holds it: a split of M or N across
// threads does not change a bit.
static void nt_gemm_avx512(int M, int N, int K, const float *A, int lda, const float *B, int ldb, float *C, int ldc,
                           const float *bias, int accumulate) {
    int nblk = K <= 4096 ? 1 : (K + 2047) / 2048;
    int kc = nblk == 1 ? K : ((K + nblk - 1) / nblk + 15) / 16 * 16;
    int k0 = 0;
    do {
        int kb = K - k0 < kc ? K - k0 : kc;
        int first = k0 == 0;
        for (int i0 = 0; i0 < M; i0 += NT_MR) {
            int mr = M - i0 < NT_MR ? M - i0 : NT_MR;
            for (int j0 = 0; j0 < N; j0 += NT_NR) {
                int nr = N - j0 < NT_NR ? N - j0 : NT_NR;
                nt_tiles[mr - 1][nr - 1](C + (int64_t)i0 * ldc + j0, ldc, A + (int64_t)i0 * lda + k0, lda,
                                         B + (int64_t)j0 * ldb + k0, ldb, kb, first && bias ? bias + j0 : NULL,
                                         accumulate || !first);
            }
        }
        k0 += kb;
    } while (k0 < K);
}

// AVX-512 kernel for C [+]= A @ B with B (K,N) rows of N floats and A (M,K)
// read with any strides (A(i,k) = a[i*ars + k*aks]: a plain matrix for the
// input gradient dout @ w, a transposed one for the weight gradient dout^T @
// in). A 4 x 96 tile of C is 24 vector accumulators; each k broadcasts 4
// elements of A against 6 vectors of B's row k. The sum over k runs in order,
// one FMA per k, and is then added to C (or stored): OpenBLAS's order for the
// weight gradient, whose results it reproduces bit for bit on this machine.
#define BC_MR 4
#define BC_NV 6

static inline __attribute__((always_inline)) WS_AVX512 void bc_tile(float *c, int ldc, const float *a, int64_t ars,
                                                                     int64_t aks, const float *b, int ldb, int K,
                                                                     int mr, int nv, __mmask16 last, int accumulate) {
    __m512 acc[BC_MR][BC_NV];
    #pragma GCC unroll 8
    for (int i = 0; i < mr; i++)
        #pragma GCC unroll 8
        for (int j = 0; j < nv; j++) acc[i][j] = _mm512_setzero_ps();
    for (int k = 0; k < K; k++) {
        const float *bk = b + (int64_t)k * ldb;
        __m512 bv[BC_NV];
        #pragma GCC unroll 8
        for (int j = 0; j < nv; j++)
            bv[j] = j == nv - 1 ? _mm512_maskz_loadu_ps(last, bk + 16 * j) : _mm512_loadu_ps(bk + 16 * j);
        #pragma GCC unroll 8
        for (int i = 0; i < mr; i++) {
            __m512 av = _mm512_set1_ps(a[i * ars + k * aks]);
            #pragma GCC unroll 8
            for (int j = 0; j < nv; j++) acc[i][j] = _mm512_fmadd_ps(av, bv[j], acc[i][j]);
        }
    }
    #pragma GCC unroll 8
    for (int i = 0; i < mr; i++)
        #pragma GCC unroll 8
        for (int j = 0; j < nv; j++) {
            float *p = c + (int64_t)i * ldc + 16 * j;
            __mmask16 m = j == nv - 1 ? last : (__mmask16)0xffff;
            __m512 v = acc[i][j];
            if (accumulate) v = _mm512_add_ps(_mm512_maskz_loadu_ps(m, p), v);
            _mm512_mask_storeu_ps(p, m, v);
        }
}

typedef void (*bc_tile_fn)(float *, int, const float *, int64_t, int64_t, const float *, int, int, __mmask16, int);
#define BC_TILE(MR, NV)                                                                                          \
    WS_AVX512 static void bc_tile_##MR##_##NV(float *c, int ldc, const float *a, int64_t ars, int64_t aks,        \
                                              const float *b, int ldb, int K, __mmask16 last, int acc) {         \
        bc_tile(c, ldc, a, ars, aks, b, ldb, K, MR, NV, last, acc);                                                \
    }
#define BC_TILE_ROW(MR) BC_TILE(MR, 1) BC_TILE(MR, 2) BC_TILE(MR, 3) BC_TILE(MR, 4) BC_TILE(MR, 5) BC_TILE(MR, 6)
BC_TILE_ROW(1) BC_TILE_ROW(2) BC_TILE_ROW(3) BC_TILE_ROW(4)
#define BC_TILE_ENTRY(MR) \
    {bc_tile_##MR##_1, bc_tile_##MR##_2, bc_tile_##MR##_3, bc_tile_##MR##_4, bc_tile_##MR##_5, bc_tile_##MR##_6}
static const bc_tile_fn bc_tiles[BC_MR][BC_NV] = {BC_TILE_ENTRY(1), BC_TILE_ENTRY(2), BC_TILE_ENTRY(3),
                                                  BC_TILE_ENTRY(4)};

// C (M,N) [+]= A (M,K) @ B (K,N), single-threaded; A(i,k) = A[i*ars + k*aks].
static void bc_gemm_avx512(int M, int N, int K, const float *A, int64_t ars, int64_t aks, const float *B, int ldb,
                           float *C, int ldc, int accumulate) {
    for (int c0 = 0; c0 < N; c0 += 16 * BC_NV) {
        int n = N - c0 < 16 * BC_NV ? N - c0 : 16 * BC_NV;
        int nv = (n + 15) / 16, tail = n - 16 * (nv - 1);
        __mmask16 last = (__mmask16)(tail == 16 ? 0xffffu : (1u << tail) - 1u);
        for (int i0 = 0; i0 < M; i0 += BC_MR) {
            int mr = M - i0 < BC_MR ? M - i0 : BC_MR;
            bc_tiles[mr - 1][nv - 1](C + (int64_t)i0 * ldc + c0, ldc, A + i0 * ars, ars, aks, B + c0, ldb, K, last,
                                     accumulate);
        }
    }
}

static int have_avx512(void) { return __builtin_cpu_supports("avx512f"); }
#else
static int have_avx512(void) { return 0; }
static void nt_gemm_avx512(int M, int N, int K, const float *A, int lda, const float *B, int ldb, float *C, int ldc,
                           const float *bias, int accumulate) {
    (void)M; (void)N; (void)K; (void)A; (void)lda; (void)B; (void)ldb; (void)C; (void)ldc; (void)bias;
    (void)accumulate;
    __builtin_unreachable(); // gemm_nt calls it only when have_avx512(), which is 0 in this build
}
static void bc_gemm_avx512(int M, int N, int K, const float *A, int64_t ars, int64_t aks, const float *B, int ldb,
                           float *C, int ldc, int accumulate) {
    (void)M; (void)N; (void)K; (void)A; (void)ars; (void)aks; (void)B; (void)ldb; (void)C; (void)ldc;
    (void)accumulate;
    __builtin_unreachable(); // called only when have_avx512(), which is 0 in this build
}
#endif

// C (M,N) = A (M,K) @ B (N,K)^T + bias (N, or NULL), or C += A @ B^T with
// accumulate (then bias must be NULL); single-threaded.
static void gemm_nt(int M, int N, int K, const float *A, int lda, const float *B, int ldb, float *C, int ldc,
                    const float *bias, int accumulate) {
    if (M <= 0 || N <= 0) return;
    if (have_avx512()) {
        nt_gemm_avx512(M, N, K, A, lda, B, ldb, C, ldc, bias, accumulate);
        return;
    }
    float beta = accumulate ? 1.0f : 0.0f;
    if (bias) {
        for (int r = 0; r < M; r++) memcpy(C + (int64_t)r * ldc, bias, sizeof(float) * (size_t)N);
        beta = 1.0f;
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, M, N, K, 1.0f, A, lda, B, ldb, beta, C, ldc);
}

// C (M,N) += A^T @ B with A (K,M), B (K,N) row-major; single-threaded.
static void gemm_tn_acc(int M, int N, int K, const float *A, int lda, const float *B, int ldb, float *C, int ldc) {
    if (M <= 0 || N <= 0) return;
    if (have_avx512()) bc_gemm_avx512(M, N, K, A, 1, lda, B, ldb, C, ldc, 1);
    else cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, M, N, K, 1.0f, A, lda, B, ldb, 1.0f, C, ldc);
}

// C (M,N) = A @ B with A (M,K), B (K,N) row-major; single-threaded.
static void gemm_nn(int M, int N, int K, const float *A, int lda, const float *B, int ldb, float *C, int ldc) {
    if (M <= 0 || N <= 0) return;
    if (have_avx512()) bc_gemm_avx512(M, N, K, A, lda, 1, B, ldb, C, ldc, 0);
    else cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, N, K, 1.0f, A, lda, B, ldb, 0.0f, C, ldc);
}

// out[r0..r1, lo..hi) = in[r0..r1] @ w[lo..hi]^T + b[lo..hi), single-threaded.
static void linear_forward_block(float *out, const float *in, const float *w, const float *b, int r0, int r1,
                                 int lo, int hi, int In, int Out) {
    gemm_nt(r1 - r0, hi - lo, In, in + (int64_t)r0 * In, In, w + (int64_t)lo * In, In, out + (int64_t)r0 * Out + lo,
            Out, b ? b + lo : NULL, 0);
}

static void linear_forward_f32(ws_ctx *ctx, float *out, const float *in, const float *w, const float *b,
                               int B, int In, int Out) {
    int T = threads_of(ctx);
    if (T == 1 || (int64_t)B * In * Out < PAR_MIN_FMA) {
        linear_forward_block(out, in, w, b, 0, B, 0, Out, In, Out);
        return;
    }
    // Each thread computes a block of rows of the batch (all of w, its rows of
    // in), or, for a batch too small to share, a block of output features.
    int split_batch = B >= 8 * T;
    #pragma omp parallel num_threads(T)
    {
        int t = omp_get_thread_num(), nt = omp_get_num_threads(), lo, hi;
        if (split_batch) {
            block_of(B, nt, t, 1, &lo, &hi);
            linear_forward_block(out, in, w, b, lo, hi, 0, Out, In, Out);
        } else {
            block_of(Out, nt, t, 16, &lo, &hi);
            linear_forward_block(out, in, w, b, 0, B, lo, hi, In, Out);
        }
    }
}

// Columns [lo, hi) of the input features: dw[:, lo:hi] += dout^T @ in[:, lo:hi]
// and din[:, lo:hi] = dout @ w[:, lo:hi].
static void linear_backward_cols(float *din, float *dw, const float *dout, const float *in, const float *w, int lo,
                                 int hi, int B, int In, int Out) {
    int cols = hi - lo;
    if (cols <= 0) return;
    gemm_tn_acc(Out, cols, B, dout, Out, in + lo, In, dw + lo, In);
    if (din) gemm_nn(B, cols, Out, dout, Out, w + lo, In, din + lo, In);
}

// db[lo:hi] += sum over the batch of dout[:, lo:hi], rows in order.
static void bias_grad_block(float *db, const float *dout, int lo, int hi, int B, int Out) {
    for (int r = 0; r < B; r++) {
        const float *d = dout + (int64_t)r * Out;
        for (int o = lo; o < hi; o++) db[o] += d[o];
    }
}

static void linear_backward_f32(ws_ctx *ctx, float *din, float *dw, float *db, const float *dout,
                                const float *in, const float *w, int B, int In, int Out) {
    int T = threads_of(ctx);
    if (T == 1 || (int64_t)B * In * Out < PAR_MIN_FMA) {
        linear_backward_cols(din, dw, dout, in, w, 0, In, B, In, Out);
        if (db) bias_grad_block(db, dout, 0, Out, B, Out);
        return;
    }
    // Every thread owns a block of input-feature columns of dw and din (the
    // products' inner dimensions, B and Out, are never split), and a block of
    // the bias gradient.
    #pragma omp parallel num_threads(T)
    {
        int t = omp_get_thread_num(), nt = omp_get_num_threads(), lo, hi;
        block_of(In, nt, t, 16, &lo, &hi);
        linear_backward_cols(din, dw, dout, in, w, lo, hi, B, In, Out);
        if (db) {
            block_of(Out, nt, t, 16, &lo, &hi);
            bias_grad_block(db, dout, lo, hi, B, Out);
        }
    }
}

// ---- bf16 (ctx->precision): the oracle rounds the products' inputs, then runs the fp32 kernel ----

// Copies of n0 and n1 floats rounded to bf16, in one allocation (*buf, freed by the caller);
// 0 (ctx->fault set) when out of memory.
static int bf16_copies(ws_ctx *ctx, float **buf, const float *a, int64_t n0, float **ra, const float *b, int64_t n1,
                       float **rb) {
    *buf = ws_alloc(ctx, (size_t)(n0 + n1) * sizeof(float));
    if (!*buf) {
        if (!ctx->fault) ctx->fault = WS_ERR_NOMEM;
        return 0;
    }
    *ra = *buf, *rb = *buf + n0;
    ws_bf16_round(*ra, a, n0);
    ws_bf16_round(*rb, b, n1);
    return 1;
}

void ws_cpu_linear_forward(ws_ctx *ctx, float *out, const float *in, const float *w, const float *b, int B, int In,
                           int Out) {
    if (ctx->precision != WS_PREC_BF16) {
        linear_forward_f32(ctx, out, in, w, b, B, In, Out);
        return;
    }
    float *buf, *rin, *rw;
    if (!bf16_copies(ctx, &buf, in, (int64_t)B * In, &rin, w, (int64_t)Out * In, &rw)) return;
    linear_forward_f32(ctx, out, rin, rw, b, B, In, Out);
    ws_free(buf);
}

// dw and din from the rounded dout, in and w; db from the fp32 dout (a reduction stays fp32).
void ws_cpu_linear_backward(ws_ctx *ctx, float *din, float *dw, float *db, const float *dout, const float *in,
                            const float *w, int B, int In, int Out) {
    if (ctx->precision != WS_PREC_BF16) {
        linear_backward_f32(ctx, din, dw, db, dout, in, w, B, In, Out);
        return;
    }
    float *buf, *rdout, *rin, *buf2 = NULL, *rw = NULL, *unused;
    if (!bf16_copies(ctx, &buf, dout, (int64_t)B * Out, &rdout, in, (int64_t)B * In, &rin)) return;
    if (din && !bf16_copies(ctx, &buf2, w, (int64_t)Out * In, &rw, w, 0, &unused)) {
        ws_free(buf);
        return;
    }
    linear_backward_f32(ctx, din, dw, NULL, rdout, rin, din ? rw : w, B, In, Out);
    if (db) bias_grad_block(db, dout, 0, Out, B, Out);
    ws_free(buf);
    ws_free(buf2);
}

void ws_cpu_relu_forward(ws_ctx *ctx, float *out, const float *in, int64_t n) {
    int T = n < PAR_MIN_ELEMS ? 1 : threads_of(ctx);
    #pragma omp parallel for simd schedule(static) num_threads(T) if (parallel : T > 1)
    for (int64_t i = 0; i < n; i++) out[i] = in[i] < 0.0f ? 0.0f : in[i]; // NaN propagates, as torch.relu
}

void ws_cpu_relu_backward(ws_ctx *ctx, float *din, const float *dout, const float *out, int64_t n) {
    int T = n < PAR_MIN_ELEMS ? 1 : threads_of(ctx);
    #pragma omp parallel for simd schedule(static) num_threads(T) if (parallel : T > 1)
    for (int64_t i = 0; i < n; i++) {
        float d = dout[i]; // loaded unconditionally, so that the select vectorises
        din[i] = out[i] > 0.0f ? d : 0.0f;
    }
}

// tanh: libm's tanhf, element by element (the same bits whatever the thread
// count); the backward reads the forward's output, 1 - tanh^2, as PyTorch's.
void ws_cpu_tanh_forward(ws_ctx *ctx, float *out, const float *in, int64_t n) {
    int T = n < PAR_MIN_ELEMS ? 1 : threads_of(ctx);
    #pragma omp parallel for schedule(static) num_threads(T) if (parallel : T > 1)
    for (int64_t i = 0; i < n; i++) out[i] = tanhf(in[i]); // NaN propagates, as torch.tanh
}

void ws_cpu_tanh_backward(ws_ctx *ctx, float *din, const float *dout, const float *out, int64_t n) {
    int T = n < PAR_MIN_ELEMS ? 1 : threads_of(ctx);
    #pragma omp parallel for simd schedule(static) num_threads(T) if (parallel : T > 1)
    for (int64_t i = 0; i < n; i++) {
        float y = out[i];
        din[i] = dout[i] * (1.0f - y * y);
    }
}

static void softmax_ce_row(float *p, float *loss, uint8_t *correct, const float *z, int y, int C) {
    int arg = 0;
    float mx = z[0];
    for (int c = 1; c < C; c++)
        if (z[c] > mx) { mx = z[c]; arg = c; }
    // Sum in double: the loss of a confident model is a small difference.
    double sum = 0.0;
    for (int c = 0; c < C; c++) sum += exp((double)z[c] - (double)mx);
    double logsum = log(sum);
    for (int c = 0; c < C; c++) p[c] = (float)exp((double)z[c] - (double)mx - logsum);
    *loss = (float)(logsum - ((double)z[y] - (double)mx));
    *correct = (uint8_t)(arg == y);
}

void ws_cpu_softmax_ce_forward(ws_ctx *ctx, float *probs, float *losses, uint8_t *correct,
                                   const float *logits, const int32_t *labels, int B, int C) {
    // Rows are independent: any split gives the same bits.
    int T = (int64_t)B * C < 1024 ? 1 : threads_of(ctx);
    #pragma omp parallel for schedule(static) num_threads(T) if (parallel : T > 1)
    for (int r = 0; r < B; r++)
        softmax_ce_row(probs + (int64_t)r * C, &losses[r], &correct[r], logits + (int64_t)r * C, labels[r], C);
}

void ws_cpu_softmax_ce_backward(ws_ctx *ctx, float *dlogits, const float *probs, const int32_t *labels,
                                    float scale, int B, int C) {
    (void)ctx;
    for (int r = 0; r < B; r++) {
        const float *p = probs + (int64_t)r * C;
        float *d = dlogits + (int64_t)r * C;
        for (int c = 0; c < C; c++) d[c] = p[c] * scale;
        d[labels[r]] -= scale;
    }
}

static const ws_backend cpu_backend = {
    .name = "reference",
    .blocked_channels = 0,
    .linear_forward = ws_cpu_linear_forward,
    .linear_backward = ws_cpu_linear_backward,
    .relu_forward = ws_cpu_relu_forward,
    .relu_backward = ws_cpu_relu_backward,
    .tanh_forward = ws_cpu_tanh_forward,
    .tanh_backward = ws_cpu_tanh_backward,
    .softmax_ce_forward = ws_cpu_softmax_ce_forward,
    .softmax_ce_backward = ws_cpu_softmax_ce_backward,
    .layernorm_forward = ws_cpu_layernorm_forward,
    .layernorm_backward = ws_cpu_layernorm_backward,
    .crelu_forward = ws_cpu_crelu_forward,
    .crelu_backward = ws_cpu_crelu_backward,
    // convolutional networks: cpu_conv.c
    .conv2d_workspace = ws_cpu_conv2d_workspace,
    .conv2d_forward = ws_cpu_conv2d_forward,
    .conv2d_backward = ws_cpu_conv2d_backward,
    .batchnorm_forward_train = ws_cpu_batchnorm_forward_train,
    .batchnorm_forward_eval = ws_cpu_batchnorm_forward_eval,
    .batchnorm_backward = ws_cpu_batchnorm_backward,
    .avgpool_forward = ws_cpu_avgpool_forward,
    .avgpool_backward = ws_cpu_avgpool_backward,
    .maxpool2_forward = ws_cpu_maxpool2_forward,
    .maxpool2_backward = ws_cpu_maxpool2_backward,
    .add_forward = ws_cpu_add_forward,
    .bn_act_forward_train = ws_cpu_bn_act_forward_train,
    .bn_act_forward_eval = ws_cpu_bn_act_forward_eval,
    .bn_act_backward = ws_cpu_bn_act_backward,
    .act_to_nchw = ws_cpu_act_copy,
    .act_from_nchw = ws_cpu_act_copy,
};

const ws_backend *ws_backend_cpu(void) { return &cpu_backend; }

// ---- LayerNorm over the last N floats of each row, and CReLU ----
//
// LayerNorm (torch.nn.LayerNorm(N), elementwise affine): each row's mean and
// biased variance in double, on one thread per row (the same bits at any
// thread count); the parameter gradients sum the rows in row order on one thread.

void ws_cpu_layernorm_forward(ws_ctx *ctx, float *out, float *save_mean, float *save_invstd, const float *in,
                              const float *gamma, const float *beta, int B, int N, float eps) {
    int T = (int64_t)B * N < PAR_MIN_ELEMS ? 1 : threads_of(ctx);
    #pragma omp parallel for schedule(static) num_threads(T) if (parallel : T > 1)
    for (int b = 0; b < B; b++) {
        const float *x = in + (int64_t)b * N;
        float *y = out + (int64_t)b * N;
        double s = 0.0, ss = 0.0;
        for (int i = 0; i < N; i++) s += x[i];
        const double mean = s / N;
        for (int i = 0; i < N; i++) ss += ((double)x[i] - mean) * ((double)x[i] - mean);
        const double invstd = 1.0 / sqrt(ss / N + (double)eps);
        for (int i = 0; i < N; i++) y[i] = (float)(((double)x[i] - mean) * invstd) * gamma[i] + beta[i];
        save_mean[b] = (float)mean;
        save_invstd[b] = (float)invstd;
    }
}

// din = invstd * (g - mean(g) - xhat * mean(g * xhat)), g = dout * gamma, per row.
static void layernorm_din_row(float *dx, const float *dy, const float *x, const float *gamma, double mean,
                              double invstd, int N) {
    double sg = 0.0, sgx = 0.0;
    for (int i = 0; i < N; i++) {
        const double g = (double)dy[i] * gamma[i], xhat = ((double)x[i] - mean) * invstd;
        sg += g;
        sgx += g * xhat;
    }
    sg /= N, sgx /= N;
    for (int i = 0; i < N; i++) {
        const double g = (double)dy[i] * gamma[i], xhat = ((double)x[i] - mean) * invstd;
        dx[i] = (float)(invstd * (g - sg - xhat * sgx));
    }
}

void ws_cpu_layernorm_backward(ws_ctx *ctx, float *din, float *dgamma, float *dbeta, const float *dout,
                               const float *in, const float *save_mean, const float *save_invstd, const float *gamma,
                               int B, int N) {
    for (int b = 0; b < B; b++) { // the parameters' sums over rows, in row order
        const float *x = in + (int64_t)b * N, *dy = dout + (int64_t)b * N;
        const float mean = save_mean[b], invstd = save_invstd[b];
        for (int i = 0; i < N; i++) {
            dgamma[i] += dy[i] * ((x[i] - mean) * invstd);
            dbeta[i] += dy[i];
        }
    }
    if (!din) return;
    int T = (int64_t)B * N < PAR_MIN_ELEMS ? 1 : threads_of(ctx);
    #pragma omp parallel for schedule(static) num_threads(T) if (parallel : T > 1)
    for (int b = 0; b < B; b++)
        layernorm_din_row(din + (int64_t)b * N, dout + (int64_t)b * N, in + (int64_t)b * N, gamma, save_mean[b],
                          save_invstd[b], N);
}

// CReLU (Shang et al. 2016; Kumar et al.'s torch.cat((x, -x)) then ReLU): per row
// the first N floats relu(x), the next N relu(-x). NaN propagates into both halves,
// as torch.relu does.
void ws_cpu_crelu_forward(ws_ctx *ctx, float *out, const float *in, int B, int N) {
    int T = (int64_t)B * N < PAR_MIN_ELEMS ? 1 : threads_of(ctx);
    #pragma omp parallel for schedule(static) num_threads(T) if (parallel : T > 1)
    for (int b = 0; b < B; b++) {
        const float *x = in + (int64_t)b * N;
        float *pos = out + (int64_t)b * 2 * N, *neg = pos + N;
        for (int i = 0; i < N; i++) {
            pos[i] = x[i] < 0.0f ? 0.0f : x[i];
            neg[i] = -x[i] < 0.0f ? 0.0f : -x[i];
        }
    }
}

// The masks come from the output, as ReLU's (torch's threshold_backward): din =
// dpos * (pos > 0) - dneg * (neg > 0); both are 0 at x = 0.
void ws_cpu_crelu_backward(ws_ctx *ctx, float *din, const float *dout, const float *out, int B, int N) {
    int T = (int64_t)B * N < PAR_MIN_ELEMS ? 1 : threads_of(ctx);
    #pragma omp parallel for schedule(static) num_threads(T) if (parallel : T > 1)
    for (int b = 0; b < B; b++) {
        const float *pos = out + (int64_t)b * 2 * N, *neg = pos + N;
        const float *dpos = dout + (int64_t)b * 2 * N, *dneg = dpos + N;
        float *dx = din + (int64_t)b * N;
        for (int i = 0; i < N; i++) dx[i] = (pos[i] > 0.0f ? dpos[i] : 0.0f) - (neg[i] > 0.0f ? dneg[i] : 0.0f);
    }
}
