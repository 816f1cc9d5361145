"""The at-least-once subscriber: batches acknowledged only once handled; nothing lost when
the handler fails, when the worker is killed, or when the broker restarts."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from mqtt_broker import Worker, as_user, end_session, ids, wait_until

from dothi.errors import Forbidden, InvalidInput
from dothi.sensors.mqtt.dynsec import DeviceTopics, DynSec
from dothi.sensors.mqtt.local import LocalBroker
from dothi.sensors.mqtt.publisher import Publisher
from dothi.sensors.mqtt.settings import Broker
from dothi.sensors.mqtt.subscriber import Message, Subscriber
from dothi.sensors.mqtt.topics import observations_topic

pytest_plugins = ["mqtt_broker"]


def _device(mqtt_broker: LocalBroker, dynsec: DynSec) -> tuple[Broker, str]:
    """A provisioned device and the observation topic of its one Datastream."""
    stream = next(ids)
    creds = dynsec.provision_thing(next(ids), DeviceTopics.of([stream]))
    return as_user(mqtt_broker, creds), observations_topic(stream)


def _publish(device: Broker, topic: str, payloads: list[str]) -> None:
    with Publisher(device, max_queue=len(payloads)) as publisher:
        for p in payloads:
            assert publisher.publish(topic, p, qos=1)
        assert publisher.flush(60), "the broker did not acknowledge every message"
        assert publisher.stats.dropped == 0


class Recorder:
    """A handler that keeps every batch; it raises for the calls numbered in ``fail``."""

    def __init__(self, fail: tuple[int, ...] = ()) -> None:
        self.fail = fail
        self.calls = 0
        self.batches: list[list[Message]] = []
        self.lock = threading.Lock()

    def __call__(self, batch: list[Message]) -> None:
        with self.lock:
            self.calls += 1
            self.batches.append(batch)
            if self.calls in self.fail:
                raise RuntimeError("the database is away")

    def payloads(self, *, skip_failed: bool = True) -> list[str]:
        with self.lock:
            return [
                m.payload.decode()
                for i, b in enumerate(self.batches, start=1)
                if not (skip_failed and i in self.fail)
                for m in b
            ]


def test_batches_are_handed_over_and_acknowledged(
    mqtt_broker: LocalBroker, dynsec: DynSec, server: Broker
) -> None:
    device, topic = _device(mqtt_broker, dynsec)
    client_id = f"ingest-{next(ids)}"
    sent = [f'{{"result": {i}}}' for i in range(250)]
    recorder = Recorder()
    with Subscriber(server, client_id, [topic], recorder, batch_size=40, batch_ms=100) as sub:
        sub.wait_subscribed()
        _publish(device, topic, sent)
        wait_until(lambda: len(recorder.payloads()) >= len(sent), what="250 messages")
    assert sorted(recorder.payloads()) == sorted(sent)
    assert all(1 <= len(b) <= 40 for b in recorder.batches)
    assert sub.stats.acknowledged == len(sent) and sub.stats.failures == 0
    # All acknowledged: the session holds nothing more for this client id.
    again = Recorder()
    with Subscriber(server, client_id, [topic], again, batch_ms=0) as sub2:
        sub2.wait_subscribed()
        _publish(device, topic, ["marker"])
        wait_until(lambda: again.payloads() != [], what="the marker")
    assert again.payloads() == ["marker"]
    end_session(server, client_id)


def test_a_batch_whose_handler_fails_comes_again(
    mqtt_broker: LocalBroker, dynsec: DynSec, server: Broker
) -> None:
    device, topic = _device(mqtt_broker, dynsec)
    client_id = f"ingest-{next(ids)}"
    sent = [f"m{i}" for i in range(60)]
    recorder = Recorder(fail=(1, 3))
    with Subscriber(
        server, client_id, [topic], recorder, batch_size=25, batch_ms=100, min_backoff=0.05
    ) as sub:
        sub.wait_subscribed()
        _publish(device, topic, sent)
        wait_until(lambda: set(recorder.payloads()) >= set(sent), what="every message handled")
    failed = {m.payload.decode() for i in (0, 2) for m in recorder.batches[i]}
    assert failed, "the failing calls had messages"
    # What failed came again, flagged as sent before.
    redelivered = {m.payload.decode() for b in recorder.batches[1:] for m in b if m.redelivered}
    assert failed & set(recorder.payloads()) == failed
    assert redelivered & failed
    assert sub.stats.failures == 2
    end_session(server, client_id)


def test_messages_not_acknowledged_survive_a_killed_worker(
    mqtt_broker: LocalBroker, dynsec: DynSec, server: Broker, tmp_path: Path
) -> None:
    device, topic = _device(mqtt_broker, dynsec)
    client_id = f"ingest-{next(ids)}"
    sent = [f"obs-{i}" for i in range(200)]
    held = Worker(server, client_id, topic, tmp_path / "held.jsonl", hold=True)
    try:
        _publish(device, topic, sent)
        wait_until(lambda: held.batches() != [], what="the held batch")
    finally:
        held.kill()  # mid-batch: its handler never returned, nothing was acknowledged
    unacknowledged = set(held.payloads())
    assert 0 < len(unacknowledged) <= 10
    worker = Worker(server, client_id, topic, tmp_path / "committed.jsonl")
    try:
        wait_until(lambda: set(worker.payloads()) >= set(sent), what="all 200 after restart")
    finally:
        worker.stop()
    assert sorted(set(worker.payloads())) == sorted(sent)
    first = worker.batches()[0]
    assert set(first["payloads"]) >= unacknowledged
    assert all(
        flag
        for p, flag in zip(first["payloads"], first["redelivered"], strict=True)
        if p in unacknowledged
    )
    end_session(server, client_id)


def test_nothing_is_lost_when_the_broker_restarts_during_a_stream(
    mqtt_broker: LocalBroker, dynsec: DynSec, server: Broker
) -> None:
    device, topic = _device(mqtt_broker, dynsec)
    client_id = f"ingest-{next(ids)}"
    sent = [f"r{i}" for i in range(300)]
    recorder = Recorder()
    sub = Subscriber(server, client_id, [topic], recorder, batch_size=20, min_backoff=0.05)
    publisher = Publisher(device, max_queue=len(sent), min_backoff=1).start()
    try:
        sub.start().wait_subscribed()
        for p in sent[:150]:
            assert publisher.publish(topic, p, qos=1)
        wait_until(lambda: len(recorder.payloads()) >= 40, what="the stream to begin")
        mqtt_broker.stop()
        for p in sent[150:250]:  # the broker is away: queued, not dropped, not blocking
            assert publisher.publish(topic, p, qos=1)
        mqtt_broker.start()
        for p in sent[250:]:
            assert publisher.publish(topic, p, qos=1)
        assert publisher.flush(60), "the publisher did not deliver after the restart"
        wait_until(lambda: set(recorder.payloads()) >= set(sent), timeout=60, what="all 300")
    finally:
        publisher.stop()
        sub.stop()
    assert set(recorder.payloads()) == set(sent)
    assert publisher.stats.dropped == 0
    assert sub.stats.connections >= 2
    end_session(server, client_id)


def test_subscriptions_the_broker_refuses_are_reported(
    mqtt_broker: LocalBroker, dynsec: DynSec
) -> None:
    device, topic = _device(mqtt_broker, dynsec)
    sub = Subscriber(device, f"ingest-{next(ids)}", [topic], Recorder(), timeout=5)
    with sub, pytest.raises(Forbidden) as info:
        sub.wait_subscribed(30)
    assert topic in info.value.en


def test_settings_are_checked(server: Broker) -> None:
    with pytest.raises(InvalidInput):
        Subscriber(server, "", ["v1.1/#"], Recorder())
    with pytest.raises(InvalidInput):
        Subscriber(server, "x", [], Recorder())
    with pytest.raises(InvalidInput):
        Subscriber(server, "x", ["v1.1/#"], Recorder(), share_group="a/b")
    with pytest.raises(InvalidInput):
        Subscriber(server, "x", ["v1.1/#"], Recorder(), share_group="g", no_local=True)
    sub = Subscriber(server, "x", ["v1.1/+/Observations"], Recorder(), share_group="ingest")
    assert sub.filters == ["$share/ingest/v1.1/+/Observations"]
