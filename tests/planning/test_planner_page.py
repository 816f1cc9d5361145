"""The planner page at ``/planner`` in headless Chromium on the demo city: the demo's two
scenarios compared as a table and charts, the downloads, signing in and saving a scenario."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from browser import CHROMIUM, CHROMIUM_ARGS, EVIL, require
from live import dothi_server

from dothi.auth.accounts import create_account
from dothi.config import Settings
from dothi.db.engine import Database
from dothi.demo.loader import load_demo

PASSWORD = "mật khẩu quy hoạch 2026"


@pytest.fixture
def server(db: Database, settings: Settings, env: dict[str, str]) -> Iterator[str]:
    load_demo(db, settings)
    with db.write() as conn:
        create_account(conn, "kts", "editor", password=PASSWORD)
    with dothi_server(env) as url:
        yield url


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite", "postgis"])
def test_planner_page_in_chromium(server: str, tmp_path: Path) -> None:
    require(CHROMIUM.exists(), f"Chromium is not installed at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    errors: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1200, "height": 1000}, accept_downloads=True)
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f"{server}planner")
        page.evaluate("window.dothiReady")
        listed = page.locator("#scenarios").inner_text()
        assert "Phương án A" in listed and "Phương án B" in listed and "minh họa" in listed

        page.click("#compare")  # nothing chosen: told what to do
        page.locator("#status", has_text="ít nhất hai").wait_for()
        page.check('#scenarios input[value="minh-hoa-a"]')
        page.check('#scenarios input[value="minh-hoa-b"]')
        page.click("#compare")
        page.evaluate("window.dothiDone")
        table = page.locator("#table").inner_text()
        assert "Population" in table and "Phương án A" in table and "Phương án B" in table
        # The chart is the server's SVG drawn as an image.
        page.locator("#chart").wait_for()
        width = page.evaluate(
            "new Promise(r => { const i = document.querySelector('#chart');"
            " i.complete ? r(i.naturalWidth) : i.onload = () => r(i.naturalWidth); })"
        )
        assert width > 100
        with page.expect_download() as got:
            page.click("#download-csv")
        csv_text = Path(got.value.path()).read_bytes().decode("utf-8-sig")
        assert "Phương án A" in csv_text and "Phương án B" in csv_text
        page.screenshot(path=str(tmp_path / "planner.png"), full_page=True)

        # Saving needs a planner: signed in as an editor, a new scenario is listed.
        page.fill("#login-name", "kts")
        page.fill("#login-password", PASSWORD)
        page.click("#login-form button")
        page.locator("#status", has_text="Đã đăng nhập: kts").wait_for()
        page.click("#new-scenario summary")
        page.fill("#s-name", f"Phương án C {EVIL}")
        page.fill("#s-floor", "35")
        page.click("#scenario-form button")
        page.locator("#status", has_text="Đã lưu phương án").wait_for()
        assert EVIL in page.locator("#scenarios").inner_text()
        assert page.locator("#scenarios img").count() == 0
        page.fill("#s-floor", "-1")
        page.click("#scenario-form button")
        page.locator("#status.error").wait_for()
        assert "floor_area_per_person_m2" in page.locator("#status").inner_text()
        browser.close()
    # The refused save's 400 is logged by the browser; nothing else may be.
    assert [e for e in errors if "400" not in e] == []
