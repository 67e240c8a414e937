// What an experiment will cost (estimate.h).
#define _POSIX_C_SOURCE 200809L
#include "exp/estimate.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "exp/run.h"
#include "exp/scenario.h"
#include "exp/table.h"
#include "exp/units.h"
#include "nn/model.h"
#include "nn/zoo.h"
#include "optim/optim.h"

// ---- the arithmetic -------------------------------------------------------------------------

double ws_estimate_seconds(const ws_cost *c, const ws_work *w) { return c->step_s * w->steps + c->eval_s * w->evals; }

double ws_estimate_steps(double runs, double epochs, int64_t n, int batch) {
    if (n <= 0 || batch <= 0) return 0;
    return runs * epochs * (double)((n + batch - 1) / batch);
}

double ws_estimate_step_seconds(double t_short, int n_short, double t_long, int n_long) {
    const double d = n_long > n_short ? (t_long - t_short) / (n_long - n_short) : 0;
    return d > 0 ? d : n_long > 0 ? t_long / n_long : 0;
}

double ws_estimate_makespan(const double *group_s, int n, int jobs) {
    double free_at[WS_ESTIMATE_MAX_GROUPS] = {0}, end = 0;
    if (jobs < 1) jobs = 1;
    if (jobs > WS_ESTIMATE_MAX_GROUPS) jobs = WS_ESTIMATE_MAX_GROUPS;
    for (int i = 0; i < n; i++) {
        int k = 0; // the job free first takes the next group (exp/jobs.c's claim)
        for (int q = 1; q < jobs; q++)
            if (free_at[q] < free_at[k]) k = q;
        free_at[k] += group_s[i];
        if (free_at[k] > end) end = free_at[k];
    }
    return end;
}

double ws_estimate_core_hours(double seconds, int threads) { return seconds * (threads > 0 ? threads : 1) / 3600.0; }

int ws_estimate_tasks(double seconds, double budget_s, int units) {
    if (units < 1) units = 1;
    if (seconds <= 0) return 1;
    double need = ceil(seconds / budget_s);
    return need > units ? 0 : need < 1 ? 1 : (int)need;
}

