#!/usr/bin/python3
"""bench_train.py: PyTorch's training-step speed on the shapes of bench_train.c: SRResNet
16x64 with the nearest image skip, x2 and x4, batch 16, LR patch 24, L1 loss, Adam, 2
threads, channels_last. Prints one line per scale (best step of 6 after a warm-up)."""
import os
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                "fixtures"))
from srresnet_torch import SRResNet, init_like_srres  # noqa: E402

torch.set_num_threads(int(os.environ.get("THREADS", "2")))
for scale in (2, 4):
    net = init_like_srres(SRResNet(scale, 16, 64, "nearest"), 1).to(memory_format=torch.channels_last)
    opt = torch.optim.Adam(net.parameters(), lr=1e-4)
    lr = torch.rand(16, 3, 24, 24).to(memory_format=torch.channels_last)
    hr = torch.rand(16, 3, 24 * scale, 24 * scale).to(memory_format=torch.channels_last)
    best = float("inf")
    for step in range(6):
        t = time.perf_counter()
        opt.zero_grad()
        loss = torch.nn.functional.l1_loss(net(lr), hr)
        loss.backward()
        opt.step()
        t = time.perf_counter() - t
        if step:
            best = min(best, t)
    print(f"x{scale} 16x64 batch 16 patch 24: {best:.3f} s/step, {16 / best:.1f} patches/s",
          flush=True)
