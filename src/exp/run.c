// Running experiments: a scenario's run (its data loaded and checked, its units run
// through the runner, its results written), a sweep's points, a merge (run.h).
#define _POSIX_C_SOURCE 200809L
#include "exp/run.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exp/results.h"
#include "exp/scenario.h"
#include "exp/share.h"
#include "exp/units.h"
#include "io/atomic.h"
#include "io/dir.h"
#include "io/json.h"
#include "io/lock.h"


int ws_hooks_stop(const ws_hooks *h) { return h && h->should_stop && h->should_stop(h->user); }

static int ask_hooks(void *h) { return ws_hooks_stop(h); }

void ws_hooks_arm(ws_ctx *ctx, const ws_hooks *h) {
    ctx->should_stop = h && h->should_stop ? ask_hooks : NULL;
    ctx->stop_user = (void *)h;
}

void ws_hooks_note(const ws_hooks *h, const char *who, const char *fmt, ...) {
    if (!h || !h->note) return;
    char line[4000];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    h->note(h->user, who, line);
}

ws_status ws_experiment_ctx(ws_ctx *ctx, const ws_options *o) {
    const long memory_mark = ctx->alloc_failures; // a point's context answers for the sweep's memory
    ws_ctx_release(ctx);
    ws_ctx_init(ctx, o->threads);
    ctx->alloc_failures = memory_mark;
    ws_status st = ws_ctx_set_backend(ctx, o->backend);
    if (!st) st = ws_ctx_set_conv_algo(ctx, o->conv_algo);
    if (!st) st = ws_ctx_set_precision(ctx, o->precision);
    return st;
}

// --data (with --labels, --extra) into src.
static ws_status load_source(ws_ctx *ctx, const ws_options *o, const char *data, int own_options, ws_source *src) {
    ws_source_opts so;
    memset(&so, 0, sizeof so);
    ws_status st = own_options ? ws_options_source(ctx, o, data, &so) : WS_OK;
    if (!st) st = ws_source_load(ctx, src, data, &so);
    return st;
}

// Refuse settings the data cannot take (CIFAR-10's normalisation on grey images) and learners
// their network cannot run (before any output is made). own: each learner builds its own
// network (online, active, continual); elsewhere they share one, so none may change it.
static ws_status check_learners(ws_ctx *ctx, const ws_setup *cfg, const ws_dataset *d, int own) {
    if (ws_setup_norm_kind(cfg) == WS_NORM_CIFAR && d->c != 3)
        return ws_fail(ctx, WS_ERR_ARG, "--norm cifar: CIFAR-10's per-channel mean and std are for colour images, not "
                                        "%d-channel ones", d->c);
    ws_status st = WS_OK;
    for (int l = 0; l < cfg->nlearners && !st; l++) {
        const ws_learner *x = &cfg->learners[l];
        ws_model_spec spec = ws_setup_learner_spec(cfg, d, l), shared = ws_setup_model_spec(cfg, d);
        // Where the learners share the experiment's network, a learner may only ask for that one
        // (NaP's LayerNorm under --layer-norm).
        if (!own && spec.layer_norm && !shared.layer_norm && spec.act == shared.act)
            return ws_fail(ctx, WS_ERR_ARG, "learner '%s': its network has LayerNorm before each activation "
                                            "(layer-norm=1) and here the learners share the experiment's: give "
                                            "--layer-norm, or run it where each learner builds its own network "
                                            "(online, active, continual)",
                           x->name);
        if (!own && (spec.layer_norm != shared.layer_norm || spec.act != shared.act))
            return ws_fail(ctx, WS_ERR_ARG, "learner '%s': layer-norm and activation are for the scenarios whose "
                                            "learners each build their own network (online, active, continual)",
                           x->name);
        ws_model *m;
        if ((st = ws_model_create(ctx, &m, &spec))) return ws_fail_prefix(ctx, st, "learner '%s': ", x->name);
        st = ws_learner_check(ctx, x, m);
        ws_model_free(m);
    }
    return st;
}

