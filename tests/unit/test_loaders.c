// The dataset loaders on small files the tests write: CIFAR-10 and CIFAR-100
// binary batches, SVHN .mat files (written with libmatio), image folders of
// PNGs (libpng) and JPEGs (libjpeg); and on broken ones: truncated, wrong
// size, wrong dims, labels out of range, empty, corrupt, a directory where a
// file should be, missing files, SVHN headers crafted against libmatio. Every
// failure must be one message naming the file and the reason, and leave
// nothing loaded.
#define _POSIX_C_SOURCE 200809L
#include <matio.h>
#include <stdio.h> // before jpeglib.h
#include <jpeglib.h>
#include <png.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "core/file.h"
#include "data/dataset.h"
#include "data/loaders.h"
#include "suites.h"

static ws_ctx ctx;
static void setup(void) { ws_ctx_init(&ctx, 2); }

static char dir[512];

// A fresh folder under the test tmpdir.
static const char *fresh(const char *name) {
    snprintf(dir, sizeof dir, "%s/%s", test_tmpdir(), name);
    mkdir(dir, 0755);
    return dir;
}

static void write_at(const char *d, const char *name, const void *data, size_t n) {
    char p[1024];
    snprintf(p, sizeof p, "%s/%s", d, name);
    FILE *f = fopen(p, "wb");
    ck_assert_ptr_nonnull(f);
    if (n) ck_assert_uint_eq(fwrite(data, 1, n, f), n);
    fclose(f);
}

// Loading `spec` fails with `code` and a message containing every needle.
static void expect_fail(const char *spec, const ws_source_opts *o, ws_status code, const char *n1, const char *n2) {
    ws_source src;
    ctx.err[0] = 0;
    ws_status st = ws_source_load(&ctx, &src, spec, o);
    ck_assert_msg(st == code, "%s: status %d, expected %d (%s)", spec, st, code, ctx.err);
    ck_assert_msg(strstr(ctx.err, n1), "%s: message '%s' lacks '%s'", spec, ctx.err, n1);
    if (n2) ck_assert_msg(strstr(ctx.err, n2), "%s: message '%s' lacks '%s'", spec, ctx.err, n2);
    ck_assert_ptr_null(src.train.x);
    ck_assert_ptr_null(src.class_names);
}

// ---- CIFAR --------------------------------------------------------------------------------------

// n records; pixel p of record r = (r * 7 + p) & 255; label(s) from `lab`.
static uint8_t *cifar_records(int n, int label_bytes, int (*lab)(int r, int k)) {
    size_t rec = (size_t)label_bytes + 3072;
    uint8_t *b = malloc(rec * (size_t)n);
    for (int r = 0; r < n; r++) {
        for (int k = 0; k < label_bytes; k++) b[rec * r + k] = (uint8_t)lab(r, k);
        for (int p = 0; p < 3072; p++) b[rec * r + label_bytes + p] = (uint8_t)((r * 7 + p) & 255);
    }
    return b;
}
static int lab10(int r, int k) { return (void)k, r % 10; }
static int lab100(int r, int k) { return k == 0 ? r % 20 : (r * 3) % 100; }

static const char *cifar10_dir(const char *name, int per_file) {
    const char *d = fresh(name);
    uint8_t *b = cifar_records(per_file, 1, lab10);
    for (int i = 1; i <= 5; i++) {
        char f[32];
        snprintf(f, sizeof f, "data_batch_%d.bin", i);
        write_at(d, f, b, 3073 * (size_t)per_file);
    }
    write_at(d, "test_batch.bin", b, 3073 * (size_t)per_file);
    free(b);
    const char *meta = "airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n\n";
    write_at(d, "batches.meta.txt", meta, strlen(meta));
    return d;
}

START_TEST(cifar10_loads) {
    const char *d = cifar10_dir("c10", 4);
    char spec[600];
    snprintf(spec, sizeof spec, "cifar10:%s", d);
    ws_source src;
    ck_assert_int_eq(ws_source_load(&ctx, &src, spec, NULL), WS_OK);
    ck_assert_int_eq(src.train.n, 20);
    ck_assert_int_eq(src.test.n, 4);
    ck_assert_int_eq(src.train.c, 3);
    ck_assert_int_eq(src.train.h, 32);
    ck_assert_int_eq(src.train.w, 32);
    ck_assert_int_eq(src.num_classes, 10);
    ck_assert_str_eq(src.class_names[9], "truck");
    // record 2 of file 3 is example 10: label 2, pixel p = (2 * 7 + p) & 255, already (C, H, W)
    ck_assert_int_eq(src.train.y[10], 2);
    ck_assert_int_eq(src.train.x[10 * 3072 + 1500], (14 + 1500) & 255);
    ws_source_free(&src);
}
END_TEST

