// warmstart reproduce (reproduce.h).
#define _POSIX_C_SOURCE 200809L
#include "report/reproduce.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "core/version.h"
#include "data/dataset.h"
#include "io/atomic.h"
#include "exp/claim.h"
#include "exp/runner.h"
#include "io/config.h"
#include "io/dir.h"
#include "io/json.h"
#include "ops/backend.h"
#include "report/plot.h"
#include "report/report.h"



static int by_name(const void *a, const void *b) {
    return strcmp(((const ws_artefact *)a)->name, ((const ws_artefact *)b)->name);
}

static void first_comment(const char *path, char *out, size_t cap) {
    out[0] = 0;
    FILE *f = ws_sys_fopen(path, "r");
    if (!f) return;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        if (line[0] != '#') break;
        char *p = line + 1;
        while (*p == ' ') p++;
        p[strcspn(p, "\n")] = 0;
        size_t len = strlen(out);
        snprintf(out + len, cap - len, "%s%s", len ? " " : "", p);
    }
    fclose(f);
}

static const char *option_of(const ws_config_file *f, const char *key) {
    for (int i = 0; i < f->noptions; i++)
        if (!strcmp(f->options[i].key, key)) return f->options[i].value;
    return NULL;
}

// Is dataset `name` there? If not, why (the loader's message says where it looked and how to get it).
static int dataset_present(ws_ctx *ctx, const char *name, char *why, size_t cap) {
    ws_source src;
    if (ws_source_load(ctx, &src, name, NULL) == WS_OK) {
        ws_source_free(&src);
        return 1;
    }
    snprintf(why, cap, "%s", ctx->err);
    return 0;
}

// One artefact: its file read, its data looked for, what its run is (for identical stand-ins).
static ws_status classify(ws_ctx *ctx, const ws_reproduce_opts *o, ws_artefact *x, ws_config_file *f) {
    ws_status st = ws_config_read(ctx, x->path, f);
    if (st) return st;
    // The file checked whole -- options, grid and claims -- before any artefact runs.
    ws_experiment *whole;
    if ((st = ws_experiment_load(ctx, x->path, &whole))) return st;
    st = ws_experiment_check(ctx, whole);
    ws_experiment_free(whole);
    if (st) return st;
    first_comment(x->path, x->title, sizeof x->title);
    // Its claims, kept in reproduce.json so that the report tests each artefact on its own, a
    // same-run stand-in's included.
    if (f->nclaims && !x->claims) {
        x->claims = cJSON_CreateArray();
        for (int i = 0; i < f->nclaims; i++) ws_json_push(x->claims, ws_claim_keys_json(&f->claims[i]));
    }
    const char *data = option_of(f, "data"), *pre = option_of(f, "pretrain");
    snprintf(x->data, sizeof x->data, "%s", data ? data : "fashion-mnist");
    snprintf(x->pretrain, sizeof x->pretrain, "%s", pre ? pre : "");
    char why[1400] = "";
    int there = dataset_present(ctx, x->data, why, sizeof why);
    if (there && pre) there = dataset_present(ctx, pre, why, sizeof why);
    if (!there) {
        snprintf(x->missing, sizeof x->missing, "%s", why);
        x->standin = strcmp(o->scale, "paper") != 0;
    }
    snprintf(x->signature, sizeof x->signature, "%s", f->scenario);
    for (int k = 0; k < f->noptions; k++) {
        const ws_config_entry *e = &f->options[k];
        if (x->standin && (!strcmp(e->key, "data") || !strcmp(e->key, "pretrain"))) continue;
        size_t len = strlen(x->signature);
        snprintf(x->signature + len, sizeof x->signature - len, " %s=%s", e->key, e->value);
    }
    for (int k = 0; k < f->naxes; k++) {
        size_t len = strlen(x->signature);
        snprintf(x->signature + len, sizeof x->signature - len, " [grid]%s=%s", f->axes[k].key, f->axes[k].value);
    }
    return WS_OK;
}

