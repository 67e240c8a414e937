#!/bin/sh
# The examples: an online experiment with built-in learners through the stable API only
# (examples/online.c, <warmstart.h>) runs the same units and writes the same records as the CLI,
# reads them back in long form into its table, resumes, and reports; a learner defined in the
# program (examples/custom_learner.c) runs beside the built-in ones with the same records,
# tables and report, and at K = 1 equals the built-in head-reset bit for bit.
# Usage: tests/cli/test_examples.sh BUILD_DIR
set -u
SUITE=examples
. "$(dirname "$0")/common.sh"
B="$(cd "$1" && pwd)"


# Its table: a row per learner, 2 seeds each, from the results' rows.
summary_ok() { for l in warm random shrink-perturb; do grep -qE "^$l +2 +[0-9.]+% +[1-9][0-9]* *\$" "$1" || return 1; done; }
if "$B/example_online" "$T/on" >"$T/on.out" 2>"$T/on.err" && [ "$(wc -l <"$T/on/online.jsonl")" -eq 2 ] \
    && summary_ok "$T/on.out" && grep -q "^## online: " "$T/on/report.md" \
    && grep -q "^6 units trained now" "$T/on.out" && grep -q "^online: s2/shrink-perturb recorded (6 of 6)" "$T/on.err"; then
    ok "examples/online.c runs an online experiment through the stable API: records, progress, its table, report"
else
    bad "example_online: $(cat "$T/on.err" "$T/on.out" | tail -5)"
fi
"$WS" online --subset 3000 --k0 1000 --k 1000 --seeds 2 --hidden 32,32 --max-epochs 40 \
    --learners warm,random,shrink-perturb --out "$T/cli" --quiet >/dev/null 2>&1
[ -s "$T/cli/online.jsonl" ] && [ "$(strip_file "$T/on/online.jsonl")" = "$(strip_file "$T/cli/online.jsonl")" ] \
    && ok "... the same records as 'warmstart online' with the same options" || bad "example vs CLI records differ"
"$B/example_online" "$T/on" --resume >"$T/on2.out" 2>&1 && grep -q "^0 units trained now" "$T/on2.out" \
    && grep -q "6 units already finished" "$T/on2.out" && summary_ok "$T/on2.out" \
    && [ "$(strip_file "$T/on/online.jsonl")" = "$(strip_file "$T/cli/online.jsonl")" ] \
    && ok "... resumed: every unit found finished, the same results" || bad "example resume: $(tail -3 "$T/on2.out")"

if "$B/example_custom_learner" "$T/cu" >"$T/cu.out" 2>"$T/cu.err" && grep -q "^reset-last-1 " "$T/cu.out" \
    && grep -qF '"name":"reset-last-1","kind":"custom","layers_reset":1' "$T/cu/online.jsonl" \
    && grep -q "reset-last-1" "$T/cu/report.md" && grep -q "reset-last-1" "$T/cu/report.html" \
    && grep -q '"unit":"s2/reset-last-1"' "$T/cu/units/records.jsonl"; then
    ok "examples/custom_learner.c: its learner runs beside warm, random and head-reset, in the table, records and report"
else
    bad "example_custom_learner: $(cat "$T/cu.err" "$T/cu.out" | tail -5)"
fi
# Columns 5-9 of online.csv: test acc, loss, train acc, epochs, steps.
rows() { awk -F, -v l="$2" '$3 == l { print $1, $2, $5, $6, $7, $8, $9 }' "$1"; }
[ -n "$(rows "$T/cu/online.csv" head-reset)" ] && [ "$(rows "$T/cu/online.csv" head-reset)" = "$(rows "$T/cu/online.csv" reset-last-1)" ] \
    && ok "... at K = 1 it equals the built-in head-reset, round by round, bit for bit" \
    || bad "reset-last-1 vs head-reset: $(rows "$T/cu/online.csv" reset-last-1)"
[ -n "$(rows "$T/cu/online.csv" l1-init:lambda=0.01)" ] \
    && [ "$(rows "$T/cu/online.csv" l1-init:lambda=0.01)" = "$(rows "$T/cu/online.csv" my-l1-init)" ] \
    && grep -qF '"name":"my-l1-init","kind":"custom","lambda":0.01' "$T/cu/online.jsonl" \
    && ok "... its L1 Init (state of its own, in the checkpoint) equals the built-in l1-init, bit for bit" \
    || bad "my-l1-init vs l1-init: $(rows "$T/cu/online.csv" my-l1-init | head -2)"
"$B/example_custom_learner" "$T/cu2" 2 >/dev/null 2>&1
[ "$(rows "$T/cu2/online.csv" reset-last-2 | cut -d' ' -f3-)" != "$(rows "$T/cu2/online.csv" head-reset | cut -d' ' -f3-)" ] \
    && ok "... at K = 2 it does something else" || bad "reset-last-2 equals head-reset"
"$B/example_custom_learner" "$T/cu3" 0 >"$T/out" 2>"$T/err"
[ $? -ne 0 ] && grep -q "K must be at least 1" "$T/err" && [ ! -e "$T/cu3" ] \
    && ok "... a bad K: one line, nothing written" || bad "bad K: $(cat "$T/err")"
(cd "$T" && "$B/example_custom_learner" --help >out 2>err; echo $? >rc; "$B/example_online" --bogus >out2 2>err2; echo $? >rc2)
[ "$(cat "$T/rc")" = 0 ] && grep -q "^usage: " "$T/err" && [ "$(cat "$T/rc2")" = 2 ] && grep -q "^usage: " "$T/err2" \
    && [ ! -e "$T/--help" ] && [ ! -e "$T/--bogus" ] \
    && ok "--help prints the usage (exit 0), another flag is refused (exit 2); no folder named after either" \
    || bad "examples' usage: rc $(cat "$T/rc") $(cat "$T/rc2"); $(ls "$T")"
finish
