"""The consultation page at ``/consultation`` in headless Chromium, on a laptop (1366×768) and
a phone (390×844): plans, what the draft changes (table and small map), the zone and place
carried over from the map, deep links to zones, the comment form, documents, published
comments with answers, the synthesis of a closed consultation; one language at a time.

In Chromium on SQLite only: the page's answers come from the consultation's API, which
tests/planning/test_planning_consultation.py checks on both backends (a page walk on PostGIS
is tests/web/test_map_page.py's).
"""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from browser import EVIL, OneTest
from fastapi.testclient import TestClient
from live import dothi_server
from planning_samples import X0, Y0, W, consultation_city
from test_planning_consultation import NAME, _png

from dothi.app.main import create_app
from dothi.auth.accounts import create_account
from dothi.auth.policy import operator
from dothi.config import Settings
from dothi.db.engine import Database
from dothi.planning.consultation import comments as cs
from dothi.planning.tables import comment

PASSWORD = "mật khẩu kiểm duyệt 2026"


@pytest.fixture
def server(db: Database, settings: Settings, tmp_path: Path, env: dict[str, str]) -> Iterator[str]:
    consultation_city(db, settings, tmp_path)
    with db.write() as conn:
        create_account(conn, "duyet", "editor", password=PASSWORD)
    # A closed consultation with one published, answered comment (sent while it was open).
    with db.write() as conn:
        made = conn.execute(
            comment.insert()
            .returning(comment.c.id)
            .values(
                plan_id="qh-xong",
                zone_uid="z9",
                topic="social_infrastructure",
                body="Đề nghị thêm trường tiểu học",
                status="published",
                client_key="x",
                created_at=datetime.now(UTC) - timedelta(days=20),
            )
        ).scalar_one()
        cs.answer(conn, operator("test"), made, "Đã bổ sung trường tại ô IX.")
    with dothi_server(env) as url:
        yield url


def test_page_is_served_with_a_strict_policy(db: Database, settings: Settings) -> None:
    client = TestClient(create_app(settings, db))
    page = client.get("/consultation")
    assert page.status_code == 200 and "Lấy ý kiến cộng đồng" in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert (
        client.get("/static/consultation.js").headers["content-type"].startswith("text/javascript")
    )
    assert client.get("/static/consultation.css").headers["content-type"].startswith("text/css")
    assert client.get("/static/nothing.js").status_code == 404


def test_page_language_comes_from_the_request(db: Database, settings: Settings) -> None:
    client = TestClient(create_app(settings, db))
    assert '<html lang="vi">' in client.get("/consultation").text
    english = client.get("/consultation", headers={"Accept-Language": "en-GB,en;q=0.9,vi;q=0.5"})
    assert '<html lang="en">' in english.text
    assert "Accept-Language" in english.headers["vary"]
    chosen = client.get(
        "/consultation", headers={"Accept-Language": "en", "Cookie": "dothi_lang=vi"}
    )
    assert '<html lang="vi">' in chosen.text


IDLE = (
    "() => new Promise(r => { const m = window.dothiConsultMap; if (!m) return r();"
    " m.once('idle', () => r()); m.triggerRepaint(); })"
)


def _drawn(page: Any, layer: str) -> int:
    page.evaluate(IDLE)
    count: int = page.evaluate(
        f"window.dothiConsultMap.queryRenderedFeatures({{layers: ['{layer}']}}).length"
    )
    return count


