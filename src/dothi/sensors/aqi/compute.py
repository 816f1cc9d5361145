"""Hourly and daily VN_AQI (§2.2.1 and §2.2.2 of Decision 1459/QĐ-TCMT): NowCast, the daily
means and maxima, and the overall index."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Literal

from dothi.errors import InvalidInput
from dothi.sensors.aqi.scale import (
    PARTICULATES,
    Averaging,
    Band,
    Gap,
    Missing,
    Pollutant,
    SubIndex,
    band_for,
    check_concentration,
    missing_sub,
    rules,
    sub_index_on,
    table_of,
)
from dothi.sensors.aqi.series import (
    HOUR,
    VIETNAM_TIME,
    Series,
    check_hour,
    day_hours,
    en_time,
    vi_time,
)

# §2.2.1a: NowCast uses c1 … c12 and needs at least 2 of c1, c2, c3.
_NOWCAST_HOURS = 12
_NOWCAST_RECENT = 3
_NOWCAST_MIN_RECENT = 2
_HALF = Decimal("0.5")


@dataclass(frozen=True)
class Aqi:
    """The hourly or daily VN_AQI of a station over ``start`` … ``end`` (UTC).

    ``dominant`` lists the parameters with the highest sub-index, which Bảng 3 asks to show.
    """

    kind: Literal["hourly", "daily"]
    start: datetime
    end: datetime
    value: int | None
    band: Band | None
    dominant: tuple[Pollutant, ...]
    sub_indices: tuple[SubIndex, ...]
    above_scale: bool = False
    missing: Missing | None = None


@dataclass(frozen=True)
class NowCast:
    """A NowCast concentration (µg/m³) and the weight factor w it used."""

    value: float
    weight: float


# -- NowCast ----------------------------------------------------------------------------------


def nowcast(values: Sequence[float | None]) -> NowCast | None:
    """NowCast of PM2.5 or PM10 from c1 (current hour) … c12 (µg/m³), or None.

    None when fewer than 2 of c1, c2, c3 exist ("không có dữ liệu", §2.2.1a). The weight
    w* = Cmin/Cmax over the hours present; w = ½ when w* ≤ ½. For w > ½ the value is
    Σ w^(i−1)·c_i / Σ w^(i−1) with a missing c_i weighted 0, as the decision writes. For
    w = ½ it prints Σ (½)^i·c_i, whose weights sum to 1 − 2^−12 over 12 hours; with a
    missing hour Dothi rescales the remaining weights to that sum, so a complete window
    gives exactly the printed value and a gap does not drag the value towards 0.
    """
    if len(values) != _NOWCAST_HOURS:
        raise InvalidInput(
            f"NowCast cần đúng {_NOWCAST_HOURS} giá trị c1 … c12, nhận {len(values)}.",
            f"NowCast needs exactly {_NOWCAST_HOURS} values c1 … c12, got {len(values)}.",
        )
    cs = [None if v is None else check_concentration(v, "NowCast", "NowCast") for v in values]
    out = _nowcast(cs)
    return None if out is None else NowCast(float(out[0]), float(out[1]))


def _nowcast(cs: Sequence[Decimal | None]) -> tuple[Decimal, Decimal] | None:
    if sum(c is not None for c in cs[:_NOWCAST_RECENT]) < _NOWCAST_MIN_RECENT:
        return None
    present = [(k, c) for k, c in enumerate(cs) if c is not None]  # k = i − 1
    cmax = max(c for _, c in present)
    # Equal values (all 0 included) have w* = 1: every hour weighs the same.
    w = Decimal(1) if cmax == 0 else min(c for _, c in present) / cmax
    if w > _HALF:
        num = sum((w**k * c for k, c in present), Decimal(0))
        return num / sum((w**k for k, _ in present), Decimal(0)), w
    weights = [(_HALF ** (k + 1), c) for k, c in present]
    full = 1 - _HALF**_NOWCAST_HOURS  # what the printed weights (½)^1 … (½)^12 sum to
    num = sum((p * c for p, c in weights), Decimal(0))
    return num * full / sum((p for p, _ in weights), Decimal(0)), _HALF


# -- Hourly -----------------------------------------------------------------------------------


def hourly_sub_index(series: Series, at: datetime) -> SubIndex:
    """AQI_x of the hour ending at ``at`` (AQI giờ thông số, §2.2.1b)."""
    at = check_hour(at, "at", "at")
    p = series.pollutant
    if p in PARTICULATES:
        base = SubIndex(p, Averaging.NOWCAST, table_of(p), None, None, None, None)
        out = _nowcast([series.at(at - k * HOUR) for k in range(_NOWCAST_HOURS)])
        if out is None:
            recent = ", ".join(vi_time(at - k * HOUR) for k in range(_NOWCAST_RECENT))
            recent_en = ", ".join(en_time(at - k * HOUR) for k in range(_NOWCAST_RECENT))
            missing = Missing(
                Gap.NOWCAST_RECENT,
                f"Không tính được Nowcast {p}: cần ít nhất {_NOWCAST_MIN_RECENT} trong "
                f"{_NOWCAST_RECENT} giá trị trung bình 1 giờ gần nhất ({recent}).",
                f"No NowCast of {p}: at least {_NOWCAST_MIN_RECENT} of the "
                f"{_NOWCAST_RECENT} latest 1-hour means ({recent_en}) are needed.",
            )
            return missing_sub(base, missing)
        return sub_index_on(p, Averaging.NOWCAST, base.table, out[0])
    c = series.at(at)
    if c is None:
        base = SubIndex(p, Averaging.HOUR, table_of(p), None, None, None, None)
        missing = Missing(
            Gap.NO_READING,
            f"Không có giá trị trung bình 1 giờ của {p} lúc {vi_time(at)}.",
            f"No 1-hour mean of {p} for the hour ending {en_time(at)}.",
        )
        return missing_sub(base, missing)
    return sub_index_on(p, Averaging.HOUR, table_of(p), c)


def hourly_aqi(series: Iterable[Series], at: datetime) -> Aqi:
    """VN_AQI of the hour ending at ``at`` (AQI giờ, §2.2.1c) from one station's series."""
    at = check_hour(at, "at", "at")
    subs = tuple(hourly_sub_index(s, at) for s in _one_each(series))
    return _overall("hourly", at - HOUR, at, subs)


