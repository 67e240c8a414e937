// Learners (learn/): parsing; each transform on small known parameters; the
// two shrink-perturb identities (lambda 1, sigma 0 is warm; lambda 0, sigma 1
// is a fresh initialisation, the random learner's) both on the transform and
// through whole online runs; EWC / L2-init gradients by finite differences;
// the Fisher against logistic regression's closed form; DASH's per-row /
// per-slice factors; continual backprop replacing exactly the expected units
// (on the tanh MLP too, with and without biases); Parseval's penalty gradient by finite
// differences and the networks it refuses.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exp/batch.h"
#include "exp/online.h"
#include "learn/cbp.h"
#include "learn/learner.h"
#include "learn/parseval.h"
#include "suites.h"

static ws_ctx ctx;
static void setup(void) { ws_ctx_init(&ctx, 2); }
static void teardown(void) { ws_ctx_release(&ctx); }

static ws_model *make(ws_model_spec spec, uint64_t seed) {
    ws_model *m;
    ck_assert_int_eq(ws_model_create(&ctx, &m, &spec), WS_OK);
    ws_rng r = ws_rng_stream(seed, "init", 0);
    ws_model_init(m, &r);
    return m;
}

static ws_model_spec mlp_spec(void) {
    return (ws_model_spec){.kind = WS_MODEL_MLP, .input = {1, 3, 4}, .num_classes = 3, .nhidden = 2, .hidden = {8, 6}};
}

static ws_model_spec resnet_spec(void) {
    return (ws_model_spec){.kind = WS_MODEL_RESNET18, .input = {3, 8, 8}, .num_classes = 4, .width = 4};
}

START_TEST(parse_specs) {
    ws_learner l;
    ck_assert_int_eq(ws_learner_parse(&ctx, "shrink-perturb", &l), WS_OK);
    ck_assert_int_eq(l.kind, WS_LEARNER_SHRINK_PERTURB);
    ck_assert_double_eq(l.lambda, 0.4);
    ck_assert_double_eq(l.sigma, 0.1);
    ck_assert_int_eq(ws_learner_parse(&ctx, "shrink-perturb:lambda=0.2:sigma=0.01:noise=gauss:bn=keep", &l), WS_OK);
    ck_assert_double_eq(l.lambda, 0.2);
    ck_assert_double_eq(l.sigma, 0.01);
    ck_assert_int_eq(l.gauss, 1);
    ck_assert_int_eq(l.bn, WS_BN_KEEP);
    ck_assert_str_eq(l.name, "shrink-perturb:lambda=0.2:sigma=0.01:noise=gauss:bn=keep");
    ck_assert_int_eq(ws_learner_parse(&ctx, "dash", &l), WS_OK);
    ck_assert_double_eq(l.alpha, 0.3);
    ck_assert_double_eq(l.lambda, 0.3);
    ck_assert_int_eq(ws_learner_parse(&ctx, "cbp:rate=0.001:maturity=5", &l), WS_OK);
    ck_assert_int_eq(l.maturity, 5);
    ck_assert_int_eq(ws_learner_parse(&ctx, "warm:keep-optim=1", &l), WS_OK);
    ck_assert_int_eq(l.keep_optim, 1);
    ck_assert_int_eq(l.layer_norm, -1); // the experiment's network
    ck_assert_int_eq(l.activation, -1);
    ck_assert(!ws_learner_changes_model(&l));
    ck_assert_int_eq(ws_learner_parse(&ctx, "l2:lambda=0.01", &l), WS_OK);
    ck_assert_int_eq(l.kind, WS_LEARNER_L2);
    ck_assert_double_eq(l.lambda, 0.01);
    ck_assert_int_eq(ws_learner_parse(&ctx, "shrink-perturb:lambda=0.999:sigma=0.001:every=step", &l), WS_OK);
    ck_assert_int_eq(l.every_step, 1);
    ck_assert_int_eq(ws_learner_parse(&ctx, "warm:layer-norm=1:activation=crelu", &l), WS_OK);
    ck_assert_int_eq(l.layer_norm, 1);
    ck_assert_int_eq(l.activation, WS_ACT_CRELU);
    ck_assert(ws_learner_changes_model(&l));
    ws_model_spec spec = {.kind = WS_MODEL_MLP, .act = WS_ACT_RELU};
    ws_learner_model_spec(&l, &spec);
    ck_assert_int_eq(spec.layer_norm, 1);
    ck_assert_int_eq(spec.act, WS_ACT_CRELU);
    ck_assert_int_eq(ws_learner_parse(&ctx, "shrink-perturb:every=epoch", &l), WS_ERR_ARG);
    ck_assert_ptr_nonnull(strstr(ctx.err, "every=epoch: expected 'round' or 'step'"));
    ck_assert_int_eq(ws_learner_parse(&ctx, "warm:activation=gelu", &l), WS_ERR_ARG);
    // Errors name the learner and the reason.
    ck_assert_int_eq(ws_learner_parse(&ctx, "sgd-warm", &l), WS_ERR_ARG);
    ck_assert_ptr_nonnull(strstr(ctx.err, "unknown learner 'sgd-warm'"));
    ck_assert_int_eq(ws_learner_parse(&ctx, "noise:lambda=0.1", &l), WS_ERR_ARG);
    ck_assert_ptr_nonnull(strstr(ctx.err, "noise takes no 'lambda'"));
    ck_assert_int_eq(ws_learner_parse(&ctx, "shrink-perturb:lambda=1.5", &l), WS_ERR_ARG);
    ck_assert_ptr_nonnull(strstr(ctx.err, "lambda=1.5: expected a number in [0, 1]"));
    ck_assert_int_eq(ws_learner_parse(&ctx, "ewc:lambda", &l), WS_ERR_ARG);
    ck_assert_int_eq(ws_learner_parse(&ctx, "random:keep-optim=1", &l), WS_ERR_ARG);
    ws_learner ls[4];
    int n;
    ck_assert_int_eq(ws_learner_parse_list(&ctx, "warm,random,ewc", ls, 4, &n), WS_OK);
    ck_assert_int_eq(n, 3);
    ck_assert_int_eq(ws_learner_parse_list(&ctx, "warm,warm", ls, 4, &n), WS_ERR_ARG);
    ck_assert_ptr_nonnull(strstr(ctx.err, "listed twice"));
    ck_assert_int_eq(ws_learner_parse_list(&ctx, "warm,,random", ls, 4, &n), WS_ERR_ARG);
    ck_assert_int_eq(ws_learner_parse_list(&ctx, " warm ,\n    l2:lambda=0.1 ", ls, 4, &n), WS_OK); // spaces around names
    ck_assert(n == 2 && !strcmp(ls[0].name, "warm") && !strcmp(ls[1].name, "l2:lambda=0.1"));
    ck_assert_int_eq(ws_learner_parse_list(&ctx, "warm, ,random", ls, 4, &n), WS_ERR_ARG); // an empty one still refused
    char f[64];
    ws_learner_file_name("shrink-perturb:lambda=0.2/x", f, sizeof f);
    ck_assert_str_eq(f, "shrink-perturb_lambda=0.2_x");
}
END_TEST

// The help text (constants): one paragraph per kind and remedy, in the tables' order,
// each starting "  NAME" padded to column 18, no line over 100 columns.
START_TEST(help_lists_every_kind) {
    char h[16384]; // as the CLI prints it: the kinds' paragraphs, then each remedy's
    size_t w = (size_t)snprintf(h, sizeof h, "%s", ws_learner_help());
    for (int i = 0; ws_remedy_at(i); i++) w += (size_t)snprintf(h + w, sizeof h - w, "%s", ws_remedy_at(i)->help);
    ck_assert_uint_lt(w, sizeof h);
    const char *prev = h;
    for (int k = WS_LEARNER_WARM; k <= WS_LEARNER_CBP; k++) {
        char head[32];
        snprintf(head, sizeof head, "  %-15s ", ws_learner_kind_name((ws_learner_kind)k));
        const char *at = strstr(h, head);
        ck_assert_msg(at && (at == h || at[-1] == '\n'), "no paragraph for %s", head);
        ck_assert_msg(at >= prev, "%s out of order", head);
        prev = at;
    }
    int remedy_lines = 0;
    for (int i = 0; ws_remedy_at(i); i++) { // then each remedy's, in their table's order
        char head[32];
        snprintf(head, sizeof head, "  %-15s ", ws_remedy_at(i)->name);
        const char *at = strstr(h, head);
        ck_assert_msg(at && at[-1] == '\n' && at >= prev, "no paragraph for %s, or out of order", head);
        prev = at;
        for (const char *c = ws_remedy_at(i)->help; *c; c++) remedy_lines += *c == '\n';
    }
    ck_assert_int_gt(remedy_lines, 0);
    int lines = 0;
    for (const char *l = h; *l; lines++) {
        const char *e = strchr(l, '\n');
        ck_assert_ptr_nonnull(e); // every line ends
        ck_assert_int_le(e - l, 100);
        ck_assert(e - l > 18 && (l[0] == ' ' && l[1] == ' '));
        l = e + 1;
    }
    ck_assert_int_eq(lines, 30 + remedy_lines);
}
END_TEST

