# warmstart from Python, a walk-through (notebook-style: each "# %%" is a cell; run it whole as
# a script, or cell by cell in Jupyter or VS Code).
#
#   /usr/bin/python3 examples/python/walkthrough.py [SCALE [OUT]]
#
# SCALE (or the environment's WARMSTART_SCALE): "small" (default: 10,000 training examples,
# the paper's MLP 784-100-100-10 to 99 % training accuracy, 5 seeds; about 25 s of training on
# 2 idle cores) or "tiny" (a few seconds, every run stopped at 3 epochs: what the test suite
# runs; its claims get no verdict, as runs at the epoch cap decide nothing). OUT (or
# WARMSTART_OUT): the results folder, default results/walkthrough-SCALE. From the source tree,
# with the library built (make python): PYTHONPATH=python /usr/bin/python3 examples/python/walkthrough.py tiny

# %% The setting: Ash & Adams's two-phase experiment on Fashion-MNIST
# Train on half of the pool (phase 1), then on all of it -- continuing from the phase-1 model
# (warm) or from a fresh initialisation (random) -- each until 99 % training accuracy; compare
# their test accuracy. Paper: warm start generalises worse. On Fashion-MNIST this MLP has little
# room to overfit, and the two-phase gap is small or absent (docs/DEMO-SEARCH.md: pools of 4,000
# and 40,000 showed none); the claim below is tested all the same, and "undecided" is a result.
# A claim may name a learner the program adds (py-shrink-perturb, below): claims are checked
# when the experiment is.
import os
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # figures to files: no display needed
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import warmstart  # noqa: E402

SCALE = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("WARMSTART_SCALE", "small")
SCALES = {
    # one thread: on models this small a second one only waits (and, on a busy machine, long)
    "tiny": dict(subset=1000, eval_subset=500, hidden=[32], max_epochs=3, seeds=3, threads=1),
    "small": dict(subset=10000, hidden=[100, 100], max_epochs=200, seeds=5),
}
if SCALE not in SCALES:
    sys.exit(f"walkthrough: scale '{SCALE}': expected one of {', '.join(SCALES)}")
OUT = Path(sys.argv[2] if len(sys.argv) > 2 else os.environ.get("WARMSTART_OUT", f"results/walkthrough-{SCALE}"))
OUT.mkdir(parents=True, exist_ok=True)
print(f"warmstart {warmstart.version()}, scale {SCALE}, results in {OUT}")

# %% The experiment, with its claims written down before it runs
# An experiment file holds the scenario, its options and what the results should show
# (docs/EXPERIMENT-FILES.md); the claims are tested on the results by the report. Keyword
# options override the file's: the scale's sizes here.
EXPERIMENT = OUT / "two-phase.ini"
EXPERIMENT.write_text("""\
scenario = batch
[options]
data = fashion-mnist
model = mlp
opt = adam
probe = 0

[claim gap]
says = warm start generalises worse than random initialisation
paper = Ash & Adams 2020: warm-started models generalise worse than fresh ones
compare = random - warm
measure = test-acc
sesoi = 0.5
sesoi-why = half a point of Fashion-MNIST's test set: less would not change a choice

[claim fewer-steps]
says = warm start takes fewer gradient steps than random initialisation
paper = Ash & Adams 2020: warm starting trains in less time
compare = random - warm
measure = steps

[claim remedy]
says = our shrink-and-perturb, written in Python below, generalises better than warm start
paper = Ash & Adams 2020, section 5: shrink and perturb closes the warm-start gap
compare = py-shrink-perturb - warm
measure = test-acc
beside = random - py-shrink-perturb
role = exploratory
""")
exp = warmstart.Experiment.load(EXPERIMENT, out=OUT / "run", learners=["warm", "random"], **SCALES[SCALE])


# %% A remedy of our own, in NumPy: shrink and perturb (Ash & Adams 2020, section 5)
# When a round begins after the first (here: phase 2), the model it starts from is shrunk
# toward zero and a little of a fresh initialisation added: w <- lam * w + sigma * fresh.
# p.data views the library's weights (no copy): writing into it changes the model.
class ShrinkPerturb(warmstart.Remedy):
    def __init__(self, step, lam=0.4, sigma=0.1):
        super().__init__(step, lam=lam, sigma=sigma)
        self.lam, self.sigma = np.float32(lam), np.float32(sigma)

    def begin(self, step):
        for p in step.params.values():
            if p.fresh is not None:  # None in the first round: nothing to shrink yet
                p.data *= self.lam
                p.data += self.sigma * p.fresh


exp.add_remedy("py-shrink-perturb", ShrinkPerturb, lam=0.4, sigma=0.1)

# %% Run it: a progress bar of the units; Ctrl-C stops it after the unit in flight, and
# exp.run(resume=True) goes on from there.
run = exp.run()
df = warmstart.results(run.path)  # long form: point, learner, seed, stage, measure, value, stop
print(df.head())

# %% Test accuracy and steps per learner, mean over seeds
table = df[df.measure.isin(["test_acc", "steps"])].pivot_table(index="learner", columns="measure", values="value",
                                                                aggfunc="mean")
table["test_acc"] *= 100
print(table.round(2))

# %% Warm vs random (and the remedy), seed by seed
acc = df[df.measure == "test_acc"].pivot(index="seed", columns="learner", values="value") * 100
learners = [name for name in ("phase1", "warm", "random", "py-shrink-perturb") if name in acc.columns]
fig, ax = plt.subplots(figsize=(6, 3.5))
for i, name in enumerate(learners):
    ax.scatter(np.full(len(acc), i), acc[name], alpha=0.6)
    ax.errorbar(i, acc[name].mean(), yerr=acc[name].std(ddof=1) if len(acc) > 1 else 0, fmt="_k", capsize=8)
ax.set_xticks(range(len(learners)), learners)
ax.set_ylabel("test accuracy (%)")
ax.set_title(f"Two-phase Fashion-MNIST ({SCALE}): warm vs random")
fig.tight_layout()
figure = OUT / "warm-vs-random.png"
fig.savefig(figure, dpi=120)
print(f"figure: {figure}")

# %% The claims, tested: each a paired difference over seeds, its interval and verdict
claims = warmstart.claims(run.path)  # writes the report (report.md, report.html) first
print(claims[["id", "mean_difference", "half_width_95", "verdict", "adjusted_verdict"]].to_string(index=False))
print(f"report: {run.path / 'report.html'}")
