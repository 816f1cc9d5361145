"""Receiving updates over MQTT (``receive-updates-via-mqtt/receive-updates``) and Tasking
(``create-tasks/task-creation``, ``create-tasks-via-mqtt/task-creation``,
``receive-updates-via-mqtt/receive-updated``): the server publishes after each commit,
``$select`` variants included, and a task created over HTTP or MQTT reaches the device."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from mqtt_broker import Collector, as_user, wait_until
from sta_client import OM, ROOT, sta_client, thing

from dothi.config import Settings
from dothi.db.engine import Database
from dothi.sensors import devices
from dothi.sensors.ingest import Ingest, Outcome
from dothi.sensors.mqtt.client import connect, new_client
from dothi.sensors.mqtt.local import LocalBroker
from dothi.sensors.mqtt.settings import Broker
from dothi.sensors.mqtt.subscriber import Subscriber
from dothi.sensors.mqtt.topics import tasks_topic
from dothi.sensors.sta.model import BY_NAME
from dothi.sensors.updates import Updates

pytest_plugins = ["mqtt_broker"]
_TASKING = "http://www.opengis.net/spec/iot_tasking/1.0/req/"
CONFORMANCE_CLASSES = (
    "http://www.opengis.net/spec/iot_sensing/1.1/req/receive-updates-via-mqtt/receive-updates",
    _TASKING + "create-tasks-via-mqtt",
    _TASKING + "receive-updates-via-mqtt",
)
BASE = "http://dothi.test/sta/v1.1"


@pytest.fixture
def live(
    db: Database, settings: Settings, server: Broker
) -> Iterator[tuple[TestClient, dict[str, str], Updates]]:
    """The app with its MQTT updates on the test broker."""
    client, auth = sta_client(db, settings)
    updates = Updates(server, BASE).start()
    client.app.state.sensors_updates = updates  # type: ignore[attr-defined]
    try:
        yield client, auth, updates
    finally:
        updates.stop()


def _json(payloads: list[bytes]) -> list[Any]:
    return [json.loads(p) for p in payloads]


def test_subscribers_receive_what_is_committed(
    live: tuple[TestClient, dict[str, str], Updates], server: Broker
) -> None:
    """http://www.opengis.net/spec/iot_sensing/1.1/req/receive-updates-via-mqtt/receive-updates

    Entity sets, a set through a link, a property and a $select variant receive what is
    committed; the landing page gives the broker for the MQTT classes."""
    client, auth, updates = live
    settings = client.get(ROOT).json()["serverSettings"]
    for cls in CONFORMANCE_CLASSES[:1]:
        assert cls in settings["conformance"]
        assert settings[cls]["endpoints"] == [f"mqtt://{server.host}:{server.port}"]
    tid = client.post(f"{ROOT}/Things", json=thing(), headers=auth).json()["@iot.id"]
    dsid = client.get(f"{ROOT}/Things({tid})/Datastreams").json()["value"][0]["@iot.id"]
    stream = f"v1.1/Datastreams({dsid})/Observations"
    variant = "v1.1/Observations?$select=result,phenomenonTime"
    name = f"v1.1/Things({tid})/name"
    with Collector(server, [stream, variant, name, "v1.1/Things"]) as sub:
        wait_until(lambda: updates.variants.of("v1.1/Observations"), what="the variant")
        obs = {"phenomenonTime": "2026-12-06T03:00:00Z", "result": 42.5}
        r = client.post(f"{ROOT}/Datastreams({dsid})/Observations", json=obs, headers=auth)
        assert r.status_code == 201
        client.patch(f"{ROOT}/Things({tid})", json={"name": "Trạm mới"}, headers=auth)
        client.post(f"{ROOT}/Things", json={"name": "T2", "description": "d"}, headers=auth)
        wait_until(
            lambda: (
                b'"T2"' in b"".join(sub.payloads("v1.1/Things"))
                and all(sub.payloads(t) for t in (stream, variant, name))
            ),
            what="the four updates",
        )
        full = _json(sub.payloads(stream))
        assert full[0]["result"] == 42.5 and full[0]["@iot.id"] == r.json()["@iot.id"]
        assert full[0]["@iot.selfLink"].startswith(BASE + "/Observations(")
        assert _json(sub.payloads(variant)) == [
            {"phenomenonTime": "2026-12-06T03:00:00Z", "result": 42.5}
        ]
        assert _json(sub.payloads(name)) == [{"name": "Trạm mới"}]
        # The station's own update may still have been on its way when the subscription
        # began (updates are queued, never awaited): the new Thing is the last one.
        names = [t["name"] for t in _json(sub.payloads("v1.1/Things"))]
        assert names[-1] == "T2" and set(names) <= {"T2", "Trạm quan trắc Hoàn Kiếm"}


def _streetlight() -> dict[str, Any]:
    light = thing("Nhóm đèn đường Lê Lợi", 106.7, 10.775)
    light["TaskingCapabilities"] = [
        {
            "name": "Điều chỉnh độ sáng",
            "description": "Đặt mức sáng của nhóm đèn",
            "taskingParameters": {
                "type": "DataRecord",
                "field": [
                    {
                        "name": "dim",
                        "type": "Quantity",
                        "label": "Mức sáng (%)",
                        "uom": {"code": "%"},
                        "constraint": {"interval": [0, 100]},
                    }
                ],
            },
            "Actuator": {
                "name": "Bộ điều khiển tủ điện",
                "description": "Bộ điều khiển chiếu sáng",
                "encodingType": "application/pdf",
                "metadata": "https://example.org/controller.pdf",
            },
        }
    ]
    light["Datastreams"][0]["observationType"] = OM + "OM_Measurement"
    return light


def test_a_task_reaches_the_device_over_http_and_over_mqtt(
    live: tuple[TestClient, dict[str, str], Updates],
    db: Database,
    mqtt_broker: LocalBroker,
    server: Broker,
) -> None:
    """http://www.opengis.net/spec/iot_tasking/1.0/req/{create-tasks-via-mqtt/task-creation,receive-updates-via-mqtt/receive-updated}

    A task created over HTTP and one published over MQTT both reach the device as stored
    tasks; a task outside the capability's parameters is refused either way."""
    client, auth, updates = live
    tid = client.post(f"{ROOT}/Things", json=_streetlight(), headers=auth).json()["@iot.id"]
    caps = client.get(f"{ROOT}/Things({tid})/TaskingCapabilities?$expand=Actuator").json()
    cap = caps["value"][0]
    assert cap["Actuator"]["name"] == "Bộ điều khiển tủ điện"
    with db.read() as conn:
        topics = devices.device_topics(conn, tid)
    device = as_user(mqtt_broker, devices.issue_credentials(mqtt_broker.admin, topics, tid))
    topic = tasks_topic(cap["@iot.id"])
    bad = client.post(
        f"{ROOT}/TaskingCapabilities({cap['@iot.id']})/Tasks",
        json={"taskingParameters": {"dim": 150}},
        headers=auth,
    )
    assert bad.status_code == 400 and "0–100" in bad.text

    def after(outcome: Outcome) -> None:
        updates.entities(db, [(BY_NAME["Task"], i) for i in outcome.tasks], created=True)

    ingest = Ingest(db, after)
    name = f"ingest-{uuid.uuid4().hex[:8]}"
    with (
        Collector(device, [topic]) as lamp,
        Subscriber(server, name, ["v1.1/+/Tasks"], ingest, batch_ms=20) as sub,
    ):
        sub.wait_subscribed()
        r = client.post(
            f"{ROOT}/TaskingCapabilities({cap['@iot.id']})/Tasks",
            json={"taskingParameters": {"dim": 40}},
            headers=auth,
        )
        assert r.status_code == 201, r.text
        operator = new_client(server, f"op-{uuid.uuid4().hex[:8]}")
        connect(operator, server)
        operator.loop_start()
        operator.publish(
            topic, json.dumps({"taskingParameters": {"dim": 0}}), qos=1
        ).wait_for_publish()
        operator.publish(
            topic, json.dumps({"taskingParameters": {"dim": "x"}}), qos=1
        ).wait_for_publish()
        operator.loop_stop()
        operator.disconnect()

        def stored() -> list[Any]:
            return [t for t in _json(lamp.payloads(topic)) if "@iot.id" in t]

        wait_until(lambda: len(stored()) == 2, what="both stored tasks at the device")
    assert [t["taskingParameters"] for t in stored()] == [{"dim": 40}, {"dim": 0}]
    assert ingest.totals.rejected == {"bad_task": 1}
    tasks = client.get(f"{ROOT}/TaskingCapabilities({cap['@iot.id']})/Tasks?$count=true").json()
    assert tasks["@iot.count"] == 2
