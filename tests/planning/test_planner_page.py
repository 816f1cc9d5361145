"""The planner page at ``/planner`` in headless Chromium on the demo city: the demo's two
scenarios compared as a table and charts, the downloads, signing in and saving a scenario;
one language at a time; figures a planner believes; charts readable on a laptop and on a
phone.

In Chromium on SQLite only: what the page shows comes from the scenarios' API, which
tests/planning/test_planning_scenarios.py checks on both backends (a page walk on PostGIS is
tests/web/test_map_page.py's).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser import EVIL, OneTest
from live import dothi_server
from prepared import dataset

from dothi.auth.accounts import create_account
from dothi.config import Settings
from dothi.db.engine import Database
from dothi.demo.loader import load_demo

PASSWORD = "mật khẩu quy hoạch 2026"


@dataset(shared=True)
def planners_city(db: Database, settings: Settings, tmp_path: Path) -> None:
    """The demo city and a planner who may save scenarios (kts, editor)."""
    load_demo(db, settings)
    with db.write() as conn:
        create_account(conn, "kts", "editor", password=PASSWORD)


@pytest.fixture
def server(planners_city: None, env: dict[str, str]) -> Iterator[str]:
    with dothi_server(env) as url:
        yield url


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.writes
@pytest.mark.parametrize("backend", ["sqlite"])
def test_planner_page_in_chromium(browser: OneTest, server: str, tmp_path: Path) -> None:
    errors: list[str] = []
    page = browser.new_page(
        viewport={"width": 1200, "height": 1000}, accept_downloads=True, locale="vi-VN"
    )
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
    # One language at a time: Vietnamese here, no English beside it.
    assert "Quy mô dân số" in table and "Phương án A" in table and "Phương án B" in table
    assert "Population capacity" not in table
    # The charts are drawn on the page, one figure each.
    assert page.locator("#charts figure.bars").count() >= 5
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
    said = page.locator("#status").inner_text()
    assert "Diện tích sàn ở bình quân" in said and "floor_area_per_person_m2" not in said
    # The refused save's 400 is logged by the browser; nothing else may be.
    assert [e for e in errors if "400" not in e] == []


#: Text boxes of the charts that overlap another (their labels, values and titles).
OVERLAPS = """() => {
  const boxes = [...document.querySelectorAll(
    '#charts h3, #charts .category, #charts .value, #charts .refs')]
    .map(n => n.getBoundingClientRect()).filter(b => b.width > 0);
  const hits = [];
  for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
    const a = boxes[i], b = boxes[j];
    if (a.left < b.right - 0.5 && b.left < a.right - 0.5 && a.top < b.bottom - 0.5
        && b.top < a.bottom - 0.5) hits.push([i, j]);
  }
  return hits.length;
}"""


def _compared(page: Any, server: str) -> None:
    page.goto(f"{server}planner")
    page.evaluate("window.dothiReady")
    page.check('#scenarios input[value="minh-hoa-a"]')
    page.check('#scenarios input[value="minh-hoa-b"]')
    page.click("#compare")
    page.evaluate("window.dothiDone")


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite"])
# Each language and each screen once: the phone in Vietnamese (its longer words are the
# harder fit), the laptop in English.
@pytest.mark.parametrize(
    ("lang", "viewport"),
    [("vi", (390, 844)), ("en", (1366, 768))],
    ids=["vi-390x844", "en-1366x768"],
)
def test_planner_figures_charts_and_language(
    browser: OneTest, server: str, tmp_path: Path, viewport: tuple[int, int], lang: str
) -> None:
    errors: list[str] = []
    context = browser.new_context(
        viewport={"width": viewport[0], "height": viewport[1]}, locale="vi-VN"
    )
    context.add_cookies([{"name": "dothi_lang", "value": lang, "url": server}])
    page = context.new_page()
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    _compared(page, server)
    assert page.evaluate("document.documentElement.lang") == lang
    body = page.locator("body").inner_text()
    other = "Chênh lệch" if lang == "en" else "Difference"
    assert other not in body and "/ " + ("Scenarios" if lang == "vi" else "Phương án") not in body
    link = page.locator("#language")
    assert link.inner_text() == ("English" if lang == "vi" else "Tiếng Việt")
    assert f"language/{'en' if lang == 'vi' else 'vi'}?next=%2Fplanner" in (
        link.get_attribute("href") or ""
    )
    # Scenario B differs from A in the edition too: the page says so, naming it.
    warning = page.locator("#warnings li").first.inner_text()
    assert "QCVN 01:2026/BXD" in warning
    assert ("không chỉ ở đồ án" if lang == "vi" else "more than the plan") in warning
    # A difference column; plans by name, never by id.
    assert page.locator("#table th.diff").count() == 1
    table = page.locator("#table").inner_text()
    assert "minh-hoa-2026" not in table
    assert ("MINH HỌA" if lang == "vi" else "ILLUSTRATIVE zoning plan") in table
    # The existing population comes from the population layer: thousands of people on
    # the demo's central wards, not the few hundred that OpenStreetMap's buildings give.
    people = page.locator('#table tr[data-key="population.existing.people"] td').nth(2)
    figure = int(people.inner_text().replace(" ", "").replace(",", ""))
    assert figure > 10_000
    # Missing values are hatched boxes and dashes, never empty bars.
    assert page.locator("#charts .fill.missing").count() >= 1
    # Charts: labels and values never overlap, nothing runs off the screen.
    page.locator("#charts figure.bars").first.wait_for()
    assert page.evaluate(OVERLAPS) == 0
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport[0]
    sizes = page.evaluate(
        "[...document.querySelectorAll('#charts .category, #charts .value')]"
        ".map(n => parseFloat(getComputedStyle(n).fontSize))"
    )
    assert sizes and min(sizes) >= 11  # readable on a phone
    page.screenshot(path=str(tmp_path / f"planner-{lang}-{viewport[0]}.png"), full_page=True)
    assert errors == []
