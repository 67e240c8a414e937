// Datasets in memory: pixels as uint8 (N, C, H, W) and int32 labels, normalised
// to float only when a batch is gathered (a 256-entry table per channel), which
// keeps Fashion-MNIST at 47 MB instead of 188 MB and costs ~0.1 ms a batch.
#ifndef WS_DATA_DATASET_H
#define WS_DATA_DATASET_H

#include <stdint.h>

#include "core/ctx.h"
#include "core/rng.h"

#define WS_MAX_CHANNELS 4
#define WS_CLASS_NAME 64

typedef struct {
    int64_t n;
    int c, h, w;
    int num_classes;
    uint8_t *x;   // (n, c, h, w)
    int32_t *y;   // (n)
} ws_dataset;

typedef struct {
    int channels;
    float mean[WS_MAX_CHANNELS]; // in units of x/255
    float std[WS_MAX_CHANNELS];
} ws_norm;

// A named source, as given by --data NAME[:PATH]: official train and test splits.
typedef struct {
    char name[32];          // "fashion-mnist", "mnist", "cifar10", "cifar100", "svhn", "folder"
    char root[1024];        // folder the files were read from
    char labels[16];        // which labels: "fine" / "coarse" (CIFAR-100), else "class"
    int num_classes;
    char (*class_names)[WS_CLASS_NAME]; // num_classes names (from the dataset's files, or "0", "1", ...)
    ws_dataset train, test;
    double load_seconds;
} ws_source;

// Choices a source may offer.
typedef struct {
    int cifar100_coarse;    // CIFAR-100: the 20 coarse labels instead of the 100 fine ones
    int svhn_extra;         // SVHN: add extra_32x32.mat (531,131 images) to the training split
} ws_source_opts;

void ws_dataset_free(ws_dataset *d);
static inline int64_t ws_dataset_example_size(const ws_dataset *d) { return (int64_t)d->c * d->h * d->w; }

// IDX (MNIST format), plain or gzip'd, images (magic 0x803) + labels (0x801).
// `num_classes` > 0 bounds the labels; 0 infers max+1.
ws_status ws_idx_load(ws_ctx *ctx, ws_dataset *out, const char *images_path, const char *labels_path,
                      int num_classes);

// Load a named source (data/source.c): NAME[:PATH] with NAME one of
//   fashion-mnist, mnist   IDX files train-images-idx3-ubyte[.gz], ... in PATH
//   cifar10                data_batch_1..5.bin, test_batch.bin [, batches.meta.txt]
//   cifar100               train.bin, test.bin [, fine_label_names.txt, coarse_label_names.txt]
//   svhn                   train_32x32.mat, test_32x32.mat [, extra_32x32.mat]
//   folder                 PATH/train/<class>/*.png|jpg, PATH/test/<class>/...
// Without a PATH: $WARMSTART_DATA/NAME, and for fashion-mnist (when that folder is not
// there) Debian's /usr/share/datasets/fashion-mnist. The official archives' own folder
// names (cifar-10-batches-bin, cifar-100-binary) are looked into as well. opts may be NULL.
ws_status ws_source_load(ws_ctx *ctx, ws_source *src, const char *spec, const ws_source_opts *opts);
void ws_source_free(ws_source *src);

// A source made of the examples of classes [lo, hi) of src, relabelled 0..hi-lo-1.
ws_status ws_source_select_classes(ws_ctx *ctx, ws_source *out, const ws_source *src, int lo, int hi);

// Per-channel mean and std (population) of the examples idx[0..n) (all if idx NULL).
void ws_norm_from_data(ws_norm *norm, const ws_dataset *d, const int32_t *idx, int64_t n);
// The paper's (x/255 - 0.5) / 0.5 for every channel.
void ws_norm_paper(ws_norm *norm, int channels);

// Gather examples idx[0..B) normalised into x (B, C*H*W) and labels into y.
void ws_gather(float *x, int32_t *y, const ws_dataset *d, const ws_norm *norm, const int32_t *idx, int B);

// Examples idx[0..n) normalised into rows (n, C*H*W), the same floats ws_gather gives: a
// training run normalises its examples once (ws_normalise_rows) and then assembles each batch
// by copying rows (ws_gather_rows): x[b] = rows[pos[b]], y[b] = d->y[idx[pos[b]]], b < B.
void ws_normalise_rows(float *rows, const ws_dataset *d, const ws_norm *norm, const int32_t *idx, int64_t n);
void ws_gather_rows(float *x, int32_t *y, const float *rows, const ws_dataset *d, const int32_t *idx,
                    const int32_t *pos, int B);

// Training-time augmentation, as torchvision's RandomCrop(size, padding=pad)
// then RandomHorizontalFlip(): each example is shifted by (dy, dx), both
// uniform in [-pad, pad], with the pixels that come from outside the image
// black (0 before normalisation), then mirrored left-right with probability
// 1/2 when `flip`. Off (pad 0, flip 0) by default.
typedef struct {
    int pad;
    int flip;
} ws_augment;

static inline int ws_augment_on(const ws_augment *a) { return a && (a->pad > 0 || a->flip); }

// ws_gather with augmentation: the random choices of all B examples are drawn
// from rng first, in order (so they depend on neither threads nor timing).
void ws_gather_augmented(float *x, int32_t *y, const ws_dataset *d, const ws_norm *norm, const int32_t *idx, int B,
                         const ws_augment *aug, ws_rng *rng);

#endif
