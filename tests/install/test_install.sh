#!/bin/sh
# make install / make uninstall end to end, into a scratch DESTDIR with PREFIX=/usr/local, from
# the objects already built in BUILD_DIR: every file where it belongs (the binary, libwarmstart.a,
# the shared library with its soname -- the API's version -- and links, the one header
# warmstart.h and no internal one, warmstart.pc, the man page, the experiment files); the
# programs on the stable API -- every examples/*.c that includes no header but <warmstart.h>
# and the system's (the others use the internals and are built in the tree only), and a small
# program of the test's own (the versions, a failing call's status and message) -- built with
# nothing but `pkg-config --cflags --libs warmstart` against the installed header and library
# (and linked statically with --static) and run against the installed shared library; a second
# install over the first, and over an old include/warmstart/ folder of internal headers, which
# goes; an install to a plain PREFIX whose pkg-config flags need no relocation; then make
# uninstall leaves no file of ours (the empty standard folders stay).
#
# Relocation: PKG_CONFIG_SYSROOT_DIR would also prefix the system packages' absolute paths
# (-I/usr/include/cjson), so the DESTDIR install's flags come from
# `pkg-config --define-variable=prefix=$DESTDIR/usr/local`, the run from LD_LIBRARY_PATH.
# Under make test-asan (SANITIZE set), the examples are compiled with $SANITIZE as well.
# Usage: tests/install/test_install.sh BUILD_DIR
set -u
SUITE=install
. "$(dirname "$0")/../cli/common.sh"
# 1: an installed `warmstart reproduce --list` that does not find the installed experiment files
# (BINDIR/../share/warmstart/experiments) fails the test; 0: reported as "# todo".
REPRODUCE_STRICT=${REPRODUCE_STRICT:-1}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
B=$(cd "$1" && pwd)
cd "$ROOT" || exit 1
case $B in "$ROOT"/*) B=${B#"$ROOT"/} ;; esac # make's targets are named relative to the root
D="$T/destdir"
P="$D/usr/local"
MAKE=${MAKE:-make}
SAN=${SANITIZE:-} # the sanitizer the build used (make test-asan): a program linking it needs its runtime
in_make() { # in_make LOG ARGS...: make ARGS in the repository, the log kept; its tail shown on failure
    log=$1
    shift
    if $MAKE --no-print-directory "$@" BUILD="$B" >"$log" 2>&1; then return 0; fi
    tail -n 20 "$log" | sed 's/^/# /'
    return 1
}
# The versions the Makefile reads: the release from src/core/version.h (0.1.0 before that file
# exists), the soname's number from include/warmstart.h (WARMSTART_API_VERSION).
VERSION=$(sed -nE 's/^[[:space:]]*#[[:space:]]*define[[:space:]]+WARMSTART_VERSION[[:space:]]+"([^"]+)".*/\1/p' \
    src/core/version.h 2>/dev/null | head -n 1)
VERSION=${VERSION:-0.1.0}
API=$(sed -nE 's/^[[:space:]]*#[[:space:]]*define[[:space:]]+WARMSTART_API_VERSION[[:space:]]+([0-9]+).*/\1/p' \
    include/warmstart.h | head -n 1)
SONAME="libwarmstart.so.$API"
SOFILE="$SONAME.$VERSION"

