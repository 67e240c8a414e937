// UPGD, utility-based perturbed gradient descent (Elsayed & Mahmood, "Addressing Loss of
// Plasticity and Catastrophic Forgetting in Continual Learning", ICLR 2024; mohmdelsayed/upgd
// core/optim/weight_upgd/first_order.py, FirstOrderGlobalUPGD, the paper's "UPGD"). It is an
// optimizer, so it replaces the optimizer's step (the `update` hook): per update t, for every
// parameter,
//   u <- beta u + (1 - beta)(-g w)                  the utility trace (not bias-corrected)
//   m  = max of u over the whole network
//   s  = sigmoid((u / (1 - beta^t)) / m)
//   w <- w (1 - lr wd) - lr (g + sigma xi)(1 - s),   xi ~ N(0, 1) fresh every update
// with the learner's learning rate (--lr, or its lr=) and UPGD's own weight decay wd. The
// optimizer (--opt) gives only that rate: its moments are neither used nor changed. The trace
// and its step count are UPGD's optimizer state: they start over when a round begins, as every
// learner's optimizer does, unless keep-optim=1 (the authors' streams never restart it). The
// noise of update k is ws_rng_stream(seed, "upgd-noise", k), one normal per parameter in arena
// order (ws_rng_normals). docs/LEARNERS.md says where each choice comes from.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "learn/remedies.h"

enum { BETA, SIGMA, WD };

static const ws_param_def PARAMS[] = {
    {"beta", 0.999, 0, 0.99999, 0, "beta_utility"},
    {"sigma", 1e-3, 0, 1e6, 0, "sigma"},
    {"wd", 0, 0, 1e6, 0, "weight_decay"},
};

typedef struct {
    int64_t n;
    float *u;      // the utility trace, the arena's layout
    float *xi;     // the update's noise, drawn at once (ws_rng_normals)
    int64_t step;  // updates since the trace started (its bias correction)
} upgd_state;

static ws_status upgd_create(ws_ctx *ctx, const ws_learner *def, const ws_model *m, void **out) {
    (void)def;
    upgd_state *s = ws_sys_calloc(1, sizeof *s);
    const size_t n = (size_t)(m->nweights ? m->nweights : 1);
    if (!s || !(s->u = ws_sys_calloc(n, sizeof(float))) || !(s->xi = ws_sys_malloc(n * sizeof(float)))) {
        if (s) free(s->u), free(s);
        return ws_fail(ctx, WS_ERR_NOMEM, "out of memory");
    }
    s->n = m->nweights;
    *out = s;
    return WS_OK;
}

static void upgd_destroy(void *state) {
    upgd_state *s = state;
    free(s->u), free(s->xi), free(s);
}

// The trace is the optimizer's state: rebuilt with it when a round begins (keep-optim=1: kept).
static ws_status upgd_begin(const ws_hook_env *h) {
    upgd_state *s = h->state;
    if (h->env->round > 0 && !h->def->keep_optim) {
        memset(s->u, 0, sizeof(float) * (size_t)s->n);
        s->step = 0;
    }
    return WS_OK;
}

// Pass 1 of first_order.py: the trace updated, its maximum over every parameter.
static float update_trace(float *u, const float *w, const float *g, int64_t n, double beta) {
    const float keep = (float)beta, take = (float)(1.0 - beta);
    float max = -INFINITY;
    for (int64_t i = 0; i < n; i++) {
        u[i] = u[i] * keep + take * (-g[i] * w[i]);
        if (u[i] > max) max = u[i];
    }
    return max;
}

static ws_status upgd_update(const ws_hook_env *h) {
    upgd_state *s = h->state;
    const ws_opt_config *oc = &h->opt->cfg;
    if (oc->weight_decay > 0)
        return ws_fail(h->ctx, WS_ERR_ARG,
                       "learner '%s': --wd %g: UPGD decays the weights itself (its wd=, the authors' weight_decay); "
                       "run it with --wd 0",
                       h->def->name, oc->weight_decay);
    float *w = h->m->w;
    const float *g = h->m->g;
    const double beta = h->def->p[BETA], lr = oc->lr;
    const float max = update_trace(s->u, w, g, s->n, beta);
    s->step++;
    // Python's floats, cast to float32 where torch applies them.
    const float bc = (float)(1.0 - pow(beta, (double)s->step)), shrink = (float)(1.0 - lr * h->def->p[WD]);
    const float alpha = (float)-lr, sigma = (float)h->def->p[SIGMA];
    ws_rng r = ws_rng_stream(h->seed, "upgd-noise", (uint64_t)h->step + 1);
    if (sigma > 0) ws_rng_normals(&r, s->xi, s->n);
    for (int64_t i = 0; i < s->n; i++) {
        // Their code divides by m as it is; where m is 0 a zero utility would give 0/0 = NaN and
        // a NaN weight: taken as 0 (s = 1/2) instead, the one guard added.
        const float a = max == 0 && s->u[i] == 0 ? 0.0f : s->u[i] / bc / max;
        const float scaled = 1.0f / (1.0f + expf(-a));
        const float d = sigma > 0 ? g[i] + s->xi[i] * sigma : g[i];
        w[i] = w[i] * shrink + alpha * (d * (1.0f - scaled));
    }
    return WS_OK;
}

static void upgd_save(const void *state, ws_ckpt *c) {
    const upgd_state *s = state;
    ws_ckpt_f32(c, "learner.own.upgd.utility", s->u, s->n);
    ws_ckpt_int(c, "learner.own.upgd.step", s->step);
}

static ws_status upgd_load(void *state, ws_ctx *ctx, const ws_st_file *f, const char *path) {
    upgd_state *s = state;
    ws_status st = ws_ckpt_get_f32(ctx, f, path, "learner.own.upgd.utility", s->u, s->n);
    return st ? st : ws_ckpt_get_int(ctx, f, path, "learner.own.upgd.step", &s->step);
}

static void upgd_record(const ws_learner *def, cJSON *rec) {
    (void)def;
    cJSON_AddStringToObject(rec, "update", "UPGD in place of the optimizer's step, at the learner's learning rate");
}

const ws_remedy ws_remedy_upgd = {
    .name = "upgd",
    .help = "  upgd            UPGD (Elsayed & Mahmood 2024) in place of the optimizer, at its lr: utility\n"
            "                  u <- beta u + (1-beta)(-g w); w <- w(1 - lr wd) - lr (g + sigma xi)(1 - s),\n"
            "                  s = sigmoid(u / (1-beta^t) / max u), xi ~ N(0, 1); beta 0.999, sigma 0.001,\n"
            "                  wd 0 (its own: --wd must be 0); u restarts each round unless keep-optim=1\n",
    .params = PARAMS,
    .nparams = (int)(sizeof PARAMS / sizeof PARAMS[0]),
    .ops = {.create = upgd_create,
            .destroy = upgd_destroy,
            .begin = upgd_begin,
            .update = upgd_update,
            .save = upgd_save,
            .load = upgd_load,
            .record = upgd_record},
};
