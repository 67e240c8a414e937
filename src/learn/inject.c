// Plasticity injection (Nikishin, Oh, Ostrovski, Lyle, Pascanu, Dabney & Barreto, "Deep
// Reinforcement Learning with Plasticity Injection", NeurIPS 2023). At an injection the head's
// parameters theta are frozen and two copies of a fresh initialisation are added, theta1'
// trainable and theta2' frozen: y(x) = h_theta(phi(x)) + h_theta1'(phi(x)) - h_theta2'(phi(x)),
// the same function at the injection (theta1' = theta2'), the encoder phi still training (its
// gradient through all three heads). The head here is the last Linear layer, and three Linear
// heads on the same input are one Linear layer with W = W_theta + W1' - W2' (the bias likewise):
// the model holds that sum, the state the frozen part C = W_theta - W2', so theta1' = W - C, whose
// gradient is W's. So what changes at an injection is the head's optimizer state (theta1' is a
// new parameter: fresh moments, its own step count) and where weight decay pulls: toward C,
// decaying theta1' (not W) toward 0. docs/LEARNERS.md says why one layer only.
#include <stdlib.h>
#include <string.h>

#include "learn/remedies.h"

enum { AT, EVERY };

static const ws_param_def PARAMS[] = {
    {"at", 1, 1, 1e9, 1, "inject_at_round"},
    {"every", 0, 0, 1e9, 1, "inject_every_rounds"},
};

typedef struct {
    int64_t off, len;   // the head's parameters (weight, bias) in the arena
    int64_t units;      // its output units
    float *frozen;      // C = W_theta - W_theta2' over the head (len); zero before the first injection
    int64_t injections;
} inject_state;

static ws_status inject_check(ws_ctx *ctx, const ws_learner *l, const ws_model *m) {
    const ws_layer *L = m->nlayers ? &m->layers[m->nlayers - 1] : NULL;
    if (!L || strcmp(L->ops->kind, "linear") || L->nparams < 1)
        return ws_fail(ctx, WS_ERR_ARG, "learner '%s': %s does not end with a Linear layer (the head it injects)",
                       l->name, m->arch);
    return WS_OK;
}

static ws_status inject_create(ws_ctx *ctx, const ws_learner *def, const ws_model *m, void **out) {
    inject_state *s = ws_sys_calloc(1, sizeof *s);
    if (!s) return ws_fail(ctx, WS_ERR_NOMEM, "out of memory");
    ws_model_head_range(m, &s->off, &s->len);
    s->units = m->params[m->layers[m->nlayers - 1].param0].dims[0];
    if (!(s->frozen = ws_sys_calloc((size_t)s->len, sizeof(float)))) {
        free(s);
        return ws_fail(ctx, WS_ERR_NOMEM, "out of memory");
    }
    *out = s;
    return WS_OK;
}

static void inject_destroy(void *state) {
    inject_state *s = state;
    free(s->frozen), free(s);
}

// Round `at`, then every `every` rounds after it (0: once).
static int due(const ws_learner *def, int round) {
    const int at = (int)def->p[AT], every = (int)def->p[EVERY];
    return round == at || (every > 0 && round > at && (round - at) % every == 0);
}

// theta1' = theta2' = the round's fresh head: the model's head stays as it is (the same function,
// bit for bit), the frozen part becomes W - fresh, and theta1' gets a fresh optimizer state.
static ws_status inject_begin(const ws_hook_env *h) {
    inject_state *s = h->state;
    if (h->env->round == 0 || !due(h->def, h->env->round)) return WS_OK;
    const float *w = h->m->w + s->off, *f = h->fresh->w + s->off;
    for (int64_t i = 0; i < s->len; i++) s->frozen[i] = w[i] - f[i];
    if (h->opt) {
        ws_status st = ws_optim_restart_range(h->ctx, h->opt, s->off, s->len);
        if (st) return st;
    }
    s->injections++;
    *h->replaced += s->units;
    return WS_OK;
}

// Coupled weight decay (SGD, Adam) adds wd W to W's gradient; theta1''s is wd (W - C).
static ws_status inject_after_backward(const ws_hook_env *h) {
    const inject_state *s = h->state;
    const ws_opt_config *c = h->opt ? &h->opt->cfg : NULL;
    if (!s->injections || !c || c->weight_decay == 0 || (c->kind == WS_OPT_ADAM && c->decoupled)) return WS_OK;
    float *g = h->m->g + s->off;
    const float wd = c->weight_decay;
    for (int64_t i = 0; i < s->len; i++) g[i] -= wd * s->frozen[i];
    return WS_OK;
}

// Decoupled weight decay (AdamW) shrank W by (1 - lr wd); theta1' = W - C is what shrinks.
static ws_status inject_after_step(const ws_hook_env *h) {
    const inject_state *s = h->state;
    const ws_opt_config *c = h->opt ? &h->opt->cfg : NULL;
    if (!s->injections || !c || c->weight_decay == 0 || c->kind != WS_OPT_ADAM || !c->decoupled) return WS_OK;
    float *w = h->m->w + s->off;
    const float shrunk = c->lr * c->weight_decay;
    for (int64_t i = 0; i < s->len; i++) w[i] += shrunk * s->frozen[i];
    return WS_OK;
}

static void inject_save(const void *state, ws_ckpt *c) {
    const inject_state *s = state;
    ws_ckpt_int(c, "learner.own.inject.injections", s->injections);
    ws_ckpt_f32(c, "learner.own.inject.frozen", s->frozen, s->len);
}

static ws_status inject_load(void *state, ws_ctx *ctx, const ws_st_file *f, const char *path) {
    inject_state *s = state;
    ws_status st = ws_ckpt_get_int(ctx, f, path, "learner.own.inject.injections", &s->injections);
    if (!st) st = ws_ckpt_get_f32(ctx, f, path, "learner.own.inject.frozen", s->frozen, s->len);
    return st;
}

const ws_remedy ws_remedy_inject = {
    .name = "inject",
    .help = "  inject          plasticity injection (Nikishin et al. 2023) into the last Linear layer at round\n"
            "                  (task) `at`, then every `every` rounds: the head frozen plus a fresh trainable\n"
            "                  copy minus its frozen twin (one Linear layer, the same function); the new\n"
            "                  head's optimizer state fresh, weight decay on it; at 1, every 0 (once); with\n"
            "                  keep-optim=0 and no weight decay it trains as warm\n",
    .params = PARAMS,
    .nparams = (int)(sizeof PARAMS / sizeof PARAMS[0]),
    .check = inject_check,
    .ops = {.create = inject_create,
            .destroy = inject_destroy,
            .begin = inject_begin,
            .after_backward = inject_after_backward,
            .after_step = inject_after_step,
            .save = inject_save,
            .load = inject_load},
};
