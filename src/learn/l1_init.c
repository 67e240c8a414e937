// L1 Init (Kumar, Marklund & Van Roy, "Maintaining Plasticity in Continual Learning via
// Regenerative Regularization", CoLLAs 2024: the L1 ablation of L2 Init; skumar9876/L2_Init @
// 3f86d26, agents/agents.py L1InitAgent, lines 351-406): the loss plus lambda * sum |theta -
// theta_0| toward the learner's first weights, over every weight and bias, the output layer's
// included, LayerNorm's scale and offset left out (their name filter 'layer_norm'). Its gradient,
// added after each backward, is lambda * sign(theta - theta_0) with sign(0) = 0 (torch's abs
// backward): zero at theta_0 itself. docs/LEARNERS.md says where each choice comes from.
#include <stdlib.h>
#include <string.h>

#include "learn/remedies.h"

enum { LAMBDA };

static const ws_param_def PARAMS[] = {
    {"lambda", 1e-3, 0, 1e12, 0, "l1_weight"},
};

typedef struct {
    int64_t n;                       // floats in the arena
    float *theta0;                   // the first weights
    int nranges;                     // the penalised parameters: runs of the arena
    int64_t off[WS_MAX_PARAMS], len[WS_MAX_PARAMS];
} l1_state;

static int is_layernorm(const ws_layer *L) { return !strcmp(L->ops->kind, "layernorm"); }

static void l1_destroy(void *state) {
    l1_state *s = state;
    free(s->theta0), free(s);
}

static ws_status l1_create(ws_ctx *ctx, const ws_learner *def, const ws_model *m, void **out) {
    (void)def;
    l1_state *s = ws_sys_calloc(1, sizeof *s);
    if (!s || !(s->theta0 = ws_sys_calloc((size_t)(m->nweights ? m->nweights : 1), sizeof *s->theta0))) {
        free(s);
        return ws_fail(ctx, WS_ERR_NOMEM, "out of memory");
    }
    s->n = m->nweights;
    for (int j = 0; j < m->nlayers; j++) {
        const ws_layer *L = &m->layers[j];
        for (int p = L->param0; !is_layernorm(L) && p < L->param0 + L->nparams; p++) {
            s->off[s->nranges] = m->params[p].offset;
            s->len[s->nranges++] = m->params[p].numel;
        }
    }
    *out = s;
    return WS_OK;
}

static void l1_start(void *state, const ws_model *m) {
    l1_state *s = state;
    memcpy(s->theta0, m->w, sizeof(float) * (size_t)s->n);
}

// g += lambda * sign(w - theta_0) over the penalised parameters (the gradient of
// lambda * sum |w - theta_0|, torch's: 0 where w == theta_0).
static ws_status l1_after_backward(const ws_hook_env *h) {
    const l1_state *s = h->state;
    const float lambda = (float)h->def->p[LAMBDA];
    const float *w = h->m->w, *t = s->theta0;
    float *g = h->m->g;
    for (int r = 0; r < s->nranges; r++)
        for (int64_t i = s->off[r]; i < s->off[r] + s->len[r]; i++) {
            const float d = w[i] - t[i];
            g[i] += d > 0 ? lambda : d < 0 ? -lambda : 0.0f;
        }
    return WS_OK;
}

static void l1_save(const void *state, ws_ckpt *c) {
    const l1_state *s = state;
    ws_ckpt_f32(c, "learner.own.l1-init.theta0", s->theta0, s->n);
}

static ws_status l1_load(void *state, ws_ctx *ctx, const ws_st_file *f, const char *path) {
    l1_state *s = state;
    return ws_ckpt_get_f32(ctx, f, path, "learner.own.l1-init.theta0", s->theta0, s->n);
}

const ws_remedy ws_remedy_l1_init = {
    .name = "l1-init",
    .help = "  l1-init         warm plus lambda sum |theta - theta_0| toward its first weights, LayerNorm's\n"
            "                  scale and offset left out (Kumar et al. 2024's L1 Init ablation); lambda 0.001\n",
    .params = PARAMS,
    .nparams = (int)(sizeof PARAMS / sizeof PARAMS[0]),
    .ops = {.create = l1_create, .destroy = l1_destroy, .start = l1_start, .after_backward = l1_after_backward,
            .save = l1_save, .load = l1_load},
};
