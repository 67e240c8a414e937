// --estimate for run and reproduce: the library's estimate (exp/estimate.h) printed as a
// table, one row per artefact's configuration, a total, and with --budget (or at paper
// scale) the core-hours and the Slurm array tasks.
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/estimate.h"
#include "exp/options.h"

int cli_estimate_strip(ws_ctx *ctx, int *argc, char **argv, cli_estimate_opts *o) {
    int k = 0;
    ws_status st = WS_OK;
    for (int i = 0; i < *argc; i++) {
        if (!strcmp(argv[i], "--estimate")) o->on = 1;
        else if (!strcmp(argv[i], "--budget") || !strncmp(argv[i], "--budget=", 9)) {
            o->budget = argv[i][8] == '=' ? argv[i] + 9 : i + 1 < *argc ? argv[++i] : NULL;
            if (!o->budget) st = ws_fail(ctx, WS_ERR_ARG, "--budget needs a value (D: 8h, 90m, 3600s, 1.5d)");
            else if (!st) st = ws_duration_parse(ctx, "budget", o->budget, &o->budget_s);
        } else argv[k++] = argv[i];
    }
    *argc = k;
    return st != WS_OK;
}

void cli_slurm_time(double seconds, char *buf, size_t cap) {
    long s = (long)seconds, d = s / 86400;
    s -= d * 86400;
    if (d) snprintf(buf, cap, "%ld-%02ld:%02ld:%02ld", d, s / 3600, s / 60 % 60, s % 60);
    else snprintf(buf, cap, "%02ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
}

// The array's submission: each task runs the shard slurm/T of every unit (docs/RUNNING.md).
static void submit_line(const cli_estimate_opts *o, int tasks, int cpus, int jobs) {
    char t[32], env[32] = "", opt[32] = "";
    cli_slurm_time(o->budget_s, t, sizeof t);
    if (jobs > 1) snprintf(env, sizeof env, "JOBS=%d ", jobs), snprintf(opt, sizeof opt, " --jobs %d", jobs);
    if (o->file)
        printf("  %ssbatch --array=1-%d --cpus-per-task=%d --time=%s scripts/slurm-array.sh %s %s\n", env, tasks, cpus,
               t, o->file, o->out);
    else
        printf("  sbatch --array=1-%d --cpus-per-task=%d --time=%s --wrap \"warmstart reproduce --scale %s --out %s "
               "--shard slurm/%d --threads %d%s --resume\"\n", tasks, cpus, t, o->scale, o->out, tasks, cpus, opt);
    printf("  then, after the array: warmstart %s %s\n", o->file ? "merge" : "reproduce --merge --out", o->out);
}

static void row(const char *name, const ws_estimate *est) {
    if (!est->nparts) {
        printf("%-28s %s\n", name, est->source);
        return;
    }
    for (int i = 0; i < est->nparts; i++) {
        const ws_estimate_part *p = &est->part[i];
        printf("%-28s %12.0f %8.0f %9.3f %8.3f %9.0f  %s\n", i ? "" : name, p->work.steps, p->work.evals,
               1e3 * p->cost.step_s, p->cost.eval_s, p->seconds, p->config);
    }
    char jobs[80] = "";
    if (est->jobs > 1) snprintf(jobs, sizeof jobs, "%d jobs at once: ", est->jobs);
    printf("%-28s %12s %8s %9s %8s %9.1f  wall (%s%.1f unit-seconds%s%.1f s loading data); %d units; %s\n", "", "", "",
           "", "", est->seconds, jobs, est->unit_seconds, est->jobs > 1 ? " spread over them, " : ", ", est->load_s,
           est->units, est->source);
}

static void header(void) {
    printf("%-28s %12s %8s %9s %8s %9s  %s\n", "artefact", "steps", "evals", "ms/step", "s/eval", "seconds",
           "configuration (unit-seconds; the artefact's wall time below)");
}

int cli_estimate_print(const char *const *names, const ws_estimate *est, int n, const cli_estimate_opts *o, int paper) {
    double total = 0, calib = 0, core_h = 0;
    int units = 0, threads = 0, jobs = 1, synth = 0, cpus = 1;
    header();
    for (int i = 0; i < n; i++) {
        row(names[i], &est[i]);
        total += est[i].seconds, calib += est[i].calibration_s, units += est[i].units, synth |= est[i].synthetic;
        core_h += ws_estimate_core_hours(est[i].unit_seconds, est[i].threads);
        if (est[i].threads > threads) threads = est[i].threads;
        if (est[i].jobs > jobs) jobs = est[i].jobs;
        if (est[i].threads * est[i].jobs > cpus) cpus = est[i].threads * est[i].jobs; // a task's CPUs
    }
    printf("%-28s %12s %8s %9s %8s %9.0f  = %.2f h on this machine, %d thread%s a unit, up to %d job%s at once\n", "total",
           "", "", "", "", total, total / 3600, threads, threads == 1 ? "" : "s", jobs, jobs == 1 ? "" : "s");
    printf("calibration: %.1f s (per configuration a few steps through the training loop and evaluation passes, on %s); "
           "nothing trained, nothing written\n", calib,
           synth ? "the data's first examples, random bytes of its shape where it is not here" : "the data's first examples");
    if (paper || o->budget) {
        printf("core-hours: %.1f (each unit's seconds times its threads)\n", core_h);
        if (o->budget) {
            const int tasks = ws_estimate_tasks(total, o->budget_s, units);
            printf("budget: %s = %.0f s a Slurm array task\n", o->budget, o->budget_s);
            if (tasks) {
                printf("Slurm array tasks to finish within %s: %d (each runs the shard slurm/%d of the %d units, "
                       "%d CPUs; shards split units by count, not cost: give a margin; docs/RUNNING.md):\n",
                       o->budget, tasks, tasks, units, cpus);
                submit_line(o, tasks, cpus, jobs);
            } else
                printf("Slurm array tasks to finish within %s: none will: %d units averaging %.0f s, longer than the "
                       "budget; give a unit more threads or a longer budget\n", o->budget, units, total / units);
        } else printf("Slurm array tasks: give a wall-clock budget (--budget 8h) to size the array\n");
    }
    return 0;
}
