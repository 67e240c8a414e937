// The command-line interface: the only code that prints and exits. Each command
// reads its options into the library's structs, calls the library, prints what
// came back. What the commands share: error lines, help, the hooks that show
// progress and print the tables (out.c).
#ifndef WS_CLI_CLI_H
#define WS_CLI_CLI_H

#include <stdio.h>

#include "exp/run.h"

// The exit status of a run whose every seed had a diverged unit: it ran, its records say
// what happened, but there are no results to assemble.
#define WS_EXIT_ALL_DIVERGED 3

// "warmstart CMD: error: MSG" on stderr; returns 1 (the exit status).
int die(const char *cmd, const char *msg);
// An experiment's error: with "(see warmstart CMD --help)" when an option or its value was bad.
int die_experiment(const char *cmd, const ws_experiment *e, const ws_ctx *ctx);
// Is "--help" or "-h" among argv?
int wants_help(int argc, char **argv);
// "usage" and the options of cmd (the library's table), as --help shows them; the learners'
// paragraph for the scenarios.
void print_help(ws_command cmd, const char *usage);

// How a command's hooks print.
typedef struct {
    const char *cmd;    // the command, for its notes ("warmstart CMD: ...")
    int tty;            // progress lines on stderr (a terminal, not --quiet)
    int draw_sweep;     // draw a sweep's figure when its table is printed
} cli_out;

// The CLI's hooks: progress and notes on stderr, the tables on stdout (a sweep point's into
// its folder's table.txt), the plan's ids on stdout.
ws_hooks cli_hooks(cli_out *o);

// What a scenario or sweep run leaves to say once it has returned (shards, single units).
void print_outcome(const ws_experiment *e, const ws_outcome *o);

// The hooks that print a scenario's and a sweep's tables (report/tables.h).
ws_status print_results(void *user, ws_ctx *ctx, const ws_scenario_results *r);
ws_status print_sweep(void *user, ws_ctx *ctx, const ws_sweep_results *s);

// SIGINT and SIGTERM (stop.c): the first stops a run that asks (cli_stop_arm) cleanly through
// its hooks' should_stop; a second, or one while none asks, ends the process at once.
// Install the handlers; argv (from the program's name on) is the command the resume line repeats.
void cli_stop_install(int argc, char **argv);
// A run that asks the flag begins (1) or ends (0).
void cli_stop_arm(int on);
// The signal caught (0: none), and the should_stop hook that returns it.
int cli_stop_caught(void);
int cli_should_stop(void *user);
// After a run a signal stopped: what stopped it, the library's message err (NULL: the run had
// finished), and the command that resumes it, on stderr. Returns 128 + the signal.
int cli_stop_report(const char *cmd, const char *err);
// The program's end: rc, or, after a signal, death by that signal (stdio flushed first).
int cli_stop_finish(int rc);

// The commands.
int cmd_scenario(ws_command scenario, int argc, char **argv);
int cmd_sweep(int argc, char **argv);
int cmd_run_file(int argc, char **argv, int plan);
int cmd_merge(int argc, char **argv);
int cmd_reproduce(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_plot(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_data(int argc, char **argv);

#endif
