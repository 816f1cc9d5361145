"""The planning information sheet (phiếu thông tin quy hoạch) as PDF.

One A4 page (more when a parcel has many vertices) from a
:class:`~dothi.planning.lookup.Lookup`: place, parcel, the plans in force with their
approval decisions (Vietnamese dates), a map excerpt drawn in the province's VN-2000 TM-3
zone (north up, scale bar, zone codes, numbered vertices, legend), the rules table, the
buildable envelope, the constraints, the parcel's vertex coordinates in VN-2000 (X northing,
Y easting, as on a land-use certificate), the date and the disclaimer.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

import pyproj
import shapely
from fpdf import FPDF
from shapely.geometry.base import BaseGeometry

from dothi.errors import InvalidInput
from dothi.geo import crs as crsmod
from dothi.geo.transform import move_with, transformer
from dothi.pdf import add_fonts, describe, fmt, long_date, title_block
from dothi.planning.lookup import DISCLAIMER, Lookup
from dothi.spatial.labels import value_label
from dothi.spatial.layers import core_layer

_MAP_MM = 80.0
_WGS84 = pyproj.CRS.from_epsg(4326)


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


def sheet_crs(answer: Lookup) -> tuple[pyproj.CRS, str]:
    """The VN-2000 frame the sheet uses and its name: the TM-3 zone of the parcel's
    province (its cadastral meridian, the 2001 list when the two lists disagree), else the
    VN-2000 UTM zone of the parcel."""
    code = str((answer.commune or {}).get("province_code") or "")
    for spec in (f"vn2000-tm3:{code}", f"vn2000-tm3:{code}@2001"):
        if not code:
            break
        try:
            crs = crsmod.resolve_crs(spec)
        except InvalidInput:
            continue
        return crs, f"VN-2000, múi 3° / TM-3 zone (EPSG:{crs.to_epsg()})"
    assert answer.parcel_geometry is not None
    lon = answer.parcel_geometry.centroid.x
    crs = crsmod.resolve_crs("vn2000-utm48" if lon < 108 else "vn2000-utm49")
    return crs, f"VN-2000 UTM (EPSG:{crs.to_epsg()})"


def vertices(answer: Lookup, crs: pyproj.CRS) -> list[tuple[float, float]]:
    """The parcel's vertices (outer ring, without the closing repeat) as (X northing,
    Y easting) in ``crs``, metres."""
    assert answer.parcel_geometry is not None
    shape = move_with(answer.parcel_geometry, transformer(_WGS84, crs))
    ring = _outer(shape).exterior.coords[:-1]
    return [(float(y), float(x)) for x, y in ring]


def _outer(shape: BaseGeometry) -> Any:
    """The largest polygon of a (multi)polygon."""
    parts = list(getattr(shape, "geoms", [shape]))
    return max(parts, key=lambda p: p.area)


def _nice_length(metres: float) -> float:
    """A round scale-bar length (1, 2 or 5 × 10ⁿ m) at most ``metres``."""
    exp = 10 ** math.floor(math.log10(max(metres, 1e-3)))
    for step in (5, 2, 1):
        if step * exp <= metres:
            return float(step * exp)
    return float(exp)


class _Frame:
    """Map coordinates (metres of the sheet's CRS) to the page (mm), north up."""

    def __init__(self, pdf: FPDF, view: BaseGeometry, x: float, y: float) -> None:
        self.pdf, self.view, self.x, self.y = pdf, view, x, y
        minx, miny, maxx, maxy = view.bounds
        self.minx, self.maxy = minx, maxy
        self.scale = _MAP_MM / max(maxx - minx, maxy - miny)  # mm per metre

    def point(self, cx: float, cy: float) -> tuple[float, float]:
        return self.x + (cx - self.minx) * self.scale, self.y + (self.maxy - cy) * self.scale

    def ring(self, coords: Any) -> list[tuple[float, float]]:
        return [self.point(cx, cy) for cx, cy in coords]

    def polygons(self, geom: BaseGeometry, style: str) -> None:
        clipped = shapely.intersection(geom, self.view)
        for part in getattr(clipped, "geoms", [clipped]):
            if part.geom_type == "Polygon" and not part.is_empty:
                self.pdf.polygon(self.ring(part.exterior.coords), style=style)


def _draw_map(
    pdf: FPDF,
    answer: Lookup,
    crs: pyproj.CRS,
    x: float,
    y: float,
    context: list[BaseGeometry],
) -> None:
    """The parcel (bold, numbered vertices), its zones (thin, with their codes) and the
    constraints (dashed) over the neighbouring parcels and buildings (grey), north up,
    with a scale bar and a north arrow."""
    to_map = transformer(_WGS84, crs)
    assert answer.parcel_geometry is not None
    parcel: BaseGeometry = move_with(answer.parcel_geometry, to_map)
    view = move_with(shapely.box(*map_bounds(answer)), to_map).envelope
    f = _Frame(pdf, view, x, y)
    pdf.rect(x, y, _MAP_MM, _MAP_MM)
    pdf.set_draw_color(170)
    pdf.set_fill_color(225)
    pdf.set_line_width(0.1)
    for geom in context:
        f.polygons(move_with(geom, to_map), "DF")
    pdf.set_draw_color(0)
    zones = [z for z in answer.zones + answer.proposed if z.geometry is not None]
    for z in zones:
        pdf.set_line_width(0.2)
        f.polygons(move_with(z.geometry, to_map), "D")
    pdf.set_dash_pattern(dash=1.2, gap=0.8)
    pdf.set_line_width(0.3)
    for c in answer.constraints:
        if c.geometry is not None:
            f.polygons(move_with(c.geometry, to_map), "D")
    pdf.set_dash_pattern()
    pdf.set_line_width(0.8)
    f.polygons(parcel, "D")
    pdf.set_line_width(0.2)
    # Zone codes, each inside its zone's part of the view.
    pdf.set_font("noto", "B", 7)
    pdf.set_text_color(40, 70, 140)
    for z in zones:
        part = shapely.intersection(move_with(z.geometry, to_map), view)
        if part.is_empty:
            continue
        spot = shapely.difference(part, parcel.buffer(0))
        spot = spot if not spot.is_empty and spot.area > part.area * 0.2 else part
        px, py = f.point(*spot.representative_point().coords[0])
        code = str(z.properties.get("zone_code") or "")
        pdf.text(px - pdf.get_string_width(code) / 2, py + 1, code)
    pdf.set_text_color(0)
    pdf.set_font("noto", size=6.5)
    for i, (cx, cy) in enumerate(_outer(parcel).exterior.coords[:-1], start=1):
        px, py = f.point(cx, cy)
        pdf.text(px + 0.6, py - 0.6, str(i))
    _north_arrow(pdf, x + _MAP_MM - 7, y + 3)
    _scale_bar(pdf, f, x + 3, y + _MAP_MM - 4)


def _north_arrow(pdf: FPDF, x: float, y: float) -> None:
    pdf.set_fill_color(0)
    pdf.polygon([(x + 2, y), (x + 3.6, y + 5), (x + 2, y + 4), (x + 0.4, y + 5)], style="F")
    pdf.set_font("noto", "B", 7)
    pdf.text(x + 2 - pdf.get_string_width("B") / 2, y + 8.2, "B")  # Bắc, north


def _scale_bar(pdf: FPDF, f: _Frame, x: float, y: float) -> None:
    metres = _nice_length(_MAP_MM / 3 / f.scale)
    width = metres * f.scale
    pdf.set_fill_color(255)
    pdf.rect(x - 1, y - 4.5, width + 14, 6.5, style="F")
    pdf.set_fill_color(0)
    pdf.rect(x, y, width / 2, 1, style="F")
    pdf.rect(x + width / 2, y, width / 2, 1, style="D")
    pdf.set_font("noto", size=6.5)
    pdf.text(x, y - 1, "0")
    label = f"{fmt(metres)} m"
    pdf.text(x + width - pdf.get_string_width(label) / 2, y - 1, label)


def _legend(pdf: FPDF, x: float, y: float) -> float:
    """The map's legend under it, inside the page: a sample of each line and what it is.
    Returns the y below it."""
    items = (
        (0.8, False, False, "Thửa đất / parcel (số: đỉnh thửa / numbers: vertices)"),
        (0.2, False, False, "Ô quy hoạch, mã ô / planning zone and its code"),
        (0.3, True, False, "Ràng buộc (chỉ giới…) / constraint (red line…)"),
        (0.1, False, True, "Thửa, nhà lân cận / nearby parcels, buildings"),
    )
    pdf.set_font("noto", size=6.5)
    for k, (width, dashed, grey, text) in enumerate(items):
        row = y + k * 3.6
        pdf.set_line_width(width)
        pdf.set_dash_pattern(dash=1.2, gap=0.8) if dashed else pdf.set_dash_pattern()
        if grey:
            pdf.set_fill_color(225)
            pdf.set_draw_color(170)
            pdf.rect(x, row - 1.8, 6, 2.4, style="DF")
            pdf.set_draw_color(0)
        else:
            pdf.line(x, row - 0.6, x + 6, row - 0.6)
        pdf.text(x + 8, row, text)
    pdf.set_dash_pattern()
    pdf.set_line_width(0.2)
    pdf.text(x, y + len(items) * 3.6, "B: hướng Bắc / north")
    return y + len(items) * 3.6 + 2


def _label(layer: str, field: str, value: Any) -> str:
    spec = core_layer(layer)
    schema = spec.property_schema if spec else {}
    vi = value_label(layer, schema, field, value, "vi")
    en = value_label(layer, schema, field, value, "en")
    if vi is None:
        return "–" if value is None else str(value)
    return vi if en in (None, vi) else f"{vi} / {en}"


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
    crs, crs_name = sheet_crs(answer)
    pdf = _Sheet(format="A4")
    add_fonts(pdf)
    p = answer.parcel
    describe(
        pdf,
        "Phiếu thông tin quy hoạch / Planning information sheet",
        f"Thửa số {p.get('parcel_no')}, tờ bản đồ số {p.get('sheet_no')}, "
        f"{(answer.commune or {}).get('name', '')}".strip(", "),
    )
    pdf.set_auto_page_break(True, margin=18)
    pdf.add_page()
    title_block(pdf, "PHIẾU THÔNG TIN QUY HOẠCH", "Planning information sheet", now)
    pdf.ln(3)
    commune = (answer.commune or {}).get("name", "–")
    lines = [
        ("Xã/phường / Commune", f"{commune} ({p.get('commune_code', '–')})"),
        ("Thửa / Parcel", f"số {p.get('parcel_no')}, tờ bản đồ số {p.get('sheet_no')}"),
        ("Địa chỉ / Address", str(p.get("address") or "–")),
        ("Diện tích / Area", f"{fmt(answer.parcel_area_m2, 1)} m²"),
        (
            "Mục đích sử dụng / Land use",
            _label("land_parcel", "land_use_code", p.get("land_use_code")),
        ),
    ]
    top = pdf.get_y()
    for label, value in lines:
        pdf.set_font("noto", "B", 9)
        pdf.cell(40, 5.5, label)
        pdf.set_font("noto", size=9)
        pdf.multi_cell(60, 5.5, value, new_x="LMARGIN", new_y="NEXT")
    _plans(pdf, answer)
    map_x = pdf.w - pdf.r_margin - _MAP_MM
    _draw_map(pdf, answer, crs, map_x, top, context or [])
    below = _legend(pdf, map_x, top + _MAP_MM + 4)
    pdf.set_y(max(pdf.get_y(), below) + 3)
    _rules_table(pdf, answer)
    _constraints(pdf, answer)
    _vertex_table(pdf, answer, crs, crs_name)
    return bytes(pdf.output())


def _plans(pdf: FPDF, answer: Lookup) -> None:
    """The plans the zones belong to: name, approval decision and status in words."""
    seen: set[str] = set()
    for z in answer.zones:
        plan = answer.plan_of(z)
        key = str(plan["id"] or plan["name"])
        if key in seen:
            continue
        seen.add(key)
        decision = plan["decision_no"] or "–"
        if plan["decision_date"]:
            decision += f" {long_date(plan['decision_date'])}"
        status = plan["status_label"]
        pdf.set_font("noto", "B", 9)
        pdf.cell(40, 5.5, "Đồ án / Plan")
        pdf.set_font("noto", size=9)
        pdf.multi_cell(
            60,
            4.5,
            f"{plan['name_label']['vi']}. Quyết định / Decision: {decision}. "
            f"{status['vi']} / {status['en']}",
            new_x="LMARGIN",
            new_y="NEXT",
        )


def _rules_table(pdf: FPDF, answer: Lookup) -> None:
    pdf.set_font("noto", "B", 10)
    pdf.cell(0, 6, "Chỉ tiêu quy hoạch / Planning rules", new_x="LMARGIN", new_y="NEXT")
    head = (
        "Ô / Zone",
        "Chức năng / Use",
        "Phần thửa / Share",
        "Mật độ / Coverage",
        "Tầng / Floors",
        "HSSDĐ / FAR",
    )
    widths = (20, 46, 34, 30, 24, 26)
    pdf.set_font("noto", "B", 8)
    for text, w in zip(head, widths, strict=True):
        pdf.cell(w, 6, text, border=1)
    pdf.ln()
    pdf.set_font("noto", size=8)
    for z in answer.zones:
        r = z.rules
        low, high = r["min_floors"], r["max_floors"]
        floors = fmt(high) if low is None else f"{fmt(low)}–{fmt(high)}"
        pct = None if z.share is None else z.share * 100
        share = f"{fmt(z.area_m2, 1)} m² ({fmt(pct, 0)} %)"
        use = value_label(
            "planning_zone",
            {},
            "land_use_function",
            z.properties.get("land_use_function"),
            "vi",
        )
        row = (
            str(z.properties.get("zone_code", z.zone_uid)),
            use or "–",
            share,
            f"{fmt(r['max_coverage_pct'])} %" if r["max_coverage_pct"] is not None else "–",
            floors,
            fmt(r["max_far"]),
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
        text = (
            f"Tối đa / At most: chiếm đất / footprint {fmt(env['max_footprint_m2'], 1)} m², "
            f"tổng sàn / floor area {fmt(env['max_floor_area_m2'], 1)} m²"
        )
        if env.get("red_line_m2"):
            text += (
                f" (không tính {fmt(env['red_line_m2'], 1)} m² trong chỉ giới đường đỏ / "
                f"leaving out {fmt(env['red_line_m2'], 1)} m² inside the road red line)"
            )
        pdf.multi_cell(0, 5, text, new_x="LMARGIN", new_y="NEXT")
    _proposals(pdf, answer)


def _line(pdf: FPDF, text: str, size: float = 8, style: str = "") -> None:
    pdf.set_font("noto", style, size)
    pdf.multi_cell(0, 4.5, text, new_x="LMARGIN", new_y="NEXT")


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
        kind = _label("planning_constraint", "kind", c.kind)
        label = c.properties.get("label")
        taken = "" if c.area_m2 is None else f": {fmt(c.area_m2, 1)} m²"
        text = f"• {kind}" + (f" — {label}" if label else "") + taken
        pdf.multi_cell(0, 5, text, new_x="LMARGIN", new_y="NEXT")


def _coordinate(value: float) -> str:
    """A coordinate in metres to the centimetre, the Vietnamese way: 1 191 915,00."""
    return f"{value:,.2f}".replace(",", " ").replace(".", ",")


def _vertex_table(pdf: FPDF, answer: Lookup, crs: pyproj.CRS, name: str) -> None:
    """The parcel's vertices in VN-2000, X (northing) and Y (easting) as on a land-use
    certificate, in two columns of the table."""
    points = vertices(answer, crs)
    pdf.ln(2)
    pdf.set_font("noto", "B", 10)
    pdf.cell(0, 6, "Tọa độ đỉnh thửa / Parcel vertices", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("noto", size=8)
    pdf.cell(0, 4.5, f"{name}; X: tọa độ bắc / northing, Y: tọa độ đông / easting (m)")
    pdf.ln()
    half = math.ceil(len(points) / 2)
    widths = (12, 38, 38)
    pdf.set_font("noto", "B", 8)
    for _ in range(2 if len(points) > 1 else 1):
        for text, w in zip(("Điểm", "X (m)", "Y (m)"), widths, strict=True):
            pdf.cell(w, 5, text, border=1, align="C")
        pdf.cell(4, 5, "")
    pdf.ln()
    pdf.set_font("noto", size=8)
    for k in range(half):
        for i in (k, k + half):
            if i >= len(points):
                continue
            north, east = points[i]
            for text, w in zip(
                (str(i + 1), _coordinate(north), _coordinate(east)), widths, strict=True
            ):
                pdf.cell(w, 5, text, border=1, align="R")
            pdf.cell(4, 5, "")
        pdf.ln()
