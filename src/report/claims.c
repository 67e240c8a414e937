#define _POSIX_C_SOURCE 200809L
#include "report/claims.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exp/sweep.h"
#include "io/jsonl.h"

#define MAX_COLS 20
#define MAX_SEEDS 256
#define MAX_ROUNDS 128

const char *ws_verdict_word(ws_verdict v) {
    switch (v) {
    case WS_VERDICT_HOLDS: return "yes";
    case WS_VERDICT_NOT_SHOWN: return "not shown";
    case WS_VERDICT_UNDECIDED: return "undecided";
    case WS_VERDICT_OPPOSITE: return "no: the opposite";
    case WS_VERDICT_NOT_CONVERGED: return "no verdict";
    default: return "no data";
    }
}

// The words this file writes into a claim's "where" that a plot's row can do without.
#define OF_THE_TARGET " % of the target"
#define GRID_REGION "within 1 point of random (means): "

void ws_claim_label(const ws_claim *c, char *out, size_t cap) {
    char where[160];
    snprintf(where, sizeof where, "%s", c->where);
    char *cut = strstr(where, OF_THE_TARGET);
    if (cut) memmove(cut + 2, cut + strlen(OF_THE_TARGET), strlen(cut + strlen(OF_THE_TARGET)) + 1); // "5 %"
    if (!strncmp(where, GRID_REGION, strlen(GRID_REGION))) where[0] = 0; // the tag names the cell
    snprintf(out, cap, "%s%s: %s", where[0] ? " " : "", where, c->tag[0] ? c->tag : c->claim);
}

double ws_claim_size(const ws_claim *c) {
    if (c->tolerance > 0) return c->tolerance;
    return isfinite(c->effect) && c->effect != 0 ? fabs(c->effect) : NAN;
}

void ws_claim_verdict_text(const ws_claim *c, char *out, size_t cap) {
    // What "the interval includes 0" means for an equivalence claim: it reaches past the tolerance.
    const int eq = c->tolerance > 0;
    switch (c->verdict) {
    case WS_VERDICT_NOT_SHOWN:
        if (!isfinite(ws_claim_size(c))) snprintf(out, cap, "not shown (the interval includes 0; no paper number to size it)");
        else if (eq) snprintf(out, cap, "not shown: the interval reaches past the tolerance and is narrower than it");
        else snprintf(out, cap, "not shown: the interval includes 0 and is narrower than the paper's effect");
        break;
    case WS_VERDICT_UNDECIDED:
        if (c->n < 2 || !isfinite(c->half)) snprintf(out, cap, "undecided: one seed gives no interval");
        else if (eq) snprintf(out, cap, "undecided: the interval is wider than the tolerance");
        else snprintf(out, cap, "undecided: the interval is wider than the paper's effect");
        break;
    case WS_VERDICT_NOT_CONVERGED:
        snprintf(out, cap, "no verdict: runs stopped at the epoch cap: %s", c->not_converged);
        break;
    default: snprintf(out, cap, "%s", ws_verdict_word(c->verdict));
    }
}

// ---- one point's results: per learner, per seed ------------------------------------------------

typedef struct {
    char name[64];
    int n;
    int seed[MAX_SEEDS];   // the record's seed (its position, from 1, where it has none)
    int capped[MAX_SEEDS]; // the run (online: any of its rounds) stopped at the epoch cap
    double acc[MAX_SEEDS], secs[MAX_SEEDS], steps[MAX_SEEDS]; // seconds and gradient steps: summed over rounds
    double train_acc[MAX_SEEDS];  // the two-phase runs' final training accuracy
    // The two-phase runs' measurements: Figure 5's gradient norm on new over old data, as the
    // percent excess of their ratio over 1, averaged over phase 2's first epoch (NAN: none);
    // Figure 6's accuracy of the shrunk model minus the unshrunk (points) at lambda 0.5 and at the
    // smallest lambda > 0, and the largest such change over every lambda > 0.
    double grad_excess[MAX_SEEDS], shrink_half[MAX_SEEDS], shrink_small[MAX_SEEDS], shrink_maxdev[MAX_SEEDS];
    double small_lambda;
    // Online/active: per seed, the mean test accuracy over the rounds after the first (where a
    // warm learner first starts from its previous model), and per round the sum over seeds.
    int nrounds;
    double later_rounds[MAX_SEEDS], round_sum[MAX_ROUNDS];
    int round_n[MAX_ROUNDS];
} column;

typedef struct {
    int ncols;
    column cols[MAX_COLS];
    column phase1;   // two-phase: phase 1's runs, transfer: the pretraining (only seed and capped):
                     // every learner but random starts from them
    int nrecords;    // records read: a record without a seed is numbered by its position
    int share;     // transfer: which share of B (-1: the largest)
    double fraction; // transfer: that share, as read
    char model[32], opt[16]; // from the records' configuration ("resnet18", "adam")
    int nobias;              // the records' model has no biases (configuration's model.bias false)
} table;

static column *col_named(table *t, const char *name) {
    for (int i = 0; i < t->ncols; i++)
        if (!strcmp(t->cols[i].name, name)) return &t->cols[i];
    if (t->ncols == MAX_COLS) return NULL;
    column *c = &t->cols[t->ncols++];
    memset(c, 0, sizeof *c);
    snprintf(c->name, sizeof c->name, "%s", name);
    return c;
}

static double num(const cJSON *o, const char *key) {
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(x) ? x->valuedouble : NAN;
}

// Did this run stop at the epoch cap before its threshold? "stop": "cap" says so; a record from
// before that field, by "converged": false (as ws_stop_reason_parse reads it). A run with
// neither (a hand-made record) or stopped otherwise (threshold, plateau, fixed epochs) did not.
static int run_capped(const cJSON *run) {
    const char *stop = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(run, "stop"));
    if (stop) return !strcmp(stop, "cap");
    return cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(run, "converged"));
}

static void put(table *t, const char *name, double acc, double secs, double steps, int seed, int capped) {
    column *c = !strcmp(name, "phase1") ? &t->phase1 : col_named(t, name);
    if (c && c->n < MAX_SEEDS) {
        c->seed[c->n] = seed, c->capped[c->n] = capped;
        c->acc[c->n] = acc, c->secs[c->n] = secs, c->steps[c->n] = steps;
        c->train_acc[c->n] = c->grad_excess[c->n] = c->shrink_half[c->n] = c->shrink_small[c->n] = c->shrink_maxdev[c->n] = NAN;
        c->n++;
    }
}

