"""``$filter`` and ``$orderby`` expressions compiled to SQLAlchemy, on both backends.

The compiler knows types, not tables: a :class:`Resolver` turns each property path into a
:class:`Column` (or the Observation's :class:`ResultColumns`, or a :class:`TimeInterval`),
joins and all. What differs between SQLite and PostgreSQL lives in
:mod:`dothi.sensors.sta.sql_functions` (compiled per dialect) and in the storage port
(every spatial test).

Semantics, where OData and SensorThings leave room:

* Times are BIGINT microseconds (UTC); date-time literals are converted to them, so that
  an index on a time column serves ``phenomenonTime gt 2026-01-01T00:00:00Z``.
* ``result`` is compared as a number, a string or a boolean according to the other
  operand (``result gt 5`` never matches a string result, nor a boolean stored as 1/0);
  a JSON property (``properties/owner/name``) likewise, through the dialect's JSON
  functions. A value of another type makes the comparison unknown: the row is left out,
  also under ``not``.
* A comparison with a missing value (SQL NULL) is unknown and the row is left out, also
  under ``not``, as in FROST-Server; ``x eq null`` / ``x ne null`` test for it.
* ``geo.distance`` and ``geo.length`` are in the units of the CRS, degrees for WGS 84,
  as OData defines them and FROST-Server computes them (``ST_Distance(geometry)``).
* ``indexof`` is 1-based (0 when absent), as the SensorThings table's example
  (``indexof(description,'Sensor') eq 1``) and FROST-Server; ``substring`` is 0-based.
* A time interval is compared with an instant or another interval as FROST-Server does
  (an instant is the interval [t, t]): ``lt`` is ``before``, ``gt`` is ``after``,
  ``le``/``ge`` compare both ends, ``eq`` needs both ends equal.
* ``totaloffsetminutes`` is 0: every time is stored in UTC.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal, Protocol

from sqlalchemy import ColumnElement, and_, or_, true

from dothi.errors import InvalidInput
from dothi.sensors.sta import filter_values as fv
from dothi.sensors.sta.filter_functions import function
from dothi.sensors.sta.filter_values import Geom, Interval, Json, Null, Result, Val
from dothi.sensors.sta.odata import Binary, Call, Expr, Lit, Prop, Unary, odata_error

if TYPE_CHECKING:
    from dothi.db.spatial.base import SpatialPort
    from dothi.sensors.sta.query import OrderBy

Kind = Literal["number", "text", "bool", "time", "json", "geometry", "id"]


@dataclass(frozen=True)
class Column:
    """A property as SQL: ``expr`` and how to read it. ``time`` is BIGINT microseconds
    since 1970 (UTC); ``json`` is a JSON text column, read at ``json_path`` (the keys
    after the column's own name: ``properties/owner/name`` → ``("owner", "name")``);
    ``geometry`` is a port geometry column of a table with an integer key; ``id`` is an
    integer id (``'5'`` is accepted for 5). ``nullable=False`` lets ``$orderby`` keep to
    the index order (no NULLS FIRST/LAST)."""

    expr: ColumnElement[Any]
    kind: Kind
    nullable: bool = True
    json_path: tuple[str, ...] = ()


@dataclass(frozen=True)
class ResultColumns:
    """The Observation ``result`` (see the sensors contracts): ``number`` (numbers, and
    booleans as 1/0), ``text`` (strings), ``json`` (objects, arrays, null) and ``kind``
    (0 number, 1 string, 2 boolean, 3 JSON)."""

    number: ColumnElement[Any]
    text: ColumnElement[Any]
    json: ColumnElement[Any]
    kind: ColumnElement[Any]


@dataclass(frozen=True)
class TimeInterval:
    """A time that may be an interval (``phenomenonTime``, ``validTime``): two BIGINT
    microsecond columns, ``end`` NULL for an instant."""

    start: ColumnElement[Any]
    end: ColumnElement[Any]
    nullable: bool = True


class Resolver(Protocol):
    """What the compiler needs from the entity set being filtered."""

    #: ``sqlite`` or ``postgresql`` (the compiler's own SQL is compiled per dialect).
    dialect: str
    #: The storage port, for every spatial function.
    port: SpatialPort

    def column(self, path: tuple[str, ...]) -> Column | ResultColumns | TimeInterval:
        """The SQL of a property path; raises InvalidInput for an unknown one."""
        ...


# --------------------------------------------------------------------------- compiler

_COMPARE = frozenset({"eq", "ne", "gt", "ge", "lt", "le"})
_SWAPPED = {"eq": "eq", "ne": "ne", "gt": "lt", "ge": "le", "lt": "gt", "le": "ge"}


_LISTABLE = frozenset({"number", "id", "text", "time"})
_LIST_LITERALS = frozenset({"number", "string", "datetime"})


def _property_equals_literal(node: Expr) -> tuple[Prop, Lit] | None:
    """(property, literal) of ``property eq literal`` (either way round)."""
    if not (isinstance(node, Binary) and node.op == "eq"):
        return None
    for p, lit in ((node.l, node.r), (node.r, node.l)):
        if isinstance(p, Prop) and isinstance(lit, Lit) and lit.kind in _LIST_LITERALS:
            return p, lit
    return None


def _operands(node: Binary) -> list[Expr]:
    """The operands of a run of one of ``and``/``or``, walked without recursion: a list of
    a thousand alternatives is a tree a thousand deep."""
    found: list[Expr] = []
    stack: list[Expr] = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, Binary) and item.op == node.op:
            stack.extend((item.r, item.l))
        else:
            found.append(item)
    return found


@dataclass
class _Compiler:
    resolver: Resolver
    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    #: Conditions made, by node and negation: a boolean used as a value needs both forms,
    #: and ``a eq 1 eq true eq true…`` would otherwise make them 2^n times.
    made: dict[tuple[int, bool], ColumnElement[bool]] = field(default_factory=dict)

    # -- conditions ---------------------------------------------------------------------
    def condition(self, node: Expr, negate: bool = False) -> ColumnElement[bool]:
        key = (id(node), negate)
        if key not in self.made:
            self.made[key] = self.new_condition(node, negate)
        return self.made[key]

    def new_condition(self, node: Expr, negate: bool) -> ColumnElement[bool]:
        if isinstance(node, Binary) and node.op in ("and", "or"):
            operands = _operands(node)
            disjunction = (node.op == "or") != negate
            parts = self.in_lists(operands) if disjunction and not negate else []
            parts += [self.condition(n, negate) for n in operands]
            return or_(*parts) if disjunction else and_(*parts)
        if isinstance(node, Unary) and node.op == "not":
            return self.condition(node.x, not negate)
        if isinstance(node, Binary) and node.op in _COMPARE:
            return self.compare(node, negate)
        value = self.value(node)
        if isinstance(value, Val) and value.kind == "bool":
            return value.condition(negate)
        raise odata_error(
            "Cần một điều kiện (đúng/sai) ở đây, như name eq 'x'.",
            "A condition (true/false) is needed here, such as name eq 'x'.",
            node.pos,
        )

    def in_lists(self, operands: list[Expr]) -> list[ColumnElement[bool]]:
        """``p eq 1 or p eq 2 or …`` as ``p IN (1, 2, …)``: one index probe per value, and
        no expression a thousand deep (SQLite refuses those). The equalities taken are
        removed from ``operands``."""
        groups: dict[tuple[str, ...], tuple[Val, list[Any]]] = {}
        for n in list(operands):
            found = _property_equals_literal(n)
            if found is None:
                continue
            prop, lit = found
            value = self.value(prop)
            if not (isinstance(value, Val) and value.guard is None and value.kind in _LISTABLE):
                continue
            x, y = fv.unify(value, fv.literal_value(lit), n)  # type: ignore[arg-type]
            groups.setdefault(prop.path, (x, []))[1].append(y.const)
            operands.remove(n)
        return [v.sql.in_(consts) for v, consts in groups.values()]

    def compare(self, node: Binary, negate: bool) -> ColumnElement[bool]:
        a, b = self.value(node.l), self.value(node.r)
        op = node.op
        literal_a = isinstance(a, Null) or (isinstance(a, Val) and a.is_const)
        literal_b = isinstance(b, Null) or (isinstance(b, Val) and b.is_const)
        if (literal_a or isinstance(a, Geom | Interval)) and not literal_b:
            # The non-literal first: the rules below read it as the reference.
            a, b, op = b, a, _SWAPPED[op]
        return fv.compare(op, a, b, node, negate)

    # -- values -------------------------------------------------------------------------
    def value(self, node: Expr) -> fv.Value:
        if isinstance(node, Lit):
            return fv.literal_value(node)
        if isinstance(node, Prop):
            return self.prop(node)
        if isinstance(node, Call):
            return self.call(node)
        if isinstance(node, Unary):
            if node.op == "not":
                return Val(
                    "bool", self.condition(node.x), node, negated=self.condition(node.x, True)
                )
            return fv.negative(self.value(node.x), node)
        if node.op in _COMPARE or node.op in ("and", "or"):
            return Val("bool", self.condition(node), node, negated=self.condition(node, True))
        return fv.arithmetic(node.op, self.value(node.l), self.value(node.r), node)

    def prop(self, node: Prop) -> fv.Value:
        try:
            found = self.resolver.column(node.path)
        except InvalidInput as exc:
            raise odata_error(exc.vi, exc.en, node.pos) from None
        if isinstance(found, ResultColumns):
            return Result(found, node)
        if isinstance(found, TimeInterval):
            end = found.end
            return Interval(found.start, fv.coalesce(end, found.start), node, found.nullable)
        if found.kind == "json":
            return Json(found.expr, found.json_path, node)
        if found.kind == "geometry":
            return Geom(node, column=found.expr)
        if found.kind == "bool":
            return Val("bool", found.expr == true(), node, nullable=found.nullable)
        return Val(found.kind, found.expr, node, nullable=found.nullable)

    def call(self, node: Call) -> fv.Value:
        args = [self.value(a) for a in node.args]
        return function(node, args, self.resolver.port, self.now)


def where(expr: Expr, resolver: Resolver) -> ColumnElement[bool]:
    """The SQL condition of a parsed ``$filter`` (see :func:`~.odata.parse_expression`).

    Raises :class:`~dothi.errors.InvalidInput` for type errors (``name gt 3``,
    ``year(name)``) and unknown properties, with the position in the expression.
    """
    return _Compiler(resolver).condition(expr)


def order_by(items: Sequence[OrderBy], resolver: Resolver) -> list[ColumnElement[Any]]:
    """ORDER BY terms for ``$orderby`` items: NULLs first when ascending and last when
    descending, as SensorThings requires (written out only for nullable values, so that a
    NOT NULL column keeps to its index order)."""
    compiler = _Compiler(resolver)
    terms: list[ColumnElement[Any]] = []
    for item in items:
        for expr, nullable in fv.sort_keys(compiler.value(item.expr), item.expr):
            term = expr.desc() if item.descending else expr.asc()
            if nullable:
                term = term.nulls_last() if item.descending else term.nulls_first()
            terms.append(term)
    return terms


__all__ = [
    "Column",
    "Kind",
    "Resolver",
    "ResultColumns",
    "TimeInterval",
    "order_by",
    "where",
]
