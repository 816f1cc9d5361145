"""One walk through the freshly loaded demo city in headless Chromium, as its people meet it.

A citizen finds a parcel by its address on ``/map``, reads its rules, downloads the sheet,
follows the link to the draft's consultation and leaves a comment (on a laptop, 1366×768, and
on a phone, 390×844); a planner compares the demo's two scenarios on ``/planner``; an
official signs in on ``/data`` with the demo account, imports a Shapefile whose column names
DBF cut to 10 characters, reads the report, then publishes the citizen's comment on
``/consultation``. On every page: no internal code in the visible text, nothing requested
from outside 127.0.0.1, no sideways scrolling on the phone, the same plan status on the card
and on the sheet.
"""

from __future__ import annotations

import io
import json
import re
import urllib.request
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from browser import CHROMIUM, CHROMIUM_ARGS, no_sideways_scroll, offline, require
from fastapi.testclient import TestClient
from live import dothi_server
from prepared import dataset
from samples import land_parcel, write_ogr, zip_folder
from test_map_reading import CODES

from dothi.app.main import create_app
from dothi.config import Settings
from dothi.db.engine import Database
from dothi.demo.accounts import ensure_demo_accounts, password_file
from dothi.demo.loader import load_demo

ROOT = Path(__file__).parents[2]
DESKTOP = (1366, 768)
PHONE = (390, 844)


class Parcel(NamedTuple):
    """A parcel of the demo whose zone the 2027 draft changes, as a citizen would find it."""

    address: str
    sheet_no: int
    parcel_no: int
    zone: str
    use: str
    floors_now: int
    floors_draft: int


DESKTOP_PARCEL = Parcel("11 Ngô Văn Năm, phường Sài Gòn", 41, 10, "SG-21", "Đất hỗn hợp", 15, 18)
PHONE_PARCEL = Parcel("5 Công Trường Mê Linh, phường Sài Gòn", 68, 1, "SG-32", "Đất ở", 5, 8)
#: What a person must never read on a page: field names, plan and zone ids, leaked values.
INTERNAL = re.compile(
    CODES.pattern
    + r"|qh-2027|qh-2026|minh-hoa-20\d\d|MINH-HOA-20\d\d-\d|minh-hoa-[ab]\b|plan_id"
    + r"|illustrative = true|floor_area_per_person_m2|\bNone\b|\bundefined\b|\bNaN\b"
    + r"|\[object"
)
STATUS = re.compile(r"Trạng thái đồ án: (.+)")
#: Letters only Vietnamese writes (an English page shows none of them).
VIETNAMESE = re.compile(
    "[àáạảãâầấậẩẫăằắặẳẵèéẹẻẽêềếệểễìíịỉĩòóọỏõôồốộổỗơờớợởỡùúụủũưừứựửữỳýỵỷỹđ]", re.IGNORECASE
)


@dataset
def demo(db: Database, settings: Settings, tmp_path: Path) -> dict[str, str]:
    """The demo city as ``dothi demo`` loads it, with its two official accounts; the value
    is the accounts' passwords, read where the demo keeps them."""
    load_demo(db, settings)
    ensure_demo_accounts(db, settings)
    passwords: dict[str, str] = json.loads(password_file(settings).read_text("utf-8"))
    return passwords


@pytest.fixture
def server(demo: dict[str, str], env: dict[str, str]) -> Iterator[str]:
    """``dothi serve`` on a copy of the demo (the database and data folder are the test's:
    the shared fixtures give each test its own, so the demo is built once per worker and
    copied, and each walk has a server of its own)."""
    require((ROOT / "node_modules/maplibre-gl/dist/maplibre-gl.mjs").is_file(), "run npm ci")
    with dothi_server(env, drop=("DOTHI_WEB_VENDOR", "DOTHI_BASEMAP_URL")) as url:
        yield url


# -- Helpers ---------------------------------------------------------------------------------


class Visit:
    """One person's browser tab: what it was refused, what went wrong, what it read."""

    def __init__(self, browser: Any, size: tuple[int, int], **options: Any) -> None:
        self.width = size[0]
        self.blocked: list[str] = []
        self.errors: list[str] = []
        self.context = browser.new_context(
            viewport={"width": size[0], "height": size[1]}, locale="vi-VN", **options
        )
        self.page = self.context.new_page()
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        offline(self.page, self.blocked)

    def sweep(self, where: str) -> str:
        """The page's visible text, checked: no internal code, fits the screen's width."""
        text: str = self.page.evaluate("document.body.innerText")
        found = INTERNAL.findall(text)
        assert not found, f"{where}: {found} in {text!r}"
        no_sideways_scroll(self.page, self.width)
        return text

    def close(self) -> None:
        self.context.close()
        assert self.blocked == [], self.blocked
        assert self.errors == [], self.errors