// A two-phase run's extra measurements into its column's last seed (put first).
static void put_run_extras(table *t, const char *name, const cJSON *run) {
    column *c = col_named(t, name);
    if (!c || !c->n) return;
    const int i = c->n - 1;
    c->train_acc[i] = num(run, "train_acc");
    const cJSON *g = cJSON_GetObjectItemCaseSensitive(run, "grad_log"), *sh = cJSON_GetObjectItemCaseSensitive(run, "shrink_eval");
    if (g) { // over phase 2's first epoch: steps up to steps / epochs
        const cJSON *st = cJSON_GetObjectItemCaseSensitive(g, "step"), *o = cJSON_GetObjectItemCaseSensitive(g, "old"),
                    *w = cJSON_GetObjectItemCaseSensitive(g, "new");
        const double per_epoch = num(run, "steps") / num(run, "epochs");
        double sum = 0;
        int k = 0;
        int m = cJSON_GetArraySize(st);
        if (cJSON_GetArraySize(o) < m) m = cJSON_GetArraySize(o);
        if (cJSON_GetArraySize(w) < m) m = cJSON_GetArraySize(w); // a damaged record: what all three hold
        for (int j = 0; j < m; j++) {
            double step = cJSON_GetNumberValue(cJSON_GetArrayItem(st, j)), go = cJSON_GetNumberValue(cJSON_GetArrayItem(o, j)),
                   gn = cJSON_GetNumberValue(cJSON_GetArrayItem(w, j));
            if (step <= per_epoch && go > 0) sum += gn / go, k++;
        }
        if (k) c->grad_excess[i] = 100 * (sum / k - 1);
    }
    if (sh) {
        const cJSON *l = cJSON_GetObjectItemCaseSensitive(sh, "lambda"), *a = cJSON_GetObjectItemCaseSensitive(sh, "test_acc");
        double base = NAN, small = INFINITY, maxdev = 0;
        const int n = cJSON_GetArraySize(l) < cJSON_GetArraySize(a) ? cJSON_GetArraySize(l) : cJSON_GetArraySize(a);
        for (int j = 0; j < n; j++)
            if (cJSON_GetNumberValue(cJSON_GetArrayItem(l, j)) == 1) base = cJSON_GetNumberValue(cJSON_GetArrayItem(a, j));
        for (int j = 0; j < n && isfinite(base); j++) {
            const double lj = cJSON_GetNumberValue(cJSON_GetArrayItem(l, j)),
                         d = 100 * (cJSON_GetNumberValue(cJSON_GetArrayItem(a, j)) - base);
            if (lj == 0.5) c->shrink_half[i] = d;
            if (lj > 0 && lj < small) small = lj, c->shrink_small[i] = d;
            if (lj > 0 && fabs(d) > maxdev) maxdev = fabs(d);
        }
        if (isfinite(base)) c->shrink_maxdev[i] = maxdev, c->small_lambda = small;
    }
}

// A seed's record of batch.jsonl (runs), online.jsonl (learners' rounds: the
// last round's accuracy, the rounds' seconds summed) or transfer.jsonl (the share's runs).
static ws_status add_seed(ws_ctx *ctx, cJSON *rec, void *user) {
    table *t = user;
    const double seed_num = num(rec, "seed");
    const int seed = isfinite(seed_num) ? (int)seed_num : t->nrecords + 1;
    t->nrecords++;
    const cJSON *cfg = cJSON_GetObjectItemCaseSensitive(rec, "config");
    const char *model = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(cfg, "model"), "kind"));
    const char *opt = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(cfg, "phase1"), "optimizer"));
    if (model) snprintf(t->model, sizeof t->model, "%s", model);
    if (cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(cfg, "model"), "bias"))) t->nobias = 1;
    if (opt) snprintf(t->opt, sizeof t->opt, "%s", opt);
    const cJSON *x, *runs = cJSON_GetObjectItemCaseSensitive(rec, "runs");
    const cJSON *learners = cJSON_GetObjectItemCaseSensitive(rec, "learners");
    const cJSON *points = cJSON_GetObjectItemCaseSensitive(rec, "points");
    if (cJSON_IsObject(runs)) {
        cJSON_ArrayForEach(x, runs) {
            put(t, x->string, num(x, "test_acc"), num(x, "seconds"), num(x, "steps"), seed, run_capped(x));
            if (strcmp(x->string, "phase1")) put_run_extras(t, x->string, x);
        }
    } else if (cJSON_IsObject(learners)) {
        cJSON_ArrayForEach(x, learners) {
            double secs = 0, steps = 0, later = 0;
            int k = 0, capped = 0;
            const cJSON *r, *last = NULL;
            column *c = col_named(t, x->string);
            cJSON_ArrayForEach(r, x) {
                double acc = num(r, "test_acc");
                secs += num(r, "seconds"), steps += num(r, "steps"), last = r;
                capped |= run_capped(r);
                if (k >= 1) later += acc;
                if (c && k < MAX_ROUNDS) c->round_sum[k] += acc, c->round_n[k]++;
                k++;
            }
            if (c && c->n < MAX_SEEDS) c->later_rounds[c->n] = k > 1 ? later / (k - 1) : NAN;
            if (c && k > c->nrounds) c->nrounds = k < MAX_ROUNDS ? k : MAX_ROUNDS;
            if (last) put(t, x->string, num(last, "test_acc"), secs, steps, seed, capped);
        }
    } else if (cJSON_IsArray(points)) {
        int k = t->share < 0 ? cJSON_GetArraySize(points) - 1 : t->share;
        const cJSON *p = cJSON_GetArrayItem(points, k);
        t->fraction = num(p, "fraction");
        const cJSON *pre = cJSON_GetObjectItemCaseSensitive(rec, "pretrain");
        if (cJSON_IsObject(pre)) put(t, "phase1", num(pre, "test_acc"), num(pre, "seconds"), num(pre, "steps"), seed, run_capped(pre));
        cJSON_ArrayForEach(x, p) if (cJSON_IsObject(x) && cJSON_GetObjectItemCaseSensitive(x, "test_acc"))
            put(t, x->string, num(x, "test_acc"), num(x, "seconds"), num(x, "steps"), seed, run_capped(x));
    } else {
        return ws_fail(ctx, WS_ERR_FORMAT, "not a batch, online or transfer record");
    }
    return WS_OK;
}

static ws_status read_point_share(ws_ctx *ctx, const char *dir, table *t, int share) {
    const char *files[] = {"batch.jsonl", "online.jsonl", "transfer.jsonl"};
    memset(t, 0, sizeof *t);
    t->share = share;
    t->fraction = NAN;
    for (int k = 0; k < 3; k++) {
        char path[1400];
        snprintf(path, sizeof path, "%s/%s", dir, files[k]);
        if (access(path, F_OK) == 0) return ws_jsonl_each(ctx, path, add_seed, t, NULL);
    }
    return WS_OK; // no results (a point whose seeds all diverged): its claims have no data
}

static ws_status read_point(ws_ctx *ctx, const char *dir, table *t) { return read_point_share(ctx, dir, t, -1); }

// ---- claims ------------------------------------------------------------------------------------

typedef struct {
    ws_claim *out;
    int cap, n;
    const char *artefact;
    const char *where;
    const char *data;       // the point's dataset, for Table 1's numbers
    int smallest_share;     // transfer: the claims at the smallest share of the target
    char own_where[400];    // a "where" a claim writes for itself
} sink;

static ws_claim *next(sink *s) {
    if (s->n == s->cap) return NULL;
    ws_claim *c = &s->out[s->n++];
    memset(c, 0, sizeof *c);
    snprintf(c->where, sizeof c->where, "%s", s->where);
    // No numbers until a measurement fills them: a claim on means, or without data, has none.
    c->mean = c->half = c->sd = c->effect = NAN;
    c->seeds_needed = -1;
    return c;
}

