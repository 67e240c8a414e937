// The claims engine (claims.h): declared claims evaluated on a results table.
#define _POSIX_C_SOURCE 200809L
#include "report/claims.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/text.h"
#include "io/json.h"

#define MAX_SEEDS WS_DECIDE_MAX

// ---- words ---------------------------------------------------------------------------------------

const char *ws_verdict_word(ws_verdict v) {
    switch (v) {
    case WS_VERDICT_HOLDS: return "yes";
    case WS_VERDICT_NOT_SHOWN: return "not shown";
    case WS_VERDICT_UNDECIDED: return "undecided";
    case WS_VERDICT_OPPOSITE: return "no: the opposite";
    case WS_VERDICT_EXPLORATORY: return "exploratory";
    case WS_VERDICT_NOT_CONVERGED: return "no verdict";
    default: return "no data";
    }
}

void ws_claim_verdict_text(const ws_claim *c, char *out, size_t cap) {
    const ws_decision *d = &c->d;
    const int band = c->spec.kind == WS_KIND_EQUIVALENCE || c->spec.kind == WS_KIND_NONINFERIORITY;
    switch (c->verdict) {
    case WS_VERDICT_HOLDS:
        snprintf(out, cap, "%s", c->spec.kind == WS_KIND_EVERY_SEED ? "yes: within the bound on every seed"
                                 : c->spec.kind == WS_KIND_EQUIVALENCE ? "yes: the 90 % interval lies inside the margin"
                                 : band ? "yes: the interval lies above -margin" : "yes: the interval lies above 0");
        break;
    case WS_VERDICT_OPPOSITE:
        snprintf(out, cap, "%s", c->spec.kind == WS_KIND_EVERY_SEED ? "no: the opposite, past the bound on a seed"
                                 : band ? "no: the opposite, the interval lies beyond the margin"
                                        : "no: the opposite, the interval lies below 0");
        break;
    case WS_VERDICT_NOT_SHOWN:
        snprintf(out, cap, "not shown: the interval includes 0 and lies below %s", c->size_origin);
        break;
    case WS_VERDICT_UNDECIDED:
        if (d->n < 2) snprintf(out, cap, "undecided: one seed gives no interval");
        else if (d->all_equal) snprintf(out, cap, "undecided: every value is the same, no spread and no interval");
        else if (band) snprintf(out, cap, "undecided: the interval reaches past the margin and does not exclude it");
        else if (isfinite(c->size)) snprintf(out, cap, "undecided: the interval includes 0 and %s", c->size_origin);
        else snprintf(out, cap, "undecided: the interval includes 0, and the claim has no effect size to weigh it by");
        break;
    case WS_VERDICT_EXPLORATORY:
        snprintf(out, cap, "exploratory: shown, not tested%s%s", c->out_of_family[0] ? " (" : "", c->out_of_family[0] ? c->out_of_family : "");
        if (c->out_of_family[0]) snprintf(out + strlen(out), cap - strlen(out), ")");
        break;
    case WS_VERDICT_NOT_CONVERGED: snprintf(out, cap, "no verdict: runs stopped at the epoch cap: %s", c->capped); break;
    default: snprintf(out, cap, "no data%s%s", c->measured[0] ? ": " : "", c->measured); break;
    }
}

void ws_claim_label(const ws_claim *c, char *out, size_t cap) {
    snprintf(out, cap, "%s%s%s", c->id, c->where[0] ? " " : "", c->where);
}

double ws_claim_paper_value(const ws_claim *c) {
    if (c->spec.kind != WS_KIND_DIFFERENCE) return 0;
    return c->spec.effect;
}

// ---- where in the runs ----------------------------------------------------------------------------

// Rounds [first, last] of n by a claim's range (first:K and last:K need K <= n).
static int rounds_range(ws_claim_rounds r, int k, int n, int *first, int *last) {
    *first = 0, *last = n - 1;
    if (r == WS_ROUNDS_LAST) *first = n - 1;
    else if (r == WS_ROUNDS_AFTER_FIRST) *first = 1;
    else if (r == WS_ROUNDS_FIRST_K) *last = k - 1;
    else if (r == WS_ROUNDS_LAST_K) *first = n - k;
    return *first >= 0 && *last < n && *first <= *last;
}

// The stages [first, last] the claim reads of learner l at p: an online run's rounds, a transfer
// share, or the one stage of a two-phase run; 0 when there is none.
static int stage_range(const ws_table *t, const ws_point *p, const ws_claim_spec *c, int l, int *first, int *last) {
    const int n = ws_point_stages(p, l);
    *first = *last = 0;
    if (n == 0) return 0;
    if (!strcmp(t->scenario, "online") || !strcmp(t->scenario, "continual")) return rounds_range(c->rounds, c->rounds_k, n, first, last);
    if (!strcmp(t->scenario, "transfer") && !isnan(c->share)) {
        if (c->share == WS_SHARE_SMALLEST) return 1;
        if (c->share == WS_SHARE_LARGEST) return *first = *last = n - 1, 1;
        for (int i = 0; i < p->nruns; i++)
            if (p->runs[i].learner == l && fabs(100 * p->runs[i].m[WS_M_FRACTION] - c->share) < 1e-9)
                return *first = *last = p->runs[i].stage, 1;
        return 0;
    }
    return 1;
}

