"""VN_AQI (Decision 1459/QĐ-TCMT): every worked example of the data file, the breakpoints,
the scale's ends, missing hours and the minimum readings."""

from __future__ import annotations

import json
import unicodedata
from datetime import date, datetime, timedelta
from importlib import resources
from typing import Any

import pytest

from dothi.errors import InvalidInput
from dothi.sensors.aqi import (
    HOUR,
    VIETNAM_TIME,
    Averaging,
    Gap,
    Pollutant,
    Series,
    band_for,
    bands,
    daily_aqi,
    daily_sub_indices,
    day_hours,
    eight_hour_means,
    hourly_aqi,
    hourly_sub_index,
    index_of,
    nowcast,
    round_index,
)

DATA: dict[str, Any] = json.loads(
    (resources.files("dothi.sensors") / "data" / "vn_aqi_1459.json").read_text(encoding="utf-8")
)
VECTORS = DATA["test_vectors"]
CHOICES = DATA["dothi_choices"]
TABLES = {k: v for k, v in DATA["breakpoints"].items() if k != "notes"}
DAY = date(2026, 12, 6)
AT = datetime(2026, 12, 6, 20, tzinfo=VIETNAM_TIME)


def hours_back(at: datetime, values: list[float | None]) -> list[tuple[datetime, float | None]]:
    """``values`` as c1 (at ``at``), c2 (an hour earlier) …"""
    return [(at - k * HOUR, v) for k, v in enumerate(values)]


def whole_day(values: list[float | None], day: date = DAY) -> list[tuple[datetime, float | None]]:
    """24 values for the hours 01:00 … 00:00 of ``day``."""
    return list(zip(day_hours(day), values, strict=True))


def nfc(text: str) -> bool:
    return unicodedata.normalize("NFC", text) == text


# -- Worked examples (§2.3 and §2.2.2a) -------------------------------------------------------


def test_nowcast_worked_example() -> None:
    v = VECTORS["nowcast_pm25"]
    assert v["hours"][-1] == "20:00"  # the last column is the current hour, c1
    out = nowcast(v["values"][::-1])
    assert out is not None
    assert round(out.weight, 2) == v["w"]
    assert round(out.value, 1) == v["expected"]


def test_hourly_worked_example_with_the_stated_rounding() -> None:
    v, nc = VECTORS["aqi_hourly"], VECTORS["nowcast_pm25"]
    at = datetime(2026, 12, 6, 20, tzinfo=VIETNAM_TIME)
    pm = Series(Pollutant.PM2_5, hours_back(at, nc["values"][::-1]))
    o3 = Series(Pollutant.O3, [(at, v["inputs"]["O3_1h"])])
    no2 = Series(Pollutant.NO2, [(at, v["inputs"]["NO2"])])
    aqi = hourly_aqi([pm, o3, no2], at)
    got = {s.pollutant.value: s for s in aqi.sub_indices}
    assert got["O3"].value == v["expected_sub"]["O3"]
    assert got["PM2.5"].value == v["expected_sub"]["PM2.5"]
    assert got["PM2.5"].averaging is Averaging.NOWCAST
    # The decision prints 60 for (50/100) × 18.7 + 50 = 59.35; half-up rounding gives 59.
    assert got["NO2"].exact == pytest.approx(59.35)
    assert (v["expected_sub"]["NO2"], got["NO2"].value) == (60, 59)
    assert (v["expected_AQI_h"], aqi.value) == (60, 59)
    assert aqi.dominant == (Pollutant.NO2,)
    assert aqi.band is not None and aqi.band.name_vi == "Trung bình"
    assert (aqi.start, aqi.end) == (at - HOUR, at)


