"""Fixtures: every database test runs on a real SQLite file and on a real PostGIS server."""

from __future__ import annotations

import itertools
import logging
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from pgserver import PostGISServer, find_bindir

from dothi.capabilities import migration_folders
from dothi.config import Settings
from dothi.db.engine import Database

_counter = itertools.count()
BACKENDS = ["sqlite", "postgis"]


@pytest.fixture(scope="session")
def postgis_server() -> Iterator[PostGISServer | None]:
    """One PostGIS server for the session, with a migrated template database."""
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
    url = server.create_database("dothi_template")
    db = Database(url)
    db.migrate(migration_folders())
    db.dispose()
    try:
        yield server
    finally:
        server.stop()


def _postgis_url(server: PostGISServer) -> str:
    import psycopg

    name = f"dothi_test_{next(_counter)}"
    with psycopg.connect(
        host="127.0.0.1", port=server.port, user="dothi", dbname="postgres", autocommit=True
    ) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE dothi_template')
    return server.url_for(name)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The backend under test; PostGIS runs carry the ``postgis`` marker."""
    name: str = request.param
    if name == "postgis":
        request.applymarker(pytest.mark.postgis)
    return name


@pytest.fixture
def settings(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Settings:
    """Settings with a fresh data folder and a fresh database on the backend under test."""
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    if backend == "sqlite":
        url = f"sqlite:///{data_dir / 'dothi.sqlite'}"
    else:
        server = request.getfixturevalue("postgis_server")
        if server is None:
            pytest.skip("PostGIS is not installed here (run scripts/dev.sh test to install it)")
        url = _postgis_url(server)
    return Settings(data_dir=data_dir, database_url=url, max_unzip_bytes=50 * 2**20)


@pytest.fixture
def db(settings: Settings) -> Iterator[Database]:
    """A migrated, empty database on the backend under test."""
    database = Database(settings.database_url)
    database.migrate(migration_folders())
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
