#!/usr/bin/python3
"""torch_train.py: trains the reference SRResNet (tests/fixtures/srresnet_torch.py) in
PyTorch by srres-train's recipe and sampling, so that the two trainers can be compared
step for step on the same data (docs/models.md, "Placing our sets against Set5").

Usage: tools/torch_train.py -o OUT.safetensors [--scale 4] [--steps 2400] [--batch 16]
           [--patch 24] [--lr 5e-4] [--warmup 200] [--clip 0.5] [--loss mse|l1]
           [--hr-scale 0.5:1] [--seed 7] [--log FILE.csv] [--save-every N] INPUT...
       tools/torch_train.py -o OUT.safetensors --init-only [--scale 4] [--seed 7]
           (the starting weights alone, for srres-train --init)

Inputs are videos and images, as srres-train takes them. What it mirrors of
tools/patch_sampler.c: a round draws 64 frames (file, then frame, uniformly), cuts 8
patches from each, and shuffles the 512; each frame is first downscaled by a factor drawn
from --hr-scale; a patch whose HR luma variance is under 64 is redrawn with probability
0.75 (up to 20 tries); one of the 8 symmetries of the square; LR is PIL's antialiased
bicubic downscale of the HR region with 2 LR pixels of margin, which tools/resample.c
matches bit for bit. Every frame of the inputs is held in memory (1.5 GB for
train_models.sh's). Training: Adam (0.9, 0.999, 1e-8), linear warm-up then a constant
rate, the gradient's norm clipped, the loss a mean over every output value.
Run with Debian's Python (python3-torch, python3-numpy, python3-pil) and ffmpeg installed.
"""
import argparse
import csv
import os
import subprocess
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                "fixtures"))
from srresnet_torch import SRResNet, init_like_srres  # noqa: E402

VIDEO = (".mp4", ".mkv", ".webm", ".mov", ".avi")
MARGIN, TRIES, FRAMES, PER_FRAME = 2, 20, 64, 8


def load(path):
    """All frames of a file as uint8 arrays (frames, h, w, 3)."""
    if not path.lower().endswith(VIDEO):
        return np.asarray(Image.open(path).convert("RGB"))[None]
    probe = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                            "stream=width,height", "-of", "csv=p=0", path],
                           check=True, capture_output=True, text=True).stdout
    w, h = map(int, probe.strip().split(",")[:2])
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", path, "-f", "rawvideo", "-pix_fmt",
                          "rgb24", "-"], check=True, capture_output=True).stdout
    return np.frombuffer(raw, np.uint8).reshape(-1, h, w, 3)


def luma_variance(p):
    y = p[..., 0] * 0.299 + p[..., 1] * 0.587 + p[..., 2] * 0.114
    return y.var()


def transform(p, t):
    if t & 1:
        p = p[:, ::-1]
    if t & 2:
        p = p[::-1]
    if t & 4:
        p = p.transpose(1, 0, 2)
    return np.ascontiguousarray(p)


def round_of_patches(files, a, rng):
    S, m = a.patch * a.scale, MARGIN * a.scale
    R, L = S + 2 * m, a.patch + 2 * MARGIN
    hr, lr = [], []
    for _ in range(FRAMES):
        frames = files[rng.integers(len(files))]
        frame = frames[rng.integers(len(frames))]
        f = rng.uniform(a.hr_min, a.hr_max)
        if f < 1:
            h, w = frame.shape[:2]
            size = (int(w * f + 0.5), int(h * f + 0.5))
            frame = np.asarray(Image.fromarray(frame).resize(size, Image.BICUBIC))
        h, w = frame.shape[:2]
        for _ in range(PER_FRAME):
            for _ in range(TRIES):
                x, y = rng.integers(w - R + 1), rng.integers(h - R + 1)
                region = frame[y:y + R, x:x + R]
                if luma_variance(region[m:m + S, m:m + S].astype(np.float64)) >= 64 or \
                        rng.uniform() >= 0.75:
                    break
            region = transform(region, rng.integers(8))
            small = np.asarray(Image.fromarray(region).resize((L, L), Image.BICUBIC))
            hr.append(region[m:m + S, m:m + S])
            lr.append(small[MARGIN:MARGIN + a.patch, MARGIN:MARGIN + a.patch])
    order = rng.permutation(len(hr))
    return np.stack(hr)[order], np.stack(lr)[order]


