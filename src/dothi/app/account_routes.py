"""Accounts over HTTP: thin adapters over :mod:`dothi.auth.account_admin`.

- ``GET /api/me``, ``POST /api/me/password`` — one's own account and password;
- ``GET|POST /api/accounts``, ``GET|PATCH /api/accounts/{name}``,
  ``POST /api/accounts/{name}/password``, ``PUT|DELETE /api/accounts/{name}/grants/{layer}``
  — administrators manage accounts;
- ``GET /accounts`` — the page where people do all this (``templates/accounts.*.html``,
  ``static/accounts.js``).

No answer ever carries a password hash; a generated password is in the one answer that
made it, never cached (``Cache-Control: no-store`` on every answer here).
"""

from __future__ import annotations

import html
from datetime import datetime
from pathlib import Path
from string import Template
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from dothi.auth import account_admin as admin
from dothi.auth.account_admin import AccountView
from dothi.auth.accounts import MAX_PASSWORD
from dothi.auth.policy import ROLE_LABELS
from dothi.web import page_security_policy
from dothi.web.pages import frame
from dothi.webkit.deps import CurrentPrincipal, client_address, db_of
from dothi.webkit.pages import PageLanguage

router = APIRouter(tags=["accounts"])
page_router = APIRouter(include_in_schema=False)

_TEMPLATES = Path(__file__).parents[1] / "web" / "templates"
_NO_STORE = {"Cache-Control": "no-store"}


