"""The scale of VN_AQI: Bảng 1, 2, 4 and 5 of Decision 1459/QĐ-TCMT, formula 1 and 2, and the
rounding, all read from ``data/vn_aqi_1459.json``."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, replace
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from enum import StrEnum
from functools import cache
from importlib import resources
from itertools import pairwise
from typing import Any

from dothi.errors import InvalidInput

_ROUNDING = {"half_up": ROUND_HALF_UP, "ceiling": ROUND_CEILING}


class Pollutant(StrEnum):
    """The six parameters of VN_AQI (§2.1b)."""

    PM2_5 = "PM2.5"
    PM10 = "PM10"
    O3 = "O3"
    NO2 = "NO2"
    CO = "CO"
    SO2 = "SO2"


#: Particulates: NowCast hourly, 24-h mean daily, and one of them is required (§2.1b).
PARTICULATES = (Pollutant.PM2_5, Pollutant.PM10)


class Averaging(StrEnum):
    """What concentration a sub-index was computed on."""

    NOWCAST = "nowcast"  # PM2.5, PM10 hourly
    HOUR = "1h"  # O3, NO2, CO, SO2 hourly
    DAY_MEAN = "24h"  # PM2.5, PM10 daily
    DAY_MAX_HOUR = "max_1h"  # O3, NO2, CO, SO2 daily
    DAY_MAX_8H = "max_8h"  # O3 daily


class Gap(StrEnum):
    """Why a value is missing."""

    NO_READING = "no_reading"
    NOWCAST_RECENT = "nowcast_recent"
    TOO_FEW_HOURS = "too_few_hours"
    TOO_FEW_8H_MEANS = "too_few_8h_means"
    ABOVE_TABLE = "above_table"
    NO_PARTICULATE = "no_particulate"


@dataclass(frozen=True)
class Missing:
    """Why a value was not computed, in Vietnamese and English."""

    gap: Gap
    vi: str
    en: str


@dataclass(frozen=True)
class Band:
    """One of the six bands (Bảng 1) with its health effects (Bảng 4) and advice (Bảng 5).

    The ``*_en`` texts are Dothi's translation; only the Vietnamese is official.
    """

    level: int
    low: int
    high: int
    name_vi: str
    name_en: str
    colour_vi: str
    colour_en: str
    rgb: tuple[int, int, int]
    hex: str
    health_vi: str
    health_en: str
    advice_vi: str
    advice_en: str
    advice_sensitive_vi: str
    advice_sensitive_en: str


@dataclass(frozen=True)
class SubIndex:
    """AQI of one parameter (AQI_x) or why it is missing.

    ``table`` is the column of Bảng 2 used (``PM2_5``, ``O3_1h``, ``O3_8h``…),
    ``concentration`` what went into the formula (µg/m³), ``exact`` the unrounded result,
    ``above_scale`` that the concentration is beyond the top breakpoint and ``confirmed``
    whether that column's breakpoints are confirmed against the decision.
    """

    pollutant: Pollutant
    averaging: Averaging
    table: str
    concentration: float | None
    exact: float | None
    value: int | None
    band: Band | None
    above_scale: bool = False
    confirmed: bool = True
    missing: Missing | None = None


# -- The data ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Table:
    """One column of Bảng 2."""

    points: tuple[tuple[Decimal, int], ...]  # (BP_i, I_i) where Bảng 2 has a value
    open_top: bool  # the last row is the "≥ BP" row
    confirmed: bool


@dataclass(frozen=True)
class Rules:
    """The data file as the code uses it."""

    tables: dict[str, Table]
    bands: tuple[Band, ...]
    rounding: str
    above_top: str
    completeness: dict[str, int]


@cache
def rules() -> Rules:
    """The tables, bands and Dothi's choices of ``data/vn_aqi_1459.json`` (read once)."""
    path = resources.files("dothi.sensors") / "data" / "vn_aqi_1459.json"
    raw: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    tables = {}
    for name, t in raw["breakpoints"].items():
        if name == "notes":
            continue
        rows = [lv for lv in t["levels"] if lv["BP"] is not None]
        points = tuple((Decimal(str(lv["BP"])), int(lv["I"])) for lv in rows)
        if any(b[0] <= a[0] or b[1] <= a[1] for a, b in pairwise(points)):
            raise ValueError(f"vn_aqi_1459.json: breakpoints of {name} do not increase")
        tables[name] = Table(points, bool(rows[-1]["open_ended_at_top"]), bool(t["confirmed"]))
    health = raw["health_effects_vi"]["levels"]
    advice = raw["recommendations_vi"]["levels"]
    bands = tuple(
        Band(
            level=n,
            low=c["range"][0],
            high=c["range"][1],
            name_vi=c["vi"],
            name_en=c["en"],
            colour_vi=c["colour_vi"],
            colour_en=c["colour_en"],
            rgb=(c["rgb"][0], c["rgb"][1], c["rgb"][2]),
            hex=c["hex"],
            health_vi=h["text"],
            health_en=h["text_en"],
            advice_vi=a["normal"],
            advice_en=a["normal_en"],
            advice_sensitive_vi=a["sensitive"],
            advice_sensitive_en=a["sensitive_en"],
        )
        for n, (c, h, a) in enumerate(zip(raw["categories"], health, advice, strict=True), 1)
    )
    if any(
        c["range"] != h["range"] or c["range"] != a["range"]
        for c, h, a in zip(raw["categories"], health, advice, strict=True)
    ):
        raise ValueError("vn_aqi_1459.json: Bảng 1, 4 and 5 disagree on the bands")
    choices = raw["dothi_choices"]
    rounding, above = choices["rounding"]["mode"], choices["above_top_breakpoint"]["rule"]
    if rounding not in _ROUNDING or above not in ("cap", "none"):
        raise ValueError("vn_aqi_1459.json: unknown rounding mode or above-top rule")
    completeness = {k: int(v) for k, v in choices["completeness"].items() if k != "why"}
    return Rules(tables, bands, rounding, above, completeness)


