"""Sign-in with a password: a short-lived API token, with failed attempts limited; and
sign-out, which revokes the token a request came with.

A person signs in on the map page (or any client) with the account name and password and
gets a token valid for one day; scripts keep long-lived tokens made by ``dothi users token``.
Failed attempts are counted from the audit log, so the limit holds across every worker
process: after :data:`MAX_FAILURES` failures for one account name or from one client
address within :data:`WINDOW`, sign-in answers 429 until the window has passed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, func, or_, select

from dothi.auth.accounts import verify_password
from dothi.auth.audit import audit, audit_now
from dothi.auth.policy import ANONYMOUS, Principal
from dothi.auth.schema import audit_log
from dothi.auth.tokens import create_token, revoke_token
from dothi.db.engine import Database
from dothi.errors import TooManyRequests, Unauthorized

MAX_FAILURES = 5
WINDOW = timedelta(minutes=15)
#: Lifetime of a sign-in token, in days.
SESSION_DAYS = 1


@dataclass(frozen=True)
class Session:
    """The token of a successful sign-in (shown once) and when it expires."""

    token: str
    expires_at: datetime
    name: str
    role: str | None


def _failures(conn: Connection, name: str, client: str | None, since: datetime) -> int:
    who = audit_log.c.target == f"name:{name}"
    if client is not None:
        who = or_(who, audit_log.c.client == client)
    stmt = select(func.count()).where(
        audit_log.c.action == "login",
        audit_log.c.outcome == "denied",
        audit_log.c.at >= since,
        who,
    )
    return int(conn.execute(stmt).scalar_one())


def sign_in(db: Database, name: str, password: str, client: str | None) -> Session:
    """A new one-day token for ``name`` if ``password`` is right.

    :class:`Unauthorized` for a wrong name or password (one message for both, and the
    same argon2 work, so neither tells which names exist); :class:`TooManyRequests` after
    too many failures. Every attempt is in the audit log.
    """
    since = datetime.now(UTC) - WINDOW
    with db.read() as conn:
        if _failures(conn, name, client, since) >= MAX_FAILURES:
            raise TooManyRequests(
                "Quá nhiều lần đăng nhập sai; hãy thử lại sau 15 phút.",
                "Too many failed sign-ins; try again in 15 minutes.",
                retry_after=int(WINDOW.total_seconds()),
            )
    with db.write() as conn:
        who = verify_password(conn, name, password)
        if who is not None:
            token, info = create_token(conn, name, "đăng nhập / sign-in", days=SESSION_DAYS)
            audit(conn, who, "login", target=f"token:{info.id}", client=client)
            return Session(token, info.expires_at, who.name, who.role)
    # Recorded on its own: the refusal must stay in the log.
    audit_now(db, ANONYMOUS, "login", target=f"name:{name}", client=client, outcome="denied")
    raise Unauthorized(
        "Tên tài khoản hoặc mật khẩu không đúng.",
        "Wrong account name or password.",
        code="InvalidCredentials",
    )


def sign_out(db: Database, who: Principal, client: str | None) -> int:
    """Revoke the token ``who`` came with (a sign-in's or a script's); returns its id.

    A caller without a token (anonymous) is :class:`Unauthorized`: there is nothing to
    end. The revocation and its audit entry commit together.
    """
    if who.token_id is None:
        raise Unauthorized(
            "Cần đăng nhập (token API) để đăng xuất.",
            "Signing out needs a sign-in (an API token).",
            code="AuthenticationRequired",
        )
    with db.write() as conn:
        revoke_token(conn, who.token_id)
        audit(conn, who, "logout", target=f"token:{who.token_id}", client=client)
    return who.token_id