def test_daily_worked_example_by_concentration() -> None:
    v = VECTORS["aqi_daily"]
    columns = {
        "O3_8h": "O3_8h_max",
        "O3_1h": "O3_1h_max",
        "NO2": "NO2_1h_max",
        "PM2_5": "PM2.5_24h",
    }
    subs = {t: index_of(t, v["inputs"][key]) for t, key in columns.items()}
    expected = {"O3_8h": "O3_8h", "O3_1h": "O3_1h", "NO2": "NO2", "PM2_5": "PM2.5"}
    for table, name in expected.items():
        assert subs[table].value == v["expected_sub"][name], table
    assert subs["PM2_5"].exact == 109.5  # an exact half, rounded up
    assert max(s.value or 0 for s in subs.values()) == v["expected_AQI_d"]


def test_daily_worked_example_from_hourly_means() -> None:
    v = VECTORS["aqi_daily"]["inputs"]
    pm = Series(Pollutant.PM2_5, whole_day([v["PM2.5_24h"]] * 24))
    no2 = Series(Pollutant.NO2, whole_day([v["NO2_1h_max"]] + [20.0] * 23))
    # Eight hours whose mean is 89.3 and whose highest is 114.6; zeros elsewhere.
    o3_day = [0.0] * 9 + [114.6, 64.0] + [89.3] * 6 + [0.0] * 7
    o3 = Series(Pollutant.O3, whole_day(o3_day) + hours_back(day_hours(DAY)[0] - HOUR, [0.0] * 7))
    aqi = daily_aqi([pm, no2, o3], DAY)
    got = {(s.pollutant.value, s.averaging): s for s in aqi.sub_indices}
    assert got["O3", Averaging.DAY_MAX_8H].concentration == pytest.approx(89.3)
    assert got["O3", Averaging.DAY_MAX_8H].value == 45
    assert got["O3", Averaging.DAY_MAX_HOUR].value == 36
    assert got["NO2", Averaging.DAY_MAX_HOUR].value == 65
    assert got["PM2.5", Averaging.DAY_MEAN].value == 110
    assert aqi.value == VECTORS["aqi_daily"]["expected_AQI_d"]
    assert aqi.dominant == (Pollutant.PM2_5,)
    assert aqi.band is not None and aqi.band.name_vi == "Kém"
    assert aqi.start == datetime(2026, 12, 6, tzinfo=VIETNAM_TIME)
    assert aqi.end - aqi.start == timedelta(days=1)


def test_o3_eight_hour_example() -> None:
    v = VECTORS["o3_8h_example"]
    first = datetime(2026, 12, 5, 18, tzinfo=VIETNAM_TIME)  # 18:00 of the day before
    o3 = Series(Pollutant.O3, [(first + k * HOUR, c) for k, c in enumerate(v["o3_1h_from_18h"])])
    means = eight_hour_means(o3, DAY)
    assert len(means) == 24
    assert means[0][0] == datetime(2026, 12, 6, 1, tzinfo=VIETNAM_TIME)
    assert round(means[0][1] or 0, 1) == v["expected_first_8h_at_01h"]
    assert round(max(m or 0 for _, m in means), 1) == v["expected_max_8h"]
    eight = daily_sub_indices(o3, DAY)[1]
    assert eight.averaging is Averaging.DAY_MAX_8H
    assert round(eight.concentration or 0, 1) == v["expected_max_8h"]


# -- Rounding ---------------------------------------------------------------------------------


def test_rounding_is_half_up_as_the_data_file_states() -> None:
    assert CHOICES["confirmed"] is False and CHOICES["rounding"]["mode"] == "half_up"
    cases = {59.35: 59, 59.5: 60, 109.5: 110, 65.4: 65, 44.65: 45, 0.49: 0}
    assert {x: round_index(x) for x in cases} == cases
    assert "59.35" in (round_index.__doc__ or "")


# -- Breakpoints and the scale's ends ---------------------------------------------------------


@pytest.mark.parametrize("table", sorted(TABLES))
def test_every_breakpoint_gives_its_index(table: str) -> None:
    for level in TABLES[table]["levels"]:
        if level["BP"] is None:
            continue
        sub = index_of(table, level["BP"])
        assert (sub.exact, sub.value, sub.above_scale) == (level["I"], level["I"], False)
        assert sub.confirmed is TABLES[table]["confirmed"]


