#include "exp/metrics.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

cJSON *ws_similarity_json(const ws_similarity *s) {
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "pearson", s->pearson);
    cJSON_AddNumberToObject(j, "cosine", s->cosine);
    cJSON_AddNumberToObject(j, "l2", s->l2);
    return j;
}

ws_similarity ws_similarity_of(const float *a, const float *b, int64_t n) {
    ws_similarity s = {0, 0, 0};
    if (n <= 0) return s;
    double sa = 0, sb = 0;
    for (int64_t i = 0; i < n; i++) sa += a[i], sb += b[i];
    const double ma = sa / (double)n, mb = sb / (double)n;
    double cab = 0, caa = 0, cbb = 0, dab = 0, daa = 0, dbb = 0, d2 = 0;
    for (int64_t i = 0; i < n; i++) {
        double x = a[i], y = b[i], u = x - ma, v = y - mb;
        cab += u * v, caa += u * u, cbb += v * v;
        dab += x * y, daa += x * x, dbb += y * y;
        d2 += (x - y) * (x - y);
    }
    s.pearson = caa > 0 && cbb > 0 ? cab / sqrt(caa * cbb) : 0.0;
    s.cosine = daa > 0 && dbb > 0 ? dab / sqrt(daa * dbb) : 0.0;
    s.l2 = sqrt(d2);
    return s;
}

int ws_similarity_per_layer(const ws_model *m, const float *a, const float *b, char (*names)[64], ws_similarity *sims,
                            int cap) {
    int nl = 0;
    for (int p = 0; p < m->nparams;) {
        const ws_param *P = &m->params[p];
        const char *dot = strrchr(P->name, '.');
        size_t plen = dot ? (size_t)(dot - P->name) : strlen(P->name);
        // The run of parameters with this prefix: contiguous in the arena.
        int q = p + 1;
        while (q < m->nparams && !strncmp(m->params[q].name, P->name, plen) && m->params[q].name[plen] == '.' &&
               !strchr(m->params[q].name + plen + 1, '.'))
            q++;
        if (nl < cap) {
            snprintf(names[nl], 64, "%.*s", (int)plen, P->name);
            int64_t off = P->offset, len = m->params[q - 1].offset + m->params[q - 1].numel - off;
            sims[nl] = ws_similarity_of(a + off, b + off, len);
        }
        nl++;
        p = q;
    }
    return nl < cap ? nl : cap;
}

ws_status ws_grad_norm(ws_ctx *ctx, ws_model *m, const ws_dataset *d, const ws_norm *norm, const int32_t *idx,
                       int64_t n, int batch, float *scratch, double *out) {
    *out = 0;
    if (n <= 0) return WS_OK;
    ws_status st = ws_model_plan(ctx, m, batch);
    if (st) return st;
    const int64_t ex = ws_dataset_example_size(d);
    float *x = ws_alloc(ctx, sizeof(float) * (size_t)batch * (size_t)ex);
    int32_t *y = ws_alloc(ctx, sizeof(int32_t) * (size_t)batch);
    float *keep_buf = ws_alloc(ctx, sizeof(float) * (size_t)(m->nbuf ? m->nbuf : 1));
    int64_t *keep_ibuf = ws_alloc(ctx, sizeof(int64_t) * (size_t)(m->nibuf ? m->nibuf : 1));
    if (!x || !y || !keep_buf || !keep_ibuf) {
        st = WS_ERR_NOMEM;
        goto done;
    }
    // Train-mode forwards update BatchNorm's running statistics: put them back after.
    memcpy(keep_buf, m->buf, sizeof(float) * (size_t)m->nbuf);
    memcpy(keep_ibuf, m->ibuf, sizeof(int64_t) * (size_t)m->nibuf);
    memset(scratch, 0, sizeof(float) * (size_t)m->nweights);
    ctx->fault = WS_OK;
    for (int64_t s = 0; s < n; s += batch) {
        int b = (int)(n - s < batch ? n - s : batch);
        ws_gather(x, y, d, norm, idx + s, b);
        ws_model_forward(ctx, m, x, b, 1);
        ws_model_loss(ctx, m, y, b, NULL);
        ws_model_zero_grad(m);
        ws_model_backward(ctx, m, y, b);
        if (ctx->fault) {
            st = ctx->fault;
            break;
        }
        // The batch's mean-loss gradient, weighted by its share of the n examples.
        const float w = (float)b / (float)n;
        for (int64_t i = 0; i < m->nweights; i++) scratch[i] += w * m->g[i];
    }
    double s2 = 0;
    for (int64_t i = 0; i < m->nweights; i++) s2 += (double)scratch[i] * scratch[i];
    *out = sqrt(s2);
    memcpy(m->buf, keep_buf, sizeof(float) * (size_t)m->nbuf);
    memcpy(m->ibuf, keep_ibuf, sizeof(int64_t) * (size_t)m->nibuf);
    ws_model_zero_grad(m);
done:
    ws_free(x), ws_free(y), ws_free(keep_buf), ws_free(keep_ibuf);
    return st;
}
