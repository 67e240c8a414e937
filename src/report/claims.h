// The paper's claims, checked against measurements: for each artefact of
// `warmstart reproduce` (by its name), the statements it makes -- "warm start
// generalises worse than random initialisation", "warm trains faster",
// "shrink-perturb matches random at less compute", ... -- each tested on the
// artefact's results, paired by seed, and given a verdict computed from the
// data (exp/stats.h): it holds (the 95 % interval of the paired difference lies
// on the claim's side of zero), the data say the opposite, or neither -- then
// "not shown" when the interval is narrower than the paper's effect (the run
// could have seen it), "undecided" when it is not (the run could not), with
// the seeds that would decide it estimated from the run's own spread. A claim
// whose runs stopped at the epoch cap before the threshold gets no verdict.
#ifndef WS_REPORT_CLAIMS_H
#define WS_REPORT_CLAIMS_H

#include <stddef.h>

#include "core/ctx.h"
#include "exp/stats.h"

// Seeds-to-decide estimates above this are printed as "> WS_SEEDS_CAP".
#define WS_SEEDS_CAP 1000

typedef struct {
    char where[160];      // the grid point or share ("model=mlp opt=adam"), or ""
    char claim[200];      // what is claimed
    char tag[64];         // the claim in a few words, for the forest plot's row ("gap", "faster (s)")
    char paper[200];      // the paper's number or wording
    char measured[240];   // ours: the paired difference, mean ± 95 % CI over n seeds
    ws_verdict verdict;
    // The numbers behind the verdict, NAN where there are none (a claim on means, no data).
    double mean;          // the paired difference's mean, in units, positive where the claim holds
    double half;          // its 95 % half-width: the smallest difference this run could have shown
    double sd;            // the paired differences' standard deviation
    int n;                // seeds paired
    double effect;        // the paper's effect in the same units and direction (NAN: no number);
                          // 0 for an equivalence claim ("alike", "within 1 point")
    double tolerance;     // an equivalence claim's tolerance (> 0), which sizes it; 0 otherwise
    int two_sided;        // the tolerance applies both ways (|d| < tolerance), not just d > -tolerance
    char units[16];       // "points", "%", "s", "steps"
    int seeds_needed;     // UNDECIDED: seeds for an interval narrower than the size (WS_SEEDS_CAP+1:
                          // more than the cap); -1: no estimate (one seed: no spread)
    char not_converged[200]; // NOT_CONVERGED: which runs stopped at the cap ("2 of 3 warm runs (seeds 1, 3)")
} ws_claim;

// The claim's name on a plot's row, after its artefact's name: its where (shortened) and its
// tag -- " 5 %: gap", or ": gap" without a where.
void ws_claim_label(const ws_claim *c, char *out, size_t cap);

// The size a claim's interval is judged against: its tolerance, else |effect|; NAN: none.
double ws_claim_size(const ws_claim *c);

// Short words, for column heads and counts: "yes", "not shown", "undecided",
// "no: the opposite", "no verdict", "no data".
const char *ws_verdict_word(ws_verdict v);

// The verdict in full, as the report's cell states it: "not shown: the interval includes 0
// and is narrower than the paper's effect", "undecided: ...", "no verdict: runs stopped at
// the epoch cap: ...", with the wording for equivalence claims and for claims the paper
// gives no number for.
void ws_claim_verdict_text(const ws_claim *c, char *out, size_t cap);

// Check artefact `name`'s claims on its results in dir (a scenario's folder,
// or a sweep's, whose every point is checked). Unknown names have none.
ws_status ws_claims_check(ws_ctx *ctx, const char *name, const char *dir, ws_claim *out, int cap, int *n);

#endif
