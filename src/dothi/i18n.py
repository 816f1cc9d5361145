"""The user's language, and a message in it: Vietnamese first, English beside.

Used by the CLI, the pages and the error hierarchy alike.
"""

from __future__ import annotations

import os


def current_language() -> str:
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
