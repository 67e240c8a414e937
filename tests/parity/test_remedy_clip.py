#!/usr/bin/python3
"""Parity with PyTorch of weight clipping (Elsayed, Lan, Lyle & Mahmood, RLJ 2024), transcribed
from the authors' code (mohmdelsayed/weight-clipping @ 0d3db49, core/optim/weight_clipping.py:
InitBounds, WeightClippingAdam.step and .weight_clipping) into PyTorch here:

  after the inner optimizer's step, for each parameter p, i its index in registration order:
    skip it if i >= len(params) - 2 and not clip_last_layer
    bound = 1/sqrt(fan_in(p)) for a 2-D or 4-D p (which becomes `previous_weight`),
            1/sqrt(fan_in(previous_weight)) for a 1-D p
    p.clamp_(-zeta bound, zeta bound)

Warmstart's choices (docs/LEARNERS.md), transcribed as such: a parameter of another shape
(Kumar et al.'s CNN's LayerNorm over (C, H, W): 3-D, on which InitBounds raises) takes the
previous weight's bound as a 1-D one does; norm=0, an option of ours, leaves LayerNorm and
BatchNorm scales and offsets unclipped (their rule clips them: norm=1, the default); the output
layer is the last layer's parameters (their last two: the same in these networks).

    /usr/bin/python3 tests/parity/test_remedy_clip.py BUILD_DIR

Cases (4 updates of Adam after two warm-up steps, lr 0.02 or 0.05, so that weights leave their
initial range and are clipped): an MLP with the defaults (kappa 1, the output layer clipped);
last=0 with kappa 1.5; an MLP with LayerNorm, norm=1 (their rule: the scales clipped to the
previous weight's bound) and norm=0; Kumar et al.'s CNN, kappa 1.25, and with LayerNorm (in
forward order: their module, as ours, registers the LayerNorms after the output layer); a
ResNet-18 (BatchNorm scales and offsets under the previous convolution's bound) with norm=1 and
norm=0, trained by plain SGD from the Adam-moved weights (Adam on this tiny ResNet amplifies
float-level differences, clipped or not: 3e-6 after two updates, 6e-3 after four; SGD, 7e-7).
Parameters within 1e-5 relative and the optimizer's moments within 1e-4 (remedy_common.py says
why), its step as torch's, and some entries clipped in every case; a model with nothing to clip
refused; and negative controls, each told apart: the Kaiming-uniform bound sqrt(6/fan_in) the
code's comment names, the output layer clipped under last=0, the registration order, and
BatchNorm clipped under norm=0."""

import math
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import Report, build_dir, import_torch  # noqa: E402

torch = import_torch()

import numpy as np  # noqa: E402

import remedy_common as rc  # noqa: E402
import st  # noqa: E402

STEPS = 4


class InitBounds:
    """weight_clipping.py's InitBounds; `bound` may be swapped for a negative control."""

    def __init__(self, bound=lambda fan_in: 1.0 / math.sqrt(fan_in)):
        self.previous_weight = None
        self.bound = bound

    def get(self, p):
        if p.dim() == 2 or p.dim() == 4:
            self.previous_weight = p
        # else a 1-D parameter, or (warmstart's extension; theirs raises ValueError) another shape
        fan_in, _ = torch.nn.init._calculate_fan_in_and_fan_out(self.previous_weight)
        return self.bound(fan_in)


# True only for the negative controls: their registration order as it is; norm=0 ignored.
REGISTRATION, CLIP_NORM = [False], [False]


def is_norm(name):
    return name.split(".")[-2].startswith(("ln", "layer_norm", "bn")) or ".shortcut.1." in name


def weight_clipping(params, names, zeta, clip_last_layer, norm, init_bounds):
    """WeightClippingAdam.weight_clipping, with norm=0's skip; returns the entries clipped."""
    clipped = 0
    for i, (name, p) in enumerate(zip(names, params)):
        if i >= len(params) - 2 and not clip_last_layer:
            continue
        if not norm and p.dim() not in (2, 4) and is_norm(name) and not CLIP_NORM[0]:
            continue
        bound = init_bounds.get(p)
        clipped += int((p.data.abs() > zeta * bound).sum())
        p.data.clamp_(-zeta * bound, zeta * bound)
    return clipped


def forward_order(model):
    """(name, parameter) in forward order, warmstart's arena's: Kumar et al.'s CNN (as theirs,
    nets/cnn.py) registers its LayerNorms after the output layer."""
    named = list(model.named_parameters())
    if not (hasattr(model, "conv1") and getattr(model, "ln", False)) or REGISTRATION[0]:
        return named
    mods = ["conv1", "layer_norm1", "conv2", "layer_norm2", "fc1", "layer_norm3", "fc2", "layer_norm4", "output_layer"]
    return [(n, p) for m in mods for n, p in named if n.startswith(m + ".")]


