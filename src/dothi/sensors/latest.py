"""The latest reading of every Datastream and the map's view of the devices, and the
rollups a chart draws.

The latest observation of each Datastream comes from one query that walks the index
``ix_sta_observation_stream`` (``datastream_id, phenomenon_time_start``) backwards once
per Datastream: ``LATERAL … ORDER BY … DESC LIMIT 1`` on PostgreSQL (each monthly
partition's copy of the index), a correlated ``ORDER BY … DESC LIMIT 1`` subquery on
SQLite, which has no LATERAL. Neither reads more than one index entry and one row per
Datastream, so 10,000 Datastreams stay one quick request.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Connection, Select, and_, func, select, true

from dothi.errors import InvalidInput, NotFound
from dothi.sensors.profiles import properties
from dothi.sensors.sta.codec import BOOLEAN, JSON, NUMBER
from dothi.sensors.sta.times import iso, now_micros, parse_instant
from dothi.sensors.state import Latest, device_state, profile_of
from dothi.sensors.tables import (
    datastream,
    location,
    observation,
    observed_property,
    rollup,
    thing,
    thing_location,
)

_HOUR = 3_600_000_000
_DAY = 24 * _HOUR
#: The widest window a chart may ask for, per resolution.
MAX_SPAN = {"hour": 31 * _DAY, "day": 3 * 366 * _DAY}
#: What a chart shows by default: a day of hours, a week of days.
DEFAULT_SPAN = {"hour": _DAY, "day": 7 * _DAY}


@dataclass(frozen=True)
class LatestRow:
    """The latest observation of one Datastream."""

    datastream_id: int
    start: int
    end: int | None
    result: Any


def _result(kind: int, number: float | None, text: str | None, data: str | None) -> Any:
    if kind == NUMBER:
        return None if number is None else (int(number) if float(number).is_integer() else number)
    if kind == BOOLEAN:
        return bool(number)
    if kind == JSON:
        return None if data is None else orjson.loads(data)
    return text


def latest_query(dialect: str) -> Select[Any]:
    """The statement that gives each Datastream's latest observation (see the module)."""
    o, d = observation, datastream
    cols = (
        o.c.phenomenon_time_start,
        o.c.phenomenon_time_end,
        o.c.result_kind,
        o.c.result_number,
        o.c.result_text,
        o.c.result_json,
    )
    newest = o.c.phenomenon_time_start.desc()
    if dialect == "postgresql":
        last = (
            select(*cols)
            .where(o.c.datastream_id == d.c.id)
            .order_by(newest)
            .limit(1)
            .lateral("last")
        )
        return select(d.c.id, *last.c).select_from(d.join(last, true()))
    inner = observation.alias("newest")
    newest_id = (
        select(inner.c.id)
        .where(inner.c.datastream_id == d.c.id)
        .order_by(inner.c.phenomenon_time_start.desc())
        .limit(1)
        .correlate(d)
        .scalar_subquery()
    )
    return select(d.c.id, *cols).select_from(d.join(o, o.c.id == newest_id))


def latest_observations(conn: Connection) -> dict[int, LatestRow]:
    """The latest observation of every Datastream that has one, by Datastream id."""
    rows = conn.execute(latest_query(conn.dialect.name))
    return {
        int(r[0]): LatestRow(
            int(r[0]),
            int(r[1]),
            None if r[2] is None else int(r[2]),
            _result(r[3], r[4], r[5], r[6]),
        )
        for r in rows
    }


def _hourly_means(
    conn: Connection, ids: list[int], since: int
) -> dict[int, list[tuple[int, float]]]:
    """Hourly means since ``since`` (µs) of the Datastreams ``ids`` (by the rollups' key)."""
    out: dict[int, list[tuple[int, float]]] = defaultdict(list)
    if not ids:
        return out
    rows = conn.execute(
        select(rollup.c.datastream_id, rollup.c.bucket, rollup.c.total, rollup.c.count).where(
            rollup.c.datastream_id.in_(ids), rollup.c.resolution == "hour", rollup.c.bucket >= since
        )
    )
    for ds, bucket, total, count in rows:
        out[int(ds)].append((int(bucket), float(total) / int(count)))
    return out


def _loads(text: str | None) -> dict[str, Any]:
    value = orjson.loads(text) if text else None
    return value if isinstance(value, dict) else {}


def sensors_geojson(conn: Connection, now: int | None = None) -> dict[str, Any]:
    """Every Thing with a Location as a GeoJSON Feature: its Datastreams' latest values,
    its profile and its state (level, colour, label), for the map."""
    now = now_micros() if now is None else now
    first_location = (
        select(thing_location.c.thing_id, func.min(thing_location.c.location_id).label("loc"))
        .group_by(thing_location.c.thing_id)
        .subquery()
    )
    things = conn.execute(
        select(
            thing.c.id, thing.c.name, thing.c.description, thing.c.properties, location.c.location
        )
        .join(first_location, first_location.c.thing_id == thing.c.id)
        .join(location, location.c.id == first_location.c.loc)
        .order_by(thing.c.id)
    ).all()
    definition_key = {p.definition: k for k, p in properties().items()}
    streams: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for ds_id, thing_id, name, unit, props, definition in conn.execute(
        select(
            datastream.c.id,
            datastream.c.thing_id,
            datastream.c.name,
            datastream.c.unit_of_measurement,
            datastream.c.properties,
            observed_property.c.definition,
        )
        .join(observed_property, observed_property.c.id == datastream.c.observed_property_id)
        .order_by(datastream.c.id)
    ):
        streams[int(thing_id)].append(
            {
                "id": int(ds_id),
                "name": name,
                "key": definition_key.get(definition),
                "unit": _loads(unit).get("symbol"),
                "properties": _loads(props),
            }
        )
    latest = latest_observations(conn)
    air = [s["id"] for ss in streams.values() for s in ss if s["key"] in ("pm25", "pm10")]
    newest_air = [latest[i].start for i in air if i in latest]
    # From the oldest station's latest hour (NowCast looks 12 hours back), within a week.
    since = max(min(newest_air, default=now), now - 7 * _DAY) - 14 * _HOUR
    hourly = _hourly_means(conn, air, since)
    features = []
    for thing_id, name, description, props, geojson in things:
        features.append(
            _feature(
                int(thing_id),
                name,
                description,
                _loads(props),
                geojson,
                streams.get(int(thing_id), []),
                latest,
                hourly,
                now,
            )
        )
    return {"type": "FeatureCollection", "features": features, "time": iso(now)}


