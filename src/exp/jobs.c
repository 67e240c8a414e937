// Groups of units run at once (--jobs N, units.h: ws_units_run_groups). The small runs of most
// artefacts (an MLP on a few thousand examples) cannot keep two threads busy: their parallel
// regions are short and the threads wait at every barrier. Independent groups (a seed's units)
// on one thread each use the cores instead. Each job is a thread with a context of its own (its
// OpenMP thread count, its backend state), a copy of the units' frame sharing the runner (whose
// records are locked), and the program's hooks called one at a time. A unit's result depends on
// its seed, its settings and its thread count only, so it equals what a serial run with that
// thread count gives; the groups finish in any order, and the results are assembled from the
// records in seed order afterwards, as before. The library's own kernels call BLAS only inside
// their parallel regions, single-threaded (ops/cpu.c), so jobs never share OpenBLAS's pool.
#define _POSIX_C_SOURCE 200809L
#include <omp.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "exp/setup.h"
#include "exp/units.h"

// ---- the program's hooks, one call at a time ----------------------------------------------

typedef struct {
    const ws_hooks *h;
    pthread_mutex_t mu;
} serial_hooks;

static void s_note(void *user, const char *who, const char *line) {
    serial_hooks *s = user;
    pthread_mutex_lock(&s->mu);
    s->h->note(s->h->user, who, line);
    pthread_mutex_unlock(&s->mu);
}
static void s_epoch(void *user, uint64_t seed, const char *learner, const ws_epoch_record *rec) {
    serial_hooks *s = user;
    pthread_mutex_lock(&s->mu);
    s->h->epoch(s->h->user, seed, learner, rec);
    pthread_mutex_unlock(&s->mu);
}
static void s_round(void *user, uint64_t seed, const char *learner, const ws_online_round *r) {
    serial_hooks *s = user;
    pthread_mutex_lock(&s->mu);
    s->h->round(s->h->user, seed, learner, r);
    pthread_mutex_unlock(&s->mu);
}
static void s_task(void *user, uint64_t seed, const char *learner, const ws_continual_task *t) {
    serial_hooks *s = user;
    pthread_mutex_lock(&s->mu);
    s->h->task(s->h->user, seed, learner, t);
    pthread_mutex_unlock(&s->mu);
}
static void s_run_end(void *user) {
    serial_hooks *s = user;
    pthread_mutex_lock(&s->mu);
    s->h->run_end(s->h->user);
    pthread_mutex_unlock(&s->mu);
}
static int s_should_stop(void *user) {
    serial_hooks *s = user;
    pthread_mutex_lock(&s->mu);
    const int stop = s->h->should_stop(s->h->user);
    pthread_mutex_unlock(&s->mu);
    return stop;
}
static void s_progress(void *user, int done, int total, const char *unit) {
    serial_hooks *s = user;
    pthread_mutex_lock(&s->mu);
    s->h->progress(s->h->user, done, total, unit);
    pthread_mutex_unlock(&s->mu);
}

// The hooks a job calls: h's, each behind s's lock (those a run makes while units train; the
// plan, results and sweep hooks come before or after, from the calling thread).
static ws_hooks serialised(serial_hooks *s, const ws_hooks *h) {
    ws_hooks out = {.user = s};
    if (!h) return out;
    if (h->note) out.note = s_note;
    if (h->epoch) out.epoch = s_epoch;
    if (h->round) out.round = s_round;
    if (h->task) out.task = s_task;
    if (h->run_end) out.run_end = s_run_end;
    if (h->should_stop) out.should_stop = s_should_stop;
    if (h->progress) out.progress = s_progress;
    return out;
}

// ---- the pool ----------------------------------------------------------------------------------

typedef struct {
    ws_units *u;
    ws_group_fn group;
    void *arg;
    ws_unit_id *ids;
    int seeds, per;
    int threads;            // each job's
    ws_hooks hooks;         // the program's, serialised
    pthread_mutex_t mu;     // next, st, err
    int next;               // the next group to look at
    ws_status st;           // the first failure (WS_OK: none)
    char err[sizeof ((ws_ctx *)0)->err];
} pool;

// The next group with a unit left, or -1 when none is left or a job has failed.
static int claim(pool *p) {
    pthread_mutex_lock(&p->mu);
    int i = -1;
    while (!p->st && i < 0 && p->next < p->seeds) {
        const int k = p->next++;
        if (ws_units_group_todo(p->u, p->ids, k, p->per)) i = k;
    }
    pthread_mutex_unlock(&p->mu);
    return i;
}

static void failed(pool *p, ws_status st, const ws_ctx *ctx) {
    pthread_mutex_lock(&p->mu);
    if (!p->st) p->st = st, snprintf(p->err, sizeof p->err, "%s", ctx->err);
    pthread_mutex_unlock(&p->mu);
}