ws_status ws_reproduce_list(ws_ctx *ctx, const ws_reproduce_opts *o, ws_artefact *arts, int *n) {
    *n = 0;
    if (strcmp(o->scale, "cpu") && strcmp(o->scale, "paper") && strcmp(o->scale, "demo"))
        return ws_fail(ctx, WS_ERR_ARG, "--scale: expected 'cpu', 'paper' or 'demo'");
    // The artefacts: EXPERIMENTS/SCALE/*.ini, by name.
    char sdir[1400];
    if (o->paper && (!o->paper[0] || strchr(o->paper, '/') || o->paper[0] == '.'))
        return ws_fail(ctx, WS_ERR_ARG, "--paper '%s': a paper's folder name (kumar2024)", o->paper);
    snprintf(sdir, sizeof sdir, "%s/%s%s%s", o->experiments, o->scale, o->paper ? "/" : "", o->paper ? o->paper : "");
    DIR *d = opendir(sdir);
    if (!d && o->paper)
        return ws_fail(ctx, WS_ERR_ARG, "--paper %s: no experiment files at scale %s (%s: %s)", o->paper, o->scale, sdir,
                       ws_sys_strerror(errno));
    if (!d) return ws_fail(ctx, WS_ERR_IO, "%s: %s (the experiment files; --experiments DIR)", sdir, ws_sys_strerror(errno));
    int total = 0;
    struct dirent *de;
    static const size_t name_cap = sizeof arts[0].name;
    while ((de = readdir(d)) && total < WS_MAX_ARTEFACTS) {
        size_t len = strlen(de->d_name);
        if (len < 5 || strcmp(de->d_name + len - 4, ".ini") || len - 4 >= name_cap) continue;
        ws_artefact *x = &arts[total++];
        memset(x, 0, sizeof *x);
        snprintf(x->name, sizeof x->name, "%.*s", (int)(len - 4), de->d_name);
        snprintf(x->path, sizeof x->path, "%s/%s", sdir, de->d_name);
    }
    closedir(d);
    qsort(arts, (size_t)total, sizeof *arts, by_name);
    // --only: every name must be an artefact.
    int selected[WS_MAX_ARTEFACTS];
    for (int i = 0; i < total; i++) selected[i] = !o->only;
    if (o->only) {
        char tmp[1024], *save = NULL;
        snprintf(tmp, sizeof tmp, "%s", o->only);
        for (char *t = strtok_r(tmp, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
            int found = 0;
            for (int i = 0; i < total; i++)
                if (!strcmp(arts[i].name, t)) selected[i] = found = 1;
            if (!found)
                return ws_fail(ctx, WS_ERR_ARG, "--only %s: no artefact '%s' at scale %s (warmstart reproduce --list)",
                               o->only, t, o->scale);
        }
    }
    ws_config_file *f = ws_sys_malloc(sizeof *f);
    if (!f) return ws_fail(ctx, WS_ERR_NOMEM, "out of memory");
    ws_status st = WS_OK;
    for (int i = 0; i < total && !st; i++) {
        if (!selected[i]) continue;
        if (*n != i) arts[*n] = arts[i];
        st = classify(ctx, o, &arts[(*n)++], f);
    }
    free(f);
    return st;
}

void ws_reproduce_release(ws_artefact *arts, int n) {
    for (int i = 0; i < n; i++) cJSON_Delete(arts[i].claims), arts[i].claims = NULL;
}

static void machine(char *out, size_t cap) {
    struct utsname u;
    char model[256] = "unknown CPU";
    FILE *f = ws_sys_fopen("/proc/cpuinfo", "r");
    char line[512];
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, "model name", 10) && strchr(line, ':')) {
            snprintf(model, sizeof model, "%s", strchr(line, ':') + 2);
            model[strcspn(model, "\n")] = 0;
            break;
        }
    if (f) fclose(f);
    uname(&u);
    snprintf(out, cap, "%s, %ld cores, %s %s", model, sysconf(_SC_NPROCESSORS_ONLN), u.sysname, u.release);
}

static int by_entry_name(const void *a, const void *b) {
    const cJSON *x = *(cJSON *const *)a, *y = *(cJSON *const *)b;
    const char *nx = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(x, "name"));
    const char *ny = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(y, "name"));
    return strcmp(nx ? nx : "", ny ? ny : "");
}

