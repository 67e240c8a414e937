// bfloat16 rounding and the CPU check (ops/bf16.h).
#include "ops/bf16.h"

#if defined(__x86_64__) || defined(__i386__)
// GCC's check reads cpuid leaf 7 subleaf 1 (EAX bit 5) and refuses AVX-512 features
// whose state the OS does not save (xgetbv), which a bare cpuid would not.
int ws_cpu_has_bf16(void) { return __builtin_cpu_supports("avx512bf16"); }
#else
int ws_cpu_has_bf16(void) { return 0; }
#endif

// Plain loops: GCC vectorises them; the conversion is a few % of a product's time.
void ws_bf16_from_f32(uint16_t *dst, const float *src, int64_t n) {
    for (int64_t i = 0; i < n; i++) dst[i] = ws_bf16_of(src[i]);
}

void ws_bf16_round(float *dst, const float *src, int64_t n) {
    for (int64_t i = 0; i < n; i++) dst[i] = ws_f32_of_bf16(ws_bf16_of(src[i]));
}
