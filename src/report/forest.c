// The claims' forest plot (forest.h): one gnuplot script drawing every panel into one image.
#define _POSIX_C_SOURCE 200809L
#include "report/forest.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "io/atomic.h"
#include "report/figure.h"

#define MAX_PANELS 8   // the normalised panel and up to 7 units
#define CLIP 6.0       // the normalised panel's reach: a result 6 times the paper's effect is far enough
#define ROW_PX 18      // pixels a row
#define WIDTH_PX 1200  // fits the report's column (1,200 pixels) unscaled
#define TITLE_PX 34    // above a panel: its title
#define AXIS_PX 58     // below a panel: its x tics and label
#define KEY_PX 52      // above the first panel: the legend (two rows of entries)

const char *ws_verdict_color(ws_verdict v) {
    switch (v) {
    case WS_VERDICT_HOLDS: return "#2ca02c";
    case WS_VERDICT_NOT_SHOWN: return "#8c8c8c";
    case WS_VERDICT_UNDECIDED: return "#ff7f0e";
    case WS_VERDICT_OPPOSITE: return "#d62728";
    case WS_VERDICT_EXPLORATORY: return "#1f77b4";
    case WS_VERDICT_NOT_CONVERGED: return "#9467bd";
    default: return "#cccccc";
    }
}

typedef struct {
    char units[16]; // "" for the normalised panel
    int n;          // rows
    int first;      // its first row's index in the plot's order (rows sorted by panel)
    double lo, hi;  // x range drawn (before padding); values beyond are clipped (normalised panel only)
} panel;

typedef struct {
    int row;    // index into the caller's rows
    int panel;
    double m, lo, hi, paper; // in the panel's scale
} placed;

static double clampd(double x, double a, double b) { return x < a ? a : x > b ? b : x; }

// A number for gnuplot's data file: "NaN" (which it skips) rather than printf's "nan" or "-nan".
static void put_num(FILE *f, double x) {
    if (isfinite(x)) fprintf(f, " %.9g", x);
    else fputs(" NaN", f);
}

static int color_int(ws_verdict v) { return (int)strtol(ws_verdict_color(v) + 1, NULL, 16); }

// A row label cut to fit the left margin (whole UTF-8 characters), then escaped for gnuplot: a
// quote doubled, and a '%' written "pct": gnuplot reads an explicit tic label that holds '%' as a
// format for the tic's value, into a 50-byte buffer ("5 % of the target" printed "5 14f the
// target", and "%%" cut a long label short; a full-width percent sign drew a giant glyph).
static void label_of(const char *label, char *out, size_t cap) {
    char cut[100], pct[300];
    size_t k = 0, chars = 0;
    for (const unsigned char *c = (const unsigned char *)label; *c && k + 4 < sizeof cut; c++) {
        if ((*c & 0xC0) != 0x80 && ++chars > 72) { // at a character's first byte: past 72 characters, stop
            memcpy(cut + k, "…", strlen("…"));
            k += strlen("…");
            break;
        }
        cut[k++] = (char)*c;
    }
    cut[k] = 0;
    size_t j = 0;
    for (const char *c = cut; *c && j + 4 < sizeof pct; c++) {
        if (*c == '%') {
            memcpy(pct + j, "pct", 3);
            j += 3;
        } else pct[j++] = *c;
    }
    pct[j] = 0;
    ws_gp_escape(out, cap, pct);
}

