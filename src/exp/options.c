// The option table (options.h) and the resolution of option values into the
// scenarios' configurations.
#include "exp/options.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ALL_RUN (WS_CMD_SCENARIOS | WS_CMD_TRAIN | WS_CMD_EVAL)
#define TRAINING (WS_CMD_SCENARIOS | WS_CMD_TRAIN)
#define ROUNDS (WS_CMD_ONLINE | WS_CMD_ACTIVE)
#define CONTINUAL WS_CMD_CONTINUAL
#define STR(f) offsetof(ws_options, f), sizeof(((ws_options *)0)->f)
#define VAL(f) offsetof(ws_options, f), 0

// In help order: every command's options are the entries whose mask holds it, in this order.
static const ws_option_def OPTIONS[] = {
    {"data", WS_ARG_STRING, "NAME[:DIR]", "fashion-mnist (default) | mnist | cifar10 | cifar100 | svhn [:DIR] | folder:DIR",
     0, 0, ALL_RUN | WS_CMD_DATA, 0, STR(data)},
    {"labels", WS_ARG_STRING, "L", "cifar100: fine (default, 100 classes) | coarse (20)", 0, 0, ALL_RUN | WS_CMD_DATA, 0,
     STR(labels)},
    {"extra", WS_ARG_FLAG, NULL, "svhn: add extra_32x32.mat to the training pool", 0, 0, ALL_RUN | WS_CMD_DATA, 0,
     VAL(svhn_extra)},
    {"protocol", WS_ARG_STRING, "P",
     "default (official test split, data's own normalisation) | paper (2/3-1/3 split, 0.5/0.5)", 0, 0, ALL_RUN, 0,
     STR(protocol)},
    {"model", WS_ARG_STRING, "M", "mlp (default) | logreg | resnet18 | cnn (Kumar et al. 2024's small CNN)", 0, 0,
     ALL_RUN, 0, STR(model)},
    {"width", WS_ARG_INT, "N",
     "ResNet-18 first-stage width (default 16, the paper's; 64 common); cnn: its channels (default 16, Kumar et al.'s)",
     1, 1024, ALL_RUN, 0, VAL(width)},
    {"hidden", WS_ARG_INTLIST, "N,N", "MLP and cnn hidden sizes (default 100,100, the paper's)", 0, 0, ALL_RUN, 0,
     VAL(hidden)},
    {"activation", WS_ARG_STRING, "A",
     "MLP and cnn hidden activation: relu (default, the official code's) | tanh (MLP: the authors' earlier code, "
     "JordanAsh/warminit twoPhase.py) | crelu (relu(cat(x, -x)), widths cut to keep the parameter count, as Kumar "
     "et al. 2024)",
     0, 0, ALL_RUN, 0, STR(activation)},
    {"layer-norm", WS_ARG_FLAG, NULL, "MLP, cnn: LayerNorm before each hidden activation (Kumar et al. 2024)", 0, 0,
     ALL_RUN, 0, VAL(layer_norm)},
    {"no-bias", WS_ARG_FLAG, NULL, "MLP, logreg: Linear layers without biases (the paper's Figure 6)", 0, 0, ALL_RUN, 0,
     VAL(no_bias)},
    {"subset", WS_ARG_I64, "N", "train on a random N of the training pool (all of it if it has fewer)", 0, 1e9, ALL_RUN, 0,
     VAL(subset)},
    {"eval-subset", WS_ARG_I64, "N", "evaluate on a random N of the evaluation split (all if fewer)", 0, 1e9, ALL_RUN, 0,
     VAL(eval_subset)},
    {"val-fraction", WS_ARG_DOUBLE, "F",
     "default protocol: evaluate on a random F of the training set, held out (default: the test split)", 1e-9, 0.999999,
     ALL_RUN, 0, VAL(val_fraction)},
    {"norm", WS_ARG_STRING, "K",
     "input normalisation: half ((x/255-0.5)/0.5) | pool (the pool's mean/std) | cifar (CIFAR-10's, the authors' "
     "earlier code); default: half under --protocol paper, else pool",
     0, 0, ALL_RUN, 0, STR(norm)},
    {"augment", WS_ARG_FLAG, NULL, "random crop (4-pixel padding) + horizontal flip of training batches", 0, 0, ALL_RUN, 0,
     VAL(augment)},
    {"eval-batch", WS_ARG_INT, "N", "evaluation batch size (default 1000)", 1, 1e6, ALL_RUN, 0, VAL(eval_batch)},
    {"seed", WS_ARG_I64, "S", "first seed (default 1)", 0, 4e18, ALL_RUN, 0, VAL(seed)},
    {"threads", WS_ARG_INT, "N", "threads (default: all cores)", 0, 1024, ALL_RUN | WS_CMD_DATA, 0, VAL(threads)},
    {"backend", WS_ARG_STRING, "B", "onednn (default: the fast CPU path) | reference (the oracle)", 0, 0, ALL_RUN, 0,
     STR(backend)},
    {"conv-algo", WS_ARG_STRING, "A", "onednn convolutions: auto (default; Winograd where faster) | direct (as PyTorch)",
     0, 0, ALL_RUN, 0, STR(conv_algo)},
    {"precision", WS_ARG_STRING, "P",
     "Linear layers' and convolutions' products: fp32 (default) | bf16 (bf16 inputs, fp32 accumulation, fp32 "
     "master weights and optimizer; needs AVX512_BF16)",
     0, 0, ALL_RUN, 0, STR(precision)},
    {"help", WS_ARG_FLAG, NULL, "this help", 0, 0, ALL_RUN | WS_CMD_DATA, 0, VAL(help)},
    // Training.
    {"opt", WS_ARG_STRING, "O", "sgd | adam (default)", 0, 0, TRAINING, 0, STR(opt)},
    {"lr", WS_ARG_FLOAT, "X", "learning rate (default 1e-3, the paper's)", 0, 1e6, TRAINING, 0, VAL(lr)},
    {"batch", WS_ARG_INT, "N", "batch size (default 128)", 1, 1e7, TRAINING, 0, VAL(batch)},
    {"wd", WS_ARG_FLOAT, "X", "weight decay (default 0)", 0, 1e6, TRAINING, 0, VAL(wd)},
    {"momentum", WS_ARG_FLOAT, "X", "SGD momentum (default 0)", 0, 0.999999, TRAINING, 0, VAL(momentum)},
    {"nesterov", WS_ARG_FLAG, NULL, "SGD: Nesterov momentum", 0, 0, TRAINING, 0, VAL(nesterov)},
    {"beta1", WS_ARG_FLOAT, "X", "Adam beta1 (default 0.9)", 0, 0.999999, TRAINING, 0, VAL(beta1)},
    {"beta2", WS_ARG_FLOAT, "X", "Adam beta2 (default 0.999)", 0, 0.999999, TRAINING, 0, VAL(beta2)},
    {"eps", WS_ARG_FLOAT, "X", "Adam epsilon (default 1e-8)", 1e-30, 1, TRAINING, 0, VAL(eps)},
    {"adamw", WS_ARG_FLAG, NULL, "Adam: decoupled weight decay (AdamW)", 0, 0, TRAINING, 0, VAL(adamw)},
    {"threshold", WS_ARG_DOUBLE, "A", "stop at this training accuracy (default 0.99)", 0, 1, TRAINING, 0, VAL(threshold)},
    {"max-epochs", WS_ARG_INT, "N", "cap on epochs per run (default 200; under --protocol paper none; 0: none)", 0, 1e6,
     TRAINING, 0, VAL(max_epochs)},
    {"epochs", WS_ARG_INT, "N", "train exactly N epochs per run: no threshold, plateau or cap (default: to the threshold)",
     1, 1e6, TRAINING, 0, VAL(epochs)},
    {"plateau", WS_ARG_INT, "N", "also stop a run when its training accuracy has not improved for N epochs (default off)",
     1, 1e6, TRAINING, 0, VAL(plateau)},
    {"train-acc", WS_ARG_STRING, "K",
     "training accuracy the threshold reads: epoch (hits/n) | official (run.py's weighted figure); default: official "
     "under --protocol paper, else epoch",
     0, 0, TRAINING, 0, STR(train_acc)},
    {"eval-every", WS_ARG_INT, "E", "record test accuracy and loss in the epoch log every E epochs (default off)", 1, 1e6,
     TRAINING, 0, VAL(eval_every)},
    {"confidence-penalty", WS_ARG_DOUBLE, "B",
     "penalise confident outputs: loss = cross-entropy - B * entropy of the softmax (Pereyra et al. 2017; default 0: "
     "off; batch: both phases)",
     0, 1e3, TRAINING, 0, VAL(confidence_penalty)},
    {"fgsm-eps", WS_ARG_DOUBLE, "E",
     "FGSM adversarial training: each step trains on 0.5 x + 0.5 (x + E sign(grad_x loss)), E in normalised-input "
     "units (Goodfellow et al. 2015; default 0: off; batch: both phases)",
     0, 1e3, TRAINING, 0, VAL(fgsm_eps)},
    {"init-from", WS_ARG_STRING, "FILE", "start from this safetensors checkpoint", 0, 0, TRAINING, 0, STR(init_from)},
    {"quiet", WS_ARG_FLAG, NULL, "no progress line", 0, 0, TRAINING, 1, VAL(quiet)},
    {"init-from", WS_ARG_STRING, "FILE", "the checkpoint to evaluate (required)", 0, 0, WS_CMD_EVAL, 0, STR(init_from)},
    // The two-phase experiment.
    {"lr2", WS_ARG_FLOAT, "X", "phase 2 learning rate (default: --lr; the paper's lr_2)", 0, 1e6, WS_CMD_BATCH, 0,
     VAL(lr2)},
    {"batch2", WS_ARG_INT, "N", "phase 2 batch size (default: --batch; batch_size_2)", 1, 1e7, WS_CMD_BATCH, 0,
     VAL(batch2)},
    {"wd2", WS_ARG_FLOAT, "X", "phase 2 weight decay (default: --wd; decay_2)", 0, 1e6, WS_CMD_BATCH, 0, VAL(wd2)},
    {"lr2-draw", WS_ARG_STRING, "X,X",
     "draw phase 2's lr per seed from these (learners continuing from phase 1; random keeps --lr)", 0, 0, WS_CMD_BATCH,
     0, STR(lr2_draw)},
    {"batch2-draw", WS_ARG_INTLIST, "N,N",
     "draw phase 2's batch size per seed from these (as --lr2-draw; random keeps --batch)", 0, 0, WS_CMD_BATCH, 0,
     VAL(batch2_draw)},
    {"first-fraction", WS_ARG_DOUBLE, "F", "share of the pool in phase 1 (default 0.5)", 1e-9, 1, WS_CMD_BATCH, 0,
     VAL(first_fraction)},
    {"phase1-epochs", WS_ARG_INT, "E",
     "phase 1 trains exactly E epochs, threshold or not (default 0: by the stopping rule)", 0, 1e6,
     WS_CMD_BATCH, 0, VAL(phase1_epochs)},
    {"grad-every", WS_ARG_INT, "K",
     "phase 2: gradient norms on old and new examples every K steps and before the first (Figure 5; default off)", 1, 1e9,
     WS_CMD_BATCH, 0, VAL(grad_every)},
    {"shrink-eval", WS_ARG_STRING, "L,L|A:B:N",
     "also evaluate every trained model with its weights times each lambda, untrained (Figure 6); A:B:N: N values "
     "from A to B",
     0, 0, WS_CMD_BATCH, 0, STR(shrink_eval)},
    // Data arriving in rounds.
    {"k0", WS_ARG_I64, "N", "examples in the first round (default 1000)", 1, 1e9, ROUNDS, 0, VAL(k0)},
    {"k", WS_ARG_I64, "N", "examples added per round (default 1000)", 1, 1e9, ROUNDS, 0, VAL(k)},
    {"rounds", WS_ARG_INT, "N", "at most N rounds (default: until the pool is used)", 0, 1e6, ROUNDS, 0, VAL(rounds)},
    {"grad-examples", WS_ARG_I64, "N", "gradient norms on at most N old and N new examples (default 2000; 0: all)", 0,
     1e9, ROUNDS | WS_CMD_BATCH, 0, VAL(grad_examples)},
    // Task sequences (docs/CONTINUAL.md).
    {"tasks-kind", WS_ARG_STRING, "K",
     "permuted-input (default) | random-labels | permuted-labels | class-incremental | five-plus-one", 0, 0, CONTINUAL,
     0, STR(tasks_kind)},
    {"tasks", WS_ARG_INT, "N", "tasks in the sequence (default 10)", 1, 1e6, CONTINUAL, 0, VAL(tasks)},
    {"task-steps", WS_ARG_I64, "N", "updates per task (default 625, Kumar et al.'s permuted MNIST)", 0, 1e12, CONTINUAL,
     0, VAL(task_steps)},
    {"task-epochs", WS_ARG_INT, "N", "passes over each task's examples instead of --task-steps", 1, 1e6, CONTINUAL, 0,
     VAL(task_epochs)},
    {"task-examples", WS_ARG_I64, "N",
     "training examples per task, at most (default 10000; random-labels: the one subset; 0: all)", 0, 1e9, CONTINUAL,
     0, VAL(task_examples)},
    {"task-eval", WS_ARG_I64, "N", "held-out examples per task, at most (default 1000; 0: all)", 0, 1e9, CONTINUAL, 0,
     VAL(task_eval)},
    {"classes-per-task", WS_ARG_INT, "N",
     "class-incremental: new classes per task; five-plus-one: the large tasks' classes (default 5)", 1, 1e5, CONTINUAL,
     0, VAL(classes_per_task)},
    {"small-classes", WS_ARG_INT, "N", "five-plus-one: the small tasks' classes (default 1)", 1, 1e5, CONTINUAL, 0,
     VAL(small_classes)},
    {"target", WS_ARG_DOUBLE, "A", "steps to target: online accuracy over the window to reach (default 0.8)", 1e-9, 1,
     CONTINUAL, 0, VAL(target)},
    {"target-window", WS_ARG_INT, "N", "steps to target: the window, in steps (default 50)", 1, 1e6, CONTINUAL, 0,
     VAL(target_window)},
    // Transfer.
    {"pretrain", WS_ARG_STRING, "NAME[:DIR]",
     "dataset A to pretrain on (default: Fashion-MNIST classes 0-4, then --data is its classes 5-9)", 0, 0,
     WS_CMD_TRANSFER, 0, STR(pretrain)},
    {"fractions", WS_ARG_INTLIST, "P,P", "percent of B's training pool (default 1,5,10,25,50,100)", 0, 0,
     WS_CMD_TRANSFER, 0, VAL(fractions)},
    {"keep-head", WS_ARG_FLAG, NULL, "warm keeps A's head (needs as many classes in A and B)", 0, 0, WS_CMD_TRANSFER, 0,
     VAL(keep_head)},
    {"pretrain-percent", WS_ARG_INT, "P",
     "pretrain on a random P % of A's training pool (default 100; the paper's 10, 30, 60, 100)", 1, 100,
     WS_CMD_TRANSFER, 0, VAL(pretrain_percent)},
    // Learners, seeds, outputs.
    {"learners", WS_ARG_STRING, "L,L", "learners side by side (default warm,random); each NAME[:KEY=VALUE...]; see --help",
     0, 0, WS_CMD_SCENARIOS, 0, STR(learners)},
    {"keep-optim", WS_ARG_FLAG, NULL,
     "learners other than random keep their optimizer state across rounds (paper: rebuilt)", 0, 0,
     WS_CMD_BATCH | ROUNDS | CONTINUAL, 0, VAL(keep_optim)},
    {"probe", WS_ARG_INT, "N",
     "measure inside the network (dormant units, feature rank, weights: docs/MEASUREMENTS.md) at every run's, "
     "round's or task's end on N probe examples (default 256; 0: off)",
     0, 1e6, WS_CMD_SCENARIOS, 0, VAL(probe)},
    {"seeds", WS_ARG_INT, "N", "repeat with N seeds: seed, seed+1, ... (default 1)", 1, 256, WS_CMD_SCENARIOS, 0,
     VAL(seeds)},
    {"out", WS_ARG_STRING, "DIR", "write DIR/batch.jsonl and DIR/batch.csv (default results)", 0, 0, WS_CMD_BATCH, 1,
     STR(out)},
    {"out", WS_ARG_STRING, "DIR", "write DIR/online.jsonl and DIR/online.csv (default results/online|active)", 0, 0,
     ROUNDS, 1, STR(out)},
    {"out", WS_ARG_STRING, "DIR", "write DIR/transfer.jsonl and DIR/transfer.csv (default results/transfer)", 0, 0,
     WS_CMD_TRANSFER, 1, STR(out)},
    {"out", WS_ARG_STRING, "DIR", "write DIR/continual.jsonl and DIR/continual.csv (default results/continual)", 0, 0,
     CONTINUAL, 1, STR(out)},
    {"save", WS_ARG_STRING, "DIR", "save DIR/seed<S>-{phase1,<learner>}.safetensors", 0, 0, WS_CMD_BATCH, 0, STR(save)},
    {"save", WS_ARG_STRING, "FILE", "save the trained model (safetensors)", 0, 0, WS_CMD_TRAIN, 0, STR(save)},
    {"json", WS_ARG_FLAG, NULL, "print the result as one JSON object", 0, 0, WS_CMD_TRAIN | WS_CMD_EVAL, 0, VAL(json)},
    // The runner (docs/RUNNING.md).
    {"resume", WS_ARG_FLAG, NULL,
     "continue the results in --out: finished units are skipped, chains resume at their last round", 0, 0,
     WS_CMD_SCENARIOS, 1, VAL(resume)},
    {"shard", WS_ARG_STRING, "I/N",
     "run the I-th of N disjoint slices of the units (slurm/N: I from SLURM_ARRAY_TASK_ID); then merge", 0, 0,
     WS_CMD_SCENARIOS, 1, STR(shard)},
    {"unit", WS_ARG_STRING, "ID", "run this unit only (ids: --plan)", 0, 0, WS_CMD_SCENARIOS, 1, STR(unit)},
    {"jobs", WS_ARG_INT, "N",
     "run up to N groups of units (a seed's) at once, each on threads/N threads (default 1; ResNet-18 of width 16 "
     "and up: always 1, its convolutions use every core); the results equal a serial run with threads/N threads",
     1, 256, WS_CMD_SCENARIOS, 1, VAL(jobs)},
    {"plan", WS_ARG_FLAG, NULL, "list the units, one id a line, and exit", 0, 0, WS_CMD_SCENARIOS, 1, VAL(plan)},
    {"estimate", WS_ARG_FLAG, NULL,
     "train nothing: print the predicted wall seconds on this machine (a short calibration of the training loop and "
     "evaluation, at the threads and --jobs it will run with) and where its epochs come from; nothing written",
     0, 0, WS_CMD_SCENARIOS, 1, VAL(estimate)},
    {"budget", WS_ARG_DURATION, "D",
     "with --estimate: the wall-clock time a Slurm array task may run (8h, 90m, 3600s, 1.5d): adds the core-hours "
     "and the array tasks that finish within it (docs/RUNNING.md)",
     0, 0, WS_CMD_SCENARIOS, 1, VAL(budget)},
    {"query", WS_ARG_STRING, "Q", "active: margin (default) | random (the control)", 0, 0, WS_CMD_ACTIVE, 0, STR(query)},
};
#define NOPTIONS ((int)(sizeof OPTIONS / sizeof OPTIONS[0]))

