"""The OGC API's HTML pages: one language at a time, values as people read them, links back
up, a map preview (in process, then drawn in headless Chromium)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser import EVIL, OneTest, require
from fastapi.testclient import TestClient
from live import dothi_server
from prepared import dataset
from samples import ORIGIN, write_geojson
from shapely.geometry import Point, box

from dothi.app.main import create_app
from dothi.config import Settings
from dothi.db.engine import Database
from dothi.spatial.importer import ImportOptions, import_file

ROOT = Path(__file__).parents[2]
X0, Y0 = ORIGIN
HTML = {"Accept": "text/html"}


@dataset(shared=True)
def zones(db: Database, settings: Settings, tmp_path: Path) -> None:
    common = {
        "land_use_function": "residential",
        "plan_decision_no": "12/QĐ-UBND",
        "plan_decision_date": "2026-01-01",
        "plan_level": "zoning",
        "illustrative": True,
        "max_far": 2.5,
        "area_m2": 12345.6,
    }
    features = [
        {
            "zone_uid": "z1",
            "zone_code": "I-1",
            **common,
            "geometry": box(X0, Y0, X0 + 0.002, Y0 + 0.002),
        },
        {
            "zone_uid": "z2",
            "zone_code": EVIL,
            **common,
            "geometry": box(X0 + 0.002, Y0, X0 + 0.004, Y0 + 0.002),
        },
    ]
    path = write_geojson(tmp_path / "zones.geojson", features)
    import_file(db, settings, path, ImportOptions(layer_id="planning_zone", key="zone_uid"))
    point = [{"ma": "D1", "ten": "Điểm", "geometry": Point(X0, Y0)}]
    path = write_geojson(tmp_path / "point.geojson", point)
    import_file(
        db,
        settings,
        path,
        ImportOptions(
            layer_id="diem", key="ma", title_vi="Điểm mẫu", new_layer=True, access="public"
        ),
    )


@pytest.fixture
def client(zones: None, db: Database, settings: Settings) -> TestClient:
    return TestClient(create_app(settings, db))


def _preview(page: str) -> dict[str, Any]:
    found = re.search(r'<script type="application/json" id="preview-data">(.*?)</script>', page)
    assert found is not None
    doc: dict[str, Any] = json.loads(found.group(1))
    return doc


def test_item_page_shows_labelled_values_a_preview_and_links_back(client: TestClient) -> None:
    r = client.get("/ogcapi/collections/planning_zone/items/z1", headers=HTML)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    page = r.text
    assert '<html lang="vi">' in page
    # Field titles and code labels, not field names and codes; numbers the Vietnamese way.
    assert "Chức năng sử dụng đất</th><td>Đất ở</td>" in page
    assert "Hệ số sử dụng đất tối đa (lần)</th><td>2,5</td>" in page
    assert "<td>12 345,6</td>" in page and "Số liệu minh họa</th><td>Có</td>" in page
    assert "land_use_function" not in page and "residential" not in page
    # Back to the collection (and its items, the landing page, the site).
    assert 'href="http://testserver/ogcapi/collections/planning_zone?f=html"' in page
    assert 'href="http://testserver/ogcapi/collections/planning_zone/items?f=html"' in page
    assert 'href="http://testserver/ogcapi?f=html"' in page
    assert 'href="http://testserver/"' in page
    # The map preview draws the item's geometry with MapLibre from this server.
    drawn = _preview(page)["features"]["features"]
    assert [f["geometry"]["type"] for f in drawn] == ["Polygon"]
    assert 'id="preview"' in page and "static/preview.js" in page
    assert "static/vendor/maplibre-gl/maplibre-gl.css" in page
    assert "script-src 'self'" in r.headers["content-security-policy"]
    assert (
        'href="http://testserver/language/en?next=/ogcapi/collections/planning_zone/items/z1"'
        in page
    )

    english = client.get(
        "/ogcapi/collections/planning_zone/items/z1", headers={**HTML, "Accept-Language": "en"}
    ).text
    assert '<html lang="en">' in english and "Land-use function</th><td>Residential</td>" in english
    assert "<td>12,345.6</td>" in english and "Đất ở" not in english


def test_items_page_labels_its_columns_and_previews_the_page(client: TestClient) -> None:
    page = client.get("/ogcapi/collections/planning_zone/items?f=html").text
    assert '<th scope="col">Ký hiệu ô quy hoạch</th>' in page and "<td>Đất ở</td>" in page
    assert "zone_code" not in page
    assert len(_preview(page)["features"]["features"]) == 2
    # Markup in data stays text, also in the preview's JSON.
    assert EVIL not in page and "<img" not in page
    assert 'href="http://testserver/ogcapi/collections/planning_zone?f=html"' in page
    # Coordinates in another CRS are not drawn on the web map.
    projected = client.get(
        "/ogcapi/collections/planning_zone/items",
        params={"f": "html", "crs": "http://www.opengis.net/def/crs/EPSG/0/9210"},
    ).text
    assert 'id="preview-data"' not in projected and "Ký hiệu ô quy hoạch" in projected


def test_collection_page_links_back_and_previews_its_items(client: TestClient) -> None:
    page = client.get("/ogcapi/collections/planning_zone", headers=HTML).text
    assert 'href="http://testserver/ogcapi?f=html">OGC API</a>' in page
    assert 'href="http://testserver/ogcapi/collections?f=html"' in page
    preview = _preview(page)
    assert preview["url"].startswith("http://testserver/ogcapi/collections/planning_zone/items?")
    assert preview["bbox"] is not None
    assert re.search(r"kinh độ 106,698 đến 106,702", page)
    assert "Xem các đối tượng" in page
    landing = client.get("/ogcapi", headers=HTML).text
    assert 'href="http://testserver/">Dothi</a>' in landing
    assert 'href="http://testserver/ogcapi/collections?f=html"' in landing
    listing = client.get("/ogcapi/collections", headers={**HTML, "Accept-Language": "en"}).text
    assert "Planning zones" in listing or "planning_zone" in listing
    assert '<html lang="en">' in listing


# -- In a browser --------------------------------------------------------------------------


@pytest.fixture
def server(zones: None, env: dict[str, str]) -> Iterator[str]:
    require((ROOT / "node_modules/maplibre-gl/dist/maplibre-gl.mjs").is_file(), "run npm ci")
    with dothi_server(env, drop=("DOTHI_WEB_VENDOR", "DOTHI_BASEMAP_URL")) as url:
        yield url


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_previews_are_drawn_in_chromium(browser: OneTest, server: str, tmp_path: Path) -> None:
    errors: list[str] = []
    page = browser.new_page(viewport={"width": 390, "height": 844}, locale="vi-VN")
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    for path, count in (
        ("ogcapi/collections/planning_zone/items/z1?f=html", 1),
        ("ogcapi/collections/planning_zone/items?f=html", 2),
        ("ogcapi/collections/planning_zone?f=html", 2),
        ("ogcapi/collections/diem/items/D1?f=html", 1),
    ):
        page.goto(server + path)
        page.wait_for_function("window.dothiPreviewReady !== undefined")
        assert page.evaluate("window.dothiPreviewReady") == count, path
        assert page.locator("#preview canvas").count() == 1
        drawn = page.evaluate(
            "dothiPreview.queryRenderedFeatures({layers: ['fill', 'line', 'circle']}).length"
        )
        assert drawn > 0, path
        # The page does not scroll sideways on a phone.
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, path
    page.screenshot(path=str(tmp_path / "item.png"), full_page=True)
    # Back links lead up: item → collection → landing page.
    page.goto(server + "ogcapi/collections/planning_zone/items/z1?f=html")
    page.get_by_role("link", name="Về lớp dữ liệu", exact=False).click()
    page.wait_for_url("**/ogcapi/collections/planning_zone?f=html")
    page.get_by_role("link", name="OGC API", exact=True).click()
    page.wait_for_url("**/ogcapi?f=html")
    assert page.evaluate("window.pwned") is None
    assert errors == []
