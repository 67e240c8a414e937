// What an experiment will cost before it runs: a short calibration of its training loop on this
// machine -- through the training function the scenarios use (ws_train_to_threshold: batches
// gathered and normalised, the on-the-fly accuracy, FGSM's second pass, the confidence penalty,
// each learner's hooks) on a few batches of its data (random bytes of its shape where the data is
// not here), for each distinct model / input / batch / optimizer / learner with hooks, at the
// threads a unit will run with (threads / jobs) -- and of its evaluation pass, times the steps
// and evaluations it will need: measured in an earlier run's records where there are any, else
// the epochs of the table below (the assumption is stated). The units are spread over the jobs
// as --jobs runs them (a point's wall time is the jobs' makespan, not the sum). For a cluster: the
// core-hours and the Slurm array tasks that finish it within a budget. Nothing is trained but
// the calibration's few steps; nothing is written.
//
//   ws_calib_cache cache = {0};
//   ws_estimate est;
//   ws_estimate_experiment(ctx, e, "results/reproduce/online", 0, &cache, &est);
//   int tasks = ws_estimate_tasks(est.seconds, 8 * 3600.0, est.units);
#ifndef WS_EXP_ESTIMATE_H
#define WS_EXP_ESTIMATE_H

#include "exp/experiment.h"

#define WS_ESTIMATE_MAX_PARTS 48
#define WS_CALIB_MAX 96
#define WS_ESTIMATE_MAX_GROUPS 256

// A configuration's cost on this machine: seconds a training step (through the training loop:
// the loop's per-batch work included), seconds one evaluation pass.
typedef struct {
    double step_s, eval_s;
} ws_cost;

// What a configuration needs: training steps and evaluation passes (fractions allowed: an
// average over seeds scaled to the experiment's seeds). Steps include the step-equivalents of
// gradient measurements (a forward and backward without the update).
typedef struct {
    double steps, evals;
} ws_work;

// One distinct configuration of an experiment (a sweep's points that share it are summed).
typedef struct {
    char config[200];         // "mlp 3x32x32 -> 10, batch 128, adam, 1 thread, eval 1000[, learner ewc]"
    ws_cost cost;
    ws_work work;
    double seconds;           // ws_estimate_seconds(cost, work): unit-seconds, before the jobs share them
} ws_estimate_part;

typedef struct {
    int nparts;
    ws_estimate_part part[WS_ESTIMATE_MAX_PARTS];
    double seconds;           // predicted wall seconds: each point's jobs' makespan, summed, and the data's loading
    double unit_seconds;      // the units' seconds summed (what one job would take; core-hours / threads a unit)
    double load_s;            // seconds loading the data (once a run: a sweep's every point), in `seconds`
    int units;                // the units it runs (what a shard or Slurm task can take)
    int threads;              // threads a unit runs with (the run's threads / jobs)
    int jobs;                 // units at once (--jobs, as exp/jobs.c resolves it: 1 for ResNet-18)
    int measured_points, points; // points whose steps come from earlier records, of all
    int synthetic;            // calibrated on random bytes of the data's shape (the data is not here)
    char source[600];         // where the steps come from: records, or the assumptions made
    double calibration_s;     // seconds this estimate spent calibrating (0: every cost cached)
} ws_estimate;

// Calibrations already made (by configuration), shared across experiments: no globals.
typedef struct {
    int n;
    char key[WS_CALIB_MAX][200];
    ws_cost cost[WS_CALIB_MAX];
} ws_calib_cache;

// The arithmetic, pure.
// Seconds of w at cost c.
double ws_estimate_seconds(const ws_cost *c, const ws_work *w);
// Training steps of `runs` runs of `epochs` epochs over n examples in batches of `batch`
// (the last batch of an epoch partial: ceil).
double ws_estimate_steps(double runs, double epochs, int64_t n, int batch);
// Seconds a step through the training loop, from two timings of it: t_short seconds for
// n_short steps and t_long for n_long (n_long > n_short): the difference divided by the steps
// between, so that what a run pays once (its start, normalising its examples) drops out; the
// mean of the long run where the difference is not positive (timer noise).
double ws_estimate_step_seconds(double t_short, int n_short, double t_long, int n_long);
// Wall seconds of groups of units costing group_s[0..n) run by `jobs` jobs as exp/jobs.c runs them:
// each job takes the next group in order when it is free (list scheduling); the makespan.
// jobs <= 1: the sum.
double ws_estimate_makespan(const double *group_s, int n, int jobs);
// Core-hours of `seconds` of a unit's wall time on `threads` threads.
double ws_estimate_core_hours(double seconds, int threads);
// Slurm array tasks (shards) that finish `seconds` of work within budget_s each: ceil(seconds /
// budget_s), at least 1 and at most `units` (a unit is not split); 0 when even `units` tasks
// cannot (the average unit is longer than the budget).
int ws_estimate_tasks(double seconds, double budget_s, int units);
// The median of v[0..n) (n > 0; v is sorted in place).
double ws_median(double *v, int n);

// Epochs a run trains to its threshold where no earlier record says: measured means of
// CPU-scale runs, by model and optimizer (estimate.c's table, its source stated there and in the
// estimate's `source`); fresh: a run from a fresh initialisation; warm: one continuing from
// a trained model. Within the cap, and fixed epochs as set, by the caller.
typedef struct {
    double fresh, warm;
    const char *source;       // where the numbers come from
} ws_epochs_assumed;
ws_epochs_assumed ws_estimate_epochs(ws_model_kind model, ws_opt_kind opt, int rounds);
// Where the table has no row: these.
#define WS_ESTIMATE_ASSUMED_EPOCHS 30
#define WS_ESTIMATE_ASSUMED_WARM_EPOCHS 10

// Estimate checked experiment e: its steps and evaluations from the records in `earlier` (its
// results folder from an earlier run; NULL or no records there: assumed), the seeds scaled to
// e's; calibrated `calib_steps` training steps (0: 8) per configuration not in cache.
ws_status ws_estimate_experiment(ws_ctx *ctx, const ws_experiment *e, const char *earlier, int calib_steps,
                                 ws_calib_cache *cache, ws_estimate *out);

#endif