static const struct {
    ws_command cmd;
    const char *name;
} COMMANDS[] = {{WS_CMD_BATCH, "batch"}, {WS_CMD_ONLINE, "online"}, {WS_CMD_ACTIVE, "active"},
                {WS_CMD_TRANSFER, "transfer"}, {WS_CMD_CONTINUAL, "continual"}, {WS_CMD_TRAIN, "train"},
                {WS_CMD_EVAL, "eval"},
                {WS_CMD_DATA, "data"}};

const char *ws_command_name(ws_command cmd) {
    for (size_t i = 0; i < sizeof COMMANDS / sizeof *COMMANDS; i++)
        if (COMMANDS[i].cmd == cmd) return COMMANDS[i].name;
    return "?";
}

ws_command ws_command_parse(const char *name) {
    for (size_t i = 0; i < sizeof COMMANDS / sizeof *COMMANDS; i++)
        if (!strcmp(COMMANDS[i].name, name)) return COMMANDS[i].cmd;
    return 0;
}

const ws_option_def *ws_option_find(ws_command cmd, const char *name) {
    for (int i = 0; i < NOPTIONS; i++)
        if ((OPTIONS[i].commands & cmd) && !strcmp(OPTIONS[i].name, name)) return &OPTIONS[i];
    return NULL;
}

