#!/bin/sh
# A full disk for real: the results folder on a tmpfs the test mounts, too small for the run, in
# bytes (a chain's checkpoint in its first or a later round) or in files (nr_inodes: the point's
# folder, its records file, its table, the sweep's results, the sweep's figure), so that the disk
# fills at different moments. Each time the run must end with exit 1 and one error line that says
# the disk is full and names a file on it -- or, where only the figure was left to draw, finish
# with a note saying so --, leave no temporary file, keep every record whole; then, the disk made
# larger, the same command with --resume must finish with results equal to an uninterrupted
# run's (wall times aside).
# Skips, with one line, where a tmpfs cannot be mounted (not root, or no CAP_SYS_ADMIN).
# Usage: tests/cli/test_diskfull.sh BUILD_DIR
set -u
SUITE=diskfull
. "$(dirname "$0")/common.sh"
M="$T/disk"
mkdir -p "$M"
if ! mount -t tmpfs -o size=64k tmpfs "$M" 2>/dev/null; then
    echo "# skip - cannot mount a tmpfs here (needs root): the full-disk test did not run"
    exit 77
fi
trap 'umount "$M" 2>/dev/null; rm -rf "$T"' EXIT

cat >"$T/sweep.ini" <<'INI'
scenario = online
[options]
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
INI
# The results with wall times and the folder's own path left out: one line a record (tests/canon.py).
canon() { "$PY" "$(dirname "$0")/../canon.py" "$1"; }
"$WS" run "$T/sweep.ini" --out "$T/ref" >/dev/null 2>"$T/ref.err" || bad "the uninterrupted run: $(cat "$T/ref.err")"
canon "$T/ref" >"$T/ref.canon"
umount "$M"

# OPTIONS=EXIT: the tmpfs's mount options and the run's exit status on it.
for disk in size=24k=1 size=200k=1 size=280k=1 size=16m,nr_inodes=8=1 size=16m,nr_inodes=10=1 \
    size=16m,nr_inodes=14=1 size=16m,nr_inodes=26=1 size=16m,nr_inodes=28=0; do
    size=${disk%=*} want=${disk##*=}
    mount -t tmpfs -o "$size" tmpfs "$M" || { bad "mount a $size tmpfs"; continue; }
    "$WS" run "$T/sweep.ini" --out "$M/out" >/dev/null 2>"$T/err"
    rc=$?
    errs=$(grep -c ': error: ' "$T/err")
    line=$(grep -m1 ': error: ' "$T/err")
    [ "$want" -eq 0 ] && errs=$((errs + 1)) line=$(grep -m1 ': note: ' "$T/err")
    torn=$("$PY" -c 'import glob, json, sys
n = 0
for f in glob.glob(sys.argv[1] + "/**/*.jsonl", recursive=True):
    for l in open(f):
        try: json.loads(l)
        except ValueError: n += 1
print(n)' "$M/out" 2>/dev/null)
    tmps=$(find "$M" -name '*.tmp.*' | wc -l)
    if [ $rc -eq "$want" ] && [ "$errs" -eq 1 ] && echo "$line" | grep -q "the disk is full" && echo "$line" | grep -qF "$M/" \
        && [ "$tmps" -eq 0 ] && [ "${torn:-1}" -eq 0 ]; then
        ok "a $size disk filled mid-run: exit $want, one line saying so and where ($(echo "$line" | sed "s|$T|T|g" | cut -c1-150))"
    else
        bad "a $size disk: exit $rc, $errs error lines, $tmps temporary files, ${torn:-?} broken records: $(sed "s|$T|T|g" "$T/err" | tail -3)"
    fi
    mount -o remount,size=16m,nr_inodes=100000 "$M" || bad "remount larger"
    if "$WS" run "$T/sweep.ini" --out "$M/out" --resume >/dev/null 2>"$T/err" && canon "$M/out" | sed "s|$M/out|OUT|g" | cmp -s - "$T/ref.canon"; then
        ok "the disk made larger, --resume: results equal to the uninterrupted run's"
    else
        bad "resumed after the $size disk filled: $(tail -2 "$T/err"; canon "$M/out" | diff - "$T/ref.canon" | head -4 | cut -c1-200)"
    fi
    umount "$M"
done
finish
