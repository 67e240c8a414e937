#!/bin/sh
# The Python package's suite (python/tests, pytest) against BUILD's shared library (default build):
# tests/run.sh's stage "python". Exits 77 (skipped) where Debian's python3-pytest, -cffi, -numpy
# or -pandas is missing, or under a sanitizer (an ASan library cannot be dlopen'ed by Python).
set -u
cd "$(dirname "$0")/.."
BUILD=${1:-build}
PY=/usr/bin/python3
case $BUILD in /*) ;; *) BUILD=$PWD/$BUILD ;; esac
if [ -n "${SANITIZE:-}" ]; then echo "python: skipped under a sanitizer"; exit 77; fi
if ! "$PY" -c 'import pytest, cffi, numpy, pandas, tqdm' 2>/dev/null; then
    echo "python: skipped: python3-pytest, python3-cffi, python3-numpy, python3-pandas or python3-tqdm missing (make deps)"
    exit 77
fi
WARMSTART_LIB=$BUILD/libwarmstart.so exec "$PY" -m pytest -q -p no:cacheprovider python/tests
