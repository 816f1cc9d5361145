"""The ``$filter``/``$orderby`` compiler selects the same rows on SQLite and PostGIS.

A small table holds every kind of column the SensorThings entities have (text, number,
time in microseconds with an optional interval end, JSON text, the Observation result in
four columns, a port geometry); each case names the rows it must select, by id.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
import shapely
from prepared import dataset
from sqlalchemy import (
    BigInteger,
    Float,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    insert,
    select,
)
from sqlalchemy import Column as SqlColumn

from dothi.config import Settings
from dothi.db.engine import Database
from dothi.db.spatial import ShapelyGeometry, SpatialPort, port_for
from dothi.errors import InvalidInput
from dothi.sensors.sta.filter_sql import Column, ResultColumns, TimeInterval, order_by, where
from dothi.sensors.sta.odata import micros, parse_expression, parse_orderby
from dothi.sensors.sta.query import OrderBy

sample = Table(
    "odata_sample",
    MetaData(),
    SqlColumn("id", Integer, primary_key=True),
    SqlColumn("name", String(60)),
    SqlColumn("n", Float),
    SqlColumn("t", BigInteger, nullable=False),
    SqlColumn("t_end", BigInteger),
    SqlColumn("props", Text),
    SqlColumn("r_number", Float),
    SqlColumn("r_text", Text),
    SqlColumn("r_json", Text),
    SqlColumn("r_kind", SmallInteger),
    SqlColumn("geom", ShapelyGeometry()),
)

P1 = "POINT(106.7 10.77)"
SQUARE = "POLYGON((106.695 10.765, 106.705 10.765, 106.705 10.775, 106.695 10.775, 106.695 10.765))"
BIG = "POLYGON((106.69 10.76, 106.71 10.76, 106.71 10.78, 106.69 10.78, 106.69 10.76))"
# Half over SQUARE, half outside it.
SHIFTED = "POLYGON((106.7 10.765, 106.71 10.765, 106.71 10.775, 106.7 10.775, 106.7 10.765))"


def us(text: str) -> int:
    return micros(datetime.fromisoformat(text).astimezone(UTC))


ROWS: list[dict[str, Any]] = [
    {
        "id": 1, "name": "Trạm Bến Thành", "n": 12.5, "t": us("2026-01-01T00:00:00+00:00"),
        "props": {"owner": {"name": "An"}, "height": 3, "active": True,
                  "installed": "2025-06-01T07:00:00+07:00"},
        "result": 12.5, "geom": P1,
    },
    {
        "id": 2, "name": "ĐƯỜNG Lê Lợi", "n": 7.0, "t": us("2026-01-01T12:30:15.250+00:00"),
        "t_end": us("2026-01-02T00:00:00+00:00"),
        "props": {"owner": {"name": "Bình"}, "height": 10, "active": False},
        "result": "high", "geom": "LINESTRING(106.69 10.77, 106.71 10.77)",
    },
    {
        "id": 3, "name": "sensor three", "n": -2.5, "t": us("2025-12-31T23:59:59.999999+00:00"),
        "props": {"owner": {"name": "Chi"}, "height": "tall"}, "result": True, "geom": SQUARE,
    },
    {
        "id": 4, "name": "  padded  ", "n": 0.0, "t": us("1969-12-31T23:00:00+00:00"),
        "props": {}, "result": False, "geom": None,
    },
    {
        "id": 5, "name": None, "n": None, "t": us("2026-02-28T08:00:00+00:00"),
        "props": {"owner": None}, "result": None, "geom": "POINT(107.5 11.5)",
    },
    {
        "id": 6, "name": "O'Brien", "n": 100.0, "t": us("2026-03-01T00:00:00+00:00"),
        "props": {"owner": {"name": "An"}, "height": 3.5}, "result": 3,
        "geom": "POINT(106.705 10.77)",
    },
]  # fmt: skip
ALL = [1, 2, 3, 4, 5, 6]


def _result(value: Any) -> dict[str, Any]:
    """The four result columns of a value, as the sensors contracts store it."""
    if isinstance(value, bool):
        return {"r_number": float(value), "r_kind": 2}
    if isinstance(value, int | float):
        return {"r_number": float(value), "r_kind": 0}
    if isinstance(value, str):
        return {"r_text": value, "r_kind": 1}
    return {"r_json": orjson.dumps(value).decode(), "r_kind": 3}


def _row(spec: dict[str, Any]) -> dict[str, Any]:
    row = {c.name: None for c in sample.columns}
    row |= {k: v for k, v in spec.items() if k in row}
    row["props"] = orjson.dumps(spec["props"]).decode()
    row["geom"] = None if spec["geom"] is None else shapely.from_wkt(spec["geom"])
    return row | _result(spec["result"])


@dataset(shared=True)
def odata_rows(db: Database, settings: Settings, tmp_path: Path) -> None:
    bare = Table(sample.name, MetaData(), *(c._copy() for c in sample.columns if c.name != "geom"))
    with db.write() as conn:
        bare.create(conn)
        db.port.add_geometry_column(conn, sample.name, "geom")
    with db.write() as conn:
        conn.execute(insert(sample), [_row(r) for r in ROWS])


@dataclass
class SampleResolver:
    """The properties of the sample table, as an entity set's resolver gives them."""

    dialect: str
    port: SpatialPort

    def column(self, path: tuple[str, ...]) -> Column | ResultColumns | TimeInterval:
        c = sample.c
        head = path[0]
        if head == "properties":
            return Column(c.props, "json", json_path=path[1:])
        if len(path) > 1:
            raise InvalidInput(f"Không có «{'/'.join(path)}».", f"No '{'/'.join(path)}'.")
        simple: dict[str, Column] = {
            "id": Column(c.id, "id", nullable=False),
            "name": Column(c.name, "text"),
            "n": Column(c.n, "number"),
            "t": Column(c.t, "time", nullable=False),
            "location": Column(c.geom, "geometry"),
        }
        if head in simple:
            return simple[head]
        if head == "phenomenonTime":
            return TimeInterval(c.t, c.t_end, nullable=False)
        if head == "result":
            return ResultColumns(c.r_number, c.r_text, c.r_json, c.r_kind)
        raise InvalidInput(f"Không có thuộc tính «{head}».", f"There is no property '{head}'.")


