"""Layers, change sets and versioned features with a spatial index.

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context, op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# The tables as this revision created them: later changes are later revisions.
_JSON = sa.JSON().with_variant(JSONB(), "postgresql")
_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_AT = sa.DateTime(timezone=True)


def upgrade() -> None:
    conn = op.get_bind()
    port = context.config.attributes["port"]
    port.prepare_database(conn)
    op.create_table(
        "layer",
        sa.Column("id", sa.String(63), primary_key=True),
        sa.Column("title_vi", sa.Text, nullable=False),
        sa.Column("title_en", sa.Text, nullable=False),
        sa.Column("description_vi", sa.Text, nullable=False, server_default=""),
        sa.Column("description_en", sa.Text, nullable=False, server_default=""),
        sa.Column("geometry_type", sa.String(32), nullable=False),
        sa.Column("property_schema", _JSON, nullable=False),
        sa.Column("key_property", sa.String(128)),
        sa.Column("source_crs", sa.String(64)),
        sa.Column("access", sa.String(16), nullable=False, server_default="public"),
        sa.Column("license", sa.Text, nullable=False, server_default=""),
        sa.Column("attribution", sa.Text, nullable=False, server_default=""),
        sa.Column("source", sa.Text, nullable=False, server_default=""),
        sa.Column("created_at", _AT, nullable=False),
        sa.Column("created_by", sa.String(128), nullable=False),
        sa.Column("updated_at", _AT, nullable=False),
    )
    op.create_table(
        "changeset",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column(
            "layer_id",
            sa.String(63),
            sa.ForeignKey("layer.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("created_at", _AT, nullable=False),
        sa.Column("created_by", sa.String(128), nullable=False),
        sa.Column("summary", _JSON, nullable=False),
        sa.Column("reverts", sa.BigInteger),
        sa.Column("reverted_by", sa.BigInteger),
    )
    op.create_index("ix_changeset_layer", "changeset", ["layer_id", "id"])
    # The feature table differs per backend (R*Tree; partitions per layer on PostGIS).
    port.create_feature_table(conn)


def downgrade() -> None:
    conn = op.get_bind()
    context.config.attributes["port"].drop_feature_table(conn)
    op.drop_table("changeset")
    op.drop_table("layer")
