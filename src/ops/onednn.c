// The oneDNN backend: the fast CPU path for convolutional networks.
//
// Convolutions run as oneDNN 2.6 primitives on activations kept in the blocked
// layout nChw16c between layers (see the layout note in ops/backend.h), so no
// activation is ever reordered inside the network; weights stay in the model's
// flat arena in PyTorch's OIHW and are reordered into the primitive's layout on
// each call (a few MB: ~1 % of a step), and weight gradients come back through
// a reorder that ACCUMULATES into the OIHW gradient (a sum post-op), so the
// backend contract (dw +=) holds. BatchNorm with its residual add and ReLU, and
// pooling, are our own one-pass kernels over the blocked layout (blocked.c);
// Linear (fp32), ReLU, tanh and softmax are the reference CPU kernels; Linear in bf16
// (ctx->precision) runs on our AVX512_BF16 kernels (cpu_bf16.c: faster than oneDNN's bf16
// matmul on these shapes), its scratch in this backend's state.
//
// Primitives are created once per (shape, batch, direction) and cached in the
// context (ctx->backend_state) with least-recently-used eviction; creation
// costs milliseconds, execution is what repeats. The reordered weights of every
// primitive share one buffer: ops run one at a time.
//
// Failures (oneDNN cannot create a primitive, out of memory) are recorded in
// ctx->fault / ctx->err; the op then leaves its outputs unspecified and the
// training and evaluation loops stop with that error.
#include <oneapi/dnnl/dnnl.h>
#include <oneapi/dnnl/dnnl_debug.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ctx.h"
#include "ops/backend.h"
#include "ops/bf16.h"
#include "ops/blocked.h"
#include "ops/cpu.h"
#include "ops/cpu_conv.h"
#include "ops/cpu_threads.h"

#define MAX_ENTRIES 128

typedef enum { DIR_FWD, DIR_BWD_DATA, DIR_BWD_WEIGHTS } conv_dir;

typedef struct {
    ws_conv_shape s;
    conv_dir dir;
    int has_bias;
    int algo;                       // ws_conv_algo
    int bf16;                       // ctx->precision == WS_PREC_BF16: bf16 products (the data types below)
    uint64_t last_used;
    dnnl_primitive_t conv;
    dnnl_primitive_t wreorder;      // OIHW -> primitive layout (fwd, bwd-data); primitive -> OIHW += (bwd-weights)
    dnnl_memory_t src, dst, bias;   // user memories: handles set per call
    dnnl_memory_t w_user, w_prim;   // OIHW weights (or their gradient); the primitive's layout (shared buffer)
    size_t w_prim_bytes;
} conv_entry;

typedef struct {
    dnnl_engine_t engine;
    dnnl_stream_t stream;
    conv_entry *entries[MAX_ENTRIES];
    int nentries;
    uint64_t clock;
    float *wbuf;                    // weights in a primitive's layout, shared by all primitives
    size_t wbuf_bytes;
    double *partials;               // per-image BatchNorm statistics (blocked.c)
    int64_t npartials;
    float *dbias;                   // a bias gradient before it is accumulated
    int64_t ndbias;
    float *dplain;                  // an output gradient in NCHW (mixed-layout backward)
    int64_t ndplain;
    uint32_t *bf16;                 // a bf16 Linear's packed inputs (ws_bf16_linear_scratch words)
    int64_t nbf16;
    uint16_t *h16;                  // a bf16 convolution's inputs: in, dout, w (in the user's layouts)
    int64_t nh16;
} dnnl_state;

static int is_blocked(int C) { return C % WS_BLK == 0; }

// Record the first failure; later ones keep the first message.
static void fault(ws_ctx *ctx, ws_status code, const char *what, dnnl_status_t st) {
    if (ctx->fault) return;
    ctx->fault = code;
    ws_fail(ctx, code, "oneDNN backend: %s failed (%s)", what, st == dnnl_success ? "out of memory" : dnnl_status2str(st));
}

static void entry_free(conv_entry *e) {
    if (!e) return;
    if (e->conv) dnnl_primitive_destroy(e->conv);
    if (e->wreorder) dnnl_primitive_destroy(e->wreorder);
    dnnl_memory_t mems[] = {e->src, e->dst, e->bias, e->w_user, e->w_prim};
    for (size_t i = 0; i < sizeof mems / sizeof *mems; i++)
        if (mems[i]) dnnl_memory_destroy(mems[i]);
    free(e);
}

