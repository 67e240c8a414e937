// warmstart command-line interface: the only place that prints and exits.
#define _POSIX_C_SOURCE 200809L
#include <cJSON.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/args.h"
#include "cli/cli.h"
#include "cli/units.h"
#include "core/ctx.h"
#include "exp/batch.h"
#include "exp/online.h"
#include "exp/transfer.h"
#include "report/plot.h"
#include "report/report.h"
#include "exp/stats.h"
#include "io/atomic.h"
#include "io/config.h"
#include "io/lock.h"

#define WS_VERSION WS_CLI_VERSION

int die(const char *cmd, const char *msg) {
    fprintf(stderr, "warmstart%s%s: error: %s\n", cmd ? " " : "", cmd ? cmd : "", msg);
    return 1;
}

// ---- options shared by batch / train / eval -------------------------------------------------

typedef struct {
    const char *data, *protocol, *model, *opt, *out, *save, *init_from, *backend, *conv_algo, *labels, *learners;
    int phase1_epochs;
    int svhn_extra, augment, rounds, keep_head, pretrain_percent;
    const char *pretrain;
    int_list fractions;
    int64_t k0, k, grad_examples;
    double val_fraction;
    int_list hidden;
    float lr, momentum, wd, beta1, beta2, eps, lr2, wd2;
    int width;
    int nesterov, adamw, batch, batch2, max_epochs, seeds, threads, keep_optim, quiet, json, help;
    double threshold, first_fraction;
    int64_t seed, subset, eval_subset;
    int eval_batch;
} cli_opts;

// The CLI's defaults are the library's (ws_batch_config_defaults): one place.
static void opts_defaults(cli_opts *o) {
    ws_batch_config d;
    ws_batch_config_defaults(&d);
    memset(o, 0, sizeof *o);
    o->data = "fashion-mnist";
    o->protocol = d.protocol == WS_PROTOCOL_PAPER ? "paper" : "default";
    o->model = ws_model_kind_name(d.model);
    o->width = d.width;
    o->opt = ws_opt_kind_name(d.opt1.kind);
    o->out = "results";
    o->hidden.n = d.nhidden;
    memcpy(o->hidden.v, d.hidden, sizeof(int) * (size_t)d.nhidden);
    o->lr = d.opt1.lr;
    o->beta1 = d.opt1.beta1;
    o->beta2 = d.opt1.beta2;
    o->eps = d.opt1.eps;
    o->lr2 = o->wd2 = NAN; // unset: phase 2 follows phase 1
    o->batch = d.batch1;
    o->threshold = d.threshold;
    o->max_epochs = d.max_epochs;
    o->first_fraction = d.first_fraction;
    o->seeds = d.seeds;
    o->seed = (int64_t)d.seed;
    o->eval_batch = d.eval_batch;
    o->backend = "onednn";
    o->conv_algo = "auto";
}

// Parse options; on error print one line and return 1.
static int parse_or_die(const char *cmd, arg_spec *specs, int argc, char **argv) {
    char err[512], msg[700];
    if (!args_parse(specs, argc, argv, err, sizeof err)) return 0;
    snprintf(msg, sizeof msg, "%s (see warmstart %s --help)", err, cmd);
    return die(cmd, msg);
}

#define COMMON_SPECS(o)                                                                                          \
    {"--data", ARG_STRING, &(o).data, "NAME[:DIR]",                                                               \
     "fashion-mnist (default) | mnist | cifar10 | cifar100 | svhn [:DIR] | folder:DIR", 0, 0, 0},                \
    {"--labels", ARG_STRING, &(o).labels, "L", "cifar100: fine (default, 100 classes) | coarse (20)", 0, 0, 0},   \
    {"--extra", ARG_FLAG, &(o).svhn_extra, NULL, "svhn: add extra_32x32.mat to the training pool", 0, 0, 0},     \
    {"--protocol", ARG_STRING, &(o).protocol, "P",                                                               \
     "default (official test split, data's own normalisation) | paper (2/3-1/3 split, 0.5/0.5)", 0, 0, 0},      \
    {"--model", ARG_STRING, &(o).model, "M", "mlp (default) | logreg | resnet18", 0, 0, 0},                     \
    {"--width", ARG_INT, &(o).width, "N", "ResNet-18 first-stage width (default 16, the paper's; 64 common)", 1, 1024, 0}, \
    {"--hidden", ARG_INTLIST, &(o).hidden, "N,N", "MLP hidden sizes (default 100,100, the paper's)", 0, 0, 0},   \
    {"--subset", ARG_I64, &(o).subset, "N", "train on a random N of the training pool (all of it if it has fewer)", 0, 1e9, 0}, \
    {"--eval-subset", ARG_I64, &(o).eval_subset, "N", "evaluate on a random N of the evaluation split (all if fewer)", 0, 1e9, 0}, \
    {"--val-fraction", ARG_DOUBLE, &(o).val_fraction, "F",                                                      \
     "default protocol: evaluate on a random F of the training set, held out (default: the test split)", 1e-9, 0.999999, 0}, \
    {"--augment", ARG_FLAG, &(o).augment, NULL, "random crop (4-pixel padding) + horizontal flip of training batches", 0, 0, 0}, \
    {"--eval-batch", ARG_INT, &(o).eval_batch, "N", "evaluation batch size (default 1000)", 1, 1e6, 0},          \
    {"--seed", ARG_I64, &(o).seed, "S", "first seed (default 1)", 0, 4e18, 0},                                   \
    {"--threads", ARG_INT, &(o).threads, "N", "threads (default: all cores)", 0, 1024, 0},                       \
    {"--backend", ARG_STRING, &(o).backend, "B", "onednn (default: the fast CPU path) | reference (the oracle)", 0, 0, 0}, \
    {"--conv-algo", ARG_STRING, &(o).conv_algo, "A",                                                             \
     "onednn convolutions: auto (default; Winograd where faster) | direct (as PyTorch)", 0, 0, 0},              \
    {"--help", ARG_FLAG, &(o).help, NULL, "this help", 0, 0, 0}

#define TRAIN_SPECS(o)                                                                                           \
    {"--opt", ARG_STRING, &(o).opt, "O", "sgd | adam (default)", 0, 0, 0},                                       \
    {"--lr", ARG_FLOAT, &(o).lr, "X", "learning rate (default 1e-3, the paper's)", 0, 1e6, 0},                  \
    {"--batch", ARG_INT, &(o).batch, "N", "batch size (default 128)", 1, 1e7, 0},                               \
    {"--wd", ARG_FLOAT, &(o).wd, "X", "weight decay (default 0)", 0, 1e6, 0},                                    \
    {"--momentum", ARG_FLOAT, &(o).momentum, "X", "SGD momentum (default 0)", 0, 0.999999, 0},                   \
    {"--nesterov", ARG_FLAG, &(o).nesterov, NULL, "SGD: Nesterov momentum", 0, 0, 0},                            \
    {"--beta1", ARG_FLOAT, &(o).beta1, "X", "Adam beta1 (default 0.9)", 0, 0.999999, 0},                         \
    {"--beta2", ARG_FLOAT, &(o).beta2, "X", "Adam beta2 (default 0.999)", 0, 0.999999, 0},                       \
    {"--eps", ARG_FLOAT, &(o).eps, "X", "Adam epsilon (default 1e-8)", 1e-30, 1, 0},                            \
    {"--adamw", ARG_FLAG, &(o).adamw, NULL, "Adam: decoupled weight decay (AdamW)", 0, 0, 0},                    \
    {"--threshold", ARG_DOUBLE, &(o).threshold, "A", "stop at this training accuracy (default 0.99)", 0, 1, 0}, \
    {"--max-epochs", ARG_INT, &(o).max_epochs, "N", "cap on epochs per run (default 200)", 1, 1e6, 0},          \
    {"--init-from", ARG_STRING, &(o).init_from, "FILE", "start from this safetensors checkpoint", 0, 0, 0},     \
    {"--quiet", ARG_FLAG, &(o).quiet, NULL, "no progress line", 0, 0, 0}

// Options of the scenarios that run learners side by side.
#define LEARNER_SPECS(o)                                                                                         \
    {"--learners", ARG_STRING, &(o).learners, "L,L",                                                             \
     "learners side by side (default warm,random); each NAME[:KEY=VALUE...]; see --help", 0, 0, 0},          \
    {"--keep-optim", ARG_FLAG, &(o).keep_optim, NULL,                                                            \
     "learners other than random keep their optimizer state across rounds (paper: rebuilt)", 0, 0, 0}

