// The figures' common part (report/plot.c, report/plot_batch.c): series of values over seeds
// summarised as mean and 95 % band, drawn by gnuplot as PNG and SVG (with the .dat and .gp
// beside them, to restyle a figure); heatmaps for grids of two settings.
#ifndef WS_REPORT_FIGURE_H
#define WS_REPORT_FIGURE_H

#include "core/ctx.h"

#define MAX_SEEDS 64
#define MAX_POINTS 512
#define MAX_SERIES 24   // lines per figure (the remedies' table draws every learner)

// One line with its band: per point x and the values over seeds.
typedef struct {
    char name[64];
    int npoints;
    double x[MAX_POINTS];
    double v[MAX_POINTS][MAX_SEEDS];
    int nv[MAX_POINTS];
} series;

typedef struct {
    char file[64];       // base name: accuracy -> accuracy.png, accuracy.svg
    char title[256], xlabel[96], ylabel[96];
    int logx;
    int scatter;         // points only, no bands (a sweep's accuracy against seconds); the last series a line
    int nseries;
    series *s[MAX_SERIES];
} figure;

// Value v of one seed at point k (x) of s (points past MAX_POINTS, seeds past MAX_SEEDS dropped).
void ws_fig_add(series *s, int k, double x, double v);
// f as dir/FILE.{dat,gp,png,svg}; *nfigs += 2.
ws_status ws_fig_render(ws_ctx *ctx, const figure *f, const char *dir, int *nfigs);

// A heatmap of z over a grid of nx x ny settings (x labels xl, y labels yl; z[i * ny + j] for
// x i, y j; NAN: no value), each cell labelled with its value to `decimals`: dir/FILE.{dat,gp,png,svg}.
typedef struct {
    char file[64], title[256], xlabel[96], ylabel[96], zlabel[96];
    int nx, ny, decimals;
    char xl[16][24], yl[16][24];
    double z[16 * 16];
} heatmap;
ws_status ws_heatmap_render(ws_ctx *ctx, const heatmap *h, const char *dir, int *nfigs);

// src as the inside of a single-quoted gnuplot string (a quote doubled), cut to fit cap.
void ws_gp_escape(char *dst, size_t cap, const char *src);

// gnuplot on `script`, without a shell.
ws_status ws_gnuplot_run(ws_ctx *ctx, const char *script);

#endif
