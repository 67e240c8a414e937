// The commands that run experiments: the scenarios (batch, online, active,
// transfer: one implementation, driven by the table below), sweep, run and plan
// (an experiment file), merge. Each reads its options into an experiment
// (exp/experiment.h), runs it through the library (exp/run.h) with the CLI's
// hooks, and prints what is left to say.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/estimate.h"

typedef struct {
    ws_command cmd;
    const char *usage;
} scenario_help;

static const scenario_help SCENARIOS[] = {
    {WS_CMD_BATCH,
     "usage: warmstart batch [options]\n\n"
     "The paper's two-phase experiment: train on a random part of the training pool, then on all\n"
     "of it from that model (warm) and from a fresh initialisation (random) -- or any --learners --\n"
     "each until the training accuracy reaches the threshold; report test accuracy with 95% CIs\n"
     "over seeds."},
    {WS_CMD_ONLINE,
     "usage: warmstart online [options]\n\n"
     "Passive online learning: the training pool arrives --k0 examples first, then --k per round;\n"
     "each round the warm learner continues from its last model and the random one starts fresh,\n"
     "both trained to the threshold on everything seen so far. Records accuracy, time to converge,\n"
     "weight movement and old/new gradient norms per round (online.jsonl, online.csv)."},
    {WS_CMD_ACTIVE,
     "usage: warmstart active [options]\n\n"
     "Active online learning: as `online`, but each round every learner labels the --k unlabelled\n"
     "examples its current model is least sure of (smallest gap between its top two softmax\n"
     "probabilities); --query random is the control. Also records the classes picked per round."},
    {WS_CMD_TRANSFER,
     "usage: warmstart transfer [--pretrain A] [--data B] [options]\n\n"
     "Pretrain on A to the threshold, then train on P % of B for each --fractions P: warm from A's\n"
     "model (a fresh head unless --keep-head) against a fresh initialisation, same batches.\n"
     "Without --pretrain: Fashion-MNIST classes 0-4 (A) -> 5-9 (B, relabelled 0-4)."},
    {WS_CMD_CONTINUAL,
     "usage: warmstart continual [--tasks-kind K] [--tasks N] [options]\n\n"
     "A sequence of tasks (docs/CONTINUAL.md): permuted inputs, random labels, permuted labels, new\n"
     "classes, or Kumar et al.'s 5+1 alternation. Each learner's one network trains --task-steps updates\n"
     "on every task, all learners on the same batches; `random` is a fresh network every task, what full\n"
     "plasticity gives. Per task: the average online accuracy (each batch before its update), the\n"
     "held-out accuracy at the task's end, steps to --target (continual.jsonl, continual.csv).\n\n"
     "example: warmstart continual --tasks-kind permuted-input --tasks 20 --learners warm,l2-init,random"},
};

// --estimate: what running e would cost, its steps from its results folder's records if any.
static int estimate(const char *cmd, ws_ctx *ctx, ws_experiment *e, const char *file) {
    ws_calib_cache *cache = ws_sys_calloc(1, sizeof *cache);
    ws_estimate *est = ws_sys_calloc(1, sizeof *est);
    char budget[32];
    const double b = e->opt.budget; // as the user would write it back
    if (fmod(b, 3600) == 0) snprintf(budget, sizeof budget, "%.0fh", b / 3600);
    else if (fmod(b, 60) == 0) snprintf(budget, sizeof budget, "%.0fm", b / 60);
    else snprintf(budget, sizeof budget, "%gs", b);
    const cli_estimate_opts o = {1, e->opt.budget > 0 ? budget : NULL, e->opt.budget, file ? file : "EXPERIMENT.ini",
                                 e->opt.out, NULL};
    int rc = !cache || !est ? die(cmd, "out of memory")
           : ws_estimate_experiment(ctx, e, e->opt.out, 0, cache, est) ? die(cmd, ctx->err)
           : cli_estimate_print((const char *const[]){e->opt.out}, est, 1, &o, 0);
    free(cache);
    free(est);
    return rc;
}

