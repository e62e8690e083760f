#!/usr/bin/python3
"""Reference decodes for tests/data/image_reference_test.cpp: small image files of every format, bit
depth and colour type soma reads, and the pixels keras.utils.load_img gives for them.

PIL (Debian python3-pil) writes most files; the ones PIL cannot write (16-bit colour PNG, 1/2/4-bit
and interlaced PNG, 16-bit or odd-maxval PPM) are written byte by byte below. PIL then decodes every
file, converted as load_img converts it (Keras 3, keras/src/utils/image_utils.py):
    grayscale: img.convert("L") unless the mode is "L", "I;16" or "I";  rgb: convert("RGB");
    rgba: convert("RGBA").
Where soma differs by design the expected values say so ("rule=" in the options line):
  - 16-bit grey: PIL keeps 0..65535 (mode "I") and saturates when converting; soma returns uint8,
    so expected = the file's samples scaled to 8 bits (PNG: high byte, as PIL does for 16-bit RGB;
    PNM: round(v * 255 / maxval), as PIL does for PPM).
Run: /usr/bin/python3 tests/reference/images.py > tests/reference/images.txt
"""
import io
import random
import struct
import zlib

from PIL import Image

rng = random.Random(10)
BANDS = {"1": 1, "L": 1, "P": 1, "LA": 2, "RGB": 3, "RGBA": 4, "CMYK": 4}


def random_image(mode, w, h):
    if mode == "1":
        return random_image("L", w, h).convert("1")
    im = Image.frombytes(mode, (w, h), bytes(rng.randrange(256) for _ in range(w * h * BANDS[mode])))
    if mode == "P":
        im.putpalette([rng.randrange(256) for _ in range(768)])
    return im


def smooth_rgb(w, h):
    """A gradient with some texture: JPEG's errors on it stay small and realistic."""
    data = []
    for y in range(h):
        for x in range(w):
            data += [(x * 255) // max(1, w - 1), (y * 255) // max(1, h - 1), (x * y * 7 + rng.randrange(30)) % 256]
    return Image.frombytes("RGB", (w, h), bytes(data))


def pil_bytes(im, fmt, **kw):
    b = io.BytesIO()
    im.save(b, fmt, **kw)
    return b.getvalue()


def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_raw(w, h, depth, ctype, rows, interlace=False, palette=None, trns=None):
    """rows[y][x] is a tuple of samples; packed big-endian at `depth` bits, filter type 0."""
    def pack(pixels):
        if depth == 16:
            return b"".join(struct.pack(">H", s) for p in pixels for s in p)
        if depth == 8:
            return bytes(s for p in pixels for s in p)
        bits, acc, n = [], 0, 0
        for p in pixels:
            for s in p:
                acc, n = (acc << depth) | s, n + depth
                if n == 8:
                    bits.append(acc)
                    acc, n = 0, 0
        if n:
            bits.append(acc << (8 - n))
        return bytes(bits)

    raw = b""
    if interlace:
        passes = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
        for x0, y0, dx, dy in passes:
            xs = list(range(x0, w, dx))
            if not xs:
                continue
            for y in range(y0, h, dy):
                raw += b"\0" + pack([rows[y][x] for x in xs])
    else:
        for y in range(h):
            raw += b"\0" + pack(rows[y])
    out = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, depth, ctype, 0, 0, int(interlace)))
    if palette:
        out += chunk(b"PLTE", bytes(palette))
    if trns is not None:
        out += chunk(b"tRNS", trns)
    return out + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def random_rows(w, h, channels, maximum):
    return [[tuple(rng.randrange(maximum + 1) for _ in range(channels)) for _ in range(w)] for _ in range(h)]


def keras_modes(data):
    im = Image.open(io.BytesIO(data))
    im.load()
    gray = im if im.mode in ("L", "I;16", "I") else im.convert("L")
    return {"grayscale": gray, "rgb": im.convert("RGB"), "rgba": im.convert("RGBA")}


def values(im):
    return list(im.tobytes()) if im.mode != "I" else None


def emit(name, fmt, data, expected, rule="pil"):
    h, w = expected["rgb"][0], expected["rgb"][1]
    print(f"case {name}")
    print(f"options format={fmt} rule={rule}")
    print(f"tensor file 1 {len(data)} " + " ".join(str(b) for b in data))
    for mode, channels in (("grayscale", 1), ("rgb", 3), ("rgba", 4)):
        vals = expected[mode][2]
        assert len(vals) == h * w * channels, (name, mode, len(vals))
        print(f"tensor {mode} 3 {h} {w} {channels} " + " ".join(str(v) for v in vals))
    print("end")


def emit_pil(name, fmt, data):
    modes = keras_modes(data)
    w, h = modes["rgb"].size
    emit(name, fmt, data, {m: (h, w, values(im)) for m, im in modes.items()})


def emit_grey16(name, fmt, data, samples8):
    """16-bit grey (see the docstring): PIL's decoded 16-bit samples are checked, the 8-bit ones given."""
    h, w = len(samples8), len(samples8[0])
    flat = [v for row in samples8 for v in row]
    emit(name, fmt, data,
         {"grayscale": (h, w, flat), "rgb": (h, w, [v for v in flat for _ in range(3)]),
          "rgba": (h, w, [c for v in flat for c in (v, v, v, 255)])}, rule="grey16")


# PNG written by PIL.
for mode in ("L", "LA", "RGB", "RGBA", "P", "1"):
    emit_pil(f"png_{mode}", "png", pil_bytes(random_image(mode, 7, 5), "PNG"))
