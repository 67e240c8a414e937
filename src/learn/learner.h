// Learners: how each round's model and optimizer begin, and what, if anything,
// changes while a round trains. Every scenario (batch, online, active,
// transfer) runs a list of learners side by side on the same rounds and the
// same batches; a learner is a short declaration (its kind and parameters)
// and a remedy is one more kind. docs/LEARNERS.md documents each with its
// source and defaults.
//
// A learner's life in a scenario:
//   begin(round 0)  the shared initialisation (every learner the same), or the
//                   model the scenario hands over (transfer: A's body, fresh head);
//                   records the learner's first weights (L2-init's theta_0)
//   train           with the learner's hooks: a penalty gradient after each
//                   backward (EWC, L2-init), a step hook (continual backprop)
//   end             after the round: EWC's anchor and Fisher on the data seen
//   begin(round r)  from its own last model and a fresh initialisation drawn for
//                   the round (the random learner's: shrink-perturb with
//                   lambda 0, sigma 1 equals it bit for bit)
#ifndef WS_LEARN_LEARNER_H
#define WS_LEARN_LEARNER_H

#include <stdint.h>

#include <cjson/cJSON.h>

#include "core/ctx.h"
#include "data/dataset.h"
#include "nn/model.h"
#include "io/checkpoint.h"
#include "optim/optim.h"
#include "train/train.h"

#define WS_MAX_LEARNERS 128

typedef enum {
    WS_LEARNER_WARM,           // continue from the last model
    WS_LEARNER_RANDOM,         // a fresh initialisation every round
    WS_LEARNER_SHRINK_PERTURB, // p <- lambda p + sigma p_fresh (Ash & Adams 2020)
    WS_LEARNER_PARTIAL,        // warm for the first L modules (or names matching a pattern), fresh for the rest
    WS_LEARNER_HEAD_RESET,     // warm with a fresh last layer
    WS_LEARNER_NOISE,          // warm plus N(0, sigma^2)
    WS_LEARNER_EWC,            // warm plus lambda/2 sum F_i (theta_i - theta*_i)^2
    WS_LEARNER_L2_INIT,        // warm plus lambda/2 |theta - theta_0|^2 (Kumar et al. 2023)
    WS_LEARNER_L2,             // warm plus lambda/2 |theta|^2 (Kumar et al.'s L2 baseline)
    WS_LEARNER_DASH,           // direction-aware shrinking (Shin et al. 2024)
    WS_LEARNER_CBP,            // continual backprop (Dohare et al. 2024)
    WS_LEARNER_CUSTOM,         // defined by the program that runs the experiment (ws_learner_custom)
    WS_LEARNER_REMEDY,         // one of the remedies written with the public hooks (ws_remedy: ReDo, ...)
} ws_learner_kind;

struct ws_learner_ops;
struct ws_remedy;

// The most parameters a remedy (ws_remedy) declares.
#define WS_REMEDY_MAX_PARAMS 8

// BatchNorm running statistics when a learner begins a round after the first: taken
// from a freshly built model (the official code: every round builds a new model and
// combines parameters() only) or kept. Random always takes its fresh model's.
typedef enum { WS_BN_AUTO, WS_BN_RESET, WS_BN_KEEP } ws_bn_policy;

typedef struct {
    ws_learner_kind kind;
    char name[64];          // unique in a list: the spec as written ("shrink-perturb:lambda=0.2")
    double lambda;          // shrink-perturb: shrink (0.4); ewc, l2-init: strength (10, 0.001); dash: floor (0.3)
    double sigma;           // shrink-perturb: perturbation (0.1); noise: std (0.01)
    double var;             // noise: given as a variance (var=V: sigma = sqrt(V)); 0 otherwise
    double alpha;           // dash: EMA weight of each new batch's gradient (0.3)
    int gauss;              // shrink-perturb: perturb with N(0, sigma^2) instead of sigma * p_fresh
    ws_bn_policy bn;        // every learner but random: auto = reset under --protocol paper, else keep
    int layers;             // partial: the first N parameterised modules stay warm (N >= 0)
    char pattern[48];       // partial: or the parameters whose names match this glob stay warm
    int64_t fisher_examples;// ewc: examples for the diagonal Fisher (1000; 0: all seen)
    int fisher_batch;       // ewc: examples per gradient (1: the exact empirical Fisher)
    double replace_rate;    // cbp: units replaced per step per layer, as a fraction (1e-4)
    double decay;           // cbp: utility EMA decay (0.99)
    int maturity;           // cbp: steps before a unit may be replaced (100)
    int keep_optim;         // carry the optimizer state into the next round (random: never)
    int every_step;         // shrink-perturb: after every update instead of before each round (Kumar et al.'s)
    double lr;              // > 0: its own learning rate instead of the experiment's (each method's own
                            // setting, as Kumar et al. select per method); 0: the experiment's
    // The learner's own network, where it differs from the experiment's (Kumar et al. compare
    // LayerNorm and CReLU networks as methods beside the remedies): -1 as the experiment's.
    // Only where each learner builds its own network (online, active, continual).
    int layer_norm;         // 0 or 1
    int activation;         // a ws_activation
    const struct ws_learner_ops *ops; // custom and remedies: what it does
    void *user;                       // custom: its own data
    const struct ws_remedy *remedy;   // a remedy: its declaration (name, parameters, hooks)
    double p[WS_REMEDY_MAX_PARAMS];   // a remedy: its parameters, in the order it declares them
} ws_learner;

