"""Tables of the ``auth`` capability: agencies, accounts, layer grants, API tokens, audit log.

They live on the shared :data:`dothi.db.schema.metadata` so that Alembic sees one schema.
Secrets never reach these tables in clear: passwords are argon2id hashes, API tokens
SHA-256 digests.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    String,
    Table,
    Text,
)

from dothi.db.schema import BigId, metadata

#: A government body (cơ quan), e.g. "Sở Xây dựng TP Hồ Chí Minh".
agency = Table(
    "agency",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

#: A person or a system that signs in. ``role`` is the global role (admin, editor,
#: viewer); what an editor may write, and which restricted layers anyone but an admin
#: may read, is in ``layer_grant``. Accounts are disabled, never deleted, so that the
#: history and the audit log keep pointing at something.
account = Table(
    "account",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("name", String(64), nullable=False, unique=True),
    Column("role", String(16), nullable=False),
    Column("agency_id", BigInteger, ForeignKey("agency.id", ondelete="SET NULL")),
    # NULL: the account signs in with API tokens only (scripts, other systems).
    Column("password_hash", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("disabled_at", DateTime(timezone=True)),
)

#: Per-layer rights of one account. ``can_edit`` implies ``can_read`` (stored as such).
layer_grant = Table(
    "layer_grant",
    metadata,
    Column(
        "account_id",
        BigInteger,
        ForeignKey("account.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column(
        "layer_id",
        String(63),
        ForeignKey("layer.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("can_read", Boolean, nullable=False),
    Column("can_edit", Boolean, nullable=False),
)

#: API tokens for scripts and other systems. Only the SHA-256 digest of the token is kept.
api_token = Table(
    "api_token",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column(
        "account_id",
        BigInteger,
        ForeignKey("account.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("name", String(100), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("last_used_at", DateTime(timezone=True)),
    Column("revoked_at", DateTime(timezone=True)),
    Index("ix_api_token_account", "account_id"),
)

#: Who did what to which layer or feature, from where, and how it ended. No foreign
#: keys: the log is append-only and must outlive what it mentions. No names, passwords,
#: tokens or request bodies (Decree 13/2023/NĐ-CP: keep personal data to the minimum).
audit_log = Table(
    "audit_log",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("account_id", BigInteger),
    Column("token_id", BigInteger),
    # "account:<id>", "anonymous" or the command-line operator ("cli:<login>").
    Column("actor", String(128), nullable=False),
    Column("action", String(32), nullable=False),
    Column("layer_id", String(63)),
    Column("feature_id", String(255)),
    # What an account or token action was done to: "account:<id>" or "token:<id>".
    Column("target", String(64)),
    Column("client", String(64)),
    Column("outcome", String(16), nullable=False),
    Index("ix_audit_log_at", "at"),
    Index("ix_audit_log_account", "account_id", "at"),
    Index("ix_audit_log_layer", "layer_id", "at"),
)

#: In creation order (foreign keys first); dropped in reverse.
AUTH_TABLES = (agency, account, layer_grant, api_token, audit_log)
