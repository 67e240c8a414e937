// The stable API's handles inside (include/warmstart.h declares them opaque): shared by its
// files, never installed.
#ifndef WS_API_HANDLES_H
#define WS_API_HANDLES_H

#include "core/ctx.h"
#include "exp/experiment.h"

struct warmstart_context {
    ws_ctx ctx;
};

// A remedy written outside the library, as added (api/remedy.c): what the learner's def->user
// points to, so it lives as long as the experiment.
typedef struct ws_api_remedy ws_api_remedy;

struct warmstart_experiment {
    warmstart_context *c;
    ws_experiment *e;
    ws_api_remedy *remedies[WS_MAX_LEARNERS];
    int nremedies;
};

// Free the remedies added to e (api/remedy.c).
void ws_api_remedies_free(struct warmstart_experiment *e);

#endif
