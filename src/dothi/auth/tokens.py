"""API tokens (token API) for scripts and other systems.

A token is random, shown once when created and stored only as a SHA-256 digest. It has a
name, an expiry (default 90 days, at most a year), a last-used time, and can be revoked.
A token acts as its account: same role, same grants; a disabled account's tokens stop.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, select

from dothi.auth.accounts import account_row, principal_of
from dothi.auth.policy import Principal
from dothi.auth.schema import account, api_token
from dothi.db.spatial.base import as_utc
from dothi.errors import Conflict, InvalidInput, NotFound

DEFAULT_TOKEN_DAYS, MAX_TOKEN_DAYS = 90, 365
#: ``last_used_at`` is precise to this much: no write on every request.
TOUCH_INTERVAL = timedelta(minutes=1)
#: Prefixed so that secret scanners and people recognise a leaked Dothi token.
TOKEN_PREFIX = "dothi_"


@dataclass(frozen=True)
class TokenInfo:
    """An API token as listed: never the token nor its hash."""

    id: int
    account_id: int
    name: str
    created_at: datetime
    expires_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    def status(self, now: datetime | None = None) -> str:
        """``active``, ``expired`` or ``revoked``."""
        if self.revoked_at is not None:
            return "revoked"
        return "expired" if self.expires_at <= (now or _now()) else "active"


def _now() -> datetime:
    return datetime.now(UTC)


def _opt_utc(value: datetime | None) -> datetime | None:
    return None if value is None else as_utc(value)


def _digest(token: str) -> str:
    # SHA-256 without salt is enough here, unlike for passwords: a token carries 256
    # random bits, so no dictionary or brute-force attack on a leaked digest can work,
    # and a fast, deterministic digest lets every request find its token by an indexed
    # lookup instead of paying argon2's deliberate cost (64 MiB, ~50 ms) each time.
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _to_token(r: Any) -> TokenInfo:
    return TokenInfo(
        id=int(r.id),
        account_id=int(r.account_id),
        name=r.name,
        created_at=as_utc(r.created_at),
        expires_at=as_utc(r.expires_at),
        last_used_at=_opt_utc(r.last_used_at),
        revoked_at=_opt_utc(r.revoked_at),
    )


def create_token(
    conn: Connection, name: str, token_name: str, *, days: int = DEFAULT_TOKEN_DAYS
) -> tuple[str, TokenInfo]:
    """A new API token for account ``name``: (the token, shown once; its stored record)."""
    row = account_row(conn, name)
    if not 1 <= days <= MAX_TOKEN_DAYS:
        raise InvalidInput(
            f"Thời hạn token phải từ 1 đến {MAX_TOKEN_DAYS} ngày.",
            f"A token's lifetime must be 1 to {MAX_TOKEN_DAYS} days.",
        )
    label = " ".join(token_name.split())
    if not 1 <= len(label) <= 100:
        raise InvalidInput("Tên token phải dài 1–100 ký tự.", "Token names are 1–100 chars.")
    if row.disabled_at is not None:
        raise Conflict(f"Tài khoản «{name}» đã bị khóa.", f"Account '{name}' is disabled.")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = _now()
    values = {"account_id": row.id, "name": label, "token_hash": _digest(token)}
    values |= {"created_at": now, "expires_at": now + timedelta(days=days)}
    stored = conn.execute(api_token.insert().values(**values).returning(*api_token.c)).one()
    return token, _to_token(stored)


def list_tokens(conn: Connection, name: str) -> list[TokenInfo]:
    """An account's tokens, oldest first, revoked and expired ones included."""
    row = account_row(conn, name)
    stmt = select(api_token).where(api_token.c.account_id == row.id).order_by(api_token.c.id)
    return [_to_token(r) for r in conn.execute(stmt)]


def revoke_token(conn: Connection, token_id: int) -> TokenInfo:
    """Revoke a token by id (revoking twice keeps the first time); :class:`NotFound`."""
    stmt = select(api_token).where(api_token.c.id == token_id)
    row = conn.execute(stmt).first()
    if row is None:
        raise NotFound(f"Không có token số {token_id}.", f"No token {token_id}.")
    if row.revoked_at is None:
        update = api_token.update().where(api_token.c.id == token_id).values(revoked_at=_now())
        conn.execute(update)
    return _to_token(conn.execute(stmt).one())


def revoke_account_tokens(conn: Connection, account_id: int, *, keep: int | None = None) -> int:
    """Revoke every live token of an account but ``keep`` (the one in use, if any);
    returns how many were revoked. Expired tokens are left as they are."""
    live = (
        (api_token.c.account_id == account_id)
        & api_token.c.revoked_at.is_(None)
        & (api_token.c.expires_at > _now())
    )
    if keep is not None:
        live &= api_token.c.id != keep
    return int(conn.execute(api_token.update().where(live).values(revoked_at=_now())).rowcount)


def get_token(conn: Connection, token_id: int) -> TokenInfo:
    """The record of a token by id; :class:`NotFound`."""
    row = conn.execute(select(api_token).where(api_token.c.id == token_id)).first()
    if row is None:
        raise NotFound(f"Không có token số {token_id}.", f"No token {token_id}.")
    return _to_token(row)


def lookup_token(conn: Connection, token: str) -> tuple[Principal, TokenInfo] | None:
    """The principal and record of a live token; None if unknown, expired or revoked.

    Read-only: see :func:`authenticate_token` and :func:`touch_token` for ``last_used``.
    """
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    stmt = select(api_token).where(api_token.c.token_hash == _digest(token))
    row = conn.execute(stmt).first()
    if row is None:
        return None
    info = _to_token(row)
    owner = conn.execute(select(account).where(account.c.id == info.account_id)).one()
    if info.status() != "active" or owner.disabled_at is not None:
        return None
    return principal_of(conn, owner, token_id=info.id), info


def touch_needed(info: TokenInfo, now: datetime | None = None) -> bool:
    """True if ``last_used_at`` is older than :data:`TOUCH_INTERVAL`."""
    return info.last_used_at is None or (now or _now()) - info.last_used_at >= TOUCH_INTERVAL


def touch_token(conn: Connection, token_id: int) -> None:
    """Record that a token was used now (write connection)."""
    conn.execute(api_token.update().where(api_token.c.id == token_id).values(last_used_at=_now()))


def authenticate_token(conn: Connection, token: str) -> Principal | None:
    """The principal a token acts as, or None; records ``last_used`` (write connection)."""
    found = lookup_token(conn, token)
    if found is None:
        return None
    principal, info = found
    if touch_needed(info):
        touch_token(conn, info.id)
    return principal
