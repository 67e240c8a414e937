// The two-phase experiment's figures, in the paper's terms: Figure 1's per-epoch training and
// test accuracy (phase 1, then each learner on all the data), Figure 5's gradient norms on the
// old and the new data through phase 2, Figure 6's accuracy of shrunk models; Figure 4's
// accuracy against the epoch a warm start was taken from (a sweep over --phase1-epochs); and
// Figure 8's heatmaps of shrink-perturb's lambda x sigma grid (an online run).
#define _POSIX_C_SOURCE 200809L
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io/jsonl.h"
#include "report/figure.h"
#include "report/plot.h"

enum { Q_TRAIN, Q_TEST, Q_SHRINK, Q_GOLD, Q_GNEW, Q_GRATIO, NQ };

typedef struct {
    series *all;           // NQ * MAX_SERIES: quantity q of line l at all[q * MAX_SERIES + l]
    char names[MAX_SERIES][64];
    int nlines, nseeds, stride, gstride;
    char title[200];
} batch_figs;

static double num(const cJSON *o, const char *key) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static const cJSON *get(const cJSON *o, const char *key) { return cJSON_GetObjectItemCaseSensitive(o, key); }

// "DATA, ARCH" of a record's configuration, for the figures' titles.
static void title_of(const cJSON *rec, char *buf, size_t cap) {
    const cJSON *cfg = get(rec, "config");
    const char *data = cJSON_GetStringValue(get(get(cfg, "data"), "name"));
    const char *arch = cJSON_GetStringValue(get(get(cfg, "model"), "arch"));
    snprintf(buf, cap, "%s, %s", data ? data : "?", arch ? arch : "?");
}

static int line_of(batch_figs *b, const char *name) {
    for (int l = 0; l < b->nlines; l++)
        if (!strcmp(b->names[l], name)) return l;
    if (b->nlines == MAX_SERIES) return -1;
    snprintf(b->names[b->nlines], sizeof b->names[0], "%s", name);
    return b->nlines++;
}

// A run's epoch log from epoch `offset` + 1 on: training accuracy and, where evaluated, test accuracy.
static void add_epochs(batch_figs *b, int l, const cJSON *run, int offset) {
    const cJSON *e;
    cJSON_ArrayForEach(e, get(run, "epoch_log")) {
        const int x = offset + (int)num(e, "epoch");
        if ((x - 1) % b->stride) continue;
        const int k = (x - 1) / b->stride;
        ws_fig_add(&b->all[Q_TRAIN * MAX_SERIES + l], k, x, 100 * num(e, "train_acc"));
        if (get(e, "test_acc")) ws_fig_add(&b->all[Q_TEST * MAX_SERIES + l], k, x, 100 * num(e, "test_acc"));
    }
}

static void add_numbers(series *s, const cJSON *xs, const cJSON *ys, double scale, int stride) {
    const int n = cJSON_GetArraySize(xs);
    for (int i = 0; i < n && i < cJSON_GetArraySize(ys); i += stride)
        ws_fig_add(s, i / stride, cJSON_GetArrayItem(xs, i)->valuedouble, scale * cJSON_GetArrayItem(ys, i)->valuedouble);
}

