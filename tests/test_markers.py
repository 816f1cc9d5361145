"""The markers select what they say before any test runs: ``pytest -m "not postgis"`` runs
no PostGIS test, ``-m "not browser"`` no browser, ``-m "not live"`` no server process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
FILES = [
    "tests/web/test_api.py",
    "tests/ogcapi/test_clients.py",
    "tests/planning/test_planner_page.py",
]
EXPRESSIONS = [
    "",
    "postgis",
    "not postgis",
    "browser",
    "not browser",
    "live",
    "not slow",
    "not postgis and not slow",
]
# One process collects for every expression (the imports are paid once), away from this one.
COLLECT = """
import json, sys
import pytest

class Selected:
    def pytest_collection_finish(self, session):
        self.ids = [item.nodeid for item in session.items]

found = {}
for expr in json.loads(sys.argv[1]):
    plugin = Selected()
    args = ["--collect-only", "-q", "-n", "0", "-p", "no:cacheprovider", "-m", expr]
    code = pytest.main(args + json.loads(sys.argv[2]), plugins=[plugin])
    assert code in (0, 5), (expr, code)  # 5: nothing selected
    found[expr] = plugin.ids
print("SELECTED " + json.dumps(found))
"""


@pytest.fixture(scope="module")
def selected() -> dict[str, set[str]]:
    """Expression → the node ids ``pytest --collect-only -m EXPRESSION`` selects."""
    out = subprocess.run(
        [sys.executable, "-c", COLLECT, json.dumps(EXPRESSIONS), json.dumps(FILES)],
        cwd=ROOT,
        env={**os.environ, "PYTEST_ADDOPTS": ""},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    line = next(x for x in out.stdout.splitlines() if x.startswith("SELECTED "))
    return {k: set(v) for k, v in json.loads(line.removeprefix("SELECTED ")).items()}


def test_markers_are_set_at_collection(selected: dict[str, set[str]]) -> None:
    every = selected[""]
    postgis = {t for t in every if "[postgis" in t or "-postgis" in t}
    browser = {t for t in every if t.startswith("tests/planning/test_planner_page.py")}
    clients = {t for t in every if t.startswith("tests/ogcapi/test_clients.py")}
    assert postgis and browser and clients

    assert selected["postgis"] == postgis
    assert selected["not postgis"] == every - postgis
    assert selected["browser"] == browser
    assert selected["not browser"] == every - browser
    # Both the browser test and the OGC clients start a `dothi serve` of their own.
    assert selected["live"] == browser | clients
    assert selected["not slow"] == every - browser - clients
    assert selected["not postgis and not slow"] == every - postgis - browser - clients
