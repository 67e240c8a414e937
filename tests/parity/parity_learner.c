// parity_tool learner: a learner's hooks on fixed weights, batches and optimizer state, for the
// parity tests of the remedies (tests/parity/test_remedies_*.py).
//
//   parity_tool learner MODEL LEARNER IN.safetensors OUT.safetensors [--opt sgd|adam] [--lr X]
//       [--wd X] [--adamw] [--steps N] [--seed S] [--begin R] [--examples N] [--end] [--trace]
//       [--normals PURPOSE] [--threads N] [--backend B]
//
// LEARNER is a learner spec as --learners takes it ("redo:tau=0.1:every=2"). IN holds every
// parameter (and buffer) under its PyTorch name, the batches `x` (N, B, ...) -- one per step --
// or (B, ...) (the same batch every step) and `y` (N, B) or (B), and optionally the optimizer's
// state: `opt.step` (I64 scalar) and per parameter `opt.exp_avg.<name>`, `opt.exp_avg_sq.<name>`
// (Adam) or `opt.momentum_buffer.<name>` (SGD).
//
// What it does, as a scenario would: the learner's state for the model (seed S, default 1);
// its optimizer made and the given state loaded into it; the learner's begin for round 0
// (every learner's first; with --examples N the rounds have N examples, of which the hooks see
// only the number: an epoch's length); with --begin R >= 1, its begin for round R too (the fresh
// initialisation drawn from the stream ("init", R)), then the optimizer for the round (reset
// unless the learner keeps it); then N steps on the batches, each a train-mode forward, the
// loss's backward, the learner's hooks and the update (ws_learner_hooks: the penalty after the
// backward, the update itself where the learner gives one, its after-step hook); with --end, the
// learner's end for the round after the steps (a remedy's end hook: no data is given).
//
// OUT: `begin.param.<name>` and `begin.fresh.<name>` (with --begin), the model and the round's
// fresh draw after begin; per step k with --trace, `step<k>.param.<name>` and
// `step<k>.opt.exp_avg.<name>` etc. (and `opt.param_step.<name>`: the step count of the
// parameter's state, its own where it was restarted); for every step k, `draw<k>.<name>`: the fresh
// initialisation a hook drawing with ws_hook_fresh(h, k) gets; with --normals PURPOSE, for every
// step k, `normal<k>.<name>`: the standard normals (ws_rng_normals) of the stream (seed, PURPOSE, k), one per
// parameter in arena order (the noise a remedy adds in update k: UPGD's "upgd-noise"); at the end
// `param.<name>`,
// `buffer.<name>`, the optimizer's state as in IN, `eval_logits` (an eval-mode forward of
// the model the scenario evaluates, ws_learner_eval_model, on the first batch) and, where that
// is not the trained model (Hare & Tortoise's tortoise), its `eval.param.<name>` and
// `eval.buffer.<name>`, `replaced`
// (I64: units reset), and every array of the learner's checkpoint (ws_learner_state_save) under
// its own name ("learner.own.*" and the rest), its numbers in the file's metadata.
#define _DEFAULT_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "io/checkpoint.h"
#include "learn/learner.h"
#include "ops/backend.h"
#include "parity_tool.h"

typedef struct {
    const char *model, *learner, *in, *out, *backend, *normals;
    ws_opt_kind kind;
    float lr, wd;
    int steps, threads, trace, begin, examples, end, adamw; // adamw: Adam's weight decay decoupled
    uint64_t seed;
} learner_args;

static int parse_args(int argc, char **argv, learner_args *a) {
    if (argc < 4) return usage();
    *a = (learner_args){.model = argv[0], .learner = argv[1], .in = argv[2], .out = argv[3], .kind = WS_OPT_SGD,
                        .lr = 0.01f, .threads = 1, .seed = 1};
    for (int i = 4; i < argc; i++) {
        const char *k = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int bad = 0, n;
        if (!strcmp(k, "--trace")) {
            a->trace = 1;
            continue;
        }
        if (!strcmp(k, "--end")) {
            a->end = 1;
            continue;
        }
        if (!strcmp(k, "--adamw")) {
            a->adamw = 1;
            continue;
        }
        if (!v) return usage();
        i++;
        if (!strcmp(k, "--opt")) {
            if (!strcmp(v, "sgd")) a->kind = WS_OPT_SGD;
            else if (!strcmp(v, "adam")) a->kind = WS_OPT_ADAM;
            else bad = 1;
        } else if (!strcmp(k, "--lr")) bad = parse_float(v, &a->lr);
        else if (!strcmp(k, "--wd")) bad = parse_float(v, &a->wd);
        else if (!strcmp(k, "--steps")) bad = strcmp(v, "0") && parse_int(v, &a->steps);
        else if (!strcmp(k, "--threads")) bad = parse_int(v, &a->threads);
        else if (!strcmp(k, "--backend")) a->backend = v;
        else if (!strcmp(k, "--normals")) a->normals = v;
        else if (!strcmp(k, "--begin")) bad = parse_int(v, &a->begin);
        else if (!strcmp(k, "--examples")) bad = parse_int(v, &a->examples);
        else if (!strcmp(k, "--seed")) {
            bad = parse_int(v, &n);
            a->seed = (uint64_t)n;
        } else return usage();
        if (bad) {
            fprintf(stderr, "parity_tool: error: bad value for %s\n", k);
            return 2;
        }
    }
    return 0;
}