im = random_image("P", 6, 3)
emit_pil("png_P_transparency", "png", pil_bytes(im, "PNG", transparency=bytes(rng.randrange(256) for _ in range(256))))
im = random_image("RGB", 6, 3)
emit_pil("png_RGB_trns", "png", pil_bytes(im, "PNG", transparency=im.getpixel((1, 1))))
im = random_image("L", 6, 3)
emit_pil("png_L_trns", "png", pil_bytes(im, "PNG", transparency=im.getpixel((2, 0))))

# PNG written here: depths and layouts PIL does not write.
for ctype, channels, name in ((2, 3, "RGB16"), (6, 4, "RGBA16"), (4, 2, "LA16")):
    emit_pil(f"png_{name}", "png", png_raw(5, 4, 16, ctype, random_rows(5, 4, channels, 65535)))
for depth in (1, 2, 4):
    emit_pil(f"png_grey{depth}", "png", png_raw(9, 3, depth, 0, random_rows(9, 3, 1, (1 << depth) - 1)))
    pal = [rng.randrange(256) for _ in range(3 << depth)]
    emit_pil(f"png_palette{depth}", "png", png_raw(9, 3, depth, 3, random_rows(9, 3, 1, (1 << depth) - 1), palette=pal))
emit_pil("png_RGB_interlaced", "png", png_raw(11, 10, 8, 2, random_rows(11, 10, 3, 255), interlace=True))
emit_pil("png_RGBA16_interlaced", "png", png_raw(9, 9, 16, 6, random_rows(9, 9, 4, 65535), interlace=True))
grey = random_rows(7, 3, 1, 65535)
data = png_raw(7, 3, 16, 0, grey)
assert list(Image.open(io.BytesIO(data)).getdata()) == [p[0] for row in grey for p in row]
emit_grey16("png_grey16", "png", data, [[p[0] >> 8 for p in row] for row in grey])

# JPEG: baseline 4:2:0 and 4:4:4 with sizes that are not whole MCUs, grey, progressive, CMYK.
emit_pil("jpeg_420", "jpeg", pil_bytes(smooth_rgb(19, 13), "JPEG", quality=90))
emit_pil("jpeg_444", "jpeg", pil_bytes(smooth_rgb(9, 7), "JPEG", quality=95, subsampling=0))
emit_pil("jpeg_grey", "jpeg", pil_bytes(smooth_rgb(10, 9).convert("L"), "JPEG", quality=90))
emit_pil("jpeg_progressive", "jpeg", pil_bytes(smooth_rgb(21, 17), "JPEG", quality=85, progressive=True))
emit_pil("jpeg_cmyk", "jpeg", pil_bytes(random_image("CMYK", 8, 6), "JPEG", quality=95))

# BMP: 24-bit with row padding, 32-bit (PIL reads BI_RGB's fourth byte as padding), 8-bit palette, 1-bit.
emit_pil("bmp_24", "bmp", pil_bytes(random_image("RGB", 7, 5), "BMP"))
emit_pil("bmp_32", "bmp", pil_bytes(random_image("RGBA", 5, 3), "BMP"))
emit_pil("bmp_8", "bmp", pil_bytes(random_image("P", 6, 4), "BMP"))
emit_pil("bmp_1", "bmp", pil_bytes(random_image("1", 13, 3), "BMP"))

# TGA: grey, RGB, RGBA, colour-mapped, and RLE.
for mode in ("L", "RGB", "RGBA", "P"):
    emit_pil(f"tga_{mode}", "tga", pil_bytes(random_image(mode, 6, 4), "TGA"))
im = random_image("RGB", 40, 3)
im.paste((9, 8, 7), (3, 0, 30, 2))  # runs for the RLE encoder
emit_pil("tga_RGB_rle", "tga", pil_bytes(im, "TGA", compression="tga_rle"))
emit_pil("tga_RGBA_rle", "tga", pil_bytes(random_image("RGBA", 5, 4), "TGA", compression="tga_rle"))

# GIF (first frame), opaque and with a transparent palette entry.
emit_pil("gif_P", "gif", pil_bytes(random_image("P", 7, 6), "GIF"))
im = random_image("P", 8, 5)
emit_pil("gif_P_transparency", "gif", pil_bytes(im, "GIF", transparency=im.getpixel((3, 2))))

# PGM/PPM: 8-bit by PIL; 16-bit and odd maxval by hand.
emit_pil("pgm_8", "pnm", pil_bytes(random_image("L", 7, 3), "PPM"))
emit_pil("ppm_8", "pnm", pil_bytes(random_image("RGB", 7, 3), "PPM"))
for maxval in (65535, 1000, 100):
    rows = random_rows(5, 2, 3, maxval)
    sample = ">H" if maxval > 255 else ">B"
    body = b"".join(struct.pack(sample, s) for row in rows for p in row for s in p)
    emit_pil(f"ppm_max{maxval}", "pnm", b"P6\n# soma\n5 2\n%d\n" % maxval + body)
for maxval in (65535, 1000):
    rows = random_rows(4, 3, 1, maxval)
    data = b"P5 4 3 %d\n" % maxval + b"".join(struct.pack(">H", p[0]) for row in rows for p in row)
    emit_grey16(f"pgm_max{maxval}", "pnm", data, [[round(p[0] / maxval * 255) for p in row] for row in rows])
rows = random_rows(4, 3, 1, 100)
emit_pil("pgm_max100", "pnm", b"P5 4 3 100\n" + bytes(p[0] for row in rows for p in row))
