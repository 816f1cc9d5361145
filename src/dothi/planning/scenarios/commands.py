"""``dothi planning scenario``: save, list, show and compare planning scenarios."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from dothi.auth.policy import operator
from dothi.console import Context, default_user, pass_ctx
from dothi.errors import InvalidInput
from dothi.i18n import current_language, format_number, t
from dothi.planning import plans
from dothi.planning.scenarios import store as sc
from dothi.planning.scenarios.indicators import compare, parse_ids, scenario_indicators
from dothi.planning.scenarios.table import rows


@click.group("scenario")
def scenario_group() -> None:
    """Phương án quy hoạch (hỗ trợ ra quyết định) / planning scenarios (decision support)."""


@scenario_group.command("add")
@click.argument("plan_id", metavar="PLAN")
@click.option("--name", required=True, help="Tên phương án / scenario name")
@click.option("--id", "scenario_id", help="Mã phương án (mặc định tự đặt) / scenario id")
@click.option("--description", help="Mô tả / description")
@click.option(
    "--floor-area-per-person", type=float, required=True, help="m² sàn ở/người / m² per person"
)
@click.option("--household-size", type=float, required=True, help="người/hộ / people per household")
@click.option(
    "--mixed-use-residential-share",
    type=float,
    required=True,
    help="Tỉ lệ sàn ở trong đất hỗn hợp (0–1) / housing share of mixed-use floor area",
)
@click.option("--edition", help="Ấn bản quy chuẩn, ví dụ QCVN 01:2021/BXD / regulation edition")
@click.option("--date", "day", help="Chọn ấn bản có hiệu lực ngày này / edition in force that day")
@click.option("--norms", "norm_set", help="Bộ chỉ tiêu hạ tầng / infrastructure norm set")
@click.option("--illustrative", is_flag=True, help="Phương án minh họa / illustrative scenario")
@pass_ctx
def scenario_add(
    ctx: Context,
    plan_id: str,
    name: str,
    scenario_id: str | None,
    description: str | None,
    floor_area_per_person: float,
    household_size: float,
    mixed_use_residential_share: float,
    edition: str | None,
    day: str | None,
    norm_set: str | None,
    illustrative: bool,
) -> None:
    """Lưu một phương án của đồ án PLAN / save a scenario of plan PLAN."""
    assumptions: dict[str, Any] = {
        "floor_area_per_person_m2": floor_area_per_person,
        "household_size": household_size,
        "mixed_use_residential_share": mixed_use_residential_share,
    }
    for key, value in (("edition", edition), ("date", day), ("norm_set", norm_set)):
        if value is not None:
            assumptions[key] = value
    body: dict[str, Any] = {"name": name, "plan_id": plan_id, "assumptions": assumptions}
    body |= {"description": description, "illustrative": illustrative}
    if scenario_id is not None:
        body["id"] = scenario_id
    who = operator(default_user())
    with ctx.database().write() as conn:
        made = sc.add_scenario(conn, who, body)
    click.echo(
        t(
            f"Đã lưu phương án {made.id} ({made.assumptions.edition}).",
            f"Scenario {made.id} saved ({made.assumptions.edition}).",
        )
    )


@scenario_group.command("list")
@click.option("--plan", "plan_id", help="Chỉ phương án của đồ án này / only this plan's")
@click.option("--json", "as_json", is_flag=True, help="Xuất JSON / JSON output")
@pass_ctx
def scenario_list(ctx: Context, plan_id: str | None, as_json: bool) -> None:
    """Liệt kê phương án / list scenarios."""
    with ctx.database().read() as conn:
        found = sc.list_scenarios(conn, operator(default_user()), plan_id)
        names = {p.id: p.name for p in plans.list_plans(conn)}
    if as_json:
        click.echo(json.dumps([s.to_dict() for s in found], ensure_ascii=False, indent=1))
        return
    if not found:
        click.echo(t("Chưa có phương án nào.", "No scenarios yet."))
    for s in found:
        a = s.assumptions
        click.echo(f"{s.id:<20} {a.edition:<18} {s.name} — {names.get(s.plan_id, s.plan_id)}")


def _value(v: Any) -> str:
    return v if isinstance(v, str) else format_number(v, lang=current_language())


def _label(row: dict[str, Any]) -> str:
    return str(t(row["label"]["vi"], row["label"]["en"]))


@scenario_group.command("show")
@click.argument("scenario_id", metavar="ID")
@click.option("--json", "as_json", is_flag=True, help="Xuất JSON / JSON output")
@pass_ctx
def scenario_show(ctx: Context, scenario_id: str, as_json: bool) -> None:
    """Chỉ tiêu của một phương án / the indicators of a scenario."""
    doc = scenario_indicators(ctx.database(), operator(default_user()), scenario_id)
    if as_json:
        click.echo(json.dumps(doc, ensure_ascii=False, indent=1))
        return
    click.echo(f"{doc['scenario']['name']} ({doc['scenario']['id']})")
    for row in rows([doc]):
        unit = f" {row['unit']}" if row["unit"] and row["values"][0] is not None else ""
        click.echo(f"  {_label(row)}: {_value(row['values'][0])}{unit}")
    for note in doc["notes"]:
        click.echo(t(note["vi"], note["en"]))


@scenario_group.command("compare")
@click.argument("ids", nargs=-1, required=True, metavar="ID ID...")
@click.option(
    "--format",
    "kind",
    type=click.Choice(("table", "json", "csv", "pdf", "svg")),
    default="table",
    show_default=True,
    help="Dạng kết quả / output format",
)
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), help="Tệp ghi ra / file")
@pass_ctx
def scenario_compare(ctx: Context, ids: tuple[str, ...], kind: str, output: Path | None) -> None:
    """So sánh 2–6 phương án / compare 2–6 scenarios."""
    wanted = parse_ids(",".join(ids))
    doc = compare(ctx.database(), operator(default_user()), wanted)
    if kind == "table":
        data = _table(doc).encode()
    elif kind == "json":
        data = json.dumps(doc, ensure_ascii=False, indent=1).encode()
    else:
        from dothi.planning.scenarios import report  # the PDF stack, only when asked

        data = {"csv": report.to_csv, "pdf": report.to_pdf, "svg": report.to_svg}[kind](doc)
    if output is None:
        if kind == "pdf":
            raise InvalidInput("PDF cần --output TỆP.", "PDF needs --output FILE.")
        sys.stdout.buffer.write(data if data.endswith(b"\n") else data + b"\n")
        return
    output.write_bytes(data)
    click.echo(t(f"Đã ghi {output}.", f"Wrote {output}."), err=True)


def _table(doc: dict[str, Any]) -> str:
    names = [s["scenario"]["id"] for s in doc["scenarios"]]
    width = max(len(_label(r)) for r in doc["rows"])
    lines = [f"{'':<{width}}  " + "".join(f"{n:>18}" for n in names)]
    for r in doc["rows"]:
        values = "".join(f"{_value(v):>18}" for v in r["values"])
        lines.append(f"{_label(r):<{width}}  {values}  {r['unit']}".rstrip())
    return "\n".join(lines) + "\n"
