"""The built-in capabilities, in one list.

The web app (:mod:`dothi.app.main`), the CLI (:mod:`dothi.cli.main`), ``dothi init`` and
every file import iterate over :data:`BUILTIN`; adding a capability means adding it here.
"""

from __future__ import annotations

from pathlib import Path

from dothi.auth import MIGRATIONS as AUTH_MIGRATIONS
from dothi.capability import Capability
from dothi.planning.capability import PLANNING
from dothi.sensors.capability import SENSORS
from dothi.spatial.import_hooks import ImportHook

BUILTIN: tuple[Capability, ...] = (PLANNING, SENSORS)


def migration_folders(capabilities: tuple[Capability, ...] = BUILTIN) -> list[Path]:
    """The Alembic folders above the database's own: the shared services', then each
    capability's."""
    return [AUTH_MIGRATIONS, *(c.migrations for c in capabilities if c.migrations is not None)]


def import_hooks(capabilities: tuple[Capability, ...] = BUILTIN) -> tuple[ImportHook, ...]:
    """Every capability's import hooks, in the order of the list."""
    return tuple(hook for c in capabilities for hook in c.import_hooks)
