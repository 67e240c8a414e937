#!/bin/sh
# The whole suite: unit tests (Check), PyTorch parity, CLI end to end, a full disk and a seeded
# sample of injected faults (tests/faults; make test-faults runs them all), the Python package
# (pytest over python/tests), and a short run of every loader's fuzzer (FUZZ_SECONDS each,
# default 10: the suite keeps under 15 minutes on 2 cores; 0 skips; tests/fuzz/run.sh 600 for a
# longer hunt).
# Prints a closing line "tests: N passed, N failed[, N skipped]".
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
PY=/usr/bin/python3
passed=0 failed=0 skipped=0
run() { # run NAME CMD...: exit 0 pass, 77 skip, else fail
    name=$1
    shift
    echo "=== $name"
    start=$(date +%s)
    "$@"
    rc=$?
    secs=$(($(date +%s) - start))
    if [ $rc -eq 0 ]; then passed=$((passed + 1)); echo "=== $name: passed (${secs}s)"
    elif [ $rc -eq 77 ]; then skipped=$((skipped + 1)); echo "=== $name: skipped"
    else failed=$((failed + 1)); echo "=== $name: FAILED (exit $rc)"; fi
}
run unit "$BUILD/test_unit"
for t in tests/parity/test_*.py; do
    [ -e "$t" ] || continue
    run "parity $(basename "$t" .py)" "$PY" "$t" "$BUILD"
done
run cli tests/cli/test_cli.sh "$BUILD"
run precision tests/cli/test_precision.sh "$BUILD"
run runner tests/cli/test_runner.sh "$BUILD"
run signals tests/cli/test_signals.sh "$BUILD"
run torn tests/cli/test_torn.sh "$BUILD"
run readers tests/cli/test_readers.sh "$BUILD"
run share tests/cli/test_share.sh "$BUILD"
run snapshot tests/cli/test_snapshot.sh "$BUILD"
run slurm tests/cli/test_slurm.sh "$BUILD"
run reproduce tests/cli/test_reproduce.sh "$BUILD"
run estimate tests/cli/test_estimate.sh "$BUILD"
run examples tests/cli/test_examples.sh "$BUILD"
run diskfull tests/cli/test_diskfull.sh "$BUILD"
run faults tests/faults/run.sh
run install tests/install/test_install.sh "$BUILD"
run symbols tests/install/test_symbols.sh "$BUILD"
run layers tests/install/test_layers.sh
run python tests/python.sh "$BUILD"
if [ "${FUZZ_SECONDS:-10}" -gt 0 ]; then run fuzz tests/fuzz/run.sh "${FUZZ_SECONDS:-10}"; fi
echo
echo "tests: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
