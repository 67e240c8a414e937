// Measurements inside the network (nn/inside.h, exp/inside_json.h): every formula on hand-made
// inputs with known answers, a probe that leaves training bit for bit as it was, a chunked
// probe equal to a whole one, a probe larger than the plan that does not grow it, and the
// JSON record read back exactly.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "exp/inside_json.h"
#include "nn/inside.h"
#include "nn/model.h"
#include "optim/optim.h"
#include "suites.h"

static ws_ctx ctx;
static void setup(void) { ws_ctx_init(&ctx, 2); }
static void teardown(void) { ws_ctx_release(&ctx); }

// ---- the formulas ----

START_TEST(singular_values_of_known_matrices) {
    // (3 0 0; 0 -2 0): singular values 3, 2.
    const double a[6] = {3, 0, 0, 0, -2, 0};
    double sv[2];
    ck_assert_int_eq(ws_singular_values(&ctx, a, 2, 3, sv), WS_OK);
    ck_assert_double_eq_tol(sv[0], 3, 1e-12);
    ck_assert_double_eq_tol(sv[1], 2, 1e-12);
    // The input is left as it was (dgesdd overwrites its own copy).
    ck_assert_double_eq(a[4], -2);
}
END_TEST

START_TEST(srank_of_a_rank_two_feature_matrix_is_two) {
    // Five examples' features in R^4 spanned by two directions.
    const double u[4] = {1, 2, 0, -1}, v[4] = {0, 1, 3, 1}, c[5][2] = {{1, 0}, {0, 1}, {1, 1}, {2, -1}, {-1, 3}};
    double f[5 * 4], sv[4];
    for (int e = 0; e < 5; e++)
        for (int k = 0; k < 4; k++) f[e * 4 + k] = c[e][0] * u[k] + c[e][1] * v[k];
    ck_assert_int_eq(ws_singular_values(&ctx, f, 5, 4, sv), WS_OK);
    ck_assert_int_eq(ws_srank(sv, 4, 0.01), 2);
    ck_assert_double_lt(ws_effective_rank(sv, 4), 2.0 + 1e-9);
    ck_assert_double_gt(ws_effective_rank(sv, 4), 1.0);
}
END_TEST

START_TEST(srank_and_effective_rank_on_known_spectra) {
    const double flat[4] = {1, 1, 1, 1}, one[3] = {5, 0, 0}, zero[2] = {0, 0};
    ck_assert_int_eq(ws_srank(flat, 4, 0.01), 4);
    ck_assert_double_eq_tol(ws_effective_rank(flat, 4), 4, 1e-12);
    ck_assert_int_eq(ws_srank(one, 3, 0.01), 1);
    ck_assert_double_eq_tol(ws_effective_rank(one, 3), 1, 1e-12);
    // 100 / 100.5 = 0.995 >= 0.99: one direction is enough at delta 0.01, not at 0.001.
    const double skew[2] = {100, 0.5};
    ck_assert_int_eq(ws_srank(skew, 2, 0.01), 1);
    ck_assert_int_eq(ws_srank(skew, 2, 0.001), 2);
    // (1/2, 1/4, 1/4): entropy 1.5 log 2, effective rank 2^1.5.
    const double half[3] = {2, 1, 1};
    ck_assert_double_eq_tol(ws_effective_rank(half, 3), pow(2, 1.5), 1e-12);
    ck_assert_int_eq(ws_srank(zero, 2, 0.01), 0);
    ck_assert_double_eq(ws_effective_rank(zero, 2), 0);
}
END_TEST

START_TEST(stable_rank_of_the_identity_is_n) {
    enum { N = 5 };
    double a[N * N] = {0}, sv[N];
    for (int i = 0; i < N; i++) a[i * N + i] = 1;
    ck_assert_int_eq(ws_singular_values(&ctx, a, N, N, sv), WS_OK);
    ck_assert_double_eq_tol(ws_stable_rank(sv, N), N, 1e-12);
    // Rank one: stable rank 1; (3, 4) spectrum: (9 + 16) / 16.
    const double r1[3] = {7, 0, 0}, s34[2] = {4, 3};
    ck_assert_double_eq_tol(ws_stable_rank(r1, 3), 1, 1e-12);
    ck_assert_double_eq_tol(ws_stable_rank(s34, 2), 25.0 / 16.0, 1e-12);
    ck_assert_double_eq(ws_stable_rank((const double[]){0, 0}, 2), 0);
}
END_TEST

