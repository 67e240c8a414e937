// The seam of sys.h. An ordinary build passes each call through; the fault build (-DWS_FAULTS)
// counts and fails them as sys.h says. Its state is process-wide, as the memory and the calls it
// stands for are: the count of failed allocations (every build) and the fault build's table.
#define _GNU_SOURCE // fopencookie
#include "core/sys.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static atomic_long alloc_failures;

static void *counted(void *p) {
    if (!p) atomic_fetch_add(&alloc_failures, 1);
    return p;
}

long ws_sys_alloc_failures(void) { return atomic_load(&alloc_failures); }

#ifdef WS_FAULTS
#include <cjson/cJSON.h>
#include <execinfo.h>
#include <pthread.h>
#include <signal.h>

static const char *const kind_names[WS_SYS_KINDS] = {"alloc", "open", "write", "fsync", "rename", "mkdir"};
static const struct {
    const char *name;
    int code;
} errno_names[] = {{"ENOMEM", ENOMEM}, {"EIO", EIO}, {"ENOSPC", ENOSPC}, {"EACCES", EACCES},
                   {"EDQUOT", EDQUOT}, {"EROFS", EROFS}, {"EPERM", EPERM}, {"EMFILE", EMFILE}};

static struct {
    pthread_once_t once;
    atomic_long calls[WS_SYS_KINDS];
    int kind;       // the kind that fails, -1 none
    long nth;       // its N-th call fails
    int all;        // and every later one
    int code;       // with this errno
    const char *plant; // WARMSTART_FAULT_PLANT
    const char *log;
    // WARMSTART_FAULT_SITES: the first call from each call path, per kind (below).
    FILE *sites;
    pthread_mutex_t sites_lock;
    uint64_t seen[1 << 16]; // the paths met so far: an open-addressing set of their hashes, 0 empty
} faults = {.once = PTHREAD_ONCE_INIT, .kind = -1, .sites_lock = PTHREAD_MUTEX_INITIALIZER};

static void write_counts(void) {
    FILE *f = fopen(getenv("WARMSTART_FAULT_COUNTS"), "a");
    if (!f) return;
    for (int k = 0; k < WS_SYS_KINDS; k++) fprintf(f, "%s %ld\n", kind_names[k], atomic_load(&faults.calls[k]));
    fclose(f);
}

// WARMSTART_FAULT=KIND:N:ERRNO[:all]; a spec that does not parse injects nothing, and says so in
// the log, so that a harness's typo cannot pass as "no fault was hit".
static void read_spec(void) {
    const char *spec = getenv("WARMSTART_FAULT");
    faults.log = getenv("WARMSTART_FAULT_LOG");
    faults.plant = getenv("WARMSTART_FAULT_PLANT");
    if (getenv("WARMSTART_FAULT_COUNTS")) atexit(write_counts);
    if (getenv("WARMSTART_FAULT_SITES")) faults.sites = fopen(getenv("WARMSTART_FAULT_SITES"), "a");
    if (!spec || !*spec) return;
    char kind[16] = "", code[16] = "", all[8] = "";
    long nth = 0;
    int got = sscanf(spec, "%15[a-z]:%ld:%15[A-Z]:%7s", kind, &nth, code, all);
    for (int k = 0; got >= 3 && k < WS_SYS_KINDS; k++)
        if (!strcmp(kind, kind_names[k])) faults.kind = k;
    faults.code = 0;
    for (size_t i = 0; i < sizeof errno_names / sizeof errno_names[0]; i++)
        if (!strcmp(code, errno_names[i].name)) faults.code = errno_names[i].code;
    faults.nth = nth;
    faults.all = got == 4 && !strcmp(all, "all");
    if (faults.kind < 0 || nth < 1 || !faults.code || (got == 4 && !faults.all)) {
        faults.kind = -1;
        FILE *f = faults.log ? fopen(faults.log, "a") : NULL;
        if (f) fprintf(f, "bad WARMSTART_FAULT '%s': injecting nothing\n", spec), fclose(f);
    }
}

