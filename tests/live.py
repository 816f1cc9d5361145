"""``dothi`` in processes of its own, for tests that run it as users do: commands
(:func:`run_dothi`) and ``dothi serve`` (:func:`dothi_server`).

A separate process, not a thread: GDAL holds the GIL while it waits on the network, and a
browser should meet the server as a visitor would.

Starting Python and importing Dothi takes most of a second, longer than most commands run.
So each test process keeps one *fork server*: a bare Python that has imported Dothi once
and forks a child for each command or server. The child gets its own environment, working
folder, standard streams (at the file-descriptor level, so that GDAL's and libpq's messages
are caught too) and signals, runs ``python -m dothi`` as the real command would, and ends as
the interpreter would end it: the exit code of its ``SystemExit`` or a traceback, the
``atexit`` functions, flushed streams. The fork server itself never runs a command, so every
child starts from the same freshly imported state. ``tests/cli``'s ``test_serve_answers_http``
still starts a ``dothi`` from scratch.
"""

from __future__ import annotations

import atexit
import json
import os
import select
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

#: What the fork server imports before it forks: what nearly every command loads anyway
#: (the CLI, the migrations, both database drivers, the web app for ``serve``).
PRELOAD = [
    "dothi.cli.main",
    "alembic.command",
    "alembic.config",
    "alembic.runtime.environment",
    "alembic.runtime.migration",
    "alembic.script",
    "mako.template",
    "sqlite3",
    "sqlalchemy.dialects.sqlite",
    "sqlalchemy.dialects.postgresql",
    "psycopg",
    "dothi.app.main",
    "uvicorn",
]

# The fork server: one JSON request a line on stdin, answers on stdout. It answers a
# command with the child's pid, then its exit code; a server (``wait`` false) with its pid
# only, and ``{"reap": pid}`` once the test has stopped it.
_FORK_SERVER = r"""
import atexit, importlib, io, json, os, runpy, sys

for name in json.loads(sys.argv[1]):
    importlib.import_module(name)
REQUESTS, ANSWERS = sys.stdin.buffer, sys.stdout.buffer


def answer(value):
    ANSWERS.write(json.dumps(value).encode() + b"\n")
    ANSWERS.flush()


def exit_code(code):
    # As the interpreter turns SystemExit into the process's status.
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    print(code, file=sys.stderr)
    return 1


def child(request):
    for fd, path, flags in ((0, request["stdin"], os.O_RDONLY),
                            (1, request["stdout"], os.O_WRONLY | os.O_APPEND),
                            (2, request["stderr"], os.O_WRONLY | os.O_APPEND)):
        opened = os.open(path, flags)
        os.dup2(opened, fd)
        os.close(opened)
    os.chdir(request["cwd"])
    sys.path[0] = request["cwd"]  # as ``python -m`` puts it
    os.environ.clear()
    os.environ.update(request["env"])
    # sys.stdout and sys.stderr now write to the files (their buffers were empty at the
    # fork); stdin is read afresh, past what the requests left in its buffer.
    sys.stdin = sys.__stdin__ = io.TextIOWrapper(
        open(0, "rb", closefd=False), encoding=sys.stdin.encoding, errors=sys.stdin.errors)
    sys.argv = ["dothi", *request["args"]]
    code = 0
    try:
        runpy.run_module("dothi", run_name="__main__", alter_sys=True)
    except SystemExit as exc:
        code = exit_code(exc.code)
    except BaseException:
        sys.excepthook(*sys.exc_info())
        code = 1
    # What the interpreter does on the way out that a command can notice; the rest of its
    # clean-up (tearing down every module) costs more than most commands take.
    try:
        atexit._run_exitfuncs()
        sys.stdout.flush()
        sys.stderr.flush()
    except BaseException:
        code = 120
    os._exit(code)


for line in REQUESTS:
    request = json.loads(line)
    if "reap" in request:
        _, status = os.waitpid(request["reap"], 0)
        answer(os.waitstatus_to_exitcode(status))
        continue
    pid = os.fork()
    if pid == 0:
        child(request)
    answer(pid)
    if request["wait"]:
        _, status = os.waitpid(pid, 0)
        answer(os.waitstatus_to_exitcode(status))
"""