// Check, then plan, estimate or run e with the CLI's hooks; print what is left to say. Returns the
// exit status. file: the experiment file e came from (NULL: a command line).
static int run_experiment(const char *cmd, ws_ctx *ctx, ws_experiment *e, const char *file) {
    if (ws_experiment_check(ctx, e)) return die_experiment(cmd, e, ctx);
    if (e->opt.estimate) return estimate(cmd, ctx, e, file);
    cli_out o = {.cmd = cmd, .tty = !e->sweep && isatty(2) && !e->opt.quiet, .draw_sweep = 1};
    ws_hooks h = cli_hooks(&o);
    ws_outcome out;
    cli_stop_arm(!e->opt.plan); // SIGINT / SIGTERM: the run stops cleanly (stop.c)
    ws_status st = ws_experiment_run(ctx, e, &h, &out);
    cli_stop_arm(0);
    ws_ctx_release(ctx);
    if (cli_stop_caught()) return cli_stop_report(cmd, st ? ctx->err : NULL);
    if (st) return die(cmd, ctx->err);
    if (e->opt.plan) return 0;
    if (out.all_diverged && !e->sweep) return WS_EXIT_ALL_DIVERGED;
    print_outcome(e, &out);
    return 0;
}

int cmd_scenario(ws_command scenario, int argc, char **argv) {
    const char *cmd = ws_command_name(scenario);
    if (wants_help(argc, argv)) {
        for (size_t i = 0; i < sizeof SCENARIOS / sizeof *SCENARIOS; i++)
            if (SCENARIOS[i].cmd == scenario) print_help(scenario, SCENARIOS[i].usage);
        return 0;
    }
    ws_ctx ctx;
    ws_ctx_init(&ctx, 1);
    ws_experiment *e;
    if (ws_experiment_new(&ctx, scenario, 0, &e)) return die(cmd, ctx.err);
    int rc = ws_experiment_args(&ctx, e, argc, argv) ? die_experiment(cmd, e, &ctx) : run_experiment(cmd, &ctx, e, NULL);
    ws_experiment_free(e);
    return rc;
}

static void sweep_help(void) {
    printf("usage: warmstart sweep SCENARIO [SCENARIO options] --grid KEY=V,V,... [--grid ...] [--out DIR]\n\n"
           "Run SCENARIO (batch, online, active, transfer, continual) once per point of the grid and report, per point and\n"
           "learner, the test accuracy (online: last round; transfer: largest share) and the compute to converge\n"
           "(training seconds and epochs, summed over rounds / shares), mean ± 95%% CI over seeds, and the\n"
           "Pareto front of accuracy against seconds. Every point is checked before the first one runs.\n\n"
           "  --grid KEY=V,V  an axis: an option of the scenario without dashes (lr, batch, wd, phase1-epochs, ...),\n"
           "                  a flag with values on/off (augment, keep-optim, adamw, nesterov, keep-head), or\n"
           "                  KIND.PARAM for every learner of that kind (shrink-perturb.lambda, ewc.lambda, ...)\n"
           "  --out DIR       DIR/sweep.jsonl, DIR/sweep.csv, DIR/points/NNN/ (default results/sweep)\n"
           "  --learners L,L  the learners at every point (default warm,random)\n"
           "  the runner's options (--resume, --shard I/N, --unit ID, --plan) apply to every point's units\n\n"
           "example: warmstart sweep batch --subset 10000 --seeds 3 --grid lr=0.0001,0.001,0.01 --grid batch=32,128\n");
}

