#!/usr/bin/python3
"""plot_training.py: training curves from srres-train --log CSVs, as one PNG: loss (smoothed)
and validation PSNR-Y against the step. Debian's python3-matplotlib.
Usage: tools/plot_training.py OUT.png LOG.csv[=LABEL]..."""
import csv
import math
import os
import sys

try:
    import matplotlib
except ImportError:
    sys.exit("plot_training.py: needs matplotlib; run: apt-get install -y "
             "--no-install-recommends python3-matplotlib")

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

FIELDS = ["step", "loss", "lr", "grad_norm", "val_psnr", "val_ssim", "patches_per_s", "seconds"]


def fail(message):
    sys.exit("plot_training.py: " + message)


def read(path):
    """(steps, losses, validated steps, PSNRs) of one log, or None if it has no row yet."""
    try:
        with open(path, newline="", encoding="utf-8") as f:
            text = f.read()
    except (OSError, UnicodeDecodeError) as e:
        fail("%s: %s" % (path, e.strerror if isinstance(e, OSError) else "not a text file"))
    lines = text.splitlines(keepends=True)
    # A run writes its log by stdio's buffer: one still running, or killed, can end in part of
    # a line, which is not a row yet.
    if lines and not lines[-1].endswith("\n"):
        lines.pop()
    records = list(csv.reader(lines))
    if not records:
        return None  # a run yet to write its header
    # tools/torch_train.py's logs have no validation columns.
    if records[0][:2] != FIELDS[:2]:
        fail("%s: not a srres-train --log CSV (its first line is not %s)" % (path, ",".join(FIELDS)))
    header = records[0]
    rows = []  # (step, loss, val_psnr or None)
    for number, record in enumerate(records[1:], start=2):
        # A log written through a pipe (--log /dev/stdout | tee -a) is not cut by a resume: the
        # resumed run writes its header again, and the steps it redoes past its checkpoint.
        if record == header:
            continue
        try:
            row = dict(zip(header, record, strict=True))
            step, loss = int(row["step"]), float(row["loss"])
            psnr = float(row.get("val_psnr") or "nan")
        except ValueError:
            fail("%s: line %d is not a row of the log: %s" % (path, number, ",".join(record)))
        while rows and rows[-1][0] >= step:
            rows.pop()  # the resumed run's rows stand, as its checkpoint does
        rows.append((step, loss, None if math.isnan(psnr) else psnr))
    if not rows:
        return None
    steps = [r[0] for r in rows]
    loss = [r[1] for r in rows]
    vsteps = [r[0] for r in rows if r[2] is not None]
    psnr = [r[2] for r in rows if r[2] is not None]
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
    drawn = 0
    for arg in runs:
        path, _, label = arg.partition("=")
        curves = read(path)
        if curves is None:
            # A run that has not reached its first --log-every yet: the others are drawn.
            print("plot_training.py: %s: no rows yet, not drawn" % path, file=sys.stderr)
            continue
        steps, loss, vsteps, psnr = curves
        # A single row is a point, which a line without markers does not show.
        ax1.plot(steps, smooth(loss), marker="o" if len(steps) == 1 else None, markersize=3,
                 label=label or path)
        ax2.plot(vsteps, psnr, marker="o", markersize=3, label=label or path)
        drawn += 1
    if not drawn:
        fail("no log has a row to draw; %s not written" % sys.argv[1])
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
    # Through a temporary file: a write that fails leaves no half a PNG under the name.
    out = sys.argv[1]
    tmp = "%s.tmp-%d" % (out, os.getpid())
    try:
        fig.savefig(tmp, dpi=100, format="png")
        os.replace(tmp, out)
    except OSError as e:
        if os.path.exists(tmp):
            os.unlink(tmp)
        fail("%s: %s" % (out, e.strerror))


if __name__ == "__main__":
    main()
