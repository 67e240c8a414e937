// warmstart: the public header of libwarmstart.
//
// Include this one file and link build/libwarmstart.a with OpenBLAS, cJSON,
// zlib and OpenMP (see the Makefile's PKG_LIBS). The pieces, lowest first:
//
//   ws_ctx          context: threads, backend, the last error (core/ctx.h)
//   ws_rng          named random streams (core/rng.h)
//   ws_source       --data NAME[:DIR] loading, ws_norm, ws_gather (data/dataset.h)
//   ws_model        logreg / MLP, named parameters in one flat arena (nn/model.h)
//   ws_optim        SGD, Adam(W) as flat loops (optim/optim.h)
//   ws_train_to_threshold, ws_evaluate (train/train.h)
//   ws_model_save / ws_model_load: safetensors checkpoints (io/safetensors.h)
//   ws_batch_run_seed: the two-phase warm-vs-random experiment (exp/batch.h)
//
// Every function that can fail returns a ws_status (WS_OK = 0) and leaves a
// one-line message in ctx->err; none prints or exits. examples/minimal.c
// trains and saves an MLP in 40 lines.
#ifndef WARMSTART_H
#define WARMSTART_H

#ifdef __cplusplus
extern "C" {
#endif

#include "core/ctx.h"
#include "core/rng.h"
#include "core/version.h"
#include "data/dataset.h"
#include "exp/batch.h"
#include "exp/metrics.h"
#include "exp/online.h"
#include "exp/transfer.h"
#include "exp/stats.h"
#include "exp/sweep.h"
#include "io/safetensors.h"
#include "learn/cbp.h"
#include "learn/learner.h"
#include "nn/model.h"
#include "optim/optim.h"
#include "report/plot.h"
#include "report/report.h"
#include "train/train.h"

#ifdef __cplusplus
}
#endif

#endif
