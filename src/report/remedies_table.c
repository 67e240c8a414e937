// The remedies' table (report/remedies_table.h).
#include "report/remedies_table.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/figure.h"
#include "report/plot.h"

#define MAX_SEEDS_HERE 256

// One seed's numbers of a learner: its accuracy (%), steps and the inside measures at the end;
// 0 when the seed has no complete set of stages.
typedef struct {
    double acc, steps, dormant, srank;
} seed_numbers;

// The first stage whose accuracy counts: online, the round after the first (the first is every
// learner's same start); a task sequence, the last quarter of the tasks (at least one), where
// a loss of plasticity shows -- an average over every task would mostly measure the first ones.
static int first_counted(int stages, int continual) {
    if (!continual) return 1;
    const int last = (stages + 3) / 4;
    return stages - last;
}

static int seed_of(const ws_point *p, int l, int64_t seed, int continual, seed_numbers *out) {
    const int stages = ws_point_stages(p, l), from = first_counted(stages, continual);
    double acc = 0, steps = 0;
    int nacc = 0;
    const ws_run *last = NULL;
    for (int s = 0; s < stages; s++) {
        const ws_run *r = ws_point_run(p, l, seed, s);
        if (!r) return 0;
        last = r;
        if (isfinite(r->m[WS_M_STEPS])) steps += r->m[WS_M_STEPS];
        const double a = s < from ? NAN : continual ? r->m[WS_M_ONLINE_ACC] : r->m[WS_M_TEST_ACC];
        if (isfinite(a)) acc += 100 * a, nacc++;
    }
    if (!last || !nacc) return 0;
    *out = (seed_numbers){acc / nacc, steps, 100 * last->m[WS_M_DORMANT_01], last->m[WS_M_SRANK]};
    return 1;
}

// Mean over the seeds where v is finite.
static ws_summary summary_finite(const double *v, int n) {
    double x[MAX_SEEDS_HERE];
    int k = 0;
    for (int i = 0; i < n; i++)
        if (isfinite(v[i])) x[k++] = v[i];
    return ws_summarize(x, k);
}

// Learner l's row; warm's and random's per-seed accuracies (by seed id) pair the gap.
static void fill_row(const ws_point *p, const ws_table *t, int l, int warm, int random, int continual,
                     ws_remedy_row *row) {
    int64_t seeds[MAX_SEEDS_HERE];
    const int ns = ws_point_seeds(p, l, seeds, MAX_SEEDS_HERE);
    double acc[MAX_SEEDS_HERE], steps[MAX_SEEDS_HERE], dormant[MAX_SEEDS_HERE], srank[MAX_SEEDS_HERE];
    double num[MAX_SEEDS_HERE], den[MAX_SEEDS_HERE];
    int n = 0, paired = 0;
    for (int i = 0; i < ns; i++) {
        seed_numbers x, w, r;
        if (!seed_of(p, l, seeds[i], continual, &x)) continue;
        acc[n] = x.acc, steps[n] = x.steps, dormant[n] = x.dormant, srank[n] = x.srank, n++;
        if (seed_of(p, warm, seeds[i], continual, &w) && seed_of(p, random, seeds[i], continual, &r)) {
            num[paired] = x.acc - w.acc;
            den[paired] = r.acc - w.acc;
            paired++;
        }
    }
    *row = (ws_remedy_row){.name = t->learners[l], .acc = ws_summarize(acc, n), .steps = ws_summarize(steps, n),
                           .gap = ws_ratio_fieller(num, den, paired), .dormant = summary_finite(dormant, n),
                           .srank = summary_finite(srank, n)};
}

int ws_remedy_rows(const ws_table *t, ws_remedy_row *rows, int cap) {
    const int continual = !strcmp(t->scenario, "continual");
    if (t->sweep || !t->npoints || (!continual && strcmp(t->scenario, "online"))) return 0;
    const int warm = ws_table_learner(t, "warm"), random = ws_table_learner(t, "random");
    if (warm < 0 || random < 0) return 0;
    int n = 0;
    for (int l = 0; l < t->nlearners && n < cap; l++) fill_row(&t->points[0], t, l, warm, random, continual, &rows[n++]);
    for (int i = 0; i < n; i++) {
        rows[i].pareto = isfinite(rows[i].acc.mean) && isfinite(rows[i].steps.mean);
        for (int j = 0; j < n && rows[i].pareto; j++)
            rows[i].pareto = !(j != i && rows[j].acc.mean > rows[i].acc.mean && rows[j].steps.mean <= rows[i].steps.mean);
    }
    return n;
}

static void add_summary(ws_page_row *r, ws_summary s, int decimals) {
    if (!isfinite(s.mean)) ws_row_add(r, "–");
    else if (s.n >= 2 && isfinite(s.ci95)) ws_row_add(r, "%.*f ± %.*f", decimals, s.mean, decimals, s.ci95);
    else ws_row_add(r, "%.*f", decimals, s.mean);
}

