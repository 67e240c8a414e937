// The learner table: names, defaults, parsing, and the round-begin transforms
// of the learners that only re-initialise (warm, random, shrink-perturb,
// partial, head reset, noise). Penalties live in learn/penalty.c, DASH in
// learn/dash.c, continual backprop in learn/cbp.c.
#define _POSIX_C_SOURCE 200809L
#include "learn/learner.h"

#include <fnmatch.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "learn/cbp.h"

typedef struct {
    ws_learner_kind kind;
    const char *name;
    const char *keys;  // the parameters it accepts (besides keep-optim)
} kind_info;

static const kind_info KINDS[] = {
    {WS_LEARNER_WARM, "warm", ""},
    {WS_LEARNER_RANDOM, "random", ""},
    {WS_LEARNER_SHRINK_PERTURB, "shrink-perturb", "lambda sigma noise every"},
    {WS_LEARNER_PARTIAL, "partial", "layers pattern"},
    {WS_LEARNER_HEAD_RESET, "head-reset", ""},
    {WS_LEARNER_NOISE, "noise", "sigma var"},
    {WS_LEARNER_EWC, "ewc", "lambda fisher-examples fisher-batch"},
    {WS_LEARNER_L2_INIT, "l2-init", "lambda"},
    {WS_LEARNER_L2, "l2", "lambda"},
    {WS_LEARNER_DASH, "dash", "alpha lambda"},
    {WS_LEARNER_CBP, "cbp", "rate decay maturity"},
};
#define NKINDS ((int)(sizeof KINDS / sizeof KINDS[0]))

// One paragraph per kind, wrapped at 100 columns under an 18-column indent
// (the CLI prints it under "learners"); keep a new kind's paragraph in that shape.
static const char HELP[] =
    "  Every learner but random also takes keep-optim=1 (carry its optimizer state into the next round)\n"
    "  and bn=reset|keep: BatchNorm running statistics when a round begins, taken from a freshly built\n"
    "  model (reset: the official code, whose every round builds a new model) or kept; default reset\n"
    "  under --protocol paper, else keep. And where each learner has its own network (online, active,\n"
    "  continual): layer-norm=0|1 and activation=relu|tanh|crelu, its network's, not the experiment's.\n"
    "  And lr=X: its own learning rate, not --lr.\n"
    "  warm            continues from its last model (Ash & Adams 2020)\n"
    "  random          a fresh initialisation every round\n"
    "  shrink-perturb  p <- lambda p + sigma p_fresh before each round (Ash & Adams 2020); lambda 0.4,\n"
    "                  sigma 0.1; noise=gauss: p <- lambda p + N(0, sigma^2) instead; every=step: after\n"
    "                  every update instead, a fresh initialisation each time (Kumar et al. 2024's)\n"
    "  partial         warm for the first `layers` parameterised modules (default 1) or for the\n"
    "                  parameters whose names match `pattern` (a glob, e.g. 'layer1.*'), fresh for the\n"
    "                  rest\n"
    "  head-reset      warm with a fresh last layer\n"
    "  noise           warm plus Gaussian noise N(0, sigma^2) before each round; sigma 0.01, or var=V\n"
    "                  (sigma = sqrt(V): the authors' two-phase code takes its noise as a variance)\n"
    "  ewc             warm plus lambda/2 sum F_i (theta_i - theta*_i)^2 toward the last round's model, F\n"
    "                  its diagonal empirical Fisher on the data seen (Kirkpatrick et al. 2017); lambda\n"
    "                  10, fisher-examples 1000 (0: all), fisher-batch 1\n"
    "  l2-init         warm plus lambda/2 |theta - theta_0|^2 toward its first weights (Kumar et al.\n"
    "                  2023); lambda 0.001\n"
    "  l2              warm plus lambda/2 |theta|^2 toward zero (Kumar et al.'s L2); lambda 0.001\n"
    "  dash            before each round, an EMA (alpha) of the negative gradient over the round's\n"
    "                  batches; each Linear row / Conv2d kernel slice (each bias whole) scaled by\n"
    "                  clamp(cos(-g, w), lambda, 1) (Shin et al. 2024); alpha 0.3, lambda 0.3\n"
    "  cbp             continual backprop (Dohare et al. 2024): each step, replace a `rate` share of each\n"
    "                  hidden layer's mature units of lowest contribution utility (EMA `decay` of |h|\n"
    "                  sum|w_out|, bias-corrected by age) with fresh ones (outgoing weights zero,\n"
    "                  optimizer state reset); rate 1e-4, decay 0.99, maturity 100; MLPs (ReLU, tanh)\n";

const char *ws_learner_kind_name(ws_learner_kind k) {
    if (k == WS_LEARNER_CUSTOM) return "custom"; // not a name to parse: made in C (ws_learner_custom)
    if (k == WS_LEARNER_REMEDY) return "remedy"; // each has its own name (ws_remedy.name)
    for (int i = 0; i < NKINDS; i++)
        if (KINDS[i].kind == k) return KINDS[i].name;
    return "?";
}

ws_learner ws_learner_default(ws_learner_kind kind) {
    ws_learner l;
    memset(&l, 0, sizeof l);
    l.kind = kind;
    l.layer_norm = l.activation = -1;
    snprintf(l.name, sizeof l.name, "%s", ws_learner_kind_name(kind));
    switch (kind) {
    case WS_LEARNER_SHRINK_PERTURB: l.lambda = 0.4, l.sigma = 0.1; break;
    case WS_LEARNER_PARTIAL: l.layers = 1; break;
    case WS_LEARNER_NOISE: l.sigma = 0.01; break;
    case WS_LEARNER_EWC: l.lambda = 10, l.fisher_examples = 1000, l.fisher_batch = 1; break;
    case WS_LEARNER_L2_INIT: l.lambda = 1e-3; break;
    case WS_LEARNER_L2: l.lambda = 1e-3; break;
    case WS_LEARNER_DASH: l.alpha = 0.3, l.lambda = 0.3; break;
    case WS_LEARNER_CBP: l.replace_rate = 1e-4, l.decay = 0.99, l.maturity = 100; break;
    default: break;
    }
    return l;
}

