"""The OData expression parser: every literal kind, operator, function and precedence
level SensorThings 1.1 uses, and errors that say what was expected and where."""

from __future__ import annotations

import unicodedata
from datetime import UTC, date, datetime, timedelta

import pytest
import shapely

from dothi.errors import InvalidInput
from dothi.sensors.sta.odata import (
    FUNCTIONS,
    MAX_LENGTH,
    Binary,
    Call,
    Lit,
    Prop,
    Unary,
    micros,
    parse_expression,
    parse_orderby,
)


def lit_of(text: str) -> Lit:
    """The literal on the right of ``x eq <text>``."""
    expr = parse_expression(f"x eq {text}")
    assert isinstance(expr, Binary) and isinstance(expr.r, Lit)
    return expr.r


def error_of(text: str) -> InvalidInput:
    with pytest.raises(InvalidInput) as info:
        parse_expression(text)
    return info.value


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# --------------------------------------------------------------------------- literals

LITERALS = [
    ("'Bến Thành'", "Bến Thành", "string"),
    ("'O''Brien'", "O'Brien", "string"),
    ("''", "", "string"),
    ("'a;b,c)'", "a;b,c)", "string"),
    ("42", 42, "number"),
    ("-42", -42, "number"),
    ("3.25", 3.25, "number"),
    ("1.5e3", 1500.0, "number"),
    ("2E-2", 0.02, "number"),
    ("-0.5", -0.5, "number"),
    ("true", True, "bool"),
    ("FALSE", False, "bool"),
    ("null", None, "null"),
    ("Null", None, "null"),
    ("2026-01-01T00:00:00Z", utc(2026, 1, 1), "datetime"),
    ("2026-01-01T07:00:00+07:00", utc(2026, 1, 1), "datetime"),
    ("2025-12-31T20:30:00-03:30", utc(2026, 1, 1), "datetime"),
    ("2026-12-06T02:50:51.123Z", utc(2026, 12, 6, 2, 50, 51, 123000), "datetime"),
    ("2026-12-06T02:50:51.1234567Z", utc(2026, 12, 6, 2, 50, 51, 123456), "datetime"),
    ("2026-12-06T02:50Z", utc(2026, 12, 6, 2, 50), "datetime"),
    ("2026-01-02", date(2026, 1, 2), "date"),
    ("08:30", timedelta(hours=8, minutes=30), "timeofday"),
    ("23:59:59.5", timedelta(hours=23, minutes=59, seconds=59.5), "timeofday"),
    ("duration'P1DT2H'", timedelta(days=1, hours=2), "duration"),
    ("duration'PT30M'", timedelta(minutes=30), "duration"),
    ("duration'PT1.5S'", timedelta(seconds=1.5), "duration"),
    ("duration'-P2D'", timedelta(days=-2), "duration"),
    ("-duration'P2D'", timedelta(days=-2), "duration"),
    ("Duration'P3D'", timedelta(days=3), "duration"),
    (
        "2026-01-01T00:00:00Z/2026-01-02T00:00:00+07:00",
        (utc(2026, 1, 1), utc(2026, 1, 1, 17)),
        "interval",
    ),
]


@pytest.mark.parametrize(("text", "value", "kind"), LITERALS, ids=[t for t, _, _ in LITERALS])
def test_literals(text: str, value: object, kind: str) -> None:
    lit = lit_of(text)
    assert (lit.value, lit.kind) == (value, kind)
    assert type(lit.value) is type(value)


GEOMETRIES = [
    "geography'POINT(106.7 10.78)'",
    "geography'POINT (106.7 10.78)'",
    "geometry'POINT(106.7 10.78)'",
    "GEOGRAPHY'POINT(106.7 10.78)'",
    "geography'SRID=4326;POINT(106.7 10.78)'",
    "geography'srid=4326; POINT(106.7 10.78)'",
]


@pytest.mark.parametrize("text", GEOMETRIES)
def test_geometry_literals(text: str) -> None:
    lit = lit_of(text)
    assert lit.kind == "geometry"
    assert lit.value.equals(shapely.Point(106.7, 10.78))


def test_polygon_literal() -> None:
    wkt = "POLYGON((106.69 10.76, 106.71 10.76, 106.71 10.78, 106.69 10.78, 106.69 10.76))"
    assert lit_of(f"geography'{wkt}'").value.equals(shapely.from_wkt(wkt))


