#!/bin/sh
# ResNet-18 benchmark, warmstart against PyTorch (bench/README.md, "ResNet-18").
#
#   ./bench/run_resnet.sh [--rounds R] [--threads 1,2] [--models LIST] [--opts LIST] [--opts-w64 LIST]
#                         [--steps N] [--warmup N] [--steps-w64 N] [--warmup-w64 N]
#                         [--reps N] [--reps-w64 N] [--layer-threads LIST] [--no-layers] [--no-build]
#                         [--backend onednn|reference] [--conv-algo auto|direct]
#   ./bench/run.sh --resnet ...   (the same)
#
# Builds build/bench_resnet, then R times (default 2) runs every case, one
# process per case (so that each peak RSS is the case's own), warmstart and
# PyTorch back to back (which goes first alternates by round), and the
# per-op timing (build/bench_resnet layers). Cases: each model, thread count
# and --opts entry (default sgd-momentum,adam,eval); width 64 runs --opts-w64
# (default sgd-momentum,eval, or --opts when that is given): its Adam step
# differs from SGD's only by the optimizer pass, ~5-9 ms of 4-7 s.
# Prints (bench/resnet_report.py) the training-step table (PyTorch ms /
# warmstart ms: above 1 means warmstart is faster), eval throughput, peak RSS
# and GFLOP/s per layer type; every time is the lowest of the R per-round
# medians. Raw key=value lines go to $BENCH_OUT (default
# build/bench/last-run-resnet.txt). The defaults take about 9 minutes on the
# reference machine (2 cores).
set -e
cd "$(dirname "$0")/.."

ROUNDS=2
THREADS=1,2
MODELS=w16-3x32x32,w16-1x28x28,w64-3x32x32
OPTS=sgd-momentum,adam,eval
OPTS64=
STEPS=8
WARMUP=2
STEPS64=2
WARMUP64=1
REPS=5
REPS64=2
LTHREADS=
LAYERS=1
BUILD=1
BACKEND=onednn
CONVALGO=auto
while [ $# -gt 0 ]; do
    case "$1" in
        --rounds) ROUNDS="$2"; shift 2 ;;
        --threads) THREADS="$2"; shift 2 ;;
        --models) MODELS="$2"; shift 2 ;;
        --opts) OPTS="$2"; [ -n "$OPTS64" ] || OPTS64="$2"; shift 2 ;;
        --opts-w64) OPTS64="$2"; shift 2 ;;
        --steps) STEPS="$2"; shift 2 ;;
        --warmup) WARMUP="$2"; shift 2 ;;
        --steps-w64) STEPS64="$2"; shift 2 ;;
        --warmup-w64) WARMUP64="$2"; shift 2 ;;
        --reps) REPS="$2"; shift 2 ;;
        --reps-w64) REPS64="$2"; shift 2 ;;
        --layer-threads) LTHREADS="$2"; shift 2 ;;
        --no-layers) LAYERS=0; shift ;;
        --no-build) BUILD=0; shift ;;
        --backend) BACKEND="$2"; shift 2 ;;
        --conv-algo) CONVALGO="$2"; shift 2 ;;
        -h|--help) sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "bench/run_resnet.sh: unknown argument '$1'" >&2; exit 2 ;;
    esac
done
[ -n "$LTHREADS" ] || LTHREADS="$THREADS"
[ -n "$OPTS64" ] || OPTS64=sgd-momentum,eval

PY="${TORCH_PYTHON:-/usr/bin/python3}"
if ! "$PY" -c 'import torch' 2>/dev/null; then
    echo "bench/run_resnet.sh: $PY cannot import torch (install python3-torch, or set TORCH_PYTHON)" >&2
    exit 1
fi

BIN=build/bench_resnet
[ "$BUILD" = 1 ] && make --no-print-directory "$BIN" >/dev/null
[ -x "$BIN" ] || { echo "bench/run_resnet.sh: $BIN is missing" >&2; exit 1; }

OUT="${BENCH_OUT:-build/bench/last-run-resnet.txt}"
mkdir -p "$(dirname "$OUT")"
echo "# $(date '+%Y-%m-%d %H:%M:%S %Z')  $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), $(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg)" >"$OUT"
echo "# backend=$BACKEND conv_algo=$CONVALGO rounds=$ROUNDS threads=$THREADS models=$MODELS opts=$OPTS opts_w64=$OPTS64 steps=$STEPS warmup=$WARMUP steps_w64=$STEPS64 warmup_w64=$WARMUP64 reps=$REPS reps_w64=$REPS64 layer_threads=$LTHREADS" >>"$OUT"
START=$(date +%s)

# steps/warm-up for a model: width 64 is ~16x the work of width 16
steps_for() { case "$1" in w64-*) echo "--steps $STEPS64 --warmup $WARMUP64" ;; *) echo "--steps $STEPS --warmup $WARMUP" ;; esac; }
opts_for() { case "$1" in w64-*) echo "$OPTS64" ;; *) echo "$OPTS" ;; esac; }
reps_for() { case "$1" in w64-*) echo "$REPS64" ;; *) echo "$REPS" ;; esac; }
mode_of() { [ "$1" = eval ] && echo eval || echo "step --opt $1"; }
ours() { # model threads opt
    # shellcheck disable=SC2046
    "$BIN" $(mode_of "$3") --model "$1" --threads "$2" $(steps_for "$1") --backend "$BACKEND" --conv-algo "$CONVALGO" >>"$OUT"
}
theirs() {
    # shellcheck disable=SC2046
    "$PY" bench/bench_torch_resnet.py $(mode_of "$3") --model "$1" --threads "$2" $(steps_for "$1") >>"$OUT" 2>/dev/null
}

IFS_SAVE=$IFS
r=1
while [ "$r" -le "$ROUNDS" ]; do
    echo "# round $r" >>"$OUT"
    IFS=,
    for m in $MODELS; do
        for t in $THREADS; do
            for o in $(opts_for "$m"); do
                IFS=$IFS_SAVE
                echo "round $r/$ROUNDS: $m threads=$t $o ($(( $(date +%s) - START )) s)" >&2
                if [ $((r % 2)) = 1 ]; then ours "$m" "$t" "$o"; theirs "$m" "$t" "$o"
                else theirs "$m" "$t" "$o"; ours "$m" "$t" "$o"; fi
                IFS=,
            done
        done
    done
    if [ "$LAYERS" = 1 ]; then
        for m in $MODELS; do
            for t in $LTHREADS; do
                IFS=$IFS_SAVE
                echo "round $r/$ROUNDS: layers $m threads=$t ($(( $(date +%s) - START )) s)" >&2
                "$BIN" layers --model "$m" --threads "$t" --reps "$(reps_for "$m")" --backend "$BACKEND" --conv-algo "$CONVALGO" >>"$OUT"
                IFS=,
            done
        done
    fi
    IFS=$IFS_SAVE
    r=$((r + 1))
done
echo "# done in $(( $(date +%s) - START )) s" >>"$OUT"

"$PY" bench/resnet_report.py "$OUT"
echo "raw results: $OUT ($(( $(date +%s) - START )) s)" >&2
