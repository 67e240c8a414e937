// The oneDNN backend (src/ops/onednn.c, src/ops/blocked.c) against the
// reference backend, op by op, on the same data: inputs are drawn in NCHW,
// converted into the oneDNN backend's layout (act_from_nchw: nChw16c where the
// channel count is a multiple of 16), run, and converted back.
//
// Covered: convolutions blocked -> blocked (3x3 stride 1 and 2, 1x1 stride 2),
// the data input (NCHW) -> blocked stem, plain -> plain and plain -> blocked
// (a width-8 ResNet's stages), with and without bias, at batch 2 and 32 (where
// oneDNN's auto algorithm picks Winograd), for both algorithms; the weight
// gradient accumulates (+=) as the backend contract says; fused BatchNorm +
// residual + ReLU forward (train, eval in place) and backward against the
// reference's composition, for blocked and plain channel counts; pooling;
// layout round trips; bitwise repeatability. Plus finite-difference checks of
// the reference's fused BatchNorm op (both backends are then held to it).
//
// Tolerance: max |a - b| / max |b| per tensor, 1e-5 (direct) or 1e-4 (Winograd,
// whose transforms round ~10x more coarsely; measured ~1e-6 and ~1e-5).
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/ctx.h"
#include "core/rng.h"
#include "ops/backend.h"
#include "suites.h"

static ws_ctx ref, dn; // reference and oneDNN contexts
static void setup(void) {
    ws_ctx_init(&ref, 2);
    ref.backend = ws_backend_cpu();
    ws_ctx_init(&dn, 2);
    ck_assert_int_eq(ws_ctx_set_backend(&dn, "onednn"), WS_OK);
}
static void teardown(void) {
    ws_ctx_release(&ref);
    ws_ctx_release(&dn);
}

static float *fnew(int64_t n) {
    float *a = calloc((size_t)(n > 0 ? n : 1), sizeof(float));
    ck_assert_ptr_nonnull(a);
    return a;
}

static float *frand(int64_t n, ws_rng *r, float scale) {
    float *a = fnew(n);
    for (int64_t i = 0; i < n; i++) a[i] = (2 * ws_rng_uniform(r) - 1) * scale;
    return a;
}

static double rel_err(const float *a, const float *b, int64_t n) {
    double d = 0, m = 1e-30;
    for (int64_t i = 0; i < n; i++) {
        double e = fabs((double)a[i] - b[i]);
        if (!(e <= d)) d = e; // NaN propagates
        if (fabs(b[i]) > m) m = fabs(b[i]);
    }
    return d / m;
}

#define CHECK_CLOSE(what, a, b, n, tol)                                                                                \
    do {                                                                                                               \
        double e_ = rel_err(a, b, n);                                                                                  \
        ck_assert_msg(e_ <= (tol), "%s: rel err %.3g > %.3g", what, e_, (double)(tol));                                \
    } while (0)

// Into / out of the oneDNN context's layout.
static float *to_dn(const float *nchw, int B, int C, int HW) {
    float *p = fnew((int64_t)B * C * HW);
    ws_backend_of(&dn)->act_from_nchw(&dn, p, nchw, B, C, HW);
    return p;
}
static float *from_dn(const float *act, int B, int C, int HW) {
    float *p = fnew((int64_t)B * C * HW);
    ws_backend_of(&dn)->act_to_nchw(&dn, p, act, B, C, HW);
    return p;
}

// ---- convolution ---------------------------------------------------------------------------------

typedef struct {
    ws_conv_shape s;
    int bias;
} conv_geom;

