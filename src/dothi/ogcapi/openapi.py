"""The OpenAPI 3.0 document of the OGC API (``/ogcapi/api``), written to match responses."""

from __future__ import annotations

from typing import Any

from dothi import __version__
from dothi.ogcapi.crs import supported_uris
from dothi.params import DEFAULT_LIMIT, MAX_LIMIT, MAX_OFFSET

_LINK = {
    "type": "object",
    "required": ["href", "rel"],
    "properties": {
        "href": {"type": "string"},
        "rel": {"type": "string"},
        "type": {"type": "string"},
        "title": {"type": "string"},
    },
}
_EXCEPTION = {
    "type": "object",
    "required": ["code"],
    "properties": {"code": {"type": "string"}, "description": {"type": "string"}},
}
_GEOMETRY = {"nullable": True, "type": "object", "required": ["type"]}
_FEATURE = {
    "type": "object",
    "required": ["type", "geometry", "properties"],
    "properties": {
        "type": {"type": "string", "enum": ["Feature"]},
        "id": {"oneOf": [{"type": "string"}, {"type": "integer"}]},
        "geometry": _GEOMETRY,
        "properties": {"type": "object", "nullable": True},
        "links": {"type": "array", "items": {"$ref": "#/components/schemas/link"}},
    },
}
_COLLECTION = {
    "type": "object",
    "required": ["id", "links"],
    "properties": {
        "id": {"type": "string"},
        "title": {"type": "string"},
        "description": {"type": "string"},
        "links": {"type": "array", "items": {"$ref": "#/components/schemas/link"}},
        "extent": {"type": "object"},
        "itemType": {"type": "string"},
        "crs": {"type": "array", "items": {"type": "string"}},
        "storageCrs": {"type": "string"},
    },
}


def _param(
    name: str, schema: dict[str, Any], description: str, style: str = "form"
) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema,
        "style": style,
        "explode": False,
        "description": description,
    }


def _json(schema: dict[str, Any], media: str = "application/json") -> dict[str, Any]:
    return {"content": {media: {"schema": schema}, "text/html": {"schema": {"type": "string"}}}}


def _responses(ok: dict[str, Any], *errors: int) -> dict[str, Any]:
    out: dict[str, Any] = {"200": {"description": "OK", **ok}}
    for code in errors:
        out[str(code)] = {
            "description": "Lỗi / error",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/exception"}}},
        }
    return out


def _errors(*codes: int) -> dict[str, Any]:
    return {
        str(code): {
            "description": "Lỗi / error",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/exception"}}},
        }
        for code in codes
    }


_MVT = "application/vnd.mapbox-vector-tile"


def _tile_paths(cid: dict[str, Any]) -> dict[str, Any]:
    """Vector tiles (one layer, or a tileset of several) and their TileJSON."""
    zxy = [
        {"name": n, "in": "path", "required": True, "schema": {"type": "integer", "minimum": 0}}
        for n in ("z", "x", "y")
    ]
    chosen = _param("collections", {"type": "string"}, "Mã lớp, cách nhau bằng dấu phẩy / ids")
    when = _param("datetime", {"type": "string"}, "Trạng thái tại thời điểm / state as of")
    tile = {
        "200": {"description": "Mapbox Vector Tile", "content": {_MVT: {"schema": {}}}},
        "204": {"description": "Ô trống / empty tile"},
        "304": {"description": "Không đổi (If-None-Match) / not modified"},
        **_errors(400, 404),
    }
    tilejson = {
        "200": {"description": "TileJSON 3.0.0", **_json({"type": "object"})},
        "304": {"description": "Không đổi (If-None-Match) / not modified"},
        **_errors(400, 404),
    }

    def get(op: str, params: list[dict[str, Any]], responses: dict[str, Any]) -> dict[str, Any]:
        return {"get": {"operationId": op, "parameters": params, "responses": responses}}

    return {
        "/collections/{collectionId}/tiles/WebMercatorQuad": get("layerTileJSON", [cid], tilejson),
        "/collections/{collectionId}/tiles/WebMercatorQuad/{z}/{x}/{y}": get(
            "layerTile", [cid, *zxy, when], tile
        ),
        "/tiles/WebMercatorQuad": get("tilesetTileJSON", [chosen], tilejson),
        "/tiles/WebMercatorQuad/{z}/{x}/{y}": get("tilesetTile", [*zxy, chosen, when], tile),
    }


