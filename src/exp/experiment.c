// Experiments read from command lines, experiment files and run.json, and checked
// whole (experiment.h).
#define _POSIX_C_SOURCE 200809L
#include "exp/experiment.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exp/claim.h"
#include "exp/runner.h"
#include "io/config.h"
#include "io/json.h"

static ws_status record(ws_ctx *ctx, ws_experiment *e, const char *arg) {
    if (e->nargs == WS_MAX_ARGS) return ws_fail(ctx, WS_ERR_ARG, "more than %d options", WS_MAX_ARGS);
    if (!(e->args[e->nargs] = ws_sys_strdup(arg))) return ws_fail(ctx, WS_ERR_NOMEM, "out of memory");
    e->nargs++;
    return WS_OK;
}

ws_status ws_experiment_new(ws_ctx *ctx, ws_command scenario, int sweep, ws_experiment **out) {
    *out = NULL;
    if (!(scenario & WS_CMD_SCENARIOS) || (scenario & (scenario - 1)))
        return ws_fail(ctx, WS_ERR_ARG, "expected a scenario: batch, online, active or transfer");
    ws_experiment *e = ws_sys_calloc(1, sizeof *e);
    if (!e) return ws_fail(ctx, WS_ERR_NOMEM, "out of memory");
    e->scenario = scenario;
    e->sweep = sweep;
    ws_options_defaults(&e->opt, scenario);
    if (sweep) snprintf(e->opt.out, sizeof e->opt.out, "results/sweep");
    snprintf(e->learners, sizeof e->learners, "warm,random");
    e->npoints = 1;
    *out = e;
    return WS_OK;
}

void ws_experiment_free(ws_experiment *e) {
    if (!e) return;
    for (int i = 0; i < e->nargs; i++) free(e->args[i]);
    for (int i = 0; i < e->nmerge; i++) free(e->merge_dirs[i]);
    free(e->claims);
    free(e);
}

static const ws_option_def *flag_def(const ws_experiment *e, const char *key) {
    const ws_option_def *d = ws_option_find(e->scenario, key);
    return d && d->kind == WS_ARG_FLAG ? d : NULL;
}

ws_status ws_experiment_add_axis(ws_ctx *ctx, ws_experiment *e, const char *text) {
    if (!e->sweep) return ws_fail(ctx, WS_ERR_ARG, "unknown option '--grid'");
    if (e->naxes == WS_MAX_AXES) return ws_fail(ctx, WS_ERR_ARG, "more than %d --grid axes", WS_MAX_AXES);
    ws_axis *a = &e->axes[e->naxes];
    const char *eq = strchr(text, '=');
    if (!eq || eq == text || !eq[1] || (size_t)(eq - text) >= sizeof a->key)
        return ws_fail(ctx, WS_ERR_ARG, "--grid %s: expected KEY=V,V,...", text);
    memset(a, 0, sizeof *a);
    snprintf(a->key, sizeof a->key, "%.*s", (int)(eq - text), text);
    const int flag = flag_def(e, a->key) != NULL;
    for (const char *p = eq + 1; *p;) {
        const char *c = strchr(p, ',');
        size_t n = c ? (size_t)(c - p) : strlen(p);
        if (!n || n >= sizeof a->values[0] || a->nvalues == WS_MAX_AXIS_VALUES)
            return ws_fail(ctx, WS_ERR_ARG, "--grid %s: empty, too long or more than %d values", text, WS_MAX_AXIS_VALUES);
        snprintf(a->values[a->nvalues++], sizeof a->values[0], "%.*s", (int)n, p);
        if (flag && strcmp(a->values[a->nvalues - 1], "on") && strcmp(a->values[a->nvalues - 1], "off"))
            return ws_fail(ctx, WS_ERR_ARG, "--grid %s: %s is a flag: its values are on and off", text, a->key);
        p += n + (c ? 1 : 0);
    }
    if (a->key[0] == '-') return ws_fail(ctx, WS_ERR_ARG, "--grid %s: name the option without dashes (lr=..)", text);
    const ws_option_def *d = strchr(a->key, '.') ? NULL : ws_option_find(e->scenario, a->key);
    if (d && d->runner)
        return ws_fail(ctx, WS_ERR_ARG, "--grid %s: %s says how to run, not what: it cannot be an axis", text, a->key);
    e->naxes++;
    return WS_OK;
}

