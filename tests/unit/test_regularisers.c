// The training regularisers of the paper's appendix table beside weight decay: the
// confidence penalty (Pereyra et al. 2017) and FGSM adversarial training (Goodfellow et
// al. 2015). Their gradients by finite differences of a loss the tests compute themselves
// (w.r.t. the logits, the parameters and the input); one FGSM step's gradient against
// 0.5 (grad L(x) + grad L(x_adv)) built here from the checked input gradient; both off
// train bit for bit as the plain step; the options, their errors and the configuration.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "exp/options.h"
#include "exp/setup.h"
#include "nn/model.h"
#include "suites.h"
#include "train/train.h"

static ws_ctx ctx;
static void setup(void) { ws_ctx_init(&ctx, 2); }
static void teardown(void) { ws_ctx_release(&ctx); } // the backend's cached primitives

enum { MB = 4, MIN = 6, MC = 3 };

// The penalised loss of the model on (x, y), computed here in double from the logits:
// mean over the batch of CE - beta * H, H = -sum_j p_j log p_j of each example's softmax.
typedef struct {
    ws_model *m;
    float *x;
    const int32_t *y;
    int B;
    double beta;
} pen_case;

static double penalised_loss(void *user) {
    pen_case *c = user;
    const int C = c->m->spec.num_classes;
    const float *z = ws_model_forward(&ctx, c->m, c->x, c->B, 1);
    double sum = 0;
    for (int r = 0; r < c->B; r++) {
        const float *zr = z + r * C;
        double mx = zr[0], s = 0, h = 0;
        for (int j = 1; j < C; j++) mx = fmax(mx, zr[j]);
        for (int j = 0; j < C; j++) s += exp(zr[j] - mx);
        double lse = mx + log(s);
        for (int j = 0; j < C; j++) h -= exp(zr[j] - lse) * (zr[j] - lse);
        sum += (lse - zr[c->y[r]]) - c->beta * h;
    }
    return sum / c->B;
}

// The gradients of the library's backward for the case: parameters into m->g, the input
// into dx (when not NULL).
static void backward_of(pen_case *c, float *dx) {
    ws_model_forward(&ctx, c->m, c->x, c->B, 1);
    ws_model_loss(&ctx, c->m, c->y, c->B, NULL);
    ws_model_zero_grad(c->m);
    ws_backward_opts o = {.confidence_penalty = c->beta, .dx = dx};
    ws_model_backward_ex(&ctx, c->m, c->y, c->B, &o);
    ck_assert_int_eq(ctx.fault, WS_OK);
}

static ws_model *make(ws_model_kind kind, ws_shape in, int classes, int B) {
    ws_model_spec spec = {.kind = kind, .input = in, .num_classes = classes, .nhidden = 2, .hidden = {5, 4}, .width = 4};
    ws_model *m = NULL;
    ck_assert_int_eq(ws_model_create(&ctx, &m, &spec), WS_OK);
    ck_assert_int_eq(ws_model_plan(&ctx, m, B), WS_OK);
    ws_rng r = ws_rng_stream(3, "init", 0);
    ws_model_init(m, &r);
    return m;
}

