#include "exp/batch.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/version.h"
#include "exp/metrics.h"
#include "exp/scenario.h"
#include "io/checkpoint.h"
#include "io/safetensors.h"
#include "ops/backend.h"
#include "io/json.h"

void ws_batch_config_defaults(ws_batch_config *cfg) {
    memset(cfg, 0, sizeof *cfg);
    ws_setup_defaults(&cfg->base);
    cfg->opt2 = cfg->base.opt;
    cfg->batch2 = cfg->base.batch;
    cfg->first_fraction = 0.5;
    cfg->grad_examples = 2000;
}

void ws_batch_seed_result_free(ws_batch_seed_result *r) {
    ws_run_result_free(&r->phase1);
    for (int l = 0; l < r->nruns; l++) ws_run_result_free(&r->runs[l]);
    r->nruns = 0;
}

typedef struct {
    ws_run_epoch_fn fn;
    void *user;
    uint64_t seed;
    const char *learner;
} epoch_relay;

static void relay(void *u, const ws_epoch_record *rec) {
    epoch_relay *r = u;
    if (r->fn) r->fn(r->user, r->seed, r->learner, rec);
}

// Phase 2's gradient norms (grad_every): on the first grad_examples of phase 1's examples
// (old) and of the rest of the pool (new), in the seed's shuffled order, in batches of phase 2's size.
typedef struct {
    ws_ctx *ctx;
    const ws_dataset *d;
    const ws_norm *norm;
    const int32_t *old_idx, *new_idx;
    int64_t n_old, n_new;
    int batch;
    float *scratch;
    ws_grad_log *log;
} grad_probe;

static ws_status probe_grads(void *user, ws_model *m, int64_t step) {
    grad_probe *p = user;
    double go, gn;
    ws_status st;
    if ((st = ws_grad_norm(p->ctx, m, p->d, p->norm, p->old_idx, p->n_old, p->batch, p->scratch, &go)) ||
        (st = ws_grad_norm(p->ctx, m, p->d, p->norm, p->new_idx, p->n_new, p->batch, p->scratch, &gn)))
        return st;
    return ws_grad_log_add(p->log, step, go, gn) ? ws_fail(p->ctx, WS_ERR_NOMEM, "out of memory for the gradient log") : WS_OK;
}

// What a run is measured inside on at its end: the seed's probe (NULL: not measured), and the
// initialisation its distance is from.
typedef struct {
    const ws_probe *probe;
    const float *w0;
} inside_at_end;

// A phase 1 trained along to its longest count, its snapshots taken on the way (exp/share.h):
// the counts (ascending, the last the run's own), the callback, and how many it has had.
typedef struct along {
    ws_batch_seed *b;
    const int *epochs;
    int n, done;
    ws_batch_at_fn at;
    void *user;
} along;
static ws_status at_snapshot(void *user, ws_model *m, const ws_optim *opt, ws_train_result *train);

// A trained run's end: the model the learner gives evaluated (Hare & Tortoise: the tortoise,
// else the trained one), shrunk too when asked (nshrink; scratch: the model's size, or NULL),
// and measured inside. The model is left as it was found.
static ws_status finish_run(ws_ctx *ctx, const ws_batch_config *cfg, const ws_split *s, const ws_norm *norm,
                            ws_model *m, ws_learner_state *ls, float *scratch, inside_at_end at_end, ws_run_result *out) {
    ws_model *judged = ls ? ws_learner_eval_model(ls, m) : m;
    ws_status st = ws_evaluate(ctx, judged, s->eval_ds, norm, s->eval, s->n_eval, cfg->base.eval_batch, &out->test_acc,
                               &out->test_loss);
    float *own = NULL;
    if (!st && cfg->nshrink && !scratch && !(scratch = own = ws_alloc(ctx, sizeof(float) * (size_t)m->nweights)))
        st = ws_nomem(ctx);
    if (!st && cfg->nshrink) {
        ws_shrink_curve *c = &out->shrink;
        const size_t bytes = sizeof(double) * (size_t)cfg->nshrink;
        if (!(c->lambda = ws_sys_malloc(bytes)) || !(c->test_acc = ws_sys_malloc(bytes)) || !(c->test_loss = ws_sys_malloc(bytes)))
            st = ws_fail(ctx, WS_ERR_NOMEM, "out of memory for the shrink-only evaluation");
        else {
            memcpy(c->lambda, cfg->shrink_lambda, bytes);
            c->n = cfg->nshrink;
            st = ws_shrink_eval(ctx, m, s->eval_ds, norm, s->eval, s->n_eval, cfg->base.eval_batch, c->lambda, c->n,
                                scratch, c->test_acc, c->test_loss);
        }
    }
    ws_free(own);
    if (!st) st = ws_probe_measure(ctx, m, at_end.w0, at_end.probe, &out->inside);
    return st;
}

