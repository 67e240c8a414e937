// bfloat16 rounding, the packings of the bf16 Linear kernels, and the CPU check (ops/bf16.h).
//
// Every conversion here gives the bits of ws_bf16_of, the scalar definition the oracle uses,
// denormals included. The vector path converts with AVX512_BF16's vcvtne2ps2bf16 (32 floats
// in one instruction; its rounding, NaN and infinity rules are ws_bf16_of's) except that the
// instruction flushes denormal inputs to a signed zero (checked on this Zen 5: 0x00012345 ->
// 0x0000, where ws_bf16_of gives 0x0001): a vector holding a denormal is rounded with integer
// arithmetic instead (round16), lane by lane as ws_bf16_of. The vector path runs where the
// CPU has AVX512_BF16 (the only CPUs --precision bf16 accepts); elsewhere the scalar loops.
#include "ops/bf16.h"

#if defined(__x86_64__) || defined(__i386__)
// GCC's check reads cpuid leaf 7 subleaf 1 (EAX bit 5) and refuses AVX-512 features
// whose state the OS does not save (xgetbv), which a bare cpuid would not.
int ws_cpu_has_bf16(void) { return __builtin_cpu_supports("avx512bf16"); }
#else
int ws_cpu_has_bf16(void) { return 0; }
#endif

// ---- scalar: the definition, and the tails of the vector loops ----

static void from_f32_scalar(uint16_t *dst, const float *src, int64_t n) {
    for (int64_t i = 0; i < n; i++) dst[i] = ws_bf16_of(src[i]);
}

static void round_scalar(float *dst, const float *src, int64_t n) {
    for (int64_t i = 0; i < n; i++) dst[i] = ws_f32_of_bf16(ws_bf16_of(src[i]));
}

static inline uint32_t pair_of(float lo, float hi) { return ws_bf16_of(lo) | (uint32_t)ws_bf16_of(hi) << 16; }

static void pairs_of_rows_scalar(uint32_t *dst, const float *x, int K, int N, int p0, int p1, int n0) {
    for (int p = p0; p < p1; p++) {
        const float *r0 = x + (int64_t)2 * p * N, *r1 = r0 + N;
        for (int n = n0; n < N; n++) dst[(int64_t)p * N + n] = pair_of(r0[n], 2 * p + 1 < K ? r1[n] : 0.0f);
    }
}

static void pairs_of_cols_scalar(uint32_t *dst, const float *x, int N, int K, int n0, int n1, int p0) {
    int P = (K + 1) / 2;
    for (int n = n0; n < n1; n++) {
        const float *r = x + (int64_t)n * K;
        for (int p = p0; p < P; p++) dst[(int64_t)p * N + n] = pair_of(r[2 * p], 2 * p + 1 < K ? r[2 * p + 1] : 0.0f);
    }
}

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#include <immintrin.h>

#define WS_AVX512BW __attribute__((target("avx512f,avx512bw,avx512bf16")))

static int have_bf16_vector(void) {
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && ws_cpu_has_bf16();
}

// 16 floats (as bits) -> 16 dwords whose high halves are their ws_bf16_of (low halves: garbage).
static inline __attribute__((always_inline)) WS_AVX512BW __m512i round16(__m512i u) {
    __m512i lsb = _mm512_and_si512(_mm512_srli_epi32(u, 16), _mm512_set1_epi32(1));
    __m512i r = _mm512_add_epi32(u, _mm512_add_epi32(lsb, _mm512_set1_epi32(0x7fff)));
    __mmask16 nan = _mm512_cmpgt_epu32_mask(_mm512_and_si512(u, _mm512_set1_epi32(0x7fffffff)),
                                            _mm512_set1_epi32(0x7f800000));
    return _mm512_mask_or_epi32(r, nan, u, _mm512_set1_epi32(0x00400000)); // a NaN stays one, quiet
}

// The high halves of two round16 results, in order: 32 bf16 (word w <- word 2w + 1 of t0:t1).
static inline __attribute__((always_inline)) WS_AVX512BW __m512i high_halves(__m512i t0, __m512i t1) {
    const __m512i odd = _mm512_set_epi16(63, 61, 59, 57, 55, 53, 51, 49, 47, 45, 43, 41, 39, 37, 35, 33, 31, 29, 27,
                                         25, 23, 21, 19, 17, 15, 13, 11, 9, 7, 5, 3, 1);
    return _mm512_permutex2var_epi16(t0, odd, t1);
}

