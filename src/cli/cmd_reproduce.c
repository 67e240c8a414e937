// warmstart reproduce: the options, --list, and the run (report/reproduce.h).
#define _POSIX_C_SOURCE 200809L
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/estimate.h"
#include "report/reproduce.h"
#include "exp/runner.h"

static int is_dir(const char *path) {
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
}

// The experiment files: experiments/ of the source tree the binary was built in (BUILD/..),
// else those installed beside it (PREFIX/share/warmstart/experiments), else ./experiments.
static void default_experiments(char *out, size_t cap) {
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    snprintf(out, cap, "experiments");
    if (n <= 0) return;
    exe[n] = 0;
    char *slash = strrchr(exe, '/');
    if (!slash) return;
    *slash = 0; // the binary's folder
    slash = strrchr(exe, '/');
    if (!slash) return;
    *slash = 0; // its parent: the source tree, or the prefix
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/experiments", exe);
    if (is_dir(path)) {
        snprintf(out, cap, "%s", path);
        return;
    }
    snprintf(path, sizeof path, "%s/share/warmstart/experiments", exe);
    if (is_dir(path)) snprintf(out, cap, "%s", path);
}

static void help(void) {
    printf("usage: warmstart reproduce [--scale cpu|paper] [--only NAME,NAME] [--out DIR] [options]\n\n"
           "Run every artefact of the paper -- Table 1 per dataset, the online, active-learning and transfer\n"
           "figures, the lr x batch sweep, briefly trained phase 1, partial warm start / noise / EWC,\n"
           "shrink-perturb online -- and the later remedies, each from its experiment file in\n"
           "experiments/SCALE/NAME.ini, into DIR/NAME, then one report over DIR: DIR/report/index.html\n"
           "(and report.md), the raw results beside it.\n"
           "A missing dataset skips its artefact (the line says how to get it); at --scale cpu the\n"
           "built-in Fashion-MNIST stands in, labelled as such. Runs are resumable and shardable.\n\n"
           "Options:\n"
           "  --scale S           cpu (default: subsets, narrow models, about an hour on 2 cores) | paper |\n"
           "                      demo (Fashion-MNIST arriving online: warm, random, head-reset; about\n"
           "                      2 minutes: make demo)\n"
           "  --paper P           ash2020 (default: Ash & Adams 2020, experiments/SCALE/*.ini) | kumar2024\n"
           "                      (Kumar, Marklund & Van Roy 2024, L2 Init: task sequences and the measurements\n"
           "                      inside the network, experiments/SCALE/kumar2024/*.ini; default --out\n"
           "                      results/reproduce-kumar2024) | remedies-table (every learner, the\n"
           "                      remedies since 2023 included, on the online stream and two task\n"
           "                      sequences: the remedies' table, experiments/SCALE/remedies-table/*.ini)\n"
           "  --only NAME,NAME    these artefacts only (--list names them)\n"
           "  --out DIR           default results/reproduce\n"
           "  --experiments DIR   the experiment files (default: experiments/ of this source tree, or of the\n"
           "                      installation: PREFIX/share/warmstart/experiments)\n"
           "  --list              list the artefacts, their data and whether it is there, and exit\n"
           "  --resume            continue DIR: finished units are skipped (docs/RUNNING.md)\n"
           "  --shard I/N         run the I-th of N slices of every artefact's units (then --merge)\n"
           "  --merge             merge every artefact's shards (one folder) and write the report\n"
           "  --threads N         threads per run (default: all cores)\n"
           "  --jobs N            groups of units at once in each run, each on threads/N threads (default 1)\n"
           "  --estimate          train nothing: print each artefact's predicted seconds on this machine (a short\n"
           "                      calibration of its step and evaluation, times the steps of DIR's earlier records,\n"
           "                      else an assumption it states) and the total; at --scale paper the core-hours\n"
           "  --budget D          with --estimate: the Slurm array tasks that finish within wall time D (8h, 90m)\n");
}

static void list(const ws_artefact *a, int n) {
    printf("%-20s %-26s %s\n", "artefact", "data", "");
    for (int i = 0; i < n; i++) {
        char data[600];
        snprintf(data, sizeof data, "%s%s%s", a[i].pretrain, a[i].pretrain[0] ? " -> " : "", a[i].data);
        printf("%-20s %-26s %s\n", a[i].name, data,
               !a[i].missing[0] ? "present" : a[i].standin ? "missing: Fashion-MNIST stands in" : "missing: skipped");
        printf("  %s\n", a[i].title);
    }
}

