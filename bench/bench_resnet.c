// ResNet-18 benchmark (bench/README.md, "ResNet-18"): the time of one full
// training step (zero_grad, forward in train mode, softmax-CE loss, backward,
// SGD-momentum or Adam step) on a batch already prepared as floats, the
// throughput of the eval-mode forward, the peak resident memory of the
// process, and the speed of every backend op on the network's own layer shapes.
// bench_torch_resnet.py times the same in PyTorch.
//
//   build/bench_resnet step   --model w16-3x32x32 --opt sgd-momentum|adam --threads T [--steps N] [--warmup N] [--batch B]
//   build/bench_resnet eval   --model w16-3x32x32 --threads T [--steps N] [--warmup N] [--batch B]
//   build/bench_resnet layers --model w16-3x32x32 --threads T [--reps N] [--batch B]
//
// --model is wWIDTH-CxHxW (ResNet-18 CIFAR variant, 10 classes). --threads
// takes a list (1,2); bench/run_resnet.sh runs one case per process, so that
// the peak RSS (getrusage ru_maxrss, which only ever grows) is the case's own.
//
// One line per case on stdout, key=value pairs:
//   bench impl=warmstart model=w16-3x32x32 opt=sgd-momentum threads=1 batch=128 median_ms=... min_ms=... steps=... mean_loss=... params=... plan_mb=... base_rss_mb=... maxrss_mb=...
//   bench impl=warmstart model=w16-3x32x32 opt=eval threads=1 batch=128 median_ms=... min_ms=... images_per_s=... ...
//   op impl=warmstart model=... threads=... batch=... layer=layer1.0.conv1 type=conv3x3 pass=fwd shape=... count=1 median_ms=... gflop=... mbytes=...
// `layers` times each op of one training step in network order, each on its
// own (a warm-up call, then the median of --reps calls), with the shapes and
// call counts the model uses: gflop is the op's nominal floating-point work
// (2 per multiply-add for convolutions), mbytes the least traffic it needs
// (each input and output read or written once), both per call.
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "core/ctx.h"
#include "core/rng.h"
#include "nn/model.h"
#include "ops/backend.h"
#include "optim/optim.h"

#define CLASSES 10

// --backend / --conv-algo / --precision, applied to every context the benchmark makes.
typedef struct {
    const char *backend, *conv_algo, *precision;
} backend_opts;
static backend_opts bopts = {"onednn", "auto", "fp32"};

static void bench_ctx(ws_ctx *ctx, int threads) {
    ws_ctx_init(ctx, threads);
    if (ws_ctx_set_backend(ctx, bopts.backend) || ws_ctx_set_conv_algo(ctx, bopts.conv_algo) ||
        ws_ctx_set_precision(ctx, bopts.precision)) {
        fprintf(stderr, "bench_resnet: %s\n", ctx->err);
        exit(2);
    }
}

// A backend op failed (oneDNN could not create a primitive): stop, do not time garbage.
static void check_fault(ws_ctx *ctx) {
    if (ctx->fault) {
        fprintf(stderr, "bench_resnet: %s\n", ctx->err);
        exit(1);
    }
}

typedef struct {
    char name[32]; // "w16-3x32x32"
    int width;
    ws_shape input;
} model_case;

static int parse_model(const char *s, model_case *mc) {
    int w, c, h, wd;
    char tail;
    if (sscanf(s, "w%d-%dx%dx%d%c", &w, &c, &h, &wd, &tail) != 4 || w < 1 || c < 1 || h < 1 || wd < 1) return -1;
    snprintf(mc->name, sizeof mc->name, "w%d-%dx%dx%d", w, c, h, wd);
    mc->width = w;
    mc->input = (ws_shape){c, h, wd};
    return 0;
}

