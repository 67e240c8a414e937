#!/bin/sh
# check-layers.sh [ROOT]: the library's layering rules, checked over ROOT/src and
# ROOT/include (ROOT: the repository root by default). One line per violation,
#   FILE:LINE: RULE: the source line
# then "layers: ok" (exit 0) or "layers: N violations" (exit 1); exit 2 on a usage error.
#
# The rules:
#   include-up     #include "X/..." in src/Y/ where X is above Y in the stack, lowest first:
#                  core ops nn optim data io train learn exp report api cli (a folder includes its
#                  own and lower ones); include/*.h may include any folder but cli.
#   print          below src/cli (every src/*/ but src/cli, and include/): printf( puts(
#                  putchar( perror( exit( _exit( abort( popen( system(, fprintf/vfprintf to
#                  stdout or stderr, fputs/fputc/putc/fwrite with stdout or stderr. The
#                  library returns a ws_status and leaves the message in ctx->err.
#   dup2           dup2( anywhere in src/, src/cli included (no capturing stdout).
#   static-buffer  below src/cli: a function-level (indented) static array that is not const,
#                  e.g. "    static char buf[64];" (not reentrant, not thread-safe).
#   ctx-err        an error message written into ctx->err / ctx.err (sprintf, snprintf,
#                  vsnprintf, strcpy, strncpy, strcat, memcpy, ...) anywhere but
#                  src/core/ctx.c: messages go through the one error function (ws_fail).
#   sys            anywhere in src/ but src/core/sys.c: malloc( calloc( realloc( strdup(
#                  aligned_alloc( open( fopen( fdopen( write( fsync( fdatasync( rename( mkdir(
#                  creat( called directly: they go through the fault-injection seam
#                  (core/sys.h: ws_sys_malloc, ws_sys_open, ...), so that a test build can make
#                  each fail in turn (docs/RELIABILITY.md).
# Comments (// and /* */) and the contents of string and character literals are ignored,
# except that include-up reads the path of an #include that is not commented out.
set -u
ROOT=${1:-$(cd "$(dirname "$0")/.." && pwd)}
if [ ! -d "$ROOT/src" ]; then
    echo "usage: check-layers.sh [ROOT]  (ROOT/src not found: $ROOT)" >&2
    exit 2
fi
cd "$ROOT" || exit 2
{ find src -type f \( -name '*.c' -o -name '*.h' \); [ -d include ] && find include -type f -name '*.h'; } |
    LC_ALL=C sort | LC_ALL=C awk '
BEGIN {
    nlayers = split("core ops nn optim data io train learn exp report api cli", L, " ")
    for (i = 1; i <= nlayers; i++) rank[L[i]] = i
    W = "[A-Za-z0-9_]"
    NW = "(^|[^A-Za-z0-9_.>])"          # not part of a longer name, not a member (.x, ->x)
    n = 0
}
function report(file, line, rule, text) {
    sub(/^[ \t]+/, "", text)
    sub(/[ \t\r]+$/, "", text)
    printf "%s:%d: %s: %s\n", file, line, rule, text
    n++
}
# The line with comments removed and literals emptied; inblock carries a /* comment over lines.
function code_of(line,    out, i, len, c, c2, instr, inchr) {
    if (!inblock && line !~ /["\047\/]/) return line
    out = ""; len = length(line); instr = inchr = 0
    for (i = 1; i <= len; i++) {
        c = substr(line, i, 1); c2 = substr(line, i, 2)
        if (inblock) { if (c2 == "*/") { inblock = 0; i++; out = out " " } continue }
        if (instr || inchr) {
            if (c == "\\") { i++; continue }
            if (instr && c == "\"") { instr = 0; out = out c }
            else if (inchr && c == "\047") { inchr = 0; out = out c }
            continue
        }
        if (c2 == "//") break
        if (c2 == "/*") { inblock = 1; i++; continue }
        if (c == "\"") instr = 1
        else if (c == "\047") inchr = 1
        out = out c
    }
    return out
}
{
    file = $0
    split(file, part, "/")
    top = part[1]                                   # src or include
    layer = (top == "src" && part[3] != "") ? part[2] : ""
    below_cli = (top == "include") || (layer != "" && layer != "cli")
    inblock = 0; ln = 0
    while ((getline raw < file) > 0) {
        ln++
        code = code_of(raw)
        # include-up: the path of an #include that is code, read from the raw line.
        if (code ~ /^[ \t]*#[ \t]*include[ \t]*["<]/ && match(raw, /include[ \t]*["<][^">]*[">]/)) {
            path = substr(raw, RSTART, RLENGTH)
            sub(/^include[ \t]*["<]/, "", path)
            sub(/[">]$/, "", path)
            if (index(path, "/")) {
                to = substr(path, 1, index(path, "/") - 1)
                if (to in rank) {
                    if (top == "include" && to == "cli") report(file, ln, "include-up", raw)
                    else if ((layer in rank) && rank[to] > rank[layer]) report(file, ln, "include-up", raw)
                }
            }
        }
        if (code ~ (NW "dup2[ \t]*\\(")) report(file, ln, "dup2", raw)
        if (below_cli) {
            if (code ~ (NW "(printf|puts|putchar|perror|exit|_exit|abort|popen|system)[ \t]*\\(") ||
                code ~ (NW "v?fprintf[ \t]*\\([ \t]*(stdout|stderr)[ \t]*,") ||
                code ~ (NW "(fputs|fputc|putc|fwrite)[ \t]*\\(.*[^A-Za-z0-9_](stdout|stderr)([^A-Za-z0-9_]|$)"))
                report(file, ln, "print", raw)
            if (code ~ /^[ \t]+(static|_Thread_local[ \t]+static)[ \t]+[A-Za-z_][A-Za-z0-9_ \t*]*[A-Za-z_][A-Za-z0-9_]*[ \t]*\[/ &&
                code !~ /(^|[^A-Za-z0-9_])const([^A-Za-z0-9_]|$)/)
                report(file, ln, "static-buffer", raw)
        }
        if (file != "src/core/sys.c" && top == "src" &&
            code ~ (NW "(malloc|calloc|realloc|strdup|aligned_alloc|open|fopen|fdopen|write|fsync|fdatasync|rename|mkdir|creat)[ \t]*\\("))
            report(file, ln, "sys", raw)
        if (file != "src/core/ctx.c" &&
            code ~ (NW "(v?s(n)?printf|strn?cpy|strn?cat|strlcpy|memcpy|memmove)[ \t]*\\([^,]*ctx[^,]*(->|\\.)[ \t]*err([^A-Za-z0-9_]|$)"))
            report(file, ln, "ctx-err", raw)
    }
    close(file)
}
END {
    if (n) printf "layers: %d violation%s\n", n, n == 1 ? "" : "s"
    else print "layers: ok"
    exit n ? 1 : 0
}'
