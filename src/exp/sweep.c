#include "exp/sweep.h"

#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/jsonl.h"

void ws_pareto(const double *acc, const double *seconds, int n, uint8_t *pareto) {
    for (int i = 0; i < n; i++) {
        pareto[i] = 1;
        for (int j = 0; j < n && pareto[i]; j++)
            if (j != i && acc[j] >= acc[i] && seconds[j] <= seconds[i] && (acc[j] > acc[i] || seconds[j] < seconds[i]))
                pareto[i] = 0;
    }
}

static ws_sweep_cell *cell_for(ws_sweep_point *p, const char *name) {
    for (int i = 0; i < p->ncells; i++)
        if (!strcmp(p->cells[i].learner, name)) return &p->cells[i];
    if (p->ncells == WS_MAX_LEARNERS) return NULL;
    ws_sweep_cell *c = &p->cells[p->ncells++];
    memset(c, 0, sizeof *c);
    snprintf(c->learner, sizeof c->learner, "%s", name);
    return c;
}

static double num(const cJSON *o, const char *key, int *ok) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsNumber(v)) *ok = 0;
    return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

// Add one run (a RUN object: test_acc, seconds, epochs, converged) to a
// learner: a new seed, or (online rounds, transfer shares) the seed's last,
// whose accuracy becomes this run's and whose seconds and epochs add up.
static int add_run(ws_sweep_cell *c, const cJSON *run, int same_seed) {
    int ok = 1;
    double acc = num(run, "test_acc", &ok), secs = num(run, "seconds", &ok), ep = num(run, "epochs", &ok);
    int conv = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(run, "converged"));
    if (!ok || (!same_seed && c->n == WS_SWEEP_MAX_SEEDS) || (same_seed && c->n == 0)) return 0;
    if (!same_seed) c->n++, c->converged_seed[c->n - 1] = 1;
    int i = c->n - 1;
    c->acc[i] = acc;
    c->seconds[i] += secs;
    c->epochs[i] += ep;
    c->converged_seed[i] &= (uint8_t)conv;
    return 1;
}

int ws_sweep_converged(const ws_sweep_cell *c) {
    int k = 0;
    for (int i = 0; i < c->n; i++) k += c->converged_seed[i];
    return k;
}

// One seed's record.
static int read_record(const cJSON *rec, ws_sweep_point *p) {
    const cJSON *runs = cJSON_GetObjectItemCaseSensitive(rec, "runs");
    const cJSON *learners = cJSON_GetObjectItemCaseSensitive(rec, "learners");
    const cJSON *points = cJSON_GetObjectItemCaseSensitive(rec, "points");
    if (cJSON_IsObject(runs)) { // batch: the phase-2 runs
        for (const cJSON *r = runs->child; r; r = r->next) {
            if (!strcmp(r->string, "phase1")) continue;
            ws_sweep_cell *c = cell_for(p, r->string);
            if (!c || !add_run(c, r, 0)) return 0;
        }
        return 1;
    }
    if (cJSON_IsObject(learners)) { // online / active: every round
        for (const cJSON *l = learners->child; l; l = l->next) {
            ws_sweep_cell *c = cell_for(p, l->string);
            if (!c || !cJSON_IsArray(l)) return 0;
            int first = 1;
            for (const cJSON *r = l->child; r; r = r->next, first = 0)
                if (!add_run(c, r, !first)) return 0;
        }
        return 1;
    }
    if (cJSON_IsArray(points)) { // transfer: every share
        int first = 1;
        for (const cJSON *pt = points->child; pt; pt = pt->next, first = 0)
            for (const cJSON *r = pt->child; r; r = r->next) {
                if (!cJSON_IsObject(r) || !cJSON_GetObjectItemCaseSensitive(r, "test_acc")) continue;
                ws_sweep_cell *c = cell_for(p, r->string);
                if (!c || !add_run(c, r, !first)) return 0;
            }
        return 1;
    }
    return 0;
}

static ws_status sweep_record(ws_ctx *ctx, cJSON *rec, void *user) {
    if (!read_record(rec, user)) return ws_fail(ctx, WS_ERR_FORMAT, "not a batch, online or transfer result record");
    return WS_OK;
}

ws_status ws_sweep_read(ws_ctx *ctx, const char *jsonl, ws_sweep_point *out) {
    memset(out, 0, sizeof *out);
    ws_status st = ws_jsonl_each(ctx, jsonl, sweep_record, out, NULL);
    if (!st && out->ncells == 0) st = ws_fail(ctx, WS_ERR_FORMAT, "%s: no results in it", jsonl);
    return st;
}

ws_sweep_match ws_sweep_match_random(const double *random_acc, int nrandom, const double *warm_acc,
                                     const double *warm_seconds, int nwarm, double margin) {
    ws_sweep_match m = {-1, -1, 0};
    for (int k = 0; k < nrandom; k++)
        if (m.best_random < 0 || random_acc[k] > random_acc[m.best_random]) m.best_random = k;
    if (m.best_random < 0) return m;
    for (int k = 0; k < nwarm; k++)
        if (warm_acc[k] >= random_acc[m.best_random] - margin) {
            m.nmatched++;
            if (m.fastest_match < 0 || warm_seconds[k] < warm_seconds[m.fastest_match]) m.fastest_match = k;
        }
    return m;
}