// The scenario's data: B (and A for transfer), checked against the configuration before
// anything is made. *t0: when loading began.
static ws_status load_data(ws_ctx *ctx, const ws_experiment *e, ws_source *src, ws_source *pre, int *have_pre) {
    const ws_options *o = &e->opt;
    ws_status st;
    *have_pre = 0;
    if (e->scenario != WS_CMD_TRANSFER) {
        if ((st = load_source(ctx, o, o->data, 1, src))) return st;
        const ws_scenario *sc = ws_scenario_of(e->scenario);
        if (sc->check_data && (st = sc->check_data(ctx, e, src))) goto fail;
        if ((st = check_learners(ctx, &e->batch.base, &src->train, e->scenario != WS_CMD_BATCH))) goto fail;
        if (e->batch.base.save_dir && (st = ws_dir_make(ctx, e->batch.base.save_dir))) goto fail;
        return WS_OK;
    fail:
        ws_source_free(src);
        return st;
    }
    // Transfer: A and B, or without --pretrain Fashion-MNIST's classes 0-4 and 5-9.
    const char *pretrain = o->pretrain[0] && strcmp(o->pretrain, "default") ? o->pretrain : NULL;
    if (!pretrain) {
        if (strncmp(o->data, "fashion-mnist", 13))
            return ws_fail(ctx, WS_ERR_ARG, "--pretrain A is needed unless --data is fashion-mnist");
        ws_source all;
        if ((st = load_source(ctx, o, o->data, 1, &all))) return st;
        st = ws_source_select_classes(ctx, pre, &all, 0, 5);
        if (!st && (st = ws_source_select_classes(ctx, src, &all, 5, 10))) ws_source_free(pre);
        ws_source_free(&all);
        if (st) return st;
    } else {
        if ((st = load_source(ctx, o, o->data, 1, src))) return st;
        if ((st = load_source(ctx, o, pretrain, 0, pre))) {
            ws_source_free(src);
            return st;
        }
    }
    *have_pre = 1;
    const ws_dataset *a = &pre->train, *b = &src->train;
    if (a->c != b->c || a->h != b->h || a->w != b->w)
        st = ws_fail(ctx, WS_ERR_ARG, "%s images are %dx%dx%d but %s's are %dx%dx%d: transfer needs one shape", pre->name,
                     a->c, a->h, a->w, src->name, b->c, b->h, b->w);
    else if (e->transfer.keep_head && pre->num_classes != src->num_classes)
        st = ws_fail(ctx, WS_ERR_ARG, "--keep-head: %s has %d classes but %s has %d", pre->name, pre->num_classes,
                     src->name, src->num_classes);
    if (!st) st = check_learners(ctx, &e->transfer.base, b, 0);
    if (st) {
        ws_source_free(src);
        ws_source_free(pre);
        *have_pre = 0;
    }
    return st;
}

static ws_status write_run_json(ws_ctx *ctx, const ws_experiment *e, const char *dir) {
    char path[1200];
    snprintf(path, sizeof path, "%s/run.json", dir);
    cJSON *j = ws_experiment_run_json(e);
    ws_status st = ws_json_write_file(ctx, path, j);
    cJSON_Delete(j);
    return st;
}

