#include "learn/cbp.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    int layer;          // index of the Linear layer in m->layers
    int next;           // index of the Linear layer its activation feeds
    int units, fan_in;
    int has_bias;       // the Linear layer has a bias (not under --no-bias)
    double *utility;
    int64_t *age;
    double due;         // replacements owed, carried between steps
} hidden_layer;

struct ws_cbp {
    const ws_learner *def;
    int nlayers;
    hidden_layer layers[WS_MAX_LAYERS];
    ws_rng rng;
};

// Hidden layers: Linear, ReLU or tanh, ..., Linear. The utility reads |h|
// whatever the activation, and a replaced unit's zero outgoing weights leave
// the network's function unchanged with either.
static int find_hidden(const ws_model *m, hidden_layer *out) {
    int n = 0;
    for (int i = 0; i + 2 < m->nlayers; i++) {
        const char *act = m->layers[i + 1].ops->kind;
        if (strcmp(m->layers[i].ops->kind, "linear") || (strcmp(act, "relu") && strcmp(act, "tanh"))) continue;
        int j = i + 2;
        while (j < m->nlayers && m->layers[j].ops->is_view) j++;
        if (j == m->nlayers || strcmp(m->layers[j].ops->kind, "linear")) continue;
        out[n++] = (hidden_layer){.layer = i, .next = j, .units = m->layers[i].out.c, .fan_in = m->layers[i].in.c,
                                  .has_bias = m->layers[i].nparams > 1};
    }
    return n;
}

ws_status ws_cbp_check(ws_ctx *ctx, const ws_learner *l, const ws_model *m) {
    hidden_layer h[WS_MAX_LAYERS];
    if (!find_hidden(m, h))
        return ws_fail(ctx, WS_ERR_ARG,
                       "learner '%s': continual backprop replaces hidden units of Linear+ReLU (or tanh) layers; %s "
                       "has none (use --model mlp)",
                       l->name, m->arch);
    return WS_OK;
}

ws_status ws_cbp_create(ws_ctx *ctx, const ws_learner *l, const ws_model *m, ws_cbp **out) {
    *out = NULL;
    ws_cbp *c = ws_sys_calloc(1, sizeof *c);
    if (!c) return ws_fail(ctx, WS_ERR_NOMEM, "out of memory");
    c->def = l;
    c->nlayers = find_hidden(m, c->layers);
    for (int k = 0; k < c->nlayers; k++) {
        hidden_layer *h = &c->layers[k];
        h->utility = ws_sys_calloc((size_t)h->units, sizeof *h->utility);
        h->age = ws_sys_calloc((size_t)h->units, sizeof *h->age);
        if (!h->utility || !h->age) {
            ws_cbp_free(c);
            return ws_fail(ctx, WS_ERR_NOMEM, "out of memory");
        }
    }
    c->rng = ws_rng_stream(0, "cbp", 0);
    *out = c;
    return WS_OK;
}

void ws_cbp_free(ws_cbp *c) {
    if (!c) return;
    for (int k = 0; k < c->nlayers; k++) free(c->layers[k].utility), free(c->layers[k].age);
    free(c);
}

void ws_cbp_seed(ws_cbp *c, uint64_t seed, int round) { c->rng = ws_rng_stream(seed, "cbp", (uint64_t)round); }

int ws_cbp_nlayers(const ws_cbp *c) { return c->nlayers; }

double *ws_cbp_due(ws_cbp *c, int k) { return &c->layers[k].due; }

int ws_cbp_units(const ws_cbp *c, int k, double **utility, int64_t **age) {
    *utility = c->layers[k].utility;
    *age = c->layers[k].age;
    return c->layers[k].units;
}

static void zero_state(ws_optim *opt, int64_t off, int64_t len, int64_t stride) {
    for (int64_t i = 0; i < len; i++) {
        if (opt->buf1) opt->buf1[off + i * stride] = 0;
        if (opt->buf2) opt->buf2[off + i * stride] = 0;
    }
}

// Unit u of hidden layer h: fresh incoming weights and bias (torch.nn.Linear's
// U(-1/sqrt(fan_in), 1/sqrt(fan_in)); no bias in a layer without one), zero
// outgoing weights and optimizer state.
static void replace_unit(ws_cbp *c, hidden_layer *h, ws_model *m, ws_optim *opt, int u) {
    const ws_param *W = &m->params[m->layers[h->layer].param0], *b = h->has_bias ? W + 1 : NULL;
    const ws_param *Wn = &m->params[m->layers[h->next].param0];
    const float bound = 1.0f / sqrtf((float)h->fan_in);
    float *row = m->w + W->offset + (int64_t)u * h->fan_in;
    for (int i = 0; i < h->fan_in; i++) row[i] = (2.0f * ws_rng_uniform(&c->rng) - 1.0f) * bound;
    if (b) m->w[b->offset + u] = (2.0f * ws_rng_uniform(&c->rng) - 1.0f) * bound;
    const int nout = Wn->dims[0];
    for (int k = 0; k < nout; k++) m->w[Wn->offset + (int64_t)k * h->units + u] = 0;
    zero_state(opt, W->offset + (int64_t)u * h->fan_in, h->fan_in, 1);
    if (b) zero_state(opt, b->offset + u, 1, 1);
    zero_state(opt, Wn->offset + u, nout, h->units);
    h->utility[u] = 0;
    h->age[u] = 0;
}

typedef struct {
    double score;
    int unit;
} scored_unit;

static int by_score(const void *a, const void *b) {
    const scored_unit *x = a, *y = b;
    if (x->score != y->score) return x->score < y->score ? -1 : 1;
    return x->unit - y->unit;
}

int64_t ws_cbp_step(ws_cbp *c, ws_model *m, ws_optim *opt, int b) {
    const double eta = c->def->decay;
    int64_t replaced = 0;
    for (int k = 0; k < c->nlayers; k++) {
        hidden_layer *h = &c->layers[k];
        const float *act = m->act[h->layer + 2]; // the activation's output (B, units)
        const ws_param *Wn = &m->params[m->layers[h->next].param0];
        const int nout = Wn->dims[0];
        int eligible = 0;
        for (int u = 0; u < h->units; u++) {
            double out = 0, mean_h = 0;
            for (int o = 0; o < nout; o++) out += fabsf(m->w[Wn->offset + (int64_t)o * h->units + u]);
            for (int i = 0; i < b; i++) mean_h += fabsf(act[(int64_t)i * h->units + u]);
            mean_h /= b;
            h->utility[u] = eta * h->utility[u] + (1 - eta) * mean_h * out;
            h->age[u]++;
            eligible += h->age[u] > c->def->maturity;
        }
        h->due += c->def->replace_rate * eligible;
        int n = (int)h->due;
        if (n < 1 || eligible == 0) continue;
        h->due -= n;
        if (n > eligible) n = eligible;
        scored_unit *s = ws_sys_malloc(sizeof *s * (size_t)eligible);
        if (!s) continue; // out of memory: no replacement this step (the owed count is dropped)
        int w = 0;
        for (int u = 0; u < h->units; u++)
            if (h->age[u] > c->def->maturity)
                s[w++] = (scored_unit){h->utility[u] / (1 - pow(eta, (double)h->age[u])), u};
        qsort(s, (size_t)w, sizeof *s, by_score);
        for (int i = 0; i < n; i++) replace_unit(c, h, m, opt, s[i].unit);
        free(s);
        replaced += n;
    }
    return replaced;
}
