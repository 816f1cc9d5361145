"""Build Dothi's demo city (TP Hồ Chí Minh, code 79) from the open data in shared/data.

Usage::

    .venv/bin/python tools/build_demo.py [--data ../shared/data] [--out src/dothi/demo/data]

Reads the 2025 administrative units (vn-admin-2025/) and the OpenStreetMap extract of
TP HCM (hcmc-osm-ohsome/), maps them to the layer schemas in src/dothi/spatial/schemas/,
derives clearly-labelled ILLUSTRATIVE layers where no open data exists (planning zones,
land parcels, population), validates every feature against its schema and writes
gzipped RFC 7946 GeoJSON, manifest.json, SOURCES.md and the licence texts.

The output is deterministic: same input, byte-identical files (sorted keys, sorted
features, gzip mtime 0). Any invalid feature fails the build.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import json
import math
import re
import shutil
import sys
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

import demo_base
import jsonschema
import numpy as np
import shapely
from pyproj import Transformer
from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry

REPO = Path(__file__).resolve().parents[1]
SCHEMA_DIR = REPO / "src" / "dothi" / "spatial" / "schemas"
DEFAULT_OUT = REPO / "src" / "dothi" / "demo" / "data"
DEFAULT_DATA = REPO.parent / "shared" / "data"

CITY_CODE = "79"
# Metric work (areas, buffers, grids) in WGS 84 / UTM 48N; the city lies at 106-107°E.
METRIC_CRS = "EPSG:32648"
TO_M = Transformer.from_crs("EPSG:4326", METRIC_CRS, always_xy=True)
TO_DEG = Transformer.from_crs(METRIC_CRS, "EPSG:4326", always_xy=True)

PROVINCE_TOLERANCE = 0.005  # degrees, coverage simplification of the 34 provinces
COMMUNE_TOLERANCE = 0.0002  # degrees, coverage simplification of the TP HCM communes
COORD_DECIMALS = 7

# Illustrative layers: which wards they cover.
PLANNING_WARDS = {"26740": "SG", "26743": "BT", "26737": "TD"}  # Sài Gòn, Bến Thành, Tân Định
PARCEL_WARDS = ("26740", "27013")  # Sài Gòn, Tây Thạnh
PLAN_CELL_M = 300.0
SHEET_CELL_M = 250.0  # a 1:500 cadastral map sheet covers 250 m x 250 m
PARCEL_BUFFER_M = 3.0
BASE_MARGIN_M = 300.0  # the base map reaches this far beyond the demo's wards
CITY_CENTRE = (106.6980, 10.7725)  # Bến Thành market, for the illustrative density model

PLAN_2026 = "minh-hoa-2026"
PLAN_2027 = "minh-hoa-2027"
NOTE_DRAFT = (
    "Dự thảo điều chỉnh MINH HỌA đang lấy ý kiến; không có giá trị pháp lý. / "
    "ILLUSTRATIVE draft adjustment in consultation; no legal effect."
)
NOTE_CONSTRAINT = (
    "Ràng buộc minh họa, không phải chỉ giới được phê duyệt; không có giá trị pháp lý. / "
    "Illustrative constraint, not an approved alignment; no legal effect."
)
NOTE_ZONE = (
    "Số liệu minh họa, không phải quy hoạch được phê duyệt; không có giá trị pháp lý. / "
    "Illustrative values, not an approved plan; no legal effect."
)
NOTE_PARCEL = (
    "Thửa đất minh họa dựng từ đường bao nhà OpenStreetMap, không phải dữ liệu địa chính; "
    "địa chỉ minh họa theo đường gần nhất. / Illustrative parcel derived from an "
    "OpenStreetMap building footprint, not cadastral data; illustrative address on the "
    "nearest street."
)
NOTE_POPULATION = (
    "Số liệu minh họa từ mô hình mật độ, không phải số liệu thống kê chính thức. / "
    "Illustrative values from a density model, not official statistics."
)

OSM_LICENSE = "ODbL-1.0"
OSM_ATTRIBUTION = "© OpenStreetMap contributors"
OSM_SOURCE = (
    "OpenStreetMap via the ohsome API, snapshot 2023-10-22T20:00Z, as published in "
    "github.com/A-Buch/flood-loss-models-4-HCMC @ 408e5af227ab888935172f9dcdb683718bdfec2f "
    "(shared/data/hcmc-osm-ohsome)"
)
ADMIN_LICENSE = "MIT"
ADMIN_ATTRIBUTION = (
    "© 2021 Thang Le Quoc, vietnamese-provinces-database (MIT). GIS boundary data derived from "
    "the Vietnam Administrative Units Reference Map (https://sapnhap.bando.com.vn), Vietnam "
    "Natural Resources, Environment and Cartography Publishing House, Ministry of Agriculture "
    "and Environment."
)
ADMIN_SOURCE = (
    "github.com/thanglequoc/vietnamese-provinces-database @ "
    "cd58063299585146ded3981f2272946ef19ced54 (shared/data/vn-admin-2025)"
)
ILLUSTRATIVE_SOURCE = "Dothi demo build (tools/build_demo.py): illustrative values"


# --------------------------------------------------------------------------- helpers


def nfc(value: Any) -> Any:
    """Return value with every string normalised to Unicode NFC."""
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, dict):
        return {nfc(k): nfc(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [nfc(v) for v in value]
    return value


def unit_hash(*parts: object) -> float:
    """A deterministic number in [0, 1) from the parts (no random state anywhere)."""
    digest = hashlib.sha256("|".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def pick(seq: list[Any], *parts: object) -> Any:
    return seq[int(unit_hash(*parts) * len(seq))]


def to_metric(geom: BaseGeometry) -> BaseGeometry:
    return shapely.transform(geom, lambda c: np.column_stack(TO_M.transform(c[:, 0], c[:, 1])))


def to_degrees(geom: BaseGeometry) -> BaseGeometry:
    return shapely.transform(geom, lambda c: np.column_stack(TO_DEG.transform(c[:, 0], c[:, 1])))


def area_m2(geom: BaseGeometry) -> float:
    return float(to_metric(geom).area)


def polygons_only(geom: BaseGeometry) -> BaseGeometry | None:
    """Keep the polygonal part of a geometry (intersections may add lines or points)."""
    if geom.is_empty:
        return None
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [g for g in getattr(geom, "geoms", []) if g.geom_type in ("Polygon", "MultiPolygon")]
    if not parts:
        return None
    return shapely.union_all(parts)


def finish_geometry(geom: BaseGeometry) -> dict[str, Any]:
    """Round to 7 decimals, keep it valid, orient rings per RFC 7946, return GeoJSON."""
    rounded = shapely.transform(geom, lambda c: np.round(c, COORD_DECIMALS))
    if not rounded.is_valid and rounded.geom_type in ("Polygon", "MultiPolygon"):
        # Rounding can pinch a thin part of a polygon: repair, keep the polygonal part.
        repaired = polygons_only(shapely.make_valid(rounded))
        if repaired is not None:
            rounded = shapely.transform(repaired, lambda c: np.round(c, COORD_DECIMALS))
    if rounded.is_empty or not rounded.is_valid:
        raise ValueError(f"cannot write a valid geometry: {shapely.is_valid_reason(rounded)}")
    if rounded.geom_type in ("Polygon", "MultiPolygon"):
        rounded = shapely.orient_polygons(rounded, exterior_cw=False)
    return json.loads(json.dumps(mapping(rounded)))


def clean(props: dict[str, Any]) -> dict[str, Any]:
    """Drop empty values; a feature carries only what is known."""
    return {k: v for k, v in props.items() if v is not None and v != ""}


def feature(key: str, geom: BaseGeometry, props: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "Feature",
        "id": key,
        "geometry": finish_geometry(geom),
        "properties": nfc(clean(props)),
    }


def load_features(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        return nfc(json.load(fh))["features"]  # type: ignore[no-any-return]


def osm_common(p: dict[str, Any]) -> dict[str, Any]:
    return {
        "osm_id": p["@osmId"],
        "osm_version": p.get("@version"),
        "osm_last_edit": p.get("@lastEdit"),
        "source": "OpenStreetMap (ohsome 2023-10-22)",
    }


def osm_address(p: dict[str, Any]) -> str | None:
    number, street = p.get("addr:housenumber"), p.get("addr:street")
    if street:
        return f"{number} {street}" if number else street
    return p.get("addr:full")


def osm_name(p: dict[str, Any]) -> str | None:
    return p.get("name") or p.get("name:vi") or p.get("name:en")


class CommuneIndex:
    """Point-in-commune lookup on the original (unsimplified) commune geometries."""

    def __init__(self, communes: list[tuple[str, BaseGeometry]]) -> None:
        self.codes = [c for c, _ in communes]
        self.geoms = [g for _, g in communes]
        self.tree = shapely.STRtree(self.geoms)

    def code_at(self, point: BaseGeometry) -> str | None:
        hits = sorted(int(i) for i in self.tree.query(point, predicate="within"))
        return self.codes[hits[0]] if hits else None


# --------------------------------------------------------------------------- schemas

PROPERTY_KEYWORDS = {
    "type",
    "enum",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minLength",
    "maxLength",
    "pattern",
    "format",
    "title",
    "description",
}
SCALAR_TYPES = {"string", "integer", "number", "boolean"}
GEOMETRY_TYPES = {
    "Point": {"Point", "MultiPoint"},
    "LineString": {"LineString", "MultiLineString"},
    "Polygon": {"Polygon", "MultiPolygon"},
    "Geometry": {
        "Point",
        "MultiPoint",
        "LineString",
        "MultiLineString",
        "Polygon",
        "MultiPolygon",
    },
}


def check_schema_doc(doc: dict[str, Any], land_use_codes: list[str]) -> list[str]:
    """Check a layer schema file against the subset of JSON Schema Dothi supports."""
    errors: list[str] = []
    lid = doc.get("id")
    expected = {"id", "title", "description", "geometry_type", "key", "access", "schema"}
    if set(doc) != expected:
        errors.append(f"{lid}: top-level keys {sorted(doc)} != {sorted(expected)}")
    for field in ("title", "description"):
        if set(doc.get(field, {})) != {"vi", "en"}:
            errors.append(f"{lid}: {field} needs vi and en")
    if doc.get("geometry_type") not in GEOMETRY_TYPES:
        errors.append(f"{lid}: bad geometry_type {doc.get('geometry_type')}")
    if doc.get("access") not in ("public", "internal", "restricted"):
        errors.append(f"{lid}: bad access {doc.get('access')}")
    schema = doc.get("schema", {})
    if set(schema) - {"type", "required", "properties"} or schema.get("type") != "object":
        errors.append(f"{lid}: schema top level may only hold type=object, required, properties")
    props = schema.get("properties", {})
    for name in schema.get("required", []):
        if name not in props:
            errors.append(f"{lid}: required {name} not in properties")
    if doc.get("key") not in schema.get("required", []):
        errors.append(f"{lid}: key {doc.get('key')} must be required")
    for name, ps in props.items():
        # Keywords starting with "x-" are annotations (labels, colours) that validators
        # ignore; anything else outside the supported subset is an error.
        extra = {k for k in ps if not k.startswith("x-")} - PROPERTY_KEYWORDS
        if extra:
            errors.append(f"{lid}.{name}: unsupported keywords {sorted(extra)}")
        types = ps.get("type")
        tlist = types if isinstance(types, list) else [types]
        if not (
            len([t for t in tlist if t != "null"]) == 1
            and all(t in SCALAR_TYPES or t == "null" for t in tlist)
        ):
            errors.append(f"{lid}.{name}: bad type {types}")
        if ps.get("format") not in (None, "date", "date-time"):
            errors.append(f"{lid}.{name}: bad format {ps.get('format')}")
        if " / " not in ps.get("title", ""):
            errors.append(f"{lid}.{name}: title must be bilingual 'vi / en'")
        nullable = isinstance(types, list) and "null" in types
        required = name in schema.get("required", [])
        if nullable == required:
            # Dothi validates column-wise: a value missing from a row is a null, so an
            # optional property must accept null and a required one must not.
            errors.append(f"{lid}.{name}: must be nullable exactly when not required")
        if "enum" in ps and nullable != (None in ps["enum"]):
            errors.append(f"{lid}.{name}: enum must list null exactly when the type allows it")
        if name == "land_use_code" and [c for c in ps.get("enum", []) if c] != land_use_codes:
            errors.append(f"{lid}.{name}: enum differs from land_use_codes.json")
    text = json.dumps(doc, ensure_ascii=False)
    if not unicodedata.is_normalized("NFC", text):
        errors.append(f"{lid}: text is not NFC")
    return errors


# Files beside the layer schemas that describe no layer.
NOT_LAYER_SCHEMAS = {"land_use_codes.json", "column-mappings.json"}


def load_schemas() -> dict[str, dict[str, Any]]:
    with (SCHEMA_DIR / "land_use_codes.json").open(encoding="utf-8") as fh:
        table = json.load(fh)
    codes = [c["code"] for c in table["codes"]]
    errors: list[str] = []
    if len(set(codes)) != len(codes):
        errors.append("land_use_codes.json: duplicate codes")
    for c in table["codes"]:
        if c.get("certainty") not in ("verified", "uncertain") or not set(c["generations"]) <= {
            "2018",
            "2024",
        }:
            errors.append(f"land_use_codes.json: bad record {c['code']}")
    schemas: dict[str, dict[str, Any]] = {}
    for path in sorted(SCHEMA_DIR.glob("*.json")):
        if path.name in NOT_LAYER_SCHEMAS:
            continue
        with path.open(encoding="utf-8") as fh:
            doc = json.load(fh)
        if doc.get("id") != path.stem:
            errors.append(f"{path.name}: id {doc.get('id')} does not match the file name")
        errors += check_schema_doc(doc, codes)
        schemas[doc["id"]] = doc
    if errors:
        raise SystemExit("invalid layer schemas:\n  " + "\n  ".join(errors))
    return schemas


def _is_date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)", value):
        return False
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


FORMAT_CHECKER = jsonschema.FormatChecker(formats=["date"])
FORMAT_CHECKER.checks("date-time")(_is_date_time)


def validate_layer(doc: dict[str, Any], features: list[dict[str, Any]]) -> list[str]:
    """Every feature against its layer schema, geometry type, validity, key uniqueness."""
    lid, key = doc["id"], doc["key"]
    validator = jsonschema.Draft202012Validator(doc["schema"], format_checker=FORMAT_CHECKER)
    declared = set(doc["schema"]["properties"])
    allowed_geoms = GEOMETRY_TYPES[doc["geometry_type"]]
    errors: list[str] = []
    seen: set[str] = set()
    for f in features:
        props = f["properties"]
        fid = props.get(key)
        where = f"{lid}[{fid}]"
        for err in validator.iter_errors(props):
            errors.append(f"{where}: {'/'.join(map(str, err.path))} {err.message}")
        undeclared = set(props) - declared
        if undeclared:
            errors.append(f"{where}: undeclared properties {sorted(undeclared)}")
        if fid in seen:
            errors.append(f"{where}: duplicate key")
        seen.add(fid)
        if f["id"] != fid:
            errors.append(f"{where}: feature id differs from key")
        geom = f["geometry"]
        if geom["type"] not in allowed_geoms:
            errors.append(f"{where}: geometry {geom['type']} not allowed")
        g = shape(geom)
        if g.is_empty or not g.is_valid:
            errors.append(f"{where}: invalid geometry ({shapely.is_valid_reason(g)})")
        minx, miny, maxx, maxy = g.bounds
        if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
            errors.append(f"{where}: coordinates out of range")
        if not unicodedata.is_normalized("NFC", json.dumps(props, ensure_ascii=False)):
            errors.append(f"{where}: text is not NFC")
    return errors


def check_zone_rules(zones: list[dict[str, Any]]) -> list[str]:
    """Rules a schema cannot express: floors in order, coefficient within coverage × floors."""
    errors = []
    for f in zones:
        p = f["properties"]
        if p.get("min_floors", 0) > p.get("max_floors", 10**6):
            errors.append(f"planning_zone[{f['id']}]: min_floors > max_floors")
        if "max_far" in p and "max_coverage_pct" in p and "max_floors" in p:
            limit = p["max_coverage_pct"] / 100 * p["max_floors"]
            if p["max_far"] > limit + 1e-9:
                errors.append(f"planning_zone[{f['id']}]: max_far above coverage × floors")
    return errors


# --------------------------------------------------------------------------- layers

ILLUSTRATIVE_LAYERS = (
    "road",
    "green_water",
    "planning_zone",
    "planning_constraint",
    "land_parcel",
    "population",
)


def load_units(data: Path) -> dict[str, Any]:
    """The 2025 unit list (provinces with their wards), by code."""
    text = (data / "vn-admin-2025/units_full_2026-07-25.json").read_text()
    return {u["Code"]: u for u in nfc(json.loads(text))}


def unit_properties(p: dict[str, Any], unit_type: str, **extra: Any) -> dict[str, Any]:
    """Properties of an administrative unit, in the key order of the layer schemas."""
    out = {
        "code": p["code"],
        "name": p["name"],
        "full_name": p["fullName"],
        "name_en": p["nameEn"],
        "full_name_en": p["fullNameEn"],
        "code_name": p["codeName"],
    }
    return {**out, **extra, "unit_type": unit_type, "area_km2": p["areaKm2"]}


def build_admin_province(data: Path) -> list[dict[str, Any]]:
    units = load_units(data)
    src = load_features(data / "vn-admin-2025/provinces_34.geojson")
    geoms = shapely.coverage_simplify(
        np.array([shape(f["geometry"]) for f in src]), PROVINCE_TOLERANCE
    )
    unit_types = {"Thành phố": "municipality", "Tỉnh": "province"}
    out = []
    for f, geom in zip(src, geoms, strict=True):
        p = f["properties"]
        unit = units[p["code"]]
        out.append(
            feature(
                p["code"],
                geom,
                unit_properties(p, unit_types[unit["AdministrativeUnitShortName"]]),
            )
        )
    if len(out) != 34:
        raise SystemExit(f"expected 34 provinces, got {len(out)}")
    return out


def load_communes(data: Path) -> list[dict[str, Any]]:
    return load_features(data / f"vn-admin-2025/wards_{CITY_CODE}_ho_chi_minh.geojson")


def build_admin_commune(data: Path, src: list[dict[str, Any]]) -> list[dict[str, Any]]:
    units = load_units(data)
    wards = {w["Code"]: w for w in units[CITY_CODE]["Wards"]}
    geoms = shapely.coverage_simplify(
        np.array([shape(f["geometry"]) for f in src]), COMMUNE_TOLERANCE
    )
    unit_types = {"Phường": "ward", "Xã": "commune", "Đặc khu": "special_zone"}
    out = []
    for f, geom in zip(src, geoms, strict=True):
        p = f["properties"]
        ward = wards[p["code"]]
        out.append(
            feature(
                p["code"],
                geom,
                unit_properties(
                    p,
                    unit_types[ward["AdministrativeUnitShortName"]],
                    province_code=ward["ProvinceCode"],
                ),
            )
        )
    if len(out) != len(wards):
        raise SystemExit(f"expected {len(wards)} communes, got {len(out)}")
    return out


def load_osm(data: Path) -> list[tuple[dict[str, Any], BaseGeometry]]:
    """Both TP HCM OSM files, one entry per OSM object (first file wins on duplicates)."""
    seen: dict[str, tuple[dict[str, Any], BaseGeometry]] = {}
    for name in ("ohsome_buildings.geojson", "ohsome_shops.geojson"):
        for f in load_features(data / "hcmc-osm-ohsome" / name):
            p = f["properties"]
            if p["@osmId"] not in seen:
                seen[p["@osmId"]] = (p, shape(f["geometry"]))
    return [seen[k] for k in sorted(seen, key=osm_sort_key)]


def osm_sort_key(osm_id: str) -> tuple[str, int]:
    kind, num = osm_id.split("/")
    return kind, int(num)


BUILDING_TYPES = {
    "residential": "residential",
    "house": "house",
    "detached": "house",
    "terrace": "house",
    "apartments": "apartments",
    "commercial": "commercial",
    "restaurant": "commercial",
    "hotel": "commercial",
    "retail": "retail",
    "supermarket": "retail",
    "kiosk": "kiosk",
    "office": "office",
    "industrial": "industrial",
    "warehouse": "warehouse",
    "public": "public",
    "government": "government",
    "school": "education",
    "university": "education",
    "kindergarten": "education",
    "college": "education",
    "hospital": "health",
    "church": "religious",
    "temple": "religious",
    "pagoda": "religious",
    "roof": "roof",
    "train_station": "transport",
    "yes": "unspecified",
}


def parse_int(value: object) -> int | None:
    m = re.fullmatch(r"\s*(\d+)\s*", str(value)) if value is not None else None
    return int(m.group(1)) if m else None


def parse_metres(value: object) -> float | None:
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(?:m)?\s*", str(value)) if value is not None else None
    return float(m.group(1)) if m and float(m.group(1)) > 0 else None


def is_building(p: dict[str, Any], geom: BaseGeometry) -> bool:
    tag = p.get("building")
    return bool(tag) and str(tag).lower() != "no" and geom.geom_type in ("Polygon", "MultiPolygon")


def build_building(
    osm: list[tuple[dict[str, Any], BaseGeometry]], communes: CommuneIndex
) -> list[dict[str, Any]]:
    out = []
    for p, geom in osm:
        if not is_building(p, geom):
            continue
        commune = communes.code_at(geom.representative_point())
        if commune is None:  # outside TP HCM
            continue
        out.append(
            feature(
                p["@osmId"],
                geom,
                {
                    "building_uid": p["@osmId"],
                    "building_type": BUILDING_TYPES.get(str(p["building"]).lower(), "other"),
                    "name": osm_name(p),
                    "floors": parse_int(p.get("building:levels")),
                    "height_m": parse_metres(p.get("height")),
                    "address": osm_address(p),
                    "commune_code": commune,
                    "status": "existing",
                    **osm_common(p),
                },
            )
        )
    return out


FACILITY_BY_TAG = {
    ("amenity", "marketplace"): "market",
    ("amenity", "police"): "police",
    ("amenity", "townhall"): "townhall",
    ("amenity", "research_institute"): "research_institute",
    ("amenity", "bus_station"): "bus_station",
    ("amenity", "school"): "school",
    ("amenity", "kindergarten"): "kindergarten",
    ("amenity", "university"): "university",
    ("amenity", "college"): "university",
    ("amenity", "clinic"): "clinic",
    ("amenity", "doctors"): "clinic",
    ("amenity", "hospital"): "hospital",
    ("amenity", "library"): "library",
    ("amenity", "theatre"): "theatre",
    ("amenity", "community_centre"): "community_centre",
    ("amenity", "arts_centre"): "cultural_centre",
    ("amenity", "post_office"): "post_office",
    ("amenity", "fire_station"): "fire_station",
    ("amenity", "social_facility"): "social_care",
    ("amenity", "place_of_worship"): "place_of_worship",
    ("amenity", "toilets"): "public_toilet",
    ("leisure", "park"): "park",
    ("leisure", "garden"): "park",
    ("leisure", "playground"): "playground",
    ("leisure", "sports_centre"): "sports_centre",
    ("tourism", "museum"): "museum",
    ("office", "government"): "government_office",
}
# Pharmacies (amenity=pharmacy; shop=chemist in this extract) are private retail, not public
# facilities in the sense of QCVN 01:2021, and are left out on purpose.
MARKET_NAME = re.compile(r"^Chợ\s")
TOWNHALL_NAME = re.compile(r"(^|\s|-\s)(HĐND-)?UBND\s", re.IGNORECASE)
ENTERPRISE_NAME = re.compile(r"^(Xí nghiệp|Công ty|Tổng công ty)\s", re.IGNORECASE)


def facility_kind(p: dict[str, Any]) -> tuple[str, str] | None:
    name = p.get("name") or ""
    if ENTERPRISE_NAME.match(name):  # e.g. a state enterprise tagged office=government
        return None
    if p.get("office") == "government" and TOWNHALL_NAME.search(name):
        return "townhall", "OSM office=government, name (UBND …)"
    for (tag, value), kind in FACILITY_BY_TAG.items():
        if p.get(tag) == value:
            return kind, f"OSM {tag}={value}"
    market_like_shop = p.get("shop") in (None, "mall", "supermarket", "department_store")
    if p.get("amenity") is None and market_like_shop and MARKET_NAME.match(name):
        return "market", "OSM name (Chợ …)"
    if TOWNHALL_NAME.search(name) and p.get("shop") is None:
        return "townhall", "OSM name (UBND …)"
    return None


def build_public_facility(
    osm: list[tuple[dict[str, Any], BaseGeometry]], communes: CommuneIndex
) -> list[dict[str, Any]]:
    candidates = []
    for p, geom in osm:
        found = facility_kind(p)
        if found is None:
            continue
        point = geom.representative_point() if geom.geom_type != "Point" else geom
        commune = communes.code_at(point)
        if commune is None:
            continue
        candidates.append((p, geom, point, commune, *found))
    # The same market or office is sometimes mapped twice (a landuse area and a building):
    # keep one per kind and name within 300 m, preferring a tag-based classification.
    candidates.sort(key=lambda c: (not c[5].startswith("OSM ") or "name" in c[5], c[0]["@osmId"]))
    kept: list[tuple[Any, ...]] = []
    for cand in candidates:
        p, _, point, _, kind, _ = cand
        name = (osm_name(p) or "").casefold()
        if name and any(
            k[4] == kind
            and (osm_name(k[0]) or "").casefold() == name
            and to_metric(k[2]).distance(to_metric(point)) < 300
            for k in kept
        ):
            continue
        kept.append(cand)
    out = []
    for p, geom, point, commune, kind, basis in kept:
        site = area_m2(geom) if geom.geom_type in ("Polygon", "MultiPolygon") else None
        out.append(
            feature(
                p["@osmId"],
                point,
                {
                    "facility_uid": p["@osmId"],
                    "kind": kind,
                    "name": osm_name(p),
                    "name_en": p.get("name:en"),
                    "operator": p.get("operator"),
                    "site_area_m2": round(site, 1) if site else None,
                    "address": osm_address(p),
                    "commune_code": commune,
                    "status": "existing",
                    "source_note": basis,
                    **osm_common(p),
                },
            )
        )
    return out


# Illustrative planning rules per function, kept inside the QCVN 01:2021/BXD limits as the
# project reads them (shared/VIETNAM.md; not checked against the official text): housing
# coverage ≤ 60 %, public-service lots (schools, health, culture, markets, offices) ≤ 40 %,
# land-use coefficient ≤ 13 and never above coverage × floors.
# (coverage % choices, min floors, max floors choices, target FAR range, land-use code, label)
ZONE_RULES: dict[str, tuple[list[int], int, list[int], tuple[float, float], str | None, str]] = {
    "residential": ([50, 55, 60], 2, [5, 6, 7, 8, 9, 10], (3.0, 5.5), "ODT", "Đất ở"),
    "mixed_use": ([40, 45, 50, 55, 60], 3, [15, 18, 20, 25, 30], (6.0, 10.0), None, "Đất hỗn hợp"),
    "commercial_service": (
        [40, 45, 50, 55, 60],
        3,
        [20, 25, 30, 35, 40],
        (8.0, 13.0),
        "TMD",
        "Đất thương mại, dịch vụ",
    ),
    "public_service": ([30, 35, 40], 1, [3, 4, 5], (1.0, 2.0), "DCH", "Đất chợ"),
    "administrative": ([30, 35, 40], 2, [5, 7, 9], (2.0, 3.5), "TSC", "Đất cơ quan, trụ sở"),
    "culture": ([25, 30, 35, 40], 1, [3, 4, 5], (1.0, 2.0), "DVH", "Đất văn hóa"),
    "education": ([30, 35, 40], 1, [3, 4, 5], (1.2, 2.0), "DGD", "Đất giáo dục"),
    "health": ([30, 35, 40], 1, [5, 7, 9], (2.0, 3.0), "DYT", "Đất y tế"),
    "green_public": ([5], 0, [1], (0.05, 0.05), None, "Đất cây xanh sử dụng công cộng"),
}
# Fallback mix for blocks without an OSM hint (shares add up to 1).
ZONE_MIX = [
    ("residential", 0.55),
    ("mixed_use", 0.15),
    ("green_public", 0.12),
    ("education", 0.10),
    ("health", 0.04),
    ("culture", 0.04),
]


def zone_function(cell: BaseGeometry, hints: dict[str, Any], seed: str) -> str:
    """Choose a plausible function from OSM hints in the block, else a deterministic mix."""
    if hints["kinds"] & {"townhall", "government_office", "police"}:
        return "administrative"
    if "market" in hints["kinds"]:
        return "public_service"
    if "museum" in hints["kinds"]:
        return "culture"
    if hints["commercial_area"] >= 0.15 * cell.area or hints["pois"] >= 80:
        return "commercial_service"
    if hints["pois"] >= 35:
        return "mixed_use"
    u = unit_hash("zone-function", seed)
    acc = 0.0
    for func, share in ZONE_MIX:
        acc += share
        if u < acc:
            return func
    return ZONE_MIX[0][0]


def zone_rules(func: str, seed: str) -> dict[str, Any]:
    coverages, min_floors, max_floors_choices, (far_lo, far_hi), code, label = ZONE_RULES[func]
    coverage = pick(coverages, "coverage", seed)
    max_floors = pick(max_floors_choices, "floors", seed)
    target = far_lo + (far_hi - far_lo) * unit_hash("far", seed)
    far = min(target, coverage / 100 * max_floors, 13.0)
    far = math.floor(far * 10) / 10 if far >= 0.1 else round(far, 2)
    return {
        "land_use_function": func,
        "function_label": f"{label} (minh họa)",
        "land_use_code": code,
        "max_coverage_pct": coverage,
        "min_floors": min(min_floors, max_floors),
        "max_floors": max_floors,
        "max_far": far,
    }


def grid_cells(bounds: tuple[float, float, float, float], size: float) -> list[tuple[int, int]]:
    """Grid cell indices (column, row) covering metric bounds, aligned to multiples of size."""
    minx, miny, maxx, maxy = bounds
    cols = range(math.floor(minx / size), math.ceil(maxx / size))
    rows = range(math.floor(miny / size), math.ceil(maxy / size))
    return [(c, r) for r in rows for c in cols]


def split_by_grid(
    area: BaseGeometry, size: float, min_share: float = 0.25
) -> list[tuple[tuple[int, int], BaseGeometry]]:
    """Cut a metric polygon by a square grid; pieces under min_share of a cell are merged
    into the neighbouring piece they share the longest edge with."""
    pieces: dict[tuple[int, int], BaseGeometry] = {}
    for c, r in grid_cells(area.bounds, size):
        box = shapely.box(c * size, r * size, (c + 1) * size, (r + 1) * size)
        piece = polygons_only(area.intersection(box))
        if piece is not None and piece.area > 1.0:
            pieces[(c, r)] = piece
    small = sorted(
        (k for k, g in pieces.items() if g.area < min_share * size * size),
        key=lambda k: (pieces[k].area, k),
    )
    for k in small:
        if k not in pieces or pieces[k].area >= min_share * size * size:
            continue
        best, best_len = None, 0.0
        for other, g in sorted(pieces.items()):
            if other == k:
                continue
            shared = pieces[k].boundary.intersection(g.boundary).length
            if shared > best_len:
                best, best_len = other, shared
        if best is not None:
            merged = polygons_only(shapely.union(pieces[best], pieces[k]))
            if merged is not None:
                pieces[best] = merged
                del pieces[k]
    return sorted(pieces.items(), key=lambda kv: (-kv[0][1], kv[0][0]))


def build_planning_zone(
    commune_src: list[dict[str, Any]],
    osm: list[tuple[dict[str, Any], BaseGeometry]],
    facilities: list[dict[str, Any]],
) -> list[dict[str, Any]]:
    wards = {f["properties"]["code"]: shape(f["geometry"]) for f in commune_src}
    commercial = [
        to_metric(g)
        for p, g in osm
        if p.get("landuse") in ("commercial", "retail") and g.geom_type != "Point"
    ]
    commercial_tree = shapely.STRtree(commercial)
    poi_points = [to_metric(g.representative_point()) for p, g in osm]
    poi_tree = shapely.STRtree(poi_points)
    fac_points = [to_metric(shape(f["geometry"])) for f in facilities]
    fac_kinds = [f["properties"]["kind"] for f in facilities]
    fac_tree = shapely.STRtree(fac_points)
    out = []
    for ward_code, prefix in PLANNING_WARDS.items():
        ward_m = to_metric(wards[ward_code])
        for n, ((c, r), cell) in enumerate(split_by_grid(ward_m, PLAN_CELL_M), start=1):
            hints = {
                "kinds": {fac_kinds[i] for i in fac_tree.query(cell, predicate="intersects")},
                "commercial_area": sum(
                    commercial[i].intersection(cell).area for i in commercial_tree.query(cell)
                ),
                "pois": len(poi_tree.query(cell, predicate="intersects")),
            }
            zone_code = f"{prefix}-{n:02d}"
            seed = f"{ward_code}/{c}/{r}"
            uid = f"MINH-HOA-2026-{ward_code}-{n:02d}"
            func = zone_function(cell, hints, seed)
            out.append(
                feature(
                    uid,
                    to_degrees(cell),
                    {
                        "zone_uid": uid,
                        "zone_code": zone_code,
                        "plan_id": PLAN_2026,
                        **zone_rules(func, seed),
                        "area_m2": round(cell.area, 1),
                        "commune_code": ward_code,
                        "plan_name": (
                            "Quy hoạch phân khu MINH HỌA khu trung tâm TP Hồ Chí Minh "
                            "(không có giá trị pháp lý) / ILLUSTRATIVE zoning plan, central "
                            "Ho Chi Minh City (no legal effect)"
                        ),
                        "plan_decision_no": "MINH-HOA/2026",
                        "plan_decision_date": "2026-01-01",
                        "plan_level": "zoning",
                        "plan_scale": 2000,
                        "illustrative": True,
                        "note": NOTE_ZONE,
                    },
                )
            )
    return out


def parcel_land_use(p: dict[str, Any]) -> str:
    """Land-use code (Circular 08/2024 generation) suggested by the OSM tags of a building."""
    building = str(p.get("building", "")).lower()
    amenity = p.get("amenity")
    if amenity == "marketplace":
        return "DCH"
    if amenity in ("townhall",) or p.get("office") == "government" or building == "government":
        return "TSC"
    if amenity == "police":
        return "CAN"
    if amenity == "research_institute":
        return "DKH"
    if p.get("tourism") == "museum":
        return "DVH"
    if building in ("industrial", "warehouse"):
        return "SKC"
    if (
        building
        in ("commercial", "retail", "kiosk", "supermarket", "restaurant", "office", "hotel")
        or p.get("shop")
        or amenity in ("restaurant", "cafe", "fast_food", "bar", "bank")
        or p.get("landuse") in ("commercial", "retail")
    ):
        return "TMD"
    return "ODT"


def adjusted_rules(props: dict[str, Any], seed: str) -> dict[str, Any]:
    """The 2027 draft's rules for a 2026 zone: some residential blocks denser, a few
    turned into parks and schools (deterministic, illustrative)."""
    func = props["land_use_function"]
    u = unit_hash("adjust-2027", seed)
    if func == "residential" and u < 0.12:
        return zone_rules("green_public", seed)
    if func == "residential" and u < 0.20:
        return zone_rules("education", seed)
    if func in ("residential", "mixed_use") and u < 0.60:
        floors = props["max_floors"] + 3
        far = min(props["max_far"] + 1.0, props["max_coverage_pct"] / 100 * floors, 13.0)
        return {
            **{k: props.get(k) for k in ("land_use_function", "land_use_code", "max_coverage_pct")},
            "function_label": props["function_label"],
            "min_floors": props["min_floors"],
            "max_floors": floors,
            "max_far": math.floor(far * 10) / 10,
        }
    keys = ("land_use_function", "function_label", "land_use_code", "max_coverage_pct")
    return {k: props.get(k) for k in (*keys, "min_floors", "max_floors", "max_far")}


def build_planning_zone_2027(zones: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The draft adjustment of the 2026 plan: the same blocks with adjusted rules."""
    out = []
    for z in zones:
        p = z["properties"]
        uid = p["zone_uid"].replace("MINH-HOA-2026", "MINH-HOA-2027")
        out.append(
            feature(
                uid,
                shape(z["geometry"]),
                {
                    "zone_uid": uid,
                    "zone_code": p["zone_code"],
                    "plan_id": PLAN_2027,
                    **adjusted_rules(p, p["zone_uid"]),
                    "area_m2": p["area_m2"],
                    "commune_code": p["commune_code"],
                    "plan_name": (
                        "Điều chỉnh quy hoạch phân khu MINH HỌA khu trung tâm (dự thảo lấy ý "
                        "kiến) / ILLUSTRATIVE draft adjustment of the central zoning plan"
                    ),
                    "plan_decision_no": "DU-THAO/2027",
                    "plan_decision_date": "2026-11-01",
                    "plan_level": "zoning",
                    "plan_scale": 2000,
                    "illustrative": True,
                    "note": NOTE_DRAFT,
                },
            )
        )
    return out


