"""``/sensors``, the map's API (both backends): each device's latest readings and the
state its colour shows (VN_AQI for air, thresholds for water, lamps, bins, traffic), the
latest-reading query walking the (stream, time) index, and the rollups a chart draws."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from prepared import dataset

from dothi.app.main import create_app
from dothi.config import Settings
from dothi.db.engine import Database
from dothi.sensors.api import router
from dothi.sensors.aqi import Pollutant, Series, hourly_aqi
from dothi.sensors.latest import latest_query
from dothi.sensors.simulate.devices import Device, Reading
from dothi.sensors.simulate.fleet import ensure_fleet
from dothi.sensors.simulate.history import FeatureCache, write_readings
from dothi.sensors.simulate.provision import load_fleet
from dothi.sensors.sta.times import iso, now_micros

HOUR = 3_600_000_000
KINDS = {
    "air": 1,
    "flood": 1,
    "canal": 1,
    "rain": 1,
    "light": 1,
    "bin": 1,
    "traffic": 1,
    "water_meter": 1,
}


@dataset
def stations(db: Database, settings: Settings, tmp_path: Any) -> int:
    """One device of each kind (no city: central TP HCM), without readings; the hour the
    tests' readings end at."""
    ensure_fleet(db, "api", KINDS, seed=3, who="test")
    return now_micros() // HOUR * HOUR


def app_of(settings: Settings, db: Database) -> TestClient:
    """The app, with the ``/sensors`` API mounted (once the capability mounts it, as is)."""
    app: FastAPI = create_app(settings, db)
    if not any(getattr(r, "path", "") == "/sensors/latest" for r in app.routes):
        app.include_router(router, prefix="/sensors")
    return TestClient(app)


def _devices(db: Database) -> dict[str, Device]:
    with db.read() as conn:
        return {d.kind.name: d for d in load_fleet(conn, "api")}


def _write(db: Database, devices: dict[str, Device], readings: list[Reading]) -> None:
    by_thing = {d.thing_id: d for d in devices.values()}
    with db.write() as conn:
        write_readings(conn, by_thing, readings, FeatureCache())


def _features(client: TestClient) -> dict[int, dict[str, Any]]:
    r = client.get("/sensors/latest")
    assert r.status_code == 200 and r.json()["type"] == "FeatureCollection"
    return {f["id"]: f["properties"] for f in r.json()["features"]}


def test_each_device_shows_its_latest_readings_and_state(
    stations: int, db: Database, settings: Settings
) -> None:
    d, end = _devices(db), stations
    air = d["air"]
    pm25 = [(end - (12 - k) * HOUR, 30.0 + 4 * k) for k in range(12)]
    pm10 = [(end - (12 - k) * HOUR, 50.0 + 6 * k) for k in range(12)]
    readings = [Reading(air.streams["pm25"], t, None, v) for t, v in pm25]
    readings += [Reading(air.streams["pm10"], t, None, v) for t, v in pm10]
    readings += [
        Reading(d["flood"].streams["flood_depth"], end - HOUR, None, 0.05),
        Reading(d["flood"].streams["flood_depth"], end, None, 0.52),
        # A late reading, older than the latest: it does not replace it.
        Reading(d["flood"].streams["flood_depth"], end - 2 * HOUR, None, 0.0),
        Reading(d["canal"].streams["water_level"], end, None, 1.35),
        Reading(d["rain"].streams["rainfall"], end, None, 62.5),
        Reading(d["light"].streams["lamp_state"], end, None, False),
        Reading(d["light"].streams["lamp_fault"], end, None, "lamp_failure"),
        Reading(d["bin"].streams["bin_fill"], end, None, 85),
        Reading(d["traffic"].streams["occupancy"], end, None, 30.5),
        Reading(d["water_meter"].streams["water_volume"], end - 5 * HOUR, None, 1234.5),
    ]
    _write(db, d, readings)
    features = _features(app_of(settings, db))
    assert set(features) == {x.thing_id for x in d.values()}

    def state(kind: str) -> dict[str, Any]:
        found: dict[str, Any] = features[d[kind].thing_id]["state"]
        return found

    # Air: the hourly VN_AQI of the decision, in its colours.
    at = datetime.fromtimestamp(end / 1e6, UTC)
    expected = hourly_aqi(
        [
            Series(
                Pollutant.PM2_5,
                [(datetime.fromtimestamp((t + HOUR) / 1e6, UTC), v) for t, v in pm25],
            ),
            Series(
                Pollutant.PM10,
                [(datetime.fromtimestamp((t + HOUR) / 1e6, UTC), v) for t, v in pm10],
            ),
        ],
        at,
    )
    assert expected.value is not None and expected.band is not None
    assert state("air")["aqi"] == expected.value and state("air")["colour"] == expected.band.hex
    assert state("air")["label"]["vi"] == f"VN_AQI {expected.value} – {expected.band.name_vi}"
    assert (
        features[air.thing_id]["profile"] == "air_quality" and features[air.thing_id]["simulated"]
    )
    # Water against its thresholds: the profile's (0.3 m) and the canal's own (1.3/1.5 m).
    assert state("flood")["level"] == "alert" and "0,52 m" in state("flood")["label"]["vi"]
    assert state("canal")["level"] == "watch"
    assert state("rain")["level"] == "heavy_rain"
    assert state("light")["level"] == "fault" and "hỏng bóng đèn" in state("light")["label"]["vi"]
    assert state("bin")["level"] == "full" and state("traffic")["level"] == "busy"
    assert state("water_meter")["level"] == "stale"
    # The values, units and times of the streams.
    flood = {s["key"]: s for s in features[d["flood"].thing_id]["datastreams"]}
    assert flood["flood_depth"]["value"] == 0.52 and flood["flood_depth"]["unit"] == "m"
    assert flood["flood_depth"]["time"] == iso(end) and flood["flood_depth"]["chart"] is True
    lamp = {s["key"]: s for s in features[d["light"].thing_id]["datastreams"]}
    assert lamp["lamp_state"]["value"] is False and lamp["lamp_state"]["chart"] is False
    assert lamp["dim_level"]["value"] is None
    assert state("light")["legend"] == {"vi": "Đèn lỗi", "en": "Lamp fault"}