// A remedy with its defaults (name = the remedy's name).
static ws_learner remedy_default(const ws_remedy *r) {
    ws_learner l;
    memset(&l, 0, sizeof l);
    l.kind = WS_LEARNER_REMEDY;
    l.layer_norm = r->layer_norm ? 1 : -1;
    l.activation = -1;
    snprintf(l.name, sizeof l.name, "%s", r->name);
    l.remedy = r;
    l.ops = &r->ops;
    for (int i = 0; i < r->nparams; i++) l.p[i] = r->params[i].def;
    return l;
}

// The kind a record names: the remedy's own name for a remedy.
static const char *kind_label(const ws_learner *l) {
    return l->kind == WS_LEARNER_REMEDY ? l->remedy->name : ws_learner_kind_name(l->kind);
}

ws_learner ws_learner_custom(const char *name, const ws_learner_ops *ops, void *user) {
    ws_learner l;
    memset(&l, 0, sizeof l);
    l.kind = WS_LEARNER_CUSTOM;
    l.layer_norm = l.activation = -1;
    snprintf(l.name, sizeof l.name, "%s", name);
    l.ops = ops;
    l.user = user;
    return l;
}

int ws_learner_default_list(ws_learner *out, int cap) {
    if (cap < 2) return 0;
    out[0] = ws_learner_default(WS_LEARNER_WARM);
    out[1] = ws_learner_default(WS_LEARNER_RANDOM);
    return 2;
}

const char *ws_learner_help(void) { return HELP; }

static int parse_number(const char *v, double lo, double hi, double *out) {
    char *end;
    double x = strtod(v, &end);
    if (end == v || *end || !isfinite(x) || x < lo || x > hi) return 0;
    *out = x;
    return 1;
}

// One KEY=VALUE of spec `spec` into l.
static ws_status parse_param(ws_ctx *ctx, const char *spec, const kind_info *k, const char *key, const char *val,
                             ws_learner *l) {
    // the key must be one the kind accepts
    size_t kl = strlen(key);
    // keep-optim and bn are every kind's but random's (which starts afresh, its optimizer and buffers too)
    int ok = !strcmp(key, "keep-optim") || (!strcmp(key, "bn") && l->kind != WS_LEARNER_RANDOM) ||
             !strcmp(key, "layer-norm") || !strcmp(key, "activation") || !strcmp(key, "lr");
    for (const char *p = k->keys; *p && !ok;) {
        const char *e = strchr(p, ' ');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        ok = n == kl && !strncmp(p, key, n);
        p += n + (e ? 1 : 0);
    }
    if (!ok)
        return ws_fail(ctx, WS_ERR_ARG, "learner '%s': %s takes no '%s' (its parameters: %s%skeep-optim%s)", spec,
                       k->name, key, k->keys, *k->keys ? " " : "", l->kind == WS_LEARNER_RANDOM ? "" : " bn");
    double x;
    const char *bad = NULL;
    if (!strcmp(key, "keep-optim")) {
        if (!strcmp(val, "1") || !strcmp(val, "yes")) l->keep_optim = 1;
        else if (!strcmp(val, "0") || !strcmp(val, "no")) l->keep_optim = 0;
        else bad = "0 or 1";
    } else if (!strcmp(key, "lr")) {
        if (parse_number(val, 0, 1e6, &x) && x > 0) l->lr = x;
        else bad = "a learning rate > 0";
    } else if (!strcmp(key, "every")) {
        if (!strcmp(val, "round")) l->every_step = 0;
        else if (!strcmp(val, "step")) l->every_step = 1;
        else bad = "'round' or 'step'";
    } else if (!strcmp(key, "layer-norm")) {
        if (!strcmp(val, "1") || !strcmp(val, "0")) l->layer_norm = val[0] == '1';
        else bad = "0 or 1";
    } else if (!strcmp(key, "activation")) {
        ws_activation a;
        if (!ws_activation_parse(ctx, val, &a)) l->activation = (int)a;
        else bad = "relu, tanh or crelu";
    } else if (!strcmp(key, "lambda")) {
        double hi = l->kind == WS_LEARNER_SHRINK_PERTURB || l->kind == WS_LEARNER_DASH ? 1 : 1e12;
        if (parse_number(val, 0, hi, &x)) l->lambda = x;
        else bad = hi == 1 ? "a number in [0, 1]" : "a number >= 0";
    } else if (!strcmp(key, "sigma")) {
        if (parse_number(val, 0, 1e6, &x)) l->sigma = x, l->var = 0; // the last of sigma= / var= given wins
        else bad = "a number >= 0";
    } else if (!strcmp(key, "var")) { // the authors' two-phase code: paramNoise is a variance
        if (parse_number(val, 0, 1e12, &x)) l->var = x, l->sigma = sqrt(x);
        else bad = "a number >= 0";
    } else if (!strcmp(key, "alpha")) {
        if (parse_number(val, 0, 1, &x) && x > 0) l->alpha = x;
        else bad = "a number in (0, 1]";
    } else if (!strcmp(key, "noise")) {
        if (!strcmp(val, "fresh")) l->gauss = 0;
        else if (!strcmp(val, "gauss")) l->gauss = 1;
        else bad = "'fresh' or 'gauss'";
    } else if (!strcmp(key, "bn")) {
        if (!strcmp(val, "auto")) l->bn = WS_BN_AUTO;
        else if (!strcmp(val, "reset")) l->bn = WS_BN_RESET;
        else if (!strcmp(val, "keep")) l->bn = WS_BN_KEEP;
        else bad = "'auto', 'reset' or 'keep'";
    } else if (!strcmp(key, "layers")) {
        if (parse_number(val, 0, 1e6, &x) && x == floor(x)) l->layers = (int)x, l->pattern[0] = 0;
        else bad = "a whole number >= 0";
    } else if (!strcmp(key, "pattern")) {
        if (*val && strlen(val) < sizeof l->pattern) snprintf(l->pattern, sizeof l->pattern, "%s", val);
        else bad = "a glob of 1 to 47 characters";
    } else if (!strcmp(key, "fisher-examples")) {
        if (parse_number(val, 0, 1e12, &x) && x == floor(x)) l->fisher_examples = (int64_t)x;
        else bad = "a whole number >= 0";
    } else if (!strcmp(key, "fisher-batch")) {
        if (parse_number(val, 1, 1e6, &x) && x == floor(x)) l->fisher_batch = (int)x;
        else bad = "a whole number >= 1";
    } else if (!strcmp(key, "rate")) {
        if (parse_number(val, 0, 1, &x)) l->replace_rate = x;
        else bad = "a number in [0, 1]";
    } else if (!strcmp(key, "decay")) {
        if (parse_number(val, 0, 1, &x) && x < 1) l->decay = x;
        else bad = "a number in [0, 1)";
    } else if (!strcmp(key, "maturity")) {
        if (parse_number(val, 0, 1e9, &x) && x == floor(x)) l->maturity = (int)x;
        else bad = "a whole number >= 0";
    }
    if (bad) return ws_fail(ctx, WS_ERR_ARG, "learner '%s': %s=%s: expected %s", spec, key, val, bad);
    return WS_OK;
}

