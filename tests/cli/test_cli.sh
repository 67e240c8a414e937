#!/bin/sh
# End-to-end tests of the warmstart CLI: the experiment runs and learns, the
# outputs are complete and reproducible, and bad input gives one clear line.
# Usage: tests/cli/test_cli.sh BUILD_DIR
set -u
SUITE=cli
. "$(dirname "$0")/common.sh"

# expect_error NAME PHRASE CMD...: exits non-zero, stderr is one line holding PHRASE, stdout empty.
expect_error() {
    name=$1 phrase=$2
    shift 2
    "$@" >"$T/out" 2>"$T/err"
    rc=$?
    if [ $rc -eq 0 ]; then bad "$name: exit 0"; return; fi
    if [ "$(wc -l <"$T/err")" -ne 1 ]; then bad "$name: stderr is not one line: $(cat "$T/err")"; return; fi
    if ! grep -qF -- "$phrase" "$T/err"; then bad "$name: stderr lacks '$phrase': $(cat "$T/err")"; return; fi
    if [ -s "$T/out" ]; then bad "$name: wrote to stdout"; return; fi
    ok "$name ($(cat "$T/err"))"
}

# --- the experiment runs and learns ---
if "$WS" batch --subset 2000 --seeds 2 --max-epochs 60 --threads 2 --out "$T/run1" --save "$T/ck" --quiet \
    >"$T/table" 2>"$T/log"; then
    ok "batch on a 2,000-example subset finishes"
else
    bad "batch failed: $(cat "$T/log")"
fi
[ "$(wc -l <"$T/run1/batch.jsonl")" -eq 2 ] && ok "JSONL has one record per seed" || bad "JSONL line count"
[ "$(wc -l <"$T/run1/batch.csv")" -eq 7 ] && ok "CSV has a header and 3 rows per seed" || bad "CSV line count"
# Both phase-2 learners far above chance (10 %) on the test set.
if awk -F, 'NR > 1 && ($2 == "warm" || $2 == "random") { if ($4 < 0.70) exit 1 }' "$T/run1/batch.csv"; then
    ok "warm and random test accuracy > 70% (chance is 10%)"
else
    bad "an accuracy is too low: $(cat "$T/run1/batch.csv")"
fi
grep -q '"config":{"warmstart_version"' "$T/run1/batch.jsonl" && grep -q '"epoch_log":\[{"epoch":1' "$T/run1/batch.jsonl" \
    && ok "JSONL records the resolved configuration and the epoch log" || bad "JSONL lacks config or epoch log"
grep -q 'gap vs random' "$T/table" && grep -q '±' "$T/table" && ok "table shows CIs and the gap" || bad "table: $(cat "$T/table")"
n=$(ls "$T/ck" | grep -c safetensors)
[ "$n" -eq 6 ] && ok "--save wrote 6 checkpoints" || bad "--save wrote $n checkpoints"

# --- reproducible: same seed and threads, same numbers (all but wall times) ---
"$WS" batch --subset 2000 --seeds 2 --max-epochs 60 --threads 2 --out "$T/run2" --quiet >/dev/null 2>&1
if cut -d, -f1-9,11 "$T/run1/batch.csv" | cmp -s - "$(cut -d, -f1-9,11 "$T/run2/batch.csv" >"$T/c2"; echo "$T/c2")"; then
    ok "same seed and thread count give identical results"
else
    bad "results differ between identical runs"
fi
"$WS" batch --subset 2000 --seeds 1 --seed 9 --max-epochs 60 --threads 2 --out "$T/run3" --quiet >/dev/null 2>&1
if [ "$(sed -n 3p "$T/run1/batch.csv" | cut -d, -f4)" != "$(sed -n 3p "$T/run3/batch.csv" | cut -d, -f4)" ]; then
    ok "another seed gives other results"
else
    bad "seed 9 gave the same accuracy as seed 1"
fi

# --- checkpoints: a saved model evaluates to the accuracy it was recorded with ---
acc=$("$WS" eval --subset 2000 --init-from "$T/ck/seed1-warm.safetensors" --json | sed 's/.*"test_acc":\([0-9.e-]*\).*/\1/')
want=$(awk -F, 'NR > 1 && $1 == 1 && $2 == "warm" { print $4 }' "$T/run1/batch.csv")
awk -v a="$acc" -v b="$want" 'BEGIN { exit !(a - b < 1e-6 && b - a < 1e-6) }' \
    && ok "eval of the saved warm model reproduces its test accuracy ($acc)" || bad "eval gave $acc, run recorded $want"

# --- the protocol and phase options are applied and recorded ---
"$WS" batch --protocol paper --subset 1500 --eval-subset 3000 --opt sgd --lr 0.05 --momentum 0.9 --lr2 0.02 \
    --batch2 64 --wd2 0.001 --first-fraction 0.4 --keep-optim --max-epochs 40 --out "$T/paper" --quiet >/dev/null 2>"$T/log" \
    || bad "paper protocol run failed: $(cat "$T/log")"
j="$T/paper/batch.jsonl"
grep -q '"protocol":"paper"' "$j" && grep -q '"n_pool":1500,"n_first":600,"n_eval":3000' "$j" \
    && grep -q '"mean":\[0.5\],"std":\[0.5\]' "$j" && ok "paper protocol: split sizes and 0.5/0.5 normalisation recorded" \
    || bad "paper protocol record: $(head -c 400 "$j")"
