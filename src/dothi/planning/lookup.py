"""Planning lookup: what applies to a place or a parcel (tra cứu thông tin quy hoạch).

From a point (WGS 84, or VN-2000 coordinates as printed on a land-use certificate) or a
parcel (commune, map sheet, parcel number) it finds, in the core layers of the urban
spatial database: the commune; the parcel; the planning zones that apply with each one's
share of the parcel and its rules; every constraint that touches the parcel with the area
it takes; and the buildable envelope (footprint = area × coverage, floor area = area ×
land-use coefficient). Areas are geodesic (WGS 84 ellipsoid), in square metres.

Only layers the caller may read are used; a layer that is missing or hidden is as if it
had no features.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any

import pyproj
import shapely
from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Connection

from dothi.auth.policy import Principal, may_read
from dothi.db.engine import Database
from dothi.db.schema import feature
from dothi.db.spatial.base import FeatureRow, PlaceRows
from dothi.db.textsql import fold_text, folded
from dothi.errors import InvalidInput, NotFound
from dothi.geo import crs as crsmod
from dothi.geo.extent import in_vietnam
from dothi.geo.metric import geodesic_area as area_m2
from dothi.geo.transform import move_xy
from dothi.planning.envelope import envelope
from dothi.planning.plans import statuses_by_id
from dothi.spatial.layers import layer_access

COMMUNES = "admin_commune"
PARCELS = "land_parcel"
ZONES = "planning_zone"
CONSTRAINTS = "planning_constraint"
#: The layers a lookup reads (those the caller may read).
LAYERS = (COMMUNES, PARCELS, ZONES, CONSTRAINTS)
#: Shares and areas below this are rounding noise where shapes share an edge.
_MIN_AREA_M2 = 0.01
DISCLAIMER = {
    "vi": "Thông tin chỉ để tham khảo, không thay thế chứng chỉ quy hoạch hay giấy phép xây dựng.",
    "en": "For information only; not a planning certificate or a building permit.",
}
_RULES = ("max_coverage_pct", "min_floors", "max_floors", "max_far", "max_height_m")


@dataclass(frozen=True)
class ZoneShare:
    """A planning zone that applies, with the part of the parcel it covers."""

    zone_uid: str
    properties: dict[str, Any]
    #: m² of the parcel in this zone (None when looking up a bare point).
    area_m2: float | None
    share: float | None
    geometry: BaseGeometry | None = field(default=None, repr=False, compare=False)

    @property
    def rules(self) -> dict[str, Any]:
        """The zone's planning rules (coverage, floors, coefficient, height)."""
        return {k: self.properties.get(k) for k in _RULES}


@dataclass(frozen=True)
class ConstraintHit:
    """A constraint touching the parcel (or the point) and the area of it it takes."""

    constraint_uid: str
    kind: str
    properties: dict[str, Any]
    area_m2: float | None
    geometry: BaseGeometry | None = field(default=None, repr=False, compare=False)


@dataclass
class Lookup:
    """The answer of a planning lookup."""

    point: tuple[float, float] | None
    commune: dict[str, Any] | None = None
    parcel: dict[str, Any] | None = None
    parcel_area_m2: float | None = None
    zones: list[ZoneShare] = field(default_factory=list)
    #: Zones of plans now in public consultation (not yet in force).
    proposed: list[ZoneShare] = field(default_factory=list)
    constraints: list[ConstraintHit] = field(default_factory=list)
    #: The parcel's shape (WGS 84), for checks that need it; not part of the answer.
    parcel_geometry: BaseGeometry | None = field(default=None, repr=False)
    #: The layers the answer was read from, with their access level (for the audit log of
    #: restricted reads); not part of the answer.
    read: dict[str, str] = field(default_factory=dict, repr=False)

    def as_dict(self) -> dict[str, Any]:
        """The answer as JSON-ready data (areas in m², shares as fractions)."""
        return {
            "point": None if self.point is None else list(self.point),
            "commune": self.commune,
            "parcel": self.parcel,
            "parcel_area_m2": self.parcel_area_m2,
            "zones": [_zone_dict(z) for z in self.zones],
            "proposed_zones": [_zone_dict(z) for z in self.proposed],
            "constraints": [
                {
                    "constraint_uid": c.constraint_uid,
                    "kind": c.kind,
                    "area_m2": c.area_m2,
                    "properties": c.properties,
                }
                for c in self.constraints
            ],
            "envelope": self.envelope,
            "disclaimer": DISCLAIMER,
        }

    @property
    def envelope(self) -> dict[str, float] | None:
        """Maximum footprint and floor area on the parcel (see
        :func:`dothi.planning.envelope.envelope`: red-line land is left out)."""
        return envelope(self.parcel_geometry, self.parcel_area_m2, self.zones, self.constraints)


