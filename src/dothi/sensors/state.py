"""What a device's latest readings mean at a glance, for the map: a level, a colour and a
label in both languages. Air quality by VN_AQI (Decision 1459/QĐ-TCMT, hourly NowCast,
the decision's own colours); water level and flood depth against their thresholds;
streetlights on, off or at fault; traffic by lane occupancy; bins by fill level.

Thresholds come from the Datastream's ``properties.thresholds`` when it has them, else
from the domain profile (``data/profiles.json``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from dothi.sensors.aqi import Pollutant, Series, hourly_aqi
from dothi.sensors.profiles import properties

#: The profile that names a device with streams of several (its main one first).
PROFILE_ORDER = (
    "air_quality",
    "flood",
    "lighting",
    "traffic",
    "waste",
    "water_quality",
    "meters",
)
_HOUR = 3_600_000_000
GREY = "#9e9e9e"


@dataclass(frozen=True)
class State:
    """A device's state: ``level`` (a stable code), its colour and its label."""

    level: str
    colour: str
    vi: str
    en: str
    #: The hourly VN_AQI, for air-quality stations.
    aqi: int | None = None
    #: What the colour means without the device's value (the map's legend); by default
    #: the level's entry of :data:`LEGEND`.
    legend: tuple[str, str] | None = None

    def as_json(self) -> dict[str, Any]:
        """The state as the map's API gives it."""
        vi, en = self.legend or LEGEND.get(self.level, (self.vi, self.en))
        return {
            "level": self.level,
            "colour": self.colour,
            "label": {"vi": self.vi, "en": self.en},
            "legend": {"vi": vi, "en": en},
            "aqi": self.aqi,
        }


#: The meaning of each level's colour, for the legend.
LEGEND: dict[str, tuple[str, str]] = {
    "no_data": ("Chưa có số liệu", "No data yet"),
    "stale": ("Không có số liệu mới", "No recent data"),
    "no_aqi": ("Chưa tính được VN_AQI", "VN_AQI not available"),
    "alert": ("Vượt ngưỡng cảnh báo", "Above the alert level"),
    "watch": ("Gần ngưỡng cảnh báo", "Near the alert level"),
    "normal": ("Mực nước bình thường", "Normal water level"),
    "heavy_rain": ("Mưa rất to", "Very heavy rain"),
    "rain": ("Đang mưa", "Raining"),
    "dry": ("Không mưa", "No rain"),
    "fault": ("Đèn lỗi", "Lamp fault"),
    "on": ("Đèn đang sáng", "Lamp on"),
    "off": ("Đèn đang tắt", "Lamp off"),
    "congested": ("Ùn tắc", "Congested"),
    "busy": ("Đông xe", "Busy"),
    "free": ("Thông thoáng", "Free-flowing"),
    "full": ("Thùng đầy", "Bin full"),
    "filling": ("Thùng gần đầy", "Bin filling up"),
    "room": ("Thùng còn chỗ", "Bin has room"),
    "outside": ("Ngoài giới hạn quy chuẩn", "Outside the limits"),
    "within": ("Trong giới hạn quy chuẩn", "Within the limits"),
    "metering": ("Đồng hồ đang đo", "Meter reporting"),
    "reporting": ("Đang gửi số liệu", "Reporting"),
}
#: The lamp faults the simulator reports, in words.
FAULTS: dict[str, tuple[str, str]] = {
    "lamp_failure": ("hỏng bóng đèn", "lamp failure"),
    "driver_fault": ("lỗi bộ nguồn", "driver fault"),
    "power_loss": ("mất điện", "power loss"),
}


@dataclass(frozen=True)
class Latest:
    """A Datastream's latest reading, with what the state needs to read it."""

    datastream_id: int
    key: str | None
    value: Any
    time: int
    thresholds: Mapping[str, Any]


NO_DATA = State("no_data", GREY, "Chưa có số liệu", "No data yet")
STALE = State("stale", GREY, "Không có số liệu mới", "No recent data")


