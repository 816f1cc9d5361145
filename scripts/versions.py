#!/usr/bin/env python3
"""The versions the test suite runs against, one ``name: version`` line each.

Run on its own (``scripts/dev.sh test`` prints it before pytest) and used by the tests'
report header (tests/conftest.py), so both say the same. Nothing here fails: a missing
piece is reported as ``not installed``.
"""

from __future__ import annotations

import glob
import platform
import re
import sqlite3
import subprocess
from pathlib import Path

MISSING = "not installed"


def _run(*cmd: str) -> str:
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=30, check=True)
    except (OSError, subprocess.SubprocessError):
        return MISSING
    return out.stdout.strip() or MISSING


def _proj() -> str:
    try:
        import pyproj
        from pyproj import datadir
    except ImportError:
        return MISSING
    text = pyproj.proj_version_str
    proj_db = Path(datadir.get_data_dir()) / "proj.db"
    try:
        with sqlite3.connect(f"file:{proj_db}?mode=ro", uri=True) as conn:
            meta = dict(conn.execute("SELECT key, value FROM metadata").fetchall())
    except sqlite3.Error:
        return f"{text} (no proj.db in {proj_db.parent})"
    facts = [f"proj.db {proj_db}"]
    for key in ("EPSG.VERSION", "EPSG.DATE", "DATABASE.LAYOUT.VERSION.MAJOR"):
        if key in meta:
            facts.append(f"{key}={meta[key]}")
    return f"{text} ({', '.join(facts)})"


def _postgres() -> tuple[str, str]:
    """The newest installed PostgreSQL that has PostGIS (the one the tests start), and
    the PostGIS version ``CREATE EXTENSION postgis`` installs there."""
    for bindir in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_numeric, reverse=True):
        version = Path(bindir).parent.name
        control = Path(f"/usr/share/postgresql/{version}/extension/postgis.control")
        if not control.exists():
            continue
        server = _run(f"{bindir}/postgres", "--version")
        found = re.search(r"default_version\s*=\s*'([^']+)'", control.read_text())
        return server, found.group(1) if found else f"unknown ({control})"
    return MISSING, MISSING


def _numeric(path: str) -> tuple[int, ...]:
    return tuple(int(p) for p in re.findall(r"\d+", Path(path).parent.name))


def versions() -> dict[str, str]:
    """Name → version of each piece the tests use."""
    found: dict[str, str] = {
        "Python": f"{platform.python_version()} ({platform.python_implementation()})",
        "SQLite": sqlite3.sqlite_version,
    }
    try:
        import shapely

        found["GEOS"] = shapely.geos_version_string
    except ImportError:
        found["GEOS"] = MISSING
    found["PROJ"] = _proj()
    try:
        import pyogrio

        found["GDAL"] = pyogrio.__gdal_version_string__
    except ImportError:
        found["GDAL"] = MISSING
    found["PostgreSQL"], found["PostGIS"] = _postgres()
    found["Chromium"] = _run("/usr/bin/chromium", "--version")
    return found


def lines() -> list[str]:
    """``versions()`` as aligned lines."""
    found = versions()
    width = max(len(k) for k in found)
    return [f"{k + ':':<{width + 1}} {v}" for k, v in found.items()]


if __name__ == "__main__":
    print("\n".join(lines()))
