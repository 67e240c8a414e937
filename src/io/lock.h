// A results folder is written by one process at a time: an exclusive POSIX
// record lock on DIR/.warmstart.lock, taken when a command starts writing
// there and dropped when it ends (or dies: the kernel releases it), so two
// runs pointed at one --out by accident fail fast instead of interleaving.
#ifndef WS_IO_LOCK_H
#define WS_IO_LOCK_H

#include "core/ctx.h"

// Lock dir (which must exist); *fd gets the lock's descriptor. A folder
// locked by another process fails with WS_ERR_IO naming it and its pid.
ws_status ws_dir_lock(ws_ctx *ctx, const char *dir, int *fd);
// Lock DIR/name, exclusively or shared (shards of one run share the folder's
// lock and each holds its own shard's exclusively; a whole run excludes them).
ws_status ws_dir_lock_named(ws_ctx *ctx, const char *dir, const char *name, int shared, int *fd);
// The pid of a process holding dir's lock (exclusive, or shared by a run's shards): a run still
// writing there; 0 when none (or dir has no lock file); -1 when held by a process whose pid the
// system does not give. Readers ask it to say that what they read is a run's part. The calling
// process's own lock is not reported. Where /proc/locks lists the lock (Linux, a local
// filesystem) the file is not opened; elsewhere it is opened and closed for fcntl(F_GETLK)
// (which also sees a lock held on another machine over NFS), and POSIX drops a process's
// record locks on a file when any descriptor of it is closed: there, not for a process that
// may hold that folder's lock.
long ws_dir_writer(const char *dir);
// Release (fd < 0: nothing to do).
void ws_dir_unlock(int fd);

#endif
