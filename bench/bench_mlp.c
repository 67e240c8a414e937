// Training-step benchmark: the time of one full SGD/Adam step of an MLP on a
// batch already prepared as floats (zero_grad, forward in train mode,
// softmax-CE loss, backward, optimizer step), the same work bench_torch.py
// times in PyTorch. Warm-up, then the median of many individually timed steps.
//
//   build/bench_mlp [--steps N] [--warmup N] [--threads LIST] [--batch B] [--precision fp32,bf16]
//
// One line per case on stdout, key=value pairs:
//   bench impl=warmstart model=3072-100-100-10 opt=sgd threads=1 batch=128 median_ms=1.234 min_ms=1.200 steps=200
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ctx.h"
#include "core/rng.h"
#include "nn/model.h"
#include "ops/backend.h"
#include "optim/optim.h"

typedef struct {
    const char *name;     // as printed: "3072-100-100-10"
    ws_shape input;
    int nhidden, hidden[2];
    int classes;
    const char *opt;      // "sgd", "sgd-momentum", "adam"
} bench_case;

static const bench_case cases[] = {
    {"3072-100-100-10", {3, 32, 32}, 2, {100, 100}, 10, "sgd"},
    {"3072-100-100-10", {3, 32, 32}, 2, {100, 100}, 10, "adam"},
    {"784-512-512-10", {1, 28, 28}, 2, {512, 512}, 10, "sgd-momentum"},
    {"784-512-512-10", {1, 28, 28}, 2, {512, 512}, 10, "adam"},
};

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int run_case(const bench_case *c, int threads, const char *precision, int B, int warmup, int steps) {
    ws_ctx ctx;
    ws_ctx_init(&ctx, threads);
    if (ws_ctx_set_precision(&ctx, precision)) {
        fprintf(stderr, "bench_mlp: %s\n", ctx.err);
        return 1;
    }
    ws_model_spec spec = {.kind = WS_MODEL_MLP, .input = c->input, .num_classes = c->classes, .nhidden = c->nhidden};
    for (int i = 0; i < c->nhidden; i++) spec.hidden[i] = c->hidden[i];
    ws_model *m = NULL;
    if (ws_model_create(&ctx, &m, &spec) || ws_model_plan(&ctx, m, B)) {
        fprintf(stderr, "bench_mlp: %s\n", ctx.err);
        ws_model_free(m);
        return 1;
    }
    ws_rng rng = ws_rng_stream(1, "init", 0);
    ws_model_init(m, &rng);

    ws_opt_config oc;
    if (!strcmp(c->opt, "adam")) {
        oc = ws_opt_defaults(WS_OPT_ADAM, 1e-3f);
    } else {
        oc = ws_opt_defaults(WS_OPT_SGD, 1e-3f);
        if (!strcmp(c->opt, "sgd-momentum")) oc.momentum = 0.9f;
    }
    ws_optim opt;
    if (ws_optim_create(&ctx, &opt, &oc, m->nweights)) {
        fprintf(stderr, "bench_mlp: %s\n", ctx.err);
        ws_model_free(m);
        return 1;
    }

    int64_t in = ws_shape_numel(c->input);
    float *x = ws_alloc(&ctx, sizeof(float) * (size_t)B * (size_t)in);
    int32_t *y = ws_alloc(&ctx, sizeof(int32_t) * (size_t)B);
    double *t = malloc(sizeof(double) * (size_t)steps);
    if (!x || !y || !t) {
        fprintf(stderr, "bench_mlp: out of memory\n");
        return 1;
    }
    ws_rng dr = ws_rng_stream(1, "bench-data", 0);
    for (int64_t i = 0; i < (int64_t)B * in; i++) x[i] = ws_rng_normal(&dr);
    for (int i = 0; i < B; i++) y[i] = (int32_t)ws_rng_below(&dr, (uint32_t)c->classes);

    double loss_sum = 0.0;
    for (int s = 0; s < warmup + steps; s++) {
        double t0 = ws_now();
        ws_model_zero_grad(m);
        ws_model_forward(&ctx, m, x, B, 1);
        int correct = 0;
        double loss = ws_model_loss(&ctx, m, y, B, &correct);
        ws_model_backward(&ctx, m, y, B);
        ws_optim_step(&opt, m->w, m->g);
        double dt = ws_now() - t0;
        if (s >= warmup) t[s - warmup] = dt;
        loss_sum += loss;
    }
    qsort(t, (size_t)steps, sizeof *t, cmp_double);
    double med = steps % 2 ? t[steps / 2] : 0.5 * (t[steps / 2 - 1] + t[steps / 2]);
    printf("bench impl=warmstart model=%s opt=%s threads=%d batch=%d median_ms=%.3f min_ms=%.3f steps=%d "
           "mean_loss=%.4f precision=%s\n",
           c->name, c->opt, threads, B, med * 1e3, t[0] * 1e3, steps, loss_sum / (warmup + steps), precision);
    fflush(stdout);

    free(t);
    ws_free(x);
    ws_free(y);
    ws_optim_free(&opt);
    ws_model_free(m);
    return 0;
}

static void usage(void) {
    fprintf(stderr, "usage: bench_mlp [--steps N] [--warmup N] [--threads 1,2] [--batch B] [--precision fp32,bf16]\n");
}

int main(int argc, char **argv) {
    int steps = 200, warmup = 30, B = 128;
    int threads[8] = {1, 2}, nthreads = 2;
    char precisions[64] = "fp32"; // comma-separated
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (i + 1 >= argc) { usage(); return 2; }
        const char *v = argv[++i];
        if (!strcmp(a, "--steps")) steps = atoi(v);
        else if (!strcmp(a, "--warmup")) warmup = atoi(v);
        else if (!strcmp(a, "--batch")) B = atoi(v);
        else if (!strcmp(a, "--precision")) snprintf(precisions, sizeof precisions, "%s", v);
        else if (!strcmp(a, "--threads")) {
            nthreads = 0;
            char buf[128];
            snprintf(buf, sizeof buf, "%s", v);
            for (char *tok = strtok(buf, ","); tok && nthreads < 8; tok = strtok(NULL, ","))
                threads[nthreads++] = atoi(tok);
        } else { usage(); return 2; }
    }
    if (steps < 1 || warmup < 0 || B < 1 || nthreads < 1) { usage(); return 2; }
    for (int ti = 0; ti < nthreads; ti++)
        if (threads[ti] < 1) { usage(); return 2; }

    char *prec[4], *save = NULL;
    int nprec = 0;
    for (char *tok = strtok_r(precisions, ",", &save); tok && nprec < 4; tok = strtok_r(NULL, ",", &save))
        prec[nprec++] = tok;
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++)
        for (int ti = 0; ti < nthreads; ti++)
            for (int pi = 0; pi < nprec; pi++) // precisions of a case back to back: their ratio from one stretch
                if (run_case(&cases[ci], threads[ti], prec[pi], B, warmup, steps)) return 1;
    return 0;
}
