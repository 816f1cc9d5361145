"""Hourly means of one parameter at one station, as VN_AQI takes them: labelled by the end of
their hour, timezone-aware, in µg/m³."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any

from dothi.errors import InvalidInput
from dothi.sensors.aqi.scale import Pollutant, check_concentration, pollutant_named

#: Vietnam's time (giờ Việt Nam), in which the decision's days run from 01:00 to 00:00.
VIETNAM_TIME = timezone(timedelta(hours=7), "ICT")
HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class Series:
    """1-hour means of one parameter at one station: ``(end of the hour, value or None)``.

    Times must be timezone-aware and on the hour, each hour once; values finite and not
    negative, in ``unit``: µg/m³ (also written ``ug/m3``, ``μg/m3``) or mg/m³, converted to
    µg/m³ as Bảng 2 is written (CO too). ppm/ppb are refused. ``pollutant`` may be given as
    its name (``"PM2.5"``). Raises :class:`~dothi.errors.InvalidInput` naming the reading.
    """

    pollutant: Pollutant
    readings: Sequence[tuple[datetime, float | None]]
    unit: str = "µg/m³"
    _hours: dict[datetime, Decimal] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "pollutant", pollutant_named(self.pollutant))
        factor = _unit_factor(self.unit, self.pollutant)
        hours: dict[datetime, Decimal] = {}
        seen: set[datetime] = set()
        for n, (when, value) in enumerate(self.readings, start=1):
            where_vi = f"{self.pollutant}, giá trị thứ {n}"
            where_en = f"{self.pollutant}, reading {n}"
            hour = check_hour(when, where_vi, where_en)
            if hour in seen:
                raise InvalidInput(
                    f"{where_vi}: giờ {vi_time(hour)} đã có một giá trị trước đó.",
                    f"{where_en}: the hour {en_time(hour)} already has a value.",
                )
            seen.add(hour)
            if value is not None:
                hours[hour] = check_concentration(value, where_vi, where_en) * factor
        object.__setattr__(self, "_hours", hours)

    def at(self, hour: datetime) -> Decimal | None:
        """The 1-h mean (µg/m³) of the hour ending at ``hour``, or None."""
        return self._hours.get(hour.astimezone(UTC))


def day_hours(day: date) -> tuple[datetime, ...]:
    """The 24 hour labels of ``day``: 01:00 … 00:00 of the next day, Vietnam time (UTC)."""
    start = datetime.combine(day, time(0), VIETNAM_TIME)
    return tuple((start + k * HOUR).astimezone(UTC) for k in range(1, 25))


def _unit_factor(unit: str, p: Pollutant) -> Decimal:
    norm = unit.strip().replace(" ", "").replace("μ", "µ").replace("³", "3")
    norm = "µ" + norm[1:] if norm.startswith("ug") else norm  # UCUM writes µg as "ug"
    if norm == "µg/m3":
        return Decimal(1)
    if norm == "mg/m3":
        return Decimal(1000)
    raise InvalidInput(
        f"Đơn vị «{unit}» của {p} không dùng được: VN_AQI tính theo µg/m³ (Bảng 2), nhận "
        "µg/m³ hoặc mg/m³; ppm/ppb cần quy đổi theo nhiệt độ, áp suất mà quyết định không "
        "quy định.",
        f"Unit '{unit}' of {p} cannot be used: VN_AQI works in µg/m³ (Bảng 2); µg/m³ or "
        "mg/m³ are accepted; ppm/ppb need a temperature and pressure the decision does not fix.",
    )


def check_hour(when: Any, where_vi: str, where_en: str) -> datetime:
    """``when`` in UTC, or InvalidInput if it is not an aware datetime on a whole hour."""
    if not isinstance(when, datetime) or when.utcoffset() is None:
        raise InvalidInput(
            f"{where_vi}: thời điểm phải có múi giờ (ví dụ 2026-12-06T08:00+07:00), nhận {when!r}.",
            f"{where_en}: a time must carry its offset (e.g. 2026-12-06T08:00+07:00); "
            f"got {when!r}.",
        )
    utc = when.astimezone(UTC)
    if utc.minute or utc.second or utc.microsecond:
        raise InvalidInput(
            f"{where_vi}: giá trị trung bình 1 giờ phải ghi tại một giờ tròn "
            f"(lúc kết thúc giờ đo), nhận {when.isoformat()}.",
            f"{where_en}: a 1-hour mean is labelled by a whole hour (the end of its hour); "
            f"got {when.isoformat()}.",
        )
    return utc


def vi_time(t: datetime) -> str:
    """``t`` as Vietnamese text, Vietnam time (``08:00 06/12/2026``)."""
    return f"{t.astimezone(VIETNAM_TIME):%H:%M %d/%m/%Y}"


def en_time(t: datetime) -> str:
    """``t`` as English text, Vietnam time (``2026-12-06 08:00+07:00``)."""
    return f"{t.astimezone(VIETNAM_TIME):%Y-%m-%d %H:%M}+07:00"
