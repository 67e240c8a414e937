// SVHN format 2 (cropped digits): MATLAB level-5 files train_32x32.mat,
// test_32x32.mat, extra_32x32.mat, read with libmatio. X is uint8 32x32x3xN in
// MATLAB's column-major order (element (row i, column j, channel c, image n) at
// i + 32 j + 1024 c + 3072 n); y is N x 1, numeric, 1..10 with 10 the digit 0.
// The variables' class, rank and dimensions are checked from their headers
// before any data is read, so a lying file cannot make us allocate gigabytes.
#include <math.h>
#include <matio.h>
#include <string.h>
#include <zlib.h>

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
// bytes unless compressed (type 15: a zlib stream of an array element, type 14). An array element
// is array flags, a dimensions tag and the dimensions, a name tag and the name, then the data.
//
// libmatio 1.5.23 reads the header of every top-level variable up to the one it is asked for, and
// sizes its reads, allocations and memsets from those fields before it checks them against the
// file (where a read runs into the end of the file it also zeroes the whole buffer). The fuzzer
// and crafted files of under 200 bytes (docs/FUZZING.md) made it spend seconds on: an element
// claiming 2 GB (6 s), an array's dimensions claiming 3 GB of values, a name length of 4 GB (5 s
// uncompressed, 9 s compressed), a dimensions tag of 2 GB (8 s), a cell of 2^24 empty elements
// (10 s, 3.4 GB), a struct of 2^31 one-byte field names (2.6 s). So, before libmatio opens a
// file, every top-level element must fit in it, and every array header (inflating the first
// bytes of a compressed element) must be what SVHN's X and y need, with a reason for each bound:
enum {
    MAT_OK,
    MAT_PAST_END, // the element's size: libmatio reads that many bytes
    MAT_NOT_ARRAY, // libmatio reads only types 14 and 15 and stops at anything else
    MAT_SHORT, // a header cut short: libmatio would read on past it, into the next element
    MAT_FLAGS, // array flags: a uint32 element of 8 bytes in every MATLAB and libmatio file
    MAT_CLASS, // cells and structs: libmatio walks and allocates every element and field name
    MAT_RANK, // the dimensions tag's size: libmatio allocates and zeroes from it
    MAT_NAME, // the name's length: libmatio allocates and zeroes from it
    MAT_VALUES, // dimensions x class size: what libmatio allocates and inflates for the data
};
static const char *const mat_fault[] = {
    [MAT_PAST_END] = "does not fit in the file",
    [MAT_NOT_ARRAY] = "is not an array (type 14) or a compressed one (15)",
    [MAT_SHORT] = "has an array header cut short",
    [MAT_FLAGS] = "has no array flags (a uint32 pair) where they belong",
    [MAT_CLASS] = "is not a numeric array (a cell, struct, object, text or sparse; SVHN's X and y are numeric)",
    [MAT_RANK] = "has a rank outside 2..8 (SVHN's X has 4 dimensions, y 2)",
    [MAT_NAME] = "has no name or one over 63 characters (MATLAB's namelengthmax)",
    [MAT_VALUES] = "claims more values (its dimensions times their size) than its bytes can hold",
};
#define MAT_MAX_RANK 8
#define MAT_MAX_NAME 63
// deflate's best ratio is 1032:1 (258 bytes from 2 bits): a compressed element holds no more.
#define ZLIB_MAX_RATIO 1032.0
// The largest header those bounds allow: tag 8, flags 16, dimensions tag 8 + 4 x 8, name tag 8 + 64.
#define MAT_MAX_HEADER 136

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

