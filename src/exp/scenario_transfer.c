// The transfer scenario's units (a seed's pretraining on A, then one unit per share of B and
// learner), its result files, and its entry in the table of scenarios (scenario.h).
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exp/results.h"
#include "exp/scenario.h"
#include "io/json.h"

// ---- units --------------------------------------------------------------------------------------

typedef struct {
    const ws_source *a, *b;
    ws_transfer_seed_result *res;
} transfer_arg;

static ws_status ensure_pretrained(ws_units *u, ws_transfer_seed *t, const char *id, const char *ckpt, int *state) {
    if (*state) return WS_OK;
    const cJSON *fin = ws_runner_finished(u->run, id);
    if (fin && !ws_units_is_done(fin)) return *state = -1, WS_OK;
    if (access(ckpt, F_OK) == 0 && ws_transfer_seed_load_pretrained(t, ckpt) == WS_OK) return *state = 1, WS_OK;
    ws_run_result r;
    ws_status st = ws_transfer_seed_pretrain(t, &r);
    ws_run_result_free(&r);
    if (st == WS_ERR_NUMERIC) return *state = -1, WS_OK;
    if (st || (st = ws_transfer_seed_save_pretrained(t, ckpt))) return st;
    return *state = 1, WS_OK;
}

static ws_status transfer_group(ws_units *u, void *arg, int i, ws_unit_id *ids, int k0) {
    const transfer_arg *ta = arg;
    const ws_transfer_config *cfg = &u->e->transfer;
    ws_ctx *ctx = u->ctx;
    ws_transfer_seed *t;
    ws_status st = ws_transfer_seed_open(ctx, cfg, ta->a, ta->b, i, &t);
    if (st) return st;
    char ckpt[1400];
    ws_units_ckpt(u, k0, ids[0], -1, ckpt, sizeof ckpt);
    int pre = 0;
    if (ws_units_todo(u, k0, ids[0])) {
        ws_run_result r;
        st = ws_transfer_seed_pretrain(t, &r);
        if (st == WS_ERR_NUMERIC) st = ws_units_record_diverged(u, ids[0], -1, r.train.diverged_epoch), pre = -1;
        else if (!st && !(st = ws_transfer_seed_save_pretrained(t, ckpt)))
            st = ws_units_record_done(u, ids[0], ws_run_json(&r), NULL), pre = 1;
        ws_run_result_free(&r);
    }
    const int nl = cfg->base.nlearners;
    for (int k = 0; k < cfg->nfractions && !st; k++)
        for (int l = 0; l < nl && !st; l++) {
            const char *id = ids[1 + k * nl + l];
            if (!ws_units_todo(u, k0 + 1 + k * nl + l, id)) continue;
            if ((st = ensure_pretrained(u, t, ids[0], ckpt, &pre))) break;
            if (pre < 0) {
                ws_fail(ctx, WS_ERR_NUMERIC, "pretraining of seed %llu diverged", (unsigned long long)ws_transfer_seed_value(t));
                st = ws_units_record_diverged(u, id, -1, 0);
                continue;
            }
            ws_transfer_point pt;
            memset(&pt, 0, sizeof pt);
            st = ws_transfer_seed_point(t, k, l, &pt);
            if (st == WS_ERR_NUMERIC) st = ws_units_record_diverged(u, id, -1, pt.runs[l].train.diverged_epoch);
            else if (!st) {
                cJSON *data = ws_run_json(&pt.runs[l]);
                cJSON_AddNumberToObject(data, "fraction", pt.fraction);
                cJSON_AddNumberToObject(data, "train_examples", (double)pt.n_train);
                if (cfg->base.learners[l].kind == WS_LEARNER_WARM)
                    ws_json_put(data, "warm_body_vs_pretrained", ws_similarity_json(&pt.warm_to_pretrained));
                st = ws_units_record_done(u, id, data, NULL);
            }
            ws_run_result_free(&pt.runs[l]);
        }
    ws_transfer_seed_close(t);
    return st;
}

