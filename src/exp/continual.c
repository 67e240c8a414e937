// The task-sequence scenario's chain: a learner's network task after task (continual.h).
#include "exp/continual.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exp/inside_json.h"
#include "io/json.h"

void ws_continual_config_defaults(ws_continual_config *cfg) {
    memset(cfg, 0, sizeof *cfg);
    ws_setup_defaults(&cfg->base);
    // Kumar et al.'s: batch 16 (env_batch_size), 625 steps a task (permutation_duration).
    cfg->base.batch = 16;
    ws_task_spec_defaults(&cfg->tasks);
    cfg->steps = 625;
    cfg->target = 0.8;
    cfg->window = 50;
}

ws_status ws_continual_config_check(ws_ctx *ctx, const ws_continual_config *cfg) {
    if ((cfg->steps > 0) == (cfg->task_epochs > 0))
        return ws_fail(ctx, WS_ERR_ARG, "--task-steps or --task-epochs: exactly one of them, > 0");
    if (!(cfg->target > 0 && cfg->target <= 1)) return ws_fail(ctx, WS_ERR_ARG, "--target: in (0, 1]");
    if (cfg->window < 1) return ws_fail(ctx, WS_ERR_ARG, "--target-window: at least 1 step");
    return WS_OK;
}

// ---- steps to target ----------------------------------------------------------------------------

ws_status ws_target_window_init(ws_ctx *ctx, ws_target_window *w, int window, double target) {
    memset(w, 0, sizeof *w);
    w->window = window, w->target = target, w->reached = -1;
    w->hits = ws_alloc(ctx, sizeof(int) * (size_t)window);
    w->sizes = ws_alloc(ctx, sizeof(int) * (size_t)window);
    if (!w->hits || !w->sizes) {
        ws_target_window_free(w);
        return ws_nomem(ctx);
    }
    return WS_OK;
}

void ws_target_window_free(ws_target_window *w) {
    ws_free(w->hits), ws_free(w->sizes);
    w->hits = w->sizes = NULL;
}

void ws_target_window_add(ws_target_window *w, int hits, int b) {
    if (w->filled == w->window) w->sum_hits -= w->hits[w->head], w->sum_sizes -= w->sizes[w->head];
    else w->filled++;
    w->hits[w->head] = hits, w->sizes[w->head] = b;
    w->sum_hits += hits, w->sum_sizes += b;
    w->head = (w->head + 1) % w->window;
    w->step++;
    // In integers: hits / examples >= target, with the target's rounding error kept out.
    if (w->reached < 0 && w->filled == w->window && (double)w->sum_hits >= w->target * (double)w->sum_sizes - 1e-9)
        w->reached = w->step;
}

// ---- the chain ----------------------------------------------------------------------------------

// Every learner trains on the same batches in a task: order stream 300 + task (online uses
// 100 + round, the batch experiment 1 and 2).
#define ORDER_STREAM(task) (300u + (uint64_t)(task))

struct ws_continual_chain {
    ws_ctx *ctx;
    const ws_continual_config *cfg;
    const ws_source *src;
    const ws_learner *def;
    uint64_t seed;
    ws_split s;
    int next;
    ws_norm norm;
    ws_model *m;
    ws_learner_state ls;
    float *init;   // the learner's initialisation (random: this task's)
    double cum;    // training seconds so far
};

void ws_continual_chain_close(ws_continual_chain *c) {
    if (!c) return;
    ws_model_free(c->m);
    ws_learner_state_free(&c->ls);
    ws_free(c->init);
    ws_split_free(&c->s);
    free(c);
}