static ws_status batch_record(ws_ctx *ctx, cJSON *rec, void *user) {
    (void)ctx;
    batch_figs *b = user;
    const cJSON *runs = get(rec, "runs"), *p1 = get(runs, "phase1"), *r;
    if (!b->nseeds) {
        title_of(rec, b->title, sizeof b->title);
        // At most MAX_POINTS points a line: every stride-th epoch, every gstride-th measurement.
        int longest = 0, most = 0;
        cJSON_ArrayForEach(r, runs) {
            int e = cJSON_GetArraySize(get(r, "epoch_log")), g = cJSON_GetArraySize(get(get(r, "grad_log"), "step"));
            if (e > longest) longest = e;
            if (g > most) most = g;
        }
        b->stride = 1 + (cJSON_GetArraySize(get(p1, "epoch_log")) + longest - 1) / MAX_POINTS;
        b->gstride = 1 + (most > 0 ? most - 1 : 0) / MAX_POINTS;
    }
    b->nseeds++;
    const int e1 = cJSON_GetArraySize(get(p1, "epoch_log"));
    cJSON_ArrayForEach(r, runs) {
        const int first = !strcmp(r->string, "phase1");
        const int l = line_of(b, first ? "phase 1" : r->string);
        if (l < 0) continue;
        add_epochs(b, l, r, first ? 0 : e1);
        const cJSON *g = get(r, "grad_log"), *sh = get(r, "shrink_eval");
        if (g) {
            const cJSON *st = get(g, "step"), *o = get(g, "old"), *w = get(g, "new");
            add_numbers(&b->all[Q_GOLD * MAX_SERIES + l], st, o, 1, b->gstride);
            add_numbers(&b->all[Q_GNEW * MAX_SERIES + l], st, w, 1, b->gstride);
            const int n = cJSON_GetArraySize(st);
            for (int i = 0; i < n && i < cJSON_GetArraySize(o) && i < cJSON_GetArraySize(w); i += b->gstride) {
                const double go = cJSON_GetNumberValue(cJSON_GetArrayItem(o, i));
                if (go > 0)
                    ws_fig_add(&b->all[Q_GRATIO * MAX_SERIES + l], i / b->gstride, cJSON_GetNumberValue(cJSON_GetArrayItem(st, i)),
                               cJSON_GetNumberValue(cJSON_GetArrayItem(w, i)) / go);
            }
        }
        if (sh) add_numbers(&b->all[Q_SHRINK * MAX_SERIES + l], get(sh, "lambda"), get(sh, "test_acc"), 100, 1);
    }
    return WS_OK;
}

// A figure of quantity q over the lines that have it (more than one point), or nothing.
static ws_status draw_quantity(ws_ctx *ctx, batch_figs *b, int q, const char *file, const char *title,
                               const char *xlabel, const char *ylabel, const char *outdir, int *nfigs) {
    figure f;
    memset(&f, 0, sizeof f);
    for (int l = 0; l < b->nlines; l++) {
        series *s = &b->all[q * MAX_SERIES + l];
        if (s->npoints > 1 && f.nseries < MAX_SERIES) snprintf(s->name, sizeof s->name, "%s", b->names[l]), f.s[f.nseries++] = s;
    }
    if (!f.nseries) return WS_OK;
    snprintf(f.file, sizeof f.file, "%s", file);
    snprintf(f.title, sizeof f.title, "%s (%s; %d seed%s%s)", title, b->title, b->nseeds, b->nseeds == 1 ? "" : "s",
             b->nseeds > 1 ? ", 95% CI" : "");
    snprintf(f.xlabel, sizeof f.xlabel, "%s", xlabel);
    snprintf(f.ylabel, sizeof f.ylabel, "%s", ylabel);
    return ws_fig_render(ctx, &f, outdir, nfigs);
}

