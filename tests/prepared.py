"""Datasets built once per session and copied for each test (see tests/conftest.py).

A test module turns a fixture that fills the database into a dataset with :func:`dataset`::

    @dataset
    def city(db: Database, settings: Settings, tmp_path: Path) -> dict[str, str]:
        ...  # imports, accounts: runs once per backend (per xdist worker)

Tests that use ``city`` (directly or through another fixture) get ``db`` and ``settings``
on their own copy of it; ``@dataset(shared=True)`` gives tests that only read the prepared
database itself; ``@dataset(base=other)`` builds on a copy of another dataset.
"""

from __future__ import annotations

import copy
import dataclasses
import itertools
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pgserver import PostGISServer

from dothi.capabilities import migration_folders
from dothi.config import Settings
from dothi.db.engine import Database

TEMPLATE = "dothi_template"
MAX_UNZIP = 50 * 2**20
SQLITE_FILE = "dothi.sqlite"

counter = itertools.count()

# -- Datasets -------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, eq=False)
class DatasetSpec:
    """How to build one dataset: ``build(db, settings, tmp_path)`` on top of ``base``."""

    key: str
    build: Callable[[Database, Settings, Path], Any]
    shared: bool
    base: DatasetSpec | None


@dataclasses.dataclass
class Prepared:
    """A built dataset: its data folder, database and what its build returned."""

    data_dir: Path
    url: str
    dbname: str | None
    value: Any


DATASET = pytest.StashKey[DatasetSpec]()


def deepest(specs: list[DatasetSpec], nodeid: str) -> DatasetSpec:
    """The one dataset of which all the others a test uses are bases."""
    for spec in specs:
        chain, s = set(), spec
        while s is not None:
            chain.add(s)
            s = s.base
        if all(other in chain for other in specs):
            return spec
    raise pytest.UsageError(f"{nodeid} uses datasets that do not build on each other")


def dataset(
    build: Callable[..., Any] | None = None,
    *,
    shared: bool = False,
    base: Any = None,
    name: str | None = None,
) -> Any:
    """Make ``build(db, settings, tmp_path)`` a fixture (named ``name``, by default as
    ``build``) whose database is built once per session and backend.

    Tests that use it, or a fixture that uses it, get ``db`` and ``settings`` on their own
    copy. With ``shared=True`` they get the prepared one itself, which they must only read;
    a test of such a dataset that writes is marked ``@pytest.mark.writes`` and gets a copy.
    The fixture's value is what ``build`` returned. ``base``: a dataset fixture to build on.
    """

    def wrap(build: Callable[..., Any]) -> Any:
        fixture_name = name or build.__name__
        base_spec = None if base is None else base._dothi_spec
        spec = DatasetSpec(f"{build.__module__}.{fixture_name}", build, shared, base_spec)

        def fixture(settings: Settings, backend: str, _datasets: Datasets) -> Any:
            # A copy, so that a test that changes the value leaves it for the next one.
            return copy.deepcopy(_datasets.value(spec, backend))

        fixture._dothi_dataset = spec  # type: ignore[attr-defined]
        fixture.__doc__ = build.__doc__
        made = pytest.fixture(name=fixture_name)(fixture)
        made._dothi_spec = spec
        return made

    return wrap if build is None else wrap(build)


class Datasets:
    """The prepared databases of one session (one xdist worker)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._empty_sqlite: Path | None = None
        self._built: dict[tuple[str, str], Prepared] = {}

    def empty_sqlite(self) -> Path:
        """A migrated, empty SQLite database file, made on first use."""
        if self._empty_sqlite is None:
            path = self.root / "empty" / SQLITE_FILE
            db = Database(f"sqlite:///{path}")
            try:
                db.migrate(migration_folders())
            finally:
                db.dispose()
            self._empty_sqlite = path
        return self._empty_sqlite

    def value(self, spec: DatasetSpec, backend: str) -> Any:
        return self._built[(spec.key, backend)].value

    def prepare(self, spec: DatasetSpec, backend: str, server: PostGISServer | None) -> Prepared:
        """The dataset ``spec`` on ``backend``, built the first time it is asked for."""
        key = (spec.key, backend)
        if key in self._built:
            return self._built[key]
        base = None if spec.base is None else self.prepare(spec.base, backend, server)
        n = next(counter)
        folder = self.root / f"{n}-{spec.key.rsplit('.', 1)[-1]}-{backend}"
        data_dir = folder / "data"
        if base is not None:
            shutil.copytree(base.data_dir, data_dir)
        else:
            data_dir.mkdir(parents=True)
        dbname = None
        if server is None:
            if base is None:
                shutil.copy(self.empty_sqlite(), data_dir / SQLITE_FILE)
            url = f"sqlite:///{data_dir / SQLITE_FILE}"
        else:
            dbname = f"dataset_{n}"
            url = server.clone_database(dbname, TEMPLATE if base is None else str(base.dbname))
        settings = Settings(data_dir=data_dir, database_url=url, max_unzip_bytes=MAX_UNZIP)
        tmp = folder / "build"
        tmp.mkdir()
        db = Database(url)
        try:
            value = spec.build(db, settings, tmp)
        finally:
            db.dispose()
        if spec.shared and server is not None and dbname is not None:
            server.set_read_only(dbname)
        self._built[key] = Prepared(data_dir, url, dbname, value)
        return self._built[key]
