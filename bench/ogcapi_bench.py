"""OGC API – Features benchmark: Dothi (PostGIS, SQLite) against pygeoapi and raw PostGIS.

Run from the repository root::

    .venv/bin/python bench/ogcapi_bench.py [--points N] [--polygons N] [--duration S]
                                           [--connections C] [--tiles N] [--keep]

One run does the following:

1. Data (cached in ``bench/out/``): N points (``bench_points_<N>_v1.gpkg``, written here)
   and N polygons (``bench_polygons_<N>_v1.gpkg``, written by ``bench/import_bench.py``'s
   generator) over central TP Hồ Chí Minh, with a few properties (uid, name, floors,
   kind, and area for the polygons).
2. pygeoapi from the package registry in its own virtualenv ``bench/out/pygeoapi-venv``
   (made once), so it cannot change Dothi's dependencies.
3. A throwaway PostGIS server (``tests/pgserver.py``); ``dothi import`` of both files
   into one database on it and into a fresh SQLite data folder. On PostGIS, one view per
   layer over Dothi's partition gives pygeoapi's PostgreSQL provider the same rows.
4. Three servers on 127.0.0.1: ``dothi serve`` on PostGIS, ``dothi serve`` on SQLite
   (one uvicorn process each, as the command runs it) and pygeoapi under gunicorn with
   2 sync workers (its documented production set-up; 2 cores here). A check that they
   give the same answers (same numberMatched and the same first page of ids).
5. Load, each run bounded in time: wrk with a random small bbox per request
   (``bench/wrk_bbox.lua``, ``limit=100&f=json``) and with random single-feature gets by
   id (``bench/wrk_item.lua``), on both layers, against each server; the same queries
   answered by PostGIS alone (GeoJSON made in SQL) driven by pgbench at the same
   concurrency (``bench/pgbench_bbox.sql``) — the ceiling.
6. Vector tiles: milliseconds per tile at zooms 10, 14, 17 over both layers, rendered
   in-process as ``bench/tiles_bench.py`` does (and by ST_AsMVT on PostGIS).
7. A table of requests/s and p50/p95/p99 latency, the ratios, the targets marked met or
   not met, and the same figures in ``bench/out/ogcapi_bench.json``.

Missing a target does not make the script fail; a server giving a different answer, a
failing command or errors during a load run do.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyogrio.raw
import shapely

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
OUT = BENCH / "out"
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(BENCH))

import import_bench as ib  # noqa: E402
from pgserver import PostGISServer, find_bindir  # noqa: E402

POINTS = "bench_points"
POLYGONS = ib.LAYER  # "bench_polygons"
POINT_PREFIX = "pt-"
POLYGON_PREFIX = "hcm-"  # import_bench's uid
DEFAULT_POINTS = 1_000_000
DEFAULT_POLYGONS = 100_000
POINTS_DATA_VERSION = 1

BOX_DEG = 0.005  # side of the random bbox, about 550 m × 550 m
LIMIT = 100
DURATION = 20
WARMUP = 3
CONNECTIONS = 16
THREADS = 2
PYGEOAPI_WORKERS = 2
#: Dothi gets as many worker processes as pygeoapi (``dothi serve --workers``).
DOTHI_WORKERS = PYGEOAPI_WORKERS
RAW = "PostGIS raw (pgbench)"
RAW_SAME = "PostGIS raw, same answer"
#: Both load generators talk to PostgreSQL as Dothi's own connections do.
PG_OPTIONS = "-c jit=off -c max_parallel_workers_per_gather=0"
PYGEOAPI_PACKAGES = ["pygeoapi", "gunicorn", "psycopg2-binary", "GeoAlchemy2"]
PYGEOAPI_VENV = OUT / "pygeoapi-venv"
TILES_PER_ZOOM = 30

TARGET_CEILING = 0.40
TARGET_VS_PYGEOAPI = 10.0
#: "The same order" on SQLite, read as: within a factor of 3 of Dothi on PostGIS.
TARGET_SQLITE_FACTOR = 3.0

EXTENT = (ib.LON_MIN, ib.LAT_MIN, ib.LON_MAX, ib.LAT_MAX)


# -- data --------------------------------------------------------------------------------
def generate_points(n: int, path: Path) -> None:
    """Write ``n`` points to the GeoPackage ``path`` in chunks (atomically)."""
    tmp = path.with_name(path.stem + ".partial.gpkg")
    tmp.unlink(missing_ok=True)
    rng = np.random.default_rng(ib.SEED + 1)
    for start in range(0, n, ib.CHUNK):
        count = min(ib.CHUNK, n - start)
        x = rng.uniform(ib.LON_MIN, ib.LON_MAX, count)
        y = rng.uniform(ib.LAT_MIN, ib.LAT_MAX, count)
        wkb = shapely.to_wkb(shapely.points(x, y))
        props = ib._properties(rng, start, count, wkb)
        del props["area"]
        props["uid"] = np.array(
            [f"{POINT_PREFIX}{i:08d}" for i in range(start, start + count)], dtype=object
        )
        ib.write_chunk(tmp, POINTS, "Point", wkb, props, start)
    tmp.replace(path)


def points_file(n: int) -> Path:
    """The cached GeoPackage of ``n`` points, generated on first use."""
    return ib.cached(
        OUT / f"{POINTS}_{n}_v{POINTS_DATA_VERSION}.gpkg", "points", n, generate_points
    )


# -- tools -------------------------------------------------------------------------------
def find_tools() -> tuple[str, str | None]:
    """wrk (required) and pgbench (for the ceiling; None when missing)."""
    wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit(
            "Thiếu wrk, công cụ tạo tải HTTP / wrk, the HTTP load generator, is missing.\n"
            "  Debian/Ubuntu: sudo apt-get install -y wrk"
        )
    bindir = find_bindir()
    pgbench = None
    if bindir is not None and (bindir / "pgbench").exists():
        pgbench = str(bindir / "pgbench")
    else:
        pgbench = shutil.which("pgbench")
    if pgbench is None:
        print(
            "Thiếu pgbench: bỏ qua mức trần PostGIS / pgbench is missing: the raw PostGIS "
            "ceiling is skipped (Debian: postgresql-client, or the server package)",
            flush=True,
        )
    return wrk, pgbench


def pygeoapi_python() -> Path:
    """The Python of pygeoapi's own virtualenv, made and filled on first use."""
    python = PYGEOAPI_VENV / "bin" / "python"
    ready = PYGEOAPI_VENV / ".bench-ready"
    if ready.exists() and python.exists():
        return python
    print(f"Cài pygeoapi / installing pygeoapi into {PYGEOAPI_VENV} …", flush=True)
    t0 = time.perf_counter()
    if not python.exists():
        ib._run([sys.executable, "-m", "venv", str(PYGEOAPI_VENV)])
    log = OUT / "pygeoapi-venv-install.log"
    with open(log, "wb") as fh:
        done = subprocess.run(
            [str(python), "-m", "pip", "install", *PYGEOAPI_PACKAGES],
            stdout=fh,
            stderr=subprocess.STDOUT,
        )
    if done.returncode != 0:
        raise SystemExit(f"LỖI / FAILED: pip install {' '.join(PYGEOAPI_PACKAGES)} — see {log}")
    ready.write_text(" ".join(PYGEOAPI_PACKAGES) + "\n")
    print(f"  xong / done in {time.perf_counter() - t0:.0f} s", flush=True)
    return python


