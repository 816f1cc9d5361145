"""Import benchmark: ``dothi import`` against ``ogr2ogr`` on SQLite and PostGIS.

Run from the repository root::

    .venv/bin/python bench/import_bench.py [--features N] [--keep]

One run does the following:

1. Generates (once; cached as ``bench/out/bench_polygons_<N>_v1.gpkg``) a GeoPackage of N small
   polygons scattered over central TP Hồ Chí Minh, with the properties ``uid`` (string
   key), ``name`` (Vietnamese text), ``floors`` (integer), ``area`` (float, m²) and ``kind``.
2. SQLite: times ``dothi import <gpkg> --layer bench_polygons --key uid`` into a fresh data
   folder (default SQLite database) and ``ogr2ogr -f GPKG`` into a fresh GeoPackage.
3. PostGIS: starts a throwaway server (``tests/pgserver.py``) and times ``dothi import``
   into one fresh database and ``ogr2ogr -f PostgreSQL`` (COPY, GiST index) into another.
4. Prints a table (seconds, ratio Dothi/ogr2ogr, peak memory, features per second) with
   the targets (ratio ≤ 1.5 on both backends, Dothi peak memory < 1024 MiB) marked met or
   not met, and writes the same figures to ``bench/out/import_bench.json``.
5. Counts the features in every target after its import and stops with an error if one
   does not hold exactly N features.

Every timed command runs as its own child process; its wall time is measured around it and
its peak resident memory (max RSS) is read from that child's resource usage (``wait4``).
The PostgreSQL server's own memory is not part of either figure. Missing a target does not
make the script fail; a wrong feature count does.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyogrio
import pyogrio.raw
import shapely

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
LAYER = "bench_polygons"
DEFAULT_FEATURES = 1_000_000
CHUNK = 100_000
SEED = 20_260_101
#: Bump when the generated data changes, so an old cached file is not reused.
DATA_VERSION = 1

TARGET_RATIO = 1.5
TARGET_MEMORY_MIB = 1024.0

# Central TP Hồ Chí Minh.
LON_MIN, LON_MAX = 106.6, 106.8
LAT_MIN, LAT_MAX = 10.7, 10.85
M_PER_DEG_LAT = 110_574.0
M_PER_DEG_LON = 111_320.0 * float(np.cos(np.radians((LAT_MIN + LAT_MAX) / 2)))

NAME_PREFIXES = ["Nhà", "Tòa nhà", "Chung cư", "Cửa hàng", "Trường", "Văn phòng", "Chợ", "Đình"]
STREETS = [
    "Nguyễn Huệ",
    "Lê Lợi",
    "Điện Biên Phủ",
    "Võ Văn Tần",
    "Hai Bà Trưng",
    "Cách Mạng Tháng Tám",
    "Trần Hưng Đạo",
    "Phạm Ngũ Lão",
    "Nam Kỳ Khởi Nghĩa",
    "Lý Tự Trọng",
    "Nguyễn Thị Minh Khai",
    "Xô Viết Nghệ Tĩnh",
]
KINDS = ["nhà ở", "thương mại", "văn phòng", "trường học", "công nghiệp"]


# -- data ------------------------------------------------------------------------------
def _rectangles(rng: np.random.Generator, start: int, n: int) -> np.ndarray[Any, Any]:
    """``n`` axis-aligned rectangles as WKB, with 5 to 8 coordinates each.

    Every ring has the 4 corners; rows with index ``i % 4 == k`` also get the midpoints of
    their first ``k`` edges (collinear vertices, still valid), so vertex counts vary.
    """
    x0 = rng.uniform(LON_MIN, LON_MAX, n)
    y0 = rng.uniform(LAT_MIN, LAT_MAX, n)
    w = rng.uniform(5.0, 30.0, n) / M_PER_DEG_LON
    h = rng.uniform(5.0, 30.0, n) / M_PER_DEG_LAT
    x1, y1 = x0 + w, y0 + h
    corner_xy = [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]  # counter-clockwise
    corners = np.stack([np.stack(xy, axis=1) for xy in corner_xy], axis=1)  # (n, 4, 2)
    midpoints = (corners + np.roll(corners, -1, axis=1)) / 2.0  # midpoint of edge j → j+1
    out = np.empty(n, dtype=object)
    extra = (np.arange(start, start + n) % 4).astype(np.int64)
    for k in range(4):
        rows = np.flatnonzero(extra == k)
        if not len(rows):
            continue
        ring: list[np.ndarray[Any, Any]] = []
        for j in range(4):
            ring.append(corners[rows, j])
            if j < k:
                ring.append(midpoints[rows, j])
        ring.append(corners[rows, 0])  # close the ring
        polys = shapely.polygons(np.stack(ring, axis=1))
        out[rows] = shapely.to_wkb(polys)
    return out


def _properties(
    rng: np.random.Generator, start: int, n: int, wkb: np.ndarray[Any, Any]
) -> dict[str, np.ndarray[Any, Any]]:
    idx = np.arange(start, start + n)
    prefix = rng.integers(0, len(NAME_PREFIXES), n)
    street = rng.integers(0, len(STREETS), n)
    number = rng.integers(1, 500, n)
    names = np.array(
        [
            f"{NAME_PREFIXES[p]} {s} {STREETS[t]}"
            for p, s, t in zip(prefix.tolist(), number.tolist(), street.tolist(), strict=True)
        ],
        dtype=object,
    )
    b = shapely.bounds(shapely.from_wkb(wkb))
    area = (b[:, 2] - b[:, 0]) * M_PER_DEG_LON * (b[:, 3] - b[:, 1]) * M_PER_DEG_LAT
    return {
        "uid": np.array([f"hcm-{i:08d}" for i in idx.tolist()], dtype=object),
        "name": names,
        "floors": rng.integers(1, 40, n).astype(np.int32),
        "area": np.round(area, 2),
        "kind": np.array(KINDS, dtype=object)[rng.integers(0, len(KINDS), n)],
    }


def write_chunk(
    tmp: Path, layer: str, geometry_type: str, wkb: Any, props: dict[str, Any], start: int
) -> None:
    """Append one chunk of features to a GeoPackage being built (the first chunk creates it)."""
    pyogrio.raw.write(
        tmp,
        geometry=wkb,
        field_data=list(props.values()),
        fields=list(props),
        layer=layer,
        driver="GPKG",
        geometry_type=geometry_type,
        crs="EPSG:4326",
        encoding="UTF-8",
        append=start > 0,
        # GeoPackage 1.2, so that an older system ogr2ogr reads it without a warning.
        dataset_options={"VERSION": "1.2"},
    )


def generate(n: int, path: Path) -> None:
    """Write ``n`` polygons to the GeoPackage ``path`` in chunks (atomically)."""
    tmp = path.with_name(path.stem + ".partial.gpkg")
    tmp.unlink(missing_ok=True)
    rng = np.random.default_rng(SEED)
    for start in range(0, n, CHUNK):
        count = min(CHUNK, n - start)
        wkb = _rectangles(rng, start, count)
        write_chunk(tmp, LAYER, "Polygon", wkb, _properties(rng, start, count, wkb), start)
    tmp.replace(path)


def cached(path: Path, what: str, n: int, make: Callable[[int, Path], None]) -> Path:
    """``path`` if it exists, else made with ``make(n, path)`` first (timed, announced)."""
    if path.exists():
        print(f"Dữ liệu có sẵn / cached data: {path}")
        return path
    print(f"Tạo dữ liệu / generating {n:,} {what} → {path} …", flush=True)
    t0 = time.perf_counter()
    make(n, path)
    print(f"  xong / done in {time.perf_counter() - t0:.1f} s", flush=True)
    return path


def source_file(n: int) -> Path:
    """The cached GeoPackage of ``n`` features, generated on first use."""
    return cached(OUT / f"{LAYER}_{n}_v{DATA_VERSION}.gpkg", "polygons", n, generate)


# -- measuring ---------------------------------------------------------------------------
@dataclass
class Measure:
    """Wall time and peak memory of one child process."""

    seconds: float
    peak_mib: float


def measured(cmd: list[str], env: dict[str, str], logdir: Path, name: str) -> Measure:
    """Run ``cmd`` as one child process; fail loudly if it fails.

    Output goes to ``<logdir>/<name>.log`` (not to pipes, so nothing has to be read while
    waiting). The peak RSS comes from this child's own rusage via ``os.wait4``, which, unlike
    ``getrusage(RUSAGE_CHILDREN)``, is not the maximum over every child run so far.
    """
    log = logdir / f"{name}.log"
    with open(log, "wb") as fh:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, stdout=fh, stderr=subprocess.STDOUT, cwd=ROOT)
        _pid, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        tail = log.read_text(encoding="utf-8", errors="replace")[-3000:]
        raise SystemExit(
            f"LỖI / FAILED ({proc.returncode}): {' '.join(cmd)}\n--- {log} ---\n{tail}"
        )
    # ru_maxrss is in KiB on Linux.
    return Measure(seconds=seconds, peak_mib=usage.ru_maxrss / 1024.0)


def _run(cmd: list[str], env: dict[str, str] | None = None) -> str:
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=ROOT)
    if done.returncode != 0:
        raise SystemExit(f"LỖI / FAILED: {' '.join(cmd)}\n{done.stdout}\n{done.stderr}")
    return done.stdout


def dothi_exe() -> str:
    """The ``dothi`` script next to this Python, else the one on PATH."""
    here = Path(sys.executable).parent / "dothi"
    found = str(here) if here.exists() else shutil.which("dothi")
    if not found:
        raise SystemExit("Không tìm thấy lệnh dothi / the dothi command was not found.")
    return found


def dothi_env(data_dir: Path, database_url: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOTHI_")}
    env["DOTHI_DATA_DIR"] = str(data_dir)
    env["DOTHI_LANG"] = "en"
    env["DOTHI_USER"] = "bench"
    if database_url:
        env["DOTHI_DATABASE_URL"] = database_url
    return env


def dothi_count(env: dict[str, str]) -> int:
    """``feature_count`` of the benchmark layer from ``dothi layers list --json``."""
    layers = json.loads(_run([dothi_exe(), "layers", "list", "--json"], env))
    for layer in layers:
        if layer["id"] == LAYER:
            return int(layer["feature_count"])
    raise SystemExit(f"Dothi: không có lớp / no layer {LAYER!r}")


def ogrinfo_count(dataset: str) -> int:
    """Feature count of the benchmark layer from ``ogrinfo -so``."""
    text = _run(["ogrinfo", "-so", "-ro", dataset, LAYER])
    match = re.search(r"^Feature Count: (\d+)", text, re.MULTILINE)
    if match is None:
        raise SystemExit(f"ogrinfo: không đọc được số đối tượng / no feature count\n{text}")
    return int(match.group(1))


def check_count(what: str, got: int, want: int) -> None:
    if got != want:
        raise SystemExit(
            f"SAI / WRONG: {what} có / holds {got:,} đối tượng / features, cần / expected {want:,}"
        )
    print(f"  ✓ {what}: {got:,} features", flush=True)


# -- backends ----------------------------------------------------------------------------
@dataclass
class Result:
    """One backend's figures."""

    backend: str
    features: int
    dothi_seconds: float
    dothi_peak_mib: float
    ogr2ogr_seconds: float
    ogr2ogr_peak_mib: float
    dothi_command: str
    ogr2ogr_command: str

    @property
    def ratio(self) -> float:
        return self.dothi_seconds / self.ogr2ogr_seconds

    @property
    def features_per_second(self) -> float:
        return self.features / self.dothi_seconds


