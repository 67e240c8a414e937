// warmstart: the stable C API of libwarmstart (docs/API.md is its reference).
//
// This one header is the library's public surface: opaque handles, plain C types across the
// boundary, statuses with a message, hooks as function pointers with a user pointer. Nothing
// internal is in it, so a program built against it links and runs against any libwarmstart.so
// of the same major version (the soname's, WARMSTART_API_VERSION below), and the shared library
// exports these functions and nothing else (tests/install/test_symbols.sh). Build a program
// with `pkg-config --cflags --libs warmstart` once installed (`make install`), or in the source
// tree with -Iinclude and -Lbuild -lwarmstart.
//
// Every function that can fail returns a status (WARMSTART_OK = 0) and leaves a one-line
// message on its context (warmstart_error); none prints or exits.
//
//   warmstart_context *c;     warmstart_context_new(0, &c);          threads (0: every core)
//   warmstart_experiment *e;  warmstart_experiment_new(c, "online", &e), or _load(c, "x.ini", &e)
//   warmstart_experiment_set(e, "subset", "3000");                   any option of the CLI's, as text
//   warmstart_experiment_add_remedy(e, "mine", &remedy, user);      a remedy written outside
//   warmstart_experiment_check(e);                                   every option resolved
//   warmstart_experiment_run(e, &hooks, user, &complete);            recorded, resumable, shardable
//   warmstart_results_open(c, "results/x", &r); _nrows, _row         the results in long form
//   warmstart_report(c, "results/x", NULL);                          report.md, report.html
//   warmstart_experiment_free(e); warmstart_context_free(c);
//
// examples/online.c and examples/custom_learner.c use nothing else. The library's internals
// (src/*/, the `ws_` names) are for its own code, its CLI and its tests; they are not installed.
#ifndef WARMSTART_H
#define WARMSTART_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

// The functions the shared library exports (it is built with -fvisibility=hidden).
#if defined(__GNUC__)
#define WARMSTART_API __attribute__((visibility("default")))
#else
#define WARMSTART_API
#endif

// The API's version: the shared library's soname (libwarmstart.so.1). It changes only when a
// function or type here changes incompatibly; additions keep it.
#define WARMSTART_API_VERSION 1

// The statuses, the library's (core/ctx.h's ws_status) by number.
enum {
    WARMSTART_OK = 0,
    WARMSTART_ERR_ARG = 1,     // a bad argument, option or configuration
    WARMSTART_ERR_IO = 2,      // a missing, unreadable or unwritable file
    WARMSTART_ERR_FORMAT = 3,  // a corrupt or unexpected file
    WARMSTART_ERR_NOMEM = 4,   // out of memory
    WARMSTART_ERR_NUMERIC = 5, // NaN or Inf where a number was expected
    WARMSTART_INTERRUPTED = 6, // stopped on request (warmstart_hooks.should_stop): the folder resumable
};

typedef struct warmstart_context warmstart_context;
typedef struct warmstart_experiment warmstart_experiment;
typedef struct warmstart_results warmstart_results;

// The library's version ("0.1.0").
WARMSTART_API const char *warmstart_version(void);

// A context: the threads (<= 0: every core) its runs use, and its last error.
WARMSTART_API int warmstart_context_new(int threads, warmstart_context **out);
WARMSTART_API void warmstart_context_free(warmstart_context *c);
// The last failure's message on c (empty when none).
WARMSTART_API const char *warmstart_error(const warmstart_context *c);

// An experiment of a scenario ("batch", "online", "active", "transfer", "continual"), or read
// from an experiment file (docs/EXPERIMENT-FILES.md). It belongs to its context.
WARMSTART_API int warmstart_experiment_new(warmstart_context *c, const char *scenario, warmstart_experiment **out);
WARMSTART_API int warmstart_experiment_load(warmstart_context *c, const char *path, warmstart_experiment **out);
// Any option of the scenario's command line, as text ("subset", "3000"; "learners",
// "warm,random,redo:tau=0.1"; "out", "results/x"; "resume", "true").
WARMSTART_API int warmstart_experiment_set(warmstart_experiment *e, const char *key, const char *value);
// A sweep's axis, "lr=1e-3,1e-2" (on an experiment made as a sweep: an experiment file's grid).
WARMSTART_API int warmstart_experiment_add_axis(warmstart_experiment *e, const char *text);
// Every option resolved (every grid point), before anything runs.
WARMSTART_API int warmstart_experiment_check(warmstart_experiment *e);