// One "--name[=value]" argument (with the next one as its value where it takes one);
// *used: how many of argv it took.
static ws_status one_arg(ws_ctx *ctx, ws_experiment *e, int argc, char **argv, int *used);

// Claims added to the experiment's (ids unique across them), from `from` (for messages).
static ws_status add_claims(ws_ctx *ctx, ws_experiment *e, const ws_config_claim *c, int n, const char *from) {
    if (!n) return WS_OK;
    ws_config_claim *v = ws_sys_realloc(e->claims, sizeof *v * (size_t)(e->nclaims + n));
    if (!v) return ws_fail(ctx, WS_ERR_NOMEM, "out of memory");
    e->claims = v;
    for (int i = 0; i < n; i++) {
        for (int k = 0; k < e->nclaims; k++)
            if (!strcmp(e->claims[k].id, c[i].id)) return ws_fail(ctx, WS_ERR_ARG, "%s: [claim %s] declared twice", from, c[i].id);
        e->claims[e->nclaims++] = c[i];
    }
    snprintf(e->claims_from, sizeof e->claims_from, "%s", from);
    return WS_OK;
}

static ws_status apply_file(ws_ctx *ctx, ws_experiment *e, const char *path, int whole_file) {
    ws_config_file *f = ws_sys_malloc(sizeof *f);
    if (!f) return ws_fail(ctx, WS_ERR_NOMEM, "out of memory");
    ws_status st = ws_config_read(ctx, path, f);
    if (!st) st = add_claims(ctx, e, f->claims, f->nclaims, path);
    if (!st && strcmp(f->scenario, ws_command_name(e->scenario)))
        st = ws_fail(ctx, WS_ERR_ARG, "%s describes a %s experiment, not %s", path, f->scenario,
                     ws_command_name(e->scenario));
    else if (!st && f->naxes && !e->sweep && !whole_file)
        st = ws_fail(ctx, WS_ERR_ARG, "%s has a [grid]: run it with 'warmstart run %s' (a sweep)", path, path);
    // Each key = value as the command line's --key=value, each grid key as --grid key=value.
    for (int i = 0; i < f->noptions && !st; i++) {
        size_t len = strlen(f->options[i].key) + strlen(f->options[i].value) + 4;
        char *a = ws_sys_malloc(len);
        if (!a) st = ws_fail(ctx, WS_ERR_NOMEM, "out of memory");
        else {
            snprintf(a, len, "--%s=%s", f->options[i].key, f->options[i].value);
            int used;
            st = one_arg(ctx, e, 1, &a, &used);
            free(a);
        }
    }
    for (int i = 0; i < f->naxes && !st; i++) {
        size_t len = strlen(f->axes[i].key) + strlen(f->axes[i].value) + 2;
        char *a = ws_sys_malloc(len);
        if (!a) st = ws_fail(ctx, WS_ERR_NOMEM, "out of memory");
        else {
            snprintf(a, len, "%s=%s", f->axes[i].key, f->axes[i].value);
            char *pair[2] = {"--grid", a};
            int used;
            st = one_arg(ctx, e, 2, pair, &used);
            free(a);
        }
    }
    free(f);
    return st;
}

ws_status ws_experiment_load(ws_ctx *ctx, const char *path, ws_experiment **out) {
    *out = NULL;
    ws_config_file *f = ws_sys_malloc(sizeof *f);
    if (!f) return ws_fail(ctx, WS_ERR_NOMEM, "out of memory");
    ws_status st = ws_config_read(ctx, path, f);
    ws_command scenario = st ? 0 : ws_command_parse(f->scenario);
    int sweep = !st && f->naxes > 0;
    free(f);
    if (st) return st;
    if ((st = ws_experiment_new(ctx, scenario, sweep, out))) return st;
    if ((st = apply_file(ctx, *out, path, 1))) {
        ws_experiment_free(*out);
        *out = NULL;
    }
    return st;
}

