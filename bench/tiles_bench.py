"""Vector tile benchmark: milliseconds per tile at zooms 10, 14 and 17 over the demo city.

Run from the repository root::

    .venv/bin/python bench/tiles_bench.py [--tiles N] [--no-postgis]

It loads the demo city (TP Hồ Chí Minh) into a temporary SQLite database and, when
PostgreSQL with PostGIS is installed, into a throwaway PostGIS server (``tests/pgserver.py``,
stopped and deleted afterwards). For each zoom it picks up to N tiles (default 200, fixed
seed) among the tiles that hold a building, i.e. tiles a map of the city really asks for,
and renders each with every public layer — the multi-layer tileset a map loads — the way
the tile route does: one read transaction, the layers' last change sets (for the ETag),
the query through the spatial port, shaping and MVT encoding. HTTP is not included.

On PostGIS the same tiles are also rendered by PostGIS itself (``ST_AsMVTGeom`` +
``ST_AsMVT``, same extent and buffer, all layers in one statement), the usual peer of a
Python tile server; the ratio is Dothi's median over PostGIS's. Each tile is rendered once
untimed first, so both sides read from warm caches. Figures depend on the machine; the
test suite holds no timing assertion.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from dothi.capabilities import migration_folders  # noqa: E402
from dothi.config import Settings  # noqa: E402
from dothi.db.engine import Database  # noqa: E402
from dothi.demo.loader import load_demo  # noqa: E402
from dothi.spatial.layers import list_layers  # noqa: E402
from dothi.tiles import grid, mvt  # noqa: E402

ZOOMS = (10, 14, 17)
SEED = 20_260_101

_ST_ASMVT = """
SELECT coalesce(string_agg(tile, ''::bytea), ''::bytea) FROM (
  SELECT ST_AsMVT(q, q.layer_id, 4096, 'geom') AS tile FROM (
    SELECT f.layer_id, f.fid, f.properties,
           ST_AsMVTGeom(ST_Transform(f.geom, 3857), ST_TileEnvelope(:z, :x, :y), 4096, 64, true)
             AS geom
    FROM feature f
    WHERE f.layer_id = ANY(:ids) AND f.valid_to IS NULL
      AND f.geom && ST_Transform(ST_TileEnvelope(:z, :x, :y, margin => 64.0 / 4096), 4326)
  ) q WHERE q.geom IS NOT NULL GROUP BY q.layer_id
) t
"""


def pick_tiles(db: Database, zoom: int, count: int) -> list[grid.Tile]:
    """Up to ``count`` distinct tiles of ``zoom`` that hold a building (fixed seed)."""
    with db.read() as conn:
        points = [r.geometry.centroid for r in db.port.iter_rows(conn, "building")]
    tiles = sorted({grid.tile_for_lonlat(p.x, p.y, zoom) for p in points}, key=str)
    random.Random(SEED + zoom).shuffle(tiles)
    return tiles[:count]


def time_tiles(
    render: Callable[[grid.Tile], int], tiles: list[grid.Tile]
) -> tuple[list[float], int]:
    """Milliseconds per tile (after one warm-up pass) and the total bytes produced."""
    for t in tiles:
        render(t)
    times, size = [], 0
    for t in tiles:
        start = time.perf_counter()
        size += render(t)
        times.append((time.perf_counter() - start) * 1000)
    return times, size


def dothi_renderer(db: Database, ids: list[str]) -> Callable[[grid.Tile], int]:
    """Render a tile as the tile route does (without HTTP); returns its size in bytes."""

    def render(t: grid.Tile) -> int:
        with db.read() as conn:
            mvt.layer_versions(conn, ids)
            return len(mvt.render_tile(db.port, conn, ids, t).data)

    return render


def postgis_renderer(db: Database, ids: list[str]) -> Callable[[grid.Tile], int]:
    """Render a tile with ST_AsMVT in PostGIS; returns its size in bytes."""

    def render(t: grid.Tile) -> int:
        with db.read() as conn:
            params = {"z": t.z, "x": t.x, "y": t.y, "ids": ids}
            return len(conn.execute(text(_ST_ASMVT), params).scalar_one())

    return render


def p95(values: list[float]) -> float:
    """The 95th percentile (nearest rank)."""
    ordered = sorted(values)
    return ordered[max(0, round(0.95 * len(ordered)) - 1)]


def run_backend(name: str, url: str, data_dir: Path, count: int) -> list[str]:
    """Load the demo city into ``url`` and time every zoom; returns table lines."""
    db = Database(url)
    db.migrate(migration_folders())
    load_demo(db, Settings(data_dir=data_dir, database_url=url))
    with db.read() as conn:
        ids = [ly.id for ly in list_layers(conn) if ly.access == "public"]
    lines = []
    try:
        for z in ZOOMS:
            tiles = pick_tiles(db, z, count)
            times, size = time_tiles(dothi_renderer(db, ids), tiles)
            line = (
                f"{name:<8} {z:>4} {len(tiles):>6} {statistics.median(times):>10.1f} "
                f"{p95(times):>8.1f} {size / len(tiles) / 1024:>9.1f}"
            )
            if name == "PostGIS":
                peer, _ = time_tiles(postgis_renderer(db, ids), tiles)
                ratio = statistics.median(times) / statistics.median(peer)
                line += f" {statistics.median(peer):>14.1f} {p95(peer):>10.1f} {ratio:>6.2f}"
            lines.append(line)
            print(line, flush=True)
    finally:
        db.dispose()
    return lines


def main() -> None:
    """Parse the options, run SQLite then PostGIS (when installed), print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiles", type=int, default=200, help="tiles per zoom (default 200)")
    parser.add_argument("--no-postgis", action="store_true", help="SQLite only")
    args = parser.parse_args()
    header = (
        f"{'backend':<8} {'zoom':>4} {'tiles':>6} {'median ms':>10} {'p95 ms':>8} "
        f"{'KiB/tile':>9} {'ST_AsMVT med ms':>14} {'p95 ms':>10} {'ratio':>6}"
    )
    print(header)
    print("-" * len(header))
    with tempfile.TemporaryDirectory(prefix="dothi-tiles-bench-") as tmp:
        folder = Path(tmp)
        run_backend("SQLite", f"sqlite:///{folder / 'bench.sqlite'}", folder, args.tiles)
        if args.no_postgis:
            return
        from pgserver import PostGISServer, find_bindir

        bindir = find_bindir()
        if bindir is None:
            print("PostGIS: không cài trên máy này / not installed here — skipped")
            return
        server = PostGISServer(bindir).start()
        try:
            url = server.create_database("dothi_tiles_bench")
            run_backend("PostGIS", url, folder, args.tiles)
        finally:
            server.stop()


if __name__ == "__main__":
    main()
