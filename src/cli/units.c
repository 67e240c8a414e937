// Scenario runs as units: see units.h and exp/runner.h.
#define _POSIX_C_SOURCE 200809L
#include "cli/units.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/atomic.h"

int parse_shard(const char *text, int *shard, int *nshards, char *err, size_t cap) {
    int used = 0, i = 0, n = 0;
    if (!strncmp(text, "slurm/", 6)) {
        // A Slurm job array's task: SLURM_ARRAY_TASK_ID, counted from the array's first index.
        const char *id = getenv("SLURM_ARRAY_TASK_ID"), *min = getenv("SLURM_ARRAY_TASK_MIN");
        char *end;
        long v = id ? strtol(id, &end, 10) : -1, lo = min ? strtol(min, NULL, 10) : 1;
        if (!id || end == id || *end)
            return snprintf(err, cap, "--shard %s: SLURM_ARRAY_TASK_ID is not set to a number (run it as a job array "
                                      "task, or give I/N)", text), 1;
        i = (int)(v - lo + 1);
        if (sscanf(text + 6, "%d%n", &n, &used) != 1 || text[6 + used])
            return snprintf(err, cap, "--shard %s: expected slurm/N", text), 1;
    } else if (sscanf(text, "%d/%d%n", &i, &n, &used) != 2 || text[used]) {
        return snprintf(err, cap, "--shard %s: expected I/N (e.g. 2/4) or slurm/N", text), 1;
    }
    if (n < 1 || i < 1 || i > n)
        return snprintf(err, cap, "--shard %s: shard %d of %d: expected 1 <= I <= N", text, i, n), 1;
    *shard = i, *nshards = n;
    return 0;
}

int run_opts_check(const char *cmd, const run_opts *ro) {
    int I, N;
    char err[600];
    if (ro->shard && ro->unit) return die(cmd, "--shard and --unit: give one of them");
    if (ro->shard && parse_shard(ro->shard, &I, &N, err, sizeof err)) return die(cmd, err);
    return 0;
}

// ---- opening, ids, plan ------------------------------------------------------------------------

int unit_run_open(unit_run *u, const char *cmd, ws_ctx *ctx, const run_opts *ro, const char *out, const cJSON *config,
                  int nunits, int group_units) {
    memset(u, 0, sizeof *u);
    u->cmd = cmd, u->ctx = ctx, u->ro = *ro, u->out = out, u->nunits = nunits;
    ws_run_opts o = {.dir = out, .resume = ro->resume, .unit = ro->unit, .prefix = ro->prefix, .point = ro->point,
                     .point_units = nunits, .npoints = ro->npoints, .group_units = group_units};
    if (ro->shard && parse_shard(ro->shard, &o.shard, &o.nshards, ctx->err, sizeof ctx->err)) return die(cmd, ctx->err);
    if (ro->shard && ro->unit) return die(cmd, "--shard and --unit: give one of them");
    if (ro->merge) {
        char *list = strdup(ro->merge), *save = NULL;
        for (char *p = strtok_r(list, ",", &save); p && u->nmerge < 64; p = strtok_r(NULL, ",", &save))
            u->merge_dirs[u->nmerge++] = strdup(p);
        free(list);
        o.merge = 1, o.merge_dirs = (const char *const *)u->merge_dirs, o.nmerge = u->nmerge;
    }
    u->whole = ro->merge || (!ro->shard && !ro->unit);
    int failed = ensure_dir(cmd, out, ctx);
    if (!failed && ws_runner_open(ctx, &u->run, &o, config)) failed = die(cmd, ctx->err);
    if (failed) {
        for (int i = 0; i < u->nmerge; i++) free(u->merge_dirs[i]);
        u->nmerge = 0;
        return 1;
    }
    if (!ro->resume && u->whole && !ro->merge) {
        // A fresh run: the results of the last one go with its records.
        const char *outputs[] = {"batch.jsonl", "batch.csv", "online.jsonl", "online.csv", "transfer.jsonl", "transfer.csv"};
        for (size_t i = 0; i < sizeof outputs / sizeof *outputs; i++) {
            char path[1400];
            snprintf(path, sizeof path, "%s/%s", out, outputs[i]);
            unlink(path);
        }
    }
    return 0;
}

void unit_run_close(unit_run *u) {
    ws_runner_close(&u->run);
    for (int i = 0; i < u->nmerge; i++) free(u->merge_dirs[i]);
    u->nmerge = 0;
}