// The batches: x (N, B, ...) or (B, ...), y alike; *per_step 1 when each step has its own.
typedef struct {
    float *x;
    int32_t *y;
    int B, nb;      // examples per batch, batches
    int64_t in;     // floats per example
} batches;

static int read_batches(const ws_st_file *f, const ws_model_spec *spec, const char *path, batches *bt) {
    const ws_st_tensor *tx = ws_st_find(f, "x"), *ty = ws_st_find(f, "y");
    const int64_t in = ws_shape_numel(spec->input);
    const int image = spec->kind == WS_MODEL_RESNET18 || spec->kind == WS_MODEL_CNN;
    const int rank = image ? 4 : 2;
    if (!tx || tx->dtype != WS_ST_F32 || (tx->ndim != rank && tx->ndim != rank + 1) || !ty ||
        ty->dtype != WS_ST_I64 || ty->ndim != tx->ndim - rank + 1) {
        fprintf(stderr, "parity_tool: error: %s: need 'x' F32 ([N,] B, ...) and 'y' I64 ([N,] B)\n", path);
        return 1;
    }
    const int lead = tx->ndim - rank; // 1 when batches come one per step
    bt->nb = lead ? (int)tx->dims[0] : 1;
    bt->B = (int)tx->dims[lead];
    bt->in = in;
    int64_t per = 1;
    for (int k = lead + 1; k < tx->ndim; k++) per *= tx->dims[k];
    if (per != in || (lead && ty->dims[0] != bt->nb) || ty->dims[lead] != bt->B) {
        fprintf(stderr, "parity_tool: error: %s: 'x' or 'y' has the wrong shape for the model\n", path);
        return 1;
    }
    const int64_t total = (int64_t)bt->nb * bt->B;
    bt->x = malloc(sizeof(float) * (size_t)(total * in));
    bt->y = malloc(sizeof(int32_t) * (size_t)total);
    if (!bt->x || !bt->y) return fail("out of memory");
    memcpy(bt->x, tx->data, sizeof(float) * (size_t)(total * in));
    for (int64_t i = 0; i < total; i++) {
        int64_t v;
        memcpy(&v, ty->data + 8 * i, 8);
        if (v < 0 || v >= spec->num_classes) return fail("a label outside the model's classes");
        bt->y[i] = (int32_t)v;
    }
    return 0;
}

// The optimizer's state names: PyTorch's state_dict keys, per parameter.
static const char *moment_name(const ws_optim *o, int which) {
    if (o->cfg.kind == WS_OPT_SGD) return which == 0 ? "momentum_buffer" : NULL;
    return which == 0 ? "exp_avg" : "exp_avg_sq";
}

static float *moment(ws_optim *o, int which) { return which == 0 ? o->buf1 : o->buf2; }

// Load the optimizer's state given in f (each array optional; the step with Adam's).
static int load_optimizer(const ws_st_file *f, const ws_model *m, ws_optim *o) {
    const ws_st_tensor *t = ws_st_find(f, "opt.step");
    if (t) {
        if (t->dtype != WS_ST_I64 || t->ndim != 0) return fail("'opt.step' must be an I64 scalar");
        memcpy(&o->step, t->data, 8);
    }
    for (int which = 0; which < 2; which++) {
        const char *nm = moment_name(o, which);
        for (int p = 0; nm && moment(o, which) && p < m->nparams; p++) {
            char name[160];
            snprintf(name, sizeof name, "opt.%s.%s", nm, m->params[p].name);
            if (!(t = ws_st_find(f, name))) continue;
            if (t->dtype != WS_ST_F32 || t->nbytes != (int64_t)sizeof(float) * m->params[p].numel)
                return fail("an optimizer state array of the wrong dtype or size");
            memcpy(moment(o, which) + m->params[p].offset, t->data, (size_t)t->nbytes);
        }
    }
    return 0;
}

