"""SensorThings API Part 2 – Tasking Core 1.0 (OGC 17-079) over HTTP: the
TaskingCapability, Task and Actuator entities, their relations, and creating Tasks, on
both backends (creating Tasks over MQTT and receiving them: the MQTT tests)."""

from __future__ import annotations

from typing import Any

import pytest
import sta_samples
from fastapi.testclient import TestClient
from sta_samples import ROOT, TASKING, client

from dothi.config import Settings
from dothi.db.engine import Database

CONFORMANCE_CLASSES = (
    TASKING + "tasking-capability",
    TASKING + "task",
    TASKING + "actuator",
    TASKING + "create-tasks",
)
world = sta_samples.sta_world
pytestmark = pytest.mark.writes
#: (mandatory, optional) properties and relations (17-079 Tables 1–6).
PROPERTIES = {
    "TaskingCapabilities": ({"name", "description", "taskingParameters"}, {"properties"}),
    "Tasks": ({"creationTime", "taskingParameters"}, set()),
    "Actuators": ({"name", "description", "encodingType", "metadata"}, {"properties"}),
}
RELATIONS = {
    "TaskingCapabilities": {"Thing", "Actuator", "Tasks"},
    "Tasks": {"TaskingCapability"},
    "Actuators": {"TaskingCapabilities"},
}
#: The relation that leads back from the related entity.
BACK = {
    ("TaskingCapabilities", "Thing"): "TaskingCapabilities",
    ("TaskingCapabilities", "Actuator"): "TaskingCapabilities",
    ("TaskingCapabilities", "Tasks"): "TaskingCapability",
    ("Tasks", "TaskingCapability"): "Tasks",
    ("Actuators", "TaskingCapabilities"): "Actuator",
}
REQUIREMENT = {
    "TaskingCapabilities": "tasking-capability",
    "Tasks": "task",
    "Actuators": "actuator",
}


def _bodies(w: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        "TaskingCapabilities": {
            "name": "Bật tắt bơm",
            "description": "Bơm thoát nước",
            "taskingParameters": {
                "type": "DataRecord",
                "field": [
                    {"name": "state", "type": "Category", "constraint": {"value": ["on", "off"]}}
                ],
            },
            "Thing": {"@iot.id": w["Đèn đường 17"]},
            "Actuator": {"@iot.id": w["Bộ điều khiển đèn"]},
        },
        "Tasks": {
            "taskingParameters": {"brightness": 80},
            "TaskingCapability": {"@iot.id": w["Điều chỉnh độ sáng"]},
        },
        "Actuators": {
            "name": "Rơ-le bơm",
            "description": "Rơ-le 24 V",
            "encodingType": "application/pdf",
            "metadata": "https://example.org/relay.pdf",
        },
    }


def _names(entity: dict[str, Any]) -> tuple[set[str], set[str]]:
    plain = {k for k in entity if "@" not in k}
    links = {k.removesuffix("@iot.navigationLink") for k in entity if "navigationLink" in k}
    return plain, links


def _check_entities(c: TestClient, entity_set: str) -> int:
    mandatory, optional = PROPERTIES[entity_set]
    entities = c.get(f"{ROOT}/{entity_set}").json()["value"]
    assert entities
    for entity in entities:
        plain, links = _names(entity)
        assert mandatory <= plain <= mandatory | optional, (entity_set, plain)
        assert links == RELATIONS[entity_set], (entity_set, links)
    return int(entities[0]["@iot.id"])


@pytest.mark.parametrize("entity_set", list(PROPERTIES), ids=REQUIREMENT.get)
def test_properties(
    sta_world: dict[str, Any], db: Database, settings: Settings, entity_set: str
) -> None:
    """http://www.opengis.net/spec/iot_tasking/1.0/req/{tasking-capability,task,actuator}/properties

    Each entity has the mandatory properties of its table and may have the optional
    ones; each reads on its own; one created without a mandatory property is refused
    (a Task's creationTime is the service's to set)."""
    c, auth = client(db, settings), sta_world["auth"]
    first = _check_entities(c, entity_set)
    mandatory, _ = PROPERTIES[entity_set]
    for name in sorted(mandatory):
        assert list(c.get(f"{ROOT}/{entity_set}({first})/{name}").json()) == [name]
    body = _bodies(sta_world)[entity_set]
    for name in sorted(mandatory - {"creationTime"}):
        lacking = {k: v for k, v in body.items() if k != name}
        r = c.post(f"{ROOT}/{entity_set}", json=lacking, headers=auth, params={"lang": "en"})
        assert r.status_code == 400 and name in r.text, (name, r.text)
    r = c.post(f"{ROOT}/{entity_set}", json=body, headers=auth)
    assert r.status_code == 201, r.text
    assert mandatory <= set(r.json())


