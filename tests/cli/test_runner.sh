#!/bin/sh
# The runner end to end: an experiment file's sweep killed with SIGKILL at
# random moments (at least 20 times) and resumed each time ends with results
# equal to an uninterrupted run's, bit for bit (wall times aside), with no
# record repeated; the same sweep as 4 shards under GNU parallel, and as a
# Slurm job array's 2 tasks in separate folders, merges to the same results;
# a unit run twice gives the same bytes; a diverging unit is recorded and the
# rest go on; a write that fails (file-size limit) is one clear error with the
# records before it intact, and the run resumes from them.
# Usage: tests/cli/test_runner.sh BUILD_DIR
set -u
SUITE=runner
. "$(dirname "$0")/common.sh"

cat >"$T/sweep.ini" <<'EOF'
# 2 points x 2 seeds x 5 learners: 20 chains of 4 rounds
scenario = online
[options]
subset = 1200
k0 = 300
k = 300
seeds = 2
hidden = 32
learners = warm,random,ewc,cbp:maturity=5,
    shrink-perturb
threads = 1
max-epochs = 30
[grid]
lr = 0.001,0.003
EOF

# The results of a sweep folder with every wall time (and the Pareto mark, which
# depends on them) left out, one canonical line per record.
canon() {
    "$PY" - "$1" 2>/dev/null <<'EOF'
import json, sys, glob, os
skip = set(os.environ.get("STRIP_KEYS", "").split())  # more keys to leave out: a run's thread settings
def strip(x):
    if isinstance(x, dict):
        return {k: strip(v) for k, v in x.items() if "seconds" not in k and k != "pareto" and k not in skip}
    if isinstance(x, list): return [strip(v) for v in x]
    return x
d = sys.argv[1]
files = [os.path.join(d, "sweep.jsonl")] + sorted(glob.glob(os.path.join(d, "points", "*", "online.jsonl")))
for f in files:
    for line in open(f):
        print(os.path.relpath(f, d), json.dumps(strip(json.loads(line)), sort_keys=True))
EOF
}


# No (unit, round) and no unit's end recorded twice, in every records file under a folder.
no_repeats() {
    "$PY" - "$1" <<'EOF'
import json, sys, glob
seen = set()
for f in glob.glob(sys.argv[1] + "/**/records*.jsonl", recursive=True):
    for line in open(f):
        r = json.loads(line)
        key = (f.split("/points/")[-1].split("/")[0], r["unit"], r.get("round"), "status" in r)
        if key in seen: sys.exit("repeated: %s in %s" % (key, f))
        seen.add(key)
print(len(seen))
EOF
}

# --- the reference: one uninterrupted process ---
if "$WS" run "$T/sweep.ini" --out "$T/ref" >"$T/ref.out" 2>"$T/ref.err"; then
    ok "the sweep runs from its experiment file"
else
    bad "reference run failed: $(cat "$T/ref.err")"
fi
canon "$T/ref" >"$T/ref.canon"
[ "$(grep -c . "$T/ref.canon")" -eq 14 ] && ok "reference: sweep.jsonl (2 points x 5 learners) and 2 points' online.jsonl (2 seeds)" \
    || bad "reference results: $(head -c 300 "$T/ref.canon")"

# --- the plan: stable, one id a line, shards disjoint and covering it ---
"$WS" plan "$T/sweep.ini" >"$T/plan1" && "$WS" plan "$T/sweep.ini" >"$T/plan2"
if cmp -s "$T/plan1" "$T/plan2" && [ "$(wc -l <"$T/plan1")" -eq 20 ] && [ "$(sort -u "$T/plan1" | wc -l)" -eq 20 ] \
    && grep -qx 'p001/s2/cbp:maturity=5' "$T/plan1"; then
    ok "plan: 20 units with stable, unique ids"
else
    bad "plan: $(cat "$T/plan1")"
fi
for i in 1 2 3 4; do "$WS" plan "$T/sweep.ini" --shard $i/4; done >"$T/plan_shards"
[ "$(sort "$T/plan_shards")" = "$(sort "$T/plan1")" ] && ok "the 4 shards' plans partition the plan" \
    || bad "shard plans: $(cat "$T/plan_shards")"

