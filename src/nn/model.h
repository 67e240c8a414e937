// A model, the container: an ordered list of layers, its named parameters in
// one flat arena (PyTorch names and layouts, so checkpoints interchange), the
// gradient arena of the same size, and activation memory planned once for a
// maximum batch size. Because parameters and gradients are each one contiguous
// array, optimizers, shrink-perturb and weight statistics are single flat loops.
// Which networks there are (logreg, MLP, ResNet-18, CNN) and how each is built into a
// container is the zoo's (nn/zoo.h, included at the end for callers).
#ifndef WS_NN_MODEL_H
#define WS_NN_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "core/ctx.h"
#include "core/rng.h"
#include "nn/layer.h"
#include "ops/backend.h" // the backend a model runs on: ws_ctx_set_backend, ws_backend_of

#define WS_MAX_LAYERS 64
#define WS_MAX_PARAMS 256
#define WS_MAX_HIDDEN 16

typedef struct {
    char name[64];   // e.g. "lm1.weight"
    int ndim;
    int dims[4];     // PyTorch layout: Linear weight (out, in)
    int64_t offset;  // into the arenas, in floats
    int64_t numel;
} ws_param;

// Non-trainable state saved with the parameters (BatchNorm's running
// statistics): F32 buffers live in the float arena m->buf, I64 ones
// (num_batches_tracked) in m->ibuf.
typedef enum { WS_BUF_F32, WS_BUF_I64 } ws_buf_dtype;

typedef struct {
    char name[64];   // e.g. "bn1.running_mean"
    ws_buf_dtype dtype;
    int ndim;        // 0 for a scalar (num_batches_tracked)
    int dims[4];
    int64_t offset;  // into m->buf or m->ibuf
    int64_t numel;
} ws_buffer;

typedef enum { WS_MODEL_LOGREG, WS_MODEL_MLP, WS_MODEL_RESNET18, WS_MODEL_CNN } ws_model_kind;

// The hidden activation of the MLP and the CNN: ReLU (the official code's), tanh
// (the authors' earlier code, JordanAsh/warminit twoPhase.py; MLP only) or the
// concatenated ReLU relu(cat(x, -x)) (Shang et al. 2016, as Kumar et al. 2024 use
// it), whose layer after doubles its input and whose widths the zoo reduces so
// that the parameter count stays the plain network's (ws_model_widths_of).
typedef enum { WS_ACT_RELU, WS_ACT_TANH, WS_ACT_CRELU } ws_activation;

typedef struct {
    ws_model_kind kind;
    ws_shape input;          // per example, e.g. (1,28,28)
    int num_classes;
    int nhidden;             // MLP only
    int hidden[WS_MAX_HIDDEN];
    int width;               // ResNet-18: channels of the first stage (paper 16; common 64);
                             // CNN: channels of both convolutions (Kumar et al.'s 16)
    ws_activation act;       // MLP, CNN: the hidden activation (default ReLU)
    int no_bias;             // MLP, logreg: Linear layers without a bias (the paper's Figure 6); PyTorch's
                             // names stay (lm1.weight, no lm1.bias)
    int layer_norm;          // MLP, CNN: LayerNorm after each hidden Linear / convolution, before the
                             // activation (Kumar et al.'s apply_layer_norm): ln1.. in the MLP,
                             // layer_norm1.. in the CNN
} ws_model_spec;

// The widths a model is built with: the spec's, or under CReLU each hidden width and the
// channel count cut to int((1 - f) w), f the fraction_removed that Kumar et al.'s rule
// picks (ws_model_widths_of).
typedef struct {
    int channels;               // CNN
    int hidden[WS_MAX_HIDDEN];
    double fraction_removed;    // 0 without CReLU
} ws_model_widths;

