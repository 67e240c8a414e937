// The task-sequence scenario (continual learning; docs/CONTINUAL.md): one network per learner
// meets a sequence of tasks (exp/tasks.h), training a fixed number of steps (or epochs) on
// each, every learner on the same tasks and the same batches. `random` is a fresh network at
// every task: what full plasticity gives, so a learner's loss of plasticity is its paired gap
// to random, task by task. Per task and learner the records hold the average online accuracy
// (each batch's accuracy in the forward before its update, averaged over the task: Kumar et
// al.'s curr_task_online_avg_acc, main.py), the accuracy on the task's held-out examples at its
// end, the steps until the online accuracy over a window first reached a target, and seconds.
#ifndef WS_EXP_CONTINUAL_H
#define WS_EXP_CONTINUAL_H

#include <cjson/cJSON.h>

#include "exp/setup.h"
#include "exp/tasks.h"

typedef struct {
    ws_setup base;           // data, model, optimizer, batch, learners, seeds
    ws_task_spec tasks;
    int64_t steps;           // updates per task (Kumar et al.'s task duration), or
    int task_epochs;         // passes over each task's examples (> 0 instead of steps)
    double target;           // steps to target: the online accuracy over the last `window` steps reaches this
    int window;
} ws_continual_config;

void ws_continual_config_defaults(ws_continual_config *cfg);
ws_status ws_continual_config_check(ws_ctx *ctx, const ws_continual_config *cfg);

#define WS_MAX_RECORD_CLASSES 128

typedef struct {
    int task;                     // 0-based
    int64_t n_train, n_eval;
    int nclasses;                 // class-based kinds: the task's classes (the first 128)
    int classes[WS_MAX_RECORD_CLASSES];
    ws_train_result train;        // steps, epochs, seconds, the last epoch's accuracy (no epoch log kept)
    double online_acc;            // hits / examples over the task's steps, each counted before its update
    double test_acc, test_loss;   // on the task's held-out examples at its end (random labels: its own)
    int64_t steps_to_target;      // the first step (1-based) at which the online accuracy over the last
                                  // `window` steps reached the target (so never before step `window`);
                                  // -1: not in the task
    double cum_seconds;           // this learner's training seconds up to and including this task
    int64_t units_replaced;       // units replaced or reset in the task, its begin included (cbp, the remedies)
    ws_inside *inside;            // measured inside at the task's end on a probe of its held-out examples
                                  // (owned; NULL: none)
} ws_continual_task;
// A task's owned parts (its epoch log, its measurement inside) freed.
void ws_continual_task_free(ws_continual_task *t);

typedef struct {
    uint64_t seed;
    int64_t n_pool, n_eval;
    ws_norm norm;
    int ntasks, nlearners;
    char learner_names[WS_MAX_LEARNERS][64];
    ws_continual_task *tasks;     // [learner * ntasks + task]
} ws_continual_seed_result;

// One learner's tasks on one seed: a chain, stepped task by task, saved and loaded between
// tasks so that a resumed chain goes on bit for bit.
typedef struct ws_continual_chain ws_continual_chain;
ws_status ws_continual_chain_open(ws_ctx *ctx, const ws_continual_config *cfg, const ws_source *src, int seed_index,
                                  int learner, ws_continual_chain **out);
void ws_continual_chain_close(ws_continual_chain *c);
int ws_continual_chain_tasks(const ws_continual_chain *c);
int ws_continual_chain_next(const ws_continual_chain *c);
void ws_continual_chain_info(const ws_continual_chain *c, ws_continual_seed_result *info);
// Run the next task into rec (rec->train owned by the caller). WS_ERR_NUMERIC: diverged.
ws_status ws_continual_chain_step(ws_continual_chain *c, ws_continual_task *rec);
ws_status ws_continual_chain_save(ws_continual_chain *c, const char *path);
ws_status ws_continual_chain_load(ws_continual_chain *c, const char *path);

// Steps to target over a stream of batch results: the first 1-based step at which the hits over
// the last `window` steps (the window full) reach target times their examples; -1 if none.
typedef struct {
    int window, head, filled;
    int *hits, *sizes;
    int64_t sum_hits, sum_sizes, step, reached;
    double target;
} ws_target_window;
ws_status ws_target_window_init(ws_ctx *ctx, ws_target_window *w, int window, double target);
void ws_target_window_add(ws_target_window *w, int hits, int b);
void ws_target_window_free(ws_target_window *w);

void ws_continual_seed_result_free(ws_continual_seed_result *r);
cJSON *ws_continual_config_json(const ws_continual_config *cfg, const ws_source *src, const ws_ctx *ctx);
cJSON *ws_continual_seed_json(const ws_continual_seed_result *r);
cJSON *ws_continual_task_json(const ws_continual_task *x);
ws_status ws_continual_task_from_json(ws_ctx *ctx, const cJSON *o, ws_continual_task *x);

#endif
