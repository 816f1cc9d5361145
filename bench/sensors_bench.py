"""Sensors benchmark: MQTT ingest, dataArray back-fill and reads at city scale, on
PostgreSQL and SQLite in one run, against ceilings measured in the same run.

Run from the repository root::

    .venv/bin/python bench/sensors_bench.py            # full size (about 25 minutes)
    .venv/bin/python bench/sensors_bench.py --quick    # smoke run (under 2 minutes)

1. A private mosquitto (``LocalBroker``, 127.0.0.1) with Dothi's server client; a
   throwaway PostGIS server (``tests/pgserver.py``) and a fresh SQLite data folder.
2. Per backend, a template database: ``--things`` stations with ``--per-thing`` Datastreams
   each (deep insert through the SensorThings service), FeaturesOfInterest made from their
   Locations. Copies of it hold the live run, the raw-write ceilings and the read set.
3. MQTT, QoS 1, one observation per message, ``--things`` devices multiplexed over
   ``--publishers`` processes (a minimal MQTT client on a socket, as Dothi's server user:
   paho itself would be the bottleneck), ``--duration`` s: first into a bare subscriber
   that only counts (the broker-only ceiling), then into ``dothi sensors ingest`` workers
   (1, and 2 in a shared-subscription group), with ``dothi serve`` running and a probe
   timing publish → visible over HTTP. Then the raw write ceiling: the same number of rows
   by COPY (PostgreSQL) or executemany (SQLite) straight into ``sta_observation``.
4. ``POST /sta/v1.1/CreateObservations`` back-fill of ``--backfill`` observations (10,000
   rows per request, 2 clients) while a reader times a Datastream's latest observation; the
   same rows raw as the ceiling.
5. The read set: ``--read-set`` observations over every Datastream (one month, written by
   the database itself), their rollups, then the latest observation of every Datastream in
   one request, a week of hourly rollups (SQL: no HTTP endpoint serves rollups yet), and a
   ``$filter`` on time and result over one month with ``$count=true``; bytes per observation.
6. A table with ratios and the issue's targets; ``bench/out/sensors_bench.json``.

Missing a target does not fail the script; a lost observation or a failing command does.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
OUT = BENCH / "out"
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(BENCH))

import import_bench as ib  # noqa: E402
import ogcapi_bench as ob  # noqa: E402
import sensors_load as sl  # noqa: E402
import sensors_report  # noqa: E402
from pgserver import PostGISServer, find_bindir  # noqa: E402
from sqlalchemy import text  # noqa: E402

from dothi.capabilities import migration_folders  # noqa: E402
from dothi.db.engine import Database  # noqa: E402
from dothi.sensors.mqtt.dynsec import DynSec  # noqa: E402
from dothi.sensors.mqtt.local import LocalBroker  # noqa: E402
from dothi.sensors.mqtt.settings import Broker  # noqa: E402

#: The read set spans one month; the back-fill a week of minutes a year earlier.
READ_T0 = datetime(2026, 10, 1, tzinfo=UTC)
BACKFILL_T0 = datetime(2025, 10, 1, tzinfo=UTC)
MONTH_US = 31 * 86_400 * sl.MICROS
HOUR_US = 3600 * sl.MICROS
PER_REQUEST = 10_000
#: The ingest worker (an experiment may put another command in its place).
INGEST_COMMAND = [ib.dothi_exe(), "sensors", "ingest"]
RAW_CHUNK = 10_000
ISTSOS = (
    "istSOS4 not run: its schema needs the TimescaleDB extension (create_hypertable on "
    "Observation; its images are timescale/timescaledb-ha:pg18), which neither Debian 12 nor "
    "PyPI provides and Docker is not used here"
)


def _us(t: datetime) -> int:
    return int(t.timestamp()) * sl.MICROS


# -- one backend -----------------------------------------------------------------------------
@dataclass
class Place:
    """One database of a backend: its URL, data folder and the env of ``dothi``."""

    url: str
    data_dir: Path
    env: dict[str, str]

    def db(self) -> Database:
        return Database(self.url)


@dataclass
class IngestRun:
    workers: int
    accepted: int
    stored: int
    seconds: float
    per_second: float
    probe_p50_ms: float
    probe_p95_ms: float
    probes: int
    probes_missed: int
    #: The same workers at half the rate above: the latency of a pipeline that keeps up.
    paced_per_second: float
    paced_p50_ms: float
    paced_p95_ms: float


@dataclass
class BackendResult:
    name: str
    datastreams: int
    ingest: list[IngestRun] = field(default_factory=list)
    raw_ingest_rows: int = 0
    raw_ingest_per_second: float = 0.0
    backfill_rows: int = 0
    backfill_per_second: float = 0.0
    raw_backfill_per_second: float = 0.0
    reader_p50_ms: float = 0.0
    reader_p95_ms: float = 0.0
    reader_requests: int = 0
    read_rows: int = 0
    read_set_seconds: float = 0.0
    latest_ms: list[float] = field(default_factory=list)
    latest_returned: int = 0
    rollup_p50_ms: float = 0.0
    rollup_p95_ms: float = 0.0
    filter_ms: list[float] = field(default_factory=list)
    filter_count: int = 0
    bytes_per_observation: float = 0.0


class Backend:
    """The databases of one backend and the processes that serve them."""

    def __init__(self, name: str, work: Path, pg: PostGISServer | None, server: Broker) -> None:
        self.name, self.work, self.pg, self.server = name, work, pg, server
        self.procs: list[ob.Server] = []

    def place(self, tag: str) -> Place:
        data_dir = self.work / f"{self.name}-{tag}"
        data_dir.mkdir(parents=True, exist_ok=True)
        if self.pg is not None:
            url = self.pg.url_for(f"sensors_{tag}")
        else:
            url = f"sqlite:///{data_dir / 'dothi.sqlite'}"
        env = ib.dothi_env(data_dir, url.replace("+psycopg", "", 1) if self.pg else None)
        env["DOTHI_MQTT_URL"] = _url_with_password(self.server)
        return Place(url, data_dir, env)

    def template(self, things: int, per_thing: int) -> tuple[Place, sl.Fleet]:
        if self.pg is not None:
            self.pg.create_database("sensors_template")
        place = self.place("template")
        db = place.db()
        db.migrate(migration_folders())
        fleet = sl.make_fleet(db, things, per_thing)
        if self.pg is None:
            with db.engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        db.engine.dispose()
        return place, fleet

    def clone(self, tag: str) -> Place:
        place = self.place(tag)
        if self.pg is not None:
            self.pg.clone_database(f"sensors_{tag}", "sensors_template")
        else:
            src = self.work / f"{self.name}-template" / "dothi.sqlite"
            shutil.copyfile(src, place.data_dir / "dothi.sqlite")
        return place

    def serve(self, place: Place, tag: str) -> ob.Server:
        port = ob.free_port()
        cmd = [ib.dothi_exe(), "serve", "--host", "127.0.0.1", "--port", str(port)]
        cmd += ["--workers", "2"]
        s = ob.Server(f"{self.name} {tag}", port, "", cmd, place.env, self.work / f"{tag}.log")
        s.start()
        self.procs.append(s)
        s.wait_ready("/sta/v1.1")
        return s

    def stop_all(self) -> None:
        for s in self.procs:
            s.stop()
        self.procs.clear()


def _url_with_password(b: Broker) -> str:
    user = f"{quote(b.username or '', safe='')}:{quote(b.password or '', safe='')}@"
    return f"mqtt://{user}{b.host}:{b.port}"


def _pct(values: list[float], p: float) -> float:
    return ob._pct(sorted(values), p) if values else float("nan")


def _count(db: Database, where: str = "") -> int:
    with db.read() as conn:
        return int(conn.execute(text(f"SELECT count(*) FROM sta_observation {where}")).scalar_one())


def _max_id(db: Database) -> int:
    with db.read() as conn:
        return int(
            conn.execute(text("SELECT coalesce(max(id), 0) FROM sta_observation")).scalar_one()
        )


def start_workers(place: Place, backend: str, n: int, work: Path) -> list[subprocess.Popen[bytes]]:
    """``n`` ``dothi sensors ingest`` processes (a shared-subscription group when n > 1)."""
    procs = []
    for i in range(n):
        cmd = [*INGEST_COMMAND, "--client-id", f"bench-{backend}-{n}-{i}"]
        if n > 1:
            cmd += ["--group", f"bench-{backend}-{n}"]
        log = work / f"ingest-{backend}-{n}-{i}.log"
        fh = open(log, "wb")  # noqa: SIM115 - closed with the process
        procs.append(
            subprocess.Popen(cmd, env=place.env, stdout=fh, stderr=subprocess.STDOUT, cwd=ROOT)
        )
        fh.close()
        deadline = time.monotonic() + 60
        while b"ingesting" not in log.read_bytes():
            if procs[-1].poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"LỖI / FAILED: ingest worker did not start\n{log.read_text()}")
            time.sleep(0.1)
    return procs


def stop_workers(procs: list[subprocess.Popen[bytes]]) -> None:
    for p in procs:
        p.send_signal(signal.SIGTERM)
    for p in procs:
        try:
            p.wait(60)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def run_ingest(
    backend: Backend,
    place: Place,
    fleet: sl.Fleet,
    http: ob.Server,
    workers: int,
    args: argparse.Namespace,
) -> IngestRun:
    """Flat out for ``--duration`` s, then at half that rate for a third of it (the
    latency of a pipeline that keeps up); every accepted message must be stored once."""
    db = place.db()
    others = f"WHERE datastream_id <> {fleet.probe}"
    before = _count(db, others)
    procs = start_workers(place, backend.name, workers, backend.work)
    try:
        flow, fast = _probed_flow(backend, fleet, http, args, db, args.duration, 0.0)
        paced_s = max(5, args.duration // 3)
        paced, slow = _probed_flow(backend, fleet, http, args, db, paced_s, flow.per_second / 2)
        accepted = flow.accepted + paced.accepted
        # Exact: every accepted message stored once (the pacing used max(id)).
        deadline = time.monotonic() + 120
        while _count(db, others) - before < accepted and time.monotonic() < deadline:
            time.sleep(0.5)
    finally:
        stop_workers(procs)
    stored = _count(db, others) - before
    db.engine.dispose()
    if stored != accepted:
        raise SystemExit(
            f"SAI / WRONG: {backend.name}, {workers} worker(s): the broker accepted "
            f"{accepted:,} observations, {stored:,} are stored"
        )
    run = IngestRun(
        workers,
        accepted,
        stored,
        flow.seconds,
        flow.counted / flow.seconds,
        _pct(fast.latencies_ms, 50),
        _pct(fast.latencies_ms, 95),
        len(fast.latencies_ms),
        fast.missed + slow.missed,
        paced.per_second,
        _pct(slow.latencies_ms, 50),
        _pct(slow.latencies_ms, 95),
    )
    print(
        f"  {backend.name} ingest, {workers} worker(s): {flow.counted:,} in {flow.seconds:.1f} s "
        f"= {run.per_second:,.0f} obs/s, visible p95 {run.probe_p95_ms:.0f} ms; at "
        f"{paced.per_second:,.0f} obs/s visible p95 {run.paced_p95_ms:.0f} ms; "
        f"{stored:,} stored of {accepted:,} accepted",
        flush=True,
    )
    return run


def _probed_flow(
    backend: Backend,
    fleet: sl.Fleet,
    http: ob.Server,
    args: argparse.Namespace,
    db: Database,
    seconds: float,
    rate: float,
) -> tuple[sl.Flow, sl.Probe]:
    probe = sl.Probe(backend.server, http.base, fleet.probe)
    probe.start()
    try:
        flow = sl.run_flow(
            backend.server,
            fleet,
            args.publishers,
            args.connections,
            seconds,
            args.backlog,
            sl.Shared.make(args.publishers),
            lambda: _max_id(db),
            rate,
        )
    finally:
        probe.halt.set()
        probe.join(30)
    return flow, probe


def run_backfill(
    place: Place, fleet: sl.Fleet, http: ob.Server, args: argparse.Namespace, r: BackendResult
) -> list[int]:
    streams = fleet.datastreams[: max(1, args.backfill // 10_000)]
    step = 60 * sl.MICROS
    bodies = sl.backfill_requests(streams, args.backfill, PER_REQUEST, _us(BACKFILL_T0), step)
    url = (
        f"{http.base}/sta/v1.1/Datastreams({streams[0]})/Observations"
        "?$top=1&$orderby=phenomenonTime%20desc"
    )
    reader = sl.Reader(url)
    reader.start()
    try:
        seconds, created = sl.post_all(http.base, fleet.token, bodies, 2)
    finally:
        reader.halt.set()
        reader.join(30)
    total = len(streams) * (args.backfill // len(streams))
    if created != total:
        raise SystemExit(f"SAI / WRONG: back-fill created {created:,} of {total:,}")
    r.backfill_rows, r.backfill_per_second = created, created / seconds
    r.reader_p50_ms = _pct(reader.latencies_ms, 50)
    r.reader_p95_ms = _pct(reader.latencies_ms, 95)
    r.reader_requests = len(reader.latencies_ms)
    print(
        f"  {r.name} back-fill: {created:,} in {seconds:.1f} s = {r.backfill_per_second:,.0f} "
        f"obs/s; reader p95 {r.reader_p95_ms:.0f} ms",
        flush=True,
    )
    return streams


def run_raw(
    place: Place,
    fleet: sl.Fleet,
    rows: int,
    streams: list[int],
    args: argparse.Namespace,
    r: BackendResult,
) -> None:
    db = place.db()
    features = sl.features_of(db)
    if rows:
        mqtt_rows = sl.rows_like_mqtt(fleet, features, rows, _us(datetime.now(UTC)))
        seconds = sl.raw_write(db, mqtt_rows, RAW_CHUNK)
        r.raw_ingest_rows, r.raw_ingest_per_second = rows, rows / seconds
    if streams:
        step = 60 * sl.MICROS
        fill = sl.backfill_rows(streams, features, args.backfill, _us(BACKFILL_T0), step)
        seconds = sl.raw_write(db, fill, RAW_CHUNK)
        r.raw_backfill_per_second = len(fill) / seconds
    db.engine.dispose()
    print(
        f"  {r.name} raw writes: {r.raw_ingest_per_second:,.0f} obs/s (ingest rows), "
        f"{r.raw_backfill_per_second:,.0f} obs/s (back-fill rows)",
        flush=True,
    )


def run_reads(
    backend: Backend, place: Place, fleet: sl.Fleet, args: argparse.Namespace, r: BackendResult
) -> None:
    db = place.db()
    streams = fleet.datastreams
    per_stream = max(1, args.read_set // len(streams))
    step = MONTH_US // per_stream
    t0 = _us(READ_T0)
    sqlite_file = place.data_dir / "dothi.sqlite"
    size0 = _sqlite_size(db, sqlite_file)
    started = time.perf_counter()
    sl.generate_read_set(db, per_stream, t0, step)
    r.read_rows = _count(db)
    if backend.pg is not None:
        r.bytes_per_observation = sl.observation_bytes(db) / r.read_rows
    else:
        r.bytes_per_observation = (_sqlite_size(db, sqlite_file) - size0) / r.read_rows
    sl.generate_rollups(db, t0, step)
    sl.analyze(db)
    r.read_set_seconds = time.perf_counter() - started
    print(
        f"  {r.name} read set: {r.read_rows:,} observations and rollups in "
        f"{r.read_set_seconds:.0f} s; {r.bytes_per_observation:.0f} bytes/observation",
        flush=True,
    )
    http = backend.serve(place, "reads")
    latest = (
        f"{http.base}/sta/v1.1/Datastreams?$top={len(streams)}"
        "&$expand=Observations($top=1;$orderby=phenomenonTime%20desc)"
    )
    sl.timed_get(latest)  # warm-up
    for _ in range(args.repeats):
        ms, doc = sl.timed_get(latest)
        r.latest_ms.append(ms)
    r.latest_returned = sum(1 for d in doc["value"] if d.get("Observations"))
    # A week of hourly rollups of one Datastream, straight from sta_rollup.
    rollup_ms = []
    with db.read() as conn:
        for i in range(args.repeats * 40):
            ds = streams[(i * 7919) % len(streams)]
            a = t0 + (i % 3) * 86_400 * sl.MICROS
            t_start = time.perf_counter()
            rows = conn.execute(
                text(
                    "SELECT bucket, count, minimum, maximum, total / count, last_value "
                    "FROM sta_rollup WHERE datastream_id = :ds AND resolution = 'hour' "
                    "AND bucket >= :a AND bucket < :b ORDER BY bucket"
                ),
                {"ds": ds, "a": a, "b": a + 7 * 24 * HOUR_US},
            ).all()
            rollup_ms.append((time.perf_counter() - t_start) * 1000)
            if not rows:
                raise SystemExit(f"SAI / WRONG: no hourly rollups for Datastream {ds}")
    r.rollup_p50_ms, r.rollup_p95_ms = _pct(rollup_ms, 50), _pct(rollup_ms, 95)
    month = (
        "phenomenonTime ge 2026-10-01T00:00:00Z and phenomenonTime lt 2026-11-01T00:00:00Z "
        "and result gt 25"
    )
    for i in range(args.repeats):
        ds = streams[(i * 104729) % len(streams)]
        url = (
            f"{http.base}/sta/v1.1/Datastreams({ds})/Observations?$count=true&$top=100"
            f"&$filter={quote(month)}"
        )
        ms, doc = sl.timed_get(url)
        r.filter_ms.append(ms)
        r.filter_count = int(doc["@iot.count"])
    db.engine.dispose()
    print(
        f"  {r.name} reads: latest of all {statistics.median(r.latest_ms):.0f} ms, rollups p95 "
        f"{r.rollup_p95_ms:.1f} ms, $filter+$count {statistics.median(r.filter_ms):.0f} ms",
        flush=True,
    )


def _sqlite_size(db: Database, path: Path) -> int:
    if db.backend == "postgis":
        return 0
    db.engine.dispose()
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path.stat().st_size


def bench_backend(
    name: str, work: Path, pg: PostGISServer | None, server: Broker, args: argparse.Namespace
) -> BackendResult:
    print(f"\n== {name}", flush=True)
    backend = Backend(name, work, pg, server)
    t0 = time.perf_counter()
    _, fleet = backend.template(args.things, args.per_thing)
    print(
        f"  {len(fleet.datastreams):,} Datastreams of {args.things:,} Things made in "
        f"{time.perf_counter() - t0:.0f} s",
        flush=True,
    )
    live, ceiling, reads = backend.clone("live"), backend.clone("ceiling"), backend.clone("reads")
    r = BackendResult(name, len(fleet.datastreams))
    try:
        db = live.db()
        sl.add_probe(db, fleet)
        db.engine.dispose()
        http = backend.serve(live, "live")
        if "ingest" in args.parts:
            for workers in args.workers:
                r.ingest.append(run_ingest(backend, live, fleet, http, workers, args))
        streams = run_backfill(live, fleet, http, args, r) if "backfill" in args.parts else []
        backend.stop_all()
        rows = max((i.stored for i in r.ingest), default=0)
        run_raw(ceiling, fleet, rows, streams, args, r)
        if "reads" in args.parts:
            run_reads(backend, reads, fleet, args, r)
    finally:
        backend.stop_all()
    return r


def broker_only(
    server: Broker, fleet_size: int, per_thing: int, args: argparse.Namespace
) -> sl.Flow:
    """The broker-only ceiling: the same publishers into a bare counting subscriber."""
    fleet = sl.Fleet(
        [[1 + i * per_thing + k for k in range(per_thing)] for i in range(fleet_size)], 0, ""
    )
    shared = sl.Shared.make(args.publishers)
    ctx = multiprocessing.get_context("fork")
    ready = ctx.Event()
    counter = ctx.Process(target=sl.counter_main, args=(server, ready, shared))
    counter.start()
    try:
        if not ready.wait(30):
            raise SystemExit("LỖI / FAILED: the counting subscriber did not subscribe")
        flow = sl.run_flow(
            server,
            fleet,
            args.publishers,
            args.connections,
            args.duration,
            args.backlog,
            shared,
            lambda: shared.seen.value,
        )
    finally:
        shared.stop.value = 1
        counter.join(30)
    if flow.counted != flow.accepted:
        raise SystemExit(f"SAI / WRONG: broker-only counted {flow.counted} of {flow.accepted}")
    print(
        f"  broker only: {flow.counted:,} messages in {flow.seconds:.1f} s = "
        f"{flow.per_second:,.0f} msg/s",
        flush=True,
    )
    return flow


# -- main ------------------------------------------------------------------------------------
def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="chạy thử < 2 phút / smoke run")
    p.add_argument("--things", type=int, help="thiết bị / devices (1000; quick 100)")
    p.add_argument("--per-thing", type=int, default=10, help="Datastreams mỗi thiết bị")
    p.add_argument("--duration", type=int, help="giây MQTT mỗi lần / MQTT seconds (60; quick 5)")
    p.add_argument("--backfill", type=int, help="quan trắc nạp bù (1 000 000; quick 100 000)")
    p.add_argument("--read-set", type=int, help="quan trắc để đọc (10 000 000; quick 1 000 000)")
    p.add_argument("--workers", help="số tiến trình ingest, ví dụ 1,2 (quick: 1)")
    p.add_argument("--publishers", type=int, default=2, help="tiến trình gửi / publishers")
    p.add_argument("--connections", type=int, default=2, help="kết nối mỗi tiến trình gửi")
    p.add_argument("--backlog", type=int, default=2_000, help="tồn đọng tối đa / max backlog")
    p.add_argument("--repeats", type=int, help="lần đo mỗi truy vấn đọc (5; quick 2)")
    p.add_argument("--backends", default="postgis,sqlite", help="postgis,sqlite")
    p.add_argument("--parts", default="ingest,backfill,reads", help="phần cần đo / parts to run")
    p.add_argument("--keep", action="store_true", help="giữ thư mục làm việc / keep work dir")
    args = p.parse_args(argv)
    q = args.quick
    args.things = args.things or (100 if q else 1000)
    args.duration = args.duration or (5 if q else 60)
    args.backfill = args.backfill or (100_000 if q else 1_000_000)
    args.read_set = args.read_set or (1_000_000 if q else 10_000_000)
    args.repeats = args.repeats or (2 if q else 5)
    args.workers = [int(w) for w in (args.workers or ("1" if q else "1,2")).split(",")]
    args.backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    if set(args.backends) - {"postgis", "sqlite"} or not args.backends:
        p.error("--backends takes postgis and/or sqlite")
    args.parts = {x.strip() for x in args.parts.split(",") if x.strip()}
    if args.parts - {"ingest", "backfill", "reads"} or not args.parts:
        p.error("--parts takes ingest, backfill and/or reads")
    if min(args.things, args.per_thing, args.duration, args.backfill, args.read_set) < 1:
        p.error("sizes must be at least 1")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    bindir = find_bindir()
    if "postgis" in args.backends and bindir is None:
        raise SystemExit("Không tìm thấy PostgreSQL có PostGIS / no PostgreSQL with PostGIS found")
    OUT.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    load_before = os.getloadavg()
    work = Path(tempfile.mkdtemp(prefix="sensors-", dir=OUT))
    mode = "quick" if args.quick else "full"
    print(
        f"Sensors benchmark ({mode}): {args.things:,} devices × {args.per_thing} Datastreams, "
        f"MQTT {args.duration} s, back-fill {args.backfill:,}, read set {args.read_set:,}",
        flush=True,
    )
    print(f"  {ISTSOS}.", flush=True)
    broker = LocalBroker(work / "mqtt").start()
    pg = PostGISServer(bindir).start() if "postgis" in args.backends and bindir else None
    results: list[BackendResult] = []
    try:
        with DynSec(broker.admin) as dynsec:
            creds = dynsec.provision_server()
        server = broker.broker(creds.username, creds.password)
        ceiling = broker_only(server, args.things, args.per_thing, args)
        for name in args.backends:
            results.append(
                bench_backend(name, work, pg if name == "postgis" else None, server, args)
            )
    finally:
        if pg is not None:
            pg.stop()
        broker.stop()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    load = {"start": load_before, "end": os.getloadavg()}
    report(args, mode, ceiling, results, time.perf_counter() - started, load)


def _git_head() -> str | None:
    """``git rev-parse HEAD``: also in a linked work tree, whose ``.git`` is a file."""
    done = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    return done.stdout.strip() or None


def report(
    args: argparse.Namespace,
    mode: str,
    ceiling: sl.Flow,
    results: list[BackendResult],
    seconds: float,
    load: dict[str, tuple[float, float, float]],
) -> None:
    doc = sensors_report.render(args, mode, ceiling, results, seconds, ISTSOS)
    print(
        "Tải máy / load average (1, 5, 15 min): "
        + ", ".join(f"{k} {' '.join(f'{v:.1f}' for v in vals)}" for k, vals in load.items())
    )
    doc["load_average"] = load
    doc["run_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    doc["dothi_commit"] = ib.dothi_revision() or _git_head()
    doc["results"] = [asdict(r) for r in results]
    doc["broker_only"] = asdict(ceiling)
    out = OUT / "sensors_bench.json"
    out.write_text(json.dumps(doc, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"JSON: {out}")


if __name__ == "__main__":
    main()
