#!/usr/bin/python3
"""Fault injection over a whole run (docs/RELIABILITY.md).

A small but complete experiment -- an online sweep of two points, three learners (warm, random,
EWC) whose chains checkpoint every round, then its report -- runs once on the fault build
(build/faults/warmstart, -DWS_FAULTS, ASan + UBSan + LSan) to find its injection points: every
open, write, fsync, rename and mkdir call, and the first allocation from each call path
(src/core/sys.c, WARMSTART_FAULT_SITES). Then, for each point and each errno that call can meet,
the step runs again with that one call failing (WARMSTART_FAULT=KIND:N:ERRNO), and:

  - it ends with exit status 1..127 and one error line that names the reason (the errno's text,
    or "memory"), or -- where the code can do without the call (the folder's fsync is best
    effort) -- it succeeds with results equal to the uninterrupted run's;
  - no sanitizer report, no leak, no temporary file left behind, every records line whole JSON;
  - the same command with --resume and no fault (then the report) succeeds, and its results equal
    the uninterrupted run's: records, results and configuration files byte for byte with wall
    times left out, no record twice.

    inject.py FAULT_BUILD all            every point (make test-faults)
    inject.py FAULT_BUILD sample [K]     a seeded sample of K points (make test; FAULT_SEED, default 1)
    FAULT_KINDS="alloc write" (only these kinds), FAULT_JOBS (at once; default the cores),
    FAULT_KEEP=1 (keep the scratch folder)

Prints a line per failure with the environment that reproduces it, a table of points per kind and
errno, and "faults: ..." last; exit 0 when nothing failed, 1 otherwise, 77 when the data is absent.
"""
import concurrent.futures as cf
import glob
import gzip
import json
import os
import random
import shutil
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from canon import canon  # noqa: E402 (tests/canon.py, shared with tests/cli/test_diskfull.sh)

ERRNOS = {  # the errnos each kind of call meets on a real machine, and their messages
    "alloc": ["ENOMEM"],
    "open": ["EACCES", "ENOSPC"],
    "write": ["EIO", "ENOSPC"],
    "fsync": ["EIO", "ENOSPC"],
    "rename": ["EACCES", "ENOSPC"],
    "mkdir": ["EACCES", "ENOSPC"],
}
REASON = {"ENOMEM": "memory", "EACCES": "Permission denied", "ENOSPC": "No space left on device",
          "EIO": "Input/output error"}
FASHION = "/usr/share/datasets/fashion-mnist"
EXPERIMENT = """scenario = online
[options]
data = mnist
subset = 400
k0 = 200
k = 100
seeds = 1
hidden = 8
learners = warm,random,ewc
threads = 1
max-epochs = 3
[grid]
lr = 0.001,0.003
"""
# The table's columns: what each tried point came to. Clean: the run ended with its one error line;
# tolerated: it did without the call, results unchanged; not reached: the call was never made
# (a run that failed earlier for another reason is a failure, not this). The rest are failures.
COLUMNS = ["tried", "clean", "tolerated", "not reached", "crashes", "leaks", "bad errors", "left behind",
           "failed resumes", "wrong results"]
SANITIZER = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:", "SUMMARY: ")


def tiny_mnist(root):
    """1,000 training and 300 test images of Fashion-MNIST as uncompressed IDX files (mnist's names)."""
    os.makedirs(os.path.join(root, "mnist"))
    for name, n in (("train-images-idx3-ubyte", 1000), ("train-labels-idx1-ubyte", 1000),
                    ("t10k-images-idx3-ubyte", 300), ("t10k-labels-idx1-ubyte", 300)):
        b = gzip.open(os.path.join(FASHION, name + ".gz")).read()
        dims = b[3]
        head = 4 + 4 * dims
        per = 1
        for d in struct.unpack(">" + "I" * (dims - 1), b[8:head]):
            per *= d
        with open(os.path.join(root, "mnist", name), "wb") as f:
            f.write(b[:4] + struct.pack(">I", n) + b[8:head] + b[head:head + n * per])


class Harness:
    def __init__(self, ws, scratch):
        self.ws, self.scratch = ws, scratch
        self.data = os.path.join(scratch, "data")
        tiny_mnist(self.data)
        self.ini = os.path.join(scratch, "sweep.ini")
        with open(self.ini, "w") as f:
            f.write(EXPERIMENT)

    def steps(self, out):
        """The experiment's commands in order: (name, argv, argv to resume it)."""
        run = [self.ws, "run", self.ini, "--out", out]
        return [("run", run, run + ["--resume"]), ("report", [self.ws, "report", out], [self.ws, "report", out])]

    def call(self, argv, fault=None, extra=None):
        env = dict(os.environ, WARMSTART_DATA=self.data, ASAN_OPTIONS="detect_leaks=1:exitcode=86",
                   UBSAN_OPTIONS="halt_on_error=1:exitcode=87:print_stacktrace=1", OMP_NUM_THREADS="1")
        for k in ("WARMSTART_FAULT", "WARMSTART_FAULT_LOG", "WARMSTART_FAULT_SITES", "WARMSTART_FAULT_COUNTS"):
            env.pop(k, None)
        env.update(extra or {})
        if fault:
            env["WARMSTART_FAULT"] = fault
        p = subprocess.run(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, errors="replace")
        return p.returncode, p.stderr


