#!/bin/sh
# warmstart reproduce|run --estimate: a table with a total, nothing trained and no results
# folder written; steps read from an earlier run's records; --jobs priced as it runs (threads a
# unit, the jobs' makespan); core-hours and Slurm tasks at paper scale; a bad --budget refused
# (reproduce, run FILE and a scenario command: the option table's --budget).
#   tests/cli/test_estimate.sh BUILD_DIR
SUITE=estimate
. "$(dirname "$0")/common.sh"
cd "$(dirname "$0")/../.."

# reproduce at demo scale (one artefact): a row, a total, the calibration's time; no folder.
out=$("$WS" reproduce --estimate --scale demo --threads 1 --out "$T/none" 2>&1)
echo "$out" | grep -q '^online ' && echo "$out" | grep -q '^total ' && echo "$out" | grep -q 'nothing trained' \
    && ok "reproduce --estimate prints a row and a total" || bad "reproduce --estimate: $out"
[ ! -e "$T/none" ] && ok "reproduce --estimate writes no results folder" || bad "reproduce --estimate wrote $T/none"
echo "$out" | grep -q 'assumed: ' && ok "without records the assumption is stated" || bad "no assumption: $out"

# paper scale: the core-hours, and with a budget the Slurm tasks (data absent: sizes known).
# (A budget long enough on any machine: the tasks are counted, not the machine's speed tested.)
out=$("$WS" reproduce --estimate --scale paper --only online --threads 1 --budget 60d --out "$T/none" 2>&1)
echo "$out" | grep -q '^core-hours: [0-9]' && echo "$out" | grep -q 'Slurm array tasks to finish within 60d: [0-9]' \
    && echo "$out" | grep -q -- '--array=1-[0-9]* --cpus-per-task=1 --time=60-00:00:00 --wrap "warmstart reproduce --scale paper' \
    && echo "$out" | grep -q -- "warmstart reproduce --merge --out $T/none" \
    && ok "paper scale: core-hours and Slurm tasks" || bad "paper scale: $out"
out=$("$WS" reproduce --estimate --scale paper --only online --threads 1 --out "$T/none" 2>&1)
echo "$out" | grep -q '^core-hours: [0-9]' && echo "$out" | grep -q 'give a wall-clock budget' \
    && ok "paper scale without a budget: core-hours, and how to size the array" || bad "paper, no budget: $out"
# A budget no task can meet (one second): none, and why.
out=$("$WS" reproduce --estimate --scale paper --only online --threads 1 --budget 1s --out "$T/none" 2>&1)
echo "$out" | grep -q 'within 1s: none will' && ok "a budget shorter than a unit: no array" || bad "1s budget: $out"
[ ! -e "$T/none" ] && ok "paper --estimate writes nothing" || bad "paper --estimate wrote $T/none"

# run FILE --estimate on a tiny experiment, then the same after a real run: steps measured.
cat >"$T/tiny.ini" <<'INI'
scenario = online
[options]
data = fashion-mnist
subset = 400
k0 = 200
k = 100
rounds = 2
hidden = 16
max-epochs = 3
seeds = 2
INI
out=$("$WS" run "$T/tiny.ini" --estimate --threads 1 --out "$T/tiny" 2>&1)
echo "$out" | grep -q '^total ' && [ ! -e "$T/tiny" ] && ok "run --estimate: a total, no folder" || bad "run --estimate: $out"
# --jobs 2 --threads 2: a unit on one thread, two at once: the wall is the makespan of the seeds'
# groups (2 seeds: one round of groups), about half the unit-seconds, not their sum (enough
# examples that the printed tenths of a second do not decide it).
out=$("$WS" run "$T/tiny.ini" --estimate --threads 2 --jobs 2 --subset 20000 --k0 10000 --k 10000 --hidden 256,256 \
      --out "$T/tiny" 2>&1)
echo "$out" | grep -q '1 thread x 2 jobs, eval' && echo "$out" | grep -q '2 jobs at once' \
    && echo "$out" | grep -q '^total .*1 thread a unit, up to 2 jobs at once' \
    && ok "--jobs: priced at threads/jobs a unit, jobs at once" || bad "--jobs: $out"
