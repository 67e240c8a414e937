#!/bin/sh
# The stable API's surface: the functions BUILD_DIR/libwarmstart.so exports are exactly those
# include/warmstart.h declares WARMSTART_API and docs/API.md names (scripts/check-symbols.sh),
# each versioned WARMSTART_<WARMSTART_API_VERSION>, the soname libwarmstart.so.<the same>;
# the header compiles alone (C99 and C++, pedantic, no -Isrc, included twice); the CLI and the
# unit tests keep linking the static archive with the internals. Then proof that the check
# catches what it should: planted in copies of the header, the document and nm's list, a
# declaration the library does not export (on one line and on two), a function declared
# without WARMSTART_API, an internal symbol exported, a function missing from the library, an
# exported object, a function only the document names -- each reported by name -- while
# look-alikes are not (names in comments and strings, function pointers, the version node,
# longer names that end in warmstart_x(); and three lists that agree pass.
# Usage: tests/install/test_symbols.sh BUILD_DIR
set -u
SUITE=symbols
. "$(dirname "$0")/../cli/common.sh"
B=$(cd "$1" && pwd)
cd "$(dirname "$0")/../.." || exit 1
CHECK="$(pwd)/scripts/check-symbols.sh"
SO="$B/libwarmstart.so"
API=$(sed -nE 's/^#define WARMSTART_API_VERSION ([0-9]+).*/\1/p' include/warmstart.h)

# 1. The real library, header and document.
sh "$CHECK" "$SO" include/warmstart.h docs/API.md >"$T/real.out" 2>&1
rc=$?
if [ $rc -eq 0 ]; then ok "exported = declared WARMSTART_API = documented: $(tail -n 1 "$T/real.out")"
else sed 's/^/# /' "$T/real.out"; bad "the exported symbols, the header and docs/API.md disagree (exit $rc; above)"; fi
unversioned=$(nm -D --defined-only "$SO" | awk '$2 ~ /^[TWi]$/ && $3 !~ /@@WARMSTART_'"$API"'$/ { print $3 }')
[ -n "$API" ] && [ -z "$unversioned" ] && ok "every exported function is versioned WARMSTART_$API (src/api/warmstart.map)" ||
    bad "API version '$API'; functions not versioned WARMSTART_$API: $unversioned"
soname=$(readelf -d "$SO" | sed -n 's/.*(SONAME).*\[\(.*\)\].*/\1/p')
[ "$soname" = "libwarmstart.so.$API" ] && ok "soname $soname: WARMSTART_API_VERSION $API" ||
    bad "soname '$soname', expected libwarmstart.so.$API (WARMSTART_API_VERSION)"
# The static archive keeps the internals, and nothing built in the tree loads the shared library.
nm "$B/libwarmstart.a" 2>/dev/null | grep -q ' T ws_experiment_new$' && ok "libwarmstart.a keeps the internal ws_ names" ||
    bad "libwarmstart.a lacks ws_experiment_new"
for exe in warmstart test_unit; do
    if [ ! -x "$B/$exe" ]; then echo "# skip - $exe not built"
    elif readelf -d "$B/$exe" | grep -q 'NEEDED.*libwarmstart'; then bad "$exe loads libwarmstart.so (it needs the internals)"
    else ok "$exe links the static archive, not the shared library"; fi
done

# 2. The header alone: nothing of the tree on the include path but a copy of it.
mkdir -p "$T/inc" && cp include/warmstart.h "$T/inc/"
printf '#include <warmstart.h>\n#include <warmstart.h>\nint main(void) { return warmstart_version() ? WARMSTART_OK : 1; }\n' >"$T/alone.c"
if cc -std=c99 -Wall -Wextra -pedantic -Werror -fsyntax-only -I"$T/inc" "$T/alone.c" >"$T/cc.log" 2>&1; then
    ok "include/warmstart.h compiles alone: cc -std=c99 -Wall -Wextra -pedantic -Werror"
else sed 's/^/# /' "$T/cc.log" | head -n 20; bad "include/warmstart.h does not compile alone as C99"; fi
if command -v c++ >/dev/null 2>&1; then
    cp "$T/alone.c" "$T/alone.cc"
    if c++ -std=c++11 -Wall -Wextra -pedantic -Werror -fsyntax-only -I"$T/inc" "$T/alone.cc" >"$T/cxx.log" 2>&1; then
        ok "include/warmstart.h compiles as C++11: c++ -Wall -Wextra -pedantic -Werror"
    else sed 's/^/# /' "$T/cxx.log" | head -n 20; bad "include/warmstart.h does not compile as C++"; fi
else
    echo "# skip - no c++ compiler"
fi

