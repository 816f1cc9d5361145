"""SQL pieces of the ``$filter`` compiler that SQLite and PostgreSQL write differently.

Each is a SQLAlchemy element compiled per dialect (as :mod:`dothi.db.textsql` does), so
that the compiler itself has no backend branches. Times are BIGINT microseconds since
1970-01-01T00:00:00Z; calendar parts are read from whole seconds so that no floating-point
rounding can move a value across a day or year boundary.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Boolean, ColumnElement, Float, Integer, String, literal
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

# -- calendar parts -------------------------------------------------------------------------


class _Calendar(FunctionElement[int]):
    """(seconds since 1970, strftime format, date_part field) → the part as an integer."""

    type = Integer()
    inherit_cache = True
    name = "dothi_calendar"


@compiles(_Calendar)
def _calendar_pg(element: _Calendar, compiler: SQLCompiler, **kw: Any) -> str:
    seconds, _, field = (compiler.process(c, **kw) for c in element.clauses)
    # timestamp without time zone: plain arithmetic, whatever the session's time zone.
    stamp = f"(TIMESTAMP '1970-01-01 00:00:00' + ({seconds}) * INTERVAL '1 second')"
    return f"CAST(date_part({field}, {stamp}) AS INTEGER)"


@compiles(_Calendar, "sqlite")
def _calendar_sqlite(element: _Calendar, compiler: SQLCompiler, **kw: Any) -> str:
    seconds, fmt, _ = (compiler.process(c, **kw) for c in element.clauses)
    return f"CAST(strftime({fmt}, {seconds}, 'unixepoch') AS INTEGER)"


_PARTS = {"year": "%Y", "month": "%m", "day": "%d"}


def calendar(part: str, seconds: ColumnElement[Any]) -> ColumnElement[int]:
    """The ``year``, ``month`` or ``day`` (UTC) of whole seconds since 1970."""
    return _Calendar(seconds, literal(_PARTS[part], String), literal(part, String))


# -- strings --------------------------------------------------------------------------------


class _Instr(FunctionElement[int]):
    """The 1-based position of a string in another, 0 when absent (case-sensitive)."""

    type = Integer()
    inherit_cache = True
    name = "instr"


@compiles(_Instr, "postgresql")
def _instr_pg(element: _Instr, compiler: SQLCompiler, **kw: Any) -> str:
    haystack, needle = (compiler.process(c, **kw) for c in element.clauses)
    return f"strpos({haystack}, {needle})"


def instr(haystack: ColumnElement[Any], needle: ColumnElement[Any]) -> ColumnElement[int]:
    """The 1-based position of ``needle`` in ``haystack``; 0 when it is not there."""
    return _Instr(haystack, needle)


# -- numbers --------------------------------------------------------------------------------


class _Mod(FunctionElement[float]):
    """The remainder of a division, for decimals too (sign of the dividend)."""

    type = Float()
    inherit_cache = True
    name = "mod"


@compiles(_Mod, "postgresql")
def _mod_pg(element: _Mod, compiler: SQLCompiler, **kw: Any) -> str:
    a, b = (compiler.process(c, **kw) for c in element.clauses)
    # PostgreSQL's mod() takes integers or numeric, not double precision.
    return f"CAST(mod(CAST({a} AS NUMERIC), CAST({b} AS NUMERIC)) AS DOUBLE PRECISION)"


def modulo(a: ColumnElement[Any], b: ColumnElement[Any]) -> ColumnElement[float]:
    """``a mod b`` (SQLite's math function, PostgreSQL's on numeric)."""
    return _Mod(a, b)


class _Round(FunctionElement[float]):
    """Rounding to the nearest integer, halves away from zero."""

    type = Float()
    inherit_cache = True
    name = "round"


@compiles(_Round, "postgresql")
def _round_pg(element: _Round, compiler: SQLCompiler, **kw: Any) -> str:
    (a,) = (compiler.process(c, **kw) for c in element.clauses)
    # round(double precision) rounds halves to even; round(numeric) away from zero.
    return f"CAST(round(CAST({a} AS NUMERIC)) AS DOUBLE PRECISION)"


def round_half_away(value: ColumnElement[Any]) -> ColumnElement[float]:
    """``value`` rounded to an integer, halves away from zero (2.5 → 3, -2.5 → -3)."""
    return _Round(value)


class _Floor(FunctionElement[float]):
    """The largest integer not above a number."""

    type = Float()
    inherit_cache = True
    name = "floor"


@compiles(_Floor, "sqlite")
def _floor_sqlite(element: _Floor, compiler: SQLCompiler, **kw: Any) -> str:
    (a,) = (compiler.process(c, **kw) for c in element.clauses)
    # SQLAlchemy's pysqlite dialect replaces floor() with Python's math.floor, which fails
    # on NULL; the built-in ceiling() gives the same result.
    return f"(-ceiling(-({a})))"


def floor(value: ColumnElement[Any]) -> ColumnElement[float]:
    """``value`` rounded down to an integer."""
    return _Floor(value)


# Elsewhere than in their dialect's handler, these are the plain SQL function of their name.
@compiles(_Instr)
@compiles(_Mod)
@compiles(_Round)
@compiles(_Floor)
def _plain(element: FunctionElement[Any], compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.visit_function(element, **kw)  # type: ignore[arg-type]


# -- JSON -----------------------------------------------------------------------------------


class _Json(FunctionElement[Any]):
    """A value inside a JSON text column: (document, SQLite path, PostgreSQL path)."""

    inherit_cache = True
    name = "dothi_json"
    #: SQLite json_type() values and the PostgreSQL jsonb_typeof() value to read; the
    #: PostgreSQL cast of the text; empty for the raw value of any type.
    sqlite_types: tuple[str, ...] = ()
    pg_type = ""
    pg_cast = ""


class _JsonText(_Json):
    type = String()
    inherit_cache = True
    sqlite_types = ("text",)
    pg_type = "string"


class _JsonNumber(_Json):
    type = Float()
    inherit_cache = True
    sqlite_types = ("integer", "real")
    pg_type = "number"
    pg_cast = "DOUBLE PRECISION"


class _JsonBool(_Json):
    type = Boolean()
    inherit_cache = True
    sqlite_types = ("true", "false")
    pg_type = "boolean"
    pg_cast = "BOOLEAN"


class _JsonRaw(_Json):
    """The value as text whatever its type (NULL when absent or JSON null)."""

    type = String()
    inherit_cache = True


@compiles(_Json)
def _json_pg(element: _Json, compiler: SQLCompiler, **kw: Any) -> str:
    doc, _, path = element.clauses

    # Each use renders its arguments afresh so that positional binds stay in step.
    def target() -> str:
        return (
            f"CAST({compiler.process(doc, **kw)} AS JSONB) "
            f"#>> CAST({compiler.process(path, **kw)} AS TEXT[])"
        )

    if not element.pg_type:
        return target()
    value = f"CAST({target()} AS {element.pg_cast})" if element.pg_cast else target()
    kind = (
        f"jsonb_typeof(CAST({compiler.process(doc, **kw)} AS JSONB) "
        f"#> CAST({compiler.process(path, **kw)} AS TEXT[]))"
    )
    return f"(CASE WHEN {kind} = '{element.pg_type}' THEN {value} END)"


@compiles(_Json, "sqlite")
def _json_sqlite(element: _Json, compiler: SQLCompiler, **kw: Any) -> str:
    doc, path, _ = element.clauses

    def call(name: str) -> str:
        return f"{name}({compiler.process(doc, **kw)}, {compiler.process(path, **kw)})"

    if not element.sqlite_types:
        return call("json_extract")
    kinds = ", ".join(f"'{k}'" for k in element.sqlite_types)
    return f"(CASE WHEN {call('json_type')} IN ({kinds}) THEN {call('json_extract')} END)"


_JSON_KINDS: dict[str, type[_Json]] = {
    "text": _JsonText,
    "number": _JsonNumber,
    "bool": _JsonBool,
    "raw": _JsonRaw,
}


def json_value(doc: ColumnElement[Any], keys: tuple[str, ...], kind: str) -> ColumnElement[Any]:
    """The value at ``keys`` in the JSON text ``doc`` when it is of ``kind`` (``text``,
    ``number``, ``bool``), else NULL; ``raw``: the value as text whatever its type.
    Missing keys and JSON null give NULL."""
    for key in keys:
        if any(c in key for c in '"\\{},'):
            raise ValueError(f"unsupported character in JSON key {key!r}")
    sqlite_path = "$" + "".join(f'."{k}"' for k in keys)
    pg_path = "{" + ",".join(f'"{k}"' for k in keys) + "}"
    return _JSON_KINDS[kind](doc, literal(sqlite_path, String), literal(pg_path, String))


def microseconds(value: int) -> ColumnElement[int]:
    """A time or duration literal (microseconds) as a typed parameter."""
    return literal(value, BigInteger)
