"""What sensors bring to Dothi: the SensorThings API under ``/sta/v1.1``, its tables and
the observations store, its audit actions."""

from __future__ import annotations

from pathlib import Path

from dothi.capability import Capability, Mount
from dothi.sensors import actions

_HERE = Path(__file__).parent

SENSORS = Capability(
    name="sensors",
    title_vi="Cảm biến và thiết bị",
    title_en="Sensors and actuators",
    mounts=(Mount("/sta/v1.1", "dothi.sensors.routes:router"),),
    migrations=_HERE / "migrations",
    audit_actions=actions.ACTIONS,
)
