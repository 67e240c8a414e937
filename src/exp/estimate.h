// What an experiment will cost before it runs: a short calibration of its training step and
// evaluation pass on this machine (each distinct model / input / batch / optimizer, at the
// threads it will run with), times the steps and evaluations it will need -- measured in an
// earlier run's records where there are any, else an assumption the estimate states --, and
// for a cluster the core-hours and the Slurm array tasks that finish it within a budget.
// Nothing is trained but the calibration's few steps on random inputs; nothing is written.
//
//   ws_calib_cache cache = {0};
//   ws_estimate est;
//   ws_estimate_experiment(ctx, e, "results/reproduce/online", 0, &cache, &est);
//   int tasks = ws_estimate_tasks(est.seconds, 8 * 3600.0, est.units);
#ifndef WS_EXP_ESTIMATE_H
#define WS_EXP_ESTIMATE_H

#include "exp/experiment.h"

#define WS_ESTIMATE_MAX_PARTS 16
#define WS_CALIB_MAX 32

// A configuration's cost on this machine: seconds a training step, seconds one evaluation pass.
typedef struct {
    double step_s, eval_s;
} ws_cost;

// What a configuration needs: training steps and evaluation passes (fractions allowed: an
// average over seeds scaled to the experiment's seeds).
typedef struct {
    double steps, evals;
} ws_work;

// One distinct configuration of an experiment (a sweep's points that share it are summed).
typedef struct {
    char config[200];         // "mlp 3x32x32 -> 10, batch 128, adam, 2 threads"
    ws_cost cost;
    ws_work work;
    double seconds;           // ws_estimate_seconds(cost, work)
} ws_estimate_part;

typedef struct {
    int nparts;
    ws_estimate_part part[WS_ESTIMATE_MAX_PARTS];
    double seconds;           // predicted wall seconds, every part summed
    int units;                // the units it runs (what a shard or Slurm task can take)
    int threads;              // threads a unit runs with
    int measured_points, points; // points whose steps come from earlier records, of all
    char source[400];         // where the steps come from: records, or the assumption made
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
// Core-hours of `seconds` of wall time on `threads` threads.
double ws_estimate_core_hours(double seconds, int threads);
// Slurm array tasks (shards) that finish `seconds` of work within budget_s each: ceil(seconds /
// budget_s), at least 1 and at most `units` (a unit is not split); 0 when even `units` tasks
// cannot (the average unit is longer than the budget).
int ws_estimate_tasks(double seconds, double budget_s, int units);
// The median of v[0..n) (n > 0; v is sorted in place).
double ws_median(double *v, int n);
// A wall-clock budget: "8h", "90m", "45s", "1.5d", "3600" (seconds); WS_ERR_ARG otherwise.
ws_status ws_duration_parse(ws_ctx *ctx, const char *text, double *seconds);

// The epochs assumed for a run trained to its threshold when no earlier record says
// (stated in the estimate's source).
#define WS_ESTIMATE_ASSUMED_EPOCHS 30

// Estimate checked experiment e: its steps and evaluations from the records in `earlier` (its
// results folder from an earlier run; NULL or no records there: assumed), the seeds scaled to
// e's; calibrated `calib_steps` training steps (0: 5) per configuration not in cache.
ws_status ws_estimate_experiment(ws_ctx *ctx, const ws_experiment *e, const char *earlier, int calib_steps,
                                 ws_calib_cache *cache, ws_estimate *out);

#endif
