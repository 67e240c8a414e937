// Self-normalized resets, SNR (Farias & Jozefiak, "Self-Normalized Resets for Plasticity in
// Continual Learning", ICLR 2025; ajozefiak/SelfNormalizedResets @ 8b84f0c, src/algorithms/snr.py
// and src/experiments/pm_experiment.py). Each hidden unit has an age in examples: on each update's
// batch, a unit silent on every example (its pre-activation <= 0 everywhere, a channel's every
// position included) ages by the batch's size; one that fires adds its age (the gap since it last
// fired) to its histogram of gaps and goes back to 0. After the update, a unit whose age reached
// its own threshold is reset -- fresh incoming weights, bias 0, outgoing weights 0, the Adam
// moments of all three 0, the step count kept -- and its (censored) age is counted in the
// histogram too. At the end of every `every`-th round each unit's threshold moves to the
// `percentile` quantile of its gaps if that is below it, else grows `expand`-fold, within
// [batch, tau-max]; the histograms start over. docs/LEARNERS.md says where each choice comes from.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "learn/hidden.h"
#include "learn/remedies.h"

enum { TAU, TAU_MAX, PERCENTILE, EVERY, EXPAND };

static const ws_param_def PARAMS[] = {
    {"tau", 1000, 1, 1e6, 1, "initial_threshold_examples"},
    {"tau-max", 10000, 1, 1e6, 1, "max_threshold_examples"},
    {"percentile", 0.99, 0, 1, 0, "threshold_percentile"},
    {"every", 16, 1, 1e9, 1, "threshold_update_every_rounds"},
    {"expand", 2, 1, 1e3, 1, "threshold_expansion_factor"},
};

typedef struct {
    int n;
    ws_hidden_layer layers[WS_MAX_LAYERS];
    int64_t first[WS_MAX_LAYERS + 1]; // layer k's units are [first[k], first[k+1]) of the arrays
    int64_t bins;                     // tau-max + 1: a unit's histogram counts gaps 0 .. tau-max
    int64_t *age, *thr;               // per unit, in examples
    int32_t *hist;                    // per unit, bins counts
} snr_state;

static ws_status snr_check(ws_ctx *ctx, const ws_learner *l, const ws_model *m) {
    ws_hidden_layer h[WS_MAX_LAYERS];
    int n;
    ws_status st = ws_hidden_layers(ctx, m, l->name, h, &n);
    if (!st && !n) st = ws_fail(ctx, WS_ERR_ARG, "learner '%s': %s has no hidden units to reset", l->name, m->arch);
    if (!st && l->p[TAU] > l->p[TAU_MAX])
        st = ws_fail(ctx, WS_ERR_ARG, "learner '%s': tau=%g exceeds tau-max=%g (the largest threshold)", l->name,
                     l->p[TAU], l->p[TAU_MAX]);
    return st;
}

static void snr_destroy(void *state) {
    snr_state *s = state;
    free(s->age), free(s->thr), free(s->hist), free(s);
}

static ws_status snr_create(ws_ctx *ctx, const ws_learner *def, const ws_model *m, void **out) {
    snr_state *s = ws_sys_calloc(1, sizeof *s);
    if (!s) return ws_fail(ctx, WS_ERR_NOMEM, "out of memory");
    ws_status st = ws_hidden_layers(ctx, m, def->name, s->layers, &s->n);
    for (int k = 0; k < s->n; k++) s->first[k + 1] = s->first[k] + s->layers[k].units;
    const size_t units = (size_t)s->first[s->n];
    s->bins = (int64_t)def->p[TAU_MAX] + 1;
    if (!st && (!(s->age = ws_sys_calloc(units, sizeof *s->age)) || !(s->thr = ws_sys_malloc(units * sizeof *s->thr)) ||
                !(s->hist = ws_sys_calloc(units * (size_t)s->bins, sizeof *s->hist))))
        st = ws_fail(ctx, WS_ERR_NOMEM, "out of memory");
    if (st) {
        snr_destroy(s);
        return st;
    }
    for (size_t u = 0; u < units; u++) s->thr[u] = (int64_t)def->p[TAU];
    *out = s;
    return WS_OK;
}

// A gap of `age` examples into unit i's histogram (ages past tau-max have no bin, as in snr.py).
static void count_gap(snr_state *s, int64_t i, int64_t age) {
    if (age < s->bins) s->hist[i * s->bins + age]++;
}

// Is unit u silent on the last forward's b examples: its activation's output <= 0 at every
// example and position? (ReLU's output is 0 exactly where its pre-activation is <= 0, tanh's is
// <= 0 there: snr.py's `neuron_values <= 0` on the pre-activations.)
static int silent(const ws_model *m, const ws_hidden_layer *h, int b, int u) {
    const float *a = m->act[h->act + 1];
    const int64_t P = h->positions;
    for (int e = 0; e < b; e++) {
        const float *row = a + ((int64_t)e * h->units + u) * P;
        for (int64_t q = 0; q < P; q++)
            if (row[q] > 0) return 0;
    }
    return 1;
}

// increment_neuron_ages_snr_new on the update's batch: silent units age by b, the others count
// their gap and start over.
static void age_units(snr_state *s, const ws_model *m, int b) {
    for (int k = 0; k < s->n; k++)
        for (int u = 0; u < s->layers[k].units; u++) {
            const int64_t i = s->first[k] + u;
            if (silent(m, &s->layers[k], b, u)) {
                s->age[i] += b;
            } else {
                count_gap(s, i, s->age[i]);
                s->age[i] = 0;
            }
        }
}

