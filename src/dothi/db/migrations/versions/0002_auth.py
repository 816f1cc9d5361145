"""Accounts, agencies, layer grants, API tokens and the audit log.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

from alembic import op

from dothi.auth.schema import AUTH_TABLES

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    conn = op.get_bind()
    for table in AUTH_TABLES:
        table.create(conn)


def downgrade() -> None:
    conn = op.get_bind()
    for table in reversed(AUTH_TABLES):
        table.drop(conn)