ws_status ws_continual_chain_open(ws_ctx *ctx, const ws_continual_config *cfg, const ws_source *src, int seed_index,
                                  int learner, ws_continual_chain **out) {
    *out = NULL;
    if (learner < 0 || learner >= cfg->base.nlearners)
        return ws_fail(ctx, WS_ERR_ARG, "continual: no learner %d", learner);
    ws_status st = ws_task_spec_check(ctx, &cfg->tasks, src->train.num_classes);
    if (st) return st;
    ws_continual_chain *c = ws_sys_calloc(1, sizeof *c);
    if (!c) return ws_nomem(ctx);
    c->ctx = ctx, c->cfg = cfg, c->src = src, c->def = &cfg->base.learners[learner];
    c->seed = cfg->base.seed + (uint64_t)seed_index;
    if ((st = ws_split_make(ctx, &cfg->base, src, c->seed, &c->s))) {
        free(c);
        return st;
    }
    ws_setup_norm(&cfg->base, src, &c->s, &c->norm);
    ws_model_spec spec = ws_setup_learner_spec(&cfg->base, &src->train, learner);
    if ((st = ws_model_create(ctx, &c->m, &spec)) || (st = ws_learner_state_init(ctx, &c->ls, c->def, c->m))) goto fail;
    if (!(c->init = ws_alloc(ctx, sizeof(float) * (size_t)c->m->nweights))) {
        st = ws_nomem(ctx);
        goto fail;
    }
    *out = c;
    return WS_OK;
fail:
    ws_continual_chain_close(c);
    return st;
}

int ws_continual_chain_tasks(const ws_continual_chain *c) { return c->cfg->tasks.ntasks; }
int ws_continual_chain_next(const ws_continual_chain *c) { return c->next; }

void ws_continual_chain_info(const ws_continual_chain *c, ws_continual_seed_result *info) {
    memset(info, 0, sizeof *info);
    info->seed = c->seed;
    info->n_pool = c->s.n_pool;
    info->n_eval = c->s.n_eval;
    info->norm = c->norm;
    info->ntasks = c->cfg->tasks.ntasks;
}

typedef struct {
    int64_t hits, examples;
    ws_target_window win;
} online_count;

static void count_batch(void *user, int64_t step, int b, int correct, double loss) {
    (void)step, (void)loss;
    online_count *oc = user;
    oc->hits += correct, oc->examples += b;
    ws_target_window_add(&oc->win, correct, b);
}

// The task's training: the setup's optimizer and regularisers, a step (or epoch) budget, whole
// batches only (as Kumar et al.'s environments), no stopping rule and no evaluation inside.
static ws_train_config task_train_config(const ws_continual_config *cfg, online_count *oc) {
    ws_train_config tc = ws_setup_train_config(&cfg->base, cfg->base.batch, NULL);
    tc.max_epochs = 0, tc.plateau = 0, tc.eval_every = 0;
    tc.epochs = cfg->task_epochs;
    tc.max_steps = cfg->steps;
    tc.drop_last = 1;
    tc.train_acc = WS_TRAIN_ACC_EPOCH;
    tc.on_batch = count_batch, tc.on_batch_user = oc;
    return tc;
}

static ws_status train_task(ws_continual_chain *c, ws_task *task, ws_round_env *env, ws_continual_task *rec) {
    ws_ctx *ctx = c->ctx;
    ws_model *m = c->m;
    const int64_t replaced0 = c->ls.replaced; // the units a remedy resets when the task begins count too
    ws_status st = ws_learner_begin(&c->ls, m, env);
    if (st) return st;
    if (task->index == 0 || c->def->kind == WS_LEARNER_RANDOM) memcpy(c->init, m->w, sizeof(float) * (size_t)m->nweights);
    ws_optim *opt;
    if ((st = ws_learner_optimizer(&c->ls, &c->cfg->base.opt, &opt))) return st;
    online_count oc = {0};
    if ((st = ws_target_window_init(ctx, &oc.win, c->cfg->window, c->cfg->target))) return st;
    ws_train_config tc = task_train_config(c->cfg, &oc);
    ws_learner_hooks(&c->ls, &tc);
    st = ws_train_to_threshold(ctx, m, opt, &task->train, &c->norm, env->idx, env->n, &tc, c->seed,
                               ORDER_STREAM(task->index), NULL, NULL, &rec->train);
    if (!st) st = ws_learner_end(&c->ls, m, env);
    rec->online_acc = oc.examples ? (double)oc.hits / (double)oc.examples : NAN;
    rec->steps_to_target = oc.win.reached;
    rec->units_replaced = c->ls.replaced - replaced0;
    ws_target_window_free(&oc.win);
    return st;
}

