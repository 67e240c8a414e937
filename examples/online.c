// Data arriving in rounds, through the public header only: warm start against
// random initialisation and shrink-and-perturb, as `warmstart online --subset 3000
// --k0 1000 --k 1000 --seeds 2 --hidden 32,32 --max-epochs 40 --learners
// warm,random,shrink-perturb --out OUT` would run it: the same units, records (OUT/online.jsonl, OUT/online.csv), tables and
// report (OUT/report.md, OUT/report.html). Run it again with "--resume" as its second
// argument and the finished units are taken from OUT/units instead of trained.
//   build/example_online [OUT [--resume]]        (OUT: results/example-online)
#include <stdio.h>
#include <string.h>

#include "warmstart.h"

// The hooks: notes on stderr, each scenario's tables on stdout (as the CLI prints them).
static void note(void *user, const char *who, const char *line) {
    (void)user;
    fprintf(stderr, "%s%s%s\n", who ? who : "", who ? ": " : "", line);
}

static ws_status table(void *user, ws_ctx *ctx, const ws_scenario_results *r) {
    (void)user, (void)ctx;
    ws_table_results(stdout, r);
    return WS_OK;
}

int main(int argc, char **argv) {
    if (argc > 1 && argv[1][0] == '-') { // --help, or a flag taken for OUT: no folder named after it
        fprintf(stderr, "usage: %s [OUT [--resume]]   (OUT: results/example-online)\n", argv[0]);
        return strcmp(argv[1], "--help") && strcmp(argv[1], "-h") ? 2 : 0;
    }
    const char *out = argc > 1 ? argv[1] : "results/example-online";
    const int resume = argc > 2 && !strcmp(argv[2], "--resume");
    const char *options[][2] = {{"subset", "3000"}, {"k0", "1000"}, {"k", "1000"}, {"seeds", "2"}, {"hidden", "32,32"},
                                {"max-epochs", "40"}, {"learners", "warm,random,shrink-perturb"}, {"out", out}};
    ws_ctx ctx;
    ws_ctx_init(&ctx, 0);
    ws_experiment *e = NULL;
    ws_status st = ws_experiment_new(&ctx, WS_CMD_ONLINE, 0, &e);
    for (size_t i = 0; i < sizeof options / sizeof *options && !st; i++)
        st = ws_experiment_set(&ctx, e, options[i][0], options[i][1]);
    if (!st && resume) st = ws_experiment_set(&ctx, e, "resume", NULL);
    if (!st) st = ws_experiment_check(&ctx, e); // every option resolved before anything runs
    ws_hooks hooks = {.note = note, .results = table};
    ws_outcome outcome;
    if (!st) st = ws_experiment_run(&ctx, e, &hooks, &outcome);
    int pages = 0;
    if (!st) st = ws_report_write(&ctx, out, &pages);
    if (st) fprintf(stderr, "error: %s\n", ctx.err);
    else printf("\n%d units trained, %d found finished; report: %s/report.html\n", outcome.ran, outcome.skipped, out);
    ws_experiment_free(e);
    ws_ctx_release(&ctx);
    return st ? 1 : 0;
}
