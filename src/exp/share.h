// Work shared between a sweep's points (docs/RUNNING.md, "Shared work"). A unit's identity is
// its id within its point ("s1/random") and the resolved configuration with the settings that
// cannot change its result removed -- the relevance is a table of data in share.c --, so two
// points whose unit has the same identity compute it once: the first point (its canonical
// one) runs it, and every later point takes the same record (in memory: never written into
// the later point's records, so a resume, a shard or a merge takes it again from the first
// point's records). A later point's unit that needs a shared unit's checkpoint (a batch
// learner's phase 1) reads the canonical point's.
//
// Snapshots: units whose keys differ only in a setting that says where a run stops (the PREFIX
// table of share.c: a fixed-epoch phase 1's count) are one run cut at different counts. The
// first point's unit (the canonical one) trains to the largest count of them and records, on
// the way, each later point's at its count, under the id "ID@COUNT" in its own folder (record
// and checkpoint); the later points take those as above. The canonical unit is finished when
// every record of its chain is there (a resume runs the chain again for the missing ones).
#ifndef WS_EXP_SHARE_H
#define WS_EXP_SHARE_H

#include <cjson/cJSON.h>

#include "exp/experiment.h"

typedef struct ws_share {
    int npoints, total;   // points, and units over all points
    int *first;           // [npoints + 1]: point p's units are total indices first[p] .. first[p+1]-1
    int *canon;           // [total]: the total index of the unit computed for this one (itself: not shared)
    int *at;              // [total]: > 0: the unit is a snapshot of its canonical unit after this count (0: the same unit, or its own)
    int *count;           // [total]: the unit's PREFIX count (0: none applies)
    int *upto;            // [total]: a canonical unit with snapshots: the count it trains to (0: none)
    cJSON **recs;         // [total]: a taken unit's record once its canonical point has run (NULL: none yet)
    char (*dirs)[1200];   // [npoints]: each point's folder
    int nshared;          // units taken from an earlier point
    int nsnapshots;       // of those, snapshots
    long long count_trained, count_alone; // over the snapshots' chains: the counts (epochs) trained, and those
                                          // every point alone would train
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
// The id of the record that unit k (id) of point p takes in its canonical point's folder: id, or
// a snapshot's "id@COUNT" (ws_share_snapshot_id).
void ws_share_record_id(const ws_share *s, int p, int k, const char *id, char *buf, size_t cap);
void ws_share_snapshot_id(const char *id, int count, char *buf, size_t cap);
// Unit k of point p, a canonical unit with snapshots: the counts it records at, ascending, its own
// among them (*counts allocated, the caller frees), and their number; 0: none; -1: out of memory.
int ws_share_snapshots(const ws_share *s, int p, int k, int **counts);

#endif
