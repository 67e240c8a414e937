// The results table (table.h): folders, points, runs and lookups. The records themselves are
// read by their scenarios (scenario.h).
#define _POSIX_C_SOURCE 200809L
#include "exp/table.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "exp/scenario.h"
#include "io/jsonl.h"
#include "io/lock.h"

// ---- learners, runs, curves ---------------------------------------------------------------------

int ws_table_learner(const ws_table *t, const char *name) {
    for (int i = 0; i < t->nlearners; i++)
        if (!strcmp(t->learners[i], name)) return i;
    return -1;
}

int ws_table_learner_add(ws_table *t, const char *name) {
    int i = ws_table_learner(t, name);
    if (i >= 0 || t->nlearners == WS_TABLE_MAX_LEARNERS) return i;
    snprintf(t->learners[t->nlearners], sizeof t->learners[0], "%s", name);
    t->fresh[t->nlearners] = !strcmp(name, "random");
    return t->nlearners++;
}

ws_run *ws_point_add_run(ws_point *p, int learner, int64_t seed, int stage) {
    if (p->nruns == p->cap) {
        int cap = p->cap ? 2 * p->cap : 16;
        ws_run *v = ws_sys_realloc(p->runs, (size_t)cap * sizeof *v);
        if (!v) return NULL;
        p->runs = v, p->cap = cap;
    }
    ws_run *r = &p->runs[p->nruns++];
    memset(r, 0, sizeof *r);
    r->learner = learner, r->seed = seed, r->stage = stage;
    for (int k = 0; k < WS_M_COUNT; k++) r->m[k] = NAN;
    return r;
}

ws_status ws_curve_from_json(ws_ctx *ctx, ws_curve *c, const cJSON *x, const cJSON *y) {
    int n = cJSON_GetArraySize(x) < cJSON_GetArraySize(y) ? cJSON_GetArraySize(x) : cJSON_GetArraySize(y);
    if (n <= 0) return WS_OK;
    c->x = ws_sys_malloc(sizeof *c->x * (size_t)n), c->y = ws_sys_malloc(sizeof *c->y * (size_t)n);
    if (!c->x || !c->y) return ws_fail(ctx, WS_ERR_NOMEM, "out of memory for the results table");
    const cJSON *a = x->child, *b = y->child;
    for (int i = 0; i < n; i++, a = a->next, b = b->next) {
        c->x[i] = cJSON_IsNumber(a) ? a->valuedouble : NAN;
        c->y[i] = cJSON_IsNumber(b) ? b->valuedouble : NAN;
    }
    c->n = n;
    return WS_OK;
}

double ws_curve_at(const ws_curve *c, double x) {
    for (int i = 0; i < c->n; i++)
        if (c->x[i] == x) return c->y[i];
    return NAN;
}

static void point_free(ws_point *p) {
    for (int i = 0; i < p->nruns; i++)
        for (int k = 0; k < WS_CURVE_COUNT; k++) free(p->runs[i].curve[k].x), free(p->runs[i].curve[k].y);
    free(p->runs);
    cJSON_Delete(p->config);
}

void ws_table_free(ws_table *t) {
    if (!t) return;
    for (int i = 0; i < t->npoints; i++) point_free(&t->points[i]);
    free(t->points);
    free(t);
}

// ---- lookups ------------------------------------------------------------------------------------

static int by_key(const void *a, const void *b) {
    const ws_run *x = a, *y = b;
    if (x->learner != y->learner) return x->learner < y->learner ? -1 : 1;
    if (x->seed != y->seed) return x->seed < y->seed ? -1 : 1;
    return (x->stage > y->stage) - (x->stage < y->stage);
}

void ws_point_sort(ws_point *p) {
    if (p->nruns) qsort(p->runs, (size_t)p->nruns, sizeof *p->runs, by_key); // a point with no run has no array
}

