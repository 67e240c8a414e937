// Scenario runs as units: see units.h and runner.h.
#define _POSIX_C_SOURCE 200809L
#include "exp/units.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exp/results.h"
#include "io/dir.h"
#include "io/json.h"

typedef char unit_id[200];


static void run_end(const ws_hooks *h) {
    if (h && h->run_end) h->run_end(h->user);
}

// ---- ids and the plan --------------------------------------------------------------------------

int ws_units_group(const ws_experiment *e) {
    switch (e->scenario) {
    case WS_CMD_BATCH: return 1 + e->batch.base.nlearners;
    case WS_CMD_TRANSFER: return 1 + e->transfer.nfractions * e->transfer.base.nlearners;
    default: return e->online.base.nlearners; // a seed's chains (independent: shards split them)
    }
}

static int seeds_of(const ws_experiment *e) { return e->batch.base.seeds; }

int ws_units_count(const ws_experiment *e) { return seeds_of(e) * ws_units_group(e); }

// Every unit's id, seed by seed: "s1/phase1", "s1/warm"; "s1/pretrain", "s1/10pct/warm".
static unit_id *plan_ids(ws_ctx *ctx, const ws_experiment *e) {
    const int per = ws_units_group(e), total = ws_units_count(e);
    unit_id *ids = calloc((size_t)(total > 0 ? total : 1), sizeof *ids);
    if (!ids) {
        if (ctx) ws_fail(ctx, WS_ERR_NOMEM, "out of memory");
        return NULL;
    }
    for (int i = 0; i < seeds_of(e); i++) {
        const unsigned long long seed = e->batch.base.seed + (uint64_t)i;
        unit_id *s = ids + i * per;
        if (e->scenario == WS_CMD_BATCH) {
            snprintf(s[0], sizeof *s, "s%llu/phase1", seed);
            for (int l = 0; l < e->batch.base.nlearners; l++) snprintf(s[1 + l], sizeof *s, "s%llu/%s", seed, e->batch.base.learners[l].name);
        } else if (e->scenario == WS_CMD_TRANSFER) {
            const ws_transfer_config *c = &e->transfer;
            snprintf(s[0], sizeof *s, "s%llu/pretrain", seed);
            for (int k = 0; k < c->nfractions; k++)
                for (int l = 0; l < c->base.nlearners; l++)
                    snprintf(s[1 + k * c->base.nlearners + l], sizeof *s, "s%llu/%gpct/%s", seed, 100 * c->fractions[k],
                             c->base.learners[l].name);
        } else {
            for (int l = 0; l < e->online.base.nlearners; l++)
                snprintf(s[l], sizeof *s, "s%llu/%s", seed, e->online.base.learners[l].name);
        }
    }
    return ids;
}

// The runner's view of where this process stands in the plan (shards, sweep points).
static void plan_opts(const ws_experiment *e, ws_run_opts *o) {
    memset(o, 0, sizeof *o);
    o->dir = e->opt.out;
    o->resume = e->opt.resume;
    o->unit = e->opt.unit[0] ? e->opt.unit : NULL;
    o->prefix = e->prefix[0] ? e->prefix : NULL;
    o->point = e->point;
    o->npoints = e->npoints;
    o->point_units = ws_units_count(e);
    o->group_units = e->scenario == WS_CMD_ONLINE || e->scenario == WS_CMD_ACTIVE ? 1 : ws_units_group(e);
}

void ws_units_plan(const ws_experiment *e, const ws_hooks *h) {
    unit_id *ids = plan_ids(NULL, e);
    if (!ids) return;
    ws_run_opts o;
    plan_opts(e, &o);
    ws_ctx scratch; // for the shard's parse only (checked already)
    memset(&scratch, 0, sizeof scratch);
    if (e->opt.shard[0]) ws_shard_parse(&scratch, e->opt.shard, &o.shard, &o.nshards);
    for (int k = 0; k < ws_units_count(e); k++) {
        char full[300];
        snprintf(full, sizeof full, "%s%s", e->prefix, ids[k]);
        if (e->opt.unit[0] && strcmp(e->opt.unit, full)) continue;
        if (e->opt.shard[0] && !ws_unit_in_shard(&o, k)) continue;
        if (h && h->plan) h->plan(h->user, full);
    }
    free(ids);
}