// One scenario run into e->opt.out through its entry in the table of scenarios (scenario.h):
// data, units, results, hooks. share: a sweep's shared work (NULL: none).
static ws_status run_scenario(ws_ctx *ctx, const ws_experiment *e, const ws_hooks *h, ws_outcome *o, ws_share *share) {
    const char *who = ws_command_name(e->scenario);
    ws_source src, pre;
    int have_pre;
    double t0 = ws_now();
    ws_status st = load_data(ctx, e, &src, &pre, &have_pre);
    if (st) return st;
    // Folders are made only once the inputs are known to be good.
    const ws_scenario *sc = ws_scenario_of(e->scenario);
    cJSON *config = sc->config_json(e, &src, have_pre ? &pre : NULL, ctx);
    int unit_threads;
    // Units run at once (--jobs): each on its share of the threads, which decides its bits, so
    // the share is part of the configuration (a resume with another share is refused).
    if (ws_units_jobs(e, ctx->threads, &unit_threads) > 1) cJSON_AddNumberToObject(config, "unit_threads", unit_threads);
    ws_units u;
    st = ws_units_open(&u, ctx, e, h, config, o, share);
    cJSON_Delete(config);
    int opened = !st;
    if (!st && !e->nmerge) st = write_run_json(ctx, e, e->opt.out);
    char arch[160];
    ws_model_spec spec = ws_setup_model_spec(ws_experiment_setup(e), &src.train);
    ws_model_describe(&spec, arch, sizeof arch);
    if (!st && !e->nmerge) {
        const int th = ctx->threads;
        if (e->scenario == WS_CMD_BATCH)
            ws_hooks_note(h, who, "%s (%lld train, %lld test) loaded in %.2fs; %s, %d thread%s", src.name, (long long)src.train.n,
                 (long long)src.test.n, ws_now() - t0, arch, th, th == 1 ? "" : "s");
        else if (e->scenario == WS_CMD_TRANSFER)
            ws_hooks_note(h, who, "%s (%lld train) -> %s (%lld train), %d thread%s", pre.name, (long long)pre.train.n, src.name,
                 (long long)src.train.n, th, th == 1 ? "" : "s");
        else
            ws_hooks_note(h, who, "%s (%lld train, %lld test); %s, %d thread%s", src.name, (long long)src.train.n,
                 (long long)src.test.n, arch, th, th == 1 ? "" : "s");
    }
    ws_scenario_results r = {.e = e, .data = &src, .pretrain = have_pre ? &pre : NULL, .arch = arch};
    void *results = NULL;
    int n = 0;
    if (!st) st = sc->run(&u, &src, have_pre ? &pre : NULL, &results, &n);
    if (!st && o->complete && n) st = sc->write(ctx, e->opt.out, u.run->config, results, n);
    o->results = n;
    o->all_diverged = !st && o->complete && !n;
    if (!st && o->complete && h && h->results) {
        r.n = n, r.excluded = u.excluded;
        sc->expose(results, &r);
        st = h->results(h->user, ctx, &r);
    }
    if (!st && !e->nmerge && (o->skipped || o->partial))
        ws_hooks_note(h, who, "resumed %s: %d unit%s already finished, %d chain%s continued mid-way", e->opt.out, o->skipped,
             o->skipped == 1 ? "" : "s", o->partial, o->partial == 1 ? "" : "s");
    if (results) sc->free_results(results, n);
    if (opened) ws_units_close(&u);
    ws_source_free(&src);
    if (have_pre) ws_source_free(&pre);
    return st;
}

ws_status ws_experiment_plan(ws_ctx *ctx, ws_experiment *e, const ws_hooks *h) {
    if (!e->sweep) {
        ws_units_plan(e, h, NULL);
        return WS_OK;
    }
    ws_share share;
    ws_status st = ws_share_plan(ctx, e, &share);
    for (int p = 0; p < ws_experiment_npoints(e) && !st; p++) {
        ws_experiment *pe;
        if ((st = ws_experiment_point(ctx, e, p, &pe))) break;
        ws_units_plan(pe, h, &share);
        ws_experiment_free(pe);
    }
    if (!st && share.nshared)
        ws_hooks_note(h, "sweep", "%d of %d units are the same as an earlier point's (same resolved settings that can "
                                  "change them) and are not listed: their records are taken from it",
                      share.nshared, share.total);
    if (!st && share.nsnapshots)
        ws_hooks_note(h, "sweep", "%d of them are snapshots of an earlier point's longer run, the same run cut at their "
                                  "count (a fixed-epoch phase 1): %lld epochs trained for them where the points alone "
                                  "would train %lld",
                      share.nsnapshots, share.count_trained, share.count_alone);
    ws_share_free(&share);
    return st;
}

static ws_status run_sweep(ws_ctx *ctx, ws_experiment *e, const ws_hooks *h, ws_outcome *o);

ws_status ws_experiment_run(ws_ctx *ctx, ws_experiment *e, const ws_hooks *h, ws_outcome *o) {
    memset(o, 0, sizeof *o);
    // An estimate trains nothing: its caller prices it (exp/estimate.h) instead of running it.
    if (e->opt.estimate)
        return ws_fail(ctx, WS_ERR_ARG, "--estimate: this experiment is to be priced (ws_estimate_experiment), not run");
    ws_status st = ws_experiment_ctx(ctx, &e->opt);
    if (st) return st;
    if (e->opt.plan) return ws_experiment_plan(ctx, e, h);
    return e->sweep ? run_sweep(ctx, e, h, o) : run_scenario(ctx, e, h, o, NULL);
}

// ---- sweeps ------------------------------------------------------------------------------------