# --- killed with SIGKILL at random moments, resumed each time ---
kills=0 tries=0
while [ $kills -lt 20 ] && [ $tries -lt 100 ]; do
    tries=$((tries + 1))
    "$WS" run "$T/sweep.ini" --out "$T/killed" --resume >/dev/null 2>>"$T/killed.err" &
    pid=$!
    sleep "$(awk -v s=$tries 'BEGIN { srand(s); printf "%.2f", 0.15 + 0.6 * rand() }')"
    state=$(awk '{ print $3 }' "/proc/$pid/stat" 2>/dev/null)
    if [ -n "$state" ] && [ "$state" != Z ] && kill -9 $pid 2>/dev/null; then kills=$((kills + 1)); fi
    wait $pid 2>/dev/null
done
"$WS" run "$T/sweep.ini" --out "$T/killed" --resume >"$T/resumed.out" 2>>"$T/killed.err"
[ $kills -ge 20 ] && ok "killed $kills times mid-run" || bad "only $kills kills landed mid-run"
if canon "$T/killed" | cmp -s - "$T/ref.canon"; then
    ok "killed and resumed: the results equal the uninterrupted run's, bit for bit"
else
    bad "killed and resumed: results differ: $(canon "$T/killed" | diff - "$T/ref.canon" | head -5)"
