// Text tables of results, as the CLI prints them and a program may: a scenario's
// (per learner, mean ± 95 % CI over seeds of test accuracy, epochs, seconds, how many
// runs converged, and each learner's gap to the one named "random", paired by seed,
// with its verdict from exp/stats.h) and a sweep's (per point and learner, with the
// Pareto front and the paper's lr x batch finding). Written to any FILE.
#ifndef WS_REPORT_TABLES_H
#define WS_REPORT_TABLES_H

#include <stdio.h>

#include "exp/run.h"

// The tables of a scenario's results, a note on the seeds left out, where the files are;
// or, without results, why.
void ws_table_results(FILE *f, const ws_scenario_results *r);

// A sweep's table (the figure and the files' names are the caller's to add).
void ws_table_sweep(FILE *f, const ws_sweep_results *s);

// "mean ± ci" (the mean alone for one value) of x[0..n) * scale, in buf.
void ws_table_summary(char *buf, size_t cap, const double *x, int n, double scale, int decimals);
// s left-aligned in `width` columns (UTF-8 aware).
void ws_table_cell(FILE *f, const char *s, int width);

#endif
