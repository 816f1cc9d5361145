"""HTML encodings of the OGC API documents: plain pages, Vietnamese first, English beside."""

from __future__ import annotations

import html
from typing import Any

_PAGE = """<!doctype html>
<html lang="vi"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:60rem;margin:1.5rem auto;padding:0 1rem}}
table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:.25rem .5rem;text-align:left}}
.en{{color:#555}}</style></head>
<body><p><a href="{base}?f=html">Dothi OGC API</a></p><h1>{title}</h1>
{body}
</body></html>"""


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def page(title: str, body: str, base: str) -> str:
    """A whole page around ``body`` (already escaped HTML)."""
    return _PAGE.format(title=_e(title), body=body, base=_e(base))


def links_list(links: list[dict[str, str]]) -> str:
    """The links of a document as a list."""
    items = "".join(
        f'<li><a href="{_e(x["href"])}">{_e(x.get("title") or x["rel"])}</a> '
        f'<span class="en">({_e(x["rel"])}, {_e(x["type"])})</span></li>'
        for x in links
    )
    return f"<ul>{items}</ul>"


def landing(doc: dict[str, Any], base: str) -> str:
    """The landing page as HTML."""
    return page(doc["title"], f"<p>{_e(doc['description'])}</p>{links_list(doc['links'])}", base)


def conformance(doc: dict[str, Any], base: str) -> str:
    """The conformance classes as HTML."""
    items = "".join(f"<li>{_e(c)}</li>" for c in doc["conformsTo"])
    return page("Conformance", f"<ul>{items}</ul>", base)


def collections(doc: dict[str, Any], base: str) -> str:
    """The list of collections as HTML."""
    rows = "".join(
        f'<tr><td><a href="{_e(base)}/collections/{_e(c["id"])}?f=html">{_e(c["id"])}</a></td>'
        f'<td>{_e(c["title"])}</td><td class="en">{_e(c.get("x-title-en"))}</td></tr>'
        for c in doc["collections"]
    )
    body = f"<table><tr><th>Mã / id</th><th>Tên</th><th class=en>Title</th></tr>{rows}</table>"
    return page("Lớp dữ liệu / Collections", body, base)


def collection(doc: dict[str, Any], base: str) -> str:
    """One collection as HTML."""
    extent = doc.get("extent", {}).get("spatial", {}).get("bbox", [[]])[0]
    body = (
        f"<p>{_e(doc['description'])}</p>"
        f"<p>Phạm vi / extent: {_e(extent)}</p>"
        f"<p>Giấy phép / licence: {_e(doc.get('x-license'))} — {_e(doc.get('x-attribution'))}</p>"
        f"{links_list(doc['links'])}"
    )
    return page(f"{doc['title']} / {doc.get('x-title-en') or ''}", body, base)


def items(
    title: str, features: list[dict[str, Any]], links: list[dict[str, str]], base: str
) -> str:
    """A page of features as a table of their properties."""
    names: list[str] = []
    for f in features:
        names += [k for k in f["properties"] if k not in names]
    head = "".join(f"<th>{_e(n)}</th>" for n in ["id", *names])
    rows = "".join(
        "<tr>"
        + f"<td>{_e(f['id'])}</td>"
        + "".join(f"<td>{_e(f['properties'].get(n))}</td>" for n in names)
        + "</tr>"
        for f in features
    )
    nav = links_list([x for x in links if x["rel"] in ("next", "prev")])
    return page(title, f"<table><tr>{head}</tr>{rows}</table>{nav}", base)


def item(title: str, feat: dict[str, Any], base: str) -> str:
    """One feature as a table of its properties and its geometry type."""
    rows = "".join(
        f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in feat["properties"].items()
    )
    geometry = (feat.get("geometry") or {}).get("type")
    body = f"<p>Hình học / geometry: {_e(geometry)}</p><table>{rows}</table>"
    return page(f"{title}: {feat['id']}", body, base)
