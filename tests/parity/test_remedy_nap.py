#!/usr/bin/python3
"""Parity with PyTorch of Normalize-and-Project, NaP (Lyle et al., NeurIPS 2024, arXiv
2407.01800), transcribed into PyTorch here from the paper's description (its authors published no
code): a network with LayerNorm before each nonlinearity; the norms of the learner's first
weights recorded; after every update (every `every`-th), each weight matrix and convolution
kernel scaled back to its recorded Frobenius norm, W <- W * ||W_0|| / ||W||, per layer.

Warmstart's choices where the paper leaves them open (docs/LEARNERS.md), transcribed as such:
the output layer's weight is projected too (head=1, as the third-party implementations, e.g.
RLE-Foundation/Plasticine's ppo_procgen_nap.py, do; head=0 leaves it); each LayerNorm's scale and
offset are scaled jointly back to their first joint norm, sqrt(|g|^2 + |b|^2) (affine=1, the
variant for positively homogeneous activations; affine=0 leaves them); biases and Adam's state
are left as they are.

    /usr/bin/python3 tests/parity/test_remedy_nap.py BUILD_DIR

Cases: an MLP with LayerNorm (defaults; head=0; affine=0; every=2) and Kumar et al.'s CNN with
LayerNorm (conv kernels); LayerNorm's parameters perturbed off 1 and 0 and Adam warmed up two
steps first. After 5 updates: parameters within 1e-5 relative, Adam's moments within 1e-4
(remedy_common.py says why), Adam's step, the recorded norms (learner.own.nap.*) equal to the
first weights' within 1e-6; and the network without LayerNorm refused with its message. Negative
controls: no projection (LayerNorm alone), scale and offset each projected to its own first norm,
and each layer's weight and bias projected together, are told apart."""

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


def groups(model, head, affine, control):
    """What is projected: (module, [parameters]) pairs, each list scaled jointly to its first
    joint norm (the transcription's choice; a control's other choice)."""
    linear = [m for m in model.modules() if isinstance(m, (torch.nn.Linear, torch.nn.Conv2d))]
    out = model.output_layer if hasattr(model, "output_layer") else getattr(model, f"lm{model.n + 1}")
    if not head:
        linear = [m for m in linear if m is not out]
    if control == "no projection":
        return []
    if control == "weight and bias projected together":
        g = [(m, [m.weight, m.bias]) for m in linear]
    else:
        g = [(m, [m.weight]) for m in linear]
    norms = [m for m in model.modules() if isinstance(m, torch.nn.LayerNorm)] if affine else []
    if control == "scale and offset projected separately":
        return g + [(m, [m.weight]) for m in norms] + [(m, [m.bias]) for m in norms]
    return g + [(m, [m.weight, m.bias]) for m in norms]


def joint_norm(ps):
    return torch.sqrt(sum(torch.sum(p * p) for p in ps))


def case(rep, tool, tmp, label, kind, seed, spec="nap", every=1, head=1, affine=1, control=None):
    model = rc.build(torch, kind, seed)
    x, y = rc.batches(torch, kind, STEPS, 16, seed + 1)
    opt = rc.warm_up_adam(torch, model, x, y, LR)
    got, _ = rc.run_tool(tool, tmp, kind, spec, model, x, y, STEPS, rc.adam_state(torch, opt, model),
                         ["--opt", "adam", "--lr", str(LR)])
    projected = groups(model, head, affine, control)
    with torch.no_grad():
        first = [joint_norm(ps).item() for _, ps in projected]

    def after_step(k, captured):
        if k % every:
            return
        with torch.no_grad():
            for (_, ps), rho in zip(projected, first):
                c = rho / joint_norm(ps)
                for p in ps:
                    p.mul_(c)

    rc.torch_train(torch, model, opt, x, y, STEPS, after_step=after_step)
    if control:
        rc.told_apart(rep, label, got, model, opt, torch, control)
        return
    rc.check_all(rep, label, got, model, opt, torch)
    # The tool's norms in the arena's order (its file's parameter order), weights and LayerNorms apart.
    owner = {f"{name}.weight": m for name, m in model.named_modules()}
    norm_of = {id(m): rho for (m, _), rho in zip(projected, first)}
    arena = [owner[k[len("param."):]] for k in got if k.startswith("param.") and k.endswith(".weight")]
    for key, kind in (("weight_norms", (torch.nn.Linear, torch.nn.Conv2d)), ("layernorm_norms", torch.nn.LayerNorm)):
        ref = np.array([norm_of[id(m)] for m in arena if isinstance(m, kind) and id(m) in norm_of])
        ours = got.get(f"learner.own.nap.{key}", np.zeros(0))  # an empty array is not written
        rep.check(ours.shape == ref.shape and rel_err(ours, ref) < 1e-6,
                  f"{label}: the {len(ref)} first norms of {key.split('_')[0]}s recorded as torch's")


def refused(rep, tool, tmp):
    """nap on a network without LayerNorm: refused, the message naming the learner and the layer."""
    model = rc.build(torch, "mlp", 0)
    x, y = rc.batches(torch, "mlp", 1, 16, 1)
    try:
        rc.run_tool(tool, tmp, "mlp", "nap", model, x, y, 1)
        rep.check(False, "nap on an MLP without LayerNorm: refused")
    except RuntimeError as e:
        msg = str(e)
        rep.check("learner 'nap'" in msg and "'lm1' has no LayerNorm" in msg,
                  f"nap on an MLP without LayerNorm: refused ({msg.split(': ', 1)[-1][:150]}...)")


def main():
    tool = os.path.join(build_dir(), "parity_tool")
    rep = Report()
    with tempfile.TemporaryDirectory() as tmp:
        case(rep, tool, tmp, "mlp with LayerNorm", "mlp-ln", 0)
        case(rep, tool, tmp, "mlp with LayerNorm, head=0", "mlp-ln", 1, spec="nap:head=0", head=0)
        case(rep, tool, tmp, "mlp with LayerNorm, affine=0", "mlp-ln", 2, spec="nap:affine=0", affine=0)
        case(rep, tool, tmp, "mlp with LayerNorm, every=2", "mlp-ln", 3, spec="nap:every=2", every=2)
        case(rep, tool, tmp, "cnn with LayerNorm", "cnn-ln", 7)
        case(rep, tool, tmp, "negative control", "mlp-ln", 0, control="no projection")
        case(rep, tool, tmp, "negative control", "mlp-ln", 0, control="scale and offset projected separately")
        case(rep, tool, tmp, "negative control", "mlp-ln", 0, control="weight and bias projected together")
        refused(rep, tool, tmp)
    rep.finish()


if __name__ == "__main__":
    main()
