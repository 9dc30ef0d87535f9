#!/usr/bin/env bash
# evalsets.sh: builds the held-out image folders that docs/models.md reports figures on,
# so anyone can rerun them with `make eval` or srres-eval. None is ever trained on.
#   val/      the validation split of ../shared/media/photos (tools/photo_split.sh), which
#             tools/train_models.sh holds out
#   skimage5/ five public-domain photographs that python3-skimage installs
#   opencv8/  eight of OpenCV's sample images (Debian's opencv-doc, fetched with
#             apt-get download, not installed), among them the baboon of Set14: the
#             nearest we can get to the SR benchmark sets, which are not on this machine
# A set that cannot be made is reported and skipped (exit status 1): the others still serve.
# Usage: tools/evalsets.sh [OUT_DIR]   (default build/evalsets)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
shared=${SHARED:-$root/../shared}
out=${1:-$root/build/evalsets}
python=/usr/bin/python3 # Debian's, with python3-skimage and python3-pil
mkdir -p "$out/skimage5" "$out/opencv8"
missing=0

# val/ exists only with its photographs: an empty one would pass for made (make eval).
source "$root/tools/photo_split.sh"
split_photos "$shared/media/photos" 2>/dev/null
if [ ${#val_photos[@]} -eq 0 ]; then
    echo "evalsets.sh: no photographs in $shared/media/photos: val/ not made" >&2
    missing=1
else
    mkdir -p "$out/val"
    for p in "${val_photos[@]}"; do ln -sf "$(realpath "$p")" "$out/val/"; done
fi

if ! "$python" -c 'import skimage, PIL' 2>/dev/null; then
    echo "evalsets.sh: $python lacks skimage or PIL, skimage5/ and opencv8/ not made:" \
        "apt-get install python3-skimage python3-pil" >&2
    exit 1
fi
"$python" - "$out/skimage5" <<'EOF'
import sys
import skimage.data as data
from PIL import Image
d = sys.argv[1]
for name in ("astronaut", "chelsea", "coffee", "rocket"):
    Image.fromarray(getattr(data, name)()).save(f"{d}/{name}.png")
Image.fromarray(data.stereo_motorcycle()[0]).save(f"{d}/motorcycle_left.png")
EOF

images=(baboon.jpg board.jpg building.jpg butterfly.jpg chicky_512.png fruits.jpg graf1.png
    home.jpg)
data=./usr/share/doc/opencv-doc/examples/data
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
chmod 755 "$tmp" # apt-get download writes as user _apt when it can
if [ "$(ls "$out/opencv8" | wc -l)" -eq ${#images[@]} ]; then
    : # made by an earlier run: the package is 96 MB
elif (cd "$tmp" && apt-get download opencv-doc >/dev/null 2>&1); then
    members=()
    for i in "${images[@]}"; do members+=("$data/$i"); done
    dpkg-deb --fsys-tarfile "$tmp"/opencv-doc_*.deb | tar -x -C "$tmp" "${members[@]}"
    # PNG, so every reader decodes the same pixels; chicky_512 is RGBA, the benchmarks RGB.
    "$python" - "$tmp/$data" "$out/opencv8" "${images[@]}" <<'EOF'
import os, sys
from PIL import Image
src, dst = sys.argv[1:3]
for name in sys.argv[3:]:
    stem = os.path.splitext(name)[0]
    Image.open(f"{src}/{name}").convert("RGB").save(f"{dst}/{stem}.png")
EOF
else
    echo "evalsets.sh: apt-get download opencv-doc failed (no apt mirror?), opencv8/ not made" >&2
    missing=1
fi
echo "evalsets.sh: ${#val_photos[@]} in $out/val, $(ls "$out/skimage5" | wc -l) in" \
    "$out/skimage5, $(ls "$out/opencv8" | wc -l) in $out/opencv8"
exit $missing
