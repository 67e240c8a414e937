// Weight clipping (Elsayed, Lan, Lyle & Mahmood, "Weight Clipping for Deep Continual and
// Reinforcement Learning", RLJ 2024; mohmdelsayed/weight-clipping core/optim/weight_clipping.py,
// InitBounds and WeightClipping{SGD,Adam}.weight_clipping). After every update, each parameter
// is clamped to [-kappa b, kappa b], b = 1/sqrt(fan_in) of its Linear / Conv2d weight: PyTorch's
// default initialisation bound, the one every warmstart network is initialised with. A parameter
// that is not such a weight (a bias, a LayerNorm or BatchNorm scale or offset) takes the bound
// of the last weight before it in registration order, as InitBounds's `previous_weight` does.
// last=0 leaves the output layer alone (their clip_last_layer); norm=0 leaves normalisation
// layers' scales and offsets alone (a warmstart option: their rule clips them). The optimizer's
// state is not touched. docs/LEARNERS.md says where each choice comes from.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "learn/remedies.h"

enum { KAPPA, LAST, NORM };

static const ws_param_def PARAMS[] = {
    {"kappa", 1, 1e-6, 1e6, 0, "kappa"},
    {"last", 1, 0, 1, 1, "clip_last_layer"},
    {"norm", 1, 0, 1, 1, "clip_normalisation_parameters"},
};

// The layers whose parameters other than 2-D / 4-D weights are normalisation scales and
// offsets: LayerNorm, and the ResNet's conv + BatchNorm units (their convolutions have no bias).
static const char *const NORM_KINDS[] = {"layernorm", "conv_bn_relu", "basic_block"};

typedef struct {
    int n;
    float bound[WS_MAX_PARAMS]; // kappa b per parameter; < 0: not clipped
} clip_state;

static int is_weight(const ws_param *p) { return p->ndim == 2 || p->ndim == 4; }

// torch.nn.init._calculate_fan_in_and_fan_out's fan_in: in_features, or in_channels * kh * kw.
static int64_t fan_in(const ws_param *p) { return (int64_t)p->dims[1] * (p->ndim == 4 ? p->dims[2] * p->dims[3] : 1); }

static int is_norm_layer(const ws_layer *L) {
    for (size_t k = 0; k < sizeof NORM_KINDS / sizeof NORM_KINDS[0]; k++)
        if (!strcmp(L->ops->kind, NORM_KINDS[k])) return 1;
    return 0;
}

// Each parameter's bound (< 0 where it is left alone) and how many are clipped.
static ws_status clip_bounds(ws_ctx *ctx, const ws_learner *l, const ws_model *m, float *bound, int *nclipped) {
    const ws_layer *head = &m->layers[m->nlayers - 1];
    const ws_param *prev = NULL; // InitBounds.previous_weight
    *nclipped = 0;
    for (int j = 0; j < m->nlayers; j++) {
        const ws_layer *L = &m->layers[j];
        for (int p = L->param0; p < L->param0 + L->nparams; p++) {
            const ws_param *P = &m->params[p];
            if (is_weight(P)) prev = P;
            else if (!prev)
                return ws_fail(ctx, WS_ERR_ARG, "learner '%s': %s's %s comes before any weight to take its bound from",
                               l->name, m->arch, P->name);
            const int skip = (L == head && !l->p[LAST]) || (!is_weight(P) && is_norm_layer(L) && !l->p[NORM]);
            bound[p] = skip ? -1.0f : (float)(l->p[KAPPA] * (1.0 / sqrt((double)fan_in(prev))));
            *nclipped += !skip;
        }
    }
    return WS_OK;
}

static ws_status clip_check(ws_ctx *ctx, const ws_learner *l, const ws_model *m) {
    float bound[WS_MAX_PARAMS];
    int n;
    ws_status st = clip_bounds(ctx, l, m, bound, &n);
    if (!st && !n)
        st = ws_fail(ctx, WS_ERR_ARG, "learner '%s': %s has nothing to clip but its output layer (last=0)", l->name,
                     m->arch);
    return st;
}

static ws_status clip_create(ws_ctx *ctx, const ws_learner *def, const ws_model *m, void **out) {
    clip_state *s = ws_sys_calloc(1, sizeof *s);
    if (!s) return ws_fail(ctx, WS_ERR_NOMEM, "out of memory");
    int n;
    ws_status st = clip_bounds(ctx, def, m, s->bound, &n);
    if (st) {
        free(s);
        return st;
    }
    s->n = m->nparams;
    *out = s;
    return WS_OK;
}

static void clip_destroy(void *state) { free(state); }

// torch.clamp_: NaN stays NaN (neither comparison holds).
static ws_status clip_after_step(const ws_hook_env *h) {
    const clip_state *s = h->state;
    for (int p = 0; p < s->n; p++) {
        const float hi = s->bound[p], lo = -hi;
        if (hi < 0) continue;
        float *w = h->m->w + h->m->params[p].offset;
        for (int64_t i = 0; i < h->m->params[p].numel; i++) w[i] = w[i] < lo ? lo : w[i] > hi ? hi : w[i];
    }
    return WS_OK;
}

const ws_remedy ws_remedy_clip = {
    .name = "clip",
    .help = "  clip            weight clipping (Elsayed et al. 2024): after every update each parameter clamped\n"
            "                  to +-kappa/sqrt(fan_in) of its Linear/Conv2d weight (a bias, LayerNorm or\n"
            "                  BatchNorm parameter: of the weight before it); kappa 1; last=0: not the\n"
            "                  output layer; norm=0: not LayerNorm/BatchNorm scales and offsets\n",
    .params = PARAMS,
    .nparams = (int)(sizeof PARAMS / sizeof PARAMS[0]),
    .check = clip_check,
    .ops = {.create = clip_create, .destroy = clip_destroy, .after_step = clip_after_step},
};
