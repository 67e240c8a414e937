// The convolutional ops of the reference CPU backend (cpu_conv.c), put into the
// `cpu_backend` table by cpu.c. Semantics as declared in ops/backend.h; the
// notes below are what a caller of this backend additionally needs.
//
// Workspace (conv2d_forward / conv2d_backward): exactly
// ws_cpu_conv2d_workspace(s) floats = C*KH*KW * OH*OW, the im2col columns of ONE
// image, whatever ctx->threads is (threads share the one buffer: they split
// each image's columns, rows or channels among themselves, never the batch).
// It is 0 for a 1x1, stride-1, unpadded convolution (which reads its input as
// the columns directly); the workspace pointer may then be NULL. One buffer of
// the maximum over a network's layers serves them all (the ops leave nothing in
// it between calls).
//
// NULL also accepted (beyond backend.h): batchnorm gamma/beta (as 1 and 0:
// affine=False), dgamma/dbeta (not accumulated), save_mean/save_invstd and
// running_mean/running_var in the training forward (not written). The batch
// variance of a single value per channel (B*HW == 1) updates running_var with
// the biased variance (0), where PyTorch raises an error.
#ifndef WS_OPS_CPU_CONV_H
#define WS_OPS_CPU_CONV_H

#include "ops/backend.h"

int64_t ws_cpu_conv2d_workspace(const ws_conv_shape *s);
void ws_cpu_conv2d_forward(struct ws_ctx *ctx, float *out, const float *in, const float *w, const float *b,
                           const ws_conv_shape *s, float *workspace);
void ws_cpu_conv2d_backward(struct ws_ctx *ctx, float *din, float *dw, float *db, const float *dout,
                            const float *in, const float *w, const ws_conv_shape *s, float *workspace);
void ws_cpu_batchnorm_forward_train(struct ws_ctx *ctx, float *out, float *save_mean, float *save_invstd,
                                    float *running_mean, float *running_var, const float *in, const float *gamma,
                                    const float *beta, int B, int C, int HW, float momentum, float eps);
void ws_cpu_batchnorm_forward_eval(struct ws_ctx *ctx, float *out, const float *in, const float *gamma,
                                   const float *beta, const float *running_mean, const float *running_var, int B,
                                   int C, int HW, float eps);
void ws_cpu_batchnorm_backward(struct ws_ctx *ctx, float *din, float *dgamma, float *dbeta, const float *dout,
                               const float *in, const float *save_mean, const float *save_invstd,
                               const float *gamma, int B, int C, int HW);
void ws_cpu_avgpool_forward(struct ws_ctx *ctx, float *out, const float *in, int B, int C, int HW);
void ws_cpu_avgpool_backward(struct ws_ctx *ctx, float *din, const float *dout, int B, int C, int HW);
void ws_cpu_add_forward(struct ws_ctx *ctx, float *out, const float *a, const float *b, int64_t n);
void ws_cpu_bn_act_forward_train(struct ws_ctx *ctx, float *out, float *save_mean, float *save_invstd,
                                 float *running_mean, float *running_var, const float *z, const float *res,
                                 const float *gamma, const float *beta, int B, int C, int HW, float momentum,
                                 float eps, int relu);
void ws_cpu_bn_act_forward_eval(struct ws_ctx *ctx, float *out, const float *z, const float *res, const float *gamma,
                                const float *beta, const float *running_mean, const float *running_var, int B, int C,
                                int HW, float eps, int relu);
void ws_cpu_bn_act_backward(struct ws_ctx *ctx, float *dz, float *dres, float *dgamma, float *dbeta,
                            const float *dout, const float *out, const float *z, const float *save_mean,
                            const float *save_invstd, const float *gamma, int B, int C, int HW, int relu);
void ws_cpu_maxpool2_forward(struct ws_ctx *ctx, float *out, const float *in, int B, int C, int H, int W);
void ws_cpu_maxpool2_backward(struct ws_ctx *ctx, float *din, const float *dout, const float *in, int B, int C, int H,
                              int W);
// NCHW <-> NCHW: the reference layout is NCHW.
void ws_cpu_act_copy(struct ws_ctx *ctx, float *dst, const float *src, int B, int C, int HW);

#endif
