"""What a draft plan changes (nội dung điều chỉnh): zone by zone, before and after.

A draft adjustment is compared with the plan it replaces (its ``supersedes``, or another
plan named by the caller): zones are paired by their code (ký hiệu ô, ``BT-11``), and for
each pair the land-use function and the planning rules are compared, and the boundary.
Zones only in the draft are added, zones only in the plan replaced are removed. Values are
given as numbers and as words (labels of the layer schema, Vietnamese number format), so
that the API, the CLI, the sheet and the page say the same.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Connection

from dothi.auth.policy import Principal, may_read
from dothi.db.engine import Database
from dothi.db.schema import feature
from dothi.db.spatial.base import FeatureRow
from dothi.errors import InvalidInput
from dothi.geo.metric import geodesic_area
from dothi.i18n import LANGUAGES, Language
from dothi.planning.plans import Plan, get_plan
from dothi.spatial.labels import display_value, field_title
from dothi.spatial.layers import layer_access

ZONES = "planning_zone"
#: What is compared, in the order a reader expects it: the function, then the rules.
COMPARED = (
    "land_use_function",
    "land_use_code",
    "max_coverage_pct",
    "min_floors",
    "max_floors",
    "max_far",
    "max_height_m",
)
#: A boundary moved by less than this (m² of difference) has not changed: rounding.
_MOVED_M2 = 1.0
KIND_LABELS: dict[str, dict[str, str]] = {
    "changed": {"vi": "Điều chỉnh", "en": "Changed"},
    "added": {"vi": "Ô mới", "en": "New zone"},
    "removed": {"vi": "Bỏ ô", "en": "Zone removed"},
}
_DIGITS = re.compile(r"(\d+)")


def natural_key(code: str) -> tuple[tuple[int, int | str], ...]:
    """Sort key that reads numbers as numbers: ``BT-2`` before ``BT-11``."""
    return tuple(
        (0, int(part)) if part.isdigit() else (1, part.casefold())
        for part in _DIGITS.split(code)
        if part
    )


def _words(name: str, value: Any) -> dict[str, str]:
    return {lang: display_value(ZONES, {}, name, value, lang) for lang in LANGUAGES}


def field_value(name: str, row: FeatureRow, lang: Language) -> str:
    """A zone's value in words (``land_use_function`` → "Đất ở")."""
    return display_value(ZONES, {}, name, row.properties.get(name), lang)


def field_words(name: str) -> dict[str, str]:
    """A zone field's title in both languages (``max_far`` → "Hệ số sử dụng đất tối đa")."""
    return {lang: field_title(ZONES, {}, name, lang) for lang in LANGUAGES}


@dataclass(frozen=True)
class FieldChange:
    """One value of a zone before and after."""

    field: str
    before: Any
    after: Any

    @property
    def difference(self) -> float | None:
        """``after - before`` when both are numbers."""
        pair = (self.before, self.after)
        numbers = all(isinstance(v, int | float) and not isinstance(v, bool) for v in pair)
        return round(float(self.after) - float(self.before), 6) if numbers else None

    def text(self, lang: Language) -> str:
        """``Hệ số sử dụng đất tối đa (lần): 4,5 → 0,05`` in ``lang``."""
        before = _words(self.field, self.before)[lang]
        after = _words(self.field, self.after)[lang]
        return f"{field_words(self.field)[lang]}: {before} → {after}"

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: the values, their words and the difference."""
        return {
            "field": self.field,
            "title": field_words(self.field),
            "before": self.before,
            "after": self.after,
            "before_text": _words(self.field, self.before),
            "after_text": _words(self.field, self.after),
            "difference": self.difference,
            "text": {lang: self.text(lang) for lang in LANGUAGES},
        }


def _area(geometry: BaseGeometry | None) -> float | None:
    return None if geometry is None else round(geodesic_area(geometry), 1)


def zone_differences(
    before: dict[str, Any],
    after: dict[str, Any],
    before_shape: BaseGeometry | None = None,
    after_shape: BaseGeometry | None = None,
) -> list[FieldChange]:
    """What differs between two versions of a zone: function, rules, and the area when the
    boundary moved (both shapes given)."""
    out = [
        FieldChange(name, before.get(name), after.get(name))
        for name in COMPARED
        if before.get(name) != after.get(name)
    ]
    if before_shape is not None and after_shape is not None:
        moved = geodesic_area(shapely.symmetric_difference(before_shape, after_shape))
        if moved >= _MOVED_M2:
            out.append(FieldChange("area_m2", _area(before_shape), _area(after_shape)))
    return out


@dataclass(frozen=True)
class ZoneChange:
    """A zone the draft changes, adds or removes."""

    code: str
    kind: str
    before: FeatureRow | None
    after: FeatureRow | None
    fields: list[FieldChange] = field(default_factory=list)

    @property
    def boundary_changed(self) -> bool:
        """True when the zone's boundary moved."""
        return any(f.field == "area_m2" for f in self.fields)

    def summary(self, lang: Language) -> str:
        """One line: what changes, in ``lang``."""
        if self.kind == "changed":
            return "; ".join(f.text(lang) for f in self.fields)
        row = self.after if self.kind == "added" else self.before
        assert row is not None
        function = _words("land_use_function", row.properties.get("land_use_function"))[lang]
        return f"{KIND_LABELS[self.kind][lang]}: {function}"

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: the zone's code, ids before and after, and each value that changes."""
        return {
            "zone_code": self.code,
            "change": self.kind,
            "change_label": KIND_LABELS[self.kind],
            "before_uid": None if self.before is None else self.before.fid,
            "after_uid": None if self.after is None else self.after.fid,
            "before": None if self.before is None else _rules(self.before.properties),
            "after": None if self.after is None else _rules(self.after.properties),
            "boundary_changed": self.boundary_changed,
            "fields": [f.as_dict() for f in self.fields],
            "summary": {lang: self.summary(lang) for lang in LANGUAGES},
        }


