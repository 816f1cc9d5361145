"""The observations store on both backends: one batch widens its streams' time ranges and
folds its numbers into hourly and daily rollups (late readings too, the day being Việt
Nam's), PostgreSQL makes the months' partitions it needs, and retention drops raw readings
while the rollups stay."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select, text
from sta_client import ROOT, sta_client, thing

from dothi.config import Settings
from dothi.db.engine import Database
from dothi.sensors.retention import apply_retention, set_retention
from dothi.sensors.sta.codec import result_columns
from dothi.sensors.sta.observations import observation_row
from dothi.sensors.sta.times import to_micros
from dothi.sensors.store import insert_observations
from dothi.sensors.tables import datastream, observation, rollup


def _us(*args: int) -> int:
    return to_micros(datetime(*args, tzinfo=UTC))  # type: ignore[misc]


def _datastream(db: Database, settings: Settings) -> int:
    client, auth = sta_client(db, settings)
    tid = client.post(f"{ROOT}/Things", json=thing(), headers=auth).json()["@iot.id"]
    return int(client.get(f"{ROOT}/Things({tid})/Datastreams").json()["value"][0]["@iot.id"])


def _rows(dsid: int, readings: list[tuple[int, float]]) -> list:  # type: ignore[type-arg]
    return [
        observation_row(
            {"datastream_id": dsid, "phenomenon_time_start": t, **result_columns(v)}, now=t
        )
        for t, v in readings
    ]


def test_a_batch_updates_ranges_and_rollups(db: Database, settings: Settings) -> None:
    dsid = _datastream(db, settings)
    # 16:30 and 17:10 UTC are 23:30 on 5 December and 00:10 on 6 December in Việt Nam.
    first = [(_us(2026, 12, 5, 16, 30), 10.0), (_us(2026, 12, 5, 16, 50), 20.0)]
    with db.write() as conn:
        insert_observations(conn, _rows(dsid, first))
    late = [(_us(2026, 12, 5, 17, 10), 40.0), (_us(2026, 12, 5, 16, 40), 30.0)]
    with db.write() as conn:
        insert_observations(conn, _rows(dsid, late))
    with db.read() as conn:
        ds = conn.execute(select(datastream).where(datastream.c.id == dsid)).mappings().one()
        rolls = (
            conn.execute(select(rollup).order_by(rollup.c.resolution, rollup.c.bucket))
            .mappings()
            .all()
        )
    assert ds["phenomenon_time_start"] == _us(2026, 12, 5, 16, 30)
    assert ds["phenomenon_time_end"] == _us(2026, 12, 5, 17, 10)
    days = [r for r in rolls if r["resolution"] == "day"]
    hours = [r for r in rolls if r["resolution"] == "hour"]
    assert [d["bucket"] for d in days] == [_us(2026, 12, 4, 17), _us(2026, 12, 5, 17)]
    assert [d["count"] for d in days] == [3, 1]
    h16 = hours[0]
    assert (h16["count"], h16["minimum"], h16["maximum"], h16["total"]) == (3, 10.0, 30.0, 60.0)
    # The latest reading of the hour stays the last one in time, not the last to arrive.
    assert (h16["last_time"], h16["last_value"]) == (_us(2026, 12, 5, 16, 50), 20.0)


def test_partitions_follow_the_rows_and_retention_keeps_rollups(
    db: Database, settings: Settings
) -> None:
    dsid = _datastream(db, settings)
    readings = [(_us(2026, 10, 15), 1.0), (_us(2026, 11, 15), 2.0), (_us(2026, 12, 5), 3.0)]
    with db.write() as conn:
        insert_observations(conn, _rows(dsid, readings))
        set_retention(conn, dsid, 10)
    if db.backend == "postgresql":
        with db.read() as conn:
            names = conn.execute(
                text("SELECT relname FROM pg_class WHERE relname LIKE 'sta_observation_y%'")
            ).scalars()
            assert {"sta_observation_y2026m10", "sta_observation_y2026m11"} <= set(names)
    with db.write() as conn:
        dropped = apply_retention(conn, now=_us(2026, 12, 6))
    assert dropped == {dsid: 2}
    with db.read() as conn:
        left = conn.execute(select(observation.c.result_number)).scalars().all()
        days = conn.execute(select(rollup.c.bucket).where(rollup.c.resolution == "day")).all()
    assert left == [3.0] and len(days) == 3