// The kinds' names ("warm", "shrink-perturb", ...) and parsing.
const char *ws_learner_kind_name(ws_learner_kind k);
// A learner of `kind` with its defaults (name = the kind's name).
ws_learner ws_learner_default(ws_learner_kind kind);
// One spec: NAME[:KEY=VALUE...], e.g. "shrink-perturb:lambda=0.2:sigma=0.01:bn=keep".
ws_status ws_learner_parse(ws_ctx *ctx, const char *spec, ws_learner *out);
// A comma-separated list of specs; names must be unique. At most cap.
ws_status ws_learner_parse_list(ws_ctx *ctx, const char *text, ws_learner *out, int cap, int *n);
// The default list: warm, random.
int ws_learner_default_list(ws_learner *out, int cap);
// A learner's index in ls[0..n) by name, or -1.
int ws_learner_index(const ws_learner *ls, int n, const char *name);
// A name fit for a file name: characters other than letters, digits, '-',
// '.' and '=' become '_' ("shrink-perturb:lambda=0.2" -> "shrink-perturb_lambda=0.2").
void ws_learner_file_name(const char *name, char *out, size_t cap);
// Every resolved parameter, for the record.
cJSON *ws_learner_json(const ws_learner *l);
// One paragraph per kind: what it does, its parameters and defaults (CLI help); each remedy's
// follows from its declaration (ws_remedy_at(i)->help).
const char *ws_learner_help(void);
// The model spec of a learner's own network: the experiment's, with the learner's layer-norm and
// activation where it gives them.
void ws_learner_model_spec(const ws_learner *l, ws_model_spec *spec);
// Does the learner build a network other than the experiment's?
int ws_learner_changes_model(const ws_learner *l);
// Refuse learners the model cannot run (continual backprop needs hidden
// ReLU units, partial layers within range, ...): one message naming both.
ws_status ws_learner_check(ws_ctx *ctx, const ws_learner *l, const ws_model *m);

// What a learner may need of the round that begins: the seed, the round (0
// for the first), where its fresh initialisation comes from, the protocol,
// and the round's training examples (DASH reads their gradients).
typedef struct ws_round_env {
    uint64_t seed;
    int round;
    uint64_t fresh_stream;   // the fresh initialisation is ws_rng_stream(seed, "init", fresh_stream)
    int paper;               // --protocol paper (shrink-perturb's official-code defaults)
    const ws_dataset *d;
    const ws_norm *norm;
    const int32_t *idx;      // the round's training examples
    int64_t n;
    int batch;
    int drop_last;           // the round's epochs leave out a last batch smaller than `batch`
    int64_t anchor_len;      // ws_learner_end: anchor only the first anchor_len floats (0: all)
} ws_round_env;

// A learner's state across rounds (its optimizer, EWC's anchor and Fisher,
// L2-init's theta_0, continual backprop's unit utilities).
typedef struct ws_learner_state {
    const ws_learner *def;
    ws_ctx *ctx;
    int64_t n;               // floats in the model's arena
    ws_model *fresh;         // the round's fresh initialisation (same architecture)
    float *theta0;           // l2-init
    float *anchor, *fisher;  // ewc
    ws_optim opt;
    int opt_ready;
    int started;             // theta_0 recorded
    struct ws_cbp *cbp;      // continual backprop (learn/cbp.c)
    int fisher_ready;        // ewc: an anchor exists (the penalty applies)
    int64_t replaced;        // cbp: units replaced so far
    uint64_t seed;           // the seed of the rounds (shrink-perturb every step draws its fresh models from it)
    int64_t steps;           // updates so far, every round (shrink-perturb every step: the stream's index)
    void *own;               // custom learners and remedies: the state their `create` made
} ws_learner_state;