static const conv_geom convs[] = {
    {{.B = 2, .C = 16, .H = 9, .W = 9, .O = 16, .KH = 3, .KW = 3, .stride = 1, .pad = 1}, 0},  // blocked 3x3
    {{.B = 2, .C = 16, .H = 9, .W = 8, .O = 32, .KH = 3, .KW = 3, .stride = 2, .pad = 1}, 1},  // blocked, strided, bias
    {{.B = 2, .C = 16, .H = 8, .W = 8, .O = 32, .KH = 1, .KW = 1, .stride = 2, .pad = 0}, 0},  // 1x1 shortcut
    {{.B = 2, .C = 3, .H = 10, .W = 10, .O = 16, .KH = 3, .KW = 3, .stride = 1, .pad = 1, .input_nchw = 1}, 0}, // stem
    {{.B = 2, .C = 8, .H = 7, .W = 7, .O = 8, .KH = 3, .KW = 3, .stride = 1, .pad = 1}, 1},    // plain -> plain
    {{.B = 2, .C = 8, .H = 8, .W = 8, .O = 16, .KH = 3, .KW = 3, .stride = 2, .pad = 1}, 0},   // plain -> blocked
    {{.B = 2, .C = 32, .H = 6, .W = 6, .O = 8, .KH = 3, .KW = 3, .stride = 1, .pad = 1}, 0},   // blocked -> plain
    {{.B = 32, .C = 16, .H = 16, .W = 16, .O = 16, .KH = 3, .KW = 3, .stride = 1, .pad = 1}, 0}, // Winograd under auto
    {{.B = 32, .C = 32, .H = 8, .W = 8, .O = 32, .KH = 3, .KW = 3, .stride = 1, .pad = 1}, 0},
};
#define NCONV ((int)(sizeof convs / sizeof convs[0]))

START_TEST(conv_matches_reference) {
    conv_geom g = convs[_i % NCONV];
    int algo = _i / NCONV; // 0 auto, 1 direct
    dn.conv_algo = algo ? WS_CONV_DIRECT : WS_CONV_AUTO;
    double tol = algo ? 1e-5 : 1e-4;
    ws_conv_shape s = g.s;
    ck_assert_int_eq(ws_conv_shape_resolve(&s), 0);
    const int HWi = s.H * s.W, HWo = s.OH * s.OW;
    const int64_t nx = (int64_t)s.B * s.C * HWi, ny = (int64_t)s.B * s.O * HWo, nw = (int64_t)s.O * s.C * s.KH * s.KW;
    ws_rng r = ws_rng_stream(11, "test-onednn-conv", (uint64_t)_i);
    float *x = frand(nx, &r, 1), *w = frand(nw, &r, 0.3f), *b = frand(s.O, &r, 0.5f), *dy = frand(ny, &r, 1);
    const float *bias = g.bias ? b : NULL;
    // reference
    float *ws = fnew(ws_backend_of(&ref)->conv2d_workspace(&s));
    float *y_ref = fnew(ny), *dx_ref = fnew(nx), *dw_ref = frand(nw, &r, 1), *db_ref = frand(s.O, &r, 1);
    float *dw_dn = fnew(nw), *db_dn = fnew(s.O);
    memcpy(dw_dn, dw_ref, sizeof(float) * (size_t)nw); // both accumulate onto the same start
    memcpy(db_dn, db_ref, sizeof(float) * (size_t)s.O);
    ws_backend_of(&ref)->conv2d_forward(&ref, y_ref, x, w, bias, &s, ws);
    ws_backend_of(&ref)->conv2d_backward(&ref, dx_ref, dw_ref, g.bias ? db_ref : NULL, dy, x, w, &s, ws);
    // oneDNN, in its layouts
    float *x_dn = s.input_nchw ? x : to_dn(x, s.B, s.C, HWi), *dy_dn = to_dn(dy, s.B, s.O, HWo);
    float *y_dn = fnew(ny), *dx_dn = fnew(nx);
    ws_backend_of(&dn)->conv2d_forward(&dn, y_dn, x_dn, w, bias, &s, NULL);
    ws_backend_of(&dn)->conv2d_backward(&dn, s.input_nchw ? NULL : dx_dn, dw_dn, g.bias ? db_dn : NULL, dy_dn, x_dn, w, &s,
                                NULL);
    ck_assert_msg(!dn.fault, "oneDNN failed: %s", dn.err);
    float *y = from_dn(y_dn, s.B, s.O, HWo), *dx = from_dn(dx_dn, s.B, s.C, HWi);
    CHECK_CLOSE("forward", y, y_ref, ny, tol);
    if (!s.input_nchw) CHECK_CLOSE("input gradient", dx, dx_ref, nx, tol);
    CHECK_CLOSE("weight gradient (accumulated)", dw_dn, dw_ref, nw, tol);
    if (g.bias) CHECK_CLOSE("bias gradient (accumulated)", db_dn, db_ref, s.O, tol);
    // Repeatable bitwise with the same context and threads.
    float *y2 = fnew(ny);
    ws_backend_of(&dn)->conv2d_forward(&dn, y2, x_dn, w, bias, &s, NULL);
    ck_assert_msg(!memcmp(y2, y_dn, sizeof(float) * (size_t)ny), "forward not bitwise repeatable");
    free(y2);
    free(x), free(w), free(b), free(dy), free(ws), free(y_ref), free(dx_ref), free(dw_ref), free(db_ref);
    free(dw_dn), free(db_dn), free(dy_dn), free(y_dn), free(dx_dn), free(y), free(dx);
    if (!s.input_nchw) free(x_dn);
}
END_TEST