def pygeoapi_version(python: Path) -> str:
    code = "import importlib.metadata as m; print(m.version('pygeoapi'))"
    return ib._run([str(python), "-c", code]).strip()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


_TICK = os.sysconf("SC_CLK_TCK")


def tree_cpu(root: int) -> float:
    """CPU seconds used so far by process ``root`` and its descendants (Linux /proc).

    The root's own figure includes the children it has already reaped (cutime, cstime),
    so short-lived children (PostgreSQL's parallel workers) are counted too.
    """
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        pid = int(entry.name)
        parents[pid] = int(fields[1])
        # utime, stime, cutime, cstime are fields 14-17 of stat (11-14 after the name).
        times[pid] = sum(int(v) for v in fields[11:15]) / _TICK
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        total += times.get(pid, 0.0)
        todo += [child for child, parent in parents.items() if parent == pid]
    return total


class CpuMeter:
    """CPU of the server under test and of PostgreSQL over one timed run."""

    def __init__(self, app_pid: int | None, pg_pid: int) -> None:
        self.pids = {"app": app_pid, "pg": pg_pid}

    def __enter__(self) -> CpuMeter:
        self.start = {k: tree_cpu(p) for k, p in self.pids.items() if p}
        self.t0 = time.perf_counter()
        return self

    def __exit__(self, *_exc: object) -> None:
        wall = time.perf_counter() - self.t0
        self.share = {k: (tree_cpu(p) - self.start[k]) / wall for k, p in self.pids.items() if p}


