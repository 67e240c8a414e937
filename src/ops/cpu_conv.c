// Convolutional ops of the reference CPU backend: conv2d (im2col + OpenBLAS
// sgemm), BatchNorm2d (training and eval), global average pooling and the
// residual add. NCHW activations, OIHW weights, PyTorch semantics.
//
// Convolution. Per image b the columns cols (C*KH*KW, OH*OW) hold, in row
// r = (c, kh, kw) and column p = (oh, ow), in[b, c, oh*stride - pad + kh,
// ow*stride - pad + kw] (0 in the padding); then
//     forward:  out_b (O, OHW)  = W (O, CKK) @ cols  [+ bias]
//     backward: dW    (O, CKK) += dout_b (O, OHW) @ cols^T
//               dcols (CKK, OHW) = W^T @ dout_b, scattered back (col2im) into din_b.
// A 1x1, stride-1, unpadded convolution is a plain product: its columns are
// the image itself and dcols is din_b, so it needs no workspace.
//
// Workspace: the columns of ONE image (ws_cpu_conv2d_workspace floats), for any
// thread count. Threads therefore share each image rather than splitting the
// batch:
//   forward, many output positions: thread t owns a block of the columns p,
//     builds those columns and computes out_b[:, block]: no synchronisation;
//   forward, few output positions (late ResNet stages): the threads build the
//     columns together (blocks of rows), meet at a barrier, and each computes
//     a block of output channels o;
//   backward: thread t owns a block of the rows r (whole input channels when
//     din is wanted, so that its col2im scatters only into its own channels of
//     din): it builds its rows, adds its block of columns of dW, computes its
//     rows of dcols in place and scatters them: no synchronisation at all.
// No sum is split across threads and every block is fixed by the thread
// count, so results are bitwise reproducible at a given ctx->threads (the sums
// over images in dW run in image order). OpenBLAS runs single-threaded inside
// our parallel regions.
//
// BatchNorm and pooling reduce each channel (or plane) in double, in a fixed
// order, on one thread: reproducible whatever the thread count.
//
// bf16 (ctx->precision): the oracle, as for Linear (cpu.c): the products' inputs (in, w,
// dout) rounded to bf16 (ws_bf16_round), then the fp32 convolution; the bias gradient from
// the unrounded dout.
#include "ops/cpu_conv.h"

#include <cblas.h>
#include <math.h>
#include <omp.h>
#include <string.h>

#include "core/ctx.h"
#include "ops/bf16.h"
#include "ops/cpu_threads.h"

// Below this many multiply-adds a convolution stays on one thread.
#define PAR_MIN_FMA (64 * 1024)
// Below this many elements an elementwise or reduction pass stays on one thread.
#define PAR_MIN_ELEMS (16 * 1024)
// The forward splits an image's output positions across threads when each
// gets at least this many (or when there are more positions than channels).
#define MIN_COLS_PER_THREAD 64

int ws_conv_shape_resolve(ws_conv_shape *s) {
    if (s->B < 0 || s->C < 1 || s->H < 1 || s->W < 1 || s->O < 1 || s->KH < 1 || s->KW < 1 || s->stride < 1 ||
        s->pad < 0)
        return -1;
    int64_t eh = (int64_t)s->H + 2 * (int64_t)s->pad - s->KH, ew = (int64_t)s->W + 2 * (int64_t)s->pad - s->KW;
    if (eh < 0 || ew < 0) return -1;
    s->OH = (int)(eh / s->stride + 1);
    s->OW = (int)(ew / s->stride + 1);
    return 0;
}

static int is_direct(const ws_conv_shape *s) { return s->KH == 1 && s->KW == 1 && s->stride == 1 && s->pad == 0; }

int64_t ws_cpu_conv2d_workspace(const ws_conv_shape *s) {
    if (is_direct(s)) return 0;
    return (int64_t)s->C * s->KH * s->KW * s->OH * s->OW;
}