// Train `m` with `opt` on idx by the setup's stopping rule (fixed_epochs > 0: exactly that
// many instead; with the learner's hooks when given; gradient norms measured when gp is given;
// snapshots taken along it when snaps is given) and finish the run (finish_run).
static ws_status train_and_eval(ws_ctx *ctx, const ws_batch_config *cfg, const ws_source *src, const ws_split *s,
                                const ws_norm *norm, ws_model *m, ws_optim *opt, const int32_t *idx, int64_t n,
                                int batch, int fixed_epochs, ws_learner_state *ls, uint64_t seed, uint64_t order_stream,
                                epoch_relay *rl, grad_probe *gp, along *snaps, inside_at_end at_end, ws_run_result *out) {
    ws_train_config tc = ws_setup_train_config(&cfg->base, batch, s);
    if (fixed_epochs > 0) // --phase1-epochs: a warm start taken after exactly that many epochs
        tc.epochs = fixed_epochs, tc.max_epochs = 0, tc.plateau = 0;
    if (ls) ws_learner_hooks(ls, &tc);
    if (snaps) tc.snap_at = snaps->epochs, tc.nsnap = snaps->n - 1, tc.snap = at_snapshot, tc.snap_user = snaps;
    out->learner = rl->learner;
    float *scratch = NULL;
    if ((gp || cfg->nshrink) && !(scratch = ws_alloc(ctx, sizeof(float) * (size_t)m->nweights))) return ws_nomem(ctx);
    if (gp) {
        gp->scratch = scratch, gp->log = &out->grads, gp->batch = batch;
        out->grads.every = cfg->grad_every, out->grads.examples = cfg->grad_examples;
        tc.probe = probe_grads, tc.probe_user = gp, tc.probe_every = cfg->grad_every;
    }
    ws_status st = ws_train_to_threshold(ctx, m, opt, &src->train, norm, idx, n, &tc, seed, order_stream, relay, rl,
                                         &out->train);
    if (st) {
        ws_free(scratch);
        return ws_fail_prefix(ctx, st, "seed %llu, %s: ", (unsigned long long)seed, rl->learner);
    }
    st = finish_run(ctx, cfg, s, norm, m, ls, scratch, at_end, out);
    ws_free(scratch);
    return st;
}

static ws_status save_model(ws_ctx *ctx, const ws_batch_config *cfg, const ws_model *m, uint64_t seed, const char *who) {
    if (!cfg->base.save_dir) return WS_OK;
    char path[1400], file[80];
    ws_learner_file_name(who, file, sizeof file);
    snprintf(path, sizeof path, "%s/seed%llu-%s.safetensors", cfg->base.save_dir, (unsigned long long)seed, file);
    return ws_model_save(ctx, m, path);
}

// A seed's split (setup.h) and phase 1's part of its pool: a random `first_fraction` of it.
typedef struct {
    ws_split s;
    int32_t *first;
    int64_t n_first;
} batch_split;

