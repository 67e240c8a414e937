// The stable C API (include/warmstart.h): a context, an experiment set option by option, refused options
// named in the error, a run into a folder, its results in long form against the CLI's own
// reader, and its report; handles used only through the functions of the API.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "warmstart.h"
#include "core/file.h"
#include "core/rng.h"
#include "io/safetensors.h"
#include "nn/model.h"
#include "suites.h"

static int notes;
static void count_note(void *user, const char *who, const char *line) {
    (void)who, (void)line;
    (*(int *)user)++;
}

// The progress hook's calls: done counts up by one to total, each with its unit's id.
static int progress_calls, progress_done, progress_total;
static void count_progress(void *user, int done, int total, const char *unit) {
    (void)user;
    if (!unit) { // the first call, before any unit: none finished in a fresh run
        ck_assert_int_eq(progress_calls, 0);
        ck_assert_int_eq(done, 0);
        progress_total = total;
        return;
    }
    ck_assert_int_eq(done, progress_done + 1);
    ck_assert(strchr(unit, '/'));
    progress_calls++, progress_done = done, progress_total = total;
}

START_TEST(errors_name_what_is_wrong) {
    warmstart_context *c;
    ck_assert_int_eq(warmstart_context_new(1, &c), WARMSTART_OK);
    ck_assert_str_eq(warmstart_error(c), "");
    ck_assert_ptr_nonnull(warmstart_version());
    warmstart_experiment *e;
    ck_assert_int_eq(warmstart_experiment_new(c, "sideways", &e), WARMSTART_ERR_ARG);
    ck_assert_ptr_null(e);
    ck_assert_ptr_nonnull(strstr(warmstart_error(c), "sideways"));
    ck_assert_int_eq(warmstart_experiment_new(c, "online", &e), WARMSTART_OK);
    ck_assert_int_eq(warmstart_experiment_set(e, "subsett", "100"), WARMSTART_ERR_ARG);
    ck_assert_ptr_nonnull(strstr(warmstart_error(c), "subsett"));
    ck_assert_int_eq(warmstart_experiment_set(e, "learners", "warm,wrong"), WARMSTART_OK); // read whole at the check
    ck_assert_int_eq(warmstart_experiment_check(e), WARMSTART_ERR_ARG);
    ck_assert_ptr_nonnull(strstr(warmstart_error(c), "wrong"));
    warmstart_experiment_free(e);
    ck_assert_int_eq(warmstart_experiment_load(c, "/nonexistent/exp.ini", &e), WARMSTART_ERR_IO);
    ck_assert_ptr_nonnull(strstr(warmstart_error(c), "/nonexistent/exp.ini"));
    warmstart_results *r;
    ck_assert_int_ne(warmstart_results_open(c, "/nonexistent/results", &r), WARMSTART_OK);
    ck_assert_ptr_null(r);
    warmstart_context_free(c);
}
END_TEST

// A small online experiment into out -- Fashion-MNIST, 600 examples arriving 300 then 100 a
// round, an MLP 16-16 for at most 2 epochs a round, 2 seeds -- with the `extra` options after
// these (a later value replaces an earlier one), up to a {NULL, NULL} pair.
static warmstart_experiment *small_online(warmstart_context *c, const char *out, const char *const (*extra)[2]) {
    static const char *const base[][2] = {{"data", "fashion-mnist"}, {"subset", "600"}, {"eval-subset", "200"},
                                          {"k0", "300"}, {"k", "100"}, {"hidden", "16,16"}, {"max-epochs", "2"},
                                          {"seeds", "2"}, {"probe", "0"}};
    warmstart_experiment *e;
    ck_assert_int_eq(warmstart_experiment_new(c, "online", &e), WARMSTART_OK);
    for (size_t i = 0; i < sizeof base / sizeof *base; i++)
        ck_assert_int_eq(warmstart_experiment_set(e, base[i][0], base[i][1]), WARMSTART_OK);
    ck_assert_int_eq(warmstart_experiment_set(e, "out", out), WARMSTART_OK);
    for (int i = 0; extra && extra[i][0]; i++)
        ck_assert_msg(warmstart_experiment_set(e, extra[i][0], extra[i][1]) == WARMSTART_OK, "%s: %s", extra[i][0],
                      warmstart_error(c));
    return e;
}

