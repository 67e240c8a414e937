// Measurements inside the network, per stage (an online round, a transfer share, a task; the
// two-phase experiment's phase 1 and phase 2): each
// learner's dormant units, its features' srank and its weights' magnitude at the stage's end,
// with 95 % bands over seeds (docs/MEASUREMENTS.md). Nothing where the runs were not measured.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/figure.h"
#include "report/plot.h"

static const struct {
    ws_measure m;
    double scale;
    const char *file, *ylabel, *what;
} INSIDE[] = {
    {WS_M_DORMANT_01, 100, "dormant_units", "hidden units 0.1-dormant (%)", "dormant units (ReDo, tau 0.1)"},
    {WS_M_DOHARE_DORMANT, 100, "dead_units", "hidden units active on < 1 % of the probe (%)",
     "dormant units (Dohare et al.)"},
    {WS_M_SRANK, 1, "feature_srank", "srank of the penultimate features", "feature rank (srank, delta 0.01)"},
    {WS_M_WEIGHT_MAGNITUDE, 1, "weight_magnitude", "mean |weight|", "weight magnitude"},
};
#define NINSIDE ((int)(sizeof INSIDE / sizeof *INSIDE))

ws_status ws_plot_inside(ws_ctx *ctx, const ws_table *t, const ws_point *p, const ws_plot_axis *axis,
                         const char *outdir, int *nfigs) {
    series *all = ws_sys_calloc(MAX_SERIES, sizeof *all);
    if (!all) return ws_fail(ctx, WS_ERR_NOMEM, "out of memory for the figures");
    char title[200];
    ws_plot_title(p->config, title, sizeof title);
    ws_status st = WS_OK;
    for (int q = 0; q < NINSIDE && !st; q++) {
        figure f;
        memset(&f, 0, sizeof f);
        memset(all, 0, MAX_SERIES * sizeof *all);
        snprintf(f.file, sizeof f.file, "%s", INSIDE[q].file);
        snprintf(f.title, sizeof f.title, "%s: %s (%s; %d seed%s)", axis->what, INSIDE[q].what, title, p->nrecords,
                 p->nrecords == 1 ? "" : "s");
        snprintf(f.xlabel, sizeof f.xlabel, "%s", axis->xlabel);
        snprintf(f.ylabel, sizeof f.ylabel, "%s", INSIDE[q].ylabel);
        f.logx = axis->logx;
        for (int l = 0; l < t->nlearners && f.nseries < MAX_SERIES; l++) {
            if (l == t->base) continue;
            series *s = &all[f.nseries];
            snprintf(s->name, sizeof s->name, "%s", t->learners[l]);
            for (int i = 0; i < p->nruns; i++) {
                const ws_run *r = &p->runs[i];
                if (r->learner != l) continue;
                const double v = INSIDE[q].scale * r->m[INSIDE[q].m];
                if (axis->phases) { // from phase 1's end (the same seed's) to the learner's
                    const ws_run *b = ws_point_run(p, t->base, r->seed, 0);
                    const double v1 = b ? INSIDE[q].scale * b->m[INSIDE[q].m] : NAN;
                    if (isfinite(v1) && isfinite(v)) ws_fig_add(s, 0, 1, v1), ws_fig_add(s, 1, 2, v);
                    continue;
                }
                const double x = axis->x(r);
                if (isfinite(v) && isfinite(x)) ws_fig_add(s, r->stage, x, v);
            }
            if (s->npoints) f.s[f.nseries++] = s;
        }
        if (f.nseries) st = ws_fig_render(ctx, &f, outdir, nfigs);
    }
    free(all);
    return st;
}
