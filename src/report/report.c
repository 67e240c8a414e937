// warmstart report: every experiment of a results folder on one page.
// Records are read with the shared JSONL reader, summarised over seeds with
// ws_summarize (mean, Student-t 95 % interval) and written through the page
// writer, which renders Markdown and HTML together. Learners are whatever the
// records name, in their order: nothing here assumes "warm" and "random" only;
// a learner called "random" is the baseline that gaps are measured against.
#define _POSIX_C_SOURCE 200809L
#include "report/report.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "exp/stats.h"
#include "io/atomic.h"
#include "io/jsonl.h"
#include "report/claims.h"
#include "report/forest.h"
#include "report/page.h"

#define MAX_DEPTH 4 // folders below DIR searched for results
#define MAX_LEARNERS 32
#define MAX_POINTS 512 // rounds (online) or fractions (transfer)
#define MAX_PARAMS 16  // sweep grid parameters
#define NAME_CAP 64
#define PATH_CAP 1024

enum { BATCH, ONLINE, TRANSFER, SWEEP, NKINDS };
static const char *const RESULT_FILES[NKINDS] = {"batch.jsonl", "online.jsonl", "transfer.jsonl", "sweep.jsonl"};
static const char *const KIND_NAMES[NKINDS] = {"batch", "online", "transfer", "sweep"};
static const char *const BASELINE = "random";

// ---- values over seeds ----------------------------------------------------------------------

typedef struct {
    double *v;
    int n, cap;
} samples;

static ws_status samples_add(ws_ctx *ctx, samples *s, double x) {
    if (!isfinite(x)) return WS_OK; // an optional field absent from this record: nothing to average
    if (s->n == s->cap) {
        int cap = s->cap ? 2 * s->cap : 8;
        double *v = realloc(s->v, (size_t)cap * sizeof *v);
        if (!v) return ws_fail(ctx, WS_ERR_NOMEM, "out of memory for the report");
        s->v = v;
        s->cap = cap;
    }
    s->v[s->n++] = x;
    return WS_OK;
}

static ws_summary summary_of(const samples *s) { return ws_summarize(s->v, s->n); }

// "mean ± ci" over several seeds, the mean alone for one, "–" for none.
static void add_stat(ws_page_row *r, ws_summary s, int decimals, int sign) {
    if (!isfinite(s.mean)) ws_row_add(r, "–");
    else if (s.n >= 2 && isfinite(s.ci95))
        ws_row_add(r, sign ? "%+.*f ± %.*f" : "%.*f ± %.*f", decimals, s.mean, decimals, s.ci95);
    else ws_row_add(r, sign ? "%+.*f" : "%.*f", decimals, s.mean);
}

// ---- JSON access ----------------------------------------------------------------------------

static cJSON *item(const cJSON *o, const char *key) { return cJSON_GetObjectItemCaseSensitive(o, key); }

