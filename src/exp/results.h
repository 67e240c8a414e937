// A scenario's result files, written whole or not at all once every unit has
// finished (each scenario's writer: exp/scenario.h): DIR/batch.jsonl and batch.csv,
// online.jsonl and online.csv (online and active), transfer.jsonl and transfer.csv, a
// sweep's sweep.jsonl. Each JSONL line is one record with the full resolved
// configuration attached.
#ifndef WS_EXP_RESULTS_H
#define WS_EXP_RESULTS_H

#include <cjson/cJSON.h>

#include "exp/batch.h"
#include "exp/online.h"
#include "exp/transfer.h"
#include "io/atomic.h"

// The part of a scenario's writer (scenario_*.c) every writer shares: n records as
// DIR/jsonl (each consumed), then DIR/csv opened for its rows (commit af when written); and an
// array for n records.
ws_status ws_results_open(ws_ctx *ctx, const char *dir, const char *jsonl, const char *csv, const cJSON *config,
                          cJSON **recs, int n, ws_atomic_file *af);
cJSON **ws_results_records(int n);

// DIR/NAME as JSONL, atomically: one line per record (each consumed: deleted here), each
// with `config` attached when given.
ws_status ws_results_write_jsonl(ws_ctx *ctx, const char *dir, const char *name, const cJSON *config, cJSON **recs, int n);

// Remove the scenarios' result files from dir (a fresh run: the last run's go with its records).
void ws_results_remove(const char *dir);

// A run still writing results at path (a results folder, or the folder of a results file) or in
// a folder under it (4 levels down at most, hidden ones and units/ aside, in sorted order): its
// pid (io/lock.h: ws_dir_writer) and the folder into where; 0 when none. Readers (report, plot)
// say so: what they read is what the run had finished. The caller's own lock is not a writer
// (and is kept: io/lock.h, ws_dir_writer).
long ws_results_writer(const char *path, char *where, size_t cap);

#endif
