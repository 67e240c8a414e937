// The backend seam. Every numerical kernel the engine runs is reached through
// this table, so a CUDA (or oneDNN) backend slots in by providing another table;
// the reference CPU backend stays the oracle the others are tested against.
//
// Conventions (as llm.c): outputs first, then inputs, then sizes; shapes in the
// comments; row-major; float32. Backward kernels ACCUMULATE (+=) into parameter
// gradients, so a model's gradients are zeroed once per step with one memset of
// the flat gradient arena; input gradients (din) are overwritten.
#ifndef WS_OPS_BACKEND_H
#define WS_OPS_BACKEND_H

#include <stdint.h>

struct ws_ctx;

typedef struct ws_backend {
    const char *name;

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
    // Fused, numerically stable softmax + cross-entropy over C classes.
    // probs (B,C) = softmax(logits); losses (B) = -log p[label]; correct (B) =
    // argmax == label (first maximum wins, as torch.argmax). Returns nothing:
    // the caller reduces losses in a fixed order (determinism).
    void (*softmax_ce_forward)(struct ws_ctx *ctx, float *probs, float *losses, uint8_t *correct,
                               const float *logits, const int32_t *labels, int B, int C);
    // dlogits = (probs - onehot(label)) * scale   (scale = 1/B for a mean loss)
    void (*softmax_ce_backward)(struct ws_ctx *ctx, float *dlogits, const float *probs,
                                const int32_t *labels, float scale, int B, int C);
} ws_backend;

const ws_backend *ws_backend_cpu(void);

#endif
