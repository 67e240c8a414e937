// The stable C API (docs/API.md): opaque handles and plain C types across the boundary, the
// surface a binding (the Python package) and a program built against the installed library use.
// Every function that can fail returns a status (WARMSTART_OK = 0) and leaves a one-line message
// on its context (warmstart_error); none prints or exits. This first part covers contexts,
// experiments (options, axes, learners by spec, check, run with note and stop hooks), results in
// long form, reports and checkpoints read as named tensors; docs/API.md lists what follows.
#ifndef WS_API_API_H
#define WS_API_API_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

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
const char *warmstart_version(void);

// A context: the threads (<= 0: every core) its runs use, and its last error.
int warmstart_context_new(int threads, warmstart_context **out);
void warmstart_context_free(warmstart_context *c);
// The last failure's message on c (empty when none).
const char *warmstart_error(const warmstart_context *c);

// An experiment of a scenario ("batch", "online", "active", "transfer", "continual"), or read
// from an experiment file (docs/EXPERIMENT-FILES.md). It belongs to its context.
int warmstart_experiment_new(warmstart_context *c, const char *scenario, warmstart_experiment **out);
int warmstart_experiment_load(warmstart_context *c, const char *path, warmstart_experiment **out);
// Any option of the scenario's command line, as text ("subset", "3000"; "learners",
// "warm,random,redo:tau=0.1"; "out", "results/x"; "resume", "true").
int warmstart_experiment_set(warmstart_experiment *e, const char *key, const char *value);
// A sweep's axis, "lr=1e-3,1e-2" (on an experiment made as a sweep: an experiment file's grid).
int warmstart_experiment_add_axis(warmstart_experiment *e, const char *text);
// Every option resolved (every grid point), before anything runs.
int warmstart_experiment_check(warmstart_experiment *e);

// What a run tells the program while it runs, and asks it. Any may be NULL.
typedef struct {
    // A progress line or note from `who` (a scenario, "sweep", ...; NULL: a line of its own).
    void (*note)(void *user, const char *who, const char *line);
    // Asked after every recorded round of a chain and before every group of units: non-zero
    // stops the run there (WARMSTART_INTERRUPTED); what finished is recorded, and the same
    // experiment with "resume" set goes on (a binding's Ctrl-C).
    int (*should_stop)(void *user);
} warmstart_hooks;

// Run a checked experiment into its folder: units run, recorded, resumable and shardable as the
// CLI's; *complete (may be NULL) is 1 when every unit has finished and the results are written.
int warmstart_experiment_run(warmstart_experiment *e, const warmstart_hooks *h, void *user, int *complete);
void warmstart_experiment_free(warmstart_experiment *e);

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

int warmstart_results_open(warmstart_context *c, const char *path, warmstart_results **out);
int64_t warmstart_results_nrows(const warmstart_results *r);
// Row i (0 <= i < nrows); its strings live as long as r.
int warmstart_results_row(const warmstart_results *r, int64_t i, warmstart_row *row);
// The scenario of the results: "batch", "online", "continual" or "transfer".
const char *warmstart_results_scenario(const warmstart_results *r);
void warmstart_results_free(warmstart_results *r);

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

int warmstart_checkpoint_open(warmstart_context *c, const char *path, warmstart_checkpoint **out);
int warmstart_checkpoint_ntensors(const warmstart_checkpoint *k);
// Tensor i (0 <= i < ntensors).
int warmstart_checkpoint_tensor(const warmstart_checkpoint *k, int i, warmstart_tensor *t);
void warmstart_checkpoint_free(warmstart_checkpoint *k);

// report.md and report.html of a results folder (its claims tested); *experiments (may be
// NULL) gets the number of experiments it found.
int warmstart_report(warmstart_context *c, const char *dir, int *experiments);

#ifdef __cplusplus
}
#endif

#endif
