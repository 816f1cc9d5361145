"""Queryables (OGC API – Features Part 3): what the features of a layer can be filtered on.

The document is a JSON Schema (draft 2020-12) built from the layer's property schema,
plus ``geometry`` for the feature geometry. :func:`value_kind` is the one reading of a
queryable's type that the CQL2 compiler relies on.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import ColumnElement, String, func, literal
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import Boolean

from dothi.db.schema import feature
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
        return _UtcText(element.as_string())
    # Not as_integer() for integers: that is a 32-bit INTEGER on PostgreSQL, too small for
    # counts and areas in m².
    readers: dict[str, Callable[[], ColumnElement[Any]]] = {
        "number": element.as_float,
        "integer": lambda: element.as_numeric(38, 0),
        "boolean": element.as_boolean,
        "string": element.as_string,  # and dates, stored as ISO text
    }
    return readers.get(kind, readers["string"])()


class _UtcText(FunctionElement[str]):
    """An ISO 8601 date-time text as ``YYYY-MM-DDTHH:MM:SS.sssZ`` in UTC; NULL if not one."""

    type = String()
    inherit_cache = True
    name = "dothi_utc_text"


# Built from its parts after a strict pattern check, never with a cast: a stored value such
# as 2026-02-30 would make a cast fail the whole query instead of just not matching.
_PG_UTC = (
    "CASE WHEN {x} ~ '^[1-9][0-9]{3}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[T ]"
    "([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9]([.][0-9]+)?)?"
    "(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])?$' "
    "THEN to_char(make_timestamp(substr({x}, 1, 4)::int, substr({x}, 6, 2)::int, 1, "
    "substr({x}, 12, 2)::int, substr({x}, 15, 2)::int, "
    "coalesce(substring({x} from '^.{16}:([0-9.]+)')::float8, 0)) "
    "+ make_interval(days => substr({x}, 9, 2)::int - 1) "
    "- coalesce(substring({x} from '([+-][0-9]{2}:[0-9]{2})$')::interval, interval '0'), "
    '\'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"\') END'
)


@compiles(_UtcText)
def _utc_sql(element: _UtcText, compiler: SQLCompiler, **kw: Any) -> str:
    (arg,) = element.clauses
    parts = _PG_UTC.split("{x}")
    # Each use renders the argument afresh so positional bind styles stay in step.
    return parts[0] + "".join(f"({compiler.process(arg, **kw)}){p}" for p in parts[1:])


@compiles(_UtcText, "sqlite")
def _utc_sqlite(element: _UtcText, compiler: SQLCompiler, **kw: Any) -> str:
    (arg,) = element.clauses
    return compiler.process(func.strftime("%Y-%m-%dT%H:%M:%fZ", arg), **kw)


class _Like(FunctionElement[bool]):
    """Case-sensitive ``LIKE`` with ``\\`` as escape: (value, like pattern, glob pattern)."""

    type = Boolean()
    inherit_cache = True
    name = "dothi_like"


@compiles(_Like)
def _like_sql(element: _Like, compiler: SQLCompiler, **kw: Any) -> str:
    value, pattern, _ = (compiler.process(c, **kw) for c in element.clauses)
    return f"({value} LIKE {pattern} ESCAPE '\\')"


@compiles(_Like, "sqlite")
def _like_sqlite(element: _Like, compiler: SQLCompiler, **kw: Any) -> str:
    # SQLite's LIKE ignores ASCII case; CQL2's does not. GLOB is case-sensitive.
    value, _, pattern = (compiler.process(c, **kw) for c in element.clauses)
    return f"({value} GLOB {pattern})"


def _glob(pattern: str) -> str:
    out: list[str] = []
    chars = iter(pattern)
    for c in chars:
        if c == "\\":
            c = next(chars)
            out.append(f"[{c}]" if c in "*?[" else c)
        elif c in "%_":
            out.append("*" if c == "%" else "?")
        else:
            out.append(f"[{c}]" if c in "*?[" else c)
    return "".join(out)


def text_like(value: ColumnElement[Any], pattern: str) -> ColumnElement[bool]:
    """``value LIKE pattern``, case-sensitive on both backends (``%``, ``_``, ``\\`` escape).

    ``pattern`` must not end with a lone ``\\``.
    """
    return _Like(value, literal(pattern), literal(_glob(pattern)))
