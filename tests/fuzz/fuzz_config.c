// libFuzzer harness: the experiment-file parser (libinih underneath), fed the
// input bytes as they are (not NUL-terminated, so a read past them shows). It
// also checks what a parse promises: on success a known scenario, at most
// WS_EXP_MAX_ENTRIES entries per section, keys of [A-Za-z0-9_.-], non-empty
// values, line numbers in file order and within the input; on failure one
// line of message naming the input, and nothing parsed. Each [claim ID]
// section is read as a claim too (exp/claim.h): parsed or refused with one
// line naming the file and the claim.
#include "exp/claim.h"
#include "fuzz_common.h"
#include "io/config.h"

static void check_entries(const ws_config_entry *e, int n, int nlines) {
    if (n < 0 || n > WS_EXP_MAX_ENTRIES) abort();
    for (int i = 0; i < n; i++) {
        if (!e[i].key[0] || !e[i].value[0] || e[i].line < 1 || e[i].line > nlines) abort();
        if (i && e[i].line <= e[i - 1].line) abort();
        if (strspn(e[i].key, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") != strlen(e[i].key))
            abort();
        for (int j = 0; j < i; j++)
            if (!strcmp(e[i].key, e[j].key)) abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    ws_ctx ctx;
    fuzz_ctx(&ctx);
    static ws_config_file f; // 2 MB
    int nlines = 1;
    for (size_t i = 0; i < size; i++) nlines += data[i] == '\n';
    ws_status st = ws_config_parse(&ctx, (const char *)data, size, "fuzz.ini", &f);
    if (st == WS_OK) {
        if (strcmp(f.scenario, "batch") && strcmp(f.scenario, "online") && strcmp(f.scenario, "active") &&
            strcmp(f.scenario, "transfer"))
            abort();
        if (f.scenario_line < 1 || f.scenario_line > nlines) abort();
        check_entries(f.options, f.noptions, nlines);
        check_entries(f.axes, f.naxes, nlines);
        if (f.nclaims < 0 || f.nclaims > WS_CONFIG_MAX_CLAIMS) abort();
        for (int i = 0; i < f.nclaims; i++) {
            static ws_claim_spec c;
            if (f.claims[i].nkeys < 0 || f.claims[i].nkeys > WS_CONFIG_CLAIM_KEYS) abort();
            if (ws_claim_parse(&ctx, "fuzz.ini", &f.claims[i], &c) &&
                (strncmp(ctx.err, "fuzz.ini", 8) || !strstr(ctx.err, f.claims[i].id) || strchr(ctx.err, '\n')))
                abort();
        }
    } else {
        if (strncmp(ctx.err, "fuzz.ini:", 9) || strchr(ctx.err, '\n')) abort();
        if (f.scenario[0] || f.noptions || f.naxes || f.nclaims) abort();
    }
    return 0;
}
