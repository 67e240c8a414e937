// Parseval regularisation (Chung et al., "Parseval Regularization for Continual Reinforcement
// Learning", NeurIPS 2024; wechu/parseval_reg @ e861c30, parseval_reg/agent.py
// lines 278-319). The loss gains lambda * sum_l c_l ||W_l W_l^T - s I||_F^2 over the weight
// matrices of the hidden layers (the first included, the output layer, biases and normalisation
// parameters not), rows = output units (a convolution's kernel as (out, in*kh*kw)), s = 2 (their
// orthogonal initialisation's gain squared), c_l = (width / rows_l)^2 (their (64/net_width)^2,
// "since the original parseval_reg was tuned for width 64"; width=0: c_l = 1). Its gradient,
// lambda c_l 4 (W W^T - s I) W, is added after each backward, so the optimizer sees it (their
// penalty is part of the loss). docs/LEARNERS.md says where each choice comes from.
#include "learn/parseval.h"

#include <stdlib.h>
#include <string.h>

#include "learn/remedies.h"
#include "ops/backend.h"

enum { LAMBDA, SCALE, WIDTH };

static const ws_param_def PARAMS[] = {
    {"lambda", 1e-3, 0, 1e6, 0, "parseval_lambda"},
    {"s", 2, 0, 1e6, 0, "row_norm_squared_target"},
    {"width", 64, 0, 1e9, 1, "lambda_tuned_at_width"},
};

// One regularised matrix: where it lies in the arena and its shape.
typedef struct {
    int64_t off, cols;
    int rows;
} pv_matrix;

typedef struct {
    pv_matrix mat[WS_MAX_PARAMS];
    int n;
    float *scratch;
} pv_state;

int64_t ws_parseval_scratch(int rows, int64_t cols) { return (int64_t)rows * rows + 2 * (int64_t)rows * cols; }

double ws_parseval_penalty(ws_ctx *ctx, const float *w, float *g, int rows, int64_t cols, float s, float coef,
                           float *scratch) {
    const ws_backend *be = ws_backend_of(ctx);
    float *P = scratch, *wt = P + (int64_t)rows * rows, *G = wt + (int64_t)rows * cols;
    be->linear_forward(ctx, P, w, w, NULL, rows, (int)cols, rows); // W W^T
    double sum = 0;
    for (int i = 0; i < rows; i++) {
        P[(int64_t)i * rows + i] -= s;
        for (int j = 0; j < rows; j++) sum += (double)P[(int64_t)i * rows + j] * P[(int64_t)i * rows + j];
    }
    if (!g) return coef * sum;
    for (int r = 0; r < rows; r++) // W^T, so that linear_forward's in @ w^T is (W W^T - s I) W
        for (int64_t c = 0; c < cols; c++) wt[c * rows + r] = w[(int64_t)r * cols + c];
    be->linear_forward(ctx, G, P, wt, NULL, rows, rows, (int)cols);
    const float k = 4 * coef;
    for (int64_t i = 0; i < (int64_t)rows * cols; i++) g[i] += k * G[i];
    return coef * sum;
}

// The last layer with parameters: the output layer, never regularised.
static int head_of(const ws_model *m) {
    int j = m->nlayers - 1;
    while (j > 0 && !m->layers[j].nparams) j--;
    return j;
}

// The weight matrices of every layer before the head: Linear weights (2-d) and convolution
// kernels (4-d), a ResNet block's included; LayerNorm's (a CNN's is 3-d) and BatchNorm's (1-d)
// scales, and biases, not.
static int matrices_of(const ws_model *m, pv_matrix *out) {
    int n = 0;
    for (int j = 0; j < head_of(m); j++) {
        const ws_layer *L = &m->layers[j];
        if (!strcmp(L->ops->kind, "layernorm")) continue;
        for (int p = L->param0; p < L->param0 + L->nparams; p++) {
            const ws_param *P = &m->params[p];
            const char *dot = strrchr(P->name, '.');
            if ((P->ndim != 2 && P->ndim != 4) || !dot || strcmp(dot, ".weight")) continue;
            out[n++] = (pv_matrix){.off = P->offset, .rows = P->dims[0], .cols = P->numel / P->dims[0]};
        }
    }
    return n;
}

static ws_status pv_check(ws_ctx *ctx, const ws_learner *l, const ws_model *m) {
    pv_matrix mat[WS_MAX_PARAMS];
    if (!matrices_of(m, mat))
        return ws_fail(ctx, WS_ERR_ARG, "learner '%s': %s has no hidden layer's weights to regularise", l->name,
                       m->arch);
    return WS_OK;
}

static ws_status pv_create(ws_ctx *ctx, const ws_learner *def, const ws_model *m, void **out) {
    pv_state *s = ws_sys_calloc(1, sizeof *s);
    if (!s) return ws_fail(ctx, WS_ERR_NOMEM, "out of memory");
    s->n = matrices_of(m, s->mat);
    int64_t most = 1;
    for (int k = 0; k < s->n; k++) {
        const int64_t need = ws_parseval_scratch(s->mat[k].rows, s->mat[k].cols);
        if (need > most) most = need;
    }
    if (!(s->scratch = ws_sys_malloc(sizeof(float) * (size_t)most))) {
        free(s);
        return ws_fail(ctx, WS_ERR_NOMEM, "out of memory for Parseval's products (%lld floats)", (long long)most);
    }
    *out = s;
    return WS_OK;
}

static void pv_destroy(void *state) {
    pv_state *s = state;
    free(s->scratch), free(s);
}

static ws_status pv_after_backward(const ws_hook_env *h) {
    const pv_state *s = h->state;
    const double lambda = h->def->p[LAMBDA], width = h->def->p[WIDTH];
    for (int k = 0; k < s->n; k++) {
        const pv_matrix *M = &s->mat[k];
        const double c = width > 0 ? (width / M->rows) * (width / M->rows) : 1;
        ws_parseval_penalty(h->ctx, h->m->w + M->off, h->m->g + M->off, M->rows, M->cols, (float)h->def->p[SCALE],
                            (float)(lambda * c), s->scratch);
    }
    return WS_OK;
}

const ws_remedy ws_remedy_parseval = {
    .name = "parseval",
    .help = "  parseval        Parseval regularisation (Chung et al. 2024): the loss gains lambda (width/n)^2\n"
            "                  |W W^T - s I|_F^2 for each hidden layer's weights W (n output rows; a kernel\n"
            "                  as (out, in*kh*kw); the first layer included, the output layer, biases and\n"
            "                  norms not); lambda 1e-3, s 2, width 64 (0: no (width/n)^2 factor)\n",
    .params = PARAMS,
    .nparams = (int)(sizeof PARAMS / sizeof PARAMS[0]),
    .check = pv_check,
    .ops = {.create = pv_create, .destroy = pv_destroy, .after_backward = pv_after_backward},
};
