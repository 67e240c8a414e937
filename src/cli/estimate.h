// --estimate for run and reproduce (cmd_estimate.c).
#ifndef WS_CLI_ESTIMATE_H
#define WS_CLI_ESTIMATE_H

#include "exp/estimate.h"

typedef struct {
    int on;                 // --estimate
    const char *budget;     // --budget D as given (NULL: none)
    double budget_s;        // and in seconds (exp/options.h: ws_duration_parse)
    // What an array task runs, for the sbatch line printed with a budget: run FILE into out
    // (scripts/slurm-array.sh), or, file NULL, reproduce at `scale` into out.
    const char *file, *out, *scale;
} cli_estimate_opts;

// A Slurm --time of `seconds`: [D-]HH:MM:SS into buf.
void cli_slurm_time(double seconds, char *buf, size_t cap);

// reproduce: take --estimate and --budget D out of argv[0..*argc) into o (the budget parsed as the
// option table's --budget is: a bad one refused with its message into ctx). Non-zero: refused.
int cli_estimate_strip(ws_ctx *ctx, int *argc, char **argv, cli_estimate_opts *o);

// Print est[0..n) (names[i] each) with the total; with a budget, or paper (core-hours), the
// cluster's share. Returns the exit status.
int cli_estimate_print(const char *const *names, const ws_estimate *est, int n, const cli_estimate_opts *o, int paper);

#endif
