// The remedies since 2023, each one declaration written with the public hooks
// (learn/learner.h: ws_remedy, ws_learner_ops) in its own file here. A new remedy is one
// file and one line in REMEDIES; docs/LEARNERS.md gives each its paragraph and sources.
#include "learn/learner.h"
#include "learn/remedies.h"

#include <string.h>

static const ws_remedy *const REMEDIES[] = {
    &ws_remedy_redo,  &ws_remedy_snr,      &ws_remedy_reset, &ws_remedy_inject,  &ws_remedy_hare_tortoise,
    &ws_remedy_parseval, &ws_remedy_upgd, &ws_remedy_clip, &ws_remedy_nap, &ws_remedy_l1_init,
};
#define NREMEDIES ((int)(sizeof REMEDIES / sizeof REMEDIES[0]))

const ws_remedy *ws_remedy_at(int i) { return i >= 0 && i < NREMEDIES ? REMEDIES[i] : NULL; }

const ws_remedy *ws_remedy_find(const char *name) {
    for (int i = 0; i < NREMEDIES; i++)
        if (!strcmp(REMEDIES[i]->name, name)) return REMEDIES[i];
    return NULL;
}
