#!/bin/sh
# The training loop against its step, and against a lean PyTorch loop (bench/README.md,
# "The training loop").
#
#   ./bench/loop.sh [--data DIR] [--threads 2] [--epochs 5] [--rounds 3] [--no-build]
#
# warmstart's whole loop -- `warmstart train --protocol paper --epochs E` on CIFAR-10: the
# paper's MLP, Adam, batch 128, on the training part of the paper protocol's split (33,333
# images) -- and bench/loop_torch.py's lean PyTorch loop on the same files, R times each,
# alternating; beside each, its isolated step (bench_mlp's 3072-100-100-10 Adam case;
# loop_torch.py's own). Prints per side the loop's ms per step, the step's ms, the loop's
# efficiency (step / loop per step: 100 % = the loop costs nothing beyond its steps) and the
# whole-loop ratio PyTorch / warmstart. Each cell is the lowest over the rounds.
#
# DIR holds CIFAR-10's binary files (data_batch_1..5.bin). Default: $WARMSTART_DATA/cifar10
# when it is there, else the shared 5,000-image sample (../shared/data/cifar-10-sample) tiled
# ten times into build/bench/cifar10-tiled: 50,000 images, the full set's shapes and sizes
# (the timing does not depend on which images they are).
set -e
cd "$(dirname "$0")/.."

DATA=""
THREADS=2
EPOCHS=5
ROUNDS=3
BUILD=1
while [ $# -gt 0 ]; do
    case "$1" in
        --data) DATA="$2"; shift 2 ;;
        --threads) THREADS="$2"; shift 2 ;;
        --epochs) EPOCHS="$2"; shift 2 ;;
        --rounds) ROUNDS="$2"; shift 2 ;;
        --no-build) BUILD=0; shift ;;
        -h|--help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "bench/loop.sh: unknown argument '$1'" >&2; exit 2 ;;
    esac
done

PY="${TORCH_PYTHON:-/usr/bin/python3}"
"$PY" -c 'import torch' 2>/dev/null || { echo "bench/loop.sh: $PY cannot import torch (install python3-torch, or set TORCH_PYTHON)" >&2; exit 1; }
[ "$BUILD" = 1 ] && make --no-print-directory build/warmstart build/bench_mlp >/dev/null

if [ -z "$DATA" ]; then
    if [ -n "${WARMSTART_DATA:-}" ] && [ -f "$WARMSTART_DATA/cifar10/data_batch_1.bin" ]; then
        DATA="$WARMSTART_DATA/cifar10"
    else
        SAMPLE=../shared/data/cifar-10-sample
        [ -f "$SAMPLE/data_batch_1.bin" ] || { echo "bench/loop.sh: no CIFAR-10: give --data DIR (or WARMSTART_DATA with cifar10/ in it)" >&2; exit 1; }
        DATA=build/bench/cifar10-tiled
        if [ ! -f "$DATA/test_batch.bin" ]; then
            mkdir -p "$DATA"
            for i in 1 2 3 4 5; do
                for k in 1 2 3 4 5 6 7 8 9 10; do cat "$SAMPLE/data_batch_$i.bin"; done >"$DATA/data_batch_$i.bin"
            done
            cp "$SAMPLE/test_batch.bin" "$SAMPLE/batches.meta.txt" "$DATA/"
        fi
    fi
fi

OUT="${BENCH_OUT:-build/bench/loop-last-run.txt}"
mkdir -p "$(dirname "$OUT")"
echo "# $(date '+%Y-%m-%d %H:%M:%S %Z')  $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), $(nproc) cores; data $DATA" >"$OUT"
r=1
while [ "$r" -le "$ROUNDS" ]; do
    echo "round $r/$ROUNDS ..." >&2
    t0=$(date +%s.%N)
    ./build/warmstart train --data "cifar10:$DATA" --protocol paper --epochs "$EPOCHS" --threads "$THREADS" --quiet --json |
        "$PY" -c '
import json, sys
r = json.load(sys.stdin)["result"]
best = min(e["seconds"] for e in r["epoch_log"]) / (r["steps"] / r["epochs"])
print("loop impl=warmstart threads=%s steps=%d seconds=%.4f ms_per_step=%.4f best_epoch_ms_per_step=%.4f"
      % (sys.argv[1], r["steps"], r["seconds"], 1000 * r["seconds"] / r["steps"], 1000 * best))' "$THREADS" >>"$OUT"
    echo "wall impl=warmstart seconds=$(echo "$(date +%s.%N) - $t0" | bc)" >>"$OUT"
    ./build/bench_mlp --threads "$THREADS" --steps 300 | grep 'model=3072-100-100-10 opt=adam' | sed 's/^bench /step /' >>"$OUT"
    "$PY" bench/loop_torch.py --data "$DATA" --threads "$THREADS" --epochs "$EPOCHS" >>"$OUT"
    r=$((r + 1))
done

"$PY" - "$OUT" <<'EOF'
import re, sys
best = {}
for line in open(sys.argv[1]):
    m = re.match(r"(loop|step) impl=(\w+)", line)
    if not m:
        continue
    kv = dict(re.findall(r"(\w+)=([\d.]+)", line))
    key = (m.group(1), m.group(2))
    v = float(kv["best_epoch_ms_per_step" if m.group(1) == "loop" else "median_ms"])
    best[key] = min(best.get(key, v), v)
print("%-10s %14s %10s %12s" % ("", "loop ms/step", "step ms", "efficiency"))
for impl in ("warmstart", "torch"):
    lp, st = best.get(("loop", impl)), best.get(("step", impl))
    if lp and st:
        print("%-10s %14.3f %10.3f %11.0f%%" % (impl, lp, st, 100 * st / lp))
lw, lt = best.get(("loop", "warmstart")), best.get(("loop", "torch"))
if lw and lt:
    print("whole loop, PyTorch / warmstart: %.2f" % (lt / lw))
EOF
echo "raw: $OUT"
