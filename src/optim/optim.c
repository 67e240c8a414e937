#include "optim/optim.h"

#include <math.h>
#include <omp.h>
#include <string.h>

// The updates must round as the scalar formulas do at any vector width: never
// fuse a multiply and an add (the default under -std=c11; this holds it for
// other modes too, e.g. the AVX-512 clones, whose ISA has FMA).
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

// Below this many parameters the update stays on one thread.
#define WS_OPT_PAR_MIN (16 * 1024)

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
    if (needs1 && !(opt->buf1 = ws_alloc(ctx, sizeof(float) * (size_t)n))) return ws_nomem(ctx);
    if (cfg->kind == WS_OPT_ADAM && !(opt->buf2 = ws_alloc(ctx, sizeof(float) * (size_t)n))) {
        ws_optim_free(opt);
        return ws_nomem(ctx);
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
    opt->nrestarted = 0;
}

ws_status ws_optim_restart_range(ws_ctx *ctx, ws_optim *opt, int64_t off, int64_t len) {
    if (off < 0 || len < 1 || off + len > opt->n)
        return ws_fail(ctx, WS_ERR_ARG, "optimizer: range [%lld, %lld) outside its %lld floats", (long long)off,
                       (long long)(off + len), (long long)opt->n);
    ws_optim_range *r = opt->restarted;
    int at = 0, kept = 0;
    // Ranges inside the new one are absorbed; one that straddles its edge is refused.
    for (int i = 0; i < opt->nrestarted; i++) {
        const int64_t lo = r[i].off, hi = r[i].off + r[i].len;
        if (hi <= off || lo >= off + len) {
            r[kept++] = r[i];
            continue;
        }
        if (lo < off || hi > off + len)
            return ws_fail(ctx, WS_ERR_ARG, "optimizer: range [%lld, %lld) overlaps a restarted one in part",
                           (long long)off, (long long)(off + len));
    }
    if (kept == WS_OPTIM_MAX_RANGES)
        return ws_fail(ctx, WS_ERR_ARG, "optimizer: more than %d restarted ranges", WS_OPTIM_MAX_RANGES);
    while (at < kept && r[at].off < off) at++;
    memmove(r + at + 1, r + at, sizeof *r * (size_t)(kept - at));
    r[at] = (ws_optim_range){off, len, 0};
    opt->nrestarted = kept + 1;
    if (opt->buf1) memset(opt->buf1 + off, 0, sizeof(float) * (size_t)len);
    if (opt->buf2) memset(opt->buf2 + off, 0, sizeof(float) * (size_t)len);
    return WS_OK;
}

// The update loops run on the OpenMP threads, each thread on one fixed block
// of the arenas, and are written so that they vectorise (no branch in a loop
// body: every configuration has its own loop). Each element's update is
// independent and uses the same operations in the same order whatever the
// split or the vector width (C11 mode: no FMA contraction; IEEE sqrt and
// division are correctly rounded at any width), so a step gives the same bits
// for any thread count and on any x86-64.

typedef struct {
    float *w, *buf1, *buf2;
    const float *g;
    float lr, wd, mu, keep;                          // SGD
    float b1, b2, c1, c2, eps, bc2_sqrt, step_size, shrink; // Adam
} upd_args;

typedef void (*upd_fn)(const upd_args *a, int64_t lo, int64_t hi);

static void run_blocks(upd_fn f, const upd_args *a, int64_t n) {
    if (n < WS_OPT_PAR_MIN || omp_in_parallel() || omp_get_max_threads() == 1) {
        f(a, 0, n);
        return;
    }
    #pragma omp parallel
    {
        int64_t t = omp_get_thread_num(), T = omp_get_num_threads();
        // Block edges on 16-float (64-byte) lines: no line is shared.
        int64_t lo = n * t / T / 16 * 16, hi = t == T - 1 ? n : n * (t + 1) / T / 16 * 16;
        f(a, lo, hi);
    }
}

// Wider vectors where the CPU has them; the same bits as the default clone.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define WS_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define WS_CLONES
#endif

// torch.optim.SGD: d = g + wd*w; buf = d (first step) or mu*buf + (1-damp)*d;
// d = nesterov ? d + mu*buf : buf; w -= lr*d.
WS_CLONES static void sgd_plain(const upd_args *a, int64_t lo, int64_t hi) {
    float *restrict w = a->w;
    const float *restrict g = a->g;
    const float lr = a->lr, wd = a->wd;
    #pragma omp simd
    for (int64_t i = lo; i < hi; i++) w[i] -= lr * (g[i] + wd * w[i]);
}

