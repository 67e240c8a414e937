// A results folder as one typed table, read once: every run of every point (a sweep's grid
// point; one point otherwise), learner and seed id -- and, for the scenarios whose runs come in
// stages, the round (online, active) or the share of the target (transfer) -- with why it
// stopped and what it measured. It is the one reader of the result files: the claims, the
// report, the figures and a sweep's reduction all read this table, never the files. Each
// scenario reads its own records into it (exp/scenario.h); this file holds the table, the
// folders and the lookups.
//
//   ws_table *t;
//   ws_table_read(ctx, "results/online", &t);          // a folder, or its results file
//   int warm = ws_table_learner(t, "warm");
//   const ws_run *r = ws_point_run(&t->points[0], warm, 3, 0);   // seed 3, round 0
//   double acc = r ? r->m[WS_M_TEST_ACC] : NAN;
//   ws_table_free(t);
#ifndef WS_EXP_TABLE_H
#define WS_EXP_TABLE_H

#include <cjson/cJSON.h>
#include <stdint.h>

#include "core/ctx.h"
#include "train/train.h"

#define WS_TABLE_MAX_LEARNERS 128
#define WS_TABLE_MAX_AXES 8

// A run's numbers, NAN where its record has none.
typedef enum {
    WS_M_TEST_ACC,       // accuracy on the evaluation split, 0..1
    WS_M_TEST_LOSS,
    WS_M_TRAIN_ACC,      // the training accuracy its stopping rule read, 0..1
    WS_M_TRAIN_LOSS,
    WS_M_EPOCHS,
    WS_M_STEPS,          // gradient steps
    WS_M_SECONDS,        // its own training seconds
    WS_M_CUM_SECONDS,    // online: the learner's training seconds up to and including this round
    WS_M_EXAMPLES,       // online: examples seen; transfer: the share's training examples
    WS_M_FRACTION,       // transfer: the share of the target's pool, 0..1
    WS_M_CORR_INIT,      // online: Pearson correlation of the weights with the learner's initialisation
    WS_M_GRAD_OLD,       // online: gradient norm on the old examples at the round's start
    WS_M_GRAD_NEW,       //         and on the new ones
    WS_M_UNITS_REPLACED, // continual backprop: hidden units replaced
    WS_M_ONLINE_ACC,     // continual: the task's average online accuracy (each batch before its update), 0..1
    WS_M_STEPS_TO_TARGET,// continual: steps until the windowed online accuracy reached the target (NAN: never)
    // Measured inside the network at the run's end (nn/inside.h's summary; NAN: not measured):
    WS_M_DORMANT_0,      // ReDo's share of hidden units 0-dormant (dead on the probe), 0..1
    WS_M_DORMANT_025,    // ... 0.025-dormant
    WS_M_DORMANT_01,     // ... 0.1-dormant
    WS_M_DOHARE_DORMANT, // Dohare et al.'s share of hidden units active on < 1 % of the probe
    WS_M_ACTIVE,         // share of hidden outputs > 0
    WS_M_SRANK,          // the penultimate features' srank (delta 0.01)
    WS_M_EFFECTIVE_RANK, // and effective rank
    WS_M_WEIGHT_MAGNITUDE, // mean |theta|
    WS_M_PARAM_NORM,     // ||theta||
    WS_M_DIST_INIT,      // ||theta - theta_0||
    WS_M_GRAD_NORM,      // gradient norm on the probe
    WS_M_COUNT
} ws_measure;

// A measure's name in long-form results ("test_acc", "dormant_0.1", ...).
const char *ws_measure_name(ws_measure m);

// A run's curves, each a list of (x, y): empty where its record has none.
typedef enum {
    WS_CURVE_TRAIN_ACC,  // x: the run's epoch (from 1), y: training accuracy
    WS_CURVE_TEST_ACC,   // x: epoch, y: test accuracy, where evaluated (--eval-every)
    WS_CURVE_GRAD_OLD,   // x: phase-2 step, y: gradient norm on the old examples (--grad-every)
    WS_CURVE_GRAD_NEW,   // x: phase-2 step, y: gradient norm on the new examples
    WS_CURVE_SHRINK_ACC, // x: lambda, y: test accuracy of the model shrunk by lambda (--shrink-eval)
    WS_CURVE_COUNT
} ws_curve_kind;

