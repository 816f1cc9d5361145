"""Table definitions (SQLAlchemy Core) shared by both backends.

The geometry column is WKB in a BLOB on SQLite and ``geometry(Geometry, 4326)`` on
PostGIS; only :mod:`dothi.db.spatial` reads or writes it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine, UserDefinedType

metadata = MetaData()

#: JSON on SQLite, JSONB on PostgreSQL (indexable, compact).
JSONType = JSON().with_variant(JSONB(), "postgresql")
#: Integer primary keys that autoincrement on both backends (SQLite needs plain INTEGER).
BigId = BigInteger().with_variant(Integer(), "sqlite")


class _PostGISGeometry(UserDefinedType[bytes]):
    cache_ok = True

    def get_col_spec(self, **kw: Any) -> str:
        return "geometry(Geometry,4326)"


class Geometry(TypeDecorator[bytes]):
    """A WGS 84 geometry column: BLOB of WKB on SQLite, PostGIS geometry on PostgreSQL."""

    impl = LargeBinary
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(_PostGISGeometry())
        return dialect.type_descriptor(LargeBinary())


layer = Table(
    "layer",
    metadata,
    Column("id", String(63), primary_key=True),
    Column("title_vi", Text, nullable=False),
    Column("title_en", Text, nullable=False),
    Column("description_vi", Text, nullable=False, server_default=""),
    Column("description_en", Text, nullable=False, server_default=""),
    Column("geometry_type", String(32), nullable=False),
    Column("property_schema", JSONType, nullable=False),
    Column("key_property", String(128)),
    Column("source_crs", String(64)),
    Column("access", String(16), nullable=False, server_default="public"),
    Column("license", Text, nullable=False, server_default=""),
    Column("attribution", Text, nullable=False, server_default=""),
    Column("source", Text, nullable=False, server_default=""),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String(128), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    # Set when the layer is deleted (hidden, its features closed); purging removes the row.
    Column("deleted_at", DateTime(timezone=True)),
    Column("deleted_by", String(128)),
)

#: One row per change set: an import, an edit, a delete or a rollback.
changeset = Table(
    "changeset",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("layer_id", String(63), ForeignKey("layer.id", ondelete="CASCADE"), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String(128), nullable=False),
    Column("summary", JSONType, nullable=False),
    Column("reverts", BigInteger),
    Column("reverted_by", BigInteger),
    Index("ix_changeset_layer", "layer_id", "id"),
)

#: Every version of every feature. The current version has ``valid_to`` NULL; a version
#: closed with no successor was deleted by the change set in ``closed_in``.
feature = Table(
    "feature",
    metadata,
    Column("rid", BigId, primary_key=True, autoincrement=True),
    Column("layer_id", String(63), ForeignKey("layer.id", ondelete="CASCADE"), nullable=False),
    Column("fid", String(255), nullable=False),
    Column("version", Integer, nullable=False),
    Column("valid_from", DateTime(timezone=True), nullable=False),
    Column("valid_to", DateTime(timezone=True)),
    Column("created_in", BigInteger, nullable=False),
    Column("closed_in", BigInteger),
    Column("changed_by", String(128), nullable=False),
    Column("geom", Geometry()),
    Column("minx", Float),
    Column("miny", Float),
    Column("maxx", Float),
    Column("maxy", Float),
    Column("properties", JSONType, nullable=False),
    Column("digest", String(32), nullable=False),
    Index(
        "ux_feature_current",
        "layer_id",
        "fid",
        unique=True,
        sqlite_where=text("valid_to IS NULL"),
        postgresql_where=text("valid_to IS NULL"),
    ),
    Index("ix_feature_history", "layer_id", "fid", "version"),
    # Only closed versions are indexed by their closing change set: inserts stay cheap.
    Index(
        "ix_feature_closed_in",
        "closed_in",
        sqlite_where=text("closed_in IS NOT NULL"),
        postgresql_where=text("closed_in IS NOT NULL"),
    ),
)
