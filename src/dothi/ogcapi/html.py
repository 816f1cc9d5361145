"""HTML encodings of the OGC API documents: pages in one language at a time (the visitor's),
with values as people read them (field titles and code labels of the layer's schema,
Vietnamese numbers), a map preview of the features, and links back up (item → collection →
landing page → the site's home).

The map preview is ``static/preview.js`` (MapLibre GL JS from ``static/vendor``) drawing the
GeoJSON the page carries as inert JSON, or that it reads from the collection's items.
"""

from __future__ import annotations

import html
import json
from typing import Any
from urllib.parse import quote

from dothi.i18n import Language, format_number
from dothi.spatial.labels import display_value, field_title, labelled_properties
from dothi.spatial.layers import Layer

#: The pages' security policy: the site's own files only; MapLibre starts its worker from
#: a blob: URL.
SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; connect-src 'self'; worker-src 'self' blob:; "
    "child-src blob:; object-src 'none'; base-uri 'self'; frame-ancestors 'self'"
)
#: Features a collection's preview reads (the first page of its items).
PREVIEW_LIMIT = 1000
_OTHER: dict[Language, tuple[Language, str]] = {"vi": ("en", "English"), "en": ("vi", "Tiếng Việt")}


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def _t(lang: Language, vi: str, en: str) -> str:
    return en if lang == "en" else vi


def _root(base: str) -> str:
    """The site's root (``…/``) from the API's base URL (``…/ogcapi``)."""
    return base[: -len("/ogcapi")] + "/" if base.endswith("/ogcapi") else base + "/../"


def _script_json(doc: Any) -> str:
    # "<" escaped so that no value can close the <script> element holding the JSON.
    return json.dumps(doc, ensure_ascii=False).replace("<", "\\u003c")


def page(
    title: str,
    body: str,
    base: str,
    *,
    lang: Language = "vi",
    path: str = "/ogcapi",
    trail: list[tuple[str, str]] | None = None,
    preview: dict[str, Any] | None = None,
) -> str:
    """A whole page around ``body`` (already escaped HTML).

    ``path`` is the page's path within the site (for the language switch); ``trail`` the
    links back up, ``(href, text)``, from the top; ``preview`` the map preview's data.
    """
    root = _root(base)
    other, name = _OTHER[lang]
    switch = f"{root}language/{other}?next={quote(path, safe='/')}"
    crumbs = [(root, "Dothi"), (f"{base}?f=html", "OGC API"), *(trail or [])]
    nav = " › ".join(f'<a href="{_e(href)}">{_e(text)}</a>' for href, text in crumbs)
    head = ""
    map_part = ""
    if preview is not None:
        head = (
            f'<link rel="stylesheet" href="{_e(root)}static/vendor/maplibre-gl/maplibre-gl.css">\n'
            f'<script type="module" src="{_e(root)}static/preview.js"></script>\n'
        )
        label = _t(lang, "Bản đồ xem trước", "Map preview")
        map_part = (
            f'<script type="application/json" id="preview-data">{_script_json(preview)}</script>'
            f'<div id="preview" class="preview" role="img" aria-label="{label}"></div>\n'
        )
    return (
        f'<!doctype html>\n<html lang="{lang}"><head><meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<title>{_e(title)} — Dothi OGC API</title>\n<link rel="icon" href="data:,">\n'
        f'<link rel="stylesheet" href="{_e(root)}static/pages.css">\n{head}</head>\n<body>\n'
        f'<header class="top site"><nav class="trail" aria-label="'
        f'{_t(lang, "Đường dẫn", "Breadcrumb")}">{nav}</nav>\n'
        f'<a class="lang-switch" href="{_e(switch)}" hreflang="{other}" lang="{other}">{name}</a>'
        f'</header>\n<main class="ogc">\n<h1>{_e(title)}</h1>\n{map_part}{body}\n</main>\n'
        "</body></html>\n"
    )


_REL_TITLES = {
    "self": ("Tài liệu này (JSON)", "This document (JSON)"),
    "service-desc": ("Mô tả API (OpenAPI 3.0)", "API definition (OpenAPI 3.0)"),
    "conformance": ("Các chuẩn được đáp ứng", "Conformance classes"),
    "data": ("Các lớp dữ liệu", "Collections"),
    "items": ("Các đối tượng", "Items"),
    "next": ("Trang sau", "Next page"),
    "prev": ("Trang trước", "Previous page"),
    "collection": ("Lớp dữ liệu", "Collection"),
}