def bench_sqlite(src: Path, n: int, work: Path) -> Result:
    print("\n[SQLite] dothi import …", flush=True)
    data_dir = work / "sqlite-dothi"
    env = dothi_env(data_dir, None)
    cmd = [dothi_exe(), "import", str(src), "--layer", LAYER, "--key", "uid"]
    dothi = measured(cmd, env, work, "sqlite-dothi")
    print(f"  {dothi.seconds:.1f} s, peak {dothi.peak_mib:.0f} MiB", flush=True)
    check_count("Dothi SQLite", dothi_count(env), n)

    print("[SQLite] ogr2ogr -f GPKG …", flush=True)
    target = work / "sqlite-ogr2ogr.gpkg"
    ogr_cmd = ["ogr2ogr", "-f", "GPKG", str(target), str(src), "-nln", LAYER, "-gt", "65536"]
    ogr = measured(ogr_cmd, dict(os.environ), work, "sqlite-ogr2ogr")
    print(f"  {ogr.seconds:.1f} s, peak {ogr.peak_mib:.0f} MiB", flush=True)
    check_count("ogr2ogr GeoPackage", ogrinfo_count(str(target)), n)
    return Result(
        "SQLite",
        n,
        dothi.seconds,
        dothi.peak_mib,
        ogr.seconds,
        ogr.peak_mib,
        " ".join(cmd),
        " ".join(ogr_cmd),
    )