static void batch_split_free(batch_split *b) {
    ws_split_free(&b->s);
    ws_free(b->first);
    b->first = NULL;
}

static ws_status prepare(ws_ctx *ctx, const ws_batch_config *cfg, const ws_source *src, uint64_t seed, batch_split *s,
                         ws_batch_seed_result *out, ws_model_spec *spec);

// Phase 1's starting model: a fresh initialisation (stream "init" 0) or the given checkpoint.
static ws_status start_phase1(ws_ctx *ctx, const ws_batch_config *cfg, uint64_t seed, ws_model *m) {
    if (cfg->base.init_from) return ws_model_load(ctx, m, cfg->base.init_from);
    ws_rng r = ws_rng_stream(seed, "init", 0);
    ws_model_init(m, &r);
    return WS_OK;
}

int ws_batch_own_phase1(const ws_batch_config *cfg, const ws_learner *l) {
    return cfg->base.protocol == WS_PROTOCOL_PAPER && l->kind == WS_LEARNER_SHRINK_PERTURB &&
           !(l->lambda == 1 && l->sigma == 0 && !l->gauss); // lambda 1, sigma 0 leaves the initialisation as it is
}

// Phase 2 for learner l: from the phase-1 model `first` (trained by opt1 on
// the first part), begin as the learner declares, train on the whole pool.
static ws_status run_learner(ws_ctx *ctx, const ws_batch_config *cfg, const ws_source *src, const batch_split *bs,
                             const ws_batch_seed_result *out, const ws_model *first, const float *first_init,
                             const ws_optim *opt1, const ws_probe *probe, ws_model *m, int l, epoch_relay *rl,
                             ws_run_result *run) {
    const ws_learner *def = &cfg->base.learners[l];
    const ws_split *s = &bs->s;
    const uint64_t seed = out->seed;
    // Phase 2's settings: the seed's (drawn or configured); with drawn ones random trains with
    // phase 1's, the grid point's.
    const int own_settings = out->drawn && def->kind == WS_LEARNER_RANDOM;
    const ws_opt_config *opt2 = own_settings ? &cfg->base.opt : &out->opt2;
    const int batch2 = own_settings ? cfg->base.batch : out->batch2;
    ws_learner_state ls;
    ws_status st = ws_learner_state_init(ctx, &ls, def, m);
    if (st) return ws_fail_prefix(ctx, st, "seed %llu: ", (unsigned long long)seed);
    // The learner's life began with phase 1 (L2-init's theta_0 is phase 1's
    // initialisation); phase 1 ends it as a round ends (EWC: anchor, Fisher).
    const int paper = cfg->base.protocol == WS_PROTOCOL_PAPER;
    ws_round_env phase1 = {.seed = seed, .round = 0, .paper = paper, .d = &src->train, .norm = &out->norm,
                           .idx = bs->first, .n = bs->n_first, .batch = cfg->base.batch};
    const ws_optim *carried = opt1; // the optimizer state phase 2 may keep (--keep-optim)
    if (ws_batch_own_phase1(cfg, def)) {
        // The official code shrink-perturbs before the first round too: this learner's phase 1
        // starts from lambda * init + sigma * fresh and is its own (same examples, same batches).
        if ((st = start_phase1(ctx, cfg, seed, m))) goto done;
        memcpy(m->w, first_init, sizeof(float) * (size_t)m->nweights);
        ws_learner_start(&ls, m);
        ws_optim *o1;
        char who[96];
        snprintf(who, sizeof who, "%s (own phase 1)", def->name);
        rl->learner = who;
        if (!(run->own_phase1 = ws_sys_calloc(1, sizeof *run->own_phase1))) {
            st = ws_nomem(ctx);
            goto done;
        }
        if ((st = ws_learner_begin(&ls, m, &phase1)) || (st = ws_learner_optimizer(&ls, &cfg->base.opt, &o1)) ||
            (st = train_and_eval(ctx, cfg, src, &bs->s, &out->norm, m, o1, bs->first, bs->n_first, cfg->base.batch,
                                 cfg->phase1_epochs, &ls, seed, 1, rl, NULL, NULL, (inside_at_end){probe, first_init},
                                 run->own_phase1)))
            goto done;
        run->own_phase1->learner = "phase1";
        carried = NULL; // its own optimizer holds its state
    } else {
        // The learner's life began with phase 1 (L2-init's theta_0 is phase 1's
        // initialisation); phase 1 ends it as a round ends (EWC: anchor, Fisher).
        memcpy(m->w, first_init, sizeof(float) * (size_t)m->nweights);
        ws_learner_start(&ls, m);
        if ((st = ws_model_copy_weights(ctx, m, first))) goto done;
    }
    if ((st = ws_learner_end(&ls, m, &phase1))) goto done;
    // Phase 2: a fresh initialisation from stream "init" 1 (the random learner's).
    ws_round_env phase2 = {.seed = seed, .round = 1, .fresh_stream = 1, .paper = paper, .d = &src->train,
                           .norm = &out->norm, .idx = s->pool, .n = s->n_pool, .batch = batch2};
    if ((carried && (st = ws_learner_adopt_optimizer(&ls, carried))) || (st = ws_learner_begin(&ls, m, &phase2))) goto done;
    ws_optim *opt;
    if ((st = ws_learner_optimizer(&ls, opt2, &opt))) goto done;
    rl->learner = def->name;
    // Its distance is from the initialisation its network was drawn with: phase 1's, or (random)
    // the fresh one it begins phase 2 from.
    float *fresh = NULL;
    if (def->kind == WS_LEARNER_RANDOM) {
        if (!(fresh = ws_alloc(ctx, sizeof(float) * (size_t)m->nweights))) {
            st = ws_nomem(ctx);
            goto done;
        }
        memcpy(fresh, m->w, sizeof(float) * (size_t)m->nweights);
    }
    // Every phase-2 learner uses order stream 2: the same batches in the same order.
    const int64_t cap = cfg->grad_examples > 0 ? cfg->grad_examples : INT64_MAX, n_new = s->n_pool - bs->n_first;
    grad_probe gp = {.ctx = ctx, .d = &src->train, .norm = &out->norm, .old_idx = bs->first,
                     .n_old = bs->n_first < cap ? bs->n_first : cap, .new_idx = bs->first + bs->n_first,
                     .n_new = n_new < cap ? n_new : cap};
    st = train_and_eval(ctx, cfg, src, s, &out->norm, m, opt, s->pool, s->n_pool, batch2, 0, &ls, seed, 2, rl,
                        cfg->grad_every > 0 ? &gp : NULL, NULL, (inside_at_end){probe, fresh ? fresh : first_init}, run);
    ws_free(fresh);
    if (st) goto done;
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
    batch_split s;
    ws_batch_seed_result info;  // seed, sizes, normalisation (no runs)
    ws_model *first, *m;        // phase 1's model; the phase-2 learner's
    float *first_init;          // phase 1's initialisation
    ws_probe probe;             // measurements inside the network: a seeded sample of the evaluation split
    ws_optim opt1;
    int phase1_ready;
};

