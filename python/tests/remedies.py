"""Remedies in Python the tests run beside the library's own."""
import re

import numpy as np

import warmstart

#: LayerNorm's parameters, which L1 Init leaves out: the MLP's ln1, ... and the CNN's layer_norm1, ...
LAYER_NORM = re.compile(r"^(ln|layer_norm)\d+\.")


class L1Init(warmstart.Remedy):
    """Kumar et al.'s L1 Init as src/learn/l1_init.c computes it, in float32: after each backward,
    g += lambda * sign(w - theta0) over every parameter but LayerNorm's (sign(0) = 0), theta0 the
    learner's first weights (taken in start, kept in the checkpoint)."""

    def __init__(self, step, lam=1e-3):
        super().__init__(step, lam=lam)
        self.lam = np.float32(lam)
        self.theta0 = np.zeros(step.nweights, np.float32)
        self.scratch = np.empty(step.nweights, np.float32)
        # the penalised runs of the arena: consecutive parameters that are not LayerNorm's
        self.runs = []
        for p in step.params.values():
            if LAYER_NORM.match(p.name):
                continue
            if self.runs and self.runs[-1][1] == p.offset:
                self.runs[-1][1] += p.numel
            else:
                self.runs.append([p.offset, p.offset + p.numel])

    def state(self):
        return {"theta0": self.theta0}

    def start(self, step):
        self.theta0[:] = step.weights

    def after_backward(self, step):
        w, g = step.weights, step.grads
        for a, b in self.runs:
            d = self.scratch[a:b]
            np.subtract(w[a:b], self.theta0[a:b], out=d)
            np.sign(d, out=d)
            d *= self.lam
            g[a:b] += d
