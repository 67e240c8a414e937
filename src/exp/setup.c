// The experiment kit (setup.h).
#include "exp/setup.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/version.h"
#include "exp/inside_json.h"
#include "io/json.h"
#include "ops/backend.h"

void ws_setup_defaults(ws_setup *cfg) {
    memset(cfg, 0, sizeof *cfg);
    cfg->protocol = WS_PROTOCOL_DEFAULT;
    cfg->model = WS_MODEL_MLP;
    cfg->nhidden = 2;
    cfg->hidden[0] = cfg->hidden[1] = 100; // the official code's MLP
    cfg->width = 16;                        // the official code's ResNet-18
    cfg->opt = ws_opt_defaults(WS_OPT_ADAM, 1e-3f);
    cfg->batch = 128;
    cfg->threshold = 0.99;
    cfg->max_epochs = WS_AUTO;
    cfg->train_acc = WS_AUTO;
    cfg->norm = WS_AUTO;
    cfg->seeds = 1;
    cfg->seed = 1;
    cfg->eval_batch = 1000;
    cfg->probe = 256;
    cfg->nlearners = ws_learner_default_list(cfg->learners, WS_MAX_LEARNERS);
}

int ws_setup_max_epochs(const ws_setup *s) {
    if (s->max_epochs != WS_AUTO) return s->max_epochs;
    return s->protocol == WS_PROTOCOL_PAPER ? 0 : 200;
}

const char *ws_norm_kind_name(ws_norm_kind k) {
    return k == WS_NORM_HALF ? "half" : k == WS_NORM_POOL ? "pool" : k == WS_NORM_CIFAR ? "cifar" : "?";
}

ws_norm_kind ws_setup_norm_kind(const ws_setup *s) {
    if (s->norm != WS_AUTO) return (ws_norm_kind)s->norm;
    return s->protocol == WS_PROTOCOL_PAPER ? WS_NORM_HALF : WS_NORM_POOL;
}

ws_train_acc_kind ws_setup_train_acc(const ws_setup *s) {
    if (s->train_acc != WS_AUTO) return (ws_train_acc_kind)s->train_acc;
    return s->protocol == WS_PROTOCOL_PAPER ? WS_TRAIN_ACC_OFFICIAL : WS_TRAIN_ACC_EPOCH;
}

ws_status ws_setup_check(ws_ctx *ctx, const ws_setup *s) {
    if (s->max_epochs < 0 && s->max_epochs != WS_AUTO)
        return ws_fail(ctx, WS_ERR_ARG, "max epochs %d: expected >= 0 (0: no cap)", s->max_epochs);
    if (s->epochs < 0 || s->plateau < 0 || s->eval_every < 0)
        return ws_fail(ctx, WS_ERR_ARG, "epochs, plateau and eval-every must be >= 0");
    if (s->epochs > 0 && s->plateau > 0)
        return ws_fail(ctx, WS_ERR_ARG, "--epochs trains exactly N epochs: it takes no --plateau");
    if (s->epochs > 0 && s->max_epochs != WS_AUTO)
        return ws_fail(ctx, WS_ERR_ARG, "--epochs trains exactly N epochs: it takes no --max-epochs");
    if (!(s->confidence_penalty >= 0) || !isfinite(s->confidence_penalty))
        return ws_fail(ctx, WS_ERR_ARG, "--confidence-penalty %g: expected a number >= 0 (0: off)", s->confidence_penalty);
    if (!(s->fgsm_eps >= 0) || !isfinite(s->fgsm_eps))
        return ws_fail(ctx, WS_ERR_ARG, "--fgsm-eps %g: expected a number >= 0 (0: off)", s->fgsm_eps);
    if (s->train_acc != WS_AUTO && s->train_acc != WS_TRAIN_ACC_EPOCH && s->train_acc != WS_TRAIN_ACC_OFFICIAL)
        return ws_fail(ctx, WS_ERR_ARG, "training accuracy kind %d: expected epoch or official", s->train_acc);
    if (s->protocol == WS_PROTOCOL_PAPER && s->val_fraction > 0)
        return ws_fail(ctx, WS_ERR_ARG, "--val-fraction: the paper protocol fixes its split (1/3 to evaluate)");
    if (s->activation < WS_ACT_RELU || s->activation > WS_ACT_CRELU)
        return ws_fail(ctx, WS_ERR_ARG, "activation %d: expected relu, tanh or crelu", (int)s->activation);
    const int hidden_layers = s->model == WS_MODEL_MLP || s->model == WS_MODEL_CNN;
    if (s->activation != WS_ACT_RELU && !hidden_layers)
        return ws_fail(ctx, WS_ERR_ARG, "--activation %s is for --model mlp or cnn (%s %s)",
                       ws_activation_name(s->activation), ws_model_kind_name(s->model),
                       s->model == WS_MODEL_LOGREG ? "has no hidden layer" : "is built with ReLU");
    if (s->activation == WS_ACT_TANH && s->model == WS_MODEL_CNN)
        return ws_fail(ctx, WS_ERR_ARG, "--activation tanh is for --model mlp (cnn is built with ReLU or CReLU)");
    if (s->no_bias && s->model != WS_MODEL_MLP && s->model != WS_MODEL_LOGREG)
        return ws_fail(ctx, WS_ERR_ARG, "--no-bias is for --model mlp or logreg, not %s", ws_model_kind_name(s->model));
    if (s->layer_norm && !hidden_layers)
        return ws_fail(ctx, WS_ERR_ARG, "--layer-norm is for --model mlp or cnn, not %s", ws_model_kind_name(s->model));
    return WS_OK;
}

