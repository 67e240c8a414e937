// --estimate for run and reproduce: the library's estimate (exp/estimate.h) printed as a
// table, one row per artefact's configuration, a total, and with --budget (or at paper
// scale) the core-hours and the Slurm array tasks.
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/estimate.h"

int cli_estimate_strip(int *argc, char **argv, cli_estimate_opts *o) {
    int k = 0, bad = 0;
    for (int i = 0; i < *argc; i++) {
        if (!strcmp(argv[i], "--estimate")) o->on = 1;
        else if (!strcmp(argv[i], "--budget") && i + 1 < *argc) o->budget = argv[++i];
        else if (!strncmp(argv[i], "--budget=", 9)) o->budget = argv[i] + 9;
        else if (!strcmp(argv[i], "--budget")) bad = 1;
        else argv[k++] = argv[i];
    }
    *argc = k;
    return bad;
}

static void row(const char *name, const ws_estimate *est) {
    if (!est->nparts) {
        printf("%-28s %s\n", name, est->source);
        return;
    }
    for (int i = 0; i < est->nparts; i++) {
        const ws_estimate_part *p = &est->part[i];
        printf("%-28s %12.0f %8.0f %9.2f %8.3f %9.0f  %s\n", i ? "" : name, p->work.steps, p->work.evals,
               1e3 * p->cost.step_s, p->cost.eval_s, p->seconds, p->config);
    }
    printf("%-28s %12s %8s %9s %8s %9.0f  %d units; %s\n", "", "", "", "", "", est->seconds, est->units, est->source);
}

static void header(void) {
    printf("%-28s %12s %8s %9s %8s %9s  %s\n", "artefact", "steps", "evals", "ms/step", "s/eval", "seconds",
           "configuration");
}

int cli_estimate_print(const char *cmd, ws_ctx *ctx, const char *const *names, const ws_estimate *est, int n,
                       const cli_estimate_opts *o, int paper) {
    double budget = 0, total = 0, calib = 0;
    int units = 0, threads = 0;
    if (o->budget && ws_duration_parse(ctx, o->budget, &budget)) return die(cmd, ctx->err);
    header();
    for (int i = 0; i < n; i++) {
        row(names[i], &est[i]);
        total += est[i].seconds, calib += est[i].calibration_s, units += est[i].units;
        if (est[i].threads > threads) threads = est[i].threads;
    }
    printf("%-28s %12s %8s %9s %8s %9.0f  = %.1f h on this machine at %d thread%s a unit\n", "total", "", "", "", "",
           total, total / 3600, threads, threads == 1 ? "" : "s");
    printf("calibration: %.1f s (a few training steps and one evaluation pass per configuration, on random inputs); "
           "nothing trained, nothing written\n", calib);
    if (paper || budget > 0) {
        printf("core-hours: %.1f (%d threads a unit)\n", ws_estimate_core_hours(total, threads), threads);
        if (budget > 0) {
            int tasks = ws_estimate_tasks(total, budget, units);
            if (tasks)
                printf("Slurm array tasks to finish within %s: %d (--array=1-%d --cpus-per-task=%d; %d units to share; "
                       "docs/RUNNING.md)\n", o->budget, tasks, tasks, threads, units);
            else
                printf("Slurm array tasks to finish within %s: none will: %d units averaging %.0f s, longer than the "
                       "budget; give more threads a unit or a longer budget\n", o->budget, units, total / units);
        } else printf("Slurm array tasks: give a wall-clock budget (--budget 8h) to size the array\n");
    }
    return 0;
}