// --estimate: every artefact's predicted cost, nothing run.
static int estimate(const char *cmd, ws_ctx *ctx, const ws_reproduce_opts *o, ws_artefact *arts, int n,
                    const cli_estimate_opts *eo) {
    ws_estimate *est = ws_sys_calloc((size_t)(n ? n : 1), sizeof *est);
    const char *names[WS_MAX_ARTEFACTS];
    if (!est) return die(cmd, "out of memory");
    for (int i = 0; i < n; i++) names[i] = arts[i].name;
    cli_estimate_opts so = *eo;
    so.out = o->out, so.scale = o->scale, so.file = NULL;
    eo = &so;
    int rc = ws_reproduce_estimate(ctx, o, arts, n, est) ? die(cmd, ctx->err)
           : cli_estimate_print(names, est, n, eo, !strcmp(o->scale, "paper"));
    free(est);
    return rc;
}

int cmd_reproduce(int argc, char **argv) {
    const char *cmd = "reproduce";
    char expdir[PATH_MAX];
    default_experiments(expdir, sizeof expdir);
    ws_reproduce_opts o = {.scale = "cpu", .out = "results/reproduce", .experiments = expdir};
    int listing = 0;
    cli_estimate_opts eo = {0};
    ws_ctx ctx;
    ws_ctx_init(&ctx, 1);
    if (cli_estimate_strip(&ctx, &argc, argv, &eo)) return die(cmd, ctx.err);
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        const char **dest = !strcmp(a, "--scale") ? &o.scale : !strcmp(a, "--only") ? &o.only : !strcmp(a, "--out") ? &o.out
                          : !strcmp(a, "--paper") ? &o.paper
                          : !strcmp(a, "--shard") ? &o.shard : !strcmp(a, "--threads") ? &o.threads
                          : !strcmp(a, "--jobs") ? &o.jobs
                          : !strcmp(a, "--experiments") ? &o.experiments : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) return help(), 0;
        if (!strcmp(a, "--list")) listing = 1;
        else if (!strcmp(a, "--resume")) o.resume = 1;
        else if (!strcmp(a, "--merge")) o.merge = 1;
        else if (dest && i + 1 < argc) *dest = argv[++i];
        else {
            char msg[300];
            snprintf(msg, sizeof msg, "%s '%s' (see warmstart reproduce --help)", dest ? "needs a value:" : "unknown option", a);
            return die(cmd, msg);
        }
    }
    // Another paper's results go to their own folder unless --out says where.
    char paper_out[300];
    if (o.paper && !strcmp(o.paper, "ash2020")) o.paper = NULL; // the default, by its name
    if (o.paper && !strcmp(o.out, "results/reproduce")) {
        snprintf(paper_out, sizeof paper_out, "results/reproduce-%s", o.paper);
        o.out = paper_out;
    }
    ws_artefact *arts = ws_sys_calloc(WS_MAX_ARTEFACTS, sizeof *arts);
    int n = 0, failures = 0, rc = 0;
    if (!arts) return die(cmd, "out of memory");
    if (o.shard) {
        int I, N;
        if (ws_shard_parse(&ctx, o.shard, &I, &N)) return free(arts), die(cmd, ctx.err);
    }
    if (eo.budget && !eo.on) rc = die(cmd, "--budget sizes an estimate's Slurm array: give --estimate with it");
    else if (ws_reproduce_list(&ctx, &o, arts, &n)) rc = die(cmd, ctx.err);
    else if (listing) list(arts, n);
    else if (eo.on) rc = estimate(cmd, &ctx, &o, arts, n, &eo);
    else {
        cli_out out = {.cmd = cmd, .tty = isatty(2), .draw_sweep = 1};
        ws_hooks h = cli_hooks(&out);
        cli_stop_arm(1); // SIGINT / SIGTERM: the artefact's run stops cleanly (stop.c)
        ws_status st = ws_reproduce_run(&ctx, &o, &h, arts, n, &failures);
        cli_stop_arm(0);
        if (cli_stop_caught()) rc = cli_stop_report(cmd, st ? ctx.err : NULL);
        else if (st) rc = die(cmd, ctx.err);
        else if (o.shard)
            printf("\nreproduce: shard %s done; when every shard has run: warmstart reproduce --merge --out %s\n", o.shard,
                   o.out);
        else
            printf("\nreproduce (%s scale): %d artefact%s; report: %s/report/index.html (and report.md); summary: "
                   "%s/reproduce.json\n",
                   o.scale, n, n == 1 ? "" : "s", o.out, o.out);
        if (!rc && failures) rc = 1;
    }
    ws_ctx_release(&ctx);
    ws_reproduce_release(arts, n);
    free(arts);
    return rc;
}