def bench_postgis(src: Path, n: int, work: Path) -> Result:
    sys.path.insert(0, str(ROOT / "tests"))
    from pgserver import PostGISServer, find_bindir

    bindir = find_bindir()
    if bindir is None:
        raise SystemExit("Không tìm thấy PostgreSQL có PostGIS / no PostgreSQL with PostGIS found")
    print("\n[PostGIS] khởi động máy chủ tạm / starting a throwaway server …", flush=True)
    server = PostGISServer(bindir).start()
    try:
        dothi_url = server.create_database("bench_dothi").replace("+psycopg", "", 1)
        server.create_database("bench_ogr")
        _create_postgis(server.port, "bench_ogr")

        print("[PostGIS] dothi import …", flush=True)
        env = dothi_env(work / "postgis-dothi", dothi_url)
        cmd = [dothi_exe(), "import", str(src), "--layer", LAYER, "--key", "uid"]
        dothi = measured(cmd, env, work, "postgis-dothi")
        print(f"  {dothi.seconds:.1f} s, peak {dothi.peak_mib:.0f} MiB", flush=True)
        check_count("Dothi PostGIS", dothi_count(env), n)

        print("[PostGIS] ogr2ogr -f PostgreSQL …", flush=True)
        pg = f"PG:host=127.0.0.1 port={server.port} user=dothi dbname=bench_ogr"
        ogr_cmd = [
            "ogr2ogr",
            "-f",
            "PostgreSQL",
            pg,
            str(src),
            "-nln",
            LAYER,
            "-lco",
            "SPATIAL_INDEX=GIST",
            "-gt",
            "65536",
        ]
        ogr = measured(ogr_cmd, dict(os.environ), work, "postgis-ogr2ogr")
        print(f"  {ogr.seconds:.1f} s, peak {ogr.peak_mib:.0f} MiB", flush=True)
        check_count("ogr2ogr PostGIS", _pg_count(server.port, "bench_ogr"), n)
    finally:
        server.stop()
    return Result(
        "PostGIS",
        n,
        dothi.seconds,
        dothi.peak_mib,
        ogr.seconds,
        ogr.peak_mib,
        " ".join(cmd),
        " ".join(ogr_cmd).replace(pg, f'"{pg}"'),
    )


