"""Geometry columns on a capability's own tables (sensor locations, service requests…).

The shared ``feature`` table keeps its own storage; other tables get a WGS 84 geometry
column with a spatial index from the storage port, in a migration::

    def upgrade() -> None:
        port = context.config.attributes["port"]
        op.create_table("sensor_location", sa.Column("id", sa.Integer, primary_key=True), ...)
        port.add_geometry_column(op.get_bind(), "sensor_location", "geom", geometry_type="POINT")

    def downgrade() -> None:
        port = context.config.attributes["port"]
        port.drop_geometry_column(op.get_bind(), "sensor_location", "geom")
        op.drop_table("sensor_location")

The capability's SQLAlchemy table declares the column as :class:`ShapelyGeometry`, so that
shapely geometries are written and read as they are, and filters with the port's
predicates (:meth:`~dothi.db.spatial.base.SpatialPort.intersects_bbox` and the others).

The table needs a primary key of one integer column: SQLite's R*Tree refers to rows by it.
On SQLite the R*Tree (``<table>_<column>_rtree``) is kept by triggers on every insert,
update and delete, whatever statement makes them; the triggers call SQL functions that
Dothi registers on its connections (:func:`dothi.db.spatial.sqlite.register_functions`),
so other programs may read such a table but not write it. A later migration that rebuilds
the table (Alembic's batch mode on SQLite) drops the triggers: drop the geometry column
through the port first and add it again afterwards. On PostGIS the column is
``geometry(Type, 4326)`` with a GiST index (``ix_<table>_<column>``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal, get_args

import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import ColumnClause, ColumnElement, LargeBinary
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

GeometryType = Literal[
    "POINT",
    "LINESTRING",
    "POLYGON",
    "MULTIPOINT",
    "MULTILINESTRING",
    "MULTIPOLYGON",
    "GEOMETRY",
]
GEOMETRY_TYPES: tuple[str, ...] = get_args(GeometryType)

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
#: Table and column together, so that every name made from them (index, R*Tree, trigger)
#: stays within PostgreSQL's 63 characters.
_MAX_STEM = 52


@dataclass(frozen=True)
class GeometryColumn:
    """A geometry column of a table, by name (checked: safe to put into SQL unquoted)."""

    table: str
    column: str

    @property
    def stem(self) -> str:
        """The prefix of the names of what the port creates for the column."""
        return f"{self.table}_{self.column}"


@dataclass(frozen=True)
class TableColumn:
    """A column of a table as the database describes it."""

    name: str
    #: the declared type, as the database writes it (``BLOB``, ``geometry(Point,4326)``…)
    type: str
    primary_key: bool
    integer: bool


def geometry_column(table: str, column: str) -> GeometryColumn:
    """Check the names of a geometry column (lower-case identifiers, short enough)."""
    for name in (table, column):
        if not _NAME.match(name):
            raise ValueError(f"not a plain lower-case SQL name: {name!r}")
    found = GeometryColumn(table, column)
    if len(found.stem) > _MAX_STEM:
        raise ValueError(f"table and column names too long together: {found.stem!r}")
    return found


def geometry_type_name(geometry_type: str) -> str:
    """The upper-case geometry type, checked."""
    name = geometry_type.upper()
    if name not in GEOMETRY_TYPES:
        raise ValueError(f"geometry type must be one of {', '.join(GEOMETRY_TYPES)}")
    return name


def column_of(expr: ColumnClause[Any]) -> tuple[GeometryColumn, ColumnElement[Any]]:
    """The geometry column behind a column expression of a table (or of an alias of it) and
    the table's integer key in the same FROM element, for index lookups."""
    base = next(iter(expr.base_columns))
    table = getattr(base, "table", None)
    name = getattr(table, "name", None)
    if not isinstance(base, ColumnClause) or not isinstance(name, str):
        raise ValueError("a geometry predicate needs a column of a table")
    keys = list(getattr(expr.table, "primary_key", ()))
    if len(keys) != 1:
        raise ValueError(f"table {name!r} needs a primary key of one integer column")
    return geometry_column(name, base.name), keys[0]


class ShapelyGeometry(TypeDecorator[BaseGeometry]):
    """A WGS 84 geometry column whose values are shapely geometries (x/y only: a Z or M
    coordinate is not stored). The storage is the port's: WKB on SQLite, PostGIS geometry
    of the declared type on PostgreSQL. A value of another type than the declared one is
    refused on both backends."""

    impl = LargeBinary
    cache_ok = True

    def __init__(self, geometry_type: GeometryType = "GEOMETRY") -> None:
        super().__init__()
        self.geometry_type = geometry_type_name(geometry_type)

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        from dothi.db.spatial import port_for

        return dialect.type_descriptor(port_for(dialect.name).geometry_storage(self.geometry_type))

    def process_bind_param(self, value: BaseGeometry | None, dialect: Dialect) -> bytes | None:
        if value is None:
            return None
        if not isinstance(value, BaseGeometry):
            raise TypeError(f"expected a shapely geometry, not {type(value).__name__}")
        if self.geometry_type != "GEOMETRY" and value.geom_type.upper() != self.geometry_type:
            raise ValueError(f"expected a {self.geometry_type} geometry, not {value.geom_type}")
        wkb: bytes = shapely.to_wkb(value, output_dimension=2, byte_order=1)
        return wkb

    def process_result_value(self, value: Any, dialect: Dialect) -> BaseGeometry | None:
        if value is None:
            return None
        geometry: BaseGeometry = shapely.from_wkb(bytes(value))
        return geometry
