"""The database function of planning lookups (PostgreSQL; nothing on SQLite).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24
"""

from __future__ import annotations

from alembic import context, op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    context.config.attributes["port"].create_functions(op.get_bind())


def downgrade() -> None:
    context.config.attributes["port"].drop_functions(op.get_bind())
