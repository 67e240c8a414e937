// The kit every scenario is built from: the settings all of them share (data
// protocol, model, optimizer, stopping rule, learners, seeds: ws_setup), the
// split of a dataset into a training pool and an evaluation set, the model a
// dataset calls for, one run's result and its record. The scenarios (batch.h,
// online.h, transfer.h) each add their own settings to a ws_setup.
#ifndef WS_EXP_SETUP_H
#define WS_EXP_SETUP_H

#include <stdint.h>

#include <cjson/cJSON.h>

#include "data/dataset.h"
#include "learn/learner.h"
#include "nn/inside.h"
#include "nn/model.h"
#include "optim/optim.h"
#include "train/train.h"

typedef enum { WS_PROTOCOL_DEFAULT, WS_PROTOCOL_PAPER } ws_protocol;

// A setting left to the protocol (ws_setup's max_epochs and train_acc).
#define WS_AUTO (-1)

// How inputs are normalised: (x/255 - mean) / std per channel, with mean and std
typedef enum {
    WS_NORM_HALF,  // 0.5 and 0.5 (the official code's)
    WS_NORM_POOL,  // the training pool's own
    WS_NORM_CIFAR, // CIFAR-10's, as the authors' earlier code: (0.4914, 0.4822, 0.4465), (0.2023, 0.1994, 0.2010)
} ws_norm_kind;
const char *ws_norm_kind_name(ws_norm_kind k); // "half", "pool", "cifar"

typedef struct {
    ws_protocol protocol;     // default: official test split, data's own normalisation;
                              // paper: random 2/3 train / 1/3 eval of the official
                              // training set, (x/255 - 0.5)/0.5
    ws_model_kind model;
    int nhidden;
    int hidden[WS_MAX_HIDDEN];
    int width;                // ResNet-18 first-stage channels (the paper's 16); CNN: its channels (Kumar's 16)
    ws_activation activation; // the hidden activation of the MLP and CNN: ReLU (the official code's), tanh (the
                              // authors' earlier code, JordanAsh/warminit twoPhase.py; MLP only) or CReLU
    int no_bias;              // MLP, logreg: Linear layers without biases (the paper's Figure 6)
    int layer_norm;           // MLP, CNN: LayerNorm before each hidden activation (Kumar et al. 2024)
    ws_opt_config opt;        // the optimizer (the two-phase experiment: phase 1's)
    int batch;                // the batch size (the paper's batch_size)
    double threshold;         // a run stops once its training accuracy reaches this
    int max_epochs;           // cap on a run's epochs (0: none; WS_AUTO: 200, none under --protocol paper
                              // as the official code)
    int epochs;               // > 0: every run trains exactly this many epochs (no threshold, plateau or cap)
    int plateau;              // > 0: a run also stops when its training accuracy has not improved for this
                              // many epochs (the authors' rule for models that cannot reach the threshold)
    int train_acc;            // ws_train_acc_kind, or WS_AUTO: official under --protocol paper, else epoch
    int eval_every;           // > 0: every E epochs (and after the last) the test accuracy and loss go
                              // into the epoch log
    int norm;                 // ws_norm_kind, or WS_AUTO: half under --protocol paper, else pool
    int keep_optim;           // learners other than random keep their optimizer state (paper: rebuilt)
    int nlearners;            // the learners run side by side (default: warm, random)
    ws_learner learners[WS_MAX_LEARNERS];
    int seeds;
    uint64_t seed;            // seeds are seed, seed+1, ...
    int64_t subset;           // use a random subset of the training pool (0: all)
    int64_t eval_subset;      // and of the evaluation split (0: all)
    int eval_batch;
    double val_fraction;      // default protocol: evaluate on a random share of the official
                              // training set (held out from training) instead of the test set (0: off)
    ws_augment augment;       // training-batch augmentation (random crop / flip; off by default)
    double confidence_penalty; // > 0: every run's loss is CE - beta * H(softmax) (Pereyra et al. 2017;
                               // train.h); 0: off
    double fgsm_eps;           // > 0: every run trains adversarially, FGSM with this epsilon in
                               // normalised-input units (Goodfellow et al. 2015; train.h); 0: off
    int probe;                // measurements inside the network (nn/inside.h) at every run's, round's or
                              // task's end on this many probe examples (0: none)
    const char *init_from;    // the first model starts from this checkpoint instead of a fresh init
    const char *save_dir;     // the two-phase experiment: save its models here
} ws_setup;

