"""The planning information sheet (phiếu thông tin quy hoạch) as PDF.

One A4 page from a :class:`~dothi.planning.lookup.Lookup`: place, parcel, a map excerpt of
the parcel with the zones and constraints around it, the rules table, the plans referred
to, the buildable envelope, the date and the disclaimer.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import shapely
from fpdf import FPDF
from shapely.geometry.base import BaseGeometry

from dothi.pdf import add_fonts, fmt, title_block
from dothi.planning.lookup import DISCLAIMER, Lookup, constraint_label
from dothi.planning.plans import date_text

_MAP_MM = 80.0


class _Sheet(FPDF):
    def footer(self) -> None:
        self.set_y(-14)
        self.set_font("noto", size=7)
        self.multi_cell(0, 3.5, f"{DISCLAIMER['vi']} / {DISCLAIMER['en']}")


def map_bounds(answer: Lookup) -> tuple[float, float, float, float]:
    """The area (lon/lat bounds) the sheet's map excerpt shows around the parcel."""
    parcel = answer.parcel_geometry
    assert parcel is not None
    minx, miny, maxx, maxy = parcel.buffer(max(1e-5, parcel.length / 4)).bounds
    return float(minx), float(miny), float(maxx), float(maxy)


def _draw_context(pdf: FPDF, context: list[BaseGeometry], view: BaseGeometry, ring: Any) -> None:
    """Neighbouring parcels and buildings in light grey: where the parcel lies."""
    pdf.set_draw_color(170)
    pdf.set_fill_color(225)
    pdf.set_line_width(0.1)
    for geom in context:
        clipped = shapely.intersection(geom, view)
        for part in getattr(clipped, "geoms", [clipped]):
            if part.geom_type == "Polygon" and not part.is_empty:
                pdf.polygon(ring(part.exterior.coords), style="DF")
    pdf.set_draw_color(0)


def _draw_map(pdf: FPDF, answer: Lookup, x: float, y: float, context: list[BaseGeometry]) -> None:
    """The parcel (bold), its zones (thin) and constraints (dashed), fitted in a square,
    over the neighbouring parcels and buildings (grey)."""
    parcel = answer.parcel_geometry
    assert parcel is not None
    shapes: list[tuple[BaseGeometry, float, bool]] = [
        (z.geometry, 0.2, False) for z in answer.zones + answer.proposed if z.geometry is not None
    ]
    shapes += [(c.geometry, 0.3, True) for c in answer.constraints if c.geometry is not None]
    view = shapely.box(*map_bounds(answer))
    minx, miny, maxx, maxy = view.bounds
    scale = _MAP_MM / max(maxx - minx, maxy - miny)
    pdf.rect(x, y, _MAP_MM, _MAP_MM)

    def ring(coords: Any) -> list[tuple[float, float]]:
        return [(x + (cx - minx) * scale, y + (maxy - cy) * scale) for cx, cy in coords]

    _draw_context(pdf, context, view, ring)
    for geom, width, dashed in [*shapes, (parcel, 0.8, False)]:
        clipped = shapely.intersection(geom, view)
        pdf.set_line_width(width)
        pdf.set_dash_pattern(dash=1.2, gap=0.8) if dashed else pdf.set_dash_pattern()
        for part in getattr(clipped, "geoms", [clipped]):
            if part.geom_type == "Polygon" and not part.is_empty:
                pdf.polygon(ring(part.exterior.coords), style="D")
    pdf.set_dash_pattern()
    pdf.set_line_width(0.2)


def render_sheet(
    answer: Lookup,
    *,
    now: datetime | None = None,
    context: list[BaseGeometry] | None = None,
) -> bytes:
    """The PDF of one parcel's planning information; ``context``: neighbouring parcels and
    buildings drawn under the map excerpt (see :func:`map_bounds`)."""
    if answer.parcel is None or answer.parcel_geometry is None:
        raise ValueError("a planning sheet needs a parcel")  # callers look up a parcel first
    pdf = _Sheet(format="A4")
    add_fonts(pdf)
    pdf.set_auto_page_break(True, margin=18)
    pdf.add_page()
    title_block(pdf, "PHIẾU THÔNG TIN QUY HOẠCH", "Planning information sheet", now)
    pdf.ln(3)
    p = answer.parcel
    commune = (answer.commune or {}).get("name", "–")
    lines = [
        ("Xã/phường / Commune", f"{commune} ({p.get('commune_code', '–')})"),
        ("Thửa / Parcel", f"số {p.get('parcel_no')}, tờ bản đồ số {p.get('sheet_no')}"),
        ("Địa chỉ / Address", str(p.get("address") or "–")),
        ("Diện tích / Area", f"{fmt(answer.parcel_area_m2)} m²"),
    ]
    top = pdf.get_y()
    for label, value in lines:
        pdf.set_font("noto", "B", 9)
        pdf.cell(40, 5.5, label)
        pdf.set_font("noto", size=9)
        pdf.multi_cell(60, 5.5, value, new_x="LMARGIN", new_y="NEXT")
    _draw_map(pdf, answer, pdf.w - pdf.r_margin - _MAP_MM, top, context or [])
    pdf.set_font("noto", size=7)
    pdf.set_xy(pdf.w - pdf.r_margin - _MAP_MM, top + _MAP_MM + 0.5)
    pdf.cell(
        _MAP_MM,
        3.5,
        "Đậm: thửa · mảnh: ô quy hoạch · nét đứt: ràng buộc · xám: thửa, nhà lân cận",
        new_x="LEFT",
        new_y="NEXT",
    )
    pdf.cell(
        _MAP_MM,
        3.5,
        "Bold: parcel · thin: zones · dashed: constraints · grey: nearby parcels, buildings",
    )
    pdf.set_y(max(pdf.get_y(), top + _MAP_MM) + 6)
    _rules_table(pdf, answer)
    _constraints(pdf, answer)
    return bytes(pdf.output())


