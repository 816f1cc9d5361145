"""A throwaway PostgreSQL + PostGIS server for tests and benchmarks.

It runs Debian's PostgreSQL binaries on a free port of 127.0.0.1 with its data in a
temporary folder, and is stopped and removed afterwards. As root the server runs as the
``postgres`` system user, because PostgreSQL refuses to run as root.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any


def find_bindir() -> Path | None:
    """The folder of ``pg_ctl`` from a PostgreSQL that has PostGIS installed, if any."""
    for bindir in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        version = Path(bindir).parent.name
        if glob.glob(f"/usr/share/postgresql/{version}/extension/postgis.control"):
            return Path(bindir)
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PostGISServer:
    """Start with :meth:`start`, stop with :meth:`stop`; :attr:`url` is for the admin user."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.port = _free_port()
        self.root = Path(tempfile.mkdtemp(prefix="dothi-pg-"))
        self.datadir = self.root / "data"
        self._as_user: list[str] = []
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
            os.chmod(self.root, 0o755)
            self._as_user = ["runuser", "-u", "postgres", "--"]

    def _run(self, *args: str) -> None:
        subprocess.run([*self._as_user, *args], check=True, capture_output=True, text=True, cwd="/")

    @property
    def url(self) -> str:
        """SQLAlchemy URL of the ``postgres`` database."""
        return self.url_for("postgres")

    def url_for(self, dbname: str) -> str:
        """SQLAlchemy URL of one database on this server."""
        return f"postgresql+psycopg://dothi@127.0.0.1:{self.port}/{dbname}"

    def start(self) -> PostGISServer:
        """Create the cluster and start the server; returns self.

        Another process may take the free port between its choice and the server's start
        (parallel test workers each start a server): then it tries again on another port.
        """
        self._run(
            str(self.bindir / "initdb"),
            "-D",
            str(self.datadir),
            "-U",
            "dothi",
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
        )
        for attempt in range(5):
            opts = (
                f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.root} "
                "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
                "-c max_wal_size=4GB -c shared_buffers=512MB -c maintenance_work_mem=512MB"
            )
            try:
                self._run(
                    str(self.bindir / "pg_ctl"),
                    "-D",
                    str(self.datadir),
                    "-o",
                    opts,
                    "-l",
                    str(self.root / "server.log"),
                    "-w",
                    "start",
                )
                break
            except subprocess.CalledProcessError:
                if attempt == 4:
                    raise
                self.port = _free_port()
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return self
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("PostgreSQL did not start")

    def create_database(self, name: str) -> str:
        """Create a database with PostGIS enabled and return its URL."""
        import psycopg

        with psycopg.connect(
            host="127.0.0.1", port=self.port, user="dothi", dbname="postgres", autocommit=True
        ) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
        with psycopg.connect(
            host="127.0.0.1", port=self.port, user="dothi", dbname=name, autocommit=True
        ) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
        return self.url_for(name)

    def _admin(self) -> Any:
        import psycopg

        return psycopg.connect(
            host="127.0.0.1", port=self.port, user="dothi", dbname="postgres", autocommit=True
        )

    def clone_database(self, name: str, template: str) -> str:
        """Create ``name`` as a copy of ``template`` (which nobody may be connected to) and
        return its URL."""
        with self._admin() as conn:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        return self.url_for(name)

    def set_read_only(self, name: str) -> None:
        """Make every later session on ``name`` read-only (a database that tests share)."""
        with self._admin() as conn:
            conn.execute(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on')

    def database_names(self) -> list[str]:
        """The databases on this server, templates included."""
        with self._admin() as conn:
            return [r[0] for r in conn.execute("SELECT datname FROM pg_database").fetchall()]

    def drop_database(self, name: str) -> None:
        """Drop ``name``, ending whatever sessions are still connected to it."""
        with self._admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self) -> None:
        """Stop the server and delete its files."""
        with contextlib.suppress(subprocess.CalledProcessError):
            self._run(str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-m", "fast", "stop")
        shutil.rmtree(self.root, ignore_errors=True)
