#define _POSIX_C_SOURCE 200809L
#include "io/lock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#ifdef __linux__
#include <sys/sysmacros.h>
#endif
#include <unistd.h>

ws_status ws_dir_lock(ws_ctx *ctx, const char *dir, int *fd) { return ws_dir_lock_named(ctx, dir, ".warmstart.lock", 0, fd); }

ws_status ws_dir_lock_named(ws_ctx *ctx, const char *dir, const char *name, int shared, int *fd) {
    *fd = -1;
    char path[1200];
    if (snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path)
        return ws_fail(ctx, WS_ERR_ARG, "%s: path too long", dir);
    int f = ws_sys_open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (f < 0) return ws_fail(ctx, WS_ERR_IO, "%s: cannot create its lock file: %s", dir, ws_sys_strerror(errno));
    struct flock l = {.l_type = shared ? F_RDLCK : F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0};
    if (fcntl(f, F_SETLK, &l) != 0) {
        int err = errno;
        struct flock who = {.l_type = shared ? F_RDLCK : F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0};
        long pid = fcntl(f, F_GETLK, &who) == 0 && who.l_type != F_UNLCK ? (long)who.l_pid : 0;
        close(f);
        if (err == EACCES || err == EAGAIN)
            return ws_fail(ctx, WS_ERR_IO,
                           "%s: another warmstart process (pid %ld) is writing results here; wait for it or choose "
                           "another --out",
                           dir, pid);
        return ws_fail(ctx, WS_ERR_IO, "%s: cannot lock: %s", dir, ws_sys_strerror(err));
    }
    *fd = f;
    return WS_OK;
}

// Linux's /proc/locks lists every local lock with its holder and the file's MAJ:MIN:INODE
// (hex, hex, decimal), read without opening the lock file. 1: found (*pid its holder), 0: not
// listed (another system, a lock held over the network, a filesystem that names it otherwise).
static int listed_holder(const struct stat *sb, long *pid) {
#ifndef __linux__
    (void)sb, (void)pid;
    return 0;
#else
    FILE *f = ws_sys_fopen("/proc/locks", "r");
    if (!f) return 0;
    char line[256], want[64];
    snprintf(want, sizeof want, "%02x:%02x:%llu", major(sb->st_dev), minor(sb->st_dev), (unsigned long long)sb->st_ino);
    int found = 0;
    while (!found && fgets(line, sizeof line, f)) {
        char kind[16], mode[16], type[16], id[64];
        long who;
        // "1: POSIX  ADVISORY  WRITE 1234 fe:00:4567 0 EOF"; a waiter's line has "->" first.
        if (!strstr(line, "->") && sscanf(line, "%*d: %15s %15s %15s %ld %63s", kind, mode, type, &who, id) == 5 &&
            !strcmp(id, want))
            found = 1, *pid = who;
    }
    fclose(f);
    return found;
#endif
}

long ws_dir_writer(const char *dir) {
    char path[1200];
    struct stat sb;
    if (snprintf(path, sizeof path, "%s/.warmstart.lock", dir) >= (int)sizeof path || stat(path, &sb) != 0) return 0;
    long pid;
    // Listed: no descriptor opened, so a lock of this very process (a program reading its own
    // run's folder from a hook) is neither reported nor dropped.
    if (listed_holder(&sb, &pid)) return pid == (long)getpid() ? 0 : pid;
    int f = ws_sys_open(path, O_RDONLY | O_CLOEXEC, 0); // never created here: a reader leaves no trace
    if (f < 0) return 0;
    struct flock l = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0};
    pid = fcntl(f, F_GETLK, &l) == 0 && l.l_type != F_UNLCK ? (l.l_pid > 0 ? (long)l.l_pid : -1) : 0;
    close(f);
    return pid;
}

void ws_dir_unlock(int fd) {
    if (fd >= 0) close(fd); // closing drops the process's record locks on the file
}
