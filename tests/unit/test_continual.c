// The task sequences: each generator's known answers on a tiny hand-made dataset (pixels moved
// by the task's permutation, labels reshuffled or permuted, classes added or alternated), the
// window behind steps to target, the step budget of the training loop, and whole chains on
// Fashion-MNIST (every learner the same at task 0, shrink-perturb's identities, a chain saved
// and loaded going on bit for bit).
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exp/continual.h"
#include "exp/tasks.h"
#include "suites.h"

static ws_ctx ctx;
static void setup(void) { ws_ctx_init(&ctx, 2); }
static void teardown(void) { ws_ctx_release(&ctx); }

// n examples of 2 channels of 2x3 pixels, 5 classes (label i % 5); pixel (c, p) of example i
// holds 100 * c + 10 * p + i % 10, so where a pixel went can be read off its value.
static void tiny(ws_dataset *d, int n) {
    memset(d, 0, sizeof *d);
    d->n = n, d->c = 2, d->h = 2, d->w = 3, d->num_classes = 5;
    d->x = malloc((size_t)n * 12);
    d->y = malloc(sizeof(int32_t) * (size_t)n);
    for (int i = 0; i < n; i++) {
        d->y[i] = i % 5;
        for (int c = 0; c < 2; c++)
            for (int p = 0; p < 6; p++) d->x[i * 12 + c * 6 + p] = (uint8_t)(100 * c + 10 * p + i % 10);
    }
}

static int32_t *iota(int n) {
    int32_t *a = malloc(sizeof(int32_t) * (size_t)n);
    for (int i = 0; i < n; i++) a[i] = i;
    return a;
}

static int is_permutation(const int32_t *p, int n) {
    int ok = 1;
    char *seen = calloc((size_t)n, 1);
    for (int i = 0; i < n; i++) {
        if (p[i] < 0 || p[i] >= n || seen[p[i]]) ok = 0;
        else seen[p[i]] = 1;
    }
    free(seen);
    return ok;
}

START_TEST(kinds_by_name) {
    for (int k = 0; k < WS_TASKS_KIND_COUNT; k++) {
        ws_task_kind back;
        ck_assert_int_eq(ws_task_kind_parse(&ctx, ws_task_kind_name((ws_task_kind)k), &back), WS_OK);
        ck_assert_int_eq(back, k);
    }
    ws_task_kind x;
    ck_assert_int_eq(ws_task_kind_parse(&ctx, "permuted", &x), WS_ERR_ARG);
    ck_assert_ptr_nonnull(strstr(ctx.err, "'permuted' is not a task kind"));
}
END_TEST

START_TEST(permutations) {
    int32_t a[784], b[784], c[784];
    ws_task_pixel_permutation(7, 0, a, 784);
    for (int i = 0; i < 784; i++) ck_assert_int_eq(a[i], i); // task 0: the data as it is
    ws_task_pixel_permutation(7, 1, a, 784);
    ws_task_pixel_permutation(7, 1, b, 784);
    ws_task_pixel_permutation(7, 2, c, 784);
    ck_assert(is_permutation(a, 784));
    ck_assert_mem_eq(a, b, sizeof a); // the same task, the same permutation
    ck_assert(memcmp(a, c, sizeof a)); // another task, another one
    int fixed = 0;
    for (int i = 0; i < 784; i++) fixed += a[i] == i;
    ck_assert_int_lt(fixed, 20); // a shuffle, not nearly the identity
    int32_t m[10];
    ws_task_label_permutation(7, 0, m, 10);
    for (int i = 0; i < 10; i++) ck_assert_int_eq(m[i], i);
    ws_task_label_permutation(7, 3, m, 10);
    ck_assert(is_permutation(m, 10));
}
END_TEST