def _rules(props: dict[str, Any]) -> dict[str, Any]:
    """The compared values of a zone with their words."""
    return {
        name: {"value": props.get(name), "text": _words(name, props.get(name))} for name in COMPARED
    }


@dataclass
class PlanChanges:
    """A draft against the plan it replaces."""

    plan: Plan
    base: Plan | None
    zones: list[ZoneChange]
    #: Zones present in both, identical.
    unchanged: int
    #: Zones of the draft.
    total: int

    def counts(self) -> dict[str, int]:
        """How many zones change, are added, removed, stay as they are."""
        kinds = [z.kind for z in self.zones]
        return {
            "changed": kinds.count("changed"),
            "added": kinds.count("added"),
            "removed": kinds.count("removed"),
            "unchanged": self.unchanged,
            "zones": self.total,
        }

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: both plans, the counts and every zone that differs."""
        return {
            "plan": self.plan.summary(),
            "base": None if self.base is None else self.base.summary(),
            "counts": self.counts(),
            "zones": [z.as_dict() for z in self.zones],
        }

    def as_geojson(self) -> dict[str, Any]:
        """GeoJSON for a map: each zone that differs, before (the plan replaced) and after
        (the draft), with its plan's status so a map can draw the two apart."""
        features = []
        for z in self.zones:
            sides = (("before", z.before, self.base), ("after", z.after, self.plan))
            for side, row, owner in sides:
                if row is None or row.geometry is None or owner is None:
                    continue
                features.append(
                    {
                        "type": "Feature",
                        "id": f"{side}:{row.fid}",
                        "geometry": shapely.geometry.mapping(row.geometry),
                        "properties": {
                            "zone_uid": row.fid,
                            "zone_code": z.code,
                            "side": side,
                            "change": z.kind,
                            "plan_id": owner.id,
                            "plan_status": owner.status,
                            "in_force": owner.in_force,
                            "summary_vi": z.summary("vi"),
                            "summary_en": z.summary("en"),
                        },
                    }
                )
        return {"type": "FeatureCollection", "features": features}


def plan_zones(db: Database, conn: Connection, who: Principal, plan_id: str) -> list[FeatureRow]:
    """The current zones of a plan (none when the caller may not read the zones layer),
    in the natural order of their codes; zones of existing land use are left out."""
    access = layer_access(conn, (ZONES,))
    if ZONES not in access or not may_read(who, ZONES, access[ZONES]):
        return []
    where = [feature.c.properties["plan_id"].as_string() == plan_id]
    rows = [
        r for r in db.port.find(conn, ZONES, where=where) if r.properties.get("stage") != "existing"
    ]
    return sorted(rows, key=lambda r: natural_key(zone_code(r)))


def zone_codes(db: Database, conn: Connection, who: Principal, plan_id: str) -> dict[str, str]:
    """The code of each of the plan's zones, by zone id (for reports that name zones)."""
    return {r.fid: zone_code(r) for r in plan_zones(db, conn, who, plan_id)}


def zone_code(row: FeatureRow) -> str:
    """The code a zone is known by (its unique id when it has none)."""
    return str(row.properties.get("zone_code") or row.fid)


def _by_code(rows: list[FeatureRow]) -> dict[str, FeatureRow]:
    out: dict[str, FeatureRow] = {}
    for r in rows:
        out.setdefault(zone_code(r), r)  # a repeated code: the first zone stands for it
    return out


def base_plan(conn: Connection, found: Plan, against: str | None) -> Plan | None:
    """The plan a draft is compared with: the one named, else the one it replaces."""
    base_id = against or found.supersedes
    if base_id is None:
        return None
    if base_id == found.id:
        raise InvalidInput(
            "Không so sánh một đồ án với chính nó.", "A plan cannot be compared with itself."
        )
    return get_plan(conn, base_id)


def compare_plans(
    db: Database, conn: Connection, who: Principal, plan_id: str, *, against: str | None = None
) -> PlanChanges:
    """What plan ``plan_id`` changes against ``against`` (default: the plan it replaces;
    with none, every zone is new)."""
    found = get_plan(conn, plan_id)
    base = base_plan(conn, found, against)
    after = _by_code(plan_zones(db, conn, who, plan_id))
    before = _by_code(plan_zones(db, conn, who, base.id)) if base is not None else {}
    zones: list[ZoneChange] = []
    unchanged = 0
    for code in sorted(after.keys() | before.keys(), key=natural_key):
        old, new = before.get(code), after.get(code)
        if old is None:
            zones.append(ZoneChange(code, "added", None, new))
        elif new is None:
            zones.append(ZoneChange(code, "removed", old, None))
        else:
            diff = zone_differences(old.properties, new.properties, old.geometry, new.geometry)
            if diff:
                zones.append(ZoneChange(code, "changed", old, new, diff))
            else:
                unchanged += 1
    return PlanChanges(found, base, zones, unchanged, len(after))


def change_rows(changes: PlanChanges, lang: Language) -> list[tuple[str, str, str, str]]:
    """``(zone, change, what, before → after)`` lines for a table in ``lang``."""
    out = []
    for z in changes.zones:
        if z.kind != "changed":
            out.append((z.code, KIND_LABELS[z.kind][lang], z.summary(lang), ""))
            continue
        for f in z.fields:
            before, after = _words(f.field, f.before)[lang], _words(f.field, f.after)[lang]
            title = field_words(f.field)[lang]
            out.append((z.code, KIND_LABELS[z.kind][lang], title, f"{before} → {after}"))
    return out
