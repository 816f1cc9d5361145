"""Plans (đồ án quy hoạch) and their status.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# The table as this revision created it: later changes are later revisions.


def upgrade() -> None:
    op.create_table(
        "plan",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("level", sa.String(16), nullable=False),
        sa.Column("scale", sa.String(16)),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("decision_no", sa.String(100)),
        sa.Column("decision_date", sa.Date),
        sa.Column("authority", sa.String(200)),
        sa.Column("consultation_from", sa.Date),
        sa.Column("consultation_to", sa.Date),
        sa.Column("supersedes", sa.String(64), sa.ForeignKey("plan.id")),
        sa.Column("documents", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("plan")
