"""Accounts, grants, API tokens, the audit log and the web dependency, on both backends."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient
from sqlalchemy import select

from dothi.auth import accounts, audit, policy, tokens
from dothi.auth.policy import ANONYMOUS, Principal, can_edit, can_read
from dothi.auth.schema import account, api_token, audit_log
from dothi.capabilities import migration_folders
from dothi.db.engine import Database
from dothi.errors import Conflict, DothiError, Forbidden, InvalidInput, NotFound, Unauthorized
from dothi.spatial.layers import Layer, create_layer
from dothi.webkit.deps import CurrentPrincipal, client_address, install_auth

PASSWORD = "mật khẩu đủ dài 2026"


def _layer(layer_id: str, access: str) -> Layer:
    return Layer(layer_id, f"Lớp {layer_id}", layer_id, "Polygon", {}, access=access)


@pytest.fixture
def layers(db: Database) -> dict[str, Layer]:
    """A public, an internal and two restricted layers, stored."""
    made = {
        "cong_khai": _layer("cong_khai", "public"),
        "noi_bo": _layer("noi_bo", "internal"),
        "mat": _layer("mat", "restricted"),
        "mat2": _layer("mat2", "restricted"),
    }
    with db.write() as conn:
        for ly in made.values():
            create_layer(conn, ly, db.port)
    return made


def _principal(db: Database, name: str) -> Principal:
    with db.write() as conn:
        token, _ = tokens.create_token(conn, name, "test")
        found = tokens.authenticate_token(conn, token)
    assert found is not None
    return found


def test_passwords_are_argon2id_and_checked(db: Database) -> None:
    with db.write() as conn:
        acc = accounts.create_account(
            conn, "lan", "viewer", agency="Sở  Xây dựng TP HCM", password=PASSWORD
        )
        stored = conn.execute(select(account.c.password_hash)).scalar_one()
    assert acc.agency == "Sở Xây dựng TP HCM" and acc.has_password
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    with db.read() as conn:
        ok = accounts.verify_password(conn, "lan", PASSWORD)
        assert ok is not None and ok.id == acc.id and ok.role == "viewer"
        assert accounts.verify_password(conn, "lan", PASSWORD + "x") is None
        assert accounts.verify_password(conn, "nobody", PASSWORD) is None
    with db.write() as conn:
        accounts.set_password(conn, "lan", "một mật khẩu mới khác")
        assert accounts.verify_password(conn, "lan", PASSWORD) is None
        assert accounts.verify_password(conn, "lan", "một mật khẩu mới khác") is not None
        accounts.disable_account(conn, "lan")
        assert accounts.verify_password(conn, "lan", "một mật khẩu mới khác") is None


def test_account_input_is_checked(db: Database) -> None:
    with db.write() as conn:
        accounts.create_account(conn, "minh", "editor", agency="Sở Xây dựng TP HCM")
        other = accounts.create_account(conn, "hoa", "viewer", agency="Sở Xây dựng TP HCM")
        assert other.agency == "Sở Xây dựng TP HCM"  # one agency, reused
        with pytest.raises(Conflict):
            accounts.create_account(conn, "minh", "viewer")
        for bad in ("Minh", "a", "tên có dấu", ""):
            with pytest.raises(InvalidInput):
                accounts.create_account(conn, bad, "viewer")
        with pytest.raises(InvalidInput):
            accounts.create_account(conn, "tuan", "superuser")
        with pytest.raises(InvalidInput):
            accounts.create_account(conn, "tuan", "viewer", password="short")
        with pytest.raises(NotFound):
            accounts.set_password(conn, "nobody", PASSWORD)
        names = [a.name for a in accounts.list_accounts(conn)]
    assert names == ["hoa", "minh"]


def test_tokens_hashed_expiring_revocable(db: Database) -> None:
    with db.write() as conn:
        acc = accounts.create_account(conn, "bot", "viewer")
        token, info = tokens.create_token(conn, "bot", "  nightly   sync ")
        stored = conn.execute(select(api_token.c.token_hash)).scalar_one()
    assert token.startswith("dothi_") and len(token) > 40
    assert stored != token and stored == hashlib.sha256(token.encode()).hexdigest()
    assert info.name == "nightly sync" and info.status() == "active"
    assert timedelta(days=89) < info.expires_at - info.created_at <= timedelta(days=90)
    assert info.last_used_at is None
    with db.write() as conn:
        who = tokens.authenticate_token(conn, token)
        assert who is not None and who.id == acc.id and who.token_id == info.id
        assert tokens.list_tokens(conn, "bot")[0].last_used_at is not None
        assert tokens.authenticate_token(conn, token + "x") is None
        assert tokens.authenticate_token(conn, "not-a-token") is None
        # Expired: moved into the past by hand.
        past = datetime.now(UTC) - timedelta(seconds=1)
        conn.execute(api_token.update().values(expires_at=past))
        assert tokens.authenticate_token(conn, token) is None
        assert tokens.list_tokens(conn, "bot")[0].status() == "expired"
        token2, info2 = tokens.create_token(conn, "bot", "second", days=365)
        assert tokens.authenticate_token(conn, token2) is not None
        revoked = tokens.revoke_token(conn, info2.id)
        assert revoked.status() == "revoked" and revoked.revoked_at is not None
        assert tokens.authenticate_token(conn, token2) is None
        assert tokens.revoke_token(conn, info2.id).revoked_at == revoked.revoked_at
        with pytest.raises(NotFound):
            tokens.revoke_token(conn, 9999)
        for days in (0, 366):
            with pytest.raises(InvalidInput):
                tokens.create_token(conn, "bot", "x", days=days)
        with pytest.raises(InvalidInput):
            tokens.create_token(conn, "bot", "   ")
        token3, _ = tokens.create_token(conn, "bot", "third")
        accounts.disable_account(conn, "bot")
        assert tokens.authenticate_token(conn, token3) is None
        with pytest.raises(Conflict):
            tokens.create_token(conn, "bot", "after disable")


def test_roles_and_grants_decide_read_and_edit(db: Database, layers: dict[str, Layer]) -> None:
    pub, internal, secret, secret2 = layers.values()
    with db.write() as conn:
        accounts.create_account(conn, "admin", "admin")
        accounts.create_account(conn, "ed", "editor")
        accounts.create_account(conn, "vi", "viewer")
    assert [ly.id for ly in policy.visible_layers(ANONYMOUS, layers.values())] == ["cong_khai"]
    admin = _principal(db, "admin")
    assert all(can_read(admin, ly) and can_edit(admin, ly) for ly in layers.values())
    viewer = _principal(db, "vi")
    assert policy.visible_layer_ids(viewer, layers.values()) == {"cong_khai", "noi_bo"}
    assert not can_edit(viewer, pub)
    editor = _principal(db, "ed")
    assert not can_read(editor, secret) and not can_edit(editor, internal)

    with db.write() as conn:
        accounts.grant(conn, "vi", "mat")
        accounts.grant(conn, "ed", "noi_bo", edit=True)
        accounts.grant(conn, "ed", "mat2", edit=True)
        with pytest.raises(InvalidInput):
            accounts.grant(conn, "vi", "noi_bo", edit=True)  # viewers do not edit
        with pytest.raises(NotFound):
            accounts.grant(conn, "vi", "khong_co")
        grants = accounts.list_grants(conn, "ed")
    assert [(g.layer_id, g.can_read, g.can_edit) for g in grants] == [
        ("mat2", True, True),
        ("noi_bo", True, True),
    ]
    viewer, editor = _principal(db, "vi"), _principal(db, "ed")
    assert can_read(viewer, secret) and not can_read(viewer, secret2)
    assert can_edit(editor, internal) and can_edit(editor, secret2) and can_read(editor, secret2)
    assert not can_edit(editor, pub) and not can_read(editor, secret)

    with db.write() as conn:
        assert accounts.revoke(conn, "vi", "mat") is True
        assert accounts.revoke(conn, "vi", "mat") is False
        accounts.grant(conn, "ed", "mat2", read=True)  # edit taken back, read kept
    viewer, editor = _principal(db, "vi"), _principal(db, "ed")
    assert not can_read(viewer, secret)
    assert can_read(editor, secret2) and not can_edit(editor, secret2)


def test_require_read_and_edit_errors(db: Database, layers: dict[str, Layer]) -> None:
    with db.write() as conn:
        accounts.create_account(conn, "vi", "viewer")
    viewer = _principal(db, "vi")
    assert policy.require_read(ANONYMOUS, layers["cong_khai"]).id == "cong_khai"
    with pytest.raises(NotFound):
        policy.require_read(ANONYMOUS, layers["noi_bo"])
    with pytest.raises(NotFound):
        policy.require_edit(viewer, layers["mat"])  # hidden, not merely forbidden
    with pytest.raises(Unauthorized) as anon:
        policy.require_edit(ANONYMOUS, layers["cong_khai"])
    assert anon.value.status == 401 and anon.value.code == "AuthenticationRequired"
    with pytest.raises(Forbidden):
        policy.require_edit(viewer, layers["noi_bo"])
    assert policy.operator("cli:root").is_admin


def test_audit_rows(db: Database, layers: dict[str, Layer]) -> None:
    with db.write() as conn:
        accounts.create_account(conn, "editor_lan", "editor")
    editor = _principal(db, "editor_lan")
    with db.write() as conn:
        audit.audit(conn, editor, "update", layer_id="noi_bo", feature_id="P1", client="10.0.0.7")
        audit.audit(conn, ANONYMOUS, "read_restricted", layer_id="mat", outcome="denied")
        with pytest.raises(ValueError):
            audit.audit(conn, editor, "frobnicate")
    audit.audit_now(db, policy.operator("cli:root"), "token_revoke", target="token:3")
    with db.read() as conn:
        newest, denied, upd = audit.list_audit(conn)
        only_ed = audit.list_audit(conn, account_id=editor.id)
        on_mat = audit.list_audit(conn, layer_id="mat", action="read_restricted")
        later = audit.list_audit(conn, since=datetime.now(UTC) + timedelta(minutes=5))
        raw = [str(dict(r._mapping)) for r in conn.execute(select(audit_log))]
    assert (upd.actor, upd.account_id) == (f"account:{editor.id}", editor.id)
    assert upd.token_id == editor.token_id is not None
    assert (upd.action, upd.layer_id, upd.feature_id, upd.client, upd.outcome) == (
        "update",
        "noi_bo",
        "P1",
        "10.0.0.7",
        "ok",
    )
    assert (denied.actor, denied.account_id, denied.outcome) == ("anonymous", None, "denied")
    assert (newest.actor, newest.target) == ("cli:root", "token:3")
    assert [e.id for e in only_ed] == [upd.id] and [e.id for e in on_mat] == [denied.id]
    assert later == []
    assert not any("editor_lan" in row for row in raw)  # ids, not names
    with db.write() as conn:
        assert audit.purge_audit(conn, datetime.now(UTC) + timedelta(seconds=1)) == 3
        assert audit.list_audit(conn) == []


def _app(db: Database) -> FastAPI:
    app = FastAPI()
    app.state.db = db

    @app.exception_handler(DothiError)
    async def _other(_: Request, exc: DothiError) -> object:  # like app/main.py's
        from fastapi.responses import JSONResponse

        return JSONResponse({"code": exc.code}, status_code=exc.status)

    install_auth(app)

    @app.get("/who")
    def who(request: Request, me: CurrentPrincipal) -> dict[str, object]:
        return {"id": me.id, "name": me.name, "client": client_address(request)}

    return app


def test_current_principal(db: Database) -> None:
    with db.write() as conn:
        accounts.create_account(conn, "bot", "viewer")
        token, _ = tokens.create_token(conn, "bot", "api")
        old, old_info = tokens.create_token(conn, "bot", "old")
        gone, gone_info = tokens.create_token(conn, "bot", "gone")
        past = datetime.now(UTC) - timedelta(days=1)
        conn.execute(
            api_token.update().where(api_token.c.id == old_info.id).values(expires_at=past)
        )
        tokens.revoke_token(conn, gone_info.id)
    client = TestClient(_app(db))
    assert client.get("/who").json()["name"] == "anonymous"
    ok = client.get("/who", headers={"Authorization": f"Bearer {token}"})
    assert ok.status_code == 200 and ok.json()["name"] == "bot"
    with db.read() as conn:
        assert tokens.list_tokens(conn, "bot")[0].last_used_at is not None
    for header in (
        f"Bearer {old}",
        f"Bearer {gone}",
        "Bearer dothi_nope",
        "Bearer ",
        f"Basic {token}",
    ):
        res = client.get("/who", headers={"Authorization": header})
        assert res.status_code == 401, header
        body = res.json()
        assert body["code"] == "InvalidToken" and body["description"] and body["description_vi"]
        assert res.headers["WWW-Authenticate"].startswith("Bearer")
        assert token not in res.text


def test_migration_0002_downgrades_and_upgrades(db: Database) -> None:
    from alembic import command
    from sqlalchemy import inspect

    cfg = db.alembic_config(migration_folders())
    auth_tables = {"agency", "account", "layer_grant", "api_token", "audit_log"}
    with db.engine.connect() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0001")
        conn.commit()
        assert not auth_tables & set(inspect(conn).get_table_names())
    db.migrate(migration_folders())
    with db.engine.connect() as conn:
        assert auth_tables <= set(inspect(conn).get_table_names())
