// A claim, declared as data with its experiment ([claim ID] in an experiment file, or the
// "claims" of a results folder's run.json): what the paper says and where, with its number and
// source; which learners are compared and how; on which measure, where in the runs, by which
// rule. Read and checked here -- against the experiment, before anything runs: a claim naming a
// learner, measure or point the experiment lacks is refused -- and evaluated on the results
// table by report/claims.h. docs/EXPERIMENT-FILES.md lists the keys, docs/STATISTICS.md the rules.
//
//   [claim gap]
//   says = warm start generalises worse than random initialisation
//   paper = Table 1: random 39.4, warm 36.1 (a gap of 3.3 points)
//   source = Ash & Adams 2020, Table 1 (CIFAR-10, MLP, Adam)
//   compare = random - warm
//   measure = test-acc
//   effect = 3.3
//   effect-setting = other
//   sesoi = 1
//   sesoi-why = a gap under a point would not change a user's choice
#ifndef WS_EXP_CLAIM_H
#define WS_EXP_CLAIM_H

#include <cjson/cJSON.h>

#include "exp/experiment.h"
#include "exp/stats.h"
#include "exp/table.h"
#include "io/config.h"

// What a claim measures on one run (its units: ws_claim_units).
typedef enum {
    WS_CM_TEST_ACC,          // test accuracy, points
    WS_CM_TRAIN_ACC,         // final training accuracy, points
    WS_CM_STEPS,             // gradient steps to the stopping rule (seconds shown beside)
    WS_CM_EPOCHS,            // epochs
    WS_CM_GRAD_EXCESS,       // Figure 5: new / old gradient norm - 1 over phase 2's first epoch, %
    WS_CM_GRAD_IMBALANCE,    // the same, its absolute value: how far from alike, %
    WS_CM_SHRINK_COST,       // Figure 6: accuracy unshrunk - shrunk by lambda (the argument, or the smallest > 0), points
    WS_CM_SHRINK_CHANGE_MAX, // Figure 6: the largest |accuracy shrunk - unshrunk| over every lambda > 0, points
    WS_CM_SECONDS,           // training seconds: shown beside steps, never decided on (a claim cannot name it)
    WS_CM_ONLINE_ACC,        // a task's average online accuracy (continual), points
    WS_CM_STEPS_TO_TARGET,   // steps until the windowed online accuracy reached the target (continual)
    // Inside the network at a run's end (the probe: nn/inside.h, exp/table.h's WS_M_DORMANT_0 ...):
    WS_CM_DORMANT_0,         // ReDo's share of hidden units 0-dormant, %
    WS_CM_DORMANT_025,       // 0.025-dormant, %
    WS_CM_DORMANT_01,        // 0.1-dormant, %
    WS_CM_DOHARE_DORMANT,    // Dohare et al.'s dormant share, %
    WS_CM_SRANK,             // the penultimate features' srank
    WS_CM_EFFECTIVE_RANK,    // and effective rank
    WS_CM_WEIGHT_MAGNITUDE,  // mean |theta|
    WS_CM_PARAM_NORM,        // ||theta||
    WS_CM_DIST_INIT,         // ||theta - theta_0||
    WS_CM_GRAD_NORM,         // the gradient norm on the probe
    WS_CM_COUNT
} ws_claim_measure;

// Over an online run's rounds or a task sequence's tasks: the last, the mean of rounds 2 on
// (where a warm learner first starts from its own model), all (summed for steps and epochs,
// averaged for accuracies), or the first or last K ("first:K", "last:K").
typedef enum { WS_ROUNDS_LAST, WS_ROUNDS_AFTER_FIRST, WS_ROUNDS_ALL, WS_ROUNDS_FIRST_K, WS_ROUNDS_LAST_K } ws_claim_rounds;

#define WS_SHARE_SMALLEST (-1.0)
#define WS_SHARE_LARGEST (-2.0)

