"""What the indicators of a plan's scenarios are computed from, read once per plan.

:func:`load_plan_data` reads, in bulk, the plan's zones (``planning_zone`` features whose
``plan_id`` is the plan), the buildings in the zones' extent (``building``) and the public
facilities within reach of it (``public_facility``), and projects them to one metric frame:
a Lambert azimuthal equal-area projection on the WGS 84 ellipsoid centred on the middle of
the zones' extent (rounded to 0.0001°). Areas in that frame are the ellipsoidal areas (the
same as :func:`dothi.geo.metric.geodesic_area` to well under 0.01 % at the size of a city);
distances are straight-line distances with a scale error under 0.001 % within 50 km of the
centre. Everything a scenario changes (assumptions, edition, norms) is applied later, to
arrays, so several scenarios of one plan share one read.

Only layers the caller may read are used (a hidden layer counts as empty, and the answer
says so).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pyproj
import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Connection, Select

from dothi.auth.policy import Principal, may_read
from dothi.db.engine import Database
from dothi.db.schema import feature
from dothi.db.spatial.base import FeatureRow, expand_degrees
from dothi.geo.metric import local_metric, local_metric_crs
from dothi.geo.transform import move_with
from dothi.planning import regulations as regs
from dothi.planning.plans import Plan
from dothi.spatial.layers import layer_access

ZONES = "planning_zone"
BUILDINGS = "building"
FACILITIES = "public_facility"
POPULATION = "population"
COMMUNES = "admin_commune"
#: Layers every scenario reads; the population layer and the communes it refers to are
#: read when present (the existing population comes from them, else from buildings).
CORE_LAYERS = (ZONES, BUILDINGS, FACILITIES)
LAYERS = (*CORE_LAYERS, POPULATION, COMMUNES)
_HOUSING_ZONES = ("residential", "mixed_use")

Floats = npt.NDArray[np.float64]
Objects = npt.NDArray[np.object_]
#: A circle of the service radius is drawn with 64 sides (area within 0.2 % of the circle).
_QUAD_SEGS = 16
#: Building statuses that count as existing (planned, under construction, abandoned do not).
_EXISTING = (None, "existing", "unknown")


@dataclass(frozen=True)
class Service:
    """A service whose reach is measured: facility kinds and zone functions that provide it,
    and the regulation rule holding its radius."""

    key: str
    vi: str
    en: str
    kinds: tuple[str, ...]
    zone_functions: tuple[str, ...]

    @property
    def rule(self) -> str:
        """The key of the radius in an edition's rules (``data/regulations.json``)."""
        return f"service_radius_{self.key}_m"


# A school of unknown level (kind ``school``) and an education zone serve every level:
# zoning plans rarely say which school an education lot is for.
_SCHOOLS = ("school",)
SERVICES = (
    Service(
        "kindergarten",
        "Mầm non",
        "Kindergartens",
        ("kindergarten", *_SCHOOLS),
        ("education",),
    ),
    Service(
        "primary_school",
        "Tiểu học",
        "Primary schools",
        ("primary_school", *_SCHOOLS),
        ("education",),
    ),
    Service(
        "lower_secondary_school",
        "THCS",
        "Lower secondary",
        ("lower_secondary_school", *_SCHOOLS),
        ("education",),
    ),
    Service(
        "upper_secondary_school",
        "THPT",
        "Upper secondary",
        ("upper_secondary_school", *_SCHOOLS),
        ("education",),
    ),
    Service(
        "clinic",
        "Y tế",
        "Health",
        ("clinic", "commune_health_station", "hospital"),
        ("health",),
    ),
    Service("market", "Chợ", "Markets", ("market",), ()),
    Service(
        "park",
        "Cây xanh, sân chơi",
        "Parks, playgrounds",
        ("park", "playground"),
        ("green_public",),
    ),
)


def _floats(values: Sequence[Any]) -> Floats:
    return np.array([math.nan if v is None else float(v) for v in values], dtype=np.float64)