grep -q '"phase2":{"optimizer":"sgd","lr":0.0199999' "$j" && grep -q '"batch_size":64,"weight_decay":0.0010000' "$j" \
    && grep -q '"keep_optimizer_state":true' "$j" && ok "phase-2 lr, batch, decay and --keep-optim recorded" \
    || bad "phase 2 settings not recorded"
# The warm run's first epoch takes ceil(1500/64) steps: phase 2's batch size is used.
awk -F, '$2 == "warm" && ($9 % 24) != 0 { exit 1 }' "$T/paper/batch.csv" && ok "phase 2 runs with --batch2" \
    || bad "warm steps not a multiple of 24: $(cat "$T/paper/batch.csv")"
# The paper protocol's stopping rule and accuracy: no epoch cap, run.py's training accuracy.
"$WS" batch --protocol paper --subset 600 --hidden 16 --threshold 0.6 --threads 2 --out "$T/nocap" --quiet \
    >/dev/null 2>"$T/log" || bad "paper run to 60 % failed: $(cat "$T/log")"
grep -q '"threshold":0.6,"max_epochs":0,"epochs":0,"plateau":0,"train_acc":"official"' "$T/nocap/batch.jsonl" \
    && ok "--protocol paper: no epoch cap, run.py's training accuracy (recorded)" \
    || bad "paper defaults: $(head -c 900 "$T/nocap/batch.jsonl")"
"$WS" batch --protocol paper --subset 600 --hidden 16 --epochs 2 --eval-every 1 --threads 2 --out "$T/fixed" --quiet \
    >/dev/null 2>"$T/log" || bad "fixed-epoch run failed: $(cat "$T/log")"
j="$T/fixed/batch.jsonl"
grep -q '"max_epochs":0,"epochs":2,"plateau":0,"train_acc":"official","eval_every":1' "$j" \
    && ok "--epochs, --eval-every and the paper's defaults (no cap, official training accuracy) recorded" \
    || bad "fixed-epoch configuration: $(head -c 600 "$j")"
[ "$(grep -o '"epochs":2,"steps"' "$j" | wc -l)" -eq 3 ] && [ "$(grep -o '"stop":"epochs"' "$j" | wc -l)" -eq 3 ] \
    && ok "--epochs 2: every run (phase 1, warm, random) trains exactly 2 epochs" \
    || bad "fixed-epoch runs: $(head -c 900 "$j")"
[ "$(grep -o '"test_acc":[0-9.e-]*,"test_loss"' "$j" | wc -l)" -ge 9 ] && grep -q '"hit_rate":' "$j" \
    && ok "--eval-every 1: each epoch's log holds test accuracy and loss; the hit rate beside the official figure" \
    || bad "epoch log: $(head -c 900 "$j")"
"$WS" batch --subset 600 --hidden 16 --threshold 1 --plateau 2 --lr 0 --opt sgd --threads 2 --out "$T/plat" --quiet \
    >/dev/null 2>"$T/log" || bad "plateau run failed: $(cat "$T/log")"
[ "$(grep -o '"epochs":3,"steps":[0-9]*,"seconds":[0-9.e-]*,"converged":true,"stop":"plateau"' "$T/plat/batch.jsonl" | wc -l)" -eq 3 ] \
    && awk -F, 'NR == 1 && $12 != "stop" { exit 1 } NR > 1 && $12 != "plateau" { exit 1 }' "$T/plat/batch.csv" \
    && ok "--plateau 2 at lr 0: every run stops after 3 epochs, recorded as a plateau (JSONL and CSV)" \
    || bad "plateau: $(head -c 900 "$T/plat/batch.jsonl")"
# The lr x batch sweep's draw: phase 2's lr and batch per seed from the lists, for warm;
# random keeps phase 1's (batch 128: ceil(600/128) = 5 steps an epoch).
"$WS" batch --subset 600 --hidden 16 --lr2-draw 0.001,0.01,0.1 --batch2-draw 16,32,64,128 --seeds 3 --epochs 1 \
    --threads 2 --out "$T/draw" --quiet >/dev/null 2>"$T/log" || bad "drawn phase 2 failed: $(cat "$T/log")"
if "$PY" - "$T/draw/batch.jsonl" <<'PYEOF'
import json, math, sys
rs = [json.loads(l) for l in open(sys.argv[1])]
ok = len(rs) == 3 and rs[0]["config"]["phase2_drawn_from"]["batch_size"] == [16, 32, 64, 128]
for r in rs:
    b, lr = r["phase2"]["batch_size"], r["phase2"]["lr"]
    ok = ok and b in (16, 32, 64, 128) and any(abs(lr - x) < 1e-6 for x in (0.001, 0.01, 0.1))
    ok = ok and r["runs"]["warm"]["steps"] == math.ceil(600 / b) and r["runs"]["random"]["steps"] == 5
ok = ok and len({(r["phase2"]["batch_size"], r["phase2"]["lr"]) for r in rs}) > 1
sys.exit(0 if ok else 1)
PYEOF
then ok "--lr2-draw/--batch2-draw: each seed's phase 2 drawn and recorded; warm trains with it, random with phase 1's"
else bad "drawn phase 2: $(head -c 600 "$T/draw/batch.jsonl")"; fi
expect_error "--lr2 with --lr2-draw refused" "choose one" "$WS" batch --lr2 0.1 --lr2-draw 0.1,0.01 --out "$T/x4"
expect_error "--epochs with --plateau refused" "--epochs trains exactly N epochs: it takes no --plateau" \
    "$WS" batch --epochs 3 --plateau 2 --out "$T/x1"