// The output columns ow in [*lo, *hi) whose input column ow*stride - pad + kw
// lies inside [0, W).
static void valid_range(int W, int OW, int stride, int pad, int k, int *lo, int *hi) {
    // smallest ow with ow*stride >= pad - k; largest with ow*stride <= W - 1 + pad - k
    int a = pad - k, b = W - 1 + pad - k;
    int l = a <= 0 ? 0 : (a + stride - 1) / stride;
    int h = b < 0 ? 0 : b / stride + 1;
    if (h > OW) h = OW;
    if (l > h) l = h;
    *lo = l;
    *hi = h;
}

// Rows [r0, r1) and columns [p0, p1) of one image's columns (row stride ld).
static void im2col(float *cols, int64_t ld, const float *in_b, const ws_conv_shape *s, int r0, int r1, int p0,
                   int p1) {
    const int H = s->H, W = s->W, OW = s->OW, KK = s->KH * s->KW, st = s->stride, pad = s->pad;
    for (int r = r0; r < r1; r++) {
        int c = r / KK, kh = (r % KK) / s->KW, kw = r % s->KW;
        const float *x = in_b + (int64_t)c * H * W;
        float *dst = cols + (int64_t)r * ld;
        int vlo, vhi;
        valid_range(W, OW, st, pad, kw, &vlo, &vhi);
        for (int p = p0; p < p1;) {
            int oh = p / OW, ow0 = p % OW, ow1 = ow0 + (p1 - p) < OW ? ow0 + (p1 - p) : OW;
            float *d = dst + p - ow0; // d[ow] is column (oh, ow)
            int ih = oh * st - pad + kh;
            if (ih < 0 || ih >= H) {
                memset(d + ow0, 0, sizeof(float) * (size_t)(ow1 - ow0));
            } else {
                const int64_t base = (int64_t)ih * W - pad + kw; // x[base + ow*st] = x[ih, ow*st - pad + kw]
                int lo = vlo > ow0 ? vlo : ow0, hi = vhi < ow1 ? vhi : ow1;
                if (hi < lo) hi = lo;
                for (int ow = ow0; ow < lo; ow++) d[ow] = 0.0f;
                if (st == 1) {
                    if (hi > lo) memcpy(d + lo, x + base + lo, sizeof(float) * (size_t)(hi - lo));
                } else {
                    for (int ow = lo; ow < hi; ow++) d[ow] = x[base + (int64_t)ow * st];
                }
                for (int ow = hi; ow < ow1; ow++) d[ow] = 0.0f;
            }
            p += ow1 - ow0;
        }
    }
}

// din_b[c, ...] += scatter of rows [r0, r1) of the columns (full width OH*OW,
// row stride OH*OW). Rows of one channel only touch that channel of din_b.
static void col2im_add(float *din_b, const float *cols, const ws_conv_shape *s, int r0, int r1) {
    const int H = s->H, W = s->W, OH = s->OH, OW = s->OW, KK = s->KH * s->KW, st = s->stride, pad = s->pad;
    const int64_t OHW = (int64_t)OH * OW;
    for (int r = r0; r < r1; r++) {
        int c = r / KK, kh = (r % KK) / s->KW, kw = r % s->KW;
        float *x = din_b + (int64_t)c * H * W;
        const float *src = cols + (int64_t)r * OHW;
        int lo, hi;
        valid_range(W, OW, st, pad, kw, &lo, &hi);
        for (int oh = 0; oh < OH; oh++) {
            int ih = oh * st - pad + kh;
            if (ih < 0 || ih >= H) continue;
            const int64_t base = (int64_t)ih * W - pad + kw;
            const float *sr = src + (int64_t)oh * OW;
            if (st == 1) {
                for (int ow = lo; ow < hi; ow++) x[base + ow] += sr[ow];
            } else {
                for (int ow = lo; ow < hi; ow++) x[base + (int64_t)ow * st] += sr[ow];
            }
        }
    }
}

// out_b[o0:o1, p0:p1] = W[o0:o1] @ cols[:, p0:p1] (+ b[o0:o1]); cols has row stride ld.
static void conv_gemm_block(float *out_b, const float *w, const float *b, const float *cols, int64_t ld,
                            int CKK, int OHW, int o0, int o1, int p0, int p1) {
    if (o1 <= o0 || p1 <= p0) return;
    float beta = 0.0f;
    if (b) {
        for (int o = o0; o < o1; o++) {
            float *row = out_b + (int64_t)o * OHW;
            for (int p = p0; p < p1; p++) row[p] = b[o];
        }
        beta = 1.0f;
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, o1 - o0, p1 - p0, CKK, 1.0f, w + (int64_t)o0 * CKK, CKK,
                cols + p0, (int)ld, beta, out_b + (int64_t)o0 * OHW + p0, OHW);
}

