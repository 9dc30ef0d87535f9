#!/usr/bin/env python3
"""make_corpus.py: writes the seed corpus of the model-file fuzzers into a directory.

  python3 tests/fuzz/make_corpus.py OUTDIR

Small safetensors files (docs/model-format.md), made with the standard library only:
valid models of every dtype (F32, F16, BF16), variant (seed, srgan with and without conv
biases, prelu2 tensors and BatchNorm counters), image_skip (none, nearest, absent) and scale,
with one slope per layer or per channel; trainer checkpoints (F32 and compact); and nearly
valid files that fail one check each (a wrong shape, dtype, offset, metadata value, NaN,
negative variance, overlap, truncation, ...), so the fuzzer starts next to every branch of
the loader.
Deterministic: the same files every run.
"""
import json
import os
import struct
import sys

STAGES = {2: 1, 3: 1, 4: 2, 8: 3}


def values(name, count, kind="param"):
    """k / 16 with |k| <= 20: exact in F32, F16 and BF16; variances positive."""
    h = 5381
    for ch in name.encode():
        h = (h * 33 + ch) & 0xFFFFFFFF
    if kind == "var":
        return [0.25 + ((h + i) % 5) / 8.0 for i in range(count)]
    if kind == "gamma":
        return [0.5 + ((h + i) % 4) / 8.0 for i in range(count)]
    return [((h + 13 * i) % 41 - 20) / 16.0 for i in range(count)]


def encode(vals, dtype):
    if dtype == "F32":
        return struct.pack("<%df" % len(vals), *vals)
    if dtype == "F16":
        return struct.pack("<%de" % len(vals), *vals)
    # BF16: the high half of the float32 bits (the values are exact in it)
    raw = struct.pack("<%df" % len(vals), *vals)
    return b"".join(raw[i + 2:i + 4] for i in range(0, len(raw), 4))


class File:
    def __init__(self, metadata):
        self.header = {"__metadata__": metadata} if metadata is not None else {}
        self.data = bytearray()

    def raw(self, name, dtype, shape, blob):
        self.header[name] = {"dtype": dtype, "shape": list(shape),
                             "data_offsets": [len(self.data), len(self.data) + len(blob)]}
        self.data += blob

    def tensor(self, name, dtype, shape, kind="param"):
        count = 1
        for d in shape:
            count *= d
        self.raw(name, dtype, shape, encode(values(name, count, kind), dtype))

    def bytes(self, pad=True):
        h = json.dumps(self.header, separators=(",", ":")).encode()
        if pad:
            h += b" " * (-len(h) % 8)
        return struct.pack("<Q", len(h)) + h + bytes(self.data)


def model(scale=2, blocks=1, channels=2, dtype="F32", variant="seed", image_skip="none",
          slopes=None, srgan_bias=True, srgan_prelu2=False, counters=True, omit=(),
          extra_meta=None):
    c = channels
    meta = {"format": "srresnet", "version": "1", "scale": str(scale), "blocks": str(blocks),
            "channels": str(c), "variant": variant}
    if image_skip is not None:
        meta["image_skip"] = image_skip
    meta.update(extra_meta or {})
    f = File(meta)
    srgan = variant == "srgan"
    n_prelu = 1 + 2 * blocks + STAGES[scale]
    slopes = slopes or [c] * n_prelu
    p = iter(slopes)

    def t(name, shape, kind="param"):
        if name not in omit:
            f.tensor(name, dtype, shape, kind)

    def conv(prefix, cin, cout, k, bias=True):
        t(prefix + ".weight", [cout, cin, k, k])
        if bias:
            t(prefix + ".bias", [cout])

    def bn(prefix):
        t(prefix + ".weight", [c], "gamma")
        t(prefix + ".bias", [c])
        t(prefix + ".running_mean", [c])
        t(prefix + ".running_var", [c], "var")
        if counters:
            f.raw(prefix + ".num_batches_tracked", "I64", [], struct.pack("<q", 1000))

    conv("head", 3, c, 9)
    t("head.prelu", [next(p)])
    for i in range(blocks):
        conv(f"body.{i}.conv1", c, c, 3, not srgan or srgan_bias)
        if srgan:
            bn(f"body.{i}.bn1")
        t(f"body.{i}.prelu1", [next(p)])
        conv(f"body.{i}.conv2", c, c, 3, not srgan or srgan_bias)
        s2 = next(p)
        if srgan:
            bn(f"body.{i}.bn2")
        if not srgan or srgan_prelu2:
            t(f"body.{i}.prelu2", [s2])
    conv("trunk", c, c, 3)
    if srgan:
        bn("trunk_bn")
    r = 3 if scale == 3 else 2
    for j in range(STAGES[scale]):
        conv(f"up.{j}", c, c * r * r, 3)
        t(f"up.{j}.prelu", [next(p)])
    conv("tail", c, 3, 9)
    return f


