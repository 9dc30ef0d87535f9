#!/usr/bin/env bash
# bench_memory.sh: peak resident memory of srres-video upscaling 3840x2160 video x2 (two
# frames, libx264), with the default buffer budget and with --max-memory 512M. Figures only.
# Usage: bench/bench_memory.sh [BUILD_DIR]   (minutes: each 4K frame is ~40 s of network)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
model=$root/samples/x2.safetensors
[ -f "$model" ] || { echo "bench_memory: no $model"; exit 1; }
[ -x /usr/bin/time ] || { echo "bench_memory: no /usr/bin/time; run: apt-get install time"; exit 1; }
ffmpeg -nostdin -v error -f lavfi -i testsrc2=size=3840x2160:rate=25 -frames:v 2 \
    -c:v libx264 -crf 20 "$tmp/in.mp4"
for opt in "" "--max-memory 512M"; do
    /usr/bin/time -f "%M %e" -o "$tmp/time" "$build/srres-video" -q -y -i "$tmp/in.mp4" \
        -o "$tmp/out.mp4" -m "$model" $opt
    read -r kb secs <"$tmp/time"
    printf "3840x2160 x2 %-18s peak RSS %5d MB, %5.1f s for 2 frames\n" "${opt:-(default)}" \
        $((kb / 1024)) "$secs"
done