// W.r.t. the logits: logistic regression with W = I and b = 0 has the logits for its
// input, so the input gradient is the logits' gradient.
START_TEST(confidence_penalty_gradient_wrt_logits) {
    enum { K = 5, B = 6 };
    ws_model *m = make(WS_MODEL_LOGREG, (ws_shape){1, 1, K}, K, B);
    memset(m->w, 0, sizeof(float) * (size_t)m->nweights);
    const ws_param *W = ws_model_param(m, "linear.weight");
    for (int k = 0; k < K; k++) m->w[W->offset + k * K + k] = 1;
    float x[B * K], dz[B * K];
    int32_t y[B];
    ws_rng r = ws_rng_stream(11, "test-penalty", 0);
    for (int i = 0; i < B * K; i++) x[i] = 4 * ws_rng_uniform(&r) - 2;
    for (int i = 0; i < B; i++) y[i] = (int32_t)ws_rng_below(&r, K);
    const double betas[] = {0.0, 0.5, 2.0};
    for (int t = 0; t < 3; t++) {
        pen_case c = {m, x, y, B, betas[t]};
        backward_of(&c, dz);
        double err = fd_error(x, dz, B * K, penalised_loss, &c, 1e-3f);
        ck_assert_msg(err < 1e-3, "beta %g: logits' gradient off by %g", betas[t], err);
    }
    // The entropy the library computes is the one differentiated.
    pen_case c = {m, x, y, B, 1.0};
    double with = penalised_loss(&c);
    c.beta = 0;
    double ce = penalised_loss(&c);
    ck_assert_double_eq_tol(ws_model_entropy(m, B), ce - with, 1e-9);
    ck_assert_double_eq_tol(ws_model_loss(&ctx, m, y, B, NULL), ce, 1e-6);
    ws_model_free(m);
}
END_TEST

// W.r.t. every parameter of a small MLP, and w.r.t. its input (FGSM's gradient), with the
// penalty off and on.
START_TEST(penalised_gradients_wrt_parameters_and_input) {
    ws_model *m = make(WS_MODEL_MLP, (ws_shape){1, 2, 3}, MC, MB);
    float x[MB * MIN], dx[MB * MIN];
    int32_t y[MB];
    ws_rng r = ws_rng_stream(5, "test-model", 0);
    for (int i = 0; i < MB * MIN; i++) x[i] = 2 * ws_rng_uniform(&r) - 1;
    for (int i = 0; i < MB; i++) y[i] = (int32_t)ws_rng_below(&r, MC);
    const double betas[] = {0.0, 0.7};
    float *g = malloc(sizeof(float) * (size_t)m->nweights);
    for (int t = 0; t < 2; t++) {
        pen_case c = {m, x, y, MB, betas[t]};
        backward_of(&c, dx);
        memcpy(g, m->g, sizeof(float) * (size_t)m->nweights);
        double err = fd_error(m->w, g, m->nweights, penalised_loss, &c, 1e-3f);
        ck_assert_msg(err < 5e-3, "beta %g: parameter gradient off by %g", betas[t], err);
        err = fd_error(x, dx, MB * MIN, penalised_loss, &c, 1e-3f);
        ck_assert_msg(err < 5e-3, "beta %g: input gradient off by %g", betas[t], err);
        // Asking for the input gradient changes no parameter gradient.
        backward_of(&c, NULL);
        ck_assert_mem_eq(g, m->g, sizeof(float) * (size_t)m->nweights);
    }
    free(g);
    ws_model_free(m);
}
END_TEST