START_TEST(redo_dormant_fractions) {
    // A unit that is always zero is 0-dormant; the others are not.
    const double with_dead[4] = {0, 1, 1, 1};
    ck_assert_double_eq(ws_redo_dormant_fraction(with_dead, 4, 0.0), 0.25);
    // Equal |h| everywhere: every score is 1 (less the epsilon's share), none is 0.1-dormant.
    const double equal[4] = {2, 2, 2, 2};
    ck_assert_double_eq(ws_redo_dormant_fraction(equal, 4, 0.1), 0);
    ck_assert_double_eq(ws_redo_dormant_fraction(equal, 4, 0.0), 0);
    // 0.01 against a mean of 0.7525: score 0.0133, dormant at 0.025 and 0.1, not at 0.
    const double weak[4] = {0.01, 1, 1, 1};
    ck_assert_double_eq(ws_redo_dormant_fraction(weak, 4, 0.0), 0);
    ck_assert_double_eq(ws_redo_dormant_fraction(weak, 4, 0.025), 0.25);
    ck_assert_double_eq(ws_redo_dormant_fraction(weak, 4, 0.1), 0.25);
    // Score exactly tau counts (<=): (1, 3) has mean 2, scores 0.5 and 1.5 (epsilon aside).
    const double two[2] = {1, 3};
    ck_assert_double_eq(ws_redo_dormant_fraction(two, 2, 0.5), 0.5);
    // A layer all zero: every unit dormant (the epsilon keeps 0/0 away).
    const double dead[3] = {0, 0, 0};
    ck_assert_double_eq(ws_redo_dormant_fraction(dead, 3, 0.0), 1);
}
END_TEST

START_TEST(dohare_dormant_fraction_is_strictly_below_one_percent) {
    // Active on 0, 1, 50 and 100 of 100 outputs: only the first is below 1 %.
    const int64_t active[4] = {0, 1, 50, 100};
    ck_assert_double_eq(ws_dohare_dormant_fraction(active, 4, 100, 0.01), 0.25);
    const int64_t rare[2] = {0, 0};
    ck_assert_double_eq(ws_dohare_dormant_fraction(rare, 2, 1000, 0.01), 1);
}
END_TEST

// ---- on models ----

enum { IN = 6, NC = 3 };

static ws_model *mlp(int plan_batch) {
    ws_model_spec spec = {.kind = WS_MODEL_MLP, .input = {IN, 1, 1}, .num_classes = NC, .nhidden = 2, .hidden = {8, 5}};
    ws_model *m = NULL;
    ck_assert_int_eq(ws_model_create(&ctx, &m, &spec), WS_OK);
    ck_assert_int_eq(ws_model_plan(&ctx, m, plan_batch), WS_OK);
    ws_rng r = ws_rng_stream(11, "init", 0);
    ws_model_init(m, &r);
    return m;
}

static ws_model *resnet(int plan_batch) {
    ws_model_spec spec = {.kind = WS_MODEL_RESNET18, .input = {3, 8, 8}, .num_classes = NC, .width = 4};
    ws_model *m = NULL;
    ck_assert_int_eq(ws_model_create(&ctx, &m, &spec), WS_OK);
    ck_assert_int_eq(ws_model_plan(&ctx, m, plan_batch), WS_OK);
    ws_rng r = ws_rng_stream(12, "init", 0);
    ws_model_init(m, &r);
    return m;
}

static void fill_probe(float *x, int32_t *y, int B, int64_t in, uint64_t seed) {
    ws_rng r = ws_rng_stream(seed, "probe", 0);
    for (int64_t i = 0; i < (int64_t)B * in; i++) x[i] = ws_rng_normal(&r);
    for (int e = 0; e < B; e++) y[e] = (int32_t)ws_rng_below(&r, NC);
}

