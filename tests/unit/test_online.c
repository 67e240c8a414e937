// The online scenario's pieces: the round schedule (no example seen twice,
// none lost, the pool used exactly), the weight-similarity metrics against
// direct computation on small known vectors, the gradient norm against the
// closed form of logistic regression (and leaving the model as it was), a
// small end-to-end run checked for structure; the model options every scenario
// shares (--activation, --no-bias) resolved, refused and recorded.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/version.h"
#include "exp/online.h"
#include "exp/options.h"
#include "exp/sweep.h"
#include "exp/table.h"
#include "exp/transfer.h"
#include "suites.h"

static ws_ctx ctx;
static void setup(void) { ws_ctx_init(&ctx, 2); }
static void teardown(void) { ws_ctx_release(&ctx); }

START_TEST(schedule) {
    int64_t s[16];
    ck_assert_int_eq(ws_online_schedule(5000, 1000, 1000, 0, s, 16), 5);
    ck_assert_int_eq(s[0], 1000);
    ck_assert_int_eq(s[4], 5000);
    // A last partial round takes what is left: the pool is used exactly.
    ck_assert_int_eq(ws_online_schedule(4500, 1000, 1000, 0, s, 16), 5);
    ck_assert_int_eq(s[3], 4000);
    ck_assert_int_eq(s[4], 4500);
    // --rounds caps; k0 = pool is one round; impossible settings give 0.
    ck_assert_int_eq(ws_online_schedule(4500, 1000, 1000, 2, s, 16), 2);
    ck_assert_int_eq(s[1], 2000);
    ck_assert_int_eq(ws_online_schedule(100, 100, 7, 0, s, 16), 1);
    ck_assert_int_eq(ws_online_schedule(100, 101, 7, 0, NULL, 0), 0);
    ck_assert_int_eq(ws_online_schedule(100, 10, 0, 0, NULL, 0), 0);
    // Strictly increasing: no round repeats the last one's examples only.
    int n = ws_online_schedule(1003, 10, 99, 0, s, 16);
    for (int i = 1; i < n; i++) ck_assert_int_gt(s[i], s[i - 1]);
    ck_assert_int_eq(s[n - 1], 1003);
}
END_TEST

START_TEST(similarity_known_vectors) {
    const float a[4] = {1, 2, 3, 4}, b[4] = {2, 4, 6, 8}, c[4] = {4, 3, 2, 1}, z[4] = {0, 0, 0, 0};
    ws_similarity s = ws_similarity_of(a, b, 4);
    ck_assert_double_eq_tol(s.pearson, 1.0, 1e-12);
    ck_assert_double_eq_tol(s.cosine, 1.0, 1e-12);
    ck_assert_double_eq_tol(s.l2, sqrt(30.0), 1e-12); // |a| = sqrt(30)
    s = ws_similarity_of(a, c, 4);
    ck_assert_double_eq_tol(s.pearson, -1.0, 1e-12);
    ck_assert_double_eq_tol(s.cosine, 20.0 / 30.0, 1e-12); // 4+6+6+4 over 30
    ck_assert_double_eq_tol(s.l2, sqrt(9 + 1 + 1 + 9.0), 1e-12);
    ck_assert_double_eq_tol(s.spearman, -1.0, 1e-12);
    s = ws_similarity_of(a, z, 4); // a zero vector: no direction, no correlation
    ck_assert_double_eq(s.pearson, 0);
    ck_assert_double_eq(s.cosine, 0);
    ck_assert_double_eq(s.spearman, 0);
    ck_assert_double_eq_tol(s.l2, sqrt(30.0), 1e-12);
    // Spearman: monotone but not linear is 1 (Pearson is not); ties share their mean rank, by
    // hand: ranks (1..5) and (1, 2, 3.5, 5, 3.5): covariance 8, variances 10 and 9.5.
    const float m1[3] = {1, 2, 3}, m2[3] = {1, 10, 100}, t1[5] = {1, 2, 3, 4, 5}, t2[5] = {5, 6, 7, 8, 7};
    s = ws_similarity_of(m1, m2, 3);
    ck_assert_double_eq_tol(s.spearman, 1.0, 1e-12);
    ck_assert_double_lt(s.pearson, 0.95);
    ck_assert_double_eq_tol(ws_spearman(t1, t2, 5), 8 / sqrt(95.0), 1e-12);
    // Its record: written when computed, read back; older records without it read as NAN.
    cJSON *j = ws_similarity_json(&s);
    ws_similarity back;
    ck_assert(ws_similarity_from_json(j, &back));
    ck_assert_double_eq(back.spearman, s.spearman);
    cJSON_DeleteItemFromObject(j, "spearman");
    ck_assert(ws_similarity_from_json(j, &back));
    ck_assert(isnan(back.spearman));
    cJSON_Delete(j);
}
END_TEST