static void conv2d_forward_f32(ws_ctx *ctx, float *out, const float *in, const float *w, const float *b,
                               const ws_conv_shape *s, float *workspace) {
    const int B = s->B, C = s->C, O = s->O, CKK = C * s->KH * s->KW, OHW = s->OH * s->OW;
    const int64_t HW = (int64_t)s->H * s->W;
    const int direct = is_direct(s);
    int T = threads_of(ctx);
    if ((int64_t)B * O * CKK * OHW < PAR_MIN_FMA) T = 1;
    const int split_cols = OHW >= MIN_COLS_PER_THREAD * T || OHW >= O;
    #pragma omp parallel num_threads(T) if (T > 1)
    {
        int t = omp_get_thread_num(), nt = omp_get_num_threads(), lo, hi;
        for (int bi = 0; bi < B; bi++) {
            const float *in_b = in + (int64_t)bi * C * HW;
            float *out_b = out + (int64_t)bi * O * OHW;
            const float *cols = direct ? in_b : workspace;
            if (split_cols) {
                block_of(OHW, nt, t, 16, &lo, &hi);
                if (!direct) im2col(workspace, OHW, in_b, s, 0, CKK, lo, hi);
                conv_gemm_block(out_b, w, b, cols, OHW, CKK, OHW, 0, O, lo, hi);
            } else {
                if (!direct) {
                    block_of(CKK, nt, t, 1, &lo, &hi);
                    im2col(workspace, OHW, in_b, s, lo, hi, 0, OHW);
                    #pragma omp barrier
                }
                block_of(O, nt, t, 4, &lo, &hi);
                conv_gemm_block(out_b, w, b, cols, OHW, CKK, OHW, lo, hi, 0, OHW);
                if (!direct) {
                    #pragma omp barrier // the columns are rebuilt for the next image
                }
            }
        }
    }
}

static void conv2d_backward_f32(ws_ctx *ctx, float *din, float *dw, float *db, const float *dout, const float *in,
                                const float *w, const ws_conv_shape *s, float *workspace) {
    const int B = s->B, C = s->C, O = s->O, KK = s->KH * s->KW, CKK = C * KK, OHW = s->OH * s->OW;
    const int64_t HW = (int64_t)s->H * s->W;
    const int direct = is_direct(s);
    int T = threads_of(ctx);
    if ((int64_t)B * O * CKK * OHW < PAR_MIN_FMA) T = 1;
    // Thread t owns a block of whole input channels when din is wanted (its
    // col2im then writes only its channels), else a block of rows of the columns.
    const int unit = din ? KK : 1, nunits = din ? C : CKK;
    #pragma omp parallel num_threads(T) if (T > 1)
    {
        int t = omp_get_thread_num(), nt = omp_get_num_threads(), u0, u1;
        if (db) { // db[o] += sum over images and positions, in that order
            int o0, o1;
            block_of(O, nt, t, 1, &o0, &o1);
            for (int o = o0; o < o1; o++) {
                double acc = 0.0;
                for (int bi = 0; bi < B; bi++) {
                    const float *d = dout + ((int64_t)bi * O + o) * OHW;
                    for (int p = 0; p < OHW; p++) acc += d[p];
                }
                db[o] += (float)acc;
            }
        }
        block_of(nunits, nt, t, 1, &u0, &u1);
        const int r0 = u0 * unit, r1 = u1 * unit, nr = r1 - r0;
        for (int bi = 0; bi < B && nr > 0; bi++) {
            const float *in_b = in + (int64_t)bi * C * HW;
            const float *dout_b = dout + (int64_t)bi * O * OHW;
            float *din_b = din ? din + (int64_t)bi * C * HW : NULL;
            const float *cols;
            if (direct) {
                cols = in_b + (int64_t)r0 * HW;
            } else {
                im2col(workspace, OHW, in_b, s, r0, r1, 0, OHW);
                cols = workspace + (int64_t)r0 * OHW;
            }
            // dW[:, r0:r1] += dout_b @ cols[r0:r1]^T
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, O, nr, OHW, 1.0f, dout_b, OHW, cols, OHW, 1.0f,
                        dw + r0, CKK);
            if (!din_b) continue;
            // dcols[r0:r1] = W[:, r0:r1]^T @ dout_b, straight into din_b when direct
            float *dcols = direct ? din_b + (int64_t)r0 * HW : workspace + (int64_t)r0 * OHW;
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, nr, OHW, O, 1.0f, w + r0, CKK, dout_b, OHW, 0.0f,
                        dcols, OHW);
            if (!direct) {
                memset(din_b + (int64_t)u0 * HW, 0, sizeof(float) * (size_t)((int64_t)(u1 - u0) * HW));
                col2im_add(din_b, workspace, s, r0, r1);
            }
        }
    }
}

