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

// ---- Distributions ----

#define EPS 1e-15     // the continued fractions' and series' relative tolerance
#define TINY 1e-300   // Lentz's guard against a zero denominator
#define MAX_TERMS 100000 // a bound, never reached: the series and fractions need about sqrt(a) terms, a = df / 2

// log Gamma(x), x > 0: Lanczos (g = 7, 9 terms, ~1e-15 relative), reflected below 1/2. Our own
// rather than libm's lgamma, which writes the global signgam (a data race between threads).
static double log_gamma(double x) {
    static const double c[] = {0.99999999999980993,  676.5203681218851,     -1259.1392167224028,
                               771.32342877765313,   -176.61502916214059,   12.507343278686905,
                               -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7};
    const double pi = 3.14159265358979323846;
    if (x < 0.5) return log(pi / fabs(sin(pi * x))) - log_gamma(1 - x);
    x -= 1;
    double a = c[0], t = x + 7.5;
    for (int i = 1; i < 9; i++) a += c[i] / (x + i);
    return 0.91893853320467274178 + (x + 0.5) * log(t) - t + log(a); // 0.9189...: log sqrt(2 pi)
}

// The continued fraction of the regularised incomplete beta I_x(a, b) (modified Lentz); it
// converges fast for x < (a + 1) / (a + b + 2), which the caller arranges by symmetry.
static double beta_cf(double a, double b, double x) {
    double c = 1, d = 1 - (a + b) * x / (a + 1);
    d = 1 / (fabs(d) < TINY ? TINY : d);
    double h = d;
    for (int m = 1; m <= MAX_TERMS; m++) {
        for (int odd = 0; odd < 2; odd++) { // the even then the odd coefficient of step m
            double aa = odd ? -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))
                            : m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m));
            d = 1 + aa * d, c = 1 + aa / c;
            d = 1 / (fabs(d) < TINY ? TINY : d);
            c = fabs(c) < TINY ? TINY : c;
            h *= d * c;
            if (odd && fabs(d * c - 1) < EPS) return h;
        }
    }
    return h;
}

// I_x(a, b), given y = 1 - x computed by the caller without cancellation and lbeta = log B(a, b)
// (a root-find asks for the same a and b many times: the log-gammas are computed once).
static double beta_reg(double a, double b, double x, double y, double lbeta) {
    if (x <= 0) return 0;
    if (y <= 0) return 1;
    double front = exp(a * log(x) + b * log(y) - lbeta);
    if (x < (a + 1) / (a + b + 2)) return front * beta_cf(a, b, x) / a;
    return 1 - front * beta_cf(b, a, y) / b;
}

// Student's t with df degrees of freedom and its constant log B(df/2, 1/2).
typedef struct {
    double df, lbeta;
} t_dist;

static t_dist t_dist_of(double df) { return (t_dist){df, log_gamma(df / 2) + log_gamma(0.5) - log_gamma(df / 2 + 0.5)}; }

// P(T > t) for t >= 0: I_x(df/2, 1/2) / 2 at x = df / (df + t^2), computed directly so that
// far tails keep their digits (1 - cdf would lose them).
static double t_upper(const t_dist *d, double t) {
    double t2 = t * t;
    return 0.5 * beta_reg(d->df / 2, 0.5, d->df / (d->df + t2), t2 / (d->df + t2), d->lbeta);
}

static double t_pdf(const t_dist *d, double t) {
    return exp(-(d->df + 1) / 2 * log1p(t * t / d->df) - d->lbeta) / sqrt(d->df);
}

double ws_t_cdf(double t, double df) {
    if (isnan(t) || !(df > 0)) return NAN;
    if (isinf(t)) return t > 0 ? 1 : 0;
    const t_dist d = t_dist_of(df);
    return t < 0 ? t_upper(&d, -t) : 1 - t_upper(&d, t);
}