START_TEST(shrink_perturb_known_values) {
    float p[4] = {1, -2, 4, 0.5f};
    const float f[4] = {10, 20, -30, 40};
    ws_shrink_perturb(p, f, 4, 0.5f, 0.1f);
    const float want[4] = {0.5f + 1, -1 + 2, 2 - 3, 0.25f + 4};
    for (int i = 0; i < 4; i++) ck_assert_float_eq_tol(p[i], want[i], 1e-6);
    // The identities, bit for bit, -0.0 included.
    float q[3] = {-0.0f, 1e-30f, -3.25f}, keep[3];
    memcpy(keep, q, sizeof q);
    ws_shrink_perturb(q, f, 3, 1, 0);
    ck_assert_int_eq(memcmp(q, keep, sizeof q), 0);
    ws_shrink_perturb(q, f, 3, 0, 1);
    ck_assert_int_eq(memcmp(q, f, sizeof q), 0);
}
END_TEST

// Begin round 1 of learner `spec` on a copy of m; returns the copy.
static ws_model *begin_round1(const char *spec, const ws_model *m, int paper) {
    ws_learner l;
    ck_assert_int_eq(ws_learner_parse(&ctx, spec, &l), WS_OK);
    ws_model *c;
    ck_assert_int_eq(ws_model_create(&ctx, &c, &m->spec), WS_OK);
    ck_assert_int_eq(ws_model_copy_weights(&ctx, c, m), WS_OK);
    ws_learner_state s;
    ck_assert_int_eq(ws_learner_state_init(&ctx, &s, &l, c), WS_OK);
    ws_round_env env = {.seed = 9, .round = 1, .fresh_stream = 1, .paper = paper};
    ck_assert_int_eq(ws_learner_begin(&s, c, &env), WS_OK);
    ws_learner_state_free(&s);
    return c;
}

static int same_model(const ws_model *a, const ws_model *b) {
    return !memcmp(a->w, b->w, sizeof(float) * (size_t)a->nweights) &&
           !memcmp(a->buf, b->buf, sizeof(float) * (size_t)a->nbuf) &&
           !memcmp(a->ibuf, b->ibuf, sizeof(int64_t) * (size_t)a->nibuf);
}

START_TEST(identities_on_models) {
    ws_model *m = make(resnet_spec(), 5);
    for (int64_t i = 0; i < m->nbuf; i++) m->buf[i] = 0.25f + (float)i; // "trained" running statistics
    for (int64_t i = 0; i < m->nibuf; i++) m->ibuf[i] = 77;
    ws_model *warm = begin_round1("warm", m, 0), *rnd = begin_round1("random", m, 0);
    ws_model *sp10 = begin_round1("shrink-perturb:lambda=1:sigma=0", m, 0);
    ws_model *sp01 = begin_round1("shrink-perturb:lambda=0:sigma=1:bn=reset", m, 0);
    ws_model *sp01p = begin_round1("shrink-perturb:lambda=0:sigma=1", m, 1); // paper: bn reset by default
    ck_assert(same_model(warm, m));
    ck_assert(same_model(sp10, warm));
    ck_assert(same_model(sp01, rnd));
    ck_assert(same_model(sp01p, rnd));
    ck_assert(!same_model(rnd, m));
    // The random learner's model is the init stream of the round.
    ws_model *f = make(resnet_spec(), 0);
    ws_rng r = ws_rng_stream(9, "init", 1);
    ws_model_init(f, &r);
    ck_assert(same_model(rnd, f));
    // Default shrink-perturb: 0.4 p + 0.1 fresh, statistics kept outside the paper protocol.
    ws_model *sp = begin_round1("shrink-perturb", m, 0);
    for (int64_t i = 0; i < m->nweights; i += 97)
        ck_assert_float_eq_tol(sp->w[i], 0.4f * m->w[i] + 0.1f * f->w[i], 1e-6);
    ck_assert_int_eq(memcmp(sp->buf, m->buf, sizeof(float) * (size_t)m->nbuf), 0);
    ws_model *spg = begin_round1("shrink-perturb:noise=gauss:sigma=0.5:lambda=0.5", m, 0);
    double s2 = 0;
    for (int64_t i = 0; i < m->nweights; i++) s2 += pow(spg->w[i] - 0.5 * m->w[i], 2);
    ck_assert_double_eq_tol(sqrt(s2 / (double)m->nweights), 0.5, 0.05);
    // BatchNorm buffers when a warm-starting learner begins: kept under the default protocol,
    // restarted as in a freshly built model under paper (or bn=reset), as shrink-perturb (1, 0).
    ws_model *warm_p = begin_round1("warm", m, 1), *warm_r = begin_round1("warm:bn=reset", m, 0);
    ws_model *sp10_r = begin_round1("shrink-perturb:lambda=1:sigma=0:bn=reset", m, 0);
    ws_model *warm_k = begin_round1("warm:bn=keep", m, 1), *noise_p = begin_round1("noise", m, 1);
    ck_assert(same_model(warm_r, sp10_r));
    ck_assert(same_model(warm_p, sp10_r));
    ck_assert(same_model(warm_k, m));
    ck_assert_int_eq(memcmp(warm_p->w, m->w, sizeof(float) * (size_t)m->nweights), 0);
    ck_assert_int_eq(memcmp(warm_p->buf, f->buf, sizeof(float) * (size_t)m->nbuf), 0); // fresh: mean 0, var 1
    ck_assert_int_eq(memcmp(warm_p->ibuf, f->ibuf, sizeof(int64_t) * (size_t)m->nibuf), 0);
    ck_assert_int_eq(memcmp(noise_p->buf, f->buf, sizeof(float) * (size_t)m->nbuf), 0);
    ws_learner l;
    ck_assert_int_eq(ws_learner_parse(&ctx, "random:bn=keep", &l), WS_ERR_ARG); // random starts afresh
    ck_assert_int_eq(ws_learner_parse(&ctx, "ewc:bn=reset", &l), WS_OK);
    ck_assert_int_eq(l.bn, WS_BN_RESET);
    ws_model *models[] = {m, warm, rnd, sp10, sp01, sp01p, f, sp, spg, warm_p, warm_r, sp10_r, warm_k, noise_p};
    for (int i = 0; i < 14; i++) ws_model_free(models[i]);
}
END_TEST

START_TEST(partial_and_head_reset) {
    ws_model *m = make(resnet_spec(), 5);
    for (int64_t i = 0; i < m->nbuf; i++) m->buf[i] = 3.0f;
    ws_model *f = make(resnet_spec(), 0);
    ws_rng r = ws_rng_stream(9, "init", 1);
    ws_model_init(f, &r);
    ws_model *p2 = begin_round1("partial:layers=2", m, 0), *hr = begin_round1("head-reset", m, 0);
    ws_model *pat = begin_round1("partial:pattern=layer1.*", m, 0);
    for (int p = 0; p < m->nparams; p++) {
        const ws_param *P = &m->params[p];
        size_t bytes = sizeof(float) * (size_t)P->numel;
        // conv1 and bn1 (the first two modules) warm, the rest fresh
        int first2 = !strncmp(P->name, "conv1.", 6) || !strncmp(P->name, "bn1.", 4);
        ck_assert_int_eq(memcmp(p2->w + P->offset, (first2 ? m : f)->w + P->offset, bytes), 0);
        int head = !strncmp(P->name, "linear.", 7);
        ck_assert_int_eq(memcmp(hr->w + P->offset, (head ? f : m)->w + P->offset, bytes), 0);
        int l1 = !strncmp(P->name, "layer1.", 7);
        ck_assert_int_eq(memcmp(pat->w + P->offset, (l1 ? m : f)->w + P->offset, bytes), 0);
    }
    // BatchNorm statistics follow their module.
    const ws_buffer *b1 = ws_model_buffer(m, "bn1.running_mean"), *b2 = ws_model_buffer(m, "layer2.0.bn1.running_var");
    ck_assert_float_eq(p2->buf[b1->offset], 3.0f);
    ck_assert_float_eq(p2->buf[b2->offset], f->buf[b2->offset]);
    ck_assert_float_eq(hr->buf[b2->offset], 3.0f);
    // Out-of-range layers and patterns matching nothing are refused.
    ws_learner l;
    ws_learner_state s;
    ck_assert_int_eq(ws_learner_parse(&ctx, "partial:layers=999", &l), WS_OK);
    ck_assert_int_eq(ws_learner_state_init(&ctx, &s, &l, m), WS_ERR_ARG);
    ck_assert_int_eq(ws_learner_parse(&ctx, "partial:pattern=lm*", &l), WS_OK);
    ck_assert_int_eq(ws_learner_state_init(&ctx, &s, &l, m), WS_ERR_ARG);
    ck_assert_ptr_nonnull(strstr(ctx.err, "matches no parameter"));
    ws_model *models[] = {m, f, p2, hr, pat};
    for (int i = 0; i < 5; i++) ws_model_free(models[i]);
}
END_TEST