void unit_run_summary(const unit_run *u) {
    if (u->ro.merge) return;
    if (u->skipped || u->partial)
        fprintf(stderr, "warmstart %s: resumed %s: %d unit%s already finished, %d chain%s continued mid-way\n", u->cmd,
                u->out, u->skipped, u->skipped == 1 ? "" : "s", u->partial, u->partial == 1 ? "" : "s");
    if (u->complete) return;
    if (u->ro.shard)
        printf("shard %s of %s: %d unit%s run here, %d already finished; when every shard has run: warmstart merge %s\n",
               u->ro.shard, u->out, u->ran, u->ran == 1 ? "" : "s", u->skipped, u->out);
    else if (u->ro.unit)
        printf("unit %s: %s in %s; when every unit has run: warmstart merge %s\n", u->ro.unit,
               u->ran ? "run" : "already finished", u->out, u->out);
}

static void seed_id(char *buf, size_t cap, uint64_t seed, const char *what) {
    snprintf(buf, cap, "s%llu/%s", (unsigned long long)seed, what);
}

static void point_id(char *buf, size_t cap, uint64_t seed, double fraction, const char *learner) {
    snprintf(buf, cap, "s%llu/%gpct/%s", (unsigned long long)seed, 100 * fraction, learner);
}

int units_count_batch(const ws_batch_config *cfg) { return cfg->seeds * units_group_batch(cfg); }
int units_count_online(const ws_online_config *cfg) { return cfg->base.seeds * cfg->base.nlearners; }
int units_count_transfer(const ws_transfer_config *cfg) {
    return cfg->base.seeds * units_group_transfer(cfg);
}
int units_group_batch(const ws_batch_config *cfg) { return 1 + cfg->nlearners; }
int units_group_transfer(const ws_transfer_config *cfg) { return 1 + cfg->nfractions * cfg->base.nlearners; }

// A plan line, for unit k of n (in groups of g): all of them, or those of --shard / --unit.
static void plan_line(const run_opts *ro, int k, int n, int g, const char *id) {
    char full[300];
    snprintf(full, sizeof full, "%s%s", ro->prefix ? ro->prefix : "", id);
    ws_run_opts o = {.point = ro->point, .npoints = ro->npoints, .point_units = n, .group_units = g};
    char err[300];
    if (ro->unit && strcmp(ro->unit, full)) return;
    if (ro->shard && (parse_shard(ro->shard, &o.shard, &o.nshards, err, sizeof err) || !ws_unit_in_shard(&o, k))) return;
    printf("%s\n", full);
}

void units_plan_batch(const run_opts *ro, const ws_batch_config *cfg) {
    char id[200];
    int k = 0, n = units_count_batch(cfg), g = units_group_batch(cfg);
    for (int i = 0; i < cfg->seeds; i++) {
        seed_id(id, sizeof id, cfg->seed + (uint64_t)i, "phase1");
        plan_line(ro, k++, n, g, id);
        for (int l = 0; l < cfg->nlearners; l++) {
            seed_id(id, sizeof id, cfg->seed + (uint64_t)i, cfg->learners[l].name);
            plan_line(ro, k++, n, g, id);
        }
    }
}

void units_plan_online(const run_opts *ro, const ws_online_config *cfg) {
    char id[200];
    int k = 0, n = units_count_online(cfg), g = 1; // chains are independent
    for (int i = 0; i < cfg->base.seeds; i++)
        for (int l = 0; l < cfg->base.nlearners; l++) {
            seed_id(id, sizeof id, cfg->base.seed + (uint64_t)i, cfg->base.learners[l].name);
            plan_line(ro, k++, n, g, id);
        }
}

void units_plan_transfer(const run_opts *ro, const ws_transfer_config *cfg) {
    char id[200];
    int j = 0, n = units_count_transfer(cfg), g = units_group_transfer(cfg);
    for (int i = 0; i < cfg->base.seeds; i++) {
        const uint64_t seed = cfg->base.seed + (uint64_t)i;
        seed_id(id, sizeof id, seed, "pretrain");
        plan_line(ro, j++, n, g, id);
        for (int k = 0; k < cfg->nfractions; k++)
            for (int l = 0; l < cfg->base.nlearners; l++) {
                point_id(id, sizeof id, seed, cfg->fractions[k], cfg->base.learners[l].name);
                plan_line(ro, j++, n, g, id);
            }
    }
}

// ---- records ---------------------------------------------------------------------------------

static int todo(const unit_run *u, int k, const char *id) {
    if (!ws_runner_mine(&u->run, k, id)) return 0;
    return !ws_runner_finished(&u->run, id);
}

static int append(unit_run *u, const char *id, cJSON *rec) {
    if (ws_runner_append(&u->run, id, rec)) return die(u->cmd, u->ctx->err);
    return 0;
}