def bands() -> tuple[Band, ...]:
    """The six bands of Bảng 1, lowest first."""
    return rules().bands


def band_for(value: int) -> Band:
    """The band of a (rounded) AQI value; values above 500 fall in the top band."""
    if value < 0:
        raise InvalidInput(f"AQI không thể âm ({value}).", f"An AQI cannot be negative ({value}).")
    for band in bands():
        if value <= band.high:
            return band
    return bands()[-1]


def round_index(value: float | Decimal) -> int:
    """Round an AQI to an integer as Dothi reads "làm tròn thành số nguyên" (§2.2.1c, §2.2.2c).

    The mode is ``dothi_choices.rounding`` of the data file: **half up** (59.5 → 60,
    59.35 → 59). It reproduces every worked example of §2.3 but one: the decision prints
    AQI(NO2) = (50/100) × 18.7 + 50 = 59.35 as 60 (and AQI_h = 60), where Dothi gives 59.
    Rounding up would print 60 there but 66 for the daily AQI(NO2) = 65.4 that the
    decision prints as 65, so no single rule reproduces both and the hourly print is read
    as a slip of the example. Only AQI values are rounded, never the concentrations.
    """
    exact = value if isinstance(value, Decimal) else Decimal(repr(float(value)))
    return int(exact.quantize(Decimal(1), rounding=_ROUNDING[rules().rounding]))


# -- Formula 1 and 2 --------------------------------------------------------------------------