def tensor(batch):
    t = torch.from_numpy(batch).permute(0, 3, 1, 2).float().div_(255)
    return t.contiguous(memory_format=torch.channels_last)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("inputs", nargs="*")
    p.add_argument("-o", "--output", required=True)
    p.add_argument("--scale", type=int, default=4)
    p.add_argument("--blocks", type=int, default=16)
    p.add_argument("--channels", type=int, default=64)
    p.add_argument("--steps", type=int, default=2400)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--patch", type=int, default=24)
    p.add_argument("--lr", type=float, default=5e-4)
    p.add_argument("--warmup", type=int, default=200)
    p.add_argument("--clip", type=float, default=0.5)
    p.add_argument("--loss", choices=("mse", "l1"), default="mse")
    p.add_argument("--hr-scale", default="0.5:1")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--log")
    p.add_argument("--init-only", action="store_true")
    p.add_argument("--save-every", type=int, default=0,
                   help="also write OUTPUT-stepN.safetensors every N steps")
    a = p.parse_args()
    lo, _, hi = a.hr_scale.partition(":")
    a.hr_min, a.hr_max = float(lo), float(hi or lo)
    torch.set_num_threads(a.threads)
    net = init_like_srres(SRResNet(a.scale, a.blocks, a.channels, "nearest"), a.seed)
    if a.init_only:
        net.save(a.output, description="tools/torch_train.py's starting weights")
        return
    if not a.inputs:
        p.error("no inputs")
    files = []
    for f in a.inputs:
        try:
            files.append(load(f))
        except (OSError, ValueError, subprocess.CalledProcessError) as e:
            sys.exit(f"torch_train.py: {f}: cannot read it: {e}")
    print(f"torch_train.py: {len(files)} inputs, {sum(len(f) for f in files)} frames",
          file=sys.stderr)
    rng = np.random.default_rng(a.seed)
    net = net.to(memory_format=torch.channels_last)
    opt = torch.optim.Adam(net.parameters(), lr=a.lr, betas=(0.9, 0.999), eps=1e-8)
    loss_fn = F.mse_loss if a.loss == "mse" else F.l1_loss
    log_file = open(a.log, "w", newline="") if a.log else None
    log = csv.writer(log_file) if log_file else None
    if log:
        log.writerow(["step", "loss", "lr", "grad_norm", "seconds"])
    hr = lr = None
    k = 0
    start = time.monotonic()
    for step in range(a.steps):
        if hr is None or k + a.batch > len(hr):
            hr, lr = round_of_patches(files, a, rng)
            k = 0
        rate = a.lr * (step + 1) / a.warmup if step < a.warmup else a.lr
        for g in opt.param_groups:
            g["lr"] = rate
        opt.zero_grad()
        loss = loss_fn(net(tensor(lr[k:k + a.batch])), tensor(hr[k:k + a.batch]))
        loss.backward()
        norm = torch.nn.utils.clip_grad_norm_(net.parameters(),
                                              a.clip if a.clip > 0 else float("inf"))
        opt.step()
        k += a.batch
        if log and (step + 1) % 100 == 0:
            log.writerow([step + 1, f"{loss.item():.6g}", f"{rate:.6g}", f"{norm.item():.4g}",
                          f"{time.monotonic() - start:.1f}"])
            log_file.flush()
            print(f"step {step + 1}/{a.steps} loss {loss.item():.5f}", file=sys.stderr,
                  flush=True)
        if a.save_every and (step + 1) % a.save_every == 0 and step + 1 < a.steps:
            stem = a.output[:-len(".safetensors")] if a.output.endswith(".safetensors") \
                else a.output
            net.save(f"{stem}-step{step + 1}.safetensors")
    net.save(a.output, description="PyTorch side-by-side of srres-train's recipe "
             "(tools/torch_train.py)")


if __name__ == "__main__":
    main()
