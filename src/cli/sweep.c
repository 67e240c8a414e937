// warmstart sweep SCENARIO [its options] --grid KEY=V,V,... [--grid ...] [--out DIR]
//
// Every point of the grid runs the scenario command in this process with the
// base options plus the point's (its results in DIR/points/NNN, its table in
// DIR/points/NNN/table.txt), then each point is read back and reduced to, per
// learner, accuracy and compute (ws_sweep_read); DIR/sweep.jsonl and
// DIR/sweep.csv get one entry per (point, learner) with its Pareto mark.
// Grid keys: an option of the scenario without its dashes (lr, batch, wd,
// phase1-epochs, max-epochs, ...), a flag with values on/off (augment,
// keep-optim, adamw, nesterov, keep-head), or KIND.PARAM for the parameters of
// every learner of that kind (shrink-perturb.lambda, ewc.lambda, ...).
#define _POSIX_C_SOURCE 200809L
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/units.h"
#include "exp/sweep.h"
#include "io/atomic.h"
#include "io/jsonl.h"
#include "io/lock.h"
#include "report/plot.h"

#define MAX_AXES 8
#define MAX_VALUES 32
#define MAX_POINTS 1000

typedef struct {
    char key[64];
    int nvalues;
    char values[MAX_VALUES][64];
} axis;

static const char *FLAGS[] = {"augment", "keep-optim", "adamw", "nesterov", "keep-head"};

static int is_flag(const char *key) {
    for (size_t i = 0; i < sizeof FLAGS / sizeof FLAGS[0]; i++)
        if (!strcmp(FLAGS[i], key)) return 1;
    return 0;
}

static int parse_axis(const char *text, axis *a, char *err, size_t cap) {
    const char *eq = strchr(text, '=');
    if (!eq || eq == text || !eq[1] || (size_t)(eq - text) >= sizeof a->key)
        return snprintf(err, cap, "--grid %s: expected KEY=V,V,...", text), 1;
    memset(a, 0, sizeof *a);
    snprintf(a->key, sizeof a->key, "%.*s", (int)(eq - text), text);
    for (const char *p = eq + 1; *p;) {
        const char *c = strchr(p, ',');
        size_t n = c ? (size_t)(c - p) : strlen(p);
        if (!n || n >= sizeof a->values[0] || a->nvalues == MAX_VALUES)
            return snprintf(err, cap, "--grid %s: empty, too long or more than %d values", text, MAX_VALUES), 1;
        snprintf(a->values[a->nvalues++], sizeof a->values[0], "%.*s", (int)n, p);
        if (is_flag(a->key) && strcmp(a->values[a->nvalues - 1], "on") && strcmp(a->values[a->nvalues - 1], "off"))
            return snprintf(err, cap, "--grid %s: %s is a flag: its values are on and off", text, a->key), 1;
        p += n + (c ? 1 : 0);
    }
    if (a->key[0] == '-') return snprintf(err, cap, "--grid %s: name the option without dashes (lr=..)", text), 1;
    return 0;
}