def profile_of(keys: Sequence[str | None]) -> str | None:
    """The profile of a device with streams of these property keys."""
    found = {properties()[k].profile for k in keys if k in properties()}
    return next((p for p in PROFILE_ORDER if p in found), None)


def _vi(shown: str) -> str:
    """A value as Vietnamese writes it: a decimal comma (values here stay below 1000)."""
    return shown.replace(".", ",")


def _threshold(latest: Latest, name: str) -> float | None:
    given = latest.thresholds.get(name)
    if isinstance(given, int | float) and not isinstance(given, bool):
        return float(given)
    profile = properties().get(latest.key or "")
    value = None if profile is None else profile.thresholds.get(name)
    return float(value) if isinstance(value, int | float) else None


def _number(latest: Latest | None) -> float | None:
    if latest is None or isinstance(latest.value, bool):
        return None
    return float(latest.value) if isinstance(latest.value, int | float) else None


def air_state(hourly: Mapping[str, Sequence[tuple[int, float]]]) -> State:
    """VN_AQI of the hour ending at the latest hour with a mean, from the hourly means of
    PM2.5 and PM10 (``(hour start µs, mean)``). A slightly negative reference-monitor
    value counts as 0."""
    series = []
    last = 0
    for key, pollutant in (("pm25", Pollutant.PM2_5), ("pm10", Pollutant.PM10)):
        means = hourly.get(key, ())
        if not means:
            continue
        # Bảng 2 labels an hour by its end; a rollup bucket by its start.
        readings = [
            (datetime.fromtimestamp((start + _HOUR) / 1e6, UTC), max(0.0, mean))
            for start, mean in sorted(means)
        ]
        series.append(Series(pollutant, readings))
        last = max(last, max(start for start, _ in means) + _HOUR)
    if not series:
        return NO_DATA
    aqi = hourly_aqi(series, datetime.fromtimestamp(last / 1e6, UTC))
    if aqi.value is None or aqi.band is None:
        return State("no_aqi", GREY, "Chưa tính được VN_AQI", "VN_AQI not available")
    band = aqi.band
    return State(
        f"aqi_{band.level}",
        band.hex,
        f"VN_AQI {aqi.value} – {band.name_vi}",
        f"VN_AQI {aqi.value} – {band.name_en}",
        aqi=aqi.value,
        legend=(
            f"VN_AQI {band.low}–{band.high}: {band.name_vi}",
            f"VN_AQI {band.low}–{band.high}: {band.name_en}",
        ),
    )


def _water(latest: Mapping[str, Latest]) -> State:
    for key in ("flood_depth", "water_level"):
        r = latest.get(key)
        value = _number(r)
        if r is None or value is None:
            continue
        alert, clear = _threshold(r, "alert"), _threshold(r, "clear")
        shown = f"{value:.2f} m"
        if alert is not None and value >= alert:
            return State(
                "alert",
                "#d7301f",
                f"Vượt ngưỡng cảnh báo ({_vi(shown)})",
                f"Above the alert level ({shown})",
            )
        if clear is not None and value >= clear:
            return State(
                "watch",
                "#fdae61",
                f"Gần ngưỡng cảnh báo ({_vi(shown)})",
                f"Near the alert level ({shown})",
            )
        return State("normal", "#2b83ba", f"Bình thường ({_vi(shown)})", f"Normal ({shown})")
    rain = latest.get("rainfall")
    value = _number(rain)
    if rain is None or value is None:
        return NO_DATA
    heavy = _threshold(rain, "heavy") or 50.0
    shown = f"{value:g} mm/h"
    if value >= heavy:
        return State(
            "heavy_rain", "#08306b", f"Mưa rất to ({_vi(shown)})", f"Very heavy rain ({shown})"
        )
    if value >= 0.5:
        return State("rain", "#4292c6", f"Đang mưa ({_vi(shown)})", f"Raining ({shown})")
    return State("dry", "#c6dbef", "Không mưa", "No rain")


