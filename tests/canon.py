#!/usr/bin/python3
"""The results of a run folder as lines to compare with another run's: what must not depend on
faults, kills and resumes. tests/faults/inject.py imports it; tests/cli/test_diskfull.sh runs it:

    /usr/bin/python3 tests/canon.py DIR      one line a record, on stdout
"""
import glob
import json
import os
import sys


def canon(out):
    """What a run leaves that must not depend on faults and resumes: every JSON and JSONL file's
    records with wall times (and the Pareto mark, which follows them) left out, records files as
    a sorted list (a resume may record units in another order), and the report's prose."""
    def anon(text):  # the folder's own path, where a file names it (the report escapes its '_')
        return text.replace(out, "OUT").replace(out.replace("_", "\\_"), "OUT")

    def strip(x):
        if isinstance(x, dict):
            return {k: strip(v) for k, v in x.items() if "seconds" not in k and k != "pareto"}
        if isinstance(x, list):
            return [strip(v) for v in x]
        return x
    lines = []
    for path in sorted(glob.glob(out + "/**/*.json*", recursive=True)):
        rel = os.path.relpath(path, out)
        with open(path) as f:
            text = anon(f.read())
        if path.endswith(".jsonl"):
            recs = [json.dumps(strip(json.loads(l)), sort_keys=True) for l in text.splitlines() if l.strip()]
            lines += [rel + " " + r for r in (sorted(recs) if "/units/" in rel else recs)]
        else:
            lines.append(rel + " " + json.dumps(strip(json.loads(text)), sort_keys=True))
    report = os.path.join(out, "report.md")
    if os.path.exists(report):
        with open(report) as f:
            lines += ["report.md " + l for l in anon(f.read()).splitlines() if not l.startswith("|")]
    return lines


if __name__ == "__main__":
    print("\n".join(canon(sys.argv[1])))
