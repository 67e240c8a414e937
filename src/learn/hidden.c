// The hidden units of sequential networks, for the remedies that reset units (learn/hidden.h).
#include "learn/hidden.h"

#include <math.h>
#include <string.h>

static int is_kind(const ws_model *m, int i, const char *kind) { return !strcmp(m->layers[i].ops->kind, kind); }

static int makes_units(const ws_model *m, int i) { return is_kind(m, i, "linear") || is_kind(m, i, "conv2d"); }

// The layers a unit's values pass through unchanged in number between its activation and
// its consumer: pooling (a channel stays a channel) and flattening (a channel becomes its
// contiguous H*W features).
static int passes_units(const ws_model *m, int i) { return is_kind(m, i, "maxpool2") || is_kind(m, i, "flatten"); }

ws_status ws_hidden_layers(ws_ctx *ctx, const ws_model *m, const char *who, ws_hidden_layer *out, int *n) {
    *n = 0;
    for (int i = 0; i < m->nlayers; i++) {
        if (!makes_units(m, i)) continue;
        int j = i + 1, norm = -1;
        if (j < m->nlayers && is_kind(m, j, "layernorm")) norm = j++;
        if (j >= m->nlayers) break; // the head
        const ws_layer *A = &m->layers[j];
        if (!A->ops->post_activation || is_kind(m, j, "crelu"))
            return ws_fail(ctx, WS_ERR_ARG,
                           "learner '%s': resets units of Linear or Conv2d layers followed by ReLU or tanh, in "
                           "sequence; %s's layer '%s' is followed by '%s' (use --model mlp or cnn with relu or tanh)",
                           who, m->arch, m->layers[i].name, A->ops->kind);
        int k = j + 1;
        while (k < m->nlayers && passes_units(m, k)) k++;
        if (k == m->nlayers || !makes_units(m, k))
            return ws_fail(ctx, WS_ERR_ARG, "learner '%s': the units of %s's layer '%s' feed no Linear or Conv2d layer",
                           who, m->arch, m->layers[i].name);
        const ws_param *W = &m->params[m->layers[i].param0], *Wn = &m->params[m->layers[k].param0];
        ws_hidden_layer h = {.producer = i, .norm = norm, .act = j, .consumer = k, .units = A->out.c,
                             .positions = A->out.h * A->out.w, .has_bias = m->layers[i].nparams > 1,
                             .consumer_conv = is_kind(m, k, "conv2d")};
        h.fan_in = W->numel / W->dims[0];
        h.out_span = h.consumer_conv ? (int64_t)Wn->dims[2] * Wn->dims[3] : Wn->dims[1] / h.units;
        out[(*n)++] = h;
    }
    return WS_OK;
}

void ws_hidden_mean_abs(const ws_model *m, const ws_hidden_layer *h, int b, double *score) {
    const float *a = m->act[h->act + 1];
    const int C = h->units, P = h->positions;
    for (int u = 0; u < C; u++) score[u] = 0;
    for (int e = 0; e < b; e++)
        for (int u = 0; u < C; u++) {
            const float *row = a + ((int64_t)e * C + u) * P;
            double s = 0;
            for (int q = 0; q < P; q++) s += fabsf(row[q]);
            score[u] += s;
        }
    for (int u = 0; u < C; u++) score[u] /= (double)b * P;
}

// Zero the optimizer's moments of [off, off + len).
static void zero_moments(ws_optim *opt, int64_t off, int64_t len) {
    if (!opt) return;
    if (opt->buf1) memset(opt->buf1 + off, 0, sizeof(float) * (size_t)len);
    if (opt->buf2) memset(opt->buf2 + off, 0, sizeof(float) * (size_t)len);
}

// Weights [off, off + len) from `from` (NULL: all `value`), their moments zeroed (opt given).
static void set_range(ws_model *m, ws_optim *opt, int64_t off, int64_t len, const float *from, float value) {
    for (int64_t i = 0; i < len; i++) m->w[off + i] = from ? from[off + i] : value;
    zero_moments(opt, off, len);
}

void ws_hidden_reset_unit(ws_model *m, const ws_hidden_layer *h, int u, const ws_model *fresh, int flags,
                          ws_optim *opt) {
    const ws_param *W = &m->params[m->layers[h->producer].param0];
    set_range(m, opt, W->offset + (int64_t)u * h->fan_in, h->fan_in, fresh->w, 0);
    if (h->has_bias)
        set_range(m, flags & WS_UNIT_KEEP_BIAS_MOMENTS ? NULL : opt, W[1].offset + u, 1,
                  flags & WS_UNIT_BIAS_ZERO ? NULL : fresh->w, 0);
    if (h->norm >= 0) { // LayerNorm's scale and offset of the unit's positions
        const ws_param *g = &m->params[m->layers[h->norm].param0];
        set_range(m, opt, g[0].offset + (int64_t)u * h->positions, h->positions, NULL, 1);
        set_range(m, opt, g[1].offset + (int64_t)u * h->positions, h->positions, NULL, 0);
    }
    const ws_param *Wn = &m->params[m->layers[h->consumer].param0];
    const int64_t per_out = Wn->numel / Wn->dims[0]; // a consumer output's incoming weights
    for (int o = 0; o < Wn->dims[0]; o++)
        set_range(m, opt, Wn->offset + o * per_out + (int64_t)u * h->out_span, h->out_span, NULL, 0);
}