void ws_options_each(ws_command cmd, void (*fn)(void *user, const ws_option_def *d), void *user) {
    for (int i = 0; i < NOPTIONS; i++)
        if (OPTIONS[i].commands & cmd) fn(user, &OPTIONS[i]);
}

// The CLI's defaults are the library's (ws_batch_config_defaults and friends): one place.
void ws_options_defaults(ws_options *o, ws_command cmd) {
    ws_batch_config d;
    ws_batch_config_defaults(&d);
    ws_online_config on;
    ws_online_config_defaults(&on);
    ws_continual_config co;
    ws_continual_config_defaults(&co);
    memset(o, 0, sizeof *o);
    snprintf(o->data, sizeof o->data, "fashion-mnist");
    snprintf(o->protocol, sizeof o->protocol, "%s", d.base.protocol == WS_PROTOCOL_PAPER ? "paper" : "default");
    snprintf(o->model, sizeof o->model, "%s", ws_model_kind_name(d.base.model));
    o->width = d.base.width;
    snprintf(o->opt, sizeof o->opt, "%s", ws_opt_kind_name(d.base.opt.kind));
    snprintf(o->out, sizeof o->out, "%s",
             cmd == WS_CMD_ONLINE ? "results/online" : cmd == WS_CMD_ACTIVE ? "results/active"
                                                   : cmd == WS_CMD_TRANSFER ? "results/transfer"
                                                   : cmd == WS_CMD_CONTINUAL ? "results/continual"
                                                                            : "results");
    o->hidden.n = d.base.nhidden;
    memcpy(o->hidden.v, d.base.hidden, sizeof(int) * (size_t)d.base.nhidden);
    o->lr = d.base.opt.lr;
    o->beta1 = d.base.opt.beta1;
    o->beta2 = d.base.opt.beta2;
    o->eps = d.base.opt.eps;
    o->lr2 = o->wd2 = NAN; // unset: phase 2 follows phase 1
    o->batch = cmd == WS_CMD_CONTINUAL ? co.base.batch : d.base.batch;
    o->threshold = d.base.threshold;
    o->max_epochs = d.base.max_epochs;
    o->first_fraction = d.first_fraction;
    o->seeds = d.base.seeds;
    o->seed = (int64_t)d.base.seed;
    o->eval_batch = d.base.eval_batch;
    o->probe = d.base.probe;
    snprintf(o->backend, sizeof o->backend, "onednn");
    snprintf(o->conv_algo, sizeof o->conv_algo, "auto");
    snprintf(o->precision, sizeof o->precision, "fp32");
    o->k0 = on.k0, o->k = on.k, o->grad_examples = on.grad_examples;
    o->fractions = (ws_int_list){6, {1, 5, 10, 25, 50, 100}};
    snprintf(o->query, sizeof o->query, "margin");
    snprintf(o->tasks_kind, sizeof o->tasks_kind, "%s", ws_task_kind_name(co.tasks.kind));
    o->tasks = co.tasks.ntasks, o->task_steps = co.steps, o->task_examples = co.tasks.examples;
    o->task_eval = co.tasks.eval_examples, o->classes_per_task = co.tasks.classes_per_task;
    o->small_classes = co.tasks.small_classes, o->target = co.target, o->target_window = co.window;
}

