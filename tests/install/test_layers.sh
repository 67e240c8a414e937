#!/bin/sh
# The layering check (scripts/check-layers.sh): its result on the real tree, and proof that it
# catches each rule: one violation of each planted in a copy of src/ and include/ (an upward
# include in src/core and in include/warmstart.h, printing in src/nn, dup2 in src/cli,
# function-level static buffers in src/exp, an error written into ctx->err in src/data, open, malloc,
# write and fsync past the fault-injection seam in src/io) must
# each be reported by file, line and rule, look-alikes that are allowed must not be, and the
# copy with the plants removed passes when the real tree does.
# Usage: tests/install/test_layers.sh [BUILD_DIR]   (BUILD_DIR unused: the check reads sources)
set -u
# 1: the real tree's violations fail this test. 0 (for now): they are listed as "# known:".
LAYERS_STRICT=${LAYERS_STRICT:-1}
cd "$(dirname "$0")/../.." || exit 1
CHECK="$(pwd)/scripts/check-layers.sh"
SUITE=layers
T=$(mktemp -d "/tmp/warmstart-$SUITE-XXXXXX")
trap 'rm -rf "$T"' EXIT
fails=0
ok() { echo "ok - $1"; }
bad() { echo "FAIL - $1"; fails=$((fails + 1)); }
finish() {
    echo
    [ $fails -eq 0 ] && echo "$SUITE tests: all passed" || echo "$SUITE tests: $fails failed"
    [ $fails -eq 0 ]
}
count() { sed -n 's/^layers: \([0-9][0-9]*\) violations*$/\1/p' "$1"; }

# The real tree.
sh "$CHECK" . >"$T/real.out" 2>&1
real_rc=$?
if [ $real_rc -eq 0 ] && grep -qx 'layers: ok' "$T/real.out"; then
    ok "the real tree keeps its layers (layers: ok)"
    real_n=0
elif [ $real_rc -eq 1 ]; then
    real_n=$(count "$T/real.out")
    grep -v '^layers:' "$T/real.out" | sed 's/^/# known: /'
    if [ "$LAYERS_STRICT" = 1 ]; then bad "the real tree has $real_n layering violations (listed above)"
    else ok "the real tree: $real_n known layering violations (listed as '# known:'; LAYERS_STRICT=1 makes them fail)"; fi
else
    cat "$T/real.out"
    bad "check-layers.sh on the real tree: exit $real_rc"
    real_n=
fi

# A copy with one violation of each rule planted.
C="$T/tree"
mkdir -p "$C"
cp -R src "$C/src" && cp -R include "$C/include" || { bad "copy src/ and include/"; finish; exit; }
mkdir -p "$C/src/core" "$C/src/nn" "$C/src/cli" "$C/src/exp" "$C/src/data"
cp "$C/include/warmstart.h" "$T/warmstart.h.orig"
cat >"$C/src/core/zz_plant_include.c" <<'EOF'
#include "core/ctx.h"
#include "nn/model.h"
EOF
cat >"$C/src/nn/zz_plant_print.c" <<'EOF'
#include <stdio.h>
void zz_plant_print(int x) {
    printf("%d\n", x);
    if (x) fprintf(stderr, "x\n");
}
EOF
cat >"$C/src/cli/zz_plant_dup2.c" <<'EOF'
#include <unistd.h>
void zz_plant_dup2(int fd) {
    dup2(fd, 1);
}
EOF
cat >"$C/src/exp/zz_plant_static.c" <<'EOF'
struct foo { int a; };
const char *zz_plant_static(int i) {
    static char buf[64];
    static double x[10] = {0};
    static struct foo arr[4];
    return i ? buf : (const char *)(x + arr[0].a);
}
EOF
cat >"$C/src/data/zz_plant_ctxerr.c" <<'EOF'
#include <stdio.h>
#include "core/ctx.h"
int zz_plant_ctxerr(ws_ctx *ctx, const char *path) {
    snprintf(ctx->err, sizeof ctx->err, "%s: bad", path);
    return 1;
}
EOF
cat >"$C/src/io/zz_plant_sys.c" <<'EOF'
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
int zz_plant_sys(const char *p, char **out) {
    int fd = open(p, O_RDONLY);
    *out = malloc(16);
    return fd + (int)write(fd, "x", 1) + fsync(fd);
}
EOF
printf '#include "cli/cli.h"\n' >>"$C/include/warmstart.h"
wh_line=$(wc -l <"$C/include/warmstart.h" | tr -d ' ')
# Allowed look-alikes: none of these lines may be reported.
cat >"$C/src/nn/zz_plant_allowed.c" <<'EOF'
#include <stdio.h>
#include <spawn.h>
#include "core/ctx.h"
#include "ops/backend.h"
// printf("a comment") and exit(1) in a comment
/* abort(); system("x");
   puts("still a comment"); */
