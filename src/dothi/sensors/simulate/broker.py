"""The broker the simulator publishes to: ``DOTHI_MQTT_URL`` (its user must be allowed to
publish under ``v1.1/``), or the private mosquitto of the data folder, on which the
simulator gets a user of its own with the server's rights (a new password each run,
never printed)."""

from __future__ import annotations

import os
import re
import socket
from collections.abc import Mapping
from pathlib import Path

from dothi.errors import ConfigError
from dothi.sensors.mqtt.dynsec import DynSec
from dothi.sensors.mqtt.local import LocalBroker
from dothi.sensors.mqtt.settings import Broker, broker_from_env

SIMULATOR_USER = "dothi-simulator"
_LISTENER = re.compile(r"^listener\s+(\d+)\s+127\.0\.0\.1\s*$", re.MULTILINE)


def running_local_port(data_dir: Path) -> int | None:
    """The port of the data folder's private broker if it runs (read from the
    configuration it was last started with, then checked by connecting)."""
    conf = LocalBroker.in_data_folder(data_dir, port=1).config_path
    try:
        m = _LISTENER.search(conf.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    if m is None:
        return None
    port = int(m.group(1))
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return port
    except OSError:
        return None


def as_simulator(local: LocalBroker, username: str = SIMULATOR_USER) -> Broker:
    """``local`` as a user with the server's rights (made or reset now)."""
    with DynSec(local.admin) as dynsec:
        creds = dynsec.provision_server(username=username)
    return local.broker(creds.username, creds.password)


def simulator_broker(data_dir: Path, environ: Mapping[str, str] | None = None) -> Broker:
    """Where ``dothi simulate`` publishes (see the module's docstring)."""
    given = broker_from_env(os.environ if environ is None else environ)
    if given is not None:
        return given
    port = running_local_port(data_dir)
    if port is None:
        raise ConfigError(
            "Máy chủ MQTT riêng của thư mục dữ liệu chưa chạy: chạy `dothi sensors broker` "
            "(và `dothi sensors ingest` để lưu quan trắc), đặt DOTHI_MQTT_URL, hoặc dùng "
            "--transport http hay --transport db.",
            "The data folder's private MQTT broker is not running: start `dothi sensors "
            "broker` (and `dothi sensors ingest` to store the readings), set DOTHI_MQTT_URL, "
            "or use --transport http or --transport db.",
        )
    return as_simulator(LocalBroker.in_data_folder(data_dir, port=port))