// ---- opening ----------------------------------------------------------------------------------

ws_status ws_units_open(ws_units *u, ws_ctx *ctx, const ws_experiment *e, const ws_hooks *h, const cJSON *config,
                        ws_outcome *o) {
    memset(u, 0, sizeof *u);
    u->ctx = ctx, u->e = e, u->h = h, u->o = o, u->who = ws_command_name(e->scenario);
    u->nunits = ws_units_count(e);
    ws_run_opts ro;
    plan_opts(e, &ro);
    ws_status st;
    if (e->opt.shard[0] && (st = ws_shard_parse(ctx, e->opt.shard, &ro.shard, &ro.nshards))) return st;
    if (e->nmerge) ro.merge = 1, ro.merge_dirs = (const char *const *)e->merge_dirs, ro.nmerge = e->nmerge;
    o->whole = e->nmerge || (!e->opt.shard[0] && !e->opt.unit[0]);
    if ((st = ws_dir_make(ctx, e->opt.out)) || (st = ws_runner_open(ctx, &u->run, &ro, config))) return st;
    if (!e->opt.resume && o->whole && !e->nmerge) ws_results_remove(e->opt.out); // a fresh run: the last one's results go
    return WS_OK;
}

void ws_units_close(ws_units *u) { ws_runner_close(&u->run); }

// ---- records ------------------------------------------------------------------------------------

static int todo(const ws_units *u, int k, const char *id) {
    return ws_runner_mine(&u->run, k, id) && !ws_runner_finished(&u->run, id);
}

static int is_done(const cJSON *rec) {
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(rec, "status");
    return cJSON_IsString(s) && !strcmp(s->valuestring, "done");
}

// A unit that stopped on NaN/Inf: its record says where (the reason is in ctx->err); the rest go on.
static ws_status record_diverged(ws_units *u, const char *id, int round, int epoch) {
    cJSON *rec = cJSON_CreateObject();
    cJSON_AddStringToObject(rec, "status", "diverged");
    if (round >= 0) cJSON_AddNumberToObject(rec, "round", round);
    cJSON_AddNumberToObject(rec, "epoch", epoch);
    cJSON_AddStringToObject(rec, "error", u->ctx->err);
    ws_hooks_note(u->h, u->who, "unit %s%s diverged (%s); the other units go on", u->e->prefix, id, u->ctx->err);
    return ws_runner_append(&u->run, id, rec);
}

static ws_status record_done(ws_units *u, const char *id, cJSON *data, cJSON *seed) {
    cJSON *rec = cJSON_CreateObject();
    cJSON_AddStringToObject(rec, "status", "done");
    if (data) cJSON_AddItemToObject(rec, "data", data);
    if (seed) cJSON_AddItemToObject(rec, "seed", seed);
    u->o->ran++;
    return ws_runner_append(&u->run, id, rec);
}

// Every unit finished? When merging, missing ones are an error naming them.
static ws_status check_complete(ws_units *u, unit_id *ids, int n) {
    int missing = 0;
    const char *first = NULL;
    for (int j = 0; j < n; j++)
        if (!ws_runner_finished(&u->run, ids[j])) {
            if (!first) first = ids[j];
            missing++;
        }
    if (!missing) return WS_OK;
    return ws_fail(u->ctx, WS_ERR_ARG,
                   "%d of %d units have no result yet (the first: %s%s); run the missing shards (or the run again with "
                   "--resume), then merge",
                   missing, n, u->e->prefix, first);
}

static void note_excluded(ws_units *u, uint64_t seed, const char *id) {
    const cJSON *rec = ws_runner_finished(&u->run, id);
    const cJSON *err = cJSON_GetObjectItemCaseSensitive(rec, "error");
    size_t len = strlen(u->excluded);
    snprintf(u->excluded + len, sizeof u->excluded - len, "%sseed %llu left out: %s diverged (%s)", len ? "\n" : "",
             (unsigned long long)seed, id, cJSON_IsString(err) ? err->valuestring : "?");
}

