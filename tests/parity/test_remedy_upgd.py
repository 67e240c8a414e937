#!/usr/bin/python3
"""Parity with PyTorch of UPGD (Elsayed & Mahmood, ICLR 2024), transcribed from the authors'
code (mohmdelsayed/upgd @ b75e90a, core/optim/weight_upgd/first_order.py lines 74-111,
FirstOrderGlobalUPGD, the paper's "UPGD") into PyTorch here, as their class is written:

  pass 1, every parameter: step += 1; u <- beta u + (1 - beta)(-g w); m = max over all of u
  pass 2, every parameter: s = sigmoid((u / (1 - beta^step)) / m);
          w <- w (1 - lr wd) - lr (g + sigma xi)(1 - s),  xi = randn_like(g)

Warmstart's choices (docs/LEARNERS.md), transcribed as such: the step is -lr (the experiment
code's), not the README's and AdaptiveUPGD's -2 lr; the maximum is of the raw trace, not the
bias-corrected one, as their code has it; where m = 0 a zero utility's 0/0 is taken as 0 (their
code gives NaN: checked below); the noise xi is warmstart's (stream "upgd-noise", the update's
number, one normal per parameter in arena order), which the tool writes out (`--normals`,
`normal<k>.<name>`) and the transcription takes in place of randn_like, so that the algorithm
is compared with sigma > 0 too, not the generator. UPGD replaces the optimizer: Adam's state
given to the tool must come back untouched.

    /usr/bin/python3 tests/parity/test_remedy_upgd.py BUILD_DIR

Cases (5 updates each, on an Adam state warmed up two steps that UPGD must leave alone): an MLP
with sigma 0 (the end-to-end check of the deterministic part); an MLP with noise and weight
decay; an MLP with LayerNorm; Kumar et al.'s CNN with beta 0 (their class's default: no bias
correction); a ResNet-18 (BatchNorm's scale and offset updated as any parameter); the learner's
own lr= over --lr; all weights zero (m = 0 at the first update). Parameters within 1e-5
relative and the utility trace within 1e-4 (remedy_common.py says why), UPGD's step count equal;
--wd > 0 refused; and negative controls: the README's 2 lr, the max of the bias-corrected trace,
and noise that bypasses the utility gate (their "nonprotecting" variant) are each told apart."""

import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import Report, build_dir, import_torch, rel_err  # noqa: E402

torch = import_torch()

import numpy as np  # noqa: E402

import remedy_common as rc  # noqa: E402

STEPS = 5
LR = 0.05


class FirstOrderGlobalUPGD(torch.optim.Optimizer):
    """first_order.py's FirstOrderGlobalUPGD (lines 74-111). normals(k, name): update k's xi for
    the parameter (the tool's), in place of torch.randn_like. variant: None (as warmstart
    follows), "2lr" (the README's step), "corrected-max" (m of the bias-corrected trace),
    "ungated-noise" (g (1 - s) + sigma xi), or "literal" (no guard on m = 0)."""

    def __init__(self, params, lr=1e-5, weight_decay=0.0, beta_utility=0.0, sigma=1.0, normals=None, variant=None):
        names, params = zip(*params)
        defaults = dict(lr=lr, weight_decay=weight_decay, beta_utility=beta_utility, sigma=sigma, names=names)
        super().__init__(params, defaults)
        self.normals, self.variant, self.k = normals, variant, 0

    def noise(self, name, p):
        if self.normals is None:
            return torch.randn_like(p.grad)
        return torch.from_numpy(self.normals(self.k, name))

    def step(self):
        self.k += 1
        global_max_util = torch.tensor(-torch.inf)
        for group in self.param_groups:
            for name, p in zip(group["names"], group["params"]):
                if "gate" in name:
                    continue
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = 0
                    state["avg_utility"] = torch.zeros_like(p.data)
                state["step"] += 1
                avg_utility = state["avg_utility"]
                avg_utility.mul_(group["beta_utility"]).add_(-p.grad.data * p.data, alpha=1 - group["beta_utility"])
                current_util_max = avg_utility.max()
                if self.variant == "corrected-max":
                    current_util_max = (avg_utility / (1 - group["beta_utility"] ** state["step"])).max()
                if current_util_max > global_max_util:
                    global_max_util = current_util_max

        for group in self.param_groups:
            for name, p in zip(group["names"], group["params"]):
                if "gate" in name:
                    continue
                state = self.state[p]
                bias_correction = 1 - group["beta_utility"] ** state["step"]
                noise = self.noise(name, p) * group["sigma"]
                arg = (state["avg_utility"] / bias_correction) / global_max_util
                if self.variant != "literal":  # warmstart's one guard: 0/0 where m = 0 taken as 0
                    arg = torch.where((state["avg_utility"] == 0) & (global_max_util == 0), torch.zeros_like(arg), arg)
                scaled_utility = torch.sigmoid_(arg)
                step = (p.grad.data + noise) * (1 - scaled_utility)
                if self.variant == "ungated-noise":
                    step = p.grad.data * (1 - scaled_utility) + noise
                alpha = -2.0 * group["lr"] if self.variant == "2lr" else -group["lr"]
                p.data.mul_(1 - group["lr"] * group["weight_decay"]).add_(step, alpha=alpha)


