// IDX files (the MNIST format): big-endian magic 0x0000 08 NDIM (0x08 = uint8),
// then NDIM big-endian uint32 dimensions, then the data. Read through zlib's
// gzread, which reads gzip'd and plain files alike.
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "data/dataset.h"

typedef struct {
    gzFile f;
    const char *path;
} idx_file;

static ws_status idx_open(ws_ctx *ctx, idx_file *f, const char *path) {
    struct stat st;
    f->path = path;
    f->f = NULL;
    if (stat(path, &st) != 0) return ws_fail(ctx, WS_ERR_IO, "%s: %s", path, ws_sys_strerror(errno));
    if (S_ISDIR(st.st_mode)) return ws_fail(ctx, WS_ERR_IO, "%s: is a directory, expected an IDX file", path);
    f->f = gzopen(path, "rb");
    if (!f->f) return ws_fail(ctx, WS_ERR_IO, "%s: %s", path, ws_sys_strerror(errno ? errno : EIO));
    gzbuffer(f->f, 1 << 17);
    return WS_OK;
}

// Read up to n bytes into buf, stopping early only at the end of the file; *done: bytes read.
// Fails (naming what was being read) only on corrupt compressed data.
static ws_status idx_read_upto(ws_ctx *ctx, idx_file *f, uint8_t *buf, size_t n, const char *what, size_t *done) {
    *done = 0;
    while (*done < n) {
        unsigned chunk = (unsigned)((n - *done) > (1u << 30) ? (1u << 30) : (n - *done));
        int got = gzread(f->f, buf + *done, chunk);
        if (got < 0) {
            int errnum;
            const char *msg = gzerror(f->f, &errnum);
            return ws_fail(ctx, WS_ERR_FORMAT, "%s: corrupt compressed data while reading %s (%s)", f->path, what, msg);
        }
        if (got == 0) break;
        *done += (size_t)got;
    }
    return WS_OK;
}

static ws_status truncated(ws_ctx *ctx, const idx_file *f, const char *what, size_t n, size_t done) {
    return ws_fail(ctx, WS_ERR_FORMAT, "%s: truncated: %s needs %zu bytes, file has only %zu", f->path, what, n, done);
}

// Read exactly n bytes, or fail naming what was being read.
static ws_status idx_read(ws_ctx *ctx, idx_file *f, void *buf, size_t n, const char *what) {
    size_t done;
    ws_status st = idx_read_upto(ctx, f, buf, n, what, &done);
    if (!st && done < n) st = truncated(ctx, f, what, n, done);
    return st;
}

// Read exactly n bytes into a buffer of its own (*out, ws_free), grown as the data arrives:
// a header that promises more than the file holds costs no more memory than the file does.
static ws_status idx_read_alloc(ws_ctx *ctx, idx_file *f, size_t n, const char *what, uint8_t **out) {
    *out = NULL;
    size_t cap = n < ((size_t)64 << 20) ? n : ((size_t)64 << 20), done = 0;
    uint8_t *buf = ws_alloc(ctx, cap ? cap : 1);
    if (!buf) return ws_nomem(ctx);
    ws_status st = WS_OK;
    while (!st && done < n) {
        if (done == cap) { // the data so far filled the buffer: double it, up to n
            size_t grown = cap > n / 2 ? n : 2 * cap;
            uint8_t *b = ws_alloc(ctx, grown);
            if (!b) {
                st = ws_nomem(ctx);
                break;
            }
            memcpy(b, buf, done);
            ws_free(buf);
            buf = b, cap = grown;
        }
        size_t got;
        if ((st = idx_read_upto(ctx, f, buf + done, cap - done, what, &got))) break;
        done += got;
        if (done < cap) st = truncated(ctx, f, what, n, done); // the file ended before the buffer filled
    }
    if (st) ws_free(buf);
    else *out = buf;
    return st;
}

static ws_status idx_expect_end(ws_ctx *ctx, idx_file *f) {
    char extra[64];
    int got = gzread(f->f, extra, sizeof extra);
    if (got > 0) return ws_fail(ctx, WS_ERR_FORMAT, "%s: unexpected bytes after the data (wrong size in header?)", f->path);
    if (got < 0) return ws_fail(ctx, WS_ERR_FORMAT, "%s: corrupt compressed data at the end of the file", f->path);
    return WS_OK;
}

