// The statistics behind the report's verdicts: the t and chi-square distributions against
// tables and closed forms, each decision rule on hand-made values (every verdict reached),
// Holm's adjustment, and a calibration that simulates thousands of claims with a known truth
// and checks each rule's error rates against its nominal bound (docs/STATISTICS.md holds the
// numbers this prints: `CK_RUN_SUITE=stats ./build/test_unit`).
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/rng.h"
#include "exp/stats.h"
#include "suites.h"

#define PI 3.14159265358979323846

// ---- Distributions ----

START_TEST(t_quantiles_match_tables) {
    // Tables (7 decimals), and 30-digit values from mpmath for the non-integer df and the tails.
    ck_assert_double_eq_tol(ws_t_quantile(0.975, 1), 12.7062047, 1e-7);
    ck_assert_double_eq_tol(ws_t_quantile(0.975, 4), 2.7764451, 1e-7);
    ck_assert_double_eq_tol(ws_t_quantile(0.80, 4), 0.9409646, 1e-7);
    ck_assert_double_eq_tol(ws_t_quantile(0.95, 2), 2.9199856, 1e-7);
    ck_assert_double_eq_tol(ws_t_quantile(0.975, 30), 2.0422724, 1e-7);
    ck_assert_double_eq_tol(ws_t_quantile(0.999, 3), 10.2145318524073865, 1e-9);
    ck_assert_double_eq_tol(ws_t_quantile(0.9, 7.5), 1.40521184641595292, 1e-9);
    ck_assert_double_eq_tol(ws_t_quantile(0.975, 255), 1.96931056984987522, 1e-9);
    ck_assert_double_eq_tol(ws_t_quantile(0.001, 6), -5.20762623872536371, 1e-9);
    ck_assert_double_eq_tol(ws_t_cdf(2.5, 4), 0.966616727594005927, 1e-12);
    ck_assert_double_eq_tol(ws_t_cdf(-3, 9), 0.00747818195520710740, 1e-14);
    // The old table's values (3 decimals) agree.
    for (int df = 1; df <= 40; df++) ck_assert_double_eq_tol(ws_t_quantile(0.975, df), ws_t975(df), 6e-4);
}
END_TEST

START_TEST(t_closed_forms_and_symmetry) {
    // df 1 is Cauchy, df 2 has a closed form: exact references over the whole range, tails too.
    const double ps[] = {1e-9, 1e-4, 0.01, 0.2, 0.4, 0.6, 0.9, 0.995, 1 - 1e-7};
    for (int i = 0; i < 9; i++) {
        // -1 / tan(pi p), not tan(pi (p - 1/2)): the latter's argument loses digits near the pole.
        double p = ps[i], cauchy = p < 0.5 ? -1 / tan(PI * p) : 1 / tan(PI * (1 - p)), two = (2 * p - 1) / sqrt(2 * p * (1 - p));
        ck_assert_double_eq_tol(ws_t_quantile(p, 1), cauchy, 1e-10 * fabs(cauchy));
        ck_assert_double_eq_tol(ws_t_quantile(p, 2), two, 1e-10 * fabs(two));
        // Symmetry on exact complements (1 - q is exact for q >= 1/2; 1 - 1e-9 is not 1 - p).
        const double hi = p < 0.5 ? 1 - p : p, lo = 1 - hi;
        for (double df = 0.7; df < 300; df *= 2.3) {
            double t = ws_t_quantile(lo, df);
            ck_assert_double_eq_tol(ws_t_quantile(hi, df), -t, 1e-10 * fabs(t));
            ck_assert_double_eq_tol(ws_t_cdf(t, df), lo, 1e-10 * lo);
            ck_assert_double_eq_tol(ws_t_cdf(-t, df), hi, 1e-10 * lo);
        }
    }
    // Large df tends to the normal; the centre and the domain.
    ck_assert_double_eq_tol(ws_t_quantile(0.975, 1e7), 1.959963985, 1e-6);
    ck_assert_double_eq_tol(ws_t_cdf(0, 3), 0.5, 1e-15);
    ck_assert_double_eq_tol(ws_t_quantile(0.5, 3), 0, 1e-15);
    ck_assert(ws_t_cdf(INFINITY, 3) == 1 && ws_t_cdf(-INFINITY, 3) == 0);
    ck_assert(isnan(ws_t_quantile(0, 3)) && isnan(ws_t_quantile(1, 3)) && isnan(ws_t_quantile(0.5, 0)));
    ck_assert(isnan(ws_t_cdf(NAN, 3)) && isnan(ws_t_cdf(1, -1)));
}
END_TEST

