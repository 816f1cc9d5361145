"""FastAPI dependencies shared by every route: the database, the settings, the caller, the
layer a route names (access checked, restricted reads audited), and the 401 answer.

Use in a route::

    @router.get("/layers/{layer_id}/features")
    def features(layer: ReadableLayer, db: Db, who: CurrentPrincipal) -> ...:
        ...

``ReadableLayer`` answers 404 for a layer the caller may not read (as if it did not exist)
and logs a ``read_restricted`` entry when the layer is restricted; a route that reads
several layers calls :func:`audit_layer_reads` with those it read. Call
:func:`install_auth` once on the app so that a 401 carries ``WWW-Authenticate: Bearer``
(RFC 6750).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Annotated

from fastapi import BackgroundTasks, Depends, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from dothi.auth.audit import audit_now, audit_reads
from dothi.auth.policy import ANONYMOUS, Principal, can_read, may_read, require_edit, require_read
from dothi.auth.tokens import TokenInfo, lookup_token, touch_needed, touch_token
from dothi.config import Settings
from dothi.db.engine import Database
from dothi.errors import Forbidden, Unauthorized
from dothi.spatial.layers import Layer, get_layer, layer_access

log = logging.getLogger("dothi.auth")


def db_of(request: Request) -> Database:
    """The app's database (:func:`dothi.app.main.create_app` sets it)."""
    db: Database = request.app.state.db
    return db


# Async: a dependency that only reads app state needs no trip to the thread pool.
async def _db(request: Request) -> Database:
    return db_of(request)


async def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


#: ``db: Db`` in a route's parameters (async: no trip to the thread pool).
Db = Annotated[Database, Depends(_db)]
#: ``settings: AppSettings`` in a route's parameters.
AppSettings = Annotated[Settings, Depends(_settings)]


def _invalid_token() -> Unauthorized:
    # One message for unknown, expired and revoked tokens: the answer should not help
    # anyone probing for tokens that once existed.
    return Unauthorized(
        "Token API không hợp lệ, đã hết hạn hoặc đã bị thu hồi.",
        "The API token is invalid, expired or revoked.",
    )


def _touch(db: Database, token_id: int) -> None:
    try:
        with db.write() as conn:
            touch_token(conn, token_id)
    except Exception:
        # The last-used time is for people reviewing tokens; never fail a request on it.
        log.warning("could not record the last use of token %s", token_id, exc_info=True)


def _lookup(db: Database, token: str) -> tuple[Principal, TokenInfo] | None:
    # A read transaction: on SQLite a write here would queue every request behind imports.
    with db.read(snapshot=False) as conn:
        return lookup_token(conn, token)


async def current_principal(request: Request, background: BackgroundTasks) -> Principal:
    """The caller: the account of a valid ``Authorization: Bearer`` token, else ANONYMOUS.

    A header with another scheme, or a token that is unknown, expired, revoked or whose
    account is disabled, is :class:`~dothi.errors.Unauthorized` (401): a client that sent
    credentials must learn they failed, not silently get public data.
    """
    header = request.headers.get("authorization")
    if header is None:
        return ANONYMOUS
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise _invalid_token()
    db = db_of(request)
    # Async, so that an anonymous call costs no trip to the thread pool; the database is.
    found = await run_in_threadpool(_lookup, db, token)
    if found is None:
        raise _invalid_token()
    principal, info = found
    if touch_needed(info):
        # After the response, and at most once a minute per token.
        background.add_task(_touch, db, info.id)
    return principal


#: ``who: CurrentPrincipal`` in a route's parameters.
CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def client_address(request: Request) -> str | None:
    """The client's address for the audit log (as the server saw it)."""
    return request.client.host if request.client else None


def _read_layer(db: Database, layer_id: str, who: Principal, client: str | None) -> Layer:
    with db.read(snapshot=False) as conn:
        layer = require_read(who, get_layer(conn, layer_id))
    audit_reads(db, who, {layer.id: layer.access}, client=client)
    return layer


async def readable_layer(request: Request, layer_id: str, who: CurrentPrincipal) -> Layer:
    """The layer the path names, if the caller may read it (else 404, as if missing); a
    read of a restricted layer is logged in the audit log."""
    return await run_in_threadpool(
        _read_layer, db_of(request), layer_id, who, client_address(request)
    )


#: ``layer: ReadableLayer`` in a route whose path has ``{layer_id}``.
ReadableLayer = Annotated[Layer, Depends(readable_layer)]


def require_edit_audited(request: Request, who: Principal, layer: Layer, action: str) -> Layer:
    """``layer`` if ``who`` may change it; a refusal to someone who may read the layer is
    audited as ``action`` ``denied`` (to others the layer does not exist)."""
    try:
        return require_edit(who, layer)
    except (Forbidden, Unauthorized):
        if can_read(who, layer):
            audit_now(
                db_of(request),
                who,
                action,
                layer_id=layer.id,
                client=client_address(request),
                outcome="denied",
            )
        raise


def readable_access(db: Database, who: Principal, layer_ids: Sequence[str]) -> dict[str, str]:
    """The layers among ``layer_ids`` that exist and ``who`` may read, with their access
    level (one query)."""
    with db.read(snapshot=False) as conn:
        access = layer_access(conn, layer_ids)
    return {lid: level for lid, level in access.items() if may_read(who, lid, level)}


def audit_layer_reads(request: Request, who: Principal, layers: Mapping[str, str]) -> None:
    """Log the read of each restricted layer among ``layers`` (id → access level), for
    routes that read several layers (tilesets, planning lookups)."""
    audit_reads(db_of(request), who, layers, client=client_address(request))


def unauthorized_response(exc: Unauthorized) -> JSONResponse:
    """The OGC-style JSON error for a 401, with its ``WWW-Authenticate`` challenge."""
    challenge = 'Bearer realm="dothi"'
    if exc.code == "InvalidToken":
        challenge += ', error="invalid_token"'
    return JSONResponse(
        {"code": exc.code, "description": exc.en, "description_vi": exc.vi},
        status_code=exc.status,
        headers={"WWW-Authenticate": challenge},
    )


def install_auth(app: FastAPI) -> None:
    """Answer :class:`~dothi.errors.Unauthorized` with a Bearer challenge.

    Starlette picks the handler of the most specific exception class, so this one wins
    over a general ``DothiError`` handler whichever is added first.
    """

    async def _handler(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, Unauthorized)
        return unauthorized_response(exc)

    app.add_exception_handler(Unauthorized, _handler)
