"""The ``dothi`` command as users run it: a process of its own (tests/live.py), its output
and exit code."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from live import run_dothi
from samples import parcels, write_geojson

from dothi.demo.loader import manifest

DOTHI = [sys.executable, "-m", "dothi"]


def dothi(env: dict[str, str], *args: str, lang: str = "en") -> subprocess.CompletedProcess[str]:
    return run_dothi({**os.environ, **env, "DOTHI_LANG": lang}, *args)


def test_import_layers_history_export_rollback(env: dict[str, str], tmp_path: Path) -> None:
    src = write_geojson(tmp_path / "p.geojson", parcels(4))
    assert dothi(env, "init").returncode == 0
    out = dothi(
        env,
        "import",
        str(src),
        "--layer",
        "thua",
        "--new-layer",
        "--key",
        "ma",
        "--title-vi",
        "Thửa",
    )
    assert out.returncode == 0, out.stderr
    assert "inserted 4" in out.stdout and "Traceback" not in out.stderr
    listing = dothi(env, "layers", "list", "--json")
    layers = {ly["id"]: ly for ly in json.loads(listing.stdout)}
    assert layers["thua"]["feature_count"] == 4 and layers["thua"]["title_vi"] == "Thửa"
    plain = dothi(env, "layers")
    assert "thua" in plain.stdout and " 4 " in plain.stdout
    again = dothi(env, "import", str(src), "--layer", "thua", "--key", "ma")
    assert "nothing changed" in again.stdout and "unchanged 4" in again.stdout
    # A re-import that changes nothing keeps no change set.
    hist = dothi(env, "layers", "history", "thua")
    assert hist.returncode == 0 and len(hist.stdout.strip().splitlines()) == 1
    feat = dothi(env, "layers", "history", "thua", "--feature", "P0001")
    assert feat.stdout.startswith("v1 ")
    target = tmp_path / "out.gpkg"
    exp = dothi(
        env,
        "export",
        "--layer",
        "thua",
        "--format",
        "gpkg",
        "--output",
        str(target),
        "--crs",
        "vn2000-tm3:79",
    )
    assert exp.returncode == 0 and target.exists() and "EPSG:9210" in exp.stdout
    show = json.loads(dothi(env, "layers", "show", "thua").stdout)
    assert show["source_crs"] is None or show["source_crs"].startswith(("EPSG", "OGC"))
    rb = dothi(env, "layers", "rollback", "thua", "2")
    assert rb.returncode == 1 and "No change set 2" in rb.stderr
    rb1 = dothi(env, "layers", "rollback", "thua", "1")
    assert rb1.returncode == 0 and "removed 4" in rb1.stdout
    assert "0" in dothi(env, "layers").stdout.split()


@pytest.mark.parametrize(
    ("args", "expect"),
    [
        (["import", "/no/such/file.geojson", "--layer", "x"], "File not found"),
        (["layers", "show", "nothing_here"], "No layer 'nothing_here'"),
        (["export", "--layer", "nothing_here", "--format", "csv", "--output", "x.csv"], "No layer"),
        (["layers", "history", "nothing_here"], "No layer"),
    ],
)
def test_errors_are_one_line_without_traceback(
    env: dict[str, str], args: list[str], expect: str
) -> None:
    out = dothi(env, *args)
    assert out.returncode == 1
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and expect in lines[0]


def test_vietnamese_messages_and_usage_errors(env: dict[str, str], tmp_path: Path) -> None:
    out = dothi(env, "layers", "show", "khong_co", lang="vi")
    assert out.returncode == 1 and out.stderr.startswith("Lỗi: Không có lớp dữ liệu")
    usage = dothi(env, "import", "x.geojson")
    assert usage.returncode == 2 and "--layer" in usage.stderr
    bad_enc = dothi(env, "import", "x.geojson", "--layer", "a", "--encoding", "koi8")
    assert bad_enc.returncode == 2 and "Traceback" not in bad_enc.stderr
    bad_db = dothi({**env, "DOTHI_DATABASE_URL": "mysql://x"}, "layers")
    assert bad_db.returncode == 1 and "DOTHI_DATABASE_URL" in bad_db.stderr


def test_demo_loads_and_layers_lists_counts(env: dict[str, str]) -> None:
    out = dothi(env, "demo", "--no-serve")
    assert out.returncode == 0, out.stderr
    total = sum(e["features"] for e in manifest())  # 1927 with the base map's layers
    assert f"Demo city loaded: {total} features" in out.stdout
    listing = {
        ly["id"]: ly["feature_count"]
        for ly in json.loads(dothi(env, "layers", "list", "--json").stdout)
    }
    assert listing["admin_commune"] == 168 and listing["admin_province"] == 34
    assert sum(listing.values()) == total


@pytest.mark.live
def test_serve_answers_http(env: dict[str, str], tmp_path: Path) -> None:
    import socket
    import time
    import urllib.request

    src = write_geojson(tmp_path / "p.geojson", parcels(3))
    imported = dothi(
        env,
        "import",
        str(src),
        "--layer",
        "thua",
        "--new-layer",
        "--access",
        "public",
        "--key",
        "ma",
    )
    assert imported.returncode == 0
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    full = {**os.environ, **env}
    # A ``dothi`` started from scratch, not forked (tests/live.py): its own start-up, tested.
    proc = subprocess.Popen([*DOTHI, "serve", "--port", str(port)], env=full)
    try:
        deadline = time.time() + 30
        body = None
        while time.time() < deadline and body is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/layers") as r:
                    body = json.loads(r.read())
            except OSError:
                time.sleep(0.2)
        assert body is not None, "server did not answer"
        assert [(ly["id"], ly["feature_count"]) for ly in body["layers"]] == [("thua", 3)]
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_exporting_a_restricted_layer_is_audited(env: dict[str, str], tmp_path: Path) -> None:
    src = write_geojson(tmp_path / "p.geojson", parcels(2))
    assert dothi(env, "init").returncode == 0
    imported = dothi(
        env,
        "import",
        str(src),
        "--layer",
        "mat",
        "--new-layer",
        "--key",
        "ma",
        "--access",
        "restricted",
    )
    assert imported.returncode == 0, imported.stderr
    exp = dothi(
        env, "export", "--layer", "mat", "--format", "csv", "--output", str(tmp_path / "m.csv")
    )
    assert exp.returncode == 0, exp.stderr
    log = json.loads(dothi(env, "audit", "list", "--action", "read_restricted", "--json").stdout)
    assert [(e["layer_id"], e["actor"].startswith("cli:")) for e in log] == [("mat", True)]