START_TEST(chi2_quantiles) {
    ck_assert_double_eq_tol(ws_chi2_quantile(0.10, 2), 0.2107210, 1e-7);
    ck_assert_double_eq_tol(ws_chi2_quantile(0.10, 4), 1.0636232, 1e-7);
    ck_assert_double_eq_tol(ws_chi2_quantile(0.05, 9), 3.3251128, 1e-7);
    ck_assert_double_eq_tol(ws_chi2_quantile(0.975, 10), 20.4831773508073966, 1e-9);
    ck_assert_double_eq_tol(ws_chi2_quantile(0.5, 1), 0.454936423119572752, 1e-12);
    ck_assert_double_eq_tol(ws_chi2_quantile(0.2, 255), 235.825312767698701, 1e-8);
    ck_assert_double_eq_tol(ws_chi2_quantile(0.01, 3), 0.114831801899117038, 1e-12);
    // df 2 is the exponential with mean 2: c = -2 log(1 - p), over the whole range.
    for (double p = 1e-9; p < 1; p = p < 0.5 ? p * 7 : 1 - (1 - p) / 7) {
        double c = -2 * log1p(-p);
        ck_assert_double_eq_tol(ws_chi2_quantile(p, 2), c, 1e-10 * c);
    }
    // df 1 is the square of a normal: the quantile at p is t_{(1+p)/2, inf}^2 ~ z^2.
    ck_assert_double_eq_tol(ws_chi2_quantile(0.95, 1), 1.959963985 * 1.959963985, 1e-7);
    ck_assert(isnan(ws_chi2_quantile(0, 2)) && isnan(ws_chi2_quantile(1, 2)) && isnan(ws_chi2_quantile(0.5, 0)));
    ck_assert_double_eq_tol(ws_sigma_upper(1, 3, 0.9), sqrt(2 / 0.2107210), 1e-6);
    ck_assert_double_eq_tol(ws_sigma_upper(2, 5, 0.9), 2 * sqrt(4 / 1.0636232), 1e-6);
    ck_assert(isnan(ws_sigma_upper(1, 1, 0.9)) && isnan(ws_sigma_upper(NAN, 3, 0.9)) && isnan(ws_sigma_upper(1, 3, 1)));
}
END_TEST

// ---- The rules on hand-made values ----

static ws_decision decide(ws_claim_kind kind, double margin, double effect, const double *d, int n) {
    const ws_rule r = {kind, margin, effect};
    return ws_decide(&r, d, n);
}

START_TEST(difference_rule) {
    const double up[] = {3, 4, 5}, down[] = {-3, -4, -5}, around[] = {-1, 0, 1};
    ws_decision o = decide(WS_KIND_DIFFERENCE, 0, 2, up, 3);
    const double half = 4.30265272974946 / sqrt(3); // t_{0.975,2} sd / sqrt(n), sd 1
    ck_assert_int_eq(o.verdict, WS_VERDICT_HOLDS);
    ck_assert(o.n == 3 && o.missing == 0 && !o.all_equal && o.mean == 4 && o.sd == 1);
    ck_assert_double_eq_tol(o.half95, half, 1e-12);
    ck_assert_double_eq_tol(o.lo, 4 - half, 1e-12);
    ck_assert_double_eq_tol(o.hi, 4 + half, 1e-12);
    ck_assert_double_eq_tol(o.p, 0.0202041028867287607, 1e-13);
    ck_assert(o.size == 2 && o.seeds_lo == -1 && o.seeds_hi == -1); // decided: no advice
    o = decide(WS_KIND_DIFFERENCE, 0, 2, down, 3);
    ck_assert_int_eq(o.verdict, WS_VERDICT_OPPOSITE);
    ck_assert_double_eq_tol(o.p, 0.0202041028867287607, 1e-13);
    // The interval includes 0: NOT_SHOWN when it ends below E, UNDECIDED when it reaches E or
    // there is no E.
    o = decide(WS_KIND_DIFFERENCE, 0, 2.49, around, 3); // hi = 2.484
    ck_assert_int_eq(o.verdict, WS_VERDICT_NOT_SHOWN);
    ck_assert_double_eq_tol(o.p, 1, 1e-15);
    ck_assert(o.seeds_lo == -1 && o.seeds_hi == -1);
    o = decide(WS_KIND_DIFFERENCE, 0, 2.48, around, 3);
    ck_assert_int_eq(o.verdict, WS_VERDICT_UNDECIDED);
    // Advice at sd 1, E 2.48: (t_{.975,n-1} + t_{.80,n-1}) / sqrt(n) is 2.08 at n = 4, 3.10 at 3.
    ck_assert_int_eq(o.seeds_lo, 4);
    ck_assert_int_eq(o.seeds_hi, ws_seeds_for_power(WS_KIND_DIFFERENCE, ws_sigma_upper(1, 3, WS_SIGMA_LEVEL), 2.48, WS_SEEDS_CAP));
    ck_assert_int_gt(o.seeds_hi, o.seeds_lo);
    for (int k = 0; k < 2; k++) { // no E: NAN or not positive
        o = decide(WS_KIND_DIFFERENCE, 0, k ? -1 : NAN, around, 3);
        ck_assert(o.verdict == WS_VERDICT_UNDECIDED && isnan(o.size) && o.seeds_lo == -1 && o.seeds_hi == -1);
    }
}
END_TEST