static int any_due(const snr_state *s) {
    for (int64_t i = 0; i < s->first[s->n]; i++)
        if (s->age[i] >= s->thr[i]) return 1;
    return 0;
}

// reset_neurons_snr_adam_: the ages come from the batch's forward, before the update; the resets
// follow the update. Layers in forward order, so where a layer's zeroed outgoing weights are the
// next layer's fresh incoming ones, fresh wins, as in snr.py.
static ws_status snr_after_step(const ws_hook_env *h) {
    snr_state *s = h->state;
    age_units(s, h->m, h->batch);
    if (!any_due(s)) return WS_OK;
    ws_hook_fresh(h, (uint64_t)h->step);
    for (int k = 0; k < s->n; k++)
        for (int u = 0; u < s->layers[k].units; u++) {
            const int64_t i = s->first[k] + u;
            if (s->age[i] < s->thr[i]) continue;
            count_gap(s, i, s->age[i]); // a reset counts as a (censored) firing, as snr.py's does
            s->age[i] = 0;
            ws_hidden_reset_unit(h->m, &s->layers[k], u, h->fresh, WS_UNIT_BIAS_ZERO, h->opt);
            (*h->replaced)++;
        }
    return WS_OK;
}

// update_tau_ for one unit: the smallest gap p >= 1 whose share of the gaps >= 1 reaches the
// percentile (float32, as jnp computes it; no gaps: p = 1, where snr.py's 0/0 leads); the
// threshold shrinks to p if p is below it, else grows `expand`-fold; within [lo, tau-max].
static int64_t new_threshold(const int32_t *hist, int64_t bins, int64_t thr, const ws_learner *def, int64_t lo) {
    int64_t total = 0, p = 1;
    for (int64_t g = 1; g < bins; g++) total += hist[g];
    int64_t cum = 0;
    for (int64_t g = 1; g < bins && total > 0; g++) {
        cum += hist[g];
        if ((float)cum / (float)total >= (float)def->p[PERCENTILE]) {
            p = g;
            break;
        }
    }
    int64_t t = p < thr ? p : (int64_t)def->p[EXPAND] * thr;
    if (t > bins - 1) t = bins - 1;
    return t < lo ? lo : t;
}

// update_tau at the end of every `every`-th round (snr.py's `task % threshold_reset_freq == 0`,
// task counted from 1). Its floor, snr.py's hard-coded batch_size = 100, is the round's batch.
static ws_status snr_end(const ws_hook_env *h) {
    snr_state *s = h->state;
    if ((h->env->round + 1) % (int64_t)h->def->p[EVERY]) return WS_OK;
    const int64_t lo = h->env->batch > 0 ? h->env->batch : 1;
    for (int64_t i = 0; i < s->first[s->n]; i++)
        s->thr[i] = new_threshold(s->hist + i * s->bins, s->bins, s->thr[i], h->def, lo);
    memset(s->hist, 0, sizeof *s->hist * (size_t)(s->first[s->n] * s->bins));
    return WS_OK;
}

static const char *key(char *buf, size_t cap, const char *what) {
    snprintf(buf, cap, "learner.own.snr.%s", what);
    return buf;
}

static void snr_save(const void *state, ws_ckpt *c) {
    const snr_state *s = state;
    char name[64];
    const int64_t units = s->first[s->n];
    ws_ckpt_i64(c, key(name, sizeof name, "age"), s->age, units);
    ws_ckpt_i64(c, key(name, sizeof name, "threshold"), s->thr, units);
    ws_ckpt_i32(c, key(name, sizeof name, "histogram"), s->hist, units * s->bins);
}

static ws_status snr_load(void *state, ws_ctx *ctx, const ws_st_file *f, const char *path) {
    snr_state *s = state;
    char name[64];
    const int64_t units = s->first[s->n];
    ws_status st;
    if ((st = ws_ckpt_get_i64(ctx, f, path, key(name, sizeof name, "age"), s->age, units)) ||
        (st = ws_ckpt_get_i64(ctx, f, path, key(name, sizeof name, "threshold"), s->thr, units)))
        return st;
    return ws_ckpt_get_i32(ctx, f, path, key(name, sizeof name, "histogram"), s->hist, units * s->bins);
}

const ws_remedy ws_remedy_snr = {
    .name = "snr",
    .help = "  snr             self-normalized resets (Farias & Jozefiak 2025): a hidden unit silent on a whole\n"
            "                  batch ages by its size, one that fires starts over; at an age of its threshold\n"
            "                  it is reset (fresh incoming weights, zero bias and outgoing weights, their Adam\n"
            "                  moments zero); every `every` rounds each threshold moves to the `percentile`\n"
            "                  quantile of the unit's silent stretches, or grows `expand`-fold, within [batch,\n"
            "                  tau-max]; tau 1000, tau-max 10000 (examples), percentile 0.99, every 16, expand 2\n",
    .params = PARAMS,
    .nparams = (int)(sizeof PARAMS / sizeof PARAMS[0]),
    .check = snr_check,
    .ops = {.create = snr_create, .destroy = snr_destroy, .after_step = snr_after_step, .end = snr_end,
            .save = snr_save, .load = snr_load},
};