// A small online run through the API; its rows are every (learner, seed, round, measure) value
// of the records, and the report is written.
START_TEST(run_results_report) {
    warmstart_context *c;
    ck_assert_int_eq(warmstart_context_new(2, &c), WARMSTART_OK);
    char out[600];
    snprintf(out, sizeof out, "%s/api-online", test_tmpdir());
    const char *const extra[][2] = {{"k", "150"}, {"learners", "warm,random,redo:every=5"}, {NULL, NULL}};
    warmstart_experiment *e = small_online(c, out, extra);
    int st = warmstart_experiment_check(e);
    if (st && strstr(warmstart_error(c), "Fashion-MNIST")) {
        fprintf(stderr, "api: Fashion-MNIST not installed, the run through the API skipped\n");
        warmstart_experiment_free(e);
        warmstart_context_free(c);
        return;
    }
    ck_assert_msg(st == WARMSTART_OK, "%s", warmstart_error(c));
    notes = 0;
    const warmstart_hooks hooks = {.note = count_note, .progress = count_progress};
    int complete = 0;
    progress_calls = progress_done = progress_total = 0;
    st = warmstart_experiment_run(e, &hooks, &notes, &complete);
    ck_assert_msg(st == WARMSTART_OK, "%s", warmstart_error(c));
    ck_assert_int_eq(complete, 1);
    ck_assert_int_gt(notes, 0);
    ck_assert_int_eq(progress_calls, 6); // 3 learners x 2 seeds, one unit each
    ck_assert_int_eq(progress_total, 6);
    warmstart_experiment_free(e);

    warmstart_results *r;
    ck_assert_int_eq(warmstart_results_open(c, out, &r), WARMSTART_OK);
    ck_assert_str_eq(warmstart_results_scenario(r), "online");
    const int64_t n = warmstart_results_nrows(r);
    int test_acc = 0, redo_rounds = 0;
    int64_t seeds = 0;
    for (int64_t i = 0; i < n; i++) {
        warmstart_row row;
        ck_assert_int_eq(warmstart_results_row(r, i, &row), WARMSTART_OK);
        ck_assert(isfinite(row.value));
        ck_assert_str_eq(row.point, "");
        if (!strcmp(row.measure, "test_acc")) {
            test_acc++;
            ck_assert(row.value >= 0 && row.value <= 1);
            ck_assert(!strcmp(row.stop, "cap") || !strcmp(row.stop, "threshold"));
            if (row.seed > seeds) seeds = row.seed;
            redo_rounds += !strcmp(row.learner, "redo:every=5");
        }
    }
    ck_assert_int_eq(seeds, 2);
    ck_assert_int_eq(test_acc, 3 * 2 * redo_rounds / 2); // three learners, two seeds, the same rounds each
    ck_assert_int_gt(redo_rounds, 2);
    warmstart_row row;
    ck_assert_int_eq(warmstart_results_row(r, n, &row), WARMSTART_ERR_ARG);
    warmstart_results_free(r);

    int experiments = 0;
    ck_assert_int_eq(warmstart_report(c, out, &experiments), WARMSTART_OK);
    ck_assert_int_eq(experiments, 1);
    char page[700];
    snprintf(page, sizeof page, "%s/report.html", out);
    struct stat sb;
    ck_assert_int_eq(stat(page, &sb), 0);
    warmstart_context_free(c);
}
END_TEST

// should_stop: non-zero after `left` questions.
static int stop_after(void *user) {
    int *left = user;
    return (*left)-- <= 0;
}

// An online experiment of 3 learners x 2 seeds into out (resume: "true" or NULL), run with
// should_stop after `questions` questions (< 0: never); its status.
static int run_online(warmstart_context *c, const char *out, const char *resume, int questions, int *complete) {
    const char *const extra[][2] = {{"learners", "warm,random,redo:every=5"}, {NULL, NULL}};
    warmstart_experiment *e = small_online(c, out, extra);
    if (resume) ck_assert_int_eq(warmstart_experiment_set(e, "resume", resume), WARMSTART_OK);
    ck_assert_msg(warmstart_experiment_check(e) == WARMSTART_OK, "%s", warmstart_error(c));
    int left = questions;
    const warmstart_hooks hooks = {.should_stop = questions >= 0 ? stop_after : NULL};
    int st = warmstart_experiment_run(e, &hooks, &left, complete);
    warmstart_experiment_free(e);
    return st;
}

