#define _POSIX_C_SOURCE 200809L
#include "io/dir.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

ws_status ws_dir_make(ws_ctx *ctx, const char *dir) {
    char path[1024];
    if (snprintf(path, sizeof path, "%s", dir) >= (int)sizeof path) return ws_fail(ctx, WS_ERR_IO, "output folder path too long");
    for (char *p = path + 1;; p++) {
        if (*p != '/' && *p) continue;
        char keep = *p;
        *p = 0;
        struct stat st;
        if (stat(path, &st) == 0) {
            if (!S_ISDIR(st.st_mode)) return ws_fail(ctx, WS_ERR_IO, "%s: exists and is not a directory", path);
        } else if (ws_sys_mkdir(path, 0777) != 0 && errno != EEXIST) {
            return ws_fail(ctx, WS_ERR_IO, "%s: cannot create directory: %s", path, ws_sys_strerror(errno));
        }
        if (!keep) return WS_OK;
        *p = keep;
    }
}
