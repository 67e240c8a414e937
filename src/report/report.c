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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/file.h"
#include "core/text.h"
#include "exp/results.h"
#include "exp/stats.h"
#include "exp/sweep.h"
#include "exp/table.h"
#include "io/atomic.h"
#include "report/claims_page.h"
#include "report/page.h"
#include "report/remedies_table.h"

#define MAX_DEPTH 4 // folders below DIR searched for results
#define MAX_LEARNERS 32
#define MAX_POINTS 512 // rounds (online) or fractions (transfer)
#define MAX_PARAMS 16  // sweep grid parameters
#define NAME_CAP 64
#define PATH_CAP WS_PATH_CAP

enum { BATCH, ONLINE, TRANSFER, CONTINUAL, SWEEP, NKINDS };
static const char *const RESULT_FILES[NKINDS] = {"batch.jsonl", "online.jsonl", "transfer.jsonl", "continual.jsonl",
                                                          "sweep.jsonl"};
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
        double *v = ws_sys_realloc(s->v, (size_t)cap * sizeof *v);
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

// ---- one experiment, summarised from its results table ------------------------------------

typedef struct {
    char name[NAME_CAP];
    samples acc;             // test accuracy %: batch, the run's; online, the final round's
    samples epochs, seconds; // online: seconds are cumulative over the rounds
    samples gap;             // test accuracy minus the baseline's, points, paired by seed id
    int converged, runs;
    samples *per_point; // online: test acc % per round; transfer: per share
} learner;

// A sweep's row: its entry (exp/sweep.h) and the point it is at.
typedef struct {
    const ws_sweep_entry *x;
    const ws_point *p;
} sweep_row;

typedef struct {
    int kind;
    char name[24];  // config.experiment: batch, online, active, transfer, sweep
    const cJSON *config;  // the first point's configuration
    int nseeds;     // seeds, except for a sweep (its rows' most)
    int nlearners;
    learner learners[MAX_LEARNERS];
    int npoints;
    double x[MAX_POINTS];        // online: examples seen in the round; transfer: share of B, %
    double examples[MAX_POINTS]; // transfer: training examples at that share
    samples pretrain_acc;        // transfer
    ws_sweep_entry *entries; // a sweep's, front marked (exp/sweep.h)
    sweep_row *rows;
    int nrows;
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
    free(e->rows);
    free(e->entries);
    free(e->pretrain_acc.v);
    free(e);
}

static const learner *baseline_of(const experiment *e) {
    for (int i = 0; i < e->nlearners; i++)
        if (!strcmp(e->learners[i].name, BASELINE)) return &e->learners[i];
    return NULL;
}

// Learner l's runs at p: per seed its final stage's accuracy, seconds (online: cumulative),
// epochs and convergence, the gap to the baseline's run of the same seed id, and per stage the
// accuracy (online, transfer).
static ws_status add_learner(ws_ctx *ctx, experiment *e, const ws_table *t, const ws_point *p, int l, int staged) {
    if (e->nlearners == MAX_LEARNERS) return ws_fail(ctx, WS_ERR_FORMAT, "more than %d learners", MAX_LEARNERS);
    learner *x = &e->learners[e->nlearners++];
    snprintf(x->name, sizeof x->name, "%s", t->learners[l]);
    if (staged && !(x->per_point = ws_sys_calloc(MAX_POINTS, sizeof *x->per_point)))
        return ws_fail(ctx, WS_ERR_NOMEM, "out of memory for the report");
    const int base = ws_table_learner(t, BASELINE), stages = ws_point_stages(p, l);
    const int online = e->kind == ONLINE || e->kind == CONTINUAL;
    // A task sequence's stages are read by their online accuracy; the others' by test accuracy.
    const ws_measure per_stage = e->kind == CONTINUAL ? WS_M_ONLINE_ACC : WS_M_TEST_ACC;
    int64_t seeds[256];
    const int n = ws_point_seeds(p, l, seeds, 256);
    ws_status st = WS_OK;
    for (int i = 0; i < n && !st; i++) {
        const ws_run *last = NULL;
        for (int k = 0; k < stages && k < MAX_POINTS && !st; k++) {
            const ws_run *r = ws_point_run(p, l, seeds[i], k);
            if (!r) continue;
            last = r;
            if (staged) st = samples_add(ctx, &x->per_point[k], 100 * r->m[per_stage]);
        }
        if (!last || st || e->kind == TRANSFER) continue;
        x->runs++;
        x->converged += last->stop != WS_STOP_CAP;
        const ws_run *b = base >= 0 && base != l && l != t->base ? ws_point_run(p, base, seeds[i], last->stage) : NULL;
        if (samples_add(ctx, &x->acc, 100 * last->m[WS_M_TEST_ACC]) || samples_add(ctx, &x->epochs, last->m[WS_M_EPOCHS]) ||
            samples_add(ctx, &x->seconds, last->m[online ? WS_M_CUM_SECONDS : WS_M_SECONDS]) ||
            (b && samples_add(ctx, &x->gap, 100 * (last->m[WS_M_TEST_ACC] - b->m[WS_M_TEST_ACC]))))
            st = ws_nomem(ctx);
    }
    return st;
}

