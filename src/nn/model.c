#include "nn/model.h"

#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <string.h>

#include "ops/backend.h"

int ws_model_add_param(ws_model *m, const char *layer, const char *suffix, int ndim, const int *dims) {
    ws_param *p = &m->params[m->nparams];
    snprintf(p->name, sizeof p->name, "%s.%s", layer, suffix);
    p->ndim = ndim;
    p->numel = 1;
    for (int i = 0; i < ndim; i++) {
        p->dims[i] = dims[i];
        p->numel *= dims[i];
    }
    p->offset = m->nweights;
    m->nweights += p->numel;
    return m->nparams++;
}

int ws_model_add_buffer(ws_model *m, const char *layer, const char *suffix, ws_buf_dtype dtype, int ndim,
                        const int *dims) {
    ws_buffer *b = &m->buffers[m->nbuffers];
    snprintf(b->name, sizeof b->name, "%s.%s", layer, suffix);
    b->dtype = dtype;
    b->ndim = ndim;
    b->numel = 1;
    for (int i = 0; i < ndim; i++) {
        b->dims[i] = dims[i];
        b->numel *= dims[i];
    }
    int64_t *n = dtype == WS_BUF_F32 ? &m->nbuf : &m->nibuf;
    b->offset = *n;
    *n += b->numel;
    return m->nbuffers++;
}

ws_model *ws_model_new(ws_ctx *ctx, const ws_model_spec *spec) {
    ws_model *m = ws_alloc(ctx, sizeof *m);
    if (m) m->spec = *spec;
    return m;
}

ws_layer *ws_model_add_layer(ws_model *m) { return &m->layers[m->nlayers++]; }

ws_status ws_model_finish(ws_ctx *ctx, ws_model *m, ws_model **out) {
    m->w = ws_alloc(ctx, sizeof(float) * (size_t)m->nweights);
    m->buf = ws_alloc(ctx, sizeof(float) * (size_t)m->nbuf);
    m->ibuf = ws_alloc(ctx, sizeof(int64_t) * (size_t)m->nibuf);
    if (!m->w || !m->buf || !m->ibuf) {
        ws_model_free(m);
        return ws_nomem(ctx);
    }
    *out = m;
    return WS_OK;
}

void ws_model_free(ws_model *m) {
    if (!m) return;
    for (int i = 0; i < m->nlayers; i++)
        if (m->layers[i].ops->destroy) m->layers[i].ops->destroy(&m->layers[i]);
    ws_free(m->w);
    ws_free(m->g);
    ws_free(m->buf);
    ws_free(m->ibuf);
    ws_free(m->scratch);
    ws_free(m->act_arena);
    ws_free(m->dact_arena);
    ws_free(m->probs);
    ws_free(m->losses);
    ws_free(m->correct);
    ws_free(m);
}

void ws_model_init(ws_model *m, ws_rng *rng) {
    for (int i = 0; i < m->nlayers; i++)
        if (m->layers[i].ops->init) m->layers[i].ops->init(&m->layers[i], m, rng);
}

// What a plan for batch B needs, in floats: the activation arena, the gradient
// arena and the shared scratch (scratch only when ctx is given: it depends on
// the backend).
typedef struct { int64_t act, dact, scratch, maxout; } plan_size;

static plan_size plan_size_of(const ws_ctx *ctx, const ws_model *m, int B, int train) {
    int64_t outs = 0, maxout = 0, saved = 0, maxsaved = 0, maxdsaved = 0, scratch = 0;
    for (int i = 0; i < m->nlayers; i++) {
        const ws_layer *L = &m->layers[i];
        if (!L->ops->is_view) {
            int64_t o = (int64_t)B * ws_shape_numel(L->out);
            outs += o;
            if (o > maxout) maxout = o;
        }
        if (L->ops->saved_floats) {
            int64_t n = L->ops->saved_floats(L, B, train);
            saved += n;
            if (n > maxsaved) maxsaved = n;
        }
        if (train && L->ops->dsaved_floats && L->ops->dsaved_floats(L, B) > maxdsaved) maxdsaved = L->ops->dsaved_floats(L, B);
        if (ctx && L->ops->scratch_floats && L->ops->scratch_floats(L, ctx, B) > scratch)
            scratch = L->ops->scratch_floats(L, ctx, B);
    }
    plan_size p = {.scratch = scratch, .maxout = maxout};
    if (train) {
        p.act = outs + saved;               // everything backward will read
        p.dact = 2 * maxout + maxdsaved;    // alternating output gradients + the layers' gradient scratch
    } else {
        p.act = 2 * maxout + maxsaved;      // alternating outputs + one shared saved region
        p.dact = 0;
    }
    return p;
}

int64_t ws_model_plan_floats(const ws_model *m, int B, int train) {
    plan_size p = plan_size_of(NULL, m, B, train);
    return p.act + p.dact;
}

// Make *arena hold at least `need` floats (contents not kept).
static int grow(ws_ctx *ctx, float **arena, int64_t *cap, int64_t need) {
    if (need <= *cap && *arena) return 1;
    float *p = ws_alloc(ctx, sizeof(float) * (size_t)(need > 0 ? need : 1));
    if (!p) return 0;
    ws_free(*arena);
    *arena = p;
    *cap = need;
    return 1;
}