def build_planning_constraint(
    zones: list[dict[str, Any]], facilities: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Illustrative constraints: a 6 m road-widening strip along the south side of every
    third residential or mixed-use block, and a 60 m protection buffer around museums and
    places of worship."""
    out = []
    blocks = [
        z for z in zones if z["properties"]["land_use_function"] in ("residential", "mixed_use")
    ]
    for i, z in enumerate(blocks[::3], start=1):
        cell = to_metric(shape(z["geometry"]))
        minx, miny, maxx, _ = cell.bounds
        strip = polygons_only(cell.intersection(shapely.box(minx, miny, maxx, miny + 6.0)))
        if strip is None:
            continue
        uid = f"MINH-HOA-DD-{i:03d}"
        out.append(
            feature(
                uid,
                to_degrees(strip),
                {
                    "constraint_uid": uid,
                    "kind": "road_red_line",
                    "label": "Mở rộng đường 6 m (minh họa) / 6 m road widening (illustrative)",
                    "plan_decision_no": "MINH-HOA/2026",
                    "legal_basis": NOTE_CONSTRAINT,
                    "illustrative": True,
                },
            )
        )
    heritage = [f for f in facilities if f["properties"]["kind"] in ("museum", "place_of_worship")]
    for i, f in enumerate(heritage, start=1):
        uid = f"MINH-HOA-DT-{i:03d}"
        name = f["properties"].get("name") or f["properties"]["kind"]
        ring = to_degrees(to_metric(shape(f["geometry"])).buffer(60.0, quad_segs=8))
        out.append(
            feature(
                uid,
                ring,
                {
                    "constraint_uid": uid,
                    "kind": "heritage_buffer",
                    "label": f"Vùng bảo vệ quanh {name} (minh họa) / protection buffer "
                    "(illustrative)",
                    "plan_decision_no": "MINH-HOA/2026",
                    "legal_basis": NOTE_CONSTRAINT,
                    "illustrative": True,
                },
            )
        )
    return out


def build_land_parcel(
    commune_src: list[dict[str, Any]], osm: list[tuple[dict[str, Any], BaseGeometry]]
) -> list[dict[str, Any]]:
    wards = {f["properties"]["code"]: to_metric(shape(f["geometry"])) for f in commune_src}
    out = []
    for ward_code in PARCEL_WARDS:
        ward = wards[ward_code]
        prepared = []
        for p, g in osm:
            if not is_building(p, g):
                continue
            gm = to_metric(g)
            if not ward.contains(gm.representative_point()):
                continue
            prepared.append((p, gm))
        # Bigger buildings first, so a small building inside a big one does not cut it up.
        prepared.sort(key=lambda pg: (-pg[1].area, osm_sort_key(pg[0]["@osmId"])))
        taken: list[BaseGeometry] = []
        parcels = []
        for p, gm in prepared:
            # The parcel is the footprint without its courtyards, a few metres wider.
            outline = shapely.union_all(
                [shapely.Polygon(g.exterior) for g in getattr(gm, "geoms", [gm])]
            )
            parcel = outline.buffer(PARCEL_BUFFER_M, join_style="mitre", mitre_limit=2.0)
            parcel = parcel.intersection(ward)
            if taken:
                tree = shapely.STRtree(taken)
                near = [taken[i] for i in tree.query(parcel)]
                if near:
                    parcel = parcel.difference(shapely.union_all(near))
            # Drop slivers thinner than 40 cm left by the cuts.
            parcel = parcel.buffer(-0.2, join_style="mitre").buffer(0.2, join_style="mitre")
            parcel = polygons_only(parcel)
            if parcel is None:
                continue
            if parcel.geom_type == "MultiPolygon":
                parcel = max(parcel.geoms, key=lambda g: (g.area, g.wkb))
            if parcel.area < 15.0:
                continue
            taken.append(parcel)
            parcels.append((p, parcel))
        # Map sheets: a 250 m grid over the ward, numbered from the north-west corner;
        # parcels numbered within a sheet left to right, top to bottom (25 m bands).
        minx, _, maxx, maxy = ward.bounds
        ncols = math.ceil((maxx - minx) / SHEET_CELL_M)
        by_sheet: dict[int, list[tuple[dict[str, Any], BaseGeometry]]] = defaultdict(list)
        for p, parcel in parcels:
            pt = parcel.representative_point()
            col = int((pt.x - minx) // SHEET_CELL_M)
            row = int((maxy - pt.y) // SHEET_CELL_M)
            by_sheet[row * ncols + col + 1].append((p, parcel))
        for sheet_no in sorted(by_sheet):
            items = sorted(
                by_sheet[sheet_no],
                key=lambda it: (
                    -math.floor(it[1].representative_point().y / 25.0),
                    it[1].representative_point().x,
                    it[0]["@osmId"],
                ),
            )
            for parcel_no, (p, parcel) in enumerate(items, start=1):
                uid = f"{ward_code}-{sheet_no}-{parcel_no}"
                out.append(
                    feature(
                        uid,
                        to_degrees(parcel),
                        {
                            "parcel_uid": uid,
                            "sheet_no": sheet_no,
                            "parcel_no": parcel_no,
                            "commune_code": ward_code,
                            "land_use_code": parcel_land_use(p),
                            "land_use_code_generation": "2024",
                            "area_m2": round(parcel.area, 1),
                            "address": osm_address(p),
                            "illustrative": True,
                            "note": NOTE_PARCEL,
                            "source": f"Minh họa từ / illustrative, from OSM {p['@osmId']}",
                        },
                    )
                )
    return out


def illustrative_density(unit_type: str, distance_km: float, seed: str) -> float:
    """People per km²: a smooth decline from the centre, with ±20% deterministic variation."""
    if unit_type == "special_zone":
        base = 150.0
    elif unit_type == "ward":
        base = 3500.0 + 34000.0 * math.exp(-distance_km / 6.0)
    else:
        base = 350.0 + 2200.0 * math.exp(-distance_km / 15.0)
    return base * (0.8 + 0.4 * unit_hash("density", seed))


def build_population(
    commune_src: list[dict[str, Any]], commune_features: list[dict[str, Any]], year: int = 2025
) -> list[dict[str, Any]]:
    types = {f["properties"]["code"]: f["properties"]["unit_type"] for f in commune_features}
    centre = to_metric(shapely.Point(*CITY_CENTRE))
    out = []
    for f in commune_src:
        p = f["properties"]
        geom = shape(f["geometry"])
        point = geom.representative_point()
        distance_km = to_metric(point).distance(centre) / 1000.0
        area = float(p["areaKm2"])
        density = illustrative_density(types[p["code"]], distance_km, p["code"])
        population = int(round(area * density, -1))
        households = round(population / (3.2 + 0.4 * unit_hash("household", p["code"])))
        uid = f"{p['code']}-{year}"
        out.append(
            feature(
                uid,
                point,
                {
                    "record_uid": uid,
                    "unit_code": p["code"],
                    "unit_level": "commune",
                    "unit_name": p["fullName"],
                    "year": year,
                    "population": population,
                    "households": households,
                    "area_km2": area,
                    "density_per_km2": round(population / area, 1),
                    "illustrative": True,
                    "note": NOTE_POPULATION,
                    "source": ILLUSTRATIVE_SOURCE,
                },
            )
        )
    return out


def base_area(commune_src: list[dict[str, Any]]) -> BaseGeometry:
    """Where the demo has a base map (metric): the wards of the plan and the parcels."""
    codes = set(PLANNING_WARDS) | set(PARCEL_WARDS)
    wards = [
        to_metric(shape(f["geometry"])) for f in commune_src if f["properties"]["code"] in codes
    ]
    return shapely.union_all(wards).buffer(BASE_MARGIN_M)


def osm_house_numbers(osm: list[tuple[dict[str, Any], BaseGeometry]]) -> dict[str, tuple[str, str]]:
    """OSM id → (house number, street) where an object has both."""
    out = {}
    for p, _ in osm:
        number, street = p.get("addr:housenumber"), demo_base.street_name(p.get("addr:street"))
        if number and street:
            out[p["@osmId"]] = (str(number).strip(), street)
    return out


# --------------------------------------------------------------------------- output

ORIGIN = {
    "admin_province": "vietnamese-provinces-database (vn-admin-2025/provinces_34)",
    "admin_commune": "vietnamese-provinces-database (vn-admin-2025/wards_79)",
    "building": "OpenStreetMap (hcmc-osm-ohsome)",
    "public_facility": "OpenStreetMap (hcmc-osm-ohsome)",
    "road": "ILLUSTRATIVE; street names and positions from OSM addr:street",
    "green_water": "ILLUSTRATIVE; water along 2025 ward borders, green from planning_zone",
    "planning_zone": "ILLUSTRATIVE; geometry from admin_commune",
    "planning_constraint": "ILLUSTRATIVE; geometry from planning_zone and OSM facilities",
    "land_parcel": "ILLUSTRATIVE; geometry from OSM buildings",
    "population": "ILLUSTRATIVE; points in admin_commune",
}


def geojson_bytes(features: list[dict[str, Any]]) -> bytes:
    doc = {"type": "FeatureCollection", "features": features}
    return json.dumps(doc, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def write_gzip(path: Path, payload: bytes) -> None:
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, compresslevel=9, mtime=0) as gz:
        gz.write(payload)
    path.write_bytes(buf.getvalue())


def write_text(path: Path, text: str) -> None:
    path.write_text(unicodedata.normalize("NFC", text), encoding="utf-8")


SOURCES_MD = """\
# Dothi demo city — TP Hồ Chí Minh: sources and licences

Generated by `tools/build_demo.py` from `shared/data` (do not edit by hand; rebuild).
Every file is gzipped GeoJSON (RFC 7946, WGS 84, coordinates rounded to 7 decimals).

| layer | file | features | licence | from |
|---|---|---|---|---|
{rows}

## Administrative units (admin_province, admin_commune)

- {admin_source}.
- Licence: MIT — see `LICENSE.vietnamese-provinces-database` (Copyright (c) 2021 Thang Le Quoc).
- Upstream statement: "GIS boundary data was derived from the Vietnam Administrative Units
  Reference Map (https://sapnhap.bando.com.vn), published by the Vietnam Natural Resources,
  Environment and Cartography Publishing House under the Ministry of Agriculture and
  Environment." Attribute both.
- Unit codes: GSO codes (Decision 19/2025/QĐ-TTg and later changes); unit types from
  `units_full_2026-07-25.json` of the same repository. Names are kept as published there
  (e.g. "Thanh Hoá", "Khánh Hoà", "Xuân Hoà": the older placement of the tone mark, as in the
  GSO lists).
- Changes: polygons simplified as a coverage (shared borders stay shared; shapely
  `coverage_simplify`), tolerance {prov_tol}° for the 34 provinces and {comm_tol}° for the 168
  communes of TP HCM; properties renamed to the layer schemas.

## OpenStreetMap (building, public_facility)

- {osm_source}.
- © OpenStreetMap contributors. The data is available under the Open Database License
  (ODbL) 1.0: https://opendatacommons.org/licenses/odbl/1-0/ — see https://www.openstreetmap.org/copyright.
  These layers, and `land_parcel` (derived from OSM building footprints), are ODbL 1.0
  databases: any public use must attribute OpenStreetMap contributors and share derived
  databases under the ODbL.
- building: OSM objects with a `building` tag (not `building=no`) and a polygon geometry in
  either file, inside TP HCM; the object id (e.g. `way/123`) is the key.
- public_facility: OSM objects mapped to kinds by tag (amenity=marketplace → market, police,
  townhall, research_institute, bus_station, tourism=museum, office=government →
  government_office, …) and, where no such tag exists, by name ("Chợ …" → market,
  "UBND …" → townhall; the property `source_note` says which). Polygons become their
  representative point; `site_area_m2` keeps the polygon's area. Pharmacies are left out
  (private retail). The extract was made for a study of food and retail businesses, so
  schools, hospitals and parks are absent, and names may refer to districts abolished in 2025.
  It has no road network and no green or water polygons (no highway=*, leisure=*,
  natural=*, water=*), hence the illustrative road and green_water layers below.

## Illustrative layers (road, green_water, planning_zone, land_parcel, population)

No open data exists for these in `shared/data`. They are **illustrative**: every feature has
`"illustrative": true` and a Vietnamese/English note saying so.

- road: the base map's streets, within {margin:.0f} m of the communes of planning_zone and
  land_parcel. No OSM road geometry was available, so each street is one straight centre line
  fitted (principal axis) through the OSM buildings and shops whose `addr:street` names it
  (spellings merged: "Đường " dropped, Ð → Đ, unaccented variants); stretches more than
  350 m apart are separate lines, points more than 45 m off the line are left out; alleys
  (Hẻm …) are left out. Street names are real, positions approximate; classes (by length)
  illustrative. ODbL 1.0 (derived from OSM).
- green_water: Sông Sài Gòn, Kênh Bến Nghé and Kênh Nhiêu Lộc – Thị Nghè as bands of
  typical width around the 2025 ward borders that follow them (MIT boundaries above), and
  the public-green zones of the illustrative 2026 plan as planned parks (`stage` planned).
- planning_zone: the communes {plan_wards} cut by a {cell:.0f} m grid (UTM 48N); each block
  gets a function from OSM hints (offices, markets, museums, commercial land use, shop
  density) or else a fixed pseudo-random mix, and rules kept inside QCVN 01:2021/BXD as the
  project reads it (coverage ≤ 60 % for housing, ≤ 40 % for public-service lots, land-use
  coefficient ≤ 13 and ≤ coverage × floors; not checked against the official text).
  Decision number `MINH-HOA/2026` is made up. Geometry derived from the MIT boundaries above.
- land_parcel: OSM building footprints in the communes {parcel_wards}, buffered {buf:.0f} m and
  cut where they overlap; sheet numbers from a 250 m grid (a 1:500 sheet), parcel numbers
  left to right, top to bottom. Addresses are illustrative: house number, the nearest
  street of the road layer, the 2025 ward ("12 Lê Lợi, phường Sài Gòn"); the OSM house
  number where the building has one on that street, otherwise a number from the position
  along the street (one per 8 m, odd on one side, even on the other), a letter added when
  a number repeats. ODbL 1.0 (derived from OSM).
- population: year 2025 values for the 168 communes of TP HCM from a density model (density
  falls with distance from Bến Thành; wards denser than communes), households from an
  average size of 3.2–3.6. Not statistics. Geometry: a point inside each commune (MIT).
"""


def main(argv: Iterable[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("data", nargs="?", type=Path, default=DEFAULT_DATA, help="shared/data folder")
    ap.add_argument("--data", dest="data_opt", type=Path, help="shared/data folder")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder")
    args = ap.parse_args(list(argv) if argv is not None else None)
    data: Path = (args.data_opt or args.data).resolve()
    out_dir: Path = args.out.resolve()
    if not (data / "vn-admin-2025").is_dir():
        raise SystemExit(f"no vn-admin-2025/ under {data}")

    schemas = load_schemas()
    commune_src = load_communes(data)
    communes = CommuneIndex([(f["properties"]["code"], shape(f["geometry"])) for f in commune_src])
    osm = load_osm(data)

    provinces = build_admin_province(data)
    commune_features = build_admin_commune(data, commune_src)
    buildings = build_building(osm, communes)
    facilities = build_public_facility(osm, communes)
    zones = build_planning_zone(commune_src, osm, facilities)
    constraints = build_planning_constraint(zones, facilities)
    zones += build_planning_zone_2027(zones)
    parcels = build_land_parcel(commune_src, osm)
    roads = demo_base.build_roads(
        osm, base_area(commune_src), communes.code_at, to_metric, to_degrees, feature
    )
    ward_geoms = {f["properties"]["code"]: shape(f["geometry"]) for f in commune_src}
    green = demo_base.build_water(ward_geoms, to_metric, to_degrees, feature)
    green += demo_base.build_green(zones, to_metric, feature)
    demo_base.add_addresses(
        parcels,
        roads,
        osm_house_numbers(osm),
        {f["properties"]["code"]: f["properties"]["fullName"] for f in commune_src},
        to_metric,
        NOTE_PARCEL,
    )
    population = build_population(commune_src, commune_features)

    osm_meta = (OSM_LICENSE, OSM_ATTRIBUTION, OSM_SOURCE)
    admin_meta = (ADMIN_LICENSE, ADMIN_ATTRIBUTION, ADMIN_SOURCE)
    illus_admin = (
        ADMIN_LICENSE,
        ADMIN_ATTRIBUTION,
        f"{ILLUSTRATIVE_SOURCE}; geometry from {ADMIN_SOURCE}",
    )
    illus_osm = (OSM_LICENSE, OSM_ATTRIBUTION, f"{ILLUSTRATIVE_SOURCE}; geometry from {OSM_SOURCE}")
    layers: list[tuple[str, list[dict[str, Any]], tuple[str, str, str]]] = [
        ("admin_province", provinces, admin_meta),
        ("admin_commune", commune_features, admin_meta),
        ("building", buildings, osm_meta),
        ("public_facility", facilities, osm_meta),
        ("road", roads, illus_osm),
        ("green_water", green, illus_admin),
        ("planning_zone", zones, illus_admin),
        ("planning_constraint", constraints, illus_osm),
        ("land_parcel", parcels, illus_osm),
        ("population", population, illus_admin),
    ]

    errors: list[str] = []
    for lid, feats, _ in layers:
        errors += validate_layer(schemas[lid], feats)
        if lid in ILLUSTRATIVE_LAYERS:
            errors += [
                f"{lid}[{f['id']}]: not marked illustrative"
                for f in feats
                if f["properties"].get("illustrative") is not True
            ]
    errors += check_zone_rules(zones)
    if errors:
        shown = "\n  ".join(errors[:50])
        raise SystemExit(f"{len(errors)} invalid features:\n  {shown}")

    out_dir.mkdir(parents=True, exist_ok=True)
    for old in out_dir.glob("*.geojson.gz"):
        old.unlink()
    manifest_layers = []
    rows = []
    for lid, feats, (license_, attribution, source) in layers:
        if not feats:
            print(f"{lid}: no features in the source data, layer left out", file=sys.stderr)
            continue
        key = schemas[lid]["key"]
        feats = sorted(feats, key=lambda f: str(f["properties"][key]))
        payload = geojson_bytes(feats)
        name = f"{lid}.geojson.gz"
        write_gzip(out_dir / name, payload)
        manifest_layers.append(
            {
                "layer": lid,
                "file": name,
                "key": key,
                "access": schemas[lid]["access"],
                "license": license_,
                "attribution": attribution,
                "source": source,
                "features": len(feats),
                "illustrative": lid in ILLUSTRATIVE_LAYERS,
                "sha256": hashlib.sha256(payload).hexdigest(),
            }
        )
        rows.append(f"| {lid} | {name} | {len(feats)} | {license_} | {ORIGIN[lid]} |")
        print(f"{lid:16} {len(feats):6d} features  {(out_dir / name).stat().st_size:9d} bytes")

    manifest = {
        "city": {
            "province_code": CITY_CODE,
            "name": {"vi": "Thành phố Hồ Chí Minh", "en": "Ho Chi Minh City"},
            "center": list(CITY_CENTRE),
        },
        "generated_by": "tools/build_demo.py",
        "layers": manifest_layers,
    }
    write_text(
        out_dir / "manifest.json",
        json.dumps(nfc(manifest), ensure_ascii=False, sort_keys=True, indent=2) + "\n",
    )
    write_text(
        out_dir / "SOURCES.md",
        SOURCES_MD.format(
            rows="\n".join(rows),
            admin_source=ADMIN_SOURCE,
            osm_source=OSM_SOURCE,
            prov_tol=PROVINCE_TOLERANCE,
            comm_tol=COMMUNE_TOLERANCE,
            margin=BASE_MARGIN_M,
            plan_wards=", ".join(
                f"{f['properties']['fullName']} ({f['properties']['code']})"
                for f in commune_src
                if f["properties"]["code"] in PLANNING_WARDS
            ),
            parcel_wards=", ".join(
                f"{f['properties']['fullName']} ({f['properties']['code']})"
                for f in commune_src
                if f["properties"]["code"] in PARCEL_WARDS
            ),
            cell=PLAN_CELL_M,
            buf=PARCEL_BUFFER_M,
        ),
    )
    shutil.copyfile(
        data / "vn-admin-2025/LICENSE.vietnamese-provinces-database",
        out_dir / "LICENSE.vietnamese-provinces-database",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
