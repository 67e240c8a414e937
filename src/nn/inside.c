// Measurements inside the network (nn/inside.h; formulas and sources: docs/MEASUREMENTS.md).
#include "nn/inside.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops/backend.h"

// LAPACK's dgesdd, which Debian's OpenBLAS contains (there is no lapacke.h): the Fortran
// interface, 32-bit integers, and the hidden length of the character argument that
// gfortran-compiled code takes last.
void dgesdd_(const char *jobz, const int *m, const int *n, double *a, const int *lda, double *s, double *u,
             const int *ldu, double *vt, const int *ldvt, double *work, const int *lwork, int *iwork, int *info,
             size_t jobz_len);

ws_status ws_singular_values(ws_ctx *ctx, const double *a, int rows, int cols, double *sv) {
    if (rows < 1 || cols < 1) return ws_fail(ctx, WS_ERR_ARG, "singular values of an empty %dx%d matrix", rows, cols);
    // Row-major rows x cols is column-major cols x rows: the transpose, same singular values.
    const int M = cols, N = rows, k = rows < cols ? rows : cols, one = 1;
    double *copy = ws_sys_malloc(sizeof(double) * (size_t)rows * (size_t)cols);
    int *iwork = ws_sys_malloc(sizeof(int) * 8 * (size_t)k);
    double *work = NULL, dummy = 0, query = 0;
    int info = 0, lwork = -1;
    ws_status st = WS_OK;
    if (!copy || !iwork) {
        st = ws_fail(ctx, WS_ERR_NOMEM, "out of memory for the singular values of a %dx%d matrix", rows, cols);
        goto done;
    }
    memcpy(copy, a, sizeof(double) * (size_t)rows * (size_t)cols); // dgesdd overwrites its input
    dgesdd_("N", &M, &N, copy, &M, sv, &dummy, &one, &dummy, &one, &query, &lwork, iwork, &info, 1);
    lwork = info == 0 ? (int)query + 1 : 0;
    if (info) {
        st = ws_fail(ctx, WS_ERR_ARG, "dgesdd's workspace query for a %dx%d matrix failed (info %d)", rows, cols, info);
        goto done;
    }
    if (!(work = ws_sys_malloc(sizeof(double) * (size_t)lwork))) {
        st = ws_fail(ctx, WS_ERR_NOMEM, "out of memory for dgesdd's workspace (a %dx%d matrix)", rows, cols);
        goto done;
    }
    dgesdd_("N", &M, &N, copy, &M, sv, &dummy, &one, &dummy, &one, work, &lwork, iwork, &info, 1);
    if (info) st = ws_fail(ctx, WS_ERR_ARG, "dgesdd did not converge on a %dx%d matrix (info %d)", rows, cols, info);
done:
    free(copy), free(iwork), free(work);
    return st;
}

int ws_srank(const double *sv, int n, double delta) {
    double total = 0, partial = 0;
    for (int i = 0; i < n; i++) total += sv[i];
    if (!(total > 0)) return 0;
    for (int k = 1; k <= n; k++) {
        partial += sv[k - 1];
        if (partial >= (1.0 - delta) * total) return k;
    }
    return n; // rounding: the whole sum fell a hair short of itself
}

double ws_effective_rank(const double *sv, int n) {
    double total = 0, entropy = 0;
    for (int i = 0; i < n; i++) total += sv[i];
    if (!(total > 0)) return 0;
    for (int i = 0; i < n; i++) {
        const double p = sv[i] / total;
        if (p > 0) entropy -= p * log(p);
    }
    return exp(entropy);
}

double ws_stable_rank(const double *sv, int n) {
    if (n < 1 || !(sv[0] > 0)) return 0;
    double frob2 = 0;
    for (int i = 0; i < n; i++) frob2 += sv[i] * sv[i];
    return frob2 / (sv[0] * sv[0]);
}

