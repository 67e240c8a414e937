#!/bin/sh
# Torn tails (docs/RELIABILITY.md): a records file whose last line was cut (a power cut between
# the write and the fsync) or ends with garbage (zero-filled blocks, no newline) is repaired on
# --resume: the torn bytes are set aside, byte for byte, into units/records.jsonl.torn.N (a second
# tear into .torn.2, the first kept), a note names the file, the bytes and the side file, the
# unit whose record was torn runs again, and the results equal an uninterrupted run's (wall times
# aside) with no record twice.
# Usage: tests/cli/test_torn.sh BUILD_DIR
set -u
SUITE=torn
. "$(dirname "$0")/common.sh"

cat >"$T/exp.ini" <<'EOF'
# 2 seeds x 2 learners: 4 chains of 4 rounds
scenario = online
[options]
data = fashion-mnist
subset = 1200
k0 = 300
k = 300
seeds = 2
hidden = 32
learners = warm,random
threads = 1
max-epochs = 30
EOF

# No (unit, round) and no unit's end recorded twice in a records file; prints the count.
no_repeats() {
    "$PY" - "$1" <<'EOF'
import json, sys
seen = set()
for line in open(sys.argv[1]):
    r = json.loads(line)
    key = (r["unit"], r.get("round"), "status" in r)
    if key in seen: sys.exit("repeated: %s" % (key,))
    seen.add(key)
print(len(seen))
EOF
}

# cut FILE N SIDE: keep FILE's first N lines and the first half of line N+1, which goes to SIDE too.
cut_line() {
    "$PY" - "$1" "$2" "$3" <<'EOF'
import sys
path, n, side = sys.argv[1], int(sys.argv[2]), sys.argv[3]
lines = open(path, "rb").read().split(b"\n")
half = lines[n][: len(lines[n]) // 2]
open(path, "wb").write(b"".join(l + b"\n" for l in lines[:n]) + half)
open(side, "wb").write(half)
EOF
}

if "$WS" run "$T/exp.ini" --out "$T/ref" >/dev/null 2>"$T/ref.err"; then
    ok "the reference run"
else
    bad "reference run failed: $(cat "$T/ref.err")"
fi
strip_file "$T/ref/online.jsonl" >"$T/ref.canon"
[ -s "$T/ref.canon" ] || bad "no reference results"

# --- a power cut mid-record: the first unit's closing record cut in half, what followed lost ---
cp -r "$T/ref" "$T/a"
rm -f "$T/a/online.jsonl" "$T/a/online.csv"
R="$T/a/units/records.jsonl"
n=$(grep -n '"status"' "$R" | head -1 | cut -d: -f1)
unit=$(sed -n "${n}p" "$R" | sed 's/^{"unit":"\([^"]*\)".*/\1/')
cut_line "$R" $((n - 1)) "$T/cut1"
[ -s "$T/cut1" ] && [ -n "$unit" ] || bad "could not cut line $n of $R"
if "$WS" run "$T/exp.ini" --out "$T/a" --resume >/dev/null 2>"$T/a.err"; then
    ok "the resume over a cut line runs"
else
    bad "resume failed: $(cat "$T/a.err")"
fi
cmp -s "$T/cut1" "$R.torn.1" && ok "records.jsonl.torn.1 holds exactly the $(wc -c <"$T/cut1") cut bytes" \
    || bad "side file: $(od -c "$R.torn.1" 2>&1 | head -3)"
grep -q "$R ended with $(wc -c <"$T/cut1" | tr -d ' ') bytes of a record cut short.*set aside in $R.torn.1, and its unit runs again" "$T/a.err" &&
    ok "a note names the records file, the bytes and the side file" || bad "note: $(cat "$T/a.err")"
[ "$(grep -c "^{\"unit\":\"$unit\",\"status\"" "$R")" -eq 1 ] && ok "unit $unit ran again: its record is back, once" \
    || bad "unit $unit's closing records: $(grep -c "\"unit\":\"$unit\",\"status\"" "$R")"
[ "$(grep -c '"status"' "$R")" -eq 4 ] && ok "every unit closed once (4)" || bad "closing records: $(grep -c '"status"' "$R")"
k=$(no_repeats "$R") && ok "no record twice ($k records)" || bad "$k"
strip_file "$T/a/online.jsonl" | cmp -s - "$T/ref.canon" && ok "results equal the uninterrupted run's" \
    || bad "results differ from the reference"

# --- a second tear in the same folder: zero-filled blocks then garbage, no newline ---
printf '\000\000\000\000\n\000\000{"unit":"s2/wa' >"$T/cut2"
cat "$T/cut2" >>"$R"
rm -f "$T/a/online.jsonl"
if "$WS" run "$T/exp.ini" --out "$T/a" --resume >/dev/null 2>"$T/b.err"; then
    ok "the resume over appended garbage runs"
else
    bad "resume failed: $(cat "$T/b.err")"
fi
cmp -s "$T/cut2" "$R.torn.2" && ok "records.jsonl.torn.2 holds exactly the garbage (NUL bytes included)" \
    || bad "second side file: $(od -c "$R.torn.2" 2>&1 | head -3)"
cmp -s "$T/cut1" "$R.torn.1" && ok "the first side file is kept as it was" || bad "records.jsonl.torn.1 changed"
grep -q "set aside in $R.torn.2" "$T/b.err" && ok "the note names the second side file" || bad "note: $(cat "$T/b.err")"
grep -q "resumed $T/a: 4 units already finished" "$T/b.err" && ok "nothing ran again (no record was torn)" \
    || bad "resume: $(cat "$T/b.err")"
k=$(no_repeats "$R") && ok "no record twice ($k records)" || bad "$k"
strip_file "$T/a/online.jsonl" | cmp -s - "$T/ref.canon" && ok "results equal the uninterrupted run's" \
    || bad "results differ from the reference"
finish
