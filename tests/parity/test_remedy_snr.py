#!/usr/bin/python3
"""Parity with PyTorch of self-normalized resets, SNR (Farias & Jozefiak, ICLR 2025), transcribed
from the authors' code (ajozefiak/SelfNormalizedResets @ 8b84f0c: src/algorithms/snr.py,
increment_neuron_ages_snr_new L156-183, reset_neurons_snr_adam_ L269-333, update_tau_ L46-90;
src/experiments/pm_experiment.py L71-94 for their order) into PyTorch here:

  on each update's batch, from its forward before the update: a hidden unit whose pre-activation
  is <= 0 on every example (and every position of a channel) ages by the batch size; one that
  fires adds 1 to its histogram's bin `age` (ages 0 .. tau-max have bins) and goes back to 0;
  after the update, in forward order, each unit with age >= its threshold counts its age in the
  histogram, goes back to 0 and is reset: incoming weights from a fresh initialisation, bias 0,
  outgoing weights 0, Adam's exp_avg and exp_avg_sq of all three 0, the step kept; at the end of a
  round r with (r + 1) % every == 0, each unit's threshold becomes p (the smallest gap >= 1 whose
  share of the gaps >= 1, in float32, reaches the percentile; p = 1 when there are none) if p is
  below it, else expand times it, then clamped to [batch, tau-max]; the histograms start over.

Warmstart's own choices (docs/LEARNERS.md), transcribed as such: the fresh values are warmstart's
draw of step k (`draw<k>.*`), the layer's own initialisation, as snr.py's model.init is its
model's; the clamp's floor is the round's batch size where snr.py hard-codes its batch of 100;
with LayerNorm the pre-activation is LayerNorm's output, and a reset unit's scale and offset go
back to 1 and 0 with their moments (SNR's networks have none); a channel's outgoing weights after
flattening are its own H*W columns (NCHW; snr.py's NHWC mask picks the same weights).

    /usr/bin/python3 tests/parity/test_remedy_snr.py BUILD_DIR

Cases: MLPs with units dead on purpose (bias -50) and units that fire now and then (bias -1),
threshold one batch so that resets happen from the first update on; a threshold of three batches
with the thresholds' update at the round's end (every=1: thresholds shrink to a gap, grow to
tau-max, fall to the floor where a unit has no gaps); a threshold no unit reaches (ages and
histograms build up, no reset); every=2, where round 0's end leaves them; an MLP with LayerNorm;
Kumar et al.'s CNN with a dead channel and a dead unit, batch 12. Adam warmed up two steps first
so that zeroed moments show. After 6 updates: parameters within 1e-5 relative, Adam's moments
within 1e-4 (remedy_common.py says why), Adam's step, the units reset, and every unit's age,
threshold and histogram (learner.own.snr.*) equal. Negative controls: a transcription that keeps
the reset biases' moments (ReDo's choice), and one that counts ages in updates instead of
examples, are told apart."""

import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import Report, build_dir, import_torch  # noqa: E402

torch = import_torch()

import numpy as np  # noqa: E402

import remedy_common as rc  # noqa: E402

STEPS = 6
LR = 1e-2
CONTROL = {"keep_bias_moments": False, "age_in_updates": False}


class Snr:
    """SNR's state and steps for the hidden layers of a torch model, as snr.py keeps them."""

    def __init__(self, model, tau, tau_max, percentile, every, expand):
        self.layers = rc.hidden_layers(model)
        self.units = [layer[0].weight.shape[0] for layer in self.layers]
        self.age = [np.zeros(n, dtype=np.int64) for n in self.units]
        self.thr = [np.full(n, tau, dtype=np.int64) for n in self.units]
        self.hist = [np.zeros((n, tau_max + 1), dtype=np.int64) for n in self.units]
        self.tau_max, self.percentile, self.every, self.expand = tau_max, percentile, every, expand
        self.reset = 0

    def count(self, k, mask):
        """hist[u][age[u]] += 1 for the units in mask whose age has a bin."""
        for u in np.nonzero(mask)[0]:
            if self.age[k][u] <= self.tau_max:
                self.hist[k][u, self.age[k][u]] += 1

    def ages(self, captured, B):
        """increment_neuron_ages_snr_new on the batch's activations (B examples)."""
        for k, a in enumerate(captured):
            dims = [d for d in range(a.dim()) if d != 1]
            silent = (a <= 0).all(dim=dims[0]) if len(dims) == 1 else (a <= 0).flatten(2).all(dim=2).all(dim=0)
            silent = silent.numpy()
            self.count(k, ~silent)
            self.age[k] = np.where(silent, self.age[k] + (1 if CONTROL["age_in_updates"] else B), 0)

    def resets(self, model, opt, fresh):
        """reset_neurons_snr_adam_ after the update, layers in forward order."""
        if not any((a >= t).any() for a, t in zip(self.age, self.thr)):
            return
        for k, layer in enumerate(self.layers):
            mask = self.age[k] >= self.thr[k]
            self.count(k, mask)
            self.age[k][mask] = 0
            self.reset += int(mask.sum())
            rc.reset_units(torch, model, opt, layer, torch.from_numpy(mask), fresh,
                           zero_bias_moments=not CONTROL["keep_bias_moments"])

    def end(self, round_, B):
        """update_tau at the end of round `round_` (task round_ + 1)."""
        if (round_ + 1) % self.every:
            return
        q = torch.tensor(self.percentile, dtype=torch.float32)
        for k in range(len(self.layers)):
            h = torch.from_numpy(self.hist[k][:, 1:]).to(torch.float32)
            cdf = torch.cumsum(torch.from_numpy(self.hist[k][:, 1:]), dim=1).to(torch.float32)
            share = cdf / h.sum(dim=1, keepdim=True)  # 0/0 = NaN where a unit has no gaps
            p = (torch.argmax((share >= q).to(torch.int64), dim=1) + 1).numpy()
            new = np.where(p < self.thr[k], p, self.expand * self.thr[k])
            self.thr[k] = np.maximum(B, np.minimum(new, self.tau_max))
            self.hist[k][:] = 0


