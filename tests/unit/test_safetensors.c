// safetensors: round trip, the exact header layout, and broken files. A failed
// load must leave the model untouched. The tanh and bias-free MLPs round trip
// too, and a checkpoint of another activation or with(out) biases is refused
// by name (the model files and the runner's checkpoints alike).
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/checkpoint.h"
#include "io/safetensors.h"
#include "suites.h"

static ws_ctx ctx;
static void setup(void) { ws_ctx_init(&ctx, 1); }
static void teardown(void) { ws_ctx_release(&ctx); } // the backend's cached primitives

static ws_model *make(int hidden) {
    ws_model_spec spec = {.kind = WS_MODEL_MLP, .input = {1, 2, 2}, .num_classes = 3, .nhidden = 1, .hidden = {hidden}};
    ws_model *m = NULL;
    ck_assert_int_eq(ws_model_create(&ctx, &m, &spec), WS_OK);
    ws_rng r = ws_rng_stream(11, "init", (uint64_t)hidden);
    ws_model_init(m, &r);
    return m;
}

static char path[600];
static const char *tmp(const char *name) {
    snprintf(path, sizeof path, "%s/%s", test_tmpdir(), name);
    return path;
}

START_TEST(round_trip_is_bitwise) {
    ws_model *a = make(5), *b = make(5);
    ws_rng r = ws_rng_stream(12, "init", 0);
    ws_model_init(b, &r);
    ck_assert_int_eq(ws_model_save(&ctx, a, tmp("rt.safetensors")), WS_OK);
    ck_assert_int_ne(memcmp(a->w, b->w, sizeof(float) * (size_t)a->nweights), 0);
    ck_assert_int_eq(ws_model_load(&ctx, b, path), WS_OK);
    ck_assert_mem_eq(a->w, b->w, sizeof(float) * (size_t)a->nweights);
    // Layout: 8-byte LE length, header padded to a multiple of 8, data last.
    ws_st_file f;
    ck_assert_int_eq(ws_st_read(&ctx, &f, path), WS_OK);
    uint64_t hlen = 0;
    for (int i = 7; i >= 0; i--) hlen = hlen << 8 | f.image[i];
    ck_assert_int_eq(hlen % 8, 0);
    ck_assert_int_eq(f.size, 8 + (int64_t)hlen + 4 * a->nweights);
    ck_assert_int_eq(f.ntensors, 4);
    char buf[64];
    ck_assert_str_eq(ws_st_meta(&f, "warmstart_arch", buf, sizeof buf), "mlp 4-5-3");
    const ws_st_tensor *t = ws_st_find(&f, "lm1.weight");
    ck_assert_ptr_nonnull(t);
    ck_assert_int_eq(t->ndim, 2);
    ck_assert_int_eq(t->dims[0], 5);
    ck_assert_int_eq(t->dims[1], 4);
    ws_st_close(&f);
    ws_model_free(a);
    ws_model_free(b);
}
END_TEST

START_TEST(resnet_round_trip_includes_buffers) {
    ws_model_spec spec = {.kind = WS_MODEL_RESNET18, .input = {1, 12, 12}, .num_classes = 4, .width = 2};
    ws_model *a = NULL, *b = NULL;
    ck_assert_int_eq(ws_model_create(&ctx, &a, &spec), WS_OK);
    ck_assert_int_eq(ws_model_create(&ctx, &b, &spec), WS_OK);
    ws_rng r = ws_rng_stream(1, "init", 0);
    ws_model_init(a, &r);
    for (int64_t i = 0; i < a->nbuf; i++) a->buf[i] = (float)i * 0.25f;
    for (int64_t i = 0; i < a->nibuf; i++) a->ibuf[i] = 1000 + i;
    ck_assert_int_eq(ws_model_save(&ctx, a, tmp("resnet.safetensors")), WS_OK);
    ck_assert_int_eq(ws_model_load(&ctx, b, path), WS_OK);
    ck_assert_mem_eq(a->w, b->w, sizeof(float) * (size_t)a->nweights);
    ck_assert_mem_eq(a->buf, b->buf, sizeof(float) * (size_t)a->nbuf);
    ck_assert_mem_eq(a->ibuf, b->ibuf, sizeof(int64_t) * (size_t)a->nibuf);
    ws_st_file f;
    ck_assert_int_eq(ws_st_read(&ctx, &f, path), WS_OK);
    const ws_st_tensor *t = ws_st_find(&f, "layer2.0.shortcut.1.num_batches_tracked");
    ck_assert_ptr_nonnull(t);
    ck_assert_int_eq(t->dtype, WS_ST_I64);
    ck_assert_int_eq(t->ndim, 0); // a 0-dim tensor, as PyTorch's
    ws_st_close(&f);
    ws_model_free(a);
    ws_model_free(b);
}
END_TEST