# The wall less the data's loading is half the unit-seconds (2 equal groups on 2 jobs), not all of them.
echo "$out" | awk '/jobs at once: .* unit-seconds/ { for (i = 1; i <= NF; i++) { if ($i == "wall") w = $(i - 1); \
    if ($i == "unit-seconds") u = $(i - 1); if ($i == "loading") l = $(i - 2) } } \
    END { exit !(u > 0 && w - l > 0.4 * u && w - l < 0.6 * u) }' \
    && ok "--jobs 2: the wall is the jobs' makespan, half the unit-seconds" || bad "--jobs 2 wall not the makespan: $out"
out1=$("$WS" run "$T/tiny.ini" --estimate --threads 1 --jobs 1 --out "$T/tiny" 2>&1)
echo "$out1" | grep -q '2 jobs' && bad "--jobs 1 priced with jobs: $out1" || ok "--jobs 1: one job"
# A learner with hooks is calibrated on its own (its step is not warm's); FGSM is its own configuration.
out=$("$WS" run "$T/tiny.ini" --estimate --threads 1 --learners warm,random,ewc --fgsm-eps 0.01 --out "$T/tiny" 2>&1)
echo "$out" | grep -q 'fgsm, learner ewc' && echo "$out" | grep -q 'fgsm$' \
    && ok "a learner with hooks and FGSM priced as their own configurations" || bad "learner/fgsm parts: $out"
"$WS" run "$T/tiny.ini" --threads 1 --out "$T/tiny" --quiet >/dev/null 2>&1
out=$("$WS" run "$T/tiny.ini" --estimate --threads 1 --out "$T/tiny" 2>&1)
echo "$out" | grep -q "steps measured: $T/tiny's records" && ok "run --estimate reads an earlier run's steps" \
    || bad "records not read: $out"

# bad budgets refused, before anything is calibrated: reproduce, run FILE, a scenario command.
for b in 0h 8x -3h abc 8hh inf; do
    out=$("$WS" reproduce --estimate --scale demo --budget "$b" 2>&1) && bad "reproduce --budget $b accepted" \
        || { echo "$out" | grep -q -- "--budget '$b': not a wall-clock time" && ok "reproduce --budget $b refused" \
             || bad "reproduce --budget $b: $out"; }
    out=$("$WS" run "$T/tiny.ini" --estimate --budget "$b" --out "$T/none" 2>&1) && bad "run --budget $b accepted" \
        || { echo "$out" | grep -q -- "--budget '$b': not a wall-clock time" && ok "run --budget $b refused" \
             || bad "run --budget $b: $out"; }
done
out=$("$WS" online --estimate --budget=8x --subset 300 --out "$T/none" 2>&1) && bad "online --budget=8x accepted" \
    || { echo "$out" | grep -q -- "--budget '8x'" && ok "online --budget=8x refused" || bad "online --budget=8x: $out"; }
"$WS" run "$T/tiny.ini" --estimate --budget 2>/dev/null && bad "--budget without value accepted" || ok "--budget without value refused"
"$WS" reproduce --scale demo --budget 8h --out "$T/none" 2>/dev/null && bad "--budget without --estimate accepted" \
    || ok "--budget without --estimate refused"
out=$("$WS" run "$T/tiny.ini" --budget 8h --out "$T/none2" 2>&1) && bad "run --budget without --estimate accepted" \
    || { echo "$out" | grep -q "give --estimate with it" && [ ! -e "$T/none2" ] && ok "run --budget without --estimate refused" \
         || bad "run --budget without --estimate: $out"; }
# run FILE: the array through scripts/slurm-array.sh, its jobs passed on, its --time in Slurm's form.
out=$("$WS" run "$T/tiny.ini" --estimate --threads 2 --jobs 2 --budget 1.5d --out "$T/none" 2>&1)
echo "$out" | grep -q -- "JOBS=2 sbatch --array=1-1 --cpus-per-task=2 --time=1-12:00:00 scripts/slurm-array.sh $T/tiny.ini $T/none" \
    && echo "$out" | grep -q "warmstart merge $T/none" && ok "run FILE: the sbatch line for scripts/slurm-array.sh" \
    || bad "run FILE sbatch line: $out"
# Good budgets in every spelling, through the option table (a scenario command's estimate).
for b in 8h 90m 3600s 3600 1.5d; do
    out=$("$WS" online --estimate --budget "$b" --subset 300 --k0 100 --k 100 --hidden 8 --threads 1 --out "$T/none" 2>&1) \
        && echo "$out" | grep -q "Slurm array tasks to finish within" && ok "--budget $b taken" || bad "--budget $b: $out"
done
finish