expect_error "--epochs with --max-epochs refused" "it takes no --max-epochs" "$WS" batch --epochs 3 --max-epochs 9 --out "$T/x2"
expect_error "--train-acc names its kinds" "--train-acc: expected 'epoch' or 'official', not 'hits'" \
    "$WS" online --train-acc hits --out "$T/x3"
[ ! -e "$T/x1" ] && [ ! -e "$T/x2" ] && [ ! -e "$T/x3" ] && ok "refused runs leave no output folder" || bad "a refused run wrote output"
# Fixed epochs and evaluation during training in the round scenarios too.
"$WS" online --subset 900 --hidden 16 --k0 450 --k 450 --epochs 2 --eval-every 1 --threads 2 --out "$T/onle" --quiet \
    >/dev/null 2>"$T/log" && "$WS" transfer --subset 600 --hidden 16 --fractions 50,100 --epochs 2 --eval-every 2 \
    --threads 2 --out "$T/tre" --quiet >/dev/null 2>>"$T/log" || bad "online/transfer with --epochs: $(cat "$T/log")"
if "$PY" - "$T/onle/online.jsonl" "$T/tre/transfer.jsonl" <<'PYEOF'
import json, sys
on = json.loads(open(sys.argv[1]).readline())
rounds = [r for l in on["learners"].values() for r in l]
ok = len(rounds) == 4 and all(r["epochs"] == 2 and r["stop"] == "epochs" and len(r["epoch_log"]) == 2
                              and all("test_acc" in e for e in r["epoch_log"]) for r in rounds)
tr = json.loads(open(sys.argv[2]).readline())
runs = [tr["pretrain"]] + [v for p in tr["points"] for k, v in p.items() if isinstance(v, dict) and "epoch_log" in v]
ok = ok and len(runs) == 5 and all(r["epochs"] == 2 and "test_acc" in r["epoch_log"][1] and "test_acc" not in r["epoch_log"][0]
                                   for r in runs)
sys.exit(0 if ok else 1)
PYEOF
then ok "online and transfer: --epochs 2 trains every round and share exactly 2 epochs; --eval-every records test accuracy"
else bad "online/transfer epoch logs: $(head -c 600 "$T/onle/online.jsonl")"; fi
# --init-from: phase 1 starting from a trained checkpoint converges in fewer epochs.
"$WS" batch --subset 2000 --max-epochs 60 --init-from "$T/ck/seed1-random.safetensors" --out "$T/init" --quiet \
    >/dev/null 2>&1 || bad "--init-from run failed"
e0=$(awk -F, '$1 == 1 && $2 == "phase1" { print $8 }' "$T/run1/batch.csv")
e1=$(awk -F, '$2 == "phase1" { print $8 }' "$T/init/batch.csv")
[ "$e1" -lt "$e0" ] && ok "--init-from: phase 1 from a trained model needs $e1 epochs, not $e0" \
    || bad "--init-from made no difference ($e1 vs $e0 epochs)"

# --- ResNet-18 (a narrow one, on a subset): runs, learns, checkpoints with BN buffers ---
if "$WS" batch --model resnet18 --width 4 --subset 512 --eval-subset 1000 --eval-batch 250 --max-epochs 15 \
    --threshold 0.95 --out "$T/rn" --save "$T/rn/ck" --quiet >/dev/null 2>"$T/log"; then
    ok "batch --model resnet18 --width 4 finishes"
else
    bad "resnet batch failed: $(cat "$T/log")"
fi
awk -F, '$2 == "random" { exit !($4 > 0.4) }' "$T/rn/batch.csv" && ok "ResNet-18 random learner > 40% on the test set" \
    || bad "ResNet-18 accuracy too low: $(cat "$T/rn/batch.csv")"
acc=$("$WS" eval --model resnet18 --width 4 --subset 512 --eval-subset 1000 --init-from "$T/rn/ck/seed1-warm.safetensors" \
    --json | sed 's/.*"test_acc":\([0-9.e-]*\).*/\1/')
want=$(awk -F, '$2 == "warm" { print $4 }' "$T/rn/batch.csv")
awk -v a="$acc" -v b="$want" 'BEGIN { exit !(a - b < 1e-6 && b - a < 1e-6) }' \
    && ok "eval of the saved ResNet (weights + running statistics) reproduces its accuracy ($acc)" \
    || bad "ResNet eval gave $acc, run recorded $want"
expect_error "ResNet checkpoint into another width" "model resnet18 w8 1x28x28-10 needs F32 (8,1,3,3)" \
    "$WS" eval --model resnet18 --width 8 --init-from "$T/rn/ck/seed1-warm.safetensors"

# --- the library's public header, used by an example program ---
"$1/example_minimal" "$T/min.safetensors" >"$T/ex" 2>&1 && grep -q "test acc" "$T/ex" \
    && "$WS" eval --init-from "$T/min.safetensors" >/dev/null 2>&1 \
    && ok "examples/minimal.c trains through include/warmstart.h; its checkpoint evaluates" \
    || bad "example: $(cat "$T/ex")"