def _max_radius() -> float:
    """The largest service radius of any edition: facilities that far outside the plan
    still serve its residents."""
    radii = [
        float(rule["value"])
        for e in regs.editions()
        for s in SERVICES
        if (rule := e.rules.get(s.rule)) is not None
    ]
    return max(radii, default=0.0)


@dataclass
class PlanData:
    """A plan's zones, the existing buildings in them and the facilities around them, in
    the metric frame ``crs`` (arrays aligned by position)."""

    plan: Plan
    crs: str | None
    layers_used: list[str]
    layers_hidden: list[str]
    zone_ids: list[str]
    functions: Objects
    zone_geoms: Objects
    zone_area: Floats
    far: Floats
    coverage_pct: Floats
    max_floors: Floats
    #: Buildings whose inner point lies in a zone of the plan, with that zone's position.
    building_zone: npt.NDArray[np.intp]
    building_type: Objects
    building_area: Floats
    building_floors: Floats
    building_height: Floats
    building_existing: npt.NDArray[np.bool_]
    building_xy: Floats
    facility_kind: Objects
    facility_geoms: Objects
    _reach: dict[tuple[str, float], tuple[Floats, npt.NDArray[np.bool_]]] = field(
        default_factory=dict, repr=False
    )
    #: Existing residents per zone from the population layer (each commune's latest count
    #: spread over its area, then onto the housing zones), or None without such records.
    zone_residents: Floats | None = None
    #: Where :attr:`zone_residents` come from: ``{"units", "years", "illustrative"}``.
    residents_source: dict[str, Any] | None = None

    def sources(self, service: Service) -> tuple[Objects, int, int]:
        """Geometries providing ``service``: facilities, then zones; and how many of each."""
        facilities = self.facility_geoms[np.isin(self.facility_kind, service.kinds)]
        zones = self.zone_geoms[np.isin(self.functions, service.zone_functions)]
        both: Objects = np.concatenate([facilities, zones])
        return both, len(facilities), len(zones)

    def reach(self, service: Service, radius_m: float) -> tuple[Floats, npt.NDArray[np.bool_]]:
        """Within ``radius_m`` of ``service``: the covered share of each housing zone's area
        (residents are spread evenly over a zone), and whether each building is covered."""
        key = (service.key, radius_m)
        if key not in self._reach:
            self._reach[key] = self._compute_reach(service, radius_m)
        return self._reach[key]

    def _compute_reach(
        self, service: Service, radius_m: float
    ) -> tuple[Floats, npt.NDArray[np.bool_]]:
        share = np.zeros(len(self.zone_ids))
        inside = np.zeros(len(self.building_zone), dtype=bool)
        geoms, _, _ = self.sources(service)
        if not len(geoms):
            return share, inside
        region = shapely.union_all(shapely.buffer(geoms, radius_m, quad_segs=_QUAD_SEGS))
        shapely.prepare(region)
        housing = np.flatnonzero(np.isin(self.functions, ("residential", "mixed_use")))
        housing = housing[self.zone_area[housing] > 0]
        whole = shapely.contains(region, self.zone_geoms[housing])
        share[housing[whole]] = 1.0
        rest = housing[~whole]
        rest = rest[shapely.intersects(region, self.zone_geoms[rest])]
        if len(rest):
            covered = shapely.area(shapely.intersection(self.zone_geoms[rest], region))
            share[rest] = np.minimum(1.0, covered / self.zone_area[rest])
        if len(inside):
            inside = np.asarray(
                shapely.intersects_xy(region, self.building_xy[:, 0], self.building_xy[:, 1])
            )
        return share, inside


def _readable(conn: Connection, who: Principal) -> tuple[list[str], list[str]]:
    """Layers used, and those not used: a core layer missing or hidden, an optional one
    present but hidden."""
    access = layer_access(conn, LAYERS)
    used = [i for i in LAYERS if i in access and may_read(who, i, access[i])]
    hidden = [i for i in LAYERS if i not in used and (i in CORE_LAYERS or i in access)]
    return used, hidden