// The frame every scenario shares: run the groups (seeds) that have units of this process
// left, then -- a whole run or a merge -- check that every unit finished and assemble each
// seed whose units all finished "done" (take(i, ids of seed i, slot)).
typedef ws_status (*group_fn)(ws_units *u, void *arg, int i, unit_id *ids, int k0);
typedef ws_status (*take_fn)(ws_units *u, void *arg, int i, unit_id *ids, int slot);

static ws_status frame(ws_units *u, group_fn run, take_fn take, void *arg, int *n) {
    *n = 0;
    const int per = ws_units_group(u->e), seeds = seeds_of(u->e), total = seeds * per;
    unit_id *ids = plan_ids(u->ctx, u->e);
    if (!ids) return WS_ERR_NOMEM;
    ws_status st = WS_OK;
    for (int k = 0; k < total; k++) u->o->skipped += ws_runner_mine(&u->run, k, ids[k]) && ws_runner_finished(&u->run, ids[k]);
    for (int i = 0; i < seeds && !st; i++) {
        int need = 0;
        for (int j = 0; j < per; j++) need |= todo(u, i * per + j, ids[i * per + j]);
        if (need) st = run(u, arg, i, ids + i * per, i * per);
    }
    if (st || !u->o->whole || (st = check_complete(u, ids, total))) goto done;
    u->o->complete = 1;
    for (int i = 0; i < seeds && !st; i++) {
        unit_id *sid = ids + i * per;
        int ok = 1;
        for (int j = 0; j < per && ok; j++)
            if (!is_done(ws_runner_finished(&u->run, sid[j]))) note_excluded(u, u->e->batch.base.seed + (uint64_t)i, sid[j]), ok = 0;
        if (ok && !(st = take(u, arg, i, sid, *n))) (*n)++;
    }
done:
    free(ids);
    return st;
}

// ---- batch -----------------------------------------------------------------------------------

typedef struct {
    const ws_source *src;
    ws_batch_seed_result *res;
} batch_arg;

static void epoch_hook(void *user, uint64_t seed, const char *learner, const ws_epoch_record *rec) {
    const ws_hooks *h = user;
    if (h && h->epoch) h->epoch(h->user, seed, learner, rec);
}

static cJSON *batch_seed_json(const ws_batch_seed_result *info) {
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "seed", (double)info->seed);
    cJSON_AddNumberToObject(j, "n_pool", (double)info->n_pool);
    cJSON_AddNumberToObject(j, "n_first", (double)info->n_first);
    cJSON_AddNumberToObject(j, "n_eval", (double)info->n_eval);
    cJSON_AddItemToObject(j, "normalization", ws_norm_json(&info->norm));
    if (info->drawn) cJSON_AddItemToObject(j, "phase2", ws_opt_json(&info->opt2, info->batch2)); // drawn for this seed
    return j;
}

// Phase 1 for the learners' sake: from its checkpoint, else run (and saved). *state: 1
// ready, -1 it diverges.
static ws_status ensure_phase1(ws_units *u, ws_batch_seed *b, const char *id, const char *ckpt, int *state) {
    if (*state) return WS_OK;
    const cJSON *fin = ws_runner_finished(&u->run, id);
    if (fin && !is_done(fin)) return *state = -1, WS_OK;
    if (access(ckpt, F_OK) == 0 && ws_batch_seed_load_phase1(b, ckpt) == WS_OK) return *state = 1, WS_OK;
    ws_run_result r;
    ws_status st = ws_batch_seed_phase1(b, epoch_hook, (void *)u->h, &r);
    run_end(u->h);
    ws_run_result_free(&r);
    if (st == WS_ERR_NUMERIC) return *state = -1, WS_OK;
    if (st || (st = ws_batch_seed_save_phase1(b, ckpt))) return st;
    return *state = 1, WS_OK;
}

