"""Updating and deleting SensorThings entities (OGC 18-088 §10.3, §10.4): PATCH as a merge,
PATCH as JSON Patch (RFC 6902), PUT as a replacement, DELETE with the standard's cascades.
All in the caller's transaction."""

from __future__ import annotations

import copy
from typing import Any

from sqlalchemy import Connection, delete, func, select, update

from dothi.errors import Conflict, InvalidInput, NotFound
from dothi.sensors.sta.codec import Decoded, decode, encode
from dothi.sensors.sta.constraints import check_multi_datastream
from dothi.sensors.sta.model import EntityType
from dothi.sensors.sta.observations import check_result
from dothi.sensors.sta.writes import Created, add_historical_location, create, link_pair
from dothi.sensors.tables import TABLES, datastream, multi_datastream, observation


def current_row(conn: Connection, entity: EntityType, entity_id: int) -> Any:
    """The stored row; :class:`NotFound` if there is none."""
    table = TABLES[entity.table]
    row = conn.execute(select(table).where(table.c.id == entity_id)).mappings().first()
    if row is None:
        raise NotFound(
            f"Không có {entity.name} với @iot.id {entity_id}.",
            f"No {entity.name} with @iot.id {entity_id}.",
        )
    return row


def patch(
    conn: Connection, entity: EntityType, entity_id: int, data: Any, created: Created
) -> None:
    """Merge ``data`` into the entity: only the properties and links it names change."""
    row = current_row(conn, entity, entity_id)
    item = decode(entity, data, where=entity.name, partial=True, root=True)
    _apply(conn, entity, entity_id, row, item, created)


def put(conn: Connection, entity: EntityType, entity_id: int, data: Any, created: Created) -> None:
    """Replace the entity's properties by ``data`` (optional ones left out become null)."""
    row = current_row(conn, entity, entity_id)
    item = decode(entity, data, where=entity.name, root=True)
    for prop in entity.props:
        if prop.name in data or prop.kind in ("derived", "result"):
            continue
        if prop.kind == "interval":
            item.values.setdefault(f"{prop.column}_start", None)
            item.values.setdefault(f"{prop.column}_end", None)
        else:
            item.values.setdefault(prop.column, None)
    _apply(conn, entity, entity_id, row, item, created)


def json_patch(
    conn: Connection, entity: EntityType, entity_id: int, ops: Any, created: Created
) -> None:
    """Apply RFC 6902 operations to the entity's properties."""
    row = current_row(conn, entity, entity_id)
    doc = {
        k: v
        for k, v in encode(entity, row, "").items()
        if not k.startswith("@iot.") and not k.endswith("@iot.navigationLink")
    }
    derived = {p.name for p in entity.props if p.kind == "derived"}
    after = apply_json_patch(doc, ops)
    changed = {k: v for k, v in after.items() if k not in derived and (k not in doc or doc[k] != v)}
    removed = [k for k in doc if k not in after]
    for name in removed:
        prop = entity.prop(name)
        if prop is None or prop.required:
            raise InvalidInput(
                f"JSON Patch: không thể xóa «{name}».", f"JSON Patch: '{name}' cannot be removed."
            )
        changed[name] = None
    item = decode(entity, changed, where=entity.name, partial=True, root=True)
    _apply(conn, entity, entity_id, row, item, created)


def apply_json_patch(doc: dict[str, Any], ops: Any) -> dict[str, Any]:
    """``doc`` after the RFC 6902 operations ``ops`` (add, remove, replace, move, copy, test)."""
    if not isinstance(ops, list):
        raise InvalidInput("JSON Patch phải là một mảng thao tác.", "A JSON Patch is an array.")
    out = copy.deepcopy(doc)
    for n, op in enumerate(ops):
        if not isinstance(op, dict) or op.get("op") not in (
            "add",
            "remove",
            "replace",
            "move",
            "copy",
            "test",
        ):
            raise InvalidInput(
                f"JSON Patch: thao tác {n} không hợp lệ.", f"JSON Patch: operation {n} is invalid."
            )
        kind = op["op"]
        parent, key = _pointer(out, op.get("path"), n)
        if kind in ("add", "replace", "test") and "value" not in op:
            raise InvalidInput(
                f"JSON Patch: thao tác {n} thiếu «value».",
                f"JSON Patch: operation {n} has no 'value'.",
            )
        if kind == "test":
            if _get(parent, key, n) != op["value"]:
                raise Conflict(
                    f"JSON Patch: phép thử {n} không đạt.", f"JSON Patch: test {n} failed."
                )
        elif kind in ("add", "replace"):
            if kind == "replace":
                _get(parent, key, n)
            _put(parent, key, copy.deepcopy(op["value"]))
        elif kind == "remove":
            _get(parent, key, n)
            _remove(parent, key)
        else:  # move, copy
            src_parent, src_key = _pointer(out, op.get("from"), n)
            value = copy.deepcopy(_get(src_parent, src_key, n))
            if kind == "move":
                _remove(src_parent, src_key)
            _put(parent, key, value)
    return out


def _pointer(doc: Any, path: Any, n: int) -> tuple[Any, str]:
    if not isinstance(path, str) or not path.startswith("/"):
        raise InvalidInput(
            f"JSON Patch: đường dẫn của thao tác {n} phải bắt đầu bằng «/».",
            f"JSON Patch: the path of operation {n} must start with '/'.",
        )
    parts = [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]
    node = doc
    for part in parts[:-1]:
        node = _get(node, part, n)
    return node, parts[-1]