int cmd_sweep(int argc, char **argv) {
    const char *cmd = "sweep";
    if (wants_help(argc, argv)) return sweep_help(), 0;
    ws_command scenario = argc >= 1 ? ws_command_parse(argv[0]) : 0;
    if (!(scenario & WS_CMD_SCENARIOS))
        return die(cmd, "expected a scenario first: warmstart sweep batch|online|active|transfer|continual [options] --grid ...");
    ws_ctx ctx;
    ws_ctx_init(&ctx, 1);
    ws_experiment *e;
    if (ws_experiment_new(&ctx, scenario, 1, &e)) return die(cmd, ctx.err);
    int rc = ws_experiment_args(&ctx, e, argc - 1, argv + 1) ? die_experiment(cmd, e, &ctx) : run_experiment(cmd, &ctx, e, NULL);
    ws_experiment_free(e);
    return rc;
}

// warmstart run|plan FILE [options]: the file's scenario (a sweep when it has a [grid]).
int cmd_run_file(int argc, char **argv, int plan) {
    const char *cmd = plan ? "plan" : "run";
    if (argc < 1 || !strcmp(argv[0], "--help") || !strcmp(argv[0], "-h")) {
        printf("usage: warmstart %s FILE [options]\n\n%s\n", cmd,
               plan ? "List the units of the experiment FILE describes (docs/EXPERIMENT-FILES.md), one id a line:\n"
                      "what --shard I/N splits and --unit ID runs. Options as for `warmstart run`."
                    : "Run the experiment FILE describes (docs/EXPERIMENT-FILES.md): its scenario with its [options],\n"
                      "a sweep when it has a [grid]. Options after FILE override the file's (--lr 0.01, --augment=false)\n"
                      "and take the runner's: --out DIR, --resume, --shard I/N, --unit ID (docs/RUNNING.md).\n"
                      "--estimate: train nothing; print the predicted seconds on this machine from a short calibration\n"
                      "and the steps of DIR's earlier records (else an assumption it states); --budget 8h adds the\n"
                      "core-hours and the Slurm array tasks that finish it within that wall time.");
        return argc < 1 ? 2 : 0;
    }
    ws_ctx ctx;
    ws_ctx_init(&ctx, 1);
    ws_experiment *e;
    if (ws_experiment_load(&ctx, argv[0], &e)) return die(cmd, ctx.err);
    // From here on the messages are the scenario's (or the sweep's), as on its own command line.
    const char *who = e->sweep ? "sweep" : ws_command_name(e->scenario);
    int rc;
    if (ws_experiment_args(&ctx, e, argc - 1, argv + 1)) rc = die_experiment(who, e, &ctx);
    else {
        e->opt.plan |= plan;
        rc = run_experiment(who, &ctx, e, argv[0]);
    }
    ws_experiment_free(e);
    return rc;
}

int cmd_merge(int argc, char **argv) {
    const char *cmd = "merge";
    if (wants_help(argc, argv)) {
        printf("usage: warmstart merge DIR [DIR...] [--out OUT]\n\n"
               "Combine the records of a run's shards (warmstart run|COMMAND ... --shard I/N) and write the\n"
               "experiment's results as one process would have: every unit must have finished, and every folder\n"
               "must hold the same configuration. Shards that shared one folder: warmstart merge DIR. Folders\n"
               "copied back from several machines: warmstart merge DIR1 DIR2 ... --out DIR (default: DIR1).\n");
        return 0;
    }
    const char *out = NULL, *dirs[WS_MAX_MERGE];
    int nd = 0;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--out") && i + 1 < argc) out = argv[++i];
        else if (!strncmp(argv[i], "--", 2)) {
            char msg[300];
            snprintf(msg, sizeof msg, "unknown option %s (see warmstart merge --help)", argv[i]);
            return die(cmd, msg);
        } else if (nd < WS_MAX_MERGE) dirs[nd++] = argv[i];
    }
    ws_ctx ctx;
    ws_ctx_init(&ctx, 1);
    cli_out o = {.cmd = cmd, .draw_sweep = 1};
    ws_hooks h = cli_hooks(&o);
    ws_outcome res;
    ws_status st = ws_merge(&ctx, dirs, nd, out, &h, &res);
    ws_ctx_release(&ctx);
    if (st) return die(cmd, ctx.err);
    return res.all_diverged ? WS_EXIT_ALL_DIVERGED : 0;
}
