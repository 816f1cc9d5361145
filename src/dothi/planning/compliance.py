"""Permit compliance check: a proposed building on a parcel against every rule that applies.

Each result names the rule, the limit, the proposal's value and where the limit comes from
(the plan's approval decision and zone, or the national regulation edition and clause).
The parcel's rules come from :mod:`dothi.planning.lookup`; the national thresholds from
:mod:`dothi.planning.regulations`.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import shapely
from shapely.geometry import Polygon, shape

from dothi.errors import InvalidInput
from dothi.geo.metric import geodesic_area as area_m2
from dothi.planning.lookup import Lookup
from dothi.planning.regulations import Edition

#: Constraint kinds inside which nothing may be built (flood-prone areas only inform).
FORBIDDING = ("road_red_line", "building_line", "heritage_buffer", "power_corridor")
_TOLERANCE_M2 = 0.01


@dataclass(frozen=True)
class Proposal:
    """A proposed building: footprint (WGS 84), floors, height and gross floor area."""

    footprint: Polygon
    floors: int
    height_m: float | None
    floor_area_m2: float


@dataclass(frozen=True)
class Check:
    """One rule checked: its limit, the proposal's value, and the source of the limit."""

    rule: str
    label: str
    limit: float | None
    value: float
    unit: str
    ok: bool
    source: str


def _bad(vi: str, en: str) -> InvalidInput:
    return InvalidInput(vi, en)


def _number(doc: dict[str, Any], name: str, *, required: bool) -> float | None:
    value = doc.get(name)
    if value is None:
        if required:
            raise _bad(f"Thiếu {name}.", f"{name} is missing.")
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _bad(f"{name} phải là một số.", f"{name} must be a number.")
    if value <= 0:
        raise _bad(f"{name} phải lớn hơn 0.", f"{name} must be greater than 0.")
    return float(value)


def parse_proposal(doc: Any) -> Proposal:
    """Check a proposal as sent in JSON: ``footprint`` (a GeoJSON Polygon in WGS 84),
    ``floors``, and optionally ``height_m`` and ``floor_area_m2`` (default: footprint
    area × floors)."""
    if not isinstance(doc, dict):
        raise _bad("building phải là một đối tượng JSON.", "building must be a JSON object.")
    try:
        footprint = shape(doc["footprint"])
    except KeyError:
        raise _bad(
            "Thiếu footprint (đa giác GeoJSON).", "footprint (a GeoJSON polygon) is missing."
        ) from None
    except (TypeError, ValueError, AttributeError, IndexError):
        raise _bad(
            "footprint không phải hình GeoJSON.", "footprint is not GeoJSON geometry."
        ) from None
    if not isinstance(footprint, Polygon) or footprint.is_empty:
        raise _bad("footprint phải là một Polygon.", "footprint must be a Polygon.")
    if not footprint.is_valid:
        reason = shapely.is_valid_reason(footprint)
        raise _bad(
            f"footprint không hợp lệ (tự cắt hoặc sai vòng): {reason}.",
            f"footprint is not valid (self-intersecting or bad rings): {reason}.",
        )
    floors = doc.get("floors")
    if isinstance(floors, bool) or not isinstance(floors, int) or not 1 <= floors <= 200:
        raise _bad("floors phải là số nguyên từ 1 đến 200.", "floors must be a whole number 1–200.")
    given = _number(doc, "floor_area_m2", required=False)
    return Proposal(
        footprint=footprint,
        floors=floors,
        height_m=_number(doc, "height_m", required=False),
        floor_area_m2=given if given is not None else area_m2(footprint) * floors,
    )


def _source(props: dict[str, Any]) -> str:
    decision = props.get("plan_decision_no") or "?"
    return f"{decision}, ô / zone {props.get('zone_code', '?')}"


def check(answer: Lookup, proposal: Proposal, edition: Edition) -> list[Check]:
    """Every rule that applies to ``proposal`` on the parcel of ``answer``."""
    parcel = answer.parcel_geometry
    if parcel is None or not answer.parcel_area_m2:
        raise _bad(
            "Kiểm tra giấy phép cần một thửa đất, không phải một điểm.",
            "A permit check needs a parcel, not a bare point.",
        )
    fp = proposal.footprint
    footprint = area_m2(fp)
    outside = area_m2(shapely.difference(fp, parcel))
    out = [
        Check(
            "within_parcel",
            "Phần công trình ngoài thửa / footprint outside the parcel",
            0.0,
            round(outside, 1),
            "m²",
            outside <= _TOLERANCE_M2,
            "thửa / parcel " + str(answer.parcel.get("parcel_uid") if answer.parcel else "?"),
        )
    ]
    envelope = answer.envelope
    decisions = "; ".join(sorted({_source(z.properties) for z in answer.zones})) or "-"
    if envelope is not None:
        out += [
            _limit(
                "coverage",
                "Diện tích chiếm đất / footprint",
                envelope["max_footprint_m2"],
                footprint,
                "m²",
                decisions,
            ),
            _limit(
                "floor_area",
                "Tổng diện tích sàn / gross floor area",
                envelope["max_floor_area_m2"],
                proposal.floor_area_m2,
                "m²",
                decisions,
            ),
        ]
    for z in answer.zones:
        if z.geometry is None or area_m2(shapely.intersection(fp, z.geometry)) <= _TOLERANCE_M2:
            continue
        src, rules = _source(z.properties), z.rules
        if rules["max_floors"] is not None:
            out.append(
                _limit(
                    "max_floors",
                    "Số tầng tối đa / most floors",
                    rules["max_floors"],
                    proposal.floors,
                    "tầng / floors",
                    src,
                )
            )
        if rules["min_floors"] is not None:
            ok = proposal.floors >= rules["min_floors"]
            out.append(
                Check(
                    "min_floors",
                    "Số tầng tối thiểu / fewest floors",
                    float(rules["min_floors"]),
                    float(proposal.floors),
                    "tầng / floors",
                    ok,
                    src,
                )
            )
        if rules["max_height_m"] is not None and proposal.height_m is not None:
            out.append(
                _limit(
                    "max_height",
                    "Chiều cao tối đa / greatest height",
                    rules["max_height_m"],
                    proposal.height_m,
                    "m",
                    src,
                )
            )
    for c in answer.constraints:
        if c.kind not in FORBIDDING or c.geometry is None:
            continue
        inside = area_m2(shapely.intersection(fp, c.geometry))
        label = c.properties.get("label") or c.kind
        out.append(
            Check(
                f"constraint:{c.kind}",
                f"Xây trong vùng cấm / building inside: {label}",
                0.0,
                round(inside, 1),
                "m²",
                inside <= _TOLERANCE_M2,
                str(c.properties.get("plan_decision_no") or c.constraint_uid),
            )
        )
    far = edition.rules.get("max_far")
    if far is not None:
        clause = far.get("clause") or "điều khoản chưa ghi / clause not recorded"
        out.append(
            _limit(
                "max_far_national",
                str(far["label"]),
                far["value"],
                proposal.floor_area_m2 / answer.parcel_area_m2,
                "",
                f"{edition.code}, {clause}",
            )
        )
    return out


def _limit(rule: str, label: str, limit: Any, value: float, unit: str, source: str) -> Check:
    return Check(
        rule, label, float(limit), round(float(value), 2), unit, value <= float(limit), source
    )


def as_dict(checks: list[Check]) -> dict[str, Any]:
    """The results as JSON-ready data, with the overall verdict."""
    return {"ok": all(c.ok for c in checks), "checks": [asdict(c) for c in checks]}
