"""Scenario comparison benchmark: two scenarios of a plan with 10,000 zones and 100,000
buildings, compared on SQLite and on PostGIS, against the issue's 10 s target.

Run from the repository root::

    .venv/bin/python bench/scenario_bench.py [--zones N] [--buildings N] [--facilities N]
                                             [--runs R]

1. Data (cached in ``bench/out/``): a grid of N planning zones of one plan over central
   TP Hồ Chí Minh (land-use functions and rules drawn at random, fixed seed), N buildings
   scattered over it (types, floors, some with a height only) and public facilities
   (schools, health, markets, parks) — the properties of Dothi's core layers.
2. A throwaway PostGIS server and a fresh SQLite data folder; ``dothi import`` of the three
   layers into each; ``dothi planning plan add`` and two ``dothi planning scenario add``
   (QCVN 01:2021/BXD with the illustrative norms; QCVN 01:2026/BXD with the high ones).
3. In process: ``compare()`` of the two scenarios R times (the first run is the cold one:
   a new process, nothing cached). Over HTTP: ``dothi serve`` and
   ``GET /planning/scenarios/compare?ids=pa-a,pa-b`` (JSON) R times, then once as PDF.
4. The seconds (first, median, best) and the ratio to the 10 s target, printed and written to
   ``bench/out/scenario_bench.json``; a check that both backends give the same figures.

Missing the target does not fail the script; a failing command or different figures do.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
import urllib.request
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
TARGET_S = 10.0
PLAN = "bench-plan"
IDS = ("pa-a", "pa-b")
FUNCTIONS = {
    # land-use function: (share of zones, FAR range or None, coverage %, floors)
    "residential": (0.42, (1.0, 6.0), (40, 80), (3, 25)),
    "mixed_use": (0.12, (3.0, 10.0), (40, 70), (5, 40)),
    "commercial_service": (0.08, (2.0, 8.0), (40, 70), (3, 30)),
    "education": (0.05, (0.5, 2.0), (30, 40), (2, 5)),
    "health": (0.02, (0.5, 2.0), (30, 40), (2, 8)),
    "green_public": (0.10, None, None, None),
    "transport": (0.12, None, None, None),
    "technical_infrastructure": (0.03, (0.2, 1.0), (20, 40), (1, 3)),
    "water_surface": (0.06, None, None, None),
}
BUILDING_TYPES = {
    "house": 0.5,
    "residential": 0.1,
    "apartments": 0.05,
    "mixed": 0.1,
    "commercial": 0.1,
    "unspecified": 0.1,
    "office": 0.05,
}
FACILITY_KINDS = {
    "kindergarten": 0.15,
    "primary_school": 0.12,
    "lower_secondary_school": 0.1,
    "upper_secondary_school": 0.05,
    "clinic": 0.12,
    "commune_health_station": 0.05,
    "market": 0.1,
    "park": 0.16,
    "playground": 0.15,
}


# -- data --------------------------------------------------------------------------------
def _grid(n: int) -> np.ndarray[Any, Any]:
    """``n`` cells of a near-square grid over the extent, as WKB."""
    side = int(np.ceil(np.sqrt(n)))
    i = np.arange(n)
    w = (EXTENT[2] - EXTENT[0]) / side
    h = (EXTENT[3] - EXTENT[1]) / side
    x0 = EXTENT[0] + (i % side) * w
    y0 = EXTENT[1] + (i // side) * h
    out: np.ndarray[Any, Any] = shapely.to_wkb(shapely.box(x0, y0, x0 + w, y0 + h))
    return out


def _pick(rng: np.random.Generator, table: dict[str, Any], n: int) -> np.ndarray[Any, Any]:
    names = list(table)
    weights = np.array([v[0] if isinstance(v, tuple) else v for v in table.values()], float)
    out: np.ndarray[Any, Any] = np.array(names, dtype=object)[
        rng.choice(len(names), n, p=weights / weights.sum())
    ]
    return out


def generate_zones(n: int, path: Path) -> None:
    """``n`` zones of the plan, land-use functions and rules drawn at random."""
    tmp = path.with_name(path.stem + ".partial.gpkg")
    tmp.unlink(missing_ok=True)
    rng = np.random.default_rng(4950)
    wkb = _grid(n)
    functions = _pick(rng, FUNCTIONS, n)
    far = np.full(n, np.nan)
    coverage = np.full(n, np.nan)
    floors = np.full(n, np.nan)
    for name, (_, fars, covers, levels) in FUNCTIONS.items():
        rows = np.flatnonzero(functions == name)
        if fars is None:
            continue
        far[rows] = np.round(rng.uniform(*fars, len(rows)), 1)
        coverage[rows] = rng.integers(covers[0], covers[1], len(rows))
        floors[rows] = rng.integers(levels[0], levels[1], len(rows))
    # One zone in ten with rules gives coverage and floors but no coefficient.
    far[(rng.random(n) < 0.1) & ~np.isnan(coverage)] = np.nan
    for start in range(0, n, CHUNK):
        idx = np.arange(start, min(n, start + CHUNK))
        k = len(idx)
        props = {
            "zone_uid": np.array([f"z{i:06d}" for i in idx], dtype=object),
            "zone_code": np.array([f"O-{i}" for i in idx], dtype=object),
            "plan_id": np.array([PLAN] * k, dtype=object),
            "land_use_function": functions[idx],
            "max_far": far[idx],
            "max_coverage_pct": coverage[idx],
            "max_floors": floors[idx],
            "plan_decision_no": np.array(["950/QĐ-UBND"] * k, dtype=object),
            "plan_decision_date": np.array(["2026-01-05"] * k, dtype=object),
            "plan_level": np.array(["general"] * k, dtype=object),
            "illustrative": np.ones(k, dtype=bool),
        }
        ib.write_chunk(tmp, "planning_zone", "Polygon", wkb[idx], props, start)
    tmp.replace(path)


def generate_buildings(n: int, path: Path) -> None:
    """``n`` building footprints (8–30 m) with types, floors or a height, and a status."""
    tmp = path.with_name(path.stem + ".partial.gpkg")
    tmp.unlink(missing_ok=True)
    rng = np.random.default_rng(4951)
    for start in range(0, n, CHUNK):
        k = min(CHUNK, n - start)
        x0 = rng.uniform(EXTENT[0], EXTENT[2], k)
        y0 = rng.uniform(EXTENT[1], EXTENT[3], k)
        w = rng.uniform(8.0, 30.0, k) / ib.M_PER_DEG_LON
        h = rng.uniform(8.0, 30.0, k) / ib.M_PER_DEG_LAT
        wkb = shapely.to_wkb(shapely.box(x0, y0, x0 + w, y0 + h))
        floors = rng.integers(1, 16, k).astype(np.float64)
        height = np.full(k, np.nan)
        only_height = rng.random(k) < 0.1
        height[only_height] = np.round(floors[only_height] * 3.4, 1)
        floors[only_height] = np.nan
        status = np.where(rng.random(k) < 0.95, "existing", "planned").astype(object)
        props = {
            "building_uid": np.array([f"b{i:07d}" for i in range(start, start + k)], dtype=object),
            "building_type": _pick(rng, BUILDING_TYPES, k),
            "floors": floors,
            "height_m": height,
            "status": status,
        }
        ib.write_chunk(tmp, "building", "Polygon", wkb, props, start)
    tmp.replace(path)


def generate_facilities(n: int, path: Path) -> None:
    """``n`` public facilities (points) of the kinds the service radii apply to."""
    tmp = path.with_name(path.stem + ".partial.gpkg")
    tmp.unlink(missing_ok=True)
    rng = np.random.default_rng(4952)
    x = rng.uniform(EXTENT[0], EXTENT[2], n)
    y = rng.uniform(EXTENT[1], EXTENT[3], n)
    props = {
        "facility_uid": np.array([f"f{i:06d}" for i in range(n)], dtype=object),
        "kind": _pick(rng, FACILITY_KINDS, n),
        "status": np.array(["existing"] * n, dtype=object),
    }
    ib.write_chunk(tmp, "public_facility", "Point", shapely.to_wkb(shapely.points(x, y)), props, 0)
    tmp.replace(path)


def data_files(zones: int, buildings: int, facilities: int) -> dict[str, tuple[Path, str]]:
    """The cached GeoPackages and their keys, generated on first use."""
    v = DATA_VERSION
    return {
        "planning_zone": (
            ib.cached(OUT / f"scenario_zones_{zones}_v{v}.gpkg", "zones", zones, generate_zones),
            "zone_uid",
        ),
        "building": (
            ib.cached(
                OUT / f"scenario_buildings_{buildings}_v{v}.gpkg",
                "buildings",
                buildings,
                generate_buildings,
            ),
            "building_uid",
        ),
        "public_facility": (
            ib.cached(
                OUT / f"scenario_facilities_{facilities}_v{v}.gpkg",
                "facilities",
                facilities,
                generate_facilities,
            ),
            "facility_uid",
        ),
    }


# -- one backend -------------------------------------------------------------------------
def prepare(env: dict[str, str], files: dict[str, tuple[Path, str]], work: Path, tag: str) -> None:
    """Import the layers, register the plan and save the two scenarios."""
    dothi = ib.dothi_exe()
    for layer, (path, key) in files.items():
        cmd = [dothi, "import", str(path), "--layer", layer, "--key", key]
        m = ib.measured(cmd, env, work, f"{tag}-import-{layer}")
        print(f"  dothi import {layer} ({tag}): {m.seconds:.1f} s", flush=True)
    plan = [dothi, "planning", "plan"]
    ib._run(
        [*plan, "add", PLAN, "--name", "Quy hoạch chung (đo hiệu năng)", "--level", "general"], env
    )
    decision = ["--decision-no", "950/QĐ-UBND", "--decision-date", "2026-01-05"]
    ib._run([*plan, "status", PLAN, "approved", *decision], env)
    scenario = [dothi, "planning", "scenario", "add", PLAN, "--illustrative"]
    a = ["--id", IDS[0], "--name", "Phương án A", "--floor-area-per-person", "25"]
    a += ["--household-size", "3.5", "--mixed-use-residential-share", "0.5"]
    ib._run([*scenario, *a, "--edition", "QCVN 01:2021/BXD"], env)
    b = ["--id", IDS[1], "--name", "Phương án B", "--floor-area-per-person", "35"]
    b += ["--household-size", "3.2", "--mixed-use-residential-share", "0.7"]
    ib._run([*scenario, *b, "--date", "2027-06-01", "--norms", "illustrative-high"], env)


def in_process(url: str, runs: int) -> tuple[list[float], dict[str, Any]]:
    """``compare()`` of the two scenarios ``runs`` times in this process."""
    from dothi.auth.policy import operator
    from dothi.db.engine import Database
    from dothi.planning.scenarios.indicators import compare

    db = Database(url)
    seconds: list[float] = []
    doc: dict[str, Any] = {}
    try:
        for _ in range(runs):
            t0 = time.perf_counter()
            doc = compare(db, operator("bench"), list(IDS))
            seconds.append(time.perf_counter() - t0)
    finally:
        db.dispose()
    return seconds, doc


def over_http(env: dict[str, str], work: Path, tag: str, runs: int) -> dict[str, Any]:
    """The comparison through ``dothi serve``: JSON ``runs`` times, then PDF once."""
    port = ob.free_port()
    cmd = [ib.dothi_exe(), "serve", "--host", "127.0.0.1", "--port", str(port)]
    server = ob.Server(tag, port, "", cmd, env, work / f"server-{tag}.log")
    server.start()
    try:
        server.wait_ready("/api/health")
        url = f"{server.base}/planning/scenarios/compare?ids={','.join(IDS)}"
        seconds = []
        for _ in range(runs):
            t0 = time.perf_counter()
            with urllib.request.urlopen(url, timeout=300) as r:
                r.read()
            seconds.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        with urllib.request.urlopen(url + "&format=pdf", timeout=300) as r:
            size = len(r.read())
        pdf = time.perf_counter() - t0
    finally:
        server.stop()
    return {"json_seconds": seconds, "pdf_seconds": pdf, "pdf_bytes": size}


def _figures(doc: dict[str, Any]) -> list[Any]:
    """The comparison table's values, to check both backends agree."""
    return [(r["key"], r["values"]) for r in doc["rows"] if r["group"] != "scenario"]