START_TEST(noninferiority_rule) {
    const double close[] = {0, 0.1, 0.2}, far[] = {-2.1, -2, -1.9}, wide[] = {-1, 0, 1};
    ws_decision o = decide(WS_KIND_NONINFERIORITY, 1, NAN, close, 3);
    ck_assert_int_eq(o.verdict, WS_VERDICT_HOLDS);
    ck_assert_double_eq_tol(o.p, 0.00274348939442592404, 1e-13); // 2 x P(T_2 > 1.1 / (0.1 / sqrt 3))
    ck_assert_double_eq_tol(o.lo, 0.1 - 0.1 * 4.30265272974946 / sqrt(3), 1e-12);
    o = decide(WS_KIND_NONINFERIORITY, 1, NAN, far, 3);
    ck_assert(o.verdict == WS_VERDICT_OPPOSITE && o.p < WS_ALPHA); // the opposite has its p too
    o = decide(WS_KIND_NONINFERIORITY, 1, NAN, wide, 3);
    ck_assert(o.verdict == WS_VERDICT_UNDECIDED && o.size == 1 && o.p > WS_ALPHA);
    ck_assert_int_eq(o.seeds_lo, ws_seeds_for_power(WS_KIND_NONINFERIORITY, 1, 1, WS_SEEDS_CAP));
    ck_assert_int_ge(o.seeds_hi, o.seeds_lo);
    // Margin 0 is a claim too (mu > 0), without advice: nothing to size it by.
    o = decide(WS_KIND_NONINFERIORITY, 0, NAN, close, 3);
    ck_assert(o.verdict == WS_VERDICT_UNDECIDED && isnan(o.size) && o.seeds_hi == -1);
}
END_TEST

START_TEST(equivalence_rule) {
    // sd 0.52 at n 3: the 90 % interval (half 0.877) fits inside (-1, 1), the 95 % one (1.29)
    // does not: TOST says yes; a rule on the 95 % interval would not.
    const double tight[] = {-0.52, 0, 0.52}, off[] = {2.9, 3, 3.1}, wide[] = {-1, 0, 1};
    ws_decision o = decide(WS_KIND_EQUIVALENCE, 1, NAN, tight, 3);
    const double se = 0.52 / sqrt(3), half90 = 2.91998558035372 * se;
    ck_assert_int_eq(o.verdict, WS_VERDICT_HOLDS);
    ck_assert(o.half95 > 1);
    ck_assert_double_eq_tol(o.lo, -half90, 1e-12);
    ck_assert_double_eq_tol(o.hi, half90, 1e-12);
    ck_assert_double_eq_tol(o.p, 1 - ws_t_cdf(1 / se, 2), 1e-14); // both one-sided p's equal here
    ck_assert(o.p < WS_ALPHA);
    o = decide(WS_KIND_EQUIVALENCE, 1, NAN, off, 3);
    ck_assert(o.verdict == WS_VERDICT_OPPOSITE && o.p < WS_ALPHA);
    o = decide(WS_KIND_EQUIVALENCE, 1, NAN, wide, 3);
    ck_assert(o.verdict == WS_VERDICT_UNDECIDED && o.p > WS_ALPHA && o.size == 1);
    ck_assert_int_eq(o.seeds_lo, ws_seeds_for_power(WS_KIND_EQUIVALENCE, 1, 1, WS_SEEDS_CAP));
    // Just outside the margin at 90 % but not wholly beyond it at 95 %: undecided, not the opposite.
    const double edge[] = {0.7, 1.2, 1.7};
    ck_assert_int_eq(decide(WS_KIND_EQUIVALENCE, 1, NAN, edge, 3).verdict, WS_VERDICT_UNDECIDED);
}
END_TEST

START_TEST(every_seed_rule) {
    const double zeros[] = {0, 0, 0}, tiny[] = {0, 1e-9, -1e-9};
    ws_decision o = decide(WS_KIND_EVERY_SEED, 0, NAN, zeros, 3);
    ck_assert(o.verdict == WS_VERDICT_HOLDS && o.all_equal && isnan(o.p) && o.lo == 0 && o.hi == 0);
    o = decide(WS_KIND_EVERY_SEED, 0, NAN, tiny, 3);
    ck_assert(o.verdict == WS_VERDICT_OPPOSITE && isnan(o.p) && o.lo == -1e-9 && o.hi == 1e-9);
    ck_assert_int_eq(decide(WS_KIND_EVERY_SEED, 1e-9, NAN, tiny, 3).verdict, WS_VERDICT_HOLDS);
    ck_assert_int_eq(decide(WS_KIND_EVERY_SEED, 1e-9, NAN, tiny + 1, 1).verdict, WS_VERDICT_HOLDS); // one run
    ck_assert_int_eq(decide(WS_KIND_EVERY_SEED, 0, NAN, zeros, 0).verdict, WS_VERDICT_NO_DATA);
    ck_assert(decide(WS_KIND_EVERY_SEED, 0, NAN, tiny, 3).seeds_hi == -1);
    // Not in Holm's family: its verdict stands whatever the adjustment.
    ck_assert_int_eq(ws_verdict_adjusted(&o, NAN), WS_VERDICT_OPPOSITE);
}
END_TEST

