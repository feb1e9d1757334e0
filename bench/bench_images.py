"""Image input for the ONNX engines, matching what matssl-agent's int8 segmenter sees.

Our decoder gives gray floats value / (2^bits - 1) (JPEG: libjpeg's own grayscale output, i.e. the
Y channel); TiledSegmenter quantizes them to round(x * 255) and pads to multiples of 32 by edge
replication. load_gray() reproduces that: float32 [1, 1, Hp, Wp] = round(x * 255) / 255, padded.
"""
import numpy as np
import tifffile
from PIL import Image


def load_gray(path):
    """-> (x [1, 1, Hp, Wp] float32 in [0, 1], height, width)."""
    if path.lower().endswith((".tif", ".tiff")):
        a = tifffile.imread(path)
        if a.ndim == 3:
            raise ValueError(f"{path}: only gray TIFFs are supported by this benchmark")
        bits = 16 if a.dtype == np.uint16 else 8
        x = a.astype(np.float32) / np.float32(2 ** bits - 1)
    else:
        im = Image.open(path)
        if im.format == "JPEG":
            im.draft("L", im.size)  # libjpeg decodes straight to gray (JCS_GRAYSCALE), as ours does
        im = im.convert("L")
        x = np.asarray(im, np.float32) / np.float32(255)
    h, w = x.shape
    q = np.clip(np.rint(x * 255), 0, 255).astype(np.float32) / np.float32(255)
    hp, wp = -(-h // 32) * 32, -(-w // 32) * 32
    q = np.pad(q, ((0, hp - h), (0, wp - w)), mode="edge")
    return q[None, None], h, w


def make_big_tiff(path, sources, size=4096):
    """Writes a size x size 16-bit gray TIFF (uncompressed) tiled from the source micrographs."""
    tiles = [load_gray(s) for s in sources]
    th, tw = min(t[1] for t in tiles), min(t[2] for t in tiles)
    rows = []
    k = 0
    for _ in range(-(-size // th)):
        row = []
        for _ in range(-(-size // tw)):
            x, _, _ = tiles[k % len(tiles)]
            row.append(x[0, 0, :th, :tw])
            k += 1
        rows.append(np.concatenate(row, axis=1))
    mosaic = np.concatenate(rows, axis=0)[:size, :size]
    tifffile.imwrite(path, np.rint(mosaic * 65535).astype(np.uint16), photometric="minisblack")
