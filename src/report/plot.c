// Figures from result files, in the style of the paper: one line per learner
// with its 95 % confidence band over seeds. The numbers are summarised here
// (mean, Student-t interval), written to a gnuplot data file, and gnuplot
// (Debian's gnuplot-nox) renders each figure as PNG (pngcairo) and SVG.
#define _POSIX_C_SOURCE 200809L
#include "report/plot.h"

#include <cjson/cJSON.h>
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

#include "core/file.h"
#include "exp/stats.h"

#define MAX_SEEDS 64
#define MAX_POINTS 512
#define MAX_SERIES 16   // learners per figure
#define NQUANT 5        // accuracy, seconds, cumulative seconds, weights vs init, gradient norm ratio

static const char *const COLORS[MAX_SERIES] = {"#d62728", "#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b",
                                               "#e377c2", "#7f7f7f", "#bcbd22", "#17becf", "#393b79", "#637939",
                                               "#8c6d31", "#843c39", "#7b4173", "#3182bd"};

// One line with its band: per point x and the values over seeds.
typedef struct {
    char name[48];
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

static void add_value(series *s, int k, double x, double v) {
    if (k >= MAX_POINTS) return;
    if (k >= s->npoints) s->npoints = k + 1;
    s->x[k] = x;
    if (s->nv[k] < MAX_SEEDS) s->v[k][s->nv[k]++] = v;
}

// Data blocks (gnuplot "index" i = series i): x mean lo hi.
static ws_status write_data(ws_ctx *ctx, const char *path, const figure *f) {
    FILE *out = fopen(path, "w");
    if (!out) return ws_fail(ctx, WS_ERR_IO, "%s: %s", path, strerror(errno));
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
    return fclose(out) ? ws_fail(ctx, WS_ERR_IO, "%s: write failed", path) : WS_OK;
}

static void gp_escape(char *dst, size_t cap, const char *src) {
    size_t k = 0;
    for (; *src && k + 2 < cap; src++) {
        if (*src == '\'' ) dst[k++] = '\'';
        dst[k++] = *src;
    }
    dst[k] = 0;
}

static void script_for(FILE *gp, const figure *f, const char *folder, const char *term, const char *ext) {
    char t[600], dir[2400];
    gp_escape(t, sizeof t, f->title);
    gp_escape(dir, sizeof dir, folder); // a quote in the folder's name stays inside gnuplot's strings
    fprintf(gp, "set terminal %s\nset output '%s/%s.%s'\n", term, dir, f->file, ext);
    fprintf(gp, "set title '%s' noenhanced\nset xlabel '%s' noenhanced\nset ylabel '%s' noenhanced\n", t, f->xlabel,
            f->ylabel);
    fprintf(gp, "set grid\nset key outside right top noenhanced\n%s\n", f->logx ? "set logscale x" : "unset logscale x");
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
static ws_status run_gnuplot(ws_ctx *ctx, const char *script) {
    int fd[2];
    if (pipe(fd) != 0) return ws_fail(ctx, WS_ERR_IO, "cannot run gnuplot: %s", strerror(errno));
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
        return ws_fail(ctx, WS_ERR_IO, "cannot run gnuplot: %s", strerror(err));
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

static ws_status render(ws_ctx *ctx, const figure *f, const char *dir, int *nfigs) {
    char path[1200];
    snprintf(path, sizeof path, "%s/%s.dat", dir, f->file);
    ws_status st = write_data(ctx, path, f);
    if (st) return st;
    snprintf(path, sizeof path, "%s/%s.gp", dir, f->file);
    FILE *gp = fopen(path, "w");
    if (!gp) return ws_fail(ctx, WS_ERR_IO, "%s: %s", path, strerror(errno));
    script_for(gp, f, dir, "pngcairo size 960,600 font 'Sans,11'", "png");
    script_for(gp, f, dir, "svg size 960,600 font 'Sans,11' background rgb 'white'", "svg");
    fclose(gp);
    ws_status run = run_gnuplot(ctx, path);
    if (run) return run;
    *nfigs += 2;
    return WS_OK;
}

static double num(const cJSON *o, const char *key) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static const cJSON *path_get(const cJSON *o, const char *a, const char *b) {
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, a);
    return b ? cJSON_GetObjectItemCaseSensitive(x, b) : x;
}

ws_status ws_plot_results(ws_ctx *ctx, const char *input, const char *outdir, int *nfigs) {
    *nfigs = 0;
    char file[1200];
    struct stat sb;
    if (stat(input, &sb) != 0) return ws_fail(ctx, WS_ERR_IO, "%s: %s", input, strerror(errno));
    if (S_ISDIR(sb.st_mode)) {
        static const char *const names[4] = {"online.jsonl", "transfer.jsonl", "sweep.jsonl", "batch.jsonl"};
        int found = 0;
        for (int i = 0; i < 4 && !found; i++) {
            snprintf(file, sizeof file, "%s/%s", input, names[i]);
            found = stat(file, &sb) == 0;
        }
        if (!found) return ws_fail(ctx, WS_ERR_IO, "%s: no online.jsonl, transfer.jsonl or sweep.jsonl in this folder", input);
    } else {
        snprintf(file, sizeof file, "%s", input);
    }
    uint8_t *buf;
    size_t len;
    ws_status st = ws_file_read(ctx, file, "results file (JSONL)", &buf, &len);
    if (st) return st;
    series *all = calloc(MAX_SERIES * NQUANT, sizeof *all);
    if (!all) {
        ws_free(buf);
        return ws_fail(ctx, WS_ERR_NOMEM, "out of memory for the figures");
    }
    char exp[32] = "", title[200] = "";
    int nseeds = 0, nlearn = 0;
    char learners[MAX_SERIES][48];
    // Series q * MAX_SERIES + l: quantity q of learner l.
#define SERIES(q, l) (&all[(q) * MAX_SERIES + (l)])
    for (size_t i = 0, line = 1; i < len && !st; line++) {
        size_t j = i;
        while (j < len && buf[j] != '\n') j++;
        if (j > i) {
            cJSON *rec = cJSON_ParseWithLength((const char *)buf + i, j - i);
            if (!rec) {
                st = ws_fail(ctx, WS_ERR_FORMAT, "%s: line %zu is not JSON", file, line);
                break;
            }
            const cJSON *e = path_get(rec, "config", "experiment");
            if (!cJSON_IsString(e)) {
                cJSON_Delete(rec);
                st = ws_fail(ctx, WS_ERR_FORMAT, "%s: line %zu has no config.experiment (not a warmstart result)", file, line);
                break;
            }
            snprintf(exp, sizeof exp, "%s", e->valuestring);
            const cJSON *dn = path_get(path_get(rec, "config", "data"), "name", NULL), *ar = path_get(path_get(rec, "config", "model"), "arch", NULL);
            snprintf(title, sizeof title, "%s, %s", cJSON_IsString(dn) ? dn->valuestring : "?", cJSON_IsString(ar) ? ar->valuestring : "?");
            if (!strcmp(exp, "online") || !strcmp(exp, "active")) {
                const cJSON *ls = cJSON_GetObjectItemCaseSensitive(rec, "learners");
                int l = 0;
                for (const cJSON *lr = ls ? ls->child : NULL; lr && l < MAX_SERIES; lr = lr->next, l++) {
                    snprintf(learners[l], sizeof learners[l], "%s", lr->string);
                    int k = 0;
                    for (const cJSON *r = lr->child; r; r = r->next, k++) {
                        double x = num(r, "examples_seen");
                        add_value(SERIES(0, l), k, x, 100 * num(r, "test_acc"));
                        add_value(SERIES(1, l), k, x, num(r, "seconds"));
                        add_value(SERIES(2, l), k, x, num(r, "cumulative_seconds"));
                        add_value(SERIES(3, l), k, x, num(path_get(r, "weights_vs_init", NULL), "pearson"));
                        double go = num(r, "grad_norm_old"), gn = num(r, "grad_norm_new");
                        if (go > 0) add_value(SERIES(4, l), k, x, gn / go);
                    }
                }
                nlearn = l;
            } else if (!strcmp(exp, "transfer")) {
                int k = 0;
                for (const cJSON *p = path_get(rec, "points", NULL) ? path_get(rec, "points", NULL)->child : NULL; p;
                     p = p->next, k++) {
                    double x = 100 * num(p, "fraction");
                    int l = 0;
                    for (const cJSON *r = p->child; r && l < MAX_SERIES; r = r->next) {
                        if (!cJSON_IsObject(r) || !cJSON_GetObjectItemCaseSensitive(r, "test_acc")) continue;
                        snprintf(learners[l], sizeof learners[l], "%s", r->string);
                        add_value(SERIES(0, l), k, x, 100 * num(r, "test_acc"));
                        add_value(SERIES(1, l), k, x, num(r, "seconds"));
                        l++;
                    }
                    nlearn = l;
                }
            } else if (!strcmp(exp, "sweep")) {
                // One point per (grid point, learner): accuracy against seconds; the
                // Pareto front, sorted by seconds, as the last series.
                const cJSON *ln = path_get(rec, "learner", NULL);
                double x = num(path_get(rec, "seconds", NULL), "mean"), y = 100 * num(path_get(rec, "test_acc", NULL), "mean");
                int l = 0;
                while (l < nlearn && cJSON_IsString(ln) && strcmp(learners[l], ln->valuestring)) l++;
                if (l == nlearn && l < MAX_SERIES - 1 && cJSON_IsString(ln))
                    snprintf(learners[nlearn++], sizeof learners[0], "%s", ln->valuestring);
                if (l < nlearn) add_value(SERIES(0, l), SERIES(0, l)->npoints, x, y);
                if (cJSON_IsTrue(path_get(rec, "pareto", NULL))) {
                    series *front = SERIES(1, 0);
                    int k = front->npoints;
                    while (k > 0 && front->x[k - 1] > x && k < MAX_POINTS) { // insertion by seconds
                        front->x[k] = front->x[k - 1], front->v[k][0] = front->v[k - 1][0], front->nv[k] = 1;
                        k--;
                    }
                    if (front->npoints < MAX_POINTS) {
                        front->x[k] = x, front->v[k][0] = y, front->nv[k] = 1;
                        front->npoints++;
                    }
                }
            } else {
                cJSON_Delete(rec);
                st = ws_fail(ctx, WS_ERR_ARG, "%s: experiment '%s' has no figures yet (online, active, transfer, sweep do)",
                             file, exp);
                break;
            }
            nseeds++;
            cJSON_Delete(rec);
        }
        i = j + 1;
    }
    ws_free(buf);
    if (!st && nseeds == 0) st = ws_fail(ctx, WS_ERR_FORMAT, "%s: no results in the file", file);
    if (!st && mkdir(outdir, 0777) != 0 && errno != EEXIST)
        st = ws_fail(ctx, WS_ERR_IO, "%s: cannot create directory: %s", outdir, strerror(errno));
    if (!st && !strcmp(exp, "sweep")) {
        figure f;
        memset(&f, 0, sizeof f);
        snprintf(f.file, sizeof f.file, "sweep");
        snprintf(f.title, sizeof f.title, "Sweep: test accuracy against training time (%s; means over seeds)", title);
        snprintf(f.xlabel, sizeof f.xlabel, "training seconds to converge");
        snprintf(f.ylabel, sizeof f.ylabel, "test accuracy (%%)");
        f.scatter = 1;
        for (int l = 0; l < nlearn; l++) {
            snprintf(SERIES(0, l)->name, sizeof all[0].name, "%s", learners[l]);
            f.s[f.nseries++] = SERIES(0, l);
        }
        snprintf(SERIES(1, 0)->name, sizeof all[0].name, "Pareto front");
        f.s[f.nseries++] = SERIES(1, 0);
        st = render(ctx, &f, outdir, nfigs);
    } else if (!st) {
        for (int l = 0; l < nlearn; l++)
            for (int q = 0; q < NQUANT; q++) snprintf(SERIES(q, l)->name, sizeof all[0].name, "%s", learners[l]);
        const int transfer = !strcmp(exp, "transfer");
        const char *what = transfer ? "Transfer" : !strcmp(exp, "active") ? "Active online learning" : "Online learning";
        const char *xl = transfer ? "share of the target training set (%)" : "examples seen";
        char band[64];
        snprintf(band, sizeof band, "%d seed%s%s", nseeds, nseeds == 1 ? "" : "s", nseeds > 1 ? ", 95% CI" : "");
        figure f;
        const char *files[NQUANT] = {"accuracy", "seconds", "cumulative_seconds", "weights", "gradnorm"};
        const char *ylab[NQUANT] = {"test accuracy (%)", "time to converge (s)", "training time so far (s)",
                                    "Pearson correlation of weights with init", "gradient norm, new / old examples"};
        const char *what4[NQUANT] = {"test accuracy", "time to converge", "cumulative training time",
                                     "weights vs initialisation",
                                     "gradient norm on new over old examples, at the round's start"};
        for (int q = 0; q < (transfer ? 2 : NQUANT) && !st; q++) {
            memset(&f, 0, sizeof f);
            snprintf(f.file, sizeof f.file, "%s", files[q]);
            snprintf(f.title, sizeof f.title, "%s: %s (%s; %s)", what, what4[q], title, band);
            snprintf(f.xlabel, sizeof f.xlabel, "%s", xl);
            snprintf(f.ylabel, sizeof f.ylabel, "%s", ylab[q]);
            f.logx = transfer;
            for (int l = 0; l < nlearn; l++)
                if (SERIES(q, l)->npoints) f.s[f.nseries++] = SERIES(q, l);
            if (f.nseries) st = render(ctx, &f, outdir, nfigs);
        }
    }
#undef SERIES
    free(all);
    return st;
}