def _launch(pw: Any) -> Any:
    return pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)


def _pdf_text(data: bytes) -> str:
    """The words of a PDF, one space between each (its lines are justified and wrapped)."""
    from pypdf import PdfReader

    text = " ".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)
    return " ".join(text.split())


def _citizen(visit: Visit, url: str, parcel: Parcel, tmp_path: Path) -> str:
    """Find the parcel by its address, read the card, get the sheet, comment on the draft;
    the comment's number."""
    page = visit.page
    page.goto(url + "map")
    page.wait_for_function("window.dothiReady !== undefined")
    page.evaluate("window.dothiReady")
    visit.sweep("map")
    search = page.get_by_label("Tìm thửa đất", exact=False)
    search.fill(parcel.address.split(",")[0])
    search.press("Enter")
    page.evaluate("window.dothiSearch")
    first = page.locator("#search-results button").first
    found = first.inner_text()
    assert parcel.address in found and f"tờ {parcel.sheet_no}, thửa {parcel.parcel_no}" in found
    visit.sweep("map, search results")
    first.click()
    page.evaluate("window.dothiPlanning")
    card = page.locator("#planning").inner_text()
    visit.sweep("map, planning card")
    page.screenshot(path=str(tmp_path / f"map-{visit.width}.png"), full_page=True)
    # The rules in words: the zone in force and the draft's, each with its plan's status.
    assert parcel.address in card and "Phường Sài Gòn" in card and parcel.use in card
    assert f"Ô quy hoạch {parcel.zone}" in card and f"tầng cao ≤ {parcel.floors_now}" in card
    assert f"Ô theo dự thảo {parcel.zone}" in card
    assert f"tầng cao ≤ {parcel.floors_draft}" in card
    statuses = STATUS.findall(card)
    assert statuses == [
        "Đã phê duyệt, đang có hiệu lực",
        "Dự thảo đang lấy ý kiến (chưa có hiệu lực)",
    ], card

    # The sheet, as the card's link gives it: a PDF naming the parcel, the plan, the draft.
    href = page.locator("#planning-sheet").get_attribute("href") or ""
    with urllib.request.urlopen(href, timeout=60) as got:
        assert got.headers["Content-Type"].startswith("application/pdf")
        pdf = got.read()
    assert pdf.startswith(b"%PDF") and len(pdf) > 10_000
    sheet = _pdf_text(pdf)
    assert parcel.address in sheet
    assert f"Thửa / Parcel số {parcel.parcel_no}, tờ bản đồ số {parcel.sheet_no}" in sheet
    assert "Quy hoạch phân khu MINH HỌA khu trung tâm" in sheet
    assert f"Tầng cao tối đa: hiện {parcel.floors_now}, đề xuất {parcel.floors_draft}" in sheet
    # The plan in force and the draft: each said alike on the card and on the sheet.
    for status in statuses:
        assert status in sheet, (status, sheet)

    # The draft's consultation, for this parcel's zone.
    link = page.locator("#planning a.comment-here").first
    link.click()
    page.wait_for_url("**/consultation?**")
    page.evaluate("window.dothiReady")
    text = visit.sweep("consultation")
    assert "Dự thảo đang lấy ý kiến (chưa có hiệu lực)" in text
    page.select_option("#topic", index=1)
    page.fill("#body", f"Tôi ở {parcel.address}, đề nghị giữ vỉa hè rộng khi tăng tầng cao.")
    # The parcel's zone, chosen for the comment.
    assert page.locator("#zone option:checked").inner_text().startswith(parcel.zone)
    page.click("#comment-form button[type=submit]")
    said = page.locator("#form-status")
    said.locator("text=Cảm ơn").wait_for()
    assert "Cảm ơn" in said.inner_text()
    visit.sweep("consultation, comment sent")
    page.screenshot(path=str(tmp_path / f"citizen-{visit.width}.png"), full_page=True)
    return said.get_attribute("data-comment") or ""


def _planner(visit: Visit, url: str, tmp_path: Path) -> None:
    """Compare the demo's two scenarios: a difference column and a warning."""
    page = visit.page
    page.goto(url + "planner")
    page.evaluate("window.dothiReady")
    listed = visit.sweep("planner")
    # One language: the Vietnamese half of names written "vi / en"; illustrative said once.
    assert "Phương án A: quy hoạch 2026 (minh họa)" in listed and "Phương án B" in listed
    assert " / " not in listed and "(minh họa) (minh họa)" not in listed
    for box in page.locator("#scenarios input[type=checkbox]").all():
        box.check()
    page.get_by_role("button", name="So sánh").click()
    page.evaluate("window.dothiDone")
    result = visit.sweep("planner, comparison")
    assert page.locator("#table th.diff").count() == 1
    assert "Chênh lệch" in page.locator("#table th.diff").inner_text()
    warning = page.locator("#warnings li").first.inner_text()
    assert "QCVN 01:2026/BXD" in warning and "không chỉ ở đồ án" in warning
    assert "Quy mô dân số" in result and " / " not in result
    norms = page.locator('#table tr[data-key="norm_set.title"] td').nth(2).inner_text()
    assert norms == "Bộ chỉ tiêu minh họa"
    page.screenshot(path=str(tmp_path / "planner.png"), full_page=True)


