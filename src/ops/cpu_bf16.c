// The bf16 Linear on AVX512_BF16 (ops/bf16.h): the three products of a Linear layer with
// bf16 inputs and fp32 sums, for --precision bf16 on the oneDNN backend.
//
// Why our own kernel: oneDNN 2.6's bf16 matmul on an MLP step's small, skinny products ran
// no faster than our fp32 kernels (cpu.c), so bf16 bought nothing; vdpbf16ps does 32
// multiply-adds per instruction where an fp32 FMA does 16.
//
// One kernel for the three products, C [+]= A @ B, in cpu.c's broadcast form: a 4 x 96 tile
// of C is 24 vector accumulators; each step of k broadcasts a PAIR of A's bf16 (k, k+1) and
// multiplies it with 6 vectors of B's pairs (rows k, k+1 interleaved), one vdpbf16ps each.
// So B is packed as pairs of rows (ws_bf16_pack_pairs_of_rows), A read as pairs with any
// strides. The packings (on each call: weights change every step, and the conversion costs
// a few % of the products) are:
//   forward      out = in @ w^T     A: in's rows            B: w's column pairs (a transpose)
//   input grad   din = dout @ w     A: dout's rows          B: w's row pairs
//   weight grad  dw += dout^T @ in  A: dout's row pairs     B: in's row pairs
//
// Arithmetic: every input is ws_bf16_of's rounding (the oracle's); a product of two bf16 is
// exact in fp32; vdpbf16ps adds a pair's two products into the fp32 accumulator, in an order
// that differs from the oracle's fp32 kernel, within the bound the tests hold it to. The
// instruction treats bf16 denormal inputs (|x| < 2^-126) as zero and flushes a denormal
// result to zero: docs/PRECISION.md.
//
// Threads: as cpu.c, every output element is computed by the same code in the same order
// whatever the thread count (a thread owns a block of C's rows or columns; no sum is split),
// so results are bitwise-identical across thread counts too. The packing is shared out first,
// then a barrier, then the products.
#include <omp.h>
#include <stdint.h>

#include "ops/bf16.h"

// Below this many multiply-adds a product is not worth a parallel region (as cpu.c).
#define PAR_MIN_FMA (64 * 1024)

// Thread t's block [*lo, *hi) of [0, n) split T ways, edges a multiple of align (cpu_threads.h's).
static void share(int n, int T, int t, int align, int *lo, int *hi) {
    int64_t a = ((int64_t)n * t / T + align / 2) / align * align;
    int64_t b = ((int64_t)n * (t + 1) / T + align / 2) / align * align;
    if (t == T - 1 || b > n) b = n;
    if (a > n) a = n;
    *lo = (int)a, *hi = (int)b;
}

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#include <immintrin.h>

#define BF_MR 4
#define BF_NV 6
#define WS_AVX512BF16 __attribute__((target("avx512f,avx512bw,avx512bf16")))

typedef uint32_t u32_alias __attribute__((may_alias)); // A's pairs may have been written as uint16

// Tile (mr <= BF_MR rows, nv <= BF_NV vectors, the last one masked by `last`):
// c[i][n] = [c[i][n] +] s(i,n) [+ bias[n]], s(i,n) = sum over pairs p < P of
// A(i,p) . B(p,n), A(i,p) = a[i*ars + p*aks], B(p,n) = b[p*ldb + n].
static inline __attribute__((always_inline)) WS_AVX512BF16 void bf_tile(float *c, int ldc, const uint32_t *a,
                                                                         int64_t ars, int64_t aks, const uint32_t *b,
                                                                         int ldb, int P, int mr, int nv,
                                                                         __mmask16 last, const float *bias,
                                                                         int accumulate) {
    __m512 acc[BF_MR][BF_NV];
    #pragma GCC unroll 8
    for (int i = 0; i < mr; i++)
        #pragma GCC unroll 8
        for (int j = 0; j < nv; j++) acc[i][j] = _mm512_setzero_ps();
    const u32_alias *ap = a;
    for (int p = 0; p < P; p++) {
        const uint32_t *bp = b + (int64_t)p * ldb;
        __m512i bv[BF_NV];
        #pragma GCC unroll 8
        for (int j = 0; j < nv; j++)
            bv[j] = j == nv - 1 ? _mm512_maskz_loadu_epi32(last, bp + 16 * j) : _mm512_loadu_si512(bp + 16 * j);
        #pragma GCC unroll 8
        for (int i = 0; i < mr; i++) {
            __m512i av = _mm512_set1_epi32((int)ap[i * ars + p * aks]);
            #pragma GCC unroll 8
            for (int j = 0; j < nv; j++) acc[i][j] = _mm512_dpbf16_ps(acc[i][j], (__m512bh)av, (__m512bh)bv[j]);
        }
    }
    #pragma GCC unroll 8
    for (int i = 0; i < mr; i++)
        #pragma GCC unroll 8
        for (int j = 0; j < nv; j++) {
            float *q = c + (int64_t)i * ldc + 16 * j;
            __mmask16 m = j == nv - 1 ? last : (__mmask16)0xffff;
            __m512 v = acc[i][j];
            if (accumulate) v = _mm512_add_ps(_mm512_maskz_loadu_ps(m, q), v);
            if (bias) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(m, bias + 16 * j));
            _mm512_mask_storeu_ps(q, m, v);
        }
}

