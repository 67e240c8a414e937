// ReDo, recycling dormant neurons (Sokar, Agarwal, Castro & Evci, "The Dormant Neuron
// Phenomenon in Deep Reinforcement Learning", ICML 2023; google/dopamine labs/redo,
// weight_recyclers.py). Every `every` updates, each hidden layer's units are scored on the
// batch of that update -- s_i = mean|h_i| / (mean over the layer's units of mean|h_k| + 1e-9),
// h after the activation, the mean over examples and a channel's positions -- and a unit with
// s_i <= tau is recycled: fresh incoming weights (the layer's own initialisation, a fresh draw),
// a zero bias, zero outgoing weights, and the optimizer's moments of those incoming and outgoing
// weights zeroed (the bias's moments and the step count kept, as both of the authors'
// implementations do). The output layer is never recycled. round=1 recycles also when a round
// (a task) begins, scored on its first batch. docs/LEARNERS.md says where each choice comes from.
#include <stdlib.h>
#include <string.h>

#include "learn/hidden.h"
#include "learn/remedies.h"
#include "train/train.h"

enum { TAU, EVERY, AT_ROUND };

static const ws_param_def PARAMS[] = {
    {"tau", 0.1, 0, 1e6, 0, "dormant_threshold"},
    {"every", 1000, 0, 1e9, 1, "recycle_every_steps"},
    {"round", 0, 0, 1, 1, "recycle_when_a_round_begins"},
};

typedef struct {
    int n;
    ws_hidden_layer layers[WS_MAX_LAYERS];
    // Every layer's scores of one batch, all read before any unit changes.
    double *first;
    int64_t first_off[WS_MAX_LAYERS];
    int first_b;
} redo_state;

static ws_status redo_check(ws_ctx *ctx, const ws_learner *l, const ws_model *m) {
    ws_hidden_layer h[WS_MAX_LAYERS];
    int n;
    ws_status st = ws_hidden_layers(ctx, m, l->name, h, &n);
    if (!st && !n) st = ws_fail(ctx, WS_ERR_ARG, "learner '%s': %s has no hidden units to recycle", l->name, m->arch);
    return st;
}

static ws_status redo_create(ws_ctx *ctx, const ws_learner *def, const ws_model *m, void **out) {
    redo_state *s = ws_sys_calloc(1, sizeof *s);
    if (!s) return ws_fail(ctx, WS_ERR_NOMEM, "out of memory");
    ws_status st = ws_hidden_layers(ctx, m, def->name, s->layers, &s->n);
    int64_t total = 0;
    for (int k = 0; k < s->n; k++) {
        s->first_off[k] = total;
        total += s->layers[k].units;
    }
    if (!st && !(s->first = ws_sys_malloc(sizeof(double) * (size_t)(total ? total : 1))))
        st = ws_fail(ctx, WS_ERR_NOMEM, "out of memory");
    if (st) {
        free(s->first), free(s);
        return st;
    }
    *out = s;
    return WS_OK;
}

static void redo_destroy(void *state) {
    redo_state *s = state;
    free(s->first), free(s);
}

// Normalise a layer's scores by their mean (+1e-9) and recycle the units at or below tau,
// their fresh incoming weights from `fresh`. Returns the units recycled.
static int64_t recycle_layer(ws_model *m, const ws_hidden_layer *h, double *score, double tau, const ws_model *fresh,
                             ws_optim *opt) {
    double mean = 0;
    for (int u = 0; u < h->units; u++) mean += score[u];
    mean /= h->units;
    int64_t n = 0;
    for (int u = 0; u < h->units; u++) {
        if (score[u] / (mean + 1e-9) > tau) continue;
        ws_hidden_reset_unit(m, h, u, fresh, WS_UNIT_BIAS_ZERO | WS_UNIT_KEEP_BIAS_MOMENTS, opt);
        n++;
    }
    return n;
}

// Each layer's scores from the last forward are all read before any unit changes (a layer's
// reset leaves the recorded activations as they were); layers go in forward order, so where
// one layer's zeroed outgoing weights are the next one's fresh incoming row, fresh wins, as
// in weight_recyclers.py.
static ws_status redo_after_step(const ws_hook_env *h) {
    redo_state *s = h->state;
    const int64_t every = (int64_t)h->def->p[EVERY];
    if (every <= 0 || h->step % every) return WS_OK;
    ws_hook_fresh(h, (uint64_t)h->step);
    for (int k = 0; k < s->n; k++) ws_hidden_mean_abs(h->m, &s->layers[k], h->batch, s->first + s->first_off[k]);
    for (int k = 0; k < s->n; k++)
        *h->replaced += recycle_layer(h->m, &s->layers[k], s->first + s->first_off[k], h->def->p[TAU], h->fresh, h->opt);
    return WS_OK;
}

// The scores of a gradient pass's batch (ws_each_batch_gradient), kept for the recycling after it.
static void score_batch(void *user, const ws_model *m, int b) {
    redo_state *s = user;
    for (int k = 0; k < s->n; k++) ws_hidden_mean_abs(m, &s->layers[k], b, s->first + s->first_off[k]);
    s->first_b = b;
}

// round=1: when a round after the first begins, on its first batch (training mode, BatchNorm
// statistics as they were), with the round's fresh initialisation.
static ws_status redo_begin(const ws_hook_env *h) {
    redo_state *s = h->state;
    const ws_round_env *env = h->env;
    if (!h->def->p[AT_ROUND] || env->round == 0 || !env->d || env->n == 0) return WS_OK;
    const int64_t b = env->batch < env->n ? env->batch : env->n;
    s->first_b = 0;
    ws_status st = ws_each_batch_gradient(h->ctx, h->m, env->d, env->norm, env->idx, b, (int)b, score_batch, s);
    if (st || !s->first_b) return st;
    for (int k = 0; k < s->n; k++)
        *h->replaced += recycle_layer(h->m, &s->layers[k], s->first + s->first_off[k], h->def->p[TAU], h->fresh, h->opt);
    return WS_OK;
}

const ws_remedy ws_remedy_redo = {
    .name = "redo",
    .help = "  redo            ReDo (Sokar et al. 2023): every `every` updates, each hidden layer's tau-dormant\n"
            "                  units (mean |h| over the batch at most tau times the layer's mean) get fresh\n"
            "                  incoming weights, zero bias, zero outgoing weights and zero Adam moments for\n"
            "                  those weights; tau 0.1, every 1000; round=1: also when a round begins\n",
    .params = PARAMS,
    .nparams = (int)(sizeof PARAMS / sizeof PARAMS[0]),
    .check = redo_check,
    .ops = {.create = redo_create, .destroy = redo_destroy, .begin = redo_begin, .after_step = redo_after_step},
};
