// The commands around the experiments: train and eval a single model, plot and
// report a results folder, data info.
#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "exp/results.h"
#include "report/plot.h"
#include "report/report.h"
#include "warmstart.h"
#include "io/json.h"

// Options of cmd into o (the library's table) and the context they ask for: 0, or the exit status.
static int parse(const char *cmd, ws_command c, int argc, char **argv, ws_options *o, ws_ctx *ctx) {
    ws_options_defaults(o, c);
    ws_ctx_init(ctx, 1);
    if (ws_options_parse(ctx, c, o, argc, argv)) {
        char msg[sizeof ctx->err + 80];
        snprintf(msg, sizeof msg, "%s (see warmstart %s --help)", ctx->err, cmd);
        return die(cmd, msg);
    }
    if (ws_experiment_ctx(ctx, o)) return die(cmd, ctx->err);
    return 0;
}

// --data (with --labels, --extra): 0, or the exit status.
static int load(const char *cmd, const ws_options *o, ws_ctx *ctx, ws_source *src) {
    ws_source_opts so;
    if (ws_options_source(ctx, o, o->data, &so) || ws_source_load(ctx, src, o->data, &so)) return die(cmd, ctx->err);
    return 0;
}

static void progress_epoch(void *user, uint64_t seed, const char *learner, const ws_epoch_record *rec) {
    ws_hooks *h = user;
    h->epoch(h->user, seed, learner, rec);
}

static int train_or_eval(int argc, char **argv, int is_eval) {
    const char *cmd = is_eval ? "eval" : "train";
    const ws_command c = is_eval ? WS_CMD_EVAL : WS_CMD_TRAIN;
    if (wants_help(argc, argv)) {
        print_help(c, is_eval ? "usage: warmstart eval --init-from FILE [options]\n\nAccuracy of a checkpoint on "
                                "the evaluation split (same --data/--protocol/--seed as it was trained with)."
                              : "usage: warmstart train [options]\n\nTrain one model on the training pool until "
                                "the threshold and evaluate it.");
        return 0;
    }
    ws_options o;
    ws_ctx ctx;
    ws_source src;
    ws_batch_config cfg;
    ws_online_config unused_online;
    ws_transfer_config unused_transfer;
    ws_continual_config unused_continual;
    if (parse(cmd, c, argc, argv, &o, &ctx)) return 1;
    if (is_eval && !o.init_from[0]) return die(cmd, "--init-from FILE is required");
    if (ws_options_resolve(&ctx, c, &o, &cfg, &unused_online, &unused_transfer, &unused_continual)) return die(cmd, ctx.err);
    if (load(cmd, &o, &ctx, &src)) return 1;
    cli_out out = {.cmd = cmd, .tty = isatty(2) && !o.quiet && !is_eval};
    ws_hooks h = cli_hooks(&out);
    ws_batch_seed_result r;
    const char *save = o.save[0] ? o.save : NULL;
    ws_status st = is_eval ? ws_eval_checkpoint(&ctx, &cfg, &src, o.init_from, &r)
                           : ws_single_run(&ctx, &cfg, &src, save, progress_epoch, &h, &r);
    h.run_end(h.user);
    if (st) {
        ws_source_free(&src);
        return die(cmd, ctx.err);
    }
    if (o.json) {
        cJSON *j = ws_batch_seed_json(&r);
        cJSON *runs = cJSON_GetObjectItem(j, "runs");
        cJSON *run = cJSON_DetachItemFromObject(runs, "phase1");
        cJSON_DeleteItemFromObject(j, "runs");
        if (is_eval) {
            cJSON_DeleteItemFromObject(run, "epoch_log");
            cJSON_AddStringToObject(run, "checkpoint", o.init_from);
        }
        ws_json_put(j, "result", run);
        ws_json_put(j, "config", ws_batch_config_json(&cfg, &src, &ctx));
        char *s = ws_ctx_out_of_memory(&ctx) ? NULL : cJSON_PrintUnformatted(j); // never a record missing a field
        cJSON_Delete(j);
        if (!s) {
            ws_batch_seed_result_free(&r);
            ws_source_free(&src);
            return die(cmd, "out of memory");
        }
        printf("%s\n", s);
        free(s);
    } else if (is_eval) {
        printf("%s: test accuracy %.2f%%, loss %.4f on %lld examples\n", o.init_from, 100 * r.phase1.test_acc,
               r.phase1.test_loss, (long long)r.n_eval);
    } else {
        printf("trained %d epochs (%lld steps, %.1fs, %s): train acc %.2f%%, test acc %.2f%%%s%s\n",
               r.phase1.train.nepochs, (long long)r.phase1.train.steps, r.phase1.train.seconds,
               r.phase1.train.stop == WS_STOP_THRESHOLD ? "converged"
               : r.phase1.train.stop == WS_STOP_CAP    ? "hit the epoch cap"
               : r.phase1.train.stop == WS_STOP_PLATEAU ? "stopped on a plateau"
                                                        : "the epochs given",
               100 * r.phase1.train.train_acc,
               100 * r.phase1.test_acc, save ? "; saved " : "", save ? save : "");
    }
    ws_batch_seed_result_free(&r);
    ws_source_free(&src);
    ws_ctx_release(&ctx);
    return 0;
}