def test_between_breakpoints_is_linear() -> None:
    assert index_of("PM10", 100).exact == 75
    assert index_of("CO", 20000).exact == 75
    assert index_of("SO2", 125.1).value == 50  # 50.02
    assert index_of("PM2_5", 25.1).value == 50  # 50.2


@pytest.mark.parametrize("table", [t for t, v in TABLES.items() if v["levels"][-1]["BP"]])
def test_above_the_top_breakpoint_is_500_and_flagged(table: str) -> None:
    top = TABLES[table]["levels"][-1]["BP"]
    assert CHOICES["above_top_breakpoint"]["rule"] == "cap"
    sub = index_of(table, top * 2)
    assert (sub.value, sub.above_scale) == (500, True)
    assert sub.band is not None and sub.band.name_vi == "Nguy hại"


def test_o3_eight_hours_above_400_is_not_computed() -> None:
    sub = index_of("O3_8h", 400.1)
    assert sub.value is None and sub.missing is not None
    assert sub.missing.gap is Gap.ABOVE_TABLE
    assert sub.confirmed is False  # the O3 8-h column rests on one transcription
    # The day's O3 then counts on its 1-h maximum only (§2.2.2b).
    before = hours_back(day_hours(DAY)[0] - HOUR, [450.0] * 7)
    o3 = Series(Pollutant.O3, whole_day([450.0] * 24) + before)
    one, eight = daily_sub_indices(o3, DAY)
    assert eight.missing is not None and eight.missing.gap is Gap.ABOVE_TABLE
    assert one.value == 213  # (300 − 200)/(800 − 400) × (450 − 400) + 200 = 212.5


def test_overall_above_the_scale() -> None:
    pm = Series(Pollutant.PM10, hours_back(AT, [700.0] * 12))
    aqi = hourly_aqi([pm], AT)
    assert (aqi.value, aqi.above_scale) == (500, True)


# -- Missing hours and minimum readings -------------------------------------------------------


def test_nowcast_needs_two_of_the_three_latest_hours() -> None:
    twelve: list[float | None] = [30.0] * 12
    assert nowcast([None, None, *twelve[2:]]) is None
    assert nowcast([None, 30.0, None, *twelve[3:]]) is None
    assert nowcast([None, *twelve[1:]]) is not None
    pm = Series(Pollutant.PM2_5, hours_back(AT, [None, None, *twelve[2:]]))
    sub = hourly_sub_index(pm, AT)
    assert sub.value is None and sub.missing is not None
    assert sub.missing.gap is Gap.NOWCAST_RECENT
    assert "19:00 06/12/2026" in sub.missing.vi and nfc(sub.missing.vi)
    aqi = hourly_aqi([pm], AT)
    assert aqi.value is None and aqi.missing is not None
    assert aqi.missing.gap is Gap.NO_PARTICULATE


def test_nowcast_missing_hour_weighs_zero() -> None:
    # w* = 30/40 > ½: the decision's weighted mean over the hours present.
    values: list[float | None] = [40.0, None, 30.0] + [35.0] * 9
    w = 30 / 40
    present = [(k, c) for k, c in enumerate(values) if c is not None]
    expected = sum(w**k * c for k, c in present) / sum(w**k for k, _ in present)
    out = nowcast(values)
    assert out is not None
    assert out.weight == pytest.approx(w)
    assert out.value == pytest.approx(expected, rel=1e-12)
    # Absent hours are missing too: a series without 18:00 gives the same NowCast.
    pm = Series(Pollutant.PM10, [r for r in hours_back(AT, values) if r[1] is not None])
    assert hourly_sub_index(pm, AT).concentration == pytest.approx(expected, rel=1e-12)


