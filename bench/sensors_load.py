"""The loads of ``sensors_bench.py``: entities, MQTT publishers and counters, the raw
write ceilings, the back-fill client and the generated read set.

Kept apart from the driver so that each file stays readable; nothing here prints a verdict.
"""

from __future__ import annotations

import json
import multiprocessing
import threading
import time
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from multiprocessing.sharedctypes import Synchronized
from typing import Any

import mqtt_wire as mw
from sqlalchemy import text

from dothi.auth.accounts import create_account
from dothi.auth.policy import operator
from dothi.auth.tokens import create_token
from dothi.db.engine import Database
from dothi.sensors.mqtt.client import connect, new_client
from dothi.sensors.mqtt.settings import Broker
from dothi.sensors.mqtt.topics import observations_topic
from dothi.sensors.sta import service
from dothi.sensors.sta.service import Context
from dothi.sensors.sta.writes import feature_from_location
from dothi.sensors.store import COLUMNS, ensure_partitions

OM = "http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_Measurement"
MICROS = 1_000_000
#: Quantities of an air-quality and weather station: one Datastream each.
QUANTITIES = ("PM2.5", "PM10", "NO2", "O3", "CO", "SO2", "nhiệt độ", "độ ẩm", "mưa", "gió")
#: Central TP Hồ Chí Minh, where the stations stand.
LON, LAT = (106.60, 106.80), (10.70, 10.85)


# -- entities --------------------------------------------------------------------------------
@dataclass
class Fleet:
    """The Things made for the run: each device's Datastreams, and the probe's."""

    devices: list[list[int]]
    probe: int
    token: str

    @property
    def datastreams(self) -> list[int]:
        return [d for ds in self.devices for d in ds]


def make_fleet(db: Database, things: int, per_thing: int) -> Fleet:
    """``things`` stations with ``per_thing`` Datastreams each, made through the service the
    HTTP API uses (deep insert), their FeaturesOfInterest made from their Locations, and an
    editor's token."""
    with db.write() as conn:
        create_account(conn, "bench-editor", "editor")
        token, _ = create_token(conn, "bench-editor", "bench")
        sensor = _id(
            service.post(
                conn,
                _ctx(db),
                "Sensors",
                {
                    "name": "Trạm tự động / automatic station",
                    "description": "Cảm biến mô phỏng / simulated sensor",
                    "encodingType": "application/pdf",
                    "metadata": "https://example.org/station.pdf",
                },
            ).body
        )
        props = [
            _id(
                service.post(
                    conn,
                    _ctx(db),
                    "ObservedProperties",
                    {"name": q, "definition": f"https://example.org/{k}", "description": q},
                ).body
            )
            for k, q in enumerate(QUANTITIES[:per_thing])
        ]
    devices = []
    for start in range(0, things, 200):
        with db.write() as conn:
            for i in range(start, min(things, start + 200)):
                devices.append(_station(conn, db, i, sensor, props))
    return Fleet(devices, 0, token)


def add_probe(db: Database, fleet: Fleet) -> None:
    """A station of its own for the latency probe (no one else publishes to it)."""
    with db.write() as conn:
        sensor, prop = (
            int(conn.execute(text(f"SELECT min(id) FROM {t}")).scalar_one())
            for t in ("sta_sensor", "sta_observed_property")
        )
        fleet.probe = _station(conn, db, 99_999, sensor, [prop])[0]


def _ctx(db: Database) -> Context:
    return Context(operator("bench"), "http://127.0.0.1/sta/v1.1", db.port)


def _station(conn: Any, db: Database, i: int, sensor: int, props: Sequence[int]) -> list[int]:
    tid = _id(service.post(conn, _ctx(db), "Things", _thing(i, sensor, props)).body)
    ids = conn.execute(
        text("SELECT id FROM sta_datastream WHERE thing_id = :t ORDER BY id"), {"t": tid}
    ).scalars()
    feature_from_location(conn, tid)
    return [int(x) for x in ids]