const ws_run *ws_point_run(const ws_point *p, int learner, int64_t seed, int stage) {
    ws_run key = {.learner = learner, .seed = seed, .stage = stage};
    return p->nruns ? bsearch(&key, p->runs, (size_t)p->nruns, sizeof *p->runs, by_key) : NULL;
}

int ws_point_seeds(const ws_point *p, int learner, int64_t *seeds, int cap) {
    int n = 0;
    for (int i = 0; i < p->nruns; i++) // sorted: a learner's seeds ascending, each once per stage
        if (p->runs[i].learner == learner && (!n || seeds[n - 1] != p->runs[i].seed) && n < cap) seeds[n++] = p->runs[i].seed;
    return n;
}

int ws_point_stages(const ws_point *p, int learner) {
    int n = 0;
    for (int i = 0; i < p->nruns; i++)
        if (p->runs[i].learner == learner && p->runs[i].stage + 1 > n) n = p->runs[i].stage + 1;
    return n;
}

int ws_params_match(const char *want, const char *params) {
    char a[512], *save = NULL;
    int n = 0, m = 0;
    snprintf(a, sizeof a, "%s", want);
    for (char *tok = strtok_r(a, " ", &save); tok; tok = strtok_r(NULL, " ", &save), n++) {
        const char *p = strstr(params, tok);
        const size_t len = strlen(tok);
        while (p && ((p != params && p[-1] != ' ') || (p[len] && p[len] != ' '))) p = strstr(p + 1, tok);
        if (!p) return 0;
    }
    for (const char *p = params; *p; p++) m += *p == '=';
    return n == m;
}

const ws_point *ws_table_point(const ws_table *t, const char *params) {
    for (int i = 0; i < t->npoints; i++)
        if (ws_params_match(params, t->points[i].params)) return &t->points[i];
    return NULL;
}

// ---- reading ------------------------------------------------------------------------------------

typedef struct {
    ws_table *t;
    ws_point *p;
    const ws_scenario *sc;
} reading;

static ws_status read_record(ws_ctx *ctx, cJSON *rec, void *user) {
    reading *r = user;
    cJSON *config = cJSON_GetObjectItemCaseSensitive(rec, "config");
    if (!cJSON_IsObject(config)) return ws_fail(ctx, WS_ERR_FORMAT, "no \"config\" object (not a warmstart result)");
    if (!r->p->config) {
        r->p->config = cJSON_DetachItemViaPointer(rec, config);
        const char *e = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r->p->config, "experiment"));
        if (e && !r->t->experiment[0]) snprintf(r->t->experiment, sizeof r->t->experiment, "%s", e);
    }
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(rec, "seed");
    const int64_t seed = cJSON_IsNumber(s) ? (int64_t)s->valuedouble : r->p->nrecords + 1;
    r->p->nrecords++;
    return r->sc->read(ctx, rec, seed, r->t, r->p);
}

static int is_file(const char *path) {
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
}

// The scenario results file in dir, NULL: none (a point whose every seed diverged).
static const ws_scenario *results_in(const char *dir, char *path, size_t cap) {
    int n;
    const ws_scenario *const *s = ws_scenarios(&n);
    for (int i = 0; i < n; i++) {
        snprintf(path, cap, "%s/%s", dir, s[i]->results);
        if (is_file(path)) return s[i];
    }
    return NULL;
}

// Which learners start fresh, from the configuration's learners ({"name", "kind"}).
static void learner_kinds(ws_table *t, const cJSON *config) {
    const cJSON *l;
    cJSON_ArrayForEach(l, cJSON_GetObjectItemCaseSensitive(config, "learners")) {
        const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(l, "name"));
        const char *kind = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(l, "kind"));
        const int i = name && kind ? ws_table_learner(t, name) : -1;
        if (i >= 0) t->fresh[i] = !strcmp(kind, "random");
    }
}

