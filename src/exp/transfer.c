#include "exp/transfer.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exp/scenario.h"
#include "io/checkpoint.h"
#include "io/json.h"

void ws_transfer_config_defaults(ws_transfer_config *cfg) {
    memset(cfg, 0, sizeof *cfg);
    ws_setup_defaults(&cfg->base);
    const double f[6] = {0.01, 0.05, 0.10, 0.25, 0.50, 1.0};
    cfg->nfractions = 6;
    memcpy(cfg->fractions, f, sizeof f);
    cfg->pretrain_fraction = 1;
}

void ws_transfer_seed_result_free(ws_transfer_seed_result *r) {
    ws_run_result_free(&r->pretrain);
    for (int i = 0; i < r->npoints; i++)
        for (int l = 0; l < r->points[i].nlearners; l++) ws_run_result_free(&r->points[i].runs[l]);
    r->npoints = 0;
}

// Train m with opt (and a learner's hooks) on idx[0..n) of the split's dataset to the threshold,
// evaluate it, and measure it inside on the probe (its distance from w0).
static ws_status fit(ws_ctx *ctx, const ws_transfer_config *cfg, const ws_source *src, const ws_split *s,
                     const ws_norm *norm, ws_model *m, ws_optim *opt, ws_learner_state *ls, const int32_t *idx,
                     int64_t n, uint64_t seed, uint64_t order_stream, const char *who, const ws_probe *probe,
                     const float *w0, ws_run_result *out) {
    ws_train_config tc = ws_setup_train_config(&cfg->base, cfg->base.batch, s);
    if (ls) ws_learner_hooks(ls, &tc);
    out->learner = who;
    ws_status st =
        ws_train_to_threshold(ctx, m, opt, &src->train, norm, idx, n, &tc, seed, order_stream, NULL, NULL, &out->train);
    if (st) return ws_fail_prefix(ctx, st, "seed %llu, %s: ", (unsigned long long)seed, who);
    st = ws_evaluate(ctx, ls ? ws_learner_eval_model(ls, m) : m, s->eval_ds, norm, s->eval, s->n_eval, cfg->base.eval_batch,
                     &out->test_acc,
                     &out->test_loss);
    return st ? st : ws_probe_measure(ctx, m, w0, probe, &out->inside);
}

// One learner at one share of B: from A's model (its body, and a fresh head
// from stream "init" 100 + k unless keep_head), begun as the learner declares
// -- random takes the fresh model whole -- then trained on the share.
// The initialisation a learner's network on B was drawn with (its distance is from it): A's
// initialisation for the body (a_init) and the share's fresh head; random's whole fresh model.
static ws_status drawn_init(ws_ctx *ctx, const ws_model *m, const float *a_init, int64_t body, int fresh, float **out) {
    if (!(*out = ws_alloc(ctx, sizeof(float) * (size_t)m->nweights))) return ws_nomem(ctx);
    memcpy(*out, m->w, sizeof(float) * (size_t)m->nweights);
    if (!fresh) memcpy(*out, a_init, sizeof(float) * (size_t)body);
    return WS_OK;
}

static ws_status run_point(ws_ctx *ctx, const ws_transfer_config *cfg, const ws_source *a, const ws_source *b,
                           const ws_split *sa, const ws_split *sb, const ws_norm *na, const ws_norm *nb,
                           const ws_model *pre, const float *a_init, const ws_probe *probe, ws_model *m, int k, int l,
                           uint64_t seed, ws_transfer_point *pt) {
    const ws_learner *def = &cfg->base.learners[l];
    int64_t hoff, hlen, poff, plen;
    ws_model_head_range(m, &hoff, &hlen);
    ws_model_head_range(pre, &poff, &plen);
    ws_rng hr = ws_rng_stream(seed, "init", 100 + (uint64_t)k);
    ws_model_init(m, &hr);
    float *w0 = NULL;
    ws_status st = drawn_init(ctx, m, a_init, poff, def->kind == WS_LEARNER_RANDOM, &w0);
    if (st) return st;
    memcpy(m->w, pre->w, sizeof(float) * (size_t)poff); // the body: the same layout in both models
    memcpy(m->buf, pre->buf, sizeof(float) * (size_t)m->nbuf);
    memcpy(m->ibuf, pre->ibuf, sizeof(int64_t) * (size_t)m->nibuf);
    if (cfg->keep_head) memcpy(m->w + hoff, pre->w + poff, sizeof(float) * (size_t)hlen);
    ws_learner_state ls;
    if ((st = ws_learner_state_init(ctx, &ls, def, m))) {
        ws_free(w0);
        return st;
    }
    const int paper = cfg->base.protocol == WS_PROTOCOL_PAPER;
    // Pretraining on A was the learner's round 0 (EWC: anchor and Fisher on A,
    // for the body -- and the head if kept).
    ws_round_env on_a = {.seed = seed, .round = 0, .paper = paper, .d = &a->train, .norm = na, .idx = sa->pool,
                         .n = sa->n_pool, .batch = cfg->base.batch, .anchor_len = cfg->keep_head ? 0 : poff};
    ws_round_env on_b = {.seed = seed, .round = 1, .fresh_stream = 100 + (uint64_t)k, .paper = paper, .d = &b->train,
                         .norm = nb, .idx = sb->pool, .n = pt->n_train, .batch = cfg->base.batch};
    ws_optim *opt;
    if (def->kind == WS_LEARNER_EWC) st = ws_learner_end(&ls, (ws_model *)pre, &on_a);
    if (!st) st = ws_learner_begin(&ls, m, &on_b);
    if (!st) st = ws_learner_optimizer(&ls, &cfg->base.opt, &opt);
    // the same batches for every learner: order stream 200 + k
    if (!st)
        st = fit(ctx, cfg, b, sb, nb, m, opt, &ls, sb->pool, pt->n_train, seed, 200 + (uint64_t)k, def->name, probe,
                 w0, &pt->runs[l]);
    if (!st) pt->runs[l].units_replaced = ls.replaced;
    if (!st && def->kind == WS_LEARNER_WARM) pt->warm_to_pretrained = ws_similarity_of(m->w, pre->w, poff);
    ws_learner_state_free(&ls);
    ws_free(w0);
    return st;
}

