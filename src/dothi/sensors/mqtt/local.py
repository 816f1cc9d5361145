"""A private mosquitto for the demo and the tests, kept in a folder of the data folder.

The broker listens on 127.0.0.1 only, refuses anonymous clients, keeps its sessions and
queued messages on disk (``persistence``) and takes its users and access rules from the
dynamic-security plugin, whose state is a JSON file beside it. On the first start an
administrator is created with a generated password, kept in ``admin.json`` (mode 0600)
and never printed; everything else (devices, the server's own client) is provisioned
through the plugin's control topic (:mod:`dothi.sensors.mqtt.dynsec`).

Debian's ``mosquitto`` package provides the broker and the plugin
(``scripts/dev.sh setup`` installs it).
"""

from __future__ import annotations

import base64
import contextlib
import glob
import hashlib
import json
import os
import pwd
import secrets
import signal
import socket
import subprocess
import time
from pathlib import Path
from types import TracebackType

from dothi.errors import ConfigError
from dothi.sensors.mqtt.settings import Broker

MOSQUITTO = Path("/usr/sbin/mosquitto")
PLUGIN_PATTERN = "/usr/lib/*/mosquitto_dynamic_security.so"
#: The broker's folder inside Dothi's data folder.
FOLDER_NAME = "mqtt"
PORT_FILE = "port"
ADMIN_USERNAME = "dothi-admin"
#: As ``mosquitto_ctrl dynsec init`` hashes (PBKDF2-SHA512, 12-byte salt, 101 rounds), so
#: that the plugin reads the administrator written here like one it made itself.
_SALT_BYTES = 12
_ITERATIONS = 101


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie, ended but not yet reaped by its parent, does not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


def find_plugin() -> Path | None:
    """The dynamic-security plugin of the installed mosquitto, if any."""
    found = sorted(glob.glob(PLUGIN_PATTERN))
    return Path(found[0]) if found else None


def _missing(path: object) -> ConfigError:
    return ConfigError(
        f"Không tìm thấy {path} của mosquitto. Hãy chạy scripts/dev.sh setup (cài các gói "
        "Debian mosquitto và mosquitto-clients).",
        f"mosquitto's {path} is missing. Run scripts/dev.sh setup (it installs the Debian "
        "packages mosquitto and mosquitto-clients).",
    )