ws_status ws_continual_chain_step(ws_continual_chain *c, ws_continual_task *rec) {
    ws_ctx *ctx = c->ctx;
    const ws_continual_config *cfg = c->cfg;
    const int t = c->next;
    memset(rec, 0, sizeof *rec);
    if (t >= cfg->tasks.ntasks) return ws_fail(ctx, WS_ERR_ARG, "continual: the chain has run all %d tasks", t);
    ws_task task;
    const ws_task_data data = {&c->src->train, c->s.eval_ds, c->s.pool, c->s.eval, c->s.n_pool, c->s.n_eval};
    ws_status st = ws_task_make(ctx, &cfg->tasks, &data, c->seed, t, &task);
    if (st) goto failed_early;
    // The task's examples are its own datasets: 0, 1, ... index both.
    const int64_t nidx = task.train.n > task.eval.n ? task.train.n : task.eval.n;
    int32_t *idx = ws_alloc(ctx, sizeof(int32_t) * (size_t)nidx);
    if (!idx) {
        st = ws_nomem(ctx);
        goto failed;
    }
    for (int64_t i = 0; i < nidx; i++) idx[i] = (int32_t)i;
    rec->task = t, rec->n_train = task.train.n, rec->n_eval = task.eval.n;
    rec->nclasses = task.nclasses < WS_MAX_RECORD_CLASSES ? task.nclasses : WS_MAX_RECORD_CLASSES;
    memcpy(rec->classes, task.classes, sizeof(int) * (size_t)rec->nclasses);
    // Task 0: every learner from the same initialisation ("init" 0); afterwards each begins as
    // it declares (random: "init" t).
    if (t == 0) {
        ws_rng ir = ws_rng_stream(c->seed, "init", 0);
        ws_model_init(c->m, &ir);
    }
    ws_round_env env = {.seed = c->seed, .round = t, .fresh_stream = (uint64_t)t,
                        .paper = cfg->base.protocol == WS_PROTOCOL_PAPER, .d = &task.train, .norm = &c->norm,
                        .idx = idx, .n = task.train.n, .batch = cfg->base.batch, .drop_last = 1};
    st = train_task(c, &task, &env, rec);
    if (!st)
        st = ws_evaluate(ctx, ws_learner_eval_model(&c->ls, c->m), &task.eval, &c->norm, idx, task.eval.n, cfg->base.eval_batch, &rec->test_acc,
                         &rec->test_loss);
    // Inside the network, on a probe of the task's held-out examples (its labels).
    ws_probe probe = {0};
    if (!st) st = ws_probe_make(ctx, &cfg->base, &task.eval, &c->norm, idx, task.eval.n, c->seed, &probe);
    if (!st) st = ws_probe_measure(ctx, c->m, c->init, &probe, &rec->inside);
    ws_probe_free(&probe);
    ws_free(idx);
    if (st) goto failed;
    ws_task_free(&task);
    c->cum += rec->train.seconds;
    rec->cum_seconds = c->cum;
    c->next++;
    return WS_OK;
failed:
    ws_task_free(&task);
failed_early:
    ws_fail_prefix(ctx, st, "seed %llu, task %d, %s: ", (unsigned long long)c->seed, t, c->def->name);
    return st;
}

// What every chain keeps in its checkpoint (setup.h).
static ws_chain_state chain_state(ws_continual_chain *c) {
    return (ws_chain_state){"warmstart continual chain", c->def->name, "next_task", c->seed, c->next,
                            c->cfg->tasks.ntasks, &c->cum, c->m, c->init};
}

ws_status ws_continual_chain_save(ws_continual_chain *c, const char *path) {
    ws_ckpt k;
    const ws_chain_state cs = chain_state(c);
    ws_chain_ckpt_begin(&k, &cs);
    ws_learner_state_save(&c->ls, &k);
    return ws_ckpt_write(c->ctx, &k, path);
}