// The artefacts of an earlier invocation over the same folder and scale that this one does not
// run (--only), whose folders are still there: kept in the summary (and so in the report's
// claims) rather than lost, each with the revision that ran it.
static void carry_earlier(cJSON *arr, const cJSON *earlier, const ws_reproduce_opts *o, const ws_artefact *arts, int n) {
    const char *scale = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(earlier, "scale"));
    const char *revision = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(earlier, "revision"));
    if (!scale || strcmp(scale, o->scale)) return;
    const cJSON *a;
    cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(earlier, "artefacts")) {
        const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(a, "name"));
        if (!name || strchr(name, '/')) continue;
        int here = 0;
        for (int i = 0; i < n && !here; i++) here = !strcmp(arts[i].name, name);
        char dir[1400];
        snprintf(dir, sizeof dir, "%s/%s", o->out, name);
        const char *status = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(a, "status"));
        if (here || (access(dir, F_OK) && !(status && !strcmp(status, "same run")))) continue;
        cJSON *c = cJSON_Duplicate(a, 1);
        if (!c) continue;
        if (revision && !cJSON_GetObjectItemCaseSensitive(c, "revision")) cJSON_AddStringToObject(c, "revision", revision);
        ws_json_push(arr, c);
    }
    // In name order, as a full run writes them.
    const int m = cJSON_GetArraySize(arr);
    cJSON **v = m ? ws_sys_malloc((size_t)m * sizeof *v) : NULL;
    if (!v) return;
    for (int i = 0; i < m; i++) v[i] = cJSON_DetachItemFromArray(arr, 0);
    qsort(v, (size_t)m, sizeof *v, by_entry_name);
    for (int i = 0; i < m; i++) ws_json_push(arr, v[i]);
    free(v);
}

static ws_status write_summary(ws_ctx *ctx, const ws_reproduce_opts *o, const ws_artefact *arts, int n,
                               const cJSON *earlier) {
    cJSON *j = cJSON_CreateObject();
    char m[512];
    machine(m, sizeof m);
    cJSON_AddStringToObject(j, "scale", o->scale);
    cJSON_AddStringToObject(j, "paper", o->paper ? o->paper : "ash2020");
    cJSON_AddStringToObject(j, "warmstart_version", WARMSTART_VERSION);
    cJSON_AddStringToObject(j, "revision", ws_revision());
    char libs[600], software[900];
    ws_backend_libraries(libs, sizeof libs);
    snprintf(software, sizeof software, "warmstart %s (revision %s, %s); %s", WARMSTART_VERSION, ws_revision(),
#if defined(__clang__)
             "clang " __clang_version__,
#elif defined(__GNUC__)
             "gcc " __VERSION__,
#else
             "an unknown compiler",
#endif
             libs);
    cJSON_AddStringToObject(j, "software", software);
    cJSON_AddStringToObject(j, "machine", m);
    cJSON *arr = cJSON_AddArrayToObject(j, "artefacts");
    for (int i = 0; i < n; i++) {
        const ws_artefact *x = &arts[i];
        cJSON *a = cJSON_CreateObject();
        cJSON_AddStringToObject(a, "name", x->name);
        cJSON_AddStringToObject(a, "title", x->title);
        cJSON_AddStringToObject(a, "experiment_file", x->path);
        // The file's (the paper's) datasets by name, stood in for or not: "cifar10", "cifar10 -> svhn".
        char data[600];
        snprintf(data, sizeof data, "%.*s%s%.*s", (int)strcspn(x->pretrain, ":"), x->pretrain, x->pretrain[0] ? " -> " : "",
                 (int)strcspn(x->data, ":"), x->data);
        cJSON_AddStringToObject(a, "data", data);
        cJSON_AddStringToObject(a, "status", x->status[0] ? x->status : "pending");
        cJSON_AddStringToObject(a, "command", x->command);
        if (x->missing[0]) cJSON_AddStringToObject(a, "missing_data", x->missing);
        cJSON_AddBoolToObject(a, "stand_in", x->standin);
        if (x->standin) cJSON_AddStringToObject(a, "stand_in_data", "fashion-mnist");
        if (x->same_as[0]) cJSON_AddStringToObject(a, "same_run_as", x->same_as);
        cJSON_AddNumberToObject(a, "seconds", x->seconds);
        if (x->claims) ws_json_put(a, "claims", cJSON_Duplicate(x->claims, 1));
        ws_json_push(arr, a);
    }
    if (earlier) carry_earlier(arr, earlier, o, arts, n);
    char path[1300];
    snprintf(path, sizeof path, "%s/reproduce.json", o->out);
    ws_status st = ws_json_write_file(ctx, path, j);
    cJSON_Delete(j);
    return st;
}

