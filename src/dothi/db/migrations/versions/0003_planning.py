"""Plans (đồ án quy hoạch) and their status.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

from __future__ import annotations

from alembic import op

from dothi.planning.schema import PLANNING_TABLES

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    conn = op.get_bind()
    for table in PLANNING_TABLES:
        table.create(conn)


def downgrade() -> None:
    conn = op.get_bind()
    for table in reversed(PLANNING_TABLES):
        table.drop(conn)
