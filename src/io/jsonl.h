// Results files hold one JSON record a line (JSONL): one seed of batch, online
// or transfer, one (grid point, learner) of a sweep. This is their one reader.
#ifndef WS_IO_JSONL_H
#define WS_IO_JSONL_H

#include <cjson/cJSON.h>

#include "core/ctx.h"

// Called once per record, in file order. It may detach parts of the record to
// keep them (the reader frees what is left afterwards). A failure's message
// gets the file and line prefixed ("PATH: line N: " + message).
typedef ws_status (*ws_jsonl_record_fn)(ws_ctx *ctx, cJSON *record, void *user);

// Parse each non-blank line of path and hand it to fn. A line that is not JSON
// fails with WS_ERR_FORMAT naming the file and line. *nrecords (may be NULL)
// gets the number of records handed over.
ws_status ws_jsonl_each(ws_ctx *ctx, const char *path, ws_jsonl_record_fn fn, void *user, int *nrecords);

#endif