def _zone_dict(z: ZoneShare) -> dict[str, Any]:
    return {
        "zone_uid": z.zone_uid,
        "area_m2": z.area_m2,
        "share": None if z.share is None else round(z.share, 4),
        "rules": z.rules,
        "properties": z.properties,
    }


def _place_zone(r: _Reader, answer: Lookup, zone: ZoneShare) -> None:
    """File a zone by its plan's status: in force, in consultation, or not shown (a draft
    or a superseded plan). Zones that name no registered plan are taken as in force; zones
    of existing land use (``stage: existing``, Circular 16/2025 ``HT_`` layers) carry no
    planning rules and are not shown."""
    if zone.properties.get("stage") == "existing":
        return
    plan_id = zone.properties.get("plan_id")
    status = r.plan_statuses.get(plan_id, "approved") if plan_id else "approved"
    if status == "approved":
        answer.zones.append(zone)
    elif status == "consultation":
        answer.proposed.append(zone)


@dataclass(frozen=True)
class _Reader:
    """What one lookup reads with: the connection, the layers the caller may read, a time."""

    db: Database
    conn: Connection
    #: The layers the caller may read, with their access level.
    access: dict[str, str]
    as_of: datetime | None

    @property
    def readable(self) -> frozenset[str]:
        """The ids of the layers the caller may read."""
        return frozenset(self.access)

    @cached_property
    def plan_statuses(self) -> dict[str, str]:
        """Every plan's status, read once and only if a zone names a plan."""
        return statuses_by_id(self.conn)

    def _layers(self) -> tuple[list[str], list[str]]:
        meeting = [lid for lid in (ZONES, CONSTRAINTS) if lid in self.readable]
        return meeting, [COMMUNES] if COMMUNES in self.readable else []

    def place(self, point: BaseGeometry) -> PlaceRows:
        """The parcel at ``point`` and the commune, zones and constraints there — read
        together (one round trip on PostGIS), from the readable layers only."""
        first = PARCELS if PARCELS in self.readable else None
        meeting, containing = self._layers()
        port = self.db.port
        return port.place_rows(self.conn, point, first, meeting, containing, as_of=self.as_of)

    def around(self, parcel: FeatureRow) -> PlaceRows:
        """The commune, zones and constraints of a parcel found otherwise (by number)."""
        assert parcel.geometry is not None
        meeting, containing = self._layers()
        port = self.db.port
        return port.around(
            self.conn, parcel.geometry, meeting, containing, at=parcel, as_of=self.as_of
        )


def _reader(db: Database, conn: Connection, who: Principal, as_of: datetime | None) -> _Reader:
    # One query for the four layers' access, not one per layer.
    access = layer_access(conn, LAYERS)
    return _Reader(db, conn, _may_read(who, access), as_of)


def _may_read(who: Principal, access: dict[str, str]) -> dict[str, str]:
    return {i: level for i, level in access.items() if may_read(who, i, level)}


def _in_vietnam(lon: float, lat: float) -> None:
    if not in_vietnam(lon, lat):
        raise InvalidInput(
            f"Điểm ({lon}, {lat}) nằm ngoài lãnh thổ Việt Nam; kinh độ trước, vĩ độ sau.",
            f"The point ({lon}, {lat}) is outside Viet Nam; longitude first, then latitude.",
        )


def lookup_point(
    db: Database,
    conn: Connection,
    who: Principal,
    lon: float,
    lat: float,
    *,
    as_of: datetime | None = None,
) -> Lookup:
    """What applies at a WGS 84 point: its commune, the parcel there (if any) and so on."""
    _in_vietnam(lon, lat)
    point = Point(lon, lat)
    # Every layer's rows and access levels in one read (one round trip on PostGIS); rows of
    # layers the caller may not read are dropped before anything is made of them.
    rows = db.port.place_rows(
        conn, point, PARCELS, (ZONES, CONSTRAINTS), (COMMUNES,), as_of=as_of, with_access=True
    )
    r = _Reader(db, conn, _may_read(who, rows.access or {}), as_of)
    if rows.at is not None and PARCELS not in r.readable:
        rows = r.place(point)  # parcels hidden: what lies at the bare point
    # On a shared edge the point meets two parcels: the first (lowest row id) is taken.
    rows = rows.only(r.readable, PARCELS)
    if rows.at is not None:
        return _lookup_parcel(r, rows, point=(lon, lat))
    answer = Lookup(point=(lon, lat), commune=_commune(rows), read=r.access)
    for z in rows.meeting.get(ZONES, []):
        _place_zone(r, answer, ZoneShare(z.fid, z.properties, None, None))
    for c in rows.meeting.get(CONSTRAINTS, []):
        answer.constraints.append(
            ConstraintHit(c.fid, str(c.properties.get("kind")), c.properties, None)
        )
    return answer


