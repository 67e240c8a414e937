// parity_tool: the engine's side of the PyTorch parity tests (tests/parity/*.py).
//
//   parity_tool step MODEL IN.safetensors OUT.safetensors [options]
//
// MODEL is "mlp:IN:H1,H2,...:CLASSES" or "logreg:IN:CLASSES". IN holds every
// parameter under its PyTorch name (F32, PyTorch layout), the batch `x` (F32,
// (B, IN)) and the labels `y` (I64 or I32, (B)). The tool runs one forward pass
// (train mode), the mean cross-entropy loss and one backward pass, and writes to
// OUT:
//   logits            F32 (B, CLASSES)
//   loss              F32 scalar (shape [])
//   grad.<name>       F32, each parameter's gradient
// then takes --steps N optimizer steps on the same batch (each step recomputes
// the gradients from the current weights, as a torch loop of zero_grad /
// forward / backward / step does) and writes
//   losses            F32 (N): the loss before each step
//   param.<name>      F32, the parameters after the N steps
// and with --trace, for every step k = 1..N,
//   step<k>.grad.<name>   the gradient step k applied
//   step<k>.param.<name>  the parameters after step k
//
// Options: --opt sgd|adam (default sgd) --lr X (0.01) --momentum X --nesterov
// --wd X --adamw --beta1 X --beta2 X --eps X --steps N (0) --threads N (1) --trace
//
// Exit status: 0 on success, 1 on any error (one line on stderr), 2 on usage.
#define _DEFAULT_SOURCE // strsep, strdup
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ctx.h"
#include "io/safetensors.h"
#include "nn/model.h"
#include "optim/optim.h"

static int fail(const char *msg) {
    fprintf(stderr, "parity_tool: error: %s\n", msg);
    return 1;
}

static int usage(void) {
    fprintf(stderr,
            "usage: parity_tool step MODEL IN.safetensors OUT.safetensors [--opt sgd|adam] [--lr X]\n"
            "         [--momentum X] [--nesterov] [--wd X] [--adamw] [--beta1 X] [--beta2 X] [--eps X]\n"
            "         [--steps N] [--threads N] [--trace]\n"
            "MODEL: mlp:IN:H1,H2,...:CLASSES | logreg:IN:CLASSES\n");
    return 2;
}

static int parse_int(const char *s, int *out) {
    char *end;
    long v = strtol(s, &end, 10);
    if (end == s || *end || v < 1 || v > 100000000) return -1;
    *out = (int)v;
    return 0;
}

static int parse_float(const char *s, float *out) {
    char *end;
    *out = strtof(s, &end);
    return end == s || *end ? -1 : 0;
}

// "mlp:784:100,100:10" | "logreg:3072:10"
static int parse_spec(const char *s, ws_model_spec *spec) {
    memset(spec, 0, sizeof *spec);
    char buf[256];
    if (strlen(s) >= sizeof buf) return -1;
    strcpy(buf, s);
    char *parts[4];
    int n = 0;
    for (char *p = buf, *tok; n < 4 && (tok = strsep(&p, ":")); n++) parts[n] = tok;
    int in;
    if (n == 3 && !strcmp(parts[0], "logreg")) {
        spec->kind = WS_MODEL_LOGREG;
        if (parse_int(parts[1], &in) || parse_int(parts[2], &spec->num_classes)) return -1;
    } else if (n == 4 && !strcmp(parts[0], "mlp")) {
        spec->kind = WS_MODEL_MLP;
        if (parse_int(parts[1], &in) || parse_int(parts[3], &spec->num_classes)) return -1;
        for (char *p = parts[2], *tok; (tok = strsep(&p, ","));) {
            if (spec->nhidden >= WS_MAX_HIDDEN || parse_int(tok, &spec->hidden[spec->nhidden])) return -1;
            spec->nhidden++;
        }
    } else {
        return -1;
    }
    spec->input = (ws_shape){in, 1, 1};
    return 0;
}

// Copy every parameter from the input file (checked: F32, exact shape).
static ws_status load_params(ws_ctx *ctx, ws_model *m, const ws_st_file *f, const char *path) {
    for (int i = 0; i < m->nparams; i++) {
        const ws_param *p = &m->params[i];
        const ws_st_tensor *t = ws_st_find(f, p->name);
        if (!t) return ws_fail(ctx, WS_ERR_FORMAT, "%s: missing tensor '%s' for model %s", path, p->name, m->arch);
        int same = t->dtype == WS_ST_F32 && t->ndim == p->ndim;
        for (int k = 0; same && k < p->ndim; k++) same = t->dims[k] == p->dims[k];
        if (!same) return ws_fail(ctx, WS_ERR_FORMAT, "%s: tensor '%s' has the wrong dtype or shape", path, p->name);
        memcpy(m->w + p->offset, t->data, (size_t)t->nbytes);
    }
    return WS_OK;
}

// Output tensors: names and data are owned here until the file is written.
typedef struct {
    ws_st_entry *e;
    char **names;
    void **bufs;
    int n, cap;
} out_list;

