// Shared by the libFuzzer harnesses (tests/fuzz/run.sh builds and runs them).
// Loaders that take a path get the input through a per-process file in /dev/shm.
#ifndef WS_FUZZ_COMMON_H
#define WS_FUZZ_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/ctx.h"
#include "data/dataset.h"
#include "data/loaders.h"

static inline void fuzz_ctx(ws_ctx *ctx) {
    memset(ctx, 0, sizeof *ctx);
    ctx->threads = 1;
}

static inline const char *fuzz_write(const char *tag, const uint8_t *data, size_t size) {
    static char path[2][256];
    char *p = path[tag[0] == 'b'];
    snprintf(p, sizeof path[0], "/dev/shm/warmstart-fuzz-%d-%s", (int)getpid(), tag);
    FILE *f = fopen(p, "wb");
    if (!f) abort();
    if (size && fwrite(data, 1, size, f) != size) abort();
    fclose(f);
    return p;
}
static inline const char *fuzz_file(const uint8_t *data, size_t size) { return fuzz_write("a", data, size); }
static inline const char *fuzz_file2(const uint8_t *data, size_t size) { return fuzz_write("b", data, size); }

#endif