// ---- the hooks a remedy is written with -----------------------------------------------------
//
// A learner defined by the program that runs the experiment (ws_learner_custom), and every
// remedy since 2023 in src/learn/ (ReDo, resets, Hare & Tortoise, ...: ws_remedy), is a set of
// optional hooks, called where the built-in learners act. Each gets one ws_hook_env: the
// learner's model and optimizer, its own state (made by `create` once per chain), a model of
// the same architecture to draw fresh initialisations into, and the counts it may key on.
// Runs, records, checkpoints, resumes and reports treat such a learner as a built-in one.
typedef struct ws_hook_env {
    ws_ctx *ctx;
    const ws_learner *def;   // its parameters (def->p for a remedy, def->user for a custom learner)
    void *state;             // what `create` made (NULL without one)
    ws_model *m;             // the model it trains
    ws_optim *opt;           // its optimizer; NULL in `begin` before its first round's exists (the
                             // state is then rebuilt after begin unless keep-optim)
    ws_model *fresh;         // begin: the round's fresh initialisation (the random learner's); step
                             // hooks: a model to draw into (ws_hook_fresh)
    uint64_t seed;           // the seed of the rounds
    int64_t step;            // updates so far, every round counted; in after_step, this one included
    int batch;               // step hooks: the batch's size; m's activations are its forward's
    const struct ws_round_env *env; // begin, end: the round
    int64_t *replaced;       // units it has reset so far: add to it (recorded as cbp's are)
} ws_hook_env;

typedef ws_status (*ws_learner_hook)(const ws_hook_env *h);

typedef struct ws_learner_ops {
    // Its own state for one chain (a learner's seed and run): made when the chain starts, with
    // the model it will train (initialised or not); freed by `destroy`.
    ws_status (*create)(ws_ctx *ctx, const ws_learner *def, const ws_model *m, void **state);
    void (*destroy)(void *state);
    // The learner's first weights, once per chain (L2-init's theta_0): at its first begin, or
    // where a scenario trains a shared first phase itself (batch), the model that phase starts
    // from (ws_learner_start). For state taken from them (L1 Init's theta_0, NaP's norms).
    void (*start)(void *state, const ws_model *m);
    // When a round begins (every round, the first included: env->round 0), with the learner's
    // model from the last round in m; on return m holds the model the round starts from.
    ws_learner_hook begin;
    ws_learner_hook after_backward; // each step: after the gradient, before the update (a penalty's gradient)
    ws_learner_hook update;         // each step: the update itself, instead of the optimizer's (UPGD)
    ws_learner_hook after_step;     // each step: after the update (units reset, weights clipped)
    ws_learner_hook end;            // when the round has trained (on env's examples)
    // The model the scenario evaluates (held-out accuracy), if not the trained one (Hare &
    // Tortoise: the tortoise). NULL: the trained one.
    ws_model *(*eval_model)(void *state);
    // Its state in the chain's checkpoint: names beginning "learner.own.", read back by `load`
    // into a state made by `create` for the same learner and model. Without these, a resumed
    // chain starts its state over.
    void (*save)(const void *state, ws_ckpt *c);
    ws_status (*load)(void *state, ws_ctx *ctx, const ws_st_file *f, const char *path);
    void (*record)(const ws_learner *def, cJSON *rec); // optional: its parameters, added to its configuration record
} ws_learner_ops;

// Draw a fresh initialisation of the whole architecture into h->fresh from the learner's own
// stream ("remedy-fresh", draw): the same draws for the same (seed, draw) in every run.
void ws_hook_fresh(const ws_hook_env *h, uint64_t draw);

// A remedy's parameter: KEY=VALUE in its spec, with its default and range.
typedef struct ws_param_def {
    const char *key;     // "tau"
    double def;          // its default
    double lo, hi;       // the accepted range, both included
    int whole;           // 1: a whole number
    const char *record;  // its name in the record ("dormant_threshold")
} ws_param_def;

// A remedy as one declaration: its name in specs, its help paragraph (the CLI's shape: 18
// columns of indent, 100 wide), its parameters, a check of the model (refuse what it cannot
// run, one message naming both), and its hooks. learn/remedies.c lists them.
typedef struct ws_remedy {
    const char *name;
    const char *help;
    const ws_param_def *params;
    int nparams;
    // 1: its network has LayerNorm before each activation (NaP's "normalize"): layer-norm=1
    // unless the spec says otherwise, where each learner builds its own network.
    int layer_norm;
    ws_status (*check)(ws_ctx *ctx, const ws_learner *l, const ws_model *m);
    ws_learner_ops ops;
} ws_remedy;

// A custom learner named `name` (unique among an experiment's learners; no ',' or ':'),
// with user for its own use (def->user in the hooks).
ws_learner ws_learner_custom(const char *name, const ws_learner_ops *ops, void *user);

ws_status ws_learner_state_init(ws_ctx *ctx, ws_learner_state *s, const ws_learner *def, const ws_model *m);
void ws_learner_state_free(ws_learner_state *s);