START_TEST(conv_weight_gradient_accumulates) {
    // Two backward calls from zero give twice one call's gradient.
    ws_conv_shape s = {.B = 2, .C = 16, .H = 6, .W = 6, .O = 16, .KH = 3, .KW = 3, .stride = 1, .pad = 1};
    ws_conv_shape_resolve(&s);
    int64_t nx = (int64_t)s.B * s.C * 36, nw = (int64_t)s.O * s.C * 9;
    ws_rng r = ws_rng_stream(12, "test-onednn-acc", 0);
    float *x = frand(nx, &r, 1), *w = frand(nw, &r, 1), *dy = frand(nx, &r, 1), *dw1 = fnew(nw), *dw2 = fnew(nw);
    ws_backend_of(&dn)->conv2d_backward(&dn, NULL, dw1, NULL, dy, x, w, &s, NULL);
    ws_backend_of(&dn)->conv2d_backward(&dn, NULL, dw2, NULL, dy, x, w, &s, NULL);
    ws_backend_of(&dn)->conv2d_backward(&dn, NULL, dw2, NULL, dy, x, w, &s, NULL);
    for (int64_t i = 0; i < nw; i++) dw1[i] *= 2;
    CHECK_CLOSE("2 x dW", dw2, dw1, nw, 1e-6);
    free(x), free(w), free(dy), free(dw1), free(dw2);
}
END_TEST

// ---- fused BatchNorm -----------------------------------------------------------------------------

// (channels, HW, residual?, relu?): blocked (32) and plain (8, 20) channel counts.
static const int bn_cases[][4] = {{32, 25, 1, 1}, {32, 16, 0, 1}, {16, 9, 1, 0}, {32, 4, 0, 0}, {8, 25, 1, 1}, {20, 9, 0, 1}};
#define NBN ((int)(sizeof bn_cases / sizeof bn_cases[0]))

