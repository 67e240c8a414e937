// warmstart plot: figures from the JSONL that online, active and transfer write.
#ifndef WS_REPORT_PLOT_H
#define WS_REPORT_PLOT_H

#include "core/ctx.h"

// Read `input` (a results JSONL file, or a folder holding online.jsonl or
// transfer.jsonl) and render its figures into outdir (created if missing) as
// NAME.png and NAME.svg, with NAME.dat / NAME.gp beside them (gnuplot's data
// and script, to restyle a figure). Online and active results: accuracy,
// seconds, weights, gradnorm; transfer: accuracy, seconds. Needs gnuplot on
// the PATH. *nfigs gets the number of image files written.
ws_status ws_plot_results(ws_ctx *ctx, const char *input, const char *outdir, int *nfigs);

// The two-phase experiment's figures from its batch.jsonl into outdir: per-epoch training and
// test accuracy (Figure 1; with --eval-every), gradient norms on old and new data through phase 2
// (Figure 5; --grad-every), accuracy of shrunk models (Figure 6; --shrink-eval). Only those the
// records hold data for: *nfigs may stay 0.
ws_status ws_plot_batch(ws_ctx *ctx, const char *file, const char *outdir, int *nfigs);
// A sweep over --phase1-epochs (folder dir): warm's test accuracy against random's by the start
// epoch, and the per-epoch curves of the warm starts (Figure 4). Nothing for other sweeps.
ws_status ws_plot_phase1_sweep(ws_ctx *ctx, const char *dir, const char *outdir, int *nfigs);
// An online run whose learners include shrink-perturb at >= 2 lambdas and >= 2 sigmas: heatmaps of
// the mean test accuracy and the training time over the grid (Figure 8). Nothing otherwise.
ws_status ws_plot_shrink_grid(ws_ctx *ctx, const char *file, const char *outdir, int *nfigs);

#endif
