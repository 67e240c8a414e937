#!/bin/sh
# make install / make uninstall end to end, into a scratch DESTDIR with PREFIX=/usr/local, from
# the objects already built in BUILD_DIR: every file where it belongs (the binary, libwarmstart.a,
# the shared library with its soname and links, the headers, warmstart.pc, the man page, the
# experiment files); every examples/*.c built with nothing but `pkg-config --cflags --libs
# warmstart` against the installed library (and linked statically with --static) and run; a
# second install over the first; an install to a plain PREFIX whose pkg-config flags need no
# relocation; then make uninstall leaves no file of ours (the empty standard folders stay).
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
HEADER_DIRS="core ops nn optim data io train learn exp report api"
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
# The version the Makefile reads from src/core/version.h (0.1.0 before that file exists).
VERSION=$(sed -nE 's/^[[:space:]]*#[[:space:]]*define[[:space:]]+WARMSTART_VERSION[[:space:]]+"([^"]+)".*/\1/p' \
    src/core/version.h 2>/dev/null | head -n 1)
VERSION=${VERSION:-0.1.0}
MAJOR=$(sed -nE 's/^[[:space:]]*#[[:space:]]*define[[:space:]]+WARMSTART_VERSION_MAJOR[[:space:]]+([0-9]+).*/\1/p' \
    src/core/version.h 2>/dev/null | head -n 1)
MAJOR=${MAJOR:-${VERSION%%.*}}

check_files() { # check_files WHEN: every installed file in place
    when=$1
    [ -x "$P/bin/warmstart" ] && ok "$when: bin/warmstart" || bad "$when: bin/warmstart missing or not executable"
    v=$("$P/bin/warmstart" version 2>&1)
    [ "$v" = "warmstart $VERSION" ] && ok "$when: the installed binary runs: $v" ||
        bad "$when: installed 'warmstart version' says '$v', expected 'warmstart $VERSION'"
    if [ -f "$P/lib/libwarmstart.a" ] && ar t "$P/lib/libwarmstart.a" | grep -q '\.o$'; then ok "$when: lib/libwarmstart.a"
    else bad "$when: lib/libwarmstart.a missing or empty"; fi
    so="$P/lib/libwarmstart.so.$VERSION"
    if [ -f "$so" ] && [ ! -L "$so" ]; then
        soname=$(readelf -d "$so" 2>/dev/null | sed -n 's/.*(SONAME).*\[\(.*\)\].*/\1/p')
        [ "$soname" = "libwarmstart.so.$MAJOR" ] && ok "$when: lib/libwarmstart.so.$VERSION, soname $soname" ||
            bad "$when: lib/libwarmstart.so.$VERSION has soname '$soname', expected libwarmstart.so.$MAJOR"
    else
        bad "$when: lib/libwarmstart.so.$VERSION missing (or not a file)"
    fi
    l1=$(readlink "$P/lib/libwarmstart.so.$MAJOR" 2>/dev/null)
    l2=$(readlink "$P/lib/libwarmstart.so" 2>/dev/null)
    [ "$l1" = "libwarmstart.so.$VERSION" ] && [ "$l2" = "libwarmstart.so.$MAJOR" ] &&
        ok "$when: links libwarmstart.so -> libwarmstart.so.$MAJOR -> libwarmstart.so.$VERSION" ||
        bad "$when: links: libwarmstart.so.$MAJOR -> '$l1', libwarmstart.so -> '$l2'"
    missing=0 nh=0
    cmp -s include/warmstart.h "$P/include/warmstart.h" || { missing=1; echo "# not installed: include/warmstart.h"; }
    for d in $HEADER_DIRS; do
        for h in src/"$d"/*.h; do
            [ -e "$h" ] || continue
            nh=$((nh + 1))
            cmp -s "$h" "$P/include/warmstart/$d/${h##*/}" ||
                { missing=$((missing + 1)); echo "# not installed: $h -> include/warmstart/$d/${h##*/}"; }
        done
    done
    [ $missing -eq 0 ] && ok "$when: include/warmstart.h and the $nh headers in include/warmstart/{core,...,report}/" ||
        bad "$when: $missing headers missing or different"
    [ ! -e "$P/include/warmstart/cli" ] && ok "$when: the CLI's headers are not installed" ||
        bad "$when: include/warmstart/cli/ installed"
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
$PC --print-requires warmstart 2>/dev/null | grep -q '^libcjson' && ok "warmstart.pc requires libcjson (the headers include cJSON's)" ||
    bad "warmstart.pc does not require libcjson"
