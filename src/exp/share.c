// Work shared between a sweep's points: see share.h.
#define _POSIX_C_SOURCE 200809L
#include "exp/share.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exp/run.h"
#include "exp/scenario.h"
#include "exp/units.h"

// The settings of a resolved configuration (its top-level keys) that cannot change a unit's
// result, by scenario and the unit's role: "phase1" (the unit's own name), "learner" (any
// learner's unit) or a learner's kind ("random"). OWN keeps, of the learners, the unit's own
// entry only. A setting not listed here is relevant: a row says why it is not, and
// tests/cli/test_share.sh compares every shared unit with the same unit run alone.
enum { DROP, OWN };
static const struct {
    const char *scenario, *role, *key;
    int action;
    const char *why;
} IRRELEVANT[] = {
    {"batch", "phase1", "phase2", DROP, "phase 1 trains with phase 1's optimizer and batch size"},
    {"batch", "phase1", "learners", DROP, "phase 1 is every learner's common start"},
    {"batch", "phase1", "keep_optimizer_state", DROP, "only phase 2 reads it"},
    {"batch", "phase1", "grad_every", DROP, "gradient norms are measured in phase 2"},
    {"batch", "phase1", "gradient_norm_examples", DROP, "gradient norms are measured in phase 2"},
    {"batch", "learner", "learners", OWN, "a learner's phase 2 is its own: the others' definitions do not reach it"},
    {"batch", "random", "phase1_epochs", DROP, "random begins phase 2 from a fresh initialisation (stream init 1), "
                                               "fresh BatchNorm buffers and a fresh optimizer"},
    {"batch", "random", "keep_optimizer_state", DROP, "random never keeps phase 1's optimizer state"},
};

// The learner entry of `config` named `name`, or NULL (the unit is not a learner's).
static const cJSON *learner_entry(const cJSON *config, const char *name) {
    const cJSON *l;
    cJSON_ArrayForEach(l, cJSON_GetObjectItemCaseSensitive(config, "learners")) {
        const cJSON *n = cJSON_GetObjectItemCaseSensitive(l, "name");
        if (cJSON_IsString(n) && !strcmp(n->valuestring, name)) return l;
    }
    return NULL;
}

static int role_is(const char *role, const char *name, const cJSON *learner) {
    if (!learner) return !strcmp(role, name);
    const cJSON *kind = cJSON_GetObjectItemCaseSensitive(learner, "kind");
    return !strcmp(role, "learner") || (cJSON_IsString(kind) && !strcmp(role, kind->valuestring));
}

char *ws_share_key(const cJSON *config, const char *id) {
    const cJSON *exp = cJSON_GetObjectItemCaseSensitive(config, "experiment");
    const char *scenario = cJSON_IsString(exp) ? exp->valuestring : "";
    const char *slash = strrchr(id, '/'), *name = slash ? slash + 1 : id;
    const cJSON *learner = learner_entry(config, name);
    cJSON *c = cJSON_Duplicate(config, 1);
    for (size_t i = 0; c && i < sizeof IRRELEVANT / sizeof IRRELEVANT[0]; i++) {
        if (strcmp(IRRELEVANT[i].scenario, scenario) || !role_is(IRRELEVANT[i].role, name, learner)) continue;
        cJSON_DeleteItemFromObjectCaseSensitive(c, IRRELEVANT[i].key);
        if (IRRELEVANT[i].action == OWN && learner) {
            cJSON *own = cJSON_AddArrayToObject(c, IRRELEVANT[i].key);
            cJSON_AddItemToArray(own, cJSON_Duplicate(learner, 1));
        }
    }
    char *text = c ? cJSON_PrintUnformatted(c) : NULL;
    cJSON_Delete(c);
    char *key = text ? malloc(strlen(id) + strlen(text) + 2) : NULL;
    if (key) sprintf(key, "%s\n%s", id, text);
    free(text);
    return key;
}

// What the key knows of the data before it is loaded: the options that choose it (--data,
// --labels, --extra: the same options load the same data), with a nominal shape.
static void nominal_source(ws_source *s, const ws_options *o, const char *data) {
    memset(s, 0, sizeof *s);
    snprintf(s->name, sizeof s->name, "data");
    snprintf(s->root, sizeof s->root, "%s%s", data, o->svhn_extra ? " with extra" : "");
    snprintf(s->labels, sizeof s->labels, "%s", o->labels);
    s->train.c = s->train.h = s->train.w = 1;
    s->train.num_classes = s->num_classes = 2;
    s->test = s->train;
}