static void state_free(void *p) {
    dnnl_state *S = p;
    if (!S) return;
    ws_free(S->bf16);
    ws_free(S->h16);
    for (int i = 0; i < S->nentries; i++) entry_free(S->entries[i]);
    if (S->stream) dnnl_stream_destroy(S->stream);
    if (S->engine) dnnl_engine_destroy(S->engine);
    ws_free(S->wbuf);
    ws_free(S->partials);
    ws_free(S->dbias);
    ws_free(S->dplain);
    free(S);
}

static dnnl_state *state_of(ws_ctx *ctx) {
    if (ctx->backend_state && ctx->backend_state_free == state_free) return ctx->backend_state;
    ws_ctx_release(ctx); // another backend's state
    dnnl_state *S = ws_sys_calloc(1, sizeof *S);
    if (!S) {
        fault(ctx, WS_ERR_NOMEM, "allocating its state", dnnl_success);
        return NULL;
    }
    dnnl_status_t st = dnnl_engine_create(&S->engine, dnnl_cpu, 0);
    if (st == dnnl_success) st = dnnl_stream_create(&S->stream, S->engine, dnnl_stream_default_flags);
    if (st != dnnl_success) {
        state_free(S);
        fault(ctx, WS_ERR_ARG, "creating the CPU engine", st);
        return NULL;
    }
    ctx->backend_state = S;
    ctx->backend_state_free = state_free;
    return S;
}

// Grow a scratch array (contents not kept); 0 on failure.
static int reserve(ws_ctx *ctx, void **p, int64_t *have, int64_t need, size_t elem) {
    if (need <= *have) return 1;
    void *q = ws_alloc(NULL, (size_t)need * elem);
    if (!q) {
        fault(ctx, WS_ERR_NOMEM, "allocating scratch", dnnl_success);
        return 0;
    }
    ws_free(*p);
    *p = q;
    *have = need;
    return 1;
}

static int same_shape(const ws_conv_shape *a, const ws_conv_shape *b) {
    return a->B == b->B && a->C == b->C && a->H == b->H && a->W == b->W && a->O == b->O && a->KH == b->KH &&
           a->KW == b->KW && a->stride == b->stride && a->pad == b->pad && a->input_nchw == b->input_nchw &&
           a->plain == b->plain;
}

// The memory descriptors of a convolution: activations in the backend layout
// (the data input in NCHW; both sides of a `plain` convolution), weights as the user's OIHW and as "any" for the
// primitive to choose, bias plain. In bf16 the products' inputs are bf16 (src and weights forward; diff_dst and
// weights for the data gradient; src and diff_dst for the weight gradient), the results f32: a bf16 memory has the
// f32 one's layout, so our conversion (ops/bf16.h) makes it element by element.
typedef struct {
    dnnl_memory_desc_t src, dst, w_user, w_any, bias;
    dnnl_dims_t strides, pad_l, pad_r;
} conv_mds;

// A convolution from a plain (NCHW) activation to a blocked one inside the
// network (a stage of 8 channels into one of 16): oneDNN 2.6 has only its
// naive reference implementation for the backward of that layout pair, 10-50x
// slower than the rest of the step. Its backward runs with the output
// gradient reordered to NCHW (plain to plain has a fast kernel).
static int mixed_layout(const ws_conv_shape *s) {
    return !s->plain && !s->input_nchw && !is_blocked(s->C) && is_blocked(s->O);
}

