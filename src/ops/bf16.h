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

// dst[i] = ws_bf16_of(src[i]), i < n.
void ws_bf16_from_f32(uint16_t *dst, const float *src, int64_t n);
// dst[i] = src[i] rounded to bf16 and back to float (dst may be src): the oracle's inputs.
void ws_bf16_round(float *dst, const float *src, int64_t n);

#endif