def test_strings_are_nfc() -> None:
    decomposed = unicodedata.normalize("NFD", "'Lê Lợi'")
    assert decomposed != "'Lê Lợi'"
    assert lit_of(decomposed).value == "Lê Lợi"


def test_micros_counts_from_1970() -> None:
    assert micros(utc(1970, 1, 1)) == 0
    assert micros(utc(2026, 1, 1, 0, 0, 0, 1)) == 1_767_225_600_000_001
    assert micros(utc(1969, 12, 31, 23, 59, 59, 999_999)) == -1


# --------------------------------------------------------------------------- structure


def test_paths() -> None:
    assert parse_expression("Datastream/Thing/name eq 'a'").l == Prop(
        ("Datastream", "Thing", "name")
    )
    assert parse_expression("properties/chủ_sở_hữu/tên eq 'An'").l == Prop(
        ("properties", "chủ_sở_hữu", "tên")
    )
    # After "/" a keyword is a name.
    assert parse_expression("properties/and eq 1").l == Prop(("properties", "and"))


def test_positions_are_kept_but_not_compared() -> None:
    a = parse_expression("name eq 'x'")
    b = parse_expression("  name   eq  'x'")
    assert a == b
    assert isinstance(b, Binary) and (b.pos, b.l.pos, b.r.pos) == (9, 2, 13)


@pytest.mark.parametrize("op", ["eq", "ne", "gt", "ge", "lt", "le", "and", "or"])
def test_binary_operators(op: str) -> None:
    assert parse_expression(f"a {op} b") == Binary(op, Prop(("a",)), Prop(("b",)))
    assert parse_expression(f"a {op.upper()} b") == Binary(op, Prop(("a",)), Prop(("b",)))


@pytest.mark.parametrize("op", ["add", "sub", "mul", "div", "mod"])
def test_arithmetic_operators(op: str) -> None:
    expected = Binary("eq", Binary(op, Prop(("a",)), Lit(2, "number")), Lit(1, "number"))
    assert parse_expression(f"a {op} 2 eq 1") == expected


a, b, c, d = (Prop((n,)) for n in "abcd")
one, two, three = Lit(1, "number"), Lit(2, "number"), Lit(3, "number")

PRECEDENCE = [
    ("a add b mul c eq d", Binary("eq", Binary("add", a, Binary("mul", b, c)), d)),
    ("a mul b add c eq d", Binary("eq", Binary("add", Binary("mul", a, b), c), d)),
    ("(a add b) mul c eq d", Binary("eq", Binary("mul", Binary("add", a, b), c), d)),
    ("a sub b sub c eq d", Binary("eq", Binary("sub", Binary("sub", a, b), c), d)),
    ("a div b mod c eq d", Binary("eq", Binary("mod", Binary("div", a, b), c), d)),
    ("a add 1 gt b", Binary("gt", Binary("add", a, one), b)),
    ("a lt b eq true", Binary("eq", Binary("lt", a, b), Lit(True, "bool"))),
    ("a eq 1 and b eq 2", Binary("and", Binary("eq", a, one), Binary("eq", b, two))),
    (
        "a eq 1 or b eq 2 and c eq 3",
        Binary(
            "or", Binary("eq", a, one), Binary("and", Binary("eq", b, two), Binary("eq", c, three))
        ),
    ),
    (
        "(a eq 1 or b eq 2) and c eq 3",
        Binary(
            "and", Binary("or", Binary("eq", a, one), Binary("eq", b, two)), Binary("eq", c, three)
        ),
    ),
    ("not a eq 1", Unary("not", Binary("eq", a, one))),
    ("not a eq 1 and b", Binary("and", Unary("not", Binary("eq", a, one)), b)),
    ("not not a", Unary("not", Unary("not", a))),
    ("not(a)", Unary("not", a)),
    ("-a eq 1", Binary("eq", Unary("-", a), one)),
    ("- 1 eq a", Binary("eq", Unary("-", one), a)),
    ("-1 eq a", Binary("eq", Lit(-1, "number"), a)),
    ("a sub -1 eq b", Binary("eq", Binary("sub", a, Lit(-1, "number")), b)),
    ("-a mul b eq c", Binary("eq", Binary("mul", Unary("-", a), b), c)),
    ("((a)) eq (1)", Binary("eq", a, one)),
]


