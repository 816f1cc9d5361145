"""Entities between their JSON (as the standard writes it) and their table rows.

:func:`encode` writes a row as SensorThings JSON (``@iot.id``, ``@iot.selfLink``, the
properties, ``<Nav>@iot.navigationLink``); :func:`decode` checks a client's JSON for one
entity and returns its column values and the navigation links it carries (deep insert).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson
import shapely.geometry
from shapely.geometry.base import BaseGeometry

from dothi.errors import InvalidInput
from dothi.sensors.sta.model import EntityType, Nav, Prop
from dothi.sensors.sta.times import iso, iso_interval, parse_instant, parse_interval

#: ``result_kind`` of a stored Observation.
NUMBER, STRING, BOOLEAN, JSON = 0, 1, 2, 3
#: Encoding types for geometries: GeoJSON is the one the standard's examples use.
GEOJSON_TYPES = ("application/geo+json", "application/vnd.geo+json")
#: Properties every entity of the type shows, null or not (an Observation's resultTime is
#: mandatory and may be null, 18-088 Table "Properties of an Observation entity").
SHOWN_WHEN_NULL = frozenset({("Observation", "resultTime")})


def _loads(text: str | None) -> Any:
    return None if text is None else orjson.loads(text)


def dumps(value: Any) -> str:
    """JSON text of a value for a JSON column."""
    return orjson.dumps(value).decode()


def self_link(base: str, entity: EntityType, entity_id: int) -> str:
    """``<base>/Things(1)``."""
    return f"{base}/{entity.set_name}({entity_id})"


def encode_value(prop: Prop, row: Mapping[Any, Any]) -> Any:
    """The JSON value of ``prop`` from a row."""
    col = prop.column
    if prop.kind == "text":
        return row[col]
    if prop.kind in ("json", "object", "geojson"):
        return _loads(row[col])
    if prop.kind == "time":
        return None if row[col] is None else iso(row[col])
    if prop.kind == "interval":
        return iso_interval(row[f"{col}_start"], row[f"{col}_end"])
    if prop.kind == "result":
        return _result(row)
    # derived
    if col in ("phenomenon_time", "result_time"):
        return iso_interval(row[f"{col}_start"], row[f"{col}_end"])
    if col == "creation_time":
        return iso(row[col])
    return _loads(row[col])


def _result(row: Mapping[Any, Any]) -> Any:
    kind = row["result_kind"]
    if kind == NUMBER:
        number = row["result_number"]
        return int(number) if number is not None and float(number).is_integer() else number
    if kind == BOOLEAN:
        return bool(row["result_number"])
    if kind == STRING:
        return row["result_text"]
    return _loads(row["result_json"])


def encode(
    entity: EntityType,
    row: Mapping[Any, Any],
    base: str,
    select: frozenset[str] | None = None,
) -> dict[str, Any]:
    """The entity's JSON; ``select`` limits it to some properties (and links)."""
    link = self_link(base, entity, int(row["id"]))
    out: dict[str, Any] = {}
    if select is None or "id" in select or "@iot.id" in select:
        out["@iot.id"] = int(row["id"])
    if select is None or "@iot.selfLink" in select or "selfLink" in select:
        out["@iot.selfLink"] = link
    for prop in entity.props:
        if select is not None and prop.name not in select:
            continue
        value = encode_value(prop, row)
        shown = prop.required or (entity.name, prop.name) in SHOWN_WHEN_NULL
        if value is None and not shown and select is None:
            continue
        out[prop.name] = value
    for nav in entity.navs:
        if select is None or nav.name in select:
            out[f"{nav.name}@iot.navigationLink"] = f"{link}/{nav.name}"
    return out


# -- Decoding -------------------------------------------------------------------------------


@dataclass
class Decoded:
    """One entity of a client's JSON: its columns and the links it carries."""

    entity: EntityType
    values: dict[str, Any] = field(default_factory=dict)
    #: ``@iot.id`` given: a link to an existing entity, nothing else may be said of it.
    existing_id: int | None = None
    #: Navigation link → the entities (new or existing) given for it.
    links: dict[str, list[Decoded]] = field(default_factory=dict)
    geometry: BaseGeometry | None = None


