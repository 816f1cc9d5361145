"""Headless Chromium for the page tests: where it is, how it starts, and the rule that a
missing browser fails the run under CI."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: Markup in user data, which must reach the page as text only.
EVIL = '<img src=x onerror="window.pwned=1">'


def require(ok: bool, reason: str) -> None:
    """Skip with ``reason`` when something is missing; under CI that is a failure."""
    if ok:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true requires it; scripts/dev.sh test installs it)")
    pytest.skip(reason)


def offline(page: Any, blocked: list[str]) -> None:
    """Let ``page`` reach the Dothi server only; record in ``blocked`` what else it tried."""

    def route(r: Any) -> None:
        url = r.request.url
        if url.startswith(("http://127.0.0.1:", "data:", "blob:")):
            r.continue_()
        else:
            blocked.append(url)
            r.abort()

    page.route("**/*", route)


def no_sideways_scroll(page: Any, width: int) -> None:
    """The page fits the screen's width (a phone scrolls down, never sideways)."""
    assert page.evaluate("document.documentElement.scrollWidth") <= width
