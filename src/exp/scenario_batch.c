// The two-phase scenario's units (a seed's phase 1, then one unit per learner from it), its
// result files, and its entry in the table of scenarios (scenario.h).
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
    const ws_source *src;
    ws_batch_seed_result *res;
} batch_arg;

static cJSON *batch_seed_json(const ws_batch_seed_result *info) {
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "seed", (double)info->seed);
    cJSON_AddNumberToObject(j, "n_pool", (double)info->n_pool);
    cJSON_AddNumberToObject(j, "n_first", (double)info->n_first);
    cJSON_AddNumberToObject(j, "n_eval", (double)info->n_eval);
    ws_json_put(j, "normalization", ws_norm_json(&info->norm));
    if (info->drawn) ws_json_put(j, "phase2", ws_opt_json(&info->opt2, info->batch2)); // drawn for this seed
    return j;
}

// Phase 1 for the learners' sake: from its checkpoint, else run (and saved). *state: 1
// ready, -1 it diverges.
static ws_status ensure_phase1(ws_units *u, ws_batch_seed *b, const char *id, const char *ckpt, int *state) {
    if (*state) return WS_OK;
    const cJSON *fin = ws_runner_finished(u->run, id);
    if (fin && !ws_units_is_done(fin)) return *state = -1, WS_OK;
    if (access(ckpt, F_OK) == 0 && ws_batch_seed_load_phase1(b, ckpt) == WS_OK) return *state = 1, WS_OK;
    ws_run_result r;
    ws_status st = ws_batch_seed_phase1(b, ws_units_epoch_hook, (void *)u->h, &r);
    ws_units_run_end(u);
    ws_run_result_free(&r);
    if (st == WS_ERR_NUMERIC) return *state = -1, WS_OK;
    if (st || (st = ws_batch_seed_save_phase1(b, ckpt))) return st;
    return *state = 1, WS_OK;
}

// Phase 1 along to its largest count, each later point's snapshot of it recorded on the way
// (exp/share.h): one count's checkpoint and record (done, or diverged from that epoch on).
typedef struct {
    ws_units *u;
    const int *counts;
    ws_unit_id *ids;
    int n;
    const ws_batch_seed_result *info;
} along_arg;

static ws_status record_along(void *user, ws_batch_seed *b, int epochs, ws_status st, ws_run_result *run) {
    along_arg *a = user;
    int i = 0;
    while (i + 1 < a->n && a->counts[i] != epochs) i++;
    const char *id = a->ids[i];
    if (ws_runner_finished(a->u->run, id)) return WS_OK; // recorded before the run was stopped
    if (st == WS_ERR_NUMERIC) return ws_units_record_diverged(a->u, id, -1, run->train.diverged_epoch);
    char ckpt[1400];
    ws_runner_ckpt(a->u->run, id, -1, ckpt, sizeof ckpt);
    if ((st = ws_batch_seed_save_phase1(b, ckpt))) return st;
    return ws_units_record_done(a->u, id, ws_run_json(run), batch_seed_json(a->info));
}

static ws_status phase1_along(ws_units *u, ws_batch_seed *b, const int *counts, ws_unit_id *ids, int n,
                              const ws_batch_seed_result *info) {
    along_arg a = {u, counts, ids, n, info};
    ws_status st = ws_batch_seed_phase1_along(b, counts, n, record_along, &a, ws_units_epoch_hook, (void *)u->h);
    ws_units_run_end(u);
    return st;
}

