// nChw16c kernels of the oneDNN backend: fused BatchNorm (+ residual add)
// (+ ReLU), its backward, global average pooling, layout conversion.
//
// Each kernel is a driver that splits images across threads and a per-image
// worker over one 16-channel block (HW positions x 16 lanes, contiguous). The
// workers are compiled twice (target_clones: AVX-512 and baseline x86-64) and
// picked at load time; their 16-lane inner loops vectorise to one zmm register.
// Statistics are accumulated in double, as the reference backend does, and the
// training forward uses per-image two-pass moments merged in image order
// (Chan et al.), so no large mean cancels and the result does not depend on
// how images were shared among threads.
#include "ops/blocked.h"

#include <math.h>
#include <omp.h>
#include <string.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "core/ctx.h"
#include "ops/cpu_threads.h"

#define KERNEL __attribute__((target_clones("avx512f", "default")))
// Below this many elements a pass stays on one thread.
#define PAR_MIN_ELEMS (16 * 1024)

static int threads_for(ws_ctx *ctx, int64_t n) { return n < PAR_MIN_ELEMS ? 1 : threads_of(ctx); }

static inline int64_t blk_off(int b, int cb, int CB, int HW) { return ((int64_t)b * CB + cb) * HW * WS_BLK; }

// ---- per-image workers (x: one image's block, HW x 16) ------------------------------------------

// Lane means and sums of squared deviations from them.
KERNEL static void image_moments_generic(double *mean, double *m2, const float *x, int HW) {
    double s[WS_BLK] = {0}, q[WS_BLK] = {0}, mu[WS_BLK];
    for (int i = 0; i < HW; i++)
        for (int l = 0; l < WS_BLK; l++) s[l] += x[i * WS_BLK + l];
    for (int l = 0; l < WS_BLK; l++) mu[l] = s[l] / HW;
    for (int i = 0; i < HW; i++)
        for (int l = 0; l < WS_BLK; l++) {
            double d = (double)x[i * WS_BLK + l] - mu[l];
            q[l] += d * d;
        }
    for (int l = 0; l < WS_BLK; l++) mean[l] = mu[l], m2[l] = q[l];
}

// y = act(x * scale + shift + res); res may be NULL; y may alias x.
KERNEL static void image_affine(float *y, const float *x, const float *res, const float *scale, const float *shift,
                                int HW, int relu) {
    const int64_t n = (int64_t)HW * WS_BLK;
    if (res && relu) {
        for (int64_t i = 0; i < n; i += WS_BLK)
            for (int l = 0; l < WS_BLK; l++) {
                float v = x[i + l] * scale[l] + shift[l] + res[i + l];
                y[i + l] = v > 0.0f ? v : 0.0f;
            }
    } else if (res) {
        for (int64_t i = 0; i < n; i += WS_BLK)
            for (int l = 0; l < WS_BLK; l++) y[i + l] = x[i + l] * scale[l] + shift[l] + res[i + l];
    } else if (relu) {
        for (int64_t i = 0; i < n; i += WS_BLK)
            for (int l = 0; l < WS_BLK; l++) {
                float v = x[i + l] * scale[l] + shift[l];
                y[i + l] = v > 0.0f ? v : 0.0f;
            }
    } else {
        for (int64_t i = 0; i < n; i += WS_BLK)
            for (int l = 0; l < WS_BLK; l++) y[i + l] = x[i + l] * scale[l] + shift[l];
    }
}

// dy = out ? dout * (out > 0) : dout (stored to dres when given); lane sums
// of dy and of dy * (z - mean). The variants are separate loops: a condition
// inside the 16-lane loop would keep it from vectorising.
#define DSUMS_LOOP(DY, STORE)                                                                                          \
    for (int64_t i = 0; i < n; i += WS_BLK)                                                                            \
        for (int l = 0; l < WS_BLK; l++) {                                                                             \
            float dy = DY;                                                                                             \
            STORE;                                                                                                     \
            a[l] += dy;                                                                                                \
            c[l] += (double)dy * ((double)z[i + l] - mean[l]);                                                         \
        }
