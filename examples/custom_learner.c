// A new remedy in C, run side by side with the built-in learners: "reset-last"
// re-initialises the last k parameterised layers of its model at the start of every
// round (k = 1 is the built-in head-reset, which runs beside it to show that the two
// agree bit for bit). It gets what a built-in learner gets -- its units, records,
// checkpoints, resume, tables and report -- through the public header only.
//   build/example_custom_learner [OUT [K]]        (OUT: results/example-custom; K: 1)
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "warmstart.h"

// ---- the remedy ---------------------------------------------------------------------------

typedef struct {
    int k; // layers re-initialised, counted from the output
} reset_last;

// The module a parameter belongs to: its name up to the last '.' ("lm3.weight" -> "lm3").
static size_t module_len(const char *param) {
    const char *dot = strrchr(param, '.');
    return dot ? (size_t)(dot - param) : strlen(param);
}

// Each round after the first: the parameters of the last k modules from the fresh
// initialisation drawn for the round (the random learner's), the rest kept (warm).
static ws_status reset_last_begin(const ws_hook_env *h) {
    if (h->env->round == 0) return WS_OK; // the first round starts from the shared initialisation
    const reset_last *r = h->def->user;
    ws_model *m = h->m;
    const ws_model *fresh = h->fresh;
    int modules = 0;
    for (int p = m->nparams - 1; p >= 0; p--) {
        const ws_param *q = &m->params[p];
        const ws_param *next = p + 1 < m->nparams ? &m->params[p + 1] : NULL;
        int new_module = !next || module_len(q->name) != module_len(next->name) ||
                         strncmp(q->name, next->name, module_len(q->name));
        if (new_module && ++modules > r->k) break;
        memcpy(m->w + q->offset, fresh->w + q->offset, sizeof(float) * (size_t)q->numel);
    }
    return WS_OK;
}

// What the configuration records of it, beside its name and kind ("custom").
static void reset_last_record(const ws_learner *def, cJSON *rec) {
    cJSON_AddNumberToObject(rec, "layers_reset", ((const reset_last *)def->user)->k);
}

static const ws_learner_ops RESET_LAST = {.begin = reset_last_begin, .record = reset_last_record};

// ---- running it -------------------------------------------------------------------------------

static void note(void *user, const char *who, const char *line) {
    (void)user;
    fprintf(stderr, "%s%s%s\n", who ? who : "", who ? ": " : "", line);
}

static ws_status table(void *user, ws_ctx *ctx, const ws_scenario_results *r) {
    (void)user, (void)ctx;
    ws_table_results(stdout, r);
    return WS_OK;
}

int main(int argc, char **argv) {
    if (argc > 1 && argv[1][0] == '-') { // --help, or a flag taken for OUT: no folder named after it
        fprintf(stderr, "usage: %s [OUT [K]]   (OUT: results/example-custom; K: layers reset, 1)\n", argv[0]);
        return strcmp(argv[1], "--help") && strcmp(argv[1], "-h") ? 2 : 0;
    }
    const char *out = argc > 1 ? argv[1] : "results/example-custom";
    reset_last params = {.k = argc > 2 ? atoi(argv[2]) : 1};
    char name[32];
    snprintf(name, sizeof name, "reset-last-%d", params.k);
    const ws_learner mine = ws_learner_custom(name, &RESET_LAST, &params);
    const char *options[][2] = {{"subset", "3000"}, {"k0", "1000"}, {"k", "1000"}, {"seeds", "2"}, {"hidden", "32,32"},
                                {"max-epochs", "40"}, {"learners", "warm,random,head-reset"}, {"out", out}};
    ws_ctx ctx;
    ws_ctx_init(&ctx, 0);
    ws_experiment *e = NULL;
    ws_status st = params.k < 1 ? ws_fail(&ctx, WS_ERR_ARG, "K must be at least 1") : ws_experiment_new(&ctx, WS_CMD_ONLINE, 0, &e);
    for (size_t i = 0; i < sizeof options / sizeof *options && !st; i++)
        st = ws_experiment_set(&ctx, e, options[i][0], options[i][1]);
    if (!st) st = ws_experiment_add_learner(&ctx, e, &mine);
    if (!st) st = ws_experiment_check(&ctx, e);
    ws_hooks hooks = {.note = note, .results = table};
    ws_outcome outcome;
    if (!st) st = ws_experiment_run(&ctx, e, &hooks, &outcome);
    int pages = 0;
    if (!st) st = ws_report_write(&ctx, out, &pages);
    if (st) fprintf(stderr, "error: %s\n", ctx.err);
    else printf("\nreport: %s/report.html\n", out);
    ws_experiment_free(e);
    ws_ctx_release(&ctx);
    return st ? 1 : 0;
}
