"""Spatial port for PostgreSQL + PostGIS: GiST index, PostGIS predicates, COPY for bulk."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from functools import cache
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
from psycopg.copy import QueuedLibpqWriter
from shapely.geometry.base import BaseGeometry
from sqlalchemy import (
    BindParameter,
    ColumnClause,
    ColumnElement,
    Connection,
    Float,
    Integer,
    Select,
    String,
    TextClause,
    and_,
    bindparam,
    func,
    literal,
    literal_column,
    not_,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.types import TypeEngine, UserDefinedType

from dothi.db.schema import feature
from dothi.db.spatial.base import (
    MEETING,
    BBox,
    FeatureRow,
    GeoJSONPage,
    PlaceRows,
    Predicate,
    Relation,
    SpatialPort,
    TileLayer,
    TileQuery,
    VersionBatch,
    check_pattern,
    expand_degrees,
    pattern_meets,
)
from dothi.db.spatial.columns import GeometryColumn, TableColumn

_COLUMNS = (
    "layer_id, fid, version, valid_from, created_in, changed_by, "
    "geom, minx, miny, maxx, maxy, properties, digest"
)
# The feature table is partitioned by layer: a layer's rows and indexes live in their own
# table, so a new layer can be loaded first and indexed afterwards, and queries of one
# layer touch only its own indexes. The SQLAlchemy table in dothi.db.schema describes the
# same columns for queries.
_FEATURE_DDL = (
    """CREATE TABLE feature (
        rid bigserial NOT NULL,
        layer_id varchar(63) NOT NULL REFERENCES layer (id) ON DELETE CASCADE,
        fid varchar(255) NOT NULL,
        version integer NOT NULL,
        valid_from timestamptz NOT NULL,
        valid_to timestamptz,
        created_in bigint NOT NULL,
        closed_in bigint,
        changed_by varchar(128) NOT NULL,
        geom geometry(Geometry, 4326),
        minx double precision,
        miny double precision,
        maxx double precision,
        maxy double precision,
        properties jsonb NOT NULL,
        digest varchar(32) NOT NULL,
        PRIMARY KEY (layer_id, rid)
    ) PARTITION BY LIST (layer_id)""",
    "CREATE UNIQUE INDEX ux_feature_current ON feature (layer_id, fid) WHERE valid_to IS NULL",
    # Within a layer's partition, layer_id adds nothing to this index.
    "CREATE INDEX ix_feature_history ON feature (fid, version)",
    "CREATE INDEX ix_feature_closed_in ON feature (closed_in) WHERE closed_in IS NOT NULL",
    "CREATE INDEX ix_feature_geom ON feature USING GIST (geom)",
)
_LAYER_ID = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


def _page_query(stmt: Select[Any], layer_id: Any, limit: Any, offset: Any) -> Select[Any]:
    """One statement for a page: the matching row ids once (their count is numberMatched),
    the page of them joined back to the rows, and the GeoJSON text written by PostGIS."""
    matches = stmt.with_only_columns(feature.c.rid).order_by(None).cte("m")
    ids = select(matches.c.rid).order_by(matches.c.rid).limit(limit).offset(offset).subquery("p")
    f = feature.alias("f")
    # Text pieces rather than json_build_object: PostGIS's GeoJSON is not parsed again.
    doc = func.concat(
        literal_column("""'{"type":"Feature","id":'"""),
        func.to_json(f.c.fid),
        literal_column("""',"geometry":'"""),
        func.coalesce(func.ST_AsGeoJSON(f.c.geom, 15), literal_column("'null'")),
        literal_column("""',"properties":'"""),
        f.c.properties,
        literal_column("'}'"),
    )
    return select(
        select(func.count()).select_from(matches).scalar_subquery(),
        func.count(),
        func.string_agg(doc, aggregate_order_by(literal_column("','"), f.c.rid)),
    ).select_from(ids.join(f, and_(f.c.layer_id == layer_id, f.c.rid == ids.c.rid)))


# Properties as MVT attributes: scalars kept, nested values as JSON text, nulls left out
# (as dothi.tiles.mvt.flat_properties does), and the fid as an attribute when it is not a
# plain integer, which becomes the MVT feature id instead.
_TILE_SQL = """
WITH hit AS (
    SELECT rid, fid, geom, properties FROM feature
    WHERE layer_id = :layer AND valid_to IS NULL
      AND geom && ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4326)
    ORDER BY rid LIMIT :limit
), shaped AS (
    SELECT ST_AsMVTGeom(ST_Simplify(ST_Transform(geom, 3857), :tolerance, true),
                        ST_MakeEnvelope(:mx0, :my0, :mx1, :my1, 3857),
                        :extent, :buffer, true) AS geom,
           CASE WHEN fid ~ '^(0|[1-9][0-9]{0,18})$' THEN
               CASE WHEN fid::numeric < 9223372036854775808 THEN fid::bigint END
           END AS mvt_id,
           fid, properties
    FROM hit ORDER BY rid LIMIT :limit - 1
), drawn AS (
    SELECT geom, mvt_id,
           coalesce((SELECT jsonb_object_agg(e.key, CASE
                         WHEN jsonb_typeof(e.value) IN ('object', 'array')
                         THEN to_jsonb(e.value::text) ELSE e.value END)
                     FROM jsonb_each(properties) e WHERE jsonb_typeof(e.value) <> 'null'),
                    '{}'::jsonb)
           || CASE WHEN mvt_id IS NULL THEN jsonb_build_object('fid', fid) ELSE '{}' END
           AS attributes
    FROM shaped WHERE geom IS NOT NULL
)
SELECT (SELECT count(*) FROM hit),
       (SELECT ST_AsMVT(drawn, :name, :extent, 'geom', 'mvt_id') FROM drawn),
       (SELECT count(*) FROM drawn)
