// A remedy written outside the library (warmstart_remedy) run as a custom learner: one adapter
// from the library's hooks (learn/learner.h: ws_learner_ops, a ws_hook_env each) to the
// stable API's (a warmstart_step each), so that an outside remedy acts where the built-in ones
// do, on views of the same arenas (no copy), and its state arrays travel in the chain's
// checkpoint as "learner.own.NAME".
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "warmstart.h"
#include "api/handles.h"
#include "learn/hidden.h"
#include "learn/learner.h"
#include "io/json.h"

// The most state arrays a remedy gives (a chain's checkpoint holds WS_CKPT_MAX_ENTRIES in all).
#define MAX_ARRAYS 16
// The longest array name ("learner.own." + it fits a checkpoint entry's name).
#define MAX_ARRAY_NAME 80

struct ws_api_remedy {
    warmstart_remedy r;  // its record pointing at `record` below
    void *user;
    char *record;        // a copy of the remedy's record text
};

// One chain's adapter state: the remedy's own, and the views handed to its hooks.
typedef struct {
    const ws_api_remedy *a;
    const char *name;             // the learner's, for messages
    void *own;                    // what the remedy's create made
    int round;                    // the round in progress (the step hooks are given no env)
    uint64_t seed;                // the chain's, from its first hook on (create and start are given none)
    int failed;                   // a void hook (start) failed: the next hook reports it
    ws_model *draw_into;          // step hooks: the model warmstart_step_draw_fresh fills
    const ws_hook_env *h;         // the hook in progress (warmstart_step_draw_fresh)
    warmstart_param params[WS_MAX_PARAMS];
    ws_hidden_layer layers[WS_MAX_LAYERS]; // its hidden layers (none where not sequential)
    warmstart_hidden hidden[WS_MAX_LAYERS];
    int nhidden;
    warmstart_step step;
} chain;

// The hidden layers of a sequential model, found once per chain; none for the others.
static void find_hidden(chain *c, const ws_model *m) {
    ws_ctx scratch; // a model that is not sequential is not an error here: it has no hidden layers to give
    memset(&scratch, 0, sizeof scratch);
    if (ws_hidden_layers(&scratch, m, c->name, c->layers, &c->nhidden)) c->nhidden = 0;
    for (int i = 0; i < c->nhidden; i++) {
        const ws_hidden_layer *h = &c->layers[i];
        c->hidden[i] = (warmstart_hidden){.in_weight = m->layers[h->producer].param0,
                                          .in_bias = h->has_bias ? m->layers[h->producer].param0 + 1 : -1,
                                          .out_weight = m->layers[h->consumer].param0, .units = h->units,
                                          .positions = h->positions, .out_span = h->out_span};
    }
}

// The step a hook is given: the model's parameters as views into its arenas (and the
// optimizer's, where it has state), the fresh initialisation where given, the counts.
static const warmstart_step *view(chain *c, const ws_model *m, const ws_optim *opt, const ws_model *fresh,
                                  uint64_t seed, int64_t step, int batch) {
    for (int p = 0; p < m->nparams; p++) {
        const ws_param *q = &m->params[p];
        warmstart_param *v = &c->params[p];
        *v = (warmstart_param){.name = q->name, .ndim = q->ndim, .numel = q->numel, .data = m->w + q->offset};
        for (int d = 0; d < q->ndim && d < 4; d++) v->dims[d] = q->dims[d];
        v->grad = m->g ? m->g + q->offset : NULL;
        v->fresh = fresh ? fresh->w + q->offset : NULL;
        v->moment1 = opt && opt->buf1 ? opt->buf1 + q->offset : NULL;
        v->moment2 = opt && opt->buf2 ? opt->buf2 + q->offset : NULL;
    }
    for (int i = 0; i < c->nhidden; i++) c->hidden[i].activation = batch ? m->act[c->layers[i].act + 1] : NULL;
    c->step = (warmstart_step){.round = c->round, .step = step, .batch = batch, .seed = seed, .nparams = m->nparams,
                               .params = c->params, .nweights = m->nweights, .weights = m->w, .grads = m->g,
                               .nhidden = c->nhidden, .hidden = c->hidden, .priv = c};
    return &c->step;
}

static ws_status hook_failed(ws_ctx *ctx, const chain *c, const char *hook, int rc) {
    return ws_fail(ctx, WS_ERR_ARG, "learner '%s': its %s hook failed (it returned %d)", c->name, hook, rc);
}

