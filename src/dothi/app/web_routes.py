"""HTTP routes of the web pages: the map, the other pages, their scripts and styles, MapLibre.

- ``GET /`` — the map page, or (503) a bilingual page telling how to install MapLibre;
- ``GET /<page>`` — the capabilities' pages without a map (``/consultation``, ``/planner``);
- ``GET /static/{name}`` — the pages' own scripts and styles;
- ``GET /static/vendor/maplibre-gl/{name}`` — MapLibre GL JS from ``node_modules``.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Sequence

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, Response

from dothi.capability import Capability, Page
from dothi.errors import NotFound
from dothi.i18n import LANGUAGE_COOKIE, negotiate_language
from dothi.spatial.layers import list_layers
from dothi.web import (
    STATIC_DIR,
    WebSettings,
    content_security_policy,
    map_page,
    maplibre_dist,
    missing_vendor_page,
    page_html,
    page_security_policy,
    vendor_file,
)
from dothi.webkit.deps import db_of

log = logging.getLogger("dothi.web")

_MEDIA_TYPES = {
    # Module scripts are refused by browsers unless served with a JavaScript type.
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".map": "application/json",
}
#: The kit's own scripts and styles; capabilities add their pages' (``Capability.static``).
_KIT_FILES = ("map.js", "map.css", "pages.css", "signin.js")


def _not_found() -> NotFound:
    return NotFound("Không tìm thấy tệp.", "No such file.")


def web_router(web: WebSettings, capabilities: Sequence[Capability]) -> APIRouter:
    """The routes of the map page for these settings, and of the capabilities' pages."""
    router = APIRouter(include_in_schema=False)
    files = {name: STATIC_DIR / name for name in _KIT_FILES}
    for capability in capabilities:
        files.update((path.name, path) for path in capability.static)

    @router.get("/", response_class=HTMLResponse)
    def home(request: Request) -> HTMLResponse:
        """The map page of every layer the visitor may read."""
        with db_of(request).read() as conn:
            # Public layers only: a page load carries no token (the script asks with one).
            found = list_layers(conn)
        layers = [(ly.id, ly.title_vi, ly.title_en) for ly in found if ly.access == "public"]
        headers = {"X-Content-Type-Options": "nosniff", "Cache-Control": "no-cache"}
        if maplibre_dist(web) is None:
            # Told in the log with the path looked at; the page does not show server paths.
            log.warning("MapLibre GL JS not found under %s; run npm ci", web.vendor_dir)
            return HTMLResponse(missing_vendor_page(layers), status_code=503, headers=headers)
        headers["Content-Security-Policy"] = content_security_policy(web)
        return HTMLResponse(map_page(web, layers), headers=headers)

    def other_page(page: Page, request: Request) -> HTMLResponse:
        headers = {
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "no-cache",
            "Content-Security-Policy": page_security_policy(),
            # The language comes from the request: caches keep one copy per language.
            "Vary": "Cookie, Accept-Language",
        }
        lang = negotiate_language(
            request.cookies.get(LANGUAGE_COOKIE), request.headers.get("accept-language")
        )
        return HTMLResponse(page_html(page.html, lang), headers=headers)

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

    return router
