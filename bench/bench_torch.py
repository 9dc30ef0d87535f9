#!/usr/bin/python3
"""bench_torch.py: PyTorch's forward time for the same networks as bench_forward.c
(SRResNet 16x64, x2 and x4), 2 threads, channels_last with oneDNN, float32, no grad.
Prints 'x<scale> <w>x<h> <seconds>' lines (best of 3 after a warm-up)."""
import os
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                "fixtures"))
from srresnet_torch import SRResNet, init_like_srres  # noqa: E402

torch.set_num_threads(int(os.environ.get("THREADS", "2")))
sizes = [(480, 270)] if "--quick" in sys.argv else [(480, 270), (960, 540)]
for w, h in sizes:
    for scale in (2, 4):
        net = init_like_srres(SRResNet(scale, 16, 64), 1).eval()
        net = net.to(memory_format=torch.channels_last)
        x = torch.rand(1, 3, h, w).to(memory_format=torch.channels_last)
        best = float("inf")
        with torch.no_grad():
            for i in range(4):
                t = time.perf_counter()
                net(x)
                t = time.perf_counter() - t
                if i:
                    best = min(best, t)
        print(f"x{scale} {w}x{h} {best:.3f}", flush=True)