static void script(FILE *gp, const ws_forest_row *rows, const placed *pl, int np, const panel *pn, int npanels,
                   const char *dir, const char *file, const char *term, const char *ext, int height) {
    fprintf(gp, "set terminal %s size %d,%d font 'Sans,10'\nset output '%s/%s.%s'\n", term, WIDTH_PX, height, dir, file, ext);
    fprintf(gp, "set encoding utf8\nset termoption noenhanced\nset multiplot\n");
    fprintf(gp, "set lmargin at screen 0.40\nset rmargin at screen 0.98\nset grid xtics lc rgb '#dddddd'\n");
    fprintf(gp, "set ytics nomirror scale 0 font 'Sans,9'\nset xtics nomirror\n");
    int top = height - KEY_PX; // pixels from the bottom to the current panel's title
    for (int p = 0; p < npanels; p++) {
        const panel *q = &pn[p];
        const double plot_top = top - TITLE_PX, plot_bottom = plot_top - q->n * ROW_PX - 8;
        fprintf(gp, "unset arrow\nunset key\nunset label\nunset title\n");
        fprintf(gp, "set tmargin at screen %.5f\nset bmargin at screen %.5f\n", plot_top / height, plot_bottom / height);
        const double pad = 0.04 * (q->hi - q->lo);
        fprintf(gp, "set xrange [%.9g:%.9g]\nset yrange [0.4:%.1f]\n", q->lo - pad, q->hi + pad, q->n + 0.6);
        // The panel's title across the whole width (the labels' margin included), flush left.
        fprintf(gp, "set label 1 at screen 0.01, screen %.5f left font 'Sans,11' ", (top - 16.0) / height);
        if (q->units[0]) {
            fprintf(gp, "'Claims with no size to weigh them by, in %s: the difference, positive where the claim holds'\n",
                    q->units);
            fprintf(gp, "set xlabel 'difference (%s)'\n", q->units);
        } else {
            fprintf(gp, "\"Claims with a size: the difference divided by it (the paper's effect in this setting, a "
                        "smallest effect of interest, or a margin)\"\n");
            fprintf(gp, "set xlabel \"difference / size: an effect of that size at +1; a margin claim's bounds at ±1 "
                        "(ticks)\"\n");
            // The paper's effect, and an equivalence claim's tolerance, at ±1.
            for (int s = -1; s <= 1; s += 2)
                if (q->lo <= s && s <= q->hi)
                    fprintf(gp, "set arrow from first %d, graph 0 to first %d, graph 1 nohead dt 3 lc rgb '#999999'\n", s, s);
        }
        fprintf(gp, "set arrow from first 0, graph 0 to first 0, graph 1 nohead lw 1.5 lc rgb '#333333' front\n");
        fprintf(gp, "set ytics (");
        for (int i = 0; i < q->n; i++) {
            char lab[400];
            label_of(rows[pl[q->first + i].row].label, lab, sizeof lab);
            fprintf(gp, "%s'%s' %d", i ? ", " : "", lab, q->n - i);
        }
        fprintf(gp, ")\n");
        if (p == 0) { // the legend, once, above the first panel: one entry per verdict, the markers
            fprintf(gp, "set key at screen 0.01, screen %.5f left top horizontal maxrows 1 maxcols 8 font 'Sans,10' "
                        "samplen 1 width -1 reverse Left\n", (height - 6.0) / height);
        }
        const char *f = file;
        fprintf(gp, "plot '%s/%s.dat' index %d using 3:1:($4-$3):(0):8 with vectors nohead lw 2.5 lc rgb variable notitle, "
                    "'' index %d using 9:1:10:(0):8 with vectors head filled size screen 0.008,25 lw 3 lc rgb variable notitle, "
                    "'' index %d using 11:1:12:(0):8 with vectors head filled size screen 0.008,25 lw 3 lc rgb variable notitle, "
                    "'' index %d using 6:($1-0.32):(0):(0.64) with vectors nohead lw 1.5 lc rgb '#333333' notitle, "
                    "'' index %d using 7:($1-0.32):(0):(0.64) with vectors nohead lw 1.5 lc rgb '#333333' notitle, "
                    "'' index %d using 2:1:8 with points pt 7 ps 1.4 lc rgb variable notitle, "
                    "'' index %d using 5:1 with points pt 12 ps 1.5 lw 1.5 lc rgb '#000000' notitle, "
                    "'' index %d using 14:1:(sprintf('mean %%.3g', $13)) with labels right offset -1.2,0.55 font 'Sans,8' "
                    "tc rgb '#555555' notitle",
                dir, f, p, p, p, p, p, p, p, p);
        if (p == 0) {
            static const ws_verdict shown[] = {WS_VERDICT_HOLDS,    WS_VERDICT_NOT_SHOWN,   WS_VERDICT_UNDECIDED,
                                               WS_VERDICT_OPPOSITE, WS_VERDICT_EXPLORATORY, WS_VERDICT_NOT_CONVERGED};
            for (size_t k = 0; k < sizeof shown / sizeof *shown; k++)
                fprintf(gp, ", NaN with points pt 7 ps 1.2 lc rgb '%s' title '%s'", ws_verdict_color(shown[k]),
                        ws_verdict_word(shown[k]));
            fprintf(gp, ", NaN with points pt 12 ps 1.5 lw 1.5 lc rgb '#000000' title \"the paper's effect\"");
        }
        fprintf(gp, "\n");
        top = (int)plot_bottom - AXIS_PX;
    }
    fprintf(gp, "unset multiplot\n");
    (void)np;
}

