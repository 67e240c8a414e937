// Scenario runs as units: see units.h and runner.h.
#define _POSIX_C_SOURCE 200809L
#include "exp/units.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exp/results.h"
#include "exp/scenario.h"
#include "exp/share.h"
#include "io/dir.h"
#include "io/json.h"



void ws_units_run_end(const ws_units *u) {
    if (u->h && u->h->run_end) u->h->run_end(u->h->user);
}

void ws_units_epoch_hook(void *user, uint64_t seed, const char *learner, const ws_epoch_record *rec) {
    const ws_hooks *h = user;
    if (h && h->epoch) h->epoch(h->user, seed, learner, rec);
}

// ---- ids and the plan --------------------------------------------------------------------------

int ws_units_group(const ws_experiment *e) { return ws_scenario_of(e->scenario)->group(e); }

static int seeds_of(const ws_experiment *e) { return e->batch.base.seeds; }

int ws_units_count(const ws_experiment *e) { return seeds_of(e) * ws_units_group(e); }

// Every unit's id, seed by seed, as the scenario names them.
static ws_unit_id *plan_ids(ws_ctx *ctx, const ws_experiment *e) {
    const int per = ws_units_group(e), total = ws_units_count(e);
    ws_unit_id *ids = ws_sys_calloc((size_t)(total > 0 ? total : 1), sizeof *ids);
    if (!ids) {
        if (ctx) ws_fail(ctx, WS_ERR_NOMEM, "out of memory");
        return NULL;
    }
    const ws_scenario *sc = ws_scenario_of(e->scenario);
    for (int i = 0; i < seeds_of(e); i++) sc->ids(e, e->batch.base.seed + (uint64_t)i, ids + i * per);
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
    o->group_units = ws_scenario_of(e->scenario)->independent ? 1 : ws_units_group(e);
}

void ws_units_plan(const ws_experiment *e, const ws_hooks *h, const ws_share *share) {
    ws_unit_id *ids = plan_ids(NULL, e);
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
        if (!e->opt.unit[0] && ws_share_source(share, e->point, k) >= 0) continue; // computed at an earlier point
        if (h && h->plan) h->plan(h->user, full);
    }
    free(ids);
}

// ---- opening ----------------------------------------------------------------------------------

// This point's units that an earlier point computed: its record, where that point has one,
// taken in memory under this point's id (not written: a resume, a shard or a merge takes it again).
static ws_status take_shared(ws_units *u) {
    const ws_share *s = u->share;
    ws_unit_id *ids = plan_ids(u->ctx, u->e);
    if (!ids) return ws_nomem(u->ctx);
    for (int k = 0; k < u->nunits; k++) {
        const int t = s->first[u->e->point] + k;
        if (ws_share_source(s, u->e->point, k) < 0 || !s->recs[t] || ws_runner_finished(u->run, ids[k])) continue;
        cJSON *rec = cJSON_Duplicate(s->recs[t], 1);
        if (!rec) return free(ids), ws_fail(u->ctx, WS_ERR_NOMEM, "out of memory");
        cJSON_ReplaceItemInObjectCaseSensitive(rec, "unit", cJSON_CreateString(ids[k]));
        ws_json_push(u->run->recs, rec);
        u->o->shared++;
    }
    free(ids);
    return WS_OK;
}

// The point holding total unit c, and c's index in it.
static int point_of(const ws_share *s, int c, int *k) {
    int q = 0;
    while (q + 1 < s->npoints && s->first[q + 1] <= c) q++;
    *k = c - s->first[q];
    return q;
}

// At the close: the records of this point that later points take (a unit's own, or a
// snapshot's "id@COUNT").
static void keep_shared(ws_units *u) {
    ws_share *s = u->share;
    const int p = u->e->point;
    if (!s || p < 0 || p >= s->npoints) return;
    ws_unit_id *ids = plan_ids(NULL, u->e);
    if (!ids) return;
    for (int t = s->first[p + 1]; t < s->total; t++) {
        const int c = s->canon[t], k = c - s->first[p];
        if (c == t || c < s->first[p] || c >= s->first[p + 1] || s->recs[t] || k >= u->nunits) continue;
        char rid[300];
        int kt, q = point_of(s, t, &kt);
        ws_share_record_id(s, q, kt, ids[k], rid, sizeof rid);
        const cJSON *rec = ws_runner_finished(u->run, rid);
        if (rec) s->recs[t] = cJSON_Duplicate(rec, 1);
    }
    free(ids);
}