@pytest.fixture
def rows(odata_rows: None, db: Database) -> Database:
    return db


def resolver_for(db: Database) -> SampleResolver:
    return SampleResolver(db.engine.dialect.name, db.port)


def selected(db: Database, text: str) -> list[int]:
    condition = where(parse_expression(text), resolver_for(db))
    with db.read() as conn:
        return list(
            conn.execute(select(sample.c.id).where(condition).order_by(sample.c.id)).scalars()
        )


def ordered(db: Database, text: str) -> list[int]:
    items = [OrderBy(e, d) for e, d in parse_orderby(text)]
    terms = order_by(items, resolver_for(db))
    with db.read() as conn:
        return list(conn.execute(select(sample.c.id).order_by(*terms)).scalars())


# --------------------------------------------------------------------------- cases

COMPARISON = [
    ("id eq 3", [3]),
    ("id eq '3'", [3]),
    ("id ne 3", [1, 2, 4, 5, 6]),
    ("n gt 10", [1, 6]),
    ("n ge 7", [1, 2, 6]),
    ("n lt 0", [3]),
    ("n le 0", [3, 4]),
    ("10 lt n", [1, 6]),
    ("name eq 'O''Brien'", [6]),
    ("name ne 'O''Brien'", [1, 2, 3, 4]),
    ("name eq null", [5]),
    ("null eq name", [5]),
    ("name ne null", [1, 2, 3, 4, 6]),
    ("name gt 'S'", [1, 3, 2]),
    ("not (name eq 'O''Brien')", [1, 2, 3, 4]),
    ("not name eq 'O''Brien'", [1, 2, 3, 4]),
    ("n gt 10 or n lt 0", [1, 3, 6]),
    ("n gt 0 and n lt 10", [2]),
    ("n gt 10 or n lt 0 and name eq 'x'", [1, 6]),
    ("(n gt 10 or n lt 0) and name eq 'sensor three'", [3]),
    ("not (n gt 10 or n lt 0)", [2, 4]),
    ("not n gt 10", [2, 3, 4]),
    ("1 eq 1", ALL),
    ("true", ALL),
    ("not true", []),
    ("2 add 3 eq 5", ALL),
    ("(n gt 0) eq true", [1, 2, 6]),
    ("(n gt 0) eq false", [3, 4]),
    ("id eq 1 or id eq 3 or name eq 'sensor three' or n gt 50", [1, 3, 6]),
    ("id eq 1 or 2 eq id or id eq '4'", [1, 2, 4]),
    ("t eq 2026-01-01T00:00:00Z or t eq 2026-03-01T00:00:00Z", [1, 6]),
    ("name eq 'O''Brien' or name eq 'sensor three'", [3, 6]),
    ("not (id eq 1 or id eq 2)", [3, 4, 5, 6]),
    ("result eq 3 or result eq 12.5", [1, 6]),
]

