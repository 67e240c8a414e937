// JSON files: written whole or not at all, read back.
#ifndef WS_IO_JSON_H
#define WS_IO_JSON_H

#include <cjson/cJSON.h>

#include "core/ctx.h"

// path as j's indented text and a newline, atomically (io/atomic.h).
ws_status ws_json_write_file(ws_ctx *ctx, const char *path, const cJSON *j);

// The JSON in path (at most 16 MiB), or NULL with the reason in ctx->err (WS_ERR_IO naming
// the file and the system's reason; WS_ERR_FORMAT when it does not parse).
cJSON *ws_json_read_file(ws_ctx *ctx, const char *path);

// cJSON_AddItemToObject and cJSON_AddItemToArray that never leak: an item that cannot be added
// (its parent NULL because the parent's own allocation failed, or the key's copy failed) is freed.
// The item, or NULL when it was not added. The library builds JSON with these, never the two.
cJSON *ws_json_put(cJSON *object, const char *key, cJSON *item);
cJSON *ws_json_push(cJSON *array, cJSON *item);

// A number field of a record (a boolean reads as 0 or 1); WS_ERR_FORMAT naming it when absent.
ws_status ws_json_number(ws_ctx *ctx, const cJSON *j, const char *key, double *out);

#endif
