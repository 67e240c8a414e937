#!/bin/sh
# The search behind `make demo`'s configuration (docs/DEMO-SEARCH.md): every configuration tried,
# run again as it was run, each followed by its paired gaps (random - warm, and every other
# learner against warm and random), mean ± the half-width of a 95 % t-interval over seeds; for
# online runs the mean over rounds 2 on (round 1 is the same model for every learner) and the
# last round. Single-threaded (the MLP's bits do not depend on the thread count); hours in all.
#
#   scripts/demo-search.sh [OUT_DIR] [NAME...]      (default OUT_DIR /tmp/demo-search; NAMEs: a subset)
set -eu
cd "$(dirname "$0")/.."
OUT=${1:-/tmp/demo-search}
[ $# -gt 0 ] && shift
W=./build/warmstart
mkdir -p "$OUT"
gaps() { /usr/bin/python3 - "$1" <<'PY'
import csv, json, math, os, sys
from collections import defaultdict
T = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131]
def show(label, d):
    n, m = len(d), sum(d) / len(d)
    h = T[n - 2] * math.sqrt(sum((x - m) ** 2 for x in d) / (n - 1)) / math.sqrt(n) if 1 < n <= 16 else float("nan")
    print(f"  {label}: {100 * m:+.2f} ± {100 * h:.2f} points ({n} seeds){'  decided' if abs(m) > h else ''}")
out = sys.argv[1]
if os.path.exists(out + "/online.csv"):
    acc = defaultdict(dict)
    for r in csv.DictReader(open(out + "/online.csv")):
        if int(r["round"]) > 0:
            acc[(r["seed"], r["learner"])][int(r["round"])] = float(r["test_acc"])
    seeds, learners = sorted({s for s, _ in acc}), sorted({l for _, l in acc})
    mean = lambda s, l: sum(acc[(s, l)].values()) / len(acc[(s, l)])
    last = lambda s, l: acc[(s, l)][max(acc[(s, l)])]
    show("random - warm, mean over rounds 2 on", [mean(s, "random") - mean(s, "warm") for s in seeds])
    show("random - warm, last round", [last(s, "random") - last(s, "warm") for s in seeds])
    for l in learners:
        if l not in ("warm", "random"):
            show(f"{l} - warm, mean over rounds", [mean(s, l) - mean(s, "warm") for s in seeds])
            show(f"random - {l}, mean over rounds", [mean(s, "random") - mean(s, l) for s in seeds])
else:
    rows = [json.loads(l) for l in open(out + "/batch.jsonl")]
    show("random - warm", [r["runs"]["random"]["test_acc"] - r["runs"]["warm"]["test_acc"] for r in rows])
PY
}
run() { # run NAME warmstart-arguments...
    name=$1
    shift
    if [ -n "${ONLY:-}" ] && ! echo " $ONLY " | grep -q " $name "; then return; fi
    t0=$(date +%s)
    "$W" "$@" --threads 1 --quiet --out "$OUT/$name" >"$OUT/$name.log" 2>&1
    echo "== $name ($(($(date +%s) - t0)) s): warmstart $*"
    gaps "$OUT/$name"
}
ONLY="$*"
SP=shrink-perturb
run b40k batch --subset 40000 --seeds 3
run on1k5 online --k0 1000 --k 1000 --rounds 5 --seeds 3 --learners warm,random,$SP
run b4k batch --subset 4000 --seeds 8
run bff10 batch --subset 4000 --first-fraction 0.1 --seeds 8
run on100 online --k0 100 --k 100 --rounds 20 --seeds 5 --learners warm,random,$SP
run on500 online --k0 500 --k 500 --rounds 10 --seeds 5 --learners warm,random,$SP
run on1k10 online --k0 1000 --k 1000 --rounds 10 --seeds 5 --learners warm,random
run on500sgd online --k0 500 --k 500 --rounds 10 --seeds 5 --opt sgd --lr 0.01 --learners warm,random
run res8b batch --model resnet18 --width 8 --subset 2000 --seeds 5
run on500b online --k0 500 --k 500 --rounds 10 --seeds 5 \
    --learners warm,random,$SP:lambda=0.6:sigma=0.01,$SP:lambda=0.3:sigma=0.01,head-reset,l2-init
run on500c online --k0 500 --k 500 --rounds 10 --seeds 5 \
    --learners warm,random,$SP:lambda=0.8:sigma=0.01,$SP:lambda=0.9:sigma=0.001,partial,dash,cbp,noise
run conf online --k0 500 --k 500 --rounds 10 --seed 6 --seeds 10 --learners warm,random,partial,$SP:lambda=0.9:sigma=0.001,head-reset
# Stopped over budget (see the table): ResNet-18 w8 online, 200 a round; the MLP 784-512-512-10 online.
