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
#include "report/figure.h"

#define NQUANT 5        // accuracy, seconds, cumulative seconds, weights vs init, gradient norm ratio

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
    const int is_dir = S_ISDIR(sb.st_mode);
    if (is_dir) {
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
                        ws_fig_add(SERIES(0, l), k, x, 100 * num(r, "test_acc"));
                        ws_fig_add(SERIES(1, l), k, x, num(r, "seconds"));
                        ws_fig_add(SERIES(2, l), k, x, num(r, "cumulative_seconds"));
                        ws_fig_add(SERIES(3, l), k, x, num(path_get(r, "weights_vs_init", NULL), "pearson"));
                        double go = num(r, "grad_norm_old"), gn = num(r, "grad_norm_new");
                        if (go > 0) ws_fig_add(SERIES(4, l), k, x, gn / go);
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
                        ws_fig_add(SERIES(0, l), k, x, 100 * num(r, "test_acc"));
                        ws_fig_add(SERIES(1, l), k, x, num(r, "seconds"));
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
                if (l < nlearn) ws_fig_add(SERIES(0, l), SERIES(0, l)->npoints, x, y);
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
            } else if (!strcmp(exp, "batch")) {
                cJSON_Delete(rec); // its own reader (plot_batch.c)
                nseeds++;
                break;
            } else {
                cJSON_Delete(rec);
                st = ws_fail(ctx, WS_ERR_ARG, "%s: experiment '%s' has no figures", file, exp);
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
    if (!st && !strcmp(exp, "batch")) {
        free(all);
        if ((st = ws_plot_batch(ctx, file, outdir, nfigs))) return st;
        if (!*nfigs)
            return ws_fail(ctx, WS_ERR_ARG, "%s: nothing to draw: a two-phase run draws its per-epoch curves with "
                           "--eval-every, gradient norms with --grad-every, shrunk accuracy with --shrink-eval", file);
        return WS_OK;
    }
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
        st = ws_fig_render(ctx, &f, outdir, nfigs);
        if (!st && is_dir) st = ws_plot_phase1_sweep(ctx, input, outdir, nfigs); // Figure 4, for that sweep
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
            if (f.nseries) st = ws_fig_render(ctx, &f, outdir, nfigs);
        }
        if (!st && !transfer) st = ws_plot_shrink_grid(ctx, file, outdir, nfigs); // Figure 8, where the learners make a grid
    }
#undef SERIES
    free(all);
    return st;
}
