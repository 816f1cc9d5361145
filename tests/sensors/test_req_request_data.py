"""Conformance class ``request-data`` (OGC 18-088 §9.3), the requirements on status codes,
the order of evaluation, ``$expand``, ``$select``, ``$orderby``, ``$top``, ``$skip``,
``$count`` and server-driven paging, on both backends (``$filter`` and its operators and
functions: ``test_req_request_data_filter.py``)."""

from __future__ import annotations

from typing import Any

import pytest
import sta_samples
from fastapi.testclient import TestClient
from sta_samples import REQ, ROOT, client

from dothi.config import Settings
from dothi.db.engine import Database
from dothi.sensors.sta import reading

CONFORMANCE_CLASS = REQ + "request-data"
BASE = "http://testserver" + ROOT
world = sta_samples.sta_world


def _get(c: TestClient, url: str, **params: str) -> Any:
    r = c.get(url if url.startswith("http") else f"{ROOT}/{url}", params=params or None)
    assert r.status_code == 200, r.text
    return r.json()


def _pages(c: TestClient, url: str, **params: str) -> tuple[list[Any], int]:
    """Every entity of a collection, following the next links; and the number of pages."""
    page = _get(c, url, **params)
    found, pages = list(page["value"]), 1
    while "@iot.nextLink" in page:
        assert page["@iot.nextLink"].startswith(BASE)
        page = _get(c, page["@iot.nextLink"])
        found += page["value"]
        pages += 1
    return found, pages


def _all_obs(w: dict[str, Any]) -> list[int]:
    return sorted(i for k, v in w.items() if k.startswith("obs:") for i in v)


@pytest.mark.writes
def test_status_code(sta_world: dict[str, Any], db: Database, settings: Settings) -> None:
    """http://www.opengis.net/spec/iot_sensing/1.1/req/request-data/status-code

    A URL the service gave out that no longer leads anywhere answers 404 Not Found (410
    Gone is not feasible: deleted entities leave no trace)."""
    c = client(db, settings)
    auth = sta_world["auth"]
    made = c.post(
        f"{ROOT}/Sensors",
        json={"name": "S", "description": "D", "encodingType": "text/html", "metadata": "m"},
        headers=auth,
    ).json()
    link = made["@iot.selfLink"].removeprefix("http://testserver")
    assert c.get(link).status_code == 200
    assert c.delete(link, headers=auth).status_code == 200
    for url in (link, link + "/name", link + "/Datastreams", link + "/Datastreams/$ref"):
        assert c.get(url).status_code == 404, url


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"$search": "PM"}, 501),
        ({"$apply": "aggregate(result with sum as total)"}, 501),
        ({"$format": "json"}, 501),
        ({"$expand": "Datastreams($levels=2)"}, 501),
        ({"$foo": "1"}, 400),
        ({"$top": "-1"}, 400),
        ({"$skip": "x"}, 400),
        ({"$count": "maybe"}, 400),
        ({"$filter": "name eq"}, 400),
    ],
)
def test_query_status_code(
    sta_world: dict[str, Any],
    db: Database,
    settings: Settings,
    params: dict[str, str],
    status: int,
) -> None:
    """http://www.opengis.net/spec/iot_sensing/1.1/req/request-data/query-status-code

    A system query option the service does not support fails the request with 501 Not
    Implemented; an unknown or malformed option is a bad request (400)."""
    r = client(db, settings).get(f"{ROOT}/Things", params=params)
    assert r.status_code == status, r.text
    assert r.json()["code"]


def test_order(sta_world: dict[str, Any], db: Database, settings: Settings) -> None:
    """http://www.opengis.net/spec/iot_sensing/1.1/req/request-data/order

    Options act as if evaluated in the order $filter, $count, $orderby, $skip, $top,
    then $expand and $select: the count is of the filtered set, before paging; the page
    is taken from the ordered set; expand and select shape the page."""
    c = client(db, settings)
    w = sta_world
    page = _get(
        c,
        f"Datastreams({w['PM2.5 Nhà Bè']})/Observations",
        **{
            "$select": "result,Datastream",
            "$top": "1",
            "$expand": "Datastream($select=name)",
            "$skip": "1",
            "$orderby": "result desc",
            "$count": "true",
            "$filter": "result lt 70",
        },
    )
    assert page["@iot.count"] == 2
    assert page["value"] == [
        {
            "result": 55,
            "Datastream@iot.navigationLink": page["value"][0]["Datastream@iot.navigationLink"],
            "Datastream": {"name": "PM2.5 Nhà Bè"},
        }
    ]
    assert "@iot.nextLink" not in page