def repeated(out):
    """A (unit, round) or a unit's end recorded twice in one records file, or None."""
    for path in glob.glob(out + "/**/units/records*.jsonl", recursive=True):
        seen = set()
        with open(path) as f:
            for line in f:
                r = json.loads(line)
                key = (r.get("unit"), r.get("round"), "status" in r)
                if key in seen:
                    return "%s recorded twice in %s" % (key, path)
                seen.add(key)
    return None


def leftovers(out):
    return [p for p in glob.glob(out + "/**/*.tmp.*", recursive=True)]


def find_points(h, ref):
    """Run the experiment whole, in ref, listing each step's points: (step, kind, N)."""
    points = []
    for i, (name, argv, _) in enumerate(h.steps(ref)):
        sites = os.path.join(h.scratch, "sites.%d" % i)
        counts = os.path.join(h.scratch, "counts.%d" % i)
        rc, err = h.call(argv, extra={"WARMSTART_FAULT_SITES": sites, "WARMSTART_FAULT_COUNTS": counts})
        if rc != 0:
            sys.exit("faults: the uninterrupted %s failed (exit %d): %s" % (name, rc, err[-2000:]))
        with open(counts) as f:
            calls = dict((k, int(v)) for k, v in (l.split() for l in f))
        for kind in ERRNOS:
            if kind == "alloc":
                with open(sites) as f:
                    points += [(i, kind, int(l.split()[1])) for l in f if l.startswith("alloc ")]
            else:
                points += [(i, kind, n) for n in range(1, calls[kind] + 1)]
        if i == 0:  # the finished run, before its report: where a report's faults start from
            shutil.copytree(ref, os.path.join(h.scratch, "finished-run"), symlinks=True)
    return points


def try_point(h, ref_canon, step, kind, n, code, plant=None):
    """One injection and its resume; a failure's description, or None, and what happened."""
    tag = "%d-%s-%d-%s%s" % (step, kind, n, code, "-" + plant if plant else "")
    out = os.path.join(h.scratch, "t-" + tag)
    log = out + ".log"
    if step > 0:
        shutil.copytree(os.path.join(h.scratch, "finished-run"), out, symlinks=True)
    steps = h.steps(out)
    fault = "%s:%d:%s%s" % (kind, n, code, ":all" if plant == "lie" else "")
    extra = {"WARMSTART_FAULT_LOG": log}
    if plant:
        extra["WARMSTART_FAULT_PLANT"] = plant
    rc, err = h.call(steps[step][1], fault=fault, extra=extra)
    injected = os.path.exists(log) and "injected" in open(log).read()
    what = "fault %s in %s" % (fault, steps[step][0])
    problems = []  # (the column of the table it counts in, what happened)
    if any(s in err for s in SANITIZER):
        line = next(l for l in err.splitlines() if any(s in l for s in SANITIZER))
        problems.append(("leaks" if "LeakSanitizer" in line else "crashes", "sanitizer report: " + line))
    elif rc >= 128 or rc < 0 or rc in (86, 87):
        problems.append(("crashes", "exit %d (a crash)" % rc))
    errors = [l for l in err.splitlines() if ": error: " in l]
    outcome = "clean" if rc else ("tolerated" if injected else "not reached")
    if rc and not problems:
        if len(errors) != 1:
            problems.append(("bad errors", "%d error lines, expected one: %r" % (len(errors), err[-600:])))
        elif REASON[code] not in errors[0]:
            problems.append(("bad errors", "the error does not say '%s': %r" % (REASON[code], errors[0])))
    if not problems and leftovers(out):
        problems.append(("left behind", "temporary files left: %s" % leftovers(out)[:3]))
    if not problems:
        for name, _, resume in steps[step:]:
            rc2, err2 = h.call(resume)
            if rc2 != 0:
                problems.append(("failed resumes", "the resumed %s failed (exit %d): %s" % (name, rc2, err2.strip()[-600:])))
                break
    if not problems:
        try:
            dup = repeated(out)
            got = canon(out)
        except (ValueError, OSError) as e:
            dup, got = "unreadable results: %s" % e, None
        if dup:
            problems.append(("wrong results", dup))
        elif got != ref_canon:
            diff = [l for l in got if l not in ref_canon][:2] + ["missing: " + l for l in ref_canon if l not in got][:2]
            problems.append(("wrong results", "results differ from the uninterrupted run's: %s" % diff))
    if not problems:
        shutil.rmtree(out, ignore_errors=True)
        if os.path.exists(log):
            os.remove(log)
    msg = None
    if problems:
        msg = "FAIL - %s: %s\n  reproduce: WARMSTART_FAULT=%s WARMSTART_DATA=%s %s" % (
            what, "; ".join(t for _, t in problems), fault, h.data, " ".join(steps[step][1]))
    return kind, code, problems[0][0] if problems else outcome, msg