// Resumed: each artefact's wall time so far (the summary of the runs before), and which data
// its folder's run used (a stand-in's folder holds STAND-IN.txt from its start).
static void read_before(const ws_reproduce_opts *o, const cJSON *earlier, ws_artefact *arts, int n) {
    const cJSON *before = o->resume || o->merge ? earlier : NULL, *a;
    cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(before, "artefacts")) {
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(a, "name"), *secs = cJSON_GetObjectItemCaseSensitive(a, "seconds");
        for (int i = 0; i < n && cJSON_IsString(name) && cJSON_IsNumber(secs); i++)
            if (!strcmp(arts[i].name, name->valuestring)) arts[i].seconds = secs->valuedouble;
    }
    for (int i = 0; i < n; i++) {
        char path[1500];
        snprintf(path, sizeof path, "%s/%s/run.json", o->out, arts[i].name); // a run (or sweep) has started there
        arts[i].was_standin = -1;
        if ((o->resume || o->merge) && access(path, F_OK) == 0) {
            snprintf(path, sizeof path, "%s/%s/STAND-IN.txt", o->out, arts[i].name);
            arts[i].was_standin = access(path, F_OK) == 0;
        }
    }
}

// The figures of a results folder into its figures/ (a sweep's: its own, and each point's in
// its folder, shown under the sweep in the report). A two-phase run draws what its records hold
// (per-epoch curves, gradient norms, shrunk accuracy): maybe nothing.
static void draw_folder(ws_ctx *ctx, const ws_hooks *h, const char *name, int point, const char *dir) {
    char fig[1500];
    int nfig = 0;
    ws_table *t;
    snprintf(fig, sizeof fig, "%s/figures", dir);
    ws_status st = ws_table_read(ctx, dir, &t);
    if (!st) st = ws_plot_table(ctx, t, fig, &nfig);
    if (st && point < 0) ws_hooks_note(h, "reproduce", "%s: no figures: %s", name, ctx->err);
    else if (st) ws_hooks_note(h, "reproduce", "%s, point %d: no figures: %s", name, point, ctx->err);
    for (int k = 0; !st && t->sweep && k < t->npoints; k++) draw_folder(ctx, h, name, t->points[k].index, t->points[k].dir);
    if (!st) ws_table_free(t);
}

static void draw(ws_ctx *ctx, const ws_hooks *h, const char *name, const char *dir) { draw_folder(ctx, h, name, -1, dir); }

// Run one artefact's experiment file into dir: 0 ok, 1 failed (noted), 2 every seed diverged, 3
// stopped on request (ws_hooks.should_stop; the message in ctx->err) -- OUTCOME's index.
static const char *const OUTCOME[] = {"ok", "failed", "diverged", "interrupted"};
static int run_one(ws_ctx *ctx, const ws_reproduce_opts *o, const ws_hooks *h, ws_artefact *x, const char *dir) {
    ws_outcome out;
    ws_status st;
    const char *who = "reproduce";
    if (o->merge) {
        const char *dirs[1] = {dir};
        who = "merge";
        st = ws_merge(ctx, dirs, 1, NULL, h, &out);
    } else {
        // The command this artefact is: the file, its stand-in, the runner's options.
        char *args[14];
        int na = 0;
        args[na++] = "--out", args[na++] = (char *)dir;
        if (x->standin) {
            args[na++] = "--data=fashion-mnist";
            if (x->pretrain[0]) args[na++] = "--pretrain=default"; // Fashion-MNIST's classes 0-4 -> 5-9
        }
        if (o->threads) args[na++] = "--threads", args[na++] = (char *)o->threads;
        if (o->jobs) args[na++] = "--jobs", args[na++] = (char *)o->jobs;
        if (o->resume) args[na++] = "--resume";
        if (o->shard) args[na++] = "--shard", args[na++] = (char *)o->shard;
        ws_experiment *e;
        st = ws_experiment_load(ctx, x->path, &e);
        if (!st) {
            who = e->sweep ? "sweep" : ws_command_name(e->scenario);
            if (!(st = ws_experiment_args(ctx, e, na, args)) && !(st = ws_experiment_check(ctx, e)))
                st = ws_experiment_run(ctx, e, h, &out);
            ws_experiment_free(e);
        }
    }
    if (st == WS_ERR_INTERRUPTED) return 3; // stopped on request: the message stays in ctx->err
    if (st) {
        ws_hooks_note(h, who, "error: %s", ctx->err);
        return 1;
    }
    return out.all_diverged ? 2 : 0;
}

