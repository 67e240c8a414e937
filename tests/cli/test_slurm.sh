#!/bin/sh
# Slurm end to end: a single-node Slurm brought up on this machine (Debian's slurm-wlm and
# munge: munged, slurmctld and slurmd started by hand from a temporary folder, no systemd),
# then the commands of docs/RUNNING.md ("Slurm job arrays") as written there: an online
# experiment submitted as an array of 3 tasks of scripts/slurm-array.sh and a merge job that
# depends on it; task 2 cancelled mid-run (after it recorded a round: scancel's SIGTERM stops it
# cleanly, its log saying how to resume) and requeued. The requeued task resumes its shard, no
# record is repeated, and the merged results equal one process's (wall times aside). Skips
# (exit 77, one line) where Slurm is not installed or cannot start (not root, daemons that do not
# come up).
# Usage: tests/cli/test_slurm.sh BUILD_DIR
set -u
SUITE=slurm
. "$(dirname "$0")/common.sh"
REPO=$(cd "$(dirname "$0")/../.." && pwd)
DOC="$REPO/docs/RUNNING.md"

skip() { echo "skipped: $1"; exit 77; }
[ "$(id -u)" = 0 ] || skip "a single-node Slurm needs root (slurmd starts jobs as their user)"
for c in munged slurmctld slurmd sbatch scontrol scancel sinfo squeue; do
    command -v $c >/dev/null 2>&1 || skip "Slurm is not installed ($c not found; Debian: slurm-wlm, munge)"
done

