// Optimizers as flat loops over the parameter and gradient arenas, with the
// same update rules as PyTorch 1.13's torch.optim.SGD and torch.optim.Adam /
// AdamW (single-tensor path). State (momentum buffer, Adam moments) lives in
// arenas of the same layout, so "rebuild the optimizer" is a reset.
#ifndef WS_OPTIM_OPTIM_H
#define WS_OPTIM_OPTIM_H

#include <stdint.h>

#include "core/ctx.h"

typedef enum { WS_OPT_SGD, WS_OPT_ADAM } ws_opt_kind;

typedef struct {
    ws_opt_kind kind;
    float lr;
    float weight_decay;
    // SGD
    float momentum;
    float dampening;
    int nesterov;
    // Adam
    float beta1, beta2, eps;
    int decoupled; // AdamW: decay the weights, not the gradient
} ws_opt_config;

// A range of the arena whose state was restarted (ws_optim_restart_range): its own step count.
typedef struct {
    int64_t off, len, step;
} ws_optim_range;

#define WS_OPTIM_MAX_RANGES 64

typedef struct {
    ws_opt_config cfg;
    int64_t n;
    int64_t step;    // number of steps taken since the last reset
    float *buf1;     // SGD momentum buffer / Adam exp_avg
    float *buf2;     // Adam exp_avg_sq
    // Ranges restarted since the last reset, disjoint, in order of offset: their state began
    // again at zero with its own step count, as a torch optimizer's fresh state for those
    // parameters would (Adam's bias correction, SGD's first momentum step count from there).
    ws_optim_range restarted[WS_OPTIM_MAX_RANGES];
    int nrestarted;
} ws_optim;

// Defaults as PyTorch: SGD no momentum; Adam betas (0.9, 0.999), eps 1e-8.
ws_opt_config ws_opt_defaults(ws_opt_kind kind, float lr);
ws_status ws_opt_kind_parse(ws_ctx *ctx, const char *s, ws_opt_kind *out);
const char *ws_opt_kind_name(ws_opt_kind k);
// Check a configuration (finite lr >= 0, betas in [0,1), ...).
ws_status ws_opt_config_check(ws_ctx *ctx, const ws_opt_config *cfg);

ws_status ws_optim_create(ws_ctx *ctx, ws_optim *opt, const ws_opt_config *cfg, int64_t n);
void ws_optim_free(ws_optim *opt);
// Forget all state, as constructing a new torch optimizer does.
void ws_optim_reset(ws_optim *opt);
// Restart the state of [off, off + len) (a whole parameter tensor, or several): its moments
// zero and a step count of its own from 0, the rest untouched (the remedies that reset layers
// with fresh optimizer state for them only). A range that overlaps a restarted one only in part,
// or one more than WS_OPTIM_MAX_RANGES, is refused.
ws_status ws_optim_restart_range(ws_ctx *ctx, ws_optim *opt, int64_t off, int64_t len);

// One update of w (n) from g (n).
void ws_optim_step(ws_optim *opt, float *w, const float *g);

#endif