// The reset remedy with its defaults (the last layer, when a round begins, keep-optim=0) is the
// head-reset learner bit for bit, BatchNorm statistics included (kept, or under --protocol paper
// restarted); layers=2 on a ResNet resets layer4.1.conv2, layer4.1.bn2 (its running statistics
// from the fresh model) and the head, nothing else. Plasticity injection leaves the model as it
// was, bit for bit.
START_TEST(reset_and_inject_on_models) {
    ws_model *m = make(resnet_spec(), 5);
    for (int64_t i = 0; i < m->nbuf; i++) m->buf[i] = 3.0f;
    ws_model *f = make(resnet_spec(), 0);
    ws_rng r = ws_rng_stream(9, "init", 1);
    ws_model_init(f, &r);
    ws_model *hr = begin_round1("head-reset", m, 0), *rs = begin_round1("reset", m, 0);
    ws_model *hr_p = begin_round1("head-reset", m, 1), *rs_p = begin_round1("reset:layers=1:every=0", m, 1);
    ws_model *r2 = begin_round1("reset:layers=2", m, 0), *steps = begin_round1("reset:every=5", m, 0);
    ws_model *inj = begin_round1("inject", m, 0);
    ck_assert(same_model(rs, hr));
    ck_assert(same_model(rs_p, hr_p));
    ck_assert(!same_model(rs, m));
    ck_assert(same_model(steps, m)); // every=5: after updates, not when a round begins
    ck_assert(same_model(inj, m));
    const int first = (int)(ws_model_param(m, "layer4.1.conv2.weight") - m->params);
    for (int p = 0; p < m->nparams; p++) {
        const ws_param *P = &m->params[p];
        ck_assert_int_eq(memcmp(r2->w + P->offset, (p >= first ? f : m)->w + P->offset, sizeof(float) * (size_t)P->numel), 0);
    }
    const ws_buffer *bn2 = ws_model_buffer(m, "layer4.1.bn2.running_var"), *bn1 = ws_model_buffer(m, "layer4.1.bn1.running_var");
    ck_assert_float_eq(r2->buf[bn2->offset], f->buf[bn2->offset]);
    ck_assert_float_eq(r2->buf[bn1->offset], 3.0f);
    ws_learner l;
    ws_learner_state s;
    ck_assert_int_eq(ws_learner_parse(&ctx, "reset:layers=22", &l), WS_OK); // ResNet-18 has 21
    ck_assert_int_eq(ws_learner_state_init(&ctx, &s, &l, m), WS_ERR_ARG);
    ck_assert_ptr_nonnull(strstr(ctx.err, "21 Linear or Conv2d layers"));
    ws_model *models[] = {m, f, hr, rs, hr_p, rs_p, r2, steps, inj};
    for (int i = 0; i < 9; i++) ws_model_free(models[i]);
}
END_TEST

// A checkpoint array of the learner's state (NULL: none by that name), and a metadata value.
static const float *ckpt_f32(const ws_ckpt *c, const char *name) {
    for (int i = 0; i < c->n; i++)
        if (!strcmp(c->e[i].name, name)) return c->e[i].data;
    return NULL;
}

static const char *ckpt_meta(const ws_ckpt *c, const char *key) {
    for (int i = 0; i < c->nmeta; i++)
        if (!strcmp(c->meta[2 * i], key)) return c->meta[2 * i + 1];
    return NULL;
}

// Injections at rounds 1 and 2 (every=1): the model untouched, the frozen part C = W - the
// round's fresh head each time, the head's optimizer state restarted (its own step count), the
// encoder's kept (keep-optim=1); rounds before `at` inject nothing.
START_TEST(inject_rounds) {
    ws_model *m = make(mlp_spec(), 5);
    ws_learner l;
    ck_assert_int_eq(ws_learner_parse(&ctx, "inject:at=1:every=1:keep-optim=1", &l), WS_OK);
    ws_learner_state s;
    ck_assert_int_eq(ws_learner_state_init(&ctx, &s, &l, m), WS_OK);
    ws_opt_config oc = ws_opt_defaults(WS_OPT_ADAM, 0.01f);
    ws_optim *opt;
    ws_round_env env = {.seed = 9};
    ck_assert_int_eq(ws_learner_begin(&s, m, &env), WS_OK);
    ck_assert_int_eq(ws_learner_optimizer(&s, &oc, &opt), WS_OK);
    for (int64_t i = 0; i < m->nweights; i++) opt->buf1[i] = 1.0f;
    opt->step = 7;
    int64_t off, len;
    ws_model_head_range(m, &off, &len);
    ws_model *before = make(mlp_spec(), 5), *fresh = make(mlp_spec(), 0);
    for (int round = 1; round <= 2; round++) {
        env.round = round, env.fresh_stream = (uint64_t)round;
        ck_assert_int_eq(ws_learner_begin(&s, m, &env), WS_OK);
        ck_assert_int_eq(ws_learner_optimizer(&s, &oc, &opt), WS_OK);
        ck_assert(same_model(m, before));
        ws_rng r = ws_rng_stream(9, "init", (uint64_t)round);
        ws_model_init(fresh, &r);
        ws_ckpt c;
        ws_ckpt_init(&c);
        ws_learner_state_save(&s, &c);
        const float *frozen = ckpt_f32(&c, "learner.own.inject.frozen");
        ck_assert_ptr_nonnull(frozen);
        for (int64_t i = 0; i < len; i++) ck_assert_float_eq(frozen[i], m->w[off + i] - fresh->w[off + i]);
        ck_assert_str_eq(ckpt_meta(&c, "learner.own.inject.injections"), round == 1 ? "1" : "2");
    }
    ck_assert_int_eq(opt->nrestarted, 1);
    ck_assert_int_eq(opt->restarted[0].off, off);
    ck_assert_int_eq(opt->restarted[0].len, len);
    ck_assert_float_eq(opt->buf1[0], 1.0f);       // the encoder's moments kept
    ck_assert_float_eq(opt->buf1[off], 0.0f);     // the new head's fresh
    ck_assert_int_eq(s.replaced, 2 * 3);          // 3 head units, twice
    // The frozen part and the count come back from the chain's checkpoint.
    char path[512];
    snprintf(path, sizeof path, "%s/inject.safetensors", test_tmpdir());
    ws_ckpt c;
    ws_ckpt_init(&c);
    ws_learner_state_save(&s, &c);
    ck_assert_int_eq(ws_ckpt_write(&ctx, &c, path), WS_OK);
    ws_learner_state back;
    ck_assert_int_eq(ws_learner_state_init(&ctx, &back, &l, m), WS_OK);
    ws_st_file f;
    ck_assert_int_eq(ws_st_read(&ctx, &f, path), WS_OK);
    ck_assert_int_eq(ws_learner_state_load(&back, &oc, &f, path), WS_OK);
    ws_st_close(&f);
    ws_ckpt again;
    ws_ckpt_init(&again);
    ws_learner_state_save(&back, &again);
    ck_assert_int_eq(memcmp(ckpt_f32(&again, "learner.own.inject.frozen"), ckpt_f32(&c, "learner.own.inject.frozen"),
                            sizeof(float) * (size_t)len), 0);
    ck_assert_str_eq(ckpt_meta(&again, "learner.own.inject.injections"), "2");
    ws_learner_state_free(&back);
    ws_learner_state_free(&s);
    ws_model_free(m), ws_model_free(before), ws_model_free(fresh);
}
END_TEST

START_TEST(noise_adds_gaussian) {
    ws_model *m = make(resnet_spec(), 5);
    ws_model *a = begin_round1("noise:sigma=0.02", m, 0), *b = begin_round1("noise:sigma=0.02", m, 0);
    ck_assert(same_model(a, b)); // seeded
    double s1 = 0, s2 = 0;
    for (int64_t i = 0; i < m->nweights; i++) {
        double d = a->w[i] - m->w[i];
        s1 += d, s2 += d * d;
    }
    const double n = (double)m->nweights;
    ck_assert_double_lt(fabs(s1 / n), 0.002);
    ck_assert_double_eq_tol(sqrt(s2 / n), 0.02, 0.002);
    ck_assert_int_eq(memcmp(a->buf, m->buf, sizeof(float) * (size_t)m->nbuf), 0);
    // Given as a variance (the authors' two-phase code): var=4e-4 is sigma 0.02, bit for bit.
    ws_model *v = begin_round1("noise:var=4e-4", m, 0);
    ck_assert_int_eq(memcmp(v->w, a->w, sizeof(float) * (size_t)m->nweights), 0);
    ws_learner l;
    ck_assert_int_eq(ws_learner_parse(&ctx, "noise:var=4e-4", &l), WS_OK);
    cJSON *j = ws_learner_json(&l);
    ck_assert_double_eq(cJSON_GetObjectItemCaseSensitive(j, "var")->valuedouble, 4e-4);
    cJSON_Delete(j);
    ck_assert_int_eq(ws_learner_parse(&ctx, "noise:var=4e-4:sigma=0.5", &l), WS_OK); // the last one wins
    ck_assert_double_eq(l.sigma, 0.5);
    ck_assert_double_eq(l.var, 0);
    ws_model_free(m), ws_model_free(a), ws_model_free(b), ws_model_free(v);
}
END_TEST

