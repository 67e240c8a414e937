// The text tables (tables.h).
#include "report/tables.h"

#include <stdlib.h>
#include <string.h>

void ws_table_summary(char *buf, size_t cap, const double *x, int n, double scale, int decimals) {
    double tmp[256] = {0};
    for (int i = 0; i < n && i < 256; i++) tmp[i] = x[i] * scale;
    ws_summary s = ws_summarize(tmp, n < 256 ? n : 256);
    if (n < 2) snprintf(buf, cap, "%.*f", decimals, s.mean);
    else snprintf(buf, cap, "%.*f ± %.*f", decimals, s.mean, decimals, s.ci95);
}

// UTF-8 continuation bytes take no column (the "±" of the intervals).
void ws_table_cell(FILE *f, const char *s, int width) {
    int cols = 0;
    for (const char *p = s; *p; p++) cols += ((unsigned char)*p & 0xC0) != 0x80;
    fprintf(f, "%s%*s", s, width > cols ? width - cols : 0, "");
}

// One learner's numbers over seeds, for the summary rows.
typedef struct {
    const char *name;
    double acc[256], seconds[256], epochs[256];
    int converged;
} learner_col;

// Rows: learner, test acc, epochs, seconds, converged and, when a learner named "random" is
// among them, each other learner's gap to it (paired by seed) from row first_gap on.
static void print_learner_rows(FILE *f, const learner_col *cols, int nl, int n, int first_gap) {
    int random = -1, width = 10;
    for (int l = 0; l < nl; l++) {
        if (!strcmp(cols[l].name, "random")) random = l;
        if ((int)strlen(cols[l].name) + 2 > width) width = (int)strlen(cols[l].name) + 2;
    }
    ws_table_cell(f, "learner", width);
    fprintf(f, "%-18s%-16s%-18s%-11s%s\n", "test acc %", "epochs", "seconds", "converged",
            random >= 0 ? "gap vs random (points)" : "");
    for (int l = 0; l < nl; l++) {
        char a[64], c[64], d[64], conv[32];
        ws_table_summary(a, sizeof a, cols[l].acc, n, 100, 2);
        ws_table_summary(c, sizeof c, cols[l].epochs, n, 1, 1);
        ws_table_summary(d, sizeof d, cols[l].seconds, n, 1, 2);
        snprintf(conv, sizeof conv, "%d/%d", cols[l].converged, n);
        ws_table_cell(f, cols[l].name, width);
        ws_table_cell(f, a, 18), ws_table_cell(f, c, 16), ws_table_cell(f, d, 18), ws_table_cell(f, conv, 11);
        if (random >= 0 && l != random && l >= first_gap) {
            double gap[256];
            for (int i = 0; i < n; i++) gap[i] = cols[l].acc[i] - cols[random].acc[i];
            char g[64];
            ws_table_summary(g, sizeof g, gap, n, 100, 2);
            ws_summary sm;
            ws_verdict v = ws_verdict_paired(gap, n, 0, &sm);
            fprintf(f, "%s%s", g, v == WS_VERDICT_OPPOSITE ? "  (worse; the interval excludes 0)"
                                  : v == WS_VERDICT_HOLDS  ? "  (better; the interval excludes 0)"
                                                           : "");
        }
        fprintf(f, "\n");
    }
}

static void run_col(learner_col *c, int i, const ws_run_result *r) {
    c->acc[i] = r->test_acc;
    c->seconds[i] = r->train.seconds;
    c->epochs[i] = r->train.nepochs;
    c->converged += r->train.converged;
}

static void batch_table(FILE *f, const ws_scenario_results *x, learner_col *cols) {
    const ws_batch_config *cfg = &x->e->batch;
    const ws_batch_seed_result *r = x->batch;
    const int n = x->n;
    fprintf(f, "\nTwo-phase batch experiment: %s, %s, %s lr %g → %g, batch %d → %d, threshold %.3g, %d seed%s\n",
            x->data->name, x->arch, ws_opt_kind_name(cfg->base.opt.kind), cfg->base.opt.lr, cfg->opt2.lr, cfg->base.batch,
            cfg->batch2, cfg->base.threshold, n, n == 1 ? "" : "s");
    fprintf(f, "pool %lld examples (phase 1: %lld%s), evaluated on %lld (%s)%s\n\n", (long long)r[0].n_pool,
            (long long)r[0].n_first, cfg->phase1_epochs ? ", capped epochs" : "", (long long)r[0].n_eval,
            cfg->base.protocol == WS_PROTOCOL_PAPER ? "random 1/3 of the official training set" : "official test set",
            n > 1 ? "; mean ± 95% CI (Student t) over seeds" : "");
    cols[0].name = "phase 1";
    for (int l = 0; l < cfg->base.nlearners; l++) cols[l + 1].name = cfg->base.learners[l].name;
    int capped = 0;
    for (int i = 0; i < n; i++) {
        run_col(&cols[0], i, &r[i].phase1);
        for (int l = 0; l < r[i].nruns; l++) run_col(&cols[l + 1], i, &r[i].runs[l]);
    }
    for (int l = 0; l <= cfg->base.nlearners; l++) capped += n - cols[l].converged;
    print_learner_rows(f, cols, cfg->base.nlearners + 1, n, 1);
    if (capped && !cfg->phase1_epochs)
        fprintf(f, "\nnote: %d run%s stopped at --max-epochs %d before reaching the threshold; their comparison is not "
                   "the paper's (raise --max-epochs)\n",
                capped, capped == 1 ? "" : "s", ws_setup_max_epochs(&cfg->base));
}