// The remedy's state arrays, checked: named, unique, at most MAX_ARRAYS.
static ws_status state_arrays(ws_ctx *ctx, chain *c, warmstart_array *out, int *n) {
    *n = 0;
    if (!c->a->r.state_arrays) return WS_OK;
    memset(out, 0, sizeof *out * MAX_ARRAYS);
    const int k = c->a->r.state_arrays(c->a->user, c->own, out, MAX_ARRAYS);
    if (k < 0 || k > MAX_ARRAYS)
        return ws_fail(ctx, WS_ERR_ARG, "learner '%s': its state_arrays hook gave %d arrays (0 to %d)", c->name, k,
                       MAX_ARRAYS);
    for (int i = 0; i < k; i++) {
        const warmstart_array *x = &out[i];
        if (!x->name || !x->name[0] || strlen(x->name) > MAX_ARRAY_NAME || x->n < 0 || (x->n && !x->data))
            return ws_fail(ctx, WS_ERR_ARG, "learner '%s': state array %d needs a name (1 to %d characters), a "
                                            "length >= 0 and its data", c->name, i, MAX_ARRAY_NAME);
        for (int j = 0; j < i; j++)
            if (!strcmp(out[j].name, x->name))
                return ws_fail(ctx, WS_ERR_ARG, "learner '%s': two state arrays named '%s'", c->name, x->name);
    }
    *n = k;
    return WS_OK;
}

static void destroy(void *state) {
    chain *c = state;
    if (!c) return;
    if (c->a->r.destroy) c->a->r.destroy(c->a->user, c->own);
    free(c);
}

static ws_status create(ws_ctx *ctx, const ws_learner *def, const ws_model *m, void **out) {
    chain *c = ws_sys_calloc(1, sizeof *c);
    if (!c) return ws_fail(ctx, WS_ERR_NOMEM, "out of memory");
    c->a = def->user, c->name = def->name;
    find_hidden(c, m);
    int rc = c->a->r.create ? c->a->r.create(c->a->user, view(c, m, NULL, NULL, 0, 0, 0), &c->own) : 0;
    ws_status st = rc ? hook_failed(ctx, c, "create", rc) : WS_OK;
    warmstart_array arrays[MAX_ARRAYS];
    int n;
    if (!st) st = state_arrays(ctx, c, arrays, &n); // refused here, before anything trains
    if (st) {
        if (!rc && c->a->r.destroy) c->a->r.destroy(c->a->user, c->own);
        free(c);
        return st;
    }
    *out = c;
    return WS_OK;
}

static void start(void *state, const ws_model *m) {
    chain *c = state;
    if (c->a->r.start && c->a->r.start(c->a->user, c->own, view(c, m, NULL, NULL, c->seed, 0, 0))) c->failed = 1;
}

// A hook of the remedy's, on the step h describes (begin and end have the round's env; begin
// after the first round passes the round's fresh initialisation).
typedef int (*outside_hook)(void *user, void *state, const warmstart_step *s);

static ws_status call(const ws_hook_env *h, outside_hook fn, const char *what, const ws_model *fresh) {
    chain *c = h->state;
    if (c->failed) return hook_failed(h->ctx, c, "start", 1);
    if (!fn) return WS_OK;
    if (h->env) c->round = h->env->round;
    c->seed = h->seed;
    const warmstart_step *s = view(c, h->m, h->opt, fresh, h->seed, h->step, h->batch);
    c->draw_into = h->env ? NULL : h->fresh;
    c->h = h;
    const int rc = fn(c->a->user, c->own, s);
    c->h = NULL;
    return rc ? hook_failed(h->ctx, c, what, rc) : WS_OK;
}

static const warmstart_remedy *of(const ws_hook_env *h) { return &((chain *)h->state)->a->r; }

static ws_status begin(const ws_hook_env *h) {
    return call(h, of(h)->begin, "begin", h->env->round > 0 ? h->fresh : NULL);
}
static ws_status after_backward(const ws_hook_env *h) { return call(h, of(h)->after_backward, "after_backward", NULL); }
static ws_status after_step(const ws_hook_env *h) { return call(h, of(h)->after_update, "after_update", NULL); }
static ws_status end(const ws_hook_env *h) { return call(h, of(h)->end, "end", NULL); }