def _shapefile(tmp_path: Path) -> Path:
    """Three new parcels of phường Sài Gòn as a zipped Shapefile. DBF cuts commune_code to
    commune_co, and land_use_code to land_use_c, which two fields of the layer begin with
    (land_use_code, land_use_code_generation): the official chooses."""
    folder = tmp_path / "shp"
    folder.mkdir()
    rows = [
        land_parcel(
            i,
            commune_code="26740",
            parcel_uid=f"26740-900-{i + 1}",
            sheet_no=900,
            address=f"{i + 1} Đường Thử Nghiệm, phường Sài Gòn",
        )
        for i in range(3)
    ]
    with pytest.warns(RuntimeWarning, match="laundered field name"):
        write_ogr(folder / "thua_moi.shp", rows, driver="ESRI Shapefile")
    return zip_folder(folder, tmp_path / "thua_moi.zip")


def _official_imports(visit: Visit, url: str, password: str, shp: Path) -> None:
    """Sign in on the data page, import the Shapefile step by step, read the report."""
    page = visit.page
    page.goto(url + "data")
    visit.sweep("data")
    page.get_by_label("Tài khoản").fill("demo-quantri")
    page.get_by_label("Mật khẩu").fill(password)
    page.get_by_label("Mật khẩu").press("Enter")
    page.get_by_text("Đã đăng nhập: demo-quantri (quản trị viên).").wait_for()
    visit.sweep("data, signed in")
    page.get_by_label("Shapefile nén thành .zip", exact=False).set_input_files(str(shp))
    page.get_by_label("Nhập vào lớp").select_option(label="Thửa đất")
    page.get_by_role("button", name="Xem trước tệp").click()
    mapping = page.locator("#mapping")
    mapping.wait_for()
    assert "3 đối tượng · vùng · Shapefile" in page.locator("#file-summary").inner_text()
    assert page.get_by_label("Trường cho cột commune_co").input_value() == "commune_code"
    assert "tên bị cắt còn 10 ký tự" in mapping.inner_text()
    page.get_by_label("Trường cho cột land_use_c").select_option("land_use_code")
    visit.sweep("data, mapping")
    page.get_by_role("button", name="Nhập dữ liệu").click()
    report = page.locator("#report")
    report.wait_for()
    text = report.inner_text()
    assert "Đã nhập vào lớp Thửa đất" in text
    assert re.search(r"Thêm mới\s+3\b", text), text
    assert "Cột commune_co → trường “Mã xã/phường (2025)” (tên bị cắt còn 10 ký tự)" in text
    assert "Cột land_use_c → trường “Mã loại đất” (theo ánh xạ đã chọn)" in text
    row = page.locator("#layers tr[data-layer='land_parcel']")
    assert row.locator("td.count").inner_text().strip() == "394"
    visit.sweep("data, report")


def _official_moderates(visit: Visit, url: str, password: str, comment_id: str) -> None:
    """Sign in on the consultation page and publish the citizen's comment."""
    page = visit.page
    page.goto(url + "consultation")
    page.evaluate("window.dothiReady")
    visit.sweep("consultation, official")
    page.fill("#login-name", "demo-canbo")
    page.fill("#login-password", password)
    page.click("#login-form button")
    page.locator("#status", has_text="Đã đăng nhập: demo-canbo").wait_for()
    page.evaluate("window.dothiReady")
    pending = page.locator("#pending li", has_text=f"#{comment_id} ")
    assert DESKTOP_PARCEL.address in pending.inner_text()
    assert DESKTOP_PARCEL.address not in page.locator("#comments").inner_text()
    visit.sweep("consultation, pending comments")
    pending.locator("button.publish").click()
    published = page.locator("#comments li", has_text=f"#{comment_id} ")
    published.wait_for()
    assert DESKTOP_PARCEL.address in published.inner_text()
    assert page.locator("#pending li", has_text=f"#{comment_id} ").count() == 0
    assert "Đã lưu" in page.locator("#status").inner_text()
    visit.sweep("consultation, comment published")
    # The public sees it now.
    page.reload()
    page.evaluate("window.dothiReady")
    assert (
        DESKTOP_PARCEL.address
        in page.locator("#comments li", has_text=f"#{comment_id} ").inner_text()
    )
    visit.sweep("consultation, published comment")


