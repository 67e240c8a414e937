// What the paper measures about a model beyond its accuracy: how far training
// moved the weights (Pearson correlation, cosine similarity and L2 distance
// between two weight vectors, for the whole model and per layer), and how large
// the loss gradient is on a set of examples (the paper's "warm models see
// larger gradients on new data than on old").
#ifndef WS_EXP_METRICS_H
#define WS_EXP_METRICS_H

#include <stdint.h>

#include <cjson/cJSON.h>

#include "data/dataset.h"
#include "nn/model.h"

typedef struct {
    double pearson;   // correlation of the entries (0 if either vector is constant)
    double cosine;    // a.b / (|a| |b|) (0 if either is zero)
    double l2;        // |a - b|
    double spearman;  // rank correlation (ties averaged); NAN where not computed (per layer)
} ws_similarity;

// {"pearson": .., "cosine": .., "l2": .., ["spearman": ..]}
cJSON *ws_similarity_json(const ws_similarity *s);
// And back (0 if j is not such an object).
int ws_similarity_from_json(const cJSON *j, ws_similarity *s);

// Similarity of a[0..n) and b[0..n), accumulated in double in a fixed order: Pearson, cosine,
// L2 and Spearman's rank correlation (the authors' two-phase code printed it beside Pearson).
ws_similarity ws_similarity_of(const float *a, const float *b, int64_t n);

// Spearman's rank correlation of a[0..n) and b[0..n): Pearson's of their ranks, tied entries
// sharing their mean rank (0 if either is constant; NAN without memory for the ranks).
double ws_spearman(const float *a, const float *b, int64_t n);

// Per layer: the parameters whose names share the part before the last '.'
// ("lm1.weight", "lm1.bias" -> "lm1"), in model order; Spearman left out (NAN: a sort per
// layer per round is the whole model's cost again, for little). Returns the number of
// layers (at most cap) and fills names and sims.
int ws_similarity_per_layer(const ws_model *m, const float *a, const float *b, char (*names)[64], ws_similarity *sims,
                            int cap);

// L2 norm of the gradient of the mean training-mode loss over examples idx[0..n)
// (in batches of up to `batch`; the model's own planned batch must allow it),
// leaving the model's weights, buffers (BatchNorm statistics) and gradient
// arena as they were. `scratch` holds m->nweights floats.
ws_status ws_grad_norm(ws_ctx *ctx, ws_model *m, const ws_dataset *d, const ws_norm *norm, const int32_t *idx,
                       int64_t n, int batch, float *scratch, double *out);

// Shrink without training (the paper's Figure 6): for each lambda[k], the accuracy and mean
// loss (eval mode) of m with every parameter multiplied by lambda[k] -- BatchNorm's running
// statistics as they are -- on examples idx[0..n). The weights are put back bit for bit.
// `scratch` holds m->nweights floats.
ws_status ws_shrink_eval(ws_ctx *ctx, ws_model *m, const ws_dataset *d, const ws_norm *norm, const int32_t *idx,
                         int64_t n, int batch, const double *lambda, int k, float *scratch, double *acc, double *loss);

#endif
