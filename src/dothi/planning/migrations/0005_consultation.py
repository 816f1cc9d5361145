"""Public consultation on plans: comments and their attachments.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# The tables as this revision created them: later changes are later revisions.
_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_AT = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "consultation_comment",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("plan_id", sa.String(64), sa.ForeignKey("plan.id"), nullable=False),
        sa.Column("zone_uid", sa.String(200)),
        sa.Column("lon", sa.Float),
        sa.Column("lat", sa.Float),
        sa.Column("topic", sa.String(32), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("moderation_note", sa.Text),
        sa.Column("moderated_by", sa.String(100)),
        sa.Column("moderated_at", _AT),
        sa.Column("answer", sa.Text),
        sa.Column("answered_by", sa.String(100)),
        sa.Column("answered_at", _AT),
        sa.Column("identity", sa.LargeBinary),
        sa.Column("client_key", sa.String(64), nullable=False),
        sa.Column("created_at", _AT, nullable=False),
    )
    op.create_index("ix_comment_plan_status", "consultation_comment", ["plan_id", "status"])
    op.create_index("ix_comment_client_time", "consultation_comment", ["client_key", "created_at"])
    op.create_table(
        "consultation_attachment",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("comment_id", _ID, sa.ForeignKey("consultation_comment.id"), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("media_type", sa.String(100), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("content", sa.LargeBinary, nullable=False),
    )
    op.create_index("ix_attachment_comment", "consultation_attachment", ["comment_id"])


def downgrade() -> None:
    op.drop_table("consultation_attachment")
    op.drop_table("consultation_comment")