static ws_model *small_mlp(void) {
    ws_model_spec spec = {.kind = WS_MODEL_MLP, .input = {6, 1, 1}, .num_classes = 3, .nhidden = 1, .hidden = {4}};
    ws_model *m;
    ck_assert_int_eq(ws_model_create(&ctx, &m, &spec), WS_OK);
    ws_rng r = ws_rng_stream(1, "init", 0);
    ws_model_init(m, &r);
    return m;
}

START_TEST(similarity_per_layer) {
    ws_model *m = small_mlp();
    float *b = malloc(sizeof(float) * (size_t)m->nweights);
    for (int64_t i = 0; i < m->nweights; i++) b[i] = m->w[i];
    const ws_param *p = ws_model_param(m, "lm2.bias");
    b[p->offset] += 1.0f; // only lm2 moves
    char names[8][64];
    ws_similarity s[8];
    int n = ws_similarity_per_layer(m, m->w, b, names, s, 8);
    ck_assert_int_eq(n, 2);
    ck_assert_str_eq(names[0], "lm1");
    ck_assert_str_eq(names[1], "lm2");
    ck_assert_double_eq(s[0].l2, 0);
    ck_assert_double_eq_tol(s[1].l2, 1.0, 1e-6);
    ck_assert_double_eq_tol(ws_similarity_of(m->w, b, m->nweights).l2, 1.0, 1e-6);
    free(b);
    ws_model_free(m);
}
END_TEST

START_TEST(grad_norm_matches_closed_form) {
    // Logistic regression: dL/dW = (1/N) sum_i (p_i - onehot_i) x_i^T, dL/db = (1/N) sum_i (p_i - onehot_i).
    enum { N = 37, D = 5, K = 3 };
    static uint8_t px[N * D];
    static int32_t lab[N], idx[N];
    ws_rng r = ws_rng_stream(3, "test-gradnorm", 0);
    for (int i = 0; i < N * D; i++) px[i] = (uint8_t)ws_rng_below(&r, 256);
    for (int i = 0; i < N; i++) lab[i] = i % K, idx[i] = (i * 7) % N;
    ws_dataset d = {.n = N, .c = 1, .h = 1, .w = D, .num_classes = K, .x = px, .y = lab};
    ws_norm nm;
    ws_norm_paper(&nm, 1);
    ws_model_spec spec = {.kind = WS_MODEL_LOGREG, .input = {1, 1, D}, .num_classes = K};
    ws_model *m;
    ck_assert_int_eq(ws_model_create(&ctx, &m, &spec), WS_OK);
    ws_rng ir = ws_rng_stream(3, "init", 0);
    ws_model_init(m, &ir);
    float *w0 = malloc(sizeof(float) * (size_t)m->nweights), *scratch = malloc(sizeof(float) * (size_t)m->nweights);
    memcpy(w0, m->w, sizeof(float) * (size_t)m->nweights);
    double got;
    ck_assert_int_eq(ws_grad_norm(&ctx, m, &d, &nm, idx, N, 8, scratch, &got), WS_OK); // batches of 8: 5 batches
    const float *W = m->w + ws_model_param(m, "linear.weight")->offset, *bb = m->w + ws_model_param(m, "linear.bias")->offset;
    double gW[K][D] = {{0}}, gb[K] = {0};
    for (int i = 0; i < N; i++) {
        double x[D], g[K];
        for (int j = 0; j < D; j++) x[j] = (px[idx[i] * D + j] / 255.0 - 0.5) / 0.5;
        test_logreg_residual(W, bb, x, D, K, lab[idx[i]], g);
        for (int k = 0; k < K; k++) {
            gb[k] += g[k] / N;
            for (int j = 0; j < D; j++) gW[k][j] += g[k] * x[j] / N;
        }
    }
    double want = 0;
    for (int k = 0; k < K; k++) {
        want += gb[k] * gb[k];
        for (int j = 0; j < D; j++) want += gW[k][j] * gW[k][j];
    }
    want = sqrt(want);
    ck_assert_double_eq_tol(got, want, 1e-5 * want);
    ck_assert_int_eq(memcmp(w0, m->w, sizeof(float) * (size_t)m->nweights), 0); // weights untouched
    free(w0), free(scratch);
    ws_model_free(m);
}
END_TEST

