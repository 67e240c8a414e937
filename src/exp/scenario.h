// The scenarios, one table: each one's name, its results files and how its records are read
// into the results table (exp/table.h). A scenario owns its results format: the function that
// writes its records (ws_batch_seed_json, ...) and the one that reads them back sit side by
// side in its own file (batch.c, online.c, transfer.c); nothing else parses them.
#ifndef WS_EXP_SCENARIO_H
#define WS_EXP_SCENARIO_H

#include <cjson/cJSON.h>

#include "exp/table.h"

typedef struct {
    const char *name;     // "batch", "online" (its records serve active too), "transfer"
    const char *results;  // its JSONL file: "batch.jsonl"
    const char *csv;      // its CSV file: "batch.csv"
    const char *base;     // the learner name of the run the others start from ("phase1"), NULL: none
    // One seed's record into point p of t (learners added to t as first seen). WS_ERR_FORMAT
    // says what the record lacks; the caller prefixes the file and line.
    ws_status (*read)(ws_ctx *ctx, const cJSON *rec, int64_t seed, ws_table *t, ws_point *p);
} ws_scenario;

// Every scenario, in the order a folder is searched for results: *n of them.
const ws_scenario *ws_scenarios(int *n);
// The scenario whose results file is `file` (a base name: "online.jsonl"), NULL: none.
const ws_scenario *ws_scenario_of_file(const char *file);

// The readers (batch.c, online.c, transfer.c).
ws_status ws_batch_read_record(ws_ctx *ctx, const cJSON *rec, int64_t seed, ws_table *t, ws_point *p);
ws_status ws_online_read_record(ws_ctx *ctx, const cJSON *rec, int64_t seed, ws_table *t, ws_point *p);
ws_status ws_transfer_read_record(ws_ctx *ctx, const cJSON *rec, int64_t seed, ws_table *t, ws_point *p);

// A run record (ws_run_json's: test_acc, ..., stop, epoch_log, grad_log, shrink_eval,
// own_phase1) into r; test_acc is required (WS_ERR_FORMAT "NAME has no test_acc").
ws_status ws_run_read_json(ws_ctx *ctx, const cJSON *o, const char *name, ws_run *r);

#endif
