"""The console kit: what every ``dothi`` command shares (settings and database opened once,
the acting user, progress, files written whole). Messages: :func:`dothi.i18n.t`."""

from __future__ import annotations

import getpass
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from dothi.config import Settings, load_settings
from dothi.db.engine import Database
from dothi.errors import InvalidInput
from dothi.spatial.import_hooks import ImportHook
from dothi.spatial.sources import check_allowed


class Context:
    """Settings and database, opened once per command.

    The ``dothi`` group makes it with what the built-in capabilities bring: the folders of
    their migrations and their import hooks.
    """

    def __init__(
        self, migration_folders: Sequence[Path], import_hooks: Sequence[ImportHook]
    ) -> None:
        self.migration_folders = tuple(migration_folders)
        self.import_hooks = tuple(import_hooks)
        self._settings: Settings | None = None
        self._db: Database | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings()
        return self._settings

    def database(self, *, migrate: bool = True) -> Database:
        """The database, brought to the current schema first (``migrate``)."""
        if self._db is None:
            self._db = Database(self.settings.database_url)
            if migrate:
                self._db.migrate(self.migration_folders)
        return self._db


pass_ctx = click.make_pass_decorator(Context)


def default_user() -> str:
    """Who is running the command, for the history (``DOTHI_USER`` or the login name)."""
    try:
        login = getpass.getuser()
    except (KeyError, OSError):
        login = "unknown"
    return os.environ.get("DOTHI_USER") or f"cli:{login}"


@contextmanager
def progress_bar(label: str) -> Iterator[Callable[[int, int | None], None]]:
    """A progress bar on stderr; the callback takes (done, total or None)."""
    bar: Any = None
    shown = 0

    def update(done: int, total: int | None) -> None:
        nonlocal bar, shown
        if bar is None and (total is None or not sys.stderr.isatty()):
            return  # no bar without a total or a terminal; the summary line follows anyway
        if bar is None:
            bar = click.progressbar(length=total, label=label, file=sys.stderr, show_pos=True)
            bar.__enter__()
        bar.update(done - shown)
        shown = done

    try:
        yield update
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)


def write_output(settings: Settings, path: Path, data: bytes) -> Path:
    """Write a report or document to ``path`` (inside the allowed folders) all at once: a
    failure leaves no half-written file."""
    target = check_allowed(path, settings.allowed_dirs)
    if not target.parent.is_dir():
        raise InvalidInput(
            f"Thư mục {target.parent} không tồn tại.", f"Folder {target.parent} does not exist."
        )
    partial = target.with_name(f".{target.name}.partial")
    try:
        partial.write_bytes(data)
        partial.replace(target)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise InvalidInput(
            f"Không ghi được {target}: {exc.strerror}.", f"Cannot write {target}: {exc.strerror}."
        ) from None
    return target