START_TEST(cifar10_broken) {
    char spec[600];
    const char *d = cifar10_dir("c10bad", 2);
    snprintf(spec, sizeof spec, "cifar10:%s", d);
    // truncated: one byte short of 2 records
    uint8_t *b = cifar_records(2, 1, lab10);
    write_at(d, "data_batch_3.bin", b, 2 * 3073 - 1);
    expect_fail(spec, NULL, WS_ERR_FORMAT, "data_batch_3.bin", "whole number of 3073-byte records");
    // label out of range
    b[3073] = 10;
    write_at(d, "data_batch_3.bin", b, 2 * 3073);
    expect_fail(spec, NULL, WS_ERR_FORMAT, "data_batch_3.bin", "record 1 has the label 10, outside [0, 10)");
    // empty
    write_at(d, "data_batch_3.bin", b, 0);
    expect_fail(spec, NULL, WS_ERR_FORMAT, "data_batch_3.bin", "empty");
    b[3073] = 1;
    write_at(d, "data_batch_3.bin", b, 2 * 3073);
    // wrong number of class names
    write_at(d, "batches.meta.txt", "a\nb\n", 4);
    expect_fail(spec, NULL, WS_ERR_FORMAT, "batches.meta.txt", "2 class names, expected 10");
    remove(strcat(strcpy((char[700]){0}, d), "/batches.meta.txt")); // optional: numbered names then
    ws_source src;
    ck_assert_int_eq(ws_source_load(&ctx, &src, spec, NULL), WS_OK);
    ck_assert_str_eq(src.class_names[3], "3");
    ws_source_free(&src);
    // a directory where a batch should be; a missing batch
    char p[700];
    snprintf(p, sizeof p, "%s/test_batch.bin", d);
    remove(p);
    mkdir(p, 0755);
    expect_fail(spec, NULL, WS_ERR_IO, "test_batch.bin", "is a directory");
    rmdir(p);
    expect_fail(spec, NULL, WS_ERR_IO, "missing test_batch.bin", "cifar-10-binary.tar.gz");
    free(b);
}
END_TEST

START_TEST(cifar100_fine_and_coarse) {
    const char *d = fresh("c100");
    char sub[600];
    snprintf(sub, sizeof sub, "%s/cifar-100-binary", d); // the archive's own folder is found
    mkdir(sub, 0755);
    uint8_t *b = cifar_records(30, 2, lab100);
    write_at(sub, "train.bin", b, 3074 * 30);
    write_at(sub, "test.bin", b, 3074 * 5);
    char spec[700];
    snprintf(spec, sizeof spec, "cifar100:%s", d);
    ws_source src;
    ck_assert_int_eq(ws_source_load(&ctx, &src, spec, NULL), WS_OK);
    ck_assert_int_eq(src.num_classes, 100);
    ck_assert_int_eq(src.train.n, 30);
    ck_assert_int_eq(src.train.y[7], 21); // fine label (7 * 3) % 100
    ck_assert_str_eq(src.labels, "fine");
    ws_source_free(&src);
    ws_source_opts coarse = {.cifar100_coarse = 1};
    ck_assert_int_eq(ws_source_load(&ctx, &src, spec, &coarse), WS_OK);
    ck_assert_int_eq(src.num_classes, 20);
    ck_assert_int_eq(src.train.y[27], 7); // coarse label 27 % 20
    ws_source_free(&src);
    // a CIFAR-10 file given as CIFAR-100: 3073-byte records do not divide
    uint8_t *b10 = cifar_records(3, 1, lab10);
    write_at(sub, "test.bin", b10, 3073 * 3);
    expect_fail(spec, NULL, WS_ERR_FORMAT, "test.bin", "3074-byte records");
    // a fine label of 100
    b[3074 * 2 + 1] = 100;
    write_at(sub, "test.bin", b, 3074 * 5);
    expect_fail(spec, NULL, WS_ERR_FORMAT, "test.bin", "fine label 100");
    ws_source_opts extra = {.svhn_extra = 0, .cifar100_coarse = 1};
    expect_fail("cifar10:/nowhere", &extra, WS_ERR_ARG, "--labels coarse is for cifar100", NULL);
    free(b), free(b10);
}
END_TEST

// ---- SVHN ---------------------------------------------------------------------------------------

