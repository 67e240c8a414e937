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

#include "report/figure.h"
#include "report/plot.h"

enum { Q_TRAIN, Q_TEST, Q_SHRINK, Q_GOLD, Q_GNEW, Q_GRATIO, NQ };

typedef struct {
    series *all;           // NQ * MAX_SERIES: quantity q of line l at all[q * MAX_SERIES + l]
    char names[MAX_SERIES][64];
    int nlines, nseeds, stride, gstride;
    char title[200];
} batch_figs;

// A curve's points every `stride`-th, from x offset on, into series s (x scaled 1, y by yscale).
static void add_curve(series *s, const ws_curve *c, double offset, double yscale, int stride) {
    for (int i = 0; i < c->n; i += stride)
        if (isfinite(c->y[i])) ws_fig_add(s, i / stride, offset + c->x[i], yscale * c->y[i]);
}

// The runs' lines at point p: phase 1, then each learner from phase 1's last epoch on.
static void batch_lines(batch_figs *b, const ws_table *t, const ws_point *p) {
    int longest = 0, most = 0;
    for (int i = 0; i < p->nruns; i++) {
        const ws_run *r = &p->runs[i];
        if (r->curve[WS_CURVE_TRAIN_ACC].n > longest) longest = r->curve[WS_CURVE_TRAIN_ACC].n;
        if (r->curve[WS_CURVE_GRAD_OLD].n > most) most = r->curve[WS_CURVE_GRAD_OLD].n;
    }
    // At most MAX_POINTS points a line: every stride-th epoch (phase 1 and phase 2 end to end), every gstride-th measurement.
    b->stride = 1 + (2 * longest - 1 > 0 ? 2 * longest - 1 : 0) / MAX_POINTS;
    b->gstride = 1 + (most > 0 ? most - 1 : 0) / MAX_POINTS;
    for (int l = 0; l < t->nlearners && b->nlines < MAX_SERIES; l++) {
        const int line = b->nlines;
        int any = 0;
        snprintf(b->names[line], sizeof b->names[0], "%s", l == t->base ? "phase 1" : t->learners[l]);
        for (int i = 0; i < p->nruns; i++) {
            const ws_run *r = &p->runs[i];
            if (r->learner != l) continue;
            const ws_run *p1 = t->base >= 0 && l != t->base ? ws_point_run(p, t->base, r->seed, 0) : NULL;
            const double e1 = p1 ? p1->curve[WS_CURVE_TRAIN_ACC].n : 0;
            series *q = &b->all[line];
            add_curve(q + Q_TRAIN * MAX_SERIES, &r->curve[WS_CURVE_TRAIN_ACC], e1, 100, b->stride);
            add_curve(q + Q_TEST * MAX_SERIES, &r->curve[WS_CURVE_TEST_ACC], e1, 100, b->stride);
            add_curve(q + Q_SHRINK * MAX_SERIES, &r->curve[WS_CURVE_SHRINK_ACC], 0, 100, 1);
            add_curve(q + Q_GOLD * MAX_SERIES, &r->curve[WS_CURVE_GRAD_OLD], 0, 1, b->gstride);
            add_curve(q + Q_GNEW * MAX_SERIES, &r->curve[WS_CURVE_GRAD_NEW], 0, 1, b->gstride);
            const ws_curve *o = &r->curve[WS_CURVE_GRAD_OLD], *w = &r->curve[WS_CURVE_GRAD_NEW];
            for (int j = 0; j < o->n && j < w->n; j += b->gstride)
                if (o->y[j] > 0) ws_fig_add(q + Q_GRATIO * MAX_SERIES, j / b->gstride, o->x[j], w->y[j] / o->y[j]);
            any = 1;
        }
        b->nlines += any;
    }
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

ws_status ws_plot_batch(ws_ctx *ctx, const ws_table *t, const ws_point *p, const char *outdir, int *nfigs) {
    batch_figs b;
    memset(&b, 0, sizeof b);
    if (!(b.all = ws_sys_calloc(NQ * MAX_SERIES, sizeof *b.all))) return ws_fail(ctx, WS_ERR_NOMEM, "out of memory for the figures");
    ws_plot_title(p->config, b.title, sizeof b.title);
    b.nseeds = p->nrecords;
    batch_lines(&b, t, p);
    ws_status st = WS_OK;
    int evaluated = 0; // the curves where the test accuracy was recorded along (--eval-every): Figure 1's pair
    for (int l = 0; l < b.nlines; l++) evaluated |= b.all[Q_TEST * MAX_SERIES + l].npoints > 1;
    if (evaluated) st = draw_quantity(ctx, &b, Q_TRAIN, "curves-train", "Figure 1: training accuracy, phase 1 then phase 2",
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
        g.all = ws_sys_calloc(2 * MAX_SERIES, sizeof *g.all);
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
    if (!st && t->base >= 0) { // each learner from phase 1's end to its own
        const ws_plot_axis axis = {"Two phases", "1: phase 1's end, 2: the learner's end of phase 2", NULL, 0, 1};
        st = ws_plot_inside(ctx, t, p, &axis, outdir, nfigs);
    }
    return st;
}

// ---- Figure 4: warm starts along phase 1 -------------------------------------------------------

// The epochs of phase 1 before the point's warm start, from its resolved configuration (NAN:
// phase 1 ran to the threshold, not a fixed number of epochs).
static double start_epoch(const ws_point *p) {
    const double e = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(p->config, "phase1_epochs"));
    return e > 0 ? e : NAN;
}

ws_status ws_plot_phase1_sweep(ws_ctx *ctx, const ws_table *t, const char *outdir, int *nfigs) {
    const int warm = ws_table_learner(t, "warm"), random = ws_table_learner(t, "random");
    // Figure 4 is a sweep whose points take the warm start after different numbers of epochs.
    int starts = 0;
    for (int k = 1; k < t->npoints; k++) starts |= isfinite(start_epoch(&t->points[k])) && start_epoch(&t->points[k]) != start_epoch(&t->points[0]);
    if (!t->sweep || warm < 0 || random < 0 || !starts || !isfinite(start_epoch(&t->points[0]))) return WS_OK;
    series *diff = ws_sys_calloc(1, sizeof *diff), *curves = ws_sys_calloc(MAX_SERIES, sizeof *curves);
    if (!diff || !curves) return free(diff), free(curves), ws_fail(ctx, WS_ERR_NOMEM, "out of memory for the figures");
    char title[200];
    ws_plot_title(t->points[0].config, title, sizeof title);
    int ncurves = 1, n = 0, stride = 0;
    for (int k = 0; k < t->npoints; k++) {
        const ws_point *p = &t->points[k];
        const double start = start_epoch(p);
        series *wc = ncurves < MAX_SERIES ? &curves[ncurves++] : NULL;
        if (wc) snprintf(wc->name, sizeof wc->name, "warm start after %g epochs", start);
        for (int i = 0; i < p->nruns; i++) {
            const ws_run *w = &p->runs[i], *r = ws_point_run(p, random, w->seed, 0);
            if (w->learner != warm || !r) continue;
            const ws_run *p1 = t->base >= 0 ? ws_point_run(p, t->base, w->seed, 0) : NULL;
            if (!stride) stride = 1 + (r->curve[WS_CURVE_TRAIN_ACC].n > 0 ? 2 * r->curve[WS_CURVE_TRAIN_ACC].n - 1 : 0) / MAX_POINTS;
            const double ra = r->m[WS_M_TEST_ACC];
            ws_fig_add(diff, n++, start, 100 * (w->m[WS_M_TEST_ACC] - ra) / ra);
            // Test accuracy per epoch (where evaluated): warm from its start epoch on, random from 0.
            const double e1 = p1 ? p1->curve[WS_CURVE_TRAIN_ACC].n : 0;
            const ws_curve *wt = &w->curve[WS_CURVE_TEST_ACC], *rt = &r->curve[WS_CURVE_TEST_ACC];
            for (int j = 0; wc && j < wt->n; j++) {
                const int x = (int)(e1 + wt->x[j]);
                if ((x - 1) % stride == 0) ws_fig_add(wc, (x - 1) / stride, x, 100 * wt->y[j]);
            }
            for (int j = 0; j < rt->n; j++) {
                const int x = (int)rt->x[j];
                if ((x - 1) % stride == 0) ws_fig_add(&curves[0], (x - 1) / stride, x, 100 * rt->y[j]);
            }
        }
    }
    ws_status st = WS_OK;
    if (diff->npoints > 1) {
        figure f;
        memset(&f, 0, sizeof f);
        snprintf(f.file, sizeof f.file, "start-epoch");
        snprintf(f.title, sizeof f.title, "Figure 4: warm start's test accuracy against random's, by the epoch it was taken "
                 "from (%s)", title);
        snprintf(f.xlabel, sizeof f.xlabel, "start epoch (phase-1 epochs before the warm start)");
        snprintf(f.ylabel, sizeof f.ylabel, "percent difference, (warm - random) / random");
        snprintf(diff->name, sizeof diff->name, "warm vs random");
        f.s[f.nseries++] = diff;
        st = ws_fig_render(ctx, &f, outdir, nfigs);
    }
    if (!st) {
        figure f;
        memset(&f, 0, sizeof f);
        snprintf(curves[0].name, sizeof curves[0].name, "random");
        for (int i = 1; i < ncurves; i++)
            if (curves[i].npoints > 1) f.s[f.nseries++] = &curves[i];
        if (curves[0].npoints > 1 && f.nseries < MAX_SERIES) f.s[f.nseries++] = &curves[0];
        snprintf(f.file, sizeof f.file, "start-epoch-curves");
        snprintf(f.title, sizeof f.title, "Figure 4: test accuracy per epoch of warm starts taken along phase 1 (%s)", title);
        snprintf(f.xlabel, sizeof f.xlabel, "epoch (phase 1, then phase 2 on all the data; random from 0)");
        snprintf(f.ylabel, sizeof f.ylabel, "test accuracy (%%)");
        if (f.nseries > 1) st = ws_fig_render(ctx, &f, outdir, nfigs);
    }
    free(diff);
    free(curves);
    return st;
}

// ---- Figure 8: shrink-perturb's lambda x sigma grid (an online run's learners) -----------------

static int index_of(double *v, int *n, double x) {
    for (int i = 0; i < *n; i++)
        if (v[i] == x) return i;
    if (*n == 16) return -1;
    int i = (*n)++;
    while (i > 0 && v[i - 1] > x) v[i] = v[i - 1], i--; // sorted
    v[i] = x;
    return i;
}

// Learner l's mean over seeds of its test accuracy averaged over the rounds (%) and of its
// training time summed over them; NAN without runs.
static void grid_cell(const ws_point *p, int l, double *acc, double *secs) {
    double a = 0, s = 0;
    int n = 0;
    int64_t seeds[256];
    const int ns = ws_point_seeds(p, l, seeds, 256), rounds = ws_point_stages(p, l);
    for (int i = 0; i < ns; i++, n++)
        for (int k = 0; k < rounds; k++) {
            const ws_run *r = ws_point_run(p, l, seeds[i], k);
            if (r) a += 100 * r->m[WS_M_TEST_ACC] / rounds, s += r->m[WS_M_SECONDS];
        }
    *acc = n ? a / n : NAN, *secs = n ? s / n : NAN;
}

ws_status ws_plot_shrink_grid(ws_ctx *ctx, const ws_table *t, const char *outdir, int *nfigs) {
    const ws_point *p = &t->points[0];
    double lambda[WS_TABLE_MAX_LEARNERS], sigma[WS_TABLE_MAX_LEARNERS], ls[16], ss[16];
    int nl = 0, ns = 0;
    for (int l = 0; l < t->nlearners; l++) {
        const char *lm = strstr(t->learners[l], "lambda="), *sg = strstr(t->learners[l], "sigma=");
        lambda[l] = lm ? atof(lm + 7) : NAN, sigma[l] = sg ? atof(sg + 6) : NAN;
        if (isfinite(lambda[l]) && isfinite(sigma[l])) index_of(ls, &nl, lambda[l]), index_of(ss, &ns, sigma[l]);
    }
    if (nl < 2 || ns < 2) return WS_OK;
    heatmap *h = ws_sys_calloc(1, sizeof *h);
    if (!h) return ws_fail(ctx, WS_ERR_NOMEM, "out of memory for the figures");
    char title[200];
    ws_plot_title(p->config, title, sizeof title);
    const int random = ws_table_learner(t, "random");
    ws_status st = WS_OK;
    for (int k = 0; k < 2 && !st; k++) {
        memset(h, 0, sizeof *h);
        h->nx = nl, h->ny = ns, h->decimals = k ? 1 : 2;
        for (int i = 0; i < nl * ns; i++) h->z[i] = NAN;
        for (int i = 0; i < nl; i++) snprintf(h->xl[i], sizeof h->xl[i], "%g", ls[i]);
        for (int j = 0; j < ns; j++) snprintf(h->yl[j], sizeof h->yl[j], "%g", ss[j]);
        for (int l = 0; l < t->nlearners; l++) {
            if (!isfinite(lambda[l]) || !isfinite(sigma[l])) continue;
            double acc, secs;
            grid_cell(p, l, &acc, &secs);
            const int i = index_of(ls, &nl, lambda[l]), j = index_of(ss, &ns, sigma[l]);
            if (i >= 0 && j >= 0) h->z[i * ns + j] = k ? secs : acc;
        }
        char base[120] = "";
        if (random >= 0) {
            double acc, secs;
            grid_cell(p, random, &acc, &secs);
            if (isfinite(acc)) snprintf(base, sizeof base, "; random: %.*f%s", k ? 1 : 2, k ? secs : acc, k ? " s" : " %");
        }
        snprintf(h->file, sizeof h->file, k ? "heatmap-seconds" : "heatmap-accuracy");
        snprintf(h->title, sizeof h->title, "Figure 8: shrink-perturb, %s over lambda x sigma (%s%s)",
                 k ? "training time summed over the rounds" : "test accuracy averaged over the rounds", title, base);
        snprintf(h->xlabel, sizeof h->xlabel, "shrink lambda");
        snprintf(h->ylabel, sizeof h->ylabel, "perturb sigma");
        snprintf(h->zlabel, sizeof h->zlabel, k ? "seconds" : "test accuracy (%%)");
        st = ws_heatmap_render(ctx, h, outdir, nfigs);
    }
    free(h);
    return st;
}
