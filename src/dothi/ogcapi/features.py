"""OGC API – Features Part 1 (Core) and Part 2 (CRS): documents, independent of the web app.

Each function returns plain data (dicts, bytes); :mod:`dothi.app.ogcapi_routes` turns them
into HTTP responses. Links are absolute, built from the ``base`` URL of the API.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import orjson
import shapely
from sqlalchemy import ColumnElement, Connection, func, select

from dothi import __version__
from dothi import params as qp
from dothi.db.engine import Database
from dothi.db.schema import feature
from dothi.db.spatial.base import (
    BBox,
    FeatureRow,
    GeoJSONPage,
    SpatialPort,
    as_utc,
    geojson_feature,
)
from dothi.errors import InvalidInput
from dothi.ogcapi import crs as ocrs
from dothi.ogcapi.cql2_ast import CONFORMANCE as CQL2_CONFORMANCE
from dothi.ogcapi.cql2_sql import compile_filter, parse_filter
from dothi.ogcapi.queryables import queryables
from dothi.spatial.layers import Layer

CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/create-replace-delete",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/update",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/features",
]
GEOJSON = "application/geo+json"
_BASE_PARAMS = {
    "f",
    "limit",
    "offset",
    "bbox",
    "bbox-crs",
    "datetime",
    "crs",
    "filter",
    "filter-lang",
    "filter-crs",
}
_ITEM_PARAMS = {"f", "crs", "datetime"}


def _link(href: str, rel: str, type_: str, title: str | None = None) -> dict[str, str]:
    out = {"href": href, "rel": rel, "type": type_}
    if title:
        out["title"] = title
    return out


def landing_page(base: str) -> dict[str, Any]:
    """The landing page: what this API is and where its parts are."""
    return {
        "title": "Dothi — Cơ sở dữ liệu không gian đô thị / Urban spatial database",
        "description": (
            "Dữ liệu không gian đô thị theo OGC API – Features. "
            "Urban spatial data through OGC API – Features."
        ),
        "links": [
            _link(f"{base}?f=json", "self", "application/json", "Trang này / this document"),
            _link(f"{base}?f=html", "alternate", "text/html", "HTML"),
            _link(
                f"{base}/api",
                "service-desc",
                "application/vnd.oai.openapi+json;version=3.0",
                "OpenAPI",
            ),
            _link(f"{base}/conformance", "conformance", "application/json", "Conformance"),
            _link(f"{base}/collections", "data", "application/json", "Collections"),
        ],
    }


def conformance() -> dict[str, Any]:
    """The conformance classes this server implements (CQL2's from the filter module)."""
    return {"conformsTo": [*CONFORMANCE, *CQL2_CONFORMANCE]}


@dataclass(frozen=True)
class Extent:
    """Spatial and temporal extent of a layer's current features."""

    bbox: BBox | None
    first: datetime | None


def layer_extent(conn: Connection, layer_id: str) -> Extent:
    """The bounding box of the current features and the time of the first version."""
    c = feature.c
    row = conn.execute(
        select(func.min(c.minx), func.min(c.miny), func.max(c.maxx), func.max(c.maxy)).where(
            c.layer_id == layer_id, c.valid_to.is_(None)
        )
    ).one()
    first = conn.execute(select(func.min(c.valid_from)).where(c.layer_id == layer_id)).scalar()
    bbox = None if row[0] is None else (float(row[0]), float(row[1]), float(row[2]), float(row[3]))
    return Extent(bbox, None if first is None else as_utc(first))


def collection(layer: Layer, extent: Extent, base: str) -> dict[str, Any]:
    """One collection: titles, links, extent, the CRSs it can be read in."""
    url = f"{base}/collections/{layer.id}"
    out: dict[str, Any] = {
        "id": layer.id,
        "title": layer.title_vi,
        "description": layer.description_vi or layer.title_en,
        "links": [
            _link(f"{url}?f=json", "self", "application/json", layer.title_vi),
            _link(f"{url}?f=html", "alternate", "text/html", layer.title_vi),
            _link(f"{url}/items?f=json", "items", GEOJSON, layer.title_en),
            _link(f"{url}/items?f=html", "items", "text/html", layer.title_en),
        ],
        "itemType": "feature",
        "crs": ocrs.supported_uris(),
        "storageCrs": ocrs.CRS84,
        "x-title-en": layer.title_en,
        "x-source-crs": layer.source_crs,
        "x-license": layer.license,
        "x-attribution": layer.attribution,
    }
    if extent.bbox is not None:
        out["extent"] = {
            "spatial": {"bbox": [list(extent.bbox)], "crs": ocrs.CRS84},
            "temporal": {
                "interval": [[extent.first.isoformat() if extent.first else None, None]],
                "trs": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian",
            },
        }
    return out


@dataclass
class ItemsQuery:
    """The checked parameters of an items request."""

    limit: int
    offset: int
    bbox: BBox | None
    as_of: datetime | None
    crs: ocrs.OutputCrs
    where: list[ColumnElement[bool]] = field(default_factory=list)


def _bad(vi: str, en: str) -> InvalidInput:
    return InvalidInput(vi, en, code="InvalidParameterValue")


def parse_items_query(params: Mapping[str, str], layer: Layer, port: SpatialPort) -> ItemsQuery:
    """Check the parameters of ``/items``: paging, bbox, as-of, CRS, CQL2 ``filter`` and
    property=value queries on the layer's properties."""
    props: dict[str, Any] = layer.property_schema.get("properties", {})
    unknown = [k for k in params if k not in _BASE_PARAMS and k not in props]
    if unknown:
        raise _bad(
            f"Tham số không được hỗ trợ: {', '.join(unknown)}.",
            f"Unsupported parameter(s): {', '.join(unknown)}.",
        )
    try:
        limit = int(params.get("limit", qp.DEFAULT_LIMIT))
        offset = int(params.get("offset", 0))
    except ValueError:
        raise _bad(
            "limit và offset phải là số nguyên.", "limit and offset must be integers."
        ) from None
    limit = qp.parse_limit(limit)
    offset = qp.parse_offset(offset)
    bbox_crs = ocrs.parse_crs(params.get("bbox-crs"))
    box = qp.parse_bbox(params.get("bbox"), geographic=bbox_crs.is_storage)
    if box is not None:
        box = ocrs.bbox_to_wgs84(box, bbox_crs)
    when = params.get("datetime")
    if when is not None and "/" in when:
        raise _bad(
            "datetime chỉ nhận một thời điểm (đọc dữ liệu tại thời điểm đó), không nhận khoảng.",
            "datetime takes one instant (the data as of that time), not an interval.",
        )
    query = ItemsQuery(
        limit=limit,
        offset=offset,
        bbox=box,
        as_of=qp.parse_datetime(when),
        crs=ocrs.parse_crs(params.get("crs")),
    )
    for name in props:
        if name in params:
            query.where.append(_equals(name, props[name], params[name]))
    if "filter" in params:
        expr = parse_filter(params["filter"], params.get("filter-lang", "cql2-text"))
        fields = queryables(layer, "")["properties"]
        filter_crs = ocrs.parse_crs(params.get("filter-crs")).crs
        query.where.append(
            compile_filter(expr, queryables=fields, port=port, filter_crs=filter_crs)
        )
    elif "filter-lang" in params or "filter-crs" in params:
        raise _bad(
            "filter-lang và filter-crs chỉ dùng cùng filter.",
            "filter-lang and filter-crs only go with filter.",
        )
    return query


def _equals(name: str, spec: dict[str, Any], raw: str) -> ColumnElement[bool]:
    """``property=value``: compared with the property's type."""
    types = spec.get("type", "string")
    types = {types} if isinstance(types, str) else set(types)
    value = feature.c.properties[name]
    test: ColumnElement[bool]
    try:
        if "integer" in types:
            test = value.as_integer() == int(raw)
            return test
        if "number" in types:
            test = value.as_float() == float(raw)
            return test
    except ValueError:
        raise _bad(
            f"Giá trị «{raw}» của {name} phải là số.",
            f"The value '{raw}' of {name} must be a number.",
        ) from None
    if "boolean" in types:
        if raw not in ("true", "false"):
            raise _bad(f"{name} phải là true hoặc false.", f"{name} must be true or false.")
        test = value.as_boolean() == (raw == "true")
        return test
    test = value.as_string() == raw
    return test


def feature_json(row: FeatureRow, target: ocrs.OutputCrs, base: str, layer_id: str) -> bytes:
    """One GeoJSON Feature with its links, as bytes, in the output CRS."""
    geoms = ocrs.to_output(shapely.from_wkb([row.wkb]), target)
    geometry: str | None = shapely.to_geojson(geoms).tolist()[0]
    url = f"{base}/collections/{layer_id}/items/{quote(row.fid, safe='')}"
    links = [
        _link(url, "self", GEOJSON),
        _link(f"{base}/collections/{layer_id}", "collection", "application/json"),
    ]
    return geojson_feature(row.fid, geometry, row.properties)[:-1] + (
        b',"links":' + orjson.dumps(links) + b"}"
    )


def items_document(
    page: GeoJSONPage,
    *,
    self_url: str,
    next_url: str | None,
    prev_url: str | None,
) -> bytes:
    """The FeatureCollection of one page, as bytes."""
    links = [_link(self_url, "self", GEOJSON)]
    if next_url:
        links.append(_link(next_url, "next", GEOJSON, "Trang sau / next page"))
    if prev_url:
        links.append(_link(prev_url, "prev", GEOJSON, "Trang trước / previous page"))
    head = {
        "type": "FeatureCollection",
        "numberMatched": page.matched,
        "numberReturned": page.returned,
        "timeStamp": datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z"),
        "links": links,
    }
    return orjson.dumps(head)[:-1] + b',"features":[' + page.features + b"]}"


def find_page(db: Database, conn: Connection, layer: Layer, query: ItemsQuery) -> GeoJSONPage:
    """One page of features as GeoJSON, and how many match in all."""
    target = query.crs
    return db.port.geojson_page(
        conn,
        layer.id,
        as_of=query.as_of,
        bbox=query.bbox,
        where=query.where,
        limit=query.limit,
        offset=query.offset,
        reproject=None if target.is_storage else lambda g: ocrs.to_output(g, target),
    )


def check_item_params(params: Mapping[str, str]) -> None:
    """Only ``f``, ``crs`` and ``datetime`` make sense on a single feature."""
    unknown = [k for k in params if k not in _ITEM_PARAMS]
    if unknown:
        raise _bad(
            f"Tham số không được hỗ trợ: {', '.join(unknown)}.",
            f"Unsupported parameter(s): {', '.join(unknown)}.",
        )


def version_header() -> str:
    """The server's name and version, for the landing page and headers."""
    return f"Dothi/{__version__}"
