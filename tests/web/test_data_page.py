"""The officials' data page in headless Chromium, on a laptop and a phone screen: sign in,
import a Shapefile whose column names DBF cut to 10 characters, read the report, change a
layer's access — with nothing reachable but the Dothi server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from browser import EVIL, OneTest, no_sideways_scroll, offline
from fastapi.testclient import TestClient
from live import dothi_server
from prepared import dataset
from samples import land_parcel, parcels, write_geojson, write_ogr, zip_folder

from dothi.app.main import create_app
from dothi.auth.accounts import create_account
from dothi.auth.audit import list_audit
from dothi.config import Settings
from dothi.db.engine import Database
from dothi.spatial.importer import ImportOptions, import_file
from dothi.spatial.layers import feature_counts, find_layer

SCREENS = [(1366, 768), (390, 844)]
PASSWORD = "mật khẩu cán bộ 2026"


@dataset
def office(db: Database, settings: Settings, tmp_path: Path) -> None:
    rows = parcels(2)
    rows[0]["ten"] = EVIL
    path = write_geojson(tmp_path / "p.geojson", rows)
    opts = ImportOptions("thua", new_layer=True, key="ma", title_vi="Thửa mẫu", title_en="Parcels")
    import_file(db, settings, path, opts)
    with db.write() as conn:
        create_account(conn, "lan", "admin", password=PASSWORD)


@pytest.fixture
def server(office: None, env: dict[str, str]) -> Iterator[str]:
    with dothi_server(env, drop=("DOTHI_WEB_VENDOR", "DOTHI_BASEMAP_URL")) as url:
        yield url


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    ("lang", "title", "absent"),
    [
        ("vi", "Dữ liệu của thành phố — dành cho cán bộ", "Import"),
        ("en", "The city's data — for officials", "Nhập"),
    ],
)
def test_the_page_in_one_language(
    db: Database, settings: Settings, lang: str, title: str, absent: str
) -> None:
    client = TestClient(create_app(settings, db))
    r = client.get("/data", cookies={"dothi_lang": lang})
    assert r.status_code == 200
    assert f'<html lang="{lang}">' in r.text and title in r.text
    assert absent not in r.text.split("<main>")[1]
    assert r.headers["content-language"] == lang
    assert "script-src 'self'" in r.headers["content-security-policy"]
    assert '<a href="data" aria-current="page">' in r.text  # the header's "officials" link
    assert '<a href="accounts">' in r.text  # administrators reach the accounts page
    for name in ("data.js", "data.css"):
        assert client.get(f"/static/{name}").status_code == 200


def _shapefile(tmp_path: Path) -> Path:
    folder = tmp_path / "shp"
    folder.mkdir()
    rows = [land_parcel(i, address=EVIL) for i in range(3)]
    with pytest.warns(RuntimeWarning, match="laundered field name"):
        write_ogr(folder / "thua_dat.shp", rows, driver="ESRI Shapefile")
    return zip_folder(folder, tmp_path / "thua_dat.zip")


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.parametrize("screen", SCREENS, ids=lambda s: f"{s[0]}x{s[1]}")
def test_an_official_imports_a_shapefile_and_opens_a_layer(
    browser: OneTest,
    server: str,
    screen: tuple[int, int],
    db: Database,
    settings: Settings,
    tmp_path: Path,
) -> None:
    shp = _shapefile(tmp_path)
    width, height = screen
    errors: list[str] = []
    blocked: list[str] = []
    page = browser.new_page(viewport={"width": width, "height": height}, locale="vi-VN")
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    offline(page, blocked)
    page.goto(server + "data")
    assert page.evaluate("document.documentElement.lang") == "vi"
    assert page.get_by_role("heading", level=1).inner_text().startswith("Dữ liệu")

    # Sign in with the keyboard.
    page.get_by_label("Tài khoản").fill("lan")
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_label("Mật khẩu").press("Enter")
    page.get_by_text("Đã đăng nhập: lan (quản trị viên).").wait_for()
    assert not page.locator("#login-form").is_visible()
    no_sideways_scroll(page, width)

    # 1. the file, 2. the core layer of parcels (no data yet), preview.
    page.get_by_label("Shapefile nén thành .zip", exact=False).set_input_files(str(shp))
    page.get_by_label("Nhập vào lớp").select_option(label="Thửa đất")
    page.get_by_role("button", name="Xem trước tệp").click()
    mapping = page.locator("#mapping")
    mapping.wait_for()
    assert "3 đối tượng · vùng · Shapefile" in page.locator("#file-summary").inner_text()
    commune = page.get_by_label("Trường cho cột commune_co")
    assert commune.input_value() == "commune_code"
    assert "Mã xã/phường" in commune.locator("option:checked").inner_text()
    assert "tên bị cắt còn 10 ký tự" in mapping.inner_text()
    # land_use_c may be two fields: the page says so, the official chooses.
    assert "nhiều trường" in page.locator("#mapping-problem").inner_text()
    land_use = page.get_by_label("Trường cho cột land_use_c")
    assert land_use.input_value() == ""
    land_use.select_option("land_use_code")
    assert "WGS 84 (EPSG:4326)" in page.locator("#declared-crs").inner_text()
    assert page.evaluate("window.pwned") is None
    no_sideways_scroll(page, width)
    page.screenshot(path=str(tmp_path / f"data-mapping-{width}.png"), full_page=True)

    # 3. import, 4. the report in words.
    page.get_by_role("button", name="Nhập dữ liệu").click()
    report = page.locator("#report")
    report.wait_for()
    text = report.inner_text()
    assert "Đã nhập vào lớp Thửa đất" in text and "Lớp đã được tạo." in text
    assert "Thêm mới\n3" in text or "Thêm mới\t3" in text
    assert "Cột commune_co → trường “Mã xã/phường (2025)” (tên bị cắt còn 10 ký tự)" in text
    assert "Cột land_use_c → trường “Mã loại đất” (theo ánh xạ đã chọn)" in text
    assert "land_parcel" not in text and "commune_code" not in text
    no_sideways_scroll(page, width)
    page.screenshot(path=str(tmp_path / f"data-report-{width}.png"), full_page=True)

    # The layers: the new one counted, the sample layer opened to everyone.
    row = page.locator("#layers tr[data-layer='land_parcel']")
    assert "3" in row.locator("td.count").inner_text()
    access = page.get_by_label("Mức truy cập của lớp Thửa mẫu", exact=True)
    access.select_option(label="Công khai — mọi người")
    access.focus()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.getAttribute('aria-label')") == (
        "Đổi mức truy cập của lớp Thửa mẫu"
    )
    page.keyboard.press("Enter")
    page.get_by_text("Đã lưu lớp Thửa mẫu: Công khai — mọi người.").wait_for()
    no_sideways_scroll(page, width)
    page.screenshot(path=str(tmp_path / f"data-layers-{width}.png"), full_page=True)
    assert errors == [] and blocked == []
    with db.read() as conn:
        assert feature_counts(conn)["land_parcel"] == 3
        props = [r.properties for r in db.port.find(conn, "land_parcel")]
        layer = find_layer(conn, "thua")
        access = list_audit(conn, action="layer_access")
    assert {p["commune_code"] for p in props} == {"26734"}
    assert {p["land_use_code"] for p in props} == {"ODT"}
    assert layer is not None and layer.access == "public"
    assert len(access) == 1 and access[0].account_id is not None