typedef void (*bf_tile_fn)(float *, int, const uint32_t *, int64_t, int64_t, const uint32_t *, int, int, __mmask16,
                           const float *, int);
#define BF_TILE(MR, NV)                                                                                         \
    WS_AVX512BF16 static void bf_tile_##MR##_##NV(float *c, int ldc, const uint32_t *a, int64_t ars, int64_t aks, \
                                                  const uint32_t *b, int ldb, int P, __mmask16 last,             \
                                                  const float *bias, int acc) {                                  \
        bf_tile(c, ldc, a, ars, aks, b, ldb, P, MR, NV, last, bias, acc);                                         \
    }
#define BF_TILE_ROW(MR) BF_TILE(MR, 1) BF_TILE(MR, 2) BF_TILE(MR, 3) BF_TILE(MR, 4) BF_TILE(MR, 5) BF_TILE(MR, 6)
BF_TILE_ROW(1) BF_TILE_ROW(2) BF_TILE_ROW(3) BF_TILE_ROW(4)
#define BF_TILE_ENTRY(MR) \
    {bf_tile_##MR##_1, bf_tile_##MR##_2, bf_tile_##MR##_3, bf_tile_##MR##_4, bf_tile_##MR##_5, bf_tile_##MR##_6}
static const bf_tile_fn bf_tiles[BF_MR][BF_NV] = {BF_TILE_ENTRY(1), BF_TILE_ENTRY(2), BF_TILE_ENTRY(3),
                                                  BF_TILE_ENTRY(4)};

// C (M,N) [+]= A @ B [+ bias], P pairs, single-threaded. The columns go in blocks of at most
// BF_NV vectors, as even as they come (100 columns: 4 + 3 vectors, not 6 + 1).
static void bf_gemm(int M, int N, int P, const uint32_t *A, int64_t ars, int64_t aks, const uint32_t *B, int ldb,
                    float *C, int ldc, const float *bias, int accumulate) {
    int nvt = (N + 15) / 16, nb = (nvt + BF_NV - 1) / BF_NV;
    for (int blk = 0, v0 = 0; blk < nb; blk++) {
        int nv = (nvt - v0 + (nb - blk) - 1) / (nb - blk), c0 = 16 * v0;
        int n = N - c0 < 16 * nv ? N - c0 : 16 * nv, tail = n - 16 * (nv - 1);
        __mmask16 last = (__mmask16)(tail == 16 ? 0xffffu : (1u << tail) - 1u);
        for (int i0 = 0; i0 < M; i0 += BF_MR) {
            int mr = M - i0 < BF_MR ? M - i0 : BF_MR;
            bf_tiles[mr - 1][nv - 1](C + (int64_t)i0 * ldc + c0, ldc, A + i0 * ars, ars, aks, B + c0, ldb, P, last,
                                     bias ? bias + c0 : NULL, accumulate);
        }
        v0 += nv;
    }
}

int ws_bf16_linear_available(void) {
    return ws_cpu_has_bf16() && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw");
}
#else
int ws_bf16_linear_available(void) { return 0; }
static void bf_gemm(int M, int N, int P, const uint32_t *A, int64_t ars, int64_t aks, const uint32_t *B, int ldb,
                    float *C, int ldc, const float *bias, int accumulate) {
    (void)M, (void)N, (void)P, (void)A, (void)ars, (void)aks, (void)B, (void)ldb, (void)C, (void)ldc, (void)bias;
    (void)accumulate;
    __builtin_unreachable(); // callers check ws_bf16_linear_available(), 0 in this build
}
#endif

static int64_t pairs(int n) { return (n + 1) / 2; }

int64_t ws_bf16_linear_scratch(int B, int In, int Out) {
    int64_t fwd = (B + (int64_t)Out) * pairs(In);
    int64_t bwd = B * pairs(Out) + In * pairs(Out) + (Out + (int64_t)In) * pairs(B);
    return fwd > bwd ? fwd : bwd;
}

static int threads_for(int threads, int B, int In, int Out) {
    return threads > 1 && (int64_t)B * In * Out >= PAR_MIN_FMA && !omp_in_parallel() ? threads : 1;
}

// Thread t of T: its share of the forward's packing, then (after the barrier) of the product.
static void forward_part(int t, int T, uint32_t *xa, uint32_t *wb, float *out, const float *in, const float *w,
                         const float *b, int B, int In, int Out) {
    int lo, hi;
    share(B, T, t, 1, &lo, &hi);
    ws_bf16_pack_rows(xa, in, lo, hi, In);
    share(Out, T, t, 16, &lo, &hi);
    ws_bf16_pack_pairs_of_cols(wb, w, Out, In, lo, hi);
    if (T > 1) {
        #pragma omp barrier
    }
    int P = (int)pairs(In);
    if (B >= 8 * T) { // rows of the batch; else (a batch too small to share) blocks of output features
        share(B, T, t, 1, &lo, &hi);
        bf_gemm(hi - lo, Out, P, xa + (int64_t)lo * P, P, 1, wb, Out, out + (int64_t)lo * Out, Out, b, 0);
    } else {
        share(Out, T, t, 16, &lo, &hi);
        bf_gemm(B, hi - lo, P, xa, P, 1, wb + lo, Out, out + lo, Out, b ? b + lo : NULL, 0);
    }
}

void ws_bf16_linear_forward(int threads, uint32_t *scratch, float *out, const float *in, const float *w,
                            const float *b, int B, int In, int Out) {
    uint32_t *xa = scratch, *wb = scratch + B * pairs(In);
    int T = threads_for(threads, B, In, Out);
    if (T == 1) {
        forward_part(0, 1, xa, wb, out, in, w, b, B, In, Out);
        return;
    }
    #pragma omp parallel num_threads(T)
    forward_part(omp_get_thread_num(), omp_get_num_threads(), xa, wb, out, in, w, b, B, In, Out);
}

typedef struct {
    uint32_t *da, *wi, *di, *xi; // dout's rows, w's row pairs, dout's row pairs, in's row pairs
} bwd_packs;

static void backward_part(int t, int T, bwd_packs k, float *din, float *dw, const float *dout, const float *in,
                          const float *w, int B, int In, int Out) {
    int lo, hi, Pb = (int)pairs(B), Po = (int)pairs(Out);
    share(Pb, T, t, 1, &lo, &hi);
    ws_bf16_pack_pairs_of_rows(k.di, dout, B, Out, lo, hi);
    ws_bf16_pack_pairs_of_rows(k.xi, in, B, In, lo, hi);
    if (din) {
        share(B, T, t, 1, &lo, &hi);
        ws_bf16_pack_rows(k.da, dout, lo, hi, Out);
        share(Po, T, t, 1, &lo, &hi);
        ws_bf16_pack_pairs_of_rows(k.wi, w, Out, In, lo, hi);
    }
    if (T > 1) {
        #pragma omp barrier
    }
    // Every thread owns a block of input-feature columns of dw and din.
    share(In, T, t, 16, &lo, &hi);
    if (hi <= lo) return;
    bf_gemm(Out, hi - lo, Pb, k.di, 1, Out, k.xi + lo, In, dw + lo, In, NULL, 1);
    if (din) bf_gemm(B, hi - lo, Po, k.da, Po, 1, k.wi + lo, In, din + lo, In, NULL, 0);
}

void ws_bf16_linear_backward(int threads, uint32_t *scratch, float *din, float *dw, const float *dout,
                             const float *in, const float *w, int B, int In, int Out) {
    bwd_packs k;
    k.di = scratch;
    k.xi = k.di + Out * pairs(B);
    k.da = k.xi + In * pairs(B);
    k.wi = k.da + B * pairs(Out);
    int T = threads_for(threads, B, In, Out);
    if (T == 1) {
        backward_part(0, 1, k, din, dw, dout, in, w, B, In, Out);
        return;
    }
    #pragma omp parallel num_threads(T)
    backward_part(omp_get_thread_num(), omp_get_num_threads(), k, din, dw, dout, in, w, B, In, Out);
}