static int out_add(out_list *o, const char *name, ws_st_dtype dt, int ndim, const int64_t *dims, const void *data,
                   size_t bytes) {
    if (o->n == o->cap) {
        int cap = o->cap ? 2 * o->cap : 64;
        ws_st_entry *e = realloc(o->e, sizeof *e * (size_t)cap);
        if (e) o->e = e;
        char **names = realloc(o->names, sizeof *names * (size_t)cap);
        if (names) o->names = names;
        void **bufs = realloc(o->bufs, sizeof *bufs * (size_t)cap);
        if (bufs) o->bufs = bufs;
        if (!e || !names || !bufs) return -1;
        o->cap = cap;
    }
    char *nm = strdup(name);
    void *copy = malloc(bytes ? bytes : 1);
    if (!nm || !copy) {
        free(nm);
        free(copy);
        return -1;
    }
    memcpy(copy, data, bytes);
    ws_st_entry *e = &o->e[o->n];
    memset(e, 0, sizeof *e);
    e->name = nm;
    e->dtype = dt;
    e->ndim = ndim;
    for (int k = 0; k < ndim; k++) e->dims[k] = dims[k];
    e->data = copy;
    o->names[o->n] = nm;
    o->bufs[o->n] = copy;
    o->n++;
    return 0;
}

static void out_free(out_list *o) {
    for (int i = 0; i < o->n; i++) {
        free(o->names[i]);
        free(o->bufs[i]);
    }
    free(o->e);
    free(o->names);
    free(o->bufs);
    memset(o, 0, sizeof *o);
}

// Add every parameter (from `arena`: weights or gradients) as "<prefix><name>".
static int out_add_arena(out_list *o, const ws_model *m, const float *arena, const char *prefix) {
    for (int i = 0; i < m->nparams; i++) {
        const ws_param *p = &m->params[i];
        char name[160];
        snprintf(name, sizeof name, "%s%s", prefix, p->name);
        int64_t dims[4];
        for (int k = 0; k < p->ndim; k++) dims[k] = p->dims[k];
        if (out_add(o, name, WS_ST_F32, p->ndim, dims, arena + p->offset, sizeof(float) * (size_t)p->numel)) return -1;
    }
    return 0;
}

// Forward + loss + zero_grad + backward on the batch; returns the mean loss.
static double forward_backward(ws_ctx *ctx, ws_model *m, const float *x, const int32_t *y, int B) {
    ws_model_forward(ctx, m, x, B, 1);
    double loss = ws_model_loss(ctx, m, y, B, NULL);
    ws_model_zero_grad(m);
    ws_model_backward(ctx, m, y, B);
    return loss;
}