// Loss on a fixed batch plus a penalty toward `anchor` weighted by `fisher`.
typedef struct {
    ws_model *m;
    const float *x, *anchor, *fisher;
    const int32_t *y;
    int B;
    float lambda;
} penalised;

static double penalised_loss(void *u) {
    penalised *p = u;
    ws_model_forward(&ctx, p->m, p->x, p->B, 1);
    double loss = ws_model_loss(&ctx, p->m, p->y, p->B, NULL), pen = 0;
    for (int64_t i = 0; i < p->m->nweights; i++) {
        double d = (double)p->m->w[i] - (p->anchor ? p->anchor[i] : 0.0); // no anchor: toward zero (l2)
        pen += (p->fisher ? p->fisher[i] : 1.0) * d * d;
    }
    return loss + 0.5 * p->lambda * pen;
}

START_TEST(penalty_gradients_fd) {
    ws_model *m = make(mlp_spec(), 3);
    const int B = 5;
    float x[5 * 12], *anchor = malloc(sizeof(float) * (size_t)m->nweights), *fisher = malloc(sizeof(float) * (size_t)m->nweights);
    int32_t y[5] = {0, 1, 2, 1, 0};
    ws_rng r = ws_rng_stream(4, "test", 0);
    for (int i = 0; i < B * 12; i++) x[i] = ws_rng_normal(&r);
    for (int64_t i = 0; i < m->nweights; i++) anchor[i] = m->w[i] + 0.3f * ws_rng_normal(&r), fisher[i] = ws_rng_uniform(&r);
    ck_assert_int_eq(ws_model_plan(&ctx, m, B), WS_OK);
    for (int ewc = 0; ewc < 3; ewc++) { // l2-init, ewc, then (2) l2: toward zero
        penalised p = {m, x, ewc == 2 ? NULL : anchor, ewc == 1 ? fisher : NULL, y, B, ewc == 1 ? 3.0f : 0.7f};
        ws_model_forward(&ctx, m, x, B, 1);
        ws_model_loss(&ctx, m, y, B, NULL);
        ws_model_zero_grad(m);
        ws_model_backward(&ctx, m, y, B);
        double pen = ws_penalty_apply(m->g, m->w, p.anchor, p.fisher, m->nweights, p.lambda);
        ck_assert_double_gt(pen, 0);
        float *g = malloc(sizeof(float) * (size_t)m->nweights);
        memcpy(g, m->g, sizeof(float) * (size_t)m->nweights);
        double err = fd_error(m->w, g, m->nweights, penalised_loss, &p, 1e-4f);
        ck_assert_msg(err < 2e-3, "%s gradient rel err %g", ewc == 1 ? "ewc" : ewc ? "l2" : "l2-init", err);
        // Negative control: without the penalty term the check must fail.
        ws_model_forward(&ctx, m, x, B, 1);
        ws_model_loss(&ctx, m, y, B, NULL);
        ws_model_zero_grad(m);
        ws_model_backward(&ctx, m, y, B);
        memcpy(g, m->g, sizeof(float) * (size_t)m->nweights);
        ck_assert_double_gt(fd_error(m->w, g, m->nweights, penalised_loss, &p, 1e-4f), 0.05);
        free(g);
    }
    free(anchor), free(fisher);
    ws_model_free(m);
}
END_TEST

// Parseval's penalty coef ||W W^T - s I||_F^2 of one matrix, for fd_error.
typedef struct {
    float *w, *scratch;
    int rows, cols;
} parseval_case;

static double parseval_value(void *user) {
    parseval_case *c = user;
    return ws_parseval_penalty(&ctx, c->w, NULL, c->rows, c->cols, 2.0f, 0.3f, c->scratch);
}

START_TEST(parseval_gradient_fd) {
    // Wide (more inputs than rows) and tall (fewer: the first layer of a wide network, W W^T
    // rank-deficient), each against central differences; and a negative control, the gradient
    // without its factor 4 (2 (W W^T - s I) W: the half of it) must fail.
    const int shapes[2][2] = {{5, 7}, {7, 3}};
    for (int k = 0; k < 2; k++) {
        parseval_case c = {.rows = shapes[k][0], .cols = shapes[k][1]};
        const int n = c.rows * c.cols;
        c.w = malloc(sizeof(float) * (size_t)n);
        c.scratch = malloc(sizeof(float) * (size_t)ws_parseval_scratch(c.rows, c.cols));
        float *g = calloc((size_t)n, sizeof(float));
        ws_rng r = ws_rng_stream(11, "test-parseval", (uint64_t)k);
        for (int i = 0; i < n; i++) c.w[i] = 0.6f * ws_rng_normal(&r);
        const double pen = ws_parseval_penalty(&ctx, c.w, g, c.rows, c.cols, 2.0f, 0.3f, c.scratch);
        ck_assert_double_eq_tol(pen, parseval_value(&c), 1e-9 * pen);
        ck_assert_double_gt(pen, 0);
        double err = fd_error(c.w, g, n, parseval_value, &c, 1e-3f);
        ck_assert_msg(err < 2e-3, "parseval %dx%d gradient rel err %g", c.rows, c.cols, err);
        for (int i = 0; i < n; i++) g[i] *= 0.5f;
        ck_assert_double_gt(fd_error(c.w, g, n, parseval_value, &c, 1e-3f), 0.05);
        free(c.w), free(c.scratch), free(g);
    }
    // An orthogonal W with rows of squared norm s has no penalty: sqrt(2) times a permutation.
    float w[9] = {0, 1.41421356f, 0, 0, 0, 1.41421356f, 1.41421356f, 0, 0}, scratch[27], g[9] = {0};
    ck_assert_double_lt(ws_parseval_penalty(&ctx, w, g, 3, 3, 2.0f, 1.0f, scratch), 1e-10);
    for (int i = 0; i < 9; i++) ck_assert_float_lt(fabsf(g[i]), 1e-6f);
    // Logistic regression has only its output layer: refused, naming the learner.
    ws_learner l;
    ck_assert_int_eq(ws_learner_parse(&ctx, "parseval:lambda=0.01", &l), WS_OK);
    ws_model *m = make((ws_model_spec){.kind = WS_MODEL_LOGREG, .input = {1, 1, 4}, .num_classes = 3}, 1);
    ck_assert_int_eq(ws_learner_check(&ctx, &l, m), WS_ERR_ARG);
    ck_assert_ptr_nonnull(strstr(ctx.err, "parseval:lambda=0.01"));
    ws_model_free(m);
}
END_TEST

// L1 Init's gradient on constructed values (no finite differences at the kink): lambda *
// sign(w - theta_0) added to the gradient, sign(0) = 0, every weight and bias the output layer's
// included, LayerNorm's scale and offset left as they are.
START_TEST(l1_init_gradient_on_constructed_values) {
    ws_model_spec spec = mlp_spec();
    spec.layer_norm = 1;
    ws_model *m = make(spec, 5);
    ws_learner def;
    ck_assert_int_eq(ws_learner_parse(&ctx, "l1-init:lambda=0.25", &def), WS_OK);
    ws_learner_state s;
    ck_assert_int_eq(ws_learner_state_init(&ctx, &s, &def, m), WS_OK);
    ws_learner_start(&s, m); // theta_0: the weights as made
    ck_assert_int_eq(ws_model_plan(&ctx, m, 2), WS_OK);
    for (int64_t i = 0; i < m->nweights; i++) { // above, below and at theta_0 in turn
        m->w[i] += i % 3 == 0 ? 0.5f : i % 3 == 1 ? -1e-3f : 0.0f;
        m->g[i] = 2.0f;
    }
    ws_train_config tc = {0};
    ws_learner_hooks(&s, &tc);
    ck_assert_ptr_nonnull(tc.after_backward);
    ck_assert_int_eq(tc.after_backward(tc.hook_user, m, NULL, 2), WS_OK);
    int ln = 0, head = 0;
    for (int p = 0; p < m->nparams; p++) {
        const ws_param *P = &m->params[p];
        const int skip = !strncmp(P->name, "ln", 2);
        ln += skip, head += !strncmp(P->name, "lm3.", 4);
        for (int64_t i = P->offset; i < P->offset + P->numel; i++) {
            const float want = skip || i % 3 == 2 ? 2.0f : i % 3 == 0 ? 2.25f : 1.75f;
            ck_assert_msg(m->g[i] == want, "%s[%lld]: gradient %g, want %g", P->name, (long long)(i - P->offset),
                          m->g[i], want);
        }
    }
    ck_assert_int_eq(ln, 4);   // ln1, ln2: scale and offset
    ck_assert_int_eq(head, 2); // the output layer's weight and bias, penalised
    ws_learner_state_free(&s);
    ws_model_free(m);
    // NaP's network has LayerNorm unless its spec says otherwise.
    ck_assert_int_eq(ws_learner_parse(&ctx, "nap", &def), WS_OK);
    ck_assert_int_eq(def.layer_norm, 1);
    ck_assert_int_eq(ws_learner_parse(&ctx, "nap:layer-norm=0", &def), WS_OK);
    ck_assert_int_eq(def.layer_norm, 0);
    ck_assert_int_eq(ws_learner_parse(&ctx, "snr", &def), WS_OK);
    ck_assert_int_eq(def.layer_norm, -1);
}
END_TEST