ws_status ws_continual_chain_load(ws_continual_chain *c, const char *path) {
    ws_ctx *ctx = c->ctx;
    ws_st_file f;
    ws_status st = ws_st_read(ctx, &f, path);
    if (st) return st;
    const ws_chain_state cs = chain_state(c);
    int next;
    if (!(st = ws_chain_ckpt_read(ctx, &f, path, &cs, &next)) &&
        !(st = ws_learner_state_load(&c->ls, &c->cfg->base.opt, &f, path)))
        c->next = next;
    ws_st_close(&f);
    return st;
}

void ws_continual_task_free(ws_continual_task *t) {
    ws_train_result_free(&t->train);
    free(t->inside);
    t->inside = NULL;
}

void ws_continual_seed_result_free(ws_continual_seed_result *r) {
    if (!r->tasks) return;
    for (int i = 0; i < r->ntasks * r->nlearners; i++) ws_continual_task_free(&r->tasks[i]);
    ws_free(r->tasks);
    r->tasks = NULL;
}

// ---- records ------------------------------------------------------------------------------------

cJSON *ws_continual_config_json(const ws_continual_config *cfg, const ws_source *src, const ws_ctx *ctx) {
    cJSON *j = ws_setup_json(&cfg->base, "continual", src, ctx, NULL);
    // A task trains a fixed budget: the stopping rules' settings do not apply.
    static const char *const unused[] = {"threshold", "max_epochs", "epochs", "plateau", "train_acc", "eval_every",
                                         "train_accuracy"};
    for (size_t i = 0; i < sizeof unused / sizeof *unused; i++) cJSON_DeleteItemFromObjectCaseSensitive(j, unused[i]);
    cJSON *o = cJSON_AddObjectToObject(j, "continual");
    const ws_task_spec *t = &cfg->tasks;
    cJSON_AddStringToObject(o, "tasks_kind", ws_task_kind_name(t->kind));
    cJSON_AddNumberToObject(o, "tasks", t->ntasks);
    cJSON_AddNumberToObject(o, "steps_per_task", (double)cfg->steps);
    cJSON_AddNumberToObject(o, "epochs_per_task", cfg->task_epochs);
    cJSON_AddNumberToObject(o, "examples_per_task", (double)t->examples);
    cJSON_AddNumberToObject(o, "held_out_per_task", (double)t->eval_examples);
    if (t->kind == WS_TASKS_CLASS_INCREMENTAL || t->kind == WS_TASKS_FIVE_PLUS_ONE)
        cJSON_AddNumberToObject(o, "classes_per_task", t->classes_per_task);
    if (t->kind == WS_TASKS_FIVE_PLUS_ONE) cJSON_AddNumberToObject(o, "small_classes", t->small_classes);
    cJSON_AddNumberToObject(o, "target", cfg->target);
    cJSON_AddNumberToObject(o, "target_window", cfg->window);
    cJSON_AddStringToObject(o, "probe", "the task's held-out examples (random labels: its own), a seeded sample "
                                        "(stream 'probe'), at the task's end");
    cJSON_AddStringToObject(o, "online_accuracy", "hits / examples over the task's steps, each batch counted in its "
                                                  "forward before the update (Kumar et al., main.py)");
    cJSON_AddStringToObject(o, "batches", "whole batches of a fresh seeded shuffle of the task's examples, pass after "
                                          "pass (stream 'shuffle', 300 + task); the same for every learner");
    cJSON_AddStringToObject(o, "optimizer", "rebuilt every task unless a learner keeps it");
    return j;
}