typedef enum { ACCURACY, SECONDS, STEPS } metric;

// Paired differences b - a of accuracy (points), seconds or steps, over the seeds both have.
static int paired(const column *a, const column *b, metric m, double *d) {
    int n = a->n < b->n ? a->n : b->n;
    for (int i = 0; i < n; i++)
        d[i] = m == SECONDS ? b->secs[i] - a->secs[i] : m == STEPS ? b->steps[i] - a->steps[i] : 100 * (b->acc[i] - a->acc[i]);
    return n;
}

// An undecided claim's seeds to decide, from its own spread; -1 for every other verdict.
static void size_claim(ws_claim *c) {
    c->seeds_needed = c->verdict == WS_VERDICT_UNDECIDED && c->n >= 2
                          ? ws_seeds_to_decide(c->sd, ws_claim_size(c), WS_SEEDS_CAP) : -1;
}

// The claim's verdict on d, sized by the paper's effect (margin 0: a directional claim, effect in
// the claim's units and direction, NAN where the paper gives no number) or, for a claim "within
// margin" (d > -margin), by the margin itself -- the paper's claim is then that there is no
// difference, so its effect is 0.
static void fill(ws_claim *c, const char *claim, const char *paper, const double *d, int n, double margin,
                 const char *unit, double effect) {
    ws_summary s = {0};
    snprintf(c->claim, sizeof c->claim, "%s", claim);
    snprintf(c->paper, sizeof c->paper, "%s", paper);
    snprintf(c->units, sizeof c->units, "%s", unit);
    c->tolerance = margin > 0 ? margin : 0;
    c->effect = margin > 0 ? 0 : effect;
    const ws_verdict v = ws_verdict_paired(d, n, margin, &s);
    if (v != WS_VERDICT_NO_DATA) c->mean = s.mean, c->half = s.ci95, c->sd = s.sd, c->n = n;
    c->verdict = ws_verdict_sized(v, n, s.ci95, ws_claim_size(c));
    size_claim(c);
    if (v == WS_VERDICT_NO_DATA) snprintf(c->measured, sizeof c->measured, "no results");
    else if (n < 2) snprintf(c->measured, sizeof c->measured, "%+.2f %s (1 seed: no interval)", s.mean, unit);
    else snprintf(c->measured, sizeof c->measured, "%+.2f ± %.2f %s (%d seeds)", s.mean, s.ci95, unit, n);
}

// The runs of these columns (seeds 0..n-1 of each) that stopped at the epoch cap, as the report
// says it: "2 of 3 warm runs (seeds 1, 3)", a column after another joined by "; ". Their count.
static int capped_note(const column *const *cols, int ncols, int n, char *out, size_t cap) {
    int total = 0;
    out[0] = 0;
    for (int k = 0; k < ncols; k++) {
        const column *c = cols[k];
        if (!c) continue;
        const int m = c->n < n ? c->n : n;
        int hit = 0;
        for (int i = 0; i < m; i++) hit += c->capped[i];
        if (!hit) continue;
        size_t len = strlen(out);
        snprintf(out + len, cap - len, "%s%d of %d %s run%s (seed%s", total ? "; " : "", hit, m,
                 c->name[0] ? c->name : "phase-1", m == 1 ? "" : "s",
                 hit == 1 ? "" : "s");
        for (int i = 0, first = 1; i < m; i++)
            if (c->capped[i]) {
                len = strlen(out);
                snprintf(out + len, cap - len, "%s%d", first ? " " : ", ", c->seed[i]);
                first = 0;
            }
        len = strlen(out);
        snprintf(out + len, cap - len, ")");
        total += hit;
    }
    return total;
}

// No verdict for a claim whose runs (a, b and, when either is not random, phase 1 that they
// start from) stopped at the epoch cap before the threshold: their accuracy and time are not
// those at the threshold, which is what the paper compares. The measurement stays, for the plot.
static void unless_capped3(ws_claim *c, table *t, const column *a, const column *b, const column *x) {
    if (!c || c->verdict == WS_VERDICT_NO_DATA) return;
    const int starts_from_phase1 =
        (a && strcmp(a->name, "random")) || (b && strcmp(b->name, "random")) || (x && strcmp(x->name, "random"));
    const column *cols[4] = {starts_from_phase1 && t->phase1.n ? &t->phase1 : NULL, a, b, x};
    const int n = c->n > 0 ? c->n : MAX_SEEDS;
    if (capped_note(cols, 4, n, c->not_converged, sizeof c->not_converged)) {
        c->verdict = WS_VERDICT_NOT_CONVERGED;
        c->seeds_needed = -1;
    }
}
static void unless_capped(ws_claim *c, table *t, const column *a, const column *b) { unless_capped3(c, t, a, b, NULL); }

// Warm against random, paired by seed: random - warm in accuracy (points) or
// in training seconds; positive supports "warm generalises worse" / "warm trains faster".
static void claim_warm(sink *s, table *t, metric m, const char *claim, const char *tag, const char *paper, double effect) {
    column *w = col_named(t, "warm"), *r = col_named(t, "random");
    ws_claim *c = next(s);
    if (!c || !w || !r) return;
    double d[MAX_SEEDS];
    int n = paired(w, r, m, d);
    snprintf(c->tag, sizeof c->tag, "%s", tag);
    fill(c, claim, paper, d, n, 0, m == SECONDS ? "s" : m == STEPS ? "steps" : "points", effect);
    unless_capped(c, t, w, r);
}
// effect: the paper's random - warm in points (NAN: it gives none).
static void claim_gap(sink *s, table *t, const char *paper, double effect) {
    claim_warm(s, t, ACCURACY, "warm start generalises worse than random initialisation (random - warm, test accuracy)",
               "gap", paper, effect);
}
// Faster in seconds (what a user waits) and in gradient steps (compute, free of the machine's
// timing noise: deterministic for a seed). The paper gives no number for either.
static void claim_faster(sink *s, table *t, const char *paper) {
    claim_warm(s, t, SECONDS, "warm start trains faster than random initialisation (random - warm, training seconds)",
               "faster (s)", paper, NAN);
    claim_warm(s, t, STEPS, "warm start takes fewer gradient steps than random initialisation (random - warm, steps)",
               "fewer steps", paper, NAN);
}

// Per seed, 100 (a - b) of two learners' mean accuracy over rounds 2 on, where both have one.
static int later_round_gaps(const column *a, const column *b, double *d) {
    int n = a->n < b->n ? a->n : b->n, m = 0;
    for (int i = 0; i < n; i++)
        if (isfinite(a->later_rounds[i]) && isfinite(b->later_rounds[i])) d[m++] = 100 * (a->later_rounds[i] - b->later_rounds[i]);
    return m;
}