// The regularised lower and upper incomplete gamma P(a, x) and Q(a, x) = 1 - P, lga = log
// Gamma(a): the series for P below a + 1, the continued fraction for Q above, the other by
// subtraction (it is the larger one there).
static void gamma_pq(double a, double x, double lga, double *p, double *q) {
    if (x <= 0) {
        *p = 0, *q = 1;
        return;
    }
    double front = exp(a * log(x) - x - lga);
    if (x < a + 1) {
        double term = 1 / a, sum = term;
        for (int n = 1; n <= MAX_TERMS && term > sum * EPS; n++) sum += term *= x / (a + n);
        *p = front * sum, *q = 1 - *p;
        return;
    }
    double b = x + 1 - a, c = 1 / TINY, d = 1 / b, h = d; // Lentz, as in beta_cf
    for (int i = 1; i <= MAX_TERMS; i++) {
        double an = -i * (i - a);
        b += 2;
        d = an * d + b, c = b + an / c;
        d = 1 / (fabs(d) < TINY ? TINY : d);
        c = fabs(c) < TINY ? TINY : c;
        h *= d * c;
        if (fabs(d * c - 1) < EPS) break;
    }
    *q = front * h, *p = 1 - *q;
}

// A residual g(x) - target, increasing in x; it also gives the step toward its root that
// Halley's method takes from x (the residual's first and second derivatives are in closed form
// for both distributions, so the cubic convergence costs nothing over Newton's).
typedef double (*residual_fn)(double x, const double *par, double *step);

// Halley's step from the residual r, its slope and its curvature over slope.
static double halley(double r, double slope, double curve_over_slope) {
    const double u = r / slope;
    return u / (1 - u * curve_over_slope / 2);
}

// The root of f on [0, inf) from a guess x > 0, by Halley's steps kept inside a bracket [lo, hi]
// that shrinks at every step (hi infinite until a residual turns positive), falling back to
// bisection, or to quadrupling while there is no upper end, when a step leaves it: the steps
// alone overshoot in the tails (the CDFs are flat there), bisection alone is slow; together
// they always converge. The step is accepted without another evaluation once it is below 1e-7
// of x: Halley's error after it is of the order of its cube.
static double solve_increasing(residual_fn f, const double *par, double x) {
    double lo = 0, hi = INFINITY, step;
    for (int it = 0; it < 400; it++) {
        double r = f(x, par, &step);
        if (r == 0) return x;
        if (r < 0) lo = x;
        else hi = x;
        double next = x - step;
        if (!(next > lo && next < hi)) next = isinf(hi) ? 4 * x : (lo + hi) / 2; // NAN lands here too
        if (fabs(next - x) <= 1e-7 * fabs(next) && next == x - step) return next;
        if (isfinite(hi) && hi - lo <= 1e-15 * hi) return next;
        x = next;
    }
    return x;
}

// par = {df, lbeta, q}: q - P(T > t), increasing in t; its slope is the pdf, whose log-derivative
// is -(df + 1) t / (df + t^2).
static double t_residual(double t, const double *par, double *step) {
    const t_dist d = {par[0], par[1]};
    const double r = par[2] - t_upper(&d, t);
    *step = halley(r, t_pdf(&d, t), -(d.df + 1) * t / (d.df + t * t));
    return r;
}

double ws_t_quantile(double p, double df) {
    if (!(p > 0 && p < 1) || !(df > 0)) return NAN;
    if (p == 0.5) return 0;
    // Solve for the upper tail q = min(p, 1 - p) (1 - p is exact for p >= 1/2), then mirror.
    const t_dist d = t_dist_of(df);
    const double par[3] = {df, d.lbeta, p < 0.5 ? p : 1 - p};
    double t = solve_increasing(t_residual, par, 2); // 2: near the quantiles asked for most
    return p < 0.5 ? -t : t;
}

// par = {df, log Gamma(df/2), p, lower}: P(chi2 <= c) - p when lower, else (1 - p) - P(chi2 > c);
// increasing in c; its slope is the pdf, whose log-derivative is (df/2 - 1) / c - 1/2.
static double chi2_residual(double c, const double *par, double *step) {
    const double a = par[0] / 2;
    double p, q;
    gamma_pq(a, c / 2, par[1], &p, &q);
    const double r = par[3] ? p - par[2] : (1 - par[2]) - q;
    *step = c > 0 ? halley(r, exp((a - 1) * log(c / 2) - c / 2 - par[1]) / 2, (a - 1) / c - 0.5) : NAN;
    return r;
}