cJSON *ws_continual_task_json(const ws_continual_task *x) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "task", x->task);
    cJSON_AddNumberToObject(o, "examples", (double)x->n_train);
    cJSON_AddNumberToObject(o, "held_out", (double)x->n_eval);
    if (x->nclasses) ws_json_put(o, "classes", cJSON_CreateIntArray(x->classes, x->nclasses));
    cJSON_AddNumberToObject(o, "online_acc", x->online_acc);
    cJSON_AddNumberToObject(o, "test_acc", x->test_acc);
    cJSON_AddNumberToObject(o, "test_loss", x->test_loss);
    cJSON_AddNumberToObject(o, "train_acc", x->train.train_acc);
    cJSON_AddNumberToObject(o, "train_loss", x->train.loss);
    cJSON_AddNumberToObject(o, "epochs", x->train.nepochs);
    cJSON_AddNumberToObject(o, "steps", (double)x->train.steps);
    if (x->steps_to_target >= 0) cJSON_AddNumberToObject(o, "steps_to_target", (double)x->steps_to_target);
    else cJSON_AddNullToObject(o, "steps_to_target");
    cJSON_AddNumberToObject(o, "seconds", x->train.seconds);
    cJSON_AddNumberToObject(o, "cumulative_seconds", x->cum_seconds);
    cJSON_AddBoolToObject(o, "converged", 1);
    cJSON_AddStringToObject(o, "stop", ws_stop_reason_name(x->train.stop));
    cJSON_AddNumberToObject(o, "units_replaced", (double)x->units_replaced);
    if (x->inside) ws_json_put(o, "inside", ws_inside_to_json(x->inside));
    return o;
}

ws_status ws_continual_task_from_json(ws_ctx *ctx, const cJSON *o, ws_continual_task *x) {
    memset(x, 0, sizeof *x);
    double task, ntr, nev, epochs, steps, replaced;
    ws_status st;
    if ((st = ws_json_number(ctx, o, "task", &task)) || (st = ws_json_number(ctx, o, "examples", &ntr)) ||
        (st = ws_json_number(ctx, o, "held_out", &nev)) || (st = ws_json_number(ctx, o, "online_acc", &x->online_acc)) ||
        (st = ws_json_number(ctx, o, "test_acc", &x->test_acc)) ||
        (st = ws_json_number(ctx, o, "test_loss", &x->test_loss)) ||
        (st = ws_json_number(ctx, o, "train_acc", &x->train.train_acc)) ||
        (st = ws_json_number(ctx, o, "train_loss", &x->train.loss)) || (st = ws_json_number(ctx, o, "epochs", &epochs)) ||
        (st = ws_json_number(ctx, o, "steps", &steps)) || (st = ws_json_number(ctx, o, "seconds", &x->train.seconds)) ||
        (st = ws_json_number(ctx, o, "cumulative_seconds", &x->cum_seconds)) ||
        (st = ws_json_number(ctx, o, "units_replaced", &replaced)))
        return st;
    x->task = (int)task, x->n_train = (int64_t)ntr, x->n_eval = (int64_t)nev;
    x->train.nepochs = (int)epochs, x->train.steps = (int64_t)steps, x->train.converged = 1;
    x->train.stop = ws_stop_reason_parse(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "stop")), 1);
    x->units_replaced = (int64_t)replaced;
    const cJSON *tt = cJSON_GetObjectItemCaseSensitive(o, "steps_to_target");
    x->steps_to_target = cJSON_IsNumber(tt) ? (int64_t)tt->valuedouble : -1;
    const cJSON *v;
    cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(o, "classes")) if (x->nclasses < WS_MAX_RECORD_CLASSES)
        x->classes[x->nclasses++] = v->valueint;
    return ws_inside_from_json_new(ctx, cJSON_GetObjectItemCaseSensitive(o, "inside"), &x->inside);
}

cJSON *ws_continual_seed_json(const ws_continual_seed_result *r) {
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "seed", (double)r->seed);
    cJSON_AddNumberToObject(j, "n_pool", (double)r->n_pool);
    cJSON_AddNumberToObject(j, "n_eval", (double)r->n_eval);
    ws_json_put(j, "normalization", ws_norm_json(&r->norm));
    cJSON *ls = cJSON_AddObjectToObject(j, "learners");
    for (int l = 0; l < r->nlearners; l++) {
        cJSON *arr = cJSON_AddArrayToObject(ls, r->learner_names[l]);
        for (int k = 0; k < r->ntasks; k++) ws_json_push(arr, ws_continual_task_json(&r->tasks[l * r->ntasks + k]));
    }
    return j;
}
