// Sweeps: one scenario run per point of a grid (lr x batch x weight decay, a
// learner's parameters, phase-1 epochs, augmentation on/off, ...), each point
// reduced to what the paper compares -- per learner, the test accuracy and the
// compute it took to converge -- and the Pareto front of accuracy against
// seconds over every (point, learner).
#ifndef WS_EXP_SWEEP_H
#define WS_EXP_SWEEP_H

#include <stdint.h>

#include "core/ctx.h"
#include "exp/stats.h"
#include "exp/table.h"
#include "learn/learner.h"

#define WS_SWEEP_MAX_SEEDS 256

// One learner at one point, over seeds.
typedef struct {
    char learner[64];
    int n;                               // seeds
    double acc[WS_SWEEP_MAX_SEEDS];      // test accuracy (online: the last round; transfer: the largest share)
    double seconds[WS_SWEEP_MAX_SEEDS];  // training seconds (online: all rounds; transfer: all shares)
    double epochs[WS_SWEEP_MAX_SEEDS];   // epochs (same sums)
    uint8_t converged_seed[WS_SWEEP_MAX_SEEDS]; // reached the threshold in every run of the seed
} ws_sweep_cell;

// Seeds (of n) whose runs all reached the threshold.
int ws_sweep_converged(const ws_sweep_cell *c);

typedef struct {
    int ncells;
    ws_sweep_cell cells[WS_MAX_LEARNERS];
} ws_sweep_point;

// A point of a results table (exp/table.h) reduced to per-learner cells: each learner's
// seeds in ascending order of their ids (the run the others start from, phase 1 or the
// pretraining, left out), its final accuracy, and seconds and epochs summed over its stages.
void ws_sweep_cells(const ws_table *t, const ws_point *p, ws_sweep_point *out);

// One entry of a sweep: a learner at a point, over seeds.
typedef struct {
    int point;
    char params[512];              // "lr=0.01 batch=32"
    ws_sweep_cell cell;
    ws_summary acc, seconds, epochs; // accuracy as a fraction
    uint8_t pareto;                // no entry both more accurate and faster
} ws_sweep_entry;

// Point p's entries (its cells, ws_sweep_cells, summarised over seeds) into out[0..cap): their
// count. The run, the report and the figures all reduce a sweep so.
int ws_sweep_entries(const ws_table *t, const ws_point *p, ws_sweep_entry *out, int cap);
// Each entry's pareto mark by its means: accuracy against seconds (ws_pareto's rule).
void ws_sweep_mark_front(ws_sweep_entry *e, int n);
// Every entry of a sweep's table, point by point, the front marked: a malloc'd array of *n
// (NULL with *n 0: no memory, or no entries).
ws_sweep_entry *ws_sweep_table(const ws_table *t, int *n);

// pareto[i] = 1 when no other entry has accuracy >= acc[i] and seconds <=
// seconds[i] with one of the two strict (higher accuracy, fewer seconds).
void ws_pareto(const double *acc, const double *seconds, int n, uint8_t *pareto);

// The paper's lr x batch finding (its section 3: warm models that generalise as well as
// random ones take as long to train), on points' means: the best random point by accuracy
// (the first of equals), and among the warm points whose accuracy is within `margin` of it
// the fastest (-1: none), with how many there are.
typedef struct {
    int best_random, fastest_match, nmatched;
} ws_sweep_match;

ws_sweep_match ws_sweep_match_random(const double *random_acc, int nrandom, const double *warm_acc,
                                     const double *warm_seconds, int nwarm, double margin);

#endif
