#define _DEFAULT_SOURCE
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "suites.h"

const char *test_tmpdir(void) {
    static char dir[256];
    if (!dir[0]) {
        snprintf(dir, sizeof dir, "/tmp/warmstart-test-XXXXXX");
        if (!mkdtemp(dir)) abort();
    }
    return dir;
}

static char *next_path(const char *name) {
    static char paths[8][512];
    static int k;
    char *p = paths[k++ % 8];
    snprintf(p, 512, "%s/%s", test_tmpdir(), name);
    return p;
}

const char *test_write_file(const char *name, const void *data, size_t n) {
    char *p = next_path(name);
    FILE *f = fopen(p, "wb");
    if (!f || fwrite(data, 1, n, f) != n || fclose(f)) abort();
    return p;
}

const char *test_write_gz(const char *name, const void *data, size_t n) {
    char *p = next_path(name);
    gzFile f = gzopen(p, "wb");
    if (!f || gzwrite(f, data, (unsigned)n) != (int)n || gzclose(f) != Z_OK) abort();
    return p;
}

double fd_error(float *x, const float *analytic, int64_t n, objective f, void *user, float h) {
    double maxdiff = 0, maxref = 1e-12;
    for (int64_t i = 0; i < n; i++) {
        float keep = x[i];
        x[i] = keep + h;
        double up = f(user);
        x[i] = keep - h;
        double down = f(user);
        x[i] = keep;
        double num = (up - down) / (2.0 * (double)h);
        maxdiff = fmax(maxdiff, fabs(num - analytic[i]));
        maxref = fmax(maxref, fabs(num));
    }
    return maxdiff / maxref;
}

void test_logreg_residual(const float *W, const float *b, const double *x, int D, int K, int label, double *g) {
    double mx = -1e300, s = 0;
    for (int k = 0; k < K; k++) {
        g[k] = b[k];
        for (int j = 0; j < D; j++) g[k] += W[k * D + j] * x[j];
        if (g[k] > mx) mx = g[k];
    }
    for (int k = 0; k < K; k++) s += exp(g[k] - mx);
    for (int k = 0; k < K; k++) g[k] = exp(g[k] - mx) / s - (k == label);
}

ws_dataset test_toy_dataset(int n, uint8_t *xs, int32_t *ys, int32_t *idx) {
    ws_rng r = ws_rng_stream(1, "toy", 0);
    for (int i = 0; i < n; i++) {
        ys[i] = i % 3;
        idx[i] = i;
        for (int k = 0; k < 8; k++) xs[i * 8 + k] = (uint8_t)(ws_rng_below(&r, 100) + (k % 3 == ys[i] ? 120 : 0));
    }
    ws_dataset d = {.n = n, .c = 1, .h = 2, .w = 4, .num_classes = 3, .x = xs, .y = ys};
    return d;
}
