"""HTTP adapter of OGC API – Features at ``/ogcapi``: negotiation, paging links, headers."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import orjson
from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import Connection

from dothi import params as qp
from dothi.auth.audit import audit
from dothi.auth.policy import Principal, visible_layers
from dothi.errors import InvalidInput
from dothi.ogcapi import crs as ocrs
from dothi.ogcapi import features as ogc
from dothi.ogcapi import html as pages
from dothi.ogcapi.openapi import openapi_document
from dothi.ogcapi.queryables import queryables as layer_queryables
from dothi.spatial import edits, queries
from dothi.spatial.edits import etag_of
from dothi.spatial.layers import Layer, get_layer, list_layers
from dothi.webkit.bodies import json_body
from dothi.webkit.deps import (
    CurrentPrincipal,
    Db,
    ReadableLayer,
    client_address,
    db_of,
    require_edit_audited,
)
from dothi.webkit.pages import page_language, page_path

router = APIRouter(include_in_schema=False)
_JSON = "application/json"


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/") + "/ogcapi"


def _format(request: Request, json_type: str = _JSON) -> str:
    """``json`` or ``html``: the ``f`` parameter first, then the Accept header."""
    f = request.query_params.get("f")
    if f is not None:
        if f in ("json", "geojson"):
            return "json"
        if f == "html":
            return "html"
        raise InvalidInput(
            f"f={f} không được hỗ trợ; dùng f=json hoặc f=html.",
            f"f={f} is not supported; use f=json or f=html.",
            code="InvalidParameterValue",
        )
    accept = request.headers.get("accept", "")
    if "text/html" in accept and json_type not in accept and _JSON not in accept:
        return "html"
    return "json"


def _html(request: Request, render: Any, *args: Any, **kwargs: Any) -> HTMLResponse:
    """A page rendered in the visitor's language, with its security policy."""
    lang = page_language(request)
    text = render(*args, lang, page_path(request), **kwargs)
    headers = {
        "Content-Security-Policy": pages.SECURITY_POLICY,
        "Content-Language": lang,
        "Vary": "Accept, Accept-Language, Cookie",
    }
    return HTMLResponse(text, headers=headers)


def _json(doc: Any, media_type: str = _JSON, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(doc), media_type=media_type, headers=headers)


def _readable(conn: Connection, who: Principal) -> list[Layer]:
    return visible_layers(who, list_layers(conn))


def _params(request: Request) -> dict[str, str]:
    params: dict[str, str] = {}
    for key, value in request.query_params.multi_items():
        if key in params:
            raise InvalidInput(
                f"Tham số {key} xuất hiện nhiều lần.",
                f"The parameter {key} is given more than once.",
                code="InvalidParameterValue",
            )
        params[key] = value
    return params


@router.get("")
@router.get("/")
def landing(request: Request) -> Response:
    """Landing page."""
    doc = ogc.landing_page(_base(request))
    if _format(request) == "html":
        return _html(request, pages.landing, doc, _base(request))
    return _json(doc)


@router.get("/conformance")
def conformance(request: Request) -> Response:
    """Conformance classes."""
    doc = ogc.conformance()
    if _format(request) == "html":
        return _html(request, pages.conformance, doc, _base(request))
    return _json(doc)


@router.get("/api")
def api(request: Request, who: CurrentPrincipal) -> Response:
    """The OpenAPI 3.0 document of this API."""
    with db_of(request).read() as conn:
        ids = [ly.id for ly in _readable(conn, who)]
    doc = openapi_document(_base(request), ids)
    return _json(doc, "application/vnd.oai.openapi+json;version=3.0")


@router.get("/collections")
def collections(request: Request, who: CurrentPrincipal) -> Response:
    """All collections the caller may see."""
    base = _base(request)
    with db_of(request).read() as conn:
        found = [
            ogc.collection(ly, ogc.layer_extent(conn, ly.id), base) for ly in _readable(conn, who)
        ]
    doc = {
        "links": [
            {"href": f"{base}/collections?f=json", "rel": "self", "type": _JSON},
            {"href": f"{base}/collections?f=html", "rel": "alternate", "type": "text/html"},
        ],
        "collections": found,
    }
    if _format(request) == "html":
        return _html(request, pages.collections, doc, base)
    return _json(doc)


@router.get("/collections/{layer_id}")
def collection(request: Request, layer: ReadableLayer, db: Db) -> Response:
    """One collection."""
    base = _base(request)
    with db.read() as conn:
        doc = ogc.collection(layer, ogc.layer_extent(conn, layer.id), base)
    if _format(request) == "html":
        return _html(request, pages.collection, doc, base)
    return _json(doc)


@router.get("/collections/{layer_id}/queryables")
def queryables(request: Request, layer: ReadableLayer) -> Response:
    """What can be filtered on (JSON Schema)."""
    doc = layer_queryables(layer, _base(request))
    return _json(doc, "application/schema+json")


def _page_url(request: Request, offset: int, limit: int) -> str:
    return str(request.url.include_query_params(offset=offset, limit=limit))


