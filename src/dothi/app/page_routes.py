"""HTTP routes of the site's own pages and of the language switch.

- ``GET /`` — the home page: what Dothi offers, with links to the map, the consultation,
  the planner, the OGC API and the API documentation, and the public layers;
- ``GET /help`` — the planning terms explained;
- ``GET /language/{vi|en}?next=<path>`` — remember the visitor's language (cookie
  ``dothi_lang``, one year) and go back (303) to ``next``, a path on this site only.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from dothi.errors import NotFound
from dothi.i18n import LANGUAGE_COOKIE, LANGUAGES
from dothi.planning.regulations import editions
from dothi.spatial.layers import list_layers
from dothi.web import page_security_policy
from dothi.web.pages import Threshold, help_page, home_page
from dothi.webkit.deps import db_of
from dothi.webkit.pages import PageLanguage, local_target, redirect_location

router = APIRouter(include_in_schema=False)

#: A year: the visitor's choice of language outlives the session.
_COOKIE_AGE = 365 * 24 * 3600
#: The regulation thresholds the help page explains (keys of ``regulations.json``).
_HELP_RULES = ("max_far", "max_residential_unit_gross_coverage_pct")


def page_headers(lang: str) -> dict[str, str]:
    """Headers of a page whose text depends on the visitor's language."""
    return {
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-cache",
        "Content-Security-Policy": page_security_policy(),
        "Content-Language": lang,
        # A shared cache must not give one visitor's language to another.
        "Vary": "Accept-Language, Cookie",
    }


@router.get("/", response_class=HTMLResponse)
def home(request: Request, lang: PageLanguage) -> HTMLResponse:
    """The home page, with the layers anyone may read."""
    with db_of(request).read(snapshot=False) as conn:
        found = list_layers(conn)
    layers = [(ly.id, ly.title_vi, ly.title_en) for ly in found if ly.access == "public"]
    return HTMLResponse(home_page(lang, layers), headers=page_headers(lang))


def _thresholds() -> list[Threshold]:
    out = []
    for edition in editions():
        for key in _HELP_RULES:
            rule = edition.rules.get(key)
            if rule is None:
                continue
            vi, _, en = str(rule["label"]).partition(" / ")
            en = en.split(" (")[0].strip() or vi
            out.append(
                Threshold(
                    label_vi=vi.strip(),
                    label_en=en[:1].upper() + en[1:],
                    value=float(rule["value"]),
                    unit="%" if key.endswith("_pct") else "",
                    edition=edition.code,
                    valid_from=edition.valid_from,
                    valid_to=edition.valid_to,
                    confirmed=bool(rule.get("confirmed")),
                )
            )
    return out


@router.get("/help", response_class=HTMLResponse)
def help_terms(lang: PageLanguage) -> HTMLResponse:
    """Mật độ xây dựng, hệ số sử dụng đất, chỉ giới đường đỏ, chỉ giới xây dựng, the
    buildable envelope; with the regulation's thresholds as the data holds them."""
    return HTMLResponse(help_page(lang, _thresholds()), headers=page_headers(lang))


@router.get("/language/{code}")
def choose_language(request: Request, code: str, next: str | None = None) -> RedirectResponse:
    """Remember ``code`` as the visitor's language and go back to the page ``next``."""
    if code not in LANGUAGES:
        raise NotFound("Không có ngôn ngữ này.", "No such language.")
    root = request.scope.get("root_path", "").rstrip("/")
    response = RedirectResponse(redirect_location(request, local_target(next)), status_code=303)
    response.set_cookie(
        LANGUAGE_COOKIE,
        code,
        max_age=_COOKIE_AGE,
        path=root + "/",
        samesite="lax",
        secure=request.url.scheme == "https",
    )
    response.headers["Cache-Control"] = "no-store"
    return response