# --- teardown: every job cancelled, the daemons stopped, anything left that carries this
# --- cluster's SLURM_CONF in its environment (job steps, their warmstart) killed, $T removed ---
daemons="" ref=""
ours() { # the pids of the processes whose environment names this test's slurm.conf
    for e in /proc/[0-9]*/environ; do
        p=${e#/proc/}
        p=${p%/environ}
        [ "$p" != $$ ] && { tr '\0' '\n' <"$e"; } 2>/dev/null | grep -qxF "SLURM_CONF=$T/slurm.conf" && echo "$p"
    done
}
cleanup() {
    trap - EXIT INT TERM HUP
    cd /
    [ -n "$ref" ] && kill "$ref" 2>/dev/null
    if [ -n "$daemons" ]; then
        scancel --user=root >/dev/null 2>&1
        i=0
        while [ $i -lt 20 ] && [ -n "$(squeue -h 2>/dev/null)" ]; do sleep 0.5; i=$((i + 1)); done
        for p in $daemons; do kill "$p" 2>/dev/null; done # slurmd, slurmctld, then munged
        i=0
        while [ $i -lt 20 ]; do
            alive=""
            for p in $daemons; do kill -0 "$p" 2>/dev/null && alive=1; done
            [ -z "$alive" ] && break
            sleep 0.5
            i=$((i + 1))
        done
        for p in $daemons $(ours); do kill -9 "$p" 2>/dev/null; done
        wait 2>/dev/null
    fi
    rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# --- the cluster: one node, this machine, every file in $T ---
node=$(hostname -s 2>/dev/null || uname -n | cut -d. -f1)
nodeline=$(slurmd -C 2>/dev/null | head -n 1 | sed "s/^NodeName=[^ ]*/NodeName=$node/")
case $nodeline in NodeName=*CPUs=*) ;; *) skip "Slurm cannot start here ('slurmd -C' describes no node)" ;; esac
# Two free ports below the ephemeral range (so that no client connection takes one meanwhile).
ports=$("$PY" -c 'import random, socket
found = []
for p in random.sample(range(10000, 30000), 200):
    s = socket.socket()
    try: s.bind(("0.0.0.0", p)); found.append(p)
    except OSError: pass
    finally: s.close()
    if len(found) == 2: break
print(*found)')
# shellcheck disable=SC2086
set -- $ports
[ $# -eq 2 ] || skip "Slurm cannot start here (no free ports)"
mkdir "$T/munge" "$T/state" "$T/spool" "$T/log"
dd if=/dev/urandom of="$T/munge/munge.key" bs=1024 count=1 2>/dev/null && chmod 400 "$T/munge/munge.key"
cat >"$T/slurm.conf" <<EOF
ClusterName=warmstart-test
SlurmctldHost=$node(127.0.0.1)
SlurmctldPort=$1
SlurmdPort=$2
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
# cred_expire: a requeued job waits this long before it may start again (default 120 s)
AuthInfo=socket=$T/munge/munge.socket,cred_expire=10
StateSaveLocation=$T/state
SlurmdSpoolDir=$T/spool
SlurmctldPidFile=$T/slurmctld.pid
SlurmdPidFile=$T/slurmd.pid
SlurmctldLogFile=$T/log/slurmctld.log
SlurmdLogFile=$T/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=1,bf_interval=1
MpiDefault=none
MailProg=/bin/true
ReturnToService=2
JobRequeue=1
KillWait=2
$nodeline NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=test Nodes=$node Default=YES MaxTime=INFINITE State=UP
EOF
# Every client command, the daemons and the jobs (sbatch exports the environment) use this cluster
# and this build's warmstart.
export SLURM_CONF="$T/slurm.conf"
PATH="$(dirname "$WS"):$PATH"
export PATH
munged -F --force --key-file="$T/munge/munge.key" --socket="$T/munge/munge.socket" \
    --pid-file="$T/munge/munged.pid" --log-file="$T/log/munged.log" --seed-file="$T/munge/munged.seed" \
    >"$T/log/munged.out" 2>&1 &
daemons=$!
i=0
while [ ! -S "$T/munge/munge.socket" ] && [ $i -lt 50 ]; do sleep 0.2; i=$((i + 1)); done
[ -S "$T/munge/munge.socket" ] || skip "Slurm cannot start here (munged: $(tail -n 1 "$T/log/munged.out"))"
slurmctld -D -f "$T/slurm.conf" >"$T/log/slurmctld.out" 2>&1 &
daemons="$! $daemons"
slurmd -D -f "$T/slurm.conf" -N "$node" >"$T/log/slurmd.out" 2>&1 &
daemons="$! $daemons"
up() { for p in $daemons; do kill -0 "$p" 2>/dev/null || return 1; done; }
i=0
while up && [ "$(sinfo -h -n "$node" -o %t 2>/dev/null)" != idle ] && [ $i -lt 60 ]; do sleep 0.5; i=$((i + 1)); done
if [ "$(sinfo -h -n "$node" -o %t 2>/dev/null)" != idle ]; then
    why=$(cat "$T"/log/*.out "$T"/log/slurm*.log 2>/dev/null | grep -i -e error -e fatal \
        | grep -v -e pmix -e 'state file' -e 'Trying backup' | tail -n 1)
    skip "Slurm cannot start here (node $node not idle after $((i / 2)) s: ${why:-$(tail -qn 1 "$T"/log/*.out | tail -n 1)})"
fi
ok "a single-node Slurm up in $((i / 2)) s: $(sinfo -h -o '%P %a %D %t %C' | head -n 1) (partition avail nodes state cpus A/I/O/T)"

# --- the experiment: 6 chains of 6 online rounds, 2 a shard; a shard runs for a few seconds ---
cd "$T" || exit 1
mkdir scripts && ln -s "$REPO/scripts/slurm-array.sh" scripts/slurm-array.sh
cat >exp.ini <<'EOF'
scenario = online
[options]
subset = 6000
k0 = 1000
k = 1000
seeds = 2
hidden = 100
learners = warm,random,shrink-perturb
max-epochs = 20
EOF
# The reference, one process at the tasks' thread count (1: --cpus-per-task=1), alongside.
"$WS" run exp.ini --out one --threads 1 >one.out 2>&1 &
ref=$!

# The commands docs/RUNNING.md shows, in its order: the array, the merge after it, a task
# cancelled mid-run, requeued. Run as written there.
# shellcheck disable=SC2016
{
    ARRAY='jobid=$(sbatch --parsable --array=1-3 --cpus-per-task=1 scripts/slurm-array.sh exp.ini results/exp)'
    MERGE='sbatch --dependency=afterany:$jobid --wrap "warmstart merge results/exp"'
    CANCEL='scancel ${jobid}_2'
    REQUEUE='scontrol requeue ${jobid}_2'
}
for c in "$ARRAY" "$MERGE" "$CANCEL" "$REQUEUE"; do
    grep -qF -- "$c" "$DOC" || bad "docs/RUNNING.md does not show the command this test runs: $c"
done

lines() { if [ -e "$1" ]; then grep -c . "$1"; else echo 0; fi; }
state() { scontrol show job "$1" 2>/dev/null | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p' | head -n 1; }
jobid=""
eval "$ARRAY"
case $jobid in '' | *[!0-9]*) bad "sbatch --parsable gave no job id: '$jobid'"; finish; exit ;; esac
merged=$(eval "$MERGE")
mergeid=${merged##* }
# The same merge with afterok, to see what Slurm makes of a cancelled and requeued task.
okid=$(sbatch --parsable --dependency=afterok:"$jobid" --wrap true)
ok "submitted: array job $jobid (3 tasks), merge job $mergeid after it"

# Task 2 cancelled once it has recorded a round and while it still runs.
rec=results/exp/units/records-shard-2-of-3.jsonl
i=0
while [ $i -lt 600 ]; do
    [ "$(lines "$rec")" -ge 1 ] && [ "$(state "${jobid}_2")" = RUNNING ] && break
    sleep 0.2
    i=$((i + 1))
done
before=$(lines "$rec")
if [ "$(state "${jobid}_2")" = RUNNING ] && eval "$CANCEL"; then
    ok "task 2 cancelled while running, $before record(s) into its shard"
else
    bad "task 2 never ran with a record (state $(state "${jobid}_2"), $before records)"
fi
i=0 # requeue takes a job that has ended: wait out the cancellation's completing stage
until eval "$REQUEUE" 2>"$T/requeue.err"; do
    i=$((i + 1))
    [ $i -lt 20 ] || break
    sleep 0.5
done
[ $i -lt 20 ] && ok "task 2 requeued" || bad "scontrol requeue: $(cat "$T/requeue.err")"

# The merge job runs once every task has ended; it takes a requeued task's wait (cred_expire).
i=0
while [ $i -lt 600 ]; do
    case $(state "$mergeid") in COMPLETED | FAILED | CANCELLED | TIMEOUT | NODE_FAIL | OUT_OF_MEMORY) break ;; esac
    sleep 0.5
    i=$((i + 1))
done
wait "$ref"
ref_rc=$?
ref=""
if [ "$(state "$mergeid")" = COMPLETED ] && [ -s results/exp/online.jsonl ]; then
    ok "the merge job ran after the array and wrote results/exp/online.jsonl"
else
    bad "merge job $mergeid: $(state "$mergeid"): $(tail -n 3 "slurm-$mergeid.out" 2>/dev/null)"
fi
restarts=$(scontrol show job "${jobid}_2" | sed -n 's/.*Restarts=\([0-9]*\).*/\1/p')
for t in 1 2 3; do s=$(state "${jobid}_$t"); [ "$s" = COMPLETED ] || bad "task $t ended $s"; done
if [ "$restarts" = 1 ] && grep -q CANCELLED "slurm-${jobid}_2.out" && grep -q 'resumed results/exp' "slurm-${jobid}_2.out"; then
    ok "task 2 ran twice (Restarts=1); its log has the cancellation, then: $(grep -o 'resumed results/exp.*' "slurm-${jobid}_2.out")"
else
    bad "task 2: Restarts=$restarts: $(cat "slurm-${jobid}_2.out")"
fi
if grep -q '^warmstart online: stopped by SIGTERM: ' "slurm-${jobid}_2.out" \
    && grep -q '^warmstart online: to resume: warmstart run exp.ini --out results/exp --shard slurm/3 .*--resume$' "slurm-${jobid}_2.out"; then
    ok "scancel's SIGTERM stopped task 2 cleanly: its log says so, with the command that resumes it"
else
    bad "task 2's log has no clean stop on SIGTERM: $(cat "slurm-${jobid}_2.out")"
fi
after=$(lines "$rec")
[ "$after" -gt "$before" ] && ok "task 2 was cancelled mid-shard ($before of its $after records written)" \
    || bad "task 2 had finished before the cancel ($before of $after records)"
if "$PY" - results/exp/units >"$T/repeats" 2>&1 <<'EOF'; then
import json, sys, glob
seen = set()
for f in glob.glob(sys.argv[1] + "/records*.jsonl"):
    for line in open(f):
        r = json.loads(line)
        key = (r["unit"], r.get("round"), "status" in r)
        if key in seen: sys.exit("repeated: %s in %s" % (key, f))
        seen.add(key)
print(len(seen))
EOF
    ok "no record repeated across the 3 shards ($(cat "$T/repeats") records)"
else
    bad "$(cat "$T/repeats")"
fi
if [ $ref_rc -eq 0 ] && [ -s one/online.jsonl ] && [ "$(strip_file results/exp/online.jsonl)" = "$(strip_file one/online.jsonl)" ]; then
    ok "the merged results equal the one-process run's (wall times aside): $(grep -c . one/online.jsonl) seeds' records"
else
    strip_file one/online.jsonl >one.canon
    bad "merged results differ from one process's (reference exit $ref_rc): $(strip_file results/exp/online.jsonl | diff - one.canon | head -n 3)"
fi
case $(scontrol show job "$okid" | sed -n 's/.*Reason=\([A-Za-z]*\).*/\1/p' | head -n 1) in
DependencyNeverSatisfied) echo "# afterok:$jobid instead: never satisfied (Slurm counts the cancelled run), hence afterany" ;;
*) echo "# afterok:$jobid instead: $(state "$okid") (Slurm $(sinfo -V | cut -d' ' -f2))" ;;
esac

finish
