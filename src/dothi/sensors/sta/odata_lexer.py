"""Literals and tokens of OData expressions as SensorThings API 1.1 writes them.

Strings in single quotes (``''`` for a quote); numbers; ``true``/``false``/``null``;
date-times bare as ISO 8601 with a time zone (``2026-01-01T07:00:00+07:00``), dates
(``2026-01-01``), times of day (``08:30``), intervals (``start/end``); durations
(``duration'P1DT2H'``); geometries as WKT (``geography'POINT(106.7 10.78)'``, also
``geometry'...'`` and an ``SRID=4326;`` prefix), in WGS 84 longitude/latitude.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

import shapely
from shapely.errors import ShapelyError
from shapely.geometry.base import BaseGeometry

from dothi.errors import InvalidInput

LitKind = Literal[
    "string",
    "number",
    "bool",
    "null",
    "datetime",
    "date",
    "timeofday",
    "duration",
    "interval",
    "geometry",
]


@dataclass(frozen=True)
class Lit:
    """A literal. ``value`` by ``kind``: ``str``; ``int`` or ``float``; ``bool``; None;
    an aware UTC ``datetime``; a ``date``; a ``timedelta`` since midnight (``timeofday``);
    a ``timedelta`` (``duration``); a (start, end) pair of UTC datetimes (``interval``); a
    shapely geometry in WGS 84 longitude/latitude (``geometry``)."""

    value: Any
    kind: LitKind
    pos: int = field(default=0, compare=False)


def odata_error(vi: str, en: str, pos: int | None = None) -> InvalidInput:
    """An :class:`InvalidInput` about an expression; ``pos`` (0-based) is shown 1-based."""
    if pos is not None:
        vi = f"{vi} (vị trí {pos + 1})"
        en = f"{en} (at position {pos + 1})"
    return InvalidInput(vi, en, code="InvalidParameterValue")


# --------------------------------------------------------------------------- literals

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_DATETIME = re.compile(
    r"(?P<date>\d{4}-\d{2}-\d{2})T(?P<h>\d{2}):(?P<m>\d{2})(?::(?P<s>\d{2})(?:[.,](?P<f>\d+))?)?"
    r"(?P<zone>Z|z|[+-]\d{2}:\d{2})?"
)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}(?![\dT])")
_TIME_OF_DAY = re.compile(r"(?P<h>\d{2}):(?P<m>\d{2})(?::(?P<s>\d{2})(?:[.,](?P<f>\d+))?)?")
_NUMBER = re.compile(r"\d+(?:\.\d+)?(?:[eE][+-]?\d+)?")
_NAME = re.compile(r"(?:[^\W\d]|[$@])[\w.@]*")
_TYPED = re.compile(r"(geography|geometry|duration)'", re.IGNORECASE)
_DURATION = re.compile(
    r"(?P<sign>[+-])?P(?:(?P<d>\d+)D)?(?:T(?:(?P<h>\d+)H)?(?:(?P<m>\d+)M)?"
    r"(?:(?P<s>\d+(?:\.\d+)?)S)?)?"
)
_SRID = re.compile(r"^\s*SRID\s*=\s*(\d+)\s*;", re.IGNORECASE)
_INT64 = 2**63 - 1


def _bad(vi: str, en: str, pos: int) -> InvalidInput:
    return odata_error(vi, en, pos)


def _date(text: str, pos: int) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise _bad(
            f"Ngày «{text}» không tồn tại.", f"The date '{text}' does not exist.", pos
        ) from None


def _clock(m: re.Match[str], pos: int) -> timedelta:
    """The time of day of a match with groups h, m, s, f."""
    h, mi, s = int(m["h"]), int(m["m"]), int(m["s"] or 0)
    if h > 23 or mi > 59 or s > 59:
        raise _bad(
            f"Giờ «{m.group(0)}» không hợp lệ.", f"The time '{m.group(0)}' is not valid.", pos
        )
    # Digits after the sixth are dropped: times are kept to the microsecond.
    micro = int((m["f"] or "").ljust(6, "0")[:6])
    return timedelta(hours=h, minutes=mi, seconds=s, microseconds=micro)


def _datetime(m: re.Match[str], pos: int) -> datetime:
    zone = m["zone"]
    if zone is None:
        raise _bad(
            f"Thời điểm «{m.group(0)}» thiếu múi giờ: thêm Z (UTC) hoặc độ lệch như +07:00.",
            f"The date-time '{m.group(0)}' has no time zone: add Z (UTC) or an offset such "
            "as +07:00.",
            pos,
        )
    day = _date(m["date"], pos)
    offset = timedelta(0)
    if zone not in ("Z", "z"):
        hours, minutes = int(zone[1:3]), int(zone[4:6])
        if hours > 23 or minutes > 59:
            raise _bad(
                f"Độ lệch múi giờ «{zone}» không hợp lệ.",
                f"The time zone offset '{zone}' is not valid.",
                pos,
            )
        offset = timedelta(hours=hours, minutes=minutes) * (1 if zone[0] == "+" else -1)
    try:
        naive = datetime(day.year, day.month, day.day) + _clock(m, pos) - offset
    except OverflowError:
        raise _bad(
            f"Thời điểm «{m.group(0)}» ngoài phạm vi.",
            f"The date-time '{m.group(0)}' is out of range.",
            pos,
        ) from None
    return naive.replace(tzinfo=UTC)


def _duration(text: str, pos: int) -> timedelta:
    m = _DURATION.fullmatch(text)
    if m is None or not any(m[k] for k in "dhms"):
        hint_vi = hint_en = ""
        if re.search(r"\d+[YW]|P[^T]*\d+M", text):
            hint_vi = " Năm, tháng và tuần không có độ dài cố định: dùng ngày (D)."
            hint_en = " Years, months and weeks have no fixed length: use days (D)."
        raise _bad(
            f"Khoảng thời gian «{text}» không hợp lệ; viết như duration'P1DT2H30M'.{hint_vi}",
            f"The duration '{text}' is not valid; write it as duration'P1DT2H30M'.{hint_en}",
            pos,
        )
    try:
        value = timedelta(
            days=int(m["d"] or 0),
            hours=int(m["h"] or 0),
            minutes=int(m["m"] or 0),
            seconds=float(m["s"] or 0),
        )
    except OverflowError:
        raise _bad(
            f"Khoảng thời gian «{text}» quá dài.", f"The duration '{text}' is too long.", pos
        ) from None
    return -value if m["sign"] == "-" else value


def _geometry(text: str, pos: int) -> BaseGeometry:
    wkt = text
    srid = _SRID.match(text)
    if srid:
        if srid.group(1) not in ("4326", "0"):
            raise _bad(
                f"Chỉ nhận hình học trong WGS 84 (SRID=4326), không phải SRID={srid.group(1)}.",
                f"Only WGS 84 geometries (SRID=4326) are accepted, not SRID={srid.group(1)}.",
                pos,
            )
        wkt = text[srid.end() :]
    try:
        geom: BaseGeometry = shapely.from_wkt(wkt)
    except (ShapelyError, ValueError, TypeError):
        raise _bad(
            f"Hình học WKT không đọc được: «{wkt.strip()}».",
            f"Cannot read the WKT geometry '{wkt.strip()}'.",
            pos,
        ) from None
    if geom is None or geom.is_empty:
        raise _bad("Hình học rỗng.", "The geometry is empty.", pos)
    minx, miny, maxx, maxy = geom.bounds
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise _bad(
            "Tọa độ ngoài phạm vi WGS 84: viết kinh độ trước, vĩ độ sau, như POINT(106.7 10.78).",
            "Coordinates outside WGS 84: write longitude first, then latitude, as in "
            "POINT(106.7 10.78).",
            pos,
        )
    if not geom.is_valid:
        reason = shapely.is_valid_reason(geom)
        raise _bad(f"Hình học không hợp lệ: {reason}.", f"Invalid geometry: {reason}.", pos)
    return geom


def micros(value: datetime) -> int:
    """A UTC datetime as microseconds since 1970-01-01T00:00:00Z (how times are stored)."""
    return (value - _EPOCH) // timedelta(microseconds=1)


# --------------------------------------------------------------------------- lexer


@dataclass(frozen=True)
class Token:
    """One token: ``lit`` (value is a :class:`Lit`), ``num``, ``name``, ``punct`` or
    ``end``; ``pos`` is 0-based."""

    kind: str
    value: Any
    pos: int
    #: Whitespace comes right before the token.
    spaced: bool = False


def _string(src: str, start: int) -> tuple[str, int]:
    """The text of the quoted string opening at ``start`` ('' stands for ') and the index
    after its closing quote."""
    out: list[str] = []
    i = start + 1
    while i < len(src):
        if src[i] == "'":
            if src.startswith("''", i):
                out.append("'")
                i += 2
                continue
            return "".join(out), i + 1
        out.append(src[i])
        i += 1
    raise _bad(
        "Chuỗi chưa được đóng bằng dấu nháy đơn '.",
        "Unterminated string: a closing ' is missing.",
        start,
    )


def _temporal(src: str, i: int) -> tuple[Lit, int] | None:
    """A bare date-time, interval, date or time of day starting at ``i``."""
    m = _DATETIME.match(src, i)
    if m:
        start = _datetime(m, i)
        end_at = m.end()
        if src.startswith("/", end_at):
            m2 = _DATETIME.match(src, end_at + 1)
            if m2:
                end = _datetime(m2, end_at + 1)
                if end < start:
                    raise _bad(
                        "Khoảng thời gian kết thúc trước khi bắt đầu.",
                        "The interval ends before it starts.",
                        i,
                    )
                return Lit((start, end), "interval", i), m2.end()
        return Lit(start, "datetime", i), end_at
    m = _DATE.match(src, i)
    if m:
        return Lit(_date(m.group(0), i), "date", i), m.end()
    m = _TIME_OF_DAY.match(src, i)
    if m:
        return Lit(_clock(m, i), "timeofday", i), m.end()
    return None


def tokenize(src: str) -> list[Token]:
    """Split an expression into tokens (the source is taken as NFC)."""
    tokens: list[Token] = []
    i, spaced = 0, False
    while i < len(src):
        c = src[i]
        if c.isspace():
            i, spaced = i + 1, True
            continue
        if c == "'":
            text, end = _string(src, i)
            tokens.append(Token("lit", Lit(text, "string", i), i, spaced))
        elif typed := _TYPED.match(src, i):
            text, end = _string(src, typed.end() - 1)
            kind = typed.group(1).lower()
            inner = typed.end()
            value: Lit = (
                Lit(_duration(text, inner), "duration", i)
                if kind == "duration"
                else Lit(_geometry(text, inner), "geometry", i)
            )
            tokens.append(Token("lit", value, i, spaced))
        elif c.isdigit():
            found = _temporal(src, i)
            if found:
                lit, end = found
                tokens.append(Token("lit", lit, i, spaced))
            else:
                m = _NUMBER.match(src, i)
                assert m is not None
                raw, end = m.group(0), m.end()
                number: int | float = int(raw) if raw.isdigit() and len(raw) < 20 else float(raw)
                too_big = number > _INT64 if isinstance(number, int) else math.isinf(number)
                if too_big:
                    raise _bad(f"Số «{raw}» quá lớn.", f"The number '{raw}' is too large.", i)
                tokens.append(Token("num", number, i, spaced))
        elif m := _NAME.match(src, i):
            end = m.end()
            tokens.append(Token("name", m.group(0), i, spaced))
        elif c in "(),/-":
            end = i + 1
            tokens.append(Token("punct", c, i, spaced))
        else:
            raise _bad(f"Ký tự không hợp lệ «{c}».", f"Unexpected character '{c}'.", i)
        i, spaced = end, False
    tokens.append(Token("end", None, len(src), spaced))
    return tokens
