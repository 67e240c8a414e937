// An experiment as units of work with stable ids (a seed's shared first phase,
// one learner's run, one learner's chain of rounds), run into a results folder
// so that nothing finished is lost or repeated:
//
//   DIR/config.json                       the resolved configuration (every unit's)
//   DIR/units/records.jsonl               one record per finished round or unit, appended
//   DIR/units/records-shard-I-of-N.jsonl  the same, for shard I of N (one file per shard)
//   DIR/units/checkpoints/UNIT[.round-R].safetensors
//                                         a chain's state after its last recorded round;
//                                         a shared first phase's model
//
// A round's checkpoint is written (whole or absent) before its record, and the
// previous round's removed only after, so a process killed at any moment
// resumes (resume = 1) from the last recorded round. Records are the results:
// the scenario's usual files (batch.jsonl, online.csv, ...) are assembled from
// them once every unit has finished, by the process that ran them all or by a
// merge of the shards' folders. A fresh run (resume = 0, no shard) starts the
// folder over; a shard or a single unit never removes others' records.
#ifndef WS_EXP_RUNNER_H
#define WS_EXP_RUNNER_H

#include <pthread.h>

#include <cjson/cJSON.h>

#include "core/ctx.h"
#include "io/records.h"

typedef struct {
    const char *dir;
    int shard, nshards;        // shard I of N (1-based; nshards 0: every unit)
    const char *unit;          // only this unit (full id, with the prefix); implies resuming the rest
    int resume;                // continue what the folder holds
    const char *prefix;        // unit id prefix (a sweep's "p003/"), for ids shown and --unit
    int point, point_units;    // a sweep: this point's index and units, so shards rotate across points
    int npoints;               // a sweep: its number of points (0 or 1: a single run)
    int group_units;           // units that share a start (a seed's phase 1 and its learners; 0 or 1: none)
    int merge;                 // run nothing: gather the records of dir and merge_dirs
    const char *const *merge_dirs;
    int nmerge;
} ws_run_opts;

typedef struct {
    ws_ctx *ctx;
    ws_run_opts o;
    int lockfd, shardfd;
    ws_records out;            // this process's records file (fd -1 when merging)
    cJSON *recs;               // every record known, in order (an array)
    cJSON *config;             // the results' configuration (merging: the first folder's)
    // Units run at once (--jobs) share the runner: its records and their file are read and
    // appended under this lock.
    pthread_mutex_t *lock;
} ws_runner;

// Lock the folder (a shard: shared on the folder, exclusive on its shard),
// check or write its configuration, start over or load what it holds.
ws_status ws_runner_open(ws_ctx *ctx, ws_runner *r, const ws_run_opts *o, const cJSON *config);
void ws_runner_close(ws_runner *r);

// "I/N" or "slurm/N" (I from SLURM_ARRAY_TASK_ID, counted from SLURM_ARRAY_TASK_MIN, else 1):
// shard I of N (1-based); WS_ERR_ARG naming what is wrong.
ws_status ws_shard_parse(ws_ctx *ctx, const char *text, int *shard, int *nshards);

// Shards take units round robin over the whole plan: unit k of a point (point_units units
// each) is shard I's when (point * point_units + k) % N == I - 1 -- or, where units come in
// groups that share a start (a seed's phase 1 and its learners, a seed's pretraining and its
// shares) and the plan holds at least N groups, whole groups round robin, so that the shared
// start runs once: group k / group_units of a point is shard I's when
// (point * groups_per_point + k / group_units) % N == I - 1. o: shard, nshards, point,
// npoints, point_units and group_units.
int ws_unit_in_shard(const ws_run_opts *o, int k);
// Is unit number k of the plan (local id) this process's to run?
int ws_runner_mine(const ws_runner *r, int k, const char *id);
// The unit's finishing record ("status": "done" or "diverged"), or NULL.
const cJSON *ws_runner_finished(const ws_runner *r, const char *id);
// The record of round `round` of a chain, or NULL; the last recorded round (-1: none).
const cJSON *ws_runner_round(const ws_runner *r, const char *id, int round);
int ws_runner_last_round(const ws_runner *r, const char *id);
// Append a record for unit id (adds "unit"); takes ownership of rec.
ws_status ws_runner_append(ws_runner *r, const char *id, cJSON *rec);
// A unit's checkpoint path: after round `round` of a chain, or (round < 0) its only one.
void ws_runner_ckpt(const ws_runner *r, const char *id, int round, char *buf, size_t cap);
// The same in results folder dir.
void ws_runner_ckpt_in(const char *dir, const char *id, int round, char *buf, size_t cap);
// Remove a chain's checkpoints other than round `keep` (-2: all).
void ws_runner_ckpt_prune(const ws_runner *r, const char *id, int keep);
// Read the records of every file of the folder (and of the merged folders) for assembling.
ws_status ws_runner_gather(ws_runner *r);

// The first difference between two JSON values as "key.path: A vs B" (0 if equal).
int ws_json_first_difference(const cJSON *a, const cJSON *b, char *buf, size_t cap);

#endif
