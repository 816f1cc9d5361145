"""Where a fleet goes: streetlights, bins, counters and flood sensors along the city's
roads (layer ``road``), air stations and rain gauges in its wards (``admin_commune``),
meters at its buildings (``building``), canal gauges on its rivers (``green_water``).

Without those layers (a database with no city yet) devices are spread over central TP Hồ
Chí Minh. Placement is deterministic for a seed: the same fleet lands on the same spots.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from shapely.geometry import LineString, Point
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Connection

from dothi.db.spatial import SpatialPort
from dothi.sensors.simulate.devices import KINDS
from dothi.sensors.simulate.series import HOUR_US, SOURCES, Replay
from dothi.spatial.layers import find_layer

#: Central TP Hồ Chí Minh, for a database without roads.
DEFAULT_AREA = (106.655, 10.760, 106.715, 10.800)
_M_PER_DEG_LAT = 110_574.0
_MAX_FEATURES = 5000
#: Weather is the city's: every rain-related device takes the same storms.
WEATHER_SEED = 1459


@dataclass(frozen=True)
class Place:
    """A feature of the city to put devices on or near."""

    layer: str
    fid: str
    name: str
    geometry: BaseGeometry
    properties: dict[str, Any] = field(default_factory=dict)


@dataclass
class City:
    """What placement draws on (each list possibly empty)."""

    area: tuple[float, float, float, float]
    roads: list[Place]
    wards: list[Place]
    buildings: list[Place]
    water: list[Place]

    def ward_name(self, code: str | None) -> str | None:
        """The name of the ward with ``code``."""
        return next((w.name for w in self.wards if w.fid == code), None)


@dataclass(frozen=True)
class Plan:
    """One device to create: its kind, names, place, the feature it belongs to and its
    pattern's parameters."""

    kind: str
    name: str
    lon: float
    lat: float
    place: str
    layer_id: str | None
    fid: str | None
    params: dict[str, Any]


def _places(conn: Connection, port: SpatialPort, layer: str, name_key: str = "name") -> list[Place]:
    if find_layer(conn, layer) is None:
        return []
    rows = port.find(conn, layer, limit=_MAX_FEATURES)
    out = []
    for r in rows:
        geom = r.geometry
        if geom is None or geom.is_empty:
            continue
        name = str(r.properties.get(name_key) or r.properties.get("name") or r.fid)
        out.append(Place(layer, r.fid, name, geom, dict(r.properties)))
    return sorted(out, key=lambda p: p.fid)


def read_city(conn: Connection, port: SpatialPort) -> City:
    """The roads, wards, buildings and water of the database's city (current versions)."""
    roads = [p for p in _places(conn, port, "road") if isinstance(p.geometry, LineString)]
    if roads:
        xs = [c for p in roads for c in (p.geometry.bounds[0], p.geometry.bounds[2])]
        ys = [c for p in roads for c in (p.geometry.bounds[1], p.geometry.bounds[3])]
        area = (min(xs) - 0.005, min(ys) - 0.005, max(xs) + 0.005, max(ys) + 0.005)
    else:
        area = DEFAULT_AREA

    def inside(p: Place) -> bool:
        pt = p.geometry.representative_point()
        return bool(area[0] <= pt.x <= area[2] and area[1] <= pt.y <= area[3])

    wards = [p for p in _places(conn, port, "admin_commune") if inside(p)]
    buildings = [p for p in _places(conn, port, "building") if inside(p)]
    water = [
        p
        for p in _places(conn, port, "green_water")
        if p.properties.get("category") == "water" and p.geometry.intersects(_box(area))
    ]
    return City(area, roads, wards, buildings, water)


def _box(area: tuple[float, float, float, float]) -> BaseGeometry:
    from shapely.geometry import box

    return box(*area)


# -- Geometry in metres -----------------------------------------------------------------------


def _scale(lat: float) -> tuple[float, float]:
    return _M_PER_DEG_LAT * math.cos(math.radians(lat)), _M_PER_DEG_LAT


def along(line: LineString, metres: float, side_m: float) -> tuple[float, float]:
    """The point ``metres`` along ``line``, moved ``side_m`` to its left (negative:
    right), as (lon, lat)."""
    kx, ky = _scale(line.coords[0][1])
    local = LineString([(x * kx, y * ky) for x, y in line.coords])
    d = max(0.0, min(metres, local.length))
    p = local.interpolate(d)
    q = local.interpolate(min(local.length, d + 1.0)) if d < local.length else p
    o = local.interpolate(max(0.0, d - 1.0))
    dx, dy = q.x - o.x, q.y - o.y
    norm = math.hypot(dx, dy) or 1.0
    return (p.x - dy / norm * side_m) / kx, (p.y + dx / norm * side_m) / ky


def length_m(line: LineString) -> float:
    """The line's length in metres (local flat approximation)."""
    kx, ky = _scale(line.coords[0][1])
    return float(LineString([(x * kx, y * ky) for x, y in line.coords]).length)


