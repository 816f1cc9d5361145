"""CQL2 parsing: text and JSON give the same tree; bad input is only ever InvalidInput."""

from __future__ import annotations

import json
import random
import unicodedata
from typing import Any

import pytest
from shapely.geometry import Point, box
from sqlalchemy.dialects import postgresql, sqlite

from dothi.db.spatial import port_for
from dothi.errors import InvalidInput
from dothi.ogcapi import cql2_ast as ast
from dothi.ogcapi.cql2_sql import compile_filter, parse_filter

P = ast.Property


def op(name: str, *args: Any) -> dict[str, Any]:
    """A CQL2 JSON operation."""
    return {"op": name, "args": list(args)}


def prop(name: str) -> dict[str, str]:
    """A CQL2 JSON property reference."""
    return {"property": name}


GEOM = prop("geometry")
# (CQL2 text, CQL2 JSON) pairs that must give equal trees.
SAME = [
    ("ten = 'Thửa 1'", op("=", prop("ten"), "Thửa 1")),
    (
        "so_tang >= 2 AND dien_tich < 101.5 OR co = TRUE",
        op("or", op("and", op(">=", prop("so_tang"), 2), op("<", prop("dien_tich"), 101.5)),
           op("=", prop("co"), True)),
    ),
    ("NOT (a <> -3)", op("not", op("<>", prop("a"), -3))),
    ("a NOT LIKE 'x\\%%'", op("not", op("like", prop("a"), "x\\%%"))),
    ("a IN ('x', 'y')", op("in", prop("a"), ["x", "y"])),
    ("a BETWEEN 1 AND 2.5", op("between", prop("a"), 1, 2.5)),
    ("a IS NOT NULL", op("not", op("isNull", prop("a")))),
    ("ngay > DATE('2026-01-01')", op(">", prop("ngay"), {"date": "2026-01-01"})),
    (
        "luc < TIMESTAMP('2026-01-01T10:00:00+07:00')",
        op("<", prop("luc"), {"timestamp": "2026-01-01T03:00:00Z"}),
    ),
    (
        "S_INTERSECTS(geometry, POINT(106.7 10.77))",
        op("s_intersects", GEOM, {"type": "Point", "coordinates": [106.7, 10.77]}),
    ),
    ("s_within(geometry, bbox(106, 10, 107, 11))",
     op("s_within", GEOM, {"bbox": [106, 10, 107, 11]})),
    (
        "S_CONTAINS(MULTIPOLYGON(((0 0, 1 0, 1 1, 0 0))), geometry)",
        op("s_contains",
           {"type": "MultiPolygon", "coordinates": [[[[0, 0], [1, 0], [1, 1], [0, 0]]]]}, GEOM),
    ),
    (
        "S_DISJOINT(geometry, LINESTRING Z (0 0 5, 1 1 5))",
        op("s_disjoint", GEOM, {"type": "LineString", "coordinates": [[0, 0], [1, 1]]}),
    ),
    (
        "S_INTERSECTS(geometry, MULTIPOINT(1 2, 3 4))",
        op("s_intersects", GEOM, {"type": "MultiPoint", "coordinates": [[1, 2], [3, 4]]}),
    ),
    ("\"tên đường\" = 'Lê Lợi'", op("=", prop("tên đường"), "Lê Lợi")),
    ("casei(ten) = 'a'", op("=", op("casei", prop("ten")), "a")),
    ("TRUE", True),
]  # fmt: skip


@pytest.mark.parametrize(("text", "doc"), SAME, ids=[t for t, _ in SAME])
def test_text_and_json_give_the_same_tree(text: str, doc: Any) -> None:
    assert parse_filter(text, "cql2-text") == parse_filter(json.dumps(doc), "cql2-json")


def test_tree_shapes() -> None:
    tree = parse_filter(
        "a = 1 AND b = 2 AND NOT c IS NULL OR S_WITHIN(geometry, BBOX(0,0,1,1))", "cql2-text"
    )
    assert tree == ast.Or(
        (
            ast.And(
                (
                    ast.Compare("=", P("a"), ast.Literal(1)),
                    ast.Compare("=", P("b"), ast.Literal(2)),
                    ast.Not(ast.IsNull(P("c"))),
                )
            ),
            ast.Spatial("s_within", P("geometry"), ast.Geometry(box(0, 0, 1, 1))),
        )
    )


