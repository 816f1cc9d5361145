"""Indicators of a scenario (chỉ tiêu của phương án), and scenarios compared side by side.

How each figure is made (areas and distances in the frame of
:mod:`dothi.planning.scenarios.data`, a local equal-area projection of the WGS 84 ellipsoid):

- **permitted floor area** of a zone = its area × ``max_far``; without a coefficient, area ×
  ``max_coverage_pct`` / 100 × ``max_floors``; without either, none (counted in
  ``zones.without_rules``). Housing takes all of it in ``residential`` zones and
  ``mixed_use_residential_share`` of it in ``mixed_use`` zones; the rest is non-residential.
- **population capacity** = residential floor area ÷ ``floor_area_per_person_m2``;
  households = people ÷ ``household_size``.
- **existing population**: buildings whose inner point lies in a zone of the plan, with an
  existing status (``existing``, ``unknown`` or none): footprint × floors (floors missing:
  height ÷ the norm set's storey height, at least 1; neither: 1 floor) for the types
  ``residential``, ``house``, ``apartments`` (all) and ``mixed`` (the mixed-use share),
  ÷ ``floor_area_per_person_m2``. Buildings of type ``unspecified`` count as their zone's
  use (housing in a residential zone, the mixed-use share in a mixed-use one, else none);
  their floor area is also shown apart.
- **land-use balance** (cơ cấu sử dụng đất): area (ha), share (%) and m² per resident of
  capacity, per ``land_use_function``.
- **green space per person**: area of ``green_public`` zones ÷ population capacity, against
  the edition's ``green_public_m2_per_person``.
- **service coverage**: the share of residents (capacity; residents spread evenly over each
  housing zone) and of existing residents (by building) within the edition's straight-line
  radius of a facility (``public_facility``, not abandoned) or a zone providing the service;
  a service whose radius the edition does not give is reported with ``radius_m: null``.
- **infrastructure**: water, wastewater, solid waste, power load and parking from the norm
  set (``data/norms.json``), each with the norms it used.

People, households and parking spaces are rounded to whole numbers at the end; every other
figure is computed from unrounded values.

JSON of one scenario (``GET /planning/scenarios/{id}/indicators``)::

    {"scenario": {...}, "plan": {"id", "name", "status", "level"},
     "edition": {"code", "valid_from", "valid_to"}, "norm_set": {"id", "title", "illustrative"},
     "method": {"crs", "vi", "en"}, "layers": {"used": [...], "not_readable": [...]},
     "zones": {"count", "area_ha", "without_rules"},
     "floor_area": {"total_m2", "residential_m2", "non_residential_m2"},
     "population": {"capacity": {"people", "households", "residential_floor_area_m2"},
                    "existing": {"people", "households", "residential_floor_area_m2",
                                 "buildings", "residential_buildings",
                                 "unspecified_floor_area_m2", "floors_estimated"},
                    "growth": {"people", "households"}},
     "land_use": {"rows": [{"function", "label": {"vi", "en"}, "zones", "area_ha",
                            "share_pct", "m2_per_person"}], "total": {...}},
     "green": {"area_ha", "m2_per_person", "norm": <rule>, "meets_norm"},
     "services": [{"service", "label", "radius_m", "rule": <rule>, "sources":
                   {"facilities", "zones"}, "residents_covered", "share_pct",
                   "existing_share_pct"}],
     "infrastructure": [{"key", "label", "value", "unit", "norms": [<norm>]}],
     "notes": [{"vi", "en"}]}

where ``<rule>`` is ``{"key", "edition", "value", "label", "scope", "clause", "confirmed"}``
(or null) and ``<norm>`` is ``{"key", "value", "unit", "label", "source", "confirmed",
"illustrative"}``. The comparison (:func:`compare`) is
``{"scenarios": [<one scenario>, ...], "rows": [<row>], "charts": [<chart>]}``: each row is
``{"key", "group", "label": {"vi", "en"}, "unit", "values": [one per scenario]}`` and each
chart ``{"key", "title": {"vi", "en"}, "unit", "categories": [{"key", "label"}],
"values": [[one per category] per scenario], "references": [{"label", "value"}]}``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np

from dothi.auth.policy import Principal
from dothi.db.engine import Database
from dothi.errors import InvalidInput
from dothi.planning import plans
from dothi.planning import regulations as regs
from dothi.planning.scenarios.data import BUILDINGS, SERVICES, PlanData, load_plan_data
from dothi.planning.scenarios.store import NormSet, Scenario, get_scenario, norm_set_named
from dothi.planning.scenarios.table import charts, rows, warnings
from dothi.spatial.labels import value_label
from dothi.spatial.layers import core_layer

MAX_COMPARED = 6
_HOUSING = ("residential", "house", "apartments")
_HOUSING_ZONES = ("residential", "mixed_use")


@cache
def land_use_functions() -> tuple[tuple[str, str, str], ...]:
    """(code, Vietnamese, English) of every land-use function, in the schema's order, with
    the labels of the ``planning_zone`` schema (``x-value-labels``)."""
    layer = core_layer("planning_zone")
    assert layer is not None
    schema = layer.property_schema
    codes = schema["properties"]["land_use_function"]["enum"]
    return tuple(
        (
            c,
            value_label("planning_zone", schema, "land_use_function", c, "vi") or c,
            value_label("planning_zone", schema, "land_use_function", c, "en") or c,
        )
        for c in codes
    )


def _r(value: float | None, digits: int) -> float | None:
    return None if value is None else round(float(value), digits)


def _per(value: float, people: float) -> float | None:
    return value / people if people > 0 else None


def _rule(edition: regs.Edition, key: str) -> dict[str, Any] | None:
    found = edition.rules.get(key)
    if found is None:
        return None
    return {
        "key": key,
        "edition": edition.code,
        "value": found["value"],
        "label": found.get("label"),
        "scope": found.get("scope"),
        "clause": found.get("clause"),
        "confirmed": bool(found.get("confirmed", False)),
    }


def _norm(norms: NormSet, key: str) -> dict[str, Any]:
    n = norms.norms[key]
    return {
        "key": key,
        "value": n["value"],
        "unit": n["unit"],
        "label": n["label"],
        "source": n["source"],
        "confirmed": bool(n["confirmed"]),
        "illustrative": bool(n["illustrative"]),
    }


@dataclass(frozen=True)
class _Floors:
    """Permitted floor area per zone, split into housing and the rest."""

    total: np.ndarray[Any, Any]
    housing: np.ndarray[Any, Any]
    without_rules: int


def _zone_floors(data: PlanData, mixed_share: float) -> _Floors:
    by_far = data.zone_area * data.far
    by_floors = data.zone_area * data.coverage_pct / 100 * data.max_floors
    total = np.where(np.isnan(by_far), by_floors, by_far)
    missing = np.isnan(total)
    total = np.where(missing, 0.0, total)
    share = np.select(
        [data.functions == "residential", data.functions == "mixed_use"], [1.0, mixed_share], 0.0
    )
    return _Floors(total, total * share, int(missing.sum()))


def _existing(data: PlanData, norms: NormSet, mixed_share: float) -> dict[str, Any]:
    floors = data.building_floors.copy()
    unknown = np.isnan(floors)
    from_height = np.maximum(1.0, np.round(data.building_height / norms.value("storey_height_m")))
    floors[unknown] = np.where(np.isnan(from_height[unknown]), 1.0, from_height[unknown])
    floor_area = data.building_area * floors * data.building_existing
    # A building of unknown type (most of a footprint survey or OpenStreetMap) is taken to
    # serve its zone's use: housing in a residential zone, the mixed-use share in a mixed one.
    zone_share = np.select(
        [data.functions == "residential", data.functions == "mixed_use"], [1.0, mixed_share], 0.0
    )
    unknown_type = data.building_type == "unspecified"
    share = np.select(
        [np.isin(data.building_type, _HOUSING), data.building_type == "mixed", unknown_type],
        [1.0, mixed_share, zone_share[data.building_zone] if len(zone_share) else 0.0],
        0.0,
    )
    housing = floor_area * share
    return {
        "housing": housing,
        "residential_floor_area_m2": float(housing.sum()),
        "buildings": int(data.building_existing.sum()),
        "residential_buildings": int(((share > 0) & data.building_existing).sum()),
        "unspecified_floor_area_m2": float(floor_area[data.building_type == "unspecified"].sum()),
        "floors_estimated": int((unknown & data.building_existing).sum()),
    }


def indicators(data: PlanData, scenario: Scenario) -> dict[str, Any]:
    """Every indicator of ``scenario`` from its plan's data (see the module docstring)."""
    a = scenario.assumptions
    edition = regs.edition_named(a.edition)
    norms = norm_set_named(a.norm_set)
    floors = _zone_floors(data, a.mixed_use_residential_share)
    zone_people = floors.housing / a.floor_area_per_person_m2
    people = float(zone_people.sum())
    households = people / a.household_size
    residential = float(floors.housing.sum())
    non_residential = float(floors.total.sum()) - residential
    now = _existing(data, norms, a.mixed_use_residential_share)
    existing_people = now.pop("housing") / a.floor_area_per_person_m2
    zone_existing = data.zone_residents
    # Without population records or readable buildings the existing population is not
    # known: None (shown "–"), never 0.
    known = zone_existing is not None or BUILDINGS in data.layers_used
    existing = float(
        existing_people.sum() if zone_existing is None else zone_existing.sum()  # by zone
    )
    total_area = float(data.zone_area.sum())

    land_use = []
    for code, vi, en in land_use_functions():
        mask = data.functions == code
        if not mask.any():
            continue
        area = float(data.zone_area[mask].sum())
        land_use.append(
            {
                "function": code,
                "label": {"vi": vi, "en": en},
                "zones": int(mask.sum()),
                "area_ha": round(area / 10_000, 4),
                "share_pct": _r(area / total_area * 100 if total_area else None, 2),
                "m2_per_person": _r(_per(area, people), 2),
            }
        )
    green_area = float(data.zone_area[data.functions == "green_public"].sum())
    green_norm = _rule(edition, "green_public_m2_per_person")
    green_pp = _per(green_area, people)
    services = []
    for s in SERVICES:
        rule = _rule(edition, s.rule)
        _, n_facilities, n_zones = data.sources(s)
        entry: dict[str, Any] = {
            "service": s.key,
            "label": {"vi": s.vi, "en": s.en},
            "radius_m": None if rule is None else float(rule["value"]),
            "rule": rule,
            "sources": {"facilities": n_facilities, "zones": n_zones},
            "residents_covered": None,
            "share_pct": None,
            "existing_share_pct": None,
        }
        if rule is not None:
            zone_share, building_in = data.reach(s, float(rule["value"]))
            covered = float((zone_people * zone_share).sum())
            entry["residents_covered"] = round(covered)
            entry["share_pct"] = _r(covered / people * 100 if people > 0 else None, 2)
            if zone_existing is not None:
                near = float((zone_existing * zone_share).sum())
            else:
                near = float(existing_people[building_in].sum()) if len(building_in) else 0.0
            share_now = near / existing * 100 if known and existing > 0 else None
            entry["existing_share_pct"] = _r(share_now, 2)
        entry |= _places(edition, s.key, people, existing if known else None)
        services.append(entry)
    return {
        "scenario": scenario.to_dict(),
        "plan": {
            "id": data.plan.id,
            "name": data.plan.name,
            "status": data.plan.status,
            "level": data.plan.level,
        },
        "edition": {
            "code": edition.code,
            "valid_from": edition.valid_from.isoformat(),
            "valid_to": None if edition.valid_to is None else edition.valid_to.isoformat(),
        },
        "norm_set": {"id": norms.id, "title": norms.title, "illustrative": norms.illustrative},
        "method": _method(data),
        "layers": {"used": data.layers_used, "not_readable": data.layers_hidden},
        "zones": {
            "count": len(data.zone_ids),
            "area_ha": round(total_area / 10_000, 4),
            "without_rules": floors.without_rules,
        },
        "floor_area": {
            "total_m2": round(residential + non_residential, 1),
            "residential_m2": round(residential, 1),
            "non_residential_m2": round(non_residential, 1),
        },
        "population": {
            "capacity": {
                "people": round(people),
                "households": round(households),
                "residential_floor_area_m2": round(residential, 1),
            },
            "existing": {
                "people": round(existing) if known else None,
                "source": None
                if not known
                else "population"
                if zone_existing is not None
                else "buildings",
                "population_records": data.residents_source,
                "households": round(existing / a.household_size) if known else None,
                **now,
                "residential_floor_area_m2": round(now["residential_floor_area_m2"], 1),
                "unspecified_floor_area_m2": round(now["unspecified_floor_area_m2"], 1),
            },
            "growth": {
                "people": round(people - existing) if known else None,
                "households": round((people - existing) / a.household_size) if known else None,
            },
        },
        "land_use": {
            "rows": land_use,
            "total": {
                "zones": len(data.zone_ids),
                "area_ha": round(total_area / 10_000, 4),
                "share_pct": 100.0 if total_area else None,
                "m2_per_person": _r(_per(total_area, people), 2),
            },
        },
        "green": {
            "area_ha": round(green_area / 10_000, 4),
            "m2_per_person": _r(green_pp, 2),
            "norm": green_norm,
            "meets_norm": None
            if green_norm is None or green_pp is None
            else green_pp >= float(green_norm["value"]),
        },
        "density": _density(data, a.urban_class, people, existing if known else None, total_area),
        "services": services,
        "infrastructure": _infrastructure(norms, people, households, non_residential),
        "notes": _notes(scenario, edition, norms, data),
    }