def utility(upgd, model):
    """The trace in the arena's layout (parameters in registration order, flattened)."""
    return np.concatenate([upgd.state[p]["avg_utility"].numpy().ravel() for _, p in model.named_parameters()])


def case(rep, tool, tmp, label, kind, beta, sigma, wd, seed=0, own_lr=None, zero=False, control=None):
    model = rc.build(torch, kind, seed)
    x, y = rc.batches(torch, kind, STEPS, 16, seed + 1)
    adam = rc.warm_up_adam(torch, model, x, y, 1e-2)
    if zero:
        with torch.no_grad():
            for p in model.parameters():
                p.zero_()
    given = rc.adam_state(torch, adam, model)
    spec = f"upgd:beta={beta}:sigma={sigma}:wd={wd}" + (f":lr={own_lr}" if own_lr else "")
    got, meta = rc.run_tool(tool, tmp, kind, spec, model, x, y, STEPS, given,
                            ["--opt", "adam", "--lr", str(LR), "--normals", "upgd-noise"])
    upgd = FirstOrderGlobalUPGD(model.named_parameters(), lr=own_lr or LR, weight_decay=wd, beta_utility=beta,
                                sigma=sigma, normals=lambda k, n: got[f"normal{k}.{n}"], variant=control)
    rc.torch_train(torch, model, upgd, x, y, STEPS)
    e, n = rc.worst(got, rc.state_of(model), "param.")
    if control:
        rep.check(e > 100 * rc.PARAM_TOL, f"{label}: told apart ({control}: parameters' error {e:.1e} ({n}))")
        return
    rep.check(e <= rc.PARAM_TOL, f"{label}: parameters, max rel err {e:.1e} ({n}) <= {rc.PARAM_TOL:g}")
    eu = rel_err(got["learner.own.upgd.utility"], utility(upgd, model))
    rep.check(eu <= rc.MOMENT_TOL, f"{label}: utility trace, max rel err {eu:.1e} <= {rc.MOMENT_TOL:g}")
    step = int(meta["learner.own.upgd.step"])
    rep.check(step == STEPS, f"{label}: UPGD's step count {step} == {STEPS}")
    same = all(np.array_equal(got[k], v) for k, v in given.items())
    rep.check(same, f"{label}: the optimizer's state (Adam's, given) untouched")


def zero_max(rep, tool, tmp):
    """All weights zero: every utility is 0 at the first update, m = 0. Their code's 0/0 gives
    NaN weights; warmstart's guard (s = 1/2 there) is what the tool must match (case above)."""
    model = rc.build(torch, "mlp", 4)
    x, y = rc.batches(torch, "mlp", 1, 16, 5)
    with torch.no_grad():
        for p in model.parameters():
            p.zero_()
    upgd = FirstOrderGlobalUPGD(model.named_parameters(), lr=LR, beta_utility=0.9, sigma=0.0, variant="literal")
    rc.torch_train(torch, model, upgd, x, y, 1)
    nan = any(bool(torch.isnan(p).any()) for p in model.parameters())
    rep.check(nan, "m = 0: their code as written gives NaN weights (hence the guard)")


def refuses_wd(rep, tool, tmp):
    model = rc.build(torch, "mlp", 0)
    x, y = rc.batches(torch, "mlp", 1, 4, 1)
    try:
        rc.run_tool(tool, tmp, "mlp", "upgd", model, x, y, 1, None, ["--wd", "0.01"])
        rep.check(False, "--wd 0.01 refused")
    except RuntimeError as err:
        msg = str(err)
        rep.check("learner 'upgd'" in msg and "--wd" in msg, f"--wd 0.01 refused: {msg.split(': ', 1)[-1]}")


def main():
    tool = os.path.join(build_dir(), "parity_tool")
    rep = Report()
    with tempfile.TemporaryDirectory() as tmp:
        case(rep, tool, tmp, "mlp, beta 0.999, sigma 0", "mlp", 0.999, 0.0, 0.0)
        case(rep, tool, tmp, "mlp, beta 0.9, sigma 0.1, wd 0.01", "mlp", 0.9, 0.1, 0.01, seed=3)
        case(rep, tool, tmp, "mlp with LayerNorm, beta 0.999, sigma 0.01, wd 0.001", "mlp-ln", 0.999, 0.01, 0.001, seed=5)
        case(rep, tool, tmp, "cnn, beta 0, sigma 0.1", "cnn", 0.0, 0.1, 0.0, seed=7)
        case(rep, tool, tmp, "resnet-18 (BatchNorm), beta 0.99, sigma 0.01", "resnet", 0.99, 0.01, 0.0, seed=9)
        case(rep, tool, tmp, "mlp, the learner's lr=0.02 over --lr", "mlp", 0.999, 0.001, 0.0, seed=11, own_lr=0.02)
        case(rep, tool, tmp, "mlp, all weights zero (m = 0 first)", "mlp", 0.9, 0.0, 0.0, seed=4, zero=True)
        zero_max(rep, tool, tmp)
        refuses_wd(rep, tool, tmp)
        for control in ("2lr", "corrected-max", "ungated-noise"):
            case(rep, tool, tmp, "negative control", "mlp", 0.999, 0.1, 0.0, seed=3, control=control)
    rep.finish()


if __name__ == "__main__":
    main()
