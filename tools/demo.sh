#!/usr/bin/env bash
# demo.sh: upscales the bundled clip with the bundled x4 model, and makes a side-by-side
# PNG of one frame: bicubic (left) against SRResNet (right), both x4.
# Usage: tools/demo.sh [BUILD_DIR]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
out=$build/demo
mkdir -p "$out"
model=$root/samples/x4.safetensors
"$build/srres-video" -y -m "$model" -i "$root/samples/clip.mp4" -o "$out/clip_x4.mp4"
# One frame through both upscalers, the same crop of each.
ffmpeg -nostdin -v error -y -ss 1.5 -i "$root/samples/clip.mp4" -frames:v 1 "$out/frame.png"
"$build/srres-video" -q -y -m "$model" -i "$out/frame.png" -o "$out/frame_srresnet.png"
ffmpeg -nostdin -v error -y -i "$out/frame.png" -vf "scale=iw*4:ih*4:flags=bicubic" \
    "$out/frame_bicubic.png"
ffmpeg -nostdin -v error -y -i "$out/frame_bicubic.png" -i "$out/frame_srresnet.png" \
    -filter_complex "[0]crop=384:288:320:144[a];[1]crop=384:288:320:144[b];[a][b]hstack" \
    "$out/side_by_side.png"
echo "demo: upscaled clip: $out/clip_x4.mp4"
echo "demo: bicubic (left) vs SRResNet (right): $out/side_by_side.png"
