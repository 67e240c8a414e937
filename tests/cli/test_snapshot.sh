#!/bin/sh
# Figure 4's warm starts from snapshots of one phase 1 (docs/RUNNING.md, "Shared work"): a sweep
# over a fixed-epoch phase 1's count (--phase1-epochs) trains each seed's phase 1 once, to the
# largest count, recording every other point's phase 1 on the way; every point's results equal
# the same point run alone (`warmstart batch`, nothing shared) bit for bit, wall times aside --
# with an evaluation every 2 epochs (a snapshot's last epoch is evaluated as a run's last is),
# the points in any order, momentum kept into phase 2 (the snapshot holds the optimizer), killed
# mid-chain and resumed, sharded (a shard without the chain computes its points' phase 1 itself)
# and merged; ResNet-18 (BatchNorm); a phase 1 that diverges. Negative controls: nothing is a
# snapshot across another phase-1 setting, nor where phase 1 trains to the threshold.
# Usage: test_snapshot.sh BUILD_DIR
SUITE=snapshot
. "$(dirname "$0")/common.sh"

BASE="--data fashion-mnist --protocol paper --opt sgd --subset 300 --epochs 2 --seeds 2 --threads 1 --eval-every 2"
ini() { # ini FILE [options...] -- grid lines
    f=$1
    shift
    {
        printf 'scenario = batch\n[options]\ndata = fashion-mnist\nprotocol = paper\nopt = sgd\nsubset = 300\n'
        printf 'epochs = 2\nseeds = 2\nthreads = 1\neval-every = 2\n'
        while [ "$1" != "--" ]; do printf '%s\n' "$1"; shift; done
        shift
        printf '[grid]\n'
        for g in "$@"; do printf '%s\n' "$g"; done
    } > "$f"
}
# The points in a descending-then-ascending order: the first point's phase 1 (3 epochs) is the
# longest; 1 is not a multiple of eval-every, so its snapshot is evaluated for itself.
ini "$T/e.ini" -- "phase1-epochs = 3,1,2"
ini "$T/m.ini" "momentum = 0.9" "keep-optim = on" -- "phase1-epochs = 1,3"