def _places(
    edition: regs.Edition, service: str, people: float, existing: float | None
) -> dict[str, Any]:
    """School places a level needs for the residents (capacity and existing), and the land
    for them, from the edition's places per 1 000 people and land per place; None where
    the edition gives no such norm (never 0)."""
    per_1000 = _rule(edition, f"places_per_1000_{service}")
    per_place = _rule(edition, f"land_m2_per_place_{service}")
    needed = None if per_1000 is None else people * float(per_1000["value"]) / 1000
    now = (
        None if per_1000 is None or existing is None else existing * float(per_1000["value"]) / 1000
    )
    land = None if needed is None or per_place is None else needed * float(per_place["value"])
    return {
        "places_rule": per_1000,
        "land_rule": per_place,
        "places_needed": None if needed is None else round(needed),
        "existing_places_needed": None if now is None else round(now),
        "land_needed_m2": None if land is None else round(land, 1),
    }


def _density(
    data: PlanData,
    urban_class: str | None,
    people: float,
    existing: float | None,
    total_area: float,
) -> dict[str, Any]:
    """Gross population density (people per hectare of all the plan's zones, capacity and
    existing) against the threshold of the city's urban class, and the density on housing
    land (residential and mixed-use zones)."""
    ha = total_area / 10_000
    housing_ha = float(data.zone_area[np.isin(data.functions, _HOUSING_ZONES)].sum()) / 10_000
    found = None if urban_class is None else regs.urban_class_named(urban_class)
    gross = people / ha if ha > 0 else None
    norm: dict[str, Any] | None = None
    if found is not None:
        norm = {
            "urban_class": found.code,
            "label": found.label,
            "min_people_per_ha": found.min_density_people_per_ha,
            "source": found.source,
            "confirmed": found.confirmed,
        }
    return {
        "gross_people_per_ha": _r(gross, 1),
        "existing_gross_people_per_ha": _r(
            existing / ha if existing is not None and ha > 0 else None, 1
        ),
        "housing_land_people_per_ha": _r(people / housing_ha if housing_ha > 0 else None, 1),
        "norm": norm,
        "meets_norm": None
        if found is None or gross is None
        else gross >= found.min_density_people_per_ha,
    }