// One KEY=VALUE of a remedy's own parameters into l; 0 when the remedy has no such key.
static int parse_remedy_param(ws_ctx *ctx, const char *spec, const char *key, const char *val, ws_learner *l,
                              ws_status *st) {
    const ws_remedy *r = l->remedy;
    for (int i = 0; i < r->nparams; i++) {
        const ws_param_def *d = &r->params[i];
        if (strcmp(d->key, key)) continue;
        double x;
        if (parse_number(val, d->lo, d->hi, &x) && (!d->whole || x == floor(x))) {
            l->p[i] = x;
            *st = WS_OK;
        } else {
            *st = ws_fail(ctx, WS_ERR_ARG, "learner '%s': %s=%s: expected %s in [%g, %g]", spec, key, val,
                          d->whole ? "a whole number" : "a number", d->lo, d->hi);
        }
        return 1;
    }
    return 0;
}

ws_status ws_learner_parse(ws_ctx *ctx, const char *spec, ws_learner *out) {
    char buf[256];
    if (!*spec) return ws_fail(ctx, WS_ERR_ARG, "empty learner name");
    if (strlen(spec) >= sizeof out->name)
        return ws_fail(ctx, WS_ERR_ARG, "learner '%.40s...': longer than %d characters", spec, (int)sizeof out->name - 1);
    snprintf(buf, sizeof buf, "%s", spec);
    char *colon = strchr(buf, ':');
    if (colon) *colon = 0;
    const kind_info *k = NULL;
    for (int i = 0; i < NKINDS; i++)
        if (!strcmp(KINDS[i].name, buf)) k = &KINDS[i];
    const ws_remedy *remedy = k ? NULL : ws_remedy_find(buf);
    if (!k && !remedy) {
        char names[1024];
        size_t w = 0;
        for (int i = 0; i < NKINDS; i++) w += (size_t)snprintf(names + w, sizeof names - w, "%s%s", i ? ", " : "", KINDS[i].name);
        for (int i = 0; ws_remedy_at(i); i++) w += (size_t)snprintf(names + w, sizeof names - w, ", %s", ws_remedy_at(i)->name);
        return ws_fail(ctx, WS_ERR_ARG, "unknown learner '%s' (known: %s)", buf, names);
    }
    // A remedy's keys, for the message that lists what it takes.
    char keys[256] = "";
    kind_info remedy_info = {WS_LEARNER_REMEDY, buf, keys};
    for (int i = 0; remedy && i < remedy->nparams; i++)
        snprintf(keys + strlen(keys), sizeof keys - strlen(keys), "%s%s", i ? " " : "", remedy->params[i].key);
    if (remedy) k = &remedy_info;
    ws_learner l = remedy ? remedy_default(remedy) : ws_learner_default(k->kind);
    snprintf(l.name, sizeof l.name, "%s", spec);
    for (char *p = colon ? colon + 1 : NULL; p;) {
        char *next = strchr(p, ':');
        if (next) *next++ = 0;
        char *eq = strchr(p, '=');
        if (!eq || eq == p || !eq[1])
            return ws_fail(ctx, WS_ERR_ARG, "learner '%s': '%s' is not KEY=VALUE", spec, p);
        *eq = 0;
        ws_status st = WS_OK;
        if (!remedy || !parse_remedy_param(ctx, spec, p, eq + 1, &l, &st)) st = parse_param(ctx, spec, k, p, eq + 1, &l);
        if (st) return st;
        p = next;
    }
    if (l.kind == WS_LEARNER_RANDOM && l.keep_optim)
        return ws_fail(ctx, WS_ERR_ARG, "learner '%s': random starts afresh, optimizer included", spec);
    *out = l;
    return WS_OK;
}