START_TEST(bn_act_matches_reference) {
    const int B = 6, C = bn_cases[_i][0], HW = bn_cases[_i][1], use_res = bn_cases[_i][2], relu = bn_cases[_i][3];
    const int64_t n = (int64_t)B * C * HW;
    ws_rng r = ws_rng_stream(13, "test-onednn-bn", (uint64_t)_i);
    float *z = frand(n, &r, 2), *res = frand(n, &r, 1), *dout = frand(n, &r, 1);
    for (int64_t i = 0; i < n; i++) z[i] += 3.0f; // a mean far from 0: the two-pass statistics matter
    float *g = frand(C, &r, 1), *bt = frand(C, &r, 1);
    float *stats[2][4]; // mean, invstd, running mean, running var per backend
    for (int k = 0; k < 2; k++)
        for (int j = 0; j < 4; j++) stats[k][j] = fnew(C);
    for (int c = 0; c < C; c++) stats[0][3][c] = stats[1][3][c] = 1.0f;
    const float *rp = use_res ? res : NULL;
    float *out_ref = fnew(n), *dz_ref = fnew(n), *dres_ref = fnew(n), *dg_ref = fnew(C), *db_ref = fnew(C);
    ws_backend_of(&ref)->bn_act_forward_train(&ref, out_ref, stats[0][0], stats[0][1], stats[0][2], stats[0][3], z, rp, g, bt,
                                      B, C, HW, 0.1f, 1e-5f, relu);
    ws_backend_of(&ref)->bn_act_backward(&ref, dz_ref, use_res ? dres_ref : NULL, dg_ref, db_ref, dout, out_ref, z, stats[0][0],
                                 stats[0][1], g, B, C, HW, relu);
    float *z_dn = to_dn(z, B, C, HW), *res_dn = to_dn(res, B, C, HW), *dout_dn = to_dn(dout, B, C, HW);
    float *o_dn = fnew(n), *dz_dn = fnew(n), *dres_dn = fnew(n), *dg = fnew(C), *db = fnew(C);
    ws_backend_of(&dn)->bn_act_forward_train(&dn, o_dn, stats[1][0], stats[1][1], stats[1][2], stats[1][3], z_dn,
                                     use_res ? res_dn : NULL, g, bt, B, C, HW, 0.1f, 1e-5f, relu);
    ws_backend_of(&dn)->bn_act_backward(&dn, dz_dn, use_res ? dres_dn : NULL, dg, db, dout_dn, o_dn, z_dn, stats[1][0],
                                stats[1][1], g, B, C, HW, relu);
    ck_assert_msg(!dn.fault, "oneDNN backend failed: %s", dn.err);
    float *o = from_dn(o_dn, B, C, HW), *dz = from_dn(dz_dn, B, C, HW), *dres = from_dn(dres_dn, B, C, HW);
    CHECK_CLOSE("train forward", o, out_ref, n, 1e-6);
    CHECK_CLOSE("saved mean", stats[1][0], stats[0][0], C, 1e-6);
    CHECK_CLOSE("saved invstd", stats[1][1], stats[0][1], C, 1e-6);
    CHECK_CLOSE("running mean", stats[1][2], stats[0][2], C, 1e-6);
    CHECK_CLOSE("running var", stats[1][3], stats[0][3], C, 1e-6);
    CHECK_CLOSE("dz", dz, dz_ref, n, 1e-5);
    CHECK_CLOSE("dgamma", dg, dg_ref, C, 1e-5);
    CHECK_CLOSE("dbeta", db, db_ref, C, 1e-5);
    if (use_res) CHECK_CLOSE("dres", dres, dres_ref, n, 0);
    // Eval mode, in place on the oneDNN side.
    ws_backend_of(&ref)->bn_act_forward_eval(&ref, out_ref, z, rp, g, bt, stats[0][2], stats[0][3], B, C, HW, 1e-5f, relu);
    ws_backend_of(&dn)->bn_act_forward_eval(&dn, z_dn, z_dn, use_res ? res_dn : NULL, g, bt, stats[0][2], stats[0][3], B, C,
                                    HW, 1e-5f, relu);
    float *e = from_dn(z_dn, B, C, HW);
    CHECK_CLOSE("eval forward (in place)", e, out_ref, n, 1e-6);
    free(z), free(res), free(dout), free(g), free(bt), free(out_ref), free(dz_ref), free(dres_ref), free(dg_ref);
    free(db_ref), free(z_dn), free(res_dn), free(dout_dn), free(o_dn), free(dz_dn), free(dres_dn), free(dg), free(db);
    free(o), free(dz), free(dres), free(e);
    for (int k = 0; k < 2; k++)
        for (int j = 0; j < 4; j++) free(stats[k][j]);
}
END_TEST

// Finite differences through the reference's fused op: L = sum r * act(bn(z) + res).
typedef struct {
    const ws_backend *be;
    ws_ctx *cx;
    float *z, *res, *g, *bt, *r, *out;
    int B, C, HW, relu;
} bn_fd;