def _id(body: Any) -> int:
    return int(body["@iot.id"])


def _thing(i: int, sensor: int, props: Sequence[int]) -> dict[str, Any]:
    lon = LON[0] + (LON[1] - LON[0]) * ((i * 7919) % 1000) / 1000
    lat = LAT[0] + (LAT[1] - LAT[0]) * ((i * 104729) % 1000) / 1000
    return {
        "name": f"Trạm {i:05d}",
        "description": "Trạm quan trắc mô phỏng / simulated station",
        "properties": {"simulated": True},
        "Locations": [
            {
                "name": f"Vị trí trạm {i:05d}",
                "description": "Hè phố / pavement",
                "encodingType": "application/geo+json",
                "location": {"type": "Point", "coordinates": [round(lon, 6), round(lat, 6)]},
            }
        ],
        "Datastreams": [
            {
                "name": f"{QUANTITIES[k]} trạm {i:05d}",
                "description": "Mô phỏng / simulated",
                "observationType": OM,
                "unitOfMeasurement": {"name": "unit", "symbol": "u", "definition": "ucum:1"},
                "Sensor": {"@iot.id": sensor},
                "ObservedProperty": {"@iot.id": p},
            }
            for k, p in enumerate(props)
        ],
    }


# -- MQTT publishers and counters ------------------------------------------------------------
def iso(micros: int) -> str:
    """ISO 8601 in UTC with microseconds, as devices send it."""
    return datetime.fromtimestamp(micros / MICROS, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass
class Shared:
    """Counters the processes of one run share."""

    acked: list[Synchronized[int]]
    #: What arrived at the far end, as the pacing sees it.
    done: Synchronized[int]
    stop: Synchronized[int]
    #: What the bare subscriber counted.
    seen: Synchronized[int]

    @classmethod
    def make(cls, publishers: int) -> Shared:
        ctx = multiprocessing.get_context("fork")
        return cls(
            [ctx.Value("q", 0, lock=False) for _ in range(publishers)],
            ctx.Value("q", 0, lock=False),
            ctx.Value("q", 0, lock=False),
            ctx.Value("q", 0, lock=False),
        )

    def total_acked(self) -> int:
        return sum(v.value for v in self.acked)


def publisher_main(
    broker: Broker,
    topics: list[list[str]],
    connections: int,
    seconds: float,
    backlog: int,
    index: int,
    shared: Shared,
    rate: float = 0.0,
) -> None:
    """Publish one observation per message at QoS 1, cycling through the devices and each
    device's Datastreams, on ``connections`` connections, for ``seconds``: as fast as the
    broker takes them, or ``rate`` messages/s when given; pause while the whole run's
    backlog (accepted by the broker, not yet counted at the far end) is over ``backlog``.
    The broker's PUBACKs are counted in ``shared.acked[index]``."""
    mine = shared.acked[index]
    wires = [
        mw.Wire(
            broker.host,
            broker.port,
            f"bench-pub-{index}-{k}-{time.monotonic_ns()}",
            broker.username,
            broker.password,
        )
        for k in range(connections)
    ]
    for w in wires:
        w.sock.setblocking(False)
    window = min(1000, *(w.window for w in wires))
    inflight = [0] * connections
    ids = [0] * connections
    encoded = [[t.encode() for t in device] for device in topics]
    turn = [0] * len(topics)
    d = sent = 0
    started = time.monotonic()
    stop_at = started + seconds
    while time.monotonic() < stop_at and not shared.stop.value:
        if shared.total_acked() - shared.done.value > backlog:
            time.sleep(0.002)
            continue
        allowance = int(rate * (time.monotonic() - started)) - sent if rate else 1 << 30
        if allowance <= 0:
            for k, w in enumerate(wires):
                _drain(w, k, inflight, mine)
            time.sleep(0.001)
            continue
        for k, w in enumerate(wires):
            out = []
            now = time.time_ns() // 1000
            for _ in range(max(0, min(window - inflight[k], allowance))):
                device = encoded[d]
                topic = device[turn[d] % len(device)]
                turn[d] += 1
                d = (d + 1) % len(encoded)
                now += 1  # unique times: a repeated (topic, payload) is a redelivery
                ids[k] = ids[k] % 65535 + 1
                body = f'{{"phenomenonTime":"{iso(now)}","result":{(now % 100000) / 1000}}}'
                out.append(mw.publish_packet(topic, ids[k], body.encode()))
            if out:
                w.sock.setblocking(True)
                w.sock.sendall(b"".join(out))
                w.sock.setblocking(False)
                inflight[k] += len(out)
                sent += len(out)
                allowance -= len(out)
            _drain(w, k, inflight, mine)
        if all(n >= window for n in inflight):
            time.sleep(0.0005)
    deadline = time.monotonic() + 60
    while any(inflight) and time.monotonic() < deadline:
        for k, w in enumerate(wires):
            _drain(w, k, inflight, mine)
        time.sleep(0.002)
    for w in wires:
        w.sock.setblocking(True)
        w.close()


def _drain(w: mw.Wire, k: int, inflight: list[int], acked: Synchronized[int]) -> None:
    try:
        data = w.sock.recv(1 << 18)
    except BlockingIOError:
        return
    if not data:
        raise ConnectionError("the broker closed the connection")
    w.buf += data
    n = mw.count_pubacks(w.packets())
    inflight[k] -= n
    acked.value += n


def counter_main(broker: Broker, ready: Any, shared: Shared) -> None:
    """The broker-only ceiling: a bare QoS 1 subscriber that counts messages."""
    wire = mw.Wire(
        broker.host,
        broker.port,
        f"bench-count-{time.monotonic_ns()}",
        broker.username,
        broker.password,
    )
    mw.subscribe(wire, "v1.1/+/Observations")
    ready.set()
    seen = shared.seen

    def add(n: int) -> None:
        seen.value += n

    mw.count_messages(wire, add, lambda: not shared.stop.value)
    wire.close()


@dataclass
class Flow:
    """What one MQTT run moved."""

    accepted: int
    counted: int
    seconds: float
    per_second: float
    probes_ms: list[float] = field(default_factory=list)


def split_topics(fleet: Fleet, publishers: int) -> list[list[list[str]]]:
    """Each publisher's devices, with the topics of their Datastreams."""
    topics = [[observations_topic(d) for d in ds] for ds in fleet.devices]
    return [topics[i::publishers] for i in range(publishers)]


def run_flow(
    broker: Broker,
    fleet: Fleet,
    publishers: int,
    connections: int,
    seconds: float,
    backlog: int,
    shared: Shared,
    counted: Callable[[], int],
    rate: float = 0.0,
    drain_timeout: float = 120.0,
) -> Flow:
    """Publish for ``seconds`` from ``publishers`` processes (flat out, or ``rate``
    messages/s in all); ``counted`` says how many arrived at the far end (kept in
    ``shared.done`` for the pacing). Waits until every accepted message is counted (or
    ``drain_timeout``); the rate is counted messages over the time from the first publish
    to the last one counted."""
    ctx = multiprocessing.get_context("fork")
    parts = split_topics(fleet, publishers)
    base = counted()
    procs = [
        ctx.Process(
            target=publisher_main,
            args=(broker, parts[i], connections, seconds, backlog, i, shared, rate / publishers),
        )
        for i in range(publishers)
    ]
    t0 = time.perf_counter()
    for p in procs:
        p.start()
    last_change, last = t0, 0
    while True:
        now_count = counted() - base
        shared.done.value = now_count
        now = time.perf_counter()
        if now_count != last:
            last, last_change = now_count, now
        alive = any(p.is_alive() for p in procs)
        if not alive and now_count >= shared.total_acked():
            break
        if not alive and now - last_change > drain_timeout:
            break
        time.sleep(0.05)
    for p in procs:
        p.join()
    seconds_used = last_change - t0
    return Flow(shared.total_acked(), last, seconds_used, last / seconds_used)


# -- latency probe ---------------------------------------------------------------------------
class Probe(threading.Thread):
    """Publishes a marked reading to the probe Datastream now and then and times how long
    until ``GET Datastreams(id)/Observations?$top=1&$orderby=phenomenonTime desc`` shows
    it (polled every ``poll_ms``)."""

    def __init__(self, broker: Broker, base: str, datastream: int, poll_ms: int = 50) -> None:
        super().__init__(daemon=True)
        self.broker, self.base, self.datastream = broker, base, datastream
        self.poll = poll_ms / 1000
        self.latencies_ms: list[float] = []
        self.missed = 0
        self.halt = threading.Event()

    def run(self) -> None:
        client = new_client(self.broker, f"bench-probe-{time.monotonic_ns()}")
        connect(client, self.broker)
        url = (
            f"{self.base}/sta/v1.1/Datastreams({self.datastream})/Observations"
            "?$top=1&$orderby=phenomenonTime%20desc&$select=result"
        )
        n = 0
        while not self.halt.is_set():
            n += 1
            mark = float(1_000_000 + n)
            now = time.time_ns() // 1000
            body = json.dumps({"phenomenonTime": iso(now), "result": mark})
            t0 = time.perf_counter()
            client.publish(observations_topic(self.datastream), body, qos=1)
            while time.perf_counter() - t0 < 10:
                value = get_json(url)["value"]
                if value and value[0]["result"] == mark:
                    self.latencies_ms.append((time.perf_counter() - t0) * 1000)
                    break
                time.sleep(self.poll)
            else:
                self.missed += 1
            self.halt.wait(0.5)
        client.disconnect()
        client.loop_stop()


def get_json(url: str, headers: dict[str, str] | None = None) -> Any:
    req = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(req, timeout=600) as r:
        return json.loads(r.read())


def timed_get(url: str) -> tuple[float, Any]:
    """Wall milliseconds of one GET (body read and parsed), and the body."""
    t0 = time.perf_counter()
    doc = get_json(url)
    return (time.perf_counter() - t0) * 1000, doc


# -- rows and raw writes ---------------------------------------------------------------------
def value_of(ds: int, k: int) -> float:
    """The generated result of the ``k``-th reading of Datastream ``ds`` (the read set's SQL
    computes the same)."""
    return ((ds * 7919 + k * 104729) % 5000) / 100.0


def rows_like_mqtt(
    fleet: Fleet, features: dict[int, int], n: int, t0: int
) -> list[tuple[Any, ...]]:
    """``n`` rows in :data:`COLUMNS` order (without the id), as the MQTT run stores them."""
    streams = fleet.datastreams
    out = []
    for i in range(n):
        ds = streams[i % len(streams)]
        t = t0 + i * 100
        out.append(_row(ds, features[ds], t, (t % 100000) / 1000))
    return out


def _row(ds: int, feature: int, t: int, value: float) -> tuple[Any, ...]:
    """A numeric instant of Datastream ``ds``, in :data:`COLUMNS` order without the id."""
    return (ds, None, feature, t, None, None, None, None, 0, value, None, None, None, None, False)


def features_of(db: Database) -> dict[int, int]:
    """Datastream id → the FeatureOfInterest made from its Thing's Location."""
    with db.read() as conn:
        rows = conn.execute(text(_FEATURE_SQL)).all()
    return {int(r[0]): int(r[1]) for r in rows}


_FEATURE_SQL = (
    "SELECT ds.id, f.id FROM sta_datastream ds "
    "JOIN sta_thing_location tl ON tl.thing_id = ds.thing_id "
    "JOIN sta_feature f ON f.location_id = tl.location_id"
)


def raw_write(db: Database, rows: Sequence[tuple[Any, ...]], chunk: int) -> float:
    """Seconds to write ``rows`` into ``sta_observation`` as fast as the database takes
    them: COPY (PostgreSQL) or executemany (SQLite), one transaction per ``chunk`` rows.
    The monthly partitions are made first, untimed."""
    cols = COLUMNS[1:]
    if db.backend == "postgis":
        with db.write() as conn:
            ensure_partitions(conn, (r[3] for r in rows))
    t0 = time.perf_counter()
    for start in range(0, len(rows), chunk):
        part = rows[start : start + chunk]
        with db.write() as conn:
            cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
            if db.backend == "postgis":
                sql = f"COPY sta_observation (id, {', '.join(cols)}) FROM STDIN"
                seq = "SELECT nextval('sta_observation_id_seq') FROM generate_series(1, :n)"
                ids = conn.execute(text(seq), {"n": len(part)}).scalars()
                with cursor.copy(sql) as copy:
                    for i, r in zip(ids, part, strict=True):
                        copy.write_row((i, *r))
            else:
                marks = ", ".join("?" for _ in cols)
                cursor.executemany(
                    f"INSERT INTO sta_observation ({', '.join(cols)}) VALUES ({marks})", part
                )
    return time.perf_counter() - t0


# -- back-fill over HTTP ---------------------------------------------------------------------
def backfill_requests(
    streams: Sequence[int], total: int, per_request: int, t0: int, step: int
) -> list[bytes]:
    """``CreateObservations`` bodies of ``per_request`` rows each, ``total`` rows in all,
    spread evenly over ``streams`` (readings every ``step`` µs from ``t0``)."""
    per_stream = total // len(streams)
    bodies = []
    block: list[dict[str, Any]] = []
    rows_in = 0
    for ds in streams:
        for k0 in range(0, per_stream, per_request):
            k1 = min(per_stream, k0 + per_request - rows_in)
            array = [[iso(t0 + k * step), value_of(ds, k)] for k in range(k0, k1)]
            block.append(
                {
                    "Datastream": {"@iot.id": ds},
                    "components": ["phenomenonTime", "result"],
                    "dataArray": array,
                }
            )
            rows_in += len(array)
            if rows_in >= per_request:
                bodies.append(json.dumps(block).encode())
                block, rows_in = [], 0
    if block:
        bodies.append(json.dumps(block).encode())
    return bodies


def backfill_rows(
    streams: Sequence[int], features: dict[int, int], total: int, t0: int, step: int
) -> list[tuple[Any, ...]]:
    """The same rows as :func:`backfill_requests`, for the raw ceiling."""
    per_stream = total // len(streams)
    return [
        _row(ds, features[ds], t0 + k * step, value_of(ds, k))
        for ds in streams
        for k in range(per_stream)
    ]


def post_all(base: str, token: str, bodies: list[bytes], clients: int) -> tuple[float, int]:
    """POST every body to ``/sta/v1.1/CreateObservations`` from ``clients`` threads; wall
    seconds and the number of Observations the answers name."""
    url = f"{base}/sta/v1.1/CreateObservations"
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    todo = list(enumerate(bodies))
    lock = threading.Lock()
    created = [0]
    errors: list[str] = []

    def work() -> None:
        while True:
            with lock:
                if not todo or errors:
                    return
                _, body = todo.pop(0)
            req = urllib.request.Request(url, data=body, headers=headers, method="POST")
            try:
                with urllib.request.urlopen(req, timeout=600) as r:
                    links = json.loads(r.read())
            except Exception as exc:  # reported below, then the run fails
                with lock:
                    errors.append(str(exc))
                return
            with lock:
                created[0] += len(links)

    t0 = time.perf_counter()
    threads = [threading.Thread(target=work) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise SystemExit(f"LỖI / FAILED: CreateObservations: {errors[0]}")
    return time.perf_counter() - t0, created[0]


class Reader(threading.Thread):
    """Reads a Datastream's latest observation over and over (every ``pause_ms``), timing
    each request."""

    def __init__(self, url: str, pause_ms: int = 50) -> None:
        super().__init__(daemon=True)
        self.url, self.pause = url, pause_ms / 1000
        self.latencies_ms: list[float] = []
        self.halt = threading.Event()

    def run(self) -> None:
        while not self.halt.is_set():
            ms, _ = timed_get(self.url)
            self.latencies_ms.append(ms)
            self.halt.wait(self.pause)


# -- the generated read set ------------------------------------------------------------------
def generate_read_set(db: Database, per_stream: int, t0: int, step: int) -> None:
    """``per_stream`` readings every ``step`` µs from ``t0`` for every Datastream, written
    straight into ``sta_observation`` by the database itself in time order (as ingest
    writes them: all streams at one time, then the next time)."""
    postgres = db.backend == "postgis"
    with db.write() as conn:
        conn.execute(text(f"CREATE TEMPORARY TABLE bench_map AS {_FEATURE_SQL_AS}"))
        if postgres:
            ensure_partitions(conn, [t0, t0 + (per_stream - 1) * step])
            # LATERAL keeps the time as the outer loop.
            source = (
                f"generate_series(0, {per_stream - 1}) AS g(k) CROSS JOIN LATERAL "
                "(SELECT ds, feat FROM bench_map WHERE g.k >= 0) m"
            )
            prefix, idcol, idval = "", "id, ", "nextval('sta_observation_id_seq'), "
        else:
            # SQLite runs a CROSS JOIN with its left table as the outer loop.
            source = "g CROSS JOIN bench_map m"
            prefix = (
                "WITH RECURSIVE g(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM g "
                f"WHERE k < {per_stream - 1}) "
            )
            idcol = idval = ""
        conn.execute(
            text(
                f"{prefix}INSERT INTO sta_observation ({idcol}datastream_id, feature_id, "
                "phenomenon_time_start, result_kind, result_number, flagged) "
                f"SELECT {idval}m.ds, m.feat, {t0} + k * {step}, 0, "
                f"((m.ds * 7919 + k * 104729) % 5000) / 100.0, false FROM {source}"
            )
        )
        conn.execute(text("DROP TABLE bench_map"))


_FEATURE_SQL_AS = _FEATURE_SQL.replace("ds.id, f.id", "ds.id AS ds, f.id AS feat")


def generate_rollups(db: Database, t0: int, step: int) -> None:
    """The hourly and daily rollups of the generated read set, computed in SQL (the last
    value from the formula of :func:`value_of`)."""
    hour = 3600 * MICROS
    t = "phenomenon_time_start"
    buckets = {"hour": f"{t} - {t} % {hour}", "day": f"{t} - ({t} + {7 * hour}) % {24 * hour}"}
    with db.write() as conn:
        for name, bucket in buckets.items():
            conn.execute(
                text(
                    "INSERT INTO sta_rollup (datastream_id, resolution, bucket, count, minimum, "
                    "maximum, total, last_time, last_value) "
                    f"SELECT ds, '{name}', b, count(*), min(v), max(v), sum(v), max(t), "
                    f"((ds * 7919 + ((max(t) - {t0}) / {step}) * 104729) % 5000) / 100.0 "
                    f"FROM (SELECT datastream_id AS ds, {t} AS t, {bucket} AS b, "
                    "result_number AS v FROM sta_observation WHERE datastream_id IS NOT NULL) o "
                    "GROUP BY ds, b"
                )
            )


def analyze(db: Database) -> None:
    """Fresh planner statistics, as autovacuum or SQLite's ANALYZE would give."""
    if db.backend == "postgis":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    else:
        with db.engine.connect() as conn:
            conn.execute(text("ANALYZE"))
            conn.commit()


def observation_bytes(db: Database) -> int:
    """PostgreSQL: the size of every partition of ``sta_observation`` with its indexes."""
    sql = (
        "SELECT coalesce(sum(pg_total_relation_size(i.inhrelid)), 0) FROM pg_inherits i "
        "WHERE i.inhparent = 'sta_observation'::regclass"
    )
    with db.read() as c:
        return int(c.execute(text(sql)).scalar_one())
