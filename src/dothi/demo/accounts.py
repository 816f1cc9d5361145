"""The demo's accounts: an official (cán bộ, editor) and an administrator (quản trị).

Their passwords are made per data folder, never shipped: generated at the first
``dothi demo`` and kept in ``<data folder>/demo-accounts.json`` (mode 0600), so that a rerun
can print them again and changes nothing. A folder whose file was removed gets new
passwords, set on the existing accounts.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from dothi.auth import accounts
from dothi.auth.audit import audit
from dothi.auth.policy import operator
from dothi.auth.schema import account
from dothi.config import Settings
from dothi.db.engine import Database

PASSWORD_FILE = "demo-accounts.json"
# (name, role, agency): the official belongs to the city's construction department.
DEMO_ACCOUNTS: tuple[tuple[str, str, str | None], ...] = (
    ("demo-canbo", "editor", "Sở Xây dựng TP Hồ Chí Minh (minh họa)"),
    ("demo-quantri", "admin", None),
)


@dataclass(frozen=True)
class DemoAccount:
    """A demo account as the console shows it after loading."""

    name: str
    role: str
    password: str
    created: bool


def password_file(settings: Settings) -> Path:
    """Where the demo passwords of this data folder are kept."""
    return settings.data_dir / PASSWORD_FILE


def _read_passwords(path: Path) -> dict[str, str]:
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {str(k): str(v) for k, v in data.items() if isinstance(v, str)}


def _write_passwords(path: Path, passwords: dict[str, str]) -> None:
    """Write the file readable by its owner only; replaced whole, never half-written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(passwords, fh, ensure_ascii=False, indent=2, sort_keys=True)
        fh.write("\n")
    os.chmod(tmp, 0o600)  # the umask may have narrowed it, never widened: make it exact
    os.replace(tmp, path)


def ensure_demo_accounts(db: Database, settings: Settings) -> list[DemoAccount]:
    """Create the demo accounts if missing (idempotent) and return them with passwords."""
    path = password_file(settings)
    stored = _read_passwords(path)
    passwords = dict(stored)
    for name, _, _ in DEMO_ACCOUNTS:
        # 16 URL-safe characters: ~96 bits, typed or pasted without trouble.
        passwords.setdefault(name, secrets.token_urlsafe(12))
    if passwords != stored:
        # The file first: a crash after it leaves passwords that the next run sets.
        _write_passwords(path, passwords)
    me = operator("demo")
    out = []
    with db.write() as conn:
        for name, role, agency in DEMO_ACCOUNTS:
            exists = conn.execute(select(account.c.id).where(account.c.name == name)).first()
            if exists is None:
                acc = accounts.create_account(
                    conn, name, role, agency=agency, password=passwords[name]
                )
                audit(conn, me, "account_create", target=f"account:{acc.id}")
            elif name not in stored:
                accounts.set_password(conn, name, passwords[name])
                audit(conn, me, "password_set", target=f"account:{exists.id}")
            out.append(DemoAccount(name, role, passwords[name], exists is None))
    return out