START_TEST(fisher_matches_closed_form) {
    // Logistic regression, one example per gradient: F = mean_i g_i^2 with
    // g_i = (p_i - onehot_i) x_i^T for W and (p_i - onehot_i) for b.
    enum { N = 23, D = 4, K = 3 };
    static uint8_t px[N * D];
    static int32_t lab[N], idx[N];
    ws_rng r = ws_rng_stream(8, "test-fisher", 0);
    for (int i = 0; i < N * D; i++) px[i] = (uint8_t)ws_rng_below(&r, 256);
    for (int i = 0; i < N; i++) lab[i] = (i * 5) % K, idx[i] = (i * 7) % N;
    ws_dataset d = {.n = N, .c = 1, .h = 1, .w = D, .num_classes = K, .x = px, .y = lab};
    ws_norm nm;
    ws_norm_paper(&nm, 1);
    ws_model *m = make((ws_model_spec){.kind = WS_MODEL_LOGREG, .input = {1, 1, D}, .num_classes = K}, 8);
    float *F = malloc(sizeof(float) * (size_t)m->nweights);
    ck_assert_int_eq(ws_fisher_diag(&ctx, m, &d, &nm, idx, N, 1, F), WS_OK);
    const float *W = m->w + ws_model_param(m, "linear.weight")->offset, *bb = m->w + ws_model_param(m, "linear.bias")->offset;
    double fW[K][D] = {{0}}, fb[K] = {0};
    for (int i = 0; i < N; i++) {
        double x[D], g[K];
        for (int j = 0; j < D; j++) x[j] = (px[idx[i] * D + j] / 255.0 - 0.5) / 0.5;
        test_logreg_residual(W, bb, x, D, K, lab[idx[i]], g);
        for (int k = 0; k < K; k++) {
            fb[k] += g[k] * g[k] / N;
            for (int j = 0; j < D; j++) fW[k][j] += g[k] * x[j] * g[k] * x[j] / N;
        }
    }
    const float *FW = F + ws_model_param(m, "linear.weight")->offset, *Fb = F + ws_model_param(m, "linear.bias")->offset;
    for (int k = 0; k < K; k++) {
        ck_assert_double_eq_tol(Fb[k], fb[k], 1e-5 + 1e-4 * fb[k]);
        for (int j = 0; j < D; j++) ck_assert_double_eq_tol(FW[k * D + j], fW[k][j], 1e-5 + 1e-4 * fW[k][j]);
    }
    free(F);
    ws_model_free(m);
}
END_TEST

START_TEST(dash_factors) {
    // MLP lm1 (8 x 12): row 0 with gradient along w (cos 1: kept), row 1
    // against it (cos -1: lambda), row 2 at 60 degrees (cos 0.5: halved),
    // row 3 orthogonal (cos 0: lambda); biases one factor for the vector.
    ws_model *m = make(mlp_spec(), 3);
    float *g = calloc((size_t)m->nweights, sizeof(float)), *w0 = malloc(sizeof(float) * (size_t)m->nweights);
    const ws_param *W = ws_model_param(m, "lm1.weight"), *b = ws_model_param(m, "lm1.bias");
    float *w = m->w + W->offset, *gw = g + W->offset;
    for (int j = 0; j < 12; j++) {
        w[j] = 1, gw[j] = 2;                                      // row 0
        w[12 + j] = 1, gw[12 + j] = -1;                           // row 1
        w[24 + j] = j < 6 ? 1 : 0, gw[24 + j] = j < 3 ? 1 : j < 6 ? 0 : (j < 9 ? 1 : 0); // cos 0.5
        w[36 + j] = j < 6 ? 1 : 0, gw[36 + j] = j < 6 ? 0 : 1;    // row 3: cos 0
    }
    for (int o = 0; o < 8; o++) g[b->offset + o] = m->w[b->offset + o]; // bias: cos 1
    memcpy(w0, m->w, sizeof(float) * (size_t)m->nweights);
    ws_dash_shrink(m, g, 0.3f);
    for (int j = 0; j < 12; j++) {
        ck_assert_float_eq(w[j], w0[W->offset + j]);
        ck_assert_float_eq_tol(w[12 + j], 0.3f * w0[W->offset + 12 + j], 1e-7);
        ck_assert_float_eq_tol(w[24 + j], 0.5f * w0[W->offset + 24 + j], 1e-6);
        ck_assert_float_eq_tol(w[36 + j], 0.3f * w0[W->offset + 36 + j], 1e-7);
    }
    for (int o = 0; o < 8; o++) ck_assert_float_eq_tol(m->w[b->offset + o], w0[b->offset + o], 1e-6);
    free(g), free(w0);
    ws_model_free(m);
    // ResNet: Conv2d kernel slices w[o, i] each their own factor; BatchNorm untouched.
    ws_model *rn = make(resnet_spec(), 4);
    g = calloc((size_t)rn->nweights, sizeof(float));
    w0 = malloc(sizeof(float) * (size_t)rn->nweights);
    const ws_param *c = ws_model_param(rn, "conv1.weight"), *bn = ws_model_param(rn, "bn1.weight");
    for (int k = 0; k < 9; k++) {
        g[c->offset + k] = rn->w[c->offset + k];          // slice (0,0): cos 1
        g[c->offset + 9 + k] = -rn->w[c->offset + 9 + k]; // slice (0,1): cos -1
    }
    memcpy(w0, rn->w, sizeof(float) * (size_t)rn->nweights);
    ws_dash_shrink(rn, g, 0.25f);
    for (int k = 0; k < 9; k++) {
        ck_assert_float_eq_tol(rn->w[c->offset + k], w0[c->offset + k], 1e-6);
        ck_assert_float_eq_tol(rn->w[c->offset + 9 + k], 0.25f * w0[c->offset + 9 + k], 1e-7);
    }
    ck_assert_int_eq(memcmp(rn->w + bn->offset, w0 + bn->offset, sizeof(float) * (size_t)bn->numel), 0);
    free(g), free(w0);
    ws_model_free(rn);
}
END_TEST