def index_of(table: str, concentration: float) -> SubIndex:
    """AQI_x of a concentration (µg/m³) by formula 1 on a column of Bảng 2.

    ``table`` is ``PM2_5``, ``PM10``, ``O3_1h``, ``O3_8h``, ``CO``, ``SO2`` or ``NO2``.
    Use :func:`hourly_aqi` / :func:`daily_aqi` for the averaging the decision prescribes.
    """
    if table not in rules().tables:
        known = ", ".join(rules().tables)
        raise InvalidInput(
            f"Không có cột «{table}» trong Bảng 2; có: {known}.",
            f"Bảng 2 has no column '{table}'; known: {known}.",
        )
    pollutant = Pollutant.O3 if table.startswith("O3") else pollutant_named(table.replace("_", "."))
    c = check_concentration(concentration, table, table)
    averaging = Averaging.DAY_MAX_8H if table == "O3_8h" else Averaging.HOUR
    return sub_index_on(pollutant, averaging, table, c)


def sub_index_on(pollutant: Pollutant, averaging: Averaging, table: str, c: Decimal) -> SubIndex:
    """AQI_x of the concentration ``c`` (µg/m³) on column ``table`` (formula 1 or 2)."""
    t = rules().tables[table]
    top_bp, top_i = t.points[-1]
    base = SubIndex(pollutant, averaging, table, float(c), None, None, None, False, t.confirmed)
    if c > top_bp:
        if not (t.open_top and rules().above_top == "cap"):
            return missing_sub(base, _above_table(table, c, top_bp), above=True)
        # Row 8 of Bảng 2 reads "≥ BP8" with I = 500: the top of the scale, flagged.
        return _with_value(base, Decimal(top_i), above=True)
    for (bp_lo, i_lo), (bp_hi, i_hi) in pairwise(t.points):
        if c <= bp_hi:
            # Multiply before dividing so that an exact half (109.5) stays exact.
            exact = Decimal(i_hi - i_lo) * (c - bp_lo) / (bp_hi - bp_lo) + i_lo
            return _with_value(base, exact, above=False)
    raise AssertionError("unreachable: c <= top breakpoint")


def _with_value(base: SubIndex, exact: Decimal, *, above: bool) -> SubIndex:
    value = round_index(exact)
    return replace(base, exact=float(exact), value=value, band=band_for(value), above_scale=above)


def missing_sub(base: SubIndex, missing: Missing, *, above: bool = False) -> SubIndex:
    """``base`` without a value, saying why."""
    return replace(base, exact=None, value=None, band=None, above_scale=above, missing=missing)


# -- Checks and messages ----------------------------------------------------------------------


def pollutant_named(value: Pollutant | str) -> Pollutant:
    """The parameter named ``value`` (``PM2.5``, ``O3``…), or InvalidInput."""
    try:
        return Pollutant(value)
    except ValueError:
        known = ", ".join(p.value for p in Pollutant)
        raise InvalidInput(
            f"VN_AQI không có thông số «{value}»; có: {known}.",
            f"VN_AQI has no parameter '{value}'; known: {known}.",
        ) from None


def table_of(p: Pollutant) -> str:
    """The column of Bảng 2 for ``p``'s 1-h means (O3: ``O3_1h``)."""
    return {Pollutant.PM2_5: "PM2_5", Pollutant.O3: "O3_1h"}.get(p, p.value)


def check_concentration(value: Any, where_vi: str, where_en: str) -> Decimal:
    """``value`` as an exact decimal, or InvalidInput naming ``where`` if not a number ≥ 0."""
    ok = isinstance(value, int | float | Decimal) and not isinstance(value, bool)
    if not ok or not math.isfinite(value) or value < 0:
        raise InvalidInput(
            f"{where_vi}: nồng độ phải là số không âm, nhận {value!r}.",
            f"{where_en}: a concentration must be a number, not negative; got {value!r}.",
        )
    return value if isinstance(value, Decimal) else Decimal(repr(float(value)))


def _above_table(table: str, c: Decimal, top: Decimal) -> Missing:
    return Missing(
        Gap.ABOVE_TABLE,
        f"{c} µg/m³ vượt giá trị cao nhất của cột {table} trong Bảng 2 ({top} µg/m³): "
        "không tính AQI thông số này.",
        f"{c} µg/m³ is above the highest breakpoint of column {table} of Bảng 2 "
        f"({top} µg/m³): this sub-index is not computed.",
    )