WS_CLONES static void sgd_first(const upd_args *a, int64_t lo, int64_t hi) {
    float *restrict w = a->w, *restrict buf = a->buf1;
    const float *restrict g = a->g;
    const float lr = a->lr, wd = a->wd;
    #pragma omp simd
    for (int64_t i = lo; i < hi; i++) {
        float d = g[i] + wd * w[i];
        buf[i] = d;
        w[i] -= lr * d;
    }
}

WS_CLONES static void sgd_first_nesterov(const upd_args *a, int64_t lo, int64_t hi) {
    float *restrict w = a->w, *restrict buf = a->buf1;
    const float *restrict g = a->g;
    const float lr = a->lr, wd = a->wd, mu = a->mu;
    #pragma omp simd
    for (int64_t i = lo; i < hi; i++) {
        float d = g[i] + wd * w[i];
        buf[i] = d;
        w[i] -= lr * (d + mu * d);
    }
}

WS_CLONES static void sgd_momentum(const upd_args *a, int64_t lo, int64_t hi) {
    float *restrict w = a->w, *restrict buf = a->buf1;
    const float *restrict g = a->g;
    const float lr = a->lr, wd = a->wd, mu = a->mu, keep = a->keep;
    #pragma omp simd
    for (int64_t i = lo; i < hi; i++) {
        float d = g[i] + wd * w[i];
        float b = mu * buf[i] + keep * d;
        buf[i] = b;
        w[i] -= lr * b;
    }
}

WS_CLONES static void sgd_nesterov(const upd_args *a, int64_t lo, int64_t hi) {
    float *restrict w = a->w, *restrict buf = a->buf1;
    const float *restrict g = a->g;
    const float lr = a->lr, wd = a->wd, mu = a->mu, keep = a->keep;
    #pragma omp simd
    for (int64_t i = lo; i < hi; i++) {
        float d = g[i] + wd * w[i];
        float b = mu * buf[i] + keep * d;
        buf[i] = b;
        w[i] -= lr * (d + mu * b);
    }
}

// One segment [off, off + n) of the arenas whose state has taken `step` steps.
static void sgd_step(const ws_optim *o, float *w, const float *g, int64_t off, int64_t n, int64_t step) {
    upd_args a = {.w = w + off, .g = g + off, .buf1 = o->buf1 ? o->buf1 + off : NULL, .lr = o->cfg.lr,
                  .wd = o->cfg.weight_decay, .mu = o->cfg.momentum, .keep = 1.0f - o->cfg.dampening};
    upd_fn f;
    if (o->cfg.momentum == 0.0f) f = sgd_plain;
    else if (step == 0) f = o->cfg.nesterov ? sgd_first_nesterov : sgd_first;
    else f = o->cfg.nesterov ? sgd_nesterov : sgd_momentum;
    run_blocks(f, &a, n);
}

// torch.optim.Adam / AdamW (1.13, single-tensor): with t the step count,
// m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2;
// w -= (lr / (1-b1^t)) * m / (sqrt(v) / sqrt(1-b2^t) + eps).
// Adam adds wd*w to g; AdamW first multiplies w by (1 - lr*wd).
//
// The loop is written out with vector types: GCC does not vectorise sqrtf
// unless -fno-math-errno (for errno on negative input, which v never is), so
// the square root comes from the ISA's vector instruction. The arithmetic is
// the scalar formula's, operation for operation.
#define ADAM_ELEM(wi, gi, mi, vi, DECOUPLED)                                          \
    do {                                                                              \
        if (DECOUPLED) wi = wi * shrink;                                              \
        else gi = gi + wd * wi;                                                       \
        mi = b1 * mi + c1 * gi;                                                       \
        vi = b2 * vi + c2 * gi * gi;                                                  \
    } while (0)

#define ADAM_ARGS                                                                     \
    float *restrict w = a->w, *restrict m = a->buf1, *restrict v = a->buf2;          \
    const float *restrict g = a->g;                                                   \
    const float wd = a->wd, b1 = a->b1, b2 = a->b2, c1 = a->c1, c2 = a->c2;           \
    const float eps = a->eps, bc2_sqrt = a->bc2_sqrt, step_size = a->step_size;       \
    const float shrink = a->shrink;                                                   \
    (void)wd; (void)shrink