// The record of the sweep itself, attached to every line of sweep.jsonl: its grid, and what
// all points share, from point 0's resolved configuration (the grid's keys vary by point).
static cJSON *sweep_config(ws_ctx *ctx, const ws_experiment *e) {
    cJSON *config = cJSON_CreateObject();
    cJSON_AddStringToObject(config, "experiment", "sweep");
    cJSON_AddStringToObject(config, "scenario", ws_command_name(e->scenario));
    cJSON *b = cJSON_AddArrayToObject(config, "base_arguments");
    for (int i = 0; i < e->nargs; i++) {
        if ((!strcmp(e->args[i], "--grid") || !strcmp(e->args[i], "--learners")) && i + 1 < e->nargs) {
            i++;
            continue;
        }
        ws_json_push(b, cJSON_CreateString(e->args[i]));
    }
    cJSON_AddStringToObject(config, "learners", e->learners);
    cJSON *g = cJSON_AddObjectToObject(config, "grid");
    for (int a = 0; a < e->naxes; a++) {
        cJSON *v = cJSON_AddArrayToObject(g, e->axes[a].key);
        for (int k = 0; k < e->axes[a].nvalues; k++) ws_json_push(v, cJSON_CreateString(e->axes[a].values[k]));
    }
    cJSON_AddStringToObject(config, "accuracy", "test accuracy (online/active: the last round; transfer: the largest share)");
    cJSON_AddStringToObject(config, "seconds", "training seconds to converge (online/active: all rounds; transfer: all shares)");
    cJSON_AddStringToObject(config, "point_results", "points/NNN/ (each with its full resolved configuration)");
    // Point 0's resolved configuration, read through the results table.
    char p0[1400];
    snprintf(p0, sizeof p0, "%s/points/000", e->opt.out);
    ws_table *t = NULL;
    cJSON *c0 = !ws_table_read(ctx, p0, &t) && t->npoints ? t->points[0].config : NULL;
    if (c0) {
        const char *keys[] = {"warmstart_version", "data", "protocol", "split", "normalization", "model", "phase1",
                              "threshold", "max_epochs", "epochs", "plateau", "train_acc", "eval_every", "seeds",
                              "first_seed", "threads", "backend", "precision"};
        for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
            cJSON *v = cJSON_DetachItemFromObject(c0, keys[i]);
            if (v) ws_json_put(config, keys[i], v);
        }
    }
    ws_table_free(t);
    return config;
}

static ws_status write_sweep(ws_ctx *ctx, const ws_experiment *e, ws_sweep_entry *entries, int n) {
    ws_sweep_mark_front(entries, n);
    cJSON *config = sweep_config(ctx, e);
    cJSON **recs = ws_sys_calloc((size_t)n + 1, sizeof *recs);
    if (!recs) {
        cJSON_Delete(config);
        return ws_fail(ctx, WS_ERR_NOMEM, "out of memory");
    }
    for (int i = 0; i < n; i++) {
        const ws_sweep_entry *x = &entries[i];
        cJSON *o = recs[i] = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "point", x->point);
        cJSON *pa = cJSON_AddObjectToObject(o, "params");
        char tmp[512], *save = NULL;
        snprintf(tmp, sizeof tmp, "%s", x->params);
        for (char *tok = strtok_r(tmp, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
            char *eq = strchr(tok, '=');
            *eq = 0;
            cJSON_AddStringToObject(pa, tok, eq + 1);
        }
        cJSON_AddStringToObject(o, "learner", x->cell.learner);
        const ws_summary *sm[3] = {&x->acc, &x->seconds, &x->epochs};
        const char *names[3] = {"test_acc", "seconds", "epochs"};
        for (int k = 0; k < 3; k++) {
            cJSON *s = cJSON_AddObjectToObject(o, names[k]);
            cJSON_AddNumberToObject(s, "mean", sm[k]->mean);
            cJSON_AddNumberToObject(s, "ci95", sm[k]->n > 1 ? sm[k]->ci95 : 0);
            cJSON_AddNumberToObject(s, "n", sm[k]->n);
        }
        cJSON_AddNumberToObject(o, "converged_seeds", ws_sweep_converged(&x->cell));
        cJSON_AddBoolToObject(o, "pareto", x->pareto);
        snprintf(tmp, sizeof tmp, "points/%03d", x->point);
        cJSON_AddStringToObject(o, "dir", tmp);
    }
    ws_status st = ws_results_write_jsonl(ctx, e->opt.out, "sweep.jsonl", config, recs, n);
    free(recs);
    cJSON_Delete(config);
    char path[1300];
    ws_atomic_file af;
    snprintf(path, sizeof path, "%s/sweep.csv", e->opt.out);
    if (!st) st = ws_atomic_open(ctx, &af, path);
    if (st) return st;
    fprintf(af.f, "point,params,learner,seeds,test_acc,test_acc_ci95,seconds,seconds_ci95,epochs,converged_seeds,pareto\n");
    for (int i = 0; i < n; i++) {
        const ws_sweep_entry *x = &entries[i];
        fprintf(af.f, "%d,%s,%s,%d,%.6f,%.6f,%.3f,%.3f,%.2f,%d,%d\n", x->point, x->params, x->cell.learner, x->cell.n,
                x->acc.mean, x->acc.n > 1 ? x->acc.ci95 : 0, x->seconds.mean, x->seconds.n > 1 ? x->seconds.ci95 : 0,
                x->epochs.mean, ws_sweep_converged(&x->cell), x->pareto);
    }
    return ws_atomic_commit(ctx, &af);
}