static ws_status one_arg(ws_ctx *ctx, ws_experiment *e, int argc, char **argv, int *used) {
    const char *a = argv[0], *value;
    char name[64];
    *used = 1;
    e->bad_arg = 1; // until the option and its value are known good: the command's --help lists them
    if (ws_arg_split(a, name, sizeof name, &value)) return ws_fail(ctx, WS_ERR_ARG, "unexpected argument '%s'", a);
    // The value: after '=', else the next argument (a flag takes none).
    const int eq = value != NULL;
    const int sweep_own = e->sweep && (!strcmp(name, "grid") || !strcmp(name, "learners") || !strcmp(name, "out"));
    const ws_option_def *d = sweep_own || !strcmp(name, "config") ? NULL : ws_option_find(e->scenario, name);
    if (!sweep_own && strcmp(name, "config") && !d) return ws_fail(ctx, WS_ERR_ARG, "unknown option '--%s'", name);
    if (!eq && !(d && d->kind == WS_ARG_FLAG)) {
        if (argc < 2) return ws_fail(ctx, WS_ERR_ARG, "--%s needs a value (%s)", name, d && d->meta ? d->meta : !strcmp(name, "config") ? "FILE" : "X");
        value = argv[1];
        *used = 2;
    }
    e->bad_arg = 0;
    if (!strcmp(name, "config")) return apply_file(ctx, e, value, 0);
    ws_status st;
    if (sweep_own) {
        // A sweep's own: recorded as two arguments (its run.json has always held them so).
        if (!strcmp(name, "out")) {
            if (!*value) return ws_fail(ctx, WS_ERR_ARG, "--out: empty value");
            snprintf(e->opt.out, sizeof e->opt.out, "%s", value);
            return WS_OK;
        }
        if (!strcmp(name, "grid")) st = ws_experiment_add_axis(ctx, e, value);
        else if (!*value || strlen(value) >= sizeof e->learners) st = ws_fail(ctx, WS_ERR_ARG, "--learners: empty or too long");
        else st = (snprintf(e->learners, sizeof e->learners, "%s", value), WS_OK);
        char dashed[80];
        snprintf(dashed, sizeof dashed, "--%s", name);
        if (!st) st = record(ctx, e, dashed);
        if (!st) st = record(ctx, e, value);
        return st;
    }
    if ((st = ws_options_set(ctx, e->scenario, &e->opt, name, value))) return e->bad_arg = 1, st;
    if (d->runner) return WS_OK;
    if ((st = record(ctx, e, a))) return st;
    return *used == 2 ? record(ctx, e, argv[1]) : WS_OK;
}

ws_status ws_experiment_args(ws_ctx *ctx, ws_experiment *e, int argc, char **argv) {
    for (int i = 0; i < argc;) {
        int used;
        e->bad_arg = 0;
        ws_status st = one_arg(ctx, e, argc - i, argv + i, &used);
        if (st) return st;
        i += used;
    }
    return WS_OK;
}

ws_status ws_experiment_set(ws_ctx *ctx, ws_experiment *e, const char *key, const char *value) {
    size_t len = strlen(key) + (value ? strlen(value) : 0) + 4;
    char *a = ws_sys_malloc(len);
    if (!a) return ws_fail(ctx, WS_ERR_NOMEM, "out of memory");
    snprintf(a, len, "--%s%s%s", key, value ? "=" : "", value ? value : "");
    int used;
    ws_status st = one_arg(ctx, e, 1, &a, &used);
    free(a);
    return st;
}

