"""The consultation page at ``/consultation`` in headless Chromium: plans, the comment form,
published comments with answers, the synthesis of a closed consultation."""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from browser import CHROMIUM, CHROMIUM_ARGS, EVIL, require
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
    assert client.get("/static/nothing.js").status_code == 404


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite", "postgis"])
def test_consultation_page_in_chromium(
    server: str, db: Database, settings: Settings, tmp_path: Path
) -> None:
    require(CHROMIUM.exists(), f"Chromium is not installed at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    errors: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1100, "height": 900})
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        # Arriving from the map's "comment on this place" link.
        page.goto(f"{server}consultation?plan=qh-moi&lon={X0 + 1.5 * W}&lat={Y0 + W / 2}")
        page.evaluate("window.dothiReady")
        plans = page.locator("#plans").inner_text()
        assert "Điều chỉnh phân khu Bến Thành" in plans and "đang lấy ý kiến" in plans
        assert "Bản nháp" not in plans  # drafts are not public
        assert "Góp ý tại vị trí" in page.locator("#place").inner_text()
        page.locator("#zone option").nth(2).wait_for(state="attached")

        page.select_option("#topic", "green_space")
        page.fill("#body", f"Giữ hàng cây dầu trên đường Lê Lợi {EVIL}")
        page.fill("#who-name", NAME)
        page.set_input_files(
            "#files",
            files=[{"name": "hien-trang.png", "mimeType": "image/png", "buffer": _png(b"GPS")}],
        )
        page.click("#comment-form button[type=submit]")
        page.locator("#form-status", has_text="Cảm ơn").wait_for()
        said = page.locator("#form-status").inner_text()
        assert "Cảm ơn bạn" in said and "Thank you" in said
        comment_id = int(said.split("số / no. ")[1].split(")")[0])

        # A file of the wrong type is refused with a message in both languages.
        page.fill("#body", "Một góp ý khác")
        page.set_input_files(
            "#files", files=[{"name": "x.pdf", "mimeType": "application/pdf", "buffer": b"MZ"}]
        )
        page.click("#comment-form button[type=submit]")
        page.locator("#form-status.error").wait_for()
        assert page.evaluate("window.dothiSent") == 415
        refused = page.locator("#form-status").inner_text()
        assert "không phải application/pdf" in refused and "is not application/pdf" in refused

        with db.read() as conn:
            stored = cs.get_comment(conn, operator("test"), comment_id)
            assert stored["zone_uid"] == "z2" and stored["has_identity"]
        assert "Giữ hàng cây dầu" not in page.locator("#comments").inner_text()  # pending

        # An official signs in, publishes the comment and answers it on the page.
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

        # The public sees the comment and its answer.
        page.reload()
        page.evaluate("window.dothiReady")
        page.locator("#comments li", has_text="Giữ hàng cây dầu").wait_for()
        shown = page.locator("#comments").inner_text()
        assert EVIL in shown and "Sở Xây dựng tiếp thu." in shown and NAME not in shown
        assert "ô / zone I-2" in shown  # the zone's code, not its id
        assert page.locator("#comments img").count() == 0
        assert page.evaluate("window.pwned") is None
        assert "hien-trang.png" in shown

        # The closed consultation: no form, its comments, answers and the synthesis.
        page.click('#plans button[data-plan="qh-xong"]')
        page.locator("#comments li", has_text="trường tiểu học").wait_for()
        assert page.locator("#comment-form").is_hidden()
        assert "Đã bổ sung trường tại ô IX." in page.locator("#comments").inner_text()
        href = page.locator("#report-pdf").get_attribute("href") or ""
        with urllib.request.urlopen(href, timeout=30) as pdf:
            assert pdf.read(4) == b"%PDF"
        page.screenshot(path=str(tmp_path / "consultation.png"))
        browser.close()
    # The refused upload's 415 and rejection's 400 are logged by the browser; nothing else.
    assert [e for e in errors if "415" not in e and "400" not in e] == []
