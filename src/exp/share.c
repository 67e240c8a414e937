// Work shared between a sweep's points: see share.h.
#define _POSIX_C_SOURCE 200809L
#include "exp/share.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exp/run.h"
#include "exp/scenario.h"
#include "exp/units.h"
#include "io/json.h"

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

// The settings that only say where a unit stops along a run whose beginning does not depend on
// them: a positive count of epochs. Units whose keys differ only in such a setting are the same
// run cut at different counts, so the first point's unit trains to the largest and every other
// is its snapshot at its own count (ws_share.at). tests/cli/test_share.sh compares every
// snapshot with the same point run alone.
static const struct {
    const char *scenario, *role, *key;
    const char *why;
} PREFIX[] = {
    {"batch", "phase1", "phase1_epochs",
     "a fixed-epoch phase 1 (the count > 0; 0 trains to the threshold) draws each epoch's order and augmentation from "
     "streams named by the epoch's number and has no schedule over its length, so its first E epochs are the same "
     "whatever the count (train.h, ws_train_config.snap_at); warm learners take its model, BatchNorm buffers, "
     "initialisation and optimizer state, all in the snapshot's checkpoint"},
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

// Unit `id`'s key (ws_share_key); with `count` non-NULL, also without the PREFIX settings that
// apply to it, their value (a positive count) in *count (0: none applies, or not a positive count).
static char *unit_key(const cJSON *config, const char *id, int *count) {
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
            ws_json_push(own, cJSON_Duplicate(learner, 1));
        }
    }
    if (count) *count = 0;
    for (size_t i = 0; c && count && i < sizeof PREFIX / sizeof PREFIX[0]; i++) {
        if (strcmp(PREFIX[i].scenario, scenario) || !role_is(PREFIX[i].role, name, learner)) continue;
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(c, PREFIX[i].key);
        if (!cJSON_IsNumber(v) || v->valuedouble < 1 || v->valuedouble != (double)v->valueint) continue;
        *count = v->valueint;
        cJSON_DeleteItemFromObjectCaseSensitive(c, PREFIX[i].key);
    }
    char *text = c ? cJSON_PrintUnformatted(c) : NULL;
    cJSON_Delete(c);
    char *key = text ? ws_sys_malloc(strlen(id) + strlen(text) + 2) : NULL;
    if (key) sprintf(key, "%s\n%s", id, text);
    free(text);
    return key;
}

char *ws_share_key(const cJSON *config, const char *id) { return unit_key(config, id, NULL); }

void ws_share_snapshot_id(const char *id, int epochs, char *buf, size_t cap) { snprintf(buf, cap, "%s@%d", id, epochs); }

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

// Point pe's units' keys into keys[0..n), and their keys without the PREFIX settings and the
// counts those hold into pkeys and counts.
static ws_status point_keys(ws_ctx *ctx, const ws_experiment *pe, char **keys, char **pkeys, int *counts, int n) {
    ws_ctx scratch;
    memset(&scratch, 0, sizeof scratch);
    scratch.alloc_failures = ctx->alloc_failures;
    ws_status st = ws_experiment_ctx(&scratch, &pe->opt);
    ws_source data, pre;
    nominal_source(&data, &pe->opt, pe->opt.data);
    nominal_source(&pre, &pe->opt, pe->opt.pretrain);
    const ws_scenario *sc = ws_scenario_of(pe->scenario);
    cJSON *config = st ? NULL : sc->config_json(pe, &data, pe->scenario == WS_CMD_TRANSFER ? &pre : NULL, &scratch);
    ws_unit_id *ids = ws_sys_calloc((size_t)(n > 0 ? n : 1), sizeof *ids);
    const int per = ws_units_group(pe);
    for (int i = 0; ids && i < pe->batch.base.seeds; i++) sc->ids(pe, pe->batch.base.seed + (uint64_t)i, ids + i * per);
    for (int k = 0; !st && config && ids && k < n; k++)
        if (!(keys[k] = unit_key(config, ids[k], NULL)) || !(pkeys[k] = unit_key(config, ids[k], &counts[k])))
            st = ws_nomem(ctx);
    // A key built while memory ran out may lack a setting, and two different units would share.
    if (!st && (!config || !ids || ws_ctx_out_of_memory(ctx))) st = ws_nomem(ctx);
    if (st == WS_ERR_NOMEM) ws_fail(ctx, st, "out of memory for the units' keys");
    else if (st) ws_fail(ctx, st, "%s", scratch.err);
    free(ids);
    cJSON_Delete(config);
    ws_ctx_release(&scratch);
    return st;
}

// Unit t's canonical unit: the first earlier canonical unit with its key (the same unit), else
// the first earlier canonical unit with its key less the PREFIX settings, both counts positive
// (t is a snapshot of it at t's count, ws_share.at), else itself.
static void find_canon(ws_share *s, char **keys, char **pkeys, int t) {
    s->canon[t] = t;
    for (int j = 0; j < t; j++)
        if (s->canon[j] == j && !strcmp(keys[j], keys[t])) {
            s->canon[t] = j, s->nshared++;
            return;
        }
    for (int j = 0; j < t && s->count[t] > 0; j++)
        if (s->canon[j] == j && s->count[j] > 0 && !strcmp(pkeys[j], pkeys[t])) {
            s->canon[t] = j, s->at[t] = s->count[t], s->nshared++, s->nsnapshots++;
            return;
        }
}

