#!/bin/sh
# What each learner costs: per task of a Permuted Fashion-MNIST sequence (the paper's MLP
# 784-100-100-10, batch 16, 500 updates a task, one Adam optimizer, the probe off, one thread),
# its training seconds against warm's, and its peak memory against warm's (its own state: fresh
# models, theta_0, traces, histograms, a tortoise). Each learner runs alone, the same sequence,
# `--rounds` times; the seconds are the best round's. Not a test: bench/RESULTS.md records a run.
#   bench/remedies.sh [--rounds N] [--tasks N] [BUILD]      (defaults: 3, 5, build)
set -eu
ROUNDS=3 TASKS=5
while [ $# -gt 0 ]; do
    case "$1" in
    --rounds) ROUNDS=$2; shift 2 ;;
    --tasks) TASKS=$2; shift 2 ;;
    *) break ;;
    esac
done
B=${1:-build}
WS="$B/warmstart"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
LEARNERS="warm random shrink-perturb:lambda=0.999:sigma=0.01:every=step partial head-reset noise ewc
l2-init l2 dash cbp redo:every=100 snr reset inject:at=2:keep-optim=1 hare-tortoise:momentum=0.99:round=1
parseval upgd:lr=0.01:beta=0.9999:sigma=0.1:wd=0.01 clip nap l1-init"
printf '%-50s %10s %8s %9s %10s\n' learner "s/task" "x warm" "peak MB" "+MB warm"
warm_s=
warm_rss=
for L in $LEARNERS; do
    best=
    for r in $(seq "$ROUNDS"); do
        rm -rf "$T/out"
        /usr/bin/time -f %M -o "$T/rss" "$WS" continual --data fashion-mnist --hidden 100,100 --opt adam --keep-optim \
            --tasks-kind permuted-input --tasks "$TASKS" --task-steps 500 --task-examples 10000 --task-eval 200 \
            --batch 16 --seeds 1 --threads 1 --probe 0 --learners "$L" --out "$T/out" --quiet >/dev/null 2>&1
        s=$(python3 -c "import csv,sys; r=list(csv.DictReader(open('$T/out/continual.csv'))); print(sum(float(x['seconds']) for x in r)/len(r))")
        if [ -z "$best" ] || python3 -c "import sys; sys.exit(0 if $s < $best else 1)"; then best=$s; fi
    done
    rss=$(cat "$T/rss")
    [ -z "$warm_s" ] && warm_s=$best && warm_rss=$rss
    python3 -c "print('%-50s %10.3f %8.2f %9.0f %+10.1f' % ('$L', $best, $best / $warm_s, $rss / 1024, ($rss - $warm_rss) / 1024))"
done