START_TEST(classes_of_tasks) {
    ws_task_spec s;
    ws_task_spec_defaults(&s);
    s.kind = WS_TASKS_CLASS_INCREMENTAL, s.classes_per_task = 2;
    int32_t c0[10], c1[10], c4[10];
    ck_assert_int_eq(ws_task_classes(&s, 3, 0, 10, c0, 10), 2);
    ck_assert_int_eq(ws_task_classes(&s, 3, 1, 10, c1, 10), 4);
    ck_assert_int_eq(ws_task_classes(&s, 3, 4, 10, c4, 10), 10); // all of them by the last task
    ck_assert_mem_eq(c0, c1, 2 * sizeof(int32_t)); // every class seen is kept
    ck_assert(is_permutation(c4, 10));
    // Five-plus-one: 5 classes, then 1, then 5 ... from one shuffle while it lasts; a pair of
    // tasks never repeats a class.
    s.kind = WS_TASKS_FIVE_PLUS_ONE, s.classes_per_task = 5, s.small_classes = 1;
    int32_t big[10], small[10], all[12];
    ck_assert_int_eq(ws_task_classes(&s, 3, 0, 12, big, 10), 5);
    ck_assert_int_eq(ws_task_classes(&s, 3, 1, 12, small, 10), 1);
    memcpy(all, big, 5 * sizeof(int32_t));
    all[5] = small[0];
    ck_assert_int_eq(ws_task_classes(&s, 3, 2, 12, big, 10), 5);
    ck_assert_int_eq(ws_task_classes(&s, 3, 3, 12, small, 10), 1);
    memcpy(all + 6, big, 5 * sizeof(int32_t));
    all[11] = small[0];
    ck_assert(is_permutation(all, 12)); // tasks 0-3 use the first shuffle of 12 classes exactly
    // Too many class-incremental tasks for the data: refused, naming the options.
    s.kind = WS_TASKS_CLASS_INCREMENTAL, s.classes_per_task = 5, s.ntasks = 3;
    ck_assert_int_eq(ws_task_spec_check(&ctx, &s, 10), WS_ERR_ARG);
    ck_assert_ptr_nonnull(strstr(ctx.err, "--tasks 3 of 5 new classes"));
    s.ntasks = 2;
    ck_assert_int_eq(ws_task_spec_check(&ctx, &s, 10), WS_OK);
}
END_TEST

START_TEST(permuted_input_task) {
    ws_dataset d;
    tiny(&d, 40);
    int32_t *pool = iota(30), *eval = malloc(sizeof(int32_t) * 10);
    for (int i = 0; i < 10; i++) eval[i] = 30 + i;
    ws_task_spec s;
    ws_task_spec_defaults(&s);
    s.examples = 12, s.eval_examples = 4;
    const ws_task_data data = {&d, &d, pool, eval, 30, 10};
    ws_task t;
    ck_assert_int_eq(ws_task_make(&ctx, &s, &data, 5, 2, &t), WS_OK);
    ck_assert_int_eq(t.train.n, 12);
    ck_assert_int_eq(t.eval.n, 4);
    ck_assert(!t.eval_is_train);
    int32_t perm[6];
    ws_task_pixel_permutation(5, 2, perm, 6);
    for (int i = 0; i < 12; i++) {
        const int src = t.train.x[i * 12] % 10; // example i's identity (i % 10) from pixel (0, perm[0])
        for (int c = 0; c < 2; c++)
            for (int p = 0; p < 6; p++) // every channel moved by the same permutation of positions
                ck_assert_int_eq(t.train.x[i * 12 + c * 6 + p], 100 * c + 10 * perm[p] + src);
    }
    // The held-out examples are the evaluation pool's, permuted alike, labels as they were.
    for (int i = 0; i < 4; i++) {
        ck_assert_int_eq(t.eval.x[i * 12 + 6 + 1], 100 + 10 * perm[1] + t.eval.x[i * 12] % 10);
        ck_assert_int_eq(t.eval.y[i], (t.eval.x[i * 12] % 10) % 5); // label i % 5, identity i % 10, both from 30..39
    }
    ws_task_free(&t);
    ws_dataset_free(&d);
    free(pool), free(eval);
}
END_TEST

