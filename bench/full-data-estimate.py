#!/usr/bin/python3
"""The CPU reproduce's time with CIFAR-10, CIFAR-100 and SVHN present, estimated from a run
on the CIFAR-10 sample (WARMSTART_DATA with a cifar10 link to ../shared's sample; CIFAR-100
and SVHN standing in as Fashion-MNIST).

    bench/full-data-estimate.py OUT [AT_MS_PER_STEP]

Two totals: with CIFAR-10 whole and the stand-ins as they ran (what issue 29 sizes the hour
by), and with all three datasets present.

OUT: the reproduce folder. The one term taken from outside this run, the full CIFAR-10 MLP
row's step count, is costed at the speed of this run: the ms a step of the run's own MLP row on
the sample (its steps and seconds, evaluations included). AT_MS_PER_STEP adds a column with
every time scaled to another speed of the same loop, e.g. bench/loop.sh's warmstart loop (the
paper's MLP, Adam, 33,333 CIFAR-10 images, 2 threads) measured in the same session: this VM
alternates between a speed where its second core scales and one where it does not. The method,
and why, is in bench/RESULTS.md ("The CPU reproduce, issue 18"). Standard library only.
"""
import glob
import json
import math
import os
import sys

SAMPLE_TRAIN = 3333          # the sample's 5,000 images under the protocol's 2/3 split
SAMPLE_EVAL = 1667
FULL_EVAL = {"cifar10": 16667, "cifar100": 16667, "svhn": 24419}
# The full CIFAR-10 MLP row (phase 1, warm, random, Adam, to 99 %): the measurement,
# 131 s a seed at about 1.2 ms a step in the loop (an epoch of 260 steps in 0.25-0.37 s), so
# about 109,000 steps a seed.
FULL_MLP_STEPS_PER_SEED = 131.0 / 1.2e-3
# Evaluation cost an image (bench/RESULTS.md: an MLP evaluation of 16,667 images about 0.1 s,
# ResNet-18 width 8 about 2 s).
EVAL_S_PER_IMAGE = {"mlp": 0.1 / 16667, "logreg": 0.05 / 16667, "resnet18": 2.0 / 16667}
# The MLP's first layer on CIFAR (3,072 inputs) against Fashion-MNIST's 784: a stand-in's
# MLP runs cost about this much more on the real data.
STAND_IN_INPUT_RATIO = 3.5

# Artefacts whose pool is 3,500 (3,333 on the sample): trained to the threshold, or for
# fixed epochs.
POOL_3500_THRESHOLD = {"online", "active", "remedies", "shrink-perturb", "shrink-perturb-grid",
                       "lr-batch", "partial-noise-ewc", "appendix-l2", "appendix-adversarial",
                       "appendix-confidence"}
POOL_3500_FIXED = {"phase1-epochs", "figure1", "gradient-norms"}
SAME_EXAMPLES = {"table1-cifar10", "shrink-only", "shrink-only-nobias"}


def records(folder):
    """Every result record of one artefact, with its point's config (not the summaries)."""
    files = glob.glob(os.path.join(folder, "points", "*", "*.jsonl"))
    files += [f for f in glob.glob(os.path.join(folder, "*.jsonl")) if not f.endswith("sweep.jsonl")]
    for f in sorted(files):
        cfg_path = os.path.join(os.path.dirname(f), "config.json")
        cfg = json.load(open(cfg_path)) if os.path.exists(cfg_path) else {}
        for line in open(f):
            yield json.loads(line), cfg


def count_evals(node):
    """Evaluations in a record: every object carrying a test accuracy."""
    if isinstance(node, dict):
        return ("test_acc" in node) + sum(count_evals(v) for v in node.values())
    if isinstance(node, list):
        return sum(count_evals(v) for v in node)
    return 0


def eval_extra(folder, dataset):
    """Seconds the larger evaluation split adds on full data."""
    extra = 0.0
    for rec, cfg in records(folder):
        data = cfg.get("data", {})
        cap = data.get("eval_subset") or 0
        model = cfg.get("model", {}).get("kind", "mlp")
        n_here = rec.get("n_eval", SAMPLE_EVAL)
        n_full = FULL_EVAL[dataset] if not cap else min(cap, FULL_EVAL[dataset])
        if n_full > n_here:
            extra += count_evals(rec) * (n_full - n_here) * EVAL_S_PER_IMAGE.get(model, EVAL_S_PER_IMAGE["mlp"])
    return extra


def run_seconds(folder):
    """The seconds of every run in an artefact's records, summed (each unit's own time)."""
    return sum(r["seconds"] for rec, _ in records(folder) for r in rec.get("runs", {}).values())


def mlp_row(folder):
    """(MLP seconds a seed, MLP steps a seed, logistic regression seconds) on the sample."""
    mlp_s = mlp_steps = lr_s = 0.0
    seeds = set()
    for rec, cfg in records(folder):
        kind = cfg.get("model", {}).get("kind")
        s = sum(r["seconds"] for r in rec["runs"].values())
        if kind == "mlp":
            mlp_s += s
            mlp_steps += sum(r["steps"] for r in rec["runs"].values())
            seeds.add(rec["seed"])
        else:
            lr_s += s
    return mlp_s / len(seeds), mlp_steps / len(seeds), len(seeds), lr_s