typedef struct ws_model {
    ws_model_spec spec;
    char arch[160];          // human/recorded description, e.g. "mlp 784-100-100-10"
    ws_layer layers[WS_MAX_LAYERS];
    int nlayers;
    ws_param params[WS_MAX_PARAMS];
    int nparams;
    int64_t nweights;        // floats in each arena
    float *w;                // parameters
    float *g;                // gradients (same layout); allocated by the first training plan (ws_model_plan)
    ws_buffer buffers[WS_MAX_PARAMS];
    int nbuffers;
    int64_t nbuf, nibuf;     // floats in m->buf, int64s in m->ibuf
    float *buf;              // F32 buffers (BN running mean / var)
    int64_t *ibuf;           // I64 buffers (BN num_batches_tracked)

    // Planned activation memory for batches of up to `planned_batch`: a training
    // plan (every layer's output and saved state kept for backward; gradients in
    // two alternating buffers plus one shared gradient scratch) or an inference
    // plan (outputs in two alternating buffers, one shared saved region).
    int planned_batch;
    int planned_train;       // 1: the plan is a training plan (backward allowed)
    float *act_arena, *dact_arena;
    int64_t act_cap, dact_cap, scratch_cap; // floats allocated (plans re-carve within them)
    float *scratch;          // shared per-pass scratch (im2col), the largest a layer needs
    float *act[WS_MAX_LAYERS + 1];  // act[0] = input, act[i+1] = output of layer i
    float *dact[WS_MAX_LAYERS + 1]; // gradients w.r.t. the same
    float *probs, *losses;   // the softmax head, for batches up to head_batch
    uint8_t *correct;
    int head_batch;
} ws_model;

// ---- building a container (the zoo's builders, nn/zoo.c and nn/resnet.c) ----

// An empty model recording the spec it is built from (no layers, no arenas);
// NULL when out of memory (ctx->err says so).
ws_model *ws_model_new(ws_ctx *ctx, const ws_model_spec *spec);
// The next layer slot, for a layer constructor to fill.
ws_layer *ws_model_add_layer(ws_model *m);
// Register a parameter / buffer while building a layer (used by layer constructors).
int ws_model_add_param(ws_model *m, const char *layer, const char *suffix, int ndim, const int *dims);
int ws_model_add_buffer(ws_model *m, const char *layer, const char *suffix, ws_buf_dtype dtype, int ndim,
                        const int *dims);
// Once every layer has registered: allocate the parameter and buffer arenas
// (zero) and hand the model to *out; on failure m is freed.
ws_status ws_model_finish(ws_ctx *ctx, ws_model *m, ws_model **out);

// Layer constructors (nn/linear.c, nn/activations.c). A Linear layer registers
// "<name>.weight" and "<name>.bias"; one without a bias (torch.nn.Linear(bias=False))
// "<name>.weight" only.
void ws_layer_linear(ws_model *m, ws_layer *L, const char *name, int in, int out);
void ws_layer_linear_nobias(ws_model *m, ws_layer *L, const char *name, int in, int out);
void ws_layer_relu(ws_layer *L, const char *name, ws_shape s);
void ws_layer_tanh(ws_layer *L, const char *name, ws_shape s);
void ws_layer_flatten(ws_layer *L, const char *name, ws_shape in);
// CReLU (nn/activations.c): (C,H,W) -> (2C,H,W), per example relu(x) then relu(-x).
void ws_layer_crelu(ws_layer *L, const char *name, ws_shape s);
// Conv2d with a bias, stride 1, no padding, NCHW on both sides (nn/conv.c): "<name>.weight"
// (O,C,k,k), "<name>.bias" (O). WS_ERR_ARG when the input is smaller than the kernel.
ws_status ws_layer_conv2d(ws_ctx *ctx, ws_model *m, ws_layer *L, const char *name, ws_shape in, int out_channels,
                          int k);
