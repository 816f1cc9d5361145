"""Conformance class ``request-data`` (OGC 18-088 §9.3.3.5): ``$filter``, every built-in
operator and every built-in function of the standard's tables, over HTTP on both backends.
(The compiler's own cases are in ``test_filter_sql.py``; these check the requirements
end to end, on the shared SensorThings world.)"""

from __future__ import annotations

from typing import Any

import pytest
import sta_samples
from sta_samples import REQ, ROOT, client

from dothi.config import Settings
from dothi.db.engine import Database

CONFORMANCE_CLASS = REQ + "request-data"
world = sta_samples.sta_world
PM = "Datastreams({PM2.5 Hoàn Kiếm})/Observations"
TEMP = "Datastreams({Nhiệt độ Hoàn Kiếm})/Observations"
HK = "geography'POLYGON((105 20, 107 20, 107 22, 105 22, 105 20))'"
ROAD = "geography'LINESTRING(106.70 10.695, 106.80 10.695)'"


def _fill(text: str, ids: dict[str, Any]) -> str:
    """``{name}`` → the id of the world's entity called name."""
    for name, value in ids.items():
        text = text.replace("{" + name + "}", str(value))
    return text


def _found(
    sta_world: dict[str, Any], db: Database, settings: Settings, path: str, expr: str
) -> list[Any]:
    """The names (or, for Observations, the results) of the entities ``expr`` keeps."""
    url = f"{ROOT}/{_fill(path, sta_world)}"
    r = client(db, settings).get(url, params={"$filter": _fill(expr, sta_world)})
    assert r.status_code == 200, (expr, r.text)
    values = r.json()["value"]
    return sorted((v["name"] if "name" in v else v["result"] for v in values), key=str)


@pytest.mark.parametrize(
    ("path", "expr", "expected"),
    [
        ("Observations", "result lt 20", [10]),
        ("Observations", "Datastream/id eq {PM2.5 Hoàn Kiếm}", [10, 20, 30, 40]),
        ("Observations", "Datastream/Thing/name eq 'Trạm Nhà Bè'", [55, 65, 75, "kém", "tốt"]),
        ("Observations", "FeatureOfInterest/id eq '{area}'", ["kém", "tốt"]),
        # null compares as unknown: the row is left out.
        ("Observations", "resultTime gt 2000-01-01T00:00:00Z", [10]),
        ("Observations", "parameters/calibrated eq true", [20]),
        ("Observations", "result eq 'tốt'", ["tốt"]),
        ("Things", "properties/owner eq 'Phường Nhà Bè'", ["Trạm Nhà Bè"]),
        (
            "Things",
            "geo.distance(Locations/location, geography'POINT(105.85 21.03)') gt 1",
            ["Trạm Nhà Bè"],
        ),
        ("Things", "Datastreams/name eq 'PM2.5 Nhà Bè'", ["Trạm Nhà Bè"]),
        ("Things", "Datastreams/Observations/result gt 70", ["Trạm Nhà Bè"]),
        (
            "Things",
            "Datastreams/Observations/FeatureOfInterest/id eq {area} and "
            "Datastreams/Observations/phenomenonTime ge 2026-03-02T00:00:00Z and "
            "Datastreams/Observations/phenomenonTime lt 2026-03-02T01:00:00Z",
            ["Trạm Nhà Bè"],
        ),
        # One Observation must meet every condition on the same path.
        (
            "Things",
            "Datastreams/Observations/FeatureOfInterest/id eq {area} and "
            "Datastreams/Observations/phenomenonTime lt 2026-03-02T00:00:00Z",
            [],
        ),
        ("Sensors", "Datastreams/Thing/name eq 'Trạm Nhà Bè'", ["Quang học"]),
        ("Locations", "Things/Datastreams/ObservedProperty/name eq 'Nhiệt độ'", ["Hồ Gươm"]),
        ("ObservedProperties", "MultiDatastreams/name eq 'Bụi và nhiệt'", ["Nhiệt độ", "PM2.5"]),
    ],
)
def test_filter(
    sta_world: dict[str, Any],
    db: Database,
    settings: Settings,
    path: str,
    expr: str,
    expected: list[Any],
) -> None:
    """http://www.opengis.net/spec/iot_sensing/1.1/req/request-data/filter

    Only the entities for which the expression is true are returned (false and null leave
    them out); properties of related entities can be used, through links to one entity
    and to many (an entity is kept when one of its related entities matches)."""
    assert _found(sta_world, db, settings, path, expr) == expected


