// The claims at a glance: a forest plot, one row per claim with a measured difference -- its
// mean and 95 % interval as a bar, coloured by verdict, the paper's effect beside it as an open
// diamond, a line at 0 -- so that a reader sees what was decided, what was not, and how far
// each result lies from the paper's.
//
// Claims come in different units (accuracy points, %, seconds, gradient steps), so the rows
// are drawn in panels: the first holds every claim the paper gives a size for, each divided by
// that size -- |the paper's effect|, or an equivalence claim's tolerance -- so that the paper's
// effect sits at +1 (an equivalence claim's paper value at 0, its tolerance at ±1) and a bar
// shorter than 1 on each side is a run that could detect the paper's effect; then one panel per
// unit for the claims the paper gives no number for, in their own units. A normalised value
// beyond ±6 is clipped, its bar ending in an arrow.
#ifndef WS_REPORT_FOREST_H
#define WS_REPORT_FOREST_H

#include "core/ctx.h"
#include "report/claims.h"

typedef struct {
    char label[112]; // the row's name on the plot ("#12 table1-cifar10 model=mlp opt=adam: gap")
    const ws_claim *c;
} ws_forest_row;

// The verdict's colour on the plot (and the page's legend): "#2ca02c" for yes, ...
const char *ws_verdict_color(ws_verdict v);

// The rows (those with a finite measured mean; the others are counted in *left_out) as
// dir/FILE.{dat,gp,png,svg}, the PNG 1200 pixels wide and as tall as its rows need. *nfigs += 2
// when drawn; *left_out gets the rows without a difference to draw. Needs gnuplot (as every
// figure): WS_ERR_IO with its message otherwise, the .dat and .gp written all the same.
ws_status ws_forest_render(ws_ctx *ctx, const ws_forest_row *rows, int n, const char *dir, const char *file, int *nfigs,
                           int *left_out);

#endif