// Write a file with the given header JSON and `data_len` bytes of data.
static const char *raw(const char *name, const char *json, const void *data, size_t data_len) {
    size_t len = strlen(json);
    uint8_t *buf = malloc(8 + len + data_len);
    for (int i = 0; i < 8; i++) buf[i] = (uint8_t)((uint64_t)len >> (8 * i));
    memcpy(buf + 8, json, len);
    if (data_len) memcpy(buf + 8 + len, data, data_len);
    const char *p = test_write_file(name, buf, 8 + len + data_len);
    free(buf);
    return p;
}

START_TEST(broken_files_are_refused_and_leave_the_model_alone) {
    ws_model *m = make(2); // lm1.weight (2,4), lm1.bias (2), lm2.weight (3,2), lm2.bias (3): 19 floats
    float before[19], data[32] = {0};
    memcpy(before, m->w, sizeof before);
    const char *ok_tail = "\"lm1.bias\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[32,40]},"
                          "\"lm2.weight\":{\"dtype\":\"F32\",\"shape\":[3,2],\"data_offsets\":[40,64]},"
                          "\"lm2.bias\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[64,76]}";
    char json[1024];
    struct { const char *name, *head, *expect; size_t len; } cases[] = {
        {"shape", "\"lm1.weight\":{\"dtype\":\"F32\",\"shape\":[4,2],\"data_offsets\":[0,32]}", "'lm1.weight' is F32 (4,2)", 76},
        {"dtype", "\"lm1.weight\":{\"dtype\":\"F64\",\"shape\":[2,2],\"data_offsets\":[0,32]}", "'lm1.weight' is F64", 76},
        {"missing", "\"other\":{\"dtype\":\"F32\",\"shape\":[2,4],\"data_offsets\":[0,32]}", "missing tensor 'lm1.weight'", 76},
        {"offsets", "\"lm1.weight\":{\"dtype\":\"F32\",\"shape\":[2,4],\"data_offsets\":[0,32]}", "outside the", 60},
        {"overlap", "\"lm1.weight\":{\"dtype\":\"F32\",\"shape\":[2,4],\"data_offsets\":[4,36]}", "another tensor's data", 76},
        {"size", "\"lm1.weight\":{\"dtype\":\"F32\",\"shape\":[2,4],\"data_offsets\":[0,28]}", "but shape and dtype need", 76},
        {"unknown", "\"lm1.weight\":{\"dtype\":\"Q4\",\"shape\":[2,4],\"data_offsets\":[0,32]}", "unknown dtype 'Q4'", 76},
        // Dims each under the bound whose product overflows int64 (the fuzzer's find).
        {"overflow", "\"lm1.weight\":{\"dtype\":\"F32\",\"shape\":[3222222222,222222222222],\"data_offsets\":[0,32]}",
         "implausibly large", 76},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        snprintf(json, sizeof json, "{%s,%s}", cases[k].head, ok_tail);
        const char *p = raw(cases[k].name, json, data, cases[k].len);
        ck_assert_int_ne(ws_model_load(&ctx, m, p), WS_OK);
        ck_assert_msg(strstr(ctx.err, cases[k].expect), "case %s: got '%s'", cases[k].name, ctx.err);
        ck_assert_ptr_nonnull(strstr(ctx.err, p));
        ck_assert_mem_eq(m->w, before, sizeof before);
    }
    // An unexpected extra tensor (strict loading).
    snprintf(json, sizeof json,
             "{\"lm1.weight\":{\"dtype\":\"F32\",\"shape\":[2,4],\"data_offsets\":[0,32]},%s,"
             "\"extra\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[76,80]}}", ok_tail);
    ck_assert_int_eq(ws_model_load(&ctx, m, raw("extra", json, data, 80)), WS_ERR_FORMAT);
    ck_assert_ptr_nonnull(strstr(ctx.err, "unexpected tensor 'extra'"));
    // A key twice (JSON allows it; the format does not): a tensor, the metadata.
    snprintf(json, sizeof json,
             "{\"lm1.weight\":{\"dtype\":\"F32\",\"shape\":[2,4],\"data_offsets\":[0,32]},%s,"
             "\"lm1.bias\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[76,80]}}", ok_tail);
    ck_assert_int_eq(ws_model_load(&ctx, m, raw("twice", json, data, 80)), WS_ERR_FORMAT);
    ck_assert_ptr_nonnull(strstr(ctx.err, "tensor 'lm1.bias' appears twice"));
    snprintf(json, sizeof json,
             "{\"__metadata__\":{\"a\":\"1\"},\"lm1.weight\":{\"dtype\":\"F32\",\"shape\":[2,4],\"data_offsets\":[0,32]},"
             "%s,\"__metadata__\":{\"b\":\"2\"}}", ok_tail);
    ck_assert_int_eq(ws_model_load(&ctx, m, raw("meta2", json, data, 76)), WS_ERR_FORMAT);
    ck_assert_ptr_nonnull(strstr(ctx.err, "__metadata__ appears twice"));
    // A NaN weight.
    snprintf(json, sizeof json, "{\"lm1.weight\":{\"dtype\":\"F32\",\"shape\":[2,4],\"data_offsets\":[0,32]},%s}", ok_tail);
    float nan_data[19] = {0};
    nan_data[5] = NAN;
    ck_assert_int_eq(ws_model_load(&ctx, m, raw("nan", json, nan_data, 76)), WS_ERR_NUMERIC);
    ck_assert_ptr_nonnull(strstr(ctx.err, "non-finite"));
    // Header length past the end; not JSON; too short; a directory.
    uint8_t junk[16] = {0xff, 0xff, 0, 0, 0, 0, 0, 0, '{', '}'};
    ck_assert_int_eq(ws_model_load(&ctx, m, test_write_file("hlen", junk, 10)), WS_ERR_FORMAT);
    ck_assert_ptr_nonnull(strstr(ctx.err, "does not fit"));
    ck_assert_int_eq(ws_model_load(&ctx, m, raw("notjson", "[1,2", NULL, 0)), WS_ERR_FORMAT);
    ck_assert_ptr_nonnull(strstr(ctx.err, "not a JSON object"));
    ck_assert_int_eq(ws_model_load(&ctx, m, test_write_file("short", junk, 5)), WS_ERR_FORMAT);
    ck_assert_ptr_nonnull(strstr(ctx.err, "truncated"));
    ck_assert_int_eq(ws_model_load(&ctx, m, test_tmpdir()), WS_ERR_IO);
    ck_assert_ptr_nonnull(strstr(ctx.err, "is a directory"));
    ck_assert_mem_eq(m->w, before, sizeof before);
    ws_model_free(m);
}
END_TEST

