"""HTTP routes of the layers API: thin adapters over :mod:`dothi.spatial.queries`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from dothi import params as qp
from dothi.auth.policy import visible_layers
from dothi.i18n import LANGUAGE_COOKIE, negotiate_language
from dothi.spatial import queries
from dothi.spatial.history import layer_history
from dothi.spatial.labels import labels_document, value_colours
from dothi.spatial.layers import feature_counts, list_layers
from dothi.webkit.deps import CurrentPrincipal, Db, ReadableLayer, db_of

router = APIRouter(tags=["layers"])


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


@router.get("/layers")
def layers(request: Request, who: CurrentPrincipal) -> dict[str, Any]:
    """The layers the caller may read, with their feature counts."""
    with db_of(request).read() as conn:
        counts = feature_counts(conn)
        found = visible_layers(who, list_layers(conn))
    return {"layers": [_layer_json(request, ly, counts.get(ly.id, 0)) for ly in found]}


@router.get("/layers/{layer_id}")
def layer(request: Request, found: ReadableLayer, db: Db) -> dict[str, Any]:
    """One layer: titles, schema, CRS, licence and provenance."""
    with db.read() as conn:
        count = feature_counts(conn).get(found.id, 0)
    return _layer_json(request, found, count)


@router.get("/layers/{layer_id}/labels")
def labels(
    request: Request,
    layer: ReadableLayer,
    lang: Annotated[str | None, Query(description="vi | en (default: the visitor's)")] = None,
) -> dict[str, Any]:
    """What pages show instead of codes: each field's title, each code's label and, where the
    schema gives them, each code's colour on maps (``x-value-colours``), in one language."""
    language = negotiate_language(
        lang or request.cookies.get(LANGUAGE_COOKIE), request.headers.get("accept-language")
    )
    doc = labels_document(layer.id, layer.property_schema, language)
    return {"lang": language, **doc, "colours": value_colours(layer.id, layer.property_schema)}


@router.get("/layers/{layer_id}/features")
def features(
    request: Request,
    layer: ReadableLayer,
    db: Db,
    bbox: Annotated[str | None, Query(description="minLon,minLat,maxLon,maxLat")] = None,
    datetime: Annotated[str | None, Query(description="as of (ISO 8601)")] = None,
    limit: Annotated[int | None, Query()] = None,
    offset: Annotated[int, Query()] = 0,
) -> dict[str, Any]:
    """A page of features as a GeoJSON FeatureCollection, with a ``next`` link."""
    box = qp.parse_bbox(bbox)
    when = qp.parse_datetime(datetime)
    size = qp.parse_limit(limit)
    with db.read() as conn:
        page = queries.features_page(
            db, conn, layer.id, bbox=box, as_of=when, limit=size, offset=offset
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
    layer: ReadableLayer,
    fid: str,
    db: Db,
    datetime: Annotated[str | None, Query()] = None,
) -> dict[str, Any]:
    """One feature (now, or as of ``datetime``)."""
    with db.read() as conn:
        row = queries.one_feature(db, conn, layer.id, fid, qp.parse_datetime(datetime))
    return queries.to_geojson(row)


@router.get("/layers/{layer_id}/history")
def history(layer: ReadableLayer, db: Db) -> dict[str, Any]:
    """Change sets of a layer (what changed when; who is kept out of public answers)."""
    with db.read() as conn:
        changes = layer_history(conn, layer.id)
    # Who made a change is personal data: kept in the database, not published.
    public = [{k: v for k, v in c.to_dict().items() if k != "created_by"} for c in changes]
    return {"changes": public}
