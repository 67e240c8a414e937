#!/bin/sh
# --precision: bad values refused in one line; fp32 (the default) leaves the results as
# before (no "precision" key, so older folders resume); bf16 recorded, repeatable to the
# bit with the same seed and threads, and different from fp32 (the negative control:
# the option reaches the arithmetic), for an MLP, the CNN and ResNet-18 (convolutions). On a
# CPU without AVX512_BF16, bf16 is refused.
# Usage: tests/cli/test_precision.sh BUILD_DIR
set -u
SUITE=precision
. "$(dirname "$0")/common.sh"

err1() { "$@" >"$T/out" 2>"$T/err"; [ $? -ne 0 ] && [ "$(wc -l <"$T/err")" -eq 1 ] && [ ! -s "$T/out" ]; }
err1 "$WS" batch --precision fp16 --out "$T/x" && grep -qF "unknown precision 'fp16' (expected fp32 or bf16)" "$T/err" \
    && ok "--precision fp16 refused ($(cat "$T/err"))" || bad "--precision fp16: $(cat "$T/err")"

run() { "$WS" batch --subset 1500 --hidden 32 --epochs 2 --seeds 1 --threads 2 --precision "$1" --out "$T/$2" --quiet \
    >/dev/null 2>"$T/log.$2"; }
run fp32 f || bad "fp32 run failed: $(cat "$T/log.f")"
grep -q '"precision"' "$T/f/batch.jsonl" && bad "fp32 recorded a precision key" || ok "fp32: no precision key (absent means fp32)"

if grep -qw avx512_bf16 /proc/cpuinfo; then
    run bf16 b1 || bad "bf16 run failed: $(cat "$T/log.b1")"
    run bf16 b2 || bad "bf16 run failed: $(cat "$T/log.b2")"
    grep -q '"precision":"bf16"' "$T/b1/batch.jsonl" && ok "bf16 recorded in the configuration" \
        || bad "bf16 not recorded: $(head -c 600 "$T/b1/batch.jsonl")"
    [ "$(strip_file "$T/b1/batch.jsonl")" = "$(strip_file "$T/b2/batch.jsonl")" ] \
        && ok "bf16: same seed and threads, the same results to the bit" || bad "bf16 runs differ"
    a=$(grep -o '"test_loss":[0-9.e-]*' "$T/f/batch.jsonl" | head -1) b=$(grep -o '"test_loss":[0-9.e-]*' "$T/b1/batch.jsonl" | head -1)
    [ -n "$a" ] && [ "$a" != "$b" ] && ok "bf16 changes the arithmetic (fp32 $a, bf16 $b)" || bad "bf16 = fp32 ($a, $b)"
    # Each job of --jobs runs in the precision asked for: 2 seeds on 1 thread each equal a serial
    # one-thread bf16 run (and not an fp32 one).
    "$WS" batch --subset 1500 --hidden 32 --epochs 2 --seeds 2 --precision bf16 --threads 1 --out "$T/j1" --quiet >/dev/null 2>&1
    "$WS" batch --subset 1500 --hidden 32 --epochs 2 --seeds 2 --precision bf16 --threads 2 --jobs 2 --out "$T/j2" --quiet \
        >/dev/null 2>&1
    [ -s "$T/j1/batch.jsonl" ] && [ "$(STRIP_KEYS="threads unit_threads" strip_file "$T/j1/batch.jsonl")" = \
        "$(STRIP_KEYS="threads unit_threads" strip_file "$T/j2/batch.jsonl")" ] \
        && ok "bf16 under --jobs 2: each job in bf16, equal to the serial one-thread bf16 run" \
        || bad "bf16 under --jobs differs from the serial run"
    # Convolutions in bf16 too: Kumar et al.'s CNN (plain layouts, bias) and ResNet-18 (blocked).
    for m in cnn resnet18; do
        crun() { "$WS" batch --model $m --subset 200 --eval-subset 200 --epochs 1 --seeds 1 --threads 2 --precision "$1" \
            --out "$T/$m.$2" --quiet >/dev/null 2>"$T/log.$m.$2"; }
        crun fp32 f && crun bf16 b1 && crun bf16 b2 || bad "$m: a run failed: $(cat "$T/log.$m."*)"
        [ "$(strip_file "$T/$m.b1/batch.jsonl")" = "$(strip_file "$T/$m.b2/batch.jsonl")" ] \
            && ok "$m bf16: the same results to the bit" || bad "$m bf16 runs differ"
        a=$(grep -o '"test_loss":[0-9.e-]*' "$T/$m.f/batch.jsonl" | head -1)
        b=$(grep -o '"test_loss":[0-9.e-]*' "$T/$m.b1/batch.jsonl" | head -1)
        [ -n "$a" ] && [ "$a" != "$b" ] && ok "$m: bf16 changes the arithmetic (fp32 $a, bf16 $b)" || bad "$m: bf16 = fp32 ($a, $b)"
    done
else
    err1 "$WS" batch --precision bf16 --out "$T/x" && grep -qF "AVX512_BF16" "$T/err" \
        && ok "no AVX512_BF16: bf16 refused ($(cat "$T/err"))" || bad "bf16 without AVX512_BF16: $(cat "$T/err")"
fi
finish
