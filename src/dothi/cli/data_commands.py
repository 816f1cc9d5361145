"""``dothi import``, ``dothi export`` and ``dothi layers``."""

from __future__ import annotations

import sys
from pathlib import Path

import click
import orjson
from sqlalchemy import Connection

from dothi.auth.audit import audit, audit_reads
from dothi.auth.policy import operator
from dothi.console import Context, default_user, pass_ctx, progress_bar
from dothi.geo.encodings import SUPPORTED as ENCODINGS
from dothi.i18n import t
from dothi.params import parse_datetime
from dothi.spatial import history, layer_admin
from dothi.spatial.column_map import parse_map_options, read_map_file
from dothi.spatial.export import FORMATS, export_layer
from dothi.spatial.import_report import ImportReport
from dothi.spatial.importer import ImportOptions, import_file
from dothi.spatial.layers import ACCESS_LEVELS, feature_counts, get_layer, list_layers
from dothi.spatial.sources import check_allowed

#: Exit status of an import that was written but holds features in doubtful places.
EXIT_MISPLACED = 4
_HOW = {
    "map": ("theo ánh xạ", "mapped"),
    "cadastral": ("tên cột địa chính", "cadastral name"),
    "truncated": ("tên bị cắt 10 ký tự", "name cut to 10 characters"),
    "loose": ("khác hoa thường/dấu", "case or accents differ"),
}


def _audit_hook(conn: Connection, action: str, layer_id: str, target: str | None) -> None:
    """Audit entries of layer changes made from the console, in the change's transaction."""
    audit(conn, operator(default_user()), action, layer_id=layer_id, target=target)


def print_report(report: ImportReport) -> None:
    """Print an import report: counts, the first problem rows and the report file."""
    c = report.counts()
    if report.created_layer:
        click.echo(
            t(
                f"Đã tạo lớp mới {report.layer_id}.",
                f"Created the new layer {report.layer_id}.",
            )
        )
    for col in report.renamed_columns:
        how = _HOW.get(col.how, (col.how, col.how))
        click.echo(
            t(
                f"Cột {col.source} → trường {col.target} ({how[0]}).",
                f"Column {col.source} → field {col.target} ({how[1]}).",
            )
        )
    if report.nothing_changed:
        click.echo(
            t(
                f"Lớp {report.layer_id}: không có gì thay đổi (đọc {c['read']}, không đổi "
                f"{c['unchanged']}, từ chối {c['rejected']}); không tạo lần thay đổi nào.",
                f"Layer {report.layer_id}: nothing changed (read {c['read']}, unchanged "
                f"{c['unchanged']}, rejected {c['rejected']}); no change set was kept.",
            )
        )
    else:
        _print_counts(report)
    _print_notes(report)


def _print_counts(report: ImportReport) -> None:
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


def _print_notes(report: ImportReport) -> None:
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
    p = report.placement
    if p.misplaced:
        click.echo(
            t(
                f"! {p.misplaced} đối tượng ở vị trí đáng ngờ: ngoài xã/phường ghi trong "
                f"commune_code {p.outside_commune} (đã từ chối), xa phạm vi hiện có của lớp "
                f"{p.far_from_layer}, ngoài Việt Nam {p.outside_vietnam}. Kiểm tra hệ tọa độ.",
                f"! {p.misplaced} features in doubtful places: outside the commune their "
                f"commune_code names {p.outside_commune} (rejected), far from the layer's "
                f"existing extent {p.far_from_layer}, outside Viet Nam {p.outside_vietnam}. "
                "Check the coordinate system.",
            )
        )
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
@click.option(
    "--new-layer",
    is_flag=True,
    help="Tạo lớp nếu chưa có (mặc định internal) / create the layer if it does not exist "
    "(internal unless --access)",
)
@click.option(
    "--force-crs",
    is_flag=True,
    help="Dùng --crs dù tệp khai báo hệ khác / use --crs even where the file declares another",
)
@click.option(
    "--map",
    "maps",
    multiple=True,
    metavar="CỘT=TRƯỜNG",
    help="Ánh xạ cột / map a file column to a field (COLUMN=FIELD, repeatable)",
)
@click.option(
    "--map-file",
    type=click.Path(path_type=Path),
    help="Tệp ánh xạ cột .json hoặc .csv / column mapping file (.json or .csv)",
)
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
    new_layer: bool,
    force_crs: bool,
    maps: tuple[str, ...],
    map_file: Path | None,
) -> None:
    """Nhập tệp vào một lớp / import a file into a layer.

    GeoJSON, GeoPackage, Shapefile (.shp, thư mục hoặc .zip), CSV (lon/lat hoặc WKT) và
    các định dạng GDAL đọc được. Mã thoát 4: đã nhập nhưng có đối tượng ở vị trí đáng ngờ /
    exit status 4: imported, but some features lie in doubtful places.
    """
    column_map = {}
    if map_file is not None:
        column_map = read_map_file(check_allowed(map_file, ctx.settings.allowed_dirs))
    column_map.update(parse_map_options(maps))
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
        new_layer=new_layer,
        force_crs=force_crs,
        column_map=column_map,
    )
    db = ctx.database()
    with progress_bar(t("Đang nhập", "Importing")) as bar:
        report = import_file(
            db,
            ctx.settings,
            path,
            opts,
            progress=bar,
            hooks=ctx.import_hooks,
            audit=_audit_hook,
        )
    print_report(report)
    if report.placement.misplaced:
        sys.exit(EXIT_MISPLACED)


