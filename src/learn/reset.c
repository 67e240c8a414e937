// Resets of the last layers (Nikishin, Schwarzer, D'Oro, Bacon & Courville, "The Primacy Bias in
// Deep Reinforcement Learning", ICML 2022; evgenii-nikishin/rl_with_resets). The last `layers`
// Linear or Conv2d layers, and every parameterised module after the first of them (a LayerNorm,
// a BatchNorm: its running statistics too), are re-initialised from a fresh initialisation; the
// optimizer's state of the reset parameters starts afresh (moments zero and a step count of their
// own from 0, as the new layers of their DrQ agent get a new optimizer, train_pixels.py), the
// rest of the network keeps its weights and its optimizer state. every=0: when a round (a task)
// after the first begins, from the round's fresh initialisation; every=N: after every N updates,
// from a fresh draw. docs/LEARNERS.md says where each choice comes from.
#include <stdlib.h>
#include <string.h>

#include "learn/remedies.h"

enum { LAYERS, EVERY };

static const ws_param_def PARAMS[] = {
    {"layers", 1, 1, WS_MAX_LAYERS, 1, "reset_last_layers"},
    {"every", 0, 0, 1e12, 1, "reset_every_steps"},
};

typedef struct {
    int first;                  // the first parameter reset: it and every one after it
    uint8_t keep[WS_MAX_PARAMS];// ws_take_fresh_module_buffers's mask: 1 before `first`
    int64_t units;              // the reset Linear/Conv2d layers' output units (each reset's count)
} reset_state;

// A Linear or Conv2d weight (PyTorch layout (out, in) or (out, in, kh, kw)); LayerNorm's and
// BatchNorm's weights have 1 or 3 dimensions.
static int is_layer_weight(const ws_param *p) {
    const char *dot = strrchr(p->name, '.');
    return (p->ndim == 2 || p->ndim == 4) && dot && !strcmp(dot, ".weight");
}

// The first parameter of the k-th last Linear/Conv2d layer's module (its weight comes first, the
// bias after it), and the output units of those k layers; -1 when m has fewer than k.
static int tail_start(const ws_model *m, int k, int64_t *units) {
    *units = 0;
    for (int p = m->nparams - 1; p >= 0; p--) {
        if (!is_layer_weight(&m->params[p])) continue;
        *units += m->params[p].dims[0];
        if (--k == 0) return p;
    }
    return -1;
}

static int layer_count(const ws_model *m) {
    int n = 0;
    for (int p = 0; p < m->nparams; p++) n += is_layer_weight(&m->params[p]);
    return n;
}

static ws_status reset_check(ws_ctx *ctx, const ws_learner *l, const ws_model *m) {
    const int k = (int)l->p[LAYERS], have = layer_count(m);
    int64_t units;
    if (k > have)
        return ws_fail(ctx, WS_ERR_ARG, "learner '%s': layers=%d but %s has %d Linear or Conv2d layers", l->name, k,
                       m->arch, have);
    // Each reset tensor's optimizer state is a restarted range of its own.
    const int first = tail_start(m, k, &units);
    if (m->nparams - first > WS_OPTIM_MAX_RANGES)
        return ws_fail(ctx, WS_ERR_ARG, "learner '%s': layers=%d resets %d parameter tensors of %s, more than %d",
                       l->name, k, m->nparams - first, m->arch, WS_OPTIM_MAX_RANGES);
    return WS_OK;
}

static ws_status reset_create(ws_ctx *ctx, const ws_learner *def, const ws_model *m, void **out) {
    reset_state *s = ws_sys_calloc(1, sizeof *s);
    if (!s) return ws_fail(ctx, WS_ERR_NOMEM, "out of memory");
    s->first = tail_start(m, (int)def->p[LAYERS], &s->units);
    for (int p = 0; p < m->nparams; p++) s->keep[p] = p < s->first;
    *out = s;
    return WS_OK;
}

static void reset_destroy(void *state) { free(state); }

// The reset itself: weights and the modules' running statistics from `fresh`, each reset
// tensor's optimizer state restarted (when the learner has an optimizer yet).
static ws_status reset_tail(const ws_hook_env *h, const ws_model *fresh) {
    const reset_state *s = h->state;
    ws_model *m = h->m;
    for (int p = s->first; p < m->nparams; p++) {
        const ws_param *P = &m->params[p];
        memcpy(m->w + P->offset, fresh->w + P->offset, sizeof(float) * (size_t)P->numel);
    }
    ws_take_fresh_module_buffers(m, fresh, s->keep);
    for (int p = s->first; h->opt && p < m->nparams; p++) {
        ws_status st = ws_optim_restart_range(h->ctx, h->opt, m->params[p].offset, m->params[p].numel);
        if (st) return st;
    }
    *h->replaced += s->units;
    return WS_OK;
}

// every=0: when a round after the first begins, from the round's fresh initialisation (the
// random learner's). The optimizer: the scenario rebuilds it after begin unless keep-optim=1.
static ws_status reset_begin(const ws_hook_env *h) {
    if (h->def->p[EVERY] > 0 || h->env->round == 0) return WS_OK;
    return reset_tail(h, h->fresh);
}

static ws_status reset_after_step(const ws_hook_env *h) {
    const int64_t every = (int64_t)h->def->p[EVERY];
    if (every <= 0 || h->step % every) return WS_OK;
    ws_hook_fresh(h, (uint64_t)h->step);
    return reset_tail(h, h->fresh);
}

const ws_remedy ws_remedy_reset = {
    .name = "reset",
    .help = "  reset           resets of the last layers (Nikishin et al. 2022): the last `layers` Linear or\n"
            "                  Conv2d layers (and every parameterised module after the first of them) from a\n"
            "                  fresh initialisation, their optimizer state fresh, the rest kept; layers 1,\n"
            "                  every 0 (when each round begins; N: every N updates)\n",
    .params = PARAMS,
    .nparams = (int)(sizeof PARAMS / sizeof PARAMS[0]),
    .check = reset_check,
    .ops = {.create = reset_create, .destroy = reset_destroy, .begin = reset_begin, .after_step = reset_after_step},
};