// The online figures' shape: warm below random over the rounds after the first (round 1 is
// where the two first differ), paired by seed on each seed's mean over those rounds; the
// measurement also counts the rounds where warm's mean over seeds is below random's.
static void claim_gap_over_rounds(sink *s, table *t, const char *paper) {
    column *w = col_named(t, "warm"), *r = col_named(t, "random");
    ws_claim *c = next(s);
    if (!c || !w || !r) return;
    double d[MAX_SEEDS];
    const int m = later_round_gaps(r, w, d);
    snprintf(c->tag, sizeof c->tag, "gap over rounds");
    fill(c, "warm start generalises worse than random over the rounds (random - warm, mean over rounds 2 on)", paper, d, m, 0,
         "points", NAN);
    unless_capped(c, t, w, r);
    int rounds = w->nrounds < r->nrounds ? w->nrounds : r->nrounds, below = 0, compared = 0;
    for (int k = 1; k < rounds; k++)
        if (w->round_n[k] && r->round_n[k])
            compared++, below += w->round_sum[k] / w->round_n[k] < r->round_sum[k] / r->round_n[k];
    if (compared) {
        size_t len = strlen(c->measured);
        snprintf(c->measured + len, sizeof c->measured - len, "; warm below at %d of %d rounds (means)", below, compared);
    }
}

// A remedy over the rounds: it recovers what warm start loses (it - warm, mean over rounds 2
// on, paired by seed: > 0); the measured text adds what remains to random (random - it).
static void claim_recovers_over_rounds(sink *s, table *t, const char *name, const char *brief, const char *paper) {
    column *x = col_named(t, name), *w = col_named(t, "warm"), *r = col_named(t, "random");
    ws_claim *c = next(s);
    if (!c || !x || !w) return;
    double d[MAX_SEEDS], rest[MAX_SEEDS];
    const int m = later_round_gaps(x, w, d);
    char text[200];
    snprintf(text, sizeof text, "%s recovers what warm start loses over the rounds (it - warm, mean over rounds 2 on)", name);
    snprintf(c->tag, sizeof c->tag, "%s above warm", brief);
    fill(c, text, paper, d, m, 0, "points", NAN);
    unless_capped(c, t, x, w);
    if (!r) return;
    const int k = later_round_gaps(r, x, rest);
    if (k > 0) {
        const ws_summary sm = ws_summarize(rest, k);
        size_t len = strlen(c->measured);
        snprintf(c->measured + len, sizeof c->measured - len, "; random - it %+.2f ± %.2f", sm.mean, sm.ci95);
    }
}

// A learner's name in a few characters, for a plot's row: "sp λ0.4 σ0.01" for
// "shrink-perturb:lambda=0.4:sigma=0.01".
static void short_name(const char *name, char *out, size_t cap) {
    static const char *const from[] = {"shrink-perturb", ":lambda=", ":sigma=", ":var=", ":"},
                             *const to[] = {"sp", " λ", " σ", " var ", " "};
    size_t k = 0;
    while (*name && k + 1 < cap) {
        int hit = 0;
        for (size_t i = 0; i < sizeof from / sizeof *from && !hit; i++)
            if (!strncmp(name, from[i], strlen(from[i]))) {
                const size_t len = strlen(to[i]);
                if (k + len >= cap) {
                    out[k] = 0;
                    return;
                }
                memcpy(out + k, to[i], len);
                k += len, name += strlen(from[i]), hit = 1;
            }
        if (!hit) out[k++] = *name++;
    }
    out[k] = 0;
}

// A remedy against random: "closes the gap" = within 1 point of random, or "does not" = below
// random (effect: the paper's random - it, points; NAN: none given).
static void claim_remedy(sink *s, table *t, const char *name, int closes, const char *paper, double effect) {
    column *x = col_named(t, name), *r = col_named(t, "random");
    ws_claim *c = next(s);
    if (!c || !x || !r) return;
    double d[MAX_SEEDS];
    char text[200], brief[40];
    int n;
    short_name(name, brief, sizeof brief);
    if (closes) {
        n = paired(r, x, ACCURACY, d); // remedy - random
        snprintf(text, sizeof text, "%s: as accurate as random, within 1 point (it - random)", name);
        snprintf(c->tag, sizeof c->tag, "%s ≈ random", brief);
        fill(c, text, paper, d, n, 1.0, "points", 0);
    } else {
        n = paired(x, r, ACCURACY, d); // random - remedy
        snprintf(text, sizeof text, "%s does not close the gap: below random (random - it)", name);
        snprintf(c->tag, sizeof c->tag, "%s below random", brief);
        fill(c, text, paper, d, n, 0, "points", effect);
    }
    unless_capped(c, t, x, r);
}

// Cheaper than random in seconds and in gradient steps (random - remedy); no number in the paper.
static void claim_cheaper(sink *s, table *t, const char *name, const char *paper) {
    column *x = col_named(t, name), *r = col_named(t, "random");
    char brief[40];
    short_name(name, brief, sizeof brief);
    for (int k = 0; k < 2; k++) {
        ws_claim *c = next(s);
        if (!c || !x || !r) return;
        double d[MAX_SEEDS];
        char text[200];
        int n = paired(x, r, k ? STEPS : SECONDS, d);
        snprintf(text, sizeof text, k ? "%s: fewer gradient steps than random (random - it, steps)"
                                      : "%s: less training time than random (random - it, seconds)", name);
        snprintf(c->tag, sizeof c->tag, "%s %s", brief, k ? "fewer steps" : "faster (s)");
        fill(c, text, paper, d, n, 0, k ? "steps" : "s", NAN);
        unless_capped(c, t, x, r);
    }
}

// Table 1 (NeurIPS 2020), random / warm test accuracy, logistic regression's rows included.
static const struct {
    const char *data, *model, *opt;
    double random, warm;
} TABLE1[] = {
    {"cifar10", "logreg", "sgd", 40.5, 39.6},    {"cifar10", "logreg", "adam", 33.8, 33.3},
    {"cifar100", "logreg", "sgd", 16.9, 16.3},   {"cifar100", "logreg", "adam", 10.2, 9.9},
    {"svhn", "logreg", "sgd", 28.0, 28.0},       {"svhn", "logreg", "adam", 22.4, 22.2},
    {"cifar10", "resnet18", "sgd", 56.2, 51.7},  {"cifar10", "resnet18", "adam", 78.0, 74.4},
    {"cifar10", "mlp", "sgd", 39.0, 37.4},       {"cifar10", "mlp", "adam", 39.4, 36.1},
    {"cifar100", "resnet18", "sgd", 18.2, 15.5}, {"cifar100", "resnet18", "adam", 41.4, 35.0},
    {"cifar100", "mlp", "sgd", 10.3, 9.4},       {"cifar100", "mlp", "adam", 11.6, 9.9},
    {"svhn", "resnet18", "sgd", 89.4, 87.5},     {"svhn", "resnet18", "adam", 93.6, 93.5},
    {"svhn", "mlp", "sgd", 76.5, 75.4},          {"svhn", "mlp", "adam", 76.7, 69.4},
};

