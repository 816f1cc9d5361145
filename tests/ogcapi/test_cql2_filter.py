"""CQL2 filters run end to end on SQLite and PostGIS and select exactly the same features."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path
from typing import Any

import numpy as np
import pyproj
import pytest
import shapely
from prepared import dataset
from samples import parcels, square, write_geojson
from shapely.geometry import mapping
from sqlalchemy import update

from dothi.config import Settings
from dothi.db.engine import Database
from dothi.db.schema import feature
from dothi.errors import InvalidInput
from dothi.geo.crs import resolve_crs
from dothi.geo.transform import transformer
from dothi.ogcapi.cql2_sql import compile_filter, parse_filter
from dothi.ogcapi.queryables import queryables
from dothi.spatial.importer import ImportOptions, import_file
from dothi.spatial.layers import get_layer

# Stored date-times in the forms ISO 8601 allows, each with its instant in UTC.
TIMES = {
    "P0000": "2026-01-01T10:00:00+07:00",  # 03:00Z
    "P0001": "2026-01-01T02:00:00Z",  # 02:00Z
    "P0002": "2026-01-01 03:30:00Z",  # 03:30Z
    "P0003": "2026-02-30T10:00:00Z",  # no such day: must not break the query
    "P0004": "2026-01-01T08:00:00+07:00",  # 01:00Z
    "P0005": "2025-12-31T23:00:00-05:00",  # 04:00Z
}


@dataset(shared=True)
def thua_layer(db: Database, settings: Settings, tmp_path: Path) -> None:
    """Six parcels in a row (P0000…P0005); P0005 has lost its geometry."""
    rows = parcels(6)
    for i, row in enumerate(rows):
        row["ngay"] = f"2026-01-0{i + 1}"
        row["co"] = i % 2 == 0
        row["ghi_chu"] = f"ghi chú {i}" if i % 3 == 0 else None
        row["dan_so"] = 3_000_000_000 if i == 2 else i  # beyond a 32-bit INTEGER
    rows[4]["ten"] = "Thửa 50% góc_phố"
    rows[5]["ten"] = "thửa số 5 phường bến thành"
    path = write_geojson(tmp_path / "thua.geojson", rows)
    import_file(
        db,
        settings,
        path,
        ImportOptions(layer_id="thua", new_layer=True, access="public", key="ma"),
    )
    with db.write() as conn:
        for fid, when in TIMES.items():
            props = next(r for r in db.port.find(conn, "thua") if r.fid == fid).properties
            conn.execute(
                update(feature)
                .where(feature.c.fid == fid)
                .values(
                    properties={**props, "luc": when},
                    geom=None if fid == "P0005" else feature.c.geom,
                )
            )


@pytest.fixture
def thua(thua_layer: None, db: Database) -> Database:
    return db


def find(db: Database, text: Any, lang: str = "cql2-text", crs: str | None = None) -> list[str]:
    """The ids of the features a filter selects, checked against the count."""
    doc = json.dumps(text) if lang == "cql2-json" else text
    with db.read() as conn:
        layer = get_layer(conn, "thua")
        fields = queryables(layer, "http://localhost/ogcapi")["properties"]
        fields["luc"] = {"type": "string", "format": "date-time"}
        clause = compile_filter(
            parse_filter(doc, lang),
            queryables=fields,
            port=db.port,
            filter_crs=None if crs is None else resolve_crs(crs),
        )
        found = [r.fid for r in db.port.find(conn, "thua", where=[clause])]
        assert db.port.count(conn, db.port.filtered("thua", where=[clause])) == len(found)
    return found


def centre(i: int) -> tuple[float, float]:
    """Lon/lat of the middle of parcel ``i``."""
    c = square(i).centroid
    return c.x, c.y


X0, Y0 = centre(0)
X3, Y3 = centre(3)

CASES = [
    ("so_tang = 3", ["P0002"]),
    ("so_tang <> 3", ["P0000", "P0001", "P0003", "P0004", "P0005"]),
    ("dien_tich > 103", ["P0003", "P0004", "P0005"]),
    ("dien_tich >= 103.5 AND dien_tich <= 104.5", ["P0003", "P0004"]),
    ("so_tang IN (1, 2)", ["P0000", "P0001", "P0005"]),
    ("so_tang NOT IN (1, 2)", ["P0002", "P0003", "P0004"]),
    ("dien_tich BETWEEN 101 AND 103", ["P0001", "P0002"]),
    ("dien_tich NOT BETWEEN 101 AND 103", ["P0000", "P0003", "P0004", "P0005"]),
    ("dan_so > 2147483647", ["P0002"]),
    ("co = TRUE", ["P0000", "P0002", "P0004"]),
    ("co < TRUE", ["P0001", "P0003", "P0005"]),
    ("NOT co = true", ["P0001", "P0003", "P0005"]),
    ("ghi_chu IS NULL", ["P0001", "P0002", "P0004", "P0005"]),
    ("ghi_chu IS NOT NULL", ["P0000", "P0003"]),
    # NULL is neither equal nor unequal to anything (three-valued logic).
    ("ghi_chu <> 'ghi chú 0'", ["P0003"]),
    ("ten = 'Thửa số 1 Phường Bến Thành'", ["P0001"]),
    ("ten LIKE 'Thửa số _ Phường%'", ["P0000", "P0001", "P0002", "P0003"]),
    ("ten LIKE 'thửa%'", ["P0005"]),  # case-sensitive on SQLite too
    ("ten LIKE '%50\\%%'", ["P0004"]),
    ("ten LIKE '%góc\\_phố'", ["P0004"]),
    ("ten NOT LIKE '%Bến Thành'", ["P0004", "P0005"]),
    ("ngay > DATE('2026-01-04')", ["P0004", "P0005"]),
    ("ngay BETWEEN DATE('2026-01-02') AND DATE('2026-01-03')", ["P0001", "P0002"]),
    ("luc > TIMESTAMP('2026-01-01T02:30:00Z')", ["P0000", "P0002", "P0003", "P0005"]),
    ("luc = TIMESTAMP('2026-01-01T03:00:00Z')", ["P0000"]),
    ("luc < TIMESTAMP('2026-01-01T10:00:00+07:00')", ["P0001", "P0004"]),
    ("dien_tich > so_tang AND so_tang < 2", ["P0000", "P0005"]),  # property-property
    ("1 = 1 AND 'a' < 'b'", ["P0000", "P0001", "P0002", "P0003", "P0004", "P0005"]),
    (
        "'København' LIKE 'K_benhavn' AND 3 BETWEEN so_tang AND 4",
        ["P0000", "P0001", "P0002", "P0005"],
    ),
    ("DATE('2026-01-04') < ngay AND TRUE = co", ["P0004"]),
    (
        "TIMESTAMP('2026-01-01T03:00:00Z') <= luc AND NOT 2 IN (1, so_tang)",
        ["P0000", "P0002", "P0003", "P0005"],
    ),
    ("so_tang = 1 OR (co = FALSE AND NOT so_tang = 4)", ["P0000", "P0001", "P0005"]),
    ("FALSE OR \"ma\" = 'P0003'", ["P0003"]),
    (f"S_INTERSECTS(geometry, POINT({X3} {Y3}))", ["P0003"]),
    (f"S_CONTAINS(geometry, POINT({X3} {Y3}))", ["P0003"]),
    (f"S_WITHIN(geometry, BBOX({X0}, {Y0 - 0.001}, {X3}, {Y0 + 0.001}))", ["P0001", "P0002"]),
    (f"S_CONTAINS(BBOX({X0}, {Y0 - 0.001}, {X3}, {Y0 + 0.001}), geometry)", ["P0001", "P0002"]),
    # Features without geometry match neither a spatial test nor its negation.
    (f"S_DISJOINT(geometry, BBOX({X0}, {Y0 - 1e-4}, {X3}, {Y3 + 1e-4}))", ["P0004"]),
    (f"NOT S_INTERSECTS(geometry, BBOX({X0}, {Y0 - 1e-4}, {X3}, {Y3 + 1e-4}))", ["P0004"]),
    (f"NOT (S_INTERSECTS(geometry, POINT({X0} {Y0})) OR so_tang < 4)", ["P0003", "P0004"]),
    (f"S_INTERSECTS(geometry, POINT({X0} {Y0})) OR so_tang = 5", ["P0000", "P0004"]),
    (
        f"S_INTERSECTS(geometry, LINESTRING({X0} {Y0}, {X3} {Y3}))",
        ["P0000", "P0001", "P0002", "P0003"],
    ),
    ("geometry IS NULL", ["P0005"]),
]


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[t[:60] for t, _ in CASES])
def test_text_filters(thua: Database, text: str, expected: list[str]) -> None:
    assert find(thua, text) == expected


def test_json_filters(thua: Database) -> None:
    big = shapely.box(X0, Y0 - 0.001, X3, Y0 + 0.001)
    cases: list[tuple[Any, list[str]]] = [
        ({"op": "like", "args": [{"property": "ten"}, "thửa%"]}, ["P0005"]),
        ({"op": "in", "args": [{"property": "so_tang"}, [4, 5]]}, ["P0003", "P0004"]),
        ({"op": ">", "args": [{"property": "ngay"}, {"date": "2026-01-05"}]}, ["P0005"]),
        ({"op": "s_within", "args": [{"property": "geometry"}, mapping(big)]}, ["P0001", "P0002"]),
        (
            {"op": "not", "args": [{"op": "isNull", "args": [{"property": "ghi_chu"}]}]},
            ["P0000", "P0003"],
        ),
        (True, ["P0000", "P0001", "P0002", "P0003", "P0004", "P0005"]),
    ]
    for doc, expected in cases:
        assert find(thua, doc, "cql2-json") == expected, doc
    with pytest.raises(InvalidInput) as err:
        find(thua, {"op": "like", "args": [{"property": "ten"}, "x\\"]}, "cql2-json")
    assert "escape" in err.value.en


def test_filter_crs_axis_order(thua: Database) -> None:
    # CRS84 (the default) is longitude first; EPSG:4326 is latitude first, as defined.
    assert find(thua, f"S_INTERSECTS(geometry, POINT({X3} {Y3}))", crs="OGC:CRS84") == ["P0003"]
    assert find(thua, f"S_INTERSECTS(geometry, POINT({Y3} {X3}))", crs="EPSG:4326") == ["P0003"]
    box = f"BBOX({Y0 - 0.0001}, {X0 - 0.0001}, {Y0 + 0.0001}, {X0 + 0.0001})"
    assert find(thua, f"S_INTERSECTS(geometry, {box})", crs="EPSG:4326") == ["P0000"]
    with pytest.raises(InvalidInput) as err:
        find(thua, f"S_INTERSECTS(geometry, POINT({X3} {Y3}))", crs="EPSG:4326")
    assert "latitude first" in err.value.en


def test_filter_crs_vn2000(thua: Database) -> None:
    # VN-2000 TM-3 105°45′ (TP HCM), easting/northing, through the national EPSG:6960 shift.
    tm3 = resolve_crs("EPSG:9210")
    t = transformer(pyproj.CRS.from_epsg(4326), tm3)
    e, n = (float(v) for v in np.asarray(t.transform(X3, Y3)))
    assert find(thua, f"S_INTERSECTS(geometry, POINT({e} {n}))", crs="EPSG:9210") == ["P0003"]


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("nope = 1", "nope"),
        ("so_tang = 'ba'", "Type mismatch"),
        ("ngay > '2026-01-01'", "DATE('2026-01-01')"),
        ("co > 1", "Type mismatch"),
        ("so_tang LIKE '1%'", "LIKE"),
        ("geometry = 1", "S_INTERSECTS"),
        ("casei(ten) = 'a'", "CASEI is not supported"),
        ("S_TOUCHES(geometry, POINT(106.7 10.77))", "S_TOUCHES is not supported"),
        ("S_INTERSECTS(so_tang, POINT(106.7 10.77))", "Type mismatch"),
        (
            "S_INTERSECTS(geometry, POLYGON((106 10, 107 11, 107 10, 106 11, 106 10)))",
            "Self-intersection",
        ),
    ],
)
def test_errors(thua: Database, text: str, words: str) -> None:
    with pytest.raises(InvalidInput) as err:
        find(thua, text)
    assert words in err.value.en, err.value.en
    assert err.value.vi and err.value.code == "InvalidParameterValue"


def test_queryables_document(thua: Database) -> None:
    with thua.read() as conn:
        doc = queryables(get_layer(conn, "thua"), "http://localhost/ogcapi/", lang="en")
    assert doc["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert doc["$id"] == "http://localhost/ogcapi/collections/thua/queryables"
    assert doc["type"] == "object" and doc["additionalProperties"] is False
    props = doc["properties"]
    assert props["geometry"]["format"] == "geometry-polygon-or-multipolygon"
    assert props["so_tang"] == {"type": "integer"}
    assert props["ngay"] == {"type": "string", "format": "date"}
    assert props["co"] == {"type": "boolean"}


def test_vietnamese_names_and_values(db: Database, settings: Settings, tmp_path: Path) -> None:
    rows = [
        {"ma": "D1", "tên_đường": "Lê Lợi", "geometry": square(0)},
        {"ma": "D2", "tên_đường": "Nguyễn Huệ", "geometry": square(1)},
    ]
    path = write_geojson(tmp_path / "duong.geojson", rows)
    import_file(
        db,
        settings,
        path,
        ImportOptions(layer_id="duong", new_layer=True, access="public", key="ma"),
    )
    decomposed = unicodedata.normalize("NFD", "tên_đường = 'Nguyễn Huệ'")
    with db.read() as conn:
        fields = queryables(get_layer(conn, "duong"), "http://localhost/ogcapi")["properties"]
        for text, expected in [
            ("\"tên_đường\" LIKE 'Lê%'", ["D1"]),
            ("tên_đường = 'Nguyễn Huệ'", ["D2"]),
            (decomposed, ["D2"]),
        ]:
            clause = compile_filter(
                parse_filter(text, "cql2-text"), queryables=fields, port=db.port
            )
            assert [r.fid for r in db.port.find(conn, "duong", where=[clause])] == expected, text
