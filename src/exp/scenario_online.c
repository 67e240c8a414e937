// The passive and active online scenario's units (one chain of rounds per learner and seed),
// its result files, and its entry in the table of scenarios (scenario.h).
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exp/results.h"
#include "exp/scenario.h"
#include "io/json.h"

// ---- units --------------------------------------------------------------------------------------

typedef struct {
    const ws_source *src;
    ws_online_seed_result *res;
} online_arg;

static cJSON *online_seed_json(const ws_online_seed_result *info) {
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "seed", (double)info->seed);
    cJSON_AddNumberToObject(j, "n_pool", (double)info->n_pool);
    cJSON_AddNumberToObject(j, "n_eval", (double)info->n_eval);
    cJSON_AddNumberToObject(j, "rounds", info->nrounds);
    cJSON_AddNumberToObject(j, "classes", info->num_classes);
    ws_json_put(j, "normalization", ws_norm_json(&info->norm));
    return j;
}

// One learner's chain of rounds, in the frame of ws_units_run_chain.
static ws_status chain_open(ws_units *u, const void *arg, int i, int l, void **c) {
    return ws_online_chain_open(u->ctx, &u->e->online, ((const online_arg *)arg)->src, i, l, (ws_online_chain **)c);
}
static void chain_close(void *c) { ws_online_chain_close(c); }
static int chain_rounds(const void *c) { return ws_online_chain_rounds(c); }
static int chain_next(const void *c) { return ws_online_chain_next(c); }
static ws_status chain_step(void *c, void *rec) { return ws_online_chain_step(c, rec); }
static int round_diverged(const void *rec) { return ((const ws_online_round *)rec)->train.diverged_epoch; }
static cJSON *round_json(const void *c, const void *rec) {
    ws_online_seed_result info;
    ws_online_chain_info(c, &info);
    return ws_online_round_json(rec, info.num_classes);
}
static void round_free(void *rec) { ws_online_round_free(rec); }
static ws_status chain_save(void *c, const char *path) { return ws_online_chain_save(c, path); }
static ws_status chain_load(void *c, const char *path) { return ws_online_chain_load(c, path); }
static cJSON *chain_seed_json(const void *c) {
    ws_online_seed_result info;
    ws_online_chain_info(c, &info);
    return online_seed_json(&info);
}
static void round_hook(const ws_hooks *h, uint64_t seed, const char *learner, const void *rec) {
    if (h->round) h->round(h->user, seed, learner, rec);
}

static const ws_chain_ops ONLINE_CHAIN = {
    .round = "round", .rec_size = sizeof(ws_online_round), .open = chain_open, .close = chain_close,
    .rounds = chain_rounds, .next = chain_next, .step = chain_step, .diverged_epoch = round_diverged,
    .rec_json = round_json, .rec_free = round_free, .save = chain_save, .load = chain_load,
    .seed_json = chain_seed_json, .hook = round_hook,
};

static ws_status online_group(ws_units *u, void *arg, int i, ws_unit_id *ids, int k0) {
    const online_arg *a = arg;
    ws_status st = WS_OK;
    for (int l = 0; l < u->e->online.base.nlearners && !st; l++)
        if (ws_units_todo(u, k0 + l, ids[l])) st = ws_units_run_chain(u, &ONLINE_CHAIN, a, i, l, ids[l]);
    return st;
}

static ws_status online_take(ws_units *u, void *arg, int i, ws_unit_id *sid, int slot) {
    const online_arg *a = arg;
    const int nl = u->e->online.base.nlearners;
    ws_ctx *ctx = u->ctx;
    ws_online_seed_result *r = &a->res[slot];
    memset(r, 0, sizeof *r);
    const cJSON *seed = cJSON_GetObjectItemCaseSensitive(ws_runner_finished(u->run, sid[0]), "seed");
    double s, pool, ev, rounds, classes;
    ws_status st;
    if ((st = ws_json_number(ctx, seed, "seed", &s)) || (st = ws_json_number(ctx, seed, "n_pool", &pool)) ||
        (st = ws_json_number(ctx, seed, "n_eval", &ev)) || (st = ws_json_number(ctx, seed, "rounds", &rounds)) ||
        (st = ws_json_number(ctx, seed, "classes", &classes)) ||
        (st = ws_norm_from_json(ctx, cJSON_GetObjectItemCaseSensitive(seed, "normalization"), &r->norm)))
        return st;
    r->seed = (uint64_t)s, r->n_pool = (int64_t)pool, r->n_eval = (int64_t)ev;
    r->nrounds = (int)rounds, r->num_classes = (int)classes, r->nlearners = nl;
    if (!(r->rounds = ws_alloc(ctx, sizeof *r->rounds * (size_t)(r->nrounds * nl)))) return ws_nomem(ctx);
    for (int l = 0; l < nl && !st; l++) {
        snprintf(r->learner_names[l], sizeof r->learner_names[l], "%s", u->e->online.base.learners[l].name);
        for (int k = 0; k < r->nrounds && !st; k++) {
            const cJSON *rec = ws_runner_round(u->run, sid[l], k);
            if (!rec) st = ws_fail(ctx, WS_ERR_FORMAT, "unit %s: no record of round %d", sid[l], k);
            else if ((st = ws_online_round_from_json(ctx, cJSON_GetObjectItemCaseSensitive(rec, "data"),
                                                     &r->rounds[l * r->nrounds + k])))
                ws_fail_prefix(ctx, WS_ERR_FORMAT, "unit %s, round %d: ", sid[l], k);
        }
    }
    if (st) ws_online_seed_result_free(r);
    return st;
}