# -- servers -----------------------------------------------------------------------------
@dataclass
class Server:
    """One HTTP server under test."""

    name: str
    port: int
    prefix: str  # path of the OGC API landing page
    command: list[str]
    env: dict[str, str]
    log: Path
    proc: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def items_path(self, layer: str) -> str:
        return f"{self.prefix}/collections/{layer}/items"

    def start(self) -> None:
        fh = open(self.log, "wb")  # noqa: SIM115 - closed with the process
        self.proc = subprocess.Popen(
            self.command,
            env=self.env,
            stdout=fh,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
            start_new_session=True,
        )
        fh.close()

    def wait_ready(self, path: str, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                break
            try:
                with urllib.request.urlopen(self.base + path, timeout=5) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        tail = self.log.read_text(encoding="utf-8", errors="replace")[-3000:]
        raise SystemExit(f"LỖI / FAILED: {self.name} did not start\n--- {self.log} ---\n{tail}")

    def stop(self) -> None:
        """Stop the server (its own process group: gunicorn's workers go with it)."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=60) as r:
        return json.loads(r.read())


# -- pygeoapi set-up ---------------------------------------------------------------------
_VIEW_COLUMNS = {
    POINTS: "properties->>'uid' AS uid, properties->>'name' AS name, "
    "(properties->>'floors')::int AS floors, properties->>'kind' AS kind",
    POLYGONS: "properties->>'uid' AS uid, properties->>'name' AS name, "
    "(properties->>'floors')::int AS floors, (properties->>'area')::float8 AS area, "
    "properties->>'kind' AS kind",
}


def view_sql(layer: str) -> str:
    """pygeoapi's table: a view of the layer's current rows in Dothi's partition.

    ``layer_id = …`` lets PostgreSQL use the partition's (layer_id, fid) index for gets
    by id and for pygeoapi's prev/next ids.
    """
    return (
        f"CREATE VIEW {layer}_v AS SELECT fid AS id, geom, {_VIEW_COLUMNS[layer]} "
        f"FROM feature_{layer} WHERE layer_id = '{layer}' AND valid_to IS NULL"
    )


def pygeoapi_config(port: int, pg_port: int, dbname: str) -> dict[str, Any]:
    """pygeoapi's configuration (JSON is YAML): one collection per layer on its view."""
    resources: dict[str, Any] = {}
    for layer in (POINTS, POLYGONS):
        resources[layer] = {
            "type": "collection",
            "title": layer,
            "description": f"Dothi layer {layer} (view {layer}_v)",
            "keywords": ["bench"],
            "extents": {
                "spatial": {
                    "bbox": list(EXTENT),
                    "crs": "http://www.opengis.net/def/crs/OGC/1.3/CRS84",
                }
            },
            "providers": [
                {
                    "type": "feature",
                    "name": "PostgreSQL",
                    "data": {
                        "host": "127.0.0.1",
                        "port": pg_port,
                        "dbname": dbname,
                        "user": "dothi",
                        "search_path": ["public"],
                    },
                    "id_field": "id",
                    "table": f"{layer}_v",
                    "geom_field": "geom",
                }
            ],
        }
    return {
        "server": {
            "bind": {"host": "127.0.0.1", "port": port},
            "url": f"http://127.0.0.1:{port}",
            "mimetype": "application/json; charset=UTF-8",
            "encoding": "utf-8",
            "gzip": False,
            "languages": ["en-US"],
            "pretty_print": False,
            # The default max_items is 10: pygeoapi would quietly return 10, not 100.
            "limits": {"default_items": LIMIT, "max_items": 10_000},
            "map": {"url": "http://127.0.0.1/{z}/{x}/{y}.png", "attribution": "none"},
        },
        "logging": {"level": "ERROR"},
        "metadata": {
            "identification": {
                "title": "bench",
                "description": "Dothi benchmark peer",
                "keywords": ["bench"],
                "url": f"http://127.0.0.1:{port}",
                "terms_of_service": "none",
                "keywords_type": "theme",
            },
            "license": {"name": "CC-BY 4.0", "url": f"http://127.0.0.1:{port}"},
            "provider": {"name": "bench", "url": f"http://127.0.0.1:{port}"},
            "contact": {"name": "bench", "url": f"http://127.0.0.1:{port}"},
        },
        "resources": resources,
    }


# -- load --------------------------------------------------------------------------------
@dataclass
class Workload:
    key: str
    title: str
    layer: str
    kind: str  # "bbox" or "item"
    prefix: str
    count: int


@dataclass
class Run:
    """Figures of one server (or pgbench) under one workload."""

    workload: str
    server: str
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    mean_ms: float
    kib_per_response: float | None
    errors: int
    command: str
    #: CPU used during the run, in cores (1.0 = one core busy all the time): the server
    #: under test (all its processes) and PostgreSQL (all its backends).
    app_cores: float | None = None
    pg_cores: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def wrk_args(w: Workload, server: Server) -> tuple[Path, list[str]]:
    path = server.items_path(w.layer)
    if w.kind == "bbox":
        box = [f"{v:.6f}" for v in EXTENT]
        return BENCH / "wrk_bbox.lua", [path, *box, str(BOX_DEG), str(LIMIT)]
    return BENCH / "wrk_item.lua", [path, w.prefix, str(w.count)]


def run_wrk(
    wrk: str, w: Workload, server: Server, seconds: int, connections: int, work: Path, pg_pid: int
) -> Run:
    script, args = wrk_args(w, server)
    return run_wrk_script(wrk, w.key, script, args, server, seconds, connections, work, pg_pid)


def run_wrk_script(
    wrk: str,
    key: str,
    script: Path,
    args: list[str],
    server: Server,
    seconds: int,
    connections: int,
    work: Path,
    pg_pid: int,
) -> Run:
    """One warm-up and one timed wrk run of ``script`` against ``server``."""

    def once(duration: int) -> tuple[dict[str, Any], list[str]]:
        cmd = [
            wrk,
            f"-t{THREADS}",
            f"-c{connections}",
            f"-d{duration}s",
            "--timeout",
            "10s",
            "-s",
            str(script.relative_to(ROOT)),
            server.base,
            "--",
            *args,
        ]
        done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=duration + 60)
        log = work / f"wrk-{key}-{server.name.replace(' ', '_')}.log"
        log.write_text(done.stdout + done.stderr)
        match = re.search(r"^WRK_JSON (\{.*\})$", done.stdout, re.MULTILINE)
        if done.returncode != 0 or match is None:
            raise SystemExit(f"LỖI / FAILED: {' '.join(cmd)}\n{done.stdout}\n{done.stderr}")
        return json.loads(match.group(1)), cmd

    once(WARMUP)
    assert server.proc is not None
    with CpuMeter(server.proc.pid, pg_pid) as cpu:
        r, cmd = once(seconds)
    errors = sum(
        r[k] for k in ("connect_errors", "read_errors", "write_errors", "status_errors", "timeouts")
    )
    secs = r["duration_us"] / 1e6
    return Run(
        workload=key,
        server=server.name,
        requests=r["requests"],
        seconds=secs,
        rps=r["requests"] / secs,
        p50_ms=r["p50_us"] / 1000,
        p95_ms=r["p95_us"] / 1000,
        p99_ms=r["p99_us"] / 1000,
        mean_ms=r["mean_us"] / 1000,
        kib_per_response=r["bytes"] / max(1, r["requests"]) / 1024,
        errors=errors,
        command=" ".join(cmd),
        app_cores=round(cpu.share["app"], 2),
        pg_cores=round(cpu.share["pg"], 2),
        extra={k: r[k] for k in r if k.endswith("errors") or k == "timeouts"},
    )