ARITHMETIC = [
    ("n add 5 gt 10", [1, 2, 6]),
    ("n sub 5 lt 0", [3, 4]),
    ("n mul 2 eq 14", [2]),
    ("n div 2 eq 3.5", [2]),
    ("n div 0 eq 1", []),
    ("n mod 2 eq 1", [2]),
    ("n mod 2 eq 0.5", [1]),
    ("n mod 2 eq -0.5", [3]),
    ("id mod 2 eq 0", [2, 4, 6]),
    ("id div 2 eq 1.5", [3]),
    ("-n gt 0", [3]),
    ("- n gt 0", [3]),
    ("n gt -1 and n lt 1", [4]),
    ("n add 2 mul 3 eq 13", [2]),
    ("(n add 2) mul 3 eq 27", [2]),
    ("n sub 1 sub 1 eq 5", [2]),
    ("n div 2 div 2 eq 25", [6]),
    ("round(n) eq 13", [1]),
    ("round(n) eq -3", [3]),
    ("floor(n) eq -3", [3]),
    ("floor(n) eq 12", [1]),
    ("ceiling(n) eq 13", [1]),
    ("ceiling(n) eq -2", [3]),
    ("round(2.5) eq 3 and id eq 1", [1]),
]

STRINGS = [
    ("startswith(name, 'Trạm')", [1]),
    ("startswith(name, 'trạm')", []),
    ("endswith(name, 'three')", [3]),
    ("endswith(name, 'a suffix longer than the name')", []),
    ("endswith(name, '')", [1, 2, 3, 4, 6]),
    ("substringof('Lê', name)", [2]),
    ("substringof('lê', name)", []),
    ("not startswith(name, 'T')", [2, 3, 4, 6]),
    ("startswith(name, 'T') eq false", [2, 3, 4, 6]),
    ("length(name) eq 12", [2, 3]),
    ("length(name) eq 14", [1]),
    ("indexof(name, 'three') eq 8", [3]),
    ("indexof(name, 'zzz') eq 0", [1, 2, 3, 4, 6]),
    ("substring(name, 7) eq 'three'", [3]),
    ("substring(name, 0, 6) eq 'sensor'", [3]),
    ("substring(name, 1, 2) eq 'rạ'", [1]),
    ("tolower(name) eq 'đường lê lợi'", [2]),
    ("toupper(name) eq 'TRẠM BẾN THÀNH'", [1]),
    ("trim(name) eq 'padded'", [4]),
    ("concat(name, '!') eq 'sensor three!'", [3]),
    ("concat(concat(name, ', '), 'x') eq 'O''Brien, x'", [6]),
    ("length(trim(name)) eq 6", [4]),
]

