"""Spatial port for PostgreSQL + PostGIS: GiST index, PostGIS predicates, COPY for bulk."""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import ColumnElement, Connection, func, literal

from dothi.db.schema import feature
from dothi.db.spatial.base import (
    BBox,
    FeatureRow,
    Predicate,
    SpatialPort,
    VersionBatch,
    expand_degrees,
)

_COPY = (
    "COPY feature (layer_id, fid, version, valid_from, created_in, changed_by, "
    "geom, minx, miny, maxx, maxy, properties, digest) FROM STDIN"
)
_COPY_CSV = _COPY + " (FORMAT csv)"
_SRID_FLAG = 0x20000000
_SRID_4326 = struct.pack("<I", 4326)


def ewkb_hex(wkb: bytes) -> str:
    """Add SRID 4326 to little-endian ISO WKB, giving the hex EWKB PostGIS reads in COPY."""
    if wkb[0] != 1:
        raise ValueError("expected little-endian WKB")
    (gtype,) = struct.unpack_from("<I", wkb, 1)
    return (wkb[:1] + struct.pack("<I", gtype | _SRID_FLAG) + _SRID_4326 + wkb[5:]).hex()


def _csv(batch: VersionBatch) -> bytes:
    """The batch as CSV rows in the column order of ``_COPY``."""
    n = len(batch)
    geoms = shapely.set_srid(shapely.from_wkb(batch.wkb), 4326)
    bounds = np.asarray(batch.bounds, dtype=np.float64).reshape(n, 4)
    table = pa.table(
        [
            pa.array([batch.layer_id] * n),
            pa.array(batch.fids),
            pa.array(batch.versions, pa.int32()),
            pa.array([batch.valid_from.isoformat()] * n),
            pa.array([batch.changeset_id] * n, pa.int64()),
            pa.array([batch.changed_by] * n),
            pa.array(shapely.to_wkb(geoms, hex=True, include_srid=True)),
            *(pa.array(bounds[:, i]) for i in range(4)),
            pa.array(batch.properties),
            pa.array(batch.digests),
        ],
        names=[f"c{i}" for i in range(13)],
    )
    out = pa.BufferOutputStream()
    pacsv.write_csv(table, out, pacsv.WriteOptions(include_header=False))
    return bytes(out.getvalue())


def _geom_param(geometry: BaseGeometry) -> ColumnElement[Any]:
    return func.ST_GeomFromWKB(literal(geometry.wkb), 4326)


class PostGISPort(SpatialPort):
    """PostGIS implementation of the spatial port."""

    name = "postgis"

    def prepare_database(self, conn: Connection) -> None:
        conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS postgis")

    def create_spatial_index(self, conn: Connection) -> None:
        conn.exec_driver_sql(
            "CREATE INDEX IF NOT EXISTS ix_feature_geom ON feature USING GIST (geom)"
        )

    def drop_spatial_index(self, conn: Connection) -> None:
        conn.exec_driver_sql("DROP INDEX IF EXISTS ix_feature_geom")

    def insert_versions(self, conn: Connection, batch: VersionBatch) -> None:
        with self.bulk_insert(conn) as write:
            write(batch)

    @contextmanager
    def bulk_insert(self, conn: Connection) -> Iterator[Callable[[VersionBatch], None]]:
        # One COPY for all batches: the server inserts and indexes while Python prepares
        # the next rows. Each batch is turned into CSV by Arrow in C++, not row by row.
        dbapi = conn.connection.driver_connection
        assert dbapi is not None
        with dbapi.cursor() as cur, cur.copy(_COPY_CSV) as copy:

            def write(batch: VersionBatch) -> None:
                copy.write(_csv(batch))

            yield write

    def geom_wkb(self) -> ColumnElement[Any]:
        return func.ST_AsBinary(feature.c.geom)

    def _bbox_candidates(self, bbox: BBox) -> ColumnElement[bool]:
        return feature.c.geom.op("&&")(func.ST_MakeEnvelope(*bbox, 4326))

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
        stmt = self.base_select(layer_id, as_of, where)
        if bbox is not None:
            stmt = stmt.where(func.ST_Intersects(feature.c.geom, func.ST_MakeEnvelope(*bbox, 4326)))
        if geometry is not None:
            g = _geom_param(geometry)
            if distance_m is not None:
                # The && on a grown box lets the GiST index work before the exact
                # geodesic test on geography.
                stmt = stmt.where(
                    self._bbox_candidates(expand_degrees(geometry.bounds, distance_m)),
                    func.ST_DWithin(func.geography(feature.c.geom), func.geography(g), distance_m),
                )
            else:
                test = {
                    "intersects": func.ST_Intersects(feature.c.geom, g),
                    "contains": func.ST_Contains(feature.c.geom, g),
                    "within": func.ST_Within(feature.c.geom, g),
                }[predicate]
                stmt = stmt.where(test)
        if limit is not None:
            stmt = stmt.limit(limit).offset(offset)
        elif offset:
            stmt = stmt.offset(offset)
        return [self.to_row(r) for r in conn.execute(stmt)]

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


__all__ = ["PostGISPort", "ewkb_hex"]