// Learner l's value for seed s at p over stages [first, last]: summed (steps) or averaged
// (accuracies); NAN where a run or its measure is missing.
static double value_over(const ws_point *p, const ws_claim_spec *c, int l, int64_t s, int first, int last) {
    double sum = 0;
    int n = 0;
    const int every = c->rounds_every > 1 ? c->rounds_every : 1; // 5+1's hard tasks: every second
    for (int k = first; k <= last; k += every, n++) {
        const ws_run *r = ws_point_run(p, l, s, k);
        const double v = r ? ws_claim_value(c, r) : NAN;
        if (!isfinite(v)) return NAN;
        sum += v;
    }
    return ws_claim_sums(c->measure) || !n ? sum : sum / n;
}

// A contrast (rounds = R1 - R2): the value over R1 minus the value over R2.
static double value_of(const ws_table *t, const ws_point *p, const ws_claim_spec *c, int l, int64_t s) {
    int first, last, first2, last2;
    if (l < 0 || !stage_range(t, p, c, l, &first, &last)) return NAN;
    if (!c->contrast) return value_over(p, c, l, s, first, last);
    if (!rounds_range(c->rounds2, c->rounds2_k, ws_point_stages(p, l), &first2, &last2)) return NAN;
    return value_over(p, c, l, s, first, last) - value_over(p, c, l, s, first2, last2);
}

// The seed ids of learners a and b (b < 0: a's) at p, ascending, without repeats.
static int seeds_of(const ws_point *p, int a, int b, int64_t *seeds) {
    int64_t x[MAX_SEEDS], y[MAX_SEEDS];
    int nx = ws_point_seeds(p, a, x, MAX_SEEDS), ny = b >= 0 ? ws_point_seeds(p, b, y, MAX_SEEDS) : 0, n = 0;
    for (int i = 0, j = 0; (i < nx || j < ny) && n < MAX_SEEDS;) {
        if (j >= ny || (i < nx && x[i] < y[j])) seeds[n++] = x[i++];
        else if (i >= nx || y[j] < x[i]) seeds[n++] = y[j++];
        else seeds[n++] = x[i++], j++;
    }
    return n;
}

// Is "higher better" for this measure (accuracies), or lower (steps, epochs)?
static int higher_better(const ws_claim_spec *c) { return !ws_claim_sums(c->measure); }

// The mean of learner l's values over seeds[0..n) leaving out index skip (-1: none).
static double mean_except(const ws_table *t, const ws_point *p, const ws_claim_spec *c, int l, const int64_t *seeds, int n,
                          int skip) {
    double sum = 0;
    int k = 0;
    for (int i = 0; i < n; i++) {
        const double v = i == skip ? NAN : value_of(t, p, c, l, seeds[i]);
        if (isfinite(v)) sum += v, k++;
    }
    return k ? sum / k : NAN;
}

// The per-seed values of the claim at p: a - b (b: the better of b and b2, chosen for each seed by
// the means over the other seeds), or a alone, for the seeds given; NAN where missing.
static void values_at(const ws_table *t, const ws_point *p, const ws_claim_spec *c, int a, int b, int b2,
                      const int64_t *seeds, int n, double *v) {
    for (int i = 0; i < n; i++) {
        int ref = b;
        if (b2 >= 0) {
            const double mb = mean_except(t, p, c, b, seeds, n, i), mb2 = mean_except(t, p, c, b2, seeds, n, i);
            const int b2_better = higher_better(c) ? mb2 > mb : mb2 < mb;
            ref = b2_better ? b2 : b;
        }
        const double va = value_of(t, p, c, a, seeds[i]), vb = ref >= 0 ? value_of(t, p, c, ref, seeds[i]) : 0;
        v[i] = va - vb;
    }
}

// ---- the runs that stopped at the cap -------------------------------------------------------------

typedef struct {
    char name[64];
    int hit, of;
    int64_t seeds[MAX_SEEDS];
} capped_learner;

