#!/bin/sh
# Readers while a run writes (docs/RELIABILITY.md): report, plot and merge called over and over
# on a sweep's folder while the sweep runs either succeed (report: the points finished so far,
# with a note and a line on the page saying the run is going) or fail with one line saying that
# the run (its pid) is still writing -- never a parse error, a damaged file or a crash; merge
# writes nothing into the run's folder; once the run ends the report and results equal an
# uninterrupted run's (wall times aside) and no temporary file is left.
# Usage: tests/cli/test_readers.sh BUILD_DIR
set -u
SUITE=readers
. "$(dirname "$0")/common.sh"

cat >"$T/sweep.ini" <<'EOF'
# 3 points x 2 seeds x 2 learners: a run of some seconds on one thread
scenario = online
[options]
data = fashion-mnist
subset = 1800
k0 = 300
k = 300
seeds = 2
hidden = 32
learners = warm,random
threads = 1
max-epochs = 30
[grid]
lr = 0.001,0.003,0.01
EOF

# A report page without what wall times decide: its title (the folder), the columns of
# seconds and the Pareto marks, and the Pareto front of accuracy against seconds.
canon_report() {
    "$PY" - "$1" <<'EOF'
import sys
lines = open(sys.argv[1]).read().split("\n")[1:]
out, drop, cols = [], False, None
for i, l in enumerate(lines):
    if l.startswith("Pareto front"): drop = True; continue
    if drop:
        if l == "" and i > 0 and lines[i - 1].startswith("|"): drop = False
        continue
    if l.startswith("|"):
        cells = l.split("|")[1:-1]
        if cols is None:
            cols = [k for k, c in enumerate(cells) if "seconds" not in c and "Pareto" not in c]
        out.append("|".join(cells[k] for k in cols if k < len(cells)))
    else:
        cols = None
        out.append(l)
print("\n".join(out))
EOF
}
# The sweep's results with wall times and the Pareto mark (decided by them) left out.
canon_results() {
    "$PY" - "$1" <<'EOF'
import json, sys, glob, os
def strip(x):
    if isinstance(x, dict): return {k: strip(v) for k, v in x.items() if "seconds" not in k and k != "pareto"}
    if isinstance(x, list): return [strip(v) for v in x]
    return x
d = sys.argv[1]
for f in [os.path.join(d, "sweep.jsonl")] + sorted(glob.glob(os.path.join(d, "points", "*", "online.jsonl"))):
    for line in open(f):
        print(os.path.relpath(f, d), json.dumps(strip(json.loads(line)), sort_keys=True))
EOF
}

# The reference, uninterrupted and unread, beside the run that is read.
"$WS" run "$T/sweep.ini" --out "$T/ref" >/dev/null 2>"$T/ref.err" &
ref=$!
"$WS" run "$T/sweep.ini" --out "$T/live" >/dev/null 2>"$T/live.err" &
run=$!
# run.json is written once the sweep holds its folder's lock.
i=0
while [ ! -e "$T/live/run.json" ] && [ $i -lt 300 ] && kill -0 $run 2>/dev/null; do
    sleep 0.1
    i=$((i + 1))
done
have_plot=1
command -v gnuplot >/dev/null 2>&1 || { have_plot=0; echo "# no gnuplot: plot is not read"; }
calls=0 going=0 partial=0 wrong=0
: >"$T/wrong"
while kill -0 $run 2>/dev/null; do
    for c in report plot merge; do
        [ $c = plot ] && [ $have_plot -eq 0 ] && continue
        case $c in
        report) "$WS" report "$T/live" >"$T/r.out" 2>"$T/r.err" ;;
        plot) "$WS" plot "$T/live" --out "$T/figs" >"$T/r.out" 2>"$T/r.err" ;; # not into the run's figures/
        merge) "$WS" merge "$T/live" >"$T/r.out" 2>"$T/r.err" ;;
        esac
        rc=$?
        calls=$((calls + 1))
        if [ $rc -eq 1 ] && [ "$(wc -l <"$T/r.err")" -eq 1 ] && grep -q "a run (pid $run) is still writing" "$T/r.err"; then
            going=$((going + 1))
        elif [ $rc -eq 0 ] && grep -q "a run (pid $run) is still writing here" "$T/r.err"; then
            partial=$((partial + 1))
            [ $c = report ] && ! grep -q "A run (pid $run) was still writing" "$T/live/report.md" &&
                echo "report succeeded while the run wrote, its page silent about it" >>"$T/wrong"
        elif [ $rc -ne 0 ]; then
            wrong=$((wrong + 1))
            echo "$c: exit $rc: $(cat "$T/r.err")" >>"$T/wrong"
        fi
    done
    sleep 0.2 # a reader now and then, not a busy loop on a shared machine
done
wait $run
rc_run=$?
wait $ref
[ $rc_run -eq 0 ] && ok "the sweep runs to its end while read ($calls reader calls)" || bad "the run failed: $(cat "$T/live.err")"
[ -s "$T/wrong" ] && bad "readers: $(head -c 600 "$T/wrong")" ||
    ok "every reader call succeeded or said the run is still writing ($going said so, $partial read finished points)"
[ $going -gt 0 ] && ok "readers saw the run going" || bad "no reader call saw the run going ($calls calls)"
[ $partial -gt 0 ] && ok "a report showed the points finished so far, saying the run was going" \
    || echo "# no reader call read finished points while the run went (a slow machine): not checked"
[ "$(canon_results "$T/live")" = "$(canon_results "$T/ref")" ] && [ -n "$(canon_results "$T/ref")" ] &&
    ok "results equal the uninterrupted run's" || bad "results differ from the reference"
"$WS" report "$T/live" >/dev/null 2>"$T/r.err" && "$WS" report "$T/ref" >/dev/null 2>>"$T/r.err" ||
    bad "report after the run: $(cat "$T/r.err")"
[ ! -s "$T/r.err" ] && ok "the report after the run says nothing of a run" || bad "report: $(cat "$T/r.err")"
canon_report "$T/live/report.md" >"$T/live.md"
canon_report "$T/ref/report.md" >"$T/ref.md"
if cmp -s "$T/live.md" "$T/ref.md" && grep -q '| warm' "$T/ref.md"; then
    ok "the report equals the uninterrupted run's"
else
    bad "reports differ: $(diff "$T/live.md" "$T/ref.md" | head -8)"
fi
left=$(find "$T/live" -name '*.tmp.*' | head -3)
[ -z "$left" ] && ok "no temporary file left in the folder" || bad "left: $left"
finish
