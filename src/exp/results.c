// The scenarios' result files: what they share (results.h).
#define _POSIX_C_SOURCE 200809L
#include "exp/results.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "exp/scenario.h"
#include "io/atomic.h"
#include "io/dir.h"

ws_status ws_results_write_jsonl(ws_ctx *ctx, const char *dir, const char *name, const cJSON *config, cJSON **recs,
                                 int n) {
    char path[1200];
    ws_atomic_file af;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    ws_status st = ws_atomic_open(ctx, &af, path);
    for (int i = 0; i < n; i++) {
        if (!st) {
            if (config) cJSON_AddItemReferenceToObject(recs[i], "config", (cJSON *)config);
            char *line = cJSON_PrintUnformatted(recs[i]);
            fprintf(af.f, "%s\n", line);
            free(line);
        }
        cJSON_Delete(recs[i]);
    }
    if (!st) st = ws_atomic_commit(ctx, &af);
    return st;
}

void ws_results_remove(const char *dir) {
    int n;
    const ws_scenario *const *s = ws_scenarios(&n);
    for (int i = 0; i < n; i++) {
        const char *outputs[2] = {s[i]->results, s[i]->csv};
        for (int k = 0; k < 2; k++) {
            char path[1400];
            snprintf(path, sizeof path, "%s/%s", dir, outputs[k]);
            unlink(path);
        }
    }
}

ws_status ws_results_open(ws_ctx *ctx, const char *dir, const char *jsonl, const char *csv, const cJSON *config,
                              cJSON **recs, int n, ws_atomic_file *af) {
    ws_status st = ws_dir_make(ctx, dir);
    if (!st) st = ws_results_write_jsonl(ctx, dir, jsonl, config, recs, n);
    else
        for (int i = 0; i < n; i++) cJSON_Delete(recs[i]);
    if (st) return st;
    char path[1200];
    snprintf(path, sizeof path, "%s/%s", dir, csv);
    return ws_atomic_open(ctx, af, path);
}

cJSON **ws_results_records(int n) { return ws_sys_calloc((size_t)(n > 0 ? n : 1), sizeof(cJSON *)); }

