// New remedies in C, through the stable API alone (warmstart.h: warmstart_remedy), run side by
// side with the built-in learners: "reset-last-K" re-initialises the last K parameterised
// layers of its model at the start of every round (K = 1 is the built-in head-reset, which runs
// beside it to show that the two agree bit for bit); "my-l1-init" is Kumar et al.'s L1 Init
// with a state of its own in the checkpoint (the built-in l1-init beside it, bit for bit).
// They get what a built-in learner gets -- units, records, checkpoints, resume, the report --
// and their hooks see the model's parameters as views of its arenas: no copy.
//   build/example_custom_learner [OUT [K]]        (OUT: results/example-custom; K: 1)
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "warmstart.h"

// ---- reset-last-K ---------------------------------------------------------------------------

// The module a parameter belongs to: its name up to the last '.' ("lm3.weight" -> "lm3").
static size_t module_len(const char *param) {
    const char *dot = strrchr(param, '.');
    return dot ? (size_t)(dot - param) : strlen(param);
}

static int same_module(const char *a, const char *b) {
    return module_len(a) == module_len(b) && !strncmp(a, b, module_len(a));
}

// Each round after the first: the parameters of the last k modules from the fresh
// initialisation drawn for the round (the random learner's), the rest kept (warm).
static int reset_last_begin(void *user, void *state, const warmstart_step *s) {
    (void)state;
    if (s->round == 0) return 0; // the first round starts from the shared initialisation
    const int k = *(const int *)user;
    int modules = 0;
    for (int p = s->nparams - 1; p >= 0; p--) {
        const warmstart_param *q = &s->params[p];
        if ((p + 1 == s->nparams || !same_module(q->name, s->params[p + 1].name)) && ++modules > k) break;
        memcpy(q->data, q->fresh, sizeof(float) * (size_t)q->numel);
    }
    return 0;
}

// ---- my-l1-init: a remedy with state of its own ---------------------------------------------
// Kumar et al.'s L1 Init, as the built-in `l1-init` does it: its own state made per chain
// (`create`), its first weights taken when the learner starts (`start`), a penalty's gradient
// after each backward, and its state in the chain's checkpoint (`state_arrays`) so that a
// resumed run goes on bit for bit.

typedef struct {
    int64_t n;
    float *theta0; // the first weights
} l1_state;

static int l1_create(void *user, const warmstart_step *s, void **out) {
    (void)user;
    l1_state *st = calloc(1, sizeof *st);
    if (st) st->theta0 = calloc((size_t)s->nweights, sizeof(float));
    if (!st || !st->theta0) return free(st), 1;
    st->n = s->nweights;
    *out = st;
    return 0;
}

static void l1_destroy(void *user, void *state) {
    (void)user;
    l1_state *st = state;
    free(st->theta0), free(st);
}

static int l1_start(void *user, void *state, const warmstart_step *s) {
    (void)user;
    l1_state *st = state;
    memcpy(st->theta0, s->weights, sizeof(float) * (size_t)st->n);
    return 0;
}

// A LayerNorm's parameters ("ln1.weight"; Kumar et al.'s networks: "layer_norm1.weight") are
// left out, as Kumar et al.'s name filter does.
static int is_layer_norm(const char *name) {
    return !strncmp(name, "layer_norm", 10) || (name[0] == 'l' && name[1] == 'n' && isdigit((unsigned char)name[2]));
}

// g += lambda sign(w - theta_0), sign(0) = 0.
static int l1_after_backward(void *user, void *state, const warmstart_step *s) {
    const float lambda = *(const float *)user;
    const l1_state *st = state;
    for (int p = 0; p < s->nparams; p++) {
        const warmstart_param *q = &s->params[p];
        if (is_layer_norm(q->name)) continue;
        const float *t0 = st->theta0 + (q->data - s->weights);
        for (int64_t i = 0; i < q->numel; i++) {
            const float d = q->data[i] - t0[i];
            q->grad[i] += d > 0 ? lambda : d < 0 ? -lambda : 0.0f;
        }
    }
    return 0;
}