def case(rep, tool, tmp, label, kind, kappa=1.0, last=1, norm=1, seed=0, lr=0.02, sgd=False, control=None):
    model = rc.build(torch, kind, seed)
    x, y = rc.batches(torch, kind, STEPS, 8, seed + 1)
    opt = rc.warm_up_adam(torch, model, x, y, lr)
    given, flags = rc.adam_state(torch, opt, model), ["--opt", "adam", "--lr", str(lr)]
    if sgd:  # plain SGD from the Adam-moved weights (no state)
        opt, given, flags = torch.optim.SGD(model.parameters(), lr=lr), None, ["--opt", "sgd", "--lr", str(lr)]
    got, _ = rc.run_tool(tool, tmp, kind, f"clip:kappa={kappa}:last={last}:norm={norm}", model, x, y, STEPS, given,
                         flags)
    REGISTRATION[0] = control == "registration"
    CLIP_NORM[0] = control == "bn"
    names = [n for n, _ in forward_order(model)]
    params = [p for _, p in forward_order(model)]
    bounds = InitBounds()
    if control == "kaiming":
        bounds = InitBounds(lambda fan_in: math.sqrt(6.0 / fan_in))
    clip_last = bool(last) or control == "last"
    clipped = [0]

    def after_step(k, captured):
        clipped[0] += weight_clipping(params, names, kappa, clip_last, norm, bounds)

    rc.torch_train(torch, model, opt, x, y, STEPS, after_step=after_step)
    if control:
        e, n = rc.worst(got, rc.state_of(model), "param.")
        rep.check(e > 100 * rc.PARAM_TOL, f"{label}: told apart ({control}: parameters' error {e:.1e} ({n}))")
        return
    if sgd:  # torch's SGD keeps no step count: the parameters only
        e, n = rc.worst(got, rc.state_of(model), "param.")
        rep.check(e <= rc.PARAM_TOL, f"{label}: parameters, max rel err {e:.1e} ({n}) <= {rc.PARAM_TOL:g}")
    else:
        rc.check_all(rep, label, got, model, opt, torch)
    rep.check(clipped[0] > 0, f"{label}: {clipped[0]} entries clipped over {STEPS} updates")


def refuses(rep, tool, tmp):
    """Logistic regression has only its output layer: last=0 leaves nothing to clip."""
    inp, out = f"{tmp}/in.safetensors", f"{tmp}/out.safetensors"
    st.save({"linear.weight": np.zeros((3, 4), np.float32), "linear.bias": np.zeros(3, np.float32),
             "x": np.zeros((2, 4), np.float32), "y": np.zeros(2, np.int64)}, inp)
    r = subprocess.run([tool, "learner", "logreg:4:3", "clip:last=0", inp, out, "--steps", "1"], capture_output=True,
                       text=True)
    rep.check(r.returncode != 0 and "nothing to clip" in r.stderr, f"logreg, last=0 refused: {r.stderr.strip()}")


def main():
    tool = os.path.join(build_dir(), "parity_tool")
    rep = Report()
    with tempfile.TemporaryDirectory() as tmp:
        case(rep, tool, tmp, "mlp, kappa 1, output layer clipped", "mlp")
        case(rep, tool, tmp, "mlp, kappa 1.5, last=0", "mlp", kappa=1.5, last=0, seed=3, lr=0.05)
        case(rep, tool, tmp, "mlp with LayerNorm, norm=1 (their rule)", "mlp-ln", seed=5)
        case(rep, tool, tmp, "mlp with LayerNorm, norm=0", "mlp-ln", norm=0, seed=5)
        case(rep, tool, tmp, "cnn, kappa 1.25", "cnn", kappa=1.25, seed=7)
        case(rep, tool, tmp, "cnn with LayerNorm (3-D scales), last=0", "cnn-ln", last=0, seed=8)
        case(rep, tool, tmp, "resnet-18, SGD, BatchNorm clipped (norm=1)", "resnet", seed=9, lr=0.05, sgd=True)
        case(rep, tool, tmp, "resnet-18, SGD, BatchNorm not clipped (norm=0)", "resnet", norm=0, seed=9, lr=0.05,
             sgd=True)
        refuses(rep, tool, tmp)
        case(rep, tool, tmp, "negative control", "mlp", control="kaiming")
        case(rep, tool, tmp, "negative control", "mlp", kappa=1.5, last=0, seed=3, lr=0.05, control="last")
        case(rep, tool, tmp, "negative control", "cnn-ln", last=0, seed=8, control="registration")
        case(rep, tool, tmp, "negative control", "resnet", norm=0, seed=9, lr=0.05, sgd=True, control="bn")
    rep.finish()


if __name__ == "__main__":
    main()
