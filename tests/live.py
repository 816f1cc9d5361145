"""``dothi serve`` in its own process for tests that talk to it over the network.

A separate process, not a thread: GDAL holds the GIL while it waits on the network, and a
browser should meet the server as a visitor would.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager

import pytest


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def dothi_server(
    env: dict[str, str], *, drop: tuple[str, ...] = (), workers: int = 1
) -> Iterator[str]:
    """Run ``dothi serve`` with ``env`` (less the ``drop`` variables) and ``workers``
    processes; yields its base URL."""
    port = free_port()
    run_env = {**os.environ, **env}
    for name in drop:
        run_env.pop(name, None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "dothi", "serve", "--port", str(port), "--workers", str(workers)],
        env=run_env,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(url + "api/health", timeout=2):
                    break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.fail("server did not start")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)
