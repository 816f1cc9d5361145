"""The demo city's sensors: air-quality stations (three replaying real series, five
simulated), rain gauges, street flood sensors and canal gauges, streetlights along its
roads, traffic counters, bins and meters — with a week of history — and, while the demo
runs, their live readings.

Live readings go the way a city's would: the simulator publishes over MQTT to the
private mosquitto of the data folder, and an ingest worker (a thread here) stores them,
acknowledging each batch after its commit. Where mosquitto cannot be started (not
installed), the simulator writes into the database itself, and says so.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from dothi.config import Settings
from dothi.db.engine import Database
from dothi.errors import DothiError
from dothi.sensors.ingest import Ingest
from dothi.sensors.mqtt.local import LocalBroker
from dothi.sensors.mqtt.subscriber import Subscriber
from dothi.sensors.mqtt.topics import VERSION
from dothi.sensors.simulate.fleet import ensure_fleet
from dothi.sensors.simulate.history import backfill
from dothi.sensors.simulate.live import LiveThread, Runner
from dothi.sensors.simulate.provision import load_fleet
from dothi.sensors.simulate.series import DAY_US
from dothi.sensors.simulate.transports import DbSink, DbTasks, MqttSink, MqttTasks
from dothi.sensors.sta.times import now_micros

log = logging.getLogger(__name__)

FLEET = "demo"
#: The demo's devices by kind: about 90 devices, 185 Datastreams.
DEVICES = {
    "air_replay": 3,
    "air": 5,
    "traffic": 8,
    "rain": 4,
    "flood": 12,
    "canal": 2,
    "light": 24,
    "bin": 16,
    "water_meter": 8,
    "power_meter": 8,
}
HISTORY_DAYS = 7
_SEED = 950
#: Each device of the demo reports about this often (seconds) while it runs.
LIVE_EVERY_S = 30.0


@dataclass(frozen=True)
class DemoSensors:
    """What :func:`load_demo_sensors` found, made and stored."""

    devices: int
    created: int
    observations: int


def load_demo_sensors(
    db: Database, *, days: float = HISTORY_DAYS, now: int | None = None
) -> DemoSensors:
    """Make the demo's devices (once) and back-fill their readings up to now, from
    ``days`` ago or from their latest reading (a second run adds only what is new)."""
    now = now_micros() if now is None else now
    fleet = ensure_fleet(db, FLEET, DEVICES, seed=_SEED, who="demo", now=now)
    stored = backfill(db, fleet.devices, now - int(days * DAY_US), now)
    return DemoSensors(len(fleet.devices), fleet.created, stored)


class DemoLive:
    """The demo's live readings: :meth:`start`, :meth:`stop`. ``transport`` says which
    way they went (``mqtt``, or ``db`` when no broker could be started)."""

    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.settings = settings
        self.transport = ""
        self._broker: LocalBroker | None = None
        self._subscriber: Subscriber | None = None
        self._live: LiveThread | None = None

    def start(self) -> DemoLive:
        """Start the broker, the ingest and the simulator (or the database fallback)."""
        with self.db.read() as conn:
            devices = load_fleet(conn, FLEET)
        streams = sum(len(d.streams) for d in devices)
        rate = max(1.0, streams / LIVE_EVERY_S)
        try:
            broker = self._broker = LocalBroker.in_data_folder(self.settings.data_dir).start()
            user = broker.server()
            self._subscriber = Subscriber(
                user,
                "dothi-demo-ingest",
                [f"{VERSION}/+/Observations"],
                Ingest(self.db),
                batch_size=500,
            ).start()
            self._subscriber.wait_subscribed()
            runner = Runner(
                devices,
                MqttSink(user, "dothi-demo-simulator"),
                rate=rate,
                tasks=MqttTasks(user, "dothi-demo-tasks"),
            )
            self.transport = "mqtt"
        except DothiError as exc:
            log.warning("demo sensors: MQTT unavailable (%s); writing to the database", exc.en)
            self._stop_mqtt()
            runner = Runner(devices, DbSink(self.db, devices), rate=rate, tasks=DbTasks(self.db))
            self.transport = "db"
        self._live = LiveThread(runner).start()
        return self

    def _stop_mqtt(self) -> None:
        if self._subscriber is not None:
            self._subscriber.stop()
            self._subscriber = None
        if self._broker is not None:
            self._broker.stop()
            self._broker = None

    def stop(self) -> None:
        """Stop the simulator first (what it sent is stored), then the ingest and broker."""
        if self._live is not None:
            self._live.stop()
            self._live = None
        self._stop_mqtt()
