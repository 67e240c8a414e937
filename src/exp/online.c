#include "exp/online.h"
#include "exp/scenario.h"
#include "exp/inside_json.h"
#include "io/json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ws_online_config_defaults(ws_online_config *cfg) {
    memset(cfg, 0, sizeof *cfg);
    ws_setup_defaults(&cfg->base);
    cfg->k0 = 1000;
    cfg->k = 1000;
    cfg->grad_examples = 2000;
}

int ws_online_schedule(int64_t n_pool, int64_t k0, int64_t k, int rounds, int64_t *sizes, int cap) {
    if (k0 < 1 || k < 1 || k0 > n_pool) return 0;
    int r = 0;
    for (int64_t seen = k0;; seen += k) {
        if (seen > n_pool) seen = n_pool;
        if (sizes && r < cap) sizes[r] = seen;
        r++;
        if (seen == n_pool || (rounds > 0 && r == rounds)) break;
    }
    return r;
}

ws_status ws_margins(ws_ctx *ctx, ws_model *m, const ws_dataset *d, const ws_norm *norm, const int32_t *idx, int64_t n,
                     int batch, float *out) {
    ws_status st = ws_model_plan_inference(ctx, m, batch);
    if (st) return st;
    const int64_t ex = ws_dataset_example_size(d);
    const int C = m->spec.num_classes;
    float *x = ws_alloc(ctx, sizeof(float) * (size_t)batch * (size_t)ex);
    int32_t *y = ws_alloc(ctx, sizeof(int32_t) * (size_t)batch);
    if (!x || !y) {
        ws_free(x), ws_free(y);
        return ws_nomem(ctx);
    }
    for (int64_t s = 0; s < n && !ctx->fault; s += batch) {
        int b = (int)(n - s < batch ? n - s : batch);
        ws_gather(x, y, d, norm, idx + s, b);
        ws_model_forward(ctx, m, x, b, 0);
        ws_model_loss(ctx, m, y, b, NULL); // fills m->probs; the labels only feed the unused loss
        for (int i = 0; i < b; i++) {
            const float *p = m->probs + (int64_t)i * C;
            float p1 = -1, p2 = -1;
            for (int c = 0; c < C; c++) {
                if (p[c] > p1) p2 = p1, p1 = p[c];
                else if (p[c] > p2) p2 = p[c];
            }
            out[s + i] = p1 - p2;
        }
    }
    ws_free(x), ws_free(y);
    return ctx->fault ? ctx->fault : WS_OK;
}

typedef struct {
    float score;
    int64_t pos;
} scored;

static int by_score(const void *a, const void *b) {
    const scored *x = a, *y = b;
    if (x->score != y->score) return x->score < y->score ? -1 : 1;
    return x->pos < y->pos ? -1 : x->pos > y->pos;
}

void ws_pick_smallest(int32_t *idx, const float *score, int64_t n, int64_t k) {
    if (k <= 0 || n <= 0) return;
    if (k > n) k = n;
    scored *v = ws_sys_malloc(sizeof *v * (size_t)n);
    int32_t *out = ws_sys_malloc(sizeof *out * (size_t)n);
    char *taken = ws_sys_calloc((size_t)n, 1);
    if (!v || !out || !taken) { // out of memory: leave the order as it is (documented fallback)
        free(v), free(out), free(taken);
        return;
    }
    for (int64_t i = 0; i < n; i++) v[i] = (scored){score[i], i};
    qsort(v, (size_t)n, sizeof *v, by_score);
    int64_t w = 0;
    for (int64_t i = 0; i < k; i++) {
        out[w++] = idx[v[i].pos];
        taken[v[i].pos] = 1;
    }
    for (int64_t i = 0; i < n; i++)
        if (!taken[i]) out[w++] = idx[i];
    memcpy(idx, out, sizeof *idx * (size_t)n);
    free(v), free(out), free(taken);
}

void ws_online_round_free(ws_online_round *r) {
    ws_train_result_free(&r->train);
    free(r->inside);
    r->inside = NULL;
}

