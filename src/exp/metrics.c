#include "exp/metrics.h"

#include "train/train.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

cJSON *ws_similarity_json(const ws_similarity *s) {
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "pearson", s->pearson);
    cJSON_AddNumberToObject(j, "cosine", s->cosine);
    cJSON_AddNumberToObject(j, "l2", s->l2);
    if (isfinite(s->spearman)) cJSON_AddNumberToObject(j, "spearman", s->spearman);
    return j;
}

int ws_similarity_from_json(const cJSON *j, ws_similarity *s) {
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(j, "pearson"), *c = cJSON_GetObjectItemCaseSensitive(j, "cosine"),
                *l = cJSON_GetObjectItemCaseSensitive(j, "l2");
    if (!cJSON_IsNumber(p) || !cJSON_IsNumber(c) || !cJSON_IsNumber(l)) return 0;
    const cJSON *r = cJSON_GetObjectItemCaseSensitive(j, "spearman"); // records from before it have none
    *s = (ws_similarity){p->valuedouble, c->valuedouble, l->valuedouble, cJSON_IsNumber(r) ? r->valuedouble : NAN};
    return 1;
}

typedef struct {
    float v;
    int64_t i;
} ranked;

static int by_value(const void *x, const void *y) {
    const ranked *p = x, *q = y;
    if (p->v != q->v) return p->v < q->v ? -1 : 1;
    return (p->i > q->i) - (p->i < q->i); // a total order: the sort's result does not depend on qsort
}

// Ranks 1..n of x (ties: their mean rank) into r; 0 without memory.
static int ranks_of(const float *x, int64_t n, double *r) {
    ranked *e = ws_sys_malloc(sizeof *e * (size_t)n);
    if (!e) return 0;
    for (int64_t i = 0; i < n; i++) e[i] = (ranked){x[i], i};
    qsort(e, (size_t)n, sizeof *e, by_value);
    for (int64_t i = 0; i < n;) {
        int64_t j = i + 1;
        while (j < n && e[j].v == e[i].v) j++;
        const double mean = 0.5 * (double)(i + 1 + j); // ranks i+1 .. j
        for (int64_t k = i; k < j; k++) r[e[k].i] = mean;
        i = j;
    }
    free(e);
    return 1;
}

// Pearson's correlation of doubles (0 if either is constant).
static double pearson_of(const double *a, const double *b, int64_t n) {
    double sa = 0, sb = 0;
    for (int64_t i = 0; i < n; i++) sa += a[i], sb += b[i];
    const double ma = sa / (double)n, mb = sb / (double)n;
    double cab = 0, caa = 0, cbb = 0;
    for (int64_t i = 0; i < n; i++) {
        const double u = a[i] - ma, v = b[i] - mb;
        cab += u * v, caa += u * u, cbb += v * v;
    }
    return caa > 0 && cbb > 0 ? cab / sqrt(caa * cbb) : 0.0;
}

double ws_spearman(const float *a, const float *b, int64_t n) {
    if (n <= 0) return 0.0;
    double *ra = ws_sys_malloc(sizeof *ra * (size_t)n), *rb = ws_sys_malloc(sizeof *rb * (size_t)n);
    double rho = NAN;
    if (ra && rb && ranks_of(a, n, ra) && ranks_of(b, n, rb)) rho = pearson_of(ra, rb, n);
    free(ra);
    free(rb);
    return rho;
}

static ws_similarity similarity(const float *a, const float *b, int64_t n) {
    ws_similarity s = {0, 0, 0, NAN};
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

ws_similarity ws_similarity_of(const float *a, const float *b, int64_t n) {
    ws_similarity s = similarity(a, b, n);
    s.spearman = ws_spearman(a, b, n);
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
            sims[nl] = similarity(a + off, b + off, len);
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

ws_status ws_shrink_eval(ws_ctx *ctx, ws_model *m, const ws_dataset *d, const ws_norm *norm, const int32_t *idx,
                         int64_t n, int batch, const double *lambda, int k, float *scratch, double *acc, double *loss) {
    memcpy(scratch, m->w, sizeof(float) * (size_t)m->nweights);
    ws_status st = WS_OK;
    for (int j = 0; j < k && !st; j++) {
        const float l = (float)lambda[j];
        for (int64_t i = 0; i < m->nweights; i++) m->w[i] = l * scratch[i];
        st = ws_evaluate(ctx, m, d, norm, idx, n, batch, &acc[j], &loss[j]);
    }
    memcpy(m->w, scratch, sizeof(float) * (size_t)m->nweights);
    return st;
}
