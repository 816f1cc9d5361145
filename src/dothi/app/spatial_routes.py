"""HTTP routes of the layers API: thin adapters over :mod:`dothi.spatial.queries`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from sqlalchemy import Connection

from dothi import params as qp
from dothi.auth.policy import Principal, require_read, visible_layers
from dothi.db.engine import Database
from dothi.spatial import queries
from dothi.spatial.history import layer_history
from dothi.spatial.layers import Layer, feature_counts, get_layer, list_layers
from dothi.webkit.deps import CurrentPrincipal

router = APIRouter(tags=["layers"])


def _db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def _layer_json(request: Request, layer: Any, count: int) -> dict[str, Any]:
    base = str(request.base_url).rstrip("/")
    d = layer.to_dict()
    d.pop("created_by", None)
    d["feature_count"] = count
    d["links"] = [
        {"rel": "self", "href": f"{base}/api/layers/{layer.id}"},
        {"rel": "items", "href": f"{base}/api/layers/{layer.id}/features"},
    ]
    return dict(d)


def _visible(conn: Connection, layer_id: str, who: Principal) -> Layer:
    return require_read(who, get_layer(conn, layer_id))


@router.get("/layers")
def layers(request: Request, who: CurrentPrincipal) -> dict[str, Any]:
    """The layers the caller may read, with their feature counts."""
    with _db(request).read() as conn:
        counts = feature_counts(conn)
        found = visible_layers(who, list_layers(conn))
    return {"layers": [_layer_json(request, ly, counts.get(ly.id, 0)) for ly in found]}


@router.get("/layers/{layer_id}")
def layer(request: Request, layer_id: str, who: CurrentPrincipal) -> dict[str, Any]:
    """One layer: titles, schema, CRS, licence and provenance."""
    with _db(request).read() as conn:
        found = _visible(conn, layer_id, who)
        count = feature_counts(conn).get(layer_id, 0)
    return _layer_json(request, found, count)


@router.get("/layers/{layer_id}/features")
def features(
    request: Request,
    layer_id: str,
    who: CurrentPrincipal,
    bbox: Annotated[str | None, Query(description="minLon,minLat,maxLon,maxLat")] = None,
    datetime: Annotated[str | None, Query(description="as of (ISO 8601)")] = None,
    limit: Annotated[int | None, Query()] = None,
    offset: Annotated[int, Query()] = 0,
) -> dict[str, Any]:
    """A page of features as a GeoJSON FeatureCollection, with a ``next`` link."""
    box = qp.parse_bbox(bbox)
    when = qp.parse_datetime(datetime)
    size = qp.parse_limit(limit)
    db = _db(request)
    with db.read() as conn:
        _visible(conn, layer_id, who)
        page = queries.features_page(
            db, conn, layer_id, bbox=box, as_of=when, limit=size, offset=offset
        )
    links = []
    if page.has_more:
        nxt = request.url.include_query_params(offset=offset + size, limit=size)
        links.append({"rel": "next", "type": "application/geo+json", "href": str(nxt)})
    return {
        "type": "FeatureCollection",
        "features": [queries.to_geojson(r) for r in page.features],
        "numberReturned": len(page.features),
        "links": links,
    }


@router.get("/layers/{layer_id}/features/{fid:path}")
def feature(
    request: Request,
    layer_id: str,
    fid: str,
    who: CurrentPrincipal,
    datetime: Annotated[str | None, Query()] = None,
) -> dict[str, Any]:
    """One feature (now, or as of ``datetime``)."""
    db = _db(request)
    with db.read() as conn:
        _visible(conn, layer_id, who)
        row = queries.one_feature(db, conn, layer_id, fid, qp.parse_datetime(datetime))
    return queries.to_geojson(row)


@router.get("/layers/{layer_id}/history")
def history(request: Request, layer_id: str, who: CurrentPrincipal) -> dict[str, Any]:
    """Change sets of a layer (what changed when; who is kept out of public answers)."""
    with _db(request).read() as conn:
        _visible(conn, layer_id, who)
        changes = layer_history(conn, layer_id)
    # Who made a change is personal data: kept in the database, not published.
    public = [{k: v for k, v in c.to_dict().items() if k != "created_by"} for c in changes]
    return {"changes": public}