void ws_online_seed_result_free(ws_online_seed_result *r) {
    if (!r->rounds) return;
    for (int i = 0; i < r->nrounds * r->nlearners; i++) ws_online_round_free(&r->rounds[i]);
    ws_free(r->rounds);
    r->rounds = NULL;
}

// Gradient norms on the old and new examples after a round's first epoch.
typedef struct {
    ws_ctx *ctx;
    const ws_dataset *d;
    const ws_norm *norm;
    const int32_t *pool;
    int64_t old, n_old, n_new;
    int batch;
    float *scratch;
    ws_online_round *rec;
    ws_status st;
} epoch1_probe;

static void after_epoch(void *user, ws_model *m, const ws_epoch_record *e) {
    epoch1_probe *p = user;
    if (e->epoch != 1 || p->st) return;
    p->st = ws_grad_norm(p->ctx, m, p->d, p->norm, p->pool, p->n_old, p->batch, p->scratch, &p->rec->grad_old_epoch1);
    if (!p->st)
        p->st = ws_grad_norm(p->ctx, m, p->d, p->norm, p->pool + p->old, p->n_new, p->batch, p->scratch,
                             &p->rec->grad_new_epoch1);
}

// Every learner trains on the same examples in the same order in a round:
// order stream 100 + round (the batch experiment uses 1 and 2).
#define ORDER_STREAM(round) (100u + (uint64_t)(round))

struct ws_online_chain {
    ws_ctx *ctx;
    const ws_online_config *cfg;
    const ws_source *src;
    const ws_learner *def;
    uint64_t seed;
    ws_split s;
    int nr, next;            // rounds; the next one to run
    int64_t *sizes;          // examples seen at each round
    ws_norm norm;
    ws_model *m;
    ws_learner_state ls;
    float *init;             // the learner's initialisation (random: this round's)
    float *start, *scratch;  // the round's starting weights; gradient scratch
    float *margins;          // active learning
    int32_t *order;          // the learner's pool: its first sizes[next-1] entries are labelled
    double cum;              // training seconds so far
    ws_probe probe;          // measurements inside the network: a seeded sample of the evaluation split
};

void ws_online_chain_close(ws_online_chain *c) {
    if (!c) return;
    ws_model_free(c->m);
    ws_learner_state_free(&c->ls);
    ws_free(c->init), ws_free(c->start), ws_free(c->scratch), ws_free(c->margins), ws_free(c->order);
    ws_free(c->sizes);
    ws_split_free(&c->s);
    ws_probe_free(&c->probe);
    free(c);
}