def _infrastructure(
    norms: NormSet, people: float, households: float, non_residential: float
) -> list[dict[str, Any]]:
    v = norms.value
    water = (
        people * v("water_domestic_l_per_person_day")
        + non_residential * v("water_non_residential_l_per_m2_day")
    ) / 1000
    items = [
        (
            "water_m3_per_day",
            "Nhu cầu cấp nước",
            "Water demand",
            water,
            "m³/ngày · m³/day",
            ("water_domestic_l_per_person_day", "water_non_residential_l_per_m2_day"),
            1,
        ),
        (
            "wastewater_m3_per_day",
            "Nước thải",
            "Wastewater",
            water * v("wastewater_share_of_water"),
            "m³/ngày · m³/day",
            ("wastewater_share_of_water",),
            1,
        ),
        (
            "solid_waste_t_per_day",
            "Chất thải rắn",
            "Solid waste",
            people * v("solid_waste_kg_per_person_day") / 1000,
            "tấn/ngày · t/day",
            ("solid_waste_kg_per_person_day",),
            2,
        ),
        (
            "power_kw",
            "Phụ tải điện",
            "Power load",
            (
                people * v("power_domestic_w_per_person")
                + non_residential * v("power_non_residential_w_per_m2")
            )
            / 1000,
            "kW",
            ("power_domestic_w_per_person", "power_non_residential_w_per_m2"),
            1,
        ),
        (
            "parking_spaces",
            "Chỗ đỗ ô tô",
            "Car parking spaces",
            households * v("parking_spaces_per_household")
            + non_residential / 100 * v("parking_spaces_per_100m2_non_residential"),
            "chỗ · spaces",
            ("parking_spaces_per_household", "parking_spaces_per_100m2_non_residential"),
            0,
        ),
    ]
    return [
        {
            "key": key,
            "label": {"vi": vi, "en": en},
            "value": round(value) if digits == 0 else round(value, digits),
            "unit": unit,
            "norms": [_norm(norms, k) for k in used],
        }
        for key, vi, en, value, unit, used, digits in items
    ]


