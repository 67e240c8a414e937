// The figures' common part: data files, gnuplot scripts and gnuplot itself (figure.h).
#define _POSIX_C_SOURCE 200809L
#include "report/figure.h"

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
#include "io/atomic.h"


static const char *const COLORS[MAX_SERIES] = {"#d62728", "#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b",
                                               "#e377c2", "#7f7f7f", "#bcbd22", "#17becf", "#393b79", "#637939",
                                               "#8c6d31", "#843c39", "#7b4173", "#3182bd", "#e6550d", "#31a354",
                                               "#756bb1", "#636363", "#6baed6", "#fd8d3c", "#74c476", "#9e9ac8"};

void ws_fig_add(series *s, int k, double x, double v) {
    if (k >= MAX_POINTS) return;
    if (k >= s->npoints) s->npoints = k + 1;
    s->x[k] = x;
    if (s->nv[k] < MAX_SEEDS) s->v[k][s->nv[k]++] = v;
}

// Data blocks (gnuplot "index" i = series i): x mean lo hi.
static ws_status write_data(ws_ctx *ctx, const char *path, const figure *f) {
    ws_atomic_file af;
    if (ws_atomic_open(ctx, &af, path)) return WS_ERR_IO;
    FILE *out = af.f;
    for (int i = 0; i < f->nseries; i++) {
        const series *s = f->s[i];
        fprintf(out, "# %s: x mean lo hi\n", s->name);
        for (int k = 0; k < s->npoints; k++) {
            if (!s->nv[k]) continue;
            ws_summary m = ws_summarize(s->v[k], s->nv[k]);
            double h = isfinite(m.ci95) ? m.ci95 : 0.0;
            fprintf(out, "%.9g %.9g %.9g %.9g\n", s->x[k], m.mean, m.mean - h, m.mean + h);
        }
        fprintf(out, "\n\n");
    }
    return ws_atomic_commit(ctx, &af);
}

void ws_gp_escape(char *dst, size_t cap, const char *src) {
    size_t k = 0;
    for (; *src && k + 2 < cap; src++) {
        if (*src == '\'' ) dst[k++] = '\'';
        dst[k++] = *src;
    }
    dst[k] = 0;
}

// The title on two lines where it is long: what it shows, then its "(details)".
static void title_line(FILE *gp, const char *escaped) {
    const char *cut = strlen(escaped) > 70 ? strstr(escaped, " (") : NULL;
    if (cut) fprintf(gp, "set title '%.*s'.\"\\n\".'%s' noenhanced\n", (int)(cut - escaped), escaped, cut + 1);
    else fprintf(gp, "set title '%s' noenhanced\n", escaped);
}

// The axes' labels, escaped as the title is (a label may hold a quote: "the task's end").
static void labels(FILE *gp, const char *x, const char *y) {
    char xl[200], yl[200];
    ws_gp_escape(xl, sizeof xl, x);
    ws_gp_escape(yl, sizeof yl, y);
    fprintf(gp, "set xlabel '%s' noenhanced\nset ylabel '%s' noenhanced\n", xl, yl);
}

static void script_for(FILE *gp, const figure *f, const char *folder, const char *term, const char *ext) {
    char t[600], dir[2400];
    ws_gp_escape(t, sizeof t, f->title);
    ws_gp_escape(dir, sizeof dir, folder); // a quote in the folder's name stays inside gnuplot's strings
    fprintf(gp, "set terminal %s\nset output '%s/%s.%s'\n", term, dir, f->file, ext);
    title_line(gp, t);
    labels(gp, f->xlabel, f->ylabel);
    fprintf(gp, "set grid\nset key below noenhanced\n%s\n", f->logx ? "set logscale x" : "unset logscale x");
    fprintf(gp, "plot ");
    for (int i = 0; i < f->nseries && f->scatter; i++)
        fprintf(gp, "%s'%s/%s.dat' index %d using 1:2 with %s lc rgb '%s' title '%s'", i ? ", " : "", dir, f->file, i,
                i == f->nseries - 1 ? "lines lw 1.5 dt 2" : "points pt 7 ps 1.2", i == f->nseries - 1 ? "#000000" : COLORS[i % MAX_SERIES],
                f->s[i]->name);
    for (int i = 0; i < f->nseries && !f->scatter; i++)
        fprintf(gp, "%s'%s/%s.dat' index %d using 1:3:4 with filledcurves fc rgb '%s' fs transparent solid 0.18 notitle, "
                    "'%s/%s.dat' index %d using 1:2 with linespoints lw 2 pt 7 ps 0.6 lc rgb '%s' title '%s'",
                i ? ", " : "", dir, f->file, i, COLORS[i % MAX_SERIES], dir, f->file, i, COLORS[i % MAX_SERIES],
                f->s[i]->name);
    fprintf(gp, "\n");
}

