#!/usr/bin/python3
"""How many seeds each CPU-scale file gets: the written-down rule of issue 29 (item 5), applied
to a sizing run's report.

    bench/size-cpu-seeds.py SIZING_OUT [EXPERIMENTS_DIR]

SIZING_OUT: a `warmstart reproduce --scale cpu` folder of the files as they were (its
report/claims.json, each artefact's run.json). Prints, per file, the seeds it ran with, the
seeds the rule gives and why.

The rule (experiments/README.md, "Seeds at CPU scale"):
- A claim still undecided after Holm's adjustment asks for the seeds its 80 %-power estimate
  gives: the conservative count (the seeds' spread at its upper confidence limit) when that is
  at most CAP, else the point estimate's count when that is at most CAP, else nothing (a claim
  that needs more than CAP seeds is left to the paper scale).
- A file gets the largest count its claims ask for, never fewer seeds than it had.
- Every count is rounded up to even: under --jobs 2 an odd count leaves a core idle for the
  last round, so the even seed costs (almost) no wall time.
- Files whose runs are one set (identical stand-ins: the six transfers, CIFAR-100's and SVHN's
  MLP rows) keep equal counts: the first file's.
- The hour: where the re-sized run measured over it, the file that costs most a seed gives its
  added seeds back (GIVEN_BACK, with the measurement), down to its even count.
The sizing run's seeds (1..n) choose the counts; the files then start at seed 101, so that no
verdict is tested on the seeds that chose its size.
Standard library only.
"""
import glob
import json
import os
import sys

CAP = 10

# Files that gave their added seeds back to keep the hour, and why (measured).
GIVEN_BACK = {
    "lr-batch": "the re-sized run (issue 29, 45 min 56 s on the sample) took 547 s here at 8 seeds, "
                "the most a seed of any file",
}


def shares_runs_with(name):
    """The file whose claims and count this one shares (identical stand-in runs), or itself."""
    if name.startswith("transfer-"):
        return "transfer-cifar10-cifar100"
    return {"table1-svhn-mlp-logreg": "table1-cifar100-mlp-logreg"}.get(name, name)


def asked(claim):
    """The seeds an undecided claim asks for, or 0."""
    if claim["adjusted_verdict"] != "undecided" or not claim["in_family"]:
        return 0
    lo_hi = claim.get("seeds_for_80_power") or []
    if len(lo_hi) != 2:
        return 0
    lo, hi = lo_hi
    return hi if hi <= CAP else lo if lo <= CAP else 0


def seeds_ran(out, name):
    """The seeds the sizing run gave artefact `name` (its run.json's options; a stand-in run once: the first file's)."""
    opts = json.load(open(os.path.join(out, shares_runs_with(name), "run.json")))["options"]
    return int(next(o.split("=", 1)[1] for o in opts if o.startswith("--seeds=")))


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    out = sys.argv[1]
    exp = sys.argv[2] if len(sys.argv) == 3 else "experiments/cpu"
    claims = json.load(open(os.path.join(sys.argv[1], "report", "claims.json")))["items"]
    want = {}
    for c in claims:
        want[c["artefact"]] = max(want.get(c["artefact"], 0), asked(c))
    total_now = total_new = 0
    for path in sorted(glob.glob(os.path.join(exp, "*.ini"))):
        name = os.path.basename(path)[:-4]
        now = seeds_ran(out, name)
        ask = want.get(shares_runs_with(name), 0)
        new = now if name in GIVEN_BACK else max(now, ask)
        new += new % 2
        why = f"claims ask {ask}" if ask > now else "rounded to even"
        if name in GIVEN_BACK and ask > now:
            why = f"claims ask {ask}; given back: {GIVEN_BACK[name]}"
        print(f"{name:32s} {now:3d} -> {new:3d}  ({why})")
        total_now, total_new = total_now + now, total_new + new
    print(f"{'all files':32s} {total_now:3d} -> {total_new:3d}  (x{total_new / total_now:.2f})")


if __name__ == "__main__":
    main()
