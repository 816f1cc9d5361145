"""Layers, change sets and versioned features with a spatial index.

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

from __future__ import annotations

from alembic import context, op

from dothi.db.schema import changeset, feature, layer

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    conn = op.get_bind()
    port = context.config.attributes["port"]
    port.prepare_database(conn)
    for table in (layer, changeset, feature):
        table.create(conn)
    port.create_spatial_index(conn)


def downgrade() -> None:
    conn = op.get_bind()
    context.config.attributes["port"].drop_spatial_index(conn)
    for table in (feature, changeset, layer):
        table.drop(conn)