double ws_redo_dormant_fraction(const double *mean_abs, int n, double tau) {
    if (n < 1) return 0;
    double mean = 0;
    for (int i = 0; i < n; i++) mean += mean_abs[i];
    mean /= n;
    int dormant = 0;
    for (int i = 0; i < n; i++) dormant += mean_abs[i] / (mean + WS_INSIDE_REDO_EPS) <= tau;
    return (double)dormant / n;
}

double ws_dohare_dormant_fraction(const int64_t *active, int n, int64_t count, double threshold) {
    if (n < 1 || count < 1) return 0;
    int dormant = 0;
    for (int i = 0; i < n; i++) dormant += (double)active[i] / (double)count < threshold;
    return (double)dormant / n;
}

// ---- the probe ----

// What the eval-mode passes gather for one hidden layer, summed over the probe in example
// order (so that a chunked probe adds the same numbers in the same order as a whole one).
typedef struct {
    int layer;        // index in m->layers
    int units, positions;
    double *abs_sum;  // per unit: sum of |h| over examples and positions
    int64_t *active;  // per unit: outputs > 0
} unit_sums;

// Everything a measurement allocates, freed in one place.
typedef struct {
    unit_sums hidden[WS_MAX_LAYERS];
    int nhidden;
    double *sums;      // the hidden layers' abs_sum, back to back
    int64_t *counts;   // their active counts
    float *nchw;       // one hidden layer's chunk of outputs in NCHW
    double *features;  // B x d penultimate features
    float *grad_sum;   // the probe's mean gradient
    float *keep_g;     // the gradient arena as the caller left it
    float *keep_buf;
    int64_t *keep_ibuf;
    double *matrix, *sv; // a weight matrix in double and its singular values
} probe_memory;

static void probe_memory_free(probe_memory *p) {
    free(p->sums), free(p->counts), ws_free(p->nchw), free(p->features), ws_free(p->grad_sum), ws_free(p->keep_g);
    free(p->keep_buf), free(p->keep_ibuf), free(p->matrix), free(p->sv);
}

// The last Linear layer: its input is the penultimate features. -1 if there is none.
static int head_layer(const ws_model *m) {
    for (int i = m->nlayers - 1; i >= 0; i--)
        if (!strcmp(m->layers[i].ops->kind, "linear")) return i;
    return -1;
}

// The buffer holding layer i's input after a forward (views resolved to what they alias).
static const float *input_of(const ws_model *m, int i) {
    while (i > 0 && !m->act[i]) i--;
    return m->act[i];
}

static int64_t max_matrix_numel(const ws_model *m, int *max_side) {
    int64_t most = 0;
    *max_side = 0;
    for (int i = 0; i < m->nparams; i++) {
        const ws_param *p = &m->params[i];
        if (p->ndim < 2) continue;
        if (p->numel > most) most = p->numel;
        int side = p->dims[0] < p->numel / p->dims[0] ? p->dims[0] : (int)(p->numel / p->dims[0]);
        if (side > *max_side) *max_side = side;
    }
    return most;
}

