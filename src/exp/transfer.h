// Transfer (Ash & Adams 2020, section 4.3): pretrain on dataset A to the
// threshold, then train on p % of dataset B for several p, warm-started from
// A's model (its head re-initialised, or kept with keep_head when A and B have
// as many classes) against a fresh initialisation. With only built-in data the
// pair is Fashion-MNIST's classes 0-4 (A) and 5-9 (B, relabelled 0-4).
#ifndef WS_EXP_TRANSFER_H
#define WS_EXP_TRANSFER_H

#include <cjson/cJSON.h>

#include "exp/setup.h"
#include "exp/metrics.h"
#include "exp/online.h"

#define WS_MAX_FRACTIONS 16

typedef struct {
    ws_setup base;                 // B's protocol, model, optimizer, batch, threshold, learners, seeds
    int nfractions;
    double fractions[WS_MAX_FRACTIONS]; // shares of B's training pool, e.g. 0.01 .. 1
    int keep_head;
    double pretrain_fraction;      // share of A's training pool pretrained on (a seeded subset; default 1)
} ws_transfer_config;

void ws_transfer_config_defaults(ws_transfer_config *cfg);

typedef struct {
    double fraction;
    int64_t n_train;
    int nlearners;
    ws_run_result runs[WS_MAX_LEARNERS]; // one per learner of the configuration, in its order
    ws_similarity warm_to_pretrained;   // the warm learner's final body vs A's model
} ws_transfer_point;

typedef struct {
    uint64_t seed;
    ws_run_result pretrain;             // on A, evaluated on A's evaluation split
    int npoints;
    ws_transfer_point points[WS_MAX_FRACTIONS];
} ws_transfer_seed_result;

// A seed's runs one at a time: pretraining on A (shared), then each (share,
// learner) point from A's model. A's model can be saved and loaded instead of
// retrained.
typedef struct ws_transfer_seed ws_transfer_seed;
ws_status ws_transfer_seed_open(ws_ctx *ctx, const ws_transfer_config *cfg, const ws_source *a, const ws_source *b,
                                int i, ws_transfer_seed **out);
void ws_transfer_seed_close(ws_transfer_seed *t);
uint64_t ws_transfer_seed_value(const ws_transfer_seed *t);
ws_status ws_transfer_seed_pretrain(ws_transfer_seed *t, ws_run_result *out);
ws_status ws_transfer_seed_save_pretrained(ws_transfer_seed *t, const char *path);
ws_status ws_transfer_seed_load_pretrained(ws_transfer_seed *t, const char *path);
// Share k, learner l into pt (its fraction, size, runs[l]; warm: the body's similarity to A's model).
ws_status ws_transfer_seed_point(ws_transfer_seed *t, int k, int l, ws_transfer_point *pt);

// Every unit of seed i in turn.
ws_status ws_transfer_run_seed(ws_ctx *ctx, const ws_transfer_config *cfg, const ws_source *a, const ws_source *b,
                               int i, ws_transfer_seed_result *out);
void ws_transfer_seed_result_free(ws_transfer_seed_result *r);
cJSON *ws_transfer_config_json(const ws_transfer_config *cfg, const ws_source *a, const ws_source *b, const ws_ctx *ctx);
cJSON *ws_transfer_seed_json(const ws_transfer_seed_result *r);

#endif