check_files() { # check_files WHEN: every installed file in place
    when=$1
    [ -x "$P/bin/warmstart" ] && ok "$when: bin/warmstart" || bad "$when: bin/warmstart missing or not executable"
    v=$("$P/bin/warmstart" version 2>&1)
    [ "$v" = "warmstart $VERSION" ] && ok "$when: the installed binary runs: $v" ||
        bad "$when: installed 'warmstart version' says '$v', expected 'warmstart $VERSION'"
    if [ -f "$P/lib/libwarmstart.a" ] && ar t "$P/lib/libwarmstart.a" | grep -q '\.o$'; then ok "$when: lib/libwarmstart.a"
    else bad "$when: lib/libwarmstart.a missing or empty"; fi
    so="$P/lib/$SOFILE"
    if [ -f "$so" ] && [ ! -L "$so" ]; then
        soname=$(readelf -d "$so" 2>/dev/null | sed -n 's/.*(SONAME).*\[\(.*\)\].*/\1/p')
        [ "$soname" = "$SONAME" ] && ok "$when: lib/$SOFILE, soname $soname" ||
            bad "$when: lib/$SOFILE has soname '$soname', expected $SONAME"
    else
        bad "$when: lib/$SOFILE missing (or not a file)"
    fi
    l1=$(readlink "$P/lib/$SONAME" 2>/dev/null)
    l2=$(readlink "$P/lib/libwarmstart.so" 2>/dev/null)
    [ "$l1" = "$SOFILE" ] && [ "$l2" = "$SONAME" ] &&
        ok "$when: links libwarmstart.so -> $SONAME -> $SOFILE" ||
        bad "$when: links: $SONAME -> '$l1', libwarmstart.so -> '$l2'"
    cmp -s include/warmstart.h "$P/include/warmstart.h" && ok "$when: include/warmstart.h" ||
        bad "$when: include/warmstart.h not installed, or different"
    others=$(cd "$P/include" && find . ! -type d ! -name warmstart.h | sed 's|^\./||')
    [ -z "$others" ] && [ ! -e "$P/include/warmstart" ] && ok "$when: no other header (the internal ones are not installed)" ||
        bad "$when: headers besides warmstart.h installed: $(echo $others | cut -c1-200)"
    [ -f "$P/lib/pkgconfig/warmstart.pc" ] && ok "$when: lib/pkgconfig/warmstart.pc" ||
        bad "$when: lib/pkgconfig/warmstart.pc missing"
    if [ -f "$P/share/man/man1/warmstart.1" ] && cmp -s docs/warmstart.1 "$P/share/man/man1/warmstart.1"; then
        ok "$when: share/man/man1/warmstart.1"
    else bad "$when: share/man/man1/warmstart.1 missing or different"; fi
    missing=0 ne=0
    for f in $(find experiments -type f ! -name '.*' ! -name '*~'); do
        ne=$((ne + 1))
        cmp -s "$f" "$P/share/warmstart/$f" || { missing=$((missing + 1)); echo "# not installed: $f"; }
    done
    [ $missing -eq 0 ] && [ -f "$P/share/warmstart/experiments/README.md" ] && [ -d "$P/share/warmstart/experiments/cpu" ] &&
        [ -d "$P/share/warmstart/experiments/paper" ] && [ -d "$P/share/warmstart/experiments/demo" ] &&
        ok "$when: the $ne experiment files in share/warmstart/experiments/{cpu,paper,demo}/" ||
        bad "$when: experiment files: $missing missing or different"
}

# 1. Install.
if in_make "$T/install.log" install DESTDIR="$D" PREFIX=/usr/local; then ok "make install DESTDIR=... PREFIX=/usr/local"
else bad "make install DESTDIR=... PREFIX=/usr/local"; finish; exit; fi
check_files "installed"
if command -v groff >/dev/null 2>&1; then
    w=$(groff -man -Tutf8 -ww "$P/share/man/man1/warmstart.1" 2>&1 >/dev/null)
    [ -z "$w" ] && ok "the man page renders without warnings" || { echo "$w" | sed 's/^/# /'; bad "man page warnings"; }
fi

# 2. The installed reproduce finds the installed experiment files (from a folder without experiments/).
mkdir -p "$T/elsewhere"
out=$(cd "$T/elsewhere" && "$P/bin/warmstart" reproduce --list 2>&1)
rc=$?
if [ $rc -eq 0 ]; then ok "installed 'warmstart reproduce --list' finds share/warmstart/experiments"
elif [ "$REPRODUCE_STRICT" = 1 ]; then echo "$out" | tail -n 3 | sed 's/^/# /'; bad "installed 'warmstart reproduce --list': exit $rc"
else echo "# todo - installed 'warmstart reproduce --list' (exit $rc) does not find share/warmstart/experiments yet: $(echo "$out" | tail -n 1)"; fi

# 3. pkg-config against the installed files only.
export PKG_CONFIG_PATH="$P/lib/pkgconfig"
unset PKG_CONFIG_SYSROOT_DIR PKG_CONFIG_LIBDIR 2>/dev/null
PC="pkg-config --define-variable=prefix=$P"
v=$($PC --modversion warmstart 2>&1)
[ "$v" = "$VERSION" ] && ok "pkg-config --modversion warmstart: $v" || bad "pkg-config --modversion warmstart: '$v', expected $VERSION"
req=$($PC --print-requires warmstart 2>&1)
[ -z "$req" ] && $PC --print-requires-private warmstart 2>/dev/null | grep -q '^libcjson' &&
    ok "warmstart.pc requires nothing publicly (warmstart.h includes only <stdint.h>); libcjson privately" ||
    bad "warmstart.pc: requires '$req'; privately '$($PC --print-requires-private warmstart 2>&1 | tr '\n' ' ')'"