void ws_units_ckpt(const ws_units *u, int k, const char *id, int round, char *buf, size_t cap) {
    const int t = ws_share_source(u->share, u->e->point, k);
    if (t < 0) {
        ws_runner_ckpt(u->run, id, round, buf, cap);
        return;
    }
    int kc;
    char rid[300];
    ws_share_record_id(u->share, u->e->point, k, id, rid, sizeof rid);
    ws_runner_ckpt_in(u->share->dirs[point_of(u->share, t, &kc)], rid, round, buf, cap);
}

int ws_units_snapshots(const ws_units *u, int k, const char *id, int **counts, ws_unit_id **ids) {
    *ids = NULL;
    const int n = ws_share_snapshots(u->share, u->e->point, k, counts);
    if (n <= 0) return n;
    if (!(*ids = ws_sys_calloc((size_t)n, sizeof **ids))) {
        free(*counts), *counts = NULL;
        return -1;
    }
    const int own = u->share->count[u->share->first[u->e->point] + k];
    for (int i = 0; i < n; i++) {
        if ((*counts)[i] == own) snprintf((*ids)[i], sizeof **ids, "%s", id);
        else ws_share_snapshot_id(id, (*counts)[i], (*ids)[i], sizeof **ids);
    }
    return n;
}

// Unit k (id)'s records that this point has yet to write: 1 for its own (if missing) and 1 for
// each snapshot of it that later points take (missing), counted into *missing; their number in all.
static int records_of(const ws_units *u, int k, const char *id, int *missing) {
    int *counts;
    ws_unit_id *ids;
    const int n = ws_units_snapshots(u, k, id, &counts, &ids);
    int all = 1;
    *missing = !ws_runner_finished(u->run, id);
    for (int i = 0; i < n; i++)
        if (strcmp(ids[i], id)) all++, *missing += !ws_runner_finished(u->run, ids[i]);
    free(counts), free(ids);
    return all;
}

ws_status ws_units_open(ws_units *u, ws_ctx *ctx, const ws_experiment *e, const ws_hooks *h, const cJSON *config,
                        ws_outcome *o, ws_share *share) {
    memset(u, 0, sizeof *u);
    u->ctx = ctx, u->e = e, u->h = h, u->o = o, u->who = ws_command_name(e->scenario), u->share = share;
    u->run = &u->runner;
    u->nunits = ws_units_count(e);
    ws_run_opts ro;
    plan_opts(e, &ro);
    ws_status st;
    if (e->opt.shard[0] && (st = ws_shard_parse(ctx, e->opt.shard, &ro.shard, &ro.nshards))) return st;
    if (e->nmerge) ro.merge = 1, ro.merge_dirs = (const char *const *)e->merge_dirs, ro.nmerge = e->nmerge;
    o->whole = e->nmerge || (!e->opt.shard[0] && !e->opt.unit[0]);
    if ((st = ws_dir_make(ctx, e->opt.out)) || (st = ws_runner_open(ctx, u->run, &ro, config))) return st;
    const ws_records *rf = &u->run->out; // the io layer has no hooks: its torn tail is said here
    if (rf->torn)
        ws_hooks_note(h, u->who, "%s ended with %lld byte%s of a record cut short (a write the machine did not finish); "
                                 "set aside in %s, and its unit runs again",
                      rf->path, rf->torn, rf->torn == 1 ? "" : "s", rf->torn_path);
    if (!e->opt.resume && o->whole && !e->nmerge) ws_results_remove(e->opt.out); // a fresh run: the last one's results go
    if (share && (st = take_shared(u))) ws_runner_close(u->run); // the caller closes only what opened
    return st;
}

void ws_units_close(ws_units *u) {
    keep_shared(u);
    ws_runner_close(u->run);
}

// ---- records ------------------------------------------------------------------------------------

// Is unit k (id) this process's? One an earlier sweep point computes is no one's (its record
// is taken), unless --unit names it.
static int unit_mine(const ws_units *u, int k, const char *id) {
    if (ws_share_source(u->share, u->e->point, k) >= 0 && !u->run->o.unit) return 0;
    return ws_runner_mine(u->run, k, id);
}

