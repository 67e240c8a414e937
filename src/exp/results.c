// The scenarios' result files (results.h).
#define _POSIX_C_SOURCE 200809L
#include "exp/results.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

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
    const char *outputs[] = {"batch.jsonl", "batch.csv", "online.jsonl", "online.csv", "transfer.jsonl", "transfer.csv"};
    for (size_t i = 0; i < sizeof outputs / sizeof *outputs; i++) {
        char path[1400];
        snprintf(path, sizeof path, "%s/%s", dir, outputs[i]);
        unlink(path);
    }
}

// The JSONL of n records made by `json`, then DIR/csv_name opened for its rows (af).
static ws_status open_outputs(ws_ctx *ctx, const char *dir, const char *jsonl, const char *csv, const cJSON *config,
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

static cJSON **records(int n) { return calloc((size_t)(n > 0 ? n : 1), sizeof(cJSON *)); }

ws_status ws_results_write_batch(ws_ctx *ctx, const char *dir, const cJSON *config, const ws_batch_seed_result *r, int n) {
    cJSON **recs = records(n);
    if (!recs) return ws_fail(ctx, WS_ERR_NOMEM, "out of memory");
    for (int i = 0; i < n; i++) recs[i] = ws_batch_seed_json(&r[i]);
    ws_atomic_file af;
    ws_status st = open_outputs(ctx, dir, "batch.jsonl", "batch.csv", config, recs, n, &af);
    free(recs);
    if (st) return st;
    // One row per (seed, learner), phase 1 first.
    fprintf(af.f, "seed,learner,n_train,test_acc,test_loss,train_acc,train_loss,epochs,steps,seconds,converged,stop\n");
    for (int i = 0; i < n; i++)
        for (int l = -1; l < r[i].nruns; l++) {
            const ws_run_result *run = l < 0 ? &r[i].phase1 : &r[i].runs[l];
            fprintf(af.f, "%llu,%s,%lld,%.6f,%.6f,%.6f,%.6f,%d,%lld,%.3f,%d,%s\n", (unsigned long long)r[i].seed,
                    run->learner, (long long)(l < 0 ? r[i].n_first : r[i].n_pool), run->test_acc, run->test_loss,
                    run->train.train_acc, run->train.loss, run->train.nepochs, (long long)run->train.steps,
                    run->train.seconds, run->train.converged, ws_stop_reason_name(run->train.stop));
        }
    return ws_atomic_commit(ctx, &af);
}

ws_status ws_results_write_online(ws_ctx *ctx, const char *dir, const cJSON *config, const ws_online_seed_result *r,
                                  int n) {
    cJSON **recs = records(n);
    if (!recs) return ws_fail(ctx, WS_ERR_NOMEM, "out of memory");
    for (int i = 0; i < n; i++) recs[i] = ws_online_seed_json(&r[i]);
    ws_atomic_file af;
    ws_status st = open_outputs(ctx, dir, "online.jsonl", "online.csv", config, recs, n, &af);
    free(recs);
    if (st) return st;
    fprintf(af.f, "seed,round,learner,examples_seen,test_acc,test_loss,train_acc,epochs,steps,seconds,cumulative_seconds,"
                  "converged,corr_round_start,corr_init,cos_round_start,cos_init,l2_round_start,l2_init,grad_norm_old,"
                  "grad_norm_new,grad_norm_old_after_epoch1,grad_norm_new_after_epoch1,units_replaced,stop\n");
    for (int i = 0; i < n; i++)
        for (int k = 0; k < r[i].nrounds; k++)
            for (int l = 0; l < r[i].nlearners; l++) {
                const ws_online_round *x = &r[i].rounds[l * r[i].nrounds + k];
                fprintf(af.f,
                        "%llu,%d,%s,%lld,%.6f,%.6f,%.6f,%d,%lld,%.3f,%.3f,%d,%.6f,%.6f,%.6f,%.6f,%.6f,%.6f,%.6g,%.6g,%.6g,"
                        "%.6g,%lld,%s\n",
                        (unsigned long long)r[i].seed, k, r[i].learner_names[l], (long long)x->n_seen, x->test_acc,
                        x->test_loss, x->train.train_acc, x->train.nepochs, (long long)x->train.steps, x->train.seconds,
                        x->cum_seconds, x->train.converged, x->to_start.pearson, x->to_init.pearson, x->to_start.cosine,
                        x->to_init.cosine, x->to_start.l2, x->to_init.l2, x->grad_old, x->grad_new, x->grad_old_epoch1,
                        x->grad_new_epoch1, (long long)x->units_replaced, ws_stop_reason_name(x->train.stop));
            }
    return ws_atomic_commit(ctx, &af);
}

ws_status ws_results_write_transfer(ws_ctx *ctx, const char *dir, const cJSON *config, const ws_transfer_seed_result *r,
                                    int n) {
    cJSON **recs = records(n);
    if (!recs) return ws_fail(ctx, WS_ERR_NOMEM, "out of memory");
    for (int i = 0; i < n; i++) recs[i] = ws_transfer_seed_json(&r[i]);
    ws_atomic_file af;
    ws_status st = open_outputs(ctx, dir, "transfer.jsonl", "transfer.csv", config, recs, n, &af);
    free(recs);
    if (st) return st;
    fprintf(af.f, "seed,percent,train_examples,learner,test_acc,test_loss,train_acc,epochs,steps,seconds,converged,stop\n");
    for (int i = 0; i < n; i++)
        for (int k = 0; k < r[i].npoints; k++) {
            const ws_transfer_point *p = &r[i].points[k];
            for (int l = 0; l < p->nlearners; l++)
                fprintf(af.f, "%llu,%g,%lld,%s,%.6f,%.6f,%.6f,%d,%lld,%.3f,%d,%s\n", (unsigned long long)r[i].seed,
                        100 * p->fraction, (long long)p->n_train, p->runs[l].learner, p->runs[l].test_acc,
                        p->runs[l].test_loss, p->runs[l].train.train_acc, p->runs[l].train.nepochs,
                        (long long)p->runs[l].train.steps, p->runs[l].train.seconds, p->runs[l].train.converged,
                        ws_stop_reason_name(p->runs[l].train.stop));
        }
    return ws_atomic_commit(ctx, &af);
}
