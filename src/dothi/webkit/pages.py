"""What a page needs to know about the request: its language, whether a browser asked, and
the page's own path (for the language switch).

Every page takes its language the same way::

    @router.get("/help")
    def help_page(request: Request, lang: PageLanguage) -> HTMLResponse:
        ...

The visitor's choice (cookie ``dothi_lang``, set by ``GET /language/{vi|en}``) wins, then
``Accept-Language``, then Vietnamese (:func:`dothi.i18n.negotiate_language`).
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote, urlsplit

from fastapi import Depends, Request

from dothi.i18n import LANGUAGE_COOKIE, Language, negotiate_language

#: Media types by which an API client says it wants JSON rather than a page.
_JSON_TYPES = frozenset(
    {"application/json", "application/geo+json", "application/problem+json", "application/*"}
)
_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})


def page_language(request: Request) -> Language:
    """The language of the page for this request (``"vi"`` or ``"en"``)."""
    return negotiate_language(
        request.cookies.get(LANGUAGE_COOKIE), request.headers.get("accept-language")
    )


#: ``lang: PageLanguage`` in a page route's parameters.
PageLanguage = Annotated[Language, Depends(page_language)]


def _weights(accept: str) -> dict[str, float]:
    weights: dict[str, float] = {}
    for part in accept.split(","):
        media, _, params = part.strip().partition(";")
        media = media.strip().lower()
        if not media:
            continue
        weight = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.strip() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        weights[media] = max(weight, weights.get(media, 0.0))
    return weights


def wants_html(request: Request) -> bool:
    """True when the client is a browser asking for a page: ``Accept`` names ``text/html``
    above every JSON type. ``*/*`` alone (``fetch``, curl, API clients) means JSON."""
    weights = _weights(request.headers.get("accept", ""))
    html = max((weights.get(m, 0.0) for m in _HTML_TYPES), default=0.0)
    as_json = max(
        (w for m, w in weights.items() if m in _JSON_TYPES or m.endswith("+json")), default=0.0
    )
    return html > 0 and html > as_json


def page_path(request: Request) -> str:
    """The path (and query) of the page within Dothi, starting with ``/``: what the
    language switch takes as ``next``. Without the path prefix Dothi may be served under."""
    path = request.url.path
    root = str(request.scope.get("root_path", "")).rstrip("/")
    if root and (path == root or path.startswith(root + "/")):
        path = path[len(root) :] or "/"
    query = request.url.query
    return path + ("?" + query if query else "")


def switch_href(request: Request, to: Language) -> str:
    """The relative link that switches the page to ``to`` and comes back to it (for a page
    at the root of Dothi, e.g. ``/help``)."""
    return f"language/{to}?next={quote(page_path(request), safe='/')}"


def local_target(next_path: str | None) -> str:
    """``next_path`` if it is a path on this site, else ``/``: the language switch (and any
    other redirect a visitor's link names) must not send anyone to another site.

    Refused: absolute URLs (``https://…``, ``javascript:…``), scheme-relative ones
    (``//host``, ``/\\host``, ``///host``, which browsers read as another host), and control
    characters (browsers drop tabs and newlines, so ``/\\t/host`` would become ``//host``).
    """
    if not next_path:
        return "/"
    if any(ord(c) < 0x20 or c in "\\\x7f" for c in next_path):
        return "/"
    parts = urlsplit(next_path)
    if parts.scheme or parts.netloc:
        return "/"
    target = next_path if next_path.startswith("/") else "/" + next_path
    if target.startswith("//"):
        return "/"
    return target


def redirect_location(request: Request, target: str) -> str:
    """The ``Location`` of a local ``target`` (from :func:`local_target`), under the path
    prefix Dothi is served at, if any."""
    root = str(request.scope.get("root_path", "")).rstrip("/")
    if root and (target == root or target.startswith(root + "/")):
        return target  # already carries the prefix (a page's location.pathname)
    return root + target


def root_href(request: Request) -> str:
    """The relative link from the requested page to the site's root: ``""`` for ``/help``,
    ``"../../"`` for ``/ogcapi/collections/x`` (so that links work under a path prefix)."""
    path = page_path(request).partition("?")[0]
    return "../" * (path.count("/") - 1)