double ws_chi2_quantile(double p, double df) {
    if (!(p > 0 && p < 1) || !(df > 0)) return NAN;
    // Whichever of P and Q is the smaller is computed without cancellation: match that one.
    const double par[4] = {df, log_gamma(df / 2), p, p <= 0.5};
    return solve_increasing(chi2_residual, par, df);
}

// ---- Decision rules ----

// The values' count, mean, spread and range, non-finite ones skipped.
typedef struct {
    int n, missing, all_equal;
    double mean, sd, min, max;
} sample;

static sample summarise(const double *d, int n) {
    sample s = {0, 0, 0, NAN, NAN, NAN, NAN};
    double sum = 0;
    for (int i = 0; i < n; i++) {
        if (!isfinite(d[i])) {
            s.missing++;
            continue;
        }
        sum += d[i];
        if (s.n == 0 || d[i] < s.min) s.min = d[i];
        if (s.n == 0 || d[i] > s.max) s.max = d[i];
        s.n++;
    }
    if (s.n == 0) return s;
    s.mean = sum / s.n;
    if (s.n < 2) return s;
    // Equal values are told apart by comparison, not by sd == 0: their mean can differ from
    // them in the last bit and leave a spurious spread of 1e-17.
    if (s.min == s.max) {
        s.all_equal = 1, s.mean = s.min, s.sd = 0;
        return s;
    }
    double ss = 0;
    for (int i = 0; i < n; i++)
        if (isfinite(d[i])) ss += (d[i] - s.mean) * (d[i] - s.mean);
    s.sd = sqrt(ss / (s.n - 1));
    return s;
}

// Two-sided p-value of a t statistic: p < 0.05 exactly when the 95 % interval excludes the
// hypothesised value.
static double two_sided_p(double t, double df) {
    const t_dist d = t_dist_of(df);
    double p = 2 * t_upper(&d, fabs(t));
    return p < 1 ? p : 1;
}

// Each rule on a sample with spread (n >= 2, sd > 0): the interval it reads, its p, its verdict.
static void decide_difference(const sample *s, double se, ws_decision *o) {
    o->lo = s->mean - o->half95, o->hi = s->mean + o->half95;
    o->p = two_sided_p(s->mean / se, s->n - 1);
    if (o->lo > 0) o->verdict = WS_VERDICT_HOLDS;
    else if (o->hi < 0) o->verdict = WS_VERDICT_OPPOSITE;
    else if (isfinite(o->size) && o->hi < o->size) o->verdict = WS_VERDICT_NOT_SHOWN; // the data argue against E
    else o->verdict = WS_VERDICT_UNDECIDED; // the interval includes 0 and E, or there is no E
}

static void decide_noninferiority(const ws_rule *r, const sample *s, double se, ws_decision *o) {
    o->lo = s->mean - o->half95, o->hi = s->mean + o->half95;
    // Two-sided at the boundary -margin: on the claim's side this is 2 x the one-sided p of
    // H0: mu <= -margin; on the other it lets "the opposite" survive Holm too.
    o->p = two_sided_p((s->mean + r->margin) / se, s->n - 1);
    o->verdict = o->lo > -r->margin ? WS_VERDICT_HOLDS : o->hi < -r->margin ? WS_VERDICT_OPPOSITE : WS_VERDICT_UNDECIDED;
}

static void decide_equivalence(const ws_rule *r, const sample *s, double se, ws_decision *o) {
    const double df = s->n - 1, half90 = ws_t_quantile(0.95, df) * se;
    o->lo = s->mean - half90, o->hi = s->mean + half90;
    // TOST: the nearer boundary's one-sided p is the larger of the two (t_near the smaller t).
    // It is < 0.05 exactly when the 90 % interval lies inside; the 95 % interval lies wholly
    // outside exactly when P(T < t_near) < 0.025, hence the second term.
    const double lower = (s->mean + r->margin) / se, upper = (r->margin - s->mean) / se;
    const double t_near = lower < upper ? lower : upper;
    const t_dist d = t_dist_of(df);
    const double p_yes = t_near < 0 ? 1 - t_upper(&d, -t_near) : t_upper(&d, t_near);
    const double p_opp = t_near < 0 ? 2 * t_upper(&d, -t_near) : 1;
    o->p = p_yes < p_opp ? p_yes : p_opp;
    if (o->lo > -r->margin && o->hi < r->margin) o->verdict = WS_VERDICT_HOLDS;
    else if (s->mean - o->half95 > r->margin || s->mean + o->half95 < -r->margin) o->verdict = WS_VERDICT_OPPOSITE;
    else o->verdict = WS_VERDICT_UNDECIDED;
}