static void online_table(FILE *f, const ws_scenario_results *x, learner_col *cols) {
    const ws_online_config *cfg = &x->e->online;
    const ws_online_seed_result *r = x->online;
    const int n = x->n;
    fprintf(f, "\n%s online learning: %s, %s, %s lr %g, batch %d, threshold %.3g, %lld first + %lld per round, %d seed%s\n",
            cfg->query == WS_QUERY_PASSIVE ? "Passive" : cfg->query == WS_QUERY_MARGIN ? "Active (margin sampling)"
                                                                                        : "Active (random queries)",
            x->data->name, x->arch, ws_opt_kind_name(cfg->base.opt.kind), cfg->base.opt.lr, cfg->base.batch,
            cfg->base.threshold, (long long)cfg->k0, (long long)cfg->k, n, n == 1 ? "" : "s");
    fprintf(f, "evaluated on %lld examples%s\n\n", (long long)r[0].n_eval, n > 1 ? "; mean ± 95% CI over seeds" : "");
    const int nl = r[0].nlearners, nr = r[0].nrounds;
    // Test accuracy per round (rows) and learner (columns).
    int width[WS_MAX_LEARNERS];
    fprintf(f, "%-7s%-10s", "round", "examples");
    for (int l = 0; l < nl; l++) {
        width[l] = (int)strlen(r[0].learner_names[l]) + 2 > 18 ? (int)strlen(r[0].learner_names[l]) + 2 : 18;
        ws_table_cell(f, r[0].learner_names[l], width[l]);
    }
    fprintf(f, "(test acc %%)\n");
    for (int k = 0; k < nr; k++) {
        fprintf(f, "%-7d%-10lld", k, (long long)r[0].rounds[k].n_seen);
        for (int l = 0; l < nl; l++) {
            double v[256];
            char cell[64];
            for (int i = 0; i < n; i++) v[i] = r[i].rounds[l * nr + k].test_acc;
            ws_table_summary(cell, sizeof cell, v, n, 100, 2);
            ws_table_cell(f, cell, width[l]);
        }
        fprintf(f, "\n");
    }
    // The last round, with each learner's training time over all rounds.
    fprintf(f, "\nafter the last round (%lld examples); epochs and seconds: summed over the rounds\n",
            (long long)r[0].rounds[nr - 1].n_seen);
    for (int l = 0; l < nl; l++) {
        cols[l].name = r[0].learner_names[l];
        for (int i = 0; i < n; i++) {
            const ws_online_round *y = &r[i].rounds[l * nr + nr - 1];
            run_col(&cols[l], i, &(ws_run_result){.train = y->train, .test_acc = y->test_acc});
            cols[l].seconds[i] = y->cum_seconds;
            cols[l].epochs[i] = 0;
            for (int k = 0; k < nr; k++) cols[l].epochs[i] += r[i].rounds[l * nr + k].train.nepochs;
        }
    }
    print_learner_rows(f, cols, nl, n, 0);
}

