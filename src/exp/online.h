// Data that arrives over time (Ash & Adams 2020, section 4): the passive online
// scenario. The training pool arrives in a seeded order, k0 examples first,
// then k more each round. Each round every learner trains to the threshold on
// everything seen so far and is evaluated; the learners are declared once
// (ws_learners): `warm` continues from its model of the last round, `random`
// starts from a fresh initialisation. Per round and learner the records hold
// accuracy, epochs, steps and seconds to converge, how far the weights moved
// (from the round's start and from the learner's initialisation, whole model
// and per layer) and the gradient norms on the old and the new examples at the
// round's start. The learners are the configuration's (base.learners).
#ifndef WS_EXP_ONLINE_H
#define WS_EXP_ONLINE_H

#include <cjson/cJSON.h>

#include "exp/setup.h"
#include "exp/metrics.h"

// How the next examples are chosen. Passive: the arrival order, the same for
// every learner. Margin (active learning): each learner labels the k unlabelled
// examples on which its current model is least sure, the smallest gap between
// its two largest softmax probabilities. Random: the control for margin, k
// examples in arrival order, through the same per-learner bookkeeping.
typedef enum { WS_QUERY_PASSIVE, WS_QUERY_MARGIN, WS_QUERY_RANDOM } ws_query;

typedef struct {
    ws_setup base;           // data protocol, model, optimizer, batch, threshold, epochs, learners, seeds, subsets
    int64_t k0, k;           // examples in the first round; added per round
    int rounds;              // 0: until the pool is used
    int64_t grad_examples;   // gradient norms on at most this many old and new examples (0: all)
    ws_query query;
} ws_online_config;

void ws_online_config_defaults(ws_online_config *cfg);

// Cumulative examples seen at each round for a pool of n_pool: k0, k0+k, ...,
// the last round taking what is left (so the pool is used exactly), at most
// `rounds` rounds when rounds > 0. Returns the number of rounds (0 if k0 < 1,
// k < 1 or k0 > n_pool); sizes may be NULL, else holds cap entries.
int ws_online_schedule(int64_t n_pool, int64_t k0, int64_t k, int rounds, int64_t *sizes, int cap);

#define WS_MAX_LAYER_STATS 64
#define WS_MAX_HIST_CLASSES 128

// Margins (top-1 minus top-2 softmax probability, eval mode) of m on examples
// idx[0..n), in batches of up to `batch`, into out[0..n).
ws_status ws_margins(ws_ctx *ctx, ws_model *m, const ws_dataset *d, const ws_norm *norm, const int32_t *idx, int64_t n,
                     int batch, float *out);

// Reorder idx[0..n) so that its first k entries are those with the smallest
// score, ascending (ties: the earlier position first); the rest keep their
// relative order.
void ws_pick_smallest(int32_t *idx, const float *score, int64_t n, int64_t k);

typedef struct {
    int round;                    // 0-based
    int64_t n_seen, n_new;
    ws_train_result train;
    double test_acc, test_loss;
    double cum_seconds;           // this learner's training seconds up to and including this round
    ws_similarity to_start, to_init;
    int nlayers;
    char layer_names[WS_MAX_LAYER_STATS][64];
    ws_similarity layer_to_start[WS_MAX_LAYER_STATS], layer_to_init[WS_MAX_LAYER_STATS];
    double grad_old, grad_new;    // at the round's start (grad_old 0 at round 0)
    double grad_old_epoch1, grad_new_epoch1; // the same after the round's first epoch
    int new_per_class[WS_MAX_HIST_CLASSES]; // the round's new examples by class (the first 128 classes)
    int64_t units_replaced;       // units replaced or reset in the round, its begin included (cbp, the remedies)
    ws_inside *inside;            // measured inside at the round's end on the seed's probe (owned; NULL: none)
} ws_online_round;
// A round's owned parts (its epoch log, its measurement inside) freed.
void ws_online_round_free(ws_online_round *r);

typedef struct {
    uint64_t seed;
    int64_t n_pool, n_eval;
    ws_norm norm;
    int nrounds, nlearners, num_classes;
    char learner_names[WS_MAX_LEARNERS][64];
    ws_online_round *rounds;      // [learner * nrounds + round]
} ws_online_seed_result;

typedef void (*ws_online_round_fn)(void *user, uint64_t seed, const char *learner, const ws_online_round *r);

// One learner's rounds on one seed: a chain. Open it, step it round by round;
// its state after a round can be saved and loaded into a new chain of the same
// configuration, which then continues bit for bit as the first would have.
typedef struct ws_online_chain ws_online_chain;
ws_status ws_online_chain_open(ws_ctx *ctx, const ws_online_config *cfg, const ws_source *src, int seed_index,
                               int learner, ws_online_chain **out);
void ws_online_chain_close(ws_online_chain *c);
int ws_online_chain_rounds(const ws_online_chain *c);
int ws_online_chain_next(const ws_online_chain *c);   // the round the next step runs
// The seed's facts (seed, pool and evaluation sizes, normalisation, rounds, classes) into info (no rounds).
void ws_online_chain_info(const ws_online_chain *c, ws_online_seed_result *info);
// Run the next round into rec (rec->train owned by the caller). On failure
// (WS_ERR_NUMERIC: diverged, rec->train.diverged_epoch) the chain stays at that round.
ws_status ws_online_chain_step(ws_online_chain *c, ws_online_round *rec);
ws_status ws_online_chain_save(ws_online_chain *c, const char *path);
ws_status ws_online_chain_load(ws_online_chain *c, const char *path);

// Seed number i (seed = cfg->base.seed + i): every learner's chain in turn.
ws_status ws_online_run_seed(ws_ctx *ctx, const ws_online_config *cfg, const ws_source *src, int i,
                             ws_online_round_fn on_round, void *user, ws_online_seed_result *out);
void ws_online_seed_result_free(ws_online_seed_result *r);

cJSON *ws_online_config_json(const ws_online_config *cfg, const ws_source *src, const ws_ctx *ctx);
cJSON *ws_online_seed_json(const ws_online_seed_result *r);
// One round's record, and back (the epoch log is not kept per round: train.epochs stays NULL).
cJSON *ws_online_round_json(const ws_online_round *x, int num_classes);
ws_status ws_online_round_from_json(ws_ctx *ctx, const cJSON *o, ws_online_round *x);

#endif