int ws_units_todo(const ws_units *u, int k, const char *id) {
    int missing;
    if (!unit_mine(u, k, id)) return 0;
    records_of(u, k, id, &missing);
    return missing > 0;
}

int ws_units_is_done(const cJSON *rec) {
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(rec, "status");
    return cJSON_IsString(s) && !strcmp(s->valuestring, "done");
}

// The units a job counts for (its parent), under their lock where jobs run at once.
static ws_units *counted(ws_units *u) {
    ws_units *m = u->parent ? u->parent : u;
    if (m->lock) pthread_mutex_lock(m->lock);
    return m;
}
static void uncounted(ws_units *m) {
    if (m->lock) pthread_mutex_unlock(m->lock);
}

// One more unit of this process's share recorded: the progress hook told.
static void progressed(ws_units *u, const char *id) {
    ws_units *m = counted(u);
    m->finished++;
    if (u->h && u->h->progress) u->h->progress(u->h->user, m->finished, m->mine, id);
    uncounted(m);
}

// A unit that stopped on NaN/Inf: its record says where (the reason is in ctx->err); the rest go on.
ws_status ws_units_record_diverged(ws_units *u, const char *id, int round, int epoch) {
    cJSON *rec = cJSON_CreateObject();
    cJSON_AddStringToObject(rec, "status", "diverged");
    if (round >= 0) cJSON_AddNumberToObject(rec, "round", round);
    cJSON_AddNumberToObject(rec, "epoch", epoch);
    cJSON_AddStringToObject(rec, "error", u->ctx->err);
    ws_hooks_note(u->h, u->who, "unit %s%s diverged (%s); the other units go on", u->e->prefix, id, u->ctx->err);
    ws_status st = ws_runner_append(u->run, id, rec);
    if (!st) progressed(u, id);
    return st;
}

ws_status ws_units_record_done(ws_units *u, const char *id, cJSON *data, cJSON *seed) {
    cJSON *rec = cJSON_CreateObject();
    cJSON_AddStringToObject(rec, "status", "done");
    if (data) ws_json_put(rec, "data", data);
    if (seed) ws_json_put(rec, "seed", seed);
    ws_units *m = counted(u);
    m->o->ran++;
    uncounted(m);
    ws_status st = ws_runner_append(u->run, id, rec);
    if (!st) progressed(u, id);
    return st;
}