ws_status ws_learner_parse_list(ws_ctx *ctx, const char *text, ws_learner *out, int cap, int *n) {
    *n = 0;
    char buf[8192];
    if (strlen(text) >= sizeof buf) return ws_fail(ctx, WS_ERR_ARG, "learner list longer than %d characters", (int)sizeof buf - 1);
    snprintf(buf, sizeof buf, "%s", text);
    for (char *p = buf; p;) {
        char *next = strchr(p, ',');
        if (next) *next++ = 0;
        // "warm, random": the spaces around a name are not part of it
        while (*p == ' ' || *p == '\t' || *p == '\n') p++;
        for (char *e = p + strlen(p); e > p && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n');) *--e = 0;
        if (*n == cap) return ws_fail(ctx, WS_ERR_ARG, "more than %d learners", cap);
        ws_status st = ws_learner_parse(ctx, p, &out[*n]);
        if (st) return st;
        for (int i = 0; i < *n; i++)
            if (!strcmp(out[i].name, out[*n].name)) return ws_fail(ctx, WS_ERR_ARG, "learner '%s' listed twice", p);
        (*n)++;
        p = next;
    }
    return WS_OK;
}

int ws_learner_index(const ws_learner *ls, int n, const char *name) {
    for (int i = 0; i < n; i++)
        if (!strcmp(ls[i].name, name)) return i;
    return -1;
}

void ws_learner_file_name(const char *name, char *out, size_t cap) {
    size_t i = 0;
    for (; name[i] && i + 1 < cap; i++) {
        char c = name[i];
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '=';
        out[i] = ok ? c : '_';
    }
    if (cap) out[i] = 0;
}

cJSON *ws_learner_json(const ws_learner *l) {
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "name", l->name);
    cJSON_AddStringToObject(j, "kind", kind_label(l));
    switch (l->kind) {
    case WS_LEARNER_SHRINK_PERTURB:
        cJSON_AddNumberToObject(j, "lambda", l->lambda);
        cJSON_AddNumberToObject(j, "sigma", l->sigma);
        cJSON_AddStringToObject(j, "noise", l->gauss ? "gauss: N(0, sigma^2)" : "fresh: sigma * a fresh initialisation");
        cJSON_AddStringToObject(j, "every", l->every_step ? "step: after every update" : "round: before each round");
        break;
    case WS_LEARNER_PARTIAL:
        if (l->pattern[0]) cJSON_AddStringToObject(j, "pattern", l->pattern);
        else cJSON_AddNumberToObject(j, "layers", l->layers);
        break;
    case WS_LEARNER_NOISE:
        cJSON_AddNumberToObject(j, "sigma", l->sigma);
        if (l->var > 0) cJSON_AddNumberToObject(j, "var", l->var); // given as a variance: sigma = sqrt(var)
        break;
    case WS_LEARNER_EWC:
        cJSON_AddNumberToObject(j, "lambda", l->lambda);
        cJSON_AddNumberToObject(j, "fisher_examples", (double)l->fisher_examples);
        cJSON_AddNumberToObject(j, "fisher_batch", l->fisher_batch);
        break;
    case WS_LEARNER_L2_INIT: cJSON_AddNumberToObject(j, "lambda", l->lambda); break;
    case WS_LEARNER_L2: cJSON_AddNumberToObject(j, "lambda", l->lambda); break;
    case WS_LEARNER_DASH:
        cJSON_AddNumberToObject(j, "alpha", l->alpha);
        cJSON_AddNumberToObject(j, "lambda", l->lambda);
        break;
    case WS_LEARNER_REMEDY:
        for (int i = 0; i < l->remedy->nparams; i++) cJSON_AddNumberToObject(j, l->remedy->params[i].record, l->p[i]);
        if (l->ops->record) l->ops->record(l, j);
        break;
    case WS_LEARNER_CUSTOM:
        if (l->ops && l->ops->record) l->ops->record(l, j);
        break;
    case WS_LEARNER_CBP:
        cJSON_AddNumberToObject(j, "replacement_rate", l->replace_rate);
        cJSON_AddNumberToObject(j, "utility_decay", l->decay);
        cJSON_AddNumberToObject(j, "maturity", l->maturity);
        break;
    default: break;
    }
    if (l->lr > 0) cJSON_AddNumberToObject(j, "lr", l->lr);
    if (l->layer_norm >= 0) cJSON_AddBoolToObject(j, "layer_norm", l->layer_norm);
    if (l->activation >= 0) cJSON_AddStringToObject(j, "activation", ws_activation_name((ws_activation)l->activation));
    if (l->kind != WS_LEARNER_RANDOM)
        cJSON_AddStringToObject(j, "bn", l->bn == WS_BN_RESET ? "reset" : l->bn == WS_BN_KEEP ? "keep"
                                                                                          : "auto (reset under --protocol paper, else keep)");
    cJSON_AddBoolToObject(j, "keep_optimizer_state", l->keep_optim);
    return j;
}

// Parameterised modules: runs of parameters sharing the prefix before the last
// '.' ("lm1.weight", "lm1.bias" -> "lm1"). module[p] gets each parameter's
// module number; returns the number of modules.
static int modules_of(const ws_model *m, int *module) {
    int nm = 0;
    for (int p = 0; p < m->nparams; p++) {
        if (p > 0) {
            const char *a = m->params[p - 1].name, *b = m->params[p].name;
            const char *da = strrchr(a, '.'), *db = strrchr(b, '.');
            size_t la = da ? (size_t)(da - a) : strlen(a), lb = db ? (size_t)(db - b) : strlen(b);
            if (la != lb || strncmp(a, b, la)) nm++;
        }
        module[p] = nm;
    }
    return m->nparams ? nm + 1 : 0;
}

void ws_learner_model_spec(const ws_learner *l, ws_model_spec *spec) {
    if (l->layer_norm >= 0) spec->layer_norm = l->layer_norm;
    if (l->activation >= 0) spec->act = (ws_activation)l->activation;
}

int ws_learner_changes_model(const ws_learner *l) { return l->layer_norm >= 0 || l->activation >= 0; }

ws_status ws_learner_check(ws_ctx *ctx, const ws_learner *l, const ws_model *m) {
    if (l->kind == WS_LEARNER_PARTIAL && !l->pattern[0]) {
        int module[WS_MAX_PARAMS];
        int nm = modules_of(m, module);
        if (l->layers > nm)
            return ws_fail(ctx, WS_ERR_ARG, "learner '%s': layers=%d but %s has %d parameterised modules", l->name,
                           l->layers, m->arch, nm);
    }
    if (l->kind == WS_LEARNER_PARTIAL && l->pattern[0]) {
        int any = 0;
        for (int p = 0; p < m->nparams; p++) any |= !fnmatch(l->pattern, m->params[p].name, 0);
        if (!any)
            return ws_fail(ctx, WS_ERR_ARG, "learner '%s': pattern '%s' matches no parameter of %s (names like '%s')",
                           l->name, l->pattern, m->arch, m->params[0].name);
    }
    if (l->kind == WS_LEARNER_CBP) return ws_cbp_check(ctx, l, m);
    if (l->kind == WS_LEARNER_REMEDY && l->remedy->check) return l->remedy->check(ctx, l, m);
    return WS_OK;
}

void ws_shrink_perturb(float *p, const float *f, int64_t n, float lambda, float sigma) {
    if (lambda == 0) {
        for (int64_t i = 0; i < n; i++) p[i] = sigma == 1 ? f[i] : sigma * f[i];
    } else if (sigma == 0) {
        if (lambda != 1)
            for (int64_t i = 0; i < n; i++) p[i] *= lambda;
    } else {
        for (int64_t i = 0; i < n; i++) p[i] = lambda * p[i] + sigma * f[i];
    }
}

