// CIFAR-10 / CIFAR-100 binary versions: each file is a sequence of records,
// label byte(s) then 3,072 pixel bytes (1,024 red, 1,024 green, 1,024 blue,
// row-major): already the (C, H, W) layout of one example. A file must hold a
// positive whole number of records (the official batches hold 10,000; the
// project's sample 1,000), and every label must be in range.
#include <string.h>

#include "core/file.h"
#include "data/loaders.h"

static size_t record_size(const ws_cifar_format *fmt) { return (size_t)fmt->label_bytes + WS_CIFAR_PIXELS; }

ws_status ws_cifar_check(ws_ctx *ctx, const uint8_t *buf, size_t len, const char *name, const ws_cifar_format *fmt,
                         int64_t *n) {
    const size_t rec = record_size(fmt);
    *n = 0;
    if (len == 0) return ws_fail(ctx, WS_ERR_FORMAT, "%s: empty file, expected records of %zu bytes", name, rec);
    if (len % rec)
        return ws_fail(ctx, WS_ERR_FORMAT,
                       "%s: size %zu is not a whole number of %zu-byte records (%zu records and %zu bytes over: "
                       "truncated, or not a CIFAR-%d binary file)",
                       name, len, rec, len / rec, len % rec, fmt->label_bytes == 1 ? 10 : 100);
    const int64_t count = (int64_t)(len / rec);
    for (int64_t i = 0; i < count; i++) {
        int label = buf[(size_t)i * rec + (size_t)fmt->label_index];
        if (label >= fmt->num_classes)
            return ws_fail(ctx, WS_ERR_FORMAT, "%s: record %lld has %s label %d, outside [0, %d)", name, (long long)i,
                           fmt->label_bytes == 1 ? "the" : fmt->label_index == 0 ? "coarse" : "fine", label,
                           fmt->num_classes);
    }
    *n = count;
    return WS_OK;
}

ws_status ws_cifar_load(ws_ctx *ctx, ws_dataset *out, const char *const *paths, int npaths, const ws_cifar_format *fmt) {
    memset(out, 0, sizeof *out);
    uint8_t *bufs[16] = {0};
    size_t lens[16] = {0};
    int64_t counts[16] = {0}, total = 0;
    ws_status st = WS_OK;
    if (npaths < 1 || npaths > 16) return ws_fail(ctx, WS_ERR_ARG, "CIFAR: %d files (1 to 16)", npaths);
    for (int f = 0; f < npaths && !st; f++) {
        st = ws_file_read(ctx, paths[f], "CIFAR binary batch", &bufs[f], &lens[f]);
        if (!st) st = ws_cifar_check(ctx, bufs[f], lens[f], paths[f], fmt, &counts[f]);
        total += counts[f];
    }
    if (!st) {
        out->n = total;
        out->c = 3, out->h = 32, out->w = 32;
        out->num_classes = fmt->num_classes;
        out->x = ws_alloc(ctx, (size_t)total * WS_CIFAR_PIXELS);
        out->y = ws_alloc(ctx, sizeof(int32_t) * (size_t)total);
        if (!out->x || !out->y) st = ws_nomem(ctx);
    }
    const size_t rec = record_size(fmt);
    int64_t k = 0;
    for (int f = 0; f < npaths && !st; f++)
        for (int64_t i = 0; i < counts[f]; i++, k++) {
            const uint8_t *r = bufs[f] + (size_t)i * rec;
            out->y[k] = r[fmt->label_index];
            memcpy(out->x + (size_t)k * WS_CIFAR_PIXELS, r + fmt->label_bytes, WS_CIFAR_PIXELS);
        }
    for (int f = 0; f < npaths; f++) ws_free(bufs[f]);
    if (st) ws_dataset_free(out);
    return st;
}
