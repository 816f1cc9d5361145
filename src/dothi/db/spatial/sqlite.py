"""Spatial port for SQLite: an R*Tree of feature bounding boxes, refined with shapely."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import (
    ColumnClause,
    ColumnElement,
    Connection,
    Float,
    LargeBinary,
    TableClause,
    and_,
    column,
    func,
    literal,
    not_,
    select,
    table,
)
from sqlalchemy.types import TypeEngine

from dothi.db.schema import feature
from dothi.db.spatial.base import (
    MEETING,
    BBox,
    FeatureRow,
    Predicate,
    Relation,
    SpatialPort,
    VersionBatch,
    check_pattern,
    expand_degrees,
    pattern_meets,
)
from dothi.db.spatial.columns import GeometryColumn, TableColumn, column_of
from dothi.geo.metric import local_metric
from dothi.geo.transform import move_with

_RTREE_DDL = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS feature_rtree USING rtree(rid, minx, maxx, miny, maxy)",
    # Rows are added to the index by insert_versions, after each batch: an insert trigger
    # interleaves table and R*Tree pages and makes bulk imports 2-3 times slower.
    """CREATE TRIGGER IF NOT EXISTS feature_rtree_del AFTER DELETE ON feature BEGIN
         DELETE FROM feature_rtree WHERE rid = OLD.rid;
       END""",
)

_rtree = table(
    "feature_rtree", column("rid"), column("minx"), column("maxx"), column("miny"), column("maxy")
)

_INSERT = (
    "INSERT INTO feature (layer_id, fid, version, valid_from, created_in, changed_by, "
    "geom, minx, miny, maxx, maxy, properties, digest) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def _dbapi(conn: Connection) -> Any:
    dbapi = conn.connection.driver_connection
    assert dbapi is not None
    return dbapi


def _index_rows(dbapi: Any, last: int) -> None:
    """Add the rows after rid ``last`` to the R*Tree, in one statement."""
    dbapi.execute(
        "INSERT INTO feature_rtree SELECT rid, minx, maxx, miny, maxy FROM feature "
        "WHERE rid > ? AND minx IS NOT NULL",
        (last,),
    )


@lru_cache(maxsize=32)
def _query_geometry(wkb: bytes) -> BaseGeometry:
    """The parsed, prepared query geometry: parsed once per query, not once per row."""
    g = shapely.from_wkb(wkb)
    shapely.prepare(g)
    return g


def _relate(test: Callable[[BaseGeometry, BaseGeometry], bool]) -> Callable[..., int | None]:
    def run(feature_wkb: bytes | None, query_wkb: bytes) -> int | None:
        if feature_wkb is None:
            return None
        return int(test(shapely.from_wkb(feature_wkb), _query_geometry(query_wkb)))

    return run


def _dwithin(feature_wkb: bytes | None, query_wkb: bytes, metres: float) -> int | None:
    if feature_wkb is None:
        return None
    q = _query_geometry(query_wkb)
    f, t = _to_metric([shapely.from_wkb(feature_wkb), q], q)
    return int(f.distance(t) <= metres)


def _distance_m(feature_wkb: bytes | None, query_wkb: bytes) -> float | None:
    if feature_wkb is None:
        return None
    q = _query_geometry(query_wkb)
    f, t = _to_metric([shapely.from_wkb(feature_wkb), q], q)
    return float(f.distance(t))


@lru_cache(maxsize=16)
def _wkb_bounds(wkb: bytes) -> tuple[float, float, float, float] | None:
    g = shapely.from_wkb(wkb)
    if g.is_empty:
        return None
    minx, miny, maxx, maxy = g.bounds
    return (minx, miny, maxx, maxy)


def _bbox(wkb: bytes | None, i: int) -> float | None:
    """One coordinate of a geometry's bounds (0 minx, 1 miny, 2 maxx, 3 maxy); NULL for
    no geometry or an empty one. The triggers that keep an R*Tree call it four times a
    row: the bounds are computed once."""
    if wkb is None:
        return None
    bounds = _wkb_bounds(bytes(wkb))
    return None if bounds is None else bounds[i]


# Each relation as a test of (feature, prepared query geometry) with the query geometry
# first, where GEOS uses its preparation.
_RELATIONS: dict[str, Callable[[BaseGeometry, BaseGeometry], bool]] = {
    "equals": lambda f, q: bool(shapely.equals(f, q)),
    "disjoint": lambda f, q: bool(shapely.disjoint(q, f)),
    "touches": lambda f, q: bool(shapely.touches(q, f)),
    "within": lambda f, q: bool(shapely.contains(q, f)),
    "overlaps": lambda f, q: bool(shapely.overlaps(q, f)),
    "crosses": lambda f, q: bool(shapely.crosses(q, f)),
    "intersects": lambda f, q: bool(shapely.intersects(q, f)),
    "contains": lambda f, q: bool(shapely.within(q, f)),
}


def _relation(feature_wkb: bytes | None, query_wkb: bytes, name: str) -> int | None:
    if feature_wkb is None:
        return None
    return int(_RELATIONS[name](shapely.from_wkb(feature_wkb), _query_geometry(query_wkb)))


def _relate_pattern(feature_wkb: bytes | None, query_wkb: bytes, pattern: str) -> int | None:
    if feature_wkb is None:
        return None
    f = shapely.from_wkb(feature_wkb)
    return int(bool(shapely.relate_pattern(f, _query_geometry(query_wkb), pattern)))


def _planar_distance(feature_wkb: bytes | None, query_wkb: bytes) -> float | None:
    if feature_wkb is None:
        return None
    return float(shapely.distance(shapely.from_wkb(feature_wkb), _query_geometry(query_wkb)))


def _line_length(geometry: BaseGeometry) -> float:
    """The length of the lines of a geometry: polygons and points count 0, as in PostGIS."""
    if geometry.geom_type in ("LineString", "LinearRing", "MultiLineString"):
        return float(geometry.length)
    if geometry.geom_type == "GeometryCollection":
        return sum(_line_length(g) for g in geometry.geoms)
    return 0.0


def _planar_length(feature_wkb: bytes | None) -> float | None:
    return None if feature_wkb is None else _line_length(shapely.from_wkb(feature_wkb))


def register_functions(dbapi_conn: Any) -> None:
    """Give a SQLite connection the exact spatial tests used by :meth:`spatial_clause`."""
    dbapi_conn.create_function(
        "dothi_intersects", 2, _relate(lambda f, q: q.intersects(f)), deterministic=True
    )
    dbapi_conn.create_function(
        "dothi_contains", 2, _relate(lambda f, q: f.contains(q)), deterministic=True
    )
    dbapi_conn.create_function(
        "dothi_within", 2, _relate(lambda f, q: q.contains(f)), deterministic=True
    )
    dbapi_conn.create_function("dothi_dwithin", 3, _dwithin, deterministic=True)
    dbapi_conn.create_function("dothi_distance_m", 2, _distance_m, deterministic=True)
    dbapi_conn.create_function("dothi_bbox", 2, _bbox, deterministic=True)
    dbapi_conn.create_function("dothi_relation", 3, _relation, deterministic=True)
    dbapi_conn.create_function("dothi_relate_pattern", 3, _relate_pattern, deterministic=True)
    dbapi_conn.create_function("dothi_planar_distance", 2, _planar_distance, deterministic=True)
    dbapi_conn.create_function("dothi_planar_length", 1, _planar_length, deterministic=True)


def _rtree_of(target: GeometryColumn) -> TableClause:
    return table(
        f"{target.stem}_rtree",
        column("id"),
        column("minx"),
        column("maxx"),
        column("miny"),
        column("maxy"),
    )


def _rtree_ddl(target: GeometryColumn, key: str) -> list[str]:
    """The R*Tree of a geometry column and the triggers that keep it in step with every
    insert, update and delete. Inserts first delete an entry of the same key: a row that
    replaced another (INSERT OR REPLACE fires no delete trigger) is indexed anew."""
    t, c, rtree = target.table, target.column, f"{target.stem}_rtree"
    entry = (
        f'INSERT INTO "{rtree}" (id, minx, maxx, miny, maxy) '
        f'SELECT NEW."{key}", dothi_bbox(NEW."{c}", 0), dothi_bbox(NEW."{c}", 2), '
        f'dothi_bbox(NEW."{c}", 1), dothi_bbox(NEW."{c}", 3) '
        f'WHERE dothi_bbox(NEW."{c}", 0) IS NOT NULL;'
    )
    return [
        f'CREATE VIRTUAL TABLE "{rtree}" USING rtree(id, minx, maxx, miny, maxy)',
        f'CREATE TRIGGER "{rtree}_ins" AFTER INSERT ON "{t}" BEGIN '
        f'DELETE FROM "{rtree}" WHERE id = NEW."{key}"; {entry} END',
        f'CREATE TRIGGER "{rtree}_upd" AFTER UPDATE OF "{c}", "{key}" ON "{t}" BEGIN '
        f'DELETE FROM "{rtree}" WHERE id = OLD."{key}"; {entry} END',
        f'CREATE TRIGGER "{rtree}_del" AFTER DELETE ON "{t}" BEGIN '
        f'DELETE FROM "{rtree}" WHERE id = OLD."{key}"; END',
        # Rows the table had already.
        f'INSERT INTO "{rtree}" (id, minx, maxx, miny, maxy) '
        f'SELECT "{key}", dothi_bbox("{c}", 0), dothi_bbox("{c}", 2), dothi_bbox("{c}", 1), '
        f'dothi_bbox("{c}", 3) FROM "{t}" WHERE dothi_bbox("{c}", 0) IS NOT NULL',
    ]


def _to_metric(geoms: list[BaseGeometry], centre: BaseGeometry) -> list[BaseGeometry]:
    """The geometries in an azimuthal equidistant projection centred near ``centre``: metres,
    small error."""
    c = centre.centroid
    t = local_metric(c.x, c.y, "aeqd")
    return [move_with(g, t) for g in geoms]


class SQLitePort(SpatialPort):
    """R*Tree + shapely implementation of the spatial port."""

    name = "sqlite"

    def prepare_database(self, conn: Connection) -> None:
        conn.exec_driver_sql("PRAGMA journal_mode=WAL")

    def create_feature_table(self, conn: Connection) -> None:
        feature.create(conn)
        for ddl in _RTREE_DDL:
            conn.exec_driver_sql(ddl)

    def drop_feature_table(self, conn: Connection) -> None:
        conn.exec_driver_sql("DROP TRIGGER IF EXISTS feature_rtree_del")
        conn.exec_driver_sql("DROP TABLE IF EXISTS feature_rtree")
        feature.drop(conn)

    # -- geometry columns of other tables -----------------------------------------
    def geometry_storage(self, geometry_type: str) -> TypeEngine[Any]:
        return LargeBinary()

    def _describe_table(self, conn: Connection, table_name: str) -> list[TableColumn]:
        rows = conn.exec_driver_sql(f'PRAGMA table_info("{table_name}")').all()
        # SQLite's rule for integer affinity: the declared type contains INT.
        return [TableColumn(r[1], r[2], r[5] > 0, "INT" in r[2].upper()) for r in rows]

    def _create_spatial_index(self, conn: Connection, target: GeometryColumn, key: str) -> None:
        for ddl in _rtree_ddl(target, key):
            conn.exec_driver_sql(ddl)

    def _drop_spatial_index(self, conn: Connection, target: GeometryColumn) -> None:
        rtree = f"{target.stem}_rtree"
        for suffix in ("ins", "upd", "del"):
            conn.exec_driver_sql(f'DROP TRIGGER IF EXISTS "{rtree}_{suffix}"')
        conn.exec_driver_sql(f'DROP TABLE IF EXISTS "{rtree}"')

    def _column_candidates(self, column: ColumnClause[Any], bbox: BBox) -> ColumnElement[bool]:
        """Rows whose geometry's box meets ``bbox``, from the column's R*Tree."""
        target, key = column_of(column)
        rtree = _rtree_of(target)
        minx, miny, maxx, maxy = bbox
        return key.in_(
            select(rtree.c.id).where(
                rtree.c.maxx >= minx,
                rtree.c.minx <= maxx,
                rtree.c.maxy >= miny,
                rtree.c.miny <= maxy,
            )
        )

    def intersects_bbox(self, column: ColumnClause[Any], bbox: BBox) -> ColumnElement[bool]:
        return self.intersects(column, shapely.box(*bbox))

    def intersects(self, column: ColumnClause[Any], geometry: BaseGeometry) -> ColumnElement[bool]:
        # The R*Tree narrows the rows (its boxes are rounded outwards, never inwards); the
        # exact test decides.
        return and_(
            self._column_candidates(column, geometry.bounds),
            func.dothi_intersects(column, literal(geometry.wkb)) == 1,
        )

    def within_distance(
        self, column: ColumnClause[Any], geometry: BaseGeometry, metres: float
    ) -> ColumnElement[bool]:
        return and_(
            self._column_candidates(column, expand_degrees(geometry.bounds, metres)),
            func.dothi_dwithin(column, literal(geometry.wkb), metres) == 1,
        )

    def distance_m(self, column: ColumnClause[Any], geometry: BaseGeometry) -> ColumnElement[float]:
        return func.dothi_distance_m(column, literal(geometry.wkb), type_=Float)

    def relates(
        self, column: ColumnClause[Any], geometry: BaseGeometry, relation: Relation
    ) -> ColumnElement[bool]:
        if relation == "disjoint":
            # Outside the index's candidates a row is disjoint without a test.
            return and_(column.is_not(None), not_(self.intersects(column, geometry)))
        if relation not in MEETING:
            raise ValueError(f"unknown spatial relation {relation!r}")
        test = func.dothi_relation(column, literal(geometry.wkb), relation) == 1
        return and_(self._column_candidates(column, geometry.bounds), test)

    def relate_pattern(
        self, column: ColumnClause[Any], geometry: BaseGeometry, pattern: str
    ) -> ColumnElement[bool]:
        pattern = check_pattern(pattern)
        test = func.dothi_relate_pattern(column, literal(geometry.wkb), pattern) == 1
        if pattern_meets(pattern):
            return and_(self._column_candidates(column, geometry.bounds), test)
        return and_(column.is_not(None), test)

    def planar_distance(
        self, column: ColumnClause[Any], geometry: BaseGeometry
    ) -> ColumnElement[float]:
        return func.dothi_planar_distance(column, literal(geometry.wkb), type_=Float)

    def within_planar_distance(
        self, column: ColumnClause[Any], geometry: BaseGeometry, degrees: float
    ) -> ColumnElement[bool]:
        minx, miny, maxx, maxy = geometry.bounds
        box = (minx - degrees, miny - degrees, maxx + degrees, maxy + degrees)
        return and_(
            self._column_candidates(column, box),
            self.planar_distance(column, geometry) <= degrees,
        )

    def planar_length(self, column: ColumnClause[Any]) -> ColumnElement[float]:
        return func.dothi_planar_length(column, type_=Float)

    def db_time(self, value: datetime) -> Any:
        # SQLAlchemy's SQLite DateTime reads back this exact text form (UTC, naive).
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")

    def insert_versions(self, conn: Connection, batch: VersionBatch) -> None:
        dbapi = _dbapi(conn)
        _index_rows(dbapi, self._insert_rows(dbapi, batch))

    def _insert_rows(self, dbapi: Any, batch: VersionBatch) -> int:
        """Insert the rows (not yet in the R*Tree); returns the last rid before them."""
        (last,) = dbapi.execute("SELECT coalesce(max(rid), 0) FROM feature").fetchone()
        dbapi.executemany(_INSERT, batch.rows(valid_from=self.db_time(batch.valid_from)))
        return int(last)

    @contextmanager
    def bulk_insert(
        self, conn: Connection, layer_id: str, *, new_storage: bool = False
    ) -> Iterator[Callable[[VersionBatch], None]]:
        # Filling the R*Tree is one long SQLite statement that runs without Python's GIL:
        # it runs in a helper thread while the caller prepares the next batch, and the
        # next write waits for it. The connection is never used by two threads at once.
        dbapi = _dbapi(conn)
        with ThreadPoolExecutor(max_workers=1) as pool:
            pending: Future[None] | None = None

            def write(batch: VersionBatch) -> None:
                nonlocal pending
                if pending is not None:
                    pending.result()
                last = self._insert_rows(dbapi, batch)
                pending = pool.submit(_index_rows, dbapi, last)

            try:
                yield write
            finally:
                if pending is not None:
                    pending.result()

    def geom_wkb(self) -> ColumnElement[Any]:
        return feature.c.geom

    def analyze(self, conn: Connection, layer_id: str) -> None:
        # Without statistics SQLite walks a layer's (layer_id, ...) index instead of the
        # R*Tree (100–600 ms instead of under 1 ms per bbox page). A sampled ANALYZE is
        # enough to change that and takes milliseconds.
        conn.exec_driver_sql("PRAGMA analysis_limit=1000")
        conn.exec_driver_sql("ANALYZE")

    def _bbox_candidates(self, bbox: BBox) -> ColumnElement[bool]:
        minx, miny, maxx, maxy = bbox
        # Built from column objects so that each use in a statement gets its own binds.
        return feature.c.rid.in_(
            select(_rtree.c.rid).where(
                _rtree.c.maxx >= minx,
                _rtree.c.minx <= maxx,
                _rtree.c.maxy >= miny,
                _rtree.c.miny <= maxy,
            )
        )

    def spatial_clause(
        self, predicate: Predicate, geometry: BaseGeometry, distance_m: float | None = None
    ) -> ColumnElement[bool]:
        # The R*Tree narrows the rows first; the exact test runs in a SQL function backed
        # by shapely (see register_functions). Both stand together, so the clause stays
        # exact inside OR and NOT.
        wkb = literal(geometry.wkb)
        if distance_m is not None:
            return and_(
                self._bbox_candidates(expand_degrees(geometry.bounds, distance_m)),
                func.dothi_dwithin(feature.c.geom, wkb, distance_m) == 1,
            )
        return and_(self._bbox_candidates(geometry.bounds), self._exact(predicate, geometry))

    def _exact_wkb(self, predicate: Predicate, wkb: ColumnElement[Any]) -> ColumnElement[bool]:
        test: ColumnElement[bool] = getattr(func, f"dothi_{predicate}")(feature.c.geom, wkb) == 1
        return test

    def nearest(
        self,
        conn: Connection,
        layer_id: str,
        point: BaseGeometry,
        k: int = 1,
        *,
        as_of: datetime | None = None,
    ) -> list[tuple[FeatureRow, float]]:
        # Grow the search box until it holds k features, then rank by true distance.
        # Anything outside a box of half-width r is farther than r, so the k found
        # within r are final once the k-th distance is at most r.
        radius = 200.0
        while True:
            rows = self.find(conn, layer_id, as_of=as_of, bbox=expand_degrees(point.bounds, radius))
            ranked = self._rank(rows, point)
            if len(ranked) >= k and ranked[k - 1][1] <= radius:
                return ranked[:k]
            if radius > 25_000_000:
                return ranked[:k]
            radius *= 4

    @staticmethod
    def _rank(rows: list[FeatureRow], point: BaseGeometry) -> list[tuple[FeatureRow, float]]:
        rows = [r for r in rows if r.wkb is not None]
        if not rows:
            return []
        target = _to_metric([point], point)[0]
        metric = _to_metric([r.geometry for r in rows], point)
        pairs = [(r, float(g.distance(target))) for r, g in zip(rows, metric, strict=True)]
        return sorted(pairs, key=lambda p: (p[1], p[0].rid))
