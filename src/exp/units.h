// The scenarios as units of work (private to exp/: run.c drives them through the table of
// scenarios, exp/scenario.h): a batch seed's phase 1 and one unit per learner, an
// online/active learner's chain of rounds, a transfer seed's pretraining and one unit per
// (share, learner) -- each scenario's own in its file (scenario_batch.c, ...). Each unit is
// planned with a stable id, run when it is this process's and has no record yet, recorded
// through the runner (exp/runner.h), and the scenario's results are assembled from the
// records once every unit has finished. This file is the frame they share.
#ifndef WS_EXP_UNITS_H
#define WS_EXP_UNITS_H

#include "exp/run.h"
#include "exp/runner.h"

typedef struct ws_units {
    ws_ctx *ctx;
    const ws_experiment *e;
    const ws_hooks *h;
    const char *who;             // the scenario's name, for notes
    ws_runner runner;            // the folder's records (ws_units_open)
    ws_runner *run;              // &runner; a job's copy shares its parent's (--jobs)
    int nunits;
    ws_outcome *o;
    char excluded[2048];         // seeds left out (a unit diverged), for the table's note
    int mine, finished;          // units of this process's share, and those recorded (ws_hooks.progress)
    // --jobs: a job runs groups with a copy of its parent's ws_units (its own context and the
    // hooks called one at a time); the counts above and the outcome's are the parent's, kept
    // under its lock. Serial: parent and lock NULL.
    struct ws_units *parent;
    pthread_mutex_t *lock;
    struct ws_share *share;      // a sweep's shared work (exp/share.h), else NULL
} ws_units;

// A unit's id within its experiment: "s1/phase1", "s1/warm", "s1/10pct/warm".
typedef char ws_unit_id[200];

// Units per group (a batch seed's phase 1 and learners; a transfer seed's pretraining and
// shares: they share a start, and shards take whole groups) and in all: the scenario's
// (exp/scenario.h).
int ws_units_group(const ws_experiment *e);
int ws_units_count(const ws_experiment *e);

// Open the run in e->opt.out for `config` (the folder made, locked, its configuration
// checked or written; a fresh whole run removes the last run's results).
// share: a sweep's shared work (NULL: none): this point's units that an earlier point computed
// take its record (o->shared counts them), and, at the close, this point's records that later
// points take are kept in it.
ws_status ws_units_open(ws_units *u, ws_ctx *ctx, const ws_experiment *e, const ws_hooks *h, const cJSON *config,
                        ws_outcome *o, struct ws_share *share);
void ws_units_close(ws_units *u);

// The plan: every unit id through h->plan (those of --shard / --unit only, where given; with
// share, not those an earlier point computes).
void ws_units_plan(const ws_experiment *e, const ws_hooks *h, const struct ws_share *share);

// The checkpoint of unit k (id) of this point: the runner's, or, for a unit an earlier point
// computes, that point's (ws_runner_ckpt).
void ws_units_ckpt(const ws_units *u, int k, const char *id, int round, char *buf, size_t cap);

// Unit k (id) of this point, the canonical unit of later points' snapshots (exp/share.h): the
// counts it records at, ascending (*counts), and each one's record id (*ids: id at its own
// count, else "id@COUNT"), both to free; its number of counts; 0: none; -1: out of memory. Such a
// unit is to do (ws_units_todo) while any of those records is missing.
int ws_units_snapshots(const ws_units *u, int k, const char *id, int **counts, ws_unit_id **ids);

// The frame every scenario's units run in (each scenario's own file, scenario_*.c, gives the
// two functions): run the groups (seeds) that have units of this process left -- group(u,
// arg, i, ids of seed i, index of its first unit) -- then, a whole run or a merge, check that
// every unit finished and assemble each seed whose units all finished "done" (take(u, arg, i,
// ids of seed i, slot): its results into slot *n), setting o->complete.
typedef ws_status (*ws_group_fn)(ws_units *u, void *arg, int i, ws_unit_id *ids, int k0);
typedef ws_status (*ws_take_fn)(ws_units *u, void *arg, int i, ws_unit_id *ids, int slot);
ws_status ws_units_frame(ws_units *u, ws_group_fn group, ws_take_fn take, void *arg, int *n);

// Run the groups of seeds [0, seeds) that have units of this process left (ids: the plan, per
// units a group), up to e->opt.jobs at once, each on its share of ctx->threads (exp/jobs.c):
// every unit's result is the one a serial run with that many threads gives. The first
// failure stops the claiming of further groups and is returned with its message in u->ctx.
ws_status ws_units_run_groups(ws_units *u, ws_group_fn group, void *arg, ws_unit_id *ids, int seeds, int per);
// Jobs at once (--jobs, at most the threads; 1 for ResNet-18, whose convolutions use every
// core) and the threads each unit runs on (*unit_threads: threads / jobs), whatever is left.
int ws_units_jobs(const ws_experiment *e, int threads, int *unit_threads);
// Has group i (units ids[i * per ...]) a unit of this process left?
int ws_units_group_todo(const ws_units *u, const ws_unit_id *ids, int i, int per);
// The run stops on the program's request: the status, with where in u->ctx.
ws_status ws_units_interrupted(ws_units *u, const char *after);

// The pieces a scenario's group function uses: is unit k (id) this process's and not yet
// recorded; did a record finish "done"; record a unit done (its data, and the seed's facts) or
// diverged (where: round, or -1, and epoch; the reason from ctx->err) -- the others go on; the
// hooks after an epoch (user: the ws_hooks) and at a run's end.
int ws_units_todo(const ws_units *u, int k, const char *id);

// A unit that is a chain of rounds (online and active: rounds; continual: tasks): how its
// scenario opens one, steps it, saves and loads it between rounds and records a round. The frame
// (ws_units_run_chain) resumes it from the checkpoint of its last recorded round (or reruns the
// recorded rounds, the same bits, when the checkpoint is unusable), checkpoints each round, then
// records it, then removes the older checkpoint, and records the unit done with the seed's facts.
typedef struct {
    const char *round;        // "round", "task": for the notes
    size_t rec_size;          // a round's record struct, which step fills and rec_free frees
    ws_status (*open)(ws_units *u, const void *arg, int i, int l, void **chain);
    void (*close)(void *chain);
    int (*rounds)(const void *chain);
    int (*next)(const void *chain);
    // The next round into rec; WS_ERR_NUMERIC: diverged (diverged_epoch reads the epoch).
    ws_status (*step)(void *chain, void *rec);
    int (*diverged_epoch)(const void *rec);
    cJSON *(*rec_json)(const void *chain, const void *rec);
    void (*rec_free)(void *rec);
    ws_status (*save)(void *chain, const char *path);
    ws_status (*load)(void *chain, const char *path);
    cJSON *(*seed_json)(const void *chain); // the seed's facts, recorded with the unit's end
    void (*hook)(const ws_hooks *h, uint64_t seed, const char *learner, const void *rec); // after each round
} ws_chain_ops;
// Run chain unit `id` (seed i, learner l) of its scenario.
ws_status ws_units_run_chain(ws_units *u, const ws_chain_ops *ops, const void *arg, int i, int l, const char *id);
int ws_units_is_done(const cJSON *rec);
ws_status ws_units_record_done(ws_units *u, const char *id, cJSON *data, cJSON *seed);
ws_status ws_units_record_diverged(ws_units *u, const char *id, int round, int epoch);
void ws_units_epoch_hook(void *user, uint64_t seed, const char *learner, const ws_epoch_record *rec);
void ws_units_run_end(const ws_units *u);

#endif