static int add_optimizer(out_list *out, const ws_model *m, ws_optim *o, const char *prefix) {
    char name[160];
    for (int which = 0; which < 2; which++) {
        const char *nm = moment_name(o, which);
        if (!nm || !moment(o, which)) continue;
        snprintf(name, sizeof name, "%sopt.%s.", prefix, nm);
        if (out_add_arena(out, m, moment(o, which), name)) return -1;
    }
    snprintf(name, sizeof name, "%sopt.step", prefix);
    if (out_add(out, name, WS_ST_I64, 0, NULL, &o->step, 8)) return -1;
    // Each parameter's own count: a restarted range's (ws_optim_restart_range), else the optimizer's.
    for (int p = 0; p < m->nparams; p++) {
        int64_t step = o->step;
        for (int i = 0; i < o->nrestarted; i++)
            if (m->params[p].offset >= o->restarted[i].off &&
                m->params[p].offset < o->restarted[i].off + o->restarted[i].len)
                step = o->restarted[i].step;
        snprintf(name, sizeof name, "%sopt.param_step.%s", prefix, m->params[p].name);
        if (out_add(out, name, WS_ST_I64, 0, NULL, &step, 8)) return -1;
    }
    return 0;
}

// Every array of the learner's checkpoint, under its own name.
static int add_learner_state(out_list *out, const ws_learner_state *ls, ws_ckpt *c) {
    ws_ckpt_init(c);
    ws_learner_state_save(ls, c);
    for (int i = 0; i < c->n; i++) {
        const ws_st_entry *e = &c->e[i];
        int64_t bytes = e->dtype == WS_ST_F64 || e->dtype == WS_ST_I64 ? 8 : 4;
        for (int k = 0; k < e->ndim; k++) bytes *= e->dims[k];
        if (out_add(out, e->name, e->dtype, e->ndim, e->dims, e->data, (size_t)bytes)) return -1;
    }
    return 0;
}

// The fresh initialisations ws_hook_fresh(h, k) draws, k = 1..steps.
static int add_draws(out_list *out, ws_ctx *ctx, const ws_model_spec *spec, uint64_t seed, int steps) {
    ws_model *f = NULL;
    if (ws_model_create(ctx, &f, spec)) return fail(ctx->err);
    int err = 0;
    for (int k = 1; k <= steps && !err; k++) {
        ws_rng r = ws_rng_stream(seed, "remedy-fresh", (uint64_t)k);
        ws_model_init(f, &r);
        char prefix[32];
        snprintf(prefix, sizeof prefix, "draw%d.", k);
        err = out_add_arena(out, f, f->w, prefix);
    }
    ws_model_free(f);
    return err;
}

// With --normals PURPOSE: the normals of the stream (seed, PURPOSE, k), k = 1..steps, one per float
// of the arena in order, as `normal<k>.<name>`.
static int add_normals(out_list *out, const ws_model *m, const char *purpose, uint64_t seed, int steps) {
    float *z = malloc(sizeof(float) * (size_t)(m->nweights ? m->nweights : 1));
    int err = !z;
    for (int k = 1; k <= steps && !err; k++) {
        ws_rng r = ws_rng_stream(seed, purpose, (uint64_t)k);
        ws_rng_normals(&r, z, m->nweights);
        char prefix[32];
        snprintf(prefix, sizeof prefix, "normal%d.", k);
        err = out_add_arena(out, m, z, prefix);
    }
    free(z);
    return err ? fail("out of memory") : 0;
}

