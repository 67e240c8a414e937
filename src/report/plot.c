// Figures from result files, in the style of the paper: one line per learner
// with its 95 % confidence band over seeds. The numbers are summarised here
// (mean, Student-t interval), written to a gnuplot data file, and gnuplot
// (Debian's gnuplot-nox) renders each figure as PNG (pngcairo) and SVG.
#define _POSIX_C_SOURCE 200809L
#include "report/plot.h"
#include "report/remedies_table.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "exp/stats.h"
#include "exp/sweep.h"
#include "report/figure.h"

#define NQUANT 5        // accuracy, seconds, cumulative seconds, weights vs init, gradient norm ratio

// "DATA, ARCH" of a configuration, for the figures' titles.
void ws_plot_title(const cJSON *config, char *buf, size_t cap) {
    const char *data = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(config, "data"), "name"));
    const char *arch = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(config, "model"), "arch"));
    snprintf(buf, cap, "%s, %s", data ? data : "?", arch ? arch : "?");
}

// A sweep: every (point, learner) as accuracy against seconds (means over seeds), the Pareto
// front as a line; then Figure 4, where the sweep is over phase-1 epochs.
static ws_status plot_sweep(ws_ctx *ctx, const ws_table *t, series *all, const char *outdir, int *nfigs) {
    figure f;
    memset(&f, 0, sizeof f);
    char title[200];
    ws_plot_title(t->points[0].config, title, sizeof title);
    int n, nlines = 0;
    ws_sweep_entry *x = ws_sweep_table(t, &n);
    if (!x && n) return ws_fail(ctx, WS_ERR_NOMEM, "out of memory for the figures");
    series *line = &all[MAX_SERIES - 1];
    snprintf(line->name, sizeof line->name, "Pareto front");
    for (int i = 0; i < n && i < MAX_POINTS; i++) {
        int l = 0;
        while (l < nlines && strcmp(all[l].name, x[i].cell.learner)) l++;
        if (l == nlines && nlines < MAX_SERIES - 1) snprintf(all[nlines++].name, sizeof all[0].name, "%s", x[i].cell.learner);
        const double secs = x[i].seconds.mean, acc = 100 * x[i].acc.mean;
        if (l < nlines) ws_fig_add(&all[l], all[l].npoints, secs, acc);
        if (!x[i].pareto) continue;
        int k = line->npoints; // the front by seconds, one point each
        while (k > 0 && line->x[k - 1] > secs) line->x[k] = line->x[k - 1], line->v[k][0] = line->v[k - 1][0], line->nv[k] = 1, k--;
        line->x[k] = secs, line->v[k][0] = acc, line->nv[k] = 1, line->npoints++;
    }
    free(x);
    snprintf(f.file, sizeof f.file, "sweep");
    snprintf(f.title, sizeof f.title, "Sweep: test accuracy against training time (%s; means over seeds)", title);
    snprintf(f.xlabel, sizeof f.xlabel, "training seconds to converge");
    snprintf(f.ylabel, sizeof f.ylabel, "test accuracy (%%)");
    f.scatter = 1;
    for (int l = 0; l < nlines; l++) f.s[f.nseries++] = &all[l];
    f.s[f.nseries++] = line;
    ws_status st = ws_fig_render(ctx, &f, outdir, nfigs);
    if (!st) st = ws_plot_phase1_sweep(ctx, t, outdir, nfigs); // Figure 4, for that sweep
    return st;
}

static double share_of(const ws_run *r) { return 100 * r->m[WS_M_FRACTION]; }
static double examples_of(const ws_run *r) { return r->m[WS_M_EXAMPLES]; }

