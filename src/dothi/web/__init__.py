"""The web pages kit: the map (trang bản đồ) with its settings and MapLibre GL JS, the
styles and sign-in script every page shares, and the security policy of the pages without a
map (which the capabilities bring: consultation, planner). The site's own pages (home, help,
errors) are in :mod:`dothi.web.pages`.

MapLibre GL JS and Swagger UI (the API documentation page) come from the npm registry
(``package.json`` and its lockfile at the root of the repository, installed by ``npm ci``)
and are served from ``node_modules``; nothing of them is copied into the repository.
:mod:`dothi.app.web_routes` is the HTTP adapter.
"""

from __future__ import annotations

import html
import json
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from string import Template
from urllib.parse import quote, urlsplit

from dothi.errors import ConfigError
from dothi.i18n import Language
from dothi.web.texts import map_text, other_language

#: The folder of the pages' scripts and styles.
STATIC_DIR = Path(__file__).parent / "static"
_TEMPLATE = Path(__file__).parent / "templates" / "map.html"
#: The repository root when Dothi runs from a checkout (an editable install).
_REPO_ROOT = Path(__file__).resolve().parents[3]
#: MapLibre GL JS 6 is an ES module that loads its worker from beside itself: these are
#: the only files of its ``dist`` folder the page needs (plus their source maps).
_VENDOR_FILE = re.compile(r"maplibre-gl(-worker|-shared)?\.(mjs|css)(\.map)?")
MAPLIBRE_ENTRY = "maplibre-gl.mjs"
#: The files of Swagger UI (npm ``swagger-ui-dist``) the API documentation page loads.
SWAGGER_FILES = frozenset({"swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png"})


@dataclass(frozen=True)
class WebSettings:
    """Settings of the map page (``DOTHI_WEB_VENDOR``, ``DOTHI_BASEMAP_URL``)."""

    #: The ``node_modules`` folder holding ``maplibre-gl``.
    vendor_dir: Path
    #: A raster tile template (with ``{z}``) or a MapLibre style URL; empty: no basemap.
    basemap_url: str = ""


def load_web_settings(env: dict[str, str] | None = None) -> WebSettings:
    """Read the map page's settings from ``env`` (default: the process environment)."""
    env = dict(os.environ if env is None else env)
    vendor = env.get("DOTHI_WEB_VENDOR", "").strip()
    vendor_dir = Path(vendor).expanduser().resolve() if vendor else _REPO_ROOT / "node_modules"
    basemap = env.get("DOTHI_BASEMAP_URL", "").strip()
    if basemap:
        parts = urlsplit(basemap)
        # Anything else (javascript:, data:, a bare host) would be a mistake or an attack.
        if not (parts.scheme in ("http", "https") and parts.netloc) and not (
            basemap.startswith("/") and not basemap.startswith("//")
        ):
            raise ConfigError(
                "DOTHI_BASEMAP_URL phải là địa chỉ http(s):// hoặc đường dẫn bắt đầu bằng /.",
                "DOTHI_BASEMAP_URL must be an http(s):// address or a path starting with /.",
            )
    return WebSettings(vendor_dir=vendor_dir, basemap_url=basemap)


def maplibre_dist(web: WebSettings) -> Path | None:
    """The ``maplibre-gl/dist`` folder if MapLibre GL JS is installed, else None."""
    dist = web.vendor_dir / "maplibre-gl" / "dist"
    return dist if (dist / MAPLIBRE_ENTRY).is_file() else None


def vendor_file(web: WebSettings, name: str) -> Path | None:
    """A file of MapLibre's ``dist`` folder the page may load, or None (unknown or missing)."""
    dist = maplibre_dist(web)
    if dist is None or not _VENDOR_FILE.fullmatch(name):
        return None
    path = dist / name
    return path if path.is_file() else None


def swagger_file(web: WebSettings, name: str) -> Path | None:
    """A file of Swagger UI (``swagger-ui-dist``) the API documentation page loads, or None
    (not one of them, or not installed)."""
    if name not in SWAGGER_FILES:
        return None
    path = web.vendor_dir / "swagger-ui-dist" / name
    return path if path.is_file() else None


def basemap(web: WebSettings) -> dict[str, str] | None:
    """``{"kind": "raster" | "style", "url": …}`` for the page, or None without a basemap."""
    if not web.basemap_url:
        return None
    kind = "raster" if "{z}" in web.basemap_url else "style"
    return {"kind": kind, "url": web.basemap_url}


def content_security_policy(web: WebSettings) -> str:
    """The page's CSP: only Dothi's own scripts; the basemap's host for images and data."""
    extra = ""
    parts = urlsplit(web.basemap_url)
    if parts.scheme and parts.netloc:
        extra = f" {parts.scheme}://{parts.netloc}"
        if "{z}" not in web.basemap_url:
            # A style names its own tile, sprite and glyph hosts, which we cannot know.
            extra += " https:"
    return (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        f"img-src 'self' data: blob:{extra}; connect-src 'self'{extra}; "
        # MapLibre starts its worker from a blob: URL that imports the worker module.
        "worker-src 'self' blob:; child-src blob:; object-src 'none'; base-uri 'self'; "
        "frame-ancestors 'self'"
    )


def page_security_policy() -> str:
    """The CSP of the capabilities' pages: Dothi's own files and API only (a small MapLibre
    map, as on the consultation page, starts its worker from a blob: URL)."""
    return (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
        "connect-src 'self'; worker-src 'self' blob:; child-src blob:; object-src 'none'; "
        "base-uri 'self'; form-action 'self'; frame-ancestors 'self'"
    )