// The paper's Table 1 entry for a point ("model=mlp opt=adam") of artefact table1-DATA: its
// wording for the paper column, and the gap it reports (NAN where the table has no entry).
static double table1_paper(const char *artefact, const char *where, char *out, size_t cap) {
    char data[32]; // "table1-cifar10" or "table1-cifar10-mlp-logreg": cifar10
    snprintf(data, sizeof data, "%.*s", (int)strcspn(artefact + 7, "-"), artefact + 7);
    snprintf(out, cap, "Table 1: a gap");
    for (size_t i = 0; i < sizeof TABLE1 / sizeof *TABLE1; i++) {
        char m[64], o[64];
        snprintf(m, sizeof m, "model=%s", TABLE1[i].model);
        snprintf(o, sizeof o, "opt=%s", TABLE1[i].opt);
        if (!strcmp(data, TABLE1[i].data) && strstr(where, m) && strstr(where, o)) {
            const double gap = TABLE1[i].random - TABLE1[i].warm;
            snprintf(out, cap, "Table 1, %s: random %.1f, warm %.1f (%s)", data, TABLE1[i].random, TABLE1[i].warm,
                     gap < 0.05 ? "no gap" : "a gap");
            size_t len = strlen(out);
            if (gap >= 0.05) snprintf(out + len - 1, cap - (len - 1), " of %.1f points)", gap);
            return gap;
        }
    }
    return NAN;
}

// The appendix's regularisation table: random / warm test accuracy under each regulariser at
// coefficients 1e-1 ... 1e-4 (the paper's Table in its appendix, read from its image).
static const struct {
    const char *artefact, *what;
    double random[4], warm[4];
} APPENDIX[] = {
    {"appendix-l2", "weight decay", {72.7, 55.4, 54.6, 55.1}, {63.9, 51.2, 50.5, 50.4}},
    {"appendix-adversarial", "adversarial training", {54.8, 55.1, 55.3, 55.6}, {52.4, 52.6, 52.7, 50.4}},
    {"appendix-confidence", "a confidence penalty", {53.1, 55.8, 55.4, 55.9}, {50.3, 50.0, 51.2, 49.3}},
};

// The paper's wording for a point ("wd=0.01") of an appendix artefact, and in *gap its random -
// warm (points; NAN where the table has no such coefficient); 0 if the artefact is not one.
static int appendix_paper(const char *artefact, const char *where, char *out, size_t cap, double *gap) {
    const char *eq = strchr(where, '=');
    const double coef = eq ? strtod(eq + 1, NULL) : NAN;
    *gap = NAN;
    for (size_t i = 0; i < sizeof APPENDIX / sizeof *APPENDIX; i++) {
        if (strcmp(artefact, APPENDIX[i].artefact)) continue;
        for (int k = 0; k < 4; k++)
            if (fabs(coef - pow(10, -(k + 1))) < 1e-12) {
                snprintf(out, cap, "appendix table, %s at %g: random %.1f, warm %.1f (a gap of %.1f points)", APPENDIX[i].what,
                         coef, APPENDIX[i].random[k], APPENDIX[i].warm[k], APPENDIX[i].random[k] - APPENDIX[i].warm[k]);
                *gap = APPENDIX[i].random[k] - APPENDIX[i].warm[k];
                return 1;
            }
        snprintf(out, cap, "appendix table, %s: regularisation does not resolve the gap", APPENDIX[i].what);
        return 1;
    }
    return 0;
}

// "alike": |d| within tol, both ends of the interval (holds), or the interval wholly beyond it (the
// opposite); otherwise sized by the tolerance: undecided when the interval is at least as wide as
// it (no run that noisy could show "alike"), not shown when narrower.
static void fill_within(ws_claim *c, const char *claim, const char *paper, const double *d, int n, double tol,
                        const char *unit) {
    double neg[MAX_SEEDS];
    for (int i = 0; i < n; i++) neg[i] = -d[i];
    fill(c, claim, paper, d, n, tol, unit, 0);
    c->two_sided = 1;
    if (c->verdict == WS_VERDICT_NO_DATA) return;
    ws_summary s;
    const ws_verdict up = ws_verdict_paired(d, n, tol, &s), down = ws_verdict_paired(neg, n, tol, &s);
    const ws_verdict v = up == WS_VERDICT_HOLDS && down == WS_VERDICT_HOLDS                 ? WS_VERDICT_HOLDS
                         : up == WS_VERDICT_OPPOSITE || down == WS_VERDICT_OPPOSITE ? WS_VERDICT_OPPOSITE
                                                                                     : WS_VERDICT_NOT_SHOWN;
    c->verdict = ws_verdict_sized(v, n, c->half, tol);
    size_claim(c);
}

// "no gap" (Table 1's logistic regression on SVHN with SGD: 28.0 / 28.0): an equivalence claim,
// random - warm within 1 point both ways -- the tolerance every "alike" of the report uses. (An
// interval that merely includes 0 is no evidence of no gap: a wide one always does.)
static void claim_no_gap(sink *s, table *t, const char *paper) {
    column *w = col_named(t, "warm"), *r = col_named(t, "random");
    ws_claim *c = next(s);
    if (!c || !w || !r) return;
    double d[MAX_SEEDS];
    int n = paired(w, r, ACCURACY, d);
    snprintf(c->tag, sizeof c->tag, "no gap");
    fill_within(c, "no gap: warm and random generalise alike, within 1 point (random - warm, test accuracy)", paper, d, n,
                1.0, "points");
    unless_capped(c, t, w, r);
}

// Transfer: shrink-perturb (the learner whose name starts so) as accurate as the better of warm
// and random, within 1 point (it - max(warm, random), paired by seed).
static void claim_best_of_both(sink *s, table *t, const char *paper) {
    column *x = NULL, *w = col_named(t, "warm"), *r = col_named(t, "random");
    for (int i = 0; i < t->ncols && !x; i++)
        if (!strncmp(t->cols[i].name, "shrink-perturb", 14)) x = &t->cols[i];
    ws_claim *c = next(s);
    if (!c || !w || !r) return;
    double d[MAX_SEEDS];
    int n = 0;
    if (x) {
        n = x->n < w->n ? x->n : w->n;
        n = n < r->n ? n : r->n;
        for (int i = 0; i < n; i++) d[i] = 100 * (x->acc[i] - (w->acc[i] > r->acc[i] ? w->acc[i] : r->acc[i]));
    }
    snprintf(c->tag, sizeof c->tag, "sp ≥ the better of both");
    fill(c, "shrink-perturb as accurate as the better of warm and random, within 1 point (it - the better)", paper, d, n, 1.0,
         "points", 0);
    unless_capped3(c, t, x, w, r);
}

static double mean_acc(const column *c) {
    double m = 0;
    for (int i = 0; i < c->n; i++) m += c->acc[i] / c->n;
    return m;
}

// The finite values of x[0..n) into d; their count.
static int finite_of(const double *x, int n, double *d) {
    int m = 0;
    for (int i = 0; i < n; i++)
        if (isfinite(x[i])) d[m++] = x[i];
    return m;
}

// Figure 1: similar training accuracy at the end (within 1 point), and warm's test accuracy lower.
static void claims_figure1(sink *s, table *t) {
    column *w = col_named(t, "warm"), *r = col_named(t, "random");
    ws_claim *c = next(s);
    if (!c || !w || !r) return;
    double d[MAX_SEEDS];
    int n = w->n < r->n ? w->n : r->n;
    for (int i = 0; i < n; i++) d[i] = 100 * (r->train_acc[i] - w->train_acc[i]);
    snprintf(c->tag, sizeof c->tag, "train acc alike");
    fill_within(c, "warm and random reach similar training accuracy, within 1 point (random - warm, final training accuracy)",
                "Figure 1: warm and random reach similar training accuracy", d, n, 1.0, "points");
    unless_capped(c, t, w, r);
    // The figure plots curves, no table; its setting (ResNet-18, SGD, CIFAR-10) is Table 1's cell.
    claim_gap(s, t, "Figure 1: warm's test accuracy is lower (its setting is Table 1's ResNet-SGD CIFAR-10 cell: random "
                    "56.2, warm 51.7)", 56.2 - 51.7);
}