def test_filter_in_expand_and_errors(
    sta_world: dict[str, Any], db: Database, settings: Settings
) -> None:
    """http://www.opengis.net/spec/iot_sensing/1.1/req/request-data/filter

    A filter applies in an expanded collection too; a filter that is not an expression of
    the entity's properties is refused (400), naming what is wrong."""
    c = client(db, settings)
    expand = {"$expand": "Datastreams($filter=startswith(name,'PM'))"}
    things = c.get(f"{ROOT}/Things({sta_world['Trạm Nhà Bè']})", params=expand).json()
    assert [d["name"] for d in things["Datastreams"]] == ["PM2.5 Nhà Bè"]
    for bad, word in (("colour eq 'red'", "colour"), ("name gt", "position"), ("name eq 3", "")):
        r = c.get(f"{ROOT}/Things", params={"$filter": bad, "lang": "en"})
        assert r.status_code == 400 and word in r.text, (bad, r.text)


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("result eq 20", [20]),
        ("result ne 20", [10, 30, 40]),
        ("result gt 20", [30, 40]),
        ("result ge 20", [20, 30, 40]),
        ("result lt 20", [10]),
        ("result le 20", [10, 20]),
        ("result ge 20 and result le 30", [20, 30]),
        ("result lt 20 or result gt 30", [10, 40]),
        ("not (result eq 20)", [10, 30, 40]),
        ("not result eq 20", [10, 30, 40]),
        ("result add 5 gt 30", [30, 40]),
        ("result sub 5 gt 30", [40]),
        ("result mul 2 gt 50", [30, 40]),
        ("result div 2 gt 10", [30, 40]),
        ("result mod 20 eq 0", [20, 40]),
        ("(result sub 5) mul 2 gt 50", [40]),
        ("result sub 5 mul 2 gt 50", []),
        ("result eq 10 or result eq 20 and result eq 30", [10]),
        ("(result eq 10 or result eq 20) and result eq 20", [20]),
        # Times and intervals: an interval is compared as a whole, an instant as [t, t].
        ("phenomenonTime lt 2026-03-01T03:00:00Z", [10, 20, 30]),
        ("phenomenonTime ge 2026-03-01T03:00:00Z", [40]),
        ("phenomenonTime gt 2026-03-01T02:30:00Z", [40]),
        ("phenomenonTime eq 2026-03-01T01:00:00Z", [20]),
        ("phenomenonTime eq 2026-03-01T08:00:00+07:00", [20]),
    ],
)
def test_built_in_filter_operations(
    sta_world: dict[str, Any], db: Database, settings: Settings, expr: str, expected: list[Any]
) -> None:
    """http://www.opengis.net/spec/iot_sensing/1.1/req/request-data/built-in-filter-operations

    The comparison (eq ne gt ge lt le), logical (and or not), arithmetic (add sub mul div
    mod) and grouping operators, with OData's precedence, on numbers and times."""
    assert _found(sta_world, db, settings, PM, expr) == expected


LIGHT = "Đèn đường 17"
NB, HKT = "Trạm Nhà Bè", "Trạm Hoàn Kiếm"