// Write X (uint8 d0 x d1 x d2 x n, column-major, element value (i + 2j + 5c + 11k) & 255) and y.
// zip: written compressed (MAT_COMPRESSION_ZLIB, as SVHN's own files are).
static void write_mat_z(const char *path, size_t d0, size_t d1, size_t d2, size_t n, const double *labels, size_t ny,
                        int with_y, int zip) {
    const enum matio_compression z = zip ? MAT_COMPRESSION_ZLIB : MAT_COMPRESSION_NONE;
    mat_t *m = Mat_CreateVer(path, NULL, MAT_FT_MAT5);
    ck_assert_ptr_nonnull(m);
    size_t total = d0 * d1 * d2 * n;
    uint8_t *x = malloc(total ? total : 1);
    for (size_t k = 0; k < n; k++)
        for (size_t c = 0; c < d2; c++)
            for (size_t j = 0; j < d1; j++)
                for (size_t i = 0; i < d0; i++) x[i + d0 * j + d0 * d1 * c + d0 * d1 * d2 * k] = (uint8_t)((i + 2 * j + 5 * c + 11 * k) & 255);
    size_t dx[4] = {d0, d1, d2, n}, dy[2] = {ny, 1};
    matvar_t *vx = Mat_VarCreate("X", MAT_C_UINT8, MAT_T_UINT8, 4, dx, x, 0);
    ck_assert_int_eq(Mat_VarWrite(m, vx, z), 0);
    Mat_VarFree(vx);
    if (with_y) {
        matvar_t *vy = Mat_VarCreate("y", MAT_C_DOUBLE, MAT_T_DOUBLE, 2, dy, (void *)labels, 0);
        ck_assert_int_eq(Mat_VarWrite(m, vy, z), 0);
        Mat_VarFree(vy);
    }
    Mat_Close(m);
    free(x);
}

static void write_mat(const char *path, size_t d0, size_t d1, size_t d2, size_t n, const double *labels, size_t ny,
                      int with_y) {
    write_mat_z(path, d0, d1, d2, n, labels, ny, with_y, 0);
}

START_TEST(svhn_loads_and_refuses) {
    const char *d = fresh("svhn");
    char tr[700], te[700], spec[700];
    snprintf(tr, sizeof tr, "%s/train_32x32.mat", d);
    snprintf(te, sizeof te, "%s/test_32x32.mat", d);
    snprintf(spec, sizeof spec, "svhn:%s", d);
    double y6[6] = {1, 10, 3, 10, 5, 9};
    write_mat(tr, 32, 32, 3, 6, y6, 6, 1);
    write_mat(te, 32, 32, 3, 2, y6, 2, 1);
    ws_source src;
    ck_assert_int_eq(ws_source_load(&ctx, &src, spec, NULL), WS_OK);
    ck_assert_int_eq(src.train.n, 6);
    ck_assert_int_eq(src.test.n, 2);
    ck_assert_int_eq(src.train.y[0], 1);
    ck_assert_int_eq(src.train.y[1], 0); // 10 is the digit 0
    // X(i=4, j=7, c=2, k=3) -> example 3, channel 2, row 4, column 7
    ck_assert_int_eq(src.train.x[((3 * 3 + 2) * 32 + 4) * 32 + 7], (4 + 14 + 10 + 33) & 255);
    ws_source_free(&src);
    // --extra adds extra_32x32.mat, and says so when it is missing
    ws_source_opts ex = {.svhn_extra = 1};
    expect_fail(spec, &ex, WS_ERR_IO, "missing extra_32x32.mat", "housenumbers");
    char exp[700];
    snprintf(exp, sizeof exp, "%s/extra_32x32.mat", d);
    write_mat(exp, 32, 32, 3, 3, y6, 3, 1);
    ck_assert_int_eq(ws_source_load(&ctx, &src, spec, &ex), WS_OK);
    ck_assert_int_eq(src.train.n, 9);
    ws_source_free(&src);
    // broken: a label 0, a label 11, a non-integer label, wrong dims, no y, too few labels, not a .mat file
    double bad[3][2] = {{1, 0}, {11, 2}, {2.5, 1}};
    const char *why[3] = {"y(2) = 0", "y(1) = 11", "y(1) = 2.5"};
    for (int k = 0; k < 3; k++) {
        write_mat(te, 32, 32, 3, 2, bad[k], 2, 1);
        expect_fail(spec, NULL, WS_ERR_FORMAT, "test_32x32.mat", why[k]);
    }
    write_mat(te, 28, 28, 1, 2, y6, 2, 1);
    expect_fail(spec, NULL, WS_ERR_FORMAT, "test_32x32.mat", "X must be uint8 32x32x3xN");
    write_mat(te, 32, 32, 3, 2, y6, 2, 0);
    expect_fail(spec, NULL, WS_ERR_FORMAT, "test_32x32.mat", "no variable 'y'");
    write_mat(te, 32, 32, 3, 4, y6, 3, 1);
    expect_fail(spec, NULL, WS_ERR_FORMAT, "test_32x32.mat", "one label per image");
    write_at(d, "test_32x32.mat", "MATLAB 5.0 MAT-file, but not really", 35);
    expect_fail(spec, NULL, WS_ERR_FORMAT, "test_32x32.mat", NULL);
    // truncated: a valid file cut in half
    write_mat(te, 32, 32, 3, 2, y6, 2, 1);
    uint8_t *buf;
    size_t len;
    ck_assert_int_eq(ws_file_read(&ctx, te, "t", &buf, &len), WS_OK);
    write_at(d, "test_32x32.mat", buf, len / 2);
    expect_fail(spec, NULL, WS_ERR_FORMAT, "test_32x32.mat", "does not fit in the file");
    // an element claiming 2 GB in a 144-byte file (the svhn fuzzer's finding: libmatio took 6 s to
    // refuse it, sizing its reads from the claim): refused from the header, at once
    uint8_t big[144];
    memcpy(big, buf, 128);
    const uint8_t tag[16] = {14, 0, 0, 0, 0x38, 0x0c, 0, 0x80, 6, 0, 0, 0, 8, 0, 0, 0};
    memcpy(big + 128, tag, 16);
    write_at(d, "test_32x32.mat", big, sizeof big);
    const double t0 = ws_now();
    expect_fail(spec, NULL, WS_ERR_FORMAT, "test_32x32.mat", "the element at byte 128 (2147486776 bytes, in a file of 144) does not fit");
    ck_assert_double_lt(ws_now() - t0, 1.0);
    // an array whose dimensions claim more values than its element holds (32 x 46,624 uint8 in 3 KB:
    // libmatio went to 3 GB): refused from the header too
    write_mat(te, 32, 32, 3, 2, y6, 2, 1);
    ws_free(buf);
    ck_assert_int_eq(ws_file_read(&ctx, te, "t", &buf, &len), WS_OK);
    ck_assert_int_eq(buf[128 + 8 + 16], 5);                // X's dimensions: after its tag and array flags
    buf[128 + 8 + 24 + 4] = 0x20, buf[128 + 8 + 24 + 5] = 0xb6; // its second, 32 -> 46,624
    write_at(d, "test_32x32.mat", buf, len);
    expect_fail(spec, NULL, WS_ERR_FORMAT, "test_32x32.mat", "claims more values");
    ws_free(buf);
    // no level-5 / 7.3 mark (the fuzzer's 252 bytes: libmatio's level-4 reader read a name length
    // of 1.9 GB from them and spent 10 s in memset): refused from the header, at once
    uint8_t v4[252];
    memset(v4, 0, sizeof v4);
    v4[4] = 0x2e;
    memcpy(v4 + 17, "linux-gnu, Created by: libmatio", 31);
    write_at(d, "test_32x32.mat", v4, sizeof v4);
    const double t1 = ws_now();
    expect_fail(spec, NULL, WS_ERR_FORMAT, "test_32x32.mat", "not a MATLAB level-5 or 7.3 .mat file");
    ck_assert_double_lt(ws_now() - t1, 1.0);
}
END_TEST