// Figure 5: warm's gradient larger on the new data than on the old over phase 2's first epoch;
// random's alike (within 10 %); shrink-perturb's closer to alike than warm's.
static void claims_gradients(sink *s, table *t) {
    double d[MAX_SEEDS];
    for (int i = 0; i < t->ncols; i++) {
        column *x = &t->cols[i];
        ws_claim *c = next(s);
        if (!c) return;
        char text[200];
        int n = finite_of(x->grad_excess, x->n, d);
        if (!strcmp(x->name, "random")) {
            snprintf(c->tag, sizeof c->tag, "random: grads alike");
            fill_within(c, "random: gradient norms on new and old data alike, within 10 % (new / old - 1, phase 2's first "
                        "epoch)", "Figure 5: random's gradients on old and new data are alike", d, n, 10, "%");
        } else if (!strcmp(x->name, "warm")) {
            snprintf(c->tag, sizeof c->tag, "warm: new grad > old");
            fill(c, "warm: gradient norm larger on the new data than on the old (new / old - 1, phase 2's first epoch)",
                 "Figure 5: warm's gradient on the new data is larger than on the old", d, n, 0, "%", NAN);
        } else {
            column *w = col_named(t, "warm");
            int m = w ? (w->n < x->n ? w->n : x->n) : 0, k = 0;
            for (int j = 0; j < m; j++)
                if (isfinite(w->grad_excess[j]) && isfinite(x->grad_excess[j])) d[k++] = fabs(w->grad_excess[j]) - fabs(x->grad_excess[j]);
            snprintf(text, sizeof text, "%s: gradients on new and old data closer than warm's (new/old excess: warm's minus its)",
                     x->name);
            char brief[40];
            short_name(x->name, brief, sizeof brief);
            snprintf(c->tag, sizeof c->tag, "%s: grads closer", brief);
            fill(c, text, "Figure 5: shrink-perturb balances the gradients of old and new data", d, k, 0, "%", NAN);
        }
    }
}

// Figure 6, on the model trained from scratch on all the data (random's run): a bias-free ReLU
// MLP's predictions do not change (its output only scales by lambda^depth); the others' accuracy
// at lambda 0.5 and at the smallest lambda, against the unshrunk model, as measured.
static void claims_shrink_only(sink *s, table *t) {
    column *r = col_named(t, "random");
    if (!r) return;
    double d[MAX_SEEDS];
    ws_claim *c;
    const char *paper = "Figure 6: accuracy of a trained model shrunk by lambda, as plotted";
    if (t->nobias && !strcmp(t->model, "mlp")) {
        if (!(c = next(s))) return;
        int n = finite_of(r->shrink_maxdev, r->n, d);
        snprintf(c->tag, sizeof c->tag, "no bias: unchanged");
        fill_within(c, "bias-free MLP: shrinking leaves the accuracy as it is at every lambda > 0 (largest change; its "
                       "output only scales by lambda^depth)", "Figure 6: the MLP without biases", d, n, 0.05, "points");
        return;
    }
    if (!(c = next(s))) return;
    int n = finite_of(r->shrink_half, r->n, d);
    for (int i = 0; i < n; i++) d[i] = -d[i];
    snprintf(c->tag, sizeof c->tag, "λ 0.5 costs accuracy");
    fill(c, "shrinking by lambda 0.5 costs accuracy (unshrunk - shrunk)", paper, d, n, 0, "points", NAN);
    if (!(c = next(s))) return;
    n = finite_of(r->shrink_small, r->n, d);
    for (int i = 0; i < n; i++) d[i] = -d[i];
    char text[200];
    snprintf(text, sizeof text, "shrinking by the smallest lambda, %g, costs accuracy (unshrunk - shrunk)", r->small_lambda);
    snprintf(c->tag, sizeof c->tag, "λ %g costs accuracy", r->small_lambda);
    fill(c, text, paper, d, n, 0, "points", NAN);
}

// Figure 8: the cheapest lambda, sigma cell (by means) within 1 point of random's accuracy, then
// that cell paired by seed: as accurate (within 1 point) and cheaper.
static void claims_shrink_grid(sink *s, table *t) {
    column *r = col_named(t, "random");
    if (!r || !r->n) return;
    const double racc = mean_acc(r);
    int best = -1;
    double best_secs = INFINITY;
    char region[200] = "";
    for (int i = 0; i < t->ncols; i++) {
        column *x = &t->cols[i];
        if (strncmp(x->name, "shrink-perturb", 14) || !x->n || mean_acc(x) < racc - 0.01) continue;
        double secs = 0;
        for (int j = 0; j < x->n; j++) secs += x->secs[j] / x->n;
        size_t len = strlen(region);
        snprintf(region + len, sizeof region - len, "%s%s", len ? ", " : "", x->name + 15);
        if (secs < best_secs) best_secs = secs, best = i;
    }
    snprintf(s->own_where, sizeof s->own_where, GRID_REGION "%s", region[0] ? region : "none");
    s->where = s->own_where;
    if (best < 0) {
        ws_claim *c = next(s);
        if (!c) return;
        snprintf(c->claim, sizeof c->claim, "some lambda, sigma matches random's accuracy at less training time");
        snprintf(c->tag, sizeof c->tag, "a cell matches random");
        snprintf(c->paper, sizeof c->paper, "Figure 8: a region of lambda, sigma matches random at less compute");
        snprintf(c->measured, sizeof c->measured, "no cell within 1 point of random's %.2f %% (means)", 100 * racc);
        c->verdict = WS_VERDICT_OPPOSITE;
        return;
    }
    claim_remedy(s, t, t->cols[best].name, 1, "Figure 8: a region of lambda, sigma matches random's accuracy ...", 0);
    claim_cheaper(s, t, t->cols[best].name, "Figure 8: ... at less compute");
}

