"""Fixtures: every database test runs on a real SQLite file and on a real PostGIS server.

Databases are made once and copied, never rebuilt for each test:

* the empty, migrated database is made once per session (and per xdist worker); each test
  that asks for ``db`` gets a copy of it: a file copy on SQLite, ``CREATE DATABASE …
  TEMPLATE`` on PostGIS;
* a module's data is a :func:`dataset` fixture: built once per session and backend, then
  copied for each test that uses it (its database and its data folder), so that a test
  that writes sees nothing of another. With ``shared=True``, for tests that only read, the
  tests use the prepared database itself, which is then read-only on PostGIS and checked
  unchanged after each test on SQLite;
* each test's PostGIS copy is dropped when the test ends, the prepared ones with the server.

Markers are set at collection (see :func:`pytest_collection_modifyitems`), so ``-m``
selects by them: ``postgis``, ``browser``, ``live``, ``slow``.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parent.parent / "scripts"))

from browser import SHARED_CHROMIUM, OneTest
from pgserver import PostGISServer, find_bindir
from prepared import (
    DATASET,
    MAX_UNZIP,
    SQLITE_FILE,
    TEMPLATE,
    Datasets,
    DatasetSpec,
    counter,
    deepest,
)
from versions import lines as version_lines

from dothi.capabilities import migration_folders
from dothi.config import Settings
from dothi.db.engine import Database

BACKENDS = ["sqlite", pytest.param("postgis", marks=pytest.mark.postgis)]


def pytest_report_header(config: pytest.Config) -> list[str]:
    """The versions of what the suite runs against (scripts/versions.py)."""
    return version_lines()


# -- Markers --------------------------------------------------------------------------------

#: Names whose use (by a test, one of its fixtures, or a helper of their module they call)
#: puts a test in a tier. ``live`` and ``browser`` tests are ``slow`` too.
LIVE_NAMES = frozenset({"dothi_server"})
BROWSER_NAMES = frozenset({"sync_playwright", "SHARED_CHROMIUM"})
# A ``dothi`` process per command, generated requests, the demo city.
SLOW_NAMES = frozenset({"subprocess", "run_dothi", "schemathesis", "load_demo"})


def _code_names(code: types.CodeType) -> set[str]:
    names = set(code.co_names) | set(code.co_varnames)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _code_names(const)
    return names


def _names_used(func: Any, seen: set[int] | None = None) -> set[str]:
    """Global and local names ``func`` uses, with those of the functions of its own module
    that it calls (one level down is enough for the tests' helpers)."""
    func = getattr(func, "__wrapped__", func)
    code = getattr(func, "__code__", None)
    if code is None:
        return set()
    names = _code_names(code)
    found = set(names)
    module_globals = getattr(func, "__globals__", {})
    for name in names:
        helper = module_globals.get(name)
        if (
            isinstance(helper, types.FunctionType)
            and helper is not func
            and helper.__module__ == func.__module__
        ):
            found |= _code_names(helper.__code__)
    return found


def _fixture_funcs(item: pytest.Item) -> list[Any]:
    info = getattr(item, "_fixtureinfo", None)
    if info is None:
        return []
    return [
        defs[-1].func
        for name in item.fixturenames  # type: ignore[attr-defined]
        if (defs := info.name2fixturedefs.get(name))
    ]


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Marks each test by what it uses, before ``-m`` selects, and notes its dataset.

    Under xdist the heavy tests go first (browser, then the other slow ones), so that the
    workers end together on short tests instead of one waiting for the other's last long
    one. Without xdist the order stays as written.
    """
    for item in items:
        funcs = [getattr(item, "obj", None), *_fixture_funcs(item)]
        specs: list[DatasetSpec] = [
            spec for f in funcs if (spec := getattr(f, "_dothi_dataset", None))
        ]
        if specs:
            item.stash[DATASET] = deepest(specs, item.nodeid)
        names: set[str] = set()
        for func in funcs + [spec.build for spec in specs]:
            names |= _names_used(func)
        callspec = getattr(item, "callspec", None)
        if callspec is not None and callspec.params.get("backend") == "postgis":
            item.add_marker(pytest.mark.postgis)
        if names & LIVE_NAMES:
            item.add_marker(pytest.mark.live)
        if names & BROWSER_NAMES:
            item.add_marker(pytest.mark.browser)
        heavy = ("live", "browser", "slow")
        if names & SLOW_NAMES or any(item.get_closest_marker(m) for m in heavy):
            item.add_marker(pytest.mark.slow)
    if hasattr(config, "workerinput"):  # an xdist worker: all of them sort alike
        items.sort(key=_weight)


def _weight(item: pytest.Item) -> int:
    if item.get_closest_marker("browser"):
        return 0
    return 1 if item.get_closest_marker("slow") else 2


# -- PostGIS --------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def postgis_server() -> Iterator[PostGISServer | None]:
    """One PostGIS server for the session (for each xdist worker), with a migrated
    template database."""
    bindir = find_bindir()
    if bindir is None:
        if os.environ.get("CI") == "true":
            pytest.fail(
                "PostgreSQL with PostGIS is not installed but CI=true requires it "
                "(scripts/dev.sh installs it)."
            )
        yield None
        return
    server = PostGISServer(bindir).start()
    try:
        url = server.create_database(TEMPLATE)
        db = Database(url)
        db.migrate(migration_folders())
        db.dispose()
        yield server
        # Each test's copy is gone already; the datasets it was made from go too.
        for name in server.database_names():
            if name.startswith(("dataset_", "dothi_test_")):
                server.drop_database(name)
    finally:
        server.stop()


def _server(request: pytest.FixtureRequest) -> PostGISServer:
    server: PostGISServer | None = request.getfixturevalue("postgis_server")
    if server is None:
        pytest.skip("PostGIS is not installed here (run scripts/dev.sh test to install it)")
    return server


@pytest.fixture(scope="session")
def _datasets(tmp_path_factory: pytest.TempPathFactory) -> Datasets:
    return Datasets(tmp_path_factory.mktemp("datasets"))


# -- Chromium -------------------------------------------------------------------------------


@pytest.fixture
def browser() -> Iterator[OneTest]:
    """Headless Chromium for one test: the browser that the tests in a row share
    (tests/browser.py), in contexts of the test's own, closed when it ends."""
    one = OneTest(SHARED_CHROMIUM.get())
    try:
        yield one
    finally:
        one.close()


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    """After the last of a row of tests that use ``browser``, close the shared Chromium:
    while Playwright runs, its event loop is this thread's, and a later test may want one
    (``asyncio.run``, or a Playwright of its own)."""
    uses = "browser" in getattr(item, "fixturenames", ())
    if uses and (nextitem is None or "browser" not in getattr(nextitem, "fixturenames", ())):
        SHARED_CHROMIUM.close()


# -- The database of each test --------------------------------------------------------------


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The backend under test; PostGIS runs carry the ``postgis`` marker."""
    name: str = request.param
    return name


def _stamp(path: Path) -> tuple[int, int]:
    st = path.stat()
    return st.st_size, st.st_mtime_ns


@pytest.fixture
def settings(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest, _datasets: Datasets
) -> Iterator[Settings]:
    """Settings with a data folder and a database of the test's own on the backend under
    test: empty (``db`` migrates it), or a copy of the test's dataset."""
    server = None if backend == "sqlite" else _server(request)
    spec = request.node.stash.get(DATASET, None)
    shared = spec is not None and spec.shared and not request.node.get_closest_marker("writes")
    clone: str | None = None
    if spec is not None and shared:
        prepared = _datasets.prepare(spec, backend, server)
        data_dir, url = prepared.data_dir, prepared.url
    else:
        data_dir = tmp_path / "data"
        if spec is None:
            data_dir.mkdir()
            template = TEMPLATE
        else:
            prepared = _datasets.prepare(spec, backend, server)
            shutil.copytree(prepared.data_dir, data_dir)
            template = str(prepared.dbname)
        if server is None:
            url = f"sqlite:///{data_dir / SQLITE_FILE}"
        else:
            clone = f"dothi_test_{next(counter)}"
            url = server.clone_database(clone, template)
    before = _stamp(data_dir / SQLITE_FILE) if shared and server is None else None
    try:
        yield Settings(data_dir=data_dir, database_url=url, max_unzip_bytes=MAX_UNZIP)
    finally:
        if server is not None and clone is not None:
            server.drop_database(clone)
    if before is not None:
        assert _stamp(data_dir / SQLITE_FILE) == before, (
            f"{request.node.nodeid} changed the shared dataset {spec.key if spec else ''}: "
            "mark a test that writes @pytest.mark.writes (it then gets a copy)"
        )


@pytest.fixture
def db(settings: Settings, _datasets: Datasets) -> Iterator[Database]:
    """A migrated database on the backend under test: empty, or the test's dataset."""
    url = settings.database_url
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        if not path.exists():
            shutil.copy(_datasets.empty_sqlite(), path)
    database = Database(url)
    try:
        yield database
    finally:
        database.dispose()


@pytest.fixture
def env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Environment variables pointing the CLI at the test data folder and database."""
    values = {
        "DOTHI_DATA_DIR": str(settings.data_dir),
        "DOTHI_DATABASE_URL": settings.database_url.replace("+psycopg", ""),
        "DOTHI_LANG": "en",
    }
    for k, v in values.items():
        monkeypatch.setenv(k, v)
    return values


class _MissingGlyphs(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.seen: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.seen.append(record.getMessage())


@pytest.fixture(autouse=True)
def no_missing_glyphs() -> Iterator[None]:
    """A PDF that prints a character its font lacks shows a blank: fail the test instead."""
    handler = _MissingGlyphs()
    logger = logging.getLogger("fpdf.output")
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)
    missing = [m for m in handler.seen if "missing the following glyphs" in m]
    assert missing == [], missing