static ws_status probe_memory_alloc(ws_ctx *ctx, const ws_model *m, int B, int chunk, int d, probe_memory *p) {
    int64_t units = 0, biggest = 0;
    for (int i = 0; i < m->nlayers; i++) {
        const ws_layer *L = &m->layers[i];
        if (!L->ops->post_activation) continue;
        unit_sums *u = &p->hidden[p->nhidden++];
        u->layer = i, u->units = L->out.c, u->positions = L->out.h * L->out.w;
        units += u->units;
        if (ws_shape_numel(L->out) > biggest) biggest = ws_shape_numel(L->out);
    }
    int side;
    const int64_t matrix = max_matrix_numel(m, &side);
    const int fside = B < d ? B : d;
    p->sums = ws_sys_calloc((size_t)(units ? units : 1), sizeof(double));
    p->counts = ws_sys_calloc((size_t)(units ? units : 1), sizeof(int64_t));
    p->nchw = ws_alloc(ctx, sizeof(float) * (size_t)(biggest * chunk > 0 ? biggest * chunk : 1));
    p->features = ws_sys_malloc(sizeof(double) * (size_t)B * (size_t)d);
    p->grad_sum = ws_alloc(ctx, sizeof(float) * (size_t)m->nweights);
    p->keep_g = ws_alloc(ctx, sizeof(float) * (size_t)m->nweights);
    p->keep_buf = ws_sys_malloc(sizeof(float) * (size_t)(m->nbuf ? m->nbuf : 1));
    p->keep_ibuf = ws_sys_malloc(sizeof(int64_t) * (size_t)(m->nibuf ? m->nibuf : 1));
    p->matrix = ws_sys_malloc(sizeof(double) * (size_t)(matrix ? matrix : 1));
    p->sv = ws_sys_malloc(sizeof(double) * (size_t)((side > fside ? side : fside) + 1));
    if (!p->sums || !p->counts || !p->nchw || !p->features || !p->grad_sum || !p->keep_g || !p->keep_buf ||
        !p->keep_ibuf || !p->matrix || !p->sv)
        return ws_fail(ctx, WS_ERR_NOMEM, "out of memory for a measurement inside %s", m->arch);
    int64_t off = 0;
    for (int h = 0; h < p->nhidden; h++) {
        p->hidden[h].abs_sum = p->sums + off;
        p->hidden[h].active = p->counts + off;
        off += p->hidden[h].units;
    }
    return WS_OK;
}

// Add one chunk's outputs (b examples, NCHW) of a hidden layer to its sums, example by example.
static void add_unit_sums(unit_sums *u, const float *h, int b) {
    const int C = u->units, P = u->positions;
    for (int e = 0; e < b; e++)
        for (int c = 0; c < C; c++) {
            const float *row = h + ((int64_t)e * C + c) * P;
            double s = 0;
            int64_t on = 0;
            for (int q = 0; q < P; q++) {
                s += fabs((double)row[q]);
                on += row[q] > 0;
            }
            u->abs_sum[c] += s;
            u->active[c] += on;
        }
}

// The eval-mode passes: the hidden layers' sums and the penultimate features.
static ws_status eval_passes(ws_ctx *ctx, ws_model *m, const float *x, int B, int chunk, int head, probe_memory *p) {
    const ws_backend *be = ws_backend_of(ctx);
    const int64_t in = ws_shape_numel(m->spec.input);
    const int d = (int)ws_shape_numel(m->layers[head].in);
    for (int s = 0; s < B; s += chunk) {
        const int b = B - s < chunk ? B - s : chunk;
        ws_model_forward(ctx, m, x + (int64_t)s * in, b, 0);
        if (ctx->fault) return ctx->fault;
        for (int h = 0; h < p->nhidden; h++) {
            unit_sums *u = &p->hidden[h];
            // A backend may keep convolutional activations blocked (ops/backend.h), unless the
            // layer's output is plain whatever the backend (the CNN's: ws_layer.plain_out).
            const float *out = m->act[u->layer + 1];
            if (!m->layers[u->layer].plain_out) {
                be->act_to_nchw(ctx, p->nchw, out, b, u->units, u->positions);
                out = p->nchw;
            }
            add_unit_sums(u, out, b);
        }
        const float *f = input_of(m, head); // plain (B, d): a Linear layer's input
        for (int64_t k = 0; k < (int64_t)b * d; k++) p->features[(int64_t)s * d + k] = f[k];
    }
    return WS_OK;
}