static ws_status reproduce_run(ws_ctx *ctx, const ws_reproduce_opts *o, const ws_hooks *h, ws_artefact *arts, int n,
                               int *failures, const cJSON *earlier);

ws_status ws_reproduce_run(ws_ctx *ctx, const ws_reproduce_opts *o, const ws_hooks *h, ws_artefact *arts, int n,
                           int *failures) {
    cJSON *earlier = ws_reproduce_summary_read(o->out); // before this invocation rewrites it
    ws_status st = reproduce_run(ctx, o, h, arts, n, failures, earlier);
    cJSON_Delete(earlier);
    return st;
}

static ws_status reproduce_run(ws_ctx *ctx, const ws_reproduce_opts *o, const ws_hooks *h, ws_artefact *arts, int n,
                               int *failures, const cJSON *earlier) {
    *failures = 0;
    int I, N;
    ws_status st;
    if (o->shard && (st = ws_shard_parse(ctx, o->shard, &I, &N))) return st;
    if ((st = ws_dir_make(ctx, o->out))) return st;
    read_before(o, earlier, arts, n);
    for (int i = 0; i < n; i++) {
        ws_artefact *x = &arts[i];
        char dir[1400];
        snprintf(dir, sizeof dir, "%s/%s", o->out, x->name);
        // The command line this artefact stands for (recorded in reproduce.json and the report).
        snprintf(x->command, sizeof x->command, "warmstart run %s --out %s%s%s%s%s%s%s%s%s%s", x->path, dir,
                 x->standin ? " --data=fashion-mnist" : "", x->standin && x->pretrain[0] ? " --pretrain=default" : "",
                 o->threads ? " --threads " : "", o->threads ? o->threads : "", o->jobs ? " --jobs " : "",
                 o->jobs ? o->jobs : "", o->resume ? " --resume" : "",
                 o->shard ? " --shard " : "", o->shard ? o->shard : "");
        // Resumed with other data than the run before (e.g. $WARMSTART_DATA not set this time):
        // its folder holds another configuration; say so plainly rather than as a mismatch.
        if (x->was_standin == 0 && x->standin) {
            ws_hooks_note(h, "reproduce", "%s: the run in %s used its own data (%s), which is not there now (%s); give it as then "
                 "(e.g. the same $WARMSTART_DATA)", x->name, dir, x->data, x->missing);
            snprintf(x->status, sizeof x->status, "failed");
            (*failures)++;
            continue;
        }
        if (x->was_standin == 1 && !x->standin) {
            ws_hooks_note(h, "reproduce", "%s: the run in %s stood in with Fashion-MNIST, but %s is there now: start a new --out "
                 "to run it on its own data", x->name, dir, x->data);
            snprintf(x->status, sizeof x->status, "failed");
            (*failures)++;
            continue;
        }
        if (x->missing[0] && !x->standin) {
            ws_hooks_note(h, "reproduce", "%s: skipped: %s", x->name, x->missing);
            snprintf(x->status, sizeof x->status, "skipped");
            continue;
        }
        if (x->standin) {
            ws_hooks_note(h, "reproduce", "%s: %s; Fashion-MNIST stands in (labelled in the report)", x->name, x->missing);
            // Identical stand-in runs (Table 1's datasets) run once.
            for (int k = 0; k < i && !x->same_as[0]; k++)
                if (arts[k].standin && !arts[k].same_as[0] && !strcmp(arts[k].signature, x->signature))
                    snprintf(x->same_as, sizeof x->same_as, "%s", arts[k].name);
            if (x->same_as[0]) {
                ws_hooks_note(h, "reproduce", "%s: the same stand-in run as %s: not run again", x->name, x->same_as);
                snprintf(x->status, sizeof x->status, "same run");
                continue;
            }
        }
        // The label first, so that the folder says what its run is from the start (and a run
        // over a former stand-in's folder does not keep its label).
        char label[1500];
        snprintf(label, sizeof label, "%s/STAND-IN.txt", dir);
        if (!x->standin) unlink(label);
        else if (!ws_dir_make(ctx, dir)) {
            ws_atomic_file s;
            if (!ws_atomic_open(ctx, &s, label)) {
                fprintf(s.f, "%s: %s\nThis artefact ran on the built-in Fashion-MNIST instead: its numbers are not the "
                             "paper's data.\n", x->name, x->missing);
                ws_atomic_commit(ctx, &s); // the label is a courtesy: its run goes on without it
            }
        }
        double t0 = ws_now();
        if (!o->merge) ws_hooks_note(h, "reproduce", "%s (%d of %d): %s", x->name, i + 1, n, x->title);
        int r = run_one(ctx, o, h, x, dir);
        x->seconds += ws_now() - t0;
        if (r == 0 && !o->shard) draw(ctx, h, x->name, dir);
        snprintf(x->status, sizeof x->status, "%s", r == 0 && o->shard ? "shard done" : OUTCOME[r]);
        if (r == 1) (*failures)++;
        if (r == 3) { // stopped on request (ws_hooks.should_stop): the later artefacts wait for --resume too
            char why[sizeof ctx->err];
            snprintf(why, sizeof why, "%s", ctx->err);
            if ((st = write_summary(ctx, o, arts, n, earlier))) return st;
            return ws_fail(ctx, WS_ERR_INTERRUPTED, "%s: %s", x->name, why);
        }
        // The summary so far, so that a killed run keeps the wall times of what it finished.
        if ((st = write_summary(ctx, o, arts, n, earlier))) return st;
    }
    if ((st = write_summary(ctx, o, arts, n, earlier))) return st;
    if (o->shard) return WS_OK;
    int nr = 0;
    return ws_report_write_in(ctx, o->out, "report", &nr);
}

