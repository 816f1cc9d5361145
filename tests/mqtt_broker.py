"""A private mosquitto for the MQTT tests (one per session and xdist worker), and helpers
that talk to it the way devices and the server do.

Test modules load the fixtures with ``pytest_plugins = ["mqtt_broker"]`` after importing
helpers from here, hence PYTEST_DONT_REWRITE (pytest would warn that it cannot rewrite
the asserts of a module already imported; there are none). Run as a script, this file
is an ingest worker in its own process (see :func:`worker_main`), for the tests that
kill one with SIGKILL.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from dothi.sensors.mqtt.client import connect, connect_properties, new_client
from dothi.sensors.mqtt.dynsec import Credentials, DynSec
from dothi.sensors.mqtt.local import MOSQUITTO, LocalBroker
from dothi.sensors.mqtt.settings import Broker, parse_broker_url
from dothi.sensors.mqtt.subscriber import Message, Subscriber

#: Thing and Datastream ids unique in this process: every test has topics of its own on
#: the broker the session shares.
ids = itertools.count(1000)


def wait_until(check: Callable[[], bool], timeout: float = 30.0, what: str = "") -> None:
    """Poll ``check`` until true; fail the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what or check}")
        time.sleep(0.02)


@pytest.fixture(scope="session")
def mqtt_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalBroker]:
    """Dothi's local mosquitto on a free port of 127.0.0.1, for the whole session."""
    if not MOSQUITTO.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{MOSQUITTO} is missing but CI=true requires it (scripts/dev.sh setup)")
        pytest.skip(f"{MOSQUITTO} is not installed here (run scripts/dev.sh setup)")
    broker = LocalBroker(tmp_path_factory.mktemp("mqtt") / "broker").start()
    try:
        yield broker
    finally:
        broker.stop()


@pytest.fixture
def dynsec(mqtt_broker: LocalBroker) -> Iterator[DynSec]:
    """The administrator's connection to the dynamic-security plugin."""
    with DynSec(mqtt_broker.admin) as ds:
        yield ds


@pytest.fixture
def server(mqtt_broker: LocalBroker, dynsec: DynSec) -> Broker:
    """The broker as Dothi's server client."""
    creds = dynsec.provision_server()
    return mqtt_broker.broker(creds.username, creds.password)


def as_user(broker: LocalBroker, creds: Credentials) -> Broker:
    """``broker`` as the user of ``creds``."""
    return broker.broker(creds.username, creds.password)


# -- Debian's command-line clients -----------------------------------------------------------


def mosquitto_pub(
    broker: Broker, topic: str, payload: str, *, qos: int = 1
) -> subprocess.CompletedProcess[str]:
    """Publish once with Debian's ``mosquitto_pub`` (MQTT v5)."""
    args = ["mosquitto_pub", "-h", broker.host, "-p", str(broker.port), "-V", "5"]
    if broker.username is not None:
        args += ["-u", broker.username, "-P", broker.password or ""]
    args += ["-q", str(qos), "-t", topic, "-m", payload]
    return subprocess.run(args, capture_output=True, text=True, timeout=30)


def mosquitto_sub(
    broker: Broker, topic: str, *, count: int = 1, seconds: int = 10
) -> subprocess.Popen[str]:
    """Start Debian's ``mosquitto_sub`` for ``count`` messages (at most ``seconds``)."""
    args = ["mosquitto_sub", "-h", broker.host, "-p", str(broker.port), "-V", "5", "-q", "1"]
    if broker.username is not None:
        args += ["-u", broker.username, "-P", broker.password or ""]
    args += ["-t", topic, "-C", str(count), "-W", str(seconds), "-v"]
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def have_clients() -> None:
    """Skip (or, with CI=true, fail) when Debian's mosquitto-clients are missing."""
    if shutil.which("mosquitto_pub") and shutil.which("mosquitto_sub"):
        return
    if os.environ.get("CI") == "true":
        pytest.fail("mosquitto_pub/mosquitto_sub are missing but CI=true requires them")
    pytest.skip("mosquitto-clients is not installed here (run scripts/dev.sh setup)")


# -- A plain listener, as the server's client ------------------------------------------------


