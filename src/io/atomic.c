#define _POSIX_C_SOURCE 200809L
#include "io/atomic.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <string.h>
#include <unistd.h>

ws_status ws_atomic_open(ws_ctx *ctx, ws_atomic_file *af, const char *path) {
    memset(af, 0, sizeof *af);
    if (strlen(path) >= sizeof af->path) return ws_fail(ctx, WS_ERR_ARG, "%s: path too long", path);
    snprintf(af->path, sizeof af->path, "%s", path);
    snprintf(af->tmp, sizeof af->tmp, "%s.tmp.%ld", path, (long)getpid());
    af->f = ws_sys_fopen_fd(af->tmp, "wb", &af->fd);
    if (!af->f) return ws_fail(ctx, WS_ERR_IO, "%s: cannot write: %s", path, ws_sys_strerror(errno));
    return WS_OK;
}

ws_status ws_atomic_commit(ws_ctx *ctx, ws_atomic_file *af) {
    const ws_status intact = ws_ctx_memory_intact(ctx, af->path); // its message names the file
    if (intact) {
        ws_atomic_abort(af);
        return intact;
    }
    int bad = ferror(af->f) || fflush(af->f) != 0 || ws_sys_fsync(af->fd) != 0;
    int err = errno;
    if (fclose(af->f) != 0 && !bad) {
        bad = 1;
        err = errno;
    }
    af->f = NULL;
    if (!bad && ws_sys_rename(af->tmp, af->path) != 0) {
        bad = 1;
        err = errno;
    }
    if (bad) {
        unlink(af->tmp);
        return ws_fail(ctx, WS_ERR_IO, "%s: write failed: %s", af->path, ws_sys_strerror(err ? err : EIO));
    }
    // The rename itself reaches the disk with the directory's own fsync (best
    // effort: some filesystems refuse to fsync a directory).
    char dir[1024];
    snprintf(dir, sizeof dir, "%s", af->path);
    int fd = ws_sys_open(dirname(dir), O_RDONLY | O_DIRECTORY, 0);
    if (fd >= 0) {
        ws_sys_fsync(fd);
        close(fd);
    }
    return WS_OK;
}

void ws_atomic_abort(ws_atomic_file *af) {
    if (af->f) fclose(af->f);
    af->f = NULL;
    if (af->tmp[0]) unlink(af->tmp);
}