static double bn_objective(void *u) {
    bn_fd *f = u;
    float mean[64], invstd[64];
    f->be->bn_act_forward_train(f->cx, f->out, mean, invstd, NULL, NULL, f->z, f->res, f->g, f->bt, f->B, f->C, f->HW,
                                0.1f, 1e-5f, f->relu);
    double L = 0;
    for (int64_t i = 0; i < (int64_t)f->B * f->C * f->HW; i++) L += (double)f->r[i] * f->out[i];
    return L;
}

START_TEST(bn_act_reference_gradients) {
    const int B = 3, C = 4, HW = 5, relu = _i;
    const int64_t n = (int64_t)B * C * HW;
    ws_rng rr = ws_rng_stream(14, "test-onednn-bn-fd", (uint64_t)_i);
    bn_fd f = {.be = ws_backend_of(&ref), .cx = &ref, .B = B, .C = C, .HW = HW, .relu = relu};
    f.z = frand(n, &rr, 2), f.res = frand(n, &rr, 1), f.g = frand(C, &rr, 1), f.bt = frand(C, &rr, 1);
    f.r = frand(n, &rr, 1), f.out = fnew(n);
    float mean[4], invstd[4], *dz = fnew(n), *dres = fnew(n), dg[4] = {0}, db[4] = {0};
    ws_backend_of(&ref)->bn_act_forward_train(&ref, f.out, mean, invstd, NULL, NULL, f.z, f.res, f.g, f.bt, B, C, HW, 0.1f,
                                      1e-5f, relu);
    ws_backend_of(&ref)->bn_act_backward(&ref, dz, dres, dg, db, f.r, f.out, f.z, mean, invstd, f.g, B, C, HW, relu);
    ck_assert_double_le(fd_error(f.z, dz, n, bn_objective, &f, 1e-2f), 2e-3);
    ck_assert_double_le(fd_error(f.res, dres, n, bn_objective, &f, 1e-2f), 2e-3);
    ck_assert_double_le(fd_error(f.g, dg, C, bn_objective, &f, 1e-2f), 2e-3);
    ck_assert_double_le(fd_error(f.bt, db, C, bn_objective, &f, 1e-2f), 2e-3);
    // Negative control: a wrong gradient (dz of the un-rectified output) is caught.
    if (relu) {
        float *dz_bad = fnew(n);
        ws_backend_of(&ref)->bn_act_backward(&ref, dz_bad, NULL, NULL, NULL, f.r, f.out, f.z, mean, invstd, f.g, B, C, HW, 0);
        ck_assert_double_gt(fd_error(f.z, dz_bad, n, bn_objective, &f, 1e-2f), 1e-1);
        free(dz_bad);
    }
    free(f.z), free(f.res), free(f.g), free(f.bt), free(f.r), free(f.out), free(dz), free(dres);
}
END_TEST

// ---- pooling, layout -----------------------------------------------------------------------------

START_TEST(pool_and_layout) {
    const int B = 3, C = 48, HW = 10;
    const int64_t n = (int64_t)B * C * HW;
    ws_rng r = ws_rng_stream(15, "test-onednn-pool", 0);
    float *x = frand(n, &r, 1), *dy = frand((int64_t)B * C, &r, 1);
    float *x_dn = to_dn(x, B, C, HW), *back = from_dn(x_dn, B, C, HW);
    ck_assert_msg(!memcmp(back, x, sizeof(float) * (size_t)n), "layout round trip changed the data");
    ck_assert_msg(memcmp(x_dn, x, sizeof(float) * (size_t)n), "48 channels should be blocked, not NCHW");
    float *p_ref = fnew((int64_t)B * C), *p = fnew((int64_t)B * C), *dx_ref = fnew(n), *dx_dn = fnew(n);
    ws_backend_of(&ref)->avgpool_forward(&ref, p_ref, x, B, C, HW);
    ws_backend_of(&dn)->avgpool_forward(&dn, p, x_dn, B, C, HW);
    CHECK_CLOSE("pool forward", p, p_ref, (int64_t)B * C, 1e-7);
    ws_backend_of(&ref)->avgpool_backward(&ref, dx_ref, dy, B, C, HW);
    ws_backend_of(&dn)->avgpool_backward(&dn, dx_dn, dy, B, C, HW);
    float *dx = from_dn(dx_dn, B, C, HW);
    CHECK_CLOSE("pool backward", dx, dx_ref, n, 0);
    free(x), free(dy), free(x_dn), free(back), free(p_ref), free(p), free(dx_ref), free(dx_dn), free(dx);
}
END_TEST