// ---- bf16: the oracle ----

// A copy of n floats rounded to bf16 (ws_alloc'd; NULL and ctx->fault set when out of memory).
static float *rounded_copy(ws_ctx *ctx, const float *a, int64_t n) {
    float *r = ws_alloc(ctx, sizeof(float) * (size_t)(n > 0 ? n : 1));
    if (!r) {
        if (!ctx->fault) ctx->fault = WS_ERR_NOMEM;
        return NULL;
    }
    ws_bf16_round(r, a, n);
    return r;
}

// db[o] += the sum over images and positions of dout (NCHW), in double, in that order
// (conv2d_backward_f32's order: the same bits).
static void conv_bias_grad(float *db, const float *dout, int B, int O, int OHW) {
    for (int o = 0; o < O; o++) {
        double acc = 0.0;
        for (int bi = 0; bi < B; bi++) {
            const float *d = dout + ((int64_t)bi * O + o) * OHW;
            for (int p = 0; p < OHW; p++) acc += d[p];
        }
        db[o] += (float)acc;
    }
}

void ws_cpu_conv2d_forward(ws_ctx *ctx, float *out, const float *in, const float *w, const float *b,
                           const ws_conv_shape *s, float *workspace) {
    if (ctx->precision != WS_PREC_BF16) {
        conv2d_forward_f32(ctx, out, in, w, b, s, workspace);
        return;
    }
    float *rin = rounded_copy(ctx, in, (int64_t)s->B * s->C * s->H * s->W);
    float *rw = rin ? rounded_copy(ctx, w, (int64_t)s->O * s->C * s->KH * s->KW) : NULL;
    if (rw) conv2d_forward_f32(ctx, out, rin, rw, b, s, workspace);
    ws_free(rin);
    ws_free(rw);
}

void ws_cpu_conv2d_backward(ws_ctx *ctx, float *din, float *dw, float *db, const float *dout, const float *in,
                            const float *w, const ws_conv_shape *s, float *workspace) {
    if (ctx->precision != WS_PREC_BF16) {
        conv2d_backward_f32(ctx, din, dw, db, dout, in, w, s, workspace);
        return;
    }
    float *rd = rounded_copy(ctx, dout, (int64_t)s->B * s->O * s->OH * s->OW);
    float *rin = rd ? rounded_copy(ctx, in, (int64_t)s->B * s->C * s->H * s->W) : NULL;
    float *rw = rin && din ? rounded_copy(ctx, w, (int64_t)s->O * s->C * s->KH * s->KW) : NULL;
    if (rin && (rw || !din)) {
        conv2d_backward_f32(ctx, din, dw, NULL, rd, rin, din ? rw : w, s, workspace);
        if (db) conv_bias_grad(db, dout, s->B, s->O, s->OH * s->OW);
    }
    ws_free(rd);
    ws_free(rin);
    ws_free(rw);
}

// ---- BatchNorm2d --------------------------------------------------------------

