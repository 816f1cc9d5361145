"""``dothi planning consultation``: a consultation's comments and its synthesis report."""

from __future__ import annotations

import json
from pathlib import Path

import click

from dothi.auth.policy import operator
from dothi.console import Context, default_user, pass_ctx, write_output
from dothi.i18n import t
from dothi.planning.consultation import comments as cs
from dothi.planning.plans import get_plan


@click.group("consultation")
def consultation_group() -> None:
    """Lấy ý kiến cộng đồng về đồ án / public consultation on plans."""


@consultation_group.command("list")
@click.argument("plan_id", metavar="PLAN")
@click.option(
    "--status",
    type=click.Choice(cs.STATUSES),
    help="Chỉ góp ý ở trạng thái này / only comments with this status",
)
@pass_ctx
def consultation_list(ctx: Context, plan_id: str, status: str | None) -> None:
    """Liệt kê góp ý (không có thông tin cá nhân) / list comments (no personal data)."""
    with ctx.database().read() as conn:
        get_plan(conn, plan_id)
        items, total = cs.list_comments(
            conn, operator(default_user()), plan_id, status=status, limit=500
        )
    for c in items:
        first_line = c["body"].splitlines()[0][:80]
        click.echo(f"{c['id']:>6}  {c['status']:<10}  {c['zone_uid'] or '-'}  {first_line}")
    click.echo(t(f"{total} góp ý.", f"{total} comment(s)."))


@consultation_group.command("report")
@click.argument("plan_id", metavar="PLAN")
@click.option("--format", "fmt", type=click.Choice(("pdf", "csv", "json")), default="pdf")
@click.option(
    "--table",
    type=click.Choice(("comments", "counts")),
    default="comments",
    help="CSV: các góp ý hoặc số liệu theo ô và chủ đề / CSV: comments, or counts",
)
@click.option("--output", type=click.Path(path_type=Path), required=True)
@pass_ctx
def consultation_report(ctx: Context, plan_id: str, fmt: str, table: str, output: Path) -> None:
    """Báo cáo tổng hợp ý kiến / the consultation's synthesis report."""
    from dothi.planning.consultation import report  # the PDF stack, only when asked

    with ctx.database().read() as conn:
        s = report.synthesis(conn, operator(default_user()), get_plan(conn, plan_id))
    if fmt == "pdf":
        data = report.render_pdf(s)
    elif fmt == "json":
        data = json.dumps(s.as_dict(), ensure_ascii=False, indent=1).encode()
    else:
        data = report.counts_csv(s) if table == "counts" else report.comments_csv(s)
    path = write_output(ctx.settings, output, data)
    click.echo(
        t(
            f"Đã ghi báo cáo ({len(s.comments)} góp ý đã công bố) vào {path}.",
            f"Report written ({len(s.comments)} published comments) to {path}.",
        )
    )