def links_list(links: list[dict[str, str]], lang: Language = "vi") -> str:
    """The links of a document as a list, each named in ``lang`` by its relation."""
    items = []
    for x in links:
        vi, en = _REL_TITLES.get(x["rel"], (x.get("title") or x["rel"],) * 2)
        kind = "HTML" if x.get("type") == "text/html" else x.get("type", "")
        items.append(
            f'<li><a href="{_e(x["href"])}">{_e(_t(lang, vi, en))}</a> '
            f'<span class="muted">({_e(kind)})</span></li>'
        )
    return f'<ul class="links">{"".join(items)}</ul>'


def landing(doc: dict[str, Any], base: str, lang: Language = "vi", path: str = "/ogcapi") -> str:
    """The landing page as HTML."""
    title = _t(lang, "Dữ liệu không gian đô thị", "Urban spatial data")
    body = (
        "<p>"
        + _t(
            lang,
            "Dữ liệu không gian đô thị theo chuẩn OGC API – Features: đọc được bằng trình duyệt, "
            "QGIS, GDAL/OGR hay OWSLib.",
            "Urban spatial data through OGC API – Features: readable with a browser, QGIS, "
            "GDAL/OGR or OWSLib.",
        )
        + "</p>"
        + f'<p><a href="{_e(base)}/collections?f=html">'
        + _t(lang, "Xem các lớp dữ liệu", "See the collections")
        + f'</a> · <a href="{_e(_root(base))}api/docs">'
        + _t(lang, "Tài liệu API", "API documentation")
        + "</a></p>"
        + links_list([x for x in doc["links"] if x["rel"] != "alternate"], lang)
    )
    return page(title, body, base, lang=lang, path=path)


def conformance(
    doc: dict[str, Any], base: str, lang: Language = "vi", path: str = "/ogcapi/conformance"
) -> str:
    """The conformance classes as HTML."""
    items = "".join(f"<li><code>{_e(c)}</code></li>" for c in doc["conformsTo"])
    title = _t(lang, "Các chuẩn được đáp ứng", "Conformance classes")
    return page(title, f"<ul>{items}</ul>", base, lang=lang, path=path)


def collections(
    doc: dict[str, Any], base: str, lang: Language = "vi", path: str = "/ogcapi/collections"
) -> str:
    """The list of collections as HTML."""
    rows = "".join(
        f'<tr><td><a href="{_e(base)}/collections/{_e(quote(c["id"], safe=""))}?f=html">'
        f"{_e(_t(lang, c['title'], c.get('x-title-en') or c['title']))}</a></td>"
        f"<td><code>{_e(c['id'])}</code></td></tr>"
        for c in doc["collections"]
    )
    head = _t(lang, "<th>Lớp dữ liệu</th><th>Mã</th>", "<th>Collection</th><th>Id</th>")
    body = f'<div class="scroll"><table><tr>{head}</tr>{rows}</table></div>'
    return page(_t(lang, "Các lớp dữ liệu", "Collections"), body, base, lang=lang, path=path)


def _collection_trail(
    base: str, layer_id: str, title: str, lang: Language
) -> list[tuple[str, str]]:
    return [
        (f"{base}/collections?f=html", _t(lang, "Các lớp dữ liệu", "Collections")),
        (f"{base}/collections/{quote(layer_id, safe='')}?f=html", title),
    ]


def _bbox_text(bbox: list[float], lang: Language) -> str:
    west, south, east, north = (format_number(v, digits=5, lang=lang) for v in bbox)
    return _t(
        lang,
        f"kinh độ {west} đến {east}, vĩ độ {south} đến {north}",
        f"longitude {west} to {east}, latitude {south} to {north}",
    )


def collection(
    doc: dict[str, Any], base: str, lang: Language = "vi", path: str = "/ogcapi/collections"
) -> str:
    """One collection as HTML, with a map preview of its first items."""
    title = _t(lang, doc["title"], doc.get("x-title-en") or doc["title"])
    bbox = (doc.get("extent") or {}).get("spatial", {}).get("bbox", [None])[0]
    items_url = f"{base}/collections/{quote(doc['id'], safe='')}/items"
    rows = [
        (_t(lang, "Mã", "Id"), f"<code>{_e(doc['id'])}</code>"),
        (_t(lang, "Phạm vi", "Extent"), _e(_bbox_text(bbox, lang) if bbox else "–")),
        (_t(lang, "Giấy phép", "Licence"), _e(doc.get("x-license") or "–")),
        (_t(lang, "Nguồn", "Attribution"), _e(doc.get("x-attribution") or "–")),
    ]
    table = "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in rows)
    body = (
        (f"<p>{_e(doc['description'])}</p>" if lang == "vi" and doc.get("description") else "")
        + f'<table class="props">{table}</table>'
        + f'<p><a href="{_e(items_url)}?f=html">'
        + _t(lang, "Xem các đối tượng", "See the items")
        + f'</a> · <a href="{_e(items_url)}?f=json">GeoJSON</a></p>'
    )
    preview = {"url": f"{items_url}?f=json&limit={PREVIEW_LIMIT}", "bbox": bbox}
    trail = _collection_trail(base, doc["id"], title, lang)[:1]
    return page(title, body, base, lang=lang, path=path, trail=trail, preview=preview)