// What a run tells the program while it runs, and asks it. Any may be NULL.
typedef struct {
    // A progress line or note from `who` (a scenario, "sweep", ...; NULL: a line of its own).
    void (*note)(void *user, const char *who, const char *line);
    // Asked before every group of units, after every recorded round of a chain and, while a unit
    // trains, before every training step and evaluation batch: non-zero stops the run there
    // (WARMSTART_INTERRUPTED), the unit in training abandoned with nothing of it recorded; what
    // finished is recorded, and the same experiment with "resume" set goes on (a binding's
    // Ctrl-C). Keep it cheap (it is asked every step); under "jobs" it is called from the jobs'
    // threads, one call at a time.
    int (*should_stop)(void *user);
    // Before the first unit (unit NULL: done is what a resumed run found finished), then after
    // each unit of this process's share finishes (or diverges): done of total; `unit` is its id
    // ("s1/warm").
    void (*progress)(void *user, int done, int total, const char *unit);
} warmstart_hooks;

// ---- a remedy written outside the library ---------------------------------------------------
//
// A learner defined by the program: the hooks every remedy in the library is written with
// (src/learn/learner.h), called where they act, each given the learner's model as named float
// arrays that view its arenas (no copy): write into `data` to change the weights, into `grad`
// (after_backward) to change the update. Such a learner runs beside the built-in ones on the
// same batches; it is recorded (kind "custom", its name and `record`), checkpointed with the
// arrays its `state` gives, and resumed bit for bit.

// One parameter of the model, in PyTorch's name and layout.
typedef struct {
    const char *name;       // "lm1.weight", "conv1.weight", "ln1.bias", ...
    int ndim;
    int64_t dims[4];        // Linear (out, in); Conv2d (out, in, kh, kw); a bias (out)
    int64_t numel;
    float *data;            // the parameter
    float *grad;            // its gradient: after_backward, this step's; else the last one's
    const float *fresh;     // begin after the first round: the round's fresh initialisation of it (the random
                            // learner's); after warmstart_step_draw_fresh, its draw; else NULL
    float *moment1;         // the optimizer's state for it where it exists, else NULL: SGD's momentum
    float *moment2;         // or Adam's exp_avg (moment1) and exp_avg_sq (moment2)
} warmstart_param;

// A hidden layer of a sequential network (the MLP, Kumar et al.'s CNN; none for ResNet-18 or
// CReLU): its units, the parameters that make and read them, and their activations, for the
// remedies that score and reset units (continual backprop, ReDo).
typedef struct {
    int in_weight;          // params index of the layer making the units (a unit: a row of a Linear
                            // weight, or an output channel of a Conv2d)
    int in_bias;            // params index of its bias, or -1
    int out_weight;         // params index of the layer reading them: a unit's outgoing weights are
                            // columns u*out_span .. (u+1)*out_span - 1 of a Linear's rows (out_span
                            // > 1 after a flatten), or w[:, u, :, :] of a Conv2d
    int units;              // features or channels
    int positions;          // entries per unit and example in `activation` (a channel's H*W)
    int64_t out_span;
    const float *activation;// after_backward, after_update: the activation's output of this step's
                            // forward, (batch, units, positions); else NULL
} warmstart_hidden;

// Where a hook is called: the round, the counts, and the model's parameters.
typedef struct {
    int round;              // the round (a continual run's task) that begins, trains or has ended; 0: the first
    int64_t step;           // updates so far, every round counted (after_update: this one included)
    int batch;              // after_backward, after_update: the batch's size; else 0
    uint64_t seed;          // the chain's seed (0 in create, and in a start before any begin)
    int nparams;
    warmstart_param *params;// in the model's order; their data lie in one arena, in this order
    int64_t nweights;       // floats in that arena
    float *weights, *grads; // the whole arenas as single arrays (params[i].data points into weights)
    int nhidden;
    const warmstart_hidden *hidden;
    void *priv;             // the library's (warmstart_step_draw_fresh)
} warmstart_step;

// In after_backward and after_update: draw a fresh initialisation of the whole model, the same
// for the same (seed, draw) in every run (key it on the step count), into params[i].fresh.
WARMSTART_API int warmstart_step_draw_fresh(const warmstart_step *s, uint64_t draw);

// A named array of a remedy's own state (its first weights, a trace, a counter).
typedef struct {
    const char *name;       // unique within the remedy ("theta0")
    float *data;
    int64_t n;
} warmstart_array;