@dataclass
class Collector:
    """Subscribes (QoS 1, automatic acknowledgements) and keeps what arrives, in a session
    the broker keeps across its restarts until the collector ends it."""

    broker: Broker
    topics: list[str]
    messages: list[tuple[str, bytes]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._subscribed = threading.Event()
        self._client = new_client(self.broker, f"collector-{uuid.uuid4().hex[:8]}")
        self._client.on_message = self._on_message
        self._client.on_subscribe = lambda *a: self._subscribed.set()

    def _on_message(self, client: Any, userdata: Any, message: Any) -> None:
        with self._lock:
            self.messages.append((message.topic, bytes(message.payload)))

    def __enter__(self) -> Collector:
        # A new client id has no session yet: clean_start False only matters for the
        # reconnections, which resume this one.
        connect(
            self._client,
            self.broker,
            clean_start=False,
            properties=connect_properties(session_expiry=600),
        )
        self._client.subscribe([(t, 1) for t in self.topics])
        if not self._subscribed.wait(10):
            pytest.fail(f"no SUBACK for {self.topics}")
        return self

    def __exit__(self, *exc: object) -> None:
        end = Properties(PacketTypes.DISCONNECT)
        end.SessionExpiryInterval = 0
        self._client.disconnect(properties=end)
        self._client.loop_stop()

    def payloads(self, topic: str | None = None) -> list[bytes]:
        """What arrived (on ``topic``, or on any)."""
        with self._lock:
            return [p for t, p in self.messages if topic is None or t == topic]


def end_session(broker: Broker, client_id: str) -> None:
    """Remove a persistent session from the broker (so that it keeps nothing for it)."""
    client = new_client(broker, client_id)
    connect(client, broker, clean_start=True, properties=connect_properties(session_expiry=0))
    client.disconnect()
    client.loop_stop()


# -- An ingest worker in its own process ----------------------------------------------------


class Worker:
    """``python tests/mqtt_broker.py`` as a subscriber process that writes each batch it
    handles to ``out`` (a JSON line), then returns so that the batch is acknowledged —
    or, with ``hold``, writes it and never returns (nothing is acknowledged)."""

    def __init__(
        self,
        broker: Broker,
        client_id: str,
        topic: str,
        out: Path,
        *,
        hold: bool = False,
        group: str | None = None,
    ) -> None:
        env = {**os.environ, "DOTHI_TEST_MQTT_URL": url_with_password(broker)}
        args = [sys.executable, __file__, client_id, topic, str(out), group or "-"]
        if hold:
            args.append("hold")
        self.out = out
        self.proc = subprocess.Popen(
            args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        line = self.proc.stdout.readline() if self.proc.stdout else ""
        if line.strip() != "SUBSCRIBED":
            self.proc.kill()
            _, err = self.proc.communicate(timeout=10)
            pytest.fail(f"the worker did not subscribe: {line} {err}")

    def batches(self) -> list[dict[str, Any]]:
        """The batches written so far."""
        if not self.out.exists():
            return []
        lines = self.out.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if line.endswith("}")]

    def payloads(self) -> list[str]:
        """Every payload of every batch written so far."""
        return [p for b in self.batches() for p in b["payloads"]]

    def kill(self) -> None:
        """SIGKILL: no clean disconnect, nothing more acknowledged."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        """SIGTERM, as a service manager would."""
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=30)


def url_with_password(broker: Broker) -> str:
    """The URL of ``broker`` with its password, for a child process's environment."""
    from urllib.parse import quote

    user = quote(broker.username or "", safe="")
    password = quote(broker.password or "", safe="")
    return f"mqtt://{user}:{password}@{broker.host}:{broker.port}"


def worker_main(argv: list[str]) -> None:
    """The worker process: ``client_id topic out group|- [hold]``."""
    client_id, topic, out, group = argv[:4]
    hold = argv[4:] == ["hold"]
    broker = parse_broker_url(os.environ["DOTHI_TEST_MQTT_URL"])
    stop = threading.Event()

    def handle(batch: list[Message]) -> None:
        line = {
            "payloads": [m.payload.decode() for m in batch],
            "redelivered": [m.redelivered for m in batch],
        }
        with open(out, "a", encoding="utf-8") as f:
            f.write(json.dumps(line) + "\n")
            f.flush()
            os.fsync(f.fileno())
        if hold:
            threading.Event().wait()  # never returns: the batch is never acknowledged

    subscriber = Subscriber(
        broker,
        client_id,
        [topic],
        handle,
        batch_size=10,
        batch_ms=50,
        share_group=None if group == "-" else group,
    ).start()
    subscriber.wait_subscribed(30)
    print("SUBSCRIBED", flush=True)
    signal.signal(signal.SIGTERM, lambda *a: stop.set())
    stop.wait()
    subscriber.stop()


if __name__ == "__main__":
    worker_main(sys.argv[1:])
