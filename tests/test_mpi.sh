#!/usr/bin/env bash
# test_mpi.sh: data-parallel training over 2 MPI processes (global batch 16, 8 each) follows
# the same loss curve as one process with batch 16 and the same seed, to float rounding, and
# a run resumed with a different process count continues it (at a constant rate, so the
# first 30 steps of a run of 50 are a run of 30, whose last step writes its checkpoint).
# Usage: tests/test_mpi.sh [BUILD_DIR]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
ffmpeg -nostdin -v error -f lavfi -i "testsrc2=size=128x96:rate=25" -t 2 -c:v libx264 clip.mp4
train=("$build/srres-train" clip.mp4 --scale 2 --blocks 2 --channels 16 --batch 16 --patch 16
    --threads 1 --seed 5 --lr-schedule constant --log-every 1 -q)
mpirun -n 1 "${train[@]}" --steps 50 --log one.csv -o one.safetensors
mpirun -n 2 "${train[@]}" --steps 50 --log two.csv -o two.safetensors
# step,loss,...: every loss within 1e-4 (relative) of the single process's
paste -d, one.csv two.csv | awk -F, 'NR > 1 {
    n++; d = $2 - $10; if (d < 0) d = -d
    if (d > 1e-4 * $2) { printf "step %s: loss %s with one process, %s with two\n", $1, $2, $10; bad++ }
} END { if (n != 50) { print "expected 50 steps, got " n; exit 1 } exit bad > 0 }'
# Resume across process counts: 2 ranks run 30 steps; 1 rank continues to 50.
mpirun -n 2 "${train[@]}" --steps 30 --checkpoint c.ckpt --log a.csv -o a.safetensors
mpirun -n 1 "${train[@]}" --steps 50 --resume c.ckpt --log b.csv -o b.safetensors
tail -n 20 b.csv | cut -d, -f1,2 >resumed.txt
tail -n 20 one.csv | cut -d, -f1,2 >straight.txt
paste -d, straight.txt resumed.txt | awk -F, '{ d = $2 - $4; if (d < 0) d = -d
    if ($1 != $3 || d > 1e-4 * $2) { print "resumed run differs at step " $1 ": " $2 " vs " $4; bad++ } }
    END { exit bad > 0 }'
# A resume on a process count that does not divide its run's batch (16) is refused naming the
# checkpoint, as its --batch cannot be changed: it said '--batch 16 does not split evenly', an
# option the user had not given, and given anew is refused.
if timeout 120 mpirun -n 3 "${train[@]}" --steps 50 --resume c.ckpt -o three.safetensors \
    2>err.log; then
    echo "a resume over 3 processes of a batch of 16 was not refused"
    exit 1
fi
if ! grep -q "^srres-train: c.ckpt: its run's --batch 16 does not split evenly over 3 processes; \
resume it on a number of processes that divides 16$" err.log; then
    echo "a resume over 3 processes of a batch of 16: $(cat err.log)"
    exit 1
fi
# Processes given different runs are refused at once, in one line: another --steps left one
# waiting in a reduction forever, other inputs trained on a mix of batches unnoticed.
ffmpeg -nostdin -v error -f lavfi -i "testsrc2=size=128x96:rate=25" -ss 1 -frames:v 1 still.png
for other in "--steps 11" "still.png"; do
    if timeout 120 mpirun -n 1 "${train[@]}" --steps 10 -o mixed.safetensors : \
        -n 1 "${train[@]}" --steps 10 $other -o mixed.safetensors 2>err.log; then
        echo "processes given different runs ($other) were not refused"
        exit 1
    fi
    if [ "$(grep -c "the MPI processes were given different runs" err.log)" != 1 ]; then
        echo "processes given different runs ($other): $(cat err.log)"
        exit 1
    fi
done
# A file that fails mid-run (its middle second 32x24, drawn at step 7 with seed 2) fails both
# processes at one batch: rank 0's checkpoint, written at that batch or at the step before
# (every 7 steps), is whole before the job ends. The other process's abort cut it short; here
# it is a FIFO, which rank 0 writes only once a reader comes, 2 s later.
for part in 1:192x128:0 2:32x24:2 3:192x128:4 4:192x128:2; do
    IFS=: read -r n size offset <<<"$part"
    ffmpeg -nostdin -v error -f lavfi -i "testsrc2=size=$size:rate=25" -t 1 -c:v libx264 \
        -output_ts_offset "$offset" "part$n.ts"
done
mkdir cut whole
cat part1.ts part2.ts part3.ts >cut/mid.ts
cat part1.ts part4.ts part3.ts >whole/mid.ts
mid=(--scale 2 --blocks 2 --channels 16 --batch 8 --patch 16 --threads 1 --seed 2
    --lr-schedule constant --frames-per-round 1 --steps 30 -o mid.safetensors -q)
for every in 1000 7; do
    rm -f fifo.ckpt && mkfifo fifo.ckpt
    (sleep 2 && timeout 60 cat fifo.ckpt >"got-$every.ckpt") &
    reader=$!
    if timeout 120 mpirun -n 2 "$build/srres-train" cut/mid.ts "${mid[@]}" \
        --checkpoint-every "$every" --checkpoint fifo.ckpt 2>err.log; then
        echo "a file failing mid-run did not stop the run"
        exit 1
    fi
    wait $reader || true
    if ! "$build/srres-model" info "got-$every.ckpt" >/dev/null 2>&1 ||
        { [ "$every" = 1000 ] && ! grep -q "smaller than a 40x40 HR patch with margin; checkpoint \
fifo.ckpt at step 7" err.log; }; then
        echo "checkpoint every $every, a file failing mid-run: $(stat -c %s "got-$every.ckpt")" \
            "bytes of checkpoint; $(cat err.log)"
        exit 1
    fi