static dnnl_status_t make_mds(conv_mds *d, const ws_conv_shape *s, int plain_dst, int bf16, conv_dir dir) {
    dnnl_dims_t src = {s->B, s->C, s->H, s->W}, dst = {s->B, s->O, s->OH, s->OW}, w = {s->O, s->C, s->KH, s->KW},
                b = {s->O};
    dnnl_status_t st;
    // A `plain` convolution keeps NCHW on both sides, whatever its channel counts.
    dnnl_format_tag_t src_tag = s->plain || s->input_nchw || !is_blocked(s->C) ? dnnl_nchw : dnnl_nChw16c;
    dnnl_format_tag_t dst_tag = is_blocked(s->O) && !plain_dst && !s->plain ? dnnl_nChw16c : dnnl_nchw;
    dnnl_data_type_t src_dt = bf16 && dir != DIR_BWD_DATA ? dnnl_bf16 : dnnl_f32;
    dnnl_data_type_t dst_dt = bf16 && dir != DIR_FWD ? dnnl_bf16 : dnnl_f32;
    dnnl_data_type_t w_dt = bf16 && dir != DIR_BWD_WEIGHTS ? dnnl_bf16 : dnnl_f32;
    if ((st = dnnl_memory_desc_init_by_tag(&d->src, 4, src, src_dt, src_tag))) return st;
    if ((st = dnnl_memory_desc_init_by_tag(&d->dst, 4, dst, dst_dt, dst_tag))) return st;
    if ((st = dnnl_memory_desc_init_by_tag(&d->w_user, 4, w, w_dt, dnnl_oihw))) return st;
    if ((st = dnnl_memory_desc_init_by_tag(&d->w_any, 4, w, w_dt, dnnl_format_tag_any))) return st;
    if ((st = dnnl_memory_desc_init_by_tag(&d->bias, 1, b, dnnl_f32, dnnl_x))) return st;
    d->strides[0] = d->strides[1] = s->stride;
    d->pad_l[0] = d->pad_l[1] = s->pad;
    // Right padding so that the output is exactly OH x OW (PyTorch drops what
    // does not fit a stride).
    d->pad_r[0] = (dnnl_dim_t)(s->OH - 1) * s->stride + s->KH - s->H - s->pad;
    d->pad_r[1] = (dnnl_dim_t)(s->OW - 1) * s->stride + s->KW - s->W - s->pad;
    return dnnl_success;
}

static dnnl_alg_kind_t alg_of(int algo) { return algo == WS_CONV_DIRECT ? dnnl_convolution_direct : dnnl_convolution_auto; }

static dnnl_status_t fwd_pd(dnnl_primitive_desc_t *pd, const conv_mds *d, int has_bias, int algo, dnnl_engine_t eng) {
    dnnl_convolution_desc_t cd;
    dnnl_status_t st = dnnl_convolution_forward_desc_init(&cd, dnnl_forward_training, alg_of(algo), &d->src,
                                                          &d->w_any, has_bias ? &d->bias : NULL, &d->dst, d->strides,
                                                          d->pad_l, d->pad_r);
    return st ? st : dnnl_primitive_desc_create(pd, &cd, NULL, eng, NULL);
}

static dnnl_status_t build_entry(dnnl_state *S, conv_entry *e) {
    conv_mds d, h; // the primitive's, and its forward hint's (in bf16 the data types differ)
    int plain_dst = e->dir != DIR_FWD && mixed_layout(&e->s);
    dnnl_status_t st = make_mds(&d, &e->s, plain_dst, e->bf16, e->dir);
    if (!st) st = make_mds(&h, &e->s, plain_dst, e->bf16, DIR_FWD);
    if (st) return st;
    dnnl_primitive_desc_t fpd = NULL, pd = NULL, rpd = NULL;
    dnnl_primitive_attr_t attr = NULL;
    dnnl_post_ops_t po = NULL;
    if ((st = fwd_pd(&fpd, &h, e->has_bias, e->algo, S->engine))) goto done;
    const dnnl_memory_desc_t *wmd;
    if (e->dir == DIR_FWD) {
        pd = fpd, fpd = NULL;
        wmd = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
    } else if (e->dir == DIR_BWD_DATA) {
        dnnl_convolution_desc_t cd;
        if ((st = dnnl_convolution_backward_data_desc_init(&cd, alg_of(e->algo), &d.src, &d.w_any, &d.dst,
                                                           d.strides, d.pad_l, d.pad_r)))
            goto done;
        if ((st = dnnl_primitive_desc_create(&pd, &cd, NULL, S->engine, fpd))) goto done;
        wmd = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
    } else {
        dnnl_convolution_desc_t cd;
        if ((st = dnnl_convolution_backward_weights_desc_init(&cd, alg_of(e->algo), &d.src, &d.w_any,
                                                              e->has_bias ? &d.bias : NULL, &d.dst, d.strides,
                                                              d.pad_l, d.pad_r)))
            goto done;
        if ((st = dnnl_primitive_desc_create(&pd, &cd, NULL, S->engine, fpd))) goto done;
        wmd = dnnl_primitive_desc_query_md(pd, dnnl_query_diff_weights_md, 0);
    }
    if ((st = dnnl_primitive_create(&e->conv, pd))) goto done;
    e->w_prim_bytes = dnnl_memory_desc_get_size(wmd);
    if ((st = dnnl_memory_create(&e->src, &d.src, S->engine, DNNL_MEMORY_NONE))) goto done;
    if ((st = dnnl_memory_create(&e->dst, &d.dst, S->engine, DNNL_MEMORY_NONE))) goto done;
    if ((st = dnnl_memory_create(&e->bias, &d.bias, S->engine, DNNL_MEMORY_NONE))) goto done;
    if ((st = dnnl_memory_create(&e->w_user, &d.w_user, S->engine, DNNL_MEMORY_NONE))) goto done;
    if ((st = dnnl_memory_create(&e->w_prim, wmd, S->engine, DNNL_MEMORY_NONE))) goto done;
    if (e->dir == DIR_BWD_WEIGHTS) {
        // dW += the primitive's gradient: a reorder with a sum post-op.
        if ((st = dnnl_primitive_attr_create(&attr))) goto done;
        if ((st = dnnl_post_ops_create(&po))) goto done;
        if ((st = dnnl_post_ops_append_sum(po, 1.0f))) goto done;
        if ((st = dnnl_primitive_attr_set_post_ops(attr, po))) goto done;
        st = dnnl_reorder_primitive_desc_create(&rpd, wmd, S->engine, &d.w_user, S->engine, attr);
    } else {
        st = dnnl_reorder_primitive_desc_create(&rpd, &d.w_user, S->engine, wmd, S->engine, NULL);
    }
    if (st) goto done;
    st = dnnl_primitive_create(&e->wreorder, rpd);
done:
    if (fpd) dnnl_primitive_desc_destroy(fpd);
    if (pd) dnnl_primitive_desc_destroy(pd);
    if (rpd) dnnl_primitive_desc_destroy(rpd);
    if (po) dnnl_post_ops_destroy(po);
    if (attr) dnnl_primitive_attr_destroy(attr);
    return st;
}