// A unit that stopped on NaN/Inf: its record says where; the rest go on.
static int record_diverged(unit_run *u, const char *id, int round, int epoch) {
    cJSON *rec = cJSON_CreateObject();
    cJSON_AddStringToObject(rec, "status", "diverged");
    if (round >= 0) cJSON_AddNumberToObject(rec, "round", round);
    cJSON_AddNumberToObject(rec, "epoch", epoch);
    cJSON_AddStringToObject(rec, "error", u->ctx->err);
    fprintf(stderr, "warmstart %s: unit %s%s diverged (%s); the other units go on\n", u->cmd,
            u->ro.prefix ? u->ro.prefix : "", id, u->ctx->err);
    return append(u, id, rec);
}

static int record_done(unit_run *u, const char *id, cJSON *data, cJSON *seed) {
    cJSON *rec = cJSON_CreateObject();
    cJSON_AddStringToObject(rec, "status", "done");
    if (data) cJSON_AddItemToObject(rec, "data", data);
    if (seed) cJSON_AddItemToObject(rec, "seed", seed);
    u->ran++;
    return append(u, id, rec);
}

static int is_done(const cJSON *rec) {
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(rec, "status");
    return cJSON_IsString(s) && !strcmp(s->valuestring, "done");
}

// Every unit finished? When merging, missing ones are an error naming them.
static int check_complete(unit_run *u, char ids[][200], int n) {
    int missing = 0;
    const char *first = NULL;
    for (int j = 0; j < n; j++)
        if (!ws_runner_finished(&u->run, ids[j])) {
            if (!first) first = ids[j];
            missing++;
        }
    if (!missing) return 0;
    snprintf(u->ctx->err, sizeof u->ctx->err,
             "%d of %d units have no result yet (the first: %s%s); run the missing shards (or the run again with "
             "--resume), then merge",
             missing, n, u->ro.prefix ? u->ro.prefix : "", first);
    return die(u->cmd, u->ctx->err);
}

static void note_excluded(unit_run *u, uint64_t seed, const char *id) {
    const cJSON *rec = ws_runner_finished(&u->run, id);
    const cJSON *err = cJSON_GetObjectItemCaseSensitive(rec, "error");
    size_t len = strlen(u->excluded);
    snprintf(u->excluded + len, sizeof u->excluded - len, "%sseed %llu left out: %s diverged (%s)", len ? "\n" : "",
             (unsigned long long)seed, id, cJSON_IsString(err) ? err->valuestring : "?");
}

// All ids of the plan, for the completeness check.
static char (*plan_ids(int n))[200] { return calloc((size_t)(n > 0 ? n : 1), 200); }

// ---- batch -----------------------------------------------------------------------------------

static cJSON *batch_seed_json(const ws_batch_seed_result *info) {
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "seed", (double)info->seed);
    cJSON_AddNumberToObject(j, "n_pool", (double)info->n_pool);
    cJSON_AddNumberToObject(j, "n_first", (double)info->n_first);
    cJSON_AddNumberToObject(j, "n_eval", (double)info->n_eval);
    cJSON_AddItemToObject(j, "normalization", ws_norm_json(&info->norm));
    return j;
}

// Phase 1 for the learners' sake: from its checkpoint, else run (and saved).
// Returns 1 on a hard error, sets *state to 1 (ready) or -1 (it diverges).
static int ensure_phase1(unit_run *u, ws_batch_seed *b, const char *id, const char *ckpt, progress *pr, int *state) {
    if (*state) return 0;
    const cJSON *fin = ws_runner_finished(&u->run, id);
    if (fin && !is_done(fin)) return *state = -1, 0;
    if (access(ckpt, F_OK) == 0 && ws_batch_seed_load_phase1(b, ckpt) == WS_OK) return *state = 1, 0;
    ws_run_result r;
    ws_status st = ws_batch_seed_phase1(b, on_epoch, pr, &r);
    progress_done(pr);
    ws_train_result_free(&r.train);
    if (st == WS_ERR_NUMERIC) return *state = -1, 0;
    if (st || ws_batch_seed_save_phase1(b, ckpt)) return die(u->cmd, u->ctx->err);
    return *state = 1, 0;
}