// The context: threads, backend and convolution algorithm from the options.
static int make_ctx(const char *cmd, const cli_opts *o, ws_ctx *ctx) {
    ws_ctx_init(ctx, o->threads);
    if (ws_ctx_set_backend(ctx, o->backend) || ws_ctx_set_conv_algo(ctx, o->conv_algo)) return die(cmd, ctx->err);
    return 0;
}

// Load --data with its options; on error print one line and return 1.
static int load_source(const char *cmd, const cli_opts *o, ws_ctx *ctx, ws_source *src) {
    ws_source_opts so = {.svhn_extra = o->svhn_extra};
    if (o->labels && !strcmp(o->labels, "coarse")) so.cifar100_coarse = 1;
    else if (o->labels && strcmp(o->labels, "fine")) return die(cmd, "--labels: expected 'fine' or 'coarse'");
    if (o->labels && strncmp(o->data, "cifar100", 8)) return die(cmd, "--labels is for --data cifar100");
    if (o->svhn_extra && strncmp(o->data, "svhn", 4)) return die(cmd, "--extra is for --data svhn");
    if (ws_source_load(ctx, src, o->data, &so)) return die(cmd, ctx->err);
    return 0;
}

// Turn parsed options into a resolved experiment configuration.
static int resolve(const char *cmd, cli_opts *o, ws_batch_config *cfg, ws_ctx *ctx) {
    ws_batch_config_defaults(cfg);
    if (!strcmp(o->protocol, "paper")) cfg->protocol = WS_PROTOCOL_PAPER;
    else if (strcmp(o->protocol, "default")) return die(cmd, "--protocol: expected 'default' or 'paper'");
    if (ws_model_kind_parse(ctx, o->model, &cfg->model)) return die(cmd, ctx->err);
    cfg->width = o->width;
    cfg->nhidden = o->hidden.n;
    memcpy(cfg->hidden, o->hidden.v, sizeof(int) * (size_t)o->hidden.n);
    ws_opt_kind k;
    if (ws_opt_kind_parse(ctx, o->opt, &k)) return die(cmd, ctx->err);
    if (k == WS_OPT_ADAM && (o->momentum > 0 || o->nesterov)) return die(cmd, "--momentum/--nesterov are SGD options");
    if (k == WS_OPT_SGD && o->adamw) return die(cmd, "--adamw is an Adam option");
    ws_opt_config c = ws_opt_defaults(k, o->lr);
    c.weight_decay = o->wd;
    c.momentum = o->momentum;
    c.nesterov = o->nesterov;
    c.beta1 = o->beta1;
    c.beta2 = o->beta2;
    c.eps = o->eps;
    c.decoupled = o->adamw;
    if (ws_opt_config_check(ctx, &c)) return die(cmd, ctx->err);
    cfg->opt1 = cfg->opt2 = c;
    if (!isnan(o->lr2)) cfg->opt2.lr = o->lr2;
    if (!isnan(o->wd2)) cfg->opt2.weight_decay = o->wd2;
    cfg->batch1 = o->batch;
    cfg->batch2 = o->batch2 ? o->batch2 : o->batch;
    cfg->threshold = o->threshold;
    cfg->max_epochs = o->max_epochs;
    cfg->first_fraction = o->first_fraction;
    cfg->keep_optim = o->keep_optim;
    cfg->seeds = o->seeds;
    cfg->seed = (uint64_t)o->seed;
    cfg->subset = o->subset;
    cfg->eval_subset = o->eval_subset;
    cfg->eval_batch = o->eval_batch;
    cfg->val_fraction = o->val_fraction;
    if (cfg->val_fraction > 0 && cfg->protocol == WS_PROTOCOL_PAPER)
        return die(cmd, "--val-fraction: the paper protocol fixes its split (1/3 to evaluate)");
    if (o->augment) cfg->augment = (ws_augment){.pad = 4, .flip = 1};
    cfg->init_from = o->init_from;
    cfg->save_dir = o->save;
    cfg->phase1_epochs = o->phase1_epochs;
    if (o->learners && ws_learner_parse_list(ctx, o->learners, cfg->learners, WS_MAX_LEARNERS, &cfg->nlearners))
        return die(cmd, ctx->err);
    for (int l = 0; l < cfg->nlearners && o->keep_optim; l++)
        if (cfg->learners[l].kind != WS_LEARNER_RANDOM) cfg->learners[l].keep_optim = 1;
    return 0;
}

// Refuse learners the model cannot run (before any output is made).
static int check_learners(const char *cmd, const ws_batch_config *cfg, const ws_dataset *d, ws_ctx *ctx) {
    ws_model_spec spec = ws_batch_model_spec(cfg, d);
    ws_model *m;
    if (ws_model_create(ctx, &m, &spec)) return die(cmd, ctx->err);
    int rc = 0;
    for (int l = 0; l < cfg->nlearners && !rc; l++)
        if (ws_learner_check(ctx, &cfg->learners[l], m)) rc = die(cmd, ctx->err);
    ws_model_free(m);
    return rc;
}

// The help text of the scenarios that run learners.
static void learner_help(void) {
    printf("\nlearners (--learners, comma-separated; parameters as NAME:KEY=VALUE:KEY=VALUE; every learner also\n"
           "takes keep-optim=1; docs/LEARNERS.md has the details and sources):\n%s", ws_learner_help());
}

// ---- progress --------------------------------------------------------------------------------

void on_epoch(void *user, uint64_t seed, const char *learner, const ws_epoch_record *rec) {
    progress *p = user;
    if (!p->tty) return;
    fprintf(stderr, "\r\033[K  seed %llu  %-7s epoch %4d  loss %.4f  train acc %6.2f%%  (%.2fs/epoch)",
            (unsigned long long)seed, learner, rec->epoch, rec->loss, 100 * rec->train_acc, rec->seconds);
    fflush(stderr);
}

void progress_done(progress *p) {
    if (p->tty) fprintf(stderr, "\r\033[K");
}

// ---- output files ----------------------------------------------------------------------------

// Create dir and any missing parents (mkdir -p).
int ensure_dir(const char *cmd, const char *dir, ws_ctx *ctx) {
    char path[1024];
    if (snprintf(path, sizeof path, "%s", dir) >= (int)sizeof path) return die(cmd, "output folder path too long");
    for (char *p = path + 1;; p++) {
        if (*p != '/' && *p) continue;
        char keep = *p;
        *p = 0;
        struct stat st;
        if (stat(path, &st) == 0) {
            if (!S_ISDIR(st.st_mode)) {
                snprintf(ctx->err, sizeof ctx->err, "%s: exists and is not a directory", path);
                return die(cmd, ctx->err);
            }
        } else if (mkdir(path, 0777) != 0 && errno != EEXIST) {
            snprintf(ctx->err, sizeof ctx->err, "%s: cannot create directory: %s", path, strerror(errno));
            return die(cmd, ctx->err);
        }
        if (!keep) return 0;
        *p = keep;
    }
}

// ---- batch -----------------------------------------------------------------------------------

void fmt_summary(char *buf, size_t cap, const double *x, int n, double scale, int decimals) {
    double tmp[256] = {0};
    for (int i = 0; i < n; i++) tmp[i] = x[i] * scale;
    ws_summary s = ws_summarize(tmp, n);
    if (n < 2) snprintf(buf, cap, "%.*f", decimals, s.mean);
    else snprintf(buf, cap, "%.*f ± %.*f", decimals, s.mean, decimals, s.ci95);
}

// Print s left-aligned in `width` columns; UTF-8 continuation bytes take no
// column (the "±" of the intervals).
void print_cell(const char *s, int width) {
    int cols = 0;
    for (const char *p = s; *p; p++) cols += ((unsigned char)*p & 0xC0) != 0x80;
    printf("%s%*s", s, width > cols ? width - cols : 0, "");
}

// One learner's numbers over seeds, for the summary tables.
typedef struct {
    const char *name;
    double acc[256], seconds[256], epochs[256];
    int converged;
} learner_col;