def test_expand(sta_world: dict[str, Any], db: Database, settings: Settings) -> None:
    """http://www.opengis.net/spec/iot_sensing/1.1/req/request-data/expand

    $expand lists navigation properties, each possibly followed by /another for several
    levels, each with its own options in parentheses ($filter, $select, $orderby, $skip,
    $top, $count, $expand)."""
    c = client(db, settings)
    w = sta_world
    things = _get(c, "Things", **{"$expand": "Datastreams"})["value"]
    streams = {t["name"]: sorted(d["name"] for d in t["Datastreams"]) for t in things}
    assert streams == {
        "Trạm Hoàn Kiếm": ["Nhiệt độ Hoàn Kiếm", "PM2.5 Hoàn Kiếm"],
        "Trạm Nhà Bè": ["Chất lượng Nhà Bè", "PM2.5 Nhà Bè"],
        "Đèn đường 17": [],
    }
    two_levels = _get(
        c, f"Things({w['Trạm Nhà Bè']})", **{"$expand": "Datastreams/ObservedProperty"}
    )
    assert sorted(d["ObservedProperty"]["name"] for d in two_levels["Datastreams"]) == [
        "Chất lượng",
        "PM2.5",
    ]
    both = _get(
        c, f"Datastreams({w['PM2.5 Hoàn Kiếm']})", **{"$expand": "Observations,ObservedProperty"}
    )
    assert len(both["Observations"]) == 4 and both["ObservedProperty"]["name"] == "PM2.5"
    filtered = _get(
        c,
        f"Datastreams({w['PM2.5 Hoàn Kiếm']})",
        **{"$expand": "Observations($filter=result eq 20;$select=result)"},
    )
    assert filtered["Observations"] == [{"result": 20}]
    expand = (
        "Datastreams($count=true;$top=1;$orderby=name;$expand=Observations($count=true;$top=0))"
    )
    counted = {t["name"]: t for t in _get(c, "Things", **{"$expand": expand})["value"]}
    assert {n: t["Datastreams@iot.count"] for n, t in counted.items()} == {
        "Trạm Hoàn Kiếm": 2,
        "Trạm Nhà Bè": 2,
        "Đèn đường 17": 0,
    }
    first = counted["Trạm Hoàn Kiếm"]["Datastreams"]
    assert [d["name"] for d in first] == ["Nhiệt độ Hoàn Kiếm"]
    assert first[0]["Observations"] == [] and first[0]["Observations@iot.count"] == 2
    assert "Datastreams@iot.nextLink" in counted["Trạm Hoàn Kiếm"]
    assert "Datastreams@iot.nextLink" not in counted["Đèn đường 17"]
    reverse = _get(
        c,
        f"Observations({w['obs:Chất lượng Nhà Bè'][0]})",
        **{"$expand": "FeatureOfInterest,Datastream/Thing"},
    )
    assert reverse["FeatureOfInterest"]["name"] == "Khu dân cư Nhà Bè"
    assert reverse["Datastream"]["Thing"]["name"] == "Trạm Nhà Bè"
    assert c.get(f"{ROOT}/Things", params={"$expand": "Colours"}).status_code == 400