fi
n=$(no_repeats "$T/killed") && ok "no record repeated ($n records)" || bad "$n"
ls "$T"/killed/points/*/units/checkpoints/*.tmp.* >/dev/null 2>&1 && bad "temporary files left behind" \
    || ok "no temporary checkpoint left behind"

# --- 4 shards under GNU parallel, merged ---
if command -v parallel >/dev/null 2>&1; then
    parallel --will-cite -j 4 "$WS" run "$T/sweep.ini" --out "$T/par" --shard {}/4 ::: 1 2 3 4 >"$T/par.out" 2>&1 \
        || bad "parallel shards failed: $(tail -3 "$T/par.out")"
    if "$WS" merge "$T/par" >"$T/merge.out" 2>&1 && canon "$T/par" | cmp -s - "$T/ref.canon"; then
        ok "4 shards under GNU parallel, merged: equal to the one-process run"
    else
        bad "parallel + merge: $(tail -3 "$T/merge.out")"
    fi
else
    echo "# skipped the GNU parallel check: 'parallel' is not installed (Debian: parallel)"
fi

# --- a Slurm job array's tasks in separate folders (as on separate machines), merged ---
for i in 1 2; do
    SLURM_ARRAY_TASK_ID=$i SLURM_ARRAY_TASK_MIN=1 "$WS" run "$T/sweep.ini" --out "$T/slurm$i" --shard slurm/2 \
        >/dev/null 2>&1 || bad "slurm task $i failed"
done
if "$WS" merge "$T/slurm1" "$T/slurm2" --out "$T/slurm" >/dev/null 2>"$T/slurm.err" && canon "$T/slurm" | cmp -s - "$T/ref.canon"; then
    ok "Slurm array tasks (SLURM_ARRAY_TASK_ID) in two folders, merged: equal to the one-process run"
else
    bad "slurm merge: $(cat "$T/slurm.err")"
fi
# A shard's folder finished by one whole --resume run: only the other shard's units run.
cp -r "$T/slurm1" "$T/slurm_whole"
"$WS" run "$T/sweep.ini" --out "$T/slurm_whole" --resume >/dev/null 2>"$T/err"
n_resumed=$(grep -c "resumed .*: 5 units already finished" "$T/err")
if [ "$n_resumed" -eq 2 ] && canon "$T/slurm_whole" | cmp -s - "$T/ref.canon"; then
    ok "a shard's folder completed by a whole --resume run (5 units per point skipped): equal to the one-process run"
else
    bad "whole resume over a shard: $(cat "$T/err")"
fi
sh -n scripts/slurm-array.sh 2>/dev/null && grep -q 'shard "slurm/' scripts/slurm-array.sh \
    && ok "the example sbatch script parses and shards by the array task" || bad "scripts/slurm-array.sh"

# --- merge refuses what it cannot combine ---
"$WS" merge "$T/slurm1" >"$T/out" 2>"$T/err"
[ $? -ne 0 ] && grep -q "units have no result yet" "$T/err" && [ ! -e "$T/slurm1/sweep.jsonl" ] \
    && ok "merge of one shard of two: an error naming what is missing ($(grep 'no result' "$T/err"))" \
    || bad "merge incomplete: $(cat "$T/err")"
sed 's/^seeds = 2/seeds = 3/' "$T/sweep.ini" >"$T/other.ini"
"$WS" run "$T/other.ini" --out "$T/other" --shard 1/9 >/dev/null 2>&1
"$WS" merge "$T/slurm1" "$T/other" --out "$T/mixed" >"$T/out" 2>"$T/err"
[ $? -ne 0 ] && grep -q "another command or options" "$T/err" && [ ! -e "$T/mixed/sweep.jsonl" ] \
    && ok "merge of two experiments refused ($(cat "$T/err"))" || bad "mixed merge: $(cat "$T/err")"
"$WS" run "$T/other.ini" --out "$T/ref" --resume >"$T/out" 2>"$T/err"
[ $? -ne 0 ] && grep -q "another configuration" "$T/err" \
    && ok "--resume into a folder of another configuration refused ($(grep 'another configuration' "$T/err"))" \
    || bad "resume mixed: $(cat "$T/err")"

# --- determinism: one unit run twice, the same bytes ---
for d in u1 u2; do "$WS" run "$T/sweep.ini" --out "$T/$d" --unit p001/s2/ewc >/dev/null 2>&1; done
strip_file "$T/u1/points/001/units/records.jsonl" >"$T/u1.rec"
strip_file "$T/u2/points/001/units/records.jsonl" >"$T/u2.rec"
if [ "$(grep -cF '"unit": "s2/ewc"' "$T/u1.rec")" -eq 5 ] && cmp -s "$T/u1.rec" "$T/u2.rec"; then
    ok "one unit (4 rounds and its end) run twice: identical records"
else
    bad "the unit's records differ: $(diff "$T/u1.rec" "$T/u2.rec" | head -3)"
fi
[ ! -e "$T/u1/points/000/units/records.jsonl" ] || [ ! -s "$T/u1/points/000/units/records.jsonl" ] \
    && ok "--unit runs that unit only" || bad "--unit ran other units"

# --- divergence: the unit stops with its epoch, the rest go on ---
"$WS" batch --subset 600 --hidden 16 --max-epochs 20 --threads 1 --seeds 2 --out "$T/div" --quiet \
    --opt sgd --lr 0.01 --learners warm,random,l2-init:lambda=1e6 >"$T/out" 2>"$T/err"
rc=$?
n_div=$(grep -c '"status":"diverged","epoch":[1-9]' "$T/div/units/records.jsonl")
n_done=$(grep -c '"status":"done"' "$T/div/units/records.jsonl")
if [ $rc -eq 3 ] && [ "$n_div" -eq 2 ] && [ "$n_done" -eq 6 ] && grep -q "no results: every seed has a diverged unit" "$T/out"; then
    ok "a diverging learner (L2-init, lambda 1e6, SGD) is recorded (status diverged, with its epoch); the other 6 units finish; exit 3"
else
    bad "divergence: rc $rc, $n_div diverged, $n_done done: $(cat "$T/out" "$T/err" | head -5)"
fi
printf 'scenario = online\n[options]\nsubset = 600\nhidden = 16\nk0 = 300\nk = 300\nthreads = 1\nopt = sgd\nmax-epochs = 10\n[grid]\nlr = 0.01,1e6\n' >"$T/div.ini"
if "$WS" run "$T/div.ini" --out "$T/divsweep" >"$T/out" 2>"$T/err" && grep -q "1 point left out" "$T/out" \
    && [ "$(grep -c . "$T/divsweep/sweep.jsonl")" -eq 2 ]; then
    ok "a sweep whose point diverges reports the others and notes it"
else
    bad "diverging sweep point: $(tail -3 "$T/err")"
fi

# --- a write that fails: one clear line, earlier records intact, then resumed ---
"$WS" run "$T/sweep.ini" --out "$T/full" --unit p000/s1/warm >/dev/null 2>&1
before=$(wc -l <"$T/full/points/000/units/records.jsonl")
(ulimit -f 200; "$WS" run "$T/sweep.ini" --out "$T/full" --resume >"$T/out" 2>"$T/err")
rc=$?
after=$(wc -l <"$T/full/points/000/units/records.jsonl")
if [ $rc -ne 0 ] && grep -q "File too large" "$T/err" && [ "$after" -ge "$before" ] && [ ! -e "$T/full/sweep.jsonl" ]; then
    ok "a write over the file-size limit: an error naming the file and reason ($(grep -m1 'File too large' "$T/err"))"
else
    bad "write failure: rc $rc: $(cat "$T/err")"
fi
"$WS" run "$T/sweep.ini" --out "$T/full" --resume >/dev/null 2>&1
canon "$T/full" | cmp -s - "$T/ref.canon" && ok "resumed after the failed write: equal to the uninterrupted run" \
    || bad "after the failed write: results differ"

# --- batch and transfer: killed and resumed too (their shared first phase is a checkpoint) ---
kill_loop() { # kill_loop NAME KILLS CMD...: run CMD --resume, killing it KILLS times mid-run, then to the end
    name=$1 want=$2
    shift 2
    k=0 t=0
    while [ $k -lt "$want" ] && [ $t -lt 40 ]; do
        t=$((t + 1))
        "$@" --resume >/dev/null 2>&1 &
        pid=$!
        sleep "$(awk -v s=$t 'BEGIN { srand(100 + s); printf "%.2f", 0.3 + 0.5 * rand() }')"
        state=$(awk '{ print $3 }' "/proc/$pid/stat" 2>/dev/null)
        if [ -n "$state" ] && [ "$state" != Z ] && kill -9 $pid 2>/dev/null; then k=$((k + 1)); fi
        wait $pid 2>/dev/null
    done
    "$@" --resume >/dev/null 2>&1
    echo $k
}
# kill_compare NAME RESULTS ARGS...: killed and resumed equals uninterrupted, for one scenario.
kill_compare() {
    name=$1 file=$2
    shift 2
    "$WS" "$@" --out "$T/$name-ref" >/dev/null 2>&1
    k=$(kill_loop "$name" 6 "$WS" "$@" --out "$T/$name-kill")
    if [ "$k" -ge 4 ] && [ -s "$T/$name-ref/$file" ] \
        && [ "$(strip_file "$T/$name-kill/$file")" = "$(strip_file "$T/$name-ref/$file")" ]; then
        ok "$name killed $k times and resumed: equal to the uninterrupted run"
    else
        bad "$name killed $k times: results differ"
    fi
}
kill_compare batch batch.jsonl batch --subset 2000 --seeds 3 --hidden 32 --threads 1 --quiet \
    --learners warm,random,shrink-perturb,ewc
kill_compare transfer transfer.jsonl transfer --subset 1500 --seeds 2 --hidden 32 --fractions 10,50,100 --threads 1 \
    --quiet --learners warm,random,ewc

# --- batch shards take whole seeds (phase 1 and its learners) when there are enough of them ---
B="batch --subset 1200 --seeds 3 --hidden 16 --max-epochs 30 --threads 1 --quiet --learners warm,random"
# shellcheck disable=SC2086
p1=$("$WS" $B --out "$T/bs" --plan --shard 1/3 | tr '\n' ' ')
# shellcheck disable=SC2086
p4=$("$WS" $B --out "$T/bs" --plan --shard 1/4 | wc -l)
[ "$p1" = "s1/phase1 s1/warm s1/random " ] && [ "$p4" -ge 2 ] \
    && ok "3 seeds over 3 shards: one seed whole a shard ($p1); over 4: unit by unit, no shard idle" \
    || bad "batch shard plans: '$p1' / $p4"
for i in 1 2 3; do
    # shellcheck disable=SC2086
    "$WS" $B --out "$T/bs" --shard $i/3 >/dev/null 2>"$T/err" || bad "batch shard $i: $(cat "$T/err")"
done
"$WS" merge "$T/bs" >/dev/null 2>"$T/err"
# shellcheck disable=SC2086
"$WS" $B --out "$T/bs1" >/dev/null 2>&1
seeds_per_shard=$(for f in "$T"/bs/units/records-shard-*-of-3.jsonl; do
    grep -o '"unit":"s[0-9]*/' "$f" | sort -u | wc -l; done | tr '\n' ' ')
