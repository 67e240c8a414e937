// The backend registry: the backends by name, the default one, a context's
// choice of backend and convolution algorithm, and the libraries behind them.
// Core keeps only an opaque pointer in ws_ctx (NULL until a backend is chosen);
// ws_backend_of (ops/backend.h) resolves NULL to ws_backend_default().
#include <cblas.h>
#include <oneapi/dnnl/dnnl.h>
#include <stdio.h>
#include <string.h>

#include "core/ctx.h"
#include "ops/backend.h"

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

void ws_backend_libraries(char *out, size_t cap) {
    const dnnl_version_t *v = dnnl_version();
    int n = snprintf(out, cap, "%s; oneDNN %d.%d.%d", openblas_get_config(), v->major, v->minor, v->patch);
    if (v->hash && strcmp(v->hash, "N/A") && n > 0 && (size_t)n < cap) snprintf(out + n, cap - (size_t)n, " (%.12s)", v->hash);
}
