#include "optim/optim.h"

#include <math.h>
#include <string.h>

ws_opt_config ws_opt_defaults(ws_opt_kind kind, float lr) {
    ws_opt_config c;
    memset(&c, 0, sizeof c);
    c.kind = kind;
    c.lr = lr;
    c.beta1 = 0.9f;
    c.beta2 = 0.999f;
    c.eps = 1e-8f;
    return c;
}

ws_status ws_opt_kind_parse(ws_ctx *ctx, const char *s, ws_opt_kind *out) {
    if (!strcmp(s, "sgd")) *out = WS_OPT_SGD;
    else if (!strcmp(s, "adam")) *out = WS_OPT_ADAM;
    else return ws_fail(ctx, WS_ERR_ARG, "unknown optimizer '%s' (expected sgd or adam)", s);
    return WS_OK;
}

const char *ws_opt_kind_name(ws_opt_kind k) { return k == WS_OPT_SGD ? "sgd" : "adam"; }

ws_status ws_opt_config_check(ws_ctx *ctx, const ws_opt_config *c) {
    if (!(isfinite(c->lr) && c->lr >= 0)) return ws_fail(ctx, WS_ERR_ARG, "learning rate %g must be finite and >= 0", c->lr);
    if (!(isfinite(c->weight_decay) && c->weight_decay >= 0))
        return ws_fail(ctx, WS_ERR_ARG, "weight decay %g must be finite and >= 0", c->weight_decay);
    if (!(c->momentum >= 0 && c->momentum < 1)) return ws_fail(ctx, WS_ERR_ARG, "momentum %g must be in [0, 1)", c->momentum);
    if (c->nesterov && (c->momentum <= 0 || c->dampening != 0))
        return ws_fail(ctx, WS_ERR_ARG, "Nesterov momentum requires a momentum > 0 and zero dampening");
    if (!(c->beta1 >= 0 && c->beta1 < 1) || !(c->beta2 >= 0 && c->beta2 < 1))
        return ws_fail(ctx, WS_ERR_ARG, "Adam betas (%g, %g) must be in [0, 1)", c->beta1, c->beta2);
    if (!(c->eps > 0)) return ws_fail(ctx, WS_ERR_ARG, "Adam eps %g must be > 0", c->eps);
    return WS_OK;
}

ws_status ws_optim_create(ws_ctx *ctx, ws_optim *opt, const ws_opt_config *cfg, int64_t n) {
    memset(opt, 0, sizeof *opt);
    ws_status st = ws_opt_config_check(ctx, cfg);
    if (st) return st;
    opt->cfg = *cfg;
    opt->n = n;
    int needs1 = cfg->kind == WS_OPT_ADAM || cfg->momentum > 0;
    if (needs1 && !(opt->buf1 = ws_alloc(ctx, sizeof(float) * (size_t)n))) return WS_ERR_NOMEM;
    if (cfg->kind == WS_OPT_ADAM && !(opt->buf2 = ws_alloc(ctx, sizeof(float) * (size_t)n))) {
        ws_optim_free(opt);
        return WS_ERR_NOMEM;
    }
    return WS_OK;
}

void ws_optim_free(ws_optim *opt) {
    ws_free(opt->buf1);
    ws_free(opt->buf2);
    opt->buf1 = opt->buf2 = NULL;
}

void ws_optim_reset(ws_optim *opt) {
    if (opt->buf1) memset(opt->buf1, 0, sizeof(float) * (size_t)opt->n);
    if (opt->buf2) memset(opt->buf2, 0, sizeof(float) * (size_t)opt->n);
    opt->step = 0;
}

// torch.optim.SGD: d = g + wd*w; buf = d (first step) or mu*buf + (1-damp)*d;
// d = nesterov ? d + mu*buf : buf; w -= lr*d.
static void sgd_step(ws_optim *o, float *restrict w, const float *restrict g) {
    const float lr = o->cfg.lr, wd = o->cfg.weight_decay, mu = o->cfg.momentum, damp = o->cfg.dampening;
    const int64_t n = o->n;
    if (mu == 0.0f) {
        #pragma omp parallel for simd schedule(static)
        for (int64_t i = 0; i < n; i++) w[i] -= lr * (g[i] + wd * w[i]);
        return;
    }
    float *restrict buf = o->buf1;
    const int first = o->step == 0, nesterov = o->cfg.nesterov;
    #pragma omp parallel for simd schedule(static)
    for (int64_t i = 0; i < n; i++) {
        float d = g[i] + wd * w[i];
        float b = first ? d : mu * buf[i] + (1.0f - damp) * d;
        buf[i] = b;
        w[i] -= lr * (nesterov ? d + mu * b : b);
    }
}

// torch.optim.Adam / AdamW (1.13, single-tensor): with t the step count,
// m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2;
// w -= (lr / (1-b1^t)) * m / (sqrt(v) / sqrt(1-b2^t) + eps).
// Adam adds wd*w to g; AdamW first multiplies w by (1 - lr*wd).
static void adam_step(ws_optim *o, float *restrict w, const float *restrict g) {
    const float lr = o->cfg.lr, wd = o->cfg.weight_decay, b1 = o->cfg.beta1, b2 = o->cfg.beta2, eps = o->cfg.eps;
    const int decoupled = o->cfg.decoupled;
    const int64_t n = o->n;
    float *restrict m = o->buf1, *restrict v = o->buf2;
    double t = (double)o->step + 1.0;
    const float bc1 = (float)(1.0 - pow(b1, t));
    const float bc2_sqrt = (float)sqrt(1.0 - pow(b2, t));
    const float step_size = lr / bc1;
    const float shrink = 1.0f - lr * wd;
    #pragma omp parallel for simd schedule(static)
    for (int64_t i = 0; i < n; i++) {
        float gi = g[i], wi = w[i];
        if (decoupled) wi *= shrink;
        else gi += wd * wi;
        float mi = b1 * m[i] + (1.0f - b1) * gi;
        float vi = b2 * v[i] + (1.0f - b2) * gi * gi;
        m[i] = mi;
        v[i] = vi;
        w[i] = wi - step_size * (mi / (sqrtf(vi) / bc2_sqrt + eps));
    }
}

void ws_optim_step(ws_optim *opt, float *w, const float *g) {
    if (opt->cfg.kind == WS_OPT_SGD) sgd_step(opt, w, g);
    else adam_step(opt, w, g);
    opt->step++;
}
