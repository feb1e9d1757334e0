#!/usr/bin/env python3
"""Regenerates the image-I/O test fixtures in Tests/MatSSLLiteTests/Fixtures/images/.

Every fixture is written by OTHER software than ours (Pillow, tifffile, ImageMagick's /usr/bin/convert,
or plain byte surgery for the bad inputs) and then re-read with Pillow/tifffile here to prove it holds
the pattern the Swift tests expect. Requirements: python3 with pillow, tifffile, numpy; ImageMagick 6;
libtiff-tools (tiffcp).

    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install pillow tifffile numpy
    /tmp/venv/bin/python scripts/make-fixtures.py

Patterns (the Swift tests compute the same formulas, see Tests/MatSSLLiteTests/ImageFixturePatterns.swift):
  W x H = 40 x 24 (TIFF, PNG), 32 x 24 (JPEG)
  p8(x, y)  = (x * 6 + y * 5) % 256
  p16(x, y) = (x * 1543 + y * 2731 + 7) % 65536
  rgb8(x, y) = (p8, 255 - p8, (x * y) % 256)
  rgb16(x, y) = (p16, 65535 - p16, (x * y * 97) % 65536)
  low(x, y, bits) = (x + 2 * y) % 2**bits
  palette index(x, y) = (x + 2 * y) % 8 with PALETTE below
  jpeg smooth j(x, y) = 40 + 4 * x + 3 * y  (gray; RGB JPEG: (j, 255 - j, 128))
  mask(x, y) = (x // 8 + y // 6) % 5
  p12(x, y) = (x * 97 + y * 131) % 4096, p10(x, y) = (x * 37 + y * 53) % 1024  (16-bit, signed, float files)

    /tmp/venv/bin/python scripts/make-fixtures.py deep bad   # only some groups
"""
import os, struct, subprocess, sys, zlib
import numpy as np
from PIL import Image
import tifffile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests", "MatSSLLiteTests", "Fixtures", "images")
CONVERT = "/usr/bin/convert"  # Debian's ImageMagick, not a stand-in
TIFFCP = "/usr/bin/tiffcp"    # Debian's libtiff-tools
W, H = 40, 24
JW, JH = 32, 24
PALETTE = [(0, 0, 0), (255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0), (0, 255, 255), (255, 0, 255), (128, 128, 128)]