// Any hook may be NULL; a hook returns 0, or non-zero to stop the run with an error naming the
// learner and the hook. `user` is the pointer given to warmstart_experiment_add_remedy.
typedef struct {
    // Its state for one chain (a seed's run of this learner), made when the chain starts; `s`
    // gives the parameters' names and shapes (the weights not yet those it starts from).
    int (*create)(void *user, const warmstart_step *s, void **state);
    void (*destroy)(void *user, void *state);
    // The learner's first weights, once per chain (L2 Init's theta_0): the weights its first
    // round starts from, right after that round's begin; or, where a scenario trains a shared
    // first phase before the learners part (batch), the weights that phase starts from, before
    // any begin (and then with seed 0). Not called when a chain resumes: keep what it takes in
    // the state arrays.
    int (*start)(void *user, void *state, const warmstart_step *s);
    // A round begins (every round, the first included): on return the parameters hold the model
    // it starts from; params[i].fresh is the round's fresh initialisation.
    int (*begin)(void *user, void *state, const warmstart_step *s);
    int (*after_backward)(void *user, void *state, const warmstart_step *s); // each step, before the update
    int (*after_update)(void *user, void *state, const warmstart_step *s);   // each step, after the update
    int (*end)(void *user, void *state, const warmstart_step *s);            // the round has trained
    // Its state as named arrays: written into each checkpoint of the chain, and filled back in
    // place (into the arrays this returns after `create`) when a run resumes. At most cap; the
    // count returned.
    int (*state_arrays)(void *user, void *state, warmstart_array *out, int cap);
    // What its configuration record adds (a JSON object's text, "{\"lambda\": 0.01}"), or NULL.
    const char *record;
} warmstart_remedy;

// Add a remedy named `name` (unique among the experiment's learners; no ',' or ':') beside the
// learners the "learners" option lists. r and user must stay valid until e is freed.
WARMSTART_API int warmstart_experiment_add_remedy(warmstart_experiment *e, const char *name, const warmstart_remedy *r,
                                                  void *user);

// Run a checked experiment into its folder: units run, recorded, resumable and shardable as the
// CLI's; *complete (may be NULL) is 1 when every unit has finished and the results are written.
WARMSTART_API int warmstart_experiment_run(warmstart_experiment *e, const warmstart_hooks *h, void *user, int *complete);
WARMSTART_API void warmstart_experiment_free(warmstart_experiment *e);

// A sharded run's folders (each run with the option "shard" = "I/N") combined into its results
// as one process would have written them, into out (NULL: the first folder): every unit must
// have finished and every folder hold the same configuration (the CLI's `warmstart merge`).
WARMSTART_API int warmstart_merge(warmstart_context *c, const char *const *dirs, int ndirs, const char *out);

// A results folder (or results file) read once, in long form: one row per (point, learner,
// seed, stage, measure) that the records hold a value for.
typedef struct {
    const char *point;    // a sweep's point ("lr=0.01 batch=32"); "" outside a sweep
    const char *learner;
    int64_t seed;
    int stage;            // online and active: the round; continual: the task; transfer: the share; else 0
    const char *measure;  // "test_acc", "online_acc", "steps", "dormant_0.1", ...
    double value;
    const char *stop;     // why the run stopped: "threshold", "epochs", "plateau", "cap" or "steps"
} warmstart_row;

WARMSTART_API int warmstart_results_open(warmstart_context *c, const char *path, warmstart_results **out);
WARMSTART_API int64_t warmstart_results_nrows(const warmstart_results *r);
// Row i (0 <= i < nrows); its strings live as long as r.
WARMSTART_API int warmstart_results_row(const warmstart_results *r, int64_t i, warmstart_row *row);
// The scenario of the results: "batch", "online", "continual" or "transfer".
WARMSTART_API const char *warmstart_results_scenario(const warmstart_results *r);
WARMSTART_API void warmstart_results_free(warmstart_results *r);

// A checkpoint (any safetensors file warmstart writes: a model's, with PyTorch's parameter names
// and layout, or a chain's) read whole and checked; its tensors in file order, each a view into it.
typedef struct warmstart_checkpoint warmstart_checkpoint;
typedef struct {
    const char *name;     // "lm1.weight", "layer1.0.bn1.running_mean", ...
    const char *dtype;    // safetensors' name: "F32", "F64", "I64", "I32", "U8", ...
    int ndim;
    int64_t dims[8];
    const void *data;     // little-endian, possibly unaligned; valid while the checkpoint is open
    int64_t nbytes;
} warmstart_tensor;

WARMSTART_API int warmstart_checkpoint_open(warmstart_context *c, const char *path, warmstart_checkpoint **out);
WARMSTART_API int warmstart_checkpoint_ntensors(const warmstart_checkpoint *k);
// Tensor i (0 <= i < ntensors).
WARMSTART_API int warmstart_checkpoint_tensor(const warmstart_checkpoint *k, int i, warmstart_tensor *t);
WARMSTART_API void warmstart_checkpoint_free(warmstart_checkpoint *k);

// report.md and report.html of a results folder (its claims tested), as `warmstart report`
// writes them (a `warmstart reproduce` folder's as DIR/report/index.html and report.md);
// *experiments (may be NULL) gets the number of experiments it found.
WARMSTART_API int warmstart_report(warmstart_context *c, const char *dir, int *experiments);

#ifdef __cplusplus
}
#endif

#endif
