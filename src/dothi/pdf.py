"""What every planning PDF shares: Noto Sans (Debian ``fonts-noto-core``, which has every
Vietnamese letter) and numbers written the Vietnamese way."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fpdf import FPDF

from dothi.errors import ConfigError

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


def fmt(value: Any, digits: int = 1) -> str:
    """A value for print: floats as ``1 234,5`` (Vietnamese), None as a dash."""
    if value is None:
        return "–"
    if isinstance(value, float):
        text = f"{value:,.{digits}f}"
        return text.replace(",", " ").replace(".", ",")
    return str(value)


def title_block(pdf: FPDF, vi: str, en: str, now: datetime | None = None) -> None:
    """A document's centred title (Vietnamese), its English subtitle and the date."""
    pdf.set_font("noto", "B", 15)
    pdf.cell(0, 8, vi, new_x="LMARGIN", new_y="NEXT", align="C")
    pdf.set_font("noto", size=9)
    pdf.cell(0, 5, en, new_x="LMARGIN", new_y="NEXT", align="C")
    day = (now or datetime.now(UTC)).strftime("%d/%m/%Y")
    pdf.cell(0, 5, f"Ngày / Date: {day}", new_x="LMARGIN", new_y="NEXT", align="C")
