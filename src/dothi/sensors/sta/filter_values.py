"""Typed values of the ``$filter`` compiler and the operations between them.

A value is SQL with an OData type. JSON properties and the Observation ``result`` are
typed by the context they are used in (:meth:`Json.typed`, :meth:`Result.typed`); a
``guard`` is a condition that must hold for a value to mean anything (``result`` read as
a number must be a number, not a boolean stored as 1), kept apart so that ``not`` can
keep it: ``not (result gt 5)`` is ``kind = 0 and not (number > 5)``.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from shapely.geometry.base import BaseGeometry
from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Float,
    Integer,
    String,
    and_,
    case,
    cast,
    false,
    func,
    literal,
    not_,
    or_,
    true,
)

from dothi.db.textsql import utc_text
from dothi.errors import InvalidInput
from dothi.sensors.sta.odata import Expr, Lit, micros, odata_error, tokenize
from dothi.sensors.sta.sql_functions import json_value, microseconds, modulo

_UNSET: Any = object()
MICROS_PER_DAY = 86_400_000_000
_KIND_VI = {
    "number": "số", "id": "mã số (id)", "text": "chuỗi", "bool": "đúng/sai",
    "time": "thời điểm", "date": "ngày", "timeofday": "giờ trong ngày",
    "duration": "độ dài thời gian", "interval": "khoảng thời gian", "geometry": "hình học",
    "null": "null", "json": "giá trị JSON", "result": "kết quả (result)",
}  # fmt: skip
_KIND_EN = {
    "number": "a number", "id": "an id", "text": "a string", "bool": "a boolean",
    "time": "a date-time", "date": "a date", "timeofday": "a time of day",
    "duration": "a duration", "interval": "a time interval", "geometry": "a geometry",
    "null": "null", "json": "a JSON value", "result": "the result",
}  # fmt: skip
_COMPARE: dict[str, Callable[[Any, Any], Any]] = {
    "eq": operator.eq, "ne": operator.ne, "gt": operator.gt,
    "ge": operator.ge, "lt": operator.lt, "le": operator.le,
}  # fmt: skip
_NUMERIC = frozenset({"number", "id"})


def type_error(vi: str, en: str, node: Expr) -> InvalidInput:
    """An InvalidInput for a type error at ``node``."""
    return odata_error(f"Sai kiểu: {vi}", f"Type error: {en}", node.pos)


def kind_vi(kind: str) -> str:
    """The Vietnamese name of a value kind (for messages)."""
    return _KIND_VI.get(kind, kind)


def kind_en(kind: str) -> str:
    """The English name of a value kind, with its article (for messages)."""
    return _KIND_EN.get(kind, kind)


# --------------------------------------------------------------------------- values


@dataclass(frozen=True)
class Val:
    """A typed SQL value: ``kind`` is number, id, text, bool, time (µs), date (days since
    1970), timeofday (µs since midnight) or duration (µs). A bool's ``sql`` is a
    condition; ``negated`` its negation where plain NOT would be wrong (spatial tests
    are FALSE, not NULL, without a geometry)."""

    kind: str
    sql: Any
    node: Expr
    const: Any = _UNSET
    nullable: bool = True
    guard: ColumnElement[bool] | None = None
    negated: ColumnElement[bool] | None = None
    #: For geo.distance: the index-backed test "distance at most d".
    within: Callable[[float], ColumnElement[bool]] | None = None

    @property
    def is_const(self) -> bool:
        return self.const is not _UNSET

    def guarded(self, cond: ColumnElement[bool]) -> ColumnElement[bool]:
        return cond if self.guard is None else and_(self.guard, cond)

    def condition(self, negate: bool = False) -> ColumnElement[bool]:
        """This boolean as a condition (negated)."""
        if self.is_const:
            return true() if bool(self.const) != negate else false()
        if not negate:
            return self.guarded(self.sql)
        return self.guarded(self.negated if self.negated is not None else not_(self.sql))


@dataclass(frozen=True)
class Json:
    """A value inside a JSON text column, typed by its use."""

    doc: ColumnElement[Any]
    keys: tuple[str, ...]
    node: Expr

    def typed(self, kind: str) -> Val:
        sql_kind = {"number": "number", "id": "number", "text": "text", "bool": "bool"}.get(kind)
        if sql_kind is None:
            raise type_error(
                f"giá trị JSON không so sánh được với {kind_vi(kind)}.",
                f"a JSON value cannot be compared with {kind_en(kind)}.",
                self.node,
            )
        value = json_value(self.doc, self.keys, sql_kind)
        if sql_kind == "bool":
            return Val("bool", value == true(), self.node)
        return Val(sql_kind, value, self.node)

    def missing(self) -> ColumnElement[bool]:
        """Absent or JSON null."""
        return json_value(self.doc, self.keys, "raw").is_(None)


@dataclass(frozen=True)
class Result:
    """The Observation result, typed by its use (see :class:`.filter_sql.ResultColumns`)."""

    cols: Any
    node: Expr

    def typed(self, kind: str) -> Val:
        c = self.cols
        if kind in _NUMERIC:
            return Val("number", c.number, self.node, guard=c.kind == literal(0, Integer))
        if kind == "text":
            # Only strings have a text: no guard, so that an index on it serves.
            return Val("text", c.text, self.node)
        if kind == "bool":
            return Val(
                "bool", c.number == literal(1, Integer), self.node,
                guard=c.kind == literal(2, Integer),
            )  # fmt: skip
        raise type_error(
            f"result không so sánh được với {kind_vi(kind)}.",
            f"the result cannot be compared with {kind_en(kind)}.",
            self.node,
        )

    def is_null(self) -> ColumnElement[bool]:
        return and_(self.cols.kind == literal(3, Integer), self.cols.json == literal("null"))


@dataclass(frozen=True)
class Geom:
    """A geometry column or a geometry literal (WGS 84)."""

    node: Expr
    column: Any = None
    value: BaseGeometry | None = None


@dataclass(frozen=True)
class Null:
    """The literal null."""

    node: Expr


@dataclass(frozen=True)
class Interval:
    """A time interval (µs): ``end`` equals ``start`` for an instant."""

    start: Any
    end: Any
    node: Expr
    nullable: bool = True
    const: tuple[int, int] | None = None


Value = Val | Json | Result | Geom | Null | Interval


def coalesce(end: ColumnElement[Any], start: ColumnElement[Any]) -> ColumnElement[Any]:
    """The end of an interval column pair (the start for an instant)."""
    return func.coalesce(end, start)


def kind_of(value: Value) -> str:
    """The kind of a value, for messages."""
    if isinstance(value, Val):
        return value.kind
    return {Json: "json", Result: "result", Geom: "geometry", Null: "null"}.get(
        type(value), "interval"
    )


# --------------------------------------------------------------------------- literals


def number(value: int | float, node: Expr) -> Val:
    """A number literal."""
    sql = literal(value, BigInteger if isinstance(value, int) else Float)
    return Val("number", sql, node, const=value, nullable=False)


def text(value: str, node: Expr) -> Val:
    """A string literal."""
    return Val("text", literal(value, String), node, const=value, nullable=False)


def time_value(kind: str, value: int, node: Expr) -> Val:
    """A time, duration or time-of-day literal in microseconds (a date in days)."""
    sql = literal(value, Integer) if kind == "date" else microseconds(value)
    return Val(kind, sql, node, const=value, nullable=False)


def literal_value(node: Lit) -> Value:
    """The value of a literal."""
    v, kind = node.value, node.kind
    if kind == "string":
        return text(v, node)
    if kind == "number":
        return number(v, node)
    if kind == "bool":
        return Val("bool", true() if v else false(), node, const=v, nullable=False)
    if kind == "null":
        return Null(node)
    if kind == "datetime":
        return time_value("time", micros(v), node)
    if kind == "date":
        return time_value("date", (v - date(1970, 1, 1)).days, node)
    if kind in ("timeofday", "duration"):
        return time_value(kind, v // timedelta(microseconds=1), node)
    if kind == "interval":
        s, e = micros(v[0]), micros(v[1])
        return Interval(microseconds(s), microseconds(e), node, False, (s, e))
    return Geom(node, value=v)


def _parsed(text_value: str, kind: str) -> Lit | None:
    """A string literal read as a date-time or a date (``'2026-01-01T00:00:00Z'``)."""
    try:
        tokens = tokenize(text_value.strip())
    except InvalidInput:
        return None
    if len(tokens) == 2 and tokens[0].kind == "lit" and tokens[0].value.kind == kind:
        lit: Lit = tokens[0].value
        return lit
    return None


# --------------------------------------------------------------------------- comparison


def unify(a: Val, b: Val, node: Expr) -> tuple[Val, Val]:
    """The two sides of a comparison in one kind (a literal follows the other side)."""
    if a.kind == b.kind or {a.kind, b.kind} <= _NUMERIC:
        return a, b
    for x, y in ((a, b), (b, a)):
        if not y.is_const:
            continue
        z: Val | None = None
        if x.kind == "id" and y.kind == "text" and y.const.strip().isdigit():
            z = number(int(y.const), y.node)
        elif x.kind == "time" and y.kind == "date":
            z = time_value("time", y.const * MICROS_PER_DAY, y.node)
        elif x.kind in ("time", "date") and y.kind == "text":
            lit = _parsed(y.const, "datetime" if x.kind == "time" else "date")
            z = None if lit is None else literal_value(lit)  # type: ignore[assignment]
        if z is not None:
            return (x, z) if x is a else (z, x)
    hint_vi = hint_en = ""
    if "time" in (a.kind, b.kind) and "text" in (a.kind, b.kind):
        hint_vi = " Viết thời điểm không có dấu nháy, như 2026-01-01T00:00:00Z."
        hint_en = " Write date-times without quotes, as 2026-01-01T00:00:00Z."
    raise type_error(
        f"không so sánh được {kind_vi(a.kind)} với {kind_vi(b.kind)}.{hint_vi}",
        f"cannot compare {kind_en(a.kind)} with {kind_en(b.kind)}.{hint_en}",
        node,
    )


def _typed_pair(a: Value, b: Value, node: Expr) -> tuple[Val, Val]:
    """Both sides as :class:`Val`, JSON values and results typed by the other side."""
    if isinstance(a, Json | Result) and isinstance(b, Json | Result):
        return a.typed("number"), b.typed("number")
    if isinstance(a, Json) and isinstance(b, Val) and b.kind in ("time", "date") and b.is_const:
        # ISO 8601 text in JSON: compared in its canonical UTC form.
        return _iso_pair(a, b)
    if isinstance(b, Json) and isinstance(a, Val) and a.kind in ("time", "date") and a.is_const:
        y, x = _iso_pair(b, a)
        return x, y
    if isinstance(a, Json | Result) and isinstance(b, Val):
        return a.typed(b.kind), b
    if isinstance(b, Json | Result) and isinstance(a, Val):
        return a, b.typed(a.kind)
    if isinstance(a, Val) and isinstance(b, Val):
        return a, b
    raise type_error(
        f"không so sánh được {kind_vi(kind_of(a))} với {kind_vi(kind_of(b))}.",
        f"cannot compare {kind_en(kind_of(a))} with {kind_en(kind_of(b))}.",
        node,
    )


def _iso_pair(a: Json, b: Val) -> tuple[Val, Val]:
    raw = json_value(a.doc, a.keys, "text")
    if b.kind == "date":
        day = date(1970, 1, 1) + timedelta(days=b.const)
        return Val("text", raw, a.node), text(day.isoformat(), b.node)
    at = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=b.const)
    return Val("text", utc_text(raw), a.node), text(
        at.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z", b.node
    )


def _null_compare(op: str, a: Value, b: Value, node: Expr, negate: bool) -> ColumnElement[bool]:
    if op not in ("eq", "ne"):
        raise type_error(
            "null chỉ so sánh được bằng eq hoặc ne.",
            "null can only be compared with eq or ne.",
            node,
        )
    want_null = (op == "eq") != negate
    other = b if isinstance(a, Null) else a
    if isinstance(other, Null):
        return true() if want_null else false()
    if isinstance(other, Result):
        test = other.is_null()
        return test if want_null else not_(test)
    if isinstance(other, Json):
        test = other.missing()
    elif isinstance(other, Geom):
        if other.column is None:
            return false() if want_null else true()
        test = other.column.is_(None)
    elif isinstance(other, Interval):
        test = other.start.is_(None)
    elif other.is_const:
        return false() if want_null else true()
    else:
        test = other.sql.is_(None)
    return test if want_null else not_(test)


def _interval(value: Value, node: Expr) -> tuple[Any, Any]:
    """(start, end) of a time or interval value."""
    if isinstance(value, Interval):
        return value.start, value.end
    if isinstance(value, Val) and value.kind == "time":
        return value.sql, value.sql
    if isinstance(value, Val) and value.kind == "text" and value.is_const:
        lit = _parsed(value.const, "datetime") or _parsed(value.const, "interval")
        if lit is not None:
            return _interval(literal_value(lit), node)
    raise type_error(
        f"cần thời điểm hoặc khoảng thời gian, không phải {kind_vi(kind_of(value))}.",
        f"expected a date-time or a time interval, not {kind_en(kind_of(value))}.",
        node,
    )


def interval_test(name: str, a: Value, b: Value, node: Expr) -> ColumnElement[bool]:
    """A relation between two times or intervals (an instant is [t, t]), as FROST-Server
    and the SensorThings table of interval functions define them."""
    s1, e1 = _interval(a, node)
    s2, e2 = _interval(b, node)
    tests: dict[str, Callable[[], ColumnElement[bool]]] = {
        "eq": lambda: and_(s1 == s2, e1 == e2),
        "ne": lambda: not_(and_(s1 == s2, e1 == e2)),
        "before": lambda: and_(e1 <= s2, s1 < s2),
        "after": lambda: and_(s1 >= e2, s1 > s2),
        "ge": lambda: and_(s1 >= s2, e1 >= e2),
        "le": lambda: and_(s1 <= s2, e1 <= e2),
        "meets": lambda: or_(s1 == e2, e1 == s2),
        "during": lambda: and_(s1 >= s2, s1 < e2, e1 <= e2),
        "overlaps": lambda: or_(and_(s1 < e2, s2 < e1), s1 == s2),
        "starts": lambda: s1 == s2,
        "finishes": lambda: e1 == e2,
    }
    return tests[{"lt": "before", "gt": "after"}.get(name, name)]()


def compare(op: str, a: Value, b: Value, node: Expr, negate: bool) -> ColumnElement[bool]:
    """``a op b`` as a condition (negated); ``a`` is the non-literal side when there is
    one."""
    if isinstance(a, Null) or isinstance(b, Null):
        return _null_compare(op, a, b, node, negate)
    if isinstance(a, Geom) or isinstance(b, Geom):
        raise type_error(
            "hình học so sánh bằng st_equals, st_intersects…, không bằng eq/gt….",
            "geometries are compared with st_equals, st_intersects…, not eq/gt….",
            node,
        )
    if isinstance(a, Interval) or isinstance(b, Interval):
        test = interval_test(op, a, b, node)
        return not_(test) if negate else test
    x, y = unify(*_typed_pair(a, b, node), node)
    if x.kind == "bool" or y.kind == "bool":
        if op not in ("eq", "ne"):
            raise type_error(
                "giá trị đúng/sai chỉ so sánh được bằng eq hoặc ne.",
                "booleans can only be compared with eq or ne.",
                node,
            )
        flip = (op == "ne") != negate
        if y.is_const:
            return x.condition(flip != (not y.const))
        if x.is_const:
            return y.condition(flip != (not x.const))
        cond = x.sql == y.sql
        return _guards(x, y, not_(cond) if flip else cond)
    if x.is_const and y.is_const:
        return true() if bool(_COMPARE[op](x.const, y.const)) != negate else false()
    cond = _COMPARE[op](x.sql, y.sql)
    if negate:
        cond = not_(cond)
    narrowed = _distance_index(op, x, y, negate)
    if narrowed is not None:
        cond = and_(narrowed, cond)
    return _guards(x, y, cond)


def _distance_index(op: str, x: Val, y: Val, negate: bool) -> ColumnElement[bool] | None:
    """For ``geo.distance(...) le d``: the port's index-backed test, which the exact one
    then only confirms."""
    at_most = (op in ("lt", "le") and not negate) or (op in ("gt", "ge") and negate)
    if x.within is None or not at_most or not y.is_const or y.kind not in _NUMERIC:
        return None
    return x.within(max(float(y.const), 0.0)) if y.const >= 0 else None


def _guards(x: Val, y: Val, cond: ColumnElement[bool]) -> ColumnElement[bool]:
    guards = [g for g in (x.guard, y.guard) if g is not None]
    return and_(*guards, cond) if guards else cond


# --------------------------------------------------------------------------- arithmetic

_ARITH: dict[str, Callable[[Any, Any], Any]] = {
    "add": operator.add, "sub": operator.sub, "mul": operator.mul,
    "div": operator.truediv, "mod": operator.mod,
}  # fmt: skip


def _result_kind(op: str, a: str, b: str) -> str | None:
    num_a, num_b = a in _NUMERIC, b in _NUMERIC
    if num_a and num_b:
        return "number"
    if op in ("add", "sub") and (a, b) in (("time", "duration"), ("duration", "duration")):
        return a
    if op == "add" and (a, b) == ("duration", "time"):
        return "time"
    if op == "sub" and (a, b) == ("time", "time"):
        return "duration"
    if op in ("mul", "div") and a == "duration" and num_b:
        return "duration"
    if op == "mul" and num_a and b == "duration":
        return "duration"
    return None


def as_number(value: Value, node: Expr) -> Val:
    """``value`` used as a number (JSON and results are read as numbers)."""
    if isinstance(value, Json | Result):
        return value.typed("number")
    if isinstance(value, Val):
        return value
    raise type_error(
        f"cần một số, không phải {kind_vi(kind_of(value))}.",
        f"expected a number, not {kind_en(kind_of(value))}.",
        node,
    )


def arithmetic(op: str, a: Value, b: Value, node: Expr) -> Val:
    """``a op b`` for add, sub, mul, div, mod (numbers; times and durations)."""
    x, y = as_number(a, node), as_number(b, node)
    kind = _result_kind(op, x.kind, y.kind)
    if kind is None:
        raise type_error(
            f"không tính được {op} với {kind_vi(x.kind)} và {kind_vi(y.kind)}.",
            f"cannot {op} {kind_en(x.kind)} and {kind_en(y.kind)}.",
            node,
        )
    if x.is_const and y.is_const:
        if op in ("div", "mod") and y.const == 0:
            raise odata_error("Chia cho 0.", "Division by zero.", node.pos)
        value = _ARITH[op](x.const, y.const)
        if kind in ("time", "duration"):
            return time_value(kind, round(value), node)
        return number(value, node)
    sql: Any
    if op == "div":
        sql = cast(x.sql, Float) / func.nullif(y.sql, 0)
    elif op == "mod":
        sql = modulo(x.sql, func.nullif(y.sql, 0))
    else:
        sql = _ARITH[op](x.sql, y.sql)
    guards = [g for g in (x.guard, y.guard) if g is not None]
    return Val(
        kind,
        sql,
        node,
        nullable=x.nullable or y.nullable or op in ("div", "mod"),
        guard=and_(*guards) if guards else None,
    )


def negative(value: Value, node: Expr) -> Val:
    """``-value`` (numbers and durations)."""
    x = as_number(value, node)
    if x.kind not in (*_NUMERIC, "duration"):
        raise type_error(
            f"không đổi dấu được {kind_vi(x.kind)}.", f"cannot negate {kind_en(x.kind)}.", node
        )
    if x.is_const:
        return number(-x.const, node) if x.kind in _NUMERIC else time_value(x.kind, -x.const, node)
    return Val(x.kind, -x.sql, node, nullable=x.nullable, guard=x.guard)


# --------------------------------------------------------------------------- ordering


def sort_keys(value: Value, node: Expr) -> list[tuple[ColumnElement[Any], bool]]:
    """The (expression, nullable) pairs to order by for a value."""
    if isinstance(value, Val):
        if value.is_const:
            return []
        sql = value.sql if value.guard is None else _case(value.guard, value.sql)
        return [(sql, value.nullable or value.guard is not None)]
    if isinstance(value, Result | Json):
        # Numbers, then strings: a mixed series sorts by each in turn.
        return [sort_keys(value.typed(k), node)[0] for k in ("number", "text")]
    if isinstance(value, Interval):
        return [(value.start, value.nullable), (value.end, value.nullable)]
    raise type_error(
        f"không sắp xếp được theo {kind_vi(kind_of(value))}.",
        f"cannot order by {kind_en(kind_of(value))}.",
        node,
    )


def _case(guard: ColumnElement[bool], sql: Any) -> ColumnElement[Any]:
    return case((guard, sql))