// WARMSTART_FAULT_SITES=FILE: a line "KIND N PATH" for the N-th call of a kind when its call path
// (the hash of its 8 innermost return addresses) is new. Most allocations repeat a path (cJSON's
// nodes, a layer's buffers each round): the harness tries every path's first call, and a sample of
// the rest, rather than 30,000 calls that mostly test one line (docs/RELIABILITY.md).
static void note_site(ws_sys_kind kind, long n) {
    void *frames[8];
    const int depth = backtrace(frames, 8);
    uint64_t h = 1469598103934665603ull ^ (uint64_t)kind;
    for (int i = 0; i < depth; i++) h = (h ^ (uint64_t)(uintptr_t)frames[i]) * 1099511628211ull;
    h |= 1;
    pthread_mutex_lock(&faults.sites_lock);
    const size_t mask = sizeof faults.seen / sizeof faults.seen[0] - 1;
    size_t at = h & mask, probes = 0;
    while (faults.seen[at] && faults.seen[at] != h && probes++ < mask) at = (at + 1) & mask;
    if (!faults.seen[at]) {
        faults.seen[at] = h;
        fprintf(faults.sites, "%s %ld %016llx\n", kind_names[kind], n, (unsigned long long)h);
        fflush(faults.sites);
    }
    pthread_mutex_unlock(&faults.sites_lock);
}

// The injected call fails (1, errno set) -- or, for the harness's self-test, carries a planted
// bug: leaks a block and fails, crashes, or lies (2: the caller reports success, doing nothing).
static void *volatile planted_leak;
static int plant_or_fail(void) {
    const char *plant = faults.plant ? faults.plant : "";
    if (!strcmp(plant, "crash")) raise(SIGSEGV);
    if (!strcmp(plant, "lie")) return 2;
    if (!strcmp(plant, "leak")) {
        planted_leak = malloc(4096);
        planted_leak = NULL;
    }
    errno = faults.code;
    return 1;
}

// Does this call of the kind fail? Counts it; when it fails, errno is set and the log says so.
static int fails(ws_sys_kind kind) {
    pthread_once(&faults.once, read_spec);
    const long n = atomic_fetch_add(&faults.calls[kind], 1) + 1;
    if (faults.sites) note_site(kind, n);
    if ((int)kind != faults.kind || n < faults.nth || (n > faults.nth && !faults.all)) return 0;
    FILE *f = faults.log ? fopen(faults.log, "a") : NULL;
    if (f) {
        fprintf(f, "injected %s %ld %s\n", kind_names[kind], n, strerror(faults.code));
        fflush(f);
        void *frames[16]; // where: addr2line -e warmstart reads the +0x offsets
        backtrace_symbols_fd(frames, backtrace(frames, 16), fileno(f));
        fclose(f);
    }
    return plant_or_fail();
}

long ws_sys_calls(ws_sys_kind kind) { return atomic_load(&faults.calls[kind]); }

// cJSON allocates the records, configurations and results the library builds: through the seam
// too, from before main, so that a fault can land inside a record being built.
static void *cjson_malloc(size_t bytes) { return ws_sys_malloc(bytes); }
__attribute__((constructor)) static void hook_cjson(void) {
    cJSON_Hooks hooks = {.malloc_fn = cjson_malloc, .free_fn = free};
    cJSON_InitHooks(&hooks);
}
#else
static int fails(ws_sys_kind kind) {
    (void)kind;
    return 0;
}

long ws_sys_calls(ws_sys_kind kind) {
    (void)kind;
    return 0;
}
#endif

void *ws_sys_malloc(size_t bytes) { return counted(fails(WS_SYS_ALLOC) ? NULL : malloc(bytes)); }
void *ws_sys_calloc(size_t n, size_t size) { return counted(fails(WS_SYS_ALLOC) ? NULL : calloc(n, size)); }
void *ws_sys_realloc(void *p, size_t bytes) { return counted(fails(WS_SYS_ALLOC) ? NULL : realloc(p, bytes)); }
char *ws_sys_strdup(const char *s) { return counted(fails(WS_SYS_ALLOC) ? NULL : strdup(s)); }
void *ws_sys_aligned_alloc(size_t align, size_t bytes) {
    return counted(fails(WS_SYS_ALLOC) ? NULL : aligned_alloc(align, bytes));
}

