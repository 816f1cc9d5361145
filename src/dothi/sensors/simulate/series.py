"""The real air-quality series of ``data/sensors-vn`` (see its ``SOURCES.md``) and their
replay: the real values, at times shifted to now by a whole number of weeks.

A series is read once per process into arrays of times (µs since the epoch, UTC) and
values (µg/m³, NaN where a stream has no value). Hourly AirNow files label each value by
the **end** of its hour: the observation's ``phenomenonTime`` is that hour as an interval.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from importlib import resources

import numpy as np
import numpy.typing as npt

from dothi.errors import InvalidInput

MICROS = 1_000_000
HOUR_US = 3600 * MICROS
DAY_US = 24 * HOUR_US
WEEK_US = 7 * DAY_US
_VN = timedelta(hours=7)

Times = npt.NDArray[np.int64]
Values = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Source:
    """One station's file: where it is, what it measures, how its rows read."""

    key: str
    file: str
    name_vi: str
    name_en: str
    operator: str
    lon: float
    lat: float
    #: How sure the place is, in both languages (none of the files gives coordinates).
    place_note: str
    #: Profile keys of the streams, in the file's order.
    streams: tuple[str, ...]
    #: Values are 1-hour means labelled by the end of their hour.
    hourly: bool
    licence: str


SOURCES: dict[str, Source] = {
    s.key: s
    for s in (
        Source(
            key="hanoi-us-embassy",
            file="Hanoi_PM2.5_2017_YTD.csv",
            name_vi="Trạm Đại sứ quán Hoa Kỳ, Hà Nội",
            name_en="US Embassy Hanoi monitor",
            operator="U.S. Department of State (AirNow)",
            lon=105.8190,
            lat=21.0245,
            place_note="Vị trí gần đúng: địa chỉ 7 Láng Hạ / approximate: the street address",
            streams=("pm25",),
            hourly=True,
            licence="U.S. Government work, public domain",
        ),
        Source(
            key="hcmc-us-consulate",
            file="HoChiMinhCity_PM2.5_2017_YTD.csv",
            name_vi="Trạm Tổng lãnh sự quán Hoa Kỳ, TP Hồ Chí Minh",
            name_en="US Consulate General Ho Chi Minh City monitor",
            operator="U.S. Department of State (AirNow)",
            lon=106.7006,
            lat=10.7830,
            place_note="Vị trí gần đúng: địa chỉ 4 Lê Duẩn / approximate: the street address",
            streams=("pm25",),
            hourly=True,
            licence="U.S. Government work, public domain",
        ),
        Source(
            key="nha-be-sds011",
            file="data-esp8266-12779556-2018-10.csv",
            name_vi="Cảm biến giá rẻ Nhà Bè (sensor.community)",
            name_en="Nha Be low-cost sensor (sensor.community)",
            operator="Matthias Kreier / AISVN (sensor.community node esp8266-12779556)",
            lon=106.7400,
            lat=10.6950,
            place_note="Vị trí gần đúng trong Nhà Bè / an approximate point of Nha Be",
            streams=("pm10", "pm25"),
            hourly=False,
            licence="MIT, © 2020 Matthias Kreier",
        ),
    )
}
#: The SDS011's out-of-range code (PM2.5, PM10): not a reading.
_SDS_LIMITS = {"pm25": 999.9, "pm10": 1999.9}


@dataclass(frozen=True)
class RealSeries:
    """A station's readings: times (µs, UTC; the end of the hour for hourly files) and
    one array of values per stream, in time order."""

    source: Source
    times: Times
    values: dict[str, Values]

    @property
    def first(self) -> int:
        """The first reading's time (µs)."""
        return int(self.times[0])

    @property
    def span(self) -> int:
        """From the first reading to the last (µs)."""
        return int(self.times[-1] - self.times[0])


def _micros(t: datetime) -> int:
    return int(t.timestamp()) * MICROS + t.microsecond


def _airnow(text: str) -> tuple[list[int], list[float]]:
    times: list[int] = []
    values: list[float] = []
    for row in csv.DictReader(text.splitlines()):
        if row["QC Name"] != "Valid":
            continue
        value = float(row["Raw Conc."])
        if value <= -999:
            continue
        # Local time (UTC+7) without an offset, "2017-01-01 01:00 AM"; "12:00 AM" is
        # midnight. Read by position: strptime would take most of the load's time.
        d = row["Date (LT)"]
        hour = int(d[11:13]) % 12 + (12 if d[17:19] == "PM" else 0)
        local = datetime(int(d[0:4]), int(d[5:7]), int(d[8:10]), hour, int(d[14:16]), tzinfo=UTC)
        times.append(_micros(local - _VN))
        values.append(value)
    return times, values