def _when(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat().replace("+00:00", "Z")


def account_json(view: AccountView) -> dict[str, Any]:
    """An account as the API shows it: the role's code and its words, never a hash."""
    acc = view.account
    vi, en = ROLE_LABELS.get(acc.role, (acc.role, acc.role))
    return {
        "name": acc.name,
        "role": acc.role,
        "role_label": {"vi": vi, "en": en},
        "agency": acc.agency,
        "disabled": acc.disabled_at is not None,
        "disabled_at": _when(acc.disabled_at),
        "created_at": _when(acc.created_at),
        "last_sign_in": _when(view.last_sign_in),
        "has_password": acc.has_password,
        "grants": [
            {
                "layer_id": g.grant.layer_id,
                "layer_title": {"vi": g.title_vi, "en": g.title_en},
                "can_read": g.grant.can_read,
                "can_edit": g.grant.can_edit,
            }
            for g in view.grants
        ],
    }


def _json(doc: dict[str, Any], status: int = 200) -> JSONResponse:
    return JSONResponse(doc, status_code=status, headers=_NO_STORE)


class _Body(BaseModel):
    # A misspelt field is an error, not silently ignored.
    model_config = ConfigDict(extra="forbid")


class PasswordChange(_Body):
    """One's own password: the current one and the new one."""

    current_password: str = Field(min_length=1, max_length=MAX_PASSWORD)
    new_password: str = Field(min_length=1, max_length=MAX_PASSWORD)


class NewAccount(_Body):
    """An account to create; without ``password`` one is generated and answered once."""

    name: str = Field(min_length=1, max_length=64)
    role: str = Field(min_length=1, max_length=16)
    agency: str | None = Field(default=None, max_length=200)
    password: str | None = Field(default=None, min_length=1, max_length=MAX_PASSWORD)


class AccountChange(_Body):
    """What to change on an account; fields left out stay. ``agency: null`` clears it."""

    role: str | None = Field(default=None, max_length=16)
    agency: str | None = Field(default=None, max_length=200)
    disabled: bool | None = None


class PasswordReset(_Body):
    """An administrator's reset; without ``password`` one is generated and answered once."""

    password: str | None = Field(default=None, min_length=1, max_length=MAX_PASSWORD)


class GrantBody(_Body):
    """Rights on a layer: read, and with ``edit`` also write."""

    edit: bool = False


@router.get("/me")
async def me(request: Request, who: CurrentPrincipal) -> JSONResponse:
    """Tài khoản của tôi / the caller's own account and when its sign-in ends."""
    found = await run_in_threadpool(admin.me, db_of(request), who)
    doc = account_json(found.view) | {"token_expires_at": _when(found.token_expires_at)}
    return _json(doc)


@router.post("/me/password")
async def change_password(
    request: Request, body: PasswordChange, who: CurrentPrincipal
) -> JSONResponse:
    """Đổi mật khẩu / change one's own password (the current one is needed). The token of
    this request keeps working; every other token of the account is revoked."""
    revoked = await run_in_threadpool(
        lambda: admin.change_own_password(
            db_of(request),
            who,
            body.current_password,
            body.new_password,
            client=client_address(request),
        )
    )
    return _json({"changed": True, "other_tokens_revoked": revoked})


@router.get("/accounts")
async def accounts(request: Request, who: CurrentPrincipal) -> JSONResponse:
    """Danh sách tài khoản / every account (administrators)."""
    found = await run_in_threadpool(admin.accounts, db_of(request), who)
    return _json({"accounts": [account_json(v) for v in found]})


@router.post("/accounts", status_code=201)
async def create_account(request: Request, body: NewAccount, who: CurrentPrincipal) -> Response:
    """Tạo tài khoản / create an account (administrators). A generated password is in this
    answer only (``password``)."""
    view, generated = await run_in_threadpool(
        lambda: admin.create(
            db_of(request),
            who,
            body.name,
            body.role,
            agency=body.agency,
            password=body.password,
            client=client_address(request),
        )
    )
    doc = account_json(view) | ({"password": generated} if generated else {})
    return _json(doc, 201)


@router.get("/accounts/{name}")
async def one_account(request: Request, name: str, who: CurrentPrincipal) -> JSONResponse:
    """Một tài khoản / one account (administrators)."""
    view = await run_in_threadpool(admin.account, db_of(request), who, name)
    return _json(account_json(view))


@router.patch("/accounts/{name}")
async def change_account(
    request: Request, name: str, body: AccountChange, who: CurrentPrincipal
) -> JSONResponse:
    """Đổi vai trò, cơ quan, khóa/mở khóa / change role, agency, disable or enable
    (administrators). The last active administrator stays one (409)."""
    changes: dict[str, Any] = {"role": body.role, "disabled": body.disabled}
    if "agency" in body.model_fields_set:
        changes["agency"] = body.agency
    view = await run_in_threadpool(
        lambda: admin.update(db_of(request), who, name, client=client_address(request), **changes)
    )
    return _json(account_json(view))


@router.post("/accounts/{name}/password")
async def reset_password(
    request: Request, name: str, body: PasswordReset, who: CurrentPrincipal
) -> JSONResponse:
    """Đặt lại mật khẩu / reset another account's password and revoke all its tokens
    (administrators). A generated password is in this answer only (``password``)."""
    view, generated, revoked = await run_in_threadpool(
        lambda: admin.reset_password(
            db_of(request), who, name, password=body.password, client=client_address(request)
        )
    )
    doc = account_json(view) | {"tokens_revoked": revoked}
    return _json(doc | ({"password": generated} if generated else {}))


@router.put("/accounts/{name}/grants/{layer_id}")
async def put_grant(
    request: Request, name: str, layer_id: str, body: GrantBody, who: CurrentPrincipal
) -> JSONResponse:
    """Cấp quyền trên một lớp / grant read (and edit) on a layer (administrators)."""
    view = await run_in_threadpool(
        lambda: admin.set_grant(
            db_of(request), who, name, layer_id, edit=body.edit, client=client_address(request)
        )
    )
    return _json(account_json(view))


@router.delete("/accounts/{name}/grants/{layer_id}")
async def delete_grant(
    request: Request, name: str, layer_id: str, who: CurrentPrincipal
) -> JSONResponse:
    """Thu hồi quyền trên một lớp / remove an account's rights on a layer (administrators)."""
    view = await run_in_threadpool(
        lambda: admin.remove_grant(
            db_of(request), who, name, layer_id, client=client_address(request)
        )
    )
    return _json(account_json(view))


@page_router.get("/accounts", response_class=HTMLResponse)
def accounts_page(lang: PageLanguage) -> HTMLResponse:
    """Tài khoản: one's own password and sign-out; the accounts, for administrators. The
    page is text and forms; ``accounts.js`` signs in and calls the API above."""
    # The least right is the default: an account is made an admin on purpose.
    options = "".join(
        f'<option value="{code}"{" selected" if code == "viewer" else ""}>'
        f"{html.escape(en if lang == 'en' else vi)}</option>"
        for code, (vi, en) in ROLE_LABELS.items()
    )
    text = (_TEMPLATES / f"accounts.{lang}.html").read_text(encoding="utf-8")
    body = Template(text).substitute(role_options=options)
    title = "Accounts" if lang == "en" else "Tài khoản"
    page = frame(lang, title, body, root="", path="/accounts", current="data")
    headers = {
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-cache",
        "Content-Security-Policy": page_security_policy(),
        "Content-Language": lang,
        "Vary": "Accept-Language, Cookie",
    }
    return HTMLResponse(page, headers=headers)