// Rows: learner, test acc, epochs, seconds, converged and, when a learner
// named "random" is among them, each other learner's gap to it (paired by
// seed) from row first_gap on.
static void print_learner_rows(const learner_col *cols, int nl, int n, const char *seconds_label, int first_gap) {
    int random = -1, width = 10;
    for (int l = 0; l < nl; l++) {
        if (!strcmp(cols[l].name, "random")) random = l;
        if ((int)strlen(cols[l].name) + 2 > width) width = (int)strlen(cols[l].name) + 2;
    }
    print_cell("learner", width);
    printf("%-18s%-16s%-18s%-11s%s\n", "test acc %", "epochs", seconds_label, "converged",
           random >= 0 ? "gap vs random (points)" : "");
    for (int l = 0; l < nl; l++) {
        char a[64], c[64], d[64], conv[32];
        fmt_summary(a, sizeof a, cols[l].acc, n, 100, 2);
        fmt_summary(c, sizeof c, cols[l].epochs, n, 1, 1);
        fmt_summary(d, sizeof d, cols[l].seconds, n, 1, 2);
        snprintf(conv, sizeof conv, "%d/%d", cols[l].converged, n);
        print_cell(cols[l].name, width);
        print_cell(a, 18), print_cell(c, 16), print_cell(d, 18), print_cell(conv, 11);
        if (random >= 0 && l != random && l >= first_gap) {
            double gap[256];
            for (int i = 0; i < n; i++) gap[i] = cols[l].acc[i] - cols[random].acc[i];
            char g[64];
            fmt_summary(g, sizeof g, gap, n, 100, 2);
            ws_summary sm = ws_summarize(gap, n);
            printf("%s%s", g, n < 2 ? "" : sm.mean + sm.ci95 < 0 ? "  (worse; the interval excludes 0)"
                                   : sm.mean - sm.ci95 > 0 ? "  (better; the interval excludes 0)"
                                                           : "");
        }
        printf("\n");
    }
}

static void run_col(learner_col *c, int i, const ws_run_result *r) {
    c->acc[i] = r->test_acc;
    c->seconds[i] = r->train.seconds;
    c->epochs[i] = r->train.nepochs;
    c->converged += r->train.converged;
}

static void print_table(const ws_batch_config *cfg, const ws_source *src, const ws_batch_seed_result *r, int n,
                        const char *arch) {
    printf("\nTwo-phase batch experiment: %s, %s, %s lr %g → %g, batch %d → %d, threshold %.3g, %d seed%s\n",
           src->name, arch, ws_opt_kind_name(cfg->opt1.kind), cfg->opt1.lr, cfg->opt2.lr, cfg->batch1, cfg->batch2,
           cfg->threshold, n, n == 1 ? "" : "s");
    printf("pool %lld examples (phase 1: %lld%s), evaluated on %lld (%s)%s\n\n", (long long)r[0].n_pool,
           (long long)r[0].n_first, cfg->phase1_epochs ? ", capped epochs" : "", (long long)r[0].n_eval,
           cfg->protocol == WS_PROTOCOL_PAPER ? "random 1/3 of the official training set" : "official test set",
           n > 1 ? "; mean ± 95% CI (Student t) over seeds" : "");
    static learner_col cols[WS_MAX_LEARNERS + 1];
    memset(cols, 0, sizeof cols);
    cols[0].name = "phase 1";
    for (int l = 0; l < cfg->nlearners; l++) cols[l + 1].name = cfg->learners[l].name;
    int capped = 0;
    for (int i = 0; i < n; i++) {
        run_col(&cols[0], i, &r[i].phase1);
        for (int l = 0; l < r[i].nruns; l++) run_col(&cols[l + 1], i, &r[i].runs[l]);
    }
    for (int l = 0; l <= cfg->nlearners; l++) capped += n - cols[l].converged;
    print_learner_rows(cols, cfg->nlearners + 1, n, "seconds", 1);
    if (capped && !cfg->phase1_epochs)
        printf("\nnote: %d run%s stopped at --max-epochs %d before reaching the threshold; their comparison is not "
               "the paper's (raise --max-epochs)\n",
               capped, capped == 1 ? "" : "s", cfg->max_epochs);
}

// DIR/NAME as JSONL, written atomically: one line per record (each consumed:
// deleted here), each with the full resolved configuration attached.
int write_jsonl(const char *cmd, ws_ctx *ctx, const char *dir, const char *name, cJSON *config, cJSON **recs,
                       int n) {
    char path[1200];
    ws_atomic_file af;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int rc = ws_atomic_open(ctx, &af, path) ? die(cmd, ctx->err) : 0;
    for (int i = 0; i < n; i++) {
        if (!rc) {
            cJSON_AddItemReferenceToObject(recs[i], "config", config);
            char *line = cJSON_PrintUnformatted(recs[i]);
            fprintf(af.f, "%s\n", line);
            free(line);
        }
        cJSON_Delete(recs[i]);
    }
    if (!rc && ws_atomic_commit(ctx, &af)) rc = die(cmd, ctx->err);
    return rc;
}

static int write_outputs(const char *cmd, ws_ctx *ctx, const char *dir, cJSON *config, const ws_batch_seed_result *r,
                         int n) {
    if (ensure_dir(cmd, dir, ctx)) return 1;
    char path[1200];
    ws_atomic_file af;
    // JSONL: one object per seed, each with the full resolved configuration.
    cJSON *recs[256];
    for (int i = 0; i < n; i++) recs[i] = ws_batch_seed_json(&r[i]);
    if (write_jsonl(cmd, ctx, dir, "batch.jsonl", config, recs, n)) return 1;
    // CSV: one row per (seed, learner).
    snprintf(path, sizeof path, "%s/batch.csv", dir);
    if (ws_atomic_open(ctx, &af, path)) return die(cmd, ctx->err);
    fprintf(af.f, "seed,learner,n_train,test_acc,test_loss,train_acc,train_loss,epochs,steps,seconds,converged\n");
    for (int i = 0; i < n; i++)
        for (int l = -1; l < r[i].nruns; l++) {
            const ws_run_result *run = l < 0 ? &r[i].phase1 : &r[i].runs[l];
            fprintf(af.f, "%llu,%s,%lld,%.6f,%.6f,%.6f,%.6f,%d,%lld,%.3f,%d\n", (unsigned long long)r[i].seed,
                    run->learner, (long long)(l < 0 ? r[i].n_first : r[i].n_pool), run->test_acc, run->test_loss,
                    run->train.train_acc, run->train.loss, run->train.nepochs, (long long)run->train.steps,
                    run->train.seconds, run->train.converged);
        }
    if (ws_atomic_commit(ctx, &af)) return die(cmd, ctx->err);
    return 0;
}

static int cmd_batch(int argc, char **argv) {
    const char *cmd = "batch";
    cli_opts o;
    opts_defaults(&o);
    run_opts ro = {0};
    arg_spec specs[] = {
        COMMON_SPECS(o),
        TRAIN_SPECS(o),
        {"--lr2", ARG_FLOAT, &o.lr2, "X", "phase 2 learning rate (default: --lr; the paper's lr_2)", 0, 1e6, 0},
        {"--batch2", ARG_INT, &o.batch2, "N", "phase 2 batch size (default: --batch; batch_size_2)", 1, 1e7, 0},
        {"--wd2", ARG_FLOAT, &o.wd2, "X", "phase 2 weight decay (default: --wd; decay_2)", 0, 1e6, 0},
        {"--first-fraction", ARG_DOUBLE, &o.first_fraction, "F", "share of the pool in phase 1 (default 0.5)", 1e-9, 1, 0},
        {"--phase1-epochs", ARG_INT, &o.phase1_epochs, "E",
         "stop phase 1 after E epochs even below the threshold (default 0: train it to the threshold)", 0, 1e6, 0},
        LEARNER_SPECS(o),
        {"--seeds", ARG_INT, &o.seeds, "N", "repeat with N seeds: seed, seed+1, ... (default 1)", 1, 256, 0},
        {"--out", ARG_STRING, &o.out, "DIR", "write DIR/batch.jsonl and DIR/batch.csv (default results)", 0, 0, 0},
        {"--save", ARG_STRING, &o.save, "DIR", "save DIR/seed<S>-{phase1,<learner>}.safetensors", 0, 0, 0},
        RUN_SPECS(ro),
        {NULL, 0, NULL, NULL, NULL, 0, 0, 0}};
    if (parse_or_die(cmd, specs, argc, argv)) return 1;
    if (o.help) {
        args_help(specs, "usage: warmstart batch [options]\n\n"
                         "The paper's two-phase experiment: train on a random part of the training pool, then on all\n"
                         "of it from that model (warm) and from a fresh initialisation (random) -- or any --learners --\n"
                         "each until the training accuracy reaches the threshold; report test accuracy with 95% CIs\n"
                         "over seeds.");
        learner_help();
        return 0;
    }
    ws_ctx ctx;
    if (make_ctx(cmd, &o, &ctx)) return 1;
    ws_batch_config cfg;
    if (resolve(cmd, &o, &cfg, &ctx)) return 1;
    if (run_opts_check(cmd, &ro)) return 1;
    if (ro.plan) {
        units_plan_batch(&ro, &cfg);
        return 0;
    }
    ws_source src;
    double t0 = ws_now();
    if (load_source(cmd, &o, &ctx, &src)) return 1;
    // Folders are made only once the inputs are known to be good.
    unit_run u;
    cJSON *config = NULL;
    if (check_learners(cmd, &cfg, &src.train, &ctx) || (cfg.save_dir && ensure_dir(cmd, cfg.save_dir, &ctx))) {
        ws_source_free(&src);
        return 1;
    }
    config = ws_batch_config_json(&cfg, &src, &ctx);
    int rc = unit_run_open(&u, cmd, &ctx, &ro, o.out, config, units_count_batch(&cfg), units_group_batch(&cfg));
    cJSON_Delete(config);
    if (rc || (!ro.merge && write_run_json(cmd, &ctx, o.out, "batch", argc, argv))) {
        if (!rc) unit_run_close(&u);
        ws_source_free(&src);
        return 1;
    }
    char arch[160];
    ws_model_spec spec = ws_batch_model_spec(&cfg, &src.train);
    ws_model_describe(&spec, arch, sizeof arch);
    if (!ro.merge)
        fprintf(stderr, "warmstart batch: %s (%lld train, %lld test) loaded in %.2fs; %s, %d thread%s\n", src.name,
                (long long)src.train.n, (long long)src.test.n, ws_now() - t0, arch, ctx.threads,
                ctx.threads == 1 ? "" : "s");
    ws_batch_seed_result *res = calloc((size_t)cfg.seeds, sizeof *res);
    progress pr = {isatty(2) && !o.quiet, cfg.seeds};
    int done = 0;
    rc = units_batch(&u, &cfg, &src, &pr, res, &done);
    if (!rc && u.complete && done) {
        rc = write_outputs(cmd, &ctx, o.out, u.run.config, res, done);
        if (!rc) {
            print_table(&cfg, &src, res, done, arch);
            if (u.excluded[0]) printf("\nnote: %s\n", u.excluded);
            printf("\nresults: %s/batch.jsonl, %s/batch.csv%s%s\n", o.out, o.out, cfg.save_dir ? "; checkpoints in " : "",
                   cfg.save_dir ? cfg.save_dir : "");
        }
    } else if (!rc && u.complete) {
        printf("no results: every seed has a diverged unit\n%s\n", u.excluded);
        rc = WS_EXIT_ALL_DIVERGED;
    }
    if (!rc) unit_run_summary(&u);
    for (int i = 0; i < done; i++) ws_batch_seed_result_free(&res[i]);
    free(res);
    ws_source_free(&src);
    unit_run_close(&u);
    ws_ctx_release(&ctx);
    return rc;
}