// One point's records from `file` of scenario sc (nothing when sc is NULL).
static ws_status read_point(ws_ctx *ctx, ws_table *t, ws_point *p, const ws_scenario *sc, const char *file) {
    if (!sc) return WS_OK;
    if (t->scenario[0] && strcmp(t->scenario, sc->name))
        return ws_fail(ctx, WS_ERR_FORMAT, "%s: a %s result among %s results", file, sc->name, t->scenario);
    snprintf(t->scenario, sizeof t->scenario, "%s", sc->name);
    reading r = {t, p, sc};
    ws_status st = ws_jsonl_each(ctx, file, read_record, &r, NULL);
    if (st) return st;
    if (sc->base && t->base < 0) t->base = ws_table_learner(t, sc->base);
    learner_kinds(t, p->config);
    ws_point_sort(p);
    for (int i = 1; i < p->nruns; i++)
        if (!by_key(&p->runs[i - 1], &p->runs[i]))
            return ws_fail(ctx, WS_ERR_FORMAT, "%s: %s of seed %lld is recorded twice", file, t->learners[p->runs[i].learner],
                           (long long)p->runs[i].seed);
    return WS_OK;
}

ws_table *ws_table_new(const char *scenario) {
    ws_table *t = ws_sys_calloc(1, sizeof *t);
    if (!t) return NULL;
    t->base = -1;
    snprintf(t->scenario, sizeof t->scenario, "%s", scenario ? scenario : "");
    snprintf(t->experiment, sizeof t->experiment, "%s", t->scenario);
    return t;
}

ws_point *ws_table_add_point(ws_table *t) {
    ws_point *v = ws_sys_realloc(t->points, sizeof *v * (size_t)(t->npoints + 1));
    if (!v) return NULL;
    t->points = v;
    memset(&v[t->npoints], 0, sizeof *v);
    v[t->npoints].index = t->npoints;
    return &v[t->npoints++];
}

static ws_status add_point(ws_ctx *ctx, ws_table *t, int index) {
    ws_point *p = ws_table_add_point(t);
    if (!p) return ws_fail(ctx, WS_ERR_NOMEM, "out of memory for the results table");
    p->index = index;
    return WS_OK;
}

// A point's params from its axes and values.
static void set_params(ws_point *p) {
    p->params[0] = 0;
    for (int a = 0; a < p->naxes; a++) {
        size_t len = strlen(p->params);
        snprintf(p->params + len, sizeof p->params - len, "%s%s=%s", len ? " " : "", p->axis[a], p->value[a]);
    }
}

// Every point of a grid ({"lr": ["0.01", "0.1"], ...}, the last axis fastest, as the sweep numbers
// them) not among t's points yet, with its params and folder.
static ws_status add_grid(ws_ctx *ctx, ws_table *t, const cJSON *grid) {
    const int naxes = cJSON_GetArraySize(grid);
    int total = naxes > 0 && naxes <= WS_TABLE_MAX_AXES;
    for (const cJSON *a = grid->child; a && total; a = a->next) total *= cJSON_GetArraySize(a);
    for (int k = 0; k < total && k < 4096; k++) {
        int known = 0;
        for (int i = 0; i < t->npoints && !known; i++) known = t->points[i].index == k;
        if (known) continue;
        ws_status st = add_point(ctx, t, k);
        if (st) return st;
        ws_point *p = &t->points[t->npoints - 1];
        int stride = 1, a = naxes - 1;
        for (const cJSON *ax = NULL; a >= 0; a--) {
            ax = cJSON_GetArrayItem(grid, a);
            const int nv = cJSON_GetArraySize(ax);
            const char *v = cJSON_GetStringValue(cJSON_GetArrayItem(ax, (k / stride) % nv));
            snprintf(p->axis[a], sizeof p->axis[0], "%s", ax->string);
            snprintf(p->value[a], sizeof p->value[0], "%s", v ? v : "?");
            stride *= nv;
        }
        p->naxes = naxes;
        set_params(p);
        snprintf(p->dir, sizeof p->dir, "points/%03d", k);
    }
    return WS_OK;
}

