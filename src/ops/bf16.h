// bfloat16 helpers for --precision bf16 (ws_ctx.precision): the CPU check and
// the one rounding every backend uses, so that the reference backend's oracle
// (inputs rounded, then the fp32 kernel) and oneDNN's bf16 matmuls see the same
// bf16 values.
#ifndef WS_OPS_BF16_H
#define WS_OPS_BF16_H

#include <stdint.h>

// 1 when this CPU executes AVX512_BF16 (cpuid leaf 7 subleaf 1, EAX bit 5) and the
// OS saves AVX-512 state; 0 otherwise.
int ws_cpu_has_bf16(void);

// The bf16 nearest to x (round to nearest, ties to even); a NaN stays a (quiet) NaN,
// infinities stay, values past bf16's largest finite round to infinity, as oneDNN's
// and PyTorch's conversions.
static inline uint16_t ws_bf16_of(float x) {
    union { float f; uint32_t u; } v = {x};
    if ((v.u & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((v.u >> 16) | 0x40u); // NaN: keep it quiet
    return (uint16_t)((v.u + 0x7fffu + ((v.u >> 16) & 1u)) >> 16);
}

static inline float ws_f32_of_bf16(uint16_t h) {
    union { uint32_t u; float f; } v = {(uint32_t)h << 16};
    return v.f;
}

// dst[i] = ws_bf16_of(src[i]), i < n (AVX-512 where the CPU has it; the same bits).
void ws_bf16_from_f32(uint16_t *dst, const float *src, int64_t n);
// dst[i] = src[i] rounded to bf16 and back to float (dst may be src): the oracle's inputs.
void ws_bf16_round(float *dst, const float *src, int64_t n);

// Packings of fp32 matrices into bf16 pairs (one uint32: the low half the first element,
// the high half the second; an odd count's last pair padded with +0), as AVX512_BF16's dot
// product (vdpbf16ps) multiplies them. Each element is ws_bf16_of's.
//   rows r0..r1 of x (rows, cols): dst[r * P + p] = (x[r][2p], x[r][2p+1]), P = (cols+1)/2
void ws_bf16_pack_rows(uint32_t *dst, const float *x, int r0, int r1, int cols);
//   pairs p0..p1 of the rows of x (K, N): dst[p * N + n] = (x[2p][n], x[2p+1][n])
void ws_bf16_pack_pairs_of_rows(uint32_t *dst, const float *x, int K, int N, int p0, int p1);
//   rows n0..n1 of x (N, K), pairs of its columns: dst[p * N + n] = (x[n][2p], x[n][2p+1])
void ws_bf16_pack_pairs_of_cols(uint32_t *dst, const float *x, int N, int K, int n0, int n1);

// The bf16 Linear on AVX512_BF16 (the oneDNN backend's, ctx->precision == WS_PREC_BF16):
// the three products with inputs rounded as ws_bf16_of, products of pairs summed in fp32
// by vdpbf16ps. Available (1) when built with the kernels and the CPU has AVX512_BF16.
int ws_bf16_linear_available(void);
// uint32 words of scratch the forward and the backward need for these sizes.
int64_t ws_bf16_linear_scratch(int B, int In, int Out);
// out (B,Out) = in (B,In) @ w (Out,In)^T [+ b], on `threads` threads.
void ws_bf16_linear_forward(int threads, uint32_t *scratch, float *out, const float *in, const float *w,
                            const float *b, int B, int In, int Out);
// dw += dout^T @ in; din = dout @ w when din is not NULL (no bias gradient: the caller's, in fp32).
void ws_bf16_linear_backward(int threads, uint32_t *scratch, float *din, float *dw, const float *dout,
                             const float *in, const float *w, int B, int In, int Out);

#endif