def _lighting(latest: Mapping[str, Latest]) -> State:
    fault = latest.get("lamp_fault")
    if fault is not None and isinstance(fault.value, str) and fault.value not in ("none", ""):
        vi, en = FAULTS.get(fault.value, (fault.value, fault.value))
        return State("fault", "#e31a1c", f"Đèn lỗi: {vi}", f"Lamp fault: {en}")
    state = latest.get("lamp_state")
    if state is None:
        return NO_DATA
    if state.value is True:
        dim = _number(latest.get("dim_level"))
        level = "" if dim is None else f" {dim:g} %"
        return State("on", "#ffd92f", f"Đang sáng{_vi(level)}", f"On{level}")
    return State("off", "#4d4d4d", "Đang tắt", "Off")


def _traffic(latest: Mapping[str, Latest]) -> State:
    occupancy = _number(latest.get("occupancy"))
    if occupancy is None:
        return NO_DATA
    shown = f"{occupancy:g} %"
    if occupancy >= 45:
        return State(
            "congested",
            "#d7301f",
            f"Ùn tắc (chiếm dụng {_vi(shown)})",
            f"Congested ({shown} occupancy)",
        )
    if occupancy >= 25:
        return State(
            "busy", "#fc8d59", f"Đông xe (chiếm dụng {_vi(shown)})", f"Busy ({shown} occupancy)"
        )
    return State(
        "free",
        "#1a9850",
        f"Thông thoáng (chiếm dụng {_vi(shown)})",
        f"Free-flowing ({shown} occupancy)",
    )


def _waste(latest: Mapping[str, Latest]) -> State:
    r = latest.get("bin_fill")
    fill = _number(r)
    if r is None or fill is None:
        return NO_DATA
    full = _threshold(r, "full") or 80.0
    shown = f"{fill:g} %"
    if fill >= full:
        return State(
            "full", "#d7301f", f"Đầy, cần thu gom ({_vi(shown)})", f"Full, to collect ({shown})"
        )
    if fill >= full * 0.6:
        return State("filling", "#fdae61", f"Gần đầy ({_vi(shown)})", f"Filling up ({shown})")
    return State("room", "#1a9850", f"Còn chỗ ({_vi(shown)})", f"Has room ({shown})")


def _water_quality(latest: Mapping[str, Latest]) -> State:
    seen = False
    for r in latest.values():
        value = _number(r)
        if value is None:
            continue
        seen = True
        low, high = _threshold(r, "min"), _threshold(r, "max")
        if (low is not None and value < low) or (high is not None and value > high):
            return State(
                "outside", "#d7301f", "Ngoài giới hạn quy chuẩn", "Outside the standard's limits"
            )
    if not seen:
        return NO_DATA
    return State("within", "#1a9850", "Trong giới hạn quy chuẩn", "Within the standard's limits")


def device_state(
    profile: str | None,
    latest: Mapping[str, Latest],
    hourly: Mapping[str, Sequence[tuple[int, float]]],
    now: int,
    stale_after: int = 3 * _HOUR,
) -> State:
    """The state of a device of ``profile`` from its latest readings (by property key)
    and, for air quality, the hourly means of its particulates."""
    if not latest:
        return NO_DATA
    if max(r.time for r in latest.values()) < now - stale_after:
        return STALE
    if profile == "air_quality":
        return air_state(hourly)
    if profile == "flood":
        return _water(latest)
    if profile == "lighting":
        return _lighting(latest)
    if profile == "traffic":
        return _traffic(latest)
    if profile == "waste":
        return _waste(latest)
    if profile == "water_quality":
        return _water_quality(latest)
    if profile == "meters":
        return State("metering", "#1b9e77", "Đang đo", "Metering")
    return State("reporting", "#6a51a3", "Đang gửi số liệu", "Reporting")