// Learner l's runs behind the claim at p for the seeds: capped when any stage up to the last it
// reads stopped at the cap, or its own start did.
static void count_capped(const ws_table *t, const ws_point *p, const ws_claim_spec *c, int l, const int64_t *seeds, int n,
                         capped_learner *out) {
    int first, last;
    if (l < 0 || !stage_range(t, p, c, l, &first, &last)) return;
    // A round's start is every round before it; a trend over shares reads every share.
    if (!strcmp(t->scenario, "online") || !strcmp(c->trend, "share")) first = 0;
    snprintf(out->name, sizeof out->name, "%s", t->learners[l]);
    for (int i = 0; i < n; i++) {
        int hit = 0, any = 0;
        for (int k = first; k <= last; k++) {
            const ws_run *r = ws_point_run(p, l, seeds[i], k);
            if (r) any = 1, hit |= r->stop == WS_STOP_CAP || r->start_capped;
        }
        out->of += any;
        if (hit && out->hit < MAX_SEEDS) out->seeds[out->hit++] = seeds[i];
    }
}

static void capped_text(const capped_learner *v, int nv, char *out, size_t cap) {
    out[0] = 0;
    for (int k = 0; k < nv; k++) {
        if (!v[k].hit) continue;
        size_t len = strlen(out);
        snprintf(out + len, cap - len, "%s%d of %d %s run%s (seed%s", len ? "; " : "", v[k].hit, v[k].of, v[k].name,
                 v[k].of == 1 ? "" : "s", v[k].hit == 1 ? "" : "s");
        for (int i = 0; i < v[k].hit; i++) {
            len = strlen(out);
            snprintf(out + len, cap - len, "%s%lld", i ? ", " : " ", (long long)v[k].seeds[i]);
        }
        len = strlen(out);
        snprintf(out + len, cap - len, ")");
    }
}

// The runs of the learners compared and, for those that start from it (all but a fresh start,
// the kind random), of the base run (phase 1, the pretraining), stopped at the cap: the claim
// gets no verdict.
static void find_capped(const ws_table *t, const ws_point *p, const ws_claim_spec *c, const int *ls, int nl,
                        const int64_t *seeds, int n, char *out, size_t cap) {
    capped_learner v[5];
    memset(v, 0, sizeof v);
    int from_base = 0;
    for (int k = 0; k < nl; k++) {
        count_capped(t, p, c, ls[k], seeds, n, &v[k]);
        from_base |= ls[k] >= 0 && !t->fresh[ls[k]];
    }
    if (from_base && t->base >= 0) {
        ws_claim_spec base = *c;
        base.share = WS_SHARE_SMALLEST, base.rounds = WS_ROUNDS_ALL;
        count_capped(t, p, &base, t->base, seeds, n, &v[nl]);
    }
    capped_text(v, nl + 1, out, cap);
}

// The runs behind claim c stopped at the cap, into x->capped: at point p, or over every point of a
// trend over a sweep's axis (a trend over shares reads every share: count_capped).
static void capped_runs(const ws_table *t, const ws_claim_spec *c, const ws_point *p, const int ls[3], const int64_t *seeds,
                        int n, ws_claim *x) {
    const int over_points = c->trend[0] && strcmp(c->trend, "share");
    ws_claim_spec at = *c;
    if (!strcmp(c->trend, "share")) at.share = WS_SHARE_LARGEST;
    for (int q = 0; q < (over_points ? t->npoints : 1) && !x->capped[0]; q++)
        find_capped(t, over_points ? &t->points[q] : p, &at, ls, 3, seeds, n, x->capped, sizeof x->capped);
}

// ---- one claim --------------------------------------------------------------------------------------

typedef struct {
    const ws_table *t;
    int standin;
    ws_claim *out;
    int cap, *n;
} sink;

// A range of rounds (tasks) in words: "last round", "the first 5 tasks".
static void range_text(char *out, size_t cap, ws_claim_rounds r, int k, int tasks) {
    const char *unit = tasks ? "task" : "round";
    if (r == WS_ROUNDS_LAST) ws_append(out, cap, "last %s", unit);
    else if (r == WS_ROUNDS_AFTER_FIRST) ws_append(out, cap, "%ss 2 on", unit);
    else if (r == WS_ROUNDS_ALL) ws_append(out, cap, "all %ss", unit);
    else ws_append(out, cap, "the %s %d %s%s", r == WS_ROUNDS_FIRST_K ? "first" : "last", k, unit, k == 1 ? "" : "s");
}

// Where the claim reads the runs, in words.
static void where_text(const ws_table *t, const ws_claim_spec *c, const char *point, char *out, size_t cap) {
    out[0] = 0;
    if (point[0]) ws_append(out, cap, "%s", point);
    const int tasks = !strcmp(t->scenario, "continual");
    if (tasks || !strcmp(t->scenario, "online")) {
        ws_append(out, cap, "%s", out[0] ? ", " : "");
        range_text(out, cap, c->rounds, c->rounds_k, tasks);
        if (c->contrast) {
            ws_append(out, cap, " against ");
            range_text(out, cap, c->rounds2, c->rounds2_k, tasks);
        }
        if (c->rounds_every > 1)
            ws_append(out, cap, ", every %d%s", c->rounds_every, c->rounds_every == 2 ? "nd" : c->rounds_every == 3 ? "rd" : "th");
    }
    if (c->share == WS_SHARE_SMALLEST) ws_append(out, cap, "%sthe smallest share", out[0] ? ", " : "");
    else if (c->share == WS_SHARE_LARGEST) ws_append(out, cap, "%sthe largest share", out[0] ? ", " : "");
    else if (c->share > 0) ws_append(out, cap, "%s%g %% of the target", out[0] ? ", " : "", c->share);
    if (c->trend[0]) ws_append(out, cap, "%strend over %s", out[0] ? ", " : "", c->trend);
}