def decode(
    entity: EntityType, data: Any, *, where: str, partial: bool = False, root: bool = False
) -> Decoded:
    """Check ``data`` as one ``entity``; ``partial`` for an update (nothing required).

    ``where`` names the place in the request for messages (``Datastreams[0].Sensor``).
    Below the ``root`` of a request, an ``@iot.id`` makes the entity a link to an existing
    one; at the root (the entity created or updated) it is ignored, as the standard says of
    server-computed values, unless it is all the body says (``POST Things(1)/Locations``
    with ``{"@iot.id": 5}`` links Location 5). Server-computed properties
    (``phenomenonTime`` of a Datastream…) are ignored too: clients send back the entities
    they have read.
    """
    if not isinstance(data, dict):
        raise _invalid(where, "phải là một đối tượng JSON", "must be a JSON object")
    out = Decoded(entity)
    bare = all(k.startswith("@iot.") or k.endswith("@iot.navigationLink") for k in data)
    if "@iot.id" in data and (not root or bare):
        raw = data["@iot.id"]
        if isinstance(raw, bool) or not isinstance(raw, int):
            raise _invalid(where, "@iot.id phải là số nguyên", "@iot.id must be an integer")
        # What else is said of an existing entity is not applied: a link names it only.
        out.existing_id = raw
        return out
    encoding = data.get("encodingType")
    for key, value in data.items():
        prop = entity.prop(key)
        if prop is not None:
            _decode_prop(out, prop, value, f"{where}.{key}", encoding)
            continue
        nav = entity.nav(key)
        if nav is not None:
            out.links[key] = _decode_nav(nav, value, f"{where}.{key}")
            continue
        if key.startswith("@iot.") or key.endswith(("@iot.navigationLink", "@iot.count")):
            continue  # read-only annotations a client may echo back
        raise _invalid(
            where,
            f"không có thuộc tính hay liên kết «{key}» trong {entity.name}",
            f"{entity.name} has no property or navigation link '{key}'",
        )
    if not partial:
        missing = [p.name for p in entity.props if p.required and p.name not in data]
        if missing:
            raise _invalid(
                where,
                f"thiếu thuộc tính bắt buộc: {', '.join(missing)}",
                f"required properties missing: {', '.join(missing)}",
            )
    return out


def _decode_nav(nav: Nav, value: Any, where: str) -> list[Decoded]:
    from dothi.sensors.sta.model import target

    kind = target(nav)
    if nav.many:
        if not isinstance(value, list):
            raise _invalid(where, "phải là một mảng", "must be an array")
        return [decode(kind, v, where=f"{where}[{n}]") for n, v in enumerate(value)]
    return [decode(kind, value, where=where)]


def _decode_prop(out: Decoded, prop: Prop, value: Any, where: str, encoding: Any) -> None:
    col = prop.column
    if prop.kind == "derived":
        return  # computed by the server: a value given is ignored (18-088 §10.3)
    if value is None:
        if prop.required:
            raise _invalid(where, "không được để trống", "must not be null")
        if prop.kind == "interval":
            out.values[f"{col}_start"] = out.values[f"{col}_end"] = None
        else:
            out.values[col] = None
        return
    if prop.kind == "text":
        if not isinstance(value, str):
            raise _invalid(where, "phải là chuỗi", "must be a string")
        out.values[col] = value
    elif prop.kind == "object":
        if not isinstance(value, dict):
            raise _invalid(where, "phải là một đối tượng JSON", "must be a JSON object")
        out.values[col] = dumps(value)
    elif prop.kind == "json":
        out.values[col] = dumps(value)
    elif prop.kind == "time":
        out.values[col] = parse_instant(value, where)
    elif prop.kind == "interval":
        out.values[f"{col}_start"], out.values[f"{col}_end"] = parse_interval(value, where)
    elif prop.kind == "geojson":
        out.values[col] = dumps(value)
        if isinstance(value, dict) or not _other_encoding(encoding):
            out.geometry = geometry_of(value, where)
        else:
            # A location in another encoding (an address as text/plain) is kept as given;
            # it has no geometry for spatial filters.
            out.values["geom"] = None
    else:  # result
        out.values.update(result_columns(value, where))


def _other_encoding(encoding: Any) -> bool:
    return isinstance(encoding, str) and encoding.strip().lower() not in GEOJSON_TYPES


def result_columns(value: Any, where: str = "result") -> dict[str, Any]:
    """The stored columns of an Observation's result."""
    cols: dict[str, Any] = {"result_number": None, "result_text": None, "result_json": None}
    if isinstance(value, bool):
        cols.update(result_kind=BOOLEAN, result_number=1.0 if value else 0.0)
    elif isinstance(value, int | float):
        if not math.isfinite(float(value)):
            raise _invalid(where, "phải là số hữu hạn", "must be a finite number")
        cols.update(result_kind=NUMBER, result_number=float(value))
    elif isinstance(value, str):
        cols.update(result_kind=STRING, result_text=value)
    else:
        cols.update(result_kind=JSON, result_json=dumps(value))
    return cols


def geometry_of(value: Any, where: str) -> BaseGeometry:
    """The WGS 84 geometry of a GeoJSON geometry or Feature."""
    geom = (
        value.get("geometry")
        if isinstance(value, dict) and value.get("type") == "Feature"
        else value
    )
    try:
        shape = shapely.geometry.shape(geom)
    except Exception:  # shapely raises several kinds for bad GeoJSON
        raise _invalid(
            where, "không phải hình học GeoJSON hợp lệ", "is not valid GeoJSON"
        ) from None
    if shape.is_empty or not shape.is_valid:
        raise _invalid(where, "là hình học rỗng hoặc không hợp lệ", "is empty or invalid")
    minx, miny, maxx, maxy = shape.bounds
    if minx < -180 or maxx > 180 or miny < -90 or maxy > 90:
        raise _invalid(
            where,
            "có tọa độ ngoài kinh độ/vĩ độ WGS 84 (thứ tự là kinh độ, vĩ độ)",
            "has coordinates outside WGS 84 longitude/latitude (order: longitude, latitude)",
        )
    return shape


def _invalid(where: str, vi: str, en: str) -> InvalidInput:
    return InvalidInput(f"«{where}» {vi}.", f"'{where}' {en}.")
