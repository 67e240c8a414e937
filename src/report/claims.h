// The claims engine: any claim declared as data (exp/claim.h) evaluated on a results table
// (exp/table.h). For each claim: its per-seed values, paired by seed id (missing ones left out
// and counted), over the rounds, share, point or trend it names; the decision of
// exp/stats.h (ws_decide) under its kind, sized by the paper's effect where it was measured in
// this setting, else by the smallest effect of interest it declares; no verdict where a run
// behind it stopped at the epoch cap, or where it is exploratory; then, over the report's
// family of confirmatory claims (each set of runs counted once), Holm's adjustment. Nothing
// here knows an artefact's name or a paper's number: they come with the claims.
#ifndef WS_REPORT_CLAIMS_H
#define WS_REPORT_CLAIMS_H

#include <stddef.h>

#include "core/ctx.h"
#include "exp/claim.h"
#include "exp/stats.h"
#include "exp/table.h"

typedef struct {
    char artefact[64];        // the experiment it belongs to ("" outside a reproduction)
    char id[128];             // the claim's id; "ID@POINT" for each point of `point = each`
    char where[256];          // where it was measured, in words ("lr=0.01", "rounds 2 on", "5 % of the target")
    ws_claim_spec spec;       // as declared (spec.point: the point it was evaluated at)
    char units[16];
    ws_decision d;            // the decision on its values (exp/stats.h)
    ws_verdict verdict;       // d.verdict, or WS_VERDICT_EXPLORATORY, _NOT_CONVERGED, _NO_DATA
    double size;              // what sized the verdict and the advice: E, the declared smallest effect
                              // of interest, or the margin; NAN: none
    char size_origin[160];    // where the size comes from, in words ("" none)
    int effect_elsewhere;     // the paper's number is from another setting: shown beside, not sizing
    int in_family;            // among the confirmatory claims Holm adjusts over
    char out_of_family[160];  // why not (exploratory, the same runs as another artefact, no test, ...)
    double p_adjusted;        // Holm's, NAN outside the family
    ws_verdict adjusted;      // the verdict after the adjustment
    char capped[240];         // the runs that stopped at the epoch cap ("2 of 3 warm runs (seeds 1, 3)")
    char measured[300];       // "+1.23 ± 0.45 points (5 seeds)", with what is missing or all equal
    char beside[300];         // shown with it: the seconds of a steps claim, a declared `beside`
    char pick[300];           // a pick's choice, and on which seeds
} ws_claim;

// Evaluate specs[0..nspecs) on t into out[*n..cap), *n advanced (a claim over `point = each`
// gives one per point). standin: the runs are on stand-in data, so every paper number is from
// another setting. artefact names them in out.
ws_status ws_claims_evaluate(ws_ctx *ctx, const ws_table *t, const ws_claim_spec *specs, int nspecs, int standin,
                             const char *artefact, ws_claim *out, int cap, int *n);

// Holm over the claims with in_family set: p_adjusted and adjusted for every claim (outside the
// family: NAN and the verdict itself).
void ws_claims_adjust(ws_claim *c, int n);

// How many false "yes" chance alone gives the family when every claim's effect is null:
// 2.5 % of each difference or non-inferiority claim, 5 % of each equivalence claim at its margin.
double ws_claims_chance_yes(const ws_claim *c, int n);

// Short words, for column heads and counts: "yes", "not shown", "undecided", "no: the
// opposite", "exploratory", "no verdict", "no data".
const char *ws_verdict_word(ws_verdict v);
// The verdict in full, as the report's cell states it.
void ws_claim_verdict_text(const ws_claim *c, char *out, size_t cap);
// The claim's row name on a plot: "ID where".
void ws_claim_label(const ws_claim *c, char *out, size_t cap);
// The number to draw the paper's effect at (NAN: none): the paper's effect, or 0 for a margin claim.
double ws_claim_paper_value(const ws_claim *c);

// claims.json: one object per claim (id, artefact, text, kind, learners, measure, where, n,
// missing, mean, half95, the effect that sized it and its origin, the paper's number and its
// setting, verdict, adjusted verdict, p, adjusted p, seeds for 80 % power), and the family's
// size and chance "yes". Whole or absent.
ws_status ws_claims_write_json(ws_ctx *ctx, const char *path, const ws_claim *c, int n);

#endif
