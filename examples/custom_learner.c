// New remedies in C, run side by side with the built-in learners through the hooks every
// remedy in the library is written with (learn/learner.h: ws_learner_ops): "reset-last"
// re-initialises the last k parameterised layers of its model at the start of every round
// (k = 1 is the built-in head-reset, which runs beside it to show that the two agree bit for
// bit); "my-l1-init" is Kumar et al.'s L1 Init with a state of its own in the checkpoint (the
// built-in l1-init beside it, bit for bit). They get what a built-in learner gets -- units,
// records, checkpoints, resume, tables and report -- through the public header only.
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

// ---- a remedy with state of its own: L1 Init -----------------------------------------------
// Kumar et al.'s L1 Init, as the built-in `l1-init` (learn/l1_init.c) does it, through the same
// public hooks: its own state made per chain (`create`), its first weights taken when the
// learner starts (`start`), a penalty's gradient after each backward, and its state in the
// chain's checkpoint (`save`, `load`) so that a resumed run goes on bit for bit. It runs beside
// the built-in one and equals it bit for bit.

typedef struct {
    int64_t n;
    float *theta0; // the first weights
} l1_state;

static ws_status l1_create(ws_ctx *ctx, const ws_learner *def, const ws_model *m, void **out) {
    (void)def;
    l1_state *s = calloc(1, sizeof *s);
    if (s) s->theta0 = calloc((size_t)m->nweights, sizeof(float));
    if (!s || !s->theta0) {
        free(s);
        return ws_fail(ctx, WS_ERR_NOMEM, "out of memory");
    }
    s->n = m->nweights;
    *out = s;
    return WS_OK;
}

static void l1_destroy(void *state) {
    l1_state *s = state;
    free(s->theta0), free(s);
}

static void l1_start(void *state, const ws_model *m) {
    l1_state *s = state;
    memcpy(s->theta0, m->w, sizeof(float) * (size_t)s->n);
}

// g += lambda sign(w - theta_0), sign(0) = 0, over every parameter but LayerNorm's.
static ws_status l1_after_backward(const ws_hook_env *h) {
    const l1_state *s = h->state;
    const float lambda = *(const float *)h->def->user;
    const ws_model *m = h->m;
    for (int j = 0; j < m->nlayers; j++) {
        const ws_layer *L = &m->layers[j];
        if (!strcmp(L->ops->kind, "layernorm")) continue;
        for (int p = L->param0; p < L->param0 + L->nparams; p++)
            for (int64_t i = m->params[p].offset; i < m->params[p].offset + m->params[p].numel; i++) {
                const float d = m->w[i] - s->theta0[i];
                m->g[i] += d > 0 ? lambda : d < 0 ? -lambda : 0.0f;
            }
    }
    return WS_OK;
}

static void l1_save(const void *state, ws_ckpt *c) {
    const l1_state *s = state;
    ws_ckpt_f32(c, "learner.own.theta0", s->theta0, s->n);
}

static ws_status l1_load(void *state, ws_ctx *ctx, const ws_st_file *f, const char *path) {
    l1_state *s = state;
    return ws_ckpt_get_f32(ctx, f, path, "learner.own.theta0", s->theta0, s->n);
}

static void l1_record(const ws_learner *def, cJSON *rec) {
    cJSON_AddNumberToObject(rec, "lambda", *(const float *)def->user);
}

static const ws_learner_ops L1_INIT = {.create = l1_create, .destroy = l1_destroy, .start = l1_start,
                                       .after_backward = l1_after_backward, .save = l1_save, .load = l1_load,
                                       .record = l1_record};

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
    float lambda = 0.01f; // as the built-in l1-init:lambda=0.01 beside it
    const ws_learner my_l1 = ws_learner_custom("my-l1-init", &L1_INIT, &lambda);
    const char *options[][2] = {{"subset", "3000"}, {"k0", "1000"}, {"k", "1000"}, {"seeds", "2"}, {"hidden", "32,32"},
                                {"max-epochs", "40"}, {"learners", "warm,random,head-reset,l1-init:lambda=0.01"}, {"out", out}};
    ws_ctx ctx;
    ws_ctx_init(&ctx, 0);
    ws_experiment *e = NULL;
    ws_status st = params.k < 1 ? ws_fail(&ctx, WS_ERR_ARG, "K must be at least 1") : ws_experiment_new(&ctx, WS_CMD_ONLINE, 0, &e);
    for (size_t i = 0; i < sizeof options / sizeof *options && !st; i++)
        st = ws_experiment_set(&ctx, e, options[i][0], options[i][1]);
    if (!st) st = ws_experiment_add_learner(&ctx, e, &mine);
    if (!st) st = ws_experiment_add_learner(&ctx, e, &my_l1);
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
