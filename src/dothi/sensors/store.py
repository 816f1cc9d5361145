"""The observations store: its table per backend, and bulk writes that keep the Datastreams'
time ranges and the hourly and daily rollups up to date once per batch.

The table is made by the migration ``0008_sensors``. PostgreSQL: ``sta_observation`` is
partitioned by month of ``phenomenon_time_start`` (µs),
with a BRIN index on that time and a B-tree on (stream, time); a batch makes the partitions
its rows need before writing them, and rows go in by ``COPY``. SQLite: one table in the data
folder's database, rows by ``executemany``. Neither has a trigger per row: FROST-Server's
users saw back-fills take an hour because of them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import (
    ARRAY,
    BigInteger,
    ColumnElement,
    Connection,
    any_,
    cast,
    func,
    literal,
    select,
)

from dothi.sensors.tables import datastream, multi_datastream, observation

#: The columns a batch writes, in order.
COLUMNS: tuple[str, ...] = tuple(c.name for c in observation.columns)
_MICROS = 1_000_000
_HOUR = 3600 * _MICROS
_DAY = 24 * _HOUR
#: Daily rollups follow the city's day: Việt Nam keeps UTC+7 all year.
_LOCAL_OFFSET = 7 * _HOUR
#: The ids of observations on PostgreSQL (made by the migration 0008_sensors).
_PG_SEQUENCE = "sta_observation_id_seq"


@dataclass(frozen=True)
class ObservationRow:
    """One observation as stored (times in µs since the epoch, UTC)."""

    datastream_id: int | None
    multi_datastream_id: int | None
    feature_id: int | None
    phenomenon_time_start: int
    phenomenon_time_end: int | None
    result_time: int | None
    valid_time_start: int | None
    valid_time_end: int | None
    result_kind: int
    result_number: float | None
    result_text: str | None
    result_json: str | None
    result_quality: str | None
    parameters: str | None
    flagged: bool = False

    def values(self, row_id: int) -> tuple[object, ...]:
        """The row's values in :data:`COLUMNS` order."""
        return (
            row_id,
            self.datastream_id,
            self.multi_datastream_id,
            self.feature_id,
            self.phenomenon_time_start,
            self.phenomenon_time_end,
            self.result_time,
            self.valid_time_start,
            self.valid_time_end,
            self.result_kind,
            self.result_number,
            self.result_text,
            self.result_json,
            self.result_quality,
            self.parameters,
            self.flagged,
        )


# -- Monthly partitions (PostgreSQL) --------------------------------------------------------


def month_bounds(micros: int) -> tuple[int, int, str]:
    """The month holding ``micros``: its first and next month's first µs, and a name."""
    t = datetime.fromtimestamp(micros / _MICROS, UTC)
    start = datetime(t.year, t.month, 1, tzinfo=UTC)
    end = datetime(t.year + (t.month == 12), t.month % 12 + 1, 1, tzinfo=UTC)
    return _micros(start), _micros(end), f"y{t.year:04d}m{t.month:02d}"


def _micros(t: datetime) -> int:
    return int(t.timestamp()) * _MICROS + t.microsecond


def ensure_partitions(conn: Connection, times: Iterable[int]) -> None:
    """Make the monthly partitions that rows at ``times`` (µs) need (PostgreSQL only).

    One catalogue query per batch rather than a cache in the process: a transaction that
    made a partition and was then rolled back leaves no trace to trust.
    """
    if conn.dialect.name != "postgresql":
        return
    stamps = list(times)
    if not stamps:
        return
    needed: dict[str, tuple[int, int]] = {}
    start, end, name = month_bounds(min(stamps))
    last = max(stamps)
    while True:  # every month from the first row's to the last one's
        needed[f"sta_observation_{name}"] = (start, end)
        if last < end:
            break
        start, end, name = month_bounds(end)
    present = set(
        conn.exec_driver_sql(
            "SELECT relname FROM pg_class WHERE relname = ANY(%(names)s)", {"names": list(needed)}
        ).scalars()
    )
    for table, (start, end) in sorted(needed.items()):
        if table in present:
            continue
        # Two writers may meet a new month together: one creates, the other waits.
        conn.exec_driver_sql("SELECT pg_advisory_xact_lock(hashtext('sta_observation_partition'))")
        conn.exec_driver_sql(
            f"CREATE TABLE IF NOT EXISTS {table} PARTITION OF sta_observation "
            f"FOR VALUES FROM ({start}) TO ({end})"
        )


# -- Writing --------------------------------------------------------------------------------