// ---- train / eval ----------------------------------------------------------------------------

static int cmd_train_or_eval(int argc, char **argv, int is_eval) {
    const char *cmd = is_eval ? "eval" : "train";
    cli_opts o;
    opts_defaults(&o);
    arg_spec train_specs[] = {
        COMMON_SPECS(o),
        TRAIN_SPECS(o),
        {"--save", ARG_STRING, &o.save, "FILE", "save the trained model (safetensors)", 0, 0, 0},
        {"--json", ARG_FLAG, &o.json, NULL, "print the result as one JSON object", 0, 0, 0},
        {NULL, 0, NULL, NULL, NULL, 0, 0, 0}};
    arg_spec eval_specs[] = {
        COMMON_SPECS(o),
        {"--init-from", ARG_STRING, &o.init_from, "FILE", "the checkpoint to evaluate (required)", 0, 0, 0},
        {"--json", ARG_FLAG, &o.json, NULL, "print the result as one JSON object", 0, 0, 0},
        {NULL, 0, NULL, NULL, NULL, 0, 0, 0}};
    arg_spec *specs = is_eval ? eval_specs : train_specs;
    if (parse_or_die(cmd, specs, argc, argv)) return 1;
    if (o.help) {
        args_help(specs, is_eval ? "usage: warmstart eval --init-from FILE [options]\n\nAccuracy of a checkpoint on "
                                   "the evaluation split (same --data/--protocol/--seed as it was trained with)."
                                 : "usage: warmstart train [options]\n\nTrain one model on the training pool until "
                                   "the threshold and evaluate it.");
        return 0;
    }
    if (is_eval && !o.init_from) return die(cmd, "--init-from FILE is required");
    ws_ctx ctx;
    if (make_ctx(cmd, &o, &ctx)) return 1;
    ws_batch_config cfg;
    if (resolve(cmd, &o, &cfg, &ctx)) return 1;
    ws_source src;
    if (load_source(cmd, &o, &ctx, &src)) return 1;
    ws_batch_seed_result r;
    progress pr = {isatty(2) && !o.quiet && !is_eval, 1};
    ws_status st = is_eval ? ws_eval_checkpoint(&ctx, &cfg, &src, o.init_from, &r)
                           : ws_single_run(&ctx, &cfg, &src, o.save, on_epoch, &pr, &r);
    progress_done(&pr);
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
        cJSON_AddItemToObject(j, "result", run);
        cJSON_AddItemToObject(j, "config", ws_batch_config_json(&cfg, &src, &ctx));
        char *s = cJSON_PrintUnformatted(j);
        printf("%s\n", s);
        free(s);
        cJSON_Delete(j);
    } else if (is_eval) {
        printf("%s: test accuracy %.2f%%, loss %.4f on %lld examples\n", o.init_from, 100 * r.phase1.test_acc,
               r.phase1.test_loss, (long long)r.n_eval);
    } else {
        printf("trained %d epochs (%lld steps, %.1fs, %s): train acc %.2f%%, test acc %.2f%%%s%s\n",
               r.phase1.train.nepochs, (long long)r.phase1.train.steps, r.phase1.train.seconds,
               r.phase1.train.converged ? "converged" : "hit the epoch cap", 100 * r.phase1.train.train_acc,
               100 * r.phase1.test_acc, o.save ? "; saved " : "", o.save ? o.save : "");
    }
    ws_batch_seed_result_free(&r);
    ws_source_free(&src);
    ws_ctx_release(&ctx);
    return 0;
}

// ---- online -----------------------------------------------------------------------------------

void on_round(void *user, uint64_t seed, const char *learner, const ws_online_round *r) {
    progress *p = user;
    if (!p->tty) return;
    fprintf(stderr, "\r\033[K  seed %llu  round %d  %-7s %lld examples: test acc %.2f%%, %d epochs", (unsigned long long)seed,
            r->round, learner, (long long)r->n_seen, 100 * r->test_acc, r->train.nepochs);
    fflush(stderr);
}

static int write_online(const char *cmd, ws_ctx *ctx, const char *dir, cJSON *config, const ws_online_seed_result *r,
                        int n) {
    if (ensure_dir(cmd, dir, ctx)) return 1;
    char path[1200];
    ws_atomic_file af;
    cJSON *recs[256];
    for (int i = 0; i < n; i++) recs[i] = ws_online_seed_json(&r[i]);
    if (write_jsonl(cmd, ctx, dir, "online.jsonl", config, recs, n)) return 1;
    snprintf(path, sizeof path, "%s/online.csv", dir);
    if (ws_atomic_open(ctx, &af, path)) return die(cmd, ctx->err);
    fprintf(af.f, "seed,round,learner,examples_seen,test_acc,test_loss,train_acc,epochs,steps,seconds,cumulative_seconds,"
                  "converged,corr_round_start,corr_init,cos_round_start,cos_init,l2_round_start,l2_init,grad_norm_old,"
                  "grad_norm_new,grad_norm_old_after_epoch1,grad_norm_new_after_epoch1,units_replaced\n");
    for (int i = 0; i < n; i++)
        for (int k = 0; k < r[i].nrounds; k++)
            for (int l = 0; l < r[i].nlearners; l++) {
                const ws_online_round *x = &r[i].rounds[l * r[i].nrounds + k];
                fprintf(af.f, "%llu,%d,%s,%lld,%.6f,%.6f,%.6f,%d,%lld,%.3f,%.3f,%d,%.6f,%.6f,%.6f,%.6f,%.6f,%.6f,%.6g,%.6g,%.6g,%.6g,%lld\n",
                        (unsigned long long)r[i].seed, k, r[i].learner_names[l], (long long)x->n_seen, x->test_acc, x->test_loss,
                        x->train.train_acc, x->train.nepochs, (long long)x->train.steps, x->train.seconds,
                        x->cum_seconds, x->train.converged, x->to_start.pearson, x->to_init.pearson, x->to_start.cosine,
                        x->to_init.cosine, x->to_start.l2, x->to_init.l2, x->grad_old, x->grad_new, x->grad_old_epoch1,
                        x->grad_new_epoch1, (long long)x->units_replaced);
            }
    if (ws_atomic_commit(ctx, &af)) return die(cmd, ctx->err);
    return 0;
}

