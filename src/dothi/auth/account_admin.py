"""Accounts managed over the web: one's own account and password, and — for administrators —
every account's role, agency, password, state and layer grants.

Each function takes the caller (:class:`Principal`), checks the right here and writes the
audit entry in the same transaction as the change (a refusal in one of its own), so that
the routes stay thin and the rules stay in one place.

Decisions:

* **Own password.** Changing it needs the current one and revokes every other token of the
  account — other sign-ins and scripts' tokens alike: whoever knew the old password or
  holds a token made with it is out. The token of the request keeps working, so the page
  stays signed in. Wrong current passwords count like failed sign-ins: after
  :data:`~dothi.auth.login.MAX_FAILURES` within :data:`~dothi.auth.login.WINDOW`, 429.
* **Reset by an administrator.** Sets a new password (given, or generated and shown once)
  and revokes all the account's tokens. Administrators change their own password as
  everybody does, with the current one, so a stolen session cannot take the account.
* **Disabling** revokes the account's tokens as well, so that enabling it again later does
  not bring old sessions back. Nobody disables their own account.
* **There is always an administrator.** The last enabled admin can be neither disabled nor
  given another role.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection

from dothi.auth.accounts import (
    Account,
    Grant,
    account_row,
    active_admin_ids,
    check_password_rules,
    check_role,
    create_account,
    disable_account,
    enable_account,
    generate_password,
    get_account,
    grant,
    list_accounts,
    list_grants,
    revoke,
    set_agency,
    set_password,
    set_role,
    verify_password,
)
from dothi.auth.audit import audit, audit_now, count_entries, last_sign_ins
from dothi.auth.login import MAX_FAILURES, WINDOW
from dothi.auth.policy import Principal
from dothi.auth.tokens import get_token, revoke_account_tokens
from dothi.db.engine import Database
from dothi.errors import Conflict, Forbidden, InvalidInput, TooManyRequests, Unauthorized
from dothi.spatial.layers import list_layers


@dataclass(frozen=True)
class GrantView:
    """A layer grant with the layer's titles (what a person reads instead of its id)."""

    grant: Grant
    title_vi: str
    title_en: str


@dataclass(frozen=True)
class AccountView:
    """An account as an administrator sees it: never its password hash."""

    account: Account
    #: The last password sign-in the audit log remembers, if any.
    last_sign_in: datetime | None
    grants: tuple[GrantView, ...]


@dataclass(frozen=True)
class Me:
    """The caller's own account and the sign-in (token) the request came with."""

    view: AccountView
    token_expires_at: datetime | None


def _target(account_id: int) -> str:
    return f"account:{account_id}"


def require_signed_in(who: Principal) -> int:
    """The caller's account id; :class:`Unauthorized` for a caller without an account."""
    if who.is_anonymous or who.id is None:
        raise Unauthorized(
            "Cần đăng nhập để dùng chức năng này.",
            "Please sign in to use this.",
            code="AuthenticationRequired",
        )
    return who.id


def require_admin(
    db: Database, who: Principal, action: str | None = None, *, client: str | None = None
) -> None:
    """Pass for administrators; others get :class:`Forbidden` (403, the refusal of
    ``action`` written to the audit log) or, without an account, :class:`Unauthorized`."""
    require_signed_in(who)
    if who.is_admin:
        return
    if action is not None:
        audit_now(db, who, action, client=client, outcome="denied")
    raise Forbidden(
        "Chỉ quản trị viên được quản lý tài khoản.",
        "Only administrators may manage accounts.",
    )


def _views(conn: Connection, found: list[Account]) -> list[AccountView]:
    titles = {ly.id: (ly.title_vi, ly.title_en or ly.title_vi) for ly in list_layers(conn)}
    last = last_sign_ins(conn)
    out = []
    for acc in found:
        grants = tuple(
            GrantView(g, *titles.get(g.layer_id, (g.layer_id, g.layer_id)))
            for g in list_grants(conn, acc.name)
        )
        out.append(AccountView(acc, last.get(acc.id), grants))
    return out


