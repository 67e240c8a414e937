// The dense ops of the reference CPU backend (cpu.c), shared with the oneDNN
// backend, which runs Linear, ReLU, tanh, softmax, LayerNorm and CReLU exactly as the reference does.
// Semantics as declared in ops/backend.h.
#ifndef WS_OPS_CPU_H
#define WS_OPS_CPU_H

#include "ops/backend.h"

void ws_cpu_linear_forward(struct ws_ctx *ctx, float *out, const float *in, const float *w, const float *b, int B,
                           int In, int Out);
void ws_cpu_linear_backward(struct ws_ctx *ctx, float *din, float *dw, float *db, const float *dout, const float *in,
                            const float *w, int B, int In, int Out);
void ws_cpu_relu_forward(struct ws_ctx *ctx, float *out, const float *in, int64_t n);
void ws_cpu_relu_backward(struct ws_ctx *ctx, float *din, const float *dout, const float *out, int64_t n);
void ws_cpu_tanh_forward(struct ws_ctx *ctx, float *out, const float *in, int64_t n);
void ws_cpu_tanh_backward(struct ws_ctx *ctx, float *din, const float *dout, const float *out, int64_t n);
void ws_cpu_softmax_ce_forward(struct ws_ctx *ctx, float *probs, float *losses, uint8_t *correct, const float *logits,
                               const int32_t *labels, int B, int C);
void ws_cpu_softmax_ce_backward(struct ws_ctx *ctx, float *dlogits, const float *probs, const int32_t *labels,
                                float scale, int B, int C);
void ws_cpu_layernorm_forward(struct ws_ctx *ctx, float *out, float *save_mean, float *save_invstd, const float *in,
                              const float *gamma, const float *beta, int B, int N, float eps);
void ws_cpu_layernorm_backward(struct ws_ctx *ctx, float *din, float *dgamma, float *dbeta, const float *dout,
                               const float *in, const float *save_mean, const float *save_invstd, const float *gamma,
                               int B, int N);
void ws_cpu_crelu_forward(struct ws_ctx *ctx, float *out, const float *in, int B, int N);
void ws_cpu_crelu_backward(struct ws_ctx *ctx, float *din, const float *dout, const float *out, int B, int N);

#endif
