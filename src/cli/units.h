// The scenario commands run through the runner (exp/runner.h): their units
// planned with stable ids, this process's share run (or resumed), each
// finished round or unit recorded, and the scenario's results assembled from
// the records once every unit has finished. Prints and returns exit statuses,
// as the rest of the CLI.
#ifndef WS_CLI_UNITS_H
#define WS_CLI_UNITS_H

#include "cli/args.h"
#include "cli/cli.h"
#include "exp/batch.h"
#include "exp/online.h"
#include "exp/runner.h"
#include "exp/transfer.h"

// The exit status of a run whose every seed had a diverged unit: it ran, its
// records say what happened, but there are no results to assemble.
#define WS_EXIT_ALL_DIVERGED 3

typedef struct {
    int resume, plan;
    const char *shard, *unit;
    const char *merge;        // internal: gather the records of these folders (warmstart merge)
    const char *prefix;       // internal: a sweep point's unit id prefix ("p003/")
    int point;                // internal: a sweep point's index (shards rotate across points)
    int npoints;              // internal: the sweep's number of points
} run_opts;

#define RUN_SPECS(r)                                                                                             \
    {"--resume", ARG_FLAG, &(r).resume, NULL,                                                                    \
     "continue the results in --out: finished units are skipped, chains resume at their last round", 0, 0, 0},  \
    {"--shard", ARG_STRING, &(r).shard, "I/N",                                                                   \
     "run the I-th of N disjoint slices of the units (slurm/N: I from SLURM_ARRAY_TASK_ID); then merge", 0, 0, 0}, \
    {"--unit", ARG_STRING, &(r).unit, "ID", "run this unit only (ids: --plan)", 0, 0, 0},                          \
    {"--plan", ARG_FLAG, &(r).plan, NULL, "list the units, one id a line, and exit", 0, 0, 0},                   \
    {"--merge", ARG_STRING, &(r).merge, "DIR,DIR", NULL, 0, 0, 0},                                               \
    {"--unit-prefix", ARG_STRING, &(r).prefix, "P", NULL, 0, 0, 0},                                              \
    {"--point", ARG_INT, &(r).point, "K", NULL, 0, 1e9, 0},                                                      \
    {"--points", ARG_INT, &(r).npoints, "N", NULL, 0, 1e9, 0}

typedef struct {
    const char *cmd;
    ws_ctx *ctx;
    run_opts ro;
    ws_runner run;
    const char *out;
    int nunits;
    int ran, skipped, partial;   // units run now, found finished, chains resumed mid-way
    int whole;                   // this process covers every unit (no shard, no --unit) or merges
    int complete;                // every unit has finished: results assembled
    char *merge_dirs[64];
    int nmerge;
    char excluded[2048];         // seeds left out (a unit diverged), for the table's note
} unit_run;

// "I/N" or "slurm/N" (I from SLURM_ARRAY_TASK_ID, counted from SLURM_ARRAY_TASK_MIN, else 1).
int parse_shard(const char *text, int *shard, int *nshards, char *err, size_t cap);

// The runner options' own checks (prints and returns 1 on error).
int run_opts_check(const char *cmd, const run_opts *ro);

// Open the run in `out` for `config`: nunits units, in groups of group_units that share a
// start (1: independent), for the shards (prints and returns 1 on error).
int unit_run_open(unit_run *u, const char *cmd, ws_ctx *ctx, const run_opts *ro, const char *out, const cJSON *config,
                  int nunits, int group_units);
// Units per group: a batch seed's phase 1 and learners, a transfer seed's pretraining and shares.
int units_group_batch(const ws_batch_config *cfg);
int units_group_transfer(const ws_transfer_config *cfg);
void unit_run_close(unit_run *u);
// After the run: what this process did, and what to do next when not complete.
void unit_run_summary(const unit_run *u);

// Print the plan: every unit id, one a line (with the sweep's prefix).
void units_plan_batch(const run_opts *ro, const ws_batch_config *cfg);
void units_plan_online(const run_opts *ro, const ws_online_config *cfg);
void units_plan_transfer(const run_opts *ro, const ws_transfer_config *cfg);
int units_count_batch(const ws_batch_config *cfg);
int units_count_online(const ws_online_config *cfg);
int units_count_transfer(const ws_transfer_config *cfg);

// Run this process's units, then (when every unit has finished) assemble the
// seeds whose units all finished "done" into res[0..*n) (cfg seeds entries).
int units_batch(unit_run *u, const ws_batch_config *cfg, const ws_source *src, progress *pr, ws_batch_seed_result *res,
                int *n);
int units_online(unit_run *u, const ws_online_config *cfg, const ws_source *src, progress *pr,
                 ws_online_seed_result *res, int *n);
int units_transfer(unit_run *u, const ws_transfer_config *cfg, const ws_source *a, const ws_source *b,
                   ws_transfer_seed_result *res, int *n);

// DIR/run.json: the command and its options (runner options left out), for warmstart merge.
int write_run_json(const char *cmd, ws_ctx *ctx, const char *dir, const char *command, int argc, char **argv);
// warmstart merge DIR... [--out DIR]
int cmd_merge(int argc, char **argv);

#endif