// 32 floats (as bits; lo16 the first 16) -> their 32 bf16 in order, ws_bf16_of's bits.
static inline __attribute__((always_inline)) WS_AVX512BW __m512i cvt32(__m512i lo16, __m512i hi16) {
    const __m512i exp = _mm512_set1_epi32(0x7f800000), mant = _mm512_set1_epi32(0x007fffff);
    __mmask16 den = (__mmask16)((_mm512_testn_epi32_mask(lo16, exp) & _mm512_test_epi32_mask(lo16, mant)) |
                                (_mm512_testn_epi32_mask(hi16, exp) & _mm512_test_epi32_mask(hi16, mant)));
    if (__builtin_expect(den != 0, 0)) return high_halves(round16(lo16), round16(hi16));
    return (__m512i)_mm512_cvtne2ps_pbh(_mm512_castsi512_ps(hi16), _mm512_castsi512_ps(lo16));
}

static inline __attribute__((always_inline)) WS_AVX512BW __mmask16 first16(int64_t n) {
    return n >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << n) - 1u);
}

WS_AVX512BW static void from_f32_avx512(uint16_t *dst, const float *src, int64_t n) {
    for (int64_t i = 0; i < n; i += 32) {
        int64_t left = n - i;
        __mmask16 m0 = first16(left), m1 = first16(left > 16 ? left - 16 : 0);
        _mm_prefetch((const char *)(src + i + 512), _MM_HINT_T0); // 2 KB ahead: the source is often in L3
        _mm_prefetch((const char *)(src + i + 528), _MM_HINT_T0);
        __m512i v = cvt32(_mm512_maskz_loadu_epi32(m0, src + i), _mm512_maskz_loadu_epi32(m1, src + i + 16));
        _mm512_mask_storeu_epi16(dst + i, (__mmask32)m0 | (__mmask32)m1 << 16, v);
    }
}

WS_AVX512BW static void round_avx512(float *dst, const float *src, int64_t n) {
    const __m512i hi = _mm512_set1_epi32((int)0xffff0000u);
    for (int64_t i = 0; i < n; i += 16) {
        __mmask16 m = first16(n - i);
        __m512i t = round16(_mm512_maskz_loadu_epi32(m, src + i));
        _mm512_mask_storeu_epi32(dst + i, m, _mm512_and_si512(t, hi));
    }
}

// Rows 2p and 2p+1 of x, 16 columns at a time: their 32 bf16 (row 2p's, then row 2p+1's)
// interleaved into 16 pairs (word 2n <- word n, word 2n+1 <- word 16 + n).
WS_AVX512BW static void pairs_of_rows_avx512(uint32_t *dst, const float *x, int K, int N, int p0, int p1) {
    const __m512i zip = _mm512_set_epi16(31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10, 25, 9, 24, 8, 23, 7, 22, 6,
                                         21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0);
    for (int p = p0; p < p1; p++) {
        const float *r0 = x + (int64_t)2 * p * N, *r1 = r0 + N;
        int has1 = 2 * p + 1 < K;
        for (int n = 0; n < N; n += 16) {
            __mmask16 m = first16(N - n);
            _mm_prefetch((const char *)(r0 + n + 256), _MM_HINT_T0); // 1 KB ahead in both rows
            _mm_prefetch((const char *)(r1 + n + 256), _MM_HINT_T0);
            __m512i t0 = _mm512_maskz_loadu_epi32(m, r0 + n);
            __m512i t1 = has1 ? _mm512_maskz_loadu_epi32(m, r1 + n) : _mm512_setzero_si512();
            __m512i v = _mm512_permutexvar_epi16(zip, cvt32(t0, t1));
            _mm512_mask_storeu_epi32(dst + (int64_t)p * N + n, m, v);
        }
    }
}