// Each stage's x: online, the examples seen; transfer, the share (%) and its examples.
static void stage_axis(experiment *e, const ws_point *p) {
    for (int i = 0; i < p->nruns; i++) {
        const ws_run *r = &p->runs[i];
        if (r->stage >= MAX_POINTS || !isfinite(r->m[WS_M_EXAMPLES])) continue;
        if (r->stage >= e->npoints) e->npoints = r->stage + 1;
        e->x[r->stage] = e->kind == TRANSFER ? 100 * r->m[WS_M_FRACTION] : e->kind == CONTINUAL ? r->stage : r->m[WS_M_EXAMPLES];
        e->examples[r->stage] = r->m[WS_M_EXAMPLES];
    }
}

static ws_status add_param_names(ws_ctx *ctx, experiment *e, const ws_point *p) {
    for (int a = 0; a < p->naxes; a++) {
        int known = 0;
        for (int i = 0; i < e->nparams && !known; i++) known = !strcmp(e->params[i], p->axis[a]);
        if (known) continue;
        if (e->nparams == MAX_PARAMS) return ws_fail(ctx, WS_ERR_FORMAT, "more than %d grid parameters", MAX_PARAMS);
        snprintf(e->params[e->nparams++], NAME_CAP, "%s", p->axis[a]);
    }
    return WS_OK;
}

// A sweep: a row per (point, learner) over seeds (exp/sweep.h's reduction), Pareto-marked.
static ws_status summarise_sweep(ws_ctx *ctx, experiment *e, const ws_table *t) {
    for (int k = 0; k < t->npoints; k++) {
        ws_status st = add_param_names(ctx, e, &t->points[k]);
        if (st) return st;
    }
    int n;
    e->entries = ws_sweep_table(t, &n);
    e->rows = ws_sys_calloc((size_t)n + 1, sizeof *e->rows);
    if ((!e->entries && n) || !e->rows) return ws_fail(ctx, WS_ERR_NOMEM, "out of memory for the report");
    for (int i = 0; i < n; i++) {
        const ws_sweep_entry *x = &e->entries[i];
        sweep_row *r = &e->rows[e->nrows++];
        r->x = x;
        for (int k = 0; k < t->npoints && !r->p; k++)
            if (t->points[k].index == x->point) r->p = &t->points[k];
        if (x->cell.n > e->max_seeds) e->max_seeds = x->cell.n;
        int known = 0; // the list of learners in the summary line
        for (int l = 0; l < e->nlearners && !known; l++) known = !strcmp(e->learners[l].name, x->cell.learner);
        if (!known && e->nlearners < MAX_LEARNERS) snprintf(e->learners[e->nlearners++].name, NAME_CAP, "%s", x->cell.learner);
    }
    return WS_OK;
}

