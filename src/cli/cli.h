// What the CLI's commands share (main.c): error lines, folders, tables,
// JSONL output, and running a scenario command from another (sweep).
#ifndef WS_CLI_CLI_H
#define WS_CLI_CLI_H

#include <cJSON.h>
#include <stddef.h>

#include "core/ctx.h"
#include "exp/online.h"

#define WS_CLI_VERSION "0.1.0"

// "warmstart CMD: error: MSG" on stderr; returns 1 (the exit status).
int die(const char *cmd, const char *msg);
// mkdir -p; on failure prints one line and returns 1.
int ensure_dir(const char *cmd, const char *dir, ws_ctx *ctx);
// "mean ± ci" (or the mean alone for one value) of x[0..n) * scale.
void fmt_summary(char *buf, size_t cap, const double *x, int n, double scale, int decimals);
// s left-aligned in `width` columns (UTF-8 aware).
void print_cell(const char *s, int width);
// DIR/NAME as JSONL, atomically, each record with `config` attached (records consumed).
int write_jsonl(const char *cmd, ws_ctx *ctx, const char *dir, const char *name, cJSON *config, cJSON **recs, int n);
// Progress on stderr (a terminal only): epochs, rounds.
typedef struct {
    int tty;
    int seeds;
} progress;
void on_epoch(void *user, uint64_t seed, const char *learner, const ws_epoch_record *rec);
void on_round(void *user, uint64_t seed, const char *learner, const ws_online_round *r);
void progress_done(progress *p);

// Run scenario command `cmd` (batch, online, active, transfer) with its
// arguments; -1 if cmd is not one. Returns the command's exit status.
int cli_run_scenario(const char *cmd, int argc, char **argv);
// warmstart sweep (cli/sweep.c).
int cmd_sweep(int argc, char **argv);
// warmstart run|plan FILE [options]: argv as main's (argv[1] is "run" or "plan", argv[2] the file).
int cli_run_file(int argc, char **argv, int plan);
// warmstart reproduce (cli/reproduce.c).
int cmd_reproduce(int argc, char **argv);

#endif