START_TEST(label_tasks) {
    ws_dataset d;
    tiny(&d, 40);
    int32_t *pool = iota(30), *eval = malloc(sizeof(int32_t) * 10);
    for (int i = 0; i < 10; i++) eval[i] = 30 + i;
    const ws_task_data data = {&d, &d, pool, eval, 30, 10};
    ws_task_spec s;
    ws_task_spec_defaults(&s);
    s.kind = WS_TASKS_RANDOM_LABELS, s.examples = 20;
    ws_task a, b;
    ck_assert_int_eq(ws_task_make(&ctx, &s, &data, 5, 1, &a), WS_OK);
    ck_assert_int_eq(ws_task_make(&ctx, &s, &data, 5, 2, &b), WS_OK);
    // The same 20 images every task, their labels a reshuffle of their own: each class keeps its count.
    ck_assert_int_eq(a.train.n, 20);
    ck_assert_mem_eq(a.train.x, b.train.x, 20 * 12);
    int ca[5] = {0}, cb[5] = {0}, moved = 0;
    for (int i = 0; i < 20; i++) ca[a.train.y[i]]++, cb[b.train.y[i]]++, moved += a.train.y[i] != b.train.y[i];
    ck_assert_mem_eq(ca, cb, sizeof ca);
    ck_assert_int_gt(moved, 0);
    // Evaluated on its own examples and labels (nothing to generalise to).
    ck_assert(a.eval_is_train);
    ck_assert_int_eq(a.eval.n, 20);
    ck_assert_mem_eq(a.eval.y, a.train.y, 20 * sizeof(int32_t));
    ws_task_free(&a), ws_task_free(&b);
    // Permuted labels: y -> map[y] on training and held-out examples, the images untouched.
    s.kind = WS_TASKS_PERMUTED_LABELS, s.examples = 0, s.eval_examples = 0;
    ck_assert_int_eq(ws_task_make(&ctx, &s, &data, 5, 3, &a), WS_OK);
    int32_t map[5];
    ws_task_label_permutation(5, 3, map, 5);
    ck_assert_int_eq(a.train.n, 30);
    for (int i = 0; i < 30; i++) {
        const int id = a.train.x[i * 12] % 10, p1 = a.train.x[i * 12 + 1];
        ck_assert_int_eq(p1, 10 + id); // pixels as they were
        ck_assert_int_eq(a.train.y[i], map[id % 5]); // example i has label i % 5 and identity i % 10
    }
    for (int i = 0; i < 10; i++) ck_assert_int_eq(a.eval.y[i], map[(a.eval.x[i * 12] % 10) % 5]);
    ws_task_free(&a);
    ws_dataset_free(&d);
    free(pool), free(eval);
}
END_TEST

START_TEST(class_tasks) {
    ws_dataset d;
    tiny(&d, 50);
    int32_t *pool = iota(40), *eval = malloc(sizeof(int32_t) * 10);
    for (int i = 0; i < 10; i++) eval[i] = 40 + i;
    const ws_task_data data = {&d, &d, pool, eval, 40, 10};
    ws_task_spec s;
    ws_task_spec_defaults(&s);
    s.kind = WS_TASKS_CLASS_INCREMENTAL, s.classes_per_task = 2, s.examples = 0, s.eval_examples = 0;
    ws_task t;
    ck_assert_int_eq(ws_task_make(&ctx, &s, &data, 9, 1, &t), WS_OK);
    ck_assert_int_eq(t.nclasses, 4);
    // Every pool example of the four classes (8 of each among 40), labels as they are.
    ck_assert_int_eq(t.train.n, 32);
    ck_assert_int_eq(t.eval.n, 8);
    for (int i = 0; i < t.train.n; i++) {
        int in = 0;
        for (int k = 0; k < 4; k++) in |= t.train.y[i] == t.classes[k];
        ck_assert(in);
    }
    ws_task_free(&t);
    // A cap on examples: that many, still of the task's classes only.
    s.examples = 10;
    ck_assert_int_eq(ws_task_make(&ctx, &s, &data, 9, 0, &t), WS_OK);
    ck_assert_int_eq(t.train.n, 10);
    for (int i = 0; i < 10; i++) ck_assert(t.train.y[i] == t.classes[0] || t.train.y[i] == t.classes[1]);
    ws_task_free(&t);
    ws_dataset_free(&d);
    free(pool), free(eval);
}
END_TEST