static double num(const cJSON *o, const char *key) {
    const cJSON *v = item(o, key);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static const char *str(const cJSON *o, const char *key) {
    const cJSON *v = item(o, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

// ---- one experiment, summarised ------------------------------------------------------------

typedef struct {
    char name[NAME_CAP];
    samples acc;             // test accuracy %: batch, the run's; online, the final round's
    samples epochs, seconds; // online: seconds are cumulative over the rounds
    samples gap;             // test accuracy minus the baseline's, points, paired by seed
    int converged, runs;
    samples *per_point; // online: test acc % per round; transfer: per fraction
} learner;

typedef struct {
    int point;
    char learner[NAME_CAP];
    cJSON *params; // detached from its record
    ws_summary acc, seconds, epochs;
    int pareto;
} sweep_row;

typedef struct {
    int kind;
    char name[24];  // config.experiment: batch, online, active, transfer, sweep
    cJSON *config;  // the first record's configuration
    int nrecords;   // seeds, except for a sweep (one record per point and learner)
    int nlearners;
    learner learners[MAX_LEARNERS];
    int npoints;
    double x[MAX_POINTS];        // online: examples seen in the round; transfer: share of B, %
    double examples[MAX_POINTS]; // transfer: training examples at that share
    samples pretrain_acc;        // transfer
    sweep_row *rows;
    int nrows, cap_rows;
    int nparams;
    char params[MAX_PARAMS][NAME_CAP];
    int max_seeds; // sweep: the most seeds behind one row
} experiment;

static void experiment_free(experiment *e) {
    for (int i = 0; i < e->nlearners; i++) {
        learner *l = &e->learners[i];
        free(l->acc.v);
        free(l->epochs.v);
        free(l->seconds.v);
        free(l->gap.v);
        if (l->per_point)
            for (int k = 0; k < MAX_POINTS; k++) free(l->per_point[k].v);
        free(l->per_point);
    }
    for (int i = 0; i < e->nrows; i++) cJSON_Delete(e->rows[i].params);
    free(e->rows);
    free(e->pretrain_acc.v);
    cJSON_Delete(e->config);
    free(e);
}

// The learner of that name, added (last) on first sight.
static ws_status learner_named(ws_ctx *ctx, experiment *e, const char *name, int with_points, learner **out) {
    for (int i = 0; i < e->nlearners; i++)
        if (!strcmp(e->learners[i].name, name)) {
            *out = &e->learners[i];
            return WS_OK;
        }
    if (e->nlearners == MAX_LEARNERS) return ws_fail(ctx, WS_ERR_FORMAT, "more than %d learners", MAX_LEARNERS);
    learner *l = &e->learners[e->nlearners];
    snprintf(l->name, sizeof l->name, "%s", name);
    if (with_points && !(l->per_point = calloc(MAX_POINTS, sizeof *l->per_point)))
        return ws_fail(ctx, WS_ERR_NOMEM, "out of memory for the report");
    e->nlearners++;
    *out = l;
    return WS_OK;
}

static const learner *baseline_of(const experiment *e) {
    for (int i = 0; i < e->nlearners; i++)
        if (!strcmp(e->learners[i].name, BASELINE)) return &e->learners[i];
    return NULL;
}

// batch.jsonl: one run per key of "runs", phase 1 first; learners' gaps to the
// baseline run of the same record (the same seed).
// A learner's final run of a seed: its accuracy, seconds, convergence and,
// unless it is the baseline, its gap to the baseline's accuracy (points).
static ws_status add_final(ws_ctx *ctx, learner *l, const cJSON *run, const char *name, double acc, double seconds,
                           double baseline_acc) {
    l->runs++;
    l->converged += cJSON_IsTrue(item(run, "converged"));
    if (samples_add(ctx, &l->acc, 100 * acc) || samples_add(ctx, &l->seconds, seconds)) return WS_ERR_NOMEM;
    if (strcmp(name, BASELINE)) return samples_add(ctx, &l->gap, 100 * (acc - baseline_acc));
    return WS_OK;
}

static ws_status add_batch_run(ws_ctx *ctx, experiment *e, const cJSON *run, double baseline_acc) {
    double acc = num(run, "test_acc");
    if (!isfinite(acc)) return ws_fail(ctx, WS_ERR_FORMAT, "runs.%s has no test_acc", run->string);
    learner *l;
    ws_status st = learner_named(ctx, e, run->string, 0, &l);
    if (st) return st;
    if (samples_add(ctx, &l->epochs, num(run, "epochs"))) return WS_ERR_NOMEM;
    return add_final(ctx, l, run, run->string, acc, num(run, "seconds"), baseline_acc);
}

static ws_status add_batch(ws_ctx *ctx, experiment *e, const cJSON *rec) {
    const cJSON *runs = item(rec, "runs");
    if (!cJSON_IsObject(runs) || !runs->child)
        return ws_fail(ctx, WS_ERR_FORMAT, "no \"runs\" object (not a batch result)");
    double baseline_acc = num(item(runs, BASELINE), "test_acc");
    ws_status st = WS_OK;
    for (int pass = 0; pass < 2; pass++) // phase 1, then the learners in the record's order
        for (const cJSON *r = runs->child; r && !st; r = r->next)
            if ((pass == 0) == !strcmp(r->string, "phase1")) st = add_batch_run(ctx, e, r, pass ? baseline_acc : NAN);
    return st;
}

static const cJSON *last_child(const cJSON *o) {
    const cJSON *c = o ? o->child : NULL;
    while (c && c->next) c = c->next;
    return c;
}

// online.jsonl: per learner a list of rounds; the table shows the final one.
static ws_status add_online_learner(ws_ctx *ctx, experiment *e, const cJSON *rounds, double baseline_acc) {
    if (!cJSON_IsArray(rounds) || !rounds->child)
        return ws_fail(ctx, WS_ERR_FORMAT, "learners.%s is not a list of rounds", rounds->string);
    learner *l;
    ws_status st = learner_named(ctx, e, rounds->string, 1, &l);
    int k = 0;
    for (const cJSON *r = rounds->child; r && !st; r = r->next, k++) {
        double acc = num(r, "test_acc"), seen = num(r, "examples_seen");
        if (!isfinite(acc) || !isfinite(seen))
            return ws_fail(ctx, WS_ERR_FORMAT, "learners.%s round %d has no test_acc or examples_seen",
                           rounds->string, k);
        if (k == MAX_POINTS) return ws_fail(ctx, WS_ERR_FORMAT, "more than %d rounds", MAX_POINTS);
        if (k >= e->npoints) e->x[e->npoints++] = seen;
        st = samples_add(ctx, &l->per_point[k], 100 * acc);
    }
    if (st) return st;
    const cJSON *last = last_child(rounds);
    double acc = num(last, "test_acc");
    return add_final(ctx, l, last, rounds->string, acc, num(last, "cumulative_seconds"), baseline_acc);
}

static ws_status add_online(ws_ctx *ctx, experiment *e, const cJSON *rec) {
    const cJSON *ls = item(rec, "learners");
    if (!cJSON_IsObject(ls) || !ls->child)
        return ws_fail(ctx, WS_ERR_FORMAT, "no \"learners\" object (not an online result)");
    double baseline_acc = num(last_child(item(ls, BASELINE)), "test_acc");
    ws_status st = WS_OK;
    for (const cJSON *l = ls->child; l && !st; l = l->next) st = add_online_learner(ctx, e, l, baseline_acc);
    return st;
}

// transfer.jsonl: per fraction, one run per learner: the point's keys whose
// values are runs (objects with test_acc); warm_body_vs_pretrained is not one.
static ws_status add_transfer(ws_ctx *ctx, experiment *e, const cJSON *rec) {
    const cJSON *points = item(rec, "points");
    if (!cJSON_IsArray(points) || !points->child)
        return ws_fail(ctx, WS_ERR_FORMAT, "no \"points\" list (not a transfer result)");
    ws_status st = samples_add(ctx, &e->pretrain_acc, 100 * num(item(rec, "pretrain"), "test_acc"));
    int k = 0;
    for (const cJSON *p = points->child; p && !st; p = p->next, k++) {
        double fraction = num(p, "fraction");
        if (!isfinite(fraction)) return ws_fail(ctx, WS_ERR_FORMAT, "points[%d] has no fraction", k);
        if (k == MAX_POINTS) return ws_fail(ctx, WS_ERR_FORMAT, "more than %d fractions", MAX_POINTS);
        if (k >= e->npoints) {
            e->x[k] = 100 * fraction;
            e->examples[k] = num(p, "train_examples");
            e->npoints++;
        }
        int runs = 0;
        for (const cJSON *v = p->child; v && !st; v = v->next) {
            double acc = num(v, "test_acc");
            if (!cJSON_IsObject(v) || !isfinite(acc)) continue;
            learner *l;
            st = learner_named(ctx, e, v->string, 1, &l);
            if (!st) st = samples_add(ctx, &l->per_point[k], 100 * acc);
            runs++;
        }
        if (!st && !runs)
            return ws_fail(ctx, WS_ERR_FORMAT, "points[%d] has no learner's run (an object with test_acc)", k);
    }
    return st;
}

// A sweep record's {"mean", "ci95", "n"}, scaled (accuracy to %).
static ws_summary stat_of(const cJSON *o, double scale) {
    double n = num(o, "n");
    ws_summary s = {isfinite(n) ? (int)n : 1, scale * num(o, "mean"), 0, scale * num(o, "ci95")};
    return s;
}

static ws_status add_param_names(ws_ctx *ctx, experiment *e, const cJSON *params) {
    for (const cJSON *p = params->child; p; p = p->next) {
        int known = 0;
        for (int i = 0; i < e->nparams && !known; i++) known = !strcmp(e->params[i], p->string);
        if (known) continue;
        if (e->nparams == MAX_PARAMS) return ws_fail(ctx, WS_ERR_FORMAT, "more than %d grid parameters", MAX_PARAMS);
        snprintf(e->params[e->nparams++], NAME_CAP, "%s", p->string);
    }
    return WS_OK;
}

// sweep.jsonl: one record per (grid point, learner), already summarised over seeds.
static ws_status add_sweep(ws_ctx *ctx, experiment *e, cJSON *rec) {
    const char *name = str(rec, "learner");
    double point = num(rec, "point");
    if (!name || !isfinite(point) || !isfinite(num(item(rec, "test_acc"), "mean")) ||
        !isfinite(num(item(rec, "seconds"), "mean")))
        return ws_fail(ctx, WS_ERR_FORMAT, "a sweep record needs point, learner, test_acc.mean and seconds.mean");
    if (e->nrows == e->cap_rows) {
        int cap = e->cap_rows ? 2 * e->cap_rows : 16;
        sweep_row *rows = realloc(e->rows, (size_t)cap * sizeof *rows);
        if (!rows) return ws_fail(ctx, WS_ERR_NOMEM, "out of memory for the report");
        e->rows = rows;
        e->cap_rows = cap;
    }
    sweep_row *r = &e->rows[e->nrows++];
    memset(r, 0, sizeof *r);
    r->point = (int)point;
    snprintf(r->learner, sizeof r->learner, "%s", name);
    r->acc = stat_of(item(rec, "test_acc"), 100);
    r->seconds = stat_of(item(rec, "seconds"), 1);
    r->epochs = stat_of(item(rec, "epochs"), 1);
    r->pareto = cJSON_IsTrue(item(rec, "pareto"));
    if (r->acc.n > e->max_seeds) e->max_seeds = r->acc.n;
    cJSON *params = item(rec, "params");
    if (cJSON_IsObject(params)) {
        r->params = cJSON_DetachItemViaPointer(rec, params);
        ws_status st = add_param_names(ctx, e, r->params);
        if (st) return st;
    }
    learner *l; // only for the list of learners in the summary line
    return learner_named(ctx, e, name, 0, &l);
}

static ws_status add_record(ws_ctx *ctx, cJSON *rec, void *user) {
    experiment *e = user;
    cJSON *config = item(rec, "config");
    if (!cJSON_IsObject(config)) return ws_fail(ctx, WS_ERR_FORMAT, "no \"config\" object (not a warmstart result)");
    if (!e->config) {
        e->config = cJSON_DetachItemViaPointer(rec, config);
        const char *name = str(e->config, "experiment");
        if (name) snprintf(e->name, sizeof e->name, "%s", name);
    }
    switch (e->kind) {
    case BATCH: return add_batch(ctx, e, rec);
    case ONLINE: return add_online(ctx, e, rec);
    case TRANSFER: return add_transfer(ctx, e, rec);
    default: return add_sweep(ctx, e, rec);
    }
}

// ---- writing --------------------------------------------------------------------------------

static void append(char *buf, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void append(char *buf, size_t cap, const char *fmt, ...) {
    size_t used = strlen(buf);
    if (used + 1 >= cap) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + used, cap - used, fmt, ap);
    va_end(ap);
}

static int swept(const experiment *e, const char *param) {
    for (int i = 0; i < e->nparams; i++)
        if (!strcmp(e->params[i], param)) return 1;
    return 0;
}

// "lr 0.001" or, when phase 2 differs (batch's --lr2), "lr 0.001 → 0.0005".
static void describe_setting(char *buf, size_t cap, const char *label, const cJSON *c, const char *key) {
    double a = num(item(c, "phase1"), key), b = num(item(c, "phase2"), key);
    if (!isfinite(a)) return;
    append(buf, cap, ", %s %g", label, a);
    if (isfinite(b) && b != a) append(buf, cap, " → %g", b);
}

// The configuration in one line: data, model, optimizer, threshold, regularisers, protocol,
// seeds and learners.
static void describe(const experiment *e, char *buf, size_t cap) {
    const cJSON *c = e->config, *data = item(c, "data");
    const char *dname = str(data, "name"), *arch = str(item(c, "model"), "arch");
    const char *opt = str(item(c, "phase1"), "optimizer");
    buf[0] = 0;
    append(buf, cap, "%s", dname ? dname : "data ?");
    if (num(data, "subset") > 0) append(buf, cap, " (subset %g)", num(data, "subset"));
    append(buf, cap, "; %s; %s", arch ? arch : "model ?", opt ? opt : "optimizer ?");
    if (!swept(e, "lr")) describe_setting(buf, cap, "lr", c, "lr");
    if (!swept(e, "batch")) describe_setting(buf, cap, "batch", c, "batch_size");
    if (isfinite(num(c, "threshold"))) append(buf, cap, "; threshold %g", num(c, "threshold"));
    // The regularisers, recorded only when on.
    if (num(c, "confidence_penalty") > 0 && !swept(e, "confidence-penalty"))
        append(buf, cap, "; confidence penalty %g", num(c, "confidence_penalty"));
    if (num(c, "fgsm_eps") > 0 && !swept(e, "fgsm-eps")) append(buf, cap, "; FGSM eps %g", num(c, "fgsm_eps"));
    if (str(c, "protocol")) append(buf, cap, "; protocol %s", str(c, "protocol"));
    if (e->kind == TRANSFER) {
        const char *from = str(item(c, "transfer"), "pretrain_data");
        char acc[128] = "";
        ws_page_row r = {0};
        add_stat(&r, summary_of(&e->pretrain_acc), 2, 0);
        snprintf(acc, sizeof acc, "%s", r.cell[0]);
        append(buf, cap, "; pretrained on %s: test acc %s %%", from ? from : "?", acc);
    }
    int seeds = e->kind == SWEEP ? e->max_seeds : e->nrecords;
    append(buf, cap, "; %d seed%s", seeds, seeds == 1 ? "" : "s");
    if (e->kind == SWEEP) {
        append(buf, cap, "; grid over");
        for (int i = 0; i < e->nparams; i++) append(buf, cap, "%s %s", i ? "," : "", e->params[i]);
        append(buf, cap, " (%d rows)", e->nrows);
    }
    append(buf, cap, "; learners:");
    int first = 1;
    for (int i = 0; i < e->nlearners; i++) {
        if (e->kind == BATCH && !strcmp(e->learners[i].name, "phase1")) continue;
        append(buf, cap, "%s %s", first ? "" : ",", e->learners[i].name);
        first = 0;
    }
}

static void add_gap_cell(ws_page_row *r, const experiment *e, const learner *l) {
    if (!baseline_of(e)) return;
    if (!strcmp(l->name, BASELINE) || !l->gap.n) ws_row_add(r, "–");
    else add_stat(r, summary_of(&l->gap), 2, 1);
}

// One row per learner: its final accuracy, seconds (and epochs, for batch),
// converged runs and the paired gap to the baseline.
static void write_final_table(ws_page *p, const experiment *e, const char *first, const char *seconds, int epochs) {
    ws_page_row h = {0};
    ws_row_add(&h, "%s", first);
    ws_row_add(&h, "test acc %%");
    if (epochs) ws_row_add(&h, "epochs");
    ws_row_add(&h, "%s", seconds);
    ws_row_add(&h, "converged");
    if (baseline_of(e)) ws_row_add(&h, "vs %s (points)", BASELINE);
    ws_page_table(p, &h);
    for (int i = 0; i < e->nlearners; i++) {
        const learner *l = &e->learners[i];
        ws_page_row r = {0};
        ws_row_add(&r, "%s", strcmp(l->name, "phase1") ? l->name : "phase 1");
        add_stat(&r, summary_of(&l->acc), 2, 0);
        if (epochs) add_stat(&r, summary_of(&l->epochs), 1, 0);
        add_stat(&r, summary_of(&l->seconds), 2, 0);
        ws_row_add(&r, "%d/%d", l->converged, l->runs);
        add_gap_cell(&r, e, l);
        ws_page_row_write(p, &r);
    }
    ws_page_table_end(p);
}

// One row per point (a round's examples seen, a share of the target): each
// learner's accuracy there; `examples` adds the share's example count.
static void write_per_point(ws_page *p, const experiment *e, const char *text, const char *key, int examples) {
    ws_page_text(p, text);
    ws_page_row h = {0};
    ws_row_add(&h, "%s", key);
    if (examples) ws_row_add(&h, "examples");
    for (int i = 0; i < e->nlearners; i++) ws_row_add(&h, "%s", e->learners[i].name);
    ws_page_table(p, &h);
    for (int k = 0; k < e->npoints; k++) {
        ws_page_row r = {0};
        ws_row_add(&r, examples ? "%g" : "%.0f", e->x[k]);
        if (examples && isfinite(e->examples[k])) ws_row_add(&r, "%.0f", e->examples[k]);
        else if (examples) ws_row_add(&r, "–");
        for (int i = 0; i < e->nlearners; i++) add_stat(&r, summary_of(&e->learners[i].per_point[k]), 2, 0);
        ws_page_row_write(p, &r);
    }
    ws_page_table_end(p);
}

static void write_batch(ws_page *p, const experiment *e) { write_final_table(p, e, "run", "seconds", 1); }

static void write_online(ws_page *p, const experiment *e) {
    char text[160];
    snprintf(text, sizeof text, "Final round (%.0f examples seen):", e->npoints ? e->x[e->npoints - 1] : 0.0);
    ws_page_text(p, text);
    write_final_table(p, e, "learner", "cumulative seconds", 0);
    write_per_point(p, e, "Test accuracy (%) per round:", "examples seen", 0);
}

static void write_transfer(ws_page *p, const experiment *e) {
    write_per_point(p, e, "Test accuracy (%) on the target per share of its training pool:", "share %", 1);
}

static void add_param_cell(ws_page_row *r, const cJSON *params, const char *name) {
    const cJSON *v = item(params, name);
    if (cJSON_IsString(v)) ws_row_add(r, "%s", v->valuestring);
    else if (cJSON_IsNumber(v)) ws_row_add(r, "%g", v->valuedouble);
    else ws_row_add(r, "–");
}

static int by_seconds(const void *a, const void *b) {
    double x = (*(const sweep_row *const *)a)->seconds.mean, y = (*(const sweep_row *const *)b)->seconds.mean;
    return (x > y) - (x < y);
}

// The rows marked Pareto-optimal (no other row both more accurate and
// faster), fastest first: the trade-off a reader picks a setting from.
static ws_status write_pareto_front(ws_ctx *ctx, ws_page *p, const experiment *e) {
    const sweep_row **front = malloc((size_t)(e->nrows ? e->nrows : 1) * sizeof *front);
    if (!front) return ws_fail(ctx, WS_ERR_NOMEM, "out of memory for the report");
    int n = 0;
    for (int i = 0; i < e->nrows; i++)
        if (e->rows[i].pareto) front[n++] = &e->rows[i];
    qsort(front, (size_t)n, sizeof *front, by_seconds);
    ws_page_text(p, n ? "Pareto front, test accuracy against seconds (fastest first):"
                      : "No row is marked on the Pareto front.");
    if (n) {
        ws_page_row h = {0};
        ws_row_add(&h, "seconds");
        ws_row_add(&h, "test acc %%");
        ws_row_add(&h, "learner");
        ws_row_add(&h, "point");
        ws_row_add(&h, "settings");
        ws_page_table(p, &h);
    }
    for (int i = 0; i < n; i++) {
        ws_page_row r = {0};
        add_stat(&r, front[i]->seconds, 2, 0);
        add_stat(&r, front[i]->acc, 2, 0);
        ws_row_add(&r, "%s", front[i]->learner);
        ws_row_add(&r, "%d", front[i]->point);
        char settings[128] = "";
        for (int k = 0; k < e->nparams; k++) {
            ws_page_row v = {0};
            add_param_cell(&v, front[i]->params, e->params[k]);
            append(settings, sizeof settings, "%s%s=%s", k ? ", " : "", e->params[k], v.cell[0]);
        }
        ws_row_add(&r, "%s", settings);
        ws_page_row_write(p, &r);
    }
    if (n) ws_page_table_end(p);
    free(front);
    return WS_OK;
}

static ws_status write_sweep(ws_ctx *ctx, ws_page *p, const experiment *e) {
    ws_page_row h = {0};
    ws_row_add(&h, "point");
    for (int k = 0; k < e->nparams; k++) ws_row_add(&h, "%s", e->params[k]);
    ws_row_add(&h, "learner");
    ws_row_add(&h, "test acc %%");
    ws_row_add(&h, "seconds");
    ws_row_add(&h, "epochs");
    ws_row_add(&h, "seeds");
    ws_row_add(&h, "Pareto");
    ws_page_table(p, &h);
    for (int i = 0; i < e->nrows; i++) {
        const sweep_row *row = &e->rows[i];
        ws_page_row r = {0};
        ws_row_add(&r, "%d", row->point);
        for (int k = 0; k < e->nparams; k++) add_param_cell(&r, row->params, e->params[k]);
        ws_row_add(&r, "%s", row->learner);
        add_stat(&r, row->acc, 2, 0);
        add_stat(&r, row->seconds, 2, 0);
        add_stat(&r, row->epochs, 1, 0);
        ws_row_add(&r, "%d", row->acc.n);
        ws_row_add(&r, "%s", row->pareto ? "★" : "");
        ws_page_row_write(p, &r);
    }
    ws_page_table_end(p);
    return write_pareto_front(ctx, p, e);
}

// ---- paths and folders ----------------------------------------------------------------------

// a/b, or the other alone when one is empty (DIR itself is the empty relative path).
static ws_status path_join(ws_ctx *ctx, char out[PATH_CAP], const char *a, const char *b) {
    int n = a[0] && b[0] ? snprintf(out, PATH_CAP, "%s/%s", a, b) : snprintf(out, PATH_CAP, "%s", a[0] ? a : b);
    return n < 0 || n >= PATH_CAP ? ws_fail(ctx, WS_ERR_ARG, "%s/%s: path too long", a, b) : WS_OK;
}

static int is_png(const struct dirent *d) {
    size_t n = strlen(d->d_name);
    return d->d_name[0] != '.' && n > 4 && !strcmp(d->d_name + n - 4, ".png");
}

// Every PNG in root/rel/sub, linked as rel/sub/NAME (relative to the page).
static ws_status write_images_in(ws_ctx *ctx, ws_page *p, const char *root, const char *rel, const char *sub) {
    char folder_rel[PATH_CAP], folder[PATH_CAP], src[PATH_CAP];
    ws_status st = path_join(ctx, folder_rel, rel, sub);
    if (!st) st = path_join(ctx, folder, root, folder_rel);
    if (st) return st;
    struct dirent **names;
    int n = scandir(folder, &names, is_png, alphasort);
    if (n < 0) return WS_OK; // no such folder: no figures
    for (int i = 0; i < n; i++) {
        if (!st) st = path_join(ctx, src, folder_rel, names[i]->d_name);
        if (!st) ws_page_image(p, src, names[i]->d_name);
        free(names[i]);
    }
    free(names);
    return st;
}

typedef struct {
    char rel[PATH_CAP]; // folder relative to DIR; "" is DIR itself
    int kind;
} found;

typedef struct {
    found *v;
    int n, cap;
} found_list;

static ws_status found_add(ws_ctx *ctx, found_list *l, const char *rel, int kind) {
    if (l->n == l->cap) {
        int cap = l->cap ? 2 * l->cap : 16;
        found *v = realloc(l->v, (size_t)cap * sizeof *v);
        if (!v) return ws_fail(ctx, WS_ERR_NOMEM, "out of memory for the report");
        l->v = v;
        l->cap = cap;
    }
    snprintf(l->v[l->n].rel, PATH_CAP, "%s", rel);
    l->v[l->n++].kind = kind;
    return WS_OK;
}

static int is_file(const char *path) {
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
}

static int is_folder(const char *path) {
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
}

// Depth first in sorted order, so that the page's order is the same every
// time: a folder's own results, then its subfolders'.
static ws_status find_experiments(ws_ctx *ctx, const char *root, const char *rel, int depth, found_list *out) {
    char dir[PATH_CAP], path[PATH_CAP];
    ws_status st = path_join(ctx, dir, root, rel);
    int sweep = 0;
    for (int k = 0; k < NKINDS && !st; k++) {
        st = path_join(ctx, path, dir, RESULT_FILES[k]);
        if (!st && is_file(path)) {
            st = found_add(ctx, out, rel, k);
            sweep |= k == SWEEP;
        }
    }
    if (st || depth == MAX_DEPTH) return st;
    struct dirent **names;
    int n = scandir(dir, &names, NULL, alphasort);
    if (n < 0) return ws_fail(ctx, WS_ERR_IO, "%s: cannot list the folder: %s", dir, strerror(errno));
    for (int i = 0; i < n; i++) {
        const char *name = names[i]->d_name;
        // Hidden folders (and . ..) are not results; a sweep's points are its table's rows.
        if (!st && name[0] != '.' && !(sweep && !strcmp(name, "points"))) {
            char sub[PATH_CAP];
            st = path_join(ctx, sub, rel, name);
            if (!st) st = path_join(ctx, path, dir, name);
            if (!st && is_folder(path)) st = find_experiments(ctx, root, sub, depth + 1, out);
        }
        free(names[i]);
    }
    free(names);
    return st;
}

// ---- the page -------------------------------------------------------------------------------

// The files behind an experiment's tables, linked: its JSONL and CSV, the resolved configuration.
static ws_status write_raw_links(ws_ctx *ctx, ws_page *p, const char *root, const char *rel, int kind) {
    char csv[32], names[4][32], paths[4][PATH_CAP], abs[PATH_CAP];
    snprintf(csv, sizeof csv, "%.*s.csv", (int)(strlen(RESULT_FILES[kind]) - strlen(".jsonl")), RESULT_FILES[kind]);
    const char *candidates[] = {RESULT_FILES[kind], csv, "config.json", "run.json"};
    const char *path_ptrs[4], *text_ptrs[4];
    int n = 0;
    for (int i = 0; i < 4; i++) {
        ws_status st = path_join(ctx, paths[n], rel, candidates[i]);
        if (!st) st = path_join(ctx, abs, root, paths[n]);
        if (st) return st;
        if (access(abs, F_OK)) continue;
        snprintf(names[n], sizeof names[n], "%s", candidates[i]);
        path_ptrs[n] = paths[n], text_ptrs[n] = names[n], n++;
    }
    if (n) ws_page_links(p, "Raw results:", n, path_ptrs, text_ptrs);
    return WS_OK;
}

static ws_status write_experiment_body(ws_ctx *ctx, ws_page *p, const char *root, const found *f, const experiment *e) {
    char text[2048];
    snprintf(text, sizeof text, "%s: %s", e->name, f->rel[0] ? f->rel : ".");
    ws_page_heading(p, 2, text);
    describe(e, text, sizeof text);
    ws_page_text(p, text);
    // `warmstart reproduce` ran this on stand-in data: say so first.
    char dir[PATH_CAP], path[PATH_CAP];
    ws_status st = path_join(ctx, dir, root, f->rel);
    if (!st) st = path_join(ctx, path, dir, "STAND-IN.txt");
    FILE *standin = st ? NULL : fopen(path, "r");
    if (standin) {
        char note[1500] = "Stand-in data: ";
        size_t len = strlen(note), got = fread(note + len, 1, sizeof note - len - 1, standin);
        note[len + got] = 0;
        for (char *c = note; *c; c++)
            if (*c == '\n') *c = ' ';
        fclose(standin);
        ws_page_text(p, note);
    }
    if (st) return st;
    switch (e->kind) {
    case BATCH: write_batch(p, e); break;
    case ONLINE: write_online(p, e); break;
    case TRANSFER: write_transfer(p, e); break;
    default: st = write_sweep(ctx, p, e);
    }
    if (!st) st = write_raw_links(ctx, p, root, f->rel, e->kind);
    if (!st) st = write_images_in(ctx, p, root, f->rel, "");
    if (!st) st = write_images_in(ctx, p, root, f->rel, "figures");
    // A sweep's points drawn one by one (warmstart reproduce plots them): under their number.
    for (int k = 0; e->kind == SWEEP && !st && k < 1000; k++) {
        char sub[64], rel[PATH_CAP], abs[PATH_CAP], figs[PATH_CAP];
        snprintf(sub, sizeof sub, "points/%03d", k);
        if ((st = path_join(ctx, rel, f->rel, sub)) || (st = path_join(ctx, abs, root, rel))) break;
        if (!is_folder(abs)) break;
        if ((st = path_join(ctx, figs, abs, "figures"))) break; // not into abs itself: snprintf's source
        if (!is_folder(figs)) continue;
        snprintf(text, sizeof text, "Point %03d (its row in the table above):", k);
        ws_page_text(p, text);
        st = write_images_in(ctx, p, root, rel, "figures");
    }
    return st;
}

static ws_status write_experiment(ws_ctx *ctx, ws_page *p, const char *root, const found *f) {
    experiment *e = calloc(1, sizeof *e);
    if (!e) return ws_fail(ctx, WS_ERR_NOMEM, "out of memory for the report");
    e->kind = f->kind;
    snprintf(e->name, sizeof e->name, "%s", KIND_NAMES[f->kind]);
    char dir[PATH_CAP], path[PATH_CAP];
    ws_status st = path_join(ctx, dir, root, f->rel);
    if (!st) st = path_join(ctx, path, dir, RESULT_FILES[f->kind]);
    if (!st) st = ws_jsonl_each(ctx, path, add_record, e, &e->nrecords);
    if (!st && !e->nrecords) st = ws_fail(ctx, WS_ERR_FORMAT, "%s: no results in the file", path);
    if (!st) st = write_experiment_body(ctx, p, root, f, e);
    experiment_free(e);
    return st;
}

cJSON *ws_reproduce_summary_read(const char *dir) {
    char path[PATH_CAP + 32];
    snprintf(path, sizeof path, "%s/reproduce.json", dir);
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *text = n > 0 ? malloc((size_t)n + 1) : NULL;
    cJSON *j = NULL;
    if (text && fread(text, 1, (size_t)n, f) == (size_t)n) {
        text[n] = 0;
        j = cJSON_Parse(text);
    }
    free(text);
    fclose(f);
    return cJSON_IsObject(j) ? j : (cJSON_Delete(j), NULL);
}

// The claims section: per artefact, what it ran and how, and each claim of
// the paper with our measurement and the verdict the data give.
static const char *text_of(const cJSON *o, const char *key) {
    const char *v = str(o, key);
    return v ? v : "";
}

// The cells of a claim's numbers: the paper's effect, the smallest difference this run could
// have shown, the seeds that would decide it.
static void add_effect_cell(ws_page_row *r, const ws_claim *c) {
    if (c->tolerance > 0)
        ws_row_add(r, c->two_sided ? "0 (within ±%g %s)" : "0 (at least -%g %s)", c->tolerance, c->units);
    else if (isfinite(c->effect)) ws_row_add(r, "%+.2f %s", c->effect, c->units);
    else ws_row_add(r, "– (no number)");
}

static void add_detectable_cell(ws_page_row *r, const ws_claim *c) {
    if (isfinite(c->half) && c->n >= 2) ws_row_add(r, "±%.2f %s", c->half, c->units);
    else if (c->n == 1) ws_row_add(r, "– (1 seed)");
    else ws_row_add(r, "–");
}

static void add_seeds_cell(ws_page_row *r, const ws_claim *c) {
    if (c->verdict != WS_VERDICT_UNDECIDED) ws_row_add(r, "–");
    else if (c->seeds_needed < 0) ws_row_add(r, "– (one seed: no spread to size it)");
    else if (c->seeds_needed > WS_SEEDS_CAP) ws_row_add(r, "> %d seeds", WS_SEEDS_CAP);
    else ws_row_add(r, "≈ %d seeds", c->seeds_needed);
}

// The forest plot of every claim at the top of the section (report/forest.h), drawn into the
// pages' folder (pages_rel, relative to the results; "" for the results folder itself). A
// missing gnuplot leaves a sentence instead: the tables below say everything it shows.
static ws_status write_forest(ws_ctx *ctx, ws_page *p, const char *dir, const char *pages_rel, const cJSON *arts,
                              const ws_claim *claims, const int *nclaims, int cap) {
    int total = 0;
    for (int k = 0; k < cJSON_GetArraySize(arts); k++) total += nclaims[k];
    ws_forest_row *rows = malloc(sizeof *rows * (size_t)(total > 0 ? total : 1));
    if (!rows) return ws_fail(ctx, WS_ERR_NOMEM, "out of memory for the forest plot");
    const cJSON *a;
    int k = 0, n = 0;
    cJSON_ArrayForEach(a, arts) {
        for (int i = 0; i < nclaims[k]; i++, n++) {
            const ws_claim *c = claims + (size_t)k * (size_t)cap + i;
            char label[300];
            ws_claim_label(c, label, sizeof label);
            rows[n].c = c;
            snprintf(rows[n].label, sizeof rows[n].label, "#%d %s%.90s", n + 1, text_of(a, "name"), label);
        }
        k++;
    }
    char folder[PATH_CAP], src[PATH_CAP], text[1024];
    int nfigs = 0, left_out = 0;
    ws_status st = path_join(ctx, folder, dir, pages_rel);
    if (!st) st = path_join(ctx, src, pages_rel, "claims-forest.png");
    if (st) return free(rows), st;
    st = n ? ws_forest_render(ctx, rows, n, folder, "claims-forest", &nfigs, &left_out) : WS_ERR_ARG;
    free(rows);
    if (st == WS_ERR_NOMEM) return st;
    if (st) {
        snprintf(text, sizeof text, "(No forest plot of the claims: %s.)", n ? ctx->err : "no claim was checked");
        ws_page_text(p, text);
        return WS_OK;
    }
    snprintf(text, sizeof text,
             "Every claim at a glance (#: its row in the tables below): the measured difference with its 95 %% interval, "
             "coloured by verdict, the paper's effect as an open diamond. Top: the claims the paper gives a number for, "
             "divided by it (the paper at +1; an equivalence claim's tolerance at ±1, its ticks); below: the others, one "
             "panel per unit. %d claim%s without a paired difference (no data, or a claim on means) in the tables only.",
             left_out, left_out == 1 ? "" : "s");
    ws_page_image_wide(p, src, text);
    char paths[3][PATH_CAP];
    const char *names[3] = {"claims-forest.svg", "claims-forest.gp", "claims-forest.dat"}, *ptrs[3];
    for (int i = 0; i < 3; i++) {
        if ((st = path_join(ctx, paths[i], pages_rel, names[i]))) return st;
        ptrs[i] = paths[i];
    }
    ws_page_links(p, "The forest plot as SVG, and its gnuplot script and data:", 3, ptrs, names);
    return WS_OK;
}

static ws_status write_claims(ws_ctx *ctx, ws_page *p, const char *dir, const char *pages_rel, const cJSON *rep) {
    char text[4096];
    ws_page_heading(p, 2, "The paper's claims, checked");
    // Each artefact's claims, checked once: for the picture and the table at a glance, then
    // artefact by artefact.
    enum { CAP = 256 };
    const cJSON *a, *arts = item(rep, "artefacts");
    const int nart = cJSON_GetArraySize(arts);
    ws_claim *claims = malloc(sizeof *claims * CAP * (size_t)(nart > 0 ? nart : 1));
    int *nclaims = calloc((size_t)(nart > 0 ? nart : 1), sizeof *nclaims);
    if (!claims || !nclaims) return free(claims), free(nclaims), ws_fail(ctx, WS_ERR_NOMEM, "out of memory for the claims");
    ws_status st = WS_OK;
    int k = 0;
    cJSON_ArrayForEach(a, arts) {
        const char *name = text_of(a, "name"), *same = text_of(a, "same_run_as");
        char adir[PATH_CAP];
        if (strcmp(text_of(a, "status"), "skipped") && !(st = path_join(ctx, adir, dir, same[0] ? same : name)) &&
            (st = ws_claims_check(ctx, name, adir, claims + (size_t)k * CAP, CAP, &nclaims[k])))
            ws_fail_prefix(ctx, st, "%s: ", name);
        if (st) return free(claims), free(nclaims), st;
        k++;
    }
    if ((st = write_forest(ctx, p, dir, pages_rel, arts, claims, nclaims, CAP)))
        return free(claims), free(nclaims), st;
    // At a glance: per artefact, its data and how many claims each verdict got.
    ws_page_row h = {0};
    ws_row_add(&h, "artefact"), ws_row_add(&h, "data"), ws_row_add(&h, "claims");
    for (int v = 0; v < WS_VERDICT_COUNT; v++) ws_row_add(&h, "%s", v == WS_VERDICT_OPPOSITE ? "the opposite" : ws_verdict_word(v));
    ws_page_table2(p, &h);
    k = 0;
    cJSON_ArrayForEach(a, arts) {
        ws_page_row r = {0};
        ws_row_add(&r, "%s", text_of(a, "name"));
        const char *data = text_of(a, "data");
        if (!strcmp(text_of(a, "status"), "skipped")) ws_row_add(&r, "%s%smissing, skipped", data, data[0] ? ": " : "");
        else if (cJSON_IsTrue(item(a, "stand_in"))) ws_row_add(&r, "fashion-mnist, standing in for %s", data[0] ? data : "?");
        else ws_row_add(&r, "%s", data[0] ? data : "as in its file");
        int count[WS_VERDICT_COUNT] = {0};
        for (int i = 0; i < nclaims[k]; i++) count[claims[(size_t)k * CAP + i].verdict]++;
        ws_row_add(&r, "%d", nclaims[k]);
        for (int v = 0; v < WS_VERDICT_COUNT; v++) ws_row_add(&r, "%d", count[v]);
        ws_page_row_write(p, &r);
        k++;
    }
    ws_page_table_end(p);
    // How to read them, after the picture and the counts it explains.
    snprintf(text, sizeof text,
             "Scale: %s. Machine: %s. Each claim is tested on the artefact's results, paired by seed, as a difference "
             "that is positive where the claim holds (accuracy points, %%, training seconds or gradient steps). Its "
             "95 %% interval (Student's t) has a half-width: the smallest difference this run could have shown. The "
             "verdict: \"yes\" when the interval lies on the claim's side of zero; \"no: the opposite\" when it lies on "
             "the other side; otherwise it includes zero, and the half-width says why: \"not shown\" when it is narrower "
             "than the paper's effect (the run could have detected an effect that large, and did not), \"undecided\" "
             "when it is as wide or wider (the run could not have told; \"seeds to decide\" estimates from the run's own "
             "spread how many seeds would give an interval narrower than the paper's effect: the smallest n with "
             "t(0.975, n-1) x sd / sqrt(n) below it, \"> %d\" beyond that). A claim the paper gives no number for is "
             "\"not shown\" with nothing to size it by. An equivalence claim (\"alike\", \"within 1 point\") holds when "
             "the interval lies inside its tolerance, which sizes it as the paper's effect sizes the others. One seed "
             "gives no interval: undecided. A claim whose runs stopped at the epoch cap before the training-accuracy "
             "threshold gets no verdict (\"no verdict\", naming the runs and seeds): the paper compares models at the "
             "threshold. The paper's effect is its own number for its own setting (Table 1's cell, the appendix "
             "tables), in the claim's units and direction, also where Fashion-MNIST stands in for its data.",
             text_of(rep, "scale"), text_of(rep, "machine"), WS_SEEDS_CAP);
    ws_page_text(p, text);
    const cJSON *sw = item(rep, "software");
    if (cJSON_IsString(sw)) snprintf(text, sizeof text, "Software: %s.", sw->valuestring);
    else snprintf(text, sizeof text, "Software: warmstart %s.", text_of(rep, "warmstart_version"));
    ws_page_text(p, text);
    k = -1;
    int number = 0; // claims numbered through the section, as on the forest plot
    cJSON_ArrayForEach(a, arts) {
        k++;
        const char *name = text_of(a, "name"), *status = text_of(a, "status"), *same = text_of(a, "same_run_as");
        snprintf(text, sizeof text, "%s", name);
        ws_page_heading(p, 3, text);
        snprintf(text, sizeof text, "%s", text_of(a, "title"));
        ws_page_text(p, text);
        snprintf(text, sizeof text, "Status: %s%s%s; %.0f s. Command: %s", status, same[0] ? " as " : "", same,
                 num(a, "seconds"), text_of(a, "command"));
        ws_page_text(p, text);
        if (cJSON_IsTrue(item(a, "stand_in"))) {
            snprintf(text, sizeof text, "Stand-in data: Fashion-MNIST, not the paper's (%s).", text_of(a, "missing_data"));
            ws_page_text(p, text);
        } else if (!strcmp(status, "skipped")) {
            snprintf(text, sizeof text, "Skipped: %s", text_of(a, "missing_data"));
            ws_page_text(p, text);
            continue;
        }
        const int n = nclaims[k];
        const ws_claim *c = claims + (size_t)k * CAP;
        if (!n) continue;
        h = (ws_page_row){0};
        ws_row_add(&h, "#"), ws_row_add(&h, "where"), ws_row_add(&h, "claim"), ws_row_add(&h, "paper");
        ws_row_add(&h, "paper's effect"), ws_row_add(&h, "measured"), ws_row_add(&h, "smallest detectable");
        ws_row_add(&h, "verdict"), ws_row_add(&h, "seeds to decide");
        // The columns' shares: the texts (claim, paper, verdict) widest, the numbers' columns enough for
        // "+1.23 ± 4.56 points (3 seeds)" on two lines.
        static const int widths[9] = {4, 9, 18, 16, 8, 12, 9, 16, 8};
        ws_page_text_table_widths(p, &h, widths);
        for (int i = 0; i < n; i++) {
            ws_page_row r = {0};
            char verdict[400];
            ws_claim_verdict_text(&c[i], verdict, sizeof verdict);
            ws_row_add(&r, "%d", ++number);
            ws_row_add(&r, "%s", c[i].where[0] ? c[i].where : "-");
            ws_row_add(&r, "%s", c[i].claim);
            ws_row_add(&r, "%s", c[i].paper);
            add_effect_cell(&r, &c[i]);
            ws_row_add(&r, "%s", c[i].measured);
            add_detectable_cell(&r, &c[i]);
            ws_row_add(&r, "%.255s", verdict);
            add_seeds_cell(&r, &c[i]);
            ws_page_row_write(p, &r);
        }
        ws_page_table_end(p);
    }
    free(claims);
    free(nclaims);
    return WS_OK;
}

// The pages in dir (report.md, report.html) or, with a subfolder, in dir/sub (report.md,
// index.html) linking one folder up.
static ws_status write_pages(ws_ctx *ctx, const char *dir, const char *sub, const found_list *list) {
    char pages[PATH_CAP], md_path[PATH_CAP], html_path[PATH_CAP], text[PATH_CAP + 400];
    ws_status st = path_join(ctx, pages, dir, sub ? sub : "");
    if (!st) st = path_join(ctx, md_path, pages, "report.md");
    if (!st) st = path_join(ctx, html_path, pages, sub ? "index.html" : "report.html");
    if (st) return st;
    if (sub && mkdir(pages, 0777) && errno != EEXIST) return ws_fail(ctx, WS_ERR_IO, "%s: %s", pages, strerror(errno));
    ws_atomic_file md, html;
    if (ws_atomic_open(ctx, &md, md_path)) return WS_ERR_IO;
    if (ws_atomic_open(ctx, &html, html_path)) {
        ws_atomic_abort(&md);
        return WS_ERR_IO;
    }
    ws_page p = {md.f, html.f, sub ? "../" : NULL};
    snprintf(text, sizeof text, "warmstart report: %s", dir);
    ws_page_begin(&p, text);
    snprintf(text, sizeof text,
             "%d experiment%s. Numbers are means over seeds ± the half-width of a 95 %% confidence interval "
             "(Student's t); a single seed shows its value alone. Accuracies in %%; gaps to the learner named "
             "\"%s\" in points, paired by seed.",
             list->n, list->n == 1 ? "" : "s", BASELINE);
    ws_page_text(&p, text);
    cJSON *rep = ws_reproduce_summary_read(dir);
    if (rep) st = write_claims(ctx, &p, dir, sub ? sub : "", rep);
    cJSON_Delete(rep);
    for (int i = 0; i < list->n && !st; i++) st = write_experiment(ctx, &p, dir, &list->v[i]);
    ws_page_end(&p);
    if (st) {
        ws_atomic_abort(&md);
        ws_atomic_abort(&html);
        return st;
    }
    st = ws_atomic_commit(ctx, &md);
    if (st) {
        ws_atomic_abort(&html);
        return st;
    }
    return ws_atomic_commit(ctx, &html);
}

ws_status ws_report_write_in(ws_ctx *ctx, const char *dir, const char *sub, int *nexperiments) {
    *nexperiments = 0;
    struct stat sb;
    if (stat(dir, &sb) != 0) return ws_fail(ctx, WS_ERR_IO, "%s: %s", dir, strerror(errno));
    if (!S_ISDIR(sb.st_mode)) return ws_fail(ctx, WS_ERR_ARG, "%s: not a folder", dir);
    found_list list = {0};
    ws_status st = find_experiments(ctx, dir, "", 0, &list);
    if (!st && !list.n)
        st = ws_fail(ctx, WS_ERR_IO, "%s: no results found (batch.jsonl, online.jsonl, transfer.jsonl or sweep.jsonl)",
                     dir);
    if (!st) st = write_pages(ctx, dir, sub, &list);
    if (!st) *nexperiments = list.n;
    free(list.v);
    return st;
}

ws_status ws_report_write(ws_ctx *ctx, const char *dir, int *nexperiments) {
    return ws_report_write_in(ctx, dir, NULL, nexperiments);
}
