#include "exp/batch.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/version.h"
#include "io/checkpoint.h"
#include "io/safetensors.h"
#include "ops/backend.h"

void ws_batch_config_defaults(ws_batch_config *cfg) {
    memset(cfg, 0, sizeof *cfg);
    cfg->protocol = WS_PROTOCOL_DEFAULT;
    cfg->model = WS_MODEL_MLP;
    cfg->nhidden = 2;
    cfg->hidden[0] = cfg->hidden[1] = 100; // the official code's MLP
    cfg->width = 16;                        // the official code's ResNet-18
    cfg->opt1 = cfg->opt2 = ws_opt_defaults(WS_OPT_ADAM, 1e-3f);
    cfg->batch1 = cfg->batch2 = 128;
    cfg->threshold = 0.99;
    cfg->max_epochs = 200;
    cfg->first_fraction = 0.5;
    cfg->seeds = 1;
    cfg->seed = 1;
    cfg->eval_batch = 1000;
    cfg->nlearners = ws_learner_default_list(cfg->learners, WS_MAX_LEARNERS);
}

void ws_batch_seed_result_free(ws_batch_seed_result *r) {
    ws_train_result_free(&r->phase1.train);
    for (int l = 0; l < r->nruns; l++) ws_train_result_free(&r->runs[l].train);
    r->nruns = 0;
}

void ws_split_free(ws_split *s) {
    ws_free(s->pool);
    ws_free(s->first);
    ws_free(s->eval);
}

static int32_t *iota(ws_ctx *ctx, int64_t n) {
    int32_t *a = ws_alloc(ctx, sizeof(int32_t) * (size_t)(n > 0 ? n : 1));
    if (a)
        for (int64_t i = 0; i < n; i++) a[i] = (int32_t)i;
    return a;
}

ws_status ws_split_make(ws_ctx *ctx, const ws_batch_config *cfg, const ws_source *src, uint64_t seed, ws_split *s) {
    memset(s, 0, sizeof *s);
    const ws_dataset *tr = &src->train;
    int32_t *all = iota(ctx, tr->n);
    if (!all) return WS_ERR_NOMEM;
    if (cfg->protocol == WS_PROTOCOL_PAPER && cfg->val_fraction > 0)
        return ws_free(all), ws_fail(ctx, WS_ERR_ARG, "--val-fraction: the paper protocol fixes its split (1/3 to evaluate)");
    if (cfg->protocol == WS_PROTOCOL_PAPER) {
        // The official code: a random 2/3 of the official training set to
        // train, the remaining 1/3 to evaluate; the test split is unused.
        ws_rng r = ws_rng_stream(seed, "split", 0);
        ws_rng_shuffle(&r, all, tr->n);
        s->n_pool = tr->n * 2 / 3;
        s->n_eval = tr->n - s->n_pool;
        s->pool = all;
        s->eval = ws_alloc(ctx, sizeof(int32_t) * (size_t)(s->n_eval ? s->n_eval : 1));
        if (!s->eval) return ws_split_free(s), WS_ERR_NOMEM;
        memcpy(s->eval, all + s->n_pool, sizeof(int32_t) * (size_t)s->n_eval);
        s->eval_ds = tr;
    } else if (cfg->val_fraction > 0) {
        // A held-out validation share of the official training set.
        if (cfg->val_fraction >= 1) return ws_free(all), ws_fail(ctx, WS_ERR_ARG, "validation fraction %g must be in (0, 1)", cfg->val_fraction);
        ws_rng r = ws_rng_stream(seed, "split", 1);
        ws_rng_shuffle(&r, all, tr->n);
        s->n_eval = (int64_t)llround(cfg->val_fraction * (double)tr->n);
        s->n_pool = tr->n - s->n_eval;
        if (s->n_eval < 1 || s->n_pool < 1)
            return ws_free(all), ws_fail(ctx, WS_ERR_ARG, "validation fraction %g of %lld examples leaves an empty split",
                                         cfg->val_fraction, (long long)tr->n);
        s->pool = all;
        s->eval = ws_alloc(ctx, sizeof(int32_t) * (size_t)s->n_eval);
        if (!s->eval) return ws_split_free(s), WS_ERR_NOMEM;
        memcpy(s->eval, all + s->n_pool, sizeof(int32_t) * (size_t)s->n_eval);
        s->eval_ds = tr;
    } else {
        s->pool = all;
        s->n_pool = tr->n;
        s->eval = iota(ctx, src->test.n);
        if (!s->eval) return ws_split_free(s), WS_ERR_NOMEM;
        s->n_eval = src->test.n;
        s->eval_ds = &src->test;
    }
    if (cfg->subset > 0 && cfg->subset < s->n_pool) {
        ws_rng r = ws_rng_stream(seed, "subset", 0);
        ws_rng_shuffle(&r, s->pool, s->n_pool);
        s->n_pool = cfg->subset;
    }
    if (cfg->eval_subset > 0 && cfg->eval_subset < s->n_eval) {
        ws_rng r = ws_rng_stream(seed, "subset", 1);
        ws_rng_shuffle(&r, s->eval, s->n_eval);
        s->n_eval = cfg->eval_subset;
    }
    // Phase 1 sees a random `first_fraction` of the pool.
    s->first = ws_alloc(ctx, sizeof(int32_t) * (size_t)(s->n_pool ? s->n_pool : 1));
    if (!s->first) return ws_split_free(s), WS_ERR_NOMEM;
    memcpy(s->first, s->pool, sizeof(int32_t) * (size_t)s->n_pool);
    ws_rng r = ws_rng_stream(seed, "phase1", 0);
    ws_rng_shuffle(&r, s->first, s->n_pool);
    s->n_first = (int64_t)llround(cfg->first_fraction * (double)s->n_pool);
    if (s->n_first < 1 || s->n_first > s->n_pool)
        return ws_split_free(s), ws_fail(ctx, WS_ERR_ARG, "first-phase fraction %g of %lld examples leaves no data",
                                      cfg->first_fraction, (long long)s->n_pool);
    return WS_OK;
}

