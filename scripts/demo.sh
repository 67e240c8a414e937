#!/bin/sh
# The default experiment: a slice of `warmstart reproduce` (experiments/demo/) -- Fashion-MNIST
# arriving 500 examples a round for 10 rounds, the paper's MLP (784-100-100-10), Adam lr 1e-3,
# batch 128, each round trained to 99 % training accuracy by warm start, random initialisation
# and head-reset (warm with a fresh last layer), 10 seeds -- and one report with the paper's
# claims checked against them. docs/DEMO-SEARCH.md says how this configuration was chosen.
set -eu
cd "$(dirname "$0")/.."
./build/warmstart reproduce --scale demo --out results/demo "$@"
echo "report: results/demo/report/index.html (and report.md); raw results and figures: results/demo/*/"