KERNEL static void image_dsums_generic(double *sdy, double *sdyx, float *dres, const float *dout, const float *out,
                                       const float *z, const float *mean, int HW) {
    double a[WS_BLK] = {0}, c[WS_BLK] = {0};
    const int64_t n = (int64_t)HW * WS_BLK;
    if (out && dres) DSUMS_LOOP(out[i + l] > 0.0f ? dout[i + l] : 0.0f, dres[i + l] = dy)
    else if (out) DSUMS_LOOP(out[i + l] > 0.0f ? dout[i + l] : 0.0f, (void)0)
    else if (dres) DSUMS_LOOP(dout[i + l], dres[i + l] = dy)
    else DSUMS_LOOP(dout[i + l], (void)0)
    for (int l = 0; l < WS_BLK; l++) sdy[l] = a[l], sdyx[l] = c[l];
}

#if defined(__x86_64__)
// The low and high 8 lanes of a float vector, widened to double.
__attribute__((target("avx512f"))) static inline __m512d lo_pd(__m512 v) {
    return _mm512_cvtps_pd(_mm512_castps512_ps256(v));
}
__attribute__((target("avx512f"))) static inline __m512d hi_pd(__m512 v) {
    return _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1)));
}

// The same in AVX-512 intrinsics: GCC does not vectorise the generic loops'
// float -> double sums (measured: a quarter of a ResNet step went there).
__attribute__((target("avx512f"))) static void image_dsums_avx512(double *sdy, double *sdyx, float *dres,
                                                                  const float *dout, const float *out, const float *z,
                                                                  const float *mean, int HW) {
    __m512d a0 = _mm512_setzero_pd(), a1 = a0, c0 = a0, c1 = a0;
    const __m512 m = _mm512_loadu_ps(mean), zero = _mm512_setzero_ps();
    const __m512d m0 = lo_pd(m), m1 = hi_pd(m);
    const int64_t n = (int64_t)HW * WS_BLK;
    for (int64_t i = 0; i < n; i += WS_BLK) {
        __m512 d = _mm512_loadu_ps(dout + i);
        if (out) d = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(_mm512_loadu_ps(out + i), zero, _CMP_GT_OQ), d);
        if (dres) _mm512_storeu_ps(dres + i, d);
        __m512 x = _mm512_loadu_ps(z + i);
        __m512d d0 = lo_pd(d), d1 = hi_pd(d), x0 = _mm512_sub_pd(lo_pd(x), m0), x1 = _mm512_sub_pd(hi_pd(x), m1);
        a0 = _mm512_add_pd(a0, d0);
        a1 = _mm512_add_pd(a1, d1);
        c0 = _mm512_fmadd_pd(d0, x0, c0);
        c1 = _mm512_fmadd_pd(d1, x1, c1);
    }
    _mm512_storeu_pd(sdy, a0);
    _mm512_storeu_pd(sdy + 8, a1);
    _mm512_storeu_pd(sdyx, c0);
    _mm512_storeu_pd(sdyx + 8, c1);
}