ws_status ws_plot_batch(ws_ctx *ctx, const char *file, const char *outdir, int *nfigs) {
    batch_figs b;
    memset(&b, 0, sizeof b);
    b.stride = b.gstride = 1;
    if (!(b.all = calloc(NQ * MAX_SERIES, sizeof *b.all))) return ws_fail(ctx, WS_ERR_NOMEM, "out of memory for the figures");
    ws_status st = ws_jsonl_each(ctx, file, batch_record, &b, NULL);
    if (!st && !b.nseeds) st = ws_fail(ctx, WS_ERR_FORMAT, "%s: no results in the file", file);
    int evaluated = 0; // the curves where the test accuracy was recorded along (--eval-every): Figure 1's pair
    for (int l = 0; l < b.nlines; l++) evaluated |= b.all[Q_TEST * MAX_SERIES + l].npoints > 1;
    if (!st && evaluated) st = draw_quantity(ctx, &b, Q_TRAIN, "curves-train", "Figure 1: training accuracy, phase 1 then phase 2",
                                "epoch (phase 1, then phase 2 on all the data)", "training accuracy (%)", outdir, nfigs);
    if (!st) st = draw_quantity(ctx, &b, Q_TEST, "curves-test", "Figure 1: test accuracy, phase 1 then phase 2",
                                "epoch (phase 1, then phase 2 on all the data)", "test accuracy (%)", outdir, nfigs);
    if (!st) st = draw_quantity(ctx, &b, Q_SHRINK, "shrink", "Figure 6: accuracy of the trained model shrunk by lambda, "
                                "untrained", "lambda (every parameter multiplied by it)", "test accuracy (%)", outdir, nfigs);
    // Figure 5: the ratio new / old, a line a learner; and the norms themselves, two lines a learner,
    // for warm and random (all learners' would be too many lines to read).
    if (!st) st = draw_quantity(ctx, &b, Q_GRATIO, "gradnorm-ratio", "Figure 5: gradient norm on new data over old data "
                                "through phase 2", "phase-2 step (batch)", "gradient norm, new / old", outdir, nfigs);
    if (!st) {
        batch_figs g = b;
        g.nlines = 0;
        g.all = calloc(2 * MAX_SERIES, sizeof *g.all);
        if (!g.all) st = ws_fail(ctx, WS_ERR_NOMEM, "out of memory for the figures");
        for (int l = 0; l < b.nlines && !st && g.nlines + 2 <= MAX_SERIES; l++) {
            if (b.all[Q_GOLD * MAX_SERIES + l].npoints < 2) continue;
            if (b.nlines > 3 && strcmp(b.names[l], "warm") && strcmp(b.names[l], "random")) continue;
            for (int k = 0; k < 2; k++) {
                memcpy(&g.all[g.nlines], &b.all[(k ? Q_GNEW : Q_GOLD) * MAX_SERIES + l], sizeof *g.all);
                snprintf(g.names[g.nlines++], sizeof g.names[0], "%s: %s data", b.names[l], k ? "new" : "old");
            }
        }
        if (!st) st = draw_quantity(ctx, &g, 0, "gradnorm-steps", "Figure 5: gradient norm on old and new data through phase 2",
                                    "phase-2 step (batch)", "gradient norm", outdir, nfigs);
        free(g.all);
    }
    free(b.all);
    return st;
}

// ---- Figure 4: a sweep over --phase1-epochs ----------------------------------------------------

typedef struct {
    const char *dir;
    int last_point, n;
    series *diff, *curves; // curves[0]: random, [1..]: warm from each start epoch
    int ncurves, stride;   // every stride-th epoch of the curves (at most MAX_POINTS)
    double start;          // the current point's start epoch
    char title[200];
} phase1_walk;

static ws_status phase1_seed(ws_ctx *ctx, cJSON *rec, void *user) {
    (void)ctx;
    phase1_walk *w = user;
    const cJSON *runs = get(rec, "runs"), *warm = get(runs, "warm"), *random = get(runs, "random");
    if (!w->title[0]) {
        title_of(rec, w->title, sizeof w->title);
    }
    if (!warm || !random) return WS_OK;
    if (!w->stride) w->stride = 1 + (2 * cJSON_GetArraySize(get(random, "epoch_log")) - 1) / MAX_POINTS;
    const double r = num(random, "test_acc");
    ws_fig_add(w->diff, w->n, w->start, 100 * (num(warm, "test_acc") - r) / r);
    // Test accuracy per epoch (where evaluated): warm from its start epoch on, random from 0.
    const cJSON *e;
    const int e1 = cJSON_GetArraySize(get(get(runs, "phase1"), "epoch_log"));
    series *wc = w->ncurves < MAX_SERIES ? &w->curves[w->ncurves] : NULL;
    cJSON_ArrayForEach(e, get(warm, "epoch_log")) {
        const int x = e1 + (int)num(e, "epoch");
        if (wc && get(e, "test_acc") && (x - 1) % w->stride == 0)
            ws_fig_add(wc, (x - 1) / w->stride, x, 100 * num(e, "test_acc"));
    }
    cJSON_ArrayForEach(e, get(random, "epoch_log")) {
        const int x = (int)num(e, "epoch");
        if (get(e, "test_acc") && (x - 1) % w->stride == 0)
            ws_fig_add(&w->curves[0], (x - 1) / w->stride, x, 100 * num(e, "test_acc"));
    }
    return WS_OK;
}

