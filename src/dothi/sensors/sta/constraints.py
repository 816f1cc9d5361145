"""Rules between entities that the standard states and a single row cannot check: a
MultiDatastream's components (18-088 ``multi-datastream/constraints``) and the Thing's
Locations after a HistoricalLocation created by a client
(``create-update-delete/historical-location-manual-creation``)."""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import Connection, delete, func, select

from dothi.errors import InvalidInput
from dothi.sensors.sta.observations import RESULT_KINDS
from dothi.sensors.tables import TABLES

#: The observationType every MultiDatastream has.
COMPLEX = "http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_ComplexObservation"


def check_multi_datastream(conn: Connection, multi_id: int) -> None:
    """As many ObservedProperties as ``unitOfMeasurements`` and
    ``multiObservationDataTypes``, in one order; ``observationType`` is
    OM_ComplexObservation; every data type is one of the standard's observation types."""
    md = TABLES["sta_multi_datastream"]
    link = TABLES["sta_multi_datastream_property"]
    row = conn.execute(
        select(
            md.c.observation_type, md.c.units_of_measurement, md.c.multi_observation_data_types
        ).where(md.c.id == multi_id)
    ).one()
    where = f"MultiDatastream({multi_id})"
    if row.observation_type != COMPLEX:
        raise _bad(
            f"{where}.observationType phải là {COMPLEX}",
            f"{where}.observationType must be {COMPLEX}",
        )
    units = _list(row.units_of_measurement)
    if units is None or not all(isinstance(u, dict) for u in units):
        raise _bad(
            f"{where}.unitOfMeasurements phải là một mảng các đối tượng "
            "{name, symbol, definition} (null khi thành phần không có đơn vị)",
            f"{where}.unitOfMeasurements must be an array of {{name, symbol, definition}} "
            "objects (with nulls for a component without a unit)",
        )
    types = _list(row.multi_observation_data_types)
    if types is None or not all(t in RESULT_KINDS for t in types):
        raise _bad(
            f"{where}.multiObservationDataTypes phải là một mảng các observationType của "
            "chuẩn (…/OGC-OM/2.0/OM_Measurement, …)",
            f"{where}.multiObservationDataTypes must be an array of the standard's "
            "observation types (…/OGC-OM/2.0/OM_Measurement, …)",
        )
    properties = int(
        conn.execute(
            select(func.count()).select_from(link).where(link.c.multi_datastream_id == multi_id)
        ).scalar_one()
    )
    if not len(units) == len(types) == properties:
        raise _bad(
            f"{where} có {properties} ObservedProperties, {len(units)} unitOfMeasurements và "
            f"{len(types)} multiObservationDataTypes; ba số này phải bằng nhau và theo cùng "
            "thứ tự",
            f"{where} has {properties} ObservedProperties, {len(units)} unitOfMeasurements "
            f"and {len(types)} multiObservationDataTypes; the three must match, in one order",
        )


def moved_by_history(conn: Connection, history_id: int) -> None:
    """A HistoricalLocation made by a client: when it is the Thing's latest, the Thing's
    Locations become its Locations (an earlier one only records the past, 18-088 §10.2)."""
    hl = TABLES["sta_historical_location"]
    hll = TABLES["sta_historical_location_location"]
    tl = TABLES["sta_thing_location"]
    thing_id, time = conn.execute(
        select(hl.c.thing_id, hl.c.time).where(hl.c.id == history_id)
    ).one()
    locations = [
        int(i)
        for i in conn.execute(
            select(hll.c.location_id).where(hll.c.historical_location_id == history_id)
        ).scalars()
    ]
    if not locations:
        raise _bad(
            'HistoricalLocation cần ít nhất một Location (mới, hoặc {"@iot.id": …})',
            'A HistoricalLocation needs at least one Location (new, or {"@iot.id": …})',
        )
    later = conn.execute(
        select(hl.c.id).where(hl.c.thing_id == thing_id, hl.c.time > time).limit(1)
    ).first()
    if later is not None:
        return
    conn.execute(delete(tl).where(tl.c.thing_id == thing_id))
    for location_id in locations:
        conn.execute(tl.insert().values(thing_id=thing_id, location_id=location_id))


def _list(text: str | None) -> list[Any] | None:
    value = None if text is None else orjson.loads(text)
    return value if isinstance(value, list) else None


def _bad(vi: str, en: str) -> InvalidInput:
    return InvalidInput(vi + ".", en + ".")
