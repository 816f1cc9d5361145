"""The spatial query port: the one place that knows how geometry is stored and searched.

Two implementations follow the same contract: :class:`~dothi.db.spatial.sqlite.SQLitePort`
(R*Tree index + shapely) and :class:`~dothi.db.spatial.postgis.PostGISPort` (PostGIS
functions and a GiST index). Callers build no spatial SQL of their own.
"""

from __future__ import annotations

import abc
import functools
import math
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, get_args

import numpy as np
import numpy.typing as npt
import orjson
import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import (
    ColumnClause,
    ColumnElement,
    Connection,
    Float,
    LargeBinary,
    Select,
    String,
    UnaryExpression,
    and_,
    bindparam,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.types import TypeEngine

from dothi.db.schema import feature, layer
from dothi.db.spatial.columns import (
    GeometryColumn,
    GeometryType,
    TableColumn,
    geometry_column,
    geometry_type_name,
)

Predicate = Literal["intersects", "contains", "within"]
#: The named spatial relations of OGC Simple Features (06-104r4, 6.1.2.3).
Relation = Literal[
    "equals", "disjoint", "touches", "within", "overlaps", "crosses", "intersects", "contains"
]
RELATIONS: tuple[str, ...] = get_args(Relation)
#: Relations that ask the two geometries to meet: an index can narrow the rows first.
MEETING: frozenset[str] = frozenset(RELATIONS) - {"disjoint"}
_DE9IM = re.compile(r"^[TF*012]{9}$")


def check_pattern(pattern: str) -> str:
    """A DE-9IM pattern (nine of ``T F * 0 1 2``), upper case; ValueError if not one."""
    upper = pattern.upper()
    if not _DE9IM.match(upper):
        raise ValueError(f"not a DE-9IM pattern: {pattern!r}")
    return upper


def pattern_meets(pattern: str) -> bool:
    """True if every pair of geometries matching ``pattern`` meet (an interior or boundary
    intersection is required), so that an index may narrow the rows first."""
    return any(pattern[i] in "T012" for i in (0, 1, 3, 4))


BBox = tuple[float, float, float, float]
_METRES_PER_DEGREE = 111_320.0


@dataclass
class VersionBatch:
    """New feature versions to write in one go (column-wise, same layer and change set)."""

    layer_id: str
    changeset_id: int
    changed_by: str
    valid_from: datetime
    fids: list[str]
    versions: list[int]
    wkb: list[bytes]
    #: (n, 4) array of minx, miny, maxx, maxy
    bounds: npt.NDArray[np.float64]
    properties: list[str]
    digests: list[str]

    #: The order to write the rows in (positions in the lists above; e.g. space order).
    order: npt.NDArray[np.intp] | None = None

    def __len__(self) -> int:
        return len(self.fids)

    def rows(
        self, geometry: Callable[[bytes], Any] = bytes, valid_from: Any = None
    ) -> Iterator[tuple[Any, ...]]:
        """Rows in the column order of the bulk inserts, in :attr:`order`; ``geometry``
        encodes the WKB and ``valid_from`` replaces the timestamp (for drivers that want it
        as text)."""
        when = self.valid_from if valid_from is None else valid_from
        bounds = self.bounds.tolist()
        positions = range(len(self)) if self.order is None else self.order.tolist()
        for i in positions:
            b = bounds[i]
            yield (
                self.layer_id,
                self.fids[i],
                self.versions[i],
                when,
                self.changeset_id,
                self.changed_by,
                geometry(self.wkb[i]),
                b[0],
                b[1],
                b[2],
                b[3],
                self.properties[i],
                self.digests[i],
            )


@dataclass(frozen=True)
class FeatureRow:
    """One version of a feature as read back from the database."""

    rid: int
    fid: str
    version: int
    valid_from: datetime
    valid_to: datetime | None
    created_in: int
    closed_in: int | None
    changed_by: str
    wkb: bytes | None
    properties: dict[str, Any]

    @property
    def geometry(self) -> BaseGeometry | None:
        """The geometry as a shapely object (WGS 84)."""
        return None if self.wkb is None else shapely.from_wkb(self.wkb)


@dataclass(frozen=True)
class PlaceRows:
    """What lies at a place: the first feature of one layer there (``at``, e.g. the parcel),
    the features of other layers meeting it, and those meeting an interior point of it —
    or meeting the bare point where there is no such feature."""

    at: FeatureRow | None
    meeting: dict[str, list[FeatureRow]]
    containing: dict[str, list[FeatureRow]]
    #: The access level of each layer read that exists (when asked for with the rows).
    access: dict[str, str] | None = None

    def only(self, layers: frozenset[str], first: str | None) -> PlaceRows:
        """The rows of ``layers`` only (``at`` belongs to layer ``first``)."""
        return PlaceRows(
            self.at if first in layers else None,
            {lid: rows for lid, rows in self.meeting.items() if lid in layers},
            {lid: rows for lid, rows in self.containing.items() if lid in layers},
            self.access,
        )


@dataclass(frozen=True)
class GeoJSONPage:
    """One page of features as GeoJSON text, and how many features match in all."""

    #: the GeoJSON Feature objects of the page, separated by commas (no brackets)
    features: bytes
    returned: int
    matched: int


def geojson_feature(fid: str, geometry: str | None, properties: dict[str, Any]) -> bytes:
    """One GeoJSON Feature (``geometry`` already GeoJSON text, or None) as bytes."""
    return b"".join(
        (
            b'{"type":"Feature","id":',
            orjson.dumps(fid),
            b',"geometry":',
            b"null" if geometry is None else geometry.encode(),
            b',"properties":',
            orjson.dumps(properties),
            b"}",
        )
    )


@dataclass(frozen=True)
class TileQuery:
    """What one layer of a vector tile asks of the database (the tile maths stay in
    :mod:`dothi.tiles`): the features meeting ``lonlat_box``, at most ``limit``."""

    name: str
    lonlat_box: BBox
    mercator_box: BBox
    extent: int
    buffer: int
    #: Simplification tolerance in EPSG:3857 metres.
    tolerance: float
    limit: int


@dataclass(frozen=True)
class TileLayer:
    """One MVT layer encoded by the database."""

    data: bytes
    #: Features in ``data``.
    features: int
    #: Rows that met the tile (at most the query's limit + 1: more means capped).
    rows: int


#: Maps WGS 84 shapely geometries to the output CRS (vectorised).
Reproject = Callable[[npt.NDArray[np.object_]], npt.NDArray[np.object_]]


def expand_degrees(bounds: BBox, metres: float) -> BBox:
    """Grow a lon/lat box by ``metres`` on every side (generously, never too little)."""
    minx, miny, maxx, maxy = bounds
    dlat = metres / 110_000.0
    lat = min(89.0, max(abs(miny), abs(maxy)) + dlat)
    dlon = metres / (_METRES_PER_DEGREE * math.cos(math.radians(lat)) * 0.99)
    return (minx - dlon, miny - dlat, maxx + dlon, maxy + dlat)


def as_utc(value: datetime) -> datetime:
    """Make a timestamp read from either backend timezone-aware UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def time_clause(as_of: datetime | None) -> ColumnElement[bool]:
    """Rows valid now (``as_of`` None) or at ``as_of``."""
    if as_of is None:
        return feature.c.valid_to.is_(None)
    return and_(
        feature.c.valid_from <= as_of,
        or_(feature.c.valid_to.is_(None), feature.c.valid_to > as_of),
    )


class SpatialPort(abc.ABC):
    """Storage and search of feature geometry for one database backend."""

    name: str

    # -- schema -----------------------------------------------------------------
    @abc.abstractmethod
    def prepare_database(self, conn: Connection) -> None:
        """Run before the tables are created (e.g. enable the PostGIS extension)."""

    @abc.abstractmethod
    def create_feature_table(self, conn: Connection) -> None:
        """Create the feature table with its indexes, spatial index included."""

    def create_functions(self, conn: Connection) -> None:  # noqa: B027
        """Create the database functions the port calls (none by default)."""

    def drop_functions(self, conn: Connection) -> None:  # noqa: B027
        """Drop what :meth:`create_functions` made."""

    @abc.abstractmethod
    def drop_feature_table(self, conn: Connection) -> None:
        """Undo :meth:`create_feature_table` (for downgrades)."""

    def create_layer_storage(self, conn: Connection, layer_id: str) -> None:  # noqa: B027
        """Make room for the features of a new layer (a partition, where there are any)."""

    def drop_layer_storage(self, conn: Connection, layer_id: str) -> None:  # noqa: B027
        """Undo :meth:`create_layer_storage` once the layer's rows are gone (a purge)."""

    # -- geometry columns of other tables (see dothi.db.spatial.columns) ----------
    def add_geometry_column(
        self,
        conn: Connection,
        table_name: str,
        column: str = "geom",
        *,
        geometry_type: GeometryType = "GEOMETRY",
    ) -> None:
        """Give a table a WGS 84 geometry column with a spatial index (in a migration).

        The table needs a primary key of one integer column. A column of that name that
        the table already has (made from a :class:`~dothi.db.spatial.columns.ShapelyGeometry`
        column with the table) is kept and indexed, rows and all. Rows written afterwards by
        any statement stay indexed.
        """
        target = geometry_column(table_name, column)
        kind = geometry_type_name(geometry_type)
        described = {c.name: c for c in self._describe_table(conn, table_name)}
        if not described:
            raise ValueError(f"no table {table_name!r}")
        keys = [c for c in described.values() if c.primary_key]
        if len(keys) != 1 or not keys[0].integer:
            raise ValueError(f"table {table_name!r} needs a primary key of one integer column")
        ddl = str(self.geometry_storage(kind).compile(dialect=conn.dialect))
        existing = described.get(column)
        if existing is None:
            conn.exec_driver_sql(f'ALTER TABLE "{table_name}" ADD COLUMN "{column}" {ddl}')
        elif existing.type.replace(" ", "").lower() != ddl.replace(" ", "").lower():
            raise ValueError(f"column {table_name}.{column} is {existing.type}, not {ddl}")
        self._create_spatial_index(conn, target, keys[0].name)

    def drop_geometry_column(self, conn: Connection, table_name: str, column: str = "geom") -> None:
        """Undo :meth:`add_geometry_column`: the index, then the column (call it before
        dropping the table, so that nothing of the index is left behind)."""
        target = geometry_column(table_name, column)
        self._drop_spatial_index(conn, target)
        conn.exec_driver_sql(f'ALTER TABLE "{table_name}" DROP COLUMN "{column}"')

    @abc.abstractmethod
    def geometry_storage(self, geometry_type: str) -> TypeEngine[Any]:
        """The column type that stores geometries of ``geometry_type`` (upper case) here."""

    @abc.abstractmethod
    def _describe_table(self, conn: Connection, table_name: str) -> list[TableColumn]:
        """The table's columns (none if there is no such table)."""

    @abc.abstractmethod
    def _create_spatial_index(self, conn: Connection, target: GeometryColumn, key: str) -> None:
        """Index the geometry column (rows already there included); ``key`` is the table's
        integer primary key column."""

    @abc.abstractmethod
    def _drop_spatial_index(self, conn: Connection, target: GeometryColumn) -> None:
        """Undo :meth:`_create_spatial_index`."""

    @abc.abstractmethod
    def intersects_bbox(self, column: ColumnClause[Any], bbox: BBox) -> ColumnElement[bool]:
        """The geometry in ``column`` meets the lon/lat box (its edges included)."""

    @abc.abstractmethod
    def intersects(self, column: ColumnClause[Any], geometry: BaseGeometry) -> ColumnElement[bool]:
        """The geometry in ``column`` meets ``geometry`` (WGS 84)."""

    @abc.abstractmethod
    def within_distance(
        self, column: ColumnClause[Any], geometry: BaseGeometry, metres: float
    ) -> ColumnElement[bool]:
        """The geometry in ``column`` comes within ``metres`` of ``geometry`` (on the WGS 84
        ellipsoid; an index finds the candidates in a box grown by the distance)."""

    @abc.abstractmethod
    def distance_m(self, column: ColumnClause[Any], geometry: BaseGeometry) -> ColumnElement[float]:
        """The distance in metres from the geometry in ``column`` to ``geometry`` (0 where
        they meet), e.g. to order rows nearest first. Computed for every row it is asked
        of: filter with :meth:`within_distance` first on large tables."""

    @abc.abstractmethod
    def relates(
        self, column: ColumnClause[Any], geometry: BaseGeometry, relation: Relation
    ) -> ColumnElement[bool]:
        """The geometry in ``column`` stands in ``relation`` to ``geometry`` (WGS 84):
        ``within`` — it lies within ``geometry``; ``contains`` — it contains ``geometry``;
        the others are symmetric. Never NULL: a row without a geometry relates to nothing
        (not even ``disjoint``). All but ``disjoint`` are narrowed by the index first."""

    @abc.abstractmethod
    def relate_pattern(
        self, column: ColumnClause[Any], geometry: BaseGeometry, pattern: str
    ) -> ColumnElement[bool]:
        """The DE-9IM matrix of the geometry in ``column`` against ``geometry`` matches
        ``pattern`` (see :func:`check_pattern`). Never NULL, as :meth:`relates`."""

    @abc.abstractmethod
    def planar_distance(
        self, column: ColumnClause[Any], geometry: BaseGeometry
    ) -> ColumnElement[float]:
        """The Cartesian distance in degrees (the units of WGS 84) from the geometry in
        ``column`` to ``geometry``, as OData's ``geo.distance`` and PostGIS's
        ``ST_Distance(geometry)``; NULL without a geometry. For metres see
        :meth:`distance_m`."""

    @abc.abstractmethod
    def within_planar_distance(
        self, column: ColumnClause[Any], geometry: BaseGeometry, degrees: float
    ) -> ColumnElement[bool]:
        """:meth:`planar_distance` is at most ``degrees``, narrowed by the index first."""

    @abc.abstractmethod
    def planar_length(self, column: ColumnClause[Any]) -> ColumnElement[float]:
        """The Cartesian length in degrees of the lines in ``column`` (0 for points and
        polygons, as PostGIS's ``ST_Length(geometry)``); NULL without a geometry."""

    def nearest_first(
        self, column: ColumnClause[Any], geometry: BaseGeometry
    ) -> UnaryExpression[float]:
        """An ORDER BY term: rows nearest to ``geometry`` first, rows without a geometry
        last (on both backends)."""
        return self.distance_m(column, geometry).asc().nulls_last()

    # -- writing ----------------------------------------------------------------
    @abc.abstractmethod
    def insert_versions(self, conn: Connection, batch: VersionBatch) -> None:
        """Write new feature versions in bulk inside the caller's transaction."""

    @contextmanager
    def bulk_insert(
        self, conn: Connection, layer_id: str, *, new_storage: bool = False
    ) -> Iterator[Callable[[VersionBatch], None]]:
        """A writer for many batches of new versions of one layer, and nothing else.

        Nothing else may use ``conn`` until the block ends; backends that can stream
        (COPY) keep one stream open across the batches. With ``new_storage`` the layer was
        created in this transaction without :meth:`create_layer_storage`: the backend may
        load its rows first and index them afterwards, and must create its storage.
        """
        if new_storage:
            self.create_layer_storage(conn, layer_id)
        yield lambda batch: self.insert_versions(conn, batch)

    @abc.abstractmethod
    def analyze(self, conn: Connection, layer_id: str) -> None:
        """Refresh the planner's statistics after a layer changed much (an import)."""

    def db_time(self, value: datetime) -> Any:
        """A timestamp in the form the driver stores for ``DateTime(timezone=True)``."""
        return value

    # -- reading ----------------------------------------------------------------
    @abc.abstractmethod
    def geom_wkb(self) -> ColumnElement[Any]:
        """An expression that reads the geometry column as WKB."""

    @abc.abstractmethod
    def _bbox_candidates(self, bbox: BBox) -> ColumnElement[bool]:
        """A clause keeping rows whose geometry may intersect ``bbox`` (index-backed)."""

    @abc.abstractmethod
    def spatial_clause(
        self, predicate: Predicate, geometry: BaseGeometry, distance_m: float | None = None
    ) -> ColumnElement[bool]:
        """A SQL condition on the feature geometry, usable anywhere in a WHERE clause.

        ``intersects``: the feature meets ``geometry``; ``contains``: the feature contains
        it; ``within``: the feature lies within it. With ``distance_m``: the feature is
        within that many metres of ``geometry`` (the predicate is then ignored).
        """

    @abc.abstractmethod
    def _exact_wkb(self, predicate: Predicate, wkb: ColumnElement[Any]) -> ColumnElement[bool]:
        """The exact test of :meth:`spatial_clause` alone, without the index, against the
        WKB (WGS 84) of a geometry given as a SQL value (a literal or a parameter)."""

    def _exact(self, predicate: Predicate, geometry: BaseGeometry) -> ColumnElement[bool]:
        """:meth:`_exact_wkb` for a geometry."""
        return self._exact_wkb(predicate, literal(geometry.wkb))

    def intersecting(
        self,
        conn: Connection,
        layer_id: str,
        geometry: BaseGeometry,
        *,
        as_of: datetime | None = None,
    ) -> list[FeatureRow]:
        """The features of a layer that meet ``geometry``, by row id — the frequent query of
        a point or parcel lookup, with a statement built once for the current state."""
        if as_of is not None:
            return self.find(conn, layer_id, geometry=geometry, as_of=as_of)
        minx, miny, maxx, maxy = geometry.bounds
        values = {"layer": layer_id, "x0": minx, "y0": miny, "x1": maxx, "y1": maxy}
        values["wkb"] = geometry.wkb
        return [self.to_row(r) for r in conn.execute(self._intersecting, values)]

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
        """The feature of layer ``first`` at ``point`` (lowest row id; None for no layer),
        then the current features of the ``meeting`` layers that meet it and of the
        ``containing`` layers that meet an interior point of it (the point itself when
        nothing of ``first`` is there) — the reads of a planning lookup; now, or ``as_of``.
        ``with_access`` also reads each layer's access level, for the caller to drop what
        it may not show."""
        access = None
        asked, near, inside = first, list(meeting), list(containing)
        if with_access:
            wanted = [lid for lid in (first, *meeting, *containing) if lid]
            stmt = select(layer.c.id, layer.c.access).where(layer.c.id.in_(wanted))
            access = {r.id: r.access for r in conn.execute(stmt)}
            # A layer that does not exist has no rows: no need to ask.
            asked = first if first in access else None
            near = [lid for lid in meeting if lid in access]
            inside = [lid for lid in containing if lid in access]
        hits = self.intersecting(conn, asked, point, as_of=as_of) if asked else []
        at = hits[0] if hits else None
        rows = self.around(conn, at.geometry if at else point, near, inside, at=at, as_of=as_of)
        return PlaceRows(
            at,
            {lid: rows.meeting.get(lid, []) for lid in meeting},
            {lid: rows.containing.get(lid, []) for lid in containing},
            access,
        )

    def around(
        self,
        conn: Connection,
        geometry: BaseGeometry,
        meeting: Sequence[str],
        containing: Sequence[str],
        *,
        at: FeatureRow | None = None,
        as_of: datetime | None = None,
    ) -> PlaceRows:
        """:meth:`place_rows` for a known geometry (``at`` is passed through)."""
        probe = shapely.point_on_surface(geometry)
        return PlaceRows(
            at,
            {lid: self.intersecting(conn, lid, geometry, as_of=as_of) for lid in meeting},
            {lid: self.intersecting(conn, lid, probe, as_of=as_of) for lid in containing},
        )

    @functools.cached_property
    def _intersecting(self) -> Select[Any]:
        box: Any = tuple(bindparam(k, type_=Float) for k in ("x0", "y0", "x1", "y1"))
        test = self._exact_wkb("intersects", bindparam("wkb", type_=LargeBinary))
        layer_id: Any = bindparam("layer", type_=String)
        return self.base_select(layer_id, None, [and_(self._bbox_candidates(box), test)])

    def bbox_clause(self, bbox: BBox) -> ColumnElement[bool]:
        """Features whose geometry meets ``bbox``: exact, yet with no geometry test for
        those whose stored bounds lie inside the box (all points, most small shapes)."""
        minx, miny, maxx, maxy = bbox
        inside = and_(
            feature.c.minx >= minx,
            feature.c.miny >= miny,
            feature.c.maxx <= maxx,
            feature.c.maxy <= maxy,
        )
        return and_(self._bbox_candidates(bbox), or_(inside, self._meets_box(bbox)))

    def _meets_box(self, bbox: BBox) -> ColumnElement[bool]:
        """The exact test that the geometry meets ``bbox``."""
        return self._exact("intersects", shapely.box(*bbox))

    def filtered(
        self,
        layer_id: str,
        *,
        as_of: datetime | None = None,
        bbox: BBox | None = None,
        geometry: BaseGeometry | None = None,
        predicate: Predicate = "intersects",
        distance_m: float | None = None,
        where: Sequence[ColumnElement[bool]] = (),
    ) -> Select[Any]:
        """The SELECT of :meth:`find` without paging (for counting, streaming...)."""
        clauses = list(where)
        if bbox is not None:
            clauses.append(self.bbox_clause(bbox))
        if geometry is not None:
            clauses.append(self.spatial_clause(predicate, geometry, distance_m))
        return self.base_select(layer_id, as_of, clauses)

    def find(
        self,
        conn: Connection,
        layer_id: str,
        *,
        as_of: datetime | None = None,
        bbox: BBox | None = None,
        geometry: BaseGeometry | None = None,
        predicate: Predicate = "intersects",
        distance_m: float | None = None,
        where: Sequence[ColumnElement[bool]] = (),
        limit: int | None = None,
        offset: int = 0,
    ) -> list[FeatureRow]:
        """Features of a layer matching every condition given, in a stable order.

        ``bbox`` keeps features whose geometry intersects the box; ``geometry`` with
        ``predicate`` keeps features that intersect / contain / lie within it; with
        ``distance_m`` it keeps features within that many metres of ``geometry``.
        """
        stmt = self.filtered(
            layer_id,
            as_of=as_of,
            bbox=bbox,
            geometry=geometry,
            predicate=predicate,
            distance_m=distance_m,
            where=where,
        )
        if limit is not None:
            stmt = stmt.limit(limit)
        if offset:
            stmt = stmt.offset(offset)
        return [self.to_row(r) for r in conn.execute(stmt)]

    def current_feature(self, conn: Connection, layer_id: str, fid: str) -> FeatureRow | None:
        """The current version of one feature, or None (the most frequent single read)."""
        r = conn.execute(self._current_by_fid, {"layer": layer_id, "fid": fid}).first()
        return None if r is None else self.to_row(r)

    @functools.cached_property
    def _current_by_fid(self) -> Select[Any]:
        # Built once: constructing a statement costs more than running this one.
        layer_id: Any = bindparam("layer", type_=String)
        return self.base_select(layer_id, None, [feature.c.fid == bindparam("fid")]).limit(1)

    def count(self, conn: Connection, stmt: Select[Any]) -> int:
        """How many rows a :meth:`filtered` SELECT matches."""
        sub = stmt.order_by(None).with_only_columns(feature.c.rid).subquery()
        return int(conn.execute(select(func.count()).select_from(sub)).scalar_one())

    def geojson_page(
        self,
        conn: Connection,
        layer_id: str,
        *,
        as_of: datetime | None = None,
        bbox: BBox | None = None,
        where: Sequence[ColumnElement[bool]] = (),
        limit: int,
        offset: int,
        reproject: Reproject | None = None,
    ) -> GeoJSONPage:
        """One page of :meth:`find`'s features as GeoJSON Features, with the match count.

        Without ``reproject`` the geometries stay WGS 84 longitude/latitude.
        """
        if reproject is None:
            native = self._native_page(conn, layer_id, as_of, bbox, where, limit, offset)
            if native is not None:
                return native
        # Output CRSs are transformed here (the VN-2000 operation is checked), and backends
        # that cannot write GeoJSON themselves get it from shapely.
        stmt = self.filtered(layer_id, as_of=as_of, bbox=bbox, where=where)
        rows = [self.to_row(r) for r in conn.execute(stmt.limit(limit).offset(offset))]
        geoms = shapely.from_wkb([r.wkb for r in rows])
        if reproject is not None:
            geoms = reproject(geoms)
        texts: list[str | None] = shapely.to_geojson(geoms).tolist()
        body = b",".join(
            geojson_feature(r.fid, g, r.properties) for r, g in zip(rows, texts, strict=True)
        )
        returned = len(rows)
        if returned < limit and (returned or not offset):
            # The last page: the count is known without asking.
            return GeoJSONPage(body, returned, offset + returned)
        return GeoJSONPage(body, returned, self.count(conn, stmt))

    def _native_page(
        self,
        conn: Connection,
        layer_id: str,
        as_of: datetime | None,
        bbox: BBox | None,
        where: Sequence[ColumnElement[bool]],
        limit: int,
        offset: int,
    ) -> GeoJSONPage | None:
        """:meth:`geojson_page` in WGS 84 written by the database; None where it cannot."""
        return None

    def tile_layer(self, conn: Connection, layer_id: str, query: TileQuery) -> TileLayer | None:
        """The layer's features in a vector tile, encoded by the database; None where the
        backend cannot (the tile is then drawn in Python by :mod:`dothi.tiles.mvt`)."""
        return None

    @abc.abstractmethod
    def nearest(
        self,
        conn: Connection,
        layer_id: str,
        point: BaseGeometry,
        k: int = 1,
        *,
        as_of: datetime | None = None,
    ) -> list[tuple[FeatureRow, float]]:
        """The ``k`` features nearest to ``point`` with their distance in metres."""

    # -- shared helpers -----------------------------------------------------------
    def base_select(
        self,
        layer_id: str,
        as_of: datetime | None,
        where: Sequence[ColumnElement[bool]],
        *,
        all_versions: bool = False,
    ) -> Select[Any]:
        """SELECT of feature rows of a layer at a time (or every version), no spatial test."""
        when = [] if all_versions else [time_clause(as_of)]
        return (
            select(
                feature.c.rid,
                feature.c.fid,
                feature.c.version,
                feature.c.valid_from,
                feature.c.valid_to,
                feature.c.created_in,
                feature.c.closed_in,
                feature.c.changed_by,
                self.geom_wkb().label("wkb"),
                feature.c.properties,
            )
            .where(feature.c.layer_id == layer_id, *when, *where)
            .order_by(feature.c.rid)
        )

    @staticmethod
    def to_row(r: Any) -> FeatureRow:
        """Turn a result row of :meth:`base_select` into a :class:`FeatureRow`."""
        wkb = r.wkb
        if wkb is not None and not isinstance(wkb, bytes):
            wkb = bytes(wkb)
        return FeatureRow(
            rid=r.rid,
            fid=r.fid,
            version=r.version,
            valid_from=as_utc(r.valid_from),
            valid_to=None if r.valid_to is None else as_utc(r.valid_to),
            created_in=r.created_in,
            closed_in=r.closed_in,
            changed_by=r.changed_by,
            wkb=wkb,
            properties=r.properties,
        )

    def iter_rows(
        self,
        conn: Connection,
        layer_id: str,
        *,
        as_of: datetime | None = None,
        bbox: BBox | None = None,
        chunk: int = 10_000,
    ) -> Iterator[FeatureRow]:
        """Stream all features of a layer (optionally in a bbox) in chunks, by rid."""
        last = 0
        while True:
            stmt = self.filtered(
                layer_id, as_of=as_of, bbox=bbox, where=[feature.c.rid > last]
            ).limit(chunk)
            rows = [self.to_row(r) for r in conn.execute(stmt)]
            if not rows:
                return
            yield from rows
            last = rows[-1].rid