TIMES = [
    ("t ge 2026-01-01T07:00:00+07:00", [1, 2, 5, 6]),
    ("t gt 2026-01-01T00:00:00Z", [2, 5, 6]),
    ("t eq 2026-01-01T12:30:15.25Z", [2]),
    ("t eq '2026-01-01T12:30:15.25Z'", [2]),
    ("t lt 2026-01-01", [3, 4]),
    ("t lt 1970-01-01T00:00:00Z", [4]),
    ("year(t) eq 2026", [1, 2, 5, 6]),
    ("year(t) eq 2025", [3]),
    ("year(t) eq 1969", [4]),
    ("month(t) eq 2", [5]),
    ("day(t) eq 31", [3, 4]),
    ("hour(t) eq 12", [2]),
    ("hour(t) eq 23", [3, 4]),
    ("minute(t) eq 30", [2]),
    ("minute(t) eq 59", [3]),
    ("second(t) eq 15", [2]),
    ("second(t) eq 59", [3]),
    ("fractionalseconds(t) eq 0.25", [2]),
    ("fractionalseconds(t) gt 0.9", [3]),
    ("date(t) eq 2026-01-01", [1, 2]),
    ("date(t) eq date(2026-01-01T23:00:00Z)", [1, 2]),
    ("date(t) lt 1970-01-01", [4]),
    ("year(date(t)) eq 2025", [3]),
    ("time(t) eq 08:00:00", [5]),
    ("time(t) lt 01:00", [1, 6]),
    ("hour(time(t)) eq 23", [3, 4]),
    ("totaloffsetminutes(t) eq 0", ALL),
    ("year(2026-05-01T00:00:00Z) eq 2026 and id eq 1", [1]),
    ("t lt now()", ALL),
    ("t gt now()", []),
    ("t gt mindatetime() and t lt maxdatetime()", ALL),
    ("t add duration'PT1H' gt 2026-03-01T00:30:00Z", [6]),
    ("t sub duration'P1D' ge 2026-02-28T00:00:00Z", [6]),
    ("t sub 2026-01-01T00:00:00Z gt duration'P30D'", [5, 6]),
    ("phenomenonTime eq 2026-01-01T00:00:00Z", [1]),
    ("phenomenonTime eq 2026-01-01T12:30:15.25Z", []),
    ("phenomenonTime eq 2026-01-01T12:30:15.25Z/2026-01-02T00:00:00Z", [2]),
    ("phenomenonTime lt 2026-01-02T00:00:00Z", [1, 2, 3, 4]),
    ("phenomenonTime gt 2026-01-01T12:00:00Z", [2, 5, 6]),
    ("phenomenonTime ge 2026-01-01T12:30:15.25Z", [2, 5, 6]),
    ("phenomenonTime le 2026-01-01T12:30:15.25Z", [1, 3, 4]),
    ("2026-01-01T12:00:00Z lt phenomenonTime", [2, 5, 6]),
    ("not (phenomenonTime lt 2026-01-02T00:00:00Z)", [5, 6]),
    ("during(phenomenonTime, 2026-01-01T00:00:00Z/2026-01-02T00:00:00Z)", [1, 2]),
    ("overlaps(phenomenonTime, 2026-01-01T18:00:00Z/2026-01-03T00:00:00Z)", [2]),
    ("meets(phenomenonTime, 2026-01-02T00:00:00Z)", [2]),
    ("starts(phenomenonTime, 2026-01-01T12:30:15.25Z)", [2]),
    ("finishes(phenomenonTime, 2026-01-02T00:00:00Z)", [2]),
    ("before(phenomenonTime, 2026-01-01T00:00:00Z)", [3, 4]),
    ("after(phenomenonTime, 2026-02-01T00:00:00Z)", [5, 6]),
    ("year(phenomenonTime) eq 2025", [3]),
]

RESULTS = [
    ("result gt 10", [1]),
    ("result eq 3", [6]),
    ("result eq 1", []),
    ("result eq true", [3]),
    ("result eq false", [4]),
    ("result ne true", [4]),
    ("result eq 'high'", [2]),
    ("result eq null", [5]),
    ("result ne null", [1, 2, 3, 4, 6]),
    ("not (result gt 10)", [6]),
    ("result add 1 eq 4", [6]),
    ("startswith(result, 'hi')", [2]),
    ("result eq n div 4", []),
]

JSON = [
    ("properties/owner/name eq 'An'", [1, 6]),
    ("properties/owner/name ne 'An'", [2, 3]),
    ("properties/height gt 5", [2]),
    ("properties/height eq 3", [1]),
    ("properties/height lt 4", [1, 6]),
    ("properties/height eq 'tall'", [3]),
    ("not (properties/height lt 4)", [2]),
    ("properties/active eq true", [1]),
    ("properties/active eq false", [2]),
    ("properties/owner eq null", [4, 5]),
    ("properties/owner ne null", [1, 2, 3, 6]),
    ("properties/installed lt 2025-06-01T00:30:00Z", [1]),
    ("properties/installed gt 2025-06-01T00:30:00Z", []),
    ("startswith(properties/owner/name, 'B')", [2]),
    ("properties/height add 1 eq 11", [2]),
    ("properties/height eq properties/height", [1, 2, 6]),
]

