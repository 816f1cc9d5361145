"""``dothi audit``: read the audit log and apply its retention period.

The log holds who changed or read what (account, token, client address): personal data
kept only as long as the city's retention rule says. ``purge`` deletes older entries and
leaves one entry saying it did.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import click

from dothi.auth.audit import audit, known_actions, list_audit, purge_audit
from dothi.auth.policy import operator
from dothi.console import Context, default_user, pass_ctx
from dothi.i18n import t


@click.group("audit")
def audit_group() -> None:
    """Nhật ký kiểm tra / the audit log."""


@audit_group.command("list")
@click.option("--layer", "layer_id", help="Chỉ lớp này / only this layer")
@click.option("--action", help="Chỉ hành động này / only this action, e.g. feature_update")
@click.option(
    "--days",
    type=click.IntRange(1, 36_500),
    help="Chỉ N ngày gần nhất / only the last N days",
)
@click.option("--limit", type=click.IntRange(1, 10_000), default=100, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Xuất JSON / JSON output")
@pass_ctx
def audit_list(
    ctx: Context,
    layer_id: str | None,
    action: str | None,
    days: int | None,
    limit: int,
    as_json: bool,
) -> None:
    """Các mục mới nhất trước / the newest entries first."""
    if action is not None and action not in known_actions():
        raise click.BadParameter(
            "không có hành động này / no such action; known: " + ", ".join(known_actions()),
            param_hint="--action",
        )
    since = None if days is None else datetime.now(UTC) - timedelta(days=days)
    with ctx.database().read() as conn:
        found = list_audit(conn, action=action, layer_id=layer_id, since=since, limit=limit)
    if as_json:
        rows = [
            {
                "id": e.id,
                "at": e.at.isoformat(),
                "actor": e.actor,
                "action": e.action,
                "layer_id": e.layer_id,
                "feature_id": e.feature_id,
                "target": e.target,
                "client": e.client,
                "outcome": e.outcome,
            }
            for e in found
        ]
        click.echo(json.dumps(rows, ensure_ascii=False, indent=1))
        return
    if not found:
        click.echo(t("Không có mục nào.", "No entries."))
        return
    for e in found:
        where = "/".join(x for x in (e.layer_id, e.feature_id, e.target) if x) or "-"
        click.echo(
            f"{e.at:%Y-%m-%d %H:%M:%S}Z  {e.actor:<20}  {e.action:<18}  {e.outcome:<7}  {where}"
        )


@audit_group.command("purge")
@click.option(
    "--older-than-days",
    "days",
    type=click.IntRange(1, 36_500),
    required=True,
    help="Xóa mục cũ hơn N ngày / delete entries older than N days",
)
@pass_ctx
def audit_purge(ctx: Context, days: int) -> None:
    """Xóa mục quá thời hạn lưu / delete entries past the retention period."""
    before = datetime.now(UTC) - timedelta(days=days)
    with ctx.database().write() as conn:
        removed = purge_audit(conn, before)
        audit(
            conn,
            operator(default_user()),
            "audit_purge",
            target=f"before:{before:%Y-%m-%dT%H:%M:%SZ}:{removed}",
        )
    click.echo(
        t(
            f"Đã xóa {removed} mục cũ hơn {days} ngày.",
            f"Deleted {removed} entries older than {days} days.",
        )
    )


def register(cli: click.Group) -> None:
    """Add ``dothi audit`` to the ``dothi`` group."""
    cli.add_command(audit_group)