struct ws_transfer_seed {
    ws_ctx *ctx;
    const ws_transfer_config *cfg;
    const ws_source *a, *b;
    uint64_t seed;
    ws_split sa, sb;            // sb.pool in the seeded order whose first p % is share p
    ws_norm na, nb;             // each dataset normalised with its own statistics
    ws_model *pre, *m;          // A's model; the learner's on B
    float *a_init;              // A's model as initialised (stream "init" 0): the distance's origin
    ws_probe probe_a, probe_b;  // measurements inside the network: seeded samples of A's and B's evaluation splits
    int pretrained;
};

void ws_transfer_seed_close(ws_transfer_seed *t) {
    if (!t) return;
    ws_model_free(t->pre);
    ws_model_free(t->m);
    ws_free(t->a_init);
    ws_probe_free(&t->probe_a);
    ws_probe_free(&t->probe_b);
    ws_split_free(&t->sa);
    ws_split_free(&t->sb);
    free(t);
}

ws_status ws_transfer_seed_open(ws_ctx *ctx, const ws_transfer_config *cfg, const ws_source *a, const ws_source *b,
                                int i, ws_transfer_seed **out) {
    *out = NULL;
    if (a->train.c != b->train.c || a->train.h != b->train.h || a->train.w != b->train.w)
        return ws_fail(ctx, WS_ERR_ARG, "transfer: %s images are %dx%dx%d but %s's are %dx%dx%d", a->name, a->train.c,
                       a->train.h, a->train.w, b->name, b->train.c, b->train.h, b->train.w);
    if (cfg->keep_head && a->num_classes != b->num_classes)
        return ws_fail(ctx, WS_ERR_ARG, "--keep-head: %s has %d classes, %s %d", a->name, a->num_classes, b->name,
                       b->num_classes);
    ws_transfer_seed *t = ws_sys_calloc(1, sizeof *t);
    if (!t) return ws_nomem(ctx);
    t->ctx = ctx, t->cfg = cfg, t->a = a, t->b = b;
    t->seed = cfg->base.seed + (uint64_t)i;
    ws_status st;
    if ((st = ws_split_make(ctx, &cfg->base, a, t->seed, &t->sa)) || (st = ws_split_make(ctx, &cfg->base, b, t->seed, &t->sb)))
        goto fail;
    ws_setup_norm(&cfg->base, a, &t->sa, &t->na);
    ws_setup_norm(&cfg->base, b, &t->sb, &t->nb);
    ws_model_spec spa = ws_setup_model_spec(&cfg->base, &a->train), spb = ws_setup_model_spec(&cfg->base, &b->train);
    if ((st = ws_model_create(ctx, &t->pre, &spa)) || (st = ws_model_create(ctx, &t->m, &spb))) goto fail;
    // Pretraining on a share of A: the first share of a seeded order of A's pool.
    if (cfg->pretrain_fraction > 0 && cfg->pretrain_fraction < 1) {
        ws_rng pr = ws_rng_stream(t->seed, "transfer", 1);
        ws_rng_shuffle(&pr, t->sa.pool, t->sa.n_pool);
        int64_t n = (int64_t)llround(cfg->pretrain_fraction * (double)t->sa.n_pool);
        t->sa.n_pool = n < 1 ? 1 : n;
    }
    // B's pool in a seeded order: p % is its first p % (the shares are nested).
    ws_rng br = ws_rng_stream(t->seed, "transfer", 0);
    ws_rng_shuffle(&br, t->sb.pool, t->sb.n_pool);
    // A's initialisation, drawn again into t->pre and kept (pretraining draws the same).
    ws_rng ir = ws_rng_stream(t->seed, "init", 0);
    ws_model_init(t->pre, &ir);
    if (!(t->a_init = ws_alloc(ctx, sizeof(float) * (size_t)t->pre->nweights))) {
        st = ws_nomem(ctx);
        goto fail;
    }
    memcpy(t->a_init, t->pre->w, sizeof(float) * (size_t)t->pre->nweights);
    if ((st = ws_probe_make(ctx, &cfg->base, t->sa.eval_ds, &t->na, t->sa.eval, t->sa.n_eval, t->seed, &t->probe_a)) ||
        (st = ws_probe_make(ctx, &cfg->base, t->sb.eval_ds, &t->nb, t->sb.eval, t->sb.n_eval, t->seed, &t->probe_b)))
        goto fail;
    *out = t;
    return WS_OK;
fail:
    ws_transfer_seed_close(t);
    return st;
}

