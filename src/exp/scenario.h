// The scenarios, one table: each one's name and commands, its units, its resolved
// configuration, its result files written and read back. A scenario owns its results format:
// its record's JSON and the reader of it sit side by side in its rounds' file (batch.c,
// online.c, transfer.c), its units and result files in its own file (scenario_batch.c, ...),
// which also defines its entry here. run.c, units.c, the results table and everything above
// them go through this table: a new scenario is its two files, a row of the table, its options
// (options.c) and its command's help (cli/cmd_run.c).
#ifndef WS_EXP_SCENARIO_H
#define WS_EXP_SCENARIO_H

#include <cjson/cJSON.h>

#include "exp/table.h"
#include "exp/units.h"

typedef struct ws_scenario {
    const char *name;       // "batch", "online" (it runs active too), "transfer"
    unsigned commands;      // the commands it runs: WS_CMD_* bits
    const char *results;    // its JSONL file: "batch.jsonl"
    const char *csv;        // its CSV file: "batch.csv"
    const char *base;       // the learner name of the run the others start from ("phase1"), NULL: none
    int independent;        // its units do not share a start: shards may split a seed's group
    // Its units: how many a seed has, and their ids for seed `seed` into out[0..group(e)).
    int (*group)(const ws_experiment *e);
    void (*ids)(const ws_experiment *e, uint64_t seed, ws_unit_id *out);
    // Optional: refuse a configuration the loaded data cannot run (online's rounds beyond the pool)
    // before any folder is made.
    ws_status (*check_data)(ws_ctx *ctx, const ws_experiment *e, const ws_source *data);
    // The resolved configuration recorded with every result (pretrain: transfer's A, else NULL).
    cJSON *(*config_json)(const ws_experiment *e, const ws_source *data, const ws_source *pretrain, const ws_ctx *ctx);
    // Run this process's units (ws_units_frame) and, once every unit has finished, assemble each
    // seed's results into *results (an array of e's seeds it allocates; free_results frees it), *n.
    ws_status (*run)(ws_units *u, const ws_source *data, const ws_source *pretrain, void **results, int *n);
    // The result files (JSONL and CSV, each whole or absent) of n seeds' results, with config.
    ws_status (*write)(ws_ctx *ctx, const char *dir, const cJSON *config, const void *results, int n);
    void (*free_results)(void *results, int n);
    // The seeds' results as the hooks see them (exp/run.h: r->batch, r->online or r->transfer).
    void (*expose)(const void *results, ws_scenario_results *r);
    // One seed's record into point p of t (learners added to t as first seen). WS_ERR_FORMAT
    // says what the record lacks; the caller prefixes the file and line.
    ws_status (*read)(ws_ctx *ctx, const cJSON *rec, int64_t seed, ws_table *t, ws_point *p);
} ws_scenario;

// Every scenario, in the order a folder is searched for results: *n of them.
const ws_scenario *const *ws_scenarios(int *n);
// The scenario that runs command c (a scenario command); that writes results file `file` (a
// base name: "online.jsonl"), NULL: none.
const ws_scenario *ws_scenario_of(ws_command c);
const ws_scenario *ws_scenario_of_file(const char *file);

// The entries (scenario_batch.c, scenario_online.c, scenario_transfer.c, scenario_continual.c).
extern const ws_scenario WS_SCENARIO_BATCH, WS_SCENARIO_ONLINE, WS_SCENARIO_TRANSFER, WS_SCENARIO_CONTINUAL;

// The readers (batch.c, online.c, transfer.c).
ws_status ws_batch_read_record(ws_ctx *ctx, const cJSON *rec, int64_t seed, ws_table *t, ws_point *p);
ws_status ws_online_read_record(ws_ctx *ctx, const cJSON *rec, int64_t seed, ws_table *t, ws_point *p);
ws_status ws_transfer_read_record(ws_ctx *ctx, const cJSON *rec, int64_t seed, ws_table *t, ws_point *p);

// A record of learners' stages ({"learners": {NAME: [stage, ...]}}: online's rounds, continual's
// tasks) into point p, a run per stage at its index, each read as a run record (below) and then
// by `extra`, the scenario's own measures (WS_ERR_FORMAT naming what a stage lacks; `name` is
// "learners.NAME round K"). `stage` names a stage in messages ("round", "task").
typedef ws_status (*ws_stage_reader)(ws_ctx *ctx, const cJSON *o, const char *name, ws_run *r);
ws_status ws_stages_read(ws_ctx *ctx, const cJSON *rec, int64_t seed, ws_table *t, ws_point *p, const char *stage,
                         ws_stage_reader extra);

// A run record (ws_run_json's: test_acc, ..., stop, epoch_log, grad_log, shrink_eval,
// own_phase1) into r; test_acc is required (WS_ERR_FORMAT "NAME has no test_acc").
ws_status ws_run_read_json(ws_ctx *ctx, const cJSON *o, const char *name, ws_run *r);

#endif