// Lane means and sums of squared deviations (image_moments), in AVX-512.
__attribute__((target("avx512f"))) static void image_moments_avx512(double *mean, double *m2, const float *x, int HW) {
    __m512d s0 = _mm512_setzero_pd(), s1 = s0, q0 = s0, q1 = s0;
    for (int i = 0; i < HW; i++) {
        __m512 v = _mm512_loadu_ps(x + (int64_t)i * WS_BLK);
        s0 = _mm512_add_pd(s0, lo_pd(v));
        s1 = _mm512_add_pd(s1, hi_pd(v));
    }
    const __m512d inv = _mm512_set1_pd(1.0 / HW), mu0 = _mm512_mul_pd(s0, inv), mu1 = _mm512_mul_pd(s1, inv);
    for (int i = 0; i < HW; i++) {
        __m512 v = _mm512_loadu_ps(x + (int64_t)i * WS_BLK);
        __m512d d0 = _mm512_sub_pd(lo_pd(v), mu0), d1 = _mm512_sub_pd(hi_pd(v), mu1);
        q0 = _mm512_fmadd_pd(d0, d0, q0);
        q1 = _mm512_fmadd_pd(d1, d1, q1);
    }
    _mm512_storeu_pd(mean, mu0);
    _mm512_storeu_pd(mean + 8, mu1);
    _mm512_storeu_pd(m2, q0);
    _mm512_storeu_pd(m2 + 8, q1);
}
#endif

static void image_dsums(double *sdy, double *sdyx, float *dres, const float *dout, const float *out, const float *z,
                        const float *mean, int HW) {
#if defined(__x86_64__)
    if (__builtin_cpu_supports("avx512f")) {
        image_dsums_avx512(sdy, sdyx, dres, dout, out, z, mean, HW);
        return;
    }
#endif
    image_dsums_generic(sdy, sdyx, dres, dout, out, z, mean, HW);
}

static void image_moments(double *mean, double *m2, const float *x, int HW) {
#if defined(__x86_64__)
    if (__builtin_cpu_supports("avx512f")) {
        image_moments_avx512(mean, m2, x, HW);
        return;
    }
#endif
    image_moments_generic(mean, m2, x, HW);
}

// dz = (dy - gm - (z - mean) * proj) * k, dy as in image_dsums.
KERNEL static void image_dz(float *dz, const float *dout, const float *out, const float *z, const float *mean,
                            const float *gm, const float *proj, const float *k, int HW) {
    const int64_t n = (int64_t)HW * WS_BLK;
    if (out) {
        for (int64_t i = 0; i < n; i += WS_BLK)
            for (int l = 0; l < WS_BLK; l++) {
                float dy = out[i + l] > 0.0f ? dout[i + l] : 0.0f;
                dz[i + l] = (dy - gm[l] - (z[i + l] - mean[l]) * proj[l]) * k[l];
            }
    } else {
        for (int64_t i = 0; i < n; i += WS_BLK)
            for (int l = 0; l < WS_BLK; l++) dz[i + l] = (dout[i + l] - gm[l] - (z[i + l] - mean[l]) * proj[l]) * k[l];
    }
}

KERNEL static void image_mean(float *out, const float *x, int HW) {
    double s[WS_BLK] = {0};
    for (int i = 0; i < HW; i++)
        for (int l = 0; l < WS_BLK; l++) s[l] += x[i * WS_BLK + l];
    for (int l = 0; l < WS_BLK; l++) out[l] = (float)(s[l] / HW);
}

// ---- BatchNorm ----------------------------------------------------------------------------------