typedef struct {
    ws_batch_epoch_fn fn;
    void *user;
    uint64_t seed;
    const char *learner;
} epoch_relay;

static void relay(void *u, const ws_epoch_record *rec) {
    epoch_relay *r = u;
    if (r->fn) r->fn(r->user, r->seed, r->learner, rec);
}

// Train `m` with `opt` on idx to the threshold (at most max_epochs, with the
// learner's hooks when given) and evaluate it.
static ws_status train_and_eval(ws_ctx *ctx, const ws_batch_config *cfg, const ws_source *src, const ws_split *s,
                                const ws_norm *norm, ws_model *m, ws_optim *opt, const int32_t *idx, int64_t n,
                                int batch, int max_epochs, ws_learner_state *ls, uint64_t seed, uint64_t order_stream,
                                epoch_relay *rl, ws_run_result *out) {
    ws_train_config tc = {.batch = batch, .threshold = cfg->threshold, .max_epochs = max_epochs,
                          .augment = cfg->augment};
    if (ls) ws_learner_hooks(ls, &tc);
    out->learner = rl->learner;
    ws_status st = ws_train_to_threshold(ctx, m, opt, &src->train, norm, idx, n, &tc, seed, order_stream, relay, rl,
                                         &out->train);
    if (st) return ws_fail_prefix(ctx, st, "seed %llu, %s: ", (unsigned long long)seed, rl->learner);
    return ws_evaluate(ctx, m, s->eval_ds, norm, s->eval, s->n_eval, cfg->eval_batch, &out->test_acc, &out->test_loss);
}

static ws_status save_model(ws_ctx *ctx, const ws_batch_config *cfg, const ws_model *m, uint64_t seed, const char *who) {
    if (!cfg->save_dir) return WS_OK;
    char path[1400], file[80];
    ws_learner_file_name(who, file, sizeof file);
    snprintf(path, sizeof path, "%s/seed%llu-%s.safetensors", cfg->save_dir, (unsigned long long)seed, file);
    return ws_model_save(ctx, m, path);
}

static ws_status prepare(ws_ctx *ctx, const ws_batch_config *cfg, const ws_source *src, uint64_t seed, ws_split *s,
                         ws_batch_seed_result *out, ws_model_spec *spec);

