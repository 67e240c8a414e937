// safetensors (huggingface.co/docs/safetensors): 8-byte little-endian header
// length N, N bytes of JSON {"name": {"dtype", "shape", "data_offsets"}, ...,
// "__metadata__": {string: string}}, then the raw little-endian tensor data.
// The reader validates everything (bounds, overlaps, dtype sizes) before use;
// the writer writes a temp file, fsyncs and renames, so a checkpoint is either
// whole or absent.
#ifndef WS_IO_SAFETENSORS_H
#define WS_IO_SAFETENSORS_H

#include <stdint.h>

#include "core/ctx.h"
#include "nn/model.h"

typedef enum { WS_ST_F32, WS_ST_F64, WS_ST_I64, WS_ST_I32, WS_ST_U8, WS_ST_OTHER } ws_st_dtype;

typedef struct {
    char name[128];
    ws_st_dtype dtype;
    char dtype_name[8];
    int ndim;
    int64_t dims[8];
    int64_t numel;
    const uint8_t *data;   // into the file image; little-endian, possibly unaligned
    int64_t nbytes;
} ws_st_tensor;

typedef struct {
    uint8_t *image;        // the whole file
    int64_t size;
    ws_st_tensor *tensors;
    int ntensors;
    char *metadata_json;   // the "__metadata__" object as JSON text, or NULL
} ws_st_file;

ws_status ws_st_read(ws_ctx *ctx, ws_st_file *f, const char *path);
void ws_st_close(ws_st_file *f);
const ws_st_tensor *ws_st_find(const ws_st_file *f, const char *name);
// Metadata string value for key, or NULL.
const char *ws_st_meta(const ws_st_file *f, const char *key, char *buf, int cap);

// Writing: collect tensors (data is copied at write time), then write.
typedef struct {
    const char *name;
    ws_st_dtype dtype;
    int ndim;
    int64_t dims[8];
    const void *data;
} ws_st_entry;

ws_status ws_st_write(ws_ctx *ctx, const char *path, const ws_st_entry *entries, int n, const char *const *meta_kv,
                      int nmeta);

// Model checkpoints: every parameter under its PyTorch name, F32, PyTorch
// layout; metadata records warmstart's architecture string.
ws_status ws_model_save(ws_ctx *ctx, const ws_model *m, const char *path);
// Strict load (as load_state_dict(strict=True)): every parameter present with
// the right dtype and shape, and no unexpected tensors; a file of warmstart's
// whose MLP has another activation (its warmstart_arch) is refused too.
ws_status ws_model_load(ws_ctx *ctx, ws_model *m, const char *path);

#endif
