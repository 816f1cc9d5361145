"""Accounts, roles, agencies, API tokens and the audit log (quyền truy cập).

- :mod:`dothi.auth.policy` — :class:`Principal`, ``can_read``/``can_edit`` (no database);
- :mod:`dothi.auth.accounts` — accounts, agencies, passwords, layer grants;
- :mod:`dothi.auth.tokens` — API tokens, shown once and stored hashed;
- :mod:`dothi.auth.login` — sign-in with a password (a one-day token) and sign-out;
- :mod:`dothi.auth.account_admin` — one's own account and password, and administrators
  managing accounts, with the rights checked and every change audited (the web's rules);
- :mod:`dothi.auth.audit` — the audit log (``from dothi.auth.audit import audit``; not
  re-exported here, so that ``dothi.auth.audit`` stays the module);
- :mod:`dothi.auth.schema` — their tables (:data:`MIGRATIONS`: their revisions).

The web dependency is :func:`dothi.webkit.deps.current_principal`.
"""

from pathlib import Path

from dothi.auth.accounts import (
    Account,
    Grant,
    create_account,
    disable_account,
    get_account,
    grant,
    list_accounts,
    list_grants,
    revoke,
    set_password,
    verify_password,
)
from dothi.auth.policy import (
    ANONYMOUS,
    ROLES,
    Principal,
    can_edit,
    can_read,
    operator,
    require_edit,
    require_read,
    visible_layer_ids,
    visible_layers,
)
from dothi.auth.tokens import (
    TokenInfo,
    authenticate_token,
    create_token,
    list_tokens,
    revoke_token,
)

__all__ = [
    "ANONYMOUS",
    "MIGRATIONS",
    "ROLES",
    "Account",
    "Grant",
    "Principal",
    "TokenInfo",
    "authenticate_token",
    "can_edit",
    "can_read",
    "create_account",
    "create_token",
    "disable_account",
    "get_account",
    "grant",
    "list_accounts",
    "list_grants",
    "list_tokens",
    "operator",
    "require_edit",
    "require_read",
    "revoke",
    "revoke_token",
    "set_password",
    "verify_password",
    "visible_layer_ids",
    "visible_layers",
]

#: The folder of the auth tables' Alembic revisions.
MIGRATIONS = Path(__file__).parent / "migrations"