// Phase 2 for learner l: from the phase-1 model `first` (trained by opt1 on
// the first part), begin as the learner declares, train on the whole pool.
static ws_status run_learner(ws_ctx *ctx, const ws_batch_config *cfg, const ws_source *src, const ws_split *s,
                             const ws_batch_seed_result *out, const ws_model *first, const float *first_init,
                             const ws_optim *opt1, ws_model *m, int l, epoch_relay *rl, ws_run_result *run) {
    const ws_learner *def = &cfg->learners[l];
    const uint64_t seed = out->seed;
    ws_learner_state ls;
    ws_status st = ws_learner_state_init(ctx, &ls, def, m);
    if (st) return ws_fail_prefix(ctx, st, "seed %llu: ", (unsigned long long)seed);
    // The learner's life began with phase 1 (L2-init's theta_0 is phase 1's
    // initialisation); phase 1 ends it as a round ends (EWC: anchor, Fisher).
    memcpy(m->w, first_init, sizeof(float) * (size_t)m->nweights);
    ws_learner_start(&ls, m);
    if ((st = ws_model_copy_weights(ctx, m, first))) goto done;
    const int paper = cfg->protocol == WS_PROTOCOL_PAPER;
    ws_round_env phase1 = {.seed = seed, .round = 0, .paper = paper, .d = &src->train, .norm = &out->norm,
                           .idx = s->first, .n = s->n_first, .batch = cfg->batch1};
    if ((st = ws_learner_end(&ls, m, &phase1))) goto done;
    // Phase 2: a fresh initialisation from stream "init" 1 (the random learner's).
    ws_round_env phase2 = {.seed = seed, .round = 1, .fresh_stream = 1, .paper = paper, .d = &src->train,
                           .norm = &out->norm, .idx = s->pool, .n = s->n_pool, .batch = cfg->batch2};
    if ((st = ws_learner_adopt_optimizer(&ls, opt1)) || (st = ws_learner_begin(&ls, m, &phase2))) goto done;
    ws_optim *opt;
    if ((st = ws_learner_optimizer(&ls, &cfg->opt2, &opt))) goto done;
    rl->learner = def->name;
    // Every phase-2 learner uses order stream 2: the same batches in the same order.
    if ((st = train_and_eval(ctx, cfg, src, s, &out->norm, m, opt, s->pool, s->n_pool, cfg->batch2, cfg->max_epochs,
                             &ls, seed, 2, rl, run)))
        goto done;
    run->units_replaced = ls.replaced;
    st = save_model(ctx, cfg, m, seed, def->name);
done:
    if (st && !strstr(ctx->err, def->name)) ws_fail_prefix(ctx, st, "%s: ", def->name);
    ws_learner_state_free(&ls);
    return st;
}

struct ws_batch_seed {
    ws_ctx *ctx;
    const ws_batch_config *cfg;
    const ws_source *src;
    ws_split s;
    ws_batch_seed_result info;  // seed, sizes, normalisation (no runs)
    ws_model *first, *m;        // phase 1's model; the phase-2 learner's
    float *first_init;          // phase 1's initialisation
    ws_optim opt1;
    int phase1_ready;
};

void ws_batch_seed_close(ws_batch_seed *b) {
    if (!b) return;
    ws_optim_free(&b->opt1);
    ws_model_free(b->first);
    ws_model_free(b->m);
    ws_free(b->first_init);
    ws_split_free(&b->s);
    free(b);
}

ws_status ws_batch_seed_open(ws_ctx *ctx, const ws_batch_config *cfg, const ws_source *src, int i, ws_batch_seed **out) {
    *out = NULL;
    ws_batch_seed *b = calloc(1, sizeof *b);
    if (!b) return WS_ERR_NOMEM;
    b->ctx = ctx, b->cfg = cfg, b->src = src;
    ws_model_spec spec;
    ws_status st = prepare(ctx, cfg, src, cfg->seed + (uint64_t)i, &b->s, &b->info, &spec);
    if (st) {
        free(b);
        return st;
    }
    if ((st = ws_model_create(ctx, &b->first, &spec)) || (st = ws_model_create(ctx, &b->m, &spec))) goto fail;
    if (cfg->keep_optim && (cfg->opt2.kind != cfg->opt1.kind || (cfg->opt2.momentum > 0) != (cfg->opt1.momentum > 0))) {
        st = ws_fail(ctx, WS_ERR_ARG, "--keep-optim needs the same optimizer (and momentum on/off) in both phases");
        goto fail;
    }
    if (!(b->first_init = ws_alloc(ctx, sizeof(float) * (size_t)b->first->nweights))) {
        st = WS_ERR_NOMEM;
        goto fail;
    }
    if ((st = ws_optim_create(ctx, &b->opt1, &cfg->opt1, b->first->nweights))) goto fail;
    *out = b;
    return WS_OK;
fail:
    ws_batch_seed_close(b);
    return st;
}

