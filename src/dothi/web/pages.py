"""The site's own pages — home (trang chủ), help (giải thích thuật ngữ), error pages — in one
language at a time, inside one frame: the header with the site's links and the language
switch, and ``pages.css``.

The texts of the home and help pages are HTML files per language in ``templates/``
(``home.vi.html``, ``help.en.html``…), so that a translator edits text, not code. Links are
relative to the site's root (``root``: ``""`` for a page at ``/help``, ``"../"`` one folder
down), so that Dothi works under a path prefix.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from string import Template
from urllib.parse import quote

from dothi.i18n import Language, format_number

_TEMPLATES = Path(__file__).parent / "templates"

#: The site's sections in the header: (path, Vietnamese, English).
_NAV = (
    ("", "Trang chủ", "Home"),
    ("map", "Bản đồ", "Map"),
    ("consultation", "Lấy ý kiến", "Consultation"),
    ("planner", "Phương án", "Scenarios"),
    ("ogcapi?f=html", "Dữ liệu mở", "Open data"),
    ("data", "Cán bộ", "Officials"),
    ("help", "Trợ giúp", "Help"),
)
_OTHER: dict[Language, tuple[Language, str]] = {"vi": ("en", "English"), "en": ("vi", "Tiếng Việt")}


def _e(value: object) -> str:
    return html.escape(str(value))


def _pick(lang: Language, vi: str, en: str) -> str:
    return en if lang == "en" else vi


def switch_link(lang: Language, root: str, path: str) -> str:
    """The link to the page ``path`` (within the site, with its query) in the other language."""
    other, name = _OTHER[lang]
    href = f"{root}language/{other}?next={quote(path, safe='/')}"
    return f'<a class="lang-switch" href="{_e(href)}" hreflang="{other}" lang="{other}">{name}</a>'


def frame(lang: Language, title: str, body: str, *, root: str, path: str, current: str = "") -> str:
    """A whole page around ``body`` (HTML already escaped), in ``lang``.

    ``root`` leads from the page to the site's root (``""``, ``"../"``, or an absolute URL
    ending in ``/``); ``path`` is the page's path within the site, for the language switch;
    ``current`` the header link of the page itself (``"help"``).
    """
    links = " ".join(
        f'<a href="{_e(root + href)}"'
        + (' aria-current="page"' if href == current else "")
        + f">{_e(_pick(lang, vi, en))}</a>"
        for href, vi, en in _NAV
    )
    nav_name = _pick(lang, "Các trang", "Pages")
    return (
        f'<!doctype html>\n<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_e(title)} — Dothi</title>\n"
        '<link rel="icon" href="data:,">\n'
        f'<link rel="stylesheet" href="{_e(root)}static/pages.css">\n</head>\n<body>\n'
        f'<header class="top site"><a class="brand" href="{_e(root or "./")}">Dothi</a>\n'
        f'<nav aria-label="{nav_name}">{links}</nav>\n{switch_link(lang, root, path)}\n</header>\n'
        f"<main>\n{body}\n</main>\n</body>\n</html>\n"
    )


def _template(name: str, lang: Language) -> Template:
    return Template((_TEMPLATES / f"{name}.{lang}.html").read_text(encoding="utf-8"))


def layer_links(layers: Sequence[tuple[str, str, str]], lang: Language, root: str = "") -> str:
    """``<li>`` items of ``(id, title_vi, title_en)``, each a link to the layer's OGC API page."""
    if not layers:
        return f'<li class="muted">{_pick(lang, "Chưa có lớp nào.", "No layer yet.")}</li>'
    return "\n".join(
        f'<li><a href="{_e(root)}ogcapi/collections/{_e(quote(lid, safe=""))}?f=html">'
        f"{_e(_pick(lang, vi, en or vi))}</a></li>"
        for lid, vi, en in layers
    )


def home_page(lang: Language, layers: Sequence[tuple[str, str, str]]) -> str:
    """The home page at ``/``: what Dothi offers, with links, and the public layers."""
    body = _template("home", lang).substitute(layers=layer_links(layers, lang))
    title = _pick(lang, "Dữ liệu đô thị mở", "Open urban data")
    return frame(lang, title, body, root="", path="/", current="")


@dataclass(frozen=True)
class Threshold:
    """A threshold of a national regulation edition, as the help page shows it."""

    label_vi: str
    label_en: str
    value: float
    #: ``"%"`` or ``""``.
    unit: str
    edition: str
    valid_from: date
    valid_to: date | None
    #: False while not checked against the official text (the value stays data).
    confirmed: bool


def _day(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def threshold_items(thresholds: Sequence[Threshold], lang: Language) -> str:
    """``<li>`` items of the regulation thresholds, each with its edition and period."""
    if not thresholds:
        return f"<li>{_pick(lang, 'Chưa có ngưỡng nào.', 'None yet.')}</li>"
    items = []
    for t in thresholds:
        until = _day(t.valid_to) if t.valid_to else _pick(lang, "nay", "now")
        note = (
            ""
            if t.confirmed
            else _pick(
                lang,
                "; chưa đối chiếu với văn bản chính thức",
                "; not yet checked against the official text",
            )
        )
        value = format_number(t.value, lang=lang) + (t.unit if t.unit == "%" else "")
        items.append(
            f"<li>{_e(_pick(lang, t.label_vi, t.label_en))}: <strong>{_e(value)}</strong> "
            f'<span class="muted">({_e(t.edition)}, {_day(t.valid_from)} – {until}{note})</span>'
            "</li>"
        )
    return "\n".join(items)


def help_page(lang: Language, thresholds: Sequence[Threshold]) -> str:
    """The help page at ``/help``: the planning terms a parcel lookup shows, in plain words."""
    body = _template("help", lang).substitute(thresholds=threshold_items(thresholds, lang))
    title = _pick(lang, "Giải thích thuật ngữ quy hoạch", "Planning terms explained")
    return frame(lang, title, body, root="", path="/help", current="help")


_STATUS_TITLES = {
    400: ("Yêu cầu không hợp lệ", "Bad request"),
    401: ("Cần đăng nhập", "Sign-in needed"),
    403: ("Không được phép", "Not allowed"),
    404: ("Không tìm thấy trang", "Page not found"),
    405: ("Không hỗ trợ thao tác này", "Method not allowed"),
    409: ("Xung đột", "Conflict"),
    413: ("Nội dung quá lớn", "Too large"),
    415: ("Kiểu nội dung không được hỗ trợ", "Unsupported content type"),
    429: ("Quá nhiều yêu cầu", "Too many requests"),
}


def error_page(
    lang: Language, status: int, message_vi: str, message_en: str, *, root: str, path: str
) -> str:
    """The page a browser gets instead of a JSON error document: what went wrong, in its
    language, and the way back."""
    default = ("Lỗi máy chủ", "Server error") if status >= 500 else ("Có lỗi", "Error")
    vi, en = _STATUS_TITLES.get(status, default)
    title = _pick(lang, vi, en)
    message = _pick(lang, message_vi, message_en)
    back = _pick(lang, "Về trang chủ", "Back to the home page")
    map_link = _pick(lang, "Mở bản đồ", "Open the map")
    body = (
        f"<h1>{_e(title)}</h1>\n<p>{_e(message)}</p>\n"
        f'<p class="muted">{_pick(lang, "Mã lỗi", "Error code")} {status}</p>\n'
        f'<p><a href="{_e(root or "./")}">{back}</a> · <a href="{_e(root)}map">{map_link}</a></p>'
    )
    return frame(lang, title, body, root=root, path=path)