int cmd_train(int argc, char **argv) { return train_or_eval(argc, argv, 0); }
int cmd_eval(int argc, char **argv) { return train_or_eval(argc, argv, 1); }

// A run was writing the folder read: what the output shows is what it had finished.
static void note_writer(const char *cmd, const char *where, long pid, const char *what) {
    fprintf(stderr, "warmstart %s: %s: a run (pid %ld) is still writing here; the %s the units it had finished\n", cmd,
            where, pid, what);
}

// warmstart plot RESULTS [--out DIR]
int cmd_plot(int argc, char **argv) {
    const char *cmd = "plot";
    if (argc >= 1 && (!strcmp(argv[0], "--help") || !strcmp(argv[0], "-h"))) {
        printf("usage: warmstart plot RESULTS [--out DIR]\n\nFigures (PNG and SVG, via gnuplot) from the results of batch,\n"
               "online, active, transfer or a sweep: RESULTS is their output folder or JSONL file; DIR\n"
               "defaults to RESULTS/figures (for a file, figures/ beside it). A two-phase (batch) run\n"
               "draws what it recorded: per-epoch curves (--eval-every), gradient norms (--grad-every),\n"
               "shrunk accuracy (--shrink-eval); online runs over a lambda x sigma grid of shrink-perturb\n"
               "add heatmaps; a sweep over --phase1-epochs adds Figure 4.\n");
        return 0;
    }
    if (argc != 1 && !(argc == 3 && !strcmp(argv[1], "--out")))
        return die(cmd, "expected 'warmstart plot RESULTS [--out DIR]'");
    char out[1200];
    struct stat sb;
    if (argc == 3) snprintf(out, sizeof out, "%s", argv[2]);
    else if (stat(argv[0], &sb) == 0 && S_ISDIR(sb.st_mode)) snprintf(out, sizeof out, "%s/figures", argv[0]);
    else {
        const char *slash = strrchr(argv[0], '/');
        if (slash) snprintf(out, sizeof out, "%.*s/figures", (int)(slash - argv[0]), argv[0]);
        else snprintf(out, sizeof out, "figures");
    }
    ws_ctx ctx;
    ws_ctx_init(&ctx, 1);
    int n = 0;
    char where[1200];
    const long writer = ws_results_writer(argv[0], where, sizeof where);
    if (ws_plot_results(&ctx, argv[0], out, &n)) return die(cmd, ctx.err);
    printf("%d figure files in %s/ (PNG and SVG)\n", n, out);
    if (writer) note_writer(cmd, where, writer, "figures show");
    return 0;
}

