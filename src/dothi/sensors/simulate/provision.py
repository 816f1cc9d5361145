"""Creating a fleet's Things — with their Location, Datastreams and, for streetlights, a
dimming TaskingCapability — through the SensorThings service layer
(:func:`dothi.sensors.sta.writes.create`, deep insert), a few hundred per transaction;
and reading a fleet back as devices.

ObservedProperties come from the domain profiles (``data/profiles.json``), one per
property, shared by every device; each kind of device has one Sensor. A Thing tied to a
feature of the urban database (a road, a building, a ward) says so in ``layer_id`` and
``fid``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import orjson
from sqlalchemy import Connection, select

from dothi.auth.audit import audit
from dothi.auth.policy import operator
from dothi.db.engine import Database
from dothi.sensors.actions import STA_CREATE
from dothi.sensors.profiles import PropertyProfile, properties
from dothi.sensors.simulate.devices import KINDS, Device
from dothi.sensors.simulate.placement import Plan
from dothi.sensors.simulate.series import Replay
from dothi.sensors.sta.codec import decode
from dothi.sensors.sta.model import BY_NAME
from dothi.sensors.sta.writes import Created, create
from dothi.sensors.tables import (
    actuator,
    datastream,
    observed_property,
    sensor,
    tasking_capability,
    thing,
)

#: Things per transaction: large enough to be quick, small enough not to hold SQLite's
#: write lock for long.
BATCH = 250
GEOJSON = "application/geo+json"
_ACTUATOR = "Bộ điều khiển đèn đường (mô phỏng) / streetlight controller (simulated)"
#: Thresholds a Datastream carries when its place needs other than the profile's.
_CANAL_THRESHOLDS = {"alert": 1.5, "clear": 1.3, "note": "minh họa / illustrative"}
SIMULATED_NOTE = {
    "vi": "Dữ liệu mô phỏng, không phải số đo thật.",
    "en": "Simulated data, not real measurements.",
}
_DIMMING = {
    "type": "DataRecord",
    "field": [
        {
            "name": "dim",
            "label": "Mức sáng / dim level",
            "description": "Độ sáng của đèn, 0–100 % / the lamp's brightness, 0–100 %",
            "type": "Quantity",
            "uom": {"code": "%"},
            "constraint": {"type": "AllowedValues", "interval": [[0, 100]]},
        },
        {
            "name": "state",
            "label": "Trạng thái / state",
            "description": "on, off, hoặc auto (theo lịch) / or auto (by the schedule)",
            "type": "Category",
            "constraint": {"type": "AllowedTokens", "value": ["on", "off", "auto"]},
        },
        {
            "name": "duration",
            "label": "Thời lượng (phút) / duration (minutes)",
            "description": "Bỏ trống: tới lần bật/tắt tiếp theo theo lịch / empty: until "
            "the next scheduled switch",
            "type": "Quantity",
            "uom": {"code": "min"},
        },
    ],
}


def _dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def _one(conn: Connection, stmt: Any) -> int | None:
    found = conn.execute(stmt.limit(1)).scalar()
    return None if found is None else int(found)


def _create(conn: Connection, entity: str, data: dict[str, Any], created: Created) -> int:
    return create(conn, decode(BY_NAME[entity], data, where=entity), created)


def _observed_properties(conn: Connection, created: Created) -> dict[str, int]:
    """The ObservedProperty of every profile property (found by its definition, or made)."""
    out = {}
    for key, p in properties().items():
        found = _one(
            conn,
            select(observed_property.c.id).where(observed_property.c.definition == p.definition),
        )
        out[key] = (
            found
            if found is not None
            else _create(conn, "ObservedProperty", p.observed_property(), created)
        )
    return out


def _sensors(conn: Connection, created: Created) -> dict[str, int]:
    """One Sensor per kind of device (found by its name, or made)."""
    out = {}
    for kind in KINDS.values():
        name = f"{kind.sensor_vi} / {kind.sensor_en}"
        found = _one(conn, select(sensor.c.id).where(sensor.c.name == name))
        if found is None:
            found = _create(
                conn,
                "Sensor",
                {
                    "name": name,
                    "description": kind.sensor_en,
                    "encodingType": "text/html",
                    "metadata": f"{kind.sensor_vi}. {kind.sensor_en}.",
                    "properties": {"simulated": kind.simulated, "kind": kind.name},
                },
                created,
            )
        out[kind.name] = found
    return out


def _actuator(conn: Connection, created: Created) -> int:
    found = _one(conn, select(actuator.c.id).where(actuator.c.name == _ACTUATOR))
    if found is not None:
        return found
    return _create(
        conn,
        "Actuator",
        {
            "name": _ACTUATOR,
            "description": "Nhận lệnh giảm sáng / takes dimming tasks",
            "encodingType": "text/html",
            "metadata": "Bộ điều khiển mô phỏng. Simulated controller.",
            "properties": {"simulated": True},
        },
        created,
    )


def _datastream(
    plan: Plan, key: str, p: PropertyProfile, sensor_id: int, op_id: int, simulated: bool
) -> dict[str, Any]:
    props: dict[str, Any] = {"key": key, "simulated": simulated}
    if plan.kind == "canal":
        props["thresholds"] = _CANAL_THRESHOLDS
    if key == "energy":
        props["window_minutes"] = 15
    description = f"{p.name_vi} / {p.name_en}"
    if key == "energy":
        description += " — trong 15 phút trước thời điểm đo / in the 15 minutes before the reading"
    if plan.kind == "air_replay":
        description += " — trung bình 1 giờ / 1-hour mean"
    if key in KINDS[plan.kind].on_change:
        description += " — gửi khi thay đổi / reported when it changes"
        props["on_change"] = True
    return {
        "name": f"{plan.name} – {p.name_vi}",
        "description": description,
        "observationType": p.observation_type,
        "unitOfMeasurement": p.unit_of_measurement(),
        "properties": props,
        "Sensor": {"@iot.id": sensor_id},
        "ObservedProperty": {"@iot.id": op_id},
    }


def thing_json(
    plan: Plan, fleet: str, sensors: dict[str, int], ops: dict[str, int], actuator_id: int
) -> dict[str, Any]:
    """The deep-insert JSON of a planned device's Thing."""
    kind = KINDS[plan.kind]
    profile = properties()
    keys = plan.params.get("streams") or list(kind.keys)
    props: dict[str, Any] = {
        "simulated": kind.simulated,
        "fleet": fleet,
        "kind": kind.name,
        "simulation": {"kind": kind.name, "params": plan.params},
    }
    if kind.simulated:
        props["note"] = SIMULATED_NOTE
    else:
        r = plan.params["replay"]
        props["replay"] = Replay(r["source"], int(r["shift"]), int(r["loop"])).describe()
    data: dict[str, Any] = {
        "name": plan.name,
        "description": f"{kind.name_vi} / {kind.name_en}",
        "properties": props,
        "Locations": [
            {
                "name": plan.place,
                "description": f"Vị trí của {plan.name} / location",
                "encodingType": GEOJSON,
                "location": {"type": "Point", "coordinates": [plan.lon, plan.lat]},
            }
        ],
        "Datastreams": [
            _datastream(plan, k, profile[k], sensors[kind.name], ops[k], kind.simulated)
            for k in keys
        ],
    }
    if kind.name == "light":
        data["TaskingCapabilities"] = [
            {
                "name": f"Điều khiển độ sáng – {plan.name}",
                "description": "Giảm sáng, bật, tắt đèn / dim, switch the lamp on or off",
                "taskingParameters": _DIMMING,
                "properties": {"simulated": True},
                "Actuator": {"@iot.id": actuator_id},
            }
        ]
    return data