_PGBENCH_ITEM = """-- Written by bench/ogcapi_bench.py: the raw PostGIS ceiling of a get by id.
\\set i random(0, :count - 1)
SELECT ST_AsGeoJSON(t.*) FROM (SELECT fid AS id, geom, {columns}
  FROM feature_{layer} WHERE layer_id = '{layer}' AND valid_to IS NULL
  AND fid = :prefix || lpad(:i::text, 8, '0')) t;
"""


def run_pgbench(
    pgbench: str,
    w: Workload,
    pg_port: int,
    dbname: str,
    seconds: int,
    connections: int,
    work: Path,
    pg_pid: int,
    same_answer: bool = False,
) -> Run:
    """The same query answered by PostGIS alone, at the same concurrency.

    For a bbox, ``same_answer`` runs the statement Dothi runs (exact test, numberMatched,
    stable order); otherwise the first page PostGIS finds, in no order and uncounted."""
    if w.kind == "bbox":
        script = BENCH / ("pgbench_bbox_same.sql" if same_answer else "pgbench_bbox.sql")
        names = ("xmin", "ymin", "xmax", "ymax")
        defs = [f"{k}={v:.6f}" for k, v in zip(names, EXTENT, strict=True)]
        defs += [f"size={BOX_DEG}", f"limit={LIMIT}"]
        defs += [f"layer={w.layer}"] if same_answer else [f"polygons={int(w.layer == POLYGONS)}"]
    else:
        script = work / f"pgbench_item_{w.layer}.sql"
        script.write_text(_PGBENCH_ITEM.format(layer=w.layer, columns=_VIEW_COLUMNS[w.layer]))
        defs = [f"count={w.count}", f"prefix={w.prefix}"]
    logs = work / f"pgbench-{w.key}{'-same' if same_answer else ''}"
    logs.mkdir(exist_ok=True)
    env = os.environ | {"PGOPTIONS": PG_OPTIONS}

    def once(duration: int, log: bool) -> tuple[str, list[str]]:
        cmd = [pgbench, "-n", "-M", "prepared", f"-c{connections}", f"-j{THREADS}"]
        cmd += [f"-T{duration}", "-f", str(script)]
        for d in defs:
            cmd += ["-D", d]
        if log:
            cmd += ["-l", f"--log-prefix={logs / 'log'}"]
        cmd += ["-h", "127.0.0.1", "-p", str(pg_port), "-U", "dothi", dbname]
        done = subprocess.run(
            cmd, capture_output=True, text=True, timeout=duration + 60, cwd="/", env=env
        )
        if done.returncode != 0:
            raise SystemExit(f"LỖI / FAILED: {' '.join(cmd)}\n{done.stdout}\n{done.stderr}")
        return done.stdout, cmd

    once(WARMUP, log=False)
    with CpuMeter(None, pg_pid) as cpu:
        out, cmd = once(seconds, log=True)
    lat: list[float] = []
    for f in logs.glob("log.*"):
        for line in f.read_text().splitlines():
            parts = line.split()
            lat.append(int(parts[2]) / 1000)  # client txno latency_us script epoch us
    lat.sort()
    failed = re.search(r"number of failed transactions: (\d+)", out)
    tps = re.search(r"tps = ([\d.]+) \(without initial connection time\)", out)
    assert tps is not None, out
    shown = [a if not a.startswith("--log-prefix") else "--log-prefix=…" for a in cmd]
    return Run(
        workload=w.key,
        server=RAW_SAME if same_answer else RAW,
        requests=len(lat),
        seconds=float(seconds),
        rps=float(tps.group(1)),
        p50_ms=_pct(lat, 50),
        p95_ms=_pct(lat, 95),
        p99_ms=_pct(lat, 99),
        mean_ms=statistics.fmean(lat),
        kib_per_response=None,
        errors=int(failed.group(1)) if failed else 0,
        command=" ".join(shown).replace(str(ROOT) + "/", ""),
        pg_cores=round(cpu.share["pg"], 2),
    )


def _pct(ordered: list[float], p: float) -> float:
    """Nearest-rank percentile of sorted values."""
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


# -- checks ------------------------------------------------------------------------------
def random_boxes(count: int, seed: int) -> list[tuple[float, float, float, float]]:
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        x0 = EXTENT[0] + rng.random() * (EXTENT[2] - EXTENT[0] - BOX_DEG)
        y0 = EXTENT[1] + rng.random() * (EXTENT[3] - EXTENT[1] - BOX_DEG)
        out.append((x0, y0, x0 + BOX_DEG, y0 + BOX_DEG))
    return out


