// A scenario's result files, written whole or not at all once every unit has
// finished: DIR/batch.jsonl and batch.csv, online.jsonl and online.csv (online and
// active), transfer.jsonl and transfer.csv. Each JSONL line is one seed's record
// with the full resolved configuration attached.
#ifndef WS_EXP_RESULTS_H
#define WS_EXP_RESULTS_H

#include <cjson/cJSON.h>

#include "exp/batch.h"
#include "exp/online.h"
#include "exp/transfer.h"

ws_status ws_results_write_batch(ws_ctx *ctx, const char *dir, const cJSON *config, const ws_batch_seed_result *r, int n);
ws_status ws_results_write_online(ws_ctx *ctx, const char *dir, const cJSON *config, const ws_online_seed_result *r, int n);
ws_status ws_results_write_transfer(ws_ctx *ctx, const char *dir, const cJSON *config, const ws_transfer_seed_result *r,
                                    int n);

// DIR/NAME as JSONL, atomically: one line per record (each consumed: deleted here), each
// with `config` attached when given.
ws_status ws_results_write_jsonl(ws_ctx *ctx, const char *dir, const char *name, const cJSON *config, cJSON **recs, int n);

// Remove the scenarios' result files from dir (a fresh run: the last run's go with its records).
void ws_results_remove(const char *dir);

#endif
