// The remedies since 2023 (learn/remedies.c lists them), each in its own file of src/learn/.
#ifndef WS_LEARN_REMEDIES_H
#define WS_LEARN_REMEDIES_H

#include "learn/learner.h"

extern const ws_remedy ws_remedy_redo;   // learn/redo.c
extern const ws_remedy ws_remedy_reset;  // learn/reset.c
extern const ws_remedy ws_remedy_inject; // learn/inject.c

#endif
