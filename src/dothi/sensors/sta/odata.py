"""OData expressions as SensorThings API 1.1 uses them in ``$filter`` and ``$orderby``.

A recursive-descent parser over :mod:`.odata_lexer`'s tokens into a small tree of frozen
dataclasses; nothing
here knows about SQL (see :mod:`dothi.sensors.sta.filter_sql`). Precedence, tightest first,
as OData 4.0 (URL conventions, 5.1.1.15): grouping, member access and calls; unary ``-``;
``mul div mod``; ``add sub``; ``gt ge lt le``; ``eq ne``; ``not``; ``and``; ``or``.

``not`` takes the comparison after it (``not name eq 'x'`` is ``not (name eq 'x')``), as
the OData ABNF's ``notExpr`` and FROST-Server read it; on booleans this gives the same
result as binding ``not`` tighter, and it accepts what users write.

Operators, function names and ``true``/``false``/``null`` are matched in any case (as
FROST-Server does); property names are case-sensitive. Source positions are kept for error
messages and left out of equality.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field

from dothi.errors import InvalidInput
from dothi.sensors.sta.odata_lexer import Lit, LitKind, Token, micros, odata_error, tokenize

#: Longest expression accepted, in characters (a URL-sized filter is far shorter).
MAX_LENGTH = 20_000
#: Deepest nesting accepted (parentheses, calls, unary operators).
MAX_DEPTH = 50

#: The built-in functions of SensorThings API 1.1 (18-088, table "Built-in Query
#: Functions", and the interval functions FROST-Server adds): name → (min, max) arguments.
FUNCTIONS: dict[str, tuple[int, int]] = {
    # strings
    "substringof": (2, 2), "endswith": (2, 2), "startswith": (2, 2), "length": (1, 1),
    "indexof": (2, 2), "substring": (2, 3), "tolower": (1, 1), "toupper": (1, 1),
    "trim": (1, 1), "concat": (2, 2),
    # date and time
    "year": (1, 1), "month": (1, 1), "day": (1, 1), "hour": (1, 1), "minute": (1, 1),
    "second": (1, 1), "fractionalseconds": (1, 1), "date": (1, 1), "time": (1, 1),
    "totaloffsetminutes": (1, 1), "now": (0, 0), "mindatetime": (0, 0),
    "maxdatetime": (0, 0),
    # time intervals
    "before": (2, 2), "after": (2, 2), "meets": (2, 2), "during": (2, 2),
    "overlaps": (2, 2), "starts": (2, 2), "finishes": (2, 2),
    # math
    "round": (1, 1), "floor": (1, 1), "ceiling": (1, 1),
    # geospatial
    "geo.distance": (2, 2), "geo.length": (1, 1), "geo.intersects": (2, 2),
    "st_equals": (2, 2), "st_disjoint": (2, 2), "st_touches": (2, 2), "st_within": (2, 2),
    "st_overlaps": (2, 2), "st_crosses": (2, 2), "st_intersects": (2, 2),
    "st_contains": (2, 2), "st_relate": (3, 3),
}  # fmt: skip

_COMPARISON = ("eq", "ne", "gt", "ge", "lt", "le")
_EQUALITY = frozenset({"eq", "ne"})
_RELATIONAL = frozenset({"gt", "ge", "lt", "le"})
_ADDITIVE = frozenset({"add", "sub"})
_MULTIPLICATIVE = frozenset({"mul", "div", "mod"})
#: Words that cannot start an operand (what the user wrote is then a misplaced operator).
_OPERATORS = frozenset({*_COMPARISON, "and", "or", "add", "sub", "mul", "div", "mod"})


# --------------------------------------------------------------------------- the tree


@dataclass(frozen=True)
class Prop:
    """A property path: ``Datastream/Thing/name`` → ``("Datastream", "Thing", "name")``;
    ``properties/owner`` reaches into a JSON property."""

    path: tuple[str, ...]
    pos: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Call:
    """A call of a built-in function (``name`` in lower case, see :data:`FUNCTIONS`)."""

    name: str
    args: tuple[Expr, ...]
    pos: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Unary:
    """``not x`` or ``-x`` (``op`` is ``"not"`` or ``"-"``)."""

    op: str
    x: Expr
    pos: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Binary:
    """``l op r``; ``op`` is one of eq ne gt ge lt le and or add sub mul div mod."""

    op: str
    l: Expr  # noqa: E741 — the names of the shared contract
    r: Expr
    pos: int = field(default=0, compare=False)


Expr = Lit | Prop | Call | Unary | Binary


# --------------------------------------------------------------------------- parser


class Parser:
    """Recursive descent over :func:`tokenize`'s tokens. :func:`parse_expression` and
    :func:`parse_orderby` are the entry points."""

    def __init__(self, src: str) -> None:
        if len(src) > MAX_LENGTH:
            raise odata_error(
                f"Biểu thức quá dài ({len(src)} ký tự, tối đa {MAX_LENGTH}).",
                f"The expression is too long ({len(src)} characters, at most {MAX_LENGTH}).",
            )
        self.src = unicodedata.normalize("NFC", src)
        self.tokens = tokenize(self.src)
        self.i = 0

    # -- tokens -----------------------------------------------------------------------
    def peek(self, ahead: int = 0) -> Token:
        return self.tokens[min(self.i + ahead, len(self.tokens) - 1)]

    def next(self) -> Token:
        tok = self.peek()
        self.i += 1
        return tok

    def word(self, ahead: int = 0) -> str | None:
        """The next token as a lower-case word, if it is a name."""
        tok = self.peek(ahead)
        return tok.value.lower() if tok.kind == "name" else None

    def punct(self, char: str) -> bool:
        tok = self.peek()
        if tok.kind == "punct" and tok.value == char:
            self.i += 1
            return True
        return False

    def fail(self, vi: str, en: str, tok: Token | None = None) -> InvalidInput:
        tok = tok or self.peek()
        if tok.kind == "end":
            found_vi, found_en = "hết biểu thức", "the end of the expression"
        else:
            text = self.src[tok.pos : self.next_pos(tok)].strip() or str(tok.value)
            found_vi, found_en = f"«{text}»", f"'{text}'"
        return odata_error(
            f"Lỗi cú pháp: cần {vi} nhưng gặp {found_vi}.",
            f"Syntax error: expected {en}, found {found_en}.",
            tok.pos,
        )

    def next_pos(self, tok: Token) -> int:
        index = self.tokens.index(tok)
        return self.tokens[index + 1].pos if index + 1 < len(self.tokens) else len(self.src)

    def expect(self, char: str) -> None:
        if not self.punct(char):
            raise self.fail(f"«{char}»", f"'{char}'")

    def deeper(self, depth: int) -> int:
        if depth >= MAX_DEPTH:
            raise odata_error(
                f"Biểu thức lồng nhau quá sâu (tối đa {MAX_DEPTH} cấp).",
                f"The expression is nested too deeply (at most {MAX_DEPTH} levels).",
                self.peek().pos,
            )
        return depth + 1

    # -- grammar ------------------------------------------------------------------------
    def expression(self, depth: int = 0) -> Expr:
        return self.or_(depth)

    def or_(self, depth: int) -> Expr:
        left = self.and_(depth)
        while self.word() == "or":
            pos = self.next().pos
            left = Binary("or", left, self.and_(depth), pos)
        return left

    def and_(self, depth: int) -> Expr:
        left = self.not_(depth)
        while self.word() == "and":
            pos = self.next().pos
            left = Binary("and", left, self.not_(depth), pos)
        return left

    def not_(self, depth: int) -> Expr:
        if self.word() == "not":
            pos = self.next().pos
            return Unary("not", self.not_(self.deeper(depth)), pos)
        return self.equality(depth)

    def chain(self, depth: int, ops: frozenset[str], operand: Callable[[int], Expr]) -> Expr:
        """A left-associative run of ``ops`` between operands; each operator nests the tree
        one level deeper, so it counts towards :data:`MAX_DEPTH` (``and``/``or`` runs are
        flattened by the compiler instead and may be long)."""
        left = operand(depth)
        while (op := self.word()) in ops:
            pos = self.next().pos
            depth = self.deeper(depth)
            left = Binary(op, left, operand(depth), pos)
        return left

    def equality(self, depth: int) -> Expr:
        return self.chain(depth, _EQUALITY, self.relational)

    def relational(self, depth: int) -> Expr:
        return self.chain(depth, _RELATIONAL, self.additive)

    def additive(self, depth: int) -> Expr:
        return self.chain(depth, _ADDITIVE, self.multiplicative)

    def multiplicative(self, depth: int) -> Expr:
        return self.chain(depth, _MULTIPLICATIVE, self.unary)

    def unary(self, depth: int) -> Expr:
        tok = self.peek()
        if tok.kind == "punct" and tok.value == "-":
            self.next()
            after = self.peek()
            if after.kind == "num" and not after.spaced:
                # A signed number is one literal (OData's SIGN), not an operation.
                self.next()
                return Lit(-after.value, "number", tok.pos)
            if after.kind == "lit" and after.value.kind == "duration" and not after.spaced:
                self.next()
                return Lit(-after.value.value, "duration", tok.pos)
            return Unary("-", self.unary(self.deeper(depth)), tok.pos)
        return self.primary(depth)

    def is_call(self, ahead: int) -> bool:
        nxt = self.peek(ahead + 1)
        return self.peek(ahead).kind == "name" and nxt.kind == "punct" and nxt.value == "("

    def primary(self, depth: int) -> Expr:
        tok = self.peek()
        if tok.kind == "punct" and tok.value == "(":
            self.next()
            inner = self.expression(self.deeper(depth))
            self.expect(")")
            return inner
        if tok.kind == "lit":
            self.next()
            lit: Lit = tok.value
            return lit
        if tok.kind == "num":
            self.next()
            return Lit(tok.value, "number", tok.pos)
        if tok.kind == "name":
            word = tok.value.lower()
            if self.is_call(0):
                return self.call(depth)
            if word in ("true", "false"):
                self.next()
                return Lit(word == "true", "bool", tok.pos)
            if word == "null":
                self.next()
                return Lit(None, "null", tok.pos)
            if word in _OPERATORS or word == "not":
                raise self.fail("một giá trị hoặc tên thuộc tính", "a value or a property name")
            return self.path()
        raise self.fail("một giá trị hoặc tên thuộc tính", "a value or a property name")

    def path(self) -> Prop:
        first = self.next()
        parts = [first.value]
        while self.punct("/"):
            tok = self.peek()
            if tok.kind != "name":
                raise self.fail("tên thuộc tính sau «/»", "a property name after '/'")
            parts.append(self.next().value)
        return Prop(tuple(parts), first.pos)

    def call(self, depth: int) -> Call:
        tok = self.next()
        name = tok.value.lower()
        if name not in FUNCTIONS:
            close = difflib.get_close_matches(name, FUNCTIONS, n=3)
            hint_vi = f" Có phải: {', '.join(close)}?" if close else ""
            hint_en = f" Did you mean: {', '.join(close)}?" if close else ""
            raise odata_error(
                f"Không có hàm «{tok.value}».{hint_vi}",
                f"There is no function '{tok.value}'.{hint_en}",
                tok.pos,
            )
        self.expect("(")
        args: list[Expr] = []
        inner = self.deeper(depth)
        if not self.punct(")"):
            args.append(self.expression(inner))
            while self.punct(","):
                args.append(self.expression(inner))
            if not self.punct(")"):
                raise self.fail("«,» hoặc «)»", "',' or ')'")
        low, high = FUNCTIONS[name]
        if not low <= len(args) <= high:
            wanted = str(low) if low == high else f"{low}–{high}"
            raise odata_error(
                f"Hàm {name} cần {wanted} đối số, không phải {len(args)}.",
                f"The function {name} takes {wanted} argument(s), not {len(args)}.",
                tok.pos,
            )
        return Call(name, tuple(args), tok.pos)

    def end(self, vi: str, en: str) -> None:
        if self.peek().kind != "end":
            raise self.fail(vi, en)


def _shifted(exc: InvalidInput, offset: int) -> InvalidInput:
    """``exc`` with its position moved by ``offset`` (for an expression inside a larger
    parameter such as ``$expand``)."""
    if not offset:
        return exc
    pattern = re.compile(r"\((vị trí|at position) (\d+)\)$")

    def move(text: str) -> str:
        return pattern.sub(lambda m: f"({m.group(1)} {int(m.group(2)) + offset})", text)

    return InvalidInput(move(exc.vi), move(exc.en), code=exc.code)


def parse_expression(text: str, *, offset: int = 0) -> Expr:
    """Parse a ``$filter`` expression. ``offset``: where ``text`` starts in the parameter it
    came from, so that error positions point into that parameter."""
    try:
        parser = Parser(text)
        if parser.peek().kind == "end":
            raise odata_error("Biểu thức rỗng.", "The expression is empty.", 0)
        expr = parser.expression()
        parser.end(
            "«and», «or», một phép toán hoặc hết biểu thức",
            "'and', 'or', an operator or the end of the expression",
        )
    except InvalidInput as exc:
        raise _shifted(exc, offset) from None
    return expr


def parse_orderby(text: str, *, offset: int = 0) -> list[tuple[Expr, bool]]:
    """Parse an ``$orderby`` value: comma-separated expressions, each optionally followed
    by ``asc`` or ``desc``; returns (expression, descending) pairs."""
    try:
        parser = Parser(text)
        items: list[tuple[Expr, bool]] = []
        while True:
            if parser.peek().kind == "end" or parser.peek().value == ",":
                raise parser.fail("một biểu thức để sắp xếp", "an expression to order by")
            expr = parser.expression()
            direction = parser.word()
            if direction in ("asc", "desc"):
                parser.next()
            items.append((expr, direction == "desc"))
            if not parser.punct(","):
                break
        parser.end("«asc», «desc», «,» hoặc hết tham số", "'asc', 'desc', ',' or the end")
    except InvalidInput as exc:
        raise _shifted(exc, offset) from None
    return items


__all__ = [
    "FUNCTIONS",
    "Binary",
    "Call",
    "Expr",
    "Lit",
    "LitKind",
    "Prop",
    "Unary",
    "micros",
    "odata_error",
    "parse_expression",
    "parse_orderby",
    "tokenize",
]