extern char **environ;

#define GNUPLOT_MISSING "gnuplot is not installed (Debian: apt-get install gnuplot-nox)"

// Run `gnuplot SCRIPT` with no shell in between (the path is one argument,
// whatever characters it holds), its stdout and stderr read through one pipe.
// A failure's message holds the first 511 bytes of that output, on one line;
// gnuplot missing from the PATH has its own message.
ws_status ws_gnuplot_run(ws_ctx *ctx, const char *script) {
    int fd[2];
    if (pipe(fd) != 0) return ws_fail(ctx, WS_ERR_IO, "cannot run gnuplot: %s", ws_sys_strerror(errno));
    char *argv[] = {(char *)"gnuplot", (char *)script, NULL};
    pid_t pid;
    posix_spawn_file_actions_t fa;
    int err = posix_spawn_file_actions_init(&fa);
    if (!err) {
        posix_spawn_file_actions_addclose(&fa, fd[0]);
        posix_spawn_file_actions_adddup2(&fa, fd[1], STDOUT_FILENO);
        posix_spawn_file_actions_adddup2(&fa, fd[1], STDERR_FILENO);
        if (fd[1] > STDERR_FILENO) posix_spawn_file_actions_addclose(&fa, fd[1]);
        err = posix_spawnp(&pid, "gnuplot", &fa, NULL, argv, environ);
        posix_spawn_file_actions_destroy(&fa);
    }
    close(fd[1]);
    if (err) {
        close(fd[0]);
        if (err == ENOENT) return ws_fail(ctx, WS_ERR_IO, GNUPLOT_MISSING);
        return ws_fail(ctx, WS_ERR_IO, "cannot run gnuplot: %s", ws_sys_strerror(err));
    }
    // Read to the end (gnuplot never blocks on a full pipe), keeping the first bytes.
    char msg[512] = "", sink[4096];
    size_t got = 0;
    for (;;) {
        ssize_t r = got < sizeof msg - 1 ? read(fd[0], msg + got, sizeof msg - 1 - got) : read(fd[0], sink, sizeof sink);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        if (got < sizeof msg - 1) got += (size_t)r;
    }
    msg[got] = 0;
    close(fd[0]);
    int status = 0;
    pid_t w;
    while ((w = waitpid(pid, &status, 0)) < 0 && errno == EINTR) {}
    if (w == pid && status == 0) return WS_OK;
    for (char *c = msg; *c; c++)
        if (*c == '\n') *c = ' ';
    if (w == pid && WIFEXITED(status) && WEXITSTATUS(status) == 127) return ws_fail(ctx, WS_ERR_IO, GNUPLOT_MISSING);
    return ws_fail(ctx, WS_ERR_IO, "gnuplot failed on %s: %s", script, msg[0] ? msg : "no message");
}

static ws_status make_dir(ws_ctx *ctx, const char *dir) {
    if (ws_sys_mkdir(dir, 0777) != 0 && errno != EEXIST) return ws_fail(ctx, WS_ERR_IO, "%s: cannot create directory: %s", dir, ws_sys_strerror(errno));
    return WS_OK;
}

