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
import re
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
from dothi.i18n import LANGUAGES
from dothi.planning.changes import FieldChange, field_words, zone_differences
from dothi.planning.envelope import envelope
from dothi.planning.plans import Plan, plan_summary, plans_by_id
from dothi.spatial.labels import display_value
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
    #: The registered plans the zones name, by id; not part of the answer.
    plans: dict[str, Plan] = field(default_factory=dict, repr=False)

    def as_dict(self) -> dict[str, Any]:
        """The answer as JSON-ready data (areas in m², shares as fractions).

        ``zones`` are those in force: their ``rules`` are the rules. ``proposed_zones`` are
        zones of drafts in consultation: their values are ``proposed_rules`` only, with
        what they would change (``changes``, before → after) against the zone in force
        they would replace (``replaces``). Every zone names its plan (``plan``: id, name,
        status in words, decision)."""
        return {
            "point": None if self.point is None else list(self.point),
            "commune": self.commune,
            "parcel": self.parcel,
            "parcel_area_m2": self.parcel_area_m2,
            "zones": [self._zone_dict(z) for z in self.zones],
            "proposed_zones": [self._proposed_dict(z) for z in self.proposed],
            "constraints": [
                {
                    "constraint_uid": c.constraint_uid,
                    "kind": c.kind,
                    "kind_label": constraint_label(c.kind),
                    "area_m2": c.area_m2,
                    "properties": c.properties,
                }
                for c in self.constraints
            ],
            "envelope": self.envelope,
            "disclaimer": DISCLAIMER,
        }

    def plan_of(self, zone: ZoneShare) -> dict[str, Any]:
        """The zone's plan: id, name, status (in words, in force or not) and decision.
        A zone that names no registered plan is taken as in force, with what it says of
        its plan itself."""
        props = zone.properties
        found = self.plans.get(str(props.get("plan_id")))
        if found is not None:
            return found.summary()
        return plan_summary(
            props.get("plan_id"),
            props.get("plan_name"),
            "approved",
            props.get("plan_decision_no"),
            props.get("plan_decision_date"),
        )

    def replaced_by(self, proposed: ZoneShare) -> ZoneShare | None:
        """The zone in force that a proposed zone would replace: the one of the same code
        (of the plan the draft supersedes first), else the one it overlaps most."""
        if not self.zones:
            return None
        code = proposed.properties.get("zone_code")
        draft = self.plans.get(str(proposed.properties.get("plan_id")))
        older = draft.supersedes if draft is not None else None
        same = [z for z in self.zones if code is not None and z.properties.get("zone_code") == code]
        same.sort(key=lambda z: z.properties.get("plan_id") != older)
        if same:
            return same[0]
        if proposed.geometry is None:
            return self.zones[0]
        return max(self.zones, key=lambda z: _overlap(z.geometry, proposed.geometry))

    def _zone_dict(self, z: ZoneShare) -> dict[str, Any]:
        return {**_zone_dict(z), "plan": self.plan_of(z), "rules": z.rules}

    def _proposed_dict(self, z: ZoneShare) -> dict[str, Any]:
        old = self.replaced_by(z)
        if old is None:
            changes: list[FieldChange] = []
            change = "added"
        else:
            changes = zone_differences(old.properties, z.properties)
            change = "changed" if changes else "unchanged"
        return {
            **_zone_dict(z),
            "plan": self.plan_of(z),
            "proposed_rules": z.rules,
            "change": change,
            "replaces": None
            if old is None
            else {
                "zone_uid": old.zone_uid,
                "zone_code": old.properties.get("zone_code"),
                "plan": self.plan_of(old),
            },
            "changes": [c.as_dict() for c in changes],
        }

    @property
    def envelope(self) -> dict[str, float] | None:
        """Maximum footprint and floor area on the parcel (see
        :func:`dothi.planning.envelope.envelope`: red-line land is left out)."""
        return envelope(self.parcel_geometry, self.parcel_area_m2, self.zones, self.constraints)


def _overlap(a: BaseGeometry | None, b: BaseGeometry) -> float:
    return 0.0 if a is None else float(shapely.intersection(a, b).area)


def constraint_label(kind: str) -> dict[str, str]:
    """A constraint's kind in words (``road_red_line`` → "Chỉ giới đường đỏ")."""
    return {lang: display_value(CONSTRAINTS, {}, "kind", kind, lang) for lang in LANGUAGES}


def rules_text(z: ZoneShare) -> list[dict[str, Any]]:
    """The zone's rules that have a value, each with its title and value in words."""
    return [
        {
            "field": name,
            "title": field_words(name),
            "value": value,
            "text": {lang: display_value(ZONES, {}, name, value, lang) for lang in LANGUAGES},
        }
        for name, value in z.rules.items()
        if value is not None
    ]