// ---- SVHN: files crafted against libmatio 1.5.23 -------------------------------------------------

// A level-5 file of one element: an array element (tag 14) holding the words w (little-endian),
// written as it is or compressed (tag 15: zlib, flushed but not finished, so that libmatio's
// inflating runs on to the end of the file, where it zeroes the whole buffer it was reading into).
static void write_crafted(const char *path, int zip, const uint32_t *w, size_t nw) {
    uint8_t raw[8 + 4 * 32], out[128 + 8 + 512];
    ck_assert_uint_le(nw, 32);
    const uint32_t tag[2] = {14, (uint32_t)(4 * nw)};
    for (size_t k = 0; k < 2 + nw; k++)
        for (int i = 0; i < 4; i++) raw[4 * k + (size_t)i] = (uint8_t)((k < 2 ? tag[k] : w[k - 2]) >> (8 * i));
    memset(out, ' ', 116);
    memcpy(out, "MATLAB 5.0 MAT-file, crafted", 28);
    memset(out + 116, 0, 8);
    memcpy(out + 124, "\x00\x01IM", 4);
    size_t n = 8 + 4 * nw;
    if (!zip) {
        memcpy(out + 128, raw, n);
    } else {
        z_stream z;
        memset(&z, 0, sizeof z);
        ck_assert_int_eq(deflateInit(&z, Z_DEFAULT_COMPRESSION), Z_OK);
        z.next_in = raw, z.avail_in = (uInt)n;
        z.next_out = out + 136, z.avail_out = 512;
        ck_assert_int_eq(deflate(&z, Z_SYNC_FLUSH), Z_OK);
        n = 512 - z.avail_out;
        deflateEnd(&z);
        const uint32_t ztag[2] = {15, (uint32_t)n};
        for (int k = 0; k < 2; k++)
            for (int i = 0; i < 4; i++) out[128 + 4 * k + i] = (uint8_t)(ztag[k] >> (8 * i));
        n += 8;
    }
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(out, 1, 128 + n, f), 128 + n);
    fclose(f);
}