@pytest.mark.parametrize(("text", "tree"), PRECEDENCE, ids=[p[0] for p in PRECEDENCE])
def test_precedence(text: str, tree: object) -> None:
    assert parse_expression(text) == tree


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_every_function(name: str) -> None:
    low, high = FUNCTIONS[name]
    for count in range(low, high + 1):
        args = ", ".join(["p"] * count)
        expr = parse_expression(f"{name}({args})")
        assert expr == Call(name, tuple(Prop(("p",)) for _ in range(count)))


def test_function_names_in_any_case() -> None:
    assert parse_expression("StartsWith(name, 'a')") == Call(
        "startswith", (Prop(("name",)), Lit("a", "string"))
    )
    assert parse_expression("GEO.DISTANCE(a, b) lt 1").l == Call("geo.distance", (a, b))


def test_nested_calls() -> None:
    expr = parse_expression(
        "concat(concat(unitOfMeasurement/symbol, ', '), unitOfMeasurement/name) eq 'x'"
    )
    assert isinstance(expr, Binary) and isinstance(expr.l, Call)
    inner = expr.l.args[0]
    assert inner == Call("concat", (Prop(("unitOfMeasurement", "symbol")), Lit(", ", "string")))


def test_the_spec_examples_parse() -> None:
    examples = [
        "result le 3.5 and FeatureOfInterest/id eq '1'",
        "not startswith(description,'test')",
        "(result sub 5) gt 10",
        "substringof('Sensor Things',description)",
        "date(resultTime) ne date(validTime)",
        "time(resultTime) le validTime",
        "resultTime ge now()",
        "geo.distance(location, geography'POINT (30 10) ')",
        "geo.length(geography'LINESTRING (30 10, 10 30, 40 40) ')",
        "st_relate(location, geography'POLYGON ((30 10, 10 20, 20 40, 40 40, 30 10))', "
        "'T********')",
        "Datastreams/Observations/resultTime ge 2010-06-01T00:00:00Z and "
        "Datastreams/Observations/resultTime le 2010-07-01T00:00:00Z",
        "before(2016-01-02T01:01:01.000Z/2016-01-03T23:59:59.999Z, validTime)",
    ]
    for text in examples:
        parse_expression(text)


# --------------------------------------------------------------------------- errors

ERRORS = [
    ("", "The expression is empty", 1),
    ("name eq", "expected a value or a property name, found the end of the expression", 8),
    ("name eq 'x", "Unterminated string", 9),
    ("name eq 'x' name", "expected 'and', 'or', an operator or the end", 13),
    ("(name eq 'x'", "expected ')', found the end", 13),
    ("name eq 'x')", "found ')'", 12),
    ("name # 1", "Unexpected character '#'", 6),
    ("eq 1", "expected a value or a property name, found 'eq'", 1),
    ("a eq not b", "expected a value or a property name, found 'not'", 6),
    ("name/1 eq 1", "a property name after '/'", 6),
    ("startwith(name, 'a')", "There is no function 'startwith'. Did you mean: startswith", 1),
    ("substring(name)", "substring takes 2–3 argument(s), not 1", 1),
    ("now(1)", "now takes 0 argument(s), not 1", 1),
    ("length(name,)", "expected a value or a property name, found ')'", 13),
    ("length(name 'a')", "expected ',' or ')'", 13),
    ("t eq 2026-01-01T00:00:00", "has no time zone: add Z", 6),
    ("t eq 2026-02-30", "The date '2026-02-30' does not exist", 6),
    ("t eq 2026-02-30T00:00:00Z", "The date '2026-02-30' does not exist", 6),
    ("t eq 25:00", "The time '25:00' is not valid", 6),
    ("t eq 2026-01-01T00:00:00+24:00", "offset '+24:00' is not valid", 6),
    ("t eq 2026-01-02T00:00:00Z/2026-01-01T00:00:00Z", "The interval ends before it starts", 6),
    ("t eq duration'P1Y'", "Years, months and weeks have no fixed length", 15),
    ("t eq duration'P'", "The duration 'P' is not valid", 15),
    ("t eq duration'1D'", "The duration '1D' is not valid", 15),
    ("st_within(g, geography'SRID=3405;POINT(1 2)')", "Only WGS 84 geometries (SRID=4326)", 24),
    ("st_within(g, geography'POINT(1)')", "Cannot read the WKT geometry 'POINT(1)'", 24),
    ("st_within(g, geography'POINT EMPTY')", "The geometry is empty", 24),
    ("st_within(g, geography'POINT(10.78 106.7)')", "write longitude first", 24),
    (
        "st_within(g, geography'POLYGON((0 0, 1 1, 1 0, 0 1, 0 0))')",
        "Invalid geometry: Self-intersection",
        24,
    ),
    ("x eq 99999999999999999999", None, None),
    ("x eq 9999999999999999999", "The number '9999999999999999999' is too large", 6),
    ("x eq 1e999", "The number '1e999' is too large", 6),
]