// Online and active: per round, each learner's accuracy, time, weights' correlation with the
// initialisation and new/old gradient ratio; transfer: per share, accuracy and time.
static ws_status plot_staged(ws_ctx *ctx, const ws_table *t, series *all, const char *outdir, int *nfigs) {
    const ws_point *p = &t->points[0];
    const int transfer = !strcmp(t->scenario, "transfer");
    char title[200], band[64];
    ws_plot_title(p->config, title, sizeof title);
    int nlearn = 0;
    for (int l = 0; l < t->nlearners && nlearn < MAX_SERIES; l++) {
        if (l == t->base) continue;
        for (int i = 0; i < p->nruns; i++) {
            const ws_run *r = &p->runs[i];
            if (r->learner != l) continue;
            const double x = transfer ? 100 * r->m[WS_M_FRACTION] : r->m[WS_M_EXAMPLES];
            const double go = r->m[WS_M_GRAD_OLD], values[NQUANT] = {100 * r->m[WS_M_TEST_ACC], r->m[WS_M_SECONDS],
                                                                    r->m[WS_M_CUM_SECONDS], r->m[WS_M_CORR_INIT],
                                                                    go > 0 ? r->m[WS_M_GRAD_NEW] / go : NAN};
            for (int q = 0; q < NQUANT; q++)
                if (isfinite(values[q])) ws_fig_add(&all[q * MAX_SERIES + nlearn], r->stage, x, values[q]);
        }
        for (int q = 0; q < NQUANT; q++) snprintf(all[q * MAX_SERIES + nlearn].name, sizeof all[0].name, "%s", t->learners[l]);
        nlearn++;
    }
    const int nseeds = p->nrecords;
    snprintf(band, sizeof band, "%d seed%s%s", nseeds, nseeds == 1 ? "" : "s", nseeds > 1 ? ", 95% CI" : "");
    const char *what = transfer ? "Transfer" : !strcmp(t->experiment, "active") ? "Active online learning" : "Online learning";
    const char *xl = transfer ? "share of the target training set (%)" : "examples seen";
    const char *files[NQUANT] = {"accuracy", "seconds", "cumulative_seconds", "weights", "gradnorm"};
    const char *ylab[NQUANT] = {"test accuracy (%)", "time to converge (s)", "training time so far (s)",
                                "Pearson correlation of weights with init", "gradient norm, new / old examples"};
    const char *what4[NQUANT] = {"test accuracy", "time to converge", "cumulative training time", "weights vs initialisation",
                                 "gradient norm on new over old examples, at the round's start"};
    ws_status st = WS_OK;
    for (int q = 0; q < (transfer ? 2 : NQUANT) && !st; q++) {
        figure f;
        memset(&f, 0, sizeof f);
        snprintf(f.file, sizeof f.file, "%s", files[q]);
        snprintf(f.title, sizeof f.title, "%s: %s (%s; %s)", what, what4[q], title, band);
        snprintf(f.xlabel, sizeof f.xlabel, "%s", xl);
        snprintf(f.ylabel, sizeof f.ylabel, "%s", ylab[q]);
        f.logx = transfer;
        for (int l = 0; l < nlearn; l++)
            if (all[q * MAX_SERIES + l].npoints) f.s[f.nseries++] = &all[q * MAX_SERIES + l];
        if (f.nseries) st = ws_fig_render(ctx, &f, outdir, nfigs);
    }
    if (!st && !transfer) st = ws_plot_shrink_grid(ctx, t, outdir, nfigs); // Figure 8, where the learners make a grid
    const ws_plot_axis axis = {what, xl, transfer ? share_of : examples_of, transfer, 0};
    if (!st) st = ws_plot_inside(ctx, t, p, &axis, outdir, nfigs);
    if (!st && !transfer) st = ws_plot_remedies(ctx, t, outdir, nfigs);
    return st;
}

ws_status ws_plot_table(ws_ctx *ctx, const ws_table *t, const char *outdir, int *nfigs) {
    if (!t->npoints) return ws_fail(ctx, WS_ERR_FORMAT, "no results to draw");
    if (ws_sys_mkdir(outdir, 0777) != 0 && errno != EEXIST)
        return ws_fail(ctx, WS_ERR_IO, "%s: cannot create directory: %s", outdir, ws_sys_strerror(errno));
    if (!t->sweep && !strcmp(t->scenario, "batch")) return ws_plot_batch(ctx, t, &t->points[0], outdir, nfigs);
    if (!t->sweep && !strcmp(t->scenario, "continual")) return ws_plot_continual(ctx, t, outdir, nfigs);
    series *all = ws_sys_calloc(MAX_SERIES * NQUANT, sizeof *all);
    if (!all) return ws_fail(ctx, WS_ERR_NOMEM, "out of memory for the figures");
    ws_status st = t->sweep ? plot_sweep(ctx, t, all, outdir, nfigs) : plot_staged(ctx, t, all, outdir, nfigs);
    free(all);
    return st;
}

ws_status ws_plot_results(ws_ctx *ctx, const char *input, const char *outdir, int *nfigs) {
    *nfigs = 0;
    ws_table *t;
    ws_status st = ws_table_read(ctx, input, &t);
    if (st) return st;
    st = ws_plot_table(ctx, t, outdir, nfigs);
    if (!st && !*nfigs && !t->sweep && !strcmp(t->scenario, "batch"))
        st = ws_fail(ctx, WS_ERR_ARG, "%s: nothing to draw: a two-phase run draws its per-epoch curves with --eval-every, "
                                      "gradient norms with --grad-every, shrunk accuracy with --shrink-eval", input);
    ws_table_free(t);
    return st;
}