SPATIAL = [
    (f"st_within(location, geography'{BIG}')", [1, 2, 3, 6]),
    (f"st_disjoint(location, geography'{BIG}')", [5]),
    (f"not st_within(location, geography'{BIG}')", [5]),
    (f"st_within(location, geography'{BIG}') eq false", [5]),
    (f"st_contains(geography'{BIG}', location)", [1, 2, 3, 6]),
    (f"st_contains(location, geography'{P1}')", [1, 2, 3]),
    (f"st_within(geography'{P1}', location)", [1, 2, 3]),
    (f"st_equals(location, geography'{P1}')", [1]),
    (f"st_intersects(location, geography'{P1}')", [1, 2, 3]),
    (f"geo.intersects(location, geography'SRID=4326;{P1}')", [1, 2, 3]),
    (f"st_touches(location, geography'{SQUARE}')", [6]),
    (f"st_crosses(location, geography'{SQUARE}')", [2]),
    (f"st_overlaps(location, geography'{SHIFTED}')", [3]),
    (f"st_relate(location, geography'{SQUARE}', 'T********')", [1, 2, 3]),
    (f"st_relate(location, geography'{BIG}', 'T*F**F***')", [1, 2, 3, 6]),
    (f"st_relate(geography'{BIG}', location, 'T*****FF*')", [1, 2, 3, 6]),
    (f"st_relate(location, geography'{BIG}', 'FF*FF****')", [5]),
    (f"geo.distance(location, geography'{P1}') lt 0.001", [1, 2, 3]),
    (f"geo.distance(location, geography'{P1}') le 0.006", [1, 2, 3, 6]),
    (f"0.006 ge geo.distance(location, geography'{P1}')", [1, 2, 3, 6]),
    (f"geo.distance(location, geography'{P1}') gt 1", [5]),
    (f"not (geo.distance(location, geography'{P1}') gt 0.001)", [1, 2, 3]),
    (f"not (geo.distance(location, geography'{P1}') lt 0.001)", [5, 6]),
    ("geo.length(location) gt 0", [2]),
    ("geo.length(location) eq 0", [1, 3, 5, 6]),
    (f"st_intersects(geography'{P1}', geography'{SQUARE}') and id le 2", [1, 2]),
    (f"geo.distance(geography'{P1}', geography'POINT(106.7 10.78)') lt 0.02", ALL),
    ("geo.length(geography'LINESTRING(0 0, 3 4)') eq 5", ALL),
    ("location eq null", [4]),
]

CASES = COMPARISON + ARITHMETIC + STRINGS + TIMES + RESULTS + JSON + SPATIAL


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[c[0][:70] for c in CASES])
def test_filter_selects(rows: Database, text: str, expected: list[int]) -> None:
    assert selected(rows, text) == sorted(expected)


ORDERS = [
    ("n", [5, 3, 4, 2, 1, 6]),
    ("n desc", [6, 1, 2, 4, 3, 5]),
    ("name asc, id", [5, 4, 6, 1, 3, 2]),
    ("year(t) desc, id asc", [1, 2, 5, 6, 3, 4]),
    ("result, id", [3, 4, 5, 2, 6, 1]),
    ("phenomenonTime desc", [6, 5, 2, 1, 3, 4]),
    ("properties/height, id", [4, 5, 3, 1, 6, 2]),
    (f"geo.distance(location, geography'{P1}'), id", [4, 1, 2, 3, 6, 5]),
    ("n gt 5, id desc", [5, 4, 3, 6, 2, 1]),
    ("t sub 2026-01-01T00:00:00Z desc", [6, 5, 2, 1, 3, 4]),
    ("id mod 3, id", [3, 6, 1, 4, 2, 5]),
]


@pytest.mark.parametrize(("text", "expected"), ORDERS, ids=[o[0] for o in ORDERS])
def test_order_by(rows: Database, text: str, expected: list[int]) -> None:
    assert ordered(rows, text) == expected


# --------------------------------------------------------------------------- errors

ERRORS = [
    ("name gt 3", "cannot compare a string with a number", 6),
    ("year(name) eq 1", "argument 1 of year must be a date-time or a date", 1),
    ("n eq 'x'", "cannot compare a number with a string", 3),
    ("t eq 'soon'", "Write date-times without quotes", 3),
    ("location eq 1", "geometries are compared with st_equals", 10),
    ("n add name gt 1", "cannot add a number and a string", 3),
    ("startswith(n, 'a')", "argument 1 of startswith must be a string", 1),
    ("nothing eq 1", "There is no property 'nothing'", 1),
    ("name/first eq 1", "No 'name/first'", 1),
    ("n gt null", "null can only be compared with eq or ne", 3),
    ("st_within(location, location)", "needs a geometry literal", 1),
    (f"st_relate(location, geography'{P1}', 'XYZ')", "is not valid: 9 characters", 52),
    ("st_within(location, 5)", "argument 2 of st_within must be a geometry", 1),
    ("result eq 2026-01-01T00:00:00Z", "the result cannot be compared with a date-time", 1),
    ("n", "A condition (true/false) is needed here", 1),
    ("n add 1", "A condition (true/false) is needed here", 3),
    ("1 div 0 eq 1", "Division by zero", 3),
    ("properties/height eq duration'P1D'", "a JSON value cannot be compared with a duration", 1),
    ("t add 5 gt t", "cannot add a date-time and a number", 3),
    ("substring(name, 1.5) eq 'a'", "argument 2 of substring must be an integer", 1),
    ("n gt 1 eq true", None, None),
    ("(n gt 1) gt true", "booleans can only be compared with eq or ne", 10),
    ("phenomenonTime gt 5", "expected a date-time or a time interval, not a number", 16),
    ("-name eq 'a'", "cannot negate a string", 1),
    ("round(name) eq 1", "argument 1 of round must be a number", 1),
    ("geo.length(n) gt 1", "argument 1 of geo.length must be a geometry", 1),
    ("properties/height eq location", "geometries are compared with st_equals", 19),
    ("id eq 1 or name eq 2", "cannot compare a string with a number", 17),
]


