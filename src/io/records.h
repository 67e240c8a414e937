// Append-only result records: one JSON object a line. Each record is appended
// with a single write() of the whole line and fsync'd before the call returns,
// so once a unit of work is reported done, its record is on disk; a line cut
// short (a crash mid-write, a full disk, a power cut between the write and the
// fsync) is whole or absent to every reader. The torn tail -- the bytes after
// the last newline, and any last lines holding a NUL byte (blocks a power cut
// left zero-filled) -- is ignored by readers and, when the file is opened for
// appending again, copied into a new side file PATH.torn.N (fsync'd, never
// overwritten) before it is cut away (docs/RELIABILITY.md, "Torn tails"); a
// failed append truncates what it wrote.
#ifndef WS_IO_RECORDS_H
#define WS_IO_RECORDS_H

#include <cjson/cJSON.h>

#include "core/ctx.h"
#include "io/jsonl.h"

typedef struct {
    int fd;
    char path[1200];
    long long torn;       // bytes of a torn tail set aside when opened (0: none) ...
    char torn_path[1220]; // ... into this side file (the io layer has no hooks: its caller says so)
} ws_records;

// Create path or open it for appending (a torn tail set aside: torn, torn_path).
ws_status ws_records_open(ws_ctx *ctx, ws_records *r, const char *path);
ws_status ws_records_append(ws_ctx *ctx, ws_records *r, const cJSON *record);
void ws_records_close(ws_records *r);

// Hand every whole record of path to fn, in order (a missing file has none).
// A whole line that is not a JSON object fails naming the file and line.
ws_status ws_records_each(ws_ctx *ctx, const char *path, ws_jsonl_record_fn fn, void *user, int *nrecords);

#endif
