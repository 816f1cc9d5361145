"""The map page at ``/map``: HTTP answers in process, then the demo city in headless Chromium."""

from __future__ import annotations

import html
import json
import re
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser import EVIL, OneTest, require
from fastapi.testclient import TestClient
from live import dothi_server
from samples import ORIGIN, parcels, write_geojson
from shapely.geometry import Point, shape

from dothi.app.main import create_app
from dothi.auth.accounts import create_account
from dothi.auth.tokens import create_token
from dothi.config import Settings
from dothi.db.engine import Database
from dothi.demo.loader import load_demo
from dothi.errors import ConfigError
from dothi.spatial.importer import ImportOptions, import_file
from dothi.spatial.layers import update_layer
from dothi.web import load_web_settings

ROOT = Path(__file__).parents[2]


@pytest.fixture
def vendor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A stand-in ``node_modules`` with MapLibre's file names, so npm is not needed here."""
    dist = tmp_path / "node_modules" / "maplibre-gl" / "dist"
    dist.mkdir(parents=True)
    for name in ("maplibre-gl.mjs", "maplibre-gl-worker.mjs", "maplibre-gl.css", "other.js"):
        (dist / name).write_text(f"/* {name} */", encoding="utf-8")
    monkeypatch.setenv("DOTHI_WEB_VENDOR", str(dist.parent.parent))
    monkeypatch.delenv("DOTHI_BASEMAP_URL", raising=False)
    return dist


def _config(page: str) -> dict[str, Any]:
    found = re.search(r'<script type="application/json" id="dothi-config">(.*?)</script>', page)
    assert found is not None
    doc: dict[str, Any] = json.loads(found.group(1))
    return doc


def test_page_and_its_files(vendor: Path, settings: Settings, db: Database, tmp_path: Path) -> None:
    path = write_geojson(tmp_path / "p.geojson", parcels(2))
    import_file(
        db,
        settings,
        path,
        ImportOptions(layer_id="thua", new_layer=True, access="public", key="ma", title_vi=EVIL),
    )
    client = TestClient(create_app(settings, db))
    r = client.get("/map")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    # One language at a time: Vietnamese unless the visitor asks otherwise.
    assert "Lớp dữ liệu" in r.text and "Layers" not in r.text
    # Listed before the script runs, as text.
    assert html.escape(EVIL) in r.text and EVIL not in r.text
    assert 'href="ogcapi/collections/thua/items?f=html"' in r.text
    assert "script-src 'self'" in r.headers["content-security-policy"]
    config = _config(r.text)
    assert config["basemap"] is None and config["lang"] == "vi"
    assert config["text"]["layers_heading"] == "Lớp dữ liệu"
    for path, media in (
        ("/static/map.js", "text/javascript"),
        ("/static/map.css", "text/css"),
        ("/static/vendor/maplibre-gl/maplibre-gl.mjs", "text/javascript"),
        ("/static/vendor/maplibre-gl/maplibre-gl-worker.mjs", "text/javascript"),
        ("/static/vendor/maplibre-gl/maplibre-gl.css", "text/css"),
    ):
        got = client.get(path)
        assert got.status_code == 200 and got.headers["content-type"].startswith(media), path
    assert client.head("/static/map.js").status_code == 200
    # Only MapLibre's own files, and nothing outside its folder.
    for path in (
        "/static/vendor/maplibre-gl/other.js",
        "/static/vendor/maplibre-gl/..%2F..%2Fpackage.json",
        "/static/vendor/maplibre-gl/%2e%2e",
        "/static/__init__.py",
        "/static/..%2F__init__.py",
    ):
        assert client.get(path).status_code == 404, path