static ws_status online_run(ws_units *u, const ws_source *data, const ws_source *pretrain, void **results, int *n) {
    (void)pretrain;
    ws_online_seed_result *res = ws_sys_calloc((size_t)u->e->online.base.seeds, sizeof *res);
    if (!(*results = res)) return ws_fail(u->ctx, WS_ERR_NOMEM, "out of memory");
    online_arg a = {data, res};
    return ws_units_frame(u, online_group, online_take, &a, n);
}

// ---- result files -------------------------------------------------------------------------------

static ws_status write_online(ws_ctx *ctx, const char *dir, const cJSON *config, const ws_online_seed_result *r, int n) {
    cJSON **recs = ws_results_records(n);
    if (!recs) return ws_fail(ctx, WS_ERR_NOMEM, "out of memory");
    for (int i = 0; i < n; i++) recs[i] = ws_online_seed_json(&r[i]);
    ws_atomic_file af;
    ws_status st = ws_results_open(ctx, dir, "online.jsonl", "online.csv", config, recs, n, &af);
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


// The rounds must fit the pool.
static ws_status online_check_data(ws_ctx *ctx, const ws_experiment *e, const ws_source *src) {
    ws_split sp;
    ws_status st = ws_split_make(ctx, &e->online.base, src, e->online.base.seed, &sp);
    if (st) return st;
    const int fits = ws_online_schedule(sp.n_pool, e->online.k0, e->online.k, e->online.rounds, NULL, 0) > 0;
    ws_split_free(&sp);
    if (!fits)
        return ws_fail(ctx, WS_ERR_ARG, "%lld first examples and %lld per round do not fit a pool of %lld",
                       (long long)e->online.k0, (long long)e->online.k, (long long)sp.n_pool);
    return WS_OK;
}

// ---- the entry ----------------------------------------------------------------------------------

static int online_group_size(const ws_experiment *e) { return e->online.base.nlearners; }

// "s1/warm", "s1/random", ...
static void online_ids(const ws_experiment *e, uint64_t seed, ws_unit_id *out) {
    for (int l = 0; l < e->online.base.nlearners; l++)
        snprintf(out[l], sizeof *out, "s%llu/%s", (unsigned long long)seed, e->online.base.learners[l].name);
}

static cJSON *online_config(const ws_experiment *e, const ws_source *data, const ws_source *pretrain, const ws_ctx *ctx) {
    (void)pretrain;
    return ws_online_config_json(&e->online, data, ctx);
}

static ws_status online_write(ws_ctx *ctx, const char *dir, const cJSON *config, const void *results, int n) {
    return write_online(ctx, dir, config, results, n);
}

static void online_free(void *results, int n) {
    ws_online_seed_result *r = results;
    for (int i = 0; i < n; i++) ws_online_seed_result_free(&r[i]);
    free(r);
}

static void online_expose(const void *results, ws_scenario_results *r) { r->online = results; }

// A seed's chains are independent (no shared start): shards split them.
const ws_scenario WS_SCENARIO_ONLINE = {
    .name = "online", .commands = WS_CMD_ONLINE | WS_CMD_ACTIVE, .results = "online.jsonl", .csv = "online.csv",
    .independent = 1, .check_data = online_check_data, .group = online_group_size, .ids = online_ids, .config_json = online_config, .run = online_run,
    .write = online_write, .free_results = online_free, .expose = online_expose, .read = ws_online_read_record,
};
