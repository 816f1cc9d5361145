"""Accounts (tài khoản), agencies (cơ quan), passwords and layer grants.

Plain functions over a connection: the CLI, the web app and the tests call the same code.
Callers own the transaction; functions that change rows need a write connection.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, select

from dothi.auth.policy import ROLES, Principal
from dothi.auth.schema import account, agency, layer_grant
from dothi.db.spatial.base import as_utc
from dothi.errors import Conflict, InvalidInput, NotFound
from dothi.spatial.layers import get_layer

_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
MIN_PASSWORD, MAX_PASSWORD = 10, 1024

# argon2id with the library's defaults (RFC 9106's second recommended profile).
_hasher = PasswordHasher()


@dataclass(frozen=True)
class Account:
    """An account as listed: never its password hash."""

    id: int
    name: str
    role: str
    agency: str | None
    created_at: datetime
    disabled_at: datetime | None
    has_password: bool


@dataclass(frozen=True)
class Grant:
    """Rights of one account on one layer."""

    layer_id: str
    can_read: bool
    can_edit: bool


def _now() -> datetime:
    return datetime.now(UTC)


def _opt_utc(value: datetime | None) -> datetime | None:
    return None if value is None else as_utc(value)


def check_role(role: str) -> str:
    """Return ``role`` if it is one of :data:`~dothi.auth.policy.ROLES`."""
    if role not in ROLES:
        raise InvalidInput(
            f"Vai trò «{role}» không hợp lệ; chọn một trong: {', '.join(ROLES)}.",
            f"Invalid role '{role}'; choose one of: {', '.join(ROLES)}.",
        )
    return role


def _check_name(name: str) -> str:
    if not _NAME.match(name or ""):
        raise InvalidInput(
            f"Tên tài khoản «{name}» không hợp lệ: 2–64 ký tự thường không dấu, số, . _ -.",
            f"Invalid account name '{name}': 2–64 lower-case ASCII letters, digits, . _ -.",
        )
    return name


def check_password_rules(password: str) -> str:
    """Return ``password`` if it follows the rules every way of setting one applies
    (:data:`MIN_PASSWORD` to :data:`MAX_PASSWORD` characters); else :class:`InvalidInput`."""
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise InvalidInput(
            f"Mật khẩu phải dài từ {MIN_PASSWORD} đến {MAX_PASSWORD} ký tự.",
            f"The password must be {MIN_PASSWORD} to {MAX_PASSWORD} characters long.",
        )
    return password


def _hash_password(password: str) -> str:
    return _hasher.hash(check_password_rules(password))


# No 0/O, 1/l/I: a generated password is read off a screen and typed, or read out.
_PASSWORD_ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def generate_password(groups: int = 4, size: int = 5) -> str:
    """A random password of ``groups`` groups of ``size`` characters joined by ``-``
    (the default: 20 characters from 56, about 116 bits), for an account an administrator
    creates or resets."""
    return "-".join(
        "".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(size)) for _ in range(groups)
    )


def agency_id(conn: Connection, name: str, *, create: bool = True) -> int:
    """The id of the agency named ``name`` (Unicode NFC, trimmed); created if missing."""
    clean = unicodedata.normalize("NFC", " ".join(name.split()))
    if not 1 <= len(clean) <= 200:
        raise InvalidInput("Tên cơ quan phải dài 1–200 ký tự.", "Agency names are 1–200 chars.")
    found = conn.execute(select(agency.c.id).where(agency.c.name == clean)).scalar()
    if found is not None:
        return int(found)
    if not create:
        raise NotFound(f"Không có cơ quan «{clean}».", f"No agency '{clean}'.")
    stmt = agency.insert().values(name=clean, created_at=_now()).returning(agency.c.id)
    return int(conn.execute(stmt).scalar_one())


def account_row(conn: Connection, name: str) -> Any:
    """The stored row of account ``name`` (hash included: not for display); NotFound."""
    row = conn.execute(select(account).where(account.c.name == name)).first()
    if row is None:
        raise NotFound(
            f"Không có tài khoản «{name}». Kiểm tra lại tên (phân biệt hoa thường).",
            f"No account '{name}'. Check the name (case matters).",
        )
    return row


def _to_account(r: Any) -> Account:
    return Account(
        id=int(r.id),
        name=r.name,
        role=r.role,
        agency=r.agency_name,
        created_at=as_utc(r.created_at),
        disabled_at=_opt_utc(r.disabled_at),
        has_password=r.password_hash is not None,
    )


def _accounts_query() -> Any:
    return select(account, agency.c.name.label("agency_name")).outerjoin(
        agency, agency.c.id == account.c.agency_id
    )


def create_account(
    conn: Connection,
    name: str,
    role: str,
    *,
    agency: str | None = None,
    password: str | None = None,
) -> Account:
    """Create an account; without ``password`` it signs in with API tokens only."""
    _check_name(name)
    check_role(role)
    if conn.execute(select(account.c.id).where(account.c.name == name)).first():
        raise Conflict(f"Tài khoản «{name}» đã tồn tại.", f"Account '{name}' already exists.")
    values = {
        "name": name,
        "role": role,
        "agency_id": None if agency is None else agency_id(conn, agency),
        "password_hash": None if password is None else _hash_password(password),
        "created_at": _now(),
    }
    conn.execute(account.insert().values(**values))
    return get_account(conn, name)


def get_account(conn: Connection, name: str) -> Account:
    """The account named ``name``; :class:`NotFound` if there is none."""
    account_row(conn, name)
    return _to_account(conn.execute(_accounts_query().where(account.c.name == name)).one())


def list_accounts(conn: Connection) -> list[Account]:
    """All accounts, by name."""
    return [_to_account(r) for r in conn.execute(_accounts_query().order_by(account.c.name))]


def set_password(conn: Connection, name: str, password: str) -> None:
    """Replace the password of an account (only its argon2id hash is stored)."""
    row = account_row(conn, name)
    hashed = _hash_password(password)
    conn.execute(account.update().where(account.c.id == row.id).values(password_hash=hashed))


@cache
def _dummy_hash() -> str:
    return _hasher.hash("not a password of anyone")


def verify_password(conn: Connection, name: str, password: str) -> Principal | None:
    """The principal of an active account whose password this is, else None.

    Unknown names cost the same argon2 work as wrong passwords, so response times do not
    tell which account names exist.
    """
    row = conn.execute(select(account).where(account.c.name == name)).first()
    stored = row.password_hash if row is not None and row.password_hash else _dummy_hash()
    try:
        _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return None
    if row is None or row.password_hash is None or row.disabled_at is not None:
        return None
    return principal_of(conn, row)


def set_role(conn: Connection, name: str, role: str) -> Account:
    """Change an account's role (its tokens carry the new role at their next use)."""
    row = account_row(conn, name)
    conn.execute(account.update().where(account.c.id == row.id).values(role=check_role(role)))
    return get_account(conn, name)