def cifar10_only(name, here, full):
    """An artefact's seconds with CIFAR-10 whole and CIFAR-100 and SVHN still standing in."""
    if name.startswith("table1-cifar100") or name.startswith("table1-svhn"):
        return here  # stand-ins as they ran
    if name == "transfer-* (six)":
        # Four of the six pairs have CIFAR-10 on one side: each a run of its own, half real;
        # the two without it stay one identical stand-in run.
        return here * (1 + 4 * (1 + STAND_IN_INPUT_RATIO) / 2)
    return full


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    out = sys.argv[1]
    rep = json.load(open(os.path.join(out, "reproduce.json")))
    secs = {a["name"]: a["seconds"] for a in rep["artefacts"] if a["status"] == "ok"}

    row_folder = os.path.join(out, "table1-cifar10-mlp-logreg")
    mlp_s, mlp_steps, mlp_seeds, lr_s = mlp_row(row_folder)
    ms_per_step = 1e3 * mlp_s / mlp_steps
    # Under --jobs the row's units overlap: its wall time over its runs' summed seconds (1 serial).
    overlap = min(1.0, secs["table1-cifar10-mlp-logreg"] / run_seconds(row_folder))
    at = float(sys.argv[2]) / ms_per_step if len(sys.argv) == 3 else None
    # Steps to 99 % grow as n^a: a from the sample's MLP row against the full set's.
    a = math.log(FULL_MLP_STEPS_PER_SEED / mlp_steps) / math.log(10.0)
    grow_3500 = (3500 / SAMPLE_TRAIN) ** a
    grow_7500 = (7500 / SAMPLE_TRAIN) ** a
    print(f"sample MLP row: {mlp_steps:.0f} steps a seed, {mlp_s:.2f} s a seed "
          f"({1e3 * mlp_s / mlp_steps:.2f} ms a step with its evaluations)")
    print(f"full CIFAR-10 MLP row: {FULL_MLP_STEPS_PER_SEED:.0f} steps a seed; exponent a = {a:.2f}; "
          f"3,500/3,333 -> x{grow_3500:.3f}; 7,500/3,333 -> x{grow_7500:.2f}; "
          f"costed at {ms_per_step:.2f} ms a step, x{overlap:.2f} for the units that overlap")

    rows = []
    for name, s in sorted(secs.items()):
        folder = os.path.join(out, name)
        if name in SAME_EXAMPLES:
            est = s + eval_extra(folder, "cifar10")
        elif name in POOL_3500_THRESHOLD:
            est = s * grow_3500 + eval_extra(folder, "cifar10")
        elif name in POOL_3500_FIXED:
            est = s * 3500 / SAMPLE_TRAIN + eval_extra(folder, "cifar10")
        elif name == "table1-cifar10-mlp-logreg":
            est = ((mlp_seeds * FULL_MLP_STEPS_PER_SEED * ms_per_step / 1e3 + lr_s * 10) * overlap
                   + eval_extra(folder, "cifar10") * overlap)
        elif name == "table1-cifar100":
            # A real CIFAR-100 run at the CIFAR-10 file's pool and width: as table1-cifar10.
            est = secs["table1-cifar10"] + eval_extra(os.path.join(out, "table1-cifar10"), "cifar100")
        elif name == "table1-svhn":
            # Its smaller pool: table1-cifar10 times the stand-ins' ratio (2,000 against 3,000).
            est = (secs["table1-cifar10"] * s / secs["table1-cifar100"]
                   + eval_extra(os.path.join(out, "table1-cifar10"), "svhn"))
        elif name == "table1-cifar100-mlp-logreg":
            # Run once for both stand-ins; real CIFAR-100 and SVHN rows at 7,500 are two.
            one = mlp_seeds * mlp_s * grow_7500 + lr_s * 7500 / SAMPLE_TRAIN
            est = (2 * one + eval_extra(os.path.join(out, "table1-cifar10-mlp-logreg"), "cifar100")
                   + eval_extra(os.path.join(out, "table1-cifar10-mlp-logreg"), "svhn"))
            name = "table1-cifar100-mlp-logreg + svhn"
        elif name.startswith("transfer-"):
            # Run once for the six stand-ins; each real pair costs the stand-in times the input ratio.
            est = 6 * s * STAND_IN_INPUT_RATIO
            name = "transfer-* (six)"
        else:
            est = s
        rows.append((name, s, est, cifar10_only(name, s, est)))

    here = sum(r[1] for r in rows)
    full = sum(r[2] for r in rows)
    c10 = sum(r[3] for r in rows)
    print(f"\n{'artefact':40s} {'s here':>8s} {'CIFAR-10 whole':>15s} {'s full data':>12s}")
    for name, s, est, only in rows:
        print(f"{name:40s} {s:8.0f} {only:15.0f} {est:12.0f}")
    print(f"{'all':40s} {here:8.0f} {c10:15.0f} {full:12.0f}")
    print(f"\nminutes: here {here / 60:.0f}; CIFAR-10 whole, stand-ins as they ran {c10 / 60:.0f}; all three "
          f"datasets {full / 60:.0f} (the outside term at the sample MLP row's {ms_per_step:.2f} ms a step)")
    if at:
        # Another speed of the same loop. An upper bound at a faster speed: this run's measured
        # times as they are (no run is slower at a faster speed), the full CIFAR-10 MLP row costed
        # at that speed.
        row = mlp_seeds * FULL_MLP_STEPS_PER_SEED * ms_per_step / 1e3
        bound = full - row + row * at
        print(f"at {sys.argv[2]} ms a step: {bound / 60:.0f} (the measured times as they are, the full "
              f"CIFAR-10 MLP row at that speed); {full * at / 60:.0f} if every time scales with the step")

if __name__ == "__main__":
    main()