def test_missing_maplibre_gives_a_page_that_says_how_to_install_it(
    tmp_path: Path, settings: Settings, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOTHI_WEB_VENDOR", str(tmp_path / "nowhere"))
    client = TestClient(create_app(settings, db))
    r = client.get("/map")
    assert r.status_code == 503 and r.headers["content-type"].startswith("text/html")
    assert "Thiếu thư viện bản đồ" in r.text and "map library is missing" in r.text
    assert "npm ci" in r.text and "scripts/dev.sh" in r.text
    assert str(tmp_path) not in r.text  # no server paths for visitors
    assert "Chưa có lớp nào" in r.text
    assert client.get("/static/vendor/maplibre-gl/maplibre-gl.mjs").status_code == 404


def test_basemap_setting(vendor: Path, settings: Settings, db: Database, monkeypatch: Any) -> None:
    tiles = "https://tiles.example.vn/{z}/{x}/{y}.png?</script>"
    monkeypatch.setenv("DOTHI_BASEMAP_URL", tiles)
    r = TestClient(create_app(settings, db)).get("/map")
    assert '</script>"' not in r.text  # the value cannot end the JSON's script element
    assert _config(r.text)["basemap"] == {"kind": "raster", "url": tiles}
    assert (
        "img-src 'self' data: blob: https://tiles.example.vn"
        in (r.headers["content-security-policy"])
    )


def test_web_settings() -> None:
    base = {"DOTHI_WEB_VENDOR": "/srv/web/node_modules"}
    assert load_web_settings(base).vendor_dir == Path("/srv/web/node_modules")
    assert load_web_settings({}).vendor_dir == ROOT / "node_modules"
    style = load_web_settings({**base, "DOTHI_BASEMAP_URL": "/basemap/style.json"})
    assert style.basemap_url == "/basemap/style.json"
    for bad in ("javascript:alert(1)", "//host/{z}", "ftp://host/x", "tiles/{z}/{x}/{y}"):
        with pytest.raises(ConfigError):
            load_web_settings({"DOTHI_BASEMAP_URL": bad})


# -- In a browser --------------------------------------------------------------------------


PASSWORD = "mật khẩu bản đồ 2026"


@pytest.fixture
def city(db: Database, settings: Settings, tmp_path: Path) -> dict[str, str]:
    """The demo city, a layer of markup-laden values and an internal layer with a token."""
    load_demo(db, settings)
    evil = {"ma": "X1", "ten": EVIL, "geometry": Point(ORIGIN[0] + 0.3, ORIGIN[1] - 0.3)}
    path = write_geojson(tmp_path / "evil.geojson", [evil])
    import_file(
        db,
        settings,
        path,
        ImportOptions(layer_id="evil", new_layer=True, access="public", key="ma", title_vi=EVIL),
    )
    inner = {"ma": "N1", "ten": "Trạm nội bộ", "geometry": Point(ORIGIN[0] - 0.3, ORIGIN[1])}
    path = write_geojson(tmp_path / "inner.geojson", [inner])
    opts = ImportOptions(
        layer_id="noi_bo", new_layer=True, key="ma", access="internal", title_vi="Nội bộ"
    )
    import_file(db, settings, path, opts)
    with db.write() as conn:
        update_layer(conn, "evil", attribution=EVIL)
        create_account(conn, "xem", "viewer", password=PASSWORD)
        token, _ = create_token(conn, "xem", "bản đồ")
    return {"token": token}


@pytest.fixture
def server(city: dict[str, str], env: dict[str, str]) -> Iterator[str]:
    """``dothi serve`` in its own process, as a visitor's browser would meet it."""
    require((ROOT / "node_modules/maplibre-gl/dist/maplibre-gl.mjs").is_file(), "run npm ci")
    with dothi_server(env, drop=("DOTHI_WEB_VENDOR", "DOTHI_BASEMAP_URL")) as url:
        yield url


# Resolves with nothing: handing back the event would make Playwright copy the whole map.
IDLE = "() => new Promise(r => { dothiMap.once('idle', () => r()); dothiMap.triggerRepaint(); })"
COUNT = "ids => dothiMap.queryRenderedFeatures({layers: ids}).length"


def _layers(layer: str) -> list[str]:
    return [f"dothi:{layer}:{kind}" for kind in ("fill", "line", "circle")]


def _click_at(page: Any, lon: float, lat: float) -> str:
    """Centre the map on a point at zoom 17, click it and return the popup's text."""
    page.evaluate(f"dothiMap.jumpTo({{center: [{lon}, {lat}], zoom: 17}})")
    page.evaluate(IDLE)
    at = page.evaluate(f"dothiMap.project([{lon}, {lat}])")
    box = page.locator("#map canvas").bounding_box()
    page.mouse.click(box["x"] + at["x"], box["y"] + at["y"])
    popup = page.locator(".maplibregl-popup")
    popup.wait_for(timeout=5000)
    text: str = popup.inner_text()
    return text


@pytest.mark.browser
@pytest.mark.slow
# On both backends: the walk through a page that shows PostGIS serves the pages (the other
# page tests run on SQLite; the APIs behind them are tested on both).
@pytest.mark.parametrize("backend", ["sqlite", "postgis"])
def test_map_page_in_chromium(
    browser: OneTest, server: str, city: dict[str, str], tmp_path: Path
) -> None:
    facility = _find(server, "public_facility", "Bảo tàng Mỹ thuật Thành phố Hồ Chí Minh")
    errors: list[str] = []
    page = browser.new_page(viewport={"width": 1280, "height": 800}, locale="vi-VN")
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(server + "map")
    page.wait_for_function("window.dothiReady !== undefined")
    page.evaluate("window.dothiReady")
    page.evaluate(IDLE)
    page.screenshot(path=str(tmp_path / "map.png"))

    names = page.locator("#layers li").all_inner_texts()
    # One language at a time (the browser asks for Vietnamese).
    assert any("Đơn vị hành chính cấp xã" in n for n in names)
    assert not any("Communes and wards" in n for n in names)
    assert any(EVIL in n for n in names) and not any("Nội bộ" in n for n in names)
    assert page.evaluate("dothiMap.queryRenderedFeatures().length") > 0
    # Fitted to where most layers are (central TP HCM), not to the country-wide
    # province layer.
    west, south, east, north = page.evaluate("dothiMap.getBounds().toArray().flat()")
    assert west < 106.70 < east and south < 10.78 < north
    assert east - west < 2

    lon, lat = facility["geometry"]["coordinates"]
    text = _click_at(page, lon, lat)
    assert "Bảo tàng Mỹ thuật Thành phố Hồ Chí Minh" in text and "Công trình dịch vụ" in text
    # The same click asks for the planning answer of the place.
    page.evaluate("window.dothiPlanning")
    card = page.locator("#planning").inner_text()
    assert "Quy hoạch tại điểm này" in card and "Xã/phường" in card
    assert "Ô quy hoạch" in card and "Thông tin chỉ để tham khảo" in card
    # On a parcel the card also offers the planning sheet as PDF.
    with urllib.request.urlopen(f"{server}ogcapi/collections/land_parcel/items?limit=1") as r:
        parcel = shape(json.loads(r.read())["features"][0]["geometry"])
    inside = parcel.representative_point()
    _click_at(page, inside.x, inside.y)
    page.evaluate("window.dothiPlanning")
    sheet = page.locator("#planning-sheet").get_attribute("href") or ""
    assert "/planning/sheet?lon=" in sheet
    with urllib.request.urlopen(sheet, timeout=30) as pdf:
        assert pdf.headers["Content-Type"] == "application/pdf" and pdf.read(4) == b"%PDF"

    # Address search, tone marks left out: the parcel's answer and its sheet.
    page.fill("#search-q", "2 ho tung mau")
    page.click("#search-form button")
    page.locator("#search-results button", has_text="2 Hồ Tùng Mậu").first.click()
    page.evaluate("window.dothiPlanning")
    assert "Thửa đất" in page.locator("#planning").inner_text()
    found = page.locator("#planning-sheet").get_attribute("href") or ""
    assert "commune=" in found and "parcel_no=" in found
    page.screenshot(path=str(tmp_path / "popup.png"))

    page.locator('#layers li[data-layer="public_facility"] input').uncheck()
    page.evaluate(IDLE)
    assert page.evaluate(COUNT, _layers("public_facility")) == 0
    assert page.evaluate(COUNT, _layers("building")) > 0
    assert "Bảo tàng Mỹ thuật" not in _click_at(page, lon, lat)

    # Markup in user data stays text: in the popup, the layer list and the attribution.
    assert EVIL in _click_at(page, ORIGIN[0] + 0.3, ORIGIN[1] - 0.3)
    assert page.locator("#panel img, .maplibregl-popup img, .maplibregl-ctrl img").count() == 0
    assert page.evaluate("window.pwned") is None

    # A wrong password is told in Vietnamese and English; nothing more is shown.
    seen = len(errors)
    page.fill("#login-name", "xem")
    page.fill("#login-password", "sai mật khẩu")
    page.click("#login-form button")
    page.locator("#status", has_text="không đúng").wait_for()
    said = page.locator("#status").inner_text()
    assert "mật khẩu không đúng" in said
    assert not any("Nội bộ" in n for n in page.locator("#layers li").all_inner_texts())
    assert page.input_value("#login-password") == ""
    # The browser logs the 401 of the refused sign-in; that one is expected.
    assert [e for e in errors[seen:] if "401" not in e] == []
    del errors[seen:]

    # Signed in as a viewer, the internal layer is listed.
    page.fill("#login-password", PASSWORD)
    page.click("#login-form button")
    page.locator("#status", has_text="Đã đăng nhập: xem").wait_for()
    page.evaluate("window.dothiReady")
    assert any("Nội bộ" in n for n in page.locator("#layers li").all_inner_texts())

    # With a viewer's token the internal layer is listed and its tiles are drawn.
    page.fill("#token", city["token"])
    page.click("#token-form button")
    page.evaluate("window.dothiReady")
    assert any("Nội bộ" in n for n in page.locator("#layers li").all_inner_texts())
    page.evaluate(f"dothiMap.jumpTo({{center: [{ORIGIN[0] - 0.3}, {ORIGIN[1]}], zoom: 12}})")
    page.evaluate(IDLE)
    assert page.evaluate(COUNT, _layers("noi_bo")) == 1
    assert errors == []
    print(f"screenshots: {tmp_path / 'map.png'} {tmp_path / 'popup.png'}")


def _find(server: str, layer: str, name: str) -> dict[str, Any]:
    """The one feature of ``layer`` called ``name``, read through the OGC API."""
    query = urllib.parse.urlencode({"name": name})
    with urllib.request.urlopen(f"{server}ogcapi/collections/{layer}/items?{query}") as r:
        features: list[dict[str, Any]] = json.load(r)["features"]
    assert len(features) == 1
    return features[0]
