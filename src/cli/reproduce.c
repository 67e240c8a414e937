// warmstart reproduce: every artefact of the paper (and of the remedies) from
// the experiment files under experiments/SCALE/, each run through the runner
// into DIR/NAME (resumable, shardable), then one report over DIR. A dataset
// that is missing skips its artefact with a line saying how to get it; at CPU
// scale the built-in Fashion-MNIST stands in, and the folder says so.
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/units.h"
#include "data/dataset.h"
#include "io/atomic.h"
#include "io/config.h"
#include "report/plot.h"
#include "report/report.h"

#define MAX_ARTEFACTS 64

typedef struct {
    char name[64];
    char path[1200];
    char title[600];          // the file's leading comment
    char data[256], pretrain[256];
    char missing[1400];       // why a dataset is not there ("" when all are)
    int standin;              // runs on Fashion-MNIST instead
    char same_as[64];         // the artefact whose run this one is (identical stand-ins), or ""
    char status[32];          // ok, skipped, failed, diverged, same run, shard done
    double seconds;
    char command[2400];
    char signature[4096];     // scenario, options and grid, the stand-in's data left out
} artefact;

static int by_name(const void *a, const void *b) { return strcmp(((const artefact *)a)->name, ((const artefact *)b)->name); }

// experiments/ beside the binary's build folder, else in the current folder.
static void default_experiments(char *out, size_t cap) {
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = 0;
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = 0;
            slash = strrchr(exe, '/');
            if (slash) {
                *slash = 0;
                snprintf(out, cap, "%s/experiments", exe);
                struct stat sb;
                if (stat(out, &sb) == 0 && S_ISDIR(sb.st_mode)) return;
            }
        }
    }
    snprintf(out, cap, "experiments");
}