def _zone_dict(z: ZoneShare) -> dict[str, Any]:
    function = z.properties.get("land_use_function")
    return {
        "zone_uid": z.zone_uid,
        "zone_code": z.properties.get("zone_code"),
        "function": {
            "code": function,
            "label": {
                lang: display_value(ZONES, {}, "land_use_function", function, lang)
                for lang in LANGUAGES
            },
        },
        "area_m2": z.area_m2,
        "share": None if z.share is None else round(z.share, 4),
        "rules_text": rules_text(z),
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
    found = r.plans.get(plan_id) if plan_id else None
    status = found.status if found is not None else "approved"
    if found is not None:
        answer.plans[found.id] = found
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
    def plans(self) -> dict[str, Plan]:
        """Every plan, read once and only if a zone names a plan."""
        return plans_by_id(self.conn)

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
        _place_zone(r, answer, ZoneShare(z.fid, z.properties, None, None, z.geometry))
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
    sheet = _positive(sheet_no, ("Số tờ bản đồ", "The map sheet number"))
    number = _positive(parcel_no, ("Số thửa", "The parcel number"))
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


#: "tờ 12 thửa 5", "to 12 thua 5", "sheet 12 parcel 5", "12/5" (folded text).
_SHEET_PARCEL = re.compile(
    r"(?:(?:to|sheet)\s*(\d+)\D+?(?:thua|parcel)\s*(\d+))|(?:^(\d+)\s*/\s*(\d+)$)"
)
#: Words that name a kind of commune rather than one (left out when matching ward names).
_UNIT_WORDS = frozenset({"phuong", "xa", "dac", "khu", "ward", "commune", "p."})


def search_parcels(
    db: Database, conn: Connection, who: Principal, q: str, *, limit: int = 10
) -> list[FeatureRow]:
    """Parcels found by what people know of their land, tone marks and case ignored:
    the words of their address (``"le loi ben thanh"`` finds ``"… Lê Lợi, phường Bến
    Thành"``), the name of their ward (``"phuong sai gon"``), or their map sheet and parcel
    number (``"tờ 12 thửa 5"``, ``"12/5"``). Address matches come first."""
    text = fold_text(q)
    words = text.split()
    if not words or len(q) > 200:
        raise InvalidInput(
            "Nhập địa chỉ cần tìm (1–200 ký tự).", "Give the address to search for (1–200 chars)."
        )
    readable = _reader(db, conn, who, None).readable
    if PARCELS not in readable:
        return []
    props = feature.c.properties
    numbers = _SHEET_PARCEL.search(text)
    if numbers:
        sheet, number = (int(g) for g in numbers.groups() if g is not None)
        where = [props["sheet_no"].as_integer() == sheet, props["parcel_no"].as_integer() == number]
        return db.port.find(conn, PARCELS, where=where, limit=limit)
    address = folded(props["address"].as_string())
    found = db.port.find(
        conn, PARCELS, where=[address.contains(w, autoescape=True) for w in words], limit=limit
    )
    if len(found) < limit and COMMUNES in readable:
        seen = {r.fid for r in found}
        codes = _wards_named(db, conn, [w for w in words if w not in _UNIT_WORDS])
        if codes:
            where = [props["commune_code"].as_string().in_(codes)]
            more = db.port.find(conn, PARCELS, where=where, limit=limit)
            found += [r for r in more if r.fid not in seen][: limit - len(found)]
    return found


def _wards_named(db: Database, conn: Connection, words: list[str]) -> list[str]:
    """Codes of the communes whose name holds every word."""
    if not words:
        return []
    name = folded(feature.c.properties["name"].as_string())
    rows = db.port.find(conn, COMMUNES, where=[name.contains(w, autoescape=True) for w in words])
    return [str(r.properties.get("code")) for r in rows[:20]]


def commune_names(db: Database, conn: Connection, codes: set[str]) -> dict[str, str]:
    """The names of the communes with these codes (for lists of parcels)."""
    if not codes:
        return {}
    where = [feature.c.properties["code"].as_string().in_(sorted(codes))]
    rows = db.port.find(conn, COMMUNES, where=where)
    return {
        str(r.properties.get("code")): str(
            r.properties.get("full_name") or r.properties.get("name")
        )
        for r in rows
    }


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


def _positive(text: str, words: tuple[str, str]) -> int:
    value = text.strip()
    if not (value.isascii() and value.isdigit() and 0 < int(value) < 10**9):
        raise InvalidInput(
            f"{words[0]} phải là số nguyên dương, nhận «{text}».",
            f"{words[1]} must be a positive whole number, got '{text}'.",
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