ws_status ws_experiment_add_learner(ws_ctx *ctx, ws_experiment *e, const ws_learner *l) {
    if (e->ncustom == WS_MAX_LEARNERS) return ws_fail(ctx, WS_ERR_ARG, "more than %d learners", WS_MAX_LEARNERS);
    if (l->kind == WS_LEARNER_CUSTOM && (!l->name[0] || strpbrk(l->name, ",:/ ") || !l->ops))
        return ws_fail(ctx, WS_ERR_ARG, "custom learner '%s': it needs a name without ',', ':', '/' or spaces, and its "
                                        "hooks (ws_learner_ops)", l->name);
    if (l->kind == WS_LEARNER_CUSTOM && (!l->ops->save) != (!l->ops->load))
        return ws_fail(ctx, WS_ERR_ARG, "custom learner '%s': save and load come as a pair", l->name);
    e->custom[e->ncustom++] = *l;
    return WS_OK;
}

const ws_setup *ws_experiment_setup(const ws_experiment *e) {
    return e->scenario == WS_CMD_TRANSFER    ? &e->transfer.base
         : e->scenario == WS_CMD_BATCH       ? &e->batch.base
         : e->scenario == WS_CMD_CONTINUAL   ? &e->continual.base
                                             : &e->online.base;
}

ws_status ws_experiment_add_merge(ws_ctx *ctx, ws_experiment *e, const char *dir) {
    if (e->nmerge == WS_MAX_MERGE) return ws_fail(ctx, WS_ERR_ARG, "at most %d folders to merge", WS_MAX_MERGE);
    if (!(e->merge_dirs[e->nmerge] = ws_sys_strdup(dir))) return ws_fail(ctx, WS_ERR_NOMEM, "out of memory");
    e->nmerge++;
    return WS_OK;
}

int ws_experiment_npoints(const ws_experiment *e) {
    int n = 1;
    for (int a = 0; a < e->naxes; a++) n *= e->axes[a].nvalues;
    return n;
}

// The learner list with each learner of kind `kind` given PARAM=value (a later KEY=VALUE
// wins): the learner's name, which is its spec, says the point's value.
static int set_learner_param(const char *list, const char *kind, const char *param, const char *value, char *out,
                             size_t cap) {
    int hits = 0;
    size_t w = 0;
    if (cap) out[0] = 0;
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", list);
    for (char *p = buf; p;) {
        char *next = strchr(p, ',');
        if (next) *next++ = 0;
        size_t kl = strlen(kind);
        int match = !strncmp(p, kind, kl) && (p[kl] == 0 || p[kl] == ':');
        hits += match;
        w += (size_t)snprintf(out + w, w < cap ? cap - w : 0, "%s%s%s%s%s%s", w ? "," : "", p, match ? ":" : "",
                              match ? param : "", match ? "=" : "", match ? value : "");
        p = next;
    }
    return hits;
}

// The runner's options.
static ws_status check_runner(ws_ctx *ctx, const ws_experiment *e) {
    int I, N;
    if (e->opt.shard[0] && e->opt.unit[0]) return ws_fail(ctx, WS_ERR_ARG, "--shard and --unit: give one of them");
    if (e->opt.budget > 0 && !e->opt.estimate)
        return ws_fail(ctx, WS_ERR_ARG, "--budget sizes an estimate's Slurm array: give --estimate with it");
    if (e->opt.estimate && e->opt.plan) return ws_fail(ctx, WS_ERR_ARG, "--estimate and --plan: give one of them");
    if (e->opt.shard[0]) return ws_shard_parse(ctx, e->opt.shard, &I, &N);
    return WS_OK;
}