START_TEST(pick_smallest) {
    int32_t idx[6] = {10, 11, 12, 13, 14, 15};
    const float score[6] = {0.5f, 0.1f, 0.9f, 0.1f, 0.0f, 0.7f};
    ws_pick_smallest(idx, score, 6, 3);
    // the three smallest ascending (tie 0.1 at positions 1 and 3: the earlier first), then the rest in order
    const int32_t want[6] = {14, 11, 13, 10, 12, 15};
    for (int i = 0; i < 6; i++) ck_assert_int_eq(idx[i], want[i]);
}
END_TEST

START_TEST(margin_sampling_constructed) {
    // Logistic regression on one pixel, 2 classes, logits (w x, 0): the margin |sigmoid(w x) - 1/2| * 2
    // grows with |x|: the pixels closest to x = 0 (byte 128 under the paper's normalisation) are picked.
    enum { N = 6 };
    static uint8_t px[N] = {250, 131, 10, 126, 128, 200};
    static int32_t lab[N] = {0, 1, 0, 1, 0, 1}, idx[N] = {0, 1, 2, 3, 4, 5};
    ws_dataset d = {.n = N, .c = 1, .h = 1, .w = 1, .num_classes = 2, .x = px, .y = lab};
    ws_norm nm;
    ws_norm_paper(&nm, 1);
    ws_model_spec spec = {.kind = WS_MODEL_LOGREG, .input = {1, 1, 1}, .num_classes = 2};
    ws_model *m;
    ck_assert_int_eq(ws_model_create(&ctx, &m, &spec), WS_OK);
    m->w[ws_model_param(m, "linear.weight")->offset] = 3.0f; // class 0 logit 3x; class 1 logit 0
    float mg[N];
    ck_assert_int_eq(ws_margins(&ctx, m, &d, &nm, idx, N, 4, mg), WS_OK);
    for (int i = 0; i < N; i++) {
        double x = (px[i] / 255.0 - 0.5) / 0.5, p0 = 1 / (1 + exp(-3 * x));
        ck_assert_double_eq_tol(mg[i], fabs(2 * p0 - 1), 1e-5);
    }
    ws_pick_smallest(idx, mg, N, 2);
    ck_assert_int_eq(idx[0], 4); // byte 128: x = 0.0039
    ck_assert_int_eq(idx[1], 3); // byte 126
    ws_model_free(m);
}
END_TEST