def check_same_answers(servers: list[Server], workloads: list[Workload]) -> None:
    """Every server gives the same matches and features; else stop.

    Each server pages in its own order (Dothi by storage order, pygeoapi by id), so the
    boxes are asked for in one page of every match and compared as sets."""
    for w in workloads:
        if w.kind == "bbox":
            for box in random_boxes(5, 7):
                q = "bbox=" + ",".join(f"{v:.7f}" for v in box) + "&limit=10000&f=json"
                seen = {}
                for s in servers:
                    doc = get_json(f"{s.base}{s.items_path(w.layer)}?{q}")
                    ids = sorted(f["id"] for f in doc["features"])
                    seen[s.name] = (doc.get("numberMatched"), ids)
                if len({json.dumps(v) for v in seen.values()}) != 1:
                    short = {k: (m, len(i), i[:3]) for k, (m, i) in seen.items()}
                    raise SystemExit(f"SAI / WRONG: different answers for {w.key} {box}: {short}")
        else:
            rng = random.Random(11)
            for _ in range(3):
                fid = f"{w.prefix}{rng.randrange(w.count):08d}"
                found = []
                for s in servers:
                    doc = get_json(f"{s.base}{s.items_path(w.layer)}/{fid}?f=json")
                    props = {k: doc["properties"].get(k) for k in ("uid", "name", "floors")}
                    geom = shapely.geometry.shape(doc["geometry"])
                    found.append((doc["id"], props, geom))
                first = found[0]
                for other in found[1:]:
                    if other[:2] != first[:2] or not shapely.equals_exact(other[2], first[2], 1e-9):
                        raise SystemExit(f"SAI / WRONG: different features for {fid}: {found}")
    print("  ✓ cùng kết quả / same answers on every server", flush=True)


def check_raw_query(port: int, dbname: str) -> None:
    """The ceiling's query returns min(matched, limit) features (sanity of the SQL)."""
    import psycopg

    sql = (BENCH / "pgbench_bbox.sql").read_text()
    points_sql = sql.split("\\else", 1)[1].split("\\endif", 1)[0]
    x0, y0, x1, y1 = random_boxes(1, 3)[0]
    for k, v in {"x0": x0, "y0": y0, "x1": x1, "y1": y1, "limit": LIMIT}.items():
        points_sql = points_sql.replace(f":{k}", str(v))
    with psycopg.connect(host="127.0.0.1", port=port, user="dothi", dbname=dbname) as conn:
        doc = conn.execute(points_sql).fetchone()
        matched = conn.execute(
            f"SELECT count(*) FROM feature_{POINTS} WHERE valid_to IS NULL AND "
            "geom && ST_MakeEnvelope(%s, %s, %s, %s, 4326)",
            (x0, y0, x1, y1),
        ).fetchone()
    assert doc is not None and matched is not None
    got = len(doc[0]["features"])
    if got != min(int(matched[0]), LIMIT):
        raise SystemExit(f"SAI / WRONG: raw query gave {got} features, expected {matched[0]}")


# -- tiles -------------------------------------------------------------------------------
@dataclass
class TileRow:
    backend: str
    zoom: int
    tiles: int
    median_ms: float
    p95_ms: float
    kib_per_tile: float
    st_asmvt_median_ms: float | None = None
    st_asmvt_p95_ms: float | None = None


def bench_tiles(name: str, url: str, count: int, peer: bool) -> list[TileRow]:
    """Milliseconds per tile of both layers, rendered in-process as tiles_bench does."""
    import tiles_bench as tb

    from dothi.db.engine import Database
    from dothi.tiles import grid

    db = Database(url)
    ids = [POINTS, POLYGONS]
    rows = []
    rng = np.random.default_rng(ib.SEED + 2)
    xs = rng.uniform(EXTENT[0], EXTENT[2], 5000)
    ys = rng.uniform(EXTENT[1], EXTENT[3], 5000)
    try:
        for z in tb.ZOOMS:
            found = {grid.tile_for_lonlat(x, y, z) for x, y in zip(xs, ys, strict=True)}
            tiles = sorted(found, key=str)
            random.Random(ib.SEED + z).shuffle(tiles)
            tiles = tiles[:count]
            times, size = tb.time_tiles(tb.dothi_renderer(db, ids), tiles)
            row = TileRow(
                name,
                z,
                len(tiles),
                statistics.median(times),
                tb.p95(times),
                size / len(tiles) / 1024,
            )
            if peer:
                other, _ = tb.time_tiles(tb.postgis_renderer(db, ids), tiles)
                row.st_asmvt_median_ms = statistics.median(other)
                row.st_asmvt_p95_ms = tb.p95(other)
            rows.append(row)
            print(
                f"  {name:<8} z{z:<3} {len(tiles):>3} tiles  median {row.median_ms:8.1f} ms"
                + (f"  ST_AsMVT {row.st_asmvt_median_ms:8.1f} ms" if peer else ""),
                flush=True,
            )
    finally:
        db.dispose()
    return rows


