"""Conformance class ``multi-datastream`` (OGC 18-088 §12): the MultiDatastream entity,
its relations, and the constraints between its ObservedProperties, units, data types and
the results of its Observations, on both backends."""

from __future__ import annotations

from typing import Any

import pytest
import sta_samples
from fastapi.testclient import TestClient
from sta_samples import CEL, OM, REQ, ROOT, UG, client

from dothi.config import Settings
from dothi.db.engine import Database

CONFORMANCE_CLASS = REQ + "multi-datastream"
world = sta_samples.sta_world
MANDATORY = {"name", "description", "unitOfMeasurements", "observationType"}
MANDATORY |= {"multiObservationDataTypes"}
OPTIONAL = {"observedArea", "phenomenonTime", "resultTime", "properties"}
TRUTH = {"name": None, "symbol": None, "definition": None}


def _multi(w: dict[str, Any], **changes: Any) -> dict[str, Any]:
    body = {
        "name": "Khí tượng",
        "description": "Nhiệt độ, bụi và mưa",
        "observationType": OM + "OM_ComplexObservation",
        "multiObservationDataTypes": [
            OM + "OM_Measurement",
            OM + "OM_Measurement",
            OM + "OM_TruthObservation",
        ],
        "unitOfMeasurements": [CEL, UG, TRUTH],
        "Thing": {"@iot.id": w["Trạm Hoàn Kiếm"]},
        "Sensor": {"@iot.id": w["Quang học"]},
        "ObservedProperties": [
            {"@iot.id": w["Nhiệt độ"]},
            {"@iot.id": w["PM2.5"]},
            {"name": "Mưa", "definition": "https://example.org/rain", "description": "Có mưa"},
        ],
    }
    body.update(changes)
    return body


def _count(c: TestClient, path: str) -> int:
    return int(c.get(f"{ROOT}/{path}", params={"$count": "true"}).json()["@iot.count"])


@pytest.mark.writes
def test_properties(sta_world: dict[str, Any], db: Database, settings: Settings) -> None:
    """http://www.opengis.net/spec/iot_sensing/1.1/req/multi-datastream/properties

    A MultiDatastream has its mandatory properties (name, description,
    unitOfMeasurements, observationType, multiObservationDataTypes) and may have the
    optional ones; each reads on its own; one lacking a mandatory property is refused."""
    c, w, auth = client(db, settings), sta_world, sta_world["auth"]
    r = c.post(f"{ROOT}/MultiDatastreams", json=_multi(w), headers=auth)
    assert r.status_code == 201, r.text
    for entity in c.get(f"{ROOT}/MultiDatastreams").json()["value"]:
        plain = {k for k in entity if "@" not in k}
        assert MANDATORY <= plain <= MANDATORY | OPTIONAL, plain
    made = r.json()
    assert made["unitOfMeasurements"] == [CEL, UG, TRUTH]
    for name in sorted(MANDATORY):
        got = c.get(f"{ROOT}/MultiDatastreams({made['@iot.id']})/{name}")
        assert got.json() == {name: made[name]}
        lacking = {k: v for k, v in _multi(w).items() if k != name}
        r = c.post(f"{ROOT}/MultiDatastreams", json=lacking, headers=auth, params={"lang": "en"})
        assert r.status_code == 400 and name in r.text, (name, r.text)
    assert _count(c, "MultiDatastreams") == 2
    phenomenon = c.get(f"{ROOT}/MultiDatastreams({w['Bụi và nhiệt']})/phenomenonTime").json()
    assert phenomenon["phenomenonTime"].startswith("2026-03-01T00:00:00Z")