static void print_online(const ws_online_config *cfg, const ws_source *src, const ws_online_seed_result *r, int n,
                         const char *arch) {
    printf("\n%s online learning: %s, %s, %s lr %g, batch %d, threshold %.3g, %lld first + %lld per round, %d "
           "seed%s\n",
           cfg->query == WS_QUERY_PASSIVE ? "Passive" : cfg->query == WS_QUERY_MARGIN ? "Active (margin sampling)"
                                                                                       : "Active (random queries)",
           src->name, arch, ws_opt_kind_name(cfg->base.opt1.kind), cfg->base.opt1.lr, cfg->base.batch1,
           cfg->base.threshold, (long long)cfg->k0, (long long)cfg->k, n, n == 1 ? "" : "s");
    printf("evaluated on %lld examples%s\n\n", (long long)r[0].n_eval, n > 1 ? "; mean ± 95% CI over seeds" : "");
    const int nl = r[0].nlearners, nr = r[0].nrounds;
    // Test accuracy per round (rows) and learner (columns).
    int width[WS_MAX_LEARNERS];
    printf("%-7s%-10s", "round", "examples");
    for (int l = 0; l < nl; l++) {
        width[l] = (int)strlen(r[0].learner_names[l]) + 2 > 18 ? (int)strlen(r[0].learner_names[l]) + 2 : 18;
        print_cell(r[0].learner_names[l], width[l]);
    }
    printf("(test acc %%)\n");
    for (int k = 0; k < nr; k++) {
        printf("%-7d%-10lld", k, (long long)r[0].rounds[k].n_seen);
        for (int l = 0; l < nl; l++) {
            double v[256];
            char cell[64];
            for (int i = 0; i < n; i++) v[i] = r[i].rounds[l * nr + k].test_acc;
            fmt_summary(cell, sizeof cell, v, n, 100, 2);
            print_cell(cell, width[l]);
        }
        printf("\n");
    }
    // The last round, with each learner's training time over all rounds.
    printf("\nafter the last round (%lld examples); epochs and seconds: summed over the rounds\n",
           (long long)r[0].rounds[nr - 1].n_seen);
    static learner_col cols[WS_MAX_LEARNERS];
    memset(cols, 0, sizeof cols);
    for (int l = 0; l < nl; l++) {
        cols[l].name = r[0].learner_names[l];
        for (int i = 0; i < n; i++) {
            const ws_online_round *x = &r[i].rounds[l * nr + nr - 1];
            run_col(&cols[l], i, &(ws_run_result){.train = x->train, .test_acc = x->test_acc});
            cols[l].seconds[i] = x->cum_seconds;
            cols[l].epochs[i] = 0;
            for (int k = 0; k < nr; k++) cols[l].epochs[i] += r[i].rounds[l * nr + k].train.nepochs;
        }
    }
    print_learner_rows(cols, nl, n, "seconds", 0);
}

static int cmd_online(int argc, char **argv, int active) {
    const char *cmd = active ? "active" : "online";
    cli_opts o;
    opts_defaults(&o);
    ws_online_config ocfg;
    ws_online_config_defaults(&ocfg);
    o.k0 = ocfg.k0, o.k = ocfg.k, o.grad_examples = ocfg.grad_examples;
    o.out = active ? "results/active" : "results/online";
    const char *query = "margin";
    run_opts ro = {0};
    arg_spec specs[] = {
        COMMON_SPECS(o),
        TRAIN_SPECS(o),
        {"--k0", ARG_I64, &o.k0, "N", "examples in the first round (default 1000)", 1, 1e9, 0},
        {"--k", ARG_I64, &o.k, "N", "examples added per round (default 1000)", 1, 1e9, 0},
        {"--rounds", ARG_INT, &o.rounds, "N", "at most N rounds (default: until the pool is used)", 0, 1e6, 0},
        {"--grad-examples", ARG_I64, &o.grad_examples, "N",
         "gradient norms on at most N old and N new examples (default 2000; 0: all)", 0, 1e9, 0},
        LEARNER_SPECS(o),
        {"--seeds", ARG_INT, &o.seeds, "N", "repeat with N seeds: seed, seed+1, ... (default 1)", 1, 256, 0},
        {"--out", ARG_STRING, &o.out, "DIR", "write DIR/online.jsonl and DIR/online.csv (default results/online|active)", 0, 0, 0},
        RUN_SPECS(ro),
        // the table ends here for `online` (a NULL name ends it)
        {active ? "--query" : NULL, ARG_STRING, &query, "Q", "active: margin (default) | random (the control)", 0, 0, 0},
        {NULL, 0, NULL, NULL, NULL, 0, 0, 0}};
    if (parse_or_die(cmd, specs, argc, argv)) return 1;
    if (active) {
        if (!strcmp(query, "margin")) ocfg.query = WS_QUERY_MARGIN;
        else if (!strcmp(query, "random")) ocfg.query = WS_QUERY_RANDOM;
        else return die(cmd, "--query: expected 'margin' or 'random'");
    }
    if (o.help && active) {
        args_help(specs, "usage: warmstart active [options]\n\n"
                         "Active online learning: as `online`, but each round every learner labels the --k unlabelled\n"
                         "examples its current model is least sure of (smallest gap between its top two softmax\n"
                         "probabilities); --query random is the control. Also records the classes picked per round.");
        learner_help();
        return 0;
    }
    if (o.help) {
        args_help(specs, "usage: warmstart online [options]\n\n"
                         "Passive online learning: the training pool arrives --k0 examples first, then --k per round;\n"
                         "each round the warm learner continues from its last model and the random one starts fresh,\n"
                         "both trained to the threshold on everything seen so far. Records accuracy, time to converge,\n"
                         "weight movement and old/new gradient norms per round (online.jsonl, online.csv).");
        learner_help();
        return 0;
    }
    ws_ctx ctx;
    if (make_ctx(cmd, &o, &ctx)) return 1;
    if (resolve(cmd, &o, &ocfg.base, &ctx)) return 1;
    ocfg.k0 = o.k0, ocfg.k = o.k, ocfg.rounds = o.rounds, ocfg.grad_examples = o.grad_examples;
    if (run_opts_check(cmd, &ro)) return 1;
    if (ro.plan) {
        units_plan_online(&ro, &ocfg);
        return 0;
    }
    ws_source src;
    if (load_source(cmd, &o, &ctx, &src)) return 1;
    // The rounds must fit the pool: checked before anything is printed or made.
    ws_split sp;
    int fits = 0;
    if (!ws_split_make(&ctx, &ocfg.base, &src, ocfg.base.seed, &sp)) {
        fits = ws_online_schedule(sp.n_pool, ocfg.k0, ocfg.k, ocfg.rounds, NULL, 0) > 0;
        if (!fits)
            ws_fail(&ctx, WS_ERR_ARG, "%lld first examples and %lld per round do not fit a pool of %lld", (long long)ocfg.k0,
                    (long long)ocfg.k, (long long)sp.n_pool);
        ws_split_free(&sp);
    }
    if (!fits) {
        ws_source_free(&src);
        return die(cmd, ctx.err);
    }
    unit_run u;
    if (check_learners(cmd, &ocfg.base, &src.train, &ctx)) {
        ws_source_free(&src);
        return 1;
    }
    cJSON *config = ws_online_config_json(&ocfg, &src, &ctx);
    int rc = unit_run_open(&u, cmd, &ctx, &ro, o.out, config, units_count_online(&ocfg), 1);
    cJSON_Delete(config);
    if (rc || (!ro.merge && write_run_json(cmd, &ctx, o.out, cmd, argc, argv))) {
        if (!rc) unit_run_close(&u);
        ws_source_free(&src);
        return 1;
    }
    char arch[160];
    ws_model_spec spec = ws_batch_model_spec(&ocfg.base, &src.train);
    ws_model_describe(&spec, arch, sizeof arch);
    if (!ro.merge)
        fprintf(stderr, "warmstart %s: %s (%lld train, %lld test); %s, %d thread%s\n", cmd, src.name,
                (long long)src.train.n, (long long)src.test.n, arch, ctx.threads, ctx.threads == 1 ? "" : "s");
    ws_online_seed_result *res = calloc((size_t)ocfg.base.seeds, sizeof *res);
    progress pr = {isatty(2) && !o.quiet, ocfg.base.seeds};
    int done = 0;
    rc = units_online(&u, &ocfg, &src, &pr, res, &done);
    if (!rc && u.complete && done) {
        rc = write_online(cmd, &ctx, o.out, u.run.config, res, done);
        if (!rc) {
            print_online(&ocfg, &src, res, done, arch);
            if (u.excluded[0]) printf("\nnote: %s\n", u.excluded);
            printf("\nresults: %s/online.jsonl, %s/online.csv\n", o.out, o.out);
        }
    } else if (!rc && u.complete) {
        printf("no results: every seed has a diverged unit\n%s\n", u.excluded);
        rc = WS_EXIT_ALL_DIVERGED;
    }
    if (!rc) unit_run_summary(&u);
    for (int i = 0; i < done; i++) ws_online_seed_result_free(&res[i]);
    free(res);
    ws_source_free(&src);
    unit_run_close(&u);
    ws_ctx_release(&ctx);
    return rc;
}

