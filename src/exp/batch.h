// The paper's two-phase batch experiment (Ash & Adams 2020, section 3): split
// the training pool, train on a first part (default: a random half) to the
// threshold, then train on all of it once per learner, each to the threshold
// (by default warm -- continuing from the phase-1 model -- and random -- from
// a fresh initialisation; any learner of learn/learner.h), and compare their
// accuracy on the evaluation split.
#ifndef WS_EXP_BATCH_H
#define WS_EXP_BATCH_H

#include <stdint.h>

#include <cJSON.h>

#include "data/dataset.h"
#include "learn/learner.h"
#include "nn/model.h"
#include "optim/optim.h"
#include "train/train.h"

typedef enum { WS_PROTOCOL_DEFAULT, WS_PROTOCOL_PAPER } ws_protocol;

typedef struct {
    ws_protocol protocol;     // default: official test split, data's own normalisation;
                              // paper: random 2/3 train / 1/3 eval of the official
                              // training set, (x/255 - 0.5)/0.5
    ws_model_kind model;
    int nhidden;
    int hidden[WS_MAX_HIDDEN];
    int width;                // ResNet-18 first-stage channels (the paper's 16)
    ws_opt_config opt1;       // phase 1
    ws_opt_config opt2;       // phase 2 (the paper's lr_2, decay_2)
    int batch1, batch2;       // the paper's batch_size, batch_size_2
    double threshold;
    int max_epochs;
    double first_fraction;    // share of the pool seen in phase 1
    int keep_optim;           // learners other than random keep their optimizer state (paper: rebuilt)
    int phase1_epochs;        // phase 1 stops after this many epochs even below the threshold (0: no cap
                              // but max_epochs): the paper's "warm start from a briefly trained model"
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
    const char *init_from;    // phase 1 starts from this checkpoint instead of a fresh init
    const char *save_dir;     // save seed<S>-{phase1,<learner>}.safetensors here
} ws_batch_config;

void ws_batch_config_defaults(ws_batch_config *cfg);

typedef struct {
    const char *learner;      // "phase1" or a learner's name (owned by the configuration)
    ws_train_result train;
    double test_acc, test_loss;
    int64_t units_replaced;   // continual backprop
} ws_run_result;

typedef struct {
    uint64_t seed;
    int64_t n_pool, n_first, n_eval;
    ws_norm norm;
    ws_run_result phase1;
    int nruns;
    ws_run_result runs[WS_MAX_LEARNERS]; // phase 2, one per learner, in the configuration's order
} ws_batch_seed_result;

// Index lists for one seed: the training pool (cfg->subset of it when set), the
// first phase's part of it, and the evaluation examples (which dataset they
// index is `eval_ds`), by the protocol (paper, validation share, or test split).
typedef struct {
    int32_t *pool, *first, *eval;
    int64_t n_pool, n_first, n_eval;
    const ws_dataset *eval_ds;
} ws_split;

ws_status ws_split_make(ws_ctx *ctx, const ws_batch_config *cfg, const ws_source *src, uint64_t seed, ws_split *s);
void ws_split_free(ws_split *s);

// The model spec for a dataset (input shape and classes from the data).
ws_model_spec ws_batch_model_spec(const ws_batch_config *cfg, const ws_dataset *d);

// Progress hook: called after every epoch of every run.
typedef void (*ws_batch_epoch_fn)(void *user, uint64_t seed, const char *learner, const ws_epoch_record *rec);

// A seed's runs one at a time: phase 1 (shared by the learners), then each
// learner's phase 2 from it. Phase 1's outcome (model, initialisation,
// optimizer state) can be saved and loaded instead of rerun.
typedef struct ws_batch_seed ws_batch_seed;
ws_status ws_batch_seed_open(ws_ctx *ctx, const ws_batch_config *cfg, const ws_source *src, int i, ws_batch_seed **out);
void ws_batch_seed_close(ws_batch_seed *b);
// The seed's facts (seed, pool / first / evaluation sizes, normalisation; no runs).
void ws_batch_seed_info(const ws_batch_seed *b, ws_batch_seed_result *info);
ws_status ws_batch_seed_phase1(ws_batch_seed *b, ws_batch_epoch_fn on_epoch, void *user, ws_run_result *out);
ws_status ws_batch_seed_save_phase1(ws_batch_seed *b, const char *path);
ws_status ws_batch_seed_load_phase1(ws_batch_seed *b, const char *path);
// Learner l's phase 2 (phase 1 run or loaded first).
ws_status ws_batch_seed_learner(ws_batch_seed *b, int l, ws_batch_epoch_fn on_epoch, void *user, ws_run_result *out);

// Run seed number `i` (seed = cfg->seed + i) on `src`; fills `out`.
ws_status ws_batch_run_seed(ws_ctx *ctx, const ws_batch_config *cfg, const ws_source *src, int i,
                            ws_batch_epoch_fn on_epoch, void *user, ws_batch_seed_result *out);
void ws_batch_seed_result_free(ws_batch_seed_result *r);

// A single run (the `train` command): phase 1's settings on the whole training
// pool of seed cfg->seed, evaluated on the evaluation split, saved to save_path
// if given. The result is out->phase1.
ws_status ws_single_run(ws_ctx *ctx, const ws_batch_config *cfg, const ws_source *src, const char *save_path,
                        ws_batch_epoch_fn on_epoch, void *user, ws_batch_seed_result *out);

// Evaluate a checkpoint on the evaluation split of seed cfg->seed.
ws_status ws_eval_checkpoint(ws_ctx *ctx, const ws_batch_config *cfg, const ws_source *src, const char *path,
                             ws_batch_seed_result *out);

// The fully resolved configuration as JSON (recorded with every result).
cJSON *ws_batch_config_json(const ws_batch_config *cfg, const ws_source *src, const ws_ctx *ctx);
// Remove the settings only the two-phase experiment has (phase 2, the first
// fraction, phase-1 epochs, keep-optim) from a configuration built by
// ws_batch_config_json, for scenarios without them (online, transfer).
void ws_config_drop_two_phase(cJSON *config);
// {"mean": [..], "std": [..]} of a normalisation.
cJSON *ws_norm_json(const ws_norm *n);
// One run's record: accuracy, loss, epochs, steps, seconds, the epoch log.
cJSON *ws_run_json(const ws_run_result *r);
// A run's record read back (ws_run_json's inverse, epoch log included;
// learner left NULL); WS_ERR_FORMAT naming the missing field.
ws_status ws_run_from_json(ws_ctx *ctx, const cJSON *j, ws_run_result *r);
ws_status ws_norm_from_json(ws_ctx *ctx, const cJSON *j, ws_norm *n);
// A number field of a record (WS_ERR_FORMAT naming it when absent).
ws_status ws_json_number(ws_ctx *ctx, const cJSON *j, const char *key, double *out);
// One seed's record: seed, split sizes, normalisation, per-run epoch logs and metrics.
cJSON *ws_batch_seed_json(const ws_batch_seed_result *r);

#endif
