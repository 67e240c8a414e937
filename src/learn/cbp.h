// Continual backprop (Dohare, Hernandez-Garcia, Lan, Rahman, Mahmood & Sutton,
// "Loss of plasticity in deep continual learning", Nature 2024): gradient
// descent plus, every step, the replacement of a small share of each hidden
// layer's least useful mature units by fresh ones. For the MLP's hidden
// layers (a Linear followed by a ReLU or tanh and another Linear):
//   utility  u <- decay u + (1 - decay) mean_batch(|h|) sum_k |w_out[k]|
//   eligible units older than `maturity` steps; each step rate * eligible
//            more units are due (the fraction carried to the next step)
//   replace  those of lowest bias-corrected utility u / (1 - decay^age):
//            incoming weights and bias (when the layer has one) from the
//            layer's initialisation, outgoing weights zero (the network's
//            function is unchanged at that moment), utility and age zero,
//            and the optimizer's state for all those weights zero.
#ifndef WS_LEARN_CBP_H
#define WS_LEARN_CBP_H

#include "learn/learner.h"

typedef struct ws_cbp ws_cbp;

// Refuse models without hidden ReLU or tanh units of Linear layers (logistic regression, ResNet-18).
ws_status ws_cbp_check(ws_ctx *ctx, const ws_learner *l, const ws_model *m);
ws_status ws_cbp_create(ws_ctx *ctx, const ws_learner *l, const ws_model *m, ws_cbp **out);
void ws_cbp_free(ws_cbp *c);
// Replacement draws come from the stream ("cbp", seed, round).
void ws_cbp_seed(ws_cbp *c, uint64_t seed, int round);
// After an optimizer step on a batch of b (the forward's activations still in
// the model): update utilities and ages, replace the units due. Returns the
// number replaced.
int64_t ws_cbp_step(ws_cbp *c, ws_model *m, ws_optim *opt, int b);

// For tests: the hidden layers, and layer k's units, utilities and ages.
int ws_cbp_nlayers(const ws_cbp *c);
int ws_cbp_units(const ws_cbp *c, int k, double **utility, int64_t **age);
// Layer k's replacements owed (carried between steps; a chain's checkpoint keeps it).
double *ws_cbp_due(ws_cbp *c, int k);

#endif