@pytest.mark.parametrize(
    ("path", "expr", "expected"),
    [
        # String functions.
        ("Things", "substringof('Nhà', name)", [NB]),
        ("Things", "endswith(name, 'Kiếm')", [HKT]),
        ("Things", "startswith(name, 'Trạm')", [HKT, NB]),
        ("Things", "length(name) eq 11", [NB]),
        ("Things", "indexof(name, 'Nhà') eq 6", [NB]),
        ("Things", "substring(name, 5) eq 'Nhà Bè'", [NB]),
        ("Things", "substring(name, 5, 3) eq 'Nhà'", [NB]),
        ("Things", "tolower(name) eq 'trạm nhà bè'", [NB]),
        ("Things", "toupper(name) eq 'ĐÈN ĐƯỜNG 17'", [LIGHT]),
        ("Things", "trim(concat('  ', name)) eq 'Trạm Nhà Bè'", [NB]),
        (
            "Things",
            "concat(concat(name, ', '), description) eq 'Trạm Nhà Bè, Cảm biến giá rẻ'",
            [NB],
        ),
        # Date and time functions (the first Observation has resultTime 2026-03-01T00:05Z).
        (PM, "year(resultTime) eq 2026", [10]),
        (PM, "month(resultTime) eq 3", [10]),
        (PM, "day(resultTime) eq 1", [10]),
        (PM, "hour(resultTime) eq 0", [10]),
        (PM, "minute(resultTime) eq 5", [10]),
        (PM, "second(resultTime) eq 0", [10]),
        (PM, "fractionalseconds(resultTime) eq 0", [10]),
        (PM, "date(resultTime) eq 2026-03-01", [10]),
        (PM, "time(resultTime) eq 00:05:00", [10]),
        (PM, "totaloffsetminutes(resultTime) eq 0", [10]),
        (PM, "resultTime lt now()", [10]),
        (PM, "resultTime gt mindatetime()", [10]),
        (PM, "resultTime lt maxdatetime()", [10]),
        # Interval functions (the third Observation is valid 02:00–03:00).
        (PM, "before(validTime, 2026-03-01T03:00:00Z)", [30]),
        (PM, "after(validTime, 2026-03-01T01:00:00Z)", [30]),
        (PM, "meets(validTime, 2026-03-01T03:00:00Z)", [30]),
        (PM, "during(validTime, 2026-03-01T00:00:00Z/2026-03-01T05:00:00Z)", [30]),
        (PM, "overlaps(validTime, 2026-03-01T02:30:00Z/2026-03-01T06:00:00Z)", [30]),
        (PM, "starts(validTime, 2026-03-01T02:00:00Z)", [30]),
        (PM, "finishes(validTime, 2026-03-01T03:00:00Z)", [30]),
        # Math functions (results 25.5 and 26.5).
        (TEMP, "round(result) eq 26", [25.5]),
        (TEMP, "floor(result) eq 26", [26.5]),
        (TEMP, "ceiling(result) eq 26", [25.5]),
        # Geospatial functions.
        ("Locations", "geo.distance(location, geography'POINT(105.85 21.03)') lt 0.1", ["Hồ Gươm"]),
        (
            "Locations",
            "geo.length(geography'LINESTRING(0 0, 3 4)') eq 5",
            ["Chợ Nhà Bè", "Hồ Gươm"],
        ),
        ("Locations", f"geo.intersects(location, {HK})", ["Hồ Gươm"]),
        # Spatial relationship functions.
        ("Locations", "st_equals(location, geography'POINT(106.73 10.695)')", ["Chợ Nhà Bè"]),
        ("Locations", f"st_disjoint(location, {HK})", ["Chợ Nhà Bè"]),
        (
            "FeaturesOfInterest",
            "st_touches(feature, geography'LINESTRING(106.74 10.69, 106.74 10.70)')",
            ["Khu dân cư Nhà Bè"],
        ),
        ("Locations", f"st_within(location, {HK})", ["Hồ Gươm"]),
        (
            "FeaturesOfInterest",
            "st_overlaps(feature, geography'POLYGON((106.73 10.69, 106.75 10.69, 106.75 10.70, "
            "106.73 10.70, 106.73 10.69))')",
            ["Khu dân cư Nhà Bè"],
        ),
        ("FeaturesOfInterest", f"st_crosses({ROAD}, feature)", ["Khu dân cư Nhà Bè"]),
        (
            "FeaturesOfInterest",
            f"st_intersects(feature, {ROAD})",
            ["Chợ Nhà Bè", "Khu dân cư Nhà Bè"],
        ),
        (
            "FeaturesOfInterest",
            "st_contains(feature, geography'POINT(106.73 10.695)')",
            ["Chợ Nhà Bè", "Khu dân cư Nhà Bè"],
        ),
        (
            "FeaturesOfInterest",
            "st_relate(feature, geography'POINT(106.735 10.695)', 'T********')",
            ["Khu dân cư Nhà Bè"],
        ),
    ],
)
def test_built_in_query_functions(
    sta_world: dict[str, Any],
    db: Database,
    settings: Settings,
    path: str,
    expr: str,
    expected: list[Any],
) -> None:
    """http://www.opengis.net/spec/iot_sensing/1.1/req/request-data/built-in-query-functions

    Every function of the standard's table: string, date and time, time interval, math,
    geospatial and spatial relationship functions."""
    assert _found(sta_world, db, settings, path, expr) == expected