// A ResNet's input gradient (the first convolution reads NCHW data whatever the backend's
// layout): the directional derivative against finite differences (coarse, as the ResNet
// test of test_model.c: BatchNorm and ReLU kinks), and the oneDNN backend against the
// reference one at width 16 (blocked layouts inside).
START_TEST(resnet_input_gradient) {
    enum { B = 4, N = B * 3 * 16 * 16 };
    static float x[N], v[N], dx[N], dxref[N];
    int32_t y[B];
    ws_rng r = ws_rng_stream(6, "test-resnet-dx", 0);
    for (int i = 0; i < N; i++) x[i] = 2 * ws_rng_uniform(&r) - 1;
    for (int i = 0; i < B; i++) y[i] = (int32_t)ws_rng_below(&r, 3);
    for (int width = 4; width <= 16; width += 12) {
        // One model per backend, each planned under its own (the scratch a plan holds is the backend's).
        ws_model *m[2];
        for (int k = 0; k < 2; k++) {
            ck_assert_int_eq(ws_ctx_set_backend(&ctx, k ? "onednn" : "reference"), WS_OK);
            ws_model_spec spec = {.kind = WS_MODEL_RESNET18, .input = {3, 16, 16}, .num_classes = 3, .width = width};
            ck_assert_int_eq(ws_model_create(&ctx, &m[k], &spec), WS_OK);
            ck_assert_int_eq(ws_model_plan(&ctx, m[k], B), WS_OK);
            ws_rng ri = ws_rng_stream(4, "init", 0);
            ws_model_init(m[k], &ri);
        }
        pen_case c = {m[0], x, y, B, 0.3};
        ck_assert_int_eq(ws_ctx_set_backend(&ctx, "reference"), WS_OK);
        backward_of(&c, dxref);
        double norm = 0, gnorm = 0, an = 0;
        for (int i = 0; i < N; i++) v[i] = ws_rng_normal(&r), norm += (double)v[i] * v[i];
        for (int i = 0; i < N; i++) {
            v[i] = (float)(v[i] / sqrt(norm));
            an += (double)v[i] * dxref[i];
            gnorm += (double)dxref[i] * dxref[i];
        }
        ck_assert_double_gt(gnorm, 0);
        const float h = 1e-3f;
        static float keep[N];
        memcpy(keep, x, sizeof x);
        for (int i = 0; i < N; i++) x[i] = keep[i] + h * v[i];
        double up = penalised_loss(&c);
        for (int i = 0; i < N; i++) x[i] = keep[i] - h * v[i];
        double down = penalised_loss(&c);
        memcpy(x, keep, sizeof x);
        double num = (up - down) / (2 * (double)h), err = fabs(num - an) / sqrt(gnorm);
        ck_assert_msg(err < 0.25, "width %d: directional derivative off by %g of |dx|", width, err);
        ck_assert_int_eq(ws_ctx_set_backend(&ctx, "onednn"), WS_OK);
        c.m = m[1];
        backward_of(&c, dx);
        double diff = 0, mx = 0;
        for (int i = 0; i < N; i++) {
            diff = fmax(diff, fabs((double)dx[i] - dxref[i]));
            mx = fmax(mx, fabs((double)dxref[i]));
        }
        ck_assert_msg(diff <= 1e-3 * mx, "width %d: onednn's input gradient differs by %g (max %g)", width, diff, mx);
        ws_model_free(m[0]), ws_model_free(m[1]);
    }
}
END_TEST

// ---- training ---------------------------------------------------------------------------

enum { TN = 96, TDIM = 8 };
static uint8_t xs[TN * TDIM];
static int32_t ys[TN], idx[TN];

static ws_dataset toy(void) { return test_toy_dataset(TN, xs, ys, idx); }

static ws_model *toy_mlp(uint64_t seed, int B) {
    ws_model_spec spec = {.kind = WS_MODEL_MLP, .input = {1, 2, 4}, .num_classes = 3, .nhidden = 1, .hidden = {16}};
    ws_model *m = NULL;
    ck_assert_int_eq(ws_model_create(&ctx, &m, &spec), WS_OK);
    ck_assert_int_eq(ws_model_plan(&ctx, m, B), WS_OK);
    ws_rng r = ws_rng_stream(seed, "init", 0);
    ws_model_init(m, &r);
    return m;
}

static ws_status copy_grad(void *user, ws_model *m, ws_optim *opt, int b) {
    (void)opt, (void)b;
    memcpy(user, m->g, sizeof(float) * (size_t)m->nweights);
    return WS_OK;
}