# --- real datasets: the project's CIFAR-10 sample, as binary batches and as a PNG folder ---
SAMPLE=../shared/data/cifar-10-sample
if [ -d "$SAMPLE" ]; then
    if "$WS" batch --data "cifar10:$SAMPLE" --model mlp --protocol paper --subset 1500 --max-epochs 8 --threads 2 \
        --out "$T/c10" --quiet >"$T/c10.table" 2>"$T/c10.log" \
        && grep -q '"name":"cifar10"' "$T/c10/batch.jsonl" && grep -q '"class_names":\["airplane"' "$T/c10/batch.jsonl" \
        && grep -q 'random 2/3 of the official training set' "$T/c10/batch.jsonl"; then
        ok "batch --data cifar10 --model mlp --protocol paper runs on real CIFAR-10 files; JSONL names data and classes"
    else
        bad "cifar10 batch: $(cat "$T/c10.log" "$T/c10.table")"
    fi
    "$WS" data info --data "cifar10:$SAMPLE" >"$T/info" 2>&1 && grep -q "^9 *truck *507 *95" "$T/info" \
        && grep -q "^all *5000 *1000" "$T/info" && ok "data info counts the sample per class and split" \
        || bad "data info: $(cat "$T/info")"
    if /usr/bin/python3 scripts/cifar_to_folder.py "$SAMPLE" "$T/folder" --per-class 40 2>/dev/null \
        && "$WS" batch --data "folder:$T/folder" --model mlp --augment --max-epochs 5 --threads 2 --out "$T/fold" \
            --quiet >/dev/null 2>"$T/fold.log" \
        && grep -q '"name":"folder"' "$T/fold/batch.jsonl" && grep -q '"horizontal_flip":true' "$T/fold/batch.jsonl"; then
        ok "batch --data folder:DIR (PNGs of the sample, 400 + 400) runs, with --augment recorded"
    else
        bad "folder batch: $(cat "$T/fold.log")"
    fi
else
    echo "ok - # SKIP real CIFAR-10 runs: $SAMPLE is absent (a user's clone has none)"
fi
expect_error "missing CIFAR-10 files" "missing data_batch_1.bin in $T/nowhere" "$WS" batch --data "cifar10:$T/nowhere"
expect_error "--labels on CIFAR-10" "--labels is for --data cifar100" "$WS" data info --data cifar10:x --labels coarse
expect_error "held-out split with the paper protocol" "the paper protocol fixes its split" \
    "$WS" batch --protocol paper --val-fraction 0.1

# --- passive online learning: rounds, learners and metrics in the outputs ---
if "$WS" online --subset 2500 --k0 1000 --k 750 --seeds 2 --max-epochs 40 --threads 2 --out "$T/onl" --quiet \
    >"$T/onl.table" 2>"$T/onl.log"; then
    ok "online on a 2,500-example subset finishes"
else
    bad "online failed: $(cat "$T/onl.log")"
fi
# 2 seeds x 3 rounds (1000, 1750, 2500) x 2 learners, plus the header
[ "$(wc -l <"$T/onl/online.csv" 2>/dev/null)" -eq 13 ] && [ "$(wc -l <"$T/onl/online.jsonl")" -eq 2 ] \
    && awk -F, 'NR > 1 && $2 == 2 && $4 != 2500 { exit 1 }' "$T/onl/online.csv" \
    && ok "online writes 3 rounds x 2 learners per seed; the last round sees the whole pool" \
    || bad "online outputs: $(head -3 "$T/onl/online.csv")"
for key in '"experiment":"online"' '"learners":{"warm":[' '"random":[' '"grad_norm_new"' '"weights_vs_init"' '"inside":{' \
    '"per_layer":{"lm1"' '"cumulative_seconds"'; do
    grep -qF "$key" "$T/onl/online.jsonl" || { bad "online.jsonl lacks $key"; key=; break; }
done
[ -n "$key" ] && ok "online.jsonl holds the configuration, per-round metrics, weight similarities and gradient norms"
grep -q "gap vs random" "$T/onl.table" && ok "online prints the per-round table" || bad "online table: $(cat "$T/onl.table")"
expect_error "online rounds that do not fit" "do not fit a pool of 500" "$WS" online --subset 500 --k0 1000
if "$WS" active --subset 2000 --k0 1000 --k 500 --max-epochs 30 --threads 2 --out "$T/act" --quiet >/dev/null 2>"$T/act.log" \
    && grep -qF '"experiment":"active"' "$T/act/online.jsonl" && grep -qF '"new_examples_per_class":[' "$T/act/online.jsonl"; then
    ok "active (margin sampling) runs and records the classes it picked"
else
    bad "active: $(cat "$T/act.log")"
fi
"$WS" transfer --subset 2000 --fractions 10,100 --max-epochs 20 --threads 2 --out "$T/tr" --quiet >"$T/tr.table" 2>"$T/tr.log" \
    && [ "$(wc -l <"$T/tr/transfer.csv")" -eq 5 ] && grep -qF '"pretrain_data":"fashion-mnist[0-4]"' "$T/tr/transfer.jsonl" \
    && grep -q "gap vs random" "$T/tr.table" \
    && ok "transfer Fashion-MNIST 0-4 -> 5-9 at 10 % and 100 %: CSV rows, JSONL and table" \
    || bad "transfer: $(cat "$T/tr.log" "$T/tr.table")"