ws_train_config ws_setup_train_config(const ws_setup *s, int batch, const ws_split *sp) {
    ws_train_config tc = {.batch = batch, .threshold = s->threshold, .max_epochs = ws_setup_max_epochs(s),
                          .epochs = s->epochs, .plateau = s->plateau, .train_acc = ws_setup_train_acc(s),
                          .augment = s->augment, .eval_every = s->eval_every, .eval_batch = s->eval_batch,
                          .confidence_penalty = s->confidence_penalty, .fgsm_eps = s->fgsm_eps};
    if (s->epochs > 0) tc.max_epochs = 0;
    if (sp) tc.eval_d = sp->eval_ds, tc.eval_idx = sp->eval, tc.eval_n = sp->n_eval;
    return tc;
}

void ws_split_free(ws_split *s) {
    ws_free(s->pool);
    ws_free(s->eval);
}

static int32_t *iota(ws_ctx *ctx, int64_t n) {
    int32_t *a = ws_alloc(ctx, sizeof(int32_t) * (size_t)(n > 0 ? n : 1));
    if (a)
        for (int64_t i = 0; i < n; i++) a[i] = (int32_t)i;
    return a;
}

ws_status ws_split_make(ws_ctx *ctx, const ws_setup *cfg, const ws_source *src, uint64_t seed, ws_split *s) {
    memset(s, 0, sizeof *s);
    const ws_dataset *tr = &src->train;
    if (ws_setup_norm_kind(cfg) == WS_NORM_CIFAR && tr->c != 3)
        return ws_fail(ctx, WS_ERR_ARG, "--norm cifar: CIFAR-10's per-channel mean and std are for colour images, not "
                                        "%d-channel ones (%s)", tr->c, src->name);
    int32_t *all = iota(ctx, tr->n);
    if (!all) return ws_nomem(ctx);
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
        if (!s->eval) return ws_split_free(s), ws_nomem(ctx);
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
        if (!s->eval) return ws_split_free(s), ws_nomem(ctx);
        memcpy(s->eval, all + s->n_pool, sizeof(int32_t) * (size_t)s->n_eval);
        s->eval_ds = tr;
    } else {
        s->pool = all;
        s->n_pool = tr->n;
        s->eval = iota(ctx, src->test.n);
        if (!s->eval) return ws_split_free(s), ws_nomem(ctx);
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
    return WS_OK;
}

void ws_setup_norm(const ws_setup *s, const ws_source *src, const ws_split *sp, ws_norm *out) {
    static const float cifar_mean[3] = {0.4914f, 0.4822f, 0.4465f}, cifar_std[3] = {0.2023f, 0.1994f, 0.2010f};
    switch (ws_setup_norm_kind(s)) {
    case WS_NORM_HALF: ws_norm_paper(out, src->train.c); break;
    case WS_NORM_CIFAR: // the authors' earlier code (JordanAsh/warminit); 3 channels (ws_split_make checks)
        ws_norm_paper(out, src->train.c);
        for (int c = 0; c < 3 && c < src->train.c; c++) out->mean[c] = cifar_mean[c], out->std[c] = cifar_std[c];
        break;
    default: ws_norm_from_data(out, &src->train, sp->pool, sp->n_pool); break;
    }
}