# -- The walk ---------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_walk_through_the_demo(server: str, demo: dict[str, str], tmp_path: Path) -> None:
    require(CHROMIUM.exists(), f"Chromium is not installed at {CHROMIUM}")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        require(False, "the playwright package is not installed")
    with sync_playwright() as pw:
        browser = _launch(pw)
        citizen = Visit(browser, DESKTOP)
        comment_id = _citizen(citizen, server, DESKTOP_PARCEL, tmp_path)
        citizen.close()
        planner = Visit(browser, DESKTOP)
        _planner(planner, server, tmp_path)
        planner.close()
        official = Visit(browser, DESKTOP)
        _official_imports(official, server, demo["demo-quantri"], _shapefile(tmp_path))
        _official_moderates(official, server, demo["demo-canbo"], comment_id)
        official.close()
        # The planner in English, as it first shows, before any script has run.
        english = browser.new_context(
            viewport={"width": 1366, "height": 768}, locale="en-GB", java_script_enabled=False
        )
        english.add_cookies([{"name": "dothi_lang", "value": "en", "url": server}])
        first = english.new_page()
        first.goto(server + "planner")
        text = first.evaluate("document.body.innerText")
        assert "Planning scenarios compared" in text and "Compare" in text
        assert VIETNAMESE.findall(text.replace("Tiếng Việt", "")) == [], text
        english.close()
        browser.close()
    assert comment_id


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_citizen_on_a_phone(server: str, tmp_path: Path) -> None:
    require(CHROMIUM.exists(), f"Chromium is not installed at {CHROMIUM}")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        require(False, "the playwright package is not installed")
    with sync_playwright() as pw:
        browser = _launch(pw)
        citizen = Visit(browser, PHONE, is_mobile=True, has_touch=True)
        assert _citizen(citizen, server, PHONE_PARCEL, tmp_path)
        citizen.close()
        browser.close()


class _FirstPaint(HTMLParser):
    """The text a browser shows of an HTML page before any script runs: element text and
    placeholders, less scripts, styles and what is marked ``lang="vi"`` (the switch to
    Vietnamese names itself in Vietnamese)."""

    def __init__(self) -> None:
        super().__init__()
        self.shown: list[str] = []
        self._skip: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        hidden = tag in ("script", "style") or (tag != "html" and found.get("lang") == "vi")
        if self._skip is None and hidden:
            self._skip = tag
        if self._skip is None and found.get("placeholder"):
            self.shown.append(found["placeholder"] or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == self._skip:
            self._skip = None

    def handle_data(self, data: str) -> None:
        if self._skip is None and data.strip():
            self.shown.append(data.strip())


def _first_paint(page: str) -> str:
    parser = _FirstPaint()
    parser.feed(page)
    return "\n".join(parser.shown)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    ("name", "english", "vietnamese"),
    [
        ("planner", "Planning scenarios compared", "So sánh phương án quy hoạch"),
        ("consultation", "Public consultation on plans", "Lấy ý kiến cộng đồng về quy hoạch"),
    ],
    ids=["planner", "consultation"],
)
def test_the_page_is_in_english_from_its_first_paint(
    db: Database, settings: Settings, name: str, english: str, vietnamese: str
) -> None:
    """The capabilities' pages are written in their language by the server: nothing waits
    for a script to turn Vietnamese into English."""
    client = TestClient(create_app(settings, db))
    client.cookies.set("dothi_lang", "en")
    en = client.get(f"/{name}", params={"plan": "x"})
    assert en.status_code == 200 and en.headers["content-language"] == "en"
    shown = _first_paint(en.text)
    assert shown.splitlines()[0] == f"Dothi — {english}"  # the <title>
    assert english in shown and VIETNAMESE.findall(shown) == [], shown
    assert 'placeholder="account"' in en.text
    # The switch to Vietnamese comes back to this very page.
    assert f'<a id="language" href="language/vi?next=/{name}%3Fplan%3Dx" lang="vi"' in en.text
    client.cookies.set("dothi_lang", "vi")
    vi = client.get(f"/{name}", params={"plan": "x"})
    assert vi.headers["content-language"] == "vi"
    assert vietnamese in _first_paint(vi.text) and english not in _first_paint(vi.text)
    assert f'<a id="language" href="language/en?next=/{name}%3Fplan%3Dx" lang="en"' in vi.text


def test_the_map_words_plan_statuses_as_the_api_does() -> None:
    """The map page prefers the API's ``status_label``; its own words, for a plan sent
    without one, are the same: the card never contradicts the sheet."""
    from dothi.planning.plans import STATUS_LABELS
    from dothi.web.texts import map_text

    for lang in ("vi", "en"):
        words = map_text(lang)
        for status, label in STATUS_LABELS.items():
            assert words[f"status_{status}"] == label[lang], (lang, status)