static ws_status phase1_point(ws_ctx *ctx, cJSON *rec, void *user) {
    phase1_walk *w = user;
    const int p = (int)num(rec, "point");
    if (p == w->last_point) return WS_OK;
    w->last_point = p;
    const char *e = cJSON_GetStringValue(get(get(rec, "params"), "phase1-epochs"));
    if (!e) return WS_OK;
    w->start = atof(e);
    char path[1400];
    snprintf(path, sizeof path, "%s/points/%03d/batch.jsonl", w->dir, p);
    if (access(path, F_OK)) return WS_OK; // not run (yet)
    if (w->ncurves < MAX_SERIES) {
        memset(&w->curves[w->ncurves], 0, sizeof *w->curves);
        snprintf(w->curves[w->ncurves].name, sizeof w->curves[0].name, "warm start after %s epochs", e);
    }
    ws_status st = ws_jsonl_each(ctx, path, phase1_seed, w, NULL);
    if (w->ncurves < MAX_SERIES) w->ncurves++;
    w->n++;
    return st;
}

ws_status ws_plot_phase1_sweep(ws_ctx *ctx, const char *dir, const char *outdir, int *nfigs) {
    char path[1400];
    snprintf(path, sizeof path, "%s/sweep.jsonl", dir);
    phase1_walk w = {.dir = dir, .last_point = -1, .ncurves = 1};
    w.diff = calloc(1, sizeof *w.diff);
    w.curves = calloc(MAX_SERIES, sizeof *w.curves);
    ws_status st = !w.diff || !w.curves ? ws_fail(ctx, WS_ERR_NOMEM, "out of memory for the figures")
                                        : ws_jsonl_each(ctx, path, phase1_point, &w, NULL);
    if (!st && w.diff->npoints > 1) {
        figure f;
        memset(&f, 0, sizeof f);
        snprintf(f.file, sizeof f.file, "start-epoch");
        snprintf(f.title, sizeof f.title, "Figure 4: warm start's test accuracy against random's, by the epoch it was taken "
                 "from (%s)", w.title);
        snprintf(f.xlabel, sizeof f.xlabel, "start epoch (phase-1 epochs before the warm start)");
        snprintf(f.ylabel, sizeof f.ylabel, "percent difference, (warm - random) / random");
        snprintf(w.diff->name, sizeof w.diff->name, "warm vs random");
        f.s[f.nseries++] = w.diff;
        st = ws_fig_render(ctx, &f, outdir, nfigs);
    }
    if (!st) {
        figure f;
        memset(&f, 0, sizeof f);
        snprintf(w.curves[0].name, sizeof w.curves[0].name, "random");
        for (int i = 1; i < w.ncurves; i++)
            if (w.curves[i].npoints > 1) f.s[f.nseries++] = &w.curves[i];
        if (w.curves[0].npoints > 1 && f.nseries < MAX_SERIES) f.s[f.nseries++] = &w.curves[0];
        snprintf(f.file, sizeof f.file, "start-epoch-curves");
        snprintf(f.title, sizeof f.title, "Figure 4: test accuracy per epoch of warm starts taken along phase 1 (%s)", w.title);
        snprintf(f.xlabel, sizeof f.xlabel, "epoch (phase 1, then phase 2 on all the data; random from 0)");
        snprintf(f.ylabel, sizeof f.ylabel, "test accuracy (%%)");
        if (f.nseries > 1) st = ws_fig_render(ctx, &f, outdir, nfigs);
    }
    free(w.diff);
    free(w.curves);
    return st;
}

// ---- Figure 8: shrink-perturb's lambda x sigma grid (an online run's learners) -----------------

typedef struct {
    int n;                         // learners read
    char name[MAX_SERIES][96];
    double lambda[MAX_SERIES], sigma[MAX_SERIES];
    double acc[MAX_SERIES], secs[MAX_SERIES];
    int seeds[MAX_SERIES];
    char title[200];
} grid_walk;