void ws_cpu_batchnorm_forward_train(ws_ctx *ctx, float *out, float *save_mean, float *save_invstd,
                                    float *running_mean, float *running_var, const float *in, const float *gamma,
                                    const float *beta, int B, int C, int HW, float momentum, float eps) {
    const int64_t N = (int64_t)B * HW;
    int T = N * C < PAR_MIN_ELEMS ? 1 : threads_of(ctx);
    #pragma omp parallel for schedule(static) num_threads(T) if (T > 1)
    for (int c = 0; c < C; c++) {
        double sum = 0.0;
        for (int bi = 0; bi < B; bi++) {
            const float *x = in + ((int64_t)bi * C + c) * HW;
            for (int i = 0; i < HW; i++) sum += x[i];
        }
        double mean = N > 0 ? sum / (double)N : 0.0, ss = 0.0;
        for (int bi = 0; bi < B; bi++) { // two passes: no cancellation for a large mean
            const float *x = in + ((int64_t)bi * C + c) * HW;
            for (int i = 0; i < HW; i++) {
                double d = (double)x[i] - mean;
                ss += d * d;
            }
        }
        double var = N > 0 ? ss / (double)N : 0.0;
        double invstd = 1.0 / sqrt(var + (double)eps);
        if (save_mean) save_mean[c] = (float)mean;
        if (save_invstd) save_invstd[c] = (float)invstd;
        if (running_mean) running_mean[c] = (float)((1.0 - momentum) * running_mean[c] + (double)momentum * mean);
        if (running_var) {
            double unbiased = N > 1 ? ss / (double)(N - 1) : var;
            running_var[c] = (float)((1.0 - momentum) * running_var[c] + (double)momentum * unbiased);
        }
        // out = x * scale + shift, as PyTorch's CPU kernel
        double g = gamma ? gamma[c] : 1.0;
        float scale = (float)(g * invstd), shift = (float)((beta ? beta[c] : 0.0) - mean * g * invstd);
        for (int bi = 0; bi < B; bi++) {
            const float *x = in + ((int64_t)bi * C + c) * HW;
            float *y = out + ((int64_t)bi * C + c) * HW;
            for (int i = 0; i < HW; i++) y[i] = x[i] * scale + shift;
        }
    }
}

void ws_cpu_batchnorm_forward_eval(ws_ctx *ctx, float *out, const float *in, const float *gamma, const float *beta,
                                   const float *running_mean, const float *running_var, int B, int C, int HW,
                                   float eps) {
    const int64_t planes = (int64_t)B * C;
    int T = planes * HW < PAR_MIN_ELEMS ? 1 : threads_of(ctx);
    #pragma omp parallel for schedule(static) num_threads(T) if (T > 1)
    for (int64_t bc = 0; bc < planes; bc++) {
        int c = (int)(bc % C);
        double g = gamma ? gamma[c] : 1.0;
        double k = g / sqrt((double)running_var[c] + (double)eps);
        float scale = (float)k, shift = (float)((beta ? beta[c] : 0.0) - (double)running_mean[c] * k);
        const float *x = in + bc * HW;
        float *y = out + bc * HW;
        for (int i = 0; i < HW; i++) y[i] = x[i] * scale + shift;
    }
}

// With xhat = (x - mean) invstd and N = B*HW values per channel:
//   dbeta += sum dy;  dgamma += sum dy xhat;
//   dx = gamma invstd (dy - sum(dy)/N - xhat sum(dy xhat)/N)
//      = gamma invstd (dy - sum(dy)/N - (x - mean) invstd^2 sum(dy (x - mean))/N).
void ws_cpu_batchnorm_backward(ws_ctx *ctx, float *din, float *dgamma, float *dbeta, const float *dout,
                               const float *in, const float *save_mean, const float *save_invstd, const float *gamma,
                               int B, int C, int HW) {
    const int64_t N = (int64_t)B * HW;
    int T = N * C < PAR_MIN_ELEMS ? 1 : threads_of(ctx);
    #pragma omp parallel for schedule(static) num_threads(T) if (T > 1)
    for (int c = 0; c < C; c++) {
        const float mean = save_mean[c];
        const double invstd = save_invstd[c];
        double sdy = 0.0, sdyx = 0.0; // sum dy, sum dy (x - mean)
        for (int bi = 0; bi < B; bi++) {
            const float *x = in + ((int64_t)bi * C + c) * HW;
            const float *dy = dout + ((int64_t)bi * C + c) * HW;
            for (int i = 0; i < HW; i++) {
                sdy += dy[i];
                sdyx += (double)dy[i] * ((double)x[i] - mean);
            }
        }
        if (dbeta) dbeta[c] += (float)sdy;
        if (dgamma) dgamma[c] += (float)(sdyx * invstd);
        if (!din || N == 0) continue;
        double g = gamma ? gamma[c] : 1.0;
        float k = (float)(g * invstd), gm = (float)(sdy / (double)N),
              proj = (float)(sdyx * invstd * invstd / (double)N);
        for (int bi = 0; bi < B; bi++) {
            const float *x = in + ((int64_t)bi * C + c) * HW;
            const float *dy = dout + ((int64_t)bi * C + c) * HW;
            float *dx = din + ((int64_t)bi * C + c) * HW;
            for (int i = 0; i < HW; i++) dx[i] = (dy[i] - gm - (x[i] - mean) * proj) * k;
        }
    }
}

