"""``POST /api/login``: sign in with an account name and password, get a one-day token;
``POST /api/logout``: revoke the token the request carries."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from dothi.auth.login import sign_in, sign_out
from dothi.webkit.deps import CurrentPrincipal, client_address, db_of

router = APIRouter(tags=["auth"])


class Credentials(BaseModel):
    """What a person types to sign in."""

    name: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)


@router.post(
    "/login",
    responses={
        401: {"description": "Sai tên hoặc mật khẩu / wrong name or password"},
        429: {"description": "Quá nhiều lần sai / too many failures (Retry-After)"},
    },
)
async def login(request: Request, body: Credentials) -> JSONResponse:
    """Đăng nhập, nhận token dùng một ngày / sign in, get a token valid for one day."""
    db = db_of(request)
    # argon2 and the database work off the event loop.
    session = await run_in_threadpool(
        sign_in, db, body.name, body.password, client_address(request)
    )
    doc: dict[str, Any] = {
        "token": session.token,
        "token_type": "Bearer",
        "expires_at": session.expires_at.isoformat().replace("+00:00", "Z"),
        "account": session.name,
        "role": session.role,
    }
    # The token must not be kept by any cache.
    return JSONResponse(doc, headers={"Cache-Control": "no-store"})


@router.post(
    "/logout",
    status_code=204,
    responses={401: {"description": "Không có token hợp lệ / no valid token"}},
)
async def logout(request: Request, who: CurrentPrincipal) -> Response:
    """Đăng xuất: thu hồi token của yêu cầu / sign out: revoke the token this request
    carries (a later request with it gets 401)."""
    await run_in_threadpool(sign_out, db_of(request), who, client_address(request))
    return Response(status_code=204, headers={"Cache-Control": "no-store"})