def self_test(h, ref_canon, points):
    """The harness catches what it is for: bugs planted at an injected call (src/core/sys.c,
    WARMSTART_FAULT_PLANT) -- a leak, a crash, a write that reports success and writes nothing --
    must each be reported as a failure. Returns the plants it missed."""
    first = {k: next(p for p in points if p[1] == k and p[0] == 0) for k in ("alloc", "write")}
    plants = [("leak", first["alloc"], "ENOMEM"), ("crash", first["write"], "EIO")]
    # The lie: every write from the middle of the run on reports success and writes nothing (a
    # disk that drops data silently), which only the comparison with the uninterrupted run sees.
    writes = [p for p in points if p[1] == "write" and p[0] == 0]
    plants.append(("lie", writes[len(writes) // 2], "EIO"))
    missed = []
    for plant, (step, kind, n), code in plants:
        _, _, _, msg = try_point(h, ref_canon, step, kind, n, code, plant)
        if msg:
            print("ok - planted %s at %s:%d caught: %s" % (plant, kind, n, msg.split(": ", 1)[1].split("\n")[0][:160]))
        else:
            print("FAIL - planted %s at %s:%d: not caught" % (plant, kind, n))
            missed.append(plant)
    return missed


def main():
    if len(sys.argv) < 3 or sys.argv[2] not in ("all", "sample"):
        sys.exit(__doc__)
    ws = os.path.abspath(os.path.join(sys.argv[1], "warmstart"))
    if not os.path.isdir(FASHION):
        print("faults: skipped: %s is absent (apt-get install dataset-fashion-mnist)" % FASHION)
        return 77
    base = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None
    # An underscore in the name, always: the report escapes it, and canon() must see through that.
    scratch = tempfile.mkdtemp(prefix="warmstart_faults-", dir=base)
    started = time.time()
    try:
        h = Harness(ws, scratch)
        ref = os.path.join(scratch, "ref")
        points = find_points(h, ref)
        ref_canon = canon(ref)
        kinds = os.environ.get("FAULT_KINDS", " ".join(ERRNOS)).split()  # e.g. FAULT_KINDS=alloc
        trials = [(s, k, n, c) for (s, k, n) in points for c in ERRNOS[k] if k in kinds]
        total = len(trials)
        seed = int(os.environ.get("FAULT_SEED", "1"))
        if sys.argv[2] == "sample":
            k = int(sys.argv[3]) if len(sys.argv) > 3 else 40
            rng = random.Random(seed)
            by_kind = {}
            for t in trials:
                by_kind.setdefault(t[1], []).append(t)
            # A share of the sample for each kind: the rare kinds are not drowned by allocations.
            per = max(1, k // len(by_kind))
            trials = sorted(t for ts in by_kind.values() for t in rng.sample(ts, min(per, len(ts))))
        jobs = int(os.environ.get("FAULT_JOBS", str(os.cpu_count() or 1)))
        table, failures = {}, self_test(h, ref_canon, points)
        with cf.ThreadPoolExecutor(max_workers=jobs) as pool:
            for kind, code, outcome, msg in pool.map(lambda t: try_point(h, ref_canon, *t), trials):
                row = table.setdefault((kind, code), dict((c, 0) for c in COLUMNS))
                row["tried"] += 1
                row[outcome] += 1
                if msg:
                    failures.append(msg)
                    print(msg, flush=True)
        print("| kind | errno | " + " | ".join(COLUMNS) + " |")
        print("|---|---|" + "---:|" * len(COLUMNS))
        for (kind, code), r in sorted(table.items()) + [(("all", ""), dict((c, sum(x[c] for x in table.values())) for c in COLUMNS))]:
            print("| %s | %s | %s |" % (kind, code, " | ".join(str(r[c]) for c in COLUMNS)))
        tried = sum(r["tried"] for r in table.values())
        print("faults: %d of %d injection points tried (%s, seed %d), %d failed, %.0f s" % (
            tried, total, sys.argv[2], seed, len(failures), time.time() - started))
        # A control: injections that end runs. Every kind's must, over all the points; in a sample,
        # some (a kind can be all best-effort calls there, as the folder's fsync is).
        for kind in sorted(set(k for k, _ in table)) if sys.argv[2] == "all" else ["any"]:
            if not sum(r["clean"] for (k, _), r in table.items() if kind in (k, "any")):
                failures.append("no %s fault ended the run with an error: is this the fault build?" % kind)
                print("FAIL - " + failures[-1])
        return 1 if failures else 0
    finally:
        if not os.environ.get("FAULT_KEEP"):
            shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
