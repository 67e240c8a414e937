#include "exp/sweep.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int dominated(double acc, double secs, double acc2, double secs2) {
    return acc2 >= acc && secs2 <= secs && (acc2 > acc || secs2 < secs);
}

void ws_pareto(const double *acc, const double *seconds, int n, uint8_t *pareto) {
    for (int i = 0; i < n; i++) {
        pareto[i] = 1;
        for (int j = 0; j < n && pareto[i]; j++)
            if (j != i && dominated(acc[i], seconds[i], acc[j], seconds[j])) pareto[i] = 0;
    }
}

void ws_sweep_mark_front(ws_sweep_entry *e, int n) {
    for (int i = 0; i < n; i++) {
        e[i].pareto = 1;
        for (int j = 0; j < n && e[i].pareto; j++)
            if (j != i && dominated(e[i].acc.mean, e[i].seconds.mean, e[j].acc.mean, e[j].seconds.mean)) e[i].pareto = 0;
    }
}

int ws_sweep_entries(const ws_table *t, const ws_point *p, ws_sweep_entry *out, int cap) {
    ws_sweep_point *pt = ws_sys_malloc(sizeof *pt);
    if (!pt) return -1;
    ws_sweep_cells(t, p, pt);
    int n = 0;
    for (int c = 0; c < pt->ncells && n < cap; c++, n++) {
        ws_sweep_entry *x = &out[n];
        memset(x, 0, sizeof *x);
        x->point = p->index;
        snprintf(x->params, sizeof x->params, "%s", p->params);
        x->cell = pt->cells[c];
        x->acc = ws_summarize(x->cell.acc, x->cell.n);
        x->seconds = ws_summarize(x->cell.seconds, x->cell.n);
        x->epochs = ws_summarize(x->cell.epochs, x->cell.n);
    }
    free(pt);
    return n;
}

ws_sweep_entry *ws_sweep_table(const ws_table *t, int *n) {
    *n = 0;
    ws_sweep_entry *all = NULL;
    for (int k = 0; k < t->npoints; k++) {
        ws_sweep_entry *v = ws_sys_realloc(all, sizeof *v * (size_t)(*n + WS_MAX_LEARNERS));
        if (!v) return free(all), *n = 0, NULL;
        all = v;
        const int m = ws_sweep_entries(t, &t->points[k], all + *n, WS_MAX_LEARNERS);
        if (m < 0) return free(all), *n = 0, NULL;
        *n += m;
    }
    ws_sweep_mark_front(all, *n);
    return all;
}

int ws_sweep_converged(const ws_sweep_cell *c) {
    int k = 0;
    for (int i = 0; i < c->n; i++) k += c->converged_seed[i];
    return k;
}

void ws_sweep_cells(const ws_table *t, const ws_point *p, ws_sweep_point *out) {
    memset(out, 0, sizeof *out);
    for (int l = 0; l < t->nlearners && out->ncells < WS_MAX_LEARNERS; l++) {
        int64_t seeds[WS_SWEEP_MAX_SEEDS];
        const int n = ws_point_seeds(p, l, seeds, WS_SWEEP_MAX_SEEDS), stages = ws_point_stages(p, l);
        if (l == t->base || !n) continue;
        ws_sweep_cell *c = &out->cells[out->ncells++];
        snprintf(c->learner, sizeof c->learner, "%s", t->learners[l]);
        for (int i = 0; i < n; i++) {
            c->converged_seed[c->n] = 1;
            double acc = NAN;
            for (int k = 0; k < stages; k++) {
                const ws_run *r = ws_point_run(p, l, seeds[i], k);
                if (!r) continue;
                acc = r->m[WS_M_TEST_ACC]; // the last stage's: the final round, the largest share
                c->seconds[c->n] += r->m[WS_M_SECONDS], c->epochs[c->n] += r->m[WS_M_EPOCHS];
                c->converged_seed[c->n] &= r->stop != WS_STOP_CAP;
            }
            c->acc[c->n++] = acc;
        }
    }
}

ws_sweep_match ws_sweep_match_random(const double *random_acc, int nrandom, const double *warm_acc,
                                     const double *warm_seconds, int nwarm, double margin) {
    ws_sweep_match m = {-1, -1, 0};
    for (int k = 0; k < nrandom; k++)
        if (m.best_random < 0 || random_acc[k] > random_acc[m.best_random]) m.best_random = k;
    if (m.best_random < 0) return m;
    for (int k = 0; k < nwarm; k++)
        if (warm_acc[k] >= random_acc[m.best_random] - margin) {
            m.nmatched++;
            if (m.fastest_match < 0 || warm_seconds[k] < warm_seconds[m.fastest_match]) m.fastest_match = k;
        }
    return m;
}
