"""The database: engine, transactions and migrations for SQLite and PostgreSQL/PostGIS."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
from psycopg.types.json import set_json_loads
from sqlalchemy import Connection, Engine, create_engine, event, inspect
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import QueuePool

from dothi.db.spatial import SpatialPort, port_for
from dothi.db.spatial.sqlite import register_functions
from dothi.db.textsql import register_text_functions
from dothi.errors import ConfigError

_MIGRATIONS = Path(__file__).parent / "migrations"


def _sqlite_engine(url: str) -> Engine:
    path = Path(url.removeprefix("sqlite:///"))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(
            f"Không tạo được thư mục dữ liệu {path.parent}: {exc.strerror}.",
            f"Cannot create the data folder {path.parent}: {exc.strerror}.",
        ) from None
    # check_same_thread off: a bulk insert fills the R*Tree from a helper thread while
    # the importing thread waits for it before touching the connection again.
    # Pooled connections keep their page cache warm between requests; a fresh connection
    # per request read every page again (5× slower bbox pages).
    engine = create_engine(
        url,
        connect_args={"timeout": 30, "check_same_thread": False},
        poolclass=QueuePool,
        pool_size=16,
        max_overflow=48,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Take transaction control from the sqlite3 module so that BEGIN is ours.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        # 64 MiB of page cache: index inserts of large imports stay in memory.
        cur.execute("PRAGMA cache_size=-65536")
        cur.close()
        register_functions(dbapi_conn)
        register_text_functions(dbapi_conn)

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # Writers take the write lock up front: no deadlock on a read-to-write upgrade.
        immediate = conn.get_execution_options().get("dothi_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


class Database:
    """One Dothi database: its engine and its spatial port."""

    def __init__(self, url: str) -> None:
        self.url = url
        if url.startswith("sqlite"):
            self.engine = _sqlite_engine(url)
        else:
            # Short queries of a web API: parallel plans cost more to start (15–25 ms) than
            # they save, JIT compiling costs ~100 ms where a row estimate is high, and a
            # pool as large as the server's thread pool keeps connections from being
            # closed and forked again under load.
            # No ping on checkout (a round trip per request): after a server restart the
            # first failing statement makes SQLAlchemy drop the whole pool instead.
            # orjson reads jsonb several times faster than the json module.
            set_json_loads(orjson.loads)
            self.engine = create_engine(
                url,
                pool_size=40,
                max_overflow=0,
                connect_args={"options": "-c max_parallel_workers_per_gather=0 -c jit=off"},
            )
        self.port: SpatialPort = port_for(self.engine.dialect.name)

    @property
    def backend(self) -> str:
        """``sqlite`` or ``postgis`` (for display only; code branches through the port)."""
        return self.port.name

    @contextmanager
    def read(self, *, snapshot: bool = True) -> Iterator[Connection]:
        """A connection in a read transaction.

        ``snapshot=False`` is for a request's few independent reads: on PostgreSQL each
        statement then runs on its own, without the BEGIN and COMMIT round trips.
        """
        with self._connect() as conn:
            if not snapshot and self.backend == "postgis":
                conn = conn.execution_options(isolation_level="AUTOCOMMIT")
            with conn.begin():
                yield conn

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A connection in a write transaction: committed on success, rolled back on error."""
        with self._connect(write=True) as conn, conn.begin():
            yield conn

    @contextmanager
    def _connect(self, write: bool = False) -> Iterator[Connection]:
        try:
            conn = self.engine.connect()
        except OperationalError as exc:
            raise ConfigError(
                f"Không kết nối được cơ sở dữ liệu: {_first_line(exc)}",
                f"Cannot connect to the database: {_first_line(exc)}",
            ) from None
        with conn:
            if write:
                conn = conn.execution_options(dothi_write=True)
            yield conn

    def migrate(self, folders: Sequence[Path]) -> None:
        """Create the schema or bring it to the current version (``dothi init``).

        ``folders`` hold the revisions of the capabilities and shared services above the
        database (:func:`dothi.capabilities.migration_folders`); the foundation's own
        revisions are always included. Revisions form one graph whatever folder they sit
        in, so a database keeps its revision ids when a revision moves to another folder.
        """
        from alembic import command

        cfg = self.alembic_config(folders)
        with self._connect(write=True) as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "heads")
            if conn.in_transaction():
                conn.commit()

    def alembic_config(self, folders: Sequence[Path]) -> Any:
        """The Alembic configuration over the foundation's revisions and ``folders``."""
        from alembic.config import Config

        cfg = Config()
        cfg.set_main_option("script_location", str(_MIGRATIONS))
        cfg.set_main_option("path_separator", "os")
        locations = [_MIGRATIONS / "versions", *folders]
        cfg.set_main_option("version_locations", os.pathsep.join(str(f) for f in locations))
        cfg.attributes["port"] = self.port
        return cfg

    def is_initialised(self) -> bool:
        """True when the Dothi tables exist."""
        with self._connect() as conn:
            return inspect(conn).has_table("layer")

    def dispose(self) -> None:
        """Close pooled connections."""
        self.engine.dispose()


def _first_line(exc: Exception) -> str:
    return str(getattr(exc, "orig", exc)).strip().splitlines()[0]
