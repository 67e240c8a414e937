#define _POSIX_C_SOURCE 200809L
#include "data/dataset.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

void ws_dataset_free(ws_dataset *d) {
    ws_free(d->x);
    ws_free(d->y);
    memset(d, 0, sizeof *d);
}

void ws_source_free(ws_source *src) {
    ws_dataset_free(&src->train);
    ws_dataset_free(&src->test);
}

static int file_exists(const char *p) {
    struct stat st;
    return stat(p, &st) == 0;
}

// Find "<dir>/<base>" or "<dir>/<base>.gz"; returns 0 if neither exists.
static int find_idx(char *out, size_t cap, const char *dir, const char *base) {
    snprintf(out, cap, "%s/%s.gz", dir, base);
    if (file_exists(out)) return 1;
    snprintf(out, cap, "%s/%s", dir, base);
    return file_exists(out);
}

static const char *const FASHION_CLASSES[10] = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                                "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};

ws_status ws_source_load(ws_ctx *ctx, ws_source *src, const char *spec) {
    memset(src, 0, sizeof *src);
    const char *colon = strchr(spec, ':');
    size_t nlen = colon ? (size_t)(colon - spec) : strlen(spec);
    if (nlen == 0 || nlen >= sizeof src->name) return ws_fail(ctx, WS_ERR_ARG, "--data '%s': missing dataset name", spec);
    memcpy(src->name, spec, nlen);
    src->name[nlen] = 0;
    int fashion = !strcmp(src->name, "fashion-mnist"), mnist = !strcmp(src->name, "mnist");
    if (!fashion && !mnist)
        return ws_fail(ctx, WS_ERR_ARG, "--data '%s': unknown dataset '%s' (this version reads fashion-mnist and mnist)",
                       spec, src->name);
    const char *env = getenv("WARMSTART_DATA");
    if (colon && colon[1]) snprintf(src->root, sizeof src->root, "%s", colon + 1);
    else if (env && *env) snprintf(src->root, sizeof src->root, "%s/%s", env, src->name);
    else if (fashion) snprintf(src->root, sizeof src->root, "/usr/share/datasets/fashion-mnist");
    else return ws_fail(ctx, WS_ERR_ARG, "--data mnist needs a folder: --data mnist:DIR (or set $WARMSTART_DATA)");

    static const char *const files[4] = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                                          "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"};
    char paths[4][1200];
    for (int i = 0; i < 4; i++) {
        if (!find_idx(paths[i], sizeof paths[i], src->root, files[i]))
            return ws_fail(ctx, WS_ERR_IO,
                           "%s: missing %s[.gz] in %s (expected the four IDX files train-images-idx3-ubyte, "
                           "train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte%s)",
                           src->name, files[i], src->root,
                           fashion ? "; on Debian: apt-get install dataset-fashion-mnist" : "");
    }
    ws_status st = ws_idx_load(ctx, &src->train, paths[0], paths[1], 10);
    if (!st) st = ws_idx_load(ctx, &src->test, paths[2], paths[3], 10);
    if (!st && (src->train.h != src->test.h || src->train.w != src->test.w))
        st = ws_fail(ctx, WS_ERR_FORMAT, "%s: training images are %dx%d but test images are %dx%d", src->root,
                     src->train.h, src->train.w, src->test.h, src->test.w);
    if (st) {
        ws_source_free(src);
        return st;
    }
    for (int c = 0; c < 10; c++) {
        if (fashion) snprintf(src->class_names[c], sizeof src->class_names[c], "%s", FASHION_CLASSES[c]);
        else snprintf(src->class_names[c], sizeof src->class_names[c], "%d", c);
    }
    return WS_OK;
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

void ws_gather(float *x, int32_t *y, const ws_dataset *d, const ws_norm *norm, const int32_t *idx, int B) {
    // (x/255 - mean) / std for every byte value, per channel, computed as the
    // same float expression PyTorch's Normalize applies after ToTensor.
    float lut[WS_MAX_CHANNELS][256];
    for (int c = 0; c < d->c; c++)
        for (int v = 0; v < 256; v++) lut[c][v] = ((float)v / 255.0f - norm->mean[c]) / norm->std[c];
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