// One FGSM step of the trainer (the whole toy set as one batch) against the gradient built
// here: 0.5 (grad L(x) + grad L(x_adv)), x_adv = x + eps sign(dx), dx the input gradient
// checked above; with the confidence penalty off and on (L then includes it).
START_TEST(fgsm_step_gradient_is_the_mean_of_clean_and_adversarial) {
    const double beta = _i ? 0.3 : 0.0;
    const float eps = 0.25f;
    ws_dataset d = toy();
    ws_norm n;
    ws_norm_from_data(&n, &d, NULL, 0);
    ws_model *m = toy_mlp(9, TN), *ref = toy_mlp(9, TN);
    ws_opt_config oc = ws_opt_defaults(WS_OPT_SGD, 0.0f);
    ws_optim o;
    ck_assert_int_eq(ws_optim_create(&ctx, &o, &oc, m->nweights), WS_OK);
    float *g = malloc(sizeof(float) * (size_t)m->nweights);
    ws_train_config tc = {.batch = TN, .epochs = 1, .confidence_penalty = beta, .fgsm_eps = eps,
                          .after_backward = copy_grad, .hook_user = g};
    ws_train_result res;
    const uint64_t seed = 3, stream = 2;
    ck_assert_int_eq(ws_train_to_threshold(&ctx, m, &o, &d, &n, idx, TN, &tc, seed, stream, NULL, NULL, &res), WS_OK);
    ck_assert_int_eq(res.steps, 1);
    // The trainer's batch: the epoch's shuffle of the examples.
    int32_t order[TN], y[TN];
    memcpy(order, idx, sizeof order);
    ws_rng r = ws_rng_stream(seed, "shuffle", stream * 1000003u + 1);
    ws_rng_shuffle(&r, order, TN);
    static float x[TN * TDIM], xadv[TN * TDIM], dx[TN * TDIM];
    ws_gather(x, y, &d, &n, order, TN);
    // The clean gradient and the input gradient, then the adversarial one.
    pen_case c = {ref, x, y, TN, beta};
    backward_of(&c, dx);
    float *ga = malloc(sizeof(float) * (size_t)m->nweights);
    memcpy(ga, ref->g, sizeof(float) * (size_t)m->nweights);
    const double clean_loss = ws_model_loss(&ctx, ref, y, TN, NULL); // the last forward was the clean batch's
    int moved = 0;
    for (int i = 0; i < TN * TDIM; i++) {
        xadv[i] = x[i] + (dx[i] > 0 ? eps : dx[i] < 0 ? -eps : 0.0f);
        moved += xadv[i] != x[i];
    }
    ck_assert_int_gt(moved, TN * TDIM / 2);
    pen_case ca = {ref, xadv, y, TN, beta};
    backward_of(&ca, NULL);
    double maxdiff = 0, maxref = 0, maxshift = 0;
    for (int64_t i = 0; i < m->nweights; i++) {
        double want = 0.5 * ((double)ga[i] + (double)ref->g[i]);
        maxdiff = fmax(maxdiff, fabs(g[i] - want));
        maxref = fmax(maxref, fabs(want));
        maxshift = fmax(maxshift, fabs(want - ga[i]));
    }
    ck_assert_msg(maxdiff <= 1e-6 * maxref, "FGSM gradient off by %g (max %g)", maxdiff, maxref);
    ck_assert_double_gt(maxshift, 1e-2 * maxref); // the adversarial half matters: the test can tell
    // The recorded loss is the clean batch's cross-entropy.
    ck_assert_double_eq_tol(res.epochs[0].loss, clean_loss, 1e-12 * clean_loss);
    ws_train_result_free(&res);
    free(g), free(ga);
    ws_optim_free(&o);
    ws_model_free(m), ws_model_free(ref);
}
END_TEST