// The array element in h (h->len bytes: all of it, or the first inflated bytes of a compressed
// one), whose data can hold at most max_bytes: MAT_OK or the first bound it breaks.
static int array_header(const mat_bytes *h, double max_bytes) {
    if (h->len < 40) return MAT_SHORT;
    if (u32_at(h, 0) != 14) return MAT_NOT_ARRAY;
    if (u32_at(h, 8) != 6 || u32_at(h, 12) != 8) return MAT_FLAGS;
    const uint32_t flags = u32_at(h, 16), dims_size = u32_at(h, 28);
    const int bytes = class_bytes(flags & 0xff) * (flags & 0x800 ? 2 : 1); // 0x800: complex
    if (!bytes) return MAT_CLASS;
    if (u32_at(h, 24) != 5 || dims_size % 4 || dims_size < 8 || dims_size > 4 * MAT_MAX_RANK) return MAT_RANK;
    const size_t name_tag = 32 + (dims_size + 7) / 8 * 8;
    if (h->len < name_tag + 8) return MAT_SHORT;
    const uint32_t name_type = u32_at(h, name_tag), name_len = u32_at(h, name_tag + 4);
    const int packed = (name_type & 0xffff) == 1 && name_type >> 16 >= 1 && name_type >> 16 <= 4;
    if (!packed && (name_type != 1 || name_len < 1 || name_len > MAT_MAX_NAME)) return MAT_NAME;
    double values = bytes;
    for (uint32_t k = 0; k < dims_size; k += 4) values *= u32_at(h, 32 + k);
    return values <= max_bytes ? MAT_OK : MAT_VALUES;
}

// A compressed element's (data at off, size bytes) first MAT_MAX_HEADER bytes inflated, then
// checked as an array header: inflating all of it is libmatio's work, and could be 1000 times
// the file.
static int compressed_header(const mat_bytes *m, size_t off, uint32_t size) {
    uint8_t head[MAT_MAX_HEADER];
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit(&z) != Z_OK) return MAT_SHORT;
    z.next_in = (Bytef *)(uintptr_t)(m->b + off), z.avail_in = size;
    z.next_out = head, z.avail_out = sizeof head;
    (void)inflate(&z, Z_SYNC_FLUSH); // a stream error shows as a short header
    const mat_bytes h = {head, sizeof head - z.avail_out, m->little};
    inflateEnd(&z);
    return array_header(&h, ZLIB_MAX_RATIO * size);
}

// The first top-level element that breaks a bound (MAT_OK when none does, or the file is another
// version, left to libmatio); *at its offset, *claimed its size.
static int mat5_elements(const uint8_t *b, size_t len, long *at, uint32_t *claimed) {
    if (len < 128 || !((b[126] == 'I' && b[127] == 'M') || (b[126] == 'M' && b[127] == 'I'))) return MAT_OK;
    const mat_bytes m = {b, len, b[126] == 'I'};
    const uint16_t version = m.little ? (uint16_t)(b[124] | b[125] << 8) : (uint16_t)(b[125] | b[124] << 8);
    if (version != 0x0100) return MAT_OK;
    for (size_t off = 128; off + 8 <= len;) {
        const uint32_t type = u32_at(&m, off), size = u32_at(&m, off + 4);
        const mat_bytes whole = {b + off, 8 + (size_t)size, m.little};
        *at = (long)off, *claimed = size;
        const int fault = type != 14 && type != 15 ? MAT_NOT_ARRAY
                          : size > len - off - 8    ? MAT_PAST_END
                          : type == 14              ? array_header(&whole, size)
                                                    : compressed_header(&m, off + 8, size);
        if (fault) return fault;
        const size_t step = 8 + (size_t)size;
        off += type == 15 ? step : (step + 7) / 8 * 8;
    }
    return MAT_OK;
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
    long at = 0;
    const int versioned = mat5_or_73(probe, plen);
    const int fault = mat5_elements(probe, plen, &at, &claimed);
    ws_free(probe);
    if (!versioned)
        return ws_fail(ctx, WS_ERR_FORMAT, "%s: not a MATLAB level-5 or 7.3 .mat file (no version and endian mark at "
                                          "bytes 124-127; SVHN's files are level 5)", path);
    if (fault)
        return ws_fail(ctx, WS_ERR_FORMAT, "%s: the element at byte %ld (%u bytes, in a file of %zu) %s: truncated, corrupt "
                                          "or not an SVHN file", path, at, claimed, plen, mat_fault[fault]);
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
        st = ws_nomem(ctx);
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