ws_status ws_online_chain_open(ws_ctx *ctx, const ws_online_config *cfg, const ws_source *src, int seed_index,
                               int learner, ws_online_chain **out) {
    *out = NULL;
    if (learner < 0 || learner >= cfg->base.nlearners) return ws_fail(ctx, WS_ERR_ARG, "online: no learner %d", learner);
    ws_online_chain *c = ws_sys_calloc(1, sizeof *c);
    if (!c) return ws_nomem(ctx);
    c->ctx = ctx, c->cfg = cfg, c->src = src, c->def = &cfg->base.learners[learner];
    c->seed = cfg->base.seed + (uint64_t)seed_index;
    ws_status st = ws_split_make(ctx, &cfg->base, src, c->seed, &c->s);
    if (st) {
        free(c);
        return st;
    }
    // The arrival order: a seeded shuffle of the pool.
    ws_rng ar = ws_rng_stream(c->seed, "arrival", 0);
    ws_rng_shuffle(&ar, c->s.pool, c->s.n_pool);
    c->nr = ws_online_schedule(c->s.n_pool, cfg->k0, cfg->k, cfg->rounds, NULL, 0);
    if (c->nr < 1) {
        st = ws_fail(ctx, WS_ERR_ARG, "online: %lld first examples and %lld per round do not fit a pool of %lld",
                     (long long)cfg->k0, (long long)cfg->k, (long long)c->s.n_pool);
        goto fail;
    }
    if (!(c->sizes = ws_alloc(ctx, sizeof(int64_t) * (size_t)c->nr))) goto nomem;
    ws_online_schedule(c->s.n_pool, cfg->k0, cfg->k, cfg->rounds, c->sizes, c->nr);
    ws_setup_norm(&cfg->base, src, &c->s, &c->norm);
    ws_model_spec spec = ws_setup_learner_spec(&cfg->base, &src->train, learner);
    if ((st = ws_model_create(ctx, &c->m, &spec)) || (st = ws_learner_state_init(ctx, &c->ls, c->def, c->m))) goto fail;
    const size_t nw = sizeof(float) * (size_t)c->m->nweights;
    if (!(c->init = ws_alloc(ctx, nw)) || !(c->start = ws_alloc(ctx, nw)) || !(c->scratch = ws_alloc(ctx, nw)) ||
        !(c->margins = ws_alloc(ctx, sizeof(float) * (size_t)c->s.n_pool)) ||
        !(c->order = ws_alloc(ctx, sizeof(int32_t) * (size_t)c->s.n_pool)))
        goto nomem;
    memcpy(c->order, c->s.pool, sizeof(int32_t) * (size_t)c->s.n_pool);
    if ((st = ws_probe_make(ctx, &cfg->base, c->s.eval_ds, &c->norm, c->s.eval, c->s.n_eval, c->seed, &c->probe)))
        goto fail;
    *out = c;
    return WS_OK;
nomem:
    st = ws_nomem(ctx);
fail:
    ws_online_chain_close(c);
    return st;
}

int ws_online_chain_rounds(const ws_online_chain *c) { return c->nr; }
int ws_online_chain_next(const ws_online_chain *c) { return c->next; }

void ws_online_chain_info(const ws_online_chain *c, ws_online_seed_result *info) {
    memset(info, 0, sizeof *info);
    info->seed = c->seed;
    info->n_pool = c->s.n_pool;
    info->n_eval = c->s.n_eval;
    info->norm = c->norm;
    info->nrounds = c->nr;
    info->num_classes = c->src->train.num_classes;
}

