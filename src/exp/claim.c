// Claims declared as data: read, checked against their experiment, and their measures (claim.h).
#define _POSIX_C_SOURCE 200809L
#include "exp/claim.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// ---- measures -----------------------------------------------------------------------------------

enum { NEEDS_GRADS = 1, NEEDS_SHRINK = 2, NEEDS_TASKS = 4, NEEDS_PROBE = 8 };

static const struct {
    const char *name, *units;
    int at_threshold, sums, needs;
} MEASURES[WS_CM_COUNT] = {
    [WS_CM_TEST_ACC] = {"test-acc", "points", 1, 0, 0},
    [WS_CM_TRAIN_ACC] = {"train-acc", "points", 1, 0, 0},
    [WS_CM_STEPS] = {"steps", "steps", 1, 1, 0},
    [WS_CM_EPOCHS] = {"epochs", "epochs", 1, 1, 0},
    [WS_CM_GRAD_EXCESS] = {"grad-excess", "%", 0, 0, NEEDS_GRADS},
    [WS_CM_GRAD_IMBALANCE] = {"grad-imbalance", "%", 0, 0, NEEDS_GRADS},
    [WS_CM_SHRINK_COST] = {"shrink-cost", "points", 0, 0, NEEDS_SHRINK},
    [WS_CM_SHRINK_CHANGE_MAX] = {"shrink-change-max", "points", 0, 0, NEEDS_SHRINK},
    [WS_CM_SECONDS] = {"seconds", "s", 1, 1, 0},
    [WS_CM_ONLINE_ACC] = {"online-acc", "points", 0, 0, NEEDS_TASKS},
    [WS_CM_STEPS_TO_TARGET] = {"steps-to-target", "steps", 0, 0, NEEDS_TASKS},
    [WS_CM_DORMANT_0] = {"dormant-0", "%", 0, 0, NEEDS_PROBE},
    [WS_CM_DORMANT_025] = {"dormant-0.025", "%", 0, 0, NEEDS_PROBE},
    [WS_CM_DORMANT_01] = {"dormant-0.1", "%", 0, 0, NEEDS_PROBE},
    [WS_CM_DOHARE_DORMANT] = {"dohare-dormant", "%", 0, 0, NEEDS_PROBE},
    [WS_CM_SRANK] = {"srank", "dimensions", 0, 0, NEEDS_PROBE},
    [WS_CM_EFFECTIVE_RANK] = {"effective-rank", "dimensions", 0, 0, NEEDS_PROBE},
    [WS_CM_WEIGHT_MAGNITUDE] = {"weight-magnitude", "", 0, 0, NEEDS_PROBE},
    [WS_CM_PARAM_NORM] = {"param-norm", "", 0, 0, NEEDS_PROBE},
    [WS_CM_DIST_INIT] = {"dist-init", "", 0, 0, NEEDS_PROBE},
    [WS_CM_GRAD_NORM] = {"grad-norm", "", 0, 0, NEEDS_PROBE},
};

const char *ws_claim_measure_name(ws_claim_measure m) { return MEASURES[m].name; }
const char *ws_claim_units(ws_claim_measure m) { return MEASURES[m].units; }
int ws_claim_at_threshold(ws_claim_measure m) { return MEASURES[m].at_threshold; }
int ws_claim_sums(ws_claim_measure m) { return MEASURES[m].sums; }

// Figure 5's excess, in %: the mean over phase 2's first epoch (steps up to steps / epochs,
// the first measurement at step 0 included) of new / old - 1.
static double grad_excess(const ws_run *r) {
    const ws_curve *o = &r->curve[WS_CURVE_GRAD_OLD], *w = &r->curve[WS_CURVE_GRAD_NEW];
    const double per_epoch = r->m[WS_M_STEPS] / r->m[WS_M_EPOCHS];
    double sum = 0;
    int k = 0;
    for (int j = 0; j < o->n && j < w->n; j++)
        if (o->x[j] <= per_epoch && o->y[j] > 0) sum += w->y[j] / o->y[j], k++;
    return k ? 100 * (sum / k - 1) : NAN;
}