static void *job(void *arg) {
    pool *p = arg;
    ws_ctx ctx;
    ws_ctx_derive(&ctx, p->u->ctx, p->threads); // OpenMP's thread count is per thread: this job's
    ws_units frame = *p->u;
    frame.ctx = &ctx, frame.h = &p->hooks, frame.parent = p->u;
    ws_hooks_arm(&ctx, frame.h); // its training asks the program too, one call at a time
    for (int i; (i = claim(p)) >= 0;) {
        ws_status st = ws_hooks_stop(frame.h) ? ws_units_interrupted(&frame, i ? p->ids[i * p->per - 1] : NULL)
                                             : p->group(&frame, p->arg, i, p->ids + i * p->per, i * p->per);
        if (st) failed(p, st, &ctx);
    }
    ws_ctx_release(&ctx);
    return NULL;
}

// A model big enough to keep every core busy runs one unit at a time, on all the threads. Measured
// on 2 Zen 5 cores (bench/RESULTS.md, "Units at once"): two one-thread ResNet-18 runs at once
// took 0.79-0.89 of the time of the same two one after the other on two threads at width 8 (the
// CPU scale's), 0.90-0.96 at the paper's 16. The line is drawn at 16: below it the cores are
// idle a fifth of the time; from it up the gain is within the noise, for twice the memory.
static bool runs_alone(const ws_setup *s) {
    return s->model == WS_MODEL_RESNET18 && s->width >= 16;
}

int ws_units_jobs(const ws_experiment *e, int threads, int *unit_threads) {
    int jobs = e->opt.jobs < 1 ? 1 : e->opt.jobs;
    if (runs_alone(ws_experiment_setup(e))) jobs = 1;
    if (jobs > threads) jobs = threads > 0 ? threads : 1;
    if (unit_threads) *unit_threads = threads / jobs > 0 ? threads / jobs : 1;
    return jobs;
}

// The groups with units of this process left.
static int groups_left(const ws_units *u, ws_unit_id *ids, int seeds, int per) {
    int left = 0;
    for (int i = 0; i < seeds; i++) left += ws_units_group_todo(u, ids, i, per);
    return left;
}

static ws_status serial(ws_units *u, ws_group_fn group, void *arg, ws_unit_id *ids, int seeds, int per) {
    ws_status st = WS_OK;
    ws_ctx *ctx = u->ctx;
    int (*was)(void *) = ctx->should_stop;
    void *was_user = ctx->stop_user;
    ws_hooks_arm(ctx, u->h); // the units' training asks the program too
    for (int i = 0; i < seeds && !st; i++) {
        if (!ws_units_group_todo(u, ids, i, per)) continue;
        if (ws_hooks_stop(u->h)) st = ws_units_interrupted(u, i ? ids[i * per - 1] : NULL);
        else st = group(u, arg, i, ids + i * per, i * per);
    }
    ctx->should_stop = was, ctx->stop_user = was_user;
    return st;
}

// A run stopped on request, between units (ws_units_interrupted) or inside a unit's training
// (train.c: that unit abandoned), keeps the same: what finished. Said once, here.
static ws_status stopped(ws_units *u, ws_status st) {
    if (st != WS_ERR_INTERRUPTED) return st;
    char was[sizeof u->ctx->err];
    snprintf(was, sizeof was, "%s", u->ctx->err);
    return ws_fail(u->ctx, st, "%s; what finished is recorded (--resume goes on)", was);
}

ws_status ws_units_run_groups(ws_units *u, ws_group_fn group, void *arg, ws_unit_id *ids, int seeds, int per) {
    // Each unit runs on threads/jobs threads however many groups are left (a resumed run's units
    // get the threads the others had); only the number of jobs started follows what is left.
    int unit_threads, jobs = ws_units_jobs(u->e, u->ctx->threads, &unit_threads);
    if (jobs <= 1) return stopped(u, serial(u, group, arg, ids, seeds, per));
    const int left = groups_left(u, ids, seeds, per);
    if (jobs > left) jobs = left;
    pool p = {.u = u, .group = group, .arg = arg, .ids = ids, .seeds = seeds, .per = per, .threads = unit_threads};
    serial_hooks sh = {.h = u->h};
    pthread_mutex_t counts;
    pthread_mutex_init(&sh.mu, NULL);
    pthread_mutex_init(&p.mu, NULL);
    pthread_mutex_init(&counts, NULL);
    p.hooks = serialised(&sh, u->h);
    u->lock = &counts;
    // jobs - 1 threads, and the calling thread is a job too: a binding's signal handlers (Python's
    // Ctrl-C) run in it between its units, and its OpenMP thread count is put back afterwards.
    pthread_t t[256];
    int started = 0;
    while (started < jobs - 1 && !pthread_create(&t[started], NULL, job, &p)) started++;
    const int caller_threads = omp_get_max_threads();
    job(&p);
    omp_set_num_threads(caller_threads);
    for (int k = 0; k < started; k++) pthread_join(t[k], NULL);
    u->lock = NULL;
    pthread_mutex_destroy(&counts);
    pthread_mutex_destroy(&p.mu);
    pthread_mutex_destroy(&sh.mu);
    return stopped(u, p.st && p.err[0] ? ws_fail(u->ctx, p.st, "%s", p.err) : p.st); // the failing job's message
}
