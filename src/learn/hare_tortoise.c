// Hare & Tortoise (Lee, Cho, Kim, Kim, Min, Choo & Lyle, "Slow and Steady Wins the Race:
// Maintaining Plasticity with Hare and Tortoise Networks", ICML 2024; dojeon-ai/Hare-Tortoise
// src/trainers/base.py). The trained network is the hare; the tortoise is an exponential moving
// average of it, tortoise <- m tortoise + (1 - m) hare after every update (weights and BatchNorm
// running statistics alike), and the hare is set to the tortoise every `epochs` epochs of the
// round's examples (their 10: after epochs 1, 11, 21, ... of each round, as their 0-based
// `epoch % reset_every == 0` does) or every `every` updates; the optimizer's state is left as it
// is. The scenario evaluates the tortoise. docs/LEARNERS.md says where each choice comes from.
#include <stdlib.h>
#include <string.h>

#include "learn/remedies.h"

enum { MOMENTUM, EPOCHS, EVERY, AT_ROUND };

static const ws_param_def PARAMS[] = {
    {"momentum", 0.999, 0, 1, 0, "tortoise_ema_momentum"},
    {"epochs", 10, 0, 1e9, 1, "reset_every_epochs"},
    {"every", 0, 0, 1e12, 1, "reset_every_updates"},
    {"round", 0, 0, 1, 1, "reset_when_a_round_begins"},
};

// Where the schedule stands, as one array (the chain's checkpoint keeps it whole).
enum { STARTED, ROUND_START, EPOCH_UPDATES, NSCHED };

typedef struct {
    ws_model *tortoise;
    // STARTED: the tortoise holds the hare's first weights; ROUND_START: updates before this
    // round; EPOCH_UPDATES: the updates of one epoch of the round's examples (0: unknown).
    int64_t sched[NSCHED];
} ht_state;

static ws_status ht_create(ws_ctx *ctx, const ws_learner *def, const ws_model *m, void **out) {
    ht_state *s = ws_sys_calloc(1, sizeof *s);
    if (!s) return ws_fail(ctx, WS_ERR_NOMEM, "out of memory");
    ws_status st = ws_model_create(ctx, &s->tortoise, &m->spec);
    if (st) {
        free(s);
        return st;
    }
    *out = s;
    return WS_OK;
}

static void ht_destroy(void *state) {
    ht_state *s = state;
    ws_model_free(s->tortoise);
    free(s);
}

// The hare set to the tortoise: a copy (the paper), not their code's shared storage (see
// docs/LEARNERS.md). num_batches_tracked is the hare's own in both (the tortoise follows it).
static void reset_hare(ws_model *hare, const ws_model *tortoise) {
    memcpy(hare->w, tortoise->w, sizeof(float) * (size_t)hare->nweights);
    memcpy(hare->buf, tortoise->buf, sizeof(float) * (size_t)hare->nbuf);
}

// x <- a x + b y, as torch's `ema * slow + (1 - ema) * fast` in float32.
static void ema(float *x, const float *y, int64_t n, float a, float b) {
    for (int64_t i = 0; i < n; i++) x[i] = a * x[i] + b * y[i];
}

// A round's start: the tortoise is the hare's first weights when the learner's life begins (the
// scenario's shared initialisation; in the batch scenario, whose shared phase 1 trains without
// the learner's hooks, phase 1's model); the round's updates and epoch length are noted.
static ws_status ht_begin(const ws_hook_env *h) {
    ht_state *s = h->state;
    const ws_round_env *env = h->env;
    if (!s->sched[STARTED]) {
        ws_status st = ws_model_copy_weights(h->ctx, s->tortoise, h->m);
        if (st) return st;
        s->sched[STARTED] = 1;
    }
    s->sched[ROUND_START] = h->step;
    // The training loop's epoch: every batch of the round's examples, the last one short
    // unless the scenario leaves it out.
    const int64_t n = env->n, b = env->batch;
    s->sched[EPOCH_UPDATES] = n > 0 && b > 0 ? (env->drop_last ? n / b : (n + b - 1) / b) : 0;
    if (h->def->p[AT_ROUND] && env->round > 0) reset_hare(h->m, s->tortoise);
    return WS_OK;
}

// Is the hare reset after the round's u-th update? Every `every` updates, else after epochs
// 1, 11, 21, ... (epochs = 10) of the round.
static int reset_due(const ht_state *s, const ws_learner *def, int64_t u) {
    const int64_t every = (int64_t)def->p[EVERY], epochs = (int64_t)def->p[EPOCHS], e = s->sched[EPOCH_UPDATES];
    if (every > 0) return u % every == 0;
    return epochs > 0 && e > 0 && u >= e && (u - e) % (epochs * e) == 0;
}

// After each update, as their code: the tortoise's average first, then the reset if due.
static ws_status ht_after_step(const ws_hook_env *h) {
    ht_state *s = h->state;
    ws_model *t = s->tortoise, *m = h->m;
    const double mom = h->def->p[MOMENTUM];
    const float a = (float)mom, b = (float)(1.0 - mom);
    ema(t->w, m->w, m->nweights, a, b);
    ema(t->buf, m->buf, m->nbuf, a, b);
    // An average of a count means nothing (their code makes it a float); BatchNorm reads it
    // only with momentum None, which no network here has: the tortoise's is the hare's.
    memcpy(t->ibuf, m->ibuf, sizeof(int64_t) * (size_t)m->nibuf);
    if (reset_due(s, h->def, h->step - s->sched[ROUND_START])) reset_hare(m, t);
    return WS_OK;
}

static ws_model *ht_eval_model(void *state) {
    ht_state *s = state;
    return s->sched[STARTED] ? s->tortoise : NULL;
}

static void ht_save(const void *state, ws_ckpt *c) {
    const ht_state *s = state;
    ws_ckpt_model(c, "learner.own.tortoise", s->tortoise);
    ws_ckpt_i64(c, "learner.own.tortoise.schedule", s->sched, NSCHED);
}

static ws_status ht_load(void *state, ws_ctx *ctx, const ws_st_file *f, const char *path) {
    ht_state *s = state;
    ws_status st = ws_ckpt_get_model(ctx, f, path, "learner.own.tortoise", s->tortoise);
    if (!st) st = ws_ckpt_get_i64(ctx, f, path, "learner.own.tortoise.schedule", s->sched, NSCHED);
    return st;
}

const ws_remedy ws_remedy_hare_tortoise = {
    .name = "hare-tortoise",
    .help = "  hare-tortoise   Hare & Tortoise (Lee et al. 2024): the tortoise, an EMA of the trained network\n"
            "                  (the hare) after every update, weights and BatchNorm statistics, momentum\n"
            "                  0.999, is what the scenario evaluates; the hare is set to the tortoise every\n"
            "                  `epochs` epochs of the round's examples (10; the first after epoch 1), or\n"
            "                  every=N updates; optimizer state kept; round=1: also when a round begins\n",
    .params = PARAMS,
    .nparams = (int)(sizeof PARAMS / sizeof PARAMS[0]),
    .ops = {.create = ht_create, .destroy = ht_destroy, .begin = ht_begin, .after_step = ht_after_step,
            .eval_model = ht_eval_model, .save = ht_save, .load = ht_load},
};