# -- the run -----------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--zones", type=int, default=10_000, help="số ô quy hoạch / zones")
    parser.add_argument("--buildings", type=int, default=100_000, help="số công trình / buildings")
    parser.add_argument("--facilities", type=int, default=2_000, help="công trình công cộng")
    parser.add_argument("--runs", type=int, default=3, help="số lần đo / timed runs")
    args = parser.parse_args(argv)
    if min(args.zones, args.buildings, args.facilities, args.runs) < 1:
        parser.error("--zones, --buildings, --facilities and --runs must be at least 1")
    bindir = find_bindir()
    if bindir is None:
        raise SystemExit("Không tìm thấy PostgreSQL có PostGIS / no PostgreSQL with PostGIS found")
    OUT.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    files = data_files(args.zones, args.buildings, args.facilities)
    work = Path(tempfile.mkdtemp(prefix="scenario-", dir=OUT))
    results: dict[str, dict[str, Any]] = {}
    docs: dict[str, dict[str, Any]] = {}
    pg = PostGISServer(bindir).start()
    try:
        url = pg.create_database("bench_scenarios")
        backends = {
            "PostGIS": (ib.dothi_env(work / "pg", url.replace("+psycopg", "", 1)), url),
            "SQLite": (
                ib.dothi_env(work / "lite", None),
                f"sqlite:///{work / 'lite' / 'dothi.sqlite'}",
            ),
        }
        for tag, (env, db_url) in backends.items():
            prepare(env, files, work, tag)
            seconds, doc = in_process(db_url, args.runs)
            docs[tag] = doc
            print(f"  {tag}: compare() in process {', '.join(f'{s:.2f}' for s in seconds)} s")
            http = over_http(env, work, tag, args.runs)
            print(
                f"  {tag}: HTTP JSON {', '.join(f'{s:.2f}' for s in http['json_seconds'])} s, "
                f"PDF {http['pdf_seconds']:.2f} s",
                flush=True,
            )
            results[tag] = {"in_process_seconds": seconds, **http}
    finally:
        pg.stop()
        shutil.rmtree(work, ignore_errors=True)
    if _figures(docs["PostGIS"]) != _figures(docs["SQLite"]):
        raise SystemExit("SAI / WRONG: the backends give different figures")
    print("  ✓ cùng số liệu / same figures on both backends")
    report(args, results, docs["SQLite"], time.perf_counter() - started)