static ws_status batch_group(ws_units *u, void *arg, int i, unit_id *ids, int k0) {
    const batch_arg *a = arg;
    const ws_batch_config *cfg = &u->e->batch;
    ws_ctx *ctx = u->ctx;
    ws_batch_seed *b;
    ws_status st = ws_batch_seed_open(ctx, cfg, a->src, i, &b);
    if (st) return st;
    ws_batch_seed_result info;
    ws_batch_seed_info(b, &info);
    char ckpt[1400];
    ws_runner_ckpt(&u->run, ids[0], -1, ckpt, sizeof ckpt);
    int p1 = 0;
    if (todo(u, k0, ids[0])) {
        ws_run_result r;
        st = ws_batch_seed_phase1(b, epoch_hook, (void *)u->h, &r);
        run_end(u->h);
        if (st == WS_ERR_NUMERIC) {
            st = record_diverged(u, ids[0], -1, r.train.diverged_epoch);
            p1 = -1;
        } else if (!st && !(st = ws_batch_seed_save_phase1(b, ckpt))) {
            st = record_done(u, ids[0], ws_run_json(&r), batch_seed_json(&info));
            p1 = 1;
        }
        ws_run_result_free(&r);
    }
    for (int l = 0; l < cfg->base.nlearners && !st; l++) {
        const char *id = ids[1 + l];
        if (!todo(u, k0 + 1 + l, id)) continue;
        if ((st = ensure_phase1(u, b, ids[0], ckpt, &p1))) break;
        if (p1 < 0) {
            ws_fail(ctx, WS_ERR_NUMERIC, "phase 1 of seed %llu diverged", (unsigned long long)info.seed);
            st = record_diverged(u, id, -1, 0);
            continue;
        }
        ws_run_result r;
        st = ws_batch_seed_learner(b, l, epoch_hook, (void *)u->h, &r);
        run_end(u->h);
        if (st == WS_ERR_NUMERIC) st = record_diverged(u, id, -1, r.train.diverged_epoch);
        else if (!st) {
            ws_hooks_note(u->h, NULL, "  seed %llu: %s %.2f%% (%.1fs)", (unsigned long long)info.seed, id + strcspn(id, "/") + 1,
                 100 * r.test_acc, r.train.seconds);
            st = record_done(u, id, ws_run_json(&r), NULL);
        }
        ws_run_result_free(&r);
    }
    ws_batch_seed_close(b);
    return st;
}

static ws_status batch_take(ws_units *u, void *arg, int i, unit_id *sid, int slot) {
    const batch_arg *a = arg;
    const ws_batch_config *cfg = &u->e->batch;
    ws_ctx *ctx = u->ctx;
    ws_batch_seed_result *r = &a->res[slot];
    memset(r, 0, sizeof *r);
    const cJSON *p1 = ws_runner_finished(&u->run, sid[0]), *seed = cJSON_GetObjectItemCaseSensitive(p1, "seed");
    double s, pool, first, ev;
    ws_status st;
    if ((st = ws_json_number(ctx, seed, "seed", &s)) || (st = ws_json_number(ctx, seed, "n_pool", &pool)) ||
        (st = ws_json_number(ctx, seed, "n_first", &first)) || (st = ws_json_number(ctx, seed, "n_eval", &ev)) ||
        (st = ws_norm_from_json(ctx, cJSON_GetObjectItemCaseSensitive(seed, "normalization"), &r->norm)) ||
        (st = ws_run_from_json(ctx, cJSON_GetObjectItemCaseSensitive(p1, "data"), &r->phase1)))
        return st;
    r->seed = (uint64_t)s, r->n_pool = (int64_t)pool, r->n_first = (int64_t)first, r->n_eval = (int64_t)ev;
    r->phase1.learner = "phase1";
    r->opt2 = cfg->opt2, r->batch2 = cfg->batch2;
    const cJSON *drawn = cJSON_GetObjectItemCaseSensitive(seed, "phase2"); // this seed's drawn phase-2 settings
    double lr2, b2;
    if (drawn) {
        if ((st = ws_json_number(ctx, drawn, "lr", &lr2)) || (st = ws_json_number(ctx, drawn, "batch_size", &b2)))
            return st;
        r->opt2.lr = (float)lr2, r->batch2 = (int)b2, r->drawn = 1;
    }
    for (int l = 0; l < cfg->base.nlearners; l++) {
        const cJSON *rec = ws_runner_finished(&u->run, sid[1 + l]);
        st = ws_run_from_json(ctx, cJSON_GetObjectItemCaseSensitive(rec, "data"), &r->runs[l]);
        r->runs[l].learner = cfg->base.learners[l].name;
        r->nruns = l + 1;
        if (st) return ws_batch_seed_result_free(r), st;
    }
    return WS_OK;
}

