"""TileJSON 3.0.0 documents for the vector tiles of one layer or of several layers.

A map client (MapLibre, OpenLayers, QGIS) reads one of these to learn the tile URL, the
zoom range, where the data is and which fields each layer carries.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, func, select

from dothi.db.schema import feature
from dothi.spatial.layers import Layer
from dothi.tiles.grid import MAX_LATITUDE, MIN_ZOOM, Bounds

TILEJSON_VERSION = "3.0.0"
#: Highest zoom announced to clients: tiles are served up to 22, but at 18 a tile unit is
#: under 4 cm, so clients do better to over-zoom z18 tiles than to fetch deeper ones.
MAXZOOM = 18
#: The whole Mercator square, for tilesets without a feature yet.
WORLD: Bounds = (-180.0, -MAX_LATITUDE, 180.0, MAX_LATITUDE)

_FIELD_TYPES = {
    "string": "String",
    "integer": "Number",
    "number": "Number",
    "boolean": "Boolean",
    # Nested values are flattened to JSON text in the tiles.
    "object": "String",
    "array": "String",
}


def data_bounds(conn: Connection, layer_ids: Sequence[str]) -> Bounds | None:
    """The lon/lat box of the current features of these layers, or None if they have none."""
    stmt = select(
        func.min(feature.c.minx),
        func.min(feature.c.miny),
        func.max(feature.c.maxx),
        func.max(feature.c.maxy),
    ).where(feature.c.layer_id.in_(list(layer_ids)), feature.c.valid_to.is_(None))
    row = conn.execute(stmt).one()
    if any(v is None for v in row):
        return None
    minx, miny, maxx, maxy = (float(v) for v in row)
    # TileJSON bounds must stay inside the Mercator square that the tiles cover.
    return (
        max(minx, -180.0),
        max(miny, -MAX_LATITUDE),
        min(maxx, 180.0),
        min(maxy, MAX_LATITUDE),
    )


def _outward(bounds: Bounds) -> list[float]:
    # Seven decimals (~1 cm), rounded outwards so that no feature falls outside.
    west, south, east, north = (v * 1e7 for v in bounds)
    return [
        math.floor(west) / 1e7,
        math.floor(south) / 1e7,
        math.ceil(east) / 1e7,
        math.ceil(north) / 1e7,
    ]


def center_of(bounds: Bounds, minzoom: int, maxzoom: int) -> list[float]:
    """``[lon, lat, zoom]``: the middle of ``bounds`` at a zoom that shows all of it."""
    west, south, east, north = bounds
    span = max(east - west, (north - south) * 1.5, 1e-9)
    # A 512-pixel view spans 360° at zoom 1; a feature as small as a house still gets z16.
    zoom = min(max(math.floor(math.log2(360.0 / span)), minzoom), maxzoom, 16)
    return [round((west + east) / 2, 6), round((south + north) / 2, 6), zoom]


def field_types(schema: dict[str, Any]) -> dict[str, str]:
    """``{name: "String" | "Number" | "Boolean" | "Mixed"}`` from a layer's JSON Schema."""
    out: dict[str, str] = {}
    for name, spec in (schema.get("properties") or {}).items():
        declared = spec.get("type", []) if isinstance(spec, dict) else []
        names = [declared] if isinstance(declared, str) else list(declared)
        kinds = {_FIELD_TYPES.get(t, "String") for t in names if t != "null"}
        out[name] = kinds.pop() if len(kinds) == 1 else ("Mixed" if kinds else "String")
    return out


def vector_layer(layer: Layer, minzoom: int = MIN_ZOOM, maxzoom: int = MAXZOOM) -> dict[str, Any]:
    """The ``vector_layers`` entry of a layer: its id (the MVT layer name) and fields."""
    fields = field_types(layer.property_schema)
    # Features whose fid is not a plain number carry it as a property (see mvt.py).
    fields.setdefault("fid", "String")
    return {
        "id": layer.id,
        "description": f"{layer.title_vi} / {layer.title_en}",
        "minzoom": minzoom,
        "maxzoom": maxzoom,
        "fields": fields,
    }


def build_tilejson(
    conn: Connection,
    layers: Sequence[Layer],
    tiles_url: str,
    *,
    name: str | None = None,
    minzoom: int = MIN_ZOOM,
    maxzoom: int = MAXZOOM,
) -> dict[str, Any]:
    """A TileJSON 3.0.0 document for a tileset made of ``layers`` served at ``tiles_url``.

    ``tiles_url`` is the template with ``{z}``, ``{x}`` and ``{y}`` left in. The bounds
    are those of the current features; the attribution joins the layers' own.
    """
    bounds = data_bounds(conn, [ly.id for ly in layers]) or WORLD
    attributions = list(dict.fromkeys(ly.attribution for ly in layers if ly.attribution))
    doc: dict[str, Any] = {
        "tilejson": TILEJSON_VERSION,
        "name": name or ", ".join(f"{ly.title_vi} / {ly.title_en}" for ly in layers),
        "scheme": "xyz",
        "tiles": [tiles_url],
        "minzoom": minzoom,
        "maxzoom": maxzoom,
        "bounds": _outward(bounds),
        "center": center_of(bounds, minzoom, maxzoom),
        "vector_layers": [vector_layer(ly, minzoom, maxzoom) for ly in layers],
    }
    if attributions:
        doc["attribution"] = " | ".join(attributions)
    licences = sorted({ly.license for ly in layers if ly.license})
    if licences:
        doc["description"] = "Giấy phép / Licence: " + ", ".join(licences)
    return doc