// r[i] <- column i of the 16 x 16 dwords r (row j of the result: element j of each input).
static inline __attribute__((always_inline)) WS_AVX512BW void transpose16(__m512i r[16]) {
    __m512i t[16];
    #pragma GCC unroll 8
    for (int i = 0; i < 8; i++) {
        t[2 * i] = _mm512_unpacklo_epi32(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm512_unpackhi_epi32(r[2 * i], r[2 * i + 1]);
    }
    #pragma GCC unroll 4
    for (int i = 0; i < 4; i++) {
        r[4 * i] = _mm512_unpacklo_epi64(t[4 * i], t[4 * i + 2]);
        r[4 * i + 1] = _mm512_unpackhi_epi64(t[4 * i], t[4 * i + 2]);
        r[4 * i + 2] = _mm512_unpacklo_epi64(t[4 * i + 1], t[4 * i + 3]);
        r[4 * i + 3] = _mm512_unpackhi_epi64(t[4 * i + 1], t[4 * i + 3]);
    }
    #pragma GCC unroll 2
    for (int h = 0; h < 2; h++)
        #pragma GCC unroll 4
        for (int j = 0; j < 4; j++) {
            t[8 * h + j] = _mm512_shuffle_i32x4(r[8 * h + j], r[8 * h + j + 4], 0x88);
            t[8 * h + j + 4] = _mm512_shuffle_i32x4(r[8 * h + j], r[8 * h + j + 4], 0xdd);
        }
    #pragma GCC unroll 8
    for (int j = 0; j < 8; j++) {
        r[j] = _mm512_shuffle_i32x4(t[j], t[j + 8], 0x88);
        r[j + 8] = _mm512_shuffle_i32x4(t[j], t[j + 8], 0xdd);
    }
}

// Rows n..n+rows-1 (rows <= 16) of x, pairs p..p+15 of their columns: each row's 32 floats
// rounded and packed into 16 pairs, then the 16 x 16 block transposed so that a vector holds
// one pair of 16 rows. Columns past K load as +0 (an odd K's padding); pairs past P are not stored.
WS_AVX512BW static void cols_block(uint32_t *dst, const float *x, int N, int K, int n, int rows, int p) {
    int left = K - 2 * p, P = (K + 1) / 2, np = P - p < 16 ? P - p : 16;
    __mmask16 m0 = first16(left), m1 = first16(left > 16 ? left - 16 : 0);
    __m512i r[16];
    #pragma GCC unroll 16
    for (int i = 0; i < 16; i++) {
        if (i >= rows) {
            r[i] = _mm512_setzero_si512();
            continue;
        }
        const float *s = x + (int64_t)(n + i) * K + 2 * p;
        _mm_prefetch((const char *)(s + 64), _MM_HINT_T0); // the next block but one: 16 row streams at once
        _mm_prefetch((const char *)(s + 80), _MM_HINT_T0);
        r[i] = cvt32(_mm512_maskz_loadu_epi32(m0, s), _mm512_maskz_loadu_epi32(m1, s + 16));
    }
    transpose16(r);
    __mmask16 mr = first16(rows);
    for (int j = 0; j < np; j++) _mm512_mask_storeu_epi32(dst + (int64_t)(p + j) * N + n, mr, r[j]);
}

WS_AVX512BW static void pairs_of_cols_avx512(uint32_t *dst, const float *x, int N, int K, int n0, int n1) {
    int P = (K + 1) / 2;
    for (int n = n0; n < n1; n += 16)
        for (int p = 0; p < P; p += 16) cols_block(dst, x, N, K, n, n1 - n < 16 ? n1 - n : 16, p);
}
#else
static int have_bf16_vector(void) { return 0; }
#define from_f32_avx512 from_f32_scalar
#define round_avx512 round_scalar
static void pairs_of_rows_avx512(uint32_t *dst, const float *x, int K, int N, int p0, int p1) {
    pairs_of_rows_scalar(dst, x, K, N, p0, p1, 0);
}
static void pairs_of_cols_avx512(uint32_t *dst, const float *x, int N, int K, int n0, int n1) {
    pairs_of_cols_scalar(dst, x, N, K, n0, n1, 0);
}
#endif

void ws_bf16_from_f32(uint16_t *dst, const float *src, int64_t n) {
    if (have_bf16_vector()) from_f32_avx512(dst, src, n);
    else from_f32_scalar(dst, src, n);
}

void ws_bf16_round(float *dst, const float *src, int64_t n) {
    if (have_bf16_vector()) round_avx512(dst, src, n);
    else round_scalar(dst, src, n);
}

void ws_bf16_pack_rows(uint32_t *dst, const float *x, int r0, int r1, int cols) {
    int P = (cols + 1) / 2;
    for (int r = r0; r < r1; r++) {
        uint16_t *d = (uint16_t *)(dst + (int64_t)r * P);
        ws_bf16_from_f32(d, x + (int64_t)r * cols, cols);
        if (cols % 2) d[cols] = 0;
    }
}

void ws_bf16_pack_pairs_of_rows(uint32_t *dst, const float *x, int K, int N, int p0, int p1) {
    if (have_bf16_vector()) pairs_of_rows_avx512(dst, x, K, N, p0, p1);
    else pairs_of_rows_scalar(dst, x, K, N, p0, p1, 0);
}

void ws_bf16_pack_pairs_of_cols(uint32_t *dst, const float *x, int N, int K, int n0, int n1) {
    if (have_bf16_vector()) pairs_of_cols_avx512(dst, x, N, K, n0, n1);
    else pairs_of_cols_scalar(dst, x, N, K, n0, n1, 0);
}