// The train-mode passes: the gradient of the probe's mean cross-entropy, each chunk's mean
// gradient weighted by its share of the probe (as ws_grad_norm), into p->grad_sum.
static ws_status gradient_passes(ws_ctx *ctx, ws_model *m, const float *x, const int32_t *y, int B, int chunk,
                                 probe_memory *p) {
    const int64_t in = ws_shape_numel(m->spec.input);
    memset(p->grad_sum, 0, sizeof(float) * (size_t)m->nweights);
    for (int s = 0; s < B; s += chunk) {
        const int b = B - s < chunk ? B - s : chunk;
        ws_model_forward(ctx, m, x + (int64_t)s * in, b, 1);
        ws_model_loss(ctx, m, y + s, b, NULL);
        ws_model_zero_grad(m);
        ws_model_backward(ctx, m, y + s, b);
        if (ctx->fault) return ctx->fault;
        const float share = (float)b / (float)B;
        for (int64_t i = 0; i < m->nweights; i++) p->grad_sum[i] += share * m->g[i];
    }
    return WS_OK;
}

static double norm2(const float *v, int64_t n) {
    double s = 0;
    for (int64_t i = 0; i < n; i++) s += (double)v[i] * v[i];
    return sqrt(s);
}

static void parameter_measures(const ws_model *m, const float *w0, ws_inside *out) {
    double abs_sum = 0, dist2 = 0;
    for (int64_t i = 0; i < m->nweights; i++) {
        abs_sum += fabs((double)m->w[i]);
        if (w0) dist2 += ((double)m->w[i] - w0[i]) * ((double)m->w[i] - w0[i]);
    }
    out->param_mean_abs = m->nweights ? abs_sum / (double)m->nweights : 0;
    out->param_norm = norm2(m->w, m->nweights);
    out->param_dist_init = w0 ? sqrt(dist2) : NAN;
}

static ws_status matrix_measures(ws_ctx *ctx, const ws_model *m, probe_memory *p, ws_inside *out) {
    out->nmatrices = 0;
    for (int i = 0; i < m->nparams; i++) {
        const ws_param *P = &m->params[i];
        if (P->ndim < 2) continue;
        ws_inside_matrix *r = &out->matrices[out->nmatrices++];
        snprintf(r->name, sizeof r->name, "%s", P->name);
        r->rows = P->dims[0], r->cols = (int)(P->numel / P->dims[0]); // a conv weight (O,C,KH,KW) as O x C*KH*KW
        for (int64_t k = 0; k < P->numel; k++) p->matrix[k] = m->w[P->offset + k];
        ws_status st = ws_singular_values(ctx, p->matrix, r->rows, r->cols, p->sv);
        if (st) return st;
        r->stable_rank = ws_stable_rank(p->sv, r->rows < r->cols ? r->rows : r->cols);
    }
    return WS_OK;
}

static void layer_measures(const ws_model *m, const probe_memory *p, int B, ws_inside *out) {
    static const double taus[WS_INSIDE_NTAU] = WS_INSIDE_TAUS;
    out->nlayers = p->nhidden;
    for (int h = 0; h < p->nhidden; h++) {
        const unit_sums *u = &p->hidden[h];
        ws_inside_layer *r = &out->layers[h];
        snprintf(r->name, sizeof r->name, "%s", m->layers[u->layer].name);
        r->units = u->units, r->positions = u->positions;
        const int64_t count = (int64_t)B * u->positions; // outputs per unit over the probe
        int64_t on = 0;
        // ReDo's score: mean |h| over examples and positions (the sums reused in place).
        double *score = u->abs_sum;
        for (int c = 0; c < u->units; c++) score[c] /= (double)count, on += u->active[c];
        for (int t = 0; t < WS_INSIDE_NTAU; t++) r->redo_dormant[t] = ws_redo_dormant_fraction(score, u->units, taus[t]);
        r->dohare_dormant = ws_dohare_dormant_fraction(u->active, u->units, count, WS_INSIDE_DOHARE_THRESHOLD);
        r->active_fraction = (double)on / ((double)count * u->units);
    }
}

static int default_chunk(const ws_model *m, const ws_inside_opts *opts, int B) {
    int c = opts && opts->chunk > 0 ? opts->chunk : m->planned_train ? m->planned_batch : WS_INSIDE_DEFAULT_CHUNK;
    return c < B ? c : B;
}

