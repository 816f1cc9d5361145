"""The CQL2 expression tree (OGC 21-065) shared by the text and JSON encodings.

Both parsers build these nodes and nothing else, so one compiler serves both and a test
can check that the two encodings of a filter give equal trees. Source positions are kept
for error messages but left out of equality (``compare=False``): JSON has none.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import shapely
from shapely.errors import ShapelyError
from shapely.geometry.base import BaseGeometry

from dothi.errors import InvalidInput

#: Longest filter accepted, in characters (a URL-sized filter is far shorter).
MAX_LENGTH = 20_000
#: Deepest nesting accepted (parentheses, NOT, AND/OR, JSON objects and arrays).
MAX_DEPTH = 100

#: The CQL2 conformance classes this implementation meets (for /conformance).
CONFORMANCE = tuple(
    f"http://www.opengis.net/spec/cql2/1.0/conf/{c}"
    for c in ("basic-cql2", "advanced-comparison-operators", "basic-spatial-operators",
              "property-property", "cql2-text", "cql2-json")
)  # fmt: skip
#: The spatial functions of CQL2; which of them compile is decided in cql2_sql.
SPATIAL_FUNCTIONS = frozenset((
    "s_intersects", "s_equals", "s_disjoint", "s_touches",
    "s_within", "s_overlaps", "s_crosses", "s_contains",
))  # fmt: skip
_INT64 = 2**63 - 1
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def cql2_error(vi: str, en: str, pos: int | None = None) -> InvalidInput:
    """An :class:`InvalidInput` for a bad filter; ``pos`` (0-based) is shown 1-based."""
    if pos is not None:
        vi = f"{vi} (vị trí {pos + 1})"
        en = f"{en} (at position {pos + 1})"
    return InvalidInput(vi, en, code="InvalidParameterValue")


def too_deep(pos: int | None = None) -> InvalidInput:
    """The error for a filter nested deeper than :data:`MAX_DEPTH`."""
    return cql2_error(
        f"Bộ lọc lồng nhau quá sâu (tối đa {MAX_DEPTH} cấp).",
        f"The filter is nested too deeply (at most {MAX_DEPTH} levels).",
        pos,
    )


def check_length(text: str) -> None:
    """Refuse a filter longer than :data:`MAX_LENGTH` characters."""
    if len(text) > MAX_LENGTH:
        raise cql2_error(
            f"Bộ lọc quá dài ({len(text)} ký tự, tối đa {MAX_LENGTH}).",
            f"The filter is too long ({len(text)} characters, at most {MAX_LENGTH}).",
        )


# --------------------------------------------------------------------------- nodes


@dataclass(frozen=True)
class Property:
    """A reference to a queryable (``"tên"`` or ``{"property": "tên"}``)."""

    name: str
    pos: int | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Literal:
    """A string (NFC), number or boolean literal."""

    value: str | int | float | bool
    pos: int | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Instant:
    """``DATE('2026-01-01')`` (``kind`` date) or ``TIMESTAMP(...)`` as canonical UTC text."""

    kind: str
    value: str
    pos: int | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Geometry:
    """A geometry literal (WKT, GeoJSON or BBOX) in the coordinates of the filter CRS."""

    value: BaseGeometry
    pos: int | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Function:
    """A call of a function this server may not know (``casei``, ``t_after``, ``foo``)."""

    name: str
    args: tuple[Any, ...]
    pos: int | None = field(default=None, compare=False)


Scalar = Property | Literal | Instant | Geometry | Function


@dataclass(frozen=True)
class And:
    """All of ``args``."""

    args: tuple[Expr, ...]


@dataclass(frozen=True)
class Or:
    """Any of ``args``."""

    args: tuple[Expr, ...]


@dataclass(frozen=True)
class Not:
    """The negation of ``arg`` (also what ``NOT LIKE``, ``NOT IN``... parse to)."""

    arg: Expr


@dataclass(frozen=True)
class Compare:
    """``left op right`` with ``op`` one of ``= <> < > <= >=``."""

    op: str
    left: Scalar
    right: Scalar


@dataclass(frozen=True)
class Like:
    """``arg LIKE pattern`` (``%`` any run, ``_`` one character, ``\\`` escapes)."""

    arg: Scalar
    pattern: Scalar


@dataclass(frozen=True)
class Between:
    """``arg BETWEEN low AND high`` (both ends included)."""

    arg: Scalar
    low: Scalar
    high: Scalar


@dataclass(frozen=True)
class In:
    """``arg IN (items...)``."""

    arg: Scalar
    items: tuple[Scalar, ...]


@dataclass(frozen=True)
class IsNull:
    """``arg IS NULL``."""

    arg: Scalar


@dataclass(frozen=True)
class Spatial:
    """``S_INTERSECTS(a, b)`` and the other spatial functions (``op`` lower case)."""

    op: str
    left: Scalar
    right: Scalar
    pos: int | None = field(default=None, compare=False)


Expr = And | Or | Not | Compare | Like | Between | In | IsNull | Spatial | Literal | Function


# --------------------------------------------------------------------------- literals


def text(value: str, pos: int | None = None) -> Literal:
    """A string literal, NFC-normalised so that composed and decomposed Vietnamese match."""
    return Literal(unicodedata.normalize("NFC", value), pos)


def number(value: int | float, pos: int | None = None) -> Literal:
    """A numeric literal; infinities, NaN and integers beyond 64 bits are refused."""
    if isinstance(value, float) and not math.isfinite(value):
        raise cql2_error("Số không hữu hạn.", "The number is not finite.", pos)
    if isinstance(value, int) and abs(value) > _INT64:
        # The drivers cannot bind it as an integer; as a float it still compares.
        value = float(value)
    return Literal(value, pos)


def instant(kind: str, value: str, pos: int | None = None) -> Instant:
    """``DATE``/``TIMESTAMP`` text checked and made canonical (UTC, milliseconds, ``Z``)."""
    try:
        if kind == "date":
            if not _DATE.match(value):
                raise ValueError
            return Instant(kind, date.fromisoformat(value).isoformat(), pos)
        if not _TIMESTAMP.match(value):
            raise ValueError
        moment = datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)
    except ValueError:
        example = "'2026-01-01'" if kind == "date" else "'2026-01-01T08:30:00Z'"
        raise cql2_error(
            f"«{value}» không phải giá trị {kind.upper()} hợp lệ; ví dụ {example}.",
            f"'{value}' is not a valid {kind.upper()}; e.g. {example}.",
            pos,
        ) from None
    millis = f"{moment.microsecond // 1000:03d}"
    return Instant(kind, moment.strftime("%Y-%m-%dT%H:%M:%S.") + millis + "Z", pos)


#: What shapely raises for coordinates it cannot build a geometry from.
SHAPE_ERRORS = (ValueError, TypeError, IndexError, KeyError, AttributeError, ShapelyError)


def bad_geometry(kind: str, pos: int | None = None) -> InvalidInput:
    """The error for a geometry literal that cannot be built."""
    return cql2_error(
        f"Hình học {kind} không hợp lệ (thiếu điểm hoặc tọa độ sai).",
        f"Invalid {kind} geometry (too few points or malformed coordinates).",
        pos,
    )


def literal_geometry(geom: BaseGeometry, kind: str, pos: int | None = None) -> Geometry:
    """A :class:`Geometry` node for ``geom``, two-dimensional; empty geometries refused."""
    # Heights play no part in the 2D predicates of the port; empty geometries have no
    # bounds to search the index with.
    if geom.is_empty:
        raise bad_geometry(kind, pos)
    return Geometry(shapely.force_2d(geom), pos)


def wkt(source: str, pos: int | None = None) -> Geometry:
    """A geometry from its WKT text."""
    kind = source.split("(", 1)[0].strip().upper() or "WKT"
    try:
        geom = shapely.from_wkt(source)
    except SHAPE_ERRORS:
        raise bad_geometry(kind, pos) from None
    return literal_geometry(geom, kind, pos)


def bbox(values: list[Any], pos: int | None = None) -> Geometry:
    """``BBOX(minx, miny, maxx, maxy)`` (or 6 numbers with heights, which are dropped)."""
    ok = len(values) in (4, 6) and all(
        isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in values
    )
    if ok:
        minx, miny, maxx, maxy = values if len(values) == 4 else (*values[0:2], *values[3:5])
        ok = minx < maxx and miny < maxy
    if not ok:
        raise cql2_error(
            "BBOX cần 4 (hoặc 6) số: minx, miny, maxx, maxy với min < max.",
            "BBOX needs 4 (or 6) numbers: minx, miny, maxx, maxy with min < max.",
            pos,
        )
    return Geometry(shapely.box(minx, miny, maxx, maxy), pos)


def call(name: str, args: list[Scalar], pos: int | None = None) -> Spatial | Function:
    """A function call: a :class:`Spatial` node for ``S_*`` names, else a :class:`Function`."""
    low = name.lower()
    if low in SPATIAL_FUNCTIONS:
        if len(args) != 2:
            raise cql2_error(
                f"{name.upper()} cần đúng 2 đối số.",
                f"{name.upper()} takes exactly 2 arguments.",
                pos,
            )
        return Spatial(low, args[0], args[1], pos)
    return Function(low, tuple(args), pos)
