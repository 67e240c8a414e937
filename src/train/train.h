// Training: epochs over a seeded shuffle of the given examples until a stopping
// rule holds -- the training accuracy measured on the fly during the epoch
// reaches the threshold; or exactly N epochs (fixed-epoch training); or the
// training accuracy has stopped improving (plateau); or a cap on epochs. The
// on-the-fly accuracy is hits/n over the epoch, or the official code's figure
// (ws_official_acc). Optionally the model is evaluated every E epochs.
#ifndef WS_TRAIN_TRAIN_H
#define WS_TRAIN_TRAIN_H

#include <stdint.h>

#include "core/ctx.h"
#include "data/dataset.h"
#include "nn/model.h"
#include "optim/optim.h"

// A training run normalises its examples once into floats when they take at most this many
// bytes (CIFAR-10's 33,333 paper-protocol training images take 410 MB, its 50,000 614 MB); a
// larger set is normalised batch by batch, every epoch. The same bits either way.
#define WS_TRAIN_ROWS_MAX_BYTES ((uint64_t)1 << 30)

struct ws_epoch_record;
// Called with the model after every epoch (measurements between epochs); it
// may run forwards and backwards but must leave the weights as they are.
typedef void (*ws_epoch_model_fn)(void *user, ws_model *m, const struct ws_epoch_record *rec);
// A hook inside each step, given the batch size b (a learner's: learn/learner.h).
typedef ws_status (*ws_step_hook)(void *user, ws_model *m, ws_optim *opt, int b);
// A measurement between steps (the gradient norms of the paper's Figure 5): called before the
// first step (step 0) and after every probe_every-th update with the number of steps taken. It
// may run forwards and backwards but must leave the weights, BatchNorm buffers and optimizer
// as they are, so that training goes on bit for bit as without it; its time is not counted.
typedef ws_status (*ws_probe_fn)(void *user, ws_model *m, int64_t step);
struct ws_train_result;
// A snapshot along a fixed-epoch run (ws_train_config.snap_at): called after epoch E with the
// model and `run`, the run as one of exactly E epochs would return it. It may evaluate and
// measure the model but must leave it (weights, BatchNorm buffers) and the optimizer as they are;
// `run` is the callback's to keep (ws_train_result_free). Its time is not counted.
typedef ws_status (*ws_snapshot_fn)(void *user, ws_model *m, const ws_optim *opt, struct ws_train_result *run);

// How an epoch's training accuracy is measured on the fly.
typedef enum {
    WS_TRAIN_ACC_EPOCH,    // hits / examples over the epoch
    WS_TRAIN_ACC_OFFICIAL, // the official run.py's weighted figure (ws_official_acc)
} ws_train_acc_kind;

// Why a run stopped.
typedef enum {
    WS_STOP_THRESHOLD, // the training accuracy reached the threshold
    WS_STOP_EPOCHS,    // fixed-epoch training: the N epochs are done
    WS_STOP_PLATEAU,   // the training accuracy did not improve for `plateau` epochs
    WS_STOP_CAP,       // max_epochs before any of the above
    WS_STOP_STEPS,     // a step budget: exactly max_steps updates (the task sequences' tasks)
} ws_stop_reason;
const char *ws_stop_reason_name(ws_stop_reason r); // "threshold", "epochs", "plateau", "cap", "steps"
const char *ws_train_acc_kind_name(ws_train_acc_kind k); // "epoch", "official"

// Per step, after the update: the batch's size, its correct predictions and mean loss
// (measured in the forward before the update, as the official code does).
typedef void (*ws_batch_fn)(void *user, int64_t step, int b, int correct, double loss);

