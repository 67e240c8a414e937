#!/usr/bin/python3
"""Parity with PyTorch of ReDo (Sokar et al., ICML 2023), transcribed from the authors' code
(google/dopamine dopamine/labs/redo/weight_recyclers.py: estimate_neuron_score,
NeuronRecycler.recycle_dead_neurons, reset_momentum) into PyTorch here:

  every `every` updates, on the activations of that update's batch: score_i = mean |h_i| over
  the batch (and a channel's positions) / (the layer's mean score + 1e-9); the units with
  score <= tau of each hidden layer (the output layer never), in forward order: incoming
  weights from a fresh initialisation, bias 0, outgoing weights 0, Adam's exp_avg and
  exp_avg_sq of the incoming and outgoing weights 0, the bias's moments and the step kept.

Warmstart's own choices (docs/LEARNERS.md), transcribed as such: the fresh values are the
layer's own initialisation (warmstart's draw of step k, `draw<k>.*`, as the authors' TF
implementation takes the layer's initializer; their JAX one draws xavier_uniform); a channel's
outgoing weights after flattening are its own H*W columns (NCHW; weight_recyclers.py's
jnp.repeat picks other rows of an NHWC flatten, a bug we do not copy); LayerNorm's scale and
offset of a recycled unit go back to 1 and 0, their moments to 0 (ReDo's networks have none).

    /usr/bin/python3 tests/parity/test_remedy_redo.py BUILD_DIR

Cases: an MLP with units killed on purpose (bias -50), tau 0.1; the same with tau 0.9 (most
units recycled, the next layer's fresh rows overwriting the zeroed columns); an MLP with
LayerNorm; Kumar et al.'s CNN (conv -> conv outgoing kernel slices, conv -> flatten -> Linear
outgoing column blocks), Adam warmed up two steps first so that zeroed moments show; and
recycling every step versus every 2. Parameters within 1e-5 relative and Adam's moments within
1e-4 (remedy_common.py says why) after 4 updates, Adam's step and the number of units recycled
equal; and a negative control: a transcription that keeps the recycled weights' moments is told
apart."""

import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import Report, build_dir, import_torch  # noqa: E402

torch = import_torch()

import remedy_common as rc  # noqa: E402

STEPS = 4
LR = 1e-2


def outgoing(cons, units):
    """The consumer's weight viewed (out, units, rest): a unit's outgoing weights are [:, u, :]."""
    w = cons.weight
    return w.view(w.shape[0], units, -1)


ZERO_MOMENTS = [True]  # False only for the negative control


def zero_moments(opt, p, index):
    for key in ("exp_avg", "exp_avg_sq"):
        if ZERO_MOMENTS[0]:
            opt.state[p][key][index] = 0


def redo_step(model, opt, captured, fresh, tau):
    """weight_recyclers.py's recycling on this update's activations; returns the units recycled."""
    names = {id(p): n for n, p in model.named_parameters()}
    scores = []
    for a in captured:  # all scores first, from the same forward
        s = a.abs().mean(dim=[d for d in range(a.dim()) if d != 1])
        scores.append(s / (s.mean() + 1e-9))
    recycled = 0
    with torch.no_grad():
        for (prod, norm, cons), s in zip(rc.hidden_layers(model), scores):
            mask = s <= tau
            recycled += int(mask.sum())
            prod.weight[mask] = torch.from_numpy(fresh[names[id(prod.weight)]])[mask]
            zero_moments(opt, prod.weight, mask)
            prod.bias[mask] = 0  # its moments kept
            if norm is not None:
                norm.weight[mask] = 1
                norm.bias[mask] = 0
                zero_moments(opt, norm.weight, mask)
                zero_moments(opt, norm.bias, mask)
            outgoing(cons, len(s))[:, mask] = 0
            for key in ("exp_avg", "exp_avg_sq"):
                if ZERO_MOMENTS[0]:
                    opt.state[cons.weight][key].view(cons.weight.shape[0], len(s), -1)[:, mask] = 0
    return recycled


def case(rep, tool, tmp, label, kind, tau, every, kill=(), seed=0, control=False):
    model = rc.build(torch, kind, seed)
    x, y = rc.batches(torch, kind, STEPS, 16, seed + 1)
    with torch.no_grad():
        for layer, unit in kill:  # units dead on every input
            getattr(model, layer).bias[unit] = -50.0
    opt = rc.warm_up_adam(torch, model, x, y, LR)
    opt_state = rc.adam_state(torch, opt, model)
    got, _ = rc.run_tool(tool, tmp, kind, f"redo:tau={tau}:every={every}", model, x, y, STEPS, opt_state,
                         ["--opt", "adam", "--lr", str(LR)])
    recycled = [0]

    def after_step(k, captured):
        if k % every == 0:
            recycled[0] += redo_step(model, opt, captured, rc.draw(got, k), tau)

    rc.torch_train(torch, model, opt, x, y, STEPS, after_step=after_step)
    if control:  # the transcription without the moments zeroed must be told apart
        rc.told_apart(rep, label, got, model, opt, torch, "ReDo keeping Adam's moments", both=True)
        return
    rc.check_all(rep, label, got, model, opt, torch)
    n = int(got["replaced"])
    rep.check(n == recycled[0] and n > 0, f"{label}: units recycled {n} == torch's {recycled[0]} (> 0)")


def main():
    tool = os.path.join(build_dir(), "parity_tool")
    rep = Report()
    with tempfile.TemporaryDirectory() as tmp:
        case(rep, tool, tmp, "mlp, 3 dead units, tau 0.1", "mlp", 0.1, 1, kill=[("lm1", 2), ("lm1", 7), ("lm2", 4)])
        case(rep, tool, tmp, "mlp, tau 0.9, every 2", "mlp", 0.9, 2, seed=3)
        case(rep, tool, tmp, "mlp with LayerNorm, tau 0.9", "mlp-ln", 0.9, 1, seed=5)
        case(rep, tool, tmp, "cnn, tau 0.9, every 2", "cnn", 0.9, 2, seed=7)
        case(rep, tool, tmp, "cnn, dead channel and unit, tau 0.1", "cnn", 0.1, 1, kill=[("conv2", 1), ("fc1", 3)], seed=9)
        ZERO_MOMENTS[0] = False
        case(rep, tool, tmp, "negative control", "mlp", 0.9, 2, seed=3, control=True)
    rep.finish()


if __name__ == "__main__":
    main()