def _create_postgis(port: int, dbname: str) -> None:
    """Enable PostGIS in ogr2ogr's database before timing (Dothi's migration does its own)."""
    import psycopg

    with psycopg.connect(
        host="127.0.0.1", port=port, user="dothi", dbname=dbname, autocommit=True
    ) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")


def _pg_count(port: int, dbname: str) -> int:
    import psycopg

    with psycopg.connect(host="127.0.0.1", port=port, user="dothi", dbname=dbname) as conn:
        row = conn.execute(f"SELECT count(*) FROM {LAYER}").fetchone()
    assert row is not None
    return int(row[0])


def dothi_revision() -> str | None:
    """The commit checked out in the repository, read from ``.git`` (best effort).

    Dothi's import code changes often; the figures only mean something next to the commit
    they were measured at. Uncommitted changes in the working tree are not seen here.
    """
    git = ROOT / ".git"
    try:
        head = (git / "HEAD").read_text().strip()
        if not head.startswith("ref: "):
            return head
        ref = head[len("ref: ") :]
        if (git / ref).exists():
            return (git / ref).read_text().strip()
        for line in (git / "packed-refs").read_text().splitlines():
            if line.endswith(" " + ref):
                return line.split(" ", 1)[0]
    except OSError:
        pass
    return None


# -- report ------------------------------------------------------------------------------
def _mark(ok: bool) -> str:
    return "đạt / met" if ok else "CHƯA ĐẠT / NOT MET"


