"""National planning regulation editions (QCVN 01:2021/BXD, QCVN 01:2026/BXD…) as data.

Thresholds live in ``data/regulations.json`` with their edition, validity dates, clause and
whether they are confirmed against the official text — never as constants in code. The
edition in force on a date is chosen by :func:`edition_on`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from typing import Any

from dothi.errors import InvalidInput


@dataclass(frozen=True)
class Edition:
    """One edition of the regulation and the thresholds Dothi holds for it."""

    code: str
    valid_from: date
    valid_to: date | None
    rules: dict[str, dict[str, Any]]

    def covers(self, day: date) -> bool:
        """True when the edition is in force on ``day``."""
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


@cache
def editions() -> tuple[Edition, ...]:
    """Every edition, oldest first."""
    path = resources.files("dothi.planning") / "data" / "regulations.json"
    raw = json.loads(path.read_text(encoding="utf-8"))
    out = [
        Edition(
            code=e["code"],
            valid_from=date.fromisoformat(e["valid_from"]),
            valid_to=None if e["valid_to"] is None else date.fromisoformat(e["valid_to"]),
            rules=dict(e["rules"]),
        )
        for e in raw["editions"]
    ]
    return tuple(sorted(out, key=lambda e: e.valid_from))


def edition_on(day: date) -> Edition:
    """The edition in force on ``day``."""
    for e in editions():
        if e.covers(day):
            return e
    raise InvalidInput(
        f"Không có ấn bản quy chuẩn nào có hiệu lực ngày {day:%d/%m/%Y}.",
        f"No edition of the regulation is in force on {day:%Y-%m-%d}.",
    )


def edition_named(code: str) -> Edition:
    """The edition with this code (e.g. ``QCVN 01:2021/BXD``)."""
    for e in editions():
        if e.code == code.strip():
            return e
    known = ", ".join(e.code for e in editions())
    raise InvalidInput(
        f"Không biết ấn bản quy chuẩn «{code}»; có: {known}.",
        f"Unknown regulation edition '{code}'; known: {known}.",
    )


@dataclass(frozen=True)
class UrbanClass:
    """An urban class (loại đô thị) and its population density threshold."""

    code: str
    label: dict[str, str]
    min_density_people_per_ha: float
    confirmed: bool
    source: str


@cache
def urban_classes() -> tuple[UrbanClass, ...]:
    """Every urban class of ``data/urban_classes.json``, in the file's order."""
    path = resources.files("dothi.planning") / "data" / "urban_classes.json"
    raw = json.loads(path.read_text(encoding="utf-8"))
    return tuple(
        UrbanClass(
            code=c["code"],
            label=dict(c["label"]),
            # The standard writes people/km²; planners compare people/ha (1 km² = 100 ha).
            min_density_people_per_ha=float(c["min_density_people_per_km2"]) / 100,
            confirmed=bool(c.get("confirmed", False)),
            source=str(raw["source"]),
        )
        for c in raw["classes"]
    )


def urban_class_named(code: str) -> UrbanClass:
    """The urban class with this code (``special``, ``I``…)."""
    for c in urban_classes():
        if c.code == code:
            return c
    known = ", ".join(c.code for c in urban_classes())
    raise InvalidInput(
        f"Không biết loại đô thị «{code}»; có: {known}.",
        f"Unknown urban class '{code}'; known: {known}.",
    )
