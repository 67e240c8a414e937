// The model zoo: the networks warmstart knows (logistic regression, the
// official code's MLP, ResNet-18, Kumar et al.'s small CNN), by kind, and how each is built into a model
// container (nn/model.h) from a ws_model_spec.
#ifndef WS_NN_ZOO_H
#define WS_NN_ZOO_H

#include <stddef.h>

#include "core/ctx.h"
#include "nn/model.h"

// Parse "logreg" | "mlp" | "resnet18" | "cnn" into a kind. Returns WS_ERR_ARG for anything else.
ws_status ws_model_kind_parse(ws_ctx *ctx, const char *s, ws_model_kind *out);

// "mlp 784-100-100-10", "logreg 3072-10", "resnet18 w16 3x32x32-10"; a tanh MLP
// adds " tanh", Linear layers without biases " nobias" ("mlp 3072-100-100-10 tanh
// nobias"); the ReLU MLP with biases keeps the plain description. Kumar et al.'s CNN:
// "cnn c16 3x32x32-100-100-10" (channels, input, hidden sizes, classes). CReLU adds the
// widths built (ws_model_widths_of): " crelu:91-91" (MLP), " crelu:c11-73-73" (CNN: channels,
// then hidden); LayerNorm " ln". Words in the order: activation, ln, nobias.
void ws_model_describe(const ws_model_spec *spec, char *buf, size_t cap);
const char *ws_model_kind_name(ws_model_kind k);

// "relu" | "tanh" | "crelu" and back (WS_ERR_ARG naming the value for anything else).
const char *ws_activation_name(ws_activation a);
ws_status ws_activation_parse(ws_ctx *ctx, const char *s, ws_activation *out);
// The hidden activation an MLP's or CNN's description names (ws_model_describe's
// words: tanh, crelu:..., else ReLU); -1 when `arch` describes neither.
int ws_arch_activation(const char *arch);

// The widths the spec's network is built with (its own, or under CReLU Kumar et al.'s
// cut: concat_relu_network_calculation.py scans f = 0.5 - k*0.01, k = 0..49, and takes
// the first f whose CReLU network, every hidden width and the CNN's channels int((1 - f) w),
// has at least the plain network's parameters, LayerNorm's not counted). Returns 0, or
// -1 (and the spec's widths) when no f does.
int ws_model_widths_of(const ws_model_spec *spec, ws_model_widths *out);

// Check the spec and build its layers and arenas (parameters zero until
// ws_model_init).
ws_status ws_model_create(ws_ctx *ctx, ws_model **out, const ws_model_spec *spec);

// ResNet-18, CIFAR variant (nn/resnet.c): appends its layers to m, whose spec
// gives the input shape, the width and the classes.
ws_status ws_build_resnet18(ws_ctx *ctx, ws_model *m);

#endif