def me(db: Database, who: Principal) -> Me:
    """The caller's own account, as :class:`Me`."""
    require_signed_in(who)
    with db.read() as conn:
        view = _views(conn, [get_account(conn, who.name)])[0]
        expires = None if who.token_id is None else get_token(conn, who.token_id).expires_at
    return Me(view, expires)


def change_own_password(
    db: Database, who: Principal, current: str, new: str, *, client: str | None = None
) -> int:
    """Change the caller's password after checking ``current``; returns how many other
    tokens of the account were revoked (see the module's decisions)."""
    account_id = require_signed_in(who)
    check_password_rules(new)
    if new == current:
        raise InvalidInput(
            "Mật khẩu mới phải khác mật khẩu hiện tại.",
            "The new password must differ from the current one.",
        )
    since = datetime.now(UTC) - WINDOW
    with db.read() as conn:
        failures = count_entries(
            conn, "password_change", since=since, account_id=account_id, outcome="denied"
        )
    if failures >= MAX_FAILURES:
        raise TooManyRequests(
            "Quá nhiều lần nhập sai mật khẩu hiện tại; hãy thử lại sau 15 phút.",
            "Too many wrong current passwords; try again in 15 minutes.",
            retry_after=int(WINDOW.total_seconds()),
        )
    with db.write() as conn:
        checked = verify_password(conn, who.name, current)
        if checked is not None and checked.id == account_id:
            set_password(conn, who.name, new)
            revoked = revoke_account_tokens(conn, account_id, keep=who.token_id)
            audit(conn, who, "password_change", target=_target(account_id), client=client)
            return revoked
    audit_now(
        db, who, "password_change", target=_target(account_id), client=client, outcome="denied"
    )
    raise InvalidInput(
        "Mật khẩu hiện tại không đúng.",
        "The current password is wrong.",
        code="WrongPassword",
    )


def accounts(db: Database, who: Principal) -> list[AccountView]:
    """Every account, by name (administrators only)."""
    require_admin(db, who)
    with db.read() as conn:
        return _views(conn, list_accounts(conn))


def account(db: Database, who: Principal, name: str) -> AccountView:
    """One account (administrators only); :class:`~dothi.errors.NotFound`."""
    require_admin(db, who)
    with db.read() as conn:
        return _views(conn, [get_account(conn, name)])[0]


def create(
    db: Database,
    who: Principal,
    name: str,
    role: str,
    *,
    agency: str | None = None,
    password: str | None = None,
    client: str | None = None,
) -> tuple[AccountView, str | None]:
    """Create an account with ``password``, or a generated one; returns the account and the
    generated password (to be shown once), or None when one was given."""
    require_admin(db, who, "account_create", client=client)
    generated = None
    if password is None:
        generated = password = generate_password()
    with db.write() as conn:
        made = create_account(conn, name, role, agency=agency or None, password=password)
        audit(conn, who, "account_create", target=_target(made.id), client=client)
        view = _views(conn, [made])[0]
    return view, generated


#: Marks an argument left out (``None`` means "clear" for an agency).
_KEEP = object()


