"""The comparison of scenarios as files: CSV (the table), SVG (the charts) and PDF (both).

Every output draws the rows and charts of :mod:`dothi.planning.scenarios.table`, so the
figures are the same everywhere. Charts are laid out once as simple shapes (bars, lines,
text) and then written as SVG or drawn in the PDF; the PDF uses the Noto Sans fonts of
every planning PDF (:mod:`dothi.pdf`), which have every Vietnamese letter.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from fpdf import FPDF
from fpdf.fonts import FontFace

from dothi.pdf import add_fonts, describe, fmt, title_block

Doc = dict[str, Any]
COLOURS = ("#1b6ca8", "#e07b39", "#3a9d5d", "#8e44ad", "#c0392b", "#7f8c8d")
_GROUPS = {
    "scenario": ("Phương án", "Scenario"),
    "zones": ("Ô quy hoạch", "Zones"),
    "floor_area": ("Diện tích sàn", "Floor area"),
    "population": ("Dân số", "Population"),
    "density": ("Mật độ dân số", "Population density"),
    "land_use": ("Cơ cấu sử dụng đất", "Land-use balance"),
    "green": ("Cây xanh", "Green space"),
    "services": ("Bán kính phục vụ", "Service coverage"),
    "infrastructure": ("Hạ tầng kỹ thuật", "Infrastructure"),
}


#: Plan statuses in words (the API's codes are not for reading).
STATUS = {
    "draft": ("dự thảo nội bộ", "internal draft"),
    "consultation": ("đang lấy ý kiến", "in consultation"),
    "approved": ("đã phê duyệt", "approved"),
    "superseded": ("đã được thay thế", "superseded"),
}
#: How a missing figure is drawn in charts, said in their legend.
MISSING = "Gạch chéo, «–»: không có số liệu / hatched, '–': no value"


def _title(doc: Doc) -> str:
    return str(doc["scenario"]["name"])


def _csv_title(doc: Doc) -> str:
    s = doc["scenario"]
    return f"{s['name']} ({s['id']})"


def difference_titles(docs: list[Doc]) -> list[str]:
    """Headings of the difference columns: each later scenario against the first."""
    return [f"Chênh lệch / Difference {k + 2} - 1" for k in range(len(docs) - 1)]


# -- CSV -----------------------------------------------------------------------------------
def to_csv(comparison: Doc) -> bytes:
    """The table as CSV: UTF-8 with a byte-order mark (so Excel shows Vietnamese), comma
    separated, numbers with a decimal point, empty cells where a figure does not apply."""
    out = io.StringIO()
    w = csv.writer(out)
    docs = comparison["scenarios"]
    titles = [_csv_title(d) for d in docs]
    w.writerow(
        [
            "Nhóm / Group",
            "Mã / Key",
            "Chỉ tiêu / Indicator",
            "Đơn vị / Unit",
            *titles,
            *difference_titles(docs),
        ]
    )
    for r in comparison["rows"]:
        vi, en = _GROUPS.get(r["group"], (r["group"], r["group"]))
        label = f"{r['label']['vi']} / {r['label']['en']}"
        values = ["" if v is None else v for v in r["values"]]
        diffs = ["" if v is None else v for v in r.get("differences", [])]
        w.writerow([f"{vi} / {en}", r["key"], label, r["unit"], *values, *diffs])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


# -- chart layout ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    w: float
    h: float
    colour: str


@dataclass(frozen=True)
class Line:
    x1: float
    y1: float
    x2: float
    y2: float
    colour: str
    dashed: bool = False


@dataclass(frozen=True)
class Text:
    x: float
    y: float
    text: str
    size: float
    anchor: str = "start"  # start, middle or end
    bold: bool = False
    colour: str = "#222222"


Shape = Rect | Line | Text


def _nice(top: float) -> float:
    """The axis maximum: the next 1, 2, 2.5 or 5 × 10ⁿ at or above ``top``."""
    if top <= 0:
        return 1.0
    exp = 10 ** math.floor(math.log10(top))
    for step in (1, 2, 2.5, 5, 10):
        if step * exp >= top:
            return float(step * exp)
    return float(10 * exp)


def _fit(text: str, size: float, width: float) -> str:
    # About 0.55 em per character in Noto Sans: shorten labels that would overlap.
    room = max(3, int(width / (size * 0.55)))
    return text if len(text) <= room else text[: room - 1] + "…"


def chart_shapes(chart: Doc, x: float, y: float, w: float, h: float) -> list[Shape]:
    """One chart as shapes in the box (x, y, w, h), y downwards; units are the caller's
    (pixels for SVG, millimetres for PDF), text sizes scale with ``h``."""
    s = h / 300  # the layout is drawn for a 300-unit-high panel
    shapes: list[Shape] = [
        Text(x, y + 14 * s, chart["title"]["vi"], 13 * s, bold=True),
        Text(x, y + 29 * s, f"{chart['title']['en']} ({chart['unit']})", 10 * s),
    ]
    left, right, top, bottom = x + 52 * s, x + w - 8 * s, y + 48 * s, y + h - 40 * s
    values = [v for series in chart["values"] for v in series if v is not None]
    refs = [r["value"] for r in chart["references"]]
    axis = _nice(max([0.0, *values, *refs]))
    for k in range(5):
        level = bottom - (bottom - top) * k / 4
        shapes.append(Line(left, level, right, level, "#dddddd"))
        shapes.append(Text(left - 4 * s, level + 3 * s, fmt(axis * k / 4), 8 * s, "end"))
    categories = chart["categories"]
    n = len(chart["values"])
    group = (right - left) / max(1, len(categories))
    bar = group * 0.8 / max(1, n)
    for c, cat in enumerate(categories):
        x0 = left + c * group + group * 0.1
        for i, series in enumerate(chart["values"]):
            value = series[c]
            bx = x0 + i * bar
            if value is None:
                # Missing is not zero: a hatched box and a dash, never an empty bar.
                high = (bottom - top) * 0.3
                shapes += hatch(bx, bottom - high, bar * 0.92, high, 4 * s)
                shapes.append(Text(bx + bar * 0.46, bottom - high - 2 * s, "–", 8 * s, "middle"))
                continue
            height = (bottom - top) * float(value) / axis
            shapes.append(Rect(bx, bottom - height, bar * 0.92, height, COLOURS[i % len(COLOURS)]))
            shapes.append(
                Text(bx + bar * 0.46, bottom - height - 2 * s, fmt(value), 7 * s, "middle")
            )
        label = _fit(cat["label"]["vi"], 8 * s, group)
        shapes.append(Text(left + (c + 0.5) * group, bottom + 12 * s, label, 8 * s, "middle"))
        label_en = _fit(cat["label"]["en"], 7 * s, group)
        shapes.append(Text(left + (c + 0.5) * group, bottom + 22 * s, label_en, 7 * s, "middle"))
    for r in chart["references"]:
        level = bottom - (bottom - top) * float(r["value"]) / axis
        shapes.append(Line(left, level, right, level, "#c0392b", dashed=True))
        text = f"{r['label']['vi']}: {fmt(r['value'])}"
        shapes.append(Text(right, level - 3 * s, text, 7.5 * s, "end", colour="#c0392b"))
    shapes.append(Line(left, bottom, right, bottom, "#444444"))
    return shapes


def hatch(x: float, y: float, w: float, h: float, step: float) -> list[Shape]:
    """A box (x, y, w, h) hatched with 45° lines ``step`` apart, and its outline."""
    out: list[Shape] = []
    grey = "#999999"
    k = step
    while k < w + h:
        # The line x + t, y + h - (k - t)... clipped to the box: from the bottom or left
        # edge up to the top or right edge.
        x1, y1 = (x + k, y + h) if k <= w else (x + w, y + h - (k - w))
        x2, y2 = (x, y + h - k) if k <= h else (x + (k - h), y)
        out.append(Line(x1, y1, x2, y2, grey))
        k += step
    out += [
        Line(x, y, x + w, y, grey),
        Line(x, y + h, x + w, y + h, grey),
        Line(x, y, x, y + h, grey),
        Line(x + w, y, x + w, y + h, grey),
    ]
    return out


def _legend(docs: list[Doc], x: float, y: float, size: float) -> list[Shape]:
    shapes: list[Shape] = []
    for i, d in enumerate(docs):
        top = y + i * size * 1.6
        shapes.append(Rect(x, top, size, size, COLOURS[i % len(COLOURS)]))
        shapes.append(Text(x + size * 1.5, top + size * 0.85, _title(d), size))
    top = y + len(docs) * size * 1.6
    shapes += hatch(x, top, size, size, size / 3)
    shapes.append(Text(x + size * 1.5, top + size * 0.85, MISSING, size * 0.85))
    return shapes


# -- SVG -------------------------------------------------------------------------------------
_PANEL_W, _PANEL_H, _COLUMNS = 480.0, 300.0, 2


def to_svg(comparison: Doc) -> bytes:
    """Every chart of the comparison in one SVG picture, with a legend of the scenarios."""
    docs, charts = comparison["scenarios"], comparison["charts"]
    head = 40.0 + (len(docs) + 1) * 22.0
    rows = math.ceil(len(charts) / _COLUMNS)
    width, height = _COLUMNS * _PANEL_W + 40, head + rows * (_PANEL_H + 20) + 20
    shapes: list[Shape] = [
        Text(20, 28, "So sánh phương án quy hoạch / Planning scenarios compared", 18, bold=True),
        *_legend(docs, 20, 42, 13),
    ]
    for k, chart in enumerate(charts):
        px = 20 + (k % _COLUMNS) * _PANEL_W
        py = head + (k // _COLUMNS) * (_PANEL_H + 20)
        shapes += chart_shapes(chart, px, py, _PANEL_W - 20, _PANEL_H)
    body = "\n".join(_svg(sh) for sh in shapes)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" '
        'font-family="Noto Sans, Arial, Helvetica, sans-serif">\n'
        f'<rect width="100%" height="100%" fill="#ffffff"/>\n{body}\n</svg>\n'
    ).encode()


def _svg(sh: Shape) -> str:
    if isinstance(sh, Rect):
        return (
            f'<rect x="{sh.x:.1f}" y="{sh.y:.1f}" width="{sh.w:.1f}" height="{sh.h:.1f}" '
            f'fill="{sh.colour}"/>'
        )
    if isinstance(sh, Line):
        dash = ' stroke-dasharray="5 3"' if sh.dashed else ""
        return (
            f'<line x1="{sh.x1:.1f}" y1="{sh.y1:.1f}" x2="{sh.x2:.1f}" y2="{sh.y2:.1f}" '
            f'stroke="{sh.colour}"{dash}/>'
        )
    weight = ' font-weight="bold"' if sh.bold else ""
    return (
        f'<text x="{sh.x:.1f}" y="{sh.y:.1f}" font-size="{sh.size:.1f}" '
        f"text-anchor={quoteattr(sh.anchor)} fill={quoteattr(sh.colour)}{weight}>"
        f"{escape(sh.text)}</text>"
    )


# -- PDF -------------------------------------------------------------------------------------
class _Report(FPDF):
    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("noto", size=7)
        self.cell(0, 4, f"Dothi — {self.page_no()}", align="R")


def _rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def _draw(pdf: FPDF, shapes: list[Shape]) -> None:
    for sh in shapes:
        if isinstance(sh, Rect):
            pdf.set_fill_color(*_rgb(sh.colour))
            pdf.rect(sh.x, sh.y, sh.w, max(sh.h, 0.01), style="F")
        elif isinstance(sh, Line):
            pdf.set_draw_color(*_rgb(sh.colour))
            pdf.set_line_width(0.2)
            pdf.set_dash_pattern(dash=1.2, gap=0.8) if sh.dashed else pdf.set_dash_pattern()
            pdf.line(sh.x1, sh.y1, sh.x2, sh.y2)
        else:
            size = sh.size / 25.4 * 72  # the layout's units are mm; fonts are in points
            pdf.set_font("noto", "B" if sh.bold else "", size)
            pdf.set_text_color(*_rgb(sh.colour))
            width = pdf.get_string_width(sh.text)
            shift = {"start": 0.0, "middle": width / 2, "end": width}[sh.anchor]
            pdf.text(sh.x - shift, sh.y, sh.text)
    pdf.set_dash_pattern()
    pdf.set_text_color(0, 0, 0)
    pdf.set_draw_color(0, 0, 0)


def to_pdf(comparison: Doc, *, now: datetime | None = None) -> bytes:
    """A report: the scenarios and their assumptions, the table, then the charts."""
    pdf = _Report(orientation="landscape", format="A4")
    add_fonts(pdf)
    names = ", ".join(_title(d) for d in comparison["scenarios"])
    describe(pdf, "So sánh phương án quy hoạch / Planning scenarios compared", names)
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_page()
    title_block(pdf, "SO SÁNH PHƯƠNG ÁN QUY HOẠCH", "Planning scenarios compared", now)
    pdf.ln(2)
    docs = comparison["scenarios"]
    for i, d in enumerate(docs):
        _scenario_lines(pdf, d, COLOURS[i % len(COLOURS)])
    for warning in comparison.get("warnings", []):
        pdf.set_font("noto", "B", 8.5)
        pdf.set_text_color(160, 40, 30)
        pdf.multi_cell(
            0,
            4.2,
            f"Lưu ý / Note: {warning['vi']} / {warning['en']}",
            new_x="LMARGIN",
            new_y="NEXT",
        )
        pdf.set_text_color(0, 0, 0)
    _table(pdf, comparison)
    charts = comparison["charts"]
    w, h = (pdf.w - pdf.l_margin - pdf.r_margin - 10) / 2, 78.0
    for k, chart in enumerate(charts):
        if k % 4 == 0:
            pdf.add_page()
            _draw(pdf, _legend(docs, pdf.l_margin, 10, 3.2))
        top = 12 + (len(docs) + 1) * 5.2 + (k % 4 // 2) * (h + 6)
        left = pdf.l_margin + (k % 2) * (w + 10)
        _draw(pdf, chart_shapes(chart, left, top, w, h))
    return bytes(pdf.output())


def _scenario_lines(pdf: FPDF, d: Doc, colour: str) -> None:
    a = d["scenario"]["assumptions"]
    pdf.set_fill_color(*_rgb(colour))
    pdf.rect(pdf.l_margin, pdf.get_y() + 1.2, 3, 3, style="F")
    pdf.set_x(pdf.l_margin + 5)
    pdf.set_font("noto", "B", 9)
    plan = d["plan"]
    vi, en = STATUS.get(plan["status"], (plan["status"], plan["status"]))
    pdf.multi_cell(
        0,
        5,
        f"{_title(d)} — đồ án / plan {plan['name']} ({vi} / {en})",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.set_font("noto", size=8)
    text = (
        f"Sàn ở / floor area per person {fmt(a['floor_area_per_person_m2'])} m²; "
        f"hộ / household {fmt(a['household_size'])} người/people; "
        f"sàn ở trong đất hỗn hợp / housing share of mixed use "
        f"{fmt(a['mixed_use_residential_share'])}; "
        f"quy chuẩn / regulation {d['edition']['code']}; "
        f"chỉ tiêu hạ tầng / norms {d['norm_set']['title']}."
    )
    for note in d["notes"]:
        text += f" {note['vi']} / {note['en']}"
    pdf.set_x(pdf.l_margin + 5)
    pdf.multi_cell(0, 4, text, new_x="LMARGIN", new_y="NEXT")
    pdf.set_fill_color(255, 255, 255)  # the table that follows fills with the current colour
    pdf.ln(1)


def _table(pdf: FPDF, comparison: Doc) -> None:
    docs = comparison["scenarios"]
    pdf.ln(2)
    pdf.set_font("noto", size=7.5)
    room = pdf.w - pdf.l_margin - pdf.r_margin
    diffs = difference_titles(docs)
    columns = len(docs) + len(diffs)
    first, unit = 110.0 if len(docs) < 4 else 80.0, 30.0
    each = (room - first - unit) / columns
    head = FontFace(emphasis="BOLD", fill_color=(230, 236, 242))
    with pdf.table(
        col_widths=(first, unit, *([each] * columns)),
        width=room,
        headings_style=head,
        text_align=("LEFT", "LEFT", *(["RIGHT"] * columns)),
        line_height=3.8,
        first_row_as_headings=True,
    ) as table:
        row = table.row()
        row.cell("Chỉ tiêu / Indicator")
        row.cell("Đơn vị / Unit")
        for d in docs:
            row.cell(_title(d))
        for title in diffs:
            row.cell(title)
        group = None
        for r in comparison["rows"]:
            if r["group"] != group:
                group = r["group"]
                vi, en = _GROUPS.get(group, (group, group))
                table.row().cell(f"{vi} / {en}", colspan=2 + columns, style=head)
            row = table.row()
            row.cell(f"{r['label']['vi']} / {r['label']['en']}")
            row.cell(r["unit"])
            for v in r["values"]:
                row.cell(v if isinstance(v, str) else fmt(v))
            for k, v in enumerate(r.get("differences", [])):
                if v is not None:
                    row.cell(f"{'+' if v > 0 else ''}{fmt(v)}")
                elif isinstance(r["values"][k + 1], str):
                    row.cell("khác / differs" if r["values"][k + 1] != r["values"][0] else "=")
                else:
                    row.cell("–")