// A sweep record's point: its number, params ({"lr": "0.01"}) and folder; each point once.
static ws_status sweep_entry(ws_ctx *ctx, cJSON *rec, void *user) {
    ws_table *t = user;
    const cJSON *pt = cJSON_GetObjectItemCaseSensitive(rec, "point"), *params = cJSON_GetObjectItemCaseSensitive(rec, "params");
    if (!cJSON_IsNumber(pt) || !cJSON_IsObject(params)) return ws_fail(ctx, WS_ERR_FORMAT, "a sweep record needs point and params");
    const int index = (int)pt->valuedouble;
    for (int i = 0; i < t->npoints; i++)
        if (t->points[i].index == index) return WS_OK;
    ws_status st = add_point(ctx, t, index);
    if (st) return st;
    ws_point *p = &t->points[t->npoints - 1];
    const cJSON *x;
    cJSON_ArrayForEach(x, params) {
        if (!cJSON_IsString(x) || p->naxes == WS_TABLE_MAX_AXES) return ws_fail(ctx, WS_ERR_FORMAT, "a sweep record's params");
        snprintf(p->axis[p->naxes], sizeof p->axis[0], "%s", x->string);
        snprintf(p->value[p->naxes++], sizeof p->value[0], "%s", x->valuestring);
    }
    set_params(p);
    const char *dir = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(rec, "dir"));
    snprintf(p->dir, sizeof p->dir, "%s", dir ? dir : "");
    // The grid itself, from the sweep's configuration: its points whose every seed diverged have
    // no record here, and are added (with no runs) so that a claim at them says so.
    const cJSON *grid = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(rec, "config"), "grid");
    return t->npoints == 1 && cJSON_IsObject(grid) ? add_grid(ctx, t, grid) : WS_OK;
}

static int by_index(const void *a, const void *b) {
    return ((const ws_point *)a)->index - ((const ws_point *)b)->index;
}

// A sweep folder: sweep.jsonl names its points, each read from its own folder.
static ws_status read_sweep(ws_ctx *ctx, ws_table *t, const char *dir, const char *file) {
    t->sweep = 1;
    ws_status st = ws_jsonl_each(ctx, file, sweep_entry, t, NULL);
    if (st) return st;
    qsort(t->points, (size_t)t->npoints, sizeof *t->points, by_index);
    for (int i = 0; i < t->npoints && !st; i++) {
        ws_point *p = &t->points[i];
        char pdir[1024], path[1100];
        if (p->dir[0]) snprintf(pdir, sizeof pdir, "%s/%s", dir, p->dir);
        else snprintf(pdir, sizeof pdir, "%s/points/%03d", dir, p->index);
        snprintf(p->dir, sizeof p->dir, "%s", pdir);
        const ws_scenario *sc = results_in(pdir, path, sizeof path);
        st = read_point(ctx, t, p, sc, path);
    }
    return st;
}

// A folder without results (or a results file not there): where a run still writes it, that
// is the reason given, not "no results".
static ws_status no_results(ws_ctx *ctx, const char *dir, const char *why) {
    const long pid = ws_dir_writer(dir);
    if (pid) return ws_fail(ctx, WS_ERR_IO, "%s: a run (pid %ld) is still writing here; its results are written when it ends", dir, pid);
    return ws_fail(ctx, WS_ERR_IO, "%s", why);
}