// The cached primitives for (shape, direction), created on first use.
static conv_entry *entry_for(ws_ctx *ctx, dnnl_state *S, const ws_conv_shape *s, conv_dir dir, int has_bias) {
    S->clock++;
    for (int i = 0; i < S->nentries; i++) {
        conv_entry *e = S->entries[i];
        if (e->dir == dir && e->has_bias == has_bias && e->algo == ctx->conv_algo &&
            e->bf16 == (ctx->precision == WS_PREC_BF16) && same_shape(&e->s, s)) {
            e->last_used = S->clock;
            return e;
        }
    }
    conv_entry *e = ws_sys_calloc(1, sizeof *e);
    if (!e) {
        fault(ctx, WS_ERR_NOMEM, "allocating a convolution", dnnl_success);
        return NULL;
    }
    e->s = *s;
    e->dir = dir;
    e->has_bias = has_bias;
    e->algo = ctx->conv_algo;
    e->bf16 = ctx->precision == WS_PREC_BF16;
    e->last_used = S->clock;
    dnnl_status_t st = build_entry(S, e);
    if (st) {
        entry_free(e);
        char what[160];
        snprintf(what, sizeof what, "creating a %s%dx%d convolution %d->%d on %dx%d (batch %d)",
                 ctx->precision == WS_PREC_BF16 ? "bf16 " : "", s->KH, s->KW, s->C, s->O, s->H, s->W, s->B);
        fault(ctx, st == dnnl_out_of_memory ? WS_ERR_NOMEM : WS_ERR_ARG, what, st);
        return NULL;
    }
    if (S->nentries == MAX_ENTRIES) { // evict the least recently used
        int lru = 0;
        for (int i = 1; i < S->nentries; i++)
            if (S->entries[i]->last_used < S->entries[lru]->last_used) lru = i;
        entry_free(S->entries[lru]);
        S->entries[lru] = S->entries[--S->nentries];
    }
    S->entries[S->nentries++] = e;
    return e;
}

// Point the entry's shared weights memory at the state's buffer, grown to fit.
static int bind_wbuf(ws_ctx *ctx, dnnl_state *S, conv_entry *e) {
    int64_t have = (int64_t)S->wbuf_bytes, need = (int64_t)e->w_prim_bytes;
    if (!reserve(ctx, (void **)&S->wbuf, &have, need, 1)) return 0;
    S->wbuf_bytes = (size_t)have;
    return dnnl_memory_set_data_handle(e->w_prim, S->wbuf) == dnnl_success;
}

static int run(ws_ctx *ctx, dnnl_state *S, dnnl_primitive_t p, int n, const dnnl_exec_arg_t *args, const char *what) {
    dnnl_status_t st = dnnl_primitive_execute(p, S->stream, n, args);
    if (st == dnnl_success) st = dnnl_stream_wait(S->stream);
    if (st != dnnl_success) fault(ctx, WS_ERR_ARG, what, st);
    return st == dnnl_success;
}

