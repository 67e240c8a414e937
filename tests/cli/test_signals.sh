#!/bin/sh
# Signals stop a run cleanly (docs/RUNNING.md, "Stopping a run"): an online run sent SIGINT once
# its first record exists exits with status 130, says what stopped it and the command that
# resumes it (its own command line with --resume), leaves only whole records, no temporary
# checkpoint and its folder free: the printed command, run at once, takes the folder and finishes
# with the results of an uninterrupted run, bit for bit (wall times aside). The same under SIGTERM
# (143), and under --jobs 2. A unit minutes long is abandoned mid-training: the run exits within
# seconds, in an epoch well before its last, recording nothing of it. Two SIGINTs in quick
# succession exit with 130; a second signal while the first is being handled ends the process at
# once, by that signal, without the clean stop's message.
# Usage: tests/cli/test_signals.sh BUILD_DIR
set -u
SUITE=signals
. "$(dirname "$0")/common.sh"

# A shell script's background commands ignore SIGINT (no job control), and warmstart keeps an
# ignored SIGINT ignored: they start through a command that puts SIGINT back to its default and
# execs warmstart (a simple command, not a function: $! is then warmstart's pid, not a subshell's).
if env --default-signal=INT true 2>/dev/null; then
    BG="env --default-signal=INT"
else
    cat >"$T/dfl.py" <<'EOF'
import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL)
os.execv(sys.argv[1], sys.argv[1:])
EOF
    BG="$PY $T/dfl.py"
fi

# 2 seeds x 2 learners: 4 chains of 4 rounds, a few seconds in all.
ONLINE="--subset 4000 --k0 1000 --k 1000 --seeds 2 --hidden 128 --learners warm,random --max-epochs 30"
# One unit far longer than the test waits: phase 1 trains exactly 1000 epochs (about a minute).
LONG="--subset 6000 --epochs 1000 --hidden 256 --seeds 1 --learners warm --threads 1"

lines() { if [ -e "$1" ]; then grep -c . "$1"; else echo 0; fi; }
# Every record line whole (JSON, newline-terminated), none repeated: "N" records, or the fault.
whole_records() {
    "$PY" - "$1" <<'EOF'
import json, sys, glob
seen, n = set(), 0
for f in glob.glob(sys.argv[1] + "/units/records*.jsonl"):
    data = open(f).read()
    if data and not data.endswith("\n"): sys.exit("%s: its last line is cut" % f)
    for line in data.splitlines():
        r = json.loads(line)
        key = (r["unit"], r.get("round"), "status" in r)
        if key in seen: sys.exit("repeated: %s" % (key,))
        seen.add(key)
        n += 1
print(n)
EOF
}
# Wait for pid to end (at most $2 tenths of a second); its exit status into $rc, the tenths waited into $waited.
reap() {
    waited=0
    while kill -0 "$1" 2>/dev/null && [ $waited -lt "$2" ]; do sleep 0.1; waited=$((waited + 1)); done
    kill -0 "$1" 2>/dev/null && kill -9 "$1"
    wait "$1"
    rc=$?
}
# Wait until file $1 has at least $2 lines (at most 30 s) while pid $3 runs.
await_lines() {
    i=0
    while [ "$(lines "$1")" -lt "$2" ] && kill -0 "$3" 2>/dev/null && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
}

# --- the reference: one uninterrupted process ---
"$WS" online $ONLINE --threads 1 --out "$T/ref" >/dev/null 2>"$T/ref.err" || bad "reference run: $(cat "$T/ref.err")"
ref=$(STRIP_KEYS="threads unit_threads" strip_file "$T/ref/online.jsonl") # --jobs 2 records its threads, not its bits
[ -n "$ref" ] || bad "reference run wrote no results"

