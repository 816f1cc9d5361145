"""The demo city's sensors: a fleet with a week of history made once (both backends), and
live readings while the demo runs — over its private MQTT broker and an ingest thread, or
into the database when no broker can be started."""

from __future__ import annotations

import time
from typing import Any

import pytest
from sqlalchemy import func, select

from dothi.config import Settings
from dothi.db.engine import Database
from dothi.demo.loader import load_demo
from dothi.demo.sensors import DEVICES, FLEET, DemoLive, DemoSensors
from dothi.errors import ConfigError
from dothi.sensors.mqtt.local import MOSQUITTO, LocalBroker
from dothi.sensors.simulate.provision import load_fleet
from dothi.sensors.tables import observation, rollup, thing


def _count(db: Database, table: Any = observation) -> int:
    with db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def test_the_demo_has_sensors_with_a_week_of_history(db: Database, settings: Settings) -> None:
    made: list[DemoSensors] = []
    load_demo(db, settings, on_sensors=made.append)
    assert made[0].devices == sum(DEVICES.values()) == made[0].created
    with db.read() as conn:
        fleet = load_fleet(conn, FLEET)
        on_roads = conn.execute(
            select(func.count()).select_from(thing).where(thing.c.layer_id == "road")
        ).scalar_one()
    kinds = {k: sum(1 for d in fleet if d.kind.name == k) for k in DEVICES}
    assert kinds == DEVICES
    # Streetlights, bins, counters and flood sensors stand on the demo's roads.
    assert on_roads == DEVICES["light"] + DEVICES["bin"] + DEVICES["traffic"] + DEVICES["flood"]
    assert made[0].observations == _count(db) > 50_000
    assert _count(db, rollup) > 10_000
    # A second load adds no device and only what the minutes since brought.
    load_demo(db, settings, on_sensors=made.append)
    assert made[1].created == 0 and made[1].observations < 500


def _wait_for_more(db: Database, before: int, timeout: float = 60.0) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        now = _count(db)
        if now > before:
            return now
        time.sleep(0.2)
    pytest.fail("no live reading was stored")


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite"])
def test_live_readings_while_the_demo_runs(
    db: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    load_demo(db, settings)
    before = _count(db)
    if MOSQUITTO.exists():
        live = DemoLive(db, settings).start()
        try:
            assert live.transport == "mqtt"
            _wait_for_more(db, before)
        finally:
            live.stop()
        assert not (settings.data_dir / "mqtt" / "mosquitto.pid").exists()

    # Without a broker the simulator writes to the database itself.
    def no_broker(self: LocalBroker, timeout: float = 30.0) -> LocalBroker:
        raise ConfigError("không có mosquitto", "no mosquitto")

    monkeypatch.setattr(LocalBroker, "start", no_broker)
    before = _count(db)
    live = DemoLive(db, settings).start()
    try:
        assert live.transport == "db"
        _wait_for_more(db, before)
    finally:
        live.stop()