static ws_status plan(ws_ctx *ctx, ws_model *m, int B, int train) {
    plan_size p = plan_size_of(ctx, m, B, train);
    // The gradient arena exists once the model is trained (inference never needs it).
    if (train && !m->g && !(m->g = ws_alloc(ctx, sizeof(float) * (size_t)m->nweights))) return ws_nomem(ctx);
    int C = m->spec.num_classes;
    if (!grow(ctx, &m->act_arena, &m->act_cap, p.act) || !grow(ctx, &m->dact_arena, &m->dact_cap, p.dact) ||
        !grow(ctx, &m->scratch, &m->scratch_cap, p.scratch))
        return ws_nomem(ctx);
    if (B > m->head_batch) {
        float *probs = ws_alloc(ctx, sizeof(float) * (size_t)B * (size_t)C);
        float *losses = ws_alloc(ctx, sizeof(float) * (size_t)B);
        uint8_t *correct = ws_alloc(ctx, (size_t)B);
        if (!probs || !losses || !correct) {
            ws_free(probs); ws_free(losses); ws_free(correct);
            return ws_nomem(ctx);
        }
        ws_free(m->probs); ws_free(m->losses); ws_free(m->correct);
        m->probs = probs; m->losses = losses; m->correct = correct;
        m->head_batch = B;
    }
    float *a = m->act_arena, *d = m->dact_arena;
    float *alt[2] = {train ? d : a, (train ? d : a) + p.maxout}; // the alternating buffers
    float *shared = train ? d + 2 * p.maxout : a + 2 * p.maxout; // gradient scratch / shared saved region
    int64_t off = 0;
    int k = 0;
    for (int i = 0; i < m->nlayers; i++) {
        ws_layer *L = &m->layers[i];
        if (L->ops->saved_floats) {
            if (train) {
                L->ops->plan(L, a + off, shared, B, 1);
                off += L->ops->saved_floats(L, B, 1);
            } else {
                L->ops->plan(L, shared, NULL, B, 0);
            }
        }
        if (L->ops->is_view) {
            m->act[i + 1] = NULL; // aliases its input, resolved at forward time
            m->dact[i + 1] = NULL;
            continue;
        }
        if (train) {
            m->act[i + 1] = a + off;
            off += (int64_t)B * ws_shape_numel(L->out);
            m->dact[i + 1] = alt[k++ % 2];
        } else {
            m->act[i + 1] = alt[k++ % 2];
            m->dact[i + 1] = NULL;
        }
    }
    m->planned_batch = B;
    m->planned_train = train;
    return WS_OK;
}

ws_status ws_model_plan(ws_ctx *ctx, ws_model *m, int B) {
    if (m->planned_train && B <= m->planned_batch) return WS_OK;
    return plan(ctx, m, B, 1);
}

ws_status ws_model_plan_inference(ws_ctx *ctx, ws_model *m, int B) {
    if (B <= m->planned_batch) return WS_OK;
    return plan(ctx, m, B, 0);
}

const float *ws_model_forward(ws_ctx *ctx, ws_model *m, const float *x, int B, int train) {
    // Views (Flatten) alias the buffer below them.
    float *acts[WS_MAX_LAYERS + 1];
    acts[0] = (float *)x;
    m->act[0] = (float *)x;
    for (int i = 0; i < m->nlayers; i++) {
        ws_layer *L = &m->layers[i];
        if (L->ops->is_view) {
            acts[i + 1] = acts[i];
            continue;
        }
        acts[i + 1] = m->act[i + 1];
        L->ops->forward(L, ctx, m, acts[i + 1], acts[i], B, train);
    }
    return acts[m->nlayers];
}

static const float *logits_of(const ws_model *m) {
    for (int i = m->nlayers; i > 0; i--)
        if (m->act[i]) return m->act[i];
    return m->act[0];
}

double ws_model_loss(ws_ctx *ctx, ws_model *m, const int32_t *y, int B, int *ncorrect) {
    int C = m->spec.num_classes;
    ws_backend_of(ctx)->softmax_ce_forward(ctx, m->probs, m->losses, m->correct, logits_of(m), y, B, C);
    double sum = 0.0;
    int hits = 0;
    for (int r = 0; r < B; r++) {
        sum += m->losses[r];
        hits += m->correct[r];
    }
    if (ncorrect) *ncorrect = hits;
    return sum / B;
}

void ws_model_zero_grad(ws_model *m) {
    const int64_t n = m->nweights;
    if (!m->g) return; // no training plan yet: no gradients to clear
    if (n < 64 * 1024 || omp_in_parallel() || omp_get_max_threads() == 1) {
        memset(m->g, 0, sizeof(float) * (size_t)n);
        return;
    }
    // Each thread clears one block (on 64-byte lines), the same blocks the
    // optimizer's threads then read, so the lines stay in that core's cache.
    #pragma omp parallel
    {
        int64_t t = omp_get_thread_num(), T = omp_get_num_threads();
        int64_t lo = n * t / T / 16 * 16, hi = t == T - 1 ? n : n * (t + 1) / T / 16 * 16;
        memset(m->g + lo, 0, sizeof(float) * (size_t)(hi - lo));
    }
}

