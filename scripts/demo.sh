#!/bin/sh
# The default experiment: the paper's two-phase batch experiment on Fashion-MNIST
# with the paper's MLP (784-100-100-10), Adam lr 1e-3, batch 128, trained to 99 %
# training accuracy, 3 seeds; then a short passive online run (1,000 examples a
# round, 5 rounds, 3 seeds) and its figures.
set -eu
cd "$(dirname "$0")/.."
./build/warmstart batch --data fashion-mnist --model mlp --opt adam --lr 1e-3 --batch 128 \
    --threshold 0.99 --seeds 3 --out results/demo --save results/demo/checkpoints "$@"
echo
./build/warmstart online --data fashion-mnist --model mlp --opt adam --lr 1e-3 --batch 128 \
    --threshold 0.99 --k0 1000 --k 1000 --rounds 5 --seeds 3 --out results/demo-online --quiet
./build/warmstart plot results/demo-online
echo "figure: results/demo-online/figures/accuracy.png"