ws_model_spec ws_setup_learner_spec(const ws_setup *cfg, const ws_dataset *d, int l) {
    ws_model_spec spec = ws_setup_model_spec(cfg, d);
    ws_learner_model_spec(&cfg->learners[l], &spec);
    return spec;
}

ws_model_spec ws_setup_model_spec(const ws_setup *cfg, const ws_dataset *d) {
    ws_model_spec spec;
    memset(&spec, 0, sizeof spec);
    spec.kind = cfg->model;
    spec.input = (ws_shape){d->c, d->h, d->w};
    spec.num_classes = d->num_classes;
    spec.nhidden = cfg->nhidden;
    memcpy(spec.hidden, cfg->hidden, sizeof spec.hidden);
    spec.width = cfg->width;
    spec.act = cfg->activation;
    spec.no_bias = cfg->no_bias;
    spec.layer_norm = cfg->layer_norm;
    return spec;
}

cJSON *ws_opt_json(const ws_opt_config *o, int batch) {
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

cJSON *ws_setup_json(const ws_setup *cfg, const char *experiment, const ws_source *src, const ws_ctx *ctx,
                     cJSON *after_phase1) {
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "warmstart_version", ws_version());
    cJSON_AddStringToObject(j, "experiment", experiment);
    cJSON *d = cJSON_AddObjectToObject(j, "data");
    cJSON_AddStringToObject(d, "name", src->name);
    cJSON_AddStringToObject(d, "root", src->root);
    cJSON_AddNumberToObject(d, "train_examples", (double)src->train.n);
    cJSON_AddNumberToObject(d, "test_examples", (double)src->test.n);
    int shape[3] = {src->train.c, src->train.h, src->train.w};
    ws_json_put(d, "shape", cJSON_CreateIntArray(shape, 3));
    cJSON_AddNumberToObject(d, "classes", src->train.num_classes);
    cJSON_AddStringToObject(d, "labels", src->labels);
    cJSON *names = cJSON_AddArrayToObject(d, "class_names");
    for (int i = 0; i < src->num_classes && src->class_names; i++)
        ws_json_push(names, cJSON_CreateString(src->class_names[i]));
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
    const ws_norm_kind nk = ws_setup_norm_kind(cfg);
    cJSON_AddStringToObject(j, "normalization",
                            nk == WS_NORM_HALF    ? "(x/255 - 0.5) / 0.5"
                            : nk == WS_NORM_CIFAR ? "(x/255 - mean) / std, CIFAR-10's (0.4914, 0.4822, 0.4465) and "
                                                    "(0.2023, 0.1994, 0.2010), as the authors' earlier code"
                                                  : "(x/255 - mean) / std, per channel, of the training pool");
    cJSON *m = cJSON_AddObjectToObject(j, "model");
    cJSON_AddStringToObject(m, "kind", ws_model_kind_name(cfg->model));
    const int hidden_layers = cfg->model == WS_MODEL_MLP || cfg->model == WS_MODEL_CNN;
    if (hidden_layers) ws_json_put(m, "hidden", cJSON_CreateIntArray(cfg->hidden, cfg->nhidden));
    // Only when not the default (ReLU, biases, no LayerNorm): a results folder of an earlier version resumes.
    if (hidden_layers && cfg->activation != WS_ACT_RELU)
        cJSON_AddStringToObject(m, "activation", ws_activation_name(cfg->activation));
    if (hidden_layers && cfg->layer_norm) cJSON_AddBoolToObject(m, "layer_norm", 1);
    if (cfg->model != WS_MODEL_RESNET18 && cfg->no_bias) cJSON_AddBoolToObject(m, "bias", 0);
    if (cfg->model == WS_MODEL_RESNET18 || cfg->model == WS_MODEL_CNN) cJSON_AddNumberToObject(m, "width", cfg->width);
    char arch[160];
    ws_model_spec spec = ws_setup_model_spec(cfg, &src->train);
    ws_model_describe(&spec, arch, sizeof arch);
    cJSON_AddStringToObject(m, "arch", arch);
    cJSON_AddStringToObject(m, "init", cfg->init_from ? cfg->init_from : "pytorch-default");
    ws_json_put(j, "phase1", ws_opt_json(&cfg->opt, cfg->batch));
    // The scenario's own settings (the two-phase experiment's phase 2), where they have always been.
    while (after_phase1 && after_phase1->child) {
        cJSON *item = cJSON_DetachItemViaPointer(after_phase1, after_phase1->child);
        ws_json_put(j, item->string, item);
    }
    cJSON *ls = cJSON_AddArrayToObject(j, "learners");
    for (int l = 0; l < cfg->nlearners; l++) ws_json_push(ls, ws_learner_json(&cfg->learners[l]));
    cJSON_AddNumberToObject(j, "threshold", cfg->threshold);
    cJSON_AddNumberToObject(j, "max_epochs", cfg->epochs > 0 ? 0 : ws_setup_max_epochs(cfg)); // 0: no cap
    cJSON_AddNumberToObject(j, "epochs", cfg->epochs);         // 0: to the threshold
    cJSON_AddNumberToObject(j, "plateau", cfg->plateau);       // 0: off
    cJSON_AddStringToObject(j, "train_acc", ws_train_acc_kind_name(ws_setup_train_acc(cfg)));
    cJSON_AddNumberToObject(j, "eval_every", cfg->eval_every); // 0: off
    cJSON_AddNumberToObject(j, "probe_examples", cfg->probe);  // measurements inside the network (0: none)
    // The regularisers, only when on: a configuration without them reads as before (a folder
    // written by an older version resumes), and absent means off.
    if (cfg->confidence_penalty > 0) cJSON_AddNumberToObject(j, "confidence_penalty", cfg->confidence_penalty);
    if (cfg->fgsm_eps > 0) cJSON_AddNumberToObject(j, "fgsm_eps", cfg->fgsm_eps);
    cJSON_AddStringToObject(j, "train_accuracy",
                            ws_setup_train_acc(cfg) == WS_TRAIN_ACC_OFFICIAL
                                ? "measured on the fly during each epoch, as run.py's train(): the running "
                                  "correct/total of each 10-batch window summed after every batch"
                                : "measured on the fly during each epoch: hits / examples");
    cJSON_AddNumberToObject(j, "eval_batch", cfg->eval_batch);
    cJSON_AddNumberToObject(j, "seeds", cfg->seeds);
    cJSON_AddNumberToObject(j, "first_seed", (double)cfg->seed);
    cJSON_AddNumberToObject(j, "threads", ctx->threads);
    cJSON_AddStringToObject(j, "backend", ws_backend_of(ctx)->name);
    cJSON_AddStringToObject(j, "conv_algorithm", ctx->conv_algo == WS_CONV_DIRECT ? "direct" : "auto");
    // Recorded when bf16 only: absent means fp32, so a folder written before --precision resumes.
    if (ctx->precision != WS_PREC_FP32) cJSON_AddStringToObject(j, "precision", ws_precision_name(ctx->precision));
    return j;
}