void ws_batch_seed_info(const ws_batch_seed *b, ws_batch_seed_result *info) { *info = b->info; }

ws_status ws_batch_seed_phase1(ws_batch_seed *b, ws_batch_epoch_fn on_epoch, void *user, ws_run_result *out) {
    ws_ctx *ctx = b->ctx;
    const ws_batch_config *cfg = b->cfg;
    const uint64_t seed = b->info.seed;
    epoch_relay rl = {on_epoch, user, seed, "phase1"};
    ws_status st;
    memset(out, 0, sizeof *out);
    // Phase 1: fresh init (stream "init" 0) or the given checkpoint.
    if (cfg->init_from) {
        if ((st = ws_model_load(ctx, b->first, cfg->init_from))) return st;
    } else {
        ws_rng r = ws_rng_stream(seed, "init", 0);
        ws_model_init(b->first, &r);
    }
    memcpy(b->first_init, b->first->w, sizeof(float) * (size_t)b->first->nweights);
    ws_optim_reset(&b->opt1);
    const int e1 = cfg->phase1_epochs > 0 && cfg->phase1_epochs < cfg->max_epochs ? cfg->phase1_epochs : cfg->max_epochs;
    if ((st = train_and_eval(ctx, cfg, b->src, &b->s, &b->info.norm, b->first, &b->opt1, b->s.first, b->s.n_first,
                             cfg->batch1, e1, NULL, seed, 1, &rl, out)))
        return st;
    if ((st = save_model(ctx, cfg, b->first, seed, "phase1"))) return st;
    b->phase1_ready = 1;
    return WS_OK;
}

ws_status ws_batch_seed_save_phase1(ws_batch_seed *b, const char *path) {
    if (!b->phase1_ready) return ws_fail(b->ctx, WS_ERR_ARG, "%s: phase 1 has not run", path);
    ws_ckpt k;
    ws_ckpt_init(&k);
    ws_ckpt_str(&k, "kind", "warmstart batch phase 1");
    ws_ckpt_int(&k, "seed", (int64_t)b->info.seed);
    ws_ckpt_model(&k, "model", b->first);
    ws_ckpt_f32(&k, "init", b->first_init, b->first->nweights);
    ws_ckpt_int(&k, "opt_step", b->opt1.step);
    ws_ckpt_f32(&k, "opt.buf1", b->opt1.buf1, b->opt1.buf1 ? b->first->nweights : 0);
    ws_ckpt_f32(&k, "opt.buf2", b->opt1.buf2, b->opt1.buf2 ? b->first->nweights : 0);
    return ws_ckpt_write(b->ctx, &k, path);
}

ws_status ws_batch_seed_load_phase1(ws_batch_seed *b, const char *path) {
    ws_ctx *ctx = b->ctx;
    ws_st_file f;
    ws_status st = ws_st_read(ctx, &f, path);
    if (st) return st;
    int64_t seed, step;
    const int64_t n = b->first->nweights;
    if ((st = ws_ckpt_get_int(ctx, &f, path, "seed", &seed))) goto done;
    if ((uint64_t)seed != b->info.seed) {
        st = ws_fail(ctx, WS_ERR_FORMAT, "%s: phase 1 of seed %lld, not %llu", path, (long long)seed,
                     (unsigned long long)b->info.seed);
        goto done;
    }
    if ((st = ws_ckpt_get_model(ctx, &f, path, "model", b->first)) ||
        (st = ws_ckpt_get_f32(ctx, &f, path, "init", b->first_init, n)) ||
        (st = ws_ckpt_get_int(ctx, &f, path, "opt_step", &step)) ||
        (st = ws_ckpt_get_f32(ctx, &f, path, "opt.buf1", b->opt1.buf1, b->opt1.buf1 ? n : 0)) ||
        (st = ws_ckpt_get_f32(ctx, &f, path, "opt.buf2", b->opt1.buf2, b->opt1.buf2 ? n : 0)))
        goto done;
    b->opt1.step = step;
    b->phase1_ready = 1;
done:
    ws_st_close(&f);
    return st;
}

