// The paper's claims, checked against measurements: for each artefact of
// `warmstart reproduce` (by its name), the statements it makes -- "warm start
// generalises worse than random initialisation", "warm trains faster",
// "shrink-perturb matches random at less compute", ... -- each tested on the
// artefact's results, paired by seed, and given a verdict computed from the
// data: it holds (the 95 % interval of the paired difference lies on the
// claim's side of zero), it is not shown at this scale (the interval includes
// zero), or the data say the opposite.
#ifndef WS_REPORT_CLAIMS_H
#define WS_REPORT_CLAIMS_H

#include "core/ctx.h"
#include "exp/stats.h"

typedef struct {
    char where[160];      // the grid point or share ("model=mlp opt=adam"), or ""
    char claim[200];      // what is claimed
    char paper[200];      // the paper's number or wording
    char measured[240];   // ours: the paired difference, mean ± 95 % CI over n seeds
    ws_verdict verdict;
} ws_claim;

// "yes", "not shown", "no: the opposite", "no data".
const char *ws_verdict_word(ws_verdict v);

// Check artefact `name`'s claims on its results in dir (a scenario's folder,
// or a sweep's, whose every point is checked). Unknown names have none.
ws_status ws_claims_check(ws_ctx *ctx, const char *name, const char *dir, ws_claim *out, int cap, int *n);

#endif
