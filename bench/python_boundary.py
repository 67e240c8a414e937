#!/usr/bin/env python3
"""The cost of the Python boundary (issue 28, "speed at the boundary"): measured, not tested.

  PYTHONPATH=python python3 bench/python_boundary.py [--demo] [--threads N]

1. Per-step overhead of a Python remedy's hooks: an online run of the paper's MLP
   (784-100-100-10, Adam, batch 128) with warm beside a Python remedy whose after_backward
   and after_update do nothing (so it trains exactly as warm does); the library's own training
   seconds of the two, per step.
2. A Python remedy that touches every parameter each round (``p.data *= 1`` through the views,
   in begin), against a copy of the whole arena (``np.copyto``) in the same hook: the
   issue's bound is "no more than a copy of the arena".
3. With --demo: the demo experiment (experiments/demo/online.ini) run from Python (progress
   bar, hooks) and by the CLI, wall time of each, one after the other.
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "python"))
import warmstart  # noqa: E402

MLP = dict(data="fashion-mnist", model="mlp", opt="adam", subset=6000, eval_subset=1000, k0=2000, k=1000, rounds=4,
           max_epochs=5, seeds=2, probe=0)


class Empty(warmstart.Remedy):
    """Hooks that do nothing: the cost of the call alone."""

    def after_backward(self, step):
        pass

    def after_update(self, step):
        pass


class Touch(warmstart.Remedy):
    """Every parameter touched each round, timed against a copy of the arena. Whichever goes
    first meets the arena cold (the round's evaluation ran in between) and pays for it, so the
    order alternates by round and each order is reported."""

    timings: list = []

    def __init__(self, step):
        super().__init__(step)
        self.copy = np.empty(step.nweights, np.float32)

    def touch(self, step):
        t0 = time.perf_counter()
        for p in step.params.values():
            p.data *= np.float32(1)
        return time.perf_counter() - t0

    def copy_arena(self, step):
        t0 = time.perf_counter()
        np.copyto(self.copy, step.weights)
        return time.perf_counter() - t0

    def begin(self, step):
        if step.round % 2:
            touch = self.touch(step)
            Touch.timings.append(("touch first", touch, self.copy_arena(step)))
        else:
            copy = self.copy_arena(step)
            Touch.timings.append(("copy first", self.touch(step), copy))


def seconds_per_step(df, learner):
    rows = df[df.learner == learner]
    sec = rows[rows.measure == "seconds"].value.sum()
    steps = rows[rows.measure == "steps"].value.sum()
    return sec / steps, int(steps)


def hook_overhead(out, threads):
    e = warmstart.Experiment("online", out=out / "empty", learners=["warm"], threads=threads, **MLP)
    e.add_remedy("empty", Empty)
    df = e.run(progress=False, quiet=True).frame()
    warm, steps = seconds_per_step(df, "warm")
    empty, _ = seconds_per_step(df, "empty")
    print(f"1. per step ({steps} steps each): warm {warm * 1e3:.3f} ms, with two empty Python hooks "
          f"{empty * 1e3:.3f} ms: {(empty - warm) * 1e6:+.1f} us a step ({100 * (empty / warm - 1):+.1f} %)")


def touch_every_parameter(out, threads):
    Touch.timings = []
    e = warmstart.Experiment("online", out=out / "touch", learners=["warm"], threads=threads, **dict(MLP, rounds=8, subset=10000))
    e.add_remedy("touch", Touch)
    e.run(progress=False, quiet=True)
    for order in ("touch first", "copy first"):
        t = np.array([x[1:] for x in Touch.timings if x[0] == order])
        print(f"2. every parameter touched in begin through the views ({order}, {len(t)} rounds): median "
              f"{np.median(t[:, 0]) * 1e6:.1f} us, a copy of the arena {np.median(t[:, 1]) * 1e6:.1f} us")


def demo(out, threads):
    ini = REPO / "experiments" / "demo" / "online.ini"
    cli = [str(REPO / "build" / "warmstart"), "run", str(ini), "--out", str(out / "cli"), "--quiet"]
    if threads:
        cli += ["--threads", str(threads)]
    t0 = time.perf_counter()
    subprocess.run(cli, check=True, stdout=subprocess.DEVNULL)
    t_cli = time.perf_counter() - t0
    t0 = time.perf_counter()
    warmstart.Experiment.load(ini, out=out / "py", threads=threads).run(quiet=True)
    t_py = time.perf_counter() - t0
    print(f"3. the demo experiment: CLI {t_cli:.1f} s, Python {t_py:.1f} s ({100 * (t_py / t_cli - 1):+.1f} %)")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--demo", action="store_true", help="also time the demo experiment, CLI against Python")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    print(f"warmstart {warmstart.version()}, {args.threads} thread(s), {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        hook_overhead(out, args.threads)
        touch_every_parameter(out, args.threads)
        if args.demo:
            demo(out, args.threads)


if __name__ == "__main__":
    main()