// Each header field libmatio 1.5.23 sizes an allocation, a memset or a loop from, set to what made
// it take seconds (unpatched loader, 2-core machine: docs/FUZZING.md), in files under 200 bytes.
// Words: array flags (6, 8, class, 0), dimensions tag and dimensions, name tag and name, ...
static const struct {
    const char *what;
    int zip;
    size_t nw;
    uint32_t w[16];
    const char *why;
} crafted[] = {
    {"name of 4 GB", 0, 12, {6, 8, 9, 0, 5, 8, 1, 1, 1, 0xfffffff0, 'X', 0}, "one over 63 characters"},
    {"name of 4 GB, compressed", 1, 11, {6, 8, 9, 0, 5, 8, 1, 1, 1, 0xfffffff0, 'X'}, "one over 63 characters"},
    {"dimensions tag of 2 GB, compressed", 1, 8, {6, 8, 9, 0, 5, 0x7ffffff0, 1, 1}, "rank outside 2..8"},
    {"cell of 2^24 empty elements, compressed", 1, 10, {6, 8, 1, 0, 5, 8, 1, 1 << 24, 0x10001, 'X'}, "not a numeric array"},
    {"struct of 2^31 field names, compressed", 1, 14, {6, 8, 2, 0, 5, 8, 1, 1, 0x10001, 'X', 0x40005, 1, 1, 0x80000000},
     "not a numeric array"},
    {"cell of 2^24 elements", 0, 10, {6, 8, 1, 0, 5, 8, 1, 1 << 24, 0x10001, 'X'}, "not a numeric array"},
    {"X of 2^24 images in 50 bytes, compressed", 1, 12, {6, 8, 9, 0, 5, 16, 32, 32, 3, 1 << 24, 0x10001, 'X'},
     "claims more values"},
    {"flags as a uint16", 0, 10, {4, 8, 9, 0, 5, 8, 1, 1, 0x10001, 'X'}, "no array flags"},
};

START_TEST(svhn_refuses_crafted_headers) {
    const char *d = fresh("svhn-crafted");
    char te[700], spec[700];
    snprintf(te, sizeof te, "%s/test_32x32.mat", d);
    snprintf(spec, sizeof spec, "svhn:%s", d);
    double y6[6] = {1, 10, 3, 10, 5, 9};
    write_mat(te, 32, 32, 3, 2, y6, 2, 1);
    snprintf(te, sizeof te, "%s/train_32x32.mat", d);
    for (size_t k = 0; k < sizeof crafted / sizeof *crafted; k++) {
        write_crafted(te, crafted[k].zip, crafted[k].w, crafted[k].nw);
        const double t0 = ws_now();
        expect_fail(spec, NULL, WS_ERR_FORMAT, "train_32x32.mat: the element at byte 128", crafted[k].why);
        ck_assert_msg(ws_now() - t0 < 1.0, "%s: %.1f s", crafted[k].what, ws_now() - t0);
    }
    // the same header, sound, loads (so each case above is refused for its field alone)
    const uint32_t one[] = {6, 8, 9, 0, 5, 16, 32, 32, 3, 1, 0x10001, 'X'};
    write_crafted(te, 1, one, sizeof one / sizeof *one);
    expect_fail(spec, NULL, WS_ERR_FORMAT, "train_32x32.mat: no variable 'y'", NULL);
}
END_TEST

// SVHN's own files are compressed: libmatio's compressed files load, and a highly compressible X
// (zeros: near deflate's 1032:1) passes the values bound.
START_TEST(svhn_loads_compressed) {
    const char *d = fresh("svhn-zip");
    char tr[700], te[700], spec[700];
    snprintf(tr, sizeof tr, "%s/train_32x32.mat", d);
    snprintf(te, sizeof te, "%s/test_32x32.mat", d);
    snprintf(spec, sizeof spec, "svhn:%s", d);
    double y6[6] = {1, 10, 3, 10, 5, 9};
    write_mat_z(tr, 32, 32, 3, 6, y6, 6, 1, 1);
    const size_t n = 2000;
    double *ones = malloc(n * sizeof *ones);
    uint8_t *zeros = calloc(n, 3072);
    for (size_t i = 0; i < n; i++) ones[i] = 1;
    mat_t *m = Mat_CreateVer(te, NULL, MAT_FT_MAT5);
    size_t dx[4] = {32, 32, 3, n}, dy[2] = {n, 1};
    matvar_t *vx = Mat_VarCreate("X", MAT_C_UINT8, MAT_T_UINT8, 4, dx, zeros, 0);
    matvar_t *vy = Mat_VarCreate("y", MAT_C_DOUBLE, MAT_T_DOUBLE, 2, dy, ones, 0);
    ck_assert_int_eq(Mat_VarWrite(m, vx, MAT_COMPRESSION_ZLIB), 0);
    ck_assert_int_eq(Mat_VarWrite(m, vy, MAT_COMPRESSION_ZLIB), 0);
    Mat_VarFree(vx), Mat_VarFree(vy), Mat_Close(m);
    free(ones), free(zeros);
    uint8_t *buf;
    size_t len;
    ck_assert_int_eq(ws_file_read(&ctx, te, "t", &buf, &len), WS_OK);
    ck_assert_int_eq(buf[128], 15); // compressed indeed
    ck_assert_uint_lt(len, n * 3072 / 900); // and near deflate's 1032:1 (981:1 with Debian's zlib)
    ws_free(buf);
    ws_source src;
    ck_assert_int_eq(ws_source_load(&ctx, &src, spec, NULL), WS_OK);
    ck_assert_int_eq(src.train.n, 6);
    ck_assert_int_eq(src.train.x[((3 * 3 + 2) * 32 + 4) * 32 + 7], (4 + 14 + 10 + 33) & 255);
    ck_assert_int_eq(src.train.y[1], 0);
    ck_assert_int_eq(src.test.n, (int64_t)n);
    ws_source_free(&src);
}
END_TEST