def load_plan_data(db: Database, conn: Connection, who: Principal, plan: Plan) -> PlanData:
    """Read and project everything the scenarios of ``plan`` need (see the module
    docstring)."""
    used, hidden = _readable(conn, who)
    zones = []
    if ZONES in used:
        where = [feature.c.properties["plan_id"].as_string() == plan.id]
        zones = [z for z in db.port.find(conn, ZONES, where=where) if z.wkb is not None]
    raw = shapely.from_wkb([z.wkb for z in zones]) if zones else np.empty(0, dtype=object)
    crs, t = None, None
    if len(raw):
        minx, miny, maxx, maxy = shapely.total_bounds(raw).tolist()
        lon, lat = (minx + maxx) / 2, (miny + maxy) / 2
        t = local_metric(lon, lat, "laea")
        crs = local_metric_crs(lon, lat, "laea")
    zone_geoms = move_with(raw, t) if t is not None else raw
    props = [z.properties for z in zones]
    data = PlanData(
        plan=plan,
        crs=crs,
        layers_used=used,
        layers_hidden=hidden,
        zone_ids=[z.fid for z in zones],
        functions=np.array([p.get("land_use_function") for p in props], dtype=object),
        zone_geoms=zone_geoms,
        zone_area=np.asarray(shapely.area(zone_geoms), dtype=np.float64),
        far=_floats([p.get("max_far") for p in props]),
        coverage_pct=_floats([p.get("max_coverage_pct") for p in props]),
        max_floors=_floats([p.get("max_floors") for p in props]),
        building_zone=np.empty(0, dtype=np.intp),
        building_type=np.empty(0, dtype=object),
        building_area=np.empty(0),
        building_floors=np.empty(0),
        building_height=np.empty(0),
        building_existing=np.empty(0, dtype=bool),
        building_xy=np.empty((0, 2)),
        facility_kind=np.empty(0, dtype=object),
        facility_geoms=np.empty(0, dtype=object),
    )
    if t is None:
        return data
    bounds = tuple(shapely.total_bounds(raw).tolist())
    if BUILDINGS in used:
        _load_buildings(db, conn, data, bounds, t)
    if FACILITIES in used:
        _load_facilities(db, conn, data, expand_degrees(bounds, _max_radius()), t)
    if POPULATION in used:
        _load_residents(db, conn, data, bounds, t, COMMUNES in used)
    return data


def _latest_records(rows: list[FeatureRow]) -> dict[str, FeatureRow]:
    """The latest year's record of each commune-level unit."""
    latest: dict[str, FeatureRow] = {}
    for r in rows:
        p = r.properties
        if p.get("unit_level") != "commune" or p.get("population") is None:
            continue
        code = str(p.get("unit_code"))
        if code not in latest or int(p.get("year") or 0) > int(
            latest[code].properties.get("year") or 0
        ):
            latest[code] = r
    return latest


