// IDX loader on small generated files, plain and gzip'd, and on broken ones:
// each broken file gives one clear error naming the file and the reason.
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "data/dataset.h"
#include "suites.h"

static ws_ctx ctx;
static void setup(void) { ws_ctx_init(&ctx, 1); }
static void teardown(void) { ws_ctx_release(&ctx); } // the backend's cached primitives

enum { NIMG = 5, ROWS = 3, COLS = 4, HDR_I = 16, HDR_L = 8 };

static void be32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8), p[3] = (uint8_t)v;
}

// A valid images file (n images) and labels file (n labels, values 0..9).
static size_t make_images(uint8_t *buf, uint32_t n) {
    be32(buf, 0x803), be32(buf + 4, n), be32(buf + 8, ROWS), be32(buf + 12, COLS);
    for (uint32_t i = 0; i < n * ROWS * COLS; i++) buf[HDR_I + i] = (uint8_t)(i * 7);
    return HDR_I + n * ROWS * COLS;
}
static size_t make_labels(uint8_t *buf, uint32_t n) {
    be32(buf, 0x801), be32(buf + 4, n);
    for (uint32_t i = 0; i < n; i++) buf[HDR_L + i] = (uint8_t)(i * 3 % 10);
    return HDR_L + n;
}

static uint8_t img[HDR_I + NIMG * ROWS * COLS + 16], lab[HDR_L + NIMG + 16];

static ws_status load(const char *ip, const char *lp) {
    ws_dataset d;
    ws_status st = ws_idx_load(&ctx, &d, ip, lp, 10);
    if (!st) ws_dataset_free(&d);
    return st;
}

START_TEST(loads_plain_and_gzip) {
    size_t ni = make_images(img, NIMG), nl = make_labels(lab, NIMG);
    for (int gz = 0; gz < 2; gz++) {
        const char *ip = gz ? test_write_gz("i.gz", img, ni) : test_write_file("i", img, ni);
        const char *lp = gz ? test_write_gz("l.gz", lab, nl) : test_write_file("l", lab, nl);
        ws_dataset d;
        ck_assert_int_eq(ws_idx_load(&ctx, &d, ip, lp, 10), WS_OK);
        ck_assert_int_eq(d.n, NIMG);
        ck_assert_int_eq(d.c, 1);
        ck_assert_int_eq(d.h, ROWS);
        ck_assert_int_eq(d.w, COLS);
        ck_assert_int_eq(d.num_classes, 10);
        ck_assert_mem_eq(d.x, img + HDR_I, NIMG * ROWS * COLS);
        for (int i = 0; i < NIMG; i++) ck_assert_int_eq(d.y[i], i * 3 % 10);
        ws_dataset_free(&d);
    }
}
END_TEST