// Every point of the grid as a run of the scenario into OUT/points/NNN (its unit ids
// "pNNN/s1/warm"; shards rotate over all points' units), then -- a whole run or a merge --
// each point reduced to, per learner, accuracy and compute (ws_sweep_entries), with the
// Pareto front, into OUT/sweep.jsonl and OUT/sweep.csv.
static ws_status run_sweep(ws_ctx *ctx, ws_experiment *e, const ws_hooks *h, ws_outcome *o) {
    const int npoints = ws_experiment_npoints(e);
    o->whole = e->nmerge || (!e->opt.shard[0] && !e->opt.unit[0]);
    char pdir[1200];
    snprintf(pdir, sizeof pdir, "%s/points", e->opt.out);
    int lockfd = -1, shardfd = -1;
    ws_status st = ws_dir_make(ctx, pdir);
    if (st) return st;
    // Shards share the sweep's folder; each holds its own shard's lock.
    int I = 0, N = 0;
    char name[96];
    if (e->opt.shard[0] && (st = ws_shard_parse(ctx, e->opt.shard, &I, &N))) return st;
    snprintf(name, sizeof name, ".warmstart-shard-%d-of-%d.lock", I, N);
    if ((st = ws_dir_lock_named(ctx, e->opt.out, ".warmstart.lock", e->opt.shard[0] != 0, &lockfd)) ||
        (e->opt.shard[0] && (st = ws_dir_lock_named(ctx, e->opt.out, name, 0, &shardfd))))
        goto done;
    if (!e->nmerge && (st = write_run_json(ctx, e, e->opt.out))) goto done;
    ws_sweep_entry *entries = ws_sys_calloc((size_t)npoints * WS_MAX_LEARNERS, sizeof *entries);
    if (!entries) {
        st = ws_fail(ctx, WS_ERR_NOMEM, "out of memory");
        goto done;
    }
    int nentries = 0, missing = 0;
    ws_share share;
    if ((st = ws_share_plan(ctx, e, &share))) {
        free(entries);
        goto done;
    }
    for (int p = 0; p < npoints && !st; p++) {
        ws_experiment *pe;
        if ((st = ws_experiment_point(ctx, e, p, &pe))) break;
        ws_hooks_note(h, "sweep", "point %d/%d: %s", p + 1, npoints, pe->params);
        ws_outcome po;
        memset(&po, 0, sizeof po);
        if ((st = ws_dir_make(ctx, pe->opt.out)) || (st = ws_experiment_ctx(ctx, &pe->opt)) ||
            (st = run_scenario(ctx, pe, h, &po, &share))) {
            ws_fail_prefix(ctx, st, "point %d (%s): ", p + 1, pe->params);
        } else if (po.all_diverged) {
            ws_hooks_note(h, "sweep", "point %d (%s) has no results: every seed had a diverged unit (%s/table.txt)", p + 1,
                 pe->params, pe->opt.out);
            missing++;
        } else if (o->whole) {
            ws_table *t;
            int k = 0;
            if (!(st = ws_table_read(ctx, pe->opt.out, &t))) {
                k = ws_sweep_entries(t, &t->points[0], entries + nentries, WS_MAX_LEARNERS);
                ws_table_free(t);
                if (k < 0) st = ws_fail(ctx, WS_ERR_NOMEM, "out of memory");
            }
            // The point's own folder reads as a table of one point: its place in the grid from pe.
            for (int c = 0; c < k && !st; c++, nentries++) {
                entries[nentries].point = p;
                snprintf(entries[nentries].params, sizeof entries[0].params, "%s", pe->params);
            }
        }
        if (!st && po.shared && !e->nmerge)
            ws_hooks_note(h, "sweep", "point %d (%s): %d unit%s taken from earlier points (the same resolved settings)",
                          p + 1, pe->params, po.shared, po.shared == 1 ? "" : "s");
        o->ran += po.ran, o->skipped += po.skipped, o->partial += po.partial, o->shared += po.shared;
        ws_experiment_free(pe);
    }
    // A shard's or a unit's part is done; the reduction waits for the merge.
    if (!st && o->whole) {
        o->complete = 1;
        o->results = npoints - missing;
        st = write_sweep(ctx, e, entries, nentries);
        ws_sweep_results sr = {.e = e, .npoints = npoints, .missing_points = missing, .nentries = nentries, .entries = entries};
        if (!st && h && h->sweep) st = h->sweep(h->user, ctx, &sr);
    }
    free(entries);
    ws_share_free(&share);
done:
    ws_dir_unlock(shardfd);
    ws_dir_unlock(lockfd);
    return st;
}

