# Shared by the CLI test scripts (sourced, not run): the binary, a scratch folder removed on
# exit, and the ok/bad reporters. Set SUITE (the scratch folder's name) before sourcing;
# the script's $1 is the build folder.
WS="$(cd "$1" && pwd)/warmstart"
PY=/usr/bin/python3
T=$(mktemp -d "/tmp/warmstart-$SUITE-XXXXXX")
trap 'rm -rf "$T"' EXIT
fails=0
ok() { echo "ok - $1"; }
bad() { echo "FAIL - $1"; fails=$((fails + 1)); }
# A JSONL file with its wall times left out, keys sorted, a line a record.
# STRIP_KEYS: more keys to leave out (space-separated), e.g. a run's thread settings.
strip_file() { "$PY" -c 'import json,sys,os
skip = set(os.environ.get("STRIP_KEYS", "").split())
def s(x):
    if isinstance(x, dict): return {k: s(v) for k, v in x.items() if "seconds" not in k and k not in skip}
    if isinstance(x, list): return [s(v) for v in x]
    return x
for l in open(sys.argv[1]): print(json.dumps(s(json.loads(l)), sort_keys=True))' "$1" 2>/dev/null; }
# Every point of the sweep in DIR against the same point run alone (`warmstart batch $BASE EXTRA
# --FLAG VALUE`, nothing shared), batch.jsonl with the volatile keys stripped; one VALUE per point,
# in the points' order. points_match_alone DIR EXTRA FLAG VALUE... (EXTRA: more options, "" none).
points_match_alone() {
    dir=$1 extra=$2 flag=$3
    shift 3
    p=0
    for v in "$@"; do
        pd=$(printf '%s/points/%03d' "$dir" $p)
        alone="$T/alone-$(echo "$extra" | tr -c 'a-z0-9\n' _)-$flag-$v"
        [ -d "$alone" ] || $WS batch $BASE $extra --$flag "$v" --out "$alone" >/dev/null 2>&1
        if [ "$(strip_file "$pd/batch.jsonl")" != "$(strip_file "$alone/batch.jsonl")" ] ||
            [ -z "$(strip_file "$pd/batch.jsonl")" ]; then
            echo "  $pd differs from --$flag $v $extra run alone"
            return 1
        fi
        p=$((p + 1))
    done
}
# Units recorded (computed) in a sweep's folder, over every records file (a phase 1's snapshots
# for later points included: each a record of its own).
recorded() { cat "$1"/points/*/units/records*.jsonl | grep -c '"status"'; }
# The closing lines: a summary, and the exit status.
finish() {
    echo
    [ $fails -eq 0 ] && echo "$SUITE tests: all passed" || echo "$SUITE tests: $fails failed"
    [ $fails -eq 0 ]
}
