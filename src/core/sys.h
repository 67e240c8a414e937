// The system's calls that fail for reasons outside the program -- memory, the disk, permissions
// -- in one place. The library (and the CLI) call these, never malloc, open, write, fsync, rename
// or mkdir themselves (scripts/check-layers.sh, rule "sys"), so that one seam sees every such call.
//
// In an ordinary build each is the call it names. In the fault build (-DWS_FAULTS: make
// test-faults, docs/RELIABILITY.md) each also counts its calls by kind, and fails the N-th call of
// one kind with a chosen errno, as SQLite's test builds do with its VFS and allocator:
//   WARMSTART_FAULT=KIND:N:ERRNO[:all]   KIND alloc|open|write|fsync|rename|mkdir, N from 1,
//                                        ERRNO ENOMEM|EIO|ENOSPC|EACCES|...; ":all" fails every
//                                        call of the kind from the N-th on (a disk that stays full)
//   WARMSTART_FAULT_COUNTS=FILE          at exit, one line "KIND COUNT" per kind appended to FILE
//   WARMSTART_FAULT_LOG=FILE             a line appended when a fault is injected
//   WARMSTART_FAULT_PLANT=leak|crash|lie a bug planted at the injected call, for the harness to
//                                        catch (its self-test): a block leaked, a SIGSEGV, or a
//                                        write that reports success and writes nothing
// A failed write writes the first half of its bytes before it fails: the disk took part of a
// record, as it does when it fills up or breaks halfway.
#ifndef WS_CORE_SYS_H
#define WS_CORE_SYS_H

#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

typedef enum { WS_SYS_ALLOC, WS_SYS_OPEN, WS_SYS_WRITE, WS_SYS_FSYNC, WS_SYS_RENAME, WS_SYS_MKDIR, WS_SYS_KINDS } ws_sys_kind;

// Allocation: as malloc, calloc, realloc, strdup and aligned_alloc; NULL (errno ENOMEM) on failure.
void *ws_sys_malloc(size_t bytes);
void *ws_sys_calloc(size_t n, size_t size);
void *ws_sys_realloc(void *p, size_t bytes);
char *ws_sys_strdup(const char *s);
void *ws_sys_aligned_alloc(size_t align, size_t bytes);

// Files: as open(2), fopen(3), write(2), fsync(2), rename(2), mkdir(2). A FILE that ws_sys_fopen
// opens for writing sends its bytes through ws_sys_write (a stdio cookie stream): its data reaches
// the disk through the seam too. Such a stream has no file number: ws_sys_fopen_fd gives both.
int ws_sys_open(const char *path, int flags, mode_t mode);
FILE *ws_sys_fopen(const char *path, const char *mode);
// A stream writing to path (open flags of "w" or "a"), its descriptor in *fd (for fsync).
FILE *ws_sys_fopen_fd(const char *path, const char *mode, int *fd);
ssize_t ws_sys_write(int fd, const void *buf, size_t bytes);
// All of buf through ws_sys_write (EINTR retried, short writes continued): 0, or an errno (ENOSPC
// for a write that took nothing).
int ws_sys_write_all(int fd, const void *buf, size_t bytes);
int ws_sys_fsync(int fd);
int ws_sys_rename(const char *from, const char *to);
int ws_sys_mkdir(const char *path, mode_t mode);

// strerror(err), and for a full disk or quota what it means to the user: "No space left on
// device (the disk is full)". Every message about a failed call uses it.
const char *ws_sys_strerror(int err);

// Allocations through the seam that returned NULL in this process so far (injected or real). A
// JSON record or file built while one failed may lack a field (cJSON drops what it cannot add), so
// writers refuse it: ws_ctx_memory_intact (core/ctx.h).
long ws_sys_alloc_failures(void);

// The fault build's counts so far (0 in an ordinary build).
long ws_sys_calls(ws_sys_kind kind);

#endif