// ---- merge -------------------------------------------------------------------------------------

// A folder's run.json: its command and options (WS_ERR_IO or WS_ERR_FORMAT naming it).
static cJSON *read_run_json(ws_ctx *ctx, const char *dir) {
    char path[1200];
    snprintf(path, sizeof path, "%s/run.json", dir);
    cJSON *j = ws_json_read_file(ctx, path);
    if (!j && strstr(ctx->err, ": not JSON")) {
        ws_fail(ctx, WS_ERR_FORMAT, "%s: not a warmstart run description", path);
    } else if (!j) {
        char why[1100];
        snprintf(why, sizeof why, "%s", ctx->err);
        ws_fail(ctx, WS_ERR_IO, "%s (not a warmstart results folder?)", why);
    } else if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(j, "command")) ||
               !cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(j, "options"))) {
        ws_fail(ctx, WS_ERR_FORMAT, "%s: not a warmstart run description", path);
        cJSON_Delete(j);
        j = NULL;
    }
    return j;
}

ws_status ws_merge(ws_ctx *ctx, const char *const *dirs, int ndirs, const char *out, const ws_hooks *h, ws_outcome *o) {
    memset(o, 0, sizeof *o);
    if (ndirs < 1) return ws_fail(ctx, WS_ERR_ARG, "expected 'warmstart merge DIR [DIR...] [--out OUT]'");
    if (ndirs > WS_MAX_MERGE) return ws_fail(ctx, WS_ERR_ARG, "at most %d folders", WS_MAX_MERGE);
    // A folder a run still writes holds a part of its records, and is that run's to write into.
    for (int k = 0; k < ndirs; k++) {
        const long pid = ws_dir_writer(dirs[k]);
        if (pid)
            return ws_fail(ctx, WS_ERR_IO, "%s: a run (pid %ld) is still writing here; merge once it has ended (what it "
                                           "has finished so far: warmstart report %s)", dirs[k], pid, dirs[k]);
    }
    cJSON *run = read_run_json(ctx, dirs[0]);
    if (!run) return WS_ERR_IO;
    for (int k = 1; k < ndirs; k++) {
        cJSON *other = read_run_json(ctx, dirs[k]);
        // What was run (the claims to test on it may have been edited since).
        int same = other && cJSON_Compare(cJSON_GetObjectItemCaseSensitive(run, "command"),
                                          cJSON_GetObjectItemCaseSensitive(other, "command"), 1) &&
                   cJSON_Compare(cJSON_GetObjectItemCaseSensitive(run, "options"),
                                 cJSON_GetObjectItemCaseSensitive(other, "options"), 1);
        cJSON_Delete(other);
        if (!same) {
            cJSON_Delete(run);
            if (!other) return WS_ERR_IO;
            return ws_fail(ctx, WS_ERR_ARG, "%s was run with another command or options than %s; merge only the shards "
                                            "of one experiment", dirs[k], dirs[0]);
        }
    }
    // Replay the experiment over the gathered records: nothing is trained.
    char where[1200];
    snprintf(where, sizeof where, "%s/run.json", dirs[0]);
    ws_experiment *e;
    ws_status st = ws_experiment_from_run_json(ctx, run, where, &e);
    cJSON_Delete(run);
    if (st) return st;
    snprintf(e->opt.out, sizeof e->opt.out, "%s", out ? out : dirs[0]);
    for (int k = 0; k < ndirs && !st; k++) st = ws_experiment_add_merge(ctx, e, dirs[k]);
    if (!st) st = ws_experiment_check(ctx, e);
    if (!st) st = ws_experiment_run(ctx, e, h, o);
    ws_experiment_free(e);
    return st;
}
