#!/usr/bin/env python3
"""Regenerates samples/: a small synthetic two-phase "micrograph" for the README's `inspect` example.

Made by ImageMagick (/usr/bin/convert, seeded noise, blurred and thresholded into two phases plus
texture) and tifffile (16-bit TIFF with an FEI/Thermo tag 34682 giving 50 nm pixels). Not real data.

    /tmp/venv/bin/python scripts/make-samples.py
"""
import os, subprocess
import numpy as np
import tifffile
from PIL import Image

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "samples")
os.makedirs(OUT, exist_ok=True)
base = "/tmp/matssl-sample-base.png"
subprocess.run(["/usr/bin/convert", "-seed", "42", "-size", "256x192", "xc:gray50", "+noise", "Random", "-colorspace", "gray",
                "-blur", "0x5", "-auto-level", "-threshold", "55%", "-blur", "0x1", "-depth", "8", base], check=True)
phases = np.array(Image.open(base).convert("L")).astype(np.float64) / 255
rng = np.random.default_rng(42)
texture = rng.normal(0, 0.04, phases.shape)
img16 = np.clip((0.25 + 0.5 * phases + texture) * 65535, 0, 65535).astype(np.uint16)
fei = "[User]\r\nUser=sample\r\n[Scan]\r\nPixelWidth=5e-08\r\nPixelHeight=5e-08\r\n"
tifffile.imwrite(os.path.join(OUT, "synthetic-sem.tif"), img16, photometric="minisblack", compression="zlib",
                 extratags=[(34682, "s", 0, fei, True)])
Image.fromarray((img16 >> 8).astype(np.uint8), "L").save(os.path.join(OUT, "synthetic-sem.jpg"), quality=90)
Image.fromarray((phases > 0.5).astype(np.uint8), "L").save(os.path.join(OUT, "synthetic-sem-mask.png"))
print(sorted(os.listdir(OUT)))