// Point pe's units' keys into keys[0..n).
static ws_status point_keys(ws_ctx *ctx, const ws_experiment *pe, char **keys, int n) {
    ws_ctx scratch;
    memset(&scratch, 0, sizeof scratch);
    ws_status st = ws_experiment_ctx(&scratch, &pe->opt);
    ws_source data, pre;
    nominal_source(&data, &pe->opt, pe->opt.data);
    nominal_source(&pre, &pe->opt, pe->opt.pretrain);
    const ws_scenario *sc = ws_scenario_of(pe->scenario);
    cJSON *config = st ? NULL : sc->config_json(pe, &data, pe->scenario == WS_CMD_TRANSFER ? &pre : NULL, &scratch);
    ws_unit_id *ids = calloc((size_t)(n > 0 ? n : 1), sizeof *ids);
    const int per = ws_units_group(pe);
    for (int i = 0; ids && i < pe->batch.base.seeds; i++) sc->ids(pe, pe->batch.base.seed + (uint64_t)i, ids + i * per);
    for (int k = 0; !st && config && ids && k < n; k++)
        if (!(keys[k] = ws_share_key(config, ids[k]))) st = WS_ERR_NOMEM;
    if (!st && (!config || !ids)) st = WS_ERR_NOMEM;
    if (st == WS_ERR_NOMEM) ws_fail(ctx, st, "out of memory for the units' keys");
    else if (st) ws_fail(ctx, st, "%s", scratch.err);
    free(ids);
    cJSON_Delete(config);
    ws_ctx_release(&scratch);
    return st;
}

ws_status ws_share_plan(ws_ctx *ctx, const ws_experiment *e, ws_share *s) {
    memset(s, 0, sizeof *s);
    const int np = s->npoints = ws_experiment_npoints(e);
    ws_experiment **pts = calloc((size_t)np, sizeof *pts);
    s->first = calloc((size_t)np + 1, sizeof *s->first);
    s->dirs = calloc((size_t)np, sizeof *s->dirs);
    ws_status st = pts && s->first && s->dirs ? WS_OK : ws_fail(ctx, WS_ERR_NOMEM, "out of memory");
    for (int p = 0; p < np && !st; p++) {
        if ((st = ws_experiment_point(ctx, e, p, &pts[p]))) break;
        s->first[p + 1] = s->first[p] + ws_units_count(pts[p]);
        snprintf(s->dirs[p], sizeof s->dirs[p], "%s", pts[p]->opt.out);
    }
    const int total = s->total = st ? 0 : s->first[np];
    char **keys = calloc((size_t)total + 1, sizeof *keys);
    s->canon = calloc((size_t)total + 1, sizeof *s->canon);
    s->recs = calloc((size_t)total + 1, sizeof *s->recs);
    if (!st && (!keys || !s->canon || !s->recs)) st = ws_fail(ctx, WS_ERR_NOMEM, "out of memory");
    for (int p = 0; p < np && !st; p++) st = point_keys(ctx, pts[p], keys + s->first[p], s->first[p + 1] - s->first[p]);
    // The first unit with a key is the one computed (a hash would do for sweeps of thousands of units).
    for (int t = 0; t < total && !st; t++) {
        s->canon[t] = t;
        for (int j = 0; j < t; j++)
            if (s->canon[j] == j && !strcmp(keys[j], keys[t])) {
                s->canon[t] = j, s->nshared++;
                break;
            }
    }
    for (int t = 0; keys && t < total; t++) free(keys[t]);
    free(keys);
    for (int p = 0; pts && p < np; p++) ws_experiment_free(pts[p]);
    free(pts);
    if (st) ws_share_free(s);
    return st;
}

void ws_share_free(ws_share *s) {
    for (int t = 0; s->recs && t < s->total; t++) cJSON_Delete(s->recs[t]);
    free(s->recs);
    free(s->canon);
    free(s->first);
    free(s->dirs);
    memset(s, 0, sizeof *s);
}

int ws_share_source(const ws_share *s, int p, int k) {
    if (!s || !s->canon || p < 0 || p >= s->npoints) return -1;
    const int t = s->first[p] + k;
    return t < s->first[p + 1] && s->canon[t] != t ? s->canon[t] : -1;
}
