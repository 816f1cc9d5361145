"""Query parameters shared by every route and command: a box, an instant, a page; parsed,
or a clear error the caller can act on (4xx over HTTP, one line in the CLI)."""

from __future__ import annotations

import math
from datetime import UTC, datetime

from dothi.errors import InvalidInput

#: ``(min lon, min lat, max lon, max lat)`` in the box's own CRS.
BBox = tuple[float, float, float, float]

MAX_LIMIT = 10_000
DEFAULT_LIMIT = 100


def parse_bbox(text: str | None, *, geographic: bool = True) -> BBox | None:
    """``minx,miny,maxx,maxy`` (or 6 numbers with heights) → a box; clear errors otherwise.

    For a geographic box the latitudes must lie within ±90.
    """
    if text is None or text == "":
        return None
    parts = text.split(",")
    try:
        values = [float(p) for p in parts]
    except ValueError:
        values = []
    if len(values) == 6:
        values = [values[0], values[1], values[3], values[4]]
    if len(values) != 4 or not all(math.isfinite(v) for v in values):
        raise InvalidInput(
            f"bbox «{text}» không hợp lệ: cần 4 số minX,minY,maxX,maxY.",
            f"Invalid bbox '{text}': expected 4 numbers minX,minY,maxX,maxY.",
            code="InvalidParameterValue",
        )
    minx, miny, maxx, maxy = values
    if minx > maxx or miny > maxy or (geographic and (abs(miny) > 90 or abs(maxy) > 90)):
        raise InvalidInput(
            f"bbox «{text}» không hợp lệ: góc dưới-trái phải nhỏ hơn góc trên-phải, vĩ độ ≤ 90.",
            f"Invalid bbox '{text}': lower-left must be below upper-right, |latitude| ≤ 90.",
            code="InvalidParameterValue",
        )
    return (minx, miny, maxx, maxy)


MAX_OFFSET = 2**53


def parse_offset(value: int) -> int:
    """A paging offset between 0 and 2^53 (what every client and database can count to)."""
    if value < 0 or value > MAX_OFFSET:
        raise InvalidInput(
            f"offset phải từ 0 đến {MAX_OFFSET}.",
            f"offset must be between 0 and {MAX_OFFSET}.",
            code="InvalidParameterValue",
        )
    return value


def parse_datetime(text: str | None) -> datetime | None:
    """An ISO 8601 instant (``Z`` or offset; naive means UTC), or None."""
    if text is None or text == "":
        return None
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(
            f"datetime «{text}» không hợp lệ; dùng ISO 8601, ví dụ 2026-01-31T08:00:00Z.",
            f"Invalid datetime '{text}'; use ISO 8601, e.g. 2026-01-31T08:00:00Z.",
        ) from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def parse_limit(value: int | None) -> int:
    """A page size between 1 and :data:`MAX_LIMIT` (default :data:`DEFAULT_LIMIT`)."""
    if value is None:
        return DEFAULT_LIMIT
    if value < 1 or value > MAX_LIMIT:
        raise InvalidInput(
            f"limit phải từ 1 đến {MAX_LIMIT}.", f"limit must be between 1 and {MAX_LIMIT}."
        )
    return value
