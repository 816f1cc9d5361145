"""Planning lookup benchmark: point lookups over HTTP against the raw point-in-zone ceiling.

Run from the repository root::

    .venv/bin/python bench/planning_bench.py [--zones N] [--parcels N] [--duration S]
                                             [--connections C]

1. Data (cached in ``bench/out/``): a grid of N planning zones and a grid of N land
   parcels over central TP Hồ Chí Minh, with the properties of Dothi's core layers
   ``planning_zone`` and ``land_parcel``.
2. A throwaway PostGIS server; ``dothi import`` of both layers into it and into a fresh
   SQLite data folder.
3. ``dothi serve --workers 2`` on each; a check that both answer a lookup alike.
4. wrk: ``GET /planning/lookup?lon=&lat=`` at a random point of the extent per request
   (``bench/wrk_lookup.lua``), with C connections for S seconds after a warm-up.
5. The ceilings, straight from Python (psycopg, C connections in 2 processes), S seconds
   each: the point-in-zone query alone (the issue's ceiling), and the one statement a
   Dothi lookup sends (parcel, zones, constraints, commune and the layers' access levels)
   — the same answer without HTTP, JSON or areas.
6. Requests/s, p50/p95/p99, the ratio to the ceiling and the issue's targets (≥ 1,000
   lookups/s with p95 < 50 ms, ≥ 50 % of the ceiling), also in ``bench/out/planning_bench.json``.

Missing a target does not fail the script; a failing command or errors under load do.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import random
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import shapely

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
OUT = BENCH / "out"
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(BENCH))

import import_bench as ib  # noqa: E402
import ogcapi_bench as ob  # noqa: E402
from pgserver import PostGISServer, find_bindir  # noqa: E402

DATA_VERSION = 1
CHUNK = 100_000
EXTENT = (ib.LON_MIN, ib.LAT_MIN, ib.LON_MAX, ib.LAT_MAX)
TARGET_RPS = 1000.0
TARGET_P95_MS = 50.0
TARGET_CEILING = 0.5
WORKERS = 2
CEILING_SQL = (
    "SELECT fid, properties FROM feature_planning_zone WHERE valid_to IS NULL "
    "AND ST_Intersects(geom, ST_SetSRID(ST_Point(%(x)s, %(y)s), 4326))"
)
CEILINGS = {"zone": "PostGIS raw (Python)", "same": "PostGIS raw, same reads"}


def _same_reads_sql() -> str:
    """The one call of a Dothi point lookup (``dothi_place_rows``, created by ``dothi init``):
    the parcel at the point, the zones and constraints meeting it, the commune, and the
    layers' access levels."""
    return (
        "SELECT * FROM dothi_place_rows(%(wkb)s, 'land_parcel', "
        "ARRAY['planning_zone', 'planning_constraint'], ARRAY['admin_commune'])"
    )