START_TEST(mlp_measures_dead_unit_and_distance_from_init) {
    enum { B = 12 };
    ws_model *m = mlp(B);
    // Unit 2 of lm1 can never fire: zero weights, negative bias.
    const ws_param *w1 = ws_model_param(m, "lm1.weight"), *b1 = ws_model_param(m, "lm1.bias");
    for (int k = 0; k < IN; k++) m->w[w1->offset + 2 * IN + k] = 0;
    m->w[b1->offset + 2] = -1;
    float *w0 = malloc(sizeof(float) * (size_t)m->nweights), x[B * IN];
    int32_t y[B];
    memcpy(w0, m->w, sizeof(float) * (size_t)m->nweights);
    fill_probe(x, y, B, IN, 1);
    ws_inside in;
    ck_assert_int_eq(ws_inside_measure(&ctx, m, w0, x, y, B, NULL, &in), WS_OK);
    ck_assert_int_eq(in.probe_examples, B);
    ck_assert_int_eq(in.nlayers, 2);
    ck_assert_str_eq(in.layers[0].name, "relu1");
    ck_assert_str_eq(in.layers[1].name, "relu2");
    ck_assert_int_eq(in.layers[0].units, 8);
    ck_assert_int_eq(in.layers[0].positions, 1);
    ck_assert_double_ge(in.layers[0].redo_dormant[0], 1.0 / 8);
    ck_assert_double_ge(in.layers[0].dohare_dormant, 1.0 / 8);
    ck_assert_double_le(in.layers[0].active_fraction, 7.0 / 8);
    ck_assert_double_gt(in.layers[0].active_fraction, 0);
    // Right after the initialisation the distance from it is zero.
    ck_assert_double_eq(in.param_dist_init, 0);
    ck_assert_double_gt(in.param_norm, 0);
    ck_assert_double_gt(in.grad_norm, 0);
    ck_assert_int_eq(in.feature_dim, 5);
    ck_assert_int_ge(in.feature_srank, 1);
    ck_assert_int_le(in.feature_srank, 5);
    ck_assert_int_eq(in.nmatrices, 3);
    ck_assert_str_eq(in.matrices[0].name, "lm1.weight");
    ck_assert_int_eq(in.matrices[0].rows, 8);
    ck_assert_int_eq(in.matrices[0].cols, IN);
    ck_assert_double_ge(in.matrices[0].stable_rank, 1);
    // Moved weights are some distance away; no initialisation given: NAN.
    m->w[0] += 3, m->w[1] -= 4;
    ck_assert_int_eq(ws_inside_measure(&ctx, m, w0, x, y, B, NULL, &in), WS_OK);
    ck_assert_double_eq_tol(in.param_dist_init, 5, 1e-6);
    ck_assert_int_eq(ws_inside_measure(&ctx, m, NULL, x, y, B, NULL, &in), WS_OK);
    ck_assert(isnan(in.param_dist_init));
    free(w0);
    ws_model_free(m);
}
END_TEST

// Gradient norm by hand for a one-chunk probe: the same forward and backward in the test.
START_TEST(mlp_grad_norm_is_the_mean_loss_gradient) {
    enum { B = 7 };
    ws_model *m = mlp(B);
    float x[B * IN];
    int32_t y[B];
    fill_probe(x, y, B, IN, 2);
    ws_model_forward(&ctx, m, x, B, 1);
    ws_model_loss(&ctx, m, y, B, NULL);
    ws_model_zero_grad(m);
    ws_model_backward(&ctx, m, y, B);
    double s = 0;
    for (int64_t i = 0; i < m->nweights; i++) s += (double)m->g[i] * m->g[i];
    ws_inside in;
    ck_assert_int_eq(ws_inside_measure(&ctx, m, NULL, x, y, B, NULL, &in), WS_OK);
    ck_assert_double_eq_tol(in.grad_norm, sqrt(s), 1e-12 * sqrt(s));
    ws_model_free(m);
}
END_TEST