// Record m's weights as the learner's first (L2-init's theta_0; a remedy's `start`). begin does
// this at its first call; a scenario that trains a shared first phase itself
// (batch) calls it with the model that phase starts from.
void ws_learner_start(ws_learner_state *s, const ws_model *m);

// Carry the optimizer state `src` into the learner, if it keeps its state
// (batch: phase 1's optimizer into phase 2 under --keep-optim).
ws_status ws_learner_adopt_optimizer(ws_learner_state *s, const ws_optim *src);

// Begin a round: m holds the learner's model from the last round (round 0:
// the shared initialisation or the scenario's model); on return it holds the
// model this round starts from.
ws_status ws_learner_begin(ws_learner_state *s, ws_model *m, const ws_round_env *env);

// The optimizer for the round: rebuilt from cfg (the official code) unless the
// learner keeps its state, in which case only the hyperparameters change.
ws_status ws_learner_optimizer(ws_learner_state *s, const ws_opt_config *cfg, ws_optim **out);

// Install the learner's training hooks (penalties, continual backprop) in tc.
void ws_learner_hooks(ws_learner_state *s, ws_train_config *tc);

// The model the scenario evaluates: m, or the one the learner gives (Hare & Tortoise's tortoise).
ws_model *ws_learner_eval_model(ws_learner_state *s, ws_model *m);

// The remedies since 2023 (learn/remedies.c), by name; NULL when none has it.
const ws_remedy *ws_remedy_find(const char *name);
// The i-th remedy, NULL past the last.
const ws_remedy *ws_remedy_at(int i);

// After a round has trained on env's examples: EWC's anchor and Fisher.
ws_status ws_learner_end(ws_learner_state *s, ws_model *m, const ws_round_env *env);

// A learner's state in a chain's checkpoint (names "learner.*"): optimizer
// moments and step, theta_0, EWC's anchor and Fisher, continual backprop's
// utilities, ages and carried replacements, and the flags. Load into a state
// made by ws_learner_state_init for the same learner and model; opt_cfg is the
// optimizer the learner trains with (it decides which moments exist).
void ws_learner_state_save(const ws_learner_state *s, ws_ckpt *c);
ws_status ws_learner_state_load(ws_learner_state *s, const ws_opt_config *opt_cfg, const ws_st_file *f,
                                const char *path);

// ---- the pieces, exposed for tests ----

// shrink-perturb's transform of params (n): p <- lambda p + sigma f, a zero
// coefficient's term left out (so lambda 1, sigma 0 is the identity and
// lambda 0, sigma 1 copies f, bit for bit).
void ws_shrink_perturb(float *p, const float *f, int64_t n, float lambda, float sigma);
// The parameter indices [off, off+len) of the model's last parameterised layer (its head).
void ws_model_head_range(const ws_model *m, int64_t *off, int64_t *len);
// Which parameters a partial learner keeps warm (1) rather than fresh (0): keep[nparams].
ws_status ws_partial_mask(ws_ctx *ctx, const ws_learner *l, const ws_model *m, uint8_t *keep);
// The buffers (BatchNorm running statistics) of the modules none of whose parameters are kept
// (keep[nparams], 0: fresh) taken from f, a model of the same architecture: "bn1.running_mean"
// follows "bn1.weight". The partial and head-reset learners' and the reset remedy's.
void ws_take_fresh_module_buffers(ws_model *m, const ws_model *f, const uint8_t *keep);
// The penalty gradient added after each backward: g += lambda F (w - anchor)
// (EWC; fisher NULL means F = 1: L2-init toward anchor = theta_0; anchor NULL: toward zero, L2). Returns the
// penalty lambda/2 sum F (w - anchor)^2 (in double).
double ws_penalty_apply(float *g, const float *w, const float *anchor, const float *fisher, int64_t n, float lambda);
// The diagonal empirical Fisher of m on idx[0..n): the mean over examples (in
// batches of `batch`) of the squared gradient of the loss; BatchNorm statistics
// left as they were.
ws_status ws_fisher_diag(ws_ctx *ctx, ws_model *m, const ws_dataset *d, const ws_norm *norm, const int32_t *idx,
                         int64_t n, int batch, float *out);
// DASH on m: the EMA (alpha) of the negative mean-loss gradient over the
// batches of idx (in that order), then each Linear row / Conv2d kernel slice
// (and each bias as a whole) scaled by clamp(cos(-g_ema, w), lambda, 1).
ws_status ws_dash(ws_ctx *ctx, ws_model *m, const ws_dataset *d, const ws_norm *norm, const int32_t *idx, int64_t n,
                  int batch, float alpha, float lambda);
// DASH's shrink alone, given the gradient EMA (n floats, the model's layout).
void ws_dash_shrink(ws_model *m, const float *gema, float lambda);

#endif
