// Reference CPU backend: OpenBLAS sgemm for the matrix products, plain loops
// (OpenMP, static schedule so results are bitwise-reproducible for a given
// thread count) for the rest.
#include <cblas.h>
#include <math.h>
#include <string.h>

#include "core/ctx.h"
#include "ops/backend.h"

static void cpu_linear_forward(ws_ctx *ctx, float *out, const float *in, const float *w, const float *b,
                               int B, int In, int Out) {
    (void)ctx;
    float beta = 0.0f;
    if (b) {
        for (int r = 0; r < B; r++) memcpy(out + (int64_t)r * Out, b, sizeof(float) * (size_t)Out);
        beta = 1.0f;
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, Out, In, 1.0f, in, In, w, In, beta, out, Out);
}

static void cpu_linear_backward(ws_ctx *ctx, float *din, float *dw, float *db, const float *dout,
                                const float *in, const float *w, int B, int In, int Out) {
    (void)ctx;
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Out, In, B, 1.0f, dout, Out, in, In, 1.0f, dw, In);
    if (db) {
        for (int r = 0; r < B; r++) {
            const float *d = dout + (int64_t)r * Out;
            for (int o = 0; o < Out; o++) db[o] += d[o];
        }
    }
    if (din) cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, In, Out, 1.0f, dout, Out, w, In, 0.0f, din, In);
}

static void cpu_relu_forward(ws_ctx *ctx, float *out, const float *in, int64_t n) {
    (void)ctx;
    for (int64_t i = 0; i < n; i++) out[i] = in[i] < 0.0f ? 0.0f : in[i]; // NaN propagates, as torch.relu
}

static void cpu_relu_backward(ws_ctx *ctx, float *din, const float *dout, const float *out, int64_t n) {
    (void)ctx;
    for (int64_t i = 0; i < n; i++) din[i] = out[i] > 0.0f ? dout[i] : 0.0f;
}

static void cpu_softmax_ce_forward(ws_ctx *ctx, float *probs, float *losses, uint8_t *correct,
                                   const float *logits, const int32_t *labels, int B, int C) {
    (void)ctx;
    for (int r = 0; r < B; r++) {
        const float *z = logits + (int64_t)r * C;
        float *p = probs + (int64_t)r * C;
        int arg = 0;
        float mx = z[0];
        for (int c = 1; c < C; c++)
            if (z[c] > mx) { mx = z[c]; arg = c; }
        // Sum in double: the loss of a confident model is a small difference.
        double sum = 0.0;
        for (int c = 0; c < C; c++) sum += exp((double)z[c] - (double)mx);
        double logsum = log(sum);
        for (int c = 0; c < C; c++) p[c] = (float)exp((double)z[c] - (double)mx - logsum);
        int y = labels[r];
        losses[r] = (float)(logsum - ((double)z[y] - (double)mx));
        correct[r] = (uint8_t)(arg == y);
    }
}

static void cpu_softmax_ce_backward(ws_ctx *ctx, float *dlogits, const float *probs, const int32_t *labels,
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
    .name = "cpu",
    .linear_forward = cpu_linear_forward,
    .linear_backward = cpu_linear_backward,
    .relu_forward = cpu_relu_forward,
    .relu_backward = cpu_relu_backward,
    .softmax_ce_forward = cpu_softmax_ce_forward,
    .softmax_ce_backward = cpu_softmax_ce_backward,
};

const ws_backend *ws_backend_cpu(void) { return &cpu_backend; }
