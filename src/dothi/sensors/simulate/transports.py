"""How readings leave the simulator, and how dimming tasks reach its streetlights.

- **MQTT** (the default): one client — the simulator's, with the server's right to
  publish under ``v1.1/`` — publishes each reading at QoS 1 to its Datastream's topic
  ``v1.1/Datastreams(ID)/Observations``, as the device itself would. One connection
  rather than one per device: thousands of devices would need thousands of sockets,
  credentials and threads here, and the broker and the ingest see the same messages
  either way (a device's own credentials and access rules are tested apart, in
  ``tests/sensors/test_mqtt_ingest.py``). Tasks come by subscribing to
  ``v1.1/+/Tasks``: the server republishes a Task there once it is committed.
- **HTTP**: the readings of each round in one ``POST /sta/v1.1/CreateObservations``
  (``dataArray``, one block per Datastream) with an official's API token; tasks are
  polled from ``/sta/v1.1/Tasks``.
- **Database**: straight into the observations store (the demo's fallback when no MQTT
  broker can be started); tasks are read from the table of Tasks.
"""

from __future__ import annotations

import logging
import re
import threading
import urllib.error
import urllib.request
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import orjson
import paho.mqtt.client as mqtt
from sqlalchemy import func, select

from dothi.db.engine import Database
from dothi.errors import InvalidInput
from dothi.sensors.mqtt.client import connect, new_client
from dothi.sensors.mqtt.publisher import Publisher
from dothi.sensors.mqtt.settings import Broker
from dothi.sensors.mqtt.topics import VERSION, observations_topic
from dothi.sensors.simulate.devices import Device, Reading
from dothi.sensors.simulate.history import FeatureCache, write_readings
from dothi.sensors.sta.times import iso
from dothi.sensors.tables import task

log = logging.getLogger(__name__)

_TASK_TOPIC = re.compile(r"^v1\.1/TaskingCapabilities\((\d{1,18})\)/Tasks$")


@dataclass
class SinkStats:
    """What a sink did: readings ``sent`` (handed over), ``failed``."""

    sent: int = 0
    failed: int = 0


class Sink(Protocol):
    """Where readings go."""

    stats: SinkStats

    def send(self, readings: Sequence[Reading]) -> None:
        """Send one round of readings."""

    def close(self) -> None:
        """Send what is left and let go of connections."""


def phenomenon_time(r: Reading) -> str:
    """The reading's ``phenomenonTime``: an instant, or ``start/end``."""
    return iso(r.start) if r.end is None else f"{iso(r.start)}/{iso(r.end)}"


def payload(r: Reading) -> bytes:
    """The Observation a device publishes (OGC 18-088 §14.2.1)."""
    return orjson.dumps({"phenomenonTime": phenomenon_time(r), "result": r.result})


# -- MQTT ---------------------------------------------------------------------------------------


class MqttSink:
    """Publishes at QoS 1 through a non-blocking publisher (a full queue drops and counts)."""

    def __init__(self, broker: Broker, client_id: str = "dothi-simulator") -> None:
        self.stats = SinkStats()
        self.publisher = Publisher(broker, client_id, max_queue=200_000, max_inflight=2_000).start()

    def send(self, readings: Sequence[Reading]) -> None:
        """Queue each reading on its Datastream's topic."""
        for r in readings:
            if self.publisher.publish(observations_topic(r.datastream_id), payload(r), qos=1):
                self.stats.sent += 1
            else:
                self.stats.failed += 1

    def close(self) -> None:
        """Wait (a little) for the broker's acknowledgements, then disconnect."""
        self.publisher.stop(timeout=30)


