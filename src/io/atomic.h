// Whole-or-absent file writes: write to "<path>.tmp.<pid>", fsync, rename.
#ifndef WS_IO_ATOMIC_H
#define WS_IO_ATOMIC_H

#include <stdio.h>

#include "core/ctx.h"

typedef struct {
    FILE *f;
    int fd; // f's descriptor, for fsync (f writes through the seam: sys.h)
    char path[1024];
    char tmp[1100];
} ws_atomic_file;

ws_status ws_atomic_open(ws_ctx *ctx, ws_atomic_file *af, const char *path);
// Flush, fsync and rename into place; on any error the temp file is removed
// and the destination is untouched.
ws_status ws_atomic_commit(ws_ctx *ctx, ws_atomic_file *af);
void ws_atomic_abort(ws_atomic_file *af);

#endif
