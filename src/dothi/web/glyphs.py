"""The glyphs of the map's labels: signed distance fields of Noto Sans in MapLibre's format.

MapLibre draws text from glyph sheets it fetches by font stack and by range of 256 code
points (``/static/glyphs/Noto Sans Regular/7680-7935.pbf``). Dothi makes them from the Noto
Sans font the PDF sheets use (Debian ``fonts-noto-core``, every letter of Vietnamese), the
way MapLibre's own generator does: 24 px glyphs, a 3 px buffer, a distance of 8 px across
the edge. A range is made on first request (about a second) and kept in memory; a machine
without the font answers empty ranges, and the map draws no labels rather than failing.
"""

from __future__ import annotations

import functools
import logging
import re
from pathlib import Path

import numpy as np
from fontTools.ttLib import TTFont  # type: ignore[import-untyped]
from PIL import Image, ImageDraw, ImageFont

from dothi.errors import NotFound

log = logging.getLogger("dothi.web")

#: Where Debian puts Noto Sans (the same places the PDF kit looks).
_FONT_DIRS = (Path("/usr/share/fonts/truetype/noto"), Path("/usr/share/fonts/noto"))
SIZE, BUFFER, RADIUS, CUTOFF = 24, 3, 8.0, 0.25
#: MapLibre places a glyph from the top of its line box, 27.5 px above the baseline at 24 px
#: (its own local glyph generator uses the same offset).
_TOP_OFFSET = 27.5
_RANGE = re.compile(r"(\d{1,5})-(\d{1,5})")


def _font_file(bold: bool) -> Path | None:
    name = "NotoSans-Bold.ttf" if bold else "NotoSans-Regular.ttf"
    for folder in _FONT_DIRS:
        if (folder / name).is_file():
            return folder / name
    return None


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _field(number: int, value: int | bytes | str, *, signed: bool = False) -> bytes:
    """One protocol-buffers field: a varint (zigzag when ``signed``) or bytes."""
    if isinstance(value, int):
        encoded = (value << 1) ^ (value >> 63) if signed else value
        return _varint(number << 3) + _varint(encoded)
    data = value.encode("utf-8") if isinstance(value, str) else value
    return _varint(number << 3 | 2) + _varint(len(data)) + data


def _distance_field(alpha: np.ndarray) -> np.ndarray:
    """The glyph's coverage (0–1) → its signed distance field, buffer included (uint8)."""
    padded = np.pad(alpha, BUFFER)
    inside = padded >= 0.5
    height, width = padded.shape
    ys, xs = np.mgrid[0:height, 0:width]
    points = np.stack([ys.ravel(), xs.ravel()], axis=1).astype(np.float32)
    flat = inside.ravel()

    def nearest(targets: np.ndarray) -> np.ndarray:
        if not len(targets):
            return np.full(len(points), RADIUS * 2, dtype=np.float32)
        diff = points[:, None, :] - targets[None, :, :]
        found: np.ndarray = np.sqrt((diff * diff).sum(axis=2).min(axis=1))
        return found

    # The nearest pixel of the other side is always on the edge: only edge pixels are tried.
    grown = np.zeros_like(inside)
    grown[1:, :] |= inside[:-1, :]
    grown[:-1, :] |= inside[1:, :]
    grown[:, 1:] |= inside[:, :-1]
    grown[:, :-1] |= inside[:, 1:]
    shrunk = np.ones_like(inside)
    shrunk[1:, :] &= inside[:-1, :]
    shrunk[:-1, :] &= inside[1:, :]
    shrunk[:, 1:] &= inside[:, :-1]
    shrunk[:, :-1] &= inside[:, 1:]
    inner_edge = (inside & ~shrunk).ravel()
    outer_edge = (grown & ~inside).ravel()
    to_inside, to_outside = nearest(points[inner_edge]), nearest(points[outer_edge])
    # Half a pixel puts the edge between the pixel centres.
    signed = np.where(flat, -(to_outside - 0.5), to_inside - 0.5)
    values = 255 - 255 * (signed / RADIUS + CUTOFF)
    return np.clip(np.rint(values), 0, 255).astype(np.uint8).reshape(height, width)


def _glyph(font: ImageFont.FreeTypeFont, code: int) -> bytes:
    char = chr(code)
    advance = round(font.getlength(char))
    left, top, right, bottom = (int(v) for v in font.getbbox(char, anchor="ls"))
    width, height = max(right - left, 0), max(bottom - top, 0)
    fields = [_field(1, code)]
    if width and height:
        image = Image.new("L", (width, height))
        ImageDraw.Draw(image).text((-left, -top), char, font=font, fill=255, anchor="ls")
        alpha = np.asarray(image, dtype=np.float32) / 255
        fields.append(_field(2, _distance_field(alpha).tobytes()))
    fields += [
        _field(3, width),
        _field(4, height),
        _field(5, left, signed=True),
        _field(6, round(-top - _TOP_OFFSET), signed=True),
        _field(7, advance),
    ]
    return b"".join(fields)


@functools.lru_cache(maxsize=64)
def _range_pbf(bold: bool, start: int, fontstack: str) -> bytes:
    path = _font_file(bold)
    glyphs = b""
    if path is None:
        log.warning("Noto Sans not found: map labels have no glyphs (install fonts-noto-core)")
    else:
        # The basic layout: one glyph at a time, no shaping library needed.
        font = ImageFont.truetype(str(path), SIZE, layout_engine=ImageFont.Layout.BASIC)
        cmap = TTFont(str(path), lazy=True).getBestCmap() or {}
        for code in range(start, start + 256):
            # Control characters and letters the font lacks are left out: MapLibre skips them.
            if code in cmap and code >= 0x20 and not 0x7F <= code < 0xA0:
                glyphs += _field(3, _glyph(font, code))
    stack = _field(1, fontstack) + _field(2, f"{start}-{start + 255}") + glyphs
    return _field(1, stack)


def glyph_pbf(fontstack: str, glyph_range: str) -> bytes:
    """The glyph sheet of ``glyph_range`` (``"0-255"``, ``"7680-7935"``…) for ``fontstack``
    (every stack is drawn with Noto Sans; bold when its first name says so)."""
    found = _RANGE.fullmatch(glyph_range)
    start = int(found.group(1)) if found else -1
    if found is None or start % 256 or int(found.group(2)) != start + 255 or start > 65280:
        raise NotFound("Không có dải ký tự này.", "No such glyph range.")
    first = fontstack.split(",")[0].strip()[:100]
    return _range_pbf("bold" in first.lower(), start, first)
