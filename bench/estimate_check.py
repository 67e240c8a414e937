#!/usr/bin/env python3
"""The cost estimate against a measured reproduction: a Markdown table for bench/RESULTS.md.

    bench/estimate_check.py REPRODUCE_JSON ESTIMATE_WITH_RECORDS.txt ESTIMATE_ASSUMED.txt

REPRODUCE_JSON: the measured run's OUT/reproduce.json (each artefact's wall seconds); the two
texts: `warmstart reproduce --estimate ...` printed with --out that run's folder (steps from its
records) and with --out an empty folder (the assumption path), at the run's --threads and --jobs
(bench/estimate_check.sh runs all three steps). One row an artefact that ran (a stand-in run again
under another name is not), the ratio estimate / measured, and how many lie within 25 %.
"""
import json
import math
import re
import sys


def parse(path):
    """artefact -> (predicted wall seconds, where its steps came from)."""
    est, name = {}, None
    for line in open(path):
        m = re.match(r"^(\S+)\s+\d+\s+\d+\s+[\d.]+\s+[\d.]+\s+\d+\s", line)
        if m and m.group(1) != "total":
            name = m.group(1)
        w = re.search(r"^\s+([\d.]+)\s+wall \(.*?; \d+ units; (.*)$", line)
        if w and name:
            est[name] = (float(w.group(1)), w.group(2))
    return est


def main(ref_path, rec_path, ass_path):
    meas = {a["name"]: (a.get("status"), a.get("seconds", 0.0)) for a in json.load(open(ref_path))["artefacts"]}
    rec, ass = parse(rec_path), parse(ass_path)
    print("| artefact | measured s | estimate from records (s) | ratio | estimate assumed (s) | ratio |")
    print("|---|---:|---:|---:|---:|---:|")
    n = in_r = in_a = 0
    tot = [0.0, 0.0, 0.0]
    for name in sorted(meas):
        status, s = meas[name]
        if status != "ok" or name not in rec:
            continue
        r, a = rec[name][0], ass.get(name, (math.nan, ""))[0]
        n += 1
        in_r += abs(r / s - 1) <= 0.25
        in_a += abs(a / s - 1) <= 0.25
        tot = [tot[0] + s, tot[1] + r, tot[2] + a]
        print(f"| {name} | {s:.0f} | {r:.0f} | {r / s:.2f} | {a:.0f} | {a / s:.2f} |")
    print(f"| **total** | {tot[0]:.0f} | {tot[1]:.0f} | {tot[1] / tot[0]:.2f} | {tot[2]:.0f} | {tot[2] / tot[0]:.2f} |")
    print(f"\nWithin 25 %: {in_r} of {n} from records, {in_a} of {n} assumed.")


if __name__ == "__main__":
    main(*sys.argv[1:4])
