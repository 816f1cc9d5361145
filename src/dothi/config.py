"""Settings read from the environment (``DOTHI_*``), checked once, passed explicitly."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from dothi.errors import ConfigError


@dataclass(frozen=True)
class Settings:
    """Where Dothi keeps its data and which database it talks to."""

    data_dir: Path
    database_url: str
    #: Largest size a zip archive may expand to on import (zip-bomb guard).
    max_unzip_bytes: int = 2 * 1024**3
    #: Folders files may be imported from and exported to; empty means anywhere.
    allowed_dirs: tuple[Path, ...] = ()

    @property
    def is_sqlite(self) -> bool:
        """True for the embedded SQLite database."""
        return self.database_url.startswith("sqlite")


def load_settings(env: dict[str, str] | None = None) -> Settings:
    """Read settings from ``env`` (default: the process environment)."""
    env = dict(os.environ if env is None else env)
    data_dir = Path(env.get("DOTHI_DATA_DIR") or "./dothi-data").expanduser().resolve()
    url = env.get("DOTHI_DATABASE_URL") or f"sqlite:///{data_dir / 'dothi.sqlite'}"
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        # psycopg 3 is the driver we ship.
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    if not (url.startswith("sqlite:///") or url.startswith("postgresql+psycopg://")):
        raise ConfigError(
            "DOTHI_DATABASE_URL phải là sqlite:///đường/dẫn hoặc postgresql://người-dùng@máy/csdl.",
            "DOTHI_DATABASE_URL must be sqlite:///path or postgresql://user@host/db.",
        )
    max_unzip = env.get("DOTHI_MAX_UNZIP_BYTES", "")
    try:
        max_unzip_bytes = int(max_unzip) if max_unzip else 2 * 1024**3
    except ValueError:
        raise ConfigError(
            "DOTHI_MAX_UNZIP_BYTES phải là một số nguyên (byte).",
            "DOTHI_MAX_UNZIP_BYTES must be an integer number of bytes.",
        ) from None
    allowed = tuple(
        Path(p).expanduser().resolve()
        for p in env.get("DOTHI_ALLOWED_DIRS", "").split(os.pathsep)
        if p.strip()
    )
    return Settings(
        data_dir=data_dir,
        database_url=url,
        max_unzip_bytes=max_unzip_bytes,
        allowed_dirs=allowed,
    )
