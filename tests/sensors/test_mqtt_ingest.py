"""Observations created over MQTT (requirement ``create-observations-via-mqtt``): devices
publish with their own credentials (Debian's ``mosquitto_pub``), bad messages are refused
and counted, a redelivered message is stored once, and a ``kill -9`` of the ingest worker
loses nothing the broker accepted; both backends."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mqtt_broker import (
    Collector,
    as_user,
    have_clients,
    mosquitto_pub,
    url_with_password,
    wait_until,
)
from sqlalchemy import func, select
from sta_client import ROOT, sta_client, thing

from dothi.config import Settings
from dothi.db.engine import Database
from dothi.sensors import devices
from dothi.sensors.ingest import Ingest, rejected_counts
from dothi.sensors.mqtt.client import connect, new_client
from dothi.sensors.mqtt.local import LocalBroker
from dothi.sensors.mqtt.settings import Broker
from dothi.sensors.mqtt.subscriber import Message, Subscriber
from dothi.sensors.mqtt.topics import observations_topic
from dothi.sensors.tables import observation

pytest_plugins = ["mqtt_broker"]
CONFORMANCE_CLASS = (
    "http://www.opengis.net/spec/iot_sensing/1.1/req/"
    "create-observations-via-mqtt/observations-creation"
)


def _stored(db: Database) -> int:
    with db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(observation)).scalar_one())


def _station(db: Database, settings: Settings) -> tuple[int, int]:
    client, auth = sta_client(db, settings)
    tid = client.post(f"{ROOT}/Things", json=thing(), headers=auth).json()["@iot.id"]
    dsid = client.get(f"{ROOT}/Things({tid})/Datastreams").json()["value"][0]["@iot.id"]
    return tid, dsid


def test_a_device_publishes_and_bad_messages_are_counted(
    db: Database, settings: Settings, mqtt_broker: LocalBroker, server: Broker
) -> None:
    """http://www.opengis.net/spec/iot_sensing/1.1/req/create-observations-via-mqtt/observations-creation

    A device publishes to its Datastream's topic and the observations are stored; what is
    not an observation is refused and counted; another device's topic is out of reach."""
    have_clients()
    tid, dsid = _station(db, settings)
    with db.read() as conn:
        topics = devices.device_topics(conn, tid)
    creds = devices.issue_credentials(mqtt_broker.admin, topics, tid)
    device = as_user(mqtt_broker, creds)
    ingest = Ingest(db)
    client_id = f"ingest-{uuid.uuid4().hex[:8]}"
    with Subscriber(server, client_id, ["v1.1/+/Observations"], ingest, batch_ms=50) as sub:
        sub.wait_subscribed()
        topic = observations_topic(dsid)
        for n, value in enumerate([30.5, 31, 29.25]):
            body = json.dumps({"phenomenonTime": f"2026-12-06T0{n}:00:00Z", "result": value})
            assert mosquitto_pub(device, topic, body).returncode == 0
        assert mosquitto_pub(device, topic, "{not json").returncode == 0
        assert mosquitto_pub(device, topic, json.dumps({"result": "cao"})).returncode == 0
        wait_until(lambda: sum(ingest.totals.rejected.values()) == 2, what="two refusals")
        wait_until(lambda: _stored(db) == 3, what="three observations")
    with db.read() as conn:
        assert rejected_counts(conn, 0) == {"bad_json": 1, "wrong_result": 1}
    # Another device's Datastream is out of this device's reach.
    other = observations_topic(dsid + 1000)
    assert "Not authorized" in mosquitto_pub(device, other, json.dumps({"result": 1})).stderr


def test_a_redelivered_message_is_stored_once(db: Database, settings: Settings) -> None:
    _, dsid = _station(db, settings)
    payload = json.dumps({"phenomenonTime": "2026-12-06T01:00:00Z", "result": 12}).encode()
    message = Message(observations_topic(dsid), payload, 1, False, False)
    ingest = Ingest(db)
    assert len(ingest.store([message]).stored) == 1
    again = ingest.store([Message(message.topic, payload, 1, False, True), message])
    assert again.stored == [] and again.duplicates == 2
    assert _stored(db) == 1
    # Without a phenomenonTime two equal readings are two readings.
    bare = Message(message.topic, b'{"result": 12}', 1, False, False)
    assert len(ingest.store([bare, bare]).stored) == 2


def _worker(
    env: dict[str, str], log: Path, name: str = "dothi-kill-test", group: str | None = None
) -> subprocess.Popen[bytes]:
    args = ["sensors", "ingest", "--client-id", name, "--batch", "20"]
    return subprocess.Popen(
        [sys.executable, "-m", "dothi", *args, *(["--group", group] if group else [])],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log.open("ab"),
    )


