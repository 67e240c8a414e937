// warmstart: the command table. Every command is a function of cli/ that reads its
// options into the library's structs, calls the library and prints.
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "warmstart.h"

static int run_batch(int argc, char **argv) { return cmd_scenario(WS_CMD_BATCH, argc, argv); }
static int run_online(int argc, char **argv) { return cmd_scenario(WS_CMD_ONLINE, argc, argv); }
static int run_active(int argc, char **argv) { return cmd_scenario(WS_CMD_ACTIVE, argc, argv); }
static int run_transfer(int argc, char **argv) { return cmd_scenario(WS_CMD_TRANSFER, argc, argv); }
static int run_continual(int argc, char **argv) { return cmd_scenario(WS_CMD_CONTINUAL, argc, argv); }
static int run_file(int argc, char **argv) { return cmd_run_file(argc, argv, 0); }
static int plan_file(int argc, char **argv) { return cmd_run_file(argc, argv, 1); }
static int version(int argc, char **argv) {
    (void)argc, (void)argv;
    printf("warmstart %s\n", warmstart_version());
    return 0;
}

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *what; // NULL: not listed
} COMMANDS[] = {
    {"batch", run_batch, "the two-phase batch experiment: warm start vs random init"},
    {"online", run_online, "passive online learning: data arrives in rounds; warm vs random each round"},
    {"active", run_active, "active online learning: each learner picks its next examples by margin sampling"},
    {"transfer", run_transfer, "pretrain on A, then train on p% of B: warm from A vs random"},
    {"continual", run_continual, "a sequence of tasks (permuted inputs, random labels, new classes): loss of plasticity"},
    {"sweep", cmd_sweep, "a grid (lr x batch, learner parameters, ...) over a scenario: accuracy vs compute, Pareto front"},
    {"run", run_file, "run the experiment an INI file describes (docs/EXPERIMENT-FILES.md); resumable, shardable"},
    {"plan", plan_file, "list the units of an experiment file (what --shard and --unit split)"},
    {"merge", cmd_merge, "combine the folders of a sharded run into its results"},
    {"reproduce", cmd_reproduce, "every table and figure of the paper (and the remedies) into one report"},
    {"plot", cmd_plot, "figures (PNG, SVG) from the results of batch, online, active, transfer or sweep"},
    {"report", cmd_report, "one page (report.md, report.html) with the tables and figures of a results folder"},
    {"train", cmd_train, "train one model to the threshold (optionally --save it)"},
    {"eval", cmd_eval, "evaluate a saved checkpoint"},
    {"data", cmd_data, "'data info --data NAME[:DIR]': a dataset's splits, classes and statistics"},
    {"version", version, "print the version"},
    {"--version", version, NULL},
};

static void usage(FILE *f) {
    fprintf(f, "warmstart %s: warm-start vs random-init experiments (Ash & Adams, NeurIPS 2020)\n\n"
               "usage: warmstart COMMAND [options]\n\ncommands:\n",
            warmstart_version());
    for (size_t i = 0; i < sizeof COMMANDS / sizeof *COMMANDS; i++)
        if (COMMANDS[i].what) // names longer than the column keep two spaces before their line
            fprintf(f, "  %-8s%s %s\n", COMMANDS[i].name, strlen(COMMANDS[i].name) > 8 ? " " : "", COMMANDS[i].what);
    fprintf(f, "\n'warmstart COMMAND --help' lists a command's options.\n");
}

int main(int argc, char **argv) {
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    // A full disk or a file-size limit is an error to report, not a signal to die of.
    signal(SIGXFSZ, SIG_IGN);
    // Ctrl-C and SIGTERM stop a run cleanly, saying how to resume it (stop.c).
    cli_stop_install(argc, argv);
    const char *c = argv[1];
    for (size_t i = 0; i < sizeof COMMANDS / sizeof *COMMANDS; i++)
        if (!strcmp(c, COMMANDS[i].name)) return cli_stop_finish(COMMANDS[i].run(argc - 2, argv + 2));
    if (!strcmp(c, "help") || !strcmp(c, "--help") || !strcmp(c, "-h")) {
        usage(stdout);
        return 0;
    }
    fprintf(stderr, "warmstart: error: unknown command '%s'\n\n", c);
    usage(stderr);
    return 2;
}
