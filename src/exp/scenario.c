// The table of scenarios and the run record every scenario's records hold (scenario.h).
#include "exp/scenario.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exp/inside_json.h"
#include "exp/setup.h"

// The order a results folder is searched in.
static const ws_scenario *const SCENARIOS[] = {&WS_SCENARIO_BATCH, &WS_SCENARIO_ONLINE, &WS_SCENARIO_TRANSFER,
                                               &WS_SCENARIO_CONTINUAL};
#define NSCENARIOS ((int)(sizeof SCENARIOS / sizeof *SCENARIOS))

const ws_scenario *const *ws_scenarios(int *n) {
    *n = NSCENARIOS;
    return SCENARIOS;
}

const ws_scenario *ws_scenario_of(ws_command c) {
    for (int i = 0; i < NSCENARIOS; i++)
        if (SCENARIOS[i]->commands & c) return SCENARIOS[i];
    return SCENARIOS[0]; // unreachable for a scenario command (ws_experiment_new checks)
}

const ws_scenario *ws_scenario_of_file(const char *file) {
    for (int i = 0; i < NSCENARIOS; i++)
        if (!strcmp(SCENARIOS[i]->results, file)) return SCENARIOS[i];
    return NULL;
}

static const cJSON *item(const cJSON *o, const char *key) { return cJSON_GetObjectItemCaseSensitive(o, key); }

static double num(const cJSON *o, const char *key) {
    const cJSON *v = item(o, key);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static ws_stop_reason stop_of(const cJSON *o) {
    return ws_stop_reason_parse(cJSON_GetStringValue(item(o, "stop")), !cJSON_IsFalse(item(o, "converged")));
}

// The epoch log's training accuracy, and its test accuracy where evaluated.
static ws_status epoch_curves(ws_ctx *ctx, const cJSON *log, ws_run *r) {
    const int n = cJSON_GetArraySize(log);
    if (n <= 0) return WS_OK;
    ws_curve *tr = &r->curve[WS_CURVE_TRAIN_ACC], *te = &r->curve[WS_CURVE_TEST_ACC];
    tr->x = ws_sys_malloc(sizeof(double) * (size_t)n), tr->y = ws_sys_malloc(sizeof(double) * (size_t)n);
    te->x = ws_sys_malloc(sizeof(double) * (size_t)n), te->y = ws_sys_malloc(sizeof(double) * (size_t)n);
    if (!tr->x || !tr->y || !te->x || !te->y) return ws_fail(ctx, WS_ERR_NOMEM, "out of memory for the results table");
    const cJSON *e;
    cJSON_ArrayForEach(e, log) {
        const double epoch = num(e, "epoch");
        tr->x[tr->n] = epoch, tr->y[tr->n++] = num(e, "train_acc");
        if (item(e, "test_acc")) te->x[te->n] = epoch, te->y[te->n++] = num(e, "test_acc");
    }
    return WS_OK;
}

// A record's measurement inside the network into the run's measures (its summary).
static ws_status inside_measures(ws_ctx *ctx, const cJSON *j, const char *name, ws_run *r) {
    ws_inside *in;
    ws_status st = ws_inside_from_json_new(ctx, j, &in);
    if (st) return ws_fail_prefix(ctx, st, "%s, inside: ", name);
    const ws_inside_summary s = ws_inside_summarise(in);
    free(in);
    const double v[] = {s.redo_dormant[0], s.redo_dormant[1], s.redo_dormant[2], s.dohare_dormant, s.active_fraction,
                        s.srank, s.effective_rank, s.param_mean_abs, s.param_norm, s.param_dist_init, s.grad_norm};
    for (int k = 0; k < (int)(sizeof v / sizeof *v); k++) r->m[WS_M_DORMANT_0 + k] = v[k];
    return WS_OK;
}

ws_status ws_run_read_json(ws_ctx *ctx, const cJSON *o, const char *name, ws_run *r) {
    if (!cJSON_IsObject(o) || !cJSON_IsNumber(item(o, "test_acc")))
        return ws_fail(ctx, WS_ERR_FORMAT, "%s has no test_acc", name);
    static const struct {
        ws_measure m;
        const char *key;
    } FIELDS[] = {{WS_M_TEST_ACC, "test_acc"}, {WS_M_TEST_LOSS, "test_loss"},   {WS_M_TRAIN_ACC, "train_acc"},
                  {WS_M_TRAIN_LOSS, "train_loss"}, {WS_M_EPOCHS, "epochs"},   {WS_M_STEPS, "steps"},
                  {WS_M_SECONDS, "seconds"},   {WS_M_UNITS_REPLACED, "units_replaced"}};
    for (size_t i = 0; i < sizeof FIELDS / sizeof *FIELDS; i++) r->m[FIELDS[i].m] = num(o, FIELDS[i].key);
    r->stop = stop_of(o);
    const cJSON *own = item(o, "own_phase1"), *g = item(o, "grad_log"), *sh = item(o, "shrink_eval");
    r->start_capped = cJSON_IsObject(own) && stop_of(own) == WS_STOP_CAP;
    ws_status st = epoch_curves(ctx, item(o, "epoch_log"), r);
    if (!st && item(o, "inside")) st = inside_measures(ctx, item(o, "inside"), name, r);
    if (!st) st = ws_curve_from_json(ctx, &r->curve[WS_CURVE_GRAD_OLD], item(g, "step"), item(g, "old"));
    if (!st) st = ws_curve_from_json(ctx, &r->curve[WS_CURVE_GRAD_NEW], item(g, "step"), item(g, "new"));
    if (!st) st = ws_curve_from_json(ctx, &r->curve[WS_CURVE_SHRINK_ACC], item(sh, "lambda"), item(sh, "test_acc"));
    return st;
}

ws_status ws_stages_read(ws_ctx *ctx, const cJSON *rec, int64_t seed, ws_table *t, ws_point *p, const char *stage,
                         ws_stage_reader extra) {
    const cJSON *ls = item(rec, "learners"), *x;
    if (!cJSON_IsObject(ls) || !ls->child)
        return ws_fail(ctx, WS_ERR_FORMAT, "no \"learners\" object (not a record of %ss)", stage);
    cJSON_ArrayForEach(x, ls) {
        if (!cJSON_IsArray(x) || !x->child) return ws_fail(ctx, WS_ERR_FORMAT, "learners.%s is not a list of %ss", x->string, stage);
        const int l = ws_table_learner_add(t, x->string);
        int k = 0;
        for (const cJSON *o = x->child; o; o = o->next, k++) {
            ws_run *r = l < 0 ? NULL : ws_point_add_run(p, l, seed, k);
            if (!r) return ws_fail(ctx, WS_ERR_NOMEM, "too many learners or out of memory for the results table");
            char name[160];
            snprintf(name, sizeof name, "learners.%s %s %d", x->string, stage, k);
            ws_status st = ws_run_read_json(ctx, o, name, r);
            if (!st) st = extra(ctx, o, name, r);
            if (st) return st;
        }
    }
    return WS_OK;
}