[ "$(strip_file "$T/bs/batch.jsonl")" = "$(strip_file "$T/bs1/batch.jsonl")" ] && [ "$seeds_per_shard" = "1 1 1 " ] \
    && ok "batch over 3 shards, merged: equal to one process; each shard's records are one seed's" \
    || bad "batch shards: $(cat "$T/err"); seeds per shard: $seeds_per_shard"

# --- --jobs: groups of units at once, each on its share of the threads ---
# The sweep's seeds two at a time on one thread each: the reference's results (one thread), the
# thread settings aside (the configuration records the threads, 2, and each unit's, 1).
export STRIP_KEYS="threads unit_threads base_arguments"
STRIP_KEYS="$STRIP_KEYS" canon "$T/ref" >"$T/ref.jobs.canon"
if "$WS" run "$T/sweep.ini" --out "$T/jobs" --threads 2 --jobs 2 >"$T/jobs.out" 2>"$T/err" \
    && canon "$T/jobs" | cmp -s - "$T/ref.jobs.canon" && grep -q '"unit_threads":	1' "$T/jobs/points/000/config.json"; then
    ok "--jobs 2 --threads 2: the sweep's results equal the serial one-thread run's, bit for bit"
else
    bad "--jobs 2: $(tail -3 "$T/err")$(canon "$T/jobs" | diff - "$T/ref.jobs.canon" | head -3)"
