"""``/sta/v1.1``: the SensorThings API over HTTP — the landing page, reading any resource
path with its query options, creating entities (deep insert included).

Reading is open to everyone (the city's sensor data are public); writing takes an
official's account (administrator or editor) and is audited in the same transaction.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from dothi.auth.audit import audit
from dothi.auth.policy import require_official
from dothi.errors import InvalidInput
from dothi.sensors.actions import STA_CREATE
from dothi.sensors.sta.codec import decode, self_link
from dothi.sensors.sta.model import ENTITY_TYPES
from dothi.sensors.sta.paths import parse_path
from dothi.sensors.sta.query import parse_query
from dothi.sensors.sta.reading import Reader
from dothi.sensors.sta.writes import Created, Parent, create, require_exists
from dothi.webkit.bodies import json_body
from dothi.webkit.deps import CurrentPrincipal, client_address, db_of

router = APIRouter(tags=["sensorthings"])

_REQ = "http://www.opengis.net/spec/iot_sensing/1.1/req/"
#: The conformance classes whose requirement tests pass (tests/sensors/).
CONFORMANCE = (
    _REQ + "datamodel",
    _REQ + "resource-path/resource-path-to-entities",
    _REQ + "request-data",
)


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/") + "/sta/v1.1"


@router.get("")
@router.get("/")
def landing(request: Request) -> dict[str, Any]:
    """Trang gốc / the service root: the entity sets and the conformance classes."""
    base = _base(request)
    return {
        "value": [{"name": e.set_name, "url": f"{base}/{e.set_name}"} for e in ENTITY_TYPES],
        "serverSettings": {"conformance": list(CONFORMANCE)},
    }


@router.get("/{path:path}")
async def read(request: Request, path: str) -> Response:
    """Đọc / read a resource path (``Things(1)/Datastreams``, ``…/name/$value``, ``$ref``)
    with its query options (``$filter``, ``$expand``, ``$select``, ``$orderby``, ``$top``,
    ``$skip``, ``$count``, ``$resultFormat``)."""
    rp = parse_path(path)
    params = dict(request.query_params)
    opts = parse_query(params)
    db = db_of(request)
    base = _base(request)

    def run() -> Any:
        with db.read() as conn:
            return Reader(conn, db.port, base).read(rp, opts, {**params, "_path": path})

    body = await run_in_threadpool(run)
    if rp.value:
        return PlainTextResponse("" if body is None else str(body))
    return JSONResponse(body)


@router.post("/{path:path}", status_code=201)
async def create_entity(request: Request, path: str, who: CurrentPrincipal) -> Response:
    """Tạo / create an entity in a set (``Things``) or through a link
    (``Things(1)/Datastreams``), with related new entities or links to existing ones
    (``{"@iot.id": 5}``). Answers 201 with ``Location`` once committed."""
    require_official(who)
    rp = parse_path(path)
    if rp.prop is not None or rp.ref or rp.single:
        raise InvalidInput(
            "Chỉ tạo thực thể trong một tập (ví dụ Things hoặc Things(1)/Datastreams).",
            "Entities are created in a set (e.g. Things or Things(1)/Datastreams).",
            status=405 if rp.single else 400,
        )
    data = await json_body(request)
    item = decode(rp.entity, data, where=rp.entity.name)
    parent = None
    if len(rp.steps) > 1:
        prev, last = rp.steps[-2], rp.steps[-1]
        assert prev.id is not None and last.nav is not None  # parse_path guarantees it
        parent = Parent(prev.entity, prev.id, last.nav)
    db = db_of(request)
    base = _base(request)
    client = client_address(request)

    def run() -> tuple[int, Any]:
        created = Created()
        with db.write() as conn:
            if parent is not None:
                require_exists(conn, parent.entity, parent.id)
            new_id = create(conn, item, created, parent)
            for entity, entity_id in created.entities:
                audit(
                    conn, who, STA_CREATE, target=f"{entity.set_name}({entity_id})", client=client
                )
        with db.read() as conn:
            body = Reader(conn, db.port, base).read(
                parse_path(f"{rp.entity.set_name}({new_id})"), parse_query({}), {}
            )
        return new_id, body

    new_id, body = await run_in_threadpool(run)
    return JSONResponse(
        body, status_code=201, headers={"Location": self_link(base, rp.entity, new_id)}
    )