ws_status ws_units_batch(ws_units *u, const ws_source *src, ws_batch_seed_result *res, int *n) {
    batch_arg a = {src, res};
    return frame(u, batch_group, batch_take, &a, n);
}

// ---- online / active -------------------------------------------------------------------------

typedef struct {
    const ws_source *src;
    ws_online_seed_result *res;
} online_arg;

static cJSON *online_seed_json(const ws_online_seed_result *info) {
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "seed", (double)info->seed);
    cJSON_AddNumberToObject(j, "n_pool", (double)info->n_pool);
    cJSON_AddNumberToObject(j, "n_eval", (double)info->n_eval);
    cJSON_AddNumberToObject(j, "rounds", info->nrounds);
    cJSON_AddNumberToObject(j, "classes", info->num_classes);
    cJSON_AddItemToObject(j, "normalization", ws_norm_json(&info->norm));
    return j;
}

// One learner's chain: from the checkpoint of its last recorded round, if any; each round
// checkpointed, then recorded, then the older checkpoint removed.
static ws_status run_chain(ws_units *u, const ws_source *src, int i, int l, const char *id) {
    ws_ctx *ctx = u->ctx;
    const ws_online_config *cfg = &u->e->online;
    ws_online_chain *c;
    ws_status st = ws_online_chain_open(ctx, cfg, src, i, l, &c);
    if (st) return st;
    const int last = ws_runner_last_round(&u->run, id);
    char ckpt[1400];
    if (last >= 0) {
        ws_runner_ckpt(&u->run, id, last, ckpt, sizeof ckpt);
        if (ws_online_chain_load(c, ckpt) != WS_OK) {
            // No usable checkpoint: rerun the recorded rounds (the same bits) without recording them again.
            ws_hooks_note(u->h, u->who, "%s; unit %s starts over (its recorded rounds are kept)", ctx->err, id);
            ws_online_chain_close(c);
            if ((st = ws_online_chain_open(ctx, cfg, src, i, l, &c))) return st;
        }
        u->o->partial++;
    }
    const int nr = ws_online_chain_rounds(c);
    int diverged = 0;
    for (int r = ws_online_chain_next(c); r < nr && !st && !diverged; r++) {
        ws_online_round rec;
        ws_status step = ws_online_chain_step(c, &rec);
        if (step == WS_ERR_NUMERIC) {
            st = record_diverged(u, id, r, rec.train.diverged_epoch);
            diverged = 1;
        } else if (step) {
            st = step;
        } else if (r > last) {
            ws_online_seed_result info;
            ws_online_chain_info(c, &info);
            ws_runner_ckpt(&u->run, id, r, ckpt, sizeof ckpt);
            st = ws_online_chain_save(c, ckpt);
            cJSON *o = cJSON_CreateObject();
            cJSON_AddNumberToObject(o, "round", r);
            cJSON_AddItemToObject(o, "data", ws_online_round_json(&rec, info.num_classes));
            if (!st) st = ws_runner_append(&u->run, id, o);
            else cJSON_Delete(o);
            if (!st) ws_runner_ckpt_prune(&u->run, id, r);
        }
        if (!step && u->h && u->h->round) u->h->round(u->h->user, cfg->base.seed + (uint64_t)i, cfg->base.learners[l].name, &rec);
        ws_train_result_free(&rec.train);
    }
    run_end(u->h);
    if (!st && !diverged) {
        ws_online_seed_result info;
        ws_online_chain_info(c, &info);
        st = record_done(u, id, NULL, online_seed_json(&info));
        if (!st) ws_runner_ckpt_prune(&u->run, id, -2);
    }
    ws_online_chain_close(c);
    return st;
}

