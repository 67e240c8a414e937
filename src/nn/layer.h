// Layers: a small vtable over a private struct. A layer knows its per-example
// input and output shapes and which entries of the model's named-parameter
// table are its own; the model owns all memory (parameter and gradient arenas,
// planned activations), so a layer's forward/backward only reads and writes
// the buffers it is handed.
#ifndef WS_NN_LAYER_H
#define WS_NN_LAYER_H

#include <stdint.h>

#include "core/ctx.h"
#include "core/rng.h"

typedef struct { int c, h, w; } ws_shape; // one example; a flat vector is (n,1,1)

static inline int64_t ws_shape_numel(ws_shape s) { return (int64_t)s.c * s.h * s.w; }

struct ws_model;
typedef struct ws_layer ws_layer;

typedef struct ws_layer_ops {
    const char *kind;
    // A view layer (Flatten) changes only the shape: its output aliases its
    // input and the model skips its forward/backward.
    int is_view;
    // 1: the layer's output is a hidden layer's units after their activation (ReLU, tanh; a
    // ResNet stem or block ends in a ReLU), which measurements inside the network count
    // (nn/inside.h: dormant units). A new activation layer sets it.
    int post_activation;
    void (*forward)(ws_layer *L, ws_ctx *ctx, struct ws_model *m, float *out, const float *in, int B, int train);
    // din may be NULL when nothing below needs it (the first layers).
    void (*backward)(ws_layer *L, ws_ctx *ctx, struct ws_model *m, float *din, const float *dout,
                     const float *in, const float *out, int B);
    // Fresh initialisation of the layer's parameters and buffers, PyTorch's default scheme.
    void (*init)(ws_layer *L, struct ws_model *m, ws_rng *rng);

    // Optional, for layers with insides (BatchNorm inputs, the insides of a
    // residual block). Floats of saved state at batch B: for training (`train`:
    // kept from forward to backward, so every layer gets its own), or for
    // inference (needed only during the layer's own forward, so all layers share
    // one region, the largest any asks for).
    int64_t (*saved_floats)(const ws_layer *L, int B, int train);
    // Floats of gradient scratch the layer's backward needs at batch B (shared
    // by all layers: a backward leaves nothing in it).
    int64_t (*dsaved_floats)(const ws_layer *L, int B);
    // Floats of shared scratch (e.g. im2col columns) a pass needs at batch B;
    // the model plans one scratch buffer, the largest any layer asks for.
    int64_t (*scratch_floats)(const ws_layer *L, const ws_ctx *ctx, int B);
    // Hand the layer its planned regions (called by ws_model_plan /
    // ws_model_plan_inference; dsaved is NULL for inference).
    void (*plan)(ws_layer *L, float *saved, float *dsaved, int B, int train);
    // Free `priv`.
    void (*destroy)(ws_layer *L);
} ws_layer_ops;

struct ws_layer {
    const ws_layer_ops *ops;
    char name[48];   // PyTorch module name: parameters are "<name>.weight" etc.
    ws_shape in, out;
    int param0;      // index of its first entry in the model's parameter table
    int nparams;     // number of entries (0 for ReLU, Flatten)
    int plain_out;   // its output is plain NCHW whatever the backend's layout for its channels (the
                     // layers after a plain convolution: ws_conv_shape.plain), so a reader of it
                     // (nn/inside.c) must not convert it
    void *priv;      // layer-private state (conv/BN units, residual blocks), or NULL
};

#endif