void ws_blk_bn_act_forward_train(ws_ctx *ctx, double *partials, float *out, float *save_mean, float *save_invstd,
                                 float *running_mean, float *running_var, const float *z, const float *res,
                                 const float *gamma, const float *beta, int B, int C, int HW, float momentum,
                                 float eps, int relu) {
    const int CB = C / WS_BLK;
    double *pm = partials, *pq = partials + (int64_t)B * C;
    int T = threads_for(ctx, (int64_t)B * C * HW);
    #pragma omp parallel for schedule(static) num_threads(T) if (T > 1)
    for (int b = 0; b < B; b++)
        for (int cb = 0; cb < CB; cb++)
            image_moments(pm + (int64_t)b * C + cb * WS_BLK, pq + (int64_t)b * C + cb * WS_BLK,
                          z + blk_off(b, cb, CB, HW), HW);
    float scale[C], shift[C];
    for (int c = 0; c < C; c++) {
        // Merge the images' (count, mean, M2) in order.
        double n = 0.0, mean = 0.0, m2 = 0.0;
        for (int b = 0; b < B; b++) {
            double mb = pm[(int64_t)b * C + c], nb = HW, d = mb - mean, nn = n + nb;
            mean += d * nb / nn;
            m2 += pq[(int64_t)b * C + c] + d * d * n * nb / nn;
            n = nn;
        }
        double var = n > 0 ? m2 / n : 0.0, invstd = 1.0 / sqrt(var + (double)eps);
        if (save_mean) save_mean[c] = (float)mean;
        if (save_invstd) save_invstd[c] = (float)invstd;
        if (running_mean) running_mean[c] = (float)((1.0 - momentum) * running_mean[c] + (double)momentum * mean);
        if (running_var) {
            double unbiased = n > 1 ? m2 / (n - 1) : var;
            running_var[c] = (float)((1.0 - momentum) * running_var[c] + (double)momentum * unbiased);
        }
        double g = gamma ? gamma[c] : 1.0;
        scale[c] = (float)(g * invstd);
        shift[c] = (float)((beta ? beta[c] : 0.0) - mean * g * invstd);
    }
    #pragma omp parallel for schedule(static) num_threads(T) if (T > 1)
    for (int b = 0; b < B; b++)
        for (int cb = 0; cb < CB; cb++) {
            int64_t o = blk_off(b, cb, CB, HW);
            image_affine(out + o, z + o, res ? res + o : NULL, scale + cb * WS_BLK, shift + cb * WS_BLK, HW, relu);
        }
}

void ws_blk_bn_act_forward_eval(ws_ctx *ctx, float *out, const float *z, const float *res, const float *gamma,
                                const float *beta, const float *running_mean, const float *running_var, int B, int C,
                                int HW, float eps, int relu) {
    const int CB = C / WS_BLK;
    float scale[C], shift[C];
    for (int c = 0; c < C; c++) {
        double g = gamma ? gamma[c] : 1.0, k = g / sqrt((double)running_var[c] + (double)eps);
        scale[c] = (float)k;
        shift[c] = (float)((beta ? beta[c] : 0.0) - (double)running_mean[c] * k);
    }
    int T = threads_for(ctx, (int64_t)B * C * HW);
    #pragma omp parallel for schedule(static) num_threads(T) if (T > 1)
    for (int b = 0; b < B; b++)
        for (int cb = 0; cb < CB; cb++) {
            int64_t o = blk_off(b, cb, CB, HW);
            image_affine(out + o, z + o, res ? res + o : NULL, scale + cb * WS_BLK, shift + cb * WS_BLK, HW, relu);
        }
}

void ws_blk_bn_act_backward(ws_ctx *ctx, double *partials, float *dz, float *dres, float *dgamma, float *dbeta,
                            const float *dout, const float *out, const float *z, const float *save_mean,
                            const float *save_invstd, const float *gamma, int B, int C, int HW, int relu) {
    const int CB = C / WS_BLK;
    const int64_t N = (int64_t)B * HW;
    const float *mask = relu ? out : NULL;
    double *psdy = partials, *psdyx = partials + (int64_t)B * C;
    int T = threads_for(ctx, (int64_t)B * C * HW);
    #pragma omp parallel for schedule(static) num_threads(T) if (T > 1)
    for (int b = 0; b < B; b++)
        for (int cb = 0; cb < CB; cb++) {
            int64_t o = blk_off(b, cb, CB, HW);
            image_dsums(psdy + (int64_t)b * C + cb * WS_BLK, psdyx + (int64_t)b * C + cb * WS_BLK,
                        dres ? dres + o : NULL, dout + o, mask ? mask + o : NULL, z + o, save_mean + cb * WS_BLK, HW);
        }
    float k[C], gm[C], proj[C];
    for (int c = 0; c < C; c++) {
        double sdy = 0.0, sdyx = 0.0;
        for (int b = 0; b < B; b++) {
            sdy += psdy[(int64_t)b * C + c];
            sdyx += psdyx[(int64_t)b * C + c];
        }
        double invstd = save_invstd[c];
        if (dbeta) dbeta[c] += (float)sdy;
        if (dgamma) dgamma[c] += (float)(sdyx * invstd);
        double g = gamma ? gamma[c] : 1.0;
        k[c] = (float)(g * invstd);
        gm[c] = N > 0 ? (float)(sdy / (double)N) : 0.0f;
        proj[c] = N > 0 ? (float)(sdyx * invstd * invstd / (double)N) : 0.0f;
    }
    if (!dz) return;
    #pragma omp parallel for schedule(static) num_threads(T) if (T > 1)
    for (int b = 0; b < B; b++)
        for (int cb = 0; cb < CB; cb++) {
            int64_t o = blk_off(b, cb, CB, HW);
            // With dres written, dy is read back from it rather than re-masked.
            const float *dy = dres ? dres + o : dout + o, *m = dres ? NULL : (mask ? mask + o : NULL);
            image_dz(dz + o, dy, m, z + o, save_mean + cb * WS_BLK, gm + cb * WS_BLK, proj + cb * WS_BLK,
                     k + cb * WS_BLK, HW);
        }
}

