"""``dothi users``: accounts, roles, layer grants and API tokens.

Whoever runs the CLI on the server can open the database anyway, so it acts with full
rights; every change is written to the audit log under ``DOTHI_USER`` or the login name.
"""

from __future__ import annotations

import sys
from datetime import datetime

import click

from dothi.auth import accounts, tokens
from dothi.auth.audit import audit
from dothi.auth.policy import ROLES, Principal, operator
from dothi.console import Context, default_user, pass_ctx
from dothi.errors import InvalidInput
from dothi.i18n import t


def _me() -> Principal:
    return operator(default_user())


def _day(value: datetime | None) -> str:
    return "-" if value is None else f"{value:%Y-%m-%d %H:%M}Z"


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        # One line; only the line ending is removed, other spaces belong to the password.
        line = sys.stdin.readline().rstrip("\r\n")
        if not line:
            raise InvalidInput(
                "Không đọc được mật khẩu từ đầu vào chuẩn.", "No password on standard input."
            )
        return line
    text: str = click.prompt(
        t("Mật khẩu mới / new password", "New password"),
        hide_input=True,
        confirmation_prompt=True,
    )
    return text


@click.group("users", invoke_without_command=True)
@click.pass_context
def users_group(click_ctx: click.Context) -> None:
    """Tài khoản, quyền và token API / accounts, grants and API tokens."""
    if click_ctx.invoked_subcommand is None:
        click_ctx.invoke(users_list)


@users_group.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--agency", help="Cơ quan / agency, e.g. 'Sở Xây dựng TP HCM'")
@click.option("--password-stdin", is_flag=True, help="Đọc mật khẩu từ stdin / password on stdin")
@pass_ctx
def users_add(ctx: Context, name: str, role: str, agency: str | None, password_stdin: bool) -> None:
    """Tạo tài khoản / create an account (no password: API tokens only)."""
    password = _read_password(True) if password_stdin else None
    with ctx.database().write() as conn:
        acc = accounts.create_account(conn, name, role, agency=agency, password=password)
        audit(conn, _me(), "account_create", target=f"account:{acc.id}")
    where = f" ({acc.agency})" if acc.agency else ""
    click.echo(
        t(
            f"Đã tạo tài khoản {acc.name}, vai trò {acc.role}{where}.",
            f"Created account {acc.name}, role {acc.role}{where}.",
        )
    )


@users_group.command("list")
@pass_ctx
def users_list(ctx: Context) -> None:
    """Liệt kê tài khoản / list accounts with their grants."""
    with ctx.database().read() as conn:
        found = [(a, accounts.list_grants(conn, a.name)) for a in accounts.list_accounts(conn)]
    if not found:
        click.echo(t("Chưa có tài khoản nào.", "No accounts yet."))
        return
    width = max(len(a.name) for a, _ in found)
    for acc, grants in found:
        state = t("khóa", "disabled") if acc.disabled_at else t("hoạt động", "active")
        rights = ",".join(f"{g.layer_id}:{'rw' if g.can_edit else 'r'}" for g in grants)
        click.echo(
            f"{acc.name:<{width}}  {acc.role:<6}  {state:<9}  "
            f"{'pw' if acc.has_password else '--'}  {rights or '-'}  {acc.agency or '-'}"
        )


@users_group.command("grant")
@click.argument("name")
@click.argument("layer_id", metavar="LAYER")
@click.option("--read", "read", is_flag=True, help="Quyền đọc / read")
@click.option("--edit", "edit", is_flag=True, help="Quyền sửa (kèm đọc) / edit (with read)")
@pass_ctx
def users_grant(ctx: Context, name: str, layer_id: str, read: bool, edit: bool) -> None:
    """Cấp quyền trên một lớp / grant rights on a layer."""
    if not (read or edit):
        raise click.UsageError(t("Chọn --read hoặc --edit.", "Choose --read or --edit."))
    with ctx.database().write() as conn:
        g = accounts.grant(conn, name, layer_id, read=read, edit=edit)
        target = f"account:{accounts.get_account(conn, name).id}"
        audit(conn, _me(), "grant", layer_id=layer_id, target=target)
    what = t("đọc và sửa", "read and edit") if g.can_edit else t("đọc", "read")
    click.echo(t(f"{name}: {what} lớp {layer_id}.", f"{name}: {what} layer {layer_id}."))


@users_group.command("revoke")
@click.argument("name")
@click.argument("layer_id", metavar="LAYER")
@pass_ctx
def users_revoke(ctx: Context, name: str, layer_id: str) -> None:
    """Thu hồi quyền trên một lớp / revoke rights on a layer."""
    with ctx.database().write() as conn:
        removed = accounts.revoke(conn, name, layer_id)
        if removed:
            target = f"account:{accounts.get_account(conn, name).id}"
            audit(conn, _me(), "revoke", layer_id=layer_id, target=target)
    if removed:
        click.echo(t(f"Đã thu hồi quyền của {name} trên {layer_id}.", f"Revoked {name}'s rights."))
    else:
        click.echo(t(f"{name} không có quyền riêng trên {layer_id}.", f"{name} had no grant."))


