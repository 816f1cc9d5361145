"""The map page as citizens meet it, in headless Chromium on a desktop (1366×768) and a phone
(390×844), on the demo city with a few roads and a lake: drafts apart from the plans in
force, labels instead of codes, a readable base map and legend, finding one's land and
sharing it, one language, the keyboard.

On SQLite only: the page reads tiles, the planning lookup and the search, whose answers
tests/tiles, tests/planning and tests/demo check on both backends; the map page's own walk
(test_map_page.py) runs on PostGIS too.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser import OneTest, require
from live import dothi_server
from samples import write_geojson
from shapely.geometry import LineString, Polygon
from test_map_page import IDLE, ROOT

from dothi.auth.accounts import create_account
from dothi.auth.tokens import create_token
from dothi.config import Settings
from dothi.db.engine import Database
from dothi.demo.loader import load_demo
from dothi.spatial.importer import ImportOptions, import_file

#: Zone BT-11 of the demo: ≤ 9 floors, FAR 3.6 in force; 12 floors, FAR 4.6 in the draft.
BT11 = (106.68965, 10.770836)
ROAD = "Đường Lê Thánh Tôn"
LAKE = "Hồ Con Rùa"
VIEWPORTS = [(1366, 768), (390, 844)]
#: Internal names a person must not read.
CODES = re.compile(
    r"commercial_service|residential|road_red_line|max_coverage_pct|max_floors|illustrative"
    r"|land_use_function|plan_id|\btrue\b|\bfalse\b"
)
EMOJI = re.compile("[\U0001f300-\U0001faff\u2600-\u27bf]")


@pytest.fixture
def server(db: Database, settings: Settings, tmp_path: Path, env: dict[str, str]) -> Iterator[str]:
    """The demo city, a road and a lake near BT-11, an internal layer and a viewer."""
    require((ROOT / "node_modules/maplibre-gl/dist/maplibre-gl.mjs").is_file(), "run npm ci")
    load_demo(db, settings)
    x, y = BT11
    road = {
        "road_uid": "r1",
        "name": ROAD,
        "road_class": "main_urban",
        "geometry": LineString([(x - 0.004, y - 0.0004), (x + 0.004, y - 0.0004)]),
    }
    lake = {
        "surface_uid": "w1",
        "category": "water",
        "kind": "lake",
        "name": LAKE,
        "geometry": Polygon(
            [
                (x + 0.0008, y + 0.0008),
                (x + 0.0018, y + 0.0008),
                (x + 0.0018, y + 0.0016),
                (x + 0.0008, y + 0.0016),
            ]
        ),
    }
    for layer, row, key in (("road", road, "road_uid"), ("green_water", lake, "surface_uid")):
        path = write_geojson(tmp_path / f"{layer}.geojson", [row])
        import_file(db, settings, path, ImportOptions(layer_id=layer, key=key))
    inner = {"ma": "N1", "geometry": Polygon([(x, y), (x + 1e-4, y), (x + 1e-4, y + 1e-4)])}
    path = write_geojson(tmp_path / "inner.geojson", [inner])
    import_file(
        db,
        settings,
        path,
        ImportOptions(layer_id="a_noi_bo", key="ma", access="internal", new_layer=True),
    )
    with db.write() as conn:
        create_account(conn, "xem", "viewer", password="mật khẩu xem 2026")
        token, _ = create_token(conn, "xem", "bản đồ")
    env = {**env, "DOTHI_TEST_TOKEN": token}
    with dothi_server(env, drop=("DOTHI_WEB_VENDOR", "DOTHI_BASEMAP_URL")) as url:
        yield f"{url}|{token}"


def _open(page: Any, url: str) -> None:
    page.goto(url)
    page.wait_for_function("window.dothiReady !== undefined")
    page.evaluate("window.dothiReady")
    page.evaluate(IDLE)


def _click(page: Any, lon: float, lat: float) -> str:
    """Click the map at a point already in view; the popup's text once the card is there."""
    at = page.evaluate(f"dothiMap.project([{lon}, {lat}])")
    box = page.locator("#map canvas").bounding_box()
    page.mouse.click(box["x"] + at["x"], box["y"] + at["y"])
    page.evaluate("window.dothiPlanning")
    popup = page.locator(".maplibregl-popup")
    popup.wait_for(timeout=5000)
    text: str = popup.inner_text()
    return text


