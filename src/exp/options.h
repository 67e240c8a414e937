// The options of every command that runs or trains, in one table: each option's
// name, kind, bounds, help and the commands that take it. The CLI's command
// lines, experiment files ([options] and [grid]), a sweep's points and a merge's
// recorded run all set options through ws_options_set, so one option means one
// thing everywhere and is checked in one place; ws_options_resolve turns the
// values into the scenarios' configurations.
#ifndef WS_EXP_OPTIONS_H
#define WS_EXP_OPTIONS_H

#include <stddef.h>
#include <stdint.h>

#include "core/ctx.h"
#include "exp/batch.h"
#include "exp/continual.h"
#include "exp/online.h"
#include "exp/transfer.h"

// The commands an option belongs to (a bit mask).
typedef enum {
    WS_CMD_BATCH = 1,
    WS_CMD_ONLINE = 2,
    WS_CMD_ACTIVE = 4,
    WS_CMD_TRANSFER = 8,
    WS_CMD_TRAIN = 16,
    WS_CMD_EVAL = 32,
    WS_CMD_DATA = 64, // data info
    WS_CMD_CONTINUAL = 128,
} ws_command;

#define WS_CMD_SCENARIOS (WS_CMD_BATCH | WS_CMD_ONLINE | WS_CMD_ACTIVE | WS_CMD_TRANSFER | WS_CMD_CONTINUAL)

// WS_ARG_DURATION: a wall-clock time as text ("8h", "90m", "3600s", "1.5d", "3600"), held as seconds (double).
typedef enum {
    WS_ARG_FLAG, WS_ARG_INT, WS_ARG_I64, WS_ARG_FLOAT, WS_ARG_DOUBLE, WS_ARG_STRING, WS_ARG_INTLIST, WS_ARG_DURATION
} ws_arg_kind;

#define WS_MAX_INTLIST 16

typedef struct {
    int n;
    int v[WS_MAX_INTLIST];
} ws_int_list;

// Option values as given (strings are copied in), before resolution.
typedef struct {
    char data[1024], labels[16], protocol[16], model[16], opt[16], out[1024], save[1024], init_from[1024];
    char backend[16], conv_algo[16], precision[8], learners[8192], pretrain[1024], query[16], train_acc[16], lr2_draw[256], norm[16], shrink_eval[2048];
    char activation[16]; // empty: not given (ReLU)
    int phase1_epochs, svhn_extra, augment, rounds, keep_head, pretrain_percent, no_bias, layer_norm;
    ws_int_list fractions, hidden, batch2_draw;
    int64_t k0, k, grad_examples;
    double val_fraction;
    float lr, momentum, wd, beta1, beta2, eps, lr2, wd2; // lr2, wd2: NAN when not given
    int width;
    int nesterov, adamw, batch, batch2, max_epochs, seeds, threads, keep_optim, quiet, json, help;
    int epochs, plateau, eval_every, grad_every;   // max_epochs: WS_AUTO when not given (the protocol decides)
    double threshold, first_fraction;
    double confidence_penalty, fgsm_eps; // 0: off
    int64_t seed, subset, eval_subset;
    int probe;                 // measurements inside the network on this many examples (0: off)
    // The task sequences (continual).
    char tasks_kind[24];
    int tasks, task_epochs, classes_per_task, small_classes, target_window;
    int64_t task_steps, task_examples, task_eval;
    double target;
    int eval_batch;
    // The runner's options: where and how this process runs the units (docs/RUNNING.md).
    int resume, plan;
    int jobs;                  // units run at once, each on its share of the threads (exp/units.c)
    int estimate;              // train nothing: print what the run would cost (exp/estimate.h)
    double budget;             // with estimate: seconds a Slurm array task may run (0: none given)
    char shard[64], unit[512];
} ws_options;

typedef struct {
    const char *name;   // without dashes: "lr"
    ws_arg_kind kind;
    const char *meta;   // "X" in "--lr X"
    const char *help;
    double min, max;    // numeric bounds (inclusive) when min < max
    unsigned commands;  // ws_command bits
    int runner;         // where/how to run, not what: left out of run.json and of a sweep's grid
    size_t offset;      // of the value in ws_options
    size_t size;        // a string's capacity there
} ws_option_def;

// The defaults of a command's options (the library's: ws_batch_config_defaults and friends).
void ws_options_defaults(ws_options *o, ws_command cmd);

// The option `name` (without dashes) of command `cmd`, or NULL.
const ws_option_def *ws_option_find(ws_command cmd, const char *name);

// The options of `cmd` in their help order: calls fn for each (the CLI prints them).
void ws_options_each(ws_command cmd, void (*fn)(void *user, const ws_option_def *d), void *user);

// Set option `name` (without dashes) of `cmd` from its text: value NULL turns a flag on;
// a flag also takes true/false, on/off, yes/no, 1/0. Messages name the option as on
// the command line ("--lr: 'fast' is not a number", "unknown option '--lrr'").
ws_status ws_options_set(ws_ctx *ctx, ws_command cmd, ws_options *o, const char *name, const char *value);

// Split a command-line argument "--name" or "--name=value": its name without dashes into
// name[cap], *inline_value the text after '=' (NULL: none). Returns 0, or -1 when arg is not
// an option (no leading "--", or a name too long).
int ws_arg_split(const char *arg, char *name, size_t cap, const char **inline_value);

// Parse command-line arguments of cmd into o: "--name value", "--name=value", "--flag[=BOOL]".
ws_status ws_options_parse(ws_ctx *ctx, ws_command cmd, ws_options *o, int argc, char **argv);

// A wall-clock time: a positive number with an optional unit s, m, h or d ("8h", "90m", "1.5d",
// "3600s", "3600": seconds) into *seconds; WS_ERR_ARG naming --`name` and the text otherwise.
ws_status ws_duration_parse(ws_ctx *ctx, const char *name, const char *text, double *seconds);
// Is `text` a flag value meaning on (1), off (0), or neither (-1)?
int ws_flag_value(const char *text);

// The scenarios' configurations from the values (batch, train, eval: batch; online,
// active: online with online->base; transfer: transfer; continual: continual). Checks that
// need no data (a protocol's name, SGD options with Adam, learners' specs, --fractions, ...):
// WS_ERR_ARG with one line.
ws_status ws_options_resolve(ws_ctx *ctx, ws_command cmd, const ws_options *o, ws_batch_config *batch,
                             ws_online_config *online, ws_transfer_config *transfer, ws_continual_config *continual);

// The data options as a loader's: --labels and --extra checked against --data.
ws_status ws_options_source(ws_ctx *ctx, const ws_options *o, const char *data, ws_source_opts *so);

// "batch" | "online" | "active" | "transfer" | "train" | "eval" | "data" (and back: 0 if none).
const char *ws_command_name(ws_command cmd);
ws_command ws_command_parse(const char *name);

#endif