# -- Storms -------------------------------------------------------------------------------------


def storm_over(
    area: tuple[float, float, float, float], start: int, hours: float = 3.0
) -> dict[str, Any]:
    """A storm cell crossing ``area`` from the south-west to the north-east, starting at
    ``start`` (µs): the streets flood one after another as it passes."""
    x0, y0, x1, y1 = area
    return {
        "start": start,
        "hours": hours,
        "peak": 75.0,
        "from": [x0 - 0.03, y0 - 0.02],
        "to": [x1 + 0.03, y1 + 0.02],
        "radius_km": 3.5,
    }


# -- Plans ----------------------------------------------------------------------------------------


def plan_fleet(
    city: City,
    counts: Mapping[str, int],
    *,
    seed: int,
    now: int,
    storms: list[dict[str, Any]] | None = None,
    first_number: int = 1,
) -> list[Plan]:
    """Plans for ``counts`` devices of each kind (``air_replay``: at most one per real
    series). ``first_number`` numbers the devices of this batch after earlier ones."""
    rng = random.Random(seed)
    storms = storms if storms is not None else [storm_over(city.area, now - HOUR_US)]
    weather = {"storms": storms, "weather_seed": WEATHER_SEED}
    hcmc = asdict(Replay.to_now("hcmc-us-consulate", now))
    plans: list[Plan] = []
    number = first_number
    for kind, n in counts.items():
        if kind not in KINDS:
            raise ValueError(f"unknown device kind {kind}")  # a bug, not user input
        for i in range(n):
            s = rng.randrange(1, 2**31)
            plans.append(_plan(city, kind, i, n, number, s, rng, now, weather, hcmc))
            number += 1
    return plans


def _point_in_area(city: City, rng: random.Random) -> tuple[float, float]:
    x0, y0, x1, y1 = city.area
    return rng.uniform(x0, x1), rng.uniform(y0, y1)


