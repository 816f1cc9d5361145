"""The home, help and API documentation pages in headless Chromium, on a laptop and a phone
screen, with nothing reachable but the Dothi server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from browser import OneTest, no_sideways_scroll, offline, require
from live import dothi_server
from prepared import dataset
from samples import parcels, write_geojson

from dothi.config import Settings
from dothi.db.engine import Database
from dothi.spatial.importer import ImportOptions, import_file

ROOT = Path(__file__).parents[2]
SCREENS = [(1366, 768), (390, 844)]


@dataset(shared=True)
def layer(db: Database, settings: Settings, tmp_path: Path) -> None:
    path = write_geojson(tmp_path / "p.geojson", parcels(3))
    opts = ImportOptions(
        layer_id="thua",
        key="ma",
        title_vi="Thửa đất mẫu",
        title_en="Parcels",
        new_layer=True,
        access="public",
    )
    import_file(db, settings, path, opts)


@pytest.fixture
def server(layer: None, env: dict[str, str]) -> Iterator[str]:
    require((ROOT / "node_modules/swagger-ui-dist/swagger-ui-bundle.js").is_file(), "run npm ci")
    with dothi_server(env, drop=("DOTHI_WEB_VENDOR", "DOTHI_BASEMAP_URL")) as url:
        yield url


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.parametrize("screen", SCREENS, ids=lambda s: f"{s[0]}x{s[1]}")
def test_home_and_help_pages(
    browser: OneTest, server: str, screen: tuple[int, int], tmp_path: Path
) -> None:
    width, height = screen
    errors: list[str] = []
    blocked: list[str] = []
    page = browser.new_page(viewport={"width": width, "height": height}, locale="vi-VN")
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    offline(page, blocked)

    page.goto(server)
    assert page.evaluate("document.documentElement.lang") == "vi"
    assert page.locator("h1").inner_text().startswith("Dothi")
    for name, href in (
        ("Bản đồ và tra cứu quy hoạch", "map"),
        ("Lấy ý kiến cộng đồng về quy hoạch", "consultation"),
        ("So sánh phương án quy hoạch", "planner"),
        ("Dữ liệu mở theo OGC API – Features", "ogcapi?f=html"),
        ("Tài liệu API", "api/docs"),
    ):
        link = page.get_by_role("link", name=name, exact=True)
        assert link.get_attribute("href") == href and link.is_visible(), name
    assert page.get_by_role("link", name="Thửa đất mẫu").is_visible()
    no_sideways_scroll(page, width)
    # Styled by pages.css: the offers are cards, one column on a phone.
    columns = page.evaluate(
        "getComputedStyle(document.querySelector('.offers')).gridTemplateColumns"
    )
    assert (len(columns.split()) == 1) == (width < 600)
    page.screenshot(path=str(tmp_path / f"home-{width}.png"), full_page=True)

    # The switch to English is remembered, for this page and the next.
    page.get_by_role("link", name="English").click()
    page.wait_for_function("document.documentElement.lang === 'en'")
    assert "Map and planning lookup" in page.inner_text("main")
    assert "Bản đồ và tra cứu" not in page.inner_text("body")
    page.get_by_role("link", name="Help", exact=True).click()
    page.wait_for_url("**/help")
    assert page.evaluate("document.documentElement.lang") == "en"
    for term in ("Building coverage", "Land-use coefficient", "Road red line"):
        assert page.get_by_role("heading", name=term, exact=False).is_visible(), term
    assert page.locator("figure.diagram svg").bounding_box()["width"] <= width
    no_sideways_scroll(page, width)
    page.screenshot(path=str(tmp_path / f"help-en-{width}.png"), full_page=True)

    page.get_by_role("link", name="Tiếng Việt").click()
    page.wait_for_function("document.documentElement.lang === 'vi'")
    assert page.url.endswith("/help")
    for term in (
        "Hệ số sử dụng đất",
        "Mật độ xây dựng",
        "Chỉ giới đường đỏ",
        "Chỉ giới xây dựng",
    ):
        assert page.get_by_role("heading", name=term, exact=False).is_visible(), term
    no_sideways_scroll(page, width)
    page.screenshot(path=str(tmp_path / f"help-vi-{width}.png"), full_page=True)
    assert errors == [] and blocked == []


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_api_docs_render_without_the_internet(
    browser: OneTest, server: str, tmp_path: Path
) -> None:
    blocked: list[str] = []
    errors: list[str] = []
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    page.on("pageerror", lambda e: errors.append(str(e)))
    offline(page, blocked)
    page.goto(server + "api/docs")
    # Swagger UI has read the API document and lists its operations.
    page.locator(".opblock").first.wait_for(timeout=15000)
    summaries = page.locator(".opblock-summary-path").all_inner_texts()
    assert any("/api/layers" in s for s in summaries)
    assert any("/planning" in s for s in summaries)
    page.screenshot(path=str(tmp_path / "docs.png"))
    assert blocked == [] and errors == []