@router.get("/collections/{layer_id}/items")
def items(request: Request, layer: ReadableLayer, db: Db) -> Response:
    """Features of a collection: bbox, datetime (as of), crs, property=value, paging."""
    fmt = _format(request, ogc.GEOJSON)
    params = _params(request)
    params.pop("f", None)
    with db.read(snapshot=False) as conn:
        query = ogc.parse_items_query(params, layer, db.port)
        page = ogc.find_page(db, conn, layer, query)
    more = query.offset + page.returned < page.matched
    next_url = _page_url(request, query.offset + query.limit, query.limit) if more else None
    prev_url = (
        _page_url(request, max(0, query.offset - query.limit), query.limit)
        if query.offset
        else None
    )
    headers = {"Content-Crs": f"<{query.crs.uri}>"}
    body = ogc.items_document(
        page,
        self_url=str(request.url),
        next_url=next_url,
        prev_url=prev_url,
    )
    if fmt == "html":
        doc = orjson.loads(body)
        response = _html(
            request,
            pages.items,
            layer,
            doc["features"],
            doc["links"],
            _base(request),
            wgs84=query.crs.is_storage,
        )
        response.headers.update(headers)
        return response
    return Response(body, media_type=ogc.GEOJSON, headers=headers)


@router.get("/collections/{layer_id}/items/{fid:path}")
def item(request: Request, layer: ReadableLayer, fid: str, db: Db) -> Response:
    """One feature, with its ETag (the version it is at)."""
    fmt = _format(request, ogc.GEOJSON)
    params = _params(request)
    ogc.check_item_params(params)
    target = ocrs.parse_crs(params.get("crs"))
    with db.read(snapshot=False) as conn:
        row = queries.one_feature(
            db, conn, layer.id, fid, qp.parse_datetime(params.get("datetime"))
        )
    body = ogc.feature_json(row, target, _base(request), layer.id)
    headers = {"Content-Crs": f"<{target.uri}>", "ETag": etag_of(row)}
    if request.headers.get("if-none-match") == headers["ETag"]:
        return Response(status_code=304, headers=headers)
    if fmt == "html":
        response = _html(
            request, pages.item, layer, orjson.loads(body), _base(request), wgs84=target.is_storage
        )
        response.headers.update(headers)
        return response
    return Response(body, media_type=ogc.GEOJSON, headers=headers)


# -- Part 4: create, replace, update, delete ----------------------------------------------


def _hook(request: Request, who: Principal, layer_id: str) -> edits.AuditHook:
    client = client_address(request)

    def record(conn: Connection, action: str, fid: str) -> None:
        audit(conn, who, action, layer_id=layer_id, feature_id=fid, client=client)

    return record


def _writable(request: Request, layer_id: str, who: Principal, action: str) -> None:
    with db_of(request).read() as conn:
        layer = get_layer(conn, layer_id)
    require_edit_audited(request, who, layer, action)


_GEOJSON_IN = ("application/geo+json", "application/json")


@router.post("/collections/{layer_id}/items")
async def create_item(request: Request, layer_id: str, who: CurrentPrincipal) -> Response:
    """Add a feature (201, with its Location and ETag)."""
    doc = await json_body(request, _GEOJSON_IN)
    await run_in_threadpool(_writable, request, layer_id, who, "create")
    row = await run_in_threadpool(
        edits.create_feature,
        db_of(request),
        layer_id,
        doc,
        who.actor,
        _hook(request, who, layer_id),
    )
    url = f"{_base(request)}/collections/{layer_id}/items/{quote(row.fid, safe='')}"
    return Response(status_code=201, headers={"Location": url, "ETag": etag_of(row)})


async def _replace(
    request: Request, layer_id: str, fid: str, who: Principal, *, merge: bool
) -> Response:
    kinds = (*_GEOJSON_IN, "application/merge-patch+json") if merge else _GEOJSON_IN
    doc = await json_body(request, kinds)
    action = "update" if merge else "replace"
    await run_in_threadpool(_writable, request, layer_id, who, action)
    row = await run_in_threadpool(
        lambda: edits.replace_feature(
            db_of(request),
            layer_id,
            fid,
            doc,
            who.actor,
            request.headers.get("if-match"),
            merge=merge,
            audit=_hook(request, who, layer_id),
        )
    )
    return Response(status_code=204, headers={"ETag": etag_of(row)})


@router.put("/collections/{layer_id}/items/{fid:path}")
async def replace_item(
    request: Request, layer_id: str, fid: str, who: CurrentPrincipal
) -> Response:
    """Replace a feature; with If-Match, only if it is still the version read."""
    return await _replace(request, layer_id, fid, who, merge=False)


@router.patch("/collections/{layer_id}/items/{fid:path}")
async def update_item(request: Request, layer_id: str, fid: str, who: CurrentPrincipal) -> Response:
    """Change part of a feature (JSON Merge Patch)."""
    return await _replace(request, layer_id, fid, who, merge=True)


@router.delete("/collections/{layer_id}/items/{fid:path}")
async def delete_item(request: Request, layer_id: str, fid: str, who: CurrentPrincipal) -> Response:
    """Delete a feature; with If-Match, only if it is still the version read."""
    await run_in_threadpool(_writable, request, layer_id, who, "delete")
    await run_in_threadpool(
        edits.delete_feature,
        db_of(request),
        layer_id,
        fid,
        who.actor,
        request.headers.get("if-match"),
        _hook(request, who, layer_id),
    )
    return Response(status_code=204)
