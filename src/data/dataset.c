#define _POSIX_C_SOURCE 200809L
#include "data/dataset.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ws_dataset_free(ws_dataset *d) {
    ws_free(d->x);
    ws_free(d->y);
    memset(d, 0, sizeof *d);
}

void ws_norm_from_data(ws_norm *norm, const ws_dataset *d, const int32_t *idx, int64_t n) {
    if (!idx) n = d->n;
    int64_t plane = (int64_t)d->h * d->w;
    norm->channels = d->c;
    for (int c = 0; c < d->c && c < WS_MAX_CHANNELS; c++) {
        // Exact integer sums: no rounding, independent of the thread count.
        uint64_t s = 0, s2 = 0;
        for (int64_t i = 0; i < n; i++) {
            const uint8_t *p = d->x + ((idx ? idx[i] : i) * d->c + c) * plane;
            for (int64_t k = 0; k < plane; k++) {
                s += p[k];
                s2 += (uint64_t)p[k] * p[k];
            }
        }
        double cnt = (double)n * (double)plane;
        double mean = (double)s / cnt, var = (double)s2 / cnt - mean * mean;
        norm->mean[c] = (float)(mean / 255.0);
        norm->std[c] = (float)(sqrt(var > 0 ? var : 1.0) / 255.0);
    }
}

void ws_norm_paper(ws_norm *norm, int channels) {
    norm->channels = channels;
    for (int c = 0; c < WS_MAX_CHANNELS; c++) {
        norm->mean[c] = 0.5f;
        norm->std[c] = 0.5f;
    }
}

// (x/255 - mean) / std for every byte value, per channel, computed as the
// same float expression PyTorch's Normalize applies after ToTensor.
static void make_lut(float lut[WS_MAX_CHANNELS][256], const ws_dataset *d, const ws_norm *norm) {
    for (int c = 0; c < d->c; c++)
        for (int v = 0; v < 256; v++) lut[c][v] = ((float)v / 255.0f - norm->mean[c]) / norm->std[c];
}

void ws_gather_augmented(float *x, int32_t *y, const ws_dataset *d, const ws_norm *norm, const int32_t *idx, int B,
                         const ws_augment *aug, ws_rng *rng) {
    if (!ws_augment_on(aug)) {
        ws_gather(x, y, d, norm, idx, B);
        return;
    }
    float lut[WS_MAX_CHANNELS][256];
    make_lut(lut, d, norm);
    int8_t *dy = ws_sys_malloc((size_t)B * 3), *dx = dy + B, *fl = dy + 2 * B;
    if (!dy) { // out of memory: no augmentation rather than no batch
        ws_gather(x, y, d, norm, idx, B);
        return;
    }
    for (int b = 0; b < B; b++) { // serial, in example order: reproducible
        dy[b] = aug->pad > 0 ? (int8_t)((int)ws_rng_below(rng, (uint32_t)(2 * aug->pad + 1)) - aug->pad) : 0;
        dx[b] = aug->pad > 0 ? (int8_t)((int)ws_rng_below(rng, (uint32_t)(2 * aug->pad + 1)) - aug->pad) : 0;
        fl[b] = aug->flip ? (int8_t)ws_rng_below(rng, 2) : 0;
    }
    const int H = d->h, W = d->w;
    const int64_t plane = (int64_t)H * W, ex = plane * d->c;
    #pragma omp parallel for schedule(static)
    for (int b = 0; b < B; b++) {
        const uint8_t *src = d->x + (int64_t)idx[b] * ex;
        float *dst = x + (int64_t)b * ex;
        for (int c = 0; c < d->c; c++)
            for (int i = 0; i < H; i++)
                for (int j = 0; j < W; j++) {
                    // output (i, j) of the flipped crop is (i, W-1-j) of the crop, which is
                    // (i + dy, j' + dx) of the image (outside: black)
                    int jj = fl[b] ? W - 1 - j : j, si = i + dy[b], sj = jj + dx[b];
                    uint8_t v = si >= 0 && si < H && sj >= 0 && sj < W ? src[c * plane + (int64_t)si * W + sj] : 0;
                    dst[c * plane + (int64_t)i * W + j] = lut[c][v];
                }
        if (y) y[b] = d->y[idx[b]];
    }
    free(dy);
}

void ws_gather(float *x, int32_t *y, const ws_dataset *d, const ws_norm *norm, const int32_t *idx, int B) {
    float lut[WS_MAX_CHANNELS][256];
    make_lut(lut, d, norm);
    const int64_t plane = (int64_t)d->h * d->w, ex = plane * d->c;
    #pragma omp parallel for schedule(static)
    for (int b = 0; b < B; b++) {
        const uint8_t *src = d->x + (int64_t)idx[b] * ex;
        float *dst = x + (int64_t)b * ex;
        for (int c = 0; c < d->c; c++) {
            const float *t = lut[c];
            for (int64_t k = 0; k < plane; k++) dst[c * plane + k] = t[src[c * plane + k]];
        }
        if (y) y[b] = d->y[idx[b]];
    }
}

void ws_normalise_rows(float *rows, const ws_dataset *d, const ws_norm *norm, const int32_t *idx, int64_t n) {
    const int64_t ex = ws_dataset_example_size(d), chunk = 1 << 16;
    for (int64_t s = 0; s < n; s += chunk)
        ws_gather(rows + s * ex, NULL, d, norm, idx + s, (int)(n - s < chunk ? n - s : chunk));
}

void ws_gather_rows(float *x, int32_t *y, const float *rows, const ws_dataset *d, const int32_t *idx,
                    const int32_t *pos, int B) {
    const int64_t ex = ws_dataset_example_size(d);
    #pragma omp parallel for schedule(static)
    for (int b = 0; b < B; b++) {
        memcpy(x + (int64_t)b * ex, rows + (int64_t)pos[b] * ex, sizeof(float) * (size_t)ex);
        if (y) y[b] = d->y[idx[pos[b]]];
    }
}