ws_status ws_online_chain_step(ws_online_chain *c, ws_online_round *rec) {
    ws_ctx *ctx = c->ctx;
    const ws_online_config *cfg = c->cfg;
    const ws_dataset *tr = &c->src->train;
    const int r = c->next;
    memset(rec, 0, sizeof *rec);
    if (r >= c->nr) return ws_fail(ctx, WS_ERR_ARG, "online: the chain has run all %d rounds", c->nr);
    const int64_t seen = c->sizes[r], old = r ? c->sizes[r - 1] : 0;
    ws_model *mm = c->m;
    int32_t *pool = c->order;
    ws_status st = WS_OK;
    rec->round = r, rec->n_seen = seen, rec->n_new = seen - old;
    // Active learning: the learner's current model (last round's) picks this
    // round's new examples among the unlabelled ones.
    if (r > 0 && cfg->query == WS_QUERY_MARGIN) {
        if ((st = ws_margins(ctx, mm, tr, &c->norm, pool + old, c->s.n_pool - old, cfg->base.batch, c->margins)))
            goto failed;
        ws_pick_smallest(pool + old, c->margins, c->s.n_pool - old, seen - old);
    }
    for (int64_t q = old; q < seen; q++)
        if (tr->y[pool[q]] < WS_MAX_HIST_CLASSES) rec->new_per_class[tr->y[pool[q]]]++;
    // Round 0: every learner from the same initialisation ("init" 0);
    // afterwards each begins as it declares (random: "init" r).
    if (r == 0) {
        ws_rng ir = ws_rng_stream(c->seed, "init", 0);
        ws_model_init(mm, &ir);
    }
    ws_round_env env = {.seed = c->seed, .round = r, .fresh_stream = (uint64_t)r,
                        .paper = cfg->base.protocol == WS_PROTOCOL_PAPER, .d = tr, .norm = &c->norm, .idx = pool,
                        .n = seen, .batch = cfg->base.batch};
    const int64_t replaced0 = c->ls.replaced; // the units a remedy resets when the round begins count too
    if ((st = ws_learner_begin(&c->ls, mm, &env))) goto failed;
    if (r == 0 || c->def->kind == WS_LEARNER_RANDOM) memcpy(c->init, mm->w, sizeof(float) * (size_t)mm->nweights);
    memcpy(c->start, mm->w, sizeof(float) * (size_t)mm->nweights);
    // Gradient norms at the start of the round, on old and on new examples.
    int64_t cap = cfg->grad_examples > 0 ? cfg->grad_examples : INT64_MAX;
    int64_t n_old = old < cap ? old : cap, n_new = seen - old < cap ? seen - old : cap;
    if ((st = ws_grad_norm(ctx, mm, tr, &c->norm, pool, n_old, cfg->base.batch, c->scratch, &rec->grad_old)) ||
        (st = ws_grad_norm(ctx, mm, tr, &c->norm, pool + old, n_new, cfg->base.batch, c->scratch, &rec->grad_new)))
        goto failed;
    // The optimizer is rebuilt every round (the official code) unless the learner keeps it.
    ws_optim *opt;
    if ((st = ws_learner_optimizer(&c->ls, &cfg->base.opt, &opt))) goto failed;
    epoch1_probe probe = {ctx, tr, &c->norm, pool, old, n_old, n_new, cfg->base.batch, c->scratch, rec, WS_OK};
    ws_train_config tc = ws_setup_train_config(&cfg->base, cfg->base.batch, &c->s);
    tc.after_epoch = after_epoch, tc.after_epoch_user = &probe;
    ws_learner_hooks(&c->ls, &tc);
    st = ws_train_to_threshold(ctx, mm, opt, tr, &c->norm, pool, seen, &tc, c->seed, ORDER_STREAM(r), NULL, NULL,
                               &rec->train);
    if (!st) st = probe.st;
    if (!st) st = ws_learner_end(&c->ls, mm, &env);
    if (st) goto failed;
    rec->units_replaced = c->ls.replaced - replaced0;
    if ((st = ws_evaluate(ctx, ws_learner_eval_model(&c->ls, mm), c->s.eval_ds, &c->norm, c->s.eval, c->s.n_eval, cfg->base.eval_batch, &rec->test_acc,
                          &rec->test_loss)))
        goto failed;
    c->cum += rec->train.seconds;
    rec->cum_seconds = c->cum;
    rec->to_start = ws_similarity_of(mm->w, c->start, mm->nweights);
    rec->to_init = ws_similarity_of(mm->w, c->init, mm->nweights);
    rec->nlayers =
        ws_similarity_per_layer(mm, mm->w, c->start, rec->layer_names, rec->layer_to_start, WS_MAX_LAYER_STATS);
    ws_similarity_per_layer(mm, mm->w, c->init, rec->layer_names, rec->layer_to_init, WS_MAX_LAYER_STATS);
    if ((st = ws_probe_measure(ctx, mm, c->init, &c->probe, &rec->inside))) goto failed;
    c->next++;
    return WS_OK;
failed:
    ws_fail_prefix(ctx, st, "seed %llu, round %d, %s: ", (unsigned long long)c->seed, r, c->def->name);
    return st;
}

// The chain's state after its last round: everything the next round reads.
// What every chain keeps in its checkpoint (setup.h).
static ws_chain_state chain_state(ws_online_chain *c) {
    return (ws_chain_state){"warmstart online chain", c->def->name, "next_round", c->seed, c->next, c->nr, &c->cum,
                            c->m, c->init};
}

ws_status ws_online_chain_save(ws_online_chain *c, const char *path) {
    ws_ckpt k;
    const ws_chain_state cs = chain_state(c);
    ws_chain_ckpt_begin(&k, &cs);
    ws_ckpt_i32(&k, "order", c->order, c->s.n_pool);
    ws_learner_state_save(&c->ls, &k);
    return ws_ckpt_write(c->ctx, &k, path);
}

