// --estimate for run and reproduce (cmd_estimate.c).
#ifndef WS_CLI_ESTIMATE_H
#define WS_CLI_ESTIMATE_H

#include "exp/estimate.h"

typedef struct {
    int on;                 // --estimate
    const char *budget;     // --budget DURATION (NULL: none)
} cli_estimate_opts;

// Take --estimate and --budget D out of argv[0..*argc) into o; non-zero: --budget without a value.
int cli_estimate_strip(int *argc, char **argv, cli_estimate_opts *o);

// Print est[0..n) (names[i] each) with the total; with a budget, or paper (core-hours), the
// cluster's share. Returns the exit status (a bad --budget refused).
int cli_estimate_print(const char *cmd, ws_ctx *ctx, const char *const *names, const ws_estimate *est, int n,
                       const cli_estimate_opts *o, int paper);

#endif
