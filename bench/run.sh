#!/bin/sh
# Training-step benchmark, warmstart against PyTorch (bench/README.md).
#
#   ./bench/run.sh [--steps N] [--warmup N] [--threads 1,2] [--precision fp32,bf16] [--rounds R] [--no-build]
#   ./bench/run.sh --resnet [...]   the ResNet-18 benchmark instead: bench/run_resnet.sh [...]
#
# Builds build/bench_mlp, then R times (default 3) runs it and
# bench/bench_torch.py one after the other with the same settings, and prints
# a table of median step times and ratios (PyTorch ms / warmstart ms: above 1
# means warmstart is faster). Each cell is the lowest of the R per-round
# medians: alternating rounds give both sides the same chances on a machine
# whose speed drifts (a shared VM). The raw key=value lines of every round go
# to $BENCH_OUT (default build/bench/last-run.txt). --precision fp32,bf16 adds
# bf16 (warmstart --precision bf16, PyTorch CPU autocast) and the fp32 / bf16 ratios.
set -e
cd "$(dirname "$0")/.."

STEPS=200
WARMUP=30
THREADS=1,2
PRECISION=fp32
ROUNDS=3
BUILD=1
while [ $# -gt 0 ]; do
    case "$1" in
        --steps) STEPS="$2"; shift 2 ;;
        --warmup) WARMUP="$2"; shift 2 ;;
        --threads) THREADS="$2"; shift 2 ;;
        --precision) PRECISION="$2"; shift 2 ;;
        --rounds) ROUNDS="$2"; shift 2 ;;
        --no-build) BUILD=0; shift ;;
        --resnet) shift; exec ./bench/run_resnet.sh "$@" ;;
        -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "bench/run.sh: unknown argument '$1'" >&2; exit 2 ;;
    esac
done

# Debian's python3-torch lives in the system interpreter; a python3 earlier on
# PATH (a virtual environment) may lack it.
PY="${TORCH_PYTHON:-/usr/bin/python3}"
if ! "$PY" -c 'import torch' 2>/dev/null; then
    echo "bench/run.sh: $PY cannot import torch (install python3-torch, or set TORCH_PYTHON)" >&2
    exit 1
fi

if [ "$BUILD" = 1 ]; then
    make --no-print-directory build/bench_mlp >/dev/null
fi
BIN=build/bench_mlp
[ -x "$BIN" ] || { echo "bench/run.sh: $BIN is missing (run make)" >&2; exit 1; }

OUT="${BENCH_OUT:-build/bench/last-run.txt}"
mkdir -p "$(dirname "$OUT")"
ARGS="--steps $STEPS --warmup $WARMUP --threads $THREADS --precision $PRECISION"

echo "# $(date '+%Y-%m-%d %H:%M:%S %Z')  $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), $(nproc) cores" >"$OUT"
echo "# $ROUNDS rounds of: $BIN $ARGS; $PY bench/bench_torch.py $ARGS" >>"$OUT"
r=1
while [ "$r" -le "$ROUNDS" ]; do
    echo "round $r/$ROUNDS: $BIN $ARGS ..." >&2
    echo "# round $r" >>"$OUT"
    # shellcheck disable=SC2086
    "$BIN" $ARGS >>"$OUT"
    echo "round $r/$ROUNDS: $PY bench/bench_torch.py $ARGS ..." >&2
    # shellcheck disable=SC2086
    "$PY" bench/bench_torch.py $ARGS >>"$OUT" 2>/dev/null
    r=$((r + 1))
done

"$PY" - "$OUT" <<'EOF'
import sys

rows = {}  # (model, opt, precision) -> {impl: {threads: ms}}
order = []
with open(sys.argv[1]) as f:
    for line in f:
        if not line.startswith("bench "):
            continue
        kv = dict(tok.split("=", 1) for tok in line.split()[1:])
        key = (kv["model"], kv["opt"], kv.get("precision", "fp32"))
        if key not in rows:
            rows[key] = {}
            order.append(key)
        cell = rows[key].setdefault(kv["impl"], {})
        t, ms = int(kv["threads"]), float(kv["median_ms"])
        cell[t] = min(ms, cell.get(t, ms))  # the best round's median

print("Training step, batch 128: median ms (best of the rounds); ratio = PyTorch / warmstart (> 1: warmstart faster)")
print()
hdr = f"{'model':<17} {'optimizer':<13} {'prec':<5} {'threads':>7} {'warmstart':>10} {'pytorch':>10} {'ratio':>7}"
print(hdr)
print("-" * len(hdr))
for key in order:
    ours, torch = rows[key].get("warmstart", {}), rows[key].get("torch", {})
    for t in sorted(set(ours) | set(torch)):
        a, b = ours.get(t), torch.get(t)
        ratio = f"{b / a:7.2f}" if a and b else f"{'-':>7}"
        fa = f"{a:10.3f}" if a else f"{'-':>10}"
        fb = f"{b:10.3f}" if b else f"{'-':>10}"
        print(f"{key[0]:<17} {key[1]:<13} {key[2]:<5} {t:>7} {fa} {fb} {ratio}")
    if ours and torch:
        ta = min(ours, key=ours.get)
        tb = min(torch, key=torch.get)
        a, b = ours[ta], torch[tb]
        best = f"best {ta}/{tb}"
        print(f"{key[0]:<17} {key[1]:<13} {key[2]:<5} {best:>7} {a:10.3f} {b:10.3f} {b / a:7.2f}")
print()
# bf16 against fp32 of the same implementation, where both ran (--precision fp32,bf16).
for key in order:
    if key[2] != "bf16" or (key[0], key[1], "fp32") not in rows:
        continue
    for impl in ("warmstart", "torch"):
        f, h = rows[(key[0], key[1], "fp32")].get(impl, {}), rows[key].get(impl, {})
        for t in sorted(set(f) & set(h)):
            print(f"{impl:<9} {key[0]:<17} {key[1]:<13} threads {t}: fp32 / bf16 = {f[t] / h[t]:.2f}")
print()
print("'best a/b': each side at its fastest thread count (a for warmstart, b for PyTorch).")
EOF
echo "raw results: $OUT" >&2