static int cmd_step(int argc, char **argv) {
    if (argc < 3) return usage();
    const char *spec_s = argv[0], *in_path = argv[1], *out_path = argv[2];
    ws_opt_kind kind = WS_OPT_SGD;
    float lr = 0.01f, momentum = 0, wd = 0, beta1 = 0.9f, beta2 = 0.999f, eps = 1e-8f;
    int nesterov = 0, adamw = 0, steps = 0, threads = 1, trace = 0;
    for (int i = 3; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int bad = 0;
        if (!strcmp(a, "--nesterov")) nesterov = 1;
        else if (!strcmp(a, "--adamw")) adamw = 1;
        else if (!strcmp(a, "--trace")) trace = 1;
        else if (!v) return usage();
        else {
            i++;
            if (!strcmp(a, "--opt")) {
                if (!strcmp(v, "sgd")) kind = WS_OPT_SGD;
                else if (!strcmp(v, "adam")) kind = WS_OPT_ADAM;
                else bad = 1;
            } else if (!strcmp(a, "--lr")) bad = parse_float(v, &lr);
            else if (!strcmp(a, "--momentum")) bad = parse_float(v, &momentum);
            else if (!strcmp(a, "--wd")) bad = parse_float(v, &wd);
            else if (!strcmp(a, "--beta1")) bad = parse_float(v, &beta1);
            else if (!strcmp(a, "--beta2")) bad = parse_float(v, &beta2);
            else if (!strcmp(a, "--eps")) bad = parse_float(v, &eps);
            else if (!strcmp(a, "--steps")) {
                if (!strcmp(v, "0")) steps = 0;
                else bad = parse_int(v, &steps);
            } else if (!strcmp(a, "--threads")) bad = parse_int(v, &threads);
            else return usage();
        }
        if (bad) {
            fprintf(stderr, "parity_tool: error: bad value for %s\n", a);
            return 2;
        }
    }
    if (kind == WS_OPT_ADAM && (momentum > 0 || nesterov)) return fail("--momentum/--nesterov are SGD options");
    if (kind == WS_OPT_SGD && adamw) return fail("--adamw is an Adam option");
    ws_model_spec spec;
    if (parse_spec(spec_s, &spec)) return usage();

    ws_ctx ctx;
    ws_ctx_init(&ctx, threads);
    ws_opt_config oc = ws_opt_defaults(kind, lr);
    oc.weight_decay = wd;
    oc.momentum = momentum;
    oc.nesterov = nesterov;
    oc.beta1 = beta1;
    oc.beta2 = beta2;
    oc.eps = eps;
    oc.decoupled = adamw;
    if (ws_opt_config_check(&ctx, &oc)) return fail(ctx.err);

    int rc = 1;
    ws_model *m = NULL;
    ws_optim opt = {0};
    ws_st_file f = {0};
    out_list out = {0};
    float *x = NULL;
    int32_t *y = NULL;
    if (ws_model_create(&ctx, &m, &spec) || ws_st_read(&ctx, &f, in_path) || load_params(&ctx, m, &f, in_path)) {
        fail(ctx.err);
        goto done;
    }
    const int64_t in = ws_shape_numel(spec.input);
    const int C = spec.num_classes;
    const ws_st_tensor *tx = ws_st_find(&f, "x"), *ty = ws_st_find(&f, "y");
    if (!tx || tx->dtype != WS_ST_F32 || tx->ndim != 2 || tx->dims[1] != in || tx->dims[0] < 1) {
        fprintf(stderr, "parity_tool: error: %s: need tensor 'x', F32 (B, %lld)\n", in_path, (long long)in);
        goto done;
    }
    const int B = (int)tx->dims[0];
    if (!ty || (ty->dtype != WS_ST_I64 && ty->dtype != WS_ST_I32) || ty->ndim != 1 || ty->dims[0] != B) {
        fprintf(stderr, "parity_tool: error: %s: need tensor 'y', I64 or I32 (%d)\n", in_path, B);
        goto done;
    }
    x = malloc(sizeof(float) * (size_t)B * (size_t)in);
    y = malloc(sizeof(int32_t) * (size_t)B);
    if (!x || !y) {
        fail("out of memory");
        goto done;
    }
    memcpy(x, tx->data, (size_t)tx->nbytes);
    for (int b = 0; b < B; b++) {
        int64_t v;
        if (ty->dtype == WS_ST_I64) memcpy(&v, ty->data + 8 * b, 8);
        else {
            int32_t v32;
            memcpy(&v32, ty->data + 4 * b, 4);
            v = v32;
        }
        if (v < 0 || v >= C) {
            fprintf(stderr, "parity_tool: error: %s: label y[%d] = %lld outside [0, %d)\n", in_path, b, (long long)v, C);
            goto done;
        }
        y[b] = (int32_t)v;
    }
    if (ws_model_plan(&ctx, m, B) || ws_optim_create(&ctx, &opt, &oc, m->nweights)) {
        fail(ctx.err);
        goto done;
    }

    // The first forward / backward: logits, loss and gradients.
    double loss = forward_backward(&ctx, m, x, y, B);
    const float *logits = ws_model_forward(&ctx, m, x, B, 1); // same weights: same logits
    float loss32 = (float)loss;
    int64_t ldims[2] = {B, C};
    if (out_add(&out, "logits", WS_ST_F32, 2, ldims, logits, sizeof(float) * (size_t)B * (size_t)C) ||
        out_add(&out, "loss", WS_ST_F32, 0, NULL, &loss32, sizeof loss32) || out_add_arena(&out, m, m->g, "grad.")) {
        fail("out of memory");
        goto done;
    }

    // N optimizer steps on the same batch; the gradients of step 1 are those above.
    float *losses = calloc((size_t)(steps ? steps : 1), sizeof(float));
    if (!losses) {
        fail("out of memory");
        goto done;
    }
    for (int k = 1; k <= steps; k++) {
        if (k > 1) loss = forward_backward(&ctx, m, x, y, B);
        losses[k - 1] = (float)loss;
        ws_optim_step(&opt, m->w, m->g);
        if (trace) {
            char prefix[64];
            snprintf(prefix, sizeof prefix, "step%d.grad.", k);
            int err = out_add_arena(&out, m, m->g, prefix);
            snprintf(prefix, sizeof prefix, "step%d.param.", k);
            if (err || out_add_arena(&out, m, m->w, prefix)) {
                free(losses);
                fail("out of memory");
                goto done;
            }
        }
    }
    int64_t sdims[1] = {steps};
    int err = out_add(&out, "losses", WS_ST_F32, 1, sdims, losses, sizeof(float) * (size_t)steps) ||
              out_add_arena(&out, m, m->w, "param.");
    free(losses);
    if (err) {
        fail("out of memory");
        goto done;
    }
    if (ws_st_write(&ctx, out_path, out.e, out.n, NULL, 0)) {
        fail(ctx.err);
        goto done;
    }
    rc = 0;
done:
    out_free(&out);
    free(x);
    free(y);
    ws_st_close(&f);
    ws_optim_free(&opt);
    ws_model_free(m);
    return rc;
}

int main(int argc, char **argv) {
    if (argc < 2) return usage();
    if (!strcmp(argv[1], "step")) return cmd_step(argc - 2, argv + 2);
    return usage();
}
