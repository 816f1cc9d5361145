"""The buildable envelope of a parcel (khả năng xây dựng tối đa): what the lookup card,
the lookup API, the planning sheet and the permit check all show.

Kept apart from :mod:`dothi.planning.lookup` (which answers with it) and
:mod:`dothi.planning.compliance` (which checks proposals against it), so both use one rule.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import shapely
from shapely.geometry.base import BaseGeometry

from dothi.geo.metric import geodesic_area as area_m2

_TOLERANCE_M2 = 0.01

#: Constraint kinds whose land is taken from the lot (for the road): coverage and the
#: land-use coefficient apply to what is left of the parcel outside them.
TAKEN = ("road_red_line",)
_TOLERANCE_M2 = 0.01


class _Zone(Protocol):
    @property
    def area_m2(self) -> float | None: ...
    @property
    def properties(self) -> dict[str, Any]: ...
    @property
    def geometry(self) -> BaseGeometry | None: ...


class _Constraint(Protocol):
    @property
    def kind(self) -> str: ...
    @property
    def geometry(self) -> BaseGeometry | None: ...


def envelope(
    parcel: BaseGeometry | None,
    parcel_area_m2: float | None,
    zones: Sequence[_Zone],
    constraints: Sequence[_Constraint],
) -> dict[str, float] | None:
    """The buildable envelope of a parcel: the largest footprint and floor area, zone by
    zone (summed), on the part of the parcel outside road red lines (chỉ giới đường đỏ:
    that land goes to the road, so coverage and coefficient count only what remains).

    None when there is no parcel, no zone, or a zone without coverage or coefficient (no
    envelope can be promised). ``red_line_m2`` is the parcel's land inside red lines.
    """
    if parcel_area_m2 is None or not zones:
        return None
    taken_shapes = [c.geometry for c in constraints if c.kind in TAKEN and c.geometry is not None]
    taken = shapely.union_all(taken_shapes) if taken_shapes and parcel is not None else None
    footprint = floor_area = red_line = 0.0
    for z in zones:
        part = z.area_m2 or 0.0
        coverage, far = z.properties.get("max_coverage_pct"), z.properties.get("max_far")
        if coverage is None or far is None:
            return None
        if taken is not None and z.geometry is not None and parcel is not None:
            inside = area_m2(shapely.intersection(shapely.intersection(parcel, z.geometry), taken))
            inside = min(part, inside) if inside > _TOLERANCE_M2 else 0.0
            red_line += inside
            part -= inside
        footprint += part * float(coverage) / 100
        floor_area += part * float(far)
    return {
        "max_footprint_m2": round(footprint, 1),
        "max_floor_area_m2": round(floor_area, 1),
        "red_line_m2": round(red_line, 1),
    }