# --- learners: every remedy runs by name; shrink-perturb (1, 0) is warm and (0, 1, bn reset) is random ---
SP10=shrink-perturb:lambda=1:sigma=0 SP01=shrink-perturb:lambda=0:sigma=1:bn=reset
if "$WS" batch --subset 1500 --seeds 1 --max-epochs 30 --threads 2 --out "$T/lrn" --quiet \
    --learners "warm,random,$SP10,$SP01,shrink-perturb,partial,head-reset,noise,ewc:fisher-examples=200,l2-init,dash,cbp" \
    >"$T/lrn.table" 2>"$T/lrn.log"; then
    ok "batch runs all ten learner kinds side by side"
else
    bad "learners: $(cat "$T/lrn.log")"
fi
[ "$(wc -l <"$T/lrn/batch.csv")" -eq 14 ] && ok "batch.csv: phase 1 and 12 learners" || bad "learners CSV: $(cat "$T/lrn/batch.csv")"
same() { awk -F, -v a="$1" -v b="$2" '$2 == a { x = $4 FS $8 FS $9 } $2 == b { y = $4 FS $8 FS $9 } END { exit !(x != "" && x == y) }' "$T/lrn/batch.csv"; }
same warm "$SP10" && same random "$SP01" \
    && ok "shrink-perturb lambda 1, sigma 0 reproduces warm and lambda 0, sigma 1 random (accuracy, epochs, steps)" \
    || bad "shrink-perturb identities: $(cat "$T/lrn/batch.csv")"
grep -qF '"learners":[{"name":"warm","kind":"warm"' "$T/lrn/batch.jsonl" && grep -qF '"kind":"cbp","replacement_rate":0.0001' "$T/lrn/batch.jsonl" \
    && ok "the configuration records every learner's resolved parameters" || bad "learners not recorded in batch.jsonl"
ALL=warm,random,shrink-perturb,partial,head-reset,noise,ewc:fisher-examples=100,l2-init,dash,cbp:maturity=5
"$WS" transfer --subset 1000 --fractions 50 --max-epochs 5 --threads 2 --learners "$ALL" --out "$T/trl" --quiet \
    >/dev/null 2>"$T/trl.log" && [ "$(wc -l <"$T/trl/transfer.csv")" -eq 11 ] \
    && "$WS" active --subset 1000 --k0 500 --k 250 --max-epochs 5 --threads 2 --learners "$ALL" --out "$T/actl" --quiet \
    >/dev/null 2>>"$T/trl.log" && [ "$(wc -l <"$T/actl/online.csv")" -eq 31 ] \
    && ok "transfer and active run all ten learner kinds" || bad "learners in transfer/active: $(cat "$T/trl.log")"
expect_error "unknown learner" "unknown learner 'sgdr'" "$WS" batch --learners warm,sgdr --out "$T/never-l"
expect_error "bad learner parameter" "learner 'noise:lambda=1': noise takes no 'lambda'" "$WS" online --learners noise:lambda=1
expect_error "cbp on logistic regression" "continual backprop replaces hidden units" \
    "$WS" batch --model logreg --subset 500 --learners cbp --out "$T/never-l"
expect_error "nap where the learners share a network without LayerNorm" "give --layer-norm" \
    "$WS" batch --subset 500 --learners warm,nap --out "$T/never-l"
[ ! -e "$T/never-l" ] && ok "a refused learner writes nothing" || bad "output written for a refused learner"
# --- task sequences: every learner on the same tasks; shards merged equal one process ---
CONT="--tasks 3 --task-steps 40 --task-examples 400 --task-eval 100 --hidden 16 --seeds 2 --threads 2 --quiet"
if "$WS" continual $CONT --learners warm,l2-init,random --out "$T/cont" >"$T/cont.table" 2>"$T/cont.log"; then
    ok "continual: 3 permuted-input tasks x 3 learners x 2 seeds finish"
else
    bad "continual failed: $(cat "$T/cont.log")"
fi
[ "$(wc -l <"$T/cont/continual.csv" 2>/dev/null)" -eq 19 ] && [ "$(wc -l <"$T/cont/continual.jsonl")" -eq 2 ] \
    && awk -F, 'NR > 1 && ($4 != 400 || $5 != 100 || $10 != 40) { exit 1 }' "$T/cont/continual.csv" \
    && ok "continual writes 3 tasks x 3 learners per seed, 40 steps on 400 examples each, 100 held out" \
    || bad "continual outputs: $(head -3 "$T/cont/continual.csv")"
for key in '"experiment":"continual"' '"tasks_kind":"permuted-input"' '"online_acc"' '"steps_to_target"' \
    '"learners":{"warm":[' '"inside":{"probe_examples":100,' '"srank":' '"dohare_dormant":'; do
    grep -qF "$key" "$T/cont/continual.jsonl" || { bad "continual.jsonl lacks $key"; key=; break; }
