"""Domain profiles: every property has a Vietnamese and an English name (NFC), a UCUM unit
where it measures, a valid range and an observation type the API knows."""

from __future__ import annotations

import unicodedata

from dothi.sensors.profiles import by_definition, properties
from dothi.sensors.sta.observations import RESULT_KINDS


def test_every_profile_property_is_complete() -> None:
    found = properties()
    assert {"pm25", "pm10", "no2", "o3", "co", "so2", "water_level", "rainfall"} <= set(found)
    assert {"dim_level", "traffic_flow", "bin_fill", "ph", "residual_chlorine"} <= set(found)
    for p in found.values():
        assert p.name_vi and p.name_en and unicodedata.is_normalized("NFC", p.name_vi)
        assert p.observation_type in RESULT_KINDS
        if p.observation_type.endswith("OM_Measurement"):
            assert p.unit is not None and p.unit["definition"].startswith("http://unitsofmeasure")
            assert p.valid_range is not None and p.valid_range[0] < p.valid_range[1]
        assert by_definition(p.definition) is p


def test_plausible_readings() -> None:
    pm25 = properties()["pm25"]
    assert pm25.plausible(35.2) and not pm25.plausible(-1) and not pm25.plausible(5000)
    assert pm25.unit_of_measurement()["symbol"] == "µg/m³"
    assert properties()["lamp_state"].unit_of_measurement()["symbol"] is None