// The test accuracies of a results folder (of one learner; NULL: every one), in the rows'
// order, into acc[0..cap): their number.
static int test_accs(warmstart_context *c, const char *out, const char *learner, double *acc, int cap) {
    warmstart_results *r;
    ck_assert_int_eq(warmstart_results_open(c, out, &r), WARMSTART_OK);
    int n = 0;
    for (int64_t i = 0; i < warmstart_results_nrows(r) && n < cap; i++) {
        warmstart_row row;
        warmstart_results_row(r, i, &row);
        if (!strcmp(row.measure, "test_acc") && (!learner || !strcmp(row.learner, learner))) acc[n++] = row.value;
    }
    warmstart_results_free(r);
    return n;
}

// Stopped on request after a few rounds, the run says so and leaves no results; resumed, it
// finishes with the results of a run never stopped, bit for bit.
START_TEST(stop_on_request_and_resume) {
    warmstart_context *c;
    ck_assert_int_eq(warmstart_context_new(2, &c), WARMSTART_OK);
    char whole[600], parts[600];
    snprintf(whole, sizeof whole, "%s/api-whole", test_tmpdir());
    snprintf(parts, sizeof parts, "%s/api-parts", test_tmpdir());
    int complete = -1;
    int st = run_online(c, whole, NULL, -1, &complete);
    if (st && strstr(warmstart_error(c), "Fashion-MNIST")) {
        fprintf(stderr, "api: Fashion-MNIST not installed, stop and resume skipped\n");
        warmstart_context_free(c);
        return;
    }
    ck_assert_msg(st == WARMSTART_OK && complete == 1, "%s", warmstart_error(c));
    ck_assert_int_eq(run_online(c, parts, NULL, 3, &complete), WARMSTART_INTERRUPTED);
    ck_assert_int_eq(complete, 0);
    ck_assert_ptr_nonnull(strstr(warmstart_error(c), "stopped on request"));
    warmstart_results *r;
    ck_assert_int_ne(warmstart_results_open(c, parts, &r), WARMSTART_OK); // no results written yet
    ck_assert_int_eq(run_online(c, parts, "true", -1, &complete), WARMSTART_OK);
    ck_assert_int_eq(complete, 1);
    double a[256], b[256];
    const int na = test_accs(c, whole, NULL, a, 256), nb = test_accs(c, parts, NULL, b, 256);
    ck_assert_int_eq(na, nb);
    ck_assert_int_gt(na, 6);
    ck_assert_mem_eq(a, b, sizeof(double) * (size_t)na);
    // Run as two shards into one folder and merged, it ends with the same results too.
    char shards[600];
    snprintf(shards, sizeof shards, "%s/api-shards", test_tmpdir());
    const char *shard[] = {"1/2", "2/2"};
    for (int k = 0; k < 2; k++) {
        const char *const extra[][2] = {{"learners", "warm,random,redo:every=5"}, {"shard", shard[k]}, {NULL, NULL}};
        warmstart_experiment *e = small_online(c, shards, extra);
        ck_assert_int_eq(warmstart_experiment_check(e), WARMSTART_OK);
        ck_assert_msg(warmstart_experiment_run(e, NULL, NULL, &complete) == WARMSTART_OK, "%s", warmstart_error(c));
        ck_assert_int_eq(complete, 0); // a shard alone writes no results
        warmstart_experiment_free(e);
    }
    const char *dirs[] = {shards};
    ck_assert_msg(warmstart_merge(c, dirs, 1, NULL) == WARMSTART_OK, "%s", warmstart_error(c));
    ck_assert_int_eq(test_accs(c, shards, NULL, b, 256), na);
    ck_assert_mem_eq(a, b, sizeof(double) * (size_t)na);
    ck_assert_int_eq(warmstart_merge(c, dirs, 0, NULL), WARMSTART_ERR_ARG);
    // Asked before anything runs, it stops at once.
    snprintf(parts, sizeof parts, "%s/api-none", test_tmpdir());
    ck_assert_int_eq(run_online(c, parts, NULL, 0, &complete), WARMSTART_INTERRUPTED);
    ck_assert_ptr_nonnull(strstr(warmstart_error(c), "before its first unit"));
    warmstart_context_free(c);
}
END_TEST