def _on_road(
    city: City,
    i: int,
    n: int,
    rng: random.Random,
    spacing: float,
    side: float,
    *,
    row: int,
    longest_first: bool,
) -> tuple[float, float, Place | None, int]:
    """A place along a road: devices of a kind stand in rows of at least ``row`` on a
    road (as a street's lamps do), ``spacing`` metres apart on alternating sides, filling
    the roads in turn (the longest first, if asked); (lon, lat, road, number on it)."""
    if not city.roads:
        lon, lat = _point_in_area(city, rng)
        return lon, lat, None, i + 1
    roads = city.roads
    if longest_first:
        roads = sorted(roads, key=lambda r: -length_m(r.geometry))
    per_road = max(1, -(-n // len(roads)), min(n, row))
    road = roads[(i // per_road) % len(roads)]
    k = i % per_road
    line = road.geometry
    assert isinstance(line, LineString)
    total = length_m(line)
    span = min(total, spacing * per_road)
    start = (total - span) / 2
    metres = start + (k + 0.5) * span / per_road
    lon, lat = along(line, metres, side if k % 2 == 0 else -side)
    return lon, lat, road, k + 1


def _one_per_road(
    city: City, i: int, n: int, rng: random.Random, major_first: bool
) -> tuple[float, float, Place | None, int]:
    """Counters and flood sensors: one per road (major roads first for counters), spread
    over the roads when there are fewer devices than roads."""
    if not city.roads:
        lon, lat = _point_in_area(city, rng)
        return lon, lat, None, 1
    roads = city.roads
    if major_first:
        roads = sorted(roads, key=lambda r: r.properties.get("road_class", "local") == "local")
        road = roads[i % len(roads)]
    else:
        road = (
            roads[(i * len(roads)) // max(n, 1) % len(roads)]
            if n <= len(roads)
            else roads[i % len(roads)]
        )
    line = road.geometry
    assert isinstance(line, LineString)
    lap = i // len(roads)
    lon, lat = along(line, length_m(line) * (0.5 + 0.2 * ((lap % 3) - 1)), 0.0)
    return lon, lat, road, lap + 1


def _plan(
    city: City,
    kind: str,
    i: int,
    n: int,
    number: int,
    seed: int,
    rng: random.Random,
    now: int,
    weather: dict[str, Any],
    hcmc: dict[str, Any],
) -> Plan:
    params: dict[str, Any] = {"seed": seed}
    layer: str | None = None
    fid: str | None = None
    if kind == "air_replay":
        key = list(SOURCES)[[1, 2, 0][i % 3]]  # TP HCM first, then Nhà Bè, then Hà Nội
        source = SOURCES[key]
        replay = Replay.to_now(key, now)
        params["replay"] = asdict(replay)
        params["streams"] = list(source.streams)
        return Plan(
            kind, source.name_vi, source.lon, source.lat, source.place_note, None, None, params
        )
    if kind in ("light", "bin", "traffic", "flood"):
        if kind in ("light", "bin"):
            light = kind == "light"
            spacing, side, row = (35.0, 9.0, 6) if light else (60.0, 6.0, 4)
            lon, lat, road, k = _on_road(
                city, i, n, rng, spacing, side, row=row, longest_first=light
            )
        else:
            lon, lat, road, k = _one_per_road(city, i, n, rng, kind == "traffic")
        street = road.name if road else f"khu trung tâm {number}"
        if road is not None:
            layer, fid = road.layer, road.fid
        road_class = str(road.properties.get("road_class", "local")) if road else "local"
        if kind == "light":
            params.update(
                photocell=round(rng.uniform(-0.15, 0.15), 3),
                watts=rng.choice([60, 100, 100, 150]),
                fault_rate=0.03,
            )
            name = f"Đèn đường {street} – cột {k}"
        elif kind == "bin":
            params.update(
                period_h=rng.choice([24, 24, 48]),
                collect_h=round(rng.uniform(4.5, 7.0), 2),
                fill_per_period=round(rng.uniform(0.55, 1.2), 2),
            )
            name = f"Thùng rác {street} số {k}"
        elif kind == "traffic":
            major = road_class != "local"
            params.update(capacity=3600 if major else 1500, free_speed=45.0 if major else 30.0)
            name = f"Trạm đếm xe {street}"
        else:
            params.update(
                lon=lon,
                lat=lat,
                per_mm=round(rng.uniform(0.008, 0.014), 4),
                drains_mm=round(rng.uniform(8, 25), 1),
                low=round(rng.uniform(0.0, 0.8), 2),
                **weather,
            )
            name = f"Cảm biến ngập {street}"
        return Plan(kind, name, lon, lat, street, layer, fid, params)
    if kind in ("water_meter", "power_meter"):
        if city.buildings:
            b = city.buildings[(i * 7919) % len(city.buildings)]
            pt = b.geometry.representative_point()
            lon, lat, layer, fid = pt.x, pt.y, b.layer, b.fid
            ward = city.ward_name(b.properties.get("commune_code")) or b.fid
        else:
            lon, lat = _point_in_area(city, rng)
            ward = "khu trung tâm"
        water = kind == "water_meter"
        params.update(
            key="water_volume" if water else "power_energy",
            per_day=round(rng.uniform(2, 30) if water else rng.uniform(20, 400), 2),
            start=round(rng.uniform(1000, 9000), 1),
        )
        label = "Đồng hồ nước" if water else "Công tơ điện"
        return Plan(kind, f"{label} số {number} – {ward}", lon, lat, ward, layer, fid, params)
    if kind == "canal":
        if city.water:
            w = city.water[i % len(city.water)]
            pt = _on_water(w.geometry, i // len(city.water), rng)
            lon, lat, layer, fid, where = pt[0], pt[1], w.layer, w.fid, w.name
        else:
            lon, lat = _point_in_area(city, rng)
            where = f"kênh {number}"
        params.update(
            lon=lon, lat=lat, phase=round(rng.uniform(-0.2, 0.2), 3), mean=0.45, **weather
        )
        return Plan(kind, f"Trạm mực nước {where}", lon, lat, where, layer, fid, params)
    # Air stations and rain gauges: in the wards, spread over them.
    if city.wards:
        w = city.wards[(i * len(city.wards)) // max(n, 1) % len(city.wards)]
        pt = _jitter(w.geometry.representative_point(), w.geometry, rng)
        lon, lat, layer, fid, where = pt[0], pt[1], w.layer, w.fid, w.name
    else:
        lon, lat = _point_in_area(city, rng)
        where = f"khu {number}"
    if kind == "rain":
        params.update(lon=lon, lat=lat, **weather)
        return Plan(kind, f"Trạm đo mưa {where}", lon, lat, where, layer, fid, params)
    params.update(
        factor=round(rng.uniform(0.8, 1.35), 2),
        traffic=round(rng.uniform(0.5, 1.5), 2),
        pm10_ratio=round(rng.uniform(1.4, 1.9), 2),
        replay=hcmc,
    )
    return Plan(kind, f"Trạm không khí {where} (mô phỏng)", lon, lat, where, layer, fid, params)


def _jitter(pt: Point, within: BaseGeometry, rng: random.Random) -> tuple[float, float]:
    for _ in range(20):
        q = Point(pt.x + rng.uniform(-0.003, 0.003), pt.y + rng.uniform(-0.003, 0.003))
        if within.contains(q):
            return q.x, q.y
    return pt.x, pt.y


def _on_water(geom: BaseGeometry, k: int, rng: random.Random) -> tuple[float, float]:
    """A point inside a river or canal: its representative point, then others inside."""
    if k == 0:
        pt = geom.representative_point()
        return pt.x, pt.y
    x0, y0, x1, y1 = geom.bounds
    for _ in range(200):
        q = Point(rng.uniform(x0, x1), rng.uniform(y0, y1))
        if geom.contains(q):
            return q.x, q.y
    pt = geom.representative_point()
    return pt.x, pt.y