static int run_batch_seed(unit_run *u, const ws_batch_config *cfg, const ws_source *src, progress *pr, int i,
                          char ids[][200], int k0) {
    ws_ctx *ctx = u->ctx;
    ws_batch_seed *b;
    if (ws_batch_seed_open(ctx, cfg, src, i, &b)) return die(u->cmd, ctx->err);
    ws_batch_seed_result info;
    ws_batch_seed_info(b, &info);
    char ckpt[1400];
    ws_runner_ckpt(&u->run, ids[0], -1, ckpt, sizeof ckpt);
    int rc = 0, p1 = 0;
    if (todo(u, k0, ids[0])) {
        ws_run_result r;
        ws_status st = ws_batch_seed_phase1(b, on_epoch, pr, &r);
        progress_done(pr);
        if (st == WS_ERR_NUMERIC) {
            rc = record_diverged(u, ids[0], -1, r.train.diverged_epoch);
            p1 = -1;
        } else if (st || ws_batch_seed_save_phase1(b, ckpt)) {
            rc = die(u->cmd, ctx->err);
        } else {
            rc = record_done(u, ids[0], ws_run_json(&r), batch_seed_json(&info));
            p1 = 1;
        }
        ws_train_result_free(&r.train);
    }
    for (int l = 0; l < cfg->nlearners && !rc; l++) {
        const char *id = ids[1 + l];
        if (!todo(u, k0 + 1 + l, id)) continue;
        if ((rc = ensure_phase1(u, b, ids[0], ckpt, pr, &p1))) break;
        if (p1 < 0) {
            snprintf(ctx->err, sizeof ctx->err, "phase 1 of seed %llu diverged", (unsigned long long)info.seed);
            rc = record_diverged(u, id, -1, 0);
            continue;
        }
        ws_run_result r;
        ws_status st = ws_batch_seed_learner(b, l, on_epoch, pr, &r);
        progress_done(pr);
        if (st == WS_ERR_NUMERIC) rc = record_diverged(u, id, -1, r.train.diverged_epoch);
        else if (st) rc = die(u->cmd, ctx->err);
        else {
            fprintf(stderr, "  seed %llu: %s %.2f%% (%.1fs)\n", (unsigned long long)info.seed, id + strcspn(id, "/") + 1,
                    100 * r.test_acc, r.train.seconds);
            rc = record_done(u, id, ws_run_json(&r), NULL);
        }
        ws_train_result_free(&r.train);
    }
    ws_batch_seed_close(b);
    return rc;
}

int units_batch(unit_run *u, const ws_batch_config *cfg, const ws_source *src, progress *pr, ws_batch_seed_result *res,
                int *n) {
    *n = 0;
    const int per = 1 + cfg->nlearners, total = cfg->seeds * per;
    char(*ids)[200] = plan_ids(total);
    if (!ids) return die(u->cmd, "out of memory");
    for (int i = 0; i < cfg->seeds; i++) {
        seed_id(ids[i * per], 200, cfg->seed + (uint64_t)i, "phase1");
        for (int l = 0; l < cfg->nlearners; l++) seed_id(ids[i * per + 1 + l], 200, cfg->seed + (uint64_t)i, cfg->learners[l].name);
    }
    int rc = 0;
    for (int k = 0; k < total; k++) u->skipped += ws_runner_mine(&u->run, k, ids[k]) && ws_runner_finished(&u->run, ids[k]);
    for (int i = 0; i < cfg->seeds && !rc; i++) {
        int need = 0;
        for (int j = 0; j < per; j++) need |= todo(u, i * per + j, ids[i * per + j]);
        if (need) rc = run_batch_seed(u, cfg, src, pr, i, ids + i * per, i * per);
    }
    if (rc || !u->whole || (rc = check_complete(u, ids, total))) goto done;
    u->complete = 1;
    for (int i = 0; i < cfg->seeds && !rc; i++) {
        char(*sid)[200] = ids + i * per;
        int ok = 1;
        for (int j = 0; j < per && ok; j++)
            if (!is_done(ws_runner_finished(&u->run, sid[j]))) note_excluded(u, cfg->seed + (uint64_t)i, sid[j]), ok = 0;
        if (!ok) continue;
        ws_batch_seed_result *r = &res[*n];
        memset(r, 0, sizeof *r);
        const cJSON *p1 = ws_runner_finished(&u->run, sid[0]), *seed = cJSON_GetObjectItemCaseSensitive(p1, "seed");
        double s, pool, first, ev;
        ws_ctx *ctx = u->ctx;
        if (ws_json_number(ctx, seed, "seed", &s) || ws_json_number(ctx, seed, "n_pool", &pool) ||
            ws_json_number(ctx, seed, "n_first", &first) || ws_json_number(ctx, seed, "n_eval", &ev) ||
            ws_norm_from_json(ctx, cJSON_GetObjectItemCaseSensitive(seed, "normalization"), &r->norm) ||
            ws_run_from_json(ctx, cJSON_GetObjectItemCaseSensitive(p1, "data"), &r->phase1)) {
            rc = die(u->cmd, ctx->err);
            break;
        }
        r->seed = (uint64_t)s, r->n_pool = (int64_t)pool, r->n_first = (int64_t)first, r->n_eval = (int64_t)ev;
        r->phase1.learner = "phase1";
        for (int l = 0; l < cfg->nlearners && !rc; l++) {
            const cJSON *rec = ws_runner_finished(&u->run, sid[1 + l]);
            if (ws_run_from_json(ctx, cJSON_GetObjectItemCaseSensitive(rec, "data"), &r->runs[l])) rc = die(u->cmd, ctx->err);
            r->runs[l].learner = cfg->learners[l].name;
            r->nruns = l + 1;
        }
        (*n)++;
    }
done:
    free(ids);
    return rc;
}