START_TEST(target_window) {
    ws_target_window w;
    ck_assert_int_eq(ws_target_window_init(&ctx, &w, 3, 0.5), WS_OK);
    // Hits of 10 per step: 2, 9 (window not full), 4 (15 / 30: reached at step 3).
    ws_target_window_add(&w, 2, 10);
    ws_target_window_add(&w, 9, 10);
    ck_assert_int_eq(w.reached, -1);
    ws_target_window_add(&w, 4, 10);
    ck_assert_int_eq(w.reached, 3);
    ws_target_window_free(&w);
    ck_assert_int_eq(ws_target_window_init(&ctx, &w, 2, 0.8), WS_OK);
    const int hits[6] = {10, 0, 9, 6, 7, 9}; // windows: 10, 9, 15, 13, 16 (80 %: at step 6)
    for (int i = 0; i < 6; i++) ws_target_window_add(&w, hits[i], 10);
    ck_assert_int_eq(w.reached, 6);
    ws_target_window_free(&w);
}
END_TEST

static void count(void *user, int64_t step, int b, int correct, double loss) {
    (void)step, (void)correct, (void)loss;
    int *sizes = user;
    sizes[0]++;
    sizes[1] += b;
}

// A step budget ends training mid-epoch; drop_last leaves out the short batch.
START_TEST(step_budget) {
    ws_dataset d;
    tiny(&d, 10);
    ws_norm norm;
    ws_norm_from_data(&norm, &d, NULL, 0);
    ws_model_spec spec = {.kind = WS_MODEL_MLP, .input = {2, 2, 3}, .num_classes = 5, .nhidden = 1, .hidden = {4}};
    ws_model *m;
    ck_assert_int_eq(ws_model_create(&ctx, &m, &spec), WS_OK);
    ws_rng r = ws_rng_stream(1, "init", 0);
    ws_model_init(m, &r);
    ws_optim o, *opt = &o;
    ws_opt_config oc = ws_opt_defaults(WS_OPT_SGD, 0.01f);
    ck_assert_int_eq(ws_optim_create(&ctx, opt, &oc, m->nweights), WS_OK);
    int32_t *idx = iota(10);
    int seen[2] = {0, 0};
    ws_train_config tc = {.batch = 4, .max_steps = 5, .drop_last = 1, .on_batch = count, .on_batch_user = seen};
    ws_train_result res;
    ck_assert_int_eq(ws_train_to_threshold(&ctx, m, opt, &d, &norm, idx, 10, &tc, 1, 1, NULL, NULL, &res), WS_OK);
    ck_assert_int_eq(res.steps, 5);
    ck_assert_int_eq(seen[0], 5);
    ck_assert_int_eq(seen[1], 20); // whole batches of 4 only: 2 an epoch, then 1
    ck_assert_int_eq(res.nepochs, 3);
    ck_assert_int_eq(res.stop, WS_STOP_STEPS);
    ck_assert_str_eq(ws_stop_reason_name(res.stop), "steps");
    ws_train_result_free(&res);
    // Refused: a budget with fixed epochs; drop_last with no whole batch.
    tc.epochs = 2;
    ck_assert_int_eq(ws_train_to_threshold(&ctx, m, opt, &d, &norm, idx, 10, &tc, 1, 1, NULL, NULL, &res), WS_ERR_ARG);
    tc.epochs = 0, tc.batch = 11;
    ck_assert_int_eq(ws_train_to_threshold(&ctx, m, opt, &d, &norm, idx, 10, &tc, 1, 1, NULL, NULL, &res), WS_ERR_ARG);
    ck_assert_ptr_nonnull(strstr(ctx.err, "no whole batch"));
    ws_optim_free(opt);
    ws_model_free(m);
    ws_dataset_free(&d);
    free(idx);
}
END_TEST

static int load_fashion(ws_source *src) {
    if (ws_source_load(&ctx, src, "fashion-mnist", NULL) == WS_OK) return 1;
    fprintf(stderr, "continual: Fashion-MNIST not installed, whole chains skipped\n");
    return 0;
}

