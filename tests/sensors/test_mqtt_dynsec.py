"""Device credentials: a device publishes only to its own Datastreams and receives only
its own tasks; passwords rotate, devices are disabled and revoked; refusals are errors."""

from __future__ import annotations

import json
import threading
import unicodedata

import pytest
from mqtt_broker import (
    Collector,
    as_user,
    have_clients,
    ids,
    mosquitto_pub,
    mosquitto_sub,
    wait_until,
)

from dothi.errors import Conflict, InvalidInput, NotFound, Unauthorized
from dothi.sensors.mqtt.client import connect, new_client
from dothi.sensors.mqtt.dynsec import DeviceTopics, DynSec
from dothi.sensors.mqtt.local import LocalBroker
from dothi.sensors.mqtt.settings import Broker
from dothi.sensors.mqtt.topics import (
    multi_observations_topic,
    observations_topic,
    tasks_topic,
    thing_username,
)

pytest_plugins = ["mqtt_broker"]

OBSERVATION = json.dumps({"phenomenonTime": "2026-12-06T02:50:51Z", "result": 23.5})


def _refused(result: object) -> bool:
    out = getattr(result, "stdout", "") + getattr(result, "stderr", "")
    return "Not authorized" in out


def test_a_device_publishes_to_its_own_datastreams_only(
    mqtt_broker: LocalBroker, dynsec: DynSec, server: Broker
) -> None:
    have_clients()
    thing, other_thing = next(ids), next(ids)
    mine, multi, theirs = next(ids), next(ids), next(ids)
    device = dynsec.provision_thing(thing, DeviceTopics.of([mine], [multi]))
    dynsec.provision_thing(other_thing, DeviceTopics.of([theirs]))
    assert device.username == thing_username(thing) == f"thing-{thing}"
    topics = [observations_topic(mine), multi_observations_topic(multi), observations_topic(theirs)]
    with Collector(server, topics) as seen:
        forbidden = mosquitto_pub(as_user(mqtt_broker, device), topics[2], OBSERVATION)
        assert _refused(forbidden)
        for topic in topics[:2]:
            allowed = mosquitto_pub(as_user(mqtt_broker, device), topic, OBSERVATION)
            assert allowed.returncode == 0 and not _refused(allowed), allowed.stderr
        wait_until(lambda: len(seen.payloads()) >= 2, what="the device's observations")
        # The refused one was dropped before the allowed ones were even sent.
        assert seen.payloads(topics[0]) == seen.payloads(topics[1]) == [OBSERVATION.encode()]
        assert seen.payloads(topics[2]) == []


def test_a_device_receives_its_own_tasks_only(
    mqtt_broker: LocalBroker, dynsec: DynSec, server: Broker
) -> None:
    have_clients()
    thing, mine, theirs = next(ids), next(ids), next(ids)
    device = as_user(mqtt_broker, dynsec.provision_thing(thing, DeviceTopics.of([], [], [mine])))
    denied = mosquitto_sub(device, tasks_topic(theirs))
    out, err = denied.communicate(timeout=30)
    assert "denied" in out + err and out.strip() == ""
    listening = mosquitto_sub(device, tasks_topic(mine))
    task = json.dumps({"taskingParameters": {"status": "on"}})
    sender = new_client(server)
    connect(sender, server)
    try:
        # Publish until the subscription is in place (mosquitto_sub gives no signal).
        stop = threading.Event()

        def keep_publishing() -> None:
            while not stop.is_set():
                sender.publish(tasks_topic(mine), task, qos=1)
                stop.wait(0.1)

        thread = threading.Thread(target=keep_publishing)
        thread.start()
        try:
            out, err = listening.communicate(timeout=30)
        finally:
            stop.set()
            thread.join()
    finally:
        sender.disconnect()
        sender.loop_stop()
    assert listening.returncode == 0, err
    assert out.strip() == f"{tasks_topic(mine)} {task}"
    # Nor may a device publish tasks: they come from the server, after a commit.
    assert _refused(mosquitto_pub(device, tasks_topic(mine), task))


def test_topics_follow_the_datastreams(
    mqtt_broker: LocalBroker, dynsec: DynSec, server: Broker
) -> None:
    have_clients()
    thing, old, new = next(ids), next(ids), next(ids)
    device = as_user(mqtt_broker, dynsec.provision_thing(thing, DeviceTopics.of([old])))
    assert _refused(mosquitto_pub(device, observations_topic(new), OBSERVATION))
    dynsec.update_thing_topics(thing, DeviceTopics.of([new]))
    with Collector(server, [observations_topic(new)]) as seen:
        assert not _refused(mosquitto_pub(device, observations_topic(new), OBSERVATION))
        wait_until(lambda: seen.payloads() == [OBSERVATION.encode()], what="the new Datastream")
    assert _refused(mosquitto_pub(device, observations_topic(old), OBSERVATION))


