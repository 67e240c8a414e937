// The model zoo: the networks warmstart knows (logistic regression, the
// official code's MLP, ResNet-18), by kind, and how each is built into a model
// container (nn/model.h) from a ws_model_spec.
#ifndef WS_NN_ZOO_H
#define WS_NN_ZOO_H

#include <stddef.h>

#include "core/ctx.h"
#include "nn/model.h"

// Parse "logreg" | "mlp" | "resnet18" into a kind. Returns WS_ERR_ARG for anything else.
ws_status ws_model_kind_parse(ws_ctx *ctx, const char *s, ws_model_kind *out);

// "mlp 784-100-100-10", "logreg 3072-10", "resnet18 w16 3x32x32-10"; a tanh MLP
// adds " tanh", Linear layers without biases " nobias" ("mlp 3072-100-100-10 tanh
// nobias"); the ReLU MLP with biases keeps the plain description.
void ws_model_describe(const ws_model_spec *spec, char *buf, size_t cap);
const char *ws_model_kind_name(ws_model_kind k);

// "relu" | "tanh" and back (WS_ERR_ARG naming the value for anything else).
const char *ws_activation_name(ws_activation a);
ws_status ws_activation_parse(ws_ctx *ctx, const char *s, ws_activation *out);
// The hidden activation an MLP's description names (ws_model_describe's words:
// tanh, else ReLU); -1 when `arch` does not describe an MLP.
int ws_arch_activation(const char *arch);

// Check the spec and build its layers and arenas (parameters zero until
// ws_model_init).
ws_status ws_model_create(ws_ctx *ctx, ws_model **out, const ws_model_spec *spec);

// ResNet-18, CIFAR variant (nn/resnet.c): appends its layers to m, whose spec
// gives the input shape, the width and the classes.
ws_status ws_build_resnet18(ws_ctx *ctx, ws_model *m);

#endif