def _sensor_community(text: str) -> tuple[list[int], dict[str, list[float]]]:
    times: list[int] = []
    values: dict[str, list[float]] = {"pm10": [], "pm25": []}
    for row in csv.DictReader(text.splitlines(), delimiter=";"):
        p10, p25 = row["SDS_P1"], row["SDS_P2"]
        if not p10 or not p25:
            continue
        got = {"pm10": float(p10), "pm25": float(p25)}
        d = row["Time"]  # 2018/10/08 09:21:52
        t = datetime(
            int(d[0:4]),
            int(d[5:7]),
            int(d[8:10]),
            int(d[11:13]),
            int(d[14:16]),
            int(d[17:19]),
            tzinfo=UTC,
        )
        times.append(_micros(t))
        for key, v in got.items():
            # The sensor's out-of-range code is kept out; the other stream of the row stays.
            values[key].append(np.nan if v >= _SDS_LIMITS[key] else v)
    return times, values


@cache
def load(key: str) -> RealSeries:
    """The series of the source ``key`` (read once per process)."""
    source = SOURCES.get(key)
    if source is None:
        raise InvalidInput(
            f"Không có chuỗi số liệu «{key}»; có: {', '.join(SOURCES)}.",
            f"No series '{key}'; known: {', '.join(SOURCES)}.",
        )
    folder = resources.files("dothi.sensors") / "data" / "sensors-vn"
    text = (folder / source.file).read_text(encoding="utf-8-sig")
    if source.hourly:
        times, one = _airnow(text)
        columns = {source.streams[0]: one}
    else:
        times, columns = _sensor_community(text)
    order = np.argsort(np.asarray(times, dtype=np.int64), kind="stable")
    return RealSeries(
        source,
        np.asarray(times, dtype=np.int64)[order],
        {k: np.asarray(v, dtype=np.float64)[order] for k, v in columns.items()},
    )


@dataclass(frozen=True)
class Replay:
    """Real readings at shifted times: a reading at source time ``s`` is replayed at
    ``s + shift + n × loop`` (any integer ``n``), for the readings of the first ``loop``
    µs of the series. ``shift`` and ``loop`` are whole weeks, so a replayed reading keeps
    its weekday and its hour of the day."""

    source: str
    shift: int
    loop: int

    @classmethod
    def to_now(cls, key: str, now: int) -> Replay:
        """The replay that brings the source's same day of the year (or, for a series
        shorter than that, its last weeks) to ``now``."""
        series = load(key)
        loop = max(WEEK_US, series.span // WEEK_US * WEEK_US)
        at = datetime.fromtimestamp(now / MICROS, UTC)
        first = datetime.fromtimestamp(series.first / MICROS, UTC)
        # The same date in one of the series' years (a year's file may start on the last
        # evening of the year before, in UTC), else its last day.
        same_day = series.first + loop - DAY_US
        for year in (first.year, first.year + 1):
            try:
                candidate = _micros(at.replace(year=year))
            except ValueError:  # 29 February
                candidate = _micros((at - timedelta(days=1)).replace(year=year))
            if series.first + DAY_US <= candidate < series.first + loop:
                same_day = candidate
                break
        shift = round((now - same_day) / WEEK_US) * WEEK_US
        return cls(key, shift, loop)

    def readings(self, start: int, end: int) -> tuple[Times, npt.NDArray[np.intp]]:
        """Replayed times in ``[start, end)`` (µs) and the index of each one's reading."""
        series = load(self.source)
        window = np.nonzero(series.times < series.first + self.loop)[0]
        base = series.times[window] + self.shift
        lo = (start - int(base[-1])) // self.loop
        hi = -((int(base[0]) - end) // self.loop)
        times: list[Times] = []
        index: list[npt.NDArray[np.intp]] = []
        for n in range(lo, hi + 1):
            t = base + n * self.loop
            keep = (t >= start) & (t < end)
            times.append(t[keep])
            index.append(window[keep])
        if not times:
            return np.empty(0, np.int64), np.empty(0, np.intp)
        return np.concatenate(times), np.concatenate(index)

    def value_at(self, key: str, t: Times) -> Values:
        """The stream ``key``'s replayed value holding at each time of ``t``: the latest
        reading at or before it (hourly means: the hour that holds it), NaN before any."""
        series = load(self.source)
        window = series.times < series.first + self.loop
        base = series.times[window]
        values = series.values[key][window]
        first = int(base[0])
        # Back to the source's clock, inside the looped window.
        s = (np.asarray(t, dtype=np.int64) - self.shift - first) % self.loop + first
        if series.source.hourly:
            s = s + HOUR_US  # the hour holding s ends at the next label
        at = np.searchsorted(base, s, side="right") - 1
        out = np.where(at >= 0, values[np.clip(at, 0, None)], np.nan)
        return np.asarray(out, dtype=np.float64)

    def describe(self) -> dict[str, object]:
        """The ``replay`` block of the Thing's properties."""
        source = SOURCES[self.source]
        return {
            "source": source.file,
            "operator": source.operator,
            "licence": source.licence,
            "shift_days": self.shift // DAY_US,
            "loop_days": self.loop // DAY_US,
            "note_vi": "Giá trị đo thật; thời gian được dời tới hiện tại theo số tuần nguyên.",
            "note_en": "Real measured values; times shifted to now by a whole number of weeks.",
        }