// The learner list with each learner of kind `kind` given PARAM=value (a later KEY=VALUE wins).
static int set_learner_param(const char *list, const char *kind, const char *param, const char *value, char *out,
                             size_t cap) {
    int hits = 0;
    size_t w = 0;
    out[0] = 0;
    char buf[2048];
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

typedef struct {
    int point;
    char params[512];          // "lr=0.01 batch=32"
    ws_sweep_cell cell;
    ws_summary acc, seconds, epochs;
    uint8_t pareto;
} entry;

// Run one point with stdout into DIR/table.txt (a shard's or a unit's
// progress note: nowhere; the plan: stdout itself).
static int run_point(const char *scenario, int argc, char **argv, const char *dir, int to_table, int plan) {
    if (plan) return cli_run_scenario(scenario, argc, argv);
    char path[1200];
    if (to_table) snprintf(path, sizeof path, "%s/table.txt", dir);
    else snprintf(path, sizeof path, "/dev/null");
    fflush(stdout);
    int saved = dup(1), fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (saved < 0 || fd < 0) {
        if (saved >= 0) close(saved);
        return die("sweep", "cannot redirect a point's table");
    }
    dup2(fd, 1);
    close(fd);
    int rc = cli_run_scenario(scenario, argc, argv);
    fflush(stdout);
    dup2(saved, 1);
    close(saved);
    return rc;
}

// The first record's configuration (the scenario's, at point 0).
static ws_status first_config(ws_ctx *ctx, cJSON *rec, void *user) {
    cJSON **keep = user;
    if (!*keep) *keep = cJSON_DetachItemFromObject(rec, "config");
    return WS_OK;
}

// What all points share, from point 0's resolved configuration (the grid's
// keys vary by point: their values are in each entry's params).
static void add_shared_config(ws_ctx *ctx, cJSON *config, const char *point0_results) {
    cJSON *c0 = NULL;
    if (ws_jsonl_each(ctx, point0_results, first_config, &c0, NULL) || !c0) return;
    const char *keys[] = {"warmstart_version", "data", "protocol", "split", "normalization", "model", "phase1",
                          "threshold", "max_epochs", "seeds", "first_seed", "threads", "backend"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        cJSON *v = cJSON_DetachItemFromObject(c0, keys[i]);
        if (v) cJSON_AddItemToObject(config, keys[i], v);
    }
    cJSON_Delete(c0);
}

static void print_help(void) {
    printf("usage: warmstart sweep SCENARIO [SCENARIO options] --grid KEY=V,V,... [--grid ...] [--out DIR]\n\n"
           "Run SCENARIO (batch, online, active, transfer) once per point of the grid and report, per point and\n"
           "learner, the test accuracy (online: last round; transfer: largest share) and the compute to converge\n"
           "(training seconds and epochs, summed over rounds / shares), mean ± 95%% CI over seeds, and the\n"
           "Pareto front of accuracy against seconds.\n\n"
           "  --grid KEY=V,V  an axis: an option of the scenario without dashes (lr, batch, wd, phase1-epochs, ...),\n"
           "                  a flag with values on/off (augment, keep-optim, adamw, nesterov, keep-head), or\n"
           "                  KIND.PARAM for every learner of that kind (shrink-perturb.lambda, ewc.lambda, ...)\n"
           "  --out DIR       DIR/sweep.jsonl, DIR/sweep.csv, DIR/points/NNN/ (default results/sweep)\n\n"
           "example: warmstart sweep batch --subset 10000 --seeds 3 --grid lr=0.0001,0.001,0.01 --grid batch=32,128\n");
}

static int sweep_run(int argc, char **argv) {
    const char *cmd = "sweep";
    if (argc >= 1 && (!strcmp(argv[0], "--help") || !strcmp(argv[0], "-h"))) return print_help(), 0;
    if (argc < 1 || (strcmp(argv[0], "batch") && strcmp(argv[0], "online") && strcmp(argv[0], "active") &&
                     strcmp(argv[0], "transfer")))
        return die(cmd, "expected a scenario first: warmstart sweep batch|online|active|transfer [options] --grid ...");
    const char *scenario = argv[0], *out = "results/sweep", *learners = "warm,random";
    axis axes[MAX_AXES];
    int naxes = 0;
    char **base = calloc((size_t)argc + 8, sizeof *base);
    int nbase = 0;
    char err[600];
    run_opts ro = {0};
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help")) return free(base), print_help(), 0;
        // The runner's options apply to every point's units.
        const char *value_opts[] = {"--shard", "--unit", "--merge"};
        const char **dest[] = {&ro.shard, &ro.unit, &ro.merge};
        int taken = 0;
        for (int k = 0; k < 3; k++)
            if (!strcmp(argv[i], value_opts[k])) {
                if (i + 1 == argc) {
                    snprintf(err, sizeof err, "%s needs a value", argv[i]);
                    return free(base), die(cmd, err);
                }
                *dest[k] = argv[++i], taken = 1;
            }
        if (taken) continue;
        if (!strcmp(argv[i], "--resume")) {
            ro.resume = 1;
            continue;
        }
        if (!strcmp(argv[i], "--plan")) {
            ro.plan = 1;
            continue;
        }
        if ((!strcmp(argv[i], "--grid") || !strcmp(argv[i], "--out")) && i + 1 == argc) {
            snprintf(err, sizeof err, "%s needs a value", argv[i]);
            return free(base), die(cmd, err);
        }
        if (!strcmp(argv[i], "--grid")) {
            if (naxes == MAX_AXES) return free(base), die(cmd, "more than 8 --grid axes");
            if (parse_axis(argv[++i], &axes[naxes++], err, sizeof err)) return free(base), die(cmd, err);
        } else if (!strcmp(argv[i], "--out")) {
            out = argv[++i];
        } else if (!strcmp(argv[i], "--learners") && i + 1 < argc) {
            learners = argv[++i];
        } else if (!strcmp(argv[i], "--quiet")) {
        } else {
            base[nbase++] = argv[i];
        }
    }
    if (!naxes) return free(base), die(cmd, "no --grid KEY=V,V,... given");
    int npoints = 1;
    for (int a = 0; a < naxes; a++) {
        npoints *= axes[a].nvalues;
        if (npoints > MAX_POINTS) return free(base), die(cmd, "more than 1000 grid points");
        const char *dot = strchr(axes[a].key, '.');
        if (dot) { // a learner parameter: some learner of that kind must be in the list
            char kind[64], tmp[2];
            snprintf(kind, sizeof kind, "%.*s", (int)(dot - axes[a].key), axes[a].key);
            if (!set_learner_param(learners, kind, dot + 1, "0", tmp, 0)) {
                snprintf(err, sizeof err, "--grid %s: no learner of kind '%s' in --learners %s", axes[a].key, kind,
                         learners);
                return free(base), die(cmd, err);
            }
        }
    }
    if (run_opts_check(cmd, &ro)) return free(base), 1;
    const int whole = !ro.shard && !ro.unit; // this process runs every unit (or merges): it reduces
    ws_ctx ctx;
    ws_ctx_init(&ctx, 1);
    char pdir[1200];
    snprintf(pdir, sizeof pdir, "%s/points", out);
    int lockfd = -1, shardfd = -1;
    if (!ro.plan) {
        if (ensure_dir(cmd, pdir, &ctx)) return free(base), 1;
        // Shards share the sweep's folder; each holds its own shard's lock.
        char name[96];
        int I = 0, N = 0;
        if (ro.shard && parse_shard(ro.shard, &I, &N, err, sizeof err)) return free(base), die(cmd, err);
        snprintf(name, sizeof name, ".warmstart-shard-%d-of-%d.lock", I, N);
        if (ws_dir_lock_named(&ctx, out, ".warmstart.lock", ro.shard != NULL, &lockfd) ||
            (ro.shard && ws_dir_lock_named(&ctx, out, name, 0, &shardfd)))
            return free(base), ws_dir_unlock(lockfd), die(cmd, ctx.err);
        if (!ro.merge && write_run_json(cmd, &ctx, out, "sweep", argc, argv)) return free(base), ws_dir_unlock(lockfd), 1;
    }
    int missing_points = 0;
    char merge_list[4096];
    entry *entries = calloc((size_t)npoints * WS_MAX_LEARNERS, sizeof *entries);
    int nentries = 0, rc = 0;
    const char *results = !strcmp(scenario, "batch") ? "batch.jsonl" : !strcmp(scenario, "transfer") ? "transfer.jsonl"
                                                                                                       : "online.jsonl";
    for (int p = 0; p < npoints && !rc; p++) {
        // The point's values: axis a's index is (p / stride) % nvalues, the last axis fastest.
        char *args[64 + 16];
        char store[MAX_AXES + 2][2200], params[512] = "", dir[1300];
        int na = 0, ns = 0;
        for (int i = 0; i < nbase && na < 60; i++) args[na++] = base[i];
        char list[2200];
        snprintf(list, sizeof list, "%s", learners);
        int stride = 1, idx[MAX_AXES];
        for (int a = naxes - 1; a >= 0; a--) idx[a] = (p / stride) % axes[a].nvalues, stride *= axes[a].nvalues;
        for (int a = 0; a < naxes; a++) {
            const char *key = axes[a].key, *v = axes[a].values[idx[a]], *dot = strchr(key, '.');
            size_t pl = strlen(params);
            snprintf(params + pl, sizeof params - pl, "%s%s=%s", pl ? " " : "", key, v);
            if (dot) {
                char kind[64], next[2200];
                snprintf(kind, sizeof kind, "%.*s", (int)(dot - key), key);
                set_learner_param(list, kind, dot + 1, v, next, sizeof next);
                snprintf(list, sizeof list, "%s", next);
            } else if (is_flag(key)) {
                if (!strcmp(v, "on")) snprintf(store[ns], sizeof store[ns], "--%s", key), args[na++] = store[ns++];
            } else {
                snprintf(store[ns], sizeof store[ns], "--%s", key);
                args[na++] = store[ns++];
                args[na++] = (char *)v;
            }
        }
        args[na++] = "--learners";
        snprintf(store[ns], sizeof store[ns], "%s", list);
        args[na++] = store[ns++];
        snprintf(dir, sizeof dir, "%s/%03d", pdir, p);
        args[na++] = "--out";
        args[na++] = dir;
        args[na++] = "--quiet";
        // Units: "pNNN/s1/warm"; shards rotate over all points' units.
        char prefix[32], point[16], points[16];
        snprintf(prefix, sizeof prefix, "p%03d/", p);
        snprintf(point, sizeof point, "%d", p);
        snprintf(points, sizeof points, "%d", npoints);
        args[na++] = "--unit-prefix", args[na++] = prefix, args[na++] = "--point", args[na++] = point;
        args[na++] = "--points", args[na++] = points;
        if (ro.resume) args[na++] = "--resume";
        if (ro.plan) args[na++] = "--plan";
        if (ro.shard) args[na++] = "--shard", args[na++] = (char *)ro.shard;
        if (ro.unit) args[na++] = "--unit", args[na++] = (char *)ro.unit;
        if (ro.merge) { // each merged folder's point p
            merge_list[0] = 0;
            char tmp[4096], *save = NULL;
            snprintf(tmp, sizeof tmp, "%s", ro.merge);
            for (char *d = strtok_r(tmp, ",", &save); d; d = strtok_r(NULL, ",", &save))
                snprintf(merge_list + strlen(merge_list), sizeof merge_list - strlen(merge_list), "%s%s/points/%03d",
                         merge_list[0] ? "," : "", d, p);
            args[na++] = "--merge", args[na++] = merge_list;
        }
        if (!ro.plan && ensure_dir(cmd, dir, &ctx)) {
            rc = 1;
            break;
        }
        if (!ro.plan) fprintf(stderr, "warmstart sweep: point %d/%d: %s\n", p + 1, npoints, params);
        int prc = run_point(scenario, na, args, dir, whole, ro.plan);
        if (prc == WS_EXIT_ALL_DIVERGED && whole) {
            fprintf(stderr, "warmstart sweep: point %d (%s) has no results: every seed had a diverged unit (%s/table.txt)\n",
                    p + 1, params, dir);
            missing_points++;
            continue;
        }
        if (prc) {
            snprintf(err, sizeof err, "point %d (%s) failed (its message above)", p + 1, params);
            rc = die(cmd, err);
            break;
        }
        if (!whole || ro.plan) continue;
        char path[1400];
        snprintf(path, sizeof path, "%s/%s", dir, results);
        ws_sweep_point pt;
        if (ws_sweep_read(&ctx, path, &pt)) {
            rc = die(cmd, ctx.err);
            break;
        }
        for (int c = 0; c < pt.ncells; c++) {
            entry *e = &entries[nentries++];
            e->point = p;
            snprintf(e->params, sizeof e->params, "%s", params);
            e->cell = pt.cells[c];
            e->acc = ws_summarize(e->cell.acc, e->cell.n);
            e->seconds = ws_summarize(e->cell.seconds, e->cell.n);
            e->epochs = ws_summarize(e->cell.epochs, e->cell.n);
        }
    }
    if (!rc && (!whole || ro.plan)) { // the shard's or unit's part is done; the reduction waits for the merge
        if (!ro.plan)
            printf("sweep %s: %s %s done; when every shard has run: warmstart merge %s\n", out,
                   ro.shard ? "shard" : "unit", ro.shard ? ro.shard : ro.unit, out);
        free(entries);
        free(base);
        ws_dir_unlock(shardfd);
        ws_dir_unlock(lockfd);
        ws_ctx_release(&ctx);
        return 0;
    }
    if (!rc) {
        double *acc = malloc(sizeof(double) * (size_t)(nentries + 1)), *secs = malloc(sizeof(double) * (size_t)(nentries + 1));
        uint8_t *front = malloc((size_t)nentries + 1);
        for (int i = 0; i < nentries; i++) acc[i] = entries[i].acc.mean, secs[i] = entries[i].seconds.mean;
        ws_pareto(acc, secs, nentries, front);
        for (int i = 0; i < nentries; i++) entries[i].pareto = front[i];
        free(acc), free(secs), free(front);
        // The record of the sweep itself, attached to every line.
        cJSON *config = cJSON_CreateObject();
        cJSON_AddStringToObject(config, "experiment", "sweep");
        cJSON_AddStringToObject(config, "scenario", scenario);
        cJSON *b = cJSON_AddArrayToObject(config, "base_arguments");
        for (int i = 0; i < nbase; i++) cJSON_AddItemToArray(b, cJSON_CreateString(base[i]));
        cJSON_AddStringToObject(config, "learners", learners);
        cJSON *g = cJSON_AddObjectToObject(config, "grid");
        for (int a = 0; a < naxes; a++) {
            cJSON *v = cJSON_AddArrayToObject(g, axes[a].key);
            for (int k = 0; k < axes[a].nvalues; k++) cJSON_AddItemToArray(v, cJSON_CreateString(axes[a].values[k]));
        }
        cJSON_AddStringToObject(config, "accuracy", "test accuracy (online/active: the last round; transfer: the largest share)");
        cJSON_AddStringToObject(config, "seconds", "training seconds to converge (online/active: all rounds; transfer: all shares)");
        cJSON_AddStringToObject(config, "point_results", "points/NNN/ (each with its full resolved configuration)");
        char p0[1400];
        snprintf(p0, sizeof p0, "%s/000/%s", pdir, results);
        add_shared_config(&ctx, config, p0);
        cJSON **recs = calloc((size_t)nentries + 1, sizeof *recs);
        for (int i = 0; i < nentries; i++) {
            const entry *e = &entries[i];
            cJSON *o = recs[i] = cJSON_CreateObject();
            cJSON_AddNumberToObject(o, "point", e->point);
            cJSON *pa = cJSON_AddObjectToObject(o, "params");
            char tmp[512];
            snprintf(tmp, sizeof tmp, "%s", e->params);
            for (char *tok = strtok(tmp, " "); tok; tok = strtok(NULL, " ")) {
                char *eq = strchr(tok, '=');
                *eq = 0;
                cJSON_AddStringToObject(pa, tok, eq + 1);
            }
            cJSON_AddStringToObject(o, "learner", e->cell.learner);
            const ws_summary *sm[3] = {&e->acc, &e->seconds, &e->epochs};
            const char *names[3] = {"test_acc", "seconds", "epochs"};
            for (int k = 0; k < 3; k++) {
                cJSON *s = cJSON_AddObjectToObject(o, names[k]);
                cJSON_AddNumberToObject(s, "mean", sm[k]->mean);
                cJSON_AddNumberToObject(s, "ci95", sm[k]->n > 1 ? sm[k]->ci95 : 0);
                cJSON_AddNumberToObject(s, "n", sm[k]->n);
            }
            cJSON_AddNumberToObject(o, "converged_seeds", ws_sweep_converged(&e->cell));
            cJSON_AddBoolToObject(o, "pareto", e->pareto);
            snprintf(tmp, sizeof tmp, "points/%03d", e->point);
            cJSON_AddStringToObject(o, "dir", tmp);
        }
        rc = write_jsonl(cmd, &ctx, out, "sweep.jsonl", config, recs, nentries);
        free(recs);
        cJSON_Delete(config);
        char path[1300];
        ws_atomic_file af;
        snprintf(path, sizeof path, "%s/sweep.csv", out);
        if (!rc && ws_atomic_open(&ctx, &af, path)) rc = die(cmd, ctx.err);
        if (!rc) {
            fprintf(af.f, "point,params,learner,seeds,test_acc,test_acc_ci95,seconds,seconds_ci95,epochs,converged_seeds,pareto\n");
            for (int i = 0; i < nentries; i++) {
                const entry *e = &entries[i];
                fprintf(af.f, "%d,%s,%s,%d,%.6f,%.6f,%.3f,%.3f,%.2f,%d,%d\n", e->point, e->params, e->cell.learner,
                        e->cell.n, e->acc.mean, e->acc.n > 1 ? e->acc.ci95 : 0, e->seconds.mean,
                        e->seconds.n > 1 ? e->seconds.ci95 : 0, e->epochs.mean, ws_sweep_converged(&e->cell), e->pareto);
            }
            if (ws_atomic_commit(&ctx, &af)) rc = die(cmd, ctx.err);
        }
    }
    if (!rc) {
        printf("\nSweep over %s: %d points x learners; mean ± 95%% CI over seeds; * = on the Pareto front "
               "(no entry both more accurate and faster)\n\n",
               scenario, npoints);
        if (missing_points)
            printf("note: %d point%s left out: every seed had a diverged unit (see points/NNN/table.txt)\n\n",
                   missing_points, missing_points == 1 ? "" : "s");
        int pw = 8, lw = 9;
        for (int i = 0; i < nentries; i++) {
            if ((int)strlen(entries[i].params) + 2 > pw) pw = (int)strlen(entries[i].params) + 2;
            if ((int)strlen(entries[i].cell.learner) + 2 > lw) lw = (int)strlen(entries[i].cell.learner) + 2;
        }
        print_cell("params", pw), print_cell("learner", lw);
        printf("%-18s%-18s%-10s%-11s%s\n", "test acc %", "seconds", "epochs", "converged", "pareto");
        for (int i = 0; i < nentries; i++) {
            const entry *e = &entries[i];
            char a[64], s[64], ep[32];
            fmt_summary(a, sizeof a, e->cell.acc, e->cell.n, 100, 2);
            fmt_summary(s, sizeof s, e->cell.seconds, e->cell.n, 1, 2);
            snprintf(ep, sizeof ep, "%.1f", e->epochs.mean);
            print_cell(e->params, pw), print_cell(e->cell.learner, lw), print_cell(a, 18), print_cell(s, 18);
            print_cell(ep, 10);
            snprintf(ep, sizeof ep, "%d/%d", ws_sweep_converged(&e->cell), e->cell.n);
            print_cell(ep, 11);
            printf("%s\n", e->pareto ? "*" : "");
        }
        // The paper's finding: warm models that generalise as well as random ones take as long to train.
        int best_r = -1;
        for (int i = 0; i < nentries; i++)
            if (!strcmp(entries[i].cell.learner, "random") && (best_r < 0 || entries[i].acc.mean > entries[best_r].acc.mean))
                best_r = i;
        if (best_r >= 0) {
            int matched = 0, nwarm = 0, fastest = -1;
            for (int i = 0; i < nentries; i++) {
                if (!strcmp(entries[i].cell.learner, "random")) continue;
                if (strcmp(entries[i].cell.learner, "warm")) continue;
                nwarm++;
                if (entries[i].acc.mean >= entries[best_r].acc.mean - 0.01) {
                    matched++;
                    if (fastest < 0 || entries[i].seconds.mean < entries[fastest].seconds.mean) fastest = i;
                }
            }
            printf("\nbest random: %.2f%% in %.2fs (%s)\n", 100 * entries[best_r].acc.mean, entries[best_r].seconds.mean,
                   entries[best_r].params);
            if (nwarm && fastest >= 0)
                printf("warm within 1 point of it at %d of %d points; the fastest of those: %.2f%% in %.2fs (%s), %.2fx "
                       "random's time\n",
                       matched, nwarm, 100 * entries[fastest].acc.mean, entries[fastest].seconds.mean,
                       entries[fastest].params, entries[fastest].seconds.mean / entries[best_r].seconds.mean);
            else if (nwarm)
                printf("warm is never within 1 point of it (%d points)\n", nwarm);
        }
        // The figure of accuracy against seconds (gnuplot; a sweep without it is still whole).
        char figdir[1300];
        int nfigs = 0;
        snprintf(figdir, sizeof figdir, "%s/figures", out);
        if (ws_plot_results(&ctx, out, figdir, &nfigs)) fprintf(stderr, "warmstart sweep: note: no figure: %s\n", ctx.err);
        printf("\nresults: %s/sweep.jsonl, %s/sweep.csv%s%s%s; each point's results and table in %s/points/NNN/\n", out,
               out, nfigs ? ", " : "", nfigs ? figdir : "", nfigs ? "/sweep.png" : "", out);
    }
    free(entries);
    free(base);
    ws_dir_unlock(shardfd);
    ws_dir_unlock(lockfd);
    ws_ctx_release(&ctx);
    return rc;
}