// "1 point", "2.5 points": units after a value.
static const char *units_of(double v, const char *units) {
    if (fabs(v) != 1) return units;
    return !strcmp(units, "points") ? "point" : !strcmp(units, "steps") ? "step" : !strcmp(units, "epochs") ? "epoch" : units;
}

// What sizes the verdict: E where measured here, else the declared smallest effect of interest;
// a margin claim's margin.
static void size_claim(ws_claim *x, int standin) {
    const ws_claim_spec *c = &x->spec;
    x->size = NAN;
    x->size_origin[0] = 0;
    if (c->kind != WS_KIND_DIFFERENCE) {
        x->size = c->margin;
        snprintf(x->size_origin, sizeof x->size_origin, "the margin, %g %s", c->margin, units_of(c->margin, x->units));
        return;
    }
    x->effect_elsewhere = isfinite(c->effect) && (!c->effect_here || standin);
    if (isfinite(c->effect) && !x->effect_elsewhere && c->effect > 0) {
        x->size = c->effect;
        snprintf(x->size_origin, sizeof x->size_origin, "the paper's effect in this setting, %+.2f %s", c->effect,
                 units_of(c->effect, x->units));
    } else if (isfinite(c->sesoi)) {
        x->size = c->sesoi;
        snprintf(x->size_origin, sizeof x->size_origin, "the smallest effect of interest, %g %s", c->sesoi,
                 units_of(c->sesoi, x->units));
    }
}

// Digits after the point: counts (steps, epochs) whole, the rest to a hundredth.
static int decimals(const char *units) { return !strcmp(units, "steps") || !strcmp(units, "epochs") ? 0 : 2; }

static void measured_text(ws_claim *x, int n) {
    const ws_decision *d = &x->d;
    char *m = x->measured;
    const size_t cap = sizeof x->measured;
    m[0] = 0;
    const int k = decimals(x->units);
    if (d->n == 0) ws_append(m, cap, "no values (%d seed%s, none with both runs)", n, n == 1 ? "" : "s");
    else if (d->n == 1) ws_append(m, cap, "%+.*f %s (1 seed: no interval)", k, d->mean, x->units);
    else if (d->all_equal) ws_append(m, cap, "%+.*f %s on every one of %d seeds (no spread)", k, d->mean, x->units, d->n);
    else if (x->spec.kind == WS_KIND_EVERY_SEED)
        ws_append(m, cap, "%+.*f %s, from %+.*f to %+.*f over %d seeds", k, d->mean, x->units, k, d->lo, k, d->hi, d->n);
    else ws_append(m, cap, "%+.*f ± %.*f %s (%d seeds)", k, d->mean, k, d->half95, x->units, d->n);
    if (x->spec.kind == WS_KIND_EQUIVALENCE && isfinite(d->lo)) ws_append(m, cap, "; 90 %% interval [%+.2f, %+.2f]", d->lo, d->hi);
    if (d->missing) ws_append(m, cap, "; %d seed%s missing a value", d->missing, d->missing == 1 ? "" : "s");
}

// The comparison "A - B" with the claim's measure and where, over the seeds: "A - B +x ± y units".
static void beside_text(const ws_table *t, const ws_point *p, const ws_claim_spec *c, const char *a, const char *b,
                        const int64_t *seeds, int n, char *out, size_t cap) {
    const int la = ws_table_learner(t, a), lb = ws_table_learner(t, b);
    double v[MAX_SEEDS], d[MAX_SEEDS];
    int k = 0;
    if (la < 0 || lb < 0) return;
    values_at(t, p, c, la, lb, -1, seeds, n, v);
    for (int i = 0; i < n; i++)
        if (isfinite(v[i])) d[k++] = v[i];
    const ws_summary s = ws_summarize(d, k);
    if (!k) return;
    const int dec = decimals(ws_claim_units(c->measure));
    ws_append(out, 300, "%s%s - %s %+.*f", out[0] ? "; " : "", a, b, dec, s.mean);
    if (k > 1) ws_append(out, 300, " ± %.*f", dec, s.ci95);
    ws_append(out, 300, " %s", ws_claim_units(c->measure));
}