// The official code's: its MLP (100, 100) or ResNet-18 (width 16), Adam at 1e-3, batch 128,
// to 99 % training accuracy (at most 200 epochs; no cap under --protocol paper), warm and
// random, one seed.
void ws_setup_defaults(ws_setup *s);

// The settings WS_AUTO leaves to the protocol, resolved.
int ws_setup_max_epochs(const ws_setup *s);
ws_norm_kind ws_setup_norm_kind(const ws_setup *s);
ws_train_acc_kind ws_setup_train_acc(const ws_setup *s);
// Refuse settings that contradict each other (fixed epochs with a plateau or a cap, tanh or no
// biases for a model that has no such choice, ...).
ws_status ws_setup_check(ws_ctx *ctx, const ws_setup *s);

// Index lists for one seed: the training pool (s->subset of it when set) and the evaluation
// examples (which dataset they index is `eval_ds`), by the protocol (paper, validation
// share, or test split).
typedef struct {
    int32_t *pool, *eval;
    int64_t n_pool, n_eval;
    const ws_dataset *eval_ds;
} ws_split;

ws_status ws_split_make(ws_ctx *ctx, const ws_setup *s, const ws_source *src, uint64_t seed, ws_split *out);
void ws_split_free(ws_split *s);

// The stopping rule, accuracy measure, augmentation and evaluation of one run trained with
// batch size `batch`, evaluated (eval_every) on the split's evaluation examples.
ws_train_config ws_setup_train_config(const ws_setup *s, int batch, const ws_split *sp);

// The normalisation of a seed's data: 0.5/0.5, the pool's own mean/std, or CIFAR-10's (ws_norm_kind).
void ws_setup_norm(const ws_setup *s, const ws_source *src, const ws_split *sp, ws_norm *out);

// The model spec for a dataset (input shape and classes from the data).
ws_model_spec ws_setup_model_spec(const ws_setup *s, const ws_dataset *d);
// Learner l's own network: the experiment's, with the learner's layer-norm / activation
// (ws_learner_model_spec; only where each learner builds its own: online, active, continual).
ws_model_spec ws_setup_learner_spec(const ws_setup *s, const ws_dataset *d, int l);

// Gradient norms through a run (the paper's Figure 5): after `step` updates, the norm of the
// mean loss's gradient on a fixed sample of the old examples (phase 1's) and of the new ones.
typedef struct {
    int n, cap;
    int every;                // measured every this many steps (and at step 0)
    int64_t examples;         // on up to this many old and this many new examples
    int64_t *step;
    double *old_norm, *new_norm;
} ws_grad_log;
ws_status ws_grad_log_add(ws_grad_log *g, int64_t step, double old_norm, double new_norm);

// Accuracy of a trained model with every parameter multiplied by lambda, without training
// (the paper's Figure 6); BatchNorm's running statistics stay as trained.
typedef struct {
    int n;
    double *lambda, *test_acc, *test_loss;
} ws_shrink_curve;