static void transfer_table(FILE *f, const ws_scenario_results *x, learner_col *cols) {
    const ws_transfer_config *cfg = &x->e->transfer;
    const ws_transfer_seed_result *res = x->transfer;
    const int done = x->n, nl = cfg->base.nlearners;
    fprintf(f, "\nTransfer: pretrained on %s (test acc", x->pretrain->name);
    for (int i = 0; i < done; i++) fprintf(f, " %.2f%%", 100 * res[i].pretrain.test_acc);
    fprintf(f, "), then %s; %d seed%s%s\n\n", x->data->name, done, done == 1 ? "" : "s", done > 1 ? "; mean ± 95% CI" : "");
    fprintf(f, "%-9s%-10s", "percent", "examples");
    int width[WS_MAX_LEARNERS];
    for (int l = 0; l < nl; l++) {
        const char *nm = cfg->base.learners[l].name;
        width[l] = (int)strlen(nm) + 2 > 18 ? (int)strlen(nm) + 2 : 18;
        ws_table_cell(f, nm, width[l]);
    }
    fprintf(f, "(test acc %%)\n");
    for (int k = 0; k < cfg->nfractions; k++) {
        fprintf(f, "%-9g%-10lld", 100 * cfg->fractions[k], (long long)res[0].points[k].n_train);
        for (int l = 0; l < nl; l++) {
            double v[256];
            char c[64];
            for (int i = 0; i < done; i++) v[i] = res[i].points[k].runs[l].test_acc;
            ws_table_summary(c, sizeof c, v, done, 100, 2);
            ws_table_cell(f, c, width[l]);
        }
        fprintf(f, "\n");
    }
    // The largest share in detail, gaps to random included.
    const int last = cfg->nfractions - 1;
    fprintf(f, "\nat %g %% of B:\n", 100 * cfg->fractions[last]);
    for (int l = 0; l < nl; l++) {
        cols[l].name = cfg->base.learners[l].name;
        for (int i = 0; i < done; i++) run_col(&cols[l], i, &res[i].points[last].runs[l]);
    }
    print_learner_rows(f, cols, nl, done, 0);
}

// One row per task (at most 20, evenly spaced, the last always): a measure per learner.
static void continual_rows(FILE *f, const ws_scenario_results *x, const char *what, int online) {
    const ws_continual_seed_result *r = x->continual;
    const int n = x->n, nl = r[0].nlearners, nt = r[0].ntasks, every = nt > 20 ? (nt + 19) / 20 : 1;
    int width[WS_MAX_LEARNERS];
    fprintf(f, "\n%-7s", "task");
    for (int l = 0; l < nl; l++) {
        width[l] = (int)strlen(r[0].learner_names[l]) + 2 > 18 ? (int)strlen(r[0].learner_names[l]) + 2 : 18;
        ws_table_cell(f, r[0].learner_names[l], width[l]);
    }
    fprintf(f, "(%s %%)\n", what);
    for (int k = 0; k < nt; k++) {
        if (k % every && k != nt - 1) continue;
        fprintf(f, "%-7d", k);
        for (int l = 0; l < nl; l++) {
            double v[256];
            char cell[64];
            for (int i = 0; i < n; i++) {
                const ws_continual_task *y = &r[i].tasks[l * nt + k];
                v[i] = online ? y->online_acc : y->test_acc;
            }
            ws_table_summary(cell, sizeof cell, v, n, 100, 2);
            ws_table_cell(f, cell, width[l]);
        }
        fprintf(f, "\n");
    }
}

static void continual_table(FILE *f, const ws_scenario_results *x, learner_col *cols) {
    const ws_continual_config *cfg = &x->e->continual;
    const ws_continual_seed_result *r = x->continual;
    const int n = x->n, nl = r[0].nlearners, nt = r[0].ntasks;
    fprintf(f, "\nTask sequence: %s, %d tasks of %lld %s (batch %d), %s, %s, %s lr %g, %d seed%s\n",
            ws_task_kind_name(cfg->tasks.kind), nt, (long long)(cfg->steps ? cfg->steps : cfg->task_epochs),
            cfg->steps ? "steps" : "epochs", cfg->base.batch, x->data->name, x->arch,
            ws_opt_kind_name(cfg->base.opt.kind), cfg->base.opt.lr, n, n == 1 ? "" : "s");
    fprintf(f, "online accuracy: each batch before its update, averaged over the task%s\n",
            n > 1 ? "; mean ± 95% CI over seeds" : "");
    continual_rows(f, x, "online acc", 1);
    continual_rows(f, x, "held-out acc at the task's end", 0);
    fprintf(f, "\nthe last task; seconds: summed over the tasks\n");
    for (int l = 0; l < nl; l++) {
        cols[l].name = r[0].learner_names[l];
        for (int i = 0; i < n; i++) {
            const ws_continual_task *y = &r[i].tasks[l * nt + nt - 1];
            run_col(&cols[l], i, &(ws_run_result){.train = y->train, .test_acc = y->test_acc});
            cols[l].seconds[i] = y->cum_seconds;
            cols[l].epochs[i] = 0;
            for (int k = 0; k < nt; k++) cols[l].epochs[i] += r[i].tasks[l * nt + k].train.nepochs;
        }
    }
    print_learner_rows(f, cols, nl, n, 0);
}

