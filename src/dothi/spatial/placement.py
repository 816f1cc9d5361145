"""Is the data where it claims to be? Checks of an import's coordinate system and places.

A wrong CRS moves data silently: Bến Thành parcels read in the wrong TM-3 zone land tens
of kilometres away, still inside Viet Nam. Two checks catch it:

* :func:`check_declared_crs` — a ``--crs`` that would put the file somewhere else than the
  CRS its own ``.prj`` (or GeoPackage) declares is refused unless forced.
* :class:`PlacementCheck` — each feature is compared with what the database already knows:
  a feature more than :data:`COMMUNE_TOLERANCE_M` outside the commune its ``commune_code``
  names (when ``admin_commune`` is loaded) is rejected; one more than
  :data:`EXTENT_MARGIN_M` outside the extent the layer already has is flagged. When most of
  a file is rejected so, the CRS is wrong, not the rows: the whole import is refused.

Geometries of communes are read through the storage port; the tests run in Python.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import orjson
import pyproj
import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Connection, func, select

from dothi.db.engine import Database
from dothi.db.schema import feature
from dothi.db.spatial.base import BBox, expand_degrees
from dothi.errors import InvalidInput
from dothi.geo import crs as crsmod
from dothi.geo.extent import vietnam_extent
from dothi.geo.transform import move_xy
from dothi.spatial.batches import PreparedBatch, RowNote
from dothi.spatial.layers import Layer, find_layer

#: How far outside its commune a feature may lie (boundary data differs between sources).
COMMUNE_TOLERANCE_M = 500.0
#: How far outside a layer's current extent new features are taken without a flag.
EXTENT_MARGIN_M = 20_000.0
#: Two CRSs that place the same coordinates closer than this are the same for an import
#: (VN-2000 with and without its datum shift differ by ~224 m).
SAME_CRS_M = 1_000.0
_COMMUNE_LAYER = "admin_commune"
_COMMUNE_FIELD = "commune_code"
_M_PER_DEGREE = 111_320.0


def _offset_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Distance in metres between two lon/lat points (equirectangular: enough here)."""
    dx = (a[0] - b[0]) * math.cos(math.radians((a[1] + b[1]) / 2))
    return math.hypot(dx, a[1] - b[1]) * _M_PER_DEGREE


