"""The accounts page: served in one language at a time, and in headless Chromium on a laptop
and a phone screen: sign in, change the password, manage an account, sign out."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser import OneTest, no_sideways_scroll
from fastapi.testclient import TestClient
from live import dothi_server
from prepared import dataset

from dothi.app.main import create_app
from dothi.auth.accounts import create_account
from dothi.config import Settings
from dothi.db.engine import Database

SCREENS = [(1366, 768), (390, 844)]
ADMIN_PW = "quản trị viên 2026 dài"
NEW_PW = "mật khẩu mới hẳn 2026"


@dataset
def people(db: Database, settings: Settings, tmp_path: Path) -> None:
    """An admin (quan) and a viewer (lan)."""
    with db.write() as conn:
        create_account(conn, "quan", "admin", agency="Sở Xây dựng", password=ADMIN_PW)
        create_account(conn, "lan", "viewer", password="mật khẩu của Lan 2026")


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_the_page_speaks_one_language(people: None, db: Database, settings: Settings) -> None:
    client = TestClient(create_app(settings, db))
    vi = client.get("/accounts", headers={"Accept-Language": "vi"})
    assert vi.status_code == 200 and vi.headers["content-language"] == "vi"
    assert "script-src 'self'" in vi.headers["content-security-policy"]
    assert '<html lang="vi">' in vi.text and "Đổi mật khẩu" in vi.text
    assert "Change password" not in vi.text and "$" not in vi.text
    # Roles are offered in words; the least right is the default.
    assert '<option value="viewer" selected>Người xem</option>' in vi.text
    assert ">admin<" not in vi.text and ">viewer<" not in vi.text
    en = client.get("/accounts", cookies={"dothi_lang": "en"})
    assert '<html lang="en">' in en.text and "Change password" in en.text
    assert "Đổi mật khẩu" not in en.text and ">Administrator<" in en.text
    assert 'href="language/vi?next=/accounts"' in en.text
    for name in ("accounts.js", "accounts.css", "signin.js"):
        assert client.get(f"/static/{name}").status_code == 200


@pytest.fixture
def server(people: None, env: dict[str, str]) -> Iterator[str]:
    with dothi_server(env, drop=("DOTHI_WEB_VENDOR", "DOTHI_BASEMAP_URL")) as url:
        yield url


def _status_of(url: str, token: str) -> int:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code


def _sign_in(page: Any, name: str, password: str) -> str:
    page.fill("#login-name", name)
    page.fill("#login-password", password)
    with page.expect_response("**/api/login") as answer:
        page.press("#login-password", "Enter")
    token: str = json.loads(answer.value.text())["token"]
    page.evaluate("window.dothiReady")
    return token


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.parametrize("screen", SCREENS, ids=lambda s: f"{s[0]}x{s[1]}")
def test_sign_in_change_password_manage_sign_out(
    browser: OneTest, server: str, screen: tuple[int, int], tmp_path: Path
) -> None:
    width, height = screen
    errors: list[str] = []
    page = browser.new_page(viewport={"width": width, "height": height}, locale="vi-VN")
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(server + "accounts")
    assert page.evaluate("document.documentElement.lang") == "vi"
    assert page.get_by_role("heading", name="Đăng nhập").is_visible()
    assert page.locator("#mine").is_hidden() and page.locator("#admin").is_hidden()

    token = _sign_in(page, "quan", ADMIN_PW)
    bar = page.locator(".signed-in")
    bar.wait_for()
    assert "Đã đăng nhập: quan" in bar.inner_text()
    assert bar.get_by_role("button", name="Đăng xuất").is_visible()
    assert (
        bar.get_by_role("link", name="Đổi mật khẩu")
        .get_attribute("href")
        .endswith("/accounts#my-password")
    )
    assert page.locator("#login-form").is_hidden()
    assert "Quản trị viên" in page.locator("#me").inner_text()
    table = page.locator("#accounts-table")
    table.locator("tr[data-account='lan']").wait_for()
    shown = table.inner_text()
    assert "Người xem" in shown and "Sở Xây dựng" in shown
    assert not re.search(r"\b(admin|viewer|editor)\b", shown)
    no_sideways_scroll(page, width)

    # Own password, by keyboard only: the labelled fields in order, Enter sends.
    page.get_by_label("Mật khẩu hiện tại").focus()
    page.keyboard.type(ADMIN_PW)
    page.keyboard.press("Tab")
    page.keyboard.type(NEW_PW)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "repeat-password"
    page.keyboard.type(NEW_PW)
    page.keyboard.press("Enter")
    page.locator("#status.ok", has_text="Đã đổi mật khẩu").wait_for()
    assert page.input_value("#current-password") == ""
    assert _status_of(server + "api/me", token) == 200  # this page stays signed in

    # An account for a new colleague, with a generated password shown once.
    page.fill("#new-name", "minh")
    page.select_option("#new-role", "editor")
    page.get_by_label("Cơ quan (không bắt buộc)").fill("Sở TN&MT")
    page.get_by_role("button", name="Tạo tài khoản").click()
    page.locator("#generated").wait_for()
    generated = page.locator("#generated-password").inner_text()
    assert len(generated) >= 10
    row = table.locator("tr[data-account='minh']")
    row.wait_for()
    assert "Biên tập viên" in row.inner_text()

    # Change lan's role and disable her, from the row's own button.
    table.get_by_role("button", name="Sửa tài khoản lan").click()
    assert page.evaluate("document.activeElement.id") == "edit-title"
    page.select_option("#edit-role", "editor")
    page.get_by_label("Khóa tài khoản").check()
    page.get_by_role("button", name="Lưu thay đổi").click()
    page.locator("#status.ok", has_text="Đã lưu tài khoản lan").wait_for()
    lan = table.locator("tr[data-account='lan']", has_text="Đã khóa")
    lan.wait_for()
    assert "Biên tập viên" in lan.inner_text()
    no_sideways_scroll(page, width)

    # Reset minh's password, once confirmed: a new one, shown once.
    table.get_by_role("button", name="Sửa tài khoản minh").click()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Đặt lại mật khẩu").click()
    page.locator("#status.ok", has_text="Đã đặt lại mật khẩu của minh").wait_for()
    assert page.locator("#generated-password").inner_text() not in ("", generated)
    page.get_by_role("button", name="Đóng").press("Enter")
    assert page.locator("#edit").is_hidden()
    assert page.evaluate("document.activeElement.getAttribute('aria-label')") == (
        "Sửa tài khoản minh"
    )
    page.screenshot(path=str(tmp_path / f"accounts-{width}.png"), full_page=True)

    # Sign out: the page shows it, and the token no longer opens anything.
    bar.get_by_role("button", name="Đăng xuất").click()
    page.locator("#status", has_text="Đã đăng xuất.").wait_for()
    assert page.locator("#login-form").is_visible() and page.locator(".signed-in").count() == 0
    assert page.locator("#mine").is_hidden() and page.locator("#admin").is_hidden()
    assert page.locator("#generated-password").inner_text() == ""
    assert _status_of(server + "api/me", token) == 401

    # The new password is the one that works now.
    again = _sign_in(page, "quan", NEW_PW)
    page.locator(".signed-in").wait_for()
    assert _status_of(server + "api/me", again) == 200

    # In English, nothing of the Vietnamese text remains.
    page.goto(server + "language/en?next=/accounts")
    page.wait_for_function("document.documentElement.lang === 'en'")
    assert page.get_by_role("heading", name="Sign in").is_visible()
    assert "Đăng nhập" not in page.inner_text("body")
    # The sign-in with the old token after sign-out was the test's, not the page's.
    assert errors == []
