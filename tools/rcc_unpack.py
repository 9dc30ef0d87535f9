"""rcc_unpack.py: copies files out of a Qt resource bundle (.rcc) through Qt's own reader.

Usage: /usr/bin/python3 tools/rcc_unpack.py BUNDLE.rcc OUTDIR RESOURCE...
Each RESOURCE (a path inside the bundle, e.g. /gcompris/src/activities/erase/resource/x.webp)
is written to OUTDIR under its base name. Needs python3-pyqt5. Exits 1 with a one-line
message naming the bundle if it does not load or lacks a resource.
"""
import os
import sys

from PyQt5.QtCore import QFile, QIODevice, QResource


def main():
    if len(sys.argv) < 4:
        sys.exit("usage: rcc_unpack.py BUNDLE.rcc OUTDIR RESOURCE...")
    bundle, outdir, names = sys.argv[1], sys.argv[2], sys.argv[3:]
    if not QResource.registerResource(bundle):
        sys.exit(f"rcc_unpack.py: {bundle}: not a Qt resource bundle")
    os.makedirs(outdir, exist_ok=True)
    for name in names:
        f = QFile(":" + name)
        if not f.open(QIODevice.ReadOnly):
            sys.exit(f"rcc_unpack.py: {bundle}: no resource {name}")
        data = bytes(f.readAll())
        if len(data) != f.size():
            sys.exit(f"rcc_unpack.py: {bundle}: {name} read short")
        with open(os.path.join(outdir, os.path.basename(name)), "wb") as out:
            out.write(data)


if __name__ == "__main__":
    main()