static double rss_mb(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_maxrss / 1024.0; // Linux: kilobytes
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median_of(double *t, int n) {
    qsort(t, (size_t)n, sizeof *t, cmp_double);
    return n % 2 ? t[n / 2] : 0.5 * (t[n / 2 - 1] + t[n / 2]);
}

static double base_rss; // ru_maxrss at start-up, before any model exists

static void *xalloc(ws_ctx *ctx, size_t bytes) {
    void *p = ws_alloc(ctx, bytes);
    if (!p) {
        fprintf(stderr, "bench_resnet: out of memory (%zu bytes)\n", bytes);
        exit(1);
    }
    return p;
}

// train: plan for training (every activation kept), else for inference only.
static ws_model *make_model(ws_ctx *ctx, const model_case *mc, int B, int train) {
    ws_model_spec spec = {.kind = WS_MODEL_RESNET18, .input = mc->input, .num_classes = CLASSES, .width = mc->width};
    ws_model *m = NULL;
    if (ws_model_create(ctx, &m, &spec) || (train ? ws_model_plan(ctx, m, B) : ws_model_plan_inference(ctx, m, B))) {
        fprintf(stderr, "bench_resnet: %s\n", ctx->err);
        exit(1);
    }
    ws_rng rng = ws_rng_stream(1, "init", 0);
    ws_model_init(m, &rng);
    return m;
}

static void make_batch(ws_ctx *ctx, const model_case *mc, int B, float **x, int32_t **y) {
    int64_t in = ws_shape_numel(mc->input);
    *x = xalloc(ctx, sizeof(float) * (size_t)B * (size_t)in);
    *y = xalloc(ctx, sizeof(int32_t) * (size_t)B);
    ws_rng dr = ws_rng_stream(1, "bench-data", 0);
    for (int64_t i = 0; i < (int64_t)B * in; i++) (*x)[i] = ws_rng_normal(&dr);
    for (int i = 0; i < B; i++) (*y)[i] = (int32_t)ws_rng_below(&dr, CLASSES);
}

// ---- step / eval ------------------------------------------------------------------------------

static void run_step(const model_case *mc, const char *optname, int threads, int B, int warmup, int steps) {
    ws_ctx ctx;
    bench_ctx(&ctx, threads);
    int eval = !strcmp(optname, "eval");
    ws_model *m = make_model(&ctx, mc, B, !eval);
    ws_optim opt = {0};
    if (!eval) {
        ws_opt_config oc;
        if (!strcmp(optname, "adam")) {
            oc = ws_opt_defaults(WS_OPT_ADAM, 1e-3f);
        } else {
            oc = ws_opt_defaults(WS_OPT_SGD, 0.1f);
            oc.momentum = 0.9f;
        }
        if (ws_optim_create(&ctx, &opt, &oc, m->nweights)) {
            fprintf(stderr, "bench_resnet: %s\n", ctx.err);
            exit(1);
        }
    }
    float *x;
    int32_t *y;
    make_batch(&ctx, mc, B, &x, &y);
    double *t = xalloc(&ctx, sizeof(double) * (size_t)steps);
    double loss_sum = 0.0;
    for (int s = 0; s < warmup + steps; s++) {
        double t0 = ws_now(), loss = 0.0;
        if (eval) {
            ws_model_forward(&ctx, m, x, B, 0);
        } else {
            ws_model_zero_grad(m);
            ws_model_forward(&ctx, m, x, B, 1);
            int correct = 0;
            loss = ws_model_loss(&ctx, m, y, B, &correct);
            ws_model_backward(&ctx, m, y, B);
            ws_optim_step(&opt, m->w, m->g);
        }
        double dt = ws_now() - t0;
        if (s >= warmup) t[s - warmup] = dt;
        loss_sum += loss;
    }
    double med = median_of(t, steps);
    check_fault(&ctx);
    printf("bench impl=warmstart backend=%s conv=%s model=%s opt=%s threads=%d batch=%d median_ms=%.3f min_ms=%.3f "
           "steps=%d precision=%s", bopts.backend, bopts.conv_algo, mc->name, optname, threads, B, med * 1e3,
           t[0] * 1e3, steps, bopts.precision);
    if (eval)
        printf(" images_per_s=%.1f", B / med);
    else
        printf(" mean_loss=%.4f", loss_sum / (warmup + steps));
    // plan_mb: the activation, saved-state and gradient arenas the plan allocated
    printf(" params=%lld plan_mb=%.1f base_rss_mb=%.1f maxrss_mb=%.1f\n", (long long)m->nweights,
           4.0 * (double)ws_model_plan_floats(m, B, !eval) / (1024.0 * 1024.0), base_rss, rss_mb());
    fflush(stdout);
    ws_free(t);
    ws_free(x);
    ws_free(y);
    if (!eval) ws_optim_free(&opt);
    ws_model_free(m);
}

// ---- per-op timing ----------------------------------------------------------------------------

// Buffers shared by every op: each is as large as the largest tensor of its role.
typedef struct {
    ws_ctx *ctx;
    const model_case *mc;
    int B, reps;
    float *in, *out, *din, *dout, *dres, *w, *dw, *ws; // activations, weights, conv workspace
    float *mean, *invstd, *rm, *rv, *gamma, *beta, *dgamma, *dbeta;
    double *t;
} op_bench;

static void op_line(const op_bench *ob, const char *layer, const char *type, const char *pass, const char *shape,
                    int count, double ms, double gflop, double mbytes) {
    printf("op impl=warmstart backend=%s conv=%s model=%s threads=%d batch=%d layer=%s type=%s pass=%s shape=%s "
           "count=%d median_ms=%.4f gflop=%.5f mbytes=%.3f\n",
           bopts.backend, bopts.conv_algo, ob->mc->name, ob->ctx->threads, ob->B, layer, type, pass, shape, count, ms,
           gflop, mbytes);
    check_fault(ob->ctx);
    fflush(stdout);
}

// Median ms over ob->reps calls of the op, after one untimed call.
#define TIME_OP(ob, ms_out, call)                                                                                      \
    do {                                                                                                               \
        call;                                                                                                          \
        for (int r_ = 0; r_ < (ob)->reps; r_++) {                                                                      \
            double t0_ = ws_now();                                                                                     \
            call;                                                                                                      \
            (ob)->t[r_] = ws_now() - t0_;                                                                              \
        }                                                                                                              \
        ms_out = median_of((ob)->t, (ob)->reps) * 1e3;                                                                 \
    } while (0)

static void fill_normal(float *p, int64_t n, ws_rng *r, float scale) {
    for (int64_t i = 0; i < n; i++) p[i] = ws_rng_normal(r) * scale;
}

// conv + BN unit, both passes, as the model runs it (cb_forward / cb_backward):
// the BatchNorm fused with a residual add (`res`) and a ReLU (`relu`) as there.
// `with_din`: the model wants the input gradient (all but the stem, whose input
// is the NCHW data).
static void bench_conv_bn(op_bench *ob, const char *conv_name, const char *bn_name, int C, int H, int W, int O, int k,
                          int stride, int pad, int with_din, int res, int relu) {
    const ws_backend *be = ws_backend_of(ob->ctx);
    int B = ob->B;
    ws_conv_shape s = {.B = B, .C = C, .H = H, .W = W, .O = O, .KH = k, .KW = k, .stride = stride, .pad = pad,
                       .input_nchw = !with_din};
    ws_conv_shape_resolve(&s);
    const int64_t nin = (int64_t)B * C * H * W, nout = (int64_t)B * O * s.OH * s.OW, nw = (int64_t)O * C * k * k;
    const int HW = s.OH * s.OW;
    ws_rng r = ws_rng_stream(2, conv_name, 0);
    fill_normal(ob->in, nin, &r, 1.0f);
    fill_normal(ob->w, nw, &r, 1.0f / sqrtf((float)(C * k * k)));
    fill_normal(ob->dout, nout, &r, 1e-3f);
    memset(ob->dw, 0, sizeof(float) * (size_t)nw);

    char type[32], shape[96];
    if (!with_din)
        snprintf(type, sizeof type, "conv3x3_stem");
    else
        snprintf(type, sizeof type, "conv%dx%d%s", k, k, stride == 1 ? "" : "_s2");
    snprintf(shape, sizeof shape, "%dx%dx%d->%dx%dx%d", C, H, W, O, s.OH, s.OW);
    const double fma = (double)B * O * C * k * k * HW, gf = 2.0 * fma * 1e-9;
    const double mb_in = 4.0 * nin * 1e-6, mb_out = 4.0 * nout * 1e-6, mb_w = 4.0 * nw * 1e-6;
    double ms;

    TIME_OP(ob, ms, be->conv2d_forward(ob->ctx, ob->out, ob->in, ob->w, NULL, &s, ob->ws));
    op_line(ob, conv_name, type, "fwd", shape, 1, ms, gf, mb_in + mb_w + mb_out);
    if (with_din) {
        // dW + dX ("bwd", what the model runs) and dW alone ("bwd_w", din
        // NULL), alternating call by call so that a drift in the machine's
        // speed hits both alike: their difference is the dX part.
        double *tb = ob->t + ob->reps, ms_w;
        be->conv2d_backward(ob->ctx, NULL, ob->dw, NULL, ob->dout, ob->in, ob->w, &s, ob->ws);
        be->conv2d_backward(ob->ctx, ob->din, ob->dw, NULL, ob->dout, ob->in, ob->w, &s, ob->ws);
        for (int rep = 0; rep < ob->reps; rep++) {
            double t0 = ws_now();
            be->conv2d_backward(ob->ctx, NULL, ob->dw, NULL, ob->dout, ob->in, ob->w, &s, ob->ws);
            double t1 = ws_now();
            be->conv2d_backward(ob->ctx, ob->din, ob->dw, NULL, ob->dout, ob->in, ob->w, &s, ob->ws);
            ob->t[rep] = t1 - t0;
            tb[rep] = ws_now() - t1;
        }
        ms_w = median_of(ob->t, ob->reps) * 1e3;
        ms = median_of(tb, ob->reps) * 1e3;
        op_line(ob, conv_name, type, "bwd", shape, 1, ms, 2 * gf, mb_out + mb_in + 2 * mb_w + mb_in);
        op_line(ob, conv_name, type, "bwd_w", shape, 0, ms_w, gf, mb_out + mb_in + 2 * mb_w);
    } else {
        // the model's stem: din is not wanted, bwd = dW only
        TIME_OP(ob, ms, be->conv2d_backward(ob->ctx, NULL, ob->dw, NULL, ob->dout, ob->in, ob->w, &s, ob->ws));
        op_line(ob, conv_name, type, "bwd", shape, 1, ms, gf, mb_out + mb_in + 2 * mb_w);
    }

    // BatchNorm (+ add) (+ ReLU) on the conv output (ob->out holds it now).
    // Nominal flops per element: train forward 7 (sum; difference, square,
    // sum; scale and shift) + 1 per fused add or ReLU, eval forward 2 + the
    // same, backward 9 + 1 for a ReLU mask. Traffic: z read twice, out written,
    // res read; backward dout (+ out) read twice, z twice, dz (+ dres) written.
    snprintf(shape, sizeof shape, "%dx%dx%d", O, s.OH, s.OW);
    char kind[32];
    snprintf(kind, sizeof kind, "bn%s%s", res ? "_add" : "", relu ? "_relu" : "");
    const double ne = (double)nout, extra = (res ? 1 : 0) + (relu ? 1 : 0);
    for (int i = 0; i < O; i++) {
        ob->gamma[i] = 1.0f;
        ob->beta[i] = 0.0f;
        ob->rm[i] = 0.0f;
        ob->rv[i] = 1.0f;
    }
    const float *resp = res ? ob->in : NULL;
    float *dres = res ? ob->dres : NULL;
    TIME_OP(ob, ms,
            be->bn_act_forward_train(ob->ctx, ob->din, ob->mean, ob->invstd, ob->rm, ob->rv, ob->out, resp, ob->gamma,
                                     ob->beta, B, O, HW, 0.1f, 1e-5f, relu));
    op_line(ob, bn_name, kind, "fwd", shape, 1, ms, (7 + extra) * ne * 1e-9, (12 + 4 * (res ? 1 : 0)) * ne * 1e-6);
    TIME_OP(ob, ms,
            be->bn_act_forward_eval(ob->ctx, ob->din, ob->out, resp, ob->gamma, ob->beta, ob->rm, ob->rv, B, O, HW,
                                    1e-5f, relu));
    op_line(ob, bn_name, kind, "eval", shape, 0, ms, (2 + extra) * ne * 1e-9, (8 + 4 * (res ? 1 : 0)) * ne * 1e-6);
    TIME_OP(ob, ms,
            be->bn_act_backward(ob->ctx, ob->din, dres, ob->dgamma, ob->dbeta, ob->dout, relu ? ob->in : NULL, ob->out,
                                ob->mean, ob->invstd, ob->gamma, B, O, HW, relu));
    op_line(ob, bn_name, kind, "bwd", shape, 1, ms, (9 + (relu ? 1 : 0)) * ne * 1e-9,
            (16 + 8 * (relu ? 1 : 0) + 4 * (res ? 1 : 0)) * ne * 1e-6);
}

// Elementwise op lines: relu forward/backward and residual adds on n floats.
static void bench_eltwise(op_bench *ob, const char *layer, int64_t n, int relu_f, int relu_b, int add_f, int add_b,
                          const char *shape) {
    const ws_backend *be = ws_backend_of(ob->ctx);
    double ms, mb = 4.0 * n * 1e-6;
    if (relu_f) {
        TIME_OP(ob, ms, be->relu_forward(ob->ctx, ob->out, ob->in, n));
        op_line(ob, layer, "relu", "fwd", shape, relu_f, ms, n * 1e-9, 2 * mb);
    }
    if (relu_b) {
        TIME_OP(ob, ms, be->relu_backward(ob->ctx, ob->din, ob->dout, ob->in, n));
        op_line(ob, layer, "relu", "bwd", shape, relu_b, ms, n * 1e-9, 3 * mb);
    }
    if (add_f) {
        TIME_OP(ob, ms, be->add_forward(ob->ctx, ob->out, ob->out, ob->in, n));
        op_line(ob, layer, "add", "fwd", shape, add_f, ms, n * 1e-9, 3 * mb);
    }
    if (add_b) {
        TIME_OP(ob, ms, be->add_forward(ob->ctx, ob->din, ob->din, ob->dout, n));
        op_line(ob, layer, "add", "bwd", shape, add_b, ms, n * 1e-9, 3 * mb);
    }
}

static void run_layers(const model_case *mc, int threads, int B, int reps) {
    ws_ctx ctx;
    bench_ctx(&ctx, threads);
    const ws_backend *be = ws_backend_of(&ctx);
    const int w = mc->width, C0 = mc->input.c, H0 = mc->input.h, W0 = mc->input.w;
    // The largest tensors: the stem's output (B, w, H0, W0) or the input; the
    // largest weight: layer4's 3x3 (8w, 8w, 3, 3); the largest workspace: the
    // im2col columns of one image of any layer.
    int64_t act = (int64_t)B * (w > C0 ? w : C0) * H0 * W0, wmax = (int64_t)8 * w * 8 * w * 9, wsmax = 0;
    {
        ws_conv_shape s = {.B = B, .C = C0, .H = H0, .W = W0, .O = w, .KH = 3, .KW = 3, .stride = 1, .pad = 1};
        ws_conv_shape_resolve(&s);
        wsmax = be->conv2d_workspace(&s);
        int c = w, h = H0, wd = W0;
        for (int stage = 0; stage < 4; stage++) {
            int planes = w << stage, st = stage ? 2 : 1;
            ws_conv_shape a = {.B = B, .C = c, .H = h, .W = wd, .O = planes, .KH = 3, .KW = 3, .stride = st, .pad = 1};
            ws_conv_shape_resolve(&a);
            if (be->conv2d_workspace(&a) > wsmax) wsmax = be->conv2d_workspace(&a);
            ws_conv_shape b2 = {.B = B, .C = planes, .H = a.OH, .W = a.OW, .O = planes, .KH = 3, .KW = 3, .stride = 1, .pad = 1};
            ws_conv_shape_resolve(&b2);
            if (be->conv2d_workspace(&b2) > wsmax) wsmax = be->conv2d_workspace(&b2);
            c = planes, h = a.OH, wd = a.OW;
        }
    }
    op_bench ob = {.ctx = &ctx, .mc = mc, .B = B, .reps = reps};
    ob.in = xalloc(&ctx, sizeof(float) * (size_t)act);
    ob.out = xalloc(&ctx, sizeof(float) * (size_t)act);
    ob.din = xalloc(&ctx, sizeof(float) * (size_t)act);
    ob.dout = xalloc(&ctx, sizeof(float) * (size_t)act);
    ob.dres = xalloc(&ctx, sizeof(float) * (size_t)act);
    ob.w = xalloc(&ctx, sizeof(float) * (size_t)wmax);
    ob.dw = xalloc(&ctx, sizeof(float) * (size_t)wmax);
    ob.ws = xalloc(&ctx, sizeof(float) * (size_t)(wsmax > 0 ? wsmax : 1));
    float **vecs[] = {&ob.mean, &ob.invstd, &ob.rm, &ob.rv, &ob.gamma, &ob.beta, &ob.dgamma, &ob.dbeta};
    for (size_t i = 0; i < sizeof vecs / sizeof vecs[0]; i++) *vecs[i] = xalloc(&ctx, sizeof(float) * (size_t)(8 * w));
    ob.t = xalloc(&ctx, sizeof(double) * 2 * (size_t)reps);
    ws_rng r = ws_rng_stream(2, "eltwise", 0);
    fill_normal(ob.in, act, &r, 1.0f);
    fill_normal(ob.dout, act, &r, 1.0f);

    char shape[64];
    // Stem: relu(bn1(conv1 x)).
    bench_conv_bn(&ob, "conv1", "bn1", C0, H0, W0, w, 3, 1, 1, 0, 0, 1);
    int c = w, h = H0, wd = W0;
    for (int stage = 0; stage < 4; stage++) {
        int planes = w << stage;
        for (int b = 0; b < 2; b++) {
            int st = b == 0 && stage > 0 ? 2 : 1;
            char name[48], bn[48];
            int oh = (h + 2 - 3) / st + 1, ow = (wd + 2 - 3) / st + 1;
            snprintf(name, sizeof name, "layer%d.%d.conv1", stage + 1, b);
            snprintf(bn, sizeof bn, "layer%d.%d.bn1", stage + 1, b);
            bench_conv_bn(&ob, name, bn, c, h, wd, planes, 3, st, 1, 1, 0, 1);
            snprintf(name, sizeof name, "layer%d.%d.conv2", stage + 1, b);
            snprintf(bn, sizeof bn, "layer%d.%d.bn2", stage + 1, b);
            bench_conv_bn(&ob, name, bn, planes, oh, ow, planes, 3, 1, 1, 1, 1, 1);
            int shortcut = st != 1 || c != planes;
            if (shortcut) {
                snprintf(name, sizeof name, "layer%d.%d.shortcut.0", stage + 1, b);
                snprintf(bn, sizeof bn, "layer%d.%d.shortcut.1", stage + 1, b);
                bench_conv_bn(&ob, name, bn, c, h, wd, planes, 1, st, 0, 1, 0, 0);
            }
            // Block: the ReLUs and the residual add are fused into the BNs;
            // backward adds the shortcut's input gradient (B*pi floats) or
            // dsum (B*po) to the input gradient.
            snprintf(name, sizeof name, "layer%d.%d", stage + 1, b);
            int64_t n = (int64_t)B * planes * oh * ow, nin = (int64_t)B * c * h * wd;
            if (shortcut) snprintf(shape, sizeof shape, "%dx%dx%d", c, h, wd);
            else snprintf(shape, sizeof shape, "%dx%dx%d", planes, oh, ow);
            bench_eltwise(&ob, name, shortcut ? nin : n, 0, 0, 0, 1, shape);
            c = planes, h = oh, wd = ow;
        }
    }
    // Global average pool, linear head, softmax-CE.
    double ms;
    int HW = h * wd;
    snprintf(shape, sizeof shape, "%dx%dx%d", c, h, wd);
    TIME_OP(&ob, ms, be->avgpool_forward(&ctx, ob.out, ob.in, B, c, HW));
    op_line(&ob, "avgpool", "pool", "fwd", shape, 1, ms, (double)B * c * HW * 1e-9, 4.0 * B * c * (HW + 1) * 1e-6);
    TIME_OP(&ob, ms, be->avgpool_backward(&ctx, ob.din, ob.dout, B, c, HW));
    op_line(&ob, "avgpool", "pool", "bwd", shape, 1, ms, (double)B * c * HW * 1e-9, 4.0 * B * c * (HW + 1) * 1e-6);
    snprintf(shape, sizeof shape, "%d->%d", c, CLASSES);
    fill_normal(ob.w, (int64_t)CLASSES * c, &r, 0.05f);
    TIME_OP(&ob, ms, be->linear_forward(&ctx, ob.out, ob.in, ob.w, ob.gamma, B, c, CLASSES));
    const double lgf = 2.0 * B * c * CLASSES * 1e-9, lmb = 4.0 * (B * c + c * CLASSES + B * CLASSES) * 1e-6;
    op_line(&ob, "linear", "head", "fwd", shape, 1, ms, lgf, lmb);
    TIME_OP(&ob, ms, be->linear_backward(&ctx, ob.din, ob.dw, ob.dgamma, ob.dout, ob.in, ob.w, B, c, CLASSES));
    op_line(&ob, "linear", "head", "bwd", shape, 1, ms, 2 * lgf, 2 * lmb);
    {
        float *probs = xalloc(&ctx, sizeof(float) * (size_t)B * CLASSES), *losses = xalloc(&ctx, sizeof(float) * (size_t)B);
        uint8_t *correct = xalloc(&ctx, (size_t)B);
        int32_t *y = xalloc(&ctx, sizeof(int32_t) * (size_t)B);
        for (int i = 0; i < B; i++) y[i] = i % CLASSES;
        snprintf(shape, sizeof shape, "%d", CLASSES);
        TIME_OP(&ob, ms, be->softmax_ce_forward(&ctx, probs, losses, correct, ob.in, y, B, CLASSES));
        op_line(&ob, "loss", "head", "fwd", shape, 1, ms, 0, 0);
        TIME_OP(&ob, ms, be->softmax_ce_backward(&ctx, ob.din, probs, y, 1.0f / B, B, CLASSES));
        op_line(&ob, "loss", "head", "bwd", shape, 1, ms, 0, 0);
        ws_free(probs), ws_free(losses), ws_free(correct), ws_free(y);
    }

    // Whole-arena passes: zero_grad and the optimizer steps, on the real model.
    ws_model *m = make_model(&ctx, mc, B, 1);
    snprintf(shape, sizeof shape, "%lld", (long long)m->nweights);
    const double np = (double)m->nweights;
    TIME_OP(&ob, ms, ws_model_zero_grad(m));
    op_line(&ob, "model", "optim", "zero_grad", shape, 1, ms, 0, 4 * np * 1e-6);
    for (int k = 0; k < 2; k++) {
        ws_opt_config oc = k ? ws_opt_defaults(WS_OPT_ADAM, 1e-3f) : ws_opt_defaults(WS_OPT_SGD, 0.1f);
        if (!k) oc.momentum = 0.9f;
        ws_optim opt;
        if (ws_optim_create(&ctx, &opt, &oc, m->nweights)) {
            fprintf(stderr, "bench_resnet: %s\n", ctx.err);
            exit(1);
        }
        // gradients: something nonzero, small, so that Adam's moments stay finite
        for (int64_t i = 0; i < m->nweights; i++) m->g[i] = 1e-4f * (float)((i % 7) - 3);
        TIME_OP(&ob, ms, ws_optim_step(&opt, m->w, m->g));
        // SGD momentum: w, g, buf read, w, buf written; Adam: w, g, m, v read, w, m, v written
        op_line(&ob, "model", "optim", k ? "adam" : "sgd-momentum", shape, !k, ms, (k ? 14 : 4) * np * 1e-9,
                (k ? 28 : 20) * np * 1e-6);
        ws_optim_free(&opt);
    }
    ws_model_free(m);
    printf("# layers threads=%d base_rss_mb=%.1f maxrss_mb=%.1f\n", threads, base_rss, rss_mb());
    ws_free(ob.in), ws_free(ob.out), ws_free(ob.din), ws_free(ob.dout), ws_free(ob.dres), ws_free(ob.w), ws_free(ob.dw), ws_free(ob.ws);
    for (size_t i = 0; i < sizeof vecs / sizeof vecs[0]; i++) ws_free(*vecs[i]);
    ws_free(ob.t);
}

static void usage(void) {
    fprintf(stderr,
            "usage: bench_resnet step|eval|layers --model wW-CxHxW [--opt sgd-momentum|adam] [--threads 1,2]\n"
            "                    [--steps N] [--warmup N] [--reps N] [--batch B] [--backend onednn|reference]\n"
            "                    [--conv-algo auto|direct] [--precision fp32|bf16]\n");
}

int main(int argc, char **argv) {
    base_rss = rss_mb();
    if (argc < 2) { usage(); return 2; }
    const char *mode = argv[1];
    if (strcmp(mode, "step") && strcmp(mode, "eval") && strcmp(mode, "layers")) { usage(); return 2; }
    int steps = 10, warmup = 2, reps = 5, B = 128, have_model = 0;
    int threads[8] = {1, 2}, nthreads = 2;
    const char *optname = "sgd-momentum";
    model_case mc;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        if (i + 1 >= argc) { usage(); return 2; }
        const char *v = argv[++i];
        if (!strcmp(a, "--steps")) steps = atoi(v);
        else if (!strcmp(a, "--warmup")) warmup = atoi(v);
        else if (!strcmp(a, "--reps")) reps = atoi(v);
        else if (!strcmp(a, "--batch")) B = atoi(v);
        else if (!strcmp(a, "--opt")) optname = v;
        else if (!strcmp(a, "--backend")) bopts.backend = v;
        else if (!strcmp(a, "--conv-algo")) bopts.conv_algo = v;
        else if (!strcmp(a, "--precision")) bopts.precision = v;
        else if (!strcmp(a, "--model")) {
            if (parse_model(v, &mc)) { usage(); return 2; }
            have_model = 1;
        } else if (!strcmp(a, "--threads")) {
            nthreads = 0;
            char buf[128];
            snprintf(buf, sizeof buf, "%s", v);
            for (char *tok = strtok(buf, ","); tok && nthreads < 8; tok = strtok(NULL, ","))
                threads[nthreads++] = atoi(tok);
        } else { usage(); return 2; }
    }
    if (!have_model || steps < 1 || warmup < 0 || reps < 1 || B < 1 || nthreads < 1) { usage(); return 2; }
    if (strcmp(optname, "sgd-momentum") && strcmp(optname, "adam")) { usage(); return 2; }
    for (int ti = 0; ti < nthreads; ti++)
        if (threads[ti] < 1) { usage(); return 2; }
    for (int ti = 0; ti < nthreads; ti++) {
        if (!strcmp(mode, "layers")) run_layers(&mc, threads[ti], B, reps);
        else run_step(&mc, !strcmp(mode, "eval") ? "eval" : optname, threads[ti], B, warmup, steps);
    }
    return 0;
}
