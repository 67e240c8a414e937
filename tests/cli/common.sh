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
# The closing lines: a summary, and the exit status.
finish() {
    echo
    [ $fails -eq 0 ] && echo "$SUITE tests: all passed" || echo "$SUITE tests: $fails failed"
    [ $fails -eq 0 ]
}