// ---- image folders ------------------------------------------------------------------------------

static void write_png(const char *d, const char *name, int w, int h, int channels, int seed) {
    png_image img;
    memset(&img, 0, sizeof img);
    img.version = PNG_IMAGE_VERSION;
    img.width = (unsigned)w, img.height = (unsigned)h;
    img.format = channels == 3 ? PNG_FORMAT_RGB : PNG_FORMAT_GRAY;
    uint8_t *px = malloc((size_t)w * h * channels);
    for (int i = 0; i < w * h * channels; i++) px[i] = (uint8_t)(i * 3 + seed);
    char p[1024];
    snprintf(p, sizeof p, "%s/%s", d, name);
    ck_assert_int_ne(png_image_write_to_file(&img, p, 0, px, 0, NULL), 0);
    free(px);
}

static void write_jpeg(const char *d, const char *name, int w, int h) {
    char p[1024];
    snprintf(p, sizeof p, "%s/%s", d, name);
    FILE *f = fopen(p, "wb");
    ck_assert_ptr_nonnull(f);
    struct jpeg_compress_struct c;
    struct jpeg_error_mgr e;
    c.err = jpeg_std_error(&e);
    jpeg_create_compress(&c);
    jpeg_stdio_dest(&c, f);
    c.image_width = (JDIMENSION)w, c.image_height = (JDIMENSION)h, c.input_components = 3, c.in_color_space = JCS_RGB;
    jpeg_set_defaults(&c);
    jpeg_start_compress(&c, TRUE);
    uint8_t *row = malloc((size_t)w * 3);
    for (int y = 0; y < h; y++) {
        for (int x = 0; x < 3 * w; x++) row[x] = (uint8_t)(40 * (x % 3) + y);
        jpeg_write_scanlines(&c, &row, 1);
    }
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    fclose(f);
    free(row);
}

static void mk(const char *a, const char *b) {
    char p[1024];
    snprintf(p, sizeof p, "%s/%s", a, b);
    mkdir(p, 0755);
}

// root/{train,test}/{cat,dog,emu}: PNGs and a JPEG, 6x5 RGB.
static const char *folder_root(const char *name) {
    const char *d = fresh(name);
    static char root[600];
    snprintf(root, sizeof root, "%s", d);
    mk(root, "train"), mk(root, "test");
    const char *cls[3] = {"dog", "cat", "emu"}; // created unsorted: labels follow the sorted names
    char p[900];
    for (int s = 0; s < 2; s++)
        for (int k = 0; k < 3; k++) {
            snprintf(p, sizeof p, "%s/%s", s ? "test" : "train", cls[k]);
            mk(root, p);
            snprintf(p, sizeof p, "%s/%s/%s", root, s ? "test" : "train", cls[k]);
            write_png(p, "a.png", 6, 5, 3, k);
            write_png(p, "b.PNG", 6, 5, 3, k + 10);
            write_jpeg(p, "c.jpg", 6, 5);
            write_at(p, "notes.txt", "ignored", 7);
        }
    return root;
}

START_TEST(folder_loads) {
    const char *root = folder_root("fold");
    char spec[700];
    snprintf(spec, sizeof spec, "folder:%s", root);
    ws_source src;
    ck_assert_int_eq(ws_source_load(&ctx, &src, spec, NULL), WS_OK);
    ck_assert_int_eq(src.num_classes, 3);
    ck_assert_str_eq(src.class_names[0], "cat");
    ck_assert_str_eq(src.class_names[2], "emu");
    ck_assert_int_eq(src.train.n, 9);
    ck_assert_int_eq(src.test.n, 9);
    ck_assert_int_eq(src.train.c, 3);
    ck_assert_int_eq(src.train.h, 5);
    ck_assert_int_eq(src.train.w, 6);
    // files sorted within a class: cat/a.png (seed 1), cat/b.PNG, cat/c.jpg; then dog/...
    ck_assert_int_eq(src.train.y[0], 0);
    ck_assert_int_eq(src.train.y[3], 1);
    ck_assert_int_eq(src.train.y[8], 2);
    // pixel (c=1, y=2, x=3) of cat/a.png: interleaved index (2*6+3)*3+1 = 46 -> 46*3 + 1
    ck_assert_int_eq(src.train.x[1 * 30 + 2 * 6 + 3], (uint8_t)(46 * 3 + 1));
    ws_source_free(&src);
}
END_TEST