// The adversarial forward is a training-mode forward: BatchNorm counts two batches per step.
START_TEST(fgsm_updates_batchnorm_statistics_twice) {
    enum { RN = 8 };
    static uint8_t px[RN * 64];
    static int32_t lab[RN], ridx[RN];
    ws_rng r = ws_rng_stream(2, "test-bn", 0);
    for (int i = 0; i < RN * 64; i++) px[i] = (uint8_t)ws_rng_below(&r, 256);
    for (int i = 0; i < RN; i++) lab[i] = i % 3, ridx[i] = i;
    ws_dataset d = {.n = RN, .c = 1, .h = 8, .w = 8, .num_classes = 3, .x = px, .y = lab};
    ws_norm n;
    ws_norm_paper(&n, 1);
    for (int on = 0; on < 2; on++) {
        ws_model *m = make(WS_MODEL_RESNET18, (ws_shape){1, 8, 8}, 3, RN);
        ws_opt_config oc = ws_opt_defaults(WS_OPT_ADAM, 1e-3f);
        ws_optim o;
        ck_assert_int_eq(ws_optim_create(&ctx, &o, &oc, m->nweights), WS_OK);
        ws_train_config tc = {.batch = RN, .epochs = 2, .fgsm_eps = on ? 0.1 : 0};
        ws_train_result res;
        ck_assert_int_eq(ws_train_to_threshold(&ctx, m, &o, &d, &n, ridx, RN, &tc, 1, 1, NULL, NULL, &res), WS_OK);
        const ws_buffer *nbt = ws_model_buffer(m, "bn1.num_batches_tracked");
        ck_assert_int_eq(m->ibuf[nbt->offset], on ? 4 : 2);
        ws_train_result_free(&res);
        ws_optim_free(&o);
        ws_model_free(m);
    }
}
END_TEST

// Train the toy MLP 3 epochs under tc (SGD with momentum).
static ws_model *train_toy(ws_train_config tc) {
    ws_dataset d = toy();
    ws_norm n;
    ws_norm_from_data(&n, &d, NULL, 0);
    ws_model *m = toy_mlp(7, tc.batch);
    ws_opt_config oc = ws_opt_defaults(WS_OPT_SGD, 0.05f);
    oc.momentum = 0.9f;
    ws_optim o;
    ck_assert_int_eq(ws_optim_create(&ctx, &o, &oc, m->nweights), WS_OK);
    ws_train_result res;
    ck_assert_int_eq(ws_train_to_threshold(&ctx, m, &o, &d, &n, idx, TN, &tc, 7, 1, NULL, NULL, &res), WS_OK);
    ws_train_result_free(&res);
    ws_optim_free(&o);
    return m;
}

// Both off: the trainer's weights are those of the plain step written out here
// (ws_model_backward, no regulariser) bit for bit; either one on moves them.
START_TEST(off_trains_as_the_plain_step) {
    enum { BS = 20, EPOCHS = 3 };
    ws_model *trained = train_toy((ws_train_config){.batch = BS, .epochs = EPOCHS});
    ws_dataset d = toy();
    ws_norm n;
    ws_norm_from_data(&n, &d, NULL, 0);
    ws_model *m = toy_mlp(7, BS);
    ws_opt_config oc = ws_opt_defaults(WS_OPT_SGD, 0.05f);
    oc.momentum = 0.9f;
    ws_optim o;
    ck_assert_int_eq(ws_optim_create(&ctx, &o, &oc, m->nweights), WS_OK);
    float x[BS * TDIM];
    int32_t y[BS], order[TN];
    const ws_augment none = {0};
    for (int e = 1; e <= EPOCHS; e++) {
        memcpy(order, idx, sizeof order);
        ws_rng r = ws_rng_stream(7, "shuffle", 1 * 1000003u + (uint64_t)e);
        ws_rng_shuffle(&r, order, TN);
        ws_rng ar = ws_rng_stream(7, "augment", 1 * 1000003u + (uint64_t)e);
        for (int s = 0; s < TN; s += BS) {
            int b = TN - s < BS ? TN - s : BS;
            ws_gather_augmented(x, y, &d, &n, order + s, b, &none, &ar);
            ws_model_forward(&ctx, m, x, b, 1);
            ws_model_loss(&ctx, m, y, b, NULL);
            ws_model_zero_grad(m);
            ws_model_backward(&ctx, m, y, b);
            ws_optim_step(&o, m->w, m->g);
        }
    }
    ck_assert_mem_eq(trained->w, m->w, sizeof(float) * (size_t)m->nweights);
    ws_model *pen = train_toy((ws_train_config){.batch = BS, .epochs = EPOCHS, .confidence_penalty = 1e-2});
    ws_model *adv = train_toy((ws_train_config){.batch = BS, .epochs = EPOCHS, .fgsm_eps = 1e-2});
    ck_assert_int_ne(memcmp(trained->w, pen->w, sizeof(float) * (size_t)m->nweights), 0);
    ck_assert_int_ne(memcmp(trained->w, adv->w, sizeof(float) * (size_t)m->nweights), 0);
    ws_optim_free(&o);
    ws_model_free(m), ws_model_free(trained), ws_model_free(pen), ws_model_free(adv);
}
END_TEST