def disable_account(conn: Connection, name: str) -> Account:
    """Disable an account: its password and all its tokens stop working at once."""
    row = account_row(conn, name)
    if row.disabled_at is None:
        conn.execute(account.update().where(account.c.id == row.id).values(disabled_at=_now()))
    return get_account(conn, name)


def enable_account(conn: Connection, name: str) -> Account:
    """Enable a disabled account again (its password works again; its tokens were revoked
    when it was disabled from the web, see :mod:`dothi.auth.account_admin`)."""
    row = account_row(conn, name)
    if row.disabled_at is not None:
        conn.execute(account.update().where(account.c.id == row.id).values(disabled_at=None))
    return get_account(conn, name)


def set_agency(conn: Connection, name: str, agency_name: str | None) -> Account:
    """Set the agency of an account (created if new); ``None`` or blank clears it."""
    row = account_row(conn, name)
    value = None if agency_name is None or not agency_name.strip() else agency_id(conn, agency_name)
    conn.execute(account.update().where(account.c.id == row.id).values(agency_id=value))
    return get_account(conn, name)


def active_admin_ids(conn: Connection) -> set[int]:
    """Ids of the enabled admin accounts, their rows locked until the transaction ends
    (PostgreSQL; SQLite writers hold the database lock anyway), so that two admins cannot
    each demote the other at once and leave none."""
    stmt = (
        select(account.c.id)
        .where(account.c.role == "admin", account.c.disabled_at.is_(None))
        .with_for_update()
    )
    return {int(i) for i in conn.execute(stmt).scalars()}


def grant(
    conn: Connection, name: str, layer_id: str, *, read: bool = True, edit: bool = False
) -> Grant:
    """Give an account read (and with ``edit``, write) rights on one layer.

    Edit implies read: nobody should change what they cannot see. Edit rights go to
    editors only (admins have them anyway; viewers must be made editors first).
    """
    row = account_row(conn, name)
    get_layer(conn, layer_id)
    if edit and row.role != "editor":
        raise InvalidInput(
            f"Chỉ cấp quyền sửa cho tài khoản vai trò editor («{name}» là {row.role}).",
            f"Edit rights are for editor accounts only ('{name}' is {row.role}).",
        )
    if not (read or edit):
        raise InvalidInput("Chọn --read hoặc --edit.", "Choose --read or --edit.")
    key = (layer_grant.c.account_id == row.id) & (layer_grant.c.layer_id == layer_id)
    rights = {"can_read": True, "can_edit": edit}
    if conn.execute(select(layer_grant.c.layer_id).where(key)).first() is None:
        conn.execute(layer_grant.insert().values(account_id=row.id, layer_id=layer_id, **rights))
    else:
        conn.execute(layer_grant.update().where(key).values(**rights))
    return Grant(layer_id=layer_id, can_read=True, can_edit=edit)


def revoke(conn: Connection, name: str, layer_id: str) -> bool:
    """Remove an account's grant on a layer; False if it had none."""
    row = account_row(conn, name)
    key = (layer_grant.c.account_id == row.id) & (layer_grant.c.layer_id == layer_id)
    return conn.execute(layer_grant.delete().where(key)).rowcount > 0


def list_grants(conn: Connection, name: str) -> list[Grant]:
    """An account's layer grants, by layer id."""
    row = account_row(conn, name)
    return _grants(conn, int(row.id))


def _grants(conn: Connection, account_id: int) -> list[Grant]:
    stmt = (
        select(layer_grant)
        .where(layer_grant.c.account_id == account_id)
        .order_by(layer_grant.c.layer_id)
    )
    return [Grant(r.layer_id, bool(r.can_read), bool(r.can_edit)) for r in conn.execute(stmt)]


def principal_of(conn: Connection, row: Any, token_id: int | None = None) -> Principal:
    """The :class:`Principal` of an account row, with its grants loaded."""
    grants = _grants(conn, int(row.id))
    return Principal(
        id=int(row.id),
        name=row.name,
        role=row.role,
        agency_id=row.agency_id,
        readable=frozenset(g.layer_id for g in grants if g.can_read),
        editable=frozenset(g.layer_id for g in grants if g.can_edit),
        token_id=token_id,
    )
