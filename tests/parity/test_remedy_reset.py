#!/usr/bin/python3
"""Parity with PyTorch of resets of the last layers (Nikishin et al., "The Primacy Bias in Deep
Reinforcement Learning", ICML 2022), transcribed from the authors' DrQ code
(evgenii-nikishin/rl_with_resets at 502ec52, train_pixels.py L141-175) into PyTorch here:

  every reset_interval steps, a new agent: the layers after the encoder are a fresh
  initialisation and get a new optimizer (a new DrQLearner: zero moments, step count 0); the
  encoder keeps its parameters and its own Adam state (`opt_state_enc` copied over). Here "the
  layers after the encoder" are the last `layers` Linear/Conv2d layers in forward order with
  every module after the first of them (a LayerNorm among them, as DrQ's projection LayerNorm
  is part of the new agent); a new optimizer for them is their state dropped from torch's
  optimizer (torch makes it afresh at the next step: zeros, step 0).

Warmstart's own choices (docs/LEARNERS.md), transcribed as such: the fresh values are
warmstart's draws (`draw<k>.*` after update k; the round's `begin.fresh.*` when a round
begins); the other layers' optimizer state is kept (DrQ's code and SPR's intent; SPR's code
replaces the whole optimizer state, see the second negative control).

    /usr/bin/python3 tests/parity/test_remedy_reset.py BUILD_DIR

Cases (Adam warmed up two steps first, so that kept and fresh moments differ, 5 updates): the
MLP's head every 2 updates; the MLP with LayerNorm, its last 2 layers (lm2, ln2, lm3) every 3;
Kumar et al.'s CNN with LayerNorm, its last 3 layers (fc1 .. output_layer) every 2; the CNN
reset whole (layers=5, SAC's reset of the whole agent) every 4; and when a round begins
(--begin 1) with keep-optim=1 (the encoder's moments carried) and with keep-optim=0 (the
scenario's new optimizer for all). Parameters within 1e-5 relative, Adam's moments within 1e-4
(remedy_common.py says why), each parameter's step count and the units reset equal. Negative
controls: a transcription that zeroes the reset layers' moments but keeps their step count
(dopamine's LayerReset), and one that replaces the whole optimizer state (SPR's code under
optax 0.1.2), are each told apart."""

import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import Report, build_dir, import_torch  # noqa: E402

torch = import_torch()

import remedy_common as rc  # noqa: E402

STEPS = 5
LR = 1e-2


def forward_modules(model):
    """The parameterised modules' names in forward order."""
    if hasattr(model, "conv1"):
        names = ["conv1", "layer_norm1", "conv2", "layer_norm2", "fc1", "layer_norm3", "fc2", "layer_norm4",
                 "output_layer"]
    else:
        names = [n for i in range(1, model.n + 1) for n in (f"lm{i}", f"ln{i}")] + [f"lm{model.n + 1}"]
    return [n for n in names if hasattr(model, n)]


def reset_params(model, layers):
    """The parameters reset: those of every module from the `layers`-th last Linear/Conv2d on."""
    mods = forward_modules(model)
    weighted = [i for i, n in enumerate(mods) if isinstance(getattr(model, n), (torch.nn.Linear, torch.nn.Conv2d))]
    tail = mods[weighted[-layers]:]
    return [(f"{m}.{k}", p) for m in tail for k, p in getattr(model, m).named_parameters()]


def units(model, layers):
    """The output units of the reset Linear/Conv2d layers (the count of one reset)."""
    mods = [getattr(model, m) for m in forward_modules(model)]
    weighted = [m for m in mods if isinstance(m, (torch.nn.Linear, torch.nn.Conv2d))]
    return sum(m.weight.shape[0] for m in weighted[-layers:])


MODE = ["drq"]  # "keep-step" (dopamine's LayerReset) or "spr-code": the negative controls


def reset(model, opt, layers, fresh):
    """train_pixels.py's reset: fresh parameters for the tail, a new optimizer's state for them."""
    tail = reset_params(model, layers)
    with torch.no_grad():
        for name, p in tail:
            p.copy_(torch.from_numpy(fresh[name]))
    if MODE[0] == "spr-code":
        opt.state.clear()
        return
    for _, p in tail:
        if MODE[0] == "keep-step":
            for key in ("exp_avg", "exp_avg_sq"):
                opt.state[p][key].zero_()
        else:
            opt.state.pop(p, None)


