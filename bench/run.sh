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
    echo "(python3-torch is not installed: no PyTorch comparison)"
fi