ws_status ws_share_plan(ws_ctx *ctx, const ws_experiment *e, ws_share *s) {
    memset(s, 0, sizeof *s);
    const int np = s->npoints = ws_experiment_npoints(e);
    ws_experiment **pts = ws_sys_calloc((size_t)np, sizeof *pts);
    s->first = ws_sys_calloc((size_t)np + 1, sizeof *s->first);
    s->dirs = ws_sys_calloc((size_t)np, sizeof *s->dirs);
    ws_status st = pts && s->first && s->dirs ? WS_OK : ws_fail(ctx, WS_ERR_NOMEM, "out of memory");
    for (int p = 0; p < np && !st; p++) {
        if ((st = ws_experiment_point(ctx, e, p, &pts[p]))) break;
        s->first[p + 1] = s->first[p] + ws_units_count(pts[p]);
        snprintf(s->dirs[p], sizeof s->dirs[p], "%s", pts[p]->opt.out);
    }
    const int total = s->total = st ? 0 : s->first[np];
    const size_t n = (size_t)total + 1;
    char **keys = ws_sys_calloc(n, sizeof *keys), **pkeys = ws_sys_calloc(n, sizeof *pkeys);
    s->canon = ws_sys_calloc(n, sizeof *s->canon);
    s->at = ws_sys_calloc(n, sizeof *s->at);
    s->count = ws_sys_calloc(n, sizeof *s->count);
    s->upto = ws_sys_calloc(n, sizeof *s->upto);
    s->recs = ws_sys_calloc(n, sizeof *s->recs);
    if (!st && (!keys || !pkeys || !s->canon || !s->at || !s->count || !s->upto || !s->recs))
        st = ws_fail(ctx, WS_ERR_NOMEM, "out of memory");
    for (int p = 0; p < np && !st; p++) {
        const int f = s->first[p];
        st = point_keys(ctx, pts[p], keys + f, pkeys + f, s->count + f, s->first[p + 1] - f);
    }
    // The first unit with a key is the one computed (a hash would do for sweeps of thousands of units).
    for (int t = 0; t < total && !st; t++) find_canon(s, keys, pkeys, t);
    // A canonical unit with snapshots trains to the largest count of its chain (upto); the
    // counts over the chains: trained, and what every point alone would train.
    for (int t = 0; t < total && !st; t++) {
        if (s->at[t] <= 0) continue;
        const int c = s->canon[t];
        if (!s->upto[c]) s->upto[c] = s->count[c], s->count_alone += s->count[c];
        s->count_alone += s->at[t];
        if (s->at[t] > s->upto[c]) s->upto[c] = s->at[t];
    }
    for (int c = 0; c < total && !st; c++) s->count_trained += s->upto[c];
    for (int t = 0; keys && t < total; t++) free(keys[t]), free(pkeys ? pkeys[t] : NULL);
    free(keys);
    free(pkeys);
    for (int p = 0; pts && p < np; p++) ws_experiment_free(pts[p]);
    free(pts);
    if (st) ws_share_free(s);
    return st;
}

void ws_share_free(ws_share *s) {
    for (int t = 0; s->recs && t < s->total; t++) cJSON_Delete(s->recs[t]);
    free(s->recs);
    free(s->canon);
    free(s->at);
    free(s->count);
    free(s->upto);
    free(s->first);
    free(s->dirs);
    memset(s, 0, sizeof *s);
}

int ws_share_source(const ws_share *s, int p, int k) {
    if (!s || !s->canon || p < 0 || p >= s->npoints) return -1;
    const int t = s->first[p] + k;
    return t < s->first[p + 1] && s->canon[t] != t ? s->canon[t] : -1;
}

void ws_share_record_id(const ws_share *s, int p, int k, const char *id, char *buf, size_t cap) {
    const int t = ws_share_source(s, p, k) >= 0 ? s->first[p] + k : -1;
    if (t >= 0 && s->at[t] > 0) ws_share_snapshot_id(id, s->at[t], buf, cap);
    else snprintf(buf, cap, "%s", id);
}

static int by_value(const void *a, const void *b) { return *(const int *)a - *(const int *)b; }

int ws_share_snapshots(const ws_share *s, int p, int k, int **epochs) {
    *epochs = NULL;
    if (!s || !s->canon || p < 0 || p >= s->npoints || s->first[p] + k >= s->first[p + 1]) return 0;
    const int c = s->first[p] + k;
    if (!s->upto[c]) return 0;
    int n = 0, *e = ws_sys_malloc(sizeof *e * (size_t)(s->total + 1));
    if (!e) return -1;
    e[n++] = s->count[c];
    for (int t = c + 1; t < s->total; t++) {
        if (s->canon[t] != c || s->at[t] <= 0) continue;
        int seen = 0;
        for (int i = 0; i < n && !seen; i++) seen = e[i] == s->at[t];
        if (!seen) e[n++] = s->at[t];
    }
    qsort(e, (size_t)n, sizeof *e, by_value);
    *epochs = e;
    return n;
}