START_TEST(cbp_replaces_expected_units) {
    ws_model *m = make(mlp_spec(), 3);
    ws_learner l;
    ck_assert_int_eq(ws_learner_parse(&ctx, "cbp:rate=0.25:maturity=10:decay=0.99", &l), WS_OK);
    ws_cbp *c;
    ck_assert_int_eq(ws_cbp_create(&ctx, &l, m, &c), WS_OK);
    ck_assert_int_eq(ws_cbp_nlayers(c), 2); // lm1 (8 units), lm2 (6 units); lm3 is the head
    ws_cbp_seed(c, 1, 0);
    ws_optim opt;
    ws_opt_config oc = ws_opt_defaults(WS_OPT_ADAM, 1e-3f);
    ck_assert_int_eq(ws_optim_create(&ctx, &opt, &oc, m->nweights), WS_OK);
    for (int64_t i = 0; i < m->nweights; i++) opt.buf1[i] = opt.buf2[i] = 1;
    // A forward in training mode leaves the ReLU outputs the utilities read.
    float x[4 * 12];
    ws_rng r = ws_rng_stream(2, "test", 0);
    for (int i = 0; i < 48; i++) x[i] = ws_rng_normal(&r);
    ck_assert_int_eq(ws_model_plan(&ctx, m, 4), WS_OK);
    ws_model_forward(&ctx, m, x, 4, 1);
    // lm1: every unit mature with a high utility except units 2 and 5 (lowest)
    // and unit 7 (lowest of all, but immature: must survive). 7 mature units
    // at rate 0.25 make 1.75 due: one replaced now, 0.75 carried.
    double *u;
    int64_t *age;
    int n1 = ws_cbp_units(c, 0, &u, &age);
    ck_assert_int_eq(n1, 8);
    for (int k = 0; k < 8; k++) u[k] = 100, age[k] = 50;
    u[2] = 0.5, u[5] = 0.1, u[7] = 0, age[7] = 3;
    int n2 = ws_cbp_units(c, 1, &u, &age);
    for (int k = 0; k < n2; k++) u[k] = 100, age[k] = 5; // lm2: none mature
    float *w0 = malloc(sizeof(float) * (size_t)m->nweights);
    memcpy(w0, m->w, sizeof(float) * (size_t)m->nweights);
    ck_assert_int_eq(ws_cbp_step(c, m, &opt, 4), 1);
    const ws_param *W1 = ws_model_param(m, "lm1.weight"), *b1 = ws_model_param(m, "lm1.bias"),
                   *W2 = ws_model_param(m, "lm2.weight");
    for (int k = 0; k < 8; k++) {
        int replaced = k == 5;
        int row_same = !memcmp(m->w + W1->offset + k * 12, w0 + W1->offset + k * 12, sizeof(float) * 12);
        ck_assert_int_eq(row_same, !replaced);
        for (int o = 0; o < 6; o++) {
            float out = m->w[W2->offset + o * 8 + k];
            if (replaced) ck_assert_float_eq(out, 0);
            else ck_assert_float_eq(out, w0[W2->offset + o * 8 + k]);
            ck_assert_float_eq(opt.buf1[W2->offset + o * 8 + k], replaced ? 0 : 1);
        }
        ck_assert_float_eq(opt.buf2[W1->offset + k * 12], replaced ? 0 : 1);
        ck_assert_float_eq(opt.buf1[b1->offset + k], replaced ? 0 : 1);
    }
    ws_cbp_units(c, 0, &u, &age);
    ck_assert_int_eq(age[5], 0);
    ck_assert_double_eq(u[5], 0);
    // Next step: 0.75 carried + 6 mature * 0.25 = 2.25: two more, the lowest
    // bias-corrected utilities among the mature (unit 2, then the next).
    ck_assert_int_eq(ws_cbp_step(c, m, &opt, 4), 2);
    ck_assert_double_eq(u[2], 0);
    ck_assert_int_eq(age[2], 0);
    ck_assert_int_eq(age[7], 5); // still immature: kept
    free(w0);
    ws_optim_free(&opt);
    ws_cbp_free(c);
    // No hidden ReLU units: refused by name.
    ws_model *lr = make((ws_model_spec){.kind = WS_MODEL_LOGREG, .input = {1, 3, 4}, .num_classes = 3}, 1);
    ws_learner_state s;
    ck_assert_int_eq(ws_learner_state_init(&ctx, &s, &l, lr), WS_ERR_ARG);
    ck_assert_ptr_nonnull(strstr(ctx.err, "continual backprop"));
    ws_model_free(lr);
    ws_model_free(m);
}
END_TEST

// Continual backprop on the tanh MLP, with and without biases (_i: 0 with, 1 without):
// accepted (the utility reads |h| whatever the activation), the due unit replaced, its
// fresh incoming weights of no effect on the logits (zero outgoing weights), nothing
// else touched (no bias written in a layer without one).
START_TEST(cbp_on_tanh_mlp) {
    ws_model_spec spec = mlp_spec();
    spec.act = WS_ACT_TANH;
    spec.no_bias = _i;
    ws_model *m = make(spec, 4);
    ck_assert_int_eq(m->nparams, _i ? 3 : 6);
    ws_learner l;
    ck_assert_int_eq(ws_learner_parse(&ctx, "cbp:rate=0.25:maturity=10:decay=0.99", &l), WS_OK);
    ck_assert_int_eq(ws_learner_check(&ctx, &l, m), WS_OK);
    ws_cbp *c;
    ck_assert_int_eq(ws_cbp_create(&ctx, &l, m, &c), WS_OK);
    ck_assert_int_eq(ws_cbp_nlayers(c), 2);
    ws_cbp_seed(c, 1, 0);
    ws_optim opt;
    ws_opt_config oc = ws_opt_defaults(WS_OPT_ADAM, 1e-3f);
    ck_assert_int_eq(ws_optim_create(&ctx, &opt, &oc, m->nweights), WS_OK);
    for (int64_t i = 0; i < m->nweights; i++) opt.buf1[i] = opt.buf2[i] = 1;
    float x[4 * 12];
    ws_rng r = ws_rng_stream(2, "test", 1);
    for (int i = 0; i < 48; i++) x[i] = ws_rng_normal(&r);
    ck_assert_int_eq(ws_model_plan(&ctx, m, 4), WS_OK);
    ws_model_forward(&ctx, m, x, 4, 1);
    // The utilities read the tanh outputs: |h| in (0, 1), none zero.
    const float *h = m->act[3];
    ck_assert_str_eq(m->layers[2].ops->kind, "tanh");
    for (int i = 0; i < 4 * 8; i++) ck_assert(fabsf(h[i]) > 0 && fabsf(h[i]) < 1);
    double *u;
    int64_t *age;
    ws_cbp_units(c, 0, &u, &age);
    for (int k = 0; k < 8; k++) u[k] = 100, age[k] = 50;
    u[3] = 0.01; // the lowest: replaced (8 mature * 0.25 = 2 due: unit 3 and the next lowest)
    u[6] = 0.02;
    ws_cbp_units(c, 1, &u, &age);
    for (int k = 0; k < 6; k++) u[k] = 100, age[k] = 5; // lm2: none mature
    float *w0 = malloc(sizeof(float) * (size_t)m->nweights);
    memcpy(w0, m->w, sizeof(float) * (size_t)m->nweights);
    ck_assert_int_eq(ws_cbp_step(c, m, &opt, 4), 2);
    const ws_param *W1 = ws_model_param(m, "lm1.weight"), *b1 = ws_model_param(m, "lm1.bias"),
                   *W2 = ws_model_param(m, "lm2.weight");
    ck_assert_int_eq(b1 == NULL, _i);
    for (int64_t i = 0; i < m->nweights; i++) {
        int64_t rel = i - W1->offset, col = (i - W2->offset) % 8;
        int in_row = i >= W1->offset && i < W1->offset + W1->numel && (rel / 12 == 3 || rel / 12 == 6);
        int in_bias = b1 && (i == b1->offset + 3 || i == b1->offset + 6);
        int in_col = i >= W2->offset && i < W2->offset + W2->numel && (col == 3 || col == 6);
        if (in_col) ck_assert_float_eq(m->w[i], 0);
        if (in_row || in_bias) ck_assert_float_ne(m->w[i], w0[i]); // fresh
        if (!in_row && !in_bias && !in_col) ck_assert_msg(m->w[i] == w0[i], "weight %lld changed", (long long)i);
        ck_assert_float_eq(opt.buf1[i], in_row || in_bias || in_col ? 0 : 1);
    }
    // The fresh units do nothing yet: other incoming weights, the same logits.
    float logits[4 * 3];
    ws_model_forward(&ctx, m, x, 4, 1);
    memcpy(logits, m->act[m->nlayers], sizeof logits);
    for (int i = 0; i < 12; i++) m->w[W1->offset + 3 * 12 + i] += 0.5f, m->w[W1->offset + 6 * 12 + i] -= 0.5f;
    ck_assert_mem_eq(ws_model_forward(&ctx, m, x, 4, 1), logits, sizeof logits);
    free(w0);
    ws_optim_free(&opt);
    ws_cbp_free(c);
    ws_model_free(m);
}
END_TEST

// Whole online runs: shrink-perturb (1, 0) reproduces warm and (0, 1) random,
// bit for bit, round after round; every learner runs.
START_TEST(online_identities_end_to_end) {
    ws_source src;
    if (ws_source_load(&ctx, &src, "fashion-mnist", NULL)) {
        fprintf(stderr, "learners: Fashion-MNIST not installed, end-to-end check skipped\n");
        return;
    }
    ws_online_config cfg;
    ws_online_config_defaults(&cfg);
    cfg.base.subset = 600;
    cfg.base.eval_subset = 300;
    cfg.base.max_epochs = 3;
    cfg.base.hidden[0] = cfg.base.hidden[1] = 16;
    cfg.k0 = 300, cfg.k = 150;
    ck_assert_int_eq(ws_learner_parse_list(&ctx,
                                           "warm,random,shrink-perturb:lambda=1:sigma=0,shrink-perturb:lambda=0:sigma=1,"
                                           "shrink-perturb,partial,head-reset,noise,ewc:fisher-examples=50,l2-init,dash,"
                                           "cbp:rate=0.01:maturity=2",
                                           cfg.base.learners, WS_MAX_LEARNERS, &cfg.base.nlearners),
                     WS_OK);
    ws_online_seed_result r;
    ck_assert_int_eq(ws_online_run_seed(&ctx, &cfg, &src, 0, NULL, NULL, &r), WS_OK);
    const int nr = r.nrounds;
    ck_assert_int_eq(nr, 3);
    ck_assert_int_eq(r.nlearners, 12);
    for (int k = 0; k < nr; k++) {
        const ws_online_round *w = &r.rounds[0 * nr + k], *rd = &r.rounds[1 * nr + k], *s10 = &r.rounds[2 * nr + k],
                              *s01 = &r.rounds[3 * nr + k];
        ck_assert_double_eq(s10->test_acc, w->test_acc);
        ck_assert_double_eq(s10->train.loss, w->train.loss);
        ck_assert_double_eq(s10->to_init.l2, w->to_init.l2);
        ck_assert_double_eq(s01->test_acc, rd->test_acc);
        ck_assert_double_eq(s01->train.loss, rd->train.loss);
        for (int l = 0; l < r.nlearners; l++) ck_assert_int_ge(r.rounds[l * nr + k].train.nepochs, 1);
    }
    // Round 0 is shared: every learner the same there (the penalties start at round 1).
    for (int l = 1; l < r.nlearners; l++) ck_assert_double_eq(r.rounds[l * nr].test_acc, r.rounds[0].test_acc);
    // The remedies change round 1 (their begin or their training differs from warm's).
    for (int l = 4; l < r.nlearners; l++) ck_assert_double_ne(r.rounds[l * nr + 1].train.loss, r.rounds[1].train.loss);
    ck_assert_int_gt(r.rounds[11 * nr + 2].units_replaced, 0); // cbp replaced units
    ws_online_seed_result_free(&r);
    ws_source_free(&src);
}
END_TEST

