"""The WebMercatorQuad tile grid (lưới ô bản đồ): tile ↔ lon/lat and EPSG:3857 bounds.

Tiles are numbered the XYZ way (OGC API – Tiles ``tileMatrix/tileRow/tileCol``): row 0 is
the northern edge, matrix ``z`` has ``2**z`` × ``2**z`` tiles. The formulas are those of
spherical Mercator, which is exactly what EPSG:3857 is.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from dothi.errors import InvalidInput, NotFound

TILE_MATRIX_SET = "WebMercatorQuad"
MIN_ZOOM = 0
MAX_ZOOM = 22
#: Half the width of the world in EPSG:3857 metres (π × the WGS 84 semi-major axis).
ORIGIN = math.pi * 6_378_137.0
#: The latitude where the square Mercator world ends (±85.0511…°).
MAX_LATITUDE = math.degrees(math.atan(math.sinh(math.pi)))

Bounds = tuple[float, float, float, float]


def mercator_to_lonlat(x: float, y: float) -> tuple[float, float]:
    """EPSG:3857 metres → WGS 84 lon/lat degrees."""
    lon = math.degrees(x / 6_378_137.0)
    lat = math.degrees(math.atan(math.sinh(y / 6_378_137.0)))
    return lon, lat


def lonlat_to_mercator(lon: float, lat: float) -> tuple[float, float]:
    """WGS 84 lon/lat degrees → EPSG:3857 metres (latitude clamped to the Mercator square)."""
    lat = max(-MAX_LATITUDE, min(MAX_LATITUDE, lat))
    x = math.radians(lon) * 6_378_137.0
    y = math.log(math.tan(math.pi / 4 + math.radians(lat) / 2)) * 6_378_137.0
    return x, y


@dataclass(frozen=True)
class Tile:
    """One tile of the grid: zoom ``z``, column ``x`` (west → east), row ``y`` (north → south)."""

    z: int
    x: int
    y: int

    @property
    def size(self) -> float:
        """Width (= height) of the tile in EPSG:3857 metres."""
        return 2 * ORIGIN / (1 << self.z)

    def mercator_bounds(self, buffer: float = 0.0) -> Bounds:
        """``(minx, miny, maxx, maxy)`` in EPSG:3857, grown by ``buffer`` tile widths a side."""
        size, grow = self.size, buffer * self.size
        # Each edge from its own index: neighbouring tiles share exactly the same edge.
        return (
            -ORIGIN + self.x * size - grow,
            ORIGIN - (self.y + 1) * size - grow,
            -ORIGIN + (self.x + 1) * size + grow,
            ORIGIN - self.y * size + grow,
        )

    def lonlat_bounds(self, buffer: float = 0.0) -> Bounds:
        """``(west, south, east, north)`` in WGS 84 degrees, optionally grown as above.

        A Mercator rectangle is a lon/lat rectangle, so this box selects exactly the
        features that can reach the (buffered) tile.
        """
        minx, miny, maxx, maxy = self.mercator_bounds(buffer)
        west, south = mercator_to_lonlat(minx, miny)
        east, north = mercator_to_lonlat(maxx, maxy)
        return (west, max(-90.0, south), east, min(90.0, north))


def tile_for_lonlat(lon: float, lat: float, z: int) -> Tile:
    """The tile of zoom ``z`` that holds the point (edges belong to the east/south tile)."""
    check_zoom(z)
    n = 1 << z
    mx, my = lonlat_to_mercator(lon, lat)
    x = int((mx + ORIGIN) / (2 * ORIGIN) * n)
    y = int((ORIGIN - my) / (2 * ORIGIN) * n)
    return Tile(z, min(max(x, 0), n - 1), min(max(y, 0), n - 1))


def tiles_for_bounds(bounds: Bounds, z: int) -> list[Tile]:
    """Every tile of zoom ``z`` that meets the lon/lat box ``(west, south, east, north)``."""
    west, south, east, north = bounds
    nw = tile_for_lonlat(west, north, z)
    se = tile_for_lonlat(east, south, z)
    return [Tile(z, x, y) for y in range(nw.y, se.y + 1) for x in range(nw.x, se.x + 1)]


def check_zoom(z: int) -> int:
    """Return ``z`` if the grid has that zoom level; :class:`NotFound` otherwise."""
    if not MIN_ZOOM <= z <= MAX_ZOOM:
        raise NotFound(
            f"Mức thu phóng {z} không có trong lưới {TILE_MATRIX_SET} "
            f"(từ {MIN_ZOOM} đến {MAX_ZOOM}).",
            f"Zoom level {z} is not in the {TILE_MATRIX_SET} grid ({MIN_ZOOM} to {MAX_ZOOM}).",
            code="NotFound",
        )
    return z


def _integer(name_vi: str, name_en: str, text: str | int) -> int:
    if isinstance(text, int):
        return text
    # Only plain decimal digits: int() would also take "+3", " 3" or "٣".
    if not (text.isascii() and text.isdigit()) or len(text) > 9:
        raise InvalidInput(
            f"{name_vi} «{text}» không hợp lệ: cần một số nguyên không âm.",
            f"Invalid {name_en} '{text}': expected a non-negative integer.",
            code="InvalidParameterValue",
        )
    return int(text)


def parse_tile(z: str | int, x: str | int, y: str | int) -> Tile:
    """A tile from the ``z/x/y`` of a URL.

    Text that is not a non-negative integer is :class:`InvalidInput` (400); a zoom, column
    or row outside the grid is :class:`NotFound` (404), as OGC API – Tiles asks.
    """
    zoom = check_zoom(_integer("Mức thu phóng (z)", "zoom level (z)", z))
    col = _integer("Cột ô (x)", "tile column (x)", x)
    row = _integer("Hàng ô (y)", "tile row (y)", y)
    n = 1 << zoom
    if col >= n or row >= n:
        raise NotFound(
            f"Không có ô {zoom}/{col}/{row}: ở mức {zoom}, cột và hàng từ 0 đến {n - 1}.",
            f"No tile {zoom}/{col}/{row}: at zoom {zoom} columns and rows run from 0 to {n - 1}.",
            code="NotFound",
        )
    return Tile(zoom, col, row)
