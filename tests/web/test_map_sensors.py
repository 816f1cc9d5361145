"""The map's sensor layer in headless Chromium, on the demo city with its sensors, on a
desktop and a phone: the devices appear in their states' colours with a legend, a click
shows a device's latest readings and a chart of its last day and week, and the card
follows new readings."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser import CHROMIUM, CHROMIUM_ARGS, no_sideways_scroll, require
from fastapi import FastAPI
from fastapi.testclient import TestClient
from live import dothi_server
from test_map_page import IDLE, ROOT, _config, vendor  # noqa: F401  (a fixture)

from dothi.app.web_routes import web_router
from dothi.capability import Capability, Mount
from dothi.config import Settings
from dothi.db.engine import Database
from dothi.demo.loader import load_demo
from dothi.demo.sensors import FLEET
from dothi.sensors.simulate.devices import Reading
from dothi.sensors.simulate.history import FeatureCache, write_readings
from dothi.sensors.simulate.provision import load_fleet
from dothi.sensors.sta.times import now_micros
from dothi.web import load_web_settings

VIEWPORTS = [(1366, 768), (390, 844)]


@pytest.mark.usefixtures("vendor")
def test_the_map_shows_sensors_when_a_capability_serves_them(db: Database) -> None:
    served = Capability("cam_bien", "Cảm biến", "Sensors", mounts=(Mount("/sensors", "x:y"),))
    for capabilities, expected in (((served,), True), ((), False)):
        app = FastAPI()
        app.state.db = db
        app.include_router(web_router(load_web_settings(), capabilities))
        page = TestClient(app).get("/map")
        assert page.status_code == 200 and _config(page.text)["sensors"] is expected
        assert 'id="sensors"' in page.text and "/static/sensors.js" not in page.text
    assert (
        TestClient(app)
        .get("/static/sensors.js")
        .headers["content-type"]
        .startswith("text/javascript")
    )


@pytest.fixture
def server(db: Database, settings: Settings, env: dict[str, str]) -> Iterator[str]:
    """The demo city with its sensors, served."""
    require((ROOT / "node_modules/maplibre-gl/dist/maplibre-gl.mjs").is_file(), "run npm ci")
    load_demo(db, settings)
    with dothi_server(env, drop=("DOTHI_WEB_VENDOR", "DOTHI_BASEMAP_URL")) as url:
        yield url


def _flood_sensor(url: str) -> dict[str, Any]:
    # 404 here: the sensors capability does not mount dothi.sensors.api:router at /sensors.
    with urllib.request.urlopen(f"{url}sensors/latest") as answer:
        features = json.load(answer)["features"]
    return next(
        f
        for f in features
        if f["properties"]["profile"] == "flood" and "ngập" in f["properties"]["name"]
    )


def _open(page: Any, url: str) -> None:
    page.goto(url)
    page.wait_for_function("window.dothiSensorsStarted !== undefined")
    page.evaluate("window.dothiSensorsStarted")
    page.evaluate(IDLE)


def _click(page: Any, lon: float, lat: float) -> None:
    at = page.evaluate(f"dothiMap.project([{lon}, {lat}])")
    box = page.locator("#map canvas").bounding_box()
    page.mouse.click(box["x"] + at["x"], box["y"] + at["y"])
    page.locator(".sensor-card").wait_for(timeout=5000)
    page.evaluate("window.dothiSensorChart")


def _flood(db: Database, thing_id: int, depth: float) -> None:
    """A new reading of the flood sensor, as the ingest would store it."""
    with db.read() as conn:
        device = next(d for d in load_fleet(conn, FLEET) if d.thing_id == thing_id)
    with db.write() as conn:
        reading = Reading(device.streams["flood_depth"], now_micros(), None, depth)
        write_readings(conn, {thing_id: device}, [reading], FeatureCache())


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite"])
def test_sensors_on_the_map(server: str, db: Database, tmp_path: Path) -> None:
    require(CHROMIUM.exists(), f"Chromium is not installed at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    sensor = _flood_sensor(server)
    lon, lat = sensor["geometry"]["coordinates"]
    errors: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        for n, (width, height) in enumerate(VIEWPORTS):
            page = browser.new_page(viewport={"width": width, "height": height}, locale="vi-VN")
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            _open(page, f"{server}map#map=17/{lat}/{lon}")
            # The devices appear, in their states' colours, with a legend.
            shown = page.evaluate(
                "dothiMap.queryRenderedFeatures({layers: ['dothi-sensors:circle']})"
                ".map(f => [f.properties.id, f.properties.colour])"
            )
            assert sensor["id"] in {i for i, _ in shown}
            now = _flood_sensor(server)  # the previous round flooded it
            assert dict(shown)[sensor["id"]] == now["properties"]["state"]["colour"]
            legend = page.locator("#sensors").inner_text()
            assert "Cảm biến" in legend and "Mưa và ngập" in legend and "Chiếu sáng" in legend
            # A click: its latest readings and a chart of the last day…
            _click(page, lon, lat)
            card = page.locator(".sensor-card")
            text = card.inner_text()
            assert sensor["properties"]["name"] in text and "Dữ liệu mô phỏng" in text
            assert "Độ sâu ngập" in text and " m" in text
            assert card.locator("svg.sensor-chart polyline.mean").count() == 1
            points = card.locator("svg.sensor-chart polyline.mean").get_attribute("points") or ""
            assert len(points.split()) >= 20  # a day of hours
            # … and of the week, by day.
            card.locator(".chart-tabs button", has_text="7 ngày").click()
            page.evaluate("window.dothiSensorChart")
            assert page.locator(".sensor-card svg.sensor-chart .range-bar").count() >= 7
            assert page.locator(".chart-tabs button[aria-pressed=true]").inner_text() == "7 ngày"
            # The card follows new readings.
            depth = (0.9, 1.2)[n]
            _flood(db, sensor["id"], depth)
            page.evaluate("window.dothiSensorsRefresh()")
            page.evaluate("window.dothiSensorChart")
            text = page.locator(".sensor-card").inner_text()
            shown_depth = f"{depth:.1f}".replace(".", ",")
            assert f"{shown_depth} m" in text and "Vượt ngưỡng cảnh báo" in text
            # Within the screen on a phone; no sideways scroll.
            no_sideways_scroll(page, width)
            box = page.locator("#sensor-card").bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= width
            page.screenshot(path=str(tmp_path / f"sensors-{width}.png"))
            # Closed with its button (or Escape); the dots can be hidden.
            page.locator("#sensor-card button.close").click()
            assert page.locator("#sensor-card").is_hidden()
            page.uncheck("#show-sensors")
            page.evaluate(IDLE)
            assert (
                page.evaluate("dothiMap.getLayoutProperty('dothi-sensors:circle', 'visibility')")
                == "none"
            )
            page.close()
        browser.close()
    assert errors == []
