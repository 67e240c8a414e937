#!/usr/bin/python3
"""Write a CIFAR-10 binary folder out as an image folder of PNGs:

    scripts/cifar_to_folder.py CIFAR_DIR OUT_DIR [--per-class N]

OUT_DIR/train/<class>/<index>.png from data_batch_*.bin and OUT_DIR/test/...
from test_batch.bin, class folders named from batches.meta.txt. For trying
`--data folder:OUT_DIR` on real images (the tests use it on the project's
CIFAR-10 sample). PNGs are written with zlib alone (no imaging library needed).
"""
import os
import struct
import sys
import zlib


def png_bytes(rgb, w, h):
    raw = b"".join(b"\x00" + rgb[y * w * 3:(y + 1) * w * 3] for y in range(h))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b""))


def main():
    args = sys.argv[1:]
    per_class = None
    if "--per-class" in args:
        i = args.index("--per-class")
        per_class = int(args[i + 1])
        del args[i:i + 2]
    if len(args) != 2:
        sys.exit(__doc__)
    src, out = args
    names = [l.strip() for l in open(os.path.join(src, "batches.meta.txt")) if l.strip()]
    splits = {"train": [f"data_batch_{i}.bin" for i in range(1, 6)], "test": ["test_batch.bin"]}
    for split, files in splits.items():
        counts = [0] * len(names)
        k = 0
        for f in files:
            data = open(os.path.join(src, f), "rb").read()
            for r in range(len(data) // 3073):
                rec = data[r * 3073:(r + 1) * 3073]
                label = rec[0]
                if per_class is not None and counts[label] >= per_class:
                    continue
                planes = rec[1:]
                rgb = bytes(planes[c * 1024 + p] for p in range(1024) for c in range(3))
                d = os.path.join(out, split, names[label])
                os.makedirs(d, exist_ok=True)
                with open(os.path.join(d, f"{k:05d}.png"), "wb") as fh:
                    fh.write(png_bytes(rgb, 32, 32))
                counts[label] += 1
                k += 1
        print(f"{split}: {k} images", file=sys.stderr)


if __name__ == "__main__":
    main()