def provision(
    db: Database,
    plans: Sequence[Plan],
    fleet: str,
    *,
    who: str = "simulator",
    on_batch: Callable[[int], None] | None = None,
) -> list[int]:
    """Create the Things of ``plans`` (``properties.fleet`` = ``fleet``); their ids. Each
    batch is one transaction, audited once."""
    ids: list[int] = []
    for at in range(0, len(plans), BATCH):
        batch = plans[at : at + BATCH]
        with db.write() as conn:
            created = Created()
            sensors, ops = _sensors(conn, created), _observed_properties(conn, created)
            actuator_id = _actuator(conn, created)
            for plan in batch:
                item = decode(
                    BY_NAME["Thing"],
                    thing_json(plan, fleet, sensors, ops, actuator_id),
                    where="Thing",
                )
                # Columns of the row beyond the standard's properties: the feature it is on.
                item.values.update(layer_id=plan.layer_id, fid=plan.fid)
                ids.append(create(conn, item, created))
            audit(conn, operator(who), STA_CREATE, target=f"Things×{len(batch)} ({fleet})")
        if on_batch is not None:
            on_batch(len(ids))
    return ids


def load_fleet(conn: Connection, fleet: str | None = None) -> list[Device]:
    """The simulated devices of the database (of one ``fleet``, or all), in id order."""
    rows = conn.execute(
        select(thing.c.id, thing.c.properties)
        .where(thing.c.properties.like('%"simulation":%'))
        .order_by(thing.c.id)
    )
    devices: dict[int, Device] = {}
    for thing_id, text in rows:
        props = orjson.loads(text) if text else {}
        sim = props.get("simulation")
        if not isinstance(sim, dict) or sim.get("kind") not in KINDS:
            continue
        if fleet is not None and props.get("fleet") != fleet:
            continue
        devices[int(thing_id)] = Device(int(thing_id), KINDS[sim["kind"]], dict(sim["params"]), {})
    if not devices:
        return []
    for ds_id, thing_id, text in conn.execute(
        select(datastream.c.id, datastream.c.thing_id, datastream.c.properties)
    ):
        device = devices.get(int(thing_id))
        key = (orjson.loads(text) if text else {}).get("key")
        if device is not None and key:
            device.streams[str(key)] = int(ds_id)
    for tc_id, thing_id in conn.execute(
        select(tasking_capability.c.id, tasking_capability.c.thing_id)
    ):
        device = devices.get(int(thing_id))
        if device is not None:
            device.tasking_id = int(tc_id)
    return list(devices.values())
