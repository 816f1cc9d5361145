"""``dothi users`` as operators run it: a process of its own (tests/live.py), its output and
exit code."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

from live import run_dothi
from samples import parcels, write_geojson

from dothi.auth import tokens
from dothi.auth.audit import list_audit
from dothi.auth.schema import audit_log
from dothi.db.engine import Database


def dothi(
    env: dict[str, str], *args: str, stdin: str = "", lang: str = "en"
) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, **env, "DOTHI_LANG": lang, "DOTHI_USER": "cli:tester"}
    return run_dothi(full, *args, stdin=stdin, timeout=120)


def test_accounts_grants_and_tokens(env: dict[str, str], db: Database, tmp_path: Path) -> None:
    src = write_geojson(tmp_path / "p.geojson", parcels(2))
    imported = dothi(
        env, "import", str(src), "--layer", "mat", "--new-layer", "--access", "restricted"
    )
    assert imported.returncode == 0, imported.stderr
    add = dothi(
        env,
        "users",
        "add",
        "lan",
        "--role",
        "editor",
        "--agency",
        "Sở Xây dựng TP HCM",
        "--password-stdin",
        stdin="mật khẩu đủ dài 2026\n",
    )
    assert add.returncode == 0, add.stderr
    assert "Created account lan, role editor (Sở Xây dựng TP HCM)." in add.stdout
    assert "mật khẩu" not in add.stdout + add.stderr
    assert dothi(env, "users", "grant", "lan", "mat", "--edit").returncode == 0
    listing = dothi(env, "users", "list")
    assert re.search(r"^lan\s+editor\s+active\s+pw\s+mat:rw\s+Sở Xây dựng TP HCM$", listing.stdout)

    made = dothi(env, "users", "token", "create", "lan", "--name", "nightly sync", "--days", "30")
    assert made.returncode == 0, made.stderr
    token = made.stdout.strip()
    assert token.startswith("dothi_") and "\n" not in token  # stdout is the token alone
    assert (made.stdout + made.stderr).count(token) == 1
    assert "shown only this once" in made.stderr
    with db.write() as conn:
        who = tokens.authenticate_token(conn, token)
    assert who is not None and who.name == "lan" and who.editable == {"mat"}

    shown = dothi(env, "users", "token", "list", "lan")
    assert shown.returncode == 0 and token not in shown.stdout + shown.stderr
    assert re.search(r"^\s+1\s+active\s+expires .*nightly sync$", shown.stdout, re.M)
    assert dothi(env, "users", "token", "revoke", "1").returncode == 0
    assert "revoked" in dothi(env, "users", "token", "list", "lan").stdout
    with db.write() as conn:
        assert tokens.authenticate_token(conn, token) is None

    assert dothi(env, "users", "revoke", "lan", "mat").returncode == 0
    assert dothi(env, "users", "disable", "lan").returncode == 0
    assert "disabled" in dothi(env, "users").stdout
    with db.read() as conn:
        log = list_audit(conn)
    assert [e.action for e in log] == [
        "account_disable",
        "revoke",
        "token_revoke",
        "token_create",
        "grant",
        "account_create",
        "layer_create",  # the import made the layer (asked with --new-layer)
    ]
    assert {e.actor for e in log} == {"cli:tester"} and {e.outcome for e in log} == {"ok"}
    assert log[2].target == "token:1" and log[4].layer_id == "mat"


def test_passwd_and_vietnamese(env: dict[str, str]) -> None:
    assert dothi(env, "users", "add", "minh", "--role", "viewer").returncode == 0
    ok = dothi(
        env, "users", "passwd", "minh", "--password-stdin", stdin="một mật khẩu dài\n", lang="vi"
    )
    assert ok.returncode == 0 and "Đã đặt mật khẩu cho minh." in ok.stdout
    bad = dothi(env, "users", "passwd", "minh", "--password-stdin", stdin="ngắn\n", lang="vi")
    assert bad.returncode == 1 and bad.stderr.startswith("Lỗi: Mật khẩu phải dài")


def test_bad_input_is_one_line(env: dict[str, str]) -> None:
    assert dothi(env, "users", "add", "lan", "--role", "viewer").returncode == 0
    cases = [
        (["users", "add", "lan", "--role", "viewer"], 1, "Account 'lan' already exists"),
        (["users", "add", "Lan Anh", "--role", "viewer"], 1, "Invalid account name"),
        (["users", "grant", "lan", "khong_co", "--read"], 1, "No layer 'khong_co'"),
        (["users", "grant", "nobody", "x", "--read"], 1, "No account 'nobody'"),
        (["users", "token", "create", "lan", "--name", "x", "--days", "400"], 1, "1 to 365 days"),
        (["users", "token", "revoke", "42"], 1, "No token 42"),
        (["users", "passwd", "lan", "--password-stdin"], 1, "No password on standard input"),
    ]
    for args, code, expect in cases:
        out = dothi(env, *args)
        assert out.returncode == code, (args, out.stderr)
        lines = out.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("Error: ") and expect in lines[0], args
    for args in (
        ["users", "add", "x1", "--role", "boss"],
        ["users", "grant", "lan", "mat"],
        ["users", "token", "revoke", "abc"],
        ["users", "token", "create", "lan"],
    ):
        out = dothi(env, *args)
        assert out.returncode == 2 and "Traceback" not in out.stderr, args


def test_role_change_and_audit_retention(env: dict[str, str], db: Database) -> None:
    from datetime import UTC, datetime, timedelta

    from dothi.auth.audit import audit as write_audit
    from dothi.auth.policy import operator

    assert dothi(env, "users", "add", "hoa", "--role", "viewer").returncode == 0
    changed = dothi(env, "users", "role", "hoa", "editor")
    assert changed.returncode == 0 and "hoa: role viewer → editor." in changed.stdout
    assert re.search(r"^hoa\s+editor\s", dothi(env, "users", "list").stdout, re.M)
    bad = dothi(env, "users", "role", "hoa", "chief")
    assert bad.returncode == 2 and "chief" in bad.stderr
    assert dothi(env, "users", "role", "nobody", "viewer").returncode == 1

    # An entry from 400 days ago goes; the recent ones stay, and the purge is logged.
    with db.write() as conn:
        write_audit(conn, operator("cli:old"), "grant", target="old")
        conn.execute(
            audit_log.update()
            .where(audit_log.c.target == "old")
            .values(at=datetime.now(UTC) - timedelta(days=400))
        )
    listed = dothi(env, "audit", "list", "--json")
    assert listed.returncode == 0
    actions = [e["action"] for e in json.loads(listed.stdout)]
    assert actions == ["grant", "role_set", "account_create"]  # newest id first
    purged = dothi(env, "audit", "purge", "--older-than-days", "365", lang="vi")
    assert purged.returncode == 0 and "Đã xóa 1 mục cũ hơn 365 ngày." in purged.stdout
    with db.read() as conn:
        log = list_audit(conn)
    assert [e.action for e in log] == ["audit_purge", "role_set", "account_create"]
    assert log[1].target is not None and log[1].target.endswith("viewer->editor")
    recent = dothi(env, "audit", "list", "--days", "1", "--action", "role_set")
    assert recent.returncode == 0 and "role_set" in recent.stdout and "hoa" not in recent.stdout
    assert dothi(env, "audit", "purge", "--older-than-days", "0").returncode == 2
    typo = dothi(env, "audit", "list", "--action", "plan_stats")
    assert typo.returncode == 2 and "plan_status" in typo.stderr  # planning's actions are known