// A model's checkpoint through the API: every parameter under its PyTorch name, shape and bits;
// a corrupt file refused with its path named.
START_TEST(checkpoint_tensors) {
    ws_ctx x;
    ws_ctx_init(&x, 1);
    ws_model_spec spec = {.kind = WS_MODEL_MLP, .input = {1, 4, 5}, .num_classes = 3, .nhidden = 1, .hidden = {6}};
    ws_model *m;
    ck_assert_int_eq(ws_model_create(&x, &m, &spec), WS_OK);
    ws_rng r = ws_rng_stream(3, "api-test", 0);
    ws_model_init(m, &r);
    char path[600];
    snprintf(path, sizeof path, "%s/api-model.safetensors", test_tmpdir());
    ck_assert_int_eq(ws_model_save(&x, m, path), WS_OK);
    warmstart_context *c;
    ck_assert_int_eq(warmstart_context_new(1, &c), WARMSTART_OK);
    warmstart_checkpoint *k;
    ck_assert_int_eq(warmstart_checkpoint_open(c, path, &k), WARMSTART_OK);
    int found = 0;
    for (int i = 0; i < warmstart_checkpoint_ntensors(k); i++) {
        warmstart_tensor t;
        ck_assert_int_eq(warmstart_checkpoint_tensor(k, i, &t), WARMSTART_OK);
        for (int p = 0; p < m->nparams; p++) {
            const ws_param *q = &m->params[p];
            if (strcmp(q->name, t.name)) continue;
            ck_assert_str_eq(t.dtype, "F32");
            ck_assert_int_eq(t.ndim, q->ndim);
            for (int d = 0; d < q->ndim; d++) ck_assert_int_eq(t.dims[d], q->dims[d]);
            ck_assert_int_eq(t.nbytes, (int64_t)sizeof(float) * q->numel);
            ck_assert_mem_eq(t.data, m->w + q->offset, (size_t)t.nbytes);
            found++;
        }
    }
    ck_assert_int_eq(found, m->nparams); // lm1.weight, lm1.bias, lm2.weight, lm2.bias
    warmstart_tensor t;
    ck_assert_int_eq(warmstart_checkpoint_tensor(k, -1, &t), WARMSTART_ERR_ARG);
    warmstart_checkpoint_free(k);
    const char *bad = test_write_file("api-bad.safetensors", "\x08\0\0\0\0\0\0\0{nonsense", 17);
    ck_assert_int_eq(warmstart_checkpoint_open(c, bad, &k), WARMSTART_ERR_FORMAT);
    ck_assert_ptr_null(k);
    ck_assert_ptr_nonnull(strstr(warmstart_error(c), "api-bad.safetensors"));
    warmstart_context_free(c);
    ws_model_free(m);
    ws_ctx_release(&x);
}
END_TEST

// ---- a remedy from outside: Kumar et al.'s L1 Init through warmstart_remedy ----------------

typedef struct {
    float lambda;
    int creates, starts, begins, fresh_begins, updates, ends, draws; // the hooks seen, across chains
} l1_user;

typedef struct {
    int64_t n;
    float *theta0;
    float calls[1]; // after_backward calls this chain: a state array beside theta0
} l1_own;

static int l1_create(void *user, const warmstart_step *s, void **state) {
    l1_own *o = calloc(1, sizeof *o);
    if (!o || !(o->theta0 = calloc((size_t)s->nweights, sizeof(float)))) return free(o), 1;
    o->n = s->nweights;
    ((l1_user *)user)->creates++;
    *state = o;
    return 0;
}

static void l1_destroy(void *user, void *state) {
    (void)user;
    l1_own *o = state;
    free(o->theta0), free(o);
}

static int l1_start(void *user, void *state, const warmstart_step *s) {
    l1_own *o = state;
    memcpy(o->theta0, s->weights, sizeof(float) * (size_t)o->n);
    ((l1_user *)user)->starts++;
    return 0;
}

static int l1_begin(void *user, void *state, const warmstart_step *s) {
    (void)state;
    l1_user *u = user;
    u->begins++;
    u->fresh_begins += s->params[0].fresh != NULL;
    ck_assert(s->nhidden == 2 && s->hidden[0].activation == NULL); // no forward at a round's start
    ck_assert((s->round > 0) == (s->params[0].fresh != NULL));
    return 0;
}

// g += lambda sign(w - theta_0), sign(0) = 0, parameter by parameter (LayerNorm's none here).
static int l1_after_backward(void *user, void *state, const warmstart_step *s) {
    const l1_user *u = user;
    l1_own *o = state;
    for (int p = 0; p < s->nparams; p++) {
        const warmstart_param *q = &s->params[p];
        const float *t = o->theta0 + (q->data - s->weights);
        for (int64_t i = 0; i < q->numel; i++) {
            const float d = q->data[i] - t[i];
            q->grad[i] += d > 0 ? u->lambda : d < 0 ? -u->lambda : 0.0f;
        }
    }
    o->calls[0]++;
    return 0;
}