def test_keywords_any_case_and_vietnamese_literals_nfc() -> None:
    decomposed = unicodedata.normalize("NFD", "Phường Bến Thành")
    lower = parse_filter(f"ten like '{decomposed}' and not x is null", "cql2-text")
    upper = parse_filter("ten LIKE 'Phường Bến Thành' AND NOT x IS NULL", "cql2-text")
    assert lower == upper
    assert isinstance(upper, ast.And) and isinstance(upper.args[0], ast.Like)
    assert upper.args[0].pattern == ast.Literal("Phường Bến Thành")


def test_literals() -> None:
    tree = parse_filter("a IN ('it''s', 'it\\'s', 1e3, .5, -2, TRUE, false)", "cql2-text")
    assert isinstance(tree, ast.In)
    assert [i.value for i in tree.items] == ["it's", "it's", 1000.0, 0.5, -2, True, False]  # type: ignore[union-attr]
    point = parse_filter("S_INTERSECTS(geometry, POINT Z (1 2 3))", "cql2-text")
    assert isinstance(point, ast.Spatial) and point.right == ast.Geometry(Point(1, 2))


@pytest.mark.parametrize(
    ("text", "position", "words"),
    [
        ("a = 1 b", 7, "AND, OR"),
        ("a = ", 5, "a value"),
        ("(a = 1", 7, "')'"),
        ("a = 'open", 5, "closing"),
        ("a # 1", 3, "'#'"),
        ("a 1", 3, "an operator"),
        ("a BETWEEN 1 OR 2", 13, "AND"),
        ("a = DATE('2026-02-30')", 10, "DATE"),
        ("a = TIMESTAMP('2026-01-01')", 15, "TIMESTAMP"),
        ("S_INTERSECTS(geometry, POINT(1))", 24, "POINT"),
        ("S_INTERSECTS(geometry, POINT(1 2) AND", 35, "',' or ')'"),
        ("S_INTERSECTS(geometry)", 1, "2 arguments"),
        ("a = 1e999", 5, "finite"),
        ('"" = 1', 1, "quoted"),
    ],
)
def test_errors_say_where(text: str, position: int, words: str) -> None:
    with pytest.raises(InvalidInput) as err:
        parse_filter(text, "cql2-text")
    assert err.value.code == "InvalidParameterValue"
    assert f"(at position {position})" in err.value.en, err.value.en
    assert words in err.value.en
    assert f"(vị trí {position})" in err.value.vi


def _message(text: str, lang: str) -> str:
    with pytest.raises(InvalidInput) as err:
        parse_filter(text, lang)
    return err.value.en


def test_json_errors_name_the_place() -> None:
    assert "/args/1" in _message('{"op": "and", "args": [true, 5]}', "cql2-json")
    assert "position 4" in _message("[1,", "cql2-json")
    assert "not a JSON number" in _message(
        '{"op": "=", "args": [{"property": "a"}, NaN]}', "cql2-json"
    )


def test_limits() -> None:
    assert "too long" in _message("a = 1 OR " * 3000 + "a = 1", "cql2-text")
    for text in ("(" * 150 + "a = 1" + ")" * 150, "NOT " * 150 + "a = 1", "f(" * 150 + ")" * 150):
        assert "nested too deeply" in _message(text, "cql2-text")
    nested: Any = {"op": "=", "args": [{"property": "a"}, 1]}
    for _ in range(150):
        nested = {"op": "not", "args": [nested]}
    assert "nested too deeply" in _message(json.dumps(nested), "cql2-json")
    assert "nested too deeply" in _message("[" * 9000 + "]" * 9000, "cql2-json")
    deep = parse_filter("(" * 90 + "a = 1" + ")" * 90, "cql2-text")
    assert deep == ast.Compare("=", P("a"), ast.Literal(1))


def test_unknown_filter_lang() -> None:
    assert "filter-lang" in _message("a = 1", "ecql")


