// Folders: made with their parents (mkdir -p).
#ifndef WS_IO_DIR_H
#define WS_IO_DIR_H

#include "core/ctx.h"

// Create dir and any missing parents; WS_ERR_IO naming the folder that could not be made
// (or exists as something else) and why.
ws_status ws_dir_make(ws_ctx *ctx, const char *dir);

#endif
