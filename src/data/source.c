// Named sources (--data NAME[:PATH]): where each dataset's files are, which
// loader reads them, and what to say when they are not there.
#define _POSIX_C_SOURCE 200809L
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/file.h"
#include "data/dataset.h"
#include "data/loaders.h"

void ws_source_free(ws_source *src) {
    ws_dataset_free(&src->train);
    ws_dataset_free(&src->test);
    ws_free(src->class_names);
    src->class_names = NULL;
}

static int is_file(const char *p) {
    struct stat st;
    return stat(p, &st) == 0 && !S_ISDIR(st.st_mode);
}
static int is_dir(const char *p) {
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

// Find "<dir>/<base>" or "<dir>/<base>.gz"; returns 0 if neither exists.
static int find_idx(char *out, size_t cap, const char *dir, const char *base) {
    snprintf(out, cap, "%s/%s.gz", dir, base);
    if (is_file(out)) return 1;
    snprintf(out, cap, "%s/%s", dir, base);
    return stat(out, &(struct stat){0}) == 0; // a directory here is reported by the loader
}

static const char *const FASHION_CLASSES[10] = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                                "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};

static ws_status set_names(ws_ctx *ctx, ws_source *src, int n, const char *const *names) {
    src->num_classes = n;
    src->class_names = ws_alloc(ctx, sizeof *src->class_names * (size_t)n);
    if (!src->class_names) return ws_nomem(ctx);
    for (int i = 0; i < n; i++) {
        if (names) snprintf(src->class_names[i], WS_CLASS_NAME, "%s", names[i]);
        else snprintf(src->class_names[i], WS_CLASS_NAME, "%d", i);
    }
    return WS_OK;
}

// Class names from a text file of one name per line (blank lines ignored), if
// it exists; else "0", "1", ... A file with the wrong number of names is an error.
static ws_status names_from_file(ws_ctx *ctx, ws_source *src, const char *path, int n) {
    ws_status st = set_names(ctx, src, n, NULL);
    if (st || !is_file(path)) return st;
    uint8_t *buf;
    size_t len;
    if ((st = ws_file_read(ctx, path, "class-name file", &buf, &len))) return st;
    int k = 0;
    for (size_t i = 0; i < len;) {
        size_t j = i;
        while (j < len && buf[j] != '\n') j++;
        size_t a = i, b = j;
        while (a < b && isspace(buf[a])) a++;
        while (b > a && isspace(buf[b - 1])) b--;
        if (b > a) {
            if (k < n) snprintf(src->class_names[k], WS_CLASS_NAME, "%.*s", (int)(b - a), (const char *)buf + a);
            k++;
        }
        i = j + 1;
    }
    ws_free(buf);
    if (k != n) return ws_fail(ctx, WS_ERR_FORMAT, "%s: %d class names, expected %d (one per line)", path, k, n);
    return WS_OK;
}

// dir itself, or dir/<sub> when that holds the first expected file (the
// official archives unpack into cifar-10-batches-bin/, cifar-100-binary/).
static void descend(char *dir, size_t cap, const char *sub, const char *probe) {
    char a[1200], b[1200];
    snprintf(a, sizeof a, "%s/%s", dir, probe);
    snprintf(b, sizeof b, "%s/%s/%s", dir, sub, probe);
    if (!is_file(a) && is_file(b)) {
        size_t n = strlen(dir);
        snprintf(dir + n, cap - n, "/%s", sub);
    }
}

static ws_status need(ws_ctx *ctx, const ws_source *src, char *path, size_t cap, const char *file, const char *all,
                      const char *where) {
    snprintf(path, cap, "%s/%s", src->root, file);
    if (stat(path, &(struct stat){0}) == 0) return WS_OK;
    return ws_fail(ctx, WS_ERR_IO, "%s: missing %s in %s (expected %s; get them from %s)", src->name, file, src->root,
                   all, where);
}

static ws_status load_idx(ws_ctx *ctx, ws_source *src, int fashion) {
    static const char *const files[4] = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
                                          "t10k-labels-idx1-ubyte"};
    char paths[4][1200];
    for (int i = 0; i < 4; i++)
        if (!find_idx(paths[i], sizeof paths[i], src->root, files[i]))
            return ws_fail(ctx, WS_ERR_IO,
                           "%s: missing %s[.gz] in %s (expected the four IDX files train-images-idx3-ubyte, "
                           "train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte%s)",
                           src->name, files[i], src->root,
                           fashion ? "; on Debian: apt-get install dataset-fashion-mnist"
                                   : "; from http://yann.lecun.com/exdb/mnist/");
    ws_status st = ws_idx_load(ctx, &src->train, paths[0], paths[1], 10);
    if (!st) st = ws_idx_load(ctx, &src->test, paths[2], paths[3], 10);
    if (!st) st = set_names(ctx, src, 10, fashion ? FASHION_CLASSES : NULL);
    return st;
}