// ---- options ------------------------------------------------------------------------------

START_TEST(options_parse_resolve_and_record) {
    ws_options o;
    ws_options_defaults(&o, WS_CMD_BATCH);
    ck_assert_double_eq(o.confidence_penalty, 0);
    ck_assert_double_eq(o.fgsm_eps, 0);
    // Negative, not a number, too large: refused, naming the option.
    ck_assert_int_eq(ws_options_set(&ctx, WS_CMD_BATCH, &o, "confidence-penalty", "-0.1"), WS_ERR_ARG);
    ck_assert_str_eq(ctx.err, "--confidence-penalty: -0.1 is out of range [0, 1000]");
    ck_assert_int_eq(ws_options_set(&ctx, WS_CMD_BATCH, &o, "fgsm-eps", "-1e-3"), WS_ERR_ARG);
    ck_assert_str_eq(ctx.err, "--fgsm-eps: -1e-3 is out of range [0, 1000]");
    ck_assert_int_eq(ws_options_set(&ctx, WS_CMD_BATCH, &o, "fgsm-eps", "small"), WS_ERR_ARG);
    ck_assert_str_eq(ctx.err, "--fgsm-eps: 'small' is not a number");
    ck_assert_int_eq(ws_options_set(&ctx, WS_CMD_ONLINE, &o, "confidence-penalty", "nan"), WS_ERR_ARG);
    ck_assert_ptr_nonnull(strstr(ctx.err, "--confidence-penalty"));
    ck_assert_double_eq(o.confidence_penalty, 0); // a refused value leaves the option as it was
    // Every command that trains takes them; eval does not.
    ck_assert_ptr_nonnull(ws_option_find(WS_CMD_TRAIN, "confidence-penalty"));
    ck_assert_ptr_nonnull(ws_option_find(WS_CMD_TRANSFER, "fgsm-eps"));
    ck_assert_ptr_null(ws_option_find(WS_CMD_EVAL, "fgsm-eps"));
    // Given: into the setup, and from there into every run's training configuration.
    char a0[] = "--confidence-penalty", a1[] = "0.1", a2[] = "--fgsm-eps=0.03", *argv[] = {a0, a1, a2};
    ck_assert_int_eq(ws_options_parse(&ctx, WS_CMD_BATCH, &o, 3, argv), WS_OK);
    ws_batch_config b;
    ws_online_config on;
    ws_transfer_config tr;
    ws_continual_config co;
    ck_assert_int_eq(ws_options_resolve(&ctx, WS_CMD_BATCH, &o, &b, &on, &tr, &co), WS_OK);
    ck_assert_double_eq(b.base.confidence_penalty, 0.1);
    ck_assert_double_eq(b.base.fgsm_eps, 0.03);
    ws_train_config tc = ws_setup_train_config(&b.base, 32, NULL);
    ck_assert_double_eq(tc.confidence_penalty, 0.1);
    ck_assert_double_eq(tc.fgsm_eps, 0.03);
    // A program's setup is checked too, and so is the trainer's configuration.
    ws_setup s;
    ws_setup_defaults(&s);
    s.fgsm_eps = -1;
    ck_assert_int_eq(ws_setup_check(&ctx, &s), WS_ERR_ARG);
    ck_assert_str_eq(ctx.err, "--fgsm-eps -1: expected a number >= 0 (0: off)");
    s.fgsm_eps = 0, s.confidence_penalty = -0.5;
    ck_assert_int_eq(ws_setup_check(&ctx, &s), WS_ERR_ARG);
    ck_assert_str_eq(ctx.err, "--confidence-penalty -0.5: expected a number >= 0 (0: off)");
    ws_dataset d = toy();
    ws_norm n;
    ws_norm_from_data(&n, &d, NULL, 0);
    ws_model *m = toy_mlp(1, 8);
    ws_opt_config oc = ws_opt_defaults(WS_OPT_SGD, 0.1f);
    ws_optim opt;
    ck_assert_int_eq(ws_optim_create(&ctx, &opt, &oc, m->nweights), WS_OK);
    ws_train_result res;
    tc = (ws_train_config){.batch = 8, .epochs = 1, .confidence_penalty = -1};
    ck_assert_int_eq(ws_train_to_threshold(&ctx, m, &opt, &d, &n, idx, TN, &tc, 1, 1, NULL, NULL, &res), WS_ERR_ARG);
    ck_assert_str_eq(ctx.err, "confidence penalty -1 must be a finite number >= 0 (0: off)");
    tc = (ws_train_config){.batch = 8, .epochs = 1, .fgsm_eps = INFINITY};
    ck_assert_int_eq(ws_train_to_threshold(&ctx, m, &opt, &d, &n, idx, TN, &tc, 1, 1, NULL, NULL, &res), WS_ERR_ARG);
    ck_assert_str_eq(ctx.err, "FGSM epsilon inf must be a finite number >= 0 (0: off)");
    ws_optim_free(&opt);
    ws_model_free(m);
    // The resolved configuration records them when on, and only then (absent: off).
    char class_names[3][WS_CLASS_NAME] = {"a", "b", "c"};
    ws_source src = {.name = "toy", .root = "/nowhere", .labels = "class", .num_classes = 3, .class_names = class_names,
                     .train = d, .test = d};
    ws_setup_defaults(&s);
    cJSON *j = ws_setup_json(&s, "batch", &src, &ctx, NULL);
    ck_assert_ptr_null(cJSON_GetObjectItemCaseSensitive(j, "confidence_penalty"));
    ck_assert_ptr_null(cJSON_GetObjectItemCaseSensitive(j, "fgsm_eps"));
    cJSON_Delete(j);
    j = ws_setup_json(&b.base, "batch", &src, &ctx, NULL);
    ck_assert_double_eq(cJSON_GetObjectItemCaseSensitive(j, "confidence_penalty")->valuedouble, 0.1);
    ck_assert_double_eq(cJSON_GetObjectItemCaseSensitive(j, "fgsm_eps")->valuedouble, 0.03);
    cJSON_Delete(j);
}
END_TEST

Suite *regularisers_suite(void) {
    Suite *s = suite_create("regularisers");
    TCase *t = tcase_create("gradients");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_set_timeout(t, 120);
    tcase_add_test(t, confidence_penalty_gradient_wrt_logits);
    tcase_add_test(t, penalised_gradients_wrt_parameters_and_input);
    tcase_add_test(t, resnet_input_gradient);
    suite_add_tcase(s, t);
    TCase *tr = tcase_create("training");
    tcase_add_checked_fixture(tr, setup, teardown);
    tcase_set_timeout(tr, 60);
    tcase_add_loop_test(tr, fgsm_step_gradient_is_the_mean_of_clean_and_adversarial, 0, 2);
    tcase_add_test(tr, fgsm_updates_batchnorm_statistics_twice);
    tcase_add_test(tr, off_trains_as_the_plain_step);
    tcase_add_test(tr, options_parse_resolve_and_record);
    suite_add_tcase(s, tr);
    return s;
}