def checkpoint(moments="F32", average=False, **kw):
    """A trainer checkpoint; moments="BF16" with dtype="F16" and average=True is a compact
    one (srres-model compact)."""
    f = model(**kw)
    dtype = kw.get("dtype", "F32")
    n = sum(e["data_offsets"][1] - e["data_offsets"][0]
            for k, e in f.header.items() if k != "__metadata__") // (4 if dtype == "F32" else 2)
    f.header["__metadata__"]["optimizer.step"] = "1234"
    f.raw("optimizer.m", moments, [n], encode(values("optimizer.m", n), moments))
    f.raw("optimizer.v", moments, [n], encode(values("optimizer.v", n, "var"), moments))
    if average:
        f.header["__metadata__"]["optimizer.avg_decay"] = "0.999"
        f.raw("optimizer.avg", dtype, [n], encode(values("optimizer.avg", n), dtype))
    return f


def write(outdir, name, blob):
    with open(os.path.join(outdir, name), "wb") as fh:
        fh.write(blob)


def main():
    outdir = sys.argv[1]
    os.makedirs(outdir, exist_ok=True)
    valid = {
        "seed_x2_f32": model(),
        "seed_x2_f16": model(dtype="F16"),
        "seed_x2_bf16": model(dtype="BF16"),
        "seed_x3_nearest": model(scale=3, image_skip="nearest", slopes=[1, 2, 1, 2]),
        "seed_x4_noskip_key": model(scale=4, blocks=0, channels=1, image_skip=None),
        "seed_x8_f16": model(scale=8, blocks=0, channels=1, dtype="F16"),
        "seed_x2_blocks2_bf16": model(blocks=2, channels=1, dtype="BF16",
                                      extra_meta={"description": "fuzz seed"}),
        "srgan_x2": model(variant="srgan"),
        "srgan_x4_nobias_f16": model(scale=4, variant="srgan", srgan_bias=False, dtype="F16",
                                     channels=1, slopes=[1] * 5),
        "srgan_prelu2_nocounters": model(variant="srgan", srgan_prelu2=True, counters=False),
        "srgan_noblocks_bf16": model(variant="srgan", blocks=0, dtype="BF16"),
    }
    for name, f in valid.items():
        write(outdir, name, f.bytes())
    write(outdir, "checkpoint_x2", checkpoint().bytes())
    write(outdir, "checkpoint_x3_skip", checkpoint(scale=3, blocks=0, channels=1,
                                                   image_skip="nearest").bytes())
    write(outdir, "checkpoint_x2_compact", checkpoint(dtype="F16", moments="BF16",
                                                      average=True).bytes())

    # Nearly valid: one thing wrong in each.
    def edited(name, edit, **kw):
        f = model(**kw)
        edit(f)
        write(outdir, "bad_" + name, f.bytes())

    def set_meta(key, value):
        return lambda f: f.header["__metadata__"].__setitem__(key, value)

    def set_field(tensor, field, value):
        return lambda f: f.header[tensor].__setitem__(field, value)

    edited("scale", set_meta("scale", "5"))
    edited("blocks", set_meta("blocks", "-1"))
    edited("channels_int", set_meta("channels", 2))
    edited("variant", set_meta("variant", "esrgan"))
    edited("skip", set_meta("image_skip", "bilinear"))
    edited("version", set_meta("version", "2"))
    edited("shape", set_field("head.weight", "shape", [2, 3, 3, 27]))
    edited("rank", set_field("trunk.bias", "shape", [1, 2]))
    edited("dtype", set_field("head.bias", "dtype", "F64"))
    edited("offsets", set_field("head.bias", "data_offsets", [1944, 1940]))
    edited("overlap", set_field("head.prelu", "data_offsets", [1944, 1952]))
    edited("prelu_count", set_field("body.0.prelu1", "shape", [3]))
    edited("missing", lambda f: f.header.pop("up.0.bias"))
    edited("extra", lambda f: f.tensor("body.1.conv1.bias", "F32", [2]))
    edited("nan", lambda f: f.data.__setitem__(slice(0, 4), struct.pack("<f", float("nan"))))
    edited("inf_f16", lambda f: f.data.__setitem__(slice(0, 2), b"\x00\x7c"), dtype="F16")
    edited("negative_var", lambda f: f.data.__setitem__(
        slice(*f.header["trunk_bn.running_var"]["data_offsets"]),
        encode([-1.0, 0.5], "F32")), variant="srgan")
    edited("missing_bn", lambda f: f.header.pop("body.0.bn2.running_mean"), variant="srgan")
    edited("no_metadata", lambda f: f.header.pop("__metadata__"))
    ck = checkpoint()
    ck.header["optimizer.m"]["shape"] = [ck.header["optimizer.m"]["shape"][0] - 1]
    write(outdir, "bad_checkpoint_m_shape", ck.bytes())
    whole = model().bytes()
    write(outdir, "bad_truncated", whole[:len(whole) // 2])
    write(outdir, "bad_header_length", struct.pack("<Q", 1 << 40) + whole[8:])
    write(outdir, "bad_not_json", struct.pack("<Q", 4) + b"[{}]")
    (n,) = struct.unpack("<Q", whole[:8])
    header = whole[8:8 + n].replace(b'{"format"', b'{"format":"x","format"', 1)
    write(outdir, "bad_duplicate", struct.pack("<Q", len(header)) + header + whole[8 + n:])

    # Odd JSON in the header, each once: the lexer's and the metadata's own branches
    # (escapes, NUL, surrogates, nesting past jansson's depth, numbers past int64).
    def header_edit(name, old, new):
        h = whole[8:8 + n].rstrip(b" ").replace(old, new, 1)
        write(outdir, "json_" + name, struct.pack("<Q", len(h)) + h + whole[8 + n:])

    variant = b'"variant":"seed"'
    header_edit("escaped_name", b'"head.bias"', b'"head\\u002ebias"')
    header_edit("nul_in_name", b'"head.bias"', b'"head.bias\\u0000"')
    header_edit("escapes_in_metadata", variant,
                variant + b',"d\\n\\u001b[1m":"\\ud83d\\ude00\\"\\\\"')
    header_edit("lone_surrogate", variant, variant + b',"d":"\\ud800"')
    header_edit("nested_metadata", variant, variant + b',"d":{"a":["b"]}')
    header_edit("too_deep", variant, variant + b',"d":' + b"[" * 3000 + b"]" * 3000)
    header_edit("offset_past_int64", b'"data_offsets":[0,',
                b'"data_offsets":[18446744073709551616,')
    header_edit("offset_real", b'"data_offsets":[0,', b'"data_offsets":[0.0,')
    header_edit("dimension_past_int", b'"shape":[2,3,9,9]', b'"shape":[2,3,9,2147483648]')


if __name__ == "__main__":
    main()