@click.command("export")
@click.option("--layer", "layer_id", required=True)
@click.option("--format", "fmt", type=click.Choice(FORMATS), required=True)
@click.option("--output", type=click.Path(path_type=Path), required=True)
@click.option("--crs", help="Hệ tọa độ đầu ra / output CRS (mặc định WGS 84)")
@click.option("--as-of", help="Trạng thái tại thời điểm / state as of (ISO 8601)")
@click.option("--overwrite", is_flag=True, help="Ghi đè tệp đã có / replace an existing file")
@pass_ctx
def export_cmd(
    ctx: Context,
    layer_id: str,
    fmt: str,
    output: Path,
    crs: str | None,
    as_of: str | None,
    overwrite: bool,
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
            overwrite=overwrite,
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
    """Các lớp dữ liệu / layers: list, show, history, rollback, delete, restore, rename,
    access."""
    if click_ctx.invoked_subcommand is None:
        click_ctx.invoke(layers_list)


@layers_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="In JSON / print JSON")
@click.option("--deleted", is_flag=True, help="Các lớp đã xóa / the deleted layers")
@pass_ctx
def layers_list(ctx: Context, as_json: bool = False, deleted: bool = False) -> None:
    """Liệt kê lớp và số đối tượng / list layers with feature counts."""
    db = ctx.database()
    with db.read() as conn:
        layers = list_layers(conn, deleted=deleted)
        counts = feature_counts(conn)
    if as_json:
        out = [{**ly.to_dict(), "feature_count": counts.get(ly.id, 0)} for ly in layers]
        click.echo(orjson.dumps(out, option=orjson.OPT_INDENT_2).decode())
        return
    if not layers:
        if deleted:
            click.echo(t("Không có lớp nào đã xóa.", "No deleted layers."))
            return
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


@layers_group.command("delete")
@click.argument("layer_id")
@click.option(
    "--purge",
    is_flag=True,
    help="Xóa hẳn cả lịch sử (không khôi phục được) / remove with its history, for good",
)
@pass_ctx
def layers_delete(ctx: Context, layer_id: str, purge: bool) -> None:
    """Xóa một lớp (khôi phục được) / delete a layer (it can be restored).

    Lớp biến mất khỏi danh sách và API, lịch sử được giữ; --purge xóa hẳn. Lớp lõi không
    xóa được. / The layer leaves lists and APIs, its history stays; --purge removes it for
    good. Core layers cannot be deleted.
    """
    done = layer_admin.delete_layer(
        ctx.database(), layer_id, default_user(), purge=purge, audit=_audit_hook
    )
    if done.changeset_id is not None:
        click.echo(
            t(
                f"Đã xóa lớp {layer_id} ({done.removed} đối tượng, lần thay đổi "
                f"{done.changeset_id}); khôi phục bằng: dothi layers restore {layer_id}",
                f"Deleted layer {layer_id} ({done.removed} features, change set "
                f"{done.changeset_id}); restore it with: dothi layers restore {layer_id}",
            )
        )
    if done.purged:
        click.echo(
            t(
                f"Đã xóa hẳn lớp {layer_id} và lịch sử của nó.",
                f"Purged layer {layer_id} and its history.",
            )
        )


@layers_group.command("restore")
@click.argument("layer_id")
@pass_ctx
def layers_restore(ctx: Context, layer_id: str) -> None:
    """Khôi phục một lớp đã xóa / restore a deleted layer."""
    n = layer_admin.restore_layer(ctx.database(), layer_id, default_user(), audit=_audit_hook)
    click.echo(
        t(
            f"Đã khôi phục lớp {layer_id} ({n} đối tượng).",
            f"Restored layer {layer_id} ({n} features).",
        )
    )


@layers_group.command("rename")
@click.argument("layer_id")
@click.option("--title-vi", help="Tên tiếng Việt / Vietnamese title")
@click.option("--title-en", help="Tên tiếng Anh / English title")
@pass_ctx
def layers_rename(ctx: Context, layer_id: str, title_vi: str | None, title_en: str | None) -> None:
    """Đổi tên hiển thị của lớp (mã lớp giữ nguyên) / retitle a layer (its id stays)."""
    layer = layer_admin.rename_layer(
        ctx.database(), layer_id, title_vi=title_vi, title_en=title_en, audit=_audit_hook
    )
    click.echo(
        t(
            f"Lớp {layer.id}: {layer.title_vi} / {layer.title_en}.",
            f"Layer {layer.id}: {layer.title_vi} / {layer.title_en}.",
        )
    )


@layers_group.command("access")
@click.argument("layer_id")
@click.argument("access", type=click.Choice(ACCESS_LEVELS))
@pass_ctx
def layers_access(ctx: Context, layer_id: str, access: str) -> None:
    """Đổi mức truy cập của lớp / change who may read a layer."""
    before, after = layer_admin.set_layer_access(
        ctx.database(), layer_id, access, audit=_audit_hook
    )
    click.echo(
        t(
            f"Lớp {layer_id}: {before} → {after}.",
            f"Layer {layer_id}: {before} → {after}.",
        )
    )


def register(cli: click.Group) -> None:
    """Add the data commands to the ``dothi`` group."""
    cli.add_command(import_cmd)
    cli.add_command(export_cmd)
    cli.add_command(layers_group)