// ---- plain convolutions and the ops after them (Kumar et al.'s CNN) ----------------------------
// A `plain` convolution keeps NCHW on both sides even at 16 or 32 channels (which oneDNN would
// otherwise block): its output, read as NCHW with no conversion, and its gradients match the
// reference; so do max-pooling, LayerNorm and CReLU on that NCHW output.

static const ws_conv_shape plain_convs[] = {
    {.B = 4, .C = 3, .H = 14, .W = 14, .O = 16, .KH = 5, .KW = 5, .stride = 1, .plain = 1},
    {.B = 4, .C = 16, .H = 9, .W = 9, .O = 16, .KH = 5, .KW = 5, .stride = 1, .plain = 1},
    {.B = 3, .C = 22, .H = 9, .W = 10, .O = 32, .KH = 5, .KW = 5, .stride = 1, .plain = 1},
    {.B = 3, .C = 32, .H = 8, .W = 8, .O = 11, .KH = 5, .KW = 5, .stride = 1, .plain = 1},
};
#define NPLAIN ((int)(sizeof plain_convs / sizeof *plain_convs))

START_TEST(plain_conv_and_cnn_ops_match_reference) {
    ws_conv_shape s = plain_convs[_i];
    dn.conv_algo = WS_CONV_DIRECT;
    ck_assert_int_eq(ws_conv_shape_resolve(&s), 0);
    const int HWi = s.H * s.W, HWo = s.OH * s.OW;
    const int64_t nx = (int64_t)s.B * s.C * HWi, ny = (int64_t)s.B * s.O * HWo, nw = (int64_t)s.O * s.C * 25;
    ws_rng r = ws_rng_stream(17, "test-onednn-plain", (uint64_t)_i);
    float *x = frand(nx, &r, 1), *w = frand(nw, &r, 0.3f), *b = frand(s.O, &r, 0.5f), *dy = frand(ny, &r, 1);
    float *wsp = fnew(ws_backend_of(&ref)->conv2d_workspace(&s));
    float *y_ref = fnew(ny), *y_dn = fnew(ny), *dx_ref = fnew(nx), *dx_dn = fnew(nx);
    float *dw_ref = fnew(nw), *dw_dn = fnew(nw), *db_ref = fnew(s.O), *db_dn = fnew(s.O);
    ws_backend_of(&ref)->conv2d_forward(&ref, y_ref, x, w, b, &s, wsp);
    ws_backend_of(&ref)->conv2d_backward(&ref, dx_ref, dw_ref, db_ref, dy, x, w, &s, wsp);
    ws_backend_of(&dn)->conv2d_forward(&dn, y_dn, x, w, b, &s, NULL);
    ws_backend_of(&dn)->conv2d_backward(&dn, dx_dn, dw_dn, db_dn, dy, x, w, &s, NULL);
    ck_assert_msg(!dn.fault, "oneDNN failed: %s", dn.err);
    CHECK_CLOSE("plain forward (NCHW as it is)", y_dn, y_ref, ny, 1e-5);
    CHECK_CLOSE("plain input gradient", dx_dn, dx_ref, nx, 1e-5);
    CHECK_CLOSE("plain weight gradient", dw_dn, dw_ref, nw, 1e-5);
    CHECK_CLOSE("plain bias gradient", db_dn, db_ref, s.O, 1e-5);
    // Max-pool on the NCHW output, forward and backward.
    float *dh_ref = fnew(ny), *dh_dn = fnew(ny); // gradients at the conv output
    const int64_t np = (int64_t)s.B * s.O * (s.OH / 2) * (s.OW / 2);
    float *p_ref = fnew(np), *p_dn = fnew(np), *dp = frand(np, &r, 1);
    ws_backend_of(&ref)->maxpool2_forward(&ref, p_ref, y_ref, s.B, s.O, s.OH, s.OW);
    ws_backend_of(&dn)->maxpool2_forward(&dn, p_dn, y_dn, s.B, s.O, s.OH, s.OW);
    CHECK_CLOSE("max-pool forward", p_dn, p_ref, np, 1e-5);
    ws_backend_of(&ref)->maxpool2_backward(&ref, dh_ref, dp, y_ref, s.B, s.O, s.OH, s.OW);
    ws_backend_of(&dn)->maxpool2_backward(&dn, dh_dn, dp, y_ref, s.B, s.O, s.OH, s.OW);
    CHECK_CLOSE("max-pool backward", dh_dn, dh_ref, ny, 0);
    // LayerNorm over each example's (C,H,W) and CReLU over its channels.
    const int N = s.O * HWo;
    float *g = frand(N, &r, 1), *be = frand(N, &r, 1), *mr = fnew(s.B), *ir = fnew(s.B), *md = fnew(s.B), *id = fnew(s.B);
    float *l_ref = fnew(ny), *l_dn = fnew(ny), *dg_ref = fnew(N), *dg_dn = fnew(N), *db2_ref = fnew(N), *db2_dn = fnew(N);
    ws_backend_of(&ref)->layernorm_forward(&ref, l_ref, mr, ir, y_ref, g, be, s.B, N, 1e-5f);
    ws_backend_of(&dn)->layernorm_forward(&dn, l_dn, md, id, y_ref, g, be, s.B, N, 1e-5f);
    CHECK_CLOSE("LayerNorm forward", l_dn, l_ref, ny, 0);
    ws_backend_of(&ref)->layernorm_backward(&ref, dh_ref, dg_ref, db2_ref, dy, y_ref, mr, ir, g, s.B, N);
    ws_backend_of(&dn)->layernorm_backward(&dn, dh_dn, dg_dn, db2_dn, dy, y_ref, md, id, g, s.B, N);
    CHECK_CLOSE("LayerNorm input gradient", dh_dn, dh_ref, ny, 0);
    CHECK_CLOSE("LayerNorm gamma gradient", dg_dn, dg_ref, N, 0);
    float *c_ref = fnew(2 * ny), *c_dn = fnew(2 * ny), *dc = frand(2 * ny, &r, 1);
    ws_backend_of(&ref)->crelu_forward(&ref, c_ref, l_ref, s.B, N);
    ws_backend_of(&dn)->crelu_forward(&dn, c_dn, l_ref, s.B, N);
    CHECK_CLOSE("CReLU forward", c_dn, c_ref, 2 * ny, 0);
    ws_backend_of(&ref)->crelu_backward(&ref, dh_ref, dc, c_ref, s.B, N);
    ws_backend_of(&dn)->crelu_backward(&dn, dh_dn, dc, c_ref, s.B, N);
    CHECK_CLOSE("CReLU backward", dh_dn, dh_ref, ny, 0);
    free(x), free(w), free(b), free(dy), free(wsp), free(y_ref), free(y_dn), free(dx_ref), free(dx_dn);
    free(dw_ref), free(dw_dn), free(db_ref), free(db_dn), free(p_ref), free(p_dn), free(dp);
    free(g), free(be), free(mr), free(ir), free(md), free(id), free(l_ref), free(l_dn), free(dg_ref), free(dg_dn);
    free(db2_ref), free(db2_dn), free(c_ref), free(c_dn), free(dc), free(dh_ref), free(dh_dn);
}
END_TEST

