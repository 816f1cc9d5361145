"""Creating Observations in bulk with the dataArray format (OGC 18-088 §11.3,
``POST /CreateObservations``): one block per Datastream or MultiDatastream, its component
names, and rows of values. The back-fill path: every row is checked first, then all are
written in one batch (COPY on PostgreSQL); a bad row refuses the whole request, naming it,
so that nothing partial is stored.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from dothi.errors import InvalidInput
from dothi.sensors.sta.codec import dumps, result_columns
from dothi.sensors.sta.model import BY_NAME
from dothi.sensors.sta.observations import Stream, check_against, observation_row, stream_of
from dothi.sensors.sta.times import now_micros, parse_instant, parse_interval
from dothi.sensors.sta.writes import feature_from_location, require_exists
from dothi.sensors.store import ObservationRow, insert_observations

#: The components a row may carry.
COMPONENTS = (
    "phenomenonTime",
    "result",
    "resultTime",
    "resultQuality",
    "validTime",
    "parameters",
    "FeatureOfInterest/id",
)
#: Most observations in one request.
MAX_ROWS = 100_000


def create_observations(conn: Connection, data: Any, base: str) -> list[str]:
    """Store every row of every block; the new Observations' links, in order."""
    if not isinstance(data, list) or not data:
        raise InvalidInput(
            "CreateObservations nhận một mảng các khối {Datastream, components, dataArray}.",
            "CreateObservations takes an array of {Datastream, components, dataArray} blocks.",
        )
    rows: list[ObservationRow] = []
    now = now_micros()
    for b, block in enumerate(data):
        rows.extend(_block(conn, block, f"[{b}]", now))
        if len(rows) > MAX_ROWS:
            raise InvalidInput(
                f"Tối đa {MAX_ROWS} quan trắc mỗi yêu cầu; hãy chia nhỏ.",
                f"At most {MAX_ROWS} observations per request; split it.",
                status=413,
            )
    ids = insert_observations(conn, rows)
    return [f"{base}/Observations({i})" for i in ids]


def _block(conn: Connection, block: Any, where: str, now: int) -> list[ObservationRow]:
    if not isinstance(block, dict):
        raise _bad(where, "phải là một đối tượng", "must be an object")
    stream = _stream(conn, block, where)
    components = block.get("components")
    if (
        not isinstance(components, list)
        or "result" not in components
        or len(set(components)) != len(components)
        or any(c not in COMPONENTS for c in components)
    ):
        raise _bad(
            where + ".components",
            f"phải liệt kê các thành phần, có «result», trong số: {', '.join(COMPONENTS)}",
            f"must list the components, «result» among them, out of: {', '.join(COMPONENTS)}",
        )
    array = block.get("dataArray")
    if not isinstance(array, list):
        raise _bad(where + ".dataArray", "phải là một mảng", "must be an array")
    # The feature made from the Thing's Location, for rows that name none (looked up once).
    feature: int | None = None
    out = []
    known: set[int] = set()
    key = "multi_datastream_id" if stream.multi else "datastream_id"
    for n, values in enumerate(array):
        at = f"{where}.dataArray[{n}]"
        if not isinstance(values, list) or len(values) != len(components):
            raise _bad(
                at,
                f"phải có đúng {len(components)} giá trị theo components",
                f"must hold exactly {len(components)} values, as the components say",
            )
        cols: dict[str, Any] = {key: stream.id}
        for name, value in zip(components, values, strict=True):
            _component(conn, cols, name, value, at, known)
        if cols.get("feature_id") is None:
            if feature is None:
                feature = feature_from_location(conn, stream.thing_id)
            cols["feature_id"] = feature
        try:
            check_against(stream, cols)
        except InvalidInput as exc:
            raise _bad(at, exc.vi.rstrip("."), exc.en.rstrip(".")) from None
        out.append(observation_row(cols, now))
    return out


def _stream(conn: Connection, block: dict[str, Any], where: str) -> Stream:
    for name, multi in (("Datastream", False), ("MultiDatastream", True)):
        ref = block.get(name)
        if ref is None:
            continue
        if not isinstance(ref, dict) or not isinstance(ref.get("@iot.id"), int):
            raise _bad(f"{where}.{name}", 'phải là {"@iot.id": số}', 'must be {"@iot.id": number}')
        require_exists(conn, BY_NAME[name], ref["@iot.id"])
        ids = (None, ref["@iot.id"]) if multi else (ref["@iot.id"], None)
        return stream_of(conn, *ids)
    raise _bad(
        where, "thiếu Datastream hoặc MultiDatastream", "has no Datastream or MultiDatastream"
    )


def _component(
    conn: Connection, cols: dict[str, Any], name: str, value: Any, at: str, known: set[int]
) -> None:
    where = f"{at}.{name}"
    if name == "result":
        cols.update(result_columns(value, where))
    elif name == "phenomenonTime":
        if value is not None:
            cols["phenomenon_time_start"], cols["phenomenon_time_end"] = parse_interval(
                value, where
            )
    elif name == "resultTime":
        cols["result_time"] = None if value is None else parse_instant(value, where)
    elif name == "validTime":
        if value is not None:
            cols["valid_time_start"], cols["valid_time_end"] = parse_interval(value, where)
    elif name == "resultQuality":
        cols["result_quality"] = None if value is None else dumps(value)
    elif name == "parameters":
        if value is not None and not isinstance(value, dict):
            raise _bad(where, "phải là một đối tượng JSON", "must be a JSON object")
        cols["parameters"] = None if value is None else dumps(value)
    else:  # FeatureOfInterest/id
        if not isinstance(value, int) or isinstance(value, bool):
            raise _bad(where, "phải là @iot.id (số nguyên)", "must be an @iot.id (integer)")
        if value not in known:
            require_exists(conn, BY_NAME["FeatureOfInterest"], value)
            known.add(value)
        cols["feature_id"] = value


def _bad(where: str, vi: str, en: str) -> InvalidInput:
    return InvalidInput(f"CreateObservations{where}: {vi}.", f"CreateObservations{where}: {en}.")
