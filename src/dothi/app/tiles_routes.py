"""HTTP routes of the vector tiles (OGC API – Tiles, WebMercatorQuad): thin adapters.

Routes (mounted under ``/ogcapi``):

- ``GET /collections/{layer_id}/tiles/WebMercatorQuad/{z}/{x}/{y}`` — one layer's tile;
- ``GET /collections/{layer_id}/tiles/WebMercatorQuad`` — its TileJSON;
- ``GET /tiles/WebMercatorQuad/{z}/{x}/{y}?collections=a,b`` — several layers in one tile
  (default: every public layer), one MVT layer per Dothi layer, named by its id;
- ``GET /tiles/WebMercatorQuad?collections=a,b`` — the TileJSON of that tileset.

A tile with no feature is answered ``204 No Content`` (OGC API – Tiles allows it, MapLibre
and OpenLayers draw nothing), with the same caching headers as a full tile.

``datetime=<instant>`` on a tile draws the layers as they were then (from the history).

Caching: every answer carries a strong ``ETag`` made from the layers, the last change set
of each and the tile, so it changes as soon as an import, edit, deletion or rollback
touches one of the layers; ``If-None-Match`` with that tag gives ``304``. Public layers are
``Cache-Control: public, max-age=60``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy import Connection

from dothi.auth.policy import Principal, require_read, visible_layers
from dothi.errors import NotFound
from dothi.params import parse_datetime
from dothi.spatial.layers import Layer, check_layer_id, get_layer, list_layers
from dothi.tiles import grid, mvt, tilejson
from dothi.webkit.deps import CurrentPrincipal, ReadableLayer, audit_layer_reads, db_of

router = APIRouter(tags=["tiles"])

MVT_MEDIA_TYPE = "application/vnd.mapbox-vector-tile"
#: Bump when the rendering changes, so that caches drop tiles made the old way.
RENDERER = "dothi-mvt-2"
_TEMPLATE = "/{z}/{x}/{y}"
_Collections = Annotated[
    str | None, Query(description="mã lớp, phân cách bằng dấu phẩy / comma-separated layer ids")
]
_AsOf = Annotated[
    str | None,
    Query(
        alias="datetime",
        description="Dữ liệu tại một thời điểm (RFC 3339) / the data as of an instant",
    ),
]


def _chosen(request: Request, who: Principal, collections: str | None) -> list[Layer]:
    """The layers of a multi-layer tileset (default: every layer the caller may read); their
    reads are audited as for one layer."""
    ids = [c.strip() for c in (collections or "").split(",") if c.strip()]
    for lid in ids:
        check_layer_id(lid)
    with db_of(request).read() as conn:
        if ids:
            layers = [require_read(who, get_layer(conn, lid)) for lid in dict.fromkeys(ids)]
        else:
            layers = visible_layers(who, list_layers(conn))
    if not layers:
        raise NotFound("Chưa có lớp dữ liệu công khai nào.", "There is no public layer yet.")
    audit_layer_reads(request, who, {ly.id: ly.access for ly in layers})
    return layers


def _etag(layers: Sequence[Layer], versions: dict[str, int], what: str) -> str:
    # created_at keeps a layer deleted and made again under the same id from matching
    # the old tags, even if change set ids were to restart.
    parts = [RENDERER, what] + [
        f"{ly.id}@{ly.created_at.isoformat()}#{versions[ly.id]}" for ly in layers
    ]
    return '"' + hashlib.sha256("|".join(parts).encode()).hexdigest()[:32] + '"'


def _cache_headers(layers: Sequence[Layer], etag: str) -> dict[str, str]:
    public = all(ly.access == "public" for ly in layers)
    # Anything not public must not sit in shared caches, and must be checked every time.
    control = "public, max-age=60" if public else "private, no-cache"
    # The answer depends on the caller's token: caches must keep one copy per token.
    return {"ETag": etag, "Cache-Control": control, "Vary": "Authorization"}


def _matches(request: Request, etag: str) -> bool:
    """RFC 9110 If-None-Match: weak comparison, a list of tags, or ``*``."""
    header = request.headers.get("if-none-match")
    if not header:
        return False
    tags = {t.strip().removeprefix("W/") for t in header.split(",")}
    return "*" in tags or etag in tags


def _tile_response(
    request: Request, layers: list[Layer], z: str, x: str, y: str, when: str | None
) -> Response:
    tile = grid.parse_tile(z, x, y)
    as_of = parse_datetime(when)
    db = db_of(request)
    with db.read() as conn:
        versions = mvt.layer_versions(conn, [ly.id for ly in layers])
        moment = "" if as_of is None else f"@{as_of.isoformat()}"
        etag = _etag(layers, versions, f"{tile.z}/{tile.x}/{tile.y}{moment}")
        headers = _cache_headers(layers, etag)
        if _matches(request, etag):
            return Response(status_code=304, headers=headers)
        rendered = mvt.render_tile(db.port, conn, [ly.id for ly in layers], tile, as_of=as_of)
    if rendered.capped:
        headers["Dothi-Features-Capped"] = str(mvt.MAX_FEATURES)
    if rendered.dropped:
        headers["Dothi-Features-Dropped"] = str(rendered.dropped)
    if rendered.empty:
        return Response(status_code=204, headers=headers)
    return Response(rendered.data, media_type=MVT_MEDIA_TYPE, headers=headers)


def _tilejson_response(
    request: Request, conn: Connection, layers: list[Layer], name: str | None
) -> Response:
    versions = mvt.layer_versions(conn, [ly.id for ly in layers])
    # The tiles URL is this URL plus /{z}/{x}/{y}: right under any prefix or proxy path.
    base = str(request.url.replace(query=""))
    query = f"?{request.url.query}" if request.url.query else ""
    etag = _etag(layers, versions, "tilejson " + base + query)
    headers = _cache_headers(layers, etag)
    if _matches(request, etag):
        return Response(status_code=304, headers=headers)
    doc = tilejson.build_tilejson(conn, layers, base + _TEMPLATE + query, name=name)
    return JSONResponse(doc, headers=headers)


@router.get(
    "/collections/{layer_id}/tiles/WebMercatorQuad/{z}/{x}/{y}",
    response_class=Response,
    responses={200: {"content": {MVT_MEDIA_TYPE: {}}}, 204: {"description": "empty tile"}},
)
def layer_tile(
    request: Request,
    layer: ReadableLayer,
    z: str,
    x: str,
    y: str,
    when: _AsOf = None,
) -> Response:
    """One vector tile of one layer (Mapbox Vector Tile, layer named by the layer id)."""
    return _tile_response(request, [layer], z, x, y, when)


@router.get("/collections/{layer_id}/tiles/WebMercatorQuad", response_class=Response)
def layer_tilejson(request: Request, layer: ReadableLayer) -> Response:
    """TileJSON 3.0.0 of one layer's vector tiles."""
    with db_of(request).read() as conn:
        return _tilejson_response(request, conn, [layer], None)


@router.get(
    "/tiles/WebMercatorQuad/{z}/{x}/{y}",
    response_class=Response,
    responses={200: {"content": {MVT_MEDIA_TYPE: {}}}, 204: {"description": "empty tile"}},
)
def tileset_tile(
    request: Request,
    z: str,
    x: str,
    y: str,
    who: CurrentPrincipal,
    collections: _Collections = None,
    when: _AsOf = None,
) -> Response:
    """One vector tile of several layers (default: every layer the caller may read)."""
    return _tile_response(request, _chosen(request, who, collections), z, x, y, when)


@router.get("/tiles/WebMercatorQuad", response_class=Response)
def tileset_tilejson(
    request: Request, who: CurrentPrincipal, collections: _Collections = None
) -> Response:
    """TileJSON 3.0.0 of the multi-layer tileset (default: every layer the caller may read)."""
    layers = _chosen(request, who, collections)
    with db_of(request).read() as conn:
        return _tilejson_response(request, conn, layers, "Dothi")