def update(
    db: Database,
    who: Principal,
    name: str,
    *,
    role: str | None = None,
    agency: str | object | None = _KEEP,
    disabled: bool | None = None,
    client: str | None = None,
) -> AccountView:
    """Change an account's role, agency (``None`` clears it) and state, in one transaction,
    each change audited. Keeps an enabled administrator (:class:`Conflict`)."""
    first = "role_set" if role is not None else "agency_set" if agency is not _KEEP else None
    if disabled is not None:
        first = first or ("account_disable" if disabled else "account_enable")
    require_admin(db, who, first, client=client)
    if first is None:
        raise InvalidInput("Không có gì để thay đổi.", "Nothing to change.")
    if role is not None:
        check_role(role)
    with db.write() as conn:
        row = account_row(conn, name)
        target = _target(int(row.id))
        if disabled and row.id == who.id and row.disabled_at is None:
            raise Conflict(
                "Bạn không thể tự khóa tài khoản của mình; hãy nhờ một quản trị viên khác.",
                "You cannot disable your own account; ask another administrator.",
            )
        losing_admin = (role is not None and role != "admin") or bool(disabled)
        was_admin = row.role == "admin" and row.disabled_at is None
        if losing_admin and was_admin and active_admin_ids(conn) <= {int(row.id)}:
            raise Conflict(
                f"«{name}» là quản trị viên cuối cùng đang hoạt động: không thể khóa hay "
                "đổi vai trò. Hãy cấp vai trò quản trị cho một tài khoản khác trước.",
                f"'{name}' is the last active administrator: it cannot be disabled or "
                "given another role. Make another account an administrator first.",
            )
        if role is not None and role != row.role:
            set_role(conn, name, role)
            audit(conn, who, "role_set", target=f"{target}:{row.role}->{role}", client=client)
        if agency is not _KEEP:
            before = get_account(conn, name).agency
            after = set_agency(conn, name, agency if isinstance(agency, str) else None).agency
            if after != before:
                audit(conn, who, "agency_set", target=target, client=client)
        if disabled is True and row.disabled_at is None:
            disable_account(conn, name)
            revoke_account_tokens(conn, int(row.id))
            audit(conn, who, "account_disable", target=target, client=client)
        elif disabled is False and row.disabled_at is not None:
            enable_account(conn, name)
            audit(conn, who, "account_enable", target=target, client=client)
        return _views(conn, [get_account(conn, name)])[0]


def reset_password(
    db: Database,
    who: Principal,
    name: str,
    *,
    password: str | None = None,
    client: str | None = None,
) -> tuple[AccountView, str | None, int]:
    """Set another account's password (``password``, or a generated one) and revoke all its
    tokens; returns the account, the generated password (shown once) or None, and how many
    tokens were revoked."""
    require_admin(db, who, "password_reset", client=client)
    generated = None
    if password is None:
        generated = password = generate_password()
    with db.write() as conn:
        row = account_row(conn, name)
        if row.id == who.id:
            raise InvalidInput(
                "Đổi mật khẩu của chính bạn ở mục «Mật khẩu của tôi», với mật khẩu hiện tại.",
                "Change your own password under 'My password', with the current one.",
            )
        set_password(conn, name, password)
        revoked = revoke_account_tokens(conn, int(row.id))
        audit(conn, who, "password_reset", target=_target(int(row.id)), client=client)
        view = _views(conn, [get_account(conn, name)])[0]
    return view, generated, revoked


def set_grant(
    db: Database,
    who: Principal,
    name: str,
    layer_id: str,
    *,
    edit: bool = False,
    client: str | None = None,
) -> AccountView:
    """Give an account read (``edit``: and write) rights on one layer."""
    require_admin(db, who, "grant", client=client)
    with db.write() as conn:
        grant(conn, name, layer_id, read=True, edit=edit)
        target = _target(get_account(conn, name).id)
        audit(conn, who, "grant", layer_id=layer_id, target=target, client=client)
        return _views(conn, [get_account(conn, name)])[0]


def remove_grant(
    db: Database, who: Principal, name: str, layer_id: str, *, client: str | None = None
) -> AccountView:
    """Remove an account's rights on one layer (nothing to do if it had none)."""
    require_admin(db, who, "revoke", client=client)
    with db.write() as conn:
        if revoke(conn, name, layer_id):
            target = _target(get_account(conn, name).id)
            audit(conn, who, "revoke", layer_id=layer_id, target=target, client=client)
        return _views(conn, [get_account(conn, name)])[0]