def test_kill_9_of_the_ingest_worker_loses_nothing(
    db: Database,
    settings: Settings,
    env: dict[str, str],
    server: Broker,
    tmp_path: Path,
) -> None:
    _, dsid = _station(db, settings)
    env = {**env, "DOTHI_MQTT_URL": url_with_password(server)}
    log = tmp_path / "worker.log"
    worker = [_worker(env, log)]
    topic = observations_topic(dsid)
    try:
        wait_until(lambda: b"ingesting" in log.read_bytes(), what="the worker to subscribe")

        def kill(n: int) -> None:
            if n == 200:
                os.kill(worker[0].pid, signal.SIGKILL)
                worker[0].wait()
                worker[0] = _worker(env, log)

        with Collector(server, [topic]) as updates:
            _publish_all(server, topic, 400, kill)
            _exactly_once(db, 400)
            # What the worker stored reaches the Datastream's subscribers (§14.1), on the
            # worker's own connection, as the API shows it.
            wait_until(lambda: len(_updates(updates, topic)) >= 300, what="the updates")
    finally:
        worker[0].send_signal(signal.SIGTERM)
        worker[0].wait(30)
    with db.read() as conn:
        stored = set(conn.execute(select(observation.c.id)).scalars())
    published = _updates(updates, topic)
    assert {int(u["@iot.id"]) for u in published} <= stored
    assert all(u["@iot.selfLink"].endswith(f"Observations({u['@iot.id']})") for u in published)


def _updates(collector: Collector, topic: str) -> list[dict[str, Any]]:
    """The server's updates among what ``collector`` received on ``topic``."""
    out = [json.loads(p) for p in collector.payloads(topic)]
    return [u for u in out if "@iot.id" in u]


def _publish_all(server: Broker, topic: str, total: int, during: Callable[[int], None]) -> None:
    publisher = new_client(server, f"pub-{uuid.uuid4().hex[:8]}")
    connect(publisher, server)
    publisher.loop_start()
    try:
        for n in range(total):
            body = json.dumps(
                {"phenomenonTime": f"2026-12-06T01:{n // 60:02d}:{n % 60:02d}Z", "result": n}
            )
            while True:  # a publisher, too, waits out a broker restart and sends again
                try:
                    publisher.publish(topic, body, qos=1).wait_for_publish(30)
                    break
                except RuntimeError:
                    wait_until(publisher.is_connected, what="the publisher to reconnect")
            during(n)
    finally:
        publisher.loop_stop()
        publisher.disconnect()


def _exactly_once(db: Database, total: int) -> None:
    wait_until(lambda: _stored(db) >= total, timeout=60, what="every observation")
    with db.read() as conn:
        results = conn.execute(select(observation.c.result_number)).scalars().all()
    assert sorted(int(r) for r in results) == list(range(total))


def test_two_workers_share_the_traffic_and_one_killed_loses_nothing(
    db: Database,
    settings: Settings,
    env: dict[str, str],
    server: Broker,
    tmp_path: Path,
) -> None:
    _, dsid = _station(db, settings)
    env = {**env, "DOTHI_MQTT_URL": url_with_password(server)}
    group = f"g{uuid.uuid4().hex[:6]}"
    log = tmp_path / "workers.log"
    names = [f"w1-{group}", f"w2-{group}"]
    workers = [_worker(env, log, name, group) for name in names]
    try:
        wait_until(lambda: log.read_bytes().count(b"ingesting") == 2, what="two workers")

        def kill_one(n: int) -> None:
            if n == 100:
                os.kill(workers[0].pid, signal.SIGKILL)
                workers[0].wait()
                # mosquitto keeps the dead member's share in its session: the same client
                # id takes it up again.
                workers[0] = _worker(env, log, names[0], group)

        _publish_all(server, observations_topic(dsid), 300, kill_one)
        _exactly_once(db, 300)
    finally:
        for w in workers:
            w.send_signal(signal.SIGTERM)
            w.wait(30)


def test_the_broker_restarting_during_ingest_loses_nothing(
    db: Database, settings: Settings, mqtt_broker: LocalBroker, server: Broker
) -> None:
    _, dsid = _station(db, settings)
    ingest = Ingest(db)
    name = f"ingest-{uuid.uuid4().hex[:8]}"
    with Subscriber(server, name, ["v1.1/+/Observations"], ingest, batch_ms=50) as sub:
        sub.wait_subscribed()

        def restart(n: int) -> None:
            if n == 100:
                mqtt_broker.restart()

        _publish_all(server, observations_topic(dsid), 250, restart)
        _exactly_once(db, 250)
