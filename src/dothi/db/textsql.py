"""Text SQL that differs between SQLite and PostgreSQL: case-sensitive LIKE, UTC date-times.

Like the spatial port, this is where backend differences live, so that the CQL2 compiler
and everything else stay backend-neutral.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from sqlalchemy import ColumnElement, String, func, literal
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import Boolean


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


def utc_text(value: ColumnElement[Any]) -> ColumnElement[str]:
    """An ISO 8601 date-time text as canonical UTC text (NULL when it is not one)."""
    return _UtcText(value)


# -- accent-insensitive Vietnamese text ---------------------------------------------------

_VI_LETTERS = "aàáảãạăằắẳẵặâầấẩẫậeèéẻẽẹêềếểễệiìíỉĩịoòóỏõọôồốổỗộơờớởỡợuùúủũụưừứửữựyỳýỷỹỵđ"


def fold_text(text: str) -> str:
    """Vietnamese text without tone marks or diacritics, lower case, single spaces:
    ``"Đường Lê Lợi"`` → ``"duong le loi"`` (for searching as people type)."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.lower().split())


# PostgreSQL gets the same folding from translate() over every Vietnamese letter, upper
# and lower case; no extension is needed.
_FROM = _VI_LETTERS + _VI_LETTERS.upper()
_TO = "".join(fold_text(c) for c in _FROM)


class _Fold(FunctionElement[str]):
    """:func:`fold_text` in SQL."""

    type = String()
    inherit_cache = True
    name = "dothi_fold"


@compiles(_Fold)
def _fold_sql(element: _Fold, compiler: SQLCompiler, **kw: Any) -> str:
    (arg,) = element.clauses
    mapped = func.translate(arg, literal(_FROM), literal(_TO))
    return compiler.process(func.lower(mapped), **kw)


@compiles(_Fold, "sqlite")
def _fold_sqlite(element: _Fold, compiler: SQLCompiler, **kw: Any) -> str:
    (arg,) = element.clauses
    return f"dothi_fold({compiler.process(arg, **kw)})"


def folded(value: ColumnElement[Any]) -> ColumnElement[str]:
    """``value`` folded as :func:`fold_text` does, in the database."""
    return _Fold(value)


# -- letter case beyond ASCII -------------------------------------------------------------


class _Case(FunctionElement[str]):
    """``lower``/``upper`` of every letter: SQLite's own change ASCII letters only."""

    type = String()
    inherit_cache = True


class _Lower(_Case):
    inherit_cache = True
    name = "lower"


class _Upper(_Case):
    inherit_cache = True
    name = "upper"


@compiles(_Lower)
@compiles(_Upper)
def _case_sql(element: _Case, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.visit_function(element, **kw)  # type: ignore[arg-type]


@compiles(_Lower, "sqlite")
@compiles(_Upper, "sqlite")
def _case_sqlite(element: _Case, compiler: SQLCompiler, **kw: Any) -> str:
    (arg,) = element.clauses
    return f"dothi_{element.name}({compiler.process(arg, **kw)})"


def text_lower(value: ColumnElement[Any]) -> ColumnElement[str]:
    """``value`` in lower case (``"ĐƯỜNG"`` → ``"đường"``) on both backends."""
    return _Lower(value)


def text_upper(value: ColumnElement[Any]) -> ColumnElement[str]:
    """``value`` in upper case on both backends."""
    return _Upper(value)


def register_text_functions(dbapi_conn: Any) -> None:
    """Give a SQLite connection ``dothi_fold``, ``dothi_lower`` and ``dothi_upper``
    (PostgreSQL needs nothing)."""
    dbapi_conn.create_function(
        "dothi_fold", 1, lambda s: None if s is None else fold_text(s), deterministic=True
    )
    dbapi_conn.create_function(
        "dothi_lower", 1, lambda s: s.lower() if isinstance(s, str) else s, deterministic=True
    )
    dbapi_conn.create_function(
        "dothi_upper", 1, lambda s: s.upper() if isinstance(s, str) else s, deterministic=True
    )
