// Training to a threshold: epochs over a seeded shuffle of the given examples
// until the training accuracy measured on the fly during the epoch (as the
// official code) reaches the threshold, or a cap on epochs.
#ifndef WS_TRAIN_TRAIN_H
#define WS_TRAIN_TRAIN_H

#include <stdint.h>

#include "core/ctx.h"
#include "data/dataset.h"
#include "nn/model.h"
#include "optim/optim.h"

struct ws_epoch_record;
// Called with the model after every epoch (measurements between epochs); it
// may run forwards and backwards but must leave the weights as they are.
typedef void (*ws_epoch_model_fn)(void *user, ws_model *m, const struct ws_epoch_record *rec);
// A hook inside each step, given the batch size b (a learner's: learn/learner.h).
typedef ws_status (*ws_step_hook)(void *user, ws_model *m, ws_optim *opt, int b);

typedef struct {
    int batch;          // mini-batch size; the last batch of an epoch may be smaller
    double threshold;   // stop once the epoch's training accuracy >= threshold
    int max_epochs;     // cap
    ws_augment augment; // training-batch augmentation (off: zeros), drawn from the
                        // stream ("augment", order_stream * 1000003 + epoch)
    ws_epoch_model_fn after_epoch; // optional
    void *after_epoch_user;
    ws_step_hook after_backward;   // optional: after the gradient, before the update (a penalty's gradient)
    ws_step_hook after_step;       // optional: after the update (continual backprop's replacements)
    void *hook_user;
} ws_train_config;

typedef struct ws_epoch_record {
    int epoch;          // 1-based
    double loss;        // mean over the epoch's examples
    double train_acc;   // on-the-fly accuracy over the epoch
    double seconds;     // wall time of the epoch
} ws_epoch_record;

typedef struct {
    ws_epoch_record *epochs; // nepochs entries (owned; ws_train_result_free)
    int nepochs;
    int64_t steps;
    double seconds;
    int converged;           // reached the threshold before the cap
    double train_acc, loss;  // of the last epoch
    int diverged_epoch;      // set when training stopped with WS_ERR_NUMERIC (loss or weights not finite)
} ws_train_result;

// Called after every epoch (progress display); may be NULL.
typedef void (*ws_epoch_fn)(void *user, const ws_epoch_record *rec);

// The order of examples in epoch e is a shuffle of idx drawn from the stream
// ("shuffle", order_stream, e): two runs given the same order_stream see the
// same batches whatever their models.
ws_status ws_train_to_threshold(ws_ctx *ctx, ws_model *m, ws_optim *opt, const ws_dataset *d, const ws_norm *norm,
                                const int32_t *idx, int64_t n, const ws_train_config *cfg, uint64_t seed,
                                uint64_t order_stream, ws_epoch_fn on_epoch, void *user, ws_train_result *out);
void ws_train_result_free(ws_train_result *r);

// Measurements that need gradients without training: for each batch of
// idx[0..n) (in that order, up to `batch` examples), a training-mode forward
// and backward of the batch's mean loss, then fn(user, m, b) reads m->g. The
// weights are not touched; BatchNorm's running statistics are restored and
// the gradient arena zeroed at the end.
typedef void (*ws_batch_grad_fn)(void *user, const ws_model *m, int b);
ws_status ws_each_batch_gradient(ws_ctx *ctx, ws_model *m, const ws_dataset *d, const ws_norm *norm,
                                 const int32_t *idx, int64_t n, int batch, ws_batch_grad_fn fn, void *user);

// Accuracy and mean loss of m (eval mode) on examples idx[0..n), in batches.
ws_status ws_evaluate(ws_ctx *ctx, ws_model *m, const ws_dataset *d, const ws_norm *norm, const int32_t *idx,
                      int64_t n, int batch, double *acc, double *loss);

#endif
