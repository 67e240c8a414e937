#!/bin/sh
# Build the libFuzzer harnesses (make fuzz: clang, ASan + UBSan) and run each
# for SECONDS (default 30) from its seed corpus (tests/fuzz/seeds/NAME) plus
# what earlier runs found (build/fuzz/corpus/NAME). Exit 0 when no harness
# found a crash, leak, sanitizer report or timeout; 77 (skip) without clang.
# Logs: build/fuzz/NAME.log; a crashing input is saved as build/fuzz/crash-*.
#
#   tests/fuzz/run.sh [SECONDS] [NAME ...]     e.g. tests/fuzz/run.sh 600 svhn
#
# ASAN_OPTIONS=allocator_may_return_null=1 and -malloc_limit_mb: libmatio sizes
# some allocations from header fields before checking them against the file
# (a 20-byte input asked for 824 GB); calloc fails, matio returns an error and
# the loader reports a corrupt file, which is what users get; ASan would
# otherwise stop at the allocation. See docs/FUZZING.md.
set -u
cd "$(dirname "$0")/../.."
SECS=${1:-30}
[ $# -gt 0 ] && shift
NAMES=${*:-cifar idx svhn image safetensors config}
command -v clang >/dev/null 2>&1 || { echo "fuzz: clang not installed: skipped"; exit 77; }
mkdir -p build/fuzz
make --no-print-directory fuzz >build/fuzz/build.log 2>&1 || { cat build/fuzz/build.log; echo "fuzz: build failed"; exit 1; }
rc=0
for h in $NAMES; do
    mkdir -p "build/fuzz/corpus/$h"
    ASAN_OPTIONS=allocator_may_return_null=1 UBSAN_OPTIONS=halt_on_error=1 \
        "./build/fuzz/fuzz_$h" -max_total_time="$SECS" -timeout=10 -rss_limit_mb=3072 -malloc_limit_mb=1000000 \
        -artifact_prefix=build/fuzz/ "build/fuzz/corpus/$h" "tests/fuzz/seeds/$h" >"build/fuzz/$h.log" 2>&1
    r=$?
    runs=$(grep -Eo '^Done [0-9]+ runs' "build/fuzz/$h.log" | grep -Eo '[0-9]+')
    corpus=$(ls "build/fuzz/corpus/$h" | wc -l)
    if [ $r -eq 0 ]; then
        echo "ok - fuzz $h: ${runs:-?} executions in ${SECS}s, corpus $corpus inputs, no findings"
    else
        rc=1
        echo "FAIL - fuzz $h: exit $r; $(grep -E 'ERROR|SUMMARY|runtime error' "build/fuzz/$h.log" | head -2 | tr '\n' ' ')"
    fi
done
exit $rc
