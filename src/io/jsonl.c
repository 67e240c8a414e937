#include "io/jsonl.h"

#include <stdint.h>

#include "core/file.h"

static int blank(const uint8_t *s, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r') return 0;
    return 1;
}

ws_status ws_jsonl_each(ws_ctx *ctx, const char *path, ws_jsonl_record_fn fn, void *user, int *nrecords) {
    if (nrecords) *nrecords = 0;
    uint8_t *buf;
    size_t len;
    ws_status st = ws_file_read(ctx, path, "results file (JSONL)", &buf, &len);
    if (st) return st;
    size_t line = 1;
    for (size_t i = 0; i < len && !st; line++) {
        size_t j = i;
        while (j < len && buf[j] != '\n') j++;
        if (!blank(buf + i, j - i)) {
            cJSON *rec = cJSON_ParseWithLength((const char *)buf + i, j - i);
            if (!rec) {
                st = ws_ctx_out_of_memory(ctx) ? ws_nomem(ctx) : ws_fail(ctx, WS_ERR_FORMAT, "%s: line %zu: not JSON", path, line);
                break;
            }
            st = fn(ctx, rec, user);
            cJSON_Delete(rec);
            if (st) ws_fail_prefix(ctx, st, "%s: line %zu: ", path, line);
            else if (nrecords) (*nrecords)++;
        }
        i = j + 1;
    }
    ws_free(buf);
    return st;
}
