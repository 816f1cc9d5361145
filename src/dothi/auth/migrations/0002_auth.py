"""Accounts, agencies, layer grants, API tokens and the audit log.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# The tables as this revision created them: later changes are later revisions.
_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_AT = sa.DateTime(timezone=True)
_TABLES = ("agency", "account", "layer_grant", "api_token", "audit_log")


def upgrade() -> None:
    op.create_table(
        "agency",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(200), nullable=False, unique=True),
        sa.Column("created_at", _AT, nullable=False),
    )
    op.create_table(
        "account",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(64), nullable=False, unique=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("agency_id", sa.BigInteger, sa.ForeignKey("agency.id", ondelete="SET NULL")),
        sa.Column("password_hash", sa.Text),
        sa.Column("created_at", _AT, nullable=False),
        sa.Column("disabled_at", _AT),
    )
    op.create_table(
        "layer_grant",
        sa.Column(
            "account_id",
            sa.BigInteger,
            sa.ForeignKey("account.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column(
            "layer_id",
            sa.String(63),
            sa.ForeignKey("layer.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("can_read", sa.Boolean, nullable=False),
        sa.Column("can_edit", sa.Boolean, nullable=False),
    )
    op.create_table(
        "api_token",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column(
            "account_id",
            sa.BigInteger,
            sa.ForeignKey("account.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", _AT, nullable=False),
        sa.Column("expires_at", _AT, nullable=False),
        sa.Column("last_used_at", _AT),
        sa.Column("revoked_at", _AT),
    )
    op.create_index("ix_api_token_account", "api_token", ["account_id"])
    op.create_table(
        "audit_log",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("at", _AT, nullable=False),
        sa.Column("account_id", sa.BigInteger),
        sa.Column("token_id", sa.BigInteger),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("layer_id", sa.String(63)),
        sa.Column("feature_id", sa.String(255)),
        sa.Column("target", sa.String(64)),
        sa.Column("client", sa.String(64)),
        sa.Column("outcome", sa.String(16), nullable=False),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    op.create_index("ix_audit_log_account", "audit_log", ["account_id", "at"])
    op.create_index("ix_audit_log_layer", "audit_log", ["layer_id", "at"])


def downgrade() -> None:
    for name in reversed(_TABLES):
        op.drop_table(name)