ws_status ws_inside_measure(ws_ctx *ctx, ws_model *m, const float *w0, const float *x, const int32_t *y, int B,
                            const ws_inside_opts *opts, ws_inside *out) {
    memset(out, 0, sizeof *out);
    if (B < 1) return ws_fail(ctx, WS_ERR_ARG, "a measurement inside the network needs a probe of at least 1 example");
    const int head = head_layer(m);
    if (head < 0) return ws_fail(ctx, WS_ERR_ARG, "%s has no Linear layer: no penultimate features to measure", m->arch);
    const int chunk = default_chunk(m, opts, B), d = (int)ws_shape_numel(m->layers[head].in);
    // A training plan keeps every layer's output after a forward (an inference plan would
    // overwrite them), and the gradient needs one anyway; no-op when the model has one.
    ws_status st = ws_model_plan(ctx, m, chunk);
    if (st) return st;
    probe_memory p = {0};
    if ((st = probe_memory_alloc(ctx, m, B, chunk, d, &p))) goto done;
    // Train-mode forwards move BatchNorm's statistics and the backward writes the gradient
    // arena: kept here, put back below whatever happens.
    memcpy(p.keep_g, m->g, sizeof(float) * (size_t)m->nweights);
    memcpy(p.keep_buf, m->buf, sizeof(float) * (size_t)m->nbuf);
    memcpy(p.keep_ibuf, m->ibuf, sizeof(int64_t) * (size_t)m->nibuf);
    const ws_status fault_before = ctx->fault;
    ctx->fault = WS_OK;
    st = eval_passes(ctx, m, x, B, chunk, head, &p);
    if (!st) st = gradient_passes(ctx, m, x, y, B, chunk, &p);
    if (!st) ctx->fault = fault_before;
    memcpy(m->g, p.keep_g, sizeof(float) * (size_t)m->nweights);
    memcpy(m->buf, p.keep_buf, sizeof(float) * (size_t)m->nbuf);
    memcpy(m->ibuf, p.keep_ibuf, sizeof(int64_t) * (size_t)m->nibuf);
    if (st) goto done;

    out->probe_examples = B;
    out->grad_norm = norm2(p.grad_sum, m->nweights);
    layer_measures(m, &p, B, out);
    out->feature_dim = d;
    const int k = B < d ? B : d;
    if ((st = ws_singular_values(ctx, p.features, B, d, p.sv))) goto done;
    out->feature_srank = ws_srank(p.sv, k, WS_INSIDE_SRANK_DELTA);
    out->feature_effective_rank = ws_effective_rank(p.sv, k);
    if ((st = matrix_measures(ctx, m, &p, out))) goto done;
    parameter_measures(m, w0, out);
done:
    probe_memory_free(&p);
    return st;
}

ws_inside_summary ws_inside_summarise(const ws_inside *in) {
    ws_inside_summary s;
    double units = 0, outputs = 0, dormant[WS_INSIDE_NTAU] = {0}, dohare = 0, active = 0;
    for (int l = 0; l < in->nlayers; l++) {
        const ws_inside_layer *x = &in->layers[l];
        const double o = (double)x->units * x->positions;
        for (int t = 0; t < WS_INSIDE_NTAU; t++) dormant[t] += x->redo_dormant[t] * x->units;
        dohare += x->dohare_dormant * x->units;
        active += x->active_fraction * o;
        units += x->units, outputs += o;
    }
    for (int t = 0; t < WS_INSIDE_NTAU; t++) s.redo_dormant[t] = units > 0 ? dormant[t] / units : NAN;
    s.dohare_dormant = units > 0 ? dohare / units : NAN;
    s.active_fraction = outputs > 0 ? active / outputs : NAN;
    s.srank = in->feature_srank, s.effective_rank = in->feature_effective_rank;
    s.param_mean_abs = in->param_mean_abs, s.param_norm = in->param_norm;
    s.param_dist_init = in->param_dist_init, s.grad_norm = in->grad_norm;
    return s;
}
