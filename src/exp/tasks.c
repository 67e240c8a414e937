// The task generators (tasks.h). Every random choice comes from a stream named for what it
// draws ("task-examples", "task-eval", "task-permutation", "task-labels", "task-classes") and
// indexed by the task, so a task is the same for every learner and after a resume.
#include "exp/tasks.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"

static const char *const KIND_NAMES[WS_TASKS_KIND_COUNT] = {
    "permuted-input", "random-labels", "permuted-labels", "class-incremental", "five-plus-one"};

const char *ws_task_kind_name(ws_task_kind k) { return k >= 0 && k < WS_TASKS_KIND_COUNT ? KIND_NAMES[k] : "?"; }

ws_status ws_task_kind_parse(ws_ctx *ctx, const char *s, ws_task_kind *out) {
    for (int k = 0; k < WS_TASKS_KIND_COUNT; k++)
        if (!strcmp(s, KIND_NAMES[k])) return *out = (ws_task_kind)k, WS_OK;
    return ws_fail(ctx, WS_ERR_ARG,
                   "--tasks-kind: '%s' is not a task kind (permuted-input, random-labels, permuted-labels, "
                   "class-incremental, five-plus-one)",
                   s);
}

void ws_task_spec_defaults(ws_task_spec *s) {
    memset(s, 0, sizeof *s);
    s->kind = WS_TASKS_PERMUTED_INPUT;
    s->ntasks = 10;
    s->examples = 10000;     // Kumar et al.: unique_samples_per_dataset = 10000 (permuted MNIST)
    s->eval_examples = 1000; // their PermutedMNIST keeps the first 1,000 test images
    s->classes_per_task = 5; // Dohare et al.'s +5 classes a task; Kumar et al.'s hard tasks
    s->small_classes = 1;    // Kumar et al.'s easy tasks
}

static int is_class_based(ws_task_kind k) { return k == WS_TASKS_CLASS_INCREMENTAL || k == WS_TASKS_FIVE_PLUS_ONE; }

ws_status ws_task_spec_check(ws_ctx *ctx, const ws_task_spec *s, int num_classes) {
    if (s->ntasks < 1) return ws_fail(ctx, WS_ERR_ARG, "--tasks: %d tasks; at least 1", s->ntasks);
    if (s->examples < 0 || s->eval_examples < 0)
        return ws_fail(ctx, WS_ERR_ARG, "--task-examples and --task-eval must be >= 0 (0: all)");
    if (!is_class_based(s->kind)) return WS_OK;
    if (s->classes_per_task < 1 || s->classes_per_task > num_classes || s->small_classes < 1 ||
        s->small_classes > num_classes)
        return ws_fail(ctx, WS_ERR_ARG, "--classes-per-task %d / --small-classes %d: each in 1..%d (the data's classes)",
                       s->classes_per_task, s->small_classes, num_classes);
    if (s->kind == WS_TASKS_CLASS_INCREMENTAL && (int64_t)s->classes_per_task * s->ntasks > num_classes)
        return ws_fail(ctx, WS_ERR_ARG,
                       "--tasks %d of %d new classes each need %lld classes; the data has %d (class-incremental "
                       "tasks keep every class seen)",
                       s->ntasks, s->classes_per_task, (long long)s->classes_per_task * s->ntasks, num_classes);
    return WS_OK;
}

void ws_task_free(ws_task *t) {
    ws_dataset_free(&t->train);
    ws_dataset_free(&t->eval);
}

void ws_task_pixel_permutation(uint64_t seed, int t, int32_t *perm, int64_t hw) {
    for (int64_t i = 0; i < hw; i++) perm[i] = (int32_t)i;
    if (t == 0) return; // Kumar et al.'s first task is the data as it is
    ws_rng r = ws_rng_stream(seed, "task-permutation", (uint64_t)t);
    ws_rng_shuffle(&r, perm, hw);
}

void ws_task_label_permutation(uint64_t seed, int t, int32_t *map, int num_classes) {
    for (int c = 0; c < num_classes; c++) map[c] = c;
    if (t == 0) return;
    ws_rng r = ws_rng_stream(seed, "task-labels", (uint64_t)t);
    ws_rng_shuffle(&r, map, num_classes);
}

