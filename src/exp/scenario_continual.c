// The task-sequence scenario's units (one chain of tasks per learner and seed), its result
// files, its record read back into the results table, and its entry in the table of scenarios.
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exp/results.h"
#include "exp/scenario.h"
#include "io/json.h"

// ---- units --------------------------------------------------------------------------------------

typedef struct {
    const ws_source *src;
    ws_continual_seed_result *res;
} continual_arg;

static cJSON *seed_facts_json(const ws_continual_seed_result *info) {
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "seed", (double)info->seed);
    cJSON_AddNumberToObject(j, "n_pool", (double)info->n_pool);
    cJSON_AddNumberToObject(j, "n_eval", (double)info->n_eval);
    cJSON_AddNumberToObject(j, "tasks", info->ntasks);
    ws_json_put(j, "normalization", ws_norm_json(&info->norm));
    return j;
}

// One learner's chain of tasks, in the frame of ws_units_run_chain.
static ws_status chain_open(ws_units *u, const void *arg, int i, int l, void **c) {
    return ws_continual_chain_open(u->ctx, &u->e->continual, ((const continual_arg *)arg)->src, i, l,
                                   (ws_continual_chain **)c);
}
static void chain_close(void *c) { ws_continual_chain_close(c); }
static int chain_tasks(const void *c) { return ws_continual_chain_tasks(c); }
static int chain_next(const void *c) { return ws_continual_chain_next(c); }
static ws_status chain_step(void *c, void *rec) { return ws_continual_chain_step(c, rec); }
static int task_diverged(const void *rec) { return ((const ws_continual_task *)rec)->train.diverged_epoch; }
static cJSON *task_json(const void *c, const void *rec) { return (void)c, ws_continual_task_json(rec); }
static void task_free(void *rec) { ws_continual_task_free(rec); }
static ws_status chain_save(void *c, const char *path) { return ws_continual_chain_save(c, path); }
static ws_status chain_load(void *c, const char *path) { return ws_continual_chain_load(c, path); }
static cJSON *chain_seed_json(const void *c) {
    ws_continual_seed_result info;
    ws_continual_chain_info(c, &info);
    return seed_facts_json(&info);
}
static void task_hook(const ws_hooks *h, uint64_t seed, const char *learner, const void *rec) {
    if (h->task) h->task(h->user, seed, learner, rec);
}

static const ws_chain_ops CONTINUAL_CHAIN = {
    .round = "task", .rec_size = sizeof(ws_continual_task), .open = chain_open, .close = chain_close,
    .rounds = chain_tasks, .next = chain_next, .step = chain_step, .diverged_epoch = task_diverged,
    .rec_json = task_json, .rec_free = task_free, .save = chain_save, .load = chain_load,
    .seed_json = chain_seed_json, .hook = task_hook,
};

static ws_status continual_group(ws_units *u, void *arg, int i, ws_unit_id *ids, int k0) {
    const continual_arg *a = arg;
    ws_status st = WS_OK;
    for (int l = 0; l < u->e->continual.base.nlearners && !st; l++)
        if (ws_units_todo(u, k0 + l, ids[l])) st = ws_units_run_chain(u, &CONTINUAL_CHAIN, a, i, l, ids[l]);
    return st;
}

static ws_status take_facts(ws_ctx *ctx, const cJSON *seed, ws_continual_seed_result *r) {
    double s, pool, ev, tasks;
    ws_status st;
    if ((st = ws_json_number(ctx, seed, "seed", &s)) || (st = ws_json_number(ctx, seed, "n_pool", &pool)) ||
        (st = ws_json_number(ctx, seed, "n_eval", &ev)) || (st = ws_json_number(ctx, seed, "tasks", &tasks)) ||
        (st = ws_norm_from_json(ctx, cJSON_GetObjectItemCaseSensitive(seed, "normalization"), &r->norm)))
        return st;
    r->seed = (uint64_t)s, r->n_pool = (int64_t)pool, r->n_eval = (int64_t)ev, r->ntasks = (int)tasks;
    return WS_OK;
}

