"""``dothi import``, ``dothi export`` and ``dothi layers``."""

from __future__ import annotations

from pathlib import Path

import click
import orjson

from dothi.auth.audit import audit_reads
from dothi.auth.policy import operator
from dothi.console import Context, default_user, pass_ctx, progress_bar
from dothi.geo.encodings import SUPPORTED as ENCODINGS
from dothi.i18n import t
from dothi.params import parse_datetime
from dothi.spatial import history
from dothi.spatial.export import FORMATS, export_layer
from dothi.spatial.import_report import ImportReport
from dothi.spatial.importer import ImportOptions, import_file
from dothi.spatial.layers import ACCESS_LEVELS, feature_counts, get_layer, list_layers


def print_report(report: ImportReport) -> None:
    """Print an import report: counts, the first problem rows and the report file."""
    c = report.counts()
    click.echo(
        t(
            f"Lớp {report.layer_id} (lần thay đổi {report.changeset_id}): đọc {c['read']}, "
            f"thêm {c['inserted']}, cập nhật {c['updated']}, không đổi {c['unchanged']}, "
            f"sửa hình học {c['repaired']}, từ chối {c['rejected']}, cảnh báo {c['flagged']}.",
            f"Layer {report.layer_id} (change set {report.changeset_id}): read {c['read']}, "
            f"inserted {c['inserted']}, updated {c['updated']}, unchanged {c['unchanged']}, "
            f"repaired {c['repaired']}, rejected {c['rejected']}, flagged {c['flagged']}.",
        )
    )
    if report.source_crs or report.encoding:
        click.echo(
            t(
                f"Hệ tọa độ nguồn: {report.source_crs or 'WGS 84'}; bảng mã: "
                f"{report.encoding or 'UTF-8'}.",
                f"Source CRS: {report.source_crs or 'WGS 84'}; encoding: "
                f"{report.encoding or 'UTF-8'}.",
            )
        )
    for w in report.warnings:
        click.echo(f"! {w}")
    shown = [n for n in report.notes if n.kind == "rejected"][:10]
    for n in shown:
        click.echo(f"  - {t('dòng', 'row')} {n.row} [{n.key or '-'}]: {n.reason}")
    if report.rejected > len(shown):
        click.echo(t("  …", "  …"))
    if report.report_path and (report.rejected or report.repaired or report.flagged):
        click.echo(
            t(
                f"Danh sách đầy đủ: {report.report_path}",
                f"Full list: {report.report_path}",
            )
        )


@click.command("import")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--layer", "layer_id", required=True, help="Mã lớp / layer id")
@click.option("--crs", help="EPSG:n | vn2000-tm3:<tỉnh/province> | vn2000-utm48 | vn2000-utm49")
@click.option("--encoding", type=click.Choice(ENCODINGS), default="auto", show_default=True)
@click.option("--key", help="Cột khóa để cập nhật lại / key column for upserts")
@click.option("--access", type=click.Choice(ACCESS_LEVELS))
@click.option("--title-vi")
@click.option("--title-en")
@click.option("--source-layer", help="Lớp trong tệp nhiều lớp / layer inside a multi-layer file")
@pass_ctx
def import_cmd(
    ctx: Context,
    path: Path,
    layer_id: str,
    crs: str | None,
    encoding: str,
    key: str | None,
    access: str | None,
    title_vi: str | None,
    title_en: str | None,
    source_layer: str | None,
) -> None:
    """Nhập tệp vào một lớp / import a file into a layer.

    GeoJSON, GeoPackage, Shapefile (.shp, thư mục hoặc .zip), CSV (lon/lat hoặc WKT) và
    các định dạng GDAL đọc được.
    """
    opts = ImportOptions(
        layer_id=layer_id,
        crs=crs,
        encoding=encoding,
        key=key,
        access=access,
        title_vi=title_vi,
        title_en=title_en,
        source_layer=source_layer,
        user=default_user(),
    )
    db = ctx.database()
    with progress_bar(t("Đang nhập", "Importing")) as bar:
        report = import_file(db, ctx.settings, path, opts, progress=bar, hooks=ctx.import_hooks)
    print_report(report)