// The pick: among the learners named pick_among*, on the pick seeds, those whose mean accuracy is
// at least the reference's minus pick_within; of those the one with the fewest mean steps. -1: none.
static int pick_learner(const ws_table *t, const ws_point *p, const ws_claim_spec *c, int ref, const int64_t *seeds, int n,
                        char *why, size_t cap) {
    // The same cell whatever the claim measures: accuracy over the rounds where the learners differ
    // (2 on), steps over all of them.
    ws_claim_spec acc = *c, cost = *c;
    acc.measure = WS_CM_TEST_ACC, cost.measure = WS_CM_STEPS, cost.rounds = WS_ROUNDS_ALL;
    acc.rounds = ws_point_stages(p, ref) >= 2 ? WS_ROUNDS_AFTER_FIRST : WS_ROUNDS_LAST;
    const double target = mean_except(t, p, &acc, ref, seeds, n, -1) - c->pick_within;
    int best = -1, capped = 0;
    double best_cost = INFINITY;
    for (int l = 0; l < t->nlearners; l++) {
        if (strncmp(t->learners[l], c->pick_among, strlen(c->pick_among))) continue;
        // A candidate whose runs stopped at the epoch cap is not compared at the threshold: left out.
        capped_learner runs = {0};
        count_capped(t, p, &cost, l, seeds, n, &runs);
        if (runs.hit) {
            capped++;
            continue;
        }
        const double a = mean_except(t, p, &acc, l, seeds, n, -1), s = mean_except(t, p, &cost, l, seeds, n, -1);
        if (a >= target && s < best_cost) best = l, best_cost = s;
    }
    snprintf(why, cap, "%s, the fewest mean steps among %s* within %g %s of %s's mean test accuracy on seed%s %lld",
             best >= 0 ? t->learners[best] : "none", c->pick_among, c->pick_within, units_of(c->pick_within, "points"),
             t->learners[ref], n == 1 ? "" : "s",
             n ? (long long)seeds[0] : 0LL);
    if (n > 1) ws_append(why, cap, "–%lld", (long long)seeds[n - 1]);
    if (capped) ws_append(why, cap, " (%d left out: runs at the epoch cap)", capped);
    return best;
}

// best(PREFIX)'s choice: of the learners named PREFIX*, the highest mean selection score over the
// seeds (a task sequence's total average online accuracy: every task's online accuracy averaged;
// else the test accuracy over the rounds where learners differ). -1: none has a value.
static int best_of(const ws_table *t, const ws_point *p, const ws_claim_spec *c, const char *prefix,
                   const int64_t *seeds, int n, double *score) {
    ws_claim_spec sel = *c;
    sel.contrast = 0, sel.rounds_k = 0;
    if (!strcmp(t->scenario, "continual")) sel.measure = WS_CM_ONLINE_ACC, sel.rounds = WS_ROUNDS_ALL;
    else sel.measure = WS_CM_TEST_ACC, sel.rounds = WS_ROUNDS_LAST;
    int best = -1;
    *score = -INFINITY;
    for (int l = 0; l < t->nlearners; l++) {
        if (strncmp(t->learners[l], prefix, strlen(prefix))) continue;
        const double m = mean_except(t, p, &sel, l, seeds, n, -1);
        if (isfinite(m) && m > *score) *score = m, best = l;
    }
    return best;
}

// Each best(PREFIX) side chosen on the first pick_seeds seed ids (those of the side's first
// candidate); *first becomes pick_seeds, so that the claim is tested on the other seeds only.
// 0: nothing to choose from.
static int choose_best(const ws_table *t, const ws_point *p, const ws_claim_spec *c, int *a, int *b, int64_t *seeds,
                       int *n, int *first, char *why, size_t cap) {
    const char *side = c->a_best ? c->a : c->b;
    int any = -1;
    for (int l = 0; l < t->nlearners && any < 0; l++)
        if (!strncmp(t->learners[l], side, strlen(side))) any = l;
    *n = any >= 0 ? seeds_of(p, any, -1, seeds) : 0;
    const int choose = c->pick_seeds ? (c->pick_seeds < *n ? c->pick_seeds : *n) : *n;
    why[0] = 0;
    for (int k = 0; k < 2; k++) {
        if (!(k ? c->b_best : c->a_best)) continue;
        double score;
        const char *prefix = k ? c->b : c->a;
        const int l = best_of(t, p, c, prefix, seeds, choose, &score);
        ws_append(why, cap, "%sbest(%s): %s (%.2f %%)", why[0] ? "; " : "", prefix, l >= 0 ? t->learners[l] : "none",
                  isfinite(score) ? score : NAN);
        if (l < 0) return 0;
        *(k ? b : a) = l;
    }
    ws_append(why, cap, ", chosen by %s on seed%s %lld", !strcmp(t->scenario, "continual") ? "the mean total online accuracy" : "the mean test accuracy",
              choose == 1 ? "" : "s", choose ? (long long)seeds[0] : 0LL);
    if (choose > 1) ws_append(why, cap, "–%lld", (long long)seeds[choose - 1]);
    if (c->pick_seeds) {
        *first = choose;
        ws_append(why, cap, "; tested on the other %d seed%s", *n - choose, *n - choose == 1 ? "" : "s");
    }
    return 1;
}

