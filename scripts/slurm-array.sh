#!/bin/sh
# An experiment spread over a Slurm job array: each array task runs one shard
# of the experiment's units (I from SLURM_ARRAY_TASK_ID), all writing to one
# results folder on a shared filesystem (each shard to its own records file);
# a last job, after the array, merges them. docs/RUNNING.md explains; the
# commands there (tests/cli/test_slurm.sh runs them on a single-node Slurm):
#
#   jobid=$(sbatch --parsable --array=1-3 --cpus-per-task=1 scripts/slurm-array.sh exp.ini results/exp)
#   sbatch --dependency=afterany:$jobid --wrap "warmstart merge results/exp"
#
# A task that was cancelled, killed or preempted can be requeued as it is
# (scontrol requeue JOBID_I; --resume: finished units are skipped, chains
# continue from their last round); its log keeps every run (append). The merge
# depends on afterany, not afterok: Slurm never satisfies afterok on an array
# one of whose tasks was cancelled, even once the requeued task has succeeded;
# merge itself refuses to run while a unit has no result. Keep --array's size
# equal to SHARDS below, and the thread count fixed: results are bitwise
# reproducible for a given thread count (--cpus-per-task on the command line
# overrides the 4 below). JOBS=N in the environment (sbatch passes it on) runs N groups of units
# at once, each on CPUs/N threads (--jobs N); `warmstart run EXP --estimate --budget 8h` prints
# the array size and this line.
# At its time limit Slurm sends SIGTERM, then SIGKILL KillWait seconds later (slurm.conf; 30 by
# default); warmstart stops on SIGTERM within a training step, abandoning the unit in flight, and
# prints the command that resumes it. --signal asks for that SIGTERM 120 s before the limit (Slurm
# may send it up to 60 s earlier still), so that a slow step (a ResNet's) ends in time even where
# KillWait is short; B: because this script execs warmstart, which is then the batch shell (without
# B: Slurm signals only job steps started by srun). Such a task ends FAILED, ExitCode 0:15, before
# its limit; `scontrol requeue JOBID_I` runs it again and --resume goes on (docs/RUNNING.md).
#SBATCH --job-name=warmstart
#SBATCH --cpus-per-task=4
#SBATCH --time=04:00:00
#SBATCH --signal=B:TERM@120
#SBATCH --requeue
#SBATCH --open-mode=append
set -eu
EXP=${1:?usage: sbatch --array=1-N scripts/slurm-array.sh EXPERIMENT.ini OUT_DIR}
OUT=${2:?usage: sbatch --array=1-N scripts/slurm-array.sh EXPERIMENT.ini OUT_DIR}
SHARDS=${SHARDS:-${SLURM_ARRAY_TASK_COUNT:-8}}
exec warmstart run "$EXP" --out "$OUT" --shard "slurm/$SHARDS" --threads "${SLURM_CPUS_PER_TASK:-4}" \
    --jobs "${JOBS:-1}" --resume