START_TEST(backend_names) {
    ck_assert_ptr_eq(ws_backend_by_name("reference"), ws_backend_cpu());
    ck_assert_ptr_eq(ws_backend_by_name("onednn"), ws_backend_onednn());
    ck_assert_ptr_null(ws_backend_by_name("cuda"));
    ws_ctx c;
    ws_ctx_init(&c, 1);
    ck_assert_int_eq(ws_ctx_set_backend(&c, "gpu"), WS_ERR_ARG);
    ck_assert_ptr_nonnull(strstr(c.err, "gpu"));
    ck_assert_int_eq(ws_ctx_set_conv_algo(&c, "fft"), WS_ERR_ARG);
    ck_assert_int_eq(ws_ctx_set_conv_algo(&c, "direct"), WS_OK);
    ck_assert_int_eq(c.conv_algo, WS_CONV_DIRECT);
    ws_ctx_release(&c);
    ws_ctx_init(&c, 2); // back to the suites' thread count
}
END_TEST

static int released;
static void count_release(void *state) { (void)state, released++; }

// A plain ws_ctx_init context runs on oneDNN (core leaves the pointer NULL; the
// registry resolves it); switching backend releases the old one's state, and
// choosing the backend already in use (the default included) keeps it.
START_TEST(default_backend_and_switching) {
    ws_ctx c;
    ws_ctx_init(&c, 1);
    ck_assert_ptr_eq(ws_backend_default(), ws_backend_onednn());
    ck_assert_ptr_eq(ws_backend_of(&c), ws_backend_onednn());
    ck_assert_str_eq(ws_backend_of(&c)->name, "onednn");
    int dummy;
    released = 0;
    c.backend_state = &dummy, c.backend_state_free = count_release;
    ck_assert_int_eq(ws_ctx_set_backend(&c, "onednn"), WS_OK); // the default already: state kept
    ck_assert_int_eq(released, 0);
    ck_assert_ptr_eq(c.backend_state, &dummy);
    ck_assert_int_eq(ws_ctx_set_backend(&c, "reference"), WS_OK);
    ck_assert_int_eq(released, 1);
    ck_assert_ptr_null(c.backend_state);
    ck_assert_ptr_eq(ws_backend_of(&c), ws_backend_cpu());
    ck_assert_str_eq(ws_backend_of(&c)->name, "reference");
    ck_assert_int_eq(ws_ctx_set_backend(&c, "cuda"), WS_ERR_ARG); // a failed switch changes nothing
    ck_assert_ptr_eq(ws_backend_of(&c), ws_backend_cpu());
    ck_assert_str_eq(c.err, "unknown backend 'cuda' (expected reference or onednn)");
    ck_assert_int_eq(ws_ctx_set_backend(&c, "onednn"), WS_OK);
    ck_assert_ptr_eq(ws_backend_of(&c), ws_backend_onednn());
    ck_assert_int_eq(ws_ctx_set_conv_algo(&c, "auto"), WS_OK);
    ck_assert_int_eq(c.conv_algo, WS_CONV_AUTO);
    char libs[512];
    ws_backend_libraries(libs, sizeof libs);
    ck_assert_ptr_nonnull(strstr(libs, "OpenBLAS"));
    ck_assert_ptr_nonnull(strstr(libs, "; oneDNN "));
    ws_ctx_release(&c);
    ws_ctx_init(&c, 2); // back to the suites' thread count
}
END_TEST

Suite *onednn_suite(void) {
    Suite *s = suite_create("onednn");
    TCase *t = tcase_create("vs_reference");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_set_timeout(t, 120);
    tcase_add_loop_test(t, conv_matches_reference, 0, 2 * NCONV);
    tcase_add_test(t, conv_weight_gradient_accumulates);
    tcase_add_loop_test(t, bn_act_matches_reference, 0, NBN);
    tcase_add_loop_test(t, bn_act_reference_gradients, 0, 2);
    tcase_add_test(t, pool_and_layout);
    tcase_add_loop_test(t, plain_conv_and_cnn_ops_match_reference, 0, NPLAIN);
    tcase_add_test(t, backend_names);
    tcase_add_test(t, default_backend_and_switching);
    suite_add_tcase(s, t);
    return s;
}