// ---- transfer -------------------------------------------------------------------------------

static int cmd_transfer(int argc, char **argv) {
    const char *cmd = "transfer";
    cli_opts o;
    opts_defaults(&o);
    o.out = "results/transfer";
    o.fractions = (int_list){6, {1, 5, 10, 25, 50, 100}};
    run_opts ro = {0};
    arg_spec specs[] = {
        COMMON_SPECS(o),
        TRAIN_SPECS(o),
        {"--pretrain", ARG_STRING, &o.pretrain, "NAME[:DIR]",
         "dataset A to pretrain on (default: Fashion-MNIST classes 0-4, then --data is its classes 5-9)", 0, 0, 0},
        {"--fractions", ARG_INTLIST, &o.fractions, "P,P", "percent of B's training pool (default 1,5,10,25,50,100)", 0, 0, 0},
        {"--keep-head", ARG_FLAG, &o.keep_head, NULL, "warm keeps A's head (needs as many classes in A and B)", 0, 0, 0},
        {"--pretrain-percent", ARG_INT, &o.pretrain_percent, "P",
         "pretrain on a random P % of A's training pool (default 100; the paper's 10, 30, 60, 100)", 1, 100, 0},
        {"--learners", ARG_STRING, &o.learners, "L,L",
         "learners side by side (default warm,random); each NAME[:KEY=VALUE...]; see --help", 0, 0, 0},
        {"--seeds", ARG_INT, &o.seeds, "N", "repeat with N seeds: seed, seed+1, ... (default 1)", 1, 256, 0},
        {"--out", ARG_STRING, &o.out, "DIR", "write DIR/transfer.jsonl and DIR/transfer.csv (default results/transfer)", 0, 0, 0},
        RUN_SPECS(ro),
        {NULL, 0, NULL, NULL, NULL, 0, 0, 0}};
    if (parse_or_die(cmd, specs, argc, argv)) return 1;
    if (o.help) {
        args_help(specs, "usage: warmstart transfer [--pretrain A] [--data B] [options]\n\n"
                         "Pretrain on A to the threshold, then train on P % of B for each --fractions P: warm from A's\n"
                         "model (a fresh head unless --keep-head) against a fresh initialisation, same batches.\n"
                         "Without --pretrain: Fashion-MNIST classes 0-4 (A) -> 5-9 (B, relabelled 0-4).");
        learner_help();
        return 0;
    }
    ws_transfer_config tcfg;
    ws_transfer_config_defaults(&tcfg);
    tcfg.nfractions = o.fractions.n;
    for (int i = 0; i < o.fractions.n; i++) {
        if (o.fractions.v[i] < 1 || o.fractions.v[i] > 100) return die(cmd, "--fractions: each P must be in 1..100");
        tcfg.fractions[i] = o.fractions.v[i] / 100.0;
    }
    tcfg.keep_head = o.keep_head;
    if (o.pretrain_percent) tcfg.pretrain_fraction = o.pretrain_percent / 100.0;
    ws_ctx ctx;
    if (make_ctx(cmd, &o, &ctx)) return 1;
    if (resolve(cmd, &o, &tcfg.base, &ctx)) return 1;
    if (run_opts_check(cmd, &ro)) return 1;
    if (ro.plan) {
        units_plan_transfer(&ro, &tcfg);
        return 0;
    }
    ws_source a, b;
    if (o.pretrain && !strcmp(o.pretrain, "default")) o.pretrain = NULL; // the built-in pair, named
    if (!o.pretrain) {
        if (strncmp(o.data, "fashion-mnist", 13)) return die(cmd, "--pretrain A is needed unless --data is fashion-mnist");
        ws_source all;
        if (load_source(cmd, &o, &ctx, &all)) return 1;
        ws_status st = ws_source_select_classes(&ctx, &a, &all, 0, 5);
        if (!st) st = ws_source_select_classes(&ctx, &b, &all, 5, 10);
        ws_source_free(&all);
        if (st) return die(cmd, ctx.err);
    } else {
        if (load_source(cmd, &o, &ctx, &b)) return 1;
        cli_opts oa = o;
        oa.data = o.pretrain, oa.labels = NULL, oa.svhn_extra = 0;
        if (load_source(cmd, &oa, &ctx, &a)) {
            ws_source_free(&b);
            return 1;
        }
    }
    // What ws_transfer_run_seed would refuse, refused before anything is made.
    int rc = 0;
    if (a.train.c != b.train.c || a.train.h != b.train.h || a.train.w != b.train.w) {
        snprintf(ctx.err, sizeof ctx.err, "%s images are %dx%dx%d but %s's are %dx%dx%d: transfer needs one shape", a.name,
                 a.train.c, a.train.h, a.train.w, b.name, b.train.c, b.train.h, b.train.w);
        rc = die(cmd, ctx.err);
    } else if (tcfg.keep_head && a.num_classes != b.num_classes) {
        snprintf(ctx.err, sizeof ctx.err, "--keep-head: %s has %d classes but %s has %d", a.name, a.num_classes, b.name,
                 b.num_classes);
        rc = die(cmd, ctx.err);
    }
    if (!rc) rc = check_learners(cmd, &tcfg.base, &b.train, &ctx);
    unit_run u;
    int opened = 0;
    if (!rc) {
        cJSON *config = ws_transfer_config_json(&tcfg, &a, &b, &ctx);
        rc = unit_run_open(&u, cmd, &ctx, &ro, o.out, config, units_count_transfer(&tcfg),
                           units_group_transfer(&tcfg));
        cJSON_Delete(config);
        opened = !rc;
        if (!rc && !ro.merge) rc = write_run_json(cmd, &ctx, o.out, cmd, argc, argv);
    }
    ws_transfer_seed_result *res = calloc((size_t)tcfg.base.seeds, sizeof *res);
    int done = 0;
    if (!rc && !ro.merge)
        fprintf(stderr, "warmstart transfer: %s (%lld train) -> %s (%lld train), %d thread%s\n", a.name, (long long)a.train.n,
            b.name, (long long)b.train.n, ctx.threads, ctx.threads == 1 ? "" : "s");
    if (!rc) rc = units_transfer(&u, &tcfg, &a, &b, res, &done);
    if (!rc && u.complete && !done) {
        printf("no results: every seed has a diverged unit\n%s\n", u.excluded);
        rc = WS_EXIT_ALL_DIVERGED;
    }
    if (!rc && u.complete) {
        cJSON *config = u.run.config;
        char path[1200];
        ws_atomic_file af;
        cJSON *recs[256];
        for (int i = 0; i < done; i++) recs[i] = ws_transfer_seed_json(&res[i]);
        rc = write_jsonl(cmd, &ctx, o.out, "transfer.jsonl", config, recs, done);
        snprintf(path, sizeof path, "%s/transfer.csv", o.out);
        if (!rc && ws_atomic_open(&ctx, &af, path)) rc = die(cmd, ctx.err);
        if (!rc) {
            fprintf(af.f, "seed,percent,train_examples,learner,test_acc,test_loss,train_acc,epochs,steps,seconds,converged\n");
            for (int i = 0; i < done; i++)
                for (int k = 0; k < res[i].npoints; k++) {
                    const ws_transfer_point *p = &res[i].points[k];
                    for (int l = 0; l < p->nlearners; l++)
                        fprintf(af.f, "%llu,%g,%lld,%s,%.6f,%.6f,%.6f,%d,%lld,%.3f,%d\n", (unsigned long long)res[i].seed,
                                100 * p->fraction, (long long)p->n_train, p->runs[l].learner, p->runs[l].test_acc,
                                p->runs[l].test_loss, p->runs[l].train.train_acc, p->runs[l].train.nepochs,
                                (long long)p->runs[l].train.steps, p->runs[l].train.seconds, p->runs[l].train.converged);
                }
            if (ws_atomic_commit(&ctx, &af)) rc = die(cmd, ctx.err);
        }
    }
    if (!rc && u.complete) {
        printf("\nTransfer: pretrained on %s (test acc", a.name);
        for (int i = 0; i < done; i++) printf(" %.2f%%", 100 * res[i].pretrain.test_acc);
        printf("), then %s; %d seed%s%s\n\n", b.name, done, done == 1 ? "" : "s", done > 1 ? "; mean ± 95% CI" : "");
        const int nl = tcfg.base.nlearners;
        printf("%-9s%-10s", "percent", "examples");
        int width[WS_MAX_LEARNERS];
        for (int l = 0; l < nl; l++) {
            const char *nm = tcfg.base.learners[l].name;
            width[l] = (int)strlen(nm) + 2 > 18 ? (int)strlen(nm) + 2 : 18;
            print_cell(nm, width[l]);
        }
        printf("(test acc %%)\n");
        for (int k = 0; k < tcfg.nfractions; k++) {
            printf("%-9g%-10lld", 100 * tcfg.fractions[k], (long long)res[0].points[k].n_train);
            for (int l = 0; l < nl; l++) {
                double v[256];
                char c[64];
                for (int i = 0; i < done; i++) v[i] = res[i].points[k].runs[l].test_acc;
                fmt_summary(c, sizeof c, v, done, 100, 2);
                print_cell(c, width[l]);
            }
            printf("\n");
        }
        // The largest share in detail, gaps to random included.
        const int last = tcfg.nfractions - 1;
        printf("\nat %g %% of B:\n", 100 * tcfg.fractions[last]);
        static learner_col cols[WS_MAX_LEARNERS];
        memset(cols, 0, sizeof cols);
        for (int l = 0; l < nl; l++) {
            cols[l].name = tcfg.base.learners[l].name;
            for (int i = 0; i < done; i++) run_col(&cols[l], i, &res[i].points[last].runs[l]);
        }
        print_learner_rows(cols, nl, done, "seconds", 0);
        if (u.excluded[0]) printf("\nnote: %s\n", u.excluded);
        printf("\nresults: %s/transfer.jsonl, %s/transfer.csv\n", o.out, o.out);
    }
    if (!rc && opened) unit_run_summary(&u);
    for (int i = 0; i < done; i++) ws_transfer_seed_result_free(&res[i]);
    free(res);
    ws_source_free(&a);
    ws_source_free(&b);
    if (opened) unit_run_close(&u);
    ws_ctx_release(&ctx);
    return rc;
}