# 3. Planted: copies of the three lists, each with mistakes of every kind and look-alikes.
P="$T/plant"
mkdir -p "$P"
cp include/warmstart.h "$P/warmstart.h"
cp docs/API.md "$P/API.md"
nm -D --defined-only "$SO" >"$P/nm.real"
cat >>"$P/warmstart.h" <<'EOF'
WARMSTART_API int warmstart_zz_planted(int x);
WARMSTART_API const char *
warmstart_zz_two_lines(int a,
                       int b);
int warmstart_zz_unmarked(void);
// WARMSTART_API int warmstart_zz_comment(void); in a comment
/* WARMSTART_API int warmstart_zz_block(void);
   across lines */
typedef struct { int (*warmstart_zz_member)(void *user); } warmstart_zz_hooks;
typedef int (*warmstart_zz_fn)(int);
static const char *const warmstart_zz_text = "WARMSTART_API int warmstart_zz_string(void);";
#define WARMSTART_ZZ(x) warmstart_zz_macro(x)
EOF
{
    grep -v ' warmstart_report@' "$P/nm.real"
    echo "0000000000001000 T ws_zz_internal"
    echo "0000000000002000 D warmstart_zz_data@@WARMSTART_$API"
    echo "0000000000003000 T warmstart_zz_doc@@WARMSTART_$API"
} >"$P/nm"
printf '\n`warmstart_zz_doc(c)` and `warmstart_context` (a type), ws_warmstart_zz(x), `warmstart.Experiment(...)`.\n' >>"$P/API.md"
sh "$CHECK" -n "$P/nm" "$T/lib.so" "$P/warmstart.h" "$P/API.md" >"$T/planted.out" 2>&1
rc=$?
[ $rc -eq 1 ] && ok "planted: exit 1" || bad "planted: exit $rc, expected 1"
expect() { # expect NAME PROBLEM: the check reports it
    what=$(echo "$2" | sed 's/ \.\*/, /')
    if grep -q "^$1: .*$2" "$T/planted.out"; then ok "caught: $1: $what"
    else bad "not caught: $1: $what"; fi
}
expect warmstart_zz_planted "not exported .*not documented"
expect warmstart_zz_two_lines "not exported .*not documented"
expect warmstart_zz_unmarked "declared without WARMSTART_API"
expect ws_zz_internal "not declared .*not documented"
expect warmstart_report "not exported"
expect warmstart_zz_data "exported, not a function (type D)"
expect warmstart_zz_doc "not declared"
if grep -qE '^(warmstart_zz_(comment|block|member|fn|string|macro|hooks)|WARMSTART_|warmstart_context|warmstart_zz|ws_warmstart_zz)\b' \
    "$T/planted.out"; then
    grep -E '^(warmstart_zz_(comment|block|member|fn|string|macro|hooks)|WARMSTART_|warmstart_context|ws_warmstart)' \
        "$T/planted.out" | sed 's/^/# /'
    bad "look-alikes reported (above)"
else
    ok "look-alikes (comments, strings, macros, function pointers, types, the version node, longer names) not reported"
fi
# What the real lists lack is reported as well, and nothing else: the planted count on top.
real_n=$(grep -vc '^symbols:' "$T/real.out")
n=$(sed -n 's/^symbols: \([0-9]*\) problems*$/\1/p' "$T/planted.out")
[ "$n" = $((real_n + 7)) ] && ok "summary: symbols: $n problems (the real lists' $real_n + 7 planted)" ||
    { sed 's/^/# /' "$T/planted.out"; bad "summary: '$(tail -n 1 "$T/planted.out")', expected $((real_n + 7)) problems"; }

# Three lists that agree pass; a usage error is exit 2.
printf 'WARMSTART_API int warmstart_a(void);\nWARMSTART_API const char *\n    warmstart_b(int x);\n' >"$P/ok.h"
printf '0000000000000000 A WARMSTART_1\n0000000000000010 T warmstart_a@@WARMSTART_1\n0000000000000020 W warmstart_b@@WARMSTART_1\n' >"$P/ok.nm"
printf '# API\n`warmstart_a()`, then `warmstart_b(x)`.\n' >"$P/ok.md"
out=$(sh "$CHECK" -n "$P/ok.nm" "$T/lib.so" "$P/ok.h" "$P/ok.md" 2>&1)
[ $? -eq 0 ] && [ "$out" = "symbols: ok (2 functions)" ] && ok "three lists that agree: symbols: ok (2 functions)" ||
    bad "three lists that agree: '$out'"
sh "$CHECK" "$T/nonexistent.so" "$P/ok.h" "$P/ok.md" >/dev/null 2>&1
rc=$?
[ $rc -eq 2 ] && ok "a missing library: exit 2" || bad "a missing library: exit $rc, expected 2"
finish