yy, xx = np.mgrid[0:H, 0:W]
P8 = ((xx * 6 + yy * 5) % 256).astype(np.uint8)
P16 = ((xx * 1543 + yy * 2731 + 7) % 65536).astype(np.uint16)
RGB8 = np.stack([P8, 255 - P8, ((xx * yy) % 256).astype(np.uint8)], axis=-1).astype(np.uint8)
RGB16 = np.stack([P16, 65535 - P16, ((xx * yy * 97) % 65536).astype(np.uint16)], axis=-1).astype(np.uint16)
PIDX = ((xx + 2 * yy) % 8).astype(np.uint8)
P12 = ((xx * 97 + yy * 131) % 4096).astype(np.uint16)
P10 = ((xx * 37 + yy * 53) % 1024).astype(np.uint16)
MASK = ((xx // 8 + yy // 6) % 5).astype(np.uint8)
jy, jx = np.mgrid[0:JH, 0:JW]
J = (40 + 4 * jx + 3 * jy).astype(np.uint8)


def path(name):
    return os.path.join(OUT, name)


def low(bits):
    return ((xx + 2 * yy) % (1 << bits)).astype(np.uint8)


def colormap16():
    cm = np.zeros((3, 256), dtype=np.uint16)
    for i, (r, g, b) in enumerate(PALETTE):
        cm[:, i] = [r * 257, g * 257, b * 257]
    return cm


def check_tiff(name, expected):
    try:
        got = tifffile.imread(path(name), key=0)
    except ValueError:  # LZW without imagecodecs: verify with Pillow (libtiff) instead
        got = np.array(Image.open(path(name))).astype(expected.dtype)
    assert np.array_equal(got, expected), name


def check_pil(name, expected, mode=None):
    im = Image.open(path(name))
    if mode:
        im = im.convert(mode)
    got = np.array(im)
    assert np.array_equal(got, expected), (name, got.dtype, got.shape)


def im_lzw(array, name, photometric, extra=()):
    """LZW via ImageMagick (tifffile needs the imagecodecs package for LZW)."""
    tifffile.imwrite("/tmp/codecs-src.tif", array, photometric=photometric)
    subprocess.run([CONVERT, "/tmp/codecs-src.tif", *extra, "-compress", "LZW", path(name)], check=True)
    check_tiff(name, array)


def tiffs():
    im_lzw(P8, "gray8-lzw.tif", "minisblack", ["-define", "tiff:rows-per-strip=5"])
    im_lzw(P16, "gray16-lzw.tif", "minisblack", ["-define", "tiff:rows-per-strip=7"])
    im_lzw(P16, "gray16-tiled-lzw.tif", "minisblack", ["-define", "tiff:tile-geometry=16x16"])
    im_lzw(RGB8, "rgb8-lzw.tif", "rgb")
    Image.fromarray(P8, "L").save(path("gray8-packbits.tif"), compression="packbits")  # Pillow (libtiff)
    check_tiff("gray8-packbits.tif", P8)
    for comp in [None, "zlib"]:
        tag = comp or "none"
        tag = "deflate" if tag == "zlib" else tag
        tifffile.imwrite(path(f"gray8-{tag}.tif"), P8, photometric="minisblack", compression=comp, rowsperstrip=5)
        check_tiff(f"gray8-{tag}.tif", P8)
    for comp in [None, "zlib"]:
        tag = "deflate" if comp == "zlib" else (comp or "none")
        tifffile.imwrite(path(f"gray16-{tag}.tif"), P16, photometric="minisblack", compression=comp, rowsperstrip=7)
        check_tiff(f"gray16-{tag}.tif", P16)
    tifffile.imwrite(path("gray8-tiled-deflate.tif"), P8, photometric="minisblack", compression="zlib", tile=(16, 16))
    check_tiff("gray8-tiled-deflate.tif", P8)
    tifffile.imwrite(path("rgb8-tiled-none.tif"), RGB8, photometric="rgb", tile=(16, 16))
    check_tiff("rgb8-tiled-none.tif", RGB8)
    tifffile.imwrite(path("gray8-miniswhite.tif"), P8, photometric="miniswhite")
    check_tiff("gray8-miniswhite.tif", P8)  # stored values; decoded gray is 1 - p8/255
    tifffile.imwrite(path("rgb16-deflate.tif"), RGB16, photometric="rgb", compression="zlib")
    check_tiff("rgb16-deflate.tif", RGB16)
    rgba = np.concatenate([RGB8, np.full((H, W, 1), 77, np.uint8)], axis=-1)
    Image.fromarray(rgba, "RGBA").save(path("rgba8-packbits.tif"), compression="packbits")
    check_tiff("rgba8-packbits.tif", rgba)
    tifffile.imwrite(path("palette8.tif"), PIDX, photometric="palette", colormap=colormap16())
    check_tiff("palette8.tif", PIDX)
    with tifffile.TiffWriter(path("multipage3.tif")) as tw:
        tw.write(P8, photometric="minisblack")
        tw.write(255 - P8, photometric="minisblack")
        tw.write(P8 // 2, photometric="minisblack")
    check_tiff("multipage3.tif", P8)
    # Pixel sizes: 0.5 µm/px as 50800 px/inch and as 20000 px/cm; unit NONE gives no physical size.
    tifffile.imwrite(path("res-inch.tif"), P8, resolution=(50800, 50800), resolutionunit="INCH")
    tifffile.imwrite(path("res-cm.tif"), P8, resolution=(20000, 20000), resolutionunit="CENTIMETER")
    tifffile.imwrite(path("res-none.tif"), P8, resolution=(300, 300), resolutionunit="NONE")
    # FEI/Thermo: INI text in tag 34682; a 72-dpi resolution tag too, which must lose to the metadata.
    fei = "[User]\r\nDate=11/26/2026\r\n[Beam]\r\nHV=20000\r\n[Scan]\r\nInternalScan=1\r\nPixelWidth=2.5e-09\r\nPixelHeight=2.5e-09\r\n[Stage]\r\nStageX=0.001\r\n"
    tifffile.imwrite(path("fei-34682.tif"), P8, resolution=(72, 72), resolutionunit="INCH",
                     extratags=[(34682, "s", 0, fei, True)])
    # FEI/Thermo with its data bar: the scanned frame is 40 x 20 ([Image] ResolutionY), the last 4 of
    # the 24 rows are the bar the microscope appends.
    fei_bar = "[User]\r\nDate=11/27/2026\r\n[Image]\r\nResolutionX=40\r\nResolutionY=20\r\n[Scan]\r\nPixelWidth=5e-08\r\n"
    tifffile.imwrite(path("fei-databar.tif"), P8, extratags=[(34682, "s", 0, fei_bar, True)])
    check_tiff("fei-databar.tif", P8)
    # Zeiss SmartSEM: tag 34118 text; one ASCII in nm, one as BYTEs in Latin-1 with "µm".
    zeiss = "0\r\nAP_WD\r\nWD = 8.5 mm\r\nAP_IMAGE_PIXEL_SIZE\r\nImage Pixel Size = 2.5 nm\r\nAP_MAG\r\nMag = 50.00 K X\r\n"
    tifffile.imwrite(path("zeiss-34118-nm.tif"), P8, extratags=[(34118, "s", 0, zeiss, True)])
    zeiss_um = ("AP_IMAGE_PIXEL_SIZE\r\nImage Pixel Size = 1.25 \u00b5m\r\n").encode("latin-1")
    tifffile.imwrite(path("zeiss-34118-um-latin1.tif"), P8, extratags=[(34118, "B", len(zeiss_um), zeiss_um, True)])
    # ImageMagick: 16-bit gray, tiled, deflate.
    tifffile.imwrite("/tmp/codecs-p16.tif", P16, photometric="minisblack")
    subprocess.run([CONVERT, "/tmp/codecs-p16.tif", "-define", "tiff:tile-geometry=16x16", "-compress", "Zip", "-depth", "16",
                    path("im-gray16-tiled-zip.tif")], check=True)
    check_tiff("im-gray16-tiled-zip.tif", P16)


def pngs():
    Image.fromarray(P8, "L").save(path("gray8.png"))
    check_pil("gray8.png", P8)
    Image.fromarray(P16.astype(np.int32), "I").convert("I;16").save(path("gray16.png"))
    assert np.array_equal(np.array(Image.open(path("gray16.png"))).astype(np.uint16), P16)
    Image.fromarray((low(1) * 255).astype(np.uint8), "L").convert("1").save(path("gray1.png"))
    assert Image.open(path("gray1.png")).mode == "1"
    for bits in (2, 4):
        Image.fromarray(low(bits), "L").save(f"/tmp/codecs-low{bits}.pgm")
        # Scale to 8-bit so ImageMagick's -depth reduction keeps exact levels: v * 255 / (2^b - 1).
        scaled = (low(bits).astype(np.int32) * 255 // ((1 << bits) - 1)).astype(np.uint8)
        Image.fromarray(scaled, "L").save(f"/tmp/codecs-low{bits}.pgm")
        subprocess.run([CONVERT, f"/tmp/codecs-low{bits}.pgm", "-depth", str(bits), "-define", f"png:bit-depth={bits}",
                        "-define", "png:color-type=0", path(f"gray{bits}.png")], check=True)
        with open(path(f"gray{bits}.png"), "rb") as f:
            ihdr = f.read(33)
        assert ihdr[24] == bits and ihdr[25] == 0, (bits, ihdr[24], ihdr[25])
        check_pil(f"gray{bits}.png", scaled, "L")
    la = np.stack([P8, np.full_like(P8, 10)], axis=-1)
    Image.fromarray(la, "LA").save(path("gray-alpha8.png"))
    Image.fromarray(RGB8, "RGB").save(path("rgb8.png"))
    check_pil("rgb8.png", RGB8)
    rgba = np.concatenate([RGB8, np.full((H, W, 1), 3, np.uint8)], axis=-1)
    Image.fromarray(rgba, "RGBA").save(path("rgba8.png"))
    pal = Image.fromarray(PIDX, "P")
    pal.putpalette([c for rgb in PALETTE for c in rgb])
    pal.putpalette([c for rgb in PALETTE for c in rgb] + [0] * (3 * (256 - len(PALETTE))))
    pal.save(path("palette8.png"))  # 256 entries: Pillow writes an 8-bit palette
    with open(path("palette8.png"), "rb") as f:
        assert f.read(33)[24] == 8
    pal.putpalette([c for rgb in PALETTE for c in rgb])
    pal.save(path("palette4.png"), bits=4)
    with open(path("palette4.png"), "rb") as f:
        assert f.read(33)[24] == 4
    check_pil("palette4.png", PIDX)
    # 16-bit RGB and Adam7-interlaced via ImageMagick.
    tifffile.imwrite("/tmp/codecs-rgb16.tif", RGB16, photometric="rgb")
    subprocess.run([CONVERT, "/tmp/codecs-rgb16.tif", "-depth", "16", "PNG48:" + path("rgb16.png")], check=True)
    subprocess.run([CONVERT, path("gray8.png"), "-interlace", "PNG", "-define", "png:color-type=0", path("gray8-interlaced.png")], check=True)
    with open(path("gray8-interlaced.png"), "rb") as f:
        assert f.read(33)[28] == 1, "not interlaced"
    check_pil("gray8-interlaced.png", P8)
    Image.fromarray(P8, "L").save(path("phys-0.5um.png"), dpi=(50800, 50800))  # pHYs 2000000 px/m
    # Masks: 8-bit gray class ids and palette class ids; a 16-bit one to refuse.
    Image.fromarray(MASK, "L").save(path("mask-gray8.png"))
    m = Image.fromarray(MASK, "P")
    m.putpalette([c for rgb in PALETTE[:5] for c in rgb])
    m.save(path("mask-palette.png"))
    check_pil("mask-palette.png", MASK)
    Image.fromarray(MASK.astype(np.int32), "I").convert("I;16").save(path("mask-gray16.png"))


def jpegs():
    Image.fromarray(J, "L").save(path("gray-baseline.jpg"), quality=95)
    rgb = np.stack([J, 255 - J, np.full_like(J, 128)], axis=-1)
    Image.fromarray(rgb, "RGB").save(path("rgb-baseline.jpg"), quality=95)
    Image.fromarray(rgb, "RGB").save(path("rgb-progressive.jpg"), quality=95, progressive=True)
    Image.fromarray(rgb, "RGB").save(path("rgb-300dpi.jpg"), quality=95, dpi=(300, 300))
    subprocess.run([CONVERT, path("gray-baseline.jpg"), "-interlace", "JPEG", "-quality", "95", path("im-gray-progressive.jpg")], check=True)
    assert Image.open(path("im-gray-progressive.jpg")).info.get("progressive") or Image.open(path("im-gray-progressive.jpg")).info.get("progression")


def bad():
    def cut(src, dst, frac):
        data = open(path(src), "rb").read()
        open(path(dst), "wb").write(data[: int(len(data) * frac)])
    cut("rgb-baseline.jpg", "bad-truncated.jpg", 0.6)
    cut("rgb-progressive.jpg", "bad-truncated-progressive.jpg", 0.6)
    cut("rgb8.png", "bad-truncated.png", 0.6)
    cut("gray8-none.tif", "bad-truncated.tif", 0.5)
    cut("gray16-lzw.tif", "bad-truncated-lzw.tif", 0.6)
    open(path("bad-zero-bytes.png"), "wb").close()
    open(path("bad-zero-bytes.tif"), "wb").close()
    rng = np.random.default_rng(1234)
    open(path("bad-random-bytes.png"), "wb").write(rng.integers(0, 256, 2048, dtype=np.uint8).tobytes())
    open(path("bad-text.tif"), "w").write("This is not a TIFF file, just text somebody named .tif\n")
    open(path("bad-jpeg-named.png"), "wb").write(open(path("gray-baseline.jpg"), "rb").read())
    # PNG whose IHDR (valid CRC) claims 100000 x 100000.
    ihdr = struct.pack(">IIBBBBB", 100000, 100000, 8, 0, 0, 0, 0)
    chunk = lambda t, d: struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)
    idat = zlib.compress(b"\0" * 101)
    open(path("bad-huge.png"), "wb").write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b""))
    # Little-endian TIFF whose IFD claims 100000 x 100000 8-bit gray, one strip.
    entries = [(256, 4, 1, 100000), (257, 4, 1, 100000), (258, 3, 1, 8), (259, 3, 1, 1), (262, 3, 1, 1),
               (273, 4, 1, 8), (277, 3, 1, 1), (278, 4, 1, 100000), (279, 4, 1, 4000000000)]
    ifd = struct.pack("<H", len(entries))
    for tag, typ, count, value in entries:
        ifd += struct.pack("<HHI", tag, typ, count) + (struct.pack("<HH", value, 0) if typ == 3 else struct.pack("<I", value))
    ifd += struct.pack("<I", 0)
    hdr = b"II*\0" + struct.pack("<I", 8 + 64)
    open(path("bad-huge.tif"), "wb").write(hdr + b"\0" * 64 + ifd)
    # PNG with a corrupted IDAT byte (CRC mismatch).
    data = bytearray(open(path("gray8.png"), "rb").read())
    i = data.index(b"IDAT") + 8
    data[i] ^= 0xFF
    open(path("bad-crc.png"), "wb").write(bytes(data))
    # Half-float TIFF (valid, unsupported).
    tifffile.imwrite(path("bad-float16.tif"), (P8.astype(np.float16) / 255).astype(np.float16))
    assert tifffile.TiffFile(path("bad-float16.tif")).pages[0].bitspersample == 16


def bmp_header(name):
    """(info header size, bits per pixel, compression, height) of a BMP fixture."""
    d = open(path(name), "rb").read()
    dib = struct.unpack_from("<I", d, 14)[0]
    if dib == 12:
        return dib, struct.unpack_from("<H", d, 24)[0], 0, struct.unpack_from("<h", d, 20)[0]
    return dib, struct.unpack_from("<H", d, 28)[0], struct.unpack_from("<I", d, 30)[0], struct.unpack_from("<i", d, 22)[0]


def bmps():
    """Windows bitmaps, as some SEM software saves them: Pillow and ImageMagick writers."""
    Image.fromarray(P8, "L").save(path("gray8.bmp"))
    check_pil("gray8.bmp", P8, "L")
    assert bmp_header("gray8.bmp")[:3] == (40, 8, 0)
    im = Image.fromarray(PIDX, "P")
    im.putpalette([c for rgb in PALETTE for c in rgb])
    im.save(path("palette8.bmp"))
    check_pil("palette8.bmp", PIDX)
    Image.fromarray(RGB8, "RGB").save(path("rgb24.bmp"))
    check_pil("rgb24.bmp", RGB8, "RGB")
    assert bmp_header("rgb24.bmp")[1] == 24
    rgba = np.concatenate([RGB8, ((xx * 3) % 256).astype(np.uint8)[..., None]], axis=-1)
    Image.fromarray(rgba, "RGBA").save(path("rgba32.bmp"))
    check_pil("rgba32.bmp", RGB8, "RGB")  # Pillow reads the alpha of a 32-bit BMP back as opaque
    assert bmp_header("rgba32.bmp")[1] == 32
    Image.fromarray(low(1) * 255).convert("1").save(path("gray1.bmp"))
    check_pil("gray1.bmp", low(1) * 255, "L")
    assert bmp_header("gray1.bmp")[1] == 1
    # ImageMagick: a 4-bit palette (8 colours), 16-bit 5-6-5 bit fields, 5-5-5, the 12-byte OS/2 header.
    im.save("/tmp/codecs-pidx.png")
    subprocess.run([CONVERT, "/tmp/codecs-pidx.png", "-type", "Palette", "BMP3:" + path("im-palette4.bmp")], check=True)
    assert bmp_header("im-palette4.bmp")[1] == 4, bmp_header("im-palette4.bmp")
    check_pil("im-palette4.bmp", np.array(im.convert("RGB")), "RGB")
    Image.fromarray(RGB8, "RGB").save("/tmp/codecs-rgb8.png")
    subprocess.run([CONVERT, "/tmp/codecs-rgb8.png", "-define", "bmp:subtype=RGB565", path("im-rgb565.bmp")], check=True)
    assert bmp_header("im-rgb565.bmp")[1:3] == (16, 3), bmp_header("im-rgb565.bmp")
    subprocess.run([CONVERT, "/tmp/codecs-rgb8.png", "-define", "bmp:subtype=RGB555", path("im-rgb555.bmp")], check=True)
    assert bmp_header("im-rgb555.bmp")[1] == 16, bmp_header("im-rgb555.bmp")
    Image.fromarray(P8, "L").save("/tmp/codecs-p8.png")
    subprocess.run([CONVERT, "/tmp/codecs-p8.png", "-type", "Grayscale", "BMP2:" + path("im-os2-gray8.bmp")], check=True)
    assert bmp_header("im-os2-gray8.bmp")[0] == 12, bmp_header("im-os2-gray8.bmp")
    check_pil("im-os2-gray8.bmp", P8, "L")
    # Top-down (negative height): byte surgery on gray8.bmp, rows reversed. Pillow reads it back.
    d = bytearray(open(path("gray8.bmp"), "rb").read())
    off = struct.unpack_from("<I", d, 10)[0]
    stride = (W * 8 + 31) // 32 * 4
    rows = [d[off + i * stride: off + (i + 1) * stride] for i in range(H)]
    struct.pack_into("<i", d, 22, -H)
    d[off:off + H * stride] = b"".join(reversed(rows))
    open(path("topdown-gray8.bmp"), "wb").write(bytes(d))
    check_pil("topdown-gray8.bmp", P8, "L")
    # RLE8 as ImageMagick writes it for palette bitmaps; RLE4 encoded here (ImageMagick writes no
    # RLE4) with runs, absolute runs and end-of-line codes, checked by Pillow's decoder.
    subprocess.run([CONVERT, "/tmp/codecs-pidx.png", "-type", "Palette", "-colors", "256", "-compress", "RLE",
                    "BMP3:" + path("im-rle8.bmp")], check=True)
    assert bmp_header("im-rle8.bmp")[1:3] == (8, 1), bmp_header("im-rle8.bmp")
    check_pil("im-rle8.bmp", np.array(im.convert("RGB")), "RGB")
    write_rle4("rle4.bmp")
    assert bmp_header("rle4.bmp")[1:3] == (4, 2)
    check_pil("rle4.bmp", np.array(im.convert("RGB")), "RGB")
    # Bad: a truncated file, truncated RLE data, a BMP wrapping a JPEG (valid, unsupported).
    data = open(path("rgb24.bmp"), "rb").read()
    open(path("bad-truncated.bmp"), "wb").write(data[: len(data) - 700])
    data = open(path("im-rle8.bmp"), "rb").read()
    open(path("bad-truncated-rle8.bmp"), "wb").write(data[: len(data) - 60])
    d = bytearray(open(path("gray8.bmp"), "rb").read())
    struct.pack_into("<I", d, 30, 4)  # BI_JPEG
    open(path("bad-jpeg-in-bmp.bmp"), "wb").write(bytes(d))
    # A colour-table size that overflowed a signed int and the stack in the first version (found by
    # fuzzing): must be "corrupt", not a crash.
    d = bytearray(open(path("gray8.bmp"), "rb").read())
    struct.pack_into("<I", d, 46, 0xF0000000)
    open(path("bad-colours-used.bmp"), "wb").write(bytes(d))


def write_rle4(name):
    """PIDX (8 colours) as a bottom-up RLE4 bitmap: each row alternates an encoded run of the first
    two pixels' nibbles with an absolute run of the rest, then end of line; end of bitmap last."""
    rows = b""
    for y in reversed(range(H)):
        r = [int(v) for v in PIDX[y]]
        rows += bytes([2, r[0] << 4 | r[1]])  # encoded: 2 pixels alternating these nibbles
        rest = r[2:]
        packed = bytes((rest[i] << 4) | (rest[i + 1] if i + 1 < len(rest) else 0) for i in range(0, len(rest), 2))
        if len(packed) % 2:
            packed += b"\0"
        rows += bytes([0, len(rest)]) + packed + b"\0\0"  # absolute run, padded to 16 bits; end of line
    rows += b"\0\1"
    table = b"".join(bytes([b, g, r, 0]) for r, g, b in PALETTE) + b"\0" * 4 * 8
    info = struct.pack("<IiiHHIIiiII", 40, W, H, 1, 4, 2, len(rows), 2835, 2835, 16, 0)
    offset = 14 + len(info) + len(table)
    head = b"BM" + struct.pack("<IHHI", offset + len(rows), 0, 0, offset)
    open(path(name), "wb").write(head + info + table + rows)


def colour_layouts():
    """Colour TIFF layouts other software writes: JPEG-in-TIFF as YCbCr (libtiff's tiffcp; GDAL and
    cameras do the same) and separate colour planes (ImageMagick -interlace plane, tifffile)."""
    rgb = np.stack([J, 255 - J, np.full_like(J, 128)], axis=-1)
    # tifffile's own YCbCr JPEG writer stores RGB samples as if they were YCbCr: libtiff's tiffcp instead.
    tifffile.imwrite("/tmp/codecs-rgb-j.tif", rgb, photometric="rgb")
    subprocess.run([TIFFCP, "-c", "jpeg:95", "-r", "16", "/tmp/codecs-rgb-j.tif", path("rgb-jpeg-ycbcr.tif")], check=True)
    page = tifffile.TiffFile(path("rgb-jpeg-ycbcr.tif")).pages[0]
    assert page.photometric == 6 and page.compression == 7
    assert np.abs(np.array(Image.open(path("rgb-jpeg-ycbcr.tif")).convert("RGB")).astype(int) - rgb).max() <= 8
    Image.fromarray(RGB8, "RGB").save("/tmp/codecs-rgb8.png")
    subprocess.run([CONVERT, "/tmp/codecs-rgb8.png", "-type", "TrueColor", "-interlace", "plane", "-compress", "LZW",
                    path("im-rgb8-planar-lzw.tif")], check=True)
    page = tifffile.TiffFile(path("im-rgb8-planar-lzw.tif")).pages[0]
    assert page.planarconfig == 2, page.planarconfig
    check_pil("im-rgb8-planar-lzw.tif", RGB8, "RGB")
    tifffile.imwrite(path("rgb16-planar-tiled.tif"), np.moveaxis(RGB16, -1, 0), photometric="rgb", planarconfig="separate",
                     tile=(16, 16), compression="zlib")
    assert tifffile.TiffFile(path("rgb16-planar-tiled.tif")).pages[0].planarconfig == 2


def deep():
    """Deeper-than-8-bit, signed and float samples: what IntensityPolicy "auto" must map right."""
    # 12-bit detector values in a 16-bit file, no tag saying so (auto: 0...4095 from the data).
    tifffile.imwrite(path("gray12-in16.tif"), P12, photometric="minisblack")
    check_tiff("gray12-in16.tif", P12)
    # 10-bit values, but MaxSampleValue (281) declares 4095: the tag wins over the data.
    tifffile.imwrite(path("gray16-maxsample4095.tif"), P10, photometric="minisblack", extratags=[(281, "H", 1, 4095, True)])
    check_tiff("gray16-maxsample4095.tif", P10)
    assert tifffile.TiffFile(path("gray16-maxsample4095.tif")).pages[0].tags[281].value == 4095
    # Floats: 0...1 (as written by processing software), 0...255 (Fiji's 32-bit of an 8-bit image).
    tifffile.imwrite(path("float32-unit.tif"), P8.astype(np.float32) / 255)
    check_tiff("float32-unit.tif", P8.astype(np.float32) / 255)
    tifffile.imwrite(path("float32-8bit-range.tif"), P8.astype(np.float32))
    check_tiff("float32-8bit-range.tif", P8.astype(np.float32))
    nan = P8.astype(np.float32)
    nan[P8 > 250] = np.nan
    tifffile.imwrite(path("float32-nan.tif"), nan)
    assert np.array_equal(np.isnan(tifffile.imread(path("float32-nan.tif"))), P8 > 250)
    # Negative values: float64 and signed 16-bit.
    tifffile.imwrite(path("float64-negative.tif"), P8.astype(np.float64) - 100)
    check_tiff("float64-negative.tif", P8.astype(np.float64) - 100)
    tifffile.imwrite(path("int16-signed12.tif"), P12.astype(np.int16))
    check_tiff("int16-signed12.tif", P12.astype(np.int16))
    # 12-bit data whose last strips are cut off: the header reads, the data pass "auto" needs fails.
    tifffile.imwrite("/tmp/codecs-p12.tif", P12, photometric="minisblack", rowsperstrip=4)
    data = open("/tmp/codecs-p12.tif", "rb").read()
    assert tifffile.TiffFile("/tmp/codecs-p12.tif").pages[0].dataoffsets[0] > 200  # IFD first, strips last
    open(path("bad-truncated-deep.tif"), "wb").write(data[: len(data) - 500])


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    groups = {"tiffs": tiffs, "pngs": pngs, "jpegs": jpegs, "bad": bad, "deep": deep, "bmps": bmps,
              "colour_layouts": colour_layouts}
    for name in sys.argv[1:] or list(groups):  # e.g. `make-fixtures.py deep` regenerates one group
        groups[name]()
    total = sum(os.path.getsize(os.path.join(OUT, f)) for f in os.listdir(OUT))
    print(f"{len(os.listdir(OUT))} fixtures, {total} bytes in {OUT}")