START_TEST(degenerate_inputs) {
    const double one[] = {5}, same[] = {0.1, 0.1, 0.1, 0.1}, holes[] = {3, NAN, 4, INFINITY, 5, -INFINITY};
    const double none[] = {NAN, NAN};
    for (int k = WS_KIND_DIFFERENCE; k <= WS_KIND_NONINFERIORITY; k++) {
        ws_decision o = decide(k, 1, 1, one, 0);
        ck_assert(o.verdict == WS_VERDICT_NO_DATA && o.n == 0 && isnan(o.mean));
        o = decide(k, 1, 1, none, 2);
        ck_assert(o.verdict == WS_VERDICT_NO_DATA && o.n == 0 && o.missing == 2);
        o = decide(k, 1, 1, one, 1); // one seed: no interval, no advice
        ck_assert(o.verdict == WS_VERDICT_UNDECIDED && o.mean == 5 && isnan(o.sd) && isnan(o.half95));
        ck_assert(isnan(o.lo) && isnan(o.hi) && isnan(o.p) && o.seeds_lo == -1 && o.seeds_hi == -1);
        o = decide(k, 1, 1, same, 4); // no spread: no t interval, no advice
        ck_assert(o.verdict == WS_VERDICT_UNDECIDED && o.all_equal && o.sd == 0 && o.mean == 0.1);
        ck_assert(isnan(o.half95) && isnan(o.lo) && isnan(o.p) && o.seeds_hi == -1);
    }
    // Non-finite values are skipped and counted; the rest decide as they would alone.
    const double clean[] = {3, 4, 5};
    ws_decision a = decide(WS_KIND_DIFFERENCE, 0, 2, holes, 6), b = decide(WS_KIND_DIFFERENCE, 0, 2, clean, 3);
    ck_assert(a.n == 3 && a.missing == 3 && a.verdict == b.verdict && a.mean == b.mean && a.p == b.p && a.lo == b.lo);
    // At most WS_DECIDE_MAX values are read: the ones beyond would make it "the opposite".
    double many[WS_DECIDE_MAX + 10];
    for (int i = 0; i < WS_DECIDE_MAX + 10; i++) many[i] = i < WS_DECIDE_MAX ? 1 + (i % 2) : -1e6;
    a = decide(WS_KIND_DIFFERENCE, 0, 2, many, WS_DECIDE_MAX + 10);
    ck_assert(a.n == WS_DECIDE_MAX && a.verdict == WS_VERDICT_HOLDS);
}
END_TEST

// ---- Holm and power ----

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

// Holm by the book, to compare against: sort, multiply by (k - i), running maximum, capped at 1.
static double holm_reference(const double *p, int m, double q) {
    double s[64];
    int k = 0;
    for (int i = 0; i < m; i++)
        if (!isnan(p[i])) s[k++] = p[i];
    qsort(s, k, sizeof *s, cmp_double);
    double run = 0;
    for (int i = 0; i < k; i++) {
        double a = fmin(1, (k - i) * s[i]);
        run = fmax(run, a);
        if (s[i] == q) return run; // the first of equal values: they all get this one
    }
    return NAN;
}

START_TEST(holm_adjustment) {
    const double p[] = {0.01, 0.04, 0.03, 0.005}, want[] = {0.03, 0.06, 0.06, 0.02};
    double adj[40];
    ws_holm(p, 4, adj);
    for (int i = 0; i < 4; i++) ck_assert_double_eq_tol(adj[i], want[i], 1e-15);
    // NAN entries are not in the family: the same answer around them.
    const double holes[] = {NAN, 0.01, 0.04, NAN, 0.03, 0.005};
    ws_holm(holes, 6, adj);
    ck_assert(isnan(adj[0]) && isnan(adj[3]));
    ck_assert(adj[1] == adj[1] && fabs(adj[1] - 0.03) < 1e-15 && fabs(adj[2] - 0.06) < 1e-15);
    ck_assert(fabs(adj[4] - 0.06) < 1e-15 && fabs(adj[5] - 0.02) < 1e-15);
    const double ties[] = {0.03, 0.03, 0.5, 0.6};
    ws_holm(ties, 4, adj);
    ck_assert(fabs(adj[0] - 0.12) < 1e-15 && adj[0] == adj[1] && adj[2] == 1 && adj[3] == 1);
    // Random families, ties included, against the textbook procedure.
    ws_rng r = ws_rng_stream(7, "stats-holm", 0);
    for (int f = 0; f < 200; f++) {
        double q[40];
        int m = 1 + (int)ws_rng_below(&r, 40);
        for (int i = 0; i < m; i++) {
            uint32_t u = ws_rng_below(&r, 60);
            q[i] = u == 0 ? NAN : u < 10 ? u * 0.001 : pow(ws_rng_uniform(&r), 3);
        }
        ws_holm(q, m, adj);
        for (int i = 0; i < m; i++)
            ck_assert(isnan(q[i]) ? isnan(adj[i]) : fabs(adj[i] - holm_reference(q, m, q[i])) < 1e-15);
    }
}
END_TEST