def _method(data: PlanData) -> dict[str, Any]:
    return {
        "crs": data.crs,
        "vi": "Diện tích và khoảng cách tính trong phép chiếu đồng diện tích Lambert trên "
        "ellipsoid WGS 84, tâm ở giữa phạm vi các ô; khoảng cách là đường thẳng, không phải "
        "đường đi bộ.",
        "en": "Areas and distances in a Lambert azimuthal equal-area projection of the WGS 84 "
        "ellipsoid centred on the zones' extent; distances are straight lines, not walking "
        "routes.",
    }


def _notes(
    scenario: Scenario, edition: regs.Edition, norms: NormSet, data: PlanData
) -> list[dict[str, str]]:
    notes = []
    if scenario.illustrative:
        notes.append({"vi": "Phương án minh họa.", "en": "An illustrative scenario."})
    if norms.illustrative:
        notes.append(
            {
                "vi": f"Chỉ tiêu hạ tầng lấy từ bộ «{norms.id}» gồm giá trị minh họa.",
                "en": f"The infrastructure norms of set '{norms.id}' are illustrative values.",
            }
        )
    if any(not r.get("confirmed", False) for r in edition.rules.values()):
        notes.append(
            {
                "vi": f"Ngưỡng của {edition.code} dùng ở đây chưa được đối chiếu hết với văn bản "
                "chính thức (confirmed = false).",
                "en": f"Thresholds of {edition.code} used here are not all checked against the "
                "official text (confirmed = false).",
            }
        )
    source = data.residents_source
    if source is not None:
        years = ", ".join(str(y) for y in source["years"]) or "?"
        names = ", ".join(str(u["name"] or u["unit_code"]) for u in source["units"])
        flag_vi = " (số liệu minh họa)" if source["illustrative"] else ""
        flag_en = " (illustrative values)" if source["illustrative"] else ""
        notes.append(
            {
                "vi": f"Dân số hiện trạng lấy từ lớp dân số, năm {years}{flag_vi}: dân số mỗi "
                f"xã/phường ({names}) chia theo phần diện tích nằm trong đồ án.",
                "en": f"Existing population from the population layer, {years}{flag_en}: each "
                f"commune's count ({names}) taken by the share of its area inside the plan.",
            }
        )
    else:
        notes.append(
            {
                "vi": "Không có số liệu dân số của xã/phường: dân số hiện trạng ước từ diện tích "
                "sàn nhà ở hiện có.",
                "en": "No commune population records: the existing population is estimated "
                "from existing residential floor area.",
            }
        )
    if data.layers_hidden:
        layers = [core_layer(i) for i in data.layers_hidden]
        hidden_vi = ", ".join(
            ly.title_vi if ly else i for ly, i in zip(layers, data.layers_hidden, strict=True)
        )
        hidden_en = ", ".join(
            ly.title_en if ly else i for ly, i in zip(layers, data.layers_hidden, strict=True)
        )
        notes.append(
            {
                "vi": f"Không dùng các lớp không đọc được hoặc chưa có: {hidden_vi}.",
                "en": f"Layers not readable or missing, not used: {hidden_en}.",
            }
        )
    return notes