static double rule_size(const ws_rule *r) {
    double size = r->kind == WS_KIND_DIFFERENCE ? r->effect : r->kind == WS_KIND_EVERY_SEED ? NAN : r->margin;
    return isfinite(size) && size > 0 ? size : NAN;
}

ws_decision ws_decide(const ws_rule *r, const double *d, int n) {
    const sample s = summarise(d, n < 0 ? 0 : n > WS_DECIDE_MAX ? WS_DECIDE_MAX : n);
    ws_decision o = {s.n, s.missing, s.mean, s.sd, NAN, NAN, NAN, NAN, s.all_equal, WS_VERDICT_UNDECIDED,
                     rule_size(r), -1, -1};
    const int spread = s.n >= 2 && !s.all_equal;
    const double se = spread ? s.sd / sqrt(s.n) : NAN;
    if (spread) o.half95 = ws_t_quantile(0.975, s.n - 1) * se;
    if (s.n == 0) o.verdict = WS_VERDICT_NO_DATA;
    else if (r->kind == WS_KIND_EVERY_SEED) { // no interval needed: one run is checked like any other
        o.lo = s.min, o.hi = s.max;
        o.verdict = s.min >= -r->margin && s.max <= r->margin ? WS_VERDICT_HOLDS : WS_VERDICT_OPPOSITE;
    } else if (!spread) o.verdict = WS_VERDICT_UNDECIDED; // one seed or no spread: no t interval
    else if (r->kind == WS_KIND_DIFFERENCE) decide_difference(&s, se, &o);
    else if (r->kind == WS_KIND_NONINFERIORITY) decide_noninferiority(r, &s, se, &o);
    else decide_equivalence(r, &s, se, &o);
    if (o.verdict == WS_VERDICT_UNDECIDED && spread && isfinite(o.size)) {
        o.seeds_lo = ws_seeds_for_power(r->kind, s.sd, o.size, WS_SEEDS_CAP);
        o.seeds_hi = ws_seeds_for_power(r->kind, ws_sigma_upper(s.sd, s.n, WS_SIGMA_LEVEL), o.size, WS_SEEDS_CAP);
    }
    return o;
}

void ws_holm(const double *p, int m, double *adjusted) {
    int k = 0; // the family: the entries that are not NAN
    for (int i = 0; i < m; i++) k += !isnan(p[i]);
    // Step one: each p times (k - its rank + 1), ranks counted from the smallest (ties share the
    // lowest rank, the multiplier Holm's order would give the first of them). In place, O(m^2):
    // no sort, no allocation, and the report's families hold about a hundred claims.
    for (int i = 0; i < m; i++) {
        if (isnan(p[i])) {
            adjusted[i] = NAN;
            continue;
        }
        int below = 0;
        for (int j = 0; j < m; j++) below += p[j] < p[i];
        double a = (k - below) * p[i];
        adjusted[i] = a < 1 ? a : 1;
    }
    // Step two, step-down monotonicity: each gets the largest of those at or below its p. Any
    // order works in place: an entry already raised holds a maximum over a subset of ours.
    for (int i = 0; i < m; i++)
        for (int j = 0; j < m; j++)
            if (!isnan(p[i]) && !isnan(p[j]) && p[j] <= p[i] && adjusted[j] > adjusted[i]) adjusted[i] = adjusted[j];
}