uint64_t ws_transfer_seed_value(const ws_transfer_seed *t) { return t->seed; }

ws_status ws_transfer_seed_pretrain(ws_transfer_seed *t, ws_run_result *out) {
    memset(out, 0, sizeof *out);
    ws_rng r = ws_rng_stream(t->seed, "init", 0);
    ws_model_init(t->pre, &r);
    ws_optim opt = {0};
    ws_status st = ws_optim_create(t->ctx, &opt, &t->cfg->base.opt, t->pre->nweights);
    if (!st)
        st = fit(t->ctx, t->cfg, t->a, &t->sa, &t->na, t->pre, &opt, NULL, t->sa.pool, t->sa.n_pool, t->seed, 1,
                 "pretrain", &t->probe_a, t->a_init, out);
    ws_optim_free(&opt);
    if (!st) t->pretrained = 1;
    return st;
}

ws_status ws_transfer_seed_save_pretrained(ws_transfer_seed *t, const char *path) {
    if (!t->pretrained) return ws_fail(t->ctx, WS_ERR_ARG, "%s: pretraining has not run", path);
    ws_ckpt k;
    ws_ckpt_init(&k);
    ws_ckpt_str(&k, "kind", "warmstart transfer pretrained model");
    ws_ckpt_int(&k, "seed", (int64_t)t->seed);
    ws_ckpt_model(&k, "model", t->pre);
    return ws_ckpt_write(t->ctx, &k, path);
}

ws_status ws_transfer_seed_load_pretrained(ws_transfer_seed *t, const char *path) {
    ws_st_file f;
    ws_status st = ws_st_read(t->ctx, &f, path);
    if (st) return st;
    int64_t seed;
    if (!(st = ws_ckpt_get_int(t->ctx, &f, path, "seed", &seed)) && (uint64_t)seed != t->seed)
        st = ws_fail(t->ctx, WS_ERR_FORMAT, "%s: pretrained for seed %lld, not %llu", path, (long long)seed,
                     (unsigned long long)t->seed);
    if (!st) st = ws_ckpt_get_model(t->ctx, &f, path, "model", t->pre);
    if (!st) t->pretrained = 1;
    ws_st_close(&f);
    return st;
}

ws_status ws_transfer_seed_point(ws_transfer_seed *t, int k, int l, ws_transfer_point *pt) {
    if (!t->pretrained) return ws_fail(t->ctx, WS_ERR_ARG, "transfer: a share of B before pretraining on A");
    if (k < 0 || k >= t->cfg->nfractions || l < 0 || l >= t->cfg->base.nlearners)
        return ws_fail(t->ctx, WS_ERR_ARG, "transfer: no share %d / learner %d", k, l);
    pt->fraction = t->cfg->fractions[k];
    pt->n_train = (int64_t)llround(t->cfg->fractions[k] * (double)t->sb.n_pool);
    if (pt->n_train < 1) pt->n_train = 1;
    return run_point(t->ctx, t->cfg, t->a, t->b, &t->sa, &t->sb, &t->na, &t->nb, t->pre, t->a_init, &t->probe_b, t->m, k,
                     l, t->seed, pt);
}

ws_status ws_transfer_run_seed(ws_ctx *ctx, const ws_transfer_config *cfg, const ws_source *a, const ws_source *b,
                               int i, ws_transfer_seed_result *out) {
    memset(out, 0, sizeof *out);
    ws_transfer_seed *t;
    ws_status st = ws_transfer_seed_open(ctx, cfg, a, b, i, &t);
    if (st) return st;
    out->seed = t->seed;
    st = ws_transfer_seed_pretrain(t, &out->pretrain);
    for (int k = 0; k < cfg->nfractions && !st; k++) {
        ws_transfer_point *pt = &out->points[out->npoints++];
        for (int l = 0; l < cfg->base.nlearners && !st; l++)
            if (!(st = ws_transfer_seed_point(t, k, l, pt))) pt->nlearners = l + 1;
    }
    ws_transfer_seed_close(t);
    if (st) ws_transfer_seed_result_free(out);
    return st;
}

