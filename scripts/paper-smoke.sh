#!/bin/sh
# Start every paper-scale experiment file on real data and run its first unit's first epoch:
# the file is read and checked whole (options, learners, grid), the data loaded, the model built
# and trained one epoch (a file with fixed-epoch training: phase 1 of its first point) and
# evaluated. Data: the CIFAR-10 sample in ../shared (or $SAMPLE), standing in for every dataset
# a file names (a transfer file's source and target alike).
# Usage: scripts/paper-smoke.sh [BUILD_DIR] [OUT_DIR]     (about 3 minutes on 2 cores)
set -u
BUILD=${1:-build}
OUT=${2:-$(mktemp -d /tmp/warmstart-paper-smoke-XXXXXX)}
mkdir -p "$OUT" || exit 1
WS="$BUILD/warmstart"
SAMPLE=${SAMPLE:-$(dirname "$0")/../../shared/data/cifar-10-sample}
if [ ! -f "$SAMPLE/data_batch_1.bin" ]; then
    echo "paper-smoke: no CIFAR-10 sample at $SAMPLE (set SAMPLE): skipped"
    exit 0
fi
fails=0
for f in "$(dirname "$0")"/../experiments/paper/*.ini; do
    name=$(basename "$f" .ini)
    data="--data=cifar10:$SAMPLE"
    grep -q '^pretrain' "$f" && data="$data --pretrain=cifar10:$SAMPLE"
    # One epoch: a cap for files trained to the threshold, one fixed epoch for fixed-epoch files.
    one="--max-epochs=1"
    grep -q '^epochs' "$f" && one="--epochs=1"
    # A phase-1 length set among the options (not swept): one epoch too.
    awk '/^\[grid\]/ { exit } /^phase1-epochs/ { f = 1 } END { exit !f }' "$f" && one="$one --phase1-epochs=1"
    unit=$("$WS" plan "$f" $data 2>"$OUT/$name.err" | head -n 1)
    start=$(date +%s)
    # shellcheck disable=SC2086
    if [ -n "$unit" ] && "$WS" run "$f" $data $one --seeds=1 --unit="$unit" --threads=2 --out="$OUT/$name" --quiet \
        >"$OUT/$name.log" 2>&1 && grep -rqs '"epoch":1,' "$OUT/$name"; then
        echo "ok - $name: unit $unit ran its first epoch ($(($(date +%s) - start)) s in all)"
    else
        echo "FAIL - $name: $(cat "$OUT/$name.err" "$OUT/$name.log" 2>/dev/null | tail -n 3)"
        fails=$((fails + 1))
    fi
done
echo "paper-smoke: $fails failed; outputs in $OUT"
[ $fails -eq 0 ]
