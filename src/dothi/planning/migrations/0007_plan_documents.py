"""A plan's documents (explanatory report, drawings) and the keys of per-person comment
limits (browser session, identity).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# The tables as this revision made them: later changes are later revisions.
_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_AT = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "plan_document",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("plan_id", sa.String(64), sa.ForeignKey("plan.id"), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("media_type", sa.String(100), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("content", sa.LargeBinary, nullable=False),
        sa.Column("uploaded_by", sa.String(100), nullable=False),
        sa.Column("uploaded_at", _AT, nullable=False),
    )
    op.create_index("ix_plan_document_plan", "plan_document", ["plan_id"])
    with op.batch_alter_table("consultation_comment") as table:
        table.add_column(sa.Column("session_key", sa.String(64)))
        table.add_column(sa.Column("identity_key", sa.String(64)))
    op.create_index(
        "ix_comment_session_time", "consultation_comment", ["session_key", "created_at"]
    )
    op.create_index(
        "ix_comment_identity_time", "consultation_comment", ["identity_key", "created_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_comment_identity_time", "consultation_comment")
    op.drop_index("ix_comment_session_time", "consultation_comment")
    with op.batch_alter_table("consultation_comment") as table:
        table.drop_column("identity_key")
        table.drop_column("session_key")
    op.drop_table("plan_document")