// The per-seed slope of the values over a sweep axis (or transfer's shares), times the axis's span:
// the fitted change from its first value to its last.
static void trend_values(const ws_table *t, const ws_claim_spec *c, int a, int b, const int64_t *seeds, int n, double *v) {
    const int shares = !strcmp(c->trend, "share");
    const ws_point *p0 = &t->points[0];
    const int npts = shares ? ws_point_stages(p0, a) : t->npoints;
    double xmin = INFINITY, xmax = -INFINITY;
    for (int i = 0; i < n; i++) {
        double sx = 0, sy = 0, sxx = 0, sxy = 0;
        int k = 0;
        for (int q = 0; q < npts; q++) {
            ws_claim_spec at = *c;
            const ws_point *p = shares ? p0 : &t->points[q];
            double x = NAN;
            if (shares) {
                const ws_run *r = ws_point_run(p, a, seeds[i], q);
                x = r ? 100 * r->m[WS_M_FRACTION] : NAN;
                at.share = x;
            } else {
                for (int ax = 0; ax < p->naxes; ax++)
                    if (!strcmp(p->axis[ax], c->trend)) x = strtod(p->value[ax], NULL);
            }
            double y;
            values_at(t, p, &at, a, b, -1, &seeds[i], 1, &y);
            if (!isfinite(x) || !isfinite(y)) continue;
            if (x < xmin) xmin = x;
            if (x > xmax) xmax = x;
            sx += x, sy += y, sxx += x * x, sxy += x * y, k++;
        }
        const double den = k * sxx - sx * sx;
        v[i] = k >= 2 && den > 0 ? (k * sxy - sx * sy) / den : NAN;
    }
    for (int i = 0; i < n; i++) v[i] *= xmax - xmin;
}

static ws_claim *next_claim(sink *s, const ws_claim_spec *c, const char *artefact, const char *point) {
    if (*s->n == s->cap) return NULL;
    ws_claim *x = &s->out[(*s->n)++];
    memset(x, 0, sizeof *x);
    x->spec = *c;
    snprintf(x->spec.point, sizeof x->spec.point, "%s", point);
    snprintf(x->artefact, sizeof x->artefact, "%s", artefact);
    snprintf(x->id, sizeof x->id, "%s", c->id);
    if (!strcmp(c->point, "each") && point[0]) ws_append(x->id, sizeof x->id, "@%s", point);
    snprintf(x->units, sizeof x->units, "%s", ws_claim_units(c->measure));
    where_text(s->t, c, point, x->where, sizeof x->where);
    x->p_adjusted = NAN;
    x->verdict = x->adjusted = x->d.verdict = WS_VERDICT_NO_DATA;
    x->d.seeds_lo = x->d.seeds_hi = -1;
    snprintf(x->out_of_family, sizeof x->out_of_family, "no data");
    return x;
}

// Decide x on values v of seeds[0..n) (NAN: missing).
static void decide(ws_claim *x, const double *v, int n) {
    const ws_claim_spec *c = &x->spec;
    ws_rule rule = {c->kind, c->kind == WS_KIND_DIFFERENCE ? 0 : c->margin, x->size};
    if (c->kind != WS_KIND_DIFFERENCE) rule.effect = NAN;
    x->d = ws_decide(&rule, v, n);
    x->verdict = x->d.verdict;
    measured_text(x, n);
    if (c->exploratory) x->verdict = WS_VERDICT_EXPLORATORY;
    if (x->capped[0] && x->verdict != WS_VERDICT_NO_DATA) x->verdict = WS_VERDICT_NOT_CONVERGED;
    if (x->verdict != WS_VERDICT_UNDECIDED) x->d.seeds_lo = x->d.seeds_hi = -1;
    // The family Holm adjusts over: the confirmatory claims that were tested.
    const char *out = c->exploratory ? "exploratory"
                      : c->kind == WS_KIND_EVERY_SEED ? "checked on every run, not a test"
                      : x->verdict == WS_VERDICT_NO_DATA ? "no data"
                      : x->verdict == WS_VERDICT_NOT_CONVERGED ? "no verdict"
                      : !isfinite(x->d.p) ? "no interval" : "";
    x->in_family = !out[0];
    snprintf(x->out_of_family, sizeof x->out_of_family, "%s", out);
}