static inline void adam_scalar(const upd_args *a, int64_t lo, int64_t hi, int decoupled) {
    ADAM_ARGS;
    for (int64_t i = lo; i < hi; i++) {
        float wi = w[i], gi = g[i], mi = m[i], vi = v[i];
        ADAM_ELEM(wi, gi, mi, vi, decoupled);
        m[i] = mi;
        v[i] = vi;
        w[i] = wi - step_size * (mi / (sqrtf(vi) / bc2_sqrt + eps));
    }
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
// One kernel per vector width; vector operators broadcast the scalar operands.
#define ADAM_VECTOR(NAME, TARGET, VT, WIDTH, LOADU, STOREU, SQRT, DECOUPLED)           \
    __attribute__((target(TARGET))) static void NAME(const upd_args *a, int64_t lo, int64_t hi) { \
        ADAM_ARGS;                                                                    \
        int64_t i = lo;                                                               \
        for (; i + WIDTH <= hi; i += WIDTH) {                                         \
            VT wi = LOADU(w + i), gi = LOADU(g + i), mi = LOADU(m + i), vi = LOADU(v + i); \
            ADAM_ELEM(wi, gi, mi, vi, DECOUPLED);                                     \
            STOREU(m + i, mi);                                                        \
            STOREU(v + i, vi);                                                        \
            STOREU(w + i, wi - step_size * (mi / (SQRT(vi) / bc2_sqrt + eps)));        \
        }                                                                             \
        adam_scalar(a, i, hi, DECOUPLED);                                             \
    }
ADAM_VECTOR(adam_l2_avx512, "avx512f", __m512, 16, _mm512_loadu_ps, _mm512_storeu_ps, _mm512_sqrt_ps, 0)
ADAM_VECTOR(adam_decoupled_avx512, "avx512f", __m512, 16, _mm512_loadu_ps, _mm512_storeu_ps, _mm512_sqrt_ps, 1)
ADAM_VECTOR(adam_l2_avx, "avx", __m256, 8, _mm256_loadu_ps, _mm256_storeu_ps, _mm256_sqrt_ps, 0)
ADAM_VECTOR(adam_decoupled_avx, "avx", __m256, 8, _mm256_loadu_ps, _mm256_storeu_ps, _mm256_sqrt_ps, 1)
ADAM_VECTOR(adam_l2_sse, "sse2", __m128, 4, _mm_loadu_ps, _mm_storeu_ps, _mm_sqrt_ps, 0)
ADAM_VECTOR(adam_decoupled_sse, "sse2", __m128, 4, _mm_loadu_ps, _mm_storeu_ps, _mm_sqrt_ps, 1)

static upd_fn adam_kernel(int decoupled) {
    if (__builtin_cpu_supports("avx512f")) return decoupled ? adam_decoupled_avx512 : adam_l2_avx512;
    if (__builtin_cpu_supports("avx")) return decoupled ? adam_decoupled_avx : adam_l2_avx;
    return decoupled ? adam_decoupled_sse : adam_l2_sse;
}
#else
static void adam_l2_scalar(const upd_args *a, int64_t lo, int64_t hi) { adam_scalar(a, lo, hi, 0); }
static void adam_decoupled_scalar(const upd_args *a, int64_t lo, int64_t hi) { adam_scalar(a, lo, hi, 1); }
static upd_fn adam_kernel(int decoupled) { return decoupled ? adam_decoupled_scalar : adam_l2_scalar; }
#endif

static void adam_step(const ws_optim *o, float *w, const float *g, int64_t off, int64_t n, int64_t step) {
    const float lr = o->cfg.lr, b1 = o->cfg.beta1, b2 = o->cfg.beta2;
    double t = (double)step + 1.0;
    const float bc1 = (float)(1.0 - pow(b1, t));
    upd_args a = {.w = w + off, .g = g + off, .buf1 = o->buf1 + off, .buf2 = o->buf2 + off, .wd = o->cfg.weight_decay,
                  .b1 = b1, .b2 = b2, .c1 = 1.0f - b1, .c2 = 1.0f - b2, .eps = o->cfg.eps,
                  .bc2_sqrt = (float)sqrt(1.0 - pow(b2, t)), .step_size = lr / bc1,
                  .shrink = 1.0f - lr * o->cfg.weight_decay};
    run_blocks(adam_kernel(o->cfg.decoupled), &a, n);
}

static void step_segment(const ws_optim *o, float *w, const float *g, int64_t off, int64_t n, int64_t step) {
    if (n <= 0) return;
    if (o->cfg.kind == WS_OPT_SGD) sgd_step(o, w, g, off, n, step);
    else adam_step(o, w, g, off, n, step);
}

// The arena in segments: the restarted ranges with their own step counts, the rest with the
// optimizer's (without restarted ranges, one segment: the whole arena).
void ws_optim_step(ws_optim *opt, float *w, const float *g) {
    int64_t at = 0;
    for (int i = 0; i < opt->nrestarted; i++) {
        ws_optim_range *r = &opt->restarted[i];
        step_segment(opt, w, g, at, r->off - at, opt->step);
        step_segment(opt, w, g, r->off, r->len, r->step++);
        at = r->off + r->len;
    }
    step_segment(opt, w, g, at, opt->n - at, opt->step);
    opt->step++;
}
