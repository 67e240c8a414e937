// Kernels over oneDNN's blocked activation layout nChw16c, used by the oneDNN
// backend for every tensor whose channel count C is a multiple of 16: element
// (b, c, hw) lives at ((b * C/16 + c/16) * HW + hw) * 16 + c % 16, so the 16
// channels of a block are one AVX-512 vector and a whole image's block is
// contiguous.
//
// BatchNorm reduces per image (every image's partial statistics in double,
// written to `partials`, 2*B*C doubles the caller provides), then combines the
// images in order on one thread: results depend on neither the thread count nor
// the schedule. Work is split across threads by image.
#ifndef WS_OPS_BLOCKED_H
#define WS_OPS_BLOCKED_H

#include <stdint.h>

struct ws_ctx;

#define WS_BLK 16

// Semantics as the fused ops in ops/backend.h (bn_act_*), C % 16 == 0.
void ws_blk_bn_act_forward_train(struct ws_ctx *ctx, double *partials, float *out, float *save_mean,
                                 float *save_invstd, float *running_mean, float *running_var, const float *z,
                                 const float *res, const float *gamma, const float *beta, int B, int C, int HW,
                                 float momentum, float eps, int relu);
void ws_blk_bn_act_forward_eval(struct ws_ctx *ctx, float *out, const float *z, const float *res, const float *gamma,
                                const float *beta, const float *running_mean, const float *running_var, int B, int C,
                                int HW, float eps, int relu);
void ws_blk_bn_act_backward(struct ws_ctx *ctx, double *partials, float *dz, float *dres, float *dgamma,
                            float *dbeta, const float *dout, const float *out, const float *z,
                            const float *save_mean, const float *save_invstd, const float *gamma, int B, int C,
                            int HW, int relu);
// Global average pooling: blocked (B,C,HW) -> plain (B,C), and back.
void ws_blk_avgpool_forward(struct ws_ctx *ctx, float *out, const float *in, int B, int C, int HW);
void ws_blk_avgpool_backward(struct ws_ctx *ctx, float *din, const float *dout, int B, int C, int HW);
// Layout conversion.
void ws_blk_to_nchw(struct ws_ctx *ctx, float *dst, const float *src, int B, int C, int HW);
void ws_blk_from_nchw(struct ws_ctx *ctx, float *dst, const float *src, int B, int C, int HW);

#endif