// ---- online / active -------------------------------------------------------------------------

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

// One learner's chain: from the checkpoint of its last recorded round, if any;
// each round checkpointed, then recorded, then the older checkpoint removed.
static int run_chain(unit_run *u, const ws_online_config *cfg, const ws_source *src, progress *pr, int i, int l,
                     const char *id) {
    ws_ctx *ctx = u->ctx;
    ws_online_chain *c;
    if (ws_online_chain_open(ctx, cfg, src, i, l, &c)) return die(u->cmd, ctx->err);
    const int last = ws_runner_last_round(&u->run, id);
    char ckpt[1400];
    if (last >= 0) {
        ws_runner_ckpt(&u->run, id, last, ckpt, sizeof ckpt);
        if (ws_online_chain_load(c, ckpt) != WS_OK) {
            // No usable checkpoint: rerun the recorded rounds (the same bits) without recording them again.
            fprintf(stderr, "warmstart %s: %s; unit %s starts over (its recorded rounds are kept)\n", u->cmd, ctx->err, id);
            ws_online_chain_close(c);
            if (ws_online_chain_open(ctx, cfg, src, i, l, &c)) return die(u->cmd, ctx->err);
        }
        u->partial++;
    }
    const int nr = ws_online_chain_rounds(c);
    int rc = 0, diverged = 0;
    for (int r = ws_online_chain_next(c); r < nr && !rc && !diverged; r++) {
        ws_online_round rec;
        ws_status st = ws_online_chain_step(c, &rec);
        if (st == WS_ERR_NUMERIC) {
            rc = record_diverged(u, id, r, rec.train.diverged_epoch);
            diverged = 1;
        } else if (st) {
            rc = die(u->cmd, ctx->err);
        } else if (r > last) {
            ws_online_seed_result info;
            ws_online_chain_info(c, &info);
            ws_runner_ckpt(&u->run, id, r, ckpt, sizeof ckpt);
            if (ws_online_chain_save(c, ckpt)) rc = die(u->cmd, ctx->err);
            cJSON *o = cJSON_CreateObject();
            cJSON_AddNumberToObject(o, "round", r);
            cJSON_AddItemToObject(o, "data", ws_online_round_json(&rec, info.num_classes));
            if (!rc) rc = append(u, id, o);
            else cJSON_Delete(o);
            if (!rc) ws_runner_ckpt_prune(&u->run, id, r);
        }
        if (!st) on_round(pr, cfg->base.seed + (uint64_t)i, cfg->base.learners[l].name, &rec);
        ws_train_result_free(&rec.train);
    }
    progress_done(pr);
    if (!rc && !diverged) {
        ws_online_seed_result info;
        ws_online_chain_info(c, &info);
        rc = record_done(u, id, NULL, online_seed_json(&info));
        if (!rc) ws_runner_ckpt_prune(&u->run, id, -2);
    }
    ws_online_chain_close(c);
    return rc;
}