def report(results: list[Result], n: int, src: Path, total_seconds: float) -> dict[str, Any]:
    """Print the table and the targets; return the JSON document."""
    from dothi import __version__ as dothi_version

    header = (
        f"{'backend':<8} {'Dothi s':>9} {'ogr2ogr s':>10} {'ratio':>6} "
        f"{'Dothi MiB':>10} {'ogr2ogr MiB':>12} {'Dothi feat/s':>13}"
    )
    commit = (dothi_revision() or "?")[:12]
    print(f"\n{n:,} features — {src.name} — dothi {dothi_version} @ {commit}")
    print(header)
    print("-" * len(header))
    for r in results:
        print(
            f"{r.backend:<8} {r.dothi_seconds:>9.1f} {r.ogr2ogr_seconds:>10.1f} {r.ratio:>6.2f} "
            f"{r.dothi_peak_mib:>10.0f} {r.ogr2ogr_peak_mib:>12.0f} "
            f"{r.features_per_second:>13,.0f}"
        )
    targets: list[dict[str, Any]] = []
    for r in results:
        targets.append(
            {
                "target": f"{r.backend}: Dothi/ogr2ogr ≤ {TARGET_RATIO}",
                "value": round(r.ratio, 3),
                "met": r.ratio <= TARGET_RATIO,
            }
        )
    peak = max(r.dothi_peak_mib for r in results)
    targets.append(
        {
            "target": f"Dothi peak memory < {TARGET_MEMORY_MIB:.0f} MiB",
            "value": round(peak, 1),
            "met": peak < TARGET_MEMORY_MIB,
        }
    )
    print("\nMục tiêu / targets:")
    for tg in targets:
        print(f"  {tg['target']:<38} {tg['value']:>9}  {_mark(tg['met'])}")
    print(f"\nTổng thời gian / total wall time: {total_seconds:.0f} s")
    return {
        "features": n,
        "source": str(src.relative_to(ROOT)),
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "total_seconds": round(total_seconds, 1),
        "dothi_version": dothi_version,
        "dothi_commit": dothi_revision(),
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "gdal_ogr2ogr": _run(["ogr2ogr", "--version"]).strip(),
            "gdal_pyogrio": pyogrio.__gdal_version_string__,
        },
        "results": [
            {
                **asdict(r),
                "ratio": round(r.ratio, 3),
                "features_per_second": round(r.features_per_second, 1),
            }
            for r in results
        ],
        "targets": targets,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--features", type=int, default=DEFAULT_FEATURES, help="số đối tượng / feature count"
    )
    parser.add_argument(
        "--keep",
        action="store_true",
        help="giữ lại thư mục làm việc (SQLite, nhật ký) / keep the work folder (SQLite, logs)",
    )
    args = parser.parse_args(argv)
    n: int = args.features
    if n < 1:
        parser.error("--features must be at least 1")
    for tool in ("ogr2ogr", "ogrinfo"):
        if shutil.which(tool) is None:
            raise SystemExit(f"Thiếu / missing {tool} (Debian: gdal-bin)")

    started = time.perf_counter()
    OUT.mkdir(parents=True, exist_ok=True)
    src = source_file(n)
    work = Path(tempfile.mkdtemp(prefix=f"run-{n}-", dir=OUT))
    try:
        results = [bench_sqlite(src, n, work), bench_postgis(src, n, work)]
    finally:
        if args.keep:
            print(f"\nGiữ lại / kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    doc = report(results, n, src, time.perf_counter() - started)
    out = OUT / "import_bench.json"
    out.write_text(json.dumps(doc, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"JSON: {out}")


if __name__ == "__main__":
    main()
