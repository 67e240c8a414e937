// A task sequence's figures: per task, each learner's average online accuracy, its held-out
// accuracy at the task's end, and its loss of plasticity -- its gap to random (a fresh network
// every task) on the same task and seed -- with 95 % bands over seeds.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/figure.h"
#include "report/plot.h"
#include "report/remedies_table.h"

enum { ONLINE_ACC, HELD_OUT_ACC, GAP_TO_RANDOM, NFIGS };

// Learner l's series of figure q: per task, its value for each seed (the gap: minus random's).
static void fill(const ws_point *p, int l, int random, int q, series *s) {
    for (int i = 0; i < p->nruns; i++) {
        const ws_run *r = &p->runs[i];
        if (r->learner != l) continue;
        double v = 100 * r->m[q == HELD_OUT_ACC ? WS_M_TEST_ACC : WS_M_ONLINE_ACC];
        if (q == GAP_TO_RANDOM) {
            const ws_run *b = ws_point_run(p, random, r->seed, r->stage);
            v = b ? v - 100 * b->m[WS_M_ONLINE_ACC] : NAN;
        }
        if (isfinite(v)) ws_fig_add(s, r->stage, r->stage, v);
    }
}

static double task_of(const ws_run *r) { return r->stage; }

ws_status ws_plot_continual(ws_ctx *ctx, const ws_table *t, const char *outdir, int *nfigs) {
    const ws_point *p = &t->points[0];
    const int random = ws_table_learner(t, "random");
    series *all = ws_sys_calloc(MAX_SERIES * NFIGS, sizeof *all);
    if (!all) return ws_fail(ctx, WS_ERR_NOMEM, "out of memory for the figures");
    char title[200];
    ws_plot_title(p->config, title, sizeof title);
    const char *kind = cJSON_GetStringValue(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(p->config, "continual"), "tasks_kind"));
    static const char *const files[NFIGS] = {"online_accuracy", "heldout_accuracy", "plasticity_gap"};
    static const char *const ylabels[NFIGS] = {"average online accuracy (%)", "held-out accuracy at the task's end (%)",
                                               "online accuracy minus random's (points)"};
    static const char *const whats[NFIGS] = {"online accuracy per task", "held-out accuracy per task",
                                             "loss of plasticity: gap to a fresh network per task"};
    ws_status st = WS_OK;
    for (int q = 0; q < NFIGS && !st; q++) {
        if (q == GAP_TO_RANDOM && random < 0) continue;
        figure f;
        memset(&f, 0, sizeof f);
        snprintf(f.file, sizeof f.file, "%s", files[q]);
        snprintf(f.title, sizeof f.title, "%s tasks: %s (%s; %d seed%s)", kind ? kind : "?", whats[q], title,
                 p->nrecords, p->nrecords == 1 ? "" : "s");
        snprintf(f.xlabel, sizeof f.xlabel, "task");
        snprintf(f.ylabel, sizeof f.ylabel, "%s", ylabels[q]);
        for (int l = 0; l < t->nlearners && f.nseries < MAX_SERIES; l++) {
            if (q == GAP_TO_RANDOM && l == random) continue;
            series *s = &all[q * MAX_SERIES + f.nseries];
            snprintf(s->name, sizeof s->name, "%s", t->learners[l]);
            fill(p, l, random, q, s);
            if (s->npoints) f.s[f.nseries++] = s;
        }
        if (f.nseries) st = ws_fig_render(ctx, &f, outdir, nfigs);
    }
    free(all);
    const ws_plot_axis axis = {kind ? kind : "tasks", "task", task_of, 0, 0};
    if (!st) st = ws_plot_inside(ctx, t, p, &axis, outdir, nfigs);
    return st ? st : ws_plot_remedies(ctx, t, outdir, nfigs);
}
