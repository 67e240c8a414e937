// DASH, direction-aware shrinking (Shin, Oh, Cho & Yun, "DASH: Warm-Starting
// Neural Network Training in Stationary Settings without Loss of Plasticity",
// NeurIPS 2024), as the authors' code does it: with the model held fixed,
// an exponential moving average of the negative mean-loss gradient over the
// round's mini-batches (training mode, BatchNorm statistics restored after),
// then each Linear weight row and each Conv2d kernel slice w[o, i, :, :] is
// multiplied by clamp(cos(-g_ema, w), lambda, 1) over that row / slice, and a
// Linear bias by one factor for the whole vector. Weights that the data keeps
// pulling along their own direction (features) stay; the rest (memorised
// noise) shrink toward zero. BatchNorm parameters are left alone.
#include <math.h>
#include <string.h>

#include "learn/learner.h"

// cos(a, b) over n entries, as torch.cosine_similarity (eps 1e-8 on the norms' product).
static double cosine(const float *a, const float *b, int64_t n) {
    double ab = 0, aa = 0, bb = 0;
    for (int64_t i = 0; i < n; i++) ab += (double)a[i] * b[i], aa += (double)a[i] * a[i], bb += (double)b[i] * b[i];
    double den = sqrt(aa) * sqrt(bb);
    return ab / (den > 1e-8 ? den : 1e-8);
}

static void scale_by_cosine(float *w, const float *g, int64_t n, float lambda) {
    double c = cosine(g, w, n);
    float s = (float)(c < lambda ? lambda : c > 1 ? 1 : c);
    for (int64_t i = 0; i < n; i++) w[i] *= s;
}

// The module (prefix before the last '.') of parameter p has a weight of 2 or
// 4 dimensions: a Linear or a Conv2d (BatchNorm's are 1-D).
static int in_linear_or_conv(const ws_model *m, int p) {
    const char *name = m->params[p].name, *dot = strrchr(name, '.');
    size_t len = dot ? (size_t)(dot - name) : strlen(name);
    for (int q = 0; q < m->nparams; q++) {
        const ws_param *Q = &m->params[q];
        if (!strncmp(Q->name, name, len) && !strcmp(Q->name + len, ".weight") && (Q->ndim == 2 || Q->ndim == 4))
            return 1;
    }
    return 0;
}

void ws_dash_shrink(ws_model *m, const float *gema, float lambda) {
    for (int p = 0; p < m->nparams; p++) {
        const ws_param *P = &m->params[p];
        float *w = m->w + P->offset;
        const float *g = gema + P->offset;
        if (P->ndim == 2) { // Linear (out, in): per output row
            for (int o = 0; o < P->dims[0]; o++) scale_by_cosine(w + (int64_t)o * P->dims[1], g + (int64_t)o * P->dims[1], P->dims[1], lambda);
        } else if (P->ndim == 4) { // Conv2d (O, I, kh, kw): per kernel slice
            const int64_t k = (int64_t)P->dims[2] * P->dims[3];
            for (int64_t s = 0; s < (int64_t)P->dims[0] * P->dims[1]; s++) scale_by_cosine(w + s * k, g + s * k, k, lambda);
        } else if (P->ndim == 1 && in_linear_or_conv(m, p)) { // a bias: one factor
            scale_by_cosine(w, g, P->numel, lambda);
        }
    }
}

typedef struct {
    float *ema;
    float alpha;
} gradient_ema;

static void update_ema(void *user, const ws_model *m, int b) {
    gradient_ema *e = user;
    for (int64_t i = 0; i < m->nweights; i++) e->ema[i] = (1 - e->alpha) * e->ema[i] - e->alpha * m->g[i];
}

ws_status ws_dash(ws_ctx *ctx, ws_model *m, const ws_dataset *d, const ws_norm *norm, const int32_t *idx, int64_t n,
                  int batch, float alpha, float lambda) {
    if (n <= 0) return WS_OK;
    float *ema = ws_alloc(ctx, sizeof(float) * (size_t)m->nweights);
    if (!ema) return ws_nomem(ctx);
    gradient_ema e = {ema, alpha};
    ws_status st = ws_each_batch_gradient(ctx, m, d, norm, idx, n, batch, update_ema, &e);
    if (!st) ws_dash_shrink(m, ema, lambda);
    ws_free(ema);
    return st;
}
