// Normalize-and-Project, NaP (Lyle, Zheng, Khetarpal, Martens, van Hasselt, Pascanu & Dabney,
// "Normalization and effective learning rates in reinforcement learning", NeurIPS 2024; no code
// from the authors). Normalize: LayerNorm between each hidden Linear or Conv2d layer and its
// activation (the learner's network has it: layer-norm=1). Project: after every `every` updates,
// each weight matrix or convolution kernel -- the output layer's too unless head=0 -- is scaled
// back to its Frobenius norm of the learner's first weights, so that its growth no longer decays
// the effective learning rate of the scale-invariant layer it feeds; with affine=1 each
// LayerNorm's scale and offset are scaled jointly back to their first joint norm (what a
// positively homogeneous activation lets the next LayerNorm absorb). Biases and the optimizer's
// state are left as they are. docs/LEARNERS.md says where each choice comes from.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "learn/remedies.h"

enum { EVERY, HEAD, AFFINE };

static const ws_param_def PARAMS[] = {
    {"every", 1, 1, 1e9, 1, "project_every_steps"},
    {"head", 1, 0, 1, 1, "project_output_layer"},
    {"affine", 1, 0, 1, 1, "project_layernorm_scale_and_offset"},
};

typedef struct {
    int nw;                     // the projected weights: [off, off + len) of the arena, first norm
    int64_t w_off[WS_MAX_LAYERS], w_len[WS_MAX_LAYERS];
    double w_norm[WS_MAX_LAYERS];
    int nln;                    // LayerNorms: scale and offset of len floats each, their first joint norm
    int64_t g_off[WS_MAX_LAYERS], b_off[WS_MAX_LAYERS], ln_len[WS_MAX_LAYERS];
    double ln_norm[WS_MAX_LAYERS];
} nap_state;

static int is_kind(const ws_model *m, int j, const char *kind) { return !strcmp(m->layers[j].ops->kind, kind); }

static int makes_units(const ws_model *m, int j) { return is_kind(m, j, "linear") || is_kind(m, j, "conv2d"); }

// The network NaP runs on: each parameterised layer a Linear, Conv2d or LayerNorm, each Linear or
// Conv2d but the last followed by a LayerNorm; with affine=1, an activation whose positive scaling
// passes through it (ReLU, CReLU). NULL when m is such a network, else what is wrong, in `why`.
static const char *unfit(const ws_learner *l, const ws_model *m, char *why, size_t cap) {
    int hidden = 0;
    for (int j = 0; j < m->nlayers; j++) {
        const ws_layer *L = &m->layers[j];
        if (L->nparams && !makes_units(m, j) && !is_kind(m, j, "layernorm")) {
            snprintf(why, cap, "its layer '%s' is a %s (NaP runs on Linear and Conv2d layers with LayerNorm)",
                     L->name, L->ops->kind);
            return why;
        }
        if (!makes_units(m, j) || j == m->nlayers - 1) continue;
        if (j + 1 >= m->nlayers || !is_kind(m, j + 1, "layernorm")) {
            snprintf(why, cap, "its layer '%s' has no LayerNorm before its activation (give layer-norm=1 or "
                               "--layer-norm)", L->name);
            return why;
        }
        hidden++;
        if (l->p[AFFINE] && j + 2 < m->nlayers && is_kind(m, j + 2, "tanh")) {
            snprintf(why, cap, "affine=1 scales LayerNorm's scale and offset, which tanh does not pass through "
                               "(use affine=0)");
            return why;
        }
    }
    if (!hidden) snprintf(why, cap, "it has no hidden layer to normalise");
    return hidden ? NULL : why;
}

static ws_status nap_check(ws_ctx *ctx, const ws_learner *l, const ws_model *m) {
    char why[200];
    if (unfit(l, m, why, sizeof why))
        return ws_fail(ctx, WS_ERR_ARG, "learner '%s': Normalize-and-Project needs LayerNorm between each hidden "
                                        "layer and its activation; %s: %s", l->name, m->arch, why);
    return WS_OK;
}