FLAGS=$($PC --cflags --libs warmstart 2>&1) || { bad "pkg-config --cflags --libs warmstart: $FLAGS"; finish; exit; }
SFLAGS=$($PC --static --cflags --libs warmstart 2>&1) || { bad "pkg-config --static --cflags --libs warmstart: $SFLAGS"; finish; exit; }
echo "# pkg-config --cflags --libs warmstart: $FLAGS"
case " $FLAGS $SFLAGS " in
*"$ROOT"*) bad "the pkg-config flags point into the source tree" ;;
*) ok "the pkg-config flags name no source or build folder" ;;
esac

# The programs on the stable API, compiled away from the tree (no header of it can be found):
# the examples that include nothing but <warmstart.h> and the system's headers, and api_check.c.
mkdir -p "$T/ex" "$T/run"
cat >"$T/ex/api_check.c" <<'EOF'
// The test's own program: the versions, and failing calls' statuses and messages.
#include <stdio.h>
#include <warmstart.h>

int main(void) {
    warmstart_context *c;
    if (warmstart_context_new(1, &c) != WARMSTART_OK) return 1;
    printf("version %s api %d\n", warmstart_version(), WARMSTART_API_VERSION);
    warmstart_experiment *e = (warmstart_experiment *)c; // set to NULL by the failing call
    int st = warmstart_experiment_new(c, "bogus", &e);
    printf("scenario: status %d, null %d: %s\n", st, e == NULL, warmstart_error(c));
    int ok = st == WARMSTART_ERR_ARG && !e;
    if (warmstart_experiment_new(c, "online", &e) != WARMSTART_OK) return 1;
    st = warmstart_experiment_set(e, "no-such-option", "1");
    printf("option: status %d: %s\n", st, warmstart_error(c));
    ok = ok && st == WARMSTART_ERR_ARG;
    warmstart_experiment_free(e);
    warmstart_context_free(c);
    return ok ? 0 : 1;
}
EOF
nex=0
for src in examples/*.c; do
    [ -e "$src" ] || continue
    name=$(basename "$src" .c)
    inc=$(grep -E '^[[:space:]]*#[[:space:]]*include' "$src")
    internal=$(echo "$inc" | grep -vE '[<"]warmstart\.h[>"]' | grep -E '"|<warmstart/' | sed -E 's/.*[<"](.*)[>"].*/\1/' | tr '\n' ' ')
    if ! echo "$inc" | grep -qE '[<"]warmstart\.h[>"]' || [ -n "$internal" ]; then
        echo "# example $name: built in the tree only (internal headers: ${internal:-none, nor warmstart.h})"
        continue
    fi
    nex=$((nex + 1))
    cp "$src" "$T/ex/$name.c"
done
[ $nex -gt 0 ] && ok "examples on the stable API alone (by their includes): $nex" || bad "no example includes only <warmstart.h>"
for src in "$T"/ex/*.c; do
    name=$(basename "$src" .c)
    # shellcheck disable=SC2086
    if (cd "$T/ex" && cc -o "ex_$name" "$name.c" $FLAGS $SAN) >"$T/cc_$name.log" 2>&1; then
        ok "$name: built with pkg-config --cflags --libs warmstart"
    else
        sed 's/^/# /' "$T/cc_$name.log" | tail -n 15
        bad "$name: does not build against the installed header and library"
        continue
    fi
    exe="$T/ex/ex_$name"
    readelf -d "$exe" | grep -q "NEEDED.*\[$SONAME\]" && ok "$name: needs $SONAME" ||
        bad "$name: not linked against $SONAME"
    resolved=$(LD_LIBRARY_PATH="$P/lib" ldd "$exe" | sed -n 's/.*libwarmstart\.so[^ ]* => \([^ ]*\).*/\1/p')
    [ "$resolved" = "$P/lib/$SONAME" ] && ok "$name: loads the installed libwarmstart.so" ||
        bad "$name: libwarmstart resolves to '$resolved'"
    # shellcheck disable=SC2086
    if (cd "$T/ex" && cc -o "ex_${name}_static" "$name.c" $(echo " $SFLAGS " | sed 's/ -lwarmstart / -l:libwarmstart.a /') $SAN) \
        >"$T/ccs_$name.log" 2>&1 && ! readelf -d "$T/ex/ex_${name}_static" | grep -q 'libwarmstart'; then
        ok "$name: links libwarmstart.a with pkg-config --static"
    else
        sed 's/^/# /' "$T/ccs_$name.log" | tail -n 15
        bad "$name: does not link statically with pkg-config --static --libs warmstart"
    fi
    start=$(date +%s)
    (cd "$T/run" && LD_LIBRARY_PATH="$P/lib" timeout 300 "$exe") >"$T/run_$name.log" 2>&1
    rc=$?
    secs=$(($(date +%s) - start))
    if [ $rc -eq 0 ]; then ok "$name: runs against the installed library (${secs}s): $(tail -n 1 "$T/run_$name.log")"
    else tail -n 10 "$T/run_$name.log" | sed 's/^/# /'; bad "$name: exit $rc after ${secs}s"; fi
