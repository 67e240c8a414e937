// The remedies' table: for an online run or a task sequence whose learners include "warm" and
// "random" (a fresh network every round or task), each learner's accuracy, its gradient steps,
// the share of warm's gap to random it closes with Fieller's 95 % interval (exp/stats.h:
// ws_ratio_fieller), and the dormant share and feature srank inside its network at the end;
// marked where it is on the Pareto front of accuracy against gradient steps. What each column is:
// experiments/README.md ("The remedies' table"); the interval: docs/STATISTICS.md.
#ifndef WS_REPORT_REMEDIES_TABLE_H
#define WS_REPORT_REMEDIES_TABLE_H

#include "core/ctx.h"
#include "exp/stats.h"
#include "exp/table.h"
#include "report/page.h"

typedef struct {
    const char *name;   // the learner's (the table's string)
    ws_summary acc;     // online: mean test accuracy % over the rounds after the first; continual:
                        // mean online accuracy % over the last quarter of the tasks (at least one,
                        // where a loss of plasticity shows) -- per seed, then over seeds
    ws_summary steps;   // gradient steps, summed over the rounds or tasks
    ws_ratio gap;       // (acc - warm's) / (random's - warm's), paired by seed: warm 0, random 1
    ws_summary dormant; // % of hidden units 0.1-dormant (ReDo's tau) at the last round or task
    ws_summary srank;   // the penultimate features' srank at the last round or task
    int pareto;         // no other learner has a higher mean accuracy with no more mean steps
} ws_remedy_row;

// The rows of point 0 of t, one per learner in the table's order, into rows[0..cap): their
// number; 0 when t is neither online nor continual or lacks "warm" or "random".
int ws_remedy_rows(const ws_table *t, ws_remedy_row *rows, int cap);

// The table on the page (nothing when there are no rows).
void ws_remedies_section(ws_page *p, const ws_table *t);

// The Pareto figure, accuracy against gradient steps, each learner a point (its means over
// seeds) and the front a dashed line: outdir/remedies_pareto.{png,svg} (nothing without rows).
ws_status ws_plot_remedies(ws_ctx *ctx, const ws_table *t, const char *outdir, int *nfigs);

#endif