ws_status ws_reproduce_estimate(ws_ctx *ctx, const ws_reproduce_opts *o, ws_artefact *arts, int n, ws_estimate *est) {
    ws_calib_cache *cache = ws_sys_calloc(1, sizeof *cache);
    if (!cache) return ws_fail(ctx, WS_ERR_NOMEM, "out of memory");
    ws_status st = WS_OK;
    for (int i = 0; i < n && !st; i++) {
        ws_artefact *x = &arts[i];
        memset(&est[i], 0, sizeof est[i]);
        if (x->missing[0] && !x->standin && strcmp(o->scale, "paper")) {
            snprintf(est[i].source, sizeof est[i].source, "skipped: its data is missing");
            continue;
        }
        for (int k = 0; k < i && x->standin && !x->same_as[0]; k++)
            if (arts[k].standin && !arts[k].same_as[0] && !strcmp(arts[k].signature, x->signature))
                snprintf(x->same_as, sizeof x->same_as, "%s", arts[k].name);
        if (x->same_as[0]) {
            snprintf(est[i].source, sizeof est[i].source, "the same stand-in run as %s: not run again", x->same_as);
            continue;
        }
        char *args[8];
        int na = 0;
        if (x->standin) {
            args[na++] = "--data=fashion-mnist";
            if (x->pretrain[0]) args[na++] = "--pretrain=default";
        }
        if (o->threads) args[na++] = "--threads", args[na++] = (char *)o->threads;
        if (o->jobs) args[na++] = "--jobs", args[na++] = (char *)o->jobs; // priced as it will run
        char dir[1400];
        snprintf(dir, sizeof dir, "%s/%s", o->out, x->name);
        ws_experiment *e;
        if ((st = ws_experiment_load(ctx, x->path, &e))) break;
        if (!(st = ws_experiment_args(ctx, e, na, args)) && !(st = ws_experiment_check(ctx, e)))
            st = ws_estimate_experiment(ctx, e, dir, 0, cache, &est[i]);
        ws_experiment_free(e);
        if (st) ws_fail_prefix(ctx, st, "%s: ", x->name);
    }
    free(cache);
    return st;
}
