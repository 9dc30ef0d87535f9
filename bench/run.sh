#!/usr/bin/env bash
# run.sh: `make bench`. Forward speed of our fast path, our baseline and OpenBLAS, then
# PyTorch on the same networks in the same run, and the ratios. Figures only: nothing here
# passes or fails. Usage: bench/run.sh [BUILD_DIR] [--quick]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
shift || true
out=$(mktemp)
trap 'rm -f "$out" "$out.torch"' EXIT
# OpenBLAS must pick its kernel by CPU: some environments pin an older one.
env -u OPENBLAS_CORETYPE "$build/bench_forward" "$@" | tee "$out"

# srres-video end to end against the forward pass alone, same x4 model, same 480x270 clip.
model=$root/samples/x4.safetensors
[ -f "$model" ] || model=$root/tests/fixtures/x4_16x64.safetensors
clip=$(mktemp --suffix=.mp4)
ffmpeg -nostdin -v error -y -f lavfi -i testsrc2=size=480x270:rate=25 \
    -f lavfi -i sine=sample_rate=48000 -t 2 -c:v libx264 -c:a aac -shortest "$clip"
read -r frames secs fwd_fps < <("$build/bench_pipeline" "$model" "$clip")
start=$(date +%s.%N)
"$build/srres-video" -q -y -i "$clip" -o "$clip.out.mp4" -m "$model"
end=$(date +%s.%N)
awk -v f="$frames" -v s="$start" -v e="$end" -v fwd="$fwd_fps" 'BEGIN {
    fps = f / (e - s)
    printf "srres-video x4 480x270 -> 1920x1080 (libx264 CRF 18, audio copied): %.3f fps end to end;\n", fps
    printf "forward pass only on the same frames: %.3f fps; ratio %.2f\n", fwd, fps / fwd }'
rm -f "$clip" "$clip.out.mp4"

echo "training steps, ours:"
env -u OPENBLAS_CORETYPE "$build/bench_train"
if /usr/bin/python3 -c "import torch" 2>/dev/null; then
    echo "training steps, PyTorch:"
    THREADS=2 /usr/bin/python3 "$root/bench/bench_train.py"
fi
if /usr/bin/python3 -c "import torch" 2>/dev/null; then
    echo "PyTorch $(/usr/bin/python3 -c 'import torch; print(torch.__version__)'), same networks, 2 threads:"
    THREADS=2 /usr/bin/python3 "$root/bench/bench_torch.py" "$@" | tee "$out.torch"
    echo "ratio (PyTorch time / our fast path time):"
    while read -r scale size t; do
        ours=$(awk -v s="$scale" -v z="$size" '$1 == s && $2 == z { print $3 }' "$out")
        [ -n "$ours" ] && awk -v a="$t" -v b="$ours" -v s="$scale" -v z="$size" \
            'BEGIN { printf "%s %s: %.2fx faster than PyTorch\n", s, z, a / b }'
    done <"$out.torch"
else
    echo "(python3-torch is not installed: no PyTorch comparison; for one, run:" \
        "apt-get install -y --no-install-recommends python3-torch)"
fi
