"""Soft deletion of layers: when and by whom a layer was deleted (its history stays).

Revision ID: 0007_layer_deleted
Revises: 0006
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_layer_deleted"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("layer", sa.Column("deleted_at", sa.DateTime(timezone=True)))
    op.add_column("layer", sa.Column("deleted_by", sa.String(128)))


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite 3.35+): rebuilding the table would cascade to its features.
    op.drop_column("layer", "deleted_by")
    op.drop_column("layer", "deleted_at")