static int64_t onednn_conv2d_workspace(const ws_conv_shape *s) {
    (void)s;
    return 0; // oneDNN keeps its own scratchpad; reordered weights live in the state
}

// ---- bf16 convolutions: bf16 copies of the products' inputs, oneDNN's bf16 primitives ----

// dst = ws_bf16_of(src), n elements, shared out between the context's threads (an
// activation is megabytes; each element's bits do not depend on the split).
static void to_bf16_par(ws_ctx *ctx, uint16_t *dst, const float *src, int64_t n) {
    const int64_t chunk = 1 << 16;
    int T = n >= 4 * chunk ? threads_of(ctx) : 1;
    #pragma omp parallel for schedule(static) num_threads(T) if (T > 1)
    for (int64_t i = 0; i < n; i += chunk) ws_bf16_from_f32(dst + i, src + i, n - i < chunk ? n - i : chunk);
}

// bf16 copies of the k arrays (n[i] floats each; a NULL one gets no copy) in the state's
// scratch, into h[i]; 0 (ctx->fault set) on failure.
static int bf16_copies(ws_ctx *ctx, dnnl_state *S, int k, const float *const *src, const int64_t *n, uint16_t **h) {
    int64_t total = 0;
    for (int i = 0; i < k; i++) total += src[i] ? n[i] : 0;
    if (!reserve(ctx, (void **)&S->h16, &S->nh16, total, sizeof(uint16_t))) return 0;
    uint16_t *p = S->h16;
    for (int i = 0; i < k; i++) {
        h[i] = src[i] ? p : NULL;
        if (!src[i]) continue;
        to_bf16_par(ctx, p, src[i], n[i]);
        p += n[i];
    }
    return 1;
}

static int64_t numel_in(const ws_conv_shape *s) { return (int64_t)s->B * s->C * s->H * s->W; }
static int64_t numel_out(const ws_conv_shape *s) { return (int64_t)s->B * s->O * s->OH * s->OW; }
static int64_t numel_w(const ws_conv_shape *s) { return (int64_t)s->O * s->C * s->KH * s->KW; }

// In bf16, db[o] += the sum of the fp32 dout over images and positions, in double, in that
// order (the reference's order: the same bits as its oracle); dout blocked or NCHW.
static void bias_grad(float *db, const float *dout, int B, int O, int OHW, int blocked) {
    for (int o = 0; o < O; o++) {
        double acc = 0.0;
        for (int bi = 0; bi < B; bi++)
            for (int p = 0; p < OHW; p++)
                acc += blocked ? dout[(((int64_t)bi * (O / WS_BLK) + o / WS_BLK) * OHW + p) * WS_BLK + o % WS_BLK]
                               : dout[((int64_t)bi * O + o) * OHW + p];
        db[o] += (float)acc;
    }
}

static void onednn_conv2d_forward(ws_ctx *ctx, float *out, const float *in, const float *w, const float *b,
                                  const ws_conv_shape *s, float *workspace) {
    (void)workspace;
    dnnl_state *S = state_of(ctx);
    conv_entry *e = S ? entry_for(ctx, S, s, DIR_FWD, b != NULL) : NULL;
    if (!e || !bind_wbuf(ctx, S, e)) return;
    const void *src = in, *wu = w;
    if (e->bf16) {
        const float *a[2] = {in, w};
        int64_t n[2] = {numel_in(s), numel_w(s)};
        uint16_t *h[2];
        if (!bf16_copies(ctx, S, 2, a, n, h)) return;
        src = h[0], wu = h[1];
    }
    dnnl_memory_set_data_handle(e->w_user, (void *)wu);
    dnnl_memory_set_data_handle(e->src, (void *)src);
    dnnl_memory_set_data_handle(e->dst, out);
    dnnl_exec_arg_t ra[] = {{DNNL_ARG_FROM, e->w_user}, {DNNL_ARG_TO, e->w_prim}};
    if (!run(ctx, S, e->wreorder, 2, ra, "reordering convolution weights")) return;
    dnnl_exec_arg_t ca[4] = {{DNNL_ARG_SRC, e->src}, {DNNL_ARG_WEIGHTS, e->w_prim}, {DNNL_ARG_DST, e->dst}};
    int n = 3;
    if (b) {
        dnnl_memory_set_data_handle(e->bias, (void *)b);
        ca[n++] = (dnnl_exec_arg_t){DNNL_ARG_BIAS, e->bias};
    }
    run(ctx, S, e->conv, n, ca, "a convolution forward");
}