START_TEST(online_end_to_end) {
    ws_source src;
    if (ws_source_load(&ctx, &src, "fashion-mnist", NULL)) {
        fprintf(stderr, "# skipped online_end_to_end: %s\n", ctx.err);
        return;
    }
    ws_online_config cfg;
    ws_online_config_defaults(&cfg);
    cfg.base.model = WS_MODEL_LOGREG;
    cfg.base.subset = 700;
    cfg.base.eval_subset = 500;
    cfg.base.max_epochs = 3;
    cfg.k0 = 300, cfg.k = 250; // rounds of 300, 550, 700
    ws_online_seed_result r;
    ck_assert_int_eq(ws_online_run_seed(&ctx, &cfg, &src, 0, NULL, NULL, &r), WS_OK);
    ck_assert_int_eq(r.nrounds, 3);
    ck_assert_int_eq(r.nlearners, 2);
    int64_t total_new = 0;
    for (int k = 0; k < 3; k++) total_new += r.rounds[k].n_new;
    ck_assert_int_eq(total_new, 700); // every pool example arrives exactly once
    ck_assert_int_eq(r.rounds[2].n_seen, 700);
    // Round 0: both learners from the same initialisation on the same batches: identical.
    ck_assert_double_eq(r.rounds[0].test_acc, r.rounds[3].test_acc);
    ck_assert_double_eq(r.rounds[0].grad_old, 0);
    ck_assert_double_gt(r.rounds[1].grad_old, 0);
    ck_assert_double_gt(r.rounds[1].grad_old_epoch1, 0);
    ck_assert_double_gt(r.rounds[0].grad_new_epoch1, 0);
    ck_assert_double_eq(r.rounds[0].grad_old_epoch1, 0); // nothing old at round 0
    // warm starts round 1 where round 0 ended; random starts from a new init.
    ck_assert_double_lt(r.rounds[1].to_start.l2, r.rounds[1].to_init.l2 + 1e-9);
    ck_assert_double_eq_tol(r.rounds[4].to_start.l2, r.rounds[4].to_init.l2, 1e-9);
    ck_assert_int_eq(r.rounds[0].nlayers, 1);
    ck_assert_double_ge(r.rounds[2].cum_seconds, r.rounds[1].cum_seconds);
    cJSON *j = ws_online_seed_json(&r);
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "learners"), "warm")), 3);
    cJSON_Delete(j);
    ws_online_seed_result_free(&r);
    // Active: each learner's new examples are its own; each round's class counts add up.
    cfg.query = WS_QUERY_MARGIN;
    ck_assert_int_eq(ws_online_run_seed(&ctx, &cfg, &src, 0, NULL, NULL, &r), WS_OK);
    for (int q = 0; q < r.nrounds * r.nlearners; q++) {
        int64_t sum = 0;
        for (int c = 0; c < WS_MAX_HIST_CLASSES; c++) sum += r.rounds[q].new_per_class[c];
        ck_assert_int_eq(sum, r.rounds[q].n_new);
    }
    ck_assert_double_eq(r.rounds[0].test_acc, r.rounds[3].test_acc); // round 0 is not queried
    ws_online_seed_result_free(&r);
    ws_source_free(&src);
}
END_TEST