ws_status ws_online_chain_load(ws_online_chain *c, const char *path) {
    ws_ctx *ctx = c->ctx;
    ws_st_file f;
    ws_status st = ws_st_read(ctx, &f, path);
    if (st) return st;
    const ws_chain_state cs = chain_state(c);
    int next;
    if (!(st = ws_chain_ckpt_read(ctx, &f, path, &cs, &next)) &&
        !(st = ws_ckpt_get_i32(ctx, &f, path, "order", c->order, c->s.n_pool)) &&
        !(st = ws_learner_state_load(&c->ls, &c->cfg->base.opt, &f, path)))
        c->next = next;
    ws_st_close(&f);
    return st;
}

ws_status ws_online_run_seed(ws_ctx *ctx, const ws_online_config *cfg, const ws_source *src, int i,
                             ws_online_round_fn on_round, void *user, ws_online_seed_result *out) {
    memset(out, 0, sizeof *out);
    const int nl = cfg->base.nlearners;
    ws_status st = WS_OK;
    for (int l = 0; l < nl && !st; l++) {
        ws_online_chain *c;
        if ((st = ws_online_chain_open(ctx, cfg, src, i, l, &c))) break;
        if (l == 0) {
            ws_online_chain_info(c, out);
            out->nlearners = nl;
            if (!(out->rounds = ws_alloc(ctx, sizeof *out->rounds * (size_t)(out->nrounds * nl)))) st = ws_nomem(ctx);
        }
        snprintf(out->learner_names[l], sizeof out->learner_names[l], "%s", cfg->base.learners[l].name);
        for (int r = 0; r < out->nrounds && !st; r++) {
            ws_online_round *rec = &out->rounds[l * out->nrounds + r];
            if (!(st = ws_online_chain_step(c, rec)) && on_round) on_round(user, out->seed, cfg->base.learners[l].name, rec);
        }
        ws_online_chain_close(c);
    }
    if (st) ws_online_seed_result_free(out);
    return st;
}

cJSON *ws_online_config_json(const ws_online_config *cfg, const ws_source *src, const ws_ctx *ctx) {
    cJSON *j = ws_setup_json(&cfg->base, cfg->query == WS_QUERY_PASSIVE ? "online" : "active", src, ctx, NULL);
    cJSON *o = cJSON_AddObjectToObject(j, "online");
    cJSON_AddNumberToObject(o, "first_examples", (double)cfg->k0);
    cJSON_AddNumberToObject(o, "examples_per_round", (double)cfg->k);
    cJSON_AddNumberToObject(o, "max_rounds", cfg->rounds);
    cJSON_AddNumberToObject(o, "gradient_norm_examples", (double)cfg->grad_examples);
    cJSON_AddStringToObject(o, "arrival", "seeded shuffle of the training pool (stream 'arrival')");
    cJSON_AddStringToObject(o, "query", cfg->query == WS_QUERY_MARGIN ? "margin: each learner picks the unlabelled "
                                                                        "examples with the smallest top-two softmax gap"
                                        : cfg->query == WS_QUERY_RANDOM ? "random: arrival order, per learner"
                                                                        : "passive: arrival order");
    cJSON_AddStringToObject(o, "optimizer", "rebuilt every round unless a learner keeps it; settings of phase 1 "
                                            "(--opt, --lr, --batch, ...)");
    return j;
}

