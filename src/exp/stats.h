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
// when it lies on the other side.
typedef enum { WS_VERDICT_HOLDS, WS_VERDICT_NOT_SHOWN, WS_VERDICT_OPPOSITE, WS_VERDICT_NO_DATA } ws_verdict;

// The verdict on d[0..n) (at most 256), positive where the claim holds (margin: the claim
// is d > -margin, e.g. "within 1 point"); *s gets the summary of d.
ws_verdict ws_verdict_paired(const double *d, int n, double margin, ws_summary *s);
// Two-sided 97.5 % quantile of Student's t with df degrees of freedom.
double ws_t975(int df);

#endif