static int run(ws_ctx *ctx, const learner_args *a, const ws_st_file *f, ws_model *m, const batches *bt,
               ws_learner_state *ls, const ws_learner *def, out_list *out) {
    ws_opt_config oc = ws_opt_defaults(a->kind, a->lr);
    oc.weight_decay = a->wd;
    oc.decoupled = a->adamw;
    if (a->adamw && a->kind != WS_OPT_ADAM) return fail("--adamw is an Adam option");
    ws_optim *opt;
    if (ws_model_plan(ctx, m, bt->B) || ws_learner_state_init(ctx, ls, def, m) ||
        ws_learner_optimizer(ls, &oc, &opt))
        return fail(ctx->err);
    if (load_optimizer(f, m, opt)) return 1;
    // The rounds' examples: only their number, with --examples (an epoch's length), no data.
    ws_round_env env = {.seed = a->seed, .round = 0, .batch = bt->B, .n = a->examples};
    if (ws_learner_begin(ls, m, &env)) return fail(ctx->err);
    if (a->begin > 0) {
        env.round = a->begin;
        env.fresh_stream = (uint64_t)a->begin;
        if (ws_learner_begin(ls, m, &env) || ws_learner_optimizer(ls, &oc, &opt)) return fail(ctx->err);
        if (out_add_arena(out, m, m->w, "begin.param.") || (ls->fresh && out_add_arena(out, m, ls->fresh->w, "begin.fresh.")) ||
            add_optimizer(out, m, opt, "begin."))
            return fail("out of memory");
    }
    ws_train_config tc = {0};
    ws_learner_hooks(ls, &tc);
    for (int k = 1; k <= a->steps; k++) {
        const int j = (k - 1) % bt->nb;
        ws_model_forward(ctx, m, bt->x + (int64_t)j * bt->B * bt->in, bt->B, 1);
        ws_model_loss(ctx, m, bt->y + (int64_t)j * bt->B, bt->B, NULL);
        ws_model_zero_grad(m);
        ws_model_backward(ctx, m, bt->y + (int64_t)j * bt->B, bt->B);
        if (tc.after_backward && tc.after_backward(tc.hook_user, m, opt, bt->B)) return fail(ctx->err);
        if (tc.update) {
            if (tc.update(tc.hook_user, m, opt, bt->B)) return fail(ctx->err);
        } else {
            ws_optim_step(opt, m->w, m->g);
        }
        if (tc.after_step && tc.after_step(tc.hook_user, m, opt, bt->B)) return fail(ctx->err);
        char prefix[32];
        snprintf(prefix, sizeof prefix, "step%d.param.", k);
        if (a->trace && out_add_arena(out, m, m->w, prefix)) return fail("out of memory");
        snprintf(prefix, sizeof prefix, "step%d.", k);
        if (a->trace && add_optimizer(out, m, opt, prefix)) return fail("out of memory");
    }
    if (a->end && ws_learner_end(ls, m, &env)) return fail(ctx->err);
    ws_model *e = ws_learner_eval_model(ls, m);
    const int C = m->spec.num_classes;
    int64_t ldims[2] = {bt->B, C};
    if (e != m && (ws_model_plan_inference(ctx, e, bt->B) || out_add_arena(out, e, e->w, "eval.param.") ||
                   out_add_buffers(out, e, "eval.buffer.")))
        return fail(ctx->err[0] ? ctx->err : "out of memory");
    const float *logits = ws_model_forward(ctx, e, bt->x, bt->B, 0);
    ws_ckpt c;
    if (out_add_arena(out, m, m->w, "param.") || out_add_buffers(out, m, "buffer.") || add_optimizer(out, m, opt, "") ||
        out_add(out, "eval_logits", WS_ST_F32, 2, ldims, logits, sizeof(float) * (size_t)bt->B * C) ||
        out_add(out, "replaced", WS_ST_I64, 0, NULL, &ls->replaced, 8) || add_learner_state(out, ls, &c))
        return fail("out of memory");
    if (add_draws(out, ctx, &m->spec, a->seed, a->steps)) return 1;
    if (a->normals && add_normals(out, m, a->normals, a->seed, a->steps)) return 1;
    if (ws_st_write(ctx, a->out, out->e, out->n, c.meta, c.nmeta)) return fail(ctx->err);
    return 0;
}

int cmd_learner(int argc, char **argv) {
    learner_args a;
    int rc = parse_args(argc, argv, &a);
    if (rc) return rc;
    ws_model_spec spec;
    if (parse_spec(a.model, &spec)) return usage();
    ws_ctx ctx;
    ws_ctx_init(&ctx, a.threads);
    if (a.backend && ws_ctx_set_backend(&ctx, a.backend)) return fail(ctx.err);
    ws_model *m = NULL;
    ws_st_file f = {0};
    ws_learner def;
    ws_learner_state ls = {0};
    batches bt = {0};
    out_list out = {0};
    rc = 1;
    if (ws_learner_parse(&ctx, a.learner, &def) || ws_model_create(&ctx, &m, &spec) || ws_st_read(&ctx, &f, a.in) ||
        load_state(&ctx, m, &f, a.in))
        fail(ctx.err);
    else if (!read_batches(&f, &spec, a.in, &bt))
        rc = run(&ctx, &a, &f, m, &bt, &ls, &def, &out);
    out_free(&out);
    free(bt.x);
    free(bt.y);
    ws_learner_state_free(&ls);
    ws_st_close(&f);
    ws_model_free(m);
    ws_ctx_release(&ctx);
    return rc;
}