int cmd_sweep(int argc, char **argv) {
    // "--key=value" (an experiment file's options) as "--key value" for the options read here.
    char **split = calloc(2 * (size_t)argc + 1, sizeof *split), *eqs[256];
    int ns = 0, neq = 0;
    for (int i = 0; i < argc; i++) {
        const char *mine[] = {"--grid=", "--out=", "--learners=", "--shard=", "--unit=", "--merge="};
        const char *flags[] = {"--resume=", "--plan=", "--quiet="};
        int done = 0;
        for (size_t k = 0; k < sizeof mine / sizeof *mine && !done && neq < 256; k++)
            if (!strncmp(argv[i], mine[k], strlen(mine[k]))) {
                char *name = eqs[neq++] = strndup(argv[i], strlen(mine[k]) - 1);
                split[ns++] = name, split[ns++] = argv[i] + strlen(mine[k]), done = 1;
            }
        for (size_t k = 0; k < sizeof flags / sizeof *flags && !done && neq < 256; k++)
            if (!strncmp(argv[i], flags[k], strlen(flags[k]))) {
                const char *v = argv[i] + strlen(flags[k]);
                if (!strcmp(v, "true") || !strcmp(v, "on") || !strcmp(v, "yes") || !strcmp(v, "1"))
                    split[ns++] = eqs[neq++] = strndup(argv[i], strlen(flags[k]) - 1);
                done = 1;
            }
        if (!done) split[ns++] = argv[i];
    }
    int rc = sweep_run(ns, split);
    for (int i = 0; i < neq; i++) free(eqs[i]);
    free(split);
    return rc;
}
