"""What sensors bring to Dothi: the SensorThings API under ``/sta/v1.1``, the ``dothi
sensors`` commands (MQTT ingest, private broker, device credentials) and ``dothi simulate``,
the ``/sensors`` API of the map's sensor layer, its tables and the observations store, its
audit actions."""

from __future__ import annotations

from pathlib import Path

from dothi.capability import Capability, Mount
from dothi.sensors import actions
from dothi.sensors.commands import sensors_group
from dothi.sensors.simulate.command import simulate_command

_HERE = Path(__file__).parent

SENSORS = Capability(
    name="sensors",
    title_vi="Cảm biến và thiết bị",
    title_en="Sensors and actuators",
    mounts=(
        Mount("/sta/v1.1", "dothi.sensors.routes:router"),
        Mount("/sensors", "dothi.sensors.api:router"),
    ),
    commands=(sensors_group, simulate_command),
    migrations=_HERE / "migrations",
    audit_actions=actions.ACTIONS,
    startup="dothi.sensors.routes:start_updates",
)