START_TEST(adjusted_verdicts) {
    const double up[] = {3, 4, 5}, down[] = {-3, -4, -5}, around[] = {-1, 0, 1};
    ws_decision yes = decide(WS_KIND_DIFFERENCE, 0, 2.49, up, 3), no = decide(WS_KIND_DIFFERENCE, 0, 2.49, down, 3);
    ws_decision shown = decide(WS_KIND_DIFFERENCE, 0, 2.49, around, 3);
    ck_assert_int_eq(ws_verdict_adjusted(&yes, 0.049), WS_VERDICT_HOLDS);
    ck_assert_int_eq(ws_verdict_adjusted(&yes, 0.05), WS_VERDICT_UNDECIDED);
    ck_assert_int_eq(ws_verdict_adjusted(&no, 0.01), WS_VERDICT_OPPOSITE);
    ck_assert_int_eq(ws_verdict_adjusted(&no, 0.2), WS_VERDICT_UNDECIDED);
    ck_assert_int_eq(ws_verdict_adjusted(&shown, 1), WS_VERDICT_NOT_SHOWN);
}
END_TEST

// The smallest n by a plain scan, to check the bisection against.
static int seeds_by_scan(ws_claim_kind kind, double sigma, double size, int cap) {
    double a = kind == WS_KIND_EQUIVALENCE ? 0.95 : 0.975, b = kind == WS_KIND_EQUIVALENCE ? 0.90 : 0.80;
    for (int n = 2; n <= cap; n++)
        if ((ws_t_quantile(a, n - 1) + ws_t_quantile(b, n - 1)) * sigma / sqrt(n) <= size) return n;
    return cap + 1;
}

START_TEST(seeds_for_power) {
    for (int k = WS_KIND_DIFFERENCE; k <= WS_KIND_NONINFERIORITY; k++)
        for (double size = 0.07; size < 20; size *= 1.7) ck_assert_int_eq(ws_seeds_for_power(k, 1, size, 1000), seeds_by_scan(k, 1, size, 1000));
    // Normal approximation at large n: (1.96 + 0.8416)^2 / 0.3^2 = 87.2 -> 89 with t's df.
    ck_assert_int_eq(ws_seeds_for_power(WS_KIND_DIFFERENCE, 1, 0.3, 1000), 90);
    ck_assert_int_eq(ws_seeds_for_power(WS_KIND_DIFFERENCE, 1, 0.01, 1000), 1001);
    ck_assert_int_eq(ws_seeds_for_power(WS_KIND_DIFFERENCE, 0, 1, 1000), 2);
    ck_assert_int_eq(ws_seeds_for_power(WS_KIND_DIFFERENCE, 1, 0, 1000), -1);
    ck_assert_int_eq(ws_seeds_for_power(WS_KIND_DIFFERENCE, NAN, 1, 1000), -1);
    ck_assert_int_eq(ws_seeds_for_power(WS_KIND_EVERY_SEED, 1, 1, 1000), -1);
    ck_assert_int_gt(ws_seeds_for_power(WS_KIND_EQUIVALENCE, 1, 1, 1000), ws_seeds_for_power(WS_KIND_DIFFERENCE, 1, 1, 1000));
}
END_TEST

// ---- Calibration: many claims with a known truth ----

// Standard normal in double precision (Box-Muller on two 53-bit uniforms; ws_rng_normal's
// float and 24-bit uniforms would cut the tails at 5.8 sigma).
static double u53(ws_rng *r) {
    uint64_t a = ws_rng_u32(r) >> 5, b = ws_rng_u32(r) >> 6;
    return ((double)(a * 67108864u + b) + 0.5) / 9007199254740992.0; // in (0, 1)
}
static double normal(ws_rng *r) { return sqrt(-2 * log(u53(r))) * cos(2 * PI * u53(r)); }

static void draw(ws_rng *r, double mu, double *d, int n) {
    for (int i = 0; i < n; i++) d[i] = mu + normal(r);
}

