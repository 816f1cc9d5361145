"""Helpers shared by the CLI commands: settings, database, progress, messages."""

from __future__ import annotations

import getpass
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from dothi.config import Settings, load_settings
from dothi.db.engine import Database
from dothi.errors import InvalidInput, current_language
from dothi.spatial.sources import check_allowed


def t(vi: str, en: str) -> str:
    return en if current_language() == "en" else vi


class Context:
    """Settings and database, opened once per command."""

    def __init__(self) -> None:
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
                self._db.migrate()
        return self._db


pass_ctx = click.make_pass_decorator(Context, ensure=True)


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
