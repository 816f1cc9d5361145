"""The simulator's patterns and replays, without a database: the shapes a city's devices
follow (rush hours, storms crossing the city, lamps from dusk to dawn, bins emptied on
their round, meters that never run backwards), real values replayed as they were, and a
streetlight that obeys its dimming tasks."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from dothi.sensors.simulate import patterns
from dothi.sensors.simulate.devices import KINDS, Device, Reading
from dothi.sensors.simulate.fleet import SHARES, composition
from dothi.sensors.simulate.live import Runner
from dothi.sensors.simulate.placement import storm_over
from dothi.sensors.simulate.series import DAY_US, HOUR_US, SOURCES, WEEK_US, Replay, load
from dothi.sensors.simulate.transports import SinkStats
from dothi.sensors.sta.times import to_micros

#: Wednesday 2026-12-09, 00:00 in Việt Nam (UTC+7).
WEDNESDAY = to_micros(datetime(2026, 12, 8, 17, 0, tzinfo=UTC))
SATURDAY = WEDNESDAY + 3 * DAY_US
MINUTE = 60_000_000


def at(day: int, hour: float) -> np.ndarray:
    """One time: ``hour`` (local) of the local day ``day`` microseconds since the epoch."""
    return np.asarray([day + int(hour * HOUR_US)], dtype=np.int64)


def test_traffic_peaks_at_rush_hours_and_is_calmer_at_weekends() -> None:
    p = {"seed": 11, "capacity": 3600, "free_speed": 45.0}
    rush = patterns.traffic(at(WEDNESDAY, 7.5), p)
    night = patterns.traffic(at(WEDNESDAY, 3.0), p)
    weekend = patterns.traffic(at(SATURDAY, 7.5), p)
    assert rush["traffic_flow"][0] > 5 * night["traffic_flow"][0]
    assert weekend["traffic_flow"][0] < 0.8 * rush["traffic_flow"][0]
    # More vehicles, slower and fuller lanes.
    assert rush["traffic_speed"][0] < night["traffic_speed"][0]
    assert rush["occupancy"][0] > night["occupancy"][0]
    # The same seed gives the same reading, another seed another.
    again = patterns.traffic(at(WEDNESDAY, 7.5), p)
    other = patterns.traffic(at(WEDNESDAY, 7.5), {**p, "seed": 12})
    assert again["traffic_flow"][0] == rush["traffic_flow"][0]
    assert other["traffic_flow"][0] != rush["traffic_flow"][0]


def test_a_storm_floods_the_streets_one_after_another() -> None:
    area = (106.66, 10.76, 106.72, 10.80)
    storm = storm_over(area, WEDNESDAY + 14 * HOUR_US, hours=3.0)
    base = {"storms": [storm], "daily_storms": False, "per_mm": 0.012, "drains_mm": 10.0}
    south_west = {**base, "lon": 106.665, "lat": 10.765}
    north_east = {**base, "lon": 106.715, "lat": 10.795}
    t = np.arange(WEDNESDAY + 12 * HOUR_US, WEDNESDAY + 22 * HOUR_US, 5 * MINUTE)
    rain = patterns.rainfall(t, south_west)["rainfall"]
    assert rain[0] == 0 and rain.max() > 30 and rain[-1] == 0
    first = patterns.flood(t, south_west)["flood_depth"]
    second = patterns.flood(t, north_east)["flood_depth"]
    assert first.max() > 0.2 and second.max() > 0.2
    # The cell comes from the south-west: that street is under water first.
    assert np.argmax(first > 0.2) < np.argmax(second > 0.2)
    # And the water drains away after the storm.
    assert first[-1] == 0 and second[-1] == 0
    level = patterns.canal(t, {**north_east, "phase": 0.0})["water_level"]
    tide_only = patterns.tide(t, {"phase": 0.0})
    assert (level >= np.round(tide_only, 2) - 0.01).all() and (level - tide_only).max() > 0.1


def test_streetlights_follow_the_night_and_sometimes_fail() -> None:
    p = {"seed": 5, "photocell": 0.0, "watts": 100, "fault_rate": 0.0}
    noon, evening, late = (patterns.light(at(WEDNESDAY, h), p) for h in (12, 20, 1 + 24))
    assert not noon["lamp_state"][0] and noon["dim_level"][0] == 0 and noon["energy"][0] == 0
    assert evening["lamp_state"][0] and evening["dim_level"][0] == 100
    assert evening["energy"][0] == pytest.approx(25.0)  # 100 W for 15 minutes
    assert late["dim_level"][0] == 50 and late["lamp_fault"][0] == "none"
    # With a fault every day: from its start (afternoon or evening) until 10:00 next day.
    failing = {**p, "fault_rate": 1.0}
    night = patterns.light(at(WEDNESDAY, 23.9), failing)
    morning = patterns.light(at(WEDNESDAY + DAY_US, 9.5), failing)
    repaired = patterns.light(at(WEDNESDAY + DAY_US, 10.5), failing)
    assert night["lamp_fault"][0] in patterns.FAULTS and not night["lamp_state"][0]
    assert morning["lamp_fault"][0] in patterns.FAULTS
    assert repaired["lamp_fault"][0] == "none"


def test_bins_fill_and_are_emptied_and_meters_never_run_backwards() -> None:
    t = np.arange(WEDNESDAY, WEDNESDAY + 2 * DAY_US, 15 * MINUTE)
    fill = patterns.bin_fill(
        t, {"seed": 3, "period_h": 24, "collect_h": 6.0, "fill_per_period": 0.9}
    )["bin_fill"]
    hours = patterns.local_hours(t)
    before, after = fill[np.isclose(hours, 5.75)], fill[np.isclose(hours, 6.25)]
    assert (before > 50).all() and (after < 10).all()
    for key in ("water_volume", "power_energy"):
        index = patterns.meter(t, {"key": key, "per_day": 12.0, "start": 1000.0})[key]
        steps = np.diff(index)
        assert (steps >= 0).all() and index[-1] - index[0] == pytest.approx(24.0, rel=0.02)


def test_replayed_stations_keep_their_real_values() -> None:
    for key, source in SOURCES.items():
        series = load(key)
        replay = Replay.to_now(key, WEDNESDAY)
        assert replay.shift % WEEK_US == 0 and replay.loop % WEEK_US == 0
        times, index = replay.readings(WEDNESDAY - 7 * DAY_US, WEDNESDAY)
        assert len(times) > 0
        # Each replayed time is its reading's own time moved by whole weeks: same weekday,
        # same hour; and the value is the file's.
        moved = (times - series.times[index]) % WEEK_US
        assert (moved == 0).all()
        for stream in source.streams:
            device = Device(1, KINDS["air_replay"], {"replay": replay.__dict__}, {stream: 7})
            values = [r.result for r in device.readings(WEDNESDAY - DAY_US, WEDNESDAY, HOUR_US)]
            expected = series.values[stream][index[times >= WEDNESDAY - DAY_US]]
            assert values == [float(v) for v in expected if not np.isnan(v)]
    # The low-cost sensor's out-of-range code is not replayed as a reading.
    nha_be = load("nha-be-sds011")
    assert np.nanmax(nha_be.values["pm25"]) < 999.9 and np.nanmax(nha_be.values["pm10"]) < 1999.9
    # A year's series replays the same time of the year.
    hcmc = Replay.to_now("hcmc-us-consulate", WEDNESDAY)
    source_time = WEDNESDAY - hcmc.shift
    same_day_2017 = to_micros(datetime(2017, 12, 8, 17, 0, tzinfo=UTC))
    assert abs(source_time - same_day_2017) <= 4 * DAY_US


def test_hourly_means_are_observed_over_their_hour() -> None:
    replay = Replay.to_now("hcmc-us-consulate", WEDNESDAY)
    device = Device(1, KINDS["air_replay"], {"replay": replay.__dict__}, {"pm25": 3})
    readings = device.readings(WEDNESDAY - DAY_US, WEDNESDAY, HOUR_US)
    assert readings and all(r.end is not None and r.end - r.start == HOUR_US for r in readings)
    assert all(r.end % HOUR_US == 0 for r in readings if r.end is not None)


def _light(seed: int = 9) -> Device:
    streams = {"lamp_state": 1, "dim_level": 2, "energy": 3, "lamp_fault": 4}
    params = {"seed": seed, "photocell": 0.0, "watts": 100, "fault_rate": 0.0}
    return Device(10, KINDS["light"], params, streams, tasking_id=20)


def test_a_streetlight_obeys_dimming_tasks() -> None:
    lamp = _light()
    night = WEDNESDAY + 21 * HOUR_US
    assert lamp.apply_task({"dim": 35}, night)
    values = lamp.sample(np.asarray([night + MINUTE]))
    assert values["lamp_state"][0] and values["dim_level"][0] == 35
    assert values["energy"][0] == pytest.approx(8.8, abs=0.1)
    # Until the schedule's next switch (dawn), then the schedule again.
    after_dawn = lamp.sample(np.asarray([WEDNESDAY + DAY_US + 7 * HOUR_US]))
    assert not after_dawn["lamp_state"][0]
    assert lamp.apply_task({"state": "off", "duration": 10}, night)
    assert not lamp.sample(np.asarray([night + MINUTE]))["lamp_state"][0]
    assert lamp.sample(np.asarray([night + 11 * MINUTE]))["dim_level"][0] == 100
    assert lamp.apply_task({"state": "on", "dim": 60}, night)
    assert lamp.apply_task({"state": "auto"}, night) and lamp.override is None
    for bad in ({"dim": 150}, {"state": "blink"}, {"dim": True}, "dim 50", {}):
        assert not lamp.apply_task(bad, night)
    # A bin has nothing to dim.
    bin_ = Device(
        11,
        KINDS["bin"],
        {"seed": 1, "period_h": 24, "collect_h": 6, "fill_per_period": 1},
        {"bin_fill": 5},
    )
    assert not bin_.apply_task({"dim": 10}, night)


def test_lamp_states_are_reported_when_they_change() -> None:
    lamp = _light()
    readings = lamp.readings(WEDNESDAY, WEDNESDAY + DAY_US, 15 * MINUTE)
    by_stream: dict[int, list[object]] = {}
    for r in readings:
        by_stream.setdefault(r.datastream_id, []).append(r.result)
    assert len(by_stream[3]) == 96  # energy: every 15 minutes
    # State: off at midnight's first reading, on at dawn's end… a handful of changes.
    assert by_stream[1][0] is True and 2 <= len(by_stream[1]) <= 4
    assert by_stream[4] == ["none"]
    # A device that reported before goes on from its last value: nothing new if unchanged.
    again = lamp.readings(
        WEDNESDAY + DAY_US, WEDNESDAY + DAY_US + HOUR_US, 15 * MINUTE, continuing=True
    )
    assert {r.datastream_id for r in again} == {3}


def test_a_fleet_has_every_kind_in_its_share() -> None:
    counts = composition(1000)
    assert sum(counts.values()) == 1000 and counts["air_replay"] == 3
    assert set(counts) == {"air_replay", *SHARES}
    assert counts["light"] == max(counts.values())
    assert composition(5) == {"light": 2, "bin": 1, "traffic": 1, "flood": 1}


class _Collect:
    """A sink that keeps what it is sent."""

    def __init__(self) -> None:
        self.stats = SinkStats()
        self.readings: list[Reading] = []

    def send(self, readings: list[Reading]) -> None:
        self.readings.extend(readings)
        self.stats.sent += len(readings)

    def close(self) -> None:
        pass


def test_the_fleet_keeps_its_rate_and_each_device_its_cadence() -> None:
    counters = [
        Device(
            i,
            KINDS["traffic"],
            {"seed": i, "capacity": 1000, "free_speed": 40.0},
            {
                "traffic_flow": 10 * i,
                "traffic_speed": 10 * i + 1,
                "occupancy": 10 * i + 2,
            },
        )
        for i in range(1, 21)
    ]
    replay = Replay.to_now("hcmc-us-consulate", WEDNESDAY)
    station = Device(99, KINDS["air_replay"], {"replay": replay.__dict__}, {"pm25": 999})
    sink = _Collect()
    start = WEDNESDAY + 10 * HOUR_US - 5_000_000  # five seconds before 10:00
    runner = Runner([*counters, station], sink, rate=60.0, now=start)
    assert runner.interval == 1_000_000  # 60 streams at 60 readings/s: each device every second
    for j in range(1, 101):  # ten seconds of the clock, in rounds of a tenth
        runner.step(start + j * 100_000)
    counted = [r for r in sink.readings if r.datastream_id != 999]
    assert 570 <= len(counted) <= 630
    times = sorted({r.start for r in counted if r.datastream_id == 10})
    assert set(np.diff(times)) == {1_000_000}
    # The station's hourly mean of 09:00–10:00 arrives once the hour is over, once.
    hourly = [(r.start, r.end) for r in sink.readings if r.datastream_id == 999]
    hour_end = WEDNESDAY + 10 * HOUR_US
    in_file, _ = replay.readings(start, start + 10_000_000)
    assert list(in_file) == [hour_end]  # the file has a valid value for that hour
    assert hourly == [(hour_end - HOUR_US, hour_end)]
    assert runner.stats.readings == len(sink.readings)