void ws_batch_seed_close(ws_batch_seed *b) {
    if (!b) return;
    ws_optim_free(&b->opt1);
    ws_model_free(b->first);
    ws_model_free(b->m);
    ws_free(b->first_init);
    ws_probe_free(&b->probe);
    batch_split_free(&b->s);
    free(b);
}

ws_status ws_batch_seed_open(ws_ctx *ctx, const ws_batch_config *cfg, const ws_source *src, int i, ws_batch_seed **out) {
    *out = NULL;
    ws_batch_seed *b = ws_sys_calloc(1, sizeof *b);
    if (!b) return ws_nomem(ctx);
    b->ctx = ctx, b->cfg = cfg, b->src = src;
    ws_model_spec spec;
    ws_status st = prepare(ctx, cfg, src, cfg->base.seed + (uint64_t)i, &b->s, &b->info, &spec);
    if (st) {
        free(b);
        return st;
    }
    if ((st = ws_model_create(ctx, &b->first, &spec)) || (st = ws_model_create(ctx, &b->m, &spec))) goto fail;
    if (cfg->base.keep_optim && (cfg->opt2.kind != cfg->base.opt.kind || (cfg->opt2.momentum > 0) != (cfg->base.opt.momentum > 0))) {
        st = ws_fail(ctx, WS_ERR_ARG, "--keep-optim needs the same optimizer (and momentum on/off) in both phases");
        goto fail;
    }
    if (!(b->first_init = ws_alloc(ctx, sizeof(float) * (size_t)b->first->nweights))) {
        st = ws_nomem(ctx);
        goto fail;
    }
    if ((st = ws_optim_create(ctx, &b->opt1, &cfg->base.opt, b->first->nweights))) goto fail;
    const ws_split *sp = &b->s.s;
    if ((st = ws_probe_make(ctx, &cfg->base, sp->eval_ds, &b->info.norm, sp->eval, sp->n_eval, b->info.seed, &b->probe)))
        goto fail;
    *out = b;
    return WS_OK;
fail:
    ws_batch_seed_close(b);
    return st;
}