# -- data --------------------------------------------------------------------------------
def _grid(n: int) -> tuple[np.ndarray[Any, Any], int]:
    """``n`` cells of a near-square grid over the extent, as WKB, and the row length."""
    side = int(np.ceil(np.sqrt(n)))
    i = np.arange(n)
    w = (EXTENT[2] - EXTENT[0]) / side
    h = (EXTENT[3] - EXTENT[1]) / side
    x0 = EXTENT[0] + (i % side) * w
    y0 = EXTENT[1] + (i // side) * h
    return shapely.to_wkb(shapely.box(x0, y0, x0 + w, y0 + h)), side


def generate_zones(n: int, path: Path) -> None:
    """``n`` planning zones with rules (illustrative values)."""
    tmp = path.with_name(path.stem + ".partial.gpkg")
    tmp.unlink(missing_ok=True)
    wkb, _ = _grid(n)
    rng = np.random.default_rng(950)
    for start in range(0, n, CHUNK):
        idx = np.arange(start, min(n, start + CHUNK))
        k = len(idx)
        props = {
            "zone_uid": np.array([f"z{i:07d}" for i in idx], dtype=object),
            "zone_code": np.array([f"O-{i}" for i in idx], dtype=object),
            "land_use_function": np.array(["residential"] * k, dtype=object),
            "max_coverage_pct": rng.integers(40, 90, k).astype(np.float64),
            "max_floors": rng.integers(3, 40, k).astype(np.int64),
            "max_far": np.round(rng.uniform(1.0, 12.0, k), 1),
            "plan_decision_no": np.array(["1234/QĐ-UBND"] * k, dtype=object),
            "plan_decision_date": np.array(["2024-05-20"] * k, dtype=object),
            "plan_level": np.array(["zoning"] * k, dtype=object),
            "illustrative": np.ones(k, dtype=bool),
        }
        ib.write_chunk(tmp, "planning_zone", "Polygon", wkb[idx], props, start)
    tmp.replace(path)


def generate_parcels(n: int, path: Path) -> None:
    """``n`` land parcels (sheet and parcel numbers, address) tiling the extent."""
    tmp = path.with_name(path.stem + ".partial.gpkg")
    tmp.unlink(missing_ok=True)
    wkb, side = _grid(n)
    for start in range(0, n, CHUNK):
        idx = np.arange(start, min(n, start + CHUNK))
        k = len(idx)
        area = ib.M_PER_DEG_LON * ib.M_PER_DEG_LAT
        area *= (EXTENT[2] - EXTENT[0]) * (EXTENT[3] - EXTENT[1]) / side**2
        streets = [ib.STREETS[i % len(ib.STREETS)] for i in idx.tolist()]
        props = {
            "parcel_uid": np.array(
                [f"26734-{1 + i // side}-{1 + i % side}" for i in idx], dtype=object
            ),
            "sheet_no": (1 + idx // side).astype(np.int64),
            "parcel_no": (1 + idx % side).astype(np.int64),
            "commune_code": np.array(["26734"] * k, dtype=object),
            "land_use_code": np.array(["ODT"] * k, dtype=object),
            "area_m2": np.full(k, round(area, 1)),
            "address": np.array(
                [f"{1 + i % 300} {s}, phường Bến Thành" for i, s in zip(idx, streets, strict=True)],
                dtype=object,
            ),
        }
        ib.write_chunk(tmp, "land_parcel", "Polygon", wkb[idx], props, start)
    tmp.replace(path)


def data_files(zones: int, parcels: int) -> dict[str, Path]:
    """The cached GeoPackages, generated on first use."""
    return {
        "planning_zone": ib.cached(
            OUT / f"bench_zones_{zones}_v{DATA_VERSION}.gpkg", "zones", zones, generate_zones
        ),
        "land_parcel": ib.cached(
            OUT / f"bench_parcels_{parcels}_v{DATA_VERSION}.gpkg",
            "parcels",
            parcels,
            generate_parcels,
        ),
    }


def import_all(env: dict[str, str], files: dict[str, Path], work: Path, tag: str) -> None:
    for layer, path in files.items():
        key = "zone_uid" if layer == "planning_zone" else "parcel_uid"
        cmd = [ib.dothi_exe(), "import", str(path), "--layer", layer, "--key", key]
        m = ib.measured(cmd, env, work, f"{tag}-import-{layer}")
        print(f"  dothi import {layer} ({tag}): {m.seconds:.1f} s", flush=True)


# -- the ceiling -------------------------------------------------------------------------
def _ceiling_worker(
    url: str, kind: str, threads: int, seconds: float, seed: int, out: multiprocessing.Queue[Any]
) -> None:
    import psycopg

    statements = [CEILING_SQL] if kind == "zone" else [_same_reads_sql()]

    lat: list[float] = []
    lock = threading.Lock()
    stop = time.perf_counter() + seconds

    def run(k: int) -> None:
        rng = random.Random(seed * 100 + k)
        mine: list[float] = []
        with psycopg.connect(url, autocommit=True, prepare_threshold=0) as conn:
            conn.execute("SET max_parallel_workers_per_gather = 0")
            while time.perf_counter() < stop:
                x = rng.uniform(EXTENT[0], EXTENT[2])
                y = rng.uniform(EXTENT[1], EXTENT[3])
                values = {"x": x, "y": y, "wkb": shapely.Point(x, y).wkb}
                t0 = time.perf_counter()
                for sql in statements:
                    conn.execute(sql, values).fetchall()
                mine.append((time.perf_counter() - t0) * 1000)
        with lock:
            lat.extend(mine)

    pool = [threading.Thread(target=run, args=(k,)) for k in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    out.put(lat)


def run_ceiling(url: str, kind: str, connections: int, seconds: int) -> ob.Run:
    """Straight from Python, ``connections`` in 2 processes: the point-in-zone query
    (``kind`` "zone"), or the reads a Dothi lookup makes ("same")."""
    queue: multiprocessing.Queue[Any] = multiprocessing.Queue()
    per = [connections // 2 + connections % 2, connections // 2]
    procs = [
        multiprocessing.Process(target=_ceiling_worker, args=(url, kind, n, seconds, i, queue))
        for i, n in enumerate(per)
        if n
    ]
    for p in procs:
        p.start()
    lat = sorted(x for _ in procs for x in queue.get())
    for p in procs:
        p.join()
    return ob.Run(
        workload="lookup",
        server=CEILINGS[kind],
        requests=len(lat),
        seconds=float(seconds),
        rps=len(lat) / seconds,
        p50_ms=ob._pct(lat, 50),
        p95_ms=ob._pct(lat, 95),
        p99_ms=ob._pct(lat, 99),
        mean_ms=sum(lat) / max(1, len(lat)),
        kib_per_response=None,
        errors=0,
        command=CEILING_SQL if kind == "zone" else _same_reads_sql(),
    )


# -- load ---------------------------------------------------------------------------------
def check_same_answer(servers: list[ob.Server]) -> None:
    rng = random.Random(3)
    for _ in range(5):
        x, y = rng.uniform(EXTENT[0], EXTENT[2]), rng.uniform(EXTENT[1], EXTENT[3])
        seen = []
        for s in servers:
            doc = ob.get_json(f"{s.base}/planning/lookup?lon={x:.7f}&lat={y:.7f}")
            seen.append((doc["parcel"]["parcel_uid"], [z["zone_uid"] for z in doc["zones"]]))
        if len(set(map(json.dumps, seen))) != 1:
            raise SystemExit(f"SAI / WRONG: different lookups at {x}, {y}: {seen}")
    print("  ✓ cùng kết quả / same answers on both backends", flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--zones", type=int, default=100_000, help="số ô quy hoạch / zones")
    parser.add_argument("--parcels", type=int, default=1_000_000, help="số thửa / parcels")
    parser.add_argument("--duration", type=int, default=20, help="giây mỗi lần đo / seconds")
    parser.add_argument("--connections", type=int, default=16, help="kết nối / concurrency")
    args = parser.parse_args(argv)
    if min(args.zones, args.parcels, args.duration, args.connections) < 1:
        parser.error("--zones, --parcels, --duration and --connections must be at least 1")
    wrk, _ = ob.find_tools()
    bindir = find_bindir()
    if bindir is None:
        raise SystemExit("Không tìm thấy PostgreSQL có PostGIS / no PostgreSQL with PostGIS found")
    OUT.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    files = data_files(args.zones, args.parcels)
    work = Path(tempfile.mkdtemp(prefix="planning-", dir=OUT))
    servers: list[ob.Server] = []
    runs: list[ob.Run] = []
    pg = PostGISServer(bindir).start()
    try:
        url = pg.create_database("bench_planning").replace("+psycopg", "", 1)
        pg_env = ib.dothi_env(work / "pg", url)
        import_all(pg_env, files, work, "PostGIS")
        lite_env = ib.dothi_env(work / "lite", None)
        import_all(lite_env, files, work, "SQLite")
        for name, env in (("Dothi PostGIS", pg_env), ("Dothi SQLite", lite_env)):
            port = ob.free_port()
            cmd = [ib.dothi_exe(), "serve", "--host", "127.0.0.1", "--port", str(port)]
            cmd += ["--workers", str(WORKERS)]
            servers.append(ob.Server(name, port, "", cmd, env, work / f"{name}.log"))
        for s in servers:
            s.start()
        for s in servers:
            s.wait_ready("/api/health")
        check_same_answer(servers)
        # The postmaster's pid is the first line of postmaster.pid.
        pg_pid = int((pg.datadir / "postmaster.pid").read_text().split()[0])
        box = [f"{v:.6f}" for v in EXTENT]
        for s in servers:
            script = BENCH / "wrk_lookup.lua"
            r = ob.run_wrk_script(
                wrk, "lookup", script, box, s, args.duration, args.connections, work, pg_pid
            )
            runs.append(r)
            print(f"  {r.server:<22} {r.rps:8.1f} req/s  p95 {r.p95_ms:7.1f} ms", flush=True)
            if r.errors:
                raise SystemExit(f"LỖI / FAILED: {r.errors} errors under load ({r.server})")
        for s in servers:
            s.stop()
        for kind in CEILINGS:
            runs.append(run_ceiling(url, kind, args.connections, args.duration))
    finally:
        for s in servers:
            s.stop()
        pg.stop()
        shutil.rmtree(work, ignore_errors=True)
    report(args, runs, time.perf_counter() - started)


def report(args: argparse.Namespace, runs: list[ob.Run], seconds: float) -> None:
    by = {r.server: r for r in runs}
    raw, same = by[CEILINGS["zone"]], by[CEILINGS["same"]]
    print(
        f"\n{args.zones:,} zones + {args.parcels:,} parcels — {args.connections} connections, "
        f"{args.duration} s per run"
    )
    print(
        f"{'server':<24} {'req/s':>9} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'/raw':>6} "
        f"{'/same':>6}"
    )
    for r in runs:
        print(
            f"{r.server:<24} {r.rps:>9.1f} {r.p50_ms:>8.1f} {r.p95_ms:>8.1f} {r.p99_ms:>8.1f} "
            f"{r.rps / raw.rps:>6.2f} {r.rps / same.rps:>6.2f}"
        )
    pg = by["Dothi PostGIS"]
    lite = by["Dothi SQLite"]
    targets = [
        (f"PostGIS ≥ {TARGET_RPS:.0f} lookups/s", f"{pg.rps:.0f}", pg.rps >= TARGET_RPS),
        (f"PostGIS p95 < {TARGET_P95_MS:.0f} ms", f"{pg.p95_ms:.1f}", pg.p95_ms < TARGET_P95_MS),
        (
            f"PostGIS ≥ {TARGET_CEILING:.0%} of ceiling",
            f"{pg.rps / raw.rps:.1%}",
            pg.rps / raw.rps >= TARGET_CEILING,
        ),
        (
            f"PostGIS ≥ {TARGET_CEILING:.0%} of same reads",
            f"{pg.rps / same.rps:.1%}",
            pg.rps / same.rps >= TARGET_CEILING,
        ),
        (f"SQLite ≥ {TARGET_RPS:.0f} lookups/s", f"{lite.rps:.0f}", lite.rps >= TARGET_RPS),
        (f"SQLite p95 < {TARGET_P95_MS:.0f} ms", f"{lite.p95_ms:.1f}", lite.p95_ms < TARGET_P95_MS),
    ]
    print("\nMục tiêu / targets:")
    for name, value, ok in targets:
        print(f"  {name:<34} {value:>10}  {ib._mark(ok)}")
    print(f"\nTổng thời gian / total wall time: {seconds:.0f} s")
    doc = {
        "zones": args.zones,
        "parcels": args.parcels,
        "connections": args.connections,
        "seconds_per_run": args.duration,
        "dothi_commit": ib.dothi_revision(),
        "runs": [r.__dict__ for r in runs],
        "targets": [{"target": n, "value": v, "met": ok} for n, v, ok in targets],
    }
    out = OUT / "planning_bench.json"
    out.write_text(json.dumps(doc, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"JSON: {out}")


if __name__ == "__main__":
    main()
