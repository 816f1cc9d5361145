"""The spatial port answers the same on SQLite (R*Tree + shapely) and PostGIS."""

from __future__ import annotations

from pathlib import Path

import pytest
from prepared import dataset
from samples import ORIGIN, square, write_geojson
from shapely.geometry import LineString, Point, box, shape

from dothi.capabilities import migration_folders
from dothi.config import Settings
from dothi.db.engine import Database
from dothi.db.schema import feature
from dothi.spatial.importer import ImportOptions, import_file

# A 10 × 10 grid of 50 m squares, 110 m apart, and one long road across it.
GRID = [{"ma": f"S{i:03d}", "hang": i // 50, "geometry": square(i)} for i in range(100)]
ROAD = LineString([(ORIGIN[0] - 0.01, ORIGIN[1] + 0.0012), (ORIGIN[0] + 0.06, ORIGIN[1] + 0.0012)])


@dataset(shared=True)
def grid_layers(db: Database, settings: Settings, tmp_path: Path) -> None:
    path = write_geojson(tmp_path / "grid.geojson", GRID)
    import_file(
        db, settings, path, ImportOptions(layer_id="o", new_layer=True, access="public", key="ma")
    )
    roads = write_geojson(tmp_path / "road.geojson", [{"ma": "R1", "geometry": ROAD}])
    import_file(
        db,
        settings,
        roads,
        ImportOptions(layer_id="duong", new_layer=True, access="public", key="ma"),
    )


@pytest.fixture
def grid(grid_layers: None, db: Database) -> Database:
    return db


def ids(rows: list) -> list[str]:
    return sorted(r.fid for r in rows)


def test_bbox_intersects_exactly(grid: Database) -> None:
    x, y = ORIGIN
    with grid.read() as conn:
        # Covers squares 0 and 1 only: square 1 starts at x + 0.001.
        got = grid.port.find(conn, "o", bbox=(x - 0.0001, y - 0.0001, x + 0.0012, y + 0.0002))
        assert ids(got) == ["S000", "S001"]
        # The road's bbox overlaps a box below it, the road itself does not.
        below = (x, y - 0.0005, x + 0.01, y + 0.0011)
        assert grid.port.find(conn, "duong", bbox=below) == []
        assert len(grid.port.find(conn, "duong", bbox=(x, y, x + 0.01, y + 0.0013))) == 1


def test_predicates(grid: Database) -> None:
    inside = Point(square(5).centroid)
    area = box(ORIGIN[0] - 0.0001, ORIGIN[1] - 0.0001, ORIGIN[0] + 0.0026, ORIGIN[1] + 0.0006)
    with grid.read() as conn:
        assert ids(grid.port.find(conn, "o", geometry=inside, predicate="contains")) == ["S005"]
        assert ids(grid.port.find(conn, "o", geometry=area, predicate="within")) == [
            "S000",
            "S001",
            "S002",
        ]
        crossing = grid.port.find(conn, "o", geometry=ROAD, predicate="intersects")
        assert ids(crossing) == [f"S{i:03d}" for i in range(50, 100)]


def test_within_distance_in_metres(grid: Database) -> None:
    # Squares are 0.001° (≈ 109 m) apart in longitude; 0.0005° wide.
    p = Point(ORIGIN[0] - 0.0001, ORIGIN[1] + 0.00025)  # ≈ 11 m west of square 0
    with grid.read() as conn:
        near = grid.port.find(conn, "o", geometry=p, distance_m=20)
        assert ids(near) == ["S000"]
        wider = grid.port.find(conn, "o", geometry=p, distance_m=90)
        # Square 50 (north) is ≈ 84 m away, square 1 (east) ≈ 120 m.
        assert ids(wider) == ["S000", "S050"]


def test_nearest_with_distances(grid: Database) -> None:
    p = Point(ORIGIN[0] + 0.0107, ORIGIN[1] + 0.00025)  # just east of square 10
    with grid.read() as conn:
        found = grid.port.nearest(conn, "o", p, k=3)
    assert [r.fid for r, _ in found] == ["S010", "S011", "S060"]
    assert found[0][1] == pytest.approx(0.0002 * 109_400, rel=0.02)
    assert found[0][1] < found[1][1] <= found[2][1]


def test_paging_and_property_filter_are_stable(grid: Database) -> None:
    with grid.read() as conn:
        first = grid.port.find(conn, "o", limit=30, offset=0)
        second = grid.port.find(conn, "o", limit=30, offset=30)
        north = grid.port.find(
            conn,
            "o",
            where=[feature.c.fid >= "S090"],
            bbox=(ORIGIN[0] - 1, ORIGIN[1] - 1, ORIGIN[0] + 1, ORIGIN[1] + 1),
            limit=5,
            offset=5,
        )
    assert len(first) == len(second) == 30
    assert not {r.fid for r in first} & {r.fid for r in second}
    assert [r.fid for r in north] == ["S095", "S096", "S097", "S098", "S099"]


def test_spatial_clauses_combine_with_or_and_not(grid: Database) -> None:
    from sqlalchemy import not_, or_

    first = box(*square(0).bounds).buffer(-0.0001)
    last = box(*square(99).bounds).buffer(-0.0001)
    port = grid.port
    with grid.read() as conn:
        either = port.find(
            conn,
            "o",
            where=[
                or_(
                    port.spatial_clause("intersects", first),
                    port.spatial_clause("intersects", last),
                )
            ],
        )
        assert ids(either) == ["S000", "S099"]
        rest = port.find(conn, "o", where=[not_(port.spatial_clause("intersects", first))])
        assert len(rest) == 99 and "S000" not in ids(rest)
        near = port.spatial_clause("intersects", ROAD, distance_m=1)
        stmt = port.filtered("o", where=[near])
        assert port.count(conn, stmt) == 50


def test_bbox_is_exact_at_its_edges(db: Database, settings: Settings, tmp_path: Path) -> None:
    # PostGIS's index and && compare single-precision boxes (about 1 m here): a point a
    # few centimetres outside must still be left out, a point on the edge kept.
    x, y = ORIGIN
    eps = 3e-7
    rows = [
        {"ma": "edge", "geometry": Point(x + 0.001, y)},
        {"ma": "corner", "geometry": Point(x, y)},
        {"ma": "out_x", "geometry": Point(x + 0.001 + eps, y + 0.0005)},
        {"ma": "out_y", "geometry": Point(x + 0.0005, y - eps)},
        {"ma": "in", "geometry": Point(x + 0.0005, y + 0.0005)},
    ]
    path = write_geojson(tmp_path / "pts.geojson", rows)
    import_file(
        db,
        settings,
        path,
        ImportOptions(layer_id="diem", new_layer=True, access="public", key="ma"),
    )
    bbox = (x, y, x + 0.001, y + 0.001)
    with db.read() as conn:
        assert ids(db.port.find(conn, "diem", bbox=bbox)) == ["corner", "edge", "in"]
        page = db.port.geojson_page(conn, "diem", bbox=bbox, limit=2, offset=0)
    assert (page.returned, page.matched) == (2, 3)


def test_geojson_page_is_the_same_page_as_find(grid: Database) -> None:
    import orjson

    from dothi.ogcapi import crs as ocrs

    x, y = ORIGIN
    bbox = (x - 0.0001, y - 0.0001, x + 0.0203, y + 0.0012)  # 21 + 21 squares
    tm3 = ocrs.parse_crs("http://www.opengis.net/def/crs/EPSG/0/9210")
    cases = [
        {"bbox": bbox},  # the prebuilt statement on PostGIS
        {"bbox": bbox, "where": [feature.c.fid >= "S010"]},
        {},
        {"bbox": bbox, "reproject": lambda g: ocrs.to_output(g, tm3)},
    ]
    with grid.read() as conn:
        for case in cases:
            where = case.get("where", [])
            want = grid.port.find(conn, "o", bbox=case.get("bbox"), where=where)
            for offset in (0, 10, 40, 500):
                page = grid.port.geojson_page(conn, "o", limit=10, offset=offset, **case)
                got = orjson.loads(b"[" + page.features + b"]")
                expect = want[offset : offset + 10]
                assert [f["id"] for f in got] == [r.fid for r in expect], (case, offset)
                assert (page.returned, page.matched) == (len(expect), len(want))
                for f, r in zip(got, expect, strict=True):
                    assert f["properties"] == r.properties
                    if "reproject" not in case:
                        assert shape(f["geometry"]).equals_exact(r.geometry, 1e-12)
                    else:  # TM-3 metres
                        assert f["geometry"]["coordinates"][0][0][0] > 100_000


def test_sqlite_plans_bbox_queries_from_the_rtree(tmp_path: Path) -> None:
    # Statistics are gathered after an import; without them SQLite walked the layer's
    # (layer_id, fid) index and tested every feature.
    settings = Settings(data_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 'd.sqlite'}")
    lite = Database(settings.database_url)
    lite.migrate(migration_folders())
    path = write_geojson(tmp_path / "grid.geojson", GRID)
    import_file(
        lite, settings, path, ImportOptions(layer_id="o", new_layer=True, access="public", key="ma")
    )
    stmt = lite.port.filtered("o", bbox=(ORIGIN[0], ORIGIN[1], ORIGIN[0] + 0.001, ORIGIN[1]))
    with lite.read() as conn:
        compiled = stmt.compile(conn)
        params = [compiled.params[k] for k in compiled.positiontup or []]
        raw = conn.connection.dbapi_connection
        assert raw is not None
        plan = " | ".join(r[3] for r in raw.execute("EXPLAIN QUERY PLAN " + str(compiled), params))
    lite.dispose()
    assert "INTEGER PRIMARY KEY" in plan and "feature_rtree" in plan, plan
    assert "ux_feature_current" not in plan and "ix_feature_history" not in plan, plan