static void add_gap(ws_page_row *r, const ws_remedy_row *x) {
    if (!isfinite(x->gap.ratio)) ws_row_add(r, "–");
    // + 0.0: a ratio of -0 (a learner equal to warm) prints as 0
    else if (x->gap.bounded)
        ws_row_add(r, "%.0f %% [%.0f, %.0f]", 100 * x->gap.ratio + 0.0, 100 * x->gap.lo + 0.0, 100 * x->gap.hi + 0.0);
    else ws_row_add(r, "%.0f %% [unbounded]", 100 * x->gap.ratio + 0.0);
}

void ws_remedies_section(ws_page *p, const ws_table *t) {
    ws_remedy_row rows[WS_TABLE_MAX_LEARNERS];
    const int n = ws_remedy_rows(t, rows, WS_TABLE_MAX_LEARNERS);
    if (!n) return;
    const int continual = !strcmp(t->scenario, "continual");
    ws_page_text(p, continual ? "The remedies: average online accuracy (%) over the last quarter of the tasks, gradient "
                                "steps over all of them, the share "
                                "of warm's gap to random closed (Fieller's 95 % interval, paired by seed; unbounded "
                                "where the gap itself is not established), and inside the network after the last "
                                "task; * on the Pareto front of accuracy against steps:"
                              : "The remedies: test accuracy (%) over the rounds after the first, gradient steps, the "
                                "share of warm's gap to random closed (Fieller's 95 % interval, paired by seed; "
                                "unbounded where the gap itself is not established), and inside the network after "
                                "the last round; * on the Pareto front of accuracy against steps:");
    ws_page_row h = {0};
    ws_row_add(&h, "learner");
    ws_row_add(&h, "accuracy %%");
    ws_row_add(&h, "gradient steps");
    ws_row_add(&h, "warm's gap closed");
    ws_row_add(&h, "0.1-dormant %%");
    ws_row_add(&h, "feature srank");
    ws_page_table(p, &h);
    for (int i = 0; i < n; i++) {
        ws_page_row r = {0};
        ws_row_add(&r, "%s%s", rows[i].name, rows[i].pareto ? " *" : "");
        add_summary(&r, rows[i].acc, 2);
        add_summary(&r, rows[i].steps, 0);
        add_gap(&r, &rows[i]);
        add_summary(&r, rows[i].dormant, 1);
        add_summary(&r, rows[i].srank, 1);
        ws_page_row_write(p, &r);
    }
    ws_page_table_end(p);
}

static int by_steps(const void *a, const void *b) {
    const ws_remedy_row *x = *(const ws_remedy_row *const *)a, *y = *(const ws_remedy_row *const *)b;
    return (x->steps.mean > y->steps.mean) - (x->steps.mean < y->steps.mean);
}

ws_status ws_plot_remedies(ws_ctx *ctx, const ws_table *t, const char *outdir, int *nfigs) {
    ws_remedy_row rows[WS_TABLE_MAX_LEARNERS];
    const int n = ws_remedy_rows(t, rows, WS_TABLE_MAX_LEARNERS);
    if (!n) return WS_OK;
    series *all = ws_sys_calloc(MAX_SERIES, sizeof *all);
    if (!all) return ws_fail(ctx, WS_ERR_NOMEM, "out of memory for the figures");
    figure f;
    memset(&f, 0, sizeof f);
    f.scatter = 1;
    snprintf(f.file, sizeof f.file, "remedies_pareto");
    char title[200];
    ws_plot_title(t->points[0].config, title, sizeof title);
    snprintf(f.title, sizeof f.title, "The remedies: accuracy against gradient steps (%s; %d seeds)", title,
             t->points[0].nrecords);
    snprintf(f.xlabel, sizeof f.xlabel, "gradient steps, summed over the %s", strcmp(t->scenario, "continual") ? "rounds" : "tasks");
    snprintf(f.ylabel, sizeof f.ylabel, "%s", strcmp(t->scenario, "continual") ? "test accuracy after the first round (%)"
                                                                                : "online accuracy, last quarter of the tasks (%)");
    const ws_remedy_row *front[WS_TABLE_MAX_LEARNERS];
    int nf = 0;
    for (int i = 0; i < n && f.nseries < MAX_SERIES - 1; i++) {
        if (!isfinite(rows[i].acc.mean) || !isfinite(rows[i].steps.mean)) continue;
        series *s = &all[f.nseries];
        snprintf(s->name, sizeof s->name, "%s", rows[i].name);
        ws_fig_add(s, 0, rows[i].steps.mean, rows[i].acc.mean);
        f.s[f.nseries++] = s;
        if (rows[i].pareto) front[nf++] = &rows[i];
    }
    qsort(front, (size_t)nf, sizeof *front, by_steps);
    series *line = &all[f.nseries];
    snprintf(line->name, sizeof line->name, "Pareto front");
    for (int i = 0; i < nf; i++) ws_fig_add(line, i, front[i]->steps.mean, front[i]->acc.mean);
    f.s[f.nseries++] = line;
    ws_status st = f.nseries > 1 ? ws_fig_render(ctx, &f, outdir, nfigs) : WS_OK;
    free(all);
    return st;
}
