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
// Two-sided 97.5 % quantile of Student's t with df degrees of freedom.
double ws_t975(int df);

#endif