static void small_config(ws_continual_config *cfg, const char *learners) {
    ws_continual_config_defaults(cfg);
    cfg->base.subset = 2000;
    cfg->base.eval_subset = 400;
    cfg->base.hidden[0] = cfg->base.hidden[1] = 16;
    cfg->tasks.ntasks = 3, cfg->tasks.examples = 320, cfg->tasks.eval_examples = 100;
    cfg->steps = 30;
    ck_assert_int_eq(ws_learner_parse_list(&ctx, learners, cfg->base.learners, WS_MAX_LEARNERS, &cfg->base.nlearners),
                     WS_OK);
}

static void run_chain(const ws_continual_config *cfg, const ws_source *src, int l, ws_continual_task *out) {
    ws_continual_chain *c;
    ck_assert_int_eq(ws_continual_chain_open(&ctx, cfg, src, 0, l, &c), WS_OK);
    for (int t = 0; t < cfg->tasks.ntasks; t++) {
        ck_assert_int_eq(ws_continual_chain_step(c, &out[t]), WS_OK);
        free(out[t].train.epochs); // the counts kept
        out[t].train.epochs = NULL;
        free(out[t].inside);
        out[t].inside = NULL;
    }
    ws_continual_chain_close(c);
}

// Every learner meets task 0 alike; shrink-perturb (1, 0) is warm and (0, 1) random, task after
// task, bit for bit; the online accuracy counts every step's examples.
START_TEST(chains_identities) {
    ws_source src;
    if (!load_fashion(&src)) return;
    ws_continual_config cfg;
    small_config(&cfg, "warm,random,shrink-perturb:lambda=1:sigma=0,shrink-perturb:lambda=0:sigma=1,l2-init");
    ws_continual_task r[5][3];
    for (int l = 0; l < 5; l++) run_chain(&cfg, &src, l, r[l]);
    for (int l = 1; l < 5; l++) ck_assert_double_eq(r[l][0].online_acc, r[0][0].online_acc);
    for (int t = 0; t < 3; t++) {
        ck_assert_double_eq(r[2][t].online_acc, r[0][t].online_acc);
        ck_assert_double_eq(r[2][t].test_acc, r[0][t].test_acc);
        ck_assert_double_eq(r[3][t].online_acc, r[1][t].online_acc);
        ck_assert_double_eq(r[3][t].test_loss, r[1][t].test_loss);
        ck_assert_int_eq(r[0][t].n_train, 320);
        ck_assert_int_eq(r[0][t].n_eval, 100);
        ck_assert_int_eq(r[0][t].train.steps, 30);
    }
    ck_assert_double_ne(r[0][1].online_acc, r[1][1].online_acc); // warm and random part after task 0
    ck_assert_double_ne(r[4][2].test_loss, r[0][2].test_loss);   // l2-init's penalty acts
    ws_source_free(&src);
}
END_TEST