// warmstart plot RESULTS [--out DIR]
static int cmd_plot(int argc, char **argv) {
    const char *cmd = "plot";
    if (argc >= 1 && (!strcmp(argv[0], "--help") || !strcmp(argv[0], "-h"))) {
        printf("usage: warmstart plot RESULTS [--out DIR]\n\nFigures (PNG and SVG, via gnuplot) from the results of online,\n"
               "active or transfer: RESULTS is their output folder or JSONL file; DIR defaults to\n"
               "RESULTS/figures (for a file, figures/ beside it).\n");
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
    if (ws_plot_results(&ctx, argv[0], out, &n)) return die(cmd, ctx.err);
    printf("%d figures in %s/ (accuracy.png, accuracy.svg, ...)\n", n, out);
    return 0;
}

// warmstart report DIR
static int cmd_report(int argc, char **argv) {
    const char *cmd = "report";
    if (argc >= 1 && (!strcmp(argv[0], "--help") || !strcmp(argv[0], "-h"))) {
        printf("usage: warmstart report DIR\n\nOne page with the tables and figures of every experiment in DIR and its\n"
               "subfolders (batch, online, active, transfer, sweep results; figures from 'warmstart plot'):\n"
               "DIR/report.md (GitHub markdown) and DIR/report.html (self-contained, images linked relatively).\n"
               "A 'warmstart reproduce' folder (DIR/reproduce.json) gets its report where reproduce writes it,\n"
               "DIR/report/index.html and DIR/report/report.md, the paper's claims first.\n");
        return 0;
    }
    if (argc != 1) return die(cmd, "expected 'warmstart report DIR'");
    ws_ctx ctx;
    ws_ctx_init(&ctx, 1);
    int n = 0;
    cJSON *rep = ws_reproduce_summary_read(argv[0]);
    const char *sub = rep ? "report" : NULL;
    cJSON_Delete(rep);
    if (ws_report_write_in(&ctx, argv[0], sub, &n)) return die(cmd, ctx.err);
    int len = (int)strlen(argv[0]); // "results/" names the same files as "results"
    while (len > 1 && argv[0][len - 1] == '/') len--;
    if (sub)
        printf("report: %.*s/report/index.html, %.*s/report/report.md (%d experiment%s)\n", len, argv[0], len, argv[0], n,
               n == 1 ? "" : "s");
    else
        printf("report: %.*s/report.md, %.*s/report.html (%d experiment%s)\n", len, argv[0], len, argv[0], n,
               n == 1 ? "" : "s");
    return 0;
}

// warmstart data info: what --data loads, counted and measured.
static int cmd_data(int argc, char **argv) {
    const char *cmd = "data info";
    if (argc < 1 || strcmp(argv[0], "info")) return die("data", "expected 'warmstart data info --data NAME[:DIR]'");
    cli_opts o;
    opts_defaults(&o);
    arg_spec specs[] = {
        {"--data", ARG_STRING, &o.data, "NAME[:DIR]",
         "fashion-mnist (default) | mnist | cifar10 | cifar100 | svhn [:DIR] | folder:DIR", 0, 0, 0},
        {"--labels", ARG_STRING, &o.labels, "L", "cifar100: fine (default, 100 classes) | coarse (20)", 0, 0, 0},
        {"--extra", ARG_FLAG, &o.svhn_extra, NULL, "svhn: add extra_32x32.mat to the training pool", 0, 0, 0},
        {"--threads", ARG_INT, &o.threads, "N", "threads (default: all cores)", 0, 1024, 0},
        {"--help", ARG_FLAG, &o.help, NULL, "this help", 0, 0, 0},
        {NULL, 0, NULL, NULL, NULL, 0, 0, 0}};
    if (parse_or_die(cmd, specs, argc - 1, argv + 1)) return 1;
    if (o.help) {
        args_help(specs, "usage: warmstart data info [--data NAME[:DIR]]\n\nLoad a dataset and print its splits, "
                         "shape, classes with counts, per-channel mean/std and the load time.");
        return 0;
    }
    ws_ctx ctx;
    ws_ctx_init(&ctx, o.threads);
    ws_source src;
    if (load_source(cmd, &o, &ctx, &src)) return 1;
    printf("%s (%s), loaded in %.3f s\n", src.name, src.root, src.load_seconds);
    printf("shape %dx%dx%d (channels x height x width), uint8; %d classes (%s labels)\n", src.train.c, src.train.h,
           src.train.w, src.num_classes, src.labels);
    ws_norm nm;
    ws_norm_from_data(&nm, &src.train, NULL, src.train.n);
    printf("training split: per-channel mean / std of x/255:");
    for (int c = 0; c < nm.channels; c++) printf(" %.4f / %.4f", nm.mean[c], nm.std[c]);
    printf("\n\n%-6s %-24s %10s %10s\n", "class", "name", "train", "test");
    int64_t *counts = calloc(2 * (size_t)src.num_classes, sizeof *counts);
    if (!counts) return die(cmd, "out of memory");
    for (int64_t i = 0; i < src.train.n; i++) counts[src.train.y[i]]++;
    for (int64_t i = 0; i < src.test.n; i++) counts[src.num_classes + src.test.y[i]]++;
    for (int k = 0; k < src.num_classes; k++)
        printf("%-6d %-24s %10lld %10lld\n", k, src.class_names[k], (long long)counts[k],
               (long long)counts[src.num_classes + k]);
    printf("%-6s %-24s %10lld %10lld\n", "all", "", (long long)src.train.n, (long long)src.test.n);
    free(counts);
    ws_source_free(&src);
    return 0;
}

static void usage(FILE *f) {
    fprintf(f, "warmstart %s: warm-start vs random-init experiments (Ash & Adams, NeurIPS 2020)\n\n"
               "usage: warmstart COMMAND [options]\n\n"
               "commands:\n"
               "  batch    the two-phase batch experiment: warm start vs random init\n"
               "  online   passive online learning: data arrives in rounds; warm vs random each round\n"
               "  active   active online learning: each learner picks its next examples by margin sampling\n"
               "  transfer pretrain on A, then train on p%% of B: warm from A vs random\n"
               "  sweep    a grid (lr x batch, learner parameters, ...) over a scenario: accuracy vs compute, Pareto front\n"
               "  run      run the experiment an INI file describes (docs/EXPERIMENT-FILES.md); resumable, shardable\n"
               "  plan     list the units of an experiment file (what --shard and --unit split)\n"
               "  merge    combine the folders of a sharded run into its results\n"
               "  reproduce  every table and figure of the paper (and the remedies) into one report\n"
               "  plot     figures (PNG, SVG) from the results of online, active, transfer or sweep\n"
               "  report   one page (report.md, report.html) with the tables and figures of a results folder\n"
               "  train    train one model to the threshold (optionally --save it)\n"
               "  eval     evaluate a saved checkpoint\n"
               "  data     'data info --data NAME[:DIR]': a dataset's splits, classes and statistics\n"
               "  version  print the version\n\n"
               "'warmstart COMMAND --help' lists a command's options.\n",
            WS_VERSION);
}

int cli_run_scenario(const char *c, int argc, char **argv) {
    if (!strcmp(c, "batch")) return cmd_batch(argc, argv);
    if (!strcmp(c, "online")) return cmd_online(argc, argv, 0);
    if (!strcmp(c, "active")) return cmd_online(argc, argv, 1);
    if (!strcmp(c, "transfer")) return cmd_transfer(argc, argv);
    return -1;
}

// An experiment file as the command line it stands for, spliced into argv at
// `at` (replacing `drop` arguments there: "--config FILE", or "run FILE"):
// [options] as --key=value, [grid] as --grid key=V,V (a sweep only).
// The new argv (and its strings) live in *keep until the process ends.
typedef struct {
    char **argv;
    char **strings;
    int nstrings;
} expanded;

static void expanded_free(expanded *e) {
    for (int i = 0; i < e->nstrings; i++) free(e->strings[i]);
    free(e->strings);
    free(e->argv);
}

static int expand_file(const char *cmd, const char *path, const ws_experiment_file *f, int argc, char **argv, int at,
                       int drop, char **head, int nhead, expanded *e, int *out_argc) {
    int cap = argc + nhead + 2 * (f->noptions + f->naxes) + 4;
    e->argv = calloc((size_t)cap, sizeof *e->argv);
    e->strings = calloc((size_t)(f->noptions + f->naxes + 1), sizeof *e->strings);
    if (!e->argv || !e->strings) return die(cmd, "out of memory");
    int n = 0;
    for (int i = 0; i < at; i++) e->argv[n++] = argv[i];
    for (int i = 0; i < nhead; i++) e->argv[n++] = head[i];
    for (int i = 0; i < f->noptions; i++) {
        size_t len = strlen(f->options[i].key) + strlen(f->options[i].value) + 4;
        char *a = e->strings[e->nstrings++] = malloc(len);
        snprintf(a, len, "--%s=%s", f->options[i].key, f->options[i].value);
        e->argv[n++] = a;
    }
    for (int i = 0; i < f->naxes; i++) {
        size_t len = strlen(f->axes[i].key) + strlen(f->axes[i].value) + 2;
        char *a = e->strings[e->nstrings++] = malloc(len);
        snprintf(a, len, "%s=%s", f->axes[i].key, f->axes[i].value);
        e->argv[n++] = "--grid";
        e->argv[n++] = a;
    }
    for (int i = at + drop; i < argc; i++) e->argv[n++] = argv[i];
    (void)path;
    *out_argc = n;
    return 0;
}

static int dispatch(int argc, char **argv);

// warmstart run|plan FILE [options]: the file's scenario (a sweep when it has a [grid]).
int cli_run_file(int argc, char **argv, int plan) {
    const char *cmd = plan ? "plan" : "run";
    if (argc < 3 || !strcmp(argv[2], "--help") || !strcmp(argv[2], "-h")) {
        printf("usage: warmstart %s FILE [options]\n\n%s\n", cmd,
               plan ? "List the units of the experiment FILE describes (docs/EXPERIMENT-FILES.md), one id a line:\n"
                      "what --shard I/N splits and --unit ID runs. Options as for `warmstart run`."
                    : "Run the experiment FILE describes (docs/EXPERIMENT-FILES.md): its scenario with its [options],\n"
                      "a sweep when it has a [grid]. Options after FILE override the file's (--lr 0.01, --augment=false)\n"
                      "and take the runner's: --out DIR, --resume, --shard I/N, --unit ID (docs/RUNNING.md).");
        return argc < 3 ? 2 : 0;
    }
    ws_ctx ctx;
    ws_ctx_init(&ctx, 1);
    ws_experiment_file *f = malloc(sizeof *f);
    if (!f) return die(cmd, "out of memory");
    if (ws_experiment_read(&ctx, argv[2], f)) {
        free(f);
        return die(cmd, ctx.err);
    }
    char *head[3];
    int nh = 0;
    if (f->naxes) head[nh++] = "sweep";
    head[nh++] = f->scenario;
    expanded e = {0};
    int n;
    int rc = expand_file(cmd, argv[2], f, argc, argv, 1, 2, head, nh, &e, &n);
    if (!rc && plan) e.argv[n++] = "--plan";
    if (!rc) rc = dispatch(n, e.argv);
    expanded_free(&e);
    free(f);
    return rc;
}

// `warmstart COMMAND ... --config FILE ...`: the file's options in place of the pair.
static int with_config(int argc, char **argv) {
    const char *c = argv[1];
    int at = -1, drop = 0;
    const char *path = NULL;
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--config") && i + 1 < argc) at = i, drop = 2, path = argv[i + 1];
        else if (!strncmp(argv[i], "--config=", 9)) at = i, drop = 1, path = argv[i] + 9;
        if (at >= 0) break;
    }
    if (at < 0) return dispatch(argc, argv);
    ws_ctx ctx;
    ws_ctx_init(&ctx, 1);
    ws_experiment_file *f = malloc(sizeof *f);
    if (!f) return die(c, "out of memory");
    if (ws_experiment_read(&ctx, path, f)) {
        free(f);
        return die(c, ctx.err);
    }
    const int sweep = !strcmp(c, "sweep");
    const char *scenario = sweep && argc > 2 ? argv[2] : c;
    int rc = 0;
    if (strcmp(f->scenario, scenario)) {
        snprintf(ctx.err, sizeof ctx.err, "%s describes a %s experiment, not %s", path, f->scenario, scenario);
        rc = die(c, ctx.err);
    } else if (f->naxes && !sweep) {
        snprintf(ctx.err, sizeof ctx.err, "%s has a [grid]: run it with 'warmstart run %s' (a sweep)", path, path);
        rc = die(c, ctx.err);
    }
    expanded e = {0};
    int n;
    if (!rc) rc = expand_file(c, path, f, argc, argv, at, drop, NULL, 0, &e, &n);
    if (!rc) rc = dispatch(n, e.argv);
    expanded_free(&e);
    free(f);
    return rc;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    // A full disk or a file-size limit is an error to report, not a signal to die of.
    signal(SIGXFSZ, SIG_IGN);
    if (!strcmp(argv[1], "run")) return cli_run_file(argc, argv, 0);
    if (!strcmp(argv[1], "plan")) return cli_run_file(argc, argv, 1);
    return with_config(argc, argv);
}

