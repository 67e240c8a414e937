// warmstart plot: figures from a results table (exp/table.h) of any scenario or sweep.
#ifndef WS_REPORT_PLOT_H
#define WS_REPORT_PLOT_H

#include <cjson/cJSON.h>

#include "core/ctx.h"
#include "exp/table.h"

// Read `input` (a results folder or file: exp/table.h) and render its figures into outdir
// (created if missing) as NAME.png and NAME.svg, with NAME.dat / NAME.gp beside them
// (gnuplot's data and script, to restyle a figure). Online and active results: accuracy,
// seconds, weights, gradnorm (and Figure 8's heatmaps where the learners make a grid);
// transfer: accuracy, seconds; a sweep: accuracy against seconds (and Figure 4 over
// phase1-epochs); a two-phase run: what its records hold (ws_plot_batch; none is an error here).
// Needs gnuplot on the PATH. *nfigs gets the number of image files written.
ws_status ws_plot_results(ws_ctx *ctx, const char *input, const char *outdir, int *nfigs);
// The same from a table already read (a two-phase run's figures may be none: *nfigs stays).
ws_status ws_plot_table(ws_ctx *ctx, const ws_table *t, const char *outdir, int *nfigs);

// "DATA, ARCH" of a results configuration, for the figures' titles.
void ws_plot_title(const cJSON *config, char *buf, size_t cap);

// The two-phase experiment's figures of point p into outdir: per-epoch training and test
// accuracy (Figure 1; with --eval-every), gradient norms on old and new data through phase 2
// (Figure 5; --grad-every), accuracy of shrunk models (Figure 6; --shrink-eval). Only those the
// runs hold data for: *nfigs may stay as it was.
ws_status ws_plot_batch(ws_ctx *ctx, const ws_table *t, const ws_point *p, const char *outdir, int *nfigs);
// A sweep whose points take the warm start after different fixed numbers of phase-1 epochs (their
// configurations' phase1_epochs): warm's test accuracy against random's by the start epoch, and
// the per-epoch curves of the warm starts (Figure 4). Nothing for other sweeps.
ws_status ws_plot_phase1_sweep(ws_ctx *ctx, const ws_table *t, const char *outdir, int *nfigs);
// The stages of a staged run on a figure's x axis: what the runs are (for titles), the axis'
// label, a run's x, log scale.
typedef struct {
    const char *what, *xlabel;
    double (*x)(const ws_run *r);
    int logx;
    int phases;  // the two-phase experiment: x 1 phase 1's end (the base run of the same seed), 2 each
                 // learner's end (x unused)
} ws_plot_axis;
// Per stage, each learner's measurements inside the network at the stage's end (dormant units,
// feature srank, weight magnitude: report/plot_inside.c); nothing for runs not measured.
ws_status ws_plot_inside(ws_ctx *ctx, const ws_table *t, const ws_point *p, const ws_plot_axis *axis,
                         const char *outdir, int *nfigs);
// A task sequence (continual): per task, each learner's online accuracy, held-out accuracy and
// gap to random's online accuracy (report/plot_continual.c).
ws_status ws_plot_continual(ws_ctx *ctx, const ws_table *t, const char *outdir, int *nfigs);
// An online run whose learners include shrink-perturb at >= 2 lambdas and >= 2 sigmas: heatmaps of
// the mean test accuracy and the training time over the grid (Figure 8). Nothing otherwise.
ws_status ws_plot_shrink_grid(ws_ctx *ctx, const ws_table *t, const char *outdir, int *nfigs);

#endif