// A small online run: 600 examples, 300 to start and 150 a round, an MLP 16-16, 3 epochs a round.
static void tiny_online(ws_online_config *cfg) {
    ws_online_config_defaults(cfg);
    cfg->base.subset = 600, cfg->base.eval_subset = 300, cfg->base.max_epochs = 3;
    cfg->base.hidden[0] = cfg->base.hidden[1] = 16;
    cfg->k0 = 300, cfg->k = 150;
}

// Whole online runs: the reset remedy with its defaults is head-reset bit for bit, round after
// round, and plasticity injection of a Linear head with keep-optim=0 and no weight decay is warm
// bit for bit (theta1''s gradient is the folded head's, and every optimizer state starts fresh);
// with keep-optim=1 (the encoder's moments carried, the head's fresh) it is not.
START_TEST(reset_and_inject_end_to_end) {
    ws_source src;
    if (ws_source_load(&ctx, &src, "fashion-mnist", NULL)) {
        fprintf(stderr, "learners: Fashion-MNIST not installed, reset / inject check skipped\n");
        return;
    }
    ws_online_config cfg;
    tiny_online(&cfg);
    ck_assert_int_eq(ws_learner_parse_list(&ctx, "warm,head-reset,reset,inject,warm:keep-optim=1,inject:keep-optim=1",
                                           cfg.base.learners, WS_MAX_LEARNERS, &cfg.base.nlearners),
                     WS_OK);
    ws_online_seed_result r;
    ck_assert_int_eq(ws_online_run_seed(&ctx, &cfg, &src, 0, NULL, NULL, &r), WS_OK);
    const int nr = r.nrounds;
    for (int k = 0; k < nr; k++) {
        const ws_online_round *w = &r.rounds[k], *hr = &r.rounds[nr + k], *rs = &r.rounds[2 * nr + k],
                              *inj = &r.rounds[3 * nr + k];
        ck_assert_double_eq(rs->test_acc, hr->test_acc);
        ck_assert_double_eq(rs->train.loss, hr->train.loss);
        ck_assert_double_eq(inj->test_acc, w->test_acc);
        ck_assert_double_eq(inj->train.loss, w->train.loss);
        ck_assert_int_eq(rs->units_replaced, k > 0 ? 10 : 0); // the 10 head units, each round after the first
    }
    ck_assert_double_ne(r.rounds[5 * nr + 2].train.loss, r.rounds[4 * nr + 2].train.loss);
    ws_online_seed_result_free(&r);
    ws_source_free(&src);
}
END_TEST

// A custom learner (ws_learner_custom): one that takes the fresh initialisation it is handed
// reproduces the random learner bit for bit; one that keeps its model reproduces warm; one
// that fails names itself; its record carries its own parameters.
static ws_status take_fresh(const ws_hook_env *h) {
    (*(int *)h->def->user)++;
    if (h->env->round == 0) return WS_OK; // begin is called for every round, the first included
    return ws_model_copy_weights(h->ctx, h->m, h->fresh);
}
static ws_status keep(const ws_hook_env *h) {
    (*(int *)h->def->user)++;
    return WS_OK;
}
static ws_status refuse(const ws_hook_env *h) { return ws_fail(h->ctx, WS_ERR_ARG, "no thanks"); }
static void describe(const ws_learner *def, cJSON *rec) {
    (void)def;
    cJSON_AddNumberToObject(rec, "k", 2);
}

START_TEST(custom_learner_identities) {
    ws_source src;
    if (ws_source_load(&ctx, &src, "fashion-mnist", NULL)) {
        fprintf(stderr, "learners: Fashion-MNIST not installed, custom learner check skipped\n");
        return;
    }
    ws_online_config cfg;
    tiny_online(&cfg);
    int fresh_calls = 0, keep_calls = 0;
    const ws_learner_ops as_random = {.begin = take_fresh, .record = describe}, as_warm = {.begin = keep};
    cfg.base.learners[2] = ws_learner_custom("fresh", &as_random, &fresh_calls);
    cfg.base.learners[3] = ws_learner_custom("kept", &as_warm, &keep_calls);
    cfg.base.nlearners = 4; // warm, random, then the two
    ws_online_seed_result r;
    ck_assert_int_eq(ws_online_run_seed(&ctx, &cfg, &src, 0, NULL, NULL, &r), WS_OK);
    const int nr = r.nrounds;
    ck_assert_int_eq(fresh_calls, nr);
    ck_assert_int_eq(keep_calls, nr);
    for (int k = 0; k < nr; k++) {
        ck_assert_double_eq(r.rounds[2 * nr + k].test_acc, r.rounds[1 * nr + k].test_acc);
        ck_assert_double_eq(r.rounds[2 * nr + k].train.loss, r.rounds[1 * nr + k].train.loss);
        ck_assert_double_eq(r.rounds[3 * nr + k].test_acc, r.rounds[0 * nr + k].test_acc);
        ck_assert_double_eq(r.rounds[3 * nr + k].train.loss, r.rounds[0 * nr + k].train.loss);
    }
    ck_assert_double_ne(r.rounds[2 * nr + 2].train.loss, r.rounds[0 * nr + 2].train.loss); // not warm
    ws_online_seed_result_free(&r);
    cJSON *j = ws_learner_json(&cfg.base.learners[2]);
    ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(j, "kind")->valuestring, "custom");
    ck_assert_int_eq(cJSON_GetObjectItemCaseSensitive(j, "k")->valueint, 2);
    cJSON_Delete(j);
    const ws_learner_ops no = {.begin = refuse};
    cfg.base.learners[0] = ws_learner_custom("picky", &no, NULL);
    cfg.base.nlearners = 1;
    ck_assert_int_ne(ws_online_run_seed(&ctx, &cfg, &src, 0, NULL, NULL, &r), WS_OK);
    ck_assert_ptr_nonnull(strstr(ctx.err, "learner 'picky': no thanks"));
    ws_source_free(&src);
}
END_TEST

// Under --protocol paper, a whole online run of a ResNet: warm (BatchNorm buffers restarted
// each round, as the official code's shrink_perturb(net, 1, 0)) equals shrink-perturb with
// lambda 1, sigma 0 bit for bit, round after round; warm keeping its buffers does not.
START_TEST(paper_warm_is_shrink_perturb_1_0) {
    ws_source src;
    if (ws_source_load(&ctx, &src, "fashion-mnist", NULL)) {
        fprintf(stderr, "learners: Fashion-MNIST not installed, BatchNorm reset check skipped\n");
        return;
    }
    ws_online_config cfg;
    ws_online_config_defaults(&cfg);
    cfg.base.protocol = WS_PROTOCOL_PAPER;
    cfg.base.model = WS_MODEL_RESNET18, cfg.base.width = 4;
    cfg.base.subset = 256, cfg.base.eval_subset = 128, cfg.base.epochs = 2, cfg.base.batch = 64;
    cfg.k0 = 128, cfg.k = 128;
    ck_assert_int_eq(ws_learner_parse_list(&ctx, "warm,shrink-perturb:lambda=1:sigma=0,warm:bn=keep", cfg.base.learners,
                                           WS_MAX_LEARNERS, &cfg.base.nlearners),
                     WS_OK);
    ws_online_seed_result r;
    ck_assert_int_eq(ws_online_run_seed(&ctx, &cfg, &src, 0, NULL, NULL, &r), WS_OK);
    const int nr = r.nrounds;
    ck_assert_int_eq(nr, 2);
    for (int k = 0; k < nr; k++) {
        const ws_online_round *w = &r.rounds[k], *sp = &r.rounds[nr + k];
        ck_assert_double_eq(sp->test_acc, w->test_acc);
        ck_assert_double_eq(sp->test_loss, w->test_loss);
        ck_assert_double_eq(sp->train.loss, w->train.loss);
        ck_assert_double_eq(sp->to_init.l2, w->to_init.l2);
        ck_assert_int_eq(w->train.nepochs, 2);
    }
    ck_assert_double_eq(r.rounds[2 * nr].test_loss, r.rounds[0].test_loss); // round 0: the same
    ck_assert_double_ne(r.rounds[2 * nr + 1].test_loss, r.rounds[1].test_loss); // kept buffers show at eval
    ws_online_seed_result_free(&r);
    ws_source_free(&src);
}
END_TEST