// ---- global average pooling, residual add ---------------------------------------

void ws_cpu_avgpool_forward(ws_ctx *ctx, float *out, const float *in, int B, int C, int HW) {
    const int64_t planes = (int64_t)B * C;
    int T = planes * HW < PAR_MIN_ELEMS ? 1 : threads_of(ctx);
    #pragma omp parallel for schedule(static) num_threads(T) if (T > 1)
    for (int64_t bc = 0; bc < planes; bc++) {
        const float *x = in + bc * HW;
        double sum = 0.0;
        for (int i = 0; i < HW; i++) sum += x[i];
        out[bc] = (float)(sum / HW);
    }
}

void ws_cpu_avgpool_backward(ws_ctx *ctx, float *din, const float *dout, int B, int C, int HW) {
    const int64_t planes = (int64_t)B * C;
    int T = planes * HW < PAR_MIN_ELEMS ? 1 : threads_of(ctx);
    #pragma omp parallel for schedule(static) num_threads(T) if (T > 1)
    for (int64_t bc = 0; bc < planes; bc++) {
        float v = (float)((double)dout[bc] / HW);
        float *d = din + bc * HW;
        for (int i = 0; i < HW; i++) d[i] = v;
    }
}

void ws_cpu_add_forward(ws_ctx *ctx, float *out, const float *a, const float *b, int64_t n) {
    int T = n < PAR_MIN_ELEMS ? 1 : threads_of(ctx);
    #pragma omp parallel for simd schedule(static) num_threads(T) if (parallel : T > 1)
    for (int64_t i = 0; i < n; i++) out[i] = a[i] + b[i];
}

// ---- fused BatchNorm (+ residual) (+ ReLU): the reference composes the plain ops ----

static void add_relu(ws_ctx *ctx, float *out, const float *res, int64_t n, int relu) {
    if (res) ws_cpu_add_forward(ctx, out, out, res, n);
    if (!relu) return;
    int T = n < PAR_MIN_ELEMS ? 1 : threads_of(ctx);
    #pragma omp parallel for simd schedule(static) num_threads(T) if (parallel : T > 1)
    for (int64_t i = 0; i < n; i++) out[i] = out[i] > 0.0f ? out[i] : 0.0f;
}

void ws_cpu_bn_act_forward_train(ws_ctx *ctx, float *out, float *save_mean, float *save_invstd, float *running_mean,
                                 float *running_var, const float *z, const float *res, const float *gamma,
                                 const float *beta, int B, int C, int HW, float momentum, float eps, int relu) {
    ws_cpu_batchnorm_forward_train(ctx, out, save_mean, save_invstd, running_mean, running_var, z, gamma, beta, B, C,
                                   HW, momentum, eps);
    add_relu(ctx, out, res, (int64_t)B * C * HW, relu);
}

void ws_cpu_bn_act_forward_eval(ws_ctx *ctx, float *out, const float *z, const float *res, const float *gamma,
                                const float *beta, const float *running_mean, const float *running_var, int B, int C,
                                int HW, float eps, int relu) {
    ws_cpu_batchnorm_forward_eval(ctx, out, z, gamma, beta, running_mean, running_var, B, C, HW, eps);
    add_relu(ctx, out, res, (int64_t)B * C * HW, relu);
}