void ws_batch_seed_info(const ws_batch_seed *b, ws_batch_seed_result *info) { *info = b->info; }

// Phase 1 from its start: trained to `epochs` (0: by the setup's stopping rule), with snapshots
// along it when snaps is given, saved with --save.
static ws_status phase1_run(ws_batch_seed *b, int epochs, along *snaps, ws_run_epoch_fn on_epoch, void *user,
                            ws_run_result *out) {
    ws_ctx *ctx = b->ctx;
    const ws_batch_config *cfg = b->cfg;
    const uint64_t seed = b->info.seed;
    epoch_relay rl = {on_epoch, user, seed, "phase1"};
    ws_status st;
    memset(out, 0, sizeof *out);
    b->phase1_ready = 0;
    if ((st = start_phase1(ctx, cfg, seed, b->first))) return st;
    memcpy(b->first_init, b->first->w, sizeof(float) * (size_t)b->first->nweights);
    ws_optim_reset(&b->opt1);
    if ((st = train_and_eval(ctx, cfg, b->src, &b->s.s, &b->info.norm, b->first, &b->opt1, b->s.first, b->s.n_first,
                             cfg->base.batch, epochs, NULL, seed, 1, &rl, NULL, snaps,
                             (inside_at_end){&b->probe, b->first_init}, out)))
        return st;
    if ((st = save_model(ctx, cfg, b->first, seed, "phase1"))) return st;
    b->phase1_ready = 1;
    return WS_OK;
}

ws_status ws_batch_seed_phase1(ws_batch_seed *b, ws_run_epoch_fn on_epoch, void *user, ws_run_result *out) {
    return phase1_run(b, b->cfg->phase1_epochs, NULL, on_epoch, user, out);
}

// A snapshot along phase 1 (train.h's ws_snapshot_fn): the run finished as one of exactly that
// many epochs would be (evaluated, measured, saved with --save), the seed ready to be saved as
// that phase 1, then given to the caller.
static ws_status at_snapshot(void *user, ws_model *m, const ws_optim *opt, ws_train_result *train) {
    (void)opt; // the seed's own (b->opt1), which ws_batch_seed_save_phase1 reads
    along *a = user;
    ws_batch_seed *b = a->b;
    ws_run_result run = {.learner = "phase1", .train = *train};
    ws_status st = finish_run(b->ctx, b->cfg, &b->s.s, &b->info.norm, m, NULL, NULL,
                              (inside_at_end){&b->probe, b->first_init}, &run);
    if (!st) st = save_model(b->ctx, b->cfg, m, b->info.seed, "phase1");
    b->phase1_ready = !st;
    if (!st) st = a->at(a->user, b, a->epochs[a->done], WS_OK, &run);
    b->phase1_ready = 0; // the training goes on
    a->done++;
    ws_run_result_free(&run);
    return st;
}

