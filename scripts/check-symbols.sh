#!/bin/sh
# check-symbols.sh [-n NM_OUTPUT] [LIB [HEADER [DOC]]]: the stable API is one list of functions,
# the same in three places:
#   exported    the functions the shared library LIB (build/libwarmstart.so) exports:
#               `nm -D --defined-only LIB`, types T, W and i, their version (@@WARMSTART_1)
#               dropped; with -n, that command's output read from the file NM_OUTPUT instead
#               (how tests/install/test_symbols.sh plants a symbol);
#   declared    the functions HEADER (include/warmstart.h) declares with WARMSTART_API;
#   documented  the functions DOC (docs/API.md) names as `warmstart_NAME(`, anywhere in it.
# One line per problem, then "symbols: ok (N functions)" (exit 0) or "symbols: N problems"
# (exit 1); exit 2 on a usage error. The problems:
#   NAME: not exported (LIB), not declared (HEADER), not documented (DOC)   whichever it lacks
#   NAME: declared without WARMSTART_API (HEADER)   a function of the header the library hides
#   NAME: exported, not a function (type X)          an object; the API exports functions only
# The version node (an absolute symbol, WARMSTART_1) is not a problem. Comments, string
# literals and preprocessor lines of HEADER are not read; neither are function pointers
# (struct members, typedefs), which are not functions the library defines.
set -u
usage() {
    echo "usage: check-symbols.sh [-n NM_OUTPUT] [LIB [HEADER [DOC]]]" >&2
    exit 2
}
NM_OUT=
if [ "${1:-}" = -n ]; then
    [ $# -ge 2 ] || usage
    NM_OUT=$2
    shift 2
fi
[ $# -le 3 ] || usage
ROOT=$(cd "$(dirname "$0")/.." && pwd)
show() { case $1 in "$ROOT"/*) echo "${1#"$ROOT"/}" ;; *) echo "$1" ;; esac; } # a file as the problems name it
LIB=${1:-$ROOT/build/libwarmstart.so}
HEADER=${2:-$ROOT/include/warmstart.h}
DOC=${3:-$ROOT/docs/API.md}
for f in "$HEADER" "$DOC" ${NM_OUT:+"$NM_OUT"}; do
    [ -r "$f" ] || { echo "check-symbols.sh: cannot read $f" >&2; exit 2; }
done
T=$(mktemp -d "/tmp/check-symbols-XXXXXX") || exit 2
trap 'rm -rf "$T"' EXIT
if [ -n "$NM_OUT" ]; then
    cp "$NM_OUT" "$T/nm"
else
    [ -r "$LIB" ] || { echo "check-symbols.sh: cannot read $LIB" >&2; exit 2; }
    command -v nm >/dev/null 2>&1 || { echo "check-symbols.sh: nm (binutils) not found" >&2; exit 2; }
    nm -D --defined-only "$LIB" >"$T/nm" 2>"$T/nm.err" || { cat "$T/nm.err" >&2; exit 2; }
fi

# Exported: "ADDRESS TYPE NAME[@@VERSION]" per line. Functions to one list, anything else but the
# version node to the problems.
LC_ALL=C awk -v objects="$T/objects" '
NF >= 2 {
    type = $(NF - 1); name = $NF
    sub(/@.*/, "", name)
    if (type ~ /^[TWi]$/) print name
    else if (!(type == "A" && name ~ /^WARMSTART_[0-9.]+$/))
        printf "%s: exported, not a function (type %s)\n", name, type >objects
}' "$T/nm" | LC_ALL=C sort -u >"$T/exported"

# Declared: the header as statements (split at ; { }), comments, literals and preprocessor lines
# gone; a statement that begins with WARMSTART_API declares the name before its first "(".
# A statement "TYPE NAME(" without it (not a typedef, not "(*") is a function left hidden.
LC_ALL=C awk -v unmarked="$T/unmarked" -v shown="$(show "$HEADER")" '
function code_of(line,    out, i, c, c2) {
    out = ""
    for (i = 1; i <= length(line); i++) {
        c = substr(line, i, 1); c2 = substr(line, i, 2)
        if (inblock) { if (c2 == "*/") { inblock = 0; i++; out = out " " } continue }
        if (instr) { if (c == "\\") i++; else if (c == instr) instr = ""; continue }
        if (c2 == "//") break
        if (c2 == "/*") { inblock = 1; i++; continue }
        if (c == "\"" || c == "\047") { instr = c; out = out " "; continue }
        out = out c
    }
    return out
}
function statement(s,    head, name) {
    gsub(/[ \t]+/, " ", s); sub(/^ /, "", s)
    if (!index(s, "(") || s ~ /^typedef /) return
    head = substr(s, 1, index(s, "(") - 1)
    if (substr(s, index(s, "(") + 1) ~ /^ ?\*/) return          # a function pointer
    if (!match(head, /[A-Za-z_][A-Za-z0-9_]* ?$/)) return
    name = substr(head, RSTART, RLENGTH); sub(/ $/, "", name)
    if (s ~ /^WARMSTART_API /) print name
    else printf "%s: declared without WARMSTART_API (%s)\n", name, shown >unmarked
}
{
    if (cont || $0 ~ /^[ \t]*#/) { cont = ($0 ~ /\\$/); next }      # preprocessor, continued lines too
    code = code_of($0)
    n = length(code)
    for (i = 1; i <= n; i++) {
        c = substr(code, i, 1)
        if (c == ";" || c == "{" || c == "}") { statement(buf); buf = "" }
        else buf = buf c
    }
    buf = buf " "
}' "$HEADER" | LC_ALL=C sort -u >"$T/declared"

# Documented: every warmstart_NAME( in the document (not the tail of a longer name).
LC_ALL=C grep -oE '(^|[^A-Za-z0-9_])warmstart_[A-Za-z0-9_]+\(' "$DOC" | sed -E 's/^[^w]//; s/\($//' |
    LC_ALL=C sort -u >"$T/documented"

# Every name in any list, with what it lacks.
SLIB=$(show "$LIB") SHEADER=$(show "$HEADER") SDOC=$(show "$DOC")
[ -z "$NM_OUT" ] || SLIB="$(show "$NM_OUT"), nm's list"
LC_ALL=C sort -u "$T/exported" "$T/declared" "$T/documented" | while read -r name; do
    miss=
    grep -qxF "$name" "$T/exported" || miss="$miss, not exported ($SLIB)"
    grep -qxF "$name" "$T/declared" || miss="$miss, not declared ($SHEADER)"
    grep -qxF "$name" "$T/documented" || miss="$miss, not documented ($SDOC)"
    [ -z "$miss" ] || echo "$name: ${miss#, }"
done >"$T/problems"
cat "$T/unmarked" "$T/objects" 2>/dev/null >>"$T/problems"
cat "$T/problems"
n=$(wc -l <"$T/problems" | tr -d ' ')
if [ "$n" -eq 0 ]; then
    echo "symbols: ok ($(wc -l <"$T/exported" | tr -d ' ') functions)"
    exit 0
fi
echo "symbols: $n problem$([ "$n" -eq 1 ] || echo s)"
exit 1
