#!/usr/bin/env python3
"""The epochs table of src/exp/estimate.c from a CPU-scale reproduction's records.

    bench/estimate_epochs.py RESULTS_DIR   (e.g. results/reproduce, after `warmstart reproduce --scale cpu`)

For every run to a threshold (not fixed epochs, not a task sequence) in every results file under
RESULTS_DIR (a sweep's points included), by model and optimizer: the mean epochs of runs from a
fresh initialisation (phase 1, pretraining, the random learner, every learner's first round) and of
runs continuing from a trained model (the other learners' later runs), with their counts and the
artefacts they come from; data arriving in rounds (online, active) apart from the rest. Prints one line a (model, optimizer) and the C rows to paste.
"""
import json
import os
import sys
from collections import defaultdict

FILES = ("batch.jsonl", "online.jsonl", "transfer.jsonl")


def runs_of(rec):
    """(learner, round, run) for each run of a record, whatever its scenario's layout."""
    if isinstance(rec.get("learners"), dict):  # online, active: learner -> rounds
        for name, rounds in rec["learners"].items():
            for r in rounds:
                yield name, r.get("round", 0), r
    for share in rec.get("points", []) if isinstance(rec.get("points"), list) else []:  # transfer: shares
        for name, r in share.items():
            if isinstance(r, dict) and "epochs" in r:
                yield name, 1, r
    runs = rec.get("runs")
    if isinstance(runs, dict):  # batch: phase1 and each learner
        for name, r in runs.items():
            if isinstance(r, dict):
                yield name, 0 if name == "phase1" else 1, r
    elif isinstance(runs, list):  # transfer: shares, each with its learners
        for share in runs:
            for name, r in share.items() if isinstance(share, dict) else []:
                if isinstance(r, dict) and "epochs" in r:
                    yield name, 1, r
    if isinstance(rec.get("pretrain"), dict):
        yield "pretrain", 0, rec["pretrain"]


def model_opt(rec):
    c = rec.get("config", {})
    model = c.get("model", {}).get("kind", "?")
    opt = (c.get("phase1") or c.get("optimizer") or {}).get("optimizer", "?")
    fixed = bool(c.get("epochs") or c.get("stopping", {}).get("epochs")) if isinstance(c, dict) else False
    return model, opt, fixed


def main(root):
    acc = defaultdict(lambda: {"fresh": [], "warm": [], "from": set()})
    for dirpath, dirs, files in os.walk(root):
        if "units" in dirpath.split(os.sep):
            continue
        for f in files:
            if f not in FILES:
                continue
            art = os.path.relpath(dirpath, root).split(os.sep)[0]
            for line in open(os.path.join(dirpath, f)):
                rec = json.loads(line)
                model, opt, fixed = model_opt(rec)
                rounds = int(f == "online.jsonl")
                for name, rnd, r in runs_of(rec):
                    if fixed or r.get("stop") not in ("threshold", "cap", "plateau") or "epochs" not in r:
                        continue
                    fresh = name in ("phase1", "pretrain", "random") or rnd == 0
                    a = acc[(model, opt, rounds)]
                    a["fresh" if fresh else "warm"].append(r["epochs"])
                    a["from"].add(art)
    for (model, opt, rounds), a in sorted(acc.items()):
        m = lambda v: sum(v) / len(v) if v else float("nan")
        print(f"{model}/{opt}{' in rounds' if rounds else ''}: fresh {m(a['fresh']):.1f} ({len(a['fresh'])} runs), warm {m(a['warm']):.1f} "
              f"({len(a['warm'])} runs); from {', '.join(sorted(a['from']))}")
    for (model, opt, rounds), a in sorted(acc.items()):
        m = lambda v: sum(v) / len(v) if v else float("nan")
        print(f"    {{WS_MODEL_{model.upper()}, WS_OPT_{opt.upper()}, {rounds}, {m(a['fresh']):.1f}, {m(a['warm']):.1f}}},")


if __name__ == "__main__":
    import signal
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    main(sys.argv[1] if len(sys.argv) > 1 else "results/reproduce")