static int l1_after_update(void *user, void *state, const warmstart_step *s) {
    (void)state;
    l1_user *u = user;
    u->updates++;
    ck_assert_int_gt(s->batch, 0);
    ck_assert_ptr_nonnull(s->params[0].moment1); // Adam's moments, viewed
    ck_assert_ptr_nonnull(s->params[0].moment2);
    // The MLP's two hidden layers: lm1 -> ReLU -> lm2 -> ReLU -> lm3, their activations this step's.
    ck_assert_int_eq(s->nhidden, 2);
    for (int l = 0; l < 2; l++) {
        const warmstart_hidden *h = &s->hidden[l];
        ck_assert_int_eq(h->in_weight, 2 * l);
        ck_assert_int_eq(h->in_bias, 2 * l + 1);
        ck_assert_int_eq(h->out_weight, 2 * l + 2);
        ck_assert_int_eq(h->units, 16);
        ck_assert_int_eq(h->positions, 1);
        ck_assert_int_eq(h->out_span, 1);
        ck_assert_int_eq(s->params[h->out_weight].dims[1], h->units);
        ck_assert_ptr_nonnull(h->activation);
        for (int64_t i = 0; i < (int64_t)s->batch * h->units; i++) ck_assert(h->activation[i] >= 0); // after ReLU
    }
    if (s->step == 1) { // a draw is the same for the same (seed, draw)
        ck_assert_ptr_null(s->params[0].fresh);
        ck_assert_int_eq(warmstart_step_draw_fresh(s, 7), WARMSTART_OK);
        float first = s->params[0].fresh[0];
        ck_assert_int_eq(warmstart_step_draw_fresh(s, 7), WARMSTART_OK);
        ck_assert(first == s->params[0].fresh[0]);
        u->draws++;
    }
    return 0;
}

static int l1_end(void *user, void *state, const warmstart_step *s) {
    (void)state, (void)s;
    ((l1_user *)user)->ends++;
    return 0;
}

static int l1_arrays(void *user, void *state, warmstart_array *out, int cap) {
    (void)user;
    l1_own *o = state;
    if (cap < 2) return -1;
    out[0] = (warmstart_array){"theta0", o->theta0, o->n};
    out[1] = (warmstart_array){"calls", o->calls, 1};
    return 2;
}

static int fails(void *user, void *state, const warmstart_step *s) {
    (void)user, (void)state, (void)s;
    return 5;
}

static const warmstart_remedy L1_OUTSIDE = {.create = l1_create, .destroy = l1_destroy, .start = l1_start,
                                            .begin = l1_begin, .after_backward = l1_after_backward,
                                            .after_update = l1_after_update, .end = l1_end,
                                            .state_arrays = l1_arrays, .record = "{\"lambda\": 0.01}"};

// The built-in l1-init and the outside one side by side (online, Adam), stopped after
// `questions` questions (< 0: never); its status.
static int run_l1(warmstart_context *c, const char *out, const char *resume, int questions, l1_user *u) {
    const char *const extra[][2] = {{"opt", "adam"}, {"lr", "0.001"}, {"learners", "warm,l1-init:lambda=0.01"},
                                    {NULL, NULL}};
    warmstart_experiment *e = small_online(c, out, extra);
    if (resume) ck_assert_int_eq(warmstart_experiment_set(e, "resume", resume), WARMSTART_OK);
    ck_assert_int_eq(warmstart_experiment_add_remedy(e, "outside-l1", &L1_OUTSIDE, u), WARMSTART_OK);
    int st = warmstart_experiment_check(e);
    if (!st) {
        int left = questions;
        const warmstart_hooks hooks = {.should_stop = questions >= 0 ? stop_after : NULL};
        st = warmstart_experiment_run(e, &hooks, &left, NULL);
    }
    warmstart_experiment_free(e);
    return st;
}

