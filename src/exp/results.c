// The scenarios' result files: what they share (results.h).
#define _POSIX_C_SOURCE 200809L
#include "exp/results.h"

#include <dirent.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "exp/scenario.h"
#include "io/atomic.h"
#include "io/dir.h"
#include "io/json.h"
#include "io/lock.h"

ws_status ws_results_write_jsonl(ws_ctx *ctx, const char *dir, const char *name, const cJSON *config, cJSON **recs,
                                 int n) {
    char path[1200];
    ws_atomic_file af;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    ws_status st = ws_atomic_open(ctx, &af, path);
    for (int i = 0; i < n; i++) {
        if (!st) {
            // A reference (config stays the caller's), put so that it is freed if it cannot be added.
            if (config) ws_json_put(recs[i], "config", cJSON_CreateObjectReference(config->child));
            char *line = cJSON_PrintUnformatted(recs[i]);
            if (line) fprintf(af.f, "%s\n", line);
            else st = ws_nomem(ctx), ws_atomic_abort(&af);
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


static long writer_under(const char *dir, int depth, char *where, size_t cap) {
    long pid = ws_dir_writer(dir);
    if (pid) {
        snprintf(where, cap, "%s", dir);
        return pid;
    }
    struct dirent **names;
    int n = depth < 4 ? scandir(dir, &names, NULL, alphasort) : 0;
    for (int i = 0; i < n; i++) {
        const char *name = names[i]->d_name;
        char sub[1200];
        struct stat sb;
        // Hidden folders and a run's units/ (records, checkpoints) hold no results folder.
        if (!pid && name[0] != '.' && strcmp(name, "units") &&
            snprintf(sub, sizeof sub, "%s/%s", dir, name) < (int)sizeof sub && stat(sub, &sb) == 0 && S_ISDIR(sb.st_mode))
            pid = writer_under(sub, depth + 1, where, cap);
        free(names[i]);
    }
    if (n > 0) free(names);
    return pid;
}

long ws_results_writer(const char *path, char *where, size_t cap) {
    struct stat sb;
    char dir[1200];
    snprintf(dir, sizeof dir, "%s", path);
    const int folder = stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
    if (!folder) { // a results file (or one not there yet): its folder alone
        char copy[1200];
        snprintf(copy, sizeof copy, "%s", path);
        snprintf(dir, sizeof dir, "%s", dirname(copy));
    }
    return writer_under(dir, folder ? 0 : 4, where, cap);
}