def _write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` readable by its owner only, replacing it atomically."""
    tmp = path.with_name(path.name + ".tmp")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


def _admin_client(username: str, password: str) -> dict[str, object]:
    salt = secrets.token_bytes(_SALT_BYTES)
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, _ITERATIONS)
    return {
        "username": username,
        "textName": "Dothi: quản trị / administrator",
        "password": base64.b64encode(digest).decode(),
        "salt": base64.b64encode(salt).decode(),
        "iterations": _ITERATIONS,
        "roles": [{"rolename": "admin"}],
    }


def initial_state(username: str, password: str) -> dict[str, object]:
    """The plugin's first state: one administrator who may only use the control topic
    (and read ``$SYS``), and by default nobody may publish or subscribe."""
    acls = [
        ("publishClientSend", "$CONTROL/dynamic-security/#"),
        ("publishClientReceive", "$CONTROL/dynamic-security/#"),
        ("subscribePattern", "$CONTROL/dynamic-security/#"),
        ("publishClientReceive", "$SYS/#"),
        ("subscribePattern", "$SYS/#"),
        ("unsubscribePattern", "#"),
    ]
    return {
        "defaultACLAccess": {
            "publishClientSend": False,
            "publishClientReceive": True,
            "subscribe": False,
            "unsubscribe": True,
        },
        "clients": [_admin_client(username, password)],
        "roles": [
            {
                "rolename": "admin",
                "acls": [{"acltype": t, "topic": topic, "allow": True} for t, topic in acls],
            }
        ],
        "groups": [],
    }


class LocalBroker:
    """A mosquitto process of our own: :meth:`start`, :meth:`stop`, :meth:`restart`.

    ``port`` ``None`` picks a free port once; the broker keeps it across restarts so that
    clients reconnect to the same address.
    """

    def __init__(self, folder: Path, *, port: int | None = None, binary: Path = MOSQUITTO) -> None:
        self.folder = Path(folder).resolve()
        self.host = "127.0.0.1"
        self._fixed_port = port is not None
        self.port = port if port is not None else _free_port()
        self.binary = binary
        self._proc: subprocess.Popen[bytes] | None = None

    @classmethod
    def in_data_folder(cls, data_dir: Path, *, port: int | None = None) -> LocalBroker:
        """The broker kept in ``data_dir/mqtt``, on the port it last listened on unless
        ``port`` is given."""
        folder = Path(data_dir) / FOLDER_NAME
        saved = folder / PORT_FILE
        if port is None and saved.is_file():
            port = int(saved.read_text(encoding="utf-8").strip())
        return cls(folder, port=port)

    @property
    def port_path(self) -> Path:
        """The port the broker last listened on."""
        return self.folder / PORT_FILE

    # -- Files ------------------------------------------------------------------------------

    @property
    def config_path(self) -> Path:
        """The ``mosquitto.conf`` written at each start."""
        return self.folder / "mosquitto.conf"

    @property
    def state_path(self) -> Path:
        """The dynamic-security plugin's JSON state (users, roles, access rules)."""
        return self.folder / "dynamic-security.json"

    @property
    def admin_path(self) -> Path:
        """The administrator's user name and password (mode 0600)."""
        return self.folder / "admin.json"

    @property
    def log_path(self) -> Path:
        """The broker's log."""
        return self.folder / "mosquitto.log"

    @property
    def _stderr_path(self) -> Path:
        return self.folder / "mosquitto.stderr"

    @property
    def _pid_path(self) -> Path:
        return self.folder / "mosquitto.pid"

    @property
    def admin(self) -> Broker:
        """The broker, as its administrator (created by the first :meth:`start`)."""
        try:
            saved = json.loads(self.admin_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(
                f"Chưa có tài khoản quản trị MQTT trong {self.folder}: hãy khởi động máy chủ.",
                f"No MQTT administrator in {self.folder} yet: start the broker first.",
            ) from None
        return self.broker(saved["username"], saved["password"])

    @property
    def server_path(self) -> Path:
        """The credentials of Dothi's own clients (server role; mode 0600)."""
        return self.folder / "server.json"

    def server(self) -> Broker:
        """The broker as Dothi's own clients use it (ingest, updates, simulator): a user with
        the server's role, made once through the plugin and kept in :attr:`server_path` so
        that every process of the data folder shares it without resetting it."""
        try:
            saved = json.loads(self.server_path.read_text(encoding="utf-8"))
            return self.broker(saved["username"], saved["password"])
        except FileNotFoundError:
            pass
        from dothi.sensors.mqtt.dynsec import DynSec  # the plugin's client needs this module

        with DynSec(self.admin) as dynsec:
            creds = dynsec.provision_server()
        _write_private(
            self.server_path,
            json.dumps({"username": creds.username, "password": creds.password}),
        )
        return self.broker(creds.username, creds.password)

    def broker(self, username: str | None = None, password: str | None = None) -> Broker:
        """This broker's address, with the given credentials (none by default)."""
        return Broker(self.host, self.port, username=username, password=password)

    def _prepare(self, plugin: Path) -> None:
        for path in (self.folder, self.folder / "persistence"):
            path.mkdir(parents=True, exist_ok=True)
            path.chmod(0o700)
        # mosquitto reads a value up to the end of its line; a path with spaces or a line
        # break would be cut or read as another option.
        if any(ch.isspace() for ch in str(self.folder)):
            raise ConfigError(
                f"Thư mục của máy chủ MQTT không được chứa khoảng trắng: {self.folder}",
                f"The MQTT broker's folder may not contain spaces: {self.folder}",
            )
        if not self.state_path.exists():
            password = secrets.token_urlsafe(24)
            _write_private(
                self.admin_path,
                json.dumps({"username": ADMIN_USERNAME, "password": password}),
            )
            _write_private(
                self.state_path, json.dumps(initial_state(ADMIN_USERNAME, password), indent=2)
            )
        # As root, mosquitto would switch to the "mosquitto" user, who cannot write this
        # folder; it stays the user that runs Dothi and owns the data folder.
        user = pwd.getpwuid(os.geteuid()).pw_name
        lines = [
            "# Viết bởi Dothi ở mỗi lần khởi động / written by Dothi at each start",
            "per_listener_settings false",
            f"user {user}",
            f"listener {self.port} {self.host}",
            "allow_anonymous false",
            "persistence true",
            f"persistence_location {self.folder / 'persistence'}/",
            "autosave_interval 60",
            # Offline sessions of ingest workers keep what arrives meanwhile.
            "max_queued_messages 100000",
            "set_tcp_nodelay true",
            f"plugin {plugin}",
            f"plugin_opt_config_file {self.state_path}",
            f"log_dest file {self.log_path}",
            "log_type error",
            "log_type warning",
            "log_type notice",
            "log_type information",
            # Subscriptions go to $SYS/broker/log/M/subscribe too: the server learns which
            # $select variants of entity updates someone listens to.
            "log_dest topic",
            "log_type subscribe",
            "log_timestamp_format %Y-%m-%dT%H:%M:%S",
        ]
        _write_private(self.config_path, "\n".join(lines) + "\n")

    # -- Process ----------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        """Whether the broker process started here is alive."""
        return self._proc is not None and self._proc.poll() is None

    def start(self, timeout: float = 30.0) -> LocalBroker:
        """Start the broker (a no-op when it runs) and wait until it accepts
        connections; returns self."""
        if self.running:
            return self
        if not self.binary.exists():
            raise _missing(self.binary)
        plugin = find_plugin()
        if plugin is None:
            raise _missing(PLUGIN_PATTERN)
        self._stop_stale()
        for attempt in range(5):
            self._prepare(plugin)
            log_start = self.log_path.stat().st_size if self.log_path.exists() else 0
            fd = os.open(self._stderr_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as stderr:
                self._proc = subprocess.Popen(
                    [str(self.binary), "-c", str(self.config_path)],
                    stdin=subprocess.DEVNULL,
                    stdout=stderr,
                    stderr=stderr,
                    cwd=self.folder,
                    # Files the broker writes (its state with password hashes,
                    # persistence) are for its owner only.
                    umask=0o077,
                    # Ctrl+C in a terminal reaches Dothi, which stops the broker in order.
                    start_new_session=True,
                )
            self._pid_path.write_text(str(self._proc.pid), encoding="utf-8")
            if self._wait_listening(timeout, log_start):
                # Other Dothi processes of this data folder find the broker by it.
                self.port_path.write_text(str(self.port), encoding="utf-8")
                return self
            err = self._failure()
            # Another process may take a port chosen free before mosquitto binds it.
            if not self._fixed_port and "Address already in use" in err and attempt < 4:
                self.port = _free_port()
                continue
            raise ConfigError(
                f"Không khởi động được mosquitto trên cổng {self.port}: {err}",
                f"mosquitto did not start on port {self.port}: {err}",
            )
        raise AssertionError("unreachable")

    def _wait_listening(self, timeout: float, log_start: int) -> bool:
        """Wait until this process says it runs (its listener is open by then) and the
        port answers: another broker on the port would answer as well."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc is None or self._proc.poll() is not None:
                return False
            if self._says_running(log_start):
                try:
                    with socket.create_connection((self.host, self.port), timeout=1):
                        return True
                except OSError:
                    pass
            time.sleep(0.05)
        return False

    def _says_running(self, log_start: int) -> bool:
        try:
            with open(self.log_path, "rb") as f:
                f.seek(log_start)
                return b" running" in f.read()
        except FileNotFoundError:
            return False

    def _failure(self) -> str:
        """What went wrong (the end of stderr and of the log); stops the process."""
        proc, self._proc = self._proc, None
        if proc is not None:
            if proc.poll() is None:
                proc.kill()
            proc.wait(timeout=10)
        text = ""
        for path in (self._stderr_path, self.log_path):
            if path.exists():
                text += path.read_text(errors="replace") + "\n"
        tail = text.strip().splitlines()[-3:]
        return " | ".join(tail) or "?"

    def _stop_stale(self) -> None:
        """Stop a broker an earlier process left running on this folder (two brokers
        writing one persistence file would spoil it)."""
        try:
            pid = int(self._pid_path.read_text(encoding="utf-8"))
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except (FileNotFoundError, ValueError, ProcessLookupError):
            return
        if str(self.config_path).encode() not in cmdline:
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + 10
            while _alive(pid) and time.monotonic() < deadline:
                time.sleep(0.05)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the broker; it saves its sessions and queued messages first."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        with contextlib.suppress(FileNotFoundError):
            self._pid_path.unlink()

    def restart(self, timeout: float = 30.0) -> LocalBroker:
        """Stop and start again on the same port; sessions and users are kept."""
        self.stop()
        self._fixed_port = True
        return self.start(timeout)

    def __enter__(self) -> LocalBroker:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