START_TEST(folder_broken) {
    const char *root = folder_root("foldbad");
    char spec[700], p[900];
    snprintf(spec, sizeof spec, "folder:%s", root);
    // an image of another size, named in the message
    snprintf(p, sizeof p, "%s/train/dog", root);
    write_png(p, "odd.png", 7, 5, 3, 0);
    expect_fail(spec, NULL, WS_ERR_FORMAT, "dog/odd.png", "never resized");
    // a corrupt PNG (truncated) and a corrupt JPEG
    uint8_t *buf;
    size_t len;
    snprintf(p, sizeof p, "%s/train/dog/a.png", root);
    ck_assert_int_eq(ws_file_read(&ctx, p, "t", &buf, &len), WS_OK);
    snprintf(p, sizeof p, "%s/train/dog", root);
    write_at(p, "odd.png", buf, len / 2);
    expect_fail(spec, NULL, WS_ERR_FORMAT, "dog/odd.png", "corrupt PNG");
    ws_free(buf);
    snprintf(p, sizeof p, "%s/train/dog/c.jpg", root);
    ck_assert_int_eq(ws_file_read(&ctx, p, "t", &buf, &len), WS_OK);
    snprintf(p, sizeof p, "%s/train/dog", root);
    write_at(p, "odd.png", buf, len / 2); // a JPEG named .png: recognised by its signature, then found cut short
    expect_fail(spec, NULL, WS_ERR_FORMAT, "dog/odd.png", "corrupt JPEG");
    ws_free(buf);
    write_at(p, "odd.png", "GIF89a", 6);
    expect_fail(spec, NULL, WS_ERR_FORMAT, "dog/odd.png", "neither a PNG nor a JPEG");
    snprintf(p, sizeof p, "%s/train/dog/odd.png", root);
    remove(p);
    mkdir(p, 0755); // a directory named like an image
    expect_fail(spec, NULL, WS_ERR_FORMAT, "dog/odd.png", "is a directory");
    rmdir(p);
    // an empty class folder; a test class the training split lacks; no test split
    mk(root, "train/fox");
    expect_fail(spec, NULL, WS_ERR_FORMAT, "train/fox", "empty class folder");
    snprintf(p, sizeof p, "%s/train/fox", root);
    rmdir(p);
    mk(root, "test/yak");
    snprintf(p, sizeof p, "%s/test/yak", root);
    write_png(p, "a.png", 6, 5, 3, 0);
    expect_fail(spec, NULL, WS_ERR_FORMAT, "test/yak", "not among the training split's classes");
    char q[900];
    snprintf(q, sizeof q, "%s/a.png", p);
    remove(q), rmdir(p);
    snprintf(p, sizeof p, "folder:%s/train", root);
    expect_fail(p, NULL, WS_ERR_IO, "missing", "train/test");
    expect_fail("folder", NULL, WS_ERR_ARG, "folder needs its root", NULL);
}
END_TEST

START_TEST(folder_grey_and_mixed) {
    // The first image fixes the channels: grey here, so RGB images are converted to grey.
    const char *d = fresh("grey");
    mk(d, "train"), mk(d, "test"), mk(d, "train/a"), mk(d, "train/b"), mk(d, "test/a");
    char p[900];
    snprintf(p, sizeof p, "%s/train/a", d), write_png(p, "1.png", 4, 4, 1, 0);
    snprintf(p, sizeof p, "%s/train/b", d), write_png(p, "1.png", 4, 4, 3, 0);
    snprintf(p, sizeof p, "%s/test/a", d), write_jpeg(p, "1.jpg", 4, 4);
    snprintf(p, sizeof p, "folder:%s", d);
    ws_source src;
    ck_assert_int_eq(ws_source_load(&ctx, &src, p, NULL), WS_OK);
    ck_assert_int_eq(src.train.c, 1);
    ck_assert_int_eq(src.test.c, 1);
    ck_assert_int_eq(src.test.n, 1);
    ck_assert_int_eq(src.num_classes, 2);
    ws_source_free(&src);
}
END_TEST

START_TEST(unknown_and_missing_sources) {
    expect_fail("imagenet", NULL, WS_ERR_ARG, "unknown dataset 'imagenet'", "cifar100");
    expect_fail("cifar10:/nonexistent/c", NULL, WS_ERR_IO, "missing data_batch_1.bin in /nonexistent/c", NULL);
    expect_fail("cifar100:/nonexistent/c", NULL, WS_ERR_IO, "missing train.bin", "cifar-100-binary.tar.gz");
    expect_fail("svhn:/nonexistent/s", NULL, WS_ERR_IO, "missing train_32x32.mat", NULL);
    unsetenv("WARMSTART_DATA");
    expect_fail("cifar10", NULL, WS_ERR_ARG, "needs a folder", "$WARMSTART_DATA/cifar10");
    expect_fail("svhn", NULL, WS_ERR_ARG, "needs a folder", "ufldl.stanford.edu/housenumbers");
    setenv("WARMSTART_DATA", "/nonexistent/root", 1);
    expect_fail("cifar10", NULL, WS_ERR_IO, "/nonexistent/root/cifar10", NULL);
    // $WARMSTART_DATA without a fashion-mnist folder does not hide Debian's (reproduce's stand-in).
    if (access("/usr/share/datasets/fashion-mnist", F_OK) == 0) {
        ws_source src;
        ck_assert_int_eq(ws_source_load(&ctx, &src, "fashion-mnist", NULL), WS_OK);
        ck_assert_str_eq(src.root, "/usr/share/datasets/fashion-mnist");
        ws_source_free(&src);
    }
    expect_fail("fashion-mnist:/nonexistent/f", NULL, WS_ERR_IO, "/nonexistent/f", NULL); // named: no fallback
    unsetenv("WARMSTART_DATA");
}
END_TEST

