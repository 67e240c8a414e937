// The paper's two-phase batch experiment (Ash & Adams 2020, section 3): split
// the training pool, train on a first part (default: a random half) to the
// threshold, then train on all of it once per learner, each to the threshold
// (by default warm -- continuing from the phase-1 model -- and random -- from
// a fresh initialisation; any learner of learn/learner.h), and compare their
// accuracy on the evaluation split.
#ifndef WS_EXP_BATCH_H
#define WS_EXP_BATCH_H

#include <stdint.h>

#include "exp/setup.h"

#define WS_MAX_DRAW 16
#define WS_MAX_SHRINK 256

typedef struct {
    ws_setup base;            // all but phase 2: phase 1 trains with base.opt and base.batch
    ws_opt_config opt2;       // phase 2 (the paper's lr_2, decay_2)
    int batch2;               // the paper's batch_size_2
    double first_fraction;    // share of the pool seen in phase 1
    int phase1_epochs;        // > 0: phase 1 trains exactly this many epochs, threshold or not (0: by the
                              // setup's stopping rule): warm starts taken along phase 1 (the paper's Figure 4)
    // Phase 2's lr and batch drawn per seed, uniformly, from these values (0 values: not drawn)
    // for the learners that continue from phase 1; random then trains with phase 1's settings
    // (the grid point's). The lr x batch sweep as the [Re] reproduction ran the paper's.
    int nlr2_draw, nbatch2_draw;
    double lr2_draw[WS_MAX_DRAW];
    int batch2_draw[WS_MAX_DRAW];
    // The paper's Figure 5: through phase 2, every grad_every steps (and before the first), the
    // gradient norm on up to grad_examples old examples (phase 1's) and as many new ones (0: off).
    int grad_every;
    int64_t grad_examples;    // 0: all
    // The paper's Figure 6: every trained model (phase 1's, each learner's) also evaluated with its
    // parameters multiplied by each of these, untrained (ws_shrink_eval).
    int nshrink;
    double shrink_lambda[WS_MAX_SHRINK];
} ws_batch_config;            // base.save_dir: save seed<S>-{phase1,<learner>}.safetensors there

void ws_batch_config_defaults(ws_batch_config *cfg);

typedef struct {
    uint64_t seed;
    int64_t n_pool, n_first, n_eval;
    ws_norm norm;
    ws_opt_config opt2;       // phase 2's settings for this seed (drawn, or the configuration's)
    int batch2;
    int drawn;                // opt2.lr / batch2 were drawn (ws_batch_config's *_draw)
    ws_run_result phase1;
    int nruns;
    ws_run_result runs[WS_MAX_LEARNERS]; // phase 2, one per learner, in the configuration's order
} ws_batch_seed_result;

// A seed's runs one at a time: phase 1 (shared by the learners), then each
// learner's phase 2 from it. Phase 1's outcome (model, initialisation,
// optimizer state) can be saved and loaded instead of rerun.
typedef struct ws_batch_seed ws_batch_seed;
ws_status ws_batch_seed_open(ws_ctx *ctx, const ws_batch_config *cfg, const ws_source *src, int i, ws_batch_seed **out);
void ws_batch_seed_close(ws_batch_seed *b);
// The seed's facts (seed, pool / first / evaluation sizes, normalisation; no runs).
void ws_batch_seed_info(const ws_batch_seed *b, ws_batch_seed_result *info);
ws_status ws_batch_seed_phase1(ws_batch_seed *b, ws_run_epoch_fn on_epoch, void *user, ws_run_result *out);
// Fixed-epoch phase 1 (--phase1-epochs) trained once to the last of epochs[0..n) (ascending,
// distinct), `at` called at each count E with the seed as a phase 1 of exactly E epochs leaves
// it: `run` its record (epoch log, steps, evaluation, measurements; the caller's to read, not
// to keep) and the seed ready for ws_batch_seed_save_phase1 (model, BatchNorm buffers,
// initialisation, optimizer state). Every epoch draws from streams named by its number, so
// each is bit for bit the phase 1 the seed's configuration with --phase1-epochs E trains
// (exp/share.h: a sweep over the count). A phase 1 that diverges at epoch d: `at` with st
// WS_ERR_NUMERIC (run->train.diverged_epoch d, the reason in the context) for every E >= d.
// After it, the seed holds the last count's phase 1.
typedef ws_status (*ws_batch_at_fn)(void *user, ws_batch_seed *b, int epochs, ws_status st, ws_run_result *run);
ws_status ws_batch_seed_phase1_along(ws_batch_seed *b, const int *epochs, int n, ws_batch_at_fn at, void *user,
                                     ws_run_epoch_fn on_epoch, void *euser);
ws_status ws_batch_seed_save_phase1(ws_batch_seed *b, const char *path);
ws_status ws_batch_seed_load_phase1(ws_batch_seed *b, const char *path);
// Learner l's phase 2 (phase 1 run or loaded first).
ws_status ws_batch_seed_learner(ws_batch_seed *b, int l, ws_run_epoch_fn on_epoch, void *user, ws_run_result *out);

// Whether learner l trains its own phase 1 rather than continue from the shared one: under
// --protocol paper, shrink-perturb (other than lambda 1, sigma 0), which the official code
// applies before the first round too.
int ws_batch_own_phase1(const ws_batch_config *cfg, const ws_learner *l);

// Run seed number `i` (seed = cfg->base.seed + i) on `src`; fills `out`.
ws_status ws_batch_run_seed(ws_ctx *ctx, const ws_batch_config *cfg, const ws_source *src, int i,
                            ws_run_epoch_fn on_epoch, void *user, ws_batch_seed_result *out);
void ws_batch_seed_result_free(ws_batch_seed_result *r);

// A single run (the `train` command): phase 1's settings on the whole training
// pool of seed cfg->base.seed, evaluated on the evaluation split, saved to save_path
// if given. The result is out->phase1.
ws_status ws_single_run(ws_ctx *ctx, const ws_batch_config *cfg, const ws_source *src, const char *save_path,
                        ws_run_epoch_fn on_epoch, void *user, ws_batch_seed_result *out);

// Evaluate a checkpoint on the evaluation split of seed cfg->base.seed.
ws_status ws_eval_checkpoint(ws_ctx *ctx, const ws_batch_config *cfg, const ws_source *src, const char *path,
                             ws_batch_seed_result *out);

// The fully resolved configuration as JSON (recorded with every result).
cJSON *ws_batch_config_json(const ws_batch_config *cfg, const ws_source *src, const ws_ctx *ctx);
// One seed's record: seed, split sizes, normalisation, per-run epoch logs and metrics.
cJSON *ws_batch_seed_json(const ws_batch_seed_result *r);

#endif