# -- the run -----------------------------------------------------------------------------
def import_layers(
    env: dict[str, str], files: dict[str, Path], work: Path, tag: str
) -> dict[str, Any]:
    out = {}
    for layer, path in files.items():
        cmd = [ib.dothi_exe(), "import", str(path), "--layer", layer, "--key", "uid"]
        m = ib.measured(cmd, env, work, f"{tag}-import-{layer}")
        print(f"  dothi import {layer} ({tag}): {m.seconds:.1f} s", flush=True)
        out[layer] = {"seconds": round(m.seconds, 2), "peak_mib": round(m.peak_mib, 1)}
    counts = {
        ly["id"]: ly["feature_count"]
        for ly in json.loads(ib._run([ib.dothi_exe(), "layers", "list", "--json"], env))
    }
    for layer, path in files.items():
        want = pyogrio.read_info(path, layer=layer)["features"]
        ib.check_count(f"Dothi {tag} {layer}", int(counts.get(layer, -1)), int(want))
    return out


def dothi_server(name: str, env: dict[str, str], work: Path) -> Server:
    port = free_port()
    cmd = [ib.dothi_exe(), "serve", "--host", "127.0.0.1", "--port", str(port)]
    cmd += ["--workers", str(DOTHI_WORKERS)]
    return Server(name, port, "/ogcapi", cmd, env, work / f"server-{name.replace(' ', '_')}.log")


