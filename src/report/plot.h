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

#endif