done
[ -n "$key" ] && ok "continual.jsonl holds the configuration, per-task online and held-out accuracy, and the measurements inside"
# The measurements change nothing of the training: with --probe 0 the same numbers, no "inside".
"$WS" continual $CONT --learners warm,l2-init,random --probe 0 --out "$T/cont0" >/dev/null 2>&1
cut -d, -f1-11,14 "$T/cont0/continual.csv" >"$T/cont0.a" 2>/dev/null
cut -d, -f1-11,14 "$T/cont/continual.csv" | cmp -s - "$T/cont0.a" && ! grep -q '"inside"' "$T/cont0/continual.jsonl" \
    && ok "--probe 0: no measurement inside, and training's numbers as with it" || bad "--probe 0 changed the results"
grep -q "online acc" "$T/cont.table" && ok "continual prints the per-task table" || bad "continual table: $(cat "$T/cont.table")"
# Task 0 is every learner's alike (the same initialisation, batches and task).
awk -F, 'NR > 1 && $2 == 0 { if (seen[$1] != "" && seen[$1] != $6) exit 1; seen[$1] = $6 }' "$T/cont/continual.csv" \
    && ok "every learner's online accuracy on task 0 is the same" || bad "task 0 differs: $(cat "$T/cont/continual.csv")"
"$WS" continual $CONT --learners warm,l2-init,random --out "$T/contsh" --shard 1/2 >/dev/null 2>&1 &&
    "$WS" continual $CONT --learners warm,l2-init,random --out "$T/contsh" --shard 2/2 >/dev/null 2>&1 &&
    "$WS" merge "$T/contsh" >/dev/null 2>&1
cut -d, -f1-11,14 "$T/cont/continual.csv" >"$T/cont.a"
cut -d, -f1-11,14 "$T/contsh/continual.csv" >"$T/cont.b" 2>/dev/null
cmp -s "$T/cont.a" "$T/cont.b" && ok "continual as 2 shards, merged: the one-process results (seconds aside)" \
    || bad "continual shards differ: $(diff "$T/cont.a" "$T/cont.b" | head -5)"
if "$WS" plot "$T/cont" --out "$T/cont/figures" >/dev/null 2>&1 && [ -s "$T/cont/figures/online_accuracy.png" ] \
    && [ -s "$T/cont/figures/plasticity_gap.svg" ] && [ -s "$T/cont/figures/feature_srank.png" ] \
    && [ -s "$T/cont/figures/dormant_units.png" ]; then
    ok "continual figures: online and held-out accuracy, the gap to random, dormant units and feature rank per task"
else
    bad "continual figures: $(ls "$T/cont/figures" 2>&1)"
fi
expect_error "unknown task kind" "'shuffled' is not a task kind" "$WS" continual --tasks-kind shuffled
expect_error "class-incremental beyond the classes" "--tasks 3 of 5 new classes" \
    "$WS" continual --tasks-kind class-incremental --tasks 3 --out "$T/never2"
expect_error "epochs for a task sequence" "--task-steps or --task-epochs" "$WS" continual --epochs 3

# --- sweep: a grid over a scenario, accuracy against compute, the Pareto front ---
if "$WS" sweep batch --subset 1000 --max-epochs 15 --threads 2 --grid lr=0.001,0.01 --grid batch=64,128 \
    --out "$T/sw" >"$T/sw.table" 2>"$T/sw.log" \
    && [ "$(wc -l <"$T/sw/sweep.jsonl")" -eq 8 ] && [ "$(wc -l <"$T/sw/sweep.csv")" -eq 9 ] \
    && [ -s "$T/sw/points/003/batch.jsonl" ] && grep -q '"pareto":true' "$T/sw/sweep.jsonl" \
    && grep -q "^best random: " "$T/sw.table" && grep -qF '"params":{"lr":"0.01","batch":"128"}' "$T/sw/sweep.jsonl"; then
    ok "sweep batch over lr x batch: 4 points x 2 learners, Pareto marks, per-point results"
    if command -v gnuplot >/dev/null 2>&1; then
        grep -q "Sweep: test accuracy against training time" "$T/sw/figures/sweep.svg" && ok "sweep draws accuracy against seconds" \
            || bad "sweep figure missing"
    fi
else
    bad "sweep: $(cat "$T/sw.log" "$T/sw.table")"
fi
"$WS" sweep online --subset 1500 --k0 500 --k 500 --max-epochs 10 --threads 2 --learners warm,shrink-perturb \
    --grid shrink-perturb.lambda=0.2,0.8 --out "$T/swo" >"$T/swo.table" 2>"$T/swo.log" \
    && grep -q "shrink-perturb:lambda=0.8" "$T/swo/sweep.csv" && ok "sweep over a learner parameter (shrink-perturb.lambda)" \
    || bad "sweep over a learner parameter: $(cat "$T/swo.log")"
