// Penalties toward an anchor (EWC, L2-init) and the diagonal Fisher EWC weighs
// them by. The penalty enters as a gradient term added after each backward,
// so the optimizer sees the gradient of loss + penalty; the recorded training
// loss stays the data loss (the threshold is on accuracy, which it does not touch).
#include <string.h>

#include "learn/learner.h"

double ws_penalty_apply(float *g, const float *w, const float *anchor, const float *fisher, int64_t n, float lambda) {
    double pen = 0;
    for (int64_t i = 0; i < n; i++) {
        const float d = anchor ? w[i] - anchor[i] : w[i], f = fisher ? fisher[i] : 1.0f;
        g[i] += lambda * f * d;
        pen += (double)f * d * d;
    }
    return 0.5 * lambda * pen;
}

typedef struct {
    float *sum;
    int64_t batches;
} squares;

static void add_squared_gradient(void *user, const ws_model *m, int b) {
    squares *a = user;
    for (int64_t i = 0; i < m->nweights; i++) a->sum[i] += m->g[i] * m->g[i];
    a->batches++;
}

ws_status ws_fisher_diag(ws_ctx *ctx, ws_model *m, const ws_dataset *d, const ws_norm *norm, const int32_t *idx,
                         int64_t n, int batch, float *out) {
    memset(out, 0, sizeof(float) * (size_t)m->nweights);
    squares a = {out, 0};
    ws_status st = ws_each_batch_gradient(ctx, m, d, norm, idx, n, batch < 1 ? 1 : batch, add_squared_gradient, &a);
    for (int64_t i = 0; i < m->nweights && a.batches; i++) out[i] /= (float)a.batches;
    return st;
}
