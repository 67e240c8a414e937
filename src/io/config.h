// Experiment files: a scenario, its options and sweep axes in one INI file,
// read with libinih (Debian's libinih-dev, used as shipped). docs/EXPERIMENT-FILES.md.
//
//   # comment                    ('#' or ';' at the start of a line)
//   scenario = online            (before any section: batch | online | active | transfer)
//   [options]                    (the scenario command's long options without dashes)
//   lr = 0.001
//   augment = true               (flags: true/false, on/off, yes/no, 1/0 -- interpreted by the CLI)
//   [grid]                       (sweep axes; the same as `warmstart sweep --grid KEY=V,V`)
//   lr = 0.001,0.01
//   [claim gap]                  (a claim the results are tested on: exp/claim.h, docs/EXPERIMENT-FILES.md)
//   says = warm start generalises worse than random
//
// Keys are [A-Za-z0-9_.-]+ (`phase1-epochs`, `shrink-perturb.lambda`), at most
// one of each per section. Values are kept as written (whitespace around them
// trimmed, a ' ;' comment after them dropped); the CLI interprets them. Lines
// are at most what libinih reads (198 characters as Debian ships it); a value
// ending in ',' goes on over indented lines, joined as they are (long lists).
#ifndef WS_IO_CONFIG_H
#define WS_IO_CONFIG_H

#include <stddef.h>

#include "core/ctx.h"

#define WS_EXP_MAX_ENTRIES 128
#define WS_CONFIG_MAX_CLAIMS 64
#define WS_CONFIG_CLAIM_KEYS 24

typedef struct {
    char key[64];
    char value[8192]; // a list of learners over many lines (a paper's whole sweep) fits
    int line; // 1-based line in the file
} ws_config_entry;

// A [claim ID] section: its keys as written (exp/claim.h reads them).
typedef struct {
    char key[32];
    char value[256];
    int line;
} ws_config_claim_entry;

typedef struct {
    char id[64]; // [claim ID]: letters, digits and '-'
    int line;    // the header's line
    int nkeys;
    ws_config_claim_entry keys[WS_CONFIG_CLAIM_KEYS];
} ws_config_claim;

typedef struct {
    char path[512]; // the name given (the file's path), for messages
    char scenario[32];
    int scenario_line;
    int noptions, naxes;
    ws_config_entry options[WS_EXP_MAX_ENTRIES]; // [options], in file order
    ws_config_entry axes[WS_EXP_MAX_ENTRIES];    // [grid], in file order
    int nclaims;
    ws_config_claim claims[WS_CONFIG_MAX_CLAIMS]; // [claim ID] sections, in file order
} ws_config_file;

// Parse text (len bytes, need not be NUL-terminated; `name` used in messages).
// A failure (WS_ERR_FORMAT) leaves one message "NAME:LINE: reason" in ctx->err
// and *out empty (no scenario, no entries).
ws_status ws_config_parse(ws_ctx *ctx, const char *text, size_t len, const char *name, ws_config_file *out);

// Read and parse a file (at most 1 MiB). A missing or unreadable file fails
// with WS_ERR_IO naming the path and the system's reason.
ws_status ws_config_read(ws_ctx *ctx, const char *path, ws_config_file *out);

#endif