ws_status ws_batch_seed_learner(ws_batch_seed *b, int l, ws_batch_epoch_fn on_epoch, void *user, ws_run_result *out) {
    if (!b->phase1_ready) return ws_fail(b->ctx, WS_ERR_ARG, "batch: phase 2 before phase 1");
    if (l < 0 || l >= b->cfg->nlearners) return ws_fail(b->ctx, WS_ERR_ARG, "batch: no learner %d", l);
    epoch_relay rl = {on_epoch, user, b->info.seed, "phase1"};
    memset(out, 0, sizeof *out);
    return run_learner(b->ctx, b->cfg, b->src, &b->s, &b->info, b->first, b->first_init, &b->opt1, b->m, l, &rl, out);
}

ws_status ws_batch_run_seed(ws_ctx *ctx, const ws_batch_config *cfg, const ws_source *src, int i,
                            ws_batch_epoch_fn on_epoch, void *user, ws_batch_seed_result *out) {
    ws_batch_seed *b;
    memset(out, 0, sizeof *out);
    ws_status st = ws_batch_seed_open(ctx, cfg, src, i, &b);
    if (st) return st;
    ws_batch_seed_info(b, out);
    st = ws_batch_seed_phase1(b, on_epoch, user, &out->phase1);
    for (int l = 0; l < cfg->nlearners && !st; l++) {
        st = ws_batch_seed_learner(b, l, on_epoch, user, &out->runs[l]);
        if (!st) out->nruns++;
    }
    ws_batch_seed_close(b);
    if (st) ws_batch_seed_result_free(out);
    return st;
}

ws_model_spec ws_batch_model_spec(const ws_batch_config *cfg, const ws_dataset *d) {
    ws_model_spec spec;
    memset(&spec, 0, sizeof spec);
    spec.kind = cfg->model;
    spec.input = (ws_shape){d->c, d->h, d->w};
    spec.num_classes = d->num_classes;
    spec.nhidden = cfg->nhidden;
    memcpy(spec.hidden, cfg->hidden, sizeof spec.hidden);
    spec.width = cfg->width;
    return spec;
}

// Shared set-up of a seed: split, normalisation and model spec.
static ws_status prepare(ws_ctx *ctx, const ws_batch_config *cfg, const ws_source *src, uint64_t seed, ws_split *s,
                         ws_batch_seed_result *out, ws_model_spec *spec) {
    memset(out, 0, sizeof *out);
    out->seed = seed;
    ws_status st = ws_split_make(ctx, cfg, src, seed, s);
    if (st) return st;
    out->n_pool = s->n_pool;
    out->n_first = s->n_first;
    out->n_eval = s->n_eval;
    if (cfg->protocol == WS_PROTOCOL_PAPER) ws_norm_paper(&out->norm, src->train.c);
    else ws_norm_from_data(&out->norm, &src->train, s->pool, s->n_pool);
    *spec = ws_batch_model_spec(cfg, &src->train);
    return WS_OK;
}

ws_status ws_single_run(ws_ctx *ctx, const ws_batch_config *cfg, const ws_source *src, const char *save_path,
                        ws_batch_epoch_fn on_epoch, void *user, ws_batch_seed_result *out) {
    ws_split s;
    ws_model_spec spec;
    ws_status st = prepare(ctx, cfg, src, cfg->seed, &s, out, &spec);
    if (st) return st;
    ws_model *m = NULL;
    ws_optim opt = {0};
    epoch_relay rl = {on_epoch, user, cfg->seed, "train"};
    if ((st = ws_model_create(ctx, &m, &spec))) goto done;
    if (cfg->init_from) {
        if ((st = ws_model_load(ctx, m, cfg->init_from))) goto done;
    } else {
        ws_rng r = ws_rng_stream(cfg->seed, "init", 0);
        ws_model_init(m, &r);
    }
    if ((st = ws_optim_create(ctx, &opt, &cfg->opt1, m->nweights))) goto done;
    if ((st = train_and_eval(ctx, cfg, src, &s, &out->norm, m, &opt, s.pool, s.n_pool, cfg->batch1, cfg->max_epochs,
                             NULL, cfg->seed, 1, &rl, &out->phase1)))
        goto done;
    if (save_path) st = ws_model_save(ctx, m, save_path);
done:
    ws_optim_free(&opt);
    ws_model_free(m);
    ws_split_free(&s);
    if (st) ws_batch_seed_result_free(out);
    return st;
}

