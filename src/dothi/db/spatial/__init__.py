"""The spatial query port and its two implementations (SQLite, PostGIS)."""

from __future__ import annotations

from dothi.db.spatial.base import BBox, FeatureRow, Predicate, SpatialPort, VersionBatch
from dothi.db.spatial.columns import GeometryType, ShapelyGeometry


def port_for(dialect_name: str) -> SpatialPort:
    """The spatial port for a SQLAlchemy dialect name (``sqlite`` or ``postgresql``)."""
    if dialect_name == "postgresql":
        from dothi.db.spatial.postgis import PostGISPort

        return PostGISPort()
    from dothi.db.spatial.sqlite import SQLitePort

    return SQLitePort()


__all__ = [
    "BBox",
    "FeatureRow",
    "GeometryType",
    "Predicate",
    "ShapelyGeometry",
    "SpatialPort",
    "VersionBatch",
    "port_for",
]