def _get(node: Any, key: str, n: int) -> Any:
    try:
        return node[int(key)] if isinstance(node, list) else node[key]
    except (KeyError, IndexError, ValueError, TypeError):
        raise InvalidInput(
            f"JSON Patch: thao tác {n} trỏ tới «{key}» không có.",
            f"JSON Patch: operation {n} points at '{key}', which is not there.",
        ) from None


def _put(node: Any, key: str, value: Any) -> None:
    if isinstance(node, list):
        node.insert(len(node) if key == "-" else int(key), value)
    else:
        node[key] = value


def _remove(node: Any, key: str) -> None:
    if isinstance(node, list):
        node.pop(int(key))
    else:
        del node[key]


def _apply(
    conn: Connection,
    entity: EntityType,
    entity_id: int,
    row: Any,
    item: Decoded,
    created: Created,
) -> None:
    values = dict(item.values)
    if item.geometry is not None:
        values["geom"] = item.geometry
    for name, given in item.links.items():
        nav = entity.nav(name)
        assert nav is not None
        if nav.local is not None:
            values[nav.local] = create(conn, given[0], created)
        elif nav.link is not None:
            ids = [create(conn, child, created) for child in given]
            link_table, this_col, _ = nav.link
            table = TABLES[link_table]
            conn.execute(delete(table).where(table.c[this_col] == entity_id))
            for n, other in enumerate(ids):
                link_pair(conn, nav, entity_id, other, position=n)
            if entity.name == "Thing" and name == "Locations":
                add_historical_location(conn, entity_id, ids, created)
        else:
            raise InvalidInput(
                f"Không đổi được «{name}» khi cập nhật {entity.name}; hãy cập nhật từng thực thể.",
                f"'{name}' cannot be changed by updating {entity.name}; update those entities.",
            )
    if entity.name == "Observation" and "result_kind" in values:
        merged = {**dict(row), **values}
        check_result(conn, merged)
    if values:
        table = TABLES[entity.table]
        conn.execute(update(table).where(table.c.id == entity_id).values(**values))
    if entity.name == "Observation":
        _refresh_time_ranges(conn, row)
    if entity.name == "MultiDatastream":
        check_multi_datastream(conn, entity_id)


def delete_entity(conn: Connection, entity: EntityType, entity_id: int) -> None:
    """Delete the entity and what the standard deletes with it: a Thing's, Sensor's or
    ObservedProperty's Datastreams, a Datastream's Observations, a Location's
    HistoricalLocations (links go by foreign-key cascades)."""
    row = current_row(conn, entity, entity_id)
    if entity.name in ("Thing", "Sensor", "ObservedProperty"):
        key = {
            "Thing": "thing_id",
            "Sensor": "sensor_id",
            "ObservedProperty": "observed_property_id",
        }
        for table, col in (
            (datastream, "datastream_id"),
            (multi_datastream, "multi_datastream_id"),
        ):
            if key[entity.name] not in table.c:
                continue
            ids = select(table.c.id).where(table.c[key[entity.name]] == entity_id)
            conn.execute(delete(observation).where(observation.c[col].in_(ids)))
        if entity.name == "ObservedProperty":
            _delete_multi_of_property(conn, entity_id)
    elif entity.name == "Datastream":
        conn.execute(delete(observation).where(observation.c.datastream_id == entity_id))
    elif entity.name == "MultiDatastream":
        conn.execute(delete(observation).where(observation.c.multi_datastream_id == entity_id))
    elif entity.name == "FeatureOfInterest":
        conn.execute(delete(observation).where(observation.c.feature_id == entity_id))
    elif entity.name == "Location":
        _delete_history(conn, entity_id)
    table = TABLES[entity.table]
    conn.execute(delete(table).where(table.c.id == entity_id))
    if entity.name == "Observation":
        _refresh_time_ranges(conn, row)


def _delete_multi_of_property(conn: Connection, property_id: int) -> None:
    link = TABLES["sta_multi_datastream_property"]
    ids = select(link.c.multi_datastream_id).where(link.c.observed_property_id == property_id)
    conn.execute(delete(observation).where(observation.c.multi_datastream_id.in_(ids)))
    conn.execute(delete(multi_datastream).where(multi_datastream.c.id.in_(ids)))


def _delete_history(conn: Connection, location_id: int) -> None:
    """The HistoricalLocations linked to a Location go with it (18-088, integrity
    constraints when deleting an entity)."""
    hll = TABLES["sta_historical_location_location"]
    hl = TABLES["sta_historical_location"]
    mine = select(hll.c.historical_location_id).where(hll.c.location_id == location_id)
    conn.execute(delete(hl).where(hl.c.id.in_(mine)))


def _refresh_time_ranges(conn: Connection, row: Any) -> None:
    """A changed or deleted observation may shrink its stream's ranges: computed again
    for that one stream (an index range, not a scan)."""
    multi = row["datastream_id"] is None
    stream = multi_datastream if multi else datastream
    col = observation.c.multi_datastream_id if multi else observation.c.datastream_id
    stream_id = row["multi_datastream_id"] if multi else row["datastream_id"]
    o = observation.c
    end = func.coalesce(o.phenomenon_time_end, o.phenomenon_time_start)
    result = func.coalesce(o.result_time, o.phenomenon_time_start)
    agg = conn.execute(
        select(
            func.min(o.phenomenon_time_start), func.max(end), func.min(result), func.max(result)
        ).where(col == stream_id)
    ).one()
    conn.execute(
        update(stream)
        .where(stream.c.id == stream_id)
        .values(
            phenomenon_time_start=agg[0],
            phenomenon_time_end=agg[1],
            result_time_start=agg[2],
            result_time_end=agg[3],
        )
    )