// Figure 6: points of accuracy lost by shrinking by lambda (the smallest > 0 when lambda is NAN),
// or (max_change) the largest change either way over every lambda > 0.
static double shrink(const ws_run *r, double lambda, int max_change) {
    const ws_curve *c = &r->curve[WS_CURVE_SHRINK_ACC];
    double base = NAN;
    for (int j = 0; j < c->n; j++)
        if (fabs(c->x[j] - 1) < 1e-9) base = c->y[j];
    double out = max_change ? 0 : NAN, smallest = INFINITY;
    if (!isfinite(base)) return NAN;
    for (int j = 0; j < c->n; j++) {
        const double l = c->x[j], cost = 100 * (base - c->y[j]);
        if (!(l > 0)) continue;
        if (max_change && fabs(cost) > out) out = fabs(cost);
        if (!max_change && isnan(lambda) && l < smallest) smallest = l, out = cost;
        if (!max_change && fabs(l - lambda) < 1e-9) out = cost;
    }
    return out;
}

double ws_claim_value(const ws_claim_spec *c, const ws_run *r) {
    switch (c->measure) {
    case WS_CM_TEST_ACC: return 100 * r->m[WS_M_TEST_ACC];
    case WS_CM_TRAIN_ACC: return 100 * r->m[WS_M_TRAIN_ACC];
    case WS_CM_STEPS: return r->m[WS_M_STEPS];
    case WS_CM_EPOCHS: return r->m[WS_M_EPOCHS];
    case WS_CM_GRAD_EXCESS: return grad_excess(r);
    case WS_CM_GRAD_IMBALANCE: return fabs(grad_excess(r));
    case WS_CM_SHRINK_COST: return shrink(r, c->measure_arg, 0);
    case WS_CM_SHRINK_CHANGE_MAX: return shrink(r, NAN, 1);
    case WS_CM_SECONDS: return r->m[WS_M_SECONDS];
    case WS_CM_ONLINE_ACC: return 100 * r->m[WS_M_ONLINE_ACC];
    case WS_CM_STEPS_TO_TARGET: return r->m[WS_M_STEPS_TO_TARGET];
    case WS_CM_DORMANT_0: return 100 * r->m[WS_M_DORMANT_0];
    case WS_CM_DORMANT_025: return 100 * r->m[WS_M_DORMANT_025];
    case WS_CM_DORMANT_01: return 100 * r->m[WS_M_DORMANT_01];
    case WS_CM_DOHARE_DORMANT: return 100 * r->m[WS_M_DOHARE_DORMANT];
    case WS_CM_SRANK: return r->m[WS_M_SRANK];
    case WS_CM_EFFECTIVE_RANK: return r->m[WS_M_EFFECTIVE_RANK];
    case WS_CM_WEIGHT_MAGNITUDE: return r->m[WS_M_WEIGHT_MAGNITUDE];
    case WS_CM_PARAM_NORM: return r->m[WS_M_PARAM_NORM];
    case WS_CM_DIST_INIT: return r->m[WS_M_DIST_INIT];
    case WS_CM_GRAD_NORM: return r->m[WS_M_GRAD_NORM];
    default: return NAN;
    }
}

// ---- reading ------------------------------------------------------------------------------------

typedef struct {
    ws_ctx *ctx;
    const char *file;
    const ws_config_claim *c;
    const ws_config_claim_entry *e; // the key being read, for its line
    ws_status st;
} reader;