static void evaluate_at(sink *s, const ws_claim_spec *c, const ws_point *p, const char *artefact) {
    const ws_table *t = s->t;
    ws_claim *x = next_claim(s, c, artefact, c->trend[0] ? "" : p->params);
    if (!x) return;
    size_claim(x, s->standin);
    if (!p->nruns) {
        snprintf(x->measured, sizeof x->measured, "no results at this point (every seed had a diverged unit)");
        return;
    }
    int a = c->a_pick ? -1 : ws_table_learner(t, c->a), b = c->b_pick || !c->b[0] ? -1 : ws_table_learner(t, c->b);
    const int b2 = c->b2[0] ? ws_table_learner(t, c->b2) : -1, picks = c->a_pick || c->b_pick;
    const int ref = c->a_pick ? b : a; // what a pick is measured against
    int64_t seeds[MAX_SEEDS];
    int n = picks ? seeds_of(p, ref, -1, seeds) : seeds_of(p, a, b, seeds), first = 0;
    if (c->a_best || c->b_best) {
        if (!choose_best(t, p, c, &a, &b, seeds, &n, &first, x->pick, sizeof x->pick)) {
            snprintf(x->measured, sizeof x->measured, "nothing chosen: %s", x->pick);
            x->verdict = WS_VERDICT_NO_DATA;
            return;
        }
    }
    if (picks && ref >= 0) {
        const int choose = c->pick_seeds ? (c->pick_seeds < n ? c->pick_seeds : n) : n;
        const int chosen = pick_learner(t, p, c, ref, seeds, choose, x->pick, sizeof x->pick);
        if (c->a_pick) a = chosen;
        else b = chosen;
        if (c->pick_seeds) first = choose, ws_append(x->pick, sizeof x->pick, "; tested on the other %d seed%s", n - choose,
                                                  n - choose == 1 ? "" : "s");
        if (chosen < 0) {
            snprintf(x->measured, sizeof x->measured, "nothing picked: %s", x->pick);
            x->verdict = WS_VERDICT_NO_DATA;
            return;
        }
    }
    if (a < 0 || (c->b[0] && b < 0) || (c->b2[0] && b2 < 0)) {
        snprintf(x->measured, sizeof x->measured, "no runs of %s%s%s in the results", c->a, c->b[0] ? " or " : "", c->b);
        x->verdict = WS_VERDICT_NO_DATA;
        return;
    }
    double v[MAX_SEEDS];
    if (c->trend[0]) trend_values(t, c, a, b, seeds + first, n - first, v);
    else values_at(t, p, c, a, b, b2, seeds + first, n - first, v);
    if (ws_claim_at_threshold(c->measure)) capped_runs(t, c, p, (const int[]){a, b, b2}, seeds + first, n - first, x);
    decide(x, v, n - first);
    if (c->measure == WS_CM_STEPS && b >= 0 && b2 < 0 && !c->trend[0]) {
        ws_claim_spec secs = *c;
        secs.measure = WS_CM_SECONDS;
        beside_text(t, p, &secs, t->learners[a], t->learners[b], seeds + first, n - first, x->beside, sizeof x->beside);
    }
    if (c->beside_a[0]) beside_text(t, p, c, c->beside_a, c->beside_b, seeds + first, n - first, x->beside, sizeof x->beside);
}

ws_status ws_claims_evaluate(ws_ctx *ctx, const ws_table *t, const ws_claim_spec *specs, int nspecs, int standin,
                             const char *artefact, ws_claim *out, int cap, int *n) {
    sink s = {t, standin, out, cap, n};
    for (int i = 0; i < nspecs; i++) {
        const ws_claim_spec *c = &specs[i];
        if (!t->npoints) {
            ws_claim *x = next_claim(&s, c, artefact, "");
            if (x) snprintf(x->measured, sizeof x->measured, "no results (every seed diverged)");
            continue;
        }
        if (c->trend[0] || !t->sweep) {
            evaluate_at(&s, c, &t->points[0], artefact);
            continue;
        }
        if (!strcmp(c->point, "each")) {
            for (int k = 0; k < t->npoints; k++) evaluate_at(&s, c, &t->points[k], artefact);
            continue;
        }
        const ws_point *p = ws_table_point(t, c->point);
        if (p) evaluate_at(&s, c, p, artefact);
        else {
            ws_claim *x = next_claim(&s, c, artefact, c->point);
            if (x) snprintf(x->measured, sizeof x->measured, "no results at this point");
        }
    }
    if (*n == cap) return ws_fail(ctx, WS_ERR_ARG, "more than %d claims", cap);
    return WS_OK;
}

// ---- the family ---------------------------------------------------------------------------------

void ws_claims_adjust(ws_claim *c, int n) {
    double *p = ws_sys_malloc(sizeof *p * (size_t)(n ? n : 1)), *adj = ws_sys_malloc(sizeof *adj * (size_t)(n ? n : 1));
    if (!p || !adj) {
        free(p), free(adj);
        for (int i = 0; i < n; i++) c[i].adjusted = c[i].verdict; // no memory: unadjusted, as said
        return;
    }
    for (int i = 0; i < n; i++) p[i] = c[i].in_family ? c[i].d.p : NAN;
    ws_holm(p, n, adj);
    for (int i = 0; i < n; i++) {
        c[i].p_adjusted = adj[i];
        c[i].adjusted = c[i].in_family && c[i].verdict == c[i].d.verdict ? ws_verdict_adjusted(&c[i].d, adj[i]) : c[i].verdict;
    }
    free(p), free(adj);
}

