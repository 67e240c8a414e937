// Measurements inside the network, on a fixed probe batch: dormant units per hidden layer,
// the rank of the penultimate features, the stable rank of each weight matrix, the size of
// the parameter vector, its distance from the initialisation and the gradient norm.
// Every formula, its source and the choices made: docs/MEASUREMENTS.md.
//
// A measurement leaves the model as training sees it: weights, the gradient arena,
// BatchNorm's running statistics and counts are put back bit for bit (the optimizer's
// state is never touched). The forwards that read the units run in eval mode (train = 0);
// the gradient norm needs a backward and so a train-mode forward, as the two-phase
// experiment's gradient norms (exp/batch.c, probe_grads). The probe goes through the
// model in chunks of at most the planned training batch, so a probe larger than the
// training batch costs no more activation memory than training does.
#ifndef WS_NN_INSIDE_H
#define WS_NN_INSIDE_H

#include <stdint.h>

#include "core/ctx.h"
#include "nn/model.h"

// ReDo's thresholds tau (Sokar et al. 2023): a unit is tau-dormant when its normalised
// score is <= tau.
#define WS_INSIDE_NTAU 3
#define WS_INSIDE_TAUS {0.0, 0.025, 0.1}
// The epsilon added to the mean score before dividing (google/dopamine labs/redo
// weight_recyclers.py, estimate_neuron_score).
#define WS_INSIDE_REDO_EPS 1e-9
// Dohare et al. 2024: a unit active on fewer than this share of the probe's inputs (and
// positions) is dormant.
#define WS_INSIDE_DOHARE_THRESHOLD 0.01
// srank's delta (Kumar et al. 2021).
#define WS_INSIDE_SRANK_DELTA 0.01

// One hidden layer (a layer whose ops say post_activation).
typedef struct {
    char name[48];           // the layer's name: "relu1", "conv1" (ResNet stem), "layer2.0"
    int units;               // features of an MLP layer, channels of a convolutional one
    int positions;           // spatial positions per unit and example (H*W; 1 for an MLP)
    double redo_dormant[WS_INSIDE_NTAU]; // share of units tau-dormant, tau = WS_INSIDE_TAUS
    double dohare_dormant;   // share of units active on < 1 % of the inputs x positions
    double active_fraction;  // share of (unit, input, position) outputs that are > 0
} ws_inside_layer;

// One weight matrix (a parameter of ndim >= 2; a conv weight (O,C,KH,KW) as O x C*KH*KW).
typedef struct {
    char name[64];
    int rows, cols;
    double stable_rank;      // ||W||_F^2 / ||W||_2^2 (0 for a zero matrix)
} ws_inside_matrix;

typedef struct {
    int probe_examples;      // B
    int nlayers;
    ws_inside_layer layers[WS_MAX_LAYERS];
    int feature_dim;         // d: the penultimate features (the last Linear layer's input), B x d
    int feature_srank;       // min k with sum_{i<=k} s_i / sum s_i >= 1 - delta
    double feature_effective_rank; // exp(entropy of s_i / sum s)
    int nmatrices;
    ws_inside_matrix matrices[WS_MAX_PARAMS];
    double param_mean_abs;   // mean |theta| over every parameter
    double param_norm;       // ||theta||_2
    double param_dist_init;  // ||theta - theta0||_2 (NAN when no theta0 is given)
    double grad_norm;        // ||grad of the mean cross-entropy on the probe||_2 (train mode)
} ws_inside;

typedef struct {
    // Examples per pass through the model; 0: the planned training batch if the model has a
    // training plan, else WS_INSIDE_DEFAULT_CHUNK (never more than the probe). The model is
    // planned for training at this size when its plan is smaller (ws_model_plan).
    int chunk;
} ws_inside_opts;

#define WS_INSIDE_DEFAULT_CHUNK 64

// The whole network in a few numbers (the results table's, the claims' and the figures'): the
// dormant and active shares over every hidden unit of every layer (a layer weighs by its
// units; the active share by its outputs, units x positions), the features' ranks, the
// parameters' size and distance from the initialisation, the gradient norm. NAN where the
// network has no hidden layer.
typedef struct {
    double redo_dormant[WS_INSIDE_NTAU], dohare_dormant, active_fraction;
    double srank, effective_rank, param_mean_abs, param_norm, param_dist_init, grad_norm;
} ws_inside_summary;
ws_inside_summary ws_inside_summarise(const ws_inside *in);

// Measure m on the probe x (B x numel(input), the model's input layout) with labels y (B).
// w0: the initial parameters in the layout of m->w, or NULL (param_dist_init is NAN then).
// opts may be NULL (defaults). Fills *out; WS_ERR_NOMEM, or the backend's fault, on failure
// (the model is put back as it was in every case).
ws_status ws_inside_measure(ws_ctx *ctx, ws_model *m, const float *w0, const float *x, const int32_t *y, int B,
                            const ws_inside_opts *opts, ws_inside *out);

// ---- the formulas, on plain arrays (tested on known answers) ----

// The singular values of a (rows x cols, row-major, double), descending, into sv
// (min(rows, cols) entries), by LAPACK's dgesdd; a is not modified.
ws_status ws_singular_values(ws_ctx *ctx, const double *a, int rows, int cols, double *sv);

// srank_delta (Kumar et al. 2021) of n singular values in descending order: the least k
// with sum_{i<=k} sv_i >= (1 - delta) sum sv; 0 when every sv is 0.
int ws_srank(const double *sv, int n, double delta);

// Effective rank (Roy & Vetterli 2007): exp(-sum p_i log p_i), p_i = sv_i / sum sv, 0 log 0
// = 0; 0 when every sv is 0.
double ws_effective_rank(const double *sv, int n);

// Stable rank sum sv_i^2 / sv_1^2 of n singular values in descending order (0 if sv_1 = 0).
double ws_stable_rank(const double *sv, int n);

// ReDo's share of tau-dormant units from the units' mean |h| (n): a unit is dormant when
// mean_abs_i / (mean_j mean_abs_j + WS_INSIDE_REDO_EPS) <= tau.
double ws_redo_dormant_fraction(const double *mean_abs, int n, double tau);

// Dohare et al.'s share of dormant units: active[i] of `count` outputs of unit i were > 0;
// dormant when active[i] / count < threshold.
double ws_dohare_dormant_fraction(const int64_t *active, int n, int64_t count, double threshold);

#endif
