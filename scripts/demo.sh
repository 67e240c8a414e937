#!/bin/sh
# The default experiment: the paper's two-phase batch experiment on Fashion-MNIST
# with the paper's MLP (784-100-100-10), Adam lr 1e-3, batch 128, trained to 99 %
# training accuracy, 3 seeds.
set -eu
cd "$(dirname "$0")/.."
exec ./build/warmstart batch --data fashion-mnist --model mlp --opt adam --lr 1e-3 --batch 128 \
    --threshold 0.99 --seeds 3 --out results/demo --save results/demo/checkpoints "$@"
