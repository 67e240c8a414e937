// Running an experiment: its units planned with stable ids, this process's share
// run (or resumed), each finished round or unit recorded (exp/runner.h), and the
// scenario's results assembled from the records and written (batch.jsonl,
// online.csv, ...) once every unit has finished; a sweep runs each point so and
// reduces them (sweep.jsonl, sweep.csv); a merge gathers the records of a sharded
// run's folders. Nothing here prints: progress, notes and the results reach the
// caller through ws_hooks (the CLI's progress line and tables are one set of hooks).
#ifndef WS_EXP_RUN_H
#define WS_EXP_RUN_H

#include "exp/experiment.h"
#include "exp/stats.h"
#include "exp/sweep.h"

// A scenario's results, once every unit has finished (a run, or one point of a sweep).
typedef struct {
    const ws_experiment *e;        // its configuration (e->batch, e->online, e->transfer), folder e->opt.out
    const ws_source *data;         // the data (transfer: B)
    const ws_source *pretrain;     // transfer: A
    const char *arch;              // "mlp 784-100-100-10"
    int n;                         // seeds with results (0: every seed had a diverged unit)
    const ws_batch_seed_result *batch;
    const ws_online_seed_result *online;
    const ws_transfer_seed_result *transfer;
    const ws_continual_seed_result *continual;
    const char *excluded;          // the seeds left out (a unit diverged), a line each, or ""
} ws_scenario_results;

typedef struct {
    const ws_experiment *e;
    int npoints, missing_points;   // points left out: every seed had a diverged unit
    int nentries;
    const ws_sweep_entry *entries;
} ws_sweep_results;

typedef struct ws_hooks {
    void *user;
    // A progress line or note for the user, from `who` ("batch", "sweep", ...; NULL: a line of its own).
    void (*note)(void *user, const char *who, const char *line);
    // After each epoch of each run; after each round of an online/active chain; when a run ends.
    void (*epoch)(void *user, uint64_t seed, const char *learner, const ws_epoch_record *rec);
    void (*round)(void *user, uint64_t seed, const char *learner, const ws_online_round *r);
    void (*task)(void *user, uint64_t seed, const char *learner, const ws_continual_task *t); // after each task
    void (*run_end)(void *user);
    // The plan: one unit id (with a sweep point's prefix) per call.
    void (*plan)(void *user, const char *id);
    // A scenario's results are complete and written (the CLI prints its table); a failure
    // leaves its reason in ctx->err.
    ws_status (*results)(void *user, ws_ctx *ctx, const ws_scenario_results *r);
    // A sweep's reduction is written (the CLI prints its table and draws its figure).
    ws_status (*sweep)(void *user, ws_ctx *ctx, const ws_sweep_results *s);
    // Asked before every group of units, after every recorded round of a chain, and, while a unit
    // trains, before every training step and evaluation batch (ws_ctx.should_stop): non-zero stops
    // the run there with WS_ERR_INTERRUPTED, the unit in training abandoned (nothing of it
    // recorded), all that finished recorded, so --resume goes on (the CLI's SIGINT/SIGTERM, a
    // binding's Ctrl-C, without a signal handler in the library). Under --jobs it is called from
    // the jobs' threads, one call at a time.
    int (*should_stop)(void *user);
    // Before the first unit (unit NULL), then after each unit of this process's share is
    // recorded (done or diverged): done of total, the units a resumed run found finished
    // counted (a binding's progress bar).
    void (*progress)(void *user, int done, int total, const char *unit);
} ws_hooks;

// Does the program ask to stop? (h->should_stop; never without one.)
int ws_hooks_stop(const ws_hooks *h);
// ctx's training loops ask h->should_stop (ws_ctx.should_stop; h NULL or without one: never).
void ws_hooks_arm(ws_ctx *ctx, const ws_hooks *h);

// Pass a note (printf-style) to h->note, from `who` (NULL: a line of its own); nothing without one.
void ws_hooks_note(const ws_hooks *h, const char *who, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

// What a run did.
typedef struct {
    int ran, skipped, partial;     // units run now, found finished, chains resumed mid-way
    int whole;                     // this process covers every unit (no shard, no --unit) or merges
    int complete;                  // every unit has finished: the results are assembled and written
    int results;                   // seeds with results (a sweep: points with results)
    int all_diverged;              // complete, but every seed had a diverged unit (no results)
    int shared;                    // units whose record an earlier sweep point computed (exp/share.h)
} ws_outcome;

// Run the experiment (checked: ws_experiment_check) into e->opt.out: a scenario or a sweep,
// with e->opt's runner options (resume, shard, unit; e->nmerge: merge those folders).
// ctx's threads and backend are set from the options. *out says what was done.
ws_status ws_experiment_run(ws_ctx *ctx, ws_experiment *e, const ws_hooks *h, ws_outcome *out);

// The plan: every unit id, or those of e->opt.shard / e->opt.unit, through h->plan.
ws_status ws_experiment_plan(ws_ctx *ctx, ws_experiment *e, const ws_hooks *h);

// warmstart merge: the folders' run.json must agree; their records are gathered and the
// results written into out (NULL: the first folder) as one process would have.
ws_status ws_merge(ws_ctx *ctx, const char *const *dirs, int ndirs, const char *out, const ws_hooks *h, ws_outcome *o);

// The context's threads, backend and convolution algorithm from the options.
ws_status ws_experiment_ctx(ws_ctx *ctx, const ws_options *o);

// mkdir -p (WS_ERR_IO naming the folder and the reason).
ws_status ws_mkdirs(ws_ctx *ctx, const char *dir);

#endif