void ws_model_head_range(const ws_model *m, int64_t *off, int64_t *len) {
    const ws_layer *L = &m->layers[m->nlayers - 1];
    const ws_param *p0 = &m->params[L->param0], *p1 = &m->params[L->param0 + L->nparams - 1];
    *off = p0->offset;
    *len = p1->offset + p1->numel - p0->offset;
}

ws_status ws_partial_mask(ws_ctx *ctx, const ws_learner *l, const ws_model *m, uint8_t *keep) {
    int module[WS_MAX_PARAMS];
    int nm = modules_of(m, module);
    for (int p = 0; p < m->nparams; p++) {
        if (l->kind == WS_LEARNER_HEAD_RESET) keep[p] = module[p] < nm - 1;
        else if (l->pattern[0]) keep[p] = !fnmatch(l->pattern, m->params[p].name, 0);
        else keep[p] = module[p] < l->layers;
    }
    return WS_OK;
}

ws_status ws_learner_state_init(ws_ctx *ctx, ws_learner_state *s, const ws_learner *def, const ws_model *m) {
    memset(s, 0, sizeof *s);
    s->def = def;
    s->ctx = ctx;
    s->n = m->nweights;
    ws_status st = ws_learner_check(ctx, def, m);
    if (st) return st;
    // The learners that take (some of) a fresh initialisation hold a model to draw it in.
    const int takes_fresh = def->kind == WS_LEARNER_RANDOM || def->kind == WS_LEARNER_SHRINK_PERTURB ||
                            def->kind == WS_LEARNER_PARTIAL || def->kind == WS_LEARNER_HEAD_RESET ||
                            def->kind == WS_LEARNER_CUSTOM || def->kind == WS_LEARNER_REMEDY;
    if (takes_fresh && (st = ws_model_create(ctx, &s->fresh, &m->spec))) return st;
    if (def->kind == WS_LEARNER_L2_INIT && !(s->theta0 = ws_alloc(ctx, sizeof(float) * (size_t)s->n))) st = ws_nomem(ctx);
    if (def->kind == WS_LEARNER_EWC && (!(s->anchor = ws_alloc(ctx, sizeof(float) * (size_t)s->n)) ||
                                        !(s->fisher = ws_alloc(ctx, sizeof(float) * (size_t)s->n))))
        st = ws_nomem(ctx);
    if (!st && def->kind == WS_LEARNER_CBP) st = ws_cbp_create(ctx, def, m, &s->cbp);
    if (!st && def->ops && def->ops->create && (st = def->ops->create(ctx, def, m, &s->own)) && !strstr(ctx->err, def->name))
        ws_fail_prefix(ctx, st, "learner '%s': ", def->name);
    if (st) ws_learner_state_free(s);
    return st;
}

void ws_learner_state_free(ws_learner_state *s) {
    ws_model_free(s->fresh);
    ws_free(s->theta0);
    ws_free(s->anchor);
    ws_free(s->fisher);
    ws_optim_free(&s->opt);
    ws_cbp_free(s->cbp);
    if (s->own && s->def->ops && s->def->ops->destroy) s->def->ops->destroy(s->own);
    memset(s, 0, sizeof *s);
}

// Copy the fresh model's buffers (BatchNorm running statistics) into m.
static void take_fresh_buffers(ws_model *m, const ws_model *f) {
    memcpy(m->buf, f->buf, sizeof(float) * (size_t)m->nbuf);
    memcpy(m->ibuf, f->ibuf, sizeof(int64_t) * (size_t)m->nibuf);
}

void ws_take_fresh_module_buffers(ws_model *m, const ws_model *f, const uint8_t *keep) {
    for (int b = 0; b < m->nbuffers; b++) {
        const ws_buffer *B = &m->buffers[b];
        const char *dot = strrchr(B->name, '.');
        size_t len = dot ? (size_t)(dot - B->name) : strlen(B->name);
        int kept = 0;
        for (int p = 0; p < m->nparams; p++)
            if (keep[p] && !strncmp(m->params[p].name, B->name, len) && m->params[p].name[len] == '.' &&
                !strchr(m->params[p].name + len + 1, '.'))
                kept = 1;
        if (kept) continue;
        if (B->dtype == WS_BUF_F32) memcpy(m->buf + B->offset, f->buf + B->offset, sizeof(float) * (size_t)B->numel);
        else memcpy(m->ibuf + B->offset, f->ibuf + B->offset, sizeof(int64_t) * (size_t)B->numel);
    }
}

// The learner restarts BatchNorm's running statistics when a round begins (its bn policy).
static int bn_resets(const ws_learner *l, const ws_round_env *env) {
    return l->bn == WS_BN_RESET || (l->bn == WS_BN_AUTO && env->paper);
}

// BatchNorm running statistics restarted as in a freshly built model (the fresh
// initialisation's when the learner draws one; built for the purpose otherwise).
static ws_status reset_buffers(ws_learner_state *s, ws_model *m, const ws_round_env *env) {
    if (!m->nbuf && !m->nibuf) return WS_OK; // no BatchNorm
    if (!s->fresh) {
        ws_status st = ws_model_create(s->ctx, &s->fresh, &m->spec);
        if (st) return st;
        ws_rng r = ws_rng_stream(env->seed, "init", env->fresh_stream);
        ws_model_init(s->fresh, &r); // only its buffers are read: their defaults
    }
    take_fresh_buffers(m, s->fresh);
    return WS_OK;
}

// What a custom learner's or remedy's hook is handed.
static ws_hook_env hook_env(ws_learner_state *s, ws_model *m, ws_optim *opt, int b) {
    return (ws_hook_env){.ctx = s->ctx, .def = s->def, .state = s->own, .m = m, .opt = opt, .fresh = s->fresh,
                         .seed = s->seed, .step = s->steps, .batch = b, .replaced = &s->replaced};
}

void ws_hook_fresh(const ws_hook_env *h, uint64_t draw) {
    ws_rng r = ws_rng_stream(h->seed, "remedy-fresh", draw);
    ws_model_init(h->fresh, &r);
}

