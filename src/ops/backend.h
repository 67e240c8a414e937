// The backend seam. Every numerical kernel the engine runs is reached through
// this table, so a CUDA backend slots in by providing another table; the
// reference CPU backend ("reference") stays the oracle the others are tested
// against, and the oneDNN backend ("onednn", ops/onednn.c) is the fast CPU path.
//
// Activation layout. Between the layers of a convolutional network, a tensor of
// C channels is kept in the backend's own layout (ws_backend.blocked_channels):
// the reference backend keeps NCHW; the oneDNN backend keeps oneDNN's blocked
// nChw16c (channel blocks of 16 innermost) whenever C is a multiple of 16, and
// NCHW otherwise. Both hold exactly B*C*H*W floats, so memory planning is
// layout-blind; only the network's edges convert: the first convolution reads
// the data in NCHW (ws_conv_shape.input_nchw) and global average pooling writes
// plain (B,C); convolutions marked `plain` (ws_conv_shape) read and write NCHW
// at any channel count, for the ops that need it (max-pooling, LayerNorm). act_to_nchw / act_from_nchw convert for tests and inspection.
//
// Conventions (as llm.c): outputs first, then inputs, then sizes; shapes in the
// comments; row-major; float32. Backward kernels ACCUMULATE (+=) into parameter
// gradients, so a model's gradients are zeroed once per step with one memset of
// the flat gradient arena; input gradients (din) are overwritten.
#ifndef WS_OPS_BACKEND_H
#define WS_OPS_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include "core/ctx.h"

// Geometry of a 2-D convolution over NCHW data with OIHW weights (as PyTorch):
// OH = (H + 2 pad - KH) / stride + 1, OW likewise.
typedef struct {
    int B, C, H, W;      // input (B,C,H,W)
    int O, KH, KW;       // weights (O,C,KH,KW)
    int stride, pad;     // the same in both dimensions
    int OH, OW;          // output (B,O,OH,OW)
    int input_nchw;      // 1: the input is NCHW data whatever the backend's layout (the first layer)
    int plain;           // 1: input and output both NCHW whatever the channel counts (a network whose
                         // convolutions feed max-pooling, LayerNorm and a flatten: Kumar et al.'s CNN)
} ws_conv_shape;

// Fill OH/OW from the rest; returns 0, or -1 if the output would be empty.
int ws_conv_shape_resolve(ws_conv_shape *s);

