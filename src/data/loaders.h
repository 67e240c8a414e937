// The dataset loaders behind ws_source_load (data/source.c), one file per
// format, each with a parser over memory that the tests and fuzzers call
// directly. Every loader validates everything it reads: a failure leaves `out`
// empty and one line in ctx->err naming the file and the reason.
#ifndef WS_DATA_LOADERS_H
#define WS_DATA_LOADERS_H

#include <stddef.h>
#include <stdint.h>

#include "data/dataset.h"

// ---- CIFAR binary (data/cifar.c) ----
// Records of `label_bytes` label bytes then 3,072 pixel bytes (R, G, B planes of
// 32x32, row-major). CIFAR-10: label_bytes 1, label 0, 10 classes; CIFAR-100:
// label_bytes 2 (coarse, fine), label 0 (coarse, 20 classes) or 1 (fine, 100).
typedef struct {
    int label_bytes, label_index, num_classes;
} ws_cifar_format;

#define WS_CIFAR_PIXELS 3072

// Check a buffer holding whole records (size a positive multiple of the record
// size, every label in range); *n gets the record count. `name` is for messages.
ws_status ws_cifar_check(ws_ctx *ctx, const uint8_t *buf, size_t len, const char *name, const ws_cifar_format *fmt,
                         int64_t *n);
// Load and concatenate the files (in order) into one dataset (3, 32, 32).
ws_status ws_cifar_load(ws_ctx *ctx, ws_dataset *out, const char *const *paths, int npaths, const ws_cifar_format *fmt);

// ---- SVHN format 2, *_32x32.mat (data/svhn.c, libmatio) ----
// X: uint8 32x32x3xN (MATLAB's column-major order), y: N x 1 numeric labels 1..10
// (10 is the digit 0) -> (N, 3, 32, 32) with labels 0..9.
ws_status ws_svhn_load(ws_ctx *ctx, ws_dataset *out, const char *path);

// ---- image folders (data/folder.c, libpng + libjpeg) ----
// Decode one PNG or JPEG image held in memory to `channels` (1: grey, 3: RGB)
// planes (C, H, W), into *pixels (ws_alloc'd). channels 0: the image's own (1
// for grey, 3 otherwise; alpha is dropped), reported back. `name` for messages.
ws_status ws_image_decode(ws_ctx *ctx, const uint8_t *buf, size_t len, const char *name, int *channels, int *h,
                          int *w, uint8_t **pixels);
// root/<class>/*.{png,jpg,jpeg} (classes sorted by name, as torchvision's
// ImageFolder), all images of one size; decoded in parallel. `classes`: if
// not NULL and *nclasses > 0, the class folders that must be present (a test
// split named like its training split); else filled in.
ws_status ws_folder_load(ws_ctx *ctx, ws_dataset *out, const char *root, char (**classes)[WS_CLASS_NAME],
                         int *nclasses, int channels);

#endif
