// Resumable state as one safetensors file: a small builder that collects named
// arrays and numbers, written whole-or-absent (ws_st_write: temp, fsync,
// rename), and typed getters that check dtype and size on the way back, so a
// stale or foreign file is refused with its name rather than half-loaded.
// Numbers travel as metadata strings: integers in decimal, doubles as C99 hex
// floats ("%a"), which round-trip exactly.
#ifndef WS_IO_CHECKPOINT_H
#define WS_IO_CHECKPOINT_H

#include <stdint.h>

#include "io/safetensors.h"

#define WS_CKPT_MAX_ENTRIES 96
#define WS_CKPT_MAX_META 32

typedef struct {
    ws_st_entry e[WS_CKPT_MAX_ENTRIES];
    char names[WS_CKPT_MAX_ENTRIES][96];
    int n;
    char meta_store[WS_CKPT_MAX_META][2][160]; // key, value (a model's description: ws_model.arch)
    const char *meta[2 * WS_CKPT_MAX_META];
    int nmeta;
    int overflow;           // more than fits: ws_ckpt_write refuses
} ws_ckpt;

void ws_ckpt_init(ws_ckpt *c);
// Arrays (data must stay valid until ws_ckpt_write). Zero-length arrays are skipped.
void ws_ckpt_f32(ws_ckpt *c, const char *name, const float *p, int64_t n);
void ws_ckpt_f64(ws_ckpt *c, const char *name, const double *p, int64_t n);
void ws_ckpt_i64(ws_ckpt *c, const char *name, const int64_t *p, int64_t n);
void ws_ckpt_i32(ws_ckpt *c, const char *name, const int32_t *p, int64_t n);
void ws_ckpt_int(ws_ckpt *c, const char *key, int64_t v);
void ws_ckpt_num(ws_ckpt *c, const char *key, double v);
void ws_ckpt_str(ws_ckpt *c, const char *key, const char *v);
ws_status ws_ckpt_write(ws_ctx *ctx, const ws_ckpt *c, const char *path);

// A model's state under prefix: "<prefix>.w" (parameters), ".buf", ".ibuf" (BatchNorm buffers),
// and its description as metadata "<prefix>.arch" (read back: a file of another architecture,
// such as a tanh MLP's arena for a ReLU MLP of the same sizes, is refused; files without it
// are taken as they are).
void ws_ckpt_model(ws_ckpt *c, const char *prefix, const ws_model *m);

// Reading from an open file (ws_st_read): an array of exactly n elements of the
// type, copied into dst (n == 0: the array must be absent or empty).
ws_status ws_ckpt_get_f32(ws_ctx *ctx, const ws_st_file *f, const char *path, const char *name, float *dst, int64_t n);
ws_status ws_ckpt_get_f64(ws_ctx *ctx, const ws_st_file *f, const char *path, const char *name, double *dst, int64_t n);
ws_status ws_ckpt_get_i64(ws_ctx *ctx, const ws_st_file *f, const char *path, const char *name, int64_t *dst, int64_t n);
ws_status ws_ckpt_get_i32(ws_ctx *ctx, const ws_st_file *f, const char *path, const char *name, int32_t *dst, int64_t n);
ws_status ws_ckpt_get_model(ws_ctx *ctx, const ws_st_file *f, const char *path, const char *prefix, ws_model *m);
ws_status ws_ckpt_get_int(ws_ctx *ctx, const ws_st_file *f, const char *path, const char *key, int64_t *v);
ws_status ws_ckpt_get_num(ws_ctx *ctx, const ws_st_file *f, const char *path, const char *key, double *v);

#endif