ws_model *ws_learner_eval_model(ws_learner_state *s, ws_model *m) {
    const ws_learner_ops *ops = s->def->ops;
    ws_model *e = ops && ops->eval_model && s->own ? ops->eval_model(s->own) : NULL;
    return e ? e : m;
}

ws_status ws_learner_begin(ws_learner_state *s, ws_model *m, const ws_round_env *env) {
    const ws_learner *l = s->def;
    ws_ctx *ctx = s->ctx;
    ws_status st = WS_OK;
    const int later = env->round > 0;
    // The official code shrink-perturbs before every round, the first included.
    const int sp_now = l->kind == WS_LEARNER_SHRINK_PERTURB && !l->every_step && (later || env->paper);
    s->seed = env->seed;
    if (s->fresh && (later || sp_now)) {
        // Round 0 under the paper protocol: a fresh model other than the shared
        // initialisation (the official code builds a new one).
        ws_rng r = later ? ws_rng_stream(env->seed, "init", env->fresh_stream) : ws_rng_stream(env->seed, "perturb", 0);
        ws_model_init(s->fresh, &r);
    }
    switch (l->kind) {
    case WS_LEARNER_RANDOM:
        if (later) {
            memcpy(m->w, s->fresh->w, sizeof(float) * (size_t)m->nweights);
            take_fresh_buffers(m, s->fresh);
        }
        break;
    case WS_LEARNER_SHRINK_PERTURB:
        if (!sp_now) break;
        if (l->gauss) {
            ws_rng r = ws_rng_stream(env->seed, "perturb", 1000 + (uint64_t)env->round);
            for (int64_t i = 0; i < m->nweights; i++) m->w[i] = (float)l->lambda * m->w[i] + (float)l->sigma * ws_rng_normal(&r);
        } else {
            ws_shrink_perturb(m->w, s->fresh->w, m->nweights, (float)l->lambda, (float)l->sigma);
        }
        if (bn_resets(l, env)) take_fresh_buffers(m, s->fresh);
        break;
    case WS_LEARNER_PARTIAL:
    case WS_LEARNER_HEAD_RESET:
        if (later) {
            uint8_t keep[WS_MAX_PARAMS];
            ws_partial_mask(ctx, l, m, keep);
            for (int p = 0; p < m->nparams; p++)
                if (!keep[p])
                    memcpy(m->w + m->params[p].offset, s->fresh->w + m->params[p].offset,
                           sizeof(float) * (size_t)m->params[p].numel);
            ws_take_fresh_module_buffers(m, s->fresh, keep);
        }
        break;
    case WS_LEARNER_NOISE:
        if (later) {
            ws_rng r = ws_rng_stream(env->seed, "noise", (uint64_t)env->round);
            for (int64_t i = 0; i < m->nweights; i++) m->w[i] += (float)l->sigma * ws_rng_normal(&r);
        }
        break;
    case WS_LEARNER_DASH:
        if (later) st = ws_dash(ctx, m, env->d, env->norm, env->idx, env->n, env->batch, (float)l->alpha, (float)l->lambda);
        break;
    case WS_LEARNER_CUSTOM:
    case WS_LEARNER_REMEDY:
        if (l->ops && l->ops->begin) {
            ws_hook_env h = hook_env(s, m, s->opt_ready ? &s->opt : NULL, 0);
            h.env = env;
            st = l->ops->begin(&h);
        }
        if (st && !strstr(ctx->err, l->name)) ws_fail_prefix(ctx, st, "learner '%s': ", l->name);
        break;
    default: break; // warm, ewc, l2-init, cbp begin where they ended
    }
    if (st) return st;
    // Every learner that begins where it ended (all but random and shrink-perturb, which took
    // theirs above) restarts BatchNorm's buffers under its bn policy, as the official code's
    // warm start (shrink-perturb with lambda 1, sigma 0: a freshly built model) does.
    if (later && l->kind != WS_LEARNER_RANDOM && l->kind != WS_LEARNER_SHRINK_PERTURB && bn_resets(l, env) &&
        (st = reset_buffers(s, m, env)))
        return st;
    if (s->cbp) ws_cbp_seed(s->cbp, env->seed, env->round);
    if (!s->started) ws_learner_start(s, m);
    return WS_OK;
}

void ws_learner_start(ws_learner_state *s, const ws_model *m) {
    if (s->theta0) memcpy(s->theta0, m->w, sizeof(float) * (size_t)m->nweights);
    if (s->own && s->def->ops->start) s->def->ops->start(s->own, m);
    s->started = 1;
}

ws_status ws_learner_adopt_optimizer(ws_learner_state *s, const ws_optim *src) {
    if (!s->def->keep_optim || s->def->kind == WS_LEARNER_RANDOM) return WS_OK;
    ws_optim_free(&s->opt);
    ws_status st = ws_optim_create(s->ctx, &s->opt, &src->cfg, s->n);
    if (st) return st;
    s->opt.step = src->step;
    if (src->buf1) memcpy(s->opt.buf1, src->buf1, sizeof(float) * (size_t)s->n);
    if (src->buf2) memcpy(s->opt.buf2, src->buf2, sizeof(float) * (size_t)s->n);
    memcpy(s->opt.restarted, src->restarted, sizeof src->restarted);
    s->opt.nrestarted = src->nrestarted;
    s->opt_ready = 1;
    return WS_OK;
}

ws_status ws_learner_optimizer(ws_learner_state *s, const ws_opt_config *given, ws_optim **out) {
    ws_opt_config own = *given;
    if (s->def->lr > 0) own.lr = (float)s->def->lr;
    const ws_opt_config *cfg = &own;
    *out = &s->opt;
    if (!s->opt_ready) {
        ws_status st = ws_optim_create(s->ctx, &s->opt, cfg, s->n);
        if (st) return st;
        s->opt_ready = 1;
        return WS_OK;
    }
    if (!s->def->keep_optim || s->def->kind == WS_LEARNER_RANDOM) ws_optim_reset(&s->opt);
    s->opt.cfg = *cfg;
    return WS_OK;
}