def test_the_latest_reading_of_every_stream_walks_the_index(stations: int, db: Database) -> None:
    d = _devices(db)
    # Readings in two months: two partitions on PostgreSQL.
    _write(
        db,
        d,
        [
            Reading(d["bin"].streams["bin_fill"], stations - k * 20 * 24 * HOUR, None, 5)
            for k in range(3)
        ],
    )
    with db.read() as conn:
        stmt = latest_query(conn.dialect.name)
        sql = str(stmt.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
        if conn.dialect.name == "sqlite":
            plan = " ".join(str(r[-1]) for r in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}"))
            assert "ix_sta_observation_stream" in plan, plan
        else:
            assert "LATERAL" in sql
            conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
            plan = "\n".join(r[0] for r in conn.exec_driver_sql(f"EXPLAIN {sql}"))
            # Each monthly partition's copy of (datastream_id, phenomenon_time_start).
            found = re.findall(r"Index (?:Only )?Scan Backward using (\S+)", plan)
            assert len(found) >= 2 and all("datastream_id_phenomenon" in i for i in found), plan


def test_rollups_for_charts(stations: int, db: Database, settings: Settings) -> None:
    d, end = _devices(db), stations
    ds = d["bin"].streams["bin_fill"]
    start = end - 3 * HOUR
    values = [
        (start, 10.0),
        (start + 600_000_000, 20.0),
        (start + HOUR, 30.0),
        (start + 2 * HOUR, 60.0),
    ]
    _write(db, d, [Reading(ds, t, None, v) for t, v in values])
    client = app_of(settings, db)
    hourly = client.get(
        f"/sensors/datastreams/{ds}/rollups", params={"from": iso(start), "to": iso(end)}
    )
    assert hourly.status_code == 200
    body = hourly.json()
    assert body["resolution"] == "hour" and body["datastream"]["unit"] == "%"
    assert [b["time"] for b in body["buckets"]] == [
        iso(start),
        iso(start + HOUR),
        iso(start + 2 * HOUR),
    ]
    first = body["buckets"][0]
    assert (first["count"], first["min"], first["max"], first["mean"], first["last"]) == (
        2,
        10,
        20,
        15,
        20,
    )
    # By default: the last day of hours, and the last week of days.
    assert len(client.get(f"/sensors/datastreams/{ds}/rollups").json()["buckets"]) == 3
    daily = client.get(f"/sensors/datastreams/{ds}/rollups", params={"resolution": "day"}).json()
    assert sum(b["count"] for b in daily["buckets"]) == 4
    assert max(b["max"] for b in daily["buckets"]) == 60


@pytest.mark.parametrize(
    ("params", "status", "words"),
    [
        ({"resolution": "week"}, 400, "hour hoặc day"),
        ({"from": "2026-12-06T10:00:00Z", "to": "2026-12-06T09:00:00Z"}, 400, "trước"),
        ({"from": "2026-01-01T00:00:00Z", "to": "2026-12-01T00:00:00Z"}, 400, "tối đa 31 ngày"),
        ({"from": "hôm qua"}, 400, "ISO 8601"),
    ],
)
def test_bad_chart_requests_say_what_is_wrong(
    stations: int, db: Database, settings: Settings, params: dict[str, str], status: int, words: str
) -> None:
    client = app_of(settings, db)
    ds = _devices(db)["bin"].streams["bin_fill"]
    r = client.get(f"/sensors/datastreams/{ds}/rollups", params=params)
    assert r.status_code == status and words in r.json()["description_vi"]
    missing = client.get("/sensors/datastreams/999999/rollups")
    assert missing.status_code == 404 and "999999" in missing.json()["description"]


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_the_sensors_api_never_fails_with_a_server_error(
    stations: int, db: Database, settings: Settings
) -> None:
    """Generated requests to every ``/sensors`` operation of the API document: no 5xx."""
    import schemathesis
    from hypothesis import HealthCheck, given
    from hypothesis import settings as hsettings
    from schemathesis.checks import not_a_server_error

    app = app_of(settings, db).app
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", app)
    failures: list[str] = []
    operations = [o.ok() for o in schema.get_all_operations()]
    operations = [op for op in operations if op.path.startswith("/sensors")]
    assert len(operations) == 2
    for op in operations:

        @hsettings(
            max_examples=40, deadline=None, database=None, suppress_health_check=list(HealthCheck)
        )
        @given(case=op.as_strategy())
        def check(case: schemathesis.Case) -> None:
            case.call_and_validate(checks=[not_a_server_error])

        try:
            check()
        except Exception as exc:  # every operation's failure, then all of them
            failures.append(f"{op.method.upper()} {op.path}: {exc}")
    assert failures == []