def check(rep, label, got, model, opt):
    """Parameters, moments and each parameter's step count against torch's (the optimizer's global
    count is warmstart's own bookkeeping where every parameter was restarted)."""
    (e, n), (em, nm), _ = rc.errors(got, model, opt, torch)
    rep.check(e <= rc.PARAM_TOL, f"{label}: parameters, max rel err {e:.1e} ({n}) <= {rc.PARAM_TOL:g}")
    rep.check(em <= rc.MOMENT_TOL, f"{label}: optimizer moments, max rel err {em:.1e} ({nm}) <= {rc.MOMENT_TOL:g}")
    want = rc.param_steps(opt, model)
    own = {n: int(got[f"opt.param_step.{n}"]) for n in want}
    rep.check(own == want, f"{label}: every parameter's step count as torch's {sorted(set(want.values()))}")


def control(rep, label, got, model, opt):
    rc.told_apart(rep, label, got, model, opt, torch, "the transcription", both=True)


def case(rep, tool, tmp, label, kind, layers, every, seed=0, begin=False, keep_optim=1, ctl=None):
    model = rc.build(torch, kind, seed)
    x, y = rc.batches(torch, kind, STEPS, 16, seed + 1)
    opt = rc.warm_up_adam(torch, model, x, y, LR)
    spec = f"reset:layers={layers}:every={every}" + (f":keep-optim={keep_optim}" if begin else "")
    flags = ["--opt", "adam", "--lr", str(LR)] + (["--begin", "1"] if begin else [])
    got, _ = rc.run_tool(tool, tmp, kind, spec, model, x, y, STEPS, rc.adam_state(torch, opt, model), flags)
    resets = [0]
    if begin:
        fresh = {n[len("begin.fresh."):]: v for n, v in got.items() if n.startswith("begin.fresh.")}
        reset(model, opt, layers, fresh)
        resets[0] += 1
        if not keep_optim:
            opt = torch.optim.Adam(model.parameters(), lr=LR)

    def after_step(k, captured):
        if every and k % every == 0:
            reset(model, opt, layers, rc.draw(got, k))
            resets[0] += 1

    rc.torch_train(torch, model, opt, x, y, STEPS, after_step=after_step)
    if ctl:
        control(rep, f"{label} ({ctl})", got, model, opt)
        return
    check(rep, label, got, model, opt)
    n, want = int(got["replaced"]), resets[0] * units(model, layers)
    rep.check(n == want and n > 0, f"{label}: units reset {n} == torch's {want} (> 0)")


def main():
    tool = os.path.join(build_dir(), "parity_tool")
    rep = Report()
    with tempfile.TemporaryDirectory() as tmp:
        case(rep, tool, tmp, "mlp, head every 2", "mlp", 1, 2)
        case(rep, tool, tmp, "mlp with LayerNorm, last 2 layers every 3", "mlp-ln", 2, 3, seed=2)
        case(rep, tool, tmp, "cnn with LayerNorm, last 3 layers every 2", "cnn-ln", 3, 2, seed=4)
        case(rep, tool, tmp, "cnn whole every 4", "cnn", 5, 4, seed=6)
        case(rep, tool, tmp, "mlp, last 2 layers when a round begins, keep-optim=1", "mlp", 2, 0, seed=8, begin=True)
        case(rep, tool, tmp, "cnn with LayerNorm, head when a round begins, keep-optim=0", "cnn-ln", 1, 0, seed=10,
             begin=True, keep_optim=0)
        MODE[0] = "keep-step"
        case(rep, tool, tmp, "negative control", "mlp-ln", 2, 3, seed=2, ctl="moments zeroed, step count kept")
        MODE[0] = "spr-code"
        case(rep, tool, tmp, "negative control", "mlp", 2, 0, seed=8, begin=True,
             ctl="the whole optimizer state replaced")
    rep.finish()


if __name__ == "__main__":
    main()