ws_status ws_grad_log_add(ws_grad_log *g, int64_t step, double old_norm, double new_norm) {
    if (g->n == g->cap) {
        int cap = g->cap ? 2 * g->cap : 64;
        int64_t *s = ws_sys_realloc(g->step, sizeof *s * (size_t)cap);
        if (s) g->step = s;
        double *o = ws_sys_realloc(g->old_norm, sizeof *o * (size_t)cap);
        if (o) g->old_norm = o;
        double *w = ws_sys_realloc(g->new_norm, sizeof *w * (size_t)cap);
        if (w) g->new_norm = w;
        if (!s || !o || !w) return WS_ERR_NOMEM; // no context here: the caller says it (ws_nomem)
        g->cap = cap;
    }
    g->step[g->n] = step, g->old_norm[g->n] = old_norm, g->new_norm[g->n] = new_norm;
    g->n++;
    return WS_OK;
}

static void grad_log_free(ws_grad_log *g) {
    free(g->step), free(g->old_norm), free(g->new_norm);
    memset(g, 0, sizeof *g);
}

static void shrink_curve_free(ws_shrink_curve *c) {
    free(c->lambda), free(c->test_acc), free(c->test_loss);
    memset(c, 0, sizeof *c);
}

void ws_run_result_free(ws_run_result *r) {
    ws_train_result_free(&r->train);
    grad_log_free(&r->grads);
    shrink_curve_free(&r->shrink);
    if (r->own_phase1) {
        ws_run_result_free(r->own_phase1);
        free(r->own_phase1);
        r->own_phase1 = NULL;
    }
    free(r->inside);
    r->inside = NULL;
}