// In bf16 the bias gradient is ours (bias_grad, from the fp32 dout), not the primitive's
// (which would sum the bf16 copy).
static void onednn_conv2d_backward(ws_ctx *ctx, float *din, float *dw, float *db, const float *dout, const float *in,
                                   const float *w, const ws_conv_shape *s, float *workspace) {
    (void)workspace;
    dnnl_state *S = state_of(ctx);
    if (!S) return;
    int blocked_dout = is_blocked(s->O) && !s->plain;
    if (mixed_layout(s)) { // the output gradient in NCHW for the backward primitives (make_mds)
        if (!reserve(ctx, (void **)&S->dplain, &S->ndplain, numel_out(s), sizeof(float))) return;
        ws_blk_to_nchw(ctx, S->dplain, dout, s->B, s->O, s->OH * s->OW);
        dout = S->dplain;
        blocked_dout = 0;
    }
    int bf16 = ctx->precision == WS_PREC_BF16, prim_db = db && !bf16;
    const void *hd = dout, *hin = in, *hw = w;
    if (bf16) {
        const float *a[3] = {dout, dw ? in : NULL, din ? w : NULL};
        int64_t n[3] = {numel_out(s), numel_in(s), numel_w(s)};
        uint16_t *h[3];
        if (!bf16_copies(ctx, S, 3, a, n, h)) return;
        hd = h[0], hin = h[1], hw = h[2];
        if (db) bias_grad(db, dout, s->B, s->O, s->OH * s->OW, blocked_dout);
    }
    if (dw || prim_db) {
        conv_entry *e = entry_for(ctx, S, s, DIR_BWD_WEIGHTS, prim_db);
        if (!e || !bind_wbuf(ctx, S, e)) return;
        if (prim_db && !reserve(ctx, (void **)&S->dbias, &S->ndbias, s->O, sizeof(float))) return;
        dnnl_memory_set_data_handle(e->src, (void *)hin);
        dnnl_memory_set_data_handle(e->dst, (void *)hd);
        dnnl_exec_arg_t ca[4] = {{DNNL_ARG_SRC, e->src}, {DNNL_ARG_DIFF_DST, e->dst}, {DNNL_ARG_DIFF_WEIGHTS, e->w_prim}};
        int n = 3;
        if (prim_db) {
            dnnl_memory_set_data_handle(e->bias, S->dbias);
            ca[n++] = (dnnl_exec_arg_t){DNNL_ARG_DIFF_BIAS, e->bias};
        }
        if (!run(ctx, S, e->conv, n, ca, "a convolution backward (weights)")) return;
        if (dw) {
            dnnl_memory_set_data_handle(e->w_user, dw);
            dnnl_exec_arg_t ra[] = {{DNNL_ARG_FROM, e->w_prim}, {DNNL_ARG_TO, e->w_user}};
            if (!run(ctx, S, e->wreorder, 2, ra, "accumulating a weight gradient")) return;
        }
        for (int o = 0; prim_db && o < s->O; o++) db[o] += S->dbias[o];
    }
    if (din) {
        conv_entry *e = entry_for(ctx, S, s, DIR_BWD_DATA, 0);
        if (!e || !bind_wbuf(ctx, S, e)) return;
        dnnl_memory_set_data_handle(e->w_user, (void *)hw);
        dnnl_memory_set_data_handle(e->src, din);
        dnnl_memory_set_data_handle(e->dst, (void *)hd);
        dnnl_exec_arg_t ra[] = {{DNNL_ARG_FROM, e->w_user}, {DNNL_ARG_TO, e->w_prim}};
        if (!run(ctx, S, e->wreorder, 2, ra, "reordering convolution weights")) return;
        dnnl_exec_arg_t ca[] = {{DNNL_ARG_DIFF_DST, e->dst}, {DNNL_ARG_WEIGHTS, e->w_prim}, {DNNL_ARG_DIFF_SRC, e->src}};
        run(ctx, S, e->conv, 3, ca, "a convolution backward (data)");
    }
}

// ---- BatchNorm, pooling, layout: blocked kernels, or the reference for NCHW tensors ----

static double *partials_for(ws_ctx *ctx, int B, int C) {
    dnnl_state *S = state_of(ctx);
    if (!S || !reserve(ctx, (void **)&S->partials, &S->npartials, 2 * (int64_t)B * C, sizeof(double))) return NULL;
    return S->partials;
}

