"""The demo city's base map: illustrative roads, water and green, and parcel addresses.

Used by tools/build_demo.py. ``shared/data`` has no OpenStreetMap road network and no
green or water polygons, so the base is derived, and marked illustrative:

- road: one straight centre line per street, fitted through the OSM buildings and shops
  that carry that street in their ``addr:street`` tag (the addresses line both sides of
  the real street, so their principal axis runs along it). Names are the real street names,
  the geometry is an approximation.
- green_water: the river and canals from the shared borders of the 2025 wards, which
  follow them in central TP HCM (a band of the typical width around the border line); the
  public green zones of the illustrative 2026 plan as planned parks.
- land_parcel.address: house number + nearest derived street + ward, e.g.
  "12 Lê Lợi, phường Sài Gòn" (the OSM house number where the building has one on that
  street; otherwise a number from the position along the street, odd on one side, even on
  the other).
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import numpy as np
import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

Feature = dict[str, Any]
MakeFeature = Callable[[str, BaseGeometry, dict[str, Any]], Feature]
Metric = Callable[[BaseGeometry], BaseGeometry]

NOTE_ROAD = (
    "Tim đường minh họa: tên đường thật, vị trí ước lượng từ địa chỉ OpenStreetMap "
    "dọc tuyến; không phải bản đồ giao thông. / Illustrative centre line: a real street "
    "name, the position estimated from OpenStreetMap addresses along it; not a road map."
)
NOTE_WATER = (
    "Mặt nước minh họa: dải bề rộng điển hình quanh ranh giới phường 2025 chạy theo sông, "
    "kênh. / Illustrative water: a band of typical width around the 2025 ward border that "
    "follows the river or canal."
)
NOTE_GREEN = (
    "Cây xanh minh họa theo ô quy hoạch cây xanh công cộng của đồ án minh họa 2026; không "
    "phải hiện trạng. / Illustrative green from a public-green zone of the illustrative 2026 "
    "plan; not the existing state."
)
ROAD_SOURCE = (
    "Minh họa, từ addr:street của OSM (ohsome 2023-10-22) / "
    "illustrative, from OSM addr:street (ohsome 2023-10-22)"
)

# Streets whose addresses lie within this of each other belong to one stretch; points
# further than MAX_OFFSET_M from the fitted line are mis-tagged or on a side alley.
LINK_M = 350.0
MAX_OFFSET_M = 45.0
MIN_POINTS = 2
MIN_LENGTH_M = 80.0
END_EXTENSION_M = 25.0
NUMBER_SPACING_M = 8.0  # one house number per 8 m of frontage, each side

# Which shared ward borders are water, and the half-width of the band around them (m).
WATERWAYS: list[tuple[str, str, str, list[tuple[str, str]], float]] = [
    ("river", "song-sai-gon", "Sông Sài Gòn", [("26740", "27094")], 130.0),
    (
        "canal",
        "kenh-ben-nghe",
        "Kênh Bến Nghé",
        [("26743", "27265"), ("26743", "27259"), ("26740", "27259")],
        35.0,
    ),
    (
        "canal",
        "kenh-nhieu-loc-thi-nghe",
        "Kênh Nhiêu Lộc – Thị Nghè",
        [("26737", "26944"), ("26737", "27058"), ("26740", "26944"), ("26740", "26956")],
        25.0,
    ),
]


def street_name(raw: str | None) -> str | None:
    """A street's name as a person writes it, from an ``addr:street`` value.

    NFC; the look-alike Icelandic Ð (U+00D0) some editors type becomes Đ; the word
    "Đường" (street) in front is dropped; alleys ("Hẻm 40 Bùi Viện") are not streets.
    """
    if not raw:
        return None
    name = unicodedata.normalize("NFC", raw).replace("\u00d0", "Đ").replace("\u00f0", "đ")
    name = " ".join(name.split())
    name = re.sub(r"^(đường|Đường|Duong|duong)\s+", "", name)
    if not name or re.match(r"^(hẻm|Hẻm|ngõ|Ngõ|kiệt|Kiệt)\b", name):
        return None
    return name


def fold(name: str) -> str:
    """Name without diacritics, lower case: groups "Nguyen Hue" with "Nguyễn Huệ"."""
    plain = unicodedata.normalize("NFD", name.replace("Đ", "D").replace("đ", "d"))
    return "".join(c for c in plain if not unicodedata.combining(c)).casefold()


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", fold(name)).strip("-")


def _clusters(points: np.ndarray) -> list[np.ndarray]:
    """Single-linkage groups of points closer than LINK_M (index arrays, in order)."""
    n = len(points)
    parent = list(range(n))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i in range(n):
        d = np.hypot(*(points[i + 1 :] - points[i]).T)
        for j in np.nonzero(d < LINK_M)[0]:
            parent[root(i)] = root(i + 1 + int(j))
    groups: dict[int, list[int]] = defaultdict(list)
    for i in range(n):
        groups[root(i)].append(i)
    return [np.array(g) for g in sorted(groups.values(), key=lambda g: g[0])]


def _fit_line(points: np.ndarray) -> shapely.LineString | None:
    """The principal axis through the points, between their extreme projections."""
    for _ in range(2):
        if len(points) < MIN_POINTS:
            return None
        centre = points.mean(axis=0)
        _, _, vt = np.linalg.svd(points - centre)
        axis = vt[0] if vt[0][0] > 0 or (vt[0][0] == 0 and vt[0][1] > 0) else -vt[0]
        normal = np.array([-axis[1], axis[0]])
        offsets = np.abs((points - centre) @ normal)
        keep = offsets <= MAX_OFFSET_M
        if keep.all():
            break
        points = points[keep]
    if len(points) < MIN_POINTS:
        return None
    along = (points - centre) @ axis
    lo, hi = along.min() - END_EXTENSION_M, along.max() + END_EXTENSION_M
    if hi - lo < MIN_LENGTH_M:
        return None
    return shapely.LineString([centre + lo * axis, centre + hi * axis])


def road_class(length_m: float) -> str:
    """An illustrative class from the length of the stretch (no highway tag to go on)."""
    if length_m >= 1200:
        return "main_urban"
    if length_m >= 500:
        return "main_district"
    return "local"


def build_roads(
    osm: list[tuple[dict[str, Any], BaseGeometry]],
    area_m: BaseGeometry,
    ward_at: Callable[[BaseGeometry], str | None],
    to_metric: Metric,
    to_degrees: Metric,
    make: MakeFeature,
) -> list[Feature]:
    """Illustrative street centre lines inside ``area_m`` (metric), one per stretch."""
    variants: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    points: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for p, g in osm:
        name = street_name(p.get("addr:street"))
        if name is None:
            continue
        pt = to_metric(g.representative_point() if g.geom_type != "Point" else g)
        if not area_m.contains(pt):
            continue
        key = fold(name)
        variants[key][name] += 1
        points[key].append((pt.x, pt.y))
    out = []
    for key in sorted(points):
        # The spelling used most, preferring one with diacritics ("Nguyễn Huệ", not "Nguyen Hue").
        name = max(variants[key], key=lambda v: (v != fold(v), variants[key][v], v))
        pts = np.array(sorted(points[key]))
        n = 0
        for group in _clusters(pts):
            line = _fit_line(pts[group])
            if line is None:
                continue
            line = line.intersection(area_m)
            if line.is_empty or line.length < MIN_LENGTH_M or line.geom_type != "LineString":
                continue
            n += 1
            uid = f"minh-hoa-{slug(name)}-{n}"
            out.append(
                make(
                    uid,
                    to_degrees(line),
                    {
                        "road_uid": uid,
                        "name": name,
                        "road_class": road_class(line.length),
                        "commune_code": ward_at(to_degrees(line.interpolate(0.5, normalized=True))),
                        "status": "existing",
                        "source": ROAD_SOURCE,
                        "illustrative": True,
                        "note": NOTE_ROAD,
                    },
                )
            )
    return out


def build_water(
    wards: dict[str, BaseGeometry], to_metric: Metric, to_degrees: Metric, make: MakeFeature
) -> list[Feature]:
    """Illustrative river and canals along the ward borders that follow them."""
    out = []
    for kind, uid, name, pairs, half_width in WATERWAYS:
        lines = []
        for a, b in pairs:
            border = to_metric(wards[a]).boundary.intersection(to_metric(wards[b]).boundary)
            lines.append(border)
        band = shapely.union_all(lines).buffer(half_width, cap_style="flat")
        band = band.buffer(0)
        if band.geom_type == "MultiPolygon":
            band = max(band.geoms, key=lambda g: (g.area, g.wkb))
        out.append(
            make(
                f"minh-hoa-{uid}",
                to_degrees(band),
                {
                    "surface_uid": f"minh-hoa-{uid}",
                    "category": "water",
                    "kind": kind,
                    "name": name,
                    "public_access": True,
                    "area_m2": round(band.area, 1),
                    "stage": "existing",
                    "source": "Minh họa, từ ranh giới phường 2025 / illustrative, from 2025 "
                    "ward borders",
                    "illustrative": True,
                    "note": NOTE_WATER,
                },
            )
        )
    return out


def build_green(zones: list[Feature], to_metric: Metric, make: MakeFeature) -> list[Feature]:
    """Planned parks: the public-green zones of the approved illustrative plan."""
    out = []
    for z in zones:
        p = z["properties"]
        if p.get("land_use_function") != "green_public" or p.get("plan_id") != "minh-hoa-2026":
            continue
        uid = f"minh-hoa-cx-{p['zone_uid'].removeprefix('MINH-HOA-2026-').lower()}"
        geom = shape(z["geometry"])
        out.append(
            make(
                uid,
                geom,
                {
                    "surface_uid": uid,
                    "category": "green",
                    "kind": "park",
                    "name": f"Cây xanh công cộng {p['zone_code']}",
                    "public_access": True,
                    "area_m2": round(to_metric(geom).area, 1),
                    "commune_code": p["commune_code"],
                    "stage": "planned",
                    "source": "Minh họa, từ ô quy hoạch / illustrative, from the plan's zone "
                    f"{p['zone_code']}",
                    "illustrative": True,
                    "note": NOTE_GREEN,
                },
            )
        )
    return out


def _number_on(line: BaseGeometry, point: BaseGeometry) -> int:
    """A house number from the position along the street: odd left, even right."""
    s = line.project(point)
    a = np.array(line.interpolate(max(s - 1.0, 0.0)).coords[0])
    b = np.array(line.interpolate(min(s + 1.0, line.length)).coords[0])
    c = np.array(point.coords[0])
    left = (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]) > 0
    k = int(s // NUMBER_SPACING_M)
    return 2 * k + 1 if left else 2 * k + 2


def add_addresses(
    parcels: list[Feature],
    roads: list[Feature],
    osm_numbers: dict[str, tuple[str, str]],
    ward_names: dict[str, str],
    to_metric: Metric,
    note: str,
) -> None:
    """Give every parcel an illustrative address on its nearest derived street (in place).

    ``osm_numbers`` maps an OSM id to (house number, street name) where the building had
    them; they are kept when that street is the nearest one. Numbers taken twice on a
    street get a letter, as Vietnamese addresses do ("12A").
    """
    lines = [to_metric(shape(r["geometry"])) for r in roads]
    names = [r["properties"]["name"] for r in roads]
    tree = shapely.STRtree(lines)
    taken: set[str] = set()
    for f in sorted(parcels, key=lambda f: f["id"]):
        p = f["properties"]
        point = to_metric(shape(f["geometry"]).representative_point())
        i = int(tree.nearest(point))
        street = names[i]
        osm_id = (re.search(r"(way|node|relation)/\d+", p.get("source", "")) or [None])[0]
        known = osm_numbers.get(osm_id) if osm_id else None
        ward = ward_names[p["commune_code"]]
        place = f"{street}, {ward[0].lower()}{ward[1:]}"
        if known and fold(known[1]) == fold(street) and re.fullmatch(r"\d+[A-Z]?", known[0]):
            address = f"{known[0]} {place}"
            letters = iter("ABCDEFGHKLMNPQRSTUVXY")
            while address in taken:  # two buildings of one house number: 12A, 12B…
                address = f"{known[0]}{next(letters)} {place}"
        else:
            number = _number_on(lines[i], point)
            while f"{number} {place}" in taken:  # the next number on the same side
                number += 2
            address = f"{number} {place}"
        taken.add(address)
        p["address"] = address
        p["note"] = note