@pytest.mark.parametrize(("text", "message", "position"), ERRORS, ids=[e[0] for e in ERRORS])
def test_type_errors_name_the_problem(text: str, message: str | None, position: int | None) -> None:
    resolver = SampleResolver("sqlite", port_for("sqlite"))
    expr = parse_expression(text)
    if message is None:  # well typed after all: (n gt 1) eq true
        where(expr, resolver)
        return
    with pytest.raises(InvalidInput) as info:
        where(expr, resolver)
    assert message in info.value.en
    assert f"(at position {position})" in info.value.en
    assert f"(vị trí {position})" in info.value.vi


def test_order_by_needs_an_orderable_value() -> None:
    resolver = SampleResolver("sqlite", port_for("sqlite"))
    with pytest.raises(InvalidInput) as info:
        order_by([OrderBy(parse_expression("location"))], resolver)
    assert "cannot order by a geometry" in info.value.en
    assert "không sắp xếp được theo hình học" in info.value.vi


# --------------------------------------------------------------------------- SQL shape


def sql_of(text: str, dialect: str) -> str:
    from sqlalchemy.dialects import postgresql, sqlite

    resolver = SampleResolver(dialect, port_for(dialect))
    condition = where(parse_expression(text), resolver)
    engine_dialect = sqlite.dialect() if dialect == "sqlite" else postgresql.dialect()
    return str(condition.compile(dialect=engine_dialect))


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_times_and_results_compare_the_bare_columns(dialect: str) -> None:
    # An index on the column can serve: the literal is converted, not the column.
    assert sql_of("t gt 2026-01-01T00:00:00Z", dialect).startswith("odata_sample.t >")
    assert "odata_sample.r_number >" in sql_of("result gt 5", dialect)
    assert sql_of("result eq 'x'", dialect).startswith("odata_sample.r_text =")


def test_order_by_writes_nulls_only_for_nullable_values() -> None:
    from sqlalchemy.dialects import postgresql

    resolver = SampleResolver("postgresql", port_for("postgresql"))
    items = [OrderBy(parse_expression("t"), True), OrderBy(parse_expression("n"))]
    terms = [str(t.compile(dialect=postgresql.dialect())) for t in order_by(items, resolver)]
    assert terms == ["odata_sample.t DESC", "odata_sample.n ASC NULLS FIRST"]


def test_distance_filters_use_the_spatial_index(rows: Database) -> None:
    condition = where(
        parse_expression(f"geo.distance(location, geography'{P1}') le 0.001"), resolver_for(rows)
    )
    stmt = select(sample.c.id).where(condition)
    with rows.read() as conn:
        compiled = stmt.compile(conn)
        params: Any = compiled.construct_params()
        if compiled.positiontup is not None:
            params = tuple(params[k] for k in compiled.positiontup)
        if rows.backend == "sqlite":
            plan = " ".join(
                str(r) for r in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}", params)
            )
            assert "odata_sample_geom_rtree" in plan
        else:
            conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
            plan = " ".join(str(r) for r in conn.exec_driver_sql(f"EXPLAIN {compiled}", params))
            assert "ix_odata_sample_geom" in plan


def test_long_alternatives_compile(rows: Database) -> None:
    # A client listing many ids: a left-nested tree 1,500 deep, compiled without recursion.
    text = " or ".join(f"id eq {i}" for i in range(2, 1502))
    assert selected(rows, text) == [2, 3, 4, 5, 6]


def test_booleans_compared_with_booleans_compile_once_each(rows: Database) -> None:
    # Each "eq true" needs the condition before it and its negation: made once each.
    assert selected(rows, "n gt 10" + " eq true" * 40) == [1, 6]
    assert selected(rows, "n gt 10" + " eq false" * 39) == [2, 3, 4]