// Observed rate of hits in `trials` against a nominal bound, allowing 3 binomial standard
// errors at the nominal rate (a correct rule fails this once in ~700 draws; the streams are
// fixed, so the suite's outcome is too). `upper`: the rate must be at most nominal, else at least.
static void check_rate(const char *what, int n, long hits, long trials, double nominal, int upper) {
    const double rate = (double)hits / trials, se = sqrt(nominal * (1 - nominal) / trials);
    const double bound = upper ? nominal + 3 * se : nominal - 3 * se;
    fprintf(stderr, "stats: %-40s n %2d  %6.2f %%  (%s %.1f %%, allowed %.2f %%)  of %ld\n", what, n, 100 * rate,
            upper ? "<=" : ">=", 100 * nominal, 100 * bound, trials);
    if (upper) ck_assert_msg(rate <= bound, "%s, n %d: %.4f > %.4f", what, n, rate, bound);
    else ck_assert_msg(rate >= bound, "%s, n %d: %.4f < %.4f", what, n, rate, bound);
}

#define CLAIMS 20000
static const int seeds[] = {3, 5, 10};

// CLAIMS claims of one rule at true mean mu, n seeds each: how many got each verdict.
static void count_verdicts(const ws_rule *rule, double mu, int n, const char *purpose, long *count) {
    ws_rng r = ws_rng_stream((uint64_t)n, purpose, 0);
    double d[16];
    for (int v = 0; v < WS_VERDICT_COUNT; v++) count[v] = 0;
    for (int c = 0; c < CLAIMS; c++) {
        draw(&r, mu, d, n);
        count[ws_decide(rule, d, n).verdict]++;
    }
}

// Fieller's interval of a ratio of paired means: exact on data without noise; bounded only when
// the denominator is established; and its 95 % covers the true ratio about 95 % of the time on
// simulated seeds (true ratio 0.5, denominator 2 sd from 0 per seed), neither much more nor less.
START_TEST(ratio_interval) {
    const double num[4] = {1, 1, 1, 1}, den[4] = {2, 2, 2, 2};
    ws_ratio r = ws_ratio_fieller(num, den, 4);
    ck_assert_double_eq(r.ratio, 0.5);
    ck_assert(r.bounded && r.lo == 0.5 && r.hi == 0.5);
    const double noisy_den[4] = {1, -1, 0.5, -0.4}; // a gap not established
    r = ws_ratio_fieller(num, noisy_den, 4);
    ck_assert_int_eq(r.bounded, 0);
    ck_assert(isnan(r.lo) && isnan(r.hi));
    ck_assert_int_eq(ws_ratio_fieller(num, den, 1).bounded, 0);
    const double gap[5] = {1.1, 0.7, 1.6, 0.9, 1.3}; // the reference against itself: R = 1, the interval [1, 1]
    r = ws_ratio_fieller(gap, gap, 5);
    ck_assert(r.bounded && fabs(r.lo - 1) < 1e-9 && fabs(r.hi - 1) < 1e-9);
    for (int k = 0; k < 3; k++) {
        const int n = seeds[k];
        ws_rng g = ws_rng_stream((uint64_t)n, "fieller", 0);
        long covered = 0, bounded = 0;
        double nu[16], de[16];
        for (int c = 0; c < CLAIMS; c++) {
            for (int i = 0; i < n; i++) {
                de[i] = 4 + normal(&g);             // the gap: 4 points, sd 1 per seed
                nu[i] = 0.5 * de[i] + normal(&g);   // a remedy closing half of it, its own noise
            }
            r = ws_ratio_fieller(nu, de, n);
            bounded += r.bounded;
            covered += !r.bounded || (r.lo <= 0.5 && 0.5 <= r.hi); // an unbounded set covers every R
        }
        check_rate("Fieller ratio: coverage", n, covered, CLAIMS, 0.95, 0);
        check_rate("Fieller ratio: non-coverage", n, CLAIMS - covered, CLAIMS, 0.05, 1);
        ck_assert_int_gt(bounded, CLAIMS * 9 / 10);
    }
}
END_TEST

START_TEST(calibrate_null_difference) {
    const ws_rule rule = {WS_KIND_DIFFERENCE, 0, NAN}; // E changes neither yes nor the opposite
    long count[WS_VERDICT_COUNT];
    for (int k = 0; k < 3; k++) {
        count_verdicts(&rule, 0, seeds[k], "null", count);
        check_rate("null DIFFERENCE: false yes", seeds[k], count[WS_VERDICT_HOLDS], CLAIMS, 0.025, 1);
        check_rate("null DIFFERENCE: false opposite", seeds[k], count[WS_VERDICT_OPPOSITE], CLAIMS, 0.025, 1);
    }
}
END_TEST

START_TEST(calibrate_true_effect) {
    const ws_rule rule = {WS_KIND_DIFFERENCE, 0, 1};
    long count[WS_VERDICT_COUNT];
    for (int k = 0; k < 3; k++) {
        count_verdicts(&rule, 1, seeds[k], "effect", count);
        check_rate("true effect E = 1: not shown", seeds[k], count[WS_VERDICT_NOT_SHOWN], CLAIMS, 0.025, 1);
    }
}
END_TEST