static const char *const names[] = {"printf(", "exit(1)"};
int zz_allowed(FILE *f, posix_spawn_file_actions_t *fa, char *buf, size_t cap, ws_ctx *ctx, int fd) {
    static const double table[4] = {0};
    fprintf(f, "%s %c\n", names[0], ')');
    char *p = ws_sys_malloc(8); // the seam, and members named like the calls: allowed
    int o = fa->open(p) + ws_sys_open("open(", 0, 0) + ctx->open;
    snprintf(buf, cap, "%s", ctx->err);
    posix_spawn_file_actions_adddup2(fa, fd, 1);
    int exit_code = 0, system_ok = 1;
    return exit_code + system_ok + (int)table[0] + o;
}
EOF

sh "$CHECK" "$C" >"$T/planted.out" 2>&1
rc=$?
[ $rc -eq 1 ] && ok "planted violations: exit 1" || bad "planted violations: exit $rc, expected 1"
expect() { # expect FILE:LINE RULE: the check reports it
    if grep -q "^$1: $2: " "$T/planted.out"; then ok "caught: $1 $2"
    else bad "not caught: $1 $2"; fi
}
expect src/core/zz_plant_include.c:2 include-up
expect "include/warmstart.h:$wh_line" include-up
expect src/nn/zz_plant_print.c:3 print
expect src/nn/zz_plant_print.c:4 print
expect src/cli/zz_plant_dup2.c:3 dup2
expect src/exp/zz_plant_static.c:3 static-buffer
expect src/exp/zz_plant_static.c:4 static-buffer
expect src/exp/zz_plant_static.c:5 static-buffer
expect src/data/zz_plant_ctxerr.c:4 ctx-err
expect src/io/zz_plant_sys.c:5 sys
expect src/io/zz_plant_sys.c:6 sys
expect src/io/zz_plant_sys.c:7 sys
if grep -q 'zz_plant_allowed' "$T/planted.out" || grep -q '^src/core/zz_plant_include.c:1:' "$T/planted.out"; then
    grep 'zz_plant_allowed\|zz_plant_include.c:1:' "$T/planted.out" | sed 's/^/# /'
    bad "allowed look-alikes reported (above)"
else
    ok "allowed look-alikes (comments, strings, fprintf(f, ...), const statics, adddup2, exit_code) not reported"
fi
n=$(count "$T/planted.out")
if [ -n "$real_n" ] && [ "$n" = $((real_n + 12)) ]; then ok "summary: layers: $n violations (the real tree's $real_n + 12 planted)"
else bad "summary: '$(tail -n 1 "$T/planted.out")', expected $((${real_n:-0} + 12)) violations"; fi

# The plants removed: the copy is the real tree again.
rm -f "$C"/src/*/zz_plant_*.c
cp "$T/warmstart.h.orig" "$C/include/warmstart.h"
if [ "$real_n" = 0 ]; then
    sh "$CHECK" "$C" >"$T/clean.out" 2>&1
    rc=$?
    [ $rc -eq 0 ] && grep -qx 'layers: ok' "$T/clean.out" && ok "the copy without the plants passes (layers: ok)" ||
        { cat "$T/clean.out"; bad "the copy without the plants: exit $rc"; }
else
    echo "# skip - the copy without the plants passes: the real tree has known violations"
fi

sh "$CHECK" "$T/nonexistent" >/dev/null 2>&1
rc=$?
[ $rc -eq 2 ] && ok "a ROOT without src/: exit 2" || bad "a ROOT without src/: exit $rc, expected 2"
finish