expect_error "sweep without a grid" "no --grid" "$WS" sweep batch --subset 100
expect_error "sweep over a learner not in the list" "no learner of kind 'ewc'" "$WS" sweep online --grid ewc.lambda=1,10
# --- figures ---
if command -v gnuplot >/dev/null 2>&1; then
    if "$WS" plot "$T/onl" >"$T/plot.out" 2>&1 && "$WS" plot "$T/tr/transfer.jsonl" --out "$T/trfig" >>"$T/plot.out" 2>&1 \
        && [ "$(head -c 4 "$T/onl/figures/accuracy.png" | od -An -c | tr -d ' ')" = "211PNG" ] \
        && grep -q "examples seen" "$T/onl/figures/accuracy.svg" && grep -q "Online learning: test accuracy" "$T/onl/figures/accuracy.svg" \
        && [ -s "$T/onl/figures/gradnorm.png" ] && [ -s "$T/trfig/accuracy.svg" ]; then
        ok "plot renders the online and transfer figures (PNG and SVG, titled, axes labelled)"
    else
        bad "plot: $(cat "$T/plot.out")"
    fi
    expect_error "plot of a file that is not a result" "not a results file" "$WS" plot "$T/onl/online.csv"
    # The two-phase run's figures: Figure 1's curves, Figure 5's gradient norms, Figure 6's shrunk accuracy.
    if "$WS" batch --subset 600 --epochs 3 --eval-every 1 --grad-every 2 --grad-examples 64 --shrink-eval 0:1:3 --threads 2 \
        --out "$T/b17" >/dev/null 2>"$T/b17.log" && "$WS" plot "$T/b17" >"$T/b17.plot" 2>&1 \
        && grep -q "Figure 1: test accuracy" "$T/b17/figures/curves-test.svg" && [ -s "$T/b17/figures/curves-train.png" ] \
        && grep -q "Figure 5: gradient norm" "$T/b17/figures/gradnorm-steps.svg" && grep -q "warm: new data" "$T/b17/figures/gradnorm-steps.svg" \
        && grep -q "Figure 6" "$T/b17/figures/shrink.svg" && grep -q '"grad_every":[[:space:]]*2' "$T/b17/config.json"; then
        ok "plot draws a two-phase run's curves, gradient norms and shrunk accuracy"
    else
        bad "batch figures: $(cat "$T/b17.log" "$T/b17.plot" 2>/dev/null)"
    fi
    # A two-phase run measured inside (the default) draws each learner from phase 1's end to its own;
# one measured nothing (--probe 0) and traced nothing has nothing to draw.
"$WS" plot "$T/run1/batch.jsonl" --out "$T/run1/figs" >/dev/null 2>&1 && [ -s "$T/run1/figs/feature_srank.png" ] \
    && [ -s "$T/run1/figs/dormant_units.svg" ] && ok "plot draws a two-phase run's measurements inside the network" \
    || bad "plot of a two-phase run's measurements: $(ls "$T/run1/figs" 2>&1)"
"$WS" batch --subset 300 --hidden 8 --epochs 1 --probe 0 --threads 2 --out "$T/noprobe" --quiet >/dev/null 2>&1
expect_error "plot of a two-phase run with nothing to draw" "nothing to draw" "$WS" plot "$T/noprobe/batch.jsonl"
else
    echo "ok - # SKIP plot: gnuplot is not installed"
fi
# --- the report: every experiment run above on one page ---
if "$WS" report "$T" >"$T/report.out" 2>"$T/report.err" \
    && grep -q "^report: $T/report.md, $T/report.html ([0-9]* experiments)$" "$T/report.out" \
    && grep -q "^## batch: run1$" "$T/report.md" && grep -q "^## online: onl$" "$T/report.md" \
    && grep -q "^## active: act$" "$T/report.md" && grep -q "^## transfer: tr$" "$T/report.md" \
    && grep -q "^| warm | [0-9.]* ± [0-9.]* |" "$T/report.md" && grep -q "<th>vs random (points)</th>" "$T/report.html" \
    && { ! command -v gnuplot >/dev/null 2>&1 || grep -q '<img src="onl/figures/accuracy.png"' "$T/report.html"; }; then
    ok "report writes report.md and report.html with every experiment's tables and figures ($(cat "$T/report.out"))"
else
    bad "report: $(cat "$T/report.out" "$T/report.err")"
fi
expect_error "report of a missing folder" "$T/nowhere: No such file or directory" "$WS" report "$T/nowhere"
expect_error "report of a folder without results" "$T/ck: no results found" "$WS" report "$T/ck"
[ ! -e "$T/ck/report.md" ] && ok "a failed report writes nothing" || bad "report.md written by a failed report"
# Tiny CIFAR-10 files made here (10 images a batch), so that the check needs nothing from outside.
mkdir -p "$T/tiny-cifar"
"$PY" -c 'import os, sys
for name in ["data_batch_%d.bin" % i for i in range(1, 6)] + ["test_batch.bin"]:
    with open(os.path.join(sys.argv[1], name), "wb") as f:
        for k in range(10): f.write(bytes([k]) + bytes([(7 * k + j) % 256 for j in range(3072)]))' "$T/tiny-cifar"
expect_error "transfer across shapes" "transfer needs one shape" \
    "$WS" transfer --data "cifar10:$T/tiny-cifar" --pretrain fashion-mnist --out "$T/never-tr"
expect_error "unknown query" "--query: expected 'margin' or 'random'" "$WS" active --query entropy
# --norm: CIFAR-10's constants, as the authors' earlier code, recorded; refused on grey images.
"$WS" batch --data "cifar10:$T/tiny-cifar" --norm cifar --hidden 8 --epochs 1 --threads 1 --out "$T/normc" --quiet \
    >/dev/null 2>"$T/log" || bad "--norm cifar run failed: $(cat "$T/log")"
grep -q '"mean":\[0.491[0-9]*,0.482[0-9]*,0.446[0-9]*\],"std":\[0.202[0-9]*,0.199[0-9]*,0.20[01][0-9]*\]' "$T/normc/batch.jsonl" \
    && grep -q "CIFAR-10's (0.4914" "$T/normc/batch.jsonl" && ok "--norm cifar: CIFAR-10's mean and std used and recorded" \
    || bad "--norm cifar record: $(head -c 700 "$T/normc/batch.jsonl")"
