"""Days of readings written at once (``dothi simulate --history``, the demo's week): the
devices' patterns (or replayed series) over a window, stored through the observations
store in large batches, so the rollups and the Datastreams' time ranges follow as they
do for any ingest.

A device that already has readings continues after its latest one: running it again
adds only what is missing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sqlalchemy import Connection, select

from dothi.db.engine import Database
from dothi.sensors.simulate.devices import Device, Reading
from dothi.sensors.sta.codec import BOOLEAN, NUMBER, STRING
from dothi.sensors.sta.writes import feature_from_location
from dothi.sensors.store import ObservationRow, insert_observations
from dothi.sensors.tables import datastream

#: A reading every 15 minutes, as the city's devices report.
CADENCE_US = 15 * 60 * 1_000_000
#: Rows per transaction.
CHUNK = 50_000


def observation_row(reading: Reading, feature_id: int) -> ObservationRow:
    """The stored row of a reading (number, boolean or category)."""
    value = reading.result
    number: float | None = None
    text: str | None = None
    if isinstance(value, bool):
        kind, number = BOOLEAN, 1.0 if value else 0.0
    elif isinstance(value, str):
        kind, text = STRING, value
    else:
        kind, number = NUMBER, float(value)
    return ObservationRow(
        datastream_id=reading.datastream_id,
        multi_datastream_id=None,
        feature_id=feature_id,
        phenomenon_time_start=reading.start,
        phenomenon_time_end=reading.end,
        result_time=None,
        valid_time_start=None,
        valid_time_end=None,
        result_kind=kind,
        result_number=number,
        result_text=text,
        result_json=None,
        result_quality=None,
        parameters=None,
    )


def latest_ends(conn: Connection) -> dict[int, int]:
    """The end of each Datastream's phenomenon times so far (µs), where it has any."""
    rows = conn.execute(
        select(datastream.c.id, datastream.c.phenomenon_time_end).where(
            datastream.c.phenomenon_time_end.is_not(None)
        )
    )
    return {int(i): int(end) for i, end in rows}


class FeatureCache:
    """The FeatureOfInterest of each Thing (made from its Location on first use)."""

    def __init__(self) -> None:
        self._ids: dict[int, int] = {}

    def of(self, conn: Connection, thing_id: int) -> int:
        """The Thing's feature id (inside a write transaction)."""
        found = self._ids.get(thing_id)
        if found is None:
            found = self._ids[thing_id] = feature_from_location(conn, thing_id)
        return found


def write_readings(
    conn: Connection,
    devices: dict[int, Device],
    readings: Sequence[Reading],
    features: FeatureCache,
) -> int:
    """Store readings of the ``devices`` (by Datastream) in the caller's transaction."""
    owner = {ds: d.thing_id for d in devices.values() for ds in d.streams.values()}
    rows = [observation_row(r, features.of(conn, owner[r.datastream_id])) for r in readings]
    insert_observations(conn, rows)
    return len(rows)


def backfill(
    db: Database,
    devices: Sequence[Device],
    start: int,
    end: int,
    *,
    cadence: int = CADENCE_US,
    on_chunk: Callable[[int], None] | None = None,
) -> int:
    """Write what ``devices`` report in ``[start, end)`` (µs), after what each already
    has; how many observations were stored."""
    with db.read() as conn:
        ends = latest_ends(conn)
    by_thing = {d.thing_id: d for d in devices}
    features = FeatureCache()
    pending: list[Reading] = []
    total = 0

    def flush() -> None:
        nonlocal total
        if not pending:
            return
        with db.write() as conn:
            total += write_readings(conn, by_thing, pending, features)
        pending.clear()
        if on_chunk is not None:
            on_chunk(total)

    for device in devices:
        done = [ends[ds] for ds in device.streams.values() if ds in ends]
        since = max([start, *(t + 1 for t in done)]) if done else start
        if since >= end or not device.streams:
            continue
        pending.extend(device.readings(since, end, cadence, continuing=bool(done)))
        if len(pending) >= CHUNK:
            flush()
    flush()
    return total
