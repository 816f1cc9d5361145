"""One SensorThings request on a connection the caller holds: what the HTTP routes, the
batch requests (one transaction per change set) and MQTT share.

Reads are open to everyone; writes take an official's account (administrator or editor)
and are audited in the same transaction as the change.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Connection

from dothi.auth.audit import audit
from dothi.auth.policy import DEVICE_ROLE, Principal, require_official
from dothi.db.spatial import SpatialPort
from dothi.errors import Forbidden, InvalidInput, NotFound
from dothi.sensors.actions import STA_CREATE, STA_DELETE, STA_UPDATE
from dothi.sensors.sta import updates
from dothi.sensors.sta.codec import decode, self_link
from dothi.sensors.sta.data_array import create_observations
from dothi.sensors.sta.model import EntityType
from dothi.sensors.sta.observations import stream_of
from dothi.sensors.sta.paths import ResourcePath, parse_path
from dothi.sensors.sta.query import parse_query
from dothi.sensors.sta.reading import Reader
from dothi.sensors.sta.resolver import path_ids
from dothi.sensors.sta.writes import Created, Parent, create, require_exists

JSON_PATCH = "application/json-patch+json"


@dataclass(frozen=True)
class Context:
    """Who asks, from where, and the service root links are made from."""

    who: Principal
    base: str
    port: SpatialPort
    client: str | None = None


@dataclass(frozen=True)
class Answer:
    """A response: status, body (JSON, or text for ``$value``), extra headers."""

    status: int
    body: Any
    text: bool = False
    location: str | None = None
    #: Entities created or changed, for the MQTT updates after the commit.
    touched: tuple[tuple[EntityType, int], ...] = ()


def read(conn: Connection, ctx: Context, path: str, params: Mapping[str, str]) -> Answer:
    """``GET``: a resource path with its query options. A property that is null answers
    204 No Content (18-088 §9.2, usage 4), its ``$value`` likewise."""
    rp = parse_path(path)
    opts = parse_query(params)
    body = Reader(conn, ctx.port, ctx.base).read(rp, opts, {**params, "_path": path})
    if body is None and rp.prop is None:
        return Answer(204, None)
    if rp.prop is not None:
        value = body if rp.value else next(iter(body.values()))
        if value is None:
            return Answer(204, None)
    if rp.value:
        text = body if isinstance(body, str) else orjson.dumps(body).decode()
        return Answer(200, text, text=True)
    return Answer(200, body)


def post(conn: Connection, ctx: Context, path: str, data: Any) -> Answer:
    """``POST``: create in a set (``Things``) or through a link (``Things(1)/Datastreams``)."""
    if ctx.who.role == DEVICE_ROLE:
        _device_may_post(conn, ctx.who, path, data)
    else:
        require_official(ctx.who)
    if path.strip("/") == "CreateObservations":
        return _create_observations(conn, ctx, data)
    rp = parse_path(path)
    if rp.prop is not None or rp.ref or rp.single:
        raise InvalidInput(
            "Chỉ tạo thực thể trong một tập (ví dụ Things hoặc Things(1)/Datastreams).",
            "Entities are created in a set (e.g. Things or Things(1)/Datastreams).",
            code="MethodNotAllowed" if rp.single else None,
            status=405 if rp.single else 400,
        )
    item = decode(rp.entity, data, where=rp.entity.name, root=True)
    parent = None
    if len(rp.steps) > 1:
        last = rp.steps[-1]
        assert last.nav is not None
        above = ResourcePath(rp.steps[:-1])
        parent = Parent(above.entity, _entity_id(conn, above), last.nav)
    elif item.existing_id is not None:
        raise InvalidInput(
            f"Chỉ có @iot.id: nội dung không tạo {rp.entity.name} mới nào. Để liên kết một "
            "thực thể có sẵn, gửi tới liên kết của thực thể kia, ví dụ Things(1)/Locations.",
            f"Only @iot.id: the body creates no new {rp.entity.name}. To link an existing "
            "entity, post to the other entity's link, e.g. Things(1)/Locations.",
        )
    created = Created()
    new_id = create(conn, item, created, parent)
    _audit(conn, ctx, STA_CREATE, created.entities)
    body = Reader(conn, ctx.port, ctx.base).read(
        parse_path(f"{rp.entity.set_name}({new_id})"), parse_query({}), {}
    )
    return Answer(
        201,
        body,
        location=self_link(ctx.base, rp.entity, new_id),
        touched=tuple(created.entities),
    )


def _create_observations(conn: Connection, ctx: Context, data: Any) -> Answer:
    links = create_observations(conn, data, ctx.base)
    audit(conn, ctx.who, STA_CREATE, target=f"Observations×{len(links)}", client=ctx.client)
    return Answer(201, links)


def change(conn: Connection, ctx: Context, method: str, path: str, data: Any, media: str) -> Answer:
    """``PATCH`` (merge, or JSON Patch when ``media`` says so) or ``PUT``."""
    require_official(ctx.who)
    entity, entity_id = _one_entity(conn, path)
    created = Created()
    if method == "PUT":
        updates.put(conn, entity, entity_id, data, created)
    elif media == JSON_PATCH:
        updates.json_patch(conn, entity, entity_id, data, created)
    else:
        updates.patch(conn, entity, entity_id, data, created)
    _audit(conn, ctx, STA_UPDATE, [(entity, entity_id)])
    _audit(conn, ctx, STA_CREATE, created.entities)
    body = Reader(conn, ctx.port, ctx.base).read(
        parse_path(f"{entity.set_name}({entity_id})"), parse_query({}), {}
    )
    return Answer(200, body, touched=((entity, entity_id), *created.entities))


def remove(conn: Connection, ctx: Context, path: str) -> Answer:
    """``DELETE`` one entity, with what the standard deletes with it."""
    require_official(ctx.who)
    entity, entity_id = _one_entity(conn, path)
    updates.delete_entity(conn, entity, entity_id)
    _audit(conn, ctx, STA_DELETE, [(entity, entity_id)])
    return Answer(200, None)


def _device_may_post(conn: Connection, who: Principal, path: str, data: Any) -> None:
    """A device adds readings to its own Datastreams only (``Datastreams(ID)/Observations``,
    ``MultiDatastreams(ID)/Observations``, ``CreateObservations``)."""
    streams: list[tuple[int | None, int | None]] = []
    if path.strip("/") == "CreateObservations" and isinstance(data, list):
        for block in data:
            ds = block.get("Datastream") if isinstance(block, dict) else None
            mds = block.get("MultiDatastream") if isinstance(block, dict) else None
            streams.append(
                (
                    ds.get("@iot.id") if isinstance(ds, dict) else None,
                    mds.get("@iot.id") if isinstance(mds, dict) else None,
                )
            )
    else:
        rp = parse_path(path)
        first = rp.steps[0]
        if len(rp.steps) == 2 and rp.entity.name == "Observation" and first.id is not None:
            multi = first.entity.name == "MultiDatastream"
            streams.append((None, first.id) if multi else (first.id, None))
    owned = bool(streams)
    for ds_id, mds_id in streams:
        try:
            owned = owned and stream_of(conn, ds_id, mds_id).thing_id == who.device_thing
        except NotFound:
            owned = False
    if not owned:
        raise Forbidden(
            "Thiết bị chỉ gửi được quan trắc vào Datastream của chính nó.",
            "A device may only add observations to its own Datastreams.",
        )


def _one_entity(conn: Connection, path: str) -> tuple[EntityType, int]:
    rp = parse_path(path)
    if not rp.single or rp.prop is not None or rp.ref:
        raise InvalidInput(
            "Cập nhật và xóa nhắm vào một thực thể, ví dụ Things(1) hoặc Things(1)/Datastreams(2).",
            "Updates and deletes address one entity, e.g. Things(1) or Things(1)/Datastreams(2).",
            code="MethodNotAllowed" if not rp.single else None,
            status=405 if not rp.single else 400,
        )
    return rp.entity, _entity_id(conn, rp)


def _entity_id(conn: Connection, rp: ResourcePath) -> int:
    """The id of the one entity a path names (``Things(1)/Datastreams(2)`` only if the
    Datastream is the Thing's); :class:`NotFound` otherwise."""
    last = rp.steps[-1]
    if len(rp.steps) == 1 and last.id is not None:
        require_exists(conn, rp.entity, last.id)
        return last.id
    found = conn.execute(path_ids(rp).limit(1)).scalar()
    if found is None:
        raise NotFound(
            f"Không có {rp.entity.name} ở đường dẫn này.", f"No {rp.entity.name} at this path."
        )
    return int(found)


def _audit(
    conn: Connection, ctx: Context, action: str, entities: list[tuple[EntityType, int]]
) -> None:
    for entity, entity_id in entities:
        audit(conn, ctx.who, action, target=f"{entity.set_name}({entity_id})", client=ctx.client)