void ws_table_results(FILE *f, const ws_scenario_results *x) {
    const char *out = x->e->opt.out;
    if (!x->n) {
        fprintf(f, "no results: every seed has a diverged unit\n%s\n", x->excluded);
        return;
    }
    learner_col *cols = ws_sys_calloc(WS_MAX_LEARNERS + 1, sizeof *cols);
    if (!cols) {
        fprintf(f, "(out of memory: no table)\n");
        return;
    }
    if (x->batch) batch_table(f, x, cols);
    else if (x->online) online_table(f, x, cols);
    else if (x->continual) continual_table(f, x, cols);
    else transfer_table(f, x, cols);
    free(cols);
    if (x->excluded[0]) fprintf(f, "\nnote: %s\n", x->excluded);
    const char *file = x->batch ? "batch" : x->online ? "online" : x->continual ? "continual" : "transfer";
    const char *save = x->batch ? x->e->batch.base.save_dir : NULL;
    fprintf(f, "\nresults: %s/%s.jsonl, %s/%s.csv%s%s\n", out, file, out, file, save ? "; checkpoints in " : "",
            save ? save : "");
}

// The paper's finding: warm models that generalise as well as random ones take as long to train.
static void print_match(FILE *f, const ws_sweep_results *s) {
    const int n = s->nentries;
    double racc[WS_MAX_POINTS], wacc[WS_MAX_POINTS], wsec[WS_MAX_POINTS];
    int ri[WS_MAX_POINTS], wi[WS_MAX_POINTS], nr = 0, nw = 0;
    for (int i = 0; i < n && nr < WS_MAX_POINTS && nw < WS_MAX_POINTS; i++) {
        const ws_sweep_entry *x = &s->entries[i];
        if (!strcmp(x->cell.learner, "random")) racc[nr] = x->acc.mean, ri[nr++] = i;
        else if (!strcmp(x->cell.learner, "warm")) wacc[nw] = x->acc.mean, wsec[nw] = x->seconds.mean, wi[nw++] = i;
    }
    ws_sweep_match m = ws_sweep_match_random(racc, nr, wacc, wsec, nw, 0.01);
    if (m.best_random < 0) return;
    const ws_sweep_entry *best = &s->entries[ri[m.best_random]];
    fprintf(f, "\nbest random: %.2f%% in %.2fs (%s)\n", 100 * best->acc.mean, best->seconds.mean, best->params);
    if (nw && m.fastest_match >= 0) {
        const ws_sweep_entry *fast = &s->entries[wi[m.fastest_match]];
        fprintf(f, "warm within 1 point of it at %d of %d points; the fastest of those: %.2f%% in %.2fs (%s), %.2fx random's "
               "time\n",
               m.nmatched, nw, 100 * fast->acc.mean, fast->seconds.mean, fast->params, fast->seconds.mean / best->seconds.mean);
    } else if (nw) {
        fprintf(f, "warm is never within 1 point of it (%d points)\n", nw);
    }
}

void ws_table_sweep(FILE *f, const ws_sweep_results *s) {
    const ws_experiment *e = s->e;
    fprintf(f, "\nSweep over %s: %d points x learners; mean ± 95%% CI over seeds; * = on the Pareto front "
           "(no entry both more accurate and faster)\n\n",
           ws_command_name(e->scenario), s->npoints);
    if (s->missing_points)
        fprintf(f, "note: %d point%s left out: every seed had a diverged unit (see points/NNN/table.txt)\n\n", s->missing_points,
               s->missing_points == 1 ? "" : "s");
    int pw = 8, lw = 9;
    for (int i = 0; i < s->nentries; i++) {
        if ((int)strlen(s->entries[i].params) + 2 > pw) pw = (int)strlen(s->entries[i].params) + 2;
        if ((int)strlen(s->entries[i].cell.learner) + 2 > lw) lw = (int)strlen(s->entries[i].cell.learner) + 2;
    }
    ws_table_cell(f, "params", pw), ws_table_cell(f, "learner", lw);
    fprintf(f, "%-18s%-18s%-10s%-11s%s\n", "test acc %", "seconds", "epochs", "converged", "pareto");
    for (int i = 0; i < s->nentries; i++) {
        const ws_sweep_entry *x = &s->entries[i];
        char a[64], sec[64], ep[32];
        ws_table_summary(a, sizeof a, x->cell.acc, x->cell.n, 100, 2);
        ws_table_summary(sec, sizeof sec, x->cell.seconds, x->cell.n, 1, 2);
        snprintf(ep, sizeof ep, "%.1f", x->epochs.mean);
        ws_table_cell(f, x->params, pw), ws_table_cell(f, x->cell.learner, lw), ws_table_cell(f, a, 18);
        ws_table_cell(f, sec, 18), ws_table_cell(f, ep, 10);
        snprintf(ep, sizeof ep, "%d/%d", ws_sweep_converged(&x->cell), x->cell.n);
        ws_table_cell(f, ep, 11);
        fprintf(f, "%s\n", x->pareto ? "*" : "");
    }
    print_match(f, s);
}
