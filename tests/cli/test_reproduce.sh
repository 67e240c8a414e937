#!/bin/sh
# warmstart reproduce on a small set of experiment files: artefacts run into
# their folders with one report over them; a missing dataset is skipped at
# paper scale and stood in for by Fashion-MNIST at CPU scale (labelled), and
# identical stand-ins run once; --only, --list, --resume and bad options; the
# shipped experiment files all parse and plan.
# Usage: tests/cli/test_reproduce.sh BUILD_DIR
set -u
SUITE=reproduce
. "$(dirname "$0")/common.sh"

mkdir -p "$T/exp/cpu" "$T/exp/paper"
for scale in cpu paper; do
    cat >"$T/exp/$scale/alpha.ini" <<'EOF'
# Alpha: a small online run on the built-in data.
scenario = online
[options]
subset = 600
k0 = 300
k = 300
hidden = 16
threads = 1
[claim gap]
says = warm start generalises worse over the rounds
paper = Figure 2
compare = random - warm
measure = test-acc
rounds = after-first
EOF
    cat >"$T/exp/$scale/delta.ini" <<EOF
# Delta: transfer between two datasets that are not there.
scenario = transfer
[options]
pretrain = cifar10:$T/nowhere
data = svhn:$T/nowhere
subset = 400
fractions = 100
hidden = 16
threads = 1
EOF
    for name in beta gamma; do
        cat >"$T/exp/$scale/$name.ini" <<EOF
# ${name}: a batch run on a dataset that is not there.
scenario = batch
[options]
data = cifar10:$T/nowhere
subset = 500
hidden = 16
threads = 1
epochs = 5
seeds = 2
[claim ${name}-gap]
says = warm start generalises worse
paper = Table 1
compare = random - warm
measure = test-acc
effect = 3
effect-setting = same
EOF
    done
done

"$WS" reproduce --experiments "$T/exp" --list >"$T/list" 2>&1
grep -q "alpha .*present" "$T/list" && grep -q "beta .*missing: Fashion-MNIST stands in" "$T/list" \
    && ok "--list: each artefact, its data and whether it is there" || bad "--list: $(cat "$T/list")"

if "$WS" reproduce --experiments "$T/exp" --out "$T/cpu" >"$T/out" 2>"$T/err"; then
    ok "reproduce at CPU scale runs"
else
    bad "reproduce failed: $(tail -3 "$T/err")"
