"""Domain profiles as data (``data/profiles.json``): the ObservedProperties of air quality,
flooding and rain, street lighting, traffic, waste, meters and drinking water, each with its
UCUM unit, the range of plausible readings and the default thresholds rules start from."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

_FILE = Path(__file__).parent / "data" / "profiles.json"
_OM = "http://www.opengis.net/def/observationType/OGC-OM/2.0/"


@dataclass(frozen=True)
class PropertyProfile:
    """One observed property of a profile."""

    key: str
    profile: str
    name_vi: str
    name_en: str
    definition: str
    observation_type: str
    unit: dict[str, str] | None
    valid_range: tuple[float, float] | None
    thresholds: dict[str, Any]
    confirmed: bool

    def observed_property(self) -> dict[str, Any]:
        """The SensorThings ObservedProperty (its name in Vietnamese, English beside)."""
        return {
            "name": self.name_vi,
            "definition": self.definition,
            "description": f"{self.name_vi} / {self.name_en}",
            "properties": {"profile": self.profile, "name_en": self.name_en},
        }

    def unit_of_measurement(self) -> dict[str, str | None]:
        """The Datastream's ``unitOfMeasurement`` (all null for a unitless property)."""
        if self.unit is None:
            return {"name": None, "symbol": None, "definition": None}
        return {k: self.unit[k] for k in ("name", "symbol", "definition")}

    def plausible(self, value: float) -> bool:
        """Whether a reading lies in the property's valid range."""
        if self.valid_range is None:
            return True
        low, high = self.valid_range
        return low <= value <= high


@cache
def properties() -> dict[str, PropertyProfile]:
    """Every profile property, by key (``pm25``, ``water_level``, …)."""
    data = json.loads(_FILE.read_text(encoding="utf-8"))
    out: dict[str, PropertyProfile] = {}
    for profile in data["profiles"]:
        for p in profile["properties"]:
            rng = p.get("valid_range")
            out[p["key"]] = PropertyProfile(
                key=p["key"],
                profile=profile["key"],
                name_vi=p["name_vi"],
                name_en=p["name_en"],
                definition=p["definition"],
                observation_type=_OM + p["observationType"],
                unit=p.get("unit"),
                valid_range=None if rng is None else (float(rng[0]), float(rng[1])),
                thresholds=p.get("thresholds", {}),
                confirmed=bool(p.get("confirmed", True)),
            )
    return out


def by_definition(definition: str) -> PropertyProfile | None:
    """The profile property an ObservedProperty's ``definition`` names, if any."""
    return next((p for p in properties().values() if p.definition == definition), None)
