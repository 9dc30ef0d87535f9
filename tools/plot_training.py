#!/usr/bin/python3
"""plot_training.py: training curves from srres-train --log CSVs, as one PNG: loss (smoothed)
and validation PSNR-Y against the step. Debian's python3-matplotlib.
Usage: tools/plot_training.py OUT.png LOG.csv[=LABEL]..."""
import csv
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def read(path):
    steps, loss, vsteps, psnr = [], [], [], []
    with open(path) as f:
        for row in csv.DictReader(f):
            step = int(row["step"])
            steps.append(step)
            loss.append(float(row["loss"]))
            if row["val_psnr"] not in ("nan", ""):
                vsteps.append(step)
                psnr.append(float(row["val_psnr"]))
    return steps, loss, vsteps, psnr


def smooth(values, k=20):
    out, acc = [], []
    for v in values:
        acc.append(v)
        if len(acc) > k:
            acc.pop(0)
        out.append(sum(acc) / len(acc))
    return out


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    runs = sys.argv[2:]
    # One legend under both panels: inside them, a dozen runs' labels hid the curves.
    rows = (len(runs) + 2) // 3
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4 + 0.22 * rows))
    for ax in (ax1, ax2):  # 20 colours: with the default 10, runs shared a colour
        ax.set_prop_cycle(color=plt.get_cmap("tab20").colors)
    for arg in runs:
        path, _, label = arg.partition("=")
        steps, loss, vsteps, psnr = read(path)
        ax1.plot(steps, smooth(loss), label=label or path)
        ax2.plot(vsteps, psnr, marker="o", markersize=3, label=label or path)
    ax1.set_xlabel("step")
    ax1.set_ylabel("training loss (smoothed)")
    ax1.set_yscale("log")
    ax2.set_xlabel("step")
    ax2.set_ylabel("validation PSNR-Y (dB)")
    for ax in (ax1, ax2):
        ax.grid(alpha=0.3)
    handles, labels = ax1.get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=3, fontsize=8, frameon=False)
    fig.tight_layout(rect=(0, 0.2 * rows / (4 + 0.22 * rows), 1, 1))
    fig.savefig(sys.argv[1], dpi=100)


if __name__ == "__main__":
    main()