done
# Reading copies of their own (rank 0's whole), processes fail apart: the one that fails names
# its file, and rank 0 checkpoints and ends the job.
if timeout 120 mpirun -n 1 "$build/srres-train" whole/mid.ts "${mid[@]}" --checkpoint apart.ckpt : \
    -n 1 "$build/srres-train" cut/mid.ts "${mid[@]}" --checkpoint apart.ckpt 2>err.log; then
    echo "a copy failing mid-run on one process did not stop the run"
    exit 1
fi
if ! grep -q "cut/mid.ts: frame 33 is 32x24" err.log || ! grep -q "another MPI process could not \
read its batch (it names the file); checkpoint apart.ckpt at step 7" err.log ||
    ! "$build/srres-model" info apart.ckpt >/dev/null 2>&1; then
    echo "a copy failing on one process: $(cat err.log)"
    exit 1
fi
logged_steps() { # log: waits (30 s at most) until the run has logged a few steps
    for _ in $(seq 300); do
        [ "$(cat "$1" 2>/dev/null | wc -l)" -lt 5 ] || break
        sleep 0.1
    done
}
# pkill, systemd's stop and a batch scheduler's cancel signal every process, mpirun too, which
# passes the same on: each rank takes the two as one request, and rank 0 writes its checkpoint.
# The second aborted the ranks ("aborted by a second signal: nothing saved").
mpirun -n 2 "${train[@]}" --steps 100000 --checkpoint killed.ckpt --log killed.csv \
    -o killed.safetensors 2>err.log &
job=$!
logged_steps killed.csv
pkill -TERM -f -- "-o killed.safetensors"
wait $job || true
if grep -q "aborted by a second signal" err.log || ! grep -q "stopped by signal" err.log ||
    ! "$build/srres-model" info killed.ckpt >/dev/null 2>&1; then
    echo "every process signalled: $(cat err.log)"
    exit 1
fi
# A second signal to every process aborts the run, said once, by rank 0: each process said
# it. The two come while the processes are stopped, so each process takes both however fast
# its steps are (a signal not yet taken when its twin came is one signal).
timeout 120 mpirun -n 2 "${train[@]}" --steps 100000 --checkpoint twice.ckpt --log twice.csv \
    -o twice.safetensors 2>err.log &
job=$!
logged_steps twice.csv
ranks=$(pgrep -P "$(pgrep -P $job)" || true)
if [ "$(echo $ranks | wc -w)" != 2 ]; then
    echo "a second signal: expected 2 processes under mpirun, found '$ranks'"
    exit 1
fi
kill -STOP $ranks
kill -TERM $ranks
kill -INT $ranks
kill -CONT $ranks
wait $job || true
if [ "$(grep -c "^srres-train: aborted by a second signal" err.log)" != 1 ]; then
    echo "a second signal to every process: $(cat err.log)"
    exit 1
fi
# An error at the start, which every process meets alike, is said once, by rank 0, and ends
# the job with the error's status: each process said it (the user read every line twice) and
# each aborted the job. One that only one process meets (here its own missing input) is said
# once too, rank 0 taking it from that process rather than waiting for it forever.
check_once() { # expected status, expected line, then mpirun's arguments
    local want=$1 line=$2 rc=0
    shift 2
    timeout 120 mpirun "$@" 2>err.log >out.log || rc=$?
    if [ $rc != "$want" ] || [ "$(grep -c "^srres-train:" err.log)" != 1 ] ||
        ! grep -qxF "$line" err.log; then
        echo "an error at the start ($line): status $rc, $(grep -c "^srres-train:" err.log)" \
            "lines: $(cat err.log)"
        exit 1
    fi
}
check_once 2 "srres-train: --bogus: not an option (see --help)" \
    -n 2 "${train[@]}" --bogus -o once.safetensors
check_once 1 "srres-train: --steps: 'abc' is not an integer in 1..1099511627776" \
    -n 2 "${train[@]}" --steps abc -o once.safetensors
check_once 1 "srres-train: missing.mp4: No such file or directory" \
    -n 2 "${train[@]}" missing.mp4 -o once.safetensors
check_once 1 "srres-train: nodir/once.safetensors: cannot write there: No such file or directory" \
    -n 2 "${train[@]}" -o nodir/once.safetensors
check_once 1 "srres-train: missing.mp4: No such file or directory" \
    -n 1 "${train[@]}" -o once.safetensors : -n 1 "${train[@]}" missing.mp4 -o once.safetensors
if ! timeout 120 mpirun -n 2 "$build/srres-train" --help >out.log 2>err.log ||
    [ "$(grep -c "^usage: srres-train" out.log)" != 1 ]; then
    echo "--help under mpirun: $(head -n 1 out.log), $(cat err.log)"
    exit 1
fi
echo "test_mpi.sh: 1 and 2 processes agree over 50 steps; resume across process counts agrees;"\
    "processes given different runs are refused; a file failing mid-run leaves rank 0's"\
    "checkpoint whole; a signal to every process stops the run with a checkpoint, a second"\
    "aborts it, said once; an error at the start is said once"