void ws_chain_ckpt_begin(ws_ckpt *k, const ws_chain_state *c) {
    ws_ckpt_init(k);
    ws_ckpt_str(k, "kind", c->kind);
    ws_ckpt_str(k, "learner", c->learner);
    ws_ckpt_int(k, "seed", (int64_t)c->seed);
    ws_ckpt_int(k, c->next_key, c->next);
    ws_ckpt_num(k, "cumulative_seconds", *c->cum_seconds);
    ws_ckpt_model(k, "model", c->m);
    ws_ckpt_f32(k, "init", c->init, c->m->nweights);
}

ws_status ws_chain_ckpt_read(ws_ctx *ctx, const ws_st_file *f, const char *path, const ws_chain_state *c, int *next) {
    int64_t seed, n;
    char who[96];
    ws_status st;
    if ((st = ws_ckpt_get_int(ctx, f, path, "seed", &seed)) || (st = ws_ckpt_get_int(ctx, f, path, c->next_key, &n)))
        return st;
    if (!ws_st_meta(f, "learner", who, sizeof who) || strcmp(who, c->learner) || (uint64_t)seed != c->seed || n < 1 ||
        n > c->rounds)
        return ws_fail(ctx, WS_ERR_FORMAT, "%s: a checkpoint of another chain (not seed %llu, %s, %ss 1..%d)", path,
                       (unsigned long long)c->seed, c->learner, !strcmp(c->next_key, "next_task") ? "task" : "round",
                       c->rounds);
    if ((st = ws_ckpt_get_num(ctx, f, path, "cumulative_seconds", c->cum_seconds)) ||
        (st = ws_ckpt_get_model(ctx, f, path, "model", c->m)) ||
        (st = ws_ckpt_get_f32(ctx, f, path, "init", c->init, c->m->nweights)))
        return st;
    *next = (int)n;
    return WS_OK;
}

ws_status ws_probe_make(ws_ctx *ctx, const ws_setup *s, const ws_dataset *d, const ws_norm *norm, const int32_t *idx,
                        int64_t n, uint64_t seed, ws_probe *out) {
    memset(out, 0, sizeof *out);
    const int k = (int)(s->probe < n ? s->probe : n);
    if (k <= 0) return WS_OK;
    int32_t *order = ws_alloc(ctx, sizeof(int32_t) * (size_t)n);
    out->x = ws_alloc(ctx, sizeof(float) * (size_t)k * (size_t)ws_dataset_example_size(d));
    out->y = ws_alloc(ctx, sizeof(int32_t) * (size_t)k);
    if (!order || !out->x || !out->y) {
        ws_free(order);
        ws_probe_free(out);
        return ws_nomem(ctx);
    }
    memcpy(order, idx, sizeof(int32_t) * (size_t)n);
    ws_rng r = ws_rng_stream(seed, "probe", 0);
    ws_rng_shuffle(&r, order, n);
    ws_gather(out->x, out->y, d, norm, order, k);
    out->n = k;
    ws_free(order);
    return WS_OK;
}

void ws_probe_free(ws_probe *p) {
    ws_free(p->x), ws_free(p->y);
    memset(p, 0, sizeof *p);
}