static void first_comment(const char *path, char *out, size_t cap) {
    out[0] = 0;
    FILE *f = fopen(path, "r");
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

static const char *option_of(const ws_experiment_file *f, const char *key) {
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

static void machine(char *out, size_t cap) {
    struct utsname u;
    char model[256] = "unknown CPU";
    FILE *f = fopen("/proc/cpuinfo", "r");
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

static int write_summary(ws_ctx *ctx, const char *out, const char *scale, artefact *const *sel, int n) {
    cJSON *j = cJSON_CreateObject();
    char m[512];
    machine(m, sizeof m);
    cJSON_AddStringToObject(j, "scale", scale);
    cJSON_AddStringToObject(j, "warmstart_version", WS_CLI_VERSION);
    cJSON_AddStringToObject(j, "machine", m);
    cJSON *arr = cJSON_AddArrayToObject(j, "artefacts");
    for (int i = 0; i < n; i++) {
        const artefact *x = sel[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "name", x->name);
        cJSON_AddStringToObject(o, "title", x->title);
        cJSON_AddStringToObject(o, "experiment_file", x->path);
        cJSON_AddStringToObject(o, "status", x->status);
        cJSON_AddStringToObject(o, "command", x->command);
        if (x->missing[0]) cJSON_AddStringToObject(o, "missing_data", x->missing);
        cJSON_AddBoolToObject(o, "stand_in", x->standin);
        if (x->standin) cJSON_AddStringToObject(o, "stand_in_data", "fashion-mnist");
        if (x->same_as[0]) cJSON_AddStringToObject(o, "same_run_as", x->same_as);
        cJSON_AddNumberToObject(o, "seconds", x->seconds);
        cJSON_AddItemToArray(arr, o);
    }
    char path[1300];
    snprintf(path, sizeof path, "%s/reproduce.json", out);
    ws_atomic_file af;
    int rc = 0;
    if (ws_atomic_open(ctx, &af, path)) rc = die("reproduce", ctx->err);
    else {
        char *text = cJSON_Print(j);
        fprintf(af.f, "%s\n", text);
        free(text);
        if (ws_atomic_commit(ctx, &af)) rc = die("reproduce", ctx->err);
    }
    cJSON_Delete(j);
    return rc;
}

static void help(void) {
    printf("usage: warmstart reproduce [--scale cpu|paper] [--only NAME,NAME] [--out DIR] [options]\n\n"
           "Run every artefact of the paper -- Table 1 per dataset, the online, active-learning and transfer\n"
           "figures, the lr x batch sweep, briefly trained phase 1, partial warm start / noise / EWC,\n"
           "shrink-perturb online -- and the later remedies, each from its experiment file in\n"
           "experiments/SCALE/NAME.ini, into DIR/NAME, then one report over DIR (DIR/report.html).\n"
           "A missing dataset skips its artefact (the line says how to get it); at --scale cpu the\n"
           "built-in Fashion-MNIST stands in, labelled as such. Runs are resumable and shardable.\n\n"
           "Options:\n"
           "  --scale S           cpu (default: subsets, narrow models, about an hour on 2 cores) | paper |\n"
           "                      demo (two artefacts on Fashion-MNIST in 2-3 minutes: make demo)\n"
           "  --only NAME,NAME    these artefacts only (--list names them)\n"
           "  --out DIR           default results/reproduce\n"
           "  --experiments DIR   the experiment files (default: experiments/ of this source tree)\n"
           "  --list              list the artefacts, their data and whether it is there, and exit\n"
           "  --resume            continue DIR: finished units are skipped (docs/RUNNING.md)\n"
           "  --shard I/N         run the I-th of N slices of every artefact's units (then --merge)\n"
           "  --merge             merge every artefact's shards (one folder) and write the report\n"
           "  --threads N         threads per run (default: all cores)\n");
}

int cmd_reproduce(int argc, char **argv) {
    const char *cmd = "reproduce", *scale = "cpu", *only = NULL, *out = "results/reproduce", *shard = NULL,
               *threads = NULL;
    char expdir[PATH_MAX];
    default_experiments(expdir, sizeof expdir);
    int list = 0, resume = 0, merge = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        const char **dest = !strcmp(a, "--scale") ? &scale : !strcmp(a, "--only") ? &only : !strcmp(a, "--out") ? &out
                          : !strcmp(a, "--shard") ? &shard : !strcmp(a, "--threads") ? &threads : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) return help(), 0;
        if (!strcmp(a, "--list")) list = 1;
        else if (!strcmp(a, "--resume")) resume = 1;
        else if (!strcmp(a, "--merge")) merge = 1;
        else if (!strcmp(a, "--experiments") && i + 1 < argc) snprintf(expdir, sizeof expdir, "%s", argv[++i]);
        else if (dest && i + 1 < argc) *dest = argv[++i];
        else {
            char msg[300];
            snprintf(msg, sizeof msg, "%s '%s' (see warmstart reproduce --help)",
                     dest ? "needs a value:" : "unknown option", a);
            return die(cmd, msg);
        }
    }
    if (strcmp(scale, "cpu") && strcmp(scale, "paper") && strcmp(scale, "demo"))
        return die(cmd, "--scale: expected 'cpu', 'paper' or 'demo'");
    run_opts ro = {.shard = shard};
    if (run_opts_check(cmd, &ro)) return 1;
    // The artefacts: experiments/SCALE/*.ini, by name.
    char sdir[PATH_MAX + 16];
    snprintf(sdir, sizeof sdir, "%s/%s", expdir, scale);
    DIR *d = opendir(sdir);
    if (!d) {
        char msg[PATH_MAX + 100];
        snprintf(msg, sizeof msg, "%s: %s (the experiment files; --experiments DIR)", sdir, strerror(errno));
        return die(cmd, msg);
    }
    static artefact arts[MAX_ARTEFACTS];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < MAX_ARTEFACTS) {
        size_t len = strlen(e->d_name);
        if (len < 5 || strcmp(e->d_name + len - 4, ".ini") || len - 4 >= sizeof arts[0].name) continue;
        artefact *x = &arts[n++];
        memset(x, 0, sizeof *x);
        snprintf(x->name, sizeof x->name, "%.*s", (int)(len - 4), e->d_name);
        snprintf(x->path, sizeof x->path, "%s/%s", sdir, e->d_name);
    }
    closedir(d);
    qsort(arts, (size_t)n, sizeof *arts, by_name);
    // --only: every name must be an artefact.
    int selected[MAX_ARTEFACTS];
    for (int i = 0; i < n; i++) selected[i] = !only;
    if (only) {
        char tmp[1024], *save = NULL;
        snprintf(tmp, sizeof tmp, "%s", only);
        for (char *t = strtok_r(tmp, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
            int found = 0;
            for (int i = 0; i < n; i++)
                if (!strcmp(arts[i].name, t)) selected[i] = found = 1;
            if (!found) {
                char msg[400];
                snprintf(msg, sizeof msg, "--only %s: no artefact '%s' at scale %s (warmstart reproduce --list)", only, t,
                         scale);
                return die(cmd, msg);
            }
        }
    }
    ws_ctx ctx;
    ws_ctx_init(&ctx, 1);
    ws_experiment_file *f = malloc(sizeof *f);
    if (!f) return die(cmd, "out of memory");
    int m = 0, rc = 0;
    artefact *sel[MAX_ARTEFACTS];
    for (int i = 0; i < n && !rc; i++) {
        if (!selected[i]) continue;
        artefact *x = sel[m++] = &arts[i];
        if (ws_experiment_read(&ctx, x->path, f)) {
            rc = die(cmd, ctx.err);
            break;
        }
        first_comment(x->path, x->title, sizeof x->title);
        const char *data = option_of(f, "data"), *pre = option_of(f, "pretrain");
        snprintf(x->data, sizeof x->data, "%s", data ? data : "fashion-mnist");
        snprintf(x->pretrain, sizeof x->pretrain, "%s", pre ? pre : "");
        char why[1400] = "";
        int there = dataset_present(&ctx, x->data, why, sizeof why);
        if (there && pre) there = dataset_present(&ctx, pre, why, sizeof why);
        if (!there) {
            snprintf(x->missing, sizeof x->missing, "%s", why);
            x->standin = strcmp(scale, "paper") != 0;
        }
        // What the run is, for spotting identical stand-ins (Table 1's three datasets at CPU scale).
        snprintf(x->signature, sizeof x->signature, "%s", f->scenario);
        for (int k = 0; k < f->noptions; k++) {
            const ws_exp_entry *o = &f->options[k];
            if (x->standin && (!strcmp(o->key, "data") || !strcmp(o->key, "pretrain"))) continue;
            size_t len = strlen(x->signature);
            snprintf(x->signature + len, sizeof x->signature - len, " %s=%s", o->key, o->value);
        }
        for (int k = 0; k < f->naxes; k++) {
            size_t len = strlen(x->signature);
            snprintf(x->signature + len, sizeof x->signature - len, " [grid]%s=%s", f->axes[k].key, f->axes[k].value);
        }
    }
    free(f);
    if (rc || list) ws_ctx_release(&ctx);
    if (rc) return rc;
    if (list) {
        printf("%-20s %-26s %s\n", "artefact", "data", "");
        for (int i = 0; i < m; i++) {
            char data[600];
            snprintf(data, sizeof data, "%s%s%s", sel[i]->pretrain[0] ? sel[i]->pretrain : "", sel[i]->pretrain[0] ? " -> " : "",
                     sel[i]->data);
            printf("%-20s %-26s %s\n", sel[i]->name, data,
                   !sel[i]->missing[0] ? "present" : sel[i]->standin ? "missing: Fashion-MNIST stands in" : "missing: skipped");
            printf("  %s\n", sel[i]->title);
        }
        return 0;
    }
    if (ensure_dir(cmd, out, &ctx)) return ws_ctx_release(&ctx), 1;
    int failures = 0;
    for (int i = 0; i < m; i++) {
        artefact *x = sel[i];
        char dir[1400];
        snprintf(dir, sizeof dir, "%s/%s", out, x->name);
        // The command this artefact is: the file, its stand-in, the runner's options.
        char *args[16];
        int na = 0;
        args[na++] = "warmstart", args[na++] = "run", args[na++] = x->path, args[na++] = "--out", args[na++] = dir;
        if (x->standin) {
            args[na++] = "--data=fashion-mnist";
            if (x->pretrain[0]) args[na++] = "--pretrain=default"; // Fashion-MNIST's classes 0-4 -> 5-9
        }
        if (threads) args[na++] = "--threads", args[na++] = (char *)threads;
        if (resume) args[na++] = "--resume";
        if (shard) args[na++] = "--shard", args[na++] = (char *)shard;
        x->command[0] = 0;
        for (int k = 0; k < na; k++)
            snprintf(x->command + strlen(x->command), sizeof x->command - strlen(x->command), "%s%s", k ? " " : "", args[k]);
        if (x->missing[0] && !x->standin) {
            fprintf(stderr, "warmstart reproduce: %s: skipped: %s\n", x->name, x->missing);
            snprintf(x->status, sizeof x->status, "skipped");
            continue;
        }
        if (x->standin) {
            fprintf(stderr, "warmstart reproduce: %s: %s; Fashion-MNIST stands in (labelled in the report)\n", x->name,
                    x->missing);
            // Identical stand-in runs (Table 1's datasets) run once.
            for (int k = 0; k < i && !x->same_as[0]; k++)
                if (sel[k]->standin && !sel[k]->same_as[0] && !strcmp(sel[k]->signature, x->signature))
                    snprintf(x->same_as, sizeof x->same_as, "%s", sel[k]->name);
            if (x->same_as[0]) {
                fprintf(stderr, "warmstart reproduce: %s: the same stand-in run as %s: not run again\n", x->name,
                        x->same_as);
                snprintf(x->status, sizeof x->status, "same run");
                continue;
            }
        }
        double t0 = ws_now();
        int r;
        if (merge) {
            char *margs[] = {dir};
            r = cmd_merge(1, margs);
        } else {
            fprintf(stderr, "warmstart reproduce: %s (%d of %d): %s\n", x->name, i + 1, m, x->title);
            r = cli_run_file(na, args, 0);
        }
        x->seconds = ws_now() - t0;
        // The figures of an online, active or transfer artefact (a sweep draws its own).
        char res[1500], fig[1500];
        snprintf(res, sizeof res, "%s/online.jsonl", dir);
        if (access(res, F_OK)) snprintf(res, sizeof res, "%s/transfer.jsonl", dir);
        snprintf(fig, sizeof fig, "%s/figures", dir);
        int nfig = 0;
        if (r == 0 && !shard && !access(res, F_OK) && ws_plot_results(&ctx, res, fig, &nfig))
            fprintf(stderr, "warmstart reproduce: %s: no figures: %s\n", x->name, ctx.err);
        // A sweep's points, each drawn in its own folder (the report shows them under the sweep).
        for (int k = 0; r == 0 && !shard && k < 1000; k++) {
            char pdir[1500];
            snprintf(pdir, sizeof pdir, "%s/points/%03d", dir, k);
            if (access(pdir, F_OK)) break;
            snprintf(res, sizeof res, "%s/online.jsonl", pdir);
            if (access(res, F_OK)) snprintf(res, sizeof res, "%s/transfer.jsonl", pdir);
            snprintf(fig, sizeof fig, "%s/figures", pdir);
            if (!access(res, F_OK) && ws_plot_results(&ctx, res, fig, &nfig))
                fprintf(stderr, "warmstart reproduce: %s, point %d: no figures: %s\n", x->name, k, ctx.err);
        }
        snprintf(x->status, sizeof x->status, "%s", r == 0 ? (shard ? "shard done" : "ok") : r == WS_EXIT_ALL_DIVERGED ? "diverged" : "failed");
        if (r && r != WS_EXIT_ALL_DIVERGED) failures++;
        if (x->standin) {
            char path[1500];
            snprintf(path, sizeof path, "%s/STAND-IN.txt", dir);
            FILE *s = fopen(path, "w");
            if (s) {
                fprintf(s, "%s: %s\nThis artefact ran on the built-in Fashion-MNIST instead: its numbers are not the "
                           "paper's data.\n", x->name, x->missing);
                fclose(s);
            }
        }
    }
    if (write_summary(&ctx, out, scale, sel, m)) return ws_ctx_release(&ctx), 1;
    if (!shard) {
        int nr = 0;
        if (ws_report_write(&ctx, out, &nr)) {
            rc = die(cmd, ctx.err);
            ws_ctx_release(&ctx);
            return rc;
        }
        printf("\nreproduce (%s scale): %d artefact%s; report: %s/report.html, %s/report.md; summary: %s/reproduce.json\n",
               scale, m, m == 1 ? "" : "s", out, out, out);
    } else {
        printf("\nreproduce: shard %s done; when every shard has run: warmstart reproduce --merge --out %s\n", shard, out);
    }
    ws_ctx_release(&ctx);
    return failures ? 1 : 0;
}