// Each case: a broken images or labels file, and a phrase the error must hold.
START_TEST(broken_files_give_clear_errors) {
    size_t ni = make_images(img, NIMG), nl = make_labels(lab, NIMG);
    const char *good_i = test_write_file("gi", img, ni), *good_l = test_write_file("gl", lab, nl);
    const char *p;

    p = test_write_file("trunc-i", img, ni - 3); // pixels cut short
    ck_assert_int_eq(load(p, good_l), WS_ERR_FORMAT);
    ck_assert_ptr_nonnull(strstr(ctx.err, "truncated"));
    ck_assert_ptr_nonnull(strstr(ctx.err, "trunc-i"));

    p = test_write_file("hdr-i", img, 6); // header cut short
    ck_assert_int_eq(load(p, good_l), WS_ERR_FORMAT);
    ck_assert_ptr_nonnull(strstr(ctx.err, "truncated"));

    uint8_t bad[sizeof img];
    memcpy(bad, img, ni);
    be32(bad, 0x801); // labels magic on an images file
    p = test_write_file("magic-i", bad, ni);
    ck_assert_int_eq(load(p, good_l), WS_ERR_FORMAT);
    ck_assert_ptr_nonnull(strstr(ctx.err, "bad magic 0x00000801"));

    memcpy(bad, img, ni);
    bad[ni] = 0; // one byte too many
    p = test_write_file("long-i", bad, ni + 1);
    ck_assert_int_eq(load(p, good_l), WS_ERR_FORMAT);
    ck_assert_ptr_nonnull(strstr(ctx.err, "unexpected bytes"));

    uint8_t badl[sizeof lab];
    size_t n3 = make_labels(badl, NIMG - 1); // label count differs
    p = test_write_file("count-l", badl, n3);
    ck_assert_int_eq(load(good_i, p), WS_ERR_FORMAT);
    ck_assert_ptr_nonnull(strstr(ctx.err, "4 labels, but"));

    memcpy(badl, lab, nl);
    badl[HDR_L + 2] = 12; // label out of range
    p = test_write_file("range-l", badl, nl);
    ck_assert_int_eq(load(good_i, p), WS_ERR_FORMAT);
    ck_assert_ptr_nonnull(strstr(ctx.err, "label 12 of example 2 is out of range [0, 10)"));

    memcpy(bad, img, ni);
    be32(bad + 8, 0); // zero rows
    p = test_write_file("dims-i", bad, ni);
    ck_assert_int_eq(load(p, good_l), WS_ERR_FORMAT);
    ck_assert_ptr_nonnull(strstr(ctx.err, "implausible image dimensions"));

    ck_assert_int_eq(load("/nonexistent/images", good_l), WS_ERR_IO);
    ck_assert_ptr_nonnull(strstr(ctx.err, "/nonexistent/images: No such file"));

    ck_assert_int_eq(load(test_tmpdir(), good_l), WS_ERR_IO);
    ck_assert_ptr_nonnull(strstr(ctx.err, "is a directory"));

    // A gzip stream whose body is corrupted (flip bytes after the gzip header).
    const char *gz = test_write_gz("corrupt.gz", img, ni);
    FILE *f = fopen(gz, "r+b");
    fseek(f, 12, SEEK_SET);
    for (int i = 0; i < 8; i++) fputc(0xFF, f);
    fclose(f);
    ck_assert_int_ne(load(gz, good_l), WS_OK);
    ck_assert_ptr_nonnull(strstr(ctx.err, "corrupt.gz"));

    // A header promising 4.5 PB over a few bytes of data: refused as truncated, memory following
    // the data read (an input like it made the IDX fuzzer ask for 4 GB at once).
    uint8_t huge_i[16 + 8], huge_l[8];
    memset(huge_i, 7, sizeof huge_i);
    be32(huge_i, 0x803), be32(huge_i + 4, 1u << 28), be32(huge_i + 8, 4096), be32(huge_i + 12, 4096);
    be32(huge_l, 0x801), be32(huge_l + 4, 1u << 28);
    ck_assert_int_eq(load(test_write_file("huge-i", huge_i, sizeof huge_i), test_write_file("huge-l", huge_l, sizeof huge_l)),
                     WS_ERR_FORMAT);
    ck_assert_ptr_nonnull(strstr(ctx.err, "truncated: the pixels needs 4503599627370496 bytes, file has only 8"));
}
END_TEST

START_TEST(missing_dataset_folder_says_what_and_where) {
    ws_source src;
    ck_assert_int_eq(ws_source_load(&ctx, &src, "fashion-mnist:/nonexistent/fm", NULL), WS_ERR_IO);
    ck_assert_ptr_nonnull(strstr(ctx.err, "train-images-idx3-ubyte"));
    ck_assert_ptr_nonnull(strstr(ctx.err, "/nonexistent/fm"));
    ck_assert_int_eq(ws_source_load(&ctx, &src, "imagenet", NULL), WS_ERR_ARG);
    ck_assert_ptr_nonnull(strstr(ctx.err, "unknown dataset 'imagenet'"));
}
END_TEST

START_TEST(normalisation_and_gather) {
    ws_dataset d = {.n = 2, .c = 1, .h = 1, .w = 2, .num_classes = 2};
    uint8_t x[4] = {0, 255, 51, 102};
    int32_t y[2] = {1, 0};
    d.x = x, d.y = y;
    ws_norm n;
    ws_norm_from_data(&n, &d, NULL, 0);
    ck_assert_float_eq_tol(n.mean[0], (0 + 255 + 51 + 102) / 4.0 / 255, 1e-6);
    ws_norm_paper(&n, 1);
    float out[4];
    int32_t yo[2];
    int32_t idx[2] = {1, 0};
    ws_gather(out, yo, &d, &n, idx, 2);
    ck_assert_float_eq_tol(out[0], (51 / 255.0f - 0.5f) / 0.5f, 1e-6);
    ck_assert_float_eq_tol(out[2], -1.0f, 1e-6);
    ck_assert_float_eq_tol(out[3], 1.0f, 1e-6);
    ck_assert_int_eq(yo[0], 0);
    ck_assert_int_eq(yo[1], 1);
}
END_TEST

Suite *idx_suite(void) {
    Suite *s = suite_create("idx");
    TCase *t = tcase_create("files");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, loads_plain_and_gzip);
    tcase_add_test(t, broken_files_give_clear_errors);
    tcase_add_test(t, missing_dataset_folder_says_what_and_where);
    tcase_add_test(t, normalisation_and_gather);
    suite_add_tcase(s, t);
    return s;
}
