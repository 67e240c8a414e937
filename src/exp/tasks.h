// Task sequences: the standard problems of continual learning, where one network meets a
// sequence of tasks and its loss of plasticity shows (Kumar, Marklund & Van Roy, CoLLAs 2024,
// skumar9876/L2_Init environments/; Dohare et al., Nature 2024). A task is made from a seed's
// training pool and evaluation examples, deterministically from (seed, task index): the same
// task for every learner, and again after a resume. docs/CONTINUAL.md says what each kind
// does and where it follows or departs from its source.
#ifndef WS_EXP_TASKS_H
#define WS_EXP_TASKS_H

#include <stdint.h>

#include "core/ctx.h"
#include "data/dataset.h"

#define WS_MAX_TASK_CLASSES 1024

typedef enum {
    WS_TASKS_PERMUTED_INPUT,     // one fixed random permutation of pixel positions per task (task 0: none)
    WS_TASKS_RANDOM_LABELS,      // a fixed subset, its labels reshuffled every task: memorisation
    WS_TASKS_PERMUTED_LABELS,    // the classes' labels permuted every task (task 0: as they are)
    WS_TASKS_CLASS_INCREMENTAL,  // a few new classes every task, all seen classes kept (Dohare et al.)
    WS_TASKS_FIVE_PLUS_ONE,      // tasks of 5 new classes and of 1 new class in turn (Kumar et al.'s "5+1")
    WS_TASKS_KIND_COUNT
} ws_task_kind;

const char *ws_task_kind_name(ws_task_kind k); // "permuted-input", "random-labels", ...
ws_status ws_task_kind_parse(ws_ctx *ctx, const char *s, ws_task_kind *out);

typedef struct {
    ws_task_kind kind;
    int ntasks;
    int64_t examples;       // training examples per task, at most (0: all the task has)
    int64_t eval_examples;  // held-out examples per task, at most (0: all the task has)
    int classes_per_task;   // class-incremental: new classes per task; five-plus-one: the large tasks' classes
    int small_classes;      // five-plus-one: the small tasks' classes (1)
} ws_task_spec;

// Kumar et al.'s permuted MNIST: 10,000 examples a task, 1,000 held out, 5 and 1 classes.
void ws_task_spec_defaults(ws_task_spec *s);

// Refuse a spec the data cannot give (class-incremental tasks beyond the classes, a task
// without a whole batch): one message naming the option.
ws_status ws_task_spec_check(ws_ctx *ctx, const ws_task_spec *s, int num_classes);

// One task: its examples copied (labels as the task says), with the classes it draws on.
typedef struct {
    int index;
    ws_dataset train, eval;  // owned; eval is train's copy for random labels (nothing to generalise to)
    int eval_is_train;       // random labels: the end-of-task accuracy is on the task's own examples
    int nclasses;            // class-based kinds: the classes it trains on (else 0)
    int classes[WS_MAX_TASK_CLASSES];
} ws_task;

// Task t of the sequence for `seed`, from the examples pool[0..n_pool) of pool_d and the
// evaluation examples eval[0..n_eval) of eval_d.
typedef struct {
    const ws_dataset *pool_d, *eval_d;
    const int32_t *pool, *eval;
    int64_t n_pool, n_eval;
} ws_task_data;

ws_status ws_task_make(ws_ctx *ctx, const ws_task_spec *spec, const ws_task_data *data, uint64_t seed, int t,
                       ws_task *out);
void ws_task_free(ws_task *t);

// ---- the pieces, exposed for tests ----

// The pixel permutation of task t (positions of one channel plane, h*w entries; the same for
// every channel): task 0 the identity, then a seeded shuffle.
void ws_task_pixel_permutation(uint64_t seed, int t, int32_t *perm, int64_t hw);
// The class of each label under task t's permutation of labels (num_classes entries).
void ws_task_label_permutation(uint64_t seed, int t, int32_t *map, int num_classes);
// The classes task t of a class-based kind draws on, into classes (at most cap): their count.
int ws_task_classes(const ws_task_spec *spec, uint64_t seed, int t, int num_classes, int32_t *classes, int cap);

#endif