static int dispatch(int argc, char **argv) {
    const char *c = argv[1];
    int rc = cli_run_scenario(c, argc - 2, argv + 2);
    if (rc >= 0) return rc;
    if (!strcmp(c, "sweep")) return cmd_sweep(argc - 2, argv + 2);
    if (!strcmp(c, "merge")) return cmd_merge(argc - 2, argv + 2);
    if (!strcmp(c, "reproduce")) return cmd_reproduce(argc - 2, argv + 2);
    if (!strcmp(c, "plot")) return cmd_plot(argc - 2, argv + 2);
    if (!strcmp(c, "report")) return cmd_report(argc - 2, argv + 2);
    if (!strcmp(c, "train")) return cmd_train_or_eval(argc - 2, argv + 2, 0);
    if (!strcmp(c, "eval")) return cmd_train_or_eval(argc - 2, argv + 2, 1);
    if (!strcmp(c, "data")) return cmd_data(argc - 2, argv + 2);
    if (!strcmp(c, "version") || !strcmp(c, "--version")) {
        printf("warmstart %s\n", WS_VERSION);
        return 0;
    }
    if (!strcmp(c, "help") || !strcmp(c, "--help") || !strcmp(c, "-h")) {
        usage(stdout);
        return 0;
    }
    fprintf(stderr, "warmstart: error: unknown command '%s'\n\n", c);
    usage(stderr);
    return 2;
}
