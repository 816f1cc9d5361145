"""FastAPI dependencies of the ``auth`` capability: who is calling, and the 401 answer.

Use in a route::

    @router.get("/layers/{layer_id}/features")
    def features(request: Request, layer_id: str, who: CurrentPrincipal) -> ...:
        require_read(who, layer)

and call :func:`install_auth` once on the app so that a 401 carries
``WWW-Authenticate: Bearer`` (RFC 6750).
"""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import BackgroundTasks, Depends, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from dothi.auth.policy import ANONYMOUS, Principal
from dothi.auth.tokens import TokenInfo, lookup_token, touch_needed, touch_token
from dothi.db.engine import Database
from dothi.errors import Unauthorized

log = logging.getLogger("dothi.auth")


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
    db: Database = request.app.state.db
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