static ws_status transfer_take(ws_units *u, void *arg, int i, ws_unit_id *sid, int slot) {
    const transfer_arg *ta = arg;
    const ws_transfer_config *cfg = &u->e->transfer;
    const int nl = cfg->base.nlearners;
    ws_ctx *ctx = u->ctx;
    ws_transfer_seed_result *r = &ta->res[slot];
    memset(r, 0, sizeof *r);
    r->seed = cfg->base.seed + (uint64_t)i;
    ws_status st = ws_run_from_json(ctx, cJSON_GetObjectItemCaseSensitive(ws_runner_finished(u->run, sid[0]), "data"),
                                    &r->pretrain);
    if (st) return st;
    r->pretrain.learner = "pretrain";
    for (int k = 0; k < cfg->nfractions && !st; k++) {
        ws_transfer_point *p = &r->points[r->npoints++];
        for (int l = 0; l < nl && !st; l++) {
            const cJSON *data = cJSON_GetObjectItemCaseSensitive(ws_runner_finished(u->run, sid[1 + k * nl + l]), "data");
            double f, m;
            if ((st = ws_run_from_json(ctx, data, &p->runs[l])) || (st = ws_json_number(ctx, data, "fraction", &f)) ||
                (st = ws_json_number(ctx, data, "train_examples", &m)))
                break;
            p->runs[l].learner = cfg->base.learners[l].name;
            p->fraction = f, p->n_train = (int64_t)m, p->nlearners = l + 1;
            ws_similarity_from_json(cJSON_GetObjectItemCaseSensitive(data, "warm_body_vs_pretrained"),
                                    &p->warm_to_pretrained);
        }
    }
    if (st) ws_transfer_seed_result_free(r);
    return st;
}

static ws_status transfer_run(ws_units *u, const ws_source *data, const ws_source *pretrain, void **results, int *n) {
    ws_transfer_seed_result *res = ws_sys_calloc((size_t)u->e->transfer.base.seeds, sizeof *res);
    if (!(*results = res)) return ws_fail(u->ctx, WS_ERR_NOMEM, "out of memory");
    transfer_arg ta = {pretrain, data, res};
    return ws_units_frame(u, transfer_group, transfer_take, &ta, n);
}

// ---- result files -------------------------------------------------------------------------------

static ws_status write_transfer(ws_ctx *ctx, const char *dir, const cJSON *config, const ws_transfer_seed_result *r, int n) {
    cJSON **recs = ws_results_records(n);
    if (!recs) return ws_fail(ctx, WS_ERR_NOMEM, "out of memory");
    for (int i = 0; i < n; i++) recs[i] = ws_transfer_seed_json(&r[i]);
    ws_atomic_file af;
    ws_status st = ws_results_open(ctx, dir, "transfer.jsonl", "transfer.csv", config, recs, n, &af);
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

// ---- the entry ----------------------------------------------------------------------------------

static int transfer_group_size(const ws_experiment *e) { return 1 + e->transfer.nfractions * e->transfer.base.nlearners; }

// "s1/pretrain", "s1/10pct/warm", ...
static void transfer_ids(const ws_experiment *e, uint64_t seed, ws_unit_id *out) {
    const ws_transfer_config *c = &e->transfer;
    snprintf(out[0], sizeof *out, "s%llu/pretrain", (unsigned long long)seed);
    for (int k = 0; k < c->nfractions; k++)
        for (int l = 0; l < c->base.nlearners; l++)
            snprintf(out[1 + k * c->base.nlearners + l], sizeof *out, "s%llu/%gpct/%s", (unsigned long long)seed,
                     100 * c->fractions[k], c->base.learners[l].name);
}

static cJSON *transfer_config(const ws_experiment *e, const ws_source *data, const ws_source *pretrain, const ws_ctx *ctx) {
    return ws_transfer_config_json(&e->transfer, pretrain, data, ctx);
}

static ws_status transfer_write(ws_ctx *ctx, const char *dir, const cJSON *config, const void *results, int n) {
    return write_transfer(ctx, dir, config, results, n);
}

static void transfer_free(void *results, int n) {
    ws_transfer_seed_result *r = results;
    for (int i = 0; i < n; i++) ws_transfer_seed_result_free(&r[i]);
    free(r);
}

static void transfer_expose(const void *results, ws_scenario_results *r) { r->transfer = results; }

const ws_scenario WS_SCENARIO_TRANSFER = {
    .name = "transfer", .commands = WS_CMD_TRANSFER, .results = "transfer.jsonl", .csv = "transfer.csv",
    .base = "pretrain", .group = transfer_group_size, .ids = transfer_ids, .config_json = transfer_config,
    .run = transfer_run, .write = transfer_write, .free_results = transfer_free, .expose = transfer_expose,
    .read = ws_transfer_read_record,
};