static ws_status bad(reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static ws_status bad(reader *r, const char *fmt, ...) {
    char msg[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    const int line = r->e ? r->e->line : r->c->line;
    if (line > 0) r->st = ws_fail(r->ctx, WS_ERR_FORMAT, "%s:%d: [claim %s]: %s", r->file, line, r->c->id, msg);
    else r->st = ws_fail(r->ctx, WS_ERR_FORMAT, "%s: [claim %s]: %s", r->file, r->c->id, msg);
    return r->st;
}

static int number(const char *s, double *out) {
    char *end;
    *out = strtod(s, &end);
    return end != s && !*end && isfinite(*out);
}

static ws_status positive(reader *r, const char *v, double *out) {
    return number(v, out) && *out > 0 ? WS_OK : bad(r, "%s: expected a number > 0, not '%s'", r->e->key, v);
}

static ws_status text(reader *r, const char *v, char *out, size_t cap) {
    snprintf(out, cap, "%s", v);
    return WS_OK;
}

// "A - B", "A", "A - better(B,C)", "pick - B": learner names around " - ".
static ws_status compare(reader *r, const char *v, char *a, char *b, char *b2) {
    const char *minus = strstr(v, " - ");
    snprintf(a, 128, "%.*s", minus ? (int)(minus - v) : (int)strlen(v), v);
    b[0] = b2[0] = 0;
    if (!minus) return a[0] && !strchr(a, ' ') ? WS_OK : bad(r, "compare: expected 'A - B' or 'A', learner names, not '%s'", v);
    const char *rest = minus + 3;
    if (!strncmp(rest, "better(", 7)) {
        const char *comma = strchr(rest, ','), *close = strrchr(rest, ')');
        if (!comma || !close || close < comma || close[1])
            return bad(r, "compare: expected 'A - better(B,C)', not '%s'", v);
        snprintf(b, 128, "%.*s", (int)(comma - rest - 7), rest + 7);
        snprintf(b2, 128, "%.*s", (int)(close - comma - 1), comma + 1);
    } else {
        snprintf(b, 128, "%s", rest);
    }
    if (!a[0] || !b[0] || strchr(a, ' ') || strchr(b, ' ') || strchr(b2, ' ') ||
        (strchr(v + 0, '(') && !b2[0] && strncmp(a, "best(", 5) && strncmp(b, "best(", 5)))
        return bad(r, "compare: expected 'A - B', 'A - better(B,C)', best(PREFIX) on either side, or 'A', learner "
                      "names, not '%s'", v);
    return WS_OK;
}

static ws_status measure(reader *r, const char *v, ws_claim_spec *c) {
    char name[64];
    const char *colon = strchr(v, ':');
    snprintf(name, sizeof name, "%.*s", colon ? (int)(colon - v) : (int)strlen(v), v);
    c->measure_arg = NAN;
    if (!strcmp(name, "seconds"))
        return bad(r, "measure seconds: decide on steps (the same for a seed on any machine); the report shows the "
                      "seconds beside them");
    for (int m = 0; m < WS_CM_COUNT; m++) {
        if (strcmp(name, MEASURES[m].name)) continue;
        c->measure = (ws_claim_measure)m;
        if (m != WS_CM_SHRINK_COST) return colon ? bad(r, "measure: %s takes no ':'", name) : WS_OK;
        if (!colon) return bad(r, "measure: shrink-cost:LAMBDA or shrink-cost:smallest");
        if (!strcmp(colon + 1, "smallest") || (number(colon + 1, &c->measure_arg) && c->measure_arg > 0 && c->measure_arg < 1))
            return WS_OK;
        return bad(r, "measure: shrink-cost:LAMBDA with 0 < LAMBDA < 1, or shrink-cost:smallest, not '%s'", v);
    }
    return bad(r, "measure '%s': expected test-acc, train-acc, steps, epochs, grad-excess, grad-imbalance, "
                  "shrink-cost:LAMBDA, shrink-cost:smallest, shrink-change-max, online-acc, steps-to-target, "
                  "dormant-0, dormant-0.025, dormant-0.1, dohare-dormant, srank, effective-rank, weight-magnitude, "
                  "param-norm, dist-init or grad-norm", v);
}

// Which of `names` (a NULL-ended list) v is: its index, -1 after an error.
static int choice(reader *r, const char *v, const char *const *names) {
    for (int i = 0; names[i]; i++)
        if (!strcmp(v, names[i])) return i;
    char list[256] = "";
    for (int i = 0; names[i]; i++) {
        size_t len = strlen(list);
        snprintf(list + len, sizeof list - len, "%s%s", i ? ", " : "", names[i]);
    }
    bad(r, "%s '%s': expected %s", r->e->key, v, list);
    return -1;
}

// One range of rounds: last | after-first | all | first:K | last:K.
static int one_range(const char *v, size_t len, ws_claim_rounds *out, int *k) {
    static const char *const names[] = {"last", "after-first", "all"};
    for (int i = 0; i < 3; i++)
        if (strlen(names[i]) == len && !strncmp(v, names[i], len)) return *out = (ws_claim_rounds)i, *k = 0, 0;
    int n = 0, used = 0;
    if (sscanf(v, "first:%d%n", &n, &used) == 1 && (size_t)used == len && n >= 1) return *out = WS_ROUNDS_FIRST_K, *k = n, 0;
    if (sscanf(v, "last:%d%n", &n, &used) == 1 && (size_t)used == len && n >= 1) return *out = WS_ROUNDS_LAST_K, *k = n, 0;
    return -1;
}

// rounds = RANGE, or RANGE - RANGE: a change along the sequence (late tasks against early ones).
static ws_status rounds(reader *r, const char *v, ws_claim_spec *c) {
    const char *minus = strstr(v, " - ");
    const size_t len1 = minus ? (size_t)(minus - v) : strlen(v);
    c->rounds_given = 1, c->contrast = minus != NULL;
    if (one_range(v, len1, &c->rounds, &c->rounds_k) ||
        (minus && one_range(minus + 3, strlen(minus + 3), &c->rounds2, &c->rounds2_k)))
        return bad(r, "rounds '%s': expected last, after-first, all, first:K or last:K, or two of them as 'R1 - R2'", v);
    return WS_OK;
}

static ws_status one_key(reader *r, const char *k, const char *v, ws_claim_spec *c) {
    static const char *const kinds[] = {"difference", "equivalence", "non-inferiority", "every-seed", NULL};
    static const char *const settings[] = {"other", "same", NULL};
    static const char *const roles[] = {"confirmatory", "exploratory", NULL};
    int i;
    double x;
    if (!strcmp(k, "says")) return text(r, v, c->says, sizeof c->says);
    if (!strcmp(k, "paper")) return text(r, v, c->paper, sizeof c->paper);
    if (!strcmp(k, "source")) return text(r, v, c->source, sizeof c->source);
    if (!strcmp(k, "sesoi-why")) return text(r, v, c->sesoi_why, sizeof c->sesoi_why);
    if (!strcmp(k, "compare")) return compare(r, v, c->a, c->b, c->b2);
    if (!strcmp(k, "beside")) {
        char b2[128];
        if (compare(r, v, c->beside_a, c->beside_b, b2)) return r->st;
        return c->beside_b[0] && !b2[0] ? WS_OK : bad(r, "beside: expected 'A - B', not '%s'", v);
    }
    if (!strcmp(k, "measure")) return measure(r, v, c);
    if (!strcmp(k, "point")) return text(r, v, c->point, sizeof c->point);
    if (!strcmp(k, "trend")) return text(r, v, c->trend, sizeof c->trend);
    if (!strcmp(k, "pick-among")) return text(r, v, c->pick_among, sizeof c->pick_among);
    if (!strcmp(k, "margin")) return positive(r, v, &c->margin);
    if (!strcmp(k, "rules-out")) return positive(r, v, &c->rules_out);
    if (!strcmp(k, "sesoi")) return positive(r, v, &c->sesoi);
    if (!strcmp(k, "pick-within")) return positive(r, v, &c->pick_within);
    if (!strcmp(k, "effect")) return number(v, &c->effect) ? WS_OK : bad(r, "effect: expected a number, not '%s'", v);
    if (!strcmp(k, "rounds-every")) {
        if (!number(v, &x) || x < 1 || x > 1000 || x != floor(x)) return bad(r, "rounds-every: expected a whole number >= 1");
        c->rounds_every = (int)x;
        return WS_OK;
    }
    if (!strcmp(k, "pick-seeds")) {
        if (!number(v, &x) || x < 1 || x > 255 || x != floor(x)) return bad(r, "pick-seeds: expected a whole number >= 1");
        c->pick_seeds = (int)x;
        return WS_OK;
    }
    if (!strcmp(k, "share")) {
        if (!strcmp(v, "smallest") || !strcmp(v, "largest")) c->share = v[0] == 's' ? WS_SHARE_SMALLEST : WS_SHARE_LARGEST;
        else if (!number(v, &c->share) || c->share <= 0 || c->share > 100)
            return bad(r, "share: a percent in (0, 100], smallest or largest, not '%s'", v);
        return WS_OK;
    }
    if (!strcmp(k, "kind")) return (i = choice(r, v, kinds)) < 0 ? r->st : (c->kind = (ws_claim_kind)i, WS_OK);
    if (!strcmp(k, "rounds")) return rounds(r, v, c);
    if (!strcmp(k, "effect-setting")) return (i = choice(r, v, settings)) < 0 ? r->st : (c->effect_here = i, WS_OK);
    if (!strcmp(k, "role")) return (i = choice(r, v, roles)) < 0 ? r->st : (c->exploratory = i, WS_OK);
    return bad(r, "unknown key '%s' (docs/EXPERIMENT-FILES.md lists a claim's keys)", k);
}

static int has(const ws_config_claim *c, const char *key) {
    for (int i = 0; i < c->nkeys; i++)
        if (!strcmp(c->keys[i].key, key)) return 1;
    return 0;
}

// What the keys must be together.
// A side written best(PREFIX): PREFIX kept in name, *best set.
static ws_status best_side(reader *r, char *name, int *best) {
    const size_t n = strlen(name);
    *best = n > 6 && !strncmp(name, "best(", 5) && name[n - 1] == ')';
    if (!*best) return strchr(name, '(') ? bad(r, "compare: '%s': expected a learner, best(PREFIX) or better(B,C)", name) : WS_OK;
    memmove(name, name + 5, n - 6);
    name[n - 6] = 0;
    return WS_OK;
}

static ws_status whole(reader *r, ws_claim_spec *c) {
    static const char *const required[] = {"says", "paper", "compare", "measure"};
    r->e = NULL;
    for (size_t i = 0; i < sizeof required / sizeof *required; i++)
        if (!has(r->c, required[i])) return bad(r, "no '%s'", required[i]);
    const int banded = c->kind == WS_KIND_EQUIVALENCE || c->kind == WS_KIND_NONINFERIORITY;
    if ((banded || c->kind == WS_KIND_EVERY_SEED) != has(r->c, "margin"))
        return bad(r, "'margin' goes with kind equivalence, non-inferiority and every-seed, and only with them");
    if (banded && !has(r->c, "rules-out")) return bad(r, "no 'rules-out': the effect the margin is to rule out");
    if (banded && c->margin > c->rules_out / 2)
        return bad(r, "margin %g is more than half of rules-out %g: a margin no larger than half the effect it is to "
                      "rule out", c->margin, c->rules_out);
    if (has(r->c, "effect") != has(r->c, "effect-setting"))
        return bad(r, "'effect' and 'effect-setting' (same: measured in this setting; other) go together");
    if (has(r->c, "sesoi") != has(r->c, "sesoi-why")) return bad(r, "'sesoi' and 'sesoi-why' go together");
    if (c->kind != WS_KIND_DIFFERENCE && (has(r->c, "effect") || has(r->c, "sesoi")))
        return bad(r, "'effect' and 'sesoi' size a difference; any other kind is sized by its margin");
    if (best_side(r, c->a, &c->a_best) || best_side(r, c->b, &c->b_best)) return r->st;
    if ((c->a_best || c->b_best) && c->b2[0]) return bad(r, "compare: best(P) does not go with better(B,C)");
    if ((c->a_best || c->b_best) && !c->pick_seeds && !c->exploratory)
        return bad(r, "best(P) chosen on every seed would be tested on the seeds it chose by: give pick-seeds = N "
                      "(the first N seed ids choose, the others test) or role = exploratory");
    c->a_pick = !strcmp(c->a, "pick"), c->b_pick = !strcmp(c->b, "pick");
    const int picks = c->a_pick || c->b_pick;
    if (picks != (has(r->c, "pick-among") && has(r->c, "pick-within")))
        return bad(r, "compare = pick - B (or A - pick) goes with pick-among and pick-within, and they with it");
    if (picks && (!c->a[0] || !c->b[0] || c->b2[0] || (c->a_pick && c->b_pick)))
        return bad(r, "compare = pick - B or A - pick: the pick is measured against the other learner");
    if (picks && !c->pick_seeds && !c->exploratory)
        return bad(r, "a pick on every seed tests on the seeds it chose by: give pick-seeds = N (the first N seed "
                      "ids choose, the others test) or role = exploratory");
    if (c->point[0] && c->trend[0]) return bad(r, "'point' and 'trend' exclude each other");
    if (!has(r->c, "rounds")) c->rounds = ws_claim_sums(c->measure) ? WS_ROUNDS_ALL : WS_ROUNDS_LAST;
    return WS_OK;
}

ws_status ws_claim_parse(ws_ctx *ctx, const char *file, const ws_config_claim *cc, ws_claim_spec *out) {
    memset(out, 0, sizeof *out);
    snprintf(out->id, sizeof out->id, "%s", cc->id);
    out->line = cc->line;
    out->measure_arg = out->share = out->effect = out->sesoi = NAN;
    out->margin = out->rules_out = out->pick_within = NAN;
    out->rounds_every = 1;
    reader r = {ctx, file, cc, NULL, WS_OK};
    for (int i = 0; i < cc->nkeys && !r.st; i++) {
        r.e = &cc->keys[i];
        one_key(&r, cc->keys[i].key, cc->keys[i].value, out);
    }
    return r.st ? r.st : whole(&r, out);
}

// ---- checking against the experiment ------------------------------------------------------------

static int has_learner(const ws_setup *s, const char *name) {
    for (int i = 0; i < s->nlearners; i++)
        if (!strcmp(s->learners[i].name, name)) return 1;
    return 0;
}

static int has_prefix(const ws_setup *s, const char *prefix) {
    for (int i = 0; i < s->nlearners; i++)
        if (!strncmp(s->learners[i].name, prefix, strlen(prefix))) return 1;
    return 0;
}

// The learners named (a, b, b2, beside) are the experiment's.
static ws_status check_learners(reader *r, const ws_claim_spec *c, const ws_setup *s, const char *where) {
    const char *names[5] = {c->a_pick || c->a_best ? "" : c->a, c->b_pick || c->b_best ? "" : c->b, c->b2, c->beside_a,
                            c->beside_b};
    if (c->a_best && !has_prefix(s, c->a)) return bad(r, "best(%s): no learner's name starts so%s", c->a, where);
    if (c->b_best && !has_prefix(s, c->b)) return bad(r, "best(%s): no learner's name starts so%s", c->b, where);
    for (int i = 0; i < 5; i++)
        if (names[i][0] && !has_learner(s, names[i])) {
            char list[1024] = "";
            for (int l = 0; l < s->nlearners; l++) {
                size_t len = strlen(list);
                snprintf(list + len, sizeof list - len, "%s%s", l ? ", " : "", s->learners[l].name);
            }
            return bad(r, "no learner '%s'%s (its learners: %s)", names[i], where, list);
        }
    if ((c->a_pick || c->b_pick) && !has_prefix(s, c->pick_among)) return bad(r, "pick-among %s: no such learner%s", c->pick_among, where);
    return WS_OK;
}

// The measure and where it is taken exist in this scenario with these options.
static ws_status check_measure(reader *r, const ws_claim_spec *c, const ws_experiment *e) {
    const ws_command sc = e->scenario;
    const int online = sc == WS_CMD_ONLINE || sc == WS_CMD_ACTIVE || sc == WS_CMD_CONTINUAL;
    if ((MEASURES[c->measure].needs & NEEDS_PROBE) && ws_experiment_setup(e)->probe <= 0)
        return bad(r, "measure %s is measured inside the network on a probe: probe = 0 turns it off",
                   MEASURES[c->measure].name);
    if ((MEASURES[c->measure].needs & NEEDS_TASKS) && sc != WS_CMD_CONTINUAL)
        return bad(r, "measure %s is a task sequence's (warmstart continual)", MEASURES[c->measure].name);
    if ((MEASURES[c->measure].needs & NEEDS_GRADS) && (sc != WS_CMD_BATCH || e->batch.grad_every <= 0))
        return bad(r, "measure %s needs a two-phase run with grad-every", MEASURES[c->measure].name);
    if (MEASURES[c->measure].needs & NEEDS_SHRINK) {
        int one = 0, arg = isnan(c->measure_arg) || c->measure != WS_CM_SHRINK_COST;
        for (int i = 0; sc == WS_CMD_BATCH && i < e->batch.nshrink; i++)
            one |= fabs(e->batch.shrink_lambda[i] - 1) < 1e-9, arg |= fabs(e->batch.shrink_lambda[i] - c->measure_arg) < 1e-9;
        if (!one || !arg) return bad(r, "measure %s needs a two-phase run with shrink-eval holding 1%s", MEASURES[c->measure].name,
                                     arg ? "" : " and its lambda");
    }
    if ((c->rounds_given || c->rounds_every > 1) && !online)
        return bad(r, "'rounds' and 'rounds-every' are for online, active and continual experiments");
    if (!isnan(c->share) && sc != WS_CMD_TRANSFER) return bad(r, "'share' is for transfer experiments");
    if (sc == WS_CMD_TRANSFER && isnan(c->share) && strcmp(c->trend, "share"))
        return bad(r, "a transfer claim names its share (share = P, smallest or largest) or trend = share");
    if (sc == WS_CMD_TRANSFER && c->share > 0) {
        int found = 0;
        for (int i = 0; i < e->transfer.nfractions; i++) found |= fabs(100 * e->transfer.fractions[i] - c->share) < 1e-9;
        if (!found) return bad(r, "share %g: not one of the experiment's fractions", c->share);
    }
    return WS_OK;
}

// A sweep's claim names its point (every axis, a value of its grid), "each", or a trend over a
// numeric axis; a claim outside a sweep names none (or trend = share, transfer's shares).
static ws_status check_where(reader *r, const ws_claim_spec *c, const ws_experiment *e) {
    if (!e->sweep) {
        if (c->point[0]) return bad(r, "'point' is for a sweep's claims (this experiment has no [grid])");
        if (c->trend[0] && strcmp(c->trend, "share")) return bad(r, "trend %s: not a grid axis (there is no [grid])", c->trend);
        return WS_OK;
    }
    if (!c->point[0] && !c->trend[0]) return bad(r, "a sweep's claim names its 'point' (every axis: 'lr=0.01 batch=32'), "
                                                    "'point = each' or a 'trend' over an axis");
    if (c->trend[0]) {
        for (int a = 0; a < e->naxes; a++) {
            if (strcmp(e->axes[a].key, c->trend)) continue;
            double x;
            for (int k = 0; k < e->axes[a].nvalues; k++)
                if (!number(e->axes[a].values[k], &x)) return bad(r, "trend %s: its values are not numbers", c->trend);
            return e->axes[a].nvalues >= 2 ? WS_OK : bad(r, "trend %s: an axis of one value", c->trend);
        }
        return bad(r, "trend %s: not an axis of the grid", c->trend);
    }
    return WS_OK; // the point itself: checked against each point's params (ws_claim_check with a point)
}

int ws_claim_at_point(const ws_claim_spec *c, const char *params) {
    return !strcmp(c->point, "each") || c->trend[0] || ws_params_match(c->point, params);
}

ws_status ws_claim_check(ws_ctx *ctx, const char *file, const ws_claim_spec *c, const ws_experiment *e,
                         const ws_experiment *point) {
    ws_config_claim id = {.line = c->line};
    snprintf(id.id, sizeof id.id, "%s", c->id);
    reader r = {ctx, file, &id, NULL, WS_OK};
    const ws_experiment *x = point ? point : e;
    char where[600] = "";
    if (point) snprintf(where, sizeof where, " at grid point %s", point->params);
    if (!point && (check_where(&r, c, e) || check_measure(&r, c, e))) return r.st;
    if (point && !ws_claim_at_point(c, point->params)) return WS_OK;
    if (point && check_measure(&r, c, point)) return r.st;
    return check_learners(&r, c, ws_experiment_setup(x), where);
}

// ---- as JSON ------------------------------------------------------------------------------------

cJSON *ws_claim_keys_json(const ws_config_claim *c) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "id", c->id);
    for (int i = 0; i < c->nkeys; i++) cJSON_AddStringToObject(o, c->keys[i].key, c->keys[i].value);
    return o;
}

ws_status ws_claim_keys_from_json(ws_ctx *ctx, const cJSON *o, ws_config_claim *out) {
    memset(out, 0, sizeof *out);
    const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "id"));
    if (!id || strlen(id) >= sizeof out->id) return ws_fail(ctx, WS_ERR_FORMAT, "a claim without an id");
    snprintf(out->id, sizeof out->id, "%s", id);
    const cJSON *x;
    cJSON_ArrayForEach(x, o) {
        if (!strcmp(x->string, "id")) continue;
        if (!cJSON_IsString(x) || out->nkeys == WS_CONFIG_CLAIM_KEYS || strlen(x->string) >= sizeof out->keys[0].key ||
            strlen(x->valuestring) >= sizeof out->keys[0].value)
            return ws_fail(ctx, WS_ERR_FORMAT, "claim %s: key '%s' not a string, too long or one too many", id, x->string);
        ws_config_claim_entry *e = &out->keys[out->nkeys++];
        snprintf(e->key, sizeof e->key, "%s", x->string);
        snprintf(e->value, sizeof e->value, "%s", x->valuestring);
    }
    return WS_OK;
}
