"""A fleet as a whole: how many devices of each kind, made once and found again.

:func:`ensure_fleet` is what ``dothi simulate`` and the demo call: it reads the city,
plans the devices the fleet still lacks, creates them and returns every device of the
fleet, so that a second run adds nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from dothi.db.engine import Database
from dothi.sensors.simulate.devices import Device
from dothi.sensors.simulate.placement import plan_fleet, read_city, storm_over
from dothi.sensors.simulate.provision import load_fleet, provision
from dothi.sensors.simulate.series import HOUR_US, SOURCES
from dothi.sensors.sta.times import now_micros

#: The share of each kind in a fleet of ``dothi simulate --devices N``.
SHARES: dict[str, float] = {
    "light": 0.40,
    "bin": 0.18,
    "traffic": 0.10,
    "flood": 0.08,
    "water_meter": 0.08,
    "power_meter": 0.08,
    "air": 0.03,
    "rain": 0.03,
    "canal": 0.02,
}


def composition(n: int, replays: int = len(SOURCES)) -> dict[str, int]:
    """``n`` devices split by :data:`SHARES` (largest remainders), the real stations
    (``replays`` of them, at most one per series) first when the fleet has room."""
    out: dict[str, int] = {}
    real = min(replays, len(SOURCES), n) if n >= 10 else 0
    if real:
        out["air_replay"] = real
    rest = n - real
    exact = {k: rest * s for k, s in SHARES.items()}
    counts = {k: int(v) for k, v in exact.items()}
    left = rest - sum(counts.values())
    for k in sorted(exact, key=lambda k: exact[k] - counts[k], reverse=True)[:left]:
        counts[k] += 1
    out.update({k: v for k, v in counts.items() if v})
    return out


@dataclass(frozen=True)
class FleetReport:
    """What :func:`ensure_fleet` found and made."""

    devices: list[Device]
    created: int


def ensure_fleet(
    db: Database,
    fleet: str,
    counts: Mapping[str, int],
    *,
    seed: int,
    who: str,
    now: int | None = None,
    on_batch: Callable[[int], None] | None = None,
) -> FleetReport:
    """The devices of ``fleet``, after creating those of ``counts`` (per kind) it lacks."""
    now = now_micros() if now is None else now
    with db.read() as conn:
        have = load_fleet(conn, fleet)
        city = read_city(conn, db.port)
    present: dict[str, int] = {}
    for d in have:
        present[d.kind.name] = present.get(d.kind.name, 0) + 1
    missing = {k: n - present.get(k, 0) for k, n in counts.items() if n > present.get(k, 0)}
    created = 0
    if missing:
        # The storm of a new fleet starts an hour before it does: there is rain to see.
        plans = plan_fleet(
            city,
            missing,
            seed=seed + len(have),
            now=now,
            storms=[storm_over(city.area, now - HOUR_US)],
            first_number=len(have) + 1,
        )
        created = len(provision(db, plans, fleet, who=who, on_batch=on_batch))
        with db.read() as conn:
            have = load_fleet(conn, fleet)
    return FleetReport(have, created)