// Measured inside at every task's end on a probe of its held-out examples; the measurement
// changes nothing of the training (the same numbers with it off); a random learner's network is
// nearer its fresh initialisation than warm's is to its first.
START_TEST(chains_measured_inside) {
    ws_source src;
    if (!load_fashion(&src)) return;
    ws_continual_config cfg;
    small_config(&cfg, "warm,random");
    ws_continual_task on[2][3], off[2][3];
    ws_continual_chain *c;
    for (int l = 0; l < 2; l++) {
        ck_assert_int_eq(ws_continual_chain_open(&ctx, &cfg, &src, 0, l, &c), WS_OK);
        for (int t = 0; t < 3; t++) ck_assert_int_eq(ws_continual_chain_step(c, &on[l][t]), WS_OK);
        ws_continual_chain_close(c);
    }
    for (int t = 0; t < 3; t++)
        for (int l = 0; l < 2; l++) {
            ck_assert_ptr_nonnull(on[l][t].inside);
            ck_assert_int_eq(on[l][t].inside->probe_examples, 100); // the task's 100 held-out examples
            ck_assert_int_eq(on[l][t].inside->nlayers, 2);
            ck_assert_int_eq(on[l][t].inside->feature_dim, 16);
        }
    ck_assert_double_gt(on[0][2].inside->param_dist_init, on[1][2].inside->param_dist_init);
    // The task record carries it out and back.
    cJSON *j = ws_continual_task_json(&on[0][1]);
    char *text = cJSON_PrintUnformatted(j);
    cJSON *back = cJSON_Parse(text);
    ws_continual_task y;
    ck_assert_int_eq(ws_continual_task_from_json(&ctx, back, &y), WS_OK);
    ck_assert_ptr_nonnull(y.inside);
    ck_assert_double_eq(y.inside->grad_norm, on[0][1].inside->grad_norm);
    ck_assert_int_eq(y.inside->feature_srank, on[0][1].inside->feature_srank);
    ws_continual_task_free(&y);
    // A record still in memory (not yet through text) reads as well.
    ck_assert_int_eq(ws_continual_task_from_json(&ctx, j, &y), WS_OK);
    ck_assert_double_eq(y.inside->param_norm, on[0][1].inside->param_norm);
    ws_continual_task_free(&y);
    cJSON_Delete(j), cJSON_Delete(back), free(text);
    cfg.base.probe = 0;
    for (int l = 0; l < 2; l++) {
        ck_assert_int_eq(ws_continual_chain_open(&ctx, &cfg, &src, 0, l, &c), WS_OK);
        for (int t = 0; t < 3; t++) {
            ck_assert_int_eq(ws_continual_chain_step(c, &off[l][t]), WS_OK);
            ck_assert_ptr_null(off[l][t].inside);
            ck_assert_double_eq(off[l][t].online_acc, on[l][t].online_acc);
            ck_assert_double_eq(off[l][t].test_loss, on[l][t].test_loss);
            ws_continual_task_free(&off[l][t]);
            ws_continual_task_free(&on[l][t]);
        }
        ws_continual_chain_close(c);
    }
    ws_source_free(&src);
}
END_TEST

// A chain saved after a task and loaded into a new one goes on as the first did.
START_TEST(chain_resumes_bit_for_bit) {
    ws_source src;
    if (!load_fashion(&src)) return;
    ws_continual_config cfg;
    // Continual backprop's utilities and ages, per-step shrink-perturb's count of updates: state
    // a checkpoint must carry.
    small_config(&cfg, "warm,cbp:rate=0.01:maturity=2,shrink-perturb:lambda=0.99:sigma=0.01:every=step");
    cfg.tasks.kind = WS_TASKS_RANDOM_LABELS;
    for (int l = 1; l <= 2; l++) {
        ws_continual_task whole[3], part[3];
        run_chain(&cfg, &src, l, whole);
        ws_continual_chain *c;
        ck_assert_int_eq(ws_continual_chain_open(&ctx, &cfg, &src, 0, l, &c), WS_OK);
        ck_assert_int_eq(ws_continual_chain_step(c, &part[0]), WS_OK);
        ws_continual_task_free(&part[0]);
        char path[512];
        snprintf(path, sizeof path, "%s/chain%d.safetensors", test_tmpdir(), l);
        ck_assert_int_eq(ws_continual_chain_save(c, path), WS_OK);
        ws_continual_chain_close(c);
        ck_assert_int_eq(ws_continual_chain_open(&ctx, &cfg, &src, 0, l, &c), WS_OK);
        ck_assert_int_eq(ws_continual_chain_load(c, path), WS_OK);
        ck_assert_int_eq(ws_continual_chain_next(c), 1);
        for (int t = 1; t < 3; t++) {
            ck_assert_int_eq(ws_continual_chain_step(c, &part[t]), WS_OK);
            ck_assert_double_eq(part[t].online_acc, whole[t].online_acc);
            ck_assert_double_eq(part[t].test_loss, whole[t].test_loss);
            ck_assert_int_eq(part[t].units_replaced, whole[t].units_replaced);
            ws_continual_task_free(&part[t]);
        }
        // A checkpoint of another learner's chain is refused.
        ws_continual_chain *other;
        ck_assert_int_eq(ws_continual_chain_open(&ctx, &cfg, &src, 0, 0, &other), WS_OK);
        ck_assert_int_eq(ws_continual_chain_load(other, path), WS_ERR_FORMAT);
        ws_continual_chain_close(other);
        ws_continual_chain_close(c);
    }
    ws_source_free(&src);
}
END_TEST

