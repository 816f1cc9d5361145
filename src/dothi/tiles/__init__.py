"""Vector tiles (ô vector): the WebMercatorQuad grid, Mapbox Vector Tiles and TileJSON.

- :mod:`dothi.tiles.grid` — tile numbers ↔ lon/lat and EPSG:3857 bounds, z/x/y checks;
- :mod:`dothi.tiles.mvt` — render one tile of one or several layers through the port;
- :mod:`dothi.tiles.tilejson` — TileJSON 3.0.0 documents for a layer or a tileset.

The HTTP adapter is :mod:`dothi.app.tiles_routes`.
"""

from __future__ import annotations

from dothi.tiles.grid import MAX_ZOOM, MIN_ZOOM, Tile, parse_tile, tiles_for_bounds
from dothi.tiles.mvt import EXTENT, MAX_FEATURES, RenderedTile, layer_versions, render_tile
from dothi.tiles.tilejson import build_tilejson

__all__ = [
    "EXTENT",
    "MAX_FEATURES",
    "MAX_ZOOM",
    "MIN_ZOOM",
    "RenderedTile",
    "Tile",
    "build_tilejson",
    "layer_versions",
    "parse_tile",
    "render_tile",
    "tiles_for_bounds",
]