done
grep -qx "version $VERSION api $API" "$T/run_api_check.log" &&
    grep -q "^scenario: status 1, null 1: .*'bogus'" "$T/run_api_check.log" &&
    grep -q "^option: status 1: .*no-such-option" "$T/run_api_check.log" &&
    ok "api_check: warmstart_version() $VERSION, WARMSTART_API_VERSION $API; a bad scenario and option: status 1, named" ||
    { sed 's/^/# /' "$T/run_api_check.log"; bad "api_check's output (above)"; }

# An older install's internal headers (include/warmstart/FOLDER/*.h, before the stable API):
# a new install, and an uninstall, remove the folder.
old_headers() { mkdir -p "$P/include/warmstart/core" && cp src/core/ctx.h "$P/include/warmstart/core/"; }

# 4. A second install over the first, and over an older install's headers.
old_headers
if in_make "$T/install2.log" install DESTDIR="$D" PREFIX=/usr/local; then ok "make install a second time"
else bad "make install a second time"; fi
check_files "reinstalled"

# 5. A plain PREFIX (no DESTDIR): the .pc's own flags, no relocation.
Q="$T/prefix"
if in_make "$T/install3.log" install PREFIX="$Q"; then
    e=$(PKG_CONFIG_PATH="$Q/lib/pkgconfig" pkg-config --variable=experimentsdir warmstart)
    [ "$e" = "$Q/share/warmstart/experiments" ] && [ -f "$e/README.md" ] && ok "install PREFIX=...: experimentsdir $e" ||
        bad "install PREFIX=...: experimentsdir '$e'"
    # shellcheck disable=SC2046
    if (cd "$T/ex" && cc -o ex_prefix api_check.c $(PKG_CONFIG_PATH="$Q/lib/pkgconfig" pkg-config --cflags --libs warmstart) $SAN) \
        >"$T/cc_prefix.log" 2>&1 && LD_LIBRARY_PATH="$Q/lib" ldd "$T/ex/ex_prefix" | grep -q "$Q/lib/$SONAME" &&
        LD_LIBRARY_PATH="$Q/lib" "$T/ex/ex_prefix" >"$T/run_prefix.log" 2>&1; then
        ok "install PREFIX=...: api_check.c builds with the unrelocated pkg-config flags, finds the library and runs"
    else
        sed 's/^/# /' "$T/cc_prefix.log" "$T/run_prefix.log" 2>/dev/null | tail -n 10
        bad "install PREFIX=...: api_check.c against it"
    fi
else
    bad "make install PREFIX=$Q"
fi

# 6. Uninstall: no file of ours is left, an older install's headers included.
old_headers
if in_make "$T/uninstall.log" uninstall DESTDIR="$D" PREFIX=/usr/local; then ok "make uninstall DESTDIR=... PREFIX=/usr/local"
else bad "make uninstall"; fi
left=$(find "$D" ! -type d | sed "s|^$D||")
[ -z "$left" ] && ok "uninstall: no file left" || { echo "$left" | sed 's/^/# left: /'; bad "uninstall left files"; }
[ ! -e "$P/include/warmstart" ] && [ ! -e "$P/share/warmstart" ] &&
    ok "uninstall: include/warmstart/ and share/warmstart/ removed" || bad "uninstall: warmstart's own folders left"
echo "# left (empty, shared): $(cd "$D" && find . -type d | sed 's|^\./||' | grep -v '^\.$' | LC_ALL=C sort | tr '\n' ' ')"
in_make "$T/uninstall2.log" uninstall PREFIX="$Q" && [ -z "$(find "$Q" ! -type d)" ] &&
    ok "uninstall PREFIX=...: no file left" || bad "uninstall PREFIX=...: files left"
finish