// The resolved configuration, with the program's own learners after the listed ones.
static ws_status resolve(ws_ctx *ctx, ws_experiment *e) {
    ws_status st = ws_options_resolve(ctx, e->scenario, &e->opt, &e->batch, &e->online, &e->transfer, &e->continual);
    if (st) return st;
    ws_setup *setups[3] = {&e->batch.base, &e->online.base, &e->transfer.base};
    for (int k = 0; k < 3; k++)
        for (int i = 0; i < e->ncustom; i++) {
            ws_setup *c = setups[k];
            if (ws_learner_index(c->learners, c->nlearners, e->custom[i].name) >= 0)
                return ws_fail(ctx, WS_ERR_ARG, "learner '%s' is listed twice", e->custom[i].name);
            if (c->nlearners == WS_MAX_LEARNERS) return ws_fail(ctx, WS_ERR_ARG, "more than %d learners", WS_MAX_LEARNERS);
            c->learners[c->nlearners] = e->custom[i];
            if (c->keep_optim && e->custom[i].kind != WS_LEARNER_RANDOM) c->learners[c->nlearners].keep_optim = 1;
            c->nlearners++;
        }
    return check_runner(ctx, e);
}

ws_status ws_experiment_point(ws_ctx *ctx, const ws_experiment *e, int p, ws_experiment **out) {
    *out = NULL;
    ws_experiment *pe;
    ws_status st = ws_experiment_new(ctx, e->scenario, 0, &pe);
    if (st) return st;
    // The sweep's own options, its grid and learner list left out (both recorded as two arguments).
    char **args = ws_sys_calloc((size_t)e->nargs + 4 * WS_MAX_AXES + 8, sizeof *args);
    char store[WS_MAX_AXES + 2][4200], list[4096], params[512] = "";
    int na = 0, ns = 0;
    if (!args) {
        ws_experiment_free(pe);
        return ws_fail(ctx, WS_ERR_NOMEM, "out of memory");
    }
    for (int i = 0; i < e->nargs; i++) {
        if (e->sweep && (!strcmp(e->args[i], "--grid") || !strcmp(e->args[i], "--learners")) && i + 1 < e->nargs) {
            i++;
            continue;
        }
        args[na++] = e->args[i];
    }
    // The point's values: axis a's index is (p / stride) % nvalues, the last axis fastest.
    snprintf(list, sizeof list, "%s", e->learners);
    int stride = 1, idx[WS_MAX_AXES];
    for (int a = e->naxes - 1; a >= 0; a--) idx[a] = (p / stride) % e->axes[a].nvalues, stride *= e->axes[a].nvalues;
    for (int a = 0; a < e->naxes; a++) {
        const char *key = e->axes[a].key, *v = e->axes[a].values[idx[a]], *dot = strchr(key, '.');
        size_t pl = strlen(params);
        snprintf(params + pl, sizeof params - pl, "%s%s=%s", pl ? " " : "", key, v);
        const ws_option_def *flag = flag_def(e, key);
        if (dot) {
            char kind[64], next[4096];
            snprintf(kind, sizeof kind, "%.*s", (int)(dot - key), key);
            set_learner_param(list, kind, dot + 1, v, next, sizeof next);
            snprintf(list, sizeof list, "%s", next);
        } else if (flag) {
            // on: --flag; off: nothing, or --flag=false where the shared options turned it on.
            int base_on = *(const int *)((const char *)&e->opt + flag->offset);
            if (!strcmp(v, "on")) snprintf(store[ns], sizeof store[ns], "--%s", key), args[na++] = store[ns++];
            else if (base_on) snprintf(store[ns], sizeof store[ns], "--%s=false", key), args[na++] = store[ns++];
        } else {
            snprintf(store[ns], sizeof store[ns], "--%s", key);
            args[na++] = store[ns++];
            args[na++] = (char *)v;
        }
    }
    args[na++] = "--learners";
    snprintf(store[ns], sizeof store[ns], "%s", list);
    args[na++] = store[ns++];
    st = ws_experiment_args(ctx, pe, na, args);
    free(args);
    // Where and how it runs: the sweep's runner options, its folder OUT/points/NNN.
    if (!st) {
        pe->opt.resume = e->opt.resume, pe->opt.plan = e->opt.plan, pe->opt.quiet = e->opt.quiet;
        pe->opt.jobs = e->opt.jobs, pe->opt.estimate = e->opt.estimate, pe->opt.budget = e->opt.budget;
        snprintf(pe->opt.shard, sizeof pe->opt.shard, "%s", e->opt.shard);
        snprintf(pe->opt.unit, sizeof pe->opt.unit, "%s", e->opt.unit);
        snprintf(pe->opt.out, sizeof pe->opt.out, "%s/points/%03d", e->opt.out, p);
        snprintf(pe->prefix, sizeof pe->prefix, "p%03d/", p);
        snprintf(pe->params, sizeof pe->params, "%s", params);
        pe->point = p, pe->npoints = ws_experiment_npoints(e);
        for (int i = 0; i < e->ncustom; i++) pe->custom[pe->ncustom++] = e->custom[i];
        for (int i = 0; i < e->nmerge && !st; i++) {
            size_t len = strlen(e->merge_dirs[i]) + 16;
            if (!(pe->merge_dirs[i] = ws_sys_malloc(len))) st = ws_fail(ctx, WS_ERR_NOMEM, "out of memory");
            else snprintf(pe->merge_dirs[i], len, "%s/points/%03d", e->merge_dirs[i], p), pe->nmerge++;
        }
    }
    if (!st) st = resolve(ctx, pe);
    if (st) {
        ws_fail_prefix(ctx, st, "grid point %d (%s): ", p + 1, params);
        ws_experiment_free(pe);
        return st;
    }
    *out = pe;
    return WS_OK;
}