typedef struct {
    int batch;          // mini-batch size; the last batch of an epoch may be smaller
    double threshold;   // stop once the epoch's training accuracy >= threshold
    int max_epochs;     // cap (0: none, as the official code)
    int epochs;         // > 0: exactly this many epochs; no threshold, plateau or cap
    int plateau;        // > 0: stop when the training accuracy has not exceeded its best for this many epochs
    int64_t max_steps;  // > 0: exactly this many updates, the last epoch cut short where they end; no
                        // threshold, plateau or cap (not with `epochs`)
    int drop_last;      // 1: an epoch's last batch, when smaller than `batch`, is left out (each epoch a
                        // fresh shuffle, so every example still comes round)
    ws_train_acc_kind train_acc;
    // Evaluation during training: every `eval_every` epochs (and after the last), the test
    // accuracy and loss on eval_idx[0..eval_n) of eval_d go into the epoch's record. It
    // changes nothing of the training (eval-mode forwards only).
    int eval_every;
    const ws_dataset *eval_d;
    const int32_t *eval_idx;
    int64_t eval_n;
    int eval_batch;
    ws_batch_fn on_batch; // optional: every step's batch result
    void *on_batch_user;
    int normalise_per_batch; // 1: normalise every batch from the bytes, every epoch, even when the
                             // examples fit WS_TRAIN_ROWS_MAX_BYTES as floats (the same bits; for tests)
    ws_augment augment; // training-batch augmentation (off: zeros), drawn from the
                        // stream ("augment", order_stream * 1000003 + epoch)
    // Regularisers of the training loss (0: off; with both off a step is bit for bit the
    // plain one). The epoch's recorded loss and accuracy stay those of the plain
    // cross-entropy on the clean batch, as with weight decay and the learners' penalties,
    // which also change only the gradient.
    double confidence_penalty; // beta: the loss is CE - beta * H(softmax), H the mean entropy
                               // (Pereyra et al. 2017; ws_backward_opts)
    double fgsm_eps;           // epsilon: FGSM adversarial training (Goodfellow et al. 2015) with
                               // alpha = 0.5: each step's gradient is 0.5 grad L(x) + 0.5 grad
                               // L(x_adv), x_adv = x + eps * sign(grad_x L(x)), x the normalised
                               // batch (eps in normalised-input units, no clipping to the pixel
                               // range); L includes the confidence penalty when that is on. The
                               // adversarial forward is a training-mode forward like the clean
                               // one: BatchNorm uses its batch's statistics and its running
                               // statistics are updated by both (num_batches_tracked += 2 per
                               // step), as two model() calls in PyTorch would.
    ws_epoch_model_fn after_epoch; // optional
    void *after_epoch_user;
    ws_step_hook after_backward;   // optional: after the gradient, before the update (a penalty's gradient)
    ws_step_hook update;           // optional: the update itself, instead of ws_optim_step (UPGD)
    ws_step_hook after_step;       // optional: after the update (continual backprop's replacements)
    void *hook_user;
    int probe_every;               // > 0 with probe: measure every this many steps (and before the first)
    ws_probe_fn probe;
    void *probe_user;
    // Snapshots of a fixed-epoch run (`epochs` > 0): after each epoch snap_at[0..nsnap) (ascending,
    // each < epochs), snap is given the run as far as it has gone, as a run of exactly that many
    // epochs would end it: its epoch log (its last epoch evaluated when eval_every is on, as a
    // run's last epoch is; that evaluation is the snapshot's, not written into this run's log),
    // its steps, stop "epochs", converged. Every epoch draws from streams named by its number
    // (order, augmentation), so a run of E epochs is the first E epochs of a longer one, bit for
    // bit: the shorter runs of a sweep over the epochs are snapshots of the longest (exp/share.h).
    const int *snap_at;
    int nsnap;
    ws_snapshot_fn snap;
    void *snap_user;
} ws_train_config;

typedef struct ws_epoch_record {
    int epoch;          // 1-based
    double loss;        // mean over the epoch's examples
    double train_acc;   // on-the-fly accuracy over the epoch (the config's kind: the stopping rules read it)
    double hit_rate;    // hits / examples over the epoch (= train_acc when that is the epoch's kind)
    double seconds;     // wall time of the epoch (evaluation excluded)
    int evaluated;      // test_acc and test_loss hold the evaluation after this epoch (eval_every)
    double test_acc, test_loss;
} ws_epoch_record;

typedef struct ws_train_result {
    ws_epoch_record *epochs; // nepochs entries (owned; ws_train_result_free)
    int nepochs;
    int64_t steps;
    double seconds;
    int converged;           // stopped by its rule (threshold, epochs or plateau), not by the cap
    ws_stop_reason stop;
    double train_acc, loss;  // of the last epoch
    int diverged_epoch;      // set when training stopped with WS_ERR_NUMERIC (loss or weights not finite)
} ws_train_result;

// The official code's on-the-fly training accuracy (JordanAsh/warm_start run.py,
// train()): after every batch, the running correct and total of the current window
// are added to the epoch's sums, and the window restarts after batch indices 10, 20,
// 30, ... (0-based): the first window holds 11 batches, the others 10. The figure
// is the ratio of the sums, so a window's earlier batches weigh more.
typedef struct {
    double acc_sum, samples_sum; // the epoch's totalAcc and totalSamps
    int64_t correct, total;      // the window's running counts
    int64_t batch_index;         // 0-based batch index in the epoch
} ws_official_acc;
void ws_official_acc_begin(ws_official_acc *a); // a new epoch
void ws_official_acc_add(ws_official_acc *a, int correct, int b);
double ws_official_acc_value(const ws_official_acc *a);

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