def test_rotate_disable_enable_revoke(mqtt_broker: LocalBroker, dynsec: DynSec) -> None:
    have_clients()
    thing, stream = next(ids), next(ids)
    first = dynsec.provision_thing(thing, DeviceTopics.of([stream]))
    topic = observations_topic(stream)

    # A device connected with the old password is disconnected by the rotation.
    connected = as_user(mqtt_broker, first)
    client = new_client(connected, reconnect_on_failure=False)
    dropped = threading.Event()
    client.on_disconnect = lambda *a: dropped.set()
    connect(client, connected)
    second = dynsec.rotate_password(thing)
    assert second.username == first.username and second.password != first.password
    assert dropped.wait(10), "the rotation did not end the old session"
    client.loop_stop()
    assert _refused(mosquitto_pub(as_user(mqtt_broker, first), topic, OBSERVATION))
    assert mosquitto_pub(as_user(mqtt_broker, second), topic, OBSERVATION).returncode == 0

    dynsec.disable_thing(thing)
    assert _refused(mosquitto_pub(as_user(mqtt_broker, second), topic, OBSERVATION))
    assert (dynsec.get_client(thing_username(thing)) or {}).get("disabled") is True
    dynsec.enable_thing(thing)
    assert mosquitto_pub(as_user(mqtt_broker, second), topic, OBSERVATION).returncode == 0

    dynsec.revoke_thing(thing)
    assert dynsec.get_client(thing_username(thing)) is None
    with pytest.raises(Unauthorized):
        connect(new_client(as_user(mqtt_broker, second)), as_user(mqtt_broker, second))
    dynsec.revoke_thing(thing)  # again: nothing to do, no error


def test_provisioning_again_resets_the_password(mqtt_broker: LocalBroker, dynsec: DynSec) -> None:
    thing, stream = next(ids), next(ids)
    first = dynsec.provision_thing(thing, DeviceTopics.of([stream]))
    dynsec.disable_thing(thing)
    second = dynsec.provision_thing(thing, DeviceTopics.of([stream]))
    assert second.password != first.password
    record = dynsec.get_client(second.username) or {}
    assert record.get("disabled") is not True
    assert [r["rolename"] for r in record["roles"]] == [second.username]
    with pytest.raises(Unauthorized):
        connect(new_client(as_user(mqtt_broker, first)), as_user(mqtt_broker, first))
    ok = new_client(as_user(mqtt_broker, second))
    connect(ok, as_user(mqtt_broker, second))
    ok.disconnect()
    ok.loop_stop()


def test_refusals_are_bilingual_errors(dynsec: DynSec) -> None:
    unknown = next(ids)
    for call in (dynsec.rotate_password, dynsec.disable_thing):
        with pytest.raises(NotFound) as info:
            call(unknown)
        assert "Client not found" in info.value.en and f"thing-{unknown}" in info.value.en
        assert info.value.vi.startswith("Máy chủ MQTT từ chối lệnh")
        assert unicodedata.is_normalized("NFC", info.value.vi)
    with pytest.raises(NotFound):
        dynsec.update_thing_topics(unknown, DeviceTopics.of([1]))
    with pytest.raises(Conflict):
        dynsec.one({"command": "createRole", "rolename": "admin"})
    with pytest.raises(InvalidInput):
        dynsec.one({"command": "addRoleACL", "rolename": "admin", "acltype": "nonsense"})
    with pytest.raises(ValueError):
        DeviceTopics.of([0]).acls()


def test_the_server_may_read_and_publish_under_v1_1_only(
    mqtt_broker: LocalBroker, dynsec: DynSec, server: Broker
) -> None:
    have_clients()
    assert _refused(mosquitto_pub(server, "$CONTROL/dynamic-security/v1", '{"commands": []}'))
    assert _refused(mosquitto_pub(server, "elsewhere/topic", "x"))
    sub = mosquitto_sub(server, "#")
    out, err = sub.communicate(timeout=30)
    assert "denied" in out + err
    assert (dynsec.get_client("dothi-server") or {})["roles"] == [
        {"rolename": "dothi-server", "priority": 0}
    ]