// Train two copies of a model the same way, one measured between every two steps; weights,
// gradients, buffers and optimizer state must come out bit for bit the same.
static void train_with_and_without_probe(ws_model *a, ws_model *b, int B, int steps) {
    const int64_t in = ws_shape_numel(a->spec.input);
    const int P = 3 * B + 1; // a probe larger than the training batch: measured in chunks
    float *x = malloc(sizeof(float) * (size_t)(B + P) * (size_t)in), *w0 = malloc(sizeof(float) * (size_t)a->nweights);
    int32_t *y = malloc(sizeof(int32_t) * (size_t)(B + P));
    memcpy(w0, a->w, sizeof(float) * (size_t)a->nweights);
    ws_opt_config oc = ws_opt_defaults(WS_OPT_SGD, 0.05f);
    oc.momentum = 0.9f;
    ws_optim oa, ob;
    ck_assert_int_eq(ws_optim_create(&ctx, &oa, &oc, a->nweights), WS_OK);
    ck_assert_int_eq(ws_optim_create(&ctx, &ob, &oc, b->nweights), WS_OK);
    ws_model *both[2] = {a, b};
    ws_optim *opts[2] = {&oa, &ob};
    int measured = 0;
    for (int s = 0; s < steps; s++) {
        fill_probe(x, y, B + P, in, 100 + (uint64_t)s); // each step its own batch; the probe after it
        for (int k = 0; k < 2; k++) {
            ws_model *m = both[k];
            if (k == 0) {
                ws_inside rec;
                ck_assert_int_eq(ws_inside_measure(&ctx, m, w0, x + (int64_t)B * in, y + B, P, NULL, &rec), WS_OK);
                measured += rec.probe_examples == P;
            }
            ws_model_forward(&ctx, m, x, B, 1);
            ws_model_loss(&ctx, m, y, B, NULL);
            ws_model_zero_grad(m);
            ws_model_backward(&ctx, m, y, B);
            ws_optim_step(opts[k], m->w, m->g);
            ck_assert_int_eq(ctx.fault, WS_OK);
        }
        // The step after a measurement: the gradient arena too (what the optimizer saw).
        ck_assert_mem_eq(a->g, b->g, sizeof(float) * (size_t)a->nweights);
    }
    // And a measurement right after a step leaves that step's gradient where it was.
    float *g = malloc(sizeof(float) * (size_t)a->nweights);
    memcpy(g, a->g, sizeof(float) * (size_t)a->nweights);
    ws_inside rec;
    ck_assert_int_eq(ws_inside_measure(&ctx, a, w0, x + (int64_t)B * in, y + B, P, NULL, &rec), WS_OK);
    ck_assert_mem_eq(a->g, g, sizeof(float) * (size_t)a->nweights);
    ck_assert_int_eq(measured, steps);
    ck_assert_mem_eq(a->w, b->w, sizeof(float) * (size_t)a->nweights);
    ck_assert_mem_eq(oa.buf1, ob.buf1, sizeof(float) * (size_t)a->nweights);
    if (a->nbuf) ck_assert_mem_eq(a->buf, b->buf, sizeof(float) * (size_t)a->nbuf);
    if (a->nibuf) ck_assert_mem_eq(a->ibuf, b->ibuf, sizeof(int64_t) * (size_t)a->nibuf);
    // The weights did move (a test of training that trains nothing proves nothing).
    ck_assert_mem_ne(a->w, w0, sizeof(float) * (size_t)a->nweights);
    ws_optim_free(&oa), ws_optim_free(&ob);
    free(x), free(y), free(w0), free(g);
}

START_TEST(mlp_training_is_unchanged_by_measurements) {
    ws_model *a = mlp(4), *b = mlp(4);
    train_with_and_without_probe(a, b, 4, 5);
    ws_model_free(a), ws_model_free(b);
}
END_TEST

START_TEST(resnet_training_and_batchnorm_statistics_unchanged_by_measurements) {
    ws_model *a = resnet(4), *b = resnet(4);
    train_with_and_without_probe(a, b, 4, 3);
    ck_assert_int_eq(a->ibuf[0], 3); // num_batches_tracked counts the training steps only
    ws_model_free(a), ws_model_free(b);
}
END_TEST

static void check_close(double a, double b, double rel) { ck_assert_double_le(fabs(a - b), rel * fmax(fabs(b), 1e-30)); }