# -- Daily ------------------------------------------------------------------------------------


def eight_hour_means(series: Series, day: date) -> tuple[tuple[datetime, float | None], ...]:
    """The day's 24 running 8-hour means, each labelled by its last hour (§2.2.2a).

    The mean at 01:00 averages 18:00 of the day before … 01:00. A mean with fewer than
    ``min_hours_in_8h_mean`` hours (data file) is None.
    """
    return tuple((t, None if m is None else float(m)) for t, m in _eight_hour_means(series, day))


def _eight_hour_means(series: Series, day: date) -> list[tuple[datetime, Decimal | None]]:
    need = rules().completeness["min_hours_in_8h_mean"]
    out: list[tuple[datetime, Decimal | None]] = []
    for t in day_hours(day):
        window = [v for k in range(8) if (v := series.at(t - k * HOUR)) is not None]
        out.append((t, sum(window, Decimal(0)) / len(window) if len(window) >= need else None))
    return out


def daily_sub_indices(series: Series, day: date) -> tuple[SubIndex, ...]:
    """AQI_x of ``day`` (AQI ngày thông số, §2.2.2b); O3 gives two (1-h and 8-h maxima)."""
    p, completeness = series.pollutant, rules().completeness
    hours = [v for t in day_hours(day) if (v := series.at(t)) is not None]
    if p in PARTICULATES:
        averaging, need = Averaging.DAY_MEAN, completeness["min_hours_in_24h_mean"]
    else:
        averaging, need = Averaging.DAY_MAX_HOUR, completeness["min_hours_for_daily_max_1h"]
    base = SubIndex(p, averaging, table_of(p), None, None, None, None)
    if len(hours) < need:
        first = missing_sub(base, _too_few(Gap.TOO_FEW_HOURS, p, day, len(hours), need, "1h"))
    else:
        c = sum(hours, Decimal(0)) / len(hours) if p in PARTICULATES else max(hours)
        first = sub_index_on(p, averaging, base.table, c)
    if p is not Pollutant.O3:
        return (first,)
    means = [m for _, m in _eight_hour_means(series, day) if m is not None]
    need = completeness["min_8h_means_in_day"]
    if len(means) < need:
        base = SubIndex(p, Averaging.DAY_MAX_8H, "O3_8h", None, None, None, None)
        missing = _too_few(Gap.TOO_FEW_8H_MEANS, p, day, len(means), need, "8h")
        return first, missing_sub(base, missing)
    return first, sub_index_on(p, Averaging.DAY_MAX_8H, "O3_8h", max(means))


def daily_aqi(series: Iterable[Series], day: date) -> Aqi:
    """VN_AQI of ``day`` (AQI ngày, §2.2.2c) from one station's series."""
    subs = tuple(s for one in _one_each(series) for s in daily_sub_indices(one, day))
    start = datetime.combine(day, time(0), VIETNAM_TIME).astimezone(UTC)
    return _overall("daily", start, start + 24 * HOUR, subs)


# -- Overall ----------------------------------------------------------------------------------


def _overall(
    kind: Literal["hourly", "daily"], start: datetime, end: datetime, subs: tuple[SubIndex, ...]
) -> Aqi:
    done = [s for s in subs if s.value is not None]
    if not any(s.pollutant in PARTICULATES for s in done):
        missing = Missing(
            Gap.NO_PARTICULATE,
            "Không tính được VN_AQI: cần AQI của ít nhất một trong hai thông số PM10, PM2.5 "
            "(Quyết định 1459/QĐ-TCMT, mục 2.1).",
            "No VN_AQI: it needs the AQI of at least one of PM10 and PM2.5 "
            "(Decision 1459/QĐ-TCMT, §2.1).",
        )
        return Aqi(kind, start, end, None, None, (), subs, False, missing)
    top = max(s.value for s in done if s.value is not None)
    dominant = tuple(dict.fromkeys(s.pollutant for s in done if s.value == top))
    above = any(s.above_scale for s in done if s.value == top)
    return Aqi(kind, start, end, top, band_for(top), dominant, subs, above)


def _one_each(series: Iterable[Series]) -> list[Series]:
    out = list(series)
    names = [s.pollutant for s in out]
    twice = next((p for p in names if names.count(p) > 1), None)
    if twice is not None:
        raise InvalidInput(
            f"Có hơn một chuỗi số liệu {twice} cho một trạm.",
            f"More than one series of {twice} for one station.",
        )
    return out


def _too_few(gap: Gap, p: Pollutant, day: date, n: int, need: int, of: str) -> Missing:
    what_vi = "giá trị trung bình 1 giờ" if of == "1h" else "giá trị trung bình 8 giờ"
    what_en = "1-hour means" if of == "1h" else "8-hour means"
    return Missing(
        gap,
        f"Ngày {day:%d/%m/%Y} chỉ có {n}/24 {what_vi} của {p}; cần ít nhất {need} "
        "(quy ước của Dothi: Quyết định 1459/QĐ-TCMT không quy định số tối thiểu).",
        f"{day:%Y-%m-%d} has only {n} of 24 {what_en} of {p}; at least {need} are needed "
        "(Dothi's rule: Decision 1459/QĐ-TCMT sets no minimum).",
    )