#: An element with text only whose English the file gives beside it: ``<h2 data-en="…">``.
_DATA_EN = re.compile(
    r'(<(?P<tag>[a-z][a-z0-9]*)\b[^<>]*?\sdata-en="(?P<en>[^"]*)"[^<>]*>)[^<]*(?=</(?P=tag)>)'
)
_START_TAG = re.compile(r"<[a-z][a-z0-9]*\b[^<>]*>")
_PLACEHOLDER = re.compile(r'(\splaceholder=")[^"]*(")')
_EN_PLACEHOLDER = re.compile(r'\sdata-en-placeholder="([^"]*)"')
#: The page's switch to the other language.
_LANGUAGE_LINK = re.compile(r'<a id="language"[^<>]*>[^<]*</a>')


def _english_placeholder(tag: re.Match[str]) -> str:
    text = tag.group(0)
    english = _EN_PLACEHOLDER.search(text)
    if english is None:
        return text
    return _PLACEHOLDER.sub(lambda m: m.group(1) + english.group(1) + m.group(2), text, count=1)


def page_html(path: Path, lang: str = "vi", switch: str | None = None) -> str:
    """The HTML of a capability's page (e.g. ``planner``) in the visitor's language.

    The file is written in Vietnamese; ``<html lang>`` says the page's language, and for an
    English page the texts the file gives in English too (``data-en``,
    ``data-en-placeholder``) are written in English here, so that the page shows one
    language from its first paint, before its script runs. ``switch``: the link to this
    page in the other language (:func:`dothi.webkit.pages.switch_href`), which the
    page's ``<a id="language">`` becomes.
    """
    text = path.read_text(encoding="utf-8")
    page_lang: Language = "en" if lang == "en" else "vi"
    text = text.replace('<html lang="vi">', f'<html lang="{page_lang}">', 1)
    if page_lang == "en":
        # Entities of the attribute (&amp;, &quot;) mean the same as element text.
        text = _DATA_EN.sub(lambda m: m.group(1) + m.group("en"), text)
        text = _START_TAG.sub(_english_placeholder, text)
    if switch is not None:
        other, name = other_language(page_lang)
        link = (
            f'<a id="language" href="{html.escape(switch)}" lang="{other}" '
            f'hreflang="{other}">{name}</a>'
        )
        text = _LANGUAGE_LINK.sub(lambda _: link, text, count=1)
    return text


def layer_items(layers: Sequence[tuple[str, str, str]], lang: Language = "vi") -> str:
    """``<li>`` items of ``(id, title_vi, title_en)``, each a link to the layer's items.

    The page shows these before its script runs (and without JavaScript); the script
    then puts its own list, with checkboxes, in their place.
    """
    if not layers:
        return f'<li class="muted">{html.escape(map_text(lang)["no_layers"])}</li>'
    return "\n".join(
        f'<li data-layer="{html.escape(lid)}"><a href="ogcapi/collections/'
        f'{html.escape(quote(lid, safe=""))}/items?f=html">'
        f"{html.escape(en if lang == 'en' and en else vi)}</a></li>"
        for lid, vi, en in layers
    )


def map_page(
    web: WebSettings,
    layers: Sequence[tuple[str, str, str]],
    lang: Language,
    sensors: bool = False,
) -> str:
    """The HTML of the map page in ``lang``, with its configuration as inert JSON;
    ``sensors``: the sensors' API (``/sensors``) is mounted, so the page shows them."""
    text = map_text(lang)
    doc = {"basemap": basemap(web), "lang": lang, "text": text, "sensors": sensors}
    config = json.dumps(doc, ensure_ascii=False)
    # "<" escaped so that no value can close the <script> element holding the JSON.
    config = config.replace("<", "\\u003c")
    other, other_name = other_language(lang)
    page = Template(_TEMPLATE.read_text(encoding="utf-8"))
    words = {key: html.escape(value) for key, value in text.items()}
    return page.substitute(
        words,
        lang=lang,
        other_lang=other,
        other_language=other_name,
        config=config,
        layers=layer_items(layers, lang),
    )


def missing_vendor_page(layers: Sequence[tuple[str, str, str]]) -> str:
    """A bilingual page saying that MapLibre GL JS is not installed and how to install it."""
    title = "Thiếu thư viện bản đồ / Map library missing"
    return (
        '<!doctype html><html lang="vi"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<link rel="icon" href="data:,"><title>Dothi — {html.escape(title)}</title>'
        "<style>body{font-family:system-ui,sans-serif;max-width:44rem;margin:2rem auto;"
        "padding:0 1rem;line-height:1.5}[lang=en]{color:#555}code{background:#eee;"
        "padding:0 .2em}</style></head><body>"
        "<h1>Thiếu thư viện bản đồ MapLibre GL JS</h1>"
        "<p>Trang bản đồ cần gói npm <code>maplibre-gl</code> trong <code>node_modules</code> "
        "của mã nguồn Dothi. Chạy <code>./scripts/dev.sh setup</code> (hoặc <code>npm ci</code> "
        "trong thư mục gốc của mã nguồn), hoặc đặt <code>DOTHI_WEB_VENDOR</code> là thư mục "
        "<code>node_modules</code> đã cài, rồi tải lại trang.</p>"
        '<p lang="en"><b>The MapLibre GL JS map library is missing.</b> The map page needs the '
        "npm package <code>maplibre-gl</code> in the <code>node_modules</code> folder of the "
        "Dothi source tree. Run <code>./scripts/dev.sh setup</code> (or <code>npm ci</code> "
        "at the root of the source tree), or set <code>DOTHI_WEB_VENDOR</code> to an installed "
        "<code>node_modules</code> folder, then reload the page.</p>"
        '<p>Dữ liệu vẫn đọc được qua <a href="ogcapi">OGC API</a>. '
        '<span lang="en">The data can still be read through the OGC API.</span></p>'
        f"<ul>{layer_items(layers)}</ul></body></html>"
    )
