#define _POSIX_C_SOURCE 200809L
#include "io/records.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

// The length of path's whole lines: up to and including its last newline.
static ws_status whole_length(ws_ctx *ctx, int fd, const char *path, off_t *out) {
    struct stat sb;
    if (fstat(fd, &sb) != 0) return ws_fail(ctx, WS_ERR_IO, "%s: %s", path, ws_sys_strerror(errno));
    off_t end = sb.st_size;
    char buf[4096];
    while (end > 0) {
        off_t from = end > (off_t)sizeof buf ? end - (off_t)sizeof buf : 0;
        ssize_t got = pread(fd, buf, (size_t)(end - from), from);
        if (got != end - from) return ws_fail(ctx, WS_ERR_IO, "%s: cannot read: %s", path, ws_sys_strerror(errno ? errno : EIO));
        for (ssize_t i = got - 1; i >= 0; i--)
            if (buf[i] == '\n') {
                *out = from + i + 1;
                return WS_OK;
            }
        end = from;
    }
    *out = 0;
    return WS_OK;
}

ws_status ws_records_open(ws_ctx *ctx, ws_records *r, const char *path) {
    memset(r, 0, sizeof *r);
    r->fd = -1;
    if (strlen(path) >= sizeof r->path) return ws_fail(ctx, WS_ERR_ARG, "%s: path too long", path);
    snprintf(r->path, sizeof r->path, "%s", path);
    int fd = ws_sys_open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return ws_fail(ctx, WS_ERR_IO, "%s: cannot open for appending: %s", path, ws_sys_strerror(errno));
    off_t whole;
    ws_status st = whole_length(ctx, fd, path, &whole);
    struct stat sb;
    if (!st && fstat(fd, &sb) == 0 && sb.st_size != whole && ftruncate(fd, whole) != 0)
        st = ws_fail(ctx, WS_ERR_IO, "%s: cannot drop a torn last line: %s", path, ws_sys_strerror(errno));
    if (!st && lseek(fd, 0, SEEK_END) < 0) st = ws_fail(ctx, WS_ERR_IO, "%s: %s", path, ws_sys_strerror(errno));
    if (st) {
        close(fd);
        return st;
    }
    r->fd = fd;
    return WS_OK;
}

ws_status ws_records_append(ws_ctx *ctx, ws_records *r, const cJSON *record) {
    if (ws_ctx_memory_intact(ctx, r->path)) return ws_nomem(ctx);
    char *text = cJSON_PrintUnformatted(record);
    if (!text) return ws_nomem(ctx);
    size_t n = strlen(text);
    char *line = ws_sys_realloc(text, n + 2);
    if (!line) {
        free(text);
        return ws_nomem(ctx);
    }
    line[n] = '\n', line[n + 1] = 0;
    off_t before = lseek(r->fd, 0, SEEK_END);
    size_t done = 0;
    int err = 0;
    while (done < n + 1) {
        ssize_t w = ws_sys_write(r->fd, line + done, n + 1 - done);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            err = w < 0 ? errno : ENOSPC;
            break;
        }
        done += (size_t)w;
    }
    free(line);
    if (!err && ws_sys_fsync(r->fd) != 0) err = errno;
    if (err) {
        // Leave no part of the line behind (the file ends with the last whole record).
        if (before >= 0 && ftruncate(r->fd, before) == 0) lseek(r->fd, before, SEEK_SET);
        return ws_fail(ctx, WS_ERR_IO, "%s: cannot append a record: %s (the records before it are intact)", r->path,
                       ws_sys_strerror(err));
    }
    return WS_OK;
}

void ws_records_close(ws_records *r) {
    if (r->fd >= 0) close(r->fd);
    r->fd = -1;
}

ws_status ws_records_each(ws_ctx *ctx, const char *path, ws_jsonl_record_fn fn, void *user, int *nrecords) {
    if (nrecords) *nrecords = 0;
    int fd = ws_sys_open(path, O_RDONLY | O_CLOEXEC, 0);
    if (fd < 0) {
        if (errno == ENOENT) return WS_OK;
        return ws_fail(ctx, WS_ERR_IO, "%s: cannot read: %s", path, ws_sys_strerror(errno));
    }
    off_t whole;
    ws_status st = whole_length(ctx, fd, path, &whole);
    char *text = st ? NULL : ws_sys_malloc((size_t)whole + 1);
    if (!st && !text) st = ws_nomem(ctx);
    if (!st && pread(fd, text, (size_t)whole, 0) != whole)
        st = ws_fail(ctx, WS_ERR_IO, "%s: cannot read: %s", path, ws_sys_strerror(errno ? errno : EIO));
    close(fd);
    if (st) {
        free(text);
        return st;
    }
    text[whole] = 0;
    int line = 0;
    for (char *p = text, *nl; !st && (nl = strchr(p, '\n')); p = nl + 1) {
        line++;
        *nl = 0;
        if (!*p) continue;
        cJSON *rec = cJSON_Parse(p);
        if (!cJSON_IsObject(rec)) {
            cJSON_Delete(rec);
            st = ws_fail(ctx, WS_ERR_FORMAT, "%s: line %d: not a JSON object (a damaged records file)", path, line);
            break;
        }
        st = fn(ctx, rec, user);
        cJSON_Delete(rec);
        if (st) ws_fail_prefix(ctx, st, "%s: line %d: ", path, line);
        else if (nrecords) (*nrecords)++;
    }
    free(text);
    return st;
}
