// The stable C API (include/warmstart.h) over the library's own functions: handles that own a context,
// an experiment or a results table, and long-form rows read from the one results reader
// (exp/table.h).
#include "warmstart.h"
#include "api/handles.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/ctx.h"
#include "core/version.h"
#include "exp/experiment.h"
#include "exp/run.h"
#include "exp/table.h"
#include "io/safetensors.h"
#include "report/report.h"


typedef struct {
    int point;       // index into the table's points
    const ws_run *run;
    ws_measure m;
} row_ref;

struct warmstart_results {
    ws_table *t;
    row_ref *rows;
    int64_t n;
};

const char *warmstart_version(void) { return ws_version(); }

int warmstart_context_new(int threads, warmstart_context **out) {
    *out = ws_sys_calloc(1, sizeof **out);
    if (!*out) return WARMSTART_ERR_NOMEM;
    ws_ctx_init(&(*out)->ctx, threads);
    return WARMSTART_OK;
}

void warmstart_context_free(warmstart_context *c) {
    if (!c) return;
    ws_ctx_release(&c->ctx);
    free(c);
}

const char *warmstart_error(const warmstart_context *c) { return c ? c->ctx.err : "no context"; }

static int wrap(warmstart_context *c, ws_experiment *e, warmstart_experiment **out) {
    if (!(*out = ws_sys_calloc(1, sizeof **out))) {
        ws_experiment_free(e);
        return ws_fail(&c->ctx, WS_ERR_NOMEM, "out of memory");
    }
    (*out)->c = c;
    (*out)->e = e;
    return WARMSTART_OK;
}

int warmstart_experiment_new(warmstart_context *c, const char *scenario, warmstart_experiment **out) {
    *out = NULL;
    const ws_command cmd = scenario ? ws_command_parse(scenario) : 0;
    if (!(cmd & WS_CMD_SCENARIOS))
        return ws_fail(&c->ctx, WS_ERR_ARG, "scenario '%s': expected batch, online, active, transfer or continual",
                       scenario ? scenario : "(null)");
    ws_experiment *e;
    ws_status st = ws_experiment_new(&c->ctx, cmd, 0, &e);
    return st ? (int)st : wrap(c, e, out);
}

int warmstart_experiment_load(warmstart_context *c, const char *path, warmstart_experiment **out) {
    *out = NULL;
    ws_experiment *e;
    ws_status st = ws_experiment_load(&c->ctx, path, &e);
    return st ? (int)st : wrap(c, e, out);
}

int warmstart_experiment_set(warmstart_experiment *e, const char *key, const char *value) {
    return (int)ws_experiment_set(&e->c->ctx, e->e, key, value);
}

int warmstart_experiment_add_axis(warmstart_experiment *e, const char *text) {
    return (int)ws_experiment_add_axis(&e->c->ctx, e->e, text);
}

int warmstart_experiment_check(warmstart_experiment *e) { return (int)ws_experiment_check(&e->c->ctx, e->e); }

int warmstart_experiment_run(warmstart_experiment *e, const warmstart_hooks *h, void *user, int *complete) {
    ws_hooks hooks = {.user = user};
    if (h) hooks.note = h->note, hooks.should_stop = h->should_stop, hooks.progress = h->progress;
    ws_outcome outcome;
    memset(&outcome, 0, sizeof outcome);
    ws_ctx_memory_reset(&e->c->ctx); // an operation begins: earlier allocation failures are the past's
    ws_status st = ws_experiment_run(&e->c->ctx, e->e, &hooks, &outcome);
    if (complete) *complete = !st && outcome.complete;
    return (int)st;
}

void warmstart_experiment_free(warmstart_experiment *e) {
    if (!e) return;
    ws_experiment_free(e->e);
    ws_api_remedies_free(e);
    free(e);
}

int warmstart_merge(warmstart_context *c, const char *const *dirs, int ndirs, const char *out) {
    if (!dirs || ndirs < 1) return ws_fail(&c->ctx, WS_ERR_ARG, "merge: no folders given");
    ws_outcome outcome;
    memset(&outcome, 0, sizeof outcome);
    ws_ctx_memory_reset(&c->ctx);
    return (int)ws_merge(&c->ctx, dirs, ndirs, out, NULL, &outcome);
}