static ws_status continual_take(ws_units *u, void *arg, int i, ws_unit_id *sid, int slot) {
    (void)i;
    const continual_arg *a = arg;
    const int nl = u->e->continual.base.nlearners;
    ws_ctx *ctx = u->ctx;
    ws_continual_seed_result *r = &a->res[slot];
    memset(r, 0, sizeof *r);
    ws_status st = take_facts(ctx, cJSON_GetObjectItemCaseSensitive(ws_runner_finished(u->run, sid[0]), "seed"), r);
    if (st) return st;
    r->nlearners = nl;
    if (!(r->tasks = ws_alloc(ctx, sizeof *r->tasks * (size_t)(r->ntasks * nl)))) return ws_nomem(ctx);
    memset(r->tasks, 0, sizeof *r->tasks * (size_t)(r->ntasks * nl));
    for (int l = 0; l < nl && !st; l++) {
        snprintf(r->learner_names[l], sizeof r->learner_names[l], "%s", u->e->continual.base.learners[l].name);
        for (int k = 0; k < r->ntasks && !st; k++) {
            const cJSON *rec = ws_runner_round(u->run, sid[l], k);
            if (!rec) st = ws_fail(ctx, WS_ERR_FORMAT, "unit %s: no record of task %d", sid[l], k);
            else if ((st = ws_continual_task_from_json(ctx, cJSON_GetObjectItemCaseSensitive(rec, "data"),
                                                       &r->tasks[l * r->ntasks + k])))
                ws_fail_prefix(ctx, WS_ERR_FORMAT, "unit %s, task %d: ", sid[l], k);
        }
    }
    if (st) ws_continual_seed_result_free(r);
    return st;
}

static ws_status continual_run(ws_units *u, const ws_source *data, const ws_source *pretrain, void **results, int *n) {
    (void)pretrain;
    ws_continual_seed_result *res = ws_sys_calloc((size_t)u->e->continual.base.seeds, sizeof *res);
    if (!(*results = res)) return ws_fail(u->ctx, WS_ERR_NOMEM, "out of memory");
    continual_arg a = {data, res};
    return ws_units_frame(u, continual_group, continual_take, &a, n);
}

// ---- result files -------------------------------------------------------------------------------

static void csv_row(FILE *f, const ws_continual_seed_result *r, int l, const ws_continual_task *x) {
    fprintf(f, "%llu,%d,%s,%lld,%lld,%.6f,%.6f,%.6f,%.6f,%lld,", (unsigned long long)r->seed, x->task,
            r->learner_names[l], (long long)x->n_train, (long long)x->n_eval, x->online_acc, x->test_acc, x->test_loss,
            x->train.train_acc, (long long)x->train.steps);
    if (x->steps_to_target >= 0) fprintf(f, "%lld", (long long)x->steps_to_target);
    fprintf(f, ",%.3f,%.3f,%lld\n", x->train.seconds, x->cum_seconds, (long long)x->units_replaced);
}

static ws_status continual_write(ws_ctx *ctx, const char *dir, const cJSON *config, const void *results, int n) {
    const ws_continual_seed_result *r = results;
    cJSON **recs = ws_results_records(n);
    if (!recs) return ws_fail(ctx, WS_ERR_NOMEM, "out of memory");
    for (int i = 0; i < n; i++) recs[i] = ws_continual_seed_json(&r[i]);
    ws_atomic_file af;
    ws_status st = ws_results_open(ctx, dir, "continual.jsonl", "continual.csv", config, recs, n, &af);
    free(recs);
    if (st) return st;
    fprintf(af.f, "seed,task,learner,examples,held_out,online_acc,test_acc,test_loss,last_epoch_train_acc,steps,"
                  "steps_to_target,seconds,cumulative_seconds,units_replaced\n");
    for (int i = 0; i < n; i++)
        for (int k = 0; k < r[i].ntasks; k++)
            for (int l = 0; l < r[i].nlearners; l++) csv_row(af.f, &r[i], l, &r[i].tasks[l * r[i].ntasks + k]);
    return ws_atomic_commit(ctx, &af);
}