typedef struct {
    char id[64];
    int line;                  // its [claim ID] header's line in its file (0: from run.json)
    char says[256];            // the claim, in the report's words
    char paper[256];           // the paper's statement (and its numbers)
    char source[256];          // where the statement and its number come from
    // a - b, positive where the claim holds; b "" for a measure of a alone; b2: b is the better
    // of b and b2, chosen for each seed by the mean over the other seeds.
    char a[128], b[128], b2[128];
    int a_pick, b_pick;        // a (or b) is the learner `pick` chooses (pick_among, pick_within, pick_seeds)
    int a_best, b_best;        // a (or b) was best(PREFIX), PREFIX kept in a (b): of the learners whose names
                               // start so, the one with the highest mean selection score on the first
                               // pick_seeds seed ids (a task sequence's: the total average online accuracy,
                               // every task's online accuracy averaged; else test accuracy), tested on the
                               // others -- each method's best setting, chosen as Kumar et al. did
    char beside_a[128], beside_b[128]; // another comparison shown with the measurement (beside = A - B), ""
    ws_claim_measure measure;
    double measure_arg;        // shrink-cost's lambda; NAN: the smallest lambda > 0
    ws_claim_rounds rounds;    // online, active, continual
    int rounds_k;              // first:K, last:K
    int contrast;              // "R1 - R2": each learner's value over rounds R1 minus over R2 (a change
    ws_claim_rounds rounds2;   // along the sequence: late tasks against early ones)
    int rounds2_k;
    int rounds_given;          // `rounds` was written (only online, active and continual take it)
    int rounds_every;          // every K-th round of the range, from its first (5+1's hard tasks: 2); 1: all
    double share;              // transfer: the share of the target in percent, WS_SHARE_*; NAN: none
    char point[256];           // a sweep's point ("lr=0.01 batch=32"), "each", or ""
    char trend[64];            // a sweep axis or "share": the per-seed slope over it, times its span
    ws_claim_kind kind;
    double margin;             // equivalence, non-inferiority, every-seed
    double rules_out;          // the effect an equivalence / non-inferiority margin is to rule out
    double effect;             // the paper's number in the claim's units and direction (NAN: none)
    int effect_here;           // it was measured in this setting (so it sizes the verdict)
    double sesoi;              // the smallest effect of interest the claim declares (NAN: none)
    char sesoi_why[256];
    int exploratory;           // no verdict: shown, not tested
    char pick_among[128];      // pick: among the learners whose names start so
    double pick_within;        // pick: mean accuracy at least the reference's mean minus this (points)
    int pick_seeds;            // pick: the first N seed ids choose, the others test
} ws_claim_spec;

// A claim from its keys (an experiment file's section; `file` names it in messages, with the
// key's line). Every key is known, every value well formed, the required ones there.
ws_status ws_claim_parse(ws_ctx *ctx, const char *file, const ws_config_claim *c, ws_claim_spec *out);

// Does the claim fit the experiment (resolved: ws_experiment_check)? Its learners, measure,
// rounds or share, point and trend exist there. `point` is the sweep point being checked
// (NULL outside a sweep: e itself), with its params ("lr=0.01").
ws_status ws_claim_check(ws_ctx *ctx, const char *file, const ws_claim_spec *c, const ws_experiment *e,
                         const ws_experiment *point);

// Does the claim apply at the sweep point with these params ("lr=0.01 batch=32")? Its point
// names them (every axis, any order), or is "each", or it is a trend over the points.
int ws_claim_at_point(const ws_claim_spec *c, const char *params);

// A claim's keys as JSON ({"id": ..., "says": ..., ...}) and back, for run.json and reproduce.json.
cJSON *ws_claim_keys_json(const ws_config_claim *c);
ws_status ws_claim_keys_from_json(ws_ctx *ctx, const cJSON *o, ws_config_claim *out);

// The measure's name as written ("test-acc"), its units ("points", "steps", "%").
const char *ws_claim_measure_name(ws_claim_measure m);
const char *ws_claim_units(ws_claim_measure m);
// Is the measure of models compared at the training-accuracy threshold (so a run stopped at the
// epoch cap gives it no verdict)? Accuracy, steps and epochs are; Figures 5's and 6's are not.
int ws_claim_at_threshold(ws_claim_measure m);
// Does it sum over rounds (steps, epochs) rather than average (accuracies)?
int ws_claim_sums(ws_claim_measure m);

// The claim's measure of one run (NAN where the run lacks what it needs).
double ws_claim_value(const ws_claim_spec *c, const ws_run *r);

#endif
