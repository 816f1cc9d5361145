"""Layers, change sets and versioned features with a spatial index.

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

from __future__ import annotations

from alembic import context, op

from dothi.db.schema import changeset, layer

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    conn = op.get_bind()
    port = context.config.attributes["port"]
    port.prepare_database(conn)
    for table in (layer, changeset):
        table.create(conn)
    # The feature table differs per backend (R*Tree; partitions per layer on PostGIS).
    port.create_feature_table(conn)


def downgrade() -> None:
    conn = op.get_bind()
    context.config.attributes["port"].drop_feature_table(conn)
    for table in (changeset, layer):
        table.drop(conn)
