#include "exp/metrics.h"

#include "train/train.h"

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

int ws_similarity_from_json(const cJSON *j, ws_similarity *s) {
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(j, "pearson"), *c = cJSON_GetObjectItemCaseSensitive(j, "cosine"),
                *l = cJSON_GetObjectItemCaseSensitive(j, "l2");
    if (!cJSON_IsNumber(p) || !cJSON_IsNumber(c) || !cJSON_IsNumber(l)) return 0;
    *s = (ws_similarity){p->valuedouble, c->valuedouble, l->valuedouble};
    return 1;
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

typedef struct {
    float *sum;
    int64_t n;
} grad_mean;

// Each batch's mean-loss gradient, weighted by its share of the n examples.
static void add_batch_gradient(void *user, const ws_model *m, int b) {
    grad_mean *a = user;
    const float w = (float)b / (float)a->n;
    for (int64_t i = 0; i < m->nweights; i++) a->sum[i] += w * m->g[i];
}

ws_status ws_grad_norm(ws_ctx *ctx, ws_model *m, const ws_dataset *d, const ws_norm *norm, const int32_t *idx,
                       int64_t n, int batch, float *scratch, double *out) {
    *out = 0;
    if (n <= 0) return WS_OK;
    memset(scratch, 0, sizeof(float) * (size_t)m->nweights);
    grad_mean a = {scratch, n};
    ws_status st = ws_each_batch_gradient(ctx, m, d, norm, idx, n, batch, add_batch_gradient, &a);
    if (st) return st;
    double s2 = 0;
    for (int64_t i = 0; i < m->nweights; i++) s2 += (double)scratch[i] * scratch[i];
    *out = sqrt(s2);
    return WS_OK;
}