// Every claim read and checked against the experiment, and a sweep's against each of its points
// (p: the point, NULL outside a sweep); `matched` counts, per claim, the points it names.
static ws_status check_claims(ws_ctx *ctx, const ws_experiment *e, const ws_experiment *p, int *matched) {
    const char *from = e->claims_from[0] ? e->claims_from : "the experiment";
    ws_claim_spec *c = ws_sys_malloc(sizeof *c);
    if (!c) return ws_fail(ctx, WS_ERR_NOMEM, "out of memory");
    ws_status st = WS_OK;
    for (int i = 0; i < e->nclaims && !st; i++)
        if (!(st = ws_claim_parse(ctx, from, &e->claims[i], c)) && !(st = ws_claim_check(ctx, from, c, e, p)) && p)
            matched[i] += ws_claim_at_point(c, p->params);
    free(c);
    return st;
}

ws_status ws_experiment_check(ws_ctx *ctx, ws_experiment *e) {
    if (!e->sweep) {
        ws_status st = resolve(ctx, e);
        return st ? st : check_claims(ctx, e, NULL, NULL);
    }
    if (!e->naxes) return ws_fail(ctx, WS_ERR_ARG, "no --grid KEY=V,V,... given");
    int npoints = 1;
    for (int a = 0; a < e->naxes; a++) {
        npoints *= e->axes[a].nvalues;
        if (npoints > WS_MAX_POINTS) return ws_fail(ctx, WS_ERR_ARG, "more than %d grid points", WS_MAX_POINTS);
        const char *dot = strchr(e->axes[a].key, '.');
        if (dot) { // a learner parameter: some learner of that kind must be in the list
            char kind[64], tmp[2];
            snprintf(kind, sizeof kind, "%.*s", (int)(dot - e->axes[a].key), e->axes[a].key);
            if (!set_learner_param(e->learners, kind, dot + 1, "0", tmp, 0))
                return ws_fail(ctx, WS_ERR_ARG, "--grid %s: no learner of kind '%s' in --learners %s", e->axes[a].key,
                               kind, e->learners);
        }
    }
    e->npoints = npoints;
    // Every point resolved now: a bad value anywhere is refused before anything runs.
    int *matched = ws_sys_calloc((size_t)e->nclaims + 1, sizeof *matched);
    if (!matched) return ws_fail(ctx, WS_ERR_NOMEM, "out of memory");
    ws_status st = WS_OK;
    for (int p = 0; p < npoints && !st; p++) {
        ws_experiment *pe;
        if ((st = ws_experiment_point(ctx, e, p, &pe))) break;
        if (p == 0) {
            e->batch = pe->batch, e->online = pe->online, e->transfer = pe->transfer;
            st = check_claims(ctx, e, NULL, NULL);
        }
        if (!st) st = check_claims(ctx, e, pe, matched);
        ws_experiment_free(pe);
    }
    for (int i = 0; i < e->nclaims && !st; i++)
        if (!matched[i])
            st = ws_fail(ctx, WS_ERR_ARG, "%s: [claim %s]: its point is not a point of the grid (write every axis: "
                         "'point = KEY=V KEY=V')", e->claims_from[0] ? e->claims_from : "the experiment", e->claims[i].id);
    free(matched);
    return st ? st : check_runner(ctx, e);
}

