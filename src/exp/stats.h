// Summary statistics for results over seeds: mean and the half-width of a 95 %
// confidence interval from Student's t with n-1 degrees of freedom.
#ifndef WS_EXP_STATS_H
#define WS_EXP_STATS_H

typedef struct {
    int n;
    double mean;
    double sd;     // sample standard deviation (n-1); 0 when n < 2
    double ci95;   // half-width; NAN when n < 2 (no interval from one run)
} ws_summary;

ws_summary ws_summarize(const double *x, int n);

// Verdicts on per-seed differences, computed here and nowhere else: a claim holds when the
// 95 % interval of the paired difference lies on its side of zero, is not shown when the
// interval includes zero (or there is no interval: one seed), and the data say the opposite
// when it lies on the other side. ws_verdict_sized then asks whether the run could have seen
// the effect at all (its power), and the report adds the runs that never reached the
// threshold (no verdict) -- the enum's order is the report's columns' order.
typedef enum {
    WS_VERDICT_HOLDS,         // "yes"
    WS_VERDICT_NOT_SHOWN,     // the interval includes 0 and is narrower than the effect it was sized by
    WS_VERDICT_UNDECIDED,     // the interval includes 0 and is at least as wide as that effect
    WS_VERDICT_OPPOSITE,      // "no: the opposite"
    WS_VERDICT_NOT_CONVERGED, // no verdict: runs stopped at the epoch cap before the threshold
    WS_VERDICT_NO_DATA,
    WS_VERDICT_COUNT
} ws_verdict;

// The verdict on d[0..n) (at most 256), positive where the claim holds (margin: the claim
// is d > -margin, e.g. "within 1 point"); *s gets the summary of d. Three outcomes only:
// HOLDS, NOT_SHOWN (interval includes the boundary, or one seed), OPPOSITE; NO_DATA for n 0.
ws_verdict ws_verdict_paired(const double *d, int n, double margin, ws_summary *s);

// Power: a NOT_SHOWN verdict of n seeds whose interval has half-width `half`, sized against
// `size` (the paper's effect |E| in the claim's units, or an equivalence claim's tolerance):
// UNDECIDED when half >= size -- an interval that wide would include 0 even if the paper's
// effect were there, so the run could not have shown it -- and when there is no interval at
// all (one seed); NOT_SHOWN when half < size (the run could have detected the effect and did
// not). Without a size (NAN or 0: the paper gives no number) a NOT_SHOWN stays NOT_SHOWN.
// Other verdicts are returned as they are.
ws_verdict ws_verdict_sized(ws_verdict v, int n, double half, double size);

// Seeds to decide: the smallest n >= 2 with ws_t975(n-1) * sd / sqrt(n) < size, i.e. the
// number of seeds whose 95 % interval, at this run's spread sd of the paired differences,
// would be narrower than size; cap + 1 when no n <= cap is enough; -1 when it cannot be
// estimated (sd or size not finite, size <= 0).
int ws_seeds_to_decide(double sd, double size, int cap);

// Two-sided 97.5 % quantile of Student's t with df degrees of freedom.
double ws_t975(int df);

#endif
