// Work shared between a sweep's points (docs/RUNNING.md, "Shared work"). A unit's identity is
// its id within its point ("s1/random") and the resolved configuration with the settings that
// cannot change its result removed -- the relevance is a table of data in share.c --, so two
// points whose unit has the same identity compute it once: the first point (its canonical
// one) runs it, and every later point takes the same record (in memory: never written into
// the later point's records, so a resume, a shard or a merge takes it again from the first
// point's records). A later point's unit that needs a shared unit's checkpoint (a batch
// learner's phase 1) reads the canonical point's.
#ifndef WS_EXP_SHARE_H
#define WS_EXP_SHARE_H

#include <cjson/cJSON.h>

#include "exp/experiment.h"

typedef struct ws_share {
    int npoints, total;   // points, and units over all points
    int *first;           // [npoints + 1]: point p's units are total indices first[p] .. first[p+1]-1
    int *canon;           // [total]: the total index of the unit computed for this one (itself: not shared)
    cJSON **recs;         // [total]: a canonical unit's finishing record once its point has run (NULL: none yet)
    char (*dirs)[1200];   // [npoints]: each point's folder
    int nshared;          // units taken from an earlier point
} ws_share;

// The identity of every unit of every point of sweep e (data not loaded: the key's data part is
// the --data option). s freed with ws_share_free.
ws_status ws_share_plan(ws_ctx *ctx, const ws_experiment *e, ws_share *s);
void ws_share_free(ws_share *s);

// The identity key of unit `id` of an experiment whose resolved configuration is `config`
// (a string to free): "id\n" and the configuration without the settings irrelevant to the unit.
char *ws_share_key(const cJSON *config, const char *id);

// Unit k of point p: the total index of the unit it takes its record from, or -1 (its own).
int ws_share_source(const ws_share *s, int p, int k);

#endif
