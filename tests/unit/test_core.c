// Core: random streams, statistics, errors, whole-file reads, the version.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ctx.h"
#include "core/file.h"
#include "core/rng.h"
#include "core/version.h"
#include "exp/stats.h"
#include "suites.h"

START_TEST(streams_are_reproducible_and_independent) {
    ws_rng a = ws_rng_stream(1, "init", 0), b = ws_rng_stream(1, "init", 0);
    ws_rng c = ws_rng_stream(1, "init", 1), d = ws_rng_stream(2, "init", 0), e = ws_rng_stream(1, "shuffle", 0);
    int same_c = 0, same_d = 0, same_e = 0;
    for (int i = 0; i < 1000; i++) {
        uint32_t x = ws_rng_u32(&a);
        ck_assert_uint_eq(x, ws_rng_u32(&b));
        same_c += x == ws_rng_u32(&c);
        same_d += x == ws_rng_u32(&d);
        same_e += x == ws_rng_u32(&e);
    }
    ck_assert_int_lt(same_c + same_d + same_e, 3);
}
END_TEST

START_TEST(distributions) {
    ws_rng r = ws_rng_stream(5, "test", 0);
    double s = 0, s2 = 0;
    int counts[7] = {0};
    const int n = 200000;
    for (int i = 0; i < n; i++) {
        float u = ws_rng_uniform(&r);
        ck_assert(u >= 0.0f && u < 1.0f);
        uint32_t k = ws_rng_below(&r, 7);
        ck_assert_uint_lt(k, 7);
        counts[k]++;
        double z = ws_rng_normal(&r);
        s += z, s2 += z * z;
    }
    for (int k = 0; k < 7; k++) ck_assert_int_lt(abs(counts[k] - n / 7), 800); // ~5 sigma
    ck_assert_double_lt(fabs(s / n), 0.01);
    ck_assert_double_lt(fabs(s2 / n - 1), 0.02);
    int32_t a[100];
    for (int i = 0; i < 100; i++) a[i] = i;
    ws_rng_shuffle(&r, a, 100);
    int seen[100] = {0}, moved = 0;
    for (int i = 0; i < 100; i++) seen[a[i]]++, moved += a[i] != i;
    for (int i = 0; i < 100; i++) ck_assert_int_eq(seen[i], 1);
    ck_assert_int_gt(moved, 80);
    // Normals in pairs: mean 0, variance 1, the pair's two values uncorrelated, an odd count
    // filled to the end, and the same stream the same values.
    static float z[200001];
    ws_rng a1 = ws_rng_stream(5, "pairs", 0), a2 = ws_rng_stream(5, "pairs", 0);
    ws_rng_normals(&a1, z, 200001);
    double m = 0, v = 0, c = 0;
    for (int i = 0; i < 200000; i += 2) m += z[i] + z[i + 1], v += z[i] * z[i] + z[i + 1] * z[i + 1], c += z[i] * z[i + 1];
    ck_assert_double_lt(fabs(m / 200000), 0.01);
    ck_assert_double_lt(fabs(v / 200000 - 1), 0.02);
    ck_assert_double_lt(fabs(c / 100000), 0.02);
    ck_assert(isfinite(z[200000]) && z[200000] != 0);
    float again[3];
    ws_rng_normals(&a2, again, 3);
    ck_assert_mem_eq(again, z, sizeof again);
}
END_TEST

START_TEST(summary_statistics) {
    double x[4] = {1, 2, 3, 4};
    ws_summary s = ws_summarize(x, 4);
    ck_assert_double_eq_tol(s.mean, 2.5, 1e-12);
    ck_assert_double_eq_tol(s.sd, sqrt(5.0 / 3.0), 1e-12);
    ck_assert_double_eq_tol(s.ci95, 3.182 * sqrt(5.0 / 3.0) / 2, 1e-9);
    ck_assert(isnan(ws_summarize(x, 1).ci95));
    ck_assert_double_eq_tol(ws_t975(1), 12.706, 1e-9);
    ck_assert_double_eq_tol(ws_t975(100), 1.984, 2e-3);
    ck_assert_double_eq_tol(ws_t975(100000), 1.960, 1e-3);
}
END_TEST