ws_status ws_fig_render(ws_ctx *ctx, const figure *f, const char *dir, int *nfigs) {
    char path[1200];
    if (make_dir(ctx, dir)) return WS_ERR_IO;
    snprintf(path, sizeof path, "%s/%s.dat", dir, f->file);
    ws_status st = write_data(ctx, path, f);
    if (st) return st;
    snprintf(path, sizeof path, "%s/%s.gp", dir, f->file);
    ws_atomic_file gp;
    if (ws_atomic_open(ctx, &gp, path)) return WS_ERR_IO;
    script_for(gp.f, f, dir, "pngcairo size 960,600 font 'Sans,11'", "png");
    script_for(gp.f, f, dir, "svg size 960,600 font 'Sans,11' background rgb 'white'", "svg");
    if (ws_atomic_commit(ctx, &gp)) return WS_ERR_IO;
    ws_status run = ws_gnuplot_run(ctx, path);
    if (run) return run;
    *nfigs += 2;
    return WS_OK;
}


static void heatmap_script(FILE *gp, const heatmap *h, const char *dir, const char *term, const char *ext) {
    char t[600];
    ws_gp_escape(t, sizeof t, h->title);
    fprintf(gp, "set terminal %s\nset output '%s/%s.%s'\n", term, dir, h->file, ext);
    title_line(gp, t);
    labels(gp, h->xlabel, h->ylabel);
    fprintf(gp, "set cblabel '%s' noenhanced\nunset key\nset tics out nomirror\n", h->zlabel);
    fprintf(gp, "set style textbox opaque fc rgb '#ffffff' noborder\n");
    fprintf(gp, "set palette defined (0 '#440154', 1 '#3b528b', 2 '#21908d', 3 '#5dc963', 4 '#fde725')\n");
    fprintf(gp, "set xrange [-0.5:%g]\nset yrange [-0.5:%g]\nset xtics (", h->nx - 0.5, h->ny - 0.5);
    for (int i = 0; i < h->nx; i++) fprintf(gp, "%s'%s' %d", i ? ", " : "", h->xl[i], i);
    fprintf(gp, ")\nset ytics (");
    for (int j = 0; j < h->ny; j++) fprintf(gp, "%s'%s' %d", j ? ", " : "", h->yl[j], j);
    fprintf(gp, ")\nplot '%s/%s.dat' using 1:2:3 with image, '' using 1:2:(valid(3) ? sprintf('%%.%df', $3) : '-') "
                "with labels boxed font ',10' tc rgb '#000000'\n",
            dir, h->file, h->decimals);
}

ws_status ws_heatmap_render(ws_ctx *ctx, const heatmap *h, const char *dir, int *nfigs) {
    char path[1200], folder[2400];
    if (make_dir(ctx, dir)) return WS_ERR_IO;
    snprintf(path, sizeof path, "%s/%s.dat", dir, h->file);
    ws_atomic_file af;
    if (ws_atomic_open(ctx, &af, path)) return WS_ERR_IO;
    FILE *out = af.f;
    fprintf(out, "# x-index y-index value: %s over %s (x) and %s (y)\n", h->zlabel, h->xlabel, h->ylabel);
    for (int i = 0; i < h->nx; i++) {
        for (int j = 0; j < h->ny; j++) {
            const double z = h->z[i * h->ny + j];
            if (isfinite(z)) fprintf(out, "%d %d %.9g\n", i, j, z);
            else fprintf(out, "%d %d NaN\n", i, j);
        }
        fprintf(out, "\n");
    }
    if (ws_atomic_commit(ctx, &af)) return WS_ERR_IO;
    snprintf(path, sizeof path, "%s/%s.gp", dir, h->file);
    ws_atomic_file gp;
    if (ws_atomic_open(ctx, &gp, path)) return WS_ERR_IO;
    ws_gp_escape(folder, sizeof folder, dir);
    heatmap_script(gp.f, h, folder, "pngcairo size 960,600 font 'Sans,11'", "png");
    heatmap_script(gp.f, h, folder, "svg size 960,600 font 'Sans,11' background rgb 'white'", "svg");
    if (ws_atomic_commit(ctx, &gp)) return WS_ERR_IO;
    ws_status st = ws_gnuplot_run(ctx, path);
    if (!st) *nfigs += 2;
    return st;
}