ws_status ws_eval_checkpoint(ws_ctx *ctx, const ws_batch_config *cfg, const ws_source *src, const char *path,
                             ws_batch_seed_result *out) {
    ws_split s;
    ws_model_spec spec;
    ws_status st = prepare(ctx, cfg, src, cfg->seed, &s, out, &spec);
    if (st) return st;
    ws_model *m = NULL;
    out->phase1.learner = "checkpoint";
    if (!(st = ws_model_create(ctx, &m, &spec)) && !(st = ws_model_load(ctx, m, path)))
        st = ws_evaluate(ctx, m, s.eval_ds, &out->norm, s.eval, s.n_eval, cfg->eval_batch, &out->phase1.test_acc,
                         &out->phase1.test_loss);
    ws_model_free(m);
    ws_split_free(&s);
    return st;
}

static cJSON *opt_json(const ws_opt_config *o, int batch) {
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "optimizer", ws_opt_kind_name(o->kind));
    cJSON_AddNumberToObject(j, "lr", o->lr);
    cJSON_AddNumberToObject(j, "batch_size", batch);
    cJSON_AddNumberToObject(j, "weight_decay", o->weight_decay);
    if (o->kind == WS_OPT_SGD) {
        cJSON_AddNumberToObject(j, "momentum", o->momentum);
        cJSON_AddNumberToObject(j, "dampening", o->dampening);
        cJSON_AddBoolToObject(j, "nesterov", o->nesterov);
    } else {
        cJSON_AddNumberToObject(j, "beta1", o->beta1);
        cJSON_AddNumberToObject(j, "beta2", o->beta2);
        cJSON_AddNumberToObject(j, "eps", o->eps);
        cJSON_AddBoolToObject(j, "decoupled_weight_decay", o->decoupled);
    }
    return j;
}

cJSON *ws_batch_config_json(const ws_batch_config *cfg, const ws_source *src, const ws_ctx *ctx) {
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "warmstart_version", ws_version());
    cJSON_AddStringToObject(j, "experiment", "batch");
    cJSON *d = cJSON_AddObjectToObject(j, "data");
    cJSON_AddStringToObject(d, "name", src->name);
    cJSON_AddStringToObject(d, "root", src->root);
    cJSON_AddNumberToObject(d, "train_examples", (double)src->train.n);
    cJSON_AddNumberToObject(d, "test_examples", (double)src->test.n);
    int shape[3] = {src->train.c, src->train.h, src->train.w};
    cJSON_AddItemToObject(d, "shape", cJSON_CreateIntArray(shape, 3));
    cJSON_AddNumberToObject(d, "classes", src->train.num_classes);
    cJSON_AddStringToObject(d, "labels", src->labels);
    cJSON *names = cJSON_AddArrayToObject(d, "class_names");
    for (int i = 0; i < src->num_classes && src->class_names; i++)
        cJSON_AddItemToArray(names, cJSON_CreateString(src->class_names[i]));
    cJSON_AddNumberToObject(d, "subset", (double)cfg->subset);
    cJSON_AddNumberToObject(d, "eval_subset", (double)cfg->eval_subset);
    cJSON_AddStringToObject(j, "protocol", cfg->protocol == WS_PROTOCOL_PAPER ? "paper" : "default");
    char vs[160];
    snprintf(vs, sizeof vs, "random %g of the official training set held out to evaluate, the rest to train",
             cfg->val_fraction);
    cJSON_AddStringToObject(j, "split", cfg->protocol == WS_PROTOCOL_PAPER
                                            ? "random 2/3 of the official training set to train, 1/3 to evaluate"
                                        : cfg->val_fraction > 0 ? vs
                                                                : "official training set to train, official test set to evaluate");
    cJSON *aug = cJSON_AddObjectToObject(j, "augmentation");
    cJSON_AddNumberToObject(aug, "random_crop_padding", cfg->augment.pad);
    cJSON_AddBoolToObject(aug, "horizontal_flip", cfg->augment.flip);
    cJSON_AddStringToObject(j, "normalization", cfg->protocol == WS_PROTOCOL_PAPER
                                                    ? "(x/255 - 0.5) / 0.5"
                                                    : "(x/255 - mean) / std, per channel, of the training pool");
    cJSON *m = cJSON_AddObjectToObject(j, "model");
    cJSON_AddStringToObject(m, "kind", ws_model_kind_name(cfg->model));
    if (cfg->model == WS_MODEL_MLP) cJSON_AddItemToObject(m, "hidden", cJSON_CreateIntArray(cfg->hidden, cfg->nhidden));
    if (cfg->model == WS_MODEL_RESNET18) cJSON_AddNumberToObject(m, "width", cfg->width);
    char arch[160];
    ws_model_spec spec = ws_batch_model_spec(cfg, &src->train);
    ws_model_describe(&spec, arch, sizeof arch);
    cJSON_AddStringToObject(m, "arch", arch);
    cJSON_AddStringToObject(m, "init", cfg->init_from ? cfg->init_from : "pytorch-default");
    cJSON_AddItemToObject(j, "phase1", opt_json(&cfg->opt1, cfg->batch1));
    cJSON_AddItemToObject(j, "phase2", opt_json(&cfg->opt2, cfg->batch2));
    cJSON_AddNumberToObject(j, "first_fraction", cfg->first_fraction);
    cJSON_AddNumberToObject(j, "phase1_epochs", cfg->phase1_epochs);
    cJSON_AddBoolToObject(j, "keep_optimizer_state", cfg->keep_optim);
    cJSON *ls = cJSON_AddArrayToObject(j, "learners");
    for (int l = 0; l < cfg->nlearners; l++) cJSON_AddItemToArray(ls, ws_learner_json(&cfg->learners[l]));
    cJSON_AddNumberToObject(j, "threshold", cfg->threshold);
    cJSON_AddNumberToObject(j, "max_epochs", cfg->max_epochs);
    cJSON_AddStringToObject(j, "train_accuracy", "measured on the fly during each epoch");
    cJSON_AddNumberToObject(j, "eval_batch", cfg->eval_batch);
    cJSON_AddNumberToObject(j, "seeds", cfg->seeds);
    cJSON_AddNumberToObject(j, "first_seed", (double)cfg->seed);
    cJSON_AddNumberToObject(j, "threads", ctx->threads);
    cJSON_AddStringToObject(j, "backend", ws_backend_of(ctx)->name);
    cJSON_AddStringToObject(j, "conv_algorithm", ctx->conv_algo == WS_CONV_DIRECT ? "direct" : "auto");
    return j;
}

