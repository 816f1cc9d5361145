"""Creating and reading SensorThings entities over HTTP (OGC 18-088 requirements
``create-update-delete/create-entity``, ``deep-insert``, ``link-to-existing-entities``,
``historical-location-auto-creation``, ``resource-path/*``, ``datamodel/*``), both backends."""

from __future__ import annotations

import pytest
from sta_client import OM, ROOT, sta_client, thing

from dothi.config import Settings
from dothi.db.engine import Database


def test_deep_insert_then_read_every_path(db: Database, settings: Settings) -> None:
    client, auth = sta_client(db, settings)
    r = client.post(f"{ROOT}/Things", json=thing(), headers=auth)
    assert r.status_code == 201, r.text
    t = r.json()
    assert r.headers["location"] == t["@iot.selfLink"]
    assert t["@iot.selfLink"].endswith(f"{ROOT}/Things({t['@iot.id']})")
    assert t["name"] == "Trạm quan trắc Hoàn Kiếm"
    assert t["Datastreams@iot.navigationLink"].endswith(f"Things({t['@iot.id']})/Datastreams")
    tid = t["@iot.id"]
    ds = client.get(f"{ROOT}/Things({tid})/Datastreams").json()["value"]
    assert [d["name"] for d in ds] == ["PM2.5"]
    dsid = ds[0]["@iot.id"]
    assert client.get(f"{ROOT}/Datastreams({dsid})/Thing").json()["@iot.id"] == tid
    assert client.get(f"{ROOT}/Datastreams({dsid})/Sensor/name/$value").text == "Cảm biến quang học"
    assert client.get(f"{ROOT}/Datastreams({dsid})/unitOfMeasurement").json() == {
        "unitOfMeasurement": thing()["Datastreams"][0]["unitOfMeasurement"]
    }
    # The new Location of the Thing made a HistoricalLocation (auto-creation).
    hl = client.get(f"{ROOT}/Things({tid})/HistoricalLocations?$expand=Locations").json()
    assert len(hl["value"]) == 1 and hl["value"][0]["Locations"][0]["name"].startswith("Vị trí")
    refs = client.get(f"{ROOT}/Things/$ref").json()["value"]
    assert refs == [{"@iot.selfLink": t["@iot.selfLink"]}]
    assert client.get(f"{ROOT}/Things(999)").status_code == 404
    assert client.get(f"{ROOT}/Things({tid})/Nothing").status_code == 404


def test_observations_link_to_existing_and_get_a_generated_feature(
    db: Database, settings: Settings
) -> None:
    client, auth = sta_client(db, settings)
    tid = client.post(f"{ROOT}/Things", json=thing(), headers=auth).json()["@iot.id"]
    dsid = client.get(f"{ROOT}/Things({tid})/Datastreams").json()["value"][0]["@iot.id"]
    for n, value in enumerate([35.2, 41, 12.5]):
        obs = {"phenomenonTime": f"2026-12-06T0{n}:00:00+07:00", "result": value}
        r = client.post(f"{ROOT}/Datastreams({dsid})/Observations", json=obs, headers=auth)
        assert r.status_code == 201, r.text
    r = client.post(
        f"{ROOT}/Observations",
        json={
            "result": 7,
            "phenomenonTime": "2026-12-05T17:30:00Z",
            "Datastream": {"@iot.id": dsid},
        },
        headers=auth,
    )
    assert r.status_code == 201, r.text
    page = client.get(
        f"{ROOT}/Datastreams({dsid})/Observations?$orderby=phenomenonTime desc&$top=2&$count=true"
    ).json()
    assert page["@iot.count"] == 4
    assert [o["result"] for o in page["value"]] == [12.5, 41]
    assert page["value"][1]["phenomenonTime"] == "2026-12-05T18:00:00Z"
    assert "$skip=2" in page["@iot.nextLink"]
    # One FeatureOfInterest, made from the Thing's Location, shared by every observation.
    features = client.get(f"{ROOT}/FeaturesOfInterest?$expand=Observations($top=1)").json()
    assert len(features["value"]) == 1
    assert features["value"][0]["feature"] == {"type": "Point", "coordinates": [105.8522, 21.0287]}
    ds = client.get(f"{ROOT}/Datastreams({dsid})").json()
    assert ds["phenomenonTime"] == "2026-12-05T17:00:00Z/2026-12-05T19:00:00Z"


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ({"result": "high"}, 400, "observationType"),
        ({"result": 1, "phenomenonTime": "yesterday"}, 400, "ISO 8601"),
        ({"result": 1, "Datastream": {"@iot.id": 999}}, 404, "Datastream"),
        ({"result": 1, "colour": "red"}, 400, "colour"),
        ({"phenomenonTime": "2026-12-06T00:00:00Z"}, 400, "result"),
    ],
)
def test_bad_observations_are_refused_and_nothing_is_written(
    db: Database, settings: Settings, body: dict[str, object], status: int, words: str
) -> None:
    client, auth = sta_client(db, settings)
    tid = client.post(f"{ROOT}/Things", json=thing(), headers=auth).json()["@iot.id"]
    dsid = client.get(f"{ROOT}/Things({tid})/Datastreams").json()["value"][0]["@iot.id"]
    path = (
        f"{ROOT}/Observations"
        if "Datastream" in body
        else f"{ROOT}/Datastreams({dsid})/Observations"
    )
    r = client.post(path, json=body, headers=auth, params={"lang": "en"})
    assert r.status_code == status, r.text
    assert words in r.text
    assert client.get(f"{ROOT}/Observations?$count=true").json()["@iot.count"] == 0


def test_a_datastream_needs_its_links_and_writes_need_an_official(
    db: Database, settings: Settings
) -> None:
    client, auth = sta_client(db, settings)
    lone = {k: v for k, v in thing()["Datastreams"][0].items() if k != "Sensor"}
    r = client.post(f"{ROOT}/Datastreams", json=lone, headers=auth)
    assert r.status_code == 400 and "Thing" in r.text and "Sensor" in r.text
    assert client.post(f"{ROOT}/Things", json=thing()).status_code == 401
    assert client.get(f"{ROOT}/Sensors?$count=true").json()["@iot.count"] == 0
    assert OM in lone["observationType"]


def test_landing_page_lists_every_set_and_the_conformance(db: Database, settings: Settings) -> None:
    client, _ = sta_client(db, settings)
    root = client.get(ROOT).json()
    names = [v["name"] for v in root["value"]]
    assert names[:3] == ["Things", "Locations", "HistoricalLocations"]
    assert {"TaskingCapabilities", "Tasks", "Actuators", "MultiDatastreams"} <= set(names)
    assert all(v["url"].endswith(f"{ROOT}/{v['name']}") for v in root["value"])
    assert (
        "http://www.opengis.net/spec/iot_sensing/1.1/req/datamodel"
        in root["serverSettings"]["conformance"]
    )