typedef struct ws_backend {
    const char *name;
    // Activations of C channels are in a blocked layout when C is a multiple of
    // this (16 for oneDNN's nChw16c); 0: always NCHW.
    int blocked_channels;

    // out = in @ w^T + b
    void (*linear_forward)(struct ws_ctx *ctx, float *out,                  // (B,Out)
                           const float *in, const float *w, const float *b, // (B,In) (Out,In) (Out) or NULL
                           int B, int In, int Out);
    // dw += dout^T @ in; db += sum_b dout; din = dout @ w (din may be NULL: first layer)
    void (*linear_backward)(struct ws_ctx *ctx, float *din, float *dw, float *db, // (B,In) (Out,In) (Out)
                            const float *dout, const float *in, const float *w,   // (B,Out) (B,In) (Out,In)
                            int B, int In, int Out);
    // out = max(in, 0); in place allowed
    void (*relu_forward)(struct ws_ctx *ctx, float *out, const float *in, int64_t n);
    // din = dout * (out > 0); in place allowed (din == dout)
    void (*relu_backward)(struct ws_ctx *ctx, float *din, const float *dout, const float *out, int64_t n);
    // out = tanh(in); in place allowed (NaN propagates, as torch.tanh)
    void (*tanh_forward)(struct ws_ctx *ctx, float *out, const float *in, int64_t n);
    // din = dout * (1 - out^2), from the forward's output (as torch's tanh_backward); in place allowed
    void (*tanh_backward)(struct ws_ctx *ctx, float *din, const float *dout, const float *out, int64_t n);
    // Fused, numerically stable softmax + cross-entropy over C classes.
    // probs (B,C) = softmax(logits); losses (B) = -log p[label]; correct (B) =
    // argmax == label (first maximum wins, as torch.argmax). Returns nothing:
    // the caller reduces losses in a fixed order (determinism).
    void (*softmax_ce_forward)(struct ws_ctx *ctx, float *probs, float *losses, uint8_t *correct,
                               const float *logits, const int32_t *labels, int B, int C);
    // dlogits = (probs - onehot(label)) * scale   (scale = 1/B for a mean loss)
    void (*softmax_ce_backward)(struct ws_ctx *ctx, float *dlogits, const float *probs,
                                const int32_t *labels, float scale, int B, int C);

    // LayerNorm over the last N floats of each of B rows (torch.nn.LayerNorm, elementwise
    // affine): out = (in - mean) / sqrt(var + eps) * gamma + beta, with the row's mean and
    // biased variance; saves mean and 1/sqrt(var + eps) per row for backward.
    void (*layernorm_forward)(struct ws_ctx *ctx, float *out, float *save_mean, float *save_invstd, // (B,N) (B) (B)
                              const float *in, const float *gamma, const float *beta,              // (B,N) (N) (N)
                              int B, int N, float eps);
    // din overwritten (may be NULL); dgamma, dbeta accumulate.
    void (*layernorm_backward)(struct ws_ctx *ctx, float *din, float *dgamma, float *dbeta,        // (B,N) (N) (N)
                               const float *dout, const float *in, const float *save_mean,         // (B,N) (B,N) (B)
                               const float *save_invstd, const float *gamma, int B, int N);        // (B) (N)
    // Concatenated ReLU: per row, out = relu(cat(x, -x)): the first N floats relu(x), the next N
    // relu(-x) (the channels of NCHW data too: a row is one example's C*H*W floats).
    void (*crelu_forward)(struct ws_ctx *ctx, float *out, const float *in, int B, int N); // (B,2N) (B,N)
    // din = dout[:, :N] * (out[:, :N] > 0) - dout[:, N:] * (out[:, N:] > 0), from the forward's output.
    void (*crelu_backward)(struct ws_ctx *ctx, float *din, const float *dout, const float *out, int B, // (B,N) (B,2N) (B,2N)
                           int N);

    // ---- convolutional networks (NCHW reference path) ----

    // Scratch floats conv2d_forward/backward need for this shape (e.g. im2col
    // columns); the caller plans it once and passes it in.
    int64_t (*conv2d_workspace)(const ws_conv_shape *s);
    // out = conv(in, w) + b
    void (*conv2d_forward)(struct ws_ctx *ctx, float *out,                                   // (B,O,OH,OW)
                           const float *in, const float *w, const float *b,                  // (B,C,H,W) (O,C,KH,KW) (O) or NULL
                           const ws_conv_shape *s, float *workspace);
    // dw += dL/dw; db += dL/db (db may be NULL: no bias); din = dL/din (din may be NULL)
    void (*conv2d_backward)(struct ws_ctx *ctx, float *din, float *dw, float *db,           // (B,C,H,W) (O,C,KH,KW) (O)
                            const float *dout, const float *in, const float *w,              // (B,O,OH,OW) (B,C,H,W) (O,C,KH,KW)
                            const ws_conv_shape *s, float *workspace);
    // BatchNorm2d, training mode (as torch.nn.BatchNorm2d.train()): normalise
    // with the batch's mean and biased variance over (B,H,W); update the running
    // statistics: running = (1 - momentum) running + momentum batch, with the
    // UNBIASED batch variance (n/(n-1)); save mean and 1/sqrt(var + eps) for backward.
    void (*batchnorm_forward_train)(struct ws_ctx *ctx, float *out, float *save_mean, float *save_invstd, // (B,C,HW) (C) (C)
                                    float *running_mean, float *running_var,                             // (C) (C), updated
                                    const float *in, const float *gamma, const float *beta,              // (B,C,HW) (C) (C)
                                    int B, int C, int HW, float momentum, float eps);
    // Eval mode: out = (in - running_mean) / sqrt(running_var + eps) * gamma + beta.
    void (*batchnorm_forward_eval)(struct ws_ctx *ctx, float *out,                                       // (B,C,HW)
                                   const float *in, const float *gamma, const float *beta,
                                   const float *running_mean, const float *running_var, int B, int C, int HW, float eps);
    // Backward of the training-mode forward: din overwritten; dgamma, dbeta accumulate.
    void (*batchnorm_backward)(struct ws_ctx *ctx, float *din, float *dgamma, float *dbeta,              // (B,C,HW) (C) (C)
                               const float *dout, const float *in, const float *save_mean,
                               const float *save_invstd, const float *gamma, int B, int C, int HW);
    // Global average pooling: out[b,c] = mean over HW of in[b,c,:].
    void (*avgpool_forward)(struct ws_ctx *ctx, float *out, const float *in, int B, int C, int HW); // (B,C) (B,C,HW)
    void (*avgpool_backward)(struct ws_ctx *ctx, float *din, const float *dout, int B, int C, int HW);
    // Max pooling, 2x2 windows, stride 2, over NCHW data (torch.nn.MaxPool2d(2, 2)): OH = H/2,
    // OW = W/2 (floor). Ties go to the first maximum in scan order, a NaN wins (the last NaN),
    // as PyTorch's; the backward routes each output gradient to its window's winner, found
    // again from the input.
    void (*maxpool2_forward)(struct ws_ctx *ctx, float *out, const float *in, int B, int C, int H, int W); // (B,C,OH,OW) (B,C,H,W)
    void (*maxpool2_backward)(struct ws_ctx *ctx, float *din, const float *dout, const float *in,          // (B,C,H,W) (B,C,OH,OW) (B,C,H,W)
                              int B, int C, int H, int W);
    // out = a + b, elementwise (residual add; out may alias a or b).
    void (*add_forward)(struct ws_ctx *ctx, float *out, const float *a, const float *b, int64_t n);

    // ---- fused BatchNorm, what a ResNet runs (one pass over memory where the backend can) ----

    // out = act(bn(z) + res): BatchNorm2d in training mode (as batchnorm_forward_train,
    // running statistics updated, batch statistics saved), then the residual add
    // (res may be NULL), then ReLU when `relu` (identity otherwise).
    void (*bn_act_forward_train)(struct ws_ctx *ctx, float *out, float *save_mean, float *save_invstd, // (B,C,HW) (C) (C)
                                 float *running_mean, float *running_var,                           // (C) (C), updated
                                 const float *z, const float *res, const float *gamma, const float *beta,
                                 int B, int C, int HW, float momentum, float eps, int relu);
    // Eval mode with the running statistics; out may alias z (in-place inference).
    void (*bn_act_forward_eval)(struct ws_ctx *ctx, float *out, const float *z, const float *res,
                                const float *gamma, const float *beta, const float *running_mean,
                                const float *running_var, int B, int C, int HW, float eps, int relu);
    // Backward of bn_act_forward_train: dy = relu ? dout * (out > 0) : dout, with
    // out the forward's output (unused without relu); dres (may be NULL) = dy, the
    // gradient reaching the residual branch; dz = BN backward of dy (overwritten);
    // dgamma, dbeta accumulate.
    void (*bn_act_backward)(struct ws_ctx *ctx, float *dz, float *dres, float *dgamma, float *dbeta,   // (B,C,HW) (B,C,HW) (C) (C)
                            const float *dout, const float *out, const float *z,                        // (B,C,HW) x3
                            const float *save_mean, const float *save_invstd, const float *gamma,
                            int B, int C, int HW, int relu);

    // ---- layout conversion (tests, inspection) ----
    // dst (NCHW) = src (the backend's layout for C channels), and the reverse.
    void (*act_to_nchw)(struct ws_ctx *ctx, float *dst, const float *src, int B, int C, int HW);
    void (*act_from_nchw)(struct ws_ctx *ctx, float *dst, const float *src, int B, int C, int HW);
} ws_backend;

