"""``/sta/v1.1``: the SensorThings API over HTTP — the service root, and every resource
path read, created, updated or deleted through :mod:`dothi.sensors.sta.service`.

Each write runs in one transaction; the answer (201 with ``Location``) goes out after the
commit, so an acknowledged entity is durable.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Depends, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from sqlalchemy import Connection

from dothi.auth.policy import Principal
from dothi.errors import InvalidInput, Unauthorized
from dothi.sensors.devices import device_principal
from dothi.sensors.sta import service
from dothi.sensors.sta.batch import boundary_of, parse_batch, write_answers
from dothi.sensors.sta.batch_runner import run_batch
from dothi.sensors.sta.model import ENTITY_TYPES
from dothi.sensors.sta.service import JSON_PATCH, Answer, Context
from dothi.sensors.updates import Updates, updates_from_environment
from dothi.webkit.bodies import MAX_BODY, json_body
from dothi.webkit.deps import client_address, current_principal, db_of

router = APIRouter(tags=["sensorthings"])

_REQ = "http://www.opengis.net/spec/iot_sensing/1.1/req/"
_TASKING = "http://www.opengis.net/spec/iot_tasking/1.0/req/"
#: The conformance classes whose requirement tests pass: exactly those the test modules
#: of tests/sensors/ declare (tests/sensors/test_req_conformance.py checks it).
CONFORMANCE = (
    _REQ + "datamodel",
    _REQ + "resource-path/resource-path-to-entities",
    _REQ + "request-data",
    _REQ + "create-update-delete",
    _REQ + "multi-datastream",
    _REQ + "data-array/data-array",
    _REQ + "batch-request/batch-request",
    _TASKING + "tasking-capability",
    _TASKING + "task",
    _TASKING + "actuator",
    _TASKING + "create-tasks",
)
#: Advertised, with the broker's address, when the app publishes over MQTT.
MQTT_CONFORMANCE = (
    _REQ + "create-observations-via-mqtt/observations-creation",
    _REQ + "receive-updates-via-mqtt/receive-updates",
    _TASKING + "create-tasks-via-mqtt",
    _TASKING + "receive-updates-via-mqtt",
)


async def sta_principal(request: Request, background: BackgroundTasks) -> Principal:
    """Who calls: a device by its Thing's credentials (HTTP Basic ``thing-<id>``), or an
    account by its token (the platform's rule)."""
    header = request.headers.get("authorization", "")
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() != "basic":
        return await current_principal(request, background)
    try:
        username, _, password = (
            base64.b64decode(value.strip(), validate=True).decode().partition(":")
        )
    except (ValueError, UnicodeDecodeError):
        username = password = ""
    db = db_of(request)

    def check() -> Principal | None:
        with db.read() as conn:
            return device_principal(conn, username, password)

    found = await run_in_threadpool(check)
    if found is None:
        raise Unauthorized(
            "Tên hoặc mật khẩu của thiết bị không đúng, hoặc đã bị thu hồi.",
            "The device's user name or password is wrong, or was revoked.",
            code="AuthenticationRequired",
        )
    return found


Caller = Annotated[Principal, Depends(sta_principal)]


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/") + "/sta/v1.1"


def _context(request: Request, who: Principal) -> Context:
    return Context(who, _base(request), db_of(request).port, client_address(request))


def _respond(answer: Answer) -> Response:
    if answer.text:
        return PlainTextResponse(answer.body, status_code=answer.status)
    headers = {"Location": answer.location} if answer.location else None
    if answer.body is None:
        return Response(status_code=answer.status, headers=headers)
    return JSONResponse(answer.body, status_code=answer.status, headers=headers)


async def _run(request: Request, write: bool, work: Callable[[Connection], Answer]) -> Response:
    db = db_of(request)
    updates: Updates | None = getattr(request.app.state, "sensors_updates", None)

    def run() -> Answer:
        with db.write() if write else db.read() as conn:
            answer = work(conn)
        if updates is not None and answer.touched:  # committed: now tell the subscribers
            updates.entities(db, answer.touched, created=answer.status == 201)
        return answer

    return _respond(await run_in_threadpool(run))


def _server_settings(request: Request) -> dict[str, Any]:
    updates: Updates | None = getattr(request.app.state, "sensors_updates", None)
    if updates is None:
        return {"conformance": list(CONFORMANCE)}
    endpoint = {"endpoints": [updates.endpoint]}
    return {
        "conformance": [*CONFORMANCE, *MQTT_CONFORMANCE],
        **{cls: endpoint for cls in MQTT_CONFORMANCE},
    }


def start_updates(app: FastAPI) -> Callable[[], None] | None:
    """The MQTT updates of this app, when a broker is configured (capability startup)."""
    found = updates_from_environment(app.state.settings)
    if found is None:
        return None
    app.state.sensors_updates = found
    return found.stop


@router.get("")
@router.get("/")
def landing(request: Request) -> dict[str, Any]:
    """Trang gốc / the service root: the entity sets and the conformance classes."""
    base = _base(request)
    return {
        "value": [{"name": e.set_name, "url": f"{base}/{e.set_name}"} for e in ENTITY_TYPES],
        "serverSettings": _server_settings(request),
    }


@router.post("/$batch")
async def batch(request: Request, who: Caller) -> Response:
    """Lô yêu cầu / a batch request (``multipart/mixed``): its change sets each succeed or
    fail as a whole, in one transaction."""
    boundary = boundary_of(request.headers.get("content-type", ""))
    raw = await request.body()
    if len(raw) > MAX_BODY:
        raise InvalidInput(
            "Nội dung quá lớn.", "The request body is too large.", code="TooLarge", status=413
        )
    items = parse_batch(raw, boundary, "/sta/v1.1")
    ctx, db = _context(request, who), db_of(request)
    answers = await run_in_threadpool(run_batch, db, ctx, items)
    body, media = write_answers(answers)
    return Response(body, media_type=media)


@router.get("/{path:path}")
async def read(request: Request, path: str, who: Caller) -> Response:
    """Đọc / read a resource path (``Things(1)/Datastreams``, ``…/name/$value``, ``$ref``)
    with its query options (``$filter``, ``$expand``, ``$select``, ``$orderby``, ``$top``,
    ``$skip``, ``$count``, ``$resultFormat``)."""
    ctx, params = _context(request, who), dict(request.query_params)
    return await _run(request, False, lambda conn: service.read(conn, ctx, path, params))


@router.post("/{path:path}", status_code=201)
async def create_entity(request: Request, path: str, who: Caller) -> Response:
    """Tạo / create an entity in a set (``Things``) or through a link
    (``Things(1)/Datastreams``), with related new entities or links to existing ones
    (``{"@iot.id": 5}``). Answers 201 with ``Location`` once committed."""
    ctx, data = _context(request, who), await json_body(request)
    return await _run(request, True, lambda conn: service.post(conn, ctx, path, data))


@router.patch("/{path:path}")
async def patch_entity(request: Request, path: str, who: Caller) -> Response:
    """Cập nhật / update one entity: a JSON merge of what changes, or a JSON Patch
    (``Content-Type: application/json-patch+json``)."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    ctx, data = _context(request, who), await json_body(request, ("application/json", JSON_PATCH))
    return await _run(
        request, True, lambda conn: service.change(conn, ctx, "PATCH", path, data, media)
    )


@router.put("/{path:path}")
async def put_entity(request: Request, path: str, who: Caller) -> Response:
    """Thay thế / replace one entity's properties (left-out optional ones become null)."""
    ctx, data = _context(request, who), await json_body(request)
    return await _run(request, True, lambda conn: service.change(conn, ctx, "PUT", path, data, ""))


@router.delete("/{path:path}")
async def delete_entity(request: Request, path: str, who: Caller) -> Response:
    """Xóa / delete one entity, with what the standard deletes with it."""
    ctx = _context(request, who)
    return await _run(request, True, lambda conn: service.remove(conn, ctx, path))
