// The backend registry: the backends by name, the default one, a context's
// choice of backend, convolution algorithm and precision, and the libraries behind them.
// Core keeps only an opaque pointer in ws_ctx (NULL until a backend is chosen);
// ws_backend_of (ops/backend.h) resolves NULL to ws_backend_default().
#include <cblas.h>
#include <oneapi/dnnl/dnnl.h>
#include <stdio.h>
#include <string.h>

#include "core/ctx.h"
#include "ops/backend.h"
#include "ops/bf16.h"

const ws_backend *ws_backend_by_name(const char *name) {
    if (!strcmp(name, "reference")) return ws_backend_cpu();
    if (!strcmp(name, "onednn")) return ws_backend_onednn();
    return NULL;
}

const ws_backend *ws_backend_default(void) { return ws_backend_onednn(); }

ws_status ws_ctx_set_backend(ws_ctx *ctx, const char *name) {
    const ws_backend *be = ws_backend_by_name(name);
    if (!be) return ws_fail(ctx, WS_ERR_ARG, "unknown backend '%s' (expected reference or onednn)", name);
    if (be != ws_backend_of(ctx)) ws_ctx_release(ctx);
    ctx->backend = be;
    return WS_OK;
}

ws_status ws_ctx_set_conv_algo(ws_ctx *ctx, const char *name) {
    if (!strcmp(name, "auto")) ctx->conv_algo = WS_CONV_AUTO;
    else if (!strcmp(name, "direct")) ctx->conv_algo = WS_CONV_DIRECT;
    else return ws_fail(ctx, WS_ERR_ARG, "unknown convolution algorithm '%s' (expected auto or direct)", name);
    return WS_OK;
}

// Names by ws_precision, in the order of the enum.
static const char *const PRECISIONS[] = {"fp32", "bf16"};

const char *ws_precision_name(int precision) {
    return precision >= 0 && precision < (int)(sizeof PRECISIONS / sizeof *PRECISIONS) ? PRECISIONS[precision] : "?";
}

ws_status ws_ctx_set_precision_on(ws_ctx *ctx, const char *name, int cpu_has_bf16) {
    int p = -1;
    for (int i = 0; i < (int)(sizeof PRECISIONS / sizeof *PRECISIONS); i++)
        if (!strcmp(name, PRECISIONS[i])) p = i;
    if (p < 0) return ws_fail(ctx, WS_ERR_ARG, "unknown precision '%s' (expected fp32 or bf16)", name);
    if (p == WS_PREC_BF16 && !cpu_has_bf16)
        return ws_fail(ctx, WS_ERR_ARG,
                       "precision bf16 needs a CPU with AVX512_BF16 (bf16 dot products: AMD Zen 4 or later, Intel "
                       "Cooper Lake or Sapphire Rapids or later); this one has none: use fp32");
    ctx->precision = p;
    return WS_OK;
}

ws_status ws_ctx_set_precision(ws_ctx *ctx, const char *name) {
    return ws_ctx_set_precision_on(ctx, name, ws_cpu_has_bf16());
}

void ws_backend_libraries(char *out, size_t cap) {
    const dnnl_version_t *v = dnnl_version();
    int n = snprintf(out, cap, "%s; oneDNN %d.%d.%d", openblas_get_config(), v->major, v->minor, v->patch);
    if (v->hash && strcmp(v->hash, "N/A") && n > 0 && (size_t)n < cap) snprintf(out + n, cap - (size_t)n, " (%.12s)", v->hash);
}