def certificate_to_lonlat(x: float, y: float, crs: str) -> tuple[float, float]:
    """VN-2000 coordinates as printed on a land-use certificate → WGS 84 (lon, lat).

    On the certificate X is the northing and Y the easting, in the province's TM-3 zone
    (``crs``: ``EPSG:9210``, ``vn2000-tm3:ho-chi-minh``…); the transformation is EPSG:6960.
    """
    src = crsmod.resolve_crs(crs)
    if not crsmod.is_vn2000(src) or not src.is_projected:
        raise InvalidInput(
            f"«{crs}» không phải hệ tọa độ phẳng VN-2000 (ví dụ vn2000-tm3:ho-chi-minh).",
            f"'{crs}' is not a projected VN-2000 CRS (e.g. vn2000-tm3:ho-chi-minh).",
        )
    wgs84 = pyproj.CRS.from_epsg(4326)
    lon, lat = move_xy(y, x, src, wgs84)
    if not (math.isfinite(lon) and math.isfinite(lat)):
        raise InvalidInput(
            f"Tọa độ X={x}, Y={y} không chuyển được sang WGS 84.",
            f"The coordinates X={x}, Y={y} cannot be transformed to WGS 84.",
        )
    return float(lon), float(lat)


def lookup_parcel(
    db: Database,
    conn: Connection,
    who: Principal,
    commune: str,
    sheet_no: str,
    parcel_no: str,
    *,
    as_of: datetime | None = None,
) -> Lookup:
    """What applies to the parcel with this commune code, map sheet and parcel number."""
    code = commune.strip()
    if not (len(code) == 5 and code.isascii() and code.isdigit()):
        raise InvalidInput(
            f"Mã xã/phường «{commune}» phải gồm 5 chữ số (mã thống kê).",
            f"The commune code '{commune}' must be 5 digits (the GSO code).",
        )
    sheet, number = _positive(sheet_no, "sheet_no"), _positive(parcel_no, "parcel_no")
    r = _reader(db, conn, who, as_of)
    if PARCELS not in r.readable:
        raise _no_parcel(code, sheet, number)
    where = [
        feature.c.properties["commune_code"].as_string() == code,
        feature.c.properties["sheet_no"].as_integer() == sheet,
        feature.c.properties["parcel_no"].as_integer() == number,
    ]
    rows = db.port.find(conn, PARCELS, where=where, as_of=as_of, limit=1)
    if not rows or rows[0].geometry is None:
        raise _no_parcel(code, sheet, number)
    return _lookup_parcel(r, r.around(rows[0]), point=None)


def search_parcels(
    db: Database, conn: Connection, who: Principal, q: str, *, limit: int = 10
) -> list[FeatureRow]:
    """Parcels whose address holds every word of ``q``, tone marks and case ignored
    (``"le loi ben thanh"`` finds ``"… Lê Lợi, phường Bến Thành"``)."""
    words = fold_text(q).split()
    if not words or len(q) > 200:
        raise InvalidInput(
            "Nhập địa chỉ cần tìm (1–200 ký tự).", "Give the address to search for (1–200 chars)."
        )
    if PARCELS not in _reader(db, conn, who, None).readable:
        return []
    address = folded(feature.c.properties["address"].as_string())
    where = [address.contains(w, autoescape=True) for w in words]
    return db.port.find(conn, PARCELS, where=where, limit=limit)


def lookup_address(db: Database, conn: Connection, who: Principal, q: str) -> Lookup:
    """What applies to the one parcel at the address ``q``; a clear error when none or
    several match (the search lists them)."""
    found = search_parcels(db, conn, who, q, limit=6)
    if not found:
        raise NotFound(
            f"Không tìm thấy thửa nào có địa chỉ «{q}».", f"No parcel has the address '{q}'."
        )
    if len(found) > 1:
        shown = "; ".join(str(r.properties.get("address")) for r in found[:5])
        raise InvalidInput(
            f"Có nhiều thửa khớp «{q}» ({shown}…); ghi rõ hơn hoặc dùng /planning/search.",
            f"Several parcels match '{q}' ({shown}…); be more precise or use /planning/search.",
        )
    r = _reader(db, conn, who, None)
    return _lookup_parcel(r, r.around(found[0]), point=None)