ws_status ws_table_read(ws_ctx *ctx, const char *path, ws_table **out) {
    *out = NULL;
    struct stat sb;
    if (stat(path, &sb) != 0) {
        char why[1200], dir[1024];
        snprintf(why, sizeof why, "%s: %s", path, ws_sys_strerror(errno));
        const char *slash = strrchr(path, '/');
        snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - path) : 1, slash ? path : ".");
        return no_results(ctx, dir, why);
    }
    ws_table *t = ws_table_new("");
    if (!t) return ws_fail(ctx, WS_ERR_NOMEM, "out of memory for the results table");
    t->experiment[0] = 0;
    char dir[1024], file[1100];
    const ws_scenario *sc = NULL;
    ws_status st = WS_OK;
    if (S_ISDIR(sb.st_mode)) {
        snprintf(dir, sizeof dir, "%s", path);
        snprintf(file, sizeof file, "%s/sweep.jsonl", dir);
        if (is_file(file)) st = read_sweep(ctx, t, dir, file);
        else if (!(sc = results_in(dir, file, sizeof file))) {
            char why[1200];
            snprintf(why, sizeof why, "%s: no results in the folder (batch.jsonl, online.jsonl, transfer.jsonl or sweep.jsonl)", dir);
            st = no_results(ctx, dir, why);
        }
    } else {
        const char *slash = strrchr(path, '/'), *base = slash ? slash + 1 : path;
        snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - path) : 1, slash ? path : ".");
        snprintf(file, sizeof file, "%s", path);
        if (!strcmp(base, "sweep.jsonl")) st = read_sweep(ctx, t, dir, file);
        else if (!(sc = ws_scenario_of_file(base)))
            st = ws_fail(ctx, WS_ERR_ARG, "%s: not a results file (batch.jsonl, online.jsonl, transfer.jsonl or sweep.jsonl)", path);
    }
    if (!st && sc && !(st = add_point(ctx, t, 0))) {
        snprintf(t->points[0].dir, sizeof t->points[0].dir, "%s", dir);
        st = read_point(ctx, t, &t->points[0], sc, file);
        if (!st && !t->points[0].nrecords) st = ws_fail(ctx, WS_ERR_FORMAT, "%s: no results in the file", file);
    }
    if (st) {
        ws_table_free(t);
        return st;
    }
    *out = t;
    return WS_OK;
}

static const char *const MEASURE_NAMES[WS_M_COUNT] = {
    [WS_M_TEST_ACC] = "test_acc",
    [WS_M_TEST_LOSS] = "test_loss",
    [WS_M_TRAIN_ACC] = "train_acc",
    [WS_M_TRAIN_LOSS] = "train_loss",
    [WS_M_EPOCHS] = "epochs",
    [WS_M_STEPS] = "steps",
    [WS_M_SECONDS] = "seconds",
    [WS_M_CUM_SECONDS] = "cumulative_seconds",
    [WS_M_EXAMPLES] = "examples",
    [WS_M_FRACTION] = "fraction",
    [WS_M_CORR_INIT] = "corr_init",
    [WS_M_GRAD_OLD] = "grad_old",
    [WS_M_GRAD_NEW] = "grad_new",
    [WS_M_UNITS_REPLACED] = "units_replaced",
    [WS_M_ONLINE_ACC] = "online_acc",
    [WS_M_STEPS_TO_TARGET] = "steps_to_target",
    [WS_M_DORMANT_0] = "dormant_0",
    [WS_M_DORMANT_025] = "dormant_0.025",
    [WS_M_DORMANT_01] = "dormant_0.1",
    [WS_M_DOHARE_DORMANT] = "dohare_dormant",
    [WS_M_ACTIVE] = "active_fraction",
    [WS_M_SRANK] = "srank",
    [WS_M_EFFECTIVE_RANK] = "effective_rank",
    [WS_M_WEIGHT_MAGNITUDE] = "weight_magnitude",
    [WS_M_PARAM_NORM] = "param_norm",
    [WS_M_DIST_INIT] = "dist_init",
    [WS_M_GRAD_NORM] = "grad_norm",
};

const char *ws_measure_name(ws_measure m) { return m >= 0 && m < WS_M_COUNT && MEASURE_NAMES[m] ? MEASURE_NAMES[m] : "?"; }
