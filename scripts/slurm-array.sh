#!/bin/sh
# An experiment spread over a Slurm job array: each array task runs one shard
# of the experiment's units (I from SLURM_ARRAY_TASK_ID), all writing to one
# results folder on a shared filesystem (each shard to its own records file);
# a last job, after the array, merges them. docs/RUNNING.md explains.
#
#   sbatch --array=1-8 scripts/slurm-array.sh experiments/online.ini results/online
#   sbatch --dependency=afterok:<array job id> --wrap "warmstart merge results/online"
#
# A task that was killed or preempted can be run again as it is (--resume:
# finished units are skipped, chains continue from their last round). Keep
# --array's size equal to SHARDS below, and the thread count fixed: results are
# bitwise reproducible for a given thread count.
#SBATCH --job-name=warmstart
#SBATCH --cpus-per-task=4
#SBATCH --time=04:00:00
#SBATCH --requeue
set -eu
EXP=${1:?usage: sbatch --array=1-N scripts/slurm-array.sh EXPERIMENT.ini OUT_DIR}
OUT=${2:?usage: sbatch --array=1-N scripts/slurm-array.sh EXPERIMENT.ini OUT_DIR}
SHARDS=${SHARDS:-${SLURM_ARRAY_TASK_COUNT:-8}}
exec warmstart run "$EXP" --out "$OUT" --shard "slurm/$SHARDS" --threads "${SLURM_CPUS_PER_TASK:-4}" --resume