START_TEST(calibrate_noninferiority) {
    const ws_rule rule = {WS_KIND_NONINFERIORITY, 0.5, NAN};
    long count[WS_VERDICT_COUNT];
    for (int k = 0; k < 3; k++) {
        count_verdicts(&rule, -0.5, seeds[k], "noninferior", count);
        check_rate("non-inferiority, mu = -margin: yes", seeds[k], count[WS_VERDICT_HOLDS], CLAIMS, 0.025, 1);
    }
}
END_TEST

START_TEST(calibrate_equivalence) {
    // At either boundary, half the claims each: TOST's yes at most 5 %.
    const ws_rule rule = {WS_KIND_EQUIVALENCE, 1, NAN};
    long up[WS_VERDICT_COUNT], down[WS_VERDICT_COUNT];
    for (int k = 0; k < 3; k++) {
        count_verdicts(&rule, 1, seeds[k], "equivalent-up", up);
        count_verdicts(&rule, -1, seeds[k], "equivalent-down", down);
        check_rate("equivalence, mu = +-margin: yes", seeds[k], up[WS_VERDICT_HOLDS] + down[WS_VERDICT_HOLDS],
                   2 * CLAIMS, 0.05, 1);
    }
}
END_TEST

#define FAMILIES 1000
#define FAMILY 100

// Benjamini-Hochberg's step-up, for contrast only: 1 where p[i] is rejected at level alpha.
static void bh_reject(const double *p, int m, double alpha, int *rejected) {
    double s[FAMILY];
    for (int i = 0; i < m; i++) s[i] = p[i];
    qsort(s, m, sizeof *s, cmp_double);
    double cut = -1;
    for (int k = m; k >= 1 && cut < 0; k--)
        if (s[k - 1] <= alpha * k / m) cut = s[k - 1];
    for (int i = 0; i < m; i++) rejected[i] = p[i] <= cut;
}

// Families of FAMILY DIFFERENCE claims of n seeds, the first `real` at true effect `effect`, the
// rest null: the share of families with any false yes (a null claim said yes) without
// adjustment, after Holm, and after BH.
static void family_rates(int n, int real, double effect, double *raw, double *holm, double *bh) {
    const ws_rule rule = {WS_KIND_DIFFERENCE, 0, NAN}; // E changes neither yes nor the opposite
    ws_rng r = ws_rng_stream((uint64_t)n, "family", (uint64_t)real);
    long any[3] = {0, 0, 0};
    for (int f = 0; f < FAMILIES; f++) {
        ws_decision o[FAMILY];
        double p[FAMILY], adj[FAMILY], d[16];
        int bh_yes[FAMILY], false_yes[3] = {0, 0, 0};
        for (int c = 0; c < FAMILY; c++) {
            draw(&r, c < real ? effect : 0, d, n);
            o[c] = ws_decide(&rule, d, n);
            p[c] = o[c].p;
        }
        ws_holm(p, FAMILY, adj);
        bh_reject(p, FAMILY, WS_ALPHA, bh_yes);
        for (int c = real; c < FAMILY; c++) {
            const int yes = o[c].verdict == WS_VERDICT_HOLDS;
            false_yes[0] |= yes;
            false_yes[1] |= ws_verdict_adjusted(&o[c], adj[c]) == WS_VERDICT_HOLDS;
            false_yes[2] |= yes && bh_yes[c];
        }
        for (int k = 0; k < 3; k++) any[k] += false_yes[k];
    }
    *raw = (double)any[0] / FAMILIES, *holm = (double)any[1] / FAMILIES, *bh = (double)any[2] / FAMILIES;
}

START_TEST(calibrate_multiplicity) {
    // 100 null claims, then 50 real effects (4 sigma) beside 50 nulls: any false yes after Holm
    // in at most 5 % of families either way. BH controls this only when every claim is null.
    for (int real = 0; real <= FAMILY / 2; real += FAMILY / 2)
        for (int k = 0; k < 3; k++) {
            double raw, holm, bh;
            family_rates(seeds[k], real, 4, &raw, &holm, &bh);
            char what[64];
            snprintf(what, sizeof what, "%d null + %d real: any false yes", FAMILY - real, real);
            fprintf(stderr, "stats: %-40s n %2d  %6.2f %%  unadjusted; %.2f %% with BH  of %d\n", what, seeds[k],
                    100 * raw, 100 * bh, FAMILIES);
            snprintf(what, sizeof what, "%d null + %d real, Holm: any false yes", FAMILY - real, real);
            check_rate(what, seeds[k], (long)lround(holm * FAMILIES), FAMILIES, 0.05, 1);
        }
}
END_TEST

#define PILOTS 4000

