"""Scenarios (phương án) of plans for decision support.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24
"""

from __future__ import annotations

from alembic import op

from dothi.planning.schema import SCENARIO_TABLES

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    conn = op.get_bind()
    for table in SCENARIO_TABLES:
        table.create(conn)


def downgrade() -> None:
    conn = op.get_bind()
    for table in reversed(SCENARIO_TABLES):
        table.drop(conn)