// One run's result: trained by its stopping rule, then evaluated.
typedef struct ws_run_result {
    const char *learner;      // "phase1" or a learner's name (owned by the configuration)
    ws_train_result train;
    double test_acc, test_loss;
    int64_t units_replaced;   // continual backprop
    struct ws_run_result *own_phase1; // the two-phase experiment under --protocol paper: a learner whose
                                      // first round is not the shared phase 1 (shrink-perturb) trains its
                                      // own first phase, recorded here (owned; NULL otherwise)
    ws_grad_log grads;        // the two-phase experiment with grad_every (n 0: not measured)
    ws_shrink_curve shrink;   // the two-phase experiment with shrink-only evaluation (n 0: none)
    ws_inside *inside;        // measured inside at its end on the probe (owned; NULL: not measured)
} ws_run_result;
void ws_run_result_free(ws_run_result *r);

// Progress hook: called after every epoch of every run.
typedef void (*ws_run_epoch_fn)(void *user, uint64_t seed, const char *learner, const ws_epoch_record *rec);

// The resolved configuration as JSON (recorded with every result): "experiment" names the
// scenario; `after_phase1`, when given, holds the scenario's own settings, moved in after
// the optimizer's ("phase1") and emptied.
cJSON *ws_setup_json(const ws_setup *s, const char *experiment, const ws_source *src, const ws_ctx *ctx,
                     cJSON *after_phase1);
// An optimizer's settings with its batch size.
cJSON *ws_opt_json(const ws_opt_config *o, int batch);
// {"mean": [..], "std": [..]} of a normalisation, and back.
cJSON *ws_norm_json(const ws_norm *n);
ws_status ws_norm_from_json(ws_ctx *ctx, const cJSON *j, ws_norm *n);
// One run's record: accuracy, loss, epochs, steps, seconds, the epoch log; and back
// (epoch log included; learner left NULL; WS_ERR_FORMAT naming the missing field).
cJSON *ws_run_json(const ws_run_result *r);
// A run's epoch log (epoch, loss, train_acc, [hit_rate], seconds, [test_acc, test_loss]) and back.
cJSON *ws_epoch_log_json(const ws_train_result *t);
ws_status ws_epoch_log_from_json(ws_ctx *ctx, const cJSON *log, int nepochs, ws_train_result *t);
// A record's "stop" (older records have none: the cap unless converged).
ws_stop_reason ws_stop_reason_parse(const char *name, int converged);
ws_status ws_run_from_json(ws_ctx *ctx, const cJSON *j, ws_run_result *r);

// A chain's checkpoint (online's rounds, continual's tasks): what every chain keeps -- its kind,
// learner, seed, the next round (under `next_key`), its training seconds so far, its model and
// initialisation -- to which the caller adds its own and the learner's state, then writes.
typedef struct {
    const char *kind, *learner, *next_key;
    uint64_t seed;
    int next, rounds;        // the next round; how many the chain has (a checkpoint's next is in 1..rounds)
    double *cum_seconds;
    ws_model *m;
    float *init;
} ws_chain_state;
void ws_chain_ckpt_begin(ws_ckpt *k, const ws_chain_state *c);
// Read those back from the checkpoint f at path (opened by the caller), refusing one of another
// chain (learner, seed) or a next round out of range; *next gets it.
ws_status ws_chain_ckpt_read(ws_ctx *ctx, const ws_st_file *f, const char *path, const ws_chain_state *c, int *next);

// The probe of the measurements inside the network: up to s->probe examples of idx[0..n) of
// d, the first of a seeded shuffle (stream "probe"), normalised; the same for every learner
// of a seed. Its size is 0 when s->probe is 0.
typedef struct {
    float *x;
    int32_t *y;
    int n;
} ws_probe;
ws_status ws_probe_make(ws_ctx *ctx, const ws_setup *s, const ws_dataset *d, const ws_norm *norm, const int32_t *idx,
                        int64_t n, uint64_t seed, ws_probe *out);
void ws_probe_free(ws_probe *p);
// m measured inside on the probe into a fresh *out (NULL, and nothing done, for an empty probe);
// w0: the initialisation its distance is from (NULL: none). Its time is not a run's.
ws_status ws_probe_measure(ws_ctx *ctx, ws_model *m, const float *w0, const ws_probe *p, ws_inside **out);

#endif
