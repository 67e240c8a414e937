// What an experiment will cost (estimate.h).
#define _POSIX_C_SOURCE 200809L
#include "exp/estimate.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "exp/run.h"
#include "exp/scenario.h"
#include "exp/table.h"
#include "nn/model.h"
#include "nn/zoo.h"
#include "optim/optim.h"

double ws_estimate_seconds(const ws_cost *c, const ws_work *w) { return c->step_s * w->steps + c->eval_s * w->evals; }

double ws_estimate_steps(double runs, double epochs, int64_t n, int batch) {
    if (n <= 0 || batch <= 0) return 0;
    return runs * epochs * (double)((n + batch - 1) / batch);
}

double ws_estimate_core_hours(double seconds, int threads) { return seconds * (threads > 0 ? threads : 1) / 3600.0; }

int ws_estimate_tasks(double seconds, double budget_s, int units) {
    if (units < 1) units = 1;
    if (seconds <= 0) return 1;
    double need = ceil(seconds / budget_s);
    return need > units ? 0 : need < 1 ? 1 : (int)need;
}

ws_status ws_duration_parse(ws_ctx *ctx, const char *text, double *seconds) {
    static const struct {
        char unit;
        double s;
    } units[] = {{'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400}};
    char *end = NULL;
    double v = text ? strtod(text, &end) : NAN;
    double scale = end && !*end ? 1 : 0;
    for (size_t i = 0; end && end[0] && !end[1] && i < sizeof units / sizeof *units; i++)
        if (end[0] == units[i].unit) scale = units[i].s;
    if (!text || end == text || scale == 0 || !isfinite(v) || v <= 0)
        return ws_fail(ctx, WS_ERR_ARG, "--budget '%s': a positive wall-clock time such as 8h, 90m, 1.5d or 3600 (seconds)",
                       text ? text : "");
    *seconds = v * scale;
    return WS_OK;
}

// A dataset's shape and split sizes, from its files where they are here, else from this table
// (the official splits; a paper-scale estimate on a machine without the data).
typedef struct {
    const char *name;
    int c, h, w, classes;
    int64_t train, test;
} data_shape;

static const data_shape KNOWN[] = {
    {"fashion-mnist", 1, 28, 28, 10, 60000, 10000}, {"mnist", 1, 28, 28, 10, 60000, 10000},
    {"cifar10", 3, 32, 32, 10, 50000, 10000},       {"cifar100", 3, 32, 32, 100, 50000, 10000},
    {"svhn", 3, 32, 32, 10, 73257, 26032},
    {"default", 1, 28, 28, 5, 30000, 5000}, // transfer's default: Fashion-MNIST's classes 0-4, or 5-9
};

static ws_status shape_of(ws_ctx *ctx, const ws_experiment *e, const char *spec, data_shape *out) {
    ws_source src;
    ws_source_opts so;
    memset(&so, 0, sizeof so);
    if (!ws_options_source(ctx, &e->opt, spec, &so) && !ws_source_load(ctx, &src, spec, &so)) {
        *out = (data_shape){spec, src.train.c, src.train.h, src.train.w, src.num_classes, src.train.n, src.test.n};
        ws_source_free(&src);
        return WS_OK;
    }
    size_t len = strcspn(spec, ":");
    for (size_t i = 0; i < sizeof KNOWN / sizeof *KNOWN; i++)
        if (strlen(KNOWN[i].name) == len && !strncmp(KNOWN[i].name, spec, len)) return *out = KNOWN[i], WS_OK;
    return ws_fail(ctx, WS_ERR_ARG, "--data %s: not here and not a dataset whose size the estimate knows", spec);
}

// The training pool and evaluation examples of a seed (setup.c's ws_split_make, by count).
static void split_sizes(const ws_setup *s, const data_shape *d, int64_t *pool, int64_t *eval) {
    if (s->protocol == WS_PROTOCOL_PAPER) *pool = d->train * 2 / 3, *eval = d->train - *pool;
    else if (s->val_fraction > 0) *eval = llround(s->val_fraction * (double)d->train), *pool = d->train - *eval;
    else *pool = d->train, *eval = d->test;
    if (s->subset > 0 && s->subset < *pool) *pool = s->subset;
    if (s->eval_subset > 0 && s->eval_subset < *eval) *eval = s->eval_subset;
}

static int by_value(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double ws_median(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, by_value);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// Seconds a training step (Adam or SGD as configured) and an evaluation pass of n_eval
// examples, on random inputs: one step to warm up, then `steps` timed.
static ws_status calibrate(ws_ctx *ctx, const ws_model_spec *spec, const ws_opt_config *oc, int B, int EB,
                           int64_t n_eval, int steps, ws_cost *out) {
    ws_model *m = NULL;
    ws_optim opt;
    memset(&opt, 0, sizeof opt);
    int64_t in = ws_shape_numel(spec->input), rows = B > EB ? B : EB;
    float *x = NULL;
    int32_t *y = NULL;
    ws_status st = ws_model_create(ctx, &m, spec);
    if (!st) st = ws_model_plan(ctx, m, B);
    if (!st) st = ws_optim_create(ctx, &opt, oc, m->nweights);
    if (!st && (!(x = ws_alloc(ctx, sizeof(float) * (size_t)(rows * in))) || !(y = ws_alloc(ctx, sizeof(int32_t) * (size_t)rows))))
        st = ws_fail(ctx, WS_ERR_NOMEM, "calibration: out of memory");
    if (!st) {
        ws_rng r = ws_rng_stream(1, "estimate", 0);
        ws_model_init(m, &r);
        for (int64_t i = 0; i < rows * in; i++) x[i] = ws_rng_normal(&r);
        for (int64_t i = 0; i < rows; i++) y[i] = (int32_t)ws_rng_below(&r, (uint32_t)spec->num_classes);
        // Two steps to warm up (oneDNN's primitives are made on first use), then the median of
        // `steps` timed ones: robust to a neighbour's burst on a shared machine.
        double t[64];
        if (steps > 64) steps = 64;
        for (int k = 0; k < steps + 2; k++) {
            double t0 = ws_now();
            int correct = 0;
            ws_model_zero_grad(m);
            ws_model_forward(ctx, m, x, B, 1);
            ws_model_loss(ctx, m, y, B, &correct);
            ws_model_backward(ctx, m, y, B);
            ws_optim_step(&opt, m->w, m->g);
            if (k >= 2) t[k - 2] = ws_now() - t0;
        }
        out->step_s = ws_median(t, steps);
        st = ws_model_plan_inference(ctx, m, EB);
    }
    if (!st) {
        double t[3];
        for (int k = 0; k < 4; k++) {
            double t0 = ws_now();
            ws_model_forward(ctx, m, x, EB, 0);
            if (k) t[k - 1] = ws_now() - t0;
        }
        out->eval_s = ws_median(t, 3) * (double)((n_eval + EB - 1) / EB);
    }
    ws_free(x);
    ws_free(y);
    ws_optim_free(&opt);
    ws_model_free(m);
    return st;
}

// The part of out for this configuration (calibrated once per cache), NULL when full.
static ws_estimate_part *part_for(ws_ctx *ctx, const ws_setup *s, const ws_opt_config *oc, int batch,
                                  const data_shape *d, int64_t n_eval, int steps, ws_calib_cache *cache,
                                  ws_estimate *out, ws_status *st) {
    ws_dataset fake;
    memset(&fake, 0, sizeof fake);
    fake.c = d->c, fake.h = d->h, fake.w = d->w, fake.num_classes = d->classes;
    ws_model_spec spec = ws_setup_model_spec(s, &fake);
    char key[200];
    snprintf(key, sizeof key, "%s%s %dx%dx%d -> %d, batch %d, %s, %d thread%s, eval %lld", ws_model_kind_name(spec.kind),
             s->layer_norm ? "+ln" : "", d->c, d->h, d->w, d->classes, batch, ws_opt_kind_name(oc->kind), ctx->threads,
             ctx->threads == 1 ? "" : "s", (long long)n_eval);
    for (int i = 0; i < out->nparts; i++)
        if (!strcmp(out->part[i].config, key)) return &out->part[i];
    if (out->nparts == WS_ESTIMATE_MAX_PARTS) return NULL;
    ws_estimate_part *p = &out->part[out->nparts++];
    memset(p, 0, sizeof *p);
    snprintf(p->config, sizeof p->config, "%s", key);
    for (int i = 0; i < cache->n; i++)
        if (!strcmp(cache->key[i], key)) return p->cost = cache->cost[i], p;
    double t0 = ws_now();
    *st = calibrate(ctx, &spec, oc, batch, s->eval_batch > 0 ? s->eval_batch : 1000, n_eval, steps, &p->cost);
    out->calibration_s += ws_now() - t0;
    if (!*st && cache->n < WS_CALIB_MAX) {
        snprintf(cache->key[cache->n], sizeof cache->key[0], "%s", key);
        cache->cost[cache->n++] = p->cost;
    }
    return p;
}

// The epochs a run of s trains: fixed, or to the threshold: assumed, within the cap.
static double epochs_of(const ws_setup *s) {
    if (s->epochs > 0) return s->epochs;
    int cap = ws_setup_max_epochs(s);
    return cap > 0 && cap < WS_ESTIMATE_ASSUMED_EPOCHS ? cap : WS_ESTIMATE_ASSUMED_EPOCHS;
}

// Evaluations of a run of `epochs` epochs: its end, and every eval_every epochs.
static double evals_of(const ws_setup *s, double epochs) {
    return 1 + (s->eval_every > 0 ? floor(epochs / s->eval_every) : 0);
}

// A point's assumed work per seed, by its scenario, added to parts at its configurations.
typedef struct {
    ws_ctx *ctx;
    const ws_experiment *e;
    const data_shape *data, *pre;
    int steps;
    ws_calib_cache *cache;
    ws_estimate *out;
    double scale;             // seeds
} point_job;

static ws_status add_runs(point_job *j, const ws_setup *s, const ws_opt_config *oc, int batch, const data_shape *d,
                          double runs, double epochs, int64_t n) {
    int64_t pool, eval;
    split_sizes(s, d, &pool, &eval);
    ws_status st = WS_OK;
    ws_estimate_part *p = part_for(j->ctx, s, oc, batch, d, eval, j->steps, j->cache, j->out, &st);
    if (st) return st;
    if (!p) return ws_fail(j->ctx, WS_ERR_ARG, "estimate: more than %d configurations", WS_ESTIMATE_MAX_PARTS);
    p->work.steps += j->scale * ws_estimate_steps(runs, epochs, n, batch);
    p->work.evals += j->scale * runs * evals_of(s, epochs);
    return WS_OK;
}

static ws_status assume_point(point_job *j, const ws_experiment *pe) {
    const ws_setup *s = ws_experiment_setup(pe);
    int64_t pool, eval;
    split_sizes(s, j->data, &pool, &eval);
    const double E = epochs_of(s);
    ws_status st = WS_OK;
    switch (pe->scenario) {
    case WS_CMD_BATCH: {
        const ws_batch_config *b = &pe->batch;
        double e1 = b->phase1_epochs > 0 ? b->phase1_epochs : E;
        st = add_runs(j, s, &s->opt, s->batch, j->data, 1, e1, (int64_t)(b->first_fraction * (double)pool));
        if (!st) st = add_runs(j, s, &b->opt2, b->batch2 > 0 ? b->batch2 : s->batch, j->data, s->nlearners, E, pool);
        break;
    }
    case WS_CMD_ONLINE:
    case WS_CMD_ACTIVE: {
        const ws_online_config *o = &pe->online;
        for (int r = 0; !st && (o->rounds > 0 ? r < o->rounds : r == 0 || o->k0 + (int64_t)(r - 1) * o->k < pool); r++) {
            int64_t n = o->k0 + (int64_t)r * o->k;
            st = add_runs(j, s, &s->opt, s->batch, j->data, s->nlearners, E, n < pool ? n : pool);
        }
        break;
    }
    case WS_CMD_TRANSFER: {
        const ws_transfer_config *t = &pe->transfer;
        int64_t apool, aeval;
        split_sizes(s, j->pre, &apool, &aeval);
        st = add_runs(j, s, &s->opt, s->batch, j->pre, 1, E, (int64_t)(t->pretrain_fraction * (double)apool));
        for (int f = 0; !st && f < t->nfractions; f++)
            st = add_runs(j, s, &s->opt, s->batch, j->data, s->nlearners, E, (int64_t)(t->fractions[f] * (double)pool));
        break;
    }
    case WS_CMD_CONTINUAL: {
        // A task's examples taken as the pool (the class-based kinds use a share of it: an upper bound).
        const ws_continual_config *c = &pe->continual;
        double steps_per_task = c->steps > 0 ? (double)c->steps : ws_estimate_steps(1, c->task_epochs, pool, s->batch);
        ws_estimate_part *p = part_for(j->ctx, s, &s->opt, s->batch, j->data, eval, j->steps, j->cache, j->out, &st);
        if (!st && !p) st = ws_fail(j->ctx, WS_ERR_ARG, "estimate: more than %d configurations", WS_ESTIMATE_MAX_PARTS);
        if (!st) {
            p->work.steps += j->scale * c->tasks.ntasks * s->nlearners * steps_per_task;
            p->work.evals += j->scale * c->tasks.ntasks * s->nlearners;
        }
        break;
    }
    default:
        return ws_fail(j->ctx, WS_ERR_ARG, "estimate: scenario %s has no cost model", ws_command_name(pe->scenario));
    }
    return st;
}

// A point's measured work from an earlier run's records (seeds scaled to e's): 1 if there are records.
static ws_status measured_point(point_job *j, const ws_experiment *pe, const ws_point *rp, int *used) {
    *used = 0;
    if (!rp || rp->nrecords < 1 || rp->nruns < 1) return WS_OK;
    const ws_setup *s = ws_experiment_setup(pe);
    double steps = 0, evals = 0;
    for (int i = 0; i < rp->nruns; i++) {
        const ws_run *r = &rp->runs[i];
        if (isfinite(r->m[WS_M_STEPS])) steps += r->m[WS_M_STEPS];
        evals += 1 + r->curve[WS_CURVE_TEST_ACC].n;
    }
    const double scale = (double)s->seeds / rp->nrecords;
    const ws_opt_config *oc = pe->scenario == WS_CMD_BATCH ? &pe->batch.opt2 : &s->opt;
    const int batch = pe->scenario == WS_CMD_BATCH && pe->batch.batch2 > 0 ? pe->batch.batch2 : s->batch;
    ws_status st = WS_OK;
    int64_t pool, eval;
    split_sizes(s, j->data, &pool, &eval);
    ws_estimate_part *p = part_for(j->ctx, s, oc, batch, j->data, eval, j->steps, j->cache, j->out, &st);
    if (st) return st;
    if (!p) return ws_fail(j->ctx, WS_ERR_ARG, "estimate: more than %d configurations", WS_ESTIMATE_MAX_PARTS);
    p->work.steps += scale * steps;
    p->work.evals += scale * evals;
    *used = 1;
    return WS_OK;
}

static const ws_point *recorded_point(const ws_table *t, const ws_experiment *pe) {
    for (int k = 0; t && k < t->npoints; k++)
        if (t->points[k].index == (pe->sweep || pe->npoints > 1 ? pe->point : 0)) return &t->points[k];
    return NULL;
}

ws_status ws_estimate_experiment(ws_ctx *ctx, const ws_experiment *e, const char *earlier, int calib_steps,
                                 ws_calib_cache *cache, ws_estimate *out) {
    memset(out, 0, sizeof *out);
    ws_ctx run;
    memset(&run, 0, sizeof run);
    ws_status st = ws_experiment_ctx(&run, &e->opt); // the threads and backend it will run with
    if (st) return ws_ctx_release(&run), ws_fail(ctx, st, "%s", run.err);
    out->threads = run.threads;
    data_shape data, pre;
    st = shape_of(&run, e, e->opt.data[0] ? e->opt.data : "fashion-mnist", &data);
    if (!st && e->scenario == WS_CMD_TRANSFER) st = shape_of(&run, e, e->opt.pretrain, &pre);
    ws_table *t = NULL;
    if (!st && earlier && ws_table_read(&run, earlier, &t)) t = NULL; // no records there: assumed
    point_job j = {&run, e, &data, &pre, calib_steps > 0 ? calib_steps : 5, cache, out, 0};
    const int np = ws_experiment_npoints(e);
    out->points = np;
    const ws_scenario *sc = ws_scenario_of(e->scenario);
    for (int p = 0; !st && p < np; p++) {
        ws_experiment *pe = NULL;
        if (e->sweep && (st = ws_experiment_point(&run, e, p, &pe))) break;
        const ws_experiment *x = pe ? pe : e;
        j.scale = ws_experiment_setup(x)->seeds;
        int used = 0;
        st = measured_point(&j, x, recorded_point(t, x), &used);
        if (!st && !used) st = assume_point(&j, x);
        out->measured_points += used;
        if (sc && sc->group) out->units += ws_experiment_setup(x)->seeds * sc->group(x);
        ws_experiment_free(pe);
    }
    ws_table_free(t);
    for (int i = 0; !st && i < out->nparts; i++) {
        out->part[i].seconds = ws_estimate_seconds(&out->part[i].cost, &out->part[i].work);
        out->seconds += out->part[i].seconds;
    }
    if (out->measured_points == np)
        snprintf(out->source, sizeof out->source, "steps measured: %s's records", earlier);
    else if (out->measured_points)
        snprintf(out->source, sizeof out->source, "steps measured at %d of %d points (%s), the rest assumed: %d epochs a run "
                 "to the threshold", out->measured_points, np, earlier, WS_ESTIMATE_ASSUMED_EPOCHS);
    else
        snprintf(out->source, sizeof out->source, "assumed: %d epochs a run to the threshold (within the cap), fixed "
                 "epochs as set", WS_ESTIMATE_ASSUMED_EPOCHS);
    if (st) ws_fail(ctx, st, "%s", run.err);
    ws_ctx_release(&run);
    return st;
}