cJSON *ws_experiment_run_json(const ws_experiment *e) {
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "command", e->sweep ? "sweep" : ws_command_name(e->scenario));
    cJSON *args = cJSON_AddArrayToObject(j, "options");
    if (e->sweep) ws_json_push(args, cJSON_CreateString(ws_command_name(e->scenario)));
    for (int i = 0; i < e->nargs; i++) ws_json_push(args, cJSON_CreateString(e->args[i]));
    if (e->nclaims) {
        cJSON *claims = cJSON_AddArrayToObject(j, "claims");
        for (int i = 0; i < e->nclaims; i++) ws_json_push(claims, ws_claim_keys_json(&e->claims[i]));
    }
    return j;
}

ws_status ws_experiment_from_run_json(ws_ctx *ctx, const cJSON *run, const char *where, ws_experiment **out) {
    *out = NULL;
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(run, "command"), *o = cJSON_GetObjectItemCaseSensitive(run, "options");
    if (!cJSON_IsString(c) || !cJSON_IsArray(o)) return ws_fail(ctx, WS_ERR_FORMAT, "%s: not a warmstart run description", where);
    const int sweep = !strcmp(c->valuestring, "sweep");
    int n = cJSON_GetArraySize(o), k = 0;
    char **argv = ws_sys_calloc((size_t)n + 1, sizeof *argv);
    if (!argv) return ws_fail(ctx, WS_ERR_NOMEM, "out of memory");
    const cJSON *x;
    cJSON_ArrayForEach(x, o) {
        if (!cJSON_IsString(x)) {
            free(argv);
            return ws_fail(ctx, WS_ERR_FORMAT, "%s: an option is not a string", where);
        }
        argv[k++] = x->valuestring;
    }
    const char *scenario = sweep ? (k ? argv[0] : "") : c->valuestring;
    ws_command cmd = ws_command_parse(scenario);
    ws_status st;
    if (!(cmd & WS_CMD_SCENARIOS)) st = ws_fail(ctx, WS_ERR_FORMAT, "%s: unknown command '%s'", where, scenario);
    else if (!(st = ws_experiment_new(ctx, cmd, sweep, out)) && (st = ws_experiment_args(ctx, *out, k - sweep, argv + sweep))) {
        ws_fail_prefix(ctx, st, "%s: ", where);
        ws_experiment_free(*out);
        *out = NULL;
    }
    free(argv);
    const cJSON *claims = cJSON_GetObjectItemCaseSensitive(run, "claims");
    int nclaims = cJSON_GetArraySize(claims);
    ws_config_claim *kept = !st && nclaims ? ws_sys_calloc((size_t)nclaims, sizeof *kept) : NULL;
    if (!st && nclaims && !kept) st = ws_fail(ctx, WS_ERR_NOMEM, "out of memory");
    for (int i = 0; i < nclaims && !st; i++) st = ws_claim_keys_from_json(ctx, cJSON_GetArrayItem(claims, i), &kept[i]);
    if (!st) st = add_claims(ctx, *out, kept, nclaims, where);
    free(kept);
    if (st && *out) {
        ws_fail_prefix(ctx, st, "%s: ", where);
        ws_experiment_free(*out);
        *out = NULL;
    }
    return st;
}