static void point_claims(sink *s, table *t) {
    const char *a = s->artefact;
    char paper[200];
    double gap;
    if (!strcmp(a, "figure1")) {
        claims_figure1(s, t);
    } else if (!strcmp(a, "gradient-norms")) {
        claims_gradients(s, t);
    } else if (!strncmp(a, "shrink-only", 11)) {
        claims_shrink_only(s, t);
    } else if (!strcmp(a, "shrink-perturb-grid")) {
        claims_shrink_grid(s, t);
    } else if (appendix_paper(a, s->where, paper, sizeof paper, &gap)) {
        claim_gap(s, t, paper, gap);
    } else if (!strncmp(a, "table1-", 7)) {
        // As the paper states it: a gap where Table 1 shows one (logistic regression's small
        // ones included), no gap where it shows none (logistic regression on SVHN with SGD).
        // The model and optimizer from the point's grid, else from its records (a fixed option).
        char where[200];
        snprintf(where, sizeof where, "%s", s->where);
        if (!strstr(where, "model=") && t->model[0]) snprintf(where + strlen(where), sizeof where - strlen(where), " model=%s", t->model);
        if (!strstr(where, "opt=") && t->opt[0]) snprintf(where + strlen(where), sizeof where - strlen(where), " opt=%s", t->opt);
        gap = table1_paper(a, where, paper, sizeof paper);
        if (gap < 0.05) claim_no_gap(s, t, paper);
        else claim_gap(s, t, paper, gap);
    } else if (!strcmp(a, "online") || !strcmp(a, "active")) {
        const char *fig = !strcmp(a, "online") ? "Figure 2" : "the first version's active-learning figure";
        snprintf(paper, sizeof paper, "%s: warm-started models generalise worse than fresh ones at every round", fig);
        claim_warm(s, t, ACCURACY, "warm start generalises worse than random at the last round (random - warm, test accuracy)",
                   "gap, last round", paper, NAN);
        claim_gap_over_rounds(s, t, paper);
        snprintf(paper, sizeof paper, "%s: warm starting trains in less time", fig);
        claim_faster(s, t, paper);
        // Any other learner side by side (the demo's remedy): how much of the gap it recovers.
        for (int i = 0; i < t->ncols; i++)
            if (strcmp(t->cols[i].name, "warm") && strcmp(t->cols[i].name, "random")) {
                char brief[40];
                short_name(t->cols[i].name, brief, sizeof brief);
                claim_recovers_over_rounds(s, t, t->cols[i].name, brief,
                                           "not in the paper's online figure; the remedy's own claim: it keeps less of the "
                                           "warm start's damage");
            }
    } else if (!strncmp(a, "transfer", 8)) {
        // With little target data pretraining may help: there only the best-of-both claim.
        if (!s->smallest_share)
            claim_gap(s, t, "Figure 9: with enough target data, warm start from the source generalises worse than random", NAN);
        claim_best_of_both(s, t, "Figure 9: shrink-perturb at least as good as warm where pretraining helps, and as random "
                                 "where learning from scratch is better");
    } else if (!strcmp(a, "lr-batch")) {
        claim_gap(s, t, "Figure 3: warm below random at each setting", NAN);
    } else if (!strcmp(a, "phase1-epochs")) {
        claim_gap(s, t, "Figure 4: only a little training in phase 1 damages the warm start's generalisation", NAN);
    } else if (!strcmp(a, "partial-noise-ewc")) {
        claim_gap(s, t, "a gap (Table 1's ResNet-SGD CIFAR-10: random 56.2, warm 51.7)", 56.2 - 51.7);
        claim_remedy(s, t, "partial", 0, "the first version: partial warm start does not close the gap", NAN);
        for (int i = 0; i < t->ncols; i++)
            if (!strncmp(t->cols[i].name, "noise", 5)) {
                const char *v = strstr(t->cols[i].name, "var=");
                const double var = v ? strtod(v + 4, NULL) : NAN;
                const double acc = var == 1e-2 ? 54.4 : var == 1e-3 ? 53.5 : var == 1e-4 ? 52.9 : var == 1e-5 ? 49.9 : NAN;
                snprintf(paper, sizeof paper, "appendix noise table: random 55.2, noise %s%s",
                         var == 1e-2 ? "54.4 (at 4.9x random's time)" : var == 1e-3 ? "53.5" : var == 1e-4 ? "52.9"
                                                                    : var == 1e-5 ? "49.9" : "(not in the table)",
                         ": below random");
                claim_remedy(s, t, t->cols[i].name, 0, paper, 55.2 - acc);
            }
        claim_remedy(s, t, "ewc", 0, "the first version: EWC hurts", NAN);
    } else if (!strcmp(a, "shrink-perturb")) {
        claim_gap(s, t, "Figure 7: warm below random", NAN);
        for (int i = 0; i < t->ncols; i++)
            if (!strncmp(t->cols[i].name, "shrink-perturb", 14)) {
                // lambda 1 shrinks nothing: warm start plus noise, which the paper finds does not close the gap.
                const char *l = strstr(t->cols[i].name, "lambda=");
                if (l && strtod(l + 7, NULL) >= 1)
                    claim_remedy(s, t, t->cols[i].name, 0, "Figure 7: lambda 1 (no shrinking) stays with warm, below random", NAN);
                else claim_remedy(s, t, t->cols[i].name, 1, "Figure 7: shrink-perturb (lambda < 1) generalises as random does", 0);
                claim_cheaper(s, t, t->cols[i].name, "Figure 7: at a fraction of random's training time");
            }
    } else if (!strcmp(a, "remedies")) {
        claim_gap(s, t, "not in the paper; Figure 2's gap", NAN);
        const char *rem[] = {"shrink-perturb", "dash", "l2-init", "cbp"};
        for (int k = 0; k < 4; k++)
            claim_remedy(s, t, rem[k], 1, "not in the paper: each remedy's own paper claims a fresh start's generalisation", 0);
    }
}

typedef struct {
    ws_ctx *ctx;
    sink *s;
    const char *dir;
    int last_point;
    // transfer: random - warm per seed at the first and the last point (the least and most pretraining)
    int npoints, n_first, n_last;
    double gap_first[MAX_SEEDS], gap_last[MAX_SEEDS];
    char where_first[160], where_last[160];
    char capped_first[200], capped_last[200]; // those points' runs that stopped at the epoch cap ("": none)
    // lr x batch: each point's mean accuracy and seconds of warm and of random
    int nmeans;
    double warm_acc[1000], warm_secs[1000], random_acc[1000], random_secs[1000];
    char where_at[1000][80];
    char capped_at[1000][120];
} sweep_walk;

static double mean_of(const double *x, int n) {
    double s = 0;
    for (int i = 0; i < n; i++) s += x[i];
    return n ? s / n : NAN;
}

// sweep.jsonl has a line per (point, learner): each point once, its params as "where".
static ws_status sweep_point(ws_ctx *ctx, cJSON *rec, void *user) {
    sweep_walk *w = user;
    int p = (int)num(rec, "point");
    if (p == w->last_point) return WS_OK;
    w->last_point = p;
    char where[160] = "", dir[1400];
    const cJSON *x, *params = cJSON_GetObjectItemCaseSensitive(rec, "params");
    cJSON_ArrayForEach(x, params) if (cJSON_IsString(x)) {
        size_t len = strlen(where);
        snprintf(where + len, sizeof where - len, "%s%s=%s", len ? " " : "", x->string, x->valuestring);
    }
    snprintf(dir, sizeof dir, "%s/points/%03d", w->dir, p);
    table *t = malloc(sizeof *t);
    if (!t) return WS_ERR_NOMEM;
    ws_status st = read_point(ctx, dir, t);
    if (!st) {
        w->s->where = where;
        point_claims(w->s, t);
        column *wc = col_named(t, "warm"), *rc = col_named(t, "random");
        const column *runs[3] = {t->phase1.n ? &t->phase1 : NULL, wc, rc};
        if (wc && rc && wc->n && rc->n && w->nmeans < 1000) {
            int k = w->nmeans++;
            capped_note(runs, 3, MAX_SEEDS, w->capped_at[k], sizeof w->capped_at[k]);
            w->warm_acc[k] = mean_of(wc->acc, wc->n), w->warm_secs[k] = mean_of(wc->secs, wc->n);
            w->random_acc[k] = mean_of(rc->acc, rc->n), w->random_secs[k] = mean_of(rc->secs, rc->n);
            snprintf(w->where_at[k], sizeof w->where_at[k], "%s", where);
        }
        if (wc && rc) {
            int first = w->npoints++ == 0;
            int n = paired(wc, rc, ACCURACY, first ? w->gap_first : w->gap_last);
            if (first) w->n_first = n, snprintf(w->where_first, sizeof w->where_first, "%s", where);
            else w->n_last = n, snprintf(w->where_last, sizeof w->where_last, "%s", where);
            char *note = first ? w->capped_first : w->capped_last;
            capped_note(runs, 3, n, note, sizeof w->capped_first);
        }
    }
    free(t);
    return st;
}