def _positive(text: str, name: str) -> int:
    value = text.strip()
    if not (value.isascii() and value.isdigit() and 0 < int(value) < 10**9):
        raise InvalidInput(
            f"{name} phải là số nguyên dương, nhận «{text}».",
            f"{name} must be a positive whole number, got '{text}'.",
        )
    return int(value)


def _no_parcel(commune: str, sheet_no: int, parcel_no: int) -> NotFound:
    return NotFound(
        f"Không có thửa số {parcel_no}, tờ bản đồ số {sheet_no} ở xã/phường mã {commune}.",
        f"No parcel {parcel_no} on map sheet {sheet_no} in commune {commune}.",
    )


def _commune(rows: PlaceRows) -> dict[str, Any] | None:
    found = rows.containing.get(COMMUNES)
    return found[0].properties if found else None


def _lookup_parcel(
    r: _Reader,
    rows: PlaceRows,
    *,
    point: tuple[float, float] | None,
) -> Lookup:
    parcel = rows.at
    assert parcel is not None and parcel.geometry is not None
    shape = parcel.geometry
    total = area_m2(shape)
    answer = Lookup(
        point=point,
        commune=_commune(rows),
        parcel={"parcel_uid": parcel.fid, **parcel.properties},
        parcel_area_m2=round(total, 1),
        parcel_geometry=shape,
        read=r.access,
    )
    for z in rows.meeting.get(ZONES, []):
        assert z.geometry is not None
        part = area_m2(shapely.intersection(shape, z.geometry))
        if part < _MIN_AREA_M2:
            continue  # touches along an edge only
        share = part / total if total else None
        zone = ZoneShare(z.fid, z.properties, round(part, 1), share, z.geometry)
        _place_zone(r, answer, zone)
    answer.zones.sort(key=lambda z: -(z.area_m2 or 0))
    answer.proposed.sort(key=lambda z: -(z.area_m2 or 0))
    for c in rows.meeting.get(CONSTRAINTS, []):
        assert c.geometry is not None
        taken = area_m2(shapely.intersection(shape, c.geometry))
        if taken < _MIN_AREA_M2:
            continue
        kind = str(c.properties.get("kind"))
        answer.constraints.append(
            ConstraintHit(c.fid, kind, c.properties, round(taken, 1), c.geometry)
        )
    return answer


#: Layers drawn around a parcel on its planning sheet.
CONTEXT_LAYERS = (PARCELS, "building")


def surroundings(
    db: Database,
    conn: Connection,
    who: Principal,
    bounds: tuple[float, float, float, float],
    *,
    limit: int = 500,
) -> list[BaseGeometry]:
    """Parcels and buildings (of the layers the caller may read) within ``bounds``, to
    show where a parcel lies; at most ``limit`` of each."""
    access = layer_access(conn, CONTEXT_LAYERS)
    out: list[BaseGeometry] = []
    for layer_id in CONTEXT_LAYERS:
        if layer_id in access and may_read(who, layer_id, access[layer_id]):
            rows = db.port.find(conn, layer_id, bbox=bounds, limit=limit)
            out += [r.geometry for r in rows if r.geometry is not None]
    return out


def plan_boundary(db: Database, conn: Connection, who: Principal, plan_id: str) -> dict[str, Any]:
    """The plan's boundary as a GeoJSON Feature: the union of its zones (of the zones layer,
    if the caller may read it), with their count and area. Null geometry when there is none."""
    access = layer_access(conn, (ZONES,))
    rows: list[FeatureRow] = []
    if ZONES in access and may_read(who, ZONES, access[ZONES]):
        where = [feature.c.properties["plan_id"].as_string() == plan_id]
        rows = db.port.find(conn, ZONES, where=where)
    shapes = [r.geometry for r in rows if r.geometry is not None]
    union = shapely.union_all(shapes) if shapes else None
    return {
        "type": "Feature",
        "id": plan_id,
        "geometry": None if union is None else shapely.geometry.mapping(union),
        "properties": {
            "plan_id": plan_id,
            "zones": len(shapes),
            "area_m2": None if union is None else round(area_m2(union), 1),
            "derived_from": ZONES,
        },
    }