static ws_model *make_variant(ws_activation act, int no_bias, uint64_t seed) {
    ws_model_spec spec = {.kind = WS_MODEL_MLP, .input = {1, 2, 2}, .num_classes = 3, .nhidden = 2, .hidden = {5, 4},
                          .act = act, .no_bias = no_bias};
    ws_model *m = NULL;
    ck_assert_int_eq(ws_model_create(&ctx, &m, &spec), WS_OK);
    ws_rng r = ws_rng_stream(seed, "init", 0);
    ws_model_init(m, &r);
    return m;
}

// _i: 0 the tanh MLP, 1 the MLP without biases, 2 both.
START_TEST(variants_round_trip_and_refuse_the_other_architecture) {
    const ws_activation act = _i == 1 ? WS_ACT_RELU : WS_ACT_TANH;
    const int no_bias = _i >= 1;
    ws_model *a = make_variant(act, no_bias, 1), *b = make_variant(act, no_bias, 2);
    char name[32];
    snprintf(name, sizeof name, "variant%d.safetensors", _i);
    ck_assert_int_eq(ws_model_save(&ctx, a, tmp(name)), WS_OK);
    ck_assert_int_ne(memcmp(a->w, b->w, sizeof(float) * (size_t)a->nweights), 0);
    ck_assert_int_eq(ws_model_load(&ctx, b, path), WS_OK);
    ck_assert_mem_eq(a->w, b->w, sizeof(float) * (size_t)a->nweights);
    // The same function after the round trip.
    float x[2 * 4] = {0.5f, -1, 2, 0.25f, -0.75f, 1.5f, 0, -2};
    float la[2 * 3];
    ck_assert_int_eq(ws_model_plan(&ctx, a, 2), WS_OK);
    ck_assert_int_eq(ws_model_plan(&ctx, b, 2), WS_OK);
    memcpy(la, ws_model_forward(&ctx, a, x, 2, 0), sizeof la);
    ck_assert_mem_eq(ws_model_forward(&ctx, b, x, 2, 0), la, sizeof la);
    ws_st_file f;
    ck_assert_int_eq(ws_st_read(&ctx, &f, path), WS_OK);
    char buf[64];
    ck_assert_str_eq(ws_st_meta(&f, "warmstart_arch", buf, sizeof buf), a->arch);
    ck_assert_int_eq(f.ntensors, no_bias ? 3 : 6);
    ck_assert_int_eq(ws_st_find(&f, "lm1.bias") == NULL, no_bias);
    ck_assert_int_eq(ws_st_find(&f, "lm2.bias") == NULL, no_bias);
    ws_st_close(&f);
    char saved[600];
    snprintf(saved, sizeof saved, "%s", path);
    // Into the ReLU MLP of the same sizes: refused by its activation (the tensors alone would
    // match when the biases do), the model untouched.
    ws_model *relu = make_variant(WS_ACT_RELU, no_bias, 3);
    float *before = malloc(sizeof(float) * (size_t)relu->nweights);
    memcpy(before, relu->w, sizeof(float) * (size_t)relu->nweights);
    ws_status st = ws_model_load(&ctx, relu, saved);
    if (act == WS_ACT_TANH) {
        ck_assert_int_eq(st, WS_ERR_FORMAT);
        ck_assert_ptr_nonnull(strstr(ctx.err, saved));
        ck_assert_msg(strstr(ctx.err, "holds a tanh MLP") && strstr(ctx.err, "--activation tanh"), "got '%s'", ctx.err);
        ck_assert_mem_eq(relu->w, before, sizeof(float) * (size_t)relu->nweights);
        // And the other way: a ReLU checkpoint into the tanh MLP.
        ck_assert_int_eq(ws_model_save(&ctx, relu, tmp("relu.safetensors")), WS_OK);
        ck_assert_int_eq(ws_model_load(&ctx, b, path), WS_ERR_FORMAT);
        ck_assert_msg(strstr(ctx.err, "holds a relu MLP") && strstr(ctx.err, "--activation relu"), "got '%s'", ctx.err);
        ck_assert_mem_eq(b->w, a->w, sizeof(float) * (size_t)a->nweights);
    } else {
        ck_assert_int_eq(st, WS_OK); // same architecture
    }
    // With biases against without: the tensors differ, the message names both architectures.
    ws_model *other = make_variant(act, !no_bias, 4);
    ck_assert_int_eq(ws_model_load(&ctx, other, saved), WS_ERR_FORMAT);
    ck_assert_msg(strstr(ctx.err, no_bias ? "missing tensor 'lm1.bias'" : "unexpected tensor 'lm1.bias'"), "got '%s'",
                  ctx.err);
    char held[96];
    snprintf(held, sizeof held, "(the file holds %s)", a->arch);
    ck_assert_msg(strstr(ctx.err, held), "got '%s'", ctx.err);
    // A file without warmstart's metadata (PyTorch's) loads on its tensors alone.
    ws_st_entry e[6];
    for (int p = 0; p < a->nparams; p++)
        e[p] = (ws_st_entry){.name = a->params[p].name, .dtype = WS_ST_F32, .ndim = a->params[p].ndim,
                             .dims = {a->params[p].dims[0], a->params[p].dims[1]}, .data = a->w + a->params[p].offset};
    ck_assert_int_eq(ws_st_write(&ctx, tmp("torch.safetensors"), e, a->nparams, NULL, 0), WS_OK);
    ck_assert_int_eq(ws_model_load(&ctx, relu, path), WS_OK);
    ck_assert_mem_eq(relu->w, a->w, sizeof(float) * (size_t)a->nweights);
    // The runner's checkpoints (a model's arena under a prefix) record the description too.
    ws_ckpt k;
    ws_ckpt_init(&k);
    ws_ckpt_model(&k, "model", a);
    ck_assert_int_eq(ws_ckpt_write(&ctx, &k, tmp("chain.safetensors")), WS_OK);
    ck_assert_int_eq(ws_st_read(&ctx, &f, path), WS_OK);
    ck_assert_int_eq(ws_ckpt_get_model(&ctx, &f, path, "model", b), WS_OK);
    ck_assert_mem_eq(b->w, a->w, sizeof(float) * (size_t)a->nweights);
    memcpy(relu->w, before, sizeof(float) * (size_t)relu->nweights);
    st = ws_ckpt_get_model(&ctx, &f, path, "model", relu);
    ws_st_close(&f);
    if (act == WS_ACT_TANH) {
        ck_assert_int_eq(st, WS_ERR_FORMAT);
        char want[160];
        snprintf(want, sizeof want, "holds model %s, not %s", a->arch, relu->arch);
        ck_assert_msg(strstr(ctx.err, want), "got '%s'", ctx.err);
        ck_assert_mem_eq(relu->w, before, sizeof(float) * (size_t)relu->nweights);
    } else {
        ck_assert_int_eq(st, WS_OK);
    }
    // One from before the description was recorded: taken on its arrays.
    ws_ckpt_init(&k);
    ws_ckpt_f32(&k, "model.w", a->w, a->nweights);
    ck_assert_int_eq(ws_ckpt_write(&ctx, &k, tmp("old-chain.safetensors")), WS_OK);
    ck_assert_int_eq(ws_st_read(&ctx, &f, path), WS_OK);
    ck_assert_int_eq(ws_ckpt_get_model(&ctx, &f, path, "model", relu), WS_OK);
    ws_st_close(&f);
    free(before);
    ws_model_free(a), ws_model_free(b), ws_model_free(relu), ws_model_free(other);
}
END_TEST

START_TEST(unwritable_destination_fails_cleanly) {
    ws_model *m = make(3);
    ck_assert_int_eq(ws_model_save(&ctx, m, "/nonexistent-dir/x.safetensors"), WS_ERR_IO);
    ck_assert_ptr_nonnull(strstr(ctx.err, "/nonexistent-dir/x.safetensors"));
    ws_model_free(m);
}
END_TEST

Suite *safetensors_suite(void) {
    Suite *s = suite_create("safetensors");
    TCase *t = tcase_create("files");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, round_trip_is_bitwise);
    tcase_add_test(t, resnet_round_trip_includes_buffers);
    tcase_add_test(t, broken_files_are_refused_and_leave_the_model_alone);
    tcase_add_loop_test(t, variants_round_trip_and_refuse_the_other_architecture, 0, 3);
    tcase_add_test(t, unwritable_destination_fails_cleanly);
    suite_add_tcase(s, t);
    return s;
}