int units_online(unit_run *u, const ws_online_config *cfg, const ws_source *src, progress *pr,
                 ws_online_seed_result *res, int *n) {
    *n = 0;
    const int nl = cfg->base.nlearners, total = cfg->base.seeds * nl;
    char(*ids)[200] = plan_ids(total);
    if (!ids) return die(u->cmd, "out of memory");
    for (int i = 0; i < cfg->base.seeds; i++)
        for (int l = 0; l < nl; l++) seed_id(ids[i * nl + l], 200, cfg->base.seed + (uint64_t)i, cfg->base.learners[l].name);
    int rc = 0;
    for (int k = 0; k < total; k++) u->skipped += ws_runner_mine(&u->run, k, ids[k]) && ws_runner_finished(&u->run, ids[k]);
    for (int k = 0; k < total && !rc; k++)
        if (todo(u, k, ids[k])) rc = run_chain(u, cfg, src, pr, k / nl, k % nl, ids[k]);
    if (rc || !u->whole || (rc = check_complete(u, ids, total))) goto done;
    u->complete = 1;
    ws_ctx *ctx = u->ctx;
    for (int i = 0; i < cfg->base.seeds && !rc; i++) {
        char(*sid)[200] = ids + i * nl;
        int ok = 1;
        for (int l = 0; l < nl && ok; l++)
            if (!is_done(ws_runner_finished(&u->run, sid[l]))) note_excluded(u, cfg->base.seed + (uint64_t)i, sid[l]), ok = 0;
        if (!ok) continue;
        ws_online_seed_result *r = &res[*n];
        memset(r, 0, sizeof *r);
        const cJSON *seed = cJSON_GetObjectItemCaseSensitive(ws_runner_finished(&u->run, sid[0]), "seed");
        double s, pool, ev, rounds, classes;
        if (ws_json_number(ctx, seed, "seed", &s) || ws_json_number(ctx, seed, "n_pool", &pool) ||
            ws_json_number(ctx, seed, "n_eval", &ev) || ws_json_number(ctx, seed, "rounds", &rounds) ||
            ws_json_number(ctx, seed, "classes", &classes) ||
            ws_norm_from_json(ctx, cJSON_GetObjectItemCaseSensitive(seed, "normalization"), &r->norm)) {
            rc = die(u->cmd, ctx->err);
            break;
        }
        r->seed = (uint64_t)s, r->n_pool = (int64_t)pool, r->n_eval = (int64_t)ev;
        r->nrounds = (int)rounds, r->num_classes = (int)classes, r->nlearners = nl;
        if (!(r->rounds = ws_alloc(ctx, sizeof *r->rounds * (size_t)(r->nrounds * nl)))) {
            rc = die(u->cmd, "out of memory");
            break;
        }
        (*n)++;
        for (int l = 0; l < nl && !rc; l++) {
            snprintf(r->learner_names[l], sizeof r->learner_names[l], "%s", cfg->base.learners[l].name);
            for (int k = 0; k < r->nrounds && !rc; k++) {
                const cJSON *rec = ws_runner_round(&u->run, sid[l], k);
                if (!rec) {
                    snprintf(ctx->err, sizeof ctx->err, "unit %s: no record of round %d", sid[l], k);
                    rc = die(u->cmd, ctx->err);
                } else if (ws_online_round_from_json(ctx, cJSON_GetObjectItemCaseSensitive(rec, "data"),
                                                     &r->rounds[l * r->nrounds + k])) {
                    ws_fail_prefix(ctx, WS_ERR_FORMAT, "unit %s, round %d: ", sid[l], k);
                    rc = die(u->cmd, ctx->err);
                }
            }
        }
    }
done:
    free(ids);
    return rc;
}

// ---- transfer --------------------------------------------------------------------------------

static int ensure_pretrained(unit_run *u, ws_transfer_seed *t, const char *id, const char *ckpt, int *state) {
    if (*state) return 0;
    const cJSON *fin = ws_runner_finished(&u->run, id);
    if (fin && !is_done(fin)) return *state = -1, 0;
    if (access(ckpt, F_OK) == 0 && ws_transfer_seed_load_pretrained(t, ckpt) == WS_OK) return *state = 1, 0;
    ws_run_result r;
    ws_status st = ws_transfer_seed_pretrain(t, &r);
    ws_train_result_free(&r.train);
    if (st == WS_ERR_NUMERIC) return *state = -1, 0;
    if (st || ws_transfer_seed_save_pretrained(t, ckpt)) return die(u->cmd, u->ctx->err);
    return *state = 1, 0;
}

static int run_transfer_seed(unit_run *u, const ws_transfer_config *cfg, const ws_source *a, const ws_source *b, int i,
                             char ids[][200], int k0) {
    ws_ctx *ctx = u->ctx;
    ws_transfer_seed *t;
    if (ws_transfer_seed_open(ctx, cfg, a, b, i, &t)) return die(u->cmd, ctx->err);
    char ckpt[1400];
    ws_runner_ckpt(&u->run, ids[0], -1, ckpt, sizeof ckpt);
    int rc = 0, pre = 0;
    if (todo(u, k0, ids[0])) {
        ws_run_result r;
        ws_status st = ws_transfer_seed_pretrain(t, &r);
        if (st == WS_ERR_NUMERIC) rc = record_diverged(u, ids[0], -1, r.train.diverged_epoch), pre = -1;
        else if (st || ws_transfer_seed_save_pretrained(t, ckpt)) rc = die(u->cmd, ctx->err);
        else rc = record_done(u, ids[0], ws_run_json(&r), NULL), pre = 1;
        ws_train_result_free(&r.train);
    }
    const int nl = cfg->base.nlearners;
    for (int k = 0; k < cfg->nfractions && !rc; k++)
        for (int l = 0; l < nl && !rc; l++) {
            const char *id = ids[1 + k * nl + l];
            if (!todo(u, k0 + 1 + k * nl + l, id)) continue;
            if ((rc = ensure_pretrained(u, t, ids[0], ckpt, &pre))) break;
            if (pre < 0) {
                snprintf(ctx->err, sizeof ctx->err, "pretraining of seed %llu diverged",
                         (unsigned long long)ws_transfer_seed_value(t));
                rc = record_diverged(u, id, -1, 0);
                continue;
            }
            ws_transfer_point pt;
            memset(&pt, 0, sizeof pt);
            ws_status st = ws_transfer_seed_point(t, k, l, &pt);
            if (st == WS_ERR_NUMERIC) rc = record_diverged(u, id, -1, pt.runs[l].train.diverged_epoch);
            else if (st) rc = die(u->cmd, ctx->err);
            else {
                cJSON *data = ws_run_json(&pt.runs[l]);
                cJSON_AddNumberToObject(data, "fraction", pt.fraction);
                cJSON_AddNumberToObject(data, "train_examples", (double)pt.n_train);
                if (cfg->base.learners[l].kind == WS_LEARNER_WARM)
                    cJSON_AddItemToObject(data, "warm_body_vs_pretrained", ws_similarity_json(&pt.warm_to_pretrained));
                rc = record_done(u, id, data, NULL);
            }
            ws_train_result_free(&pt.runs[l].train);
        }
    ws_transfer_seed_close(t);
    return rc;
}

