// Whole-file reads, for every layer that loads a file into memory (datasets,
// results files, figures' inputs).
#ifndef WS_CORE_FILE_H
#define WS_CORE_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "core/ctx.h"

// Read a whole regular file (not a directory) into *buf (ws_alloc'd; free with
// ws_free) and its size into *len. `what` names the file's role in messages
// ("CIFAR-10 batch"). On failure *buf is NULL, *len 0 and ctx->err says why.
ws_status ws_file_read(ws_ctx *ctx, const char *path, const char *what, uint8_t **buf, size_t *len);

#define WS_PATH_CAP 1024

// a/b into out (WS_PATH_CAP bytes), or the other alone when one is empty (a folder's own
// relative path is ""); WS_ERR_ARG when it does not fit.
ws_status ws_path_join(ws_ctx *ctx, char out[WS_PATH_CAP], const char *a, const char *b);

#endif
