#!/bin/sh
# The default experiment: the paper's two-phase batch experiment on Fashion-MNIST
# with the paper's MLP (784-100-100-10), Adam lr 1e-3, batch 128, trained to 99 %
# training accuracy, 3 seeds; then a passive online run (1,000 examples a round,
# 5 rounds, 3 seeds) with warm start, random initialisation and shrink-and-perturb
# (the official defaults, lambda 0.4, sigma 0.1) side by side, its figures, and
# one report page of both.
set -eu
cd "$(dirname "$0")/.."
./build/warmstart batch --data fashion-mnist --model mlp --opt adam --lr 1e-3 --batch 128 \
    --threshold 0.99 --seeds 3 --out results/demo --save results/demo/checkpoints "$@"
echo
./build/warmstart online --data fashion-mnist --model mlp --opt adam --lr 1e-3 --batch 128 \
    --threshold 0.99 --k0 1000 --k 1000 --rounds 5 --seeds 3 --learners warm,random,shrink-perturb \
    --out results/demo-online --quiet
./build/warmstart plot results/demo-online
./build/warmstart report results
echo "figures: results/demo-online/figures/accuracy.png, cumulative_seconds.png; report: results/report.html"