ws_status ws_probe_measure(ws_ctx *ctx, ws_model *m, const float *w0, const ws_probe *p, ws_inside **out) {
    *out = NULL;
    if (!p || p->n <= 0) return WS_OK;
    ws_inside *in = ws_sys_malloc(sizeof *in);
    if (!in) return ws_fail(ctx, WS_ERR_NOMEM, "out of memory for a measurement inside the network");
    ws_status st = ws_inside_measure(ctx, m, w0, p->x, p->y, p->n, NULL, in);
    if (st) free(in);
    else *out = in;
    return st;
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
    cJSON_AddStringToObject(j, "stop", ws_stop_reason_name(r->train.stop));
    if (r->units_replaced) cJSON_AddNumberToObject(j, "units_replaced", (double)r->units_replaced);
    ws_json_put(j, "epoch_log", ws_epoch_log_json(&r->train));
    if (r->grads.n) {
        cJSON *g = cJSON_AddObjectToObject(j, "grad_log");
        cJSON_AddNumberToObject(g, "every", r->grads.every);
        cJSON_AddNumberToObject(g, "examples", (double)r->grads.examples);
        cJSON *steps = cJSON_AddArrayToObject(g, "step");
        for (int i = 0; i < r->grads.n; i++) ws_json_push(steps, cJSON_CreateNumber((double)r->grads.step[i]));
        ws_json_put(g, "old", cJSON_CreateDoubleArray(r->grads.old_norm, r->grads.n));
        ws_json_put(g, "new", cJSON_CreateDoubleArray(r->grads.new_norm, r->grads.n));
    }
    if (r->shrink.n) {
        cJSON *c = cJSON_AddObjectToObject(j, "shrink_eval");
        ws_json_put(c, "lambda", cJSON_CreateDoubleArray(r->shrink.lambda, r->shrink.n));
        ws_json_put(c, "test_acc", cJSON_CreateDoubleArray(r->shrink.test_acc, r->shrink.n));
        ws_json_put(c, "test_loss", cJSON_CreateDoubleArray(r->shrink.test_loss, r->shrink.n));
    }
    if (r->own_phase1) ws_json_put(j, "own_phase1", ws_run_json(r->own_phase1));
    if (r->inside) ws_json_put(j, "inside", ws_inside_to_json(r->inside));
    return j;
}

// n numbers of array `key` of o into a fresh array (NULL: not n numbers, or no memory).
static double *numbers_of(const cJSON *o, const char *key, int n) {
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, key), *x;
    if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) != n) return NULL;
    double *v = ws_sys_malloc(sizeof *v * (size_t)(n ? n : 1));
    int i = 0;
    if (v) cJSON_ArrayForEach(x, a) {
            if (!cJSON_IsNumber(x)) return free(v), NULL;
            v[i++] = x->valuedouble;
        }
    return v;
}

// A record's grad_log and shrink_eval (when present) back into r.
static ws_status extras_from_json(ws_ctx *ctx, const cJSON *j, ws_run_result *r) {
    const cJSON *g = cJSON_GetObjectItemCaseSensitive(j, "grad_log"), *c = cJSON_GetObjectItemCaseSensitive(j, "shrink_eval");
    if (g) {
        const int n = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(g, "step"));
        double *steps = numbers_of(g, "step", n), every, examples;
        r->grads.old_norm = numbers_of(g, "old", n), r->grads.new_norm = numbers_of(g, "new", n);
        r->grads.step = ws_sys_malloc(sizeof(int64_t) * (size_t)(n ? n : 1));
        ws_status st = WS_OK;
        if (!steps || !r->grads.old_norm || !r->grads.new_norm || !r->grads.step)
            st = ws_fail(ctx, WS_ERR_FORMAT, "record field 'grad_log' is not {every, examples, step, old, new} of %d numbers", n);
        else if (!(st = ws_json_number(ctx, g, "every", &every)) && !(st = ws_json_number(ctx, g, "examples", &examples))) {
            for (int i = 0; i < n; i++) r->grads.step[i] = (int64_t)steps[i];
            r->grads.n = r->grads.cap = n, r->grads.every = (int)every, r->grads.examples = (int64_t)examples;
        }
        free(steps);
        if (st) return st;
    }
    if (c) {
        const int n = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(c, "lambda"));
        r->shrink.lambda = numbers_of(c, "lambda", n), r->shrink.test_acc = numbers_of(c, "test_acc", n);
        r->shrink.test_loss = numbers_of(c, "test_loss", n);
        if (!r->shrink.lambda || !r->shrink.test_acc || !r->shrink.test_loss)
            return ws_fail(ctx, WS_ERR_FORMAT, "record field 'shrink_eval' is not {lambda, test_acc, test_loss} of %d numbers", n);
        r->shrink.n = n;
    }
    return WS_OK;
}