static ws_status load_cifar10(ws_ctx *ctx, ws_source *src) {
    static const char *all = "data_batch_1.bin .. data_batch_5.bin and test_batch.bin, the CIFAR-10 binary version";
    static const char *where = "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz";
    descend(src->root, sizeof src->root, "cifar-10-batches-bin", "data_batch_1.bin");
    char paths[6][1200];
    const char *ptrs[6];
    ws_status st;
    for (int i = 0; i < 6; i++) {
        char file[32];
        if (i < 5) snprintf(file, sizeof file, "data_batch_%d.bin", i + 1);
        else snprintf(file, sizeof file, "test_batch.bin");
        if ((st = need(ctx, src, paths[i], sizeof paths[i], file, all, where))) return st;
        ptrs[i] = paths[i];
    }
    ws_cifar_format fmt = {.label_bytes = 1, .label_index = 0, .num_classes = 10};
    if ((st = ws_cifar_load(ctx, &src->train, ptrs, 5, &fmt))) return st;
    if ((st = ws_cifar_load(ctx, &src->test, ptrs + 5, 1, &fmt))) return st;
    char meta[1200];
    snprintf(meta, sizeof meta, "%s/batches.meta.txt", src->root);
    return names_from_file(ctx, src, meta, 10);
}

static ws_status load_cifar100(ws_ctx *ctx, ws_source *src, int coarse) {
    static const char *all = "train.bin and test.bin, the CIFAR-100 binary version";
    static const char *where = "https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz";
    descend(src->root, sizeof src->root, "cifar-100-binary", "train.bin");
    char tr[1200], te[1200], names[1200];
    ws_status st;
    if ((st = need(ctx, src, tr, sizeof tr, "train.bin", all, where))) return st;
    if ((st = need(ctx, src, te, sizeof te, "test.bin", all, where))) return st;
    ws_cifar_format fmt = {.label_bytes = 2, .label_index = coarse ? 0 : 1, .num_classes = coarse ? 20 : 100};
    const char *p1[1] = {tr}, *p2[1] = {te};
    if ((st = ws_cifar_load(ctx, &src->train, p1, 1, &fmt))) return st;
    if ((st = ws_cifar_load(ctx, &src->test, p2, 1, &fmt))) return st;
    snprintf(names, sizeof names, "%s/%s_label_names.txt", src->root, coarse ? "coarse" : "fine");
    return names_from_file(ctx, src, names, fmt.num_classes);
}

// Append b's examples to a (same shape).
static ws_status append(ws_ctx *ctx, ws_dataset *a, const ws_dataset *b) {
    const size_t ex = (size_t)ws_dataset_example_size(a);
    uint8_t *x = ws_alloc(ctx, ex * (size_t)(a->n + b->n));
    int32_t *y = ws_alloc(ctx, sizeof(int32_t) * (size_t)(a->n + b->n));
    if (!x || !y) {
        ws_free(x), ws_free(y);
        return ws_nomem(ctx);
    }
    memcpy(x, a->x, ex * (size_t)a->n);
    memcpy(x + ex * (size_t)a->n, b->x, ex * (size_t)b->n);
    memcpy(y, a->y, sizeof(int32_t) * (size_t)a->n);
    memcpy(y + a->n, b->y, sizeof(int32_t) * (size_t)b->n);
    ws_free(a->x), ws_free(a->y);
    a->x = x, a->y = y, a->n += b->n;
    return WS_OK;
}

