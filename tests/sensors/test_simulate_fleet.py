"""A simulated fleet in the database (both backends): its Things made through the
SensorThings service layer and saying what they are, placed on the city's roads and
wards, a history back-filled once with its rollups, and live readings over the database,
HTTP (dataArray) and MQTT, with a streetlight obeying a dimming task."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import numpy as np
import orjson
from click.testing import CliRunner
from fastapi.testclient import TestClient
from mqtt_broker import wait_until
from prepared import dataset
from samples import ORIGIN, commune, write_geojson
from shapely.geometry import LineString
from sqlalchemy import func, select
from sta_client import ROOT, sta_client

from dothi.capabilities import import_hooks, migration_folders
from dothi.config import Settings
from dothi.console import Context
from dothi.db.engine import Database
from dothi.errors import InvalidInput
from dothi.sensors.ingest import Ingest
from dothi.sensors.mqtt.local import LocalBroker
from dothi.sensors.mqtt.settings import Broker
from dothi.sensors.mqtt.subscriber import Subscriber
from dothi.sensors.mqtt.topics import tasks_topic
from dothi.sensors.simulate.command import FLEET, simulate_command
from dothi.sensors.simulate.devices import Device
from dothi.sensors.simulate.fleet import ensure_fleet
from dothi.sensors.simulate.history import backfill
from dothi.sensors.simulate.live import Runner
from dothi.sensors.simulate.provision import load_fleet
from dothi.sensors.simulate.series import DAY_US, HOUR_US
from dothi.sensors.simulate.transports import (
    DbSink,
    DbTasks,
    HttpApi,
    HttpSink,
    HttpTasks,
    MqttSink,
    MqttTasks,
)
from dothi.sensors.sta.times import now_micros
from dothi.sensors.tables import datastream, observation, rollup, tasking_capability, thing
from dothi.spatial.importer import ImportOptions, import_file

pytest_plugins = ["mqtt_broker"]

SMALL = {
    "air_replay": 3,
    "air": 1,
    "traffic": 1,
    "rain": 1,
    "flood": 2,
    "canal": 1,
    "light": 4,
    "bin": 2,
    "water_meter": 1,
    "power_meter": 1,
}
x, y = ORIGIN


@dataset
def town(db: Database, settings: Settings, tmp_path: Path) -> int:
    """Two streets and a ward, a small fleet on them, and a day of its readings; the time
    the history ends."""
    roads = [
        {
            "road_uid": "r1",
            "name": "Lê Lợi",
            "road_class": "main_urban",
            "geometry": LineString([(x, y), (x + 0.01, y)]),
        },
        {
            "road_uid": "r2",
            "name": "Pasteur",
            "road_class": "local",
            "geometry": LineString([(x, y), (x, y + 0.006)]),
        },
    ]
    for layer, rows, key in (("road", roads, "road_uid"), ("admin_commune", [commune()], "code")):
        path = write_geojson(tmp_path / f"{layer}.geojson", rows)
        import_file(db, settings, path, ImportOptions(layer_id=layer, key=key))
    now = now_micros()
    fleet = ensure_fleet(db, "test", SMALL, seed=1, who="test", now=now)
    backfill(db, fleet.devices, now - DAY_US, now)
    return now


def _fleet(db: Database) -> list[Device]:
    with db.read() as conn:
        return load_fleet(conn, "test")


def _count(db: Database, table: Any = observation) -> int:
    with db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def test_the_things_say_what_they_are_and_where(
    town: int, db: Database, settings: Settings
) -> None:
    devices = _fleet(db)
    assert len(devices) == sum(SMALL.values())
    with db.read() as conn:
        things = {r.id: r for r in conn.execute(select(thing))}
        streams = conn.execute(select(datastream.c.thing_id, datastream.c.properties)).all()
        caps = conn.execute(
            select(tasking_capability.c.thing_id, tasking_capability.c.tasking_parameters)
        ).all()
    for d in devices:
        props = orjson.loads(things[d.thing_id].properties)
        assert props["fleet"] == "test" and props["kind"] == d.kind.name
        if d.kind.name == "air_replay":
            assert props["simulated"] is False and props["replay"]["shift_days"] % 7 == 0
            assert "thời gian được dời" in props["replay"]["note_vi"]
        else:
            assert props["simulated"] is True and "mô phỏng" in props["note"]["vi"]
        if d.kind.name in ("light", "bin", "traffic", "flood"):
            assert (things[d.thing_id].layer_id, things[d.thing_id].fid) in {
                ("road", "r1"),
                ("road", "r2"),
            }
    for thing_id, text in streams:
        kind = next(d.kind for d in devices if d.thing_id == thing_id)
        assert orjson.loads(text)["simulated"] is kind.simulated
    lights = {d.thing_id for d in devices if d.kind.name == "light"}
    assert {t for t, _ in caps} == lights
    assert all("dim" in text for _, text in caps)
    # Made once: a second run finds the fleet.
    assert ensure_fleet(db, "test", SMALL, seed=1, who="test").created == 0
    # And the SensorThings API shows it as any Thing.
    client, _ = sta_client(db, settings)
    one = client.get(f"{ROOT}/Things({devices[-1].thing_id})?$expand=Datastreams,Locations").json()
    assert (
        one["properties"]["simulated"] is True
        and one["Locations"][0]["location"]["type"] == "Point"
    )


def test_history_is_back_filled_once_with_its_rollups(town: int, db: Database) -> None:
    stored = _count(db)
    with db.read() as conn:
        per_stream = dict(
            conn.execute(
                select(observation.c.datastream_id, func.count()).group_by(
                    observation.c.datastream_id
                )
            ).all()
        )
        hours = conn.execute(
            select(func.count()).select_from(rollup).where(rollup.c.resolution == "hour")
        ).scalar_one()
    bins = [d for d in _fleet(db) if d.kind.name == "bin"]
    # A reading every 15 minutes for a day.
    assert all(95 <= per_stream[d.streams["bin_fill"]] <= 97 for d in bins)
    assert hours >= 24 * len(bins)
    # Again over the same day: nothing new; a later window adds only what follows.
    assert backfill(db, _fleet(db), town - DAY_US, town) == 0
    assert _count(db) == stored
    added = backfill(db, bins, town - DAY_US, town + HOUR_US)
    assert 3 * len(bins) <= added <= 5 * len(bins)


def _night_lamp(devices: list[Device], now: int) -> Device:
    """A lamp without a fault at ``now``."""
    for d in devices:
        if d.kind.name == "light" and d.sample(np.asarray([now]))["lamp_fault"][0] == "none":
            return d
    raise AssertionError("every lamp is at fault")


def _post_task(
    client: TestClient, auth: dict[str, str], cap: int, params: dict[str, Any], status: int = 201
) -> None:
    body = {"taskingParameters": params, "TaskingCapability": {"@iot.id": cap}}
    assert client.post(f"{ROOT}/Tasks", json=body, headers=auth).status_code == status


def _latest(db: Database, datastream_id: int) -> float:
    with db.read() as conn:
        return float(
            conn.execute(
                select(observation.c.result_number)
                .where(observation.c.datastream_id == datastream_id)
                .order_by(observation.c.phenomenon_time_start.desc())
                .limit(1)
            ).scalar_one()
        )


def test_live_rounds_into_the_database_and_a_lamp_obeys(
    town: int, db: Database, settings: Settings
) -> None:
    devices = _fleet(db)
    now = now_micros()
    lamp = _night_lamp(devices, now)
    runner = Runner(devices, DbSink(db, devices), rate=1000, tasks=DbTasks(db), now=now)
    before = _count(db)
    sent = runner.step(now)
    assert sent > 0 and _count(db) == before + sent
    client, auth = sta_client(db, settings)
    assert lamp.tasking_id is not None
    _post_task(client, auth, lamp.tasking_id, {"state": "on", "dim": 35})
    runner.step(now + 1_000_000)
    assert runner.stats.tasks == 1 and _latest(db, lamp.streams["dim_level"]) == 35
    # A task outside the capability's parameters never reaches the lamp.
    _post_task(client, auth, lamp.tasking_id, {"dim": "bright"}, status=400)
    runner.step(now + 2_000_000)
    assert runner.stats.tasks == 1 and runner.stats.tasks_refused == 0


class _InProcess(HttpApi):
    """The server's API through the test client instead of the network."""

    def __init__(self, client: TestClient, token: str) -> None:
        super().__init__("http://testserver", token)
        self.client = client

    def call(self, method: str, path: str, body: Any = None) -> Any:
        r = self.client.request(
            method, f"{ROOT}/{path}", json=body, headers={"Authorization": f"Bearer {self.token}"}
        )
        if r.status_code >= 400:
            raise InvalidInput(r.text, r.text)
        return r.json()


