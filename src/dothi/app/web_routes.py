"""HTTP routes of the web pages: the map, the other pages, their scripts and styles, MapLibre.

- ``GET /map`` — the map page in the visitor's language, or (503) a bilingual page telling
  how to install MapLibre;
- ``GET /<page>`` — the capabilities' pages without a map (``/consultation``, ``/planner``);
- ``GET /static/{name}`` — the pages' own scripts and styles;
- ``GET /static/vendor/maplibre-gl/{name}`` — MapLibre GL JS from ``node_modules``;
- ``GET /api/docs`` — the API documentation (Swagger UI from ``node_modules``, no CDN), and
  ``GET /static/vendor/swagger-ui/{name}`` its files;
- ``GET /static/glyphs/{fontstack}/{range}.pbf`` — the glyphs of the map's labels.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Sequence

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, Response

from dothi.capability import Capability, Page
from dothi.errors import NotFound
from dothi.spatial.layers import list_layers
from dothi.web import (
    STATIC_DIR,
    WebSettings,
    content_security_policy,
    glyphs,
    map_page,
    maplibre_dist,
    missing_vendor_page,
    page_html,
    page_security_policy,
    swagger_file,
    vendor_file,
)
from dothi.web.pages import error_page
from dothi.web.texts import other_language
from dothi.webkit.deps import db_of
from dothi.webkit.pages import PageLanguage, page_language, page_path, root_href, switch_href

log = logging.getLogger("dothi.web")

_MEDIA_TYPES = {
    # Module scripts are refused by browsers unless served with a JavaScript type.
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".map": "application/json",
    ".png": "image/png",
}
#: The kit's own scripts and styles; capabilities add their pages' (``Capability.static``).
_KIT_FILES = (
    "map.js",
    "map.css",
    "sensors.js",
    "pages.css",
    "signin.js",
    "preview.js",
    "accounts.js",
    "accounts.css",
    "data.js",
    "data.css",
)


def _not_found() -> NotFound:
    return NotFound("Không tìm thấy tệp.", "No such file.")


def web_router(web: WebSettings, capabilities: Sequence[Capability]) -> APIRouter:
    """The routes of the map page for these settings, and of the capabilities' pages."""
    router = APIRouter(include_in_schema=False)
    files = {name: STATIC_DIR / name for name in _KIT_FILES}
    for capability in capabilities:
        files.update((path.name, path) for path in capability.static)
    # The map shows the sensors' layer when a capability serves its API.
    sensors = any(m.prefix == "/sensors" for c in capabilities for m in c.mounts)

    @router.get("/map", response_class=HTMLResponse)
    def map_view(request: Request, lang: PageLanguage) -> HTMLResponse:
        """The map page of every layer the visitor may read, in the visitor's language."""
        with db_of(request).read() as conn:
            # Public layers only: a page load carries no token (the script asks with one).
            found = list_layers(conn)
        layers = [(ly.id, ly.title_vi, ly.title_en) for ly in found if ly.access == "public"]
        headers = {
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "no-cache",
            "Content-Language": lang,
            "Vary": "Cookie, Accept-Language",
        }
        if maplibre_dist(web) is None:
            # Told in the log with the path looked at; the page does not show server paths.
            log.warning("MapLibre GL JS not found under %s; run npm ci", web.vendor_dir)
            return HTMLResponse(missing_vendor_page(layers), status_code=503, headers=headers)
        headers["Content-Security-Policy"] = content_security_policy(web)
        return HTMLResponse(map_page(web, layers, lang, sensors), headers=headers)

    def other_page(page: Page, request: Request) -> HTMLResponse:
        lang = page_language(request)
        headers = {
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "no-cache",
            "Content-Security-Policy": page_security_policy(),
            "Content-Language": lang,
            # The language comes from the request: caches keep one copy per language.
            "Vary": "Cookie, Accept-Language",
        }
        switch = switch_href(request, other_language(lang)[0])
        return HTMLResponse(page_html(page.html, lang, switch), headers=headers)

    for page in (p for capability in capabilities for p in capability.pages):
        # The page's text is read per request: small, and an upgrade shows at once.
        router.add_api_route(
            f"/{page.name}", functools.partial(other_page, page), response_class=HTMLResponse
        )

    @router.api_route("/static/{name}", methods=["GET", "HEAD"])
    def own_file(name: str) -> Response:
        """The page's own script or style."""
        path = files.get(name)
        if path is None:
            raise _not_found()
        # Revalidated on each load (ETag), so that an upgrade is seen at once.
        return FileResponse(
            path,
            media_type=_MEDIA_TYPES[path.suffix],
            headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"},
        )

    @router.api_route("/static/vendor/maplibre-gl/{name}", methods=["GET", "HEAD"])
    def maplibre_file(name: str) -> Response:
        """A file of MapLibre GL JS's ``dist`` folder."""
        path = vendor_file(web, name)
        if path is None:
            raise _not_found()
        return FileResponse(
            path,
            media_type=_MEDIA_TYPES[path.suffix],
            headers={"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"},
        )

    @router.api_route("/static/vendor/swagger-ui/{name}", methods=["GET", "HEAD"])
    def swagger_ui_file(name: str) -> Response:
        """A file of Swagger UI (``swagger-ui-dist``)."""
        path = swagger_file(web, name)
        if path is None:
            raise _not_found()
        return FileResponse(
            path,
            media_type=_MEDIA_TYPES[path.suffix],
            headers={"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"},
        )

    @router.get("/api/docs", response_class=HTMLResponse)
    def api_docs(request: Request, lang: PageLanguage) -> HTMLResponse:
        """Swagger UI over the app's OpenAPI document, every file from this server."""
        if swagger_file(web, "swagger-ui-bundle.js") is None:
            log.warning("Swagger UI not found under %s; run npm ci", web.vendor_dir)
            page = error_page(
                lang,
                503,
                "Thiếu thư viện Swagger UI (gói npm swagger-ui-dist): chạy npm ci trong thư mục "
                "gốc của mã nguồn Dothi, hoặc đặt DOTHI_WEB_VENDOR. Tài liệu API vẫn đọc được "
                "ở api/openapi.json.",
                "Swagger UI (npm package swagger-ui-dist) is missing: run npm ci at the root of "
                "the Dothi source tree, or set DOTHI_WEB_VENDOR. The API document can still be "
                "read at api/openapi.json.",
                root=root_href(request),
                path=page_path(request),
            )
            return HTMLResponse(page, status_code=503)
        # Relative URLs: /api/docs → /static/…, so that a path prefix keeps working.
        vendor = "../static/vendor/swagger-ui/"
        return get_swagger_ui_html(
            openapi_url=(request.app.openapi_url or "/api/openapi.json").rsplit("/", 1)[-1],
            title="Dothi — API",
            swagger_js_url=vendor + "swagger-ui-bundle.js",
            swagger_css_url=vendor + "swagger-ui.css",
            swagger_favicon_url=vendor + "favicon-32x32.png",
            oauth2_redirect_url=None,
            # No call to validator.swagger.io: the page works without the internet.
            swagger_ui_parameters={"validatorUrl": None},
        )

    @router.api_route("/static/glyphs/{fontstack}/{glyph_range}.pbf", methods=["GET", "HEAD"])
    def glyph_range(fontstack: str, glyph_range: str) -> Response:
        """256 glyphs of the labels' font as signed distance fields (MapLibre's format)."""
        data = glyphs.glyph_pbf(fontstack, glyph_range)
        return Response(
            data,
            media_type="application/x-protobuf",
            headers={"Cache-Control": "public, max-age=86400", "X-Content-Type-Options": "nosniff"},
        )

    return router
