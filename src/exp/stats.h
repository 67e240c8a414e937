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
    WS_VERDICT_EXPLORATORY,   // no verdict: the claim picks a best on the seeds it would test on (set by the caller)
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

// ---- Distributions (own code: the incomplete beta and gamma functions) ----

// Student's t with df > 0 degrees of freedom (df need not be an integer): the CDF, and its
// inverse for 0 < p < 1 (relative accuracy about 1e-12). NAN outside the domain.
double ws_t_cdf(double t, double df);
double ws_t_quantile(double p, double df);
// The chi-square distribution's quantile, 0 < p < 1, df > 0. NAN outside the domain.
double ws_chi2_quantile(double p, double df);

// ---- The report's decision rules (docs/STATISTICS.md says them in words) ----
//
// A claim is tested on per-seed values d_1..d_n oriented so that positive is where it holds.

typedef enum {
    WS_KIND_DIFFERENCE,     // mu > 0, sized by an effect E
    WS_KIND_EQUIVALENCE,    // |mu| < margin (two one-sided tests)
    WS_KIND_NONINFERIORITY, // mu > -margin
    WS_KIND_EVERY_SEED      // every |d_i| <= margin: a deterministic property checked on each run
} ws_claim_kind;

typedef struct {
    ws_claim_kind kind;
    double margin; // EQUIVALENCE (> 0), NONINFERIORITY and EVERY_SEED (>= 0); ignored for DIFFERENCE
    double effect; // DIFFERENCE: E > 0 in the claim's units and direction, the effect that sizes
                   // the verdict; NAN (or <= 0): none
} ws_rule;

typedef struct {
    int n;           // values used: non-finite inputs are skipped and counted in `missing`
    int missing;
    double mean, sd; // sd: sample (n-1); NAN when n < 2; 0 when all_equal
    double half95;   // half-width of the two-sided 95 % t interval; NAN when n < 2 or no spread
    double lo, hi;   // the interval the decision reads: 95 % for DIFFERENCE and NONINFERIORITY, 90 %
                     // for EQUIVALENCE (TOST), the smallest and largest value for EVERY_SEED; NAN when none
    double p;        // p < 0.05 exactly when the verdict is yes or the opposite: the p-value Holm
                     // adjusts; NAN when not tested (EVERY_SEED, n < 2, no spread)
    int all_equal;   // n >= 2 and every value the same: no spread, no t interval
    ws_verdict verdict;
    double size;     // what the power advice is for: E (DIFFERENCE) or the margin; NAN when none
    int seeds_lo, seeds_hi; // UNDECIDED with a size, n >= 2 and spread: seeds for 80 % power from sd
                            // (lo) and from an upper confidence bound on sigma (hi); -1 otherwise;
                            // WS_SEEDS_CAP + 1 when beyond the cap
} ws_decision;

#define WS_DECIDE_MAX 256   // values ws_decide considers (the first ones)
#define WS_SEEDS_CAP 1000   // the power advice's cap
#define WS_SIGMA_LEVEL 0.8  // the upper bound on sigma behind seeds_hi (docs/STATISTICS.md: why)
#define WS_ALPHA 0.05       // the family's level: Holm's, and each claim's p scale

// The verdict on d[0..n) under rule r (never WS_VERDICT_EXPLORATORY or NOT_CONVERGED: the caller
// knows those).
ws_decision ws_decide(const ws_rule *r, const double *d, int n);
// Holm's step-down adjusted p-values of p[0..m) into adjusted[0..m) (not the same array): NAN
// entries are not in the family and stay NAN.
void ws_holm(const double *p, int m, double *adjusted);
// A decision's verdict after the family's adjustment: yes and the opposite survive only when
// p_adjusted < WS_ALPHA, else UNDECIDED; a decision without a p (EVERY_SEED: not in the family)
// and every other verdict are returned unchanged.
ws_verdict ws_verdict_adjusted(const ws_decision *d, double p_adjusted);
// The smallest n >= 2 with (t_{a,n-1} + t_{b,n-1}) sigma / sqrt(n) <= size: DIFFERENCE and
// NONINFERIORITY a = 0.975, b = 0.80 (80 % power of the two-sided 95 % interval at a true `size`);
// EQUIVALENCE a = 0.95, b = 0.90 (TOST at 5 % per side, true difference 0, 80 % power); cap + 1
// when no n <= cap is enough; -1 when not estimable (sigma < 0, size <= 0, either not finite,
// EVERY_SEED).
int ws_seeds_for_power(ws_claim_kind kind, double sigma, double size, int cap);
// One-sided upper confidence bound on sigma at `level`: sd * sqrt((n-1) / chi2_{1-level, n-1});
// NAN when n < 2, sd not finite or level outside (0, 1).
double ws_sigma_upper(double sd, int n, double level);

// The ratio of two paired means, mean(num) / mean(den) over the same n seeds (the share of warm's
// gap to random that a remedy closes: num_i = remedy_i - warm_i, den_i = random_i - warm_i), with
// Fieller's 95 % interval from Student's t with n-1 degrees of freedom (the set of R for which
// mean(num) - R mean(den) = 0 is not rejected). The interval is bounded only when mean(den) is
// itself distinguishable from 0 at that level (mean(den)^2 > t^2 var(mean(den))); otherwise it is
// the whole line or its complement -- the gap is not established, so no share of it is -- and
// `bounded` is 0 (lo, hi NAN).
typedef struct {
    int n;
    double ratio;    // mean(num) / mean(den); NAN when mean(den) is 0 or n < 1
    int bounded;     // 1: [lo, hi] is the interval
    double lo, hi;
} ws_ratio;
ws_ratio ws_ratio_fieller(const double *num, const double *den, int n);

#endif