START_TEST(chunked_probe_equals_whole_probe) {
    enum { B = 10 };
    ws_model *m = mlp(B);
    float x[B * IN];
    int32_t y[B];
    fill_probe(x, y, B, IN, 3);
    ws_inside whole, chunked;
    ck_assert_int_eq(ws_inside_measure(&ctx, m, NULL, x, y, B, &(ws_inside_opts){.chunk = B}, &whole), WS_OK);
    ck_assert_int_eq(ws_inside_measure(&ctx, m, NULL, x, y, B, &(ws_inside_opts){.chunk = 3}, &chunked), WS_OK);
    ck_assert_int_eq(whole.nlayers, chunked.nlayers);
    for (int l = 0; l < whole.nlayers; l++) {
        for (int t = 0; t < WS_INSIDE_NTAU; t++)
            ck_assert_double_eq(whole.layers[l].redo_dormant[t], chunked.layers[l].redo_dormant[t]);
        ck_assert_double_eq(whole.layers[l].dohare_dormant, chunked.layers[l].dohare_dormant);
        ck_assert_double_eq(whole.layers[l].active_fraction, chunked.layers[l].active_fraction);
    }
    ck_assert_int_eq(whole.feature_srank, chunked.feature_srank);
    check_close(chunked.feature_effective_rank, whole.feature_effective_rank, 1e-9);
    check_close(chunked.grad_norm, whole.grad_norm, 1e-5); // float sums of differently cut batches
    ck_assert_double_eq(chunked.param_norm, whole.param_norm);
    ws_model_free(m);
}
END_TEST

START_TEST(resnet_probe_larger_than_the_plan_keeps_the_plan) {
    enum { PLAN = 4, B = 13 };
    ws_model *m = resnet(PLAN);
    const int64_t act = m->act_cap, dact = m->dact_cap, in = ws_shape_numel(m->spec.input);
    float *x = malloc(sizeof(float) * B * (size_t)in);
    int32_t y[B];
    fill_probe(x, y, B, in, 4);
    ws_inside r;
    ck_assert_int_eq(ws_inside_measure(&ctx, m, NULL, x, y, B, NULL, &r), WS_OK);
    ck_assert_int_eq(m->planned_batch, PLAN);
    ck_assert_int_eq(m->act_cap, act);
    ck_assert_int_eq(m->dact_cap, dact);
    // Hidden layers: the stem and the eight blocks, channels as units.
    ck_assert_int_eq(r.nlayers, 9);
    ck_assert_str_eq(r.layers[0].name, "conv1");
    ck_assert_int_eq(r.layers[0].units, 4);
    ck_assert_int_eq(r.layers[0].positions, 64);
    ck_assert_str_eq(r.layers[8].name, "layer4.1");
    ck_assert_int_eq(r.layers[8].units, 32);
    ck_assert_int_eq(r.feature_dim, 32);
    // conv1.weight (4,3,3,3) as 4 x 27.
    ck_assert_str_eq(r.matrices[0].name, "conv1.weight");
    ck_assert_int_eq(r.matrices[0].rows, 4);
    ck_assert_int_eq(r.matrices[0].cols, 27);
    free(x);
    ws_model_free(m);
}
END_TEST

static void same_double(double a, double b) {
    if (isnan(b)) ck_assert(isnan(a));
    else ck_assert_mem_eq(&a, &b, sizeof a); // bit for bit
}