ws_status ws_batch_seed_phase1_along(ws_batch_seed *b, const int *epochs, int n, ws_batch_at_fn at, void *user,
                                     ws_run_epoch_fn on_epoch, void *euser) {
    if (n < 1 || b->cfg->phase1_epochs <= 0)
        return ws_fail(b->ctx, WS_ERR_ARG, "phase 1 along its epochs: needs fixed-epoch phase 1 (--phase1-epochs) and "
                                           "at least one count");
    along a = {b, epochs, n, 0, at, user};
    ws_run_result r;
    ws_status st = phase1_run(b, epochs[n - 1], &a, on_epoch, euser, &r);
    if (!st) {
        st = at(user, b, epochs[n - 1], WS_OK, &r);
    } else if (st == WS_ERR_NUMERIC) {
        // Diverged at epoch d: so would every phase 1 of d epochs or more (the same first d epochs).
        st = WS_OK;
        for (int i = a.done; i < n && !st; i++) st = at(user, b, epochs[i], WS_ERR_NUMERIC, &r);
    }
    ws_run_result_free(&r);
    return st;
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

ws_status ws_batch_seed_learner(ws_batch_seed *b, int l, ws_run_epoch_fn on_epoch, void *user, ws_run_result *out) {
    if (!b->phase1_ready) return ws_fail(b->ctx, WS_ERR_ARG, "batch: phase 2 before phase 1");
    if (l < 0 || l >= b->cfg->base.nlearners) return ws_fail(b->ctx, WS_ERR_ARG, "batch: no learner %d", l);
    epoch_relay rl = {on_epoch, user, b->info.seed, "phase1"};
    memset(out, 0, sizeof *out);
    return run_learner(b->ctx, b->cfg, b->src, &b->s, &b->info, b->first, b->first_init, &b->opt1, &b->probe, b->m, l,
                       &rl, out);
}

ws_status ws_batch_run_seed(ws_ctx *ctx, const ws_batch_config *cfg, const ws_source *src, int i,
                            ws_run_epoch_fn on_epoch, void *user, ws_batch_seed_result *out) {
    ws_batch_seed *b;
    memset(out, 0, sizeof *out);
    ws_status st = ws_batch_seed_open(ctx, cfg, src, i, &b);
    if (st) return st;
    ws_batch_seed_info(b, out);
    st = ws_batch_seed_phase1(b, on_epoch, user, &out->phase1);
    for (int l = 0; l < cfg->base.nlearners && !st; l++) {
        st = ws_batch_seed_learner(b, l, on_epoch, user, &out->runs[l]);
        if (!st) out->nruns++;
        else ws_run_result_free(&out->runs[l]);
    }
    ws_batch_seed_close(b);
    if (st) ws_batch_seed_result_free(out);
    return st;
}

// Shared set-up of a seed: split (phase 1's part included), normalisation and model spec.
static ws_status prepare(ws_ctx *ctx, const ws_batch_config *cfg, const ws_source *src, uint64_t seed, batch_split *bs,
                         ws_batch_seed_result *out, ws_model_spec *spec) {
    memset(out, 0, sizeof *out);
    memset(bs, 0, sizeof *bs);
    out->seed = seed;
    const ws_split *s = &bs->s;
    ws_status st = ws_split_make(ctx, &cfg->base, src, seed, &bs->s);
    if (st) return st;
    // Phase 1 sees a random `first_fraction` of the pool.
    if (!(bs->first = ws_alloc(ctx, sizeof(int32_t) * (size_t)(s->n_pool ? s->n_pool : 1))))
        return batch_split_free(bs), ws_nomem(ctx);
    memcpy(bs->first, s->pool, sizeof(int32_t) * (size_t)s->n_pool);
    ws_rng r = ws_rng_stream(seed, "phase1", 0);
    ws_rng_shuffle(&r, bs->first, s->n_pool);
    bs->n_first = (int64_t)llround(cfg->first_fraction * (double)s->n_pool);
    if (bs->n_first < 1 || bs->n_first > s->n_pool)
        return batch_split_free(bs), ws_fail(ctx, WS_ERR_ARG, "first-phase fraction %g of %lld examples leaves no data",
                                             cfg->first_fraction, (long long)s->n_pool);
    out->opt2 = cfg->opt2, out->batch2 = cfg->batch2;
    if (cfg->nlr2_draw || cfg->nbatch2_draw) { // the seed's phase-2 settings, drawn
        ws_rng dr = ws_rng_stream(seed, "draw2", 0);
        if (cfg->nlr2_draw) out->opt2.lr = (float)cfg->lr2_draw[ws_rng_below(&dr, (uint32_t)cfg->nlr2_draw)];
        if (cfg->nbatch2_draw) out->batch2 = cfg->batch2_draw[ws_rng_below(&dr, (uint32_t)cfg->nbatch2_draw)];
        out->drawn = 1;
    }
    out->n_pool = s->n_pool;
    out->n_first = bs->n_first;
    out->n_eval = s->n_eval;
    ws_setup_norm(&cfg->base, src, s, &out->norm);
    *spec = ws_setup_model_spec(&cfg->base, &src->train);
    return WS_OK;
}

ws_status ws_single_run(ws_ctx *ctx, const ws_batch_config *cfg, const ws_source *src, const char *save_path,
                        ws_run_epoch_fn on_epoch, void *user, ws_batch_seed_result *out) {
    batch_split bs;
    ws_model_spec spec;
    ws_status st = prepare(ctx, cfg, src, cfg->base.seed, &bs, out, &spec);
    const ws_split s = bs.s;
    if (st) return st;
    ws_model *m = NULL;
    ws_optim opt = {0};
    epoch_relay rl = {on_epoch, user, cfg->base.seed, "train"};
    if ((st = ws_model_create(ctx, &m, &spec))) goto done;
    if (cfg->base.init_from) {
        if ((st = ws_model_load(ctx, m, cfg->base.init_from))) goto done;
    } else {
        ws_rng r = ws_rng_stream(cfg->base.seed, "init", 0);
        ws_model_init(m, &r);
    }
    if ((st = ws_optim_create(ctx, &opt, &cfg->base.opt, m->nweights))) goto done;
    if ((st = train_and_eval(ctx, cfg, src, &s, &out->norm, m, &opt, s.pool, s.n_pool, cfg->base.batch, 0,
                             NULL, cfg->base.seed, 1, &rl, NULL, NULL, (inside_at_end){NULL, NULL}, &out->phase1)))
        goto done;
    if (save_path) st = ws_model_save(ctx, m, save_path);
done:
    ws_optim_free(&opt);
    ws_model_free(m);
    batch_split_free(&bs);
    if (st) ws_batch_seed_result_free(out);
    return st;
}

ws_status ws_eval_checkpoint(ws_ctx *ctx, const ws_batch_config *cfg, const ws_source *src, const char *path,
                             ws_batch_seed_result *out) {
    batch_split bs;
    ws_model_spec spec;
    ws_status st = prepare(ctx, cfg, src, cfg->base.seed, &bs, out, &spec);
    const ws_split s = bs.s;
    if (st) return st;
    ws_model *m = NULL;
    out->phase1.learner = "checkpoint";
    if (!(st = ws_model_create(ctx, &m, &spec)) && !(st = ws_model_load(ctx, m, path)))
        st = ws_evaluate(ctx, m, s.eval_ds, &out->norm, s.eval, s.n_eval, cfg->base.eval_batch, &out->phase1.test_acc,
                         &out->phase1.test_loss);
    ws_model_free(m);
    batch_split_free(&bs);
    return st;
}

cJSON *ws_batch_config_json(const ws_batch_config *cfg, const ws_source *src, const ws_ctx *ctx) {
    cJSON *own = cJSON_CreateObject();
    ws_json_put(own, "phase2", ws_opt_json(&cfg->opt2, cfg->batch2));
    cJSON_AddNumberToObject(own, "first_fraction", cfg->first_fraction);
    cJSON_AddNumberToObject(own, "phase1_epochs", cfg->phase1_epochs);
    if (cfg->grad_every > 0) {
        cJSON_AddNumberToObject(own, "grad_every", cfg->grad_every);
        cJSON_AddNumberToObject(own, "gradient_norm_examples", (double)cfg->grad_examples);
    }
    if (cfg->nshrink) ws_json_put(own, "shrink_eval", cJSON_CreateDoubleArray(cfg->shrink_lambda, cfg->nshrink));
    if (cfg->nlr2_draw || cfg->nbatch2_draw) {
        cJSON *d = cJSON_AddObjectToObject(own, "phase2_drawn_from");
        ws_json_put(d, "lr", cJSON_CreateDoubleArray(cfg->lr2_draw, cfg->nlr2_draw));
        ws_json_put(d, "batch_size", cJSON_CreateIntArray(cfg->batch2_draw, cfg->nbatch2_draw));
        cJSON_AddStringToObject(d, "rule", "per seed, uniformly, for the learners that continue from phase 1; "
                                           "random trains with phase 1's settings");
    }
    cJSON_AddBoolToObject(own, "keep_optimizer_state", cfg->base.keep_optim);
    cJSON *j = ws_setup_json(&cfg->base, "batch", src, ctx, own);
    cJSON_Delete(own);
    return j;
}

cJSON *ws_batch_seed_json(const ws_batch_seed_result *r) {
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "seed", (double)r->seed);
    cJSON_AddNumberToObject(j, "n_pool", (double)r->n_pool);
    cJSON_AddNumberToObject(j, "n_first", (double)r->n_first);
    cJSON_AddNumberToObject(j, "n_eval", (double)r->n_eval);
    ws_json_put(j, "normalization", ws_norm_json(&r->norm));
    if (r->drawn) ws_json_put(j, "phase2", ws_opt_json(&r->opt2, r->batch2));
    cJSON *runs = cJSON_AddObjectToObject(j, "runs");
    ws_json_put(runs, "phase1", ws_run_json(&r->phase1));
    for (int l = 0; l < r->nruns; l++) ws_json_put(runs, r->runs[l].learner, ws_run_json(&r->runs[l]));
    return j;
}


// A seed's record back into the results table (the reverse of ws_batch_seed_json): phase 1's
// run and each learner's, every run of the seed at stage 0.
ws_status ws_batch_read_record(ws_ctx *ctx, const cJSON *rec, int64_t seed, ws_table *t, ws_point *p) {
    const cJSON *runs = cJSON_GetObjectItemCaseSensitive(rec, "runs"), *x;
    if (!cJSON_IsObject(runs) || !runs->child) return ws_fail(ctx, WS_ERR_FORMAT, "no \"runs\" object (not a batch result)");
    cJSON_ArrayForEach(x, runs) {
        const int l = ws_table_learner_add(t, x->string);
        ws_run *r = l < 0 ? NULL : ws_point_add_run(p, l, seed, 0);
        if (!r) return ws_fail(ctx, WS_ERR_NOMEM, "too many learners or out of memory for the results table");
        char name[96];
        snprintf(name, sizeof name, "runs.%s", x->string);
        ws_status st = ws_run_read_json(ctx, x, name, r);
        if (st) return st;
    }
    return WS_OK;
}