static void onednn_bn_act_forward_train(ws_ctx *ctx, float *out, float *save_mean, float *save_invstd,
                                        float *running_mean, float *running_var, const float *z, const float *res,
                                        const float *gamma, const float *beta, int B, int C, int HW, float momentum,
                                        float eps, int relu) {
    if (!is_blocked(C)) {
        ws_cpu_bn_act_forward_train(ctx, out, save_mean, save_invstd, running_mean, running_var, z, res, gamma, beta, B,
                                    C, HW, momentum, eps, relu);
        return;
    }
    double *p = partials_for(ctx, B, C);
    if (p)
        ws_blk_bn_act_forward_train(ctx, p, out, save_mean, save_invstd, running_mean, running_var, z, res, gamma,
                                    beta, B, C, HW, momentum, eps, relu);
}

static void onednn_bn_act_forward_eval(ws_ctx *ctx, float *out, const float *z, const float *res, const float *gamma,
                                       const float *beta, const float *running_mean, const float *running_var, int B,
                                       int C, int HW, float eps, int relu) {
    if (is_blocked(C))
        ws_blk_bn_act_forward_eval(ctx, out, z, res, gamma, beta, running_mean, running_var, B, C, HW, eps, relu);
    else
        ws_cpu_bn_act_forward_eval(ctx, out, z, res, gamma, beta, running_mean, running_var, B, C, HW, eps, relu);
}

static void onednn_bn_act_backward(ws_ctx *ctx, float *dz, float *dres, float *dgamma, float *dbeta,
                                   const float *dout, const float *out, const float *z, const float *save_mean,
                                   const float *save_invstd, const float *gamma, int B, int C, int HW, int relu) {
    if (!is_blocked(C)) {
        ws_cpu_bn_act_backward(ctx, dz, dres, dgamma, dbeta, dout, out, z, save_mean, save_invstd, gamma, B, C, HW,
                               relu);
        return;
    }
    double *p = partials_for(ctx, B, C);
    if (p)
        ws_blk_bn_act_backward(ctx, p, dz, dres, dgamma, dbeta, dout, out, z, save_mean, save_invstd, gamma, B, C, HW,
                               relu);
}

// The unfused BatchNorm entries, as the fused ones without add or ReLU.
static void onednn_bn_forward_train(ws_ctx *ctx, float *out, float *save_mean, float *save_invstd,
                                    float *running_mean, float *running_var, const float *in, const float *gamma,
                                    const float *beta, int B, int C, int HW, float momentum, float eps) {
    onednn_bn_act_forward_train(ctx, out, save_mean, save_invstd, running_mean, running_var, in, NULL, gamma, beta, B,
                                C, HW, momentum, eps, 0);
}

static void onednn_bn_forward_eval(ws_ctx *ctx, float *out, const float *in, const float *gamma, const float *beta,
                                   const float *running_mean, const float *running_var, int B, int C, int HW,
                                   float eps) {
    onednn_bn_act_forward_eval(ctx, out, in, NULL, gamma, beta, running_mean, running_var, B, C, HW, eps, 0);
}

static void onednn_bn_backward(ws_ctx *ctx, float *din, float *dgamma, float *dbeta, const float *dout,
                               const float *in, const float *save_mean, const float *save_invstd, const float *gamma,
                               int B, int C, int HW) {
    onednn_bn_act_backward(ctx, din, NULL, dgamma, dbeta, dout, NULL, in, save_mean, save_invstd, gamma, B, C, HW, 0);
}

static void onednn_avgpool_forward(ws_ctx *ctx, float *out, const float *in, int B, int C, int HW) {
    if (is_blocked(C)) ws_blk_avgpool_forward(ctx, out, in, B, C, HW);
    else ws_cpu_avgpool_forward(ctx, out, in, B, C, HW);
}

static void onednn_avgpool_backward(ws_ctx *ctx, float *din, const float *dout, int B, int C, int HW) {
    if (is_blocked(C)) ws_blk_avgpool_backward(ctx, din, dout, B, C, HW);
    else ws_cpu_avgpool_backward(ctx, din, dout, B, C, HW);
}

static void onednn_to_nchw(ws_ctx *ctx, float *dst, const float *src, int B, int C, int HW) {
    if (is_blocked(C)) ws_blk_to_nchw(ctx, dst, src, B, C, HW);
    else ws_cpu_act_copy(ctx, dst, src, B, C, HW);
}