static ws_status load_svhn(ws_ctx *ctx, ws_source *src, int extra) {
    static const char *all = "train_32x32.mat and test_32x32.mat (and extra_32x32.mat with the extra split), SVHN "
                             "format 2";
    static const char *where = "http://ufldl.stanford.edu/housenumbers/";
    char tr[1200], te[1200], ex[1200];
    ws_status st;
    if ((st = need(ctx, src, tr, sizeof tr, "train_32x32.mat", all, where))) return st;
    if ((st = need(ctx, src, te, sizeof te, "test_32x32.mat", all, where))) return st;
    if (extra && (st = need(ctx, src, ex, sizeof ex, "extra_32x32.mat", all, where))) return st;
    if ((st = ws_svhn_load(ctx, &src->train, tr))) return st;
    if ((st = ws_svhn_load(ctx, &src->test, te))) return st;
    if (extra) {
        ws_dataset more;
        if ((st = ws_svhn_load(ctx, &more, ex))) return st;
        st = append(ctx, &src->train, &more);
        ws_dataset_free(&more);
        if (st) return st;
    }
    return set_names(ctx, src, 10, NULL);
}

static ws_status load_folder(ws_ctx *ctx, ws_source *src) {
    char tr[1200], te[1200];
    snprintf(tr, sizeof tr, "%s/train", src->root);
    snprintf(te, sizeof te, "%s/test", src->root);
    if (!is_dir(tr) || !is_dir(te))
        return ws_fail(ctx, WS_ERR_IO, "folder: missing %s (expected %s/train/<class>/*.png|jpg and %s/test/<class>/...)",
                       is_dir(tr) ? te : tr, src->root, src->root);
    ws_status st = ws_folder_load(ctx, &src->train, tr, &src->class_names, &src->num_classes, 0);
    if (!st) st = ws_folder_load(ctx, &src->test, te, &src->class_names, &src->num_classes, src->train.c);
    return st;
}

ws_status ws_source_load(ws_ctx *ctx, ws_source *src, const char *spec, const ws_source_opts *opts) {
    static const ws_source_opts none = {0};
    if (!opts) opts = &none;
    memset(src, 0, sizeof *src);
    double t0 = ws_now();
    const char *colon = strchr(spec, ':');
    size_t nlen = colon ? (size_t)(colon - spec) : strlen(spec);
    if (nlen == 0 || nlen >= sizeof src->name) return ws_fail(ctx, WS_ERR_ARG, "--data '%s': missing dataset name", spec);
    memcpy(src->name, spec, nlen);
    src->name[nlen] = 0;
    static const char *const known[] = {"fashion-mnist", "mnist", "cifar10", "cifar100", "svhn", "folder"};
    int kind = -1;
    for (int i = 0; i < 6; i++)
        if (!strcmp(src->name, known[i])) kind = i;
    if (kind < 0)
        return ws_fail(ctx, WS_ERR_ARG,
                       "--data '%s': unknown dataset '%s' (expected fashion-mnist, mnist, cifar10, cifar100, svhn or "
                       "folder:DIR)",
                       spec, src->name);
    if (opts->cifar100_coarse && kind != 3)
        return ws_fail(ctx, WS_ERR_ARG, "--labels coarse is for cifar100 (%s has one kind of label)", src->name);
    const char *env = getenv("WARMSTART_DATA");
    if (colon && colon[1]) snprintf(src->root, sizeof src->root, "%s", colon + 1);
    else if (kind == 5) return ws_fail(ctx, WS_ERR_ARG, "--data folder needs its root: --data folder:DIR");
    else if (env && *env) snprintf(src->root, sizeof src->root, "%s/%s", env, src->name);
    // Fashion-MNIST is always there (Debian's package): $WARMSTART_DATA holding the other
    // datasets does not hide it.
    if (kind == 0 && !(colon && colon[1]) && (!env || !*env || access(src->root, F_OK)))
        snprintf(src->root, sizeof src->root, "/usr/share/datasets/fashion-mnist");
    else if (!src->root[0]) {
        static const char *const from[] = {"", "http://yann.lecun.com/exdb/mnist/",
                                           "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz",
                                           "https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz",
                                           "http://ufldl.stanford.edu/housenumbers/ (train_32x32.mat, test_32x32.mat)"};
        return ws_fail(ctx, WS_ERR_ARG, "--data %s needs a folder: --data %s:DIR, or $WARMSTART_DATA/%s (the files: %s)",
                       src->name, src->name, src->name, from[kind]);
    }
    snprintf(src->labels, sizeof src->labels, "%s", kind == 3 ? (opts->cifar100_coarse ? "coarse" : "fine") : "class");
    ws_status st;
    switch (kind) {
    case 0: case 1: st = load_idx(ctx, src, kind == 0); break;
    case 2: st = load_cifar10(ctx, src); break;
    case 3: st = load_cifar100(ctx, src, opts->cifar100_coarse); break;
    case 4: st = load_svhn(ctx, src, opts->svhn_extra); break;
    default: st = load_folder(ctx, src); break;
    }
    if (!st && (src->train.c != src->test.c || src->train.h != src->test.h || src->train.w != src->test.w))
        st = ws_fail(ctx, WS_ERR_FORMAT, "%s: training images are %dx%dx%d but test images are %dx%dx%d", src->root,
                     src->train.c, src->train.h, src->train.w, src->test.c, src->test.h, src->test.w);
    if (!st && src->train.c > WS_MAX_CHANNELS)
        st = ws_fail(ctx, WS_ERR_FORMAT, "%s: %d channels (at most %d)", src->root, src->train.c, WS_MAX_CHANNELS);
    if (st) {
        ws_source_free(src);
        return st;
    }
    src->train.num_classes = src->test.num_classes = src->num_classes;
    src->load_seconds = ws_now() - t0;
    return WS_OK;
}