void ws_config_drop_two_phase(cJSON *j) {
    const char *keys[] = {"phase2", "first_fraction", "phase1_epochs", "keep_optimizer_state"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) cJSON_DeleteItemFromObject(j, keys[i]);
}

cJSON *ws_run_json(const ws_run_result *r) {
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "test_acc", r->test_acc);
    cJSON_AddNumberToObject(j, "test_loss", r->test_loss);
    cJSON_AddNumberToObject(j, "train_acc", r->train.train_acc);
    cJSON_AddNumberToObject(j, "train_loss", r->train.loss);
    cJSON_AddNumberToObject(j, "epochs", r->train.nepochs);
    cJSON_AddNumberToObject(j, "steps", (double)r->train.steps);
    cJSON_AddNumberToObject(j, "seconds", r->train.seconds);
    cJSON_AddBoolToObject(j, "converged", r->train.converged);
    if (r->units_replaced) cJSON_AddNumberToObject(j, "units_replaced", (double)r->units_replaced);
    cJSON *log = cJSON_AddArrayToObject(j, "epoch_log");
    for (int e = 0; e < r->train.nepochs; e++) {
        const ws_epoch_record *rec = &r->train.epochs[e];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "epoch", rec->epoch);
        cJSON_AddNumberToObject(o, "loss", rec->loss);
        cJSON_AddNumberToObject(o, "train_acc", rec->train_acc);
        cJSON_AddNumberToObject(o, "seconds", rec->seconds);
        cJSON_AddItemToArray(log, o);
    }
    return j;
}

cJSON *ws_norm_json(const ws_norm *n) {
    cJSON *j = cJSON_CreateObject();
    cJSON_AddItemToObject(j, "mean", cJSON_CreateFloatArray(n->mean, n->channels));
    cJSON_AddItemToObject(j, "std", cJSON_CreateFloatArray(n->std, n->channels));
    return j;
}