// A summary of fractions in percent.
static ws_summary percent(ws_summary s) {
    s.mean *= 100, s.ci95 *= 100, s.sd *= 100;
    return s;
}

static ws_status summarise(ws_ctx *ctx, experiment *e, const ws_table *t) {
    e->kind = t->sweep                              ? SWEEP
            : !strcmp(t->scenario, "batch")         ? BATCH
            : !strcmp(t->scenario, "online")        ? ONLINE
            : !strcmp(t->scenario, "continual")     ? CONTINUAL
                                                    : TRANSFER;
    snprintf(e->name, sizeof e->name, "%s", t->sweep ? "sweep" : t->experiment[0] ? t->experiment : t->scenario);
    e->config = t->npoints ? t->points[0].config : NULL;
    if (e->kind == SWEEP) return summarise_sweep(ctx, e, t);
    const ws_point *p = &t->points[0];
    e->nseeds = p->nrecords;
    stage_axis(e, p);
    ws_status st = WS_OK;
    for (int l = 0; l < t->nlearners && !st; l++) {
        if (e->kind == TRANSFER && l == t->base) { // the pretraining: its accuracy in the summary line
            int64_t seeds[256];
            const int n = ws_point_seeds(p, l, seeds, 256);
            for (int i = 0; i < n && !st; i++) st = samples_add(ctx, &e->pretrain_acc, 100 * ws_point_run(p, l, seeds[i], 0)->m[WS_M_TEST_ACC]);
            continue;
        }
        st = add_learner(ctx, e, t, p, l, e->kind != BATCH);
    }
    return st;
}

// ---- writing --------------------------------------------------------------------------------

static int swept(const experiment *e, const char *param) {
    for (int i = 0; i < e->nparams; i++)
        if (!strcmp(e->params[i], param)) return 1;
    return 0;
}

// "lr 0.001" or, when phase 2 differs (batch's --lr2), "lr 0.001 → 0.0005".
static void describe_setting(char *buf, size_t cap, const char *label, const cJSON *c, const char *key) {
    double a = num(item(c, "phase1"), key), b = num(item(c, "phase2"), key);
    if (!isfinite(a)) return;
    ws_append(buf, cap, ", %s %g", label, a);
    if (isfinite(b) && b != a) ws_append(buf, cap, " → %g", b);
}