@users_group.command("passwd")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Đọc mật khẩu từ stdin / password on stdin")
@pass_ctx
def users_passwd(ctx: Context, name: str, password_stdin: bool) -> None:
    """Đặt mật khẩu / set an account's password."""
    with ctx.database().read() as conn:
        accounts.get_account(conn, name)  # before asking for a password
    password = _read_password(password_stdin)
    with ctx.database().write() as conn:
        accounts.set_password(conn, name, password)
        target = f"account:{accounts.get_account(conn, name).id}"
        audit(conn, _me(), "password_set", target=target)
    click.echo(t(f"Đã đặt mật khẩu cho {name}.", f"Password set for {name}."))


@users_group.command("role")
@click.argument("name")
@click.argument("role", type=click.Choice(ROLES))
@pass_ctx
def users_role(ctx: Context, name: str, role: str) -> None:
    """Đổi vai trò của tài khoản / change an account's role."""
    with ctx.database().write() as conn:
        before = accounts.get_account(conn, name).role
        acc = accounts.set_role(conn, name, role)
        audit(conn, _me(), "role_set", target=f"account:{acc.id}:{before}->{role}")
    click.echo(t(f"{name}: vai trò {before} → {role}.", f"{name}: role {before} → {role}."))


@users_group.command("disable")
@click.argument("name")
@pass_ctx
def users_disable(ctx: Context, name: str) -> None:
    """Khóa tài khoản (mật khẩu và mọi token) / disable an account and all its tokens."""
    with ctx.database().write() as conn:
        acc = accounts.disable_account(conn, name)
        audit(conn, _me(), "account_disable", target=f"account:{acc.id}")
    click.echo(t(f"Đã khóa tài khoản {name}.", f"Account {name} disabled."))


@users_group.group("token")
def token_group() -> None:
    """Token API cho script và hệ thống khác / API tokens for scripts and other systems."""


@token_group.command("create")
@click.argument("name")
@click.option("--name", "token_name", required=True, help="Tên token / what it is for")
@click.option(
    "--days",
    type=int,
    default=tokens.DEFAULT_TOKEN_DAYS,
    show_default=True,
    help=f"Thời hạn / lifetime (1–{tokens.MAX_TOKEN_DAYS})",
)
@pass_ctx
def token_create(ctx: Context, name: str, token_name: str, days: int) -> None:
    """Tạo token; in ra một lần duy nhất / create a token, printed once only."""
    with ctx.database().write() as conn:
        token, info = tokens.create_token(conn, name, token_name, days=days)
        audit(conn, _me(), "token_create", target=f"token:{info.id}")
    # The notice goes to stderr so that `TOKEN=$(dothi users token create ...)` works.
    click.echo(
        t(
            f"Token {info.id} «{info.name}» của {name}, hết hạn {_day(info.expires_at)}. "
            "Lưu ngay: token chỉ hiện lần này.",
            f"Token {info.id} '{info.name}' for {name}, expires {_day(info.expires_at)}. "
            "Save it now: it is shown only this once.",
        ),
        err=True,
    )
    click.echo(token)


@token_group.command("list")
@click.argument("name")
@pass_ctx
def token_list(ctx: Context, name: str) -> None:
    """Liệt kê token của tài khoản (không hiện token) / list tokens (never the token)."""
    with ctx.database().read() as conn:
        found = tokens.list_tokens(conn, name)
    if not found:
        click.echo(t(f"{name} chưa có token.", f"{name} has no tokens."))
        return
    for tk in found:
        click.echo(
            f"{tk.id:>5}  {tk.status():<7}  {t('hết hạn', 'expires')} {_day(tk.expires_at)}  "
            f"{t('dùng lần cuối', 'last used')} {_day(tk.last_used_at)}  {tk.name}"
        )


@token_group.command("revoke")
@click.argument("token_id", type=int)
@pass_ctx
def token_revoke(ctx: Context, token_id: int) -> None:
    """Thu hồi token theo số / revoke a token by its id."""
    with ctx.database().write() as conn:
        info = tokens.revoke_token(conn, token_id)
        audit(conn, _me(), "token_revoke", target=f"token:{info.id}")
    click.echo(t(f"Đã thu hồi token {info.id}.", f"Token {info.id} revoked."))


def register(cli: click.Group) -> None:
    """Add ``dothi users`` to the ``dothi`` group."""
    cli.add_command(users_group)