// Every unit finished? When merging, missing ones are an error naming them.
static ws_status check_complete(ws_units *u, ws_unit_id *ids, int n) {
    int missing = 0;
    const char *first = NULL;
    for (int j = 0; j < n; j++)
        if (!ws_runner_finished(u->run, ids[j])) {
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
    const cJSON *rec = ws_runner_finished(u->run, id);
    const cJSON *err = cJSON_GetObjectItemCaseSensitive(rec, "error");
    size_t len = strlen(u->excluded);
    snprintf(u->excluded + len, sizeof u->excluded - len, "%sseed %llu left out: %s diverged (%s)", len ? "\n" : "",
             (unsigned long long)seed, id, cJSON_IsString(err) ? err->valuestring : "?");
}

// The run stops on the program's request (ws_hooks.should_stop): a message saying where (what it
// keeps is added by ws_units_run_groups, which every stop goes through).
ws_status ws_units_interrupted(ws_units *u, const char *after) {
    if (!after) return ws_fail(u->ctx, WS_ERR_INTERRUPTED, "stopped on request before its first unit");
    return ws_fail(u->ctx, WS_ERR_INTERRUPTED, "stopped on request after %s%s", u->e->prefix, after);
}

int ws_units_group_todo(const ws_units *u, const ws_unit_id *ids, int i, int per) {
    for (int j = 0; j < per; j++)
        if (ws_units_todo(u, i * per + j, ids[i * per + j])) return 1;
    return 0;
}

ws_status ws_units_frame(ws_units *u, ws_group_fn run, ws_take_fn take, void *arg, int *n) {
    *n = 0;
    const int per = ws_units_group(u->e), seeds = seeds_of(u->e), total = seeds * per;
    ws_unit_id *ids = plan_ids(u->ctx, u->e);
    if (!ids) return ws_nomem(u->ctx);
    ws_status st = WS_OK;
    for (int k = 0; k < total; k++) {
        if (!unit_mine(u, k, ids[k])) continue;
        int missing, all = records_of(u, k, ids[k], &missing); // a unit with snapshots records them too
        u->mine += all;
        u->finished += all - missing;
    }
    u->o->skipped += u->finished;
    if (u->h && u->h->progress) u->h->progress(u->h->user, u->finished, u->mine, NULL); // before the first unit
    st = ws_units_run_groups(u, run, arg, ids, seeds, per);
    if (st || !u->o->whole || (st = check_complete(u, ids, total))) goto done;
    u->o->complete = 1;
    for (int i = 0; i < seeds && !st; i++) {
        ws_unit_id *sid = ids + i * per;
        int ok = 1;
        for (int j = 0; j < per && ok; j++)
            if (!ws_units_is_done(ws_runner_finished(u->run, sid[j]))) note_excluded(u, u->e->batch.base.seed + (uint64_t)i, sid[j]), ok = 0;
        if (ok && !(st = take(u, arg, i, sid, *n))) (*n)++;
    }
done:
    free(ids);
    return st;
}

// The chain from the checkpoint of its last recorded round, if any (last: that round, -1 none).
static ws_status open_resumed(ws_units *u, const ws_chain_ops *ops, const void *arg, int i, int l, const char *id,
                              int last, void **c) {
    ws_ctx *ctx = u->ctx;
    ws_status st = ops->open(u, arg, i, l, c);
    if (st || last < 0) return st;
    char ckpt[1400];
    ws_runner_ckpt(u->run, id, last, ckpt, sizeof ckpt);
    if (ops->load(*c, ckpt) != WS_OK) {
        // No usable checkpoint: rerun the recorded rounds (the same bits) without recording them again.
        ws_hooks_note(u->h, u->who, "%s; unit %s starts over (its recorded %ss are kept)", ctx->err, id, ops->round);
        ops->close(*c);
        if ((st = ops->open(u, arg, i, l, c))) return st;
    }
    ws_units *m = counted(u);
    m->o->partial++;
    uncounted(m);
    return WS_OK;
}

// Round r's checkpoint, then its record, then the older checkpoint removed.
static ws_status record_round(ws_units *u, const ws_chain_ops *ops, void *c, const char *id, int r, const void *rec) {
    char ckpt[1400];
    ws_runner_ckpt(u->run, id, r, ckpt, sizeof ckpt);
    ws_status st = ops->save(c, ckpt);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "round", r);
    ws_json_put(o, "data", ops->rec_json(c, rec));
    if (!st) st = ws_runner_append(u->run, id, o);
    else cJSON_Delete(o);
    if (!st) ws_runner_ckpt_prune(u->run, id, r);
    return st;
}

ws_status ws_units_run_chain(ws_units *u, const ws_chain_ops *ops, const void *arg, int i, int l, const char *id) {
    const ws_setup *base = ws_experiment_setup(u->e);
    const int last = ws_runner_last_round(u->run, id);
    void *c, *rec = ws_sys_calloc(1, ops->rec_size);
    if (!rec) return ws_fail(u->ctx, WS_ERR_NOMEM, "out of memory");
    ws_status st = open_resumed(u, ops, arg, i, l, id, last, &c);
    if (st) return free(rec), st;
    int diverged = 0;
    for (int r = ops->next(c), n = ops->rounds(c); r < n && !st && !diverged; r++) {
        ws_status step = ops->step(c, rec);
        if (step == WS_ERR_NUMERIC) st = ws_units_record_diverged(u, id, r, ops->diverged_epoch(rec)), diverged = 1;
        else if (step) st = step;
        else if (r > last) st = record_round(u, ops, c, id, r, rec);
        if (!step && u->h) ops->hook(u->h, base->seed + (uint64_t)i, base->learners[l].name, rec);
        ops->rec_free(rec);
        if (!st && !diverged && r + 1 < n && ws_hooks_stop(u->h))
            st = ws_fail(u->ctx, WS_ERR_INTERRUPTED, "stopped on request after %s %d of %s%s", ops->round, r, u->e->prefix, id);
    }
    ws_units_run_end(u);
    if (!st && !diverged) {
        st = ws_units_record_done(u, id, NULL, ops->seed_json(c));
        if (!st) ws_runner_ckpt_prune(u->run, id, -2);
    }
    ops->close(c);
    free(rec);
    return st;
}