cJSON *ws_transfer_config_json(const ws_transfer_config *cfg, const ws_source *a, const ws_source *b, const ws_ctx *ctx) {
    cJSON *j = ws_setup_json(&cfg->base, "transfer", b, ctx, NULL);
    cJSON *t = cJSON_AddObjectToObject(j, "transfer");
    cJSON_AddStringToObject(t, "pretrain_data", a->name);
    cJSON_AddNumberToObject(t, "pretrain_train_examples", (double)a->train.n);
    cJSON_AddNumberToObject(t, "pretrain_classes", a->num_classes);
    ws_json_put(t, "fractions", cJSON_CreateDoubleArray(cfg->fractions, cfg->nfractions));
    cJSON_AddBoolToObject(t, "keep_head", cfg->keep_head);
    cJSON_AddNumberToObject(t, "pretrain_fraction", cfg->pretrain_fraction);
    cJSON_AddStringToObject(t, "warm", cfg->keep_head ? "A's model, head included" : "A's model with a fresh head");
    return j;
}

cJSON *ws_transfer_seed_json(const ws_transfer_seed_result *r) {
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "seed", (double)r->seed);
    ws_json_put(j, "pretrain", ws_run_json(&r->pretrain));
    cJSON *pts = cJSON_AddArrayToObject(j, "points");
    for (int k = 0; k < r->npoints; k++) {
        const ws_transfer_point *p = &r->points[k];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "fraction", p->fraction);
        cJSON_AddNumberToObject(o, "train_examples", (double)p->n_train);
        for (int l = 0; l < p->nlearners; l++) ws_json_put(o, p->runs[l].learner, ws_run_json(&p->runs[l]));
        ws_json_put(o, "warm_body_vs_pretrained", ws_similarity_json(&p->warm_to_pretrained));
        ws_json_push(pts, o);
    }
    return j;
}

// A seed's record back into the results table (the reverse of ws_transfer_seed_json): the
// pretraining at stage 0, then each share's runs at the share's index.
ws_status ws_transfer_read_record(ws_ctx *ctx, const cJSON *rec, int64_t seed, ws_table *t, ws_point *p) {
    const cJSON *points = cJSON_GetObjectItemCaseSensitive(rec, "points"), *pre = cJSON_GetObjectItemCaseSensitive(rec, "pretrain");
    if (!cJSON_IsArray(points) || !points->child) return ws_fail(ctx, WS_ERR_FORMAT, "no \"points\" list (not a transfer result)");
    ws_status st = WS_OK;
    if (cJSON_IsObject(pre)) {
        const int l = ws_table_learner_add(t, "pretrain");
        ws_run *r = l < 0 ? NULL : ws_point_add_run(p, l, seed, 0);
        st = r ? ws_run_read_json(ctx, pre, "pretrain", r) : ws_fail(ctx, WS_ERR_NOMEM, "out of memory for the results table");
    }
    int k = 0;
    for (const cJSON *pt = points->child; pt && !st; pt = pt->next, k++) {
        const cJSON *fraction = cJSON_GetObjectItemCaseSensitive(pt, "fraction"), *x;
        if (!cJSON_IsNumber(fraction)) return ws_fail(ctx, WS_ERR_FORMAT, "points[%d] has no fraction", k);
        const cJSON *examples = cJSON_GetObjectItemCaseSensitive(pt, "train_examples");
        int runs = 0;
        cJSON_ArrayForEach(x, pt) {
            // A learner's run is an object with test_acc (warm_body_vs_pretrained is not one).
            if (st || !cJSON_IsObject(x) || !cJSON_GetObjectItemCaseSensitive(x, "test_acc")) continue;
            const int l = ws_table_learner_add(t, x->string);
            ws_run *r = l < 0 ? NULL : ws_point_add_run(p, l, seed, k);
            char name[96];
            snprintf(name, sizeof name, "points[%d].%s", k, x->string);
            st = r ? ws_run_read_json(ctx, x, name, r) : ws_fail(ctx, WS_ERR_NOMEM, "too many learners or out of memory");
            if (!st) r->m[WS_M_FRACTION] = fraction->valuedouble, r->m[WS_M_EXAMPLES] = cJSON_GetNumberValue(examples), runs++;
        }
        if (!st && !runs) return ws_fail(ctx, WS_ERR_FORMAT, "points[%d] has no learner's run (an object with test_acc)", k);
    }
    return st;
}