static ws_status penalty_hook(void *user, ws_model *m, ws_optim *opt, int b) {
    ws_learner_state *s = user;
    const float *anchor = s->def->kind == WS_LEARNER_EWC ? s->anchor : s->def->kind == WS_LEARNER_L2 ? NULL : s->theta0;
    ws_penalty_apply(m->g, m->w, anchor, s->def->kind == WS_LEARNER_EWC ? s->fisher : NULL, m->nweights,
                     (float)s->def->lambda);
    return WS_OK;
}

// Kumar et al.'s shrink-and-perturb: after every update, p <- lambda p + sigma p_fresh with a
// fresh initialisation each time (stream "perturb", the learner's update count).
static ws_status shrink_perturb_hook(void *user, ws_model *m, ws_optim *opt, int b) {
    ws_learner_state *s = user;
    ws_rng r = ws_rng_stream(s->seed, "perturb-step", (uint64_t)s->steps++);
    if (s->def->gauss) {
        for (int64_t i = 0; i < m->nweights; i++)
            m->w[i] = (float)s->def->lambda * m->w[i] + (float)s->def->sigma * ws_rng_normal(&r);
        return WS_OK;
    }
    ws_model_init(s->fresh, &r);
    ws_shrink_perturb(m->w, s->fresh->w, m->nweights, (float)s->def->lambda, (float)s->def->sigma);
    return WS_OK;
}

static ws_status cbp_hook(void *user, ws_model *m, ws_optim *opt, int b) {
    ws_learner_state *s = user;
    s->replaced += ws_cbp_step(s->cbp, m, opt, b);
    return WS_OK;
}

// A custom learner's or remedy's step hooks, with their errors named.
static ws_status own_hook(ws_learner_state *s, ws_learner_hook hook, ws_model *m, ws_optim *opt, int b) {
    ws_hook_env h = hook_env(s, m, opt, b);
    ws_status st = hook(&h);
    if (st && !strstr(s->ctx->err, s->def->name)) ws_fail_prefix(s->ctx, st, "learner '%s': ", s->def->name);
    return st;
}

static ws_status own_after_backward(void *user, ws_model *m, ws_optim *opt, int b) {
    ws_learner_state *s = user;
    return own_hook(s, s->def->ops->after_backward, m, opt, b);
}

static ws_status own_update(void *user, ws_model *m, ws_optim *opt, int b) {
    ws_learner_state *s = user;
    return own_hook(s, s->def->ops->update, m, opt, b);
}

// Counts every update (the hooks' `step`, kept in the checkpoint), then the learner's own hook.
static ws_status own_after_step(void *user, ws_model *m, ws_optim *opt, int b) {
    ws_learner_state *s = user;
    s->steps++;
    return s->def->ops->after_step ? own_hook(s, s->def->ops->after_step, m, opt, b) : WS_OK;
}

void ws_learner_hooks(ws_learner_state *s, ws_train_config *tc) {
    tc->hook_user = s;
    tc->after_backward = NULL;
    tc->after_step = NULL;
    tc->update = NULL;
    if (s->def->ops) {
        const ws_learner_ops *ops = s->def->ops;
        tc->after_backward = ops->after_backward ? own_after_backward : NULL;
        tc->update = ops->update ? own_update : NULL;
        tc->after_step = own_after_step;
        return;
    }
    if (s->def->kind == WS_LEARNER_L2_INIT || s->def->kind == WS_LEARNER_L2 ||
        (s->def->kind == WS_LEARNER_EWC && s->fisher_ready))
        tc->after_backward = penalty_hook;
    if (s->def->kind == WS_LEARNER_CBP) tc->after_step = cbp_hook;
    if (s->def->kind == WS_LEARNER_SHRINK_PERTURB && s->def->every_step) tc->after_step = shrink_perturb_hook;
}

ws_status ws_learner_end(ws_learner_state *s, ws_model *m, const ws_round_env *env) {
    if (s->def->ops && s->def->ops->end) {
        ws_hook_env h = hook_env(s, m, s->opt_ready ? &s->opt : NULL, 0);
        h.env = env;
        ws_status st = s->def->ops->end(&h);
        if (st && !strstr(s->ctx->err, s->def->name)) ws_fail_prefix(s->ctx, st, "learner '%s': ", s->def->name);
        return st;
    }
    if (s->def->kind != WS_LEARNER_EWC) return WS_OK;
    const ws_learner *l = s->def;
    int64_t n = env->n;
    if (l->fisher_examples > 0 && l->fisher_examples < n) n = l->fisher_examples;
    // The first n of a seeded shuffle of the examples seen.
    int32_t *idx = ws_alloc(s->ctx, sizeof(int32_t) * (size_t)env->n);
    if (!idx) return ws_nomem(s->ctx);
    memcpy(idx, env->idx, sizeof(int32_t) * (size_t)env->n);
    ws_rng r = ws_rng_stream(env->seed, "fisher", (uint64_t)env->round);
    ws_rng_shuffle(&r, idx, env->n);
    float *f = ws_alloc(s->ctx, sizeof(float) * (size_t)m->nweights);
    ws_status st = f ? ws_fisher_diag(s->ctx, m, env->d, env->norm, idx, n, l->fisher_batch, f) : ws_nomem(s->ctx);
    ws_free(idx);
    if (!st) {
        // Anchored: all of m, or its first anchor_len floats (transfer: A's body;
        // the rest, a fresh head, unpenalised).
        int64_t body = m->nweights < s->n ? m->nweights : s->n;
        if (env->anchor_len > 0 && env->anchor_len < body) body = env->anchor_len;
        memset(s->fisher, 0, sizeof(float) * (size_t)s->n);
        memset(s->anchor, 0, sizeof(float) * (size_t)s->n);
        memcpy(s->fisher, f, sizeof(float) * (size_t)body);
        memcpy(s->anchor, m->w, sizeof(float) * (size_t)body);
        s->fisher_ready = 1; // from now on the penalty applies
    }
    ws_free(f);
    return st;
}

// The checkpoint name of continual backprop's layer k's `what`.
static const char *cbp_key(char *buf, size_t cap, int k, const char *what) {
    snprintf(buf, cap, "learner.cbp.%d.%s", k, what);
    return buf;
}

// ---- checkpoints ------------------------------------------------------------------------------

