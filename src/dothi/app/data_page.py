"""``GET /data``: the officials' page (dữ liệu cho cán bộ) — sign in, import a file step by
step, manage the layers — over the API of :mod:`dothi.app.data_routes`."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from dothi.app.page_routes import page_headers
from dothi.i18n import Language
from dothi.web import STATIC_DIR
from dothi.web.pages import frame
from dothi.webkit.pages import PageLanguage

router = APIRouter(include_in_schema=False)
_TEMPLATES = STATIC_DIR.parent / "templates"


def data_page(lang: Language) -> str:
    """The page in ``lang``: its text is ``templates/data.<lang>.html``; its script
    (``static/data.js``) writes what it fetches in the same language."""
    body = (_TEMPLATES / f"data.{lang}.html").read_text(encoding="utf-8")
    title = "Dữ liệu cho cán bộ" if lang == "vi" else "Data for officials"
    return frame(lang, title, body, root="", path="/data", current="data")


@router.get("/data", response_class=HTMLResponse)
def data_page_route(lang: PageLanguage) -> HTMLResponse:
    """Dữ liệu cho cán bộ / the officials' page: sign in, import a file step by step,
    manage the layers. Its script asks the data API with the signed-in account's token."""
    return HTMLResponse(data_page(lang), headers=page_headers(lang))