// The reference CPU backend (NCHW, im2col + OpenBLAS): the oracle.
const ws_backend *ws_backend_cpu(void);
// The oneDNN backend: blocked-layout convolutions (oneDNN 2.6) and fused
// BatchNorm kernels over nChw16c; Linear, ReLU, tanh and softmax as the CPU backend.
// Its primitives live in ctx->backend_state (released by ws_ctx_release).
const ws_backend *ws_backend_onednn(void);

// ---- the registry (ops/registry.c): backends by name, the default, a context's choice ----

// "reference" | "onednn" -> the table; NULL for anything else.
const ws_backend *ws_backend_by_name(const char *name);
// The backend of a context that chose none: oneDNN, the fast path ("reference" is the oracle).
const ws_backend *ws_backend_default(void);
// The backend a context runs on: the one ws_ctx_set_backend chose, else the
// default (ws_ctx_init leaves ctx->backend NULL, core knowing no backend).
// Every call site reaches the ops through this.
static inline const ws_backend *ws_backend_of(const struct ws_ctx *ctx) {
    return ctx->backend ? ctx->backend : ws_backend_default();
}
// Switch backend ("reference" | "onednn"), releasing the old one's state.
ws_status ws_ctx_set_backend(ws_ctx *ctx, const char *name);
// "auto" | "direct" -> ctx->conv_algo.
ws_status ws_ctx_set_conv_algo(ws_ctx *ctx, const char *name);
// "fp32" | "bf16" -> ctx->precision (ws_precision, core/ctx.h). bf16 is refused, with a
// message naming the missing AVX512_BF16, on a CPU that lacks it (ws_cpu_has_bf16).
// Both backends honour it in linear_* and conv2d_*: the reference one by rounding the op's
// inputs (activations, weights, output gradient) to bf16 (round to nearest even) and
// running its fp32 kernel, the oracle; oneDNN's Linear on AVX512_BF16 kernels of our own
// (ops/cpu_bf16.c), its convolutions as oneDNN bf16 primitives on bf16 copies made by the
// same rounding (bf16 inputs, fp32 accumulation and outputs). Bias gradients are summed
// from the fp32 output gradient; every other op stays fp32 (docs/PRECISION.md).
ws_status ws_ctx_set_precision(ws_ctx *ctx, const char *name);
// As ws_ctx_set_precision with the CPU's answer given: tests plant a CPU without AVX512_BF16.
ws_status ws_ctx_set_precision_on(ws_ctx *ctx, const char *name, int cpu_has_bf16);
// ws_precision -> "fp32" | "bf16" ("?" for anything else).
const char *ws_precision_name(int precision);
// The numerical libraries linked, their versions and builds, in one line (for results'
// provenance): "OpenBLAS 0.3.21 ... ; oneDNN 2.7.3 (hash)".
void ws_backend_libraries(char *out, size_t cap);

#endif