def _load_residents(
    db: Database,
    conn: Connection,
    data: PlanData,
    bbox: Any,
    t: pyproj.Transformer,
    communes_readable: bool,
) -> None:
    """Existing residents per zone from the ``population`` layer (see
    :attr:`PlanData.zone_residents`): a record drawn as an area is used as it is; a record
    drawn as a point takes its commune's boundary (``admin_commune``, by code)."""
    shapes: dict[str, BaseGeometry] = {}
    if communes_readable:
        for c in db.port.find(conn, COMMUNES, bbox=bbox):
            if c.geometry is not None:
                shapes[str(c.properties.get("code", c.fid))] = c.geometry
    by_code = feature.c.properties["unit_code"].as_string().in_(sorted(shapes))
    rows = list(db.port.find(conn, POPULATION, bbox=bbox))
    if shapes:
        rows += db.port.find(conn, POPULATION, where=[by_code])
    records = _latest_records(rows)
    residents = np.zeros(len(data.zone_ids))
    housing = np.isin(data.functions, _HOUSING_ZONES)
    units: list[dict[str, Any]] = []
    for code, r in sorted(records.items()):
        area_shape = r.geometry if r.geometry is not None and r.geometry.area > 0 else None
        unit = area_shape or shapes.get(code)
        if unit is None:
            continue
        unit_m = move_with(unit, t)
        total = float(shapely.area(unit_m))
        parts = np.asarray(shapely.area(shapely.intersection(data.zone_geoms, unit_m)))
        if total <= 0 or parts.sum() <= 0:
            continue
        people = float(r.properties["population"]) * float(parts.sum()) / total
        # Residents live in the housing zones of the unit's part of the plan, when it has any.
        weights = np.where(housing, parts, 0.0) if (parts[housing] > 0).any() else parts
        residents += people * weights / weights.sum()
        units.append(
            {
                "unit_code": code,
                "name": r.properties.get("unit_name"),
                "year": r.properties.get("year"),
                "population": r.properties["population"],
                "share_in_plan": round(float(parts.sum()) / total, 4),
                "illustrative": bool(r.properties.get("illustrative", False)),
            }
        )
    if units:
        data.zone_residents = residents
        data.residents_source = {
            "units": units,
            "years": sorted({u["year"] for u in units if u["year"] is not None}),
            "illustrative": any(u["illustrative"] for u in units),
        }


def _select(db: Database, layer_id: str, bbox: Any, names: dict[str, str]) -> Select[Any]:
    """Geometry and a few properties of a layer's features in ``bbox``, in one statement
    (no full property documents: the bulk read is what the comparison's time goes to)."""
    props = feature.c.properties
    cols: list[Any] = [db.port.geom_wkb().label("wkb")]
    for name, kind in names.items():
        value = props[name]
        cols.append((value.as_float() if kind == "float" else value.as_string()).label(name))
    return db.port.filtered(layer_id, bbox=bbox).with_only_columns(*cols)


def _load_buildings(
    db: Database, conn: Connection, data: PlanData, bbox: Any, t: pyproj.Transformer
) -> None:
    names = {"building_type": "str", "floors": "float", "height_m": "float", "status": "str"}
    rows = [r for r in conn.execute(_select(db, BUILDINGS, bbox, names)) if r.wkb is not None]
    if not rows:
        return
    geoms = move_with(shapely.from_wkb([bytes(r.wkb) for r in rows]), t)
    points = shapely.point_on_surface(geoms)
    tree = shapely.STRtree(data.zone_geoms)
    inputs, hits = tree.query(points, predicate="intersects")
    # A point on the edge of two zones goes to the first one (the lowest position).
    first, at = np.unique(inputs, return_index=True)
    zone_of = hits[at]
    data.building_zone = zone_of.astype(np.intp)
    data.building_type = np.array([rows[i].building_type for i in first], dtype=object)
    data.building_area = np.asarray(shapely.area(geoms[first]), dtype=np.float64)
    data.building_floors = _floats([rows[i].floors for i in first])
    data.building_height = _floats([rows[i].height_m for i in first])
    data.building_existing = np.array([rows[i].status in _EXISTING for i in first], dtype=bool)
    data.building_xy = shapely.get_coordinates(points[first])


def _load_facilities(
    db: Database, conn: Connection, data: PlanData, bbox: Any, t: pyproj.Transformer
) -> None:
    stmt = _select(db, FACILITIES, bbox, {"kind": "str", "status": "str"})
    rows = [r for r in conn.execute(stmt) if r.wkb is not None and r.status != "abandoned"]
    if not rows:
        return
    data.facility_kind = np.array([r.kind for r in rows], dtype=object)
    data.facility_geoms = move_with(shapely.from_wkb([bytes(r.wkb) for r in rows]), t)