typedef struct {
    int n;
    double *x, *y;
} ws_curve;

typedef struct {
    int learner;           // index into the table's learners
    int64_t seed;          // the seed id: the record's "seed" (its position from 1 in a record without one)
    int stage;             // online and active: the round (0-based); continual: the task; transfer: the share's
                           // index; else 0
    ws_stop_reason stop;   // why it stopped ("converged": false in a record older than "stop" reads as the cap)
    int start_capped;      // a start of its own (shrink-perturb's own phase 1 under --protocol paper) hit the cap
    double m[WS_M_COUNT];
    ws_curve curve[WS_CURVE_COUNT];
} ws_run;

// One point: a sweep's grid point (axis = value for each axis), or the whole experiment.
typedef struct {
    int index;             // the sweep's point number (0 outside a sweep)
    int naxes;
    char axis[WS_TABLE_MAX_AXES][64], value[WS_TABLE_MAX_AXES][64];
    char params[512];      // "lr=0.01 batch=32" ("" outside a sweep)
    char dir[1024];        // its folder
    cJSON *config;         // its records' resolved configuration (NULL: no records)
    int nrecords;          // seeds recorded
    int nruns, cap;
    ws_run *runs;          // sorted by (learner, seed, stage) once read
} ws_point;

typedef struct {
    char scenario[16];     // the results' scenario: "batch", "online" (online and active), "continual" or "transfer"
    char experiment[24];   // config.experiment: batch, online, active or transfer
    int sweep;             // a sweep's points (sweep.jsonl)
    int nlearners;
    char learners[WS_TABLE_MAX_LEARNERS][64]; // in the order first seen
    int fresh[WS_TABLE_MAX_LEARNERS];         // starts from a fresh initialisation, not from the base run:
                                              // its configuration's kind is "random" (by name where none says)
    int base;              // the run the others start from ("phase1", "pretrain"), -1 none
    int npoints;
    ws_point *points;
} ws_table;

// Read the results at path: a folder holding a scenario's results file or a sweep's
// (sweep.jsonl, its points in points/NNN), or one results file. A point with no results file
// (every seed diverged) has no runs. WS_ERR_FORMAT names the file and line of what is wrong.
ws_status ws_table_read(ws_ctx *ctx, const char *path, ws_table **out);
void ws_table_free(ws_table *t);

// Building a table by hand (a program's own results, the tests' simulated ones): a new empty
// table of a scenario ("batch", "online", "transfer"; NULL out of memory), a point added to it
// (NULL out of memory), runs added to the point, then ws_point_sort before any lookup.
ws_table *ws_table_new(const char *scenario);
ws_point *ws_table_add_point(ws_table *t);
void ws_point_sort(ws_point *p);

// A learner's index by name (-1: none); ws_table_learner_add adds it when new (-1 when full),
// fresh when named "random" until a configuration says its kind.
int ws_table_learner(const ws_table *t, const char *name);
int ws_table_learner_add(ws_table *t, const char *name);

// A new run of p (learner, seed, stage set; everything else NAN or empty), NULL out of memory.
ws_run *ws_point_add_run(ws_point *p, int learner, int64_t seed, int stage);
// A curve's n points from two JSON arrays of numbers (the shorter's length), x scaled 1, y by
// yscale; NULL arrays: nothing. WS_ERR_NOMEM only.
ws_status ws_curve_from_json(ws_ctx *ctx, ws_curve *c, const cJSON *x, const cJSON *y);

// The run of (learner, seed, stage), NULL where there is none.
const ws_run *ws_point_run(const ws_point *p, int learner, int64_t seed, int stage);
// The seed ids of a learner's runs at p, ascending, into seeds[0..cap): their count.
int ws_point_seeds(const ws_point *p, int learner, int64_t *seeds, int cap);
// The number of stages of a learner's runs at p (the last stage + 1; 0: none).
int ws_point_stages(const ws_point *p, int learner);
// Does `want` ("batch=32 lr=0.01") name every one of `params`'s "key=value" pairs, in any order?
int ws_params_match(const char *want, const char *params);
// A point by its params ("lr=0.01 batch=32": every axis, any order), NULL where none.
const ws_point *ws_table_point(const ws_table *t, const char *params);

// A run's value at x of a curve by linear search (NAN where it has no such x).
double ws_curve_at(const ws_curve *c, double x);

#endif
