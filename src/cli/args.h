// A small table-driven option parser for the CLI: every option names its kind
// and destination, so parsing, validation messages and --help come from one
// table. Only the CLI prints; these functions return a message.
#ifndef WS_CLI_ARGS_H
#define WS_CLI_ARGS_H

#include <stdint.h>

typedef enum { ARG_FLAG, ARG_INT, ARG_I64, ARG_FLOAT, ARG_DOUBLE, ARG_STRING, ARG_INTLIST } arg_kind;

typedef struct {
    const char *name;    // "--lr"
    arg_kind kind;
    void *dest;          // int*, int64_t*, float*, double*, const char**, or int_list*
    const char *meta;    // "X" in "--lr X"
    const char *help;    // NULL: an internal option, left out of --help
    double min, max;     // numeric bounds (inclusive) when min < max
    int seen;
} arg_spec;

typedef struct {
    int n;
    int v[16];
} int_list;

// Parse argv[0..argc) against specs (terminated by name == NULL). On error
// returns -1 with a message in err.
int args_parse(arg_spec *specs, int argc, char **argv, char *err, int errcap);
void args_help(const arg_spec *specs, const char *usage);
const arg_spec *args_find(const arg_spec *specs, const char *name);

#endif
