// warmstart reproduce: every artefact of the paper (and of the remedies) from
// the experiment files EXPERIMENTS/SCALE/*.ini, each run as an experiment
// (exp/run.h: resumable, shardable) into OUT/NAME, its figures drawn, then one
// report over OUT (OUT/report/index.html and report.md) with the paper's claims
// checked. A dataset that is missing skips its artefact with the loader's reason
// (where to get it); at CPU scale the built-in Fashion-MNIST stands in, and the
// folder (STAND-IN.txt), OUT/reproduce.json and the report say so.
#ifndef WS_REPORT_REPRODUCE_H
#define WS_REPORT_REPRODUCE_H

#include "exp/estimate.h"
#include "exp/run.h"

#define WS_MAX_ARTEFACTS 64

typedef struct {
    const char *scale;        // "cpu" | "paper" | "demo"
    const char *paper;        // which paper: NULL (Ash & Adams 2020: SCALE/*.ini) or a folder of SCALE
                              // ("kumar2024": SCALE/kumar2024/*.ini)
    const char *only;         // "NAME,NAME": these artefacts only (NULL: all)
    const char *out;          // the results folder
    const char *experiments;  // the experiment files' folder (holding SCALE/)
    const char *threads;      // threads per run (NULL: the files' or all cores)
    const char *jobs;         // groups of units at once in each run (--jobs; NULL: the files' or 1)
    const char *shard;        // "I/N": this slice of every artefact's units (NULL: all)
    int resume, merge;        // continue OUT; merge every artefact's shards (one folder)
} ws_reproduce_opts;

typedef struct {
    char name[64];
    char path[1200];
    char title[600];          // the file's leading comment
    char data[256], pretrain[256];
    char missing[1400];       // why a dataset is not there ("" when all are)
    int standin;              // runs on Fashion-MNIST instead
    char same_as[64];         // the artefact whose run this one is (identical stand-ins), or ""
    int was_standin;          // resumed: its folder's run stood in (1), used its own data (0), or there is none (-1)
    char status[32];          // ok, skipped, failed, diverged, same run, shard done ("" not yet: pending)
    double seconds;           // wall time, summed over the invocations (--resume) that recorded it
    char command[2400];       // the command line this artefact is
    char signature[4096];     // scenario, options and grid, the stand-in's data left out
    cJSON *claims;            // the claims its file declares, as reproduce.json keeps them (NULL: none)
} ws_artefact;

// The artefacts of o->scale and o->paper (sorted by name, --only applied), each file read and its data
// looked for: arts[0..*n) (WS_MAX_ARTEFACTS entries). WS_ERR_ARG names an unknown --only
// name or scale; WS_ERR_IO a missing folder; a file's own error names it.
ws_status ws_reproduce_list(ws_ctx *ctx, const ws_reproduce_opts *o, ws_artefact *arts, int *n);

// What ws_reproduce_list holds in arts[0..n) beyond the array itself (each one's claims).
void ws_reproduce_release(ws_artefact *arts, int n);

// Run arts[0..n) (from ws_reproduce_list) as o says, through h, into o->out: each artefact's
// folder, figures and status, OUT/reproduce.json after each, and the report at the end
// (not for a shard). *failures: artefacts that failed (a run's error is noted through h).
ws_status ws_reproduce_run(ws_ctx *ctx, const ws_reproduce_opts *o, const ws_hooks *h, ws_artefact *arts, int n,
                           int *failures);

// What running arts[0..n) as o says would cost on this machine (exp/estimate.h), nothing run and
// nothing written: est[i] for arts[i], its steps from o->out/NAME's records where an earlier run
// left them; a stand-in identical to an earlier one gets its same_as set and no cost (it is not
// run again); an artefact skipped for missing data (scale other than paper) likewise has no
// cost. At paper scale the data need not be here: their sizes are known.
ws_status ws_reproduce_estimate(ws_ctx *ctx, const ws_reproduce_opts *o, ws_artefact *arts, int n, ws_estimate *est);

#endif
