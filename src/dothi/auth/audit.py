"""The audit log (nhật ký truy cập): who read restricted data or changed what, and how it ended.

Entries keep the minimum of personal data (Decree 13/2023/NĐ-CP): an account id rather
than a name, the client address, never passwords, tokens or request bodies.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, func, select

from dothi.auth.policy import Principal
from dothi.auth.schema import audit_log
from dothi.db.engine import Database
from dothi.db.spatial.base import as_utc
from dothi.errors import InvalidInput
from dothi.spatial.layer_admin import ACTIONS as LAYER_ACTIONS

#: Actions of the platform itself; a capability declares its own (:func:`declare_actions`).
ACTIONS = (
    "read_restricted",
    "create",
    "replace",
    "update",
    "delete",
    "login",
    "logout",
    "token_create",
    "token_revoke",
    "account_create",
    "account_disable",
    "account_enable",
    "agency_set",
    "role_set",
    "password_set",
    "password_change",
    "password_reset",
    "grant",
    "revoke",
    "audit_purge",
    "personal_data_read",
    "personal_data_erase",
    *LAYER_ACTIONS,
)
_known: set[str] = set(ACTIONS)


def declare_actions(*names: str) -> tuple[str, ...]:
    """Declare a capability's audit actions (at most 32 characters each); returns them.

    A capability declares its actions in the module its code takes them from, so that
    an action is known wherever it is written.
    """
    for name in names:
        if not name or len(name) > 32 or not name.replace("_", "").isalnum():
            raise ValueError(f"bad audit action name {name!r}")  # a bug, not user input
    _known.update(names)
    return names


def known_actions() -> tuple[str, ...]:
    """Every action declared so far, the platform's first."""
    return ACTIONS + tuple(sorted(_known - set(ACTIONS)))


#: ``ok``: done; ``denied``: refused for lack of rights or bad credentials; ``failed``:
#: allowed but not done (invalid input, conflict, error).
OUTCOMES = ("ok", "denied", "failed")


@dataclass(frozen=True)
class AuditEntry:
    """One audit log row."""

    id: int
    at: datetime
    account_id: int | None
    token_id: int | None
    actor: str
    action: str
    layer_id: str | None
    feature_id: str | None
    target: str | None
    client: str | None
    outcome: str


def audit(
    conn: Connection,
    principal: Principal,
    action: str,
    *,
    layer_id: str | None = None,
    feature_id: str | None = None,
    target: str | None = None,
    client: str | None = None,
    outcome: str = "ok",
) -> None:
    """Append an entry, in the caller's write transaction (so it commits with the change).

    ``target`` names what an account or token action was done to (``account:<id>``,
    ``token:<id>``); ``client`` is the caller's network address, if any.

    For refusals and reads use :func:`audit_now`: there the caller's transaction rolls
    back or only reads.
    """
    if action not in _known:
        raise ValueError(f"unknown audit action {action!r}")  # a bug, not user input
    if outcome not in OUTCOMES:
        raise ValueError(f"unknown audit outcome {outcome!r}")
    conn.execute(
        audit_log.insert().values(
            at=datetime.now(UTC),
            account_id=principal.id,
            token_id=principal.token_id,
            actor=principal.actor[:128],
            action=action,
            layer_id=layer_id,
            feature_id=None if feature_id is None else str(feature_id)[:255],
            target=target,
            client=None if client is None else client[:64],
            outcome=outcome,
        )
    )


def audit_now(
    db: Database,
    principal: Principal,
    action: str,
    *,
    layer_id: str | None = None,
    feature_id: str | None = None,
    target: str | None = None,
    client: str | None = None,
    outcome: str = "ok",
) -> None:
    """Append an entry in a transaction of its own, committed at once."""
    with db.write() as conn:
        audit(
            conn,
            principal,
            action,
            layer_id=layer_id,
            feature_id=feature_id,
            target=target,
            client=client,
            outcome=outcome,
        )


def audit_reads(
    db: Database, principal: Principal, layers: Mapping[str, str], *, client: str | None = None
) -> None:
    """Log a ``read_restricted`` entry for each restricted layer of ``layers`` (layer id →
    access level: the layers an answer was read from), in one transaction; nothing when
    none is restricted."""
    restricted = sorted(lid for lid, access in layers.items() if access == "restricted")
    if not restricted:
        return
    with db.write() as conn:
        for layer_id in restricted:
            audit(conn, principal, "read_restricted", layer_id=layer_id, client=client)


def list_audit(
    conn: Connection,
    *,
    account_id: int | None = None,
    action: str | None = None,
    layer_id: str | None = None,
    since: datetime | None = None,
    limit: int = 100,
) -> list[AuditEntry]:
    """The newest entries first, filtered by account, action, layer and time."""
    if not 1 <= limit <= 10_000:
        raise InvalidInput("limit phải từ 1 đến 10000.", "limit must be between 1 and 10000.")
    stmt = select(audit_log).order_by(audit_log.c.id.desc()).limit(limit)
    if account_id is not None:
        stmt = stmt.where(audit_log.c.account_id == account_id)
    if action is not None:
        stmt = stmt.where(audit_log.c.action == action)
    if layer_id is not None:
        stmt = stmt.where(audit_log.c.layer_id == layer_id)
    if since is not None:
        # UTC: SQLite keeps timestamps as text without offset, compared as written.
        stmt = stmt.where(audit_log.c.at >= since.astimezone(UTC))
    return [
        AuditEntry(
            id=int(r.id),
            at=as_utc(r.at),
            account_id=r.account_id,
            token_id=r.token_id,
            actor=r.actor,
            action=r.action,
            layer_id=r.layer_id,
            feature_id=r.feature_id,
            target=r.target,
            client=r.client,
            outcome=r.outcome,
        )
        for r in conn.execute(stmt)
    ]


def last_sign_ins(conn: Connection) -> dict[int, datetime]:
    """When each account last signed in with its password (account id → time), as far as
    the audit log remembers (a purge forgets)."""
    stmt = (
        select(audit_log.c.account_id, func.max(audit_log.c.at))
        .where(
            audit_log.c.action == "login",
            audit_log.c.outcome == "ok",
            audit_log.c.account_id.is_not(None),
        )
        .group_by(audit_log.c.account_id)
    )
    return {int(aid): as_utc(at) for aid, at in conn.execute(stmt)}


def count_entries(
    conn: Connection,
    action: str,
    *,
    since: datetime,
    account_id: int | None = None,
    outcome: str | None = None,
) -> int:
    """How many entries of ``action`` (by ``account_id``, with ``outcome``) since ``since``."""
    stmt = select(func.count()).where(
        audit_log.c.action == action, audit_log.c.at >= since.astimezone(UTC)
    )
    if account_id is not None:
        stmt = stmt.where(audit_log.c.account_id == account_id)
    if outcome is not None:
        stmt = stmt.where(audit_log.c.outcome == outcome)
    return int(conn.execute(stmt).scalar_one())


def purge_audit(conn: Connection, before: datetime) -> int:
    """Delete entries older than ``before`` (retention); returns how many."""
    return int(
        conn.execute(audit_log.delete().where(audit_log.c.at < before.astimezone(UTC))).rowcount
    )