"""


@cache
def _tile_statement() -> TextClause:
    """The statement of :meth:`PostGISPort.tile_layer` (parsed once)."""
    return text(_TILE_SQL)


# The reads of a planning lookup in one call (see PostGISPort.place_rows). A PL/pgSQL
# function so that its statement keeps one generic plan: left to itself PostgreSQL plans
# this statement afresh on every call, which costs more than running it (0.45 → 0.26 ms).
_PLACE_FUNCTION = """CREATE OR REPLACE FUNCTION dothi_place_rows(
    point_wkb bytea, first_layer text, meeting text[], containing text[]
) RETURNS TABLE (
    k integer, layer text, rid bigint, fid text, version integer, valid_from timestamptz,
    valid_to timestamptz, created_in bigint, closed_in bigint, changed_by text, wkb bytea,
    properties jsonb
) LANGUAGE plpgsql STABLE SET plan_cache_mode = force_generic_plan AS $fn$
#variable_conflict use_column
DECLARE
    pt geometry := ST_GeomFromWKB(point_wkb, 4326);
BEGIN
    RETURN QUERY
    WITH hit AS (
        SELECT f.rid, f.fid, f.version, f.valid_from, f.valid_to, f.created_in, f.closed_in,
               f.changed_by, f.properties, f.geom
        FROM feature f
        WHERE f.layer_id = first_layer AND f.valid_to IS NULL AND ST_Intersects(f.geom, pt)
        ORDER BY f.rid LIMIT 1
    ), here AS MATERIALIZED (
        SELECT s.g, ST_PointOnSurface(s.g) AS p
        FROM (SELECT coalesce((SELECT h.geom FROM hit h), pt) AS g) s
    )
    SELECT 0, first_layer, h.rid, h.fid::text, h.version, h.valid_from, h.valid_to,
           h.created_in, h.closed_in, h.changed_by::text, ST_AsBinary(h.geom), h.properties
    FROM hit h
    UNION ALL
    SELECT 1, f.layer_id::text, f.rid, f.fid::text, f.version, f.valid_from, f.valid_to,
           f.created_in, f.closed_in, f.changed_by::text, ST_AsBinary(f.geom), f.properties
    FROM feature f, here
    WHERE f.layer_id = ANY(meeting) AND f.valid_to IS NULL AND ST_Intersects(f.geom, here.g)
    UNION ALL
    SELECT 2, f.layer_id::text, f.rid, f.fid::text, f.version, f.valid_from, f.valid_to,
           f.created_in, f.closed_in, f.changed_by::text, ST_AsBinary(f.geom), f.properties
    FROM feature f, here
    WHERE f.layer_id = ANY(containing) AND f.valid_to IS NULL AND ST_Intersects(f.geom, here.p)
    UNION ALL
    SELECT 3, l.id::text, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
           jsonb_build_object('access', l.access)
    FROM layer l
    WHERE l.id = first_layer OR l.id = ANY(meeting) OR l.id = ANY(containing)
    ORDER BY 1, 2, 3;
