"""What every planning PDF shares: Noto Sans (Debian ``fonts-noto-core``, which has every
Vietnamese letter) and numbers written the Vietnamese way."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from fpdf import FPDF

from dothi.errors import ConfigError
from dothi.i18n import Language, format_number

_FONT_DIRS = (Path("/usr/share/fonts/truetype/noto"), Path("/usr/share/fonts/noto"))


def _font_dir() -> Path:
    for folder in _FONT_DIRS:
        if (folder / "NotoSans-Regular.ttf").exists() and (folder / "NotoSans-Bold.ttf").exists():
            return folder
    raise ConfigError(
        "Thiếu phông Noto Sans để in tài liệu PDF; cài gói Debian fonts-noto-core.",
        "The Noto Sans font is missing for PDF documents; install Debian's fonts-noto-core.",
    )


def add_fonts(pdf: FPDF) -> None:
    """Register Noto Sans as ``noto`` (regular and ``B``) on ``pdf``."""
    fonts = _font_dir()
    pdf.add_font("noto", "", str(fonts / "NotoSans-Regular.ttf"))
    pdf.add_font("noto", "B", str(fonts / "NotoSans-Bold.ttf"))


def fmt(value: Any, digits: int = 2, lang: Language = "vi") -> str:
    """A value for print: numbers as :func:`dothi.i18n.format_number` writes them
    (``1 234,5``), ``–`` for a missing one (never 0), text as it is."""
    if value is None or (isinstance(value, int | float) and not isinstance(value, bool)):
        return format_number(value, digits, lang)
    return str(value)


def long_date(value: date | str) -> str:
    """A date as Vietnamese documents write it: ``ngày 15 tháng 3 năm 2026`` (``value``: a
    date or an ISO ``YYYY-MM-DD`` text; other text is returned as it is)."""
    day: date
    if isinstance(value, str):
        try:
            day = date.fromisoformat(value[:10])
        except ValueError:
            return value
    else:
        day = value
    return f"ngày {day.day} tháng {day.month} năm {day.year}"


def describe(pdf: FPDF, title: str, subject: str) -> None:
    """The document's metadata: title, subject, author and creator Dothi, language vi."""
    pdf.set_title(title)
    pdf.set_subject(subject)
    pdf.set_author("Dothi")
    pdf.set_creator("Dothi")
    pdf.set_lang("vi")


def title_block(pdf: FPDF, vi: str, en: str, now: datetime | None = None) -> None:
    """A document's centred title (Vietnamese), its English subtitle and the date."""
    pdf.set_font("noto", "B", 15)
    pdf.cell(0, 8, vi, new_x="LMARGIN", new_y="NEXT", align="C")
    pdf.set_font("noto", size=9)
    pdf.cell(0, 5, en, new_x="LMARGIN", new_y="NEXT", align="C")
    day = (now or datetime.now(UTC)).date()
    text = f"Lập {long_date(day)} / Issued {day.isoformat()}"
    pdf.cell(0, 5, text, new_x="LMARGIN", new_y="NEXT", align="C")