// Every remedy (learn/remedies.c), as it acts in a short chain: a spec for each, so that a new
// remedy without one fails here.
static const char *const REMEDY_SPECS[] = {
    "redo:every=7:tau=0.5:round=1",
    "upgd:lr=0.01:sigma=0.01",
    "clip",
    "hare-tortoise:every=10:momentum=0.9:round=1",
    "parseval:lambda=0.01",
    "snr:tau=16:tau-max=256:every=2", // a silent batch resets; thresholds move after task 1, from a resumed histogram
    "l1-init:lambda=0.01",
    "nap:every=2",
    "reset:layers=2:every=10",
    "inject:every=1:keep-optim=1", // keep-optim=0 without weight decay would be warm (LEARNERS.md)
};

// Each remedy acts (its chain is not warm's) and resumes bit for bit from a checkpoint taken
// after a task: its own state (learner.own.*) and its count of updates come back.
START_TEST(remedies_resume_bit_for_bit) {
    const int nspecs = (int)(sizeof REMEDY_SPECS / sizeof REMEDY_SPECS[0]);
    for (int i = 0; ws_remedy_at(i); i++) {
        int covered = 0;
        for (int k = 0; k < nspecs; k++)
            covered |= !strncmp(REMEDY_SPECS[k], ws_remedy_at(i)->name, strlen(ws_remedy_at(i)->name)) &&
                       strchr(":", REMEDY_SPECS[k][strlen(ws_remedy_at(i)->name)]);
        ck_assert_msg(covered, "remedy %s has no spec in REMEDY_SPECS", ws_remedy_at(i)->name);
    }
    ws_source src;
    if (!load_fashion(&src)) return;
    for (int k = 0; k < nspecs; k++) {
        ws_continual_config cfg;
        char list[256];
        snprintf(list, sizeof list, "warm,%s", REMEDY_SPECS[k]);
        small_config(&cfg, list);
        ws_continual_task warm[3], whole[3], part[3];
        run_chain(&cfg, &src, 0, warm);
        run_chain(&cfg, &src, 1, whole);
        int differs = 0;
        for (int t = 0; t < 3; t++) differs |= whole[t].test_loss != warm[t].test_loss;
        ck_assert_msg(differs, "%s: the same as warm on every task", REMEDY_SPECS[k]);
        ws_continual_chain *c;
        ck_assert_int_eq(ws_continual_chain_open(&ctx, &cfg, &src, 0, 1, &c), WS_OK);
        ck_assert_int_eq(ws_continual_chain_step(c, &part[0]), WS_OK);
        ws_continual_task_free(&part[0]);
        char path[512];
        snprintf(path, sizeof path, "%s/remedy%d.safetensors", test_tmpdir(), k);
        ck_assert_int_eq(ws_continual_chain_save(c, path), WS_OK);
        ws_continual_chain_close(c);
        ck_assert_int_eq(ws_continual_chain_open(&ctx, &cfg, &src, 0, 1, &c), WS_OK);
        ck_assert_int_eq(ws_continual_chain_load(c, path), WS_OK);
        for (int t = 1; t < 3; t++) {
            ck_assert_int_eq(ws_continual_chain_step(c, &part[t]), WS_OK);
            ck_assert_msg(part[t].online_acc == whole[t].online_acc && part[t].test_loss == whole[t].test_loss &&
                              part[t].units_replaced == whole[t].units_replaced,
                          "%s: task %d differs after a resume", REMEDY_SPECS[k], t);
            ws_continual_task_free(&part[t]);
        }
        ws_continual_chain_close(c);
    }
    ws_source_free(&src);
}
END_TEST

// UPGD's utility trace is its optimizer state: restarted when a task begins, as the optimizer is,
// unless keep-optim=1. Both meet the first task alike and part from the second on.
START_TEST(upgd_trace_restarts_with_the_optimizer) {
    ws_source src;
    if (!load_fashion(&src)) return;
    ws_continual_config cfg;
    small_config(&cfg, "upgd:lr=0.01,upgd:lr=0.01:keep-optim=1");
    ws_continual_task r[2][3];
    for (int l = 0; l < 2; l++) run_chain(&cfg, &src, l, r[l]);
    ck_assert_double_eq(r[1][0].test_loss, r[0][0].test_loss);
    ck_assert_double_ne(r[1][1].test_loss, r[0][1].test_loss);
    ws_source_free(&src);
}
END_TEST