// Pilots of n0 seeds at true effect E give advice; fresh runs of that many seeds at E say yes
// at least 80 % of the time with seeds_hi (reported, not asserted, with seeds_lo).
static void power_case(int n0, double E) {
    const ws_rule rule = {WS_KIND_DIFFERENCE, 0, E};
    ws_rng r = ws_rng_stream((uint64_t)n0, "power", (uint64_t)(E * 1000));
    double d[WS_DECIDE_MAX];
    long advised = 0, yes_hi = 0, yes_lo = 0, beyond = 0, sum_hi = 0;
    for (int pilot = 0; pilot < PILOTS; pilot++) {
        draw(&r, E, d, n0);
        const ws_decision o = ws_decide(&rule, d, n0);
        if (o.seeds_hi < 0) continue; // decided: no advice to follow
        advised++, sum_hi += o.seeds_hi;
        // Beyond WS_DECIDE_MAX seeds a run is decided on its first 256, still ~certain at E >= 1.
        const int n_hi = o.seeds_hi < WS_DECIDE_MAX ? o.seeds_hi : WS_DECIDE_MAX;
        const int n_lo = o.seeds_lo < WS_DECIDE_MAX ? o.seeds_lo : WS_DECIDE_MAX;
        beyond += o.seeds_hi > WS_DECIDE_MAX;
        draw(&r, E, d, n_hi);
        yes_hi += ws_decide(&rule, d, n_hi).verdict == WS_VERDICT_HOLDS;
        draw(&r, E, d, n_lo);
        yes_lo += ws_decide(&rule, d, n_lo).verdict == WS_VERDICT_HOLDS;
    }
    char what[96];
    snprintf(what, sizeof what, "power, E = %.1f: yes at seeds_lo", E);
    fprintf(stderr, "stats: %-40s n %2d  %6.2f %%  (no bound: sd from the pilot)  of %ld\n", what, n0,
            100.0 * yes_lo / advised, advised);
    snprintf(what, sizeof what, "power, E = %.1f: yes at seeds_hi (mean %.0f)", E, (double)sum_hi / advised);
    if (beyond) fprintf(stderr, "stats: (%ld advised more than %d seeds)\n", beyond, WS_DECIDE_MAX);
    ck_assert_int_gt(advised, 200); // enough pilots undecided to measure a rate
    check_rate(what, n0, yes_hi, advised, 0.80, 0);
}

START_TEST(calibrate_power) {
    const double effects[] = {1.0, 1.5, 2.0};
    for (int k = 0; k < 2; k++)
        for (int e = 0; e < 3; e++) power_case(k ? 5 : 3, effects[e]);
}
END_TEST

// p < 0.05 exactly when the verdict is yes or the opposite, for every tested kind: the p that
// Holm adjusts then decides the same claims the intervals do.
START_TEST(p_matches_verdict) {
    ws_rng r = ws_rng_stream(1, "stats-p", 0);
    for (int c = 0; c < 30000; c++) {
        const int n = 2 + (int)ws_rng_below(&r, 9);
        const ws_rule rule = {(ws_claim_kind)ws_rng_below(&r, 3), 0.2 + 2 * ws_rng_uniform(&r), 1};
        double d[16];
        draw(&r, 4 * ws_rng_uniform(&r) - 2, d, n);
        const ws_decision o = ws_decide(&rule, d, n);
        const int decided = o.verdict == WS_VERDICT_HOLDS || o.verdict == WS_VERDICT_OPPOSITE;
        ck_assert_msg(decided == (o.p < WS_ALPHA), "kind %d n %d p %g verdict %d", rule.kind, n, o.p, o.verdict);
    }
}
END_TEST

Suite *stats_suite(void) {
    Suite *s = suite_create("stats");
    TCase *t = tcase_create("distributions");
    tcase_add_test(t, t_quantiles_match_tables);
    tcase_add_test(t, t_closed_forms_and_symmetry);
    tcase_add_test(t, chi2_quantiles);
    suite_add_tcase(s, t);
    t = tcase_create("rules");
    tcase_add_test(t, difference_rule);
    tcase_add_test(t, noninferiority_rule);
    tcase_add_test(t, equivalence_rule);
    tcase_add_test(t, every_seed_rule);
    tcase_add_test(t, degenerate_inputs);
    tcase_add_test(t, holm_adjustment);
    tcase_add_test(t, adjusted_verdicts);
    tcase_add_test(t, seeds_for_power);
    tcase_add_test(t, p_matches_verdict);
    suite_add_tcase(s, t);
    t = tcase_create("calibration");
    tcase_set_timeout(t, 120); // a few seconds here; room for a loaded machine or a sanitizer build
    tcase_add_test(t, calibrate_null_difference);
    tcase_add_test(t, ratio_interval);
    tcase_add_test(t, calibrate_true_effect);
    tcase_add_test(t, calibrate_noninferiority);
    tcase_add_test(t, calibrate_equivalence);
    tcase_add_test(t, calibrate_multiplicity);
    tcase_add_test(t, calibrate_power);
    suite_add_tcase(s, t);
    return s;
}
