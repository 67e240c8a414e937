#!/bin/sh
# The default experiment: a slice of `warmstart reproduce` (experiments/demo/) -- the paper's
# two-phase batch experiment on Fashion-MNIST with its MLP (784-100-100-10), Adam lr 1e-3,
# batch 128, trained to 99 % training accuracy, 3 seeds; then data arriving in rounds (1,000
# a round, 5 rounds, 3 seeds) with warm start, random initialisation and shrink-and-perturb
# side by side -- and one report with the paper's claims checked against them.
set -eu
cd "$(dirname "$0")/.."
./build/warmstart reproduce --scale demo --out results/demo "$@"
echo "report: results/demo/report/index.html (and report.md); raw results and figures: results/demo/*/"