def test_select(sta_world: dict[str, Any], db: Database, settings: Settings) -> None:
    """http://www.opengis.net/spec/iot_sensing/1.1/req/request-data/select

    $select returns only the properties named (navigation properties give their links,
    ``id`` the ``@iot.id``) along with any expanded navigation properties."""
    c = client(db, settings)
    w = sta_world
    obs = _get(c, "Observations", **{"$select": "result,resultTime"})["value"]
    assert len(obs) == 12 and all(set(o) == {"result", "resultTime"} for o in obs)
    ds = _get(
        c,
        f"Datastreams({w['PM2.5 Hoàn Kiếm']})",
        **{"$select": "id,Observations", "$expand": "Observations/FeatureOfInterest"},
    )
    assert set(ds) == {"@iot.id", "Observations@iot.navigationLink", "Observations"}
    assert {o["FeatureOfInterest"]["name"] for o in ds["Observations"]} == {"Hồ Gươm"}
    assert "phenomenonTime" in ds["Observations"][0]
    inner = _get(
        c, f"Datastreams({w['PM2.5 Hoàn Kiếm']})", **{"$expand": "Observations($select=result)"}
    )
    assert "name" in inner and {tuple(o) for o in inner["Observations"]} == {("result",)}
    ids = _get(c, "Things", **{"$select": "@iot.id"})["value"]
    assert all(list(t) == ["@iot.id"] for t in ids) and len(ids) == 3
    r = c.get(f"{ROOT}/Things", params={"$select": "name,colour", "lang": "en"})
    assert r.status_code == 400 and "colour" in r.text


def test_orderby(sta_world: dict[str, Any], db: Database, settings: Settings) -> None:
    """http://www.opengis.net/spec/iot_sensing/1.1/req/request-data/orderby

    Ascending unless desc; nulls first ascending and last descending; later expressions
    break ties of earlier ones; paths through links to one entity order too."""
    c = client(db, settings)
    w = sta_world
    pm = f"Datastreams({w['PM2.5 Hoàn Kiếm']})/Observations"
    assert [o["result"] for o in _get(c, pm, **{"$orderby": "result"})["value"]] == [10, 20, 30, 40]
    down = _get(c, pm, **{"$orderby": "result desc"})["value"]
    assert [o["result"] for o in down] == [40, 30, 20, 10]
    nulls_first = _get(c, pm, **{"$orderby": "resultTime,result desc"})["value"]
    assert [o["result"] for o in nulls_first] == [40, 30, 20, 10]
    nulls_last = _get(c, pm, **{"$orderby": "resultTime desc,result"})["value"]
    assert [o["result"] for o in nulls_last] == [10, 20, 30, 40]
    by_stream = _get(c, "Observations", **{"$orderby": "Datastream/name desc,phenomenonTime desc"})[
        "value"
    ]
    names = ("PM2.5 Nhà Bè", "PM2.5 Hoàn Kiếm", "Nhiệt độ Hoàn Kiếm", "Chất lượng Nhà Bè")
    expected = [i for n in names for i in reversed(w[f"obs:{n}"])] + w["obs:Bụi và nhiệt"]
    assert [o["@iot.id"] for o in by_stream] == expected
    things = _get(c, "Things", **{"$orderby": "properties/floors desc"})["value"]
    assert [t["name"] for t in things] == ["Trạm Hoàn Kiếm", "Trạm Nhà Bè", "Đèn đường 17"]
    r = c.get(f"{ROOT}/Things", params={"$orderby": "Datastreams/name"})
    assert r.status_code == 400