// Max pooling 2x2, stride 2 (nn/pool.c): (C,H,W) -> (C,H/2,W/2).
void ws_layer_maxpool2(ws_layer *L, const char *name, ws_shape in);
// LayerNorm over the example's shape s (nn/layernorm.c): "<name>.weight", "<name>.bias" of
// shape (N) for a flat s, (C,H,W) otherwise.
ws_status ws_layer_layernorm(ws_ctx *ctx, ws_model *m, ws_layer *L, const char *name, ws_shape s);

// ---- using a container ----

void ws_model_free(ws_model *m);

// Fresh initialisation (PyTorch defaults) drawn from `rng`, layer by layer.
void ws_model_init(ws_model *m, ws_rng *rng);

// Floats a plan for batch B needs for activations, saved state and gradients
// (scratch excluded): what a batch of B costs in memory, for training or for
// inference.
int64_t ws_model_plan_floats(const ws_model *m, int B, int train);

// Plan activation memory for training batches up to B (no-op if a training
// plan for B exists). Memory already allocated is reused when it is enough.
ws_status ws_model_plan(ws_ctx *ctx, ws_model *m, int B);

// Plan for inference only (forward with train = 0) at batches up to B: a few
// activations' worth instead of the whole network's. No-op if any plan for B
// exists (a training plan serves inference too). ws_model_backward needs a
// training plan: call ws_model_plan again before training.
ws_status ws_model_plan_inference(ws_ctx *ctx, ws_model *m, int B);

// Forward pass of a batch x (B, numel(input)) into the planned buffers; returns
// the logits (B, num_classes), which live until the next forward.
const float *ws_model_forward(ws_ctx *ctx, ws_model *m, const float *x, int B, int train);

// Softmax cross-entropy on the last forward's logits. Returns the mean loss
// (summed in a fixed order, in double); *ncorrect gets the argmax hits.
double ws_model_loss(ws_ctx *ctx, ws_model *m, const int32_t *y, int B, int *ncorrect);

// Backward from the mean loss of the last ws_model_loss. Gradients ACCUMULATE
// into m->g: call ws_model_zero_grad first for a fresh step.
void ws_model_backward(ws_ctx *ctx, ws_model *m, const int32_t *y, int B);

// What a training step may ask of the backward beyond the plain one (a regulariser's).
typedef struct {
    // beta >= 0: the loss differentiated is CE - beta * H, H the mean over the batch of the
    // entropy -sum_j p_j log p_j of each example's softmax (the confidence penalty, Pereyra
    // et al. 2017); its gradient w.r.t. logit j of an example is beta * p_j * (log p_j + H)
    // / B, p and log p computed in double from the logits. 0: off, the plain gradient.
    double confidence_penalty;
    // Non-NULL: also the gradient of the same loss w.r.t. the model's input, written over
    // dx[0 .. B*numel(input)) (FGSM's). NULL: the first parameterised layer skips its
    // input gradient, as the plain backward does.
    float *dx;
} ws_backward_opts;

// ws_model_backward with opts (NULL, or all zero: exactly ws_model_backward).
void ws_model_backward_ex(ws_ctx *ctx, ws_model *m, const int32_t *y, int B, const ws_backward_opts *opts);

// The mean over the batch of the entropy of each example's softmax, from the last
// forward's logits (computed in double): the H of the confidence penalty.
double ws_model_entropy(const ws_model *m, int B);
void ws_model_zero_grad(ws_model *m);

// Parameter lookup by PyTorch name; NULL if absent.
const ws_param *ws_model_param(const ws_model *m, const char *name);

// Buffer lookup by PyTorch name; NULL if absent.
const ws_buffer *ws_model_buffer(const ws_model *m, const char *name);

// Copy the weights (and buffers) of a model of identical architecture.
ws_status ws_model_copy_weights(ws_ctx *ctx, ws_model *dst, const ws_model *src);

// The zoo (ws_model_create by kind, kind names, descriptions), for callers
// that include only this header.
#include "nn/zoo.h"

#endif