int ws_sys_open(const char *path, int flags, mode_t mode) { return fails(WS_SYS_OPEN) ? -1 : open(path, flags, mode); }

ssize_t ws_sys_write(int fd, const void *buf, size_t bytes) {
    const int fault = fails(WS_SYS_WRITE);
    if (!fault) return write(fd, buf, bytes);
    if (fault == 2) return (ssize_t)bytes; // the planted lie: nothing written, success reported
    const int code = errno;
    if (bytes > 1) {
        ssize_t part = write(fd, buf, bytes / 2); // the half that reached the disk before the fault
        (void)part;
    }
    errno = code;
    return -1;
}

int ws_sys_fsync(int fd) { return fails(WS_SYS_FSYNC) ? -1 : fsync(fd); }
int ws_sys_rename(const char *from, const char *to) { return fails(WS_SYS_RENAME) ? -1 : rename(from, to); }
int ws_sys_mkdir(const char *path, mode_t mode) { return fails(WS_SYS_MKDIR) ? -1 : mkdir(path, mode); }

const char *ws_sys_strerror(int err) {
    switch (err) {
    case ENOSPC: return "No space left on device (the disk is full)";
    case EDQUOT: return "Disk quota exceeded (the quota is used up)";
    default: return strerror(err);
    }
}

// A writing stream over a descriptor: stdio buffers, and its flushes go through ws_sys_write.
int ws_sys_write_all(int fd, const void *buf, size_t bytes) {
    for (size_t done = 0; done < bytes;) {
        ssize_t w = ws_sys_write(fd, (const char *)buf + done, bytes - done);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return w < 0 ? errno : ENOSPC;
        done += (size_t)w;
    }
    return 0;
}

// -1 (errno set) on a failed write: stdio marks the stream's error, which its writer checks.
static ssize_t cookie_write(void *cookie, const char *buf, size_t bytes) {
    const int err = ws_sys_write_all((int)(intptr_t)cookie, buf, bytes);
    if (!err) return (ssize_t)bytes;
    errno = err;
    return -1;
}

static ssize_t cookie_read(void *cookie, char *buf, size_t bytes) { return read((int)(intptr_t)cookie, buf, bytes); }

static int cookie_seek(void *cookie, off64_t *at, int whence) {
    off_t to = lseek((int)(intptr_t)cookie, (off_t)*at, whence);
    if (to < 0) return -1;
    *at = to;
    return 0;
}

static int cookie_close(void *cookie) { return close((int)(intptr_t)cookie); }

// fopen's mode as open's flags: r, w, a, each with b and + allowed.
static int mode_flags(const char *mode) {
    const int plus = strchr(mode, '+') != NULL;
    switch (mode[0]) {
    case 'w': return (plus ? O_RDWR : O_WRONLY) | O_CREAT | O_TRUNC;
    case 'a': return (plus ? O_RDWR : O_WRONLY) | O_CREAT | O_APPEND;
    default: return plus ? O_RDWR : O_RDONLY;
    }
}

FILE *ws_sys_fopen_fd(const char *path, const char *mode, int *fd) {
    *fd = -1;
    const int flags = mode_flags(mode);
    int f = ws_sys_open(path, flags | O_CLOEXEC, 0666);
    if (f < 0) return NULL;
    if ((flags & O_ACCMODE) == O_RDONLY) {
        FILE *s = fdopen(f, mode);
        if (!s) close(f);
        else *fd = f;
        return s;
    }
    cookie_io_functions_t io = {.read = cookie_read, .write = cookie_write, .seek = cookie_seek, .close = cookie_close};
    FILE *s = fopencookie((void *)(intptr_t)f, mode, io);
    if (!s) close(f);
    else *fd = f;
    return s;
}

FILE *ws_sys_fopen(const char *path, const char *mode) {
    int fd;
    return ws_sys_fopen_fd(path, mode, &fd);
}