def _rules_table(pdf: FPDF, answer: Lookup) -> None:
    pdf.set_font("noto", "B", 10)
    pdf.cell(0, 6, "Chỉ tiêu quy hoạch / Planning rules", new_x="LMARGIN", new_y="NEXT")
    head = (
        "Ô / Zone",
        "Phần thửa / Share",
        "Mật độ / Coverage",
        "Tầng / Floors",
        "HSSDĐ / FAR",
        "Quyết định / Decision",
    )
    widths = (24, 28, 28, 24, 22, 54)
    pdf.set_font("noto", "B", 8)
    for text, w in zip(head, widths, strict=True):
        pdf.cell(w, 6, text, border=1)
    pdf.ln()
    pdf.set_font("noto", size=8)
    for z in answer.zones:
        r = z.rules
        floors = f"{fmt(r['min_floors'])}–{fmt(r['max_floors'])}"
        share = f"{fmt(z.area_m2)} m² ({fmt((z.share or 0) * 100, 0)} %)"
        plan = answer.plan_of(z)
        decision = f"{plan['decision_no'] or '–'} {date_text(plan['decision_date'], 'vi')}"
        row = (
            str(z.properties.get("zone_code", z.zone_uid)),
            share,
            f"{fmt(r['max_coverage_pct'])} %",
            floors,
            fmt(r["max_far"]),
            decision,
        )
        for text, w in zip(row, widths, strict=True):
            pdf.cell(w, 6, text, border=1)
        pdf.ln()
    if not answer.zones:
        pdf.cell(0, 6, "Không có ô quy hoạch đang áp dụng / no zone in force", border=1)
        pdf.ln()
    env = answer.envelope
    if env is not None:
        pdf.ln(2)
        pdf.set_font("noto", "B", 9)
        pdf.multi_cell(
            0,
            5,
            f"Tối đa / At most: chiếm đất / footprint {fmt(env['max_footprint_m2'])} m², "
            f"tổng sàn / floor area {fmt(env['max_floor_area_m2'])} m²",
            new_x="LMARGIN",
            new_y="NEXT",
        )
    _plans_in_force(pdf, answer)
    _proposals(pdf, answer)


def _line(pdf: FPDF, text: str, size: float = 8, style: str = "") -> None:
    pdf.set_font("noto", style, size)
    pdf.multi_cell(0, 4.5, text, new_x="LMARGIN", new_y="NEXT")


def _plans_in_force(pdf: FPDF, answer: Lookup) -> None:
    """Which plan each rule comes from, with its status in words."""
    seen: set[str] = set()
    for z in answer.zones:
        plan = answer.plan_of(z)
        key = str(plan["id"] or plan["name"])
        if key in seen:
            continue
        seen.add(key)
        names, status = plan["name_label"], plan["status_label"]
        _line(pdf, f"Đồ án / Plan: {names['vi']} — {status['vi']} / {status['en']}")


def _proposals(pdf: FPDF, answer: Lookup) -> None:
    """Zones of drafts in consultation: proposals, not rules — what each would change."""
    if not answer.proposed:
        return
    doc = answer.as_dict()
    pdf.ln(2)
    _line(
        pdf,
        "Đề xuất đang lấy ý kiến (chưa có hiệu lực) / Proposals in consultation (not in force)",
        10,
        "B",
    )
    for z in doc["proposed_zones"]:
        plan = z["plan"]
        code = z["zone_code"] or z["zone_uid"]
        _line(
            pdf,
            f"Ô / Zone {code}: {plan['name_label']['vi']} — {plan['status_label']['vi']} "
            f"/ {plan['status_label']['en']}",
            8,
            "B",
        )
        if z["change"] == "unchanged":
            _line(pdf, "    Không thay đổi / no change")
        elif z["change"] == "added":
            label = z["function"]["label"]
            _line(pdf, f"    Ô mới / new zone: {label['vi']} / {label['en']}")
        for c in z["changes"]:
            # Noto Sans has no arrow: "now … proposed …" says it in words.
            before, after, title = c["before_text"], c["after_text"], c["title"]
            _line(
                pdf,
                f"    {title['vi']}: hiện {before['vi']}, đề xuất {after['vi']} / "
                f"{title['en']}: now {before['en']}, proposed {after['en']}",
            )


def _constraints(pdf: FPDF, answer: Lookup) -> None:
    pdf.ln(2)
    pdf.set_font("noto", "B", 10)
    pdf.cell(0, 6, "Ràng buộc / Constraints", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("noto", size=9)
    if not answer.constraints:
        pdf.cell(0, 5, "Không có / none", new_x="LMARGIN", new_y="NEXT")
    for c in answer.constraints:
        kind = constraint_label(c.kind)
        label = c.properties.get("label")
        what = f"{kind['vi']} / {kind['en']}" + (f": {label}" if label else "")
        taken = "" if c.area_m2 is None else f" — {fmt(c.area_m2)} m²"
        pdf.multi_cell(0, 5, f"• {what}{taken}", new_x="LMARGIN", new_y="NEXT")
