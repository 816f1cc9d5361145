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
from pathlib import Path

from mqtt_broker import as_user, have_clients, mosquitto_pub, url_with_password, wait_until
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


def _worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "dothi",
            "sensors",
            "ingest",
            "--client-id",
            "dothi-kill-test",
            "--batch",
            "20",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log.open("ab"),
    )


def test_kill_9_of_the_ingest_worker_loses_nothing(
    db: Database,
    settings: Settings,
    env: dict[str, str],
    mqtt_broker: LocalBroker,
    server: Broker,
    tmp_path: Path,
) -> None:
    _, dsid = _station(db, settings)
    env = {**env, "DOTHI_MQTT_URL": url_with_password(server)}
    log = tmp_path / "worker.log"
    worker = _worker(env, log)
    publisher = new_client(server, f"pub-{uuid.uuid4().hex[:8]}")
    connect(publisher, server)
    publisher.loop_start()
    total = 400
    try:
        wait_until(lambda: b"ingesting" in log.read_bytes(), what="the worker to subscribe")
        for n in range(total):
            body = json.dumps(
                {"phenomenonTime": f"2026-12-06T00:00:{n // 10:02d}.{n % 10}Z", "result": n}
            )
            publisher.publish(observations_topic(dsid), body, qos=1).wait_for_publish(10)
            if n == total // 2:
                os.kill(worker.pid, signal.SIGKILL)
                worker.wait()
                worker = _worker(env, log)
        wait_until(lambda: _stored(db) >= total, timeout=60, what="every observation")
        assert _stored(db) == total
        with db.read() as conn:
            results = conn.execute(select(observation.c.result_number)).scalars().all()
        assert sorted(int(r) for r in results) == list(range(total))
    finally:
        publisher.loop_stop()
        publisher.disconnect()
        worker.send_signal(signal.SIGTERM)
        worker.wait(30)