@click.command("export")
@click.option("--layer", "layer_id", required=True)
@click.option("--format", "fmt", type=click.Choice(FORMATS), required=True)
@click.option("--output", type=click.Path(path_type=Path), required=True)
@click.option("--crs", help="Hệ tọa độ đầu ra / output CRS (mặc định WGS 84)")
@click.option("--as-of", help="Trạng thái tại thời điểm / state as of (ISO 8601)")
@pass_ctx
def export_cmd(
    ctx: Context, layer_id: str, fmt: str, output: Path, crs: str | None, as_of: str | None
) -> None:
    """Xuất một lớp ra tệp / export a layer to a file."""
    db = ctx.database()
    when = parse_datetime(as_of)
    with db.read() as conn:
        layer = get_layer(conn, layer_id)
        total = None if when else feature_counts(conn).get(layer_id)
    with progress_bar(t("Đang xuất", "Exporting")) as bar:
        result = export_layer(
            db,
            ctx.settings,
            layer_id,
            fmt,
            output,
            crs=crs,
            as_of=when,
            progress=lambda n: bar(n, total),
        )
    audit_reads(db, operator(default_user()), {layer.id: layer.access})
    click.echo(
        t(
            f"Đã xuất {result.count} đối tượng ({result.crs}) ra {result.path}.",
            f"Exported {result.count} features ({result.crs}) to {result.path}.",
        )
    )


@click.group("layers", invoke_without_command=True)
@click.pass_context
def layers_group(click_ctx: click.Context) -> None:
    """Các lớp dữ liệu / layers: list, show, history, rollback."""
    if click_ctx.invoked_subcommand is None:
        click_ctx.invoke(layers_list)


@layers_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="In JSON / print JSON")
@pass_ctx
def layers_list(ctx: Context, as_json: bool = False) -> None:
    """Liệt kê lớp và số đối tượng / list layers with feature counts."""
    db = ctx.database()
    with db.read() as conn:
        layers = list_layers(conn)
        counts = feature_counts(conn)
    if as_json:
        out = [{**ly.to_dict(), "feature_count": counts.get(ly.id, 0)} for ly in layers]
        click.echo(orjson.dumps(out, option=orjson.OPT_INDENT_2).decode())
        return
    if not layers:
        click.echo(t("Chưa có lớp nào. Nhập dữ liệu bằng: dothi import", "No layers yet."))
        return
    width = max(len(ly.id) for ly in layers)
    for ly in layers:
        title = t(ly.title_vi, ly.title_en)
        click.echo(
            f"{ly.id:<{width}}  {counts.get(ly.id, 0):>9}  {ly.geometry_type:<10} "
            f"{ly.access:<10} {title}"
        )


@layers_group.command("show")
@click.argument("layer_id")
@pass_ctx
def layers_show(ctx: Context, layer_id: str) -> None:
    """Mô tả một lớp / describe a layer (JSON)."""
    db = ctx.database()
    with db.read() as conn:
        layer = get_layer(conn, layer_id)
        count = feature_counts(conn).get(layer_id, 0)
    out = {**layer.to_dict(), "feature_count": count}
    click.echo(orjson.dumps(out, option=orjson.OPT_INDENT_2).decode())


@layers_group.command("history")
@click.argument("layer_id")
@click.option("--feature", "fid", help="Lịch sử một đối tượng / one feature's versions")
@pass_ctx
def layers_history(ctx: Context, layer_id: str, fid: str | None) -> None:
    """Lịch sử thay đổi / change history of a layer or a feature."""
    db = ctx.database()
    with db.read() as conn:
        if fid is None:
            for ch in history.layer_history(conn, layer_id):
                state = f" (reverted by {ch.reverted_by})" if ch.reverted_by else ""
                counts = {k: v for k, v in ch.summary.items() if isinstance(v, int)}
                click.echo(
                    f"{ch.id:>6}  {ch.created_at:%Y-%m-%d %H:%M:%S}Z  {ch.kind:<9} "
                    f"{ch.created_by}  {orjson.dumps(counts).decode()}{state}"
                )
            return
        for v in history.feature_history(db, conn, layer_id, fid):
            until = f"{v.valid_to:%Y-%m-%d %H:%M:%S}Z" if v.valid_to else t("nay", "now")
            click.echo(
                f"v{v.version}  {v.valid_from:%Y-%m-%d %H:%M:%S}Z → {until}  "
                f"#{v.created_in} {v.changed_by}  {orjson.dumps(v.properties).decode()}"
            )


@layers_group.command("rollback")
@click.argument("layer_id")
@click.argument("changeset_id", type=int)
@pass_ctx
def layers_rollback(ctx: Context, layer_id: str, changeset_id: int) -> None:
    """Hoàn tác một lần thay đổi / roll back one change set (e.g. a bad import)."""
    change = history.rollback(ctx.database(), layer_id, changeset_id, default_user())
    s = change.summary
    click.echo(
        t(
            f"Đã hoàn tác lần thay đổi {changeset_id} (lần thay đổi mới {change.id}): "
            f"bỏ {s['removed']}, khôi phục {s['restored']} đối tượng.",
            f"Rolled back change set {changeset_id} (new change set {change.id}): "
            f"removed {s['removed']}, restored {s['restored']} features.",
        )
    )


def register(cli: click.Group) -> None:
    """Add the data commands to the ``dothi`` group."""
    cli.add_command(import_cmd)
    cli.add_command(export_cmd)
    cli.add_command(layers_group)
