"""Mapbox Vector Tiles (ô vector) of one or several layers, rendered from the spatial port.

Every step after the query works on whole arrays of geometries: WKB → shapely, WGS 84 →
EPSG:3857 → tile units in one coordinate pass, clip, simplify, snap to the integer grid,
orient rings. Only the final protobuf encoding goes feature by feature.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

import mapbox_vector_tile  # type: ignore[import-untyped]
import numpy as np
import numpy.typing as npt
import orjson
import pyproj
import shapely
from sqlalchemy import Connection, func, select

from dothi.db.schema import changeset
from dothi.db.spatial.base import FeatureRow, SpatialPort, TileQuery
from dothi.tiles.grid import MAX_LATITUDE, Tile

#: Tile units per tile side (the MVT default; 16 units per pixel of a 256-pixel tile).
EXTENT = 4096
#: Extra margin rendered around the tile, in tile units, so that line joins and
#: polygon edges do not show seams where tiles meet.
BUFFER = 64
#: Simplification tolerance in tile units: 1/8 of a pixel of a 256-pixel tile (1/4 of a
#: pixel as MapLibre draws 512-pixel tiles), invisible at the tile's own zoom.
TOLERANCE = 2.0
#: At most this many features in one tile, over all its layers.
MAX_FEATURES = 20_000

Scalar = str | int | float | bool
_INT64 = 2**63


@dataclass
class RenderedTile:
    """An encoded tile with what was left out of it."""

    data: bytes
    #: Features drawn, over all layers.
    features: int
    #: Lines and polygons that met the tile but became smaller than one tile unit.
    dropped: int
    #: True when :data:`MAX_FEATURES` stopped the query (some features are missing).
    capped: bool

    @property
    def empty(self) -> bool:
        """True when no layer has a feature in the tile."""
        return self.features == 0


@cache
def _to_mercator() -> pyproj.Transformer:
    # Transformer.from_crs objects are thread-safe; one serves every request.
    return pyproj.Transformer.from_crs("EPSG:4326", "EPSG:3857", always_xy=True)


def to_tile_units(geoms: npt.NDArray[Any], tile: Tile) -> npt.NDArray[Any]:
    """WGS 84 geometries → tile units: x east, y down, 0 … :data:`EXTENT` across the tile."""
    minx, _, _, maxy = tile.mercator_bounds()
    scale = EXTENT / tile.size
    t = _to_mercator()

    def project(xy: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        # Beyond ±85.05° Mercator y runs to infinity; such points sit outside every tile.
        lat = np.clip(xy[:, 1], -MAX_LATITUDE, MAX_LATITUDE)
        mx, my = t.transform(xy[:, 0], lat)
        return np.column_stack([(mx - minx) * scale, (maxy - my) * scale])

    out: npt.NDArray[Any] = shapely.transform(geoms, project)
    return out


_MULTI = {0: shapely.multipoints, 1: shapely.multilinestrings, 2: shapely.multipolygons}


def _highest_dimension(geom: Any) -> Any:
    """One MVT feature has one geometry type: keep the polygons, else lines, else points."""
    parts = shapely.get_parts(shapely.get_parts(geom))
    if len(parts) == 0:
        return shapely.Polygon()
    dims = shapely.get_dimensions(parts)
    top = int(dims.max())
    return _MULTI[top](parts[dims == top])


def shape_for_tile(geoms: npt.NDArray[Any], tile: Tile) -> tuple[npt.NDArray[Any], int]:
    """WGS 84 geometries → clipped, simplified, grid-snapped tile geometries.

    Returns the geometries (empty where nothing is left) and how many lines or polygons
    that did reach the buffered tile vanished on the integer grid.
    """
    units = to_tile_units(geoms, tile)
    clipped = shapely.clip_by_rect(units, -BUFFER, -BUFFER, EXTENT + BUFFER, EXTENT + BUFFER)
    simple = shapely.simplify(clipped, TOLERANCE, preserve_topology=True)
    # Encoding rounds to whole units anyway; rounding here shows what rounding breaks.
    # Most shapes survive it valid; only the others go through GEOS snap-rounding (slow),
    # which repairs them or leaves them empty when they collapse.
    snapped = shapely.transform(simple, np.rint)
    broken = np.flatnonzero(~shapely.is_valid(snapped) & ~shapely.is_empty(snapped))
    snapped[broken] = shapely.set_precision(simple[broken], 1.0)
    vanished = ~shapely.is_empty(clipped) & shapely.is_empty(snapped)
    for i in np.flatnonzero(shapely.get_type_id(snapped) == 7):
        snapped[i] = _highest_dimension(snapped[i])
    orient = getattr(shapely, "orient_polygons", None)
    if orient is not None:
        # Positive shoelace area with y down = the clockwise exterior rings MVT asks for.
        snapped = orient(snapped, exterior_cw=False)
    return snapped, int(np.count_nonzero(vanished))


def flat_properties(props: dict[str, Any]) -> dict[str, Scalar]:
    """Properties as MVT values: scalars kept, nested values as JSON text, nulls left out."""
    out: dict[str, Scalar] = {}
    for key, value in props.items():
        if value is None:
            continue
        if isinstance(value, bool | str | float):
            out[key] = value
        elif isinstance(value, int):
            # MVT integers are 64-bit; larger ones keep their digits as text.
            out[key] = value if -_INT64 <= value < _INT64 else str(value)
        else:
            out[key] = orjson.dumps(value).decode()
    return out


def numeric_id(fid: str) -> int | None:
    """The MVT feature id for a fid written as a plain unsigned 64-bit integer, else None."""
    if fid.isascii() and fid.isdigit() and str(int(fid)) == fid and int(fid) < 2 * _INT64:
        return int(fid)
    return None


def _mvt_features(rows: Sequence[FeatureRow], geoms: npt.NDArray[Any]) -> list[dict[str, Any]]:
    out = []
    for row, geom in zip(rows, geoms, strict=True):
        if geom is None or geom.is_empty:
            continue
        props = flat_properties(row.properties)
        fid = numeric_id(row.fid)
        if fid is None:
            # Without a numeric id MapLibre can still find the feature: promoteId "fid".
            props["fid"] = row.fid
        out.append({"geometry": geom, "properties": props, "id": fid})
    return out


def render_tile(
    port: SpatialPort,
    conn: Connection,
    layer_ids: Sequence[str],
    tile: Tile,
    *,
    max_features: int | None = None,
    as_of: datetime | None = None,
) -> RenderedTile:
    """Render ``tile`` with one MVT layer per layer id (named by the id), in that order.

    Layers with no feature in the tile are left out of it. At most ``max_features``
    (default :data:`MAX_FEATURES`) are queried, the first layers first. The caller checks
    that the layers exist and may be seen. ``as_of`` draws the layers as they were then.
    """
    box = tile.lonlat_bounds(BUFFER / EXTENT)
    layers: list[dict[str, Any]] = []
    native: list[bytes] = []
    remaining = MAX_FEATURES if max_features is None else max_features
    dropped, capped, drawn = 0, False, 0
    for layer_id in layer_ids:
        query = _tile_query(layer_id, tile, box, remaining)
        # The database encodes current tiles; past states are rare and drawn here.
        done = port.tile_layer(conn, layer_id, query) if as_of is None else None
        if done is not None:
            # Encoded by the database (PostGIS ST_AsMVT): protobuf layers concatenate.
            capped |= done.rows > remaining
            remaining -= min(done.rows, remaining)
            if done.features:
                drawn += done.features
                native.append(done.data)
            continue
        rows = port.find(conn, layer_id, bbox=box, as_of=as_of, limit=remaining + 1)
        if len(rows) > remaining:
            rows, capped = rows[:remaining], True
        rows = [r for r in rows if r.wkb is not None]
        if not rows:
            continue
        shaped, lost = shape_for_tile(shapely.from_wkb([r.wkb for r in rows]), tile)
        dropped += lost
        features = _mvt_features(rows, shaped)
        remaining -= len(rows)
        if features:
            drawn += len(features)
            layers.append({"name": layer_id, "features": features})
    data = b"".join(native)
    if layers:
        options = {"extents": EXTENT, "y_coord_down": True, "check_winding_order": orient_missing()}
        data += mapbox_vector_tile.encode(layers, default_options=options)
    return RenderedTile(data, drawn, dropped, capped)


def _tile_query(layer_id: str, tile: Tile, box: tuple[float, ...], limit: int) -> TileQuery:
    minx, miny, maxx, maxy = tile.mercator_bounds()
    west, south, east, north = box
    return TileQuery(
        name=layer_id,
        lonlat_box=(west, south, east, north),
        mercator_box=(minx, miny, maxx, maxy),
        extent=EXTENT,
        buffer=BUFFER,
        tolerance=TOLERANCE * tile.size / EXTENT,
        limit=limit,
    )


def orient_missing() -> bool:
    """True on shapely < 2.1, where the encoder must orient rings itself (slower)."""
    return not hasattr(shapely, "orient_polygons")


def layer_versions(conn: Connection, layer_ids: Sequence[str]) -> dict[str, int]:
    """The last change set id of each layer (0 for none): tiles change exactly when it does.

    Imports, edits, deletions and rollbacks each add a change set, so a tile rendered
    for these ids can be served again until one of them moves.
    """
    stmt = (
        select(changeset.c.layer_id, func.max(changeset.c.id))
        .where(changeset.c.layer_id.in_(list(layer_ids)))
        .group_by(changeset.c.layer_id)
    )
    found = {lid: int(last) for lid, last in conn.execute(stmt)}
    return {lid: found.get(lid, 0) for lid in layer_ids}