END
$fn$;"""
_PLACE_CALL = text(
    "SELECT * FROM dothi_place_rows(:wkb, :first, "
    "CAST(:meeting AS text[]), CAST(:containing AS text[]))"
)


@cache
def _bbox_page() -> Select[Any]:
    """:func:`_page_query` of the current features of a layer in a box, with parameters
    ``layer``, ``x0``, ``y0``, ``x1``, ``y1``, ``limit`` and ``offset``."""
    box = tuple(bindparam(k, type_=Float) for k in ("x0", "y0", "x1", "y1"))
    layer_id = bindparam("layer", type_=String)
    stmt = PostGISPort().filtered(layer_id, bbox=box)  # type: ignore[arg-type]
    return _page_query(
        stmt, layer_id, bindparam("limit", type_=Integer), bindparam("offset", type_=Integer)
    )


def _partition(layer_id: str) -> str:
    """The partition table of a layer (ids are checked, so the name is a safe identifier)."""
    if not _LAYER_ID.match(layer_id):
        raise ValueError(f"invalid layer id {layer_id!r}")
    name = f"feature_{layer_id}"
    if len(name) > 63:
        name = "feature_" + hashlib.sha1(layer_id.encode()).hexdigest()[:24]
    return name


def _ewkb_hex(wkb: bytes) -> str:
    """Little-endian WKB as hex EWKB with SRID 4326, which PostGIS reads in COPY.

    EWKB sets the SRID flag (0x20000000) in the type and puts the SRID after it.
    """
    if wkb[0] != 1:
        raise ValueError("expected little-endian WKB")
    return wkb[:4].hex() + format(wkb[4] | 0x20, "02x") + "e6100000" + wkb[5:].hex()


def _csv(batch: VersionBatch) -> bytes:
    """The batch as CSV rows in the column order of ``_COLUMNS``."""
    n = len(batch)
    bounds = np.asarray(batch.bounds, dtype=np.float64).reshape(n, 4)  # no copy if float64
    table = pa.table(
        [
            pa.array([batch.layer_id] * n),
            pa.array(batch.fids),
            pa.array(batch.versions, pa.int32()),
            pa.array([batch.valid_from.isoformat()] * n),
            pa.array([batch.changeset_id] * n, pa.int64()),
            pa.array([batch.changed_by] * n),
            pa.array([_ewkb_hex(w) for w in batch.wkb]),
            *(pa.array(bounds[:, i]) for i in range(4)),
            pa.array(batch.properties),
            pa.array(batch.digests),
        ],
        names=[f"c{i}" for i in range(13)],
    )
    if batch.order is not None:
        # Reordered in Arrow (C++), after the columns were built in their original order.
        table = table.take(pa.array(batch.order))
    out = pa.BufferOutputStream()
    pacsv.write_csv(table, out, pacsv.WriteOptions(include_header=False))
    return bytes(out.getvalue())


def _geom_param(geometry: BaseGeometry) -> ColumnElement[Any]:
    return func.ST_GeomFromWKB(literal(geometry.wkb), 4326)


class _GeometryStorage(UserDefinedType[bytes]):
    """``geometry(Type, 4326)``, written and read as WKB (the values' own type turns WKB
    into shapely geometries, see :class:`dothi.db.spatial.columns.ShapelyGeometry`)."""

    cache_ok = True

    def __init__(self, geometry_type: str) -> None:
        self.geometry_type = geometry_type

    def get_col_spec(self, **kw: Any) -> str:
        return f"geometry({self.geometry_type},4326)"

    def bind_expression(self, bindvalue: BindParameter[bytes]) -> ColumnElement[bytes]:
        return func.ST_GeomFromWKB(bindvalue, 4326, type_=bindvalue.type)

    def column_expression(self, col: ColumnElement[bytes]) -> ColumnElement[bytes]:
        # Typed as the column so that its result processing still applies.
        return func.ST_AsBinary(col, type_=col.type)


_DESCRIBE_TABLE = text(
    """SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type,
              coalesce(a.attnum = ANY(i.indkey), false) AS primary_key,
              a.atttypid IN ('int2'::regtype, 'int4'::regtype, 'int8'::regtype) AS integer
       FROM pg_attribute a
       LEFT JOIN pg_index i ON i.indrelid = a.attrelid AND i.indisprimary
       WHERE a.attrelid = to_regclass(:table) AND a.attnum > 0 AND NOT a.attisdropped
       ORDER BY a.attnum"""
)


class PostGISPort(SpatialPort):
    """PostGIS implementation of the spatial port."""

    name = "postgis"

    def prepare_database(self, conn: Connection) -> None:
        conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS postgis")

    def create_feature_table(self, conn: Connection) -> None:
        for ddl in _FEATURE_DDL:
            conn.exec_driver_sql(ddl)

    def create_functions(self, conn: Connection) -> None:
        conn.exec_driver_sql(_PLACE_FUNCTION)

    def drop_functions(self, conn: Connection) -> None:
        conn.exec_driver_sql(
            "DROP FUNCTION IF EXISTS dothi_place_rows(bytea, text, text[], text[])"
        )

    def drop_feature_table(self, conn: Connection) -> None:
        conn.exec_driver_sql("DROP TABLE IF EXISTS feature CASCADE")

    # -- geometry columns of other tables -----------------------------------------
    def geometry_storage(self, geometry_type: str) -> TypeEngine[Any]:
        return _GeometryStorage(geometry_type)

    def _describe_table(self, conn: Connection, table_name: str) -> list[TableColumn]:
        rows = conn.execute(_DESCRIBE_TABLE, {"table": f'"{table_name}"'})
        return [TableColumn(r.name, r.type, r.primary_key, r.integer) for r in rows]

    def _create_spatial_index(self, conn: Connection, target: GeometryColumn, key: str) -> None:
        conn.exec_driver_sql(
            f'CREATE INDEX "ix_{target.stem}" ON "{target.table}" USING GIST ("{target.column}")'
        )

    def _drop_spatial_index(self, conn: Connection, target: GeometryColumn) -> None:
        conn.exec_driver_sql(f'DROP INDEX IF EXISTS "ix_{target.stem}"')

    # The predicates are never NULL, as on SQLite: a row without a geometry meets nothing,
    # and NOT(...) keeps it.
    def intersects_bbox(self, column: ColumnClause[Any], bbox: BBox) -> ColumnElement[bool]:
        envelope = func.ST_MakeEnvelope(*bbox, 4326)
        return and_(column.is_not(None), func.ST_Intersects(column, envelope))

    def intersects(self, column: ColumnClause[Any], geometry: BaseGeometry) -> ColumnElement[bool]:
        # ST_Intersects uses the GiST index by itself.
        return and_(column.is_not(None), func.ST_Intersects(column, _geom_param(geometry)))

    def within_distance(
        self, column: ColumnClause[Any], geometry: BaseGeometry, metres: float
    ) -> ColumnElement[bool]:
        # The GiST index on geometry finds the candidates in the grown box; the test is
        # geodesic (geography, on the ellipsoid).
        box = func.ST_MakeEnvelope(*expand_degrees(geometry.bounds, metres), 4326)
        return and_(
            column.is_not(None),
            column.op("&&")(box),
            func.ST_DWithin(func.geography(column), func.geography(_geom_param(geometry)), metres),
        )

    def distance_m(self, column: ColumnClause[Any], geometry: BaseGeometry) -> ColumnElement[float]:
        return func.ST_Distance(
            func.geography(column), func.geography(_geom_param(geometry)), type_=Float
        )

    def relates(
        self, column: ColumnClause[Any], geometry: BaseGeometry, relation: Relation
    ) -> ColumnElement[bool]:
        g = _geom_param(geometry)
        if relation == "disjoint":
            # ST_Disjoint cannot use the index; the negation of ST_Intersects is the same.
            return and_(column.is_not(None), not_(func.ST_Intersects(column, g)))
        if relation not in MEETING:
            raise ValueError(f"unknown spatial relation {relation!r}")
        # The named predicates use the GiST index by themselves.
        test: ColumnElement[bool] = getattr(func, f"ST_{relation.capitalize()}")(column, g)
        return and_(column.is_not(None), test)

    def relate_pattern(
        self, column: ColumnClause[Any], geometry: BaseGeometry, pattern: str
    ) -> ColumnElement[bool]:
        pattern = check_pattern(pattern)
        g = _geom_param(geometry)
        test: ColumnElement[bool] = func.ST_Relate(column, g, literal(pattern, String))
        if pattern_meets(pattern):
            # ST_Relate does not use the index: the boxes must meet for such patterns.
            return and_(column.is_not(None), column.op("&&")(g), test)
        return and_(column.is_not(None), test)

    def planar_distance(
        self, column: ColumnClause[Any], geometry: BaseGeometry
    ) -> ColumnElement[float]:
        return func.ST_Distance(column, _geom_param(geometry), type_=Float)

    def within_planar_distance(
        self, column: ColumnClause[Any], geometry: BaseGeometry, degrees: float
    ) -> ColumnElement[bool]:
        clause: ColumnElement[bool] = func.ST_DWithin(column, _geom_param(geometry), degrees)
        return and_(column.is_not(None), clause)

    def planar_length(self, column: ColumnClause[Any]) -> ColumnElement[float]:
        return func.ST_Length(column, type_=Float)

    def create_layer_storage(self, conn: Connection, layer_id: str) -> None:
        conn.exec_driver_sql(
            f'CREATE TABLE "{_partition(layer_id)}" PARTITION OF feature '
            f"FOR VALUES IN ('{layer_id}')"
        )

    def drop_layer_storage(self, conn: Connection, layer_id: str) -> None:
        conn.exec_driver_sql(f'DROP TABLE IF EXISTS "{_partition(layer_id)}"')

    def insert_versions(self, conn: Connection, batch: VersionBatch) -> None:
        with self.bulk_insert(conn, batch.layer_id) as write:
            write(batch)

    @contextmanager
    def bulk_insert(
        self, conn: Connection, layer_id: str, *, new_storage: bool = False
    ) -> Iterator[Callable[[VersionBatch], None]]:
        # One COPY for all batches, as CSV made by Arrow in C++: the server inserts while
        # Python prepares the next rows. A new layer's rows go into a bare table first;
        # attaching it as the layer's partition then builds its indexes in one pass,
        # several times faster than keeping them current row by row.
        dbapi = conn.connection.driver_connection
        assert dbapi is not None
        table = f'"{_partition(layer_id)}"' if new_storage else "feature"
        if new_storage:
            dbapi.execute(f"CREATE TABLE {table} (LIKE feature INCLUDING DEFAULTS)")
        with dbapi.cursor() as cur:
            # A writer thread sends the rows (at most 128 MiB queued): Python goes on
            # preparing the next ones meanwhile.
            copy_sql = f"COPY {table} ({_COLUMNS}) FROM STDIN (FORMAT csv)"
            with cur.copy(copy_sql, writer=QueuedLibpqWriter(cur)) as copy:

                def write(batch: VersionBatch) -> None:
                    copy.write(_csv(batch))

                yield write
            if new_storage:
                # The CHECK lets ATTACH skip scanning the rows for the partition bound.
                cur.execute(
                    f"ALTER TABLE {table} ADD CONSTRAINT layer_bound "
                    f"CHECK (layer_id = '{layer_id}')"
                )
                cur.execute(
                    f"ALTER TABLE feature ATTACH PARTITION {table} FOR VALUES IN ('{layer_id}')"
                )

    def analyze(self, conn: Connection, layer_id: str) -> None:
        conn.exec_driver_sql(f"ANALYZE {_partition(layer_id)}")

    def geom_wkb(self) -> ColumnElement[Any]:
        return func.ST_AsBinary(feature.c.geom)

    def _bbox_candidates(self, bbox: BBox) -> ColumnElement[bool]:
        return feature.c.geom.op("&&")(func.ST_MakeEnvelope(*bbox, 4326))

    def _meets_box(self, bbox: BBox) -> ColumnElement[bool]:
        clause: ColumnElement[bool] = func.ST_Intersects(
            feature.c.geom, func.ST_MakeEnvelope(*bbox, 4326)
        )
        return clause

    def spatial_clause(
        self, predicate: Predicate, geometry: BaseGeometry, distance_m: float | None = None
    ) -> ColumnElement[bool]:
        g = _geom_param(geometry)
        if distance_m is not None:
            # The && on a grown box lets the GiST index work before the exact
            # geodesic test on geography.
            return and_(
                self._bbox_candidates(expand_degrees(geometry.bounds, distance_m)),
                func.ST_DWithin(func.geography(feature.c.geom), func.geography(g), distance_m),
            )
        # PostGIS's predicates use the GiST index by themselves.
        return self._exact(predicate, geometry)

    def _exact_wkb(self, predicate: Predicate, wkb: ColumnElement[Any]) -> ColumnElement[bool]:
        test = {
            "intersects": func.ST_Intersects,
            "contains": func.ST_Contains,
            "within": func.ST_Within,
        }[predicate]
        clause: ColumnElement[bool] = test(feature.c.geom, func.ST_GeomFromWKB(wkb, 4326))
        return clause

    def _native_page(
        self,
        conn: Connection,
        layer_id: str,
        as_of: datetime | None,
        bbox: BBox | None,
        where: Sequence[ColumnElement[bool]],
        limit: int,
        offset: int,
    ) -> GeoJSONPage:
        if bbox is not None and as_of is None and not where:
            # The common request (a map or a GIS client asking for an area): a statement
            # built once, so that only its values change.
            values: dict[str, Any] = dict(zip(("x0", "y0", "x1", "y1"), bbox, strict=True))
            values |= {"layer": layer_id, "limit": limit, "offset": offset}
            query = _bbox_page()
        else:
            stmt = self.filtered(layer_id, as_of=as_of, bbox=bbox, where=where)
            query, values = _page_query(stmt, layer_id, limit, offset), {}
        matched, returned, body = conn.execute(query, values).one()
        return GeoJSONPage((body or "").encode(), int(returned), int(matched))

    def place_rows(
        self,
        conn: Connection,
        point: BaseGeometry,
        first: str | None,
        meeting: Sequence[str],
        containing: Sequence[str],
        *,
        as_of: datetime | None = None,
        with_access: bool = False,
    ) -> PlaceRows:
        if as_of is not None or not (first or meeting or containing):
            return super().place_rows(
                conn, point, first, meeting, containing, as_of=as_of, with_access=with_access
            )
        # One round trip instead of one per layer (and one for access): a lookup's reads
        # are mostly latency.
        values = {"wkb": point.wkb, "first": first, "meeting": list(meeting)}
        values["containing"] = list(containing)
        at: FeatureRow | None = None
        near: dict[str, list[FeatureRow]] = {lid: [] for lid in meeting}
        inside: dict[str, list[FeatureRow]] = {lid: [] for lid in containing}
        access: dict[str, str] = {}
        for r in conn.execute(_PLACE_CALL, values):
            if r.k == 3:
                access[r.layer] = r.properties["access"]
            elif r.k == 0:
                at = self.to_row(r)
            else:
                (near if r.k == 1 else inside)[r.layer].append(self.to_row(r))
        return PlaceRows(at, near, inside, access if with_access else None)

    def tile_layer(self, conn: Connection, layer_id: str, query: TileQuery) -> TileLayer | None:
        stmt = _tile_statement()
        values = {
            "layer": layer_id,
            "name": query.name,
            "extent": query.extent,
            "buffer": query.buffer,
            "tolerance": query.tolerance,
            "limit": query.limit + 1,
            **dict(zip(("x0", "y0", "x1", "y1"), query.lonlat_box, strict=True)),
            **dict(zip(("mx0", "my0", "mx1", "my1"), query.mercator_box, strict=True)),
        }
        rows, data, features = conn.execute(stmt, values).one()
        return TileLayer(bytes(data or b""), int(features or 0), int(rows))

    def nearest(
        self,
        conn: Connection,
        layer_id: str,
        point: BaseGeometry,
        k: int = 1,
        *,
        as_of: datetime | None = None,
    ) -> list[tuple[FeatureRow, float]]:
        g = _geom_param(point)
        dist = func.ST_Distance(func.geography(feature.c.geom), func.geography(g))
        # KNN on the GiST index in degrees gives candidates; rank them by metres.
        inner = (
            self.base_select(layer_id, as_of, [])
            .add_columns(dist.label("metres"))
            .order_by(None)
            .order_by(feature.c.geom.op("<->")(g))
            .limit(k * 4 + 8)
        )
        rows = [(self.to_row(r), float(r.metres)) for r in conn.execute(inner)]
        return sorted(rows, key=lambda p: (p[1], p[0].rid))[:k]


__all__ = ["PostGISPort"]