def pygeoapi_server(python: Path, pg_port: int, dbname: str, work: Path) -> Server:
    port = free_port()
    cfg = work / "pygeoapi-config.yml"
    cfg.write_text(json.dumps(pygeoapi_config(port, pg_port, dbname), indent=1))
    openapi = work / "pygeoapi-openapi.yml"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DOTHI_", "PYGEOAPI_"))}
    env |= {"PYGEOAPI_CONFIG": str(cfg), "PYGEOAPI_OPENAPI": str(openapi)}
    bindir = python.parent
    ib._run(
        [str(bindir / "pygeoapi"), "openapi", "generate", str(cfg), "--output-file", str(openapi)],
        env,
    )
    cmd = [
        str(bindir / "gunicorn"),
        "pygeoapi.flask_app:APP",
        "--workers",
        str(PYGEOAPI_WORKERS),
        "--bind",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
    ]
    return Server("pygeoapi PostGIS", port, "", cmd, env, work / "server-pygeoapi.log")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=DEFAULT_POINTS, help="số điểm / points")
    parser.add_argument(
        "--polygons", type=int, default=DEFAULT_POLYGONS, help="số đa giác / polygons"
    )
    parser.add_argument(
        "--duration", type=int, default=DURATION, help="giây mỗi lần đo / seconds per load run"
    )
    parser.add_argument(
        "--connections", type=int, default=CONNECTIONS, help="kết nối đồng thời / concurrency"
    )
    parser.add_argument(
        "--tiles", type=int, default=TILES_PER_ZOOM, help="số ô mỗi mức / tiles per zoom"
    )
    parser.add_argument("--keep", action="store_true", help="giữ thư mục làm việc / keep work")
    args = parser.parse_args(argv)
    if args.points < 1 or args.polygons < 1 or args.duration < 1 or args.connections < 1:
        parser.error("--points, --polygons, --duration and --connections must be at least 1")

    started = time.perf_counter()
    wrk, pgbench = find_tools()
    bindir = find_bindir()
    if bindir is None:
        raise SystemExit("Không tìm thấy PostgreSQL có PostGIS / no PostgreSQL with PostGIS found")
    OUT.mkdir(parents=True, exist_ok=True)
    files = {POINTS: points_file(args.points), POLYGONS: ib.source_file(args.polygons)}
    python = pygeoapi_python()
    workloads = [
        Workload("points-bbox", "points bbox", POINTS, "bbox", POINT_PREFIX, args.points),
        Workload("points-item", "points by id", POINTS, "item", POINT_PREFIX, args.points),
        Workload("polygons-bbox", "polygons bbox", POLYGONS, "bbox", POLYGON_PREFIX, args.polygons),
        Workload(
            "polygons-item", "polygons by id", POLYGONS, "item", POLYGON_PREFIX, args.polygons
        ),
    ]
    work = Path(tempfile.mkdtemp(prefix=f"ogcapi-{args.points}-", dir=OUT))
    runs: list[Run] = []
    tiles: list[TileRow] = []
    imports: dict[str, Any] = {}
    servers: list[Server] = []
    print("\n[PostGIS] khởi động máy chủ tạm / starting a throwaway server …", flush=True)
    pg = PostGISServer(bindir).start()
    try:
        dbname = "bench_ogcapi"
        pg_url = pg.create_database(dbname)
        pg_env = ib.dothi_env(work / "postgis-dothi", pg_url.replace("+psycopg", "", 1))
        imports["PostGIS"] = import_layers(pg_env, files, work, "PostGIS")
        sqlite_dir = work / "sqlite-dothi"
        sqlite_env = ib.dothi_env(sqlite_dir, None)
        imports["SQLite"] = import_layers(sqlite_env, files, work, "SQLite")

        import psycopg

        with psycopg.connect(
            host="127.0.0.1", port=pg.port, user="dothi", dbname=dbname, autocommit=True
        ) as conn:
            for layer in (POINTS, POLYGONS):
                conn.execute(f"VACUUM ANALYZE feature_{layer}")
                conn.execute(view_sql(layer))
        check_raw_query(pg.port, dbname)
        # The postmaster's pid is the first line of postmaster.pid.
        pg_pid = int((pg.datadir / "postmaster.pid").read_text().split()[0])

        servers = [
            dothi_server("Dothi PostGIS", pg_env, work),
            dothi_server("Dothi SQLite", sqlite_env, work),
            pygeoapi_server(python, pg.port, dbname, work),
        ]
        print("\nKhởi động máy chủ / starting the servers …", flush=True)
        for s in servers:
            s.start()
        for s in servers:
            s.wait_ready(f"{s.prefix}/collections?f=json")
            print(f"  {s.name}: {s.base}  ({' '.join(Path(c).name for c in s.command[:2])} …)")
        check_same_answers(servers, workloads)

        print(
            f"\nTải / load: {args.connections} connections, {args.duration} s per run "
            f"(+{WARMUP} s warm-up) …",
            flush=True,
        )
        for w in workloads:
            for s in servers:
                r = run_wrk(wrk, w, s, args.duration, args.connections, work, pg_pid)
                runs.append(r)
                _print_run(w, r)
            for same in (False, True) if w.kind == "bbox" else (False,):
                if not pgbench:
                    break
                r = run_pgbench(
                    pgbench, w, pg.port, dbname, args.duration, args.connections, work, pg_pid, same
                )
                runs.append(r)
                _print_run(w, r)
        bad = [r for r in runs if r.errors]
        if bad:
            raise SystemExit(
                "LỖI / FAILED: errors under load: "
                + "; ".join(f"{r.workload} {r.server}: {r.errors} ({r.extra})" for r in bad)
            )
        for s in servers:
            s.stop()

        print("\nÔ vector / vector tiles (trong tiến trình / in-process) …", flush=True)
        tiles += bench_tiles("PostGIS", pg_url, args.tiles, peer=True)
        tiles += bench_tiles(
            "SQLite", f"sqlite:///{sqlite_dir / 'dothi.sqlite'}", args.tiles, False
        )
        versions = _server_versions(pg.port, dbname)
    finally:
        for s in servers:
            s.stop()
        pg.stop()
        if args.keep:
            print(f"\nGiữ lại / kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)

    versions["pygeoapi"] = pygeoapi_version(python)
    doc = report(args, workloads, runs, tiles, imports, versions, time.perf_counter() - started)
    out = OUT / "ogcapi_bench.json"
    out.write_text(json.dumps(doc, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"JSON: {out}")


def _print_run(w: Workload, r: Run) -> None:
    print(
        f"  {w.title:<15} {r.server:<22} {r.rps:9.1f} req/s  p50 {r.p50_ms:7.1f}  "
        f"p95 {r.p95_ms:7.1f}  p99 {r.p99_ms:7.1f} ms",
        flush=True,
    )


def _server_versions(port: int, dbname: str) -> dict[str, str]:
    import psycopg

    with psycopg.connect(host="127.0.0.1", port=port, user="dothi", dbname=dbname) as conn:
        pgv = conn.execute("SHOW server_version").fetchone()
        gis = conn.execute("SELECT postgis_lib_version()").fetchone()
    assert pgv is not None and gis is not None
    wrk_v = subprocess.run(["wrk", "--version"], capture_output=True, text=True).stdout
    return {
        "postgresql": str(pgv[0]),
        "postgis": str(gis[0]),
        "wrk": wrk_v.splitlines()[0] if wrk_v else "?",
    }


# -- report ------------------------------------------------------------------------------
def _mark(ok: bool | None) -> str:
    return "— (not measured)" if ok is None else ib._mark(ok)


def report(
    args: argparse.Namespace,
    workloads: list[Workload],
    runs: list[Run],
    tiles: list[TileRow],
    imports: dict[str, Any],
    versions: dict[str, str],
    total_seconds: float,
) -> dict[str, Any]:
    """Print the tables and the targets; return the JSON document."""
    from dothi import __version__ as dothi_version

    by = {(r.workload, r.server): r for r in runs}
    commit = (ib.dothi_revision() or "?")[:12]
    print(
        f"\n{args.points:,} points + {args.polygons:,} polygons — {args.connections} connections, "
        f"{args.duration} s per run, bbox {BOX_DEG}° (~{BOX_DEG * ib.M_PER_DEG_LAT:.0f} m), "
        f"limit {LIMIT} — dothi {dothi_version} @ {commit}, pygeoapi {versions['pygeoapi']}"
    )
    header = (
        f"{'workload':<15} {'server':<22} {'req/s':>9} {'p50 ms':>8} {'p95 ms':>8} "
        f"{'p99 ms':>8} {'KiB/resp':>9} {'errors':>7} {'app CPU':>8} {'PG CPU':>7}"
    )
    print(header)
    print("-" * len(header))
    for w in workloads:
        first = True
        for r in runs:
            if r.workload != w.key:
                continue
            kib = "—" if r.kib_per_response is None else f"{r.kib_per_response:.1f}"
            print(
                f"{w.title if first else '':<15} {r.server:<22} {r.rps:>9.1f} {r.p50_ms:>8.1f} "
                f"{r.p95_ms:>8.1f} {r.p99_ms:>8.1f} {kib:>9} {r.errors:>7} "
                f"{_cores(r.app_cores):>8} {_cores(r.pg_cores):>7}"
            )
            first = False

    print(
        f"app CPU / PG CPU: CPU dùng trong lần đo, % của một lõi / CPU used during the run, "
        f"% of one core ({os.cpu_count()} cores, shared with wrk/pgbench)"
    )
    print("\nTỉ lệ / ratios (req/s; p95 ms Dothi PostGIS vs pygeoapi)")
    rh = (
        f"{'workload':<15} {'PG/raw':>7} {'PG/same':>8} {'PG/pygeoapi':>12} "
        f"{'p95 PG | pygeoapi':>19} {'SQLite/pygeoapi':>16} {'SQLite/PG':>10}"
    )
    print(rh)
    print("-" * len(rh))
    ratios: dict[str, dict[str, float | None]] = {}
    targets: list[dict[str, Any]] = []
    for w in workloads:
        pg = by[(w.key, "Dothi PostGIS")]
        lite = by[(w.key, "Dothi SQLite")]
        peer = by[(w.key, "pygeoapi PostGIS")]
        raw = by.get((w.key, RAW))
        same = by.get((w.key, RAW_SAME))
        ceiling = pg.rps / raw.rps if raw else None
        same_ceiling = pg.rps / same.rps if same else None
        vs = pg.rps / peer.rps
        lite_vs = lite.rps / peer.rps
        lite_pg = lite.rps / pg.rps
        ratios[w.key] = {
            "dothi_postgis_over_raw": _r(ceiling),
            "dothi_postgis_over_raw_same_answer": _r(same_ceiling),
            "dothi_postgis_over_pygeoapi": _r(vs),
            "dothi_sqlite_over_pygeoapi": _r(lite_vs),
            "dothi_sqlite_over_postgis": _r(lite_pg),
        }
        print(
            f"{w.title:<15} {'—' if ceiling is None else f'{ceiling:.2f}':>7} "
            f"{'—' if same_ceiling is None else f'{same_ceiling:.2f}':>8} {vs:>11.1f}× "
            f"{f'{pg.p95_ms:.1f} | {peer.p95_ms:.1f}':>19} {lite_vs:>15.1f}× {lite_pg:>10.2f}"
        )
        targets += [
            {
                "target": f"PostGIS, {w.title}: Dothi ≥ {TARGET_CEILING:.0%} of raw ceiling",
                "value": "—" if ceiling is None else f"{ceiling:.1%}",
                "met": None if ceiling is None else ceiling >= TARGET_CEILING,
            },
            {
                "target": f"PostGIS, {w.title}: Dothi ≥ {TARGET_CEILING:.0%} of same answer",
                "value": "—" if same_ceiling is None else f"{same_ceiling:.1%}",
                "met": None if same_ceiling is None else same_ceiling >= TARGET_CEILING,
            },
            {
                "target": f"PostGIS, {w.title}: Dothi ≥ {TARGET_VS_PYGEOAPI:.0f}× pygeoapi",
                "value": f"{vs:.1f}×",
                "met": vs >= TARGET_VS_PYGEOAPI,
            },
            {
                "target": f"PostGIS, {w.title}: Dothi p95 < pygeoapi p95",
                "value": f"{pg.p95_ms:.1f} vs {peer.p95_ms:.1f} ms",
                "met": pg.p95_ms < peer.p95_ms,
            },
            {
                "target": f"SQLite, {w.title}: same order as PostGIS (×1/3 … ×3)",
                "value": f"{lite_pg:.2f}×",
                "met": 1 / TARGET_SQLITE_FACTOR <= lite_pg <= TARGET_SQLITE_FACTOR,
            },
        ]

    print("\nÔ vector / vector tiles: bench_points + bench_polygons, in-process, no HTTP")
    th = (
        f"{'backend':<8} {'zoom':>4} {'tiles':>6} {'median ms':>10} {'p95 ms':>8} "
        f"{'KiB/tile':>9} {'ST_AsMVT med ms':>16} {'p95 ms':>8}"
    )
    print(th)
    print("-" * len(th))
    for t in tiles:
        peer_s = (
            f"{t.st_asmvt_median_ms:>16.1f} {t.st_asmvt_p95_ms:>8.1f}"
            if t.st_asmvt_median_ms is not None and t.st_asmvt_p95_ms is not None
            else f"{'—':>16} {'—':>8}"
        )
        print(
            f"{t.backend:<8} {t.zoom:>4} {t.tiles:>6} {t.median_ms:>10.1f} {t.p95_ms:>8.1f} "
            f"{t.kib_per_tile:>9.1f} {peer_s}"
        )

    print("\nMục tiêu / targets:")
    for tg in targets:
        print(f"  {tg['target']:<58} {tg['value']:>22}  {_mark(tg['met'])}")
    print(f"\nTổng thời gian / total wall time: {total_seconds:.0f} s")
    return {
        "points": args.points,
        "polygons": args.polygons,
        "connections": args.connections,
        "wrk_threads": THREADS,
        "seconds_per_run": args.duration,
        "warmup_seconds": WARMUP,
        "bbox_degrees": BOX_DEG,
        "limit": LIMIT,
        "pygeoapi_workers": PYGEOAPI_WORKERS,
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "total_seconds": round(total_seconds, 1),
        "dothi_version": dothi_version,
        "dothi_commit": ib.dothi_revision(),
        "versions": versions,
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
        },
        "imports": imports,
        "runs": [asdict(r) for r in runs],
        "ratios": ratios,
        "tiles": [asdict(t) for t in tiles],
        "targets": targets,
    }


def _cores(v: float | None) -> str:
    return "—" if v is None else f"{v * 100:.0f} %"


def _r(v: float | None) -> float | None:
    return None if v is None else round(v, 3)


if __name__ == "__main__":
    main()