cJSON *ws_online_round_json(const ws_online_round *x, int num_classes) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "round", x->round);
    cJSON_AddNumberToObject(o, "examples_seen", (double)x->n_seen);
    cJSON_AddNumberToObject(o, "examples_new", (double)x->n_new);
    cJSON_AddNumberToObject(o, "test_acc", x->test_acc);
    cJSON_AddNumberToObject(o, "test_loss", x->test_loss);
    cJSON_AddNumberToObject(o, "train_acc", x->train.train_acc);
    cJSON_AddNumberToObject(o, "epochs", x->train.nepochs);
    cJSON_AddNumberToObject(o, "steps", (double)x->train.steps);
    cJSON_AddNumberToObject(o, "seconds", x->train.seconds);
    cJSON_AddNumberToObject(o, "cumulative_seconds", x->cum_seconds);
    cJSON_AddBoolToObject(o, "converged", x->train.converged);
    cJSON_AddStringToObject(o, "stop", ws_stop_reason_name(x->train.stop));
    cJSON_AddNumberToObject(o, "grad_norm_old", x->grad_old);
    cJSON_AddNumberToObject(o, "grad_norm_new", x->grad_new);
    cJSON_AddNumberToObject(o, "grad_norm_old_after_epoch1", x->grad_old_epoch1);
    cJSON_AddNumberToObject(o, "grad_norm_new_after_epoch1", x->grad_new_epoch1);
    cJSON_AddNumberToObject(o, "units_replaced", (double)x->units_replaced);
    int nc = num_classes < WS_MAX_HIST_CLASSES ? num_classes : WS_MAX_HIST_CLASSES;
    ws_json_put(o, "new_examples_per_class", cJSON_CreateIntArray(x->new_per_class, nc));
    ws_json_put(o, "weights_vs_round_start", ws_similarity_json(&x->to_start));
    ws_json_put(o, "weights_vs_init", ws_similarity_json(&x->to_init));
    cJSON *pl = cJSON_AddObjectToObject(o, "per_layer");
    for (int q = 0; q < x->nlayers; q++) {
        cJSON *e = cJSON_AddObjectToObject(pl, x->layer_names[q]);
        ws_json_put(e, "vs_round_start", ws_similarity_json(&x->layer_to_start[q]));
        ws_json_put(e, "vs_init", ws_similarity_json(&x->layer_to_init[q]));
    }
    ws_json_put(o, "epoch_log", ws_epoch_log_json(&x->train));
    if (x->inside) ws_json_put(o, "inside", ws_inside_to_json(x->inside));
    return o;
}

cJSON *ws_online_seed_json(const ws_online_seed_result *r) {
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "seed", (double)r->seed);
    cJSON_AddNumberToObject(j, "n_pool", (double)r->n_pool);
    cJSON_AddNumberToObject(j, "n_eval", (double)r->n_eval);
    ws_json_put(j, "normalization", ws_norm_json(&r->norm));
    cJSON *ls = cJSON_AddObjectToObject(j, "learners");
    for (int l = 0; l < r->nlearners; l++) {
        cJSON *arr = cJSON_AddArrayToObject(ls, r->learner_names[l]);
        for (int k = 0; k < r->nrounds; k++) {
            ws_json_push(arr, ws_online_round_json(&r->rounds[l * r->nrounds + k], r->num_classes));
        }
    }
    return j;
}

