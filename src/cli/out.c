// What the commands share: error lines, help, progress and notes (cli.h).
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "io/atomic.h"
#include "learn/learner.h"
#include "report/plot.h"
#include "report/tables.h"

int die(const char *cmd, const char *msg) {
    fprintf(stderr, "warmstart%s%s: error: %s\n", cmd ? " " : "", cmd ? cmd : "", msg);
    return 1;
}

int die_experiment(const char *cmd, const ws_experiment *e, const ws_ctx *ctx) {
    if (!e || !e->bad_arg) return die(cmd, ctx->err);
    char msg[sizeof ctx->err + 80];
    snprintf(msg, sizeof msg, "%s (see warmstart %s --help)", ctx->err, cmd);
    return die(cmd, msg);
}

int wants_help(int argc, char **argv) {
    for (int i = 0; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) return 1;
    return 0;
}

static void help_line(void *user, const ws_option_def *d) {
    (void)user;
    char left[64];
    snprintf(left, sizeof left, "--%s%s%s", d->name, d->kind == WS_ARG_FLAG ? "" : " ", d->kind == WS_ARG_FLAG ? "" : d->meta);
    printf("  %-24s %s\n", left, d->help);
}

void print_help(ws_command cmd, const char *usage) {
    printf("%s\n\nOptions:\n", usage);
    ws_options_each(cmd, help_line, NULL);
    if (cmd & WS_CMD_SCENARIOS)
        printf("\nlearners (--learners, comma-separated; parameters as NAME:KEY=VALUE:KEY=VALUE; every learner also\n"
               "takes keep-optim=1; docs/LEARNERS.md has the details and sources):\n%s",
               ws_learner_help());
    for (int i = 0; (cmd & WS_CMD_SCENARIOS) && ws_remedy_at(i); i++) printf("%s", ws_remedy_at(i)->help);
}

// ---- the hooks: progress on stderr (a terminal only), notes, the plan ---------------------------

static void on_note(void *user, const char *who, const char *line) {
    (void)user;
    if (who) fprintf(stderr, "warmstart %s: %s\n", who, line);
    else fprintf(stderr, "%s\n", line);
}

static void on_epoch(void *user, uint64_t seed, const char *learner, const ws_epoch_record *rec) {
    const cli_out *o = user;
    if (!o->tty) return;
    fprintf(stderr, "\r\033[K  seed %llu  %-7s epoch %4d  loss %.4f  train acc %6.2f%%  (%.2fs/epoch)",
            (unsigned long long)seed, learner, rec->epoch, rec->loss, 100 * rec->train_acc, rec->seconds);
    fflush(stderr);
}

static void on_round(void *user, uint64_t seed, const char *learner, const ws_online_round *r) {
    const cli_out *o = user;
    if (!o->tty) return;
    fprintf(stderr, "\r\033[K  seed %llu  round %d  %-7s %lld examples: test acc %.2f%%, %d epochs", (unsigned long long)seed,
            r->round, learner, (long long)r->n_seen, 100 * r->test_acc, r->train.nepochs);
    fflush(stderr);
}

static void on_task(void *user, uint64_t seed, const char *learner, const ws_continual_task *t) {
    const cli_out *o = user;
    if (!o->tty) return;
    fprintf(stderr, "\r\033[K  seed %llu  task %d  %-7s online acc %.2f%%, held-out %.2f%%", (unsigned long long)seed,
            t->task, learner, 100 * t->online_acc, 100 * t->test_acc);
    fflush(stderr);
}

static void on_run_end(void *user) {
    const cli_out *o = user;
    if (o->tty) fprintf(stderr, "\r\033[K");
}

static void on_plan(void *user, const char *id) {
    (void)user;
    printf("%s\n", id);
}

ws_hooks cli_hooks(cli_out *o) {
    return (ws_hooks){.user = o,
                      .note = on_note,
                      .epoch = on_epoch,
                      .round = on_round,
                      .task = on_task,
                      .run_end = on_run_end,
                      .should_stop = cli_should_stop,
                      .plan = on_plan,
                      .results = print_results,
                      .sweep = print_sweep};
}

void print_outcome(const ws_experiment *e, const ws_outcome *o) {
    if (e->nmerge || o->complete) return;
    if (e->sweep) {
        printf("sweep %s: %s %s done; when every shard has run: warmstart merge %s\n", e->opt.out,
               e->opt.shard[0] ? "shard" : "unit", e->opt.shard[0] ? e->opt.shard : e->opt.unit, e->opt.out);
    } else if (e->opt.shard[0]) {
        printf("shard %s of %s: %d unit%s run here, %d already finished; when every shard has run: warmstart merge %s\n",
               e->opt.shard, e->opt.out, o->ran, o->ran == 1 ? "" : "s", o->skipped, e->opt.out);
    } else if (e->opt.unit[0]) {
        printf("unit %s: %s in %s; when every unit has run: warmstart merge %s\n", e->opt.unit,
               o->ran ? "run" : "already finished", e->opt.out, e->opt.out);
    }
}

// ---- the tables (report/tables.h) -------------------------------------------------------------

// A scenario's tables on stdout; a sweep point's into its folder's table.txt.
ws_status print_results(void *user, ws_ctx *ctx, const ws_scenario_results *x) {
    (void)user;
    if (!x->e->prefix[0]) {
        ws_table_results(stdout, x);
        return WS_OK;
    }
    char path[1200];
    snprintf(path, sizeof path, "%s/table.txt", x->e->opt.out);
    ws_atomic_file af;
    if (ws_atomic_open(ctx, &af, path)) return WS_ERR_IO;
    ws_table_results(af.f, x);
    return ws_atomic_commit(ctx, &af);
}

// A sweep's table, and its figure of accuracy against seconds (gnuplot; a sweep without it is still whole).
ws_status print_sweep(void *user, ws_ctx *ctx, const ws_sweep_results *s) {
    const cli_out *o = user;
    const char *out = s->e->opt.out;
    ws_table_sweep(stdout, s);
    char figdir[1300];
    int nfigs = 0;
    snprintf(figdir, sizeof figdir, "%s/figures", out);
    if (o->draw_sweep && ws_plot_results(ctx, out, figdir, &nfigs))
        fprintf(stderr, "warmstart sweep: note: no figure: %s\n", ctx->err);
    printf("\nresults: %s/sweep.jsonl, %s/sweep.csv%s%s%s; each point's results and table in %s/points/NNN/\n", out, out,
           nfigs ? ", " : "", nfigs ? figdir : "", nfigs ? "/sweep.png" : "", out);
    return WS_OK;
}