// A task's own measures in the results table (ws_stages_read reads the rest): the online
// accuracy and the steps to target beside the run's own.
static ws_status task_measures(ws_ctx *ctx, const cJSON *o, const char *name, ws_run *r) {
    r->m[WS_M_ONLINE_ACC] = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(o, "online_acc"));
    r->m[WS_M_STEPS_TO_TARGET] = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(o, "steps_to_target"));
    r->m[WS_M_EXAMPLES] = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(o, "examples"));
    r->m[WS_M_CUM_SECONDS] = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(o, "cumulative_seconds"));
    return isfinite(r->m[WS_M_ONLINE_ACC]) ? WS_OK : ws_fail(ctx, WS_ERR_FORMAT, "%s has no online_acc", name);
}

// A seed's record back into the results table: each learner's tasks, a run per task.
static ws_status continual_read(ws_ctx *ctx, const cJSON *rec, int64_t seed, ws_table *t, ws_point *p) {
    return ws_stages_read(ctx, rec, seed, t, p, "task", task_measures);
}

// The tasks fit the data: their classes exist, and the first task (of the first seed) can be
// made and holds a whole batch.
static ws_status continual_check_data(ws_ctx *ctx, const ws_experiment *e, const ws_source *src) {
    const ws_continual_config *cfg = &e->continual;
    ws_status st = ws_task_spec_check(ctx, &cfg->tasks, src->train.num_classes);
    ws_split sp;
    if (st || (st = ws_split_make(ctx, &cfg->base, src, cfg->base.seed, &sp))) return st;
    const ws_task_data data = {&src->train, sp.eval_ds, sp.pool, sp.eval, sp.n_pool, sp.n_eval};
    ws_task task;
    if (!(st = ws_task_make(ctx, &cfg->tasks, &data, cfg->base.seed, 0, &task))) {
        if (task.train.n < cfg->base.batch)
            st = ws_fail(ctx, WS_ERR_ARG, "task 0 has %lld training examples, fewer than a batch of %d",
                         (long long)task.train.n, cfg->base.batch);
        ws_task_free(&task);
    }
    ws_split_free(&sp);
    return st;
}

// ---- the entry ----------------------------------------------------------------------------------

static int continual_group_size(const ws_experiment *e) { return e->continual.base.nlearners; }

// "s1/warm", "s1/random", ...
static void continual_ids(const ws_experiment *e, uint64_t seed, ws_unit_id *out) {
    for (int l = 0; l < e->continual.base.nlearners; l++)
        snprintf(out[l], sizeof *out, "s%llu/%s", (unsigned long long)seed, e->continual.base.learners[l].name);
}

static cJSON *continual_config(const ws_experiment *e, const ws_source *data, const ws_source *pretrain,
                               const ws_ctx *ctx) {
    (void)pretrain;
    return ws_continual_config_json(&e->continual, data, ctx);
}

static void continual_free(void *results, int n) {
    ws_continual_seed_result *r = results;
    for (int i = 0; i < n; i++) ws_continual_seed_result_free(&r[i]);
    free(r);
}

static void continual_expose(const void *results, ws_scenario_results *r) { r->continual = results; }

// A seed's chains are independent (no shared start): shards split them.
const ws_scenario WS_SCENARIO_CONTINUAL = {
    .name = "continual", .commands = WS_CMD_CONTINUAL, .results = "continual.jsonl", .csv = "continual.csv",
    .independent = 1, .check_data = continual_check_data, .group = continual_group_size, .ids = continual_ids, .config_json = continual_config,
    .run = continual_run, .write = continual_write, .free_results = continual_free, .expose = continual_expose,
    .read = continual_read,
};