static void save(const void *state, ws_ckpt *k) {
    chain *c = (chain *)state;
    warmstart_array arrays[MAX_ARRAYS];
    int n;
    ws_ctx scratch; // checked at create: nothing here fails unless the remedy changed its answer
    memset(&scratch, 0, sizeof scratch);
    if (state_arrays(&scratch, c, arrays, &n)) return;
    for (int i = 0; i < n; i++) {
        char name[96];
        snprintf(name, sizeof name, "learner.own.%s", arrays[i].name);
        ws_ckpt_f32(k, name, arrays[i].data, arrays[i].n);
    }
}

static ws_status load(void *state, ws_ctx *ctx, const ws_st_file *f, const char *path) {
    chain *c = state;
    warmstart_array arrays[MAX_ARRAYS];
    int n;
    ws_status st = state_arrays(ctx, c, arrays, &n);
    for (int i = 0; i < n && !st; i++) {
        char name[96];
        snprintf(name, sizeof name, "learner.own.%s", arrays[i].name);
        st = ws_ckpt_get_f32(ctx, f, path, name, arrays[i].data, arrays[i].n);
    }
    return st;
}

// The remedy's record text (a JSON object) merged into its configuration record.
static void record(const ws_learner *def, cJSON *rec) {
    const ws_api_remedy *a = def->user;
    cJSON *extra = a->r.record ? cJSON_Parse(a->r.record) : NULL;
    for (cJSON *x = extra ? extra->child : NULL; x; x = x->next)
        if (x->string && !cJSON_GetObjectItemCaseSensitive(rec, x->string))
            ws_json_put(rec, x->string, cJSON_Duplicate(x, 1));
    cJSON_Delete(extra);
}

static const ws_learner_ops ADAPTER = {.create = create, .destroy = destroy, .start = start, .begin = begin,
                                       .after_backward = after_backward, .after_step = after_step, .end = end,
                                       .save = save, .load = load, .record = record};

int warmstart_step_draw_fresh(const warmstart_step *s, uint64_t draw) {
    chain *c = s ? s->priv : NULL;
    if (!c || !c->h || !c->draw_into) return WARMSTART_ERR_ARG;
    ws_hook_fresh(c->h, draw);
    for (int p = 0; p < s->nparams; p++) c->params[p].fresh = c->draw_into->w + c->draw_into->params[p].offset;
    return WARMSTART_OK;
}

int warmstart_experiment_add_remedy(warmstart_experiment *e, const char *name, const warmstart_remedy *r,
                                    void *user) {
    ws_ctx *ctx = &e->c->ctx;
    if (!name || !r) return ws_fail(ctx, WS_ERR_ARG, "add_remedy: a name and a remedy are needed");
    if (e->nremedies == WS_MAX_LEARNERS) return ws_fail(ctx, WS_ERR_ARG, "more than %d remedies", WS_MAX_LEARNERS);
    if (strlen(name) >= sizeof ((ws_learner *)0)->name)
        return ws_fail(ctx, WS_ERR_ARG, "remedy '%s': a name of at most %d characters", name,
                       (int)sizeof ((ws_learner *)0)->name - 1);
    cJSON *rec = r->record ? cJSON_Parse(r->record) : NULL;
    const int bad_record = r->record && !cJSON_IsObject(rec);
    cJSON_Delete(rec);
    if (bad_record) return ws_fail(ctx, WS_ERR_ARG, "remedy '%s': its record is not a JSON object: %.60s", name, r->record);
    ws_api_remedy *a = ws_sys_calloc(1, sizeof *a);
    if (!a) return ws_fail(ctx, WS_ERR_NOMEM, "out of memory");
    a->r = *r, a->user = user;
    if (r->record && !(a->r.record = a->record = ws_sys_strdup(r->record))) return free(a), ws_fail(ctx, WS_ERR_NOMEM, "out of memory");
    const ws_learner l = ws_learner_custom(name, &ADAPTER, a);
    ws_status st = ws_experiment_add_learner(ctx, e->e, &l);
    if (st) return free(a->record), free(a), (int)st;
    e->remedies[e->nremedies++] = a;
    return WARMSTART_OK;
}

void ws_api_remedies_free(warmstart_experiment *e) {
    for (int i = 0; i < e->nremedies; i++) free(e->remedies[i]->record), free(e->remedies[i]);
    e->nremedies = 0;
}