fi
# A batch run (a seed's phase 1 and its learners: one group) killed and resumed under --jobs.
k=$(kill_loop batch-jobs 4 "$WS" batch --subset 2000 --seeds 3 --hidden 32 --threads 2 --jobs 2 --quiet \
    --learners warm,random,shrink-perturb,ewc --out "$T/batch-jobs")
[ "$k" -ge 2 ] && [ "$(strip_file "$T/batch-jobs/batch.jsonl")" = "$(strip_file "$T/batch-ref/batch.jsonl")" ] \
    && ok "batch under --jobs 2, killed $k times and resumed: equal to the serial uninterrupted run" \
    || bad "batch under --jobs 2 killed $k times: results differ"
# Shards and jobs together, merged: the same again.
for i in 1 2; do
    "$WS" run "$T/sweep.ini" --out "$T/jobs-shards" --threads 2 --jobs 2 --shard $i/2 >/dev/null 2>"$T/err" \
        || bad "shard $i/2 with --jobs 2: $(cat "$T/err")"
done
"$WS" merge "$T/jobs-shards" >/dev/null 2>"$T/err" && canon "$T/jobs-shards" | cmp -s - "$T/ref.jobs.canon" \
    && ok "two shards each under --jobs 2, merged: the reference's results" || bad "shards with --jobs: $(cat "$T/err")"
# A resume with another share of threads is refused (its units' bits would differ).
"$WS" run "$T/sweep.ini" --out "$T/jobs" --threads 2 --resume >/dev/null 2>"$T/err"
[ $? -ne 0 ] && grep -q "unit_threads" "$T/err" && ok "resumed without --jobs (2 threads a unit): refused, naming unit_threads" \
    || bad "resume with another share: $(cat "$T/err")"
unset STRIP_KEYS
"$WS" online --subset 600 --k0 300 --k 300 --hidden 8 --jobs 0 --out "$T/badjobs" >/dev/null 2>"$T/err"
[ $? -ne 0 ] && grep -q "jobs" "$T/err" && [ ! -e "$T/badjobs" ] && ok "--jobs 0: refused, naming it, nothing written" \
    || bad "--jobs 0: $(cat "$T/err")"

finish
