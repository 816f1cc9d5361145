"""Queryables (OGC API – Features Part 3): what the features of a layer can be filtered on.

The document is a JSON Schema (draft 2020-12) built from the layer's property schema,
plus ``geometry`` for the feature geometry. :func:`value_kind` is the one reading of a
queryable's type that the CQL2 compiler relies on.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import ColumnElement

from dothi.db.schema import feature
from dothi.db.textsql import utc_text
from dothi.spatial.layers import Layer

JSON_SCHEMA = "https://json-schema.org/draft/2020-12/schema"
#: The JSON Schema keywords of a layer property that a client can use to write a filter.
_KEEP = (
    "title", "description", "type", "format", "enum", "minimum", "maximum",
    "exclusiveMinimum", "exclusiveMaximum", "minLength", "maxLength", "pattern",
)  # fmt: skip
# A layer of type Polygon also holds MultiPolygons (see dothi.spatial.geometry).
_GEOMETRY_FORMATS = {
    "Point": "geometry-point-or-multipoint",
    "LineString": "geometry-linestring-or-multilinestring",
    "Polygon": "geometry-polygon-or-multipolygon",
}


def _queryable(spec: Mapping[str, Any]) -> dict[str, Any]:
    out = {k: spec[k] for k in _KEEP if k in spec}
    raw = spec.get("type")
    if isinstance(raw, list):
        # Clients read one type per queryable; null is implied, a missing value matches
        # nothing but IS NULL.
        types = [t for t in raw if t != "null"]
        if len(types) == 1:
            out["type"] = types[0]
        elif types:
            out["type"] = types
        else:
            out.pop("type")
    return out


def queryables(layer: Layer, base_url: str, lang: str = "vi") -> dict[str, Any]:
    """The queryables document of ``layer``, served at ``{base_url}/collections/{id}/queryables``.

    ``lang`` (``vi``/``en``) picks the title. Only the listed properties may be filtered on
    (``additionalProperties`` is false); ``geometry`` is the feature geometry.
    """
    geometry = {
        "title": "Hình học" if lang == "vi" else "Geometry",
        "format": _GEOMETRY_FORMATS.get(layer.geometry_type, "geometry-any"),
        "x-ogc-role": "primary-geometry",
    }
    properties: dict[str, Any] = {"geometry": geometry}
    for name, spec in layer.property_schema.get("properties", {}).items():
        if name != "geometry":  # the reserved name always means the feature geometry
            properties[name] = _queryable(spec)
    return {
        "$schema": JSON_SCHEMA,
        "$id": f"{base_url.rstrip('/')}/collections/{layer.id}/queryables",
        "type": "object",
        "title": layer.title_vi if lang == "vi" else layer.title_en,
        "properties": properties,
        "additionalProperties": False,
    }


def value_kind(name: str, spec: Mapping[str, Any] | None) -> str | None:
    """How a queryable is compared: ``geometry``, ``date``, ``timestamp``, ``integer``,
    ``number``, ``boolean`` or ``string``; None for objects and arrays.

    ``geometry`` is the reserved name of the feature geometry, queryable or not.
    """
    if spec is None:
        return "geometry" if name == "geometry" else None
    fmt = str(spec.get("format", ""))
    if name == "geometry" or fmt.startswith("geometry"):
        return "geometry"
    if fmt in ("date", "date-time"):
        return "date" if fmt == "date" else "timestamp"
    raw = spec.get("type", "string")
    types = [raw] if isinstance(raw, str) else list(raw)
    return next((k for k in ("integer", "number", "boolean", "string") if k in types), None)


def property_sql(name: str, kind: str) -> ColumnElement[Any]:
    """The value of queryable ``name`` read from the JSON column, typed for ``kind``.

    SQLAlchemy renders ``json_extract`` on SQLite and ``->>`` with a cast on PostgreSQL.
    Date-times become canonical UTC text so that offsets and separators compare right.
    """
    element = feature.c.properties[name]
    if kind == "timestamp":
        return utc_text(element.as_string())
    # Not as_integer() for integers: that is a 32-bit INTEGER on PostgreSQL, too small for
    # counts and areas in m².
    readers: dict[str, Callable[[], ColumnElement[Any]]] = {
        "number": element.as_float,
        "integer": lambda: element.as_numeric(38, 0),
        "boolean": element.as_boolean,
        "string": element.as_string,  # and dates, stored as ISO text
    }
    return readers.get(kind, readers["string"])()
