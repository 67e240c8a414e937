// warmstart: the public header of libwarmstart.
//
// Include this one file; build with `pkg-config --cflags --libs warmstart` once
// installed (`make install`), or in the source tree with -Isrc -Iinclude and
// build/libwarmstart.a plus the Makefile's PKG_LIBS. Every function that can
// fail returns a ws_status (WS_OK = 0) and leaves a one-line message in
// ctx->err; none prints or exits: progress, notes and results reach a program
// through hooks it passes in (ws_hooks). docs/ARCHITECTURE.md walks through it.
//
// Running experiments (examples/online.c, examples/custom_learner.c):
//
//   ws_ctx ctx; ws_ctx_init(&ctx, 0);                  threads (0: all cores), backend, last error
//   ws_experiment *e;                                  exp/experiment.h
//   ws_experiment_new(&ctx, WS_CMD_ONLINE, 0, &e);     batch | online | active | transfer (1: a sweep)
//     or ws_experiment_load(&ctx, "exp.ini", &e)       an experiment file (docs/EXPERIMENT-FILES.md)
//   ws_experiment_set(&ctx, e, "subset", "3000");      any option of `warmstart online --help`, also
//   ws_experiment_set(&ctx, e, "out", "results/x");    the runner's (out, resume, shard, unit)
//   ws_experiment_add_axis(&ctx, e, "lr=1e-3,1e-2");   a sweep's grid
//   ws_experiment_add_learner(&ctx, e, &mine);         a remedy written in C (learn/learner.h:
//                                                      ws_learner_custom, ws_learner_ops)
//   ws_experiment_check(&ctx, e);                      every option (every grid point) resolved
//   ws_experiment_run(&ctx, e, &hooks, &outcome);      exp/run.h: units run, recorded, resumable,
//                                                      shardable; results written; hooks called
//   ws_table_results(stdout, r)                        in hooks.results: the CLI's tables (report/tables.h)
//   ws_report_write(&ctx, dir, &n)                     report.md / report.html of a results folder
//   ws_merge(...), ws_experiment_plan(...)             a sharded run's folders merged; the unit ids
//   ws_reproduce_list / ws_reproduce_run               the paper's artefacts (report/reproduce.h)
//   ws_experiment_free(e); ws_ctx_release(&ctx);
//
// The pieces underneath, lowest first (a layer uses only those above it here):
//
//   core    ws_ctx (core/ctx.h), named random streams ws_rng (core/rng.h), ws_file_read,
//           the version (core/version.h: WARMSTART_VERSION, ws_version, ws_revision)
//   ops     the backend seam: ws_backend, ws_ctx_set_backend ("onednn" | "reference") (ops/backend.h)
//   nn      ws_model: logistic regression, MLP, ResNet-18, Kumar et al.'s CNN (nn/zoo.h), its parameters in one
//           flat arena (nn/model.h)
//   optim   SGD, Adam(W) as flat loops (optim/optim.h)
//   data    ws_source_load ("fashion-mnist", "cifar10:DIR", ...), ws_norm, ws_gather (data/dataset.h)
//   io      safetensors checkpoints ws_model_save / ws_model_load (io/safetensors.h), records,
//           experiment files (io/config.h), JSON files (io/json.h)
//   train   ws_train_to_threshold, ws_evaluate (train/train.h)
//   learn   the learners: warm, random, shrink-perturb, ..., the remedies since 2023 and custom
//           ones, written with the same hooks (learn/learner.h; hidden units: learn/hidden.h)
//   exp     the kit every scenario shares (exp/setup.h); the scenarios, runnable unit by unit
//           (exp/batch.h, exp/online.h, exp/transfer.h); options (exp/options.h); experiments
//           (exp/experiment.h) and running them (exp/run.h); sweeps (exp/sweep.h); statistics
//           and verdicts (exp/stats.h)
//   report  figures (report/plot.h), text tables (report/tables.h), the report page
//           (report/report.h), the paper's claims (report/claims.h) and their forest plot
//           (report/forest.h), reproduce (report/reproduce.h)
//
// examples/minimal.c trains and saves an MLP with the pieces underneath in 40 lines.
#ifndef WARMSTART_H
#define WARMSTART_H

#ifdef __cplusplus
extern "C" {
#endif

#include "core/ctx.h"
#include "core/file.h"
#include "core/rng.h"
#include "core/version.h"
#include "data/dataset.h"
#include "exp/batch.h"
#include "exp/experiment.h"
#include "exp/inside_json.h"
#include "exp/metrics.h"
#include "exp/online.h"
#include "exp/options.h"
#include "exp/run.h"
#include "exp/setup.h"
#include "exp/stats.h"
#include "exp/sweep.h"
#include "exp/transfer.h"
#include "io/config.h"
#include "io/json.h"
#include "io/safetensors.h"
#include "learn/cbp.h"
#include "learn/hidden.h"
#include "learn/learner.h"
#include "nn/inside.h"
#include "nn/model.h"
#include "nn/zoo.h"
#include "ops/backend.h"
#include "optim/optim.h"
#include "report/claims.h"
#include "report/forest.h"
#include "report/plot.h"
#include "report/report.h"
#include "report/remedies_table.h"
#include "report/reproduce.h"
#include "report/tables.h"
#include "api/api.h"
#include "train/train.h"

#ifdef __cplusplus
}
#endif

#endif
