"""Geometry columns on a capability's own tables: the storage port adds them with a spatial
index, and their predicates answer the same on SQLite (R*Tree) and PostGIS (GiST)."""

from __future__ import annotations

from typing import Any

import pyproj
import pytest
from shapely.geometry import LineString, Point, Polygon, box
from shapely.geometry.base import BaseGeometry
from sqlalchemy import (
    Column,
    ColumnElement,
    Connection,
    Integer,
    MetaData,
    Select,
    String,
    Table,
    delete,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.exc import StatementError

from dothi.db.engine import Database
from dothi.db.spatial import ShapelyGeometry

# Exactly four decimals: the SQLite distance test centres its projection on the query.
X0, Y0 = 106.7, 10.77
BOX = (X0, Y0, X0 + 0.01, Y0 + 0.01)
GEOD = pyproj.Geod(ellps="WGS84")


def spot_table(geometry_type: Any = "GEOMETRY") -> Table:
    """The capability's view of its table: the geometry column holds shapely values."""
    return Table(
        "spot",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("name", String(40), nullable=False),
        Column("geom", ShapelyGeometry(geometry_type)),
    )


def create_spot(db: Database, geometry_type: Any = "GEOMETRY") -> Table:
    """Create the table without its geometry, then add the column through the port, as a
    migration does."""
    bare = Table(
        "spot",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("name", String(40), nullable=False),
    )
    with db.write() as conn:
        bare.create(conn)
        db.port.add_geometry_column(conn, "spot", "geom", geometry_type=geometry_type)
    return spot_table(geometry_type)


@pytest.fixture
def spot(db: Database) -> Table:
    return create_spot(db)


def add(db: Database, spot: Table, **shapes: BaseGeometry | None) -> None:
    with db.write() as conn:
        conn.execute(insert(spot), [{"name": k, "geom": g} for k, g in shapes.items()])


def names(db: Database, spot: Table, where: ColumnElement[bool]) -> list[str]:
    with db.read() as conn:
        return sorted(conn.execute(select(spot.c.name).where(where)).scalars())


def indexed(db: Database, spot: Table) -> dict[str, tuple[float, ...]] | None:
    """What the SQLite R*Tree holds, by name (None on PostGIS, whose index is its own)."""
    if db.backend != "sqlite":
        return None
    with db.read() as conn:
        rows = conn.execute(
            text(
                "SELECT s.name, r.minx, r.miny, r.maxx, r.maxy FROM spot_geom_rtree r "
                "LEFT JOIN spot s ON s.id = r.id"
            )
        ).all()
    return {r[0]: tuple(r[1:]) for r in rows}


def explain(conn: Connection, prefix: str, stmt: Select[Any]) -> list[Any]:
    """The rows of ``prefix`` (EXPLAIN…) before the statement, with its parameters."""
    compiled = stmt.compile(conn)
    params: Any = compiled.construct_params()
    if compiled.positiontup is not None:
        params = tuple(params[k] for k in compiled.positiontup)
    return list(conn.exec_driver_sql(f"{prefix} {compiled}", params).all())


def moved(x: float, y: float, azimuth: float, metres: float) -> Point:
    lon, lat, _ = GEOD.fwd(x, y, azimuth, metres)
    return Point(lon, lat)


def test_values_are_shapely_geometries(db: Database, spot: Table) -> None:
    square = box(X0, Y0, X0 + 0.001, Y0 + 0.001)
    add(db, spot, a=Point(X0, Y0), b=square, c=None, d=Point(X0, Y0, 12.5))
    with db.read() as conn:
        got = dict(conn.execute(select(spot.c.name, spot.c.geom)).all())
        # Also when the column is read through a subquery.
        sub = select(spot).subquery()
        again = dict(conn.execute(select(sub.c.name, sub.c.geom)).all())
    assert got["a"].equals(Point(X0, Y0)) and got["b"].equals(square) and got["c"] is None
    assert not got["d"].has_z, "x/y only"
    assert again["b"].equals(square)


def test_the_declared_type_is_kept(db: Database) -> None:
    points = create_spot(db, "POINT")
    add(db, points, a=Point(X0, Y0))
    with pytest.raises(StatementError, match="POINT"), db.write() as conn:
        conn.execute(insert(points).values(name="b", geom=box(X0, Y0, X0 + 1, Y0 + 1)))
    with pytest.raises(StatementError, match="shapely"), db.write() as conn:
        conn.execute(insert(points).values(name="c", geom=b"\x01"))


def test_bbox(db: Database, spot: Table) -> None:
    x1 = BOX[2]
    add(
        db,
        spot,
        corner=Point(X0, Y0),
        on_edge=Point(x1, Y0 + 0.005),
        just_outside=Point(x1 + 1e-7, Y0 + 0.005),
        inside=Point(X0 + 0.003, Y0 + 0.004),
        far=Point(X0 + 1, Y0 + 1),
        # Across the box, no vertex in it.
        crossing=box(X0 - 0.01, Y0 + 0.004, X0 + 0.02, Y0 + 0.006),
        # Its own box overlaps the box, the shape does not.
        near_miss=Polygon(
            [(X0 - 0.005, Y0 + 0.002), (X0 + 0.002, Y0 + 0.02), (X0 - 0.005, Y0 + 0.02)]
        ),
        road_near_miss=LineString([(X0 - 0.005, Y0 + 0.002), (X0 + 0.002, Y0 + 0.02)]),
        around=box(X0 - 1, Y0 - 1, X0 + 1, Y0 + 1),
        touching=box(x1, Y0 - 0.01, x1 + 0.01, Y0),
        nothing=None,
    )
    expected = ["around", "corner", "crossing", "inside", "on_edge", "touching"]
    assert names(db, spot, db.port.intersects_bbox(spot.c.geom, BOX)) == expected
    # The same through an alias of the table, and inside NOT (the test stays exact).
    s = spot.alias("s")
    with db.read() as conn:
        got = conn.execute(select(s.c.name).where(db.port.intersects_bbox(s.c.geom, BOX)))
        assert sorted(got.scalars()) == expected
    # A predicate is never NULL: a row without a geometry meets nothing.
    outside = names(db, spot, ~db.port.intersects_bbox(spot.c.geom, BOX))
    assert outside == ["far", "just_outside", "near_miss", "nothing", "road_near_miss"]


def test_intersects_a_geometry(db: Database, spot: Table) -> None:
    triangle = Polygon([(X0, Y0), (X0 + 0.01, Y0), (X0, Y0 + 0.01)])
    add(
        db,
        spot,
        on_base=Point(X0 + 0.005, Y0),
        inside=Point(X0 + 0.002, Y0 + 0.002),
        # In the triangle's box, beyond its long side.
        beyond=Point(X0 + 0.008, Y0 + 0.008),
        crossing=LineString([(X0 - 0.01, Y0 + 0.001), (X0 + 0.02, Y0 + 0.001)]),
        around=box(X0 - 1, Y0 - 1, X0 + 1, Y0 + 1),
        below=box(X0, Y0 - 0.01, X0 + 0.01, Y0 - 1e-7),
    )
    got = names(db, spot, db.port.intersects(spot.c.geom, triangle))
    assert got == ["around", "crossing", "inside", "on_base"]
    assert names(db, spot, db.port.intersects(spot.c.geom, Point(X0 + 0.008, Y0 + 0.008))) == [
        "around",
        "beyond",
    ]


def test_within_a_distance_in_metres(db: Database, spot: Table) -> None:
    centre = Point(X0, Y0)
    add(
        db,
        spot,
        north_500=moved(X0, Y0, 0, 500),
        east_1000=moved(X0, Y0, 90, 1000),
        south_west_2000=moved(X0, Y0, 225, 2000),
        # A square whose west side is 300 m east of the centre.
        square_300=box(moved(X0, Y0, 90, 300).x, Y0 - 0.001, X0 + 0.01, Y0 + 0.001),
        nothing=None,
    )
    within = db.port.within_distance
    assert names(db, spot, within(spot.c.geom, centre, 299.5)) == []
    assert names(db, spot, within(spot.c.geom, centre, 300.5)) == ["square_300"]
    assert names(db, spot, within(spot.c.geom, centre, 499.9)) == ["square_300"]
    assert names(db, spot, within(spot.c.geom, centre, 500.1)) == ["north_500", "square_300"]
    assert names(db, spot, within(spot.c.geom, centre, 999.9)) == ["north_500", "square_300"]
    assert len(names(db, spot, within(spot.c.geom, centre, 1000.1))) == 3
    assert len(names(db, spot, within(spot.c.geom, centre, 2000.1))) == 4
    # From a shape: metres to its nearest part.
    line = LineString([(X0, Y0), moved(X0, Y0, 0, 400)])
    assert names(db, spot, within(spot.c.geom, line, 100.1)) == ["north_500"]


def test_nearest_first(db: Database, spot: Table) -> None:
    centre = Point(X0, Y0)
    add(
        db,
        spot,
        far=moved(X0, Y0, 45, 3000),
        near=moved(X0, Y0, 180, 120),
        nothing=None,
        middle=moved(X0, Y0, 300, 800),
        here=box(X0 - 0.001, Y0 - 0.001, X0 + 0.001, Y0 + 0.001),
    )
    distance = db.port.distance_m(spot.c.geom, centre).label("metres")
    stmt = select(spot.c.name, distance).order_by(db.port.nearest_first(spot.c.geom, centre))
    with db.read() as conn:
        rows = conn.execute(stmt).all()
    assert [r.name for r in rows] == ["here", "near", "middle", "far", "nothing"]
    metres = [r.metres for r in rows]
    assert metres[0] == 0 and metres[-1] is None
    assert metres[1:4] == [pytest.approx(m, abs=0.01) for m in (120, 800, 3000)]


def test_writes_keep_the_index(db: Database, spot: Table) -> None:
    inside, outside = Point(X0 + 0.005, Y0 + 0.005), Point(X0 + 0.5, Y0 + 0.5)
    add(db, spot, a=inside, b=outside, c=None)
    in_box = db.port.intersects_bbox(spot.c.geom, BOX)
    assert names(db, spot, in_box) == ["a"]
    with db.write() as conn:
        conn.execute(update(spot).where(spot.c.name == "a").values(geom=outside))
        conn.execute(update(spot).where(spot.c.name == "b").values(geom=inside))
        conn.execute(update(spot).where(spot.c.name == "c").values(geom=box(*BOX)))
    assert names(db, spot, in_box) == ["b", "c"]
    with db.write() as conn:
        # Other columns change: the index stays as it is.
        conn.execute(update(spot).values(name=spot.c.name + "2"))
        conn.execute(update(spot).where(spot.c.name == "c2").values(geom=None))
    assert names(db, spot, in_box) == ["b2"]
    with db.write() as conn:
        conn.execute(delete(spot).where(spot.c.name == "b2"))
    assert names(db, spot, in_box) == []
    # A new row may take the id of a deleted one.
    with db.write() as conn:
        (gone,) = conn.execute(select(spot.c.id).where(spot.c.name == "a2")).one()
        conn.execute(delete(spot).where(spot.c.id == gone))
        conn.execute(insert(spot).values(id=gone, name="d", geom=inside))
    assert names(db, spot, in_box) == ["d"]
    assert names(db, spot, db.port.intersects_bbox(spot.c.geom, outside.buffer(0.01).bounds)) == []
    held = indexed(db, spot)
    if held is not None:
        assert list(held) == ["d"]
        # 32-bit floats, rounded outwards.
        minx, miny, maxx, maxy = held["d"]
        assert minx <= inside.x <= maxx and miny <= inside.y <= maxy
        assert maxx - minx < 1e-4 and maxy - miny < 1e-4


def test_the_spatial_index_is_there_and_used(db: Database, spot: Table) -> None:
    stmt = select(spot.c.name).where(db.port.intersects_bbox(spot.c.geom, BOX))
    with db.read() as conn:
        if db.backend == "postgis":
            found = conn.execute(
                text("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'spot'")
            ).all()
            assert [r.indexname for r in found if "USING gist (geom)" in r.indexdef] == [
                "ix_spot_geom"
            ]
            # A table this small is read whole; the plan can use the index all the same.
            conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
            plan = explain(conn, "EXPLAIN", stmt)
            assert "ix_spot_geom" in "\n".join(r[0] for r in plan)
        else:
            kinds = conn.execute(
                text("SELECT type, name FROM sqlite_master WHERE name LIKE 'spot_geom_rtree%'")
            ).all()
            assert ("table", "spot_geom_rtree") in kinds
            assert {n for t, n in kinds if t == "trigger"} == {
                "spot_geom_rtree_ins",
                "spot_geom_rtree_upd",
                "spot_geom_rtree_del",
            }
            plan = explain(conn, "EXPLAIN QUERY PLAN", stmt)
            assert "spot_geom_rtree VIRTUAL TABLE INDEX" in "\n".join(r[-1] for r in plan)


def test_drop_geometry_column(db: Database, spot: Table) -> None:
    add(db, spot, a=Point(X0, Y0))
    with db.write() as conn:
        db.port.drop_geometry_column(conn, "spot", "geom")
    bare = Table(
        "spot", MetaData(), Column("id", Integer, primary_key=True), Column("name", String)
    )
    with db.write() as conn:
        conn.execute(insert(bare).values(name="b"))  # no trigger left behind
        conn.execute(delete(bare).where(bare.c.name == "a"))
        left = conn.execute(
            text(
                "SELECT count(*) FROM pg_indexes WHERE indexname = 'ix_spot_geom'"
                if db.backend == "postgis"
                else "SELECT count(*) FROM sqlite_master WHERE name LIKE 'spot_geom%'"
            )
        ).scalar_one()
        assert left == 0
        # And back again, as a downgrade followed by an upgrade would.
        db.port.add_geometry_column(conn, "spot", "geom", geometry_type="POINT")
        conn.execute(insert(spot).values(name="c", geom=Point(X0, Y0)))
    assert names(db, spot, db.port.intersects_bbox(spot.c.geom, BOX)) == ["c"]
    with db.write() as conn:
        db.port.drop_geometry_column(conn, "spot", "geom")
        bare.drop(conn)


def test_a_column_made_with_the_table_is_indexed_with_its_rows(db: Database) -> None:
    spot = spot_table()
    with db.write() as conn:
        spot.create(conn)
        conn.execute(insert(spot).values(name="early", geom=Point(X0, Y0)))
        db.port.add_geometry_column(conn, "spot", "geom")
    add(db, spot, late=Point(X0 + 0.001, Y0))
    assert names(db, spot, db.port.intersects_bbox(spot.c.geom, BOX)) == ["early", "late"]


def test_what_cannot_have_a_geometry_column(db: Database) -> None:
    keyed_by_text = Table("tagged", MetaData(), Column("code", String(10), primary_key=True))
    with db.write() as conn:
        keyed_by_text.create(conn)
        spot_table("POINT").create(conn)
        for table_name, column, message in (
            ("tagged", "geom", "integer"),
            ("missing", "geom", "no table"),
            ("spot", "name", "is "),  # a column that is not a geometry
            ("Spot", "geom", "lower-case"),
            ("spot", 'geom"; --', "lower-case"),
            ("spot" + "_x" * 30, "geom", "too long"),
        ):
            with pytest.raises(ValueError, match=message):
                db.port.add_geometry_column(conn, table_name, column, geometry_type="POLYGON")
        with pytest.raises(ValueError, match="geometry type"):
            db.port.add_geometry_column(conn, "spot", "geom2", geometry_type="CIRCLE")  # type: ignore[arg-type]
