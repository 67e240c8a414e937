#!/usr/bin/python3
"""Parity with PyTorch of L1 Init (Kumar, Marklund & Van Roy 2024, the L1 ablation of L2 Init),
transcribed from the authors' code (skumar9876/L2_Init @ 3f86d26, agents/agents.py L1InitAgent,
lines 351-406) into PyTorch here:

  theta_0: a copy of every parameter when the learner starts (their init_params_dict, cloned at
  construction); each update: loss = cross-entropy + l1_weight * sum over the parameters whose
  names do not contain 'layer_norm' of sum |theta - theta_0|, backward by autograd (abs's
  gradient at 0 is 0), then Adam.

Warmstart's own choices (docs/LEARNERS.md), transcribed as such: the LayerNorm parameters left out
are those of LayerNorm layers (the MLP's ln1, ln2 as the CNN's layer_norm1..4, which their name
filter catches); theta_0 is the learner's first weights (round 0's begin in the tool, as their
agent's construction).

    /usr/bin/python3 tests/parity/test_remedy_l1_init.py BUILD_DIR

Cases: an MLP, an MLP with LayerNorm (its scale and offset unpenalised), Kumar et al.'s CNN with
LayerNorm; lambda 0.01 (large enough to move Adam's steps); Adam warmed up two steps first. After
5 updates (the first has theta == theta_0 and no penalty gradient): parameters within 1e-5
relative, Adam's moments within 1e-4 (remedy_common.py says why), Adam's step, and theta_0
(learner.own.l1-init.theta0) equal to the weights it started from. Negative controls: L2 Init's
1/2 factor carried over (lambda/2 * sign), and LayerNorm's parameters penalised too, are told
apart."""

import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import Report, build_dir, import_torch, rel_err  # noqa: E402

torch = import_torch()

import numpy as np  # noqa: E402

import remedy_common as rc  # noqa: E402

STEPS = 5
LR = 1e-2
LAMBDA = 1e-2


def train(model, opt, x, y, theta0, factor=1.0, skip_ln=True):
    """agents.py's L1InitAgent update, STEPS times: the data loss plus factor * lambda * the L1
    distance to theta_0 over the parameters their filter keeps."""
    F = torch.nn.functional
    for k in range(STEPS):
        opt.zero_grad()
        loss = F.cross_entropy(model(x[k % len(x)]), y[k % len(y)])
        l1 = 0.0
        for name, p in model.named_parameters():
            if skip_ln and (name.startswith("ln") or "layer_norm" in name):
                continue
            l1 = l1 + torch.sum(torch.abs(p - theta0[name]))
        (loss + factor * LAMBDA * l1).backward()
        opt.step()


def case(rep, tool, tmp, label, kind, seed, control=None):
    model = rc.build(torch, kind, seed)
    x, y = rc.batches(torch, kind, STEPS, 16, seed + 1)
    opt = rc.warm_up_adam(torch, model, x, y, LR)
    theta0 = {n: p.detach().clone() for n, p in model.named_parameters()}
    got, _ = rc.run_tool(tool, tmp, kind, f"l1-init:lambda={LAMBDA}", model, x, y, STEPS,
                         rc.adam_state(torch, opt, model), ["--opt", "adam", "--lr", str(LR)])
    if control == "half":
        train(model, opt, x, y, theta0, factor=0.5)
    elif control == "ln":
        train(model, opt, x, y, theta0, skip_ln=False)
    else:
        train(model, opt, x, y, theta0)
    if control:
        rc.told_apart(rep, label, got, model, opt, torch, control)
        return
    rc.check_all(rep, label, got, model, opt, torch)
    order = [k[len("param."):] for k in got if k.startswith("param.")]  # the arena's order (the tool's file's)
    flat = np.concatenate([theta0[n].numpy().reshape(-1) for n in order])
    ours = got["learner.own.l1-init.theta0"]
    rep.check(ours.shape == flat.shape and rel_err(ours, flat) == 0, f"{label}: theta_0 is the weights it started from")


def main():
    tool = os.path.join(build_dir(), "parity_tool")
    rep = Report()
    with tempfile.TemporaryDirectory() as tmp:
        case(rep, tool, tmp, "mlp", "mlp", 0)
        case(rep, tool, tmp, "mlp with LayerNorm", "mlp-ln", 5)
        case(rep, tool, tmp, "cnn with LayerNorm", "cnn-ln", 7)
        case(rep, tool, tmp, "negative control: L2 Init's 1/2 carried over", "mlp", 0, control="half")
        case(rep, tool, tmp, "negative control: LayerNorm penalised too", "mlp-ln", 5, control="ln")
    rep.finish()


if __name__ == "__main__":
    main()
