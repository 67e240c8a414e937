// The scenarios as units of work (private to exp/: run.c drives them): a batch
// seed's phase 1 and one unit per learner, an online/active learner's chain of
// rounds, a transfer seed's pretraining and one unit per (share, learner). Each
// is planned with a stable id, run when it is this process's and has no record
// yet, recorded through the runner (exp/runner.h), and the scenario's results
// are assembled from the records once every unit has finished.
#ifndef WS_EXP_UNITS_H
#define WS_EXP_UNITS_H

#include "exp/run.h"
#include "exp/runner.h"

typedef struct {
    ws_ctx *ctx;
    const ws_experiment *e;
    const ws_hooks *h;
    const char *who;             // the scenario's name, for notes
    ws_runner run;
    int nunits;
    ws_outcome *o;
    char excluded[2048];         // seeds left out (a unit diverged), for the table's note
} ws_units;

// Units per group (a batch seed's phase 1 and learners; a transfer seed's pretraining and
// shares: they share a start, and shards take whole groups) and in all.
int ws_units_group(const ws_experiment *e);
int ws_units_count(const ws_experiment *e);

// Open the run in e->opt.out for `config` (the folder made, locked, its configuration
// checked or written; a fresh whole run removes the last run's results).
ws_status ws_units_open(ws_units *u, ws_ctx *ctx, const ws_experiment *e, const ws_hooks *h, const cJSON *config,
                        ws_outcome *o);
void ws_units_close(ws_units *u);

// The plan: every unit id through h->plan (those of --shard / --unit only, where given).
void ws_units_plan(const ws_experiment *e, const ws_hooks *h);

// Run this process's units; then, when every unit has finished, assemble the seeds whose
// units all finished "done" into res[0..*n) (e's seeds entries) and set o->complete.
ws_status ws_units_batch(ws_units *u, const ws_source *src, ws_batch_seed_result *res, int *n);
ws_status ws_units_online(ws_units *u, const ws_source *src, ws_online_seed_result *res, int *n);
ws_status ws_units_transfer(ws_units *u, const ws_source *a, const ws_source *b, ws_transfer_seed_result *res, int *n);

#endif