static uint32_t be32(const uint8_t *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }

// Read the header; check magic and dimension count.
static ws_status idx_header(ws_ctx *ctx, idx_file *f, int ndim, uint32_t *dims, const char *kind) {
    uint8_t h[4 + 4 * 3];
    ws_status st = idx_read(ctx, f, h, 4 + 4 * (size_t)ndim, "the header");
    if (st) return st;
    uint32_t magic = be32(h), want = 0x00000800u | (uint32_t)ndim;
    if (magic != want)
        return ws_fail(ctx, WS_ERR_FORMAT, "%s: bad magic 0x%08x, expected 0x%08x (%s: uint8, %d dims)", f->path, magic,
                       want, kind, ndim);
    for (int i = 0; i < ndim; i++) dims[i] = be32(h + 4 + 4 * i);
    return WS_OK;
}

ws_status ws_idx_load(ws_ctx *ctx, ws_dataset *out, const char *images_path, const char *labels_path,
                      int num_classes) {
    memset(out, 0, sizeof *out);
    idx_file fi = {0}, fl = {0};
    uint8_t *labels8 = NULL;
    uint32_t di[3], dl[1];
    ws_status st;
    if ((st = idx_open(ctx, &fi, images_path))) goto done;
    if ((st = idx_header(ctx, &fi, 3, di, "images"))) goto done;
    if (di[0] == 0 || di[1] == 0 || di[2] == 0 || di[1] > 4096 || di[2] > 4096 || di[0] > (1u << 28)) {
        st = ws_fail(ctx, WS_ERR_FORMAT, "%s: implausible image dimensions %u x %u x %u", images_path, di[0], di[1], di[2]);
        goto done;
    }
    if ((st = idx_open(ctx, &fl, labels_path))) goto done;
    if ((st = idx_header(ctx, &fl, 1, dl, "labels"))) goto done;
    if (dl[0] != di[0]) {
        st = ws_fail(ctx, WS_ERR_FORMAT, "%s: %u labels, but %s has %u images", labels_path, dl[0], images_path, di[0]);
        goto done;
    }
    out->n = di[0];
    out->c = 1;
    out->h = (int)di[1];
    out->w = (int)di[2];
    size_t bytes = (size_t)out->n * di[1] * di[2];
    // Memory follows the data read, not the header's promise (a corrupt header asked for 4 GB).
    uint8_t *pixels = NULL;
    if ((st = idx_read_alloc(ctx, &fi, bytes, "the pixels", &pixels))) goto done;
    out->x = pixels;
    if ((st = idx_expect_end(ctx, &fi))) goto done;
    if ((st = idx_read_alloc(ctx, &fl, (size_t)out->n, "the labels", &labels8))) goto done;
    if ((st = idx_expect_end(ctx, &fl))) goto done;
    if (!(out->y = ws_alloc(ctx, sizeof(int32_t) * (size_t)out->n))) { st = ws_nomem(ctx); goto done; }
    int maxlabel = 0;
    for (int64_t i = 0; i < out->n; i++) {
        if (num_classes > 0 && labels8[i] >= num_classes) {
            st = ws_fail(ctx, WS_ERR_FORMAT, "%s: label %d of example %lld is out of range [0, %d)", labels_path,
                         labels8[i], (long long)i, num_classes);
            goto done;
        }
        if (labels8[i] > maxlabel) maxlabel = labels8[i];
        out->y[i] = labels8[i];
    }
    out->num_classes = num_classes > 0 ? num_classes : maxlabel + 1;
    if (out->num_classes < 2) st = ws_fail(ctx, WS_ERR_FORMAT, "%s: all labels are 0, need at least 2 classes", labels_path);
done:
    if (fi.f) gzclose(fi.f);
    if (fl.f) gzclose(fl.f);
    ws_free(labels8);
    if (st) ws_dataset_free(out);
    return st;
}