// The two-phase experiment under --protocol paper: shrink-perturb other than (1, 0) trains
// its own phase 1 from lambda init + sigma fresh (the official code perturbs before the first
// round too), recorded with its run and read back; (1, 0) continues from the shared phase 1
// and equals warm.
START_TEST(paper_batch_own_phase1) {
    ws_source src;
    if (ws_source_load(&ctx, &src, "fashion-mnist", NULL)) {
        fprintf(stderr, "learners: Fashion-MNIST not installed, own phase 1 check skipped\n");
        return;
    }
    ws_batch_config cfg;
    ws_batch_config_defaults(&cfg);
    cfg.base.protocol = WS_PROTOCOL_PAPER;
    cfg.base.subset = 400, cfg.base.eval_subset = 200, cfg.base.epochs = 2;
    cfg.base.hidden[0] = cfg.base.hidden[1] = 16;
    ck_assert_int_eq(ws_learner_parse_list(&ctx, "warm,shrink-perturb:lambda=1:sigma=0,shrink-perturb:lambda=0.5:sigma=0.01",
                                           cfg.base.learners, WS_MAX_LEARNERS, &cfg.base.nlearners),
                     WS_OK);
    ck_assert(!ws_batch_own_phase1(&cfg, &cfg.base.learners[1]));
    ck_assert(ws_batch_own_phase1(&cfg, &cfg.base.learners[2]));
    ws_batch_seed_result r;
    ck_assert_int_eq(ws_batch_run_seed(&ctx, &cfg, &src, 0, NULL, NULL, &r), WS_OK);
    ck_assert_ptr_null(r.runs[0].own_phase1);
    ck_assert_ptr_null(r.runs[1].own_phase1);
    ck_assert_double_eq(r.runs[1].test_acc, r.runs[0].test_acc);
    ck_assert_double_eq(r.runs[1].train.loss, r.runs[0].train.loss);
    const ws_run_result *own = r.runs[2].own_phase1;
    ck_assert_ptr_nonnull(own);
    ck_assert_int_eq(own->train.nepochs, 2);
    ck_assert_int_eq(own->train.steps, r.phase1.train.steps); // the same examples and batches
    ck_assert_double_ne(own->train.loss, r.phase1.train.loss);  // from another start
    cJSON *j = ws_run_json(&r.runs[2]);
    ck_assert_ptr_nonnull(cJSON_GetObjectItemCaseSensitive(j, "own_phase1"));
    ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(j, "stop")->valuestring, "epochs");
    ws_run_result back;
    ck_assert_int_eq(ws_run_from_json(&ctx, j, &back), WS_OK);
    ck_assert_ptr_nonnull(back.own_phase1);
    ck_assert_double_eq(back.own_phase1->test_acc, own->test_acc);
    ck_assert_int_eq(back.own_phase1->train.nepochs, 2);
    ck_assert_int_eq(back.train.stop, WS_STOP_EPOCHS);
    ws_run_result_free(&back);
    cJSON_Delete(j);
    ws_batch_seed_result_free(&r);
    ws_source_free(&src);
}
END_TEST

// The two-phase experiment's measurements: gradient norms through phase 2 (Figure 5) at step 0
// and every K steps, on old and new examples, and shrink-only evaluation of every trained model
// (Figure 6), its lambda 1 the run's own accuracy; neither changes the training; both read back.
START_TEST(batch_grad_log_and_shrink_eval) {
    ws_source src;
    if (ws_source_load(&ctx, &src, "fashion-mnist", NULL)) {
        fprintf(stderr, "learners: Fashion-MNIST not installed, gradient-log check skipped\n");
        return;
    }
    ws_batch_config cfg;
    ws_batch_config_defaults(&cfg);
    cfg.base.subset = 400, cfg.base.eval_subset = 200, cfg.base.epochs = 2;
    cfg.base.hidden[0] = cfg.base.hidden[1] = 16;
    cfg.base.opt.lr = 0.01f, cfg.phase1_epochs = 40; // phase 1 fits its half
    ws_batch_seed_result plain, seen;
    ck_assert_int_eq(ws_batch_run_seed(&ctx, &cfg, &src, 0, NULL, NULL, &plain), WS_OK);
    cfg.grad_every = 2, cfg.grad_examples = 50;
    cfg.nshrink = 3, cfg.shrink_lambda[0] = 0.0, cfg.shrink_lambda[1] = 0.5, cfg.shrink_lambda[2] = 1.0;
    ck_assert_int_eq(ws_batch_run_seed(&ctx, &cfg, &src, 0, NULL, NULL, &seen), WS_OK);
    ck_assert_int_eq(seen.nruns, 2);
    ck_assert_int_eq(seen.phase1.grads.n, 0); // phase 2 only
    ck_assert_int_eq(seen.phase1.shrink.n, 3);
    ck_assert_double_eq(seen.phase1.shrink.test_acc[2], seen.phase1.test_acc);
    for (int l = 0; l < 2; l++) {
        const ws_run_result *a = &plain.runs[l], *b = &seen.runs[l];
        ck_assert_double_eq(a->test_acc, b->test_acc);
        ck_assert_double_eq(a->train.loss, b->train.loss);
        // 400 examples in batches of 128: 4 steps an epoch, 8 in all: steps 0, 2, 4, 6, 8.
        ck_assert_int_eq(b->grads.n, 5);
        for (int i = 0; i < 5; i++) {
            ck_assert_int_eq(b->grads.step[i], 2 * i);
            ck_assert(b->grads.old_norm[i] > 0 && b->grads.new_norm[i] > 0);
        }
        ck_assert_int_eq(b->shrink.n, 3);
        ck_assert_double_eq(b->shrink.test_acc[2], b->test_acc);
        ck_assert_double_eq(b->shrink.lambda[1], 0.5);
    }
    // Warm's first measurement is phase 1's model: trained on the old half, its gradient is
    // smaller there than on the new half.
    ck_assert_double_lt(seen.runs[0].grads.old_norm[0], seen.runs[0].grads.new_norm[0]);
    cJSON *j = ws_run_json(&seen.runs[0]);
    ws_run_result back;
    ck_assert_int_eq(ws_run_from_json(&ctx, j, &back), WS_OK);
    ck_assert_int_eq(back.grads.n, 5);
    ck_assert_int_eq(back.grads.every, 2);
    ck_assert_int_eq(back.grads.step[4], 8);
    ck_assert_double_eq(back.grads.new_norm[3], seen.runs[0].grads.new_norm[3]);
    ck_assert_int_eq(back.shrink.n, 3);
    ck_assert_double_eq(back.shrink.test_acc[1], seen.runs[0].shrink.test_acc[1]);
    ws_run_result_free(&back);
    // A damaged log is refused by name.
    cJSON_DeleteItemFromArray(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "grad_log"), "old"), 0);
    ck_assert_int_eq(ws_run_from_json(&ctx, j, &back), WS_ERR_FORMAT);
    ck_assert_ptr_nonnull(strstr(ctx.err, "grad_log"));
    cJSON_Delete(j);
    ws_batch_seed_result_free(&plain);
    ws_batch_seed_result_free(&seen);
    ws_source_free(&src);
}
END_TEST

Suite *learners_suite(void) {
    Suite *s = suite_create("learners");
    TCase *t = tcase_create("learners");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_set_timeout(t, 120);
    tcase_add_test(t, parse_specs);
    tcase_add_test(t, help_lists_every_kind);
    tcase_add_test(t, shrink_perturb_known_values);
    tcase_add_test(t, identities_on_models);
    tcase_add_test(t, partial_and_head_reset);
    tcase_add_test(t, reset_and_inject_on_models);
    tcase_add_test(t, inject_rounds);
    tcase_add_test(t, reset_and_inject_end_to_end);
    tcase_add_test(t, noise_adds_gaussian);
    tcase_add_test(t, penalty_gradients_fd);
    tcase_add_test(t, parseval_gradient_fd);
    tcase_add_test(t, l1_init_gradient_on_constructed_values);
    tcase_add_test(t, fisher_matches_closed_form);
    tcase_add_test(t, dash_factors);
    tcase_add_test(t, cbp_replaces_expected_units);
    tcase_add_loop_test(t, cbp_on_tanh_mlp, 0, 2);
    tcase_add_test(t, online_identities_end_to_end);
    tcase_add_test(t, paper_warm_is_shrink_perturb_1_0);
    tcase_add_test(t, paper_batch_own_phase1);
    tcase_add_test(t, batch_grad_log_and_shrink_eval);
    tcase_add_test(t, custom_learner_identities);
    suite_add_tcase(s, t);
    return s;
}