expect_error "--norm cifar on grey images" "--norm cifar: CIFAR-10's per-channel mean and std are for colour images" \
    "$WS" batch --norm cifar --subset 100 --quiet --out "$T/never-norm"
expect_error "--norm names its kinds" "--norm: expected 'half', 'pool' or 'cifar', not 'z'" "$WS" batch --norm z
# --activation tanh (the authors' earlier code) and --no-bias (the paper's Figure 6): run, recorded,
# continual backprop on the tanh units, checkpoints refused under the other activation; errors.
"$WS" batch --activation tanh --no-bias --subset 500 --max-epochs 2 --threads 2 --learners warm,cbp:rate=0.01:maturity=2 \
    --out "$T/tanh" --save "$T/tanhck" --quiet >/dev/null 2>"$T/log" || bad "--activation tanh --no-bias run failed: $(cat "$T/log")"
grep -qF '"model":{"kind":"mlp","hidden":[100,100],"activation":"tanh","bias":false,"arch":"mlp 784-100-100-10 tanh nobias"' \
    "$T/tanh/batch.jsonl" && grep -q '"units_replaced":[1-9]' "$T/tanh/batch.jsonl" \
    && ok "--activation tanh --no-bias: trained, recorded, cbp replaced tanh units" \
    || bad "--activation tanh --no-bias record: $(head -c 900 "$T/tanh/batch.jsonl")"
expect_error "tanh checkpoint into the ReLU MLP" "holds a tanh MLP (mlp 784-100-100-10 tanh nobias), the model is a relu one" \
    "$WS" eval --no-bias --init-from "$T/tanhck/seed1-warm.safetensors"
"$WS" eval --activation tanh --no-bias --eval-subset 500 --init-from "$T/tanhck/seed1-warm.safetensors" >/dev/null 2>"$T/log" \
    && ok "tanh checkpoint evaluates under --activation tanh --no-bias" || bad "tanh checkpoint eval: $(cat "$T/log")"
expect_error "--activation for resnet18" "--activation is for --model mlp or cnn (resnet18 is built with ReLU)" \
    "$WS" batch --model resnet18 --activation tanh
expect_error "--activation names its values" "--activation: expected 'relu', 'tanh' or 'crelu', not 'gelu'" "$WS" batch --activation gelu
expect_error "--no-bias for resnet18" "--no-bias is for --model mlp or logreg, not resnet18" "$WS" batch --model resnet18 --no-bias

# --- one writer per results folder ---
"$WS" batch --subset 20000 --seeds 3 --threads 1 --out "$T/locked" --quiet >/dev/null 2>&1 &
holder=$!
for i in $(seq 100); do [ -e "$T/locked/.warmstart.lock" ] && break; sleep 0.1; done
expect_error "a results folder another run is writing" "another warmstart process (pid $holder) is writing results here" \
    "$WS" batch --subset 100 --out "$T/locked"
kill "$holder" 2>/dev/null; wait "$holder" 2>/dev/null
"$WS" batch --subset 500 --max-epochs 2 --threads 2 --out "$T/locked" --quiet >/dev/null 2>&1 \
    && ok "the folder is free again once that run has ended (killed)" || bad "folder still locked after its run was killed"

# --- bad input: one clear line, non-zero exit, nothing written ---
expect_error "unknown option" "unknown option '--bogus'" "$WS" batch --bogus
expect_error "bad number" "--lr: 'fast' is not a number" "$WS" batch --lr fast
expect_error "NaN" "--lr: 'nan' is not a finite number" "$WS" batch --lr nan
expect_error "out of range" "--threshold: 2 is out of range" "$WS" batch --threshold 2
expect_error "missing value" "--seeds needs a value" "$WS" batch --seeds
expect_error "bad hidden list" "--hidden: '100,,5'" "$WS" batch --hidden 100,,5
expect_error "unknown model" "unknown model 'resnet99'" "$WS" batch --model resnet99
expect_error "unknown optimizer" "unknown optimizer 'lbfgs'" "$WS" batch --opt lbfgs
expect_error "momentum with adam" "SGD options" "$WS" batch --opt adam --momentum 0.9
expect_error "missing dataset folder" "missing train-images-idx3-ubyte[.gz] in $T/nowhere" \
    "$WS" batch --data "fashion-mnist:$T/nowhere" --out "$T/never"
[ ! -e "$T/never" ] && ok "a failed run creates no output folder" || bad "output folder created by a failed run"
expect_error "missing checkpoint" "$T/none.safetensors: No such file" "$WS" eval --init-from "$T/none.safetensors"
expect_error "checkpoint of another model" "missing tensor 'linear.weight'" \
    "$WS" eval --model logreg --init-from "$T/ck/seed1-warm.safetensors"
printf 'garbage-garbage!' >"$T/junk.safetensors"
expect_error "corrupt checkpoint" "$T/junk.safetensors: header length" "$WS" eval --init-from "$T/junk.safetensors"
expect_error "unknown command" "unknown command 'frobnicate'" sh -c "\"$WS\" frobnicate 2>&1 >/dev/null | head -1 >&2; exit 2"
echo "$fails" >"$T/fails"
[ "$fails" -eq 0 ]
