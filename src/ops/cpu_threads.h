// How the CPU backend's ops share out work: a static split of the output
// between ctx->threads threads (none inside an enclosing parallel region),
// so every result is computed by the same code in the same order each run.
#ifndef WS_OPS_CPU_THREADS_H
#define WS_OPS_CPU_THREADS_H

#include <omp.h>
#include <stdint.h>

#include "core/ctx.h"

static inline int threads_of(const ws_ctx *ctx) {
    int t = ctx ? ctx->threads : 1;
    if (t < 1 || omp_in_parallel()) t = 1;
    return t;
}

// Thread t's block [*lo, *hi) of [0, n) split T ways, block edges rounded to a
// multiple of `align` elements (e.g. a cache line of floats: no two threads
// write the same line of a row-major output, and BLAS sees aligned panels).
static inline void block_of(int n, int T, int t, int align, int *lo, int *hi) {
    int64_t a = ((int64_t)n * t / T + align / 2) / align * align;
    int64_t b = ((int64_t)n * (t + 1) / T + align / 2) / align * align;
    if (t == T - 1 || b > n) b = n;
    if (a > n) a = n;
    *lo = (int)a;
    *hi = (int)b;
}

#endif