def insert_observations(conn: Connection, rows: Sequence[ObservationRow]) -> list[int]:
    """Write ``rows`` in one go and bring their streams' time ranges up to date; their ids.

    Call inside the write transaction that acknowledges them: nothing is durable before
    the commit, and the caller answers (HTTP 201, MQTT ack) only after it.
    """
    if not rows:
        return []
    if conn.dialect.name == "postgresql":
        ids = _insert_postgresql(conn, rows)
    else:
        ids = _insert_sqlite(conn, rows)
    _update_time_ranges(conn, rows)
    _update_rollups(conn, rows)
    return ids


def _insert_postgresql(conn: Connection, rows: Sequence[ObservationRow]) -> list[int]:
    ensure_partitions(conn, (r.phenomenon_time_start for r in rows))
    ids = [
        int(i)
        for i in conn.exec_driver_sql(
            f"SELECT nextval('{_PG_SEQUENCE}') FROM generate_series(1, {len(rows)})"
        ).scalars()
    ]
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    with cursor.copy(f"COPY sta_observation ({', '.join(COLUMNS)}) FROM STDIN") as copy:
        for row_id, r in zip(ids, rows, strict=True):
            copy.write_row(r.values(row_id))
    return ids


def _insert_sqlite(conn: Connection, rows: Sequence[ObservationRow]) -> list[int]:
    # The write transaction holds SQLite's only write lock: no one else takes these ids.
    first = int(conn.execute(select(func.coalesce(func.max(observation.c.id), 0))).scalar_one()) + 1
    ids = list(range(first, first + len(rows)))
    marks = ", ".join("?" for _ in COLUMNS)
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    cursor.executemany(
        f"INSERT INTO sta_observation ({', '.join(COLUMNS)}) VALUES ({marks})",
        [r.values(i) for i, r in zip(ids, rows, strict=True)],
    )
    return ids


def _update_time_ranges(conn: Connection, rows: Sequence[ObservationRow]) -> None:
    """Widen the phenomenon and result times of every stream of the batch: one UPDATE
    statement per table, run with one parameter set per stream (a statement built per
    stream cost more than the rows it updated)."""
    spans: dict[tuple[bool, int], list[int]] = {}
    for r in rows:
        multi = r.datastream_id is None
        key = (multi, int(r.multi_datastream_id if multi else r.datastream_id))  # type: ignore[arg-type]
        end = (
            r.phenomenon_time_end if r.phenomenon_time_end is not None else r.phenomenon_time_start
        )
        result = r.result_time if r.result_time is not None else r.phenomenon_time_start
        span = spans.get(key)
        if span is None:
            spans[key] = [r.phenomenon_time_start, end, result, result]
            continue
        span[0] = min(span[0], r.phenomenon_time_start)
        span[1] = max(span[1], end)
        span[2] = min(span[2], result)
        span[3] = max(span[3], result)
    for multi in (False, True):
        spans_of = sorted((k[1], *v) for k, v in spans.items() if k[0] is multi)
        if not spans_of:
            continue
        table = (multi_datastream if multi else datastream).name
        if conn.dialect.name == "postgresql":
            _widen_postgresql(conn, table, spans_of)
            continue
        conn.exec_driver_sql(
            f"UPDATE {table} SET "
            "phenomenon_time_start = min(coalesce(phenomenon_time_start, ?2), ?2), "
            "phenomenon_time_end = max(coalesce(phenomenon_time_end, ?3), ?3), "
            "result_time_start = min(coalesce(result_time_start, ?4), ?4), "
            "result_time_end = max(coalesce(result_time_end, ?5), ?5) WHERE id = ?1",
            spans_of,
        )


def _widen_postgresql(conn: Connection, table: str, spans: list[tuple[int, ...]]) -> None:
    """One UPDATE from arrays (a parameter set per stream cost some 40 µs each). The rows
    are locked first in id order, so that two ingest workers never deadlock."""
    columns = _arrays(spans, ("stream", "p0", "p1", "r0", "r1"))
    conn.exec_driver_sql(
        f"SELECT 1 FROM {table} WHERE id = ANY(%(stream)s::bigint[]) ORDER BY id FOR NO KEY UPDATE",
        {"stream": columns["stream"]},
    )
    conn.exec_driver_sql(
        f"UPDATE {table} AS t SET "
        "phenomenon_time_start = least(t.phenomenon_time_start, u.p0), "
        "phenomenon_time_end = greatest(t.phenomenon_time_end, u.p1), "
        "result_time_start = least(t.result_time_start, u.r0), "
        "result_time_end = greatest(t.result_time_end, u.r1) "
        "FROM unnest(%(stream)s::bigint[], %(p0)s::bigint[], %(p1)s::bigint[], "
        "%(r0)s::bigint[], %(r1)s::bigint[]) AS u(id, p0, p1, r0, r1) WHERE t.id = u.id",
        columns,
    )