class _ForkServer:
    """The fork server of this test process, started on first use."""

    def __init__(self) -> None:
        self._proc: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()
        atexit.register(self.close)

    def _started(self) -> subprocess.Popen[bytes]:
        if self._proc is None or self._proc.poll() is not None:
            # Started from the environment without the test's DOTHI_* settings: each child
            # gets the environment it is given, nothing else.
            env = {k: v for k, v in os.environ.items() if not k.startswith("DOTHI_")}
            self._proc = subprocess.Popen(
                [sys.executable, "-c", _FORK_SERVER, json.dumps(PRELOAD)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                env=env,
                # Unbuffered, so that select() sees every answer not yet read.
                bufsize=0,
            )
        return self._proc

    def _ask(self, request: dict[str, Any]) -> int:
        proc = self._started()
        assert proc.stdin is not None
        data = memoryview(json.dumps(request).encode() + b"\n")
        while data:
            data = data[proc.stdin.write(data) or 0 :]
        return self._answer(None)

    def _answer(self, timeout: float | None) -> int:
        proc = self._proc
        assert proc is not None and proc.stdout is not None
        if timeout is not None and not select.select([proc.stdout], [], [], timeout)[0]:
            raise TimeoutError
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError("the fork server of the tests stopped")
        value: int = json.loads(line)
        return value

    def run(
        self,
        args: Sequence[str],
        env: Mapping[str, str],
        stdin: str,
        timeout: float,
    ) -> subprocess.CompletedProcess[str]:
        """Run ``dothi ARGS`` in a child and wait for it, as :func:`subprocess.run`."""
        with self._lock, tempfile.TemporaryDirectory(prefix="dothi-run-") as tmp:
            files = {name: Path(tmp) / name for name in ("stdin", "stdout", "stderr")}
            files["stdin"].write_text(stdin, encoding="utf-8")
            files["stdout"].touch()
            files["stderr"].touch()
            try:
                pid = self._ask(self._request(args, env, files, wait=True))
                try:
                    code = self._answer(timeout)
                except TimeoutError:
                    os.kill(pid, signal.SIGKILL)
                    self._answer(None)
                    raise subprocess.TimeoutExpired(["dothi", *args], timeout) from None
            except BaseException:
                # Interrupted between a request and its answer: start afresh next time.
                self.close(kill=True)
                raise
            out, err = (files[n].read_text(encoding="utf-8") for n in ("stdout", "stderr"))
        return subprocess.CompletedProcess(["dothi", *args], code, out, err)

    def start(self, args: Sequence[str], env: Mapping[str, str], log: Path) -> int:
        """Start ``dothi ARGS`` in a child writing to ``log``; its pid."""
        empty = log.with_suffix(".stdin")
        empty.write_bytes(b"")
        log.touch()
        files = {"stdin": empty, "stdout": log, "stderr": log}
        with self._lock:
            return self._ask(self._request(args, env, files, wait=False))

    def stop(self, pid: int, timeout: float = 10) -> None:
        """Stop a child :meth:`start` started (SIGTERM, as :meth:`subprocess.Popen.terminate`)
        and kill it if it lingers."""
        os.kill(pid, signal.SIGTERM)
        deadline = time.time() + timeout
        while time.time() < deadline and _running(pid):
            time.sleep(0.05)
        lingered = _running(pid)
        if lingered:
            os.kill(pid, signal.SIGKILL)
        with self._lock:
            self._ask({"reap": pid})
        assert not lingered, f"dothi (pid {pid}) did not stop within {timeout} s"

    @staticmethod
    def _request(
        args: Sequence[str], env: Mapping[str, str], files: Mapping[str, Path], *, wait: bool
    ) -> dict[str, Any]:
        return {
            "args": list(args),
            "env": dict(env),
            "cwd": os.getcwd(),
            "wait": wait,
            **{name: str(path) for name, path in files.items()},
        }

    def close(self, kill: bool = False) -> None:
        """Stop the fork server: it ends when its requests end, at once with ``kill``."""
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            assert proc.stdin is not None
            if kill:
                proc.kill()
            proc.stdin.close()
            proc.wait(timeout=10)


def _running(pid: int) -> bool:
    """Whether ``pid`` still runs (a child that ended but is not reaped yet counts as ended)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


_FORKS = _ForkServer()


def run_dothi(
    env: Mapping[str, str], *args: str, stdin: str = "", timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """Run the ``dothi`` command with exactly the environment ``env``: its exit code and
    its output (stdout, stderr) as text, as :func:`subprocess.run` gives them."""
    return _FORKS.run(args, env, stdin, timeout)


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
    args = ["serve", "--port", str(port), "--workers", str(workers)]
    url = f"http://127.0.0.1:{port}/"
    with tempfile.TemporaryDirectory(prefix="dothi-serve-") as tmp:
        log = Path(tmp) / "serve.log"
        pid = _FORKS.start(args, run_env, log)
        try:
            _wait_for(url, pid, log)
            yield url
        finally:
            _FORKS.stop(pid)
            _show(log)


def _wait_for(url: str, pid: int, log: Path) -> None:
    deadline = time.time() + 30
    while time.time() < deadline and _running(pid):
        try:
            with urllib.request.urlopen(url + "api/health", timeout=2):
                return
        except OSError:
            time.sleep(0.1)
    pytest.fail(f"server did not start:\n{log.read_text(encoding='utf-8', errors='replace')}")


def _show(log: Path) -> None:
    """The server's log, on stderr: pytest shows it with a failed test."""
    text = log.read_text(encoding="utf-8", errors="replace")
    if text:
        sys.stderr.write(text)