static void onednn_from_nchw(ws_ctx *ctx, float *dst, const float *src, int B, int C, int HW) {
    if (is_blocked(C)) ws_blk_from_nchw(ctx, dst, src, B, C, HW);
    else ws_cpu_act_copy(ctx, dst, src, B, C, HW);
}

// ---- bf16 Linear: our AVX512_BF16 kernels (cpu_bf16.c) ----

// 1 when ctx wants bf16 and the kernels are here; elsewhere (a build without them) the
// reference's oracle computes the same function.
static int bf16_kernels(const ws_ctx *ctx) { return ctx->precision == WS_PREC_BF16 && ws_bf16_linear_available(); }

static uint32_t *bf16_scratch(ws_ctx *ctx, int B, int In, int Out) {
    dnnl_state *S = state_of(ctx);
    if (!S || !reserve(ctx, (void **)&S->bf16, &S->nbf16, ws_bf16_linear_scratch(B, In, Out), sizeof(uint32_t)))
        return NULL;
    return S->bf16;
}

static void onednn_linear_forward(ws_ctx *ctx, float *out, const float *in, const float *w, const float *b, int B,
                                  int In, int Out) {
    if (!bf16_kernels(ctx)) {
        ws_cpu_linear_forward(ctx, out, in, w, b, B, In, Out);
        return;
    }
    uint32_t *scratch = bf16_scratch(ctx, B, In, Out);
    if (scratch) ws_bf16_linear_forward(ctx->threads, scratch, out, in, w, b, B, In, Out);
}

// dw, din from the bf16 kernels; db summed from the fp32 dout, rows in order (as the
// reference backend: the same bits).
static void onednn_linear_backward(ws_ctx *ctx, float *din, float *dw, float *db, const float *dout, const float *in,
                                   const float *w, int B, int In, int Out) {
    if (!bf16_kernels(ctx)) {
        ws_cpu_linear_backward(ctx, din, dw, db, dout, in, w, B, In, Out);
        return;
    }
    uint32_t *scratch = bf16_scratch(ctx, B, In, Out);
    if (!scratch) return;
    ws_bf16_linear_backward(ctx->threads, scratch, din, dw, dout, in, w, B, In, Out);
    if (db)
        for (int r = 0; r < B; r++)
            for (int o = 0; o < Out; o++) db[o] += dout[(int64_t)r * Out + o];
}

static const ws_backend onednn_backend = {
    .name = "onednn",
    .blocked_channels = WS_BLK,
    .linear_forward = onednn_linear_forward,
    .linear_backward = onednn_linear_backward,
    .relu_forward = ws_cpu_relu_forward,
    .relu_backward = ws_cpu_relu_backward,
    .tanh_forward = ws_cpu_tanh_forward, // elementwise on (B, units): the reference's loop (as ReLU)
    .tanh_backward = ws_cpu_tanh_backward,
    .softmax_ce_forward = ws_cpu_softmax_ce_forward,
    .softmax_ce_backward = ws_cpu_softmax_ce_backward,
    .layernorm_forward = ws_cpu_layernorm_forward, // per-example rows, NCHW or flat: the reference's loops
    .layernorm_backward = ws_cpu_layernorm_backward,
    .crelu_forward = ws_cpu_crelu_forward,
    .crelu_backward = ws_cpu_crelu_backward,
    .conv2d_workspace = onednn_conv2d_workspace,
    .conv2d_forward = onednn_conv2d_forward,
    .conv2d_backward = onednn_conv2d_backward,
    .batchnorm_forward_train = onednn_bn_forward_train,
    .batchnorm_forward_eval = onednn_bn_forward_eval,
    .batchnorm_backward = onednn_bn_backward,
    .avgpool_forward = onednn_avgpool_forward,
    .avgpool_backward = onednn_avgpool_backward,
    .maxpool2_forward = ws_cpu_maxpool2_forward, // NCHW data (the CNN's convolutions are `plain`)
    .maxpool2_backward = ws_cpu_maxpool2_backward,
    .add_forward = ws_cpu_add_forward, // elementwise: the layout does not matter
    .bn_act_forward_train = onednn_bn_act_forward_train,
    .bn_act_forward_eval = onednn_bn_act_forward_eval,
    .bn_act_backward = onednn_bn_act_backward,
    .act_to_nchw = onednn_to_nchw,
    .act_from_nchw = onednn_from_nchw,
};

const ws_backend *ws_backend_onednn(void) { return &onednn_backend; }
