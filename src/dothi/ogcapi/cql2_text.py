"""CQL2 text (OGC 21-065, Annex B BNF): a tokenizer and a recursive-descent parser.

Hand-written rather than generated so that it has no dependency, reports the position of
every problem in Vietnamese and English, and bounds its own recursion. Keywords are case
insensitive; ``"quoted"`` names may be any string; arithmetic is not supported.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from dothi.errors import InvalidInput
from dothi.ogcapi import cql2_ast as ast

# Identifiers follow the BNF: letters of any script, "_" and ":" first; then also digits,
# "." and combining marks (decomposed Vietnamese diacritics).
_TOKEN = re.compile(
    r"(?P<ws>\s+)"
    r"|(?P<num>(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)"
    r"|(?P<ident>(?:[^\W\d]|:)(?:[\w.:]|[\u0300-\u036f])*)"
    r"|(?P<op><>|<=|>=|[=<>(),+\-*/%^])"
)
_COMPARISONS = frozenset({"=", "<>", "<", ">", "<=", ">="})
_RESERVED = frozenset({"AND", "OR", "NOT", "LIKE", "BETWEEN", "IN", "IS", "NULL"})
_WKT = frozenset((
    "POINT", "LINESTRING", "POLYGON", "MULTIPOINT", "MULTILINESTRING", "MULTIPOLYGON",
    "GEOMETRYCOLLECTION",
))  # fmt: skip
_WKT_WORDS = _WKT | {"Z", "M", "ZM", "EMPTY"}
_VALUE_VI, _VALUE_EN = "một giá trị hoặc tên thuộc tính", "a value or a property name"


@dataclass(frozen=True)
class _Token:
    kind: str  # str, num, ident, qident, op, end
    value: Any
    pos: int


def _quoted(src: str, start: int) -> tuple[str, int]:
    """The string literal opening at ``start`` and the index after it."""
    out: list[str] = []
    i = start + 1
    while i < len(src):
        if src.startswith("''", i) or src.startswith("\\'", i):
            out.append("'")  # both '' and \' stand for one quote
            i += 2
        elif src[i] == "'":
            return "".join(out), i + 1
        else:
            out.append(src[i])
            i += 1
    raise ast.cql2_error(
        "Chuỗi ký tự chưa được đóng bằng dấu nháy đơn '.",
        "Unterminated string literal: a closing ' is missing.",
        start,
    )


def tokenize(src: str) -> list[_Token]:
    """Split CQL2 text into tokens, each with its 0-based position."""
    tokens: list[_Token] = []
    i = 0
    while i < len(src):
        if src[i] == "'":
            value, end = _quoted(src, i)
            tokens.append(_Token("str", value, i))
        elif src[i] == '"':
            end = src.find('"', i + 1) + 1
            if end <= i + 1 or end == i + 2:
                raise ast.cql2_error(
                    'Tên thuộc tính trong dấu nháy kép " bị rỗng hoặc chưa đóng.',
                    'A "quoted" property name is empty or not closed.',
                    i,
                )
            name = unicodedata.normalize("NFC", src[i + 1 : end - 1])
            tokens.append(_Token("qident", name, i))
        elif match := _TOKEN.match(src, i):
            kind, raw, end = match.lastgroup or "", match.group(0), match.end()
            if kind == "num":
                # Long digit strings become floats: int() refuses over 4300 digits.
                whole = raw.isdigit() and len(raw) < 20
                tokens.append(_Token(kind, int(raw) if whole else float(raw), i))
            elif kind == "ident":
                tokens.append(_Token(kind, unicodedata.normalize("NFC", raw), i))
            elif kind == "op":
                tokens.append(_Token(kind, raw, i))
        else:
            c = src[i]
            raise ast.cql2_error(f"Ký tự không hợp lệ «{c}».", f"Unexpected character '{c}'.", i)
        i = end
    tokens.append(_Token("end", None, len(src)))
    return tokens


class _Parser:
    def __init__(self, src: str) -> None:
        self.src = src
        self.tokens = tokenize(src)
        self.i = 0

    # -- token helpers ---------------------------------------------------------------
    def peek(self, ahead: int = 0) -> _Token:
        return self.tokens[min(self.i + ahead, len(self.tokens) - 1)]

    def next(self) -> _Token:
        tok = self.peek()
        self.i += 1
        return tok

    def at(self, word: str, ahead: int = 0) -> bool:
        """True if the next token is this keyword (any case) or operator."""
        tok = self.peek(ahead)
        return tok.kind in ("ident", "op") and str(tok.value).upper() == word

    def accept(self, word: str) -> bool:
        found = self.at(word)
        self.i += found
        return found

    def fail(self, vi: str, en: str, tok: _Token | None = None) -> InvalidInput:
        tok = tok or self.peek()
        found_vi, found_en = {
            "end": ("cuối bộ lọc", "the end of the filter"),
            "str": (f"chuỗi '{tok.value}'", f"the string '{tok.value}'"),
        }.get(tok.kind, (f"«{tok.value}»", f"'{tok.value}'"))
        return ast.cql2_error(
            f"Lỗi cú pháp CQL2: cần {vi} nhưng gặp {found_vi}.",
            f"CQL2 syntax error: expected {en}, found {found_en}.",
            tok.pos,
        )

    def expect(self, word: str) -> None:
        if not self.accept(word):
            raise self.fail(f"«{word}»", f"'{word}'")

    def deeper(self, depth: int) -> int:
        if depth >= ast.MAX_DEPTH:
            raise ast.too_deep(self.peek().pos)
        return depth + 1

    # -- boolean structure: booleanExpression / booleanTerm / booleanFactor ---------------
    def parse(self) -> ast.Expr:
        expr = self.or_(0)
        if self.peek().kind != "end":
            raise self.fail("AND, OR hoặc hết bộ lọc", "AND, OR or the end of the filter")
        return expr

    def or_(self, depth: int) -> ast.Expr:
        items = [self.and_(depth)]
        while self.accept("OR"):
            items.append(self.and_(depth))
        return ast.Or(tuple(items)) if len(items) > 1 else items[0]

    def and_(self, depth: int) -> ast.Expr:
        items = [self.factor(depth)]
        while self.accept("AND"):
            items.append(self.factor(depth))
        return ast.And(tuple(items)) if len(items) > 1 else items[0]

    def factor(self, depth: int) -> ast.Expr:
        if self.accept("NOT"):
            return ast.Not(self.factor(self.deeper(depth)))
        if self.accept("("):
            inner = self.or_(self.deeper(depth))
            self.expect(")")
            return inner
        return self.predicate(self.scalar(depth), depth)

    def predicate(self, left: Any, depth: int) -> ast.Expr:
        tok = self.peek()
        if tok.kind == "op" and tok.value in _COMPARISONS:
            self.next()
            return ast.Compare(tok.value, left, self.scalar(depth))
        negate = self.at("NOT") and any(self.at(w, 1) for w in ("LIKE", "BETWEEN", "IN"))
        if negate:
            self.next()
        node: ast.Expr
        if self.accept("LIKE"):
            node = ast.Like(left, self.scalar(depth))
        elif self.accept("BETWEEN"):
            low = self.scalar(depth)
            self.expect("AND")
            node = ast.Between(left, low, self.scalar(depth))
        elif self.accept("IN"):
            self.expect("(")
            items = [self.scalar(depth)]
            while self.accept(","):
                items.append(self.scalar(depth))
            self.expect(")")
            node = ast.In(left, tuple(items))
        elif self.accept("IS"):
            negate = self.accept("NOT")
            self.expect("NULL")
            node = ast.IsNull(left)
        elif isinstance(left, ast.Function | ast.Spatial) or (
            isinstance(left, ast.Literal) and isinstance(left.value, bool)
        ):
            return left  # booleanPrimary: a function call or TRUE/FALSE may stand alone
        else:
            raise self.fail(
                "một phép so sánh (=, <>, <, >, <=, >=, LIKE, BETWEEN, IN, IS NULL)",
                "an operator (=, <>, <, >, <=, >=, LIKE, BETWEEN, IN, IS NULL)",
            )
        return ast.Not(node) if negate else node

    # -- values -------------------------------------------------------------------------
    def scalar(self, depth: int) -> Any:
        tok = self.next()
        if tok.kind == "str":
            return ast.text(tok.value, tok.pos)
        sign = tok.kind == "op" and tok.value in "+-" and self.peek().kind == "num"
        if tok.kind == "num" or sign:
            self.i -= 1
            return ast.number(self.signed(), tok.pos)
        if tok.kind == "qident":
            return ast.Property(tok.value, tok.pos)
        word = str(tok.value).upper()
        if tok.kind != "ident" or word in _RESERVED:
            raise self.fail(_VALUE_VI, _VALUE_EN, tok)
        if word in ("TRUE", "FALSE"):
            return ast.Literal(word == "TRUE", tok.pos)
        if word in _WKT and any(self.at(w) for w in ("(", "Z", "M", "ZM", "EMPTY")):
            return self.wkt(tok)
        if not self.at("("):
            return ast.Property(tok.value, tok.pos)
        self.next()
        if word in ("DATE", "TIMESTAMP"):
            value = self.next()
            if value.kind != "str":
                raise self.fail("một chuỗi ngày giờ", "a date/time string", value)
            self.expect(")")
            return ast.instant(word.lower(), value.value, value.pos)
        if word == "BBOX":
            numbers = [self.signed()]
            while self.accept(","):
                numbers.append(self.signed())
            self.expect(")")
            return ast.bbox(numbers, tok.pos)
        inner = self.deeper(depth)
        args: list[Any] = []
        while not self.at(")"):
            if args and not self.accept(","):
                raise self.fail("«,» hoặc «)»", "',' or ')'")
            args.append(self.scalar(inner))
        self.next()
        return ast.call(tok.value, args, tok.pos)

    def signed(self) -> int | float:
        sign = -1 if self.accept("-") else 1
        if sign == 1:
            self.accept("+")
        tok = self.next()
        if tok.kind != "num":
            raise self.fail("một số", "a number", tok)
        return sign * tok.value  # type: ignore[no-any-return]

    def wkt(self, start: _Token) -> ast.Geometry:
        # Find where the literal ends (balanced parentheses over numbers, commas and WKT
        # words), then let GEOS read exactly that slice of the source.
        level = 0
        while True:
            tok = self.next()
            if tok.kind == "op" and tok.value == "(":
                level += 1
                if level > ast.MAX_DEPTH:
                    raise ast.too_deep(tok.pos)
            elif tok.kind == "op" and tok.value == ")":
                level -= 1
                if level == 0:
                    return ast.wkt(self.src[start.pos : tok.pos + 1], start.pos)
            elif not (
                tok.kind == "num"
                or (tok.kind == "op" and tok.value in ",+-")
                or (tok.kind == "ident" and tok.value.upper() in _WKT_WORDS)
            ):
                raise self.fail("tọa độ WKT", "WKT coordinates", tok)


def parse_text(src: str) -> ast.Expr:
    """Parse a CQL2 text filter into an expression tree; :class:`InvalidInput` if malformed."""
    ast.check_length(src)
    if not src.strip():
        raise ast.cql2_error("Bộ lọc rỗng.", "The filter is empty.")
    return _Parser(src).parse()
