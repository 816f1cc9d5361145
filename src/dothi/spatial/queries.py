"""Reading features for the web API: parameters checked, visibility applied, GeoJSON out."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import shapely
import shapely.geometry
from sqlalchemy import Connection

from dothi.db.engine import Database
from dothi.db.spatial.base import BBox, FeatureRow
from dothi.errors import InvalidInput, NotFound
from dothi.spatial.layers import Layer, feature_counts, list_layers

MAX_LIMIT = 10_000
DEFAULT_LIMIT = 100


def parse_bbox(text: str | None, *, geographic: bool = True) -> BBox | None:
    """``minx,miny,maxx,maxy`` (or 6 numbers with heights) → a box; clear errors otherwise.

    For a geographic box the latitudes must lie within ±90.
    """
    if text is None or text == "":
        return None
    parts = text.split(",")
    try:
        values = [float(p) for p in parts]
    except ValueError:
        values = []
    if len(values) == 6:
        values = [values[0], values[1], values[3], values[4]]
    if len(values) != 4 or not all(math.isfinite(v) for v in values):
        raise InvalidInput(
            f"bbox «{text}» không hợp lệ: cần 4 số minX,minY,maxX,maxY.",
            f"Invalid bbox '{text}': expected 4 numbers minX,minY,maxX,maxY.",
            code="InvalidParameterValue",
        )
    minx, miny, maxx, maxy = values
    if minx > maxx or miny > maxy or (geographic and (abs(miny) > 90 or abs(maxy) > 90)):
        raise InvalidInput(
            f"bbox «{text}» không hợp lệ: góc dưới-trái phải nhỏ hơn góc trên-phải, vĩ độ ≤ 90.",
            f"Invalid bbox '{text}': lower-left must be below upper-right, |latitude| ≤ 90.",
            code="InvalidParameterValue",
        )
    return (minx, miny, maxx, maxy)


MAX_OFFSET = 2**53


def parse_offset(value: int) -> int:
    """A paging offset between 0 and 2^53 (what every client and database can count to)."""
    if value < 0 or value > MAX_OFFSET:
        raise InvalidInput(
            f"offset phải từ 0 đến {MAX_OFFSET}.",
            f"offset must be between 0 and {MAX_OFFSET}.",
            code="InvalidParameterValue",
        )
    return value


def parse_datetime(text: str | None) -> datetime | None:
    """An ISO 8601 instant (``Z`` or offset; naive means UTC), or None."""
    if text is None or text == "":
        return None
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(
            f"datetime «{text}» không hợp lệ; dùng ISO 8601, ví dụ 2026-01-31T08:00:00Z.",
            f"Invalid datetime '{text}'; use ISO 8601, e.g. 2026-01-31T08:00:00Z.",
        ) from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def parse_limit(value: int | None) -> int:
    """A page size between 1 and :data:`MAX_LIMIT` (default :data:`DEFAULT_LIMIT`)."""
    if value is None:
        return DEFAULT_LIMIT
    if value < 1 or value > MAX_LIMIT:
        raise InvalidInput(
            f"limit phải từ 1 đến {MAX_LIMIT}.", f"limit must be between 1 and {MAX_LIMIT}."
        )
    return value


def public_layers(conn: Connection) -> list[tuple[Layer, int]]:
    """Public layers with their feature counts."""
    counts = feature_counts(conn)
    return [(ly, counts.get(ly.id, 0)) for ly in list_layers(conn) if ly.access == "public"]


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