START_TEST(sweep_reduction) {
    // Pareto: (acc, seconds) -- 0 (0.9, 10) front; 1 (0.8, 5) front; 2 (0.8, 6) dominated by 1;
    // 3 (0.9, 10) ties 0: neither dominates; 4 (0.95, 20) front.
    const double acc[5] = {0.9, 0.8, 0.8, 0.9, 0.95}, secs[5] = {10, 5, 6, 10, 20};
    uint8_t front[5];
    ws_pareto(acc, secs, 5, front);
    const uint8_t want[5] = {1, 1, 0, 1, 1};
    ck_assert_int_eq(memcmp(front, want, 5), 0);
    // A batch result (phase 1 left out) and an online one (the last round's accuracy, summed
    // seconds), read through the results table (exp/table.h) and reduced per learner.
#define CFG ",\"config\":{\"experiment\":\"batch\"}}\n"
    const char *batch = "{\"seed\":1,\"runs\":{\"phase1\":{\"test_acc\":0.5,\"seconds\":9,\"epochs\":9,\"converged\":true},"
                        "\"warm\":{\"test_acc\":0.8,\"seconds\":2,\"epochs\":4,\"converged\":true},"
                        "\"ewc:lambda=1\":{\"test_acc\":0.7,\"seconds\":3,\"epochs\":5,\"converged\":false}}" CFG
                        "{\"seed\":2,\"runs\":{\"warm\":{\"test_acc\":0.6,\"seconds\":4,\"epochs\":6,\"converged\":true},"
                        "\"ewc:lambda=1\":{\"test_acc\":0.9,\"seconds\":1,\"epochs\":2,\"converged\":true}}" CFG;
    ws_sweep_point p;
    ws_table *t;
    ck_assert_int_eq(ws_table_read(&ctx, test_write_file("batch.jsonl", batch, strlen(batch)), &t), WS_OK);
    ws_sweep_cells(t, &t->points[0], &p);
    ws_table_free(t);
    ck_assert_int_eq(p.ncells, 2);
    ck_assert_str_eq(p.cells[1].learner, "ewc:lambda=1");
    ck_assert_int_eq(p.cells[1].n, 2);
    ck_assert_double_eq(p.cells[1].acc[1], 0.9);
    ck_assert_int_eq(ws_sweep_converged(&p.cells[1]), 1);
    const char *online = "{\"learners\":{\"warm\":[{\"test_acc\":0.5,\"examples_seen\":10,\"seconds\":1,\"epochs\":3,"
                         "\"converged\":true},{\"test_acc\":0.75,\"examples_seen\":20,\"seconds\":2.5,\"epochs\":4,"
                         "\"converged\":false}]}" CFG;
    ck_assert_int_eq(ws_table_read(&ctx, test_write_file("online.jsonl", online, strlen(online)), &t), WS_OK);
    ws_sweep_cells(t, &t->points[0], &p);
    ws_table_free(t);
    ck_assert_int_eq(p.cells[0].n, 1);
    ck_assert_double_eq(p.cells[0].acc[0], 0.75);
    ck_assert_double_eq(p.cells[0].seconds[0], 3.5);
    ck_assert_double_eq(p.cells[0].epochs[0], 7);
    ck_assert_int_eq(ws_sweep_converged(&p.cells[0]), 0);
    const char *junk = "{\"runs\":{\"warm\":{\"seconds\":1}}" CFG;
    ck_assert_int_eq(ws_table_read(&ctx, test_write_file("batch.jsonl", junk, strlen(junk)), &t), WS_ERR_FORMAT);
    ck_assert_ptr_nonnull(strstr(ctx.err, "batch.jsonl: line 1: runs.warm has no test_acc"));
#undef CFG
}
END_TEST