def scenario_indicators(db: Database, who: Principal, scenario_id: str) -> dict[str, Any]:
    """The indicators of one saved scenario that ``who`` may see."""
    with db.read() as conn:
        found = get_scenario(conn, scenario_id, who)
        data = load_plan_data(db, conn, who, plans.get_plan(conn, found.plan_id))
    return indicators(data, found)


def parse_ids(text: str | None) -> list[str]:
    """Scenario ids from ``a,b,c``: 2 to :data:`MAX_COMPARED`, no repeats."""
    ids = [i.strip() for i in (text or "").split(",") if i.strip()]
    if not 2 <= len(ids) <= MAX_COMPARED:
        raise InvalidInput(
            f"So sánh cần 2–{MAX_COMPARED} mã phương án, cách nhau bằng dấu phẩy (nhận "
            f"{len(ids)}).",
            f"A comparison needs 2–{MAX_COMPARED} scenario ids separated by commas (got "
            f"{len(ids)}).",
        )
    if len(set(ids)) != len(ids):
        raise InvalidInput("Mã phương án bị lặp.", "A scenario id is repeated.")
    return ids


def compare(db: Database, who: Principal, ids: list[str]) -> dict[str, Any]:
    """Scenarios side by side: each one's indicators, the table rows and the charts. Each
    plan's data is read once, however many of its scenarios are compared."""
    if not 2 <= len(ids) <= MAX_COMPARED or len(set(ids)) != len(ids):
        parse_ids(",".join(ids))  # the same message as for the query parameter
    loaded: dict[str, PlanData] = {}
    found: list[Scenario] = []
    with db.read() as conn:
        for i in ids:
            s = get_scenario(conn, i, who)
            found.append(s)
            if s.plan_id not in loaded:
                plan = plans.get_plan(conn, s.plan_id)
                loaded[s.plan_id] = load_plan_data(db, conn, who, plan)
    docs = [indicators(loaded[s.plan_id], s) for s in found]
    return {
        "scenarios": docs,
        "rows": rows(docs),
        "charts": charts(docs),
        "warnings": warnings(docs),
    }
