// Context: the one object every call takes instead of globals. It carries the
// thread count, the compute backend, the base seed, and the last error message.
// The library never prints and never exits: a failing call returns a ws_status
// and leaves a one-line message in ctx->err for the caller (the CLI) to show.
#ifndef WS_CORE_CTX_H
#define WS_CORE_CTX_H

#include <stddef.h>
#include <stdint.h>

#include "core/sys.h" // every file that can fail goes through the seam

typedef enum { WS_CONV_AUTO = 0, WS_CONV_DIRECT = 1 } ws_conv_algo;

// Arithmetic of the Linear layers' and convolutions' products. WS_PREC_BF16: their
// inputs (activations, weights, output gradients) rounded to bfloat16, products
// accumulated in fp32, outputs fp32; everything else (master weights, optimizer
// state, losses, normalisation statistics, gradients' accumulation) stays fp32.
typedef enum { WS_PREC_FP32 = 0, WS_PREC_BF16 = 1 } ws_precision;

typedef enum {
    WS_OK = 0,
    WS_ERR_ARG = 1,     // bad argument or configuration
    WS_ERR_IO = 2,      // missing / unreadable / unwritable file
    WS_ERR_FORMAT = 3,  // corrupt or unexpected file content
    WS_ERR_NOMEM = 4,   // allocation failed
    WS_ERR_NUMERIC = 5, // NaN / Inf met where a number was expected
    WS_ERR_INTERRUPTED = 6, // stopped on request (ws_hooks.should_stop, ws_ctx.should_stop) between
                            // units or rounds, or between training steps (the unit in training
                            // abandoned, unrecorded): what finished is recorded, the folder resumable
} ws_status;

struct ws_backend;

typedef struct ws_ctx {
    int threads;                      // OpenMP threads for our loops and for BLAS
    // The op implementations (ops/backend.h), opaque here: NULL stands for the
    // ops layer's default (ws_backend_of resolves it; ws_ctx_set_backend sets it).
    const struct ws_backend *backend;
    // Convolution algorithm for backends that have a choice (onednn):
    // WS_CONV_AUTO lets oneDNN pick per shape (Winograd F(4x4,3x3) for many
    // 3x3 stride-1 layers at batch >= 16: faster, rounding ~10x coarser);
    // WS_CONV_DIRECT always computes the direct sum, as PyTorch's CPU path does.
    int conv_algo;
    // ws_precision of Linear and convolutions (ws_ctx_set_precision, ops/backend.h).
    int precision;
    // A backend's private state (oneDNN's engine, stream and primitive cache),
    // created by the backend on first use; ws_ctx_release frees it.
    void *backend_state;
    void (*backend_state_free)(void *state);
    // Backend ops return nothing; one that fails (cannot create a primitive)
    // records its error here and in err, and the training / evaluation loops
    // check it after each batch.
    ws_status fault;
    // ws_sys_alloc_failures() when the context was made or last checked (ws_ctx_memory_intact).
    long alloc_failures;
    // Asked before every training step and evaluation batch (train/train.c): non-zero abandons
    // the training with WS_ERR_INTERRUPTED. NULL: never. exp/ points it at the program's
    // ws_hooks.should_stop while units run (a CLI's SIGINT/SIGTERM flag, a binding's Ctrl-C),
    // so that a unit minutes long stops within a step rather than at its end.
    int (*should_stop)(void *user);
    void *stop_user;
    char err[1024];                   // last error, one line
} ws_ctx;

// Does ctx's program ask to stop (ctx->should_stop; never without one)?
int ws_ctx_stop(const ws_ctx *ctx);

// Initialise a context with `threads` threads (<= 0: all cores) and the
// default backend. Sets OpenMP's thread count, which OpenBLAS's OpenMP build
// follows at every call, so that the two share one pool and never
// oversubscribe the cores.
void ws_ctx_init(ws_ctx *ctx, int threads);

// Has every allocation succeeded since the context was made (ws_ctx_init; a derived context keeps
// its parent's mark) or its operation began (ws_ctx_memory_reset)? The writers of records and files ask before writing: cJSON drops
// a field it cannot allocate, so a record built while memory ran out may be incomplete, and is
// refused (WS_ERR_NOMEM, "PATH: not written: memory ran out while it was made") rather than written.
ws_status ws_ctx_memory_intact(ws_ctx *ctx, const char *path);
// Has an allocation failed since then? A parse that fails for want of memory is not a file that
// does not parse: its reader says "out of memory" (ws_nomem), not "not JSON".
int ws_ctx_out_of_memory(const ws_ctx *ctx);
// The start of an operation (a run, a report, a merge): earlier failures are the past's.
void ws_ctx_memory_reset(ws_ctx *ctx);

// A context for another thread (a job of --jobs): the parent's settings (backend, convolution
// algorithm, precision and whatever else it chooses), `threads` threads (set for the calling
// thread, as ws_ctx_init does), and a backend state and last error of its own.
void ws_ctx_derive(ws_ctx *ctx, const ws_ctx *parent, int threads);

// Free the backend's state (a no-op when there is none); the context may be
// used again afterwards (the state is rebuilt on demand).
void ws_ctx_release(ws_ctx *ctx);

// Choosing a backend or a convolution algorithm by name (ws_ctx_set_backend,
// ws_ctx_set_conv_algo) is the ops layer's: ops/backend.h.

// Record an error message (printf-style) and return `code`, so that callers can
// write `return ws_fail(ctx, WS_ERR_IO, "%s: %s", path, ws_sys_strerror(errno));`.
ws_status ws_fail(ws_ctx *ctx, ws_status code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

// An allocation failed: ws_fail(ctx, WS_ERR_NOMEM, "out of memory"). Every NOMEM returned carries
// a message (tests/faults checks it), so a caller never shows an empty or an earlier one.
ws_status ws_nomem(ws_ctx *ctx);

// Prefix the current error with more context ("loading model: " + old message).
ws_status ws_fail_prefix(ws_ctx *ctx, ws_status code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

// Allocation helpers that set the error on failure. Memory is 64-byte aligned
// (AVX-512 lines) and zeroed.
void *ws_alloc(ws_ctx *ctx, size_t bytes);
void ws_free(void *p);

// Monotonic wall clock in seconds.
double ws_now(void);

#endif