static ws_status grid_seed(ws_ctx *ctx, cJSON *rec, void *user) {
    (void)ctx;
    grid_walk *g = user;
    const cJSON *x;
    if (!g->title[0]) {
        title_of(rec, g->title, sizeof g->title);
    }
    cJSON_ArrayForEach(x, get(rec, "learners")) {
        int l = 0;
        while (l < g->n && strcmp(g->name[l], x->string)) l++;
        if (l == g->n) {
            if (g->n == MAX_SERIES) continue;
            snprintf(g->name[g->n++], sizeof g->name[0], "%s", x->string);
            const char *lm = strstr(x->string, "lambda="), *sg = strstr(x->string, "sigma=");
            g->lambda[l] = lm ? atof(lm + 7) : NAN;
            g->sigma[l] = sg ? atof(sg + 6) : NAN;
        }
        // The mean test accuracy over the rounds, and the training time summed over them.
        double acc = 0, secs = 0;
        int k = 0;
        const cJSON *r;
        cJSON_ArrayForEach(r, x) acc += num(r, "test_acc"), secs += num(r, "seconds"), k++;
        if (k) g->acc[l] += 100 * acc / k, g->secs[l] += secs, g->seeds[l]++;
    }
    return WS_OK;
}

static int index_of(double *v, int *n, double x) {
    for (int i = 0; i < *n; i++)
        if (v[i] == x) return i;
    if (*n == 16) return -1;
    int i = (*n)++;
    while (i > 0 && v[i - 1] > x) v[i] = v[i - 1], i--; // sorted
    v[i] = x;
    return i;
}

ws_status ws_plot_shrink_grid(ws_ctx *ctx, const char *file, const char *outdir, int *nfigs) {
    grid_walk *g = calloc(1, sizeof *g);
    heatmap *h = calloc(2, sizeof *h);
    if (!g || !h) {
        free(g), free(h);
        return ws_fail(ctx, WS_ERR_NOMEM, "out of memory for the figures");
    }
    ws_status st = ws_jsonl_each(ctx, file, grid_seed, g, NULL);
    double ls[16], ss[16];
    int nl = 0, ns = 0, random = -1;
    for (int l = 0; l < g->n && !st; l++) {
        if (!strcmp(g->name[l], "random")) random = l;
        if (isfinite(g->lambda[l]) && isfinite(g->sigma[l])) index_of(ls, &nl, g->lambda[l]), index_of(ss, &ns, g->sigma[l]);
    }
    if (!st && nl >= 2 && ns >= 2) {
        for (int k = 0; k < 2; k++) {
            heatmap *m = &h[k];
            m->nx = nl, m->ny = ns, m->decimals = k ? 1 : 2;
            for (int i = 0; i < nl * ns; i++) m->z[i] = NAN;
            for (int i = 0; i < nl; i++) snprintf(m->xl[i], sizeof m->xl[i], "%g", ls[i]);
            for (int j = 0; j < ns; j++) snprintf(m->yl[j], sizeof m->yl[j], "%g", ss[j]);
            for (int l = 0; l < g->n; l++) {
                if (!isfinite(g->lambda[l]) || !isfinite(g->sigma[l]) || !g->seeds[l]) continue;
                int i = index_of(ls, &nl, g->lambda[l]), j = index_of(ss, &ns, g->sigma[l]);
                m->z[i * ns + j] = (k ? g->secs[l] : g->acc[l]) / g->seeds[l];
            }
            char base[120] = "";
            if (random >= 0 && g->seeds[random])
                snprintf(base, sizeof base, "; random: %.*f%s", k ? 1 : 2, (k ? g->secs[random] : g->acc[random]) / g->seeds[random],
                         k ? " s" : " %");
            snprintf(m->file, sizeof m->file, k ? "heatmap-seconds" : "heatmap-accuracy");
            snprintf(m->title, sizeof m->title, "Figure 8: shrink-perturb, %s over lambda x sigma (%s%s)",
                     k ? "training time summed over the rounds" : "test accuracy averaged over the rounds", g->title, base);
            snprintf(m->xlabel, sizeof m->xlabel, "shrink lambda");
            snprintf(m->ylabel, sizeof m->ylabel, "perturb sigma");
            snprintf(m->zlabel, sizeof m->zlabel, k ? "seconds" : "test accuracy (%%)");
            if ((st = ws_heatmap_render(ctx, m, outdir, nfigs))) break;
        }
    }
    free(g), free(h);
    return st;
}