def openapi_document(base: str, collection_ids: list[str]) -> dict[str, Any]:
    """The document for the current collections (their ids are listed as an enum)."""
    fmt = _param("f", {"type": "string", "enum": ["json", "html"]}, "Định dạng / format")
    crs = _param("crs", {"type": "string", "enum": supported_uris()}, "Output CRS")
    cid = {
        "name": "collectionId",
        "in": "path",
        "required": True,
        "schema": {"type": "string", "enum": collection_ids or ["none"]},
    }
    items_params = [
        fmt,
        crs,
        _param("bbox-crs", {"type": "string", "enum": supported_uris()}, "CRS of bbox"),
        _param(
            "limit",
            {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
            "Số đối tượng mỗi trang / page size",
        ),
        _param(
            "offset",
            {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET, "default": 0},
            "Paging offset",
        ),
        _param(
            "bbox",
            {"type": "array", "minItems": 4, "maxItems": 6, "items": {"type": "number"}},
            "minX,minY,maxX,maxY",
        ),
        _param("datetime", {"type": "string"}, "Trạng thái tại thời điểm / state as of"),
        _param("filter", {"type": "string"}, "CQL2 filter"),
        _param("filter-lang", {"type": "string", "enum": ["cql2-text", "cql2-json"]}, "CQL2"),
        _param("filter-crs", {"type": "string", "enum": supported_uris()}, "CRS of filter"),
    ]
    fid = {"name": "featureId", "in": "path", "required": True, "schema": {"type": "string"}}
    if_match = {"name": "If-Match", "in": "header", "required": False, "schema": {"type": "string"}}
    body = {
        "required": True,
        "content": {
            "application/geo+json": {"schema": {"$ref": "#/components/schemas/feature"}},
            "application/json": {"schema": {"$ref": "#/components/schemas/feature"}},
        },
    }
    patch_body = {
        "required": True,
        "content": {"application/merge-patch+json": {"schema": {"type": "object"}}},
    }
    write_errors = _errors(400, 401, 403, 404, 412, 415)
    fc = {
        "type": "object",
        "required": ["type", "features"],
        "properties": {
            "type": {"type": "string", "enum": ["FeatureCollection"]},
            "features": {"type": "array", "items": {"$ref": "#/components/schemas/feature"}},
            "links": {"type": "array", "items": {"$ref": "#/components/schemas/link"}},
            "numberMatched": {"type": "integer", "minimum": 0},
            "numberReturned": {"type": "integer", "minimum": 0},
            "timeStamp": {"type": "string", "format": "date-time"},
        },
    }
    landing = {
        "type": "object",
        "required": ["links"],
        "properties": {"links": {"type": "array", "items": {"$ref": "#/components/schemas/link"}}},
    }
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Dothi OGC API – Features",
            "version": __version__,
            "description": "Cơ sở dữ liệu không gian đô thị / urban spatial database",
            "license": {"name": "Apache-2.0"},
        },
        "servers": [{"url": base}],
        "paths": {
            "/": {
                "get": {
                    "operationId": "landingPage",
                    "parameters": [fmt],
                    "responses": _responses(_json(landing), 400),
                }
            },
            "/conformance": {
                "get": {
                    "operationId": "conformance",
                    "parameters": [fmt],
                    "responses": _responses(
                        _json(
                            {
                                "type": "object",
                                "required": ["conformsTo"],
                                "properties": {
                                    "conformsTo": {"type": "array", "items": {"type": "string"}}
                                },
                            }
                        ),
                        400,
                    ),
                }
            },
            "/collections": {
                "get": {
                    "operationId": "collections",
                    "parameters": [fmt],
                    "responses": _responses(
                        _json(
                            {
                                "type": "object",
                                "required": ["links", "collections"],
                                "properties": {
                                    "links": {
                                        "type": "array",
                                        "items": {"$ref": "#/components/schemas/link"},
                                    },
                                    "collections": {
                                        "type": "array",
                                        "items": {"$ref": "#/components/schemas/collection"},
                                    },
                                },
                            }
                        ),
                        400,
                    ),
                }
            },
            "/collections/{collectionId}": {
                "get": {
                    "operationId": "collection",
                    "parameters": [cid, fmt],
                    "responses": _responses(
                        _json({"$ref": "#/components/schemas/collection"}), 400, 404
                    ),
                }
            },
            "/collections/{collectionId}/items": {
                "get": {
                    "operationId": "items",
                    "parameters": [cid, *items_params],
                    "responses": _responses(_json(fc, "application/geo+json"), 400, 404),
                },
                "post": {
                    "operationId": "createItem",
                    "parameters": [cid],
                    "requestBody": body,
                    "responses": {
                        "201": {"description": "Đã tạo / created"},
                        **_errors(400, 401, 403, 404, 409, 415),
                    },
                },
            },
            "/collections/{collectionId}/queryables": {
                "get": {
                    "operationId": "queryables",
                    "parameters": [cid],
                    "responses": _responses(
                        {"content": {"application/schema+json": {"schema": {"type": "object"}}}},
                        404,
                    ),
                }
            },
            "/collections/{collectionId}/items/{featureId}": {
                "get": {
                    "operationId": "item",
                    "parameters": [
                        cid,
                        {
                            "name": "featureId",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string"},
                        },
                        fmt,
                        crs,
                        _param("datetime", {"type": "string"}, "as of"),
                    ],
                    "responses": _responses(
                        _json({"$ref": "#/components/schemas/feature"}, "application/geo+json"),
                        400,
                        404,
                    ),
                },
                "put": {
                    "operationId": "replaceItem",
                    "parameters": [cid, fid, if_match],
                    "requestBody": body,
                    "responses": {"204": {"description": "Đã thay / replaced"}, **write_errors},
                },
                "patch": {
                    "operationId": "updateItem",
                    "parameters": [cid, fid, if_match],
                    "requestBody": patch_body,
                    "responses": {"204": {"description": "Đã sửa / updated"}, **write_errors},
                },
                "delete": {
                    "operationId": "deleteItem",
                    "parameters": [cid, fid, if_match],
                    "responses": {"204": {"description": "Đã xóa / deleted"}, **write_errors},
                },
            },
            **_tile_paths(cid),
        },
        "components": {
            "schemas": {
                "link": _LINK,
                "exception": _EXCEPTION,
                "feature": _FEATURE,
                "collection": _COLLECTION,
            }
        },
    }