START_TEST(transfer_structure) {
    ws_source src;
    if (ws_source_load(&ctx, &src, "fashion-mnist", NULL)) {
        fprintf(stderr, "# skipped transfer_structure: %s\n", ctx.err);
        return;
    }
    ws_source a, b;
    ck_assert_int_eq(ws_source_select_classes(&ctx, &a, &src, 0, 5), WS_OK);
    ck_assert_int_eq(ws_source_select_classes(&ctx, &b, &src, 5, 10), WS_OK);
    ck_assert_int_eq(a.train.n + b.train.n, 60000);
    ck_assert_int_eq(b.num_classes, 5);
    ck_assert_str_eq(b.class_names[0], "Sandal"); // class 5 becomes label 0
    for (int64_t i = 0; i < b.train.n; i++) ck_assert(b.train.y[i] >= 0 && b.train.y[i] < 5);
    ws_source one;
    ck_assert_int_eq(ws_source_select_classes(&ctx, &one, &src, 4, 5), WS_ERR_ARG); // one class is no task
    ck_assert_ptr_null(one.train.x);
    ws_transfer_config cfg;
    ws_transfer_config_defaults(&cfg);
    cfg.base.model = WS_MODEL_LOGREG;
    cfg.base.subset = 400, cfg.base.eval_subset = 300, cfg.base.max_epochs = 3;
    cfg.nfractions = 2, cfg.fractions[0] = 0.25, cfg.fractions[1] = 1.0;
    ws_transfer_seed_result r;
    ck_assert_int_eq(ws_transfer_run_seed(&ctx, &cfg, &a, &b, 0, &r), WS_OK);
    ck_assert_int_eq(r.npoints, 2);
    ck_assert_int_eq(r.points[0].n_train, 100);
    ck_assert_int_eq(r.points[1].n_train, 400);
    ck_assert_int_gt(r.pretrain.train.steps, 0);
    ck_assert_int_eq(r.points[1].runs[0].train.epochs[0].epoch, 1);
    // the same batches for both learners: as many steps per epoch
    ck_assert_int_eq(r.points[1].nlearners, 2);
    ck_assert_int_eq(r.points[1].runs[0].train.steps / r.points[1].runs[0].train.nepochs,
                     r.points[1].runs[1].train.steps / r.points[1].runs[1].train.nepochs);
    ws_transfer_seed_result_free(&r);
    cfg.keep_head = 1; // 5 and 5 classes: allowed
    ck_assert_int_eq(ws_transfer_run_seed(&ctx, &cfg, &a, &b, 0, &r), WS_OK);
    ws_transfer_seed_result_free(&r);
    ws_source_free(&a), ws_source_free(&b), ws_source_free(&src);
}
END_TEST

// What a result records of the software: the version from core/version.h, and
// the backend, "onednn" for a plain ws_ctx_init context.
START_TEST(config_records_version_and_backend) {
    ws_setup cfg;
    ws_setup_defaults(&cfg);
    ws_source src;
    memset(&src, 0, sizeof src);
    for (int k = 0; k < 2; k++) {
        cJSON *j = ws_setup_json(&cfg, "batch", &src, &ctx, NULL);
        ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(j, "warmstart_version")->valuestring, WARMSTART_VERSION);
        ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(j, "backend")->valuestring, k ? "reference" : "onednn");
        cJSON_Delete(j);
        ck_assert_int_eq(ws_ctx_set_backend(&ctx, "reference"), WS_OK);
    }
}
END_TEST

// --activation and --no-bias: resolved into the setup (every scenario shares them), checked
// against the model, recorded in the configuration's model (and its description).
static ws_status resolve(ws_command cmd, const char *args, ws_batch_config *batch, ws_online_config *online) {
    static ws_options o;
    static ws_transfer_config tr;
    static ws_continual_config co;
    char buf[256], *argv[16];
    int argc = 0;
    snprintf(buf, sizeof buf, "%s", args);
    for (char *t = strtok(buf, " "); t && argc < 16; t = strtok(NULL, " ")) argv[argc++] = t;
    ws_options_defaults(&o, cmd);
    ws_status st = ws_options_parse(&ctx, cmd, &o, argc, argv);
    return st ? st : ws_options_resolve(&ctx, cmd, &o, batch, online, &tr, &co);
}

static cJSON *model_json(const ws_setup *cfg, cJSON **root) {
    ws_source src;
    memset(&src, 0, sizeof src);
    src.train = (ws_dataset){.c = 3, .h = 32, .w = 32, .num_classes = 10};
    *root = ws_setup_json(cfg, "batch", &src, &ctx, NULL);
    return cJSON_GetObjectItemCaseSensitive(*root, "model");
}

