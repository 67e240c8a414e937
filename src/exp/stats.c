#include "exp/stats.h"

#include <math.h>

#define MAX_SEEDS 256

double ws_t975(int df) {
    static const double t[] = {0,      12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
                               2.201,  2.179,  2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080,
                               2.074,  2.069,  2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042};
    if (df < 1) return NAN;
    if (df <= 30) return t[df];
    // Beyond the table: the Cornish-Fisher expansion around z = 1.959964.
    double z = 1.959964, d = df;
    return z + (z * z * z + z) / (4 * d) + (5 * pow(z, 5) + 16 * z * z * z + 3 * z) / (96 * d * d);
}

ws_summary ws_summarize(const double *x, int n) {
    ws_summary s = {n, NAN, 0, NAN};
    if (n < 1) return s;
    double sum = 0;
    for (int i = 0; i < n; i++) sum += x[i];
    s.mean = sum / n;
    if (n < 2) return s;
    double ss = 0;
    for (int i = 0; i < n; i++) ss += (x[i] - s.mean) * (x[i] - s.mean);
    s.sd = sqrt(ss / (n - 1));
    s.ci95 = ws_t975(n - 1) * s.sd / sqrt((double)n);
    return s;
}

ws_verdict ws_verdict_paired(const double *d, int n, double margin, ws_summary *s) {
    double x[MAX_SEEDS];
    if (n < 1) return WS_VERDICT_NO_DATA;
    if (n > MAX_SEEDS) n = MAX_SEEDS;
    for (int i = 0; i < n; i++) x[i] = d[i] + margin;
    *s = ws_summarize(d, n);
    ws_summary m = ws_summarize(x, n);
    if (n < 2 || !isfinite(m.ci95)) return WS_VERDICT_NOT_SHOWN;
    if (m.mean - m.ci95 > 0) return WS_VERDICT_HOLDS;
    if (m.mean + m.ci95 < 0) return WS_VERDICT_OPPOSITE;
    return WS_VERDICT_NOT_SHOWN;
}

ws_verdict ws_verdict_sized(ws_verdict v, int n, double half, double size) {
    if (v != WS_VERDICT_NOT_SHOWN) return v;
    if (n < 2 || !isfinite(half)) return WS_VERDICT_UNDECIDED; // no interval: nothing could be shown
    if (!isfinite(size) || size <= 0) return v;                // nothing to size the interval by
    return half >= size ? WS_VERDICT_UNDECIDED : WS_VERDICT_NOT_SHOWN;
}

int ws_seeds_to_decide(double sd, double size, int cap) {
    if (!isfinite(sd) || !isfinite(size) || size <= 0 || sd < 0) return -1;
    // The half-width t(n-1) sd / sqrt(n) falls with n (t falls too), so the first n that is
    // enough is the answer; a linear scan to cap is exact and cheap (cap is small).
    for (int n = 2; n <= cap; n++)
        if (ws_t975(n - 1) * sd / sqrt((double)n) < size) return n;
    return cap + 1;
}