@pytest.mark.writes
def test_relations(sta_world: dict[str, Any], db: Database, settings: Settings) -> None:
    """http://www.opengis.net/spec/iot_sensing/1.1/req/multi-datastream/relations

    A MultiDatastream links to one Thing, one Sensor, many ObservedProperties and many
    Observations, and each of those links back; its Thing, Sensor and ObservedProperties
    are mandatory."""
    c, w, auth = client(db, settings), sta_world, sta_world["auth"]
    multi = f"MultiDatastreams({w['Bụi và nhiệt']})"
    entity = c.get(f"{ROOT}/{multi}").json()
    links = {k.removesuffix("@iot.navigationLink") for k in entity if "navigationLink" in k}
    assert links == {"Thing", "Sensor", "ObservedProperties", "Observations"}
    assert c.get(f"{ROOT}/{multi}/Thing").json()["name"] == "Trạm Hoàn Kiếm"
    assert c.get(f"{ROOT}/{multi}/Sensor").json()["name"] == "Quang học"
    props = c.get(f"{ROOT}/{multi}/ObservedProperties").json()["value"]
    assert [p["name"] for p in props] == ["PM2.5", "Nhiệt độ"]
    (obs,) = c.get(f"{ROOT}/{multi}/Observations").json()["value"]
    assert obs["result"] == [12, 27] and "MultiDatastream@iot.navigationLink" in obs
    assert (
        c.get(f"{ROOT}/Observations({obs['@iot.id']})/MultiDatastream").json()["@iot.id"]
        == (w["Bụi và nhiệt"])
    )
    for back in (
        f"Things({w['Trạm Hoàn Kiếm']})/MultiDatastreams",
        f"Sensors({w['Quang học']})/MultiDatastreams",
        f"ObservedProperties({w['PM2.5']})/MultiDatastreams",
    ):
        assert [m["name"] for m in c.get(f"{ROOT}/{back}").json()["value"]] == ["Bụi và nhiệt"]
    for name in ("Thing", "Sensor", "ObservedProperties"):
        lacking = {k: v for k, v in _multi(w).items() if k != name}
        r = c.post(f"{ROOT}/MultiDatastreams", json=lacking, headers=auth, params={"lang": "en"})
        assert r.status_code == 400 and name in r.text, (name, r.text)
    assert _count(c, "MultiDatastreams") == 1


@pytest.mark.writes
def test_constraints(sta_world: dict[str, Any], db: Database, settings: Settings) -> None:
    """http://www.opengis.net/spec/iot_sensing/1.1/req/multi-datastream/constraints

    unitOfMeasurements, multiObservationDataTypes, the ObservedProperties and every
    result have one size and one order (a component without a unit has null values); the
    observationType is OM_ComplexObservation."""
    c, w, auth = client(db, settings), sta_world, sta_world["auth"]
    made = c.post(f"{ROOT}/MultiDatastreams", json=_multi(w), headers=auth)
    assert made.status_code == 201, made.text
    mid = made.json()["@iot.id"]
    # The order given is the order kept, whatever the ids.
    props = c.get(f"{ROOT}/MultiDatastreams({mid})/ObservedProperties").json()["value"]
    assert [p["name"] for p in props] == ["Nhiệt độ", "PM2.5", "Mưa"]
    expanded = c.get(f"{ROOT}/MultiDatastreams({mid})", params={"$expand": "ObservedProperties"})
    assert [p["name"] for p in expanded.json()["ObservedProperties"]] == [
        "Nhiệt độ",
        "PM2.5",
        "Mưa",
    ]
    before = _count(c, "MultiDatastreams")
    for bad in (
        _multi(w, unitOfMeasurements=[CEL, UG]),
        _multi(w, multiObservationDataTypes=[OM + "OM_Measurement"] * 4),
        _multi(w, ObservedProperties=[{"@iot.id": w["PM2.5"]}]),
        _multi(w, observationType=OM + "OM_Measurement"),
        _multi(w, multiObservationDataTypes=[OM + "OM_Measurement", OM + "OM_Measurement", "rain"]),
        _multi(w, unitOfMeasurements=[CEL, UG, "none"]),
    ):
        r = c.post(f"{ROOT}/MultiDatastreams", json=bad, headers=auth)
        assert r.status_code == 400, r.text
    assert _count(c, "MultiDatastreams") == before
    obs = f"{ROOT}/MultiDatastreams({mid})/Observations"
    assert c.post(obs, json={"result": [30.5, 41, True]}, headers=auth).status_code == 201
    for result in ([30.5, 41], [30.5, 41, True, 1], [30.5, "cao", True], 30.5):
        assert c.post(obs, json={"result": result}, headers=auth).status_code == 400, result
    assert _count(c, f"MultiDatastreams({mid})/Observations") == 1
    # Updates keep the sizes in step too.
    r = c.patch(f"{ROOT}/MultiDatastreams({mid})", json={"unitOfMeasurements": [CEL]}, headers=auth)
    assert r.status_code == 400
    extra = {"name": "Gió", "definition": "https://example.org/wind", "description": "Gió"}
    r = c.post(f"{ROOT}/MultiDatastreams({mid})/ObservedProperties", json=extra, headers=auth)
    assert r.status_code == 400
    assert c.get(f"{ROOT}/MultiDatastreams({mid})/unitOfMeasurements").json() == {
        "unitOfMeasurements": [CEL, UG, TRUTH]
    }