ws_status ws_online_round_from_json(ws_ctx *ctx, const cJSON *o, ws_online_round *x) {
    memset(x, 0, sizeof *x);
    double round, seen, added, epochs, steps, conv, replaced;
    ws_status st;
    if ((st = ws_json_number(ctx, o, "round", &round)) || (st = ws_json_number(ctx, o, "examples_seen", &seen)) ||
        (st = ws_json_number(ctx, o, "examples_new", &added)) || (st = ws_json_number(ctx, o, "test_acc", &x->test_acc)) ||
        (st = ws_json_number(ctx, o, "test_loss", &x->test_loss)) ||
        (st = ws_json_number(ctx, o, "train_acc", &x->train.train_acc)) || (st = ws_json_number(ctx, o, "epochs", &epochs)) ||
        (st = ws_json_number(ctx, o, "steps", &steps)) || (st = ws_json_number(ctx, o, "seconds", &x->train.seconds)) ||
        (st = ws_json_number(ctx, o, "cumulative_seconds", &x->cum_seconds)) ||
        (st = ws_json_number(ctx, o, "converged", &conv)) || (st = ws_json_number(ctx, o, "grad_norm_old", &x->grad_old)) ||
        (st = ws_json_number(ctx, o, "grad_norm_new", &x->grad_new)) ||
        (st = ws_json_number(ctx, o, "grad_norm_old_after_epoch1", &x->grad_old_epoch1)) ||
        (st = ws_json_number(ctx, o, "grad_norm_new_after_epoch1", &x->grad_new_epoch1)) ||
        (st = ws_json_number(ctx, o, "units_replaced", &replaced)))
        return st;
    x->round = (int)round, x->n_seen = (int64_t)seen, x->n_new = (int64_t)added;
    x->train.nepochs = (int)epochs, x->train.steps = (int64_t)steps, x->train.converged = conv != 0;
    x->train.stop = ws_stop_reason_parse(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "stop")), conv != 0);
    // The epoch log (records from before it have none: the count alone).
    const cJSON *log = cJSON_GetObjectItemCaseSensitive(o, "epoch_log");
    if (log && (st = ws_epoch_log_from_json(ctx, log, (int)epochs, &x->train))) return st;
    x->train.nepochs = (int)epochs;
    x->units_replaced = (int64_t)replaced;
    const cJSON *h = cJSON_GetObjectItemCaseSensitive(o, "new_examples_per_class"), *v;
    int c = 0;
    cJSON_ArrayForEach(v, h) if (c < WS_MAX_HIST_CLASSES) x->new_per_class[c++] = v->valueint;
    if (!ws_similarity_from_json(cJSON_GetObjectItemCaseSensitive(o, "weights_vs_round_start"), &x->to_start) ||
        !ws_similarity_from_json(cJSON_GetObjectItemCaseSensitive(o, "weights_vs_init"), &x->to_init))
        return ws_fail(ctx, WS_ERR_FORMAT, "record field 'weights_vs_round_start' or 'weights_vs_init' missing");
    const cJSON *pl = cJSON_GetObjectItemCaseSensitive(o, "per_layer"), *e;
    cJSON_ArrayForEach(e, pl) {
        if (x->nlayers == WS_MAX_LAYER_STATS) break;
        snprintf(x->layer_names[x->nlayers], sizeof x->layer_names[0], "%s", e->string);
        if (!ws_similarity_from_json(cJSON_GetObjectItemCaseSensitive(e, "vs_round_start"), &x->layer_to_start[x->nlayers]) ||
            !ws_similarity_from_json(cJSON_GetObjectItemCaseSensitive(e, "vs_init"), &x->layer_to_init[x->nlayers]))
            return ws_fail(ctx, WS_ERR_FORMAT, "record field 'per_layer.%s' incomplete", e->string);
        x->nlayers++;
    }
    return ws_inside_from_json_new(ctx, cJSON_GetObjectItemCaseSensitive(o, "inside"), &x->inside);
}

// A round's own measures in the results table (ws_stages_read reads the rest).
static ws_status round_measures(ws_ctx *ctx, const cJSON *o, const char *name, ws_run *r) {
    const cJSON *g = cJSON_GetObjectItemCaseSensitive(o, "weights_vs_init");
    r->m[WS_M_EXAMPLES] = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(o, "examples_seen"));
    r->m[WS_M_CUM_SECONDS] = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(o, "cumulative_seconds"));
    r->m[WS_M_GRAD_OLD] = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(o, "grad_norm_old"));
    r->m[WS_M_GRAD_NEW] = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(o, "grad_norm_new"));
    r->m[WS_M_CORR_INIT] = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(g, "pearson"));
    return isfinite(r->m[WS_M_EXAMPLES]) ? WS_OK : ws_fail(ctx, WS_ERR_FORMAT, "%s has no examples_seen", name);
}

// A seed's record back into the results table (the reverse of ws_online_seed_json): each
// learner's rounds, a run per round at the round's index.
ws_status ws_online_read_record(ws_ctx *ctx, const cJSON *rec, int64_t seed, ws_table *t, ws_point *p) {
    return ws_stages_read(ctx, rec, seed, t, p, "round", round_measures);
}
