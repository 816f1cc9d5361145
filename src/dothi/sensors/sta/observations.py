"""Observations as they are written: the result checked against the stream's observation
type (and a MultiDatastream's components), times defaulted, future readings flagged."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Connection, select

from dothi.errors import InvalidInput, NotFound
from dothi.sensors.sta.codec import BOOLEAN, JSON, NUMBER, STRING
from dothi.sensors.sta.times import now_micros
from dothi.sensors.store import ObservationRow
from dothi.sensors.tables import datastream, multi_datastream

_OM = "http://www.opengis.net/def/observationType/OGC-OM/2.0/"
#: The result kinds each observation type admits (OGC 18-088 Table 13).
RESULT_KINDS: dict[str, tuple[int, ...]] = {
    _OM + "OM_Measurement": (NUMBER,),
    _OM + "OM_CountObservation": (NUMBER,),
    _OM + "OM_CategoryObservation": (STRING,),
    _OM + "OM_TruthObservation": (BOOLEAN,),
    _OM + "OM_Observation": (NUMBER, STRING, BOOLEAN, JSON),
    _OM + "OM_ComplexObservation": (JSON,),
}
#: Readings this far ahead of the server's clock are kept but flagged.
FUTURE_TOLERANCE_US = 5 * 60 * 1_000_000


@dataclass(frozen=True)
class Stream:
    """What a result is checked against."""

    id: int
    multi: bool
    thing_id: int
    observation_type: str
    #: A MultiDatastream's component types, in order.
    component_types: tuple[str, ...] = ()


def stream_of(conn: Connection, datastream_id: int | None, multi_id: int | None) -> Stream:
    """The Datastream or MultiDatastream an observation belongs to; NotFound."""
    if datastream_id is not None:
        row = conn.execute(
            select(datastream.c.thing_id, datastream.c.observation_type).where(
                datastream.c.id == datastream_id
            )
        ).first()
        if row is None:
            raise _missing("Datastream", datastream_id)
        return Stream(datastream_id, False, int(row.thing_id), row.observation_type)
    row = conn.execute(
        select(multi_datastream.c.thing_id, multi_datastream.c.multi_observation_data_types).where(
            multi_datastream.c.id == multi_id
        )
    ).first()
    if row is None or multi_id is None:
        raise _missing("MultiDatastream", multi_id)
    types = tuple(orjson.loads(row.multi_observation_data_types))
    return Stream(multi_id, True, int(row.thing_id), _OM + "OM_ComplexObservation", types)


def check_result(conn: Connection, values: dict[str, Any]) -> Stream:
    """Check the result columns in ``values`` against the stream's type; the stream."""
    stream = stream_of(conn, values.get("datastream_id"), values.get("multi_datastream_id"))
    check_against(stream, values)
    return stream


def check_against(stream: Stream, values: dict[str, Any]) -> None:
    """Check the result columns in ``values`` against ``stream``'s observation type."""
    kind = values["result_kind"]
    if stream.multi:
        result = orjson.loads(values["result_json"]) if kind == JSON else None
        _check_components(stream, result)
        return
    allowed = RESULT_KINDS.get(stream.observation_type)
    if allowed is not None and kind not in allowed:
        raise InvalidInput(
            f"Kết quả không hợp với observationType của Datastream({stream.id}) "
            f"({stream.observation_type.rsplit('/', 1)[-1]}).",
            f"The result does not match the observationType of Datastream({stream.id}) "
            f"({stream.observation_type.rsplit('/', 1)[-1]}).",
        )
    if (
        stream.observation_type.endswith("OM_CountObservation")
        and not float(values["result_number"]).is_integer()
    ):
        raise InvalidInput(
            "Kết quả của OM_CountObservation phải là số nguyên.",
            "The result of an OM_CountObservation must be an integer.",
        )


def _check_components(stream: Stream, result: Any) -> None:
    n = len(stream.component_types)
    if not isinstance(result, list) or len(result) != n:
        raise InvalidInput(
            f"Kết quả của MultiDatastream({stream.id}) phải là mảng {n} giá trị.",
            f"The result of MultiDatastream({stream.id}) must be an array of {n} values.",
        )
    for k, (value, kind) in enumerate(zip(result, stream.component_types, strict=True)):
        allowed = RESULT_KINDS.get(kind, (NUMBER, STRING, BOOLEAN, JSON))
        got = _kind(value)
        if got not in allowed:
            raise InvalidInput(
                f"Giá trị thứ {k + 1} của kết quả không hợp với {kind.rsplit('/', 1)[-1]}.",
                f"Value {k + 1} of the result does not match {kind.rsplit('/', 1)[-1]}.",
            )


def _kind(value: Any) -> int:
    if isinstance(value, bool):
        return BOOLEAN
    if isinstance(value, int | float):
        return NUMBER
    return STRING if isinstance(value, str) else JSON


def observation_row(values: dict[str, Any], now: int | None = None) -> ObservationRow:
    """The stored row: phenomenonTime defaults to now (§8.2.6); a time beyond the
    tolerance ahead of the server's clock is flagged."""
    now = now_micros() if now is None else now
    start = values.get("phenomenon_time_start")
    start = now if start is None else start
    return ObservationRow(
        datastream_id=values.get("datastream_id"),
        multi_datastream_id=values.get("multi_datastream_id"),
        feature_id=values.get("feature_id"),
        phenomenon_time_start=start,
        phenomenon_time_end=values.get("phenomenon_time_end"),
        result_time=values.get("result_time"),
        valid_time_start=values.get("valid_time_start"),
        valid_time_end=values.get("valid_time_end"),
        result_kind=values["result_kind"],
        result_number=values.get("result_number"),
        result_text=values.get("result_text"),
        result_json=values.get("result_json"),
        result_quality=values.get("result_quality"),
        parameters=values.get("parameters"),
        flagged=start > now + FUTURE_TOLERANCE_US,
    )


def _missing(name: str, entity_id: int | None) -> NotFound:
    return NotFound(
        f"Không có {name} với @iot.id {entity_id}.", f"No {name} with @iot.id {entity_id}."
    )