def case(rep, tool, tmp, label, kind, tau, tau_max, every=16, end=False, kill=(), B=16, seed=0, control=None,
         resets=True):
    model = rc.build(torch, kind, seed)
    x, y = rc.batches(torch, kind, STEPS, B, seed + 1)
    with torch.no_grad():
        for layer, unit, bias in kill:
            getattr(model, layer).bias[unit] = bias
    opt = rc.warm_up_adam(torch, model, x, y, LR)
    spec = f"snr:tau={tau}:tau-max={tau_max}:every={every}"
    got, _ = rc.run_tool(tool, tmp, kind, spec, model, x, y, STEPS, rc.adam_state(torch, opt, model),
                         ["--opt", "adam", "--lr", str(LR), *(["--end"] if end else [])])
    snr = Snr(model, tau, tau_max, 0.99, every, 2)

    def after_step(k, captured):
        snr.ages(captured, B)
        snr.resets(model, opt, rc.draw(got, k))

    rc.torch_train(torch, model, opt, x, y, STEPS, after_step=after_step)
    if end:
        snr.end(0, B)
    if control:
        rc.told_apart(rep, label, got, model, opt, torch, control)
        return
    rc.check_all(rep, label, got, model, opt, torch)
    n = int(got["replaced"])
    rep.check(n == snr.reset and (n > 0) == resets,
              f"{label}: units reset {n} == torch's {snr.reset}{' (> 0)' if resets else ''}")
    for what, mine in (("age", snr.age), ("threshold", snr.thr), ("histogram", snr.hist)):
        ref = np.concatenate([a.reshape(-1) for a in mine])
        theirs = got[f"learner.own.snr.{what}"].astype(np.int64)
        rep.check(theirs.shape == ref.shape and (theirs == ref).all(),
                  f"{label}: every unit's {what} as torch's (sum {int(ref.sum())})")


def main():
    tool = os.path.join(build_dir(), "parity_tool")
    rep = Report()
    dead_and_rare = [("lm1", 2, -50.0), ("lm1", 7, -50.0), ("lm1", 11, -1.0), ("lm1", 12, -1.0), ("lm2", 4, -50.0),
                     ("lm2", 5, -1.0)]
    with tempfile.TemporaryDirectory() as tmp:
        case(rep, tool, tmp, "mlp, threshold one batch", "mlp", 16, 200, kill=dead_and_rare)
        case(rep, tool, tmp, "mlp, threshold three batches, updated at the end (shrink, grow, tau-max)", "mlp", 48, 80,
             every=1, end=True, kill=dead_and_rare, seed=3)
        case(rep, tool, tmp, "mlp, threshold past the run: ages grow, thresholds shrink to the gaps", "mlp", 200, 400,
             every=1, end=True, kill=dead_and_rare, seed=6, resets=False)
        case(rep, tool, tmp, "mlp, every=2: round 0's end leaves the thresholds", "mlp", 32, 100, every=2, end=True,
             kill=dead_and_rare, seed=4)
        case(rep, tool, tmp, "mlp with LayerNorm, updated at the end", "mlp-ln", 16, 64, every=1, end=True,
             kill=[("lm1", 3, -50.0)], seed=5)
        case(rep, tool, tmp, "cnn, dead channel and unit, batch 12", "cnn", 12, 120, every=1, end=True,
             kill=[("conv2", 1, -50.0), ("fc1", 3, -50.0), ("fc2", 2, -1.0)], B=12, seed=9)
        CONTROL["keep_bias_moments"] = True
        case(rep, tool, tmp, "negative control", "mlp", 16, 200, kill=dead_and_rare,
             control="keeping the biases' moments")
        CONTROL["keep_bias_moments"], CONTROL["age_in_updates"] = False, True
        case(rep, tool, tmp, "negative control", "mlp", 16, 200, kill=dead_and_rare, control="ages in updates")
    rep.finish()


if __name__ == "__main__":
    main()