class MqttTasks:
    """The Tasks the server republishes on ``v1.1/TaskingCapabilities(ID)/Tasks``."""

    def __init__(self, broker: Broker, client_id: str = "dothi-simulator-tasks") -> None:
        self._lock = threading.Lock()
        self._got: list[tuple[int, Any]] = []
        self._client = new_client(broker, client_id)
        self._client.on_message = self._on_message
        self._client.on_connect = self._on_connect
        connect(self._client, broker)

    def _on_connect(self, client: Any, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        # Subscribed at every (re)connection: the session is not kept.
        if not reason.is_failure:
            client.subscribe(f"{VERSION}/+/Tasks", qos=1)

    def _on_message(self, client: Any, userdata: Any, message: mqtt.MQTTMessage) -> None:
        m = _TASK_TOPIC.match(message.topic)
        if m is None:
            return
        try:
            data = orjson.loads(message.payload)
        except orjson.JSONDecodeError:
            return
        # Only the server's copy of a committed Task carries its @iot.id.
        if isinstance(data, dict) and "@iot.id" in data:
            with self._lock:
                self._got.append((int(m.group(1)), data.get("taskingParameters")))

    def poll(self) -> list[tuple[int, Any]]:
        """The tasks received since the last poll: (TaskingCapability id, parameters)."""
        with self._lock:
            got, self._got = self._got, []
        return got

    def close(self) -> None:
        """Disconnect."""
        self._client.disconnect()
        self._client.loop_stop()


# -- HTTP -----------------------------------------------------------------------------------------


@dataclass
class HttpApi:
    """A Dothi server's SensorThings API, with an official's token."""

    base: str
    token: str
    timeout: float = 30.0

    def __post_init__(self) -> None:
        self.base = self.base.rstrip("/")
        if not self.base.endswith("/sta/v1.1"):
            self.base += "/sta/v1.1"
        if not self.base.startswith(("http://", "https://")):
            raise InvalidInput(
                f"Địa chỉ máy chủ «{self.base}» phải bắt đầu bằng http:// hoặc https://.",
                f"The server address «{self.base}» must start with http:// or https://.",
            )

    def call(self, method: str, path: str, body: Any = None) -> Any:
        """One request; the JSON answer. A refusal is raised with the server's words."""
        data = None if body is None else orjson.dumps(body)
        request = urllib.request.Request(
            f"{self.base}/{path}",
            data=data,
            method=method,
            headers={
                "Authorization": f"Bearer {self.token}",
                "Content-Type": "application/json",
                "Accept": "application/json",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:
                text = answer.read()
        except urllib.error.HTTPError as exc:
            detail = exc.read()[:300].decode("utf-8", "replace")
            raise InvalidInput(
                f"Máy chủ từ chối {method} {path}: HTTP {exc.code} {detail}",
                f"The server refused {method} {path}: HTTP {exc.code} {detail}",
            ) from None
        return orjson.loads(text) if text else None


class HttpSink:
    """Each round as one ``CreateObservations`` request (dataArray)."""

    def __init__(self, api: HttpApi) -> None:
        self.api = api
        self.stats = SinkStats()

    def send(self, readings: Sequence[Reading]) -> None:
        """POST the round; a refused or failed request counts its readings as failed."""
        if not readings:
            return
        blocks: dict[int, list[list[Any]]] = defaultdict(list)
        for r in readings:
            blocks[r.datastream_id].append([phenomenon_time(r), r.result])
        body = [
            {
                "Datastream": {"@iot.id": ds},
                "components": ["phenomenonTime", "result"],
                "dataArray": rows,
            }
            for ds, rows in blocks.items()
        ]
        try:
            self.api.call("POST", "CreateObservations", body)
        except (InvalidInput, OSError) as exc:
            log.warning("simulator: %s", exc)
            self.stats.failed += len(readings)
            return
        self.stats.sent += len(readings)

    def close(self) -> None:
        """Nothing is kept open."""


@dataclass
class HttpTasks:
    """Polls the newest Tasks over HTTP."""

    api: HttpApi
    seen: set[int] = field(default_factory=set)
    primed: bool = False

    def poll(self) -> list[tuple[int, Any]]:
        """Tasks not seen before (those present at the first poll are old news)."""
        try:
            doc = self.api.call(
                "GET", "Tasks?$top=100&$orderby=creationTime%20desc&$expand=TaskingCapability"
            )
        except (InvalidInput, OSError) as exc:
            log.warning("simulator: %s", exc)
            return []
        out = []
        for t in reversed(doc.get("value", [])):
            if t["@iot.id"] in self.seen:
                continue
            self.seen.add(t["@iot.id"])
            cap = t.get("TaskingCapability") or {}
            if self.primed and "@iot.id" in cap:
                out.append((int(cap["@iot.id"]), t.get("taskingParameters")))
        self.primed = True
        return out

    def close(self) -> None:
        """Nothing is kept open."""


# -- The database directly -----------------------------------------------------------------------


class DbSink:
    """Each round in one write transaction of the observations store."""

    def __init__(self, db: Database, devices: Sequence[Device]) -> None:
        self.db = db
        self.devices = {d.thing_id: d for d in devices}
        self.features = FeatureCache()
        self.stats = SinkStats()

    def send(self, readings: Sequence[Reading]) -> None:
        """Store the round."""
        if not readings:
            return
        with self.db.write() as conn:
            self.stats.sent += write_readings(conn, self.devices, readings, self.features)

    def close(self) -> None:
        """Nothing is kept open."""


class DbTasks:
    """New rows of the Tasks table (the ones there at the start are old news)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        with db.read() as conn:
            self.last = int(
                conn.execute(select(func.coalesce(func.max(task.c.id), 0))).scalar_one()
            )

    def poll(self) -> list[tuple[int, Any]]:
        """Tasks created since the last poll."""
        with self.db.read() as conn:
            rows = conn.execute(
                select(task.c.id, task.c.tasking_capability_id, task.c.tasking_parameters)
                .where(task.c.id > self.last)
                .order_by(task.c.id)
            ).all()
        out = []
        for task_id, cap, params in rows:
            self.last = max(self.last, int(task_id))
            out.append((int(cap), orjson.loads(params)))
        return out

    def close(self) -> None:
        """Nothing is kept open."""


class TaskSource(Protocol):
    """Where tasks come from."""

    def poll(self) -> list[tuple[int, Any]]:
        """Tasks since the last poll: (TaskingCapability id, taskingParameters)."""

    def close(self) -> None:
        """Let go of connections."""
