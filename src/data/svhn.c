// SVHN format 2 (cropped digits): MATLAB level-5 files train_32x32.mat,
// test_32x32.mat, extra_32x32.mat, read with libmatio. X is uint8 32x32x3xN in
// MATLAB's column-major order (element (row i, column j, channel c, image n) at
// i + 32 j + 1024 c + 3072 n); y is N x 1, numeric, 1..10 with 10 the digit 0.
// The variables' class, rank and dimensions are checked from their headers
// before any data is read, so a lying file cannot make us allocate gigabytes.
#include <math.h>
#include <matio.h>
#include <string.h>

#include "core/file.h"
#include "data/loaders.h"

#define SVHN_MAX_N (1 << 24)

static double numeric_at(const matvar_t *v, size_t i) {
    switch (v->class_type) {
    case MAT_C_DOUBLE: return ((const double *)v->data)[i];
    case MAT_C_SINGLE: return ((const float *)v->data)[i];
    case MAT_C_UINT8: return ((const uint8_t *)v->data)[i];
    case MAT_C_INT8: return ((const int8_t *)v->data)[i];
    case MAT_C_UINT16: return ((const uint16_t *)v->data)[i];
    case MAT_C_INT16: return ((const int16_t *)v->data)[i];
    case MAT_C_UINT32: return ((const uint32_t *)v->data)[i];
    case MAT_C_INT32: return ((const int32_t *)v->data)[i];
    default: return NAN;
    }
}

static int element_size(enum matio_classes c) {
    switch (c) {
    case MAT_C_DOUBLE: return 8;
    case MAT_C_SINGLE: case MAT_C_UINT32: case MAT_C_INT32: return 4;
    case MAT_C_UINT16: case MAT_C_INT16: return 2;
    case MAT_C_UINT8: case MAT_C_INT8: return 1;
    default: return 0;
    }
}

// MATLAB level 5: a 128-byte header whose last bytes give the version (0x0100) and the byte order
// ("IM" written by a little-endian machine), then elements: an 8-byte tag (type, size in bytes;
// a small element packs both in 4 bytes and its data in the other 4) and the data, padded to 8
// bytes unless compressed (type 15). libmatio sizes its reads and allocations from the sizes and
// dimensions there unchecked: a 233-byte file whose first element claimed 2 GB took it 6 s to
// refuse, and a 3 KB one whose array claimed 32 x 46,624 elements 3 GB and 2 s (the svhn
// fuzzer's findings, docs/FUZZING.md). So, before libmatio opens a file, each top-level element
// must fit in it, and an uncompressed numeric array's elements in its element.
typedef struct {
    const uint8_t *b;
    size_t len;
    int little;
} mat_bytes;

static uint32_t u32_at(const mat_bytes *m, size_t off) {
    const uint8_t *t = m->b + off;
    return m->little ? (uint32_t)t[0] | (uint32_t)t[1] << 8 | (uint32_t)t[2] << 16 | (uint32_t)t[3] << 24
                     : (uint32_t)t[3] | (uint32_t)t[2] << 8 | (uint32_t)t[1] << 16 | (uint32_t)t[0] << 24;
}

// Bytes a value of MATLAB class c takes (the numeric classes 6..15), 0 for the others.
static int class_bytes(uint32_t c) {
    static const int bytes[16] = {0, 0, 0, 0, 0, 0, 8, 4, 1, 1, 2, 2, 4, 4, 8, 8};
    return c < 16 ? bytes[c] : 0;
}

// An uncompressed array element (miMATRIX, data at off, size bytes): do its dimensions' values
// fit in it? An element of another shape than flags-then-dimensions is left to libmatio.
static int array_fits(const mat_bytes *m, size_t off, uint32_t size) {
    if (size < 24 || u32_at(m, off) != 6 || u32_at(m, off + 4) != 8 || u32_at(m, off + 16) != 5) return 1;
    const int bytes = class_bytes(u32_at(m, off + 8) & 0xff);
    const uint32_t dims_size = u32_at(m, off + 20);
    if (!bytes || dims_size > size - 24 || dims_size % 4) return 1;
    double values = 1;
    for (uint32_t k = 0; k < dims_size; k += 4) values *= u32_at(m, off + 24 + k);
    return values * bytes <= size;
}

// The offset of the first top-level element that does not fit (in the file, or its values in
// it), -1 when all do (or the file is another version, left to libmatio); *claimed its size.
static long element_past_end(const uint8_t *b, size_t len, uint32_t *claimed) {
    if (len < 128 || !((b[126] == 'I' && b[127] == 'M') || (b[126] == 'M' && b[127] == 'I'))) return -1;
    const mat_bytes m = {b, len, b[126] == 'I'};
    const uint16_t version = m.little ? (uint16_t)(b[124] | b[125] << 8) : (uint16_t)(b[125] | b[124] << 8);
    if (version != 0x0100) return -1;
    for (size_t off = 128; off + 8 <= len;) {
        const uint32_t type = u32_at(&m, off), size = u32_at(&m, off + 4);
        if (type >> 16) { // a small element: 8 bytes in all
            off += 8;
            continue;
        }
        if (size > len - off - 8 || (type == 14 && !array_fits(&m, off + 8, size))) return *claimed = size, (long)off;
        const size_t step = 8 + (size_t)size;
        off += type == 15 ? step : (step + 7) / 8 * 8;
    }
    return -1;
}

