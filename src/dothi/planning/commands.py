"""``dothi planning``: lookups, plans, and the consultation and scenario sub-groups."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import click

from dothi.auth.audit import audit
from dothi.auth.policy import operator
from dothi.console import Context, default_user, pass_ctx
from dothi.errors import InvalidInput
from dothi.i18n import Language, current_language, format_number, t
from dothi.planning import actions, plans
from dothi.planning import changes as ch
from dothi.planning import lookup as pl
from dothi.planning.consultation.commands import consultation_group
from dothi.planning.scenarios.commands import scenario_group


@click.group("planning")
def planning_group() -> None:
    """Thông tin quy hoạch / planning information."""


@planning_group.command("lookup")
@click.option("--lon", type=float, help="Kinh độ WGS 84 / WGS 84 longitude")
@click.option("--lat", type=float, help="Vĩ độ WGS 84 / WGS 84 latitude")
@click.option("--x", type=float, help="X trên giấy chứng nhận (bắc) / certificate X (northing)")
@click.option("--y", type=float, help="Y trên giấy chứng nhận (đông) / certificate Y (easting)")
@click.option("--crs", help="Hệ VN-2000 của X, Y, ví dụ vn2000-tm3:ho-chi-minh / CRS of X, Y")
@click.option("--commune", help="Mã xã/phường (5 chữ số) / commune code")
@click.option("--sheet", "sheet_no", help="Số tờ bản đồ / map sheet number")
@click.option("--parcel", "parcel_no", help="Số thửa / parcel number")
@click.option("--json", "as_json", is_flag=True, help="Xuất JSON / JSON output")
@pass_ctx
def planning_lookup(
    ctx: Context,
    lon: float | None,
    lat: float | None,
    x: float | None,
    y: float | None,
    crs: str | None,
    commune: str | None,
    sheet_no: str | None,
    parcel_no: str | None,
    as_json: bool,
) -> None:
    """Tra cứu quy hoạch theo điểm, tọa độ VN-2000 hoặc thửa / look up by point, VN-2000
    coordinates or parcel."""
    ways = {
        "point": (lon, lat),
        "certificate": (x, y, crs),
        "parcel": (commune, sheet_no, parcel_no),
    }
    given = [k for k, values in ways.items() if any(v is not None for v in values)]
    if len(given) != 1 or any(v is None for v in ways[given[0]]):
        raise InvalidInput(
            "Cho đúng một cách tra cứu: --lon --lat, hoặc --x --y --crs, hoặc "
            "--commune --sheet --parcel.",
            "Give exactly one way to look up: --lon --lat, or --x --y --crs, or "
            "--commune --sheet --parcel.",
        )
    db = ctx.database()
    who = operator(default_user())
    with db.read() as conn:
        if given[0] == "parcel":
            assert commune is not None and sheet_no is not None and parcel_no is not None
            answer = pl.lookup_parcel(db, conn, who, commune, sheet_no, parcel_no)
        else:
            if given[0] == "certificate":
                assert x is not None and y is not None and crs is not None
                lon, lat = pl.certificate_to_lonlat(x, y, crs)
            assert lon is not None and lat is not None
            answer = pl.lookup_point(db, conn, who, lon, lat)
    if as_json:
        click.echo(json.dumps(answer.as_dict(), ensure_ascii=False, indent=1))
        return
    _print(answer)


def _plan_line(plan: dict[str, Any], lang: Language) -> str:
    decision = ""
    if plan.get("decision_no"):
        day = plans.date_text(plan.get("decision_date"), lang)
        decision = t(
            f", quyết định {plan['decision_no']} ngày {day}",
            f", decision {plan['decision_no']} of {day}",
        )
    return f"{plan['name_label'][lang]} — {plan['status_label'][lang]}{decision}"


def _print(answer: pl.Lookup) -> None:
    lang = current_language()
    doc = answer.as_dict()
    commune = answer.commune or {}
    click.echo(t(f"Xã/phường: {commune.get('name', '–')}", f"Commune: {commune.get('name', '–')}"))
    if answer.parcel is not None:
        p = answer.parcel
        area = format_number(answer.parcel_area_m2, 1, lang)
        click.echo(
            t(
                f"Thửa {p.get('parcel_no')}, tờ {p.get('sheet_no')}: {area} m²",
                f"Parcel {p.get('parcel_no')}, sheet {p.get('sheet_no')}: {area} m²",
            )
        )
    if doc["zones"]:
        click.echo(t("Quy hoạch đang có hiệu lực:", "Plan in force:"))
    for z in doc["zones"]:
        share = ""
        if z["share"] is not None:
            share = f" — {format_number(z['area_m2'], 1, lang)} m² ({z['share']:.0%})"
        code = z["zone_code"] or z["zone_uid"]
        click.echo(f"  {t('Ô', 'Zone')} {code}{share}: {z['function']['label'][lang]}")
        for r in z["rules_text"]:
            click.echo(f"    {r['title'][lang]}: {r['text'][lang]}")
        click.echo(f"    {t('Đồ án', 'Plan')}: {_plan_line(z['plan'], lang)}")
    for z in doc["proposed_zones"]:
        code = z["zone_code"] or z["zone_uid"]
        click.echo(
            t(
                f"Đề xuất (chưa có hiệu lực), ô {code}: {_plan_line(z['plan'], lang)}",
                f"Proposed (not in force), zone {code}: {_plan_line(z['plan'], lang)}",
            )
        )
        for c in z["changes"]:
            click.echo(f"    {c['text'][lang]}")
        if z["change"] == "unchanged":
            click.echo(t("    Không thay đổi ô này.", "    No change to this zone."))
        elif z["change"] == "added":
            click.echo(f"    {t('Ô mới', 'New zone')}: {z['function']['label'][lang]}")
    for c in doc["constraints"]:
        taken = "" if c["area_m2"] is None else f": {format_number(c['area_m2'], 1, lang)} m²"
        click.echo(f"  {t('Ràng buộc', 'Constraint')}: {c['kind_label'][lang]}{taken}")
    if answer.envelope is not None:
        e = {k: format_number(v, 1, lang) for k, v in answer.envelope.items()}
        click.echo(
            t(
                f"Tối đa: chiếm đất {e['max_footprint_m2']} m², sàn {e['max_floor_area_m2']} m²",
                f"At most: footprint {e['max_footprint_m2']} m², floor area "
                f"{e['max_floor_area_m2']} m²",
            )
        )
    click.echo(t(pl.DISCLAIMER["vi"], pl.DISCLAIMER["en"]))


@planning_group.command("changes")
@click.argument("plan_id", metavar="PLAN")
@click.option("--against", help="So với đồ án này (mặc định: đồ án được thay thế) / compare with")
@click.option("--json", "as_json", is_flag=True, help="Xuất JSON / JSON output")
@pass_ctx
def planning_changes(ctx: Context, plan_id: str, against: str | None, as_json: bool) -> None:
    """Nội dung điều chỉnh của dự thảo so với quy hoạch đang áp dụng / what a draft changes
    against the plan in force, zone by zone."""
    db = ctx.database()
    with db.read() as conn:
        found = ch.compare_plans(db, conn, operator(default_user()), plan_id, against=against)
    if as_json:
        click.echo(json.dumps(found.as_dict(), ensure_ascii=False, indent=1))
        return
    lang = current_language()
    n = found.counts()
    click.echo(found.plan.summary()["name_label"][lang])
    if found.base is None:
        click.echo(t("Không có đồ án nào để so sánh.", "No plan to compare with."))
    else:
        base = found.base.summary()
        click.echo(
            t(
                f"So với: {base['name_label']['vi']} ({base['status_label']['vi']})",
                f"Against: {base['name_label']['en']} ({base['status_label']['en']})",
            )
        )
    click.echo(
        t(
            f"{n['changed']} ô điều chỉnh, {n['added']} ô mới, {n['removed']} ô bỏ, "
            f"{n['unchanged']} ô giữ nguyên (trên {n['zones']} ô của dự thảo).",
            f"{n['changed']} zones changed, {n['added']} added, {n['removed']} removed, "
            f"{n['unchanged']} unchanged (of the draft's {n['zones']} zones).",
        )
    )
    for code, kind, what, values in ch.change_rows(found, lang):
        click.echo(f"  {code:<10} {kind:<14} {what}{': ' + values if values else ''}")


@planning_group.group("plan")
def plan_group() -> None:
    """Đồ án quy hoạch / plans."""


def _date(value: str | None, name: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(
            f"{name} phải là ngày dạng YYYY-MM-DD, nhận «{value}».",
            f"{name} must be a date as YYYY-MM-DD, got '{value}'.",
        ) from None


@plan_group.command("add")
@click.argument("plan_id", metavar="ID")
@click.option("--name", required=True, help="Tên đồ án / plan name")
@click.option("--level", type=click.Choice(plans.LEVELS), required=True)
@click.option("--scale", help="Tỉ lệ, ví dụ 1/2000 / scale, e.g. 1/2000")
@click.option("--authority", help="Cơ quan phê duyệt / approving authority")
@click.option("--supersedes", help="Mã đồ án được thay thế / id of the plan it replaces")
@pass_ctx
def plan_add(
    ctx: Context,
    plan_id: str,
    name: str,
    level: str,
    scale: str | None,
    authority: str | None,
    supersedes: str | None,
) -> None:
    """Đăng ký đồ án (bản nháp) / register a plan (as a draft)."""
    with ctx.database().write() as conn:
        made = plans.add_plan(
            conn, plan_id, name, level, scale=scale, authority=authority, supersedes=supersedes
        )
        audit(conn, operator(default_user()), actions.PLAN_CREATE, target=f"plan:{made.id}")
    click.echo(t(f"Đã đăng ký đồ án {made.id} (nháp).", f"Plan {made.id} registered (draft)."))


@plan_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Xuất JSON / JSON output")
@pass_ctx
def plan_list(ctx: Context, as_json: bool) -> None:
    """Liệt kê đồ án / list plans."""
    with ctx.database().read() as conn:
        found = plans.list_plans(conn)
    if as_json:
        click.echo(json.dumps([p.to_dict() for p in found], ensure_ascii=False, indent=1))
        return
    if not found:
        click.echo(t("Chưa có đồ án nào.", "No plans yet."))
    lang = current_language()
    for p in found:
        decision = f"{p.decision_no} ({p.decision_date})" if p.decision_no else "–"
        status = plans.STATUS_LABELS[p.status][lang]
        level = plans.LEVEL_LABELS[p.level][lang]
        click.echo(f"{p.id:<24} {plans.name_in(p.name, lang)} — {status}; {level}; {decision}")


@plan_group.command("status")
@click.argument("plan_id", metavar="ID")
@click.argument("status", type=click.Choice(("draft", "consultation", "approved")))
@click.option("--from", "start", help="Ngày bắt đầu lấy ý kiến / consultation start")
@click.option("--to", "end", help="Ngày kết thúc lấy ý kiến / consultation end")
@click.option("--decision-no", help="Số quyết định phê duyệt / approval decision number")
@click.option("--decision-date", help="Ngày quyết định / decision date")
@pass_ctx
def plan_status(
    ctx: Context,
    plan_id: str,
    status: str,
    start: str | None,
    end: str | None,
    decision_no: str | None,
    decision_date: str | None,
) -> None:
    """Đổi trạng thái: lấy ý kiến, phê duyệt… / move a plan to consultation, approval…"""
    first, last = _date(start, "--from"), _date(end, "--to")
    day = _date(decision_date, "--decision-date")
    period = (first, last) if first is not None and last is not None else None
    decision = (decision_no, day) if decision_no is not None and day is not None else None
    with ctx.database().write() as conn:
        moved = plans.set_status(conn, plan_id, status, consultation=period, decision=decision)
        audit(
            conn, operator(default_user()), actions.PLAN_STATUS, target=f"plan:{plan_id}:{status}"
        )
    label = plans.STATUS_LABELS[moved.status]
    click.echo(t(f"Đồ án {moved.id}: {label['vi']}.", f"Plan {moved.id}: {label['en']}."))


planning_group.add_command(consultation_group)
planning_group.add_command(scenario_group)