def _fits(page: Any) -> bool:
    """Nothing runs off the side of the screen (no sideways scrolling)."""
    return bool(page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth + 1"))


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite"])
def test_consultation_page_in_chromium(
    browser: OneTest, server: str, db: Database, settings: Settings, tmp_path: Path
) -> None:
    errors: list[str] = []
    page = browser.new_page(viewport={"width": 1366, "height": 768}, locale="vi-VN")
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    # Arriving from the map's "comment on this place" link.
    page.goto(f"{server}consultation?plan=qh-moi&lon={X0 + 1.5 * W}&lat={Y0 + W / 2}")
    page.evaluate("window.dothiReady")
    assert page.evaluate("document.documentElement.lang") == "vi"
    plans = page.locator("#plans").inner_text()
    assert "Điều chỉnh phân khu Bến Thành" in plans and "đang lấy ý kiến" in plans
    assert "Bản nháp" not in plans  # drafts are not public
    # One language: no English beside the Vietnamese.
    text = page.locator("body").inner_text()
    assert "Send a comment" not in text and "Whole plan" not in text and " / " not in text
    assert "Dự thảo đang lấy ý kiến (chưa có hiệu lực)" in page.locator("#plan-status").inner_text()

    # The place and its zone carried over from the map.
    assert page.locator("#zone").input_value() == "z2"
    place = page.locator("#place").inner_text()
    assert "Góp ý tại vị trí" in place and "(ô I-2)" in place
    # Zones in natural order, their function in words.
    options = page.locator("#zone option").all_inner_texts()
    assert options == ["Toàn đồ án", "I-1 — Đất ở", "I-2 — Đất ở", "I-10 — Đất giáo dục"]

    # What the draft changes: a row per zone, before and after, a link to each zone.
    summary = page.locator("#changes-summary").inner_text()
    assert "1 ô điều chỉnh, 1 ô mới, 0 ô bỏ, 1 ô giữ nguyên" in summary
    assert "Phân khu Bến Thành 2020" in summary and "qh-cu" not in summary
    rows = page.locator("#changes-table tbody tr")
    assert rows.count() == 2
    i2 = page.locator("#change-I-2").inner_text()
    assert "Tầng cao tối đa: 5" in i2 and "Tầng cao tối đa: 8 (+3)" in i2
    assert "Hệ số sử dụng đất tối đa (lần): 4,5 (+1,5)" in i2
    assert "Ô mới: Đất giáo dục" in page.locator("#change-I-10").inner_text()
    assert page.locator("#change-I-2").get_attribute("class") == "chosen"
    link = page.locator("#change-I-10 a.zone-link").get_attribute("href") or ""
    assert link.endswith("consultation?plan=qh-moi&zone=I-10")
    # The small map: the draft's zones, those in force, and the place marked.
    assert _drawn(page, "place-dot") == 1
    assert _drawn(page, "after-fill") >= 2 and _drawn(page, "before-line") >= 1
    assert _fits(page)
    page.screenshot(path=str(tmp_path / "consultation-1366.png"), full_page=True)

    page.select_option("#topic", "green_space")
    page.fill("#body", f"Giữ hàng cây dầu trên đường Lê Lợi {EVIL}")
    page.fill("#who-name", NAME)
    page.set_input_files(
        "#files",
        files=[{"name": "hien-trang.png", "mimeType": "image/png", "buffer": _png(b"GPS")}],
    )
    page.click("#comment-form button[type=submit]")
    page.locator("#form-status", has_text="Cảm ơn").wait_for()
    said = page.locator("#form-status")
    assert "Cảm ơn bạn" in said.inner_text() and "Thank you" not in said.inner_text()
    comment_id = int(said.get_attribute("data-comment") or 0)

    # A file of another type is refused, in the words people use, before it is sent...
    page.fill("#body", "Một góp ý khác")
    page.set_input_files(
        "#files", files=[{"name": "ghi-chu.txt", "mimeType": "text/plain", "buffer": b"x"}]
    )
    page.click("#comment-form button[type=submit]")
    page.locator("#form-status.error").wait_for()
    assert "chỉ nhận ảnh JPG, PNG hoặc tệp PDF" in page.locator("#form-status").inner_text()
    # ... and a file that only pretends to be a PDF by the server.
    page.set_input_files(
        "#files", files=[{"name": "x.pdf", "mimeType": "application/pdf", "buffer": b"MZ"}]
    )
    page.click("#comment-form button[type=submit]")
    page.locator("#form-status", has_text="không phải tệp PDF thật").wait_for()
    assert page.evaluate("window.dothiSent") == 415
    refused = page.locator("#form-status").inner_text()
    assert "không phải tệp PDF thật" in refused and "application/pdf" not in refused

    with db.read() as conn:
        stored = cs.get_comment(conn, operator("test"), comment_id)
        assert stored["zone_uid"] == "z2" and stored["has_identity"]
    assert "Giữ hàng cây dầu" not in page.locator("#comments").inner_text()  # pending

    # An official signs in, publishes the comment, answers it, adds a document.
    page.fill("#login-name", "duyet")
    page.fill("#login-password", PASSWORD)
    page.click("#login-form button")
    page.locator("#status", has_text="Đã đăng nhập: duyet").wait_for()
    page.evaluate("window.dothiReady")
    pending = page.locator("#pending li", has_text="Giữ hàng cây dầu")
    assert NAME not in page.locator("#pending").inner_text()
    pending.locator("button.reject").click()  # no reason given: refused
    page.locator("#status.error", has_text="lý do").wait_for()
    pending.locator("button.publish").click()
    published = page.locator("#comments li", has_text="Giữ hàng cây dầu")
    published.wait_for()
    published.locator("textarea.answer-text").fill("Sở Xây dựng tiếp thu.")
    published.locator("button.send-answer").click()
    page.locator("#comments .answer", has_text="Sở Xây dựng tiếp thu.").wait_for()
    page.fill("#document-title", "Thuyết minh tổng hợp")
    page.select_option("#document-kind", "report")
    pdf = b"%PDF-1.4\n%%EOF\n"
    page.set_input_files(
        "#document-file",
        files=[{"name": "thuyet-minh.pdf", "mimeType": "application/pdf", "buffer": pdf}],
    )
    page.click("#document-form button[type=submit]")
    page.locator("#document-status.ok").wait_for()
    assert page.evaluate("window.dothiUploaded") == 201

    # The public sees the comment, its answer and the document.
    page.reload()
    page.evaluate("window.dothiReady")
    page.locator("#comments li", has_text="Giữ hàng cây dầu").wait_for()
    shown = page.locator("#comments").inner_text()
    assert EVIL in shown and "Sở Xây dựng tiếp thu." in shown and NAME not in shown
    assert "Ô I-2" in shown  # the zone's code, not its id
    assert page.locator("#comments img").count() == 0
    assert page.evaluate("window.pwned") is None
    assert "hien-trang.png" in shown
    document = page.locator("#document-list a", has_text="Thuyết minh tổng hợp")
    with urllib.request.urlopen(document.get_attribute("href") or "", timeout=30) as got:
        assert got.read() == pdf
    assert page.locator("#document-form").is_hidden()

    # The closed consultation: no form, its comments, answers and the synthesis.
    page.click('#plans button[data-plan="qh-xong"]')
    page.locator("#comments li", has_text="trường tiểu học").wait_for()
    assert page.locator("#comment-form").is_hidden()
    assert "Đã bổ sung trường tại ô IX." in page.locator("#comments").inner_text()
    href = page.locator("#report-pdf").get_attribute("href") or ""
    with urllib.request.urlopen(href, timeout=30) as report:
        assert report.read(4) == b"%PDF"
    # The refused upload's 415 and rejection's 400 are logged by the browser; nothing else.
    assert [e for e in errors if "415" not in e and "400" not in e] == []


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite"])
def test_consultation_page_on_a_phone_in_english(
    browser: OneTest, server: str, tmp_path: Path
) -> None:
    errors: list[str] = []
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, locale="en-GB", is_mobile=True
    )
    page = context.new_page()
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    # A deep link to one zone of the plan.
    page.goto(f"{server}consultation?plan=qh-moi&zone=I-10")
    page.evaluate("window.dothiReady")
    assert page.evaluate("document.documentElement.lang") == "en"
    text = page.locator("body").inner_text()
    assert "Public consultation on plans" in text and "Send a comment" in text
    for vietnamese in ("Gửi góp ý", "Toàn đồ án", "Chủ đề", "Đang có hiệu lực", "Đất ở"):
        assert vietnamese not in text, vietnamese
    assert "Draft in consultation (not in force)" in text
    assert page.locator("#zone").input_value() == "z10"
    assert page.locator("#change-I-10").get_attribute("class") == "chosen"
    assert "New zone: Education" in page.locator("#change-I-10").inner_text()
    assert "Max floors: 8 (+3)" in page.locator("#change-I-2").inner_text()
    assert page.locator("#place").is_hidden()
    assert _drawn(page, "chosen-line") >= 1
    language = page.locator("#language")
    assert language.inner_text() == "Tiếng Việt"
    assert "language/vi?next=%2Fconsultation%3Fplan%3Dqh-moi%26zone%3DI-10" in (
        language.get_attribute("href") or ""
    )
    assert _fits(page)
    page.screenshot(path=str(tmp_path / "consultation-390.png"), full_page=True)
    # The remembered choice wins over the browser's languages.
    context.add_cookies([{"name": "dothi_lang", "value": "vi", "url": server}])
    page.goto(f"{server}consultation?plan=qh-moi&zone=I-2")
    page.evaluate("window.dothiReady")
    assert page.evaluate("document.documentElement.lang") == "vi"
    assert "Gửi góp ý" in page.locator("body").inner_text()
    assert page.locator("#zone").input_value() == "z2"
    assert errors == []