cJSON *ws_epoch_log_json(const ws_train_result *t) {
    cJSON *log = cJSON_CreateArray();
    for (int e = 0; e < t->nepochs; e++) {
        const ws_epoch_record *rec = &t->epochs[e];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "epoch", rec->epoch);
        cJSON_AddNumberToObject(o, "loss", rec->loss);
        cJSON_AddNumberToObject(o, "train_acc", rec->train_acc);
        if (rec->hit_rate != rec->train_acc) cJSON_AddNumberToObject(o, "hit_rate", rec->hit_rate);
        cJSON_AddNumberToObject(o, "seconds", rec->seconds);
        if (rec->evaluated) {
            cJSON_AddNumberToObject(o, "test_acc", rec->test_acc);
            cJSON_AddNumberToObject(o, "test_loss", rec->test_loss);
        }
        ws_json_push(log, o);
    }
    return log;
}

ws_stop_reason ws_stop_reason_parse(const char *name, int converged) {
    for (int r = WS_STOP_THRESHOLD; r <= WS_STOP_STEPS; r++)
        if (name && !strcmp(name, ws_stop_reason_name((ws_stop_reason)r))) return (ws_stop_reason)r;
    return converged ? WS_STOP_THRESHOLD : WS_STOP_CAP; // records from before the field
}

ws_status ws_epoch_log_from_json(ws_ctx *ctx, const cJSON *log, int nepochs, ws_train_result *t) {
    if (!cJSON_IsArray(log) || cJSON_GetArraySize(log) != nepochs)
        return ws_fail(ctx, WS_ERR_FORMAT, "record field 'epoch_log' missing or not %d epochs long", nepochs);
    t->epochs = ws_sys_calloc((size_t)(nepochs > 0 ? nepochs : 1), sizeof *t->epochs);
    if (!t->epochs) return ws_nomem(ctx);
    t->nepochs = 0;
    const cJSON *e;
    ws_status st;
    cJSON_ArrayForEach(e, log) {
        ws_epoch_record *rec = &t->epochs[t->nepochs];
        double ep;
        if ((st = ws_json_number(ctx, e, "epoch", &ep)) || (st = ws_json_number(ctx, e, "loss", &rec->loss)) ||
            (st = ws_json_number(ctx, e, "train_acc", &rec->train_acc)) ||
            (st = ws_json_number(ctx, e, "seconds", &rec->seconds)))
            goto bad;
        rec->hit_rate = rec->train_acc;
        if (cJSON_GetObjectItemCaseSensitive(e, "hit_rate") && (st = ws_json_number(ctx, e, "hit_rate", &rec->hit_rate)))
            goto bad;
        if (cJSON_GetObjectItemCaseSensitive(e, "test_acc")) {
            if ((st = ws_json_number(ctx, e, "test_acc", &rec->test_acc)) ||
                (st = ws_json_number(ctx, e, "test_loss", &rec->test_loss)))
                goto bad;
            rec->evaluated = 1;
        }
        rec->epoch = (int)ep;
        t->nepochs++;
    }
    return WS_OK;
bad:
    ws_train_result_free(t);
    return st;
}

cJSON *ws_norm_json(const ws_norm *n) {
    cJSON *j = cJSON_CreateObject();
    ws_json_put(j, "mean", cJSON_CreateFloatArray(n->mean, n->channels));
    ws_json_put(j, "std", cJSON_CreateFloatArray(n->std, n->channels));
    return j;
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
    r->train.stop = ws_stop_reason_parse(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "stop")), conv != 0);
    r->units_replaced = (int64_t)replaced;
    if ((st = ws_epoch_log_from_json(ctx, cJSON_GetObjectItemCaseSensitive(j, "epoch_log"), (int)epochs, &r->train)))
        return st;
    if ((st = extras_from_json(ctx, j, r))) {
        ws_run_result_free(r);
        return st;
    }
    const cJSON *own = cJSON_GetObjectItemCaseSensitive(j, "own_phase1");
    if (own) {
        if (!(r->own_phase1 = ws_sys_calloc(1, sizeof *r->own_phase1))) st = ws_nomem(ctx);
        else st = ws_run_from_json(ctx, own, r->own_phase1);
        if (st) ws_run_result_free(r);
    }
    if (!st && (st = ws_inside_from_json_new(ctx, cJSON_GetObjectItemCaseSensitive(j, "inside"), &r->inside))) {
        ws_fail_prefix(ctx, st, "record field 'inside': ");
        ws_run_result_free(r);
    }
    return st;
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
