"""Headless Chromium for the page tests: where it is, how it starts, and the rule that a
missing browser fails the run under CI.

The page tests that run in a row share one Chromium (:data:`SHARED_CHROMIUM`, one for each
xdist worker, where the page tests run first): starting Playwright's driver and the browser
costs about a second. Each test still gets a browser of its own as far as a page can tell
(:class:`OneTest`): its pages live in browser contexts opened for it — no cookie, storage or
cache of another test — and closed after it.
"""

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


class Chromium:
    """A Chromium that tests share, launched when one first asks for it (again after
    :meth:`close`, or if it went away)."""

    def __init__(self) -> None:
        self._playwright: Any = None
        self._browser: Any = None

    def get(self) -> Any:
        """The running browser (Playwright's ``Browser``)."""
        require(CHROMIUM.exists(), f"Chromium is not installed at {CHROMIUM}")
        try:
            from playwright.sync_api import sync_playwright
        except ImportError:
            require(False, "the playwright package is not installed")
        if self._browser is None or not self._browser.is_connected():
            if self._playwright is None:
                self._playwright = sync_playwright().start()
            self._browser = self._playwright.chromium.launch(
                executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
            )
        return self._browser

    def close(self) -> None:
        """Close the browser and stop Playwright's driver."""
        if self._browser is not None and self._browser.is_connected():
            self._browser.close()
        if self._playwright is not None:
            self._playwright.stop()
        self._browser = self._playwright = None


class OneTest:
    """The browser as one test sees it: ``new_page`` and ``new_context`` as Playwright's
    ``Browser`` has them, in contexts of the test's own that :meth:`close` closes."""

    def __init__(self, browser: Any) -> None:
        self._browser = browser
        self._contexts: list[Any] = []

    def new_context(self, **options: Any) -> Any:
        """A new browser context (its own cookies, storage and cache)."""
        context = self._browser.new_context(**options)
        self._contexts.append(context)
        return context

    def new_page(self, **options: Any) -> Any:
        """A page in a new context of its own."""
        return self.new_context(**options).new_page()

    def close(self) -> None:
        """Close every context the test opened, with their pages."""
        for context in self._contexts:
            context.close()
        self._contexts.clear()


#: The Chromium of the page tests of this process (tests/conftest.py closes it after them).
SHARED_CHROMIUM = Chromium()