// Transfer: "the more A was trained on, the larger the gap": the gap at the most
// pretraining (the last point) minus the gap at the least (the first), paired by seed.
// lr x batch: "warm models that generalise as well as random ones take as long to train": the
// fastest warm point within 1 point of the best random accuracy is no faster than that random
// point (by the means over seeds: the points are different settings, not pairs).
static void claim_no_free_lunch(sweep_walk *w) {
    if (strcmp(w->s->artefact, "lr-batch") || !w->nmeans) return;
    ws_sweep_match m = ws_sweep_match_random(w->random_acc, w->nmeans, w->warm_acc, w->warm_secs, w->nmeans, 0.01);
    const int best = m.best_random, fast = m.fastest_match;
    char where[400];
    snprintf(where, sizeof where, "best random: %s", w->where_at[best]);
    w->s->where = where;
    ws_claim *c = next(w->s);
    if (!c) return;
    snprintf(c->tag, sizeof c->tag, "no faster warm match");
    snprintf(c->claim, sizeof c->claim, "no warm setting within 1 point of the best random accuracy trains faster than it");
    snprintf(c->paper, sizeof c->paper, "warm models that generalise as well as random ones take as long to train");
    if (fast < 0) {
        snprintf(c->measured, sizeof c->measured, "no warm point within 1 point of random's %.2f %% (means)",
                 100 * w->random_acc[best]);
        c->verdict = WS_VERDICT_HOLDS;
    } else {
        snprintf(c->measured, sizeof c->measured, "fastest such warm (%s): %.2f %% in %.2f s vs random %.2f %% in %.2f s "
                 "(%.2fx; means)", w->where_at[fast], 100 * w->warm_acc[fast], w->warm_secs[fast],
                 100 * w->random_acc[best], w->random_secs[best], w->warm_secs[fast] / w->random_secs[best]);
        c->verdict = w->warm_secs[fast] < w->random_secs[best] ? WS_VERDICT_OPPOSITE : WS_VERDICT_HOLDS;
    }
    // Times to the threshold compared: none if a run of either point stopped at the cap.
    const char *capped_best = w->capped_at[best], *capped_fast = fast >= 0 ? w->capped_at[fast] : "";
    if (capped_best[0] || capped_fast[0]) {
        snprintf(c->not_converged, sizeof c->not_converged, "%s%s%s%s%s", capped_best[0] ? "best random's point: " : "",
                 capped_best, capped_best[0] && capped_fast[0] ? "; " : "", capped_fast[0] ? "the warm point's: " : "",
                 capped_fast);
        c->verdict = WS_VERDICT_NOT_CONVERGED;
    }
}

static void claim_gap_grows(sweep_walk *w) {
    const int phase1 = !strcmp(w->s->artefact, "phase1-epochs");
    if ((strncmp(w->s->artefact, "transfer", 8) && !phase1) || w->npoints < 2) return;
    char where[400];
    snprintf(where, sizeof where, "%s vs %s", w->where_last, w->where_first);
    w->s->where = where;
    ws_claim *c = next(w->s);
    if (!c) return;
    int n = w->n_first < w->n_last ? w->n_first : w->n_last;
    double d[MAX_SEEDS];
    for (int i = 0; i < n; i++) d[i] = w->gap_last[i] - w->gap_first[i];
    snprintf(c->tag, sizeof c->tag, "gap grows");
    // Figure 4: about 0 before ~25 epochs, ~7 points after ~120 (ANCHORS): 7 points between the ends.
    if (phase1)
        fill(c, "the longer phase 1 before the warm start, the larger the gap (gap at the last point - at the first)",
             "Figure 4: damage grows with the epoch the warm start is taken from (about 0 at first, ~7 % later)", d, n, 0,
             "points", 7.0);
    else
        fill(c, "the more of A pretrained on, the larger the gap (gap at the most - gap at the least)",
             "[Re]'s grid: warm start hurts more the more it was pretrained", d, n, 0, "points", NAN);
    if (c->verdict != WS_VERDICT_NO_DATA && (w->capped_first[0] || w->capped_last[0])) {
        snprintf(c->not_converged, sizeof c->not_converged, "%s%s%s%s", w->capped_first[0] ? "first point: " : "",
                 w->capped_first, w->capped_first[0] && w->capped_last[0] ? "; last point: " : w->capped_last[0] ? "last point: " : "",
                 w->capped_last);
        c->verdict = WS_VERDICT_NOT_CONVERGED;
        c->seeds_needed = -1;
    }
}

ws_status ws_claims_check(ws_ctx *ctx, const char *name, const char *dir, ws_claim *out, int cap, int *n) {
    sink s = {.out = out, .cap = cap, .artefact = name, .where = ""};
    char path[1400];
    snprintf(path, sizeof path, "%s/sweep.jsonl", dir);
    ws_status st;
    if (access(path, F_OK) == 0) {
        sweep_walk *w = calloc(1, sizeof *w);
        if (!w) return WS_ERR_NOMEM;
        *w = (sweep_walk){.ctx = ctx, .s = &s, .dir = dir, .last_point = -1};
        st = ws_jsonl_each(ctx, path, sweep_point, w, NULL);
        if (!st) claim_gap_grows(w), claim_no_free_lunch(w);
        free(w);
    } else if (!strncmp(name, "transfer", 8)) {
        // Figure 9's two ends: the smallest share of the target (pretraining should help) and all of it.
        table *t = malloc(sizeof *t);
        if (!t) return WS_ERR_NOMEM;
        char where[160];
        st = WS_OK;
        for (int k = 0; k < 2 && !st; k++) {
            if ((st = read_point_share(ctx, dir, t, k ? -1 : 0))) break;
            snprintf(where, sizeof where, "%g %%%s", 100 * t->fraction, OF_THE_TARGET + 2);
            s.where = where;
            s.smallest_share = !k;
            point_claims(&s, t);
        }
        free(t);
    } else {
        table *t = malloc(sizeof *t);
        if (!t) return WS_ERR_NOMEM;
        st = read_point(ctx, dir, t);
        if (!st) point_claims(&s, t);
        free(t);
    }
    *n = s.n;
    return st;
}