cJSON *ws_batch_seed_json(const ws_batch_seed_result *r) {
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "seed", (double)r->seed);
    cJSON_AddNumberToObject(j, "n_pool", (double)r->n_pool);
    cJSON_AddNumberToObject(j, "n_first", (double)r->n_first);
    cJSON_AddNumberToObject(j, "n_eval", (double)r->n_eval);
    cJSON_AddItemToObject(j, "normalization", ws_norm_json(&r->norm));
    cJSON *runs = cJSON_AddObjectToObject(j, "runs");
    cJSON_AddItemToObject(runs, "phase1", ws_run_json(&r->phase1));
    for (int l = 0; l < r->nruns; l++) cJSON_AddItemToObject(runs, r->runs[l].learner, ws_run_json(&r->runs[l]));
    return j;
}

ws_status ws_json_number(ws_ctx *ctx, const cJSON *j, const char *key, double *out) {
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(j, key);
    if (cJSON_IsBool(x)) {
        *out = cJSON_IsTrue(x);
        return WS_OK;
    }
    if (!cJSON_IsNumber(x)) return ws_fail(ctx, WS_ERR_FORMAT, "record field '%s' missing or not a number", key);
    *out = x->valuedouble;
    return WS_OK;
}

ws_status ws_run_from_json(ws_ctx *ctx, const cJSON *j, ws_run_result *r) {
    memset(r, 0, sizeof *r);
    double epochs, steps, conv, replaced = 0;
    ws_status st;
    if ((st = ws_json_number(ctx, j, "test_acc", &r->test_acc)) || (st = ws_json_number(ctx, j, "test_loss", &r->test_loss)) ||
        (st = ws_json_number(ctx, j, "train_acc", &r->train.train_acc)) ||
        (st = ws_json_number(ctx, j, "train_loss", &r->train.loss)) || (st = ws_json_number(ctx, j, "epochs", &epochs)) ||
        (st = ws_json_number(ctx, j, "steps", &steps)) || (st = ws_json_number(ctx, j, "seconds", &r->train.seconds)) ||
        (st = ws_json_number(ctx, j, "converged", &conv)))
        return st;
    if (cJSON_GetObjectItemCaseSensitive(j, "units_replaced") && (st = ws_json_number(ctx, j, "units_replaced", &replaced)))
        return st;
    r->train.steps = (int64_t)steps;
    r->train.converged = conv != 0;
    r->units_replaced = (int64_t)replaced;
    const cJSON *log = cJSON_GetObjectItemCaseSensitive(j, "epoch_log");
    if (!cJSON_IsArray(log) || cJSON_GetArraySize(log) != (int)epochs)
        return ws_fail(ctx, WS_ERR_FORMAT, "record field 'epoch_log' missing or not %d epochs long", (int)epochs);
    r->train.epochs = calloc((size_t)(epochs > 0 ? epochs : 1), sizeof *r->train.epochs);
    if (!r->train.epochs) return WS_ERR_NOMEM;
    const cJSON *e;
    cJSON_ArrayForEach(e, log) {
        ws_epoch_record *rec = &r->train.epochs[r->train.nepochs];
        double ep;
        if ((st = ws_json_number(ctx, e, "epoch", &ep)) || (st = ws_json_number(ctx, e, "loss", &rec->loss)) ||
            (st = ws_json_number(ctx, e, "train_acc", &rec->train_acc)) ||
            (st = ws_json_number(ctx, e, "seconds", &rec->seconds))) {
            ws_train_result_free(&r->train);
            return st;
        }
        rec->epoch = (int)ep;
        r->train.nepochs++;
    }
    return WS_OK;
}

ws_status ws_norm_from_json(ws_ctx *ctx, const cJSON *j, ws_norm *n) {
    memset(n, 0, sizeof *n);
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(j, "mean"), *s = cJSON_GetObjectItemCaseSensitive(j, "std");
    int c = cJSON_GetArraySize(m);
    if (!cJSON_IsArray(m) || !cJSON_IsArray(s) || c < 1 || c > WS_MAX_CHANNELS || cJSON_GetArraySize(s) != c)
        return ws_fail(ctx, WS_ERR_FORMAT, "record field 'normalization' is not {mean: [..], std: [..]}");
    n->channels = c;
    for (int i = 0; i < c; i++) {
        n->mean[i] = (float)cJSON_GetArrayItem(m, i)->valuedouble;
        n->std[i] = (float)cJSON_GetArrayItem(s, i)->valuedouble;
    }
    return WS_OK;
}
