#define _POSIX_C_SOURCE 200809L
#include "io/records.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

// The length of path's whole records: up to and including its last newline, less any last
// lines holding a NUL byte -- blocks that a power cut left zero-filled (the file's new size
// reached the disk, its data did not), which no record written here contains.
static ws_status whole_length(ws_ctx *ctx, int fd, const char *path, off_t *out) {
    struct stat sb;
    if (fstat(fd, &sb) != 0) return ws_fail(ctx, WS_ERR_IO, "%s: %s", path, ws_sys_strerror(errno));
    off_t end = sb.st_size, whole = -1; // whole < 0: the last newline not met yet
    int nul = 0;                        // the line ending at whole - 1 holds a NUL byte
    char buf[4096];
    while (end > 0) {
        off_t from = end > (off_t)sizeof buf ? end - (off_t)sizeof buf : 0;
        ssize_t got = pread(fd, buf, (size_t)(end - from), from);
        if (got != end - from) return ws_fail(ctx, WS_ERR_IO, "%s: cannot read: %s", path, ws_sys_strerror(errno ? errno : EIO));
        for (ssize_t i = got - 1; i >= 0; i--) {
            const off_t at = from + i;
            if (whole < 0) {
                if (buf[i] == '\n') whole = at + 1;
            } else if (buf[i] == '\n') { // the start of the line ending at whole - 1
                if (!nul) return *out = whole, WS_OK;
                whole = at + 1, nul = 0; // that line goes too; check the one before it
            } else if (!buf[i]) {
                nul = 1;
            }
        }
        end = from;
    }
    *out = whole < 0 || nul ? 0 : whole;
    return WS_OK;
}

// A line as a record: a JSON object and nothing after it but blanks (NULL otherwise).
static cJSON *parse_line(const char *p, size_t n) {
    const char *end = NULL;
    cJSON *rec = cJSON_ParseWithLengthOpts(p, n, &end, 0);
    while (rec && end && end < p + n && (*end == ' ' || *end == '\t' || *end == '\r')) end++;
    if (cJSON_IsObject(rec) && end == p + n) return rec;
    cJSON_Delete(rec);
    return NULL;
}

// The side file for a torn tail: PATH.torn.N, the first N not taken (a file never overwritten).
static int open_side(const char *path, char *side, size_t cap) {
    for (int n = 1; n < 10000; n++) {
        snprintf(side, cap, "%s.torn.%d", path, n);
        int fd = ws_sys_open(side, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd >= 0 || errno != EEXIST) return fd;
    }
    errno = EEXIST;
    return -1;
}

// Bytes [whole, size) of fd copied into a new side file and fsync'd (its folder too), so that
// cutting them from the records file loses nothing; r->torn and r->torn_path say where they went.
static ws_status set_aside(ws_ctx *ctx, ws_records *r, int fd, off_t whole, off_t size) {
    int side = open_side(r->path, r->torn_path, sizeof r->torn_path);
    if (side < 0)
        return ws_fail(ctx, WS_ERR_IO, "%s: its last line was cut short, and cannot be set aside into %s: %s", r->path,
                       r->torn_path, ws_sys_strerror(errno));
    char buf[65536];
    int err = 0;
    for (off_t at = whole; at < size && !err;) {
        size_t want = size - at < (off_t)sizeof buf ? (size_t)(size - at) : sizeof buf;
        ssize_t got = pread(fd, buf, want, at);
        if (got <= 0) err = got < 0 ? errno : EIO;
        else err = ws_sys_write_all(side, buf, (size_t)got), at += got;
    }
    if (!err && ws_sys_fsync(side) != 0) err = errno;
    if (close(side) != 0 && !err) err = errno;
    if (err) {
        unlink(r->torn_path);
        return ws_fail(ctx, WS_ERR_IO, "%s: its last line was cut short, and cannot be set aside into %s: %s", r->path,
                       r->torn_path, ws_sys_strerror(err));
    }
    char dir[sizeof r->torn_path];
    snprintf(dir, sizeof dir, "%s", r->torn_path);
    int dfd = ws_sys_open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
    if (dfd >= 0) ws_sys_fsync(dfd), close(dfd); // best effort: the side file's name on disk before the cut
    r->torn = (long long)(size - whole);
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
    if (!st && fstat(fd, &sb) != 0) st = ws_fail(ctx, WS_ERR_IO, "%s: %s", path, ws_sys_strerror(errno));
    // A torn tail: kept aside first, then cut, so that the next record starts a line.
    if (!st && sb.st_size != whole && !(st = set_aside(ctx, r, fd, whole, sb.st_size)) &&
        (ftruncate(fd, whole) != 0 || ws_sys_fsync(fd) != 0))
        st = ws_fail(ctx, WS_ERR_IO, "%s: cannot cut a torn last line (kept in %s): %s", path, r->torn_path,
                     ws_sys_strerror(errno));
    if (!st && lseek(fd, 0, SEEK_END) < 0) st = ws_fail(ctx, WS_ERR_IO, "%s: %s", path, ws_sys_strerror(errno));
    if (st) {
        close(fd);
        return st;
    }
    r->fd = fd;
    return WS_OK;
}

ws_status ws_records_append(ws_ctx *ctx, ws_records *r, const cJSON *record) {
    const ws_status intact = ws_ctx_memory_intact(ctx, r->path); // its message names the file
    if (intact) return intact;
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
    int err = ws_sys_write_all(r->fd, line, n + 1);
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
    int line = 0;
    // memchr, not strchr: a NUL byte inside a line is damage to name, not the file's end.
    for (char *p = text, *nl, *end = text + whole; !st && (nl = memchr(p, '\n', (size_t)(end - p))); p = nl + 1) {
        line++;
        if (nl == p) continue;
        cJSON *rec = parse_line(p, (size_t)(nl - p));
        if (!rec) {
            st = ws_ctx_out_of_memory(ctx) ? ws_nomem(ctx)
                                           : ws_fail(ctx, WS_ERR_FORMAT, "%s: line %d: not a JSON object (a damaged records file)", path, line);
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