static int by_value(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double ws_median(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, by_value);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// ---- epochs to the threshold where no record says ---------------------------------------------

// Mean epochs a run took to its threshold (or its cap) in the CPU-scale reproduction of 2026-12-07
// (`reproduce --scale cpu --jobs 2 --threads 2`, revision a17cfd2; bench/estimate_epochs.py over its
// records; bench/RESULTS.md "The cost estimate"), by model, optimizer and whether the data arrives
// in rounds (online, active: a round's pool is a share of the whole): fresh = runs from a fresh
// initialisation (phase 1, pretraining, the random learner, every learner's first round), warm =
// the other learners' later runs.
#define EPOCHS_SOURCE "means of the CPU-scale reproduction's runs, 2026-12-07, bench/estimate_epochs.py"
static const struct {
    ws_model_kind model;
    ws_opt_kind opt;
    int rounds;               // 1: online and active; 0: the others
    double fresh, warm;
} EPOCHS[] = {
    // model, optimizer, rounds, fresh, warm    runs (fresh + warm), artefacts
    {WS_MODEL_MLP, WS_OPT_ADAM, 1, 26.4, 19.7},      // 252 + 450: active, online, remedies, shrink-perturb(-grid)
    {WS_MODEL_MLP, WS_OPT_ADAM, 0, 47.3, 33.2},      // 104 + 91: appendix-*, partial-noise-ewc, table1-*-mlp-logreg, transfer
    {WS_MODEL_MLP, WS_OPT_SGD, 0, 111.8, 33.8},      // 36 + 18: lr-batch
    {WS_MODEL_LOGREG, WS_OPT_ADAM, 0, 96.6, 91.4},   // 20 + 10: table1-*-mlp-logreg
    {WS_MODEL_RESNET18, WS_OPT_ADAM, 0, 12.1, 10.3}, // 18 + 9: table1-cifar10, -cifar100, -svhn (CPU ResNet)
};

ws_epochs_assumed ws_estimate_epochs(ws_model_kind model, ws_opt_kind opt, int rounds) {
    for (size_t i = 0; i < sizeof EPOCHS / sizeof *EPOCHS; i++)
        if (EPOCHS[i].model == model && EPOCHS[i].opt == opt && EPOCHS[i].rounds == !!rounds)
            return (ws_epochs_assumed){EPOCHS[i].fresh, EPOCHS[i].warm, EPOCHS_SOURCE};
    return (ws_epochs_assumed){WS_ESTIMATE_ASSUMED_EPOCHS, WS_ESTIMATE_ASSUMED_WARM_EPOCHS,
                               "no measured row for this model, optimizer and scenario: a guess"};
}

// ---- the data --------------------------------------------------------------------------------

// A dataset's shape and split sizes, from its files where they are here (kept loaded: the
// calibration trains on its first examples), else from this table (the official splits; a
// paper-scale estimate on a machine without the data).
typedef struct {
    const char *name;
    int c, h, w, classes;
    int64_t train, test;
    ws_source src;            // loaded when `loaded`
    int loaded;
} data_shape;

static const struct {
    const char *name;
    int c, h, w, classes;
    int64_t train, test;
} KNOWN[] = {
    {"fashion-mnist", 1, 28, 28, 10, 60000, 10000}, {"mnist", 1, 28, 28, 10, 60000, 10000},
    {"cifar10", 3, 32, 32, 10, 50000, 10000},       {"cifar100", 3, 32, 32, 100, 50000, 10000},
    {"svhn", 3, 32, 32, 10, 73257, 26032},
    {"default", 1, 28, 28, 5, 30000, 5000}, // transfer's default: Fashion-MNIST's classes 0-4, or 5-9
};

static ws_status shape_of(ws_ctx *ctx, const ws_experiment *e, const char *spec, data_shape *out) {
    ws_source_opts so;
    memset(out, 0, sizeof *out);
    if (!ws_options_source(ctx, &e->opt, spec, &so) && !ws_source_load(ctx, &out->src, spec, &so)) {
        const ws_source *s = &out->src;
        out->name = spec, out->c = s->train.c, out->h = s->train.h, out->w = s->train.w;
        out->classes = s->num_classes, out->train = s->train.n, out->test = s->test.n, out->loaded = 1;
        return WS_OK;
    }
    size_t len = strcspn(spec, ":");
    for (size_t i = 0; i < sizeof KNOWN / sizeof *KNOWN; i++)
        if (strlen(KNOWN[i].name) == len && !strncmp(KNOWN[i].name, spec, len)) {
            out->name = KNOWN[i].name, out->c = KNOWN[i].c, out->h = KNOWN[i].h, out->w = KNOWN[i].w;
            out->classes = KNOWN[i].classes, out->train = KNOWN[i].train, out->test = KNOWN[i].test;
            return WS_OK;
        }
    return ws_fail(ctx, WS_ERR_ARG, "--data %s: not here and not a dataset whose size the estimate knows", spec);
}

static void shape_free(data_shape *d) {
    if (d->loaded) ws_source_free(&d->src);
    d->loaded = 0;
}

// The training pool and evaluation examples of a seed (setup.c's ws_split_make, by count).
static void split_sizes(const ws_setup *s, const data_shape *d, int64_t *pool, int64_t *eval) {
    if (s->protocol == WS_PROTOCOL_PAPER) *pool = d->train * 2 / 3, *eval = d->train - *pool;
    else if (s->val_fraction > 0) *eval = llround(s->val_fraction * (double)d->train), *pool = d->train - *eval;
    else *pool = d->train, *eval = d->test;
    if (s->subset > 0 && s->subset < *pool) *pool = s->subset;
    if (s->eval_subset > 0 && s->eval_subset < *eval) *eval = s->eval_subset;
}

// ---- the calibration -------------------------------------------------------------------------

// What one calibration prices: a run of learner `li` of s (-1: a run of no learner's, phase 1 or
// the pretraining) with optimizer oc at batch size `batch` on data d, evaluated on n_eval examples.
typedef struct {
    const ws_setup *s;
    int li;
    const ws_opt_config *oc;
    int batch;
    data_shape *d;
    int64_t n_eval;
} calib_what;

// Random bytes and labels of d's shape: the calibration's batches where the data is not here
// (a step's cost does not depend on the pixels).
static ws_status synthetic(ws_ctx *ctx, const data_shape *d, int64_t n, ws_dataset *out) {
    memset(out, 0, sizeof *out);
    out->n = n, out->c = d->c, out->h = d->h, out->w = d->w, out->num_classes = d->classes;
    const int64_t ex = ws_dataset_example_size(out);
    out->x = ws_alloc(ctx, (size_t)(n * ex));
    out->y = ws_alloc(ctx, sizeof(int32_t) * (size_t)n);
    if (!out->x || !out->y) return ws_dataset_free(out), ws_fail(ctx, WS_ERR_NOMEM, "calibration: out of memory");
    ws_rng r = ws_rng_stream(1, "estimate-data", 0);
    for (int64_t i = 0; i < n * ex; i++) out->x[i] = (uint8_t)ws_rng_below(&r, 256);
    for (int64_t i = 0; i < n; i++) out->y[i] = (int32_t)ws_rng_below(&r, (uint32_t)d->classes);
    return WS_OK;
}

// Seconds of a run of `steps` updates through the training loop.
static ws_status time_run(ws_ctx *ctx, ws_model *m, ws_optim *opt, const ws_dataset *d, const ws_norm *norm,
                          const int32_t *idx, int64_t n, ws_train_config tc, int64_t steps, uint64_t order, double *t) {
    ws_train_result r;
    memset(&r, 0, sizeof r);
    tc.max_steps = steps;
    const double t0 = ws_now();
    ws_status st = ws_train_to_threshold(ctx, m, opt, d, norm, idx, n, &tc, 1, order, NULL, NULL, &r);
    *t = ws_now() - t0;
    ws_train_result_free(&r);
    return st;
}

// A training step through the loop the scenarios train with (ws_train_to_threshold with the run's
// settings and the learner's hooks, on the data's first examples) and an evaluation pass: runs of
// 2 and 2 + steps updates, three of each where a step is cheap, the difference of their medians
// over the steps between (what a run pays once drops out; medians are robust to a neighbour's
// burst on a shared machine).
static ws_status calibrate(ws_ctx *ctx, const calib_what *w, int steps, ws_cost *out, int *synth) {
    const ws_setup *s = w->s;
    const int B = w->batch, EB = s->eval_batch > 0 ? s->eval_batch : 1000;
    int64_t n = 4 * (int64_t)B > EB ? 4 * (int64_t)B : EB;
    ws_dataset fake;
    memset(&fake, 0, sizeof fake);
    const ws_dataset *d = w->d->loaded ? &w->d->src.train : NULL;
    ws_status st = WS_OK;
    if (d && d->n >= B) n = n < d->n ? n : d->n;
    else if (!(st = synthetic(ctx, w->d, n, &fake))) d = &fake, *synth = 1;
    if (st) return st;
    ws_model *m = NULL;
    ws_optim own;
    memset(&own, 0, sizeof own);
    ws_optim *opt = &own;
    ws_learner_state ls;
    memset(&ls, 0, sizeof ls);
    int32_t *idx = ws_alloc(ctx, sizeof(int32_t) * (size_t)n);
    if (!idx) st = ws_fail(ctx, WS_ERR_NOMEM, "calibration: out of memory");
    for (int64_t i = 0; !st && i < n; i++) idx[i] = (int32_t)i;
    ws_norm norm;
    if (!st) ws_norm_from_data(&norm, d, idx, n);
    ws_model_spec spec = w->li >= 0 ? ws_setup_learner_spec(s, d, w->li) : ws_setup_model_spec(s, d);
    if (!st) st = ws_model_create(ctx, &m, &spec);
    ws_train_config tc = ws_setup_train_config(s, B, NULL);
    tc.epochs = 0, tc.max_epochs = 0, tc.plateau = 0, tc.eval_every = 0;
    if (!st) {
        ws_rng r = ws_rng_stream(1, "init", 0);
        ws_model_init(m, &r);
    }
    if (!st && w->li >= 0) {
        ws_round_env env = {.seed = 1, .round = 0, .fresh_stream = 0, .paper = s->protocol == WS_PROTOCOL_PAPER,
                            .d = d, .norm = &norm, .idx = idx, .n = n, .batch = B};
        st = ws_learner_state_init(ctx, &ls, &s->learners[w->li], m);
        if (!st) st = ws_learner_begin(&ls, m, &env);
        if (!st) st = ws_learner_optimizer(&ls, w->oc, &opt);
        if (!st) ws_learner_hooks(&ls, &tc);
    } else if (!st) st = ws_optim_create(ctx, &own, w->oc, m->nweights);
    // A first run of 2 steps makes oneDNN's primitives and sizes the rest: a cheap step (a small
    // MLP: a tenth of a millisecond) is timed over more steps, about 50 ms a run, so that the
    // timer and a neighbour's burst weigh little; an expensive one (ResNet-18: tenths of a
    // second) over fewer, once, within about 2 s.
    double ts[3], tl[3], te[3], t = 0;
    if (!st) st = time_run(ctx, m, opt, d, &norm, idx, n, tc, 2, 0, &t);
    const double rough = t / 2;
    const int reps = rough < 0.02 ? 3 : 1;
    if (rough > 0 && steps < 0.05 / rough) steps = 0.05 / rough < 400 ? (int)(0.05 / rough) : 400;
    if (rough > 0 && steps > 0.5 / rough) steps = 0.5 / rough > 2 ? (int)(0.5 / rough) : 2;
    for (int k = 0; !st && k < reps; k++) {
        st = time_run(ctx, m, opt, d, &norm, idx, n, tc, 2, 1 + 2 * k, &ts[k]);
        if (!st) st = time_run(ctx, m, opt, d, &norm, idx, n, tc, 2 + steps, 2 + 2 * k, &tl[k]);
    }
    if (!st) out->step_s = ws_estimate_step_seconds(ws_median(ts, reps), 2, ws_median(tl, reps), 2 + steps);
    ws_model *em = w->li >= 0 ? ws_learner_eval_model(&ls, m) : m;
    int64_t ne = n < EB ? n : EB;
    if (reps == 1 && ne > 2 * B) ne = 2 * B; // an expensive model: two training batches' worth, priced per example
    for (int k = 0; !st && k <= reps; k++) { // the first plans the model for inference: not counted
        double acc, loss, t0 = ws_now();
        st = ws_evaluate(ctx, em, d, &norm, idx, ne, EB, &acc, &loss);
        if (k) te[k - 1] = ws_now() - t0;
    }
    if (!st) out->eval_s = ws_median(te, reps) * (double)w->n_eval / (double)ne;
    if (w->li >= 0) ws_learner_state_free(&ls);
    else ws_optim_free(&own);
    ws_model_free(m);
    ws_free(idx);
    ws_dataset_free(&fake);
    return st;
}

// Under --jobs N the units run N at once, each on its share of the cores, and contend for what the
// cores share (caches, memory, a core's sibling): N calibrations at once, as the run will have
// them, each on its own context (exp/jobs.c's), priced at their mean.
typedef struct {
    const ws_ctx *parent;
    const calib_what *w;
    int steps;
    ws_cost cost;
    int synth;
    ws_status st;
    char err[sizeof ((ws_ctx *)0)->err];
} calib_job;

static void *calib_thread(void *arg) {
    calib_job *c = arg;
    ws_ctx ctx;
    ws_ctx_derive(&ctx, c->parent, c->parent->threads);
    c->st = calibrate(&ctx, c->w, c->steps, &c->cost, &c->synth);
    if (c->st) snprintf(c->err, sizeof c->err, "%s", ctx.err);
    ws_ctx_release(&ctx);
    return NULL;
}

#define CALIB_MAX_JOBS 16
static ws_status calibrate_jobs(ws_ctx *ctx, const calib_what *w, int steps, int jobs, ws_cost *out, int *synth) {
    if (jobs > CALIB_MAX_JOBS) jobs = CALIB_MAX_JOBS;
    calib_job c[CALIB_MAX_JOBS];
    pthread_t t[CALIB_MAX_JOBS];
    int started = 1;
    for (int k = 0; k < jobs; k++) c[k] = (calib_job){.parent = ctx, .w = w, .steps = steps};
    while (started < jobs && !pthread_create(&t[started], NULL, calib_thread, &c[started])) started++;
    c[0].st = calibrate(ctx, w, steps, &c[0].cost, &c[0].synth);
    for (int k = 1; k < started; k++) pthread_join(t[k], NULL);
    ws_status st = c[0].st;
    *out = (ws_cost){0, 0};
    for (int k = 0; k < started; k++) {
        if (!st && c[k].st) st = ws_fail(ctx, c[k].st, "%s", c[k].err);
        out->step_s += c[k].cost.step_s / started, out->eval_s += c[k].cost.eval_s / started;
        *synth |= c[k].synth;
    }
    return st;
}

// ---- the parts -------------------------------------------------------------------------------

#define ROUNDS(e) ((e)->scenario == WS_CMD_ONLINE || (e)->scenario == WS_CMD_ACTIVE)

// A point's work, added to the parts at its configurations; group_s: each seed's seconds.
typedef struct {
    ws_ctx *ctx;              // at the threads a unit runs with
    const data_shape *data, *pre;
    int steps;                // calibration steps
    ws_calib_cache *cache;
    ws_estimate *out;
    int jobs;                 // units at once: calibrated as many at once
    int rounds;               // online, active: the epochs table's rows for data in rounds
    int seeds;
    double group_s[WS_ESTIMATE_MAX_GROUPS];
    int fresh_assumed, warm_assumed; // runs whose epochs came from the table
} point_job;

// Does learner l change the step (hooks, a network of its own)? The plain ones share a calibration.
static int plain_learner(const ws_setup *s, int li) {
    return li < 0 || s->learners[li].kind == WS_LEARNER_WARM || s->learners[li].kind == WS_LEARNER_RANDOM;
}

// The part of the estimate for this configuration (calibrated once per cache), NULL when full.
static ws_estimate_part *part_for(point_job *j, const calib_what *w, ws_status *st) {
    const ws_setup *s = w->s;
    const data_shape *d = w->d;
    ws_dataset fake;
    memset(&fake, 0, sizeof fake);
    fake.c = d->c, fake.h = d->h, fake.w = d->w, fake.num_classes = d->classes;
    ws_model_spec spec = ws_setup_model_spec(s, &fake);
    char key[200], extra[96] = "";
    if (s->fgsm_eps > 0) snprintf(extra + strlen(extra), sizeof extra - strlen(extra), ", fgsm");
    if (s->confidence_penalty > 0) snprintf(extra + strlen(extra), sizeof extra - strlen(extra), ", penalty");
    if (!plain_learner(s, w->li))
        snprintf(extra + strlen(extra), sizeof extra - strlen(extra), ", learner %s", s->learners[w->li].name);
    const int th = j->ctx->threads;
    char jobs[32] = "";
    if (j->jobs > 1) snprintf(jobs, sizeof jobs, " x %d jobs", j->jobs);
    snprintf(key, sizeof key, "%s%s %dx%dx%d -> %d, batch %d, %s, %d thread%s%s, eval %lld%s", ws_model_kind_name(spec.kind),
             s->layer_norm ? "+ln" : "", d->c, d->h, d->w, d->classes, w->batch, ws_opt_kind_name(w->oc->kind), th,
             th == 1 ? "" : "s", jobs, (long long)w->n_eval, extra);
    ws_estimate *out = j->out;
    for (int i = 0; i < out->nparts; i++)
        if (!strcmp(out->part[i].config, key)) return &out->part[i];
    if (out->nparts == WS_ESTIMATE_MAX_PARTS) {
        *st = ws_fail(j->ctx, WS_ERR_ARG, "estimate: more than %d configurations", WS_ESTIMATE_MAX_PARTS);
        return NULL;
    }
    ws_estimate_part *p = &out->part[out->nparts++];
    memset(p, 0, sizeof *p);
    snprintf(p->config, sizeof p->config, "%s", key);
    for (int i = 0; i < j->cache->n; i++)
        if (!strcmp(j->cache->key[i], key)) return p->cost = j->cache->cost[i], p;
    double t0 = ws_now();
    *st = j->jobs > 1 ? calibrate_jobs(j->ctx, w, j->steps, j->jobs, &p->cost, &out->synthetic)
                      : calibrate(j->ctx, w, j->steps, &p->cost, &out->synthetic);
    out->calibration_s += ws_now() - t0;
    if (*st) return NULL;
    if (j->cache->n < WS_CALIB_MAX) {
        snprintf(j->cache->key[j->cache->n], sizeof j->cache->key[0], "%s", key);
        j->cache->cost[j->cache->n++] = p->cost;
    }
    return p;
}

// Add one seed's `steps` and `evals` of configuration w: to seed `seed` (-1: every seed, each as much).
static ws_status add_work(point_job *j, const calib_what *w, double steps, double evals, int seed) {
    ws_status st = WS_OK;
    ws_estimate_part *p = part_for(j, w, &st);
    if (!p) return st;
    const ws_work one = {steps, evals};
    const double sec = ws_estimate_seconds(&p->cost, &one);
    const double times = seed < 0 ? j->seeds : 1;
    p->work.steps += times * steps, p->work.evals += times * evals;
    for (int k = 0; k < j->seeds && k < WS_ESTIMATE_MAX_GROUPS; k++)
        if (seed < 0 || seed == k) j->group_s[k] += sec;
    return WS_OK;
}

// The step-equivalents of the gradient norms a run measures besides its training (a forward and a
// backward each batch, no update): online's at each round's start on the old and the new
// examples; the two-phase experiment's every grad_every steps (the paper's Figure 5).
static double measured_grads(const ws_experiment *pe, int stage, int64_t pool, int batch, double steps, int base) {
    const int64_t cap = pe->online.grad_examples > 0 ? pe->online.grad_examples : INT64_MAX;
    if (pe->scenario == WS_CMD_ONLINE || pe->scenario == WS_CMD_ACTIVE) {
        const ws_online_config *o = &pe->online;
        int64_t seen = o->k0 + (int64_t)stage * o->k, old = stage ? o->k0 + (int64_t)(stage - 1) * o->k : 0;
        if (seen > pool) seen = pool;
        if (old > seen) old = seen;
        const int64_t n_old = old < cap ? old : cap, n_new = seen - old < cap ? seen - old : cap;
        return ceil((double)n_old / batch) + ceil((double)n_new / batch);
    }
    if (pe->scenario == WS_CMD_BATCH && pe->batch.grad_every > 0 && !base) {
        const int64_t bcap = pe->batch.grad_examples > 0 ? pe->batch.grad_examples : INT64_MAX;
        const int64_t first = (int64_t)(pe->batch.first_fraction * (double)pool), rest = pool - first;
        const double per = ceil((double)(first < bcap ? first : bcap) / batch) + ceil((double)(rest < bcap ? rest : bcap) / batch);
        return (floor(steps / pe->batch.grad_every) + 1) * per;
    }
    return 0;
}

// Evaluations a run makes besides its end's: every eval_every epochs, the shrunk models of the
// paper's Figure 6 (two-phase learners), active learning's margins over the unlabelled examples.
static double extra_evals(const ws_experiment *pe, double epochs, int stage, int64_t pool, int64_t n_eval, int base) {
    const ws_setup *s = ws_experiment_setup(pe);
    double ev = s->eval_every > 0 ? floor(epochs / s->eval_every) : 0;
    if (pe->scenario == WS_CMD_BATCH && !base) ev += pe->batch.nshrink;
    if (pe->scenario == WS_CMD_ACTIVE && stage > 0 && pe->online.query == WS_QUERY_MARGIN && n_eval > 0) {
        const int64_t left = pool - (pe->online.k0 + (int64_t)(stage - 1) * pe->online.k);
        if (left > 0) ev += (double)left / (double)n_eval;
    }
    return ev;
}

// The epochs a run of s trains: fixed, or to the threshold as the table assumes, within the cap.
static double epochs_of(point_job *j, const ws_setup *s, int fresh) {
    if (s->epochs > 0) return s->epochs;
    ws_epochs_assumed a = ws_estimate_epochs(s->model, s->opt.kind, j->rounds);
    double e = fresh ? a.fresh : a.warm;
    if (fresh) j->fresh_assumed++;
    else j->warm_assumed++;
    const int cap = ws_setup_max_epochs(s);
    return cap > 0 && cap < e ? cap : e;
}

// A run of learner li (-1: none's) over n examples for `epochs` epochs, every seed.
static ws_status assume_run(point_job *j, const ws_experiment *pe, calib_what w, int64_t n, double epochs, int stage,
                            int64_t pool) {
    const double steps = ws_estimate_steps(1, epochs, n, w.batch);
    const double grads = measured_grads(pe, stage, pool, w.batch, steps, w.li < 0);
    return add_work(j, &w, steps + grads, 1 + extra_evals(pe, epochs, stage, pool, w.n_eval, w.li < 0), -1);
}

static int fresh_learner(const ws_setup *s, int li) { return s->learners[li].kind == WS_LEARNER_RANDOM; }

static ws_status assume_point(point_job *j, const ws_experiment *pe) {
    const ws_setup *s = ws_experiment_setup(pe);
    int64_t pool, eval;
    split_sizes(s, j->data, &pool, &eval);
    ws_status st = WS_OK;
    calib_what w = {s, -1, &s->opt, s->batch, (data_shape *)j->data, eval};
    switch (pe->scenario) {
    case WS_CMD_BATCH: {
        const ws_batch_config *b = &pe->batch;
        const double e1 = b->phase1_epochs > 0 ? b->phase1_epochs : epochs_of(j, s, 1);
        st = assume_run(j, pe, w, (int64_t)(b->first_fraction * (double)pool), e1, 0, pool);
        calib_what w2 = {s, 0, &b->opt2, b->batch2 > 0 ? b->batch2 : s->batch, (data_shape *)j->data, eval};
        for (int l = 0; !st && l < s->nlearners; l++)
            w2.li = l, st = assume_run(j, pe, w2, pool, epochs_of(j, s, fresh_learner(s, l)), 0, pool);
        break;
    }
    case WS_CMD_ONLINE:
    case WS_CMD_ACTIVE: {
        const ws_online_config *o = &pe->online;
        for (int r = 0; !st && (o->rounds > 0 ? r < o->rounds : r == 0 || o->k0 + (int64_t)(r - 1) * o->k < pool); r++) {
            int64_t n = o->k0 + (int64_t)r * o->k;
            for (int l = 0; !st && l < s->nlearners; l++)
                w.li = l, st = assume_run(j, pe, w, n < pool ? n : pool, epochs_of(j, s, r == 0 || fresh_learner(s, l)), r,
                                          pool);
        }
        break;
    }
    case WS_CMD_TRANSFER: {
        const ws_transfer_config *t = &pe->transfer;
        int64_t apool, aeval;
        split_sizes(s, j->pre, &apool, &aeval);
        calib_what wa = {s, -1, &s->opt, s->batch, (data_shape *)j->pre, aeval};
        st = assume_run(j, pe, wa, (int64_t)(t->pretrain_fraction * (double)apool), epochs_of(j, s, 1), 0, apool);
        for (int f = 0; !st && f < t->nfractions; f++)
            for (int l = 0; !st && l < s->nlearners; l++)
                w.li = l, st = assume_run(j, pe, w, (int64_t)(t->fractions[f] * (double)pool),
                                          epochs_of(j, s, fresh_learner(s, l)), 0, pool);
        break;
    }
    case WS_CMD_CONTINUAL: {
        // A task's examples taken as the pool (the class-based kinds use a share of it: an upper bound).
        const ws_continual_config *c = &pe->continual;
        const int64_t n = c->tasks.examples > 0 && c->tasks.examples < pool ? c->tasks.examples : pool;
        const double per_task = c->steps > 0 ? (double)c->steps : ws_estimate_steps(1, c->task_epochs, n, s->batch);
        w.n_eval = c->tasks.eval_examples > 0 ? c->tasks.eval_examples : eval;
        for (int l = 0; !st && l < s->nlearners; l++)
            w.li = l, st = add_work(j, &w, c->tasks.ntasks * per_task, c->tasks.ntasks, -1);
        break;
    }
    default:
        return ws_fail(j->ctx, WS_ERR_ARG, "estimate: scenario %s has no cost model", ws_command_name(pe->scenario));
    }
    return st;
}

// A point's work from an earlier run's records, seed by seed (their seeds scaled to e's when they
// differ): 1 in *used if there are records.
static ws_status measured_point(point_job *j, const ws_experiment *pe, const ws_table *t, const ws_point *rp, int *used) {
    *used = 0;
    if (!rp || rp->nrecords < 1 || rp->nruns < 1) return WS_OK;
    const ws_setup *s = ws_experiment_setup(pe);
    int64_t pool, eval;
    split_sizes(s, j->data, &pool, &eval);
    int64_t seed_ids[WS_ESTIMATE_MAX_GROUPS];
    int nseen = 0;
    const int same = rp->nrecords == j->seeds; // else every seed gets the mean
    const double scale = (double)j->seeds / rp->nrecords;
    ws_status st = WS_OK;
    for (int i = 0; !st && i < rp->nruns; i++) {
        const ws_run *r = &rp->runs[i];
        int k = 0;
        while (k < nseen && seed_ids[k] != r->seed) k++;
        if (k == nseen && nseen < WS_ESTIMATE_MAX_GROUPS) seed_ids[nseen++] = r->seed;
        const int base = r->learner == t->base;
        const int li = base ? -1 : ws_learner_index(s->learners, s->nlearners, t->learners[r->learner]);
        const int phase2 = pe->scenario == WS_CMD_BATCH && !base;
        calib_what w = {s, li, phase2 ? &pe->batch.opt2 : &s->opt,
                        phase2 && pe->batch.batch2 > 0 ? pe->batch.batch2 : s->batch, (data_shape *)j->data, eval};
        int64_t rpool = pool;
        if (pe->scenario == WS_CMD_TRANSFER && base) split_sizes(s, j->pre, &rpool, &w.n_eval), w.d = (data_shape *)j->pre;
        if (pe->scenario == WS_CMD_CONTINUAL && pe->continual.tasks.eval_examples > 0)
            w.n_eval = pe->continual.tasks.eval_examples;
        const double steps = isfinite(r->m[WS_M_STEPS]) ? r->m[WS_M_STEPS] : 0;
        const double epochs = isfinite(r->m[WS_M_EPOCHS]) ? r->m[WS_M_EPOCHS] : 0;
        const double grads = measured_grads(pe, r->stage, rpool, w.batch, steps, base);
        const double evals = 1 + extra_evals(pe, epochs, r->stage, rpool, w.n_eval, base);
        if (same) st = add_work(j, &w, steps + grads, evals, k);
        else {
            ws_estimate_part *p = part_for(j, &w, &st);
            if (!p) break;
            const ws_work one = {scale * (steps + grads), scale * evals};
            p->work.steps += one.steps, p->work.evals += one.evals;
            const double sec = ws_estimate_seconds(&p->cost, &one) / j->seeds;
            for (int q = 0; q < j->seeds && q < WS_ESTIMATE_MAX_GROUPS; q++) j->group_s[q] += sec;
        }
    }
    *used = !st;
    return st;
}

static const ws_point *recorded_point(const ws_table *t, const ws_experiment *pe) {
    for (int k = 0; t && k < t->npoints; k++)
        if (t->points[k].index == (pe->sweep || pe->npoints > 1 ? pe->point : 0)) return &t->points[k];
    return NULL;
}

// The estimate's `source`: where its steps came from.
static void describe(ws_estimate *out, const ws_experiment *e, const char *earlier, int fresh, int warm) {
    const ws_setup *s = ws_experiment_setup(e);
    ws_epochs_assumed a = ws_estimate_epochs(s->model, s->opt.kind, ROUNDS(e));
    char assumed[400] = "";
    if (fresh + warm)
        snprintf(assumed, sizeof assumed, "epochs to the threshold assumed for %s/%s%s: %g a fresh run, %g a warm one "
                 "(%s), within the cap", ws_model_kind_name(s->model), ws_opt_kind_name(s->opt.kind),
                 ROUNDS(e) ? " in rounds" : "", a.fresh, a.warm,
                 a.source);
    else if (out->measured_points < out->points)
        snprintf(assumed, sizeof assumed, "fixed epochs or steps as set");
    if (out->measured_points == out->points)
        snprintf(out->source, sizeof out->source, "steps measured: %s's records", earlier);
    else if (out->measured_points)
        snprintf(out->source, sizeof out->source, "steps measured at %d of %d points (%s), the rest: %s",
                 out->measured_points, out->points, earlier, assumed);
    else snprintf(out->source, sizeof out->source, "assumed: %s", assumed);
}

ws_status ws_estimate_experiment(ws_ctx *ctx, const ws_experiment *e, const char *earlier, int calib_steps,
                                 ws_calib_cache *cache, ws_estimate *out) {
    memset(out, 0, sizeof *out);
    ws_ctx run;
    memset(&run, 0, sizeof run);
    ws_status st = ws_experiment_ctx(&run, &e->opt); // the threads and backend it will run with
    if (st) return ws_ctx_release(&run), ws_fail(ctx, st, "%s", run.err);
    data_shape data, pre;
    memset(&pre, 0, sizeof pre);
    st = shape_of(&run, e, e->opt.data[0] ? e->opt.data : "fashion-mnist", &data);
    if (!st && e->scenario == WS_CMD_TRANSFER) st = shape_of(&run, e, e->opt.pretrain[0] ? e->opt.pretrain : "default", &pre);
    if (!st) out->load_s = (data.loaded ? data.src.load_seconds : 0) + (pre.loaded ? pre.src.load_seconds : 0);
    ws_table *t = NULL;
    if (!st && earlier && ws_table_read(&run, earlier, &t)) t = NULL; // no records there: assumed
    point_job *j = ws_sys_calloc(1, sizeof *j);
    if (!st && !j) st = ws_fail(&run, WS_ERR_NOMEM, "out of memory");
    const int np = ws_experiment_npoints(e);
    out->points = np;
    const ws_scenario *sc = ws_scenario_of(e->scenario);
    int fresh = 0, warm = 0;
    for (int p = 0; !st && p < np; p++) {
        ws_experiment *pe = NULL;
        if (e->sweep && (st = ws_experiment_point(&run, e, p, &pe))) break;
        const ws_experiment *x = pe ? pe : e;
        int unit_threads, jobs = ws_units_jobs(x, run.threads, &unit_threads);
        ws_ctx unit;
        ws_ctx_derive(&unit, &run, unit_threads); // each unit's threads: threads / jobs
        // Jobs busy at once: no more than the groups (a seed's), as exp/jobs.c starts them.
        const int seeds = ws_experiment_setup(x)->seeds, busy = jobs < seeds ? jobs : seeds;
        memset(j, 0, sizeof *j);
        *j = (point_job){.ctx = &unit, .data = &data, .pre = &pre, .steps = calib_steps > 0 ? calib_steps : 8,
                         .cache = cache, .out = out, .jobs = busy, .rounds = ROUNDS(x), .seeds = ws_experiment_setup(x)->seeds};
        int used = 0;
        st = measured_point(j, x, t, recorded_point(t, x), &used);
        if (!st && !used) st = assume_point(j, x);
        if (st) ws_fail(&run, st, "%s", unit.err);
        out->measured_points += used;
        fresh += j->fresh_assumed, warm += j->warm_assumed;
        const int groups = j->seeds < WS_ESTIMATE_MAX_GROUPS ? j->seeds : WS_ESTIMATE_MAX_GROUPS;
        for (int k = 0; k < groups; k++) out->unit_seconds += j->group_s[k];
        out->seconds += ws_estimate_makespan(j->group_s, groups, jobs);
        if (sc && sc->group) out->units += ws_experiment_setup(x)->seeds * sc->group(x);
        if (unit_threads > out->threads) out->threads = unit_threads;
        if (jobs > out->jobs) out->jobs = jobs;
        ws_ctx_release(&unit);
        ws_experiment_free(pe);
    }
    free(j);
    ws_table_free(t);
    for (int i = 0; !st && i < out->nparts; i++)
        out->part[i].seconds = ws_estimate_seconds(&out->part[i].cost, &out->part[i].work);
    out->load_s *= np; // a sweep loads its data at every point (run.c's run_scenario)
    out->seconds += out->load_s;
    if (!st) describe(out, e, earlier, fresh, warm);
    shape_free(&data);
    shape_free(&pre);
    if (st) ws_fail(ctx, st, "%s", run.err);
    ws_ctx_release(&run);
    return st;
}
