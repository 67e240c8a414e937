// The hidden units of a sequential network (the MLP, Kumar et al.'s CNN), as the remedies
// that reset units see them (ReDo, self-normalized resets): for each hidden layer, the
// Linear or Conv2d that makes its units, the LayerNorm between if any, the activation whose
// output is read, and the layer that consumes them, with where each unit's incoming and
// outgoing weights lie in the parameter arena. Residual networks (ResNet-18: a unit feeds
// its block and the shortcut) and CReLU (two outputs per unit) are not sequential in this
// sense, and the remedies refuse them.
#ifndef WS_LEARN_HIDDEN_H
#define WS_LEARN_HIDDEN_H

#include <stdint.h>

#include "core/ctx.h"
#include "nn/model.h"
#include "optim/optim.h"

typedef struct {
    int producer;      // the Linear or Conv2d layer making the units
    int norm;          // the LayerNorm layer between it and the activation, or -1
    int act;           // the activation layer: m->act[act + 1] holds its output (B, units, positions)
    int consumer;      // the Linear or Conv2d layer reading them (after pooling, flattening)
    int units;         // features or channels
    int positions;     // entries per unit in the activation's output (a channel's H*W)
    int64_t fan_in;    // incoming weights per unit (a Linear row, a kernel's in*kh*kw)
    int has_bias;
    int consumer_conv; // the consumer is a convolution: a unit's outgoing weights are w[:, u, :, :]
    int64_t out_span;  // entries of a unit's outgoing weights per consumer output (Linear after
                       // flatten: the unit's H'*W' columns; Conv2d: kh*kw)
} ws_hidden_layer;

// The hidden layers of m in order (at most WS_MAX_LAYERS); 0 when it has none. Fails with a
// message naming the remedy `who` when m is not sequential in the sense above.
ws_status ws_hidden_layers(ws_ctx *ctx, const ws_model *m, const char *who, ws_hidden_layer *out, int *n);

// The mean |h| over the batch's b examples and a unit's positions, per unit, from the
// activation's output of the last forward: score[units].
void ws_hidden_mean_abs(const ws_model *m, const ws_hidden_layer *h, int b, double *score);

// How a unit's bias is reset (ws_hidden_reset_unit's flags).
enum {
    WS_UNIT_BIAS_ZERO = 1,          // the bias 0 (ReDo, SNR), not the fresh initialisation's (cbp)
    WS_UNIT_KEEP_BIAS_MOMENTS = 2,  // the optimizer's moments of the bias kept (ReDo's code)
};

// Reset unit u: incoming weights (and bias) from `fresh` (a fresh initialisation of the same
// architecture); outgoing weights zero; a LayerNorm's scale and offset for the unit back to 1
// and 0; the optimizer's moments of all of these zero (its step count kept), the bias's as
// `flags` say. opt may be NULL.
void ws_hidden_reset_unit(ws_model *m, const ws_hidden_layer *h, int u, const ws_model *fresh, int flags,
                          ws_optim *opt);

#endif