START_TEST(model_variant_options) {
    static ws_batch_config b;
    static ws_online_config on;
    cJSON *root, *m;
    // The defaults: ReLU with biases, the plain description; neither key recorded (so a results
    // folder of an earlier version, which has neither, resumes without a configuration difference).
    ck_assert_int_eq(resolve(WS_CMD_BATCH, "--subset 10", &b, &on), WS_OK);
    ck_assert_int_eq(b.base.activation, WS_ACT_RELU);
    ck_assert_int_eq(b.base.no_bias, 0);
    m = model_json(&b.base, &root);
    ck_assert_ptr_null(cJSON_GetObjectItemCaseSensitive(m, "activation"));
    ck_assert_ptr_null(cJSON_GetObjectItemCaseSensitive(m, "bias"));
    ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(m, "arch")->valuestring, "mlp 3072-100-100-10");
    cJSON_Delete(root);
    // The tanh MLP without biases (the authors' earlier code's 3072-100-100-C with tanh).
    ck_assert_int_eq(resolve(WS_CMD_BATCH, "--activation tanh --no-bias", &b, &on), WS_OK);
    ck_assert_int_eq(b.base.activation, WS_ACT_TANH);
    ck_assert_int_eq(b.base.no_bias, 1);
    ws_model_spec spec = ws_setup_model_spec(&b.base, &(ws_dataset){.c = 1, .h = 2, .w = 2, .num_classes = 3});
    ck_assert_int_eq(spec.act, WS_ACT_TANH);
    ck_assert_int_eq(spec.no_bias, 1);
    m = model_json(&b.base, &root);
    ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(m, "activation")->valuestring, "tanh");
    ck_assert(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(m, "bias")));
    ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(m, "arch")->valuestring, "mlp 3072-100-100-10 tanh nobias");
    cJSON_Delete(root);
    // Every scenario shares them.
    ck_assert_int_eq(resolve(WS_CMD_ONLINE, "--activation=tanh", &b, &on), WS_OK);
    ck_assert_int_eq(on.base.activation, WS_ACT_TANH);
    // logreg without bias: no activation recorded.
    ck_assert_int_eq(resolve(WS_CMD_BATCH, "--model logreg --no-bias", &b, &on), WS_OK);
    m = model_json(&b.base, &root);
    ck_assert_ptr_null(cJSON_GetObjectItemCaseSensitive(m, "activation"));
    ck_assert(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(m, "bias")));
    ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(m, "arch")->valuestring, "logreg 3072-10 nobias");
    cJSON_Delete(root);
    // ResNet-18 records neither.
    ck_assert_int_eq(resolve(WS_CMD_BATCH, "--model resnet18", &b, &on), WS_OK);
    m = model_json(&b.base, &root);
    ck_assert_ptr_null(cJSON_GetObjectItemCaseSensitive(m, "activation"));
    ck_assert_ptr_null(cJSON_GetObjectItemCaseSensitive(m, "bias"));
    cJSON_Delete(root);
    // Refused, one line each.
    ck_assert_int_eq(resolve(WS_CMD_BATCH, "--model resnet18 --activation tanh", &b, &on), WS_ERR_ARG);
    ck_assert_str_eq(ctx.err, "--activation is for --model mlp or cnn (resnet18 is built with ReLU)");
    ck_assert_int_eq(resolve(WS_CMD_TRANSFER, "--activation relu --model logreg", &b, &on), WS_ERR_ARG);
    ck_assert_str_eq(ctx.err, "--activation is for --model mlp or cnn (logreg has no hidden layer)");
    ck_assert_int_eq(resolve(WS_CMD_BATCH, "--activation sigmoid", &b, &on), WS_ERR_ARG);
    ck_assert_str_eq(ctx.err, "--activation: expected 'relu', 'tanh' or 'crelu', not 'sigmoid'");
    ck_assert_int_eq(resolve(WS_CMD_ACTIVE, "--no-bias --model resnet18", &b, &on), WS_ERR_ARG);
    ck_assert_str_eq(ctx.err, "--no-bias is for --model mlp or logreg, not resnet18");
    ck_assert_int_eq(resolve(WS_CMD_BATCH, "--no-bias=maybe", &b, &on), WS_ERR_ARG);
    ck_assert_str_eq(ctx.err, "--no-bias is a flag: true or false, not 'maybe'");
    // A program setting the fields directly meets the same check.
    ws_setup cfg;
    ws_setup_defaults(&cfg);
    cfg.model = WS_MODEL_RESNET18;
    cfg.activation = WS_ACT_TANH;
    ck_assert_int_eq(ws_setup_check(&ctx, &cfg), WS_ERR_ARG);
    ck_assert_str_eq(ctx.err, "--activation tanh is for --model mlp or cnn (resnet18 is built with ReLU)");
    cfg.activation = WS_ACT_RELU;
    cfg.no_bias = 1;
    ck_assert_int_eq(ws_setup_check(&ctx, &cfg), WS_ERR_ARG);
    cfg.model = WS_MODEL_MLP;
    ck_assert_int_eq(ws_setup_check(&ctx, &cfg), WS_OK);
    // Kumar et al.'s CNN with CReLU and LayerNorm: recorded (activation, layer_norm, width,
    // hidden) and described with the widths built; misuse refused.
    ck_assert_int_eq(resolve(WS_CMD_BATCH, "--model cnn --activation crelu --layer-norm", &b, &on), WS_OK);
    ck_assert_int_eq(b.base.layer_norm, 1);
    m = model_json(&b.base, &root);
    ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(m, "activation")->valuestring, "crelu");
    ck_assert(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(m, "layer_norm")));
    ck_assert_int_eq(cJSON_GetObjectItemCaseSensitive(m, "width")->valueint, 16);
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(m, "hidden")), 2);
    ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(m, "arch")->valuestring, "cnn c16 3x32x32-100-100-10 crelu:c11-73-73 ln");
    cJSON_Delete(root);
    ck_assert_int_eq(resolve(WS_CMD_BATCH, "--layer-norm", &b, &on), WS_OK);
    m = model_json(&b.base, &root);
    ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(m, "arch")->valuestring, "mlp 3072-100-100-10 ln");
    cJSON_Delete(root);
    ck_assert_int_eq(resolve(WS_CMD_BATCH, "--model resnet18 --layer-norm", &b, &on), WS_ERR_ARG);
    ck_assert_str_eq(ctx.err, "--layer-norm is for --model mlp or cnn, not resnet18");
    ck_assert_int_eq(resolve(WS_CMD_BATCH, "--model logreg --layer-norm", &b, &on), WS_ERR_ARG);
    ck_assert_int_eq(resolve(WS_CMD_BATCH, "--model resnet18 --activation crelu", &b, &on), WS_ERR_ARG);
    ck_assert_str_eq(ctx.err, "--activation is for --model mlp or cnn (resnet18 is built with ReLU)");
    ck_assert_int_eq(resolve(WS_CMD_BATCH, "--model cnn --activation tanh", &b, &on), WS_ERR_ARG);
    ck_assert_str_eq(ctx.err, "--activation tanh is for --model mlp (cnn is built with ReLU or CReLU)");
    ck_assert_int_eq(resolve(WS_CMD_BATCH, "--model cnn --no-bias", &b, &on), WS_ERR_ARG);
    ck_assert_str_eq(ctx.err, "--no-bias is for --model mlp or logreg, not cnn");
}
END_TEST

Suite *online_suite(void) {
    Suite *s = suite_create("online");
    TCase *t = tcase_create("online");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_set_timeout(t, 60);
    tcase_add_test(t, schedule);
    tcase_add_test(t, config_records_version_and_backend);
    tcase_add_test(t, similarity_known_vectors);
    tcase_add_test(t, similarity_per_layer);
    tcase_add_test(t, grad_norm_matches_closed_form);
    tcase_add_test(t, pick_smallest);
    tcase_add_test(t, margin_sampling_constructed);
    tcase_add_test(t, online_end_to_end);
    tcase_add_test(t, transfer_structure);
    tcase_add_test(t, sweep_reduction);
    suite_add_tcase(s, t);
    TCase *o = tcase_create("options");
    tcase_add_checked_fixture(o, setup, teardown);
    tcase_add_test(o, model_variant_options);
    suite_add_tcase(s, o);
    return s;
}