// The rows of point p: every run's every measure with a value, in the table's order.
static int64_t point_rows(const ws_point *p, int index, row_ref *out) {
    int64_t n = 0;
    for (int i = 0; i < p->nruns; i++)
        for (int m = 0; m < WS_M_COUNT; m++) {
            if (!isfinite(p->runs[i].m[m])) continue;
            if (out) out[n] = (row_ref){index, &p->runs[i], (ws_measure)m};
            n++;
        }
    return n;
}

int warmstart_results_open(warmstart_context *c, const char *path, warmstart_results **out) {
    *out = NULL;
    warmstart_results *r = ws_sys_calloc(1, sizeof *r);
    if (!r) return ws_fail(&c->ctx, WS_ERR_NOMEM, "out of memory");
    ws_status st = ws_table_read(&c->ctx, path, &r->t);
    for (int p = 0; !st && p < r->t->npoints; p++) r->n += point_rows(&r->t->points[p], p, NULL);
    if (!st && !(r->rows = ws_sys_malloc(sizeof *r->rows * (size_t)(r->n ? r->n : 1))))
        st = ws_fail(&c->ctx, WS_ERR_NOMEM, "out of memory for %lld rows", (long long)r->n);
    int64_t at = 0;
    for (int p = 0; !st && p < r->t->npoints; p++) at += point_rows(&r->t->points[p], p, r->rows + at);
    if (st) {
        warmstart_results_free(r);
        return (int)st;
    }
    *out = r;
    return WARMSTART_OK;
}

int64_t warmstart_results_nrows(const warmstart_results *r) { return r->n; }

int warmstart_results_row(const warmstart_results *r, int64_t i, warmstart_row *row) {
    if (i < 0 || i >= r->n) return WARMSTART_ERR_ARG;
    const row_ref *x = &r->rows[i];
    *row = (warmstart_row){.point = r->t->points[x->point].params,
                           .learner = r->t->learners[x->run->learner],
                           .seed = x->run->seed,
                           .stage = x->run->stage,
                           .measure = ws_measure_name(x->m),
                           .value = x->run->m[x->m],
                           .stop = ws_stop_reason_name(x->run->stop)};
    return WARMSTART_OK;
}

const char *warmstart_results_scenario(const warmstart_results *r) { return r->t->scenario; }

void warmstart_results_free(warmstart_results *r) {
    if (!r) return;
    ws_table_free(r->t);
    free(r->rows);
    free(r);
}

int warmstart_report(warmstart_context *c, const char *dir, int *experiments) {
    int n = 0;
    ws_ctx_memory_reset(&c->ctx);
    ws_status st = ws_report_write(&c->ctx, dir, &n);
    if (experiments) *experiments = n;
    return (int)st;
}

struct warmstart_checkpoint {
    ws_st_file f;
};

int warmstart_checkpoint_open(warmstart_context *c, const char *path, warmstart_checkpoint **out) {
    *out = ws_sys_calloc(1, sizeof **out);
    if (!*out) return ws_fail(&c->ctx, WS_ERR_NOMEM, "out of memory");
    ws_status st = ws_st_read(&c->ctx, &(*out)->f, path);
    if (st) {
        free(*out);
        *out = NULL;
    }
    return (int)st;
}

int warmstart_checkpoint_ntensors(const warmstart_checkpoint *k) { return k->f.ntensors; }

int warmstart_checkpoint_tensor(const warmstart_checkpoint *k, int i, warmstart_tensor *t) {
    if (i < 0 || i >= k->f.ntensors) return WARMSTART_ERR_ARG;
    const ws_st_tensor *x = &k->f.tensors[i];
    *t = (warmstart_tensor){.name = x->name, .dtype = x->dtype_name, .ndim = x->ndim, .data = x->data,
                            .nbytes = x->nbytes};
    for (int d = 0; d < x->ndim && d < 8; d++) t->dims[d] = x->dims[d];
    return WARMSTART_OK;
}

void warmstart_checkpoint_free(warmstart_checkpoint *k) {
    if (!k) return;
    ws_st_close(&k->f);
    free(k);
}