// Class i of the endless class sequence: shuffles of all the classes one after another, the
// r-th drawn from ("task-classes", r) (Kumar et al.'s generate_class_sequence, repeated so
// that any number of tasks can be drawn).
static int32_t class_at(uint64_t seed, int64_t i, int num_classes, int32_t *scratch) {
    ws_rng r = ws_rng_stream(seed, "task-classes", (uint64_t)(i / num_classes));
    for (int c = 0; c < num_classes; c++) scratch[c] = c;
    ws_rng_shuffle(&r, scratch, num_classes);
    return scratch[i % num_classes];
}

int ws_task_classes(const ws_task_spec *spec, uint64_t seed, int t, int num_classes, int32_t *classes, int cap) {
    int32_t *scratch = ws_sys_malloc(sizeof(int32_t) * (size_t)num_classes);
    if (!scratch) return 0;
    int64_t first, count;
    if (spec->kind == WS_TASKS_CLASS_INCREMENTAL) {
        first = 0, count = (int64_t)spec->classes_per_task * (t + 1);
        if (count > num_classes) count = num_classes;
    } else { // five-plus-one: a large task, then a small one
        const int64_t pair = spec->classes_per_task + spec->small_classes;
        first = (t / 2) * pair + (t % 2 ? spec->classes_per_task : 0);
        count = t % 2 ? spec->small_classes : spec->classes_per_task;
    }
    int n = 0;
    for (int64_t i = first; i < first + count && n < cap; i++) {
        int32_t c = class_at(seed, i, num_classes, scratch);
        int dup = 0; // a task spanning two shuffles may meet a class twice: it counts once
        for (int j = 0; j < n; j++) dup |= classes[j] == c;
        if (!dup) classes[n++] = c;
    }
    free(scratch);
    return n;
}

// The positions of d's examples idx[0..n) whose label is one of classes[0..nc) (all when nc
// is 0), at most `cap` of them (0: all) chosen by a shuffle from (stream, t): into *out.
static ws_status choose(ws_ctx *ctx, const ws_dataset *d, const int32_t *idx, int64_t n, const int32_t *classes, int nc,
                        int64_t cap, uint64_t seed, const char *stream, int t, int32_t **out, int64_t *nout) {
    int32_t *v = ws_alloc(ctx, sizeof(int32_t) * (size_t)(n ? n : 1));
    if (!v) return ws_nomem(ctx);
    int64_t k = 0;
    for (int64_t i = 0; i < n; i++) {
        int keep = nc == 0;
        for (int j = 0; j < nc && !keep; j++) keep = d->y[idx[i]] == classes[j];
        if (keep) v[k++] = idx[i];
    }
    if (cap > 0 && k > cap) {
        ws_rng r = ws_rng_stream(seed, stream, (uint64_t)t);
        ws_rng_shuffle(&r, v, k);
        k = cap;
    }
    *out = v, *nout = k;
    return WS_OK;
}

// out = the examples idx[0..n) of d copied, pixel positions moved by perm (NULL: as they are),
// labels through map (NULL: as they are).
static ws_status copy_examples(ws_ctx *ctx, ws_dataset *out, const ws_dataset *d, const int32_t *idx, int64_t n,
                               const int32_t *perm, const int32_t *map) {
    memset(out, 0, sizeof *out);
    const int64_t ex = ws_dataset_example_size(d), hw = (int64_t)d->h * d->w;
    out->n = n, out->c = d->c, out->h = d->h, out->w = d->w, out->num_classes = d->num_classes;
    out->x = ws_alloc(ctx, (size_t)(n ? n : 1) * (size_t)ex);
    out->y = ws_alloc(ctx, sizeof(int32_t) * (size_t)(n ? n : 1));
    if (!out->x || !out->y) {
        ws_dataset_free(out);
        return ws_nomem(ctx);
    }
    for (int64_t i = 0; i < n; i++) {
        const uint8_t *src = d->x + (int64_t)idx[i] * ex;
        uint8_t *dst = out->x + i * ex;
        if (!perm) memcpy(dst, src, (size_t)ex);
        else
            for (int c = 0; c < d->c; c++)
                for (int64_t p = 0; p < hw; p++) dst[c * hw + p] = src[c * hw + perm[p]];
        const int32_t y = d->y[idx[i]];
        out->y[i] = map ? map[y] : y;
    }
    return WS_OK;
}