ws_verdict ws_verdict_adjusted(const ws_decision *d, double p_adjusted) {
    if (d->verdict != WS_VERDICT_HOLDS && d->verdict != WS_VERDICT_OPPOSITE) return d->verdict;
    if (isnan(d->p)) return d->verdict; // not tested: not in the family
    return p_adjusted < WS_ALPHA ? d->verdict : WS_VERDICT_UNDECIDED;
}

// The power advice's quantile levels (80 % power) and the normal's quantiles at the same
// levels, z_a + z_b, which are below t_a + t_b at every df.
typedef struct {
    double a, b, z;
} power_levels;

static power_levels levels_of(ws_claim_kind kind) {
    if (kind == WS_KIND_EQUIVALENCE) return (power_levels){0.95, 0.90, 1.6448536269514722 + 1.2815515655446004};
    return (power_levels){0.975, 0.80, 1.9599639845400542 + 0.8416212335729143};
}

// The half-width multiplier the advice asks for: (t_a + t_b) / sqrt(n), falling in n.
static double power_factor(const power_levels *l, int n) {
    return (ws_t_quantile(l->a, n - 1) + ws_t_quantile(l->b, n - 1)) / sqrt(n);
}

int ws_seeds_for_power(ws_claim_kind kind, double sigma, double size, int cap) {
    if (kind == WS_KIND_EVERY_SEED || !isfinite(sigma) || !isfinite(size) || sigma < 0 || size <= 0) return -1;
    const power_levels l = levels_of(kind);
    const double need = size / sigma, z = l.z; // need: +inf when sigma is 0, and two seeds do
    // No n below n_z = (z / need)^2 is enough (z < t_a + t_b): start there, one or two steps
    // short of the answer, gallop up to a bracket, then bisect (the factor falls with n).
    const double n_z = (z / need) * (z / need);
    if (cap < 2 || n_z > cap) return cap + 1;
    int lo = n_z < 2 ? 1 : (int)ceil(n_z) - 1, hi, step = 1; // lo: not enough (1: none below 2)
    for (;;) {
        hi = lo + step < cap ? lo + step : cap;
        if (power_factor(&l, hi) <= need) break;
        if (hi == cap) return cap + 1;
        lo = hi, step *= 2;
    }
    while (hi - lo > 1) {
        int mid = lo + (hi - lo) / 2;
        if (power_factor(&l, mid) <= need) hi = mid;
        else lo = mid;
    }
    return hi;
}

double ws_sigma_upper(double sd, int n, double level) {
    if (n < 2 || !isfinite(sd) || !(level > 0 && level < 1)) return NAN;
    return sd * sqrt((n - 1) / ws_chi2_quantile(1 - level, n - 1));
}

// Fieller: (a - R b)^2 <= t^2 (v11 - 2 R v12 + R^2 v22), a and b the means, v the variances and
// covariance of the means; a quadratic in R whose leading coefficient b^2 - t^2 v22 is positive
// exactly when b's own interval excludes 0.
ws_ratio ws_ratio_fieller(const double *num, const double *den, int n) {
    ws_ratio r = {n, NAN, 0, NAN, NAN};
    if (n < 1) return r;
    ws_summary sn = ws_summarize(num, n), sd = ws_summarize(den, n);
    const double a = sn.mean, b = sd.mean;
    if (b != 0) r.ratio = a / b;
    if (n < 2) return r;
    double c = 0;
    for (int i = 0; i < n; i++) c += (num[i] - a) * (den[i] - b);
    const double v11 = sn.sd * sn.sd / n, v22 = sd.sd * sd.sd / n, v12 = c / (n - 1) / n;
    const double t2 = ws_t975(n - 1) * ws_t975(n - 1);
    const double qa = b * b - t2 * v22, qb = a * b - t2 * v12, qc = a * a - t2 * v11;
    double disc = qb * qb - qa * qc;
    // A numerator proportional to the denominator (the reference itself, R = 1 exactly) gives a
    // discriminant of 0 up to rounding: the interval is that one point, not empty.
    if (disc < 0 && disc > -1e-9 * qb * qb) disc = 0;
    if (qa <= 0 || disc < 0) return r;
    r.bounded = 1;
    r.lo = (qb - sqrt(disc)) / qa;
    r.hi = (qb + sqrt(disc)) / qa;
    return r;
}