// The log-sum-exp of one example's logits and the entropy of its softmax, in double.
static double row_entropy(const float *z, int C, double *lse) {
    double mx = z[0], s = 0.0, h = 0.0;
    for (int j = 1; j < C; j++)
        if (z[j] > mx) mx = z[j];
    for (int j = 0; j < C; j++) s += exp((double)z[j] - mx);
    *lse = mx + log(s);
    for (int j = 0; j < C; j++) {
        double lp = (double)z[j] - *lse;
        h -= exp(lp) * lp; // p log p -> 0 where p underflows: exp(lp) is 0, lp finite
    }
    return h;
}

double ws_model_entropy(const ws_model *m, int B) {
    const int C = m->spec.num_classes;
    const float *z = logits_of(m);
    double sum = 0.0, lse;
    for (int r = 0; r < B; r++) sum += row_entropy(z + (int64_t)r * C, C, &lse);
    return sum / B;
}

// Add the gradient of -beta * (mean entropy) w.r.t. the logits z into dz: per example and
// class, beta / B * p_j * (log p_j + H) (d(-H)/dz_j = p_j (log p_j + H)).
static void confidence_penalty_backward(float *dz, const float *z, double beta, int B, int C) {
    for (int r = 0; r < B; r++) {
        const float *zr = z + (int64_t)r * C;
        double lse, h = row_entropy(zr, C, &lse);
        for (int j = 0; j < C; j++) {
            double lp = (double)zr[j] - lse;
            dz[(int64_t)r * C + j] += (float)(beta / B * exp(lp) * (lp + h));
        }
    }
}

void ws_model_backward(ws_ctx *ctx, ws_model *m, const int32_t *y, int B) { ws_model_backward_ex(ctx, m, y, B, NULL); }

void ws_model_backward_ex(ws_ctx *ctx, ws_model *m, const int32_t *y, int B, const ws_backward_opts *opts) {
    int C = m->spec.num_classes;
    if (!m->planned_train || B > m->planned_batch) { // a programming error: say so rather than corrupt memory
        if (!ctx->fault) ctx->fault = ws_fail(ctx, WS_ERR_ARG, "backward needs a training plan for batch %d (ws_model_plan)", B);
        return;
    }
    float *dx = opts ? opts->dx : NULL;
    // Input and gradient buffers of each layer, with views resolved.
    float *acts[WS_MAX_LAYERS + 1], *dacts[WS_MAX_LAYERS + 1];
    acts[0] = m->act[0];
    dacts[0] = dx; // the gradient w.r.t. the data: only when asked for
    int first_param_layer = m->nlayers;
    for (int i = 0; i < m->nlayers; i++) {
        ws_layer *L = &m->layers[i];
        if (L->nparams > 0 && i < first_param_layer) first_param_layer = i;
        acts[i + 1] = L->ops->is_view ? acts[i] : m->act[i + 1];
        dacts[i + 1] = L->ops->is_view ? dacts[i] : m->dact[i + 1];
    }
    int last = m->nlayers; // the logits' gradient buffer
    while (!dacts[last]) last--;
    ws_backend_of(ctx)->softmax_ce_backward(ctx, dacts[last], m->probs, y, 1.0f / (float)B, B, C);
    if (opts && opts->confidence_penalty != 0)
        confidence_penalty_backward(dacts[last], logits_of(m), opts->confidence_penalty, B, C);
    for (int i = m->nlayers - 1; i >= 0; i--) {
        ws_layer *L = &m->layers[i];
        if (L->ops->is_view) continue;
        // Layers at or below the first parameterised one need no input gradient,
        // unless the gradient w.r.t. the data is asked for.
        float *din = i <= first_param_layer && !dx ? NULL : dacts[i];
        L->ops->backward(L, ctx, m, din, dacts[i + 1], acts[i], acts[i + 1], B);
    }
}

const ws_param *ws_model_param(const ws_model *m, const char *name) {
    for (int i = 0; i < m->nparams; i++)
        if (!strcmp(m->params[i].name, name)) return &m->params[i];
    return NULL;
}

const ws_buffer *ws_model_buffer(const ws_model *m, const char *name) {
    for (int i = 0; i < m->nbuffers; i++)
        if (!strcmp(m->buffers[i].name, name)) return &m->buffers[i];
    return NULL;
}

ws_status ws_model_copy_weights(ws_ctx *ctx, ws_model *dst, const ws_model *src) {
    if (dst->nweights != src->nweights || strcmp(dst->arch, src->arch))
        return ws_fail(ctx, WS_ERR_ARG, "cannot copy weights of '%s' into '%s'", src->arch, dst->arch);
    memcpy(dst->w, src->w, sizeof(float) * (size_t)src->nweights);
    memcpy(dst->buf, src->buf, sizeof(float) * (size_t)src->nbuf);
    memcpy(dst->ibuf, src->ibuf, sizeof(int64_t) * (size_t)src->nibuf);
    return WS_OK;
}
