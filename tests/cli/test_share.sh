#!/bin/sh
# Shared work between a sweep's points (docs/RUNNING.md, "Shared work"): a unit whose resolved
# settings that can change it equal an earlier point's is computed once, and every point's
# results equal the same point run alone, bit for bit (wall times aside) -- fresh, resumed,
# sharded into one folder or into separate folders and merged. Two sweeps: phase1-epochs (the
# random learner shared, and phase 1 a snapshot of the first point's: Figure 4; the snapshots'
# own cases are tests/cli/test_snapshot.sh) and lr2 (phase 1 shared, read from the first point's
# checkpoint). Usage: test_share.sh BUILD_DIR
SUITE=share
. "$(dirname "$0")/common.sh"

BASE="--data fashion-mnist --protocol paper --opt sgd --subset 300 --epochs 2 --seeds 2 --threads 1"
cat > "$T/p1.ini" <<INI
scenario = batch
[options]
data = fashion-mnist
protocol = paper
opt = sgd
subset = 300
epochs = 2
seeds = 2
threads = 1
[grid]
phase1-epochs = 1,2,3
INI
sed 's/^phase1-epochs = .*/lr2 = 0.001,0.01/' "$T/p1.ini" > "$T/lr2.ini"

# Every point's batch.jsonl against the same point run alone (common.sh). same_as_alone DIR FLAG VALUE...
same_as_alone() {
    d=$1 f=$2
    shift 2
    points_match_alone "$d" "" "$f" "$@"
}

# The plan lists what is computed; the note says what is shared.
$WS plan "$T/p1.ini" > "$T/plan" 2> "$T/plan.err"
[ "$(wc -l < "$T/plan")" -eq 10 ] && grep -q "8 of 18 units are the same as an earlier point's" "$T/plan.err" &&
    grep -q "4 of them are snapshots" "$T/plan.err" && ! grep -q "p001/s1/random" "$T/plan" &&
    ! grep -q "p001/s1/phase1" "$T/plan" && grep -q "p001/s1/warm" "$T/plan" &&
    ok "plan: phase1-epochs x 3: 10 of 18 units computed, random and phase 1 at points 2 and 3 taken from point 1" ||
    bad "plan: $(wc -l < "$T/plan") units listed: $(cat "$T/plan.err")"
$WS plan "$T/lr2.ini" > "$T/plan2" 2>&1
grep -q "2 of 12 units" "$T/plan2" && ! grep -q "p001/s1/phase1" "$T/plan2" && grep -q "p001/s1/random" "$T/plan2" &&
    ok "plan: lr2 x 2: phase 1 of point 2 taken from point 1" || bad "plan (lr2): $(cat "$T/plan2")"

# Options that choose the data are part of a unit's identity though the plan loads no data.
printf 'scenario = batch\n[options]\ndata = cifar100\nseeds = 1\n[grid]\nlabels = fine,coarse\n' > "$T/labels.ini"
$WS plan "$T/labels.ini" > "$T/plan3" 2>&1
[ "$(grep -c '^p00' "$T/plan3")" -eq 6 ] && ! grep -q "units are the same" "$T/plan3" &&
    ok "plan: labels x 2 (the data itself differs): nothing shared" || bad "plan (labels): $(cat "$T/plan3")"

# A fresh run: the same results as each point alone, the shared units computed once.
$WS run "$T/p1.ini" --out "$T/s" > /dev/null 2> "$T/s.err"
same_as_alone "$T/s" phase1-epochs 1 2 3 && [ "$(recorded "$T/s")" -eq 14 ] &&
    grep -q "point 2 (phase1-epochs=2): 4 units taken from earlier points" "$T/s.err" &&
    ok "phase1-epochs sweep: every point equals it run alone, 10 units computed for 18 (and 4 snapshots recorded)" ||
    bad "phase1-epochs sweep: $(recorded "$T/s") units recorded; $(tail -3 "$T/s.err")"
$WS run "$T/lr2.ini" --out "$T/l" > /dev/null 2>&1
same_as_alone "$T/l" lr2 0.001 0.01 && [ "$(recorded "$T/l")" -eq 10 ] &&
    ! ls "$T/l/points/001/units/checkpoints/" | grep -q phase1 &&
    ok "lr2 sweep: every point equals it run alone; point 2's learners start from point 1's phase 1" ||
    bad "lr2 sweep: $(recorded "$T/l") units recorded"

# Resumed: nothing computed again, the same results.
cp "$T/s/sweep.jsonl" "$T/s.sweep"
$WS run "$T/p1.ini" --out "$T/s" --resume > /dev/null 2>&1
same_as_alone "$T/s" phase1-epochs 1 2 3 && [ "$(recorded "$T/s")" -eq 14 ] &&
    ok "resumed: nothing run again, the same results" || bad "resumed: $(recorded "$T/s") units recorded"
# Resumed after losing a point's results: they are assembled again with the shared records.
rm -f "$T/s/points/002/batch.jsonl"
$WS run "$T/p1.ini" --out "$T/s" --resume > /dev/null 2>&1
same_as_alone "$T/s" phase1-epochs 1 2 3 && ok "resumed: a point's results written again from the shared records" ||
    bad "resumed: point 3 not rebuilt"

# Shards into one folder, then a merge; shards into separate folders, then a merge.
for sh in 1 2; do $WS run "$T/p1.ini" --out "$T/one" --shard $sh/2 > /dev/null 2>&1; done
$WS merge "$T/one" > /dev/null 2>&1
same_as_alone "$T/one" phase1-epochs 1 2 3 && [ "$(recorded "$T/one")" -eq 14 ] &&
    ok "2 shards in one folder, merged: the same results, 14 units computed" ||
    bad "2 shards in one folder: $(recorded "$T/one") units recorded"
for sh in 1 2; do $WS run "$T/lr2.ini" --out "$T/sep$sh" --shard $sh/2 > /dev/null 2>&1; done
$WS merge "$T/sep1" "$T/sep2" --out "$T/sepm" > /dev/null 2>&1
same_as_alone "$T/sepm" lr2 0.001 0.01 && ok "lr2: 2 shards in separate folders, merged: the same results" ||
    bad "lr2: 2 shards in separate folders"
# A shared unit named with --unit: its record is taken, nothing is computed.
$WS run "$T/p1.ini" --out "$T/s" --unit p002/s1/random > "$T/u.out" 2>&1
[ "$(recorded "$T/s")" -eq 14 ] && ok "--unit of a shared unit: taken from its first point, not computed" ||
    bad "--unit of a shared unit: $(recorded "$T/s") recorded; $(cat "$T/u.out")"

finish
