"""Updating and deleting SensorThings entities (requirements ``update-entity``,
``update-entity-put``, ``update-entity-jsonpatch``, ``delete-entity``,
``historical-location-auto-creation``), both backends."""

from __future__ import annotations

from typing import Any

import orjson
from sta_client import ROOT, sta_client, thing

from dothi.config import Settings
from dothi.db.engine import Database


def _station(client: Any, auth: dict[str, str]) -> tuple[int, int]:
    tid = client.post(f"{ROOT}/Things", json=thing(), headers=auth).json()["@iot.id"]
    dsid = client.get(f"{ROOT}/Things({tid})/Datastreams").json()["value"][0]["@iot.id"]
    return tid, dsid


def test_patch_merges_put_replaces_json_patch_edits(db: Database, settings: Settings) -> None:
    client, auth = sta_client(db, settings)
    tid, _ = _station(client, auth)
    r = client.patch(f"{ROOT}/Things({tid})", json={"description": "Đã di dời"}, headers=auth)
    assert r.status_code == 200, r.text
    t = client.get(f"{ROOT}/Things({tid})").json()
    assert t["description"] == "Đã di dời" and t["name"] == "Trạm quan trắc Hoàn Kiếm"
    assert t["properties"] == {"owner": "Sở Nông nghiệp và Môi trường"}
    ops = [
        {"op": "add", "path": "/properties/ward", "value": "phường Hoàn Kiếm"},
        {"op": "replace", "path": "/name", "value": "Trạm Hoàn Kiếm"},
        {"op": "test", "path": "/properties/owner", "value": "Sở Nông nghiệp và Môi trường"},
    ]
    r = client.patch(
        f"{ROOT}/Things({tid})",
        content=orjson.dumps(ops),
        headers={**auth, "Content-Type": "application/json-patch+json"},
    )
    assert r.status_code == 200, r.text
    t = client.get(f"{ROOT}/Things({tid})").json()
    assert t["name"] == "Trạm Hoàn Kiếm" and t["properties"]["ward"] == "phường Hoàn Kiếm"
    r = client.put(f"{ROOT}/Things({tid})", json={"name": "T", "description": "D"}, headers=auth)
    assert r.status_code == 200, r.text
    t = client.get(f"{ROOT}/Things({tid})").json()
    assert t["name"] == "T" and "properties" not in t


def test_new_locations_by_patch_make_a_historical_location(
    db: Database, settings: Settings
) -> None:
    client, auth = sta_client(db, settings)
    tid, _ = _station(client, auth)
    moved = {
        "Locations": [
            {
                "name": "Vị trí mới",
                "description": "Cổng chợ",
                "encodingType": "application/geo+json",
                "location": {"type": "Point", "coordinates": [105.85, 21.03]},
            }
        ]
    }
    assert client.patch(f"{ROOT}/Things({tid})", json=moved, headers=auth).status_code == 200
    locations = client.get(f"{ROOT}/Things({tid})/Locations").json()["value"]
    assert [loc["name"] for loc in locations] == ["Vị trí mới"]
    history = client.get(f"{ROOT}/Things({tid})/HistoricalLocations?$count=true").json()
    assert history["@iot.count"] == 2


def test_delete_cascades_as_the_standard_says(db: Database, settings: Settings) -> None:
    client, auth = sta_client(db, settings)
    tid, dsid = _station(client, auth)
    client.post(f"{ROOT}/Datastreams({dsid})/Observations", json={"result": 3}, headers=auth)
    assert client.delete(f"{ROOT}/Things({tid})", headers=auth).status_code == 200
    assert client.get(f"{ROOT}/Things({tid})").status_code == 404
    assert client.get(f"{ROOT}/Datastreams({dsid})").status_code == 404
    assert client.get(f"{ROOT}/Observations?$count=true").json()["@iot.count"] == 0
    # Sensors and ObservedProperties stay: other Datastreams may use them.
    assert client.get(f"{ROOT}/Sensors?$count=true").json()["@iot.count"] == 1
    assert client.delete(f"{ROOT}/Things({tid})", headers=auth).status_code == 404


def test_bad_updates_change_nothing(db: Database, settings: Settings) -> None:
    client, auth = sta_client(db, settings)
    tid, dsid = _station(client, auth)
    # A server-computed value (a Datastream's phenomenonTime) is ignored, not refused.
    for body in ({"name": 5}, {"colour": "red"}, {"unitOfMeasurement": "µg/m³"}):
        path = (
            f"{ROOT}/Datastreams({dsid})"
            if "unitOfMeasurement" in body
            else f"{ROOT}/Things({tid})"
        )
        assert client.patch(path, json=body, headers=auth).status_code == 400, body
    ops = [
        {"op": "replace", "path": "/name", "value": "X"},
        {"op": "test", "path": "/name", "value": "Y"},
    ]
    r = client.patch(
        f"{ROOT}/Things({tid})",
        content=orjson.dumps(ops),
        headers={**auth, "Content-Type": "application/json-patch+json"},
    )
    assert r.status_code == 409
    assert client.get(f"{ROOT}/Things({tid})/name/$value").text == "Trạm quan trắc Hoàn Kiếm"
    assert client.patch(f"{ROOT}/Things({tid})", json={"name": "X"}).status_code == 401