ws_status ws_forest_render(ws_ctx *ctx, const ws_forest_row *rows, int n, const char *dir, const char *file, int *nfigs,
                           int *left_out) {
    *left_out = 0;
    placed *pl = ws_sys_calloc((size_t)(n > 0 ? n : 1), sizeof *pl);
    if (!pl) return ws_fail(ctx, WS_ERR_NOMEM, "out of memory for the forest plot");
    panel pn[MAX_PANELS];
    int npanels = 1, np = 0;
    memset(pn, 0, sizeof pn);
    pn[0].lo = -1.5, pn[0].hi = 1.5; // the paper's effect and the tolerances in view
    // Each row into its panel: sized rows normalised into panel 0, the rest by unit.
    for (int i = 0; i < n; i++) {
        const ws_claim *c = rows[i].c;
        if (!isfinite(c->d.mean)) {
            ++*left_out;
            continue;
        }
        // The bar: the 95 % interval, or an every-seed claim's range of values.
        const int range = c->spec.kind == WS_KIND_EVERY_SEED;
        const double size = c->size, lo = range ? c->d.lo : c->d.mean - c->d.half95, hi = range ? c->d.hi : c->d.mean + c->d.half95;
        int p = 0;
        if (!isfinite(size)) {
            for (p = 1; p < npanels && strcmp(pn[p].units, c->units); p++) {}
            if (p == npanels) {
                if (npanels == MAX_PANELS) {
                    ++*left_out;
                    continue;
                }
                snprintf(pn[npanels].units, sizeof pn[npanels].units, "%s", c->units[0] ? c->units : "?");
                pn[npanels].lo = pn[npanels].hi = 0; // 0 always in view
                npanels++;
            }
        }
        const double scale = p == 0 ? size : 1;
        placed *x = &pl[np++];
        const double paper = ws_claim_paper_value(c);
        *x = (placed){i, p, c->d.mean / scale, lo / scale, hi / scale, isfinite(paper) ? paper / scale : NAN};
        pn[p].n++;
        const double ends[3] = {x->m, x->lo, x->hi};
        for (int k = 0; k < 3; k++)
            if (isfinite(ends[k])) {
                if (ends[k] < pn[p].lo) pn[p].lo = ends[k];
                if (ends[k] > pn[p].hi) pn[p].hi = ends[k];
            }
    }
    pn[0].lo = clampd(pn[0].lo, -CLIP, -1.5), pn[0].hi = clampd(pn[0].hi, 1.5, CLIP);
    for (int p = 1; p < npanels; p++)
        if (pn[p].lo == pn[p].hi) pn[p].lo -= 1, pn[p].hi += 1;
    // Panels in order, rows in the caller's order within each; an empty normalised panel is not drawn.
    placed *sorted = ws_sys_calloc((size_t)(np > 0 ? np : 1), sizeof *sorted);
    if (!sorted) return free(pl), ws_fail(ctx, WS_ERR_NOMEM, "out of memory for the forest plot");
    int k = 0, drawn = 0;
    panel used[MAX_PANELS];
    for (int p = 0; p < npanels; p++) {
        if (!pn[p].n) continue;
        used[drawn] = pn[p];
        used[drawn].first = k;
        for (int i = 0; i < np; i++)
            if (pl[i].panel == p) sorted[k] = pl[i], sorted[k++].panel = drawn;
        drawn++;
    }
    free(pl);
    if (!np) {
        free(sorted);
        return ws_fail(ctx, WS_ERR_ARG, "no claim has a measured difference to plot");
    }
    char path[1400], folder[2400];
    if (ws_sys_mkdir(dir, 0777) && errno != EEXIST) {
        free(sorted);
        return ws_fail(ctx, WS_ERR_IO, "%s: cannot create directory: %s", dir, ws_sys_strerror(errno));
    }
    // The data, one block per panel (gnuplot's index): y, mean, interval, the paper's effect, the
    // tolerance's ticks, the verdict's colour, arrows where the interval is clipped.
    snprintf(path, sizeof path, "%s/%s.dat", dir, file);
    ws_atomic_file af;
    if (ws_atomic_open(ctx, &af, path)) {
        free(sorted);
        return WS_ERR_IO;
    }
    FILE *out = af.f;
    for (int p = 0; p < drawn; p++) {
        const panel *q = &used[p];
        // A clipped end: an arrow over the last 5 % of the range, pointing out of it.
        const double arrow = 0.05 * (q->hi - q->lo);
        fprintf(out, "# panel %d (%s): y mean lo hi paper tol_left tol_right color left_x left_dx right_x right_dx "
                     "clipped_mean clipped_label_x label\n", p,
                q->units[0] ? q->units : "divided by the size");
        for (int i = 0; i < q->n; i++) {
            const placed *x = &sorted[q->first + i];
            const ws_claim *c = rows[x->row].c;
            const int bar = isfinite(x->lo) && isfinite(x->hi);
            const double lo = bar ? clampd(x->lo, q->lo, q->hi) : NAN, hi = bar ? clampd(x->hi, q->lo, q->hi) : NAN;
            const double m = x->m >= q->lo && x->m <= q->hi ? x->m : NAN;
            const int band = p == 0 && q->units[0] == 0 && c->spec.kind != WS_KIND_DIFFERENCE;
            const int both = c->spec.kind == WS_KIND_EQUIVALENCE || c->spec.kind == WS_KIND_EVERY_SEED;
            fprintf(out, "%d", q->n - i);
            const double cols[6] = {m, lo, hi, x->paper, band ? -1.0 : NAN, band && both ? 1.0 : NAN};
            for (int j = 0; j < 6; j++) put_num(out, cols[j]);
            fprintf(out, " %d", color_int(c->verdict));
            const int left = bar && x->lo < q->lo, right = bar && x->hi > q->hi;
            put_num(out, left ? q->lo + arrow : NAN), put_num(out, left ? -arrow : NAN);
            put_num(out, right ? q->hi - arrow : NAN), put_num(out, right ? arrow : NAN);
            // The mean of a row clipped at either end, written at that end.
            put_num(out, left || right ? x->m : NAN);
            put_num(out, right ? q->hi : left ? q->lo + 0.25 * (q->hi - q->lo) : NAN);
            fprintf(out, " # %s\n", rows[x->row].label);
        }
        fprintf(out, "\n\n");
    }
    if (ws_atomic_commit(ctx, &af)) {
        free(sorted);
        return WS_ERR_IO;
    }
    int height = KEY_PX + 10;
    for (int p = 0; p < drawn; p++) height += TITLE_PX + used[p].n * ROW_PX + 8 + AXIS_PX;
    snprintf(path, sizeof path, "%s/%s.gp", dir, file);
    ws_atomic_file gp;
    if (ws_atomic_open(ctx, &gp, path)) {
        free(sorted);
        return WS_ERR_IO;
    }
    ws_gp_escape(folder, sizeof folder, dir);
    script(gp.f, rows, sorted, np, used, drawn, folder, file, "pngcairo", "png", height);
    script(gp.f, rows, sorted, np, used, drawn, folder, file, "svg background rgb 'white'", "svg", height);
    free(sorted);
    ws_status st = ws_atomic_commit(ctx, &gp);
    if (!st) st = ws_gnuplot_run(ctx, path);
    if (!st) *nfigs += 2;
    return st;
}