static int l1_arrays(void *user, void *state, warmstart_array *out, int cap) {
    (void)user;
    l1_state *st = state;
    if (cap < 1) return -1;
    out[0] = (warmstart_array){.name = "theta0", .data = st->theta0, .n = st->n};
    return 1;
}

// ---- running it -------------------------------------------------------------------------------

static void note(void *user, const char *who, const char *line) {
    (void)user;
    fprintf(stderr, "%s%s%s\n", who ? who : "", who ? ": " : "", line);
}

// Per learner, the mean test accuracy over its rounds and seeds, from the results in long form.
static int print_table(warmstart_context *c, const char *out) {
    warmstart_results *r;
    if (warmstart_results_open(c, out, &r)) return 1;
    const char *names[16];
    double sum[16] = {0};
    int count[16] = {0}, n = 0;
    for (int64_t i = 0; i < warmstart_results_nrows(r); i++) {
        warmstart_row row;
        warmstart_results_row(r, i, &row);
        if (strcmp(row.measure, "test_acc")) continue;
        int j = 0;
        while (j < n && strcmp(names[j], row.learner)) j++;
        if (j == n && n == 16) continue;
        if (j == n) names[n++] = row.learner;
        sum[j] += row.value, count[j]++;
    }
    printf("%-22s %s\n", "learner", "mean test accuracy (rounds x seeds)");
    for (int j = 0; j < n; j++) printf("%-22s %.4f (%d)\n", names[j], sum[j] / count[j], count[j]);
    warmstart_results_free(r);
    return 0;
}

int main(int argc, char **argv) {
    if (argc > 1 && argv[1][0] == '-') { // --help, or a flag taken for OUT: no folder named after it
        fprintf(stderr, "usage: %s [OUT [K]]   (OUT: results/example-custom; K: layers reset, 1)\n", argv[0]);
        return strcmp(argv[1], "--help") && strcmp(argv[1], "-h") ? 2 : 0;
    }
    const char *out = argc > 1 ? argv[1] : "results/example-custom";
    int k = argc > 2 ? atoi(argv[2]) : 1;
    if (k < 1) {
        fprintf(stderr, "error: K must be at least 1\n");
        return 1;
    }
    char name[32], record[64];
    snprintf(name, sizeof name, "reset-last-%d", k);
    snprintf(record, sizeof record, "{\"layers_reset\": %d}", k);
    const warmstart_remedy reset_last = {.begin = reset_last_begin, .record = record};
    float lambda = 0.01f; // as the built-in l1-init:lambda=0.01 beside it
    const warmstart_remedy my_l1 = {.create = l1_create, .destroy = l1_destroy, .start = l1_start,
                                    .after_backward = l1_after_backward, .state_arrays = l1_arrays,
                                    .record = "{\"lambda\": 0.01}"};
    const char *options[][2] = {{"subset", "3000"}, {"k0", "1000"}, {"k", "1000"}, {"seeds", "2"}, {"hidden", "32,32"},
                                {"max-epochs", "40"}, {"learners", "warm,random,head-reset,l1-init:lambda=0.01"}, {"out", out}};
    warmstart_context *c;
    if (warmstart_context_new(0, &c)) return 1;
    warmstart_experiment *e = NULL;
    int st = warmstart_experiment_new(c, "online", &e);
    for (size_t i = 0; i < sizeof options / sizeof *options && !st; i++) st = warmstart_experiment_set(e, options[i][0], options[i][1]);
    if (!st) st = warmstart_experiment_add_remedy(e, name, &reset_last, &k);
    if (!st) st = warmstart_experiment_add_remedy(e, "my-l1-init", &my_l1, &lambda);
    if (!st) st = warmstart_experiment_check(e);
    const warmstart_hooks hooks = {.note = note};
    if (!st) st = warmstart_experiment_run(e, &hooks, NULL, NULL);
    if (!st) st = print_table(c, out);
    if (!st) st = warmstart_report(c, out, NULL);
    if (st) fprintf(stderr, "error: %s\n", warmstart_error(c));
    else printf("\nreport: %s/report.html\n", out);
    warmstart_experiment_free(e);
    warmstart_context_free(c);
    return st ? 1 : 0;
}