def _count(page: Any, layer: str) -> int:
    n: int = page.evaluate(f"dothiMap.queryRenderedFeatures({{layers: ['{layer}']}}).length")
    return n


def _check_drafts_and_labels(page: Any) -> None:
    """Points 1 and 3: what is in force by default; drafts apart; words, not codes."""
    assert not page.is_checked("#show-drafts")
    assert _count(page, "dothi:planning_zone:fill") > 0
    assert _count(page, "dothi:planning_zone:draft-fill") == 0
    text = _click(page, *BT11)
    card = page.locator("#planning").inner_text()
    # The popup shows the zone in force, as the card does, and says so.
    assert "Ô quy hoạch" in text and "Đã phê duyệt, đang có hiệu lực" in text
    assert "Dữ liệu minh họa" in text and "Mật độ xây dựng" in text
    assert "Ô quy hoạch BT-11" in card and "tầng cao ≤ 9" in card and "3,6" in card
    assert "Ô theo dự thảo BT-11" in card and "tầng cao ≤ 12" in card
    assert "Dự thảo đang lấy ý kiến (chưa có hiệu lực)" in card
    assert "Đất ở" in card and "Dữ liệu minh họa" in card
    assert not CODES.search(text), text
    assert not CODES.search(card), card
    # Drafts on demand: hatched, and the popup steps to the draft's rules.
    page.check("#show-drafts")
    page.evaluate(IDLE)
    assert _count(page, "dothi:planning_zone:draft-fill") > 0
    assert "Ô của dự thảo quy hoạch" in page.locator("#legend").inner_text()
    text = _click(page, *BT11)
    stepper = page.locator(".maplibregl-popup .stepper")
    total = int(stepper.locator(".count").inner_text().split("/")[1])
    assert total >= 2 and "Đã phê duyệt" in text
    seen = [text]
    for _ in range(total - 1):
        stepper.locator("button.step").last.click()
        seen.append(page.locator(".maplibregl-popup").inner_text())
    draft = next(t for t in seen if "Dự thảo đang lấy ý kiến" in t)
    assert "12" in draft and "4,6" in draft and not CODES.search(draft)
    page.uncheck("#show-drafts")
    page.evaluate(IDLE)
    assert _count(page, "dothi:planning_zone:draft-fill") == 0


def _check_base_and_legend(page: Any, phone: bool) -> None:
    """Point 9: the city's own base with names, land-use colours and a legend."""
    for layer in ("dothi:road:label", "dothi:green_water:fill", "dothi:admin_commune:label"):
        assert _count(page, layer) > 0, layer
    names = page.evaluate(
        "dothiMap.queryRenderedFeatures({layers: ['dothi:road:label']}).map(f => f.properties.name)"
    )
    assert ROAD in names
    fill = json.dumps(
        page.evaluate("dothiMap.getPaintProperty('dothi:planning_zone:fill', 'fill-color')")
    )
    assert "#f7c873" in fill and "land_use_function" in fill
    legend = page.locator("#legend")
    assert legend.is_visible() and "Đất ở" in legend.inner_text()
    attribution = page.locator(".maplibregl-ctrl-attrib")
    if phone:
        # Folded to its button: it does not cover the map.
        assert "maplibregl-compact-show" not in (attribution.get_attribute("class") or "")
        box = attribution.bounding_box()
        assert box["height"] < 40 and box["width"] < 60
    assert page.locator(".maplibregl-ctrl-geolocate").count() == 1


