"""Geometry checks on import: parse, reproject to WGS 84, type, validity, extent.

All work is vectorised with shapely over a batch; only the few invalid or mixed
geometries are handled one by one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pyproj
import shapely
from shapely.geometry.base import BaseGeometry

from dothi.errors import InvalidInput
from dothi.geo import crs as crsmod
from dothi.geo.extent import vietnam_extent
from dothi.geo.transform import mover

Projector = Callable[[np.ndarray[Any, Any]], np.ndarray[Any, Any]]

# shapely type ids: 0 Point, 1 LineString, 2 LinearRing, 3 Polygon, 4 MultiPoint,
# 5 MultiLineString, 6 MultiPolygon, 7 GeometryCollection
_FAMILY = {
    0: "Point",
    4: "Point",
    1: "LineString",
    2: "LineString",
    5: "LineString",
    3: "Polygon",
    6: "Polygon",
}
_OGR_FAMILY = {
    "point": "Point",
    "multipoint": "Point",
    "linestring": "LineString",
    "multilinestring": "LineString",
    "polygon": "Polygon",
    "multipolygon": "Polygon",
}


def layer_type_for(ogr_type: str) -> str:
    """The layer geometry type for a file's declared geometry type (``Geometry`` if mixed)."""
    base = ogr_type.lower().replace(" ", "").removesuffix("z").removesuffix("m")
    base = base.removesuffix("25d").removesuffix("z")
    return _OGR_FAMILY.get(base, "Geometry")


def projector(src: pyproj.CRS | None) -> Projector | None:
    """A function mapping (n, 2) source coordinates to WGS 84 lon/lat, or None if no-op."""
    if src is None or crsmod.is_geographic_wgs84(src):
        return None
    return mover(src, pyproj.CRS.from_epsg(4326))


@dataclass
class PreparedGeometries:
    """WGS 84 geometries of a batch with what happened to each problem row."""

    geoms: np.ndarray[Any, Any]
    #: True while the geometries are exactly those of the input WKB (no change at all).
    unchanged: bool = True
    #: (n, 4) lon/lat bounds of every row (NaN where there is no geometry).
    bounds: np.ndarray[Any, Any] = field(default_factory=lambda: np.empty((0, 4)))
    errors: dict[int, str] = field(default_factory=dict)
    repaired: dict[int, str] = field(default_factory=dict)
    flags: dict[int, str] = field(default_factory=dict)


def _bare_coordinates_refusal(sample: BaseGeometry) -> InvalidInput:
    x, y = shapely.get_coordinates(sample)[0]
    return InvalidInput(
        f"Tọa độ (X={x:.3f}, Y={y:.3f}) không phải kinh độ/vĩ độ mà tệp không khai báo hệ "
        "tọa độ. Dothi không đoán hệ tọa độ: hãy chỉ rõ bằng --crs, ví dụ "
        "--crs vn2000-tm3:<mã hoặc tên tỉnh> hoặc --crs EPSG:9210.",
        f"The coordinates (X={x:.3f}, Y={y:.3f}) are not longitude/latitude and the file "
        "declares no CRS. Dothi does not guess a CRS: give it with --crs, e.g. "
        "--crs vn2000-tm3:<province code or name> or --crs EPSG:9210.",
        code="MissingCRS",
    )


def _keep_family(g: BaseGeometry, family: str) -> BaseGeometry | None:
    """The part of ``g`` of the wanted family, as one (multi) geometry, or None."""
    parts = [p for p in shapely.get_parts(g) if _FAMILY.get(shapely.get_type_id(p)) == family]
    parts = [q for p in parts for q in shapely.get_parts(p)]  # flatten multi-parts
    if not parts:
        return None
    if len(parts) == 1:
        return parts[0]
    maker = {"Point": shapely.multipoints, "LineString": shapely.multilinestrings}.get(
        family, shapely.multipolygons
    )
    return maker(parts)


