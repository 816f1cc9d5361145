"""Accounts over HTTP: sign-out, one's own password, administrators managing accounts, the
last-admin guard, refusals and audit entries; on SQLite and PostGIS."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from prepared import dataset

from dothi.app.main import create_app
from dothi.auth.accounts import create_account, get_account, list_accounts
from dothi.auth.audit import list_audit
from dothi.auth.login import MAX_FAILURES
from dothi.config import Settings
from dothi.db.engine import Database
from dothi.spatial.layers import Layer, create_layer

ADMIN_PW = "quản trị viên 2026 dài"
LAN_PW = "mật khẩu của Lan 2026"
NEW_PW = "mật khẩu mới hẳn 2026"


@dataset
def people(db: Database, settings: Settings, tmp_path: Path) -> None:
    """One admin (quan), one viewer (lan), and a restricted layer."""
    with db.write() as conn:
        secret = Layer("mat", "Lớp mật", "Secret", "Polygon", {}, access="restricted")
        create_layer(conn, secret, db.port)
        create_account(conn, "quan", "admin", agency="Sở Xây dựng", password=ADMIN_PW)
        create_account(conn, "lan", "viewer", password=LAN_PW)


@pytest.fixture
def client(people: None, db: Database, settings: Settings) -> TestClient:
    return TestClient(create_app(settings, db))


def _login(client: TestClient, name: str, password: str) -> str:
    r = client.post("/api/login", json={"name": name, "password": password})
    assert r.status_code == 200, r.text
    token: str = r.json()["token"]
    return token


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _no_secrets(r: Any) -> None:
    """No answer carries a password hash, nor the field that holds one."""
    assert "$argon2" not in r.text and "password_hash" not in r.text


def _actions(db: Database, action: str) -> list[Any]:
    with db.read() as conn:
        return list_audit(conn, action=action)


def test_logout_revokes_the_token(client: TestClient, db: Database) -> None:
    token = _login(client, "lan", LAN_PW)
    other = _login(client, "lan", LAN_PW)
    assert client.get("/api/me", headers=_auth(token)).status_code == 200

    r = client.post("/api/logout", headers=_auth(token))
    assert r.status_code == 204 and r.headers["cache-control"] == "no-store"
    refused = client.get("/api/me", headers=_auth(token))
    assert refused.status_code == 401 and refused.headers["www-authenticate"].startswith("Bearer")
    assert client.post("/api/logout", headers=_auth(token)).status_code == 401
    # Only that sign-in ends: the account's other token still works.
    assert client.get("/api/me", headers=_auth(other)).status_code == 200

    (entry,) = _actions(db, "logout")
    assert entry.outcome == "ok" and entry.account_id is not None
    assert entry.target == f"token:{entry.token_id}" and token not in str(entry)

    anonymous = client.post("/api/logout")
    assert anonymous.status_code == 401
    assert anonymous.json()["code"] == "AuthenticationRequired"


def test_me_shows_the_account_in_words_without_secrets(client: TestClient) -> None:
    token = _login(client, "quan", ADMIN_PW)
    r = client.get("/api/me", headers=_auth(token))
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
    doc = r.json()
    assert doc["name"] == "quan" and doc["agency"] == "Sở Xây dựng"
    assert doc["role_label"] == {"vi": "Quản trị viên", "en": "Administrator"}
    assert doc["token_expires_at"].endswith("Z") and doc["last_sign_in"].endswith("Z")
    assert doc["disabled"] is False
    _no_secrets(r)
    assert client.get("/api/me").status_code == 401


def test_changing_ones_password(client: TestClient, db: Database) -> None:
    here = _login(client, "lan", LAN_PW)
    elsewhere = _login(client, "lan", LAN_PW)
    url, headers = "/api/me/password", _auth(here)

    wrong = client.post(
        url, headers=headers, json={"current_password": "sai", "new_password": NEW_PW}
    )
    assert wrong.status_code == 400 and wrong.json()["code"] == "WrongPassword"
    assert wrong.json()["description_vi"] == "Mật khẩu hiện tại không đúng."
    short = client.post(
        url, headers=headers, json={"current_password": LAN_PW, "new_password": "ngắn"}
    )
    assert short.status_code == 400 and "10" in short.json()["description_vi"]
    same = client.post(
        url, headers=headers, json={"current_password": LAN_PW, "new_password": LAN_PW}
    )
    assert same.status_code == 400
    assert (
        client.post(url, json={"current_password": LAN_PW, "new_password": NEW_PW}).status_code
        == 401
    )

    ok = client.post(
        url, headers=headers, json={"current_password": LAN_PW, "new_password": NEW_PW}
    )
    assert ok.status_code == 200, ok.text
    assert ok.json() == {"changed": True, "other_tokens_revoked": 1}
    # This page stays signed in; the other sign-in is over; only the new password works.
    assert client.get("/api/me", headers=headers).status_code == 200
    assert client.get("/api/me", headers=_auth(elsewhere)).status_code == 401
    assert client.post("/api/login", json={"name": "lan", "password": LAN_PW}).status_code == 401
    _login(client, "lan", NEW_PW)

    outcomes = sorted(e.outcome for e in _actions(db, "password_change"))
    assert outcomes == ["denied", "ok"]
    assert all(
        NEW_PW not in str(e) and LAN_PW not in str(e) for e in _actions(db, "password_change")
    )


def test_wrong_current_passwords_are_limited(client: TestClient) -> None:
    token = _login(client, "lan", LAN_PW)
    body = {"current_password": "không phải mật khẩu", "new_password": NEW_PW}
    for _ in range(MAX_FAILURES):
        assert client.post("/api/me/password", headers=_auth(token), json=body).status_code == 400
    body["current_password"] = LAN_PW
    r = client.post("/api/me/password", headers=_auth(token), json=body)
    assert r.status_code == 429 and int(r.headers["retry-after"]) > 0


def test_admin_creates_changes_resets_and_disables(client: TestClient, db: Database) -> None:
    admin = _auth(_login(client, "quan", ADMIN_PW))

    made = client.post(
        "/api/accounts",
        headers=admin,
        json={"name": "minh", "role": "editor", "agency": "Sở TN&MT"},
    )
    assert made.status_code == 201, made.text
    first = made.json()["password"]
    assert len(first) >= 10 and made.json()["role_label"]["vi"] == "Biên tập viên"
    assert made.headers["cache-control"] == "no-store"
    minh = _login(client, "minh", first)
    given = client.post(
        "/api/accounts", headers=admin, json={"name": "hoa", "role": "viewer", "password": NEW_PW}
    )
    assert given.status_code == 201 and "password" not in given.json()
    again = client.post("/api/accounts", headers=admin, json={"name": "hoa", "role": "viewer"})
    assert again.status_code == 409
    bad_role = client.post("/api/accounts", headers=admin, json={"name": "x1", "role": "boss"})
    assert bad_role.status_code == 400

    listed = client.get("/api/accounts", headers=admin)
    assert listed.status_code == 200
    _no_secrets(listed)
    rows = {a["name"]: a for a in listed.json()["accounts"]}
    assert sorted(rows) == ["hoa", "lan", "minh", "quan"]
    assert rows["minh"]["agency"] == "Sở TN&MT" and rows["minh"]["last_sign_in"] is not None
    assert rows["hoa"]["last_sign_in"] is None
    assert rows["lan"]["role_label"] == {"vi": "Người xem", "en": "Viewer"}

    changed = client.patch(
        "/api/accounts/minh", headers=admin, json={"role": "viewer", "agency": None}
    )
    assert changed.status_code == 200 and changed.json()["role"] == "viewer"
    assert changed.json()["agency"] is None
    assert client.get("/api/me", headers=_auth(minh)).json()["role"] == "viewer"
    assert client.patch("/api/accounts/minh", headers=admin, json={}).status_code == 400
    assert client.patch("/api/accounts/minh", headers=admin, json={"colour": 1}).status_code == 400
    assert (
        client.patch("/api/accounts/khong_co", headers=admin, json={"role": "viewer"}).status_code
        == 404
    )

    off = client.patch("/api/accounts/minh", headers=admin, json={"disabled": True})
    assert off.status_code == 200 and off.json()["disabled"] is True
    assert client.get("/api/me", headers=_auth(minh)).status_code == 401
    on = client.patch("/api/accounts/minh", headers=admin, json={"disabled": False})
    assert on.json()["disabled"] is False
    # Enabling does not bring the old sessions back.
    assert client.get("/api/me", headers=_auth(minh)).status_code == 401

    minh = _login(client, "minh", first)
    reset = client.post("/api/accounts/minh/password", headers=admin, json={})
    assert reset.status_code == 200 and reset.json()["tokens_revoked"] == 1
    second = reset.json()["password"]
    assert second != first
    assert client.get("/api/me", headers=_auth(minh)).status_code == 401
    assert client.post("/api/login", json={"name": "minh", "password": first}).status_code == 401
    _login(client, "minh", second)
    chosen = client.post("/api/accounts/minh/password", headers=admin, json={"password": NEW_PW})
    assert chosen.status_code == 200 and "password" not in chosen.json()
    _login(client, "minh", NEW_PW)
    own = client.post("/api/accounts/quan/password", headers=admin, json={})
    assert own.status_code == 400

    with db.read() as conn:
        done = {(e.action, e.outcome) for e in list_audit(conn, limit=200)}
    for action in ("account_create", "role_set", "agency_set", "account_disable", "account_enable"):
        assert (action, "ok") in done
    assert ("password_reset", "ok") in done


def test_last_admin_stays(client: TestClient, db: Database) -> None:
    admin = _auth(_login(client, "quan", ADMIN_PW))
    demote = client.patch("/api/accounts/quan", headers=admin, json={"role": "editor"})
    assert demote.status_code == 409
    assert "quản trị viên cuối cùng" in demote.json()["description_vi"]
    assert "last active administrator" in demote.json()["description"]
    disable_self = client.patch("/api/accounts/quan", headers=admin, json={"disabled": True})
    assert disable_self.status_code == 409

    assert (
        client.patch("/api/accounts/lan", headers=admin, json={"role": "admin"}).status_code == 200
    )
    lan = _auth(_login(client, "lan", LAN_PW))
    # Two admins: one may step down; then the other is the last one again.
    assert (
        client.patch("/api/accounts/quan", headers=admin, json={"role": "viewer"}).status_code
        == 200
    )
    assert (
        client.patch("/api/accounts/lan", headers=lan, json={"role": "editor"}).status_code == 409
    )
    quan = client.get("/api/accounts/quan", headers=lan).json()
    assert quan["role"] == "viewer"
    with db.read() as conn:
        roles = sorted(e.target for e in list_audit(conn, action="role_set"))
        ids = {name: get_account(conn, name).id for name in ("lan", "quan")}
    assert roles == sorted(
        [f"account:{ids['lan']}:viewer->admin", f"account:{ids['quan']}:admin->viewer"]
    )


def test_others_are_refused(client: TestClient, db: Database) -> None:
    viewer = _auth(_login(client, "lan", LAN_PW))
    for method, url, body in (
        ("GET", "/api/accounts", None),
        ("POST", "/api/accounts", {"name": "moi", "role": "admin"}),
        ("PATCH", "/api/accounts/lan", {"role": "admin"}),
        ("POST", "/api/accounts/quan/password", {}),
        ("PUT", "/api/accounts/lan/grants/mat", {}),
    ):
        r = client.request(method, url, headers=viewer, json=body)
        assert r.status_code == 403, (url, r.text)
        assert r.json()["description_vi"] == "Chỉ quản trị viên được quản lý tài khoản."
        assert client.request(method, url, json=body).status_code == 401
    with db.read() as conn:
        denied = {e.action for e in list_audit(conn) if e.outcome == "denied"}
    assert denied == {"account_create", "role_set", "password_reset", "grant"}
    with db.read() as conn:
        assert "moi" not in {a.name for a in list_accounts(conn)}


def test_grants_of_restricted_layers(client: TestClient, db: Database) -> None:
    admin = _auth(_login(client, "quan", ADMIN_PW))
    lan = _auth(_login(client, "lan", LAN_PW))
    assert client.get("/api/layers/mat", headers=lan).status_code == 404
    r = client.put("/api/accounts/lan/grants/mat", headers=admin, json={})
    assert r.status_code == 200
    assert r.json()["grants"] == [
        {
            "layer_id": "mat",
            "layer_title": {"vi": "Lớp mật", "en": "Secret"},
            "can_read": True,
            "can_edit": False,
        }
    ]
    assert client.get("/api/layers/mat", headers=lan).status_code == 200
    # Edit rights are for editors only.
    assert (
        client.put("/api/accounts/lan/grants/mat", headers=admin, json={"edit": True}).status_code
        == 400
    )
    assert (
        client.put("/api/accounts/lan/grants/khong_co", headers=admin, json={}).status_code == 404
    )
    gone = client.delete("/api/accounts/lan/grants/mat", headers=admin)
    assert gone.status_code == 200 and gone.json()["grants"] == []
    assert client.get("/api/layers/mat", headers=lan).status_code == 404
    with db.read() as conn:
        assert [e.layer_id for e in list_audit(conn, action="grant")] == ["mat"]
        assert [e.layer_id for e in list_audit(conn, action="revoke")] == ["mat"]