int units_transfer(unit_run *u, const ws_transfer_config *cfg, const ws_source *a, const ws_source *b,
                   ws_transfer_seed_result *res, int *n) {
    *n = 0;
    const int nl = cfg->base.nlearners, per = 1 + cfg->nfractions * nl, total = cfg->base.seeds * per;
    char(*ids)[200] = plan_ids(total);
    if (!ids) return die(u->cmd, "out of memory");
    for (int i = 0; i < cfg->base.seeds; i++) {
        const uint64_t seed = cfg->base.seed + (uint64_t)i;
        seed_id(ids[i * per], 200, seed, "pretrain");
        for (int k = 0; k < cfg->nfractions; k++)
            for (int l = 0; l < nl; l++)
                point_id(ids[i * per + 1 + k * nl + l], 200, seed, cfg->fractions[k], cfg->base.learners[l].name);
    }
    int rc = 0;
    for (int k = 0; k < total; k++) u->skipped += ws_runner_mine(&u->run, k, ids[k]) && ws_runner_finished(&u->run, ids[k]);
    for (int i = 0; i < cfg->base.seeds && !rc; i++) {
        int need = 0;
        for (int j = 0; j < per; j++) need |= todo(u, i * per + j, ids[i * per + j]);
        if (need) rc = run_transfer_seed(u, cfg, a, b, i, ids + i * per, i * per);
    }
    if (rc || !u->whole || (rc = check_complete(u, ids, total))) goto done;
    u->complete = 1;
    ws_ctx *ctx = u->ctx;
    for (int i = 0; i < cfg->base.seeds && !rc; i++) {
        char(*sid)[200] = ids + i * per;
        int ok = 1;
        for (int j = 0; j < per && ok; j++)
            if (!is_done(ws_runner_finished(&u->run, sid[j]))) note_excluded(u, cfg->base.seed + (uint64_t)i, sid[j]), ok = 0;
        if (!ok) continue;
        ws_transfer_seed_result *r = &res[*n];
        memset(r, 0, sizeof *r);
        r->seed = cfg->base.seed + (uint64_t)i;
        if (ws_run_from_json(ctx, cJSON_GetObjectItemCaseSensitive(ws_runner_finished(&u->run, sid[0]), "data"),
                             &r->pretrain)) {
            rc = die(u->cmd, ctx->err);
            break;
        }
        r->pretrain.learner = "pretrain";
        (*n)++;
        for (int k = 0; k < cfg->nfractions && !rc; k++) {
            ws_transfer_point *p = &r->points[r->npoints++];
            for (int l = 0; l < nl && !rc; l++) {
                const cJSON *data = cJSON_GetObjectItemCaseSensitive(ws_runner_finished(&u->run, sid[1 + k * nl + l]), "data");
                double f, m;
                if (ws_run_from_json(ctx, data, &p->runs[l]) || ws_json_number(ctx, data, "fraction", &f) ||
                    ws_json_number(ctx, data, "train_examples", &m)) {
                    rc = die(u->cmd, ctx->err);
                    break;
                }
                p->runs[l].learner = cfg->base.learners[l].name;
                p->fraction = f, p->n_train = (int64_t)m, p->nlearners = l + 1;
                ws_similarity_from_json(cJSON_GetObjectItemCaseSensitive(data, "warm_body_vs_pretrained"),
                                        &p->warm_to_pretrained);
            }
        }
    }
done:
    free(ids);
    return rc;
}

// ---- run.json and merge ----------------------------------------------------------------------

// Options of the runner itself: a merge replays the command without them.
static int runner_option(const char *a, int *takes_value) {
    static const char *with_value[] = {"--out", "--shard", "--unit", "--merge", "--unit-prefix", "--point", "--config"};
    static const char *flags[] = {"--resume", "--plan", "--quiet"};
    size_t len = strcspn(a, "=");
    for (size_t i = 0; i < sizeof with_value / sizeof *with_value; i++)
        if (strlen(with_value[i]) == len && !strncmp(a, with_value[i], len)) return *takes_value = !a[len], 1;
    for (size_t i = 0; i < sizeof flags / sizeof *flags; i++)
        if (!strcmp(a, flags[i])) return *takes_value = 0, 1;
    return 0;
}