// The outside L1 Init equals the built-in one bit for bit, every hook is called where it
// should be, its state arrays go into the checkpoint, and stopped and resumed it ends as a run
// never stopped.
START_TEST(outside_remedy_equals_builtin) {
    warmstart_context *c;
    ck_assert_int_eq(warmstart_context_new(2, &c), WARMSTART_OK);
    char whole[600], parts[600];
    snprintf(whole, sizeof whole, "%s/api-l1-whole", test_tmpdir());
    snprintf(parts, sizeof parts, "%s/api-l1-parts", test_tmpdir());
    l1_user u = {.lambda = 0.01f};
    int st = run_l1(c, whole, NULL, -1, &u);
    if (st && strstr(warmstart_error(c), "Fashion-MNIST")) {
        fprintf(stderr, "api: Fashion-MNIST not installed, the outside remedy's run skipped\n");
        warmstart_context_free(c);
        return;
    }
    ck_assert_msg(st == WARMSTART_OK, "%s", warmstart_error(c));
    double builtin[64], outside[64], resumed[64];
    const int nb = test_accs(c, whole, "l1-init:lambda=0.01", builtin, 64);
    ck_assert_int_gt(nb, 4);
    ck_assert_int_eq(test_accs(c, whole, "outside-l1", outside, 64), nb);
    ck_assert_mem_eq(builtin, outside, sizeof(double) * (size_t)nb);
    ck_assert_int_eq(u.creates, 2); // one chain per seed
    ck_assert_int_eq(u.starts, 2);
    ck_assert_int_eq(u.begins, nb);
    ck_assert_int_eq(u.fresh_begins, nb - 2);
    ck_assert_int_eq(u.ends, nb);
    ck_assert_int_gt(u.updates, nb);
    ck_assert_int_eq(u.draws, 2);
    // Its record names it custom, with its own record's keys.
    char config[700];
    snprintf(config, sizeof config, "%s/config.json", whole);
    size_t len;
    uint8_t *bytes;
    ws_ctx x;
    ws_ctx_init(&x, 1);
    ck_assert_int_eq(ws_file_read(&x, config, "config.json", &bytes, &len), WS_OK);
    ws_ctx_release(&x);
    char *text = realloc(bytes, len + 1);
    text[len] = 0;
    ck_assert_ptr_nonnull(strstr(text, "outside-l1"));
    ck_assert_ptr_nonnull(strstr(text, "\"lambda\""));
    free(text);

    l1_user v = {.lambda = 0.01f};
    ck_assert_int_eq(run_l1(c, parts, NULL, 3, &v), WARMSTART_INTERRUPTED);
    ck_assert_int_eq(run_l1(c, parts, "true", -1, &v), WARMSTART_OK);
    ck_assert_int_eq(test_accs(c, parts, "outside-l1", resumed, 64), nb);
    ck_assert_mem_eq(outside, resumed, sizeof(double) * (size_t)nb);
    ck_assert_int_lt(v.starts, 2 + 2); // resumed chains took theta0 from their checkpoints, not from start

    // Refused: a name the learners' list cannot hold, a record that is not JSON, a failing hook.
    warmstart_experiment *e;
    ck_assert_int_eq(warmstart_experiment_new(c, "online", &e), WARMSTART_OK);
    ck_assert_int_eq(warmstart_experiment_add_remedy(e, "a,b", &L1_OUTSIDE, &u), WARMSTART_ERR_ARG);
    ck_assert_ptr_nonnull(strstr(warmstart_error(c), "a,b"));
    warmstart_remedy bad = L1_OUTSIDE;
    bad.record = "{lambda";
    ck_assert_int_eq(warmstart_experiment_add_remedy(e, "bad", &bad, &u), WARMSTART_ERR_ARG);
    ck_assert_ptr_nonnull(strstr(warmstart_error(c), "record"));
    warmstart_experiment_free(e);
    // A hook that fails stops the run with its learner and hook named.
    warmstart_remedy failing = {.after_update = fails};
    const char *const extra[][2] = {{"k", "300"}, {"hidden", "8"}, {"max-epochs", "1"}, {"seeds", "1"},
                                    {"learners", "warm"}, {NULL, NULL}};
    e = small_online(c, parts, extra);
    ck_assert_int_eq(warmstart_experiment_add_remedy(e, "failing", &failing, NULL), WARMSTART_OK);
    ck_assert_int_eq(warmstart_experiment_check(e), WARMSTART_OK);
    ck_assert_int_eq(warmstart_experiment_run(e, NULL, NULL, NULL), WARMSTART_ERR_ARG);
    ck_assert_ptr_nonnull(strstr(warmstart_error(c), "learner 'failing': its after_update hook failed"));
    warmstart_experiment_free(e);
    warmstart_context_free(c);
}
END_TEST

Suite *api_suite(void) {
    Suite *s = suite_create("api");
    TCase *t = tcase_create("api");
    tcase_set_timeout(t, 120);
    tcase_add_test(t, errors_name_what_is_wrong);
    tcase_add_test(t, run_results_report);
    tcase_add_test(t, stop_on_request_and_resume);
    tcase_add_test(t, checkpoint_tensors);
    tcase_add_test(t, outside_remedy_equals_builtin);
    suite_add_tcase(s, t);
    return s;
}
