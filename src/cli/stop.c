// Stopping a run on SIGINT or SIGTERM (Ctrl-C; scancel and Slurm's time limit): the first signal
// sets a flag that the library asks between units and, while a unit trains, before every step
// (ws_hooks.should_stop, ws_ctx.should_stop). The run then stops cleanly -- the unit in training
// abandoned, nothing of it recorded, all that finished already recorded and fsync'd -- and the
// command says what stopped it and how to resume, then ends by the same signal (the shell's status
// 130 or 143; a calling shell script stops too, as it would for a process killed by Ctrl-C). A
// second signal, or one while no run is asking (the other commands: short, or with nothing to
// keep), ends the process at once with the default action: safe, because records are appended
// whole and fsync'd and every other file is written whole or not at all (a temporary file at most
// is left, never read as data). The results folder's lock (fcntl) goes with the process.
#define _POSIX_C_SOURCE 200809L
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

// The first signal (0: none yet). Atomic, not only a volatile sig_atomic_t: the handler may run
// in any of the process's threads (OpenMP's, the jobs'), two at once for two signals, and exactly
// one of them must be the first (a lock-free compare-and-swap is async-signal-safe).
static atomic_int caught;
static volatile sig_atomic_t asking; // a run that asks the flag is under way (cli_stop_arm)
static int nargs;                    // the command line, for the resume line
static char **args;

// The signal's default action, now (async-signal-safe: sigaction, raise).
static void end_by(int sig) {
    struct sigaction dfl = {.sa_handler = SIG_DFL};
    sigemptyset(&dfl.sa_mask);
    sigaction(sig, &dfl, NULL);
    raise(sig); // inside the handler: delivered as it returns
}

static void on_signal(int sig) {
    int none = 0;
    if (!asking || !atomic_compare_exchange_strong(&caught, &none, sig)) end_by(sig); // a second signal, or no run asks
}

void cli_stop_install(int argc, char **argv) {
    nargs = argc, args = argv;
    struct sigaction sa = {.sa_handler = on_signal, .sa_flags = SA_RESTART}, was; // the library's I/O goes on
    sigemptyset(&sa.sa_mask);
    // A SIGINT ignored from the start stays so: a shell script's background commands (no job
    // control) are not meant to see the terminal's Ctrl-C.
    if (sigaction(SIGINT, NULL, &was) || was.sa_handler != SIG_IGN) sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

void cli_stop_arm(int on) { asking = on; }

int cli_stop_caught(void) { return atomic_load(&caught); }

int cli_should_stop(void *user) {
    (void)user;
    return atomic_load(&caught) != 0;
}

// One argument as the shell reads it back: as it is when every byte is plain, else in single quotes.
static void put_quoted(FILE *f, const char *a) {
    if (*a && strspn(a, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789@%_+=:,./-") == strlen(a)) {
        fputs(a, f);
        return;
    }
    fputc('\'', f);
    for (; *a; a++)
        if (*a == '\'') fputs("'\\''", f);
        else fputc(*a, f);
    fputc('\'', f);
}

// The command line as it was, with --resume (once: a --resume=VALUE becomes --resume).
static void put_resume(FILE *f) {
    int has = 0;
    for (int i = 0; i < nargs; i++) {
        const int resume = !strcmp(args[i], "--resume") || !strncmp(args[i], "--resume=", 9);
        if (i) fputc(' ', f);
        put_quoted(f, resume ? "--resume" : args[i]);
        has |= resume;
    }
    if (!has) fputs(" --resume", f);
    fputc('\n', f);
}

static const char *signal_name(int sig) { return sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : "a signal"; }

int cli_stop_report(const char *cmd, const char *err) {
    const int sig = atomic_load(&caught);
    if (!err) {
        fprintf(stderr, "warmstart %s: %s came as the run finished: its results are complete\n", cmd, signal_name(sig));
    } else {
        fprintf(stderr, "warmstart %s: stopped by %s: %s\n", cmd, signal_name(sig), err);
        fprintf(stderr, "warmstart %s: to resume: ", cmd);
        put_resume(stderr);
    }
    return 128 + sig;
}

int cli_stop_finish(int rc) {
    const int sig = atomic_load(&caught);
    if (!sig) return rc;
    fflush(NULL); // a death by signal flushes nothing
    end_by(sig);
    return 128 + sig;
}
