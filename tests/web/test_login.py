"""Sign-in with a password over HTTP: a one-day token, failures limited and audited."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from prepared import dataset
from samples import parcels, write_geojson

from dothi.app.main import create_app
from dothi.auth import login
from dothi.auth.accounts import create_account, disable_account
from dothi.auth.audit import list_audit
from dothi.config import Settings
from dothi.db.engine import Database
from dothi.spatial.importer import ImportOptions, import_file

PASSWORD = "mật khẩu thật dài 2026"


@dataset
def accounts(db: Database, settings: Settings, tmp_path: Path) -> None:
    path = write_geojson(tmp_path / "n.geojson", parcels(2))
    import_file(
        db,
        settings,
        path,
        ImportOptions(layer_id="noi_bo", new_layer=True, key="ma", access="internal"),
    )
    with db.write() as conn:
        create_account(conn, "lan", "viewer", password=PASSWORD)
        create_account(conn, "khoa", "viewer", password=PASSWORD)
        disable_account(conn, "khoa")


@pytest.fixture
def client(accounts: None, db: Database, settings: Settings) -> TestClient:
    return TestClient(create_app(settings, db))


def _collections(client: TestClient, token: str | None = None) -> list[str]:
    headers = {} if token is None else {"Authorization": f"Bearer {token}"}
    r = client.get("/ogcapi/collections", headers=headers)
    assert r.status_code == 200
    return [c["id"] for c in r.json()["collections"]]


def test_sign_in_gives_a_one_day_token(client: TestClient, db: Database) -> None:
    r = client.post("/api/login", json={"name": "lan", "password": PASSWORD})
    assert r.status_code == 200, r.text
    assert r.headers["cache-control"] == "no-store"
    doc = r.json()
    assert doc["token_type"] == "Bearer" and doc["account"] == "lan" and doc["role"] == "viewer"
    assert doc["expires_at"].endswith("Z")
    assert _collections(client) == [] and _collections(client, doc["token"]) == ["noi_bo"]
    with db.read() as conn:
        entry = list_audit(conn, action="login")[0]
    assert entry.outcome == "ok" and entry.account_id is not None
    assert entry.target is not None and entry.target.startswith("token:")
    assert PASSWORD not in str(entry) and doc["token"] not in str(entry)


def test_wrong_unknown_and_disabled_are_one_answer(client: TestClient, db: Database) -> None:
    answers = [
        client.post("/api/login", json={"name": name, "password": pw})
        for name, pw in (("lan", "sai rồi"), ("khong_co", PASSWORD), ("khoa", PASSWORD))
    ]
    assert {r.status_code for r in answers} == {401}
    assert len({r.text for r in answers}) == 1
    assert answers[0].json()["description_vi"] == "Tên tài khoản hoặc mật khẩu không đúng."
    assert answers[0].headers["www-authenticate"].startswith("Bearer")
    with db.read() as conn:
        denied = [e for e in list_audit(conn, action="login") if e.outcome == "denied"]
    assert sorted(e.target for e in denied) == ["name:khoa", "name:khong_co", "name:lan"]


def test_failures_are_limited(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    for _ in range(login.MAX_FAILURES):
        assert client.post("/api/login", json={"name": "lan", "password": "x"}).status_code == 401
    # Now even the right password waits: the limit counts the name and the address.
    r = client.post("/api/login", json={"name": "lan", "password": PASSWORD})
    assert r.status_code == 429 and int(r.headers["retry-after"]) == 900
    assert r.json()["code"] == "TooManyRequests" and r.json()["description_vi"]
    other = client.post("/api/login", json={"name": "khoa", "password": PASSWORD})
    assert other.status_code == 429  # same client address
    # Once the window is over, signing in works again.
    monkeypatch.setattr(login, "WINDOW", login.WINDOW * 0)
    assert client.post("/api/login", json={"name": "lan", "password": PASSWORD}).status_code == 200


@pytest.mark.parametrize(
    "body",
    [{}, {"name": "lan"}, {"name": "", "password": "x"}, {"name": "lan", "password": "x" * 2000}],
)
def test_bad_bodies_are_400(client: TestClient, body: dict[str, str]) -> None:
    r = client.post("/api/login", json=body)
    assert r.status_code == 400 and r.json()["description_vi"]
