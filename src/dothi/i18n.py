"""The user's language, and a message in it: Vietnamese first, English beside.

Used by the CLI, the pages and the error hierarchy alike.
"""

from __future__ import annotations

import os
from typing import Literal

Language = Literal["vi", "en"]
LANGUAGES: tuple[Language, ...] = ("vi", "en")
#: The cookie in which the pages remember the visitor's choice of language.
LANGUAGE_COOKIE = "dothi_lang"


def current_language() -> Language:
    """Return ``"vi"`` or ``"en"``: ``DOTHI_LANG``, else the locale; Vietnamese by default.

    Only a locale that names English (``en_US.UTF-8``…) switches to English: the bare
    ``C``/``POSIX`` locales of servers and containers keep Vietnamese.
    """
    for var in ("DOTHI_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var, "").strip().lower()
        if value:
            return "en" if value.startswith("en") else "vi"
    return "vi"


def t(vi: str, en: str) -> str:
    """The message in the user's language (:func:`current_language`)."""
    return en if current_language() == "en" else vi


def negotiate_language(chosen: str | None, accept_language: str | None) -> Language:
    """A page's language: the visitor's remembered choice, else ``Accept-Language``, else vi.

    ``Accept-Language`` is read as RFC 9110 writes it (``en-GB;q=0.8, vi;q=0.9``): the
    language of highest weight among those Dothi speaks wins; ties go to the first listed.
    """
    if chosen in LANGUAGES:
        return chosen
    best: tuple[float, Language] | None = None
    for part in (accept_language or "").split(","):
        tag, _, params = part.strip().partition(";")
        primary = tag.strip().lower().split("-")[0]
        if primary not in LANGUAGES:
            continue
        weight = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.strip() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        if weight > 0 and (best is None or weight > best[0]):
            best = (weight, primary)
    return best[1] if best else "vi"


def format_number(value: float | int | None, digits: int = 2, lang: Language = "vi") -> str:
    """A figure as people write it: ``1 234,5`` in Vietnamese, ``1,234.5`` in English.

    At most ``digits`` decimals, trailing zeros dropped; ``–`` for a missing value (never
    a zero, which would say something else).
    """
    if value is None:
        return "–"
    if isinstance(value, int) and not isinstance(value, bool):
        text = f"{value:,}"
    else:
        text = f"{value:,.{digits}f}"
        if "." in text:
            text = text.rstrip("0").rstrip(".")
        if text in ("-0", ""):
            text = "0"
    if lang == "en":
        return text
    return text.replace(",", " ").replace(".", ",")