static ws_status nap_create(ws_ctx *ctx, const ws_learner *def, const ws_model *m, void **out) {
    nap_state *s = ws_sys_calloc(1, sizeof *s);
    if (!s) return ws_fail(ctx, WS_ERR_NOMEM, "out of memory");
    for (int j = 0; j < m->nlayers; j++) {
        const ws_param *p = &m->params[m->layers[j].param0];
        if (makes_units(m, j) && (j < m->nlayers - 1 || def->p[HEAD])) {
            s->w_off[s->nw] = p->offset;
            s->w_len[s->nw++] = p->numel;
        }
        if (is_kind(m, j, "layernorm") && def->p[AFFINE]) {
            s->g_off[s->nln] = p[0].offset, s->b_off[s->nln] = p[1].offset;
            s->ln_len[s->nln++] = p[0].numel;
        }
    }
    *out = s;
    return WS_OK;
}

static void nap_destroy(void *state) { free(state); }

static double sum_squares(const float *x, int64_t n) {
    double s = 0;
    for (int64_t i = 0; i < n; i++) s += (double)x[i] * x[i];
    return s;
}

static void scale(float *x, int64_t n, float c) {
    for (int64_t i = 0; i < n; i++) x[i] *= c;
}

static void nap_start(void *state, const ws_model *m) {
    nap_state *s = state;
    for (int k = 0; k < s->nw; k++) s->w_norm[k] = sqrt(sum_squares(m->w + s->w_off[k], s->w_len[k]));
    for (int k = 0; k < s->nln; k++)
        s->ln_norm[k] = sqrt(sum_squares(m->w + s->g_off[k], s->ln_len[k]) +
                             sum_squares(m->w + s->b_off[k], s->ln_len[k]));
}

// Each weight back to its first norm; each LayerNorm's (scale, offset) jointly to theirs. A
// tensor now all zero has no direction to keep and stays as it is.
static ws_status nap_after_step(const ws_hook_env *h) {
    const nap_state *s = h->state;
    if (h->step % (int64_t)h->def->p[EVERY]) return WS_OK;
    float *w = h->m->w;
    for (int k = 0; k < s->nw; k++) {
        const double norm = sqrt(sum_squares(w + s->w_off[k], s->w_len[k]));
        if (norm > 0) scale(w + s->w_off[k], s->w_len[k], (float)(s->w_norm[k] / norm));
    }
    for (int k = 0; k < s->nln; k++) {
        const int64_t n = s->ln_len[k];
        const double norm = sqrt(sum_squares(w + s->g_off[k], n) + sum_squares(w + s->b_off[k], n));
        if (norm <= 0) continue;
        scale(w + s->g_off[k], n, (float)(s->ln_norm[k] / norm));
        scale(w + s->b_off[k], n, (float)(s->ln_norm[k] / norm));
    }
    return WS_OK;
}

static void nap_save(const void *state, ws_ckpt *c) {
    const nap_state *s = state;
    ws_ckpt_f64(c, "learner.own.nap.weight_norms", s->w_norm, s->nw);
    ws_ckpt_f64(c, "learner.own.nap.layernorm_norms", s->ln_norm, s->nln);
}

static ws_status nap_load(void *state, ws_ctx *ctx, const ws_st_file *f, const char *path) {
    nap_state *s = state;
    ws_status st = ws_ckpt_get_f64(ctx, f, path, "learner.own.nap.weight_norms", s->w_norm, s->nw);
    return st ? st : ws_ckpt_get_f64(ctx, f, path, "learner.own.nap.layernorm_norms", s->ln_norm, s->nln);
}

const ws_remedy ws_remedy_nap = {
    .name = "nap",
    .help = "  nap             Normalize-and-Project (Lyle et al. 2024): LayerNorm before each activation\n"
            "                  (layer-norm=1 implied), and after every `every` updates each weight matrix and\n"
            "                  kernel scaled back to its first norm (head=0: not the output layer's), each\n"
            "                  LayerNorm's scale and offset jointly to theirs (affine=0: left alone); every 1\n",
    .params = PARAMS,
    .nparams = (int)(sizeof PARAMS / sizeof PARAMS[0]),
    .layer_norm = 1,
    .check = nap_check,
    .ops = {.create = nap_create, .destroy = nap_destroy, .start = nap_start, .after_step = nap_after_step,
            .save = nap_save, .load = nap_load},
};
