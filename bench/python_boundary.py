#!/usr/bin/env python3
"""The cost of the Python boundary (issue 28, "speed at the boundary"): measured, not tested.

  PYTHONPATH=python /usr/bin/python3 bench/python_boundary.py [--demo [--pairs N]] [--threads N]

1. Per-step overhead of a Python remedy's hooks: an online run of the paper's MLP
   (784-100-100-10, Adam, batch 128) with warm beside a Python remedy whose after_backward
   and after_update do nothing (so it trains exactly as warm does); the library's own training
   seconds of the two, per step.
2. A Python remedy that touches every parameter each round (``p.data *= 1`` through the views,
   in begin), against the same NumPy work on arrays of its own and a copy of the whole arena
   (``np.copyto``) in the same hook, and the views alone: the issue's bound is "no more than a
   copy of the arena". The paper's MLP (89,610 floats) and a wide one (1.9 M floats).
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
    """Every parameter touched each round (``p.data *= 1`` through the views, in begin), against
    the same NumPy work on arrays of its own of the same shapes (the work without the boundary)
    and against a copy of the whole arena; and the views alone (every parameter's data, grad and
    fresh fetched, nothing computed: the boundary's own cost). Whichever goes first meets the
    arena cold (the round's evaluation ran in between), so the order rotates by round."""

    timings: list = []

    def __init__(self, step):
        super().__init__(step)
        self.copy = np.empty(step.nweights, np.float32)
        self.own = [np.ones(p.shape, np.float32) for p in step.params.values()]

    @staticmethod
    def timed(fn):
        t0 = time.perf_counter()
        fn()
        return time.perf_counter() - t0

    def begin(self, step):
        def views():
            for p in step.params.values():
                p.data, p.grad, p.fresh

        def touch():
            for p in step.params.values():
                p.data *= np.float32(1)

        def own():
            for a in self.own:
                a *= np.float32(1)

        def copy():
            np.copyto(self.copy, step.weights)

        fns = [views, touch, own, copy]
        k = step.round % len(fns)
        order = fns[k:] + fns[:k]
        t = {f.__name__: self.timed(f) for f in order}
        Touch.timings.append((t["views"], t["touch"], t["own"], t["copy"]))


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
    for hidden in ("100,100", "1024,1024"):
        Touch.timings = []
        e = warmstart.Experiment("online", out=out / f"touch{hidden}", learners=["warm"], threads=threads,
                                 **dict(MLP, rounds=13, subset=10000, hidden=hidden))
        e.add_remedy("touch", Touch)
        e.run(progress=False, quiet=True)
        t = np.median(np.array(Touch.timings[1:]), axis=0) * 1e6  # round 0 has no fresh model: left out
        print(f"2. MLP 784-{hidden.replace(',', '-')}-10, every parameter each round ({len(Touch.timings) - 1} rounds, "
              f"medians): the views alone {t[0]:.1f} us; p.data *= 1 through the views {t[1]:.1f} us, the same on "
              f"arrays of its own {t[2]:.1f} us; a copy of the arena {t[3]:.1f} us")


def demo(out, threads, pairs):
    """The demo experiment, CLI and Python, in pairs whose order alternates (a pair's first run
    may meet a colder machine); each run into a fresh folder."""
    ini = REPO / "experiments" / "demo" / "online.ini"

    def cli(k):
        cmd = [str(REPO / "build" / "warmstart"), "run", str(ini), "--out", str(out / f"cli{k}"), "--quiet",
               "--threads", str(threads)]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)

    def python(k):
        warmstart.Experiment.load(ini, out=out / f"py{k}", threads=threads).run(quiet=True)

    ratios = []
    for k in range(pairs):
        t = {}
        for name, fn in ((("cli", cli), ("python", python)) if k % 2 == 0 else (("python", python), ("cli", cli))):
            t0 = time.perf_counter()
            fn(k)
            t[name] = time.perf_counter() - t0
        ratios.append(t["python"] / t["cli"])
        print(f"3. the demo experiment, pair {k + 1}: CLI {t['cli']:.1f} s, Python {t['python']:.1f} s "
              f"(Python/CLI {ratios[-1]:.3f})", flush=True)
    print(f"3. the demo experiment: Python/CLI median {np.median(ratios):.3f} over {pairs} pairs")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--demo", action="store_true", help="also time the demo experiment, CLI against Python")
    ap.add_argument("--threads", type=int, default=1, help="threads of every run (0: every core)")
    ap.add_argument("--pairs", type=int, default=3, help="--demo: CLI/Python pairs, their order alternating")
    args = ap.parse_args()
    print(f"warmstart {warmstart.version()}, {args.threads} thread(s), {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        hook_overhead(out, args.threads)
        touch_every_parameter(out, args.threads)
        if args.demo:
            demo(out, args.threads, args.pairs)


if __name__ == "__main__":
    main()
