"""How long raw readings are kept: a Datastream with ``retention_days`` loses its older
observations (the hourly and daily rollups stay, so charts keep their history)."""

from __future__ import annotations

from sqlalchemy import Connection, delete, select, update

from dothi.errors import InvalidInput
from dothi.sensors.sta.model import BY_NAME
from dothi.sensors.sta.times import now_micros
from dothi.sensors.sta.writes import require_exists
from dothi.sensors.tables import datastream, observation

_DAY_US = 86_400_000_000


def set_retention(conn: Connection, datastream_id: int, days: int | None) -> None:
    """Keep the Datastream's raw readings ``days`` days (None: for ever)."""
    if days is not None and not 1 <= days <= 36_500:
        raise InvalidInput(
            "Số ngày lưu phải từ 1 đến 36 500.", "The retention must be 1 to 36,500 days."
        )
    require_exists(conn, BY_NAME["Datastream"], datastream_id)
    conn.execute(
        update(datastream).where(datastream.c.id == datastream_id).values(retention_days=days)
    )


def apply_retention(conn: Connection, now: int | None = None) -> dict[int, int]:
    """Delete the readings older than each Datastream's retention; how many per stream."""
    now = now_micros() if now is None else now
    rows = conn.execute(
        select(datastream.c.id, datastream.c.retention_days).where(
            datastream.c.retention_days.is_not(None)
        )
    ).all()
    dropped: dict[int, int] = {}
    for stream_id, days in rows:
        cutoff = now - int(days) * _DAY_US
        # (datastream_id, phenomenon_time_start) is indexed: a range, not a scan.
        result = conn.execute(
            delete(observation).where(
                observation.c.datastream_id == stream_id,
                observation.c.phenomenon_time_start < cutoff,
            )
        )
        if result.rowcount:
            dropped[int(stream_id)] = int(result.rowcount)
            conn.execute(
                update(datastream)
                .where(datastream.c.id == stream_id, datastream.c.phenomenon_time_start < cutoff)
                .values(phenomenon_time_start=cutoff)
            )
    return dropped