def test_nowcast_with_weight_one_half() -> None:
    values: list[float | None] = [10.0, 40.0] + [20.0] * 10  # w* = 0.25 → w = ½
    out = nowcast(values)
    assert out is not None and out.weight == 0.5
    printed = sum(0.5 ** (i + 1) * (c or 0) for i, c in enumerate(values))  # Σ (½)^i·c_i
    assert out.value == pytest.approx(printed, rel=1e-12)
    # A missing c12 leaves the other weights, rescaled to the printed weights' sum.
    gap = nowcast([*values[:11], None])
    assert gap is not None
    present = sum(0.5 ** (i + 1) for i in range(11))
    full = sum(0.5 ** (i + 1) for i in range(12))
    expected = sum(0.5 ** (i + 1) * (c or 0) for i, c in enumerate(values[:11])) * full / present
    assert gap.value == pytest.approx(expected, rel=1e-12)
    assert nowcast([0.0] * 12) == nowcast([0, 0, *[None] * 10])


def test_hourly_gas_without_the_hour() -> None:
    no2 = Series(Pollutant.NO2, [(AT - HOUR, 50.0)])
    sub = hourly_sub_index(no2, AT)
    assert sub.value is None and sub.missing is not None and sub.missing.gap is Gap.NO_READING
    pm = Series(Pollutant.PM2_5, hours_back(AT, [10.0] * 12))
    aqi = hourly_aqi([pm, no2], AT)
    assert aqi.value == 20 and aqi.dominant == (Pollutant.PM2_5,)


@pytest.mark.parametrize("pollutant", [Pollutant.PM2_5, Pollutant.NO2, Pollutant.CO])
def test_daily_needs_the_minimum_hours(pollutant: Pollutant) -> None:
    rule = "min_hours_in_24h_mean" if pollutant == "PM2.5" else "min_hours_for_daily_max_1h"
    need = CHOICES["completeness"][rule]
    short = [10.0] * (need - 1) + [None] * (25 - need)
    (sub,) = daily_sub_indices(Series(pollutant, whole_day(short)), DAY)
    assert sub.value is None and sub.missing is not None
    assert sub.missing.gap is Gap.TOO_FEW_HOURS
    assert f"{need - 1}/24" in sub.missing.vi and "Dothi" in sub.missing.en
    enough = [10.0] * need + [None] * (24 - need)
    (sub,) = daily_sub_indices(Series(pollutant, whole_day(enough)), DAY)
    assert sub.concentration == 10.0 and sub.value is not None


def test_daily_pm_mean_is_over_the_hours_present() -> None:
    values: list[float | None] = [20.0] * 10 + [50.0] * 10 + [None] * 4
    (sub,) = daily_sub_indices(Series(Pollutant.PM10, whole_day(values)), DAY)
    assert sub.concentration == 35.0 and sub.value == 35


def test_eight_hour_mean_needs_six_hours() -> None:
    need = CHOICES["completeness"]["min_hours_in_8h_mean"]
    assert need == 6
    # No hours of the day before: the means at 01:00 … 05:00 have 1 … 5 hours.
    means = eight_hour_means(Series(Pollutant.O3, whole_day([40.0] * 24)), DAY)
    assert [m for _, m in means[:6]] == [None] * (need - 1) + [40.0]
    one, eight = daily_sub_indices(Series(Pollutant.O3, whole_day([40.0] * 24)), DAY)
    assert eight.value == 20  # 19 means ≥ 18
    sparse = [40.0 if h % 2 else None for h in range(24)]
    one, eight = daily_sub_indices(Series(Pollutant.O3, whole_day(sparse)), DAY)
    assert one.value is None and eight.value is None
    assert eight.missing is not None and eight.missing.gap is Gap.TOO_FEW_8H_MEANS