# stopped SIG CODE NAME RECORDS EXTRA: the online run into $T/NAME (EXTRA: more options) sent
# SIG once it has RECORDS records; it must exit with CODE, say so, leave whole records and its
# folder free, and the printed command must finish it with the reference's results.
stopped() {
    sig=$1 code=$2 name=$3 nrec=$4 extra=$5
    out="$T/$name"
    $BG "$WS" online $ONLINE --out "$out" $extra >"$out.out" 2>"$out.err" &
    pid=$!
    await_lines "$out/units/records.jsonl" "$nrec" $pid
    at=$(lines "$out/units/records.jsonl")
    kill -"$sig" $pid
    reap $pid 100
    [ $rc -eq "$code" ] && ok "$name: SIG$sig after $at record(s): exit status $rc" \
        || bad "$name: SIG$sig: exit status $rc, not $code: $(cat "$out.err")"
    grep -q "^warmstart online: stopped by SIG$sig: .*what finished is recorded" "$out.err" \
        && ok "$name: the message says what stopped it and what is kept" || bad "$name: message: $(cat "$out.err")"
    n=$(whole_records "$out") && ok "$name: $n whole records, none repeated" || bad "$name: $n"
    ls "$out"/units/checkpoints/*.tmp* >/dev/null 2>&1 && bad "$name: a temporary checkpoint left behind"
    resume=$(sed -n 's/^warmstart online: to resume: //p' "$out.err")
    case $resume in
    "$WS online "*" --out $out "*"--resume") ok "$name: the resume line is the command with --resume" ;;
    *) bad "$name: resume line: '$resume'" ;;
    esac
    # At once: the folder's lock went with the process.
    if eval "$resume" >"$out.out2" 2>"$out.err2" && [ "$(STRIP_KEYS="threads unit_threads" strip_file "$out/online.jsonl")" = "$ref" ]; then
        ok "$name: the printed command took the folder at once and resumed it: the uninterrupted run's results, bit for bit"
    else
        bad "$name: resumed: $(cat "$out.err2"); results differ from the reference's"
    fi
}

stopped INT 130 sigint 1 "--threads 1"
stopped TERM 143 sigterm 3 "--threads 1"
# Both jobs stop (each unit on 1 thread: the reference's bits); --resume given already is not repeated.
stopped INT 130 jobs 2 "--threads 2 --jobs 2 --resume"
grep -q -- '--resume --resume' "$T/jobs.err" && bad "jobs: --resume repeated in the resume line"

# --- a long unit abandoned mid-training ---
$BG "$WS" batch $LONG --out "$T/long" >/dev/null 2>"$T/long.err" &
pid=$!
await_lines "$T/long/run.json" 1 $pid
sleep 1
kill -INT $pid
reap $pid 50
epoch=$(sed -n 's/.*phase1: stopped on request in training epoch \([0-9]*\),.*/\1/p' "$T/long.err")
if [ $rc -eq 130 ] && [ -n "$epoch" ] && [ "$epoch" -lt 1000 ] && [ $waited -le 30 ]; then
    ok "a unit of 1000 epochs abandoned in epoch $epoch: exit 130 within $waited tenths of a second"
else
    bad "long unit: exit $rc after $waited tenths: $(cat "$T/long.err")"
fi
[ "$(lines "$T/long/units/records.jsonl")" -eq 0 ] && [ -z "$(ls "$T/long/units/checkpoints")" ] \
    && ok "the abandoned unit left no record and no checkpoint" || bad "the abandoned unit left: $(ls -R "$T/long/units")"

# --- two SIGINTs in quick succession ---
$BG "$WS" batch $LONG --out "$T/twice" >/dev/null 2>"$T/twice.err" &
pid=$!
await_lines "$T/twice/run.json" 1 $pid
sleep 0.5
kill -INT $pid
kill -INT $pid
reap $pid 30
[ $rc -eq 130 ] && ok "two SIGINTs: exit status 130 within $waited tenths of a second" || bad "two SIGINTs: exit $rc: $(cat "$T/twice.err")"

# --- a second signal while the first waits to be handled: the end at once, by it ---
# Stopped, the process holds both pending; resumed, its threads take them (SIGINT first where one
# thread takes both): the first begins the clean stop, the second ends the process at once.
$BG "$WS" batch $LONG --out "$T/second" >/dev/null 2>"$T/second.err" &
pid=$!
await_lines "$T/second/run.json" 1 $pid
sleep 0.5
kill -STOP $pid
kill -INT $pid
kill -TERM $pid
kill -CONT $pid
reap $pid 30
if { [ $rc -eq 143 ] || [ $rc -eq 130 ]; } && ! grep -q "stopped by" "$T/second.err"; then
    ok "SIGINT and SIGTERM at once: ended at once by the second ($rc), without the clean stop"
else
    bad "second signal: exit $rc: $(cat "$T/second.err")"
fi
n=$(whole_records "$T/second") && [ "$n" -eq 0 ] && ok "ended at once: nothing half-written" || bad "ended at once: $n"

finish