START_TEST(real_cifar10_sample) {
    // The project's shared sample: 6,000 real CIFAR-10 images in the official layout.
    const char *d = "../shared/data/cifar-10-sample";
    struct stat st;
    if (stat(d, &st) != 0) {
        fprintf(stderr, "# skipped real_cifar10_sample: %s is absent (a user's clone has none)\n", d);
        return;
    }
    ws_source src;
    ck_assert_int_eq(ws_source_load(&ctx, &src, "cifar10:../shared/data/cifar-10-sample", NULL), WS_OK);
    ck_assert_int_eq(src.train.n, 5000);
    ck_assert_int_eq(src.test.n, 1000);
    ck_assert_str_eq(src.class_names[0], "airplane");
    ck_assert_double_lt(src.load_seconds, 1.0);
    ws_source_free(&src);
}
END_TEST

// ---- augmentation -------------------------------------------------------------------------------

START_TEST(augment_crop_and_flip) {
    enum { B = 5, C = 2, H = 6, W = 7 };
    static uint8_t px[B * C * H * W];
    static int32_t lab[B], idx[B] = {4, 0, 3, 1, 2};
    for (size_t i = 0; i < sizeof px; i++) px[i] = (uint8_t)(1 + i % 250); // never 0: black is recognisable
    for (int i = 0; i < B; i++) lab[i] = i;
    ws_dataset d = {.n = B, .c = C, .h = H, .w = W, .num_classes = 5, .x = px, .y = lab};
    ws_norm n = {.channels = C, .mean = {0, 0}, .std = {1.0f / 255, 1.0f / 255}}; // lut[v] = v: raw pixels back
    float x[B * C * H * W], plain[B * C * H * W];
    int32_t y[B];
    ws_augment aug = {.pad = 3, .flip = 1};
    ws_rng r = ws_rng_stream(5, "test-augment", 0), r2 = r;
    ws_gather_augmented(x, y, &d, &n, idx, B, &aug, &r);
    // The same draws, in the same order, by an independent loop.
    for (int b = 0; b < B; b++) {
        int dy = (int)ws_rng_below(&r2, 7) - 3, dx = (int)ws_rng_below(&r2, 7) - 3, fl = (int)ws_rng_below(&r2, 2);
        ck_assert_int_eq(y[b], idx[b]);
        for (int c = 0; c < C; c++)
            for (int i = 0; i < H; i++)
                for (int j = 0; j < W; j++) {
                    int sj = (fl ? W - 1 - j : j) + dx, si = i + dy;
                    float want = si < 0 || si >= H || sj < 0 || sj >= W ? 0.0f : px[((idx[b] * C + c) * H + si) * W + sj];
                    ck_assert_float_eq_tol(x[((b * C + c) * H + i) * W + j], want, 1e-3);
                }
    }
    // Same stream, same batch; augmentation off is exactly ws_gather.
    ws_rng r3 = ws_rng_stream(5, "test-augment", 0);
    float again[B * C * H * W];
    ws_gather_augmented(again, NULL, &d, &n, idx, B, &aug, &r3);
    ck_assert_int_eq(memcmp(again, x, sizeof x), 0);
    ws_augment off = {0};
    ws_gather_augmented(x, NULL, &d, &n, idx, B, &off, &r3);
    ws_gather(plain, NULL, &d, &n, idx, B);
    ck_assert_int_eq(memcmp(plain, x, sizeof x), 0);
}
END_TEST

Suite *loaders_suite(void) {
    Suite *s = suite_create("loaders");
    TCase *t = tcase_create("formats");
    tcase_add_checked_fixture(t, setup, NULL);
    tcase_add_test(t, cifar10_loads);
    tcase_add_test(t, cifar10_broken);
    tcase_add_test(t, cifar100_fine_and_coarse);
    tcase_add_test(t, svhn_loads_and_refuses);
    tcase_add_test(t, svhn_refuses_crafted_headers);
    tcase_add_test(t, svhn_loads_compressed);
    tcase_add_test(t, folder_loads);
    tcase_add_test(t, folder_broken);
    tcase_add_test(t, folder_grey_and_mixed);
    tcase_add_test(t, unknown_and_missing_sources);
    tcase_add_test(t, real_cifar10_sample);
    tcase_add_test(t, augment_crop_and_flip);
    suite_add_tcase(s, t);
    return s;
}
