#define _POSIX_C_SOURCE 200809L
#include "core/ctx.h"

#include <omp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void ws_ctx_init(ws_ctx *ctx, int threads) {
    memset(ctx, 0, sizeof *ctx);
    if (threads <= 0) threads = omp_get_num_procs();
    ctx->threads = threads;
    // backend stays NULL: the ops layer's default (oneDNN), see ws_backend_of.
    // Debian's libopenblas0-openmp runs BLAS on OpenMP's own pool and, at each
    // call, takes omp_get_max_threads() threads (its num_cpu_avail), so this one
    // limit names the threads of both; inside our parallel regions OpenBLAS
    // detects omp_in_parallel() and runs single-threaded.
    omp_set_num_threads(threads);
    ctx->alloc_failures = ws_sys_alloc_failures();
}

int ws_ctx_out_of_memory(const ws_ctx *ctx) { return ws_sys_alloc_failures() != ctx->alloc_failures; }

void ws_ctx_memory_reset(ws_ctx *ctx) { ctx->alloc_failures = ws_sys_alloc_failures(); }

ws_status ws_ctx_memory_intact(ws_ctx *ctx, const char *path) {
    if (!ws_ctx_out_of_memory(ctx)) return WS_OK;
    return ws_fail(ctx, WS_ERR_NOMEM, "%s: not written: memory ran out while it was made (an allocation failed)", path);
}

void ws_ctx_derive(ws_ctx *ctx, const ws_ctx *parent, int threads) {
    *ctx = *parent;
    ctx->backend_state = NULL; // created on first use, by this thread's calls
    ctx->backend_state_free = NULL;
    ctx->fault = WS_OK;
    ctx->err[0] = 0;
    if (threads <= 0) threads = omp_get_num_procs();
    ctx->threads = threads;
    omp_set_num_threads(threads);
}

int ws_ctx_stop(const ws_ctx *ctx) { return ctx->should_stop && ctx->should_stop(ctx->stop_user); }

void ws_ctx_release(ws_ctx *ctx) {
    if (ctx->backend_state && ctx->backend_state_free) ctx->backend_state_free(ctx->backend_state);
    ctx->backend_state = NULL;
    ctx->backend_state_free = NULL;
}

ws_status ws_fail(ws_ctx *ctx, ws_status code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ctx->err, sizeof ctx->err, fmt, ap);
    va_end(ap);
    return code;
}

ws_status ws_nomem(ws_ctx *ctx) { return ws_fail(ctx, WS_ERR_NOMEM, "out of memory"); }

ws_status ws_fail_prefix(ws_ctx *ctx, ws_status code, const char *fmt, ...) {
    char prefix[512], old[sizeof ctx->err];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, ctx->err, sizeof old);
    snprintf(ctx->err, sizeof ctx->err, "%s%s", prefix, old);
    return code;
}

void *ws_alloc(ws_ctx *ctx, size_t bytes) {
    size_t rounded = (bytes + 63) / 64 * 64;
    if (rounded == 0) rounded = 64;
    void *p = ws_sys_aligned_alloc(64, rounded);
    if (!p) {
        if (ctx) ws_fail(ctx, WS_ERR_NOMEM, "out of memory allocating %zu bytes", bytes);
        return NULL;
    }
    memset(p, 0, rounded);
    return p;
}

void ws_free(void *p) { free(p); }

double ws_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}
