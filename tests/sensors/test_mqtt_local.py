"""The local mosquitto: private files, anonymous clients refused, clear errors."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from mqtt_broker import have_clients, mosquitto_pub, mosquitto_sub

from dothi.errors import ConfigError, Unauthorized
from dothi.sensors.mqtt.client import connect, new_client
from dothi.sensors.mqtt.dynsec import DynSec, anonymous_refused
from dothi.sensors.mqtt.local import ADMIN_USERNAME, FOLDER_NAME, LocalBroker

pytest_plugins = ["mqtt_broker"]


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_files_are_private_and_the_admin_password_is_not_written_in_clear(
    mqtt_broker: LocalBroker, dynsec: DynSec
) -> None:
    # A command makes the plugin write its state again: it must stay private too.
    dynsec.provision_server()
    admin = json.loads(mqtt_broker.admin_path.read_text())
    assert admin["username"] == ADMIN_USERNAME and len(admin["password"]) >= 32
    for path in (mqtt_broker.admin_path, mqtt_broker.state_path, mqtt_broker.config_path):
        assert _mode(path) == 0o600, path
    assert _mode(mqtt_broker.folder) == 0o700
    for path in (mqtt_broker.state_path, mqtt_broker.config_path, mqtt_broker.log_path):
        assert admin["password"] not in path.read_text(), path
    config = mqtt_broker.config_path.read_text().splitlines()
    assert f"listener {mqtt_broker.port} 127.0.0.1" in config
    assert "allow_anonymous false" in config
    assert "persistence true" in config


def test_anonymous_clients_are_refused(mqtt_broker: LocalBroker) -> None:
    have_clients()
    anonymous = mqtt_broker.broker()
    with pytest.raises(Unauthorized) as info:
        connect(new_client(anonymous), anonymous)
    assert "Not authorized" in info.value.en and "từ chối" in info.value.vi
    assert anonymous_refused(anonymous)
    published = mosquitto_pub(anonymous, "v1.1/Datastreams(1)/Observations", '{"result": 1}')
    assert published.returncode != 0
    assert "Not authorized" in published.stderr + published.stdout
    sub = mosquitto_sub(anonymous, "v1.1/#")
    out, err = sub.communicate(timeout=30)
    assert sub.returncode != 0 and "Not authorized" in out + err


def test_a_wrong_admin_password_is_refused(mqtt_broker: LocalBroker) -> None:
    wrong = mqtt_broker.broker(ADMIN_USERNAME, "not-the-password")
    with pytest.raises(Unauthorized):
        DynSec(wrong).open()


def test_missing_mosquitto_says_how_to_install_it(tmp_path: Path) -> None:
    broker = LocalBroker(tmp_path / FOLDER_NAME, binary=tmp_path / "no-mosquitto")
    with pytest.raises(ConfigError) as info:
        broker.start()
    assert "scripts/dev.sh setup" in info.value.en
    assert "scripts/dev.sh setup" in info.value.vi and "Hãy chạy" in info.value.vi
    with pytest.raises(ConfigError):
        _ = broker.admin  # nothing was created


def test_a_taken_port_is_a_clear_error(tmp_path: Path, mqtt_broker: LocalBroker) -> None:
    clash = LocalBroker(tmp_path / FOLDER_NAME, port=mqtt_broker.port)
    with pytest.raises(ConfigError) as info:
        clash.start(timeout=10)
    assert f"port {mqtt_broker.port}" in info.value.en
    assert not clash.running


def test_in_data_folder_and_a_second_start_keep_the_administrator(tmp_path: Path) -> None:
    broker = LocalBroker.in_data_folder(tmp_path)
    assert broker.folder == tmp_path / FOLDER_NAME
    with broker:
        first = broker.admin
        with DynSec(first) as ds:
            ds.provision_server(password="kept-across-restarts")
    assert not broker.running
    again = LocalBroker.in_data_folder(tmp_path, port=broker.port)
    with again:
        assert again.admin.password == first.password
        server = again.broker("dothi-server", "kept-across-restarts")
        client = new_client(server)
        connect(client, server)
        client.disconnect()
        client.loop_stop()


def test_a_broker_left_running_on_the_folder_is_stopped_first(tmp_path: Path) -> None:
    # As after a Dothi process that died without stopping its broker.
    left = LocalBroker(tmp_path / FOLDER_NAME).start()
    try:
        again = LocalBroker(tmp_path / FOLDER_NAME).start()
        try:
            assert not left.running and again.running
            with DynSec(again.admin) as ds:
                assert ds.get_client(ADMIN_USERNAME) is not None
        finally:
            again.stop()
    finally:
        left.stop()
