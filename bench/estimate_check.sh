#!/bin/sh
# The cost estimate checked against a measured CPU-scale reproduction (bench/RESULTS.md, "The cost
# estimate"): the estimate with that run's records and without (an empty folder: the assumption
# path), at the run's threads and jobs, then the table.
#   bench/estimate_check.sh REF_DIR [THREADS JOBS]     e.g. bench/estimate_check.sh /tmp/repro29-before 2 2
# On a quiet machine only: the calibration times steps (LOCK=FILE: each estimate under flock FILE,
# where others measure too). WARMSTART_DATA as for the measured run. Writes
# REF_DIR-estimate-{records,assumed}.txt beside REF_DIR.
set -eu
REF=${1:?usage: bench/estimate_check.sh REF_DIR [THREADS JOBS]}
TH=${2:-2}
JOBS=${3:-2}
WS=${WS:-./build/warmstart}
EMPTY=$(mktemp -d)
trap 'rmdir "$EMPTY"' EXIT
for k in records assumed; do
    out=$REF
    [ $k = assumed ] && out=$EMPTY
    txt=$REF-estimate-$k.txt
    { date -u; grep -m1 'model name' /proc/cpuinfo; echo "load before: $(cat /proc/loadavg)"; } >"$txt"
    ${LOCK:+flock "$LOCK"} /usr/bin/time -f "elapsed %e s" "$WS" reproduce --estimate --scale cpu \
        --threads "$TH" --jobs "$JOBS" --out "$out" >>"$txt" 2>&1
    echo "load after: $(cat /proc/loadavg)" >>"$txt"
done
/usr/bin/python3 "$(dirname "$0")/estimate_check.py" "$REF/reproduce.json" "$REF-estimate-records.txt" \
    "$REF-estimate-assumed.txt"