def _check_finding_and_sharing(page: Any, browser: Any, size: tuple[int, int]) -> None:
    """Point 10 and 13: search by ward, results from the keyboard, a link to the parcel."""
    page.fill("#search-q", "phuong sai gon")
    page.press("#search-q", "Enter")
    page.evaluate("window.dothiSearch")
    results = page.locator("#search-results button")
    assert results.count() >= 2 and "Phường Sài Gòn" in results.first.inner_text()
    results.first.focus()
    page.keyboard.press("ArrowDown")
    chosen = results.nth(1)
    assert chosen.evaluate("b => b === document.activeElement")
    page.keyboard.press("Enter")
    page.evaluate("window.dothiPlanning")
    card = page.locator("#planning").inner_text()
    assert "Thửa đất" in card and "Phường Sài Gòn" in card
    page.evaluate(IDLE)
    link = page.evaluate("location.href")
    assert "parcel=26740-" in link and "map=" in link
    # The same view and parcel in a new tab.
    other = browser.new_page(viewport={"width": size[0], "height": size[1]}, locale="vi-VN")
    _open(other, link)
    other.evaluate("window.dothiPlanning")
    assert other.locator("#planning").inner_text() == card
    zoom = other.evaluate("dothiMap.getZoom()")
    assert abs(zoom - page.evaluate("dothiMap.getZoom()")) < 0.05
    other.close()


def _check_keyboard_and_forms(page: Any) -> None:
    """Point 11 and 13: one language, labelled fields, Enter on the map, no emoji icons."""
    assert page.get_attribute("html", "lang") == "vi"
    assert (page.get_attribute("#switch-language", "href") or "") == "language/en?next=map"
    unlabelled = page.evaluate(
        "[...document.querySelectorAll('#panel input')]"
        ".filter(i => !i.labels.length).map(i => i.id)"
    )
    assert unlabelled == []
    assert page.locator("#signin-note").is_visible()
    assert not EMOJI.search(page.locator("body").inner_text())
    page.evaluate(f"dothiMap.jumpTo({{center: [{BT11[0]}, {BT11[1]}], zoom: 17}})")
    page.evaluate(IDLE)
    page.evaluate("document.getElementById('planning').replaceChildren()")
    page.locator("#map canvas").focus()
    page.keyboard.press("Enter")
    page.evaluate("window.dothiPlanning")
    assert "Ô quy hoạch BT-11" in page.locator("#planning").inner_text()


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite"])
def test_map_as_citizens_read_it(browser: OneTest, server: str, tmp_path: Path) -> None:
    url, token = server.split("|")
    errors: list[str] = []
    for width, height in VIEWPORTS:
        phone = width < 500
        page = browser.new_page(viewport={"width": width, "height": height}, locale="vi-VN")
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        _open(page, f"{url}map#map=17/{BT11[1]}/{BT11[0]}")
        colours = page.evaluate(
            "Object.fromEntries([...document.querySelectorAll('#layers li')]"
            ".map(li => [li.dataset.layer, li.querySelector('.swatch').style.background]))"
        )
        _check_drafts_and_labels(page)
        _check_base_and_legend(page, phone)
        _check_keyboard_and_forms(page)
        _check_finding_and_sharing(page, browser, (width, height))
        page.screenshot(path=str(tmp_path / f"map-{width}.png"))
        # A new layer (an internal one, once signed in) leaves the others' colours.
        page.fill("#token", token)
        page.click("#token-form button")
        page.evaluate("window.dothiReady")
        after = page.evaluate(
            "Object.fromEntries([...document.querySelectorAll('#layers li')]"
            ".map(li => [li.dataset.layer, li.querySelector('.swatch').style.background]))"
        )
        assert "a_noi_bo" in after and not page.locator("#signin-note").is_visible()
        assert {k: after[k] for k in colours} == colours
        page.close()
    assert errors == []