def _arrays(rows: Sequence[Sequence[object]], names: Sequence[str]) -> dict[str, str]:
    """Rows turned into one PostgreSQL array literal per column (for ``%(name)s::type[]``)."""
    return {
        name: pg_array(column) for name, column in zip(names, zip(*rows, strict=True), strict=True)
    }


def among(conn: Connection, column: ColumnElement[int], ids: Iterable[int]) -> ColumnElement[bool]:
    """``column IN ids``, as one array parameter on PostgreSQL (see :func:`pg_array`)."""
    if conn.dialect.name == "postgresql":
        return column == any_(cast(literal(pg_array(sorted(ids))), ARRAY(BigInteger)))
    return column.in_(sorted(ids))


def pg_array(values: Iterable[object]) -> str:
    """A PostgreSQL array literal of numbers or of plain words (``{1,2,3}``), sent as one
    text parameter and cast in SQL: psycopg dumps a list element by element in Python,
    which cost more than the statement it fed."""
    return "{" + ",".join(map(str, values)) + "}"


def _update_rollups(conn: Connection, rows: Sequence[ObservationRow]) -> None:
    """Fold the batch's numeric results into the hourly and daily rollups of their
    Datastreams: one upsert per (stream, bucket), late and out-of-order readings included."""
    buckets: dict[tuple[int, str, int], list[float]] = {}
    for r in rows:
        if r.datastream_id is None or r.result_kind != 0 or r.result_number is None:
            continue
        t, v = r.phenomenon_time_start, r.result_number
        hour = t - t % _HOUR
        day = t - (t + _LOCAL_OFFSET) % _DAY
        for key in ((r.datastream_id, "hour", hour), (r.datastream_id, "day", day)):
            b = buckets.get(key)
            if b is None:
                buckets[key] = [1, v, v, v, t, v]
            else:
                b[0] += 1
                b[1] = min(b[1], v)
                b[2] = max(b[2], v)
                b[3] += v
                if t >= b[4]:
                    b[4], b[5] = t, v
    if not buckets:
        return
    keyed = sorted((*k, *b) for k, b in buckets.items())  # one lock order for all workers
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(_PG_ROLLUP_UPSERT, _arrays(keyed, _ROLLUP_COLUMNS))
    else:
        conn.exec_driver_sql(_SQLITE_ROLLUP_UPSERT, keyed)


_ROLLUP_COLUMNS = (
    "datastream_id",
    "resolution",
    "bucket",
    "count",
    "minimum",
    "maximum",
    "total",
    "last_time",
    "last_value",
)
_ROLLUP_INTO = f"INSERT INTO sta_rollup ({', '.join(_ROLLUP_COLUMNS)}) "
_ROLLUP_MERGE = (
    " ON CONFLICT (datastream_id, resolution, bucket) DO UPDATE SET "
    "count = sta_rollup.count + excluded.count, "
    "minimum = {least}(sta_rollup.minimum, excluded.minimum), "
    "maximum = {greatest}(sta_rollup.maximum, excluded.maximum), "
    "total = sta_rollup.total + excluded.total, "
    "last_time = {greatest}(sta_rollup.last_time, excluded.last_time), "
    "last_value = CASE WHEN excluded.last_time >= sta_rollup.last_time "
    "THEN excluded.last_value ELSE sta_rollup.last_value END"
)
#: PostgreSQL: one statement from one array per column.
_PG_ROLLUP_UPSERT = (
    _ROLLUP_INTO + "SELECT * FROM unnest(%(datastream_id)s::bigint[], %(resolution)s::varchar[], "
    "%(bucket)s::bigint[], %(count)s::int[], %(minimum)s::float8[], %(maximum)s::float8[], "
    "%(total)s::float8[], %(last_time)s::bigint[], %(last_value)s::float8[])"
    + _ROLLUP_MERGE.format(least="least", greatest="greatest")
)
#: SQLite: one cached statement run with a parameter set per bucket.
_SQLITE_ROLLUP_UPSERT = (
    _ROLLUP_INTO
    + f"VALUES ({', '.join('?' for _ in _ROLLUP_COLUMNS)})"
    + _ROLLUP_MERGE.format(least="min", greatest="max")
)