static ws_status online_group(ws_units *u, void *arg, int i, unit_id *ids, int k0) {
    const online_arg *a = arg;
    ws_status st = WS_OK;
    for (int l = 0; l < u->e->online.base.nlearners && !st; l++)
        if (todo(u, k0 + l, ids[l])) st = run_chain(u, a->src, i, l, ids[l]);
    return st;
}

static ws_status online_take(ws_units *u, void *arg, int i, unit_id *sid, int slot) {
    const online_arg *a = arg;
    const int nl = u->e->online.base.nlearners;
    ws_ctx *ctx = u->ctx;
    ws_online_seed_result *r = &a->res[slot];
    memset(r, 0, sizeof *r);
    const cJSON *seed = cJSON_GetObjectItemCaseSensitive(ws_runner_finished(&u->run, sid[0]), "seed");
    double s, pool, ev, rounds, classes;
    ws_status st;
    if ((st = ws_json_number(ctx, seed, "seed", &s)) || (st = ws_json_number(ctx, seed, "n_pool", &pool)) ||
        (st = ws_json_number(ctx, seed, "n_eval", &ev)) || (st = ws_json_number(ctx, seed, "rounds", &rounds)) ||
        (st = ws_json_number(ctx, seed, "classes", &classes)) ||
        (st = ws_norm_from_json(ctx, cJSON_GetObjectItemCaseSensitive(seed, "normalization"), &r->norm)))
        return st;
    r->seed = (uint64_t)s, r->n_pool = (int64_t)pool, r->n_eval = (int64_t)ev;
    r->nrounds = (int)rounds, r->num_classes = (int)classes, r->nlearners = nl;
    if (!(r->rounds = ws_alloc(ctx, sizeof *r->rounds * (size_t)(r->nrounds * nl)))) return WS_ERR_NOMEM;
    for (int l = 0; l < nl && !st; l++) {
        snprintf(r->learner_names[l], sizeof r->learner_names[l], "%s", u->e->online.base.learners[l].name);
        for (int k = 0; k < r->nrounds && !st; k++) {
            const cJSON *rec = ws_runner_round(&u->run, sid[l], k);
            if (!rec) st = ws_fail(ctx, WS_ERR_FORMAT, "unit %s: no record of round %d", sid[l], k);
            else if ((st = ws_online_round_from_json(ctx, cJSON_GetObjectItemCaseSensitive(rec, "data"),
                                                     &r->rounds[l * r->nrounds + k])))
                ws_fail_prefix(ctx, WS_ERR_FORMAT, "unit %s, round %d: ", sid[l], k);
        }
    }
    if (st) ws_online_seed_result_free(r);
    return st;
}

ws_status ws_units_online(ws_units *u, const ws_source *src, ws_online_seed_result *res, int *n) {
    online_arg a = {src, res};
    return frame(u, online_group, online_take, &a, n);
}

// ---- transfer --------------------------------------------------------------------------------

typedef struct {
    const ws_source *a, *b;
    ws_transfer_seed_result *res;
} transfer_arg;

static ws_status ensure_pretrained(ws_units *u, ws_transfer_seed *t, const char *id, const char *ckpt, int *state) {
    if (*state) return WS_OK;
    const cJSON *fin = ws_runner_finished(&u->run, id);
    if (fin && !is_done(fin)) return *state = -1, WS_OK;
    if (access(ckpt, F_OK) == 0 && ws_transfer_seed_load_pretrained(t, ckpt) == WS_OK) return *state = 1, WS_OK;
    ws_run_result r;
    ws_status st = ws_transfer_seed_pretrain(t, &r);
    ws_run_result_free(&r);
    if (st == WS_ERR_NUMERIC) return *state = -1, WS_OK;
    if (st || (st = ws_transfer_seed_save_pretrained(t, ckpt))) return st;
    return *state = 1, WS_OK;
}

