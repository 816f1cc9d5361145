"""What sensors bring to Dothi: the SensorThings API under ``/sta/v1.1``, the ``dothi
sensors`` commands (MQTT ingest, private broker, device credentials), its tables and the
observations store, its audit actions."""

from __future__ import annotations

from pathlib import Path

from dothi.capability import Capability, Mount
from dothi.sensors import actions
from dothi.sensors.commands import sensors_group

_HERE = Path(__file__).parent

SENSORS = Capability(
    name="sensors",
    title_vi="Cảm biến và thiết bị",
    title_en="Sensors and actuators",
    mounts=(Mount("/sta/v1.1", "dothi.sensors.routes:router"),),
    commands=(sensors_group,),
    migrations=_HERE / "migrations",
    audit_actions=actions.ACTIONS,
    startup="dothi.sensors.routes:start_updates",
)