# --------------------------------------------------------------------------- fuzz-ish
# hypothesis is not a dependency: a fixed table of malformed filters and seeded random
# mutations of valid ones. Whatever comes in, parsing and compiling (rendered for both
# backends) may only fail with InvalidInput.

MALFORMED = [
    "", " ", "(", ")", "()", "'", '"', "\\", "=", "a", "a =", "= 1", "a == 1", "a = = 1",
    "a LIKE", "a LIKE 1", "a IN", "a IN ()", "a IN (1,", "a BETWEEN", "a BETWEEN 1",
    "a IS", "a IS NOT", "NOT", "AND", "a = 1 AND", "a = 1 OR OR b = 2", "S_INTERSECTS(",
    "S_INTERSECTS(geometry,", "S_INTERSECTS(geometry, POINT(", "S_INTERSECTS(geometry, POINT())",
    "S_INTERSECTS(geometry, POLYGON((0 0, 1 1, 0 0)))", "S_INTERSECTS(geometry, BBOX(1,2,3))",
    "S_INTERSECTS(geometry, BBOX(3,3,1,1))", "S_INTERSECTS(1, 2)",
    "S_TOUCHES(geometry, POINT(1 2))",
    "DATE('x') = a", "TIMESTAMP(1) = a", "a = DATE", "POINT(1 2) = a", "a + 1 = 2", "a = 1 * 2",
    "a = 99999999999999999999999999", "a = " + "9" * 5000, "a = 1." + "0" * 5000,
    "t_after(a, DATE('2026-01-01'))", "A_CONTAINS(a, ('x'))", "a = INTERVAL('..', '..')",
    "\x00", "a = '\x00'", "ten = 'Thửa'", "so_tang > 'x'", "co < TRUE", "ten LIKE 'x\\'",
    "so_tang LIKE 'x%'", "missing = 1", "geometry = 1", "geometry IS NULL", "1 = 1", "'a' < 'b'",
    "S_INTERSECTS(POINT(1 2), POINT(1 2))", "S_INTERSECTS(geometry, geometry)",
    "S_INTERSECTS(geometry, POINT(500 500))", "S_INTERSECTS(geometry, POINT(nan 1))",
    "S_INTERSECTS(geometry, POLYGON((0 0, 1 1, 1 0, 0 1, 0 0)))", "obj = 1",
    "S_INTERSECTS(geometry, GEOMETRYCOLLECTION(POINT(1 2), POINT(EMPTY)))",
    "S_INTERSECTS(geometry, POINT EMPTY)",
]  # fmt: skip
MALFORMED_JSON = [
    "", "{", "[]", "null", "1", '"a"', "{}", '{"op": 1, "args": []}',
    '{"op": "and", "args": [true]}',
    '{"op": "=", "args": [{"property": 1}, 2]}', '{"op": "=", "args": [{"property": "a"}, null]}',
    '{"op": "=", "args": [{"property": "a"}, [1]]}',
    '{"op": "=", "args": [{"property": "a"}, {"x": 1}]}',
    '{"op": "in", "args": [{"property": "a"}, 1]}', '{"op": "=", "args": [{"date": 5}, 1]}',
    '{"op": "s_intersects", "args": [{"property": "geometry"}, {"type": "Point"}]}',
    '{"op": "s_intersects", "args": [{"property": "geometry"}, {"type": 5, "coordinates": 1}]}',
    '{"op": "s_intersects", "args": [{"property": "geometry"},'
    ' {"type": "GeometryCollection", "geometries": [1]}]}',
    '{"op": "s_intersects", "args": [{"property": "geometry"}, {"bbox": "x"}]}',
    '{"op": "+", "args": [1, 2]}', '{"op": "=", "args": [{"op": "=", "args": [1, 1]}, true]}',
    '{"op": "like", "args": [{"property": "ten"}, {"op": "casei", "args": ["x"]}]}',
]  # fmt: skip
QUERYABLES: dict[str, dict[str, Any]] = {
    "a": {"type": "string"}, "ten": {"type": ["string", "null"]}, "so_tang": {"type": "integer"},
    "co": {"type": "boolean"}, "ngay": {"type": "string", "format": "date"},
    "luc": {"type": "string", "format": "date-time"}, "obj": {"type": "object"},
    "geometry": {"format": "geometry-any"},
}  # fmt: skip
FRAGMENTS = [
    "a", "ten", "so_tang", "geometry", "=", "<>", "<", ">=", "(", ")", ",", "'x'", "'Thửa'", "1",
    "-2.5", "AND", "OR", "NOT", "LIKE", "IN", "BETWEEN", "IS", "NULL", "TRUE", "DATE('2026-01-01')",
    "S_INTERSECTS", "POINT(1 2)", "BBOX(0,0,1,1)", '"tên"', "%", "_", "\\", "'", '"', ";", "..",
]  # fmt: skip


