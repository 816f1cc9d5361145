"""``dothi planning consultation``: a consultation's comments, its synthesis report and the
plan's documents."""

from __future__ import annotations

import json
from pathlib import Path

import click

from dothi.auth.policy import operator
from dothi.console import Context, default_user, pass_ctx, write_output
from dothi.i18n import current_language, format_number, t
from dothi.planning.changes import zone_codes
from dothi.planning.consultation import comments as cs
from dothi.planning.consultation import documents as docs
from dothi.planning.consultation.attachments import check_file, clean_name, too_large
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
    words = {
        "pending": t("chờ duyệt", "pending"),
        "published": t("đã công bố", "published"),
        "rejected": t("từ chối", "rejected"),
    }
    for c in items:
        first_line = c["body"].splitlines()[0][:80]
        topic = c["topic_label"][current_language()]
        click.echo(f"{c['id']:>6}  {words[c['status']]:<11} {topic:<24} {first_line}")
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

    db, who = ctx.database(), operator(default_user())
    with db.read() as conn:
        s = report.synthesis(conn, who, get_plan(conn, plan_id), zone_codes(db, conn, who, plan_id))
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


@consultation_group.command("documents")
@click.argument("plan_id", metavar="PLAN")
@pass_ctx
def consultation_documents(ctx: Context, plan_id: str) -> None:
    """Liệt kê hồ sơ đồ án / list the plan's documents."""
    lang = current_language()
    with ctx.database().read() as conn:
        get_plan(conn, plan_id)
        found = docs.list_documents(conn, plan_id)
    for d in found:
        size = format_number(d["size"] / 2**20, 1, lang)
        click.echo(
            f"{d['id']:>5}  {d['kind_label'][lang]:<22} {d['title']} ({d['name']}, {size} MiB)"
        )
    click.echo(t(f"{len(found)} tài liệu.", f"{len(found)} document(s)."))


@consultation_group.command("upload")
@click.argument("plan_id", metavar="PLAN")
@click.argument(
    "path", metavar="FILE", type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option("--title", required=True, help="Tiêu đề tài liệu / the document's title")
@click.option("--kind", type=click.Choice(tuple(docs.KINDS)), default="other")
@pass_ctx
def consultation_upload(ctx: Context, plan_id: str, path: Path, title: str, kind: str) -> None:
    """Thêm tài liệu vào hồ sơ đồ án (PDF, JPG, PNG) / add a document to the plan."""
    if path.stat().st_size > docs.MAX_DOCUMENT_BYTES:
        raise too_large(docs.MAX_DOCUMENT_BYTES)  # before reading it all
    content = path.read_bytes()
    file = check_file(clean_name(path.name), "", content, max_bytes=docs.MAX_DOCUMENT_BYTES)
    new = docs.new_document(title, kind, file)
    with ctx.database().write() as conn:
        made = docs.add_document(conn, operator(default_user()), plan_id, new)
    click.echo(t(f"Đã thêm tài liệu số {made['id']}.", f"Document {made['id']} added."))