def prepare(
    wkb: np.ndarray[Any, Any],
    to_wgs84: Projector | None,
    src_crs: pyproj.CRS | None,
    layer_type: str,
) -> PreparedGeometries:
    """Parse, reproject and check one batch of WKB geometries for a layer.

    Everything is done on whole arrays; only the rare rows that need a repair or a
    message are handled one by one.
    """
    geoms = shapely.from_wkb(wkb, on_invalid="ignore")
    out = PreparedGeometries(geoms=geoms)
    if (shapely.has_z(geoms) | shapely.has_m(geoms)).any():
        # Heights and measures are not kept: layers are 2D, as their spatial index is.
        geoms = out.geoms = shapely.force_2d(geoms)
        out.unchanged = False
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    for i in np.flatnonzero(missing):
        out.errors[int(i)] = "thiếu hình học hoặc rỗng / missing, unreadable or empty geometry"
    present = ~missing
    bounds = shapely.bounds(geoms)
    if src_crs is None or src_crs.is_geographic:
        bad = present & (
            (np.abs(bounds[:, [0, 2]]) > 180).any(axis=1)
            | (np.abs(bounds[:, [1, 3]]) > 90).any(axis=1)
        )
        if bad.any():
            raise _bare_coordinates_refusal(geoms[np.flatnonzero(bad)[0]])
    if to_wgs84 is not None:
        geoms[present] = shapely.transform(geoms[present], to_wgs84)
        bounds = shapely.bounds(geoms)
        out.unchanged = False
    changed: list[int] = []
    if layer_type != "Geometry":
        wanted = [t for t, fam in _FAMILY.items() if fam == layer_type]
        ids = shapely.get_type_id(geoms)
        for i in np.flatnonzero(present & ~np.isin(ids, wanted)):
            row = int(i)
            kept = _keep_family(geoms[row], layer_type) if ids[row] == 7 else None
            if kept is None:
                name = geoms[row].geom_type
                out.errors[row] = (
                    f"kiểu hình học {name} không khớp lớp {layer_type} / geometry type "
                    f"{name} does not match layer type {layer_type}"
                )
                continue
            geoms[row] = kept
            changed.append(row)
            out.repaired[row] = (
                f"tập hình học hỗn hợp: giữ phần {layer_type} / mixed collection: "
                f"kept the {layer_type} parts"
            )
    ok = present.copy()
    ok[list(out.errors)] = False
    changed += _repair_invalid(out, ok, layer_type)
    if changed:
        out.unchanged = False
        bounds[changed] = shapely.bounds(geoms[changed])
    out.bounds = bounds
    _flag_outside(out, present)
    return out


def _repair_invalid(out: PreparedGeometries, ok: np.ndarray[Any, Any], family: str) -> list[int]:
    """Make invalid geometries valid where that is safe; returns the rows changed."""
    geoms = out.geoms
    invalid = ok & ~shapely.is_valid(geoms)
    changed = []
    for i in np.flatnonzero(invalid):
        row = int(i)
        reason = shapely.is_valid_reason(geoms[row])
        fixed = shapely.make_valid(geoms[row])
        if family != "Geometry":
            fixed = _keep_family(fixed, family)
        # Safe only when the repair keeps the geometry's kind and something of it.
        if fixed is None or fixed.is_empty or not fixed.is_valid:
            out.errors[row] = f"hình học không hợp lệ / invalid geometry: {reason}"
            continue
        geoms[row] = fixed
        changed.append(row)
        out.repaired[row] = f"đã sửa hình học / geometry repaired: {reason}"
    return changed


def _flag_outside(out: PreparedGeometries, present: np.ndarray[Any, Any]) -> None:
    minx, miny, maxx, maxy = vietnam_extent()
    b = out.bounds
    outside = present & ((b[:, 0] < minx) | (b[:, 2] > maxx) | (b[:, 1] < miny) | (b[:, 3] > maxy))
    for k in np.flatnonzero(outside):
        row = int(k)
        if row not in out.errors:
            out.flags[row] = (
                "tọa độ nằm ngoài lãnh thổ Việt Nam / coordinates outside Vietnam's extent"
            )


def flag_reasons(flags: dict[int, str]) -> Iterable[tuple[int, str]]:
    """The flagged rows of a batch in row order."""
    return sorted(flags.items())


def spatial_order(bounds: npt.NDArray[np.float64]) -> npt.NDArray[np.intp]:
    """An order of rows that keeps near geometries together (Hilbert curve of box centres).

    Rows written in this order share disk pages with their neighbours, so a query of a
    small area reads a few pages instead of one page per feature. ``bounds`` is
    (n, 4) minx, miny, maxx, maxy; rows without a box (NaN) go last.
    """
    n = len(bounds)
    if n < 2:
        return np.arange(n)
    cx = (bounds[:, 0] + bounds[:, 2]) / 2
    cy = (bounds[:, 1] + bounds[:, 3]) / 2
    known = np.isfinite(cx) & np.isfinite(cy)
    if not known.any():
        return np.arange(n)
    side = (1 << _HILBERT_BITS) - 1

    def grid(v: npt.NDArray[np.float64]) -> npt.NDArray[np.int64]:
        lo, hi = v[known].min(), v[known].max()
        scaled = (v - lo) / (hi - lo) * side if hi > lo else np.zeros_like(v)
        return np.nan_to_num(scaled, nan=0.0).astype(np.int64)

    key = _hilbert(grid(cx), grid(cy))
    key[~known] = np.iinfo(np.int64).max
    return np.argsort(key, kind="stable")


# 4096 × 4096 cells over a batch: finer than any page of rows needs.
_HILBERT_BITS = 12


def _hilbert(x: npt.NDArray[np.int64], y: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Distance along the Hilbert curve of each grid cell (x, y), vectorised."""
    x, y = x.copy(), y.copy()
    d = np.zeros_like(x)
    s = 1 << (_HILBERT_BITS - 1)
    while s > 0:
        rx = (x & s) > 0
        ry = (y & s) > 0
        d += s * s * ((3 * rx) ^ ry)
        # Rotate the quadrant so that the curve inside it is in standard position.
        flip = ~ry
        swap_x = flip & rx
        x = np.where(swap_x, s - 1 - x, x)
        y = np.where(swap_x, s - 1 - y, y)
        x, y = np.where(flip, y, x), np.where(flip, x, y)
        s >>= 1
    return d