def test_top(
    sta_world: dict[str, Any], db: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """http://www.opengis.net/spec/iot_sensing/1.1/req/request-data/top

    $top n returns up to n items in a stable order; a $top beyond the service's page limit
    is discarded for that limit (with a next link), not refused."""
    c = client(db, settings)
    everything = _all_obs(sta_world)
    assert [o["@iot.id"] for o in _get(c, "Observations", **{"$top": "5"})["value"]] == everything[
        :5
    ]
    assert _get(c, "Observations", **{"$top": "0"})["value"] == []
    assert len(_get(c, "Things", **{"$top": "50"})["value"]) == 3
    monkeypatch.setattr(reading, "MAX_TOP", 4)
    capped = _get(c, "Observations", **{"$top": "100000"})
    assert [o["@iot.id"] for o in capped["value"]] == everything[:4]
    assert "$top=4" in capped["@iot.nextLink"] and "$skip=4" in capped["@iot.nextLink"]
    monkeypatch.setattr(reading, "DEFAULT_TOP", 3)
    default = _get(c, "Observations")
    assert len(default["value"]) == 3 and "$skip=3" in default["@iot.nextLink"]
    expanded = _get(
        c, f"Datastreams({sta_world['PM2.5 Hoàn Kiếm']})", **{"$expand": "Observations"}
    )
    assert len(expanded["Observations"]) == 3 and "Observations@iot.nextLink" in expanded


def test_skip(sta_world: dict[str, Any], db: Database, settings: Settings) -> None:
    """http://www.opengis.net/spec/iot_sensing/1.1/req/request-data/skip

    $skip n returns items from position n+1; with $top, $skip applies first whatever
    their order in the URL."""
    c = client(db, settings)
    pm = f"Datastreams({sta_world['PM2.5 Hoàn Kiếm']})/Observations"
    skipped = _get(c, pm, **{"$orderby": "result", "$skip": "1"})["value"]
    assert [o["result"] for o in skipped] == [20, 30, 40]
    for query in ("$skip=1&$top=2&$orderby=result", "$top=2&$orderby=result&$skip=1"):
        r = c.get(f"{ROOT}/{pm}?{query}")
        assert [o["result"] for o in r.json()["value"]] == [20, 30], query
    assert _get(c, pm, **{"$skip": "10"})["value"] == []
    everything = _all_obs(sta_world)
    assert [o["@iot.id"] for o in _get(c, "Observations", **{"$skip": "9"})["value"]] == everything[
        9:
    ]


def test_count(sta_world: dict[str, Any], db: Database, settings: Settings) -> None:
    """http://www.opengis.net/spec/iot_sensing/1.1/req/request-data/count

    $count=true adds the number of items matching $filter, whatever $top, $skip and
    $expand; false (or absent) adds none; another value is 400."""
    c = client(db, settings)
    counted = _get(
        c, "Observations", **{"$count": "true", "$top": "2", "$skip": "3", "$expand": "Datastream"}
    )
    assert counted["@iot.count"] == 12 and len(counted["value"]) == 2
    assert next(iter(counted)) == "@iot.count"
    assert (
        _get(c, "Observations", **{"$count": "true", "$filter": "result gt 30"})["@iot.count"] == 4
    )
    assert "@iot.count" not in _get(c, "Observations", **{"$count": "false"})
    assert "@iot.count" not in _get(c, "Observations")
    w = sta_world
    nested = _get(c, f"Things({w['Trạm Hoàn Kiếm']})/Datastreams", **{"$count": "true"})
    assert nested["@iot.count"] == 2
    assert c.get(f"{ROOT}/Things", params={"$count": "yes"}).status_code == 400


def test_pagination(sta_world: dict[str, Any], db: Database, settings: Settings) -> None:
    """http://www.opengis.net/spec/iot_sensing/1.1/req/request-data/pagination

    A partial answer has a next link to the next part, the last part none; following the
    links gives every item once, with the request's options kept (also in expanded
    collections)."""
    c = client(db, settings)
    w = sta_world
    found, pages = _pages(c, "Observations", **{"$top": "5"})
    assert [o["@iot.id"] for o in found] == _all_obs(w) and pages == 3
    found, pages = _pages(
        c,
        "Observations",
        **{
            "$top": "2",
            "$filter": "result ge 20",
            "$orderby": "phenomenonTime desc",
            "$select": "result",
        },
    )
    assert pages == 4 and all(list(o) == ["result"] for o in found)
    assert sorted(o["result"] for o in found) == [20, 25.5, 26.5, 30, 40, 55, 65, 75]
    assert _get(c, "Things", **{"$top": "3"}).get("@iot.nextLink") is None
    ds = _get(
        c,
        f"Datastreams({w['PM2.5 Hoàn Kiếm']})",
        **{"$expand": "Observations($top=2;$orderby=result desc;$select=result;$count=true)"},
    )
    assert [o["result"] for o in ds["Observations"]] == [40, 30]
    link = ds["Observations@iot.nextLink"]
    assert link.startswith(f"{BASE}/Datastreams({w['PM2.5 Hoàn Kiếm']})/Observations?")
    rest = _get(c, link)
    assert rest["value"] == [{"result": 20}, {"result": 10}]
    assert rest["@iot.count"] == 4 and "@iot.nextLink" not in rest