def check_declared_crs(
    given: pyproj.CRS,
    declared: pyproj.CRS | None,
    bounds: tuple[float, float, float, float] | None,
    *,
    force: bool,
) -> None:
    """Refuse a ``--crs`` that contradicts the file's own CRS, unless ``force``.

    The two contradict when they put the middle of the file's ``bounds`` (in its own
    coordinates) more than :data:`SAME_CRS_M` apart, or, without bounds, when they are
    not the same CRS.
    """
    if declared is None or force:
        return
    apart: float | None = None
    if bounds is not None and all(math.isfinite(v) for v in bounds):
        x, y = (bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2
        wgs84 = pyproj.CRS.from_epsg(4326)
        try:
            a = move_xy(x, y, given, wgs84)
            b = move_xy(x, y, declared, wgs84)
            apart = _offset_m(a, b) if all(map(math.isfinite, (*a, *b))) else math.inf
        except (pyproj.exceptions.ProjError, InvalidInput):
            apart = math.inf
        if apart <= SAME_CRS_M:
            return
    elif given.equals(declared, ignore_axis_order=True) or (
        given.to_epsg() is not None and given.to_epsg() == declared.to_epsg(min_confidence=70)
    ):
        return
    shift = "" if apart is None or not math.isfinite(apart) else f" ({apart / 1000:.1f} km)"
    g, d = crsmod.crs_to_spec(given), crsmod.crs_to_spec(declared)
    raise InvalidInput(
        f"--crs {g} mâu thuẫn với hệ tọa độ tệp tự khai báo ({d}): dữ liệu sẽ bị dời chỗ"
        f"{shift}. Bỏ --crs để dùng hệ của tệp, hoặc thêm --force-crs nếu tệp khai báo sai.",
        f"--crs {g} contradicts the CRS the file declares ({d}): the data would move"
        f"{shift}. Leave out --crs to use the file's CRS, or add --force-crs if the file's "
        "declaration is wrong.",
        code="CRSConflict",
    )


def layer_bbox(conn: Connection, layer_id: str) -> BBox | None:
    """The box around a layer's current features, or None when it has none."""
    c = feature.c
    row = conn.execute(
        select(func.min(c.minx), func.min(c.miny), func.max(c.maxx), func.max(c.maxy)).where(
            c.layer_id == layer_id, c.valid_to.is_(None)
        )
    ).one()
    if row[0] is None:
        return None
    return (float(row[0]), float(row[1]), float(row[2]), float(row[3]))


@dataclass
class PlacementCounts:
    """What the checks found in one import."""

    #: Rows checked against a commune or an extent.
    checked: int = 0
    #: Rows rejected for lying outside the commune they name.
    outside_commune: int = 0
    #: Rows flagged for lying far from the layer's existing extent.
    far_from_layer: int = 0
    #: Rows flagged for lying outside Viet Nam.
    outside_vietnam: int = 0
    #: Offsets (metres) of the rows outside their commune, for the message.
    offsets: list[float] = field(default_factory=list)

    @property
    def misplaced(self) -> int:
        """Rows the report and exit status must draw attention to."""
        return self.outside_commune + self.far_from_layer + self.outside_vietnam


class PlacementCheck:
    """The place checks of one import into ``layer`` (see the module docstring)."""

    def __init__(self, db: Database, conn: Connection, layer: Layer) -> None:
        self.db = db
        self.layer = layer
        self.counts = PlacementCounts()
        self._communes: dict[str, BaseGeometry | None] = {}
        fields = layer.property_schema.get("properties", {})
        self.by_commune = (
            _COMMUNE_FIELD in fields
            and layer.id != _COMMUNE_LAYER
            and find_layer(conn, _COMMUNE_LAYER) is not None
        )
        bbox = layer_bbox(conn, layer.id)
        self.extent = None if bbox is None else expand_degrees(bbox, EXTENT_MARGIN_M)

    def _commune(self, code: str) -> BaseGeometry | None:
        if code not in self._communes:
            # A connection of its own: the import's connection is busy streaming (COPY on
            # PostgreSQL) while batches are checked, and the communes are another layer.
            with self.db.read() as conn:
                row = self.db.port.current_feature(conn, _COMMUNE_LAYER, code)
            self._communes[code] = None if row is None else row.geometry
        return self._communes[code]

    def check(self, batch: PreparedBatch) -> PreparedBatch:
        """Reject the rows of ``batch`` outside their commune and flag those far from the
        layer; returns the batch without the rejected rows."""
        n = len(batch.keys)
        if not n:
            return batch
        b = batch.bounds
        cx, cy = (b[:, 0] + b[:, 2]) / 2, (b[:, 1] + b[:, 3]) / 2
        west, south, east, north = vietnam_extent()
        known = np.isfinite(cx) & np.isfinite(cy)
        inside_vn = (cx >= west) & (cx <= east) & (cy >= south) & (cy <= north)
        outside_vn = known & ~inside_vn
        self.counts.outside_vietnam += int(outside_vn.sum())
        drop: list[int] = []
        for j in range(n):
            if not known[j] or outside_vn[j]:
                continue  # no geometry, or already flagged by the geometry checks
            point = (float(cx[j]), float(cy[j]))
            if self._outside_commune(batch, j, point):
                drop.append(j)
            elif self.extent is not None:
                self.counts.checked += 1
                if not _in_box(point, self.extent):
                    self.counts.far_from_layer += 1
                    batch.flagged += 1
                    batch.notes.append(
                        RowNote(
                            "flagged",
                            batch.rows[j],
                            batch.keys[j],
                            "xa phạm vi hiện có của lớp (hơn 20 km) — sai hệ tọa độ? / far "
                            "(over 20 km) from the layer's existing extent — wrong CRS?",
                        )
                    )
        return _without(batch, drop) if drop else batch

    def _outside_commune(self, batch: PreparedBatch, j: int, point: tuple[float, float]) -> bool:
        if not self.by_commune:
            return False
        code = orjson.loads(batch.bodies[j]).get(_COMMUNE_FIELD)
        area = self._commune(str(code)) if code else None
        if area is None:
            return False
        self.counts.checked += 1
        geom = shapely.from_wkb(batch.wkb[j])
        if geom is None:
            return False
        gap = float(shapely.distance(area, geom)) * _M_PER_DEGREE
        if gap <= COMMUNE_TOLERANCE_M:
            return False
        self.counts.outside_commune += 1
        self.counts.offsets.append(gap)
        inside = self._where(point)
        there = f" (nằm trong {inside} / lies in {inside})" if inside else ""
        batch.notes.append(
            RowNote(
                "rejected",
                batch.rows[j],
                batch.keys[j],
                f"nằm ngoài xã/phường {code} khoảng {gap / 1000:.1f} km / lies about "
                f"{gap / 1000:.1f} km outside commune {code}{there}",
            )
        )
        return True

    def _where(self, point: tuple[float, float]) -> str | None:
        """The code of the commune a point lies in, if any (for the message)."""
        with self.db.read() as conn:  # the import's connection is busy (see _commune)
            hits = self.db.port.find(conn, _COMMUNE_LAYER, geometry=shapely.Point(point), limit=1)
        return hits[0].fid if hits else None

    def verdict(self) -> None:
        """Refuse the whole import when most checked rows lie outside their commune: the
        coordinate system, not the rows, is wrong."""
        c = self.counts
        if not c.outside_commune or c.outside_commune * 2 < c.checked:
            return
        median = float(np.median(c.offsets)) / 1000
        raise InvalidInput(
            f"{c.outside_commune}/{c.checked} đối tượng nằm ngoài xã/phường mà mã "
            f"commune_code của chúng chỉ ra (lệch khoảng {median:.1f} km): hệ tọa độ có lẽ "
            "sai. Kiểm tra --crs hoặc tệp .prj; không có gì được ghi.",
            f"{c.outside_commune}/{c.checked} features lie outside the commune their "
            f"commune_code names (about {median:.1f} km off): the coordinate system is "
            "probably wrong. Check --crs or the .prj file; nothing was written.",
            code="Misplaced",
        )


def _in_box(point: tuple[float, float], box: BBox) -> bool:
    return box[0] <= point[0] <= box[2] and box[1] <= point[1] <= box[3]


def _without(batch: PreparedBatch, drop: list[int]) -> PreparedBatch:
    """``batch`` without the rows at positions ``drop`` (their notes are already added)."""
    gone = set(drop)
    keep = [j for j in range(len(batch.keys)) if j not in gone]
    batch.rejected += len(gone)
    batch.rows = [batch.rows[j] for j in keep]
    batch.keys = [batch.keys[j] for j in keep]
    batch.wkb = [batch.wkb[j] for j in keep]
    batch.bodies = [batch.bodies[j] for j in keep]
    batch.digests = [batch.digests[j] for j in keep]
    batch.bounds = batch.bounds[keep] if keep else np.empty((0, 4))
    return batch
