"""Times of SensorThings: ISO 8601 instants and intervals to and from microseconds since
1970-01-01T00:00:00Z, the form every time column stores."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from dothi.errors import InvalidInput

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def to_micros(t: datetime) -> int:
    """Microseconds since the epoch of an aware datetime."""
    delta = t - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_micros(us: int) -> datetime:
    """The aware UTC datetime ``us`` microseconds after the epoch."""
    return _EPOCH + timedelta(microseconds=us)


def now_micros() -> int:
    """Now, in microseconds since the epoch."""
    return to_micros(datetime.now(UTC))


def iso(us: int) -> str:
    """``2026-12-06T02:50:51.123Z`` (milliseconds shown only when there are any)."""
    t = from_micros(us)
    text = f"{t.year:04d}-{t.month:02d}-{t.day:02d}T{t.hour:02d}:{t.minute:02d}:{t.second:02d}"
    if t.microsecond:
        text += f".{t.microsecond:06d}".rstrip("0")
    return text + "Z"


def iso_interval(start: int | None, end: int | None) -> str | None:
    """An instant, ``start/end``, or None when there is no start."""
    if start is None:
        return None
    return iso(start) if end is None else f"{iso(start)}/{iso(end)}"


def parse_instant(text: object, field: str) -> int:
    """An ISO 8601 instant with a time zone, as µs; :class:`InvalidInput` otherwise."""
    if not isinstance(text, str):
        raise _bad(field, text)
    raw = text.strip()
    try:
        t = datetime.fromisoformat(raw[:-1] + "+00:00" if raw.endswith(("Z", "z")) else raw)
    except ValueError:
        raise _bad(field, text) from None
    if t.tzinfo is None:
        raise InvalidInput(
            f"«{field}»: thời điểm «{text}» thiếu múi giờ (thêm Z hoặc +07:00).",
            f"'{field}': the time '{text}' has no time zone (add Z or +07:00).",
        )
    return to_micros(t)


def parse_interval(text: object, field: str) -> tuple[int, int | None]:
    """An instant (end None) or an interval ``start/end`` with start ≤ end, as µs."""
    if isinstance(text, str) and "/" in text:
        first, _, second = text.partition("/")
        start, end = parse_instant(first, field), parse_instant(second, field)
        if end < start:
            raise InvalidInput(
                f"«{field}»: khoảng thời gian «{text}» kết thúc trước khi bắt đầu.",
                f"'{field}': the interval '{text}' ends before it starts.",
            )
        return start, end
    return parse_instant(text, field), None


def _bad(field: str, value: object) -> InvalidInput:
    return InvalidInput(
        f"«{field}» phải là thời điểm ISO 8601 có múi giờ, ví dụ 2026-12-06T09:30:00+07:00 "
        f"(nhận được {value!r}).",
        f"'{field}' must be an ISO 8601 time with a time zone, e.g. 2026-12-06T09:30:00+07:00 "
        f"(got {value!r}).",
    )