def test_overall_needs_a_particulate() -> None:
    no2 = Series(Pollutant.NO2, [(AT, 150.0)])
    o3 = Series(Pollutant.O3, [(AT, 100.0)])
    aqi = hourly_aqi([no2, o3], AT)
    assert aqi.value is None and aqi.band is None and aqi.dominant == ()
    assert aqi.missing is not None and aqi.missing.gap is Gap.NO_PARTICULATE
    assert "PM10, PM2.5" in aqi.missing.vi and nfc(aqi.missing.vi)
    assert [s.value for s in aqi.sub_indices] == [75, 31]  # the sub-indices stay


# -- Bands ------------------------------------------------------------------------------------


def test_bands_are_the_decisions() -> None:
    got = bands()
    assert [(b.low, b.high) for b in got] == [tuple(c["range"]) for c in DATA["categories"]]
    assert [b.rgb for b in got] == [tuple(c["rgb"]) for c in DATA["categories"]]
    assert [b.name_vi for b in got] == ["Tốt", "Trung bình", "Kém", "Xấu", "Rất xấu", "Nguy hại"]
    assert DATA["english"]["official"] is False
    for b in got:
        texts = [b.name_vi, b.colour_vi, b.health_vi, b.advice_vi, b.advice_sensitive_vi]
        english = [b.name_en, b.colour_en, b.health_en, b.advice_en, b.advice_sensitive_en]
        assert all(t and nfc(t) for t in texts + english)
    edges = {0: 1, 50: 1, 51: 2, 100: 2, 101: 3, 150: 3, 151: 4, 200: 4, 201: 5, 300: 5, 301: 6}
    assert {v: band_for(v).level for v in edges} == edges
    assert band_for(500).name_en == "Hazardous"
    with pytest.raises(InvalidInput):
        band_for(-1)


# -- Input checks -----------------------------------------------------------------------------


def test_units() -> None:
    co = Series(Pollutant.CO, [(AT, 10.0)], unit="mg/m³")
    assert hourly_sub_index(co, AT).concentration == 10000 and hourly_sub_index(co, AT).value == 50
    for unit in ("µg/m³", "μg/m3", "ug/m3", " µg/m3 "):
        assert Series(Pollutant.SO2, [(AT, 125.0)], unit=unit).at(AT) == 125
    with pytest.raises(InvalidInput) as err:
        Series(Pollutant.NO2, [(AT, 10.0)], unit="ppb")
    assert "ppb" in err.value.vi and "ppb" in err.value.en


@pytest.mark.parametrize(
    ("readings", "words"),
    [
        ([(datetime(2026, 12, 6, 20), 1.0)], "múi giờ"),
        ([(AT + timedelta(minutes=30), 1.0)], "giờ tròn"),
        ([(AT, 1.0), (AT.astimezone(VIETNAM_TIME), 2.0)], "đã có"),
        ([(AT, -0.1)], "không âm"),
        ([(AT, float("nan"))], "không âm"),
        ([(AT, True)], "không âm"),
    ],
)
def test_bad_readings_are_refused(readings: list[Any], words: str) -> None:
    with pytest.raises(InvalidInput) as err:
        Series(Pollutant.PM10, readings)
    assert words in err.value.vi and "reading" in err.value.en
    assert nfc(err.value.vi)


def test_bad_calls_are_refused() -> None:
    with pytest.raises(InvalidInput):
        Series("PM1", [])  # type: ignore[arg-type]
    assert Series("PM2.5", []).pollutant is Pollutant.PM2_5  # type: ignore[arg-type]
    pm = Series(Pollutant.PM10, [])
    with pytest.raises(InvalidInput):
        hourly_aqi([pm, Series(Pollutant.PM10, [])], AT)
    with pytest.raises(InvalidInput):
        index_of("PM1", 3.0)
    with pytest.raises(InvalidInput):
        nowcast([1.0] * 11)


def test_day_runs_from_one_to_midnight_vietnam_time() -> None:
    hours = day_hours(DAY)
    assert hours[0] == datetime(2026, 12, 6, 1, tzinfo=VIETNAM_TIME)
    assert hours[-1] == datetime(2026, 12, 7, 0, tzinfo=VIETNAM_TIME)
    assert len(set(hours)) == 24