@pytest.mark.parametrize(
    ("text", "message", "position"), ERRORS, ids=[e[0] or "empty" for e in ERRORS]
)
def test_errors_say_what_and_where(text: str, message: str | None, position: int | None) -> None:
    if message is None:  # 20 digits: read as a (large) decimal, as OData's Edm.Double
        assert lit_of(text.removeprefix("x eq ")).kind == "number"
        return
    exc = error_of(text)
    assert message in exc.en
    assert exc.en.endswith(f"(at position {position})")
    assert exc.vi.endswith(f"(vị trí {position})")
    assert exc.status == 400


def test_errors_are_in_vietnamese_too() -> None:
    exc = error_of("name eq")
    assert exc.vi == (
        "Lỗi cú pháp: cần một giá trị hoặc tên thuộc tính nhưng gặp hết biểu thức. (vị trí 8)"
    )
    assert unicodedata.is_normalized("NFC", exc.vi)


def test_depth_and_length_are_bounded() -> None:
    deep = "(" * 150 + "a" + ")" * 150 + " eq 1"
    assert "nested too deeply" in error_of(deep).en
    assert "nested too deeply" in error_of("not " * 150 + "a").en
    assert "too long" in error_of("a eq '" + "x" * MAX_LENGTH + "'").en
    parse_expression("(" * 40 + "a" + ")" * 40 + " eq 1")
    parse_expression("length(" * 40 + "a" + ")" * 40 + " eq 1")


def test_offset_moves_positions() -> None:
    with pytest.raises(InvalidInput) as info:
        parse_expression("name eq", offset=20)
    assert info.value.en.endswith("(at position 28)")


# --------------------------------------------------------------------------- $orderby


def test_orderby_items() -> None:
    assert parse_orderby("id") == [(Prop(("id",)), False)]
    assert parse_orderby("phenomenonTime desc, id ASC,name") == [
        (Prop(("phenomenonTime",)), True),
        (Prop(("id",)), False),
        (Prop(("name",)), False),
    ]
    assert parse_orderby("year(resultTime) desc") == [
        (Call("year", (Prop(("resultTime",)),)), True)
    ]
    assert parse_orderby("Datastreams/id desc") == [(Prop(("Datastreams", "id")), True)]
    assert parse_orderby("result add 1") == [(Binary("add", Prop(("result",)), one), False)]


@pytest.mark.parametrize(
    ("text", "message", "position"),
    [
        ("", "expected an expression to order by", 1),
        ("id,", "expected an expression to order by", 4),
        (",id", "expected an expression to order by", 1),
        ("id desc desc", "expected 'asc', 'desc', ',' or the end", 9),
        ("id up", "expected 'asc', 'desc', ',' or the end", 4),
    ],
)
def test_orderby_errors(text: str, message: str, position: int) -> None:
    with pytest.raises(InvalidInput) as info:
        parse_orderby(text)
    assert message in info.value.en
    assert info.value.en.endswith(f"(at position {position})")


def test_operator_runs_count_as_depth_but_and_or_runs_do_not() -> None:
    assert "nested too deeply" in error_of("a" + " add 1" * 60 + " eq 1").en
    parse_expression("a" + " add 1" * 40 + " eq 1")
    long_or = " or ".join(f"id eq {i}" for i in range(1500))
    expr = parse_expression(long_or)
    assert isinstance(expr, Binary) and expr.op == "or"
