"""What the map page needs from the server, in process, on the demo city (both backends):
its language, the layers' labels and colours, the glyphs of its labels, the parcel search."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from prepared import dataset

from dothi.app.main import create_app
from dothi.config import Settings
from dothi.db.engine import Database
from dothi.demo.loader import load_demo
from dothi.errors import NotFound
from dothi.i18n import LANGUAGE_COOKIE
from dothi.spatial.importer import ImportOptions, import_file
from dothi.web import glyphs


@dataset(shared=True)
def demo(db: Database, settings: Settings, tmp_path: Path) -> None:
    load_demo(db, settings)
    path = tmp_path / "inner.geojson"
    path.write_text(
        '{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"ma":"N1"},'
        '"geometry":{"type":"Point","coordinates":[106.7,10.77]}}]}',
        encoding="utf-8",
    )
    import_file(
        db,
        settings,
        path,
        ImportOptions(layer_id="noi_bo", key="ma", access="internal", new_layer=True),
    )


@pytest.fixture
def client(demo: None, db: Database, settings: Settings) -> TestClient:
    return TestClient(create_app(settings, db))


def test_map_page_speaks_the_visitors_language(client: TestClient) -> None:
    vi = client.get("/map")
    assert vi.status_code == 200 and '<html lang="vi">' in vi.text
    assert "Tìm thửa đất" in vi.text and "Find a parcel" not in vi.text
    assert 'href="language/en?next=map"' in vi.text
    en = client.get("/map", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert '<html lang="en">' in en.text and en.headers["content-language"] == "en"
    assert "Find a parcel" in en.text and "Tìm thửa đất" not in en.text
    assert 'href="language/vi?next=map"' in en.text
    # The remembered choice wins over the browser's.
    client.cookies.set(LANGUAGE_COOKIE, "vi")
    chosen = client.get("/map", headers={"Accept-Language": "en"})
    assert '<html lang="vi">' in chosen.text
    # Layer titles before the script runs: one language too.
    assert "Planning zones" in en.text and "Ô quy hoạch" not in en.text


def test_layer_labels(client: TestClient) -> None:
    vi = client.get("/api/layers/planning_zone/labels", params={"lang": "vi"}).json()
    assert vi["lang"] == "vi"
    assert vi["fields"]["max_coverage_pct"].startswith("Mật độ xây dựng")
    assert vi["values"]["land_use_function"]["commercial_service"] == "Đất thương mại, dịch vụ"
    # Zones are coloured by land use, as data: every function has its colour.
    colours = vi["colours"]["land_use_function"]
    assert set(colours) == set(vi["values"]["land_use_function"])
    assert all(c.startswith("#") and len(c) == 7 for c in colours.values())
    en = client.get("/api/layers/planning_zone/labels", headers={"Accept-Language": "en"}).json()
    assert en["lang"] == "en" and en["values"]["land_use_function"]["residential"] == "Residential"
    kinds = client.get("/api/layers/planning_constraint/labels?lang=vi").json()["values"]["kind"]
    assert kinds["road_red_line"] and kinds["road_red_line"] != "road_red_line"
    # Access is checked as for the layer itself.
    assert client.get("/api/layers/noi_bo/labels").status_code == 404
    assert client.get("/api/layers/nothing/labels").status_code == 404


def test_glyphs_of_the_labels() -> None:
    data = glyphs.glyph_pbf("Noto Sans Regular", "7680-7935")  # ạ ả ấ … ỹ
    assert data[:1] == b"\x0a" and b"Noto Sans Regular" in data and b"7680-7935" in data
    assert len(data) > 50_000  # the Vietnamese letters are there
    for bad in ("1-2", "0-256", "abc", "65536-65791"):
        with pytest.raises(NotFound):
            glyphs.glyph_pbf("Noto Sans Regular", bad)


def test_glyph_route(client: TestClient) -> None:
    r = client.get("/static/glyphs/Noto%20Sans%20Regular/0-255.pbf")
    assert r.status_code == 200 and r.headers["content-type"] == "application/x-protobuf"
    assert client.get("/static/glyphs/Noto%20Sans%20Regular/1-9.pbf").status_code == 404


@pytest.mark.parametrize(
    ("q", "expect"),
    [
        ("2 ho tung mau", {"address": "2 Hồ Tùng Mậu, phường Sài Gòn"}),
        ("tờ 12 thửa 1", {"sheet_no": 12, "parcel_no": 1}),
        ("to 12 thua 1", {"sheet_no": 12, "parcel_no": 1}),
        ("sheet 12 parcel 1", {"sheet_no": 12, "parcel_no": 1}),
        ("12/1", {"sheet_no": 12, "parcel_no": 1}),
        ("phuong tay thanh", {"commune_code": "27013", "commune_name": "Phường Tây Thạnh"}),
        ("Tây Thạnh", {"commune_code": "27013"}),
    ],
)
def test_parcel_search(client: TestClient, q: str, expect: dict[str, object]) -> None:
    r = client.get("/planning/search", params={"q": q})
    assert r.status_code == 200, r.text
    found = r.json()["parcels"]
    assert found, q
    assert all(found[0][k] == v for k, v in expect.items()), found[0]
    assert found[0]["illustrative"] is True
