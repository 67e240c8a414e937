#!/bin/sh
# Fault injection over a whole run (docs/RELIABILITY.md): build the fault build (make faults:
# build/faults/warmstart, -DWS_FAULTS under ASan + UBSan) and run tests/faults/inject.py on it.
#   tests/faults/run.sh            a seeded sample of FAULT_SAMPLE (default 36) points: make test
#   tests/faults/run.sh all        every point: make test-faults
# Exit 0 when every injection ended cleanly and resumed to the uninterrupted run's results;
# 77 (skip) without Fashion-MNIST.
set -u
cd "$(dirname "$0")/../.."
mkdir -p build/faults
make --no-print-directory faults >build/faults/build.log 2>&1 || { tail -20 build/faults/build.log; echo "faults: build failed"; exit 1; }
if [ "${1:-sample}" = all ]; then exec /usr/bin/python3 tests/faults/inject.py build/faults all; fi
exec /usr/bin/python3 tests/faults/inject.py build/faults sample "${FAULT_SAMPLE:-36}"