// The configuration in one line: data, model, optimizer, threshold, regularisers, protocol,
// seeds and learners.
static void describe(const experiment *e, char *buf, size_t cap) {
    const cJSON *c = e->config, *data = item(c, "data");
    const char *dname = str(data, "name"), *arch = str(item(c, "model"), "arch");
    const char *opt = str(item(c, "phase1"), "optimizer");
    buf[0] = 0;
    ws_append(buf, cap, "%s", dname ? dname : "data ?");
    if (num(data, "subset") > 0) ws_append(buf, cap, " (subset %g)", num(data, "subset"));
    ws_append(buf, cap, "; %s; %s", arch ? arch : "model ?", opt ? opt : "optimizer ?");
    if (!swept(e, "lr")) describe_setting(buf, cap, "lr", c, "lr");
    if (!swept(e, "batch")) describe_setting(buf, cap, "batch", c, "batch_size");
    if (isfinite(num(c, "threshold"))) ws_append(buf, cap, "; threshold %g", num(c, "threshold"));
    // The regularisers, recorded only when on.
    if (num(c, "confidence_penalty") > 0 && !swept(e, "confidence-penalty"))
        ws_append(buf, cap, "; confidence penalty %g", num(c, "confidence_penalty"));
    if (num(c, "fgsm_eps") > 0 && !swept(e, "fgsm-eps")) ws_append(buf, cap, "; FGSM eps %g", num(c, "fgsm_eps"));
    if (str(c, "protocol")) ws_append(buf, cap, "; protocol %s", str(c, "protocol"));
    if (e->kind == TRANSFER) {
        const char *from = str(item(c, "transfer"), "pretrain_data");
        char acc[128] = "";
        ws_page_row r = {0};
        add_stat(&r, summary_of(&e->pretrain_acc), 2, 0);
        snprintf(acc, sizeof acc, "%s", r.cell[0]);
        ws_append(buf, cap, "; pretrained on %s: test acc %s %%", from ? from : "?", acc);
    }
    int seeds = e->kind == SWEEP ? e->max_seeds : e->nseeds;
    ws_append(buf, cap, "; %d seed%s", seeds, seeds == 1 ? "" : "s");
    if (e->kind == SWEEP) {
        ws_append(buf, cap, "; grid over");
        for (int i = 0; i < e->nparams; i++) ws_append(buf, cap, "%s %s", i ? "," : "", e->params[i]);
        ws_append(buf, cap, " (%d rows)", e->nrows);
    }
    ws_append(buf, cap, "; learners:");
    int first = 1;
    for (int i = 0; i < e->nlearners; i++) {
        if (e->kind == BATCH && !strcmp(e->learners[i].name, "phase1")) continue;
        ws_append(buf, cap, "%s %s", first ? "" : ",", e->learners[i].name);
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

// One row per point (a round's examples seen, a share of the target, a task): each learner's
// accuracy there; `examples` adds the share's example count. Past 25 points, every k-th and the
// last, so that a sequence of 500 tasks fits a page (the figures hold them all).
static void write_per_point(ws_page *p, const experiment *e, const char *text, const char *key, int examples) {
    const int every = e->npoints > 25 ? (e->npoints + 24) / 25 : 1;
    ws_page_text(p, text);
    ws_page_row h = {0};
    ws_row_add(&h, "%s", key);
    if (examples) ws_row_add(&h, "examples");
    for (int i = 0; i < e->nlearners; i++) ws_row_add(&h, "%s", e->learners[i].name);
    ws_page_table(p, &h);
    for (int k = 0; k < e->npoints; k++) {
        if (k % every && k != e->npoints - 1) continue;
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

static void write_continual(ws_page *p, const experiment *e) {
    char text[160];
    snprintf(text, sizeof text, "The last task (%d): held-out accuracy at its end; seconds summed over the tasks:",
             e->npoints - 1);
    ws_page_text(p, text);
    write_final_table(p, e, "learner", "cumulative seconds", 0);
    write_per_point(p, e, "Average online accuracy (%) per task (each batch before its update):", "task", 0);
}

static void write_transfer(ws_page *p, const experiment *e) {
    write_per_point(p, e, "Test accuracy (%) on the target per share of its training pool:", "share %", 1);
}

static void add_param_cell(ws_page_row *r, const ws_point *p, const char *name) {
    for (int a = 0; a < p->naxes; a++)
        if (!strcmp(p->axis[a], name)) {
            ws_row_add(r, "%s", p->value[a]);
            return;
        }
    ws_row_add(r, "–");
}

static int by_seconds(const void *a, const void *b) {
    double x = (*(const sweep_row *const *)a)->x->seconds.mean, y = (*(const sweep_row *const *)b)->x->seconds.mean;
    return (x > y) - (x < y);
}

// The rows marked Pareto-optimal (no other row both more accurate and
// faster), fastest first: the trade-off a reader picks a setting from.
static ws_status write_pareto_front(ws_ctx *ctx, ws_page *p, const experiment *e) {
    const sweep_row **front = ws_sys_malloc((size_t)(e->nrows ? e->nrows : 1) * sizeof *front);
    if (!front) return ws_fail(ctx, WS_ERR_NOMEM, "out of memory for the report");
    int n = 0;
    for (int i = 0; i < e->nrows; i++)
        if (e->rows[i].x->pareto) front[n++] = &e->rows[i];
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
        add_stat(&r, front[i]->x->seconds, 2, 0);
        add_stat(&r, percent(front[i]->x->acc), 2, 0);
        ws_row_add(&r, "%s", front[i]->x->cell.learner);
        ws_row_add(&r, "%d", front[i]->x->point);
        char settings[128] = "";
        for (int k = 0; k < e->nparams; k++) {
            ws_page_row v = {0};
            add_param_cell(&v, front[i]->p, e->params[k]);
            ws_append(settings, sizeof settings, "%s%s=%s", k ? ", " : "", e->params[k], v.cell[0]);
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
        const ws_sweep_entry *x = e->rows[i].x;
        ws_page_row r = {0};
        ws_row_add(&r, "%d", x->point);
        for (int k = 0; k < e->nparams; k++) add_param_cell(&r, e->rows[i].p, e->params[k]);
        ws_row_add(&r, "%s", x->cell.learner);
        add_stat(&r, percent(x->acc), 2, 0);
        add_stat(&r, x->seconds, 2, 0);
        add_stat(&r, x->epochs, 1, 0);
        ws_row_add(&r, "%d", x->acc.n);
        ws_row_add(&r, "%s", x->pareto ? "★" : "");
        ws_page_row_write(p, &r);
    }
    ws_page_table_end(p);
    return write_pareto_front(ctx, p, e);
}

// ---- paths and folders ----------------------------------------------------------------------

static int is_png(const struct dirent *d) {
    size_t n = strlen(d->d_name);
    return d->d_name[0] != '.' && n > 4 && !strcmp(d->d_name + n - 4, ".png");
}

// Every PNG in root/rel/sub, linked as rel/sub/NAME (relative to the page).
static ws_status write_images_in(ws_ctx *ctx, ws_page *p, const char *root, const char *rel, const char *sub) {
    char folder_rel[PATH_CAP], folder[PATH_CAP], src[PATH_CAP];
    ws_status st = ws_path_join(ctx, folder_rel, rel, sub);
    if (!st) st = ws_path_join(ctx, folder, root, folder_rel);
    if (st) return st;
    struct dirent **names;
    int n = scandir(folder, &names, is_png, alphasort);
    if (n < 0) return WS_OK; // no such folder: no figures
    for (int i = 0; i < n; i++) {
        if (!st) st = ws_path_join(ctx, src, folder_rel, names[i]->d_name);
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
        found *v = ws_sys_realloc(l->v, (size_t)cap * sizeof *v);
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
    ws_status st = ws_path_join(ctx, dir, root, rel);
    int sweep = 0;
    for (int k = 0; k < NKINDS && !st; k++) {
        st = ws_path_join(ctx, path, dir, RESULT_FILES[k]);
        if (!st && is_file(path)) {
            st = found_add(ctx, out, rel, k);
            sweep |= k == SWEEP;
        }
    }
    if (st || depth == MAX_DEPTH) return st;
    struct dirent **names;
    int n = scandir(dir, &names, NULL, alphasort);
    if (n < 0) return ws_fail(ctx, WS_ERR_IO, "%s: cannot list the folder: %s", dir, ws_sys_strerror(errno));
    for (int i = 0; i < n; i++) {
        const char *name = names[i]->d_name;
        // Hidden folders (and . ..) are not results; a sweep's points are its table's rows.
        if (!st && name[0] != '.' && !(sweep && !strcmp(name, "points"))) {
            char sub[PATH_CAP];
            st = ws_path_join(ctx, sub, rel, name);
            if (!st) st = ws_path_join(ctx, path, dir, name);
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
        ws_status st = ws_path_join(ctx, paths[n], rel, candidates[i]);
        if (!st) st = ws_path_join(ctx, abs, root, paths[n]);
        if (st) return st;
        if (access(abs, F_OK)) continue;
        snprintf(names[n], sizeof names[n], "%s", candidates[i]);
        path_ptrs[n] = paths[n], text_ptrs[n] = names[n], n++;
    }
    if (n) ws_page_links(p, "Raw results:", n, path_ptrs, text_ptrs);
    return WS_OK;
}

static ws_status write_experiment_body(ws_ctx *ctx, ws_page *p, const char *root, const found *f, const experiment *e,
                                       const ws_table *t) {
    char text[2048];
    snprintf(text, sizeof text, "%s: %s", e->name, f->rel[0] ? f->rel : ".");
    ws_page_heading(p, 2, text);
    describe(e, text, sizeof text);
    ws_page_text(p, text);
    // `warmstart reproduce` ran this on stand-in data: say so first.
    char dir[PATH_CAP], path[PATH_CAP];
    ws_status st = ws_path_join(ctx, dir, root, f->rel);
    if (!st) st = ws_path_join(ctx, path, dir, "STAND-IN.txt");
    FILE *standin = st ? NULL : ws_sys_fopen(path, "r");
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
    case CONTINUAL: write_continual(p, e); break;
    default: st = write_sweep(ctx, p, e);
    }
    if (!st) ws_remedies_section(p, t); // online and continual runs with warm and random
    if (!st) st = write_raw_links(ctx, p, root, f->rel, e->kind);
    if (!st) st = write_images_in(ctx, p, root, f->rel, "");
    if (!st) st = write_images_in(ctx, p, root, f->rel, "figures");
    // A sweep's points drawn one by one (warmstart reproduce plots them): under their number.
    for (int k = 0; e->kind == SWEEP && !st && k < 1000; k++) {
        char sub[64], rel[PATH_CAP], abs[PATH_CAP], figs[PATH_CAP];
        snprintf(sub, sizeof sub, "points/%03d", k);
        if ((st = ws_path_join(ctx, rel, f->rel, sub)) || (st = ws_path_join(ctx, abs, root, rel))) break;
        if (!is_folder(abs)) break;
        if ((st = ws_path_join(ctx, figs, abs, "figures"))) break; // not into abs itself: snprintf's source
        if (!is_folder(figs)) continue;
        snprintf(text, sizeof text, "Point %03d (its row in the table above):", k);
        ws_page_text(p, text);
        st = write_images_in(ctx, p, root, rel, "figures");
    }
    return st;
}

static ws_status write_experiment(ws_ctx *ctx, ws_page *p, const char *root, const found *f, const ws_table *t) {
    experiment *e = ws_sys_calloc(1, sizeof *e);
    if (!e) return ws_fail(ctx, WS_ERR_NOMEM, "out of memory for the report");
    ws_status st = summarise(ctx, e, t);
    if (!st) st = write_experiment_body(ctx, p, root, f, e, t);
    experiment_free(e);
    return st;
}

// Each experiment's results table, read once for the claims and the sections (tables[0..n)).
static ws_status read_tables(ws_ctx *ctx, const char *dir, const found_list *list, ws_table **tables) {
    ws_status st = WS_OK;
    for (int i = 0; i < list->n && !st; i++) {
        char path[PATH_CAP];
        if (!(st = ws_path_join(ctx, path, dir, list->v[i].rel))) st = ws_table_read(ctx, path, &tables[i]);
    }
    return st;
}

cJSON *ws_reproduce_summary_read(const char *dir) {
    char path[PATH_CAP + 32];
    snprintf(path, sizeof path, "%s/reproduce.json", dir);
    FILE *f = ws_sys_fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *text = n > 0 ? ws_sys_malloc((size_t)n + 1) : NULL;
    cJSON *j = NULL;
    if (text && fread(text, 1, (size_t)n, f) == (size_t)n) {
        text[n] = 0;
        j = cJSON_Parse(text);
    }
    free(text);
    fclose(f);
    return cJSON_IsObject(j) ? j : (cJSON_Delete(j), NULL);
}

// The pages in dir (report.md, report.html) or, with a subfolder, in dir/sub (report.md,
// index.html) linking one folder up.
// writer: a run still writing under dir (its pid, 0: none) in folder `where`, said on the page.
static ws_status write_pages(ws_ctx *ctx, const char *dir, const char *sub, const found_list *list, long writer,
                             const char *where) {
    char pages[PATH_CAP], md_path[PATH_CAP], html_path[PATH_CAP], text[PATH_CAP + 400];
    ws_status st = ws_path_join(ctx, pages, dir, sub ? sub : "");
    if (!st) st = ws_path_join(ctx, md_path, pages, "report.md");
    if (!st) st = ws_path_join(ctx, html_path, pages, sub ? "index.html" : "report.html");
    if (st) return st;
    if (sub && ws_sys_mkdir(pages, 0777) && errno != EEXIST) return ws_fail(ctx, WS_ERR_IO, "%s: %s", pages, ws_sys_strerror(errno));
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
    if (writer) {
        snprintf(text, sizeof text,
                 "A run (pid %ld) was still writing %s when this page was made: it shows what had finished by then. "
                 "Make the report again once the run has ended.",
                 writer, where);
        ws_page_text(&p, text);
    }
    cJSON *rep = ws_reproduce_summary_read(dir);
    const char **rels = ws_sys_malloc(sizeof *rels * (size_t)(list->n + 1));
    ws_table **tables = ws_sys_calloc((size_t)list->n + 1, sizeof *tables);
    if (!rels || !tables) st = ws_fail(ctx, WS_ERR_NOMEM, "out of memory for the report");
    for (int i = 0; i < list->n && !st; i++) rels[i] = list->v[i].rel;
    if (!st) st = read_tables(ctx, dir, list, tables);
    if (!st) st = ws_claims_section(ctx, &p, dir, sub ? sub : "", rep, rels, (const ws_table *const *)tables, list->n);
    for (int i = 0; i < list->n && !st; i++) st = write_experiment(ctx, &p, dir, &list->v[i], tables[i]);
    for (int i = 0; i < list->n && tables; i++) ws_table_free(tables[i]);
    free(rels), free(tables);
    cJSON_Delete(rep);
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
    if (stat(dir, &sb) != 0) return ws_fail(ctx, WS_ERR_IO, "%s: %s", dir, ws_sys_strerror(errno));
    if (!S_ISDIR(sb.st_mode)) return ws_fail(ctx, WS_ERR_ARG, "%s: not a folder", dir);
    found_list list = {0};
    // A run writing here: its results files appear whole (renamed into place) as its experiments
    // and a sweep's points end, so the page shows those and says the run is going.
    char where[PATH_CAP];
    const long writer = ws_results_writer(dir, where, sizeof where);
    ws_status st = find_experiments(ctx, dir, "", 0, &list);
    if (!st && !list.n && writer)
        st = ws_fail(ctx, WS_ERR_IO, "%s: no results yet: a run (pid %ld) is still writing %s; its results are written "
                                     "when it ends", dir, writer, where);
    else if (!st && !list.n)
        st = ws_fail(ctx, WS_ERR_IO, "%s: no results found (batch.jsonl, online.jsonl, transfer.jsonl or sweep.jsonl)",
                     dir);
    if (!st) st = write_pages(ctx, dir, sub, &list, writer, where);
    // Any other failure while a run writes (its fresh start removing the last results as they
    // are read): the run named, so that the reason is not taken for damage.
    if (st && writer && list.n) ws_fail_prefix(ctx, st, "a run (pid %ld) is still writing %s: ", writer, where);
    if (!st) *nexperiments = list.n;
    free(list.v);
    return st;
}

const char *ws_report_sub(const char *dir) {
    cJSON *rep = ws_reproduce_summary_read(dir);
    const int reproduce = rep != NULL;
    cJSON_Delete(rep);
    return reproduce ? "report" : NULL;
}

ws_status ws_report_write(ws_ctx *ctx, const char *dir, int *nexperiments) {
    return ws_report_write_in(ctx, dir, ws_report_sub(dir), nexperiments);
}
