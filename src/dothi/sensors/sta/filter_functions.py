"""The built-in functions of SensorThings ``$filter`` (18-088, "Built-in Query Functions")
on the compiler's typed values: strings, date and time, time intervals, math and the
spatial functions, these through the storage port."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import ColumnElement, Float, Integer, and_, case, func, literal, not_
from sqlalchemy import cast as sql_cast

from dothi.db.spatial.base import check_pattern
from dothi.db.textsql import text_lower, text_upper
from dothi.errors import InvalidInput
from dothi.sensors.sta.filter_values import (
    MICROS_PER_DAY,
    Geom,
    Interval,
    Json,
    Result,
    Val,
    Value,
    as_number,
    interval_test,
    kind_en,
    kind_of,
    kind_vi,
    number,
    time_value,
    type_error,
)
from dothi.sensors.sta.odata import Call, micros, odata_error
from dothi.sensors.sta.sql_functions import calendar, floor, instr, round_half_away

if TYPE_CHECKING:
    from dothi.db.spatial.base import Relation, SpatialPort

_SECOND = 1_000_000
_MIN_TIME = micros(datetime(1, 1, 1, tzinfo=UTC))
_MAX_TIME = micros(datetime(9999, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC))
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_RELATIONS: dict[str, Relation] = {
    "geo.intersects": "intersects", "st_intersects": "intersects", "st_equals": "equals",
    "st_disjoint": "disjoint", "st_touches": "touches", "st_within": "within",
    "st_overlaps": "overlaps", "st_crosses": "crosses", "st_contains": "contains",
}  # fmt: skip
#: The relation seen from the other geometry.
_CONVERSE: dict[str, Relation] = {"within": "contains", "contains": "within"}
_INTERVAL_FUNCTIONS = ("before", "after", "meets", "during", "overlaps", "starts", "finishes")


def _guard(*values: Val) -> ColumnElement[bool] | None:
    guards = [v.guard for v in values if v.guard is not None]
    return and_(*guards) if guards else None


def _wrong(node: Call, i: int, wanted_vi: str, wanted_en: str, got: Value) -> InvalidInput:
    return type_error(
        f"đối số {i + 1} của {node.name} phải là {wanted_vi}, không phải {kind_vi(kind_of(got))}.",
        f"argument {i + 1} of {node.name} must be {wanted_en}, not {kind_en(kind_of(got))}.",
        node,
    )


def _text_arg(node: Call, args: list[Value], i: int) -> Val:
    v = args[i]
    if isinstance(v, Json | Result):
        return v.typed("text")
    if isinstance(v, Val) and v.kind == "text":
        return v
    raise _wrong(node, i, "chuỗi", "a string", v)


def _int_arg(node: Call, args: list[Value], i: int) -> Val:
    v = as_number(args[i], node) if isinstance(args[i], Json | Result | Val) else None
    if v is None or v.kind not in ("number", "id"):
        raise _wrong(node, i, "số nguyên", "an integer", args[i])
    if v.is_const and v.const != int(v.const):
        raise _wrong(node, i, "số nguyên", "an integer", args[i])
    return v


def _micros_arg(node: Call, args: list[Value], clock: bool = False) -> Val:
    """The (only) argument as microseconds: a time, an interval's start, a date's
    midnight, and with ``clock`` a time of day."""
    v = args[0]
    if isinstance(v, Interval):
        return Val("time", v.start, node, nullable=v.nullable)
    if isinstance(v, Val):
        if v.kind == "time" or (clock and v.kind == "timeofday"):
            return v
        if v.kind == "date":
            if v.is_const:
                return time_value("time", v.const * MICROS_PER_DAY, node)
            return Val("time", v.sql * MICROS_PER_DAY, node, nullable=v.nullable)
    wanted_vi = "thời điểm hoặc giờ" if clock else "thời điểm hoặc ngày"
    wanted_en = "a date-time or a time of day" if clock else "a date-time or a date"
    raise _wrong(node, 0, wanted_vi, wanted_en, v)


def _floor_mod(x: Any, n: int) -> Any:
    # SQL's % keeps the sign of the dividend: shifted for times before 1970.
    return ((x % n) + n) % n


def _floor_div(x: Any, n: int) -> Any:
    return (x - _floor_mod(x, n)) // n


def _derived(
    node: Call, arg: Val, kind: str, sql: Callable[[Any], Any], py: Callable[[int], Any]
) -> Val:
    """A value computed from ``arg``: in Python for a literal, else in SQL."""
    if arg.is_const:
        value = py(arg.const)
        return number(value, node) if kind == "number" else time_value(kind, value, node)
    return Val(kind, sql(arg.sql), node, nullable=arg.nullable, guard=arg.guard)


def _clamped(v: Val) -> Any:
    """A non-negative integer (negative counts as 0), for substring."""
    if v.is_const:
        return literal(max(int(v.const), 0), Integer)
    whole = sql_cast(v.sql, Integer)
    return case((whole < 0, 0), else_=whole)


# --------------------------------------------------------------------------- groups


def _string(node: Call, args: list[Value]) -> Val:
    name = node.name
    a = _text_arg(node, args, 0)
    if name in ("length", "tolower", "toupper", "trim"):
        make: dict[str, Callable[[Any], Any]] = {
            "length": func.length, "tolower": text_lower,
            "toupper": text_upper, "trim": func.trim,
        }  # fmt: skip
        sql = make[name](a.sql)
        kind = "number" if name == "length" else "text"
        return Val(kind, sql, node, nullable=a.nullable, guard=a.guard)
    if name == "substring":
        start = _clamped(_int_arg(node, args, 1)) + 1
        parts = [a.sql, start]
        if len(args) == 3:
            parts.append(_clamped(_int_arg(node, args, 2)))
        return Val("text", func.substr(*parts), node, guard=_guard(a))
    b = _text_arg(node, args, 1)
    guard = _guard(a, b)
    if name == "substringof":  # substringof(needle, haystack)
        return Val("bool", instr(b.sql, a.sql) > 0, node, guard=guard)
    if name == "indexof":
        return Val("number", instr(a.sql, b.sql), node, guard=guard)
    if name == "concat":
        return Val("text", a.sql.concat(b.sql), node, guard=guard)
    length_a, length_b = func.length(a.sql), func.length(b.sql)
    if name == "startswith":
        return Val("bool", func.substr(a.sql, 1, length_b) == b.sql, node, guard=guard)
    # endswith: substr() counts a start below 1 differently on each backend.
    tail = func.substr(a.sql, length_a - length_b + 1) == b.sql
    return Val("bool", and_(length_a >= length_b, tail), node, guard=guard)


def _calendar_part(part: str) -> Callable[[int], int]:
    def py(us: int) -> int:
        value: int = getattr(_EPOCH + timedelta(microseconds=us), part)
        return value

    return py


def _time(node: Call, args: list[Value], now: datetime) -> Val:
    name = node.name
    if name in ("now", "mindatetime", "maxdatetime"):
        value = {"now": micros(now), "mindatetime": _MIN_TIME, "maxdatetime": _MAX_TIME}[name]
        return time_value("time", value, node)
    if name in ("year", "month", "day"):
        t = _micros_arg(node, args)
        return _derived(
            node, t, "number",
            lambda s: calendar(name, _floor_div(s, _SECOND)), _calendar_part(name),
        )  # fmt: skip
    if name in ("hour", "minute", "second"):
        unit, modulo = {"hour": (3600, 24), "minute": (60, 60), "second": (1, 60)}[name]
        t = _micros_arg(node, args, clock=True)
        step = unit * _SECOND
        return _derived(
            node, t, "number",
            lambda s: _floor_mod(_floor_div(s, step), modulo), lambda us: us // step % modulo,
        )  # fmt: skip
    t = _micros_arg(node, args, clock=name == "fractionalseconds")
    if name == "fractionalseconds":
        return _derived(
            node, t, "number",
            lambda s: sql_cast(_floor_mod(s, _SECOND), Float) / _SECOND,
            lambda us: us % _SECOND / _SECOND,
        )  # fmt: skip
    if name == "date":
        return _derived(
            node, t, "date",
            lambda s: _floor_div(s, MICROS_PER_DAY), lambda us: us // MICROS_PER_DAY,
        )  # fmt: skip
    if name == "time":
        return _derived(
            node, t, "timeofday",
            lambda s: _floor_mod(s, MICROS_PER_DAY), lambda us: us % MICROS_PER_DAY,
        )  # fmt: skip
    # totaloffsetminutes: every time is stored in UTC.
    return _derived(node, t, "number", lambda s: case((s.is_not(None), 0)), lambda us: 0)


def _math(node: Call, args: list[Value]) -> Val:
    v = as_number(args[0], node)
    if v.kind not in ("number", "id"):
        raise _wrong(node, 0, "số", "a number", args[0])
    py: Callable[[float], float] = {
        "round": lambda x: math.floor(abs(x) + 0.5) * (1 if x >= 0 else -1),
        "floor": math.floor,
        "ceiling": math.ceil,
    }[node.name]
    if v.is_const:
        return number(py(v.const), node)
    make: dict[str, Callable[[Any], Any]] = {
        "round": round_half_away,
        "floor": floor,
        "ceiling": lambda x: func.ceiling(x, type_=Float),
    }
    sql = make[node.name](v.sql)
    return Val("number", sql, node, nullable=v.nullable, guard=v.guard)


def _geoms(node: Call, args: list[Value]) -> tuple[Geom, Geom]:
    for i in (0, 1):
        if not isinstance(args[i], Geom):
            raise _wrong(node, i, "hình học", "a geometry", args[i])
    return cast(Geom, args[0]), cast(Geom, args[1])


def _line_length(g: BaseGeometry) -> float:
    if g.geom_type in ("LineString", "LinearRing", "MultiLineString"):
        return float(g.length)
    if g.geom_type == "GeometryCollection":
        return sum(_line_length(p) for p in g.geoms)
    return 0.0


def _pattern(node: Call, args: list[Value]) -> str:
    p = args[2]
    if not (isinstance(p, Val) and p.kind == "text" and p.is_const):
        raise _wrong(
            node, 2, "một mẫu DE-9IM như 'T********'", "a DE-9IM pattern such as 'T********'", p
        )
    try:
        return check_pattern(p.const)
    except ValueError:
        raise odata_error(
            f"Mẫu DE-9IM «{p.const}» không hợp lệ: cần 9 ký tự trong T, F, *, 0, 1, 2.",
            f"The DE-9IM pattern '{p.const}' is not valid: 9 characters of T, F, *, 0, 1, 2.",
            p.node.pos,
        ) from None


def _spatial(node: Call, args: list[Value], port: SpatialPort) -> Val:
    name = node.name
    if name == "geo.length":
        g = args[0]
        if not isinstance(g, Geom):
            raise _wrong(node, 0, "hình học", "a geometry", g)
        if g.value is not None:
            return number(_line_length(g.value), node)
        return Val("number", port.planar_length(g.column), node)
    a, b = _geoms(node, args)
    if a.value is not None and b.value is not None:
        if name == "geo.distance":
            return number(float(shapely.distance(a.value, b.value)), node)
        if name == "st_relate":
            found = shapely.relate_pattern(a.value, b.value, _pattern(node, args))
        else:
            found = getattr(shapely, _RELATIONS[name])(a.value, b.value)
        return Val("bool", None, node, const=bool(found), nullable=False)
    if a.value is not None and b.column is not None:
        column, geometry, swapped = b.column, a.value, True
    elif a.column is not None and b.value is not None:
        column, geometry, swapped = a.column, b.value, False
    else:
        raise type_error(
            f"{name} cần một hình học cụ thể (geography'POINT(106.7 10.78)') làm một đối số.",
            f"{name} needs a geometry literal (geography'POINT(106.7 10.78)') as one argument.",
            node,
        )
    if name == "geo.distance":
        return Val(
            "number", port.planar_distance(column, geometry), node,
            within=lambda d: port.within_planar_distance(column, geometry, d),
        )  # fmt: skip
    if name == "st_relate":
        pattern = _pattern(node, args)
        if swapped:  # the matrix of (literal, column) is the transpose of (column, literal)
            pattern = "".join(pattern[j * 3 + i] for i in range(3) for j in range(3))
        clause = port.relate_pattern(column, geometry, pattern)
    else:
        relation = _RELATIONS[name]
        if swapped:
            relation = _CONVERSE.get(relation, relation)
        clause = port.relates(column, geometry, relation)
    # Without a geometry a row meets no test, and no negated one either.
    return Val("bool", clause, node, negated=and_(column.is_not(None), not_(clause)))


def function(node: Call, args: list[Value], port: SpatialPort, now: datetime) -> Value:
    """The value of a call of a built-in function (arity checked by the parser)."""
    name = node.name
    if name in ("substringof", "endswith", "startswith", "length", "indexof", "substring",
                "tolower", "toupper", "trim", "concat"):  # fmt: skip
        return _string(node, args)
    if name in ("round", "floor", "ceiling"):
        return _math(node, args)
    if name in _INTERVAL_FUNCTIONS:
        test = interval_test(name, args[0], args[1], node)
        return Val("bool", test, node)
    if name.startswith(("geo.", "st_")):
        return _spatial(node, args, port)
    return _time(node, args, now)