double ws_claims_chance_yes(const ws_claim *c, int n) {
    double e = 0;
    for (int i = 0; i < n; i++)
        if (c[i].in_family) e += c[i].spec.kind == WS_KIND_EQUIVALENCE ? 0.05 : 0.025;
    return e;
}

// ---- claims.json ----------------------------------------------------------------------------------

static cJSON *number_or_null(double x) { return isfinite(x) ? cJSON_CreateNumber(x) : cJSON_CreateNull(); }

static cJSON *claim_json(const ws_claim *x) {
    static const char *const kinds[] = {"difference", "equivalence", "non-inferiority", "every-seed"};
    const ws_claim_spec *c = &x->spec;
    cJSON *o = cJSON_CreateObject(), *l = cJSON_CreateArray();
    cJSON_AddStringToObject(o, "id", x->id);
    cJSON_AddStringToObject(o, "artefact", x->artefact);
    cJSON_AddStringToObject(o, "text", c->says);
    cJSON_AddStringToObject(o, "kind", kinds[c->kind]);
    cJSON_AddBoolToObject(o, "confirmatory", !c->exploratory);
    const char *names[3] = {c->a, c->b, c->b2};
    for (int i = 0; i < 3; i++)
        if (names[i][0]) ws_json_push(l, cJSON_CreateString(names[i]));
    ws_json_put(o, "learners", l);
    cJSON_AddStringToObject(o, "measure", ws_claim_measure_name(c->measure));
    cJSON_AddStringToObject(o, "units", x->units);
    cJSON_AddStringToObject(o, "where", x->where);
    cJSON_AddNumberToObject(o, "n", x->d.n);
    cJSON_AddNumberToObject(o, "missing", x->d.missing);
    ws_json_put(o, "mean_difference", number_or_null(x->d.mean));
    ws_json_put(o, "half_width_95", number_or_null(x->d.half95));
    if (c->kind != WS_KIND_DIFFERENCE) ws_json_put(o, "margin", number_or_null(c->margin));
    ws_json_put(o, "effect_sizing", number_or_null(x->size));
    cJSON_AddStringToObject(o, "effect_origin", x->size_origin);
    ws_json_put(o, "paper_effect", number_or_null(c->effect));
    cJSON_AddStringToObject(o, "paper_effect_setting", !isfinite(c->effect) ? "" : x->effect_elsewhere ? "other" : "same");
    cJSON_AddStringToObject(o, "paper", c->paper);
    cJSON_AddStringToObject(o, "source", c->source);
    cJSON_AddStringToObject(o, "verdict", ws_verdict_word(x->verdict));
    cJSON_AddStringToObject(o, "adjusted_verdict", ws_verdict_word(x->adjusted));
    ws_json_put(o, "p", number_or_null(x->d.p));
    ws_json_put(o, "p_adjusted", number_or_null(x->p_adjusted));
    cJSON_AddBoolToObject(o, "in_family", x->in_family);
    if (!x->in_family) cJSON_AddStringToObject(o, "out_of_family", x->out_of_family);
    cJSON *s = cJSON_AddArrayToObject(o, "seeds_for_80_power");
    if (x->d.seeds_lo >= 0) {
        ws_json_push(s, cJSON_CreateNumber(x->d.seeds_lo));
        ws_json_push(s, cJSON_CreateNumber(x->d.seeds_hi));
    }
    if (x->capped[0]) cJSON_AddStringToObject(o, "capped", x->capped);
    if (x->pick[0]) cJSON_AddStringToObject(o, "pick", x->pick);
    cJSON_AddStringToObject(o, "measured", x->measured);
    if (x->beside[0]) cJSON_AddStringToObject(o, "beside", x->beside);
    return o;
}

ws_status ws_claims_write_json(ws_ctx *ctx, const char *path, const ws_claim *c, int n) {
    cJSON *j = cJSON_CreateObject();
    int family = 0;
    for (int i = 0; i < n; i++) family += c[i].in_family;
    cJSON_AddNumberToObject(j, "claims", n);
    cJSON_AddNumberToObject(j, "family", family);
    cJSON_AddStringToObject(j, "adjustment", "Holm, family-wise 5 %");
    cJSON_AddNumberToObject(j, "chance_yes", ws_claims_chance_yes(c, n));
    cJSON *arr = cJSON_AddArrayToObject(j, "items");
    for (int i = 0; i < n; i++) ws_json_push(arr, claim_json(&c[i]));
    ws_status st = ws_json_write_file(ctx, path, j);
    cJSON_Delete(j);
    return st;
}
