"""The fan-out publisher: delivers while connected, never blocks, counts what it drops."""

from __future__ import annotations

import socket

import pytest
from mqtt_broker import Collector, ids, wait_until

from dothi.errors import InvalidInput
from dothi.sensors.mqtt.local import LocalBroker
from dothi.sensors.mqtt.publisher import Publisher
from dothi.sensors.mqtt.settings import Broker

pytest_plugins = ["mqtt_broker"]


def test_updates_reach_subscribers(mqtt_broker: LocalBroker, server: Broker) -> None:
    topic = f"v1.1/Things({next(ids)})"
    with Collector(server, [topic]) as seen, Publisher(server) as publisher:
        for i in range(100):
            assert publisher.publish(topic, f'{{"@iot.id": {i}}}', qos=i % 2)
        assert publisher.flush(30)
        wait_until(lambda: len(seen.payloads()) == 100, what="100 updates")
    assert publisher.stats.sent == 100 and publisher.stats.dropped == 0
    assert sorted(seen.payloads()) == sorted(f'{{"@iot.id": {i}}}'.encode() for i in range(100))


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_full_queue_drops_and_counts_without_blocking() -> None:
    # Nothing listens there: the publisher keeps trying and the queue fills up.
    away = Broker("127.0.0.1", _closed_port(), username="dothi-server", password="x")
    publisher = Publisher(away, max_queue=50).start()
    try:
        accepted = [publisher.publish("v1.1/Things(1)", b"{}", qos=1) for _ in range(300)]
        assert accepted.count(True) == 50
        assert publisher.stats.dropped == 250 and publisher.stats.queued == 50
        assert publisher.stats.sent == 0
        assert not publisher.flush(0.2)
    finally:
        publisher.stop(timeout=0.5)


def test_queued_updates_go_once_the_broker_is_back(
    mqtt_broker: LocalBroker, server: Broker
) -> None:
    topic = f"v1.1/Datastreams({next(ids)})"
    with Collector(server, [topic]) as seen:
        mqtt_broker.stop()
        publisher = Publisher(server, max_queue=10, min_backoff=1).start()
        try:
            for i in range(15):
                publisher.publish(topic, str(i), qos=1)
            assert publisher.stats.dropped == 5
            mqtt_broker.start()
            assert publisher.flush(60)
        finally:
            publisher.stop()
        wait_until(lambda: len(set(seen.payloads())) == 10, timeout=60, what="the queued ten")
    assert set(seen.payloads()) == {str(i).encode() for i in range(10)}


def test_arguments_are_checked(server: Broker) -> None:
    with pytest.raises(InvalidInput):
        Publisher(server, max_queue=0)
    publisher = Publisher(server)
    with pytest.raises(InvalidInput):
        publisher.publish("v1.1/Things(1)", b"{}", qos=2)
