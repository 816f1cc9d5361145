"""What a capability brings to Dothi, declared in one place.

A capability (``planning``; next ``sensors``, ``operations``, ``citizens``…) is one folder
under ``src/dothi/`` whose ``capability.py`` builds one :class:`Capability`. The web app,
the CLI and ``dothi init`` iterate over the built-in list (:mod:`dothi.capabilities`);
nothing else names a capability's routes, commands, pages, migrations, audit actions or
import hooks. See ``docs/adding-a-capability.md``.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from collections.abc import Callable

    from fastapi import APIRouter, FastAPI

    from dothi.spatial.import_hooks import ImportHook


@dataclass(frozen=True)
class Mount:
    """A router, named ``"package.module:attribute"``, and the path it is mounted at
    (``/planning``). Named rather than imported so that the CLI does not load the web
    stack: the app imports it when it is built."""

    prefix: str
    router: str

    def load(self) -> APIRouter:
        """Import the router."""
        from fastapi import APIRouter

        module, _, name = self.router.partition(":")
        found = getattr(importlib.import_module(module), name)
        if not isinstance(found, APIRouter):
            raise TypeError(f"{self.router} is not an APIRouter")  # a bug, not user input
        return found


@dataclass(frozen=True)
class Page:
    """A web page without a map, served at ``/<name>`` from its HTML file.

    The page's own scripts and styles are in :attr:`Capability.static`; pages share the
    kit's ``pages.css`` and ``signin.js`` (:mod:`dothi.web`).
    """

    name: str
    html: Path


@dataclass(frozen=True)
class Capability:
    """Everything one capability adds to the platform."""

    #: The folder's name, also the label of its Alembic branch.
    name: str
    title_vi: str
    title_en: str
    #: HTTP routers, each with its mount point.
    mounts: tuple[Mount, ...] = ()
    #: Top-level ``dothi`` commands (usually one group named after the capability).
    commands: tuple[click.Command, ...] = ()
    pages: tuple[Page, ...] = ()
    #: Scripts and styles of the pages, served at ``/static/<file name>``.
    static: tuple[Path, ...] = ()
    #: The folder of the capability's Alembic revisions, if it has tables.
    migrations: Path | None = None
    #: Audit actions its code writes (``auth.audit`` refuses undeclared ones).
    audit_actions: tuple[str, ...] = ()
    #: Hooks handed to every file import (:mod:`dothi.spatial.import_hooks`).
    import_hooks: tuple[ImportHook, ...] = ()
    #: Run when the web app starts, named ``"package.module:function"``: the function takes
    #: the app and returns what stops it again (a background client, say), or None.
    startup: str | None = None

    def start(self, app: FastAPI) -> Callable[[], None] | None:
        """Run :attr:`startup`, if any; what stops it."""
        if self.startup is None:
            return None
        module, _, name = self.startup.partition(":")
        stop: Callable[[], None] | None = getattr(importlib.import_module(module), name)(app)
        return stop
