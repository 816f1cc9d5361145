"""Tasks checked against their TaskingCapability (OGC 17-079): the capability's
``taskingParameters`` is a SWE Common ``DataRecord`` whose fields say what a task may set
(a streetlight group's dim level 0–100 %, a pump's ``on``/``off``); a task that sets an
unknown field, a value of the wrong type or outside its constraint is refused before it
reaches a device."""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import Connection, select

from dothi.errors import InvalidInput, NotFound
from dothi.sensors.tables import tasking_capability

_NUMERIC = ("Quantity", "Count")


def check_task(conn: Connection, capability_id: int, parameters: dict[str, Any]) -> None:
    """Refuse ``parameters`` the capability does not describe."""
    raw = conn.execute(
        select(tasking_capability.c.tasking_parameters).where(
            tasking_capability.c.id == capability_id
        )
    ).scalar()
    if raw is None:
        raise NotFound(
            f"Không có TaskingCapability với @iot.id {capability_id}.",
            f"No TaskingCapability with @iot.id {capability_id}.",
        )
    fields = _fields(orjson.loads(raw))
    if fields is None:
        return  # a capability that describes no fields takes any parameters
    for name, value in parameters.items():
        spec = fields.get(name)
        if spec is None:
            raise InvalidInput(
                f"Tham số «{name}» không có trong khả năng điều khiển ({', '.join(fields)}).",
                f"Parameter '{name}' is not one of the capability's ({', '.join(fields)}).",
            )
        _check_value(name, spec, value)


def _fields(record: Any) -> dict[str, dict[str, Any]] | None:
    items = record.get("field") if isinstance(record, dict) else None
    if not isinstance(items, list):
        return None
    return {f["name"]: f for f in items if isinstance(f, dict) and isinstance(f.get("name"), str)}


def _check_value(name: str, spec: dict[str, Any], value: Any) -> None:
    kind = spec.get("type")
    constraint = spec.get("constraint") or {}
    if kind in _NUMERIC:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _bad(name, "phải là số", "must be a number")
        if kind == "Count" and not float(value).is_integer():
            raise _bad(name, "phải là số nguyên", "must be an integer")
        interval = constraint.get("interval")
        if (
            isinstance(interval, list)
            and len(interval) == 2
            and not (interval[0] <= value <= interval[1])
        ):
            raise _bad(
                name,
                f"phải trong khoảng {interval[0]}–{interval[1]}",
                f"must lie within {interval[0]}–{interval[1]}",
            )
    elif kind == "Boolean":
        if not isinstance(value, bool):
            raise _bad(name, "phải là true hoặc false", "must be true or false")
    elif kind in ("Category", "Text"):
        allowed = constraint.get("value")
        if not isinstance(value, str):
            raise _bad(name, "phải là chuỗi", "must be a string")
        if isinstance(allowed, list) and value not in allowed:
            raise _bad(name, f"phải là một trong {allowed}", f"must be one of {allowed}")


def _bad(name: str, vi: str, en: str) -> InvalidInput:
    return InvalidInput(f"Tham số «{name}» {vi}.", f"Parameter '{name}' {en}.")
