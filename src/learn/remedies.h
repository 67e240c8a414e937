// The remedies since 2023 (learn/remedies.c lists them), each in its own file of src/learn/.
#ifndef WS_LEARN_REMEDIES_H
#define WS_LEARN_REMEDIES_H

#include "learn/learner.h"

extern const ws_remedy ws_remedy_redo;          // learn/redo.c
extern const ws_remedy ws_remedy_snr;           // learn/snr.c
extern const ws_remedy ws_remedy_reset;         // learn/reset.c
extern const ws_remedy ws_remedy_inject;        // learn/inject.c
extern const ws_remedy ws_remedy_upgd;          // learn/upgd.c
extern const ws_remedy ws_remedy_clip;          // learn/clip.c
extern const ws_remedy ws_remedy_hare_tortoise; // learn/hare_tortoise.c
extern const ws_remedy ws_remedy_parseval;      // learn/parseval.c
extern const ws_remedy ws_remedy_l1_init;       // learn/l1_init.c
extern const ws_remedy ws_remedy_nap;           // learn/nap.c

#endif