START_TEST(errors_carry_messages) {
    ws_ctx ctx;
    ws_ctx_init(&ctx, 1);
    ck_assert_int_eq(ctx.threads, 1);
    ck_assert_int_eq(ws_fail(&ctx, WS_ERR_IO, "%s: %d", "file", 3), WS_ERR_IO);
    ck_assert_str_eq(ctx.err, "file: 3");
    ck_assert_int_eq(ws_fail_prefix(&ctx, WS_ERR_IO, "loading %s: ", "x"), WS_ERR_IO);
    ck_assert_str_eq(ctx.err, "loading x: file: 3");
}
END_TEST

START_TEST(context_knows_no_backend) {
    // core leaves the choice to the ops layer: NULL stands for its default
    ws_ctx ctx;
    ws_ctx_init(&ctx, 1);
    ck_assert_ptr_null(ctx.backend);
    ck_assert_ptr_null(ctx.backend_state);
    ck_assert_int_eq(ctx.conv_algo, WS_CONV_AUTO);
    ws_ctx_release(&ctx); // no state: a no-op
}
END_TEST

START_TEST(file_read_whole_files_or_says_why) {
    ws_ctx ctx;
    ws_ctx_init(&ctx, 1);
    uint8_t *buf = (uint8_t *)"x";
    size_t len = 7;
    const char *p = test_write_file("core-file.bin", "abc\0def", 7);
    ck_assert_int_eq(ws_file_read(&ctx, p, "test file", &buf, &len), WS_OK);
    ck_assert_uint_eq(len, 7);
    ck_assert(!memcmp(buf, "abc\0def", 7));
    ws_free(buf);
    p = test_write_file("core-empty.bin", "", 0);
    ck_assert_int_eq(ws_file_read(&ctx, p, "test file", &buf, &len), WS_OK);
    ck_assert_uint_eq(len, 0);
    ck_assert_ptr_nonnull(buf);
    ws_free(buf);
    char missing[600], msg[700];
    snprintf(missing, sizeof missing, "%s/no-such-file", test_tmpdir());
    ck_assert_int_eq(ws_file_read(&ctx, missing, "test file", &buf, &len), WS_ERR_IO);
    ck_assert_ptr_null(buf);
    ck_assert_uint_eq(len, 0);
    snprintf(msg, sizeof msg, "%s: No such file or directory", missing);
    ck_assert_str_eq(ctx.err, msg);
    ck_assert_int_eq(ws_file_read(&ctx, test_tmpdir(), "CIFAR-10 batch", &buf, &len), WS_ERR_IO);
    snprintf(msg, sizeof msg, "%s: is a directory, expected a CIFAR-10 batch", test_tmpdir());
    ck_assert_str_eq(ctx.err, msg);
}
END_TEST

START_TEST(one_version) {
    char v[32];
    snprintf(v, sizeof v, "%d.%d.%d", WARMSTART_VERSION_MAJOR, WARMSTART_VERSION_MINOR, WARMSTART_VERSION_PATCH);
    ck_assert_str_eq(v, WARMSTART_VERSION);
    ck_assert_str_eq(ws_version(), WARMSTART_VERSION);
}
END_TEST

Suite *core_suite(void) {
    Suite *s = suite_create("core");
    TCase *t = tcase_create("core");
    tcase_add_test(t, streams_are_reproducible_and_independent);
    tcase_add_test(t, distributions);
    tcase_add_test(t, summary_statistics);
    tcase_add_test(t, errors_carry_messages);
    tcase_add_test(t, context_knows_no_backend);
    tcase_add_test(t, file_read_whole_files_or_says_why);
    tcase_add_test(t, one_version);
    suite_add_tcase(s, t);
    return s;
}