void ws_cpu_bn_act_backward(ws_ctx *ctx, float *dz, float *dres, float *dgamma, float *dbeta, const float *dout,
                            const float *out, const float *z, const float *save_mean, const float *save_invstd,
                            const float *gamma, int B, int C, int HW, int relu) {
    const int64_t n = (int64_t)B * C * HW;
    // dy goes to dres when wanted, else to dz; the BN backward may run in place
    // (it reads each dy before writing that element of dz).
    float *dy = dres ? dres : dz;
    if (relu) {
        int T = n < PAR_MIN_ELEMS ? 1 : threads_of(ctx);
        #pragma omp parallel for simd schedule(static) num_threads(T) if (parallel : T > 1)
        for (int64_t i = 0; i < n; i++) dy[i] = out[i] > 0.0f ? dout[i] : 0.0f;
    } else if (dy != dout) {
        memcpy(dy, dout, sizeof(float) * (size_t)n);
    }
    ws_cpu_batchnorm_backward(ctx, dz, dgamma, dbeta, dy, z, save_mean, save_invstd, gamma, B, C, HW);
}

void ws_cpu_act_copy(ws_ctx *ctx, float *dst, const float *src, int B, int C, int HW) {
    (void)ctx;
    if (dst != src) memcpy(dst, src, sizeof(float) * (size_t)B * (size_t)C * (size_t)HW);
}

// ---- max pooling, 2x2 windows, stride 2 (torch.nn.MaxPool2d(2, 2)) ----
//
// PyTorch's rule: scan the window row by row, a value wins if it is greater than
// the best so far or NaN (so a NaN wins, the last NaN of the window); ties keep
// the first maximum. The backward rescans the input with the same rule, so it
// needs no saved indices. Odd rows and columns at the edge are dropped (floor).

// Offset within the plane of the window (oh, ow)'s winner.
static int64_t maxpool_winner(const float *plane, int W, int oh, int ow) {
    int64_t best = (int64_t)2 * oh * W + 2 * ow;
    float mx = -INFINITY;
    for (int kh = 0; kh < 2; kh++)
        for (int kw = 0; kw < 2; kw++) {
            const int64_t at = (int64_t)(2 * oh + kh) * W + 2 * ow + kw;
            const float v = plane[at];
            if (v > mx || isnan(v)) mx = v, best = at;
        }
    return best;
}

void ws_cpu_maxpool2_forward(ws_ctx *ctx, float *out, const float *in, int B, int C, int H, int W) {
    const int OH = H / 2, OW = W / 2;
    const int64_t planes = (int64_t)B * C;
    int T = planes * H * W < PAR_MIN_ELEMS ? 1 : threads_of(ctx);
    #pragma omp parallel for schedule(static) num_threads(T) if (parallel : T > 1)
    for (int64_t p = 0; p < planes; p++) {
        const float *x = in + p * H * W;
        float *y = out + p * OH * OW;
        for (int oh = 0; oh < OH; oh++)
            for (int ow = 0; ow < OW; ow++) y[oh * OW + ow] = x[maxpool_winner(x, W, oh, ow)];
    }
}

void ws_cpu_maxpool2_backward(ws_ctx *ctx, float *din, const float *dout, const float *in, int B, int C, int H, int W) {
    const int OH = H / 2, OW = W / 2;
    const int64_t planes = (int64_t)B * C;
    int T = planes * H * W < PAR_MIN_ELEMS ? 1 : threads_of(ctx);
    #pragma omp parallel for schedule(static) num_threads(T) if (parallel : T > 1)
    for (int64_t p = 0; p < planes; p++) {
        const float *x = in + p * H * W, *dy = dout + p * OH * OW;
        float *dx = din + p * H * W;
        memset(dx, 0, sizeof(float) * (size_t)H * (size_t)W);
        for (int oh = 0; oh < OH; oh++)
            for (int ow = 0; ow < OW; ow++) dx[maxpool_winner(x, W, oh, ow)] += dy[oh * OW + ow];
    }
}