// Random labels: the task's labels are its examples' own labels, reshuffled among them
// (Kumar et al.'s RandomLabelEnv: the label vector permuted, so the classes keep their counts).
static void shuffle_labels(ws_dataset *d, uint64_t seed, int t) {
    ws_rng r = ws_rng_stream(seed, "task-labels", (uint64_t)t);
    ws_rng_shuffle(&r, d->y, d->n);
}

ws_status ws_task_make(ws_ctx *ctx, const ws_task_spec *spec, const ws_task_data *data, uint64_t seed, int t,
                       ws_task *out) {
    memset(out, 0, sizeof *out);
    out->index = t;
    const ws_dataset *pd = data->pool_d, *ed = data->eval_d;
    const int nclass = pd->num_classes;
    int32_t *tr = NULL, *ev = NULL, *perm = NULL, *map = NULL, *classes = NULL;
    int64_t ntr = 0, nev = 0;
    int nc = 0;
    ws_status st = WS_OK;
    if (is_class_based(spec->kind)) {
        if (!(classes = ws_alloc(ctx, sizeof(int32_t) * (size_t)nclass))) return ws_nomem(ctx);
        nc = ws_task_classes(spec, seed, t, nclass, classes, nclass);
        out->nclasses = nc < WS_MAX_TASK_CLASSES ? nc : WS_MAX_TASK_CLASSES;
        for (int i = 0; i < out->nclasses; i++) out->classes[i] = classes[i];
    }
    // Which examples: random labels keep one subset for every task; the others draw afresh.
    const int fixed = spec->kind == WS_TASKS_RANDOM_LABELS;
    if ((st = choose(ctx, pd, data->pool, data->n_pool, classes, nc, spec->examples, seed, "task-examples", fixed ? 0 : t,
                     &tr, &ntr)))
        goto done;
    if (!fixed && (st = choose(ctx, ed, data->eval, data->n_eval, classes, nc, spec->eval_examples, seed, "task-eval",
                               is_class_based(spec->kind) ? t : 0, &ev, &nev)))
        goto done;
    if (ntr == 0 || (!fixed && nev == 0)) {
        st = ws_fail(ctx, WS_ERR_ARG, "task %d (%s) has no %s examples", t, ws_task_kind_name(spec->kind),
                     ntr == 0 ? "training" : "held-out");
        goto done;
    }
    if (spec->kind == WS_TASKS_PERMUTED_INPUT) {
        const int64_t hw = (int64_t)pd->h * pd->w;
        if (!(perm = ws_alloc(ctx, sizeof(int32_t) * (size_t)hw))) goto nomem;
        ws_task_pixel_permutation(seed, t, perm, hw);
    }
    if (spec->kind == WS_TASKS_PERMUTED_LABELS) {
        if (!(map = ws_alloc(ctx, sizeof(int32_t) * (size_t)nclass))) goto nomem;
        ws_task_label_permutation(seed, t, map, nclass);
    }
    if ((st = copy_examples(ctx, &out->train, pd, tr, ntr, perm, map))) goto done;
    if (fixed) { // evaluated on the task's own examples and labels
        shuffle_labels(&out->train, seed, t);
        out->eval_is_train = 1;
        int32_t *all = ws_alloc(ctx, sizeof(int32_t) * (size_t)ntr);
        if (!all) goto nomem;
        for (int64_t i = 0; i < ntr; i++) all[i] = (int32_t)i;
        st = copy_examples(ctx, &out->eval, &out->train, all, ntr, NULL, NULL);
        ws_free(all);
    } else {
        st = copy_examples(ctx, &out->eval, ed, ev, nev, perm, map);
    }
    goto done;
nomem:
    st = ws_nomem(ctx);
done:
    ws_free(tr), ws_free(ev), ws_free(perm), ws_free(map), ws_free(classes);
    if (st) ws_task_free(out);
    return st;
}