def _feature(
    thing_id: int,
    name: str,
    description: str,
    props: dict[str, Any],
    geojson: str,
    streams: list[dict[str, Any]],
    latest: dict[int, LatestRow],
    hourly: dict[int, list[tuple[int, float]]],
    now: int,
) -> dict[str, Any]:
    geometry = orjson.loads(geojson)
    if isinstance(geometry, dict) and geometry.get("type") == "Feature":
        geometry = geometry.get("geometry")
    by_key: dict[str, Latest] = {}
    particulates: dict[str, list[tuple[int, float]]] = {}
    out_streams = []
    for s in streams:
        row = latest.get(s["id"])
        key = s["key"]
        profile = properties().get(key or "")
        out_streams.append(
            {
                "id": s["id"],
                "key": key,
                "name": {"vi": profile.name_vi, "en": profile.name_en}
                if profile
                else {"vi": s["name"], "en": s["name"]},
                "unit": s["unit"],
                "value": None if row is None else row.result,
                "time": None if row is None else iso(row.end if row.end is not None else row.start),
                # A chart needs numbers in the rollups.
                "chart": profile is not None
                and profile.observation_type.endswith("OM_Measurement"),
            }
        )
        if row is not None and key is not None and key not in by_key:
            by_key[key] = Latest(
                s["id"],
                key,
                row.result,
                row.end if row.end is not None else row.start,
                s["properties"].get("thresholds") or {},
            )
        if key in ("pm25", "pm10") and key not in particulates:
            particulates[key] = hourly.get(s["id"], [])
    profile_key = profile_of([s["key"] for s in streams])
    state = device_state(profile_key, by_key, particulates, now)
    times = [r.time for r in by_key.values()]
    return {
        "type": "Feature",
        "id": thing_id,
        "geometry": geometry,
        "properties": {
            "id": thing_id,
            "name": name,
            "description": description,
            "profile": profile_key,
            "simulated": props.get("simulated") is True,
            "replayed": "replay" in props,
            "state": state.as_json(),
            "time": iso(max(times)) if times else None,
            "datastreams": out_streams,
        },
    }


# -- Charts ---------------------------------------------------------------------------------------


def rollup_series(
    conn: Connection,
    datastream_id: int,
    resolution: str,
    start: str | None,
    end: str | None,
    now: int | None = None,
) -> dict[str, Any]:
    """A Datastream's hourly or daily rollups over ``[start, end)`` (ISO 8601; by default
    the last day of hours or the last week of days): count, min, max, mean, last."""
    if resolution not in MAX_SPAN:
        raise InvalidInput(
            f"«resolution» phải là hour hoặc day (nhận «{resolution}»).",
            f"'resolution' must be hour or day (got '{resolution}').",
        )
    now = now_micros() if now is None else now
    to = now if end is None else parse_instant(end, "to")
    since = to - DEFAULT_SPAN[resolution] if start is None else parse_instant(start, "from")
    if since >= to:
        raise InvalidInput("«from» phải trước «to».", "'from' must come before 'to'.")
    if to - since > MAX_SPAN[resolution]:
        days = MAX_SPAN[resolution] // _DAY
        raise InvalidInput(
            f"Khoảng thời gian quá dài cho resolution={resolution}: tối đa {days} ngày.",
            f"The window is too long for resolution={resolution}: at most {days} days.",
        )
    ds = conn.execute(
        select(datastream.c.id, datastream.c.name, datastream.c.unit_of_measurement).where(
            datastream.c.id == datastream_id
        )
    ).first()
    if ds is None:
        raise NotFound(
            f"Không có Datastream với @iot.id {datastream_id}.",
            f"No Datastream with @iot.id {datastream_id}.",
        )
    # A bucket is labelled by its start: the one holding ``since`` counts too.
    width = _HOUR if resolution == "hour" else _DAY
    rows = conn.execute(
        select(
            rollup.c.bucket,
            rollup.c.count,
            rollup.c.minimum,
            rollup.c.maximum,
            rollup.c.total,
            rollup.c.last_value,
        )
        .where(
            and_(
                rollup.c.datastream_id == datastream_id,
                rollup.c.resolution == resolution,
                rollup.c.bucket > since - width,
                rollup.c.bucket < to,
            )
        )
        .order_by(rollup.c.bucket)
    )
    return {
        "datastream": {
            "id": int(ds.id),
            "name": ds.name,
            "unit": _loads(ds.unit_of_measurement).get("symbol"),
        },
        "resolution": resolution,
        "from": iso(since),
        "to": iso(to),
        "buckets": [
            {
                "time": iso(int(b)),
                "count": int(n),
                "min": float(lo),
                "max": float(hi),
                "mean": float(total) / int(n),
                "last": float(last),
            }
            for b, n, lo, hi, total, last in rows
        ],
    }
