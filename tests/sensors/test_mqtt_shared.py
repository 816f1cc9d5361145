"""Shared subscriptions: ingest workers in one group split the traffic; when one is
killed the other keeps its share, and the killed one's share waits for its restart."""

from __future__ import annotations

import json
from pathlib import Path

from mqtt_broker import Worker, as_user, end_session, ids, wait_until

from dothi.sensors.mqtt.dynsec import DeviceTopics, DynSec
from dothi.sensors.mqtt.local import LocalBroker
from dothi.sensors.mqtt.publisher import Publisher
from dothi.sensors.mqtt.settings import Broker
from dothi.sensors.mqtt.topics import observations_topic

pytest_plugins = ["mqtt_broker"]


def _publish(device: Broker, topic: str, payloads: list[str]) -> None:
    with Publisher(device, max_queue=len(payloads)) as publisher:
        for p in payloads:
            assert publisher.publish(topic, p, qos=1)
        assert publisher.flush(60)


def test_two_workers_split_the_messages_and_lose_none_when_one_is_killed(
    mqtt_broker: LocalBroker, dynsec: DynSec, server: Broker, tmp_path: Path
) -> None:
    stream = next(ids)
    device = as_user(mqtt_broker, dynsec.provision_thing(next(ids), DeviceTopics.of([stream])))
    topic = observations_topic(stream)
    group = f"ingest-{next(ids)}"
    a_id, b_id = f"{group}-a", f"{group}-b"
    first = [f"first-{i}" for i in range(100)]
    second = [f"second-{i}" for i in range(100)]

    a = Worker(server, a_id, topic, tmp_path / "a1.jsonl", group=group)
    b = Worker(server, b_id, topic, tmp_path / "b.jsonl", group=group)
    try:
        _publish(device, topic, first)
        wait_until(lambda: set(a.payloads()) | set(b.payloads()) >= set(first), what="split")
        # Split, not copied: each message went to one worker.
        assert a.payloads() and b.payloads()
        assert set(a.payloads()).isdisjoint(b.payloads())

        a.kill()
        _publish(device, topic, second)
        # The other worker goes on with its share of what comes after.
        wait_until(lambda: any(p in second for p in b.payloads()), what="b's share")
        # The killed one's share waits in its session for its restart (same client id).
        a = Worker(server, a_id, topic, tmp_path / "a2.jsonl", group=group)
        everything = set(first) | set(second)
        wait_until(
            lambda: set(a.payloads()) | set(b.payloads()) | _old(tmp_path) >= everything,
            what="nothing lost",
        )
        got_a2 = set(a.payloads())
        assert got_a2 & set(second), "the restarted worker received its held share"
    finally:
        a.stop()
        b.stop()
    for client_id in (a_id, b_id):
        end_session(server, client_id)


def _old(tmp_path: Path) -> set[str]:
    """What the killed worker handled before it died."""
    path = tmp_path / "a1.jsonl"
    lines = path.read_text().splitlines() if path.exists() else []
    return {p for line in lines if line.endswith("}") for p in json.loads(line)["payloads"]}