// ---- pooling, layout ----------------------------------------------------------------------------

void ws_blk_avgpool_forward(ws_ctx *ctx, float *out, const float *in, int B, int C, int HW) {
    const int CB = C / WS_BLK;
    int T = threads_for(ctx, (int64_t)B * C * HW);
    #pragma omp parallel for schedule(static) num_threads(T) if (T > 1)
    for (int b = 0; b < B; b++)
        for (int cb = 0; cb < CB; cb++) image_mean(out + (int64_t)b * C + cb * WS_BLK, in + blk_off(b, cb, CB, HW), HW);
}

void ws_blk_avgpool_backward(ws_ctx *ctx, float *din, const float *dout, int B, int C, int HW) {
    const int CB = C / WS_BLK;
    int T = threads_for(ctx, (int64_t)B * C * HW);
    #pragma omp parallel for schedule(static) num_threads(T) if (T > 1)
    for (int b = 0; b < B; b++)
        for (int cb = 0; cb < CB; cb++) {
            float v[WS_BLK];
            for (int l = 0; l < WS_BLK; l++) v[l] = (float)((double)dout[(int64_t)b * C + cb * WS_BLK + l] / HW);
            float *d = din + blk_off(b, cb, CB, HW);
            for (int i = 0; i < HW; i++) memcpy(d + (int64_t)i * WS_BLK, v, sizeof v);
        }
}

void ws_blk_to_nchw(ws_ctx *ctx, float *dst, const float *src, int B, int C, int HW) {
    const int CB = C / WS_BLK;
    int T = threads_for(ctx, (int64_t)B * C * HW);
    #pragma omp parallel for schedule(static) num_threads(T) if (T > 1)
    for (int b = 0; b < B; b++)
        for (int c = 0; c < C; c++)
            for (int i = 0; i < HW; i++)
                dst[((int64_t)b * C + c) * HW + i] = src[blk_off(b, c / WS_BLK, CB, HW) + (int64_t)i * WS_BLK + c % WS_BLK];
}

void ws_blk_from_nchw(ws_ctx *ctx, float *dst, const float *src, int B, int C, int HW) {
    const int CB = C / WS_BLK;
    int T = threads_for(ctx, (int64_t)B * C * HW);
    #pragma omp parallel for schedule(static) num_threads(T) if (T > 1)
    for (int b = 0; b < B; b++)
        for (int c = 0; c < C; c++)
            for (int i = 0; i < HW; i++)
                dst[blk_off(b, c / WS_BLK, CB, HW) + (int64_t)i * WS_BLK + c % WS_BLK] = src[((int64_t)b * C + c) * HW + i];
}