// Kumar et al.'s shrink-and-perturb after every update: (1, 0) is warm bit for bit; (0.99, 0.01)
// is not. A learner with a network of its own (LayerNorm, CReLU) builds it.
START_TEST(per_step_and_own_networks) {
    ws_source src;
    if (!load_fashion(&src)) return;
    ws_continual_config cfg;
    small_config(&cfg, "warm,shrink-perturb:lambda=1:sigma=0:every=step,shrink-perturb:lambda=0.99:sigma=0.01:every=step,"
                       "warm:layer-norm=1,warm:activation=crelu");
    cfg.base.hidden[0] = cfg.base.hidden[1] = 32; // CReLU's width rule needs room to cut (16 has none)
    ws_continual_task r[5][3];
    for (int l = 0; l < 5; l++) run_chain(&cfg, &src, l, r[l]);
    for (int t = 0; t < 3; t++) {
        ck_assert_double_eq(r[1][t].online_acc, r[0][t].online_acc);
        ck_assert_double_eq(r[1][t].test_loss, r[0][t].test_loss);
    }
    ck_assert_double_ne(r[2][0].test_loss, r[0][0].test_loss); // it acts from the first update on
    ck_assert_double_ne(r[3][0].test_loss, r[0][0].test_loss);
    ck_assert_double_ne(r[4][0].test_loss, r[0][0].test_loss);
    ws_source_free(&src);
}
END_TEST

// A task's record out and back.
START_TEST(task_record_round_trip) {
    ws_continual_task x = {.task = 4, .n_train = 100, .n_eval = 20, .nclasses = 2, .classes = {3, 7},
                           .online_acc = 0.625, .test_acc = 0.5, .test_loss = 1.25, .steps_to_target = -1,
                           .cum_seconds = 3.5, .units_replaced = 9};
    x.train.steps = 60, x.train.nepochs = 2, x.train.train_acc = 0.75, x.train.loss = 0.5, x.train.stop = WS_STOP_STEPS;
    cJSON *j = ws_continual_task_json(&x);
    ws_continual_task y;
    ck_assert_int_eq(ws_continual_task_from_json(&ctx, j, &y), WS_OK);
    ck_assert_int_eq(y.task, 4);
    ck_assert_int_eq(y.steps_to_target, -1);
    ck_assert_double_eq(y.online_acc, 0.625);
    ck_assert_int_eq(y.nclasses, 2);
    ck_assert_int_eq(y.classes[1], 7);
    ck_assert_int_eq(y.train.stop, WS_STOP_STEPS);
    ck_assert_int_eq(y.units_replaced, 9);
    cJSON_DeleteItemFromObject(j, "online_acc");
    ck_assert_int_eq(ws_continual_task_from_json(&ctx, j, &y), WS_ERR_FORMAT);
    cJSON_Delete(j);
}
END_TEST

Suite *continual_suite(void) {
    Suite *s = suite_create("continual");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, kinds_by_name);
    tcase_add_test(tc, permutations);
    tcase_add_test(tc, classes_of_tasks);
    tcase_add_test(tc, permuted_input_task);
    tcase_add_test(tc, label_tasks);
    tcase_add_test(tc, class_tasks);
    tcase_add_test(tc, target_window);
    tcase_add_test(tc, step_budget);
    tcase_add_test(tc, chains_identities);
    tcase_add_test(tc, chains_measured_inside);
    tcase_add_test(tc, chain_resumes_bit_for_bit);
    tcase_add_test(tc, remedies_resume_bit_for_bit);
    tcase_add_test(tc, per_step_and_own_networks);
    tcase_add_test(tc, upgd_trace_restarts_with_the_optimizer);
    tcase_add_test(tc, task_record_round_trip);
    suite_add_tcase(s, tc);
    return s;
}
