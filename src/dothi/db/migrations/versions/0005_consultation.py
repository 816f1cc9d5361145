"""Public consultation on plans: comments and their attachments.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24
"""

from __future__ import annotations

from alembic import op

from dothi.planning.schema import CONSULTATION_TABLES

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    conn = op.get_bind()
    for table in CONSULTATION_TABLES:
        table.create(conn)


def downgrade() -> None:
    conn = op.get_bind()
    for table in reversed(CONSULTATION_TABLES):
        table.drop(conn)