def report(
    args: argparse.Namespace,
    results: dict[str, dict[str, Any]],
    doc: dict[str, Any],
    seconds: float,
) -> None:
    a = doc["scenarios"][0]
    print(
        f"\n{a['zones']['count']:,} zones, "
        f"{a['population']['existing']['buildings']:,} existing buildings in them "
        f"(of {args.buildings:,}), {args.facilities:,} facilities — 2 scenarios, "
        f"{args.runs} runs"
    )
    head = f"{'backend':<9} {'way':<13} {'first s':>8} {'median s':>9} {'best s':>7} {'/10 s':>6}"
    print(head)
    rows = []
    for tag, r in results.items():
        for way, key in (("in process", "in_process_seconds"), ("HTTP JSON", "json_seconds")):
            runs = r[key]
            median = statistics.median(runs)
            rows.append((tag, way, runs[0], median, min(runs)))
            print(
                f"{tag:<9} {way:<13} {runs[0]:>8.2f} {median:>9.2f} {min(runs):>7.2f} "
                f"{median / TARGET_S:>6.2f}"
            )
        print(f"{tag:<9} {'HTTP PDF':<13} {r['pdf_seconds']:>8.2f}")
    worst = max(row[2] for row in rows)
    met = worst < TARGET_S
    print(
        f"\nMục tiêu / target: so sánh < {TARGET_S:.0f} s (lần chậm nhất / slowest first run "
        f"{worst:.2f} s) … {ib._mark(met)}"
    )
    print(f"Tổng thời gian / total wall time: {seconds:.0f} s")
    out = OUT / "scenario_bench.json"
    summary = {
        "zones": args.zones,
        "buildings": args.buildings,
        "facilities": args.facilities,
        "runs": args.runs,
        "dothi_commit": ib.dothi_revision(),
        "results": results,
        "target_seconds": TARGET_S,
        "slowest_first_run_seconds": worst,
        "met": met,
    }
    out.write_text(json.dumps(summary, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"JSON: {out}")


if __name__ == "__main__":
    main()