void ws_learner_state_save(const ws_learner_state *s, ws_ckpt *c) {
    ws_ckpt_int(c, "learner.opt_ready", s->opt_ready);
    ws_ckpt_int(c, "learner.started", s->started);
    ws_ckpt_int(c, "learner.fisher_ready", s->fisher_ready);
    ws_ckpt_int(c, "learner.replaced", s->replaced);
    const ws_learner_ops *ops = s->def->ops;
    if (s->def->every_step || ops) ws_ckpt_int(c, "learner.steps", s->steps);
    if (ops && ops->save && s->own) ops->save(s->own, c);
    if (s->opt_ready) {
        ws_ckpt_int(c, "learner.opt_step", s->opt.step);
        ws_ckpt_f32(c, "learner.opt.buf1", s->opt.buf1, s->opt.buf1 ? s->n : 0);
        ws_ckpt_f32(c, "learner.opt.buf2", s->opt.buf2, s->opt.buf2 ? s->n : 0);
        if (s->opt.nrestarted) { // (offset, length, step) triples: ws_optim_range is three int64_t
            ws_ckpt_int(c, "learner.opt.nrestarted", s->opt.nrestarted);
            ws_ckpt_i64(c, "learner.opt.restarted", &s->opt.restarted[0].off, 3 * (int64_t)s->opt.nrestarted);
        }
    }
    ws_ckpt_f32(c, "learner.theta0", s->theta0, s->theta0 ? s->n : 0);
    ws_ckpt_f32(c, "learner.anchor", s->anchor, s->anchor ? s->n : 0);
    ws_ckpt_f32(c, "learner.fisher", s->fisher, s->fisher ? s->n : 0);
    for (int k = 0; s->cbp && k < ws_cbp_nlayers(s->cbp); k++) {
        double *u;
        int64_t *age;
        int units = ws_cbp_units(s->cbp, k, &u, &age);
        char name[64];
        ws_ckpt_f64(c, cbp_key(name, sizeof name, k, "utility"), u, units);
        ws_ckpt_i64(c, cbp_key(name, sizeof name, k, "age"), age, units);
        ws_ckpt_f64(c, cbp_key(name, sizeof name, k, "due"), ws_cbp_due(s->cbp, k), 1);
    }
}

// The optimizer's restarted ranges, where the checkpoint has any (older ones have none).
static ws_status load_restarted(ws_ctx *ctx, const ws_st_file *f, const char *path, ws_optim *o) {
    char buf[32];
    int64_t n = 0;
    o->nrestarted = 0;
    if (!ws_st_meta(f, "learner.opt.nrestarted", buf, sizeof buf)) return WS_OK;
    ws_status st = ws_ckpt_get_int(ctx, f, path, "learner.opt.nrestarted", &n);
    if (!st && (n < 1 || n > WS_OPTIM_MAX_RANGES))
        st = ws_fail(ctx, WS_ERR_FORMAT, "%s: learner.opt.nrestarted = %lld out of range", path, (long long)n);
    if (!st) st = ws_ckpt_get_i64(ctx, f, path, "learner.opt.restarted", &o->restarted[0].off, 3 * n);
    if (!st) o->nrestarted = (int)n;
    return st;
}

ws_status ws_learner_state_load(ws_learner_state *s, const ws_opt_config *opt_cfg, const ws_st_file *f,
                                const char *path) {
    ws_ctx *ctx = s->ctx;
    int64_t opt_ready, started, fisher_ready, replaced, step = 0;
    ws_status st;
    if ((st = ws_ckpt_get_int(ctx, f, path, "learner.opt_ready", &opt_ready)) ||
        (st = ws_ckpt_get_int(ctx, f, path, "learner.started", &started)) ||
        (st = ws_ckpt_get_int(ctx, f, path, "learner.fisher_ready", &fisher_ready)) ||
        (st = ws_ckpt_get_int(ctx, f, path, "learner.replaced", &replaced)))
        return st;
    ws_optim_free(&s->opt);
    s->opt_ready = 0;
    if (opt_ready) {
        if ((st = ws_ckpt_get_int(ctx, f, path, "learner.opt_step", &step)) ||
            (st = ws_optim_create(ctx, &s->opt, opt_cfg, s->n)))
            return st;
        s->opt.step = step;
        if ((st = ws_ckpt_get_f32(ctx, f, path, "learner.opt.buf1", s->opt.buf1, s->opt.buf1 ? s->n : 0)) ||
            (st = ws_ckpt_get_f32(ctx, f, path, "learner.opt.buf2", s->opt.buf2, s->opt.buf2 ? s->n : 0)) ||
            (st = load_restarted(ctx, f, path, &s->opt)))
            return st;
        s->opt_ready = 1;
    }
    if ((st = ws_ckpt_get_f32(ctx, f, path, "learner.theta0", s->theta0, s->theta0 ? s->n : 0)) ||
        (st = ws_ckpt_get_f32(ctx, f, path, "learner.anchor", s->anchor, s->anchor ? s->n : 0)) ||
        (st = ws_ckpt_get_f32(ctx, f, path, "learner.fisher", s->fisher, s->fisher ? s->n : 0)))
        return st;
    for (int k = 0; s->cbp && k < ws_cbp_nlayers(s->cbp); k++) {
        double *u;
        int64_t *age;
        int units = ws_cbp_units(s->cbp, k, &u, &age);
        char name[64];
        if ((st = ws_ckpt_get_f64(ctx, f, path, cbp_key(name, sizeof name, k, "utility"), u, units)) ||
            (st = ws_ckpt_get_i64(ctx, f, path, cbp_key(name, sizeof name, k, "age"), age, units)) ||
            (st = ws_ckpt_get_f64(ctx, f, path, cbp_key(name, sizeof name, k, "due"), ws_cbp_due(s->cbp, k), 1)))
            return st;
    }
    const ws_learner_ops *ops = s->def->ops;
    if ((s->def->every_step || ops) && (st = ws_ckpt_get_int(ctx, f, path, "learner.steps", &s->steps))) return st;
    if (ops && ops->load && s->own && (st = ops->load(s->own, ctx, f, path))) return st;
    s->started = (int)started;
    s->fisher_ready = (int)fisher_ready;
    s->replaced = replaced;
    return WS_OK;
}