static ws_status batch_group(ws_units *u, void *arg, int i, ws_unit_id *ids, int k0) {
    const batch_arg *a = arg;
    const ws_batch_config *cfg = &u->e->batch;
    ws_ctx *ctx = u->ctx;
    ws_batch_seed *b;
    ws_status st = ws_batch_seed_open(ctx, cfg, a->src, i, &b);
    if (st) return st;
    ws_batch_seed_result info;
    ws_batch_seed_info(b, &info);
    char ckpt[1400];
    ws_units_ckpt(u, k0, ids[0], -1, ckpt, sizeof ckpt);
    int p1 = 0, *counts = NULL;
    ws_unit_id *snap_ids = NULL;
    const int nsnap = ws_units_snapshots(u, k0, ids[0], &counts, &snap_ids);
    if (nsnap < 0) st = ws_fail(ctx, WS_ERR_NOMEM, "out of memory");
    if (!st && nsnap > 0 && ws_units_todo(u, k0, ids[0])) {
        // Later points' phase 1 are snapshots of this one: trained once to the largest count; the
        // learners below load this point's own from its checkpoint.
        st = phase1_along(u, b, counts, snap_ids, nsnap, &info);
    } else if (!st && ws_units_todo(u, k0, ids[0])) {
        ws_run_result r;
        st = ws_batch_seed_phase1(b, ws_units_epoch_hook, (void *)u->h, &r);
        ws_units_run_end(u);
        if (st == WS_ERR_NUMERIC) {
            st = ws_units_record_diverged(u, ids[0], -1, r.train.diverged_epoch);
            p1 = -1;
        } else if (!st && !(st = ws_batch_seed_save_phase1(b, ckpt))) {
            st = ws_units_record_done(u, ids[0], ws_run_json(&r), batch_seed_json(&info));
            p1 = 1;
        }
        ws_run_result_free(&r);
    }
    for (int l = 0; l < cfg->base.nlearners && !st; l++) {
        const char *id = ids[1 + l];
        if (!ws_units_todo(u, k0 + 1 + l, id)) continue;
        if ((st = ensure_phase1(u, b, ids[0], ckpt, &p1))) break;
        if (p1 < 0) {
            ws_fail(ctx, WS_ERR_NUMERIC, "phase 1 of seed %llu diverged", (unsigned long long)info.seed);
            st = ws_units_record_diverged(u, id, -1, 0);
            continue;
        }
        ws_run_result r;
        st = ws_batch_seed_learner(b, l, ws_units_epoch_hook, (void *)u->h, &r);
        ws_units_run_end(u);
        if (st == WS_ERR_NUMERIC) st = ws_units_record_diverged(u, id, -1, r.train.diverged_epoch);
        else if (!st) {
            ws_hooks_note(u->h, NULL, "  seed %llu: %s %.2f%% (%.1fs)", (unsigned long long)info.seed, id + strcspn(id, "/") + 1,
                 100 * r.test_acc, r.train.seconds);
            st = ws_units_record_done(u, id, ws_run_json(&r), NULL);
        }
        ws_run_result_free(&r);
    }
    free(counts);
    free(snap_ids);
    ws_batch_seed_close(b);
    return st;
}

static ws_status batch_take(ws_units *u, void *arg, int i, ws_unit_id *sid, int slot) {
    const batch_arg *a = arg;
    const ws_batch_config *cfg = &u->e->batch;
    ws_ctx *ctx = u->ctx;
    ws_batch_seed_result *r = &a->res[slot];
    memset(r, 0, sizeof *r);
    const cJSON *p1 = ws_runner_finished(u->run, sid[0]), *seed = cJSON_GetObjectItemCaseSensitive(p1, "seed");
    double s, pool, first, ev;
    ws_status st;
    if ((st = ws_json_number(ctx, seed, "seed", &s)) || (st = ws_json_number(ctx, seed, "n_pool", &pool)) ||
        (st = ws_json_number(ctx, seed, "n_first", &first)) || (st = ws_json_number(ctx, seed, "n_eval", &ev)) ||
        (st = ws_norm_from_json(ctx, cJSON_GetObjectItemCaseSensitive(seed, "normalization"), &r->norm)) ||
        (st = ws_run_from_json(ctx, cJSON_GetObjectItemCaseSensitive(p1, "data"), &r->phase1)))
        return st;
    r->seed = (uint64_t)s, r->n_pool = (int64_t)pool, r->n_first = (int64_t)first, r->n_eval = (int64_t)ev;
    r->phase1.learner = "phase1";
    r->opt2 = cfg->opt2, r->batch2 = cfg->batch2;
    const cJSON *drawn = cJSON_GetObjectItemCaseSensitive(seed, "phase2"); // this seed's drawn phase-2 settings
    double lr2, b2;
    if (drawn) {
        if ((st = ws_json_number(ctx, drawn, "lr", &lr2)) || (st = ws_json_number(ctx, drawn, "batch_size", &b2)))
            return st;
        r->opt2.lr = (float)lr2, r->batch2 = (int)b2, r->drawn = 1;
    }
    for (int l = 0; l < cfg->base.nlearners; l++) {
        const cJSON *rec = ws_runner_finished(u->run, sid[1 + l]);
        st = ws_run_from_json(ctx, cJSON_GetObjectItemCaseSensitive(rec, "data"), &r->runs[l]);
        r->runs[l].learner = cfg->base.learners[l].name;
        r->nruns = l + 1;
        if (st) return ws_batch_seed_result_free(r), st;
    }
    return WS_OK;
}

