"""Generated patterns: pure, vectorised functions of time (``t``: µs since the epoch,
UTC, as a numpy array) and of a device's parameters (plain JSON values kept in its
Thing's properties). The same function draws a week of history and the live reading, so
the two agree; "random" variation is a hash of the device's seed and the time, so a value
is the same whoever computes it.

Local time is Việt Nam's (UTC+7, no daylight saving).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt

from dothi.sensors.simulate.series import DAY_US, HOUR_US, MICROS, Times, Values

_LOCAL = 7 * HOUR_US
_MASK = np.uint64(0xFFFFFFFFFFFFFFFF)
Params = Mapping[str, Any]
Bools = npt.NDArray[np.bool_]


# -- Time and noise ---------------------------------------------------------------------------


def _f64(values: Any) -> Values:
    """A float64 array (numpy's rounding and clipping keep the input's type loosely)."""
    return np.asarray(values, dtype=np.float64)


def local_hours(t: Times) -> Values:
    """Hour of the local day, 0 ≤ h < 24, with fractions."""
    return np.asarray(((t + _LOCAL) % DAY_US) / HOUR_US, dtype=np.float64)


def local_days(t: Times) -> Times:
    """The local day's number since 1970-01-01 (a Thursday)."""
    return np.asarray((t + _LOCAL) // DAY_US, dtype=np.int64)


def weekend(t: Times) -> Bools:
    """Saturday or Sunday, local time."""
    return np.asarray((local_days(t) + 3) % 7 >= 5)


def _mix(x: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    """splitmix64's finaliser: every bit of the input moves every bit of the output."""
    x = (x + np.uint64(0x9E3779B97F4A7C15)) & _MASK
    x = ((x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)) & _MASK
    x = ((x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)) & _MASK
    return x ^ (x >> np.uint64(31))


def uniform(seed: int, k: npt.NDArray[np.int64]) -> Values:
    """A uniform number in [0, 1) for each integer of ``k``, fixed by ``seed``."""
    with np.errstate(over="ignore"):
        s = _mix(np.full(np.shape(k), seed & 0xFFFFFFFFFFFFFFFF, dtype=np.uint64))
        x = _mix(s ^ np.asarray(k, dtype=np.int64).astype(np.uint64))
    return np.asarray((x >> np.uint64(11)).astype(np.float64) / float(2**53))


def smooth_noise(seed: int, t: Times, step_us: int) -> Values:
    """Noise in [-1, 1] that drifts smoothly: a new value every ``step_us``, blended."""
    k = np.asarray(t // step_us, dtype=np.int64)
    frac = (t % step_us) / step_us
    a, b = uniform(seed, k), uniform(seed, k + 1)
    w = frac * frac * (3 - 2 * frac)  # smoothstep: no kinks at the steps
    return np.asarray(2 * (a + (b - a) * w) - 1, dtype=np.float64)


def _gauss(h: Values, centre: float, width: float) -> Values:
    d = (h - centre + 12) % 24 - 12  # the shorter way round the clock
    return np.asarray(np.exp(-0.5 * (d / width) ** 2), dtype=np.float64)


# -- Traffic ----------------------------------------------------------------------------------


def traffic_profile(t: Times) -> Values:
    """Share of the road's capacity in use: quiet at night, peaks at 7:30 and 17:30 on
    weekdays, a flatter day at weekends (0 … 1)."""
    h = local_hours(t)
    workday = (
        0.05
        + 0.90 * _gauss(h, 7.5, 1.0)
        + 0.55 * _gauss(h, 12.0, 3.5)
        + 0.85 * _gauss(h, 17.6, 1.3)
        + 0.35 * _gauss(h, 20.5, 1.5)
    )
    rest = 0.05 + 0.55 * _gauss(h, 10.0, 2.5) + 0.65 * _gauss(h, 18.5, 2.5)
    return np.asarray(np.clip(np.where(weekend(t), rest, workday), 0, 1), dtype=np.float64)


def traffic(t: Times, p: Params) -> dict[str, Values]:
    """A counter on one road: flow (vehicles/h), mean speed (km/h), lane occupancy (%)."""
    seed, capacity, free = int(p["seed"]), float(p["capacity"]), float(p["free_speed"])
    ratio = traffic_profile(t) * (1 + 0.12 * smooth_noise(seed, t, 20 * 60 * MICROS))
    ratio = np.clip(ratio, 0, 1.05)
    speed = free * (1 - 0.72 * ratio**3) * (1 + 0.05 * smooth_noise(seed + 1, t, 10 * 60 * MICROS))
    occupancy = np.clip(100 * (0.03 + 0.62 * ratio**2), 0, 100)
    return {
        "traffic_flow": _f64(np.round(capacity * ratio)),
        "traffic_speed": _f64(np.round(np.maximum(speed, 3.0), 1)),
        "occupancy": _f64(np.round(occupancy, 1)),
    }


# -- Rain, flooding and tides ------------------------------------------------------------------


def daily_storms(days: Sequence[int], seed: int) -> list[dict[str, Any]]:
    """Afternoon storms: on some days (about 2 in 5 of the rainy season, May to November,
    1 in 10 of the dry season) a cell crosses the city from the south-west between 14:00
    and 19:00 local time."""
    storms = []
    for day in days:
        u = uniform(seed, np.asarray([day * 4, day * 4 + 1, day * 4 + 2, day * 4 + 3]))
        month = (date(1970, 1, 1) + timedelta(days=int(day))).month
        if u[0] >= (0.4 if 5 <= month <= 11 else 0.1):
            continue
        start = day * DAY_US - _LOCAL + int((14 + 3 * u[1]) * HOUR_US)
        storms.append(
            {
                "start": float(start),
                "hours": 1.5 + 1.5 * float(u[2]),
                "peak": 25 + 55 * float(u[3]),
                "from": (106.55, 10.68),
                "to": (106.82, 10.86),
                "radius_km": 6.0,
            }
        )
    return storms


def _storms_for(t: Times, p: Params) -> list[dict[str, Any]]:
    """The storms that may rain on ``t``: the device's own (the demo's) and the daily ones."""
    storms = [dict(s) for s in p.get("storms", [])]
    if p.get("daily_storms", True) and len(t):
        first, last = int(local_days(t).min()) - 1, int(local_days(t).max())
        storms += daily_storms(range(first, last + 1), int(p.get("weather_seed", 1459)))
    return storms


def rain_rate(t: Times, lon: float, lat: float, p: Params) -> Values:
    """Rain (mm/h) at a place: storm cells of Gaussian footprint moving in a straight line,
    rising and falling over their duration."""
    out = np.zeros(np.shape(t), dtype=np.float64)
    for s in _storms_for(t, p):
        tau = (t - float(s["start"])) / (float(s["hours"]) * HOUR_US)
        inside = (tau >= 0) & (tau <= 1)
        if not inside.any():
            continue
        (x0, y0), (x1, y1) = s["from"], s["to"]
        cx, cy = x0 + (x1 - x0) * tau, y0 + (y1 - y0) * tau
        dx = (lon - cx) * 111.32 * math.cos(math.radians(lat))
        dy = (lat - cy) * 110.57
        r = float(s["radius_km"])
        cell = float(s["peak"]) * np.sin(np.pi * np.clip(tau, 0, 1)) ** 2
        out += np.where(inside, cell * np.exp(-(dx * dx + dy * dy) / (2 * r * r)), 0.0)
    return out


def rain_store(t: Times, lon: float, lat: float, p: Params, minutes: float = 45.0) -> Values:
    """Rain that has not drained yet (mm): the rain of the last three hours, each
    millimetre fading with a time constant of ``minutes``."""
    step = 10 * 60 * MICROS
    lags = np.arange(0, 18) * step
    times = np.asarray(t, dtype=np.int64)[..., None] - lags
    rates = rain_rate(times.reshape(-1), lon, lat, p).reshape(times.shape)
    weights = np.exp(-lags / (minutes * 60 * MICROS)) * (step / HOUR_US)
    return np.asarray(rates @ weights, dtype=np.float64)


def tide(t: Times, p: Params) -> Values:
    """The canal's level (m) from the sea's tides alone: the mixed, mostly semi-diurnal
    tide of the Sài Gòn river (M2 and K1 waves)."""
    s = t / MICROS
    m2 = 2 * np.pi / (12.42 * 3600)
    k1 = 2 * np.pi / (23.93 * 3600)
    phase = float(p.get("phase", 0.0))
    level = float(p.get("mean", 0.45)) + 0.75 * np.cos(m2 * s + phase) + 0.3 * np.cos(k1 * s)
    return np.asarray(level, dtype=np.float64)


def rainfall(t: Times, p: Params) -> dict[str, Values]:
    """A rain gauge: the current intensity (mm/h)."""
    return {"rainfall": np.round(rain_rate(t, float(p["lon"]), float(p["lat"]), p), 1)}


def flood(t: Times, p: Params) -> dict[str, Values]:
    """A street's flood-depth sensor (m): water stands once the rain that has not drained
    exceeds what the street's drains take; low streets also flood at the highest tides."""
    store = rain_store(t, float(p["lon"]), float(p["lat"]), p)
    depth = float(p["per_mm"]) * np.maximum(0.0, store - float(p["drains_mm"]))
    depth += float(p.get("low", 0.0)) * np.maximum(0.0, tide(t, p) - 1.25)
    return {"flood_depth": _f64(np.round(np.clip(depth, 0, 5), 2))}


def canal(t: Times, p: Params) -> dict[str, Values]:
    """A canal gauge's water level (m): the tide, raised by the rain around it."""
    store = rain_store(t, float(p["lon"]), float(p["lat"]), p, minutes=120.0)
    return {"water_level": np.round(tide(t, p) + 0.006 * store, 2)}


# -- Streetlights ---------------------------------------------------------------------------------

FAULTS = ("lamp_failure", "driver_fault", "power_loss")
NO_FAULT = "none"


def light_schedule(t: Times, p: Params) -> tuple[Bools, Values]:
    """Whether the lamp is scheduled on (its photocell: dusk to dawn) and its dim level
    (%): full until 22:30, half until 04:30, then 80 % until dawn."""
    h = local_hours(t)
    dusk = 17.8 + float(p.get("photocell", 0.0))
    dawn = 5.8 - float(p.get("photocell", 0.0))
    on = (h >= dusk) | (h < dawn)
    dim = np.where((h >= 22.5) | (h < 4.5), 50.0, 100.0)
    dim = np.where((h >= 4.5) & (h < dawn), 80.0, dim)
    return np.asarray(on), np.asarray(np.where(on, dim, 0.0), dtype=np.float64)


def light_faults(t: Times, p: Params) -> npt.NDArray[np.int64]:
    """The fault at each time: 0 none, else 1 + the index in :data:`FAULTS`. A fault
    starts on some days (``fault_rate`` of them) in the afternoon or evening and lasts
    until the crew's round at 10:00 the next morning."""
    seed, rate = int(p["seed"]), float(p.get("fault_rate", 0.03))
    out = np.zeros(np.shape(t), dtype=np.int64)
    days = local_days(t)
    h = local_hours(t)
    for back in (0, 1):
        day = days - back
        u = uniform(seed, day * 3)
        start = 12 + 11 * uniform(seed, day * 3 + 1)
        kind = 1 + (uniform(seed, day * 3 + 2) * len(FAULTS)).astype(np.int64)
        active = (u < rate) & ((h >= start) if back == 0 else (h < 10))
        out = np.where(active & (out == 0), kind, out)
    return out


def light(t: Times, p: Params) -> dict[str, Any]:
    """A streetlight: state (on/off), dim level (%), energy used in the 15 minutes before
    the reading (Wh) and fault (``none`` or its kind)."""
    fault = light_faults(t, p)
    on, dim = light_schedule(t, p)
    on = on & (fault == 0)
    dim = np.where(on, dim, 0.0)
    watts = float(p.get("watts", 100.0))
    # The last 15 minutes, sampled at their three 5-minute midpoints.
    lags = np.asarray([2.5, 7.5, 12.5]) * 60 * MICROS
    used = np.zeros(np.shape(t), dtype=np.float64)
    for lag in lags:
        past = np.asarray(t - int(lag), dtype=np.int64)
        was_on, was_dim = light_schedule(past, p)
        was_on = was_on & (light_faults(past, p) == 0)
        used += np.where(was_on, watts * was_dim / 100.0, 0.0) * 0.25 / len(lags)
    names = np.asarray((NO_FAULT, *FAULTS), dtype=object)
    return {
        "lamp_state": on,
        "dim_level": np.round(dim),
        "energy": np.round(used, 1),
        "lamp_fault": names[fault],
    }


# -- Waste bins and meters ----------------------------------------------------------------------


def bin_fill(t: Times, p: Params) -> dict[str, Values]:
    """A waste bin's fill level (%): it fills through the day and is emptied on its
    round (every ``period_h`` hours from ``collect_h`` local time); some overflow."""
    period = float(p["period_h"]) * HOUR_US
    offset = float(p["collect_h"]) * HOUR_US - _LOCAL
    since = (t - offset) % period
    busy = 0.35 + 0.65 * _gauss(local_hours(t), 13.0, 4.5)
    fill = float(p["fill_per_period"]) * 100 * since / period * (0.8 + 0.4 * busy)
    fill *= 1 + 0.06 * smooth_noise(int(p["seed"]), t, HOUR_US)
    return {"bin_fill": _f64(np.round(np.clip(fill, 0, 100)))}


def meter(t: Times, p: Params) -> dict[str, Values]:
    """A cumulative meter (m³ of water or kWh): its index grows with a daily rhythm of use
    (morning and evening peaks), never backwards. The closed-form integral of the rate
    ``a0 + a1 cos(ω(t − 19h)) + a2 cos(2ω(t − 7h))`` since 2026-01-01."""
    key = str(p["key"])
    per_day = float(p["per_day"])
    s = (t - 1_767_225_600 * MICROS) / MICROS  # 2026-01-01T00:00:00Z
    w = 2 * np.pi / 86400
    a0, a1, a2 = per_day / 86400, 0.45 * per_day / 86400, 0.3 * per_day / 86400
    local = s + 7 * 3600
    used = (
        a0 * s
        + a1 / w * np.sin(w * (local - 19 * 3600))
        + a2 / (2 * w) * np.sin(2 * w * (local - 7 * 3600))
    )
    digits = 3 if key == "water_volume" else 2
    return {key: np.round(float(p["start"]) + used, digits)}


# -- Simulated air quality -------------------------------------------------------------------


def air(t: Times, p: Params, base_pm25: Values) -> dict[str, Values]:
    """A simulated station: the real PM2.5 of a reference station (``base_pm25``, already
    replayed at ``t``) scaled for its place, with its own drift and the traffic's rush
    hours; PM10 in a fixed ratio to PM2.5."""
    seed = int(p["seed"])
    h = local_hours(t)
    rush = 6.0 * (_gauss(h, 7.5, 1.2) + _gauss(h, 18.0, 1.5)) * float(p.get("traffic", 1.0))
    pm25 = np.nan_to_num(base_pm25, nan=float(p.get("fallback", 25.0))) * float(p["factor"])
    pm25 = np.maximum(0.0, pm25 * (1 + 0.15 * smooth_noise(seed, t, HOUR_US)) + rush)
    pm10 = pm25 * float(p.get("pm10_ratio", 1.6)) * (1 + 0.05 * smooth_noise(seed + 7, t, HOUR_US))
    return {"pm25": np.round(pm25, 1), "pm10": np.round(pm10, 1)}