int ws_flag_value(const char *v) {
    if (!strcmp(v, "true") || !strcmp(v, "on") || !strcmp(v, "yes") || !strcmp(v, "1")) return 1;
    if (!strcmp(v, "false") || !strcmp(v, "off") || !strcmp(v, "no") || !strcmp(v, "0")) return 0;
    return -1;
}

static int parse_double(const char *s, double *out) {
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end || errno == ERANGE) return -1;
    *out = v;
    return 0;
}

ws_status ws_duration_parse(ws_ctx *ctx, const char *name, const char *text, double *seconds) {
    static const struct {
        char unit;
        double s;
    } UNITS[] = {{'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400}};
    char *end = NULL;
    errno = 0;
    // strtod would take leading blanks, hexadecimal, "inf" and "nan": a budget is plain digits.
    const int plain = text && (text[0] == '.' || (text[0] >= '0' && text[0] <= '9')) && !strpbrk(text, "xXpP");
    double v = plain ? strtod(text, &end) : NAN, scale = end && !*end ? 1 : 0;
    for (size_t i = 0; end && end[0] && !end[1] && i < sizeof UNITS / sizeof *UNITS; i++)
        if (end[0] == UNITS[i].unit) scale = UNITS[i].s;
    if (!plain || errno || scale == 0 || !isfinite(v) || v <= 0)
        return ws_fail(ctx, WS_ERR_ARG, "--%s '%s': not a wall-clock time: a positive number with s, m, h or d (8h, 90m, "
                       "3600s, 1.5d; plain: seconds)", name, text ? text : "");
    *seconds = v * scale;
    return WS_OK;
}

static ws_status parse_int_list(ws_ctx *ctx, const char *name, const char *v, ws_int_list *l) {
    l->n = 0;
    const char *p = v;
    while (*p) {
        char *end;
        errno = 0;
        long x = strtol(p, &end, 10);
        if (end == p || errno || x < 1 || x > 1 << 20 || (*end && *end != ','))
            return ws_fail(ctx, WS_ERR_ARG, "--%s: '%s' is not a comma-separated list of positive integers", name, v);
        if (l->n == WS_MAX_INTLIST) return ws_fail(ctx, WS_ERR_ARG, "--%s: at most %d values", name, WS_MAX_INTLIST);
        l->v[l->n++] = (int)x;
        p = *end ? end + 1 : end;
        if (*end == ',' && !*p) return ws_fail(ctx, WS_ERR_ARG, "--%s: trailing comma in '%s'", name, v);
    }
    if (!l->n) return ws_fail(ctx, WS_ERR_ARG, "--%s: empty list", name);
    return WS_OK;
}

ws_status ws_options_set(ws_ctx *ctx, ws_command cmd, ws_options *o, const char *name, const char *v) {
    const ws_option_def *d = ws_option_find(cmd, name);
    if (!d) return ws_fail(ctx, WS_ERR_ARG, "unknown option '--%s'", name);
    void *dest = (char *)o + d->offset;
    if (d->kind == WS_ARG_FLAG) {
        // "--flag" turns it on; "--flag=false" (an experiment file's `flag = false`) off.
        int on = v ? ws_flag_value(v) : 1;
        if (on < 0) return ws_fail(ctx, WS_ERR_ARG, "--%s is a flag: true or false, not '%s'", name, v);
        *(int *)dest = on;
        return WS_OK;
    }
    if (!v) return ws_fail(ctx, WS_ERR_ARG, "--%s needs a value (%s)", name, d->meta ? d->meta : "X");
    if (d->kind == WS_ARG_STRING) {
        if (!*v) return ws_fail(ctx, WS_ERR_ARG, "--%s: empty value", name);
        if (strlen(v) >= d->size) return ws_fail(ctx, WS_ERR_ARG, "--%s: value too long (at most %zu characters)", name, d->size - 1);
        memcpy(dest, v, strlen(v) + 1);
        return WS_OK;
    }
    if (d->kind == WS_ARG_INTLIST) return parse_int_list(ctx, name, v, dest);
    if (d->kind == WS_ARG_DURATION) return ws_duration_parse(ctx, name, v, dest);
    double x;
    if (parse_double(v, &x)) return ws_fail(ctx, WS_ERR_ARG, "--%s: '%s' is not a number", name, v);
    if (!isfinite(x)) return ws_fail(ctx, WS_ERR_ARG, "--%s: '%s' is not a finite number", name, v);
    if ((d->kind == WS_ARG_INT || d->kind == WS_ARG_I64) && x != floor(x))
        return ws_fail(ctx, WS_ERR_ARG, "--%s: '%s' is not an integer", name, v);
    if (d->min < d->max && (x < d->min || x > d->max))
        return ws_fail(ctx, WS_ERR_ARG, "--%s: %s is out of range [%g, %g]", name, v, d->min, d->max);
    if (d->kind == WS_ARG_INT) *(int *)dest = (int)x;
    else if (d->kind == WS_ARG_I64) *(int64_t *)dest = (int64_t)x;
    else if (d->kind == WS_ARG_FLOAT) *(float *)dest = (float)x;
    else *(double *)dest = x;
    return WS_OK;
}

ws_status ws_options_source(ws_ctx *ctx, const ws_options *o, const char *data, ws_source_opts *so) {
    memset(so, 0, sizeof *so);
    so->svhn_extra = o->svhn_extra;
    if (o->labels[0] && !strcmp(o->labels, "coarse")) so->cifar100_coarse = 1;
    else if (o->labels[0] && strcmp(o->labels, "fine")) return ws_fail(ctx, WS_ERR_ARG, "--labels: expected 'fine' or 'coarse'");
    if (o->labels[0] && strncmp(data, "cifar100", 8)) return ws_fail(ctx, WS_ERR_ARG, "--labels is for --data cifar100");
    if (o->svhn_extra && strncmp(data, "svhn", 4)) return ws_fail(ctx, WS_ERR_ARG, "--extra is for --data svhn");
    return WS_OK;
}

// What every scenario shares (ws_setup: the batch configuration's, online's and transfer's base).
static ws_status resolve_setup(ws_ctx *ctx, const ws_options *o, ws_setup *cfg) {
    ws_setup_defaults(cfg);
    if (!strcmp(o->protocol, "paper")) cfg->protocol = WS_PROTOCOL_PAPER;
    else if (strcmp(o->protocol, "default")) return ws_fail(ctx, WS_ERR_ARG, "--protocol: expected 'default' or 'paper'");
    ws_status st;
    if ((st = ws_model_kind_parse(ctx, o->model, &cfg->model))) return st;
    cfg->width = o->width;
    cfg->nhidden = o->hidden.n;
    memcpy(cfg->hidden, o->hidden.v, sizeof(int) * (size_t)o->hidden.n);
    if (o->activation[0]) {
        if (ws_activation_parse(ctx, o->activation, &cfg->activation))
            return ws_fail(ctx, WS_ERR_ARG, "--activation: expected 'relu', 'tanh' or 'crelu', not '%s'", o->activation);
        if (cfg->model != WS_MODEL_MLP && cfg->model != WS_MODEL_CNN)
            return ws_fail(ctx, WS_ERR_ARG, "--activation is for --model mlp or cnn (%s %s)", o->model,
                           cfg->model == WS_MODEL_LOGREG ? "has no hidden layer" : "is built with ReLU");
    }
    cfg->no_bias = o->no_bias;
    cfg->layer_norm = o->layer_norm;
    ws_opt_kind k;
    if ((st = ws_opt_kind_parse(ctx, o->opt, &k))) return st;
    if (k == WS_OPT_ADAM && (o->momentum > 0 || o->nesterov))
        return ws_fail(ctx, WS_ERR_ARG, "--momentum/--nesterov are SGD options");
    if (k == WS_OPT_SGD && o->adamw) return ws_fail(ctx, WS_ERR_ARG, "--adamw is an Adam option");
    ws_opt_config c = ws_opt_defaults(k, o->lr);
    c.weight_decay = o->wd;
    c.momentum = o->momentum;
    c.nesterov = o->nesterov;
    c.beta1 = o->beta1;
    c.beta2 = o->beta2;
    c.eps = o->eps;
    c.decoupled = o->adamw;
    if ((st = ws_opt_config_check(ctx, &c))) return st;
    cfg->opt = c;
    cfg->batch = o->batch;
    cfg->threshold = o->threshold;
    cfg->max_epochs = o->max_epochs;
    cfg->epochs = o->epochs;
    cfg->plateau = o->plateau;
    cfg->eval_every = o->eval_every;
    cfg->confidence_penalty = o->confidence_penalty;
    cfg->fgsm_eps = o->fgsm_eps;
    if (!o->norm[0]) cfg->norm = WS_AUTO;
    else if (!strcmp(o->norm, "half")) cfg->norm = WS_NORM_HALF;
    else if (!strcmp(o->norm, "pool")) cfg->norm = WS_NORM_POOL;
    else if (!strcmp(o->norm, "cifar")) cfg->norm = WS_NORM_CIFAR;
    else return ws_fail(ctx, WS_ERR_ARG, "--norm: expected 'half', 'pool' or 'cifar', not '%s'", o->norm);
    if (!o->train_acc[0]) cfg->train_acc = WS_AUTO;
    else if (!strcmp(o->train_acc, "official")) cfg->train_acc = WS_TRAIN_ACC_OFFICIAL;
    else if (!strcmp(o->train_acc, "epoch")) cfg->train_acc = WS_TRAIN_ACC_EPOCH;
    else return ws_fail(ctx, WS_ERR_ARG, "--train-acc: expected 'epoch' or 'official', not '%s'", o->train_acc);
    cfg->keep_optim = o->keep_optim;
    cfg->seeds = o->seeds;
    cfg->seed = (uint64_t)o->seed;
    cfg->subset = o->subset;
    cfg->eval_subset = o->eval_subset;
    cfg->eval_batch = o->eval_batch;
    cfg->probe = o->probe;
    cfg->val_fraction = o->val_fraction;
    if (cfg->val_fraction > 0 && cfg->protocol == WS_PROTOCOL_PAPER)
        return ws_fail(ctx, WS_ERR_ARG, "--val-fraction: the paper protocol fixes its split (1/3 to evaluate)");
    if (o->augment) cfg->augment = (ws_augment){.pad = 4, .flip = 1};
    cfg->init_from = o->init_from[0] ? o->init_from : NULL;
    cfg->save_dir = o->save[0] ? o->save : NULL;
    if (o->learners[0] && (st = ws_learner_parse_list(ctx, o->learners, cfg->learners, WS_MAX_LEARNERS, &cfg->nlearners)))
        return st;
    for (int l = 0; l < cfg->nlearners && o->keep_optim; l++)
        if (cfg->learners[l].kind != WS_LEARNER_RANDOM) cfg->learners[l].keep_optim = 1;
    return ws_setup_check(ctx, cfg);
}

// The task sequences: --task-epochs instead of the step budget when given.
static ws_status resolve_continual(ws_ctx *ctx, const ws_options *o, ws_batch_config *batch, ws_continual_config *c) {
    ws_continual_config_defaults(c);
    ws_status st;
    if (o->epochs) return ws_fail(ctx, WS_ERR_ARG, "--epochs: a task's length is --task-steps or --task-epochs");
    if (o->plateau || o->eval_every || o->max_epochs != WS_AUTO || o->train_acc[0])
        return ws_fail(ctx, WS_ERR_ARG, "--plateau, --eval-every, --max-epochs and --train-acc are stopping rules and "
                                        "measures of runs to a threshold; a task trains a fixed budget");
    if ((st = resolve_setup(ctx, o, &c->base))) return st;
    if ((st = ws_task_kind_parse(ctx, o->tasks_kind, &c->tasks.kind))) return st;
    c->tasks.ntasks = o->tasks, c->tasks.examples = o->task_examples, c->tasks.eval_examples = o->task_eval;
    c->tasks.classes_per_task = o->classes_per_task, c->tasks.small_classes = o->small_classes;
    c->task_epochs = o->task_epochs;
    c->steps = o->task_epochs > 0 ? 0 : o->task_steps;
    c->target = o->target, c->window = o->target_window;
    batch->base = c->base;
    return ws_continual_config_check(ctx, c);
}

// --shrink-eval: "L,L,..." or "A:B:N" (N evenly spaced values from A to B, both included).
static ws_status parse_lambdas(ws_ctx *ctx, const char *v, ws_batch_config *batch) {
    double a, b;
    int n, used = 0;
    if (sscanf(v, "%lf:%lf:%d%n", &a, &b, &n, &used) == 3 && !v[used]) {
        if (!isfinite(a) || !isfinite(b) || n < 2 || n > WS_MAX_SHRINK)
            return ws_fail(ctx, WS_ERR_ARG, "--shrink-eval: '%s': A:B:N needs finite A, B and 2 <= N <= %d", v, WS_MAX_SHRINK);
        for (int i = 0; i < n; i++) batch->shrink_lambda[i] = a + (b - a) * i / (n - 1);
        batch->nshrink = n;
        return WS_OK;
    }
    for (const char *p = v; *p;) {
        char *end;
        errno = 0;
        double x = strtod(p, &end);
        if (end == p || errno || !isfinite(x) || (*end && *end != ',') || (*end == ',' && !end[1]))
            return ws_fail(ctx, WS_ERR_ARG, "--shrink-eval: '%s' is not a comma-separated list of numbers or A:B:N", v);
        if (batch->nshrink == WS_MAX_SHRINK) return ws_fail(ctx, WS_ERR_ARG, "--shrink-eval: at most %d values", WS_MAX_SHRINK);
        batch->shrink_lambda[batch->nshrink++] = x;
        p = *end ? end + 1 : end;
    }
    return WS_OK;
}

ws_status ws_options_resolve(ws_ctx *ctx, ws_command cmd, const ws_options *o, ws_batch_config *batch,
                             ws_online_config *online, ws_transfer_config *transfer, ws_continual_config *continual) {
    ws_status st;
    ws_batch_config_defaults(batch);
    if (cmd == WS_CMD_CONTINUAL) return resolve_continual(ctx, o, batch, continual);
    if (cmd == WS_CMD_ONLINE || cmd == WS_CMD_ACTIVE) {
        ws_online_config_defaults(online);
        if (cmd == WS_CMD_ACTIVE) {
            if (!strcmp(o->query, "margin")) online->query = WS_QUERY_MARGIN;
            else if (!strcmp(o->query, "random")) online->query = WS_QUERY_RANDOM;
            else return ws_fail(ctx, WS_ERR_ARG, "--query: expected 'margin' or 'random'");
        }
        if ((st = resolve_setup(ctx, o, &online->base))) return st;
        online->k0 = o->k0, online->k = o->k, online->rounds = o->rounds, online->grad_examples = o->grad_examples;
        batch->base = online->base;
        return WS_OK;
    }
    if (cmd == WS_CMD_TRANSFER) {
        ws_transfer_config_defaults(transfer);
        transfer->nfractions = o->fractions.n;
        for (int i = 0; i < o->fractions.n; i++) {
            if (o->fractions.v[i] < 1 || o->fractions.v[i] > 100)
                return ws_fail(ctx, WS_ERR_ARG, "--fractions: each P must be in 1..100");
            transfer->fractions[i] = o->fractions.v[i] / 100.0;
        }
        transfer->keep_head = o->keep_head;
        if (o->pretrain_percent) transfer->pretrain_fraction = o->pretrain_percent / 100.0;
        if ((st = resolve_setup(ctx, o, &transfer->base))) return st;
        batch->base = transfer->base;
        return WS_OK;
    }
    // The two-phase experiment (and train, eval): phase 2 follows phase 1 unless told otherwise.
    if ((st = resolve_setup(ctx, o, &batch->base))) return st;
    batch->opt2 = batch->base.opt;
    if (!isnan(o->lr2)) batch->opt2.lr = o->lr2;
    if (!isnan(o->wd2)) batch->opt2.weight_decay = o->wd2;
    batch->batch2 = o->batch2 ? o->batch2 : o->batch;
    batch->first_fraction = o->first_fraction;
    if ((o->lr2_draw[0] && !isnan(o->lr2)) || (o->batch2_draw.n && o->batch2))
        return ws_fail(ctx, WS_ERR_ARG, "--lr2/--batch2 and --lr2-draw/--batch2-draw: choose one");
    for (const char *p = o->lr2_draw; *p;) {
        char *end;
        errno = 0;
        double x = strtod(p, &end);
        if (end == p || errno || !isfinite(x) || x < 0 || (*end && *end != ',') || (*end == ',' && !end[1]))
            return ws_fail(ctx, WS_ERR_ARG, "--lr2-draw: '%s' is not a comma-separated list of learning rates", o->lr2_draw);
        if (batch->nlr2_draw == WS_MAX_DRAW) return ws_fail(ctx, WS_ERR_ARG, "--lr2-draw: at most %d values", WS_MAX_DRAW);
        batch->lr2_draw[batch->nlr2_draw++] = x;
        p = *end ? end + 1 : end;
    }
    for (int i = 0; i < o->batch2_draw.n; i++) batch->batch2_draw[batch->nbatch2_draw++] = o->batch2_draw.v[i];
    batch->phase1_epochs = o->phase1_epochs;
    batch->grad_every = o->grad_every;
    batch->grad_examples = o->grad_examples;
    if (o->shrink_eval[0]) return parse_lambdas(ctx, o->shrink_eval, batch);
    return WS_OK;
}

int ws_arg_split(const char *arg, char *name, size_t cap, const char **inline_value) {
    const char *eq = strchr(arg, '=');
    size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
    *inline_value = eq ? eq + 1 : NULL;
    if (strncmp(arg, "--", 2) || len < 3 || len - 2 >= cap) return -1;
    snprintf(name, cap, "%.*s", (int)(len - 2), arg + 2);
    return 0;
}

ws_status ws_options_parse(ws_ctx *ctx, ws_command cmd, ws_options *o, int argc, char **argv) {
    for (int i = 0; i < argc; i++) {
        char name[64];
        const char *value;
        if (ws_arg_split(argv[i], name, sizeof name, &value)) return ws_fail(ctx, WS_ERR_ARG, "unexpected argument '%s'", argv[i]);
        const ws_option_def *d = ws_option_find(cmd, name);
        if (d && d->kind != WS_ARG_FLAG && !value && i + 1 < argc) value = argv[++i];
        ws_status st = ws_options_set(ctx, cmd, o, name, value);
        if (st) return st;
    }
    return WS_OK;
}