static void check_round_trip(const ws_inside *in) {
    cJSON *j = ws_inside_to_json(in);
    ck_assert_ptr_nonnull(j);
    char *text = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    cJSON *back = cJSON_Parse(text);
    free(text);
    ws_inside out;
    ck_assert_int_eq(ws_inside_from_json(&ctx, back, &out), WS_OK);
    cJSON_Delete(back);
    ck_assert_int_eq(out.probe_examples, in->probe_examples);
    ck_assert_int_eq(out.nlayers, in->nlayers);
    for (int l = 0; l < in->nlayers; l++) {
        const ws_inside_layer *a = &out.layers[l], *b = &in->layers[l];
        ck_assert_str_eq(a->name, b->name);
        ck_assert_int_eq(a->units, b->units);
        ck_assert_int_eq(a->positions, b->positions);
        for (int t = 0; t < WS_INSIDE_NTAU; t++) same_double(a->redo_dormant[t], b->redo_dormant[t]);
        same_double(a->dohare_dormant, b->dohare_dormant);
        same_double(a->active_fraction, b->active_fraction);
    }
    ck_assert_int_eq(out.feature_dim, in->feature_dim);
    ck_assert_int_eq(out.feature_srank, in->feature_srank);
    same_double(out.feature_effective_rank, in->feature_effective_rank);
    ck_assert_int_eq(out.nmatrices, in->nmatrices);
    for (int w = 0; w < in->nmatrices; w++) {
        ck_assert_str_eq(out.matrices[w].name, in->matrices[w].name);
        ck_assert_int_eq(out.matrices[w].rows, in->matrices[w].rows);
        ck_assert_int_eq(out.matrices[w].cols, in->matrices[w].cols);
        same_double(out.matrices[w].stable_rank, in->matrices[w].stable_rank);
    }
    same_double(out.param_mean_abs, in->param_mean_abs);
    same_double(out.param_norm, in->param_norm);
    same_double(out.param_dist_init, in->param_dist_init);
    same_double(out.grad_norm, in->grad_norm);
}

START_TEST(json_round_trips_exactly) {
    ws_model *m = resnet(4);
    const int64_t in = ws_shape_numel(m->spec.input);
    float *x = malloc(sizeof(float) * 6 * (size_t)in), *w0 = malloc(sizeof(float) * (size_t)m->nweights);
    int32_t y[6];
    fill_probe(x, y, 6, in, 5);
    for (int64_t i = 0; i < m->nweights; i++) w0[i] = m->w[i] * 0.75f; // a distance with many digits
    ws_inside r;
    ck_assert_int_eq(ws_inside_measure(&ctx, m, w0, x, y, 6, NULL, &r), WS_OK);
    r.grad_norm = 0.1 + 0.2; // needs 17 digits to read back
    check_round_trip(&r);
    r.param_dist_init = NAN; // no initialisation given: left out, read back as NAN
    check_round_trip(&r);
    // A record missing a field is refused, naming it.
    ws_inside out;
    cJSON *written = ws_inside_to_json(&r);
    char *text = cJSON_PrintUnformatted(written);
    cJSON *j = cJSON_Parse(text);
    free(text);
    cJSON_Delete(written);
    ck_assert_int_eq(ws_inside_from_json(&ctx, j, &out), WS_OK);
    cJSON_DeleteItemFromObject(j, "grad_norm");
    ck_assert_int_eq(ws_inside_from_json(&ctx, j, &out), WS_ERR_FORMAT);
    ck_assert_ptr_nonnull(strstr(ctx.err, "grad_norm"));
    cJSON_Delete(j);
    free(x), free(w0);
    ws_model_free(m);
}
END_TEST

Suite *inside_suite(void) {
    Suite *s = suite_create("inside");
    TCase *f = tcase_create("formulas");
    tcase_add_checked_fixture(f, setup, teardown);
    tcase_add_test(f, singular_values_of_known_matrices);
    tcase_add_test(f, srank_of_a_rank_two_feature_matrix_is_two);
    tcase_add_test(f, srank_and_effective_rank_on_known_spectra);
    tcase_add_test(f, stable_rank_of_the_identity_is_n);
    tcase_add_test(f, redo_dormant_fractions);
    tcase_add_test(f, dohare_dormant_fraction_is_strictly_below_one_percent);
    suite_add_tcase(s, f);
    TCase *m = tcase_create("models");
    tcase_add_checked_fixture(m, setup, teardown);
    tcase_set_timeout(m, 120);
    tcase_add_test(m, mlp_measures_dead_unit_and_distance_from_init);
    tcase_add_test(m, mlp_grad_norm_is_the_mean_loss_gradient);
    tcase_add_test(m, mlp_training_is_unchanged_by_measurements);
    tcase_add_test(m, resnet_training_and_batchnorm_statistics_unchanged_by_measurements);
    tcase_add_test(m, chunked_probe_equals_whole_probe);
    tcase_add_test(m, resnet_probe_larger_than_the_plan_keeps_the_plan);
    tcase_add_test(m, json_round_trips_exactly);
    suite_add_tcase(s, m);
    return s;
}
