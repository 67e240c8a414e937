#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "core/file.h"

ws_status ws_file_read(ws_ctx *ctx, const char *path, const char *what, uint8_t **buf, size_t *len) {
    *buf = NULL;
    *len = 0;
    struct stat st;
    if (stat(path, &st) != 0) return ws_fail(ctx, WS_ERR_IO, "%s: %s", path, ws_sys_strerror(errno));
    if (S_ISDIR(st.st_mode)) return ws_fail(ctx, WS_ERR_IO, "%s: is a directory, expected a %s", path, what);
    FILE *f = ws_sys_fopen(path, "rb");
    if (!f) return ws_fail(ctx, WS_ERR_IO, "%s: %s", path, ws_sys_strerror(errno));
    size_t cap = st.st_size > 0 ? (size_t)st.st_size : 0;
    uint8_t *p = ws_alloc(ctx, cap ? cap : 1);
    if (!p) {
        fclose(f);
        return ws_nomem(ctx);
    }
    size_t got = cap ? fread(p, 1, cap, f) : 0;
    int err = ferror(f);
    fclose(f);
    if (err || got != cap) {
        ws_free(p);
        return ws_fail(ctx, WS_ERR_IO, "%s: read error (%zu of %zu bytes)", path, got, cap);
    }
    *buf = p;
    *len = cap;
    return WS_OK;
}

ws_status ws_path_join(ws_ctx *ctx, char out[WS_PATH_CAP], const char *a, const char *b) {
    int n = a[0] && b[0] ? snprintf(out, WS_PATH_CAP, "%s/%s", a, b) : snprintf(out, WS_PATH_CAP, "%s", a[0] ? a : b);
    return n < 0 || n >= WS_PATH_CAP ? ws_fail(ctx, WS_ERR_ARG, "%s/%s: path too long", a, b) : WS_OK;
}