def _survives(text: str, lang: str) -> None:
    try:
        expr = parse_filter(text, lang)
        clause = compile_filter(expr, queryables=QUERYABLES, port=port_for("sqlite"))
        str(clause.compile(dialect=sqlite.dialect()))
        clause = compile_filter(expr, queryables=QUERYABLES, port=port_for("postgresql"))
        str(clause.compile(dialect=postgresql.dialect()))
    except InvalidInput as exc:
        assert exc.vi and exc.en and exc.code == "InvalidParameterValue"


@pytest.mark.parametrize("text", MALFORMED)
def test_malformed_text_is_invalid_input(text: str) -> None:
    _survives(text, "cql2-text")


@pytest.mark.parametrize("text", MALFORMED_JSON)
def test_malformed_json_is_invalid_input(text: str) -> None:
    _survives(text, "cql2-json")


VALUES = [
    "'x'", "'Thửa%'", "1", "-2.5", "TRUE", "DATE('2026-01-01')",
    "TIMESTAMP('2026-01-01T00:00:00Z')", "POINT(106.7 10.77)", "BBOX(106, 10, 107, 11)",
    "ten", "so_tang", "geometry", "f(1)",
]  # fmt: skip
FORMS = [
    "{p} = {v}", "{p} <> {v}", "{p} < {v}", "{p} >= {v}", "{p} LIKE {v}", "{p} NOT LIKE {v}",
    "{p} IN ({v}, {v})", "{p} NOT IN ({v})", "{p} BETWEEN {v} AND {v}", "{p} IS NULL",
    "{p} IS NOT NULL", "S_INTERSECTS({p}, {v})", "S_WITHIN({v}, {p})", "S_CONTAINS({p}, {v})",
    "S_DISJOINT({p}, {v})", "S_EQUALS({p}, {v})", "{v} = {v}", "{v}",
]  # fmt: skip


def _random_filter(rng: random.Random, depth: int = 0) -> str:
    """A filter that is well-formed text but often ill-typed: it reaches the compiler."""
    if depth < 3 and rng.random() < 0.35:
        joint = rng.choice(["AND", "OR", "and", "Or"])
        return f"({_random_filter(rng, depth + 1)} {joint} {_random_filter(rng, depth + 1)})"
    if depth < 3 and rng.random() < 0.1:
        return "NOT " + _random_filter(rng, depth + 1)
    props = [*QUERYABLES, "missing", '"tên"']
    form = rng.choice(FORMS)
    while "{v}" in form:
        form = form.replace("{v}", rng.choice(VALUES), 1)
    return form.replace("{p}", rng.choice(props))


def test_random_filters_are_only_ever_invalid_input() -> None:
    rng = random.Random(20260101)
    for _ in range(1500):
        _survives(_random_filter(rng), "cql2-text")
    valid = [(t, "cql2-text") for t, _ in SAME] + [(json.dumps(d), "cql2-json") for _, d in SAME]
    for _ in range(1500):
        source, lang = rng.choice(valid)
        cut = rng.randrange(len(source) + 1)
        junk = rng.choice([*FRAGMENTS, "", "", chr(rng.randrange(0x20, 0x3000))])
        _survives(source[:cut] + junk + source[cut + rng.randint(0, 3) :], lang)
    for _ in range(500):
        text = "".join(chr(rng.randrange(0, 0x250)) for _ in range(rng.randint(0, 30)))
        _survives(text, rng.choice(["cql2-text", "cql2-json"]))
    for _ in range(500):
        text = " ".join(rng.choice(FRAGMENTS) for _ in range(rng.randint(1, 12)))
        _survives(text, "cql2-text")