// Does the 128-byte header say level 5 (0x0100) or 7.3 (0x0200, HDF5) with an endian mark? SVHN
// ships level-5 files. Anything else would go to libmatio's level-4 reader, which takes a
// garbage header's name length at its word (the fuzzer: 10 s of memset over 1.9 GB).
static int mat5_or_73(const uint8_t *b, size_t len) {
    if (len < 128 || !((b[126] == 'I' && b[127] == 'M') || (b[126] == 'M' && b[127] == 'I'))) return 0;
    const uint16_t version = b[126] == 'I' ? (uint16_t)(b[124] | b[125] << 8) : (uint16_t)(b[125] | b[124] << 8);
    return version == 0x0100 || version == 0x0200;
}

ws_status ws_svhn_load(ws_ctx *ctx, ws_dataset *out, const char *path) {
    memset(out, 0, sizeof *out);
    uint8_t *probe;
    size_t plen;
    // The same missing / directory / unreadable messages as every other loader.
    ws_status st = ws_file_read(ctx, path, "SVHN .mat file", &probe, &plen);
    if (st) return st;
    uint32_t claimed = 0;
    const int versioned = mat5_or_73(probe, plen);
    const long bad = element_past_end(probe, plen, &claimed);
    ws_free(probe);
    if (!versioned)
        return ws_fail(ctx, WS_ERR_FORMAT, "%s: not a MATLAB level-5 or 7.3 .mat file (no version and endian mark at "
                                          "bytes 124-127; SVHN's files are level 5)", path);
    if (bad >= 0)
        return ws_fail(ctx, WS_ERR_FORMAT, "%s: the element at byte %ld (%u bytes) does not fit in the file (%zu bytes) or "
                                          "its array's values in it: truncated or corrupt", path, bad, claimed, plen);
    mat_t *mat = Mat_Open(path, MAT_ACC_RDONLY);
    if (!mat) return ws_fail(ctx, WS_ERR_FORMAT, "%s: not a MATLAB .mat file (libmatio cannot open it)", path);
    matvar_t *xi = NULL, *yi = NULL, *x = NULL, *y = NULL;
    xi = Mat_VarReadInfo(mat, "X");
    yi = xi ? Mat_VarReadInfo(mat, "y") : NULL;
    if (!xi || !yi) {
        st = ws_fail(ctx, WS_ERR_FORMAT, "%s: no variable '%s' (SVHN format 2 files hold X and y)", path, xi ? "y" : "X");
        goto done;
    }
    if (xi->class_type != MAT_C_UINT8 || xi->isComplex || xi->rank != 4 || xi->dims[0] != 32 || xi->dims[1] != 32 ||
        xi->dims[2] != 3 || xi->dims[3] < 1 || xi->dims[3] > SVHN_MAX_N) {
        st = ws_fail(ctx, WS_ERR_FORMAT, "%s: X must be uint8 32x32x3xN with 1 <= N <= %d, found %s rank %d (%zu x %zu%s)",
                     path, SVHN_MAX_N, xi->class_type == MAT_C_UINT8 ? "uint8" : "another class", xi->rank,
                     xi->rank > 0 ? xi->dims[0] : 0, xi->rank > 1 ? xi->dims[1] : 0, xi->rank > 2 ? " x ..." : "");
        goto done;
    }
    const size_t n = xi->dims[3];
    int esz = element_size(yi->class_type);
    if (!esz || yi->isComplex || yi->rank != 2 || !((yi->dims[0] == n && yi->dims[1] == 1) || (yi->dims[0] == 1 && yi->dims[1] == n))) {
        st = ws_fail(ctx, WS_ERR_FORMAT, "%s: y must be a real numeric %zu x 1 vector (one label per image of X), found rank %d (%zu x %zu)",
                     path, n, yi->rank, yi->rank > 0 ? yi->dims[0] : 0, yi->rank > 1 ? yi->dims[1] : 0);
        goto done;
    }
    x = Mat_VarRead(mat, "X");
    y = x ? Mat_VarRead(mat, "y") : NULL;
    if (!x || !y || !x->data || !y->data || x->class_type != MAT_C_UINT8 || x->rank != 4 || x->dims[3] != n ||
        x->nbytes < n * WS_CIFAR_PIXELS || y->class_type != yi->class_type || y->nbytes < n * (size_t)esz) {
        st = ws_fail(ctx, WS_ERR_FORMAT, "%s: cannot read the data of %s (truncated or corrupt file)", path, x ? "y" : "X");
        goto done;
    }
    out->n = (int64_t)n;
    out->c = 3, out->h = 32, out->w = 32;
    out->num_classes = 10;
    out->x = ws_alloc(ctx, n * WS_CIFAR_PIXELS);
    out->y = ws_alloc(ctx, sizeof(int32_t) * n);
    if (!out->x || !out->y) {
        st = WS_ERR_NOMEM;
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        double v = numeric_at(y, i);
        if (!(v >= 1 && v <= 10 && v == floor(v))) {
            st = ws_fail(ctx, WS_ERR_FORMAT, "%s: label y(%zu) = %g, expected an integer 1..10 (10 is the digit 0)", path,
                         i + 1, v);
            goto done;
        }
        out->y[i] = (int32_t)v % 10;
    }
    // Column-major (i, j, c, n) -> (n, c, i, j).
    const uint8_t *src = x->data;
    for (size_t k = 0; k < n; k++)
        for (int c = 0; c < 3; c++)
            for (int j = 0; j < 32; j++)
                for (int i = 0; i < 32; i++)
                    out->x[((k * 3 + (size_t)c) * 32 + (size_t)i) * 32 + (size_t)j] = src[(size_t)i + 32 * (size_t)j + 1024 * (size_t)c + 3072 * k];
done:
    if (xi) Mat_VarFree(xi);
    if (yi) Mat_VarFree(yi);
    if (x) Mat_VarFree(x);
    if (y) Mat_VarFree(y);
    Mat_Close(mat);
    if (st) ws_dataset_free(out);
    return st;
}