@pytest.mark.parametrize("entity_set", list(RELATIONS), ids=REQUIREMENT.get)
def test_relations(
    sta_world: dict[str, Any], db: Database, settings: Settings, entity_set: str
) -> None:
    """http://www.opengis.net/spec/iot_tasking/1.0/req/{tasking-capability,task,actuator}/relations

    A TaskingCapability belongs to one Thing and one Actuator and has Tasks; a Task
    belongs to one TaskingCapability; an Actuator has TaskingCapabilities; each relates
    back, and a Thing lists its TaskingCapabilities. The mandatory ones are required."""
    c, w, auth = client(db, settings), sta_world, sta_world["auth"]
    first = _check_entities(c, entity_set)
    for name in sorted(RELATIONS[entity_set]):
        r = c.get(f"{ROOT}/{entity_set}({first})/{name}")
        assert r.status_code == 200, name
        related = r.json()["value"] if name.endswith("s") else [r.json()]
        assert related, name
        for entity in related:
            back = entity[f"{BACK[entity_set, name]}@iot.navigationLink"]
            mine = c.get(back.removeprefix("http://testserver")).json()
            ids = [e["@iot.id"] for e in mine["value"]] if "value" in mine else [mine["@iot.id"]]
            assert first in ids, (entity_set, name)
    things = c.get(f"{ROOT}/Things({w['Đèn đường 17']})/TaskingCapabilities").json()["value"]
    assert [t["name"] for t in things] == ["Điều chỉnh độ sáng"]
    body = _bodies(w)[entity_set]
    for name in ("Thing", "Actuator", "TaskingCapability"):
        if name in body:
            lacking = {k: v for k, v in body.items() if k != name}
            r = c.post(f"{ROOT}/{entity_set}", json=lacking, headers=auth, params={"lang": "en"})
            assert r.status_code == 400 and name in r.text, (name, r.text)


def test_task_creation(sta_world: dict[str, Any], db: Database, settings: Settings) -> None:
    """http://www.opengis.net/spec/iot_tasking/1.0/req/create-tasks/task-creation

    A Task is created by POST to Tasks (linking its TaskingCapability) or to a
    TaskingCapability's Tasks: 201 Created with its Location; the service sets its
    creationTime; parameters the capability does not describe are refused."""
    c, w, auth = client(db, settings), sta_world, sta_world["auth"]
    capability = f"TaskingCapabilities({w['Điều chỉnh độ sáng']})"
    before = c.get(f"{ROOT}/{capability}/Tasks?$count=true").json()["@iot.count"]
    r = c.post(
        f"{ROOT}/{capability}/Tasks", json={"taskingParameters": {"brightness": 10}}, headers=auth
    )
    assert r.status_code == 201 and r.headers["location"] == r.json()["@iot.selfLink"]
    task = r.json()
    assert task["creationTime"].endswith("Z") and task["taskingParameters"] == {"brightness": 10}
    given = {"taskingParameters": {"brightness": 20}, "creationTime": "2000-01-01T00:00:00Z"}
    r = c.post(f"{ROOT}/{capability}/Tasks", json=given, headers=auth)
    assert r.status_code == 201 and not r.json()["creationTime"].startswith("2000")
    r = c.post(f"{ROOT}/Tasks", json=_bodies(w)["Tasks"], headers=auth)
    assert r.status_code == 201
    assert c.get(f"{ROOT}/Tasks({r.json()['@iot.id']})/TaskingCapability").json()["name"] == (
        "Điều chỉnh độ sáng"
    )
    for bad in ({"brightness": 140}, {"colour": "red"}, {"brightness": "sáng"}):
        r = c.post(f"{ROOT}/{capability}/Tasks", json={"taskingParameters": bad}, headers=auth)
        assert r.status_code == 400, bad
    newest = c.get(
        f"{ROOT}/{capability}/Tasks", params={"$orderby": "creationTime desc", "$count": "true"}
    ).json()
    assert newest["@iot.count"] == before + 3
    assert c.post(f"{ROOT}/{capability}/Tasks", json={"taskingParameters": {}}).status_code == 401