FLAGS=$($PC --cflags --libs warmstart 2>&1) || { bad "pkg-config --cflags --libs warmstart: $FLAGS"; finish; exit; }
SFLAGS=$($PC --static --cflags --libs warmstart 2>&1) || { bad "pkg-config --static --cflags --libs warmstart: $SFLAGS"; finish; exit; }
echo "# pkg-config --cflags --libs warmstart: $FLAGS"
case " $FLAGS $SFLAGS " in
*"$ROOT"*) bad "the pkg-config flags point into the source tree" ;;
*) ok "the pkg-config flags name no source or build folder" ;;
esac

mkdir -p "$T/ex" "$T/run"
nex=0
for src in examples/*.c; do
    [ -e "$src" ] || continue
    name=$(basename "$src" .c)
    nex=$((nex + 1))
    cp "$src" "$T/ex/$name.c" # compiled away from the tree: no header of the tree can be found
    # shellcheck disable=SC2086
    if (cd "$T/ex" && cc -o "ex_$name" "$name.c" $FLAGS $SAN) >"$T/cc_$name.log" 2>&1; then
        ok "example $name: built with pkg-config --cflags --libs warmstart"
    else
        sed 's/^/# /' "$T/cc_$name.log" | tail -n 15
        bad "example $name: does not build against the installed library"
        continue
    fi
    exe="$T/ex/ex_$name"
    readelf -d "$exe" | grep -q "NEEDED.*\[libwarmstart\.so\.$MAJOR\]" && ok "example $name: needs libwarmstart.so.$MAJOR" ||
        bad "example $name: not linked against libwarmstart.so.$MAJOR"
    resolved=$(LD_LIBRARY_PATH="$P/lib" ldd "$exe" | sed -n 's/.*libwarmstart\.so[^ ]* => \([^ ]*\).*/\1/p')
    [ "$resolved" = "$P/lib/libwarmstart.so.$MAJOR" ] && ok "example $name: loads the installed libwarmstart.so" ||
        bad "example $name: libwarmstart resolves to '$resolved'"
    # shellcheck disable=SC2086
    if (cd "$T/ex" && cc -o "ex_${name}_static" "$name.c" $(echo " $SFLAGS " | sed 's/ -lwarmstart / -l:libwarmstart.a /') $SAN) \
        >"$T/ccs_$name.log" 2>&1 && ! readelf -d "$T/ex/ex_${name}_static" | grep -q 'libwarmstart'; then
        ok "example $name: links libwarmstart.a with pkg-config --static"
    else
        sed 's/^/# /' "$T/ccs_$name.log" | tail -n 15
        bad "example $name: does not link statically with pkg-config --static --libs warmstart"
    fi
    if [ "$name" = minimal ]; then set -- "$T/run/minimal.safetensors"; else set --; fi
    start=$(date +%s)
    (cd "$T/run" && LD_LIBRARY_PATH="$P/lib" timeout 300 "$exe" "$@") >"$T/run_$name.log" 2>&1
    rc=$?
    secs=$(($(date +%s) - start))
    if [ $rc -eq 0 ]; then ok "example $name: runs against the installed library (${secs}s): $(tail -n 1 "$T/run_$name.log")"
    else tail -n 10 "$T/run_$name.log" | sed 's/^/# /'; bad "example $name: exit $rc after ${secs}s"; fi
    if [ "$name" = minimal ]; then
        [ -s "$T/run/minimal.safetensors" ] && ok "example minimal: wrote its checkpoint" || bad "example minimal: no checkpoint"
    fi
done
[ $nex -gt 0 ] && ok "$nex examples built and run" || bad "no examples/*.c"

# 4. A second install over the first.
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
    if (cd "$T/ex" && cc -o ex_prefix minimal.c $(PKG_CONFIG_PATH="$Q/lib/pkgconfig" pkg-config --cflags --libs warmstart) $SAN) \
        >"$T/cc_prefix.log" 2>&1 && LD_LIBRARY_PATH="$Q/lib" ldd "$T/ex/ex_prefix" | grep -q "$Q/lib/libwarmstart.so.$MAJOR"; then
        ok "install PREFIX=...: minimal.c builds with the unrelocated pkg-config flags and finds the library"
    else
        sed 's/^/# /' "$T/cc_prefix.log" | tail -n 10
        bad "install PREFIX=...: minimal.c against it"
    fi
else
    bad "make install PREFIX=$Q"
fi

# 6. Uninstall: no file of ours is left.
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