static ws_status select_split(ws_ctx *ctx, ws_dataset *out, const ws_dataset *d, int lo, int hi) {
    memset(out, 0, sizeof *out);
    int64_t n = 0;
    for (int64_t i = 0; i < d->n; i++) n += d->y[i] >= lo && d->y[i] < hi;
    const size_t ex = (size_t)ws_dataset_example_size(d);
    *out = (ws_dataset){.n = n, .c = d->c, .h = d->h, .w = d->w, .num_classes = hi - lo};
    out->x = ws_alloc(ctx, ex * (size_t)(n ? n : 1));
    out->y = ws_alloc(ctx, sizeof(int32_t) * (size_t)(n ? n : 1));
    if (!out->x || !out->y) {
        ws_dataset_free(out);
        return ws_nomem(ctx);
    }
    int64_t k = 0;
    for (int64_t i = 0; i < d->n; i++)
        if (d->y[i] >= lo && d->y[i] < hi) {
            memcpy(out->x + ex * (size_t)k, d->x + ex * (size_t)i, ex);
            out->y[k++] = d->y[i] - lo;
        }
    return WS_OK;
}

ws_status ws_source_select_classes(ws_ctx *ctx, ws_source *out, const ws_source *src, int lo, int hi) {
    memset(out, 0, sizeof *out);
    if (lo < 0 || hi > src->num_classes || hi - lo < 2)
        return ws_fail(ctx, WS_ERR_ARG, "%s: classes %d..%d are not a range of at least 2 of its %d classes", src->name,
                       lo, hi - 1, src->num_classes);
    snprintf(out->name, sizeof out->name, "%.20s[%d-%d]", src->name, lo, hi - 1);
    snprintf(out->root, sizeof out->root, "%s", src->root);
    snprintf(out->labels, sizeof out->labels, "%s", src->labels);
    out->num_classes = hi - lo;
    out->class_names = ws_alloc(ctx, sizeof *out->class_names * (size_t)out->num_classes);
    ws_status st = out->class_names ? WS_OK : ws_nomem(ctx);
    for (int c = lo; c < hi && !st; c++) memcpy(out->class_names[c - lo], src->class_names[c], WS_CLASS_NAME);
    if (!st) st = select_split(ctx, &out->train, &src->train, lo, hi);
    if (!st) st = select_split(ctx, &out->test, &src->test, lo, hi);
    if (st) ws_source_free(out);
    return st;
}
