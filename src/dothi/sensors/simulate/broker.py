"""The broker the simulator publishes to: ``DOTHI_MQTT_URL`` (its user must be allowed to
publish under ``v1.1/``), or the private mosquitto of the data folder, as Dothi's own
clients use it (:func:`dothi.sensors.devices.server_broker`)."""

from __future__ import annotations

from dothi.config import Settings
from dothi.sensors.devices import require_server_broker
from dothi.sensors.mqtt.settings import Broker


def simulator_broker(settings: Settings) -> Broker:
    """Where ``dothi simulate`` publishes (see the module's docstring)."""
    return require_server_broker(settings)
