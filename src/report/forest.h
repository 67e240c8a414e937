// The claims at a glance: a forest plot, one row per claim with a measured difference -- its
// mean and 95 % interval as a bar, coloured by verdict, the paper's effect beside it as an open
// diamond, a line at 0 -- so that a reader sees what was decided, what was not, and how far
// each result lies from the paper's.
//
// Claims come in different units (accuracy points, %, gradient steps), so the rows are drawn in
// panels: the first holds every claim with a size (the one that sized its verdict: the paper's
// effect in this setting, a declared smallest effect of interest, or a margin), each divided by
// it, so that an effect of that size sits at +1 (a margin claim's bounds at ±1, its paper value
// at 0) and a bar shorter than 1 on each side is a run that could tell it from 0; then one panel
// per unit for the claims with no size, in their own units. A normalised value beyond ±6 is
// clipped, its bar ending in an arrow. An every-seed claim's bar is its range of values.
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