# Every point's batch.jsonl against the same point run alone. same_as_alone DIR EXTRA VALUES...
# (EXTRA: more options of the alone runs, "-" none; one phase1-epochs value per point).
same_as_alone() {
    d=$1 e=$2
    [ "$e" = - ] && e=
    shift 2
    points_match_alone "$d" "$e" phase1-epochs "$@"
}
# No unit recorded twice in any records file.
no_repeats() {
    for f in "$1"/points/*/units/records*.jsonl; do
        [ -z "$(grep -o '"unit":"[^"]*"' "$f" | sort | uniq -d)" ] || { echo "$f repeats a record"; return 1; }
    done
}
ckpts() { ls "$1/units/checkpoints" 2>/dev/null | tr '\n' ' '; }

# The plan: each seed's phase 1 once (point 1's), its snapshots for points 2 and 3; the epochs counted.
$WS plan "$T/e.ini" > "$T/plan" 2> "$T/plan.err"
[ "$(wc -l < "$T/plan")" -eq 10 ] && grep -q "4 of them are snapshots" "$T/plan.err" &&
    grep -q "6 epochs trained for them where the points alone would train 12" "$T/plan.err" &&
    grep -q "p000/s1/phase1" "$T/plan" && ! grep -q "p00[12]/s./phase1" "$T/plan" &&
    ok "plan: phase1-epochs 3,1,2: phase 1 trained once a seed (6 epochs for 12), points 2 and 3 its snapshots" ||
    bad "plan: $(cat "$T/plan" "$T/plan.err")"

# Fresh: every point equals it alone; the snapshots' records and checkpoints are point 1's.
$WS run "$T/e.ini" --out "$T/s" > /dev/null 2> "$T/s.err"
same_as_alone "$T/s" - 3 1 2 && [ "$(recorded "$T/s")" -eq 14 ] && no_repeats "$T/s" &&
    [ "$(ckpts "$T/s/points/001")" = "" ] && [ "$(ckpts "$T/s/points/002")" = "" ] &&
    [ "$(ckpts "$T/s/points/000")" = "s1_phase1.safetensors s1_phase1_1.safetensors s1_phase1_2.safetensors s2_phase1.safetensors s2_phase1_1.safetensors s2_phase1_2.safetensors " ] &&
    grep -q "point 3 (phase1-epochs=2): 4 units taken from earlier points" "$T/s.err" &&
    ok "fresh: every point equals it run alone (eval every 2 epochs); 10 units and 4 snapshots recorded, all at point 1" ||
    bad "fresh: $(recorded "$T/s") recorded; checkpoints: $(ckpts "$T/s/points/000") | $(ckpts "$T/s/points/001")"

# What a warm start takes from phase 1 beyond the weights: the optimizer's momentum (--keep-optim).
$WS run "$T/m.ini" --out "$T/m" > /dev/null 2>&1
same_as_alone "$T/m" "--momentum 0.9 --keep-optim" 1 3 && [ "$(recorded "$T/m")" -eq 10 ] &&
    ok "momentum kept into phase 2: each point equals it run alone (the snapshot holds the optimizer state)" ||
    bad "momentum kept: $(recorded "$T/m") recorded"

# Killed mid-chain: the records a process killed in seed 1's epoch 2 leaves (phase 1 after 1
# epoch recorded, nothing after it), resumed: the chain runs again for the missing ones.
mkdir -p "$T/k/points/000/units/checkpoints"
cp "$T/s/run.json" "$T/k/"
cp "$T/s/points/000/config.json" "$T/s/points/000/run.json" "$T/k/points/000/"
sed '/"unit":"s1\/phase1@1"/q' "$T/s/points/000/units/records.jsonl" > "$T/k/points/000/units/records.jsonl"
cp "$T/s/points/000/units/checkpoints/s1_phase1_1.safetensors" "$T/k/points/000/units/checkpoints/"
$WS run "$T/e.ini" --out "$T/k" --resume > /dev/null 2> "$T/k.err"
same_as_alone "$T/k" - 3 1 2 && [ "$(recorded "$T/k")" -eq 14 ] && no_repeats "$T/k" &&
    grep -q "1 unit already finished" "$T/k.err" &&
    ok "killed after a snapshot, resumed: the chain again for the rest, no record twice, the same results" ||
    bad "killed mid-chain: $(recorded "$T/k") recorded; $(grep resumed "$T/k.err")"
# Killed with SIGKILL at random moments, resumed each time.
kills=0 tries=0
while [ $kills -lt 4 ] && [ $tries -lt 30 ]; do
    tries=$((tries + 1))
    $WS run "$T/e.ini" --out "$T/r" --resume >/dev/null 2>&1 &
    pid=$!
    sleep "$(awk -v s=$tries 'BEGIN { srand(7 + s); printf "%.2f", 0.2 + 0.8 * rand() }')"
    state=$(awk '{ print $3 }' "/proc/$pid/stat" 2>/dev/null)
    if [ -n "$state" ] && [ "$state" != Z ] && kill -9 $pid 2>/dev/null; then kills=$((kills + 1)); fi
    wait $pid 2>/dev/null
done
$WS run "$T/e.ini" --out "$T/r" --resume >/dev/null 2>&1
[ $kills -ge 2 ] && same_as_alone "$T/r" - 3 1 2 && no_repeats "$T/r" &&
    ok "killed $kills times with SIGKILL and resumed: the same results, no record twice" || bad "killed $kills times"

# 3 shards: whole seeds' groups round robin over the points, so seed 1 of point 2 and seed 2 of
# point 3 are shard 3's, their chains shards 1's and 2's. Shard 3 first: it trains those phase 1
# itself (1 and 2 epochs, the same bits) where their snapshots' checkpoints go, and records no phase 1.
$WS run "$T/e.ini" --out "$T/one" --shard 3/3 > /dev/null 2>&1
[ "$(ckpts "$T/one/points/000")" = "s1_phase1_1.safetensors s2_phase1_2.safetensors " ] &&
    ! grep -q phase1 "$T"/one/points/*/units/records-shard-3-of-3.jsonl &&
    ok "shard 3 of 3 alone: points 2's and 3's phase 1 trained where their snapshots go, not recorded" ||
    bad "shard 3 of 3: checkpoints $(ckpts "$T/one/points/000")"
for sh in 2 1; do $WS run "$T/e.ini" --out "$T/one" --shard $sh/3 > /dev/null 2>&1; done
$WS merge "$T/one" > /dev/null 2>&1
same_as_alone "$T/one" - 3 1 2 && [ "$(recorded "$T/one")" -eq 14 ] &&
    ok "3 shards in one folder (3, 2, 1), merged: the same results, 14 records" ||
    bad "3 shards in one folder: $(recorded "$T/one") recorded"
for sh in 1 2 3; do $WS run "$T/e.ini" --out "$T/sep$sh" --shard $sh/3 > /dev/null 2>&1; done
$WS merge "$T/sep1" "$T/sep2" "$T/sep3" --out "$T/sepm" > /dev/null 2>&1
same_as_alone "$T/sepm" - 3 1 2 && ok "3 shards in separate folders, merged: the same results" ||
    bad "3 shards in separate folders"

# BatchNorm (ResNet-18, 4 channels wide) with augmentation, momentum kept and the shrink-only
# evaluation: the snapshot holds the running statistics, its end-of-run measurements (evaluation,
# shrunk copies, the probe's train-mode passes) leave the run as it was.
RN="--data fashion-mnist --protocol paper --opt sgd --momentum 0.9 --keep-optim --model resnet18 --width 4 --augment
    --shrink-eval 0.5 --subset 200 --eval-subset 200 --epochs 1 --seeds 1 --threads 1 --eval-every 2"
cat > "$T/rn.ini" <<INI
scenario = batch
[options]
data = fashion-mnist
protocol = paper
opt = sgd
momentum = 0.9
keep-optim = on
model = resnet18
width = 4
augment = on
shrink-eval = 0.5
subset = 200
eval-subset = 200
epochs = 1
seeds = 1
threads = 1
eval-every = 2
[grid]
phase1-epochs = 1,2
INI
$WS run "$T/rn.ini" --out "$T/rn" > /dev/null 2>&1
ok_rn=1
for v in 1 2; do
    $WS batch $RN --phase1-epochs $v --out "$T/alone-rn$v" > /dev/null 2>&1
    pd=$(printf '%s/points/%03d' "$T/rn" $((v - 1)))
    [ "$(strip_file "$pd/batch.jsonl")" = "$(strip_file "$T/alone-rn$v/batch.jsonl")" ] && [ -s "$pd/batch.jsonl" ] || ok_rn=0
done
[ $ok_rn = 1 ] && [ "$(recorded "$T/rn")" -eq 5 ] &&
    ok "ResNet-18 (BatchNorm), augmentation, momentum kept, shrink-only evaluation: each point equals it run alone" ||
    bad "ResNet-18: $(recorded "$T/rn") recorded; $(cat "$T/rn.ini")"

# Phase 1 diverging (lr 1e5) in its second epoch: the snapshot after 1 epoch is done, those after
# 2 and 3 diverged at epoch 2 with the message the runs alone give.
ini "$T/d.ini" "lr = 1e5" -- "phase1-epochs = 1,2,3"
$WS run "$T/d.ini" --out "$T/d" > /dev/null 2>&1
ok_d=1
for v in 1 2 3; do
    $WS batch $BASE --lr 1e5 --phase1-epochs $v --out "$T/alone-d$v" > /dev/null 2>&1
    rid=s1/phase1
    [ $v -gt 1 ] && rid=s1/phase1@$v
    mine=$(grep -h "\"unit\":\"$rid\"" "$T/d/points/000/units/records.jsonl" | sed 's/"unit":"[^"]*"//')
    alone=$(grep -h '"unit":"s1/phase1"' "$T/alone-d$v/units/records.jsonl" | sed 's/"unit":"[^"]*"//')
    [ -n "$mine" ] && [ "$(echo "$mine" | sed 's/"seconds":[^,]*//g')" = "$(echo "$alone" | sed 's/"seconds":[^,]*//g')" ] || ok_d=0
done
[ $ok_d = 1 ] && grep -q '"unit":"s1/phase1@3","status":"diverged","epoch":2' "$T/d/points/000/units/records.jsonl" &&
    ok "phase 1 diverging at epoch 2: the snapshots from 2 on diverged, each record the run alone's" ||
    bad "diverging phase 1: $(grep -h phase1 "$T/d/points/000/units/records.jsonl" | cut -c1-120)"

# Negative controls. Another phase-1 setting varies too (batch): snapshots only between points
# of one batch size, each point still equal to it alone.
ini "$T/b.ini" -- "phase1-epochs = 1,2" "batch = 32,64"
$WS plan "$T/b.ini" > /dev/null 2> "$T/b.plan"
grep -q "8 of 24 units are the same" "$T/b.plan" && grep -q "4 of them are snapshots" "$T/b.plan" &&
    ok "phase1-epochs x batch: 8 units shared, 4 of them snapshots (2 a seed: within each batch size, none across)" ||
    bad "phase1-epochs x batch: $(cat "$T/b.plan")"
$WS run "$T/b.ini" --out "$T/b" > /dev/null 2>&1
ok_b=1
for p in 0 1 2 3; do
    pd=$(printf '%s/points/%03d' "$T/b" $p)
    e1=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["phase1_epochs"])' "$pd/config.json")
    bs=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["phase1"]["batch_size"])' "$pd/config.json")
    $WS batch $BASE --phase1-epochs "$e1" --batch "$bs" --out "$T/alone-b$p" > /dev/null 2>&1
    [ "$(strip_file "$pd/batch.jsonl")" = "$(strip_file "$T/alone-b$p/batch.jsonl")" ] && [ -s "$pd/batch.jsonl" ] || ok_b=0
done
[ $ok_b = 1 ] && ok "phase1-epochs x batch: every point equals it run alone" || bad "phase1-epochs x batch: a point differs"
# Phase 1 to the threshold at one point (phase1-epochs 0): no snapshot.
ini "$T/z.ini" -- "phase1-epochs = 0,2"
$WS plan "$T/z.ini" > /dev/null 2> "$T/z.plan"
! grep -q "snapshots" "$T/z.plan" && ok "phase1-epochs 0,2 (0: to the threshold): nothing is a snapshot" ||
    bad "phase1-epochs 0,2: $(cat "$T/z.plan")"

finish
