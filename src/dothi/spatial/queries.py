"""Reading features for the web API: parameters checked, visibility applied, GeoJSON out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import shapely
import shapely.geometry
from sqlalchemy import Connection

from dothi.db.engine import Database
from dothi.db.spatial.base import BBox, FeatureRow
from dothi.errors import NotFound
from dothi.params import parse_offset


def to_geojson(row: FeatureRow) -> dict[str, Any]:
    """A feature version as a GeoJSON Feature (RFC 7946)."""
    geom = row.geometry
    return {
        "type": "Feature",
        "id": row.fid,
        "geometry": None if geom is None else shapely.geometry.mapping(geom),
        "properties": row.properties,
    }


@dataclass
class FeaturePage:
    """One page of features."""

    features: list[FeatureRow]
    limit: int
    offset: int
    has_more: bool


def features_page(
    db: Database,
    conn: Connection,
    layer_id: str,
    *,
    bbox: BBox | None,
    as_of: datetime | None,
    limit: int,
    offset: int,
) -> FeaturePage:
    """A page of a layer's features (the caller checked access); one extra row tells
    whether more follow."""
    parse_offset(offset)
    rows = db.port.find(conn, layer_id, bbox=bbox, as_of=as_of, limit=limit + 1, offset=offset)
    return FeaturePage(rows[:limit], limit, offset, len(rows) > limit)


def one_feature(
    db: Database, conn: Connection, layer_id: str, fid: str, as_of: datetime | None
) -> FeatureRow:
    """One feature of a layer (the caller checked access), now or as of a time."""
    from dothi.db.schema import feature

    if as_of is None:
        found = db.port.current_feature(conn, layer_id, fid)
    else:
        rows = db.port.find(conn, layer_id, as_of=as_of, where=[feature.c.fid == fid], limit=1)
        found = rows[0] if rows else None
    if found is None:
        raise NotFound(
            f"Lớp «{layer_id}» không có đối tượng «{fid}».",
            f"Layer '{layer_id}' has no feature '{fid}'.",
        )
    return found
