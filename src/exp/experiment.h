// An experiment: a scenario (batch, online, active, transfer), its options, its
// learners and, for a sweep, a grid -- one struct, read once from a command
// line, an experiment file or a results folder's run.json, and checked whole
// (every grid point resolved) before its first unit runs.
//
//   ws_experiment *e;
//   ws_experiment_new(ctx, WS_CMD_ONLINE, 0, &e);      // or ws_experiment_load(ctx, "exp.ini", &e)
//   ws_experiment_set(ctx, e, "subset", "2000");       // or ws_experiment_args(ctx, e, argc, argv)
//   ws_experiment_add_learner(ctx, e, &my_remedy);     // a learner defined in C (learn/learner.h)
//   ws_experiment_check(ctx, e);
//   ws_experiment_run(ctx, e, &hooks, &outcome);       // exp/run.h
//   ws_experiment_free(e);
#ifndef WS_EXP_EXPERIMENT_H
#define WS_EXP_EXPERIMENT_H

#include "exp/options.h"
#include "io/config.h"

#define WS_MAX_AXES 8
#define WS_MAX_AXIS_VALUES 32
#define WS_MAX_POINTS 1000
#define WS_MAX_ARGS 1024
#define WS_MAX_MERGE 64

// A sweep's axis: an option of the scenario (lr, batch, phase1-epochs, ...), a flag with
// values on/off (augment, keep-optim, adamw, nesterov, keep-head), or KIND.PARAM for the
// parameter of every learner of that kind (shrink-perturb.lambda, ewc.lambda, ...).
typedef struct {
    char key[64];
    int nvalues;
    char values[WS_MAX_AXIS_VALUES][64];
} ws_axis;

typedef struct ws_experiment {
    ws_command scenario;       // WS_CMD_BATCH, _ONLINE, _ACTIVE or _TRANSFER
    int sweep;                 // one run of the scenario per point of the grid
    ws_options opt;            // the option values (a sweep: the points' shared ones)
    // The options as given, in order ("--lr", "0.01", "--k0=1000"; an experiment file's as
    // "--key=value"), the runner's left out: run.json records them, a merge replays them.
    int nargs;
    char *args[WS_MAX_ARGS];
    // A sweep: its axes, the points' learner list (--learners; warm,random by default), and
    // the folder of the whole sweep (--out; the points' results go in OUT/points/NNN).
    int naxes;
    ws_axis axes[WS_MAX_AXES];
    char learners[8192];
    // Learners defined by the program (ws_experiment_add_learner), after the listed ones.
    int ncustom;
    ws_learner custom[WS_MAX_LEARNERS];
    // Merging (warmstart merge): run nothing, gather these folders' records into opt.out.
    int nmerge;
    char *merge_dirs[WS_MAX_MERGE];
    // A sweep's point: its index, the grid's size, its unit id prefix ("p003/"), and its
    // "lr=0.01 batch=32" (set by ws_experiment_point).
    int point, npoints;
    char prefix[16], params[512];
    int bad_arg;               // the last ws_experiment_args failed on an option or its value
    // The claims the results are to be tested on (exp/claim.h): an experiment file's [claim ID]
    // sections, or run.json's "claims"; checked against every point by ws_experiment_check.
    // claims_from names their file, for messages.
    int nclaims;
    ws_config_claim *claims;
    char claims_from[512];
    // The resolved configuration (ws_experiment_check): batch, online (online, active),
    // transfer; batch.base is every scenario's shared settings (ws_experiment_setup).
    ws_batch_config batch;
    ws_online_config online;
    ws_transfer_config transfer;
    ws_continual_config continual;
} ws_experiment;

// A new experiment of `scenario` with the defaults (sweep: a grid follows).
ws_status ws_experiment_new(ws_ctx *ctx, ws_command scenario, int sweep, ws_experiment **out);
void ws_experiment_free(ws_experiment *e);

// An experiment file (docs/EXPERIMENT-FILES.md): its scenario, its [options] (recorded as
// "--key=value") and its [grid] (a sweep).
ws_status ws_experiment_load(ws_ctx *ctx, const char *path, ws_experiment **out);

// Command-line arguments, in order: "--key value", "--key=value", "--flag[=BOOL]";
// "--config FILE" (the file's options where it stands; its scenario must be this one, and
// a file with a [grid] only into a sweep); a sweep's "--grid KEY=V,V" and "--learners L".
ws_status ws_experiment_args(ws_ctx *ctx, ws_experiment *e, int argc, char **argv);

// One option (key without dashes, value NULL for a flag), recorded as "--key=value".
ws_status ws_experiment_set(ws_ctx *ctx, ws_experiment *e, const char *key, const char *value);

// A grid axis "KEY=V,V,...", checked for its form (a sweep only).
ws_status ws_experiment_add_axis(ws_ctx *ctx, ws_experiment *e, const char *text);

// A learner defined in C, run after the listed learners (ws_learner_custom, learn/learner.h).
ws_status ws_experiment_add_learner(ws_ctx *ctx, ws_experiment *e, const ws_learner *l);

// Merge instead of running: gather the records of the folder dir (a shard's, another
// machine's) with the others added so; the results go to e->opt.out (warmstart merge does
// this from run.json; a program whose learners are its own does it itself).
ws_status ws_experiment_add_merge(ws_ctx *ctx, ws_experiment *e, const char *dir);

// Resolve the options into the configuration and check everything that needs no data:
// a sweep's every point (a bad value anywhere is refused before the first point runs).
ws_status ws_experiment_check(ws_ctx *ctx, ws_experiment *e);

// The settings every scenario has (seeds, learners, model, ...) of e's scenario (resolved).
const ws_setup *ws_experiment_setup(const ws_experiment *e);

// A sweep's number of points (1 without a grid).
int ws_experiment_npoints(const ws_experiment *e);

// Point p of a sweep as an experiment of its own (resolved; its results folder
// OUT/points/NNN), with the sweep's runner options.
ws_status ws_experiment_point(ws_ctx *ctx, const ws_experiment *e, int p, ws_experiment **out);

// The experiment's command and options as run.json holds them, and back
// ({"command": "batch", "options": ["--lr", "0.01", ...], "claims": [{"id": ..., KEY: VALUE}]};
// a sweep: "sweep", the scenario first). Only command and options say what was run: a merge
// compares them alone.
cJSON *ws_experiment_run_json(const ws_experiment *e);
ws_status ws_experiment_from_run_json(ws_ctx *ctx, const cJSON *run, const char *where, ws_experiment **out);

#endif