static ws_status transfer_group(ws_units *u, void *arg, int i, unit_id *ids, int k0) {
    const transfer_arg *ta = arg;
    const ws_transfer_config *cfg = &u->e->transfer;
    ws_ctx *ctx = u->ctx;
    ws_transfer_seed *t;
    ws_status st = ws_transfer_seed_open(ctx, cfg, ta->a, ta->b, i, &t);
    if (st) return st;
    char ckpt[1400];
    ws_runner_ckpt(&u->run, ids[0], -1, ckpt, sizeof ckpt);
    int pre = 0;
    if (todo(u, k0, ids[0])) {
        ws_run_result r;
        st = ws_transfer_seed_pretrain(t, &r);
        if (st == WS_ERR_NUMERIC) st = record_diverged(u, ids[0], -1, r.train.diverged_epoch), pre = -1;
        else if (!st && !(st = ws_transfer_seed_save_pretrained(t, ckpt)))
            st = record_done(u, ids[0], ws_run_json(&r), NULL), pre = 1;
        ws_run_result_free(&r);
    }
    const int nl = cfg->base.nlearners;
    for (int k = 0; k < cfg->nfractions && !st; k++)
        for (int l = 0; l < nl && !st; l++) {
            const char *id = ids[1 + k * nl + l];
            if (!todo(u, k0 + 1 + k * nl + l, id)) continue;
            if ((st = ensure_pretrained(u, t, ids[0], ckpt, &pre))) break;
            if (pre < 0) {
                ws_fail(ctx, WS_ERR_NUMERIC, "pretraining of seed %llu diverged", (unsigned long long)ws_transfer_seed_value(t));
                st = record_diverged(u, id, -1, 0);
                continue;
            }
            ws_transfer_point pt;
            memset(&pt, 0, sizeof pt);
            st = ws_transfer_seed_point(t, k, l, &pt);
            if (st == WS_ERR_NUMERIC) st = record_diverged(u, id, -1, pt.runs[l].train.diverged_epoch);
            else if (!st) {
                cJSON *data = ws_run_json(&pt.runs[l]);
                cJSON_AddNumberToObject(data, "fraction", pt.fraction);
                cJSON_AddNumberToObject(data, "train_examples", (double)pt.n_train);
                if (cfg->base.learners[l].kind == WS_LEARNER_WARM)
                    cJSON_AddItemToObject(data, "warm_body_vs_pretrained", ws_similarity_json(&pt.warm_to_pretrained));
                st = record_done(u, id, data, NULL);
            }
            ws_run_result_free(&pt.runs[l]);
        }
    ws_transfer_seed_close(t);
    return st;
}

static ws_status transfer_take(ws_units *u, void *arg, int i, unit_id *sid, int slot) {
    const transfer_arg *ta = arg;
    const ws_transfer_config *cfg = &u->e->transfer;
    const int nl = cfg->base.nlearners;
    ws_ctx *ctx = u->ctx;
    ws_transfer_seed_result *r = &ta->res[slot];
    memset(r, 0, sizeof *r);
    r->seed = cfg->base.seed + (uint64_t)i;
    ws_status st = ws_run_from_json(ctx, cJSON_GetObjectItemCaseSensitive(ws_runner_finished(&u->run, sid[0]), "data"),
                                    &r->pretrain);
    if (st) return st;
    r->pretrain.learner = "pretrain";
    for (int k = 0; k < cfg->nfractions && !st; k++) {
        ws_transfer_point *p = &r->points[r->npoints++];
        for (int l = 0; l < nl && !st; l++) {
            const cJSON *data = cJSON_GetObjectItemCaseSensitive(ws_runner_finished(&u->run, sid[1 + k * nl + l]), "data");
            double f, m;
            if ((st = ws_run_from_json(ctx, data, &p->runs[l])) || (st = ws_json_number(ctx, data, "fraction", &f)) ||
                (st = ws_json_number(ctx, data, "train_examples", &m)))
                break;
            p->runs[l].learner = cfg->base.learners[l].name;
            p->fraction = f, p->n_train = (int64_t)m, p->nlearners = l + 1;
            ws_similarity_from_json(cJSON_GetObjectItemCaseSensitive(data, "warm_body_vs_pretrained"),
                                    &p->warm_to_pretrained);
        }
    }
    if (st) ws_transfer_seed_result_free(r);
    return st;
}

ws_status ws_units_transfer(ws_units *u, const ws_source *a, const ws_source *b, ws_transfer_seed_result *res, int *n) {
    transfer_arg ta = {a, b, res};
    return frame(u, transfer_group, transfer_take, &ta, n);
}