static ws_status batch_run(ws_units *u, const ws_source *data, const ws_source *pretrain, void **results, int *n) {
    (void)pretrain;
    ws_batch_seed_result *res = ws_sys_calloc((size_t)u->e->batch.base.seeds, sizeof *res);
    if (!(*results = res)) return ws_fail(u->ctx, WS_ERR_NOMEM, "out of memory");
    batch_arg a = {data, res};
    return ws_units_frame(u, batch_group, batch_take, &a, n);
}

// ---- result files -------------------------------------------------------------------------------

static ws_status write_batch(ws_ctx *ctx, const char *dir, const cJSON *config, const ws_batch_seed_result *r, int n) {
    cJSON **recs = ws_results_records(n);
    if (!recs) return ws_fail(ctx, WS_ERR_NOMEM, "out of memory");
    for (int i = 0; i < n; i++) recs[i] = ws_batch_seed_json(&r[i]);
    ws_atomic_file af;
    ws_status st = ws_results_open(ctx, dir, "batch.jsonl", "batch.csv", config, recs, n, &af);
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


// ---- the entry ----------------------------------------------------------------------------------

static int batch_group_size(const ws_experiment *e) { return 1 + e->batch.base.nlearners; }

// "s1/phase1", "s1/warm", ...
static void batch_ids(const ws_experiment *e, uint64_t seed, ws_unit_id *out) {
    snprintf(out[0], sizeof *out, "s%llu/phase1", (unsigned long long)seed);
    for (int l = 0; l < e->batch.base.nlearners; l++)
        snprintf(out[1 + l], sizeof *out, "s%llu/%s", (unsigned long long)seed, e->batch.base.learners[l].name);
}

static cJSON *batch_config(const ws_experiment *e, const ws_source *data, const ws_source *pretrain, const ws_ctx *ctx) {
    (void)pretrain;
    return ws_batch_config_json(&e->batch, data, ctx);
}

static ws_status batch_write(ws_ctx *ctx, const char *dir, const cJSON *config, const void *results, int n) {
    return write_batch(ctx, dir, config, results, n);
}

static void batch_free(void *results, int n) {
    ws_batch_seed_result *r = results;
    for (int i = 0; i < n; i++) ws_batch_seed_result_free(&r[i]);
    free(r);
}

static void batch_expose(const void *results, ws_scenario_results *r) { r->batch = results; }

const ws_scenario WS_SCENARIO_BATCH = {
    .name = "batch", .commands = WS_CMD_BATCH, .results = "batch.jsonl", .csv = "batch.csv", .base = "phase1",
    .group = batch_group_size, .ids = batch_ids, .config_json = batch_config, .run = batch_run, .write = batch_write,
    .free_results = batch_free, .expose = batch_expose, .read = ws_batch_read_record,
};
