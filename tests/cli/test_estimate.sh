#!/bin/sh
# warmstart reproduce|run --estimate: a table with a total, nothing trained and no results
# folder written; steps read from an earlier run's records; a bad --budget refused.
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
out=$("$WS" reproduce --estimate --scale paper --only online --threads 1 --budget 8h --out "$T/none" 2>&1)
echo "$out" | grep -q '^core-hours: ' && echo "$out" | grep -q 'Slurm array tasks to finish within 8h' \
    && ok "paper scale: core-hours and Slurm tasks" || bad "paper scale: $out"
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
"$WS" run "$T/tiny.ini" --threads 1 --out "$T/tiny" --quiet >/dev/null 2>&1
out=$("$WS" run "$T/tiny.ini" --estimate --threads 1 --out "$T/tiny" 2>&1)
echo "$out" | grep -q "steps measured: $T/tiny's records" && ok "run --estimate reads an earlier run's steps" \
    || bad "records not read: $out"

# bad budgets refused, before anything is calibrated.
for b in 0h 8x -3h abc; do
    out=$("$WS" reproduce --estimate --scale demo --budget "$b" 2>&1) && bad "--budget $b accepted" \
        || { echo "$out" | grep -q -- "--budget '$b'" && ok "--budget $b refused" || bad "--budget $b: $out"; }
done
"$WS" run "$T/tiny.ini" --estimate --budget 2>/dev/null && bad "--budget without value accepted" || ok "--budget without value refused"
"$WS" reproduce --scale demo --budget 8h --out "$T/none" 2>/dev/null && bad "--budget without --estimate accepted" \
    || ok "--budget without --estimate refused"
finish