// warmstart report DIR
int cmd_report(int argc, char **argv) {
    const char *cmd = "report";
    if (argc >= 1 && (!strcmp(argv[0], "--help") || !strcmp(argv[0], "-h"))) {
        printf("usage: warmstart report DIR\n\nOne page with the tables and figures of every experiment in DIR and its\n"
               "subfolders (batch, online, active, transfer, sweep results; figures from 'warmstart plot'):\n"
               "DIR/report.md (GitHub markdown) and DIR/report.html (self-contained, images linked relatively).\n"
               "A 'warmstart reproduce' folder (DIR/reproduce.json) gets its report where reproduce writes it,\n"
               "DIR/report/index.html and DIR/report/report.md, the paper's claims first. The claims an\n"
               "experiment file declares ([claim ID], kept in its run.json) are checked on its results, and\n"
               "written as data to claims.json beside the page (docs/STATISTICS.md: how they are judged).\n");
        return 0;
    }
    if (argc != 1) return die(cmd, "expected 'warmstart report DIR'");
    warmstart_context *c;
    if (warmstart_context_new(1, &c)) return die(cmd, "out of memory");
    int n = 0;
    char where[1200];
    const long writer = ws_results_writer(argv[0], where, sizeof where);
    if (warmstart_report(c, argv[0], &n)) {
        die(cmd, warmstart_error(c));
        warmstart_context_free(c);
        return 1;
    }
    warmstart_context_free(c);
    const char *sub = ws_report_sub(argv[0]); // where the pages went, for the line below
    int len = (int)strlen(argv[0]); // "results/" names the same files as "results"
    while (len > 1 && argv[0][len - 1] == '/') len--;
    if (sub)
        printf("report: %.*s/report/index.html, %.*s/report/report.md (%d experiment%s)\n", len, argv[0], len, argv[0], n,
               n == 1 ? "" : "s");
    else
        printf("report: %.*s/report.md, %.*s/report.html (%d experiment%s)\n", len, argv[0], len, argv[0], n,
               n == 1 ? "" : "s");
    if (writer) note_writer(cmd, where, writer, "report shows");
    return 0;
}

// warmstart data info: what --data loads, counted and measured.
int cmd_data(int argc, char **argv) {
    const char *cmd = "data info";
    if (argc < 1 || strcmp(argv[0], "info")) return die("data", "expected 'warmstart data info --data NAME[:DIR]'");
    if (wants_help(argc - 1, argv + 1)) {
        print_help(WS_CMD_DATA, "usage: warmstart data info [--data NAME[:DIR]]\n\nLoad a dataset and print its splits, "
                                "shape, classes with counts, per-channel mean/std and the load time.");
        return 0;
    }
    ws_options o;
    ws_ctx ctx;
    ws_source src;
    if (parse(cmd, WS_CMD_DATA, argc - 1, argv + 1, &o, &ctx) || load(cmd, &o, &ctx, &src)) return 1;
    printf("%s (%s), loaded in %.3f s\n", src.name, src.root, src.load_seconds);
    printf("shape %dx%dx%d (channels x height x width), uint8; %d classes (%s labels)\n", src.train.c, src.train.h,
           src.train.w, src.num_classes, src.labels);
    ws_norm nm;
    ws_norm_from_data(&nm, &src.train, NULL, src.train.n);
    printf("training split: per-channel mean / std of x/255:");
    for (int c = 0; c < nm.channels; c++) printf(" %.4f / %.4f", nm.mean[c], nm.std[c]);
    printf("\n\n%-6s %-24s %10s %10s\n", "class", "name", "train", "test");
    int64_t *counts = ws_sys_calloc(2 * (size_t)src.num_classes, sizeof *counts);
    if (!counts) return die(cmd, "out of memory");
    for (int64_t i = 0; i < src.train.n; i++) counts[src.train.y[i]]++;
    for (int64_t i = 0; i < src.test.n; i++) counts[src.num_classes + src.test.y[i]]++;
    for (int k = 0; k < src.num_classes; k++)
        printf("%-6d %-24s %10lld %10lld\n", k, src.class_names[k], (long long)counts[k],
               (long long)counts[src.num_classes + k]);
    printf("%-6s %-24s %10lld %10lld\n", "all", "", (long long)src.train.n, (long long)src.test.n);
    free(counts);
    ws_source_free(&src);
    ws_ctx_release(&ctx);
    return 0;
}