fi
status() { "$PY" -c 'import json,sys
j = json.load(open(sys.argv[1]))
print(" ".join("%s:%s%s" % (a["name"], a["status"], ":standin" if a["stand_in"] else "") for a in j["artefacts"]))' "$1"; }
s=$(status "$T/cpu/reproduce.json")
[ "$s" = "alpha:ok beta:ok:standin delta:ok:standin gamma:same run:standin" ] && [ -s "$T/cpu/delta/transfer.jsonl" ] \
    && ok "statuses: $s" || bad "statuses: $s"
[ -s "$T/cpu/alpha/online.jsonl" ] && [ -s "$T/cpu/beta/batch.jsonl" ] && [ ! -e "$T/cpu/gamma/batch.jsonl" ] \
    && ok "each artefact in its folder; the identical stand-in run once" || bad "folders: $(ls -R "$T/cpu" | head)"
grep -q "Fashion-MNIST instead" "$T/cpu/beta/STAND-IN.txt" && grep -q "beta: .*cifar10" "$T/err" \
    && ok "the stand-in is labelled (STAND-IN.txt) and said" || bad "stand-in label: $(cat "$T/err")"
grep -q '"machine":' "$T/cpu/reproduce.json" && grep -q '"command":	"warmstart run .*beta.ini --out' "$T/cpu/reproduce.json" \
    && ok "reproduce.json records the machine and each exact command" || bad "reproduce.json: $(head -c 400 "$T/cpu/reproduce.json")"
[ -s "$T/cpu/report/index.html" ] && grep -q "alpha" "$T/cpu/report/report.md" \
    && grep -q "Stand-in data: beta:" "$T/cpu/report/report.md" \
    && grep -q 'Raw results: <a href="../alpha/online.jsonl">' "$T/cpu/report/index.html" \
    && ok "one report over the artefacts (report/index.html, report.md), the stand-in labelled, the raw results linked" \
    || bad "report: $(ls "$T/cpu" "$T/cpu/report")"

# The claims each file declares, tested on its runs: in the report and, as data, in claims.json; a
# same-run stand-in's claims shown with its own paper number (another setting on a stand-in), not
# counted twice.
"$PY" -c 'import json,sys
j = json.load(open(sys.argv[1]))
c = {x["artefact"] + "/" + x["id"]: x for x in j["items"]}
assert set(c) == {"alpha/gap", "beta/beta-gap", "gamma/gamma-gap"}, sorted(c)
for x in c.values():
    for k in ("text", "kind", "learners", "measure", "n", "mean_difference", "half_width_95", "effect_sizing",
              "effect_origin", "verdict", "adjusted_verdict", "seeds_for_80_power"):
        assert k in x, (k, x)
assert c["alpha/gap"]["n"] == 1 and c["alpha/gap"]["where"] == "rounds 2 on", c["alpha/gap"]
assert c["beta/beta-gap"]["paper_effect_setting"] == "other", c["beta/beta-gap"]
assert not c["gamma/gamma-gap"]["in_family"] and "the same runs as beta" in c["gamma/gamma-gap"]["out_of_family"]
' "$T/cpu/report/claims.json" && grep -q "(beta-gap)" "$T/cpu/report/report.md" \
    && ok "each file's claims tested on its runs: the report and claims.json (a same-run stand-in counted once)" \
    || bad "claims: $(head -c 600 "$T/cpu/report/claims.json")"

# A file whose claim names a learner its experiment does not run: refused before anything runs.
mkdir -p "$T/badexp/cpu"
cp "$T/exp/cpu/alpha.ini" "$T/badexp/cpu/alpha.ini"
sed -i 's/^compare = random - warm$/compare = random - wram/' "$T/badexp/cpu/alpha.ini"
"$WS" reproduce --experiments "$T/badexp" --out "$T/bad" >"$T/out" 2>"$T/err"
[ $? -ne 0 ] && [ "$(wc -l <"$T/err")" -eq 1 ] && grep -q "alpha.ini:9: \\[claim gap\\]: no learner 'wram'" "$T/err" \
    && [ ! -e "$T/bad/alpha" ] && ok "a claim naming a learner the file does not run: refused first ($(cat "$T/err"))" \
    || bad "bad claim: $(cat "$T/err")"

secs() { "$PY" -c 'import json,sys
print([a["seconds"] for a in json.load(open(sys.argv[1]))["artefacts"] if a["name"] == "alpha"][0])' "$1"; }
before=$(secs "$T/cpu/reproduce.json")
"$WS" reproduce --experiments "$T/exp" --out "$T/cpu" --resume >/dev/null 2>"$T/err"
grep -q "resumed .*alpha: 2 units already finished" "$T/err" && ok "--resume skips what is finished" \
    || bad "--resume: $(cat "$T/err")"
after=$(secs "$T/cpu/reproduce.json")
awk -v a="$after" -v b="$before" 'BEGIN { exit !(a >= b && b > 0) }' \
    && ok "--resume adds to each artefact's wall time ($before s -> $after s)" || bad "seconds: $before -> $after"
grep -q '"software":	"warmstart [0-9.]* (revision [^,]*, [a-z]* [0-9]' "$T/cpu/reproduce.json" \
    && grep -q "OpenBLAS .*oneDNN [0-9]" "$T/cpu/reproduce.json" && grep -q "^Software: warmstart" "$T/cpu/report/report.md" \
    && ok "reproduce.json and the report name the software: revision, compiler, OpenBLAS, oneDNN" \
    || bad "software: $(grep software "$T/cpu/reproduce.json")"

rm -rf "$T/cpu/report"
"$WS" report "$T/cpu" >"$T/out" 2>&1 && [ -s "$T/cpu/report/index.html" ] && [ ! -e "$T/cpu/report.html" ] \
    && grep -q "^| alpha |" "$T/cpu/report/report.md" \
    && ok "warmstart report over a reproduce folder rewrites its report/ ($(cat "$T/out"))" || bad "report: $(cat "$T/out")"

# Resumed where the data has changed: beta stood in before, now its CIFAR-10 is there (tiny files).
cp -r "$T/cpu" "$T/cpu2"
mkdir -p "$T/nowhere"
"$PY" -c 'import os, sys
for name in ["data_batch_%d.bin" % i for i in range(1, 6)] + ["test_batch.bin"]:
    with open(os.path.join(sys.argv[1], name), "wb") as f:
        for k in range(10): f.write(bytes([k]) + bytes([(7 * k + j) % 256 for j in range(3072)]))' "$T/nowhere"
"$WS" reproduce --experiments "$T/exp" --out "$T/cpu2" --resume --only beta >/dev/null 2>"$T/err"
rc=$?
rm -rf "$T/nowhere"
[ $rc -ne 0 ] && grep -q "beta: the run in .* stood in with Fashion-MNIST, but cifar10.* is there now" "$T/err" \
    && ok "--resume when the data has appeared since: refused, saying why" || bad "data changed: rc $rc $(cat "$T/err")"
"$WS" reproduce --experiments "$T/exp" --out "$T/cpu2" --resume --only beta >/dev/null 2>"$T/err" \
    && [ -s "$T/cpu2/beta/STAND-IN.txt" ] && ok "... and resumed as before once the data is as it was" \
    || bad "resume after the refusal: $(cat "$T/err")"
s=$(status "$T/cpu2/reproduce.json")
[ "$s" = "alpha:ok beta:ok:standin delta:ok:standin gamma:same run:standin" ] \
    && grep -q "^| alpha | fashion-mnist |" "$T/cpu2/report/report.md" \
    && "$PY" -c 'import json,sys
a = {x["name"]: x for x in json.load(open(sys.argv[1]))["artefacts"]}
sys.exit(not (a["alpha"].get("revision") and "revision" not in a["beta"]))' "$T/cpu2/reproduce.json" \
    && ok "--only over a finished folder keeps the other artefacts in reproduce.json and the report's claims ($s)" \
    || bad "--only dropped the others: $s"

"$WS" reproduce --experiments "$T/exp" --scale paper --out "$T/paper" >/dev/null 2>"$T/err"
s=$(status "$T/paper/reproduce.json")
[ "$s" = "alpha:ok beta:skipped delta:skipped gamma:skipped" ] && grep -q "beta: skipped: .*cifar10" "$T/err" \
    && grep -q "^| beta | cifar10: missing, skipped | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |$" "$T/paper/report/report.md" \
    && grep -q "^| alpha | fashion-mnist | 1 | " "$T/paper/report/report.md" \
    && ok "paper scale: missing data skipped with the reason ($s)" || bad "paper scale: $s $(cat "$T/err")"

"$WS" reproduce --experiments "$T/exp" --only gamma --out "$T/only" >/dev/null 2>&1
s=$(status "$T/only/reproduce.json")
[ "$s" = "gamma:ok:standin" ] && [ -s "$T/only/gamma/batch.jsonl" ] && [ ! -e "$T/only/alpha" ] \
    && ok "--only runs the named artefacts ($s)" || bad "--only: $s $(ls "$T/only")"

for args in "--scale huge" "--only nope" "--shard 3/2" "--bogus"; do
    # shellcheck disable=SC2086
    "$WS" reproduce --experiments "$T/exp" $args >"$T/out" 2>"$T/err"
    [ $? -ne 0 ] && [ "$(wc -l <"$T/err")" -eq 1 ] && ok "reproduce $args: $(cat "$T/err")" || bad "reproduce $args: $(cat "$T/err")"
done

# A real browser draws the report (where Debian's chromium is installed).
if command -v chromium >/dev/null 2>&1; then
    if scripts/check-report-render.sh "$T/cpu/report/index.html" "$T/cpu/report/screenshot.png" >"$T/out" 2>&1; then
        ok "$(cat "$T/out")"
    else
        bad "render: $(cat "$T/out")"
    fi
    # The check fails on a page wider than a 1,300-pixel window (here: the report with a 2,000-pixel block).
    sed 's|</body>|<div style="width:2000px">wide</div></body>|' "$T/cpu/report/index.html" >"$T/cpu/report/wide.html"
    if scripts/check-report-render.sh "$T/cpu/report/wide.html" "$T/cpu/report/wide.png" >"$T/out" 2>&1; then
        bad "a page 2,000 pixels wide passed the render check: $(cat "$T/out")"
    else
        grep -q "wider than a 1,300-pixel window" "$T/out" && ok "the render check refuses a page wider than the window" \
            || bad "wide page: $(cat "$T/out")"
    fi
else
    echo "# skipped the browser check: no chromium (apt-get install chromium; scripts/check-report-render.sh)"
fi

# The shipped experiment files: every one parses and plans, at every scale.
n=0
for f in experiments/cpu/*.ini experiments/paper/*.ini experiments/demo/*.ini experiments/*/kumar2024/*.ini; do
    "$WS" plan "$f" >/dev/null 2>"$T/err" && n=$((n + 1)) || bad "$f: $(cat "$T/err")"
done
[ "$n" -ge 28 ] && ok "all $n shipped experiment files parse and plan" || bad "only $n experiment files plan"

# A second paper's folder run whole: a small task sequence whose claim chooses each method's best
# setting on the first seeds and tests it on the others.
mkdir -p "$T/exp/cpu/tiny2030"
cat >"$T/exp/cpu/tiny2030/seq.ini" <<'EOF'
# Seq: permuted inputs, two settings of two methods.
scenario = continual
[options]
tasks = 3
task-steps = 30
task-examples = 320
task-eval = 100
hidden = 16
seeds = 4
threads = 1
learners = warm:lr=0.001,warm:lr=0.0001,l2-init:lambda=0.01,l2-init:lambda=0.001
[claim keeps]
says = L2 Init above the baseline over the tasks
paper = Figure 1
compare = best(l2-init:) - best(warm:lr)
measure = online-acc
rounds = all
pick-seeds = 2
EOF
if "$WS" reproduce --paper tiny2030 --experiments "$T/exp" --out "$T/tiny" >"$T/out" 2>"$T/err" \
    && grep -q '"pick":[[:space:]]*"best(l2-init:): l2-init:lambda=0.0' "$T/tiny/report/claims.json" \
    && grep -q "tested on the other 2 seeds" "$T/tiny/report/claims.json" && [ -s "$T/tiny/seq/figures/online_accuracy.png" ]; then
    ok "reproduce --paper: a task sequence run, drawn and its best-setting claim chosen on 2 seeds, tested on 2"
else
    bad "reproduce --paper tiny2030: $(tail -3 "$T/err") $(head -c 400 "$T/tiny/report/claims.json" 2>/dev/null)"
fi

# A second paper: its own folder of each scale, its artefacts listed; an unknown paper refused.
"$WS" reproduce --paper kumar2024 --list >"$T/out" 2>"$T/err" && grep -q "^permuted-mnist " "$T/out" &&
    grep -q "^five-plus-one-cifar " "$T/out" && ! grep -q "^table1" "$T/out" \
    && ok "reproduce --paper kumar2024 lists its four task sequences, not the first paper's files" \
    || bad "reproduce --paper kumar2024 --list: $(cat "$T/out" "$T/err")"
"$WS" reproduce --paper nobody2031 --list >"$T/out" 2>"$T/err"
[ $? -ne 0 ] && grep -q "paper nobody2031: no experiment files at scale cpu" "$T/err" \
    && ok "an unknown paper is refused: $(cat "$T/err")" || bad "unknown paper: $(cat "$T/err")"

finish