int write_run_json(const char *cmd, ws_ctx *ctx, const char *dir, const char *command, int argc, char **argv) {
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "command", command);
    cJSON *args = cJSON_AddArrayToObject(j, "options");
    for (int i = 0; i < argc; i++) {
        int value = 0;
        if (runner_option(argv[i], &value)) {
            i += value;
            continue;
        }
        cJSON_AddItemToArray(args, cJSON_CreateString(argv[i]));
    }
    char path[1200];
    snprintf(path, sizeof path, "%s/run.json", dir);
    ws_atomic_file af;
    int rc = 0;
    if (ws_atomic_open(ctx, &af, path)) rc = die(cmd, ctx->err);
    else {
        char *text = cJSON_Print(j);
        fprintf(af.f, "%s\n", text);
        free(text);
        if (ws_atomic_commit(ctx, &af)) rc = die(cmd, ctx->err);
    }
    cJSON_Delete(j);
    return rc;
}

static cJSON *read_run_json(const char *dir, char *err, size_t cap) {
    char path[1200];
    snprintf(path, sizeof path, "%s/run.json", dir);
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, cap, "%s: %s (not a warmstart results folder?)", path, strerror(errno));
        return NULL;
    }
    char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    cJSON *j = cJSON_Parse(buf);
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(j, "command"), *o = cJSON_GetObjectItemCaseSensitive(j, "options");
    if (!cJSON_IsString(c) || !cJSON_IsArray(o)) {
        snprintf(err, cap, "%s: not a warmstart run description", path);
        cJSON_Delete(j);
        return NULL;
    }
    return j;
}

int cmd_merge(int argc, char **argv) {
    const char *cmd = "merge";
    if (argc >= 1 && (!strcmp(argv[0], "--help") || !strcmp(argv[0], "-h"))) {
        printf("usage: warmstart merge DIR [DIR...] [--out OUT]\n\n"
               "Combine the records of a run's shards (warmstart run|COMMAND ... --shard I/N) and write the\n"
               "experiment's results as one process would have: every unit must have finished, and every folder\n"
               "must hold the same configuration. Shards that shared one folder: warmstart merge DIR. Folders\n"
               "copied back from several machines: warmstart merge DIR1 DIR2 ... --out DIR (default: DIR1).\n");
        return 0;
    }
    const char *out = NULL;
    char *dirs[64];
    int nd = 0;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--out") && i + 1 < argc) out = argv[++i];
        else if (!strncmp(argv[i], "--", 2)) {
            char msg[300];
            snprintf(msg, sizeof msg, "unknown option %s (see warmstart merge --help)", argv[i]);
            return die(cmd, msg);
        } else if (nd < 64) dirs[nd++] = argv[i];
    }
    if (!nd) return die(cmd, "expected 'warmstart merge DIR [DIR...] [--out OUT]'");
    char err[1400];
    cJSON *run = read_run_json(dirs[0], err, sizeof err);
    if (!run) return die(cmd, err);
    for (int k = 1; k < nd; k++) {
        cJSON *other = read_run_json(dirs[k], err, sizeof err);
        int same = other && cJSON_Compare(run, other, 1);
        cJSON_Delete(other);
        if (!same) {
            cJSON_Delete(run);
            if (!err[0] || same == 0) snprintf(err, sizeof err, "%s was run with another command or options than %s; "
                                                                 "merge only the shards of one experiment", dirs[k], dirs[0]);
            return die(cmd, err);
        }
    }
    // Replay the command over the gathered records: nothing is trained.
    const cJSON *opts = cJSON_GetObjectItemCaseSensitive(run, "options"), *o;
    char list[4096] = "";
    for (int k = 0; k < nd; k++)
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", k ? "," : "", dirs[k]);
    int n = 0, cap = cJSON_GetArraySize(opts) + 8;
    char **args = calloc((size_t)cap, sizeof *args);
    cJSON_ArrayForEach(o, opts) args[n++] = o->valuestring;
    args[n++] = "--out", args[n++] = (char *)(out ? out : dirs[0]);
    args[n++] = "--merge", args[n++] = list;
    const char *command = cJSON_GetObjectItemCaseSensitive(run, "command")->valuestring;
    int rc = !strcmp(command, "sweep") ? cmd_sweep(n, args) : cli_run_scenario(command, n, args);
    if (rc < 0) {
        snprintf(err, sizeof err, "%s/run.json: unknown command '%s'", dirs[0], command);
        rc = die(cmd, err);
    }
    free(args);
    cJSON_Delete(run);
    return rc;
}