def _preview(features: list[dict[str, Any]], wgs84: bool) -> dict[str, Any] | None:
    if not wgs84:
        return None  # coordinates in another CRS cannot be drawn on a web map as they are
    drawn = [
        {"type": "Feature", "id": i, "properties": {"id": f.get("id")}, "geometry": f["geometry"]}
        for i, f in enumerate(features)
        if f.get("geometry")
    ]
    return {"features": {"type": "FeatureCollection", "features": drawn}}


def _layer_title(layer: Layer, lang: Language) -> str:
    return _t(lang, layer.title_vi, layer.title_en or layer.title_vi)


def items(
    layer: Layer,
    features: list[dict[str, Any]],
    links: list[dict[str, str]],
    base: str,
    lang: Language = "vi",
    path: str = "/ogcapi/collections",
    *,
    wgs84: bool = True,
) -> str:
    """A page of features as a table of their properties, labelled, with a map preview."""
    schema = layer.property_schema
    names: list[str] = []
    for f in features:
        names += [k for k in f["properties"] if k not in names and k != "fid"]
    order = list((schema.get("properties") or {}).keys())
    names.sort(key=lambda n: order.index(n) if n in order else len(order))
    head = "".join(
        f'<th scope="col">{_e(field_title(layer.id, schema, n, lang))}</th>' for n in names
    )
    item_base = f"{base}/collections/{quote(layer.id, safe='')}/items"
    rows = "".join(
        "<tr>"
        + f'<td><a href="{_e(item_base)}/{_e(quote(str(f["id"]), safe=""))}?f=html">'
        + f"{_e(f['id'])}</a></td>"
        + "".join(
            f"<td>{_e(display_value(layer.id, schema, n, f['properties'].get(n), lang))}</td>"
            for n in names
        )
        + "</tr>"
        for f in features
    )
    nav = links_list([x for x in links if x["rel"] in ("next", "prev")], lang)
    ident = _t(lang, "Mã", "Id")
    body = (
        f'<p class="muted">{_t(lang, "Số đối tượng trên trang", "Items on this page")}: '
        f"{format_number(len(features), lang=lang)}</p>"
        f'<div class="scroll"><table class="items"><tr><th scope="col">{ident}</th>{head}</tr>'
        f"{rows}</table></div>{nav}"
    )
    title = _layer_title(layer, lang)
    trail = _collection_trail(base, layer.id, title, lang)
    heading = f"{title} — {_t(lang, 'các đối tượng', 'items')}"
    return page(
        heading, body, base, lang=lang, path=path, trail=trail, preview=_preview(features, wgs84)
    )


_GEOMETRY_NAMES = {
    "Point": ("Điểm", "Point"),
    "MultiPoint": ("Nhiều điểm", "Multipoint"),
    "LineString": ("Đường", "Line"),
    "MultiLineString": ("Nhiều đường", "Multiline"),
    "Polygon": ("Vùng", "Polygon"),
    "MultiPolygon": ("Nhiều vùng", "Multipolygon"),
}


def item(
    layer: Layer,
    feat: dict[str, Any],
    base: str,
    lang: Language = "vi",
    path: str = "/ogcapi/collections",
    *,
    wgs84: bool = True,
) -> str:
    """One feature: its properties, labelled, and a map preview of its geometry."""
    props = labelled_properties(layer.id, layer.property_schema, feat["properties"], lang)
    geometry = (feat.get("geometry") or {}).get("type")
    vi, en = _GEOMETRY_NAMES.get(geometry or "", (geometry or "–",) * 2)
    rows = [
        (_t(lang, "Mã", "Id"), str(feat["id"])),
        (_t(lang, "Hình học", "Geometry"), _t(lang, vi, en)),
    ]
    rows += [(title, value) for _, title, value in props]
    table = "".join(f'<tr><th scope="row">{_e(k)}</th><td>{_e(v)}</td></tr>' for k, v in rows)
    title = _layer_title(layer, lang)
    trail = _collection_trail(base, layer.id, title, lang)
    items_url = f"{base}/collections/{quote(layer.id, safe='')}/items?f=html"
    trail.append((items_url, _t(lang, "Các đối tượng", "Items")))
    body = (
        f'<table class="props">{table}</table>'
        f'<p><a href="{_e(trail[1][0])}">{_t(lang, "Về lớp dữ liệu", "Back to the collection")}: '
        f"{_e(title)}</a></p>"
    )
    preview = _preview([feat], wgs84)
    return page(
        f"{title}: {feat['id']}", body, base, lang=lang, path=path, trail=trail, preview=preview
    )