def test_http_sends_data_arrays_and_polls_tasks(
    town: int, db: Database, settings: Settings
) -> None:
    devices = _fleet(db)
    client, auth = sta_client(db, settings)
    api = _InProcess(client, auth["Authorization"].removeprefix("Bearer "))
    now = now_micros()
    tasks = HttpTasks(api)
    assert tasks.poll() == []  # what is there at the start is old news
    runner = Runner(devices, HttpSink(api), rate=1000, tasks=tasks, now=now)
    before = _count(db)
    sent = runner.step(now)
    assert sent > 0 and runner.sink.stats.sent == sent and _count(db) == before + sent
    lamp = _night_lamp(devices, now)
    assert lamp.tasking_id is not None
    _post_task(client, auth, lamp.tasking_id, {"state": "on", "dim": 20})
    runner.step(now + 1_000_000)
    assert runner.stats.tasks == 1 and _latest(db, lamp.streams["dim_level"]) == 20
    # A refused request counts its readings as failed, and the round goes on.
    bad = HttpSink(_InProcess(client, "not-a-token"))
    bad.send(devices[5].readings_at(np.asarray([now])))
    assert bad.stats.failed > 0 and bad.stats.sent == 0


def test_mqtt_publishes_as_the_devices_would(
    town: int, db: Database, mqtt_broker: LocalBroker, server: Broker
) -> None:
    devices = [d for d in _fleet(db) if d.kind.name != "air_replay"]
    ingest = Ingest(db)
    before = _count(db)
    sink = MqttSink(server, f"sim-{uuid.uuid4().hex[:8]}")
    tasks = MqttTasks(server, f"sim-tasks-{uuid.uuid4().hex[:8]}")
    client_id = f"ingest-{uuid.uuid4().hex[:8]}"
    with Subscriber(server, client_id, ["v1.1/+/Observations"], ingest, batch_ms=50) as sub:
        sub.wait_subscribed()
        runner = Runner(devices, sink, rate=1000, tasks=tasks)
        sent = runner.step()
        assert sent > 0
        wait_until(lambda: _count(db) == before + sent, what="every reading stored")
        # The server republishes a committed Task with its @iot.id: the lamp gets it.
        lamp = _night_lamp(devices, now_micros())
        assert lamp.tasking_id is not None
        task = {"@iot.id": 1, "taskingParameters": {"state": "off"}}
        sink.publisher.publish(tasks_topic(lamp.tasking_id), orjson.dumps(task), qos=1)
        wait_until(lambda: runner.step() >= 0 and runner.stats.tasks == 1, what="the task")
        assert lamp.override is not None and lamp.override.state == "off"
        runner.close()
    assert sum(ingest.totals.rejected.values()) == 0 and ingest.totals.duplicates == 0


def test_the_simulate_command(env: dict[str, str], db: Database) -> None:
    runner = CliRunner()
    args = ["--devices", "12", "--history", "0.1", "--transport", "db", "--duration", "0.3"]
    obj = Context(migration_folders(), import_hooks())
    first = runner.invoke(simulate_command, args, obj=obj, env=env)
    assert first.exit_code == 0, first.output
    assert "Fleet: 12 devices (12 new)" in first.output and "History of 0.1 days" in first.output
    with db.read() as conn:
        assert len(load_fleet(conn, FLEET)) == 12
    assert _count(db) > 0
    again = runner.invoke(
        simulate_command, args, obj=Context(migration_folders(), import_hooks()), env=env
    )
    assert again.exit_code == 0 and "Fleet: 12 devices (0 new)" in again.output
    no_token = runner.invoke(
        simulate_command,
        ["--devices", "12", "--transport", "http"],
        obj=Context(migration_folders(), import_hooks()),
        env=env,
    )
    assert no_token.exit_code != 0 and "--token" in str(no_token.exception)
