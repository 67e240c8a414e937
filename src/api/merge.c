// warmstart_merge: the records of a run split into shards (or copied back from several
// machines) gathered into one folder's results, as `warmstart merge` does (exp/run.h: ws_merge),
// for a binding that runs shards through warmstart_experiment_run.
#include <string.h>

#include "warmstart.h"
#include "api/handles.h"
#include "exp/run.h"

int warmstart_merge(warmstart_context *c, const char *const *dirs, int ndirs, const char *out,
                    const warmstart_hooks *h, void *user, int *complete) {
    ws_hooks hooks = {.user = user};
    if (h) hooks.note = h->note, hooks.should_stop = h->should_stop, hooks.progress = h->progress;
    ws_outcome outcome;
    memset(&outcome, 0, sizeof outcome);
    ws_status st = dirs ? ws_merge(&c->ctx, dirs, ndirs, out, &hooks, &outcome)
                        : ws_fail(&c->ctx, WS_ERR_ARG, "merge: no folders given");
    if (complete) *complete = !st && outcome.complete;
    return (int)st;
}
