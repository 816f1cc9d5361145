"""Conformance class ``create-update-delete`` (OGC 18-088 §10): creating (with links to
existing entities and deep insert), updating (PATCH, PUT, JSON Patch), deleting with the
standard's integrity constraints, and HistoricalLocations made by the service or by a
client; each test on its own copy of the SensorThings world, on both backends."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
import sta_samples
from fastapi.testclient import TestClient
from sta_samples import GEOJSON, OM, REQ, ROOT, client, location, point, sensor

from dothi.config import Settings
from dothi.db.engine import Database

CONFORMANCE_CLASS = REQ + "create-update-delete"
BASE = "http://testserver" + ROOT
world = sta_samples.sta_world
pytestmark = pytest.mark.writes


def _count(c: TestClient, path: str) -> int:
    r = c.get(f"{ROOT}/{path}", params={"$count": "true", "$top": "0"})
    return int(r.json()["@iot.count"])


def _counts(c: TestClient) -> dict[str, int]:
    sets = ["Things", "Locations", "HistoricalLocations", "Datastreams", "Sensors"]
    sets += ["ObservedProperties", "Observations", "FeaturesOfInterest"]
    return {s: _count(c, s) for s in sets}


def _new_stream(w: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "name": "Độ ẩm",
        "description": "Độ ẩm tương đối",
        "unitOfMeasurement": {"name": "percent", "symbol": "%", "definition": "ucum:%"},
        "observationType": OM + "OM_Measurement",
        "Sensor": {"@iot.id": w["Nhiệt kế"]},
        "ObservedProperty": {"@iot.id": w["Nhiệt độ"]},
        **extra,
    }


def test_create_entity(sta_world: dict[str, Any], db: Database, settings: Settings) -> None:
    """http://www.opengis.net/spec/iot_sensing/1.1/req/create-update-delete/create-entity

    POST to a collection creates one entity: 201 Created with a Location header holding
    its selfLink; POST to a navigation link links the new entity to the one holding the
    link; an Observation without a FeatureOfInterest gets one made from its Thing's
    Location (once), without resultTime a null one."""
    c, w, auth = client(db, settings), sta_world, sta_world["auth"]
    r = c.post(f"{ROOT}/Things", json={"name": "Trạm mới", "description": "Mới"}, headers=auth)
    assert r.status_code == 201
    assert r.headers["location"] == r.json()["@iot.selfLink"]
    assert c.get(r.headers["location"]).json()["name"] == "Trạm mới"
    r = c.post(f"{ROOT}/Things({w['Trạm Nhà Bè']})/Datastreams", json=_new_stream(w), headers=auth)
    assert r.status_code == 201
    assert c.get(f"{ROOT}/Datastreams({r.json()['@iot.id']})/Thing").json()["name"] == "Trạm Nhà Bè"
    stream = r.json()["@iot.id"]
    features = _count(c, "FeaturesOfInterest")
    for n in range(2):
        r = c.post(f"{ROOT}/Datastreams({stream})/Observations", json={"result": n}, headers=auth)
        assert r.status_code == 201
        made = r.json()
        assert made["resultTime"] is None and made["phenomenonTime"]
    foi = c.get(f"{ROOT}/Observations({made['@iot.id']})/FeatureOfInterest").json()
    assert foi["name"] == "Chợ Nhà Bè" and _count(c, "FeaturesOfInterest") == features
    # To one entity, or to a property: not a collection, nothing is created.
    for path in (f"Things({w['Trạm Nhà Bè']})", f"Datastreams({stream})/Thing"):
        r = c.post(f"{ROOT}/{path}", json={"name": "x", "description": "y"}, headers=auth)
        assert r.status_code == 405, path
    r = c.post(f"{ROOT}/Things({w['Trạm Nhà Bè']})/name", json={"name": "x"}, headers=auth)
    assert r.status_code == 405


def test_link_to_existing_entities(
    sta_world: dict[str, Any], db: Database, settings: Settings
) -> None:
    """http://www.opengis.net/spec/iot_sensing/1.1/req/create-update-delete/link-to-existing-entities

    New entities link to existing ones by their ids in the body; a link to an entity that
    does not exist fails the request and creates nothing."""
    c, w, auth = client(db, settings), sta_world, sta_world["auth"]
    body = {
        "Datastream": {"@iot.id": w["PM2.5 Nhà Bè"]},
        "FeatureOfInterest": {"@iot.id": w["area"]},
        "phenomenonTime": "2026-03-03T00:00:00+07:00",
        "result": 124,
    }
    obs = c.post(f"{ROOT}/Observations", json=body, headers=auth).json()
    assert (
        c.get(f"{ROOT}/Observations({obs['@iot.id']})/Datastream").json()["name"] == "PM2.5 Nhà Bè"
    )
    assert (
        c.get(f"{ROOT}/Observations({obs['@iot.id']})/FeatureOfInterest").json()["@iot.id"]
        == w["area"]
    )
    thing = {"name": "T", "description": "D", "Locations": [{"@iot.id": w["loc:Hồ Gươm"]}]}
    made = c.post(f"{ROOT}/Things", json=thing, headers=auth).json()
    locs = c.get(f"{ROOT}/Things({made['@iot.id']})/Locations").json()["value"]
    assert [loc["@iot.id"] for loc in locs] == [w["loc:Hồ Gươm"]]
    # A linked entity written out in full (as clients that read it back send it) is a link.
    full = c.get(f"{ROOT}/Things({w['Trạm Hoàn Kiếm']})").json()
    made = c.post(f"{ROOT}/Datastreams", json=_new_stream(w, Thing=full), headers=auth)
    assert made.status_code == 201, made.text
    assert _count(c, "Things") == 4
    # An id alone, posted to a link, links that entity.
    nb = f"Things({w['Trạm Nhà Bè']})/Locations"
    r = c.post(f"{ROOT}/{nb}", json={"@iot.id": w["loc:Hồ Gươm"]}, headers=auth)
    assert r.status_code == 201 and r.json()["@iot.id"] == w["loc:Hồ Gươm"]
    assert sorted(loc["name"] for loc in c.get(f"{ROOT}/{nb}").json()["value"]) == [
        "Chợ Nhà Bè",
        "Hồ Gươm",
    ]
    before = _counts(c)
    r = c.post(f"{ROOT}/Locations", json={"@iot.id": w["loc:Hồ Gươm"]}, headers=auth)
    assert r.status_code == 400
    for missing in (
        {**body, "Datastream": {"@iot.id": 987654}},
        {**body, "FeatureOfInterest": {"@iot.id": 987654}},
        _new_stream(w, Thing={"@iot.id": 987654}),
    ):
        path = "Observations" if "result" in missing else "Datastreams"
        r = c.post(f"{ROOT}/{path}", json=missing, headers=auth)
        assert r.status_code in (400, 404), r.text
    assert _counts(c) == before


def test_deep_insert(sta_world: dict[str, Any], db: Database, settings: Settings) -> None:
    """http://www.opengis.net/spec/iot_sensing/1.1/req/create-update-delete/deep-insert

    One request creates an entity with related new entities, all linked (the standard's
    example: a Thing with its Location, a Datastream with its Sensor, ObservedProperty and
    an Observation of a new FeatureOfInterest); server-computed values given inline are
    ignored."""
    c, auth = client(db, settings), sta_world["auth"]
    before = _counts(c)
    oven = {
        "@iot.id": 424242,
        "name": "oven",
        "description": "This is an oven with a temperature datastream.",
        "Locations": [location("CCIT", 10, 10)],
        "Datastreams": [
            {
                "name": "oven temperature",
                "description": "The oven's internal temperature.",
                "unitOfMeasurement": {
                    "name": "degree Celsius",
                    "symbol": "°C",
                    "definition": "ucum:Cel",
                },
                "observationType": OM + "OM_Measurement",
                "observedArea": {
                    "type": "Polygon",
                    "coordinates": [[[100, 0], [101, 0], [101, 1], [100, 0]]],
                },
                "phenomenonTime": "2009-01-11T16:22:25.00Z/2011-08-21T08:32:10.00Z",
                "Observations": [
                    {
                        "phenomenonTime": "2012-06-26T03:42:02-06:00",
                        "result": 70.4,
                        "FeatureOfInterest": {
                            "name": "CCIT #361",
                            "description": "Noah's dad's office",
                            "encodingType": GEOJSON,
                            "feature": {"type": "Feature", "geometry": point(100, 50)},
                        },
                    }
                ],
                "ObservedProperty": {
                    "name": "DewPoint Temperature",
                    "definition": "http://sweet.jpl.nasa.gov/ontology/property.owl#DewPointTemperature",
                    "description": "The temperature at which dew forms.",
                },
                "Sensor": sensor("DS18B20"),
            }
        ],
    }
    r = c.post(f"{ROOT}/Things", json=oven, headers=auth)
    assert r.status_code == 201, r.text
    thing = r.json()["@iot.id"]
    assert thing != 424242
    after = _counts(c)
    grown = {k: after[k] - before[k] for k in after}
    assert grown == {
        "Things": 1, "Locations": 1, "HistoricalLocations": 1, "Datastreams": 1, "Sensors": 1,
        "ObservedProperties": 1, "Observations": 1, "FeaturesOfInterest": 1,
    }  # fmt: skip
    expand = "Locations,Datastreams($expand=Sensor,ObservedProperty,Observations/FeatureOfInterest)"
    got = c.get(f"{ROOT}/Things({thing})", params={"$expand": expand}).json()
    ds = got["Datastreams"][0]
    assert got["Locations"][0]["name"] == "CCIT" and ds["Sensor"]["name"] == "DS18B20"
    assert ds["ObservedProperty"]["name"] == "DewPoint Temperature"
    assert ds["Observations"][0]["FeatureOfInterest"]["name"] == "CCIT #361"
    assert ds["Observations"][0]["phenomenonTime"] == "2012-06-26T09:42:02Z"
    # phenomenonTime of the Datastream is the server's: that of its one Observation.
    assert ds["phenomenonTime"].startswith("2012-06-26T09:42:02Z") and "observedArea" not in ds


def test_deep_insert_status_code(
    sta_world: dict[str, Any], db: Database, settings: Settings
) -> None:
    """http://www.opengis.net/spec/iot_sensing/1.1/req/create-update-delete/deep-insert-status-code

    A deep insert that succeeds answers 201 Created with the Location of the new entity;
    one that fails anywhere answers an error (400 for a bad body, 404 for a link to
    nothing) and none of its entities is created."""
    c, w, auth = client(db, settings), sta_world, sta_world["auth"]
    before = _counts(c)
    bad_bodies = [
        # The Datastream has no Sensor.
        {
            "name": "Office",
            "description": "Office Building",
            "Locations": [location("West Roof", -117.05, 51.05)],
            "Datastreams": [{k: v for k, v in _new_stream(w).items() if k != "Sensor"}],
        },
        # The Observation's new FeatureOfInterest has no encodingType.
        {
            "name": "Office",
            "description": "Office Building",
            "Datastreams": [
                _new_stream(
                    w,
                    Observations=[
                        {
                            "result": 1,
                            "FeatureOfInterest": {
                                "name": "F",
                                "description": "D",
                                "feature": point(1, 1),
                            },
                        }
                    ],
                )
            ],
        },
        # The result does not match the observationType.
        {
            "name": "Office",
            "description": "D",
            "Datastreams": [_new_stream(w, Observations=[{"result": "cao"}])],
        },
        # A link to a Sensor that does not exist.
        {
            "name": "Office",
            "description": "D",
            "Datastreams": [_new_stream(w, Sensor={"@iot.id": 987654})],
        },
    ]
    for body in bad_bodies:
        r = c.post(f"{ROOT}/Things", json=body, headers=auth)
        assert r.status_code in (400, 404), r.text
        assert _counts(c) == before
    # The path says one Thing, the body another: refused.
    r = c.post(
        f"{ROOT}/Things({w['Trạm Nhà Bè']})/Datastreams",
        json=_new_stream(w, Thing={"@iot.id": w["Trạm Hoàn Kiếm"]}),
        headers=auth,
    )
    assert r.status_code == 400
    r = c.post(
        f"{ROOT}/Things({w['Trạm Nhà Bè']})/Datastreams",
        json=_new_stream(w, Thing={"@iot.id": w["Trạm Nhà Bè"]}),
        headers=auth,
    )
    assert r.status_code == 201 and r.headers["location"].startswith(f"{BASE}/Datastreams(")


def test_update_entity(sta_world: dict[str, Any], db: Database, settings: Settings) -> None:
    """http://www.opengis.net/spec/iot_sensing/1.1/req/create-update-delete/update-entity

    PATCH replaces the properties given and leaves the others; an id in the body is
    ignored; a link to one entity replaces the relation; the answer is 200 OK; an entity
    that does not exist fails with 404; a collection cannot be patched (405)."""
    c, w, auth = client(db, settings), sta_world, sta_world["auth"]
    url = f"{ROOT}/Datastreams({w['PM2.5 Nhà Bè']})"
    old = c.get(url).json()
    body = {
        "@iot.id": 5,
        "description": "Bụi mịn, trạm giá rẻ",
        "Sensor": {"@iot.id": w["Nhiệt kế"]},
    }
    r = c.patch(url, json=body, headers=auth)
    assert r.status_code == 200, r.text
    new = c.get(url).json()
    assert new["description"] == "Bụi mịn, trạm giá rẻ" and new["@iot.id"] == old["@iot.id"]
    assert {k: v for k, v in new.items() if k != "description"} == {
        k: v for k, v in old.items() if k != "description"
    }
    assert c.get(f"{url}/Sensor").json()["name"] == "Nhiệt kế"
    nested = f"{ROOT}/Things({w['Trạm Nhà Bè']})/Datastreams({w['PM2.5 Nhà Bè']})"
    assert c.patch(nested, json={"name": "PM2.5 NB"}, headers=auth).status_code == 200
    wrong = f"{ROOT}/Things({w['Trạm Hoàn Kiếm']})/Datastreams({w['PM2.5 Nhà Bè']})"
    assert c.patch(wrong, json={"name": "X"}, headers=auth).status_code == 404
    assert c.get(url).json()["name"] == "PM2.5 NB"
    assert c.patch(f"{ROOT}/Things(987654)", json={"name": "X"}, headers=auth).status_code == 404
    assert c.patch(f"{ROOT}/Things", json={"name": "X"}, headers=auth).status_code == 405


def test_update_entity_put(sta_world: dict[str, Any], db: Database, settings: Settings) -> None:
    """http://www.opengis.net/spec/iot_sensing/1.1/req/create-update-delete/update-entity-put

    PUT replaces every property by the body's: optional ones left out become null, a
    mandatory one left out is 400; relations stay."""
    c, w, auth = client(db, settings), sta_world, sta_world["auth"]
    url = f"{ROOT}/Things({w['Trạm Nhà Bè']})"
    r = c.put(url, json={"name": "Trạm Nhà Bè 2", "description": "Đã thay"}, headers=auth)
    assert r.status_code == 200, r.text
    thing = c.get(url).json()
    assert (thing["name"], thing["description"]) == ("Trạm Nhà Bè 2", "Đã thay")
    assert "properties" not in thing and c.get(f"{url}/properties").status_code == 204
    assert _count(c, f"Things({w['Trạm Nhà Bè']})/Datastreams") == 2
    r = c.put(url, json={"description": "Không tên"}, headers=auth)
    assert r.status_code == 400 and c.get(url).json()["description"] == "Đã thay"
    obs = w["obs:PM2.5 Hoàn Kiếm"][1]
    put = {"result": 21, "phenomenonTime": "2026-03-01T01:00:00Z"}
    assert c.put(f"{ROOT}/Observations({obs})", json=put, headers=auth).status_code == 200
    after = c.get(f"{ROOT}/Observations({obs})").json()
    assert after["result"] == 21 and "parameters" not in after
    assert (
        c.put(
            f"{ROOT}/Things(987654)", json={"name": "a", "description": "b"}, headers=auth
        ).status_code
        == 404
    )


def test_update_entity_jsonpatch(
    sta_world: dict[str, Any], db: Database, settings: Settings
) -> None:
    """http://www.opengis.net/spec/iot_sensing/1.1/req/create-update-delete/update-entity-jsonpatch

    PATCH with ``application/json-patch+json`` applies the RFC 6902 operations in order;
    a failing ``test`` changes nothing."""
    c, w, auth = client(db, settings), sta_world, sta_world["auth"]
    url = f"{ROOT}/Things({w['Trạm Hoàn Kiếm']})"
    headers = {**auth, "Content-Type": "application/json-patch+json"}
    ops = [
        {"op": "test", "path": "/properties/floors", "value": 3},
        {"op": "add", "path": "/properties/ward", "value": "phường Hoàn Kiếm"},
        {"op": "replace", "path": "/description", "value": "Trạm chuẩn"},
        {"op": "copy", "from": "/properties/owner", "path": "/properties/operator"},
        {"op": "move", "from": "/properties/floors", "path": "/properties/storeys"},
        {"op": "remove", "path": "/properties/owner"},
    ]
    r = c.patch(url, content=orjson.dumps(ops), headers=headers)
    assert r.status_code == 200, r.text
    thing = c.get(url).json()
    assert thing["description"] == "Trạm chuẩn"
    assert thing["properties"] == {
        "ward": "phường Hoàn Kiếm",
        "operator": "Sở Nông nghiệp và Môi trường",
        "storeys": 3,
    }
    failing = [
        {"op": "replace", "path": "/name", "value": "X"},
        {"op": "test", "path": "/description", "value": "khác"},
    ]
    assert c.patch(url, content=orjson.dumps(failing), headers=headers).status_code == 409
    assert c.get(url).json()["name"] == "Trạm Hoàn Kiếm"


def test_delete_entity(sta_world: dict[str, Any], db: Database, settings: Settings) -> None:
    """http://www.opengis.net/spec/iot_sensing/1.1/req/create-update-delete/delete-entity

    DELETE removes the entity and its relations, and what the integrity constraints
    require: a Thing's Datastreams (and their Observations) and HistoricalLocations, a
    Location's HistoricalLocations, a Datastream's, a FeatureOfInterest's Observations, a
    Sensor's or an ObservedProperty's Datastreams. Deleting nothing is 404."""
    c, w, auth = client(db, settings), sta_world, sta_world["auth"]

    def gone(path: str) -> None:
        assert c.delete(f"{ROOT}/{path}", headers=auth).status_code == 200, path
        assert c.get(f"{ROOT}/{path}").status_code == 404, path

    before = _counts(c)
    gone(f"Observations({w['obs:PM2.5 Hoàn Kiếm'][0]})")
    gone(f"FeaturesOfInterest({w['area']})")
    assert _count(c, "Observations") == before["Observations"] - 3
    gone(f"Datastreams({w['PM2.5 Nhà Bè']})")
    assert _count(c, "Observations") == before["Observations"] - 6
    gone(f"Sensors({w['Nhiệt kế']})")
    assert c.get(f"{ROOT}/Datastreams({w['Nhiệt độ Hoàn Kiếm']})").status_code == 404
    gone(f"ObservedProperties({w['Chất lượng']})")
    assert c.get(f"{ROOT}/Datastreams({w['Chất lượng Nhà Bè']})").status_code == 404
    gone(f"Locations({w['loc:Chợ Nhà Bè']})")
    assert _count(c, f"Things({w['Trạm Nhà Bè']})/HistoricalLocations") == 0
    assert _count(c, f"Things({w['Trạm Nhà Bè']})/Locations") == 0
    gone(f"Things({w['Trạm Hoàn Kiếm']})")
    assert c.get(f"{ROOT}/Datastreams({w['PM2.5 Hoàn Kiếm']})").status_code == 404
    assert _count(c, "HistoricalLocations") == 0
    assert _count(c, "Observations") == 0
    # Locations, Sensors and ObservedProperties shared with others stay.
    assert c.get(f"{ROOT}/Locations({w['loc:Hồ Gươm']})").status_code == 200
    assert c.get(f"{ROOT}/Sensors({w['Quang học']})").status_code == 200
    assert c.delete(f"{ROOT}/Things({w['Trạm Hoàn Kiếm']})", headers=auth).status_code == 404
    assert c.delete(f"{ROOT}/Things", headers=auth).status_code == 405


def test_historical_location_auto_creation(
    sta_world: dict[str, Any], db: Database, settings: Settings
) -> None:
    """http://www.opengis.net/spec/iot_sensing/1.1/req/create-update-delete/historical-location-auto-creation

    When a Thing gets new Locations (created with it, posted to it, or set by an update),
    the service creates a HistoricalLocation of the Thing with those Locations."""
    c, w, auth = client(db, settings), sta_world, sta_world["auth"]
    thing = f"Things({w['Trạm Nhà Bè']})"

    def latest() -> list[str]:
        q = {"$orderby": "time desc", "$top": "1", "$expand": "Locations"}
        newest = c.get(f"{ROOT}/{thing}/HistoricalLocations", params=q).json()["value"][0]
        return sorted(loc["name"] for loc in newest["Locations"])

    assert latest() == ["Chợ Nhà Bè"] and _count(c, f"{thing}/HistoricalLocations") == 1
    r = c.post(
        f"{ROOT}/{thing}/Locations", json=location("Cầu Phước Long", 106.74, 10.70), headers=auth
    )
    assert r.status_code == 201
    assert _count(c, f"{thing}/HistoricalLocations") == 2 and latest() == ["Cầu Phước Long"]
    body = {"Locations": [{"@iot.id": w["loc:Chợ Nhà Bè"]}, location("Bến phà", 106.75, 10.69)]}
    assert c.patch(f"{ROOT}/{thing}", json=body, headers=auth).status_code == 200
    assert latest() == ["Bến phà", "Chợ Nhà Bè"]
    assert sorted(loc["name"] for loc in c.get(f"{ROOT}/{thing}/Locations").json()["value"]) == [
        "Bến phà",
        "Chợ Nhà Bè",
    ]
    assert _count(c, f"{thing}/HistoricalLocations") == 3


def test_historical_location_manual_creation(
    sta_world: dict[str, Any], db: Database, settings: Settings
) -> None:
    """http://www.opengis.net/spec/iot_sensing/1.1/req/create-update-delete/historical-location-manual-creation

    A client may create a HistoricalLocation with its Thing and Locations: if it is the
    Thing's latest, the Thing's Locations become its Locations; an earlier one only records
    the past. No other HistoricalLocation is made for it."""
    c, w, auth = client(db, settings), sta_world, sta_world["auth"]
    thing = w["Trạm Nhà Bè"]
    far = c.post(f"{ROOT}/Locations", json=location("Cần Giờ", 106.95, 10.41), headers=auth).json()
    history = _count(c, f"Things({thing})/HistoricalLocations")
    past = {
        "time": "2020-01-01T00:00:00Z",
        "Thing": {"@iot.id": thing},
        "Locations": [{"@iot.id": far["@iot.id"]}],
    }
    assert c.post(f"{ROOT}/HistoricalLocations", json=past, headers=auth).status_code == 201
    names = [loc["name"] for loc in c.get(f"{ROOT}/Things({thing})/Locations").json()["value"]]
    assert names == ["Chợ Nhà Bè"]
    future = {
        "time": "2099-01-01T00:00:00Z",
        "Locations": [location("Phú Xuân", 106.76, 10.68)],
    }
    r = c.post(f"{ROOT}/Things({thing})/HistoricalLocations", json=future, headers=auth)
    assert r.status_code == 201, r.text
    names = [loc["name"] for loc in c.get(f"{ROOT}/Things({thing})/Locations").json()["value"]]
    assert names == ["Phú Xuân"]
    assert _count(c, f"Things({thing})/HistoricalLocations") == history + 2
    r = c.post(
        f"{ROOT}/HistoricalLocations",
        json={"time": "2021-01-01T00:00:00Z", "Thing": {"@iot.id": thing}},
        headers=auth,
    )
    assert r.status_code == 400
